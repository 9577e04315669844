//! Public-records duties: the audit trail is append-only in every store, and the
//! organizer's export masks what the confidentiality guard flagged.

use crate::harness::{TestApp, TestDb};
use dialoghub::store::{self, NewDialogue, StoredEvent};
use serde_json::{Value, json};
use uuid::Uuid;

const SECRET_TEXT: &str = "Min granne på Storgatan 12 har personnummer 811228-9874 och blir hotad";
const FLOOR_TEXT: &str = "Ring mig på 070-123 45 67 om belysningen";

fn organizer_event(seq: u64, at: i64) -> StoredEvent {
    StoredEvent {
        seq,
        at,
        actor: r#"{"role":"organizer","id":"f7520607-3cb8-4896-adea-bab7097b5b18"}"#.into(),
        body: r#"{"kind":"phase_changed","phase":"live"}"#.into(),
    }
}

async fn dialogue_with_audit_rows(url: &str) -> Uuid {
    let s = store::open(url).await.expect("store opens");
    let d = NewDialogue {
        id: Uuid::new_v4(),
        code: "AUD234".into(),
        epoch: 1,
        created_at: 1,
        created_by: Uuid::new_v4(),
        idempotency_key: None,
        district: dialoghub::domain::access::DistrictId::default_district(),
        first: organizer_event(1, 1_000),
    };
    s.create_dialogue(&d).await.unwrap();
    let rows = s.audit_entries(d.id).await.unwrap();
    assert_eq!(rows.len(), 1, "the organizer's first event is audited");
    assert_eq!(rows[0].entry.action, "phase_changed");
    d.id
}

/// Tries every way to change or remove an audit row with plain SQL; each must fail,
/// and the row must stand. Only the retention path (horizon forward, then delete
/// what is older) removes a row.
macro_rules! audit_rows_resist {
    ($pool:expr, $name:expr, $ph:literal) => {{
        let pool = $pool;
        let count = |pool| async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log")
                .fetch_one(pool)
                .await
                .unwrap()
        };
        assert_eq!(count(&pool).await, 1);
        for sql in [
            "UPDATE audit_log SET action = 'nothing'",
            "UPDATE audit_log SET at = 0",
            "DELETE FROM audit_log",
            "UPDATE audit_horizon SET purge_before = -1",
            "DELETE FROM audit_horizon",
        ] {
            let err = sqlx::query(sql).execute(&pool).await;
            assert!(err.is_err(), "{}: {sql} must fail", $name);
        }
        assert_eq!(count(&pool).await, 1, "{}", $name);
        // Retention: the horizon moves past the row, then the row may go.
        sqlx::query(concat!("UPDATE audit_horizon SET purge_before = ", $ph))
            .bind(1_001_i64)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("DELETE FROM audit_log")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(count(&pool).await, 0, "{}", $name);
    }};
}

#[tokio::test]
async fn audit_rows_cannot_be_changed_or_deleted_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("audit.db").display());
    dialogue_with_audit_rows(&url).await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    audit_rows_resist!(pool, "sqlite", "?");
}

#[tokio::test]
async fn audit_rows_cannot_be_changed_or_deleted_on_postgres() {
    let Some(db) = TestDb::create("audit_rows_cannot_be_changed_or_deleted_on_postgres").await
    else {
        return;
    };
    dialogue_with_audit_rows(&db.url).await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let truncate = sqlx::query("TRUNCATE audit_log").execute(&pool).await;
    assert!(truncate.is_err(), "TRUNCATE must fail");
    audit_rows_resist!(pool.clone(), "postgres", "$1");
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_export_records_every_staff_action_and_masks_flagged_spans() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut moderator = dialogue.moderator().await;
    let mut anna = dialogue.participant().await;
    let q = anna.ask(SECRET_TEXT).await;
    let edited = "Min granne blir hotad. Vad gör polisen?";
    let ack = moderator
        .submit(json!({"type": "approve", "question_id": q, "expected": "pending", "text": edited}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let ack = moderator
        .submit(json!({"type": "floor_question", "text": FLOOR_TEXT}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let tip = anna
        .submit(json!({"type": "send_tip", "text": "Tipset om Zorro i källaren"}))
        .await;
    assert_eq!(tip["type"], "ack");

    let path = format!("/api/dialogues/{}/audit", dialogue.id);
    let (status, refused) = dialogue
        .endpoint
        .get(&path, Some(&dialogue.participant_token().await))
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["code"], "forbidden");
    let (status, export) = dialogue
        .endpoint
        .get(&path, Some(&dialogue.organizer))
        .await;
    assert_eq!(status, 200, "{export}");
    let text = export.to_string();
    for secret in ["811228-9874", "Storgatan 12", "070-123 45 67", "Zorro"] {
        assert!(!text.contains(secret), "the export shows {secret}: {text}");
    }
    let entries = export["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "info_set",
        "phase_changed",
        "moderator_added",
        "question_approved",
        "question_asked",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(
        !actions.contains(&"tip_sent"),
        "participants' own submissions are not audited"
    );
    let approved = entries
        .iter()
        .find(|e| e["action"] == "question_approved")
        .unwrap();
    assert_eq!(approved["actor"]["role"], "moderator");
    assert_eq!(approved["target"], format!("question:{q}"));
    assert_eq!(approved["detail"]["text_changed"], true);
    assert_eq!(approved["after"], edited);
    let before = approved["before"].as_str().unwrap();
    assert!(
        before.starts_with("Min granne på […] har personnummer […]"),
        "{before}"
    );
    let masked: Vec<&Value> = export["masked"].as_array().unwrap().iter().collect();
    let kinds = |id: &Value, field: &str| -> Vec<String> {
        masked
            .iter()
            .find(|m| &m["entry"] == id && m["field"] == field)
            .map(|m| {
                m["kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        kinds(&approved["id"], "before"),
        ["personnummer", "street_address"]
    );
    let floor = entries
        .iter()
        .find(|e| e["action"] == "question_asked")
        .unwrap();
    assert_eq!(kinds(&floor["id"], "after"), ["phone"]);
    assert!(export["note"].as_str().unwrap().contains("masked"));

    // The export is itself on the record.
    let (_, again) = dialogue
        .endpoint
        .get(&path, Some(&dialogue.organizer))
        .await;
    let last = again["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "audit_exported");
    assert_eq!(last["actor"]["role"], "organizer");
}
