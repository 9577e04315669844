//! Keeps `docs/protocol.md` honest.
//!
//! Every ```json block must parse. A client example must decode with the server's
//! own decoder (and a submission must become a command); a server example must have
//! the shape the server's own types serialize to; an event example's kind must be one
//! the server emits to that audience. Every error code, close code, client message
//! type, server message type and event kind must be in the document, and the error
//! and close code tables must agree with `codes.rs`.
//!
//! The lists of names come from the code itself (serde's "expected one of" list and
//! `CloseCode::ALL`); the exhaustive `match`es below stop the build when a variant is
//! added, so whoever adds one is sent here, and from here to the document.

use dialoghub::domain::{
    Actor, Audience, DangerPhrases, Dialogue, PollAnswer, PollId, QuestionId, Recorded, TipId,
    VoteChange,
};
use dialoghub::protocol::{
    self, AckWire, AlertWire, ClientMessage, CloseCode, ErrorCode, ErrorWire, EventBody, EventOut,
    LiveWire, NoticeWire, Present, ReasonWire, ServerMessage, StatusWire, TipMessage, TipWire,
    Welcome, actor_to_wire, decode, public_event,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

const MAX_CHARS: usize = 500;

fn document() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/protocol.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading docs/protocol.md: {e}"))
}

/// One fenced example: the line it starts on and its text.
struct Example {
    line: usize,
    text: String,
}

/// The ```json blocks. Every fence must be tagged `json` or `text`, so that an
/// example cannot escape the checks by a typo in its tag.
fn json_examples(doc: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for (i, line) in doc.lines().enumerate() {
        let line_no = i + 1;
        if !line.starts_with("```") {
            if let Some((_, _, text)) = &mut open {
                text.push_str(line);
                text.push('\n');
            }
            continue;
        }
        match open.take() {
            None => {
                let tag = line.trim_start_matches('`').trim();
                assert!(
                    tag == "json" || tag == "text",
                    "line {line_no}: a fence must be tagged json or text, not {tag:?}"
                );
                open = Some((line_no, tag.to_string(), String::new()));
            }
            Some((start, tag, text)) => {
                assert_eq!(
                    line.trim_end(),
                    "```",
                    "line {line_no}: expected a closing fence"
                );
                if tag == "json" {
                    examples.push(Example { line: start, text });
                }
            }
        }
    }
    assert!(
        open.is_none(),
        "an unclosed fence at the end of the document"
    );
    examples
}

/// The variant names serde lists when it meets an unknown one.
fn names_in_unknown_variant_message(message: &str) -> BTreeSet<String> {
    assert!(
        message.starts_with("unknown variant"),
        "not an unknown-variant message: {message}"
    );
    // "unknown variant `probe`, expected one of `a`, `b` at line 1 column 9"
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .skip(1)
        .map(str::to_string)
        .collect()
}

fn error_code_names() -> BTreeSet<String> {
    let err = serde_json::from_value::<ErrorCode>(json!("probe")).unwrap_err();
    names_in_unknown_variant_message(&err.to_string())
}

fn client_type_names() -> BTreeSet<String> {
    let err = decode(r#"{"type":"probe"}"#).unwrap_err();
    names_in_unknown_variant_message(&err.message)
}

fn event_kind_names() -> BTreeSet<String> {
    let err = serde_json::from_value::<EventBody>(json!({"kind": "probe"})).unwrap_err();
    names_in_unknown_variant_message(&err.to_string())
}

const ERROR_CODES: [ErrorCode; 16] = [
    ErrorCode::Malformed,
    ErrorCode::UnknownType,
    ErrorCode::BadRequest,
    ErrorCode::Unauthorized,
    ErrorCode::Forbidden,
    ErrorCode::NotFound,
    ErrorCode::Conflict,
    ErrorCode::NotNow,
    ErrorCode::Muted,
    ErrorCode::Banned,
    ErrorCode::RateLimited,
    ErrorCode::Busy,
    ErrorCode::Unavailable,
    ErrorCode::TooManyPending,
    ErrorCode::BadCsv,
    ErrorCode::WrongRoomCode,
];

/// Exhaustive: a new client message does not compile until it is named here.
fn client_type(msg: &ClientMessage) -> &'static str {
    match msg {
        ClientMessage::Hello(_) => "hello",
        ClientMessage::Ask { .. } => "ask",
        ClientMessage::Vote { .. } => "vote",
        ClientMessage::Approve { .. } => "approve",
        ClientMessage::Reject { .. } => "reject",
        ClientMessage::RejectMany { .. } => "reject_many",
        ClientMessage::Merge { .. } => "merge",
        ClientMessage::SetUpNext { .. } => "set_up_next",
        ClientMessage::SetNowAnswering { .. } => "set_now_answering",
        ClientMessage::MarkAnswered { .. } => "mark_answered",
        ClientMessage::Archive { .. } => "archive",
        ClientMessage::FloorQuestion { .. } => "floor_question",
        ClientMessage::Mute { .. } => "mute",
        ClientMessage::Ban { .. } => "ban",
        ClientMessage::Unban { .. } => "unban",
        ClientMessage::SetPhase { .. } => "set_phase",
        ClientMessage::Post { .. } => "post",
        ClientMessage::WriteAnswer { .. } => "write_answer",
        ClientMessage::PublishAnswer { .. } => "publish_answer",
        ClientMessage::PromiseFollowUp { .. } => "promise_follow_up",
        ClientMessage::RecordOutcome { .. } => "record_outcome",
        ClientMessage::Ping {} => "ping",
        ClientMessage::CreatePoll { .. } => "create_poll",
        ClientMessage::OpenPoll { .. } => "open_poll",
        ClientMessage::ClosePoll { .. } => "close_poll",
        ClientMessage::ShowPollResults { .. } => "show_poll_results",
        ClientMessage::ShowPost { .. } => "show_post",
        ClientMessage::AnswerPoll { .. } => "answer_poll",
        ClientMessage::SendTip { .. } => "send_tip",
        ClientMessage::MoveToPrivate { .. } => "move_to_private",
        ClientMessage::SetTipRecipients { .. } => "set_tip_recipients",
        ClientMessage::PlanWalk(_) => "plan_walk",
        ClientMessage::MoveGroup(_) => "move_group",
        ClientMessage::Observe(_) => "observe",
        ClientMessage::CreateAction(_) => "create_action",
        ClientMessage::SetActionStatus(_) => "set_action_status",
        ClientMessage::ReadPending { .. } => "read_pending",
        ClientMessage::EnterRoom { .. } => "enter_room",
    }
}

