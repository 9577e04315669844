//! dialoghub: a real-time server for hybrid public dialogue meetings.
//!
//! A map of the house, in the direction data flows:
//! socket -> [`transport`] (decode, authorize) -> [`hub`] (the dialogue's single
//! writer task) -> [`domain`] (decide) -> [`store`] (commit) -> fan-out and [`bus`]
//! -> every connection's outbox -> socket.
//!
//! - [`domain`]: the pure state machine of one dialogue. No async, no I/O, no clock.
//! - [`protocol`]: every wire message, error code and close code.
//! - [`hub`]: one writer per live dialogue, a core without I/O in an async shell;
//!   group commit; encode once per audience.
//! - [`transport`]: axum routes, the WebSocket connection, REST.
//! - [`identity`]: staff sessions (cookie), single-use links, WebSocket tickets,
//!   who is asking, revocation and security events.
//! - [`log`]: the stored log's codec, versioned, below the protocol.
//! - [`store`] and [`bus`]: traits with an embedded implementation each.
//! - [`district`]: the district's page, feeds and information posts, read from
//!   the store beside the live dialogues (a cache by log head), never inside them.
//! - [`chart`]: a post's data series drawn as SVG, and in words.
//! - [`retention`]: retention and erasure plans (public-records duties).
//! - [`mail`]: opt-in e-mail notes on a question's fate, from an outbox in the store.
//! - [`app`]: builds all of it from [`config::Settings`].

pub mod app;
pub mod auth;
pub mod bus;
pub mod chart;
pub mod clock;
pub mod config;
pub mod district;
pub mod domain;
pub mod hub;
pub mod identity;
pub mod log;
pub mod log_filter;
pub mod mail;
pub mod photo;
pub mod private_files;
pub mod protocol;
pub mod retention;
pub mod store;
pub mod telemetry;
pub mod transport;

pub use app::App;
pub use config::Settings;
