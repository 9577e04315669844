//! The dialogue's rules, driven directly: no server, no clock, microseconds per test.

mod context;
mod polls_and_tips;
mod walks;

use super::*;
use crate::domain::Role;
use crate::domain::command::Command;
use crate::domain::event::Recorded;
use crate::domain::question::{Addressee, Origin, QuestionStatus, RejectReason};
use crate::domain::refusal::Refusal;
use crate::domain::text::QuestionText;

/// The context of a command decided at `now`, with nothing else from outside.
fn at(now: Timestamp) -> Context {
    Context {
        now,
        ..Context::default()
    }
}

pub(super) struct Meeting {
    pub(super) d: Dialogue,
    pub(super) seq: u64,
    pub(super) organizer: Actor,
    pub(super) moderator: Actor,
}

impl Meeting {
    /// A draft as it is created: its description, with the purpose publishing needs.
    pub(super) fn draft() -> Meeting {
        let mut m = Meeting {
            d: Dialogue::new(Uuid::new_v4(), "ABC123".into(), 1),
            seq: 0,
            organizer: Actor::Organizer(Uuid::new_v4()),
            moderator: Actor::Moderator(Uuid::new_v4()),
        };
        let org = m.organizer;
        m.ok(
            &org,
            Command::SetInfo(DialogueInfo {
                title: "Trygghetsdialog".into(),
                purpose: "Frågor om tryggheten i området.".into(),
                ..DialogueInfo::default()
            }),
        );
        m
    }

    pub(super) fn live() -> Meeting {
        let mut m = Meeting::draft();
        let org = m.organizer;
        m.ok(
            &org,
            Command::SetPhase {
                to: Phase::Live,
                expected: Phase::Draft,
            },
        );
        m
    }

    pub(super) fn run(&mut self, actor: &Actor, cmd: Command) -> Result<Decision, Refusal> {
        let decision = self.d.decide(actor, cmd, at(1_000))?;
        for event in &decision.events {
            self.seq += 1;
            self.d.apply(&Recorded {
                seq: self.seq,
                at: 1_000,
                by: *actor,
                event: event.clone(),
            });
        }
        for v in &decision.votes {
            self.d.apply_vote(v);
        }
        for a in &decision.answers {
            self.d.apply_answer(a);
        }
        Ok(decision)
    }

    pub(super) fn ok(&mut self, actor: &Actor, cmd: Command) -> Decision {
        self.run(actor, cmd).expect("command should be accepted")
    }

