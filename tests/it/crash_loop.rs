//! Promises 1–3 under faults: the server is killed with SIGKILL at random moments
//! (or stopped with SIGSTOP for longer than the clients wait) while writers ask
//! and vote, and retry what was not acknowledged with the same `client_msg_id`.
//! Afterwards every acknowledged write is there exactly once, no retry made a
//! duplicate, the SQLite file is intact and the log is gap-free.
//!
//! The normal suite runs the full 100 kills (about half a minute):
//! `cargo test --test it crash_loop -- --nocapture` prints the figures.

use crate::harness::{Client, TestServer};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sqlx::Connection;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

const WRITERS: usize = 20;
/// Approved questions the writers vote on.
const SEEDS: usize = 4;
/// How long a writer waits for an ack before it takes the connection for dead.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_100_random_kill_9s_exactly_once() {
    crash_loop(100, 0x5eed_0100).await;
}

/// SIGSTOP for longer than the clients' timeout, then SIGCONT: the writers give
/// up on their connections, reconnect with their position, and nothing
/// acknowledged is lost or doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stopped_longer_than_the_client_timeout_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let meeting = Meeting::prepare(&server).await;
    let (url_tx, url_rx) = watch::channel(server.endpoint.ws.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let writers = meeting.spawn_writers(&url_rx, &stop, 7);

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = server.child.id().unwrap().to_string();
    signal("-STOP", &pid);
    // Longer than CLIENT_TIMEOUT: every writer gives up on its connection at least once.
    tokio::time::sleep(CLIENT_TIMEOUT * 2).await;
    signal("-CONT", &pid);
    tokio::time::sleep(Duration::from_millis(2000)).await;

    let report = meeting.finish(writers, &stop, &server).await;
    assert!(
        report.reconnects >= WRITERS as u64,
        "every writer reconnected: {report:?}"
    );
    assert!(
        report.resumed > 0,
        "the same process still holds the replay window: {report:?}"
    );
    drop(url_tx);
    server.kill_9().await;
    check_store(
        &dir.path().join("dialoghub.db"),
        meeting.id,
        report.head,
        &report.tallies,
    )
    .await;
    println!("SIGSTOP {:?}: {report:?}", CLIENT_TIMEOUT * 2);
}

async fn crash_loop(kills: usize, seed: u64) {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let meeting = Meeting::prepare(&server).await;
    let (url_tx, url_rx) = watch::channel(server.endpoint.ws.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let writers = meeting.spawn_writers(&url_rx, &stop, seed);

    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for _ in 0..kills {
        // A random moment: sometimes mid-reconnect, usually mid-write.
        tokio::time::sleep(Duration::from_millis(rng.random_range(50..600))).await;
        server.kill_9().await;
        server = TestServer::start(dir.path()).await;
        url_tx.send(server.endpoint.ws.clone()).unwrap();
    }
    // Let the writers reconnect and finish what they had in flight.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = meeting.finish(writers, &stop, &server).await;
    server.kill_9().await;
    check_store(
        &dir.path().join("dialoghub.db"),
        meeting.id,
        report.head,
        &report.tallies,
    )
    .await;
    println!(
        "crash loop: {kills} kills in {:?}, seed {seed:#x}: {report:?}",
        started.elapsed()
    );
}

fn signal(sig: &str, pid: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, pid])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

/// A live dialogue with approved questions to vote on, and a token per writer.
struct Meeting {
    id: Uuid,
    organizer: String,
    seeds: Vec<u64>,
    tokens: Vec<String>,
}

impl Meeting {
    async fn prepare(server: &TestServer) -> Meeting {
        let organizer = server.organizer().await;
        let dialogue = server.endpoint.live_dialogue(&organizer).await;
        let mut moderator = dialogue.moderator().await;
        let mut asker = dialogue.participant().await;
        let mut seeds = Vec::new();
        for i in 0..SEEDS {
            let q = asker.ask(&format!("Startfråga {i} om belysningen")).await;
            assert_eq!(moderator.approve(q).await["type"], "ack");
            seeds.push(q);
        }
        let mut tokens = Vec::new();
        for _ in 0..WRITERS {
            tokens.push(dialogue.participant_token().await);
        }
        Meeting {
            id: dialogue.id,
            organizer,
            seeds,
            tokens,
        }
    }

