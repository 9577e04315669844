//! What `decide` takes from outside (time, the receipt secret, attendance, the
//! room codes of now) ends
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
        verified: 0,
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

fn enter_room(m: &mut Meeting, who: &Actor, code: &str) -> Result<Decision, Refusal> {
    let ctx = Context {
        room_codes: vec!["4711".into(), "0815".into()],
        ..at(1_000)
    };
    let cmd = Command::EnterRoom { code: code.into() };
    let decision = m.d.decide(who, cmd, ctx)?;
    for event in &decision.events {
        m.seq += 1;
        m.d.apply(&Recorded {
            seq: m.seq,
            at: 1_000,
            by: *who,
            event: event.clone(),
        });
    }
    Ok(decision)
}

#[test]
fn a_room_code_of_now_counts_the_participant_in_the_room_once_and_the_record_says_how_many() {
    let mut m = Meeting::live();
    let (anna, bo) = (participant(), participant());
    assert_eq!(
        enter_room(&mut m, &anna, "1234"),
        Err(Refusal::WrongRoomCode)
    );
    assert!(m.d.in_room_verified.is_empty());
    let entered = enter_room(&mut m, &anna, "4711").unwrap();
    assert_eq!(entered.events, vec![Event::RoomEntered]);
    // The code before, still in its grace period, counts too; a second entry adds nothing.
    assert_eq!(
        enter_room(&mut m, &anna, "0815").unwrap(),
        Decision::default()
    );
    enter_room(&mut m, &bo, "0815").unwrap();
    assert_eq!(m.d.in_room_verified.len(), 2);
    // Nobody but a participant enters the room this way.
    let moderator = m.moderator;
    assert!(matches!(
        enter_room(&mut m, &moderator, "4711"),
        Err(Refusal::Forbidden { .. })
    ));
    let close = Command::SetPhase {
        to: Phase::Closed,
        expected: Phase::Live,
    };
    let ctx = Context {
        attendance: Attendance {
            in_room: 5,
            remote: 9,
            verified: 0,
        },
        ..at(2_000)
    };
    let closed = m.d.decide(&m.organizer, close, ctx).unwrap();
    assert!(matches!(
        closed.events.last(),
        Some(Event::PhaseChanged {
            attendance: Some(Attendance {
                in_room: 5,
                remote: 9,
                verified: 2
            }),
            ..
        })
    ));
}
