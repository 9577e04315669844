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

/// The server's setting for a metrics listener on a free port, and the port.
pub fn listen_env() -> Result<(u16, (&'static str, String)), String> {
    let port = free_port()?;
    Ok((
        port,
        ("DIALOGHUB_METRICS__LISTEN", format!("127.0.0.1:{port}")),
    ))
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
        "append_ms": appends(before, after),
    })
}

/// How long the dialogues' appends took between two scrapes (the server's
/// `dialoghub_commit_seconds`: from a dialogue handing its batch to the store
/// to the store's commit, the wait for a group commit included). A histogram
/// gives only its buckets' bounds, so each quantile is "at most" a bound.
pub fn appends(before: &Scrape, after: &Scrape) -> Value {
    const BUCKET: &str = "dialoghub_commit_seconds_bucket{le=\"";
    let delta = |k: &str| after.get(k).unwrap_or(&0.0) - before.get(k).unwrap_or(&0.0);
    // (upper bound in ms, appends at or under it), by bound.
    let mut cumulative: Vec<(f64, f64)> = after
        .keys()
        .filter_map(|k| {
            let le = k.strip_prefix(BUCKET)?.strip_suffix("\"}")?;
            let ms = if le == "+Inf" {
                f64::INFINITY
            } else {
                (le.parse::<f64>().ok()? * 1e6).round() / 1e3
            };
            Some((ms, delta(k)))
        })
        .collect();
    cumulative.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = delta("dialoghub_commit_seconds_count");
    let at_most = |q: f64| {
        if total <= 0.0 {
            return None;
        }
        cumulative
            .iter()
            .find(|(_, n)| *n >= q * total)
            .map(|(ms, _)| {
                if ms.is_finite() {
                    json!(ms)
                } else {
                    json!("+Inf")
                }
            })
    };
    let over = |ms: f64| {
        let under = cumulative.iter().find(|(b, _)| *b == ms).map(|(_, n)| *n);
        under.map(|n| total - n)
    };
    json!({
        "appends": total,
        "p50_at_most_ms": at_most(0.5),
        "p99_at_most_ms": at_most(0.99),
        "over_25_ms": over(25.0),
        "over_50_ms": over(50.0),
        "over_100_ms": over(100.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scrape of the append histogram: the cumulative count at each bound
    /// (10, 25, 50, 100 ms, +Inf), the last one also the total.
    fn histogram(cumulative: [f64; 5]) -> Scrape {
        let mut scrape: Scrape = ["0.01", "0.025", "0.05", "0.1", "+Inf"]
            .iter()
            .zip(cumulative)
            .map(|(le, n)| (format!("dialoghub_commit_seconds_bucket{{le=\"{le}\"}}"), n))
            .collect();
        scrape.insert("dialoghub_commit_seconds_count".into(), cumulative[4]);
        scrape
    }

    #[test]
    fn appends_are_read_from_the_histograms_buckets_between_two_scrapes() {
        let before = histogram([10.0; 5]);
        // 100 more appends: 90 within 10 ms, 8 within 25, 1 within 100, 1 beyond.
        let after = histogram([100.0, 108.0, 108.0, 109.0, 110.0]);
        let v = appends(&before, &after);
        assert_eq!(v["appends"], 100.0);
        assert_eq!(v["p50_at_most_ms"], 10.0);
        assert_eq!(v["p99_at_most_ms"], 100.0);
        assert_eq!(v["over_25_ms"], 2.0);
        assert_eq!(v["over_50_ms"], 2.0);
        assert_eq!(v["over_100_ms"], 1.0);
        let none = appends(&after, &after);
        assert_eq!(none["appends"], 0.0);
        assert!(none["p99_at_most_ms"].is_null());
    }
}