    fn spawn_writers(
        &self,
        url: &watch::Receiver<String>,
        stop: &Arc<AtomicBool>,
        seed: u64,
    ) -> Vec<tokio::task::JoinHandle<Writer>> {
        self.tokens
            .iter()
            .enumerate()
            .map(|(i, token)| {
                let writer = Writer {
                    name: format!("w{i}"),
                    token: token.clone(),
                    seeds: self.seeds.clone(),
                    ..Writer::default()
                };
                let (url, stop) = (url.clone(), stop.clone());
                tokio::spawn(writer.run(url, stop, seed + i as u64))
            })
            .collect()
    }

    /// Stops the writers once each has its last write acknowledged, and checks
    /// what the restarted server holds against what was acknowledged.
    async fn finish(
        &self,
        writers: Vec<tokio::task::JoinHandle<Writer>>,
        stop: &AtomicBool,
        server: &TestServer,
    ) -> Report {
        stop.store(true, Ordering::SeqCst);
        let mut done = Vec::new();
        for w in writers {
            let w = tokio::time::timeout(Duration::from_secs(60), w)
                .await
                .expect("writers finish their last write")
                .expect("a writer failed");
            done.push(w);
        }
        let (status, view) = server
            .endpoint
            .get(
                &format!("/api/dialogues/{}", self.id),
                Some(&self.organizer),
            )
            .await;
        assert_eq!(status, 200, "{view}");
        let questions = view["questions"].as_array().unwrap();
        let by_id: HashMap<u64, &str> = questions
            .iter()
            .map(|q| (q["id"].as_u64().unwrap(), q["text"].as_str().unwrap()))
            .collect();
        let mut texts = HashSet::new();
        for q in questions {
            let text = q["text"].as_str().unwrap();
            assert!(texts.insert(text), "a question is there twice: {q}");
        }
        let mut report = Report {
            head: view["seq"].as_u64().unwrap(),
            ..Report::default()
        };
        let mut tallies: BTreeMap<u64, u64> = self.seeds.iter().map(|q| (*q, 0)).collect();
        for w in &done {
            for (text, id) in &w.asked {
                assert_eq!(
                    by_id.get(id),
                    Some(&text.as_str()),
                    "acknowledged question {id} is there with its text"
                );
            }
            for (q, on) in &w.votes {
                *tallies.get_mut(q).unwrap() += u64::from(*on);
            }
            report.asks += w.asked.len() as u64;
            report.votes += w.votes_acked;
            report.retries += w.retries;
            report.reacks += w.reacks;
            report.reconnects += w.reconnects;
            report.resumed += w.resumed;
        }
        // Writers' questions only: the seeds plus what was acknowledged, nothing unacknowledged.
        assert_eq!(
            questions.len() as u64,
            SEEDS as u64 + report.asks,
            "no question beyond the acknowledged ones"
        );
        // A fresh client's tallies count each writer whose last acknowledged vote is on.
        let mut watcher = Client::connect(&server.endpoint.ws, &done[0].token, None).await;
        let live = watcher
            .live_until("tallies", |v| {
                tallies
                    .iter()
                    .all(|(q, n)| v["votes"][q.to_string()].as_u64() == Some(*n))
            })
            .await;
        report.tallies = tallies;
        let _ = live;
        report
    }
}

#[derive(Debug, Default)]
struct Report {
    head: u64,
    asks: u64,
    votes: u64,
    /// Writes sent again with the same key after no answer came.
    retries: u64,
    /// Acknowledged questions sent again after a reconnect that got the same ack back.
    reacks: u64,
    reconnects: u64,
    /// Reconnects that got the missed events (`recovered: true`) rather than a snapshot.
    resumed: u64,
    /// Votes on each seed question, as the writers' last acknowledged votes say.
    tallies: BTreeMap<u64, u64>,
}

/// One participant asking and voting through crashes.
#[derive(Default)]
struct Writer {
    name: String,
    token: String,
    seeds: Vec<u64>,
    /// Acknowledged questions: (text, question id).
    asked: Vec<(String, u64)>,
    /// The last acknowledged vote per question.
    votes: HashMap<u64, bool>,
    votes_acked: u64,
    retries: u64,
    reacks: u64,
    reconnects: u64,
    resumed: u64,
}

/// A submission and its key, kept until acknowledged.
struct Write {
    key: String,
    msg: Value,
}

static ASKS: AtomicU64 = AtomicU64::new(0);

