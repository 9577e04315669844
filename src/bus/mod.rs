//! How nodes tell each other that a dialogue's log moved on.
//!
//! The bus only wakes other nodes; they fill any gap from the store by `seq`,
//! so a bus that loses a message (Redis pub/sub does) loses nothing.

mod local;

pub use local::LocalBus;

use crate::domain::DialogueId;
use async_trait::async_trait;

#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Announces that `dialogue`'s log now ends at `head`.
    async fn publish(&self, dialogue: DialogueId, head: u64);
}
