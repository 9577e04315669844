//! One load-generator process: up to a few thousand WebSocket clients of one
//! system (dialoghub, NATS or the floor) on a single-threaded runtime.
//!
//! The runner talks to it over stdin/stdout, one line each way:
//! in: the spec (JSON), then `go`, `expect <seq>`, `report`;
//! out: `ready {…}`, `complete`, `votes-done`, `report {…}`.

use crate::util::{self, Hist, HistWire, Ws, now_us};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum System {
    Dialoghub,
    Nats,
    Floor,
    /// The floor, also sending every subscriber a `live`-sized frame every
    /// 250 ms, as dialoghub does while tallies change: the same frames.
    FloorTicks,
}

impl System {
    pub fn name(self) -> &'static str {
        match self {
            System::Dialoghub => "dialoghub",
            System::Nats => "nats",
            System::Floor => "floor",
            System::FloorTicks => "floor-ticks",
        }
    }
}

#[derive(Serialize, Deserialize, Clone)]
pub struct WorkerSpec {
    pub system: System,
    pub port: u16,
    /// Index of this worker's first client, for unique names across workers.
    pub first: usize,
    pub count: usize,
    /// Connects (with hello) in flight at once.
    pub connect_concurrency: usize,
    /// Start the connects spread evenly over this many ms (join storm); 0 = at once.
    pub spread_ms: u64,
    /// The worker reports and exits by itself after this long, whatever happens.
    pub deadline_secs: u64,
    pub dh: Option<DhSpec>,
    /// Several dialogues (the many-dialogues scenario): the clients are split
    /// into as many equal blocks, in order; `dh` is not used then.
    #[serde(default)]
    pub dialogues: Vec<DhSpec>,
    /// The scenario-wide number of `dialogues[0]` (tallies and `expect-each`
    /// are per dialogue, numbered across all workers).
    #[serde(default)]
    pub first_dialogue: usize,
    /// dialoghub: after a close or a lost connection, reconnect as the web client
    /// does (backoff with jitter) and `resume` from the last applied position
    /// with the same token. Without it a close ends the client. Not with votes.
    #[serde(default)]
    pub reconnect: bool,
    /// No WebSocket clients (`count` 0): this process sends HTTP requests instead.
    #[serde(default)]
    pub http: Option<crate::http_load::HttpSpec>,
}

impl WorkerSpec {
    /// The scenario-wide number of client `i`'s dialogue (0 with one dialogue).
    fn dialogue_of(&self, i: usize) -> usize {
        if self.dialogues.is_empty() {
            0
        } else {
            self.first_dialogue + i * self.dialogues.len() / self.count.max(1)
        }
    }

    /// The dialogue client `i` joins.
    fn dh_for(&self, i: usize) -> Option<&DhSpec> {
        if self.dialogues.is_empty() {
            self.dh.as_ref()
        } else {
            self.dialogues
                .get(self.dialogue_of(i) - self.first_dialogue)
        }
    }

    fn votes(&self) -> bool {
        self.dh
            .iter()
            .chain(&self.dialogues)
            .any(|d| d.votes.is_some())
    }
}

