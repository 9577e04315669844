//! The door every staff request passes: what the caller is to the dialogue (or
//! district) it concerns, and what the one table (`domain::authorize`) says.
//! A refusal is a security event; an anonymous caller gets 401, anyone else 403
//! (also for a dialogue that does not exist, so nobody learns which do).

use super::{Caller, now_ms, security};
use crate::domain::access::{DistrictId, Principal, Standing, district_standing};
use crate::domain::authorize::{Action, may, name};
use crate::domain::{Actor, DialogueId};
use crate::protocol::ErrorCode;
use crate::transport::{ApiError, AppState};

/// The caller's actor in `dialogue` if the table lets them take `action` there.
pub async fn authorize(
    state: &AppState,
    caller: &Caller,
    dialogue: DialogueId,
    action: Action<'_>,
) -> Result<Actor, ApiError> {
    let standing = super::standing_in(state, &caller.principal, dialogue).await?;
    decide(state, caller, standing, action, Some(dialogue)).await
}

/// Whether the table lets the caller take `action` on the dialogue, for actions
/// that need no actor of their own (reading what is public: a stranger may).
pub async fn permit(
    state: &AppState,
    caller: &Caller,
    dialogue: DialogueId,
    action: Action<'_>,
) -> Result<(), ApiError> {
    let standing = super::standing_in(state, &caller.principal, dialogue).await?;
    if may(standing, action) {
        return Ok(());
    }
    decide(state, caller, standing, action, Some(dialogue))
        .await
        .map(|_| ())
}

/// The caller's actor in `district` if the table lets them take `action` there.
pub async fn authorize_district(
    state: &AppState,
    caller: &Caller,
    district: &DistrictId,
    action: Action<'_>,
) -> Result<Actor, ApiError> {
    let standing = district_standing(&caller.principal, district);
    decide(state, caller, standing, action, None).await
}

/// For the actions whose credential is a secret the path names (a receipt
/// code, a note's unsubscribe token): the handler has found what the secret
/// opens, so the caller stands as `Holder`, and the table says whether that is
/// enough. A secret that opens nothing is the handler's 404 (never 401 or 403,
/// so nobody learns which secrets exist).
pub fn holder(action: Action<'_>) -> Result<(), ApiError> {
    if may(Standing::Holder, action) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            "you may not do this here",
        ))
    }
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    standing: Standing,
    action: Action<'_>,
    dialogue: Option<DialogueId>,
) -> Result<Actor, ApiError> {
    let id = caller.principal.id();
    if may(standing, action) {
        if let Some(actor) = standing.actor(id) {
            return Ok(actor);
        }
    }
    security::record(
        state,
        security::Event::Refused {
            who: id,
            standing: standing.as_str(),
            action: name(action),
            dialogue,
        },
        now_ms(),
    )
    .await;
    Err(match caller.principal {
        Principal::Anonymous => ApiError::new(ErrorCode::Unauthorized, "sign in first"),
        _ => ApiError::new(ErrorCode::Forbidden, "you may not do this here"),
    })
}
