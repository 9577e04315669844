//! A stop from the platform is a graceful stop: `docker stop`, systemd and
//! Kubernetes send SIGTERM, a terminal sends SIGINT.

use crate::harness::{Client, TestServer};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const GRACE_SECS: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_meeting_closes_with_1012_and_clients_resume_without_a_gap() {
    stop_during_a_meeting("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_the_same_way() {
    stop_during_a_meeting("INT").await;
}

async fn stop_during_a_meeting(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let grace = GRACE_SECS.to_string();
    let env = [("DIALOGHUB_SERVER__SHUTDOWN_GRACE_SECS", grace.as_str())];
    let mut server = TestServer::start_with_env(dir.path(), &env).await;
    let organizer = server.organizer().await;
    let dialogue = server.endpoint.live_dialogue(&organizer).await;
    let mut moderator = dialogue.moderator().await;
    let mut people = Vec::new();
    for _ in 0..4 {
        let token = dialogue.participant_token().await;
        people.push((
            token.clone(),
            Client::connect(&dialogue.endpoint.ws, &token, None).await,
        ));
    }
    let first = people[0]
        .1
        .ask("Varför är belysningen trasig vid skolan?")
        .await;
    let head = moderator.approve(first).await["seq"].as_u64().unwrap();
    for (_, p) in people.iter_mut() {
        p.reach(head).await;
    }

    // In flight when the stop comes: questions sent without waiting for their acks.
    let mut sent = Vec::new();
    for (i, (_, p)) in people.iter_mut().enumerate() {
        for n in 0..3 {
            let key = p.key();
            p.send(json!({"type": "ask", "client_msg_id": key, "text": format!("Fråga {i}.{n} om trafiken")}))
                .await;
            sent.push((i, key));
        }
    }
    let stopped_at = Instant::now();
    server.signal(signal);

    // Every client is told to reconnect: 1012, not a dropped socket (1006).
    assert_eq!(moderator.closed_with().await, Some(1012));
    // By then the port is closed: a client that reconnects at once is refused and
    // tries again later, instead of being welcomed by a process about to exit
    // and dropped without a close frame.
    let addr = server
        .endpoint
        .base
        .trim_start_matches("http://")
        .to_string();
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "the listener is closed when the stop begins"
    );
    for (_, p) in people.iter_mut() {
        assert_eq!(p.closed_with().await, Some(1012));
    }
    let status = tokio::time::timeout(Duration::from_secs(GRACE_SECS + 2), server.child.wait())
        .await
        .expect("the process exits")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        stopped_at.elapsed() <= Duration::from_secs(GRACE_SECS),
        "stopped in {:?}",
        stopped_at.elapsed()
    );
    // What was acknowledged before the stop.
    let acked: Vec<(usize, String, u64)> = sent
        .iter()
        .filter_map(|(i, key)| {
            let ack = people[*i].1.raw.iter().find_map(|r| {
                let v: Value = serde_json::from_str(r).ok()?;
                (v["type"] == "ack" && v["client_msg_id"] == key.as_str()).then_some(v)
            })?;
            Some((*i, key.clone(), ack["question_id"].as_u64().unwrap()))
        })
        .collect();

    let server = TestServer::start_with_env(dir.path(), &env).await;
    let ws = &server.endpoint.ws;
    let (status, view) = server
        .endpoint
        .get(&format!("/api/dialogues/{}", dialogue.id), Some(&organizer))
        .await;
    assert_eq!(status, 200, "{view}");
    let questions = view["questions"].as_array().unwrap();
    for (_, _, q) in &acked {
        assert!(
            questions.iter().any(|x| x["id"] == *q),
            "acknowledged question {q} is kept"
        );
    }
    let head = view["seq"].as_u64().unwrap();

    // Each client resumes from where it was, with no gap (the client checks every
    // seq), and a retry of what it sent gets the saved answer, never a duplicate.
    for (i, (token, p)) in people.iter().enumerate() {
        let mut c = Client::connect(ws, token, Some((p.epoch, p.seq))).await;
        assert_eq!(c.welcome["recovered"], true, "{}", c.welcome);
        for (j, key) in sent
            .iter()
            .filter(|(j, _)| *j == i)
            .map(|(_, k)| k)
            .enumerate()
        {
            c.send(json!({"type": "ask", "client_msg_id": key, "text": format!("Fråga {i}.{j} om trafiken")}))
                .await;
            let reply = c.reply(key).await;
            assert_eq!(reply["type"], "ack", "{reply}");
            if let Some((_, _, q)) = acked.iter().find(|(_, k, _)| k == key) {
                assert_eq!(reply["question_id"], *q, "the saved ack comes back");
            }
        }
        c.reach(head).await;
    }
    let (_, view) = server
        .endpoint
        .get(&format!("/api/dialogues/{}", dialogue.id), Some(&organizer))
        .await;
    assert_eq!(
        view["questions"].as_array().unwrap().len(),
        1 + sent.len(),
        "every question once"
    );
}
