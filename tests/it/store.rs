//! The store contract: every method of `Store`, on every implementation, as a
//! test of its own per backend (`store::sqlite::…`, `store::postgres::…`), so a
//! failure on one backend never hides the other's result.
//!
//! PostgreSQL needs `DATABASE_URL` (each test gets a database of its own);
//! without it the PostgreSQL tests say they were skipped, and under CI they fail.

use crate::harness::{TestDb, report};
use dialoghub::domain::{Actor, Event, PollAnswer, PollId, QuestionId, Recorded, VoteChange};
use dialoghub::log;
use dialoghub::store::{
    self, AuditEntry, Batch, Created, Head, NewDialogue, SavedAck, Scrub, Store, StoreError,
    StoredEvent,
};
use std::any::Any;
use std::sync::Arc;
use uuid::Uuid;

/// A store under test, the URL it was opened with, and what keeps its files or
/// database alive.
struct Backend {
    name: &'static str,
    url: String,
    store: Arc<dyn Store>,
    _guard: Box<dyn Any + Send>,
}

impl Backend {
    /// Another store on the same data, like another node (or process) would open.
    async fn another_node(&self) -> Arc<dyn Store> {
        store::open(&self.url).await.unwrap()
    }
}

async fn sqlite(_test: &str) -> Option<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("contract.db").display());
    Some(Backend {
        name: "sqlite",
        store: store::open(&url).await.unwrap(),
        url,
        _guard: Box::new(dir),
    })
}

async fn postgres(test: &str) -> Option<Backend> {
    let db = TestDb::create(test).await?;
    Some(Backend {
        name: "postgres",
        store: store::open(&db.url).await.expect("PostgreSQL store opens"),
        url: db.url.clone(),
        _guard: Box::new(db),
    })
}

/// One test per contract and backend: `store::<backend>::<contract>`.
macro_rules! contract {
    ($($contract:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $contract() {
                    let test = concat!("store::sqlite::", stringify!($contract));
                    if let Some(b) = super::sqlite(test).await {
                        super::$contract(&b).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $contract() {
                    let test = concat!("store::postgres::", stringify!($contract));
                    if let Some(b) = super::postgres(test).await {
                        super::$contract(&b).await;
                    }
                }
            )*
        }
    };
}

contract!(
    the_log_is_gap_free_and_appends_are_compare_and_set,
    votes_and_acks_commit_with_the_events,
    creating_with_the_same_key_gives_the_same_dialogue_and_codes_are_unique,
    heads_count_events_and_vote_changes,
    concurrent_writers_on_several_nodes_get_a_gap_free_log,
    poll_answers_are_set_not_toggled_beside_the_log_and_bump_the_votes_version,
    a_scrub_rewrites_events_pseudonymises_rows_and_bumps_the_epoch,
    a_large_batch_keeps_the_last_change_of_each_vote_and_every_ack,
    votes_and_answers_keep_their_burst_flag,
    staff_events_and_appended_actions_make_the_audit_trail,
    every_dialogue_is_listed_and_a_live_store_answers_a_ping_until_closed,
    the_attendance_peak_is_kept_and_only_ever_raised,
    mail_notes_are_queued_once_and_each_is_claimed_by_one_node,
);

const ORGANIZER: Uuid = Uuid::from_u128(0x0f);

/// A row as the hub writes it: an organizer's event through the log's codec.
fn logged(seq: u64, event: Event) -> StoredEvent {
    log::encode(&Recorded {
        seq,
        at: 1000 + seq as i64,
        by: Actor::Organizer(ORGANIZER),
        event,
    })
}

fn event(seq: u64) -> StoredEvent {
    logged(
        seq,
        Event::NowAnswering {
            question: Some(QuestionId(seq)),
        },
    )
}

fn new_dialogue(code: &str, key: Option<&str>, by: Uuid) -> NewDialogue {
    NewDialogue {
        id: Uuid::new_v4(),
        code: code.into(),
        epoch: 7,
        created_at: 1,
        created_by: by,
        idempotency_key: key.map(Into::into),
        district: dialoghub::domain::access::DistrictId::default_district(),
        first: event(1),
    }
}

fn batch<'a>(
    events: &'a [StoredEvent],
    votes: &'a [VoteChange],
    answers: &'a [PollAnswer],
    acks: &'a [SavedAck],
) -> Batch<'a> {
    Batch {
        events,
        votes,
        answers,
        acks,
    }
}

