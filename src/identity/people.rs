//! Taking people off: a panelist, moderator or screen off one dialogue, a staff
//! member off the staff. Their sessions and unused links end at once; their open
//! sockets close on this node now and on every other within one check
//! (`revocation.rs`). And admins inviting colleagues.

use super::{Caller, authorize, authorize_district, now_ms, security};
use crate::bus::Withdrawal;
use crate::domain::access::{DistrictId, DistrictScope, Grant, StaffRole};
use crate::domain::authorize::Action;
use crate::domain::{Actor, Command};
use crate::protocol::ClientMsgId;
use crate::protocol::ErrorCode;
use crate::protocol::identity::{
    GrantWire, LinkWire, StaffInviteBody, StaffListWire, StaffQuery, StaffWire,
};
use crate::transport::{ApiError, AppState, Body};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

/// `DELETE /api/dialogues/{id}/people/{person}`.
pub async fn remove_person(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, person)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let actor = authorize(&state, &caller, id, Action::RemovePerson).await?;
    let by = actor.id();
    take_off(&state, actor, id, person).await?;
    let ended = state
        .registry
        .store()
        .end_sessions_of(person, Some(id))
        .await?;
    let gone = Withdrawal::Person {
        person,
        dialogue: Some(id),
    };
    super::revocation::withdraw(&state, gone).await;
    security::record(
        &state,
        security::Event::Revoked {
            by,
            whom: person,
            dialogue: Some(id),
            sessions: ended,
        },
        now_ms(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Takes `person` off the dialogue's panel and moderators, as a command in its
/// log (`panelist_removed`, `moderator_removed`), so the lists, snapshots and
/// audit trail show it and a staff moderator who signs in again is no longer
/// one. Someone on neither list (a screen) has nothing to take off.
async fn take_off(
    state: &AppState,
    actor: Actor,
    dialogue: Uuid,
    person: Uuid,
) -> Result<(), ApiError> {
    let Some(handle) = state.registry.get(dialogue).await? else {
        return Ok(());
    };
    let on_it = handle
        .read(move |d| {
            d.panelists.iter().any(|p| p.id == person)
                || d.moderators.iter().any(|m| m.id == person)
        })
        .await
        .ok_or_else(|| {
            ApiError::new(ErrorCode::Unavailable, "the dialogue is restarting; retry")
        })?;
    if !on_it {
        return Ok(());
    }
    // A fresh key: DELETE is idempotent by the state it finds, and a person
    // added again later must be removable again.
    let key = ClientMsgId::server(&format!("remove:{}", Uuid::new_v4().simple()));
    match handle
        .submit_and_wait(actor, key, Command::RemovePerson { person })
        .await
    {
        Ok(_) => Ok(()),
        // Removed meanwhile by someone else: what was asked holds.
        Err(e) if e.code == ErrorCode::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The district a grant is checked against (`*` is checked as the whole
/// municipality: only its admins pass).
fn district_of(g: &Grant) -> Option<DistrictId> {
    match &g.district {
        DistrictScope::One(d) => Some(d.clone()),
        DistrictScope::All => None,
    }
}

/// The caller must manage staff in every district these grants name.
async fn may_grant(state: &AppState, caller: &Caller, grants: &[Grant]) -> Result<Uuid, ApiError> {
    let mut by = caller.principal.id();
    for g in grants {
        by = match district_of(g) {
            Some(d) => authorize_district(state, caller, &d, Action::ManageStaff)
                .await?
                .id(),
            None if caller.principal.is_municipality_admin() => by,
            None => {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "only a municipality admin grants roles everywhere",
                ));
            }
        };
    }
    // No grants at all: still only an admin may ask.
    if grants.is_empty() {
        authorize_district(
            state,
            caller,
            &DistrictId::default_district(),
            Action::ManageStaff,
        )
        .await?;
    }
    Ok(by)
}

/// `POST /api/staff`: an admin invites a colleague with roles in their districts;
/// the answer is a single-use sign-in link for the admin to pass on.
pub async fn invite_staff(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<StaffInviteBody>,
) -> Result<Response, ApiError> {
    let bad = |m: String| ApiError::new(ErrorCode::BadRequest, m);
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(bad("name must be 1 to 120 characters".into()));
    }
    let grants = body
        .grants
        .iter()
        .map(|g| {
            Ok(Grant {
                district: DistrictScope::parse(&g.district).map_err(bad)?,
                role: StaffRole::parse(&g.role).map_err(bad)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    if grants.is_empty() {
        return Err(bad("give at least one role".into()));
    }
    let by = may_grant(&state, &caller, &grants).await?;
    let minutes = state.settings.auth.signin_link_minutes;
    let (id, link) = super::admin::staff_link(
        state.registry.store().as_ref(),
        &state.settings.server.public_url,
        &format!("invited:{}", Uuid::new_v4()),
        name,
        &grants,
        minutes,
    )
    .await?;
    security::record(
        &state,
        security::Event::Invited {
            by,
            whom: id,
            dialogue: None,
            role: "staff",
        },
        now_ms(),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(LinkWire {
            id,
            link,
            expires_in: minutes * 60,
        }),
    )
        .into_response())
}

/// `DELETE /api/staff/{id}`: takes every role away and ends every session. The
/// caller must manage staff in every district the person has a role in.
pub async fn remove_staff(
    State(state): State<AppState>,
    caller: Caller,
    Path(person): Path<Uuid>,
) -> Result<Response, ApiError> {
    let store = state.registry.store();
    let Some(staff) = store.staff(person).await? else {
        may_grant(&state, &caller, &[]).await?;
        return Err(ApiError::new(ErrorCode::NotFound, "no such staff member"));
    };
    let by = may_grant(&state, &caller, &staff.grants).await?;
    store.set_grants(person, &[]).await?;
    // A staff moderator is named on each dialogue by their staff id: off every
    // one of them, or signing in again (an identity provider's claims give the
    // roles back) would make them its moderator again. Every dialogue is
    // looked at; removals are rare and dialogues are few per municipality.
    for dialogue in store.dialogue_ids().await? {
        take_off(&state, Actor::Organizer(by), dialogue, person).await?;
    }
    let ended = store.end_sessions_of(person, None).await?;
    let gone = Withdrawal::Person {
        person,
        dialogue: None,
    };
    super::revocation::withdraw(&state, gone).await;
    security::record(
        &state,
        security::Event::Revoked {
            by,
            whom: person,
            dialogue: None,
            sessions: ended,
        },
        now_ms(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/staff[?district=…]`: the staff holding a role in the district (or,
/// without one, in every district the caller administers), and their roles.
/// Municipality admins (`*`) are listed with every district's staff.
pub async fn list_staff(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<StaffQuery>,
) -> Result<Response, ApiError> {
    let scopes: Vec<DistrictScope> = match query.district.as_deref() {
        Some(raw) => {
            let district =
                DistrictId::parse(raw).map_err(|m| ApiError::new(ErrorCode::BadRequest, m))?;
            authorize_district(&state, &caller, &district, Action::ManageStaff).await?;
            vec![DistrictScope::One(district)]
        }
        None => {
            let scopes = administered(&caller);
            if scopes.is_empty() {
                // Refused (and a security event) as the table says.
                may_grant(&state, &caller, &[]).await?;
            }
            scopes
        }
    };
    let shown = |g: &Grant| match &g.district {
        DistrictScope::All => true,
        DistrictScope::One(d) => scopes.iter().any(|s| s.covers(d)),
    };
    let staff = state
        .registry
        .store()
        .staff_list()
        .await?
        .into_iter()
        .filter(|s| s.grants.iter().any(shown))
        .map(|s| StaffWire {
            id: s.id,
            name: s.name,
            grants: s.grants.iter().map(GrantWire::from).collect(),
        })
        .collect();
    Ok(Json(StaffListWire { staff }).into_response())
}

/// The districts the caller administers.
fn administered(caller: &Caller) -> Vec<DistrictScope> {
    match &caller.principal {
        crate::domain::access::Principal::Staff { grants, .. } => grants
            .iter()
            .filter(|g| g.role == StaffRole::Admin)
            .map(|g| g.district.clone())
            .collect(),
        _ => Vec::new(),
    }
}
