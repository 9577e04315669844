//! Many dialogues at once: a city-wide evening. `dialogues` × `per` participants,
//! each joining by code (`POST /api/join`) as real clients do; in every
//! dialogue a moderator approves one question a second (its text carries the
//! send time, so each participant's receipt is a delivery sample), a
//! participant asks one a second, and the participants vote 20 times a second
//! in total, so presence and tallies flow throughout.

use crate::publish::{DhConn, Dialogue, Published, create_dialogue_numbered};
use crate::run::{
    Ctx, dh_spec, f, failed_row, loadgen_cpu, merge, problems, raised_limits, spec, start,
};
use crate::servers::{PER_WORKER, Workers};
use crate::util::{self, Hist, ProcSample, cpu_percent, now_us};
use crate::worker::{System, VoteSpec, WorkerSpec};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// Questions approved before the run, for the participants to vote on.
const VOTED: usize = 5;
/// Votes a second per dialogue, all its participants together.
const VOTES_PER_DIALOGUE: f64 = 20.0;
/// The moderator's approvals and the asker's questions a second, per dialogue.
const RATE: f64 = 1.0;

pub struct Size {
    pub dialogues: usize,
    pub per: usize,
    pub secs: u64,
    /// `hub.threads` of the server under test.
    pub threads: usize,
    /// The server's own limits (per-connection messages, pending-question caps)
    /// instead of the bench's raised ones.
    pub default_limits: bool,
    /// What else happens during the run.
    pub during: During,
}

/// Load beside the meeting, during its run.
#[derive(Clone)]
pub enum During {
    Nothing,
    /// `identities` fresh participants, each joined by code from this one
    /// address, each asking `each` questions at `per_sec`, into dialogue 0.
    Flood {
        identities: usize,
        each: usize,
        per_sec: f64,
    },
    /// GET requests to dialogue 0's public pages from a separate process.
    Public {
        per_sec: f64,
        connections: usize,
    },
}

/// One dialogue's own connections: its asker and its moderator.
struct Room {
    dialogue: Dialogue,
    asker: DhConn,
    moderator: DhConn,
    /// Asked before the run, approved one a second during it.
    to_approve: Vec<u64>,
    voted: Vec<u64>,
}

/// Questions one participant asks before the run: below the server's default
/// cap of pending questions per participant (20).
const SEED_ASKS: usize = 15;

async fn room(port: u16, n: usize, secs: usize) -> Result<Room, String> {
    let dialogue = create_dialogue_numbered(port, n).await?;
    // The questions to vote on and to approve, from a few participants, so no
    // one of them is over the default per-participant cap; the run's asker is
    // a participant of its own.
    let mut ids = Vec::with_capacity(VOTED + secs);
    let mut from = 0;
    while from < VOTED + secs {
        let k = (VOTED + secs - from).min(SEED_ASKS);
        let mut seed = DhConn::open(port, "participant", dialogue.id).await?;
        ids.extend(seed.ask_from(from, k, None).await?.1);
        from += k;
    }
    ids.sort_unstable();
    let asker = DhConn::open(port, "participant", dialogue.id).await?;
    let mut moderator = DhConn::open(port, "moderator", dialogue.id).await?;
    let approved = moderator.approve(&ids[..VOTED], 0, None, 0).await?;
    if !approved.errors.is_empty() {
        return Err(format!("approvals refused: {:?}", approved.errors));
    }
    Ok(Room {
        dialogue,
        asker,
        moderator,
        voted: ids[..VOTED].to_vec(),
        to_approve: ids[VOTED..].to_vec(),
    })
}

/// What one dialogue's moderator and asker did during the run.
struct Run {
    approved: Result<Published, String>,
    asked: Result<Published, String>,
}

