//! Flood limits that keep the meeting usable: questions waiting for a moderator
//! are capped per participant and per dialogue, with a clear refusal, so fresh
//! identities cannot bury the moderator's queue.

use crate::harness::{Client, TestApp};
use serde_json::{Value, json};

async fn ask(c: &mut Client, text: &str) -> Value {
    c.submit(json!({"type": "ask", "text": text})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_questions_are_capped_per_participant_and_per_dialogue() {
    let app = TestApp::spawn_with(|s| {
        s.limits.pending_questions_per_participant = 3;
        s.limits.pending_questions_per_dialogue = 5;
    })
    .await;
    let d = app.live_dialogue().await;
    let mut moderator = d.moderator().await;
    let (mut anna, mut bo, mut carl) = (
        d.participant().await,
        d.participant().await,
        d.participant().await,
    );

    let mut annas = Vec::new();
    for i in 0..3 {
        let ack = ask(&mut anna, &format!("Annas fråga {i} om gatlyktorna")).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        annas.push(ack["question_id"].as_u64().unwrap());
    }
    let refused = ask(&mut anna, "Annas fjärde fråga").await;
    assert_eq!(refused["code"], "too_many_pending", "{refused}");
    assert_eq!(refused["retryable"], false);
    assert!(
        refused["message"].as_str().unwrap().contains("yours"),
        "{refused}"
    );

    // Once a moderator handles one, she may ask again.
    assert_eq!(moderator.approve(annas[0]).await["type"], "ack");
    assert_eq!(ask(&mut anna, "Annas fjärde fråga").await["type"], "ack");

    // Three of Anna's and two of Bo's fill the dialogue's queue.
    for i in 0..2 {
        assert_eq!(ask(&mut bo, &format!("Bos fråga {i}")).await["type"], "ack");
    }
    let refused = ask(&mut carl, "Carls första fråga").await;
    assert_eq!(refused["code"], "too_many_pending", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("the dialogue's"),
        "{refused}"
    );
    // A question from the floor is never refused.
    let floor = moderator
        .submit(json!({"type": "floor_question", "text": "Från salen: när öppnar fritidsgården?"}))
        .await;
    assert_eq!(floor["type"], "ack", "{floor}");

    // The moderator's view holds exactly the accepted questions.
    let (status, view) = app
        .endpoint
        .get(&format!("/api/dialogues/{}", d.id), Some(&app.organizer))
        .await;
    assert_eq!(status, 200);
    let pending = view["questions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["status"] == "pending")
        .count();
    assert_eq!(pending, 5, "{view}");
}
