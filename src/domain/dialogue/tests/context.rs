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

/// Decides with the actor's token marked burst, and applies what came of it.
fn as_burst(m: &mut Meeting, who: &Actor, cmd: Command) -> Decision {
    let ctx = Context {
        burst: true,
        room_codes: vec!["4711".into()],
        ..at(1_000)
    };
    let decision = m.d.decide(who, cmd, ctx).unwrap();
    for event in &decision.events {
        m.seq += 1;
        m.d.apply(&Recorded {
            seq: m.seq,
            at: 1_000,
            by: *who,
            event: event.clone(),
        });
    }
    decision.votes.iter().for_each(|v| m.d.apply_vote(v));
    decision.answers.iter().for_each(|a| m.d.apply_answer(a));
    decision
}

#[test]
fn votes_and_answers_of_a_burst_identity_count_apart_until_it_enters_the_room_code() {
    use crate::domain::{PollId, PollKind, PollState};
    let mut m = Meeting::live();
    let moderator = m.moderator;
    let asker = participant();
    let q = m.ask(&asker, "Varför är det så mörkt i parken?");
    m.approve(q);
    m.ok(
        &moderator,
        Command::CreatePoll {
            question: "Trygg?".into(),
            kind: PollKind::Single,
            options: vec!["Ja".into(), "Nej".into()],
        },
    );
    let poll = PollId(1);
    let open = Command::OpenPoll {
        poll,
        expected: PollState::Prepared,
    };
    m.ok(&moderator, open);
    let (anna, flood) = (participant(), participant());
    m.ok(
        &anna,
        Command::Vote {
            question: q,
            on: true,
        },
    );
    m.ok(
        &anna,
        Command::AnswerPoll {
            poll,
            choices: vec![0],
        },
    );
    let voted = as_burst(
        &mut m,
        &flood,
        Command::Vote {
            question: q,
            on: true,
        },
    );
    assert!(voted.votes[0].burst, "the vote is stored flagged");
    let answered = as_burst(
        &mut m,
        &flood,
        Command::AnswerPoll {
            poll,
            choices: vec![1],
        },
    );
    assert!(answered.answers[0].burst, "the answer is stored flagged");
    assert!(m.d.is_burst(flood.id()) && !m.d.is_burst(anna.id()));
    assert_eq!((m.d.tally(q), m.d.burst_tally(q)), (2, 1));
    let results = m.d.poll_results(poll);
    assert_eq!((results.counts, results.respondents), (vec![1, 1], 2));
    assert_eq!(
        (results.burst_counts, results.burst_respondents),
        (vec![0, 1], 1)
    );

    // The code from the screen: still counted, no longer apart; what it does
    // from now on is not flagged, though its token still says burst.
    as_burst(
        &mut m,
        &flood,
        Command::EnterRoom {
            code: "4711".into(),
        },
    );
    assert_eq!((m.d.tally(q), m.d.burst_tally(q)), (2, 0));
    assert_eq!(m.d.poll_results(poll).burst_respondents, 0);
    let again = as_burst(
        &mut m,
        &flood,
        Command::AnswerPoll {
            poll,
            choices: vec![0],
        },
    );
    assert!(!again.answers[0].burst);

    // A merge moves a burst identity's vote with its flag.
    let other = participant();
    let dup = m.ask(&asker, "Mörkt i parken?");
    m.approve(dup);
    as_burst(
        &mut m,
        &other,
        Command::Vote {
            question: dup,
            on: true,
        },
    );
    let merged = m.ok(
        &moderator,
        Command::Merge {
            question: dup,
            into: q,
            expected: QuestionStatus::Approved,
        },
    );
    assert_eq!(merged.votes.len(), 1);
    assert!(merged.votes[0].burst && merged.votes[0].participant == other.id());
    assert_eq!((m.d.tally(q), m.d.burst_tally(q)), (3, 1));
}
