//! HTTP errors: a status and a JSON body with the same codes as WebSocket error frames.

use crate::protocol::{ErrorCode, ErrorWire};
use crate::store::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct ApiError(pub ErrorWire);

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError(ErrorWire::new(code, message, None))
    }

    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<ErrorWire> for ApiError {
    fn from(e: ErrorWire) -> Self {
        ApiError(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // The detail goes to the log, not to the client.
        tracing::error!(error = %e, "store error");
        ApiError::new(ErrorCode::Unavailable, "storage is unavailable; retry")
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection::*;
        let code = match e {
            JsonSyntaxError(_) => ErrorCode::Malformed,
            _ => ErrorCode::BadRequest,
        };
        ApiError::new(code, e.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        crate::telemetry::refused(self.0.code, crate::telemetry::Via::Http);
        (self.status(), Json(self.0)).into_response()
    }
}
