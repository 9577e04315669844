//! Several nodes on PostgreSQL and Redis: every promise holds across nodes.
//!
//! These tests need `DATABASE_URL` (PostgreSQL) and use `REDIS_URL` when set; each
//! runs its nodes as real processes on a database of its own. Faults are made on
//! private servers (a Redis of the test's own, a PostgreSQL cluster of its own), never
//! on the shared ones. Without `DATABASE_URL` (or `REDIS_URL`, or the server
//! binaries for the private ones) they say so and pass, except under CI, where
//! they fail: CI never passes a test it did not run.

use crate::harness::{
    Client, Dialogue, NodeConfig, TestDb, TestServer, WAIT, report, service_url, skip,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Nodes sharing one database (and a bus when there is one).
struct Cluster {
    nodes: Vec<Option<TestServer>>,
    config: NodeConfig,
    dirs: Vec<tempfile::TempDir>,
    _db: Option<TestDb>,
}

impl Cluster {
    /// `n` nodes on a fresh database of this test's own, with the shared `REDIS_URL`.
    async fn start(test: &str, n: usize) -> Option<Cluster> {
        let db = TestDb::create(test).await?;
        // Without a bus (outside CI) the nodes hear of each other by polling only.
        let bus_url = service_url("REDIS_URL", test);
        let config = NodeConfig {
            store_url: db.url.clone(),
            bus_url,
            poll_ms: None,
        };
        Some(Cluster::with(config, n, Some(db)).await)
    }

    async fn with(config: NodeConfig, n: usize, db: Option<TestDb>) -> Cluster {
        let mut cluster = Cluster {
            nodes: Vec::new(),
            config,
            dirs: Vec::new(),
            _db: db,
        };
        for _ in 0..n {
            cluster.add_node().await;
        }
        cluster
    }

    async fn add_node(&mut self) -> usize {
        let dir = tempfile::tempdir().unwrap();
        let node = TestServer::start_node(dir.path(), &self.config).await;
        self.dirs.push(dir);
        self.nodes.push(Some(node));
        self.nodes.len() - 1
    }

    fn node(&self, i: usize) -> &TestServer {
        self.nodes[i].as_ref().expect("node is running")
    }

    /// The same dialogue, reached through node `i`.
    fn on(&self, d: &Dialogue, i: usize) -> Dialogue {
        let mut d = d.clone();
        d.endpoint = self.node(i).endpoint.clone();
        d
    }

    async fn kill_9(&mut self, i: usize) {
        self.nodes[i]
            .take()
            .expect("node is running")
            .kill_9()
            .await;
    }
}

/// The staff view of a dialogue as node `i` serves it over REST.
async fn staff_view(d: &Dialogue) -> Value {
    let (status, view) = d
        .endpoint
        .get(&format!("/api/dialogues/{}", d.id), Some(&d.organizer))
        .await;
    assert_eq!(status, 200, "{view}");
    view
}

/// Polls (bounded) until `check` holds for node `d`'s view.
async fn view_until(d: &Dialogue, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let view = staff_view(d).await;
        if check(&view) {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: the view is at seq {}",
            view["seq"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn questions_by_text(view: &Value) -> HashMap<String, Vec<u64>> {
    let mut by_text: HashMap<String, Vec<u64>> = HashMap::new();
    for q in view["questions"].as_array().unwrap() {
        by_text
            .entry(q["text"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push(q["id"].as_u64().unwrap());
    }
    by_text
}

async fn published(c: &mut Client, q: u64) {
    c.wait_for("question published", |v| {
        v["type"] == "event"
            && v["event"]["kind"] == "question_published"
            && v["event"]["question"]["id"] == q
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_meeting_over_three_nodes_shows_the_same_everywhere() {
    let Some(cluster) = Cluster::start("cluster::a_whole_meeting_over_three_nodes", 3).await else {
        return;
    };
    let organizer = cluster.node(0).organizer().await;
    let d0 = cluster.node(0).endpoint.live_dialogue(&organizer).await;
    let mut moderator = cluster.on(&d0, 1).moderator().await;
    let (_, mut police) = cluster.on(&d0, 2).panelist("Anna Polis", "police").await;
    let mut screen = cluster.on(&d0, 0).screen().await;
    let mut people = Vec::new();
    for i in 0..9 {
        people.push(cluster.on(&d0, i % 3).participant().await);
    }

    // Everyone asks on their own node; the moderator, on another, sees each question.
    let mut questions = Vec::new();
    for (i, p) in people.iter_mut().enumerate() {
        questions.push(
            p.ask(&format!("Fråga {i}: belysningen vid tunnelbanan"))
                .await,
        );
    }
    for q in &questions {
        moderator
            .wait_for("pending question", |v| {
                v["type"] == "event" && v["event"]["question_id"] == *q
            })
            .await;
        assert_eq!(moderator.approve(*q).await["type"], "ack");
    }
    // Participant i votes for questions 0..=(i % 3): exact tallies 9, 6 and 3.
    for (i, p) in people.iter_mut().enumerate() {
        for q in &questions[..=(i % 3)] {
            published(p, *q).await;
            let ack = p.vote(*q, true).await;
            assert_eq!(ack["type"], "ack", "{ack}");
        }
    }
    // A change of mind on one node, a retry on another.
    assert_eq!(people[4].vote(questions[1], false).await["type"], "ack");
    assert_eq!(people[4].vote(questions[1], true).await["type"], "ack");
    let (q0, q1, q2) = (questions[0], questions[1], questions[2]);
    let exact = move |v: &Value| {
        v["votes"][q0.to_string()] == 9
            && v["votes"][q1.to_string()] == 6
            && v["votes"][q2.to_string()] == 3
    };

    let ack = moderator
        .submit(json!({"type": "set_now_answering", "question_id": q0, "expected": null}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    police
        .wait_for("now answering", |v| v["event"]["kind"] == "now_answering")
        .await;
    let ack = police
        .submit(json!({"type": "mark_answered", "question_id": q0, "expected": "approved"}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let head = ack["seq"].as_u64().unwrap();

    // Every client on every node reaches the same head, in order, with exact tallies.
    for c in people
        .iter_mut()
        .chain([&mut moderator, &mut police, &mut screen])
    {
        c.reach(head).await;
        c.live_until("exact tallies", exact).await;
    }
    // The same seq carries the same event for every participant, whatever their node.
    let mut by_seq: BTreeMap<u64, &Value> = BTreeMap::new();
    for p in &people {
        for e in &p.events {
            let seq = e["seq"].as_u64().unwrap();
            let seen = by_seq.entry(seq).or_insert(e);
            assert_eq!(seen["event"], e["event"], "seq {seq} differs between nodes");
        }
    }
    // Identical views: a newcomer's snapshot and the staff view are the same on each node.
    let mut snapshots = Vec::new();
    let mut views = Vec::new();
    for i in 0..3 {
        let d = cluster.on(&d0, i);
        let newcomer = d.participant().await;
        let mut snapshot = newcomer
            .snapshot
            .clone()
            .expect("a newcomer gets a snapshot");
        snapshot.as_object_mut().unwrap().remove("you");
        snapshots.push(snapshot);
        views.push(view_until(&d, "the head", |v| v["seq"] == head).await);
    }
    assert_eq!(snapshots[0], snapshots[1]);
    assert_eq!(snapshots[0], snapshots[2]);
    assert_eq!(views[0], views[1]);
    assert_eq!(views[0], views[2]);
    assert_eq!(views[0]["now_answering"], Value::Null, "{}", views[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_on_different_nodes_get_one_gap_free_order() {
    let Some(cluster) = Cluster::start("cluster::concurrent_writers", 3).await else {
        return;
    };
    let organizer = cluster.node(0).organizer().await;
    let d0 = cluster.node(0).endpoint.live_dialogue(&organizer).await;
    const EACH: usize = 15;
    let mut writers = Vec::new();
    for w in 0..6 {
        let d = cluster.on(&d0, w % 3);
        writers.push(tokio::spawn(async move {
            let mut p = d.participant().await;
            let mut seqs = Vec::new();
            for i in 0..EACH {
                let ack = p
                    .submit(json!({"type": "ask", "text": format!("skribent {w} fråga {i}")}))
                    .await;
                assert_eq!(ack["type"], "ack", "{ack}");
                seqs.push(ack["seq"].as_u64().unwrap());
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for w in writers {
        let seqs = w.await.unwrap();
        // Each writer's questions are in the log in the order it asked them.
        assert!(seqs.windows(2).all(|p| p[0] < p[1]), "{seqs:?}");
        all.extend(seqs);
    }
    all.sort_unstable();
    let first = all[0];
    assert_eq!(
        all,
        (first..first + all.len() as u64).collect::<Vec<_>>(),
        "one ack per seq, no gap"
    );
    // Every node serves the same gap-free log: a moderator on each replays all of it.
    let head = *all.last().unwrap();
    for i in 0..3 {
        let mut m = cluster.on(&d0, i).moderator().await;
        m.reach(head).await;
    }
    let view = view_until(&cluster.on(&d0, 2), "the head", |v| {
        v["seq"].as_u64() >= Some(head)
    })
    .await;
    assert_eq!(view["questions"].as_array().unwrap().len(), 6 * EACH);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_on_another_node_gets_the_original_ack() {
    let Some(cluster) = Cluster::start("cluster::a_retry_on_another_node", 2).await else {
        return;
    };
    let organizer = cluster.node(0).organizer().await;
    let d0 = cluster.node(0).endpoint.live_dialogue(&organizer).await;
    let (ws0, ws1) = (&cluster.node(0).endpoint.ws, &cluster.node(1).endpoint.ws);
    let token = d0.participant_token().await;
    let (status, invitation) = d0
        .endpoint
        .post(
            &format!("/api/dialogues/{}/moderators", d0.id),
            &organizer,
            json!({"name": "Moderator"}),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    let moderator_token = d0.endpoint.accept(&invitation, d0.id).await;

    // On node 0: a question, its approval and a vote, each acknowledged.
    let mut p0 = Client::connect(ws0, &token, None).await;
    let mut m0 = Client::connect(ws0, &moderator_token, None).await;
    let ask = json!({"type": "ask", "client_msg_id": "fraga-1", "text": "Kan vi få fler väktare?"});
    p0.send(ask.clone()).await;
    let asked = p0.reply("fraga-1").await;
    assert_eq!(asked["type"], "ack", "{asked}");
    let q = asked["question_id"].as_u64().unwrap();
    let approve = json!({"type": "approve", "client_msg_id": "godkann-1", "question_id": q, "expected": "pending"});
    m0.send(approve.clone()).await;
    let approved = m0.reply("godkann-1").await;
    assert_eq!(approved["type"], "ack", "{approved}");
    published(&mut p0, q).await;
    let vote = json!({"type": "vote", "client_msg_id": "rost-1", "question_id": q, "on": true});
    p0.send(vote.clone()).await;
    let voted = p0.reply("rost-1").await;
    assert_eq!(voted["type"], "ack", "{voted}");

    // The acks were lost on the way; both clients retry on node 1, whose memory
    // has never seen these keys. The keys saved in the store answer, once.
    let mut p1 = Client::connect(ws1, &token, None).await;
    let mut m1 = Client::connect(ws1, &moderator_token, None).await;
    p1.send(ask).await;
    assert_eq!(
        p1.reply("fraga-1").await,
        asked,
        "the same ack, no second question"
    );
    p1.send(vote).await;
    assert_eq!(
        p1.reply("rost-1").await,
        voted,
        "the same ack, no second vote"
    );
    // The approval is already in the state node 1 decides on: without the saved key
    // this retry would be refused as a conflict.
    m1.send(approve).await;
    assert_eq!(m1.reply("godkann-1").await, approved);

    let one_vote = |v: &Value| v["votes"][q.to_string()] == 1;
    p1.live_until("one vote", one_vote).await;
    p0.live_until("one vote", one_vote).await;
    let view = staff_view(&cluster.on(&d0, 1)).await;
    assert_eq!(view["questions"].as_array().unwrap().len(), 1, "{view}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_meeting_loses_nothing_and_its_clients_resume_elsewhere() {
    let Some(mut cluster) = Cluster::start("cluster::a_node_killed_mid_meeting", 3).await else {
        return;
    };
    let organizer = cluster.node(0).organizer().await;
    let d0 = cluster.node(0).endpoint.live_dialogue(&organizer).await;
    let mut moderator = cluster.on(&d0, 0).moderator().await;
    let mut witness = cluster.on(&d0, 1).participant().await;
    // Four people on node 2, the one that will die.
    let mut victims = Vec::new();
    for _ in 0..4 {
        let token = d0.participant_token().await;
        let client = Client::connect(&cluster.node(2).endpoint.ws, &token, None).await;
        victims.push((token, client));
    }
    let mut acked = Vec::new();
    for (i, (_, c)) in victims.iter_mut().enumerate() {
        let text = format!("Före kraschen {i}");
        acked.push((text.clone(), c.ask(&text).await));
    }
    let q = acked[0].1;
    moderator
        .wait_for("the question", |v| v["event"]["question_id"] == q)
        .await;
    assert_eq!(moderator.approve(q).await["type"], "ack");
    for (_, c) in victims.iter_mut() {
        published(c, q).await;
        assert_eq!(c.vote(q, true).await["type"], "ack");
    }
    // Writes in flight when the node dies: some may be committed, none acknowledged.
    let mut in_flight = Vec::new();
    for (i, (_, c)) in victims.iter_mut().enumerate() {
        for j in 0..3 {
            let msg = json!({"type": "ask", "client_msg_id": format!("flight-{i}-{j}"), "text": format!("Under kraschen {i}-{j}")});
            c.send(msg.clone()).await;
            in_flight.push((i, msg));
        }
    }
    cluster.kill_9(2).await;

    // They reconnect to another node and resume from where they were.
    let ws0 = cluster.node(0).endpoint.ws.clone();
    let mut resumed = Vec::new();
    for (token, old) in &victims {
        let c = Client::connect(&ws0, token, Some((old.epoch, old.seq))).await;
        assert_eq!(c.welcome["recovered"], true, "{}", c.welcome);
        resumed.push(c);
    }
    // and retry what was never acknowledged, with the same keys.
    for (i, msg) in &in_flight {
        let c = &mut resumed[*i];
        c.send(msg.clone()).await;
        let reply = c.reply(msg["client_msg_id"].as_str().unwrap()).await;
        assert_eq!(reply["type"], "ack", "{reply}");
        acked.push((
            msg["text"].as_str().unwrap().to_string(),
            reply["question_id"].as_u64().unwrap(),
        ));
    }
    let ack = moderator
        .submit(json!({"type": "set_now_answering", "question_id": q, "expected": null}))
        .await;
    let head = ack["seq"].as_u64().unwrap();
    // No gap for anyone (the client checks every seq), on any surviving node.
    for c in resumed.iter_mut().chain([&mut witness, &mut moderator]) {
        c.reach(head).await;
        c.live_until("the votes", |v| v["votes"][q.to_string()] == 4)
            .await;
    }
    // Every acknowledged question is there once; nothing retried is there twice.
    let view = view_until(&cluster.on(&d0, 1), "the head", |v| {
        v["seq"].as_u64() >= Some(head)
    })
    .await;
    let by_text = questions_by_text(&view);
    for (text, id) in &acked {
        assert_eq!(by_text.get(text), Some(&vec![*id]), "{text}");
    }
    assert_eq!(by_text.len(), acked.len());
}

/// A Redis server of the test's own, on a free port, stopped when dropped.
struct PrivateRedis {
    child: std::process::Child,
    port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl PrivateRedis {
    fn start_on(port: u16) -> Option<PrivateRedis> {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let redis = PrivateRedis { child, port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(redis);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not start on port {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn signal(&self, signal: &str) {
        let ok = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {signal}");
    }

    async fn command(&self, args: &[&str]) -> redis::Value {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let mut cmd = redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd.query_async(&mut conn).await.unwrap()
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        // A stopped process must be continued before it can die of anything but SIGKILL.
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Latency from one node's ack to a client of another node seeing the event.
struct Delays {
    rows: Vec<(String, Vec<Duration>)>,
}

impl Delays {
    async fn measure(&mut self, phase: &str, writer: &mut Client, observer: &mut Client, n: usize) {
        let mut samples = Vec::new();
        for i in 0..n {
            let ack = writer
                .submit(json!({"type": "ask", "text": format!("{phase}: fråga {i}")}))
                .await;
            assert_eq!(ack["type"], "ack", "{ack}");
            let acked_at = Instant::now();
            let seq = ack["seq"].as_u64().unwrap();
            observer.reach(seq).await;
            samples.push(acked_at.elapsed());
            // Land at different points of the polling cycle.
            tokio::time::sleep(Duration::from_millis(137 * (i as u64 % 4))).await;
        }
        self.rows.push((phase.to_string(), samples));
    }

    fn report(&self) -> Duration {
        let mut worst = Duration::ZERO;
        for (phase, samples) in &self.rows {
            let mut sorted = samples.clone();
            sorted.sort();
            let max = *sorted.last().unwrap();
            worst = worst.max(max);
            report(&format!(
                "cross-node delay, {phase}: n={} median={:?} max={:?}",
                sorted.len(),
                sorted[sorted.len() / 2],
                max
            ));
        }
        worst
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_killed_or_dropping_subscribers_loses_nothing() {
    let test = "cluster::redis_faults";
    let Some(db) = TestDb::create(test).await else {
        return;
    };
    let port = free_port();
    let Some(redis) = PrivateRedis::start_on(port) else {
        skip(test, "no redis-server binary");
        return;
    };
    let config = NodeConfig {
        store_url: db.url.clone(),
        bus_url: Some(redis.url()),
        poll_ms: Some(1000),
    };
    let cluster = Cluster::with(config, 2, Some(db)).await;
    let organizer = cluster.node(0).organizer().await;
    let d0 = cluster.node(0).endpoint.live_dialogue(&organizer).await;
    let mut writer = cluster.on(&d0, 0).participant().await;
    let mut observer = cluster.on(&d0, 1).moderator().await;
    let mut voter = cluster.on(&d0, 0).participant().await;
    let mut tally_watcher = cluster.on(&d0, 1).participant().await;
    let mut delays = Delays { rows: Vec::new() };
    delays
        .measure("Redis up", &mut writer, &mut observer, 10)
        .await;

    redis.signal("-STOP");
    delays
        .measure("Redis stopped (SIGSTOP)", &mut writer, &mut observer, 6)
        .await;
    // Votes are not events: another node's tallies follow by polling too.
    let q = writer.ask("Röstas det medan Redis står still?").await;
    assert_eq!(observer.approve(q).await["type"], "ack");
    published(&mut voter, q).await;
    assert_eq!(voter.vote(q, true).await["type"], "ack");
    let voted_at = Instant::now();
    tally_watcher
        .live_until("the vote", |v| v["votes"][q.to_string()] == 1)
        .await;
    let vote_delay = voted_at.elapsed();
    report(&format!(
        "cross-node delay, a vote while Redis is stopped: {vote_delay:?}"
    ));
    redis.signal("-CONT");
    delays
        .measure("Redis continued (SIGCONT)", &mut writer, &mut observer, 6)
        .await;

    redis.signal("-KILL");
    let mut redis = redis;
    let _ = redis.child.wait();
    delays
        .measure("Redis killed", &mut writer, &mut observer, 6)
        .await;
    redis = PrivateRedis::start_on(port).expect("redis-server restarts");
    // Give the nodes' subscribers a moment to find it again (they retry every second at most).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    delays
        .measure("Redis restarted", &mut writer, &mut observer, 6)
        .await;

    let killed = redis.command(&["CLIENT", "KILL", "TYPE", "pubsub"]).await;
    report(&format!(
        "CLIENT KILL TYPE pubsub: {killed:?} connections dropped"
    ));
    delays
        .measure("pub/sub connections dropped", &mut writer, &mut observer, 6)
        .await;

    let worst = delays.report();
    // Bounded: one polling interval plus the time to read and send.
    assert!(
        worst < Duration::from_millis(2500),
        "worst cross-node delay {worst:?}"
    );
    assert!(
        vote_delay < Duration::from_millis(2500),
        "vote delay {vote_delay:?}"
    );
    // Nothing lost: the observer saw every seq (the client checks), and so does a newcomer.
    let view = staff_view(&cluster.on(&d0, 1)).await;
    assert_eq!(view["seq"].as_u64(), Some(observer.seq));
    drop(redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_connections_terminated_during_writes_lose_and_duplicate_nothing() {
    let test = "cluster::database_connections_terminated";
    let Some(cluster) = Cluster::start(test, 2).await else {
        return;
    };
    let db_name = cluster
        ._db
        .as_ref()
        .unwrap()
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let organizer = cluster.node(0).organizer().await;
    let d0 = cluster.node(0).endpoint.live_dialogue(&organizer).await;
    let admin = std::env::var("DATABASE_URL").unwrap();
    let writers = connect_writers(&cluster, &d0, 2).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            let mut terminated = 0u64;
            for _ in 0..40 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let n: Vec<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                )
                .bind(&db_name)
                .fetch_all(&mut conn)
                .await
                .unwrap();
                terminated += n.len() as u64;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            terminated
        })
    };
    let (acked, retries) = write_through_faults(writers, 15).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let terminated = killer.await.unwrap();
    report(&format!(
        "{test}: {terminated} connections terminated, {retries} writes answered `unavailable` and retried"
    ));
    check_each_once(&cluster, &d0, &acked).await;
}

/// `per_node` participants on each node, connected before any fault.
async fn connect_writers(cluster: &Cluster, d0: &Dialogue, per_node: usize) -> Vec<Client> {
    let mut clients = Vec::new();
    for w in 0..per_node * cluster.nodes.len() {
        let d = cluster.on(d0, w % cluster.nodes.len());
        clients.push(d.participant().await);
    }
    clients
}

/// Each writer asks `each` questions, retrying with the same key on a retryable
/// error (bounded). Returns (text, question id) of every ack and how many times a
/// write was answered `unavailable` and retried.
async fn write_through_faults(writers: Vec<Client>, each: usize) -> (Vec<(String, u64)>, usize) {
    let mut tasks = Vec::new();
    for (w, mut c) in writers.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut retries = 0;
            for i in 0..each {
                let text = format!("skribent {w} fråga {i}");
                let key = format!("w{w}-{i}");
                let msg = json!({"type": "ask", "client_msg_id": key, "text": text});
                let mut attempts = 0;
                loop {
                    c.send(msg.clone()).await;
                    let reply = c.reply(&key).await;
                    if reply["type"] == "ack" {
                        acked.push((text.clone(), reply["question_id"].as_u64().unwrap()));
                        break;
                    }
                    // `unavailable` while the database is away (or `rate_limited` when
                    // retries come fast): never an ack, always retryable.
                    assert_eq!(reply["retryable"], true, "{reply}");
                    attempts += 1;
                    retries += 1;
                    assert!(attempts < 100, "still failing after {attempts} tries");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                // Within the per-connection rate limit (5 a second).
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            (acked, retries)
        }));
    }
    let mut acked = Vec::new();
    let mut retries = 0;
    for t in tasks {
        let (a, r) = t.await.unwrap();
        acked.extend(a);
        retries += r;
    }
    (acked, retries)
}

async fn check_each_once(cluster: &Cluster, d0: &Dialogue, acked: &[(String, u64)]) {
    for i in 0..cluster.nodes.len() {
        if cluster.nodes[i].is_none() {
            continue;
        }
        let view = view_until(&cluster.on(d0, i), "every question", |v| {
            v["questions"]
                .as_array()
                .is_some_and(|q| q.len() >= acked.len())
        })
        .await;
        let by_text = questions_by_text(&view);
        for (text, id) in acked {
            assert_eq!(by_text.get(text), Some(&vec![*id]), "node {i}: {text}");
        }
        assert_eq!(by_text.len(), acked.len(), "node {i}: nothing else");
    }
}

/// A PostgreSQL cluster of the test's own (initdb in a temp dir, on a free port), so
/// a test can restart it without touching the shared one. Stopped when dropped.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
}

impl PrivatePostgres {
    fn start() -> Option<PrivatePostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|b| b.join("initdb").exists())?;
        let dir = tempfile::tempdir().ok()?;
        let pg = PrivatePostgres {
            dir,
            bin,
            port: free_port(),
        };
        // PostgreSQL refuses to run as root: hand the folder to its own user.
        if pg.as_root() {
            let ok = std::process::Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(pg.dir.path())
                .status()
                .ok()?
                .success();
            assert!(ok, "chown the private cluster's folder");
        }
        let data = pg.dir.path().join("data");
        let data = data.to_str().unwrap();
        pg.run(
            "initdb",
            &["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        pg.pg_ctl("start");
        Some(pg)
    }

    fn as_root(&self) -> bool {
        std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            std::process::Command::new(&exe)
        };
        let ok = cmd
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "{tool} {args:?}");
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let mut args = vec![
            action,
            "-D",
            data.to_str().unwrap(),
            "-w",
            "-t",
            "30",
            "-m",
            "fast",
        ];
        if action != "stop" {
            args.extend(["-o", &options, "-l", log.to_str().unwrap()]);
        }
        self.run("pg_ctl", &args);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let exe = self.bin.join("pg_ctl");
        let args = [
            "stop",
            "-D",
            data.to_str().unwrap(),
            "-m",
            "immediate",
            "-w",
        ];
        let mut cmd = if self.as_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            std::process::Command::new(&exe)
        };
        let _ = cmd
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_during_writes_loses_and_duplicates_nothing() {
    let test = "cluster::postgres_restarted_during_writes";
    if service_url("DATABASE_URL", test).is_none() {
        return;
    }
    let Some(pg) = PrivatePostgres::start() else {
        skip(
            test,
            "no PostgreSQL server binaries to start a private cluster",
        );
        return;
    };
    let config = NodeConfig {
        store_url: pg.url(),
        bus_url: std::env::var("REDIS_URL").ok(),
        poll_ms: Some(1000),
    };
    let cluster = Cluster::with(config, 2, None).await;
    let organizer = cluster.node(0).organizer().await;
    let d0 = cluster.node(0).endpoint.live_dialogue(&organizer).await;
    let writers = connect_writers(&cluster, &d0, 2).await;
    let pg = std::sync::Arc::new(pg);
    let restarter = {
        let pg = pg.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(800)).await;
            let started = Instant::now();
            tokio::task::spawn_blocking(move || {
                pg.pg_ctl("stop");
                // Longer than a write waits for a connection (3 s): writes must fail.
                std::thread::sleep(Duration::from_millis(4000));
                pg.pg_ctl("start");
            })
            .await
            .unwrap();
            started.elapsed()
        })
    };
    let (acked, retries) = write_through_faults(writers, 15).await;
    let outage = restarter.await.unwrap();
    report(&format!(
        "{test}: database down for {outage:?}; {retries} writes answered `unavailable` and retried"
    ));
    assert!(
        retries > 0,
        "the restart fell between writes; nothing was tested"
    );
    check_each_once(&cluster, &d0, &acked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_on_one_node_reaches_the_clients_of_another() {
    let Some(cluster) = Cluster::start("cluster::an_erasure_on_one_node", 2).await else {
        return;
    };
    let organizer = cluster.node(0).organizer().await;
    let d0 = cluster.node(0).endpoint.live_dialogue(&organizer).await;
    let d1 = cluster.on(&d0, 1);
    let secret = "Jag heter Ulrika Erasmusdotter och bor på Storgatan 12";
    let mut anna = d1.participant().await;
    let ack = anna
        .submit(json!({"type": "ask", "text": secret, "display_name": "Ulrika"}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let mut watcher = Client::connect(
        &cluster.node(1).endpoint.ws,
        &d1.participant_token().await,
        None,
    )
    .await;
    let before = watcher.epoch;

    let (status, erased) = d0
        .endpoint
        .post(
            &format!("/api/dialogues/{}/erasures", d0.id),
            &organizer,
            json!({"participant_id": anna.you()}),
        )
        .await;
    assert_eq!(status, 200, "{erased}");
    // Node 1 learns of the rewrite from the epoch it polls, and starts over.
    assert_eq!(watcher.closed_with().await, Some(1012));
    let view = view_until(&d1, "the erased text gone on node 1", |v| {
        !v.to_string().contains("Erasmusdotter")
    })
    .await;
    assert!(!view.to_string().contains("Ulrika"), "{view}");
    let again = d1.participant().await;
    assert_ne!(again.epoch, before, "a rebuilt log has a new epoch");
}
