//! The single writer of one dialogue as a state machine without I/O (after
//! quinn-proto and str0m): inputs in, effects out, time and randomness as values.
//!
//! The shell (`hub/task.rs`) hands it what happened — a batch of submissions, a
//! join, a leave, a wake from another node, a tick of the live or ping timer —
//! and performs the one store or bus operation it asks for next (`Io`, taken with
//! `poll_io`), feeding the result back (`handle`). While an operation is out,
//! nothing else comes in: the shell drives each input to its end first.
//!
//! Acks, events and tallies leave through memory queues the core writes
//! directly: each submission's reply and each member's outbox (drained by its
//! connection), so an encoded frame is shared by reference, never copied.
//!
//! The promises it holds, each with a unit test in `tests/`: acks only after
//! the commit; a retry gets its saved ack, never a second effect; a lost
//! compare-and-set is decided again on fresh state; a failed commit changes
//! nothing anyone sees and fails its batch as `unavailable`; a batch's events get
//! gap-free `seq`; tallies are coalesced; a resume inside the replay window gets
//! exactly what it missed, otherwise `recovered: false` and a snapshot.

mod acks;
mod commit;
mod members;
mod stage;
#[cfg(test)]
mod tests;

pub use stage::Staged;

use super::HubSettings;
use super::Reply;
use super::fanout::{ConnId, Fanout, Logged};
use super::outbox::Outbox;
use crate::bus::Wake;
use crate::domain::{
    Actor, Attendance, Audience, Command, Dialogue, Location, PollAnswer, PollId, QuestionId,
    Recorded, Timestamp, VoteChange,
};
use crate::protocol::{ClientMsgId, CloseCode, Frame, Position};
use crate::store::{SavedAck, StoreError, StoredAnswer, StoredVote};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::oneshot;
use uuid::Uuid;

/// Pings go out to one in this many connections at a time.
pub const PING_SLICES: u64 = 20;
/// Tallies go out to one in this many connections at a time, a slice per tenth of
/// the live interval: each connection still gets at most one `live` per interval,
/// and the writes of a tally update are spread over the interval instead of
/// coming as one write per participant at once, which queued the acks behind them.
pub const LIVE_SLICES: u64 = 10;
/// Compare-and-set retries when other nodes keep appending first. Several nodes
/// taking questions for one dialogue at once lose races often; each retry waits a
/// little, at random, so they stop moving in lockstep.
const MAX_CONFLICT_RETRIES: usize = 32;

/// A submission: something an actor asks the dialogue to do, with its idempotency key.
pub struct Submission {
    pub actor: Actor,
    /// The actor's token marks it a burst identity (`Context::burst`).
    pub burst: bool,
    pub key: ClientMsgId,
    pub command: Command,
    pub reply: Reply,
}

/// A connection asking to follow the dialogue.
pub struct Join {
    pub conn: ConnId,
    pub actor: Actor,
    pub location: Location,
    pub resume: Option<Position>,
    pub outbox: Arc<Outbox>,
    pub reply: oneshot::Sender<Result<(), CloseCode>>,
}

/// A dialogue as read from the store, decoded: the state and its log. Saved
/// acks are not loaded: a retry the bounded cache does not hold is answered
/// from the store (`commit.rs`).
#[derive(Debug)]
pub struct Loaded {
    pub dialogue: Dialogue,
    pub log: Vec<Recorded>,
    /// The attendance peak kept while the dialogue was out of memory.
    pub peak: Attendance,
    /// The votes version the votes and poll answers in `dialogue` are at least as new as.
    pub votes_version: u64,
}

/// Why a read from the store gave nothing to use.
#[derive(Debug)]
pub enum ReadFailure {
    /// The store did not answer (or has no such dialogue): try again later.
    Store(StoreError),
    /// What the store holds cannot be read as a log.
    Unreadable(StoreError),
}

/// The one store or bus operation the core needs next. Each but `Publish` is
/// answered by the `Input` of the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Io {
    /// Append the staged batch (`DialogueCore::staged`) decided on `head`, in one transaction.
    Append { head: u64 },
    /// Read the acks saved under these (actor, client_msg_id) keys.
    SavedAcks(Vec<(Uuid, String)>),
    /// Read where the dialogue's log stands in the store.
    Head,
    /// Wait a random time of at most this many milliseconds.
    Backoff { max_ms: u64 },
    /// Read the whole dialogue afresh.
    Load,
    /// Read the events after this `seq`.
    EventsAfter(u64),
    /// Read the votes and poll answers.
    Votes,
    /// Tell the other nodes where the log and the votes stand now (no answer).
    Publish(Wake),
}

