//! Issue 21's server parts: what the pages need on the day of a meeting.

use crate::harness::{Client, TestApp};
use dialoghub::domain::text::normalize;
use dialoghub::domain::{DangerPhrases, sensitive};
use serde_json::{Value, json};

fn present(v: &Value) -> u64 {
    v["present"]["in_room"].as_u64().unwrap_or(0) + v["present"]["remote"].as_u64().unwrap_or(0)
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_is_taken_back_in_the_log_and_the_banned_are_no_longer_counted_present() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut moderator = dialogue.moderator().await;
    let mut screen = dialogue.screen().await;
    let mut anna = dialogue.participant().await;
    let token = dialogue.participant_token().await;
    let mut bo = Client::connect(&dialogue.endpoint.ws, &token, None).await;
    let bo_id = bo.you();
    screen.live_until("two present", |v| present(v) == 2).await;

    let ack = moderator
        .submit(json!({"type": "ban", "participant_id": bo_id}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(bo.closed_with().await, Some(4403));
    // The room no longer counts the banned participant.
    screen
        .live_until("one present after the ban", |v| present(v) == 1)
        .await;

    // Only a ban can be taken back.
    let refused = moderator
        .submit(json!({"type": "unban", "participant_id": anna.you()}))
        .await;
    assert_eq!(refused["code"], "conflict", "{refused}");
    // A participant may not take a ban back.
    let refused = anna
        .submit(json!({"type": "unban", "participant_id": bo_id}))
        .await;
    assert_eq!(refused["code"], "forbidden", "{refused}");

    let ack = moderator
        .submit(json!({"type": "unban", "participant_id": bo_id}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let event = moderator.event("participant_unbanned").await;
    assert_eq!(event["event"]["participant_id"], bo_id.as_str());
    // The public learn nothing but that the log moved on.
    let seen = screen
        .wait_for("the unban's place", |v| {
            v["type"] == "event" && v["seq"] == ack["seq"]
        })
        .await;
    assert_eq!(seen["event"]["kind"], "internal", "{seen}");
    let staff = dialogue.staff_view().await;
    assert_eq!(staff["banned"], json!([]), "{staff}");

    // Back with the same identity: welcome, counted, and heard again.
    let mut again = Client::connect(&dialogue.endpoint.ws, &token, None).await;
    assert_eq!(again.you(), bo_id);
    again.ask("Får jag fråga igen om belysningen?").await;
    screen
        .live_until("two present again", |v| present(v) == 2)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receipt_page_keeps_its_code_when_the_language_changes() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut anna = dialogue.participant().await;
    let ack = anna
        .submit(json!({"type": "ask", "text": "Varför är det så mörkt i tunneln?"}))
        .await;
    let receipt = ack["receipt"].as_str().expect("a receipt").to_string();
    // The lookup form answers at /r?code=…: each language link keeps the code.
    let (status, _, page) = app
        .endpoint
        .get_text(&format!("/r?code={receipt}"), None)
        .await;
    assert_eq!(status, 200, "{page}");
    let english = format!("href=\"?lang=en&amp;code={receipt}\"");
    assert!(page.contains(&english), "no {english} in {page}");
    // Followed, the link shows the same receipt in English.
    let (status, _, page) = app
        .endpoint
        .get_text(&format!("/r?lang=en&code={receipt}"), None)
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<html lang=\"en\""), "{page}");
    assert!(page.contains(&format!("/d/{}", dialogue.code)), "{page}");
    // A typed code with odd characters stays one query value.
    let (_, _, page) = app.endpoint.get_text("/r?code=AB%26C%20D", None).await;
    assert!(
        page.contains("href=\"?lang=en&amp;code=AB%26C%20D\""),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_are_shown_in_the_configured_time_zone() {
    let app = TestApp::spawn_with(|s| s.meetings.time_zone = "America/New_York".into()).await;
    // Every web page names the zone its scripts show times in.
    for page in ["/", "/moderate", "/organize", "/panel", "/screen"] {
        let (status, _, html) = app.endpoint.get_text(page, None).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            html.contains(r#"<meta name="dialoghub-time-zone" content="America/New_York">"#),
            "{page}: {html}"
        );
    }
    // The server's pages write the meeting's time there: 17:00 UTC is 12:00 EST.
    let dialogue = app.live_dialogue().await;
    let (status, body) = dialogue
        .endpoint
        .put(
            &format!("/api/dialogues/{}/info", dialogue.id),
            &dialogue.organizer,
            json!({"title": "Trygghetsdialog", "purpose": "Frågor om trygghet.",
                   "starts_at": "2026-03-12T17:00:00Z"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, page) = app
        .endpoint
        .get_text(&format!("/d/{}?lang=sv", dialogue.code), None)
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("12 mars 2026, kl. 13:00 EDT"), "{page}");
    // A zone that is none is refused when the server starts.
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::harness::test_settings(dir.path());
    settings.meetings.time_zone = "Europe/Nowhere".into();
    let refused = dialoghub::app::App::build(settings).await;
    assert!(refused.is_err(), "a zone that does not exist was taken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_invitation_link_is_issued_again_and_the_old_one_stops_working() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let path = format!("/api/dialogues/{}/panelists", dialogue.id);
    let (status, first) = app
        .endpoint
        .post(
            &path,
            &dialogue.organizer,
            json!({"name": "Per Polis", "kind": "police"}),
        )
        .await;
    assert_eq!(status, 201, "{first}");
    let person = first["id"].as_str().unwrap();
    let again = format!("/api/dialogues/{}/invitees/{person}/link", dialogue.id);
    let (status, fresh) = app
        .endpoint
        .post(&again, &dialogue.organizer, json!(null))
        .await;
    assert_eq!(status, 201, "{fresh}");
    assert_eq!(fresh["id"], first["id"]);
    assert_ne!(fresh["invite_url"], first["invite_url"]);
    // The lost link signs nobody in; the fresh one signs the panelist in.
    let old = first["invite_url"].as_str().unwrap();
    assert!(
        app.endpoint.use_link(old).await.is_err(),
        "the old link still works"
    );
    let credential = app.endpoint.accept(&fresh, dialogue.id).await;
    assert!(!credential.is_empty());
    // Someone who is on neither list has no link to show again.
    let nobody = format!(
        "/api/dialogues/{}/invitees/{}/link",
        dialogue.id,
        uuid::Uuid::new_v4()
    );
    let (status, body) = app
        .endpoint
        .post(&nobody, &dialogue.organizer, json!(null))
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "not_found", "{body}");
}

/// A follow-up promised for 10 March, read at two moments of that night: at
/// 10:00 UTC it is still the 10th in Auckland, at 12:00 UTC it is the 11th
/// there (and still the 10th in Stockholm).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promises_fall_overdue_by_the_days_of_the_configured_time_zone() {
    use crate::harness::grant;
    use dialoghub::domain::access::DistrictId;
    let app = TestApp::spawn_with(|s| s.meetings.time_zone = "Pacific/Auckland".into()).await;
    app.store
        .put_district(&DistrictId::parse("norr").unwrap(), "Norr")
        .await
        .unwrap();
    let e = &app.endpoint;
    let anna = e
        .sign_in(app.store.as_ref(), "Anna", &[grant("norr", "organizer")])
        .await;
    let (status, created) = e
        .post(
            "/api/dialogues",
            &anna.credential(None),
            json!({"title": "Vårdialogen", "district": "norr",
                   "purpose": "Frågor om trygghet i området; beslut fattas inte här."}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let code = created["code"].as_str().unwrap().to_string();
    let (status, body) = e
        .post(
            &format!("/api/dialogues/{id}/phase"),
            &anna.credential(None),
            json!({"phase": "live", "expected": "draft"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, joined) = e.post("/api/join", "", json!({"code": code})).await;
    let mut resident = Client::connect(&e.ws, joined["token"].as_str().unwrap(), None).await;
    let mut staff = Client::connect(&e.ws, &anna.credential(Some(id.parse().unwrap())), None).await;
    let lamps = resident.ask("Varför är det så mörkt i parken?").await;
    assert_eq!(staff.approve(lamps).await["type"], "ack");
    let promised = staff
        .submit(json!({"type": "promise_follow_up", "question_id": lamps,
                       "owner": "Trafikkontoret", "due": "2026-03-10"}))
        .await;
    assert_eq!(promised["type"], "ack", "{promised}");

    let overdue_in_overview = || async {
        let (status, all) = e.get("/api/overview", Some(&anna.credential(None))).await;
        assert_eq!(status, 200, "{all}");
        let item = all
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
            .unwrap();
        item["overdue_follow_ups"].as_array().unwrap().len()
    };
    let district_status = || async {
        let (status, _, html) = e.get_text("/o/norr", None).await;
        assert_eq!(status, 200, "{html}");
        html.split("<tr class=\"promise status-")
            .nth(1)
            .and_then(|row| row.split('"').next())
            .unwrap()
            .to_string()
    };
    let at = |rfc3339: &str| {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis()
    };
    app.clock.set(at("2026-03-10T10:00:00Z")); // 23:00 on the 10th in Auckland
    assert_eq!(overdue_in_overview().await, 0);
    assert_eq!(district_status().await, "open");
    app.clock.set(at("2026-03-10T12:00:00Z")); // 01:00 on the 11th in Auckland
    assert_eq!(
        overdue_in_overview().await,
        1,
        "the overview counts Auckland's days"
    );
    assert_eq!(
        district_status().await,
        "overdue",
        "the district page counts Auckland's days"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_many_rejects_every_pending_question_named_in_one_message() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut moderator = dialogue.moderator().await;
    let mut askers = Vec::new();
    let mut ids = Vec::new();
    // 30 questions: more than one connection may send in a burst (20), so one
    // reject per question would run into the rate limit.
    for n in 0..3 {
        let mut p = dialogue.participant().await;
        for i in 0..10 {
            ids.push(p.ask(&format!("Samma reklamtext nummer {n}-{i}")).await);
        }
        askers.push(p);
    }
    // Another moderator approved one of them meanwhile: it is left alone.
    let kept = ids[4];
    let ack = moderator
        .submit(json!({"type": "approve", "question_id": kept, "expected": "pending"}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");

    // Named twice, and the approved one among them: each pending one once.
    let mut named = ids.clone();
    named.push(ids[0]);
    let msg = json!({"type": "reject_many", "client_msg_id": "m-many", "question_ids": named, "reason": "duplicate"});
    moderator.send(msg.clone()).await;
    let ack = moderator.reply("m-many").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let mut rejected = Vec::new();
    let mut last_seq = 0;
    while rejected.len() < 29 {
        let e = moderator.event("question_rejected").await;
        assert_eq!(e["event"]["reason"], "duplicate", "{e}");
        let seq = e["seq"].as_u64().unwrap();
        assert!(seq > last_seq, "one seq per event, in order: {e}");
        last_seq = seq;
        rejected.push(e["event"]["question_id"].as_u64().unwrap());
    }
    let expected: Vec<u64> = ids.iter().copied().filter(|id| *id != kept).collect();
    assert_eq!(rejected, expected, "in the order named, each once");
    assert_eq!(
        ack["seq"].as_u64(),
        Some(last_seq),
        "the ack is after the last"
    );
    // Each author hears of their own, privately, as for one `reject`.
    let notice = askers[0]
        .wait_for("the author's notice", |v| v["type"] == "notice")
        .await;
    assert!(notice.to_string().contains("duplicate"), "{notice}");

    // The same key again: the same answer, nothing new.
    moderator.send(msg).await;
    assert_eq!(moderator.reply("m-many").await, ack);
    // Nothing pending any more among them: the first one's conflict.
    let again = moderator
        .submit(json!({"type": "reject_many", "question_ids": [ids[0], kept], "reason": "other"}))
        .await;
    assert_eq!(again["code"], "conflict", "{again}");
    let unknown = moderator
        .submit(json!({"type": "reject_many", "question_ids": [9999], "reason": "other"}))
        .await;
    assert_eq!(unknown["code"], "not_found", "{unknown}");
    let too_many: Vec<u64> = (1..=201).collect();
    let refused = moderator
        .submit(json!({"type": "reject_many", "question_ids": too_many, "reason": "other"}))
        .await;
    assert_eq!(refused["code"], "bad_request", "{refused}");
    let refused = askers[1]
        .submit(json!({"type": "reject_many", "question_ids": [kept], "reason": "other"}))
        .await;
    assert_eq!(refused["code"], "forbidden", "{refused}");

    let staff = dialogue.staff_view().await;
    let status_of = |id: u64| {
        staff["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["id"] == id)
            .map(|q| q["status"].clone())
    };
    assert_eq!(status_of(kept), Some(json!("approved")));
    assert_eq!(status_of(ids[0]), Some(json!("rejected")));
}
