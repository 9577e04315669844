//! The scenarios, the smoke check, and the report.

use crate::publish::{DhConn, PeerPublisher, Published, create_dialogue};
use crate::servers::{self, Server, Workers};
use crate::util::{self, Hist, ProcSample, cpu_percent, now_us};
use crate::worker::{DhSpec, FinalView, Report, System, VoteSpec, WorkerSpec};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub struct Ctx {
    pub bench: PathBuf,
    pub dialoghub: PathBuf,
    pub nats: PathBuf,
    pub out: PathBuf,
    pub quick: bool,
}

/// Everything the workers of one scenario reported, added up.
#[derive(Default)]
pub struct Merged {
    pub clients: u64,
    pub connected: u64,
    pub failed: BTreeMap<String, u64>,
    pub join: Hist,
    pub closed: BTreeMap<String, u64>,
    pub gaps: u64,
    pub errors: BTreeMap<String, u64>,
    pub unparsed: u64,
    pub phases: BTreeMap<u8, (u64, u64, Hist, u64, u64)>,
    pub ack: Hist,
    pub votes_sent: u64,
    pub votes_acked: u64,
    pub votes_unanswered: u64,
    /// (dialogue, question) → clients whose last acknowledged vote is "on".
    pub tally: BTreeMap<(usize, u64), i64>,
    pub last_vote_sent_us: u64,
    pub last_vote_ack_us: u64,
    pub finals: Vec<FinalView>,
    pub no_tallies: u64,
    /// Frames the clients received over the whole run, and their bytes.
    pub frames: u64,
    pub bytes: u64,
    pub cpu_s: f64,
    pub rss_kib: u64,
}

pub fn merge(reports: &[Report]) -> Merged {
    let mut m = Merged::default();
    for r in reports {
        m.clients += r.clients;
        m.connected += r.connected;
        for (k, v) in &r.connect_failed {
            *m.failed.entry(k.clone()).or_default() += v;
        }
        m.join.merge(&(&r.join).into());
        for (k, v) in &r.closed {
            *m.closed.entry(k.clone()).or_default() += v;
        }
        m.gaps += r.gaps;
        for (k, v) in &r.errors {
            *m.errors.entry(k.clone()).or_default() += v;
        }
        m.unparsed += r.unparsed;
        for (k, p) in &r.phases {
            let e = m.phases.entry(*k).or_default();
            e.0 += p.deliveries;
            e.1 += p.bytes;
            e.2.merge(&(&p.hist).into());
            e.3 = if e.3 == 0 {
                p.first_recv_us
            } else {
                e.3.min(p.first_recv_us)
            };
            e.4 = e.4.max(p.last_recv_us);
        }
        m.ack.merge(&(&r.ack).into());
        m.votes_sent += r.votes_sent;
        m.votes_acked += r.votes_acked;
        m.votes_unanswered += r.votes_unanswered;
        for (d, q, n) in &r.tally {
            *m.tally.entry((*d, *q)).or_default() += n;
        }
        m.last_vote_sent_us = m.last_vote_sent_us.max(r.last_vote_sent_us);
        m.last_vote_ack_us = m.last_vote_ack_us.max(r.last_vote_ack_us);
        for f in &r.final_views {
            match m
                .finals
                .iter_mut()
                .find(|x| x.dialogue == f.dialogue && x.votes == f.votes)
            {
                Some(x) => {
                    x.clients += f.clients;
                    x.latest_since_us = x.latest_since_us.max(f.latest_since_us);
                }
                None => m.finals.push(FinalView {
                    dialogue: f.dialogue,
                    votes: f.votes.clone(),
                    clients: f.clients,
                    latest_since_us: f.latest_since_us,
                }),
            }
        }
        m.no_tallies += r.no_tallies;
        m.frames += r.frames;
        m.bytes += r.bytes;
        m.cpu_s += r.cpu_s;
        m.rss_kib += r.rss_kib;
    }
    m
}

impl Merged {
    /// The tallies of `dialogue` implied by the acknowledged votes.
    pub fn expected_tally(&self, dialogue: usize) -> BTreeMap<u64, u64> {
        self.tally
            .iter()
            .filter(|((d, _), n)| *d == dialogue && **n > 0)
            .map(|((_, q), n)| (*q, *n as u64))
            .collect()
    }

    /// Every client of a one-dialogue run ends up showing the same tallies,
    /// those its acknowledged votes imply.
    pub fn tallies_agree(&self) -> bool {
        self.finals.len() == 1
            && self.finals[0].votes == self.expected_tally(0)
            && self.no_tallies == 0
    }

    fn phase_json(&self, phase: u8, published: &Published, clients: u64) -> Value {
        let Some((deliveries, bytes, hist, _first, last)) = self.phases.get(&phase) else {
            return json!({ "events": published.sent, "deliveries": 0 });
        };
        let span = last.saturating_sub(published.first_send_us).max(1) as f64 / 1e6;
        json!({
            "events": published.sent,
            "deliveries": deliveries,
            "expected_deliveries": published.sent * clients,
            "latency": hist.summary_ms(),
            "span_ms": (span * 1000.0).round(),
            "deliveries_per_s": (*deliveries as f64 / span).round(),
            "bytes_per_delivery": if *deliveries > 0 { bytes / deliveries } else { 0 },
        })
    }
}

pub(crate) fn spec(system: System, port: u16, first: usize, count: usize) -> WorkerSpec {
    WorkerSpec {
        system,
        port,
        first,
        count,
        connect_concurrency: 200,
        spread_ms: 0,
        deadline_secs: 900,
        dh: None,
        dialogues: Vec::new(),
        first_dialogue: 0,
        reconnect: false,
        http: None,
    }
}

pub(crate) fn dh_spec(
    d: &crate::publish::Dialogue,
    rest_join: bool,
    votes: Option<VoteSpec>,
) -> DhSpec {
    DhSpec {
        secret: servers::SECRET.into(),
        dialogue_id: d.id,
        code: d.code.clone(),
        rest_join,
        votes,
    }
}

pub(crate) fn start(ctx: &Ctx, system: System, env: &[(&str, String)]) -> Result<Server, String> {
    match system {
        System::Dialoghub => servers::start_dialoghub(&ctx.dialoghub, env),
        System::Nats => servers::start_nats(&ctx.nats),
        System::Floor => servers::start_floor(&ctx.bench, None),
        System::FloorTicks => {
            Err("floor-ticks starts only in a fan-out, which knows its paced phase".into())
        }
    }
}

