//! The read model of a dialogue's public side: an immutable copy of the state,
//! shared by the public page, the record, the exports and the calendar files, so
//! a crowd of readers renders outside the dialogue's task and never queues
//! behind the live meeting's approvals and acks.
//!
//! The task only counts changes (two atomics, bumped before the acks of the
//! commit that made them go out, so a client that got its ack reads a copy at
//! least that new). A reader that finds the copy behind asks the task for a new
//! one; readers that come meanwhile wait for that one instead of asking again,
//! so the task copies the state at most once per change, however many read.

use crate::domain::Dialogue;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Tallies on a public page may be this old: a vote storm changes them many
/// times a second, and a copy per change would be a copy per request.
const VOTES_STALE: Duration = Duration::from_millis(250);

#[derive(Default)]
pub struct PublicView {
    /// Changes to the log (events applied), counted by the task.
    events: AtomicU64,
    /// Changes to votes and poll answers, counted by the task.
    votes: AtomicU64,
    copy: std::sync::Mutex<Option<Copy>>,
    /// Held by the one reader asking the task for a new copy.
    refreshing: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Copy {
    events: u64,
    votes: u64,
    made: Instant,
    dialogue: Arc<Dialogue>,
}

impl PublicView {
    /// The log moved (called by the task before the acks go out).
    pub fn events_changed(&self) {
        self.events.fetch_add(1, Ordering::Release);
    }

    /// Votes or poll answers changed.
    pub fn votes_changed(&self) {
        self.votes.fetch_add(1, Ordering::Release);
    }

    fn counts(&self) -> (u64, u64) {
        (
            self.events.load(Ordering::Acquire),
            self.votes.load(Ordering::Acquire),
        )
    }

    /// The copy, if it is new enough for a reader that comes now.
    fn current(&self, (events, votes): (u64, u64)) -> Option<Arc<Dialogue>> {
        // A std mutex: held for a clone of an Arc, never across an await.
        let copy = self.copy.lock().ok()?.clone()?;
        let fresh =
            copy.events == events && (copy.votes == votes || copy.made.elapsed() < VOTES_STALE);
        fresh.then_some(copy.dialogue)
    }

    /// The state as the public may read it, a copy at least as new as every
    /// change counted when it was called. `copy` asks the task for a new copy.
    pub async fn read<F, Fut>(&self, copy: F) -> Option<Arc<Dialogue>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Option<Arc<Dialogue>>>,
    {
        let counts = self.counts();
        if let Some(d) = self.current(counts) {
            return Some(d);
        }
        let _one = self.refreshing.lock().await;
        if let Some(d) = self.current(counts) {
            return Some(d); // another reader brought it meanwhile
        }
        // Counted before the copy is made, so the copy is at least this new.
        let (events, votes) = self.counts();
        let dialogue = copy().await?;
        if let Ok(mut slot) = self.copy.lock() {
            *slot = Some(Copy {
                events,
                votes,
                made: Instant::now(),
                dialogue: dialogue.clone(),
            });
        }
        Some(dialogue)
    }
}