/// Exhaustive: a new server message does not compile until it is named here.
fn server_type(msg: &ServerMessage) -> &'static str {
    match msg {
        ServerMessage::Welcome(_) => "welcome",
        ServerMessage::Snapshot(_) => "snapshot",
        ServerMessage::Event { .. } => "event",
        ServerMessage::Live(_) => "live",
        ServerMessage::Ack(_) => "ack",
        ServerMessage::Error(_) => "error",
        ServerMessage::Notice(_) => "notice",
        ServerMessage::Pong {} => "pong",
        ServerMessage::Tip(_) => "tip",
        ServerMessage::Alert(_) => "alert",
        ServerMessage::PendingPage(_) => "pending_page",
        ServerMessage::RoomCode(_) => "room_code",
    }
}

/// Exhaustive: a new event does not compile until it is named here (and then needs
/// a sample in `event_samples` and an example in the document).
fn event_kind(body: &EventBody) -> &'static str {
    match body {
        EventBody::InfoSet(_) => "info_set",
        EventBody::PhaseChanged { .. } => "phase_changed",
        EventBody::PanelistAdded { .. } => "panelist_added",
        EventBody::ModeratorAdded { .. } => "moderator_added",
        EventBody::PanelistRemoved { .. } => "panelist_removed",
        EventBody::ModeratorRemoved { .. } => "moderator_removed",
        EventBody::QuestionAsked { .. } => "question_asked",
        EventBody::QuestionApproved { .. } => "question_approved",
        EventBody::QuestionRejected { .. } => "question_rejected",
        EventBody::QuestionMerged { .. } => "question_merged",
        EventBody::UpNextSet { .. } => "up_next_set",
        EventBody::NowAnswering { .. } => "now_answering",
        EventBody::QuestionAnswered { .. } => "question_answered",
        EventBody::QuestionArchived { .. } => "question_archived",
        EventBody::ParticipantMuted { .. } => "participant_muted",
        EventBody::ParticipantBanned { .. } => "participant_banned",
        EventBody::ParticipantUnbanned { .. } => "participant_unbanned",
        EventBody::InfoPosted { .. } => "info_posted",
        EventBody::InfoPostEdited { .. } => "info_post_edited",
        EventBody::AnswerWritten { .. } => "answer_written",
        EventBody::AnswerPublished { .. } => "answer_published",
        EventBody::FollowUpPromised { .. } => "follow_up_promised",
        EventBody::FollowUpDone { .. } => "follow_up_done",
        EventBody::InvitationOpened {} => "invitation_opened",
        EventBody::PollCreated { .. } => "poll_created",
        EventBody::PollOpened { .. } => "poll_opened",
        EventBody::PollClosed { .. } => "poll_closed",
        EventBody::PollResultsShown { .. } => "poll_results_shown",
        EventBody::PostShown { .. } => "post_shown",
        EventBody::TipSent { .. } => "tip_sent",
        EventBody::QuestionMovedToPrivate { .. } => "question_moved_to_private",
        EventBody::TipRecipientsSet { .. } => "tip_recipients_set",
        EventBody::WalkPlanned(_) => "walk_planned",
        EventBody::GroupMoved { .. } => "group_moved",
        EventBody::ObservationPlaced(_) => "observation_placed",
        EventBody::ActionCreated { .. } => "action_created",
        EventBody::ActionStatusChanged { .. } => "action_status_changed",
        EventBody::RoomEntered {} => "room_entered",
        EventBody::PhotoPublished { .. } => "photo_published",
    }
}

/// Real server messages of every type, to compare the examples' shapes with.
struct Specimens {
    welcome: Vec<Value>,
    staff_snapshots: Vec<Value>,
    public_snapshots: Vec<Value>,
    staff_events: Vec<Value>,
    public_events: Vec<Value>,
    live: Vec<Value>,
    ack: Vec<Value>,
    error: Vec<Value>,
    notice: Vec<Value>,
    pong: Vec<Value>,
    tip: Vec<Value>,
    alert: Vec<Value>,
    pending_page: Vec<Value>,
    room_code: Vec<Value>,
}

