//! Erasure that erases: after an erasure by receipt code, and after a retention
//! run, the removed texts and ids are in no file of the data folder (SQLite),
//! and in no page of the tables (PostgreSQL, read raw after the vacuum). And
//! the data folder and its files are the server's user's alone.

use crate::harness::{Client, Dialogue, TestApp, TestDb};
use dialoghub::Settings;
use dialoghub::retention::run_retention;
use dialoghub::store::{self, Store};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

const DAY: i64 = 24 * 60 * 60 * 1000;

async fn ok(c: &mut Client, msg: Value) -> Value {
    let ack = c.submit(msg).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack
}

/// What a meeting planted, to be searched for after it is erased.
struct Planted {
    /// Texts and ids an erasure of Anna removes.
    erased: Vec<String>,
    /// Texts and ids the retention run (past every period) removes.
    retained: Vec<String>,
    anna: String,
    bo: String,
    receipt: String,
}

/// Anna asks (one kept, one pending, one rejected), tips, votes; Bo asks a
/// question that is rejected and sends a tip. The dialogue is closed.
async fn meeting(d: &Dialogue) -> Planted {
    let mut moderator = d.moderator().await;
    let mut anna = d.participant().await;
    let mut bo = d.participant().await;
    let kept = ok(
        &mut anna,
        json!({"type": "ask", "text": "Varför är Ängsparken mörk på kvällarna?",
        "display_name": "Gunnel Raderasson"}),
    )
    .await;
    let receipt = kept["receipt"].as_str().unwrap().to_string();
    let kept = kept["question_id"].as_u64().unwrap();
    ok(
        &mut moderator,
        json!({"type": "approve", "question_id": kept, "expected": "pending"}),
    )
    .await;
    ok(
        &mut anna,
        json!({"type": "ask", "text": "VANTANDE-Hjalmar Qvarnström bor i trappan"}),
    )
    .await;
    let rejected = ok(
        &mut anna,
        json!({"type": "ask", "text": "AVVISAD-Annas påhopp på Zacharias"}),
    )
    .await;
    ok(&mut moderator, json!({"type": "reject", "question_id": rejected["question_id"], "expected": "pending", "reason": "abusive"})).await;
    ok(&mut anna, json!({"type": "send_tip", "text": "TIPS-Bilen XYZ 987 hos Ofelia", "display_name": "Gunnel Raderasson"})).await;
    ok(
        &mut anna,
        json!({"type": "vote", "question_id": kept, "on": true}),
    )
    .await;
    let bos = ok(&mut bo, json!({"type": "ask", "text": "BOAVVISAD-Bos ord om Ingvild", "display_name": "Bertil Bosson"})).await;
    ok(&mut moderator, json!({"type": "reject", "question_id": bos["question_id"], "expected": "pending", "reason": "abusive"})).await;
    ok(
        &mut bo,
        json!({"type": "send_tip", "text": "BOTIPS-Gatan vid Torvald"}),
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
    let (anna, bo) = (anna.you(), bo.you());
    Planted {
        erased: [
            anna.as_str(),
            "Gunnel Raderasson",
            "VANTANDE-Hjalmar",
            "Qvarnström",
            "AVVISAD-Annas",
            "Zacharias",
            "TIPS-Bilen",
            "Ofelia",
            receipt.split('-').nth(1).unwrap(),
        ]
        .map(str::to_string)
        .to_vec(),
        retained: [
            bo.as_str(),
            "Bertil Bosson",
            "BOAVVISAD",
            "Ingvild",
            "BOTIPS",
            "Torvald",
        ]
        .map(str::to_string)
        .to_vec(),
        anna,
        bo,
        receipt,
    }
}

async fn erase_by_receipt(d: &Dialogue, receipt: &str) {
    let (status, erased) = d
        .endpoint
        .post(
            &format!("/api/dialogues/{}/erasures", d.id),
            &d.organizer,
            json!({"receipt_code": receipt}),
        )
        .await;
    assert_eq!(status, 200, "{erased}");
}

/// Runs retention past every period but the audit's, on a second handle.
async fn retention_past_every_period(url: &str, d: &Dialogue) {
    let store: Arc<dyn Store> = store::open(url).await.unwrap();
    let periods = Settings::defaults().retention;
    let record = store.load(d.id).await.unwrap().unwrap();
    let closed = record.events.last().unwrap().at;
    let (changed, _) = run_retention(&store, &periods, closed + 100 * DAY)
        .await
        .unwrap();
    assert_eq!(changed, [d.id], "the retention run changed the dialogue");
    store.close().await;
}

/// The needles as bytes: each text as written, and each id also as the 16
/// bytes a `uuid` column stores.
fn needles(texts: &[String]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for t in texts {
        out.push((t.clone(), t.as_bytes().to_vec()));
        if let Ok(id) = t.parse::<uuid::Uuid>() {
            out.push((format!("{t} (binary)"), id.as_bytes().to_vec()));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir`, read whole, searched for every needle.
pub fn files_holding(dir: &Path, texts: &[String]) -> Vec<String> {
    let needles = needles(texts);
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            for (name, needle) in &needles {
                if contains(&bytes, needle) {
                    found.push(format!("{name} in {}", path.display()));
                }
            }
        }
    }
    found
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A server whose SQLite files are in `data`, where a test can search them;
/// `tweak` changes the rest of its settings. Also gives the store's URL.
pub async fn app_on_files(data: &Path, tweak: impl FnOnce(&mut Settings)) -> (TestApp, String) {
    let url = format!("sqlite://{}", data.join("dialoghub.db").display());
    let app = TestApp::spawn_with(|s| {
        s.server.data_dir = data.to_path_buf();
        s.store.url = url.clone();
        tweak(s);
    })
    .await;
    (app, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_erasure_and_retention_leave_nothing_in_any_file() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (app, url) = app_on_files(&data, |_| {}).await;
    let d = app.live_dialogue().await;
    let planted = meeting(&d).await;
    // Before: the texts are on disk (the search is not blind).
    let before = files_holding(&data, &planted.erased);
    assert!(
        before.iter().any(|f| f.contains("Qvarnström")),
        "{before:?}"
    );

    erase_by_receipt(&d, &planted.receipt).await;
    let left = files_holding(&data, &planted.erased);
    assert!(left.is_empty(), "after the erasure: {left:?}");
    assert!(!files_holding(&data, &planted.retained).is_empty());

    retention_past_every_period(&url, &d).await;
    let left = files_holding(&data, &planted.retained);
    assert!(left.is_empty(), "after the retention run: {left:?}");
    let left = files_holding(&data, &planted.erased);
    assert!(left.is_empty(), "after the retention run: {left:?}");
    let _ = (&planted.anna, &planted.bo);

    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700, "the data folder");
        for entry in std::fs::read_dir(&data).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }
    }
}

/// Every page of the tables that hold dialogue data, with their indexes and
/// TOAST tables, read raw through pageinspect.
async fn pages_holding(url: &str, texts: &[String]) -> Vec<String> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pageinspect")
        .execute(&pool)
        .await
        .expect("pageinspect is available (postgresql-contrib)");
    let relations: Vec<String> = sqlx::query_scalar(
        "SELECT c.oid::regclass::text FROM pg_class c
         WHERE c.relkind IN ('r', 'i', 't')
           AND (c.oid IN (SELECT oid FROM pg_class WHERE relname IN ('events', 'votes', 'poll_answers', 'submissions'))
             OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relname IN ('events', 'votes', 'poll_answers', 'submissions')))
             OR c.oid IN (SELECT reltoastrelid FROM pg_class WHERE relname IN ('events', 'votes', 'poll_answers', 'submissions')))",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(relations.len() >= 4, "{relations:?}");
    let needles = needles(texts);
    let mut found = Vec::new();
    for rel in relations {
        let pages: i64 = sqlx::query_scalar(&format!(
            "SELECT pg_relation_size('{rel}'::regclass) / current_setting('block_size')::int"
        ))
        .fetch_one(&pool)
        .await
        .unwrap();
        for page in 0..pages {
            let raw: Vec<u8> = sqlx::query_scalar("SELECT get_raw_page($1, $2::int)")
                .bind(&rel)
                .bind(page)
                .fetch_one(&pool)
                .await
                .unwrap();
            for (name, needle) in &needles {
                if contains(&raw, needle) {
                    found.push(format!("{name} in {rel} page {page}"));
                }
            }
        }
    }
    pool.close().await;
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_erasure_and_retention_leave_nothing_in_the_tables_pages() {
    let Some(db) = TestDb::create("postgres_erasure_and_retention_leave_nothing").await else {
        return;
    };
    let url = db.url.clone();
    let app = TestApp::spawn_with(move |s| s.store.url = url).await;
    let d = app.live_dialogue().await;
    let planted = meeting(&d).await;
    let before = pages_holding(&db.url, &planted.erased).await;
    assert!(
        before.iter().any(|f| f.contains("Qvarnström")),
        "{before:?}"
    );

    erase_by_receipt(&d, &planted.receipt).await;
    let left = pages_holding(&db.url, &planted.erased).await;
    assert!(left.is_empty(), "after the erasure: {left:?}");

    retention_past_every_period(&db.url, &d).await;
    let mut all = planted.retained.clone();
    all.extend(planted.erased.clone());
    let left = pages_holding(&db.url, &all).await;
    assert!(left.is_empty(), "after the retention run: {left:?}");
}
