//! One live meeting, measured alone and under abuse (issue 19): a flood of
//! questions from fresh identities on one address (`flood-300`), and a stream
//! of requests to the dialogue's public pages (`public-1000`). The meeting is
//! the many-dialogues scenario with one dialogue: participants joined by code,
//! a moderator approving one question a second, one question asked a second,
//! votes flowing, so presence and tallies flow too.

use crate::many::{During, Size};
use crate::publish::DhConn;
use crate::run::{Ctx, f, failed_row, problems};
use crate::util;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Instant;

/// What the flood did.
#[derive(Default)]
pub struct Flood {
    pub identities: usize,
    pub joined: u64,
    pub sent: u64,
    pub accepted: u64,
    pub refused: BTreeMap<String, u64>,
    /// Identities that could not join, or whose connection ended early, by reason.
    pub failed: BTreeMap<String, u64>,
    pub ms: u64,
}

impl Flood {
    pub fn json(&self) -> Value {
        json!({
            "identities": self.identities,
            "joined": self.joined,
            "questions_sent": self.sent,
            "accepted": self.accepted,
            "refused": self.refused,
            "refused_total": self.refused.values().sum::<u64>(),
            "failed": self.failed,
            "ms": self.ms,
        })
    }
}

/// `identities` fresh participants, each joined by `code` over `POST /api/join`
/// from this address, each asking `each` questions at `per_sec` (the server's
/// default per-connection rate is 5 a second), all at once.
pub async fn flood(port: u16, code: &str, identities: usize, each: usize, per_sec: f64) -> Flood {
    let t0 = Instant::now();
    let one = |_: usize| async move {
        let body = json!({ "code": code });
        let (status, v) = util::http_json(port, "POST", "/api/join", Some(&body), &[]).await?;
        if status != 200 {
            return Err(format!("join HTTP {status}"));
        }
        let token = v["token"].as_str().ok_or("join: no token")?;
        let mut c = DhConn::open_token(port, token).await?;
        c.ask_counted(0, each, Some(per_sec)).await
    };
    let results = futures_util::future::join_all((0..identities).map(one)).await;
    let mut out = Flood {
        identities,
        ms: t0.elapsed().as_millis() as u64,
        ..Flood::default()
    };
    for r in results {
        match r {
            Ok(p) => {
                out.joined += 1;
                out.sent += p.sent;
                out.accepted += p.acks.count;
                for (code, n) in p.errors {
                    *out.refused.entry(code).or_default() += n;
                }
            }
            Err(e) => *out.failed.entry(e).or_default() += 1,
        }
    }
    out
}

fn hub_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `b / a` of two figures, rounded to two places.
fn ratio(a: &Value, b: &Value) -> Value {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) if a > 0.0 => json!((b / a * 100.0).round() / 100.0),
        _ => Value::Null,
    }
}

/// Runs the meeting alone and then with `during`, each on a fresh server, and
/// returns both results; the second carries the ratios to the first.
pub async fn alone_and_with(
    ctx: &Ctx,
    name: &str,
    (per, secs): (usize, u64),
    during: During,
    label: &str,
) -> Vec<(Result<Value, String>, String)> {
    let mut out = Vec::new();
    let mut baseline: Option<Value> = None;
    for (system, during) in [("alone", During::Nothing), (label, during)] {
        let size = Size {
            dialogues: 1,
            per,
            secs,
            threads: hub_threads(),
            default_limits: true,
            during,
        };
        eprintln!("bench: {name} {system} …");
        let r = crate::many::many(ctx, name, &size).await.map(|mut v| {
            v["system"] = json!(system);
            http_summary(&mut v);
            if let Some(b) = &baseline {
                v["ratios"] = json!({
                    "delivery_p99": ratio(&b["delivery"]["p99_ms"], &v["delivery"]["p99_ms"]),
                    "vote_ack_p99": ratio(&b["vote_ack"]["p99_ms"], &v["vote_ack"]["p99_ms"]),
                    "approve_ack_p99": ratio(&b["approve_ack"]["p99_ms"], &v["approve_ack"]["p99_ms"]),
                });
            } else {
                baseline = Some(v.clone());
            }
            v
        });
        out.push((r, system.to_string()));
    }
    out
}