    pub(super) fn ask(&mut self, who: &Actor, text: &str) -> QuestionId {
        let cmd = Command::Ask {
            text: QuestionText::parse(text, 500).unwrap(),
            display_name: None,
            addressee: None,
            origin: Origin::Remote,
        };
        match &self.ok(who, cmd).events[0] {
            Event::QuestionAsked { question, .. } => *question,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub(super) fn approve(&mut self, q: QuestionId) {
        let m = self.moderator;
        self.ok(
            &m,
            Command::Approve {
                question: q,
                expected: QuestionStatus::Pending,
                edited: None,
            },
        );
    }
}

pub(super) fn participant() -> Actor {
    Actor::Participant(Uuid::new_v4())
}

#[test]
fn a_question_waits_for_a_moderator_and_then_is_public() {
    let mut m = Meeting::live();
    let anna = participant();
    let q = m.ask(&anna, "Varför är det så mörkt i parken?");
    assert_eq!(m.d.questions[&q].status, QuestionStatus::Pending);
    m.approve(q);
    assert_eq!(m.d.questions[&q].status, QuestionStatus::Approved);
}

#[test]
fn two_moderators_racing_one_gets_a_conflict() {
    let mut m = Meeting::live();
    let q = m.ask(&participant(), "Fråga");
    m.approve(q);
    let other = Actor::Moderator(Uuid::new_v4());
    let late = m.run(
        &other,
        Command::Reject {
            question: q,
            expected: QuestionStatus::Pending,
            reason: RejectReason::OffTopic,
        },
    );
    assert_eq!(
        late,
        Err(Refusal::Conflict {
            question: q,
            expected: QuestionStatus::Pending,
            actual: QuestionStatus::Approved
        })
    );
}

#[test]
fn edit_then_approve_keeps_the_original_for_staff() {
    let mut m = Meeting::live();
    let q = m.ask(
        &participant(),
        "Min granne Per på Storgatan 12 säljer knark",
    );
    let edited = QuestionText::parse("Det säljs narkotika i området", 500).unwrap();
    let moderator = m.moderator;
    m.ok(
        &moderator,
        Command::Approve {
            question: q,
            expected: QuestionStatus::Pending,
            edited: Some(edited.clone()),
        },
    );
    let question = &m.d.questions[&q];
    assert_eq!(question.text, edited);
    assert!(
        question
            .original
            .as_ref()
            .unwrap()
            .expose()
            .contains("Storgatan 12")
    );
}

#[test]
fn votes_are_set_not_toggled_and_count_each_participant_once() {
    let mut m = Meeting::live();
    let q = m.ask(&participant(), "Fråga");
    m.approve(q);
    let bo = participant();
    m.ok(
        &bo,
        Command::Vote {
            question: q,
            on: true,
        },
    );
    m.ok(
        &bo,
        Command::Vote {
            question: q,
            on: true,
        },
    );
    assert_eq!(m.d.tally(q), 1);
    m.ok(
        &bo,
        Command::Vote {
            question: q,
            on: false,
        },
    );
    assert_eq!(m.d.tally(q), 0);
}

#[test]
fn a_pending_question_cannot_be_voted_on() {
    let mut m = Meeting::live();
    let q = m.ask(&participant(), "Fråga");
    assert_eq!(
        m.run(
            &participant(),
            Command::Vote {
                question: q,
                on: true
            }
        ),
        Err(Refusal::InvalidTarget("voted on"))
    );
}

#[test]
fn merging_combines_votes_without_counting_anyone_twice() {
    let mut m = Meeting::live();
    let (a, b) = (
        m.ask(&participant(), "Belysning i parken?"),
        m.ask(&participant(), "Lampor i parken?"),
    );
    m.approve(a);
    m.approve(b);
    let (x, y, z) = (participant(), participant(), participant());
    for (who, q) in [(x, a), (y, a), (y, b), (z, b)] {
        m.ok(
            &who,
            Command::Vote {
                question: q,
                on: true,
            },
        );
    }
    let moderator = m.moderator;
    m.ok(
        &moderator,
        Command::Merge {
            question: b,
            into: a,
            expected: QuestionStatus::Approved,
        },
    );
    assert_eq!(m.d.tally(a), 3);
    assert_eq!(m.d.questions[&b].status, QuestionStatus::Merged);
    assert!(
        m.run(
            &x,
            Command::Vote {
                question: b,
                on: true
            }
        )
        .is_err()
    );
}

#[test]
fn muted_and_banned_participants_are_refused() {
    let mut m = Meeting::live();
    let (troll, spammer) = (participant(), participant());
    let q = m.ask(&troll, "Fråga");
    m.approve(q);
    let moderator = m.moderator;
    m.ok(
        &moderator,
        Command::Mute {
            participant: troll.id(),
        },
    );
    m.ok(
        &moderator,
        Command::Ban {
            participant: spammer.id(),
        },
    );
    assert_eq!(
        m.run(
            &troll,
            Command::Vote {
                question: q,
                on: true
            }
        ),
        Err(Refusal::Muted)
    );
    let ask = Command::Ask {
        text: QuestionText::parse("x", 500).unwrap(),
        display_name: None,
        addressee: None,
        origin: Origin::Remote,
    };
    assert_eq!(m.run(&spammer, ask), Err(Refusal::Banned));
}

#[test]
fn only_the_right_roles_can_act() {
    let mut m = Meeting::live();
    let q = m.ask(&participant(), "Fråga");
    let panelist = Actor::Panelist(Uuid::new_v4());
    let approve = Command::Approve {
        question: q,
        expected: QuestionStatus::Pending,
        edited: None,
    };
    assert_eq!(
        m.run(&panelist, approve.clone()),
        Err(Refusal::Forbidden {
            role: Role::Panelist
        })
    );
    assert_eq!(
        m.run(&participant(), approve),
        Err(Refusal::Forbidden {
            role: Role::Participant
        })
    );
    let moderator = m.moderator;
    let phase = Command::SetPhase {
        to: Phase::Closed,
        expected: Phase::Live,
    };
    assert_eq!(
        m.run(&moderator, phase),
        Err(Refusal::Forbidden {
            role: Role::Moderator
        })
    );
    m.approve(q);
    m.ok(
        &panelist,
        Command::MarkAnswered {
            question: q,
            expected: QuestionStatus::Approved,
        },
    );
}

#[test]
fn now_answering_follows_the_expected_current_question() {
    let mut m = Meeting::live();
    let (a, b) = (m.ask(&participant(), "A"), m.ask(&participant(), "B"));
    m.approve(a);
    m.approve(b);
    let moderator = m.moderator;
    m.ok(
        &moderator,
        Command::SetUpNext {
            questions: vec![a, b],
        },
    );
    m.ok(
        &moderator,
        Command::SetNowAnswering {
            question: Some(a),
            expected: None,
        },
    );
    assert_eq!(m.d.up_next, vec![b]);
    let stale = m.run(
        &moderator,
        Command::SetNowAnswering {
            question: Some(b),
            expected: None,
        },
    );
    assert!(matches!(stale, Err(Refusal::NowAnsweringConflict { .. })));
    m.ok(
        &moderator,
        Command::MarkAnswered {
            question: a,
            expected: QuestionStatus::Approved,
        },
    );
    assert_eq!(m.d.now_answering, None);
}

#[test]
fn phases_move_forward_only_and_questions_wait_for_open() {
    let mut m = Meeting::draft();
    let ask = Command::Ask {
        text: QuestionText::parse("x", 500).unwrap(),
        display_name: None,
        addressee: None,
        origin: Origin::Remote,
    };
    assert_eq!(
        m.run(&participant(), ask),
        Err(Refusal::NotNow(Phase::Draft))
    );
    let org = m.organizer;
    m.ok(
        &org,
        Command::SetPhase {
            to: Phase::Open,
            expected: Phase::Draft,
        },
    );
    m.ok(
        &org,
        Command::SetPhase {
            to: Phase::Closed,
            expected: Phase::Open,
        },
    );
    let back = m.run(
        &org,
        Command::SetPhase {
            to: Phase::Live,
            expected: Phase::Closed,
        },
    );
    assert_eq!(
        back,
        Err(Refusal::PhaseTransition {
            from: Phase::Closed,
            to: Phase::Live
        })
    );
}

#[test]
fn a_question_to_an_unknown_panelist_is_refused_and_to_a_kind_is_fine() {
    let mut m = Meeting::live();
    let ask = |addressee| Command::Ask {
        text: QuestionText::parse("x", 500).unwrap(),
        display_name: None,
        addressee: Some(addressee),
        origin: Origin::Remote,
    };
    assert_eq!(
        m.run(&participant(), ask(Addressee::Panelist(Uuid::new_v4()))),
        Err(Refusal::NoSuchPanelist)
    );
    m.ok(&participant(), ask(Addressee::Kind(PanelKind::Police)));
}

#[test]
fn a_draft_is_published_only_with_a_purpose_and_keeps_it() {
    let mut m = Meeting {
        d: Dialogue::new(Uuid::new_v4(), "ABC123".into(), 1),
        seq: 0,
        organizer: Actor::Organizer(Uuid::new_v4()),
        moderator: Actor::Moderator(Uuid::new_v4()),
    };
    let org = m.organizer;
    let open = Command::SetPhase {
        to: Phase::Open,
        expected: Phase::Draft,
    };
    assert_eq!(m.run(&org, open.clone()), Err(Refusal::PurposeMissing));
    let info = DialogueInfo {
        title: "Trygghetsdialog".into(),
        purpose: "Frågor om tryggheten i området.".into(),
        ..DialogueInfo::default()
    };
    m.ok(&org, Command::SetInfo(info.clone()));
    m.ok(&org, open);
    let emptied = DialogueInfo {
        purpose: String::new(),
        ..info
    };
    assert_eq!(
        m.run(&org, Command::SetInfo(emptied)),
        Err(Refusal::PurposeRemoved)
    );
}