async fn the_log_is_gap_free_and_appends_are_compare_and_set(b: &Backend) {
    let (name, store) = (b.name, &b.store);
    let d = new_dialogue("AAAAAA", None, Uuid::new_v4());
    assert_eq!(store.create_dialogue(&d).await.unwrap(), Created::New);
    let events = [event(2), event(3)];
    store
        .append(d.id, 1, batch(&events, &[], &[], &[]))
        .await
        .unwrap();
    // A writer that decided on an old head is told so, and nothing is written.
    let stale = [event(2)];
    let err = store
        .append(d.id, 1, batch(&stale, &[], &[], &[]))
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
    assert_eq!(record.code, "AAAAAA");
    assert_eq!(record.epoch, 7);
    assert_eq!(record.events, [d.first.clone(), event(2), event(3)]);
    assert_eq!(store.events_after(d.id, 1).await.unwrap(), events);
    assert!(store.events_after(d.id, 3).await.unwrap().is_empty());
    // An unknown dialogue is not found, not an error.
    let unknown = Uuid::new_v4();
    assert!(store.load(unknown).await.unwrap().is_none());
    let err = store
        .append(unknown, 0, batch(&[], &[], &[], &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{name}: {err}");
}

async fn votes_and_acks_commit_with_the_events(b: &Backend) {
    let (name, store) = (b.name, &b.store);
    let d = new_dialogue("BBBBBB", None, Uuid::new_v4());
    store.create_dialogue(&d).await.unwrap();
    let p = Uuid::new_v4();
    let on = [VoteChange {
        question: QuestionId(1),
        participant: p,
        on: true,
        burst: false,
    }];
    let ack = [SavedAck {
        actor_id: p,
        client_msg_id: "v1".into(),
        ack: r#"{"client_msg_id":"v1"}"#.into(),
    }];
    store
        .append(d.id, 1, batch(&[], &on, &[], &ack))
        .await
        .unwrap();
    let record = store.load(d.id).await.unwrap().unwrap();
    assert_eq!(record.votes, vec![(1, p, false)]);
    assert_eq!(record.acks, ack.to_vec());
    // The same idempotency key twice is refused by the store itself, as a
    // `Duplicate` (the log moved on), not as the store being unavailable; and the
    // batch it came in is not committed.
    let second = [event(2)];
    let err = store
        .append(d.id, 1, batch(&second, &[], &[], &ack))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate), "{name}: {err}");
    assert_eq!(store.heads(&[d.id]).await.unwrap()[0].1.seq, 1);
    assert_eq!(
        store
            .saved_acks(d.id, &[(p, "v1".into()), (p, "other".into())])
            .await
            .unwrap(),
        ack.to_vec()
    );
    assert!(store.saved_acks(d.id, &[]).await.unwrap().is_empty());
    let off = [VoteChange { on: false, ..on[0] }];
    store
        .append(d.id, 1, batch(&[], &off, &[], &[]))
        .await
        .unwrap();
    assert!(store.load(d.id).await.unwrap().unwrap().votes.is_empty());
}