impl Specimens {
    fn for_type(&self, ty: &str) -> &[Value] {
        match ty {
            "welcome" => &self.welcome,
            "live" => &self.live,
            "ack" => &self.ack,
            "error" => &self.error,
            "notice" => &self.notice,
            "pong" => &self.pong,
            "tip" => &self.tip,
            "alert" => &self.alert,
            "pending_page" => &self.pending_page,
            "room_code" => &self.room_code,
            other => panic!("no plain specimens for {other}"),
        }
    }
}

struct People {
    organizer: Actor,
    moderator: Actor,
    panelist: Uuid,
    /// Invited and removed again.
    gone: Uuid,
    anna: Actor,
    bo: Actor,
}

/// One sample per event kind, in an order that a dialogue can live through: fields
/// that may be null appear both ways.
fn event_samples(p: &People) -> Vec<(Actor, Value)> {
    let (org, m, anna, bo) = (p.organizer, p.moderator, p.anna, p.bo);
    let panelist = p.panelist;
    let moderator = m.id();
    let asked = |id: u64, text: &str, name: Value, addressee: Value, approved: bool| {
        let mut v = json!({"kind": "question_asked", "question_id": id, "text": text, "display_name": name,
               "addressee": addressee, "origin": "remote", "approved": approved});
        if id <= 2 {
            v["receipt"] = json!("4HG29TXQMB");
        }
        v
    };
    vec![
        (
            org,
            json!({"kind": "info_set", "title": "T", "description": "D", "purpose": "P",
                   "starts_at": 1796317200000_i64, "ends_at": 1796324400000_i64, "venue": "V",
                   "address": "A", "livestream_url": "https://play.example.se/x",
                   "expected_kinds": ["police"], "unreached_plan": "U"}),
        ),
        (
            org,
            json!({"kind": "panelist_added", "panelist": {"id": panelist, "name": "Per", "title": "Kommunpolis",
                   "organisation": "Polisen", "kind": "police"}}),
        ),
        (
            org,
            json!({"kind": "moderator_added", "moderator": {"id": moderator, "name": "Maria"}}),
        ),
        // Someone invited and taken off again, from the panel and the moderators.
        (
            org,
            json!({"kind": "panelist_added", "panelist": {"id": p.gone, "name": "Lars", "title": "",
                   "organisation": "Bostadsbolaget", "kind": "other"}}),
        ),
        (
            org,
            json!({"kind": "moderator_added", "moderator": {"id": p.gone, "name": "Lars"}}),
        ),
        (
            org,
            json!({"kind": "panelist_removed", "panelist_id": p.gone}),
        ),
        (
            org,
            json!({"kind": "moderator_removed", "moderator_id": p.gone}),
        ),
        (org, json!({"kind": "phase_changed", "phase": "live"})),
        (
            anna,
            asked(
                1,
                "Min granne på Storgatan 12 har personnummer 811228-9874",
                Value::Null,
                json!({"kind": "police"}),
                false,
            ),
        ),
        (
            bo,
            asked(
                2,
                "Kan kommunen köpa min bil?",
                json!("Bo"),
                json!({"panelist": panelist}),
                false,
            ),
        ),
        (
            m,
            asked(
                3,
                "Hur blir det med nattbussen?",
                Value::Null,
                Value::Null,
                true,
            ),
        ),
        (
            bo,
            asked(4, "Samma fråga om bussen", json!("Bo"), Value::Null, false),
        ),
        (
            bo,
            asked(
                5,
                "Varför är parken mörk?",
                json!("Bo"),
                json!({"panelist": panelist}),
                false,
            ),
        ),
        (
            m,
            asked(6, "Fråga från salen", Value::Null, Value::Null, true),
        ),
        (
            m,
            json!({"kind": "question_approved", "question_id": 1, "edited_text": "Min granne på [...] har personnummer [...]"}),
        ),
        (
            m,
            json!({"kind": "question_approved", "question_id": 5, "edited_text": null}),
        ),
        (
            m,
            json!({"kind": "question_rejected", "question_id": 2, "reason": "off_topic"}),
        ),
        (
            m,
            json!({"kind": "question_merged", "question_id": 4, "into": 3}),
        ),
        (m, json!({"kind": "up_next_set", "question_ids": [3, 5]})),
        (m, json!({"kind": "now_answering", "question_id": 1})),
        (m, json!({"kind": "question_answered", "question_id": 1})),
        (m, json!({"kind": "now_answering", "question_id": null})),
        (m, json!({"kind": "question_archived", "question_id": 3})),
        (m, json!({"kind": "now_answering", "question_id": 5})),
        (
            m,
            json!({"kind": "participant_muted", "participant_id": anna.id()}),
        ),
        (
            m,
            json!({"kind": "participant_banned", "participant_id": anna.id()}),
        ),
        (
            m,
            json!({"kind": "participant_unbanned", "participant_id": anna.id()}),
        ),
        (
            Actor::Panelist(panelist),
            json!({"kind": "invitation_opened"}),
        ),
        (
            Actor::Panelist(panelist),
            json!({"kind": "info_posted", "post_id": 1, "text": "Anmälda brott: 212", "source": "Polisen", "link": null}),
        ),
        (
            org,
            json!({"kind": "info_post_edited", "post_id": 1, "text": "Anmälda brott: 213", "source": "Polisen",
                   "link": "https://polisen.example.se/statistik"}),
        ),
        (
            org,
            json!({"kind": "info_posted", "post_id": 2, "text": "Anmälda brott per månad i området.",
                   "source": "Polisen", "link": null,
                   "data": {"source": "Brå", "label": "Månad", "names": ["Anmälda brott"],
                            "rows": [{"label": "jan", "values": [41.0]}, {"label": "feb", "values": [38.5]}]}}),
        ),
        (m, json!({"kind": "post_shown", "post_id": 2})),
        (
            Actor::Panelist(panelist),
            json!({"kind": "answer_written", "question_id": 5, "text": "Lamporna byts i mars."}),
        ),
        (
            m,
            json!({"kind": "answer_published", "question_id": 5, "text": "Lamporna byts i mars."}),
        ),
        (
            m,
            json!({"kind": "follow_up_promised", "question_id": 5, "owner": "Trafikkontoret", "due": "2027-03-31"}),
        ),
        (
            org,
            json!({"kind": "follow_up_done", "question_id": 5, "outcome": "Lamporna byttes den 12 mars."}),
        ),
        (
            m,
            json!({"kind": "poll_created", "poll_id": 1, "question": "Känner du dig trygg i parken på kvällen?",
                   "poll_kind": "single", "options": ["Ja", "Nej", "Vet inte"]}),
        ),
        (
            m,
            json!({"kind": "poll_created", "poll_id": 2, "question": "Hur trygg känner du dig i centrum?",
                   "poll_kind": "scale", "options": ["1", "2", "3", "4", "5"]}),
        ),
        (
            m,
            json!({"kind": "poll_created", "poll_id": 3, "question": "Vad vill du se mer av?",
                   "poll_kind": "multiple", "options": ["Belysning", "Polis", "Fältassistenter"]}),
        ),
        (m, json!({"kind": "poll_opened", "poll_id": 1})),
        (m, json!({"kind": "poll_opened", "poll_id": 3})),
        (
            m,
            json!({"kind": "poll_closed", "poll_id": 1, "counts": [12, 5, 2], "respondents": 19}),
        ),
        (
            m,
            json!({"kind": "poll_results_shown", "poll_id": 1, "shown": true}),
        ),
        (
            bo,
            json!({"kind": "tip_sent", "tip_id": 1, "text": "Det säljs knark vid skolan varje fredag", "display_name": null}),
        ),
        (
            bo,
            json!({"kind": "tip_sent", "tip_id": 2, "text": "Han har en kniv i trapphuset", "display_name": "Bo"}),
        ),
        (
            bo,
            asked(
                7,
                "Jag såg Kalle Svensson stjäla cyklar",
                Value::Null,
                Value::Null,
                false,
            ),
        ),
        (
            m,
            json!({"kind": "question_moved_to_private", "question_id": 7, "tip_id": 3}),
        ),
        (
            org,
            json!({"kind": "tip_recipients_set", "kinds": ["police"]}),
        ),
        (
            org,
            json!({"kind": "walk_planned", "stops": [
                       {"id": 1, "name": "Tunneln", "address": "Parkvägen 1", "lat_e6": 59334500, "lon_e6": 18063200},
                       {"id": 2, "name": "Lekparken", "address": "", "lat_e6": null, "lon_e6": null}],
                   "groups": [{"id": 1, "name": "Grupp 1", "leader": "Lena", "leader_id": null, "route": [1, 2]}],
                   "before": "RQ4C78", "after": null}),
        ),
        (m, json!({"kind": "group_moved", "group": 1, "at": 1})),
        (
            anna,
            asked(8, "Trasig lampa i tunneln", Value::Null, Value::Null, false),
        ),
        (
            anna,
            json!({"kind": "observation_placed", "question_id": 8, "group": 1, "stop": 1,
                   "lat_e6": null, "lon_e6": null, "category": "lighting", "felt_safety": 2}),
        ),
        (
            m,
            json!({"kind": "question_approved", "question_id": 8, "edited_text": null}),
        ),
        (
            anna,
            asked(9, "Buskarna skymmer", Value::Null, Value::Null, false),
        ),
        (
            anna,
            json!({"kind": "observation_placed", "question_id": 9, "group": null, "stop": null,
                   "lat_e6": 59334950, "lon_e6": 18063011, "category": "vegetation", "felt_safety": 3}),
        ),
        (
            m,
            json!({"kind": "action_created", "action_id": 1, "title": "Byt armaturer i tunneln",
                   "observation_ids": [8], "responsible": "Trafikkontoret", "due": "2026-05-01"}),
        ),
        (
            m,
            json!({"kind": "action_status_changed", "action_id": 1, "status": "planned", "note": "Beställt"}),
        ),
        (
            m,
            json!({"kind": "photo_published", "question_id": 8,
                   "photo": "5f2c9a0e7b1d4c3a8e6f0b2d9c4a7e1f3b5d8c0a2e4f6b8d1c3e5a7f9b0d2c4e",
                   "published_id": "9a8b7c6d5e4f30211a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081"}),
        ),
        (m, json!({"kind": "group_moved", "group": 1, "at": null})),
        (bo, json!({"kind": "room_entered"})),
        (
            org,
            json!({"kind": "phase_changed", "phase": "closed", "attendance": {"in_room": 41, "remote": 118, "verified": 1}}),
        ),
        // Not a course a real dialogue takes (closing clears it), but it keeps a
        // question "now answering" in the snapshots the document is checked against.
        (m, json!({"kind": "now_answering", "question_id": 5})),
    ]
}