pub(crate) fn mem_json(base: &ProcSample, loaded: &ProcSample, connected: u64) -> Value {
    let per = if connected > 0 {
        (loaded.rss_kib.saturating_sub(base.rss_kib)) as f64 / connected as f64
    } else {
        0.0
    };
    json!({
        "rss_base_mib": base.rss_kib / 1024,
        "rss_loaded_mib": loaded.rss_kib / 1024,
        "kib_per_connection": (per * 100.0).round() / 100.0,
    })
}

pub(crate) fn raised_limits() -> Vec<(&'static str, String)> {
    vec![
        ("DIALOGHUB_LIMITS__MESSAGES_PER_SEC", "100000".into()),
        ("DIALOGHUB_LIMITS__MESSAGES_BURST", "100000".into()),
    ]
}

pub(crate) fn loadgen_cpu(workers: &Workers, before: &[ProcSample]) -> f64 {
    workers
        .pids()
        .iter()
        .zip(before)
        .map(|(pid, b)| util::sample(*pid).cpu_s - b.cpu_s)
        .sum()
}

/// Events a second in the paced phase: the 10 approvals a second.
const PACED_RATE: f64 = 10.0;
/// Questions approved before a fan-out for its participants to vote on.
const TAIL_VOTED: usize = 5;
/// Votes a second in a fan-out's paced phase, all participants together: a
/// `live` frame with new tallies goes to everyone at every tick.
const TAIL_VOTES_PER_S: f64 = 20.0;
/// The floor-ticks system's extra frame: every 250 ms, 150 bytes (about the
/// size of dialoghub's `live` with five questions' tallies and presence).
const FLOOR_TICK: (u64, usize) = (250, 150);
/// The cluster-cost scenario's rate: 2 approvals a second.
const CLUSTER_RATE: f64 = 2.0;

/// The runtime worker threads and hub threads of each of `nodes` nodes that
/// share this machine: `BENCH_NODE_THREADS=N` gives each node N of each (the
/// cores divided among the nodes, say), instead of the server's default of one
/// of each per core. `None` (the default): the server's default. Dividing the
/// cores did not lower the cost per delivery beyond the spread between runs,
/// and it raised the tail (`docs/benchmarks.md`).
fn cluster_node_threads(nodes: usize) -> Option<usize> {
    if nodes < 2 {
        return None;
    }
    std::env::var("BENCH_NODE_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
}

/// Where a fan-out's dialoghub runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fleet {
    /// One node (SQLite), or `nodes` on PostgreSQL and Redis when more than one.
    Nodes(usize),
    /// One node alone on PostgreSQL, no bus.
    OnePostgres,
}

