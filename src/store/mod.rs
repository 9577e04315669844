//! Where dialogues are kept: the event log, votes beside it, and idempotency keys.
//!
//! One trait, one file per implementation. Every implementation passes the same
//! contract tests (`tests/it/store.rs`).

mod sqlite;

pub use sqlite::SqliteStore;

use crate::domain::{DialogueId, VoteChange};
use async_trait::async_trait;
use std::sync::Arc;
use uuid::Uuid;

/// One event as the store keeps it: its place, time, actor and body (JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: u64,
    pub at: i64,
    /// The actor as JSON (`protocol::ActorWire`).
    pub actor: String,
    /// The event as JSON (`protocol::EventBody`).
    pub body: String,
}

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
    pub events: Vec<StoredEvent>,
    /// Votes that are on: (question, participant).
    pub votes: Vec<(u64, Uuid)>,
    pub acks: Vec<SavedAck>,
}

/// What one group commit writes, in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub events: &'a [StoredEvent],
    pub votes: &'a [VoteChange],
    pub acks: &'a [SavedAck],
}

impl Batch<'_> {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.votes.is_empty() && self.acks.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended first: the head is no longer what the batch was decided on.
    #[error("the log moved on: expected head {expected}, found {actual}")]
    Conflict { expected: u64, actual: u64 },
    #[error("no such dialogue")]
    NotFound,
    #[error("store unavailable: {0}")]
    Unavailable(#[from] sqlx::Error),
    #[error("store misconfigured: {0}")]
    Config(String),
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn create_dialogue(&self, d: &NewDialogue) -> Result<Created, StoreError>;
    async fn load(&self, id: DialogueId) -> Result<Option<DialogueRecord>, StoreError>;
    async fn find_code(&self, code: &str) -> Result<Option<DialogueId>, StoreError>;
    /// Dialogues created by this organizer, newest first.
    async fn list_dialogues(&self, created_by: Uuid) -> Result<Vec<DialogueId>, StoreError>;
    /// Appends a batch decided on `expected_head` in one transaction; `Conflict` if the
    /// head moved. Events must be numbered `expected_head + 1 …` without gaps.
    async fn append(
        &self,
        dialogue: DialogueId,
        expected_head: u64,
        batch: Batch<'_>,
    ) -> Result<(), StoreError>;
    /// Events after `seq`, in order (for catching up with other writers).
    async fn events_after(
        &self,
        dialogue: DialogueId,
        seq: u64,
    ) -> Result<Vec<StoredEvent>, StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Opens the store a URL names: `sqlite://path` (the embedded default).
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else {
        Err(StoreError::Config(format!(
            "unsupported store URL scheme in {:?}",
            url.split(':').next().unwrap_or_default()
        )))
    }
}
