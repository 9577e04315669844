//! Finding a dialogue by its join code, for anyone without an account. A code
//! that finds no published dialogue counts against the address, like a receipt
//! that finds nothing: guessing codes is how one would find dialogues one was
//! not told of. After too many misses in a minute, every code lookup from that
//! address is refused for the rest of the minute.

use super::{ApiError, AppState};
use crate::hub::DialogueHandle;
use crate::protocol::ErrorCode;
use std::net::IpAddr;
use std::time::Instant;

/// The dialogue with this code, if the address may still look codes up.
pub async fn find(state: &AppState, ip: IpAddr, code: &str) -> Result<DialogueHandle, ApiError> {
    if state.limits.codes_blocked(ip, Instant::now()) {
        refused_join(state, "code_misses_per_ip_per_minute").await;
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many join codes that found nothing; wait a minute",
        ));
    }
    state
        .registry
        .by_code(code)
        .await?
        .ok_or_else(|| missed(state, ip))
}

/// Counts a code that found nothing (or only a draft) and says so.
pub fn missed(state: &AppState, ip: IpAddr) -> ApiError {
    state.limits.code_missed(ip, Instant::now());
    ApiError::new(ErrorCode::NotFound, "no dialogue with that code")
}

/// A join a per-address limit refused: a security event (the address is not kept).
pub async fn refused_join(state: &AppState, limit: &'static str) {
    let event = crate::identity::security::Event::JoinRefused { limit };
    let now = chrono::Utc::now().timestamp_millis();
    crate::identity::security::record(state, event, now).await;
}
