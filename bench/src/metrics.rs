//! The server's own counters, read from its `/metrics` listener (Prometheus
//! text): how many batches each SQLite commit carried, how busy each hub thread was.

use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Every sample of one scrape: the series (name and labels) → its value.
pub type Scrape = BTreeMap<String, f64>;

/// A free loopback port for the server's metrics listener (`metrics.listen`).
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port for /metrics: {e}"))
}

pub async fn scrape(port: u16) -> Result<Scrape, String> {
    let (status, text) =
        crate::util::http_text_from(None, port, "GET", "/metrics", None, &[]).await?;
    if status != 200 {
        return Err(format!("/metrics answered {status}"));
    }
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .collect())
}

/// What the store and the hub threads did between two scrapes `secs` apart.
pub fn work(before: &Scrape, after: &Scrape, secs: f64) -> Value {
    let delta =
        |series: &str| after.get(series).unwrap_or(&0.0) - before.get(series).unwrap_or(&0.0);
    let commits = delta("dialoghub_store_commits_total");
    let batches = delta("dialoghub_store_batches_total");
    let round = |x: f64| (x * 100.0).round() / 100.0;
    // The share of the window each hub thread spent running its dialogues, in %.
    let busy: BTreeMap<&str, f64> = after
        .keys()
        .filter_map(|k| {
            let label = k.strip_prefix("dialoghub_hub_thread_busy_seconds{")?;
            Some((
                label.trim_end_matches('}'),
                (delta(k) / secs * 1000.0).round() / 10.0,
            ))
        })
        .collect();
    json!({
        "window_s": round(secs),
        "store_commits": commits,
        "store_batches": batches,
        "batches_per_commit": if commits > 0.0 { json!(round(batches / commits)) } else { Value::Null },
        "commits_per_s": round(commits / secs),
        "hub_thread_busy": busy,
    })
}
