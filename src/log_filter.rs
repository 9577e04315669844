//! The log filter: `RUST_LOG` (default `info`), with the libraries that log
//! what goes over the wire capped below the levels at which they do.
//!
//! At trace level tungstenite logs every message it receives (a participant's
//! `hello` with its token, every question's text), and debug logs close reasons
//! the client chose; axum logs a rejected body's parse error, which can quote
//! the body; sqlx logs statements, and hyper (when built with tracing) headers,
//! bearer tokens included. Our own code logs ids and counts only. The cap holds
//! whatever `RUST_LOG` says, `trace` or `tungstenite=trace` alike: no log level
//! is a way around "no personal text in logs".

use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// The most each of these libraries may log.
const CAPS: &[(&str, LevelFilter)] = &[
    ("tungstenite", LevelFilter::INFO),
    ("tokio_tungstenite", LevelFilter::INFO),
    ("axum", LevelFilter::DEBUG),
    ("axum::rejection", LevelFilter::INFO),
    ("hyper", LevelFilter::INFO),
    ("hyper_util", LevelFilter::INFO),
    ("tower_http", LevelFilter::DEBUG),
    ("sqlx", LevelFilter::INFO),
    ("redis", LevelFilter::INFO),
    ("reqwest", LevelFilter::INFO),
];

/// What may be logged at most, per target: everything but the capped libraries.
pub fn caps() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(CAPS.iter().copied())
}

/// Installs the process's subscriber: `RUST_LOG` (or `info`), capped.
pub fn init() {
    let wanted = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(fmt::layer().with_filter(wanted.and(caps())))
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn wire_libraries_are_capped_and_our_own_code_is_not() {
        let caps = caps();
        assert!(!caps.would_enable("tungstenite::protocol", &Level::TRACE));
        assert!(!caps.would_enable("tungstenite::protocol", &Level::DEBUG));
        assert!(!caps.would_enable("axum::rejection", &Level::TRACE));
        assert!(!caps.would_enable("sqlx::query", &Level::DEBUG));
        assert!(caps.would_enable("sqlx::query", &Level::WARN));
        assert!(caps.would_enable("dialoghub::hub", &Level::TRACE));
    }
}