/// One publisher, `n` subscribers: `paced` events at `rate` a second, then `burst`
/// events at once. With `nodes` > 1 (dialoghub only), the subscribers are spread
/// evenly over that many nodes on PostgreSQL and Redis, and the publisher is on
/// the first.
pub async fn fanout(
    ctx: &Ctx,
    system: System,
    n: usize,
    (paced, burst, rate): (usize, usize, f64),
    fleet: Fleet,
) -> Result<Value, String> {
    let env = raised_limits();
    let nodes = match fleet {
        Fleet::Nodes(k) => k,
        Fleet::OnePostgres => 1,
    };
    let node_threads = cluster_node_threads(nodes);
    let (single, cluster);
    let servers: &[Server] = if nodes > 1 {
        let mut env = env.clone();
        if let Some(t) = node_threads {
            env.push(("TOKIO_WORKER_THREADS", t.to_string()));
            env.push(("DIALOGHUB_HUB__THREADS", t.to_string()));
        }
        cluster = servers::start_cluster(&ctx.dialoghub, nodes, &env)?;
        &cluster.nodes
    } else if fleet == Fleet::OnePostgres {
        cluster = servers::start_on_postgres(&ctx.dialoghub, &env)?;
        &cluster.nodes
    } else if system == System::FloorTicks {
        // Ticks through the paced phase, while dialoghub's participants vote.
        let tick = crate::floor::Ticks {
            every_ms: FLOOR_TICK.0,
            bytes: FLOOR_TICK.1,
            for_ms: (paced as f64 / rate * 1000.0) as u64,
        };
        single = [servers::start_floor(&ctx.bench, Some(tick))?];
        &single
    } else {
        single = [start(ctx, system, &env)?];
        &single
    };
    let pids: Vec<u32> = servers.iter().map(|s| s.pid).collect();
    let port = servers[0].port;
    let text_len = 100; // dialoghub's public approval frame comes to about 300 bytes
    let peer_len = 300;
    enum Pub {
        Dh(DhConn, Vec<u64>),
        Peer(PeerPublisher),
    }
    // One node on SQLite (the fan-out scenarios): the participants take part as
    // real ones do, joining by code, so presence flows, and voting through the
    // paced phase, so tallies flow. The cluster's clients only listen: its
    // figure is CPU per delivery.
    // `BENCH_FANOUT_PARTICIPANTS=listen` (minted tokens, no votes, as before
    // 631b684) or `=join` (joined by code, no votes) takes them apart.
    let how = std::env::var("BENCH_FANOUT_PARTICIPANTS").unwrap_or_default();
    let as_people = system == System::Dialoghub && fleet == Fleet::Nodes(1) && how != "listen";
    let voting = as_people && how != "join";
    let mut setup = json!({});
    let mut voted = Vec::new();
    let (mut publisher, dialogue) = match system {
        System::Dialoghub => {
            let d = create_dialogue(port).await?;
            let mut asker = DhConn::open(port, "participant", d.id).await?;
            let extra = if as_people { TAIL_VOTED } else { 0 };
            let (asked, mut ids) = asker.ask(extra + paced + burst, None).await?;
            setup = json!({ "asks": asked.sent, "ask_ack": asked.acks.summary_ms() });
            drop(asker);
            let mut moderator = DhConn::open(port, "moderator", d.id).await?;
            if as_people {
                voted = ids.drain(..TAIL_VOTED).collect();
                let approved = moderator.approve(&voted, 0, None, 0).await?;
                if !approved.errors.is_empty() {
                    return Err(format!("approvals refused: {:?}", approved.errors));
                }
            }
            (Pub::Dh(moderator, ids), Some(d))
        }
        _ => (Pub::Peer(PeerPublisher::open(system, port).await?), None),
    };
    let votes = voting.then(|| VoteSpec {
        questions: voted.clone(),
        per_sec: TAIL_VOTES_PER_S / n as f64,
        window: 4,
        duration_ms: (paced as f64 / rate * 1000.0) as u64,
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let base = util::sample_all(&pids);
    let mut specs = Vec::new();
    for (k, node) in servers.iter().enumerate() {
        let (from, to) = (n * k / servers.len(), n * (k + 1) / servers.len());
        specs.extend(servers::split(to - from, |first, count| WorkerSpec {
            dh: dialogue
                .as_ref()
                .map(|d| dh_spec(d, as_people, votes.clone())),
            ..spec(system, node.port, from + first, count)
        }));
    }
    let t_connect = now_us();
    let mut workers = Workers::spawn(&ctx.bench, &specs)?;
    let lg_before: Vec<ProcSample> = workers.pids().iter().map(|p| util::sample(*p)).collect();
    workers.wait("ready ", Duration::from_secs(300)).await?;
    let connect_ms = (now_us() - t_connect) / 1000;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = util::sample_all(&pids);
    let (p1, p2);
    let mut incomplete = Vec::new();
    if voting {
        workers.send("go");
    }
    match &mut publisher {
        Pub::Dh(m, ids) => {
            p1 = m.approve(&ids[..paced], 1, Some(rate), text_len).await?;
        }
        Pub::Peer(p) => p1 = p.publish(paced, 1, Some(rate), peer_len).await?,
    }
    workers.send(&format!("expect {}", p1.last_seq));
    if let Err(e) = workers.wait("complete", Duration::from_secs(30)).await {
        incomplete.push(format!("paced: {e}"));
    }
    let after_paced = util::sample_all(&pids);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before_burst = util::sample_all(&pids);
    match &mut publisher {
        Pub::Dh(m, ids) => {
            p2 = m
                .approve(&ids[paced..paced + burst], 2, None, text_len)
                .await?;
        }
        Pub::Peer(p) => p2 = p.publish(burst, 2, None, peer_len).await?,
    }
    workers.send(&format!("expect {}", p2.last_seq));
    if let Err(e) = workers.wait("complete", Duration::from_secs(90)).await {
        incomplete.push(format!("burst: {e}"));
    }
    let after_burst = util::sample_all(&pids);
    if voting && let Err(e) = workers.wait("votes-done", Duration::from_secs(60)).await {
        incomplete.push(format!("votes: {e}"));
    }
    let lg_cpu = loadgen_cpu(&workers, &lg_before);
    let reports = workers.report().await?;
    let m = merge(&reports);
    let pub_gaps = match &publisher {
        Pub::Dh(c, _) => c.gaps,
        Pub::Peer(_) => 0,
    };
    let mut publisher_errors: BTreeMap<String, u64> = BTreeMap::new();
    for (k, v) in p1.errors.iter().chain(p2.errors.iter()) {
        *publisher_errors.entry(k.clone()).or_default() += v;
    }
    let paced_deliveries = m.phases.get(&1).map_or(0, |p| p.0);
    // Every server process's CPU time over the paced window, per delivery.
    let cpu_us_per_delivery = if paced_deliveries > 0 {
        json!(
            ((after_paced.cpu_s - idle.cpu_s) * 1e6 / paced_deliveries as f64 * 100.0).round()
                / 100.0
        )
    } else {
        Value::Null
    };
    Ok(json!({
        "scenario": if nodes > 1 { format!("cluster-{n}") } else { format!("fanout-{n}") },
        "system": if nodes > 1 { format!("{}-{nodes}-nodes", system.name()) } else { system.name().to_string() },
        "nodes": nodes,
        // Runtime worker and hub threads of each node; null: one of each per core.
        "node_threads": node_threads,
        "store": if fleet == Fleet::Nodes(1) { "sqlite" } else { "postgres" },
        "paced_rate_per_s": rate,
        "requested": n,
        "connected": m.connected,
        "connect_failed": m.failed,
        "connect_ms": connect_ms,
        "join": m.join.summary_ms(),
        "setup": setup,
        // How the participants took part: joined by code and voting, or listening.
        "participants": if as_people {
            json!({
                "joined_by_code": true,
                "votes_per_s_offered": if voting { TAIL_VOTES_PER_S } else { 0.0 },
                "votes_sent": m.votes_sent,
                "votes_acked": m.votes_acked,
                "votes_unanswered": m.votes_unanswered,
                "vote_ack": m.ack.summary_ms(),
                // Every client's final tallies equal what the acknowledged votes imply.
                "tallies_exact": voting.then(|| m.tallies_agree()),
            })
        } else {
            json!({ "joined_by_code": false, "votes_per_s_offered": 0 })
        },
        // Over the whole run, every system: dialoghub's snapshot, events and
        // `live` frames; the floor-ticks' events and ticks.
        "frames_per_client": if m.connected > 0 { json!(((m.frames as f64 / m.connected as f64) * 10.0).round() / 10.0) } else { Value::Null },
        "bytes_per_client": m.bytes.checked_div(m.connected),
        "paced": m.phase_json(1, &p1, m.connected),
        "burst": m.phase_json(2, &p2, m.connected),
        // The moderator's approve → ack: the server's read, decision and commit.
        "publisher_ack": if system == System::Dialoghub {
            json!({ "paced": p1.acks.summary_ms(), "burst": p2.acks.summary_ms() })
        } else { Value::Null },
        "publisher_errors": publisher_errors,
        "server": {
            "memory": mem_json(&base, &idle, m.connected),
            "rss_end_mib": after_burst.rss_kib / 1024,
            "cpu_paced_pct": cpu_percent(&idle, &after_paced),
            "cpu_paced_s": ((after_paced.cpu_s - idle.cpu_s) * 100.0).round() / 100.0,
            "cpu_us_per_delivery_paced": cpu_us_per_delivery,
            "cpu_burst_pct": cpu_percent(&before_burst, &after_burst),
        },
        "loadgen": { "processes": reports.len(), "cpu_s": (lg_cpu * 10.0).round() / 10.0, "rss_mib": m.rss_kib / 1024 },
        "gaps": m.gaps + pub_gaps,
        "errors": m.errors,
        "closed": m.closed,
        "unparsed": m.unparsed,
        "incomplete": incomplete,
    }))
}

/// `n` participants, connected and doing nothing: what each costs the server.
pub async fn idle(ctx: &Ctx, system: System, n: usize) -> Result<Value, String> {
    let server = start(ctx, system, &[])?;
    let port = server.port;
    let dialogue = match system {
        System::Dialoghub => {
            let d = create_dialogue(port).await?;
            Some(d)
        }
        _ => None,
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let base = util::sample(server.pid);
    let specs = servers::split(n, |first, count| WorkerSpec {
        dh: dialogue.as_ref().map(|d| dh_spec(d, false, None)),
        ..spec(system, port, first, count)
    });
    let mut workers = Workers::spawn(&ctx.bench, &specs)?;
    workers.wait("ready ", Duration::from_secs(300)).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let a = util::sample(server.pid);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let b = util::sample(server.pid);
    let reports = workers.report().await?;
    let m = merge(&reports);
    Ok(json!({
        "scenario": format!("idle-{n}"),
        "system": system.name(),
        "requested": n,
        "connected": m.connected,
        "connect_failed": m.failed,
        "join": m.join.summary_ms(),
        "server": { "memory": mem_json(&base, &b, m.connected), "cpu_idle_pct": cpu_percent(&a, &b) },
        "gaps": m.gaps,
        "errors": m.errors,
        "closed": m.closed,
    }))
}

/// `n` participants voting on 20 approved questions at `per_sec` each for `secs`,
/// at most `window` unacknowledged; joined by code with `rest_join` (else with
/// minted tokens).
pub async fn vote_storm(
    ctx: &Ctx,
    name: &str,
    n: usize,
    (per_sec, window, secs): (f64, usize, u64),
    env: &[(&str, String)],
    rest_join: bool,
) -> Result<Value, String> {
    let (metrics_port, listen) = crate::metrics::listen_env()?;
    let server = start(ctx, System::Dialoghub, &[env, &[listen]].concat())?;
    let port = server.port;
    let d = create_dialogue(port).await?;
    let mut asker = DhConn::open(port, "participant", d.id).await?;
    let (_, ids) = asker.ask(20, None).await?;
    drop(asker);
    let mut moderator = DhConn::open(port, "moderator", d.id).await?;
    let approved = moderator.approve(&ids, 0, None, 0).await?;
    if !approved.errors.is_empty() {
        return Err(format!("approvals refused: {:?}", approved.errors));
    }
    let votes = VoteSpec {
        questions: ids.clone(),
        per_sec,
        window,
        duration_ms: secs * 1000,
    };
    let specs = servers::split(n, |first, count| WorkerSpec {
        dh: Some(dh_spec(&d, rest_join, Some(votes.clone()))),
        ..spec(System::Dialoghub, port, first, count)
    });
    let mut workers = Workers::spawn(&ctx.bench, &specs)?;
    workers.wait("ready ", Duration::from_secs(300)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = util::sample(server.pid);
    let counters_before = crate::metrics::scrape(metrics_port).await?;
    let go_us = now_us();
    workers.send("go");
    let done = workers
        .wait("votes-done", Duration::from_secs(secs + 60))
        .await;
    let after = util::sample(server.pid);
    let run_s = (now_us() - go_us) as f64 / 1e6;
    // The store's share of the ack: how long the dialogue's appends took.
    let counters = crate::metrics::scrape(metrics_port)
        .await
        .map(|c| crate::metrics::work(&counters_before, &c, run_s))
        .unwrap_or_else(|e| json!({ "failed": e }));
    // Tallies go out every 250 ms; give them time to land everywhere.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let reports = workers.report().await?;
    let m = merge(&reports);
    let expected = m.expected_tally(0);
    let agree = m.tallies_agree();
    let latest = m
        .finals
        .iter()
        .map(|f| f.latest_since_us)
        .max()
        .unwrap_or(0);
    let span = (m.last_vote_ack_us.saturating_sub(go_us)).max(1) as f64 / 1e6;
    drop(server);
    Ok(json!({
        "scenario": name,
        "system": "dialoghub",
        "requested": n,
        "connected": m.connected,
        "connect_failed": m.failed,
        "offered_per_s": (n as f64 * per_sec).round(),
        "per_client": { "per_sec": per_sec, "window": window, "secs": secs },
        "limits": env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
        "votes_sent": m.votes_sent,
        "votes_acked": m.votes_acked,
        "votes_unanswered": m.votes_unanswered,
        "durable_votes_per_s": (m.votes_acked as f64 / span).round(),
        "ack": m.ack.summary_ms(),
        "tallies": {
            "expected_total": expected.values().sum::<u64>(),
            "every_client_agrees_with_acked_votes": agree,
            "distinct_final_views": m.finals.len(),
            "clients_without_tallies": m.no_tallies,
            "final_shown_ms_after_last_vote_sent": (latest.saturating_sub(m.last_vote_sent_us)) as f64 / 1000.0,
            "final_shown_ms_after_last_ack": (latest.saturating_sub(m.last_vote_ack_us)) as f64 / 1000.0,
            "final_shown_within_250_ms": agree && latest.saturating_sub(m.last_vote_sent_us) <= 250_000,
        },
        "joined_by_code": rest_join,
        "server": { "cpu_pct": cpu_percent(&before, &after), "rss_end_mib": after.rss_kib / 1024 },
        "server_counters": counters,
        "loadgen": { "processes": reports.len(), "cpu_s": (m.cpu_s * 10.0).round() / 10.0 },
        "gaps": m.gaps + moderator.gaps,
        "errors": m.errors,
        "closed": m.closed,
        "votes_done": done.is_ok(),
    }))
}

/// `n` participants join by code over REST and then connect, spread over `spread_ms`.
pub async fn join_storm(
    ctx: &Ctx,
    name: &str,
    n: usize,
    spread_ms: u64,
    concurrency: usize,
) -> Result<Value, String> {
    let server = start(ctx, System::Dialoghub, &raised_limits())?;
    let port = server.port;
    let d = create_dialogue(port).await?;
    // A realistic snapshot: twenty approved questions.
    let mut asker = DhConn::open(port, "participant", d.id).await?;
    let (_, ids) = asker.ask(20, None).await?;
    drop(asker);
    let mut moderator = DhConn::open(port, "moderator", d.id).await?;
    moderator.approve(&ids, 0, None, 0).await?;
    let base = util::sample(server.pid);
    let specs = servers::split(n, |first, count| WorkerSpec {
        spread_ms,
        connect_concurrency: concurrency,
        dh: Some(dh_spec(&d, true, None)),
        ..spec(System::Dialoghub, port, first, count)
    });
    let t0 = now_us();
    let mut workers = Workers::spawn(&ctx.bench, &specs)?;
    workers.wait("ready ", Duration::from_secs(120)).await?;
    let took_ms = (now_us() - t0) / 1000;
    let after = util::sample(server.pid);
    let reports = workers.report().await?;
    let m = merge(&reports);
    drop(server);
    Ok(json!({
        "scenario": name,
        "system": "dialoghub",
        "requested": n,
        "accepted": m.connected,
        "connect_failed": m.failed,
        "spread_ms": spread_ms,
        "all_joined_ms": took_ms,
        "join": m.join.summary_ms(),
        "server": { "cpu_pct": cpu_percent(&base, &after), "memory": mem_json(&base, &after, m.connected) },
        "gaps": m.gaps + moderator.gaps,
        "errors": m.errors,
        "closed": m.closed,
    }))
}

// ---------------------------------------------------------------------------

pub async fn run_all(ctx: &Ctx, only: &[String]) -> Result<Vec<Value>, String> {
    let want = |name: &str| only.is_empty() || only.iter().any(|o| name.starts_with(o.as_str()));
    let systems = [
        System::Dialoghub,
        System::Nats,
        System::Floor,
        System::FloorTicks,
    ];
    let (sizes, paced, burst): (Vec<usize>, usize, usize) = if ctx.quick {
        (vec![1000], 50, 100)
    } else {
        // 19,950, not 20,000: a process may hold 20,000 open files, and the server
        // needs a few of its own (listener, database, log, epoll).
        (vec![1000, 5000, 10000, 19950], 150, 200)
    };
    let mut results = Vec::new();
    let mut record = |r: Result<Value, String>, name: &str, system: &str| {
        let v = r
            .map(|mut v| {
                // Other work on this machine skews everything; keep the evidence.
                v["loadavg_after"] = json!(
                    std::fs::read_to_string("/proc/loadavg")
                        .unwrap_or_default()
                        .trim()
                );
                v
            })
            .unwrap_or_else(|e| {
                eprintln!("bench: {name} on {system} failed: {e}");
                json!({ "scenario": name, "system": system, "failed": e })
            });
        eprintln!("bench: {name} {system}: {}", short(&v));
        let file = ctx.out.join(format!("{name}-{system}.json"));
        let _ = std::fs::write(file, serde_json::to_string_pretty(&v).unwrap_or_default());
        results.push(v);
    };
    for &n in &sizes {
        let name = format!("fanout-{n}");
        if !want(&name) {
            continue;
        }
        for s in systems {
            eprintln!("bench: {name} on {} …", s.name());
            let r = fanout(ctx, s, n, (paced, burst, PACED_RATE), Fleet::Nodes(1)).await;
            record(r, &name, s.name());
        }
    }
    // One dialogue on three nodes: more participants than one process may hold.
    let (cluster_n, nodes) = if ctx.quick { (3000, 3) } else { (50000, 3) };
    let name = format!("cluster-{cluster_n}");
    if want(&name) {
        let system = format!("dialoghub-{nodes}-nodes");
        if let Err(why) = servers::cluster_urls() {
            eprintln!("bench: {name} skipped: {why}");
        } else {
            eprintln!("bench: {name} on {system} …");
            let r = fanout(
                ctx,
                System::Dialoghub,
                cluster_n,
                (paced, burst, PACED_RATE),
                Fleet::Nodes(nodes),
            )
            .await;
            record(r, &name, &system);
        }
    }
    // The cluster's cost: three nodes × 6,650 at 2 approvals a second, beside one
    // node (on the same kind of PostgreSQL database, no bus) with all 19,950.
    let (cost_n, cost_paced) = if ctx.quick { (900, 10) } else { (19950, 60) };
    let name = "cluster-19950";
    if want(name) {
        if let Err(why) = servers::cluster_urls() {
            eprintln!("bench: {name} skipped: {why}");
        } else {
            let mut per_delivery = Vec::new();
            for fleet in [Fleet::OnePostgres, Fleet::Nodes(3)] {
                let system = match fleet {
                    Fleet::OnePostgres => "dialoghub-1-node".to_string(),
                    Fleet::Nodes(k) => format!("dialoghub-{k}-nodes"),
                };
                eprintln!("bench: {name} on {system} …");
                let shape = (cost_paced, 0, CLUSTER_RATE);
                let r = fanout(ctx, System::Dialoghub, cost_n, shape, fleet).await;
                let r = r.map(|mut v| {
                    v["scenario"] = json!(name);
                    v["system"] = json!(system);
                    per_delivery.push(v["server"]["cpu_us_per_delivery_paced"].as_f64());
                    if let [Some(one), Some(three)] = per_delivery[..] {
                        v["cpu_per_delivery_vs_one_node"] =
                            json!((three / one * 100.0).round() / 100.0);
                    }
                    v
                });
                record(r, name, &system);
            }
        }
    }
    let restart_n = if ctx.quick { 1000 } else { 10000 };
    let name = "restart-storm";
    if want(name) {
        use crate::restart::Store;
        for store in [Store::Sqlite, Store::Postgres] {
            if store == Store::Postgres && std::env::var("DATABASE_URL").is_err() {
                eprintln!("bench: {name} on PostgreSQL skipped: it needs DATABASE_URL");
                continue;
            }
            eprintln!("bench: {name} on {} …", store.system());
            let r = crate::restart::restart_storm(ctx, name, restart_n, store).await;
            record(r, name, store.system());
        }
    }
    let idle_n = if ctx.quick { 1000 } else { 10000 };
    let name = format!("idle-{idle_n}");
    if want(&name) {
        // Idle, the floor-ticks would be the floor.
        for s in [System::Dialoghub, System::Nats, System::Floor] {
            eprintln!("bench: {name} on {} …", s.name());
            record(idle(ctx, s, idle_n).await, &name, s.name());
        }
    }
    let (voters, secs) = if ctx.quick { (500, 4) } else { (5000, 10) };
    if want("vote-10k") {
        // The target as a load: 10,000 votes a second offered (2 per client),
        // within the default limits. Are they all durable with ack p99 <= 100 ms?
        eprintln!("bench: vote-10k …");
        let r = vote_storm(
            ctx,
            "vote-10k",
            voters,
            (10_000.0 / voters as f64, 10, secs),
            &[],
            false,
        )
        .await;
        record(r, "vote-10k", "dialoghub");
    }
    if want("vote-storm") {
        eprintln!("bench: vote-storm …");
        let r = vote_storm(ctx, "vote-storm", voters, (5.0, 10, secs), &[], false).await;
        record(r, "vote-storm", "dialoghub");
        eprintln!("bench: vote-storm-raised …");
        let env = [
            ("DIALOGHUB_LIMITS__MESSAGES_PER_SEC", "1000".to_string()),
            ("DIALOGHUB_LIMITS__MESSAGES_BURST", "1000".to_string()),
        ];
        let r = vote_storm(
            ctx,
            "vote-storm-raised",
            voters,
            (20.0, 4, secs),
            &env,
            false,
        )
        .await;
        record(r, "vote-storm-raised", "dialoghub");
    }
    if want("vote-25k") {
        // 25,000 durable votes a second offered (5 a second from each of 5,000
        // participants joined by code), the per-connection limit raised so only
        // the server's own speed decides.
        eprintln!("bench: vote-25k …");
        let env = [
            ("DIALOGHUB_LIMITS__MESSAGES_PER_SEC", "1000".to_string()),
            ("DIALOGHUB_LIMITS__MESSAGES_BURST", "1000".to_string()),
        ];
        let (n, secs) = if ctx.quick { (1000, 4) } else { (5000, 10) };
        let r = vote_storm(ctx, "vote-25k", n, (5.0, 10, secs), &env, true).await;
        record(r, "vote-25k", "dialoghub");
    }
    // Many dialogues at once, with one hub thread per core and with one, in turn.
    let (dialogues, per, secs) = if ctx.quick {
        (20, 50, 5)
    } else {
        (200, 50, 20)
    };
    let name = format!("many-{dialogues}x{per}");
    if want(&name) {
        for threads in [2, 1] {
            let system = format!("dialoghub-threads-{threads}");
            eprintln!("bench: {name} on {system} …");
            let size = crate::many::Size {
                dialogues,
                per,
                secs,
                threads,
                default_limits: false,
                during: crate::many::During::Nothing,
            };
            record(crate::many::many(ctx, &name, &size).await, &name, &system);
        }
    }
    // One meeting alone and under a question flood (issue 19).
    if want("flood-300") {
        let (per, secs, each) = if ctx.quick {
            (100, 5, 25)
        } else {
            (300, 20, 100)
        };
        let flood = crate::many::During::Flood {
            identities: 100,
            each,
            per_sec: 5.0,
        };
        let runs =
            crate::meeting::alone_and_with(ctx, "flood-300", (per, secs), flood, "flood").await;
        for (r, system) in runs {
            record(r, "flood-300", &system);
        }
    }
    // One meeting alone and while its public pages are fetched (issue 19).
    if want("public-1000") {
        let (per, secs, rate, conns) = if ctx.quick {
            (200, 5, 200.0, 10)
        } else {
            (1000, 20, 1000.0, 50)
        };
        let public = crate::many::During::Public {
            per_sec: rate,
            connections: conns,
        };
        let runs =
            crate::meeting::alone_and_with(ctx, "public-1000", (per, secs), public, "public-pages")
                .await;
        for (r, system) in runs {
            record(r, "public-1000", &system);
        }
    }
    let joins = if ctx.quick { 500 } else { 5000 };
    if want("join-storm") {
        eprintln!("bench: join-storm …");
        let r = join_storm(ctx, "join-storm", joins, 10_000, 200).await;
        record(r, "join-storm", "dialoghub");
        eprintln!("bench: join-burst …");
        let r = join_storm(ctx, "join-burst", joins * 2, 0, 250).await;
        record(r, "join-burst", "dialoghub");
    }
    Ok(results)
}

fn short(v: &Value) -> String {
    if let Some(e) = v.get("failed") {
        return format!("FAILED {e}");
    }
    let mut parts = vec![format!(
        "connected {}",
        v["connected"]
            .as_u64()
            .or(v["accepted"].as_u64())
            .unwrap_or(0)
    )];
    if let Some(p) = v.get("paced") {
        parts.push(format!("paced p99 {} ms", p["latency"]["p99_ms"]));
    }
    if let Some(p) = v.get("burst") {
        parts.push(format!("burst {}/s", p["deliveries_per_s"]));
    }
    if let Some(x) = v.get("durable_votes_per_s") {
        parts.push(format!("{x} votes/s, ack p99 {} ms", v["ack"]["p99_ms"]));
    }
    if let Some(r) = v.get("resume_after_listening") {
        parts.push(format!(
            "resumed {}, p99 {} ms, last {} ms after listening, missed {}",
            v["resumed"], r["p99_ms"], r["max_ms"], v["missed_events"]
        ));
    }
    if let Some(x) = v["server"].get("cpu_us_per_delivery_paced") {
        parts.push(format!("{x} CPU-µs/delivery"));
    }
    if let Some(x) = v.get("ratios") {
        parts.push(format!("ratios {x}"));
    }
    parts.push(format!("gaps {}", v["gaps"]));
    parts.join(", ")
}

// ---------------------------------------------------------------------------
// The table.

pub(crate) fn f(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            if x.fract() == 0.0 {
                format!("{}", x as i64)
            } else {
                format!("{x:.1}")
            }
        }
        Value::Bool(b) => {
            if *b {
                "yes".into()
            } else {
                "NO".into()
            }
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The table row of a result that failed: the cells `keys` of it, then why;
/// `None` if it did not fail.
pub(crate) fn failed_row(r: &Value, keys: &[&str]) -> Option<String> {
    let why = r.get("failed")?;
    let lead: String = keys.iter().map(|k| format!("| {} ", f(&r[*k]))).collect();
    Some(format!("{lead}| FAILED: {} |\n", f(why)))
}

pub(crate) fn problems(v: &Value) -> String {
    let count = |k: &str| -> u64 {
        match &v[k] {
            Value::Object(o) => o.values().filter_map(Value::as_u64).sum(),
            Value::Number(n) => n.as_u64().unwrap_or(0),
            _ => 0,
        }
    };
    let lost = match (&v["paced"], &v["burst"]) {
        (Value::Object(_), Value::Object(_)) => {
            let l = |p: &Value| {
                p["expected_deliveries"]
                    .as_u64()
                    .unwrap_or(0)
                    .saturating_sub(p["deliveries"].as_u64().unwrap_or(0))
            };
            l(&v["paced"]) + l(&v["burst"])
        }
        _ => 0,
    };
    format!(
        "{}/{}/{}/{}",
        count("gaps"),
        count("errors") + count("publisher_errors"),
        count("closed") + count("connect_failed"),
        lost
    )
}

fn ratio(a: &Value, b: &Value) -> String {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "–".into(),
    }
}

pub fn table(results: &[Value]) -> String {
    let mut t = String::new();
    let find = |scenario: &str, system: &str| {
        results
            .iter()
            .find(|r| r["scenario"] == scenario && r["system"] == system)
    };
    t.push_str("### Fan-out: one publisher, N subscribers, 10 events/s (paced), then a burst\n\n");
    t.push_str("| scenario | system | connected | p50 ms | p95 ms | p99 ms | max ms | paced deliv/s | burst deliv/s | burst p99 ms | bytes/deliv | CPU % paced | CPU % burst | RSS MiB | KiB/conn | gaps/errors/closed/lost |\n");
    t.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for r in results.iter().filter(|r| {
        r["scenario"]
            .as_str()
            .is_some_and(|s| s.starts_with("fanout") || s.starts_with("cluster"))
    }) {
        if let Some(row) = failed_row(r, &["scenario", "system"]) {
            t.push_str(&row);
            continue;
        }
        let p = &r["paced"];
        let b = &r["burst"];
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f(&r["scenario"]),
            f(&r["system"]),
            f(&r["connected"]),
            f(&p["latency"]["p50_ms"]),
            f(&p["latency"]["p95_ms"]),
            f(&p["latency"]["p99_ms"]),
            f(&p["latency"]["max_ms"]),
            f(&p["deliveries_per_s"]),
            f(&b["deliveries_per_s"]),
            f(&b["latency"]["p99_ms"]),
            f(&p["bytes_per_delivery"]),
            f(&r["server"]["cpu_paced_pct"]),
            f(&r["server"]["cpu_burst_pct"]),
            f(&r["server"]["rss_end_mib"]),
            f(&r["server"]["memory"]["kib_per_connection"]),
            problems(r),
        ));
    }
    t.push_str(
        "\n### Ratios (dialoghub ÷ peer; p99 lower is better, deliveries/s higher is better)\n\n",
    );
    t.push_str("| scenario | p99 ÷ NATS | p99 ÷ floor | p99 ÷ floor-ticks | burst deliv/s ÷ NATS | burst deliv/s ÷ floor |\n|---|---:|---:|---:|---:|---:|\n");
    let mut seen = Vec::new();
    for r in results.iter().filter(|r| {
        r["scenario"]
            .as_str()
            .is_some_and(|s| s.starts_with("fanout"))
    }) {
        let s = r["scenario"].as_str().unwrap_or("");
        if seen.contains(&s) {
            continue;
        }
        seen.push(s);
        let (Some(d), n, fl) = (find(s, "dialoghub"), find(s, "nats"), find(s, "floor")) else {
            continue;
        };
        let ticks = find(s, "floor-ticks");
        let p99 = |x: Option<&Value>| {
            x.map(|x| x["paced"]["latency"]["p99_ms"].clone())
                .unwrap_or(Value::Null)
        };
        let dps = |x: Option<&Value>| {
            x.map(|x| x["burst"]["deliveries_per_s"].clone())
                .unwrap_or(Value::Null)
        };
        t.push_str(&format!(
            "| {s} | {} | {} | {} | {} | {} |\n",
            ratio(&p99(Some(d)), &p99(n)),
            ratio(&p99(Some(d)), &p99(fl)),
            ratio(&p99(Some(d)), &p99(ticks)),
            ratio(&dps(Some(d)), &dps(n)),
            ratio(&dps(Some(d)), &dps(fl)),
        ));
    }
    t.push_str("\n### Cluster cost: the same participants and rate on three nodes and on one\n\n| scenario | system | threads per node | connected | rate/s | p50 ms | p99 ms | max ms | deliveries | server CPU s | CPU-µs per delivery | ÷ one node | gaps/errors/closed/lost |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for r in results.iter().filter(|r| r["scenario"] == "cluster-19950") {
        if let Some(row) = failed_row(r, &["scenario", "system"]) {
            t.push_str(&row);
            continue;
        }
        let p = &r["paced"];
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f(&r["scenario"]),
            f(&r["system"]),
            match r["node_threads"].as_u64() {
                Some(t) => t.to_string(),
                None => "one per core".into(),
            },
            f(&r["connected"]),
            f(&r["paced_rate_per_s"]),
            f(&p["latency"]["p50_ms"]),
            f(&p["latency"]["p99_ms"]),
            f(&p["latency"]["max_ms"]),
            f(&p["deliveries"]),
            f(&r["server"]["cpu_paced_s"]),
            f(&r["server"]["cpu_us_per_delivery_paced"]),
            f(&r["cpu_per_delivery_vs_one_node"]),
            problems(r),
        ));
    }
    t.push_str("\n### Restart storm: SIGTERM, start again on the same port and store, every client resumes\n\n| scenario | system | connected | SIGTERM → listening ms | resumed | with snapshot | resume p50 ms | resume p99 ms | last resume ms | reconnect attempts | missed events | deliveries | gaps/errors/closed/lost |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
    for r in results.iter().filter(|r| r["scenario"] == "restart-storm") {
        if let Some(row) = failed_row(r, &["scenario", "system"]) {
            t.push_str(&row);
            continue;
        }
        let x = &r["resume_after_listening"];
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{} | {} |\n",
            f(&r["scenario"]),
            f(&r["system"]),
            f(&r["connected"]),
            f(&r["restart"]["sigterm_to_listening_ms"]),
            f(&r["resumed"]),
            f(&r["resumed_with_snapshot"]),
            f(&x["p50_ms"]),
            f(&x["p99_ms"]),
            f(&x["max_ms"]),
            f(&r["reconnect_attempts"]),
            f(&r["missed_events"]),
            f(&r["deliveries"]),
            f(&r["expected_deliveries"]),
            problems(r),
        ));
    }
    t.push_str(&crate::meeting::table(results));
    t.push_str(&crate::many::table(results));
    t.push_str("\n### Idle: connected, doing nothing\n\n| scenario | system | connected | RSS before MiB | RSS with clients MiB | KiB/conn | CPU % idle | gaps/errors/closed/lost |\n|---|---|---:|---:|---:|---:|---:|---|\n");
    for r in results.iter().filter(|r| {
        r["scenario"]
            .as_str()
            .is_some_and(|s| s.starts_with("idle"))
    }) {
        let m = &r["server"]["memory"];
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f(&r["scenario"]),
            f(&r["system"]),
            f(&r["connected"]),
            f(&m["rss_base_mib"]),
            f(&m["rss_loaded_mib"]),
            f(&m["kib_per_connection"]),
            f(&r["server"]["cpu_idle_pct"]),
            problems(r)
        ));
    }
    t.push_str("\n### Vote storm (dialoghub): 20 approved questions, every vote durable before its ack\n\n| scenario | clients | per-client rate, window | offered/s | durable votes/s | acked/sent | ack p50 | ack p95 | ack p99 | ack max | tallies exact | final tallies shown after last vote (ms) | CPU % | gaps/errors/closed/lost |\n|---|---:|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---|\n");
    for r in results.iter().filter(|r| {
        r["scenario"]
            .as_str()
            .is_some_and(|s| s.starts_with("vote"))
    }) {
        if let Some(row) = failed_row(r, &["scenario"]) {
            t.push_str(&row);
            continue;
        }
        t.push_str(&format!(
            "| {} | {} | {}/s, {} | {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f(&r["scenario"]),
            f(&r["connected"]),
            f(&r["per_client"]["per_sec"]),
            f(&r["per_client"]["window"]),
            f(&r["offered_per_s"]),
            f(&r["durable_votes_per_s"]),
            f(&r["votes_acked"]),
            f(&r["votes_sent"]),
            f(&r["ack"]["p50_ms"]),
            f(&r["ack"]["p95_ms"]),
            f(&r["ack"]["p99_ms"]),
            f(&r["ack"]["max_ms"]),
            f(&r["tallies"]["every_client_agrees_with_acked_votes"]),
            f(&r["tallies"]["final_shown_ms_after_last_vote_sent"]),
            f(&r["server"]["cpu_pct"]),
            problems(r)
        ));
    }
    t.push_str("\n### Join storm (dialoghub): `POST /api/join`, then WebSocket hello → welcome + snapshot\n\n| scenario | requested | accepted | spread over ms | all joined after ms | join p50 ms | join p99 ms | join max ms | KiB/conn | gaps/errors/closed/lost |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for r in results.iter().filter(|r| {
        r["scenario"]
            .as_str()
            .is_some_and(|s| s.starts_with("join"))
    }) {
        if let Some(row) = failed_row(r, &["scenario"]) {
            t.push_str(&row);
            continue;
        }
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f(&r["scenario"]),
            f(&r["requested"]),
            f(&r["accepted"]),
            f(&r["spread_ms"]),
            f(&r["all_joined_ms"]),
            f(&r["join"]["p50_ms"]),
            f(&r["join"]["p99_ms"]),
            f(&r["join"]["max_ms"]),
            f(&r["server"]["memory"]["kib_per_connection"]),
            problems(r)
        ));
    }
    t
}