#[derive(Serialize, Deserialize, Clone)]
pub struct DhSpec {
    pub secret: String,
    pub dialogue_id: uuid::Uuid,
    pub code: String,
    /// Get each participant's token from `POST /api/join` (else mint it).
    pub rest_join: bool,
    pub votes: Option<VoteSpec>,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct VoteSpec {
    pub questions: Vec<u64>,
    /// Votes per second per client (paced; the first is at a random offset).
    pub per_sec: f64,
    /// Unacknowledged votes a client may have outstanding.
    pub window: usize,
    pub duration_ms: u64,
}

#[derive(Default)]
pub struct PhaseStats {
    pub deliveries: u64,
    pub bytes: u64,
    pub hist: Hist,
    pub first_recv_us: u64,
    pub last_recv_us: u64,
}

#[derive(Serialize, Deserialize, Default)]
pub struct PhaseWire {
    pub deliveries: u64,
    pub bytes: u64,
    pub hist: HistWire,
    pub first_recv_us: u64,
    pub last_recv_us: u64,
}

#[derive(Default)]
struct Stats {
    connected: u64,
    connect_failed: BTreeMap<String, u64>,
    join: Hist,
    closed: BTreeMap<String, u64>,
    gaps: u64,
    errors: BTreeMap<String, u64>,
    unparsed: u64,
    phases: BTreeMap<u8, PhaseStats>,
    ack: Hist,
    votes_sent: u64,
    votes_acked: u64,
    votes_unanswered: u64,
    /// For each (dialogue, question), how many of this worker's clients' last
    /// acknowledged vote is "on".
    tally: BTreeMap<(usize, u64), i64>,
    last_vote_sent_us: u64,
    last_vote_ack_us: u64,
    frames: u64,
    bytes: u64,
    /// Completed resumes (a client may resume more than once).
    resumes: u64,
    resumed_snapshot: u64,
    reconnect_attempts: u64,
    reconnect_closes: BTreeMap<String, u64>,
}

/// What the runner needs to see of each client at the end.
#[derive(Default, Clone)]
struct View {
    /// The scenario-wide number of the client's dialogue.
    dialogue: usize,
    alive: bool,
    last_seq: u64,
    /// The vote tallies this client shows now, and since when.
    votes: Option<BTreeMap<u64, u64>>,
    votes_since_us: u64,
    voting_done: bool,
    /// The log's epoch, from the `welcome`.
    epoch: u64,
    /// The participant's token, kept to resume with the same identity.
    token: Option<String>,
    /// A resume in progress: the `welcome`'s `seq` still to be reached.
    resume_until: Option<u64>,
    /// When the client's latest resume was complete.
    resumed_at: Option<u64>,
}

#[derive(Serialize, Deserialize, Default)]
pub struct FinalView {
    /// The dialogue these tallies are of (its scenario-wide number).
    #[serde(default)]
    pub dialogue: usize,
    pub votes: BTreeMap<u64, u64>,
    pub clients: u64,
    /// The latest moment one of these clients first showed these tallies.
    pub latest_since_us: u64,
}

#[derive(Serialize, Deserialize, Default)]
pub struct Report {
    pub clients: u64,
    pub connected: u64,
    pub connect_failed: BTreeMap<String, u64>,
    pub join: HistWire,
    pub closed: BTreeMap<String, u64>,
    pub gaps: u64,
    pub errors: BTreeMap<String, u64>,
    pub unparsed: u64,
    pub phases: BTreeMap<u8, PhaseWire>,
    pub ack: HistWire,
    pub votes_sent: u64,
    pub votes_acked: u64,
    pub votes_unanswered: u64,
    /// (dialogue, question, clients whose last acknowledged vote is "on").
    pub tally: Vec<(usize, u64, i64)>,
    pub last_vote_sent_us: u64,
    pub last_vote_ack_us: u64,
    pub final_views: Vec<FinalView>,
    pub no_tallies: u64,
    pub frames: u64,
    pub bytes: u64,
    pub cpu_s: f64,
    pub rss_kib: u64,
    /// Each client's latest completed resume (`recovered: true`, and the
    /// replay applied), microseconds on the bench's clock; one per client at most.
    #[serde(default)]
    pub resumes: Vec<u64>,
    /// Completed resumes, counting every one of a client that resumed twice.
    #[serde(default)]
    pub resumes_total: u64,
    /// Reconnects answered with a snapshot instead of the missed events.
    #[serde(default)]
    pub resumed_snapshot: u64,
    #[serde(default)]
    pub reconnect_attempts: u64,
    /// The closes that led to a reconnect, by reason.
    #[serde(default)]
    pub reconnect_closes: BTreeMap<String, u64>,
    /// Clients connected at the end.
    #[serde(default)]
    pub alive: u64,
    /// Events short of the last `expect` target, summed over all clients
    /// (connected or not); 0 when no target was given.
    #[serde(default)]
    pub missed: u64,
    #[serde(default)]
    pub http: Option<crate::http_load::HttpReport>,
}

struct Shared {
    spec: WorkerSpec,
    stats: RefCell<Stats>,
    views: RefCell<Vec<View>>,
    gate: Semaphore,
    settled: RefCell<usize>,
    /// The last `expect` target, kept for the report's `missed`.
    target: RefCell<Option<u64>>,
    http: RefCell<Option<crate::http_load::HttpReport>>,
}

fn out(line: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{line}");
    let _ = o.flush();
}

pub fn main() {
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        eprintln!("worker: no spec on stdin");
        std::process::exit(2);
    }
    let spec: WorkerSpec = match serde_json::from_str(&line) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("worker: bad spec: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run(spec));
}

async fn run(spec: WorkerSpec) {
    let deadline = Instant::now() + Duration::from_secs(spec.deadline_secs);
    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut line = String::new();
        loop {
            line.clear();
            match stdin.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = cmd_tx.send("report".into());
                    return;
                }
                Ok(_) => {
                    if cmd_tx.send(line.trim().to_string()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let views = (0..spec.count)
        .map(|i| View {
            dialogue: spec.dialogue_of(i),
            ..View::default()
        })
        .collect();
    let shared = Rc::new(Shared {
        views: RefCell::new(views),
        gate: Semaphore::new(spec.connect_concurrency.max(1)),
        spec,
        stats: RefCell::new(Stats::default()),
        settled: RefCell::new(0),
        target: RefCell::new(None),
        http: RefCell::new(None),
    });
    let (go_tx, go_rx) = watch::channel(false);
    let (stop_tx, stop_rx) = watch::channel(false);
    let started = Instant::now();
    for i in 0..shared.spec.count {
        let start_at = if shared.spec.spread_ms > 0 {
            started
                + Duration::from_micros(
                    shared.spec.spread_ms * 1000 * i as u64 / shared.spec.count as u64,
                )
        } else {
            started
        };
        let (s, g, st) = (shared.clone(), go_rx.clone(), stop_rx.clone());
        tokio::task::spawn_local(async move {
            sleep_until(start_at).await;
            let ws = connect(&s, i).await;
            *s.settled.borrow_mut() += 1;
            if let Some((ws, seq)) = ws {
                s.views.borrow_mut()[i].alive = true;
                s.views.borrow_mut()[i].last_seq = seq;
                client(&s, i, ws, g, st).await;
                s.views.borrow_mut()[i].alive = false;
            }
        });
    }
    if let Some(http) = shared.spec.http.clone() {
        let (s, mut g) = (shared.clone(), go_rx.clone());
        let port = shared.spec.port;
        tokio::task::spawn_local(async move {
            if g.wait_for(|go| *go).await.is_ok() {
                let r = crate::http_load::run(port, &http).await;
                *s.http.borrow_mut() = Some(r);
                out("http-done");
            }
        });
    }
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut ready_sent = false;
    let mut expect: Option<u64> = None;
    // `expect-each`: the last `seq` of each dialogue, by scenario-wide number.
    let mut expect_each: Option<Vec<u64>> = None;
    let mut voting = false;
    let mut expect_resumes = false;
    loop {
        tokio::select! {
            _ = sleep_until(deadline) => break,
            cmd = cmd_rx.recv() => {
                let cmd = cmd.unwrap_or_else(|| "report".into());
                if cmd == "report" { break; }
                if cmd == "go" {
                    voting = shared.spec.votes();
                    let _ = go_tx.send(true);
                } else if let Some(n) = cmd.strip_prefix("expect ") {
                    expect = n.parse().ok();
                    *shared.target.borrow_mut() = expect;
                } else if cmd == "expect-resumes" {
                    expect_resumes = true;
                } else if let Some(each) = cmd.strip_prefix("expect-each ") {
                    expect_each = serde_json::from_str(each).ok();
                }
            }
            _ = tick.tick() => {
                if !ready_sent && *shared.settled.borrow() == shared.spec.count {
                    ready_sent = true;
                    let st = shared.stats.borrow();
                    let ready = serde_json::json!({
                        "connected": st.connected,
                        "failed": st.connect_failed,
                        "join": HistWire::from(&st.join),
                    });
                    out(&format!("ready {ready}"));
                }
                if let Some(n) = expect {
                    let views = shared.views.borrow();
                    if views.iter().filter(|v| v.alive).all(|v| v.last_seq >= n) {
                        expect = None;
                        out("complete");
                    }
                }
                if let Some(each) = &expect_each {
                    let views = shared.views.borrow();
                    let reached = |v: &View| v.last_seq >= each.get(v.dialogue).copied().unwrap_or(0);
                    if views.iter().filter(|v| v.alive).all(reached) {
                        expect_each = None;
                        out("complete");
                    }
                }
                if expect_resumes {
                    let st = shared.stats.borrow();
                    let views = shared.views.borrow();
                    let done = views.iter().filter(|v| v.alive && v.resumed_at.is_some() && v.resume_until.is_none()).count();
                    if done as u64 + st.resumed_snapshot >= shared.spec.count as u64 {
                        expect_resumes = false;
                        out("resumed");
                    }
                }
                if voting {
                    let views = shared.views.borrow();
                    if views.iter().filter(|v| v.alive).all(|v| v.voting_done) {
                        voting = false;
                        out("votes-done");
                    }
                }
            }
        }
    }
    // Before the stop: a stopped client is no longer connected.
    let alive = shared.views.borrow().iter().filter(|v| v.alive).count() as u64;
    let _ = stop_tx.send(true);
    // Let clients see the stop; they only record, so this is quick.
    tokio::time::sleep(Duration::from_millis(100)).await;
    out(&format!(
        "report {}",
        serde_json::to_string(&report(&shared, alive)).expect("report serializes")
    ));
    std::process::exit(0);
}

fn report(shared: &Shared, alive: u64) -> Report {
    let st = shared.stats.borrow();
    let views = shared.views.borrow();
    let mut finals: Vec<FinalView> = Vec::new();
    let mut no_tallies = 0;
    for v in views.iter() {
        match &v.votes {
            None => no_tallies += 1,
            Some(map) => match finals
                .iter_mut()
                .find(|f| f.dialogue == v.dialogue && &f.votes == map)
            {
                Some(f) => {
                    f.clients += 1;
                    f.latest_since_us = f.latest_since_us.max(v.votes_since_us);
                }
                None => finals.push(FinalView {
                    dialogue: v.dialogue,
                    votes: map.clone(),
                    clients: 1,
                    latest_since_us: v.votes_since_us,
                }),
            },
        }
    }
    let me = util::sample(std::process::id());
    let target = *shared.target.borrow();
    let missed = target.map_or(0, |t| {
        views.iter().map(|v| t.saturating_sub(v.last_seq)).sum()
    });
    Report {
        clients: shared.spec.count as u64,
        connected: st.connected,
        connect_failed: st.connect_failed.clone(),
        join: (&st.join).into(),
        closed: st.closed.clone(),
        gaps: st.gaps,
        errors: st.errors.clone(),
        unparsed: st.unparsed,
        phases: st
            .phases
            .iter()
            .map(|(k, p)| {
                (
                    *k,
                    PhaseWire {
                        deliveries: p.deliveries,
                        bytes: p.bytes,
                        hist: (&p.hist).into(),
                        first_recv_us: p.first_recv_us,
                        last_recv_us: p.last_recv_us,
                    },
                )
            })
            .collect(),
        ack: (&st.ack).into(),
        votes_sent: st.votes_sent,
        votes_acked: st.votes_acked,
        votes_unanswered: st.votes_unanswered,
        tally: st.tally.iter().map(|((d, q), n)| (*d, *q, *n)).collect(),
        last_vote_sent_us: st.last_vote_sent_us,
        last_vote_ack_us: st.last_vote_ack_us,
        final_views: finals,
        no_tallies,
        frames: st.frames,
        bytes: st.bytes,
        cpu_s: me.cpu_s,
        rss_kib: me.rss_kib,
        resumes: views.iter().filter_map(|v| v.resumed_at).collect(),
        resumes_total: st.resumes,
        resumed_snapshot: st.resumed_snapshot,
        reconnect_attempts: st.reconnect_attempts,
        reconnect_closes: st.reconnect_closes.clone(),
        alive,
        missed,
        http: shared.http.borrow_mut().take(),
    }
}

fn fail(s: &Shared, why: impl Into<String>) -> Option<(Ws, u64)> {
    *s.stats
        .borrow_mut()
        .connect_failed
        .entry(why.into())
        .or_default() += 1;
    None
}

/// Connects and finishes the system's handshake. Returns the socket and the
/// position the client is at (dialoghub: the snapshot's `seq`).
async fn connect(s: &Shared, i: usize) -> Option<(Ws, u64)> {
    let _permit = s.gate.acquire().await.ok()?;
    let t0 = now_us();
    let spec = &s.spec;
    let handshake = async {
        match spec.system {
            System::Dialoghub => dh_connect(spec, i, None, None).await.map(|(ws, token, w)| {
                let mut views = s.views.borrow_mut();
                views[i].token = Some(token);
                views[i].epoch = w.epoch;
                (ws, w.seq)
            }),
            // Every client from a loopback address of its own, as dialoghub's
            // participants are: 19,950 sockets from one address run out of its
            // ephemeral ports while the previous scenario's wait out TIME_WAIT.
            System::Nats => nats_connect(spec.port, util::participant_addr(spec.first + i))
                .await
                .map(|ws| (ws, 0)),
            System::Floor | System::FloorTicks => util::dial_from(
                Some(util::participant_addr(spec.first + i)),
                spec.port,
                "/sub",
            )
            .await
            .map(|ws| (ws, 0)),
        }
    };
    let result = match timeout(Duration::from_secs(30), handshake).await {
        Err(_) => return fail(s, "timeout"),
        Ok(Err(e)) => return fail(s, e),
        Ok(Ok(r)) => r,
    };
    let mut st = s.stats.borrow_mut();
    st.connected += 1;
    st.join.record(now_us() - t0);
    Some(result)
}

#[derive(Deserialize)]
struct In<'a> {
    #[serde(rename = "type", borrow)]
    ty: &'a str,
    epoch: Option<u64>,
    seq: Option<u64>,
    client_msg_id: Option<String>,
    code: Option<String>,
    votes: Option<BTreeMap<u64, u64>>,
    recovered: Option<bool>,
}

/// What a `welcome` said.
pub struct Welcome {
    pub epoch: u64,
    pub seq: u64,
    pub recovered: bool,
}

/// Joins (or mints a token, or reuses `token`) and says `hello`, with `resume`
/// (epoch, seq) when given. Returns the socket, the token and the `welcome`:
/// after a recovered resume the missed events are still to be read.
async fn dh_connect(
    spec: &WorkerSpec,
    i: usize,
    token: Option<String>,
    resume: Option<(u64, u64)>,
) -> Result<(Ws, String, Welcome), String> {
    let dh = spec.dh_for(i).ok_or("no dialoghub spec")?;
    // Each participant from its own address, as from home: none is a burst
    // identity, and no per-address limit is shared.
    let from = Some(util::participant_addr(spec.first + i));
    let token = if let Some(token) = token {
        token
    } else if dh.rest_join {
        let body = serde_json::json!({ "code": dh.code });
        let (status, v) =
            util::http_json_from(from, spec.port, "POST", "/api/join", Some(&body), &[]).await?;
        if status != 200 {
            return Err(format!("join HTTP {status}"));
        }
        v["token"].as_str().ok_or("join: no token")?.to_string()
    } else {
        util::mint(&dh.secret, "participant", Some(dh.dialogue_id))
    };
    let mut ws = util::dial_from(from, spec.port, "/ws").await?;
    let mut hello = serde_json::json!({ "type": "hello", "v": 1, "token": token });
    if let Some((epoch, seq)) = resume {
        hello["resume"] = serde_json::json!({ "epoch": epoch, "seq": seq });
    }
    ws.send(Message::Text(hello.to_string().into()))
        .await
        .map_err(|e| format!("hello: {e}"))?;
    let welcome = dh_welcome_full(&mut ws).await?;
    Ok((ws, token, welcome))
}

/// Reads `welcome` and then `snapshot`; returns (epoch, seq).
pub async fn dh_welcome(ws: &mut Ws) -> Result<(u64, u64), String> {
    let w = dh_welcome_full(ws).await?;
    Ok((w.epoch, w.seq))
}

/// Reads `welcome` and, unless it says `recovered`, the `snapshot` after it.
pub async fn dh_welcome_full(ws: &mut Ws) -> Result<Welcome, String> {
    let mut welcome = None;
    while let Some(msg) = ws.next().await {
        let text = match msg {
            Ok(Message::Text(t)) => t,
            Ok(Message::Close(c)) => {
                return Err(format!(
                    "closed {}",
                    c.map(|c| u16::from(c.code)).unwrap_or(0)
                ));
            }
            Ok(_) => continue,
            Err(e) => return Err(format!("read: {e}")),
        };
        let m: In = serde_json::from_str(&text).map_err(|e| format!("parse: {e}"))?;
        match m.ty {
            "welcome" => {
                let w = Welcome {
                    epoch: m.epoch.unwrap_or(0),
                    seq: m.seq.unwrap_or(0),
                    recovered: m.recovered == Some(true),
                };
                if w.recovered {
                    return Ok(w);
                }
                welcome = Some(w);
            }
            "snapshot" => {
                return welcome.ok_or_else(|| "snapshot before welcome".to_string());
            }
            "error" => return Err(format!("error {}", m.code.unwrap_or_default())),
            _ => {}
        }
    }
    Err("closed during hello".into())
}

async fn nats_connect(port: u16, from: std::net::Ipv4Addr) -> Result<Ws, String> {
    let mut ws = util::dial_from(Some(from), port, "/").await?;
    // INFO first, then CONNECT + SUB + PING; the PONG says the SUB is in place.
    let connect =
        "CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nSUB bench 1\r\nPING\r\n";
    ws.send(Message::Binary(connect.as_bytes().to_vec().into()))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut buf = Vec::new();
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(Message::Binary(b)) => buf.extend_from_slice(&b),
            Ok(Message::Text(t)) => buf.extend_from_slice(t.as_bytes()),
            Ok(Message::Close(_)) => return Err("closed".into()),
            Ok(_) => continue,
            Err(e) => return Err(format!("read: {e}")),
        }
        if buf.windows(6).any(|w| w == b"PONG\r\n") {
            return Ok(ws);
        }
        if buf.windows(4).any(|w| w == b"-ERR") {
            return Err("nats -ERR".into());
        }
    }
    Err("closed during connect".into())
}

