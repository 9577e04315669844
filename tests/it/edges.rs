//! The transport's edges under abuse: a body dripped slowly, a ping before
//! `hello`, a flood that must end in a close frame the client receives, the
//! `nosniff` header everywhere, join codes that cannot be enumerated, and an
//! Origin check that does not trust the `Host` header.

use crate::harness::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_dripped_slowly_is_cut_off_with_408() {
    let app = TestApp::spawn_with(|s| s.limits.request_body_timeout_secs = 1).await;
    let addr = app.endpoint.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let body = br#"{"code":"ABCDEF"}"#;
    tcp.write_all(
        format!(
            "POST /api/join HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Idempotency-Key: k1\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // One byte every 300 ms: each chunk comes well within any per-chunk timeout,
    // the whole body never within the deadline.
    let started = Instant::now();
    let (mut read, mut write) = tcp.into_split();
    let dripper = tokio::spawn(async move {
        for b in body {
            if write.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), read.read_to_end(&mut answer))
        .await
        .expect("the server ends the connection within the deadline")
        .ok();
    let elapsed = started.elapsed();
    dripper.abort();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"bad_request""#), "{answer}");
    assert!(
        elapsed < Duration::from_secs(3),
        "cut off after about a second, not {elapsed:?}"
    );
    // A body that arrives in time is served as before.
    let (status, joined) = app
        .endpoint
        .post("/api/join", "", json!({"code": "ABCDEF"}))
        .await;
    assert_eq!((status, joined["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_before_hello_is_answered_and_the_hello_still_works() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let token = dialogue.participant_token().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(&app.endpoint.ws)
        .await
        .unwrap();
    ws.send(Message::Ping(b"early".to_vec().into()))
        .await
        .unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("an answer")
        .expect("the connection stays open")
        .unwrap();
    assert_eq!(pong, Message::Pong(b"early".to_vec().into()));
    ws.send(Message::Pong(b"unsolicited".to_vec().into()))
        .await
        .unwrap();
    ws.send(Message::text(
        json!({"type": "hello", "v": 1, "token": token}).to_string(),
    ))
    .await
    .unwrap();
    let welcome = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let welcome: Value = serde_json::from_str(welcome.to_text().unwrap()).unwrap();
    assert_eq!(welcome["type"], "welcome", "{welcome}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_ends_in_4429_after_every_ack_that_was_due() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut flooder = dialogue.participant().await;
    // Sent without reading anything: the server closes with most of it unread.
    let mut sent = 0;
    for i in 0..400 {
        let ask = json!({"type": "ask", "client_msg_id": format!("flood-{i}"),
            "text": format!("Fråga nummer {i} om belysningen i parken")});
        if flooder
            .send_raw(Message::text(ask.to_string()))
            .await
            .is_err()
        {
            break;
        }
        sent += 1;
    }
    assert!(sent > 80, "the burst was sent: {sent}");
    assert_eq!(
        flooder.closed_with().await,
        Some(4429),
        "the close frame arrives (no reset)"
    );
    let acked: Vec<Value> = flooder
        .raw
        .iter()
        .map(|r| serde_json::from_str::<Value>(r).unwrap())
        .filter(|v| v["type"] == "ack")
        .collect();
    assert!(!acked.is_empty(), "some questions were taken");
    assert!(flooder.ever_saw("\"rate_limited\""));
    // Every question the server committed was acknowledged to its author.
    let (status, view) = app
        .endpoint
        .get(
            &format!("/api/dialogues/{}", dialogue.id),
            Some(&app.organizer),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    let committed = view["questions"].as_array().unwrap().len();
    assert_eq!(committed, acked.len(), "{view}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_says_nosniff() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut info = json!({"title": "Trygghetsdialog", "purpose": "Trygghet"});
    info["starts_at"] = json!((chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339());
    let (status, body) = app
        .endpoint
        .put(
            &format!("/api/dialogues/{}/info", dialogue.id),
            &app.organizer,
            info,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let code = &dialogue.code;
    let paths = [
        "/".to_string(),
        "/healthz".into(),
        "/moderate".into(),
        format!("/api/public/{code}"),
        "/api/public/NOSUCH".into(),
        format!("/d/{code}"),
        format!("/d/{code}/record.json"),
        format!("/d/{code}/record.csv"),
        format!("/d/{code}/calendar.ics"),
        format!("/qr/{code}"),
        "/r/XXXX-YYYY".into(),
        "/api/overview".into(),
        "/no/such/page".into(),
        "/ws".into(),
    ];
    for path in paths {
        let resp = app
            .endpoint
            .http
            .get(format!("{}{path}", app.endpoint.base))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        assert_eq!(
            resp.headers()
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{path} ({status})"
        );
    }
    let resp = app
        .endpoint
        .http
        .post(format!("{}/api/join", app.endpoint.base))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
}

async fn get_from(from: IpAddr, url: &str) -> u16 {
    let http = reqwest::Client::builder()
        .local_address(from)
        .build()
        .unwrap();
    http.get(url).send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_join_codes_is_rate_limited_per_address() {
    let app = TestApp::spawn_with(|s| s.limits.code_misses_per_ip_per_minute = 5).await;
    let dialogue = app.live_dialogue().await;
    let base = &app.endpoint.base;
    let guesser = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
    let neighbour = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    // Misses over every door that takes a code count together.
    let guesses = [
        format!("{base}/api/public/AAAAAA"),
        format!("{base}/d/BBBBBB"),
        format!("{base}/d/CCCCCC/record.json"),
        format!("{base}/d/DDDDDD/record.csv"),
        format!("{base}/d/EEEEEE/calendar.ics"),
    ];
    for url in &guesses {
        assert_eq!(get_from(guesser, url).await, 404, "{url}");
    }
    // Now even the right code is refused from that address, on every door.
    let code = &dialogue.code;
    for path in [
        format!("/api/public/{code}"),
        format!("/d/{code}"),
        format!("/d/{code}/record.json"),
        "/api/public/FFFFFF".into(),
    ] {
        assert_eq!(
            get_from(guesser, &format!("{base}{path}")).await,
            429,
            "{path}"
        );
    }
    let (status, refused) = app
        .endpoint
        .post("/api/join", "", json!({"code": code}))
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (429, Some("rate_limited"))
    );
    // Another address is not affected.
    assert_eq!(get_from(neighbour, &format!("{base}/d/{code}")).await, 200);
    assert_eq!(
        get_from(neighbour, &format!("{base}/api/public/{code}")).await,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_origin_check_does_not_trust_the_host_header() {
    let app = TestApp::spawn().await;
    let refused = |origin: &'static str, host: Option<&'static str>| {
        let mut req = app.endpoint.ws.as_str().into_client_request().unwrap();
        req.headers_mut().insert("Origin", origin.parse().unwrap());
        if let Some(host) = host {
            req.headers_mut().insert("Host", host.parse().unwrap());
        }
        async move {
            match tokio_tungstenite::connect_async(req).await {
                Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                    resp.status().as_u16() == 403
                }
                _ => false,
            }
        }
    };
    // A page on evil.example whose name resolves to this server (DNS rebinding)
    // sends Host: evil.example and Origin: http://evil.example.
    assert!(refused("http://evil.example", Some("evil.example")).await);
    assert!(refused("https://evil.example", Some("evil.example")).await);
    assert!(refused("http://evil.example", None).await);
    // The public URL's origin is fine.
    let mut req = app.endpoint.ws.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("Origin", app.endpoint.base.parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("the public origin connects");
    drop(ws);
}
