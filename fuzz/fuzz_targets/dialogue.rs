//! A dialogue driven by arbitrary command sequences from arbitrary actors: no
//! panic in decide, apply or the encoders; `seq` gap-free; replaying the stored
//! form of the log gives the live state.
#![no_main]

use dialoghub::domain::question::Origin;
use dialoghub::domain::text::{DisplayName, QuestionText};
use dialoghub::domain::{
    Actor, Attendance, Audience, Command, Context, Dialogue, DialogueInfo, Event, Phase,
    QuestionId, QuestionStatus, Recorded, RejectReason,
};
use dialoghub::protocol::{EventBody, mine, public_event, snapshot};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

#[derive(Arbitrary, Debug)]
enum Op {
    Ask {
        who: u8,
        text: String,
        name: Option<String>,
    },
    Vote {
        who: u8,
        q: u8,
        on: bool,
    },
    Approve {
        who: u8,
        q: u8,
        expected: u8,
        edit: Option<String>,
    },
    Reject {
        who: u8,
        q: u8,
        expected: u8,
        reason: u8,
    },
    RejectMany {
        who: u8,
        qs: Vec<u8>,
        reason: u8,
    },
    Merge {
        who: u8,
        q: u8,
        into: u8,
        expected: u8,
    },
    UpNext {
        who: u8,
        qs: Vec<u8>,
    },
    NowAnswering {
        who: u8,
        q: Option<u8>,
        expected: Option<u8>,
    },
    MarkAnswered {
        who: u8,
        q: u8,
        expected: u8,
    },
    Archive {
        who: u8,
        q: u8,
        expected: u8,
    },
    Floor {
        who: u8,
        text: String,
    },
    Mute {
        who: u8,
        target: u8,
    },
    Ban {
        who: u8,
        target: u8,
    },
    Unban {
        who: u8,
        target: u8,
    },
    /// A room code: the one accepted when `right`, another otherwise.
    EnterRoom {
        who: u8,
        right: bool,
    },
    SetPhase {
        who: u8,
        to: u8,
        expected: u8,
    },
}

fn actor(who: u8) -> Actor {
    let id = Uuid::from_u128(u128::from(who % 8));
    match who % 8 {
        0 => Actor::Organizer(id),
        1 => Actor::Moderator(id),
        2 => Actor::Panelist(id),
        3 => Actor::Screen(id),
        _ => Actor::Participant(id),
    }
}

fn status(x: u8) -> QuestionStatus {
    use QuestionStatus::*;
    [Pending, Approved, Answered, Rejected, Merged, Archived][usize::from(x % 6)]
}

fn reject_reason(x: u8) -> RejectReason {
    use RejectReason::*;
    [PersonalData, OffTopic, Abusive, Duplicate, Other][usize::from(x % 5)]
}

fn phase(x: u8) -> Phase {
    [Phase::Draft, Phase::Open, Phase::Live, Phase::Closed][usize::from(x % 4)]
}

fn q(x: u8) -> QuestionId {
    QuestionId(u64::from(x % 16))
}

/// The command an op stands for, or `None` where the decoder would have refused the text.
/// The room code the venue screen shows in every step.
const ROOM_CODE: &str = "4711";

