// The moderator's queue in pages. A staff snapshot carries the first page of
// pending questions in each order (newest, most voted) and how many wait in
// all; "show more" reads the next page with `read_pending`, so a flooded queue
// never arrives as one huge snapshot.

/** What the console knows of the queue beyond the questions it holds. */
export class PendingQueue {
  constructor() {
    this.order = 'newest';
    this.count = 0; // pending in all, as the server last said
    this.known = 0; // pending questions held when it said so
    this.next = { newest: null, most_voted: null };
    this.asked = null; // client_msg_id of the page on its way
  }

  snapshot(s, model) {
    if (!s.pending) return;
    this.count = s.pending.count;
    this.known = model.byStatus('pending').length;
    this.next = { newest: s.pending.newest.next, most_voted: s.pending.most_voted.next };
    this.asked = null;
  }

  /** A `pending_page` frame: its questions join the model. False if it was not ours. */
  page(msg, model) {
    if (msg.client_msg_id !== this.asked) return false;
    this.asked = null;
    for (const q of msg.questions) if (!model.questions.has(q.id)) model.questions.set(q.id, { ...q });
    this.count = msg.count;
    this.known = model.byStatus('pending').length;
    this.next[msg.order] = msg.next;
    return true;
  }

  /** Pending questions held now, in the chosen order. */
  sorted(model) {
    const pending = model.byStatus('pending');
    if (this.order === 'most_voted') return pending.sort((a, b) => model.tally(b.id) - model.tally(a.id) || b.id - a.id);
    return pending.sort((a, b) => b.id - a.id);
  }

  /**
   * Pending questions in all: those held plus those the server counted and the
   * console has not read yet (new ones come as events, so they are held).
   */
  total(model) {
    const held = model.byStatus('pending').length;
    return held + Math.max(0, this.count - this.known);
  }

  hasMore() {
    return Boolean(this.next[this.order]);
  }

  /** Asks for the next page in the chosen order. */
  more(conn) {
    const after = this.next[this.order];
    if (!after || this.asked) return;
    this.asked = `queue-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    conn.send({ type: 'read_pending', client_msg_id: this.asked, order: this.order, after });
  }
}

/**
 * Older servers sent `question_asked` without the confidentiality flags; the
 * staff snapshot has them. Fetch it shortly after new questions arrive then.
 */
export function flagsRefresher({ model, url, render }) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const res = await fetch(url(), { credentials: 'same-origin' });
        if (!res.ok) return;
        const snap = await res.json();
        for (const s of snap.questions) {
          const q = model.questions.get(s.id);
          if (q) Object.assign(q, { flags: s.flags, redacted_text: s.redacted_text, private_signals: s.private_signals, author: s.author, asked_at: s.asked_at });
        }
        render();
      } catch {
        /* the next new question tries again */
      }
    }, 100);
  };
}
