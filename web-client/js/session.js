// Staff credentials: a session cookie the page never sees (HttpOnly), the
// session's CSRF token for every change, and a fresh single-use ticket for each
// WebSocket. Nothing of it is kept in the address bar or in localStorage.
// No dependencies and no build step: the server serves these files as they are.

import { showConnection } from './connection.js';
import { t } from './i18n.js';

let csrf = null;
let signingOut = false;

/** Sends the browser to the sign-in page; it comes back here afterwards. */
export function goToSignIn() {
  location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
}

/** `GET /api/session`: the session, or null when there is none. */
export async function loadSession() {
  const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) return null;
  if (!res.ok) throw { code: 'unavailable' };
  const session = await res.json();
  csrf = session.csrf;
  return session;
}

/** REST with the session: the cookie goes by itself, the CSRF token on every change. */
export async function sessionFetch(method, path, body, headers = {}) {
  const h = { ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) h['x-csrf-token'] = csrf;
  let res;
  try {
    res = await fetch(path, { method, headers: h, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw { code: 'network' };
  }
  return res;
}

/** A single-use ticket for one WebSocket to `dialogueId`. */
export async function wsTicket(dialogueId) {
  const res = await sessionFetch('POST', '/api/ws-ticket', { dialogue_id: dialogueId });
  if (!res.ok) throw { code: { 401: 'unauthorized', 403: 'forbidden' }[res.status] || 'unavailable', status: res.status };
  return (await res.json()).ticket;
}

/** Ends the session everywhere it is used, then shows the sign-in page. */
export async function signOut() {
  signingOut = true; // the socket's 4410 is expected now: no detour by `next`
  await sessionFetch('POST', '/api/session/sign-out').catch(() => {});
  location.assign('/signin');
}

/** A visible "Logga ut" in the page's top bar. */
export function addSignOut() {
  if (document.getElementById('sign-out')) return;
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'sign-out';
  // Styled as the page's language button, which each page's theme gets right;
  // the venue screen has none, and keeps its top for the room: at its foot.
  const lang = document.getElementById('lang-toggle');
  button.className = lang ? lang.className : 'screen-sign-out';
  button.dataset.i18n = 'sign_out';
  button.textContent = t('sign_out');
  button.addEventListener('click', signOut);
  const bar = document.querySelector('header.topbar');
  (bar || document.body).append(button);
}

/** The connection's state on the page; a withdrawn session goes to sign-in. */
function sessionState(state, code) {
  showConnection(state, code);
  if (state === 'closed' && (code === 4410 || code === 4401) && !signingOut) goToSignIn();
}

/** The page of each invitee's role. */
const ROLE_PAGE = { panelist: '/panel', moderator: '/moderate', screen: '/screen' };

/**
 * How a staff page (moderate, panel, screen) connects: the session, a fresh
 * ticket per connection, and a sign-out. Without a session the browser goes to
 * sign-in, which comes back here. Without `?dialogue=` an invitee goes to their
 * own dialogue's page and staff to `/organize`, where their dialogues are.
 * Null: the page is being left.
 */
export async function staffCredential() {
  const session = await loadSession();
  if (!session) {
    goToSignIn();
    return null;
  }
  const dialogueId = new URLSearchParams(location.search).get('dialogue');
  if (!dialogueId) {
    const invitee = session.invitee;
    location.replace(invitee ? `${ROLE_PAGE[invitee.role] || '/panel'}?dialogue=${encodeURIComponent(invitee.dialogue_id)}` : '/organize');
    return null;
  }
  addSignOut();
  const me = session.staff ? session.staff.id : session.invitee && session.invitee.id;
  return { session, me, dialogueId, connection: { dialogueId, ticket: () => wsTicket(dialogueId) }, onState: sessionState };
}
