//! Safety over HTTP: who on the panel receives private tips, and the numbers the
//! participant page shows for reporting crimes.

use super::{ApiError, AppState};
use crate::domain::authorize::Action;
use crate::identity::Caller;
use crate::protocol::rest::{SafetyNumbers, TipRecipients};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

/// `PUT /api/dialogues/{id}/tip-recipients`: the panel kinds that receive private
/// tips (organizer; the same as `set_tip_recipients` over the socket).
pub async fn set_tip_recipients(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Path(id): Path<Uuid>,
    super::rest::Body(body): super::rest::Body<TipRecipients>,
) -> Result<Json<crate::protocol::AckWire>, ApiError> {
    let kinds = body.kinds.into_iter().map(Into::into).collect();
    let ack = super::rest::organizer_command(
        &state,
        &caller,
        &headers,
        id,
        ("tip-recipients", Action::SetTipRecipients),
        |_, _| crate::domain::Command::SetTipRecipients { kinds },
    )
    .await?;
    Ok(Json(ack))
}

/// `GET /api/safety`: the numbers the participant page shows (configurable per deployment).
pub async fn safety(State(state): State<AppState>) -> Response {
    let s = &state.settings.safety;
    Json(SafetyNumbers {
        emergency_number: &s.emergency_number,
        police_number: &s.police_number,
        danger_phrases: &s.danger_phrases,
    })
    .into_response()
}
