//! SQLite's group commit across dialogues (`store/group.rs`): appends that
//! arrive while the writer is busy share one transaction and one sync, each
//! batch in a savepoint of its own, and none is answered before its commit.
//!
//! The writer is held busy the way another process would: a second connection
//! to the same file holds SQLite's write lock (`BEGIN IMMEDIATE`). The first
//! append then waits inside its transaction, holding the writer, while the
//! others queue behind it; the tests wait until they are queued (the store's
//! counts say so), not for a time.

use dialoghub::domain::{Actor, Event, QuestionId, Recorded, VoteChange};
use dialoghub::log;
use dialoghub::store::{
    Batch, CommitCounts, Created, NewDialogue, SavedAck, SqliteStore, Store, StoreError,
    StoredEvent,
};
use sqlx::{Connection, SqliteConnection};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use uuid::Uuid;

const ORGANIZER: Uuid = Uuid::from_u128(0x0f);

fn event(seq: u64) -> StoredEvent {
    log::encode(&Recorded {
        seq,
        at: 1000 + seq as i64,
        by: Actor::Organizer(ORGANIZER),
        event: Event::NowAnswering {
            question: Some(QuestionId(seq)),
        },
    })
}

async fn new_dialogue(store: &SqliteStore, i: usize) -> Uuid {
    let d = NewDialogue {
        id: Uuid::new_v4(),
        code: format!("G{i:05}"),
        epoch: 1,
        created_at: 1,
        created_by: ORGANIZER,
        idempotency_key: None,
        district: dialoghub::domain::access::DistrictId::default_district(),
        first: event(1),
    };
    assert_eq!(store.create_dialogue(&d).await.unwrap(), Created::New);
    d.id
}

/// What one append writes: events after `head`, a vote and an ack.
#[derive(Clone)]
struct Rows {
    events: Vec<StoredEvent>,
    votes: Vec<VoteChange>,
    acks: Vec<SavedAck>,
}

impl Rows {
    fn after(head: u64, events: u64, voter: Uuid, key: &str) -> Rows {
        Rows {
            events: (head + 1..=head + events).map(event).collect(),
            votes: vec![VoteChange {
                question: QuestionId(1),
                participant: voter,
                on: true,
                burst: false,
            }],
            acks: vec![SavedAck {
                actor_id: voter,
                client_msg_id: key.into(),
                ack: format!(r#"{{"client_msg_id":"{key}"}}"#),
            }],
        }
    }

    fn batch(&self) -> Batch<'_> {
        Batch {
            events: &self.events,
            votes: &self.votes,
            answers: &[],
            acks: &self.acks,
        }
    }
}

fn append(
    store: &Arc<SqliteStore>,
    dialogue: Uuid,
    head: u64,
    rows: &Rows,
) -> JoinHandle<Result<u64, StoreError>> {
    let (store, rows) = (store.clone(), rows.clone());
    tokio::spawn(async move { store.append(dialogue, head, rows.batch()).await })
}