pub async fn many(ctx: &Ctx, name: &str, size: &Size) -> Result<Value, String> {
    let mut env = if size.default_limits {
        // An empty value removes the bench's setting: the server's default holds.
        [
            "DIALOGHUB_LIMITS__MESSAGES_PER_SEC",
            "DIALOGHUB_LIMITS__MESSAGES_BURST",
            "DIALOGHUB_LIMITS__PENDING_QUESTIONS_PER_PARTICIPANT",
            "DIALOGHUB_LIMITS__PENDING_QUESTIONS_PER_DIALOGUE",
            // Each participant joins from its own loopback address
            // (`util::participant_addr`); a flood comes from 127.0.0.1 alone.
            "DIALOGHUB_LIMITS__CONNECTIONS_PER_IP",
            "DIALOGHUB_LIMITS__JOINS_PER_IP_PER_MINUTE",
        ]
        .map(|k| (k, String::new()))
        .to_vec()
    } else {
        raised_limits()
    };
    env.push(("DIALOGHUB_HUB__THREADS", size.threads.to_string()));
    let (metrics_port, listen) = crate::metrics::listen_env()?;
    env.push(listen);
    let server = start(ctx, System::Dialoghub, &env)?;
    let port = server.port;
    let secs = size.secs as usize;
    let t_setup = now_us();
    // Sign in once before the dialogues are set up side by side: the link is single-use.
    crate::staff::headers(port).await?;
    // Sixteen dialogues set up at a time: each is a few REST calls and two sockets.
    let mut rooms: Vec<Room> = futures_util::stream::iter(0..size.dialogues)
        .map(|n| room(port, n, secs))
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let setup_ms = (now_us() - t_setup) / 1000;
    let base = util::sample(server.pid);
    // Whole dialogues per worker, at most PER_WORKER clients each.
    let per_worker = (PER_WORKER / size.per).max(1);
    let specs: Vec<WorkerSpec> = rooms
        .chunks(per_worker)
        .enumerate()
        .map(|(w, chunk)| {
            let first_dialogue = w * per_worker;
            WorkerSpec {
                dialogues: chunk
                    .iter()
                    .map(|r| {
                        let votes = VoteSpec {
                            questions: r.voted.clone(),
                            per_sec: VOTES_PER_DIALOGUE / size.per as f64,
                            window: 4,
                            duration_ms: size.secs * 1000,
                        };
                        dh_spec(&r.dialogue, true, Some(votes))
                    })
                    .collect(),
                first_dialogue,
                ..spec(
                    System::Dialoghub,
                    port,
                    first_dialogue * size.per,
                    chunk.len() * size.per,
                )
            }
        })
        .collect();
    let t_connect = now_us();
    let mut workers = Workers::spawn(&ctx.bench, &specs)?;
    let lg_before: Vec<ProcSample> = workers.pids().iter().map(|p| util::sample(*p)).collect();
    workers.wait("ready ", Duration::from_secs(300)).await?;
    let connect_ms = (now_us() - t_connect) / 1000;
    let idle = util::sample(server.pid);
    let first = rooms[0].dialogue.code.clone();
    let first_id = rooms[0].dialogue.id;
    let mut public = match &size.during {
        During::Public {
            per_sec,
            connections,
        } => {
            let http = crate::http_load::HttpSpec {
                paths: vec![format!("/d/{first}"), format!("/d/{first}/record.json")],
                per_sec: *per_sec,
                secs: size.secs,
                connections: *connections,
            };
            let spec = WorkerSpec {
                http: Some(http),
                ..spec(System::Dialoghub, port, 0, 0)
            };
            let mut w = Workers::spawn(&ctx.bench, &[spec])?;
            w.wait("ready ", Duration::from_secs(30)).await?;
            Some(w)
        }
        _ => None,
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = util::sample(server.pid);
    let counters_before = crate::metrics::scrape(metrics_port).await?;
    let go_us = now_us();
    workers.send("go");
    if let Some(w) = public.as_mut() {
        w.send("go");
    }
    let flood = async {
        match size.during {
            During::Flood {
                identities,
                each,
                per_sec,
            } => Some(crate::meeting::flood(port, &first, identities, each, per_sec).await),
            _ => None,
        }
    };
    // Each dialogue's moderator and asker keep their own second, as people in
    // separate rooms do: dialogue i starts i/N of a second after the first.
    // `BENCH_MANY_PACE=together` starts them all at once (as before), so every
    // approval and question of the second lands in the same instant.
    let together = std::env::var("BENCH_MANY_PACE").is_ok_and(|p| p == "together");
    let n = rooms.len();
    let meeting =
        futures_util::future::join_all(rooms.iter_mut().enumerate().map(|(i, r)| async move {
            if !together {
                tokio::time::sleep(Duration::from_secs_f64(i as f64 / (RATE * n as f64))).await;
            }
            let (approved, asked) = tokio::join!(
                r.moderator.approve(&r.to_approve, 1, Some(RATE), 100),
                r.asker.ask_counted(VOTED + secs, secs, Some(RATE)),
            );
            Run { approved, asked }
        }));
    let (runs, flood): (Vec<Run>, _) = tokio::join!(meeting, flood);
    let http = match public.as_mut() {
        Some(w) => {
            let done = w
                .wait("http-done", Duration::from_secs(size.secs + 30))
                .await;
            let mut r = w.report().await?;
            let mut v = serde_json::to_value(r.pop().and_then(|r| r.http)).unwrap_or_default();
            v["done"] = json!(done.is_ok());
            v
        }
        None => Value::Null,
    };
    let votes_done = workers
        .wait("votes-done", Duration::from_secs(size.secs + 60))
        .await;
    let after = util::sample(server.pid);
    let run_s = (now_us() - go_us) as f64 / 1e6;
    let counters = crate::metrics::scrape(metrics_port)
        .await
        .map(|after| crate::metrics::work(&counters_before, &after, run_s))
        .unwrap_or_else(|e| json!({ "failed": e }));
    // The last event of each dialogue: its last approval or question.
    let mut last_seq = Vec::with_capacity(runs.len());
    let (mut approve_ack, mut ask_ack) = (Hist::default(), Hist::default());
    let mut publisher_errors: BTreeMap<String, u64> = BTreeMap::new();
    let (mut approvals, mut asks) = (0u64, 0u64);
    for run in &runs {
        let mut last = 0;
        for (kind, p) in [("approve", &run.approved), ("ask", &run.asked)] {
            match p {
                Ok(p) => {
                    last = last.max(p.last_seq);
                    let hist = if kind == "approve" {
                        approvals += p.acks.count;
                        &mut approve_ack
                    } else {
                        asks += p.acks.count;
                        &mut ask_ack
                    };
                    hist.merge(&p.acks);
                    for (code, n) in &p.errors {
                        *publisher_errors
                            .entry(format!("{kind} {code}"))
                            .or_default() += n;
                    }
                }
                Err(e) => *publisher_errors.entry(format!("{kind}: {e}")).or_default() += 1,
            }
        }
        last_seq.push(last);
    }
    workers.send(&format!(
        "expect-each {}",
        serde_json::to_string(&last_seq).unwrap_or_default()
    ));
    let complete = workers.wait("complete", Duration::from_secs(60)).await;
    // Tallies go out every 250 ms; give them time to land everywhere.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let lg_cpu = loadgen_cpu(&workers, &lg_before);
    let reports = workers.report().await?;
    let m = merge(&reports);
    let mut exact = 0;
    let mut wrong = Vec::new();
    for d in 0..rooms.len() {
        let expected = m.expected_tally(d);
        let views: Vec<_> = m.finals.iter().filter(|f| f.dialogue == d).collect();
        if views.len() == 1 && views[0].votes == expected && !expected.is_empty() {
            exact += 1;
        } else if wrong.len() < 5 {
            wrong.push(json!({
                "dialogue": d,
                "expected": expected,
                "shown": views.iter().map(|f| json!({ "votes": f.votes, "clients": f.clients })).collect::<Vec<_>>(),
            }));
        }
    }
    let own_gaps: u64 = rooms.iter().map(|r| r.moderator.gaps + r.asker.gaps).sum();
    let phase = m.phases.get(&1);
    // What a moderator who opens the console now receives.
    let snapshot_bytes = crate::publish::snapshot_bytes(port, first_id).await.ok();
    let end = util::sample(server.pid);
    drop(server);
    Ok(json!({
        "scenario": name,
        "system": format!("dialoghub-threads-{}", size.threads),
        "hub_threads": size.threads,
        "dialogues": size.dialogues,
        "participants_per_dialogue": size.per,
        "secs": size.secs,
        "requested": size.dialogues * size.per,
        "connected": m.connected,
        "connect_failed": m.failed,
        "setup_ms": setup_ms,
        "connect_ms": connect_ms,
        "join": m.join.summary_ms(),
        "deliveries": phase.map_or(0, |p| p.0),
        "expected_deliveries": approvals * size.per as u64,
        "delivery": phase.map(|p| p.2.summary_ms()).unwrap_or(Value::Null),
        "vote_ack": m.ack.summary_ms(),
        "approve_ack": approve_ack.summary_ms(),
        "ask_ack": ask_ack.summary_ms(),
        "approvals": approvals,
        "asks": asks,
        "votes_sent": m.votes_sent,
        "votes_acked": m.votes_acked,
        "votes_unanswered": m.votes_unanswered,
        "votes_per_s": (m.votes_acked as f64 / run_s).round(),
        "tallies": {
            "dialogues_exact": exact,
            "clients_without_tallies": m.no_tallies,
            "not_exact": wrong,
        },
        "server": {
            "cpu_pct": cpu_percent(&before, &after),
            "rss_idle_mib": idle.rss_kib / 1024,
            "rss_end_mib": after.rss_kib / 1024,
            "rss_base_mib": base.rss_kib / 1024,
            "rss_growth_during_run_mib": (end.rss_kib.saturating_sub(before.rss_kib)) as f64 / 1024.0,
        },
        // Batches per SQLite commit and each hub thread's busy share, from /metrics.
        "server_counters": counters,
        "limits": if size.default_limits { "server defaults" } else { "raised" },
        "pace": if together { "together" } else { "spread" },
        "moderator_snapshot_bytes": snapshot_bytes,
        "flood": flood.map(|f| f.json()),
        "http": http,
        "loadgen": { "processes": reports.len(), "cpu_s": (lg_cpu * 10.0).round() / 10.0 },
        "gaps": m.gaps + own_gaps,
        "errors": m.errors,
        "publisher_errors": publisher_errors,
        "closed": m.closed,
        "unparsed": m.unparsed,
        "votes_done": votes_done.is_ok(),
        "complete": complete.is_ok(),
    }))
}

/// The smoke's share: whether `many` kept every promise. `(name, ok, detail)`.
pub fn checks(v: &Value) -> Vec<(String, bool, String)> {
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    let count = |k: &str| match &v[k] {
        Value::Object(o) => o.values().filter_map(Value::as_u64).sum(),
        _ => 0,
    };
    let dialogues = n("dialogues");
    let label = |what: &str| format!("{dialogues} dialogues: {what}");
    vec![
        (
            label("every client joined by code"),
            n("connected") == n("requested") && count("connect_failed") == 0,
            format!(
                "{} of {}, failures {}",
                n("connected"),
                n("requested"),
                v["connect_failed"]
            ),
        ),
        (
            label("no seq gaps anywhere"),
            n("gaps") == 0,
            format!("{} gaps", n("gaps")),
        ),
        (
            label("no errors, closes or unreadable frames"),
            count("errors") + count("publisher_errors") + count("closed") + n("unparsed") == 0,
            format!(
                "errors {}, publisher {}, closed {}, unparsed {}",
                v["errors"],
                v["publisher_errors"],
                v["closed"],
                n("unparsed")
            ),
        ),
        (
            label("every approval and question acknowledged"),
            n("approvals") == dialogues * n("secs") && n("asks") == dialogues * n("secs"),
            format!("{} approvals, {} questions", n("approvals"), n("asks")),
        ),
        (
            label("every vote acknowledged"),
            v["votes_done"] == true
                && n("votes_sent") > 0
                && n("votes_acked") == n("votes_sent")
                && n("votes_unanswered") == 0,
            format!(
                "{} of {} acked, {} unanswered",
                n("votes_acked"),
                n("votes_sent"),
                n("votes_unanswered")
            ),
        ),
        (
            label("every client got every event of its dialogue"),
            v["complete"] == true && n("deliveries") == n("expected_deliveries"),
            format!(
                "{} of {} approvals delivered",
                n("deliveries"),
                n("expected_deliveries")
            ),
        ),
        (
            label("the server's /metrics counted the commits, batches per commit ≥ 1"),
            v["server_counters"]["store_commits"]
                .as_f64()
                .unwrap_or(0.0)
                > 0.0
                && v["server_counters"]["batches_per_commit"]
                    .as_f64()
                    .is_some_and(|b| b >= 1.0),
            format!("{}", v["server_counters"]),
        ),
        (
            label("every client shows its dialogue's tallies of the acked votes"),
            v["tallies"]["dialogues_exact"].as_u64() == Some(dialogues)
                && v["tallies"]["clients_without_tallies"] == 0,
            format!("{}", v["tallies"]),
        ),
    ]
}

/// The many-dialogues table: one row per run, in the order run.
pub fn table(results: &[Value]) -> String {
    let mut t = String::from(
        "\n### Many dialogues: dialogues × participants, 1 approval/s, 1 question/s and 20 votes/s in each\n\n| scenario | system | connected | server CPU % | load generator CPU s | approve ack p99 ms | ask ack p99 ms | vote ack p50 ms | vote ack p99 ms | delivery p50 ms | delivery p99 ms | deliveries | votes acked/sent | dialogues with exact tallies | SQLite commits/s | batches per commit | hub threads busy % | gaps/errors/closed/lost |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---|---|\n",
    );
    for r in results.iter().filter(|r| {
        r["scenario"]
            .as_str()
            .is_some_and(|s| s.starts_with("many-"))
    }) {
        if let Some(row) = failed_row(r, &["scenario", "system"]) {
            t.push_str(&row);
            continue;
        }
        let c = &r["server_counters"];
        let busy = c["hub_thread_busy"]
            .as_object()
            .map(|o| o.values().map(f).collect::<Vec<_>>().join(" / "))
            .unwrap_or_default();
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{} | {}/{} | {}/{} | {} | {} | {} | {} |\n",
            f(&r["scenario"]),
            f(&r["system"]),
            f(&r["connected"]),
            f(&r["server"]["cpu_pct"]),
            f(&r["loadgen"]["cpu_s"]),
            f(&r["approve_ack"]["p99_ms"]),
            f(&r["ask_ack"]["p99_ms"]),
            f(&r["vote_ack"]["p50_ms"]),
            f(&r["vote_ack"]["p99_ms"]),
            f(&r["delivery"]["p50_ms"]),
            f(&r["delivery"]["p99_ms"]),
            f(&r["deliveries"]),
            f(&r["expected_deliveries"]),
            f(&r["votes_acked"]),
            f(&r["votes_sent"]),
            f(&r["tallies"]["dialogues_exact"]),
            f(&r["dialogues"]),
            f(&c["commits_per_s"]),
            f(&c["batches_per_commit"]),
            busy,
            problems(r),
        ));
    }
    t
}
