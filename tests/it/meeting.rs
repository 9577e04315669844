//! A whole meeting, as it happens in the room and at home.

use crate::harness::{Client, TestApp};
use serde_json::{Value, json};
use std::time::Duration;

const SECRET_TEXT: &str = "Min granne på Storgatan 12 har personnummer 811228-9874";
const REJECTED_TEXT: &str = "Detta är ett påhopp som ska avvisas";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_meeting_with_twenty_participants() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let (police_id, mut police) = dialogue.panelist("Anna Polis", "police").await;
    let (_, mut politician) = dialogue.panelist("Bo Politiker", "politician").await;
    let (_, mut staff) = dialogue.panelist("Cia Tjänsteperson", "staff").await;
    let mut mod_a = dialogue.moderator().await;
    let mut mod_b = dialogue.moderator().await;
    let mut screen = dialogue.screen().await;
    let mut people: Vec<Client> = Vec::new();
    for _ in 0..20 {
        people.push(dialogue.participant().await);
    }

    // Questions arrive; one carries personal data, one is abuse.
    let lamp = people[0]
        .ask("Varför är det så mörkt i parken vid Axelsberg?")
        .await;
    let sensitive = people[1].ask(SECRET_TEXT).await;
    let abuse = people[2].ask(REJECTED_TEXT).await;
    let to_police = {
        let ack = people[3]
            .submit(json!({"type": "ask", "text": "Hur många anmälningar om inbrott kom in i höstas?", "addressee": {"panelist": police_id}}))
            .await;
        ack["question_id"].as_u64().unwrap()
    };

    // The moderator sees the pending queue with the guard's flags and a redaction.
    let flagged = mod_a
        .wait_for("the sensitive question", |v| {
            v["type"] == "event" && v["event"]["question_id"] == sensitive
        })
        .await;
    assert_eq!(flagged["event"]["text"], SECRET_TEXT);
    let (status, staff_view) = dialogue
        .endpoint
        .get(
            &format!("/api/dialogues/{}", dialogue.id),
            Some(&dialogue.organizer),
        )
        .await;
    assert_eq!(status, 200);
    let q = staff_view["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == sensitive)
        .unwrap()
        .clone();
    let kinds: Vec<&str> = q["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"personnummer") && kinds.contains(&"street_address"),
        "{q}"
    );
    let redacted = q["redacted_text"].as_str().unwrap().to_string();
    assert!(
        !redacted.contains("811228") && !redacted.contains("Storgatan 12"),
        "{redacted}"
    );

    // Approve, approve the redaction in one action, reject the abuse.
    assert_eq!(mod_a.approve(lamp).await["type"], "ack");
    let ack = mod_a.submit(json!({"type": "approve", "question_id": sensitive, "expected": "pending", "text": redacted})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let ack = mod_b.submit(json!({"type": "reject", "question_id": abuse, "expected": "pending", "reason": "abusive"})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(mod_b.approve(to_police).await["type"], "ack");

    // The author of the rejected question learns why, privately.
    let notice = people[2]
        .wait_for("notice", |v| v["type"] == "notice")
        .await;
    assert_eq!(notice["question_id"], abuse);
    assert_eq!(notice["reason"], "abusive");

    // Everyone votes: participant i votes for the lamp question if i is even, all for the police question.
    for (i, p) in people.iter_mut().enumerate() {
        if i % 2 == 0 {
            p.wait_for("lamp published", |v| {
                v["type"] == "event"
                    && v["event"]["kind"] == "question_published"
                    && v["event"]["question"]["id"] == lamp
            })
            .await;
            assert_eq!(p.vote(lamp, true).await["type"], "ack");
        }
        p.wait_for("police question published", |v| {
            v["type"] == "event"
                && v["event"]["kind"] == "question_published"
                && v["event"]["question"]["id"] == to_police
        })
        .await;
        assert_eq!(p.vote(to_police, true).await["type"], "ack");
    }
    // A retried vote is harmless, and one participant changes their mind.
    assert_eq!(people[0].vote(lamp, true).await["type"], "ack");
    assert_eq!(people[1].vote(to_police, false).await["type"], "ack");

    let exact =
        |v: &Value| v["votes"][lamp.to_string()] == 10 && v["votes"][to_police.to_string()] == 19;
    for p in people.iter_mut() {
        p.live_until("exact tallies", exact).await;
    }
    screen
        .live_until("exact tallies on the screen", exact)
        .await;
    let present = screen.live.clone().unwrap()["present"].clone();
    assert_eq!(
        present["in_room"].as_u64().unwrap() + present["remote"].as_u64().unwrap(),
        20,
        "{present}"
    );

    // Now answering reaches everyone, panel and screen included.
    let ack = mod_a
        .submit(json!({"type": "set_now_answering", "question_id": to_police, "expected": null}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let now_seq = ack["seq"].as_u64().unwrap();
    for c in people.iter_mut().chain([
        &mut police,
        &mut politician,
        &mut staff,
        &mut screen,
        &mut mod_b,
    ]) {
        c.reach(now_seq).await;
        let last = c
            .events
            .iter()
            .rev()
            .find(|e| e["event"]["kind"] == "now_answering")
            .unwrap();
        assert_eq!(last["event"]["question_id"], to_police);
    }
    // The police answers from the dashboard.
    let ack = police
        .submit(json!({"type": "mark_answered", "question_id": to_police, "expected": "approved"}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let done = ack["seq"].as_u64().unwrap();

    // Nobody but staff and the authors ever saw pending or rejected text.
    for (i, c) in people.iter_mut().enumerate() {
        c.reach(done).await;
        if i != 1 {
            assert!(
                !c.ever_saw("811228-9874") && !c.ever_saw("Storgatan 12"),
                "participant {i} saw personal data"
            );
        }
        if i != 2 {
            assert!(
                !c.ever_saw(REJECTED_TEXT),
                "participant {i} saw rejected text"
            );
        }
    }
    for c in [&mut screen, &mut police, &mut politician, &mut staff] {
        c.reach(done).await;
        assert!(!c.ever_saw("811228-9874") && !c.ever_saw(REJECTED_TEXT) && !c.ever_saw("abusive"));
    }
    // The author saw their own words; moderators saw everything.
    assert!(people[1].welcome.is_object());
    assert!(mod_b.ever_saw(REJECTED_TEXT));
}

#[tokio::test]
async fn a_pending_question_reaches_nobody_else_until_approved() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut anna = dialogue.participant().await;
    let mut bo = dialogue.participant().await;
    let mut screen = dialogue.screen().await;
    let q = anna.ask("Varför är det så mörkt i parken?").await;
    let received = bo.event("question_received").await;
    assert_eq!(received["event"]["question_id"], q);
    screen.event("question_received").await;
    let frames = bo.drain_for(Duration::from_millis(300)).await;
    assert!(!bo.ever_saw("mörkt"), "{frames:?}");
    assert!(!screen.ever_saw("mörkt"));
    // Anna's own pending question is hers to see after a reload.
    let token_again = anna.welcome.clone();
    assert_eq!(token_again["role"], "participant");
}

#[tokio::test]
async fn a_retried_submission_gets_the_same_question_and_no_duplicate() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut anna = dialogue.participant().await;
    let msg =
        json!({"type": "ask", "client_msg_id": "retry-1", "text": "Kan vi få mer belysning?"});
    anna.send(msg.clone()).await;
    let first = anna.reply("retry-1").await;
    anna.send(msg.clone()).await;
    let second = anna.reply("retry-1").await;
    assert_eq!(first, second, "a retry gets the original ack back");
    let moderator = dialogue.moderator().await;
    let questions = moderator.snapshot.as_ref().unwrap()["questions"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(questions, 1, "no duplicate question");
    // Even over a new connection, as after a lost ack.
    let token = dialogue.participant_token().await;
    let _ = token;
    moderator.close().await;
}

#[tokio::test]
async fn two_moderators_acting_on_one_question_one_gets_a_conflict() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut anna = dialogue.participant().await;
    let q = anna.ask("Fråga om trafiken").await;
    let mut a = dialogue.moderator().await;
    let mut b = dialogue.moderator().await;
    let approve =
        json!({"type": "approve", "client_msg_id": "a1", "question_id": q, "expected": "pending"});
    let reject = json!({"type": "reject", "client_msg_id": "b1", "question_id": q, "expected": "pending", "reason": "off_topic"});
    // Both are in flight at once; the dialogue's single writer orders them.
    let (_, _) = tokio::join!(a.send(approve), b.send(reject));
    let (ra, rb) = tokio::join!(a.reply("a1"), b.reply("b1"));
    let kinds = [ra["type"].as_str().unwrap(), rb["type"].as_str().unwrap()];
    assert!(
        kinds.contains(&"ack") && kinds.contains(&"error"),
        "{ra} {rb}"
    );
    let err = if ra["type"] == "error" { ra } else { rb };
    assert_eq!(err["code"], "conflict");
    assert_eq!(err["retryable"], false);
}

#[tokio::test]
async fn muted_and_banned_participants_are_refused_and_a_ban_closes_the_connection() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut troll = dialogue.participant().await;
    let mut moderator = dialogue.moderator().await;
    let ack = moderator
        .submit(json!({"type": "mute", "participant_id": troll.you()}))
        .await;
    assert_eq!(ack["type"], "ack");
    let refused = troll.submit(json!({"type": "ask", "text": "x"})).await;
    assert_eq!(refused["code"], "muted");
    let token = dialogue.participant_token().await;
    let mut spammer = crate::harness::Client::connect(&dialogue.endpoint.ws, &token, None).await;
    let ack = moderator
        .submit(json!({"type": "ban", "participant_id": spammer.you()}))
        .await;
    assert_eq!(ack["type"], "ack");
    assert_eq!(spammer.closed_with().await, Some(4403));
    // Coming back with the same identity is refused at the door.
    let mut again = crate::harness::Client::connect_with_hello(
        &dialogue.endpoint.ws,
        json!({"type": "hello", "v": 1, "token": token}),
    )
    .await;
    assert_eq!(again.closed_with().await, Some(4403));
}
