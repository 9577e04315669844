//! One integration binary: the real server on port 0, real WebSocket and HTTP clients.

mod harness;
mod log;

mod architecture;
mod backup;
mod bad_input;
mod bus;
mod cluster;
mod crash;
mod crash_loop;
mod edges;
mod erasure_on_disk;
mod exports;
mod flood;
mod meeting;
mod model;
mod oidc;
mod ops_metrics;
mod ops_signals;
mod polls;
mod privacy;
mod protocol_doc;
mod proxy;
mod record;
mod records;
mod resume;
mod retention;
mod rfc6455;
mod sessions;
mod slow;
mod soak;
mod store;
mod tips;
mod trace_logs;
mod upgrade;
mod votes;
