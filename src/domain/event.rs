//! Facts in a dialogue's log. Applying one never fails.

use super::feedback::{Attendance, PostData, PostId};
use super::poll::{PollId, PollKind, PollResults};
use super::question::{Addressee, Origin, QuestionId, RejectReason};
use super::text::{DisplayName, QuestionText};
use super::tip::TipId;
use super::walk::{ActionId, ActionStatus, GroupId, Observation, PhotoId, StopId, WalkPlan};
use super::{Actor, DialogueInfo, Moderator, PanelKind, Panelist, Phase, Timestamp};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    InfoSet(DialogueInfo),
    PhaseChanged {
        to: Phase,
        /// On closing: the peak presence, for the public record.
        attendance: Option<Attendance>,
    },
    PanelistAdded(Panelist),
    ModeratorAdded(Moderator),
    /// Taken off the panel: their invitation and sessions for it end too.
    PanelistRemoved {
        panelist: Uuid,
    },
    /// Taken off the moderators (a staff member keeps their staff roles).
    ModeratorRemoved {
        moderator: Uuid,
    },
    QuestionAsked {
        question: QuestionId,
        text: QuestionText,
        display_name: Option<DisplayName>,
        addressee: Option<Addressee>,
        origin: Origin,
        /// A floor question entered by a moderator is approved on entry.
        approved: bool,
        /// The secret part of the asker's receipt code (`Context::receipt_secret`).
        receipt: Option<String>,
        /// Asked by a burst identity (`Context::burst`) not in the room: counted
        /// against the burst share of the pending cap, flagged to moderators.
        burst: bool,
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
    ParticipantUnbanned {
        participant: Uuid,
    },
    InfoPosted {
        post: PostId,
        text: String,
        source: String,
        link: Option<String>,
        data: Option<PostData>,
    },
    InfoPostEdited {
        post: PostId,
        text: String,
        source: String,
        link: Option<String>,
        data: Option<PostData>,
    },
    /// A draft, seen by staff only until a moderator publishes it.
    AnswerWritten {
        question: QuestionId,
        text: String,
    },
    AnswerPublished {
        question: QuestionId,
        text: String,
    },
    FollowUpPromised {
        question: QuestionId,
        owner: String,
        due: chrono::NaiveDate,
    },
    FollowUpDone {
        question: QuestionId,
        outcome: String,
    },
    /// A panelist or moderator used their invitation for the first time.
    InvitationOpened,
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
    /// The venue screen shows this post (its chart large), or no post (`None`).
    PostShown {
        post: Option<PostId>,
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
    /// The walk's plan, whole: the dialogue is a walk from here on.
    WalkPlanned(WalkPlan),
    /// "Now at stop N", or none (not set off, or finished).
    GroupMoved {
        group: GroupId,
        at: Option<StopId>,
    },
    /// Follows the `QuestionAsked` of an observation in the same decision.
    ObservationPlaced(Observation),
    ActionCreated {
        action: ActionId,
        title: String,
        observations: Vec<QuestionId>,
        responsible: String,
        due: chrono::NaiveDate,
    },
    ActionStatusChanged {
        action: ActionId,
        status: ActionStatus,
        note: String,
    },
    /// The participant who caused it (`Recorded::by`) entered the room code the
    /// venue screen showed: present in the room, not only saying so.
    RoomEntered,
    /// Observation `question`'s photo (as uploaded) is public as the copy
    /// `published` (blurred where the moderator asked), stored before this.
    PhotoPublished {
        question: QuestionId,
        photo: PhotoId,
        published: PhotoId,
    },
}

impl Event {
    /// Whether the event can change a tally, a poll's results or who is counted:
    /// what the `live` stream carries. A newly published question has no votes
    /// yet (clients count a question missing from the tallies as 0), so
    /// publishing one does not need a new `live` frame to every connection.
    /// A ban does: the banned participant's connections close with it, so they
    /// are no longer counted as present.
    pub fn changes_live(&self) -> bool {
        !matches!(
            self,
            Event::InfoSet(_)
                | Event::PanelistAdded(_)
                | Event::ModeratorAdded(_)
                | Event::PanelistRemoved { .. }
                | Event::ModeratorRemoved { .. }
                | Event::QuestionAsked { .. }
                | Event::QuestionApproved { .. }
                | Event::QuestionRejected { .. }
                | Event::UpNextSet { .. }
                | Event::NowAnswering { .. }
                | Event::QuestionAnswered { .. }
                | Event::ParticipantMuted { .. }
                | Event::ParticipantUnbanned { .. }
                | Event::InfoPosted { .. }
                | Event::InfoPostEdited { .. }
                | Event::PostShown { .. }
                | Event::AnswerWritten { .. }
                | Event::AnswerPublished { .. }
                | Event::FollowUpPromised { .. }
                | Event::FollowUpDone { .. }
                | Event::InvitationOpened
                | Event::PollCreated { .. }
                | Event::TipSent { .. }
                | Event::QuestionMovedToPrivate { .. }
                | Event::TipRecipientsSet { .. }
                | Event::WalkPlanned(_)
                | Event::GroupMoved { .. }
                | Event::ObservationPlaced(_)
                | Event::ActionCreated { .. }
                | Event::ActionStatusChanged { .. }
                | Event::PhotoPublished { .. }
        )
    }
}

/// An event as it stands in the log: its place, its time and who caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub seq: u64,
    pub at: Timestamp,
    pub by: Actor,
    pub event: Event,
}
