//! Votes and poll answers from identities created in a burst from one address
//! are flagged to moderators and counted apart in the record, with the rule in
//! words; never shown to participants; no longer counted apart once the identity
//! entered the room code; and the same after a restart on the same SQLite file.

use crate::harness::{Client, Dialogue, TestServer};
use serde_json::{Value, json};

/// Two joins from an address within the window, then burst identities.
const ENV: [(&str, &str); 1] = [("DIALOGHUB_STUFFING__BURST_JOINS", "2")];

async fn floor_question(moderator: &mut Client, text: &str) -> u64 {
    let ack = moderator
        .submit(json!({"type": "floor_question", "text": text}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack["question_id"].as_u64().unwrap()
}

/// The moderator's `live` until it holds these burst figures: votes per
/// question and the poll's burst answers per option.
async fn staff_live_shows(
    moderator: &mut Client,
    what: &str,
    votes: &[(u64, u64, u64)],
    poll: u64,
    burst_counts: [u64; 2],
) -> Value {
    moderator
        .live_until(what, |l| {
            let counted = votes.iter().all(|(q, all, burst)| {
                l["votes"][q.to_string()] == *all
                    && (l["burst_votes"][q.to_string()] == *burst
                        || (*burst == 0 && l["burst_votes"].get(q.to_string()).is_none()))
            });
            let results = &l["polls"][poll.to_string()];
            counted
                && results["respondents"] == 4
                && results["burst"]["counts"] == json!(burst_counts)
                && results["burst"]["respondents"] == burst_counts.iter().sum::<u64>()
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_and_poll_answers_of_burst_identities_are_flagged_to_staff_and_counted_apart_in_the_record()
 {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with_env(dir.path(), &ENV).await;
    let organizer = server.organizer().await;
    let dialogue = server.endpoint.live_dialogue(&organizer).await;
    let mut moderator = dialogue.moderator().await;
    let mut screen = dialogue.screen().await;
    let lamps = floor_question(&mut moderator, "När tänds lamporna i parken?").await;
    let bus = floor_question(&mut moderator, "Kan nattbussen gå oftare?").await;
    let poll = moderator
        .submit(
            json!({"type": "create_poll", "question": "Känner du dig trygg på torget?",
            "poll_kind": "single", "options": ["Ja", "Nej"]}),
        )
        .await["poll_id"]
        .as_u64()
        .unwrap();
    let opened = moderator
        .submit(json!({"type": "open_poll", "poll_id": poll, "expected": "prepared"}))
        .await;
    assert_eq!(opened["type"], "ack", "{opened}");

    // Five identities from one address: the first two are people who vote for
    // the lamps and say "Ja"; the other three were made in a burst. Of those,
    // one votes for the lamps and the bus and says "Nej", one only votes, and
    // one only says "Nej" (so each kind of flag alone must survive a restart).
    let mut people = Vec::new();
    for i in 0..5 {
        let token = dialogue.participant_token().await;
        let burst = dialogue.endpoint.tokens.verify(&token).unwrap().burst;
        assert_eq!(burst, i >= 2, "identity {i}");
        let mut p = Client::connect(&dialogue.endpoint.ws, &token, None).await;
        if i != 4 {
            assert_eq!(p.vote(lamps, true).await["type"], "ack");
        }
        if i == 2 || i == 3 {
            assert_eq!(p.vote(bus, true).await["type"], "ack");
        }
        if i != 3 {
            let choice = u64::from(burst);
            let ack = p
                .submit(json!({"type": "answer_poll", "poll_id": poll, "choices": [choice]}))
                .await;
            assert_eq!(ack["type"], "ack", "{ack}");
        }
        people.push(p);
    }

    // Staff see the burst share beside each tally and each poll result.
    let live = staff_live_shows(
        &mut moderator,
        "the burst identities' votes and answers apart",
        &[(lamps, 4, 2), (bus, 2, 2)],
        poll,
        [0, 2],
    )
    .await;
    assert_eq!(live["polls"][poll.to_string()]["counts"], json!([2, 2]));

    // A participant sees the tallies and, once shown, the poll, but never the flag.
    let shown = moderator
        .submit(json!({"type": "show_poll_results", "poll_id": poll, "shown": true}))
        .await;
    assert_eq!(shown["type"], "ack", "{shown}");
    let anna = &mut people[0];
    let seen = anna
        .live_until("the tallies and the shown poll", |l| {
            l["votes"][lamps.to_string()] == 4 && l["polls"][poll.to_string()]["respondents"] == 4
        })
        .await;
    assert!(seen.get("burst_votes").is_none(), "{seen}");
    assert!(
        seen["polls"][poll.to_string()].get("burst").is_none(),
        "{seen}"
    );
    assert!(!anna.ever_saw("burst"), "a participant saw a burst flag");
    assert!(
        !people[2].ever_saw("burst"),
        "a burst identity saw its flag"
    );

    // One burst identity types the room code from the screen: it is present, and
    // what it voted and answered no longer counts apart.
    let code = screen
        .wait_for("room code", |v| v["type"] == "room_code")
        .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let entered = people[2]
        .submit(json!({"type": "enter_room", "code": code}))
        .await;
    assert_eq!(entered["type"], "ack", "{entered}");
    staff_live_shows(
        &mut moderator,
        "one left apart after one entered the room code",
        &[(lamps, 4, 1), (bus, 2, 1)],
        poll,
        [0, 1],
    )
    .await;
    for p in people {
        p.close().await;
    }

    // The flags are stored with the votes and answers: after a crash the server
    // counts the same.
    server.kill_9().await;
    let server = TestServer::start_with_env(dir.path(), &ENV).await;
    let dialogue = Dialogue {
        endpoint: server.endpoint.clone(),
        ..dialogue
    };
    let mut moderator = dialogue.moderator().await;
    staff_live_shows(
        &mut moderator,
        "the same after a restart",
        &[(lamps, 4, 1), (bus, 2, 1)],
        poll,
        [0, 1],
    )
    .await;

    // The record: totals keep everyone, the burst share stands beside them.
    let closed = moderator
        .submit(json!({"type": "close_poll", "poll_id": poll, "expected": "open"}))
        .await;
    assert_eq!(closed["type"], "ack", "{closed}");
    let record = dialogue.close_and_read_record().await;
    let question = |id: u64| {
        record["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(question(lamps)["votes"], 4, "{record}");
    assert_eq!(question(lamps)["burst_votes"], 1, "{record}");
    assert_eq!(question(bus)["votes"], 2, "{record}");
    assert_eq!(question(bus)["burst_votes"], 1, "{record}");
    let results = &record["polls"][0]["results"];
    assert_eq!(results["counts"], json!([2, 2]), "{record}");
    assert_eq!(results["respondents"], 4, "{record}");
    assert_eq!(
        results["burst"],
        json!({"counts": [0, 1], "respondents": 1}),
        "{record}"
    );
    let counting = &record["figures"]["counting"];
    assert_eq!(counting["burst_votes"], 2, "{counting}");
    assert_eq!(counting["burst_respondents"], 1, "{counting}");
    assert!(
        counting["note"]
            .as_str()
            .unwrap()
            .contains("stuffing.burst_joins"),
        "{counting}"
    );

    // record.csv gives each question's burst votes beside its votes.
    let (_, _, csv) = dialogue
        .endpoint
        .get_text(&format!("/d/{}/record.csv", dialogue.code), None)
        .await;
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (id, votes, burst) = (at("question_id"), at("votes"), at("votes_burst"));
    let mut by_question: Vec<(String, String, String)> = rows
        .records()
        .map(Result::unwrap)
        .map(|r| {
            (
                r[id].to_string(),
                r[votes].to_string(),
                r[burst].to_string(),
            )
        })
        .collect();
    by_question.sort();
    let mut want = vec![
        (lamps.to_string(), "4".to_string(), "1".to_string()),
        (bus.to_string(), "2".to_string(), "1".to_string()),
    ];
    want.sort();
    assert_eq!(by_question, want, "{csv}");

    // The page says it in words, beside the figures.
    let (status, _, page) = dialogue
        .endpoint
        .get_text(&format!("/d/{}?lang=sv", dialogue.code), None)
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Röster: 4 (varav 1 från snabbskapade identiteter)"));
    assert!(page.contains("Antal som svarade: 4 (varav 1 från snabbskapade identiteter)"));
    assert!(page.contains("Så räknades rösterna"));
    let (_, _, page) = dialogue
        .endpoint
        .get_text(&format!("/d/{}?lang=en", dialogue.code), None)
        .await;
    assert!(page.contains("of which 1 from burst identities"));
}
