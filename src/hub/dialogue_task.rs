//! The single writer of one dialogue: decide, commit a batch, then ack and fan out.

use super::fanout::{ConnId, Fanout, Logged, Member};
use super::outbox::Outbox;
use super::{HubSettings, Reply};
use crate::bus::{Bus, Wake};
use crate::domain::{
    Actor, Attendance, Audience, Command, Dialogue, Event, Location, Phase, PollAnswer, PollId,
    Recorded, VoteChange,
};
use crate::protocol::receipt::{self, RECEIPT_ALPHABET, RECEIPT_LEN};
use crate::protocol::{
    self, AckWire, ClientMsgId, CloseCode, ErrorCode, ErrorWire, EventBody, Frame, LiveWire,
    Position, ServerMessage, Welcome,
};
use crate::store::{Batch, DialogueRecord, SavedAck, Store, StoreError, StoredEvent};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// A submission: something an actor asks the dialogue to do, with its idempotency key.
pub struct Submission {
    pub actor: Actor,
    pub key: ClientMsgId,
    pub command: Command,
    pub reply: Reply,
}

pub struct Join {
    pub conn: ConnId,
    pub actor: Actor,
    pub location: Location,
    pub resume: Option<Position>,
    pub outbox: Arc<Outbox>,
    pub reply: oneshot::Sender<Result<(), CloseCode>>,
}

// Submissions are nearly every request; boxing them would allocate once per message.
#[allow(clippy::large_enum_variant)]
pub enum Request {
    Submit(Submission),
    Join(Join),
    Leave(ConnId),
    /// The encoded snapshot for an audience (for REST reads).
    View {
        audience: Audience,
        reply: oneshot::Sender<Frame>,
    },
    /// Runs a read on the live state (records, calendar files, overviews).
    Read(Box<dyn FnOnce(&Dialogue) + Send>),
    /// Another node appended up to `head`: read what is missing from the store.
    Wake {
        head: u64,
        /// The votes version in the store: newer than this node's means another
        /// node changed votes (not in the log), so reload them.
        votes_version: u64,
    },
    Shutdown(CloseCode),
}

/// Pings go out to one in this many connections at a time.
const PING_SLICES: u64 = 20;
/// Tallies go out to one in this many connections at a time, a slice per tenth of
/// the live interval: each connection still gets at most one `live` per interval,
/// and the writes of a tally update are spread over the interval instead of
/// coming as one write per participant at once, which queued the acks behind them.
const LIVE_SLICES: u64 = 10;

/// Requests taken from the inbox in one go share one commit.
const MAX_BATCH: usize = 4096;
/// Compare-and-set retries when other nodes keep appending first. Several nodes
/// taking questions for one dialogue at once lose races often; each retry waits a
/// little, at random, so they stop moving in lockstep.
const MAX_CONFLICT_RETRIES: usize = 32;

pub struct DialogueTask {
    dialogue: Dialogue,
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    /// The ack each committed submission got, by (actor, client_msg_id).
    acks: HashMap<(Uuid, String), AckWire>,
    fanout: Fanout,
    snapshots: HashMap<Audience, (u64, Frame)>,
    live_version: u64,
    live_dirty: bool,
    /// Live ticks so far (LIVE_SLICES per live interval).
    live_ticks: u64,
    /// Slices still to get the latest live frames.
    live_slices_left: u64,
    /// The latest tallies for staff and for the public (poll results differ).
    live_frames: (Frame, Frame),
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
    /// The most present at once (this node's connections), recorded on closing.
    peak: Attendance,
}

/// Rebuilds a dialogue from its record: replaying the log gives the live state.
pub fn rebuild(record: &DialogueRecord) -> Result<(Dialogue, Vec<Recorded>), StoreError> {
    rebuild_with(record, &Default::default())
}