impl Writer {
    async fn run(
        mut self,
        mut url: watch::Receiver<String>,
        stop: Arc<AtomicBool>,
        seed: u64,
    ) -> Writer {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut client: Option<Client> = None;
        let mut position: Option<(u64, u64)> = None;
        let mut in_flight: Option<Write> = None;
        let mut last_ask: Option<(Write, u64)> = None;
        let mut n = 0u64;
        // Bounded: a writer that cannot get its write through in this time fails the test.
        let give_up = Instant::now() + Duration::from_secs(600);
        loop {
            assert!(Instant::now() < give_up, "{} never got through", self.name);
            let Some(c) = client.as_mut() else {
                let ws = url.borrow_and_update().clone();
                match tokio::time::timeout(
                    CLIENT_TIMEOUT,
                    Client::try_connect(&ws, &self.token, position),
                )
                .await
                {
                    Ok(Ok(mut c)) => {
                        self.reconnects += u64::from(position.is_some());
                        self.resumed += u64::from(c.welcome["recovered"] == true);
                        // An acknowledged question sent again gets its first ack back.
                        if let Some((write, id)) = &last_ask
                            && c.send_raw(Message::text(write.msg.to_string()))
                                .await
                                .is_ok()
                            && let Some(ack) = c.try_reply(&write.key, CLIENT_TIMEOUT).await
                        {
                            assert_eq!(
                                ack["question_id"], *id,
                                "{}: a retry got a different ack: {ack}",
                                self.name
                            );
                            self.reacks += 1;
                        }
                        client = Some(c);
                    }
                    _ => tokio::time::sleep(Duration::from_millis(30)).await,
                }
                continue;
            };
            position = Some((c.epoch, c.seq));
            if in_flight.is_none() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                n += 1;
                let key = format!("{}-{n}", self.name);
                let msg = if rng.random_bool(0.3) {
                    let text = format!(
                        "Fråga {} från {} om tryggheten",
                        ASKS.fetch_add(1, Ordering::Relaxed),
                        self.name
                    );
                    json!({"type": "ask", "client_msg_id": key, "text": text})
                } else {
                    let q = self.seeds[rng.random_range(0..self.seeds.len())];
                    json!({"type": "vote", "client_msg_id": key, "question_id": q, "on": rng.random_bool(0.6)})
                };
                in_flight = Some(Write { key, msg });
            } else {
                self.retries += 1;
            }
            let write = in_flight.as_ref().unwrap();
            let answer = match c.send_raw(Message::text(write.msg.to_string())).await {
                Ok(()) => c.try_reply(&write.key, CLIENT_TIMEOUT).await,
                Err(_) => None,
            };
            let Some(answer) = answer else {
                // No answer: the server may or may not have committed it. Reconnect and send it again.
                client = None;
                continue;
            };
            if answer["type"] == "error" {
                assert_eq!(answer["retryable"], true, "{}: {answer}", self.name);
                tokio::time::sleep(Duration::from_millis(300)).await;
                continue;
            }
            let write = in_flight.take().unwrap();
            if write.msg["type"] == "ask" {
                let id = answer["question_id"]
                    .as_u64()
                    .expect("an ask's ack names its question");
                self.asked
                    .push((write.msg["text"].as_str().unwrap().to_string(), id));
                last_ask = Some((write, id));
            } else {
                let q = write.msg["question_id"].as_u64().unwrap();
                self.votes.insert(q, write.msg["on"].as_bool().unwrap());
                self.votes_acked += 1;
            }
            // Stay under the per-connection rate limit (5 a second).
            tokio::time::sleep(Duration::from_millis(rng.random_range(150..300))).await;
        }
        self
    }
}

/// The file survived every kill: intact, and its log is gap-free from 1 to the head.
async fn check_store(db: &Path, dialogue: Uuid, head: u64, tallies: &BTreeMap<u64, u64>) {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("open the SQLite file");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let seqs: Vec<i64> =
        sqlx::query_scalar("SELECT seq FROM events WHERE dialogue_id = ? ORDER BY seq")
            .bind(dialogue.to_string())
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let expected: Vec<i64> = (1..=head as i64).collect();
    assert_eq!(seqs, expected, "the log is gap-free from 1 to the head");
    let stored_head: i64 = sqlx::query_scalar("SELECT head_seq FROM dialogues WHERE id = ?")
        .bind(dialogue.to_string())
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored_head as u64, head);
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT question_id, COUNT(*) FROM votes WHERE dialogue_id = ? GROUP BY question_id",
    )
    .bind(dialogue.to_string())
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let stored: BTreeMap<u64, u64> = rows
        .into_iter()
        .map(|(q, n)| (q as u64, n as u64))
        .collect();
    let nonzero: BTreeMap<u64, u64> = tallies
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(q, n)| (*q, *n))
        .collect();
    assert_eq!(
        stored, nonzero,
        "each acknowledged vote is stored once, as last set"
    );
    let _ = conn.close().await;
}
