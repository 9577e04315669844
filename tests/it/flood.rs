//! Flood limits that keep the meeting usable: questions waiting for a moderator
//! are capped per participant and per dialogue, with a clear refusal, so fresh
//! identities cannot bury the moderator's queue.

use crate::harness::{Client, TestApp};
use dialoghub::domain::text::QuestionText;
use dialoghub::domain::{Actor, Event, Origin, QuestionId, Recorded};
use dialoghub::store::Batch;
use serde_json::{Value, json};

async fn ask(c: &mut Client, text: &str) -> Value {
    c.submit(json!({"type": "ask", "text": text})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_questions_are_capped_per_participant_and_per_dialogue() {
    let app = TestApp::spawn_with(|s| {
        s.limits.pending_questions_per_participant = 3;
        s.limits.pending_questions_per_dialogue = 5;
    })
    .await;
    let d = app.live_dialogue().await;
    let mut moderator = d.moderator().await;
    let (mut anna, mut bo, mut carl) = (
        d.participant().await,
        d.participant().await,
        d.participant().await,
    );

    let mut annas = Vec::new();
    for i in 0..3 {
        let ack = ask(&mut anna, &format!("Annas fråga {i} om gatlyktorna")).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        annas.push(ack["question_id"].as_u64().unwrap());
    }
    let refused = ask(&mut anna, "Annas fjärde fråga").await;
    assert_eq!(refused["code"], "too_many_pending", "{refused}");
    assert_eq!(refused["retryable"], false);
    assert!(
        refused["message"].as_str().unwrap().contains("yours"),
        "{refused}"
    );

    // Once a moderator handles one, she may ask again.
    assert_eq!(moderator.approve(annas[0]).await["type"], "ack");
    assert_eq!(ask(&mut anna, "Annas fjärde fråga").await["type"], "ack");

    // Three of Anna's and two of Bo's fill the dialogue's queue.
    for i in 0..2 {
        assert_eq!(ask(&mut bo, &format!("Bos fråga {i}")).await["type"], "ack");
    }
    let refused = ask(&mut carl, "Carls första fråga").await;
    assert_eq!(refused["code"], "too_many_pending", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("the dialogue's"),
        "{refused}"
    );
    // A question from the floor is never refused.
    let floor = moderator
        .submit(json!({"type": "floor_question", "text": "Från salen: när öppnar fritidsgården?"}))
        .await;
    assert_eq!(floor["type"], "ack", "{floor}");

    // The moderator's view holds exactly the accepted questions.
    let (status, view) = app
        .endpoint
        .get(&format!("/api/dialogues/{}", d.id), Some(&app.organizer))
        .await;
    assert_eq!(status, 200);
    let pending = view["questions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["status"] == "pending")
        .count();
    assert_eq!(pending, 5, "{view}");
}

/// Reads the whole queue in `order` through `pending_page`, from `after`.
async fn read_queue(moderator: &mut Client, order: &str, mut after: Value) -> Vec<u64> {
    let mut ids = Vec::new();
    loop {
        let id = moderator.key();
        moderator
            .send(json!({"type": "read_pending", "client_msg_id": id, "order": order, "after": after}))
            .await;
        let page = moderator
            .wait_for("a page of the queue", |v| v["client_msg_id"] == id.as_str())
            .await;
        assert_eq!(page["type"], "pending_page", "{page}");
        let questions = page["questions"].as_array().unwrap();
        assert!(questions.len() <= 50, "a page holds at most 50");
        for q in questions {
            assert_eq!(q["status"], "pending", "{q}");
            ids.push(q["id"].as_u64().unwrap());
        }
        after = page["next"].clone();
        if after.is_null() {
            return ids;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooded_queue_reaches_the_moderator_in_pages_and_each_question_once() {
    const FLOOD: usize = 10_000;
    const ASKED: usize = 200;
    let app = TestApp::spawn_with(|s| {
        s.limits.pending_questions_per_participant = FLOOD;
        s.limits.pending_questions_per_dialogue = FLOOD;
        s.limits.messages_burst = 100_000;
        s.limits.messages_per_sec = 100_000;
    })
    .await;
    let d = app.live_dialogue().await;
    let mut asked = std::collections::BTreeSet::new();
    let mut flooder = d.participant().await;
    let mut keys = Vec::new();
    for i in 0..ASKED {
        let id = flooder.key();
        let text = format!("Fråga {i} om belysningen vid torget");
        flooder
            .send(json!({"type": "ask", "client_msg_id": id, "text": text}))
            .await;
        keys.push(id);
    }
    for id in keys {
        let ack = flooder.reply(&id).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        asked.insert(ack["question_id"].as_u64().unwrap());
    }
    flooder.close().await;
    // The rest of the flood comes as another node would commit it (asking
    // 10,000 questions one by one through a debug build takes minutes): 100
    // identities, appended to the store; this node catches up by the head poll.
    let head = app.store.heads(&[d.id]).await.unwrap()[0].1.seq;
    let authors: Vec<uuid::Uuid> = (0..100).map(|_| uuid::Uuid::new_v4()).collect();
    let events: Vec<_> = (1..=(FLOOD - ASKED) as u64)
        .map(|i| {
            let question = asked.last().unwrap() + i;
            asked.insert(question);
            dialoghub::log::encode(&Recorded {
                seq: head + i,
                at: 1_795_617_463_460 + i as i64,
                by: Actor::Participant(authors[i as usize % authors.len()]),
                event: Event::QuestionAsked {
                    question: QuestionId(question),
                    text: QuestionText::from_trusted(format!("Flodfråga {i} om torget")),
                    display_name: None,
                    addressee: None,
                    origin: Origin::Remote,
                    approved: false,
                    receipt: None,
                    burst: false,
                },
            })
        })
        .collect();
    let batch = Batch {
        events: &events,
        votes: &[],
        answers: &[],
        acks: &[],
    };
    app.store.append(d.id, head, batch).await.unwrap();
    assert_eq!(asked.len(), FLOOD);

    // The moderator joins once this node has caught up with the whole flood.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut moderator = loop {
        let m = d.moderator().await;
        if m.snapshot.as_ref().unwrap()["pending"]["count"] == FLOOD {
            break m;
        }
        assert!(std::time::Instant::now() < deadline, "never caught up");
        m.close().await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    // The moderator's snapshot stays small: the flood before the fix made it 6.6 MB.
    let snapshot = moderator.snapshot.clone().expect("a snapshot");
    let bytes = moderator
        .raw
        .iter()
        .find(|t| t.starts_with(r#"{"type":"snapshot""#))
        .map(String::len)
        .unwrap();
    assert!(bytes < 100_000, "the staff snapshot is {bytes} bytes");
    let pending = &snapshot["pending"];
    assert_eq!(pending["count"], FLOOD, "{pending}");
    assert_eq!(pending["page_size"], 50);
    let shown = snapshot["questions"].as_array().unwrap();
    assert!(shown.len() <= 100, "{} questions shown", shown.len());
    let newest: Vec<u64> = pending["newest"]["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(newest.len(), 50);
    assert_eq!(newest[0], *asked.last().unwrap(), "newest first");

    // Paging on from the snapshot's first page, and from the start in the
    // other order, shows every pending question exactly once.
    let mut all = newest.clone();
    all.extend(read_queue(&mut moderator, "newest", pending["newest"]["next"].clone()).await);
    let voted = read_queue(&mut moderator, "most_voted", Value::Null).await;
    for (order, ids) in [("newest", &all), ("most_voted", &voted)] {
        let unique: std::collections::BTreeSet<u64> = ids.iter().copied().collect();
        assert_eq!(ids.len(), FLOOD, "{order}: {} ids", ids.len());
        assert_eq!(unique, asked, "{order}");
    }
    assert!(
        all.windows(2).all(|w| w[0] > w[1]),
        "newest first throughout"
    );

    // Only staff read the queue.
    let mut participant = d.participant().await;
    let id = participant.key();
    participant
        .send(json!({"type": "read_pending", "client_msg_id": id, "order": "newest"}))
        .await;
    let refused = participant.reply(&id).await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
}

fn loopback(last: u8) -> std::net::IpAddr {
    std::net::IpAddr::from([127, 0, 0, last])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_fresh_identities_from_one_address_leaves_room_for_the_meeting() {
    // The defaults scaled down by ten: 5 pending per participant, 200 per
    // dialogue, a quarter of it for burst identities; 20 joins make a burst.
    const FLOOD: usize = 100;
    const REAL: u8 = 20;
    let app = TestApp::spawn_with(|s| {
        s.limits.pending_questions_per_participant = 5;
        s.limits.pending_questions_per_dialogue = 200;
        s.limits.pending_burst_share_percent = 25;
        s.stuffing.burst_joins = 20;
        s.stuffing.burst_window_secs = 60;
    })
    .await;
    let d = app.live_dialogue().await;
    let flood_address = loopback(2);

    // A hundred identities from one address, each asking until refused.
    let (mut accepted, mut refused_as_burst) = (0, 0);
    for i in 0..FLOOD {
        let token = d.participant_token_from(flood_address).await;
        // The server sees the address the flood comes from: beyond the first
        // twenty, its identities are burst identities.
        let burst = d.endpoint.tokens.verify(&token).unwrap().burst;
        assert_eq!(burst, i >= 20, "identity {i}");
        let mut flooder = Client::try_connect_from(&d.endpoint.ws, &token, flood_address)
            .await
            .unwrap();
        for n in 0.. {
            let reply = ask(&mut flooder, &format!("Flodfråga {i}.{n} om torget")).await;
            if reply["type"] == "ack" {
                accepted += 1;
                continue;
            }
            assert_eq!(reply["code"], "too_many_pending", "{reply}");
            let message = reply["message"].as_str().unwrap();
            if burst && message.contains("burst") {
                refused_as_burst += 1;
            }
            break;
        }
        flooder.close().await;
    }
    // The first twenty fill their own five each; the other eighty share fifty:
    // ten of them fill it, the other seventy are refused at their first.
    assert_eq!(accepted, 20 * 5 + 50, "accepted from the flood");
    assert_eq!(refused_as_burst, 70);

    // Twenty people of the meeting, each from an address of their own, ask once.
    let mut acknowledged = 0;
    for n in 0..REAL {
        let address = loopback(if n == 0 { 1 } else { 2 + n });
        let token = d.participant_token_from(address).await;
        assert!(!d.endpoint.tokens.verify(&token).unwrap().burst);
        let mut person = Client::try_connect_from(&d.endpoint.ws, &token, address)
            .await
            .unwrap();
        let reply = ask(&mut person, &format!("Fråga {n} från mötet om belysningen")).await;
        if reply["type"] == "ack" {
            acknowledged += 1;
        } else {
            eprintln!("refused: {reply}");
        }
        person.close().await;
    }
    assert_eq!(
        acknowledged, REAL,
        "all of the meeting's questions acknowledged"
    );

    // The moderator's view marks the burst identities' questions.
    let moderator = d.moderator().await;
    let snapshot = moderator.snapshot.clone().expect("a snapshot");
    assert_eq!(snapshot["pending"]["count"], 20 * 5 + 50 + REAL as usize);
}
