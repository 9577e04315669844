//! An invitation link shown again: the organizer asks for a fresh single-use
//! link for a panelist or moderator whose link was lost; every earlier link and
//! session of theirs for the dialogue ends with it.

use super::rest::invitation;
use super::{ApiError, AppState};
use crate::bus::Withdrawal;
use crate::domain::access::InviteeRole;
use crate::domain::authorize::Action;
use crate::identity::{Caller, authorize};
use crate::protocol::ErrorCode;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

/// `POST /api/dialogues/{id}/invitees/{person}/link`: 201 with a new invitation.
pub async fn reissue(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, person)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let by = authorize(&state, &caller, id, Action::Invite).await?.id();
    let handle = state
        .registry
        .get(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such dialogue"))?;
    let role = handle
        .read(move |d| {
            if d.panelists.iter().any(|p| p.id == person) {
                Some(InviteeRole::Panelist)
            } else if d.moderators.iter().any(|m| m.id == person) {
                Some(InviteeRole::Moderator)
            } else {
                None
            }
        })
        .await
        .ok_or_else(|| ApiError::new(ErrorCode::Unavailable, "the dialogue is restarting; retry"))?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                "no panelist or moderator of this dialogue has that id",
            )
        })?;
    if state.registry.store().staff(person).await?.is_some() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "a staff member signs in as usual and has no invitation link",
        ));
    }
    // The lost link may be in someone else's hands: it, and whatever it opened, ends.
    state
        .registry
        .store()
        .end_sessions_of(person, Some(id))
        .await?;
    crate::identity::revocation::withdraw(
        &state,
        Withdrawal::Person {
            person,
            dialogue: Some(id),
        },
    )
    .await;
    let fresh = invitation(&state, by, role, person, id).await?;
    Ok((StatusCode::CREATED, Json(fresh)).into_response())
}
