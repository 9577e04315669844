//! The async shell around a dialogue's single writer (`core.rs`): it drains the
//! inbox, runs the timers, and performs the store and bus operations the core
//! asks for, feeding each result back. All decisions are the core's.

use super::core::{DialogueCore, Input, Io, Join, ReadFailure, Submission};
use super::core::{LIVE_SLICES, PING_SLICES};
use super::{HubSettings, stored};
use crate::bus::{Bus, Withdrawal};
use crate::domain::{Audience, Dialogue};
use crate::protocol::receipt::{RECEIPT_ALPHABET, RECEIPT_LEN};
use crate::protocol::{CloseCode, Frame};
use crate::store::{Batch, DialogueRecord, Store, StoreError, StoredEvent};
use std::ops::ControlFlow;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot};

// Submissions are nearly every request; boxing them would allocate once per message.
#[allow(clippy::large_enum_variant)]
pub enum Request {
    Submit(Submission),
    Join(Join),
    Leave(super::ConnId),
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

/// Requests taken from the inbox in one go share one commit.
const MAX_BATCH: usize = 4096;

pub struct DialogueTask {
    core: DialogueCore,
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    settings: HubSettings,
    /// This node's own news of withdrawn credentials (the revocation watcher's).
    withdrawn: broadcast::Sender<Withdrawal>,
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
        record: DialogueRecord,
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        settings: HubSettings,
        withdrawn: broadcast::Sender<Withdrawal>,
    ) -> Result<DialogueTask, StoreError> {
        let mut loaded = stored::load(record, &settings)?;
        loaded.dialogue.pending_caps = settings.pending_caps;
        Ok(DialogueTask {
            core: DialogueCore::new(loaded, settings.clone())?,
            store,
            bus,
            settings,
            withdrawn,
        })
    }

    /// The read model the dialogue's public pages are rendered from.
    pub fn public_view(&self) -> Arc<super::PublicView> {
        self.core.public_view()
    }

    pub async fn run(mut self, mut inbox: mpsc::Receiver<Request>) {
        let kept = self.core.peak();
        let mut live_tick = tokio::time::interval(self.settings.live_interval / LIVE_SLICES as u32);
        live_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Each connection is pinged once per interval, a slice of them per tick.
        let mut ping_tick = tokio::time::interval(self.settings.ping_interval / PING_SLICES as u32);
        ping_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Grows with the batches that come, up to MAX_BATCH: reserving all of it
        // for every dialogue took about a MiB each, and the allocator kept what
        // thousands of short-lived dialogues had taken (measured: 137 MiB of heap
        // mapped after 2,000 meetings, 9 MiB without).
        let mut batch = Vec::new();
        // Whether the dialogue was idle at the last look: it leaves memory when it
        // still is one look later, so it has had no connection and no request for
        // at least `idle_unload`.
        let mut idle_tick = tokio::time::interval(self.settings.idle_unload);
        idle_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        idle_tick.tick().await;
        let mut was_idle = false;
        loop {
            tokio::select! {
                n = inbox.recv_many(&mut batch, MAX_BATCH) => {
                    if n == 0 {
                        break; // every handle is gone: the registry shut down
                    }
                    // The head poll wakes every dialogue each second: not a use.
                    if batch.iter().any(|r| !matches!(r, Request::Wake { .. } | Request::Leave(_))) {
                        was_idle = false;
                    }
                    if self.handle(&mut batch).await.is_break() {
                        break;
                    }
                }
                _ = idle_tick.tick() => {
                    let idle = self.core.is_idle();
                    // The registry sees the closed inbox and loads the dialogue
                    // afresh on its next use. A request that raced in is dropped
                    // with the inbox: a join is told to reconnect (1012).
                    if idle && was_idle && inbox.is_empty() {
                        inbox.close();
                        break;
                    }
                    was_idle = idle;
                }
                _ = live_tick.tick() => {
                    self.core.tick_clock(now_ms());
                    self.core.tick_live();
                    self.perform().await;
                }
                _ = ping_tick.tick() => self.core.tick_ping(),
            }
        }
        // Leaving memory (idle, or the server stops): the store keeps the
        // attendance peak, so the record written on closing still has it.
        let peak = self.core.peak();
        if peak != kept {
            let id = self.core.dialogue().id;
            if let Err(e) = self.store.keep_attendance_peak(id, peak).await {
                tracing::warn!(dialogue = %id, error = %e, "the attendance peak was not kept");
            }
        }
    }

