//! The stored log's codec: an old log reads back as the events it recorded.
//!
//! `tests/fixtures/log-v1.jsonl` holds one event of every kind as the store kept
//! them before the codec existed (the staff wire encoding, format v1), one row a
//! line: `seq`, `at`, and the `actor` and `body` columns as text. Any later
//! version of the codec must still read them.

use dialoghub::domain::text::{DisplayName, QuestionText};
use dialoghub::domain::walk::{
    ActionId, ActionStatus, FeltSafety, Group, GroupId, Observation, PhotoId, Place, Position,
    Stop, StopId, WalkPlan,
};
use dialoghub::domain::{
    Actor, Addressee, Attendance, DialogueInfo, Event, Moderator, Origin, PanelKind, Panelist,
    Phase, PollId, PollKind, PollResults, PostData, PostId, QuestionId, Recorded, RejectReason,
    Series, TipId,
};
use dialoghub::log::{self, StoredEvent};
use uuid::Uuid;

fn walk_planned() -> Event {
    Event::WalkPlanned(WalkPlan {
        stops: vec![Stop {
            id: StopId(1),
            name: "Tunneln".into(),
            address: "Parkvägen 1".into(),
            position: Some(Position::exact(59.3345, 18.0632).unwrap()),
        }],
        groups: vec![Group {
            id: GroupId(1),
            name: "Grupp 1".into(),
            leader: "Lena".into(),
            leader_id: None,
            route: vec![StopId(1)],
            at: None,
        }],
        before: None,
        after: None,
    })
}

const FIXTURE: &str = include_str!("../fixtures/log-v1.jsonl");

fn id(n: u8) -> Uuid {
    Uuid::from_bytes([n; 16])
}

