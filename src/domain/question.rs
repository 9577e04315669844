//! A question and its fate.

use super::sensitive::{self, Flag};
use super::text::{DisplayName, QuestionText};
use super::{Actor, PanelKind, Timestamp};
use uuid::Uuid;

/// Per-dialogue question number, 1, 2, 3… as people say it ("fråga 12").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QuestionId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuestionStatus {
    /// Waiting for a moderator; its text is seen by staff and its author only.
    Pending,
    Approved,
    Answered,
    Rejected,
    /// Folded into another question as a duplicate; its votes went along.
    Merged,
    /// Hidden from the public list. Hiding is a state, not a delete.
    Archived,
    /// Moved by a moderator to the private channel (a tip); never public.
    MovedToPrivate,
}

impl QuestionStatus {
    /// Shown to participants, panelists and the venue screen.
    pub fn is_public(self) -> bool {
        matches!(self, QuestionStatus::Approved | QuestionStatus::Answered)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    PersonalData,
    OffTopic,
    Abusive,
    Duplicate,
    Other,
}

/// Whom a question is put to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Addressee {
    Panelist(Uuid),
    Kind(PanelKind),
}

/// Where a question came from: typed remotely, or asked from the floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Origin {
    #[default]
    Remote,
    InRoom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: QuestionId,
    pub author: Actor,
    /// What the public sees once approved: the moderator's edit if there was one.
    pub text: QuestionText,
    /// The author's own words when a moderator edited them. Staff only, never public.
    pub original: Option<QuestionText>,
    pub display_name: Option<DisplayName>,
    pub addressee: Option<Addressee>,
    pub origin: Origin,
    pub status: QuestionStatus,
    pub reject_reason: Option<RejectReason>,
    pub merged_into: Option<QuestionId>,
    pub asked_at: Timestamp,
    /// Personal data the guard found in the author's text, for moderators.
    pub flags: Vec<Flag>,
    /// The secret part of the asker's receipt code (see `protocol::receipt::RECEIPT_LEN`).
    pub receipt: Option<String>,
    pub answer: Option<super::feedback::WrittenAnswer>,
    pub follow_up: Option<super::feedback::FollowUp>,
    /// Why the guard suggests the private channel (a crime report, a named person).
    pub private_signals: Vec<super::tip::PrivateSignal>,
    /// The text holds a phrase of the deployment's danger list.
    pub danger: bool,
}

impl Question {
    /// A pending question from `author`, as the domain's unit tests need one.
    #[cfg(test)]
    pub(crate) fn pending_from(id: u64, author: Actor) -> Question {
        Question {
            id: QuestionId(id),
            author,
            text: QuestionText::parse("Varför är det så mörkt i parken?", 500).unwrap(),
            original: None,
            display_name: None,
            addressee: None,
            origin: Origin::Remote,
            status: QuestionStatus::Pending,
            reject_reason: None,
            merged_into: None,
            asked_at: 0,
            flags: Vec::new(),
            receipt: None,
            answer: None,
            follow_up: None,
            private_signals: Vec::new(),
            danger: false,
        }
    }

    /// The text with every flagged span replaced, offered to the moderator for one-action approval.
    pub fn redacted(&self) -> Option<String> {
        if self.flags.is_empty() {
            None
        } else {
            // The flags were found in the author's words, so they mask those words.
            let words = self.original.as_ref().unwrap_or(&self.text);
            Some(sensitive::redact(words.expose(), &self.flags))
        }
    }
}
