//! A walk's observations: each change of status of an action one led to is
//! one note; one approved and still without an answer when the walk closes
//! is noted in the walk's report, and its note and receipt say so in Swedish
//! and English, not that it was "not reached".

use super::{Client, Dialogue, Duration, Smtp, TestApp, json, mail_settings, ok, subscribe};

/// Makes the live dialogue `d` a walk: the organizer plans its route over the socket.
async fn plan_walk(app: &TestApp, d: &Dialogue) {
    let mut organizer = crate::walks::organizer_socket(app, d.id).await;
    let mut plan = crate::walks::plan([None, None], "", "");
    plan["type"] = json!("plan_walk");
    ok(&mut organizer, plan).await;
}

/// Observes at a stop of the walk; the receipt and the question id.
async fn observe(c: &mut Client, text: &str, stop: u32) -> (String, u64) {
    let ack = ok(
        c,
        json!({"type": "observe", "text": text, "stop": stop,
               "category": "lighting", "felt_safety": 2}),
    )
    .await;
    (
        ack["receipt"].as_str().unwrap().to_string(),
        ack["question_id"].as_u64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observation_without_an_action_is_noted_in_the_walk_report_when_the_walk_closes() {
    let smtp_dir = tempfile::tempdir().unwrap();
    let test = "mail::walk::an_observation_without_an_action_is_noted_in_the_walk_report_when_the_walk_closes";
    let Some(smtp) = Smtp::start(smtp_dir.path(), test).await else {
        return;
    };
    let port = smtp.port;
    let app = TestApp::spawn_with(|s| mail_settings(s, port)).await;
    let d = app.live_dialogue().await;
    plan_walk(&app, &d).await;
    let mut moderator = d.moderator().await;
    let mut walker = d.participant().await;
    let (acted_on, q1) = observe(&mut walker, "Lampan i tunneln är trasig", 1).await;
    let (noted, q2) = observe(&mut walker, "Buskarna vid lekparken skymmer stigen", 2).await;
    let address = "nora.rapport@example.org";
    subscribe(&d, &smtp, &noted, address).await;
    for q in [q1, q2] {
        ok(
            &mut moderator,
            json!({"type": "approve", "question_id": q, "expected": "pending"}),
        )
        .await;
    }
    ok(
        &mut moderator,
        json!({"type": "create_action", "title": "Byt belysning i tunneln",
        "observation_ids": [q1], "responsible": "Trafikkontoret", "due": "2030-03-31"}),
    )
    .await;
    let (status, body) = d
        .endpoint
        .post(
            &format!("/api/dialogues/{}/phase", d.id),
            &d.organizer,
            json!({"phase": "closed", "expected": "live"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // One note: the observation is in the report; it was not "not reached".
    let note = smtp.expect(address, 1).await.remove(0).replace("=\r\n", "");
    assert!(note.contains("Antecknad i vandringens rapport"), "{note}");
    assert!(note.contains("Noted in the walk's report"), "{note}");
    assert!(!note.contains("Hanns inte med") && !note.contains("Not reached"));

    // The receipts say the same, with an action or without.
    for receipt in [&noted, &acted_on] {
        let (status, r) = d
            .endpoint
            .get(&format!("/api/receipts/{receipt}"), None)
            .await;
        assert_eq!((status, r["fate"].as_str()), (200, Some("noted")), "{r}");
    }
    for (lang, said, not_said) in [
        ("sv", "Antecknad i vandringens rapport", "Hanns inte med"),
        ("en", "Noted in the walk's report", "Not reached"),
    ] {
        let (status, _, page) = d
            .endpoint
            .get_text(&format!("/r/{noted}?lang={lang}"), None)
            .await;
        assert_eq!(status, 200);
        assert!(page.contains(said), "{lang}: {page}");
        assert!(!page.contains(not_said), "{lang}: {page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_change_of_an_action_an_observation_led_to_is_one_note() {
    let smtp_dir = tempfile::tempdir().unwrap();
    let test = "mail::walk::each_change_of_an_action_an_observation_led_to_is_one_note";
    let Some(mut smtp) = Smtp::start(smtp_dir.path(), test).await else {
        return;
    };
    let port = smtp.port;
    let app = TestApp::spawn_with(|s| mail_settings(s, port)).await;
    let d = app.live_dialogue().await;
    plan_walk(&app, &d).await;
    let mut moderator = d.moderator().await;
    let mut walker = d.participant().await;
    let (receipt, q) = observe(&mut walker, "Lampan i tunneln är trasig", 1).await;
    let address = "walter.tunnel@example.org";
    subscribe(&d, &smtp, &receipt, address).await;
    ok(
        &mut moderator,
        json!({"type": "approve", "question_id": q, "expected": "pending"}),
    )
    .await;
    ok(
        &mut moderator,
        json!({"type": "create_action", "title": "Byt belysning i tunneln",
        "observation_ids": [q], "responsible": "Trafikkontoret", "due": "2030-03-31"}),
    )
    .await;
    // Approved and made an action: a change of nothing yet, so no note.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(smtp.to(address).is_empty(), "{:?}", smtp.to(address));

    let status = |to: &str, from: &str, note: &str| {
        json!({"type": "set_action_status",
        "action_id": 1, "status": to, "expected": from, "note": note})
    };
    ok(&mut moderator, status("planned", "reported", "Beställt")).await;
    let notes = smtp.expect(address, 1).await;
    assert!(notes[0].contains(&format!("/r/{receipt}")), "{}", notes[0]);
    assert!(notes[0].contains("Planerad"), "Swedish first: {}", notes[0]);
    assert_eq!(app.store.mail_subscription_count().await.unwrap(), 1);

    // The SMTP server is down while the action is done: the note waits and
    // arrives once, after the server is back; it is the last.
    smtp.down().await;
    ok(&mut moderator, status("done", "planned", "Nya armaturer")).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.to(address).len(), 1);
    smtp.up().await;
    let notes = smtp.expect(address, 2).await;
    // Quoted-printable: soft line breaks joined again.
    let last = notes[1].replace("=\r\n", "");
    assert!(last.contains("ny status: Klar."), "{last}");
    assert!(last.contains("has a new status: Done."), "{last}");
    assert_eq!(
        app.store.mail_subscription_count().await.unwrap(),
        0,
        "the address goes with the last note"
    );
}
