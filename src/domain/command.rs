//! What actors ask the dialogue to do. Parsed and validated before it gets here.

use super::question::{Addressee, Origin, QuestionId, QuestionStatus, RejectReason};
use super::text::{DisplayName, QuestionText};
use super::{DialogueInfo, Moderator, Panelist, Phase};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ask {
        text: QuestionText,
        display_name: Option<DisplayName>,
        addressee: Option<Addressee>,
        origin: Origin,
    },
    /// Set, not toggle: a retried vote is harmless.
    Vote {
        question: QuestionId,
        on: bool,
    },
    /// Approve, optionally with an edited text (the original stays in the audit trail).
    Approve {
        question: QuestionId,
        expected: QuestionStatus,
        edited: Option<QuestionText>,
    },
    Reject {
        question: QuestionId,
        expected: QuestionStatus,
        reason: RejectReason,
    },
    Merge {
        question: QuestionId,
        into: QuestionId,
        expected: QuestionStatus,
    },
    SetUpNext {
        questions: Vec<QuestionId>,
    },
    /// `expected` is the question the moderator believes is being answered now.
    SetNowAnswering {
        question: Option<QuestionId>,
        expected: Option<QuestionId>,
    },
    MarkAnswered {
        question: QuestionId,
        expected: QuestionStatus,
    },
    Archive {
        question: QuestionId,
        expected: QuestionStatus,
    },
    /// A question asked aloud in the room, typed in by a moderator: approved at once.
    FloorQuestion {
        text: QuestionText,
        addressee: Option<Addressee>,
    },
    Mute {
        participant: Uuid,
    },
    Ban {
        participant: Uuid,
    },
    SetPhase {
        to: Phase,
        expected: Phase,
    },
    SetInfo(DialogueInfo),
    AddPanelist(Panelist),
    AddModerator(Moderator),
    /// A new information post (`post: None`) or an edit of one.
    Post {
        post: Option<super::record::PostId>,
        text: String,
        source: String,
        link: Option<String>,
    },
    /// A panelist's written answer (a draft until published).
    WriteAnswer {
        question: QuestionId,
        text: String,
    },
    /// Publishes the current draft answer of a question.
    PublishAnswer {
        question: QuestionId,
    },
    PromiseFollowUp {
        question: QuestionId,
        owner: String,
        due: chrono::NaiveDate,
    },
    RecordOutcome {
        question: QuestionId,
        outcome: String,
    },
    /// Sent by the server when a panelist or moderator first connects.
    OpenInvitation,
}

impl Command {
    /// Votes commute: they need no place in the ordered log.
    pub fn is_vote(&self) -> bool {
        matches!(self, Command::Vote { .. })
    }
}
