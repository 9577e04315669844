//! Who may do what, and when: one row per command.

use super::Dialogue;
use crate::domain::command::Command;
use crate::domain::refusal::Refusal;
use crate::domain::{Actor, Phase, Role};

/// The roles that may give a command and the phases in which they may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    pub roles: &'static [Role],
    pub when: When,
}

/// The phases in which a command may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// In any phase.
    Always,
    /// While questions are taken: `Open` and `Live`.
    TakingQuestions,
    /// Before the dialogue is closed (polls are prepared before the meeting).
    NotClosed,
    /// Once the dialogue left draft: during the meeting or after it.
    NotDraft,
}

impl When {
    pub fn allows(self, phase: Phase) -> bool {
        match self {
            When::Always => true,
            When::TakingQuestions => phase.takes_questions(),
            When::NotClosed => phase != Phase::Closed,
            When::NotDraft => phase != Phase::Draft,
        }
    }
}

const PARTICIPANT: &[Role] = &[Role::Participant];
const MODERATION: &[Role] = &[Role::Moderator, Role::Organizer];
const ORGANIZER: &[Role] = &[Role::Organizer];
/// Those who answer on stage or in writing.
const PANEL_AND_MODERATION: &[Role] = &[Role::Panelist, Role::Moderator, Role::Organizer];
/// Those who publish information posts.
const ORGANIZER_AND_PANEL: &[Role] = &[Role::Organizer, Role::Panelist];
/// Those who were invited (the organizer made the dialogue).
const INVITED: &[Role] = &[Role::Panelist, Role::Moderator];

/// THE one table of who may do what: every command, the roles that may give it
/// and the phases in which they may. No default row: a new command does not
/// compile until its rights are written here. `Dialogue::authorize` applies it
/// (and refuses banned and muted participants); REST and WebSocket both go
/// through it.
pub fn rights(cmd: &Command) -> Rights {
    use When::*;
    let (roles, when) = match cmd {
        // What participants do.
        Command::Ask { .. } => (PARTICIPANT, TakingQuestions),
        Command::Vote { .. } => (PARTICIPANT, TakingQuestions),
        Command::AnswerPoll { .. } => (PARTICIPANT, TakingQuestions),
        Command::SendTip { .. } => (PARTICIPANT, TakingQuestions),
        Command::EnterRoom { .. } => (PARTICIPANT, TakingQuestions),
        // Moderation of the queue.
        Command::Approve { .. } => (MODERATION, TakingQuestions),
        Command::Reject { .. } => (MODERATION, TakingQuestions),
        Command::RejectMany { .. } => (MODERATION, TakingQuestions),
        Command::Merge { .. } => (MODERATION, TakingQuestions),
        Command::SetUpNext { .. } => (MODERATION, TakingQuestions),
        Command::SetNowAnswering { .. } => (MODERATION, TakingQuestions),
        Command::Archive { .. } => (MODERATION, TakingQuestions),
        Command::FloorQuestion { .. } => (MODERATION, TakingQuestions),
        Command::MoveToPrivate { .. } => (MODERATION, TakingQuestions),
        Command::Mute { .. } => (MODERATION, TakingQuestions),
        Command::Ban { .. } => (MODERATION, TakingQuestions),
        Command::Unban { .. } => (MODERATION, TakingQuestions),
        // Polls.
        Command::CreatePoll { .. } => (MODERATION, NotClosed),
        Command::OpenPoll { .. } => (MODERATION, TakingQuestions),
        Command::ClosePoll { .. } => (MODERATION, TakingQuestions),
        Command::ShowPollResults { .. } => (MODERATION, TakingQuestions),
        // What the venue screen shows besides the queue.
        Command::ShowPost { .. } => (MODERATION, TakingQuestions),
        // Answers, in the room and in writing, and what was promised.
        Command::MarkAnswered { .. } => (PANEL_AND_MODERATION, TakingQuestions),
        Command::WriteAnswer { .. } => (PANEL_AND_MODERATION, NotDraft),
        Command::PublishAnswer { .. } => (MODERATION, NotDraft),
        Command::PromiseFollowUp { .. } => (PANEL_AND_MODERATION, NotDraft),
        Command::RecordOutcome { .. } => (ORGANIZER, NotDraft),
        // Information goes out before, during and after the meeting.
        Command::Post { .. } => (ORGANIZER_AND_PANEL, Always),
        // Setting the dialogue up.
        Command::SetPhase { .. } => (ORGANIZER, Always),
        Command::SetInfo(_) => (ORGANIZER, Always),
        Command::AddPanelist(_) => (ORGANIZER, Always),
        Command::AddModerator(_) => (ORGANIZER, Always),
        Command::RemovePerson { .. } => (ORGANIZER, Always),
        Command::SetTipRecipients { .. } => (ORGANIZER, Always),
        Command::OpenInvitation => (INVITED, Always),
        // Safety walks: planned before, walked live, followed up after.
        Command::PlanWalk(_) => (ORGANIZER, NotClosed),
        Command::MoveGroup { .. } => (MODERATION, TakingQuestions),
        Command::Observe { .. } => (PARTICIPANT, TakingQuestions),
        Command::CreateAction { .. } => (MODERATION, NotDraft),
        Command::SetActionStatus { .. } => (MODERATION, NotDraft),
        // Photos are decided on the day or after it, as the REST approve allows.
        Command::PublishPhoto { .. } => (MODERATION, Always),
    };
    Rights { roles, when }
}

impl Dialogue {
    /// Applies the table of rights (`rights`) to one actor now: the role first,
    /// then a participant's standing (banned, muted), then the phase.
    pub(crate) fn authorize(&self, actor: &Actor, cmd: &Command) -> Result<(), Refusal> {
        let Rights { roles, when } = rights(cmd);
        let role = actor.role();
        if !roles.contains(&role) {
            return Err(Refusal::Forbidden { role });
        }
        if let Actor::Participant(id) = actor {
            if self.banned.contains(id) {
                return Err(Refusal::Banned);
            }
            if self.muted.contains(id) {
                return Err(Refusal::Muted);
            }
        }
        if !when.allows(self.phase) {
            return Err(Refusal::NotNow(self.phase));
        }
        Ok(())
    }
}