/// The outcome of an `Io`, fed back with `DialogueCore::handle`.
#[derive(Debug)]
pub enum Input {
    /// The store's votes version after the commit, or why nothing was written.
    Appended(Result<u64, StoreError>),
    SavedAcks(Result<Vec<SavedAck>, StoreError>),
    /// The `seq` of the store's head (`None`: the store does not know the dialogue).
    Head(Result<Option<u64>, StoreError>),
    Waited,
    /// Boxed: a whole dialogue, and rare.
    Loaded(Result<Box<Loaded>, ReadFailure>),
    EventsAfter(Result<Vec<Recorded>, ReadFailure>),
    /// Votes that are on and poll answers held, as the store holds them.
    Votes(Result<StoredVotes, StoreError>),
}

/// Votes that are on and poll answers, as the store holds them.
pub type StoredVotes = (Vec<StoredVote>, Vec<StoredAnswer>);

/// What the core is in the middle of while an `Io` is out.
enum Work {
    Commit(commit::Commit),
    /// A join waiting for this node to catch up with the log first.
    Join(Join),
    /// Catching up after a wake.
    Wake,
    /// Reading votes another node changed, then sending the tallies.
    Live,
}

/// The latest tallies and presence and how far they went out.
struct Live {
    version: u64,
    dirty: bool,
    /// Live ticks so far (LIVE_SLICES per live interval).
    ticks: u64,
    /// Slices still to get the latest live frames.
    slices_left: u64,
    /// The latest tallies for staff and for the public (poll results differ).
    frames: (Frame, Frame),
}

pub struct DialogueCore {
    dialogue: Dialogue,
    /// The ack each recent committed submission got, by (actor, client_msg_id).
    acks: acks::AckCache,
    fanout: Fanout,
    snapshots: HashMap<Audience, (u64, Frame)>,
    live: Live,
    ping_slice: u64,
    settings: HubSettings,
    /// Set when the store failed and the state could not be rebuilt: the head the
    /// members have seen. The state in memory may hold a batch that was never
    /// committed, so nothing is decided or shown from it until a reload succeeds.
    stale: Option<u64>,
    /// The store's votes version that the votes in memory are at least as new as.
    votes_version: u64,
    /// The highest votes version the store is known to have (own commits and
    /// wakes). Above `votes_version`, another node changed votes: reload them
    /// before the next tally goes out.
    store_votes_version: u64,
    /// The most present at once (this node's connections), recorded on closing;
    /// kept in the store while the dialogue is out of memory.
    peak: Attendance,
    /// The time of the latest input that carried one.
    now: Timestamp,
    /// The room code's time window the screen and staff were last sent.
    room_window: i64,
    work: Option<Work>,
    io: Option<Io>,
    /// While a catch-up or reload is out: the head the members had seen before it.
    reading_from: u64,
    /// Told of every change, so public readers know when their copy is behind.
    public: Arc<super::PublicView>,
}

impl DialogueCore {
    pub fn new(loaded: Loaded, settings: HubSettings) -> Result<DialogueCore, StoreError> {
        let mut fanout = Fanout::new(settings.replay_window);
        let skip = loaded.log.len().saturating_sub(settings.replay_window);
        for rec in &loaded.log[skip..] {
            fanout.remember(Arc::new(Logged::encode(&loaded.dialogue, rec)));
        }
        let mut core = DialogueCore {
            dialogue: loaded.dialogue,
            acks: acks::AckCache::new(settings.acks_cached),
            fanout,
            snapshots: HashMap::new(),
            live: Live {
                version: 0,
                dirty: false,
                ticks: 0,
                slices_left: 0,
                frames: (Frame::from_static(""), Frame::from_static("")),
            },
            ping_slice: 0,
            settings,
            stale: None,
            votes_version: loaded.votes_version,
            store_votes_version: loaded.votes_version,
            peak: loaded.peak,
            now: 0,
            room_window: i64::MIN,
            work: None,
            io: None,
            reading_from: 0,
            public: Arc::default(),
        };
        core.encode_live();
        Ok(core)
    }

    pub fn dialogue(&self) -> &Dialogue {
        &self.dialogue
    }

    /// The read model public pages are rendered from (`hub/public_view.rs`).
    pub fn public_view(&self) -> Arc<super::PublicView> {
        self.public.clone()
    }

    /// The state, unless it may hold a batch that was never committed.
    pub fn fresh_dialogue(&self) -> Option<&Dialogue> {
        self.stale.is_none().then_some(&self.dialogue)
    }

    /// The operation to perform next, if any. Answer it with `handle`.
    pub fn poll_io(&mut self) -> Option<Io> {
        self.io.take()
    }

    /// The batch an `Io::Append` is to write.
    pub fn staged(&self) -> Option<&Staged> {
        match &self.work {
            Some(Work::Commit(c)) => Some(&c.staged),
            _ => None,
        }
    }

