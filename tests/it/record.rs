//! Before and after the meeting (issue: invitations, information, written answers,
//! återkoppling): calendar files, the organizer's warnings, receipts, written answers
//! and follow-ups, and a public record that never carries what must stay private.

use crate::harness::{Client, Dialogue, Endpoint, TestApp};
use serde_json::{Value, json};

const DAY_MS: i64 = 24 * 3600 * 1000;

fn rfc3339_in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

/// A draft dialogue with the given info; returns (id, code).
async fn draft(endpoint: &Endpoint, organizer: &str, info: Value) -> (uuid::Uuid, String) {
    let (status, created) = endpoint.post("/api/dialogues", organizer, info).await;
    assert_eq!(status, 201, "{created}");
    (
        created["id"].as_str().unwrap().parse().unwrap(),
        created["code"].as_str().unwrap().to_string(),
    )
}

async fn set_phase(endpoint: &Endpoint, organizer: &str, id: uuid::Uuid, to: &str, from: &str) {
    let (status, body) = endpoint
        .post(
            &format!("/api/dialogues/{id}/phase"),
            organizer,
            json!({"phase": to, "expected": from}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn overview_of(endpoint: &Endpoint, organizer: &str, id: uuid::Uuid) -> Value {
    let (status, all) = endpoint.get("/api/overview", Some(organizer)).await;
    assert_eq!(status, 200, "{all}");
    all.as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id.to_string())
        .cloned()
        .expect("the dialogue is in the overview")
}

fn warning_kinds(item: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = item["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| match w["kind"].as_str().unwrap() {
            "missing_panel_kind" => {
                format!("missing_panel_kind:{}", w["panel_kind"].as_str().unwrap())
            }
            k => k.to_string(),
        })
        .collect();
    kinds.sort();
    kinds
}

/// The one VEVENT of a calendar file, parsed by a calendar crate other than the
/// one that wrote it: property name -> value.
fn parse_ics(text: &str) -> std::collections::HashMap<String, String> {
    let mut reader = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = reader
        .next()
        .expect("one calendar")
        .expect("the calendar parses");
    assert_eq!(calendar.events.len(), 1, "one event");
    calendar.events[0]
        .properties
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_invitation_to_calendar_the_organizer_is_warned_until_things_are_right() {
    let app = TestApp::spawn().await;
    let (endpoint, org) = (&app.endpoint, &app.organizer);
    let starts_soon = rfc3339_in_days(5);
    let info = json!({"title": "Trygghetsdialog Fruängen", "starts_at": starts_soon,
        "venue": "Fruängens bibliotek", "address": "Fruängsgången 12",
        "expected_kinds": ["police", "staff"]});
    let (id, code) = draft(endpoint, org, info.clone()).await;

    // Publishing needs a purpose.
    let (status, body) = endpoint
        .post(
            &format!("/api/dialogues/{id}/phase"),
            org,
            json!({"phase": "open", "expected": "draft"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );

    // A draft five days before the meeting is already late; both kinds are missing.
    let item = overview_of(endpoint, org, id).await;
    assert_eq!(
        warning_kinds(&item),
        [
            "late_invitation",
            "missing_panel_kind:police",
            "missing_panel_kind:staff"
        ]
    );
    assert_eq!(item["warnings"][0]["kind"], "late_invitation");
    assert_eq!(item["warnings"][0]["published"], false);

    let mut with_purpose = info.clone();
    with_purpose["purpose"] = json!("Vad polisen och staden gör åt otryggheten vid torget.");
    let (status, body) = endpoint
        .put(
            &format!("/api/dialogues/{id}/info"),
            org,
            with_purpose.clone(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    set_phase(endpoint, org, id, "open", "draft").await;

    // A police panelist is added: that warning goes, an unopened invitation comes.
    let (status, inv) = endpoint
        .post(
            &format!("/api/dialogues/{id}/panelists"),
            org,
            json!({"name": "Pia Polis", "title": "Kommunpolis", "organisation": "Polisen", "kind": "police"}),
        )
        .await;
    assert_eq!(status, 201, "{inv}");
    let panelist = inv["id"].as_str().unwrap().to_string();
    let item = overview_of(endpoint, org, id).await;
    assert_eq!(
        warning_kinds(&item),
        [
            "invitation_not_opened",
            "late_invitation",
            "missing_panel_kind:staff"
        ]
    );
    let late = item["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "late_invitation")
        .unwrap();
    assert_eq!(late["published"], true);
    assert_eq!(late["days_before"], 4, "{item}");

    // The panelist opens the invitation (connects): that warning goes.
    let credential = endpoint.accept(&inv, id).await;
    let _panel = Client::connect(&endpoint.ws, &credential, None).await;
    let mut opened = false;
    for _ in 0..50 {
        let item = overview_of(endpoint, org, id).await;
        if !warning_kinds(&item).contains(&"invitation_not_opened".to_string()) {
            opened = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(opened, "opening the invitation clears its warning");

    // The public calendar file: RFC 5545, the dialogue's UID, SEQUENCE 0.
    let (status, mime, ics) = endpoint
        .get_text(&format!("/d/{code}/calendar.ics"), None)
        .await;
    assert_eq!(status, 200, "{ics}");
    assert!(mime.starts_with("text/calendar"), "{mime}");
    let first = parse_ics(&ics);
    assert_eq!(first["UID"], format!("{id}@dialoghub"));
    assert_eq!(first["SEQUENCE"], "0");
    assert_eq!(first["SUMMARY"], "Trygghetsdialog Fruängen");
    assert!(first["LOCATION"].contains("Fruängsgången 12"), "{first:?}");
    assert!(first["URL"].ends_with(&format!("/d/{code}")), "{first:?}");

    // The meeting moves a month later: same UID, higher SEQUENCE, new start; the
    // late-invitation warning goes (published 30 days before now).
    let mut moved = with_purpose.clone();
    moved["starts_at"] = json!(rfc3339_in_days(30));
    let (status, body) = endpoint
        .put(&format!("/api/dialogues/{id}/info"), org, moved.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, _, ics) = endpoint
        .get_text(&format!("/d/{code}/calendar.ics"), None)
        .await;
    let second = parse_ics(&ics);
    assert_eq!(second["UID"], first["UID"]);
    assert_eq!(second["SEQUENCE"], "1");
    assert_ne!(second["DTSTART"], first["DTSTART"]);
    let item = overview_of(endpoint, org, id).await;
    assert_eq!(warning_kinds(&item), ["missing_panel_kind:staff"]);

    // A published dialogue keeps its purpose; kinds named twice are warned about once.
    let mut emptied = moved.clone();
    emptied["purpose"] = json!("");
    let (status, body) = endpoint
        .put(&format!("/api/dialogues/{id}/info"), org, emptied)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    moved["expected_kinds"] = json!(["staff", "police", "staff"]);

    // A change of title only does not make calendars update.
    moved["title"] = json!("Trygghetsdialog i Fruängen");
    endpoint
        .put(&format!("/api/dialogues/{id}/info"), org, moved)
        .await;
    let (_, _, ics) = endpoint
        .get_text(&format!("/d/{code}/calendar.ics"), None)
        .await;
    assert_eq!(parse_ics(&ics)["SEQUENCE"], "1");
    let item = overview_of(endpoint, org, id).await;
    assert_eq!(warning_kinds(&item), ["missing_panel_kind:staff"]);

    // The panelist's own calendar links to their page and carries no credential
    // (a calendar file is forwarded and copied); only organizers get it.
    let path = format!("/api/dialogues/{id}/invitees/{panelist}/calendar.ics");
    let (status, _, ics) = endpoint.get_text(&path, Some(org)).await;
    assert_eq!(status, 200, "{ics}");
    let theirs = parse_ics(&ics);
    assert_eq!(theirs["UID"], first["UID"]);
    assert!(
        theirs["URL"].ends_with(&format!("/panel?dialogue={id}")),
        "{theirs:?}"
    );
    assert!(!ics.contains("token") && !ics.contains("/signin/"), "{ics}");
    let (status, _, _) = endpoint.get_text(&path, None).await;
    assert_eq!(status, 401);
}

/// Waits until this client has seen an event of `kind` about `question`.
async fn event_about(c: &mut Client, kind: &str, question: u64) -> Value {
    c.wait_for(kind, |v| {
        v["type"] == "event" && v["event"]["kind"] == kind && v["event"]["question_id"] == question
    })
    .await["event"]
        .clone()
}

async fn lookup(endpoint: &Endpoint, receipt: &str) -> (u16, Value) {
    endpoint
        .get(&format!("/api/receipts/{receipt}"), None)
        .await
}

async fn submit_ok(c: &mut Client, msg: Value) -> Value {
    let ack = c.submit(msg).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_shows_its_question_fate_at_each_stage_and_nothing_else() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let endpoint = &app.endpoint;
    let mut moderator = dialogue.moderator().await;
    let (_, mut panelist) = dialogue.panelist("Pia Polis", "police").await;
    let mut anna = dialogue.participant().await;
    let mut bo = dialogue.participant().await;

    let ack = submit_ok(
        &mut anna,
        json!({"type": "ask", "text": "Varför är det så mörkt i parken vid Axelsberg?"}),
    )
    .await;
    let q = ack["question_id"].as_u64().unwrap();
    let receipt = ack["receipt"]
        .as_str()
        .expect("an ask's ack has a receipt")
        .to_string();
    let (code, secret) = receipt.split_once('-').unwrap();
    assert_eq!(code, dialogue.code);
    assert_eq!(secret.len(), 10);

    // Pending: the fate, never the text.
    let (status, r) = lookup(endpoint, &receipt).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["fate"].as_str(), r["text"].is_null()),
        (Some("pending"), true),
        "{r}"
    );

    assert_eq!(moderator.approve(q).await["type"], "ack");
    let (_, r) = lookup(endpoint, &receipt.to_lowercase()).await;
    assert_eq!(r["fate"], "queued", "{r}");
    assert_eq!(r["text"], "Varför är det så mörkt i parken vid Axelsberg?");

    // The panelist writes; only staff see the draft, the public gets `internal`.
    submit_ok(
        &mut panelist,
        json!({"type": "write_answer", "question_id": q, "text": "Lamporna byts i mars."}),
    )
    .await;
    let draft = event_about(&mut moderator, "answer_written", q).await;
    assert_eq!(draft["text"], "Lamporna byts i mars.");
    let (_, r) = lookup(endpoint, &receipt).await;
    assert_eq!(
        (r["fate"].as_str(), r["answer"].is_null()),
        (Some("queued"), true)
    );

    // The moderator publishes: it reaches participants live, and the receipt.
    submit_ok(
        &mut moderator,
        json!({"type": "publish_answer", "question_id": q}),
    )
    .await;
    let published = event_about(&mut bo, "answer_published", q).await;
    assert_eq!(published["text"], "Lamporna byts i mars.");
    assert!(
        !bo.raw.iter().any(|f| f.contains("answer_written")),
        "a draft never reaches a participant"
    );
    let (_, r) = lookup(endpoint, &receipt).await;
    assert_eq!(r["fate"], "answered_in_writing");
    assert_eq!(r["answer"], "Lamporna byts i mars.");

    // A follow-up promised for a day already past is overdue for the organizer.
    submit_ok(
        &mut panelist,
        json!({"type": "promise_follow_up", "question_id": q, "owner": "Trafikkontoret", "due": "2020-01-31"}),
    )
    .await;
    let promise = event_about(&mut bo, "follow_up_promised", q).await;
    assert_eq!(promise["owner"], "Trafikkontoret");
    let item = overview_of(endpoint, &app.organizer, dialogue.id).await;
    assert_eq!(
        item["overdue_follow_ups"],
        json!([{"question_id": q, "owner": "Trafikkontoret", "due": "2020-01-31"}])
    );
    let (_, r) = lookup(endpoint, &receipt).await;
    assert_eq!(r["fate"], "follow_up");
    assert_eq!(r["follow_up"]["outcome"], Value::Null);

    let (status, ack) = endpoint
        .post(
            &format!("/api/dialogues/{}/questions/{q}/outcome", dialogue.id),
            &app.organizer,
            json!({"outcome": "Lamporna byttes den 12 mars."}),
        )
        .await;
    assert_eq!(status, 200, "{ack}");
    let done = event_about(&mut bo, "follow_up_done", q).await;
    assert_eq!(done["outcome"], "Lamporna byttes den 12 mars.");
    let (_, r) = lookup(endpoint, &receipt).await;
    assert_eq!(r["follow_up"]["outcome"], "Lamporna byttes den 12 mars.");
    let item = overview_of(endpoint, &app.organizer, dialogue.id).await;
    assert_eq!(item["overdue_follow_ups"], json!([]));

    // Bo's own question is rejected: his receipt says so, with the reason only.
    let ack = submit_ok(
        &mut bo,
        json!({"type": "ask", "text": "Kan kommunen köpa min bil?"}),
    )
    .await;
    let bo_q = ack["question_id"].as_u64().unwrap();
    let bo_receipt = ack["receipt"].as_str().unwrap().to_string();
    submit_ok(
        &mut moderator,
        json!({"type": "reject", "question_id": bo_q, "expected": "pending", "reason": "off_topic"}),
    )
    .await;
    let (_, r) = lookup(endpoint, &bo_receipt).await;
    assert_eq!(r["fate"], "rejected");
    assert_eq!(r["reason"], "off_topic");
    assert!(
        !r.to_string().contains("bil"),
        "a rejected text is never shown: {r}"
    );
    assert_eq!(
        r["question_id"], bo_q,
        "a receipt shows its own question only"
    );

    // A retried ask gets the same receipt back.
    let again = json!({"type": "ask", "client_msg_id": "same-key", "text": "En fråga om bussen?"});
    anna.send(again.clone()).await;
    let first = anna.reply("same-key").await;
    anna.send(again).await;
    let second = anna.reply("same-key").await;
    assert_eq!(first["receipt"], second["receipt"]);

    // Wrong codes find nothing: mistyped, guessed, or another dialogue's.
    let other = app.live_dialogue().await;
    for bad in [
        format!("{}-{}", dialogue.code, "AAAAAAAAAA"),
        format!("{}-{secret}", other.code),
        "HELLO".to_string(),
    ] {
        let (status, body) = lookup(endpoint, &bad).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{bad}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_receipts_is_rate_limited_per_address() {
    let app = TestApp::spawn_with(|s| s.limits.receipt_misses_per_ip_per_minute = 5).await;
    let dialogue = app.live_dialogue().await;
    let mut anna = dialogue.participant().await;
    let ack = submit_ok(
        &mut anna,
        json!({"type": "ask", "text": "Hur blir det med nattbussen?"}),
    )
    .await;
    let receipt = ack["receipt"].as_str().unwrap();
    assert_eq!(
        lookup(&app.endpoint, receipt).await.0,
        200,
        "hits do not count"
    );
    for i in 0..5 {
        let guess = format!("{}-{:A>10}", dialogue.code, i);
        assert_eq!(lookup(&app.endpoint, &guess).await.0, 404);
    }
    let (status, body) = lookup(&app.endpoint, "XXXXXX-BBBBBBBBBB").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("rate_limited")),
        "{body}"
    );
    let (status, _) = lookup(&app.endpoint, receipt).await;
    assert_eq!(status, 429, "while limited, even a right code waits");
    let (status, _, page) = app.endpoint.get_text(&format!("/r/{receipt}"), None).await;
    assert_eq!(status, 429);
    assert!(
        page.contains("Vänta en minut"),
        "the page says so in Swedish"
    );
}

/// Every public surface of a dialogue, as text: page, exports, calendar, public
/// snapshot, and the given receipts' lookups.
async fn everything_public(d: &Dialogue, receipts: &[String]) -> Vec<(String, String)> {
    let e = &d.endpoint;
    let mut out = Vec::new();
    for path in [
        format!("/d/{}", d.code),
        format!("/d/{}?lang=en", d.code),
        format!("/d/{}/record.json", d.code),
        format!("/d/{}/record.csv", d.code),
        format!("/d/{}/calendar.ics", d.code),
        format!("/api/public/{}", d.code),
    ] {
        let (status, _, body) = e.get_text(&path, None).await;
        assert!(status == 200 || path.ends_with(".ics"), "{path}: {status}");
        out.push((path, body));
    }
    for r in receipts {
        for path in [format!("/api/receipts/{r}"), format!("/r/{r}")] {
            let (status, _, body) = e.get_text(&path, None).await;
            assert_eq!(status, 200, "{path}");
            out.push((path, body));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_record_and_every_export_hold_no_rejected_text_redacted_original_or_undisclosed_name() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let (endpoint, org) = (&app.endpoint, &app.organizer);
    let mut moderator = dialogue.moderator().await;
    let (_, mut panelist) = dialogue.panelist("Pia Polis", "police").await;
    let mut people = Vec::new();
    for _ in 0..3 {
        people.push(dialogue.participant().await);
    }
    let mut receipts = Vec::new();
    let mut ask = async |c: &mut Client, msg: Value| -> u64 {
        let ack = submit_ok(c, msg).await;
        receipts.push(ack["receipt"].as_str().unwrap().to_string());
        ack["question_id"].as_u64().unwrap()
    };

    // Planted: a rejected text, a name only in an original the moderator edited
    // away, a personnummer, a pending text, and an asker's name kept anonymous.
    let rejected = ask(
        &mut people[0],
        json!({"type": "ask", "text": "AVVISAD-HEMLIGHET om grannen"}),
    )
    .await;
    let edited = ask(
        &mut people[1],
        json!({"type": "ask", "text": "Kalle Kriminellsson på Storgatan 12 langar, 811228-9874. Vad gör polisen?"}),
    )
    .await;
    let named = ask(
        &mut people[2],
        json!({"type": "ask", "text": "Varför är parken mörk?", "display_name": "Berit Berättar"}),
    )
    .await;
    let answered = ask(
        &mut people[2],
        json!({"type": "ask", "text": "Hur blir det med nattbussen?"}),
    )
    .await;
    let unreached = ask(
        &mut people[0],
        json!({"type": "ask", "text": "Kan det bli fler poliser på torget?"}),
    )
    .await;
    let _pending = ask(
        &mut people[1],
        json!({"type": "ask", "text": "VÄNTANDE-TEXT som ingen godkänt"}),
    )
    .await;

    submit_ok(
        &mut moderator,
        json!({"type": "reject", "question_id": rejected, "expected": "pending", "reason": "personal_data"}),
    )
    .await;
    submit_ok(
        &mut moderator,
        json!({"type": "approve", "question_id": edited, "expected": "pending",
               "text": "Det langas narkotika vid torget. Vad gör polisen?"}),
    )
    .await;
    for q in [named, answered, unreached] {
        assert_eq!(moderator.approve(q).await["type"], "ack");
    }
    submit_ok(
        &mut moderator,
        json!({"type": "mark_answered", "question_id": answered, "expected": "approved"}),
    )
    .await;
    submit_ok(
        &mut panelist,
        json!({"type": "write_answer", "question_id": edited, "text": "Vi har fler patruller vid torget sedan oktober."}),
    )
    .await;
    submit_ok(
        &mut moderator,
        json!({"type": "publish_answer", "question_id": edited}),
    )
    .await;
    submit_ok(
        &mut panelist,
        json!({"type": "post", "text": "Anmälda brott i området: 212 i oktober.", "source": "Polisen, öppen statistik"}),
    )
    .await;
    let (status, body) = endpoint
        .post(
            &format!("/api/dialogues/{}/posts", dialogue.id),
            org,
            json!({"text": "Belysningen i parken byts i mars.", "source": "Trafikkontoret", "link": "https://stad.example.se/belysning"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut info = json!({"title": "Trygghetsdialog i Hägersten", "venue": "Hägerstens medborgarhus",
        "purpose": "Frågor om trygghet i området.", "unreached_plan": "Besvaras skriftligt inom två veckor."});
    info["starts_at"] = json!(rfc3339_in_days(0));
    endpoint
        .put(&format!("/api/dialogues/{}/info", dialogue.id), org, info)
        .await;
    set_phase(endpoint, org, dialogue.id, "closed", "live").await;

    // The record: final, with the fates and figures.
    let (status, record) = endpoint
        .get(&format!("/d/{}/record.json", dialogue.code), None)
        .await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["final"], true);
    let fates: Vec<(u64, &str)> = record["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["id"].as_u64().unwrap(), q["fate"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fates,
        [
            (edited, "answered_in_writing"),
            (named, "not_reached"),
            (answered, "answered_live"),
            (unreached, "not_reached")
        ]
    );
    let f = &record["figures"];
    assert_eq!(f["questions_asked"], 6);
    assert_eq!(f["approved"], 4);
    assert_eq!(f["rejected"], json!({"personal_data": 1}));
    assert_eq!(
        (
            f["answered_live"].as_u64(),
            f["answered_in_writing"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(f["not_reached"], 2);
    assert_eq!(
        f["attendance"]["remote"], 3,
        "three participants were connected: {f}"
    );
    assert_eq!(record["posts"].as_array().unwrap().len(), 2);
    let q = |id: u64| {
        record["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        q(named)["display_name"],
        "Berit Berättar",
        "a chosen name is shown"
    );
    assert_eq!(q(answered)["display_name"], Value::Null);

    // The unreached question's receipt says what happens to it.
    let (_, r) = lookup(endpoint, &receipts[4]).await;
    assert_eq!(r["fate"], "not_reached");
    assert_eq!(r["unreached_plan"], "Besvaras skriftligt inom två veckor.");

    // The page is the record, readable without JavaScript.
    let (status, mime, page) = endpoint
        .get_text(&format!("/d/{}", dialogue.code), None)
        .await;
    assert_eq!(status, 200);
    assert!(mime.starts_with("text/html"), "{mime}");
    for shown in [
        "Det langas narkotika vid torget. Vad gör polisen?",
        "Vi har fler patruller vid torget sedan oktober.",
        "Anmälda brott i området: 212 i oktober.",
        "Polisen, öppen statistik",
        "Besvaras skriftligt inom två veckor.",
        "Pia Polis",
        "Mötet är avslutat",
    ] {
        assert!(page.contains(shown), "the record page shows {shown:?}");
    }
    let (_, csv_mime, csv) = endpoint
        .get_text(&format!("/d/{}/record.csv", dialogue.code), None)
        .await;
    assert!(csv_mime.starts_with("text/csv"), "{csv_mime}");
    assert_eq!(
        csv.lines().count(),
        1 + 4,
        "a header and one row per question:\n{csv}"
    );

    // Nothing private anywhere public.
    let planted = [
        "AVVISAD-HEMLIGHET",
        "Kalle Kriminellsson",
        "Storgatan 12",
        "811228-9874",
        "VÄNTANDE-TEXT",
    ];
    let mut private_ids: Vec<String> = Vec::new();
    for p in &people {
        private_ids.push(p.welcome["you"].as_str().unwrap().to_string());
    }
    for (path, body) in everything_public(&dialogue, &receipts).await {
        for secret in planted
            .iter()
            .map(|s| s.to_string())
            .chain(private_ids.clone())
        {
            assert!(!body.contains(&secret), "{path} leaks {secret:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_has_no_public_page_and_posts_are_edited_by_their_author_only() {
    let app = TestApp::spawn().await;
    let (id, code) = draft(
        &app.endpoint,
        &app.organizer,
        json!({"title": "Utkast", "purpose": "Test"}),
    )
    .await;
    for path in [format!("/d/{code}"), format!("/d/{code}/record.json")] {
        let (status, _, _) = app.endpoint.get_text(&path, None).await;
        assert_eq!(status, 404, "{path}");
    }
    set_phase(&app.endpoint, &app.organizer, id, "live", "draft").await;
    let dialogue = Dialogue {
        id,
        code,
        endpoint: app.endpoint.clone(),
        organizer: app.organizer.clone(),
    };
    let (_, mut pia) = dialogue.panelist("Pia Polis", "police").await;
    let (_, mut sven) = dialogue.panelist("Sven Stad", "staff").await;
    let ack = submit_ok(
        &mut pia,
        json!({"type": "post", "text": "212 anmälda brott.", "source": "Polisen"}),
    )
    .await;
    assert!(ack["seq"].is_u64());
    let post_id = 1;
    let refused = sven
        .submit(json!({"type": "post", "post_id": post_id, "text": "Ändrat", "source": "Staden"}))
        .await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    submit_ok(
        &mut pia,
        json!({"type": "post", "post_id": post_id, "text": "213 anmälda brott.", "source": "Polisen", "link": "https://polisen.example.se/s"}),
    )
    .await;
    let bad = pia
        .submit(json!({"type": "post", "text": "x", "source": "y", "link": "javascript:alert(1)"}))
        .await;
    assert_eq!(bad["code"], "bad_request", "{bad}");
    let bad = pia
        .submit(
            json!({"type": "promise_follow_up", "question_id": 1, "owner": "x", "due": "snart"}),
        )
        .await;
    assert_eq!(bad["code"], "bad_request", "{bad}");
    let (_, snapshot) = app
        .endpoint
        .get(&format!("/api/public/{}", dialogue.code), None)
        .await;
    assert_eq!(snapshot["posts"][0]["text"], "213 anmälda brott.");
    assert!(snapshot["posts"][0]["edited_at"].is_i64());
    let _ = DAY_MS;
}