pub fn table(results: &[Value]) -> String {
    let mut t = String::new();
    t.push_str("\n### A meeting under a question flood (flood-300): alone, then with 100 fresh identities from one address asking\n\n| scenario | system | participants | vote ack p99 ms | approve ack p99 ms | delivery p50 ms | delivery p99 ms | ÷ alone: vote ack p99 | ÷ alone: delivery p99 | flood sent | accepted | refused | moderator snapshot bytes | RSS growth MiB | gaps/errors/closed/lost |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for r in results.iter().filter(|r| r["scenario"] == "flood-300") {
        if let Some(row) = failed_row(r, &["scenario", "system"]) {
            t.push_str(&row);
            continue;
        }
        let fl = &r["flood"];
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f(&r["scenario"]),
            f(&r["system"]),
            f(&r["connected"]),
            f(&r["vote_ack"]["p99_ms"]),
            f(&r["approve_ack"]["p99_ms"]),
            f(&r["delivery"]["p50_ms"]),
            f(&r["delivery"]["p99_ms"]),
            f(&r["ratios"]["vote_ack_p99"]),
            f(&r["ratios"]["delivery_p99"]),
            f(&fl["questions_sent"]),
            f(&fl["accepted"]),
            f(&fl["refused_total"]),
            f(&r["moderator_snapshot_bytes"]),
            f(&r["server"]["rss_growth_during_run_mib"]),
            problems(r),
        ));
    }
    t.push_str("\n### A meeting while its public pages are fetched (public-1000): alone, then with GETs of /d/CODE and record.json from another process\n\n| scenario | system | participants | delivery p50 ms | delivery p99 ms | ÷ alone: delivery p99 | HTTP sent | HTTP/s | HTTP p99 ms | non-200 | no answer | gaps/errors/closed/lost |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for r in results.iter().filter(|r| r["scenario"] == "public-1000") {
        if let Some(row) = failed_row(r, &["scenario", "system"]) {
            t.push_str(&row);
            continue;
        }
        let h = &r["http"];
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f(&r["scenario"]),
            f(&r["system"]),
            f(&r["connected"]),
            f(&r["delivery"]["p50_ms"]),
            f(&r["delivery"]["p99_ms"]),
            f(&r["ratios"]["delivery_p99"]),
            f(&h["sent"]),
            f(&r["http_per_s"]),
            f(&r["http_latency"]["p99_ms"]),
            f(&r["http_non_200"]),
            f(&r["http_no_answer"]),
            problems(r),
        ));
    }
    t
}

/// Adds the HTTP load's summary figures to a public-1000 result.
pub fn http_summary(v: &mut Value) {
    let h = v["http"].clone();
    if h.is_null() {
        return;
    }
    let hist: util::Hist = match serde_json::from_value::<util::HistWire>(h["latency"].clone()) {
        Ok(w) => (&w).into(),
        Err(_) => return,
    };
    let non_200: u64 = h["statuses"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| k.as_str() != "200")
                .filter_map(|(_, n)| n.as_u64())
                .sum()
        })
        .unwrap_or(0);
    let no_answer: u64 = h["failed"]
        .as_object()
        .map(|o| o.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    let span = h["last_us"]
        .as_u64()
        .unwrap_or(0)
        .saturating_sub(h["first_us"].as_u64().unwrap_or(0));
    v["http_latency"] = hist.summary_ms();
    v["http_non_200"] = json!(non_200);
    v["http_no_answer"] = json!(no_answer);
    v["http_per_s"] = json!(if span > 0 {
        (h["sent"].as_u64().unwrap_or(0) as f64 / (span as f64 / 1e6)).round()
    } else {
        0.0
    });
    // The buckets are for merging, not for reading.
    v["http"]["latency"] = Value::Null;
}
