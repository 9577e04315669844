//! What `decide` takes from outside (time, the receipt secret, attendance) ends
//! up in the events it writes: nobody patches them afterwards.

use super::*;
use crate::domain::feedback::Attendance;

fn ask_with_secret(m: &Meeting, who: &Actor, secret: &str) -> Decision {
    let cmd = Command::Ask {
        text: QuestionText::parse("Varför är det så mörkt i parken?", 500).unwrap(),
        display_name: None,
        addressee: None,
        origin: Origin::Remote,
    };
    let ctx = Context {
        receipt_secret: Some(secret.into()),
        ..at(1_000)
    };
    m.d.decide(who, cmd, ctx).unwrap()
}

#[test]
fn a_new_question_carries_the_receipt_secret_it_was_given() {
    let m = Meeting::live();
    let decision = ask_with_secret(&m, &participant(), "K7P2M9QX");
    let [Event::QuestionAsked { receipt, .. }] = decision.events.as_slice() else {
        panic!("one question asked: {:?}", decision.events);
    };
    assert_eq!(receipt.as_deref(), Some("K7P2M9QX"));

    let floor = Command::FloorQuestion {
        text: QuestionText::parse("Fråga från salen", 500).unwrap(),
        addressee: None,
    };
    let ctx = Context {
        receipt_secret: Some("FLOOR234".into()),
        ..at(1_000)
    };
    let decision = m.d.decide(&m.moderator, floor, ctx).unwrap();
    assert!(matches!(
        decision.events.as_slice(),
        [Event::QuestionAsked { receipt: Some(r), approved: true, .. }] if r == "FLOOR234"
    ));
}

#[test]
fn the_same_state_and_inputs_decide_the_same_events() {
    // `decide` is a function of the state and its inputs: nothing else goes in.
    let m = Meeting::live();
    let who = participant();
    assert_eq!(
        ask_with_secret(&m, &who, "SAMESAME"),
        ask_with_secret(&m, &who, "SAMESAME")
    );
}

#[test]
fn closing_writes_the_attendance_it_was_given_and_opening_writes_none() {
    let mut m = Meeting::draft();
    let org = m.organizer;
    let peak = Attendance {
        in_room: 31,
        remote: 140,
    };
    let open = Command::SetPhase {
        to: Phase::Live,
        expected: Phase::Draft,
    };
    let ctx = Context {
        attendance: peak,
        ..at(1_000)
    };
    let opened = m.d.decide(&org, open.clone(), ctx.clone()).unwrap();
    assert!(matches!(
        opened.events.as_slice(),
        [Event::PhaseChanged {
            to: Phase::Live,
            attendance: None
        }]
    ));
    m.ok(&org, open);
    let close = Command::SetPhase {
        to: Phase::Closed,
        expected: Phase::Live,
    };
    let closed = m.d.decide(&org, close, ctx).unwrap();
    assert_eq!(
        closed.events.last(),
        Some(&Event::PhaseChanged {
            to: Phase::Closed,
            attendance: Some(peak),
        })
    );
}
