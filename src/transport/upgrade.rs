//! The WebSocket handshake: check the origin, then upgrade with small buffers and
//! the message size limit. The address's connection count was taken at accept
//! (`serve.rs`); the WebSocket keeps its socket's slot.

use super::limits::ConnectionSlot;
use super::{ApiError, AppState, connection};
use crate::protocol::ErrorCode;
use axum::Extension;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub async fn upgrade(
    State(state): State<AppState>,
    Extension(slot): Extension<Arc<ConnectionSlot>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        if !origin_allowed(
            origin,
            &state.settings.server.allowed_origins,
            &state.settings.server.public_url,
        ) {
            return ApiError::new(ErrorCode::Forbidden, "this origin may not connect")
                .into_response();
        }
    }
    let max = state.settings.limits.max_message_bytes;
    // Client frames are a few hundred bytes; tungstenite reserves a frame's whole
    // length once its header is read, so a larger one only takes more reads. Each
    // idle connection holds this buffer.
    ws.read_buffer_size(1024)
        .write_buffer_size(8 * 1024)
        // A cap, not a reservation: room for one large snapshot.
        .max_write_buffer_size(8 * 1024 * 1024)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| connection::run(socket, state, slot))
}

/// A browser may connect from the server's public URL or a configured origin.
/// Not from whatever the `Host` header names: a client (or a DNS-rebinding page)
/// chooses that header, so comparing the origin with it proves nothing. Clients
/// that send no `Origin` are not browsers, which cross-site WebSocket hijacking
/// needs, so they are let through to the token check.
pub fn origin_allowed(origin: &str, allowed: &[String], public_url: &str) -> bool {
    origin == public_url.trim_end_matches('/')
        || allowed.iter().any(|a| a.trim_end_matches('/') == origin)
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn only_public_and_listed_origins_are_allowed() {
        let allowed = vec!["https://dialog.stockholm.se".to_string()];
        let public = "https://hub.example.org/";
        assert!(origin_allowed("https://hub.example.org", &allowed, public));
        assert!(origin_allowed(
            "https://dialog.stockholm.se",
            &allowed,
            public
        ));
        for refused in [
            "https://evil.example",
            "http://hub.example.org",
            "https://hub.example.org.evil.example",
            "null",
            "",
        ] {
            assert!(!origin_allowed(refused, &allowed, public), "{refused}");
        }
    }
}
