//! Prometheus metrics: every name in one place, one-line calls to record them,
//! and the listener on `metrics.listen` that serves `/metrics`.
//!
//! Recording goes through the `metrics` facade; with no listener configured no
//! recorder is installed and every call is a no-op. Labels are closed sets (a
//! role, an error code, a store operation): never an id, a name or any text
//! someone typed, so the series stay bounded and carry no personal data.
//!
//! The fan-out path records per batch, not per delivery: a committed batch, a
//! writer's drain of its queue, a dialogue's wake-up.

use crate::domain::Role;
use crate::protocol::ErrorCode;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

pub const CONNECTIONS: &str = "dialoghub_connections";
pub const DIALOGUES_LIVE: &str = "dialoghub_dialogues_live";
pub const EVENTS_COMMITTED: &str = "dialoghub_events_committed_total";
pub const COMMITS: &str = "dialoghub_commits_total";
pub const COMMIT_BATCH_SIZE: &str = "dialoghub_commit_batch_size";
pub const COMMIT_SECONDS: &str = "dialoghub_commit_seconds";
pub const QUEUE_BYTES: &str = "dialoghub_delivery_queue_bytes";
pub const SLOW_CLOSES: &str = "dialoghub_slow_consumer_closes_total";
pub const REFUSALS: &str = "dialoghub_refusals_total";
pub const RATE_LIMIT_CLOSES: &str = "dialoghub_rate_limit_closes_total";
pub const JOINS: &str = "dialoghub_joins_total";
pub const BUS_WAKEUPS: &str = "dialoghub_bus_wakeups_total";
pub const BUS_LAG_EVENTS: &str = "dialoghub_bus_lag_events";
pub const STORE_ERRORS: &str = "dialoghub_store_errors_total";
pub const STORE_COMMITS: &str = "dialoghub_store_commits_total";
pub const STORE_BATCHES: &str = "dialoghub_store_batches_total";
pub const HUB_THREAD_DIALOGUES: &str = "dialoghub_hub_thread_dialogues";
pub const HUB_THREAD_BUSY: &str = "dialoghub_hub_thread_busy_seconds";

/// The process's one recorder: installed on first use, shared by every `App`
/// built in the process (tests build several).
static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder (once per process) and returns its handle;
/// `None` if another recorder was installed first.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(COMMIT_SECONDS.into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    ],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(COMMIT_BATCH_SIZE.into()),
                        &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0],
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(QUEUE_BYTES.into()),
                        &[512.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0],
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(BUS_LAG_EVENTS.into()),
                        &[1.0, 2.0, 5.0, 10.0, 100.0, 1000.0],
                    )
                })
                .ok()?;
            let handle = builder.install_recorder().ok()?;
            describe();
            Some(handle)
        })
        .clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(CONNECTIONS, "Open WebSocket connections, by role");
    describe_gauge!(DIALOGUES_LIVE, "Dialogues loaded in memory on this node");
    describe_gauge!(
        HUB_THREAD_DIALOGUES,
        "Dialogues placed on a hub thread, by thread number"
    );
    // A gauge only because the facade's counters are whole numbers: it only grows.
    describe_gauge!(
        HUB_THREAD_BUSY,
        Unit::Seconds,
        "Time a hub thread has spent running its dialogues and staff connections since the start (only grows; use rate()), by thread number"
    );
    describe_counter!(EVENTS_COMMITTED, "Events appended to dialogue logs");
    describe_counter!(COMMITS, "Group commits (one transaction each)");
    describe_histogram!(COMMIT_BATCH_SIZE, "Submissions per group commit");
    describe_histogram!(
        COMMIT_SECONDS,
        Unit::Seconds,
        "Time a group commit took in the store"
    );
    describe_histogram!(
        QUEUE_BYTES,
        Unit::Bytes,
        "Bytes waiting in a connection's queue each time its writer drains it"
    );
    describe_counter!(
        SLOW_CLOSES,
        "Connections closed for falling too far behind (4508)"
    );
    describe_counter!(
        REFUSALS,
        "Error answers, by code and by where they were given"
    );
    describe_counter!(RATE_LIMIT_CLOSES, "Connections closed for flooding (4429)");
    describe_counter!(JOINS, "Participants who joined a dialogue by its code");
    describe_counter!(BUS_WAKEUPS, "Wake-ups from other nodes received on the bus");
    describe_histogram!(BUS_LAG_EVENTS, "Events a dialogue was behind when woken");
    describe_counter!(STORE_ERRORS, "Store operations that failed, by operation");
    describe_counter!(
        STORE_COMMITS,
        "Store transactions that committed appends (on SQLite one holds the batches of several dialogues)"
    );
    describe_counter!(
        STORE_BATCHES,
        "Appended batches committed (divide by dialoghub_store_commits_total: batches per commit)"
    );
}

