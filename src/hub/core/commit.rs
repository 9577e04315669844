//! Group commit: a batch of submissions decided on fresh state, appended with
//! the head it was decided on (compare-and-set), acked only after the commit.

use super::stage::Staged;
use super::{DialogueCore, Io, MAX_CONFLICT_RETRIES, Submission, Work};
use crate::bus::Wake;
use crate::hub::fanout::Logged;
use crate::protocol::{AckWire, ErrorCode, ErrorWire};
use crate::store::{SavedAck, StoreError};
use std::sync::Arc;
use uuid::Uuid;

/// A batch on its way to the store.
pub(super) struct Commit {
    submissions: Vec<Submission>,
    secrets: Vec<Option<String>>,
    pub(super) staged: Staged,
    /// The head the batch was decided on.
    head: u64,
    attempt: usize,
    /// What to do once the state is fresh again (after a catch-up or reload).
    then: Then,
    /// The store already holds one of these keys (the cache had let it go, or
    /// another node saved it): read the saved acks before deciding again.
    look_up: bool,
    /// The `Io::SavedAcks` out is that look-up (not the one after refusals).
    looking_up: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Then {
    DecideAgain,
    /// The store failed the append: nothing was saved, say so.
    Fail,
}

impl DialogueCore {
    pub(super) fn start_commit(
        &mut self,
        submissions: Vec<Submission>,
        secrets: Vec<Option<String>>,
    ) {
        let commit = Commit {
            submissions,
            secrets,
            staged: Staged::default(),
            head: self.dialogue.head_seq,
            attempt: 0,
            then: Then::DecideAgain,
            look_up: false,
            looking_up: false,
        };
        if self.stale.is_some() {
            self.work = Some(Work::Commit(commit));
            self.catch_up();
        } else {
            self.decide(commit);
        }
    }

    /// Decides every submission on the state as it is now (the earlier ones of
    /// the batch applied), then asks for what the decision needs next.
    fn decide(&mut self, mut c: Commit) {
        if std::mem::take(&mut c.look_up) {
            let mut keys: Vec<_> = c
                .submissions
                .iter()
                .map(key_of)
                .filter(|k| !self.acks.contains(k))
                .collect();
            keys.dedup();
            if !keys.is_empty() {
                c.looking_up = true;
                self.io = Some(Io::SavedAcks(keys));
                self.work = Some(Work::Commit(c));
                return;
            }
        }
        c.head = self.dialogue.head_seq;
        c.staged = self.stage(&c.submissions, &c.secrets);
        if c.staged.refused > 0 {
            // A refused submission may be a retry of one that another node
            // committed (its ack is in the store, not in this node's memory; the
            // state it would change has moved on, hence the refusal).
            let keys = c
                .submissions
                .iter()
                .zip(&c.staged.outcomes)
                .filter(|(_, o)| o.is_err())
                .map(|(s, _)| (s.actor.id(), s.key.as_str().to_string()))
                .collect();
            self.io = Some(Io::SavedAcks(keys));
            self.work = Some(Work::Commit(c));
            return;
        }
        self.append_or_answer(c);
    }

    /// After a catch-up or reload that a commit waited for.
    pub(super) fn decide_again(&mut self, c: Commit) {
        if c.then == Then::Fail || self.stale.is_some() {
            self.answer_unavailable(c.submissions);
        } else {
            self.decide(c);
        }
    }

    /// Such a retry gets its original ack.
    pub(super) fn saved_acks_found(&mut self, found: Result<Vec<SavedAck>, StoreError>) {
        let Some(Work::Commit(mut c)) = self.work.take() else {
            return;
        };
        // If the store did not answer, the refusal stands; a retry asks again.
        let looked_up = std::mem::take(&mut c.looking_up);
        for a in found.unwrap_or_default() {
            let Ok(ack) = serde_json::from_str::<AckWire>(&a.ack) else {
                continue;
            };
            if looked_up {
                // Decided below with these in the cache: answered as retries.
                self.acks.insert((a.actor_id, a.client_msg_id), ack);
                continue;
            }
            for (sub, outcome) in c.submissions.iter().zip(c.staged.outcomes.iter_mut()) {
                if outcome.is_err()
                    && sub.actor.id() == a.actor_id
                    && sub.key.as_str() == a.client_msg_id
                {
                    *outcome = Ok(ack.clone());
                }
            }
            self.acks.insert((a.actor_id, a.client_msg_id), ack);
        }
        if looked_up {
            return self.decide(c);
        }
        // A refusal decided on a state another node has moved past (its wake not
        // here yet) is no answer: look at the store's head, and if it moved, catch
        // up and decide again.
        let refused = c.staged.outcomes.iter().any(Result::is_err);
        if refused && c.attempt < MAX_CONFLICT_RETRIES {
            self.io = Some(Io::Head);
            self.work = Some(Work::Commit(c));
        } else {
            self.append_or_answer(c);
        }
    }