fn to_value(msg: &ServerMessage) -> Value {
    let value = serde_json::to_value(msg).expect("server messages serialize");
    assert_eq!(value["type"], server_type(msg));
    value
}

fn specimens() -> Specimens {
    let people = People {
        organizer: Actor::Organizer(Uuid::new_v4()),
        moderator: Actor::Moderator(Uuid::new_v4()),
        panelist: Uuid::new_v4(),
        gone: Uuid::new_v4(),
        anna: Actor::Participant(Uuid::new_v4()),
        bo: Actor::Participant(Uuid::new_v4()),
    };
    // A full dialogue, and a bare one (so that fields that may be null are seen null).
    let mut full = Dialogue::new(Uuid::new_v4(), "RQ4C78".into(), 2862076);
    full.danger = std::sync::Arc::new(DangerPhrases::new(["har en kniv"]));
    let mut bare = Dialogue::new(Uuid::new_v4(), "ABC234".into(), 17);
    let at = 1795617463460_i64;
    bare.apply(&Recorded {
        seq: 1,
        at,
        by: people.organizer,
        event: serde_json::from_value::<EventBody>(json!({"kind": "info_set", "title": "T",
            "description": "", "starts_at": null, "venue": "", "livestream_url": ""}))
        .unwrap()
        .into(),
    });

    let samples = event_samples(&people);
    let covered: BTreeSet<String> = samples
        .iter()
        .map(|(_, v)| v["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        covered,
        event_kind_names(),
        "event_samples needs one sample of every event kind"
    );
    let mut bodies = Vec::new();
    for (i, (actor, sample)) in samples.into_iter().enumerate() {
        let body: EventBody = serde_json::from_value(sample.clone())
            .unwrap_or_else(|e| panic!("sample {sample} does not decode: {e}"));
        assert_eq!(event_kind(&body), sample["kind"]);
        let rec = Recorded {
            seq: i as u64 + 1,
            at: at + i as i64,
            by: actor,
            event: body.clone().into(),
        };
        full.apply(&rec);
        bodies.push((rec, body));
    }
    full.apply_vote(&VoteChange {
        question: QuestionId(5),
        participant: people.bo.id(),
        on: true,
        burst: false,
    });
    full.apply_answer(&PollAnswer {
        poll: PollId(3),
        participant: people.bo.id(),
        choices: vec![0, 2],
        burst: false,
    });
    // And a burst identity (1.3): staff see its vote and answer counted apart.
    let flood = Uuid::from_u128(0xb0);
    full.apply_vote(&VoteChange {
        question: QuestionId(5),
        participant: flood,
        on: true,
        burst: true,
    });
    full.apply_answer(&PollAnswer {
        poll: PollId(3),
        participant: flood,
        choices: vec![1],
        burst: true,
    });

    // Events, encoded the way the hub encodes them (judged on the state after the batch).
    let mut staff_events = Vec::new();
    let mut public_events = Vec::new();
    for (rec, body) in &bodies {
        let staff_body = body.for_staff(&full);
        staff_events.push(to_value(&ServerMessage::Event {
            epoch: full.epoch,
            seq: rec.seq,
            at: rec.at,
            by: Some(actor_to_wire(&rec.by)),
            event: EventOut::Staff(staff_body.as_ref().unwrap_or(body)),
        }));
        public_events.push(to_value(&ServerMessage::Event {
            epoch: full.epoch,
            seq: rec.seq,
            at: rec.at,
            by: None,
            event: EventOut::Public(public_event(&full, body)),
        }));
    }

    let welcome = |d: &Dialogue, who: Actor| {
        let (mine, my_votes) = protocol::mine(d, &who);
        to_value(&ServerMessage::Welcome(Welcome {
            v: protocol::PROTOCOL_VERSION,
            role: who.role().into(),
            you: who.id(),
            dialogue_id: d.id,
            epoch: d.epoch,
            seq: d.head_seq,
            recovered: true,
            max_question_chars: MAX_CHARS,
            mine,
            my_votes,
            my_answers: protocol::my_answers(d, &who),
            room_verified: d.in_room_verified.contains(&who.id()),
        }))
    };
    let snapshot = |d: &Dialogue, audience| {
        to_value(&ServerMessage::Snapshot(protocol::snapshot(d, audience)))
    };
    let live = |d: &Dialogue, audience| {
        let live = LiveWire::new(
            d,
            3,
            Present {
                in_room: 1,
                remote: 2,
                verified: 3,
            },
            audience,
        );
        to_value(&ServerMessage::Live(&live))
    };
    let ack = |seq: Option<u64>, question_id: Option<u64>| {
        to_value(&ServerMessage::Ack(&AckWire {
            client_msg_id: "k1".into(),
            seq,
            question_id,
            receipt: question_id.map(|_| "RQ4C78-4HG29TXQMB".into()),
            poll_id: None,
            tip_id: None,
        }))
    };
    let created = |poll_id: Option<u64>, tip_id: Option<u64>| {
        to_value(&ServerMessage::Ack(&AckWire {
            client_msg_id: "k1".into(),
            seq: Some(30),
            question_id: None,
            receipt: None,
            poll_id,
            tip_id,
        }))
    };
    let tip = |id: u64| {
        let tip = TipMessage {
            seq: 33,
            tip: TipWire::new(&full.tips[&TipId(id)]),
        };
        to_value(&ServerMessage::Tip(&tip))
    };
    let alert = |question_id: Option<u64>, tip_id: Option<u64>| {
        to_value(&ServerMessage::Alert(&AlertWire {
            seq: 31,
            alert: "danger",
            question_id,
            tip_id,
        }))
    };
    let error = |id: Option<String>| {
        to_value(&ServerMessage::Error(&ErrorWire::new(
            ErrorCode::Conflict,
            "taken",
            id,
        )))
    };
    // More pending questions than a page holds, so a page has a `next`; every
    // third from a burst identity (1.3), so a page shows `burst`.
    let mut flooded = Dialogue::new(Uuid::new_v4(), "FLD234".into(), 5);
    for id in 1..=60 {
        let burst = id % 3 == 0;
        let event = json!({"kind": "question_asked", "question_id": id, "text": "Varför?",
            "display_name": null, "addressee": null, "origin": "remote", "approved": false,
            "burst": burst});
        flooded.apply(&Recorded {
            seq: id,
            at,
            by: if burst {
                Actor::Participant(flood)
            } else {
                people.anna
            },
            event: serde_json::from_value::<EventBody>(event).unwrap().into(),
        });
    }
    use protocol::pending_page::QueueOrderWire;
    let page = |d: &Dialogue, order, after| {
        use protocol::pending_page::PendingPageWire;
        to_value(&ServerMessage::PendingPage(PendingPageWire::new(
            d, "p2", order, after,
        )))
    };
    let notice = NoticeWire {
        seq: 12,
        question_id: 2,
        status: StatusWire::Rejected,
        reason: Some(ReasonWire::OffTopic),
    };
    Specimens {
        welcome: vec![welcome(&full, people.bo), welcome(&full, people.moderator)],
        staff_snapshots: vec![
            snapshot(&full, Audience::Staff),
            snapshot(&bare, Audience::Staff),
        ],
        public_snapshots: vec![
            snapshot(&full, Audience::Public),
            snapshot(&bare, Audience::Public),
        ],
        staff_events,
        public_events,
        live: vec![
            live(&full, Audience::Staff),
            live(&full, Audience::Public),
            live(&bare, Audience::Public),
        ],
        ack: vec![
            ack(Some(7), Some(1)),
            ack(Some(16), None),
            ack(None, None),
            created(Some(2), None),
            created(None, Some(1)),
        ],
        error: vec![error(Some("k1".into())), error(None)],
        notice: vec![
            to_value(&ServerMessage::Notice(&notice)),
            to_value(&ServerMessage::Notice(&NoticeWire {
                seq: 35,
                question_id: 7,
                status: StatusWire::MovedToPrivate,
                reason: None,
            })),
        ],
        pong: vec![to_value(&ServerMessage::Pong {})],
        tip: vec![tip(1), tip(2), tip(3)],
        alert: vec![alert(Some(4), None), alert(None, Some(2))],
        pending_page: vec![
            page(&flooded, QueueOrderWire::Newest, None),
            page(&flooded, QueueOrderWire::MostVoted, None),
            page(&bare, QueueOrderWire::Newest, None),
        ],
        room_code: vec![to_value(&ServerMessage::RoomCode(
            &protocol::RoomCodeWire {
                code: "4711".into(),
                valid_until: 1795617540000,
                period_secs: 180,
            },
        ))],
    }
}

fn same_json_kind(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Null, Value::Null)
            | (Value::Bool(_), Value::Bool(_))
            | (Value::Number(_), Value::Number(_))
            | (Value::String(_), Value::String(_))
            | (Value::Array(_), Value::Array(_))
            | (Value::Object(_), Value::Object(_))
    )
}