/// Records one stamped delivery.
fn delivered(s: &Shared, frame_len: usize, stamp: &util::Stamp, t: u64) {
    let mut st = s.stats.borrow_mut();
    let p = st.phases.entry(stamp.phase).or_default();
    p.deliveries += 1;
    p.bytes += frame_len as u64;
    p.hist.record(t.saturating_sub(stamp.t_us));
    if p.first_recv_us == 0 || t < p.first_recv_us {
        p.first_recv_us = t;
    }
    p.last_recv_us = p.last_recv_us.max(t);
}

async fn client(
    s: &Shared,
    i: usize,
    ws: Ws,
    go: watch::Receiver<bool>,
    stop: watch::Receiver<bool>,
) {
    match s.spec.system {
        System::Dialoghub => dh_session(s, i, ws, go, stop).await,
        System::Nats | System::Floor | System::FloorTicks => peer_client(s, i, ws, stop).await,
    }
}

/// A dialoghub client over its connections: with `reconnect`, each close is
/// followed by the web client's backoff and a `resume`.
async fn dh_session(
    s: &Shared,
    i: usize,
    mut ws: Ws,
    mut go: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let Some(why) = dh_client(s, i, ws, &mut go, &mut stop).await else {
            return;
        };
        if !s.spec.reconnect || *stop.borrow() {
            return closed(s, why);
        }
        *s.stats
            .borrow_mut()
            .reconnect_closes
            .entry(why)
            .or_default() += 1;
        s.views.borrow_mut()[i].alive = false;
        match reconnect(s, i, &mut stop).await {
            Some(next) => ws = next,
            None => return,
        }
        s.views.borrow_mut()[i].alive = true;
    }
}

