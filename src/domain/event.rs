//! Facts in a dialogue's log. Applying one never fails.

use super::poll::{PollId, PollKind, PollResults};
use super::question::{Addressee, Origin, QuestionId, RejectReason};
use super::text::{DisplayName, QuestionText};
use super::tip::TipId;
use super::{Actor, DialogueInfo, Moderator, PanelKind, Panelist, Phase, Timestamp};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    InfoSet(DialogueInfo),
    PhaseChanged {
        to: Phase,
    },
    PanelistAdded(Panelist),
    ModeratorAdded(Moderator),
    QuestionAsked {
        question: QuestionId,
        text: QuestionText,
        display_name: Option<DisplayName>,
        addressee: Option<Addressee>,
        origin: Origin,
        /// A floor question entered by a moderator is approved on entry.
        approved: bool,
    },
    QuestionApproved {
        question: QuestionId,
        edited: Option<QuestionText>,
    },
    QuestionRejected {
        question: QuestionId,
        reason: RejectReason,
    },
    QuestionMerged {
        question: QuestionId,
        into: QuestionId,
    },
    UpNextSet {
        questions: Vec<QuestionId>,
    },
    NowAnswering {
        question: Option<QuestionId>,
    },
    QuestionAnswered {
        question: QuestionId,
    },
    QuestionArchived {
        question: QuestionId,
    },
    ParticipantMuted {
        participant: Uuid,
    },
    ParticipantBanned {
        participant: Uuid,
    },
    PollCreated {
        poll: PollId,
        question: String,
        kind: PollKind,
        options: Vec<String>,
    },
    PollOpened {
        poll: PollId,
    },
    /// The poll's exact result at closing: part of the public record.
    PollClosed {
        poll: PollId,
        results: PollResults,
    },
    PollResultsShown {
        poll: PollId,
        shown: bool,
    },
    TipSent {
        tip: TipId,
        text: QuestionText,
        display_name: Option<DisplayName>,
    },
    /// The question leaves the public queue and becomes tip `tip`, with its author's words.
    QuestionMovedToPrivate {
        question: QuestionId,
        tip: TipId,
    },
    TipRecipientsSet {
        kinds: Vec<PanelKind>,
    },
}

/// An event as it stands in the log: its place, its time and who caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub seq: u64,
    pub at: Timestamp,
    pub by: Actor,
    pub event: Event,
}
