//! Wires the house together: store, bus, registry, router, listener.

use crate::auth::Tokens;
use crate::config::Settings;
use crate::hub::{HubSettings, Registry};
use crate::protocol::CloseCode;
use crate::transport::{self, AppState};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("bus: {0}")]
    Bus(String),
    #[error("metrics: {0}")]
    Metrics(String),
    #[error("settings: {0}")]
    Config(String),
}

/// How this node hears of other nodes' commits. Read from the environment, since
/// the settings file has no bus section yet: `DIALOGHUB_BUS__URL`, else `REDIS_URL`
/// (unset: one process, nobody to wake), and `DIALOGHUB_BUS__POLL_MS`, how often
/// the heads of live dialogues are read from the store (default 1000; this is the
/// longest another node's commit can take to arrive while Redis is down).
#[derive(Debug, Clone)]
pub struct BusSettings {
    pub url: Option<String>,
    pub poll_interval: Duration,
}

impl BusSettings {
    pub fn from_env() -> BusSettings {
        let url = std::env::var("DIALOGHUB_BUS__URL")
            .or_else(|_| std::env::var("REDIS_URL"))
            .ok()
            .filter(|u| !u.trim().is_empty());
        let poll_ms = std::env::var("DIALOGHUB_BUS__POLL_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .unwrap_or(1000);
        BusSettings {
            url,
            poll_interval: Duration::from_millis(poll_ms),
        }
    }
}

/// How many connections the kernel may hold for the server before it accepts
/// them (the kernel caps it at `net.core.somaxconn`). A meeting's start brings
/// thousands of joins within a second; with tokio's default of 1,024 the queue
/// overflowed, and each SYN the kernel dropped cost its participant a 1 s
/// retransmit, or the connection (docs/benchmarks.md, join burst).
const LISTEN_BACKLOG: u32 = 4096;

/// Binds the first address `host` resolves to that can be bound, as
/// `TcpListener::bind` does, with [`LISTEN_BACKLOG`].
async fn bind(host: &str, port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        let socket = match addr {
            std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        // As std and tokio do on Unix: a restart may bind while old connections
        // are still in TIME_WAIT.
        socket.set_reuseaddr(true)?;
        match socket
            .bind(addr)
            .and_then(|()| socket.listen(LISTEN_BACKLOG))
        {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the host resolves to no address",
        )
    }))
}

pub struct App {
    listener: tokio::net::TcpListener,
    state: AppState,
    port: u16,
    /// The `/metrics` listener, when `metrics.listen` names one.
    metrics: Option<(
        tokio::net::TcpListener,
        metrics_exporter_prometheus::PrometheusHandle,
    )>,
}

impl App {
    /// Opens the store and binds the listener (port 0 picks a free port; see `port`).
    /// The bus comes from the environment ([`BusSettings::from_env`]).
    pub async fn build(settings: Settings) -> Result<App, StartError> {
        App::build_with_bus(settings, BusSettings::from_env()).await
    }