    /// Feeds back the outcome of the last `Io`, at time `now`.
    pub fn handle(&mut self, input: Input, now: Timestamp) {
        self.now = now;
        match input {
            Input::Loaded(loaded) => {
                self.reloaded(loaded);
                self.resume();
            }
            Input::EventsAfter(read) => {
                if self.caught_up(read) {
                    self.resume();
                }
            }
            Input::Votes(read) => {
                if let Ok((votes, answers)) = read {
                    self.set_votes(votes, answers);
                }
                self.work = None;
                self.send_live();
            }
            Input::Appended(result) => self.appended(result),
            Input::SavedAcks(found) => self.saved_acks_found(found),
            Input::Head(head) => self.store_head_read(head),
            Input::Waited => self.waited(),
        }
    }

    /// Submissions drained from the inbox together: decided in order, committed
    /// in one transaction. `secrets[i]` is the receipt secret (random, from the
    /// shell) for submission `i` if it opens a question; a shorter list (empty
    /// for a batch that opens none) means `None` for the rest.
    pub fn submit(
        &mut self,
        submissions: Vec<Submission>,
        secrets: Vec<Option<String>>,
        now: Timestamp,
    ) {
        self.now = now;
        if !submissions.is_empty() {
            self.start_commit(submissions, secrets);
        }
    }

    /// Another node appended up to `head` (or the poll of heads says so).
    pub fn wake(&mut self, head: u64, votes_version: u64) {
        self.store_votes_version = self.store_votes_version.max(votes_version);
        if head > self.dialogue.head_seq || self.stale.is_some() {
            self.work = Some(Work::Wake);
            self.catch_up();
        }
    }

    pub fn join(&mut self, j: Join) {
        // A client coming from another node may have seen more of the log than
        // this node has read yet: read it first, so it resumes instead of
        // starting over from a snapshot.
        let ahead = j
            .resume
            .is_some_and(|p| p.epoch == self.dialogue.epoch && p.seq > self.dialogue.head_seq);
        if ahead || self.stale.is_some() {
            self.work = Some(Work::Join(j));
            self.catch_up();
        } else {
            self.admit(j);
        }
    }

    pub fn leave(&mut self, conn: ConnId) {
        if self.fanout.members.remove(&conn).is_some() {
            self.live.dirty = true;
        }
    }

    /// The encoded snapshot for an audience, unless the state may be uncommitted.
    pub fn view(&mut self, audience: Audience) -> Option<Frame> {
        self.stale.is_none().then(|| self.snapshot(audience))
    }

    /// Nobody is connected and nothing is in flight, so the dialogue may leave
    /// memory (the log and the store hold all of it). Forgets members whose
    /// connection ended without its `leave` arriving.
    pub fn is_idle(&mut self) -> bool {
        self.fanout.members.retain(|_, m| !m.outbox.is_closed());
        self.fanout.members.is_empty() && self.work.is_none() && self.io.is_none()
    }

    /// The most present at once so far, for the store to keep while the
    /// dialogue is out of memory.
    pub fn peak(&mut self) -> Attendance {
        self.note_presence();
        self.peak
    }

    /// Tells every member to close with `code`.
    pub fn shutdown(&mut self, code: CloseCode) {
        self.fanout.close_all(code);
    }

    /// A tick of the ping timer: one slice of the members is pinged.
    pub fn tick_ping(&mut self) {
        self.fanout.ping_slice(self.ping_slice, PING_SLICES);
        self.ping_slice = (self.ping_slice + 1) % PING_SLICES;
    }

    /// A tick of the live timer (LIVE_SLICES per live interval). Tallies and
    /// presence go out a few times a second, not once per vote: a change is
    /// encoded at the next tick and reaches one slice of the members per tick, so
    /// every member has it within one live interval of that tick.
    pub fn tick_live(&mut self) {
        if self.stale.is_some() {
            return; // the state may hold an uncommitted batch
        }
        self.live.ticks += 1;
        if self.store_votes_version > self.votes_version && self.live.ticks % LIVE_SLICES == 0 {
            // Coalesced like the tallies: at most one read per interval, however
            // many vote commits other nodes made meanwhile.
            self.work = Some(Work::Live);
            self.io = Some(Io::Votes);
            return;
        }
        self.send_live();
    }

    /// Continues what waited for a catch-up or reload, now that it is done.
    fn resume(&mut self) {
        match self.work.take() {
            Some(Work::Commit(c)) => self.decide_again(c),
            Some(Work::Join(j)) => {
                if self.stale.is_some() {
                    let _ = j.reply.send(Err(CloseCode::Restarting));
                } else {
                    self.admit(j);
                }
            }
            Some(Work::Wake) | Some(Work::Live) | None => {}
        }
    }

