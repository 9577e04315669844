//! What actors ask the dialogue to do. Parsed and validated before it gets here.

use super::poll::{PollId, PollKind, PollState};
use super::question::{Addressee, Origin, QuestionId, QuestionStatus, RejectReason};
use super::text::{DisplayName, QuestionText};
use super::walk::{ActionId, ActionStatus, FeltSafety, GroupId, PhotoId, Place, StopId, WalkPlan};
use super::{DialogueInfo, Moderator, PanelKind, Panelist, Phase};
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
    /// Rejects each of `questions` still pending with one reason (a flood, a run
    /// of duplicates); those another moderator handled meanwhile are left alone.
    RejectMany {
        questions: Vec<QuestionId>,
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
    /// Takes a ban back: the participant may come back and take part again.
    Unban {
        participant: Uuid,
    },
    SetPhase {
        to: Phase,
        expected: Phase,
    },
    SetInfo(DialogueInfo),
    AddPanelist(Panelist),
    AddModerator(Moderator),
    /// Takes a panelist or moderator (or both) off the dialogue.
    RemovePerson {
        person: Uuid,
    },
    /// A new information post (`post: None`) or an edit of one.
    Post {
        post: Option<super::feedback::PostId>,
        text: String,
        source: String,
        link: Option<String>,
        data: Option<super::feedback::PostData>,
    },
    /// The venue screen shows a post (its chart large), or stops (`None`).
    ShowPost {
        post: Option<super::feedback::PostId>,
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
    /// A moderator writes a poll, before the meeting or on the spot. Not yet shown.
    CreatePoll {
        question: String,
        kind: PollKind,
        options: Vec<String>,
    },
    OpenPoll {
        poll: PollId,
        expected: PollState,
    },
    /// Freezes the counts into the log.
    ClosePoll {
        poll: PollId,
        expected: PollState,
    },
    ShowPollResults {
        poll: PollId,
        shown: bool,
    },
    /// Set, not toggle: the participant's whole answer; empty withdraws it.
    AnswerPoll {
        poll: PollId,
        choices: Vec<u16>,
    },
    /// A participant in the room types the code the venue screen shows: counted
    /// as in the room (verified) from then on.
    EnterRoom {
        code: String,
    },
    /// A participant writes to the panel privately, not to the public queue.
    SendTip {
        text: QuestionText,
        display_name: Option<DisplayName>,
    },
    /// A moderator moves a pending question to the private channel; its author is told.
    MoveToPrivate {
        question: QuestionId,
        expected: QuestionStatus,
    },
    /// The organizer names the panel kinds that receive private tips (e.g. police).
    SetTipRecipients {
        kinds: Vec<PanelKind>,
    },
    /// The organizer plans (or plans again) a safety walk's stops and groups: the
    /// dialogue becomes a walk.
    PlanWalk(WalkPlan),
    /// A walk leader moves the group on ("now at stop 3"); `expected` is where the
    /// leader believes the group is.
    MoveGroup {
        group: GroupId,
        to: Option<StopId>,
        expected: Option<StopId>,
    },
    /// An observation on a walk: a question with a place, a category and a felt-safety
    /// rating. Without a place it is made at the group's current stop.
    Observe {
        text: QuestionText,
        display_name: Option<DisplayName>,
        group: Option<GroupId>,
        place: Option<Place>,
        category: String,
        felt_safety: FeltSafety,
        /// On the walk (`InRoom`) or following it from elsewhere (`Remote`).
        origin: super::question::Origin,
        /// A photo the participant uploaded before (`POST …/photos`), private
        /// until a moderator publishes it.
        photo: Option<PhotoId>,
    },
    /// Staff turn observations into an action with someone responsible and a due date.
    CreateAction {
        title: String,
        observations: Vec<QuestionId>,
        responsible: String,
        due: chrono::NaiveDate,
    },
    /// An action's new status, dated and public; `will_not_be_done` needs a reason.
    SetActionStatus {
        action: ActionId,
        status: ActionStatus,
        note: String,
        expected: ActionStatus,
    },
    /// A moderator approved an observation's photo (`POST …/photos/{photo}/approve`):
    /// `published`, its (possibly blurred) copy, is stored and public from here on.
    PublishPhoto {
        photo: PhotoId,
        published: PhotoId,
    },
}

impl Command {
    /// Votes and poll answers commute: they need no place in the ordered log.
    pub fn is_vote(&self) -> bool {
        matches!(self, Command::Vote { .. } | Command::AnswerPoll { .. })
    }

    /// Whether the command may put a new question in the log: it then needs a
    /// receipt secret in its `Context`.
    pub fn opens_question(&self) -> bool {
        matches!(
            self,
            Command::Ask { .. } | Command::FloorQuestion { .. } | Command::Observe { .. }
        )
    }

    /// The command's name, as a client sends its message `type` (commands that
    /// come only over REST by their action): for security events.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Ask { .. } => "ask",
            Command::Vote { .. } => "vote",
            Command::Approve { .. } => "approve",
            Command::Reject { .. } => "reject",
            Command::RejectMany { .. } => "reject_many",
            Command::Merge { .. } => "merge",
            Command::SetUpNext { .. } => "set_up_next",
            Command::SetNowAnswering { .. } => "set_now_answering",
            Command::MarkAnswered { .. } => "mark_answered",
            Command::Archive { .. } => "archive",
            Command::FloorQuestion { .. } => "floor_question",
            Command::Mute { .. } => "mute",
            Command::Ban { .. } => "ban",
            Command::Unban { .. } => "unban",
            Command::SetPhase { .. } => "set_phase",
            Command::SetInfo(_) => "set_info",
            Command::AddPanelist(_) => "add_panelist",
            Command::AddModerator(_) => "add_moderator",
            Command::RemovePerson { .. } => "remove_person",
            Command::Post { .. } => "post",
            Command::ShowPost { .. } => "show_post",
            Command::WriteAnswer { .. } => "write_answer",
            Command::PublishAnswer { .. } => "publish_answer",
            Command::PromiseFollowUp { .. } => "promise_follow_up",
            Command::RecordOutcome { .. } => "record_outcome",
            Command::OpenInvitation => "open_invitation",
            Command::CreatePoll { .. } => "create_poll",
            Command::OpenPoll { .. } => "open_poll",
            Command::ClosePoll { .. } => "close_poll",
            Command::ShowPollResults { .. } => "show_poll_results",
            Command::AnswerPoll { .. } => "answer_poll",
            Command::SendTip { .. } => "send_tip",
            Command::EnterRoom { .. } => "enter_room",
            Command::MoveToPrivate { .. } => "move_to_private",
            Command::SetTipRecipients { .. } => "set_tip_recipients",
            Command::PlanWalk(_) => "plan_walk",
            Command::MoveGroup { .. } => "move_group",
            Command::Observe { .. } => "observe",
            Command::CreateAction { .. } => "create_action",
            Command::SetActionStatus { .. } => "set_action_status",
            Command::PublishPhoto { .. } => "publish_photo",
        }
    }
}