/// Compares an example with real messages of its kind: every field the server always
/// sends must be there, no field the server never sends may be, and each value must
/// have a JSON type the server uses there. Objects keyed by ids (`votes`) are not
/// checked key by key.
fn check_shape(example: &Value, specimens: &[&Value], path: &str, problems: &mut Vec<String>) {
    if specimens.is_empty() {
        return;
    }
    let objects: Vec<&Map<String, Value>> =
        specimens.iter().filter_map(|s| s.as_object()).collect();
    match example {
        Value::Object(ex) if !objects.is_empty() => {
            if path.ends_with(".votes") || path.ends_with(".burst_votes") {
                if !ex.values().all(Value::is_u64) {
                    problems.push(format!("{path}: tallies must be counts"));
                }
                return;
            }
            if path == "$.polls" {
                // Keyed by poll id: each value is one poll's results.
                let results: Vec<&Value> = objects.iter().flat_map(|o| o.values()).collect();
                for (key, value) in ex {
                    check_shape(value, &results, &format!("{path}.{key}"), problems);
                }
                return;
            }
            let allowed: BTreeSet<&str> = objects
                .iter()
                .flat_map(|o| o.keys().map(String::as_str))
                .collect();
            for key in ex.keys() {
                if !allowed.contains(key.as_str()) {
                    problems.push(format!("{path}: the server never sends `{key}` here"));
                }
            }
            for key in &allowed {
                if objects.iter().all(|o| o.contains_key(*key)) && !ex.contains_key(*key) {
                    problems.push(format!("{path}: the server always sends `{key}` here"));
                }
            }
            for (key, value) in ex {
                let sub: Vec<&Value> = objects.iter().filter_map(|o| o.get(key)).collect();
                check_shape(value, &sub, &format!("{path}.{key}"), problems);
            }
        }
        Value::Array(items) if specimens.iter().any(|s| s.is_array()) => {
            let elements: Vec<&Value> = specimens
                .iter()
                .filter_map(|s| s.as_array())
                .flatten()
                .collect();
            for (i, item) in items.iter().enumerate() {
                check_shape(item, &elements, &format!("{path}[{i}]"), problems);
            }
        }
        _ => {
            if !specimens.iter().any(|s| same_json_kind(s, example)) {
                problems.push(format!(
                    "{path}: {example} has a JSON type the server does not send here"
                ));
            }
        }
    }
}