    /// Handles what was drained from the inbox: submissions share one commit.
    async fn handle(&mut self, batch: &mut Vec<Request>) -> ControlFlow<()> {
        let mut submissions = Vec::new();
        for req in batch.drain(..) {
            let other = match req {
                Request::Submit(s) => {
                    submissions.push(s);
                    continue;
                }
                other => other,
            };
            // Keep order: what came before a join is committed before it.
            self.submit(std::mem::take(&mut submissions)).await;
            match other {
                Request::Join(j) => {
                    // Its room code (screen and staff) is the one of now.
                    self.core.tick_clock(now_ms());
                    self.core.join(j)
                }
                Request::Leave(conn) => self.core.leave(conn),
                Request::View { audience, reply } => {
                    if let Some(frame) = self.core.view(audience) {
                        let _ = reply.send(frame);
                    }
                }
                Request::Read(read) => {
                    if let Some(dialogue) = self.core.fresh_dialogue() {
                        read(dialogue);
                    }
                }
                Request::Wake {
                    head,
                    votes_version,
                } => {
                    let known = self.core.dialogue().head_seq;
                    if head > known || self.core.fresh_dialogue().is_none() {
                        crate::telemetry::bus_lag(head.saturating_sub(known));
                    }
                    self.core.wake(head, votes_version);
                }
                Request::Shutdown(code) => {
                    self.core.shutdown(code);
                    return ControlFlow::Break(());
                }
                Request::Submit(_) => unreachable!("handled above"),
            }
            self.perform().await;
        }
        self.submit(submissions).await;
        ControlFlow::Continue(())
    }

    async fn submit(&mut self, submissions: Vec<Submission>) {
        if submissions.is_empty() {
            return;
        }
        // Randomness comes from here, as values: one receipt secret per new
        // question. A batch of votes opens none and needs no list at all.
        let secrets = if submissions.iter().any(|s| s.command.opens_question()) {
            submissions
                .iter()
                .map(|s| s.command.opens_question().then(new_receipt))
                .collect()
        } else {
            Vec::new()
        };
        self.core.submit(submissions, secrets, now_ms());
        self.perform().await;
    }

    /// Performs what the core asks for, one operation at a time, until it asks for nothing.
    async fn perform(&mut self) {
        let id = self.core.dialogue().id;
        while let Some(io) = self.core.poll_io() {
            let input = match io {
                Io::Publish(wake) => {
                    self.bus.publish(wake).await;
                    continue;
                }
                Io::Append { head } => {
                    let staged = self.core.staged().expect("an append has a staged batch");
                    // The one place where decided events become stored ones.
                    let events: Vec<StoredEvent> =
                        staged.records.iter().map(crate::log::encode).collect();
                    let batch = Batch {
                        events: &events,
                        votes: &staged.votes,
                        answers: &staged.answers,
                        acks: &staged.saved,
                    };
                    let started = std::time::Instant::now();
                    let appended = self.store.append(id, head, batch).await;
                    let closed = if appended.is_ok() {
                        let took = started.elapsed();
                        crate::telemetry::committed(staged.submissions(), events.len(), took);
                        security_events(id, &staged.records)
                    } else {
                        None
                    };
                    if let Some(head) = closed {
                        // Its invitees' sessions end with it (past the grace):
                        // every node looks at its sockets now, this one too.
                        let closed = Withdrawal::Closed { dialogue: id, head };
                        let _ = self.withdrawn.send(closed.clone());
                        self.bus.withdraw(closed).await;
                    }
                    Input::Appended(appended)
                }
                Io::SavedAcks(keys) => Input::SavedAcks(self.store.saved_acks(id, &keys).await),
                Io::Head => Input::Head(
                    self.store
                        .heads(&[id])
                        .await
                        .map(|heads| heads.first().map(|(_, h)| h.seq)),
                ),
                Io::Backoff { max_ms } => {
                    let jitter = rand::random_range(0..=max_ms);
                    tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
                    Input::Waited
                }
                Io::Load => Input::Loaded(match self.store.load(id).await {
                    Ok(Some(record)) => stored::load(record, &self.settings)
                        .map(|mut loaded| {
                            loaded.dialogue.pending_caps = self.settings.pending_caps;
                            Box::new(loaded)
                        })
                        .map_err(ReadFailure::Unreadable),
                    Ok(None) => Err(ReadFailure::Store(StoreError::NotFound)),
                    Err(e) => Err(ReadFailure::Store(e)),
                }),
                Io::EventsAfter(head) => {
                    Input::EventsAfter(match self.store.events_after(id, head).await {
                        Ok(events) => events
                            .iter()
                            .map(stored::decode)
                            .collect::<Result<_, _>>()
                            .map_err(ReadFailure::Unreadable),
                        Err(e) => Err(ReadFailure::Store(e)),
                    })
                }
                Io::Votes => {
                    let answers = self.store.poll_answers(id).await;
                    let votes = self.store.votes(id).await;
                    Input::Votes(votes.and_then(|v| answers.map(|a| (v, a))))
                }
            };
            self.core.handle(input, now_ms());
        }
    }
}

/// Logs the security events among committed events (bans, in the shape of
/// `identity::security`'s; their audit rows were written with them), and
/// returns the `seq` of a close of the dialogue, if the batch closed it.
fn security_events(
    id: crate::domain::DialogueId,
    records: &[crate::domain::Recorded],
) -> Option<u64> {
    use crate::domain::{Event, Phase};
    let mut closed = None;
    for r in records {
        match &r.event {
            Event::ParticipantBanned { participant } => tracing::info!(
                security = "banned",
                actor_role = r.by.role().as_str(),
                actor = %r.by.id(),
                dialogue = ?Some(id),
                target = format!("participant:{participant}").as_str(),
                detail = "",
                "security event"
            ),
            Event::PhaseChanged {
                to: Phase::Closed, ..
            } => closed = Some(r.seq),
            _ => {}
        }
    }
    closed
}
