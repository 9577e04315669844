//! Staff sessions: a single-use link signs in, the cookie is HttpOnly and
//! SameSite=Strict, every change needs our origin and the CSRF token, the
//! WebSocket opens with a single-use ticket, and signing out closes the socket
//! and ends every credential of the session at once.

use crate::harness::{Client, TestApp, grant};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_link_signs_in_once_and_the_cookie_is_strict() {
    let app = TestApp::spawn().await;
    let (_, link) = dialoghub::identity::admin::staff_link(
        app.store.as_ref(),
        &app.endpoint.base,
        "test:anna",
        "Anna",
        &[grant("*", "admin")],
        15,
    )
    .await
    .unwrap();
    // Opening the link (a mail scanner does) does not use it up.
    let (status, _, page) = app
        .endpoint
        .get_text(link.trim_start_matches(&app.endpoint.base), None)
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("<form method=\"post\""), "{page}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.post(&link).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    // The server is reached over http://127.0.0.1 here: the one place Secure is off.
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert_eq!(resp.headers()["location"], "/organize");
    // Used: the second press finds nothing.
    assert_eq!(app.endpoint.use_link(&link).await.unwrap_err(), 404);
    let (status, body) = app.endpoint.get("/api/session", None).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
}

#[tokio::test]
async fn a_change_needs_our_origin_and_the_csrf_token() {
    let app = TestApp::spawn().await;
    let anna = app
        .endpoint
        .sign_in(app.store.as_ref(), "Anna", &[grant("*", "admin")])
        .await;
    let dialogue = app.live_dialogue().await;
    let url = format!("{}/api/ws-ticket", app.endpoint.base);
    let body = json!({"dialogue_id": dialogue.id});
    let cookie = format!("dialoghub_session={}", anna.cookie);
    let cases = [
        ("no token", None, Some(app.endpoint.base.clone())),
        (
            "wrong token",
            Some("0".repeat(64)),
            Some(app.endpoint.base.clone()),
        ),
        (
            "foreign origin",
            Some(anna.csrf.clone()),
            Some("https://evil.example".into()),
        ),
        ("no origin", Some(anna.csrf.clone()), None),
    ];
    for (case, token, origin) in cases {
        let mut req = app
            .endpoint
            .http
            .post(&url)
            .header("cookie", &cookie)
            .json(&body);
        if let Some(t) = token {
            req = req.header("x-csrf-token", t);
        }
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 403, "{case}");
    }
    assert!(app.endpoint.ticket(&anna, dialogue.id).await.is_ok());
}

#[tokio::test]
async fn a_ticket_opens_one_socket_once() {
    let app = TestApp::spawn().await;
    let anna = app
        .endpoint
        .sign_in(app.store.as_ref(), "Anna", &[grant("*", "admin")])
        .await;
    let dialogue = app.live_dialogue().await;
    let ticket = app.endpoint.ticket(&anna, dialogue.id).await.unwrap();
    let socket = Client::try_connect_ticket(&app.endpoint.ws, &ticket).await;
    let socket = socket.expect("the ticket opens the socket");
    assert_eq!(socket.welcome["role"], "organizer", "{}", socket.welcome);
    let again = Client::try_connect_ticket(&app.endpoint.ws, &ticket).await;
    assert!(again.is_err(), "a used ticket opened a socket");
    // A ticket is for the session's holder only: nobody else can ask for one.
    let (status, _) = app
        .endpoint
        .post("/api/ws-ticket", "", json!({"dialogue_id": dialogue.id}))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn signing_out_closes_the_socket_and_ends_the_session() {
    let app = TestApp::spawn().await;
    let anna = app
        .endpoint
        .sign_in(app.store.as_ref(), "Anna", &[grant("*", "admin")])
        .await;
    let dialogue = app.live_dialogue().await;
    let mut socket = app.endpoint.staff_socket(&anna, dialogue.id).await;
    let spare = app.endpoint.ticket(&anna, dialogue.id).await.unwrap();
    let started = Instant::now();
    let (status, _) = app
        .endpoint
        .staff_post("/api/session/sign-out", &anna, json!({}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(socket.closed_with().await, Some(4410));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "closed after {took:?}");
    crate::harness::report(&format!("sign-out closed the socket in {took:?}"));
    let (status, _) = app.endpoint.staff_get("/api/session", &anna).await;
    assert_eq!(status, 401);
    assert!(app.endpoint.ticket(&anna, dialogue.id).await.is_err());
    assert!(
        Client::try_connect_ticket(&app.endpoint.ws, &spare)
            .await
            .is_err()
    );
}

/// The same on the shared store: links, sessions and tickets are rows every node
/// reads, consumed by one statement.
#[tokio::test]
async fn sessions_links_and_tickets_work_on_postgres() {
    let Some(db) = crate::harness::TestDb::create("sessions_work_on_postgres").await else {
        return;
    };
    let url = db.url.clone();
    let app = TestApp::spawn_with(move |s| s.store.url = url).await;
    let anna = app
        .endpoint
        .sign_in(
            app.store.as_ref(),
            "Anna",
            &[grant("rinkeby-kista", "organizer")],
        )
        .await;
    let (status, session) = app.endpoint.staff_get("/api/session", &anna).await;
    assert_eq!(status, 200);
    assert_eq!(session["staff"]["grants"][0]["district"], "rinkeby-kista");
    let dialogue = app.live_dialogue().await;
    // The dialogue is in the default district: this organizer has no part in it.
    assert_eq!(
        app.endpoint.ticket(&anna, dialogue.id).await.unwrap_err().0,
        403
    );
    let admin = app
        .endpoint
        .sign_in(app.store.as_ref(), "Bo", &[grant("*", "admin")])
        .await;
    let mut socket = app.endpoint.staff_socket(&admin, dialogue.id).await;
    let (status, _) = app
        .endpoint
        .staff_post("/api/session/sign-out", &admin, json!({}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(socket.closed_with().await, Some(4410));
}