/// Checks one server message example; returns its `event.kind` for events.
fn check_server_example(
    ex: &Value,
    specimens: &Specimens,
    problems: &mut Vec<String>,
) -> Option<String> {
    let ty = ex["type"].as_str().unwrap();
    let mut kind = None;
    let chosen: Vec<&Value> = match ty {
        "snapshot" if ex.get("muted").is_some() => specimens.staff_snapshots.iter().collect(),
        "snapshot" => specimens.public_snapshots.iter().collect(),
        "event" => {
            let staff = ex.get("by").is_some();
            let k = ex["event"]["kind"].as_str().unwrap_or_default().to_string();
            let pool = if staff {
                &specimens.staff_events
            } else {
                &specimens.public_events
            };
            let same_kind: Vec<&Value> = pool
                .iter()
                .filter(|s| s["event"]["kind"] == k.as_str())
                .collect();
            if same_kind.is_empty() {
                let audience = if staff { "staff" } else { "the public" };
                problems.push(format!(
                    "event kind {k:?} is never sent to {audience} (a `by` field marks the staff view)"
                ));
            }
            if staff {
                // The staff view is the stored fact plus what the guard found (never
                // stored): without those fields it must round-trip exactly.
                let mut stored = ex["event"].clone();
                if let Some(fields) = stored.as_object_mut() {
                    for staff_only in ["flags", "redacted_text", "private_signals", "danger"] {
                        fields.remove(staff_only);
                    }
                }
                match serde_json::from_value::<EventBody>(ex["event"].clone()) {
                    Ok(body) => {
                        let again = serde_json::to_value(&body).unwrap();
                        if again != stored {
                            problems.push(format!("the server would send {again}"));
                        }
                    }
                    Err(e) => problems.push(format!("not a staff event: {e}")),
                }
            }
            kind = Some(k);
            same_kind
        }
        other => specimens.for_type(other).iter().collect(),
    };
    if ty == "error" {
        check_error_body(ex, problems);
    }
    check_shape(ex, &chosen, "$", problems);
    kind
}