/// Rebuilds with the deployment's danger phrases, which mark questions and tips as they apply.
pub fn rebuild_with(
    record: &DialogueRecord,
    danger: &Arc<crate::domain::DangerPhrases>,
) -> Result<(Dialogue, Vec<Recorded>), StoreError> {
    let mut dialogue = Dialogue::new(record.id, record.code.clone(), record.epoch);
    dialogue.danger = danger.clone();
    let mut log = Vec::with_capacity(record.events.len());
    for stored in &record.events {
        let rec = decode_stored(stored)?;
        if rec.seq != dialogue.head_seq + 1 {
            return Err(StoreError::Config(format!(
                "gap in the log of {}: {} after {}",
                record.id, rec.seq, dialogue.head_seq
            )));
        }
        dialogue.apply(&rec);
        log.push(rec);
    }
    for (question, participant) in &record.votes {
        dialogue.apply_vote(&VoteChange {
            question: crate::domain::QuestionId(*question),
            participant: *participant,
            on: true,
        });
    }
    apply_answers(&mut dialogue, &record.poll_answers);
    Ok((dialogue, log))
}

fn apply_answers(dialogue: &mut Dialogue, answers: &[(u64, Uuid, Vec<u16>)]) {
    dialogue.poll_answers.clear();
    for (poll, participant, choices) in answers {
        dialogue.apply_answer(&PollAnswer {
            poll: PollId(*poll),
            participant: *participant,
            choices: choices.clone(),
        });
    }
}

fn decode_stored(stored: &StoredEvent) -> Result<Recorded, StoreError> {
    Ok(crate::log::decode(stored)?)
}

fn encode_stored(rec: &Recorded) -> (StoredEvent, EventBody) {
    (crate::log::encode(rec), EventBody::from(&rec.event))
}

