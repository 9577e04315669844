//! A question asked by an identity created in a burst from one address is
//! flagged to moderators wherever they see it: the live event, the snapshot of
//! a console that connects again, the pages of the queue and the REST view;
//! never to participants, panelists or the venue screen; and no longer once
//! the asker entered the room code.

use crate::harness::{Client, Dialogue, TestApp};
use serde_json::{Value, json};

/// The question `id` in a list of questions (a snapshot's or a page's).
fn find(questions: &Value, id: u64) -> Value {
    questions
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("question {id} in {questions}"))
}

/// Whether the question `id` in `questions` carries `burst: true`; `burst`
/// is present only when true.
fn flagged(questions: &Value, id: u64) -> bool {
    let q = find(questions, id);
    match q.get("burst") {
        None => false,
        Some(v) => {
            assert_eq!(v, true, "present only when true: {q}");
            true
        }
    }
}

async fn pending_page(moderator: &mut Client) -> Value {
    let id = moderator.key();
    moderator
        .send(json!({"type": "read_pending", "client_msg_id": id, "order": "newest"}))
        .await;
    let page = moderator
        .wait_for("a page of the queue", |v| v["client_msg_id"] == id.as_str())
        .await;
    assert_eq!(page["type"], "pending_page", "{page}");
    page
}

async fn participant(d: &Dialogue, burst: bool) -> Client {
    let token = d.participant_token().await;
    assert_eq!(d.endpoint.tokens.verify(&token).unwrap().burst, burst);
    Client::connect(&d.endpoint.ws, &token, None).await
}

/// A participant who joins from another address: no burst identity, however
/// many joined from the first.
async fn elsewhere(d: &Dialogue) -> Client {
    let token = d
        .participant_token_from(std::net::IpAddr::from([127, 0, 0, 9]))
        .await;
    assert!(!d.endpoint.tokens.verify(&token).unwrap().burst);
    Client::connect(&d.endpoint.ws, &token, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_identitys_question_is_flagged_to_moderators_after_a_reconnect_and_in_the_queue_pages()
 {
    // Two joins from an address within the window, then burst identities.
    let app = TestApp::spawn_with(|s| {
        s.stuffing.burst_joins = 2;
        s.stuffing.burst_window_secs = 600;
    })
    .await;
    let d = app.live_dialogue().await;
    let credential = d.moderator_credential().await;
    let mut moderator = Client::connect(&d.endpoint.ws, &credential, None).await;
    let mut screen = d.screen().await;
    let (_, mut panelist) = d.panelist("Per Polis", "police").await;

    let mut anna = participant(&d, false).await;
    // A second person from the same address, who only joins.
    participant(&d, false).await.close().await;
    let mut flood = participant(&d, true).await;
    let mut present = participant(&d, true).await;
    let plain = anna.ask("När tänds lamporna i parken?").await;
    let burst = flood.ask("Varför byggs inte fler cykelbanor?").await;
    let cleared = present.ask("Kan nattbussen gå oftare?").await;

    // The live event says it (as it did before this test).
    for (id, want) in [(plain, false), (burst, true), (cleared, true)] {
        let asked = moderator
            .wait_for("question_asked", |v| {
                v["event"]["kind"] == "question_asked" && v["event"]["question_id"] == id
            })
            .await;
        assert_eq!(asked["event"].get("burst").is_some(), want, "{asked}");
    }

    // The third asker types the room code from the screen: present, no longer
    // a burst identity, so its question is no longer flagged.
    let code = screen
        .wait_for("room code", |v| v["type"] == "room_code")
        .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let entered = present
        .submit(json!({"type": "enter_room", "code": code}))
        .await;
    assert_eq!(entered["type"], "ack", "{entered}");

    // A moderator who loads the console again sees the flag in the snapshot.
    moderator.close().await;
    let mut moderator = Client::connect(&d.endpoint.ws, &credential, None).await;
    let snapshot = moderator.snapshot.clone().unwrap();
    let questions = &snapshot["questions"];
    assert!(flagged(questions, burst), "{snapshot}");
    assert!(!flagged(questions, plain), "{snapshot}");
    assert!(!flagged(questions, cleared), "{snapshot}");

    // And in the pages of the queue.
    let page = pending_page(&mut moderator).await;
    assert_eq!(page["count"], 3, "{page}");
    assert!(flagged(&page["questions"], burst), "{page}");
    assert!(!flagged(&page["questions"], plain), "{page}");
    assert!(!flagged(&page["questions"], cleared), "{page}");

    // And in the organizer's REST view of the whole dialogue.
    let view = d.staff_view().await;
    assert!(flagged(&view["questions"], burst), "{view}");
    assert!(!flagged(&view["questions"], plain), "{view}");

    // Approved, the question keeps its flag for staff; the public sees the
    // question, never the flag.
    for id in [plain, burst] {
        assert_eq!(moderator.approve(id).await["type"], "ack");
    }
    moderator.close().await;
    let moderator = Client::connect(&d.endpoint.ws, &credential, None).await;
    let staff = moderator.snapshot.clone().unwrap();
    assert!(flagged(&staff["questions"], burst), "{staff}");
    moderator.close().await;
    for (who, client) in [
        ("a participant", &mut anna),
        ("the burst identity", &mut flood),
        ("a panelist", &mut panelist),
        ("the screen", &mut screen),
    ] {
        client
            .wait_for("the question published", |v| {
                v["event"]["kind"] == "question_published" && v["event"]["question"]["id"] == burst
            })
            .await;
        assert!(!client.ever_saw("burst"), "{who} saw a burst flag");
    }
    for (who, again) in [
        ("a participant", elsewhere(&d).await),
        ("a new screen", d.screen().await),
    ] {
        let seen = again.snapshot.clone().unwrap();
        assert!(!flagged(&seen["questions"], burst), "{who}: {seen}");
        assert!(!again.ever_saw("burst"), "{who} saw a burst flag");
        again.close().await;
    }
}
