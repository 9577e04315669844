//! Issue 21's server parts: what the pages need on the day of a meeting.

use crate::harness::TestApp;
use dialoghub::domain::text::normalize;
use dialoghub::domain::{DangerPhrases, sensitive};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_favicon_is_served() {
    let app = TestApp::spawn().await;
    let (status, mime, body) = app.endpoint.get_text("/favicon.ico", None).await;
    assert_eq!(status, 200);
    assert_eq!(mime, "image/svg+xml");
    assert!(body.starts_with("<svg"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_gets_the_danger_phrases_to_advise_the_writer() {
    let app = TestApp::spawn().await;
    let (status, safety) = app.endpoint.get("/api/safety", None).await;
    assert_eq!(status, 200, "{safety}");
    assert_eq!(safety["emergency_number"], "112");
    let phrases: Vec<String> = serde_json::from_value(safety["danger_phrases"].clone()).unwrap();
    // The page matches as the server does: this text raises the staff alert too.
    let text = "Han har en kniv … nu!";
    assert!(DangerPhrases::new(&phrases).matches(&normalize(text)));
    assert!(phrases.iter().any(|p| p == "han har en kniv"));
}

#[test]
fn masking_a_named_person_and_a_disguised_address() {
    let text = normalize("Kalle Svensson hotar folk, mejla mig på namn [at] domän punkt se");
    let flags = sensitive::scan(&text);
    let kinds: Vec<&str> = flags.iter().map(|f| f.kind.code()).collect();
    assert_eq!(kinds, ["person_name", "email"]);
    assert_eq!(
        sensitive::redact(&text, &flags),
        "[…] hotar folk, mejla mig på […]"
    );
}
