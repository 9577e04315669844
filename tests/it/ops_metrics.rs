//! `/metrics`: on its own listener, in the Prometheus text format, moving as a
//! meeting runs, and never carrying what people wrote or their tokens.

use crate::harness::{Client, TestServer};
use prometheus_parse::{Scrape, Value};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

async fn scrape(port: u16) -> (String, Scrape) {
    let resp = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("scrape");
    assert_eq!(resp.status(), 200);
    let mime = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(mime.starts_with("text/plain"), "{mime}");
    let text = resp.text().await.unwrap();
    let parsed = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("parses");
    (text, parsed)
}

/// A sample's value: a counter's or gauge's value, a histogram's count (its +Inf bucket).
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets
                .iter()
                .find(|b| b.less_than.is_infinite())
                .map_or(0.0, |b| b.count),
            Value::Summary(_) => panic!("no summaries expected"),
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_and_move_as_a_meeting_runs_without_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        TestServer::start_with_env(dir.path(), &[("DIALOGHUB_METRICS__LISTEN", "127.0.0.1:0")])
            .await;
    let port = server.metrics_port.expect("a metrics listener");
    assert_ne!(port, 0);
    // Not on the public port.
    let (_, _, public) = server.endpoint.get_text("/metrics", None).await;
    assert!(!public.contains("dialoghub_"), "metrics on the public port");

    let (_, before) = scrape(port).await;
    let organizer = server.organizer().await;
    let dialogue = server.endpoint.live_dialogue(&organizer).await;
    let mut moderator = dialogue.moderator().await;
    let mut tokens = Vec::new();
    let mut people = Vec::new();
    for _ in 0..3 {
        let token = dialogue.participant_token().await;
        people.push(Client::connect(&dialogue.endpoint.ws, &token, None).await);
        tokens.push(token);
    }
    let secret_text = "Hemlig fråga om grannen Zlatanovski på Ekvägen 7";
    let q = people[0].ask(secret_text).await;
    let mut named = people[1]
        .submit(json!({"type": "ask", "text": "Varför är parken mörk?", "display_name": "Birgitta Qvarnström"}))
        .await;
    assert_eq!(named["type"], "ack", "{named}");
    named = moderator.approve(q).await;
    assert_eq!(named["type"], "ack");
    // A second approval of the same question is refused: conflict.
    let refused = moderator.approve(q).await;
    assert_eq!(
        refused["error"]["code"]
            .as_str()
            .or(refused["code"].as_str()),
        Some("conflict"),
        "{refused}"
    );
    for p in people.iter_mut() {
        p.wait_for("published", |v| v["event"]["kind"] == "question_published")
            .await;
        assert_eq!(p.vote(q, true).await["type"], "ack");
    }

    let (during_text, during) = scrape(port).await;
    assert_eq!(
        value(&during, "dialoghub_connections", &[("role", "participant")]),
        3.0
    );
    assert_eq!(
        value(&during, "dialoghub_connections", &[("role", "moderator")]),
        1.0
    );
    assert!(value(&during, "dialoghub_dialogues_live", &[]) >= 1.0);
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&during, name, labels) - value(&before, name, labels)
    };
    assert_eq!(moved("dialoghub_joins_total", &[]), 3.0);
    // Created, phase, moderator, two questions, approval; votes commit beside the log.
    assert!(moved("dialoghub_events_committed_total", &[]) >= 6.0);
    assert!(moved("dialoghub_commits_total", &[]) >= 6.0);
    // The store's own commits: each holds one batch or (SQLite) several dialogues'.
    assert!(moved("dialoghub_store_batches_total", &[]) >= 6.0);
    assert!(moved("dialoghub_store_commits_total", &[]) >= 1.0);
    assert!(
        moved("dialoghub_commit_seconds", &[]) >= 6.0,
        "latency histogram"
    );
    assert!(
        moved("dialoghub_commit_batch_size", &[]) >= 6.0,
        "batch size histogram"
    );
    assert_eq!(
        moved(
            "dialoghub_refusals_total",
            &[("code", "conflict"), ("via", "submission")]
        ),
        1.0
    );
    assert!(during_text.contains("# TYPE dialoghub_delivery_queue_bytes histogram"));

    // A flood is closed, and counted.
    let mut flooder = dialogue.participant().await;
    for _ in 0..200 {
        if flooder
            .send_raw(Message::text(r#"{"type":"ping"}"#))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(flooder.closed_with().await, Some(4429));
    for p in people {
        p.close().await;
    }
    moderator.close().await;
    let deadline = tokio::time::Instant::now() + crate::harness::WAIT;
    let (after_text, after) = loop {
        let (text, after) = scrape(port).await;
        if value(&after, "dialoghub_connections", &[]) == 0.0 {
            break (text, after);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "connections gauge back to 0"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(value(&after, "dialoghub_rate_limit_closes_total", &[]), 1.0);
    assert!(
        value(
            &after,
            "dialoghub_refusals_total",
            &[("code", "rate_limited")]
        ) >= 1.0
    );

    // Nothing personal, no token, no id: labels are closed sets.
    for text in [&during_text, &after_text] {
        for planted in [
            "Zlatanovski",
            "Ekvägen",
            "Qvarnström",
            "Hemlig",
            &dialogue.code,
        ] {
            assert!(!text.contains(planted), "{planted:?} in /metrics");
        }
        assert!(!text.contains(&dialogue.id.to_string()));
        for token in tokens.iter().chain([&organizer]) {
            assert!(!text.contains(token.as_str()));
            let signature = token.rsplit('.').next().unwrap();
            assert!(!text.contains(signature));
        }
    }
    for sample in &after.samples {
        for (label, _) in sample.labels.iter() {
            assert!(
                ["role", "code", "via", "op", "le", "quantile", "thread"].contains(&label.as_str()),
                "unexpected label {label} on {}",
                sample.metric
            );
        }
    }
}

/// The shipped Grafana dashboard only asks for metrics the server exports.
#[test]
fn the_dashboard_reads_only_metrics_that_exist() {
    use dialoghub::telemetry::*;
    let known = [
        CONNECTIONS,
        DIALOGUES_LIVE,
        EVENTS_COMMITTED,
        COMMITS,
        COMMIT_BATCH_SIZE,
        COMMIT_SECONDS,
        QUEUE_BYTES,
        SLOW_CLOSES,
        REFUSALS,
        RATE_LIMIT_CLOSES,
        JOINS,
        BUS_WAKEUPS,
        BUS_LAG_EVENTS,
        STORE_ERRORS,
        STORE_COMMITS,
        STORE_BATCHES,
        HUB_THREAD_BUSY,
        HUB_THREAD_DIALOGUES,
    ];
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/grafana-dashboard.json"
    ))
    .unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let names = regex::Regex::new(r"dialoghub_[a-z_]+").unwrap();
    let mut used = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            for m in names.find_iter(target["expr"].as_str().unwrap()) {
                used.insert(m.as_str().trim_end_matches("_bucket").to_string());
            }
        }
    }
    for name in &used {
        assert!(
            known.contains(&name.as_str()),
            "the dashboard reads {name}, which is not exported"
        );
    }
    for name in known {
        assert!(used.contains(name), "{name} is on no panel");
    }
}