/// The events in the fixture, in order.
fn v1_events() -> Vec<Recorded> {
    let organizer = Actor::Organizer(id(1));
    let moderator = Actor::Moderator(id(2));
    let participant = Actor::Participant(id(3));
    let panelist = Actor::Panelist(id(4));
    let q = QuestionId;
    let text = |s: &str| QuestionText::from_trusted(s.to_string());
    let events = vec![
        (
            organizer,
            Event::InfoSet(DialogueInfo {
                title: "Trygghetsdialog Tensta".into(),
                description: "Om kvällarna vid torget".into(),
                purpose: "Polisens och kommunens prioriteringar".into(),
                starts_at: Some(1_767_800_000_000),
                ends_at: Some(1_767_807_200_000),
                venue: "Tensta träff".into(),
                address: "Tensta allé 12".into(),
                livestream_url: "https://example.org/live".into(),
                expected_kinds: vec![PanelKind::Police, PanelKind::Politician],
                unreached_plan: "Skriftliga svar inom två veckor".into(),
            }),
        ),
        (
            organizer,
            Event::PanelistAdded(Panelist {
                id: id(4),
                name: "Anna Berg".into(),
                title: "Kommunpolis".into(),
                organisation: "Polisen".into(),
                kind: PanelKind::Police,
            }),
        ),
        (
            organizer,
            Event::ModeratorAdded(Moderator {
                id: id(2),
                name: "Sam Lind".into(),
            }),
        ),
        (organizer, Event::InvitationOpened),
        (
            organizer,
            Event::PhaseChanged {
                to: Phase::Open,
                attendance: None,
            },
        ),
        (
            participant,
            Event::QuestionAsked {
                question: q(1),
                text: text("Varför är det så mörkt vid busshållplatsen?"),
                display_name: Some(DisplayName::from_trusted("Leyla".into())),
                addressee: Some(Addressee::Kind(PanelKind::Politician)),
                origin: Origin::Remote,
                approved: false,
                receipt: Some("K7PX2M9Q".into()),
                burst: false,
            },
        ),
        (
            moderator,
            Event::QuestionAsked {
                question: q(2),
                text: text("Fråga från golvet om skolvägen"),
                display_name: None,
                addressee: Some(Addressee::Panelist(id(4))),
                origin: Origin::InRoom,
                approved: true,
                receipt: None,
                burst: false,
            },
        ),
        (
            participant,
            Event::QuestionAsked {
                question: q(3),
                text: text("Min granne heter Olle"),
                display_name: None,
                addressee: None,
                origin: Origin::Remote,
                approved: false,
                receipt: Some("ZZ3Q8WRT".into()),
                burst: false,
            },
        ),
        (
            moderator,
            Event::QuestionApproved {
                question: q(1),
                edited: Some(text("Varför är det så mörkt vid hållplatsen?")),
            },
        ),
        (
            moderator,
            Event::QuestionRejected {
                question: q(3),
                reason: RejectReason::PersonalData,
            },
        ),
        (
            participant,
            Event::QuestionAsked {
                question: q(4),
                text: text("Varför är det mörkt vid hållplatsen?"),
                display_name: None,
                addressee: None,
                origin: Origin::Remote,
                approved: false,
                receipt: None,
                burst: false,
            },
        ),
        (
            moderator,
            Event::QuestionMerged {
                question: q(4),
                into: q(1),
            },
        ),
        (
            organizer,
            Event::PhaseChanged {
                to: Phase::Live,
                attendance: None,
            },
        ),
        (
            moderator,
            Event::UpNextSet {
                questions: vec![q(1), q(2)],
            },
        ),
        (
            moderator,
            Event::NowAnswering {
                question: Some(q(1)),
            },
        ),
        (moderator, Event::QuestionAnswered { question: q(1) }),
        (moderator, Event::NowAnswering { question: None }),
        (moderator, Event::QuestionArchived { question: q(2) }),
        (moderator, Event::ParticipantMuted { participant: id(5) }),
        (moderator, Event::ParticipantBanned { participant: id(6) }),
        (
            moderator,
            Event::InfoPosted {
                post: PostId(1),
                text: "Belysningen byts i mars".into(),
                source: "Trafikkontoret".into(),
                link: Some("https://example.org/belysning".into()),
                data: None,
            },
        ),
        (
            moderator,
            Event::InfoPostEdited {
                post: PostId(1),
                text: "Belysningen byts i april".into(),
                source: "Trafikkontoret".into(),
                link: None,
                data: None,
            },
        ),
        (
            panelist,
            Event::AnswerWritten {
                question: q(2),
                text: "Vi ser över skolvägen".into(),
            },
        ),
        (
            moderator,
            Event::AnswerPublished {
                question: q(2),
                text: "Vi ser över skolvägen i vår".into(),
            },
        ),
        (
            moderator,
            Event::FollowUpPromised {
                question: q(1),
                owner: "Trafikkontoret".into(),
                due: chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
            },
        ),
        (
            moderator,
            Event::FollowUpDone {
                question: q(1),
                outcome: "Nya lampor sitter uppe".into(),
            },
        ),
        (
            moderator,
            Event::PollCreated {
                poll: PollId(1),
                question: "Känner du dig trygg vid torget?".into(),
                kind: PollKind::Single,
                options: vec!["Ja".into(), "Nej".into()],
            },
        ),
        (moderator, Event::PollOpened { poll: PollId(1) }),
        (
            moderator,
            Event::PollClosed {
                poll: PollId(1),
                results: PollResults {
                    counts: vec![12, 30],
                    respondents: 42,
                    ..PollResults::default()
                },
            },
        ),
        (
            moderator,
            Event::PollResultsShown {
                poll: PollId(1),
                shown: true,
            },
        ),
        (
            participant,
            Event::TipSent {
                tip: TipId(1),
                text: text("Det langas vid källaren"),
                display_name: Some(DisplayName::from_trusted("Leyla".into())),
            },
        ),
        (
            participant,
            Event::QuestionAsked {
                question: q(5),
                text: text("Någon hotar mig på vägen hem"),
                display_name: None,
                addressee: None,
                origin: Origin::Remote,
                approved: false,
                receipt: Some("M4N8R2TX".into()),
                burst: false,
            },
        ),
        (
            moderator,
            Event::QuestionMovedToPrivate {
                question: q(5),
                tip: TipId(2),
            },
        ),
        (
            organizer,
            Event::TipRecipientsSet {
                kinds: vec![PanelKind::Police, PanelKind::Staff],
            },
        ),
        (
            moderator,
            Event::PollCreated {
                poll: PollId(2),
                question: "Hur trygg känner du dig, 1 till 5?".into(),
                kind: PollKind::Scale,
                options: vec![],
            },
        ),
        (
            organizer,
            Event::PhaseChanged {
                to: Phase::Closed,
                attendance: Some(Attendance {
                    in_room: 48,
                    remote: 113,
                    verified: 0,
                }),
            },
        ),
        // Added with safety walks: new kinds only, after the rows before them.
        (organizer, walk_planned()),
        (
            moderator,
            Event::GroupMoved {
                group: GroupId(1),
                at: Some(StopId(1)),
            },
        ),
        (
            moderator,
            Event::ObservationPlaced(Observation {
                question: QuestionId(1),
                group: Some(GroupId(1)),
                place: Place::Near(Position::coarsened(59.3345, 18.0632, 100).unwrap()),
                category: "lighting".into(),
                felt_safety: FeltSafety::new(2).unwrap(),
                photo: None,
            }),
        ),
        (
            moderator,
            Event::ActionCreated {
                action: ActionId(1),
                title: "Byt armaturer i tunneln".into(),
                observations: vec![QuestionId(1)],
                responsible: "Trafikkontoret".into(),
                due: chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            },
        ),
        (
            moderator,
            Event::ActionStatusChanged {
                action: ActionId(1),
                status: ActionStatus::WillNotBeDone,
                note: "Privat mark".into(),
            },
        ),
        // Added with taking people off a dialogue.
        (organizer, Event::PanelistRemoved { panelist: id(4) }),
        (organizer, Event::ModeratorRemoved { moderator: id(2) }),
        // Added with taking a ban back.
        (moderator, Event::ParticipantUnbanned { participant: id(6) }),
        // Added with the venue's room code.
        (participant, Event::RoomEntered),
        // Added with photo approval in the log.
        (
            moderator,
            Event::PhotoPublished {
                question: QuestionId(1),
                photo: PhotoId::parse(&"a".repeat(64)).unwrap(),
                published: PhotoId::parse(&"b".repeat(64)).unwrap(),
            },
        ),
        // Added with a post's data series and the venue screen showing a post.
        (
            moderator,
            Event::InfoPostEdited {
                post: PostId(1),
                text: "Belysningen byts i april".into(),
                source: "Trafikkontoret".into(),
                link: None,
                data: Some(PostData {
                    series: Series::parse("Månad;Anmälda brott\njan;41\nfeb;38,5\n").unwrap(),
                    source: "Brå".into(),
                }),
            },
        ),
        (
            moderator,
            Event::PostShown {
                post: Some(PostId(1)),
            },
        ),
    ];
    events
        .into_iter()
        .enumerate()
        .map(|(i, (by, event))| Recorded {
            seq: i as u64 + 1,
            at: 1_767_800_000_000 + i as i64 * 60_000,
            by,
            event,
        })
        .collect()
}