/// Reconnects as `web-client/js/connection.js` does: wait
/// min(10 s, 0.5 s × 2^attempt) × (0.5 … 1.0), then `hello` with the same token
/// and `resume`; again until it works or the worker stops.
async fn reconnect(s: &Shared, i: usize, stop: &mut watch::Receiver<bool>) -> Option<Ws> {
    let mut attempt = 0u32;
    loop {
        let jitter = 0.5 + f64::from(uuid::Uuid::new_v4().as_bytes()[0]) / 255.0 / 2.0;
        let delay = Duration::from_millis(500u64.saturating_mul(1 << attempt.min(5)).min(10_000))
            .mul_f64(jitter);
        attempt += 1;
        tokio::select! {
            _ = stop.changed() => return None,
            _ = tokio::time::sleep(delay) => {}
        }
        s.stats.borrow_mut().reconnect_attempts += 1;
        let (token, position) = {
            let views = s.views.borrow();
            (views[i].token.clone(), (views[i].epoch, views[i].last_seq))
        };
        let tried = timeout(
            Duration::from_secs(30),
            dh_connect(&s.spec, i, token, Some(position)),
        )
        .await;
        let Ok(Ok((ws, _, w))) = tried else {
            continue;
        };
        let now = now_us();
        let mut views = s.views.borrow_mut();
        let v = &mut views[i];
        if w.recovered {
            if w.epoch != v.epoch {
                s.stats.borrow_mut().gaps += 1;
            }
            if w.seq <= v.last_seq {
                s.stats.borrow_mut().resumes += 1;
                v.resumed_at = Some(now);
            } else {
                v.resume_until = Some(w.seq);
            }
        } else {
            // A snapshot instead of the missed events: the state is whole again,
            // but this is not the resume the scenario measures.
            s.stats.borrow_mut().resumed_snapshot += 1;
            v.epoch = w.epoch;
            v.last_seq = w.seq;
        }
        return Some(ws);
    }
}

