//! Private text never reaches a log, at any level: a whole meeting run with
//! `RUST_LOG=trace` (and the WebSocket and HTTP libraries asked for trace by
//! name), then every planted text, name, token and personnummer searched for.

use crate::harness::{Client, Endpoint};
use crate::privacy::{read_logs, start_logged};
use dialoghub::auth::Tokens;
use serde_json::json;

const SECRET: &str = "privacy-secret-privacy-secret-privacy-secret-0123";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_at_trace_level_logs_no_text_name_token_or_personnummer() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) =
        start_logged(dir.path(), "trace,tungstenite=trace,axum=trace,sqlx=trace").await;
    let endpoint = Endpoint::new(
        port,
        Tokens::new(SECRET.as_bytes(), "dialoghub", "dialoghub"),
    );
    let store = dialoghub::store::open(&format!("sqlite://{}", dir.path().join("d.db").display()))
        .await
        .unwrap();
    let organizer = endpoint.organizer(store.as_ref()).await;
    let dialogue = endpoint.live_dialogue(&organizer).await;
    let (_, mut panel) = dialogue
        .panelist("Kommissarie Ulrika Vinterhav", "police")
        .await;
    let mut moderator = dialogue.moderator().await;
    let mut anna = dialogue.participant().await;
    let mut bo = dialogue.participant().await;
    let anna_token = dialogue.participant_token().await;

    // Questions with personal data, a chosen name, an approval, votes, an answer.
    let asked = anna
        .submit(json!({"type": "ask", "text": "Min granne Quintus Ekorrsson 850709-9805 bråkar vid Tallstigen 4",
            "display_name": "Gudrun Hemligsdotter"}))
        .await;
    let q = asked["question_id"].as_u64().unwrap();
    let kept = bo
        .submit(json!({"type": "ask", "text": "Varför släcks Järnvägsparkens lampor klockan tjugotvå?"}))
        .await;
    let kept = kept["question_id"].as_u64().unwrap();
    assert_eq!(moderator.approve(kept).await["type"], "ack");
    assert_eq!(anna.vote(kept, true).await["type"], "ack");
    let written = panel
        .submit(json!({"type": "write_answer", "question_id": kept, "text": "Belysningsavtalet Fjärilsljus förnyas"}))
        .await;
    assert_eq!(written["type"], "ack", "{written}");
    moderator
        .submit(json!({"type": "reject", "question_id": q, "expected": "pending", "reason": "personal_data"}))
        .await;
    let tip = bo
        .submit(
            json!({"type": "send_tip", "text": "Leverantören Ottilia Smygare säljer vid skolan"}),
        )
        .await;
    assert_eq!(tip["type"], "ack", "{tip}");
    // A close frame whose reason the client chose.
    let mut closer = Client::connect(&endpoint.ws, &anna_token, None).await;
    let _ = closer
        .send_raw(tokio_tungstenite::tungstenite::Message::Close(Some(
            tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: 1000.into(),
                reason: "Hälsningar från Petronella Stängsel".into(),
            },
        )))
        .await;
    // Bodies the server refuses, quoting what they said.
    let resp = endpoint
        .http
        .post(format!("{}/api/join", endpoint.base))
        .header("content-type", "application/json")
        .body(r#"{"code": "ABCDEF", "location": "Hos Leopold Fönsterbräde 850709-9805"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let (status, _) = endpoint
        .post(
            &format!("/api/dialogues/{}/moderators", dialogue.id),
            &organizer,
            json!({"name": "Moderatorn Sigvard Nattuggla"}),
        )
        .await;
    assert_eq!(status, 201);

    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let _ = tokio::time::timeout(crate::harness::WAIT, child.wait())
        .await
        .expect("the server exits");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = read_logs(dir.path());
    assert!(log.contains("shutting down"), "the log was captured: {log}");

    let mut secrets: Vec<String> = [
        "Quintus",
        "Ekorrsson",
        "850709",
        "Tallstigen",
        "Gudrun",
        "Hemligsdotter",
        "Järnvägsparkens",
        "Fjärilsljus",
        "Ottilia",
        "Smygare",
        "Petronella",
        "Leopold",
        "Fönsterbräde",
        "Ulrika Vinterhav",
        "Sigvard",
        SECRET,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    secrets.extend([organizer.clone(), anna_token.clone()]);
    for token in [&organizer, &anna_token] {
        // Each part of a token alone identifies it: the signature above all.
        secrets.extend(token.split('.').skip(1).map(str::to_string));
    }
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log contains {secret:?}"
        );
    }
    let pnr = regex::Regex::new(r"\b\d{6}[-+]?\d{4}\b").unwrap();
    assert!(
        !pnr.is_match(&log),
        "a personnummer-shaped string is in the log"
    );
}
