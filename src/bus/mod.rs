//! How nodes tell each other that a dialogue's log moved on.
//!
//! The bus only wakes other nodes; they fill any gap from the store by `seq`,
//! so a bus that loses a message (Redis pub/sub does) loses nothing. Every node
//! also polls the heads of its live dialogues (`Registry::poll_heads`), which is
//! what keeps a cluster going, slower, while the bus is down.
//!
//! The bus also carries withdrawn credentials ([`Withdrawal`]): a sign-out, a
//! removal or a closed dialogue on one node closes the sockets they opened on
//! every other node at once. Each node's revocation watcher still checks the store every
//! `auth.revocation_poll_ms`, which is what holds when such a message is lost.

mod local;
mod redis;

pub use self::redis::RedisBus;
pub use local::LocalBus;

use crate::domain::DialogueId;
use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::mpsc;

/// "This dialogue's log now ends at `head`", from the node that committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wake {
    pub dialogue: DialogueId,
    pub head: u64,
    /// The dialogue's votes version after the commit. Votes are not in the log: a
    /// node whose votes are older reloads them.
    pub votes_version: u64,
}

/// Credentials that no longer hold: the sockets they opened close now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawal {
    /// A session ended: the SHA-256 the store keeps of its id (not the secret).
    Session(String),
    /// A person taken off one dialogue, or (`None`) off the staff.
    Person {
        person: uuid::Uuid,
        dialogue: Option<DialogueId>,
    },
    /// A dialogue closed (its log's event `head`): its invitees' sessions end
    /// with it, past `auth.invitee_grace_secs`. Every node catches the dialogue
    /// up to `head` and looks at the sockets it serves for it.
    Closed { dialogue: DialogueId, head: u64 },
}

/// What a bus hands the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum News {
    Wake(Wake),
    /// Another node withdrew these credentials.
    Withdrawn(Withdrawal),
    /// The bus (re)connected and may have missed messages: look at every head now.
    Resync,
}

#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Tells the other nodes. Never waits on the network: the dialogue's writer
    /// calls this after each commit, and a message the bus cannot deliver is
    /// dropped (polling finds the change).
    async fn publish(&self, wake: Wake);
    /// Tells the other nodes that credentials were withdrawn. Never waits on the
    /// network either; a lost message is found by the next revocation check.
    async fn withdraw(&self, withdrawal: Withdrawal);
    /// The news from other nodes; `None` when there is nobody else. Taken once.
    fn subscribe(&self) -> Option<mpsc::Receiver<News>>;
}

/// Opens the bus a URL names: none (one process) or `redis://…`.
pub fn open(url: Option<&str>) -> Result<Arc<dyn Bus>, String> {
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(Arc::new(LocalBus)),
        Some(u) if u.starts_with("redis://") => Ok(Arc::new(RedisBus::start(u)?)),
        Some(u) => Err(format!(
            "unsupported bus URL scheme in {:?}",
            u.split(':').next().unwrap_or_default()
        )),
    }
}
