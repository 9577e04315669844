//! The store contract: run against every implementation that is reachable.

use dialoghub::domain::{QuestionId, VoteChange};
use dialoghub::store::{
    self, Batch, Created, NewDialogue, SavedAck, Store, StoreError, StoredEvent,
};
use std::sync::Arc;
use uuid::Uuid;

async fn stores() -> Vec<(String, Arc<dyn Store>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("contract.db").display());
    vec![("sqlite".into(), store::open(&url).await.unwrap(), Some(dir))]
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
    for (name, store, _dir) in stores().await {
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
    for (name, store, _dir) in stores().await {
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
        // The same idempotency key twice is refused by the store itself.
        assert!(
            store
                .append(
                    d.id,
                    1,
                    Batch {
                        events: &[],
                        votes: &[],
                        acks: &ack
                    }
                )
                .await
                .is_err(),
            "{name}"
        );
        let off = [VoteChange { on: false, ..on[0] }];
        store
            .append(
                d.id,
                1,
                Batch {
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
    for (name, store, _dir) in stores().await {
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
