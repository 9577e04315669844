//! A reconnecting client misses nothing, or is told so and gets a snapshot.

use crate::harness::{Client, TestApp};
use serde_json::json;

#[tokio::test]
async fn a_client_that_missed_events_gets_exactly_those_in_order() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let token = dialogue.participant_token().await;
    let mut anna = Client::connect(&dialogue.endpoint.ws, &token, None).await;
    let mut bo = dialogue.participant().await;
    let mut moderator = dialogue.moderator().await;
    let first = bo.ask("Första frågan").await;
    let approved = moderator.approve(first).await;
    anna.reach(approved["seq"].as_u64().unwrap()).await;
    let (epoch, seen) = (anna.epoch, anna.seq);
    anna.close().await;

    // While Anna is away: three questions, two approvals, now answering.
    let mut missed = Vec::new();
    for text in ["Andra", "Tredje", "Fjärde"] {
        missed.push(bo.ask(text).await);
    }
    moderator.approve(missed[0]).await;
    moderator.approve(missed[2]).await;
    let ack = moderator
        .submit(json!({"type": "set_now_answering", "question_id": missed[2], "expected": null}))
        .await;
    let head = ack["seq"].as_u64().unwrap();

    let mut anna = Client::connect(&dialogue.endpoint.ws, &token, Some((epoch, seen))).await;
    assert_eq!(anna.welcome["recovered"], true, "{}", anna.welcome);
    assert!(anna.snapshot.is_none());
    anna.reach(head).await; // the client asserts every seq is the next one
    let kinds: Vec<&str> = anna
        .events
        .iter()
        .map(|e| e["event"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "question_received",
            "question_received",
            "question_received",
            "question_published",
            "question_published",
            "now_answering"
        ]
    );
    let seqs: Vec<u64> = anna
        .events
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, ((seen + 1)..=head).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_stale_or_foreign_position_gets_recovered_false_and_a_snapshot() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let other = app.live_dialogue().await;
    let mut moderator = dialogue.moderator().await;
    let mut bo = dialogue.participant().await;
    let q = bo.ask("Fråga").await;
    moderator.approve(q).await;
    let token = dialogue.participant_token().await;
    let here = Client::connect(&dialogue.endpoint.ws, &token, None).await;
    let (epoch, seq) = (here.epoch, here.seq);
    let other_epoch = Client::connect(&other.endpoint.ws, &other.participant_token().await, None)
        .await
        .epoch;
    here.close().await;

    for (why, position) in [
        ("a position from the future", (epoch, seq + 100)),
        ("another dialogue's epoch", (other_epoch, 1)),
        ("a rebuilt log's old epoch", (epoch + 1, seq)),
    ] {
        let c = Client::connect(&dialogue.endpoint.ws, &token, Some(position)).await;
        assert_eq!(c.welcome["recovered"], false, "{why}");
        let snapshot = c.snapshot.as_ref().expect("a snapshot follows");
        assert_eq!(snapshot["seq"].as_u64().unwrap(), seq, "{why}");
        assert_eq!(snapshot["questions"][0]["id"], q, "{why}");
    }
}

#[tokio::test]
async fn a_position_older_than_the_replay_window_gets_a_snapshot() {
    let app = TestApp::spawn_with(|s| s.hub.replay_window = 3).await;
    let dialogue = app.live_dialogue().await;
    let token = dialogue.participant_token().await;
    let anna = Client::connect(&dialogue.endpoint.ws, &token, None).await;
    let (epoch, seen) = (anna.epoch, anna.seq);
    let mut bo = dialogue.participant().await;
    for i in 0..5 {
        bo.ask(&format!("Fråga {i}")).await;
    }
    let c = Client::connect(&dialogue.endpoint.ws, &token, Some((epoch, seen))).await;
    assert_eq!(c.welcome["recovered"], false);
    assert_eq!(
        c.snapshot.as_ref().unwrap()["seq"].as_u64().unwrap(),
        seen + 5
    );
}

#[tokio::test]
async fn a_participant_sees_their_own_questions_and_votes_after_reconnecting() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let token = dialogue.participant_token().await;
    let mut anna = Client::connect(&dialogue.endpoint.ws, &token, None).await;
    let mut moderator = dialogue.moderator().await;
    let pending = anna.ask("Min väntande fråga").await;
    let rejected = anna.ask("Min avvisade fråga").await;
    let approved = anna.ask("Min godkända fråga").await;
    moderator.approve(approved).await;
    moderator.submit(json!({"type": "reject", "question_id": rejected, "expected": "pending", "reason": "off_topic"})).await;
    anna.wait_for("published", |v| v["event"]["kind"] == "question_published")
        .await;
    anna.vote(approved, true).await;
    anna.close().await;
    let again = Client::connect(&dialogue.endpoint.ws, &token, None).await;
    let mine = again.welcome["mine"].as_array().unwrap();
    let status = |id: u64| mine.iter().find(|q| q["id"] == id).unwrap().clone();
    assert_eq!(status(pending)["status"], "pending");
    assert_eq!(status(pending)["text"], "Min väntande fråga");
    assert_eq!(status(rejected)["status"], "rejected");
    assert_eq!(status(rejected)["reason"], "off_topic");
    assert_eq!(status(approved)["status"], "approved");
    assert_eq!(again.welcome["my_votes"], json!([approved]));
}
