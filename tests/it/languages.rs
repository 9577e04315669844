//! The public pages in the districts' languages (issue 21), and the record's
//! figures as the pages show them.

use crate::harness::{Client, TestApp};
use serde_json::{Value, json};

async fn submit_ok(c: &mut Client, msg: Value) -> Value {
    let ack = c.submit(msg).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_answered_live_and_in_writing_counts_as_both() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut moderator = dialogue.moderator().await;
    let (_, mut panelist) = dialogue.panelist("Pia Polis", "police").await;
    let mut anna = dialogue.participant().await;
    let both = anna.ask("Hur blir det med nattbussen?").await;
    let live = anna.ask("Varför är parken mörk?").await;
    for q in [both, live] {
        assert_eq!(moderator.approve(q).await["type"], "ack");
        submit_ok(
            &mut moderator,
            json!({"type": "mark_answered", "question_id": q, "expected": "approved"}),
        )
        .await;
    }
    submit_ok(
        &mut panelist,
        json!({"type": "write_answer", "question_id": both, "text": "Nattbussen går varje halvtimme från mars."}),
    )
    .await;
    submit_ok(
        &mut moderator,
        json!({"type": "publish_answer", "question_id": both}),
    )
    .await;

    let (status, record) = app
        .endpoint
        .get(&format!("/d/{}/record.json", dialogue.code), None)
        .await;
    assert_eq!(status, 200, "{record}");
    let f = &record["figures"];
    assert_eq!(
        (
            f["answered_live"].as_u64(),
            f["answered_in_writing"].as_u64()
        ),
        (Some(2), Some(1)),
        "both were answered on stage, one also in writing: {f}"
    );
    // The newest word names the question's fate.
    let fate = |id: u64| {
        record["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["id"] == id)
            .map(|q| q["fate"].clone())
    };
    assert_eq!(fate(both), Some(json!("answered_in_writing")));
    assert_eq!(fate(live), Some(json!("answered_live")));
}
