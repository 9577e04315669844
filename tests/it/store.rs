//! The store contract: run against every implementation that is reachable.

use crate::harness::{TestDb, report};
use dialoghub::domain::{QuestionId, VoteChange};
use dialoghub::store::{
    self, Batch, Created, Head, NewDialogue, SavedAck, Store, StoreError, StoredEvent,
};
use std::any::Any;
use std::sync::Arc;
use uuid::Uuid;

/// Keeps a store's files or database alive for the test.
type Guard = Box<dyn Any + Send>;

/// Every reachable implementation: SQLite always, PostgreSQL (a database of the
/// test's own) when `DATABASE_URL` is set.
async fn stores(test: &str) -> Vec<(String, Arc<dyn Store>, Guard)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("contract.db").display());
    let mut all: Vec<(String, Arc<dyn Store>, Guard)> = vec![(
        "sqlite".into(),
        store::open(&url).await.unwrap(),
        Box::new(dir),
    )];
    if let Some(db) = TestDb::create(test).await {
        let pg = store::open(&db.url).await.expect("PostgreSQL store opens");
        all.push(("postgres".into(), pg, Box::new(db)));
    }
    all
}

fn event(seq: u64) -> StoredEvent {
    StoredEvent {
        seq,
        at: 1000 + seq as i64,
        actor: r#"{"role":"organizer","id":"00000000-0000-0000-0000-000000000000"}"#.into(),
        body: format!(r#"{{"kind":"now_answering","question_id":{seq}}}"#),
    }
}

fn new_dialogue(code: &str, key: Option<&str>, by: Uuid) -> NewDialogue {
    NewDialogue {
        id: Uuid::new_v4(),
        code: code.into(),
        epoch: 7,
        created_at: 1,
        created_by: by,
        idempotency_key: key.map(Into::into),
        first: event(1),
    }
}

#[tokio::test]
async fn the_log_is_gap_free_and_appends_are_compare_and_set() {
    for (name, store, _dir) in
        stores("store::the_log_is_gap_free_and_appends_are_compare_and_set").await
    {
        let d = new_dialogue("AAAAAA", None, Uuid::new_v4());
        assert_eq!(
            store.create_dialogue(&d).await.unwrap(),
            Created::New,
            "{name}"
        );
        let batch = [event(2), event(3)];
        store
            .append(
                d.id,
                1,
                Batch {
                    answers: &[],
                    events: &batch,
                    votes: &[],
                    acks: &[],
                },
            )
            .await
            .unwrap();
        // A writer that decided on an old head is told so, and nothing is written.
        let stale = [event(2)];
        let err = store
            .append(
                d.id,
                1,
                Batch {
                    answers: &[],
                    events: &stale,
                    votes: &[],
                    acks: &[],
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    expected: 1,
                    actual: 3
                }
            ),
            "{name}: {err}"
        );
        let record = store.load(d.id).await.unwrap().unwrap();
        let seqs: Vec<u64> = record.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3], "{name}");
        assert_eq!(
            store.events_after(d.id, 1).await.unwrap().len(),
            2,
            "{name}"
        );
    }
}

