//! The restart storm: participants joined by code, the server stopped with
//! SIGTERM and started again on the same port and store, and every client
//! reconnecting as the web client does and resuming from its last `seq`.

use crate::publish::{DhConn, create_dialogue};
use crate::run::{Ctx, dh_spec, merge, raised_limits, spec};
use crate::servers::{self, Cluster, Server, Workers};
use crate::util::{self, Hist, now_us};
use crate::worker::{System, WorkerSpec};
use serde_json::{Value, json};
use std::time::Duration;

/// Which store the server runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    Postgres,
}

impl Store {
    pub fn system(self) -> &'static str {
        match self {
            Store::Sqlite => "dialoghub-sqlite",
            Store::Postgres => "dialoghub-postgres",
        }
    }
}

/// Approvals sent as one burst just before the stop (some may still be on their
/// way to the clients when SIGTERM comes), and approvals after every resume.
const BEFORE: usize = 20;
const AFTER: usize = 10;

/// The server (on SQLite alone, or on its own PostgreSQL database).
enum Under {
    Sqlite(Server),
    Postgres(Cluster),
}

impl Under {
    fn server(&mut self) -> &mut Server {
        match self {
            Under::Sqlite(s) => s,
            Under::Postgres(c) => &mut c.nodes[0],
        }
    }
}

pub async fn restart_storm(ctx: &Ctx, name: &str, n: usize, store: Store) -> Result<Value, String> {
    // The asker's burst of questions and the moderator's of approvals are above
    // the default per-connection burst.
    let env = raised_limits();
    let mut under = match store {
        Store::Sqlite => Under::Sqlite(servers::start_dialoghub(&ctx.dialoghub, &env)?),
        Store::Postgres => Under::Postgres(servers::start_on_postgres(&ctx.dialoghub, &env)?),
    };
    let port = under.server().port;
    let d = create_dialogue(port).await?;
    let mut asker = DhConn::open(port, "participant", d.id).await?;
    let (_, ids) = asker.ask(BEFORE + AFTER, None).await?;
    drop(asker);
    let mut moderator = DhConn::open(port, "moderator", d.id).await?;
    let specs = servers::split(n, |first, count| WorkerSpec {
        reconnect: true,
        deadline_secs: 600,
        dh: Some(dh_spec(&d, true, None)),
        ..spec(System::Dialoghub, port, first, count)
    });
    let t_connect = now_us();
    let mut workers = Workers::spawn(&ctx.bench, &specs)?;
    workers.wait("ready ", Duration::from_secs(300)).await?;
    let connect_ms = (now_us() - t_connect) / 1000;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // A burst of approvals, acknowledged (committed), then at once the stop.
    let before = moderator.approve(&ids[..BEFORE], 1, None, 100).await?;
    let restarted = under.server().restart()?;
    let down_ms = (restarted.listening_us - restarted.sigterm_us) as f64 / 1000.0;
    workers.send("expect-resumes");
    let resumed = workers.wait("resumed", Duration::from_secs(120)).await;
    let all_resumed_us = now_us();
    // Events after the restart reach every client, in order.
    let mut moderator2 = DhConn::open(port, "moderator", d.id).await?;
    let after = moderator2
        .approve(&ids[BEFORE..], 2, Some(10.0), 100)
        .await?;
    workers.send(&format!("expect {}", after.last_seq));
    let complete = workers.wait("complete", Duration::from_secs(60)).await;
    let reports = workers.report().await?;
    let m = merge(&reports);
    let pid = under.server().pid;
    let rss = util::sample(pid).rss_kib;
    drop(under);
    let mut since = Hist::default();
    for r in &reports {
        for t in &r.resumes {
            since.record(t.saturating_sub(restarted.listening_us));
        }
    }
    let resumed_n = since.count;
    let snapshot: u64 = reports.iter().map(|r| r.resumed_snapshot).sum();
    let resumes_total: u64 = reports.iter().map(|r| r.resumes_total).sum();
    let missed: u64 = reports.iter().map(|r| r.missed).sum();
    let alive: u64 = reports.iter().map(|r| r.alive).sum();
    let attempts: u64 = reports.iter().map(|r| r.reconnect_attempts).sum();
    let mut closes = std::collections::BTreeMap::<String, u64>::new();
    for r in &reports {
        for (k, v) in &r.reconnect_closes {
            *closes.entry(k.clone()).or_default() += v;
        }
    }
    let mut publisher_errors = std::collections::BTreeMap::<String, u64>::new();
    for (k, v) in before.errors.iter().chain(after.errors.iter()) {
        *publisher_errors.entry(k.clone()).or_default() += v;
    }
    Ok(json!({
        "scenario": name,
        "system": store.system(),
        "requested": n,
        "connected": m.connected,
        "connect_failed": m.failed,
        "connect_ms": connect_ms,
        "join": m.join.summary_ms(),
        "restart": {
            "shutdown_ms": (restarted.exited_us - restarted.sigterm_us) as f64 / 1000.0,
            "sigterm_to_listening_ms": down_ms,
            "exit_status": restarted.exit_status,
        },
        // From the new process's "listening" line to each client having applied
        // everything up to its `welcome`'s `seq` (its latest `resume` answered
        // `recovered`).
        "resume_after_listening": since.summary_ms(),
        "resumed": resumed_n,
        // More than `resumed` when clients resumed, were cut off, and resumed again.
        "resumes_total": resumes_total,
        "resumed_with_snapshot": snapshot,
        "not_resumed": (m.connected).saturating_sub(resumed_n + snapshot),
        "all_resumed_after_listening_ms": if resumed.is_ok() {
            json!((all_resumed_us.saturating_sub(restarted.listening_us)) / 1000)
        } else {
            Value::Null
        },
        "reconnect_attempts": attempts,
        "closes_before_reconnect": closes,
        "events": { "before": before.sent, "after": after.sent, "last_seq": after.last_seq },
        "delivery_before": m.phases.get(&1).map(|p| p.2.summary_ms()).unwrap_or(Value::Null),
        "delivery_after": m.phases.get(&2).map(|p| p.2.summary_ms()).unwrap_or(Value::Null),
        "deliveries": m.phases.values().map(|p| p.0).sum::<u64>(),
        "expected_deliveries": (before.sent + after.sent) * m.connected,
        "missed_events": missed,
        "clients_connected_at_end": alive,
        "publisher_errors": publisher_errors,
        "server": { "rss_end_mib": rss / 1024 },
        "gaps": m.gaps + moderator2.gaps,
        "errors": m.errors,
        "closed": m.closed,
        "unparsed": m.unparsed,
        "complete": complete.is_ok(),
        "all_resumed": resumed.is_ok(),
    }))
}

