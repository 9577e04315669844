//! Why the dialogue said no. Each maps to one wire error code in `protocol.rs`.

use super::poll::{PollId, PollState};
use super::question::{QuestionId, QuestionStatus};
use super::{Phase, Role};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("a {} may not do this", format!("{role:?}").to_lowercase())]
    Forbidden { role: Role },
    #[error("question {} does not exist", .0.0)]
    NoSuchQuestion(QuestionId),
    #[error("no such panelist")]
    NoSuchPanelist,
    #[error("no panelist or moderator of this dialogue has that id")]
    NoSuchPerson,
    #[error("information post {0} does not exist")]
    NoSuchPost(u64),
    #[error("question {} is {}, not {}", question.0, lower(actual), lower(expected))]
    Conflict {
        question: QuestionId,
        expected: QuestionStatus,
        actual: QuestionStatus,
    },
    #[error("now answering is {}, not {}", number(actual), number(expected))]
    NowAnsweringConflict {
        expected: Option<QuestionId>,
        actual: Option<QuestionId>,
    },
    #[error("the dialogue is {}, not {}", lower(actual), lower(expected))]
    PhaseConflict { expected: Phase, actual: Phase },
    #[error("the dialogue cannot go from {} to {}", lower(from), lower(to))]
    PhaseTransition { from: Phase, to: Phase },
    #[error("the dialogue is {} and does not take this now", lower(.0))]
    NotNow(Phase),
    #[error("set the purpose (what participants can and cannot influence) before publishing")]
    PurposeMissing,
    #[error("a published dialogue keeps its purpose (what participants can and cannot influence)")]
    PurposeRemoved,
    #[error("this question cannot be {0}")]
    InvalidTarget(&'static str),
    #[error("the participant is muted")]
    Muted,
    #[error("the participant is banned")]
    Banned,
    #[error("the participant is not banned")]
    NotBanned,
    #[error("poll {} does not exist", .0.0)]
    NoSuchPoll(PollId),
    #[error("poll {} is {}, not {}", poll.0, lower(actual), lower(expected))]
    PollConflict {
        poll: PollId,
        expected: PollState,
        actual: PollState,
    },
    #[error("poll {} is not open", .0.0)]
    PollNotOpen(PollId),
    #[error("not an answer this poll takes")]
    BadChoices,
    #[error(
        "{whose} questions waiting for a moderator are at the limit of {limit}; ask again once some are handled"
    )]
    TooManyPending { limit: usize, whose: &'static str },
    #[error("this dialogue is not a walk")]
    NotAWalk,
    #[error("the walk has no {0} with that number")]
    NoSuchWalkPart(&'static str),
    #[error("the group is at {}, not {}", stop(actual), stop(expected))]
    GroupConflict {
        expected: Option<u32>,
        actual: Option<u32>,
    },
    #[error("action {action} is {}, not {}", lower(actual), lower(expected))]
    ActionConflict {
        action: u64,
        expected: crate::domain::walk::ActionStatus,
        actual: crate::domain::walk::ActionStatus,
    },
    #[error("{0}")]
    BadWalk(&'static str),
    #[error("that is not the room code the screen shows now")]
    WrongRoomCode,
}

fn stop(s: &Option<u32>) -> String {
    s.map_or_else(|| "no stop".to_string(), |s| format!("stop {s}"))
}

/// `Approved` -> "approved", for messages people read.
fn lower(v: &impl std::fmt::Debug) -> String {
    format!("{v:?}").to_lowercase()
}

fn number(q: &Option<QuestionId>) -> String {
    q.map_or_else(|| "none".to_string(), |q| format!("question {}", q.0))
}
