//! The floor: the least a WebSocket fan-out server can do. A publisher connects
//! to `/pub`; every text frame it sends goes, as the same shared bytes, to every
//! connection on any other path. No parsing, no roles, no persistence.
//!
//! Each subscriber drains a tokio broadcast channel with `feed` and one `flush`
//! per batch (the write pattern dialoghub uses). A subscriber that falls a whole
//! channel behind is closed (4508), which the load generator counts.

use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Utf8Bytes;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

pub fn main(port: u16) {
    // As many worker threads as cores, like dialoghub's #[tokio::main].
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(serve(port));
}

// tungstenite's handshake callback type returns its large `ErrorResponse`; not ours to box.
#[allow(clippy::result_large_err)]
async fn serve(port: u16) {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    println!("floor listening on port {port}");
    let (tx, _) = broadcast::channel::<Utf8Bytes>(4096);
    let lagged = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors or similar: back off instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (tx, lagged) = (tx.clone(), lagged.clone());
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
                publish(ws, tx).await;
            } else {
                // Subscribe before anything else so no frame is missed.
                let rx = tx.subscribe();
                subscribe(ws, rx, lagged).await;
            }
        });
    }
}

async fn publish(mut ws: crate::util::Ws, tx: broadcast::Sender<Utf8Bytes>) {
    while let Some(Ok(msg)) = ws.next().await {
        if let Message::Text(t) = msg {
            let _ = tx.send(t);
        }
    }
}

async fn subscribe(
    ws: crate::util::Ws,
    mut rx: broadcast::Receiver<Utf8Bytes>,
    lagged: Arc<AtomicU64>,
) {
    let (mut sink, mut stream) = ws.split();
    let reader = async { while let Some(Ok(_)) = stream.next().await {} };
    let writer = async {
        loop {
            let first = match rx.recv().await {
                Ok(f) => f,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    lagged.fetch_add(1, Ordering::Relaxed);
                    let close = CloseFrame {
                        code: CloseCode::from(4508),
                        reason: "slow".into(),
                    };
                    let _ = sink.send(Message::Close(Some(close))).await;
                    return;
                }
                Err(_) => return,
            };
            if sink.feed(Message::Text(first)).await.is_err() {
                return;
            }
            while let Ok(next) = rx.try_recv() {
                if sink.feed(Message::Text(next)).await.is_err() {
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
