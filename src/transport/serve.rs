//! The accept loop: one hyper HTTP/1.1 connection per TCP socket, with the limits
//! `axum::serve` cannot set, and the per-address connection cap taken at accept.
//!
//! - A request head must arrive whole within `limits.handshake_timeout_secs`
//!   (hyper's `header_read_timeout`, which needs a timer), so a head sent one byte
//!   at a time (slowloris) or never is cut off. The same timer closes a keep-alive
//!   connection that sends no next request.
//! - A request head over [`MAX_REQUEST_HEAD_BYTES`] is refused with 431.
//! - Each accepted socket takes a slot of `limits.connections_per_ip` until it
//!   closes; an upgraded WebSocket keeps the slot of its socket. Without this, a
//!   connection that never finishes its head is counted nowhere, and one address
//!   could hold file descriptors up to the process limit.
//! - A socket from a trusted proxy (`server.trusted_proxies`) carries many
//!   clients: each of its requests takes a slot of the client the proxy names
//!   (`client_addr.rs`), held for the request, or by its WebSocket. Handlers see
//!   that client as the peer (`ConnectInfo`).

use super::client_addr::TrustedProxies;
use super::limits::{AddressLimits, ConnectionSlot};
use super::{ApiError, tune_socket};
use crate::protocol::ErrorCode;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// The largest request head (request line and headers) the server reads.
/// Browsers send one to a few KiB, cookies included; 16 KiB leaves room for what
/// a reverse proxy adds. hyper's default, about 400 KiB, would let every
/// unfinished handshake pin that much memory. (hyper's minimum is 8 KiB.)
pub const MAX_REQUEST_HEAD_BYTES: usize = 16 * 1024;

/// How long a connection over its address's cap may take to send the request it
/// will be refused: short, because these sockets are not counted anywhere.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// What the accept loop needs from the settings.
#[derive(Debug, Clone, Copy)]
pub struct ServeSettings {
    pub handshake_timeout: Duration,
    pub send_buffer: usize,
}

/// Accepts connections until `stop_accepting` resolves and closes the listener
/// at once, so a client told to reconnect (1012) meets a refused connection and
/// not a process about to exit. Then waits for `drained` (the hub closing its
/// sockets), asks every HTTP connection to finish its request in flight, and
/// returns once they have. Upgraded WebSockets are not waited for: they belong to
/// the hub, which closes them itself.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Arc<AddressLimits>,
    proxies: Arc<TrustedProxies>,
    settings: ServeSettings,
    stop_accepting: impl Future<Output = ()>,
    drained: impl Future<Output = ()>,
) {
    // Each connection task holds a receiver: `true` asks it to finish, and the
    // sender's `closed()` says every task has ended.
    let (stop, _) = watch::channel(false);
    let mut stop_accepting = std::pin::pin!(stop_accepting);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut stop_accepting => break,
        };
        tune_socket(&tcp, settings.send_buffer);
        let admission = if proxies.trusts(peer.ip()) {
            Admission::PerRequest(limits.clone(), proxies.clone())
        } else {
            match limits.connect(peer.ip()) {
                Some(slot) => Admission::Held(Arc::new(slot)),
                None => Admission::Refused,
            }
        };
        tokio::spawn(serve_connection(
            tcp,
            peer,
            admission,
            router.clone(),
            settings,
            stop.subscribe(),
        ));
    }
    drop(listener);
    drained.await;
    let _ = stop.send(true);
    stop.closed().await;
}

/// Whether a socket's requests are served, and under whose connection slot.
#[derive(Clone)]
enum Admission {
    /// The peer is the client; its slot is held for the socket's life.
    Held(Arc<ConnectionSlot>),
    /// The peer's address is at its cap.
    Refused,
    /// A trusted proxy: each request takes a slot of the client it names.
    PerRequest(Arc<AddressLimits>, Arc<TrustedProxies>),
}

/// Serves one socket. When its address is at the cap every request is answered
/// 429 and the connection closed.
async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    admission: Admission,
    router: Router,
    settings: ServeSettings,
    mut stop: watch::Receiver<bool>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .max_buf_size(MAX_REQUEST_HEAD_BYTES);
    if !matches!(admission, Admission::Refused) {
        builder.header_read_timeout(settings.handshake_timeout);
    } else {
        builder
            .header_read_timeout(REFUSAL_TIMEOUT.min(settings.handshake_timeout))
            .keep_alive(false);
    }
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let router = router.clone();
        let admission = admission.clone();
        async move {
            let (client, slot) = match admission {
                Admission::Held(slot) => (peer, slot),
                Admission::Refused => return Ok::<_, Infallible>(too_many_connections()),
                Admission::PerRequest(limits, proxies) => {
                    let client = proxies.client(peer.ip(), request.headers());
                    match limits.connect(client) {
                        Some(slot) => (SocketAddr::new(client, peer.port()), Arc::new(slot)),
                        None => return Ok(too_many_connections()),
                    }
                }
            };
            // What handlers extract: the client (`ConnectInfo`) and, for the
            // upgrade, the slot, which the WebSocket then keeps.
            request.extensions_mut().insert(ConnectInfo(client));
            request.extensions_mut().insert(slot);
            router.oneshot(request.map(Body::new)).await
        }
    });
    let connection = builder
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    // An error means the accept loop is gone: stop as well.
    let stopping = async move {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    tokio::select! {
        // Errors here are the peer's (reset, timeout, bad request); hyper has
        // already answered what could be answered.
        _ = connection.as_mut() => return,
        () = stopping => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

fn too_many_connections() -> Response {
    let mut response = ApiError::new(
        ErrorCode::RateLimited,
        "too many connections from this address",
    )
    .into_response();
    // Outside the router, so not under its nosniff layer.
    response.headers_mut().insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        axum::http::HeaderValue::from_static("nosniff"),
    );
    response
}

/// A failed accept is either the peer's doing (ignore it) or the process's, such
/// as being out of file descriptors: then wait a moment rather than spin.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
