//! Private tips reach exactly the roles allowed, and nothing public; a moderator
//! moves a question to the private channel in one action; danger raises an alert.

use crate::harness::{Client, TestApp};
use serde_json::{Value, json};
use std::time::Duration;

/// Words that appear only in the private texts, to search every frame for.
const TIP: &str = "Det säljs knark i trapphuset på Tipsgatan 7, fråga efter Zorro";
const TIP_MARK: &str = "Zorro";
const MOVED: &str = "Jag såg Kalle Svensson stjäla cyklar vid Zebravägen i går";
const MOVED_MARK: &str = "Zebravägen";
const DANGER_TIP: &str = "Hjälp mig, han har en kniv i Qvarnbackens port";
const DANGER_MARK: &str = "Qvarnbacken";

async fn organizer_on_socket(app: &TestApp, dialogue: Uuid) -> Client {
    let ticket = crate::harness::ticket_of(&app.endpoint, &app.organizer, dialogue).await;
    let mut c = Client::connect_with_hello(
        &app.endpoint.ws,
        json!({"type": "hello", "v": 1, "ticket": ticket}),
    )
    .await;
    c.welcome = c.wait_for("welcome", |v| v["type"] == "welcome").await;
    c.epoch = c.welcome["epoch"].as_u64().unwrap();
    let snapshot = c.wait_for("snapshot", |v| v["type"] == "snapshot").await;
    c.seq = snapshot["seq"].as_u64().unwrap();
    c
}

use uuid::Uuid;