/// One open connection of a role; the gauge goes down when it is dropped.
pub struct OpenConnection(Role);

pub fn connection_opened(role: Role) -> OpenConnection {
    gauge!(CONNECTIONS, "role" => role_label(role)).increment(1.0);
    OpenConnection(role)
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        gauge!(CONNECTIONS, "role" => role_label(self.0)).decrement(1.0);
    }
}

/// A group commit of `submissions` that appended `events`.
pub fn committed(submissions: usize, events: usize, took: Duration) {
    counter!(COMMITS).increment(1);
    counter!(EVENTS_COMMITTED).increment(events as u64);
    histogram!(COMMIT_BATCH_SIZE).record(submissions as f64);
    histogram!(COMMIT_SECONDS).record(took.as_secs_f64());
}

/// The store committed one transaction holding `batches` appended batches.
pub fn store_committed(batches: usize) {
    counter!(STORE_COMMITS).increment(1);
    counter!(STORE_BATCHES).increment(batches as u64);
}

/// A writer took `bytes` from its connection's queue in one go.
pub fn queue_drained(bytes: usize) {
    histogram!(QUEUE_BYTES).record(bytes as f64);
}

pub fn slow_consumer_closed() {
    counter!(SLOW_CLOSES).increment(1);
}

/// Where an error answer was given.
#[derive(Debug, Clone, Copy)]
pub enum Via {
    /// An answer to a submission (WebSocket or REST), from its dialogue.
    Submission,
    /// An answer to a WebSocket message that did not reach its dialogue
    /// (malformed, rate-limited, not allowed for the role).
    Message,
    /// An HTTP error response.
    Http,
}

pub fn refused(code: ErrorCode, via: Via) {
    let via = match via {
        Via::Submission => "submission",
        Via::Message => "message",
        Via::Http => "http",
    };
    counter!(REFUSALS, "code" => code.as_str(), "via" => via).increment(1);
}

pub fn rate_limit_closed() {
    counter!(RATE_LIMIT_CLOSES).increment(1);
}

pub fn joined() {
    counter!(JOINS).increment(1);
}

pub fn bus_woke() {
    counter!(BUS_WAKEUPS).increment(1);
}

/// A wake-up found the dialogue `behind` events behind the store.
pub fn bus_lag(behind: u64) {
    histogram!(BUS_LAG_EVENTS).record(behind as f64);
}

/// A failed store operation: `op` is a fixed name (`append`, `load`, …).
pub fn store_failed(op: &'static str) {
    counter!(STORE_ERRORS, "op" => op).increment(1);
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Organizer => "organizer",
        Role::Moderator => "moderator",
        Role::Panelist => "panelist",
        Role::Participant => "participant",
        Role::Screen => "screen",
        Role::Follower => "follower",
    }
}

/// What the registry tells `/metrics` at each scrape.
pub struct Scrape {
    /// Dialogues in memory.
    pub live: usize,
    /// Per hub thread, in thread order: its dialogues and its busy time.
    pub threads: Vec<(usize, Duration)>,
}

/// Serves `GET /metrics` on its own listener until the process ends. `scrape`
/// reads the dialogues in memory and the hub threads' load at each scrape.
pub async fn serve(
    listener: tokio::net::TcpListener,
    handle: PrometheusHandle,
    scrape: impl Fn() -> Scrape + Send + Sync + 'static,
) {
    use axum::routing::get;
    let scrape = std::sync::Arc::new(scrape);
    let upkeep = handle.clone();
    // Histograms keep raw samples until rendered or upkept: bound them.
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let router = axum::Router::new().route(
        "/metrics",
        get(move || {
            let (handle, scrape) = (handle.clone(), scrape.clone());
            async move {
                let now = scrape();
                gauge!(DIALOGUES_LIVE).set(now.live as f64);
                // One series per thread: `hub.threads` bounds the label's values.
                for (thread, (dialogues, busy)) in now.threads.into_iter().enumerate() {
                    let thread = thread.to_string();
                    gauge!(HUB_THREAD_DIALOGUES, "thread" => thread.clone()).set(dialogues as f64);
                    gauge!(HUB_THREAD_BUSY, "thread" => thread).set(busy.as_secs_f64());
                }
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    );
    if let Err(e) = axum::serve(listener, router).await {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}