/// Whether a restart storm kept every promise: `(name, ok, detail)`.
pub fn checks(v: &Value) -> Vec<(String, bool, String)> {
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    let count = |k: &str| match &v[k] {
        Value::Object(o) => o.values().filter_map(Value::as_u64).sum(),
        _ => 0,
    };
    vec![
        (
            "restart: every client joined by code".into(),
            n("connected") == n("requested") && count("connect_failed") == 0,
            format!("{} of {}", n("connected"), n("requested")),
        ),
        (
            "restart: every client resumed with the missed events, none with a snapshot".into(),
            v["all_resumed"] == true
                && n("resumed") == n("requested")
                && n("resumed_with_snapshot") == 0,
            format!(
                "{} resumed, {} with a snapshot, {} not; {} ms from listening to the last",
                n("resumed"),
                n("resumed_with_snapshot"),
                n("not_resumed"),
                v["resume_after_listening"]["max_ms"]
            ),
        ),
        (
            "restart: 0 missed events, 0 gaps, every event to every client".into(),
            v["complete"] == true
                && n("missed_events") == 0
                && n("gaps") == 0
                && n("deliveries") == n("expected_deliveries")
                && n("clients_connected_at_end") == n("requested"),
            format!(
                "missed {}, gaps {}, {} of {} deliveries, {} connected at the end",
                n("missed_events"),
                n("gaps"),
                n("deliveries"),
                n("expected_deliveries"),
                n("clients_connected_at_end")
            ),
        ),
        (
            "restart: no error frames or unexpected closes".into(),
            count("errors") + count("closed") + count("publisher_errors") + n("unparsed") == 0,
            format!(
                "errors {}, closed {}, publisher {}",
                v["errors"], v["closed"], v["publisher_errors"]
            ),
        ),
    ]
}
