//! Following a walk from home without joining: a socket that says `hello` with
//! the walk's join code and no token sees the leaders move the groups on and
//! approved observations arrive, each with its `seq`, never a pending
//! observation's text; it may send nothing, is not counted as present, and
//! after a lost connection resumes from its last `seq` without missing a thing.
//! An address may hold only so many followers; a wrong code is not found.

use crate::harness::{Client, TestApp};
use crate::walks::{create_walk, greeted, meeting_code, ok, walker};
use serde_json::{Value, json};

/// What a pending observation says; no follower may ever read it.
const PENDING_MARK: &str = "Kanelbullegränd";

fn follow_hello(code: &str) -> Value {
    json!({"type": "hello", "v": 1, "follow": code})
}

/// A follower of `code`, once its welcome and snapshot are in.
async fn follow(app: &TestApp, code: &str) -> Client {
    greeted(Client::connect_with_hello(&app.endpoint.ws, follow_hello(code)).await).await
}

/// The first frame of a refused follow and the close code.
async fn refused_follow(app: &TestApp, hello: Value) -> (Value, Option<u16>) {
    let mut c = Client::connect_with_hello(&app.endpoint.ws, hello).await;
    let code = c.closed_with().await;
    let error = c.wait_for("the error", |v| v["type"] == "error").await;
    (error, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_without_a_token_sees_the_walk_move_and_resumes_without_a_gap() {
    let app = TestApp::spawn_with(|s| {
        s.limits.messages_burst = 1_000;
        s.limits.messages_per_sec = 1_000;
        s.limits.followers_per_ip = 3;
    })
    .await;
    let e = app.endpoint.clone();
    let before = meeting_code(&app, "Trygghetsdialog före vandringen").await;
    let after = meeting_code(&app, "Uppföljning efter vandringen").await;
    let walk = create_walk(&app, &before, &after).await;

    // A draft is not found, as on the public page.
    let (error, code) = refused_follow(&app, follow_hello(&walk.code)).await;
    assert_eq!(
        (error["code"].as_str(), code),
        (Some("not_found"), Some(4404))
    );
    let (status, body) = e
        .post(
            &format!("/api/dialogues/{}/phase", walk.id),
            &app.organizer,
            json!({"phase": "live", "expected": "draft"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut organizer = crate::walks::organizer_socket(&app, walk.id).await;
    let mut walker = walker(&e, &walk.code, "in_room").await;

    let mut follower = follow(&app, &walk.code).await;
    assert_eq!(follower.welcome["role"], "follower", "{}", follower.welcome);
    assert_eq!(follower.welcome["mine"], json!([]));
    let snapshot = follower.snapshot.clone().unwrap();
    assert_eq!(snapshot["walk"]["stops"].as_array().unwrap().len(), 4);
    assert!(snapshot["walk"]["groups"][0]["at"].is_null(), "{snapshot}");
    assert!(snapshot.get("pending").is_none(), "no moderator's queue");

    // The leader moves group 1 on: the follower hears it, at the next seq.
    let seq = follower.seq;
    ok(
        &mut organizer,
        json!({"type": "move_group", "group": 1, "to": 1, "expected": null}),
    )
    .await;
    let moved = follower.event("group_moved").await;
    assert_eq!(moved["event"]["at"], 1, "{moved}");
    assert_eq!(moved["seq"].as_u64(), Some(seq + 1), "{moved}");

    // Two observations: one stays pending, one is approved.
    let observe = |text: &str| json!({"type": "observe", "text": text, "group": 1, "category": "lighting", "felt_safety": 2});
    let pending = ok(
        &mut walker,
        observe(&format!("Trasig lampa vid {PENDING_MARK} 4")),
    )
    .await;
    let shown = ok(&mut walker, observe("Mörkt i tunneln, lampan blinkar")).await;
    let shown_id = shown["question_id"].as_u64().unwrap();
    ok(
        &mut organizer,
        json!({"type": "approve", "question_id": shown_id, "expected": "pending"}),
    )
    .await;
    let published = follower
        .wait_for("the approved observation", |v| {
            v["event"]["kind"] == "question_published" && v["event"]["question"]["id"] == shown_id
        })
        .await;
    assert!(published["seq"].as_u64().unwrap() > seq + 1, "{published}");
    assert_eq!(
        published["event"]["question"]["text"],
        "Mörkt i tunneln, lampan blinkar"
    );
    assert_eq!(published["event"]["observation"]["stop"], 1, "{published}");
    assert_eq!(published["event"]["observation"]["category"], "lighting");
    // The pending one arrived as an id only.
    let pending_id = pending["question_id"].as_u64().unwrap();
    assert!(
        follower
            .events
            .iter()
            .any(|v| v["event"]["kind"] == "question_received"
                && v["event"]["question_id"] == pending_id),
        "the pending observation's id, without its text"
    );

    // A follower only reads: every submission is refused, and nothing it sent
    // reached the walk (the organizer's log did not move).
    let log_head = || async {
        let (status, view) = e
            .get(&format!("/api/dialogues/{}", walk.id), Some(&app.organizer))
            .await;
        assert_eq!(status, 200, "{view}");
        view["seq"].as_u64().unwrap()
    };
    let head = log_head().await;
    for msg in [
        json!({"type": "ask", "text": "Får jag fråga?"}),
        observe("Från soffan"),
        json!({"type": "vote", "question_id": shown_id, "on": true}),
        json!({"type": "move_group", "group": 1, "to": 2, "expected": 1}),
    ] {
        let reply = follower.submit(msg.clone()).await;
        assert_eq!(reply["code"], "forbidden", "{msg} -> {reply}");
    }
    // Nor is it counted as present: the walker alone is here.
    let live = organizer
        .live_until("presence", |l| l["present"]["in_room"] == 1)
        .await;
    assert_eq!(live["present"]["remote"], 0, "{live}");
    assert_eq!(
        log_head().await,
        head,
        "nothing from the follower was logged"
    );

    // The connection is lost; meanwhile the group moves on and one more
    // observation is approved. Resuming from its last seq, it misses nothing.
    let (epoch, last) = (follower.epoch, follower.seq);
    let seen_before = follower.raw.clone();
    follower.close().await;
    ok(
        &mut organizer,
        json!({"type": "move_group", "group": 1, "to": 2, "expected": 1}),
    )
    .await;
    let later = ok(&mut walker, observe("Buskarna skymmer gångvägen")).await;
    let later_id = later["question_id"].as_u64().unwrap();
    ok(
        &mut organizer,
        json!({"type": "approve", "question_id": later_id, "expected": "pending"}),
    )
    .await;
    let mut hello = follow_hello(&walk.code);
    hello["resume"] = json!({"epoch": epoch, "seq": last});
    let mut back = Client::connect_with_hello(&e.ws, hello).await;
    back.welcome = back.wait_for("welcome", |v| v["type"] == "welcome").await;
    assert_eq!(back.welcome["recovered"], true, "{}", back.welcome);
    (back.epoch, back.seq) = (epoch, last);
    let head = back.welcome["seq"].as_u64().unwrap();
    // The harness checks each replayed event is the one after the last.
    back.reach(head).await;
    assert!(back.snapshot.is_none());
    assert!(
        back.events
            .iter()
            .any(|v| v["event"]["kind"] == "group_moved" && v["event"]["at"] == 2)
    );
    assert!(back.events.iter().any(|v| {
        v["event"]["kind"] == "question_published" && v["event"]["question"]["id"] == later_id
    }));

    // Never a pending observation's text, before or after the reconnect.
    assert!(!seen_before.iter().any(|f| f.contains(PENDING_MARK)));
    assert!(!back.ever_saw(PENDING_MARK));
    assert!(!back.ever_saw(&walker.you()), "no participant's id");

    // Three followers from one address at most; a fourth is refused until one leaves.
    let mut others = vec![
        follow(&app, &walk.code).await,
        follow(&app, &walk.code).await,
    ];
    let (error, code) = refused_follow(&app, follow_hello(&walk.code)).await;
    assert_eq!(
        (error["code"].as_str(), code),
        (Some("rate_limited"), Some(4429))
    );
    others.pop().unwrap().close().await;
    let mut again = None;
    for _ in 0..50 {
        let mut c = Client::connect_with_hello(&e.ws, follow_hello(&walk.code)).await;
        let first = c.wait_for("welcome or error", |_| true).await;
        if first["type"] == "welcome" {
            again = Some(c);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        again.is_some(),
        "a slot is given back when a follower leaves"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_hello_is_a_join_code_alone() {
    let app = TestApp::spawn().await;
    let d = app.live_dialogue().await;
    let (error, code) = refused_follow(&app, follow_hello("ZZZZZZ")).await;
    assert_eq!(
        (error["code"].as_str(), code),
        (Some("not_found"), Some(4404))
    );
    let token = d.participant_token().await;
    let mut with_token = follow_hello(&d.code);
    with_token["token"] = json!(token);
    let (error, code) = refused_follow(&app, with_token).await;
    assert_eq!(
        (error["code"].as_str(), code),
        (Some("bad_request"), Some(4400))
    );
    let mut placed = follow_hello(&d.code);
    placed["location"] = json!("in_room");
    let (error, code) = refused_follow(&app, placed).await;
    assert_eq!(
        (error["code"].as_str(), code),
        (Some("bad_request"), Some(4400))
    );
    // A meeting's public side may be followed as a walk's.
    let f = follow(&app, &d.code).await;
    assert_eq!(f.welcome["role"], "follower");
}
