//! Where dialogues are kept: the event log, votes beside it, and idempotency keys.
//!
//! One trait, two implementations on one SQL core: `sql.rs` writes every
//! transaction once, generic over a `Dialect`; `statements.rs` holds each
//! statement's text in both dialects; `sqlite.rs` and `postgres.rs` open their
//! backend and hold its batch statements; `group.rs` commits SQLite's appends
//! of many dialogues together. Every implementation passes the same
//! contract tests (`tests/it/store.rs`), one test per backend.

pub mod audit;
pub mod backup;
pub mod district;
mod group;
pub mod identity;
mod identity_statements;
pub mod mail;
mod mail_statements;
pub mod photos;
mod postgres;
mod sql;
mod sqlite;
mod statements;

pub use crate::log::StoredEvent;
pub use audit::{AuditEntry, AuditRow};
pub use district::{DistrictPost, DistrictStore};
pub use group::CommitCounts;
pub use identity::{IdentityStore, SessionPrincipal, SessionRecord, StaffRecord};
pub use mail::{MailAddress, MailStore};
pub use photos::{NewPhoto, PhotoRecord, PhotoStatus, PhotoStore};
pub use postgres::PostgresStore;
pub use sql::{Dialect, SqlStore};
pub use sqlite::SqliteStore;

use crate::domain::{Attendance, DialogueId, PollAnswer, VoteChange};
use async_trait::async_trait;
use std::sync::Arc;
use uuid::Uuid;

/// The ack a submission got, kept so a retry gets it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedAck {
    pub actor_id: Uuid,
    pub client_msg_id: String,
    /// The ack as JSON (`protocol::AckWire`).
    pub ack: String,
}

#[derive(Debug, Clone)]
pub struct NewDialogue {
    pub id: DialogueId,
    pub code: String,
    pub epoch: u64,
    pub created_at: i64,
    pub created_by: Uuid,
    /// The organizer's idempotency key: the same key gives back the same dialogue.
    pub idempotency_key: Option<String>,
    /// The district the dialogue belongs to.
    pub district: crate::domain::access::DistrictId,
    /// The dialogue's first event (its description), at seq 1.
    pub first: StoredEvent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    New,
    /// The organizer's idempotency key was used before, for this dialogue.
    Existing(DialogueId),
    /// The join code is taken; pick another.
    CodeTaken,
}

/// Everything needed to rebuild a dialogue exactly.
#[derive(Debug, Clone)]
pub struct DialogueRecord {
    pub id: DialogueId,
    pub code: String,
    pub epoch: u64,
    /// The votes version the votes and poll answers below are at least as new as.
    pub votes_version: u64,
    pub events: Vec<StoredEvent>,
    /// Votes that are on.
    pub votes: Vec<StoredVote>,
    pub acks: Vec<SavedAck>,
    pub poll_answers: Vec<StoredAnswer>,
    /// The most present at once so far, as kept while the dialogue was out of memory.
    pub peak: Attendance,
}

/// A vote that is on: (question, participant, set by a burst identity).
pub type StoredVote = (u64, Uuid, bool);

/// A poll answer held: (poll, participant, choices, given by a burst identity).
pub type StoredAnswer = (u64, Uuid, Vec<u16>, bool);

/// What one group commit writes, in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub events: &'a [StoredEvent],
    pub votes: &'a [VoteChange],
    /// Poll answers set (or, with no choices, withdrawn); beside the log like votes.
    pub answers: &'a [PollAnswer],
    pub acks: &'a [SavedAck],
}

impl Batch<'_> {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.votes.is_empty()
            && self.answers.is_empty()
            && self.acks.is_empty()
    }

    /// Whether the commit changes state that is not in the log (votes, poll answers).
    pub fn changes_beside_log(&self) -> bool {
        !self.votes.is_empty() || !self.answers.is_empty()
    }
}

