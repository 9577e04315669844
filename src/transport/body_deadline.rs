//! A request's body must arrive whole within `limits.request_body_timeout_secs`.
//!
//! hyper's `header_read_timeout` (serve.rs) bounds the head only, and
//! tower-http's `RequestBodyTimeoutLayer` bounds the wait for each next chunk,
//! so a body dripped one byte a second would hold its connection (and its
//! address's connection slot) open forever. Here the whole body is read under
//! one deadline before the handler runs; the bodies are small (64 KiB at most,
//! and the handlers read them whole anyway).

use super::AppState;
use crate::protocol::{ErrorCode, ErrorWire};
use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// The largest request body any endpoint takes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub async fn read_within_deadline(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let deadline = Duration::from_secs(state.settings.limits.request_body_timeout_secs);
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(_)) => refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large or was cut off",
        ),
        // hyper then closes the connection: the rest of the body was never read.
        Err(_) => refused(
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive in time",
        ),
    }
}

fn refused(status: StatusCode, message: &str) -> Response {
    let error = ErrorWire::new(ErrorCode::BadRequest, message, None);
    (status, Json(error)).into_response()
}
