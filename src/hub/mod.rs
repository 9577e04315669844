//! Live dialogues: one writer per dialogue, fanning out into each connection's
//! bounded outbox. The writer is `core` (inputs in, effects out, no I/O) inside
//! `task` (the async shell that performs the effects). The hub never imports
//! the transport.

pub mod core;
mod fanout;
mod outbox;
mod public_view;
mod registry;
pub mod room_code;
mod stored;
mod task;
mod thread;

pub use core::{DialogueCore, Join, Submission};
pub use fanout::ConnId;
pub use outbox::{Drained, Outbox};
pub use public_view::PublicView;
pub use registry::{DialogueHandle, Registry};
pub use stored::{rebuild, rebuild_with};
pub use task::Request;
pub use thread::{HubThreads, ThreadLoad};

use crate::protocol::{self, AckWire, ErrorWire, ServerMessage};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

#[derive(Debug, Clone)]
pub struct HubSettings {
    /// How often tallies and presence go out at most.
    pub live_interval: Duration,
    pub ping_interval: Duration,
    /// Events kept in memory per dialogue for resuming clients.
    pub replay_window: usize,
    pub inbox_capacity: usize,
    pub max_question_chars: usize,
    /// Phrases that raise a danger alert to staff.
    pub danger_phrases: Arc<crate::domain::DangerPhrases>,
    /// A dialogue nobody is connected to leaves memory after this long; the
    /// next use loads it again from the store.
    pub idle_unload: Duration,
    /// Caps on questions waiting for a moderator.
    pub pending_caps: crate::domain::PendingCaps,
    /// Acks of recent submissions kept in memory per dialogue, for retries.
    pub acks_cached: usize,
    /// Hub threads the dialogues are spread over; 0: one per core.
    pub threads: usize,
    /// The venue screen's room codes.
    pub room_codes: room_code::RoomCodes,
    /// A walk's observation categories (the deployment's list).
    pub categories: Arc<crate::domain::walk::Categories>,
}

impl HubSettings {
    /// The hub's share of the settings, in the types it works with.
    /// `secret` is the server's signing secret, which every node shares: the
    /// room codes are derived from it. A bad list of categories is an error.
    pub fn from_settings(
        settings: &crate::config::Settings,
        secret: &[u8],
    ) -> Result<HubSettings, String> {
        use crate::domain::walk::{Categories, Category};
        let categories = settings
            .walks
            .categories
            .iter()
            .map(|c| Category {
                code: c.code.clone(),
                sv: c.sv.clone(),
                en: c.en.clone(),
            })
            .collect();
        Ok(HubSettings {
            live_interval: Duration::from_millis(settings.hub.live_interval_ms),
            ping_interval: Duration::from_secs(settings.hub.ping_interval_secs),
            replay_window: settings.hub.replay_window,
            inbox_capacity: settings.hub.inbox_capacity,
            max_question_chars: settings.limits.max_question_chars,
            idle_unload: Duration::from_secs(settings.hub.idle_unload_secs.max(1)),
            acks_cached: settings.hub.acks_cached.max(1),
            threads: settings.hub.threads,
            danger_phrases: Arc::new(crate::domain::DangerPhrases::new(
                &settings.safety.danger_phrases,
            )),
            pending_caps: crate::domain::PendingCaps::with_burst_share(
                settings.limits.pending_questions_per_participant,
                settings.limits.pending_questions_per_dialogue,
                settings.limits.pending_burst_share_percent,
            ),
            room_codes: room_code::RoomCodes::new(
                secret,
                settings.stuffing.room_code_secs,
                settings.stuffing.room_code_grace_secs,
            ),
            categories: Arc::new(Categories::configured(categories)?),
        })
    }
}

/// Where the answer to a submission goes.
pub enum Reply {
    /// Straight into the submitting connection's outbox, in order with its events.
    /// The permit is one of the connection's slots for unanswered submissions,
    /// given back when the answer is queued.
    Outbox(Arc<Outbox>, Option<tokio::sync::OwnedSemaphorePermit>),
    /// Back to a waiting caller (REST).
    Direct(oneshot::Sender<Result<AckWire, ErrorWire>>),
}

impl Reply {
    pub fn send(self, outcome: Result<AckWire, ErrorWire>) {
        if let Err(e) = &outcome {
            crate::telemetry::refused(e.code, crate::telemetry::Via::Submission);
        }
        match self {
            Reply::Outbox(outbox, _permit) => {
                let frame = match &outcome {
                    Ok(ack) => protocol::encode(&ServerMessage::Ack(ack)),
                    Err(err) => protocol::encode(&ServerMessage::Error(err)),
                };
                outbox.push(frame);
            }
            Reply::Direct(tx) => {
                // The caller may have given up waiting; the outcome stands either way.
                let _ = tx.send(outcome);
            }
        }
    }
}