fn closed(s: &Shared, why: String) {
    *s.stats.borrow_mut().closed.entry(why).or_default() += 1;
}

async fn peer_client(s: &Shared, i: usize, mut ws: Ws, mut stop: watch::Receiver<bool>) {
    let nats = s.spec.system == System::Nats;
    let mut buf: Vec<u8> = Vec::new();
    let mut last_seq = 0u64;
    loop {
        let msg = tokio::select! {
            _ = stop.changed() => return,
            m = ws.next() => m,
        };
        let t = now_us();
        let bytes: Vec<u8> = match msg {
            None => return closed(s, "eof".into()),
            Some(Err(e)) => return closed(s, format!("error: {e}")),
            Some(Ok(Message::Close(c))) => {
                return closed(
                    s,
                    format!("close {}", c.map(|c| u16::from(c.code)).unwrap_or(0)),
                );
            }
            Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
            Some(Ok(Message::Binary(b))) => b.to_vec(),
            Some(Ok(_)) => continue,
        };
        {
            let mut st = s.stats.borrow_mut();
            st.frames += 1;
            st.bytes += bytes.len() as u64;
        }
        let mut payloads: Vec<(usize, util::Stamp)> = Vec::new();
        let mut pong = false;
        if nats {
            buf.extend_from_slice(&bytes);
            // MSG <subject> <sid> <bytes>\r\n<payload>\r\n, PING, PONG, +OK, -ERR, INFO.
            let mut at = 0;
            while let Some(nl) = buf[at..].windows(2).position(|w| w == b"\r\n") {
                let line = &buf[at..at + nl];
                if line.starts_with(b"MSG ") {
                    let size: usize = std::str::from_utf8(line)
                        .ok()
                        .and_then(|l| l.rsplit(' ').next())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    let start = at + nl + 2;
                    if buf.len() < start + size + 2 {
                        break; // the rest of this message is in a later frame
                    }
                    match util::find_stamp(&buf[start..start + size]) {
                        Some(st) => payloads.push((size, st)),
                        None => s.stats.borrow_mut().unparsed += 1,
                    }
                    at = start + size + 2;
                } else {
                    if line.starts_with(b"PING") {
                        pong = true;
                    } else if line.starts_with(b"-ERR") {
                        *s.stats
                            .borrow_mut()
                            .errors
                            .entry(String::from_utf8_lossy(line).into_owned())
                            .or_default() += 1;
                    }
                    at += nl + 2;
                }
            }
            buf.drain(..at);
        } else if !bytes.starts_with(crate::floor::TICK_START.as_bytes()) {
            match util::find_stamp(&bytes) {
                Some(st) => payloads.push((bytes.len(), st)),
                None => s.stats.borrow_mut().unparsed += 1,
            }
        }
        for (len, stamp) in payloads {
            if stamp.seq != last_seq + 1 {
                s.stats.borrow_mut().gaps += 1;
            }
            last_seq = stamp.seq;
            delivered(s, len, &stamp, t);
        }
        s.views.borrow_mut()[i].last_seq = last_seq;
        if pong
            && ws
                .send(Message::Binary(b"PONG\r\n".to_vec().into()))
                .await
                .is_err()
        {
            return closed(s, "pong failed".into());
        }
    }
}

