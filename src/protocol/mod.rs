//! Every wire message, error code and close code. `docs/protocol.md` is the
//! human contract for the same shapes; a test parses every example in it.
//!
//! Domain types do not derive `Serialize`: the wire shapes live here, so renaming a
//! domain type can never silently change what clients see.

pub mod audit;
mod client;
mod client_command;
/// Validation of the texts clients send (posts, answers, follow-ups, polls, questions).
pub mod client_text;
mod codes;
mod event;
mod event_parts;
pub mod identity;
mod live;
pub mod oidc;
pub mod overview;
pub mod pending_page;
pub mod photo_wire;
mod public_event;
pub mod public_record;
pub mod receipt;
pub mod rest;
pub mod room_code;
mod server;
mod server_tips;
pub mod walk_report;

pub use client::{CLIENT_TYPES, ClientMessage, ClientMsgId, DecodeError, Hello, Position, decode};
pub use codes::{CloseCode, ErrorCode};
pub use event::EventBody;
pub use event_parts::{ActorWire, actor_from_wire, actor_to_wire};
pub use live::{BurstShareWire, LiveWire, PollResultsWire, Present};
pub use public_event::public_event;
pub use room_code::RoomCodeWire;
pub use server::{
    AckWire, AlertWire, DialogueWire, ErrorWire, EventOut, FateWire, FollowUpWire, NoticeWire,
    PollWire, PostWire, ServerMessage, TipMessage, TipWire, Welcome, mine, my_answers, snapshot,
    snapshot_whole,
};

use crate::domain::{
    Location, PanelKind, Phase, PollKind, PollState, QuestionStatus, RejectReason, Role,
    question::Origin,
};
use serde::{Deserialize, Serialize};

/// The protocol version a client names in `hello`.
pub const PROTOCOL_VERSION: u32 = 1;

/// One encoded server message: JSON text in shared bytes. Cloning shares the
/// bytes: each event is encoded once per audience and the same bytes go to every
/// connection of that audience. A plain value: the transport hands the bytes to
/// its WebSocket library as a text message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame(bytes::Bytes);

impl Frame {
    pub const fn from_static(text: &'static str) -> Frame {
        Frame(bytes::Bytes::from_static(text.as_bytes()))
    }

    /// Its length in bytes (what an outbox's bound counts).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_str(&self) -> &str {
        // Every constructor takes text, so this holds; checked rather than assumed
        // because the crate has no unsafe code (REST views and tests read it).
        std::str::from_utf8(&self.0).expect("a frame holds UTF-8 text")
    }

    /// The shared bytes, for the transport to send.
    pub fn into_bytes(self) -> bytes::Bytes {
        self.0
    }
}

impl From<String> for Frame {
    fn from(text: String) -> Frame {
        Frame(bytes::Bytes::from(text))
    }
}

impl From<&str> for Frame {
    fn from(text: &str) -> Frame {
        Frame(bytes::Bytes::copy_from_slice(text.as_bytes()))
    }
}

/// Encodes a server message once.
pub fn encode(msg: &impl Serialize) -> Frame {
    // Serializing our own plain structs cannot fail; a failure is a bug worth a crash.
    Frame::from(serde_json::to_string(msg).expect("server messages always serialize"))
}

/// Mirrors a domain enum on the wire in snake_case, with conversions both ways.
macro_rules! wire_enum {
    ($(#[$m:meta])* $wire:ident <=> $domain:ident { $($v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $wire { $($v),* }
        impl From<$domain> for $wire {
            fn from(d: $domain) -> Self { match d { $($domain::$v => $wire::$v),* } }
        }
        impl From<$wire> for $domain {
            fn from(w: $wire) -> Self { match w { $($wire::$v => $domain::$v),* } }
        }
    };
}

wire_enum!(RoleWire <=> Role { Organizer, Moderator, Panelist, Participant, Screen, Follower });
wire_enum!(PhaseWire <=> Phase { Draft, Open, Live, Closed });
wire_enum!(LocationWire <=> Location { Remote, InRoom });
wire_enum!(OriginWire <=> Origin { Remote, InRoom });
wire_enum!(PanelKindWire <=> PanelKind { Politician, Police, Staff, Other });
wire_enum!(StatusWire <=> QuestionStatus { Pending, Approved, Answered, Rejected, Merged, Archived, MovedToPrivate });
wire_enum!(ReasonWire <=> RejectReason { PersonalData, OffTopic, Abusive, Duplicate, Other });

impl ReasonWire {
    /// The snake_case code, as on the wire.
    pub fn code(self) -> &'static str {
        match self {
            ReasonWire::PersonalData => "personal_data",
            ReasonWire::OffTopic => "off_topic",
            ReasonWire::Abusive => "abusive",
            ReasonWire::Duplicate => "duplicate",
            ReasonWire::Other => "other",
        }
    }
}

impl PanelKindWire {
    /// The snake_case code, as on the wire.
    pub fn code(self) -> &'static str {
        match self {
            PanelKindWire::Politician => "politician",
            PanelKindWire::Police => "police",
            PanelKindWire::Staff => "staff",
            PanelKindWire::Other => "other",
        }
    }
}
wire_enum!(PollKindWire <=> PollKind { Single, Multiple, Scale });
wire_enum!(PollStateWire <=> PollState { Prepared, Open, Closed });

/// A safety walk's client messages (after `walk_wire`, whose shapes they use).
pub mod client_walk;
/// A safety walk's shapes (declared after `wire_enum!`, which they use).
pub mod walk_wire;
