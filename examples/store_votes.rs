//! What the embedded store costs per vote, without the network: appends batches of
//! votes with their acks, from many voters, to a fresh SQLite file, and prints the
//! time per vote and the bytes written to disk per vote.
//!
//! `cargo run --release --example store_votes [voters] [batch] [batches]`
//! (defaults 5000 300 400: the shape of the vote-10k scenario's commits).

use dialoghub::domain::{QuestionId, VoteChange};
use dialoghub::store::{self, Batch, NewDialogue, SavedAck, StoredEvent};
use std::time::Instant;
use uuid::Uuid;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .map(|a| a.parse().expect("a whole number"))
            .unwrap_or(default)
    };
    let (voters, per_batch, batches) = (arg(1, 5000), arg(2, 300), arg(3, 400));
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("votes.db").display());
    let store = store::open(&url).await.expect("the store opens");
    let dialogue = NewDialogue {
        id: Uuid::new_v4(),
        code: "VOTES1".into(),
        epoch: 1,
        created_at: 1,
        created_by: Uuid::new_v4(),
        idempotency_key: None,
        district: dialoghub::domain::access::DistrictId::default_district(),
        first: StoredEvent {
            seq: 1,
            at: 1,
            actor: r#"{"role":"organizer","id":"00000000-0000-0000-0000-000000000000"}"#.into(),
            body: r#"{"kind":"now_answering","question_id":1}"#.into(),
        },
    };
    store.create_dialogue(&dialogue).await.expect("created");
    let people: Vec<Uuid> = (0..voters).map(|_| Uuid::new_v4()).collect();
    let written_before = disk_writes();
    let started = Instant::now();
    let mut n = 0usize;
    let mut commits = Vec::with_capacity(batches);
    for b in 0..batches {
        let mut votes = Vec::with_capacity(per_batch);
        let mut acks = Vec::with_capacity(per_batch);
        for i in 0..per_batch {
            n += 1;
            // Voters in an order that spreads over all of them, as in a storm.
            let voter = people[n * 7919 % voters];
            votes.push(VoteChange {
                question: QuestionId(1 + (n % 20) as u64),
                participant: voter,
                on: (b + i) % 3 != 0,
                burst: false,
            });
            let key = format!("v{n}");
            acks.push(SavedAck {
                actor_id: voter,
                ack: format!(r#"{{"client_msg_id":"{key}"}}"#),
                client_msg_id: key,
            });
        }
        let batch = Batch {
            events: &[],
            votes: &votes,
            answers: &[],
            acks: &acks,
        };
        let t = Instant::now();
        store.append(dialogue.id, 1, batch).await.expect("appended");
        commits.push(t.elapsed());
    }
    let elapsed = started.elapsed();
    let written = disk_writes().saturating_sub(written_before);
    println!(
        "{n} votes from {voters} voters in batches of {per_batch}: {:.1} µs per vote, {:.0} bytes written to disk per vote",
        elapsed.as_secs_f64() * 1e6 / n as f64,
        written as f64 / n as f64,
    );
    commits.sort();
    let at = |q: f64| commits[((commits.len() as f64 * q) as usize).min(commits.len() - 1)];
    println!(
        "one commit of {per_batch} votes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
    );
}

/// Bytes this process has caused to be written to storage (`write_bytes`).
fn disk_writes() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("write_bytes: ")?.trim().parse().ok())
        })
        .unwrap_or(0)
}
