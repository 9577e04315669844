//! Polls through a meeting: exact results under concurrent answering and retries.

use crate::harness::{Client, TestApp};
use futures_util::future::join_all;
use serde_json::{Value, json};

const PEOPLE: usize = 30;
const POLL_QUESTION: &str = "Känner du dig trygg i Axelsbergsparken på kvällen?";

fn counts(v: &Value) -> Vec<u64> {
    v["counts"]
        .as_array()
        .unwrap_or_else(|| panic!("no counts in {v}"))
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_through_a_meeting_has_exact_results_under_concurrent_answers_and_retries() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut moderator = dialogue.moderator().await;
    let mut screen = dialogue.screen().await;
    let mut people: Vec<Client> = Vec::new();
    for _ in 0..PEOPLE {
        people.push(dialogue.participant().await);
    }

    // Prepared before anyone sees it.
    let ack = moderator
        .submit(
            json!({"type": "create_poll", "question": POLL_QUESTION, "poll_kind": "single",
                       "options": ["Ja", "Nej", "Vet inte"]}),
        )
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let poll = ack["poll_id"].as_u64().unwrap();
    screen.reach(ack["seq"].as_u64().unwrap()).await;
    assert!(
        !screen.ever_saw(POLL_QUESTION),
        "a prepared poll is staff only"
    );
    let early = people[0]
        .submit(json!({"type": "answer_poll", "poll_id": poll, "choices": [0]}))
        .await;
    assert_eq!(early["code"], "conflict", "{early}");

    let ack = moderator
        .submit(json!({"type": "open_poll", "poll_id": poll, "expected": "prepared"}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let published = screen.event("poll_published").await;
    assert_eq!(published["event"]["poll"]["question"], POLL_QUESTION);
    let again = moderator
        .submit(json!({"type": "open_poll", "poll_id": poll, "expected": "prepared"}))
        .await;
    assert_eq!(again["code"], "conflict", "{again}");

    // Everyone answers at once; every third changes their mind; every answer is
    // sent twice with the same key (a retry); and a retry of a first answer that
    // arrives after the change must not undo it.
    let finals: Vec<u16> = join_all(people.iter_mut().enumerate().map(|(i, p)| async move {
        let first = (i % 3) as u16;
        let key_first = p.key();
        let msg = |key: &str, choice: u16| {
            json!({"type": "answer_poll", "client_msg_id": key, "poll_id": poll, "choices": [choice]})
        };
        p.send(msg(&key_first, first)).await;
        p.send(msg(&key_first, first)).await;
        let a = p.reply(&key_first).await;
        let b = p.reply(&key_first).await;
        assert_eq!(a, b, "a retry gets the same ack");
        assert_eq!(a["type"], "ack", "{a}");
        assert!(a.get("seq").is_none(), "answers are not events: {a}");
        if i % 3 == 0 {
            let changed = (first + 1) % 3;
            let key = p.key();
            p.send(msg(&key, changed)).await;
            assert_eq!(p.reply(&key).await["type"], "ack");
            // The old submission, retried late: the same ack, no effect.
            p.send(msg(&key_first, first)).await;
            assert_eq!(p.reply(&key_first).await, a);
            changed
        } else {
            first
        }
    }))
    .await;
    let mut expected = vec![0u64; 3];
    for f in &finals {
        expected[usize::from(*f)] += 1;
    }

    // A bad answer changes nothing.
    let bad = people[1]
        .submit(json!({"type": "answer_poll", "poll_id": poll, "choices": [0, 1]}))
        .await;
    assert_eq!(bad["code"], "bad_request", "{bad}");
    let bad = people[1]
        .submit(json!({"type": "answer_poll", "poll_id": poll, "choices": [7]}))
        .await;
    assert_eq!(bad["code"], "bad_request", "{bad}");

    // Staff see the live results; the public do not until they are shown.
    let key = poll.to_string();
    let live = moderator
        .live_until("the exact live results", |l| {
            l["polls"]
                .get(&key)
                .is_some_and(|r| counts(r) == expected && r["respondents"] == PEOPLE as u64)
        })
        .await;
    assert_eq!(counts(&live["polls"][&key]), expected);
    let screen_live = screen.live_until("a live frame", |_| true).await;
    assert!(
        screen_live["polls"].get(&key).is_none(),
        "results are not public before shown: {screen_live}"
    );

    // Closing freezes the exact counts into the log.
    let ack = moderator
        .submit(json!({"type": "close_poll", "poll_id": poll, "expected": "open"}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let closed = moderator.event("poll_closed").await;
    assert_eq!(counts(&closed["event"]), expected, "{closed}");
    assert_eq!(closed["event"]["respondents"], PEOPLE as u64);
    let public_closed = screen.event("poll_closed").await;
    assert!(
        public_closed["event"].get("counts").is_none(),
        "{public_closed}"
    );
    let late = people[2]
        .submit(json!({"type": "answer_poll", "poll_id": poll, "choices": [1]}))
        .await;
    assert_eq!(late["code"], "conflict", "no answers after closing: {late}");

    // Shown on the venue screen, live and in the public record of the dialogue.
    let ack = moderator
        .submit(json!({"type": "show_poll_results", "poll_id": poll, "shown": true}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    screen
        .live_until("the shown results", |l| {
            l["polls"].get(&key).is_some_and(|r| counts(r) == expected)
        })
        .await;
    let (status, public) = dialogue
        .endpoint
        .get(&format!("/api/public/{}", dialogue.code), None)
        .await;
    assert_eq!(status, 200);
    let shown = &public["polls"][0];
    assert_eq!(shown["question"], POLL_QUESTION);
    assert_eq!(shown["state"], "closed");
    assert_eq!(counts(&shown["results"]), expected, "{public}");

    // The public record keeps them, as data and on the page.
    let (_, record) = dialogue
        .endpoint
        .get(&format!("/d/{}/record.json", dialogue.code), None)
        .await;
    assert_eq!(counts(&record["polls"][0]["results"]), expected, "{record}");
    let (_, _, page) = dialogue
        .endpoint
        .get_text(&format!("/d/{}", dialogue.code), None)
        .await;
    assert!(
        page.contains(POLL_QUESTION),
        "the record page shows the poll"
    );

    // A participant coming back sees the same.
    let late_comer = dialogue.participant().await;
    let snapshot = late_comer.snapshot.as_ref().expect("a snapshot");
    assert_eq!(counts(&snapshot["polls"][0]["results"]), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scale_poll_takes_one_of_five_and_a_withdrawn_answer_is_not_counted() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let mut moderator = dialogue.moderator().await;
    let anna_token = dialogue.participant_token().await;
    let mut anna = Client::connect(&dialogue.endpoint.ws, &anna_token, None).await;
    let mut bo = dialogue.participant().await;
    let ack = moderator
        .submit(json!({"type": "create_poll", "question": "Hur trygg känner du dig?", "poll_kind": "scale"}))
        .await;
    let poll = ack["poll_id"].as_u64().unwrap();
    moderator
        .submit(json!({"type": "open_poll", "poll_id": poll, "expected": "prepared"}))
        .await;
    for (p, choice) in [(&mut anna, 4), (&mut bo, 1)] {
        let a = p
            .submit(json!({"type": "answer_poll", "poll_id": poll, "choices": [choice]}))
            .await;
        assert_eq!(a["type"], "ack", "{a}");
    }
    // Coming back, a participant sees their own answer to the open poll.
    let again = Client::connect(&dialogue.endpoint.ws, &anna_token, None).await;
    assert_eq!(
        again.welcome["my_answers"],
        json!([{"poll_id": poll, "choices": [4]}])
    );
    let withdrawn = bo
        .submit(json!({"type": "answer_poll", "poll_id": poll, "choices": []}))
        .await;
    assert_eq!(withdrawn["type"], "ack");
    moderator
        .submit(json!({"type": "close_poll", "poll_id": poll, "expected": "open"}))
        .await;
    let closed = moderator.event("poll_closed").await;
    assert_eq!(counts(&closed["event"]), vec![0, 0, 0, 0, 1]);
    assert_eq!(closed["event"]["respondents"], 1);
}
