// The connection: one WebSocket that survives lost connections, the token it
// connects with, and its state in the page's status line.
// No dependencies and no build step: the server serves these files as they are.

import { safeGet, safeSet } from './storage.js';
import { t } from './i18n.js';

/** A random id; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Close codes after which reconnecting cannot help without a change (see the server's codes.rs). */
const FATAL_CLOSE = new Set([1009, 4400, 4401, 4403, 4404, 4410]);

/**
 * One WebSocket to the hub that survives lost connections: it reconnects with
 * backoff and `resume`, and resends unacknowledged submissions with their
 * original `client_msg_id`, so a retry is never a duplicate.
 *
 * `onMessage(msg)` gets every server message; `onState(state, detail)` gets
 * 'connecting' | 'open' | 'reconnecting' | 'closed'.
 */
export class Connection {
  constructor({ token, ticket, follow, dialogueId, location, onMessage, onState, pendingKey }) {
    this.token = token;
    // A follower: the join code it follows, read-only, without joining.
    this.follow = follow;
    // Staff: a function that fetches a fresh single-use ticket for each socket.
    this.ticket = ticket;
    this.dialogueId = dialogueId;
    this.location = location;
    this.onMessage = onMessage;
    this.onState = onState || (() => {});
    this.position = null; // {epoch, seq}
    this.pending = new Map(); // client_msg_id -> {msg, resolve, reject}
    this.pendingKey = pendingKey; // keep unsent submissions across reloads
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.welcomed = false;
    this.timer = null;
    this.pingTimer = null;
    this.restorePending();
    window.addEventListener('offline', () => this.abandon());
    window.addEventListener('online', () => {
      if (!this.ws || this.ws.readyState > 1) this.reconnectNow();
    });
  }

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000);
  }

  get connected() {
    return this.welcomed && this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  async connect() {
    if (this.stopped) return;
    this.onState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let ticket = null;
    if (this.ticket) {
      try {
        ticket = await this.ticket();
      } catch (e) {
        // Without a session there is nothing to retry with; otherwise try again later.
        if (e && e.code === 'unauthorized') this.onState('closed', 4401);
        else if (e && e.code === 'forbidden') this.onState('closed');
        else this.closed(this.ws, 1006);
        return;
      }
      if (this.stopped) return;
    }
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.welcomed = false;
    ws.onopen = () => {
      const hello = { type: 'hello', v: 1 };
      if (ticket) hello.ticket = ticket;
      else if (this.follow) hello.follow = this.follow;
      else hello.token = this.token;
      if (this.position) hello.resume = this.position;
      if (this.location) hello.location = this.location;
      if (this.dialogueId) hello.dialogue_id = this.dialogueId;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (m) => this.receive(ws, m.data);
    ws.onclose = (ev) => this.closed(ws, ev.code);
  }

  receive(ws, data) {
    if (ws !== this.ws) return;
    this.lastHeard = Date.now();
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'welcome':
        if (this.position && this.position.epoch !== msg.epoch) this.position = null;
        this.position = { epoch: msg.epoch, seq: this.position && msg.recovered ? this.position.seq : msg.seq };
        this.welcomed = true;
        this.lastWelcome = msg;
        // `live.version` starts over when the server's dialogue task restarts:
        // on a new connection the first `live` wins whatever its version.
        this.onMessage({ type: 'live-reset' });
        this.attempt = 0;
        this.onMessage(msg);
        this.onState('open');
        this.flushPending();
        this.startPing();
        return;
      case 'snapshot':
        this.position = { epoch: msg.epoch, seq: msg.seq };
        break;
      case 'event':
        if (this.position && msg.seq <= this.position.seq) return; // already applied
        if (this.position && msg.seq !== this.position.seq + 1) {
          // A gap: never show a state with a hole in it; resume from where we are.
          this.abandon();
          return;
        }
        this.position = { epoch: msg.epoch, seq: msg.seq };
        break;
      case 'ack': {
        const p = this.pending.get(msg.client_msg_id);
        if (p) {
          this.pending.delete(msg.client_msg_id);
          this.savePending();
          p.resolve(msg);
        }
        break;
      }
      case 'error': {
        if (!msg.client_msg_id && msg.retryable) {
          // A rate-limit refusal names no submission: send what is still waiting again, later.
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => this.flushPending(), 2000);
        }
        const p = msg.client_msg_id && this.pending.get(msg.client_msg_id);
        if (p && !msg.retryable) {
          this.pending.delete(msg.client_msg_id);
          this.savePending();
          p.reject(msg);
        } else if (p) {
          setTimeout(() => this.connected && this.send(p.msg), 1000);
        }
        break;
      }
      default:
        break;
    }
    this.onMessage(msg);
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    clearInterval(this.pingTimer);
    this.welcomed = false;
    if (this.stopped) return;
    if (FATAL_CLOSE.has(code)) {
      this.onState('closed', code);
      return;
    }
    this.onState('reconnecting', code);
    // Backoff with jitter so a restarted server is not met by everyone at once.
    const delay = Math.min(10000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /**
   * Gives up on the current socket at once. Closing a dead connection can take
   * the browser a long time to report, so we do not wait for its close event.
   */
  abandon() {
    const ws = this.ws;
    if (!ws || ws.readyState > 1) return;
    ws.onclose = null;
    ws.onmessage = null;
    this.closed(ws, 1006);
    ws.close();
  }

  reconnectNow() {
    clearTimeout(this.timer);
    this.attempt = Math.max(this.attempt, 1);
    this.connect();
  }

  /**
   * The server closes a silent connection; a ping now and then keeps it. A
   * connection that stops answering (a dead Wi-Fi does not always say so) is
   * closed here, and the usual reconnect and resume take over.
   */
  startPing() {
    clearInterval(this.pingTimer);
    this.lastHeard = Date.now();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastHeard > 50000) {
        this.abandon();
        return;
      }
      this.ws.send('{"type":"ping"}');
    }, 20000);
  }

  send(msg) {
    if (this.connected) this.ws.send(JSON.stringify(msg));
  }

  /**
   * Sends a submission and resolves with its ack (rejects with the error). While
   * disconnected it waits, and goes out again after reconnecting.
   */
  submit(msg) {
    const full = { client_msg_id: newId(), ...msg };
    return new Promise((resolve, reject) => {
      this.pending.set(full.client_msg_id, { msg: full, resolve, reject });
      this.savePending();
      this.send(full);
    });
  }

  flushPending() {
    for (const p of this.pending.values()) this.send(p.msg);
  }

  /** Submissions still waiting for an ack (e.g. a question typed while offline). */
  waiting(type) {
    return [...this.pending.values()].map((p) => p.msg).filter((m) => !type || m.type === type);
  }

  savePending() {
    if (!this.pendingKey) return;
    // Only questions are worth keeping across a reload; votes are cheap to redo.
    const asks = this.waiting('ask');
    safeSet(this.pendingKey, asks.length ? JSON.stringify(asks) : null);
  }

  restorePending() {
    if (!this.pendingKey) return;
    try {
      for (const msg of JSON.parse(safeGet(this.pendingKey) || '[]')) {
        this.pending.set(msg.client_msg_id, { msg, resolve: (a) => this.onRestoredAck && this.onRestoredAck(msg, a), reject: (e) => this.onRestoredError && this.onRestoredError(msg, e) });
      }
    } catch {
      /* a broken entry is dropped */
    }
  }
}

/** Shows the connection state in the page's status line. */
export function showConnection(state, code) {
  // Also on the root element: a stable hook for styles and for the browser tests.
  document.documentElement.dataset.connection = state;
  const el = document.getElementById('connection');
  if (!el) return;
  el.dataset.state = state;
  const key = {
    connecting: 'conn_connecting',
    open: 'conn_open',
    reconnecting: 'conn_reconnecting',
    closed: code === 4403 ? 'conn_banned' : code === 4401 ? 'conn_unauthorized' : code === 4404 ? 'conn_not_found' : 'conn_closed',
  }[state];
  el.textContent = t(key);
  el.hidden = state === 'open';
}
