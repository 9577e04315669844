// REST for the staff pages, through an outage: a request that meets a network
// error or a 502/503/504 (the server restarting, a deploy) is tried again with
// backoff while a polite status says so, and answers once the server is back,
// so the page keeps what it shows and needs no reload. Every try of a change
// carries the same idempotency key: a change made before the answer was lost
// is not made twice.
import { announce } from './dom.js';
import { t } from './i18n.js';
import { newId } from './connection.js';
import { sessionFetch } from './session.js';

/** Waits between tries (ms); the last one repeats. */
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const OUTAGE_STATUS = new Set([502, 503, 504]);

let waiting = 0; // requests now waiting for the server

function outage(on) {
  const line = document.getElementById('outage');
  if (!line) return;
  if (on) {
    line.textContent = t('outage_retrying');
    line.hidden = false;
  } else if (!line.hidden) {
    line.hidden = true;
    line.textContent = '';
    announce(t('outage_over'));
  }
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * `method path` with the session (cookie, CSRF token) and an idempotency key on
 * every change; the answer's JSON, or throws the server's error body
 * (`{ code, message }`). An outage is waited out, not thrown.
 */
export async function staffApi(method, path, body) {
  const headers = method === 'GET' ? {} : { 'idempotency-key': newId() };
  for (let attempt = 0; ; attempt += 1) {
    let res = null;
    try {
      res = await sessionFetch(method, path, body, headers);
    } catch {
      res = null; // no answer at all: the server is down or the network is
    }
    if (res && !OUTAGE_STATUS.has(res.status)) {
      if (attempt > 0 && --waiting === 0) outage(false);
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw data;
      return data;
    }
    if (attempt === 0 && waiting++ === 0) outage(true);
    await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]);
  }
}