fn command(op: Op) -> Option<(Actor, Command)> {
    let text = |t: &str| QuestionText::parse(t, 500).ok();
    Some(match op {
        Op::Ask { who, text: t, name } => {
            let display_name = match name {
                Some(n) => Some(DisplayName::parse(&n).ok()?),
                None => None,
            };
            let cmd = Command::Ask {
                text: text(&t)?,
                display_name,
                addressee: None,
                origin: Origin::Remote,
            };
            (actor(who), cmd)
        }
        Op::Vote { who, q: x, on } => (actor(who), Command::Vote { question: q(x), on }),
        Op::Approve {
            who,
            q: x,
            expected,
            edit,
        } => {
            let edited = match edit {
                Some(t) => Some(text(&t)?),
                None => None,
            };
            (
                actor(who),
                Command::Approve {
                    question: q(x),
                    expected: status(expected),
                    edited,
                },
            )
        }
        Op::Reject {
            who,
            q: x,
            expected,
            reason,
        } => {
            (
                actor(who),
                Command::Reject {
                    question: q(x),
                    expected: status(expected),
                    reason: reject_reason(reason),
                },
            )
        }
        Op::RejectMany { who, qs, reason } => (
            actor(who),
            Command::RejectMany {
                questions: qs.into_iter().map(q).collect(),
                reason: reject_reason(reason),
            },
        ),
        Op::Merge {
            who,
            q: x,
            into,
            expected,
        } => (
            actor(who),
            Command::Merge {
                question: q(x),
                into: q(into),
                expected: status(expected),
            },
        ),
        Op::UpNext { who, qs } => (
            actor(who),
            Command::SetUpNext {
                questions: qs.into_iter().take(100).map(q).collect(),
            },
        ),
        Op::NowAnswering {
            who,
            q: x,
            expected,
        } => (
            actor(who),
            Command::SetNowAnswering {
                question: x.map(q),
                expected: expected.map(q),
            },
        ),
        Op::MarkAnswered {
            who,
            q: x,
            expected,
        } => (
            actor(who),
            Command::MarkAnswered {
                question: q(x),
                expected: status(expected),
            },
        ),
        Op::Archive {
            who,
            q: x,
            expected,
        } => (
            actor(who),
            Command::Archive {
                question: q(x),
                expected: status(expected),
            },
        ),
        Op::Floor { who, text: t } => (
            actor(who),
            Command::FloorQuestion {
                text: text(&t)?,
                addressee: None,
            },
        ),
        Op::Mute { who, target } => (
            actor(who),
            Command::Mute {
                participant: actor(target).id(),
            },
        ),
        Op::Ban { who, target } => (
            actor(who),
            Command::Ban {
                participant: actor(target).id(),
            },
        ),
        Op::Unban { who, target } => (
            actor(who),
            Command::Unban {
                participant: actor(target).id(),
            },
        ),
        Op::EnterRoom { who, right } => (
            actor(who),
            Command::EnterRoom {
                code: if right { ROOM_CODE } else { "0000" }.into(),
            },
        ),
        Op::SetPhase { who, to, expected } => (
            actor(who),
            Command::SetPhase {
                to: phase(to),
                expected: phase(expected),
            },
        ),
    })
}

fuzz_target!(|ops: Vec<Op>| {
    let mut d = Dialogue::new(Uuid::from_u128(99), "FUZZ01".into(), 1);
    // As a dialogue is created: its description, with the purpose publishing needs.
    let created = Recorded {
        seq: 1,
        at: 0,
        by: actor(0),
        event: Event::InfoSet(DialogueInfo {
            title: "Fuzz".into(),
            purpose: "Frågor om tryggheten.".into(),
            ..DialogueInfo::default()
        }),
    };
    d.apply(&created);
    let mut log: Vec<Recorded> = vec![created];
    let mut votes = Vec::new();
    for (i, op) in ops.into_iter().enumerate() {
        let Some((who, cmd)) = command(op) else {
            continue;
        };
        let at = i as i64;
        // The caller draws the receipt secret and counts attendance; any value will do here.
        let ctx = Context {
            now: at,
            receipt_secret: Some(format!("S{i:07}")),
            attendance: Attendance::default(),
            room_codes: vec![ROOM_CODE.into()],
            // Some commands come from burst identities, so their flags are fuzzed too.
            burst: i % 3 == 0,
        };
        let Ok(decision) = d.decide(&who, cmd, ctx) else {
            continue;
        };
        for event in decision.events {
            let rec = Recorded {
                seq: d.head_seq + 1,
                at,
                by: who,
                event,
            };
            d.apply(&rec);
            assert_eq!(d.head_seq, log.len() as u64 + 1, "seq is gap-free");
            let body = EventBody::from(&rec.event);
            let _ = serde_json::to_string(&public_event(&d, &body)).unwrap();
            let _ = serde_json::to_string(&body.for_staff(&d)).unwrap();
            log.push(rec);
        }
        for v in &decision.votes {
            d.apply_vote(v);
            votes.push(*v);
        }
    }
    for audience in [Audience::Staff, Audience::Public] {
        let _ = serde_json::to_string(&snapshot(&d, audience)).unwrap();
    }
    let _ = serde_json::to_string(&mine(&d, &actor(4))).unwrap();
    // The store's form of the log replays to the same state.
    let mut replayed = Dialogue::new(d.id, d.code.clone(), d.epoch);
    for rec in &log {
        let stored = serde_json::to_string(&EventBody::from(&rec.event)).unwrap();
        let body: EventBody = serde_json::from_str(&stored).unwrap();
        replayed.apply(&Recorded {
            event: body.into(),
            ..rec.clone()
        });
    }
    for v in &votes {
        replayed.apply_vote(v);
    }
    assert_eq!(
        serde_json::to_string(&snapshot(&replayed, Audience::Staff)).unwrap(),
        serde_json::to_string(&snapshot(&d, Audience::Staff)).unwrap()
    );
});