    pub async fn build_with_bus(
        mut settings: Settings,
        bus_settings: BusSettings,
    ) -> Result<App, StartError> {
        let listener = bind(&settings.server.host, settings.server.port).await?;
        let port = listener.local_addr()?.port();
        if settings.server.port == 0 {
            // Links must point at the port actually bound.
            settings.server.public_url = format!("http://{}:{port}", settings.server.host);
        }
        let metrics = match settings.metrics.listen.trim() {
            "" => None,
            listen => {
                let handle = crate::telemetry::install().ok_or_else(|| {
                    StartError::Metrics("another metrics recorder is installed".into())
                })?;
                let listener = tokio::net::TcpListener::bind(listen).await?;
                Some((listener, handle))
            }
        };
        settings
            .meetings
            .time_zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| {
                StartError::Config(format!(
                    "meetings.time_zone: {:?} is no IANA time zone",
                    settings.meetings.time_zone
                ))
            })?;
        let store = crate::store::open(&settings.store.url).await?;
        for d in &settings.districts {
            let id = crate::domain::access::DistrictId::parse(&d.id).map_err(StartError::Config)?;
            store.put_district(&id, &d.name).await?;
        }
        let bus = crate::bus::open(bus_settings.url.as_deref()).map_err(StartError::Bus)?;
        let tokens = Tokens::from_settings(&settings.auth, &settings.server.data_dir)?;
        let tokens_secret = crate::auth::secret(&settings.auth, &settings.server.data_dir)?;
        let news = bus.subscribe();
        let hub_settings =
            HubSettings::from_settings(&settings, &tokens_secret).map_err(StartError::Config)?;
        let hub = crate::hub::HubThreads::start(hub_settings.threads)?;
        let registry = Arc::new(Registry::new(store, bus, hub_settings, hub));
        if let Some(news) = news {
            registry.follow(news);
        }
        // Always on, also with Redis: pub/sub loses messages, the store does not.
        registry.poll_heads(bus_settings.poll_interval);
        crate::retention::schedule(
            registry.clone(),
            settings.retention,
            settings.mail.confirm_within_hours,
        );
        crate::mail::start(registry.store().clone(), &settings).map_err(StartError::Config)?;
        let proxies = transport::TrustedProxies::parse(&settings.server.trusted_proxies)
            .map_err(StartError::Config)?;
        let oidc = crate::identity::oidc::Oidc::from_settings(&settings, &tokens_secret)
            .map_err(StartError::Config)?;
        let mut state = AppState::new(registry, tokens, settings, proxies);
        state.oidc = oidc.map(Arc::new);
        crate::identity::revocation::watch(state.clone());
        Ok(App {
            listener,
            state,
            port,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on, if `metrics.listen` names one.
    pub fn metrics_port(&self) -> Option<u16> {
        let (listener, _) = self.metrics.as_ref()?;
        Some(listener.local_addr().ok()?.port())
    }

    /// Whether any staff member is an admin (if not, the first must be made
    /// with `dialoghub admin`).
    pub async fn has_admin(&self) -> Result<bool, crate::store::StoreError> {
        self.state.registry.store().has_admin().await
    }

    /// What every handler shares (for tests that sign staff in as the CLI does).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn tokens(&self) -> &Tokens {
        &self.state.tokens
    }

    /// Serves until `shutdown` resolves, then stops within `shutdown_grace_secs`:
    /// no new connections, every dialogue commits what it was handed and tells
    /// its clients to reconnect (1012), HTTP requests in flight finish, and the
    /// store is closed (SQLite checkpoints its log into the file).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let registry = self.state.registry.clone();
        let store = registry.store().clone();
        if let Some((listener, handle)) = self.metrics {
            let registry = Arc::downgrade(&registry);
            let scrape = move || {
                let Some(r) = registry.upgrade() else {
                    return crate::telemetry::Scrape {
                        live: 0,
                        threads: Vec::new(),
                    };
                };
                crate::telemetry::Scrape {
                    live: r.live_dialogues(),
                    threads: r
                        .thread_loads()
                        .into_iter()
                        .map(|t| (t.dialogues, t.busy))
                        .collect(),
                }
            };
            tokio::spawn(crate::telemetry::serve(listener, handle, scrape));
        }
        let grace = Duration::from_secs(self.state.settings.server.shutdown_grace_secs);
        let serve_settings = transport::ServeSettings {
            handshake_timeout: Duration::from_secs(
                self.state.settings.limits.handshake_timeout_secs,
            ),
            send_buffer: self.state.settings.server.socket_send_buffer_bytes,
        };
        let limits = self.state.limits.clone();
        let proxies = self.state.proxies.clone();
        let router = transport::router(self.state);
        let (deadline_tx, deadline_rx) = tokio::sync::oneshot::channel();
        // The stop runs as a task of its own from the first signal: the listener
        // closes at once (`stopping`), the hub drains, then `drained`.
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            shutdown.await;
            let _ = stopping_tx.send(());
            let deadline = tokio::time::Instant::now() + grace;
            let _ = deadline_tx.send(deadline);
            tracing::info!("shutting down; asking clients to reconnect");
            // Each dialogue commits the submissions queued before the stop, then
            // closes its connections with 1012; a store that hangs does not hold
            // the process past its grace.
            let _ =
                tokio::time::timeout_at(deadline, registry.shutdown(CloseCode::Restarting)).await;
            // Upgraded connections are not requests the server waits for: give their
            // writers a moment to send the close frame before the process may exit.
            tokio::time::sleep(Duration::from_millis(500).min(grace / 4)).await;
            let _ = drained_tx.send(());
        });
        let stop_accepting = async move {
            let _ = stopping_rx.await;
        };
        let drained = async move {
            let _ = drained_rx.await;
        };
        let server = transport::serve(
            self.listener,
            router,
            limits,
            proxies,
            serve_settings,
            stop_accepting,
            drained,
        );
        let over = async {
            match deadline_rx.await {
                Ok(deadline) => tokio::time::sleep_until(deadline).await,
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            () = server => {}
            // HTTP requests that do not finish in time are cut off.
            () = over => tracing::warn!("shutdown grace over; stopping with requests in flight"),
        }
        // Closing is quick (a checkpoint at most); bounded all the same.
        let _ = tokio::time::timeout(Duration::from_secs(1), store.close()).await;
        Ok(())
    }
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM (`docker stop`, systemd,
/// Kubernetes). Installed before the server listens, so a stop that comes early
/// is a graceful stop too, never the default of dying on the spot.
pub fn stop_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        let which = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!(signal = which, "stop requested");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Connections beyond tokio's default backlog (1,024) are queued by the
    /// kernel at once, not dropped to be retried a second later. The test
    /// accepts none of them, so every one of them waits in the backlog.
    #[tokio::test]
    async fn the_backlog_holds_a_burst_of_joins() {
        let listener = bind("127.0.0.1", 0).await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(LISTEN_BACKLOG);
        let burst = LISTEN_BACKLOG.min(somaxconn) as usize;
        let mut held = Vec::with_capacity(burst);
        for i in 0..burst {
            let connect = tokio::net::TcpStream::connect(addr);
            match tokio::time::timeout(Duration::from_millis(500), connect).await {
                Ok(Ok(stream)) => held.push(stream),
                other => panic!("connection {i} of {burst} not queued: {other:?}"),
            }
        }
        assert_eq!(held.len(), burst);
    }
}