/// Waits until the store's counts say `ready`.
async fn until(store: &SqliteStore, what: &str, ready: impl Fn(CommitCounts) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !ready(store.commit_counts()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {:?}",
            store.commit_counts()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Another connection to the file takes SQLite's write lock and keeps it.
async fn hold_write_lock(url: &str) -> SqliteConnection {
    let mut conn = SqliteConnection::connect(url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

async fn release(mut conn: SqliteConnection) {
    sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// One append takes the writer and waits on the lock inside its transaction.
async fn writer_busy(
    store: &Arc<SqliteStore>,
    url: &str,
) -> (SqliteConnection, JoinHandle<Result<u64, StoreError>>) {
    let blocker = new_dialogue(store, 99_999).await;
    let before = store.commit_counts();
    let lock = hold_write_lock(url).await;
    let first = append(
        store,
        blocker,
        1,
        &Rows::after(1, 1, Uuid::new_v4(), "first"),
    );
    until(store, "the first append holds the writer", |c| {
        c.queued == before.queued + 1 && c.waiting == 0
    })
    .await;
    (lock, first)
}

fn open_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("group.db").display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_of_many_dialogues_share_one_commit_and_are_there_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let url = open_url(&dir);
    let store = Arc::new(SqliteStore::open(&url).await.unwrap());
    let mut dialogues = Vec::new();
    for i in 0..40 {
        let id = new_dialogue(&store, i).await;
        dialogues.push((
            id,
            Rows::after(1, 1 + i as u64 % 3, Uuid::new_v4(), &format!("k{i}")),
        ));
    }
    let (lock, first) = writer_busy(&store, &url).await;
    let base = store.commit_counts();
    let appends: Vec<_> = dialogues
        .iter()
        .map(|(id, rows)| append(&store, *id, 1, rows))
        .collect();
    until(&store, "every append queued", |c| {
        c.waiting == dialogues.len()
    })
    .await;
    // Ack after commit: nothing is answered while the writer cannot commit.
    assert!(!first.is_finished());
    assert!(appends.iter().all(|a| !a.is_finished()));
    assert_eq!(store.commit_counts().commits, base.commits);

    release(lock).await;
    first.await.unwrap().expect("the first append commits");
    for a in appends {
        a.await.unwrap().expect("every append commits");
    }
    let after = store.commit_counts();
    // The first append alone, then the forty queued behind it together.
    assert_eq!(after.commits - base.commits, 2, "{after:?}");
    assert_eq!(after.batches - base.batches, 41, "{after:?}");
    assert_eq!(after.waiting, 0);

    // Durable: a store opened afresh on the file finds every batch whole.
    store.close().await;
    drop(store);
    let reopened = SqliteStore::open(&url).await.unwrap();
    for (id, rows) in &dialogues {
        let record = reopened.load(*id).await.unwrap().expect("the dialogue");
        assert_eq!(record.events[1..], rows.events[..]);
        assert_eq!(record.votes, vec![(1, rows.votes[0].participant, false)]);
        assert_eq!(record.acks, rows.acks);
    }
    reopened.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_fails_in_a_group_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let url = open_url(&dir);
    let store = Arc::new(SqliteStore::open(&url).await.unwrap());
    let [good, stale, duplicate, also_good] = [
        new_dialogue(&store, 1).await,
        new_dialogue(&store, 2).await,
        new_dialogue(&store, 3).await,
        new_dialogue(&store, 4).await,
    ];
    let voter = Uuid::new_v4();
    // An ack saved before: the same key again is a duplicate.
    let saved = Rows::after(1, 1, voter, "once");
    store.append(duplicate, 1, saved.batch()).await.unwrap();

    let (lock, first) = writer_busy(&store, &url).await;
    let base = store.commit_counts();
    let rows = [
        Rows::after(1, 2, Uuid::new_v4(), "a"),
        // Decided on a head the log has left.
        Rows::after(0, 1, Uuid::new_v4(), "b"),
        Rows::after(2, 1, voter, "once"),
        Rows::after(1, 1, Uuid::new_v4(), "d"),
        Rows::after(1, 1, Uuid::new_v4(), "e"),
    ];
    let unknown = Uuid::new_v4();
    let appends = [
        append(&store, good, 1, &rows[0]),
        append(&store, stale, 0, &rows[1]),
        append(&store, duplicate, 2, &rows[2]),
        append(&store, also_good, 1, &rows[3]),
        append(&store, unknown, 1, &rows[4]),
    ];
    until(&store, "every append queued", |c| c.waiting == 5).await;
    release(lock).await;
    first.await.unwrap().unwrap();
    let [a, b, c, d, e] = appends;
    assert!(a.await.unwrap().is_ok());
    let conflict = b.await.unwrap();
    assert!(
        matches!(
            conflict,
            Err(StoreError::Conflict {
                expected: 0,
                actual: 1
            })
        ),
        "{conflict:?}"
    );
    let dup = c.await.unwrap();
    assert!(matches!(dup, Err(StoreError::Duplicate)), "{dup:?}");
    assert!(d.await.unwrap().is_ok());
    let missing = e.await.unwrap();
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    let after = store.commit_counts();
    assert_eq!(after.commits - base.commits, 2, "{after:?}");
    assert_eq!(after.batches - base.batches, 3, "{after:?}");

    store.close().await;
    drop(store);
    let reopened = SqliteStore::open(&url).await.unwrap();
    let load = |id| {
        let reopened = &reopened;
        async move { reopened.load(id).await.unwrap().unwrap() }
    };
    let record = load(good).await;
    assert_eq!(record.events[1..], rows[0].events[..]);
    assert_eq!(record.acks, rows[0].acks);
    let record = load(also_good).await;
    assert_eq!(record.events[1..], rows[3].events[..]);
    // The failed batches left nothing: not their events, votes or acks.
    let record = load(stale).await;
    assert_eq!(record.events.len(), 1);
    assert!(record.votes.is_empty() && record.acks.is_empty());
    let record = load(duplicate).await;
    assert_eq!(record.events[1..], saved.events[..]);
    assert_eq!(record.acks, saved.acks);
    assert!(reopened.load(unknown).await.unwrap().is_none());
    reopened.close().await;
}
