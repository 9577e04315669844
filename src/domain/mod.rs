//! The pure state machine of one dialogue: no async, no I/O, no clock.
//!
//! `Dialogue::decide` turns a command from an actor into events (or a refusal);
//! `Dialogue::apply` folds an event into the state. Time comes in as a value.

pub mod access;
pub mod authorize;
pub mod command;
pub mod dialogue;
pub mod event;
pub mod feedback;
pub mod pending_caps;
pub mod pending_queue;
pub mod poll;
pub mod question;
pub mod refusal;
pub mod sensitive;
pub mod series;
pub mod text;
pub mod tip;
pub mod walk;

pub use command::Command;
pub use dialogue::{Context, Decision, Dialogue, Rights, VoteChange, When, rights};
pub use event::{Event, Recorded};
pub use feedback::{Attendance, Fate, FollowUp, InfoPost, PostData, PostId, WrittenAnswer};
pub use pending_caps::PendingCaps;
pub use pending_queue::{PENDING_PAGE, PendingPage, QueueCursor, QueueOrder};
pub use poll::{Poll, PollAnswer, PollId, PollKind, PollResults, PollState};
pub use question::{Addressee, Origin, Question, QuestionId, QuestionStatus, RejectReason};
pub use refusal::Refusal;
pub use series::{Series, SeriesError};
pub use tip::{DangerPhrases, PrivateSignal, Tip, TipId};

use uuid::Uuid;

/// Milliseconds since the Unix epoch. Passed in; the domain never reads a clock.
pub type Timestamp = i64;

/// Identifies a dialogue (one meeting).
pub type DialogueId = Uuid;

/// Who is acting. The id inside is the subject of the actor's signed token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    Organizer(Uuid),
    Moderator(Uuid),
    Panelist(Uuid),
    Participant(Uuid),
    Screen(Uuid),
    /// Someone following a dialogue's public side from its public page without
    /// joining: no token, sends nothing, not counted as present. The id is the
    /// connection's own, made up for it and forgotten with it.
    Follower(Uuid),
}

impl Actor {
    pub fn role(&self) -> Role {
        match self {
            Actor::Organizer(_) => Role::Organizer,
            Actor::Moderator(_) => Role::Moderator,
            Actor::Panelist(_) => Role::Panelist,
            Actor::Participant(_) => Role::Participant,
            Actor::Screen(_) => Role::Screen,
            Actor::Follower(_) => Role::Follower,
        }
    }

    pub fn id(&self) -> Uuid {
        match *self {
            Actor::Organizer(id)
            | Actor::Moderator(id)
            | Actor::Panelist(id)
            | Actor::Participant(id)
            | Actor::Screen(id)
            | Actor::Follower(id) => id,
        }
    }

    pub fn from_role(role: Role, id: Uuid) -> Actor {
        match role {
            Role::Organizer => Actor::Organizer(id),
            Role::Moderator => Actor::Moderator(id),
            Role::Panelist => Actor::Panelist(id),
            Role::Participant => Actor::Participant(id),
            Role::Screen => Actor::Screen(id),
            Role::Follower => Actor::Follower(id),
        }
    }

    /// Staff see everything a moderator sees: pending text, flags, authors.
    pub fn is_staff(&self) -> bool {
        matches!(self, Actor::Organizer(_) | Actor::Moderator(_))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Organizer,
    Moderator,
    Panelist,
    Participant,
    Screen,
    Follower,
}

impl Role {
    /// The role's name, as the log and the audit trail write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Organizer => "organizer",
            Role::Moderator => "moderator",
            Role::Panelist => "panelist",
            Role::Participant => "participant",
            Role::Screen => "screen",
            Role::Follower => "follower",
        }
    }
}

/// Who may see what. One encoding per audience, never one per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Organizers and moderators: everything, including pending text and flags.
    Staff,
    /// Participants, panelists and the venue screen: only what a moderator approved.
    Public,
}

impl Audience {
    pub fn of(actor: &Actor) -> Audience {
        if actor.is_staff() {
            Audience::Staff
        } else {
            Audience::Public
        }
    }
}

/// The life of a dialogue. Questions are taken while `Open` (before the meeting) and `Live`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Draft,
    Open,
    Live,
    Closed,
}

impl Phase {
    pub fn takes_questions(self) -> bool {
        matches!(self, Phase::Open | Phase::Live)
    }

    /// Draft -> Open -> Live -> Closed; Open may be skipped. No way back from Closed.
    pub fn may_become(self, to: Phase) -> bool {
        use Phase::*;
        matches!(
            (self, to),
            (Draft, Open) | (Draft, Live) | (Open, Live) | (Open, Closed) | (Live, Closed)
        )
    }
}

/// Where a participant takes part from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Location {
    #[default]
    Remote,
    InRoom,
}

/// The public description of a dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DialogueInfo {
    pub title: String,
    pub description: String,
    /// What participants can and cannot influence through this dialogue.
    pub purpose: String,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    /// The room, e.g. "Medborgarhuset, stora salen".
    pub venue: String,
    /// Street address of the venue.
    pub address: String,
    pub livestream_url: String,
    /// Panel kinds the organizer expects on the panel; a missing one is warned about.
    pub expected_kinds: Vec<PanelKind>,
    /// What happens to questions not reached in the time (e.g. answered in writing within two weeks).
    pub unreached_plan: String,
}

impl DialogueInfo {
    /// Whether the time or the place differs: calendar files must be sent again.
    pub fn schedule_differs(&self, other: &DialogueInfo) -> bool {
        (self.starts_at, self.ends_at, &self.venue, &self.address)
            != (other.starts_at, other.ends_at, &other.venue, &other.address)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PanelKind {
    Politician,
    Police,
    Staff,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panelist {
    pub id: Uuid,
    pub name: String,
    pub title: String,
    pub organisation: String,
    pub kind: PanelKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moderator {
    pub id: Uuid,
    pub name: String,
}