#[tokio::test]
async fn votes_and_acks_commit_with_the_events() {
    for (name, store, _dir) in stores("store::votes_and_acks_commit_with_the_events").await {
        let d = new_dialogue("BBBBBB", None, Uuid::new_v4());
        store.create_dialogue(&d).await.unwrap();
        let p = Uuid::new_v4();
        let on = [VoteChange {
            question: QuestionId(1),
            participant: p,
            on: true,
        }];
        let ack = [SavedAck {
            actor_id: p,
            client_msg_id: "v1".into(),
            ack: r#"{"client_msg_id":"v1"}"#.into(),
        }];
        store
            .append(
                d.id,
                1,
                Batch {
                    answers: &[],
                    events: &[],
                    votes: &on,
                    acks: &ack,
                },
            )
            .await
            .unwrap();
        let record = store.load(d.id).await.unwrap().unwrap();
        assert_eq!(record.votes, vec![(1, p)], "{name}");
        assert_eq!(record.acks, ack.to_vec(), "{name}");
        // The same idempotency key twice is refused by the store itself, as a
        // `Duplicate` (the log moved on), not as the store being unavailable.
        let err = store
            .append(
                d.id,
                1,
                Batch {
                    answers: &[],
                    events: &[],
                    votes: &[],
                    acks: &ack,
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate), "{name}: {err}");
        assert_eq!(
            store
                .saved_acks(d.id, &[(p, "v1".into()), (p, "other".into())])
                .await
                .unwrap(),
            ack.to_vec(),
            "{name}"
        );
        let off = [VoteChange { on: false, ..on[0] }];
        store
            .append(
                d.id,
                1,
                Batch {
                    answers: &[],
                    events: &[],
                    votes: &off,
                    acks: &[],
                },
            )
            .await
            .unwrap();
        assert!(
            store.load(d.id).await.unwrap().unwrap().votes.is_empty(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn creating_with_the_same_key_gives_the_same_dialogue_and_codes_are_unique() {
    for (name, store, _dir) in
        stores("store::creating_with_the_same_key_gives_the_same_dialogue_and_codes_are_unique")
            .await
    {
        let organizer = Uuid::new_v4();
        let first = new_dialogue("CCCCCC", Some("create-1"), organizer);
        assert_eq!(store.create_dialogue(&first).await.unwrap(), Created::New);
        let retry = new_dialogue("DDDDDD", Some("create-1"), organizer);
        assert_eq!(
            store.create_dialogue(&retry).await.unwrap(),
            Created::Existing(first.id),
            "{name}"
        );
        let clash = new_dialogue("CCCCCC", None, organizer);
        assert_eq!(
            store.create_dialogue(&clash).await.unwrap(),
            Created::CodeTaken,
            "{name}"
        );
        assert_eq!(store.find_code("CCCCCC").await.unwrap(), Some(first.id));
        assert_eq!(
            store.list_dialogues(organizer).await.unwrap(),
            vec![first.id]
        );
    }
}

#[tokio::test]
async fn heads_count_events_and_vote_changes() {
    for (name, store, _guard) in stores("store::heads_count_events_and_vote_changes").await {
        let d = new_dialogue("EEEEEE", None, Uuid::new_v4());
        store.create_dialogue(&d).await.unwrap();
        let unknown = Uuid::new_v4();
        let head = |seq, votes_version| Head {
            seq,
            votes_version,
            epoch: 7,
        };
        assert_eq!(
            store.heads(&[d.id, unknown]).await.unwrap(),
            vec![(d.id, head(1, 0))],
            "{name}"
        );
        let vote = |on| {
            [VoteChange {
                question: QuestionId(1),
                participant: d.created_by,
                on,
            }]
        };
        // An append returns the votes version after it, so a node can tell its own
        // vote commits from another node's.
        let version = store
            .append(
                d.id,
                1,
                Batch {
                    answers: &[],
                    events: &[event(2)],
                    votes: &[],
                    acks: &[],
                },
            )
            .await
            .unwrap();
        assert_eq!(version, 0, "{name}");
        assert_eq!(
            store.heads(&[d.id]).await.unwrap(),
            vec![(d.id, head(2, 0))],
            "{name}"
        );
        // A vote-only commit leaves the log alone but bumps the votes' version, so a
        // node that did not make it still notices.
        let version = store
            .append(
                d.id,
                2,
                Batch {
                    answers: &[],
                    events: &[],
                    votes: &vote(true),
                    acks: &[],
                },
            )
            .await
            .unwrap();
        assert_eq!(version, 1, "{name}");
        assert_eq!(
            store.heads(&[d.id]).await.unwrap(),
            vec![(d.id, head(2, 1))],
            "{name}"
        );
        assert_eq!(
            store.votes(d.id).await.unwrap(),
            vec![(1, d.created_by)],
            "{name}"
        );
        // On and off in one batch: the last one wins.
        let both = [vote(true)[0], vote(false)[0]];
        let version = store
            .append(
                d.id,
                2,
                Batch {
                    answers: &[],
                    events: &[],
                    votes: &both,
                    acks: &[],
                },
            )
            .await
            .unwrap();
        assert_eq!(version, 2, "{name}");
        assert!(store.votes(d.id).await.unwrap().is_empty(), "{name}");
        assert_eq!(
            store.heads(&[d.id]).await.unwrap(),
            vec![(d.id, head(2, 2))],
            "{name}"
        );
    }
}

/// Writers on several nodes (here: several stores on one database, each with its own
/// connections) race for one dialogue. Each decides on the head it read, appends with
/// compare-and-set and, when it loses, reads again and retries. The log ends gap-free,
/// every writer's every event is in it exactly once, and each writer's events are in
/// the order it wrote them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_on_several_nodes_get_a_gap_free_log() {
    let Some(db) =
        TestDb::create("store::concurrent_writers_on_several_nodes_get_a_gap_free_log").await
    else {
        return;
    };
    const NODES: usize = 3;
    const WRITERS_PER_NODE: usize = 3;
    const EVENTS_EACH: usize = 20;
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        nodes.push(store::open(&db.url).await.unwrap());
    }
    let d = new_dialogue("FFFFFF", None, Uuid::new_v4());
    nodes[0].create_dialogue(&d).await.unwrap();
    let mut writers = Vec::new();
    for w in 0..NODES * WRITERS_PER_NODE {
        let store = nodes[w % NODES].clone();
        writers.push(tokio::spawn(async move {
            let mut conflicts = 0;
            for i in 0..EVENTS_EACH {
                // Bounded: a writer that loses this often means the CAS is broken.
                for attempt in 0.. {
                    assert!(attempt < 1000, "writer {w} starved");
                    let head = store.heads(&[d.id]).await.unwrap()[0].1.seq;
                    let mut e = event(head + 1);
                    e.body = format!(r#"{{"writer":{w},"i":{i}}}"#);
                    let acks = [SavedAck {
                        actor_id: Uuid::from_u128(w as u128),
                        client_msg_id: format!("w{w}-{i}"),
                        ack: "{}".into(),
                    }];
                    let batch = Batch {
                        answers: &[],
                        events: std::slice::from_ref(&e),
                        votes: &[],
                        acks: &acks,
                    };
                    match store.append(d.id, head, batch).await {
                        Ok(_) => break,
                        Err(StoreError::Conflict { expected, actual }) => {
                            assert!(actual > expected, "the head only grows");
                            conflicts += 1;
                        }
                        Err(e) => panic!("writer {w}: {e}"),
                    }
                }
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for w in writers {
        conflicts += w.await.unwrap();
    }
    let record = nodes[1].load(d.id).await.unwrap().unwrap();
    let total = NODES * WRITERS_PER_NODE * EVENTS_EACH;
    let seqs: Vec<u64> = record.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=total as u64 + 1).collect::<Vec<_>>(), "gap-free");
    let mut next = [0usize; NODES * WRITERS_PER_NODE];
    for e in &record.events[1..] {
        let v: serde_json::Value = serde_json::from_str(&e.body).unwrap();
        let w = v["writer"].as_u64().unwrap() as usize;
        assert_eq!(
            v["i"].as_u64().unwrap() as usize,
            next[w],
            "writer {w} in order, once each"
        );
        next[w] += 1;
    }
    assert!(next.iter().all(|n| *n == EVENTS_EACH));
    assert_eq!(record.acks.len(), total);
    report(&format!(
        "concurrent writers: {} writers on {NODES} nodes, {total} events, {conflicts} lost races retried",
        NODES * WRITERS_PER_NODE
    ));
}

#[tokio::test]
async fn poll_answers_are_set_not_toggled_beside_the_log_and_bump_the_votes_version() {
    use dialoghub::domain::{PollAnswer, PollId};
    for (name, store, _guard) in stores("poll_answers").await {
        let d = new_dialogue("POLL23", None, Uuid::new_v4());
        store.create_dialogue(&d).await.unwrap();
        let (anna, bo) = (Uuid::new_v4(), Uuid::new_v4());
        let answer = |who, choices: Vec<u16>| PollAnswer {
            poll: PollId(1),
            participant: who,
            choices,
        };
        // In one batch the last answer of each participant wins.
        let first = [
            answer(anna, vec![0]),
            answer(bo, vec![1, 2]),
            answer(anna, vec![2]),
        ];
        let batch = Batch {
            answers: &first,
            events: &[],
            votes: &[],
            acks: &[],
        };
        store.append(d.id, 1, batch).await.unwrap();
        store.append(d.id, 1, batch).await.unwrap();
        let mut held = store.poll_answers(d.id).await.unwrap();
        held.sort();
        let mut want = vec![(1, anna, vec![2]), (1, bo, vec![1, 2])];
        want.sort();
        assert_eq!(held, want, "{name}");
        let withdrawn = [answer(bo, vec![])];
        let batch = Batch {
            answers: &withdrawn,
            events: &[],
            votes: &[],
            acks: &[],
        };
        store.append(d.id, 1, batch).await.unwrap();
        let record = store.load(d.id).await.unwrap().unwrap();
        assert_eq!(record.poll_answers, vec![(1, anna, vec![2])], "{name}");
        let heads = store.heads(&[d.id]).await.unwrap();
        assert_eq!(
            heads[0].1.votes_version, 3,
            "{name}: other nodes learn of answers"
        );
    }
}

#[tokio::test]
async fn a_scrub_rewrites_events_pseudonymises_rows_and_bumps_the_epoch() {
    use dialoghub::domain::{PollAnswer, PollId};
    use dialoghub::store::Scrub;
    for (name, store, _guard) in stores("scrub").await {
        let d = new_dialogue("SCRB23", None, Uuid::new_v4());
        store.create_dialogue(&d).await.unwrap();
        let (anna, pseudonym) = (Uuid::new_v4(), Uuid::new_v4());
        let votes = [VoteChange {
            question: QuestionId(2),
            participant: anna,
            on: true,
        }];
        let answers = [PollAnswer {
            poll: PollId(1),
            participant: anna,
            choices: vec![1],
        }];
        let acks = [SavedAck {
            actor_id: anna,
            client_msg_id: "k1".into(),
            ack: r#"{"client_msg_id":"k1"}"#.into(),
        }];
        let batch = Batch {
            answers: &answers,
            events: &[event(2)],
            votes: &votes,
            acks: &acks,
        };
        store.append(d.id, 1, batch).await.unwrap();
        let mut rewritten = event(2);
        rewritten.body = r#"{"kind":"now_answering","question_id":null}"#.into();
        let scrub = Scrub {
            rewrites: vec![rewritten.clone()],
            pseudonyms: vec![(anna, pseudonym)],
            delete_submissions_of: vec![anna],
            ..Scrub::default()
        };
        store.scrub(d.id, &scrub).await.unwrap();
        let record = store.load(d.id).await.unwrap().unwrap();
        assert_eq!(record.epoch, 8, "{name}: a rebuilt log has a new epoch");
        assert_eq!(record.events[1], rewritten, "{name}");
        assert_eq!(record.votes, vec![(2, pseudonym)], "{name}");
        assert_eq!(record.poll_answers, vec![(1, pseudonym, vec![1])], "{name}");
        assert!(record.acks.is_empty(), "{name}");
        let scrub = Scrub {
            delete_answers_of_polls: vec![1],
            delete_all_submissions: true,
            ..Scrub::default()
        };
        store.scrub(d.id, &scrub).await.unwrap();
        assert!(store.poll_answers(d.id).await.unwrap().is_empty(), "{name}");
        // The audit horizon only moves forward: an older one deletes nothing more.
        let audited = store.audit_entries(d.id).await.unwrap().len();
        assert_eq!(store.purge_audit_before(0).await.unwrap(), 0, "{name}");
        assert_eq!(store.audit_entries(d.id).await.unwrap().len(), audited);
        let gone = store.purge_audit_before(i64::MAX).await.unwrap();
        assert!(gone as usize >= audited, "{name}");
        assert_eq!(store.purge_audit_before(0).await.unwrap(), 0, "{name}");
        assert!(
            store.audit_entries(d.id).await.unwrap().is_empty(),
            "{name}"
        );
    }
}

/// A full batch: more votes than one statement takes, and the same vote turned on
/// and off within it; the store keeps each participant's last change, and every ack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_batch_keeps_the_last_change_of_each_vote_and_every_ack() {
    for (name, store, _dir) in stores("store::a_large_batch_keeps_the_last_change").await {
        let d = new_dialogue("CCCCCC", None, Uuid::new_v4());
        store.create_dialogue(&d).await.unwrap();
        let people: Vec<Uuid> = (0..700).map(|_| Uuid::new_v4()).collect();
        let mut votes = Vec::new();
        let mut acks = Vec::new();
        for (i, p) in people.iter().enumerate() {
            // Everyone votes on question 1; every third turns it off again;
            // every fifth votes on question 2 off, then on.
            votes.push(VoteChange {
                question: QuestionId(1),
                participant: *p,
                on: true,
            });
            if i % 3 == 0 {
                votes.push(VoteChange {
                    question: QuestionId(1),
                    participant: *p,
                    on: false,
                });
            }
            if i % 5 == 0 {
                votes.push(VoteChange {
                    question: QuestionId(2),
                    participant: *p,
                    on: false,
                });
                votes.push(VoteChange {
                    question: QuestionId(2),
                    participant: *p,
                    on: true,
                });
            }
            acks.push(SavedAck {
                actor_id: *p,
                client_msg_id: format!("v{i}"),
                ack: format!(r#"{{"client_msg_id":"v{i}"}}"#),
            });
        }
        let batch = Batch {
            events: &[],
            votes: &votes,
            acks: &acks,
            answers: &[],
        };
        store.append(d.id, 1, batch).await.unwrap();
        let record = store.load(d.id).await.unwrap().unwrap();
        let count = |q: u64| record.votes.iter().filter(|(qq, _)| *qq == q).count();
        assert_eq!(count(1), 700 - 234, "{name}: 234 of 700 turned it off");
        assert_eq!(count(2), 140, "{name}");
        assert_eq!(record.acks.len(), 700, "{name}");
        // Then a second batch turns 300 of the first question's votes off at once.
        let off: Vec<VoteChange> = people[1..]
            .iter()
            .take(400)
            .map(|p| VoteChange {
                question: QuestionId(1),
                participant: *p,
                on: false,
            })
            .collect();
        let batch = Batch {
            events: &[],
            votes: &off,
            acks: &[],
            answers: &[],
        };
        store.append(d.id, 1, batch).await.unwrap();
        let record = store.load(d.id).await.unwrap().unwrap();
        let left = record.votes.iter().filter(|(q, _)| *q == 1).count();
        assert_eq!(left, 700 - 234 - (400 - 133), "{name}");
    }
}