/// The fixture's rows, as the store hands them out.
fn fixture_rows() -> Vec<StoredEvent> {
    FIXTURE
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            StoredEvent {
                seq: row["seq"].as_u64().unwrap(),
                at: row["at"].as_i64().unwrap(),
                actor: row["actor"].as_str().unwrap().to_string(),
                body: row["body"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

#[test]
fn an_old_log_reads_back_as_the_events_it_recorded() {
    let rows = fixture_rows();
    let expected = v1_events();
    assert_eq!(rows.len(), expected.len());
    for (row, want) in rows.iter().zip(&expected) {
        let got = log::decode(row).unwrap_or_else(|e| panic!("row {}: {e}", row.seq));
        assert_eq!(&got, want, "row {}", row.seq);
    }
}

#[test]
fn the_codec_writes_a_log_exactly_as_it_was_written_before() {
    // Format v1 is the shape the log had: a row rewritten by retention or erasure
    // reads the same to a node that has not been upgraded yet.
    for (row, rec) in fixture_rows().iter().zip(&v1_events()) {
        assert_eq!(&log::encode(rec), row, "row {}", row.seq);
    }
}

#[test]
fn the_fixture_holds_every_kind_of_event() {
    let events = v1_events();
    for r in &events {
        assert_eq!(log::fields(&r.event)["kind"], log::kind(&r.event));
    }
    let kinds: std::collections::BTreeSet<&str> =
        events.iter().map(|r| log::kind(&r.event)).collect();
    assert_eq!(kinds.len(), log::KINDS.len(), "{kinds:?}");
}

#[test]
fn poll_results_with_burst_answers_read_back_and_without_them_are_written_as_before() {
    let closed = |burst_counts: Vec<u64>, burst_respondents| Recorded {
        seq: 9,
        at: 1_767_800_000_000,
        by: Actor::Moderator(id(2)),
        event: Event::PollClosed {
            poll: PollId(1),
            results: PollResults {
                counts: vec![12, 30],
                respondents: 42,
                burst_counts,
                burst_respondents,
            },
        },
    };
    let row = log::encode(&closed(vec![0, 7], 7));
    assert!(
        row.body
            .contains(r#""burst_counts":[0,7],"burst_respondents":7"#),
        "{}",
        row.body
    );
    assert_eq!(log::decode(&row).unwrap(), closed(vec![0, 7], 7));
    // A poll without burst answers keeps the shape v1 always had.
    assert!(!log::encode(&closed(Vec::new(), 0)).body.contains("burst"));
}

#[test]
fn attendance_with_verified_participants_reads_back_and_without_them_is_written_as_before() {
    let closed = |verified| Recorded {
        seq: 9,
        at: 1_767_800_000_000,
        by: Actor::Organizer(id(1)),
        event: Event::PhaseChanged {
            to: Phase::Closed,
            attendance: Some(Attendance {
                in_room: 4,
                remote: 20,
                verified,
            }),
        },
    };
    let row = log::encode(&closed(17));
    assert!(row.body.contains(r#""verified":17"#), "{}", row.body);
    assert_eq!(log::decode(&row).unwrap(), closed(17));
    // A record without the room code keeps the shape v1 always had.
    assert!(!log::encode(&closed(0)).body.contains("verified"));
}

#[test]
fn a_question_from_a_burst_identity_reads_back_and_others_are_written_as_before() {
    let asked = |burst| Recorded {
        seq: 6,
        at: 1_767_800_300_000,
        by: Actor::Participant(id(3)),
        event: Event::QuestionAsked {
            question: QuestionId(1),
            text: QuestionText::from_trusted("Varför är det så mörkt vid busshållplatsen?".into()),
            display_name: None,
            addressee: None,
            origin: Origin::Remote,
            approved: false,
            receipt: None,
            burst,
        },
    };
    let row = log::encode(&asked(true));
    assert!(row.body.contains(r#""burst":true"#), "{}", row.body);
    assert_eq!(log::decode(&row).unwrap(), asked(true));
    // Every other question keeps the shape v1 always had (the fixture's rows).
    assert!(!log::encode(&asked(false)).body.contains("burst"));
}

#[test]
fn a_description_from_before_the_later_fields_reads_with_defaults() {
    let row = StoredEvent {
        seq: 1,
        at: 5,
        actor: r#"{"role":"organizer","id":"01010101-0101-0101-0101-010101010101"}"#.into(),
        body: r#"{"kind":"info_set","title":"T","description":"D","starts_at":null,"venue":"V","livestream_url":""}"#.into(),
    };
    let rec = log::decode(&row).unwrap();
    let Event::InfoSet(info) = rec.event else {
        panic!("not a description: {:?}", rec.event);
    };
    assert_eq!(
        info,
        DialogueInfo {
            title: "T".into(),
            description: "D".into(),
            venue: "V".into(),
            ..DialogueInfo::default()
        }
    );
}

#[test]
fn a_row_of_a_newer_format_is_refused_by_name() {
    let mut row = fixture_rows().remove(4);
    row.body = r#"{"v":2,"kind":"phase_changed","phase":"open"}"#.into();
    let err = log::decode(&row).unwrap_err().to_string();
    assert!(err.contains("version 2"), "{err}");
    row.body = r#"{"kind":"walk_started"}"#.into();
    assert!(log::decode(&row).is_err());
}
