//! Bad input gets its documented error or close code; the server stays up and
//! the dialogue's state and `seq` do not change.

use crate::harness::{Client, TestApp};
use dialoghub::auth::Tokens;
use dialoghub::domain::Role;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn staff_view(app: &TestApp, id: uuid::Uuid) -> Value {
    let (status, view) = app
        .endpoint
        .get(&format!("/api/dialogues/{id}"), Some(&app.organizer))
        .await;
    assert_eq!(status, 200);
    view
}

#[tokio::test]
async fn bad_messages_get_typed_errors_and_change_nothing() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut anna = dialogue.participant().await;
    let q = anna.ask("En riktig fråga").await;
    let before = staff_view(&app, dialogue.id).await;

    let cases: Vec<(&str, String, &str)> = vec![
        ("malformed JSON", "{\"type\": \"ask\", ".into(), "malformed"),
        ("not an object", "[1,2,3]".into(), "malformed"),
        (
            "unknown type",
            r#"{"type":"shout","client_msg_id":"x"}"#.into(),
            "unknown_type",
        ),
        (
            "missing field",
            r#"{"type":"vote","client_msg_id":"x","question_id":1}"#.into(),
            "bad_request",
        ),
        (
            "empty text",
            r#"{"type":"ask","client_msg_id":"x","text":"   "}"#.into(),
            "bad_request",
        ),
        (
            "text too long",
            json!({"type":"ask","client_msg_id":"x","text":"å".repeat(501)}).to_string(),
            "bad_request",
        ),
        (
            "wrong role",
            json!({"type":"approve","client_msg_id":"x","question_id":q,"expected":"pending"})
                .to_string(),
            "forbidden",
        ),
        (
            "no such question",
            json!({"type":"vote","client_msg_id":"y","question_id":999,"on":true}).to_string(),
            "not_found",
        ),
        (
            "second hello",
            json!({"type":"hello","v":1,"token":"t"}).to_string(),
            "bad_request",
        ),
    ];
    for (why, text, code) in cases {
        anna.send_raw(Message::text(text)).await.unwrap();
        let err = anna.wait_for(why, |v| v["type"] == "error").await;
        assert_eq!(err["code"], code, "{why}: {err}");
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{why}"
        );
    }
    anna.send_raw(Message::binary(vec![1u8, 2, 3]))
        .await
        .unwrap();
    assert_eq!(
        anna.wait_for("binary", |v| v["type"] == "error").await["code"],
        "malformed"
    );

    // Still connected and served.
    anna.send(json!({"type": "ping"})).await;
    anna.wait_for("pong", |v| v["type"] == "pong").await;
    assert_eq!(
        staff_view(&app, dialogue.id).await,
        before,
        "state and seq unchanged"
    );
}

#[tokio::test]
async fn an_oversize_frame_closes_with_1009_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut anna = dialogue.participant().await;
    let before = staff_view(&app, dialogue.id).await;
    let huge = json!({"type": "ask", "client_msg_id": "big", "text": "a".repeat(20_000)});
    let _ = anna.send_raw(Message::text(huge.to_string())).await;
    assert_eq!(anna.closed_with().await, Some(1009));
    assert_eq!(staff_view(&app, dialogue.id).await, before);
    // Others are still served.
    let mut bo = dialogue.participant().await;
    bo.ask("Fortfarande uppe?").await;
}

#[tokio::test]
async fn missing_expired_forged_and_foreign_tokens_close_with_4401() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let other = app.live_dialogue().await;
    let forger = Tokens::new(
        b"not-the-secret-not-the-secret-not-the-secret",
        "dialoghub",
        "dialoghub",
    );
    let expired = app.endpoint.tokens.issue(
        Role::Participant,
        uuid::Uuid::new_v4(),
        Some(dialogue.id),
        chrono::Duration::hours(-1),
    );
    let forged = forger.issue(
        Role::Organizer,
        uuid::Uuid::new_v4(),
        None,
        chrono::Duration::hours(1),
    );
    let foreign = app.endpoint.tokens.issue(
        Role::Moderator,
        uuid::Uuid::new_v4(),
        Some(other.id),
        chrono::Duration::hours(1),
    );
    let cases = [
        ("missing", json!({"type": "hello", "v": 1, "token": ""})),
        (
            "expired",
            json!({"type": "hello", "v": 1, "token": expired}),
        ),
        (
            "forged",
            json!({"type": "hello", "v": 1, "token": forged, "dialogue_id": dialogue.id}),
        ),
        (
            "another dialogue's",
            json!({"type": "hello", "v": 1, "token": foreign, "dialogue_id": dialogue.id}),
        ),
        (
            "garbage",
            json!({"type": "hello", "v": 1, "token": "abc.def.ghi"}),
        ),
    ];
    for (why, hello) in cases {
        let mut c = Client::connect_with_hello(&dialogue.endpoint.ws, hello).await;
        let code = c.closed_with().await;
        assert_eq!(code, Some(4401), "{why}");
        assert!(
            c.ever_saw("\"unauthorized\""),
            "{why}: an error frame says why"
        );
    }
    let mut c = Client::connect_with_hello(
        &dialogue.endpoint.ws,
        json!({"type": "ask", "client_msg_id": "x", "text": "hej"}),
    )
    .await;
    assert_eq!(
        c.closed_with().await,
        Some(4400),
        "the first message must be hello"
    );
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_hello_timeout() {
    let app = TestApp::spawn_with(|s| s.limits.hello_timeout_secs = 1).await;
    let (ws, _) = tokio_tungstenite::connect_async(&app.endpoint.ws)
        .await
        .unwrap();
    let mut ws = ws;
    use futures_util::StreamExt;
    let msg = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    match msg {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 4408),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn a_foreign_origin_is_refused_at_the_handshake() {
    let app = TestApp::spawn().await;
    let mut req = app.endpoint.ws.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("Origin", "https://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => {
            assert_eq!(resp.status().as_u16(), 403);
            let body: Value = serde_json::from_slice(resp.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["code"], "forbidden");
        }
        other => panic!("expected an HTTP refusal, got {other}"),
    }
    // The server's own origin is fine.
    let mut req = app.endpoint.ws.as_str().into_client_request().unwrap();
    let own = app.endpoint.base.clone();
    req.headers_mut().insert("Origin", own.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_ok());
}

