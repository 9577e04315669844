//! Why the dialogue said no. Each maps to one wire error code in `protocol.rs`.

use super::question::{QuestionId, QuestionStatus};
use super::{Phase, Role};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("a {role:?} may not do this")]
    Forbidden { role: Role },
    #[error("question {0:?} does not exist")]
    NoSuchQuestion(QuestionId),
    #[error("no such panelist")]
    NoSuchPanelist,
    #[error("question {question:?} is {actual:?}, not {expected:?}")]
    Conflict {
        question: QuestionId,
        expected: QuestionStatus,
        actual: QuestionStatus,
    },
    #[error("now answering is {actual:?}, not {expected:?}")]
    NowAnsweringConflict {
        expected: Option<QuestionId>,
        actual: Option<QuestionId>,
    },
    #[error("the dialogue is {actual:?}, not {expected:?}")]
    PhaseConflict { expected: Phase, actual: Phase },
    #[error("the dialogue cannot go from {from:?} to {to:?}")]
    PhaseTransition { from: Phase, to: Phase },
    #[error("the dialogue is {0:?} and does not take this now")]
    NotNow(Phase),
    #[error("this question cannot be {0}")]
    InvalidTarget(&'static str),
    #[error("the participant is muted")]
    Muted,
    #[error("the participant is banned")]
    Banned,
}
