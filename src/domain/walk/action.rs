//! An action (åtgärd): what staff promise to do about one or more observations,
//! who is responsible, by when, and every change of its status, dated, in public.

use super::super::Timestamp;
use super::super::question::QuestionId;

/// Per-walk action number, 1, 2…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionId(pub u64);

/// Reported → planned → in progress → done, or will not be done (with the reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionStatus {
    Reported,
    Planned,
    InProgress,
    Done,
    WillNotBeDone,
}

impl ActionStatus {
    /// Done or will not be done: Open311's `closed`.
    pub fn is_closed(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::WillNotBeDone)
    }

    /// Whether a change to `to` needs a note saying why.
    pub fn needs_reason(to: ActionStatus) -> bool {
        to == ActionStatus::WillNotBeDone
    }
}

/// One line of an action's public history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub status: ActionStatus,
    pub at: Timestamp,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub id: ActionId,
    pub title: String,
    pub observations: Vec<QuestionId>,
    /// The district, the traffic office, a housing company, the police…
    pub responsible: String,
    pub due: chrono::NaiveDate,
    /// Oldest first; never empty (the first line is `Reported`).
    pub history: Vec<StatusChange>,
}

impl Action {
    pub fn status(&self) -> ActionStatus {
        self.history
            .last()
            .map_or(ActionStatus::Reported, |c| c.status)
    }

    pub fn created_at(&self) -> Timestamp {
        self.history.first().map_or(0, |c| c.at)
    }

    pub fn updated_at(&self) -> Timestamp {
        self.history.last().map_or(0, |c| c.at)
    }

    /// Past its due date on `today` and not closed.
    pub fn overdue(&self, today: chrono::NaiveDate) -> bool {
        !self.status().is_closed() && self.due < today
    }
}
