//! An acknowledged submission is never lost, not even by `kill -9`.

use crate::harness::{Client, TestServer};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_and_clients_resume_without_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let organizer = server.organizer().await;
    let dialogue = server.endpoint.live_dialogue(&organizer).await;
    let mut moderator = dialogue.moderator().await;
    let mut people = Vec::new();
    for _ in 0..5 {
        let token = dialogue.participant_token().await;
        let client = Client::connect(&dialogue.endpoint.ws, &token, None).await;
        people.push((token, client));
    }

    // A meeting in progress: questions, approvals, votes, a rejection, now answering.
    let mut questions = Vec::new();
    for (i, (_, p)) in people.iter_mut().enumerate() {
        questions.push(p.ask(&format!("Fråga nummer {i} om tryggheten")).await);
    }
    for q in &questions[..4] {
        assert_eq!(moderator.approve(*q).await["type"], "ack");
    }
    let ack = moderator.submit(json!({"type": "reject", "question_id": questions[4], "expected": "pending", "reason": "duplicate"})).await;
    assert_eq!(ack["type"], "ack");
    let mut acked_votes = 0;
    for (_, p) in people.iter_mut() {
        for q in &questions[..2] {
            p.wait_for("published", |v| {
                v["event"]["kind"] == "question_published" && v["event"]["question"]["id"] == *q
            })
            .await;
            assert_eq!(p.vote(*q, true).await["type"], "ack");
            acked_votes += 1;
        }
    }
    let ack = moderator
        .submit(json!({"type": "set_now_answering", "question_id": questions[1], "expected": null}))
        .await;
    let head = ack["seq"].as_u64().unwrap();
    // Everyone has seen up to some point; one participant fell behind before the crash.
    for (_, p) in people.iter_mut().skip(1) {
        p.reach(head).await;
    }
    let behind = (people[0].1.epoch, people[0].1.seq);

    server.kill_9().await;
    let server = TestServer::start(dir.path()).await;
    let ws = &server.endpoint.ws;

    // Every acknowledged question, vote and moderator action is there.
    let (status, view) = server
        .endpoint
        .get(&format!("/api/dialogues/{}", dialogue.id), Some(&organizer))
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["seq"].as_u64().unwrap(), head);
    let status_of = |q: u64| {
        view["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == q)
            .unwrap()["status"]
            .clone()
    };
    for q in &questions[..4] {
        assert_eq!(status_of(*q), "approved");
    }
    assert_eq!(status_of(questions[4]), "rejected");
    assert_eq!(view["now_answering"], questions[1]);

    // Clients resume from where they were, with no gap.
    let (token0, _) = &people[0];
    let mut resumed = Client::connect(ws, token0, Some(behind)).await;
    assert_eq!(resumed.welcome["recovered"], true, "{}", resumed.welcome);
    resumed.reach(head).await;
    let tallies = resumed
        .live_until("tallies", |v: &Value| {
            v["votes"][questions[0].to_string()].is_u64()
        })
        .await;
    let total: u64 = questions[..2]
        .iter()
        // A question without votes is not in `votes`.
        .map(|q| tallies["votes"][q.to_string()].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        total, acked_votes,
        "every acknowledged vote is counted once"
    );
    assert_eq!(resumed.welcome["my_votes"].as_array().unwrap().len(), 2);
    for (token, p) in people.iter().skip(1) {
        let c = Client::connect(ws, token, Some((p.epoch, p.seq))).await;
        assert_eq!(c.welcome["recovered"], true);
        assert_eq!(c.welcome["seq"].as_u64().unwrap(), head);
    }
}

/// After a restart every client of a dialogue reconnects at once. Each connection
/// asks for the dialogue before it is loaded; the loads must neither stall each
/// other (a load once held one pooled connection while waiting for a second, and
/// 20 at once took the pool for its 30 s acquire timeout) nor read the log once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_storm_after_a_restart_is_welcomed_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let organizer = server.organizer().await;
    let dialogue = server.endpoint.live_dialogue(&organizer).await;
    let mut tokens = Vec::new();
    for _ in 0..40 {
        tokens.push(dialogue.participant_token().await);
    }
    server.kill_9().await;
    let server = TestServer::start(dir.path()).await;

    let started = std::time::Instant::now();
    let storm = tokens.iter().map(|token| {
        let ws = server.endpoint.ws.clone();
        let token = token.clone();
        tokio::spawn(async move { Client::try_connect(&ws, &token, None).await })
    });
    let storm: Vec<_> = storm.collect();
    for joined in storm {
        let client = joined.await.unwrap().expect("welcomed after the restart");
        assert!(client.snapshot.is_some(), "a fresh client gets a snapshot");
    }
    // Far below the pool's acquire timeout (30 s) and the client's frame deadline.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "40 clients welcomed in {:?}",
        started.elapsed()
    );
}