#[tokio::test]
async fn a_flood_is_rate_limited_then_closed_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut flooder = dialogue.participant().await;
    let mut bystander = dialogue.participant().await;
    let before = staff_view(&app, dialogue.id).await;
    // Pings change no state, so only the limiter's answers are measured.
    for _ in 0..200 {
        if flooder
            .send_raw(Message::text(r#"{"type":"ping"}"#))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(flooder.closed_with().await, Some(4429));
    assert!(
        flooder.ever_saw("\"rate_limited\""),
        "told to slow down before being closed"
    );
    assert_eq!(staff_view(&app, dialogue.id).await, before);
    bystander.ask("Jag märkte inget").await;
}

#[tokio::test]
async fn http_errors_are_typed_json() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let e = &app.endpoint;
    let participant = dialogue.participant_token().await;
    let url = |p: &str| format!("{}{p}", e.base);

    let no_key = e
        .http
        .post(url("/api/dialogues"))
        .header("cookie", cookie_of(&app.organizer))
        .header("x-csrf-token", csrf_of(&app.organizer))
        .header("origin", &e.base)
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status().as_u16(), 400);
    assert_eq!(no_key.json::<Value>().await.unwrap()["code"], "bad_request");

    let bad_json = e
        .http
        .post(url("/api/dialogues"))
        .header("cookie", cookie_of(&app.organizer))
        .header("x-csrf-token", csrf_of(&app.organizer))
        .header("origin", &e.base)
        .header("Idempotency-Key", "k")
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status().as_u16(), 400);
    assert_eq!(bad_json.json::<Value>().await.unwrap()["code"], "malformed");

    let (status, body) = e
        .post("/api/dialogues", &participant, json!({"title": "x"}))
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    let (status, body) = e
        .post("/api/dialogues", "forged", json!({"title": "x"}))
        .await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    let (status, body) = e
        .post(
            &format!("/api/dialogues/{}/phase", dialogue.id),
            &app.organizer,
            json!({"phase": "draft", "expected": "live"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")));
    let (status, body) = e.post("/api/join", "", json!({"code": "NOSUCH"})).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, _) = e.get("/healthz", None).await;
    assert_eq!(status, 200);
    let (status, _) = e.get("/readyz", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_organizer_create_retried_with_the_same_key_gives_the_same_dialogue() {
    let app = TestApp::spawn().await;
    let body = json!({"title": "Trygghetsdialog"});
    let (s1, first) = app
        .endpoint
        .post_keyed("/api/dialogues", &app.organizer, "same", body.clone())
        .await;
    let (s2, again) = app
        .endpoint
        .post_keyed("/api/dialogues", &app.organizer, "same", body)
        .await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(first["id"], again["id"]);
    let (_, list) = app
        .endpoint
        .get("/api/dialogues", Some(&app.organizer))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn one_idempotency_key_on_two_invite_endpoints_makes_two_people() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let e = &app.endpoint;
    let (s1, panelist) = e
        .post_keyed(
            &format!("/api/dialogues/{}/panelists", dialogue.id),
            &app.organizer,
            "same-key",
            json!({"name": "Per", "kind": "police"}),
        )
        .await;
    let (s2, moderator) = e
        .post_keyed(
            &format!("/api/dialogues/{}/moderators", dialogue.id),
            &app.organizer,
            "same-key",
            json!({"name": "Mia"}),
        )
        .await;
    assert_eq!((s1, s2), (201, 201));
    assert_ne!(panelist["id"], moderator["id"]);
    let (_, view) = e
        .get(
            &format!("/api/dialogues/{}", dialogue.id),
            Some(&app.organizer),
        )
        .await;
    assert_eq!(view["dialogue"]["panel"].as_array().unwrap().len(), 1);
    assert_eq!(view["dialogue"]["moderators"].as_array().unwrap().len(), 1);
    // The moderator's token really is a moderator's.
    let credential = e.accept(&moderator, dialogue.id).await;
    let m = Client::connect(&e.ws, &credential, None).await;
    assert_eq!(m.welcome["role"], "moderator");
}

/// The cookie header of a harness session credential (`session <cookie> <csrf>`).
fn cookie_of(credential: &str) -> String {
    format!(
        "dialoghub_session={}",
        credential.split(' ').nth(1).unwrap()
    )
}

fn csrf_of(credential: &str) -> String {
    credential.split(' ').nth(2).unwrap().to_string()
}
