// The dialogue as a client sees it: snapshots, events and live tallies folded
// into one view.
// No dependencies and no build step: the server serves these files as they are.

/** Folds snapshots, events and live tallies into one view of the dialogue. */
export class Model {
  constructor() {
    this.reset();
  }

  reset() {
    this.dialogue = null;
    this.questions = new Map();
    this.upNext = [];
    this.nowAnswering = null;
    this.votes = {};
    this.burstVotes = {}; // staff only: votes from burst identities, per question
    this.present = { in_room: 0, remote: 0 };
    this.liveVersion = 0;
    this.muted = new Set();
    this.banned = new Set();
    this.posts = new Map(); // post id -> {id, text, source, link, data, author, posted_at, edited_at}
    this.shownPost = null; // the post the venue screen shows
    this.polls = new Map();
    this.pollLive = {};
    this.tips = new Map();
    this.tipRecipients = [];
  }

  snapshot(s) {
    const votes = this.votes;
    const present = this.present;
    const liveVersion = this.liveVersion;
    const pollLive = this.pollLive;
    this.reset();
    this.pollLive = pollLive;
    // Tallies come on their own stream; a snapshot does not carry them.
    this.votes = votes;
    this.present = present;
    this.liveVersion = liveVersion;
    this.dialogue = s.dialogue;
    for (const q of s.questions) this.questions.set(q.id, { ...q });
    this.upNext = [...s.up_next];
    this.nowAnswering = s.now_answering;
    this.muted = new Set(s.muted || []);
    this.banned = new Set(s.banned || []);
    for (const p of s.posts || []) this.posts.set(p.id, { ...p });
    this.shownPost = s.shown_post ?? null;
    for (const p of s.polls || []) this.polls.set(p.id, { ...p });
    for (const tip of s.tips || []) this.tips.set(tip.id, { ...tip });
    this.tipRecipients = s.tip_recipients || [];
  }

  /** Information posts, oldest first (the order they were published in). */
  postList() {
    return [...this.posts.values()].sort((a, b) => a.id - b.id);
  }

  /** A private tip (staff get them in events and snapshots, allowed panelists as `tip` frames). */
  addTip(tip) {
    this.tips.set(tip.id, { ...tip });
  }

  /** A poll's results as this audience may see them: live while open, final once closed. */
  pollResults(id) {
    const live = this.pollLive[id];
    if (live) return live;
    const p = this.polls.get(id);
    return p && p.results ? p.results : null;
  }

  /** Whether the public sees a poll's results: shown by a moderator, or the dialogue has closed. */
  pollResultsPublic(p) {
    return p.state !== 'prepared' && (p.results_shown || (this.dialogue && this.dialogue.phase === 'closed'));
  }

  /** Polls by state, in id order. */
  pollsIn(...states) {
    return [...this.polls.values()].filter((p) => states.includes(p.state)).sort((a, b) => a.id - b.id);
  }

  /** A new connection: its first `live` is taken whatever its version. */
  liveReset() {
    this.liveVersion = -1;
  }

  live(l) {
    if (l.version < this.liveVersion) return;
    this.liveVersion = l.version;
    this.votes = l.votes || {};
    this.burstVotes = l.burst_votes || {};
    this.present = l.present || this.present;
    this.pollLive = l.polls || {};
  }

  tally(id) {
    return this.votes[id] || 0;
  }

  /** Of a question's votes, those from burst identities (staff's `live` only). */
  burstTally(id) {
    return this.burstVotes[id] || 0;
  }

  leaveQueue(id) {
    this.upNext = this.upNext.filter((q) => q !== id);
    if (this.nowAnswering === id) this.nowAnswering = null;
  }

  setStatus(id, status) {
    const q = this.questions.get(id);
    if (q) q.status = status;
  }