async fn creating_with_the_same_key_gives_the_same_dialogue_and_codes_are_unique(b: &Backend) {
    let store = &b.store;
    let organizer = Uuid::new_v4();
    let first = new_dialogue("CCCCCC", Some("create-1"), organizer);
    assert_eq!(store.create_dialogue(&first).await.unwrap(), Created::New);
    let retry = new_dialogue("DDDDDD", Some("create-1"), organizer);
    assert_eq!(
        store.create_dialogue(&retry).await.unwrap(),
        Created::Existing(first.id)
    );
    let clash = new_dialogue("CCCCCC", None, organizer);
    assert_eq!(
        store.create_dialogue(&clash).await.unwrap(),
        Created::CodeTaken
    );
    // Neither the retry nor the clash left anything behind.
    assert!(store.load(retry.id).await.unwrap().is_none());
    assert!(store.load(clash.id).await.unwrap().is_none());
    let later = new_dialogue("GGGGGG", Some("create-2"), organizer);
    assert_eq!(store.create_dialogue(&later).await.unwrap(), Created::New);
    assert_eq!(store.find_code("CCCCCC").await.unwrap(), Some(first.id));
    assert_eq!(store.find_code("ZZZZZZ").await.unwrap(), None);
    let mut listed = store.list_dialogues(organizer).await.unwrap();
    listed.sort();
    let mut want = vec![first.id, later.id];
    want.sort();
    assert_eq!(listed, want);
    assert!(
        store
            .list_dialogues(Uuid::new_v4())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn heads_count_events_and_vote_changes(b: &Backend) {
    let store = &b.store;
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
        vec![(d.id, head(1, 0))]
    );
    assert!(store.heads(&[]).await.unwrap().is_empty());
    let vote = |on| {
        [VoteChange {
            question: QuestionId(1),
            participant: d.created_by,
            on,
            burst: false,
        }]
    };
    // An append returns the votes version after it, so a node can tell its own
    // vote commits from another node's.
    let version = store
        .append(d.id, 1, batch(&[event(2)], &[], &[], &[]))
        .await
        .unwrap();
    assert_eq!(version, 0);
    assert_eq!(
        store.heads(&[d.id]).await.unwrap(),
        vec![(d.id, head(2, 0))]
    );
    // A vote-only commit leaves the log alone but bumps the votes' version, so a
    // node that did not make it still notices.
    let version = store
        .append(d.id, 2, batch(&[], &vote(true), &[], &[]))
        .await
        .unwrap();
    assert_eq!(version, 1);
    assert_eq!(
        store.heads(&[d.id]).await.unwrap(),
        vec![(d.id, head(2, 1))]
    );
    assert_eq!(
        store.votes(d.id).await.unwrap(),
        vec![(1, d.created_by, false)]
    );
    // On and off in one batch: the last one wins.
    let both = [vote(true)[0], vote(false)[0]];
    let version = store
        .append(d.id, 2, batch(&[], &both, &[], &[]))
        .await
        .unwrap();
    assert_eq!(version, 2);
    assert!(store.votes(d.id).await.unwrap().is_empty());
    assert_eq!(
        store.heads(&[d.id]).await.unwrap(),
        vec![(d.id, head(2, 2))]
    );
}

/// Writers on several nodes (here: several stores on one database or file, each
/// with its own connections) race for one dialogue. Each decides on the head it
/// read, appends with compare-and-set and, when it loses, reads again and
/// retries. The log ends gap-free, every writer's every event is in it exactly
/// once, and each writer's events are in the order it wrote them.
async fn concurrent_writers_on_several_nodes_get_a_gap_free_log(b: &Backend) {
    const NODES: usize = 3;
    const WRITERS_PER_NODE: usize = 3;
    const EVENTS_EACH: usize = 20;
    let mut nodes = vec![b.store.clone()];
    for _ in 1..NODES {
        nodes.push(b.another_node().await);
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
                    // Who wrote it and which of theirs it is, as two question ids.
                    let e = logged(
                        head + 1,
                        Event::UpNextSet {
                            questions: vec![QuestionId(w as u64), QuestionId(i as u64)],
                        },
                    );
                    let acks = [SavedAck {
                        actor_id: Uuid::from_u128(w as u128),
                        client_msg_id: format!("w{w}-{i}"),
                        ack: "{}".into(),
                    }];
                    match store
                        .append(d.id, head, batch(std::slice::from_ref(&e), &[], &[], &acks))
                        .await
                    {
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
    let mut next = [0u64; NODES * WRITERS_PER_NODE];
    for e in &record.events[1..] {
        let Event::UpNextSet { questions } = log::decode(e).unwrap().event else {
            panic!("event {} is not one of the writers'", e.seq);
        };
        let (w, i) = (questions[0].0 as usize, questions[1].0);
        assert_eq!(i, next[w], "writer {w} in order, once each");
        next[w] += 1;
    }
    assert!(next.iter().all(|n| *n == EVENTS_EACH as u64));
    assert_eq!(record.acks.len(), total);
    report(&format!(
        "concurrent writers on {}: {} writers on {NODES} nodes, {total} events, {conflicts} lost races retried",
        b.name,
        NODES * WRITERS_PER_NODE
    ));
}

async fn poll_answers_are_set_not_toggled_beside_the_log_and_bump_the_votes_version(b: &Backend) {
    let store = &b.store;
    let d = new_dialogue("POLL23", None, Uuid::new_v4());
    store.create_dialogue(&d).await.unwrap();
    let (anna, bo) = (Uuid::new_v4(), Uuid::new_v4());
    let answer = |who, choices: Vec<u16>| PollAnswer {
        poll: PollId(1),
        participant: who,
        choices,
        burst: false,
    };
    // In one batch the last answer of each participant wins.
    let first = [
        answer(anna, vec![0]),
        answer(bo, vec![1, 2]),
        answer(anna, vec![2]),
    ];
    store
        .append(d.id, 1, batch(&[], &[], &first, &[]))
        .await
        .unwrap();
    store
        .append(d.id, 1, batch(&[], &[], &first, &[]))
        .await
        .unwrap();
    let mut held = store.poll_answers(d.id).await.unwrap();
    held.sort();
    let mut want = vec![(1, anna, vec![2], false), (1, bo, vec![1, 2], false)];
    want.sort();
    assert_eq!(held, want);
    let withdrawn = [answer(bo, vec![])];
    store
        .append(d.id, 1, batch(&[], &[], &withdrawn, &[]))
        .await
        .unwrap();
    let record = store.load(d.id).await.unwrap().unwrap();
    assert_eq!(record.poll_answers, vec![(1, anna, vec![2], false)]);
    let heads = store.heads(&[d.id]).await.unwrap();
    assert_eq!(heads[0].1.votes_version, 3, "other nodes learn of answers");
}

async fn a_scrub_rewrites_events_pseudonymises_rows_and_bumps_the_epoch(b: &Backend) {
    let store = &b.store;
    let d = new_dialogue("SCRB23", None, Uuid::new_v4());
    store.create_dialogue(&d).await.unwrap();
    let (anna, pseudonym) = (Uuid::new_v4(), Uuid::new_v4());
    let votes = [VoteChange {
        question: QuestionId(2),
        participant: anna,
        on: true,
        burst: true,
    }];
    let answers = [PollAnswer {
        poll: PollId(1),
        participant: anna,
        choices: vec![1],
        burst: true,
    }];
    let acks = [SavedAck {
        actor_id: anna,
        client_msg_id: "k1".into(),
        ack: r#"{"client_msg_id":"k1"}"#.into(),
    }];
    store
        .append(d.id, 1, batch(&[event(2)], &votes, &answers, &acks))
        .await
        .unwrap();
    let rewritten = logged(2, Event::NowAnswering { question: None });
    let scrub = Scrub {
        rewrites: vec![rewritten.clone()],
        pseudonyms: vec![(anna, pseudonym)],
        delete_submissions_of: vec![anna],
        ..Scrub::default()
    };
    store.scrub(d.id, &scrub).await.unwrap();
    let record = store.load(d.id).await.unwrap().unwrap();
    assert_eq!(record.epoch, 8, "a rebuilt log has a new epoch");
    assert_eq!(record.events[1], rewritten);
    // The burst flag stays with the rows a pseudonym now holds.
    assert_eq!(record.votes, vec![(2, pseudonym, true)]);
    assert_eq!(record.poll_answers, vec![(1, pseudonym, vec![1], true)]);
    assert!(record.acks.is_empty());
    let scrub = Scrub {
        delete_answers_of_polls: vec![1],
        delete_all_submissions: true,
        ..Scrub::default()
    };
    store.scrub(d.id, &scrub).await.unwrap();
    assert!(store.poll_answers(d.id).await.unwrap().is_empty());
    // The audit horizon only moves forward: an older one deletes nothing more.
    let audited = store.audit_entries(d.id).await.unwrap().len();
    assert!(audited > 0);
    assert_eq!(store.purge_audit_before(0).await.unwrap(), 0);
    assert_eq!(store.audit_entries(d.id).await.unwrap().len(), audited);
    let gone = store.purge_audit_before(i64::MAX).await.unwrap();
    assert!(gone as usize >= audited);
    assert_eq!(store.purge_audit_before(0).await.unwrap(), 0);
    assert!(store.audit_entries(d.id).await.unwrap().is_empty());
}

/// A full batch: more votes than one statement takes, and the same vote turned on
/// and off within it; the store keeps each participant's last change, and every ack.
async fn a_large_batch_keeps_the_last_change_of_each_vote_and_every_ack(b: &Backend) {
    let store = &b.store;
    let d = new_dialogue("CCCCCC", None, Uuid::new_v4());
    store.create_dialogue(&d).await.unwrap();
    let people: Vec<Uuid> = (0..700).map(|_| Uuid::new_v4()).collect();
    let mut votes = Vec::new();
    let mut acks = Vec::new();
    let vote = |question, participant, on| VoteChange {
        question: QuestionId(question),
        participant,
        on,
        burst: false,
    };
    for (i, p) in people.iter().enumerate() {
        // Everyone votes on question 1; every third turns it off again;
        // every fifth votes on question 2 off, then on.
        votes.push(vote(1, *p, true));
        if i % 3 == 0 {
            votes.push(vote(1, *p, false));
        }
        if i % 5 == 0 {
            votes.push(vote(2, *p, false));
            votes.push(vote(2, *p, true));
        }
        acks.push(SavedAck {
            actor_id: *p,
            client_msg_id: format!("v{i}"),
            ack: format!(r#"{{"client_msg_id":"v{i}"}}"#),
        });
    }
    store
        .append(d.id, 1, batch(&[], &votes, &[], &acks))
        .await
        .unwrap();
    let record = store.load(d.id).await.unwrap().unwrap();
    let count = |q: u64| record.votes.iter().filter(|(qq, _, _)| *qq == q).count();
    assert_eq!(count(1), 700 - 234, "234 of 700 turned it off");
    assert_eq!(count(2), 140);
    assert_eq!(record.acks.len(), 700);
    // Then a second batch turns 400 of the first question's votes off at once
    // (133 of them were off already).
    let off: Vec<VoteChange> = people[1..]
        .iter()
        .take(400)
        .map(|p| vote(1, *p, false))
        .collect();
    store
        .append(d.id, 1, batch(&[], &off, &[], &[]))
        .await
        .unwrap();
    let record = store.load(d.id).await.unwrap().unwrap();
    let left = record.votes.iter().filter(|(q, _, _)| *q == 1).count();
    assert_eq!(left, 700 - 234 - (400 - 133));
}

/// A vote or answer from a burst identity is stored flagged, in a batch of many
/// (more than one statement takes) and one at a time; a changed answer takes the
/// flag it was given with, and a vote set again keeps the one it had.
async fn votes_and_answers_keep_their_burst_flag(b: &Backend) {
    let store = &b.store;
    let d = new_dialogue("BRST23", None, Uuid::new_v4());
    store.create_dialogue(&d).await.unwrap();
    let people: Vec<Uuid> = (0..600).map(|_| Uuid::new_v4()).collect();
    let burst = |i: usize| i % 4 == 0;
    let votes: Vec<VoteChange> = (0..people.len())
        .map(|i| VoteChange {
            question: QuestionId(1),
            participant: people[i],
            on: true,
            burst: burst(i),
        })
        .collect();
    let answers: Vec<PollAnswer> = (0..people.len())
        .map(|i| PollAnswer {
            poll: PollId(1),
            participant: people[i],
            choices: vec![(i % 2) as u16],
            burst: burst(i),
        })
        .collect();
    store
        .append(d.id, 1, batch(&[], &votes, &answers, &[]))
        .await
        .unwrap();
    let record = store.load(d.id).await.unwrap().unwrap();
    assert_eq!(record.votes.len(), 600, "{}", b.name);
    for (_, p, flagged) in &record.votes {
        let i = people.iter().position(|x| x == p).unwrap();
        assert_eq!(*flagged, burst(i), "{}: vote {i}", b.name);
    }
    for (_, p, _, flagged) in &record.poll_answers {
        let i = people.iter().position(|x| x == p).unwrap();
        assert_eq!(*flagged, burst(i), "{}: answer {i}", b.name);
    }
    // Person 0 entered the room code: a new answer is unflagged, a vote set
    // again is the same row as before.
    let again = [VoteChange {
        burst: false,
        ..votes[0]
    }];
    let changed = [PollAnswer {
        choices: vec![1],
        burst: false,
        ..answers[0].clone()
    }];
    store
        .append(d.id, 1, batch(&[], &again, &changed, &[]))
        .await
        .unwrap();
    let votes_now = store.votes(d.id).await.unwrap();
    assert!(votes_now.contains(&(1, people[0], true)), "{}", b.name);
    let answers_now = store.poll_answers(d.id).await.unwrap();
    assert!(
        answers_now.contains(&(1, people[0], vec![1], false)),
        "{}",
        b.name
    );
    assert_eq!(
        answers_now.iter().filter(|a| a.3).count(),
        149,
        "{}: the other burst answers stay flagged",
        b.name
    );
}

/// Staff events become audit rows in the transaction that logs them (read with
/// the log's codec); actions that are not events are appended; participants'
/// own events are not in the trail.
async fn staff_events_and_appended_actions_make_the_audit_trail(b: &Backend) {
    let store = &b.store;
    let d = new_dialogue("AUDT23", None, Uuid::new_v4());
    store.create_dialogue(&d).await.unwrap();
    let participant = Uuid::new_v4();
    let asked = log::encode(&Recorded {
        seq: 2,
        at: 1002,
        by: Actor::Participant(participant),
        event: Event::QuestionAsked {
            question: QuestionId(1),
            text: dialoghub::domain::text::QuestionText::from_trusted("Hej".into()),
            display_name: None,
            addressee: None,
            origin: dialoghub::domain::Origin::Remote,
            approved: false,
            receipt: None,
            burst: false,
        },
    });
    let rejected = logged(
        3,
        Event::QuestionRejected {
            question: QuestionId(1),
            reason: dialoghub::domain::RejectReason::OffTopic,
        },
    );
    store
        .append(d.id, 1, batch(&[asked, rejected], &[], &[], &[]))
        .await
        .unwrap();
    let erased = AuditEntry {
        at: 5000,
        actor_role: "organizer".into(),
        actor_id: ORGANIZER,
        action: "participant_erased".into(),
        target: Some(format!("participant:{participant}")),
        event_seq: None,
        detail: Some(r#"{"questions_marked":1}"#.into()),
    };
    store.audit_append(d.id, &erased).await.unwrap();
    let rows = store.audit_entries(d.id).await.unwrap();
    let entries: Vec<&AuditEntry> = rows.iter().map(|r| &r.entry).collect();
    let staff = |seq: u64, action: &str, target: &str, detail: &str| AuditEntry {
        at: 1000 + seq as i64,
        actor_role: "organizer".into(),
        actor_id: ORGANIZER,
        action: action.into(),
        target: Some(target.into()),
        event_seq: Some(seq),
        detail: Some(detail.into()),
    };
    assert_eq!(
        entries,
        [
            &staff(1, "now_answering", "question:1", r#"{"question_id":1}"#),
            &staff(
                3,
                "question_rejected",
                "question:1",
                r#"{"question_id":1,"reason":"off_topic"}"#
            ),
            &erased,
        ]
    );
    assert!(rows.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    assert!(
        store
            .audit_entries(Uuid::new_v4())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn every_dialogue_is_listed_and_a_live_store_answers_a_ping_until_closed(b: &Backend) {
    let store = &b.store;
    store.ping().await.unwrap();
    let (one, two) = (
        new_dialogue("LIST01", None, Uuid::new_v4()),
        new_dialogue("LIST02", None, Uuid::new_v4()),
    );
    store.create_dialogue(&one).await.unwrap();
    store.create_dialogue(&two).await.unwrap();
    let ids = store.dialogue_ids().await.unwrap();
    assert!(ids.contains(&one.id) && ids.contains(&two.id), "{ids:?}");
    // Another node sees the same dialogues.
    let other = b.another_node().await;
    other.ping().await.unwrap();
    let mut theirs = other.dialogue_ids().await.unwrap();
    let mut ours = ids;
    theirs.sort();
    ours.sort();
    assert_eq!(theirs, ours);
    // A closed store refuses work instead of hanging.
    other.close().await;
    assert!(other.ping().await.is_err());
    store.ping().await.unwrap();
}

async fn the_attendance_peak_is_kept_and_only_ever_raised(b: &Backend) {
    use dialoghub::domain::Attendance;
    let store = &b.store;
    let d = new_dialogue("PEAK01", None, ORGANIZER);
    store.create_dialogue(&d).await.unwrap();
    let peak = |r: store::DialogueRecord| r.peak;
    assert_eq!(
        peak(store.load(d.id).await.unwrap().unwrap()),
        Attendance::default()
    );
    let seen = Attendance {
        in_room: 40,
        remote: 3,
        verified: 0,
    };
    store.keep_attendance_peak(d.id, seen).await.unwrap();
    // A lower figure (another node, or fewer people later) lowers neither part.
    let lower = Attendance {
        in_room: 12,
        remote: 9,
        verified: 0,
    };
    store.keep_attendance_peak(d.id, lower).await.unwrap();
    let kept = Attendance {
        in_room: 40,
        remote: 9,
        verified: 0,
    };
    assert_eq!(peak(store.load(d.id).await.unwrap().unwrap()), kept);
    // Another node reads it too, and giving back cached memory loses nothing.
    let other = b.another_node().await;
    other.release_memory().await;
    store.release_memory().await;
    assert_eq!(peak(other.load(d.id).await.unwrap().unwrap()), kept);
}

/// Every method of the `Store` trait is called by the contract above: a method
/// added to the trait without a contract test fails here.
#[test]
fn the_contract_calls_every_method_of_the_store() {
    let source = include_str!("store.rs");
    let trait_text = include_str!("../../src/store/mod.rs");
    let body = trait_text
        .split("pub trait Store")
        .nth(1)
        .and_then(|t| t.split("\n}\n").next())
        .expect("the Store trait");
    let methods: Vec<&str> = body
        .split("async fn ")
        .skip(1)
        .filter_map(|m| m.split('(').next())
        .collect();
    assert!(methods.len() >= 16, "{methods:?}");
    for m in methods {
        assert!(
            source.contains(&format!(".{m}(")),
            "the store contract never calls `{m}`"
        );
    }
}

/// E-mail notes: an address is confirmed by its single-use token before it is
/// listed, and goes unconfirmed after its time; one row per (subscription,
/// change) however often and by whom it is queued; two nodes claiming at once
/// get disjoint notes; a failed note waits until its next attempt; the
/// unsubscribe token works once.
async fn mail_notes_are_queued_once_and_each_is_claimed_by_one_node(b: &Backend) {
    use dialoghub::store::MailAddress;
    use dialoghub::store::mail::NewNote;
    let s = &b.store;
    let other = b.another_node().await;
    let dialogue = Uuid::new_v4();
    let first = MailAddress::new("forsta@example.org".into());
    let second = MailAddress::new("andra@example.org".into());
    // Each address starts unconfirmed with its confirmation queued; the same
    // address again queues nothing; another one replaces the first, afresh.
    for (store, question, address, now, queued) in [
        (s, 1, &first, 10, true),
        (s, 2, &first, 10, true),
        (&other, 2, &first, 11, false),
        (&other, 1, &second, 11, true),
    ] {
        let receipt = if question == 1 {
            "AAAAAA-BBBBBBBBBB"
        } else {
            "AAAAAA-CCCCCCCCCC"
        };
        let added = store
            .mail_subscribe(dialogue, question, receipt, address, "T", now)
            .await
            .unwrap();
        assert_eq!(added, queued, "{}: question {question} at {now}", b.name);
    }
    assert!(
        s.mail_subscriptions().await.unwrap().is_empty(),
        "none confirmed yet"
    );
    let confirmations = s.mail_claim("node-a", 12, 1000, 10).await.unwrap();
    assert_eq!(confirmations.len(), 2, "{}", b.name);
    for (i, n) in confirmations.iter().enumerate() {
        assert_eq!(n.change, "confirm");
        s.mail_set_tokens(&n.id, "node-a", "unused", Some(&format!("confirm-{i}")))
            .await
            .unwrap();
        s.mail_sent(&n.id, 13, false).await.unwrap();
    }
    assert!(s.mail_confirm("confirm-0", 14).await.unwrap());
    assert!(
        !other.mail_confirm("confirm-0", 14).await.unwrap(),
        "single use"
    );
    assert!(other.mail_confirm("confirm-1", 14).await.unwrap());
    let subs = s.mail_subscriptions().await.unwrap();
    assert_eq!(subs.len(), 2, "{}", b.name);
    for sub in &subs {
        let note = NewNote {
            subscription: &sub.id,
            change: "fate",
            fate: "answered_live",
            title: "T",
            last: false,
            now: 20,
        };
        assert!(s.mail_enqueue(&note).await.unwrap());
        assert!(!other.mail_enqueue(&note).await.unwrap(), "queued once");
        assert!(!s.mail_enqueue(&note).await.unwrap(), "queued once");
    }
    let (a, b2) = tokio::join!(
        s.mail_claim("node-a", 30, 1000, 10),
        other.mail_claim("node-b", 30, 1000, 10)
    );
    let (a, b2) = (a.unwrap(), b2.unwrap());
    assert_eq!(a.len() + b2.len(), 2, "each note claimed by one node");
    let mut claimed: Vec<_> = a
        .iter()
        .map(|n| (n, "node-a"))
        .chain(b2.iter().map(|n| (n, "node-b")))
        .collect();
    claimed.sort_by_key(|(n, _)| n.receipt.clone());
    assert_eq!(claimed[0].0.address, second, "the newer address");
    assert!(
        s.mail_claim("node-c", 40, 1000, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    let ((sent, _), (failed, owner)) = (claimed[0], claimed[1]);
    s.mail_sent(&sent.id, 50, false).await.unwrap();
    s.mail_failed(&failed.id, owner, 2000).await.unwrap();
    assert!(
        s.mail_claim("node-c", 1500, 3000, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let again = other.mail_claim("node-c", 2000, 3000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].id.as_str(), again[0].attempts),
        (failed.id.as_str(), 1)
    );
    s.mail_set_tokens(&again[0].id, "node-c", "hash-of-token", None)
        .await
        .unwrap();
    assert!(s.mail_unsubscribe_token("hash-of-token").await.unwrap());
    assert!(
        !other.mail_unsubscribe_token("hash-of-token").await.unwrap(),
        "single use"
    );
    assert_eq!(s.mail_subscription_count().await.unwrap(), 1);
    // An address never confirmed goes once its time is up; a confirmed one stays.
    assert!(
        s.mail_subscribe(dialogue, 3, "AAAAAA-DDDDDDDDDD", &first, "T", 100)
            .await
            .unwrap()
    );
    assert_eq!(s.mail_forget_unconfirmed(100).await.unwrap(), 0, "not yet");
    assert_eq!(other.mail_forget_unconfirmed(101).await.unwrap(), 1);
    assert_eq!(s.mail_subscription_count().await.unwrap(), 1);
    assert_eq!(s.mail_forget(dialogue, &[1, 2]).await.unwrap(), 1);
    assert_eq!(s.mail_subscription_count().await.unwrap(), 0);
    assert!(
        s.mail_claim("node-c", 9000, 10_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "the notes went with it"
    );
}