/// The last answer of each (poll, participant) in a batch wins.
pub fn last_answer_wins(answers: &[PollAnswer]) -> Vec<&PollAnswer> {
    let mut last: Vec<&PollAnswer> = Vec::with_capacity(answers.len());
    let mut at: std::collections::HashMap<(u64, Uuid), usize> = std::collections::HashMap::new();
    for a in answers {
        match at.get(&(a.poll.0, a.participant)) {
            Some(&i) => last[i] = a,
            None => {
                at.insert((a.poll.0, a.participant), last.len());
                last.push(a);
            }
        }
    }
    last
}

/// Choices as stored: option indexes, comma-separated ("0,2").
pub(crate) fn choices_to_text(choices: &[u16]) -> String {
    choices
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn choices_from_text(text: &str) -> Result<Vec<u16>, StoreError> {
    text.split(',')
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<u16>()
                .map_err(|e| StoreError::Config(format!("bad poll answer: {e}")))
        })
        .collect()
}

/// A rewrite of a dialogue's stored record for retention or erasure, applied in
/// one transaction. Bumps the dialogue's epoch: the log was rebuilt.
#[derive(Debug, Clone, Default)]
pub struct Scrub {
    /// Events rewritten in place (same `seq`, new actor and body).
    pub rewrites: Vec<StoredEvent>,
    /// Participant ids replaced by pseudonyms in votes and poll answers: (old, new).
    pub pseudonyms: Vec<(Uuid, Uuid)>,
    /// Idempotency records of these participants are deleted.
    pub delete_submissions_of: Vec<Uuid>,
    /// Every idempotency record of the dialogue is deleted.
    pub delete_all_submissions: bool,
    /// Poll answer rows of these (closed) polls are deleted.
    pub delete_answers_of_polls: Vec<u64>,
}

impl Scrub {
    pub fn is_empty(&self) -> bool {
        self.rewrites.is_empty()
            && self.pseudonyms.is_empty()
            && self.delete_submissions_of.is_empty()
            && !self.delete_all_submissions
            && self.delete_answers_of_polls.is_empty()
    }
}

/// Where a dialogue's log and votes stand: what another node compares to notice a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Head {
    /// The `seq` of the last logged event.
    pub seq: u64,
    /// Bumped by every commit that changed votes (votes are not in the log).
    pub votes_version: u64,
    /// Changes when the log is rebuilt (a retention or erasure rewrite): a node
    /// holding the dialogue under an older epoch must load it afresh.
    pub epoch: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended first: the head is no longer what the batch was decided on.
    #[error("the log moved on: expected head {expected}, found {actual}")]
    Conflict { expected: u64, actual: u64 },
    /// A submission with one of the batch's idempotency keys is already saved: another
    /// node committed it first. Like `Conflict`, the log moved on; nothing was written.
    #[error("a submission with this idempotency key is already saved")]
    Duplicate,
    #[error("no such dialogue")]
    NotFound,
    #[error("store unavailable: {0}")]
    Unavailable(#[from] sqlx::Error),
    #[error("store misconfigured: {0}")]
    Config(String),
}

/// A row of the log that the codec cannot read: the store holds something this
/// build does not understand, which is no client's fault.
impl From<crate::log::LogError> for StoreError {
    fn from(e: crate::log::LogError) -> StoreError {
        StoreError::Config(e.to_string())
    }
}

