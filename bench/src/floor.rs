//! The floor: the least a WebSocket fan-out server can do. A publisher connects
//! to `/pub`; every text frame it sends goes, as the same shared bytes, to every
//! connection on any other path. No parsing, no roles, no persistence.
//!
//! The publisher's task pushes each frame into every subscriber's own queue (a
//! mutex-guarded `VecDeque` and a `Notify`), the shape dialoghub's hub uses minus
//! the hub; each subscriber drains its queue with `feed` and one `flush` per
//! batch. (An earlier floor used a `tokio::sync::broadcast` channel, whose shared
//! lock made it slower than dialoghub itself.) A subscriber that falls 4096
//! frames behind is closed (4508), which the load generator counts.
//!
//! With `--tick-ms`, a task also gives every subscriber one frame of
//! `--tick-bytes` at that interval for `--tick-for-ms` from the first published
//! frame, the way dialoghub sends `live` tallies while votes flow through a
//! fan-out's paced phase: the floor for the same frames (system `floor-ticks`).
//! As with dialoghub's `live`, a tick not yet written is replaced by the next.

use futures_util::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpSocket;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Utf8Bytes;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// How a tick frame begins; the load generator skips such frames.
pub const TICK_START: &str = r#"{"type":"live""#;

/// `live`-like frames to every subscriber; `every_ms` 0: none.
pub struct Ticks {
    pub every_ms: u64,
    pub bytes: usize,
    pub for_ms: u64,
}

pub fn main(port: u16, ticks: Ticks) {
    // As many worker threads as cores, like dialoghub's #[tokio::main].
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(serve(port, ticks));
}

// tungstenite's handshake callback type returns its large `ErrorResponse`; not ours to box.
#[allow(clippy::result_large_err)]
async fn serve(port: u16, ticks: Ticks) {
    // The backlog dialoghub uses (nats-server's is net.core.somaxconn), so that
    // no system's join burst waits on SYN retransmits the others do not have.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_reuseaddr(true).expect("reuseaddr");
    socket
        .bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .expect("bind");
    let listener = socket.listen(4096).expect("listen");
    let port = listener.local_addr().expect("addr").port();
    println!("floor listening on port {port}");
    let subscribers: Subscribers = Arc::new(Mutex::new(Vec::new()));
    let lagged = Arc::new(AtomicU64::new(0));
    let published = Arc::new(Notify::new());
    if ticks.every_ms > 0 {
        tokio::spawn(tick(subscribers.clone(), published.clone(), ticks));
    }
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors or similar: back off instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (subscribers, lagged) = (subscribers.clone(), lagged.clone());
        let published = published.clone();
        tokio::spawn(async move {
            let mut path = String::new();
            let callback = |req: &Request, resp: Response| {
                path = req.uri().path().to_string();
                Ok(resp)
            };
            let Ok(ws) = tokio_tungstenite::accept_hdr_async_with_config(
                stream,
                callback,
                Some(crate::util::small_config()),
            )
            .await
            else {
                return;
            };
            if path == "/pub" {
                publish(ws, subscribers, &published).await;
            } else {
                // Subscribe before anything else so no frame is missed.
                let queue = Arc::new(Queue::default());
                subscribers.lock().unwrap().push(queue.clone());
                subscribe(ws, &queue, lagged).await;
                queue.lock().closed = true;
                subscribers
                    .lock()
                    .unwrap()
                    .retain(|q| !Arc::ptr_eq(q, &queue));
            }
        });
    }
}

/// Frames one subscriber has not written yet.
#[derive(Default)]
struct Queue {
    state: Mutex<Pending>,
    ready: Notify,
}

#[derive(Default)]
struct Pending {
    frames: VecDeque<Utf8Bytes>,
    /// The latest tick: a newer one replaces an unsent older one, and it goes
    /// after the frames, as dialoghub's outbox does with `live`.
    tick: Option<Utf8Bytes>,
    closed: bool,
    lagged: bool,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.state.lock().unwrap()
    }
}

type Subscribers = Arc<Mutex<Vec<Arc<Queue>>>>;

const MAX_BEHIND: usize = 4096;

async fn publish(mut ws: crate::util::Ws, subscribers: Subscribers, published: &Notify) {
    while let Some(Ok(msg)) = ws.next().await {
        if let Message::Text(t) = msg {
            // One loop over the subscribers, as the hub does: push, then wake.
            let all = subscribers.lock().unwrap().clone();
            for q in &all {
                let mut p = q.lock();
                if p.closed || p.lagged {
                    continue;
                }
                if p.frames.len() >= MAX_BEHIND {
                    p.lagged = true;
                    p.frames.clear();
                } else {
                    p.frames.push_back(t.clone());
                }
                drop(p);
                q.ready.notify_one();
            }
            published.notify_one();
        }
    }
}

/// From the first published frame, for `for_ms`: one `live`-like frame of
/// `bytes` to every subscriber every `every_ms`.
async fn tick(subscribers: Subscribers, published: Arc<Notify>, t: Ticks) {
    let pad = t
        .bytes
        .saturating_sub(TICK_START.len() + r#","pad":""}"#.len());
    let frame = Utf8Bytes::from(format!(r#"{TICK_START},"pad":"{}"}}"#, "x".repeat(pad)));
    published.notified().await;
    let end = tokio::time::Instant::now() + std::time::Duration::from_millis(t.for_ms);
    let mut every = tokio::time::interval(std::time::Duration::from_millis(t.every_ms));
    while every.tick().await < end {
        let all = subscribers.lock().unwrap().clone();
        for q in &all {
            let mut p = q.lock();
            if !p.closed && !p.lagged {
                p.tick = Some(frame.clone());
                drop(p);
                q.ready.notify_one();
            }
        }
    }
}

async fn subscribe(ws: crate::util::Ws, queue: &Queue, lagged: Arc<AtomicU64>) {
    let (mut sink, mut stream) = ws.split();
    let reader = async { while let Some(Ok(_)) = stream.next().await {} };
    let writer = async {
        let mut batch = VecDeque::new();
        loop {
            let fell_behind = {
                let mut p = queue.lock();
                std::mem::swap(&mut batch, &mut p.frames);
                batch.extend(p.tick.take());
                p.lagged
            };
            if fell_behind {
                lagged.fetch_add(1, Ordering::Relaxed);
                let close = CloseFrame {
                    code: CloseCode::from(4508),
                    reason: "slow".into(),
                };
                let _ = sink.send(Message::Close(Some(close))).await;
                return;
            }
            if batch.is_empty() {
                queue.ready.notified().await;
                continue;
            }
            for frame in batch.drain(..) {
                if sink.feed(Message::Text(frame)).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        _ = reader => {}
        _ = writer => {}
    }
}
