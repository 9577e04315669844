//! Stuffing made visible and bounded. "In the room" means present: the venue
//! screen shows a room code that changes every few minutes, a participant who
//! types it is counted in the room (verified), apart from those who only say so;
//! a wrong or expired code is refused, wrong codes are limited per address
//! whatever the identity, and the code never reaches a participant.

use crate::harness::{Client, TestApp};
use serde_json::{Value, json};
use std::time::Duration;

/// The screen's next `room_code` frame.
async fn room_code(screen: &mut Client) -> Value {
    screen
        .wait_for("room code", |v| v["type"] == "room_code")
        .await
}

fn enter(code: &str) -> Value {
    json!({"type": "enter_room", "code": code})
}

/// A code that is not `code` (nor, but for a one in 10,000 chance, the one before).
fn other_than(code: &str) -> String {
    format!("{:04}", (code.parse::<u32>().unwrap() + 5000) % 10_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_room_code_on_the_screen_counts_who_is_in_the_room_apart_from_who_says_so() {
    let app = TestApp::spawn_with(|s| {
        s.stuffing.room_code_secs = 3;
        s.stuffing.room_code_grace_secs = 1;
    })
    .await;
    let dialogue = app.live_dialogue().await;
    let mut screen = dialogue.screen().await;
    let mut moderator = dialogue.moderator().await;
    let shown = room_code(&mut screen).await;
    let code = shown["code"].as_str().unwrap().to_string();
    assert!(
        code.len() == 4 && code.chars().all(|c| c.is_ascii_digit()),
        "{shown}"
    );
    assert_eq!(shown["period_secs"], 3, "{shown}");
    assert_eq!(room_code(&mut moderator).await["code"], code.as_str());

    // Anna follows from home, then types the code; Bo says he is in the room.
    let anna_token = dialogue.participant_token().await;
    let mut anna = Client::connect(&dialogue.endpoint.ws, &anna_token, None).await;
    assert_eq!(anna.welcome["room_verified"], false, "{}", anna.welcome);
    let bo_token = dialogue.participant_token().await;
    let mut bo = Client::connect_in_room(&dialogue.endpoint.ws, &bo_token).await;

    let wrong = anna.submit(enter(&other_than(&code))).await;
    assert_eq!(wrong["type"], "error", "{wrong}");
    assert_eq!(wrong["code"], "wrong_room_code", "{wrong}");
    let bad = anna.submit(enter("47-11")).await;
    assert_eq!(bad["code"], "bad_request", "{bad}");
    let ack = anna.submit(enter(&format!(" {code} "))).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert!(ack["seq"].is_u64(), "{ack}");
    let entered = moderator.event("room_entered").await;
    assert_eq!(entered["by"]["id"], anna.you().as_str(), "{entered}");
    let again = anna.submit(enter(&code)).await;
    assert_eq!(again["type"], "ack", "{again}");
    assert_eq!(
        again["seq"], ack["seq"],
        "a second entry changes nothing: {again}"
    );

    // Counted apart, live: Anna entered the code, Bo only said so.
    moderator
        .live_until("Anna verified, Bo self-declared", |l| {
            l["present"]["verified"] == 1 && l["present"]["in_room"] == 1
        })
        .await;
    // And after a reconnect, Anna's page knows she is counted.
    let anna_again = Client::connect(&dialogue.endpoint.ws, &anna_token, None).await;
    assert_eq!(anna_again.welcome["room_verified"], true);

    // The code changes; once the grace period is over the old one is refused.
    let next = tokio::time::timeout(Duration::from_secs(6), room_code(&mut screen))
        .await
        .expect("a new code within a period");
    assert!(next["valid_until"].as_i64() > shown["valid_until"].as_i64());
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    // The newest the screen shows now (a slow run may have seen more than one change).
    let newest = screen
        .drain_for(Duration::from_millis(50))
        .await
        .into_iter()
        .rfind(|v| v["type"] == "room_code")
        .unwrap_or(next);
    let new_code = newest["code"].as_str().unwrap().to_string();
    if new_code != code {
        let expired = bo.submit(enter(&code)).await;
        assert_eq!(expired["code"], "wrong_room_code", "{expired}");
    }
    let ack = bo.submit(enter(&new_code)).await;
    assert_eq!(ack["type"], "ack", "{ack}");

    // Never a participant's: not the frame, not the code (they typed it; nobody sent it).
    for p in [&anna, &anna_again, &bo] {
        assert!(
            !p.raw.iter().any(|f| f.contains(r#""type":"room_code""#)),
            "a participant got the room code frame"
        );
        for c in [&code, &new_code] {
            assert!(
                !p.ever_saw(&format!(r#""code":"{c}""#)),
                "{c} reached a participant"
            );
        }
    }

    // A question from the floor, so the record has a row.
    let floor = moderator
        .submit(
            json!({"type": "floor_question", "text": "Från salen: när tänds lamporna i parken?"}),
        )
        .await;
    assert_eq!(floor["type"], "ack", "{floor}");

    // The record counts the two apart: both typed the code in the end, and at most
    // one (Bo, before he typed it) was in the room on his word alone.
    let record = dialogue.close_and_read_record().await;
    let attendance = &record["figures"]["attendance"];
    assert_eq!(attendance["verified"], 2, "{attendance}");
    assert_eq!(attendance["in_room"], 1, "{attendance}");
    let (status, _, page) = app
        .endpoint
        .get_text(&format!("/d/{}?lang=sv", dialogue.code), None)
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Deltagare i lokalen som skrev rumskoden från skärmen"),
        "the page names the verified count"
    );
    assert!(page.contains("I lokalen enligt egen uppgift, utan rumskod"));

    // record.csv counts them apart too, on every row.
    let (_, _, csv) = app
        .endpoint
        .get_text(&format!("/d/{}/record.csv", dialogue.code), None)
        .await;
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (verified, in_room, remote) = (
        at("attendance_verified"),
        at("attendance_in_room"),
        at("attendance_remote"),
    );
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty(), "{csv}");
    for row in rows {
        assert_eq!(row[verified], attendance["verified"].to_string(), "{csv}");
        assert_eq!(row[in_room], attendance["in_room"].to_string(), "{csv}");
        assert_eq!(row[remote], attendance["remote"].to_string(), "{csv}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_room_codes_are_limited_per_address_whatever_the_identity() {
    let app = TestApp::spawn_with(|s| s.stuffing.room_code_misses_per_ip_per_minute = 3).await;
    let dialogue = app.live_dialogue().await;
    let mut screen = dialogue.screen().await;
    let code = room_code(&mut screen).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    // A fresh identity for each guess, as a stuffer would make.
    for _ in 0..3 {
        let mut guesser = dialogue.participant().await;
        let wrong = guesser.submit(enter(&other_than(&code))).await;
        assert_eq!(wrong["code"], "wrong_room_code", "{wrong}");
    }
    let mut next = dialogue.participant().await;
    let limited = next.submit(enter(&code)).await;
    assert_eq!(limited["code"], "rate_limited", "{limited}");
    assert!(!next.ever_saw("room_entered"));
}