#[async_trait]
pub trait Store:
    IdentityStore + MailStore + DistrictStore + PhotoStore + Send + Sync + 'static
{
    async fn create_dialogue(&self, d: &NewDialogue) -> Result<Created, StoreError>;
    async fn load(&self, id: DialogueId) -> Result<Option<DialogueRecord>, StoreError>;
    async fn find_code(&self, code: &str) -> Result<Option<DialogueId>, StoreError>;
    /// Dialogues created by this organizer, newest first.
    async fn list_dialogues(&self, created_by: Uuid) -> Result<Vec<DialogueId>, StoreError>;
    /// Appends a batch decided on `expected_head` in one transaction; `Conflict` if the
    /// head moved. Events must be numbered `expected_head + 1 …` without gaps.
    /// Returns the dialogue's votes version after the commit: one more than before
    /// if the batch changed votes or poll answers (`changes_beside_log`).
    async fn append(
        &self,
        dialogue: DialogueId,
        expected_head: u64,
        batch: Batch<'_>,
    ) -> Result<u64, StoreError>;
    /// Events after `seq`, in order (for catching up with other writers).
    async fn events_after(
        &self,
        dialogue: DialogueId,
        seq: u64,
    ) -> Result<Vec<StoredEvent>, StoreError>;
    /// Where each of these dialogues' logs and votes stand (unknown ids are left out).
    /// One query for all: every node polls the dialogues it serves with it.
    async fn heads(&self, dialogues: &[DialogueId]) -> Result<Vec<(DialogueId, Head)>, StoreError>;
    /// The saved acks of these (actor, client_msg_id) keys, where there are any.
    async fn saved_acks(
        &self,
        dialogue: DialogueId,
        keys: &[(Uuid, String)],
    ) -> Result<Vec<SavedAck>, StoreError>;
    /// The votes that are on.
    async fn votes(&self, dialogue: DialogueId) -> Result<Vec<StoredVote>, StoreError>;
    /// The poll answers held now.
    async fn poll_answers(&self, dialogue: DialogueId) -> Result<Vec<StoredAnswer>, StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
    /// Raises the attendance peak kept for the dialogue (never lowers it), so a
    /// dialogue unloaded from memory, or a restarted server, still knows it.
    async fn keep_attendance_peak(
        &self,
        dialogue: DialogueId,
        peak: Attendance,
    ) -> Result<(), StoreError>;
    /// Gives back the memory caches hold for data no longer in use (SQLite's
    /// page caches), after dialogues left memory.
    async fn release_memory(&self) {}
    /// Records an action that is not a logged event (an export, an erasure).
    async fn audit_append(
        &self,
        dialogue: DialogueId,
        entry: &AuditEntry,
    ) -> Result<(), StoreError>;
    /// The dialogue's audit trail, oldest first.
    async fn audit_entries(&self, dialogue: DialogueId) -> Result<Vec<AuditRow>, StoreError>;
    /// Applies a retention or erasure rewrite in one transaction.
    async fn scrub(&self, dialogue: DialogueId, scrub: &Scrub) -> Result<(), StoreError>;
    /// Moves the audit retention horizon forward to `before` (ms) and deletes the
    /// audit rows older than it; returns how many went.
    async fn purge_audit_before(&self, before: i64) -> Result<u64, StoreError>;
    /// Every dialogue's id (for the retention job).
    async fn dialogue_ids(&self) -> Result<Vec<DialogueId>, StoreError>;
    /// Closes the connections at shutdown (SQLite checkpoints its log into the file).
    async fn close(&self) {}
}

/// The last writer of each (question, participant) wins: a batch may set a vote on
/// and off again, and a store that writes "on" and "off" rows separately must not
/// reorder them.
pub fn last_vote_wins(votes: &[VoteChange]) -> Vec<VoteChange> {
    let mut last: Vec<VoteChange> = Vec::with_capacity(votes.len());
    let mut at: std::collections::HashMap<(u64, Uuid), usize> = std::collections::HashMap::new();
    for v in votes {
        match at.get(&(v.question.0, v.participant)) {
            Some(&i) => last[i] = *v,
            None => {
                at.insert((v.question.0, v.participant), last.len());
                last.push(*v);
            }
        }
    }
    last
}

/// A unique-key hit in an append can only be a saved idempotency key: the
/// compare-and-set already ruled out a clash in the log.
pub(crate) fn append_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate,
        _ => StoreError::Unavailable(e),
    }
}

/// Opens the store a URL names: `sqlite://path` (the embedded default) or
/// `postgres://…` (shared by several nodes).
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStore::open(url).await?))
    } else {
        Err(StoreError::Config(format!(
            "unsupported store URL scheme in {:?}",
            url.split(':').next().unwrap_or_default()
        )))
    }
}