  /** Applies one event body; `by` is who did it (staff see it), `at` when (ms). */
  apply(e, by, at) {
    const d = this.dialogue;
    switch (e.kind) {
      case 'info_set': {
        // Every field of the dialogue's information (title, purpose, times, venue, address, …).
        const { kind: _kind, ...info } = e;
        if (d) Object.assign(d, info);
        break;
      }
      case 'info_posted':
        this.posts.set(e.post_id, { id: e.post_id, text: e.text, source: e.source, link: e.link, data: e.data || null, author: by, posted_at: at || Date.now(), edited_at: null });
        break;
      case 'info_post_edited': {
        const p = this.posts.get(e.post_id);
        if (p) Object.assign(p, { text: e.text, source: e.source, link: e.link, data: e.data || null, edited_at: at || Date.now() });
        break;
      }
      case 'post_shown':
        this.shownPost = e.post_id;
        break;
      case 'answer_written': {
        const q = this.questions.get(e.question_id);
        if (q) q.answer_draft = e.text;
        break;
      }
      case 'answer_published': {
        const q = this.questions.get(e.question_id);
        if (q) q.answer = e.text;
        break;
      }
      case 'follow_up_promised': {
        const q = this.questions.get(e.question_id);
        if (q) q.follow_up = { owner: e.owner, due: e.due, outcome: null };
        break;
      }
      case 'follow_up_done': {
        const q = this.questions.get(e.question_id);
        if (q && q.follow_up) q.follow_up = { ...q.follow_up, outcome: e.outcome };
        break;
      }
      case 'phase_changed':
        if (d) d.phase = e.phase;
        if (e.phase === 'closed') this.nowAnswering = null;
        break;
      case 'panelist_added':
        if (d) d.panel.push(e.panelist);
        break;
      case 'moderator_added':
        if (d && d.moderators) d.moderators.push(e.moderator);
        break;
      case 'panelist_removed':
        if (d) d.panel = d.panel.filter((p) => p.id !== e.panelist_id);
        break;
      case 'moderator_removed':
        if (d && d.moderators) d.moderators = d.moderators.filter((m) => m.id !== e.moderator_id);
        break;
      case 'question_asked':
        // The staff view of a new question, with the guard's flags (servers before
        // flags were in this event left them out; the console fetches them then).
        this.questions.set(e.question_id, {
          id: e.question_id,
          text: e.text,
          display_name: e.display_name,
          addressee: e.addressee,
          origin: e.origin,
          status: e.approved ? 'approved' : 'pending',
          asked_at: at || Date.now(),
          author: by,
          flags: e.flags,
          redacted_text: e.redacted_text,
          private_signals: e.private_signals,
          danger: e.danger,
          burst: e.burst, // asked by a burst identity (staff only)
        });
        break;
      case 'room_entered':
        // The participant is present: no longer a burst identity, nor its questions.
        for (const q of this.questions.values()) if (by && q.author && q.author.id === by.id) delete q.burst;
        break;
      case 'question_published': {
        const old = this.questions.get(e.question.id) || {};
        this.questions.set(e.question.id, { ...old, ...e.question });
        break;
      }
      case 'question_approved': {
        const q = this.questions.get(e.question_id);
        if (q) {
          q.status = 'approved';
          if (e.edited_text) {
            q.original_text = q.text;
            q.text = e.edited_text;
          }
        }
        break;
      }
      case 'question_rejected': {
        const q = this.questions.get(e.question_id);
        if (q) {
          q.status = 'rejected';
          if (e.reason) q.reason = e.reason;
        }
        break;
      }
      case 'question_merged': {
        const q = this.questions.get(e.question_id);
        if (q) {
          q.status = 'merged';
          q.merged_into = e.into;
        }
        this.leaveQueue(e.question_id);
        break;
      }
      case 'up_next_set':
        this.upNext = [...e.question_ids];
        break;
      case 'now_answering':
        this.nowAnswering = e.question_id;
        if (e.question_id !== null) this.upNext = this.upNext.filter((q) => q !== e.question_id);
        break;
      case 'question_answered':
        this.setStatus(e.question_id, 'answered');
        this.leaveQueue(e.question_id);
        break;
      case 'question_archived':
        this.setStatus(e.question_id, 'archived');
        this.leaveQueue(e.question_id);
        break;
      case 'participant_muted':
        this.muted.add(e.participant_id);
        break;
      case 'participant_banned':
        this.banned.add(e.participant_id);
        break;
      case 'participant_unbanned':
        this.banned.delete(e.participant_id);
        break;
      case 'poll_created':
        this.polls.set(e.poll_id, { id: e.poll_id, question: e.question, poll_kind: e.poll_kind, options: e.options, state: 'prepared', results_shown: false });
        break;
      case 'poll_opened': {
        const p = this.polls.get(e.poll_id);
        if (p) p.state = 'open';
        break;
      }
      case 'poll_published':
        this.polls.set(e.poll.id, { ...this.polls.get(e.poll.id), ...e.poll });
        break;
      case 'poll_closed': {
        const p = this.polls.get(e.poll_id);
        if (p) {
          p.state = 'closed';
          if (e.counts) p.results = { counts: e.counts, respondents: e.respondents };
        }
        break;
      }
      case 'poll_results_shown': {
        const p = this.polls.get(e.poll_id);
        if (p) p.results_shown = e.shown;
        break;
      }
      case 'tip_sent':
        this.tips.set(e.tip_id, { id: e.tip_id, text: e.text, display_name: e.display_name, at: at || Date.now(), from_question: null });
        break;
      case 'question_moved_to_private': {
        const q = this.questions.get(e.question_id);
        if (q) {
          this.tips.set(e.tip_id, { id: e.tip_id, text: q.original_text || q.text, display_name: q.display_name, at: at || Date.now(), from_question: q.id });
          q.status = 'moved_to_private';
        }
        this.leaveQueue(e.question_id);
        break;
      }
      case 'tip_recipients_set':
        this.tipRecipients = [...e.kinds];
        break;
      default:
        // question_received and internal change nothing a client shows.
        break;
    }
  }

  /** What came of a question so far, as the server's record says it (see `Question::fate`). */
  fate(q) {
    if (!q) return 'pending';
    switch (q.status) {
      case 'pending': return 'pending';
      case 'rejected': return 'rejected';
      case 'merged': return 'merged';
      case 'archived': return 'archived';
      default:
        if (q.follow_up) return 'follow_up';
        if (q.answer) return 'answered_in_writing';
        if (q.status === 'answered') return 'answered_live';
        return this.dialogue && this.dialogue.phase === 'closed' ? 'not_reached' : 'queued';
    }
  }

  byStatus(status) {
    return [...this.questions.values()].filter((q) => q.status === status);
  }

  current() {
    return this.nowAnswering === null ? null : this.questions.get(this.nowAnswering) || null;
  }

  popular() {
    return this.byStatus('approved').sort((a, b) => this.tally(b.id) - this.tally(a.id) || a.asked_at - b.asked_at || a.id - b.id);
  }

  recent() {
    return this.byStatus('approved').sort((a, b) => b.asked_at - a.asked_at || b.id - a.id);
  }

  /**
   * Up next exactly as the moderator queued it, and nothing else: the screen and
   * the panel show what the moderator's own "up next" list shows.
   */
  next(count) {
    const queued = this.upNext.map((id) => this.questions.get(id)).filter((q) => q && q.status === 'approved' && q.id !== this.nowAnswering);
    return queued.slice(0, count);
  }
}