/// A receipt's secret part, from the operating system's random source.
fn new_receipt() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..RECEIPT_LEN)
        .map(|_| RECEIPT_ALPHABET[rng.random_range(0..RECEIPT_ALPHABET.len())] as char)
        .collect()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl DialogueTask {
    pub fn new(
        record: &DialogueRecord,
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        settings: HubSettings,
    ) -> Result<DialogueTask, StoreError> {
        let (dialogue, log) = rebuild_with(record, &settings.danger_phrases)?;
        let mut fanout = Fanout::new(settings.replay_window);
        let skip = log.len().saturating_sub(settings.replay_window);
        for rec in &log[skip..] {
            fanout.remember(Arc::new(Logged::encode(&dialogue, rec)));
        }
        let mut task = DialogueTask {
            dialogue,
            store,
            bus,
            acks: HashMap::new(),
            fanout,
            snapshots: HashMap::new(),
            live_version: 0,
            live_dirty: false,
            live_ticks: 0,
            live_slices_left: 0,
            live_frames: (Frame::from_static(""), Frame::from_static("")),
            settings,
            stale: None,
            votes_version: record.votes_version,
            store_votes_version: record.votes_version,
            peak: Attendance::default(),
        };
        task.load_acks(record)?;
        task.encode_live();
        Ok(task)
    }

    fn load_acks(&mut self, record: &DialogueRecord) -> Result<(), StoreError> {
        self.acks.clear();
        for saved in &record.acks {
            let ack: AckWire = serde_json::from_str(&saved.ack)
                .map_err(|e| StoreError::Config(format!("unreadable ack: {e}")))?;
            self.acks
                .insert((saved.actor_id, saved.client_msg_id.clone()), ack);
        }
        Ok(())
    }

    pub async fn run(mut self, mut inbox: mpsc::Receiver<Request>) {
        let mut live_tick = tokio::time::interval(self.settings.live_interval / LIVE_SLICES as u32);
        live_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Each connection is pinged once per interval, a slice of them per tick.
        let mut ping_tick = tokio::time::interval(self.settings.ping_interval / PING_SLICES as u32);
        ping_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ping_slice = 0;
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            tokio::select! {
                n = inbox.recv_many(&mut batch, MAX_BATCH) => {
                    if n == 0 {
                        break; // every handle is gone: the registry shut down
                    }
                    if self.handle(&mut batch).await.is_break() {
                        break;
                    }
                }
                _ = live_tick.tick() => self.flush_live().await,
                _ = ping_tick.tick() => {
                    self.fanout.ping_slice(ping_slice, PING_SLICES);
                    ping_slice = (ping_slice + 1) % PING_SLICES;
                }
            }
        }
    }

    /// Handles what was drained from the inbox: submissions share one commit.
    async fn handle(&mut self, batch: &mut Vec<Request>) -> std::ops::ControlFlow<()> {
        let mut submissions = Vec::new();
        for req in batch.drain(..) {
            match req {
                Request::Submit(s) => submissions.push(s),
                other => {
                    // Keep order: what came before a join is committed before it.
                    self.commit(std::mem::take(&mut submissions)).await;
                    match other {
                        Request::Join(j) => {
                            // A client coming from another node may have seen more of
                            // the log than this node has read yet: read it first, so
                            // it resumes instead of starting over from a snapshot.
                            let ahead = j.resume.is_some_and(|p| {
                                p.epoch == self.dialogue.epoch && p.seq > self.dialogue.head_seq
                            });
                            if ahead || self.stale.is_some() {
                                self.catch_up().await;
                            }
                            if self.stale.is_some() {
                                let _ = j.reply.send(Err(CloseCode::Restarting));
                            } else {
                                self.join(j);
                            }
                        }
                        Request::Leave(conn) => {
                            if self.fanout.members.remove(&conn).is_some() {
                                self.live_dirty = true;
                            }
                        }
                        Request::View { audience, reply } => {
                            if self.stale.is_none() {
                                let _ = reply.send(self.snapshot(audience));
                            }
                        }
                        Request::Read(read) => {
                            if self.stale.is_none() {
                                read(&self.dialogue);
                            }
                        }
                        Request::Wake {
                            head,
                            votes_version,
                        } => {
                            if head > self.dialogue.head_seq || self.stale.is_some() {
                                crate::telemetry::bus_lag(
                                    head.saturating_sub(self.dialogue.head_seq),
                                );
                                self.catch_up().await;
                            }
                            self.store_votes_version = self.store_votes_version.max(votes_version);
                        }
                        Request::Shutdown(code) => {
                            self.fanout.close_all(code);
                            return std::ops::ControlFlow::Break(());
                        }
                        Request::Submit(_) => unreachable!("handled above"),
                    }
                }
            }
        }
        self.commit(submissions).await;
        std::ops::ControlFlow::Continue(())
    }

    /// Decides every submission on fresh state, commits them in one transaction,
    /// and only then acks and fans out.
    async fn commit(&mut self, submissions: Vec<Submission>) {
        if submissions.is_empty() {
            return;
        }
        if self.stale.is_some() {
            self.catch_up().await;
            if self.stale.is_some() {
                return self.answer_unavailable(submissions);
            }
        }
        let mut attempt = 0;
        loop {
            let head = self.dialogue.head_seq;
            let mut staged = self.stage(&submissions);
            if staged.refused > 0 {
                self.find_saved_acks(&submissions, &mut staged).await;
                // A refusal decided on a state another node has moved past (its
                // wake not here yet) is no answer: catch up and decide again.
                let refused = staged.outcomes.iter().any(Result::is_err);
                if refused && attempt < MAX_CONFLICT_RETRIES && self.store_is_ahead(head).await {
                    attempt += 1;
                    self.reload(head).await;
                    if self.stale.is_some() {
                        return self.answer_unavailable(submissions);
                    }
                    continue;
                }
            }
            if staged.is_empty() {
                return self.answer(submissions, staged.outcomes, Vec::new());
            }
            let batch = Batch {
                events: &staged.stored,
                votes: &staged.votes,
                answers: &staged.answers,
                acks: &staged.saved,
            };
            let own_change = u64::from(batch.changes_beside_log());
            let started = std::time::Instant::now();
            let result = self.store.append(self.dialogue.id, head, batch).await;
            match result {
                Ok(votes_version) => {
                    let took = started.elapsed();
                    crate::telemetry::committed(submissions.len(), staged.records.len(), took);
                    // Only this commit changed votes since the last known version: the
                    // votes in memory are the store's. Otherwise another node's votes
                    // came in between, and the version stays behind the store's.
                    if votes_version == self.votes_version + own_change {
                        self.votes_version = votes_version;
                    }
                    self.store_votes_version = self.store_votes_version.max(votes_version);
                    // Tallies may have changed (votes, merges, polls): refresh them at the next tick.
                    self.live_dirty |= !staged.votes.is_empty()
                        || !staged.answers.is_empty()
                        || staged.records.iter().any(|r| r.event.changes_live());
                    for (key, ack) in staged.new_acks {
                        self.acks.insert(key, ack);
                    }
                    let logged = staged
                        .records
                        .iter()
                        .zip(&staged.bodies)
                        .map(|(rec, body)| Arc::new(Logged::encode_body(&self.dialogue, rec, body)))
                        .collect();
                    self.answer(submissions, staged.outcomes, logged);
                    self.bus
                        .publish(Wake {
                            dialogue: self.dialogue.id,
                            head: self.dialogue.head_seq,
                            votes_version,
                        })
                        .await;
                    return;
                }
                // Another node appended first, or already saved one of these
                // submissions (a client retrying on this node what it sent to
                // another): take its events and saved acks, then decide again. The
                // retried submission then finds its original ack.
                Err(StoreError::Conflict { .. } | StoreError::Duplicate)
                    if attempt < MAX_CONFLICT_RETRIES =>
                {
                    attempt += 1;
                    let jitter = rand::random_range(0..=attempt.min(10) as u64);
                    tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
                    self.reload(head).await;
                    if self.stale.is_some() {
                        return self.answer_unavailable(submissions);
                    }
                }
                Err(e) => {
                    crate::telemetry::store_failed("append");
                    tracing::error!(dialogue = %self.dialogue.id, error = %e, "append failed; nothing acknowledged");
                    self.reload(head).await;
                    return self.answer_unavailable(submissions);
                }
            }
        }
    }

    async fn store_is_ahead(&self, head: u64) -> bool {
        match self.store.heads(&[self.dialogue.id]).await {
            Ok(heads) => heads.first().is_some_and(|(_, h)| h.seq > head),
            Err(_) => false,
        }
    }

    /// Nothing was saved: every submission hears so, and may retry with its key.
    fn answer_unavailable(&mut self, submissions: Vec<Submission>) {
        let outcomes = submissions
            .iter()
            .map(|s| {
                Err(ErrorWire::new(
                    ErrorCode::Unavailable,
                    "could not be saved; retry with the same client_msg_id",
                    Some(s.key.as_str().to_string()),
                ))
            })
            .collect();
        self.answer(submissions, outcomes, Vec::new());
    }

    /// A refused submission may be a retry of one that another node committed (its
    /// ack is in the store, not in this node's memory; the state it would change
    /// has moved on, hence the refusal): such a retry gets its original ack.
    async fn find_saved_acks(&mut self, submissions: &[Submission], staged: &mut Staged) {
        let keys: Vec<(Uuid, String)> = submissions
            .iter()
            .zip(&staged.outcomes)
            .filter(|(_, o)| o.is_err())
            .map(|(s, _)| (s.actor.id(), s.key.as_str().to_string()))
            .collect();
        let Ok(saved) = self.store.saved_acks(self.dialogue.id, &keys).await else {
            return; // the refusal stands; a retry asks again
        };
        for a in saved {
            let Ok(ack) = serde_json::from_str::<AckWire>(&a.ack) else {
                continue;
            };
            for (sub, outcome) in submissions.iter().zip(staged.outcomes.iter_mut()) {
                if outcome.is_err()
                    && sub.actor.id() == a.actor_id
                    && sub.key.as_str() == a.client_msg_id
                {
                    *outcome = Ok(ack.clone());
                }
            }
            self.acks.insert((a.actor_id, a.client_msg_id), ack);
        }
    }

    /// Decides each submission against the state as the ones before it left it.
    fn stage(&mut self, submissions: &[Submission]) -> Staged {
        let now = now_ms();
        let mut staged = Staged::default();
        for sub in submissions {
            let key = (sub.actor.id(), sub.key.as_str().to_string());
            if let Some(ack) = self.acks.get(&key).or_else(|| staged.new_acks.get(&key)) {
                // A retry: the same ack again, never a second effect.
                staged.outcomes.push(Ok(ack.clone()));
                continue;
            }
            match self.dialogue.decide(&sub.actor, sub.command.clone(), now) {
                Ok(decision) => {
                    let (mut question_id, mut poll_id, mut tip_id) = (None, None, None);
                    let mut receipt_code = None;
                    for mut event in decision.events {
                        match &mut event {
                            Event::QuestionAsked {
                                question, receipt, ..
                            } => {
                                question_id = Some(question.0);
                                let secret = new_receipt();
                                receipt_code = Some(receipt::full(&self.dialogue.code, &secret));
                                *receipt = Some(secret);
                            }
                            Event::PhaseChanged {
                                to: Phase::Closed,
                                attendance,
                            } => {
                                self.note_presence();
                                *attendance = Some(self.peak);
                            }
                            Event::PollCreated { poll, .. } => poll_id = Some(poll.0),
                            Event::TipSent { tip, .. } => tip_id = Some(tip.0),
                            _ => {}
                        }
                        let rec = Recorded {
                            seq: self.dialogue.head_seq + 1,
                            at: now,
                            by: sub.actor,
                            event,
                        };
                        self.dialogue.apply(&rec);
                        let (stored, body) = encode_stored(&rec);
                        staged.stored.push(stored);
                        staged.bodies.push(body);
                        staged.records.push(rec);
                    }
                    for vote in decision.votes {
                        self.dialogue.apply_vote(&vote);
                        staged.votes.push(vote);
                    }
                    for answer in decision.answers {
                        self.dialogue.apply_answer(&answer);
                        staged.answers.push(answer);
                    }
                    let ack = AckWire {
                        client_msg_id: key.1.clone(),
                        seq: (!sub.command.is_vote()).then_some(self.dialogue.head_seq),
                        question_id,
                        receipt: receipt_code,
                        poll_id,
                        tip_id,
                    };
                    staged.saved.push(SavedAck {
                        actor_id: key.0,
                        client_msg_id: key.1.clone(),
                        ack: serde_json::to_string(&ack).expect("ack serializes"),
                    });
                    staged.new_acks.insert(key, ack.clone());
                    staged.outcomes.push(Ok(ack));
                }
                Err(refusal) => {
                    staged.refused += 1;
                    let code = ErrorCode::from(&refusal);
                    staged.outcomes.push(Err(ErrorWire::new(
                        code,
                        refusal.to_string(),
                        Some(key.1),
                    )));
                }
            }
        }
        staged
    }

    /// Sends acks (first, so a client knows its question id when the event arrives), then the events.
    fn answer(
        &mut self,
        submissions: Vec<Submission>,
        outcomes: Vec<Result<AckWire, ErrorWire>>,
        logged: Vec<Arc<Logged>>,
    ) {
        for (sub, outcome) in submissions.into_iter().zip(outcomes) {
            sub.reply.send(outcome);
        }
        if !logged.is_empty() {
            self.snapshots.clear();
        }
        for l in logged {
            self.fanout.send(l);
        }
    }

    /// Rebuilds the state from the store after a failed or lost append, and sends
    /// members whatever other writers committed after `committed_head`.
    async fn reload(&mut self, committed_head: u64) {
        // After an earlier failed reload, members have seen only up to then.
        let committed_head = self.stale.unwrap_or(committed_head);
        let record = match self.store.load(self.dialogue.id).await {
            Ok(Some(record)) => record,
            other => {
                // The store is down (or restarting). Members keep their connections and
                // get what they missed once a reload succeeds (next wake or poll).
                tracing::error!(dialogue = %self.dialogue.id, ok = other.is_ok(), "reload failed; waiting for the store");
                self.stale = Some(committed_head);
                return;
            }
        };
        self.stale = None;
        match rebuild_with(&record, &self.settings.danger_phrases) {
            Ok((dialogue, log)) => {
                self.dialogue = dialogue;
                self.votes_version = record.votes_version;
                self.store_votes_version = self.store_votes_version.max(record.votes_version);
                if let Err(e) = self.load_acks(&record) {
                    tracing::error!(dialogue = %self.dialogue.id, error = %e, "acks unreadable");
                }
                self.snapshots.clear();
                self.live_dirty = true;
                for rec in log.iter().filter(|r| r.seq > committed_head) {
                    self.fanout
                        .send(Arc::new(Logged::encode(&self.dialogue, rec)));
                }
            }
            Err(e) => {
                tracing::error!(dialogue = %self.dialogue.id, error = %e, "log unreadable");
                self.fanout.close_all(CloseCode::InternalError);
            }
        }
    }

    /// Reads the events other nodes appended since this node's head, applies them and
    /// sends them on: a gap is filled by `seq` from the store, never skipped.
    async fn catch_up(&mut self) {
        let head = self.dialogue.head_seq;
        if self.stale.is_some() {
            return self.reload(head).await;
        }
        let stored = match self.store.events_after(self.dialogue.id, head).await {
            Ok(stored) => stored,
            Err(e) => {
                // Nothing applied; the next wake or poll tries again.
                tracing::warn!(dialogue = %self.dialogue.id, error = %e, "catching up failed");
                return;
            }
        };
        let mut records = Vec::with_capacity(stored.len());
        for (i, s) in stored.iter().enumerate() {
            match decode_stored(s) {
                Ok(rec) if rec.seq == head + 1 + i as u64 => records.push(rec),
                _ => return self.reload(head).await,
            }
        }
        if records.is_empty() {
            return;
        }
        self.snapshots.clear();
        self.live_dirty = true;
        // Encoded right after each event, as close as this node can get to the
        // writer's own encoding (after its batch), so every node shows the same.
        for rec in &records {
            self.dialogue.apply(rec);
            self.fanout
                .send(Arc::new(Logged::encode(&self.dialogue, rec)));
        }
    }

    fn join(&mut self, j: Join) {
        if let Actor::Participant(id) = j.actor {
            if self.dialogue.banned.contains(&id) {
                let _ = j.reply.send(Err(CloseCode::Banned));
                return;
            }
        }
        let public_reader = matches!(j.actor, Actor::Participant(_) | Actor::Screen(_));
        if public_reader && self.dialogue.phase == Phase::Draft {
            let _ = j.reply.send(Err(CloseCode::NotFound));
            return;
        }
        let audience = Audience::of(&j.actor);
        let head = self.dialogue.head_seq;
        let replay = j
            .resume
            .filter(|p| p.epoch == self.dialogue.epoch && p.seq <= head)
            .and_then(|p| self.fanout.replay(p.seq, head, &j.actor, audience))
            // A replay that would not fit the outbox is slower than a snapshot: send that instead.
            .filter(|frames| {
                frames.iter().map(|f| f.len()).sum::<usize>() <= j.outbox.capacity() / 2
            });
        let (mine, my_votes) = protocol::mine(&self.dialogue, &j.actor);
        let welcome = Welcome {
            v: protocol::PROTOCOL_VERSION,
            role: j.actor.role().into(),
            you: j.actor.id(),
            dialogue_id: self.dialogue.id,
            epoch: self.dialogue.epoch,
            seq: head,
            recovered: replay.is_some(),
            max_question_chars: self.settings.max_question_chars,
            mine,
            my_votes,
            my_answers: protocol::my_answers(&self.dialogue, &j.actor),
        };
        j.outbox
            .push_always(protocol::encode(&ServerMessage::Welcome(welcome)));
        let recovered = replay.is_some();
        match replay {
            Some(frames) => frames.into_iter().for_each(|f| j.outbox.push_always(f)),
            None => j.outbox.push_always(self.snapshot(audience)),
        }
        // A panelist allowed to read tips has no staff snapshot: the tips so far follow it.
        if !recovered && !j.actor.is_staff() && self.dialogue.reads_tips(&j.actor) {
            for tip in self.dialogue.tips.values() {
                let msg = protocol::TipMessage {
                    seq: head,
                    tip: protocol::TipWire::new(tip),
                };
                j.outbox
                    .push_always(protocol::encode(&ServerMessage::Tip(&msg)));
            }
        }
        j.outbox.set_live(match audience {
            Audience::Staff => self.live_frames.0.clone(),
            Audience::Public => self.live_frames.1.clone(),
        });
        if matches!(j.actor, Actor::Participant(_)) {
            self.live_dirty = true;
        }
        self.fanout.members.insert(
            j.conn,
            Member {
                actor: j.actor,
                audience,
                location: j.location,
                outbox: j.outbox,
                live_version: self.live_version,
            },
        );
        let _ = j.reply.send(Ok(()));
    }

    /// One snapshot encoding per audience, reused until the next event.
    fn snapshot(&mut self, audience: Audience) -> Frame {
        let head = self.dialogue.head_seq;
        if let Some((seq, frame)) = self.snapshots.get(&audience)
            && *seq == head
        {
            return frame.clone();
        }
        let frame = protocol::encode(&ServerMessage::Snapshot(protocol::snapshot(
            &self.dialogue,
            audience,
        )));
        self.snapshots.insert(audience, (head, frame.clone()));
        frame
    }

    /// Who is here now, kept as the peak for the record.
    fn note_presence(&mut self) -> protocol::Present {
        let present = self.fanout.present();
        self.peak.in_room = self.peak.in_room.max(present.in_room as u64);
        self.peak.remote = self.peak.remote.max(present.remote as u64);
        present
    }

    fn encode_live(&mut self) {
        self.live_version += 1;
        let present = self.note_presence();
        let encode = |audience| {
            let live = LiveWire::new(&self.dialogue, self.live_version, present, audience);
            protocol::encode(&ServerMessage::Live(&live))
        };
        self.live_frames = (encode(Audience::Staff), encode(Audience::Public));
    }

    /// Tallies and presence go out a few times a second, not once per vote: a
    /// change is encoded at the next tick and reaches one slice of the members per
    /// tick, so every member has it within one live interval of that tick.
    async fn flush_live(&mut self) {
        if self.stale.is_some() {
            return; // the state may hold an uncommitted batch
        }
        self.live_ticks += 1;
        if self.store_votes_version > self.votes_version && self.live_ticks % LIVE_SLICES == 0 {
            // Coalesced like the tallies: at most one read per interval, however
            // many vote commits other nodes made meanwhile. The store had at least
            // this version already, so what is read now is at least as new.
            let known = self.store_votes_version;
            let answers = self.store.poll_answers(self.dialogue.id).await;
            if let (Ok(votes), Ok(answers)) = (self.store.votes(self.dialogue.id).await, answers) {
                self.votes_version = known;
                apply_answers(&mut self.dialogue, &answers);
                self.dialogue.votes.clear();
                for (question, participant) in votes {
                    self.dialogue.apply_vote(&VoteChange {
                        question: crate::domain::QuestionId(question),
                        participant,
                        on: true,
                    });
                }
                self.live_dirty = true;
            }
        }
        if self.live_dirty {
            self.live_dirty = false;
            self.encode_live();
            self.live_slices_left = LIVE_SLICES;
        }
        if self.live_slices_left > 0 {
            self.live_slices_left -= 1;
            self.fanout.set_live_slice(
                (&self.live_frames.0, &self.live_frames.1),
                self.live_version,
                self.live_ticks % LIVE_SLICES,
                LIVE_SLICES,
            );
        }
    }
}

#[derive(Default)]
struct Staged {
    outcomes: Vec<Result<AckWire, ErrorWire>>,
    records: Vec<Recorded>,
    bodies: Vec<EventBody>,
    stored: Vec<StoredEvent>,
    votes: Vec<VoteChange>,
    answers: Vec<PollAnswer>,
    saved: Vec<SavedAck>,
    new_acks: HashMap<(Uuid, String), AckWire>,
    /// Submissions the dialogue refused (they may be retries another node committed).
    refused: usize,
}

impl Staged {
    fn is_empty(&self) -> bool {
        self.saved.is_empty()
    }
}