struct Pending {
    sent_us: u64,
    question: u64,
    on: bool,
}

/// Serves one connection until it ends (`Some(why)`) or the worker stops (`None`).
async fn dh_client(
    s: &Shared,
    i: usize,
    mut ws: Ws,
    go: &mut watch::Receiver<bool>,
    stop: &mut watch::Receiver<bool>,
) -> Option<String> {
    let mut epoch = s.views.borrow()[i].epoch;
    let mut ended = None;
    let mut last_seq = s.views.borrow()[i].last_seq;
    let votes = s.spec.dh_for(i).and_then(|d| d.votes.clone());
    let mut started = false;
    let mut voting = false;
    let mut vote_end = Instant::now();
    let mut next_vote = Instant::now();
    let mut k: u64 = 0;
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let mut mine: BTreeMap<u64, bool> = BTreeMap::new();
    let global = s.spec.first + i;
    let far = Instant::now() + Duration::from_secs(24 * 3600);
    loop {
        let can_send = voting
            && votes.as_ref().is_some_and(|v| pending.len() < v.window)
            && Instant::now() < vote_end;
        let grace_end = if voting {
            vote_end + Duration::from_secs(30)
        } else {
            far
        };
        let msg = tokio::select! {
            _ = stop.changed() => break,
            r = go.changed(), if !started && votes.is_some() => {
                started = true;
                if r.is_ok() {
                    let v = votes.as_ref().expect("checked");
                    let period = Duration::from_secs_f64(1.0 / v.per_sec);
                    voting = true;
                    vote_end = Instant::now() + Duration::from_millis(v.duration_ms);
                    // Spread the first votes over one period so the clients do not move in lockstep.
                    next_vote = Instant::now() + period.mul_f64((global % 997) as f64 / 997.0);
                }
                continue;
            }
            _ = sleep_until(next_vote), if can_send => {
                let v = votes.as_ref().expect("voting");
                let question = v.questions[((global as u64 + k) % v.questions.len() as u64) as usize];
                let on = (k / v.questions.len() as u64).is_multiple_of(2);
                let id = format!("v{global}-{k}");
                k += 1;
                next_vote += Duration::from_secs_f64(1.0 / v.per_sec);
                let frame = format!(
                    r#"{{"type":"vote","client_msg_id":"{id}","question_id":{question},"on":{on}}}"#
                );
                let t = now_us();
                pending.insert(id, Pending { sent_us: t, question, on });
                {
                    let mut st = s.stats.borrow_mut();
                    st.votes_sent += 1;
                    st.last_vote_sent_us = st.last_vote_sent_us.max(t);
                }
                if ws.send(Message::Text(frame.into())).await.is_err() {
                    ended = Some("send failed".into());
                    break;
                }
                continue;
            }
            _ = sleep_until(grace_end), if voting => {
                s.stats.borrow_mut().votes_unanswered += pending.len() as u64;
                pending.clear();
                voting = false;
                finish_votes(s, i, &mine);
                continue;
            }
            m = ws.next() => m,
        };
        let t = now_us();
        let text = match msg {
            None => {
                ended = Some("eof".into());
                break;
            }
            Some(Err(e)) => {
                ended = Some(format!("error: {e}"));
                break;
            }
            Some(Ok(Message::Close(c))) => {
                ended = Some(format!(
                    "close {}",
                    c.map(|c| u16::from(c.code)).unwrap_or(0)
                ));
                break;
            }
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(_)) => continue,
        };
        {
            let mut st = s.stats.borrow_mut();
            st.frames += 1;
            st.bytes += text.len() as u64;
        }
        let m: In = match serde_json::from_str(&text) {
            Ok(m) => m,
            Err(_) => {
                s.stats.borrow_mut().unparsed += 1;
                continue;
            }
        };
        match m.ty {
            "event" => {
                let (e, q) = (m.epoch.unwrap_or(0), m.seq.unwrap_or(0));
                if epoch == 0 {
                    epoch = e;
                }
                if e != epoch || q != last_seq + 1 {
                    s.stats.borrow_mut().gaps += 1;
                }
                last_seq = q;
                let mut views = s.views.borrow_mut();
                views[i].last_seq = q;
                if views[i].resume_until.is_some_and(|u| q >= u) {
                    views[i].resume_until = None;
                    views[i].resumed_at = Some(t);
                    s.stats.borrow_mut().resumes += 1;
                }
                drop(views);
                if let Some(stamp) = util::find_stamp(text.as_bytes()) {
                    delivered(s, text.len(), &stamp, t);
                }
            }
            "live" => {
                if let Some(map) = m.votes {
                    let map: BTreeMap<u64, u64> = map.into_iter().filter(|(_, c)| *c > 0).collect();
                    let mut views = s.views.borrow_mut();
                    let v = &mut views[i];
                    if v.votes.as_ref() != Some(&map) {
                        v.votes = Some(map);
                        v.votes_since_us = t;
                    }
                }
            }
            "ack" => {
                if let Some(p) = m.client_msg_id.and_then(|id| pending.remove(&id)) {
                    mine.insert(p.question, p.on);
                    let mut st = s.stats.borrow_mut();
                    st.ack.record(t.saturating_sub(p.sent_us));
                    st.votes_acked += 1;
                    st.last_vote_ack_us = st.last_vote_ack_us.max(t);
                }
            }
            "error" => {
                if let Some(id) = &m.client_msg_id {
                    pending.remove(id);
                }
                *s.stats
                    .borrow_mut()
                    .errors
                    .entry(m.code.unwrap_or_else(|| "?".into()))
                    .or_default() += 1;
            }
            _ => {}
        }
        if voting && Instant::now() >= vote_end && pending.is_empty() {
            voting = false;
            finish_votes(s, i, &mine);
        }
    }
    if voting {
        s.stats.borrow_mut().votes_unanswered += pending.len() as u64;
        finish_votes(s, i, &mine);
    }
    ended
}

fn finish_votes(s: &Shared, i: usize, mine: &BTreeMap<u64, bool>) {
    let mut st = s.stats.borrow_mut();
    let dialogue = s.views.borrow()[i].dialogue;
    for (q, on) in mine {
        *st.tally.entry((dialogue, *q)).or_default() += i64::from(*on);
    }
    s.views.borrow_mut()[i].voting_done = true;
}
