//! How a node keeps the tallies it shows in step with the votes in the store.

use crate::harness::TestApp;
use std::time::Duration;
use uuid::Uuid;

/// The store's votes version moves on with every commit that changes votes. A
/// node's own commits move it on as well, so it must not take them for another
/// writer's and read every vote back: during a vote storm that read, once per
/// head poll, held up the dialogue (and every ack) for 100–200 ms each second.
/// Another writer's change, though, must reach the tallies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_reads_votes_back_only_after_another_writer_changed_them() {
    let app = TestApp::spawn().await;
    let d = app.live_dialogue().await;
    let mut p = d.participant().await;
    let mut m = d.moderator().await;
    let (q1, q2) = (
        p.ask("Belysningen i parken?").await,
        p.ask("Fler vuxna ute på kvällarna?").await,
    );
    for q in [q1, q2] {
        assert_eq!(m.approve(q).await["type"], "ack");
    }
    // A vote on q1 written behind the node's back, without moving the version:
    // it shows up in the tallies only if the node reads the votes back.
    let db = sqlx::SqlitePool::connect(&app.store_url).await.unwrap();
    sqlx::query("INSERT INTO votes (dialogue_id, question_id, participant_id) VALUES (?, ?, ?)")
        .bind(d.id.to_string())
        .bind(q1 as i64)
        .bind(Uuid::new_v4().to_string())
        .execute(&db)
        .await
        .unwrap();

    // Own votes, with more than two head polls (one a second) after them.
    assert_eq!(p.vote(q2, true).await["type"], "ack");
    p.live_until("own vote counted", |v| v["votes"][q2.to_string()] == 1)
        .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(p.vote(q2, false).await["type"], "ack");
    // A question without votes is not in `votes` (protocol.md 1.7): its tally is 0.
    let live = p
        .live_until("own vote withdrawn", |v| {
            v["votes"].get(q2.to_string()).is_none()
        })
        .await;
    assert!(
        live["votes"].get(q1.to_string()).is_none(),
        "the node read the votes back after its own commits: {live}"
    );

    // Another writer's commit moves the version on: within a poll or two the
    // node reads the votes back and shows that vote.
    sqlx::query("UPDATE dialogues SET votes_version = votes_version + 1 WHERE id = ?")
        .bind(d.id.to_string())
        .execute(&db)
        .await
        .unwrap();
    p.live_until("another writer's vote counted", |v| {
        v["votes"][q1.to_string()] == 1 && v["votes"].get(q2.to_string()).is_none()
    })
    .await;
}
