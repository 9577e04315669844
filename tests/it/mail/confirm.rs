//! Double opt-in: an address left for notes gets exactly one message, a
//! confirmation, and no note until its link is used (by `POST`: opening the
//! link only shows a button, as mail scanners open links); then the notes due
//! by then arrive, each once. A forged or used link finds nothing, and an
//! address never confirmed is gone from every file after the retention run.

use super::{Smtp, TestApp, ask, leave_address, link_path, mail_settings, ok, post_status};
use dialoghub::retention::expire_unconfirmed_addresses;
use serde_json::json;

const HOUR: i64 = 60 * 60 * 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_note_reaches_an_address_before_its_confirmation_link_is_used() {
    let smtp_dir = tempfile::tempdir().unwrap();
    let test = "mail::confirm::no_note_reaches_an_address_before_its_confirmation_link_is_used";
    let Some(smtp) = Smtp::start(smtp_dir.path(), test).await else {
        return;
    };
    let port = smtp.port;
    let app = TestApp::spawn_with(|s| mail_settings(s, port)).await;
    let d = app.live_dialogue().await;
    let mut moderator = d.moderator().await;
    let mut anna = d.participant().await;
    let (receipt, q) = ask(&mut anna, "Varför är Ängsparken mörk på kvällarna?").await;
    let address = "cecilia.bekrafta@example.org";
    leave_address(&d, &receipt, address).await;
    // The same address again (a second press of the button) sends nothing more.
    leave_address(&d, &receipt, address).await;

    // Exactly one confirmation: Swedish first, with the confirm link, the
    // receipt and an unsubscribe link.
    let confirmation = smtp.expect_received(address, 1, true).await.remove(0);
    let confirm = link_path(&confirmation, "/c/");
    // The first link is the Swedish one, without `?lang=en`.
    let sv = confirmation.find(&confirm).expect("the link");
    let en = confirmation
        .find(&format!("{confirm}?lang=en"))
        .expect("in English too");
    assert!(sv < en, "{confirmation}");
    assert!(
        confirmation.contains(&format!("/r/{receipt}")),
        "{confirmation}"
    );
    link_path(&confirmation, "/u/");

    // Its fate is final before the address is confirmed: no note yet.
    ok(
        &mut moderator,
        json!({"type": "approve", "question_id": q, "expected": "pending"}),
    )
    .await;
    ok(
        &mut moderator,
        json!({"type": "mark_answered", "question_id": q, "expected": "approved"}),
    )
    .await;
    // Opening the link (as a mail scanner does) shows a button and confirms nothing.
    let (status, _, page) = d.endpoint.get_text(&confirm, None).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("method=\"post\""), "{page}");
    smtp.expect(address, 0).await;

    // A forged token finds nothing; the real one confirms, once.
    let forged = format!("/c/{}", "ab".repeat(32));
    assert_eq!(post_status(&d, &forged).await, 404);
    assert_eq!(post_status(&d, &confirm).await, 200);
    assert_eq!(post_status(&d, &confirm).await, 404, "single use");

    // The fate, final before the confirmation, arrives after it, once.
    let notes = smtp.expect(address, 1).await;
    assert!(notes[0].contains("Besvarad p"), "{}", notes[0]);
    assert_eq!(smtp.expect_received(address, 1, true).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_address_is_gone_from_every_file_after_the_retention_run() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    // Mail is on, towards a port nobody listens on: the confirmation waits.
    let (app, _) = crate::erasure_on_disk::app_on_files(&data, |s| mail_settings(s, 9)).await;
    let d = app.live_dialogue().await;
    let mut anna = d.participant().await;
    let (receipt, _) = ask(&mut anna, "Varför är Ängsparken mörk på kvällarna?").await;
    let address = "okand.mottagare@example.org";
    let left = chrono::Utc::now().timestamp_millis();
    leave_address(&d, &receipt, address).await;
    let needle = [address.to_string()];
    assert!(
        !crate::erasure_on_disk::files_holding(&data, &needle).is_empty(),
        "the address is on disk (the search is not blind)"
    );

    let hours = dialoghub::Settings::defaults().mail.confirm_within_hours;
    assert_eq!(hours, 48);
    let not_yet = expire_unconfirmed_addresses(&app.store, hours, left + 47 * HOUR).await;
    assert_eq!(not_yet.unwrap(), 0);
    assert_eq!(app.store.mail_subscription_count().await.unwrap(), 1);
    let run = expire_unconfirmed_addresses(&app.store, hours, left + 49 * HOUR).await;
    assert_eq!(run.unwrap(), 1);
    assert_eq!(app.store.mail_subscription_count().await.unwrap(), 0);
    let left = crate::erasure_on_disk::files_holding(&data, &needle);
    assert!(left.is_empty(), "the address is still on disk: {left:?}");
}
