//! Feedback to participants (återkoppling), around and after the live queue:
//! information posts, written answers, follow-up promises, and each question's
//! public fate.

use super::question::{Question, QuestionId, QuestionStatus, RejectReason};
use super::{Actor, Phase, Timestamp};

/// Per-dialogue number of an information post, 1, 2, 3…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostId(pub u64);

/// A short factual note from the organizer or a panelist, with a named source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoPost {
    pub id: PostId,
    pub author: Actor,
    pub text: String,
    pub source: String,
    pub link: Option<String>,
    /// A small data series, drawn as a chart beside the text.
    pub data: Option<PostData>,
    pub posted_at: Timestamp,
    /// When it was last edited; the earlier wording stays in the log.
    pub edited_at: Option<Timestamp>,
}

/// The numbers a post shows as a chart, and where they come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostData {
    pub series: super::Series,
    pub source: String,
}

/// A panelist's written answer; public once a moderator publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenAnswer {
    pub author: Actor,
    /// The latest draft, seen by staff.
    pub draft: String,
    /// What the public sees: the draft as it was when a moderator published it.
    pub published: Option<String>,
}

/// A promise to come back on a question: who, by when, and later what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub owner: String,
    /// The day it is due, `YYYY-MM-DD`.
    pub due: chrono::NaiveDate,
    pub outcome: Option<String>,
    pub done_at: Option<Timestamp>,
}

/// Peak presence while the dialogue ran, as the node that closed it saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attendance {
    /// The most present at once who said they were in the room without
    /// entering the room code.
    pub in_room: u64,
    pub remote: u64,
    /// Participants who entered the room code the venue screen showed (each
    /// once, over the whole dialogue): counted in the room, verified.
    pub verified: u64,
}

/// What came of a question, as the public may learn it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Waiting for a moderator.
    Pending,
    /// Approved and still in the queue while the dialogue runs.
    Queued,
    AnsweredLive,
    AnsweredInWriting,
    /// A follow-up was promised; its outcome may have been recorded since.
    FollowUp,
    MergedInto(QuestionId),
    /// Still open when the dialogue closed; the dialogue's plan says what happens to it.
    NotReached,
    /// A walk's approved observation once the walk closed: it is in the walk's
    /// report, whether or not an action came of it (an action's status is told
    /// on its own). Never `NotReached`: a walk has no queue to reach the end of.
    Noted,
    /// Rejected: the reason only, never the text.
    Rejected(RejectReason),
    /// Hidden by a moderator after approval.
    Archived,
    /// Sent on to the panel privately (a tip); the asker was told.
    MovedToPrivate,
}

impl Question {
    /// The fate of a meeting's question. A promise outranks a written answer,
    /// which outranks a live one: it is the newest word on it. What the public
    /// and the asker see is `Dialogue::fate`, which knows a walk's observations.
    pub(super) fn fate(&self, phase: Phase) -> Fate {
        match self.status {
            QuestionStatus::Pending => Fate::Pending,
            QuestionStatus::Rejected => Fate::Rejected(
                self.reject_reason
                    .expect("a rejected question has a reason"),
            ),
            QuestionStatus::Merged => {
                Fate::MergedInto(self.merged_into.expect("a merged question has a target"))
            }
            QuestionStatus::Archived => Fate::Archived,
            // To the public a question moved to the private channel is a rejection
            // for personal data: it never becomes public.
            QuestionStatus::MovedToPrivate => Fate::MovedToPrivate,
            QuestionStatus::Approved | QuestionStatus::Answered => {
                if self.follow_up.is_some() {
                    Fate::FollowUp
                } else if self.written_answer().is_some() {
                    Fate::AnsweredInWriting
                } else if self.status == QuestionStatus::Answered {
                    Fate::AnsweredLive
                } else if phase == Phase::Closed {
                    Fate::NotReached
                } else {
                    Fate::Queued
                }
            }
        }
    }

    /// The published written answer, if any.
    pub fn written_answer(&self) -> Option<&str> {
        self.answer.as_ref()?.published.as_deref()
    }
}

/// Whether `who` may edit `post`: its author, or any organizer.
pub fn may_edit(post: &InfoPost, who: &Actor) -> bool {
    matches!(who, Actor::Organizer(_)) || post.author == *who
}
