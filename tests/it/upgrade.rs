//! Upgrades: a store written by the previous release (its migrations and event
//! format, `tests/fixtures/previous-release/`) is migrated at start, on SQLite
//! and PostgreSQL, and read back whole.

use crate::harness::{Client, TestApp, TestDb};
use dialoghub::domain::Role;
use serde_json::json;
use std::path::Path;
use uuid::Uuid;

const DIALOGUE: &str = "5e1ea5e0-0000-4000-8000-000000000001";
const LEYLA: &str = "03030303-0303-0303-0303-030303030303";

fn fixture(part: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/previous-release")
        .join(part)
}

async fn previous_release_sqlite(url: &str) {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    use std::str::FromStr;
    let pool = SqlitePoolOptions::new()
        .connect_with(
            SqliteConnectOptions::from_str(url)
                .unwrap()
                .create_if_missing(true),
        )
        .await
        .unwrap();
    let migrator = sqlx::migrate::Migrator::new(fixture("sqlite"))
        .await
        .unwrap();
    migrator
        .run(&pool)
        .await
        .expect("the previous release's schema");
    let data = std::fs::read_to_string(fixture("data.sql")).unwrap();
    sqlx::raw_sql(&data).execute(&pool).await.expect("its data");
    pool.close().await;
}

async fn previous_release_postgres(url: &str) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let migrator = sqlx::migrate::Migrator::new(fixture("postgres"))
        .await
        .unwrap();
    migrator
        .run(&pool)
        .await
        .expect("the previous release's schema");
    let data = std::fs::read_to_string(fixture("data.sql")).unwrap();
    sqlx::raw_sql(&data).execute(&pool).await.expect("its data");
    pool.close().await;
}

/// Starts the current server on the old store and reads the dialogue back.
async fn migrates_and_reads_back(store_url: String) {
    let app = TestApp::spawn_with(|s| s.store.url = store_url).await;
    let id: Uuid = DIALOGUE.parse().unwrap();
    let (status, view) = app
        .endpoint
        .get(&format!("/api/dialogues/{id}"), Some(&app.organizer))
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["seq"], 9);
    assert_eq!(view["dialogue"]["title"], "Trygghetsdialog Rinkeby");
    assert_eq!(view["dialogue"]["phase"], "live");
    assert_eq!(view["dialogue"]["panel"][0]["name"], "Anna Berg");
    let questions = view["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 2);
    assert_eq!(questions[0]["status"], "approved");
    assert_eq!(questions[1]["status"], "rejected");
    assert_eq!(view["now_answering"], 1);

    // The old participant's saved ack comes back for a retry, and the old votes count.
    let token = app.endpoint.tokens.issue(
        Role::Participant,
        LEYLA.parse().unwrap(),
        Some(id),
        chrono::Duration::hours(1),
    );
    let mut leyla = Client::connect(&app.endpoint.ws, &token, Some((1234567, 9))).await;
    assert_eq!(leyla.welcome["recovered"], true, "{}", leyla.welcome);
    leyla
        .send(json!({"type": "ask", "client_msg_id": "leyla-1", "text": "Varför är det så mörkt vid busshållplatsen?"}))
        .await;
    let ack = leyla.reply("leyla-1").await;
    assert_eq!(
        (ack["type"].as_str(), ack["question_id"].as_u64()),
        (Some("ack"), Some(1))
    );
    let tallies = leyla
        .live_until("tallies", |v| v["votes"]["1"].is_u64())
        .await;
    assert_eq!(tallies["votes"]["1"], 2);

    // And the dialogue goes on in the new release: a new question, committed.
    let q = leyla.ask("Och gångtunneln vid skolan?").await;
    assert_eq!(q, 3);
    let (_, view) = app
        .endpoint
        .get(&format!("/api/dialogues/{id}"), Some(&app.organizer))
        .await;
    assert_eq!(view["questions"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_store_of_the_previous_release_is_migrated_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    previous_release_sqlite(&url).await;
    migrates_and_reads_back(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_store_of_the_previous_release_is_migrated_and_read_back() {
    let Some(db) = TestDb::create("upgrade from the previous release").await else {
        return;
    };
    previous_release_postgres(&db.url).await;
    migrates_and_reads_back(db.url.clone()).await;
}
