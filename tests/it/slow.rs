//! One slow or hostile client cannot hurt the others.

use crate::harness::{Client, TestApp};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_as_slow_and_resumes_with_nothing_missing() {
    let app = TestApp::spawn_with(|s| {
        // Far behind means this many bytes; a burst of one group commit (50 questions here) stays well below.
        s.limits.outbox_max_bytes = 256 * 1024;
        // Small kernel buffers, so falling behind shows after a few hundred kilobytes.
        s.server.socket_send_buffer_bytes = 16 * 1024;
        s.limits.max_question_chars = 4000;
        s.limits.messages_per_sec = 100_000;
        s.limits.messages_burst = 100_000;
    })
    .await;
    let dialogue = app.live_dialogue().await;
    let (_, moderator_token) = {
        let (status, inv) = dialogue
            .endpoint
            .post(
                &format!("/api/dialogues/{}/moderators", dialogue.id),
                &dialogue.organizer,
                json!({"name": "Långsam"}),
            )
            .await;
        assert_eq!(status, 201);
        (
            inv["id"].clone(),
            dialogue.endpoint.accept(&inv, dialogue.id).await,
        )
    };
    // The slow one is a moderator: it receives every question's full text.
    let mut slow = Client::connect_slow(&dialogue.endpoint.ws, &moderator_token).await;
    let mut asker = dialogue.participant().await;
    let mut bystander = dialogue.moderator().await;

    let text = "Varför är belysningen så dålig längs gångvägen? ".repeat(40);
    let mut worst_ack = Duration::ZERO;
    let mut asked = 0;
    let started = Instant::now();
    // Bounded: 500 questions of ~2,000 characters (1 MB), more than the outbox plus socket buffers.
    while asked < 500 {
        let round_start = Instant::now();
        let mut ids = Vec::new();
        for _ in 0..50 {
            let id = asker.key();
            asker
                .send(json!({"type": "ask", "client_msg_id": id, "text": text}))
                .await;
            ids.push(id);
        }
        for id in ids {
            assert_eq!(asker.reply(&id).await["type"], "ack");
        }
        asked += 50;
        worst_ack = worst_ack.max(round_start.elapsed());
        // The bystander keeps up with every event.
        let seen = asker_seq(&mut bystander, asked).await;
        bystander.reach(seen).await;
    }
    // The server gives up on it: with a close frame (4508) if the socket still takes one,
    // otherwise by dropping the connection, since a client that does not read cannot get one.
    let code = slow.closed_with().await;
    assert!(
        matches!(code, Some(4508) | None),
        "closed as slow after {asked} questions, got {code:?}"
    );
    println!(
        "slow client closed after {asked} questions in {:?}; worst round of 50 acks {worst_ack:?}",
        started.elapsed()
    );
    assert!(
        worst_ack < Duration::from_secs(5),
        "the others were held up: {worst_ack:?}"
    );

    // It resumes from what it had applied and misses nothing: the events it missed,
    // or (when they would not fit its outbox) a snapshot that says so.
    let received = slow
        .events
        .iter()
        .filter(|e| e["event"]["kind"] == "question_asked")
        .count();
    println!("the slow client had received {received} of {asked} questions when it was cut off");
    assert!(received < asked, "it was cut off before the end");
    let (epoch, seq) = (slow.epoch, slow.seq);
    let mut again =
        Client::try_connect(&dialogue.endpoint.ws, &moderator_token, Some((epoch, seq)))
            .await
            .unwrap();
    if again.welcome["recovered"] == true {
        let head = again.welcome["seq"].as_u64().unwrap();
        again.reach(head).await;
        let replayed = again
            .events
            .iter()
            .filter(|e| e["event"]["kind"] == "question_asked")
            .count();
        assert_eq!(
            received + replayed,
            asked,
            "every question reached the slow moderator exactly once"
        );
    } else {
        // A socket's snapshot carries the first page of the queue and its count
        // (protocol 3.2); every question is counted.
        let snapshot = again.snapshot.as_ref().unwrap();
        assert_eq!(snapshot["pending"]["count"].as_u64(), Some(asked as u64));
        assert_eq!(
            snapshot["questions"].as_array().unwrap().len(),
            asked.min(50)
        );
    }
}

/// Waits until the bystander has seen `n` questions arrive and returns that seq.
async fn asker_seq(bystander: &mut Client, n: usize) -> u64 {
    loop {
        let seen = bystander
            .events
            .iter()
            .filter(|e| e["event"]["kind"] == "question_asked")
            .count();
        if seen >= n {
            return bystander.seq;
        }
        bystander
            .wait_for("a question", |v| v["type"] == "event")
            .await;
    }
}
