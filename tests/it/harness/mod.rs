//! Starting the real server and talking to it like a client would.

mod client;
mod server;
mod staff;

pub use client::Client;
pub use server::{
    Dialogue, Endpoint, NodeConfig, TestApp, TestDb, TestServer, authed, key, report, service_url,
    skip, test_settings,
};
pub use staff::{Staff, grant, ticket_of};

use std::time::Duration;

/// Every wait in these tests has a deadline.
pub const WAIT: Duration = Duration::from_secs(10);
