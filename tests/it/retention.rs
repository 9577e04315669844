//! Retention with a controlled clock, and erasure on request: each leaves exactly
//! what should remain, and the public record stays whole.

use crate::harness::{Client, TestApp};
use dialoghub::Settings;
use dialoghub::domain::{PollId, QuestionId, QuestionStatus};
use dialoghub::retention::{ERASURE_MARK, RETENTION_MARK, run_retention};
use dialoghub::store::{self, Store};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const DAY: i64 = 24 * 60 * 60 * 1000;

struct Meeting {
    app: TestApp,
    dialogue: crate::harness::Dialogue,
    url: String,
    _dir: tempfile::TempDir,
}

async fn meeting() -> Meeting {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("records.db").display());
    let store_url = url.clone();
    let app = TestApp::spawn_with(move |s| s.store.url = store_url).await;
    let dialogue = app.live_dialogue().await;
    Meeting {
        app,
        dialogue,
        url,
        _dir: dir,
    }
}

async fn ask(c: &mut Client, text: &str, name: Option<&str>) -> u64 {
    let ack = c
        .submit(json!({"type": "ask", "text": text, "display_name": name}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack["question_id"].as_u64().unwrap()
}

async fn ok(c: &mut Client, msg: serde_json::Value) -> serde_json::Value {
    let ack = c.submit(msg).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack
}

/// Every text in the stored log, the raw rows, as one string to search.
async fn stored_text(url: &str) -> String {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let mut all = String::new();
    for sql in [
        "SELECT actor || ' ' || body FROM events",
        "SELECT participant_id FROM votes",
        "SELECT participant_id || ' ' || choices FROM poll_answers",
        "SELECT actor_id || ' ' || ack FROM submissions",
    ] {
        for row in sqlx::query_scalar::<_, String>(sql)
            .fetch_all(&pool)
            .await
            .unwrap()
        {
            all.push_str(&row);
            all.push('\n');
        }
    }
    pool.close().await;
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retention_job_run_past_each_period_leaves_exactly_what_should_remain() {
    let m = meeting().await;
    let d = &m.dialogue;
    let mut moderator = d.moderator().await;
    let mut anna = d.participant().await;
    let mut bo = d.participant().await;
    let (anna_id, bo_id) = (anna.you(), bo.you());

    let edited_q = ask(
        &mut anna,
        "Min granne Kalle på Storgatan 12 stjäl cyklar",
        Some("Anna A"),
    )
    .await;
    let published = "Vad gör polisen åt cykelstölder?";
    ok(&mut moderator, json!({"type": "approve", "question_id": edited_q, "expected": "pending", "text": published})).await;
    let rejected_q = ask(&mut bo, "Ett påhopp som ska avvisas", None).await;
    ok(&mut moderator, json!({"type": "reject", "question_id": rejected_q, "expected": "pending", "reason": "abusive"})).await;
    let moved_q = ask(&mut anna, "Jag såg Olle Berg bryta sig in i källaren", None).await;
    ok(
        &mut moderator,
        json!({"type": "move_to_private", "question_id": moved_q, "expected": "pending"}),
    )
    .await;
    ok(&mut bo, json!({"type": "send_tip", "text": "Tips: bilen med regnummer ABC 123", "display_name": "Bo B"})).await;
    let kept_q = ask(
        &mut bo,
        "Varför är parken så mörk på kvällen?",
        Some("Bo B"),
    )
    .await;
    ok(
        &mut moderator,
        json!({"type": "approve", "question_id": kept_q, "expected": "pending"}),
    )
    .await;
    ok(
        &mut anna,
        json!({"type": "vote", "question_id": kept_q, "on": true}),
    )
    .await;
    let poll = ok(&mut moderator, json!({"type": "create_poll", "question": "Trygg?", "poll_kind": "single", "options": ["Ja", "Nej"]})).await["poll_id"].as_u64().unwrap();
    ok(
        &mut moderator,
        json!({"type": "open_poll", "poll_id": poll, "expected": "prepared"}),
    )
    .await;
    ok(
        &mut anna,
        json!({"type": "answer_poll", "poll_id": poll, "choices": [0]}),
    )
    .await;
    ok(
        &mut bo,
        json!({"type": "answer_poll", "poll_id": poll, "choices": [1]}),
    )
    .await;
    ok(
        &mut moderator,
        json!({"type": "close_poll", "poll_id": poll, "expected": "open"}),
    )
    .await;
    let (status, body) = d
        .endpoint
        .post(
            &format!("/api/dialogues/{}/phase", d.id),
            &d.organizer,
            json!({"phase": "closed", "expected": "live"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The controlled clock: the job runs on a second handle to the same file.
    let store: Arc<dyn Store> = store::open(&m.url).await.unwrap();
    let periods = Settings::defaults().retention;
    let record = store.load(d.id).await.unwrap().unwrap();
    let closed = record.events.last().unwrap().at;
    let state = |store: Arc<dyn Store>| async move {
        let record = store.load(d.id).await.unwrap().unwrap();
        dialoghub::hub::rebuild(&record).unwrap().0
    };

    // Nothing expires the day after.
    let (_, counts) = run_retention(&store, &periods, closed + DAY).await.unwrap();
    assert_eq!(counts, Default::default());

    // Past 30 days: rejected text and private tips go; nothing else.
    let (changed, counts) = run_retention(&store, &periods, closed + 31 * DAY)
        .await
        .unwrap();
    assert_eq!(changed, vec![d.id]);
    assert_eq!(
        (counts.rejected_texts, counts.private_tips),
        (1, 2),
        "{counts:?}"
    );
    assert_eq!(
        (
            counts.redacted_originals,
            counts.display_names,
            counts.participants_pseudonymised
        ),
        (0, 0, 0)
    );
    let s = state(store.clone()).await;
    let q = |id: u64| s.questions[&QuestionId(id)].clone();
    assert_eq!(q(rejected_q).text.expose(), RETENTION_MARK);
    assert_eq!(
        q(rejected_q).status,
        QuestionStatus::Rejected,
        "the fate stays"
    );
    assert_eq!(q(moved_q).text.expose(), RETENTION_MARK);
    assert!(
        s.tips
            .values()
            .all(|t| t.text.expose() == RETENTION_MARK && t.display_name.is_none())
    );
    assert_eq!(
        q(edited_q).original.as_ref().unwrap().expose(),
        "Min granne Kalle på Storgatan 12 stjäl cyklar"
    );
    assert_eq!(q(kept_q).display_name.as_ref().unwrap().expose(), "Bo B");
    let raw = stored_text(&m.url).await;
    assert!(raw.contains(&anna_id) && raw.contains(&bo_id));

    // Past 90 days: the words before an edit, names and identities go too.
    let (_, counts) = run_retention(&store, &periods, closed + 91 * DAY)
        .await
        .unwrap();
    assert_eq!(counts.redacted_originals, 1, "{counts:?}");
    assert_eq!(counts.display_names, 2, "{counts:?}");
    assert_eq!(counts.participants_pseudonymised, 2, "{counts:?}");
    assert_eq!(counts.audit_rows, 0, "audit rows are kept for years");
    let s = state(store.clone()).await;
    let q = |id: u64| s.questions[&QuestionId(id)].clone();
    assert_eq!(
        q(edited_q).text.expose(),
        published,
        "the published text stays"
    );
    assert_eq!(
        q(edited_q).original.as_ref().unwrap().expose(),
        RETENTION_MARK
    );
    assert_eq!(
        q(kept_q).text.expose(),
        "Varför är parken så mörk på kvällen?"
    );
    assert!(s.questions.values().all(|q| q.display_name.is_none()));
    assert_eq!(s.tally(QuestionId(kept_q)), 1, "the tally stays");
    let results = s.poll_results(PollId(poll));
    assert_eq!(
        (results.counts, results.respondents),
        (vec![1, 1], 2),
        "poll results stay"
    );
    let raw = stored_text(&m.url).await;
    for gone in [
        anna_id.as_str(),
        bo_id.as_str(),
        "Storgatan",
        "Anna A",
        "Bo B",
        "ABC 123",
        "Olle Berg",
        "påhopp",
    ] {
        assert!(!raw.contains(gone), "{gone} is still stored");
    }
    assert!(
        !raw.contains("\"choices\"")
            && !raw.lines().any(|l| l.ends_with(" 0") || l.ends_with(" 1")),
        "closed polls' answer rows go"
    );

    // A second run finds nothing more.
    let (changed, counts) = run_retention(&store, &periods, closed + 92 * DAY)
        .await
        .unwrap();
    assert_eq!((changed.len(), counts), (0, Default::default()));

    // Audit rows go after their own period, counted from when they were written.
    let audit_before = store.audit_entries(d.id).await.unwrap().len();
    assert!(audit_before > 5);
    // Security events (sign-ins) are filed under no dialogue; they age the same way.
    let server_wide = store.audit_entries(uuid::Uuid::nil()).await.unwrap().len();
    let now = chrono::Utc::now().timestamp_millis();
    let (_, counts) = run_retention(&store, &periods, now + (periods.audit_days + 1) * DAY)
        .await
        .unwrap();
    assert_eq!(counts.audit_rows as usize, audit_before + server_wide);
    assert!(store.audit_entries(d.id).await.unwrap().is_empty());
    drop(m.app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_removes_a_participants_personal_data_everywhere_and_keeps_the_record_whole() {
    let m = meeting().await;
    let d = &m.dialogue;
    let mut moderator = d.moderator().await;
    let mut anna = d.participant().await;
    let mut bo = d.participant().await;
    let anna_id = anna.you();

    let kept = ask(
        &mut anna,
        "Varför är det så mörkt i Axelsbergsparken?",
        Some("Anna Andersson"),
    )
    .await;
    ok(
        &mut moderator,
        json!({"type": "approve", "question_id": kept, "expected": "pending"}),
    )
    .await;
    let personal = ask(
        &mut anna,
        "Jag bor på Storgatan 12 och blir störd varje natt",
        None,
    )
    .await;
    ok(
        &mut moderator,
        json!({"type": "approve", "question_id": personal, "expected": "pending"}),
    )
    .await;
    let pending = ask(&mut anna, "Min granne Kalle Svensson är farlig", None).await;
    ok(&mut anna, json!({"type": "send_tip", "text": "Anna tipsar om Zorro", "display_name": "Anna Andersson"})).await;
    for p in [&mut anna, &mut bo] {
        ok(p, json!({"type": "vote", "question_id": kept, "on": true})).await;
    }
    ok(
        &mut moderator,
        json!({"type": "mark_answered", "question_id": kept, "expected": "approved"}),
    )
    .await;

    let path = format!("/api/dialogues/{}/erasures", d.id);
    let (status, refused) = d
        .endpoint
        .post(
            &path,
            &d.participant_token().await,
            json!({"participant_id": anna_id}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    // The person has no account: what they can show is a receipt code.
    let receipt = anna
        .raw
        .iter()
        .filter_map(|f| serde_json::from_str::<serde_json::Value>(f).ok())
        .find(|v| v["type"] == "ack" && v["question_id"] == kept)
        .and_then(|v| v["receipt"].as_str().map(str::to_string))
        .expect("the ask's ack carried a receipt");
    let (status, both) = d
        .endpoint
        .post(
            &path,
            &d.organizer,
            json!({"participant_id": anna_id, "receipt_code": receipt}),
        )
        .await;
    assert_eq!(status, 400, "{both}");
    let (status, erased) = d
        .endpoint
        .post(&path, &d.organizer, json!({"receipt_code": receipt}))
        .await;
    assert_eq!(status, 200, "{erased}");
    let (status, _) = d
        .endpoint
        .get(&format!("/api/receipts/{receipt}"), None)
        .await;
    assert_eq!(
        status, 404,
        "an erased person's receipt no longer finds the question"
    );
    assert_eq!(erased["questions_kept"], json!([kept]));
    assert_eq!(erased["questions_marked"], json!([personal, pending]));
    assert_eq!(erased["tips_marked"], 1);

    // Everywhere: the stored rows, the staff and public views, the audit export.
    let raw = stored_text(&m.url).await;
    for gone in [
        anna_id.as_str(),
        "Anna Andersson",
        "Storgatan",
        "Kalle Svensson",
        "Zorro",
    ] {
        assert!(!raw.contains(gone), "{gone} is still stored");
    }
    let (_, staff) = d
        .endpoint
        .get(&format!("/api/dialogues/{}", d.id), Some(&d.organizer))
        .await;
    let (_, public) = d
        .endpoint
        .get(&format!("/api/public/{}", d.code), None)
        .await;
    let (_, audit) = d
        .endpoint
        .get(
            &format!("/api/dialogues/{}/audit", d.id),
            Some(&d.organizer),
        )
        .await;
    for (name, body) in [
        ("staff view", &staff),
        ("public view", &public),
        ("audit export", &audit),
    ] {
        let text = body.to_string();
        for gone in [
            anna_id.as_str(),
            "Anna Andersson",
            "Storgatan",
            "Kalle Svensson",
            "Zorro",
        ] {
            assert!(!text.contains(gone), "{name} still shows {gone}");
        }
    }
    // The record stays whole: the question, its fate and its votes.
    let question = |body: &serde_json::Value, id: u64| {
        body["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["id"] == id)
            .cloned()
            .unwrap()
    };
    let q = question(&public, kept);
    assert_eq!(q["text"], "Varför är det så mörkt i Axelsbergsparken?");
    assert_eq!(q["status"], "answered");
    assert_eq!(q["display_name"], serde_json::Value::Null);
    assert_eq!(question(&public, personal)["text"], ERASURE_MARK);
    assert_eq!(question(&staff, pending)["text"], ERASURE_MARK);
    let mut later = d.participant().await;
    let key = kept.to_string();
    later
        .live_until("the tally", |l| l["votes"][&key] == 2)
        .await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "participant_erased")
    );

    // Anna's old connection was told to reconnect; her token now finds nothing of hers.
    assert!(anna.closed_with().await.is_some());
    let _ = tokio::time::timeout(Duration::from_millis(10), async {}).await;
}