/// An `error` frame or an HTTP error body: a real code, with its own `retryable`.
fn check_error_body(ex: &Value, problems: &mut Vec<String>) {
    match serde_json::from_value::<ErrorCode>(ex["code"].clone()) {
        Ok(code) => {
            if ex["retryable"] != code.retryable() {
                problems.push(format!(
                    "`{}` has retryable {}",
                    ex["code"],
                    code.retryable()
                ));
            }
        }
        Err(e) => problems.push(format!("unknown error code {}: {e}", ex["code"])),
    }
    if !ex["message"].is_string() {
        problems.push("an error has a message".into());
    }
}

/// Checks one client message example with the server's own decoder.
fn check_client_example(text: &str, ty: &str, problems: &mut Vec<String>) {
    let msg = match decode(text) {
        Ok(msg) => msg,
        Err(e) => {
            problems.push(format!(
                "does not decode: {:?} {} (put bad examples in a text block)",
                e.code, e.message
            ));
            return;
        }
    };
    if client_type(&msg) != ty {
        problems.push(format!("decodes as {} instead of {ty}", client_type(&msg)));
    }
    let submission = !matches!(
        msg,
        ClientMessage::Hello(_) | ClientMessage::Ping {} | ClientMessage::ReadPending { .. }
    );
    match msg.into_command(MAX_CHARS) {
        Ok(Some(_)) if submission => {}
        Ok(None) if !submission => {}
        Ok(other) => problems.push(format!(
            "into_command gave {}",
            if other.is_some() { "a command" } else { "none" }
        )),
        Err(e) => problems.push(format!(
            "is refused: {:?} {} (put bad examples in a text block)",
            e.code, e.message
        )),
    }
}

