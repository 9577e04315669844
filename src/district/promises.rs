//! Every promise of a district in one list: each follow-up promised in a
//! dialogue and each action of a walk, with who, by when, its status on a given
//! day and what came of it. Pure: the day comes in as a value.

use super::Snapshot;
use crate::domain::walk::ActionStatus;
use crate::domain::{QuestionId, Timestamp};
use crate::protocol::public_record;
use chrono::NaiveDate;

/// Where a promise stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromiseStatus {
    Open,
    /// Not closed, and its due date has passed.
    Overdue,
    Done,
    /// Closed without being done (a walk's action, with the reason).
    WillNotBeDone,
}

impl PromiseStatus {
    pub const ALL: [PromiseStatus; 4] = [
        PromiseStatus::Open,
        PromiseStatus::Overdue,
        PromiseStatus::Done,
        PromiseStatus::WillNotBeDone,
    ];

    /// The name in links and filters (`?status=overdue`).
    pub fn code(self) -> &'static str {
        match self {
            PromiseStatus::Open => "open",
            PromiseStatus::Overdue => "overdue",
            PromiseStatus::Done => "done",
            PromiseStatus::WillNotBeDone => "will_not_be_done",
        }
    }

    pub fn parse(code: &str) -> Option<PromiseStatus> {
        PromiseStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What was promised: a follow-up on a question, or a walk's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseKind {
    FollowUp(QuestionId),
    Action(u64),
}

/// One promise as the public reads it.
#[derive(Debug, Clone)]
pub struct Promise<'a> {
    pub snapshot: &'a Snapshot,
    pub kind: PromiseKind,
    /// The question (approved text) or the action's title.
    pub what: &'a str,
    pub owner: &'a str,
    pub due: NaiveDate,
    pub outcome: Option<&'a str>,
    /// When it was closed, and whether it was done.
    pub closed: Option<(Timestamp, bool)>,
    pub status: PromiseStatus,
}

fn status(closed: Option<(Timestamp, bool)>, due: NaiveDate, today: NaiveDate) -> PromiseStatus {
    match closed {
        Some((_, true)) => PromiseStatus::Done,
        Some((_, false)) => PromiseStatus::WillNotBeDone,
        None if due < today => PromiseStatus::Overdue,
        None => PromiseStatus::Open,
    }
}

/// The dialogue's promises, follow-ups first (by question), then actions.
pub fn of(s: &Snapshot, today: NaiveDate) -> Vec<Promise<'_>> {
    let d = &s.dialogue;
    let mut out = Vec::new();
    // Through the public record: only approved text is read.
    for q in public_record::record(d).questions {
        let Some(question) = d.questions.get(&QuestionId(q.id)) else {
            continue;
        };
        let Some(f) = &question.follow_up else {
            continue;
        };
        let closed = f
            .done_at
            .filter(|_| f.outcome.is_some())
            .map(|at| (at, true));
        out.push(Promise {
            snapshot: s,
            kind: PromiseKind::FollowUp(question.id),
            what: q.text,
            owner: &f.owner,
            due: f.due,
            outcome: f.outcome.as_deref(),
            closed,
            status: status(closed, f.due, today),
        });
    }
    if let Some(walk) = &d.walk {
        for a in walk.actions.values() {
            let last = a.history.last();
            let closed = last
                .filter(|c| c.status.is_closed())
                .map(|c| (c.at, c.status == ActionStatus::Done));
            out.push(Promise {
                snapshot: s,
                kind: PromiseKind::Action(a.id.0),
                what: &a.title,
                owner: &a.responsible,
                due: a.due,
                // The latest note says what came of it (or why not).
                outcome: last.map(|c| c.note.as_str()).filter(|n| !n.is_empty()),
                closed,
                status: status(closed, a.due, today),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_promise_is_overdue_from_the_day_after_its_due_date_until_it_closes() {
        let due = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        assert_eq!(status(None, due, day(10)), PromiseStatus::Open);
        assert_eq!(status(None, due, day(11)), PromiseStatus::Overdue);
        assert_eq!(status(Some((1, true)), due, day(11)), PromiseStatus::Done);
        assert_eq!(
            status(Some((1, false)), due, day(11)),
            PromiseStatus::WillNotBeDone
        );
        for s in PromiseStatus::ALL {
            assert_eq!(PromiseStatus::parse(s.code()), Some(s));
        }
    }
}
