//! The commands of the model tests and how proptest picks them.

use super::{ACTORS, MAX_QUESTION, PARTICIPANTS};
use dialoghub::domain::{Phase, QuestionStatus};
use proptest::prelude::*;

#[derive(Debug, Clone)]
pub enum Op {
    Ask {
        who: usize,
        named: bool,
    },
    Vote {
        who: usize,
        q: u64,
        on: bool,
    },
    Approve {
        who: usize,
        q: u64,
        expected: Option<QuestionStatus>,
        edit: bool,
    },
    Reject {
        who: usize,
        q: u64,
        expected: Option<QuestionStatus>,
    },
    Merge {
        who: usize,
        q: u64,
        into: u64,
        expected: Option<QuestionStatus>,
    },
    MarkAnswered {
        who: usize,
        q: u64,
        expected: Option<QuestionStatus>,
    },
    Archive {
        who: usize,
        q: u64,
        expected: Option<QuestionStatus>,
    },
    Floor {
        who: usize,
    },
    NowAnswering {
        who: usize,
        q: Option<u64>,
        expected_actual: bool,
    },
    UpNext {
        who: usize,
        qs: Vec<u64>,
    },
    Mute {
        who: usize,
        target: usize,
    },
    Ban {
        who: usize,
        target: usize,
    },
    SetPhase {
        who: usize,
        to: Phase,
        expected_actual: bool,
    },
}

fn status() -> impl Strategy<Value = Option<QuestionStatus>> {
    // Mostly "what the moderator sees now" (None), sometimes a stale expectation.
    prop_oneof![
        4 => Just(None),
        1 => prop_oneof![
            Just(QuestionStatus::Pending),
            Just(QuestionStatus::Approved),
            Just(QuestionStatus::Answered),
            Just(QuestionStatus::Rejected),
        ]
        .prop_map(Some),
    ]
}

/// Mostly the role the command is for, sometimes anyone.
fn staff() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 0..2usize, 1 => 0..ACTORS]
}

fn citizen() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 4..ACTORS, 1 => 0..ACTORS]
}

fn question() -> impl Strategy<Value = u64> {
    1..=MAX_QUESTION
}

pub fn op() -> impl Strategy<Value = Op> {
    let phase = prop_oneof![
        Just(Phase::Draft),
        Just(Phase::Open),
        Just(Phase::Live),
        Just(Phase::Closed)
    ];
    prop_oneof![
        6 => (citizen(), any::<bool>()).prop_map(|(who, named)| Op::Ask { who, named }),
        6 => (citizen(), question(), prop::bool::weighted(0.7))
            .prop_map(|(who, q, on)| Op::Vote { who, q, on }),
        5 => (staff(), question(), status(), any::<bool>())
            .prop_map(|(who, q, expected, edit)| Op::Approve { who, q, expected, edit }),
        2 => (staff(), question(), status()).prop_map(|(who, q, expected)| Op::Reject { who, q, expected }),
        2 => (staff(), question(), question(), status())
            .prop_map(|(who, q, into, expected)| Op::Merge { who, q, into, expected }),
        2 => (prop_oneof![0..3usize, 0..ACTORS], question(), status())
            .prop_map(|(who, q, expected)| Op::MarkAnswered { who, q, expected }),
        1 => (staff(), question(), status()).prop_map(|(who, q, expected)| Op::Archive { who, q, expected }),
        1 => staff().prop_map(|who| Op::Floor { who }),
        2 => (staff(), prop::option::of(question()), prop::bool::weighted(0.8))
            .prop_map(|(who, q, expected_actual)| Op::NowAnswering { who, q, expected_actual }),
        1 => (staff(), prop::collection::vec(question(), 0..4)).prop_map(|(who, qs)| Op::UpNext { who, qs }),
        1 => (staff(), 0..PARTICIPANTS).prop_map(|(who, target)| Op::Mute { who, target }),
        1 => (staff(), 0..PARTICIPANTS).prop_map(|(who, target)| Op::Ban { who, target }),
        1 => (prop_oneof![3 => Just(0usize), 1 => 0..ACTORS], phase, prop::bool::weighted(0.8))
            .prop_map(|(who, to, expected_actual)| Op::SetPhase { who, to, expected_actual }),
    ]
}