    /// Reads the events other nodes appended since this node's head: a gap is
    /// filled by `seq` from the store, never skipped.
    fn catch_up(&mut self) {
        let head = self.dialogue.head_seq;
        if self.stale.is_some() {
            return self.reload(head);
        }
        self.reading_from = head;
        self.io = Some(Io::EventsAfter(head));
    }

    /// Applies and sends what a catch-up read; `false` if it needs a reload first.
    fn caught_up(&mut self, read: Result<Vec<Recorded>, ReadFailure>) -> bool {
        let head = self.reading_from;
        let records = match read {
            Ok(records) => records,
            Err(ReadFailure::Store(e)) => {
                // Nothing applied; the next wake or poll tries again.
                tracing::warn!(dialogue = %self.dialogue.id, error = %e, "catching up failed");
                return true;
            }
            Err(ReadFailure::Unreadable(_)) => {
                self.reload(head);
                return false;
            }
        };
        if records
            .iter()
            .enumerate()
            .any(|(i, r)| r.seq != head + 1 + i as u64)
        {
            self.reload(head);
            return false;
        }
        if records.is_empty() {
            return true;
        }
        self.snapshots.clear();
        // As on the writer (`committed`): an approval on another node needs no
        // new `live` to every member here.
        self.live.dirty |= records.iter().any(|r| r.event.changes_live());
        self.public.events_changed();
        // Encoded right after each event, as close as this node can get to the
        // writer's own encoding (after its batch), so every node shows the same.
        for rec in &records {
            self.dialogue.apply(rec);
            self.fanout
                .send(Arc::new(Logged::encode(&self.dialogue, rec)));
        }
        true
    }

    /// Rebuilds the state from the store after a failed or lost append, and sends
    /// members whatever other writers committed after `committed_head`.
    fn reload(&mut self, committed_head: u64) {
        // After an earlier failed reload, members have seen only up to then.
        self.reading_from = self.stale.unwrap_or(committed_head);
        self.io = Some(Io::Load);
    }

    fn reloaded(&mut self, loaded: Result<Box<Loaded>, ReadFailure>) {
        let committed_head = self.reading_from;
        let loaded = match loaded {
            Ok(loaded) => *loaded,
            Err(ReadFailure::Store(e)) => {
                // The store is down (or restarting). Members keep their connections and
                // get what they missed once a reload succeeds (next wake or poll).
                tracing::error!(dialogue = %self.dialogue.id, error = %e, "reload failed; waiting for the store");
                self.stale = Some(committed_head);
                return;
            }
            Err(ReadFailure::Unreadable(e)) => {
                self.stale = None;
                tracing::error!(dialogue = %self.dialogue.id, error = %e, "log unreadable");
                self.fanout.close_all(CloseCode::InternalError);
                return;
            }
        };
        self.stale = None;
        self.dialogue = loaded.dialogue;
        self.votes_version = loaded.votes_version;
        self.store_votes_version = self.store_votes_version.max(loaded.votes_version);
        self.peak.in_room = self.peak.in_room.max(loaded.peak.in_room);
        self.peak.remote = self.peak.remote.max(loaded.peak.remote);
        self.snapshots.clear();
        self.live.dirty = true;
        self.public.events_changed();
        self.public.votes_changed();
        for rec in loaded.log.iter().filter(|r| r.seq > committed_head) {
            self.fanout
                .send(Arc::new(Logged::encode(&self.dialogue, rec)));
        }
    }

    /// Replaces the votes and poll answers with what the store holds.
    fn set_votes(&mut self, votes: Vec<StoredVote>, answers: Vec<StoredAnswer>) {
        // The store had at least this version already, so what was read is at least as new.
        self.votes_version = self.store_votes_version;
        set_votes(&mut self.dialogue, votes, answers);
        self.live.dirty = true;
        self.public.votes_changed();
    }
}

/// Replaces a dialogue's votes and poll answers with the stored ones. Those a
/// burst identity gave flag it (`Dialogue::burst_identities`), as on the node
/// that decided them.
pub fn set_votes(dialogue: &mut Dialogue, votes: Vec<StoredVote>, answers: Vec<StoredAnswer>) {
    dialogue.votes.clear();
    for (question, participant, burst) in votes {
        dialogue.apply_vote(&VoteChange {
            question: QuestionId(question),
            participant,
            on: true,
            burst,
        });
    }
    dialogue.poll_answers.clear();
    for (poll, participant, choices, burst) in answers {
        dialogue.apply_answer(&PollAnswer {
            poll: PollId(poll),
            participant,
            choices,
            burst,
        });
    }
}
