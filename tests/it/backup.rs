//! `dialoghub backup` while a meeting runs, and `dialoghub restore`: the
//! restored store holds every write acknowledged before the backup started.

use crate::harness::{Client, TestServer, report};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs the dialoghub binary with a command, on the SQLite store at `db`.
async fn dialoghub(db: &Path, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_dialoghub"))
        .args(args)
        .env("DIALOGHUB_STORE__URL", format!("sqlite://{}", db.display()))
        .env_remove("DATABASE_URL")
        .kill_on_drop(true)
        .output()
        .await
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_mid_meeting_restores_every_acknowledged_write() {
    let live = tempfile::tempdir().unwrap();
    let server = TestServer::start(live.path()).await;
    let organizer = server.organizer().await;
    let dialogue = server.endpoint.live_dialogue(&organizer).await;
    let mut moderator = dialogue.moderator().await;
    let mut voters = Vec::new();
    for _ in 0..3 {
        voters.push(dialogue.participant().await);
    }
    let mut asker = dialogue.participant().await;

    // Before the backup: questions, approvals, votes, all acknowledged.
    let mut before = Vec::new();
    for i in 0..6 {
        before.push(asker.ask(&format!("Fråga {i} före säkerhetskopian")).await);
    }
    for q in &before[..4] {
        assert_eq!(moderator.approve(*q).await["type"], "ack");
    }
    for v in voters.iter_mut() {
        for q in &before[..2] {
            v.wait_for("published", |e| e["event"]["question"]["id"] == *q)
                .await;
            assert_eq!(v.vote(*q, true).await["type"], "ack");
        }
    }

    // The meeting goes on while the backup is taken.
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let writer = tokio::spawn(async move {
        let mut acked = Vec::new();
        let mut i = 0;
        while !*stop_rx.borrow_and_update() {
            let key = asker.key();
            asker
                .send(json!({"type": "ask", "client_msg_id": key, "text": format!("Fråga {i} under säkerhetskopian")}))
                .await;
            let reply = asker.reply(&key).await;
            assert_eq!(reply["type"], "ack", "{reply}");
            acked.push((Instant::now(), reply["question_id"].as_u64().unwrap()));
            i += 1;
            // Within the per-connection rate (5 a second).
            tokio::time::sleep(Duration::from_millis(220)).await;
        }
        (asker, acked)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let file = live.path().join("backup.db");
    let started = Instant::now();
    let out = dialoghub(
        &live.path().join("dialoghub.db"),
        &["backup", file.to_str().unwrap()],
    )
    .await;
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop_tx.send(true);
    let (asker, during) = writer.await.unwrap();
    let acked_before_backup: Vec<u64> = before
        .iter()
        .copied()
        .chain(
            during
                .iter()
                .filter(|(at, _)| *at < started)
                .map(|(_, q)| *q),
        )
        .collect();
    assert!(
        during.len() > acked_before_backup.len() - before.len(),
        "writes went on during the backup"
    );
    report(&format!(
        "backup: {} KiB in {took:?} while {} questions were acknowledged around it",
        std::fs::metadata(&file).unwrap().len() / 1024,
        during.len()
    ));

    // Restore refuses while the server runs (its write-ahead log is there).
    let refused = dialoghub(
        &live.path().join("dialoghub.db"),
        &["restore", file.to_str().unwrap()],
    )
    .await;
    assert!(!refused.status.success(), "restore over a running server");

    server.signal("TERM");
    let mut server = server;
    let status = tokio::time::timeout(Duration::from_secs(10), server.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());

    // Restore into a fresh data folder and start there.
    let restored = tempfile::tempdir().unwrap();
    let out = dialoghub(
        &restored.path().join("dialoghub.db"),
        &["restore", file.to_str().unwrap()],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = TestServer::start(restored.path()).await;
    let (status, view) = server
        .endpoint
        .get(&format!("/api/dialogues/{}", dialogue.id), Some(&organizer))
        .await;
    assert_eq!(status, 200, "{view}");
    let questions = view["questions"].as_array().unwrap();
    let status_of = |q: u64| {
        questions
            .iter()
            .find(|x| x["id"] == q)
            .map(|x| x["status"].clone())
    };
    for q in &acked_before_backup {
        assert!(
            status_of(*q).is_some(),
            "question {q}, acknowledged before the backup, is restored"
        );
    }
    for q in &before[..4] {
        assert_eq!(status_of(*q), Some(Value::from("approved")));
    }
    // The copy is one commit's state: question ids are 1..=n with no hole.
    let mut ids: Vec<u64> = questions
        .iter()
        .map(|x| x["id"].as_u64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());

    // Every acknowledged vote is counted; a client that saw more than the
    // restored log is told so and gets a snapshot.
    let join = || async {
        let (status, joined) = server
            .endpoint
            .post("/api/join", "", json!({"code": dialogue.code}))
            .await;
        assert_eq!(status, 200, "{joined}");
        joined["token"].as_str().unwrap().to_string()
    };
    let token = join().await;
    let mut fresh = Client::connect(&server.endpoint.ws, &token, None).await;
    let tallies = fresh
        .live_until("tallies", |v| v["votes"][before[0].to_string()].is_u64())
        .await;
    for q in &before[..2] {
        assert_eq!(tallies["votes"][q.to_string()], 3);
    }
    let ahead = (asker.epoch, asker.seq);
    if ahead.1 > view["seq"].as_u64().unwrap() {
        let token = join().await;
        let c = Client::connect(&server.endpoint.ws, &token, Some(ahead)).await;
        assert_eq!(c.welcome["recovered"], false);
        assert!(c.snapshot.is_some());
    }
}