fn saw_any(c: &Client, marks: &[&str]) -> Vec<String> {
    marks
        .iter()
        .filter(|m| c.ever_saw(m))
        .map(|m| m.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_tip_reaches_exactly_the_allowed_roles_and_nothing_public() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let (_, mut police) = dialogue.panelist("Per Polis", "police").await;
    let (_, mut politician) = dialogue.panelist("Pia Politiker", "politician").await;
    let mut organizer = organizer_on_socket(&app, dialogue.id).await;
    let mut moderator = dialogue.moderator().await;
    let mut screen = dialogue.screen().await;
    let mut anna = dialogue.participant().await;
    let mut bo = dialogue.participant().await;

    let ack = organizer
        .submit(json!({"type": "set_tip_recipients", "kinds": ["police"]}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let refused = moderator
        .submit(json!({"type": "set_tip_recipients", "kinds": ["politician"]}))
        .await;
    assert_eq!(refused["code"], "forbidden", "only the organizer chooses");

    // A tip, sent privately.
    let ack = bo
        .submit(json!({"type": "send_tip", "text": TIP, "display_name": "Bo"}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let tip_id = ack["tip_id"].as_u64().unwrap();
    let tip = police.wait_for("the tip", |v| v["type"] == "tip").await;
    assert_eq!(tip["tip"]["text"], TIP);
    assert_eq!(tip["tip"]["id"], tip_id);
    let staff_event = moderator.event("tip_sent").await;
    assert_eq!(staff_event["event"]["text"], TIP);

    // A question that reads like a crime report naming a person: the guard suggests
    // the private channel, the moderator moves it, the asker is told where it went.
    let question = anna.ask(MOVED).await;
    let asked = moderator
        .wait_for("the question", |v| {
            v["type"] == "event" && v["event"]["question_id"] == question
        })
        .await;
    let signals: Vec<&str> = asked["event"]["private_signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        signals.contains(&"crime_report") && signals.contains(&"named_person"),
        "{asked}"
    );
    let ack = moderator
        .submit(json!({"type": "move_to_private", "question_id": question, "expected": "pending"}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let notice = anna.wait_for("the notice", |v| v["type"] == "notice").await;
    assert_eq!(notice["status"], "moved_to_private", "{notice}");
    assert_eq!(notice["question_id"], question);
    let moved = police
        .wait_for("the moved tip", |v| {
            v["type"] == "tip" && v["tip"]["from_question"] == question
        })
        .await;
    assert_eq!(moved["tip"]["text"], MOVED);
    let twice = moderator
        .submit(json!({"type": "move_to_private", "question_id": question, "expected": "pending"}))
        .await;
    assert_eq!(twice["code"], "conflict", "{twice}");

    // Danger: an alert to staff, without the text.
    let ack = bo
        .submit(json!({"type": "send_tip", "text": DANGER_TIP}))
        .await;
    let danger_tip = ack["tip_id"].as_u64().unwrap();
    for staff in [&mut moderator, &mut organizer] {
        let alert = staff.wait_for("an alert", |v| v["type"] == "alert").await;
        assert_eq!(alert["alert"], "danger");
        assert_eq!(alert["tip_id"], danger_tip);
        assert!(!alert.to_string().contains(DANGER_MARK));
    }
    let danger_question = anna.ask("Det står en man här nu och han har en kniv").await;
    let alert = moderator
        .wait_for("an alert on a question", |v| {
            v["type"] == "alert" && v["question_id"] == danger_question
        })
        .await;
    assert_eq!(alert["alert"], "danger");

    // Let every frame arrive, then search everything everyone received.
    let head = ack["seq"].as_u64().unwrap() + 1;
    for c in [
        &mut police,
        &mut politician,
        &mut organizer,
        &mut moderator,
        &mut screen,
        &mut anna,
        &mut bo,
    ] {
        c.reach(head).await;
        c.drain_for(Duration::from_millis(400)).await;
    }
    let marks = [TIP_MARK, MOVED_MARK, DANGER_MARK];
    for (who, c) in [
        ("organizer", &organizer),
        ("moderator", &moderator),
        ("police", &police),
    ] {
        assert_eq!(saw_any(c, &marks).len(), 3, "{who} receives every tip");
    }
    for (who, c) in [
        ("politician", &politician),
        ("screen", &screen),
        ("bo (who sent the tips)", &bo),
    ] {
        assert_eq!(saw_any(c, &marks), Vec::<String>::new(), "{who}");
        assert!(!c.ever_saw("\"alert\""), "{who} got an alert");
    }
    // Anna wrote the moved question, so only her own notice names it; never a tip.
    assert_eq!(
        saw_any(&anna, &[TIP_MARK, DANGER_MARK]),
        Vec::<String>::new()
    );
    assert!(!police.ever_saw("\"alert\""), "alerts are for staff");

    // Those who come later: the same rules, from snapshots.
    let (_, mut police_later) = dialogue.panelist("Pål Polis", "police").await;
    let tips: Vec<Value> = {
        let mut tips = Vec::new();
        for _ in 0..3 {
            tips.push(police_later.wait_for("tips", |v| v["type"] == "tip").await);
        }
        tips
    };
    assert_eq!(tips.len(), 3);
    let mut anyone: Vec<(&str, Client)> = vec![
        ("participant", dialogue.participant().await),
        ("screen", dialogue.screen().await),
        (
            "politician",
            dialogue.panelist("Olle Politiker", "politician").await.1,
        ),
    ];
    for (_, c) in &mut anyone {
        c.drain_for(Duration::from_millis(300)).await;
    }
    for (who, c) in &anyone {
        assert_eq!(saw_any(c, &marks), Vec::<String>::new(), "a later {who}");
    }
    // Every public read and every export over HTTP (exports with the organizer's token).
    for (path, token) in reads_and_exports(&dialogue.code, dialogue.id, &dialogue.organizer) {
        let (status, _, body) = dialogue.endpoint.get_text(&path, token.as_deref()).await;
        assert_eq!(status, 200, "{path}: {body}");
        for m in marks {
            assert!(!body.contains(m), "{path} shows a tip");
        }
    }
}

/// Everything that reads a dialogue without a staff token, and every export.
/// (Add each new export here: a tip must never reach one.)
fn reads_and_exports(code: &str, id: Uuid, organizer: &str) -> Vec<(String, Option<String>)> {
    vec![
        (format!("/api/public/{code}"), None),
        (format!("/d/{code}"), None),
        (format!("/d/{code}?lang=en"), None),
        (format!("/d/{code}/record.json"), None),
        (format!("/d/{code}/record.csv"), None),
        (
            format!("/api/dialogues/{id}/audit"),
            Some(organizer.to_string()),
        ),
    ]
}
