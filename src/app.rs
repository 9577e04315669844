//! Wires the house together: store, bus, registry, router, listener.

use crate::auth::Tokens;
use crate::bus::{Bus, LocalBus};
use crate::config::Settings;
use crate::hub::Registry;
use crate::protocol::CloseCode;
use crate::transport::{self, AppState};
use axum::serve::ListenerExt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

pub struct App {
    listener: tokio::net::TcpListener,
    state: AppState,
    port: u16,
}

impl App {
    /// Opens the store and binds the listener (port 0 picks a free port; see `port`).
    pub async fn build(mut settings: Settings) -> Result<App, StartError> {
        let listener =
            tokio::net::TcpListener::bind((settings.server.host.as_str(), settings.server.port))
                .await?;
        let port = listener.local_addr()?.port();
        if settings.server.port == 0 {
            // Links must point at the port actually bound.
            settings.server.public_url = format!("http://{}:{port}", settings.server.host);
        }
        let store = crate::store::open(&settings.store.url).await?;
        let bus: Arc<dyn Bus> = Arc::new(LocalBus);
        let tokens = Tokens::from_settings(&settings.auth, &settings.server.data_dir)?;
        let registry = Arc::new(Registry::new(store, bus, settings.hub()));
        let state = AppState::new(registry, tokens, settings);
        Ok(App {
            listener,
            state,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn tokens(&self) -> &Tokens {
        &self.state.tokens
    }

    /// Serves until `shutdown` resolves, then tells every client to reconnect.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let registry = self.state.registry.clone();
        let grace = Duration::from_secs(self.state.settings.server.shutdown_grace_secs);
        let router = transport::router(self.state);
        let listener = self.listener.tap_io(|tcp| {
            // Events are small and latency matters more than packet count.
            let _ = tcp.set_nodelay(true);
        });
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down; asking clients to reconnect");
            registry.shutdown(CloseCode::Restarting).await;
            let _ = stopped_tx.send(());
        };
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal);
        tokio::select! {
            result = server => result,
            // WebSocket connections are not requests that end: give them the grace period, then stop.
            _ = async { let _ = stopped_rx.await; tokio::time::sleep(grace).await } => Ok(()),
        }
    }
}