// ---------------------------------------------------------------------------
// The smoke check: correctness only, a few hundred clients, a few seconds.

pub async fn smoke(ctx: &Ctx, clients: usize) -> Result<(usize, usize), String> {
    let server = servers::start_dialoghub(&ctx.dialoghub, &[])?;
    let port = server.port;
    let d = create_dialogue(port).await?;
    let mut asker = DhConn::open(port, "participant", d.id).await?;
    // 20 asks and 10 + 10 approvals fit the default per-connection burst of 20.
    let (_, ids) = asker.ask(20, None).await?;
    let mut moderator = DhConn::open(port, "moderator", d.id).await?;
    let first = moderator.approve(&ids[..10], 0, None, 0).await?;
    let votes = VoteSpec {
        questions: ids[..10].to_vec(),
        per_sec: 4.0,
        window: 3,
        duration_ms: 4000,
    };
    let rest = 20.min(clients / 2);
    let specs = vec![
        WorkerSpec {
            dh: Some(dh_spec(&d, false, Some(votes.clone()))),
            deadline_secs: 120,
            ..spec(System::Dialoghub, port, 0, clients - rest)
        },
        WorkerSpec {
            dh: Some(dh_spec(&d, true, Some(votes))),
            deadline_secs: 120,
            ..spec(System::Dialoghub, port, clients - rest, rest)
        },
    ];
    let mut workers = Workers::spawn(&ctx.bench, &specs)?;
    let ready = workers.wait("ready ", Duration::from_secs(60)).await?;
    workers.send("go");
    // Approvals while the votes flow: every client must see them, in order.
    let second = moderator.approve(&ids[10..], 0, Some(4.0), 0).await?;
    let done = workers.wait("votes-done", Duration::from_secs(60)).await;
    workers.send(&format!("expect {}", second.last_seq));
    let complete = workers.wait("complete", Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let reports = workers.report().await?;
    let m = merge(&reports);
    drop(server);
    let expected = m.expected_tally(0);
    let rest_joined: u64 = serde_json::from_str::<Value>(&ready[1])
        .ok()
        .and_then(|v| v["connected"].as_u64())
        .unwrap_or(0);
    let checks: Vec<(&str, bool, String)> = vec![
        (
            "every client connected",
            m.connected == clients as u64 && m.failed.is_empty(),
            format!("{} of {clients}, failures {:?}", m.connected, m.failed),
        ),
        (
            "REST join path",
            rest_joined == rest as u64,
            format!("{rest_joined} of {rest} joined by code"),
        ),
        (
            "no seq gaps anywhere",
            m.gaps + moderator.gaps + asker.gaps == 0,
            format!("{} gaps", m.gaps + moderator.gaps + asker.gaps),
        ),
        (
            "no errors, closes or unreadable frames",
            m.errors.is_empty() && m.closed.is_empty() && m.unparsed == 0,
            format!(
                "errors {:?}, closed {:?}, unparsed {}",
                m.errors, m.closed, m.unparsed
            ),
        ),
        (
            "moderator's approvals all acknowledged",
            first.errors.is_empty()
                && second.errors.is_empty()
                && first.acks.count + second.acks.count == 20,
            format!(
                "{} acks, errors {:?} {:?}",
                first.acks.count + second.acks.count,
                first.errors,
                second.errors
            ),
        ),
        (
            "every vote acknowledged",
            done.is_ok()
                && m.votes_sent > 0
                && m.votes_acked == m.votes_sent
                && m.votes_unanswered == 0,
            format!(
                "{} of {} acked, {} unanswered",
                m.votes_acked, m.votes_sent, m.votes_unanswered
            ),
        ),
        (
            "every client got every event",
            complete.is_ok(),
            format!("{complete:?}"),
        ),
        (
            "every client shows the tallies of the acked votes",
            m.tallies_agree() && !expected.is_empty(),
            format!(
                "expected {expected:?}; clients show {:?}",
                m.finals
                    .iter()
                    .map(|f| (&f.votes, f.clients))
                    .collect::<Vec<_>>()
            ),
        ),
    ];
    // Many dialogues at once, on two hub threads: the same promises in each.
    let size = crate::many::Size {
        dialogues: 4,
        per: 10,
        secs: 4,
        threads: 2,
        default_limits: false,
        during: crate::many::During::Nothing,
    };
    let many = crate::many::many(ctx, "many-smoke", &size).await;
    let mut checks: Vec<(String, bool, String)> = checks
        .into_iter()
        .map(|(name, ok, detail)| (name.to_string(), ok, detail))
        .collect();
    match many {
        Ok(v) => checks.extend(crate::many::checks(&v)),
        Err(e) => checks.push(("many dialogues ran".into(), false, e)),
    }
    // A restart under the clients: every one resumes with nothing missed.
    let restart = crate::restart::restart_storm(
        ctx,
        "restart-smoke",
        200.min(clients),
        crate::restart::Store::Sqlite,
    )
    .await;
    match restart {
        Ok(v) => checks.extend(crate::restart::checks(&v)),
        Err(e) => checks.push(("restart storm ran".into(), false, e)),
    }
    let mut passed = 0;
    for (name, ok, detail) in &checks {
        println!("{} {name}: {detail}", if *ok { "ok  " } else { "FAIL" });
        if *ok {
            passed += 1;
        }
    }
    Ok((passed, checks.len() - passed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_result_is_one_row_with_its_reason() {
        let failed = json!({ "scenario": "fanout-5000", "system": "nats", "failed": "no server" });
        assert_eq!(
            failed_row(&failed, &["scenario", "system"]).as_deref(),
            Some("| fanout-5000 | nats | FAILED: no server |\n")
        );
        assert_eq!(
            failed_row(&failed, &["scenario"]).as_deref(),
            Some("| fanout-5000 | FAILED: no server |\n")
        );
        assert_eq!(
            failed_row(&json!({ "scenario": "fanout-5000" }), &["scenario"]),
            None
        );
    }
}
