//! Security events over the WebSocket and at the door: a command the socket's
//! role may not send, a ban, a rate-limit close and a join refused by the
//! address's limit are each in the audit trail and logged at INFO as a
//! structured event, without text anyone wrote; and a flood of them makes one
//! row and one line per minute, not one per message.

use crate::harness::{Client, Endpoint, TestApp};
use crate::privacy::{read_logs, start_logged_with};
use dialoghub::auth::Tokens;
use dialoghub::store::AuditRow;
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

const SECRET: &str = "privacy-secret-privacy-secret-privacy-secret-0123";

const FLOOD: usize = 10_000;

/// The audit rows of `dialogue` with `action`, once `want` of them are there
/// (they are written beside the answers, so a moment after them).
async fn rows(store: &dyn dialoghub::store::Store, dialogue: Uuid, action: &str) -> Vec<AuditRow> {
    let mut found = Vec::new();
    for _ in 0..20 {
        found = store
            .audit_entries(dialogue)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.entry.action == action)
            .collect();
        if !found.is_empty() {
            // Let anything still on its way arrive: a flood must not add more.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return store
                .audit_entries(dialogue)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.entry.action == action)
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_commands_a_ban_and_refused_joins_are_security_events_and_a_flood_is_one_row() {
    let dir = tempfile::tempdir().unwrap();
    // Room for a flood of 10,000 messages (the rate limit is the next test's),
    // and three joins a minute from this address.
    let env = [
        ("DIALOGHUB_LIMITS__MESSAGES_BURST", "1000000"),
        ("DIALOGHUB_LIMITS__MESSAGES_PER_SEC", "1000000"),
        ("DIALOGHUB_LIMITS__JOINS_PER_IP_PER_MINUTE", "3"),
    ];
    let (mut child, port) = start_logged_with(dir.path(), "info", &env).await;
    let endpoint = Endpoint::new(
        port,
        Tokens::new(SECRET.as_bytes(), "dialoghub", "dialoghub"),
    );
    let store = dialoghub::store::open(&format!("sqlite://{}", dir.path().join("d.db").display()))
        .await
        .unwrap();
    let organizer = endpoint.organizer(store.as_ref()).await;
    let dialogue = endpoint.live_dialogue(&organizer).await;
    let mut flooder = dialogue.participant().await;
    let mut other = dialogue.participant().await;
    let question = other
        .ask("Varför är belysningen vid Zinkgruvans lekplats släckt?")
        .await;
    let mut moderator = dialogue.moderator().await;

    // A participant sends a moderator's command 10,000 times: refused each time.
    for i in 0..FLOOD {
        let approve = json!({"type": "approve", "client_msg_id": format!("f-{i}"),
            "question_id": question, "expected": "pending"});
        flooder.send(approve).await;
    }
    let mut refusals = 0;
    while refusals < FLOOD {
        let v = flooder
            .wait_for("a refusal", |v| v["type"] == "error")
            .await;
        assert_eq!(v["code"], "forbidden", "{v}");
        refusals += 1;
    }
    let refused = rows(store.as_ref(), dialogue.id, "refused").await;
    assert_eq!(
        refused.len(),
        1,
        "one row for the minute's {FLOOD} refusals: {refused:?}"
    );
    let row = &refused[0].entry;
    assert_eq!(row.actor_role, "participant");
    assert_eq!(row.actor_id.to_string(), flooder.you());
    assert_eq!(row.detail.as_deref(), Some(r#"{"action":"approve"}"#));

    // The moderator bans the other participant.
    let ban = moderator
        .submit(json!({"type": "ban", "participant_id": other.you()}))
        .await;
    assert_eq!(ban["type"], "ack", "{ban}");
    let banned = rows(store.as_ref(), dialogue.id, "participant_banned").await;
    assert_eq!(banned.len(), 1, "{banned:?}");
    assert_eq!(banned[0].entry.actor_role, "moderator");
    assert_eq!(
        banned[0].entry.target.as_deref(),
        Some(format!("participant:{}", other.you()).as_str())
    );

    // Joins past the address's limit: refused, one row for all of them.
    for _ in 0..10 {
        let (status, body) = endpoint
            .post("/api/join", "", json!({"code": dialogue.code}))
            .await;
        if status == 200 {
            continue; // the limit's third join
        }
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["code"], "rate_limited");
    }
    let joins = rows(store.as_ref(), Uuid::nil(), "join_refused").await;
    assert_eq!(joins.len(), 1, "{joins:?}");
    assert_eq!(joins[0].entry.actor_role, "anonymous");
    assert_eq!(
        joins[0].entry.detail.as_deref(),
        Some(r#"{"limit":"joins_per_ip_per_minute"}"#)
    );

    // Each is a structured line at INFO, once, with ids and codes only.
    flooder.close().await;
    let _ = child.start_kill();
    let _ = child.wait().await;
    let logs = read_logs(dir.path());
    // (The log may be coloured between a field's name and its value.)
    let lines = |what: &str| {
        let value = format!("\"{what}\"");
        logs.lines()
            .filter(|l| l.contains("security event") && l.contains(&value))
            .count()
    };
    assert_eq!(lines("refused"), 1, "{logs}");
    assert_eq!(lines("banned"), 1, "{logs}");
    assert_eq!(lines("join_refused"), 1, "{logs}");
    assert!(!logs.contains("Zinkgruvan"), "no question text in the logs");
}

#[tokio::test]
async fn a_rate_limit_close_is_a_security_event_once_a_minute_across_reconnects() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let token = dialogue.participant_token().await;
    let mut who = String::new();
    for _ in 0..3 {
        let mut flooder = Client::connect(&app.endpoint.ws, &token, None).await;
        who = flooder.you();
        for _ in 0..400 {
            if flooder
                .send_raw(Message::text(r#"{"type":"ping"}"#))
                .await
                .is_err()
            {
                break;
            }
        }
        assert_eq!(flooder.closed_with().await, Some(4429));
    }
    let closes = rows(app.store.as_ref(), dialogue.id, "rate_limit_closed").await;
    assert_eq!(
        closes.len(),
        1,
        "three closes in a minute, one row: {closes:?}"
    );
    assert_eq!(closes[0].entry.actor_role, "participant");
    assert_eq!(closes[0].entry.actor_id.to_string(), who);
}