fn table_cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The text of the section under a `### ` heading that starts with `title`.
fn section<'a>(doc: &'a str, title: &str) -> &'a str {
    let heading = format!("### {title}");
    let start = doc
        .find(&heading)
        .unwrap_or_else(|| panic!("docs/protocol.md has no section {heading:?}"));
    let rest = &doc[start + heading.len()..];
    let end = rest.find("\n#").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_json_example_in_the_protocol_document_is_what_the_server_speaks() {
    let doc = document();
    let examples = json_examples(&doc);
    assert!(examples.len() > 20, "suspiciously few json examples");
    let specimens = specimens();
    let client_types = client_type_names();
    let server_types: BTreeSet<String> = [
        &specimens.welcome,
        &specimens.staff_snapshots,
        &specimens.public_snapshots,
        &specimens.staff_events,
        &specimens.public_events,
        &specimens.live,
        &specimens.ack,
        &specimens.error,
        &specimens.notice,
        &specimens.pong,
        &specimens.tip,
        &specimens.alert,
        &specimens.pending_page,
        &specimens.room_code,
    ]
    .into_iter()
    .flatten()
    .map(|s| s["type"].as_str().unwrap().to_string())
    .collect();
    assert_eq!(server_types.len(), 12, "a specimen of every server message");

    let mut failures = Vec::new();
    let mut seen_client = BTreeSet::new();
    let mut seen_server = BTreeSet::new();
    let mut seen_kinds = BTreeSet::new();
    for example in &examples {
        let mut problems = Vec::new();
        let value: Value = match serde_json::from_str(&example.text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("line {}: not JSON: {e}", example.line));
                continue;
            }
        };
        match value.get("type").and_then(Value::as_str) {
            Some(ty) if client_types.contains(ty) => {
                seen_client.insert(ty.to_string());
                check_client_example(&example.text, ty, &mut problems);
            }
            Some(ty) if server_types.contains(ty) => {
                seen_server.insert(ty.to_string());
                if let Some(kind) = check_server_example(&value, &specimens, &mut problems) {
                    seen_kinds.insert(kind);
                }
            }
            Some(ty) => problems.push(format!("unknown message type {ty:?}")),
            // REST bodies. An HTTP error body is an error frame without `type`.
            None => {
                if value.get("code").is_some() && value.get("retryable").is_some() {
                    check_error_body(&value, &mut problems);
                    let mut as_frame = value.clone();
                    as_frame["type"] = json!("error");
                    check_shape(
                        &as_frame,
                        &specimens.error.iter().collect::<Vec<_>>(),
                        "$",
                        &mut problems,
                    );
                }
            }
        }
        for p in problems {
            failures.push(format!("line {}: {p}", example.line));
        }
    }

    for ty in &client_types {
        if !seen_client.contains(ty) {
            failures.push(format!("no example of the client message {ty:?}"));
        }
    }
    for ty in &server_types {
        if !seen_server.contains(ty) {
            failures.push(format!("no example of the server message {ty:?}"));
        }
    }
    let emitted: BTreeSet<String> = specimens
        .staff_events
        .iter()
        .chain(&specimens.public_events)
        .map(|e| e["event"]["kind"].as_str().unwrap().to_string())
        .collect();
    for kind in &emitted {
        if !seen_kinds.contains(kind) {
            failures.push(format!("no example of the event kind {kind:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "docs/protocol.md disagrees with the server:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_error_code_is_in_the_document_with_its_status_and_retry_rule() {
    let doc = document();
    let doc = section(&doc, "5.1 Error codes");
    let names = error_code_names();
    let listed: BTreeSet<String> = ERROR_CODES.iter().map(|c| c.as_str().to_string()).collect();
    assert_eq!(names, listed, "ERROR_CODES must list every ErrorCode");
    let mut failures = Vec::new();
    for code in ERROR_CODES {
        let name = serde_json::to_value(code).unwrap();
        assert_eq!(name, code.as_str());
        let row = format!("| `{}` |", code.as_str());
        let Some(line) = doc.lines().find(|l| l.starts_with(&row)) else {
            failures.push(format!("no table row for the error code {name}"));
            continue;
        };
        let cells = table_cells(line);
        if cells.get(1).map(String::as_str) != Some(&code.http_status().to_string()) {
            failures.push(format!("{name}: HTTP status is {}", code.http_status()));
        }
        if cells.get(2).map(String::as_str) != Some(yes_no(code.retryable())) {
            failures.push(format!("{name}: retryable is {}", yes_no(code.retryable())));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_close_code_is_in_the_document_with_its_reconnect_rule() {
    let doc = document();
    let doc = section(&doc, "5.2 Close codes");
    let mut failures = Vec::new();
    for close in CloseCode::ALL {
        let row = format!("| {} |", close.code());
        let Some(line) = doc.lines().find(|l| l.starts_with(&row)) else {
            failures.push(format!("no table row for the close code {}", close.code()));
            continue;
        };
        let cells = table_cells(line);
        if cells.get(1).map(String::as_str) != Some(close.reason()) {
            failures.push(format!("{}: reason is {:?}", close.code(), close.reason()));
        }
        if cells.get(2).map(String::as_str) != Some(yes_no(close.should_reconnect())) {
            failures.push(format!(
                "{}: reconnect is {}",
                close.code(),
                yes_no(close.should_reconnect())
            ));
        }
        if cells.get(3).map(String::as_str) != Some(format!("`{close:?}`").as_str()) {
            failures.push(format!("{}: its name is `{close:?}`", close.code()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_reconnect_rule_is_quoted_from_codes_rs() {
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/protocol/codes.rs"),
    )
    .unwrap();
    let rule: Vec<&str> = source
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("/// The reconnect rule"))
        .take_while(|l| l.starts_with("///") && l.len() > 3)
        .map(|l| l.trim_start_matches("///").trim())
        .collect();
    assert!(
        !rule.is_empty(),
        "codes.rs no longer states the reconnect rule"
    );
    let rule = squeeze(&rule.join(" "));
    assert!(
        squeeze(&document()).contains(&rule),
        "docs/protocol.md must quote the reconnect rule of codes.rs:\n{rule}"
    );
}

/// The record's rule of counting (6.11) is the code's, word for word.
#[test]
fn the_record_counting_note_is_quoted_from_the_code() {
    let doc = document();
    let quoted = format!(r#""note": "{}""#, protocol::public_record::COUNTING_NOTE);
    assert!(
        doc.contains(&quoted),
        "docs/protocol.md 6.11 does not quote COUNTING_NOTE"
    );
}