    pub(super) fn store_head_read(&mut self, head: Result<Option<u64>, StoreError>) {
        let Some(Work::Commit(mut c)) = self.work.take() else {
            return;
        };
        if head.is_ok_and(|h| h.is_some_and(|h| h > c.head)) {
            c.attempt += 1;
            c.then = Then::DecideAgain;
            let decided_on = c.head;
            self.work = Some(Work::Commit(c));
            self.reload(decided_on);
        } else {
            self.append_or_answer(c);
        }
    }

    fn append_or_answer(&mut self, c: Commit) {
        if c.staged.saved.is_empty() {
            // Nothing to write: retries and refusals only.
            let Commit {
                submissions,
                staged,
                ..
            } = c;
            return self.answer(submissions, staged.outcomes, Vec::new());
        }
        self.io = Some(Io::Append { head: c.head });
        self.work = Some(Work::Commit(c));
    }

    pub(super) fn appended(&mut self, result: Result<u64, StoreError>) {
        let Some(Work::Commit(mut c)) = self.work.take() else {
            return;
        };
        match result {
            Ok(votes_version) => self.committed(c, votes_version),
            // Another node appended first, or already saved one of these
            // submissions (a client retrying on this node what it sent to
            // another): take its events and saved acks, then decide again. The
            // retried submission then finds its original ack.
            Err(e @ (StoreError::Conflict { .. } | StoreError::Duplicate))
                if c.attempt < MAX_CONFLICT_RETRIES =>
            {
                c.attempt += 1;
                c.look_up |= matches!(e, StoreError::Duplicate);
                self.io = Some(Io::Backoff {
                    max_ms: c.attempt.min(10) as u64,
                });
                self.work = Some(Work::Commit(c));
            }
            Err(e) => {
                crate::telemetry::store_failed("append");
                tracing::error!(dialogue = %self.dialogue.id, error = %e, "append failed; nothing acknowledged");
                c.then = Then::Fail;
                let decided_on = c.head;
                self.work = Some(Work::Commit(c));
                self.reload(decided_on);
            }
        }
    }

    pub(super) fn waited(&mut self) {
        if let Some(Work::Commit(c)) = &self.work {
            let decided_on = c.head;
            self.reload(decided_on);
        }
    }

    /// The batch is in the store: ack, fan out, tell the other nodes.
    fn committed(&mut self, c: Commit, votes_version: u64) {
        let Commit {
            submissions,
            staged,
            ..
        } = c;
        let own_change = u64::from(!staged.votes.is_empty() || !staged.answers.is_empty());
        // Only this commit changed votes since the last known version: the votes in
        // memory are the store's. Otherwise another node's votes came in between,
        // and the version stays behind the store's.
        if votes_version == self.votes_version + own_change {
            self.votes_version = votes_version;
        }
        self.store_votes_version = self.store_votes_version.max(votes_version);
        // Tallies may have changed (votes, merges, polls): refresh them at the next tick.
        self.live.dirty |= own_change == 1 || staged.records.iter().any(|r| r.event.changes_live());
        for (key, ack) in staged.new_acks {
            self.acks.insert(key, ack);
        }
        let logged = staged
            .records
            .iter()
            .zip(&staged.bodies)
            .map(|(rec, body)| Arc::new(Logged::encode_body(&self.dialogue, rec, body)))
            .collect();
        // Before the acks: a client that has its ack reads a page at least this new.
        if !staged.records.is_empty() {
            self.public.events_changed();
        }
        if own_change == 1 {
            self.public.votes_changed();
        }
        self.answer(submissions, staged.outcomes, logged);
        self.io = Some(Io::Publish(Wake {
            dialogue: self.dialogue.id,
            head: self.dialogue.head_seq,
            votes_version,
        }));
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
}

/// The key a submission's ack is saved under.
pub(super) fn key_of(sub: &Submission) -> (Uuid, String) {
    (sub.actor.id(), sub.key.as_str().to_string())
}
