//! The session over HTTP: `GET /api/session`, `POST /api/session/sign-out`,
//! `POST /api/ws-ticket`, and the single-use link pages `/signin/{link}`.

use super::caller::{cleared_cookie, live_session, principal_of};
use super::{Caller, hash, new_secret, now_ms, security, start_session};
use crate::domain::access::{DialogueFacts, Principal, Standing, standing};
use crate::domain::authorize::Action;
use crate::protocol::ErrorCode;
use crate::protocol::identity::{
    GrantWire, InviteeWire, SessionWire, StaffWire, TicketBody, TicketWire,
};
use crate::store::SessionPrincipal;
use crate::transport::{ApiError, AppState, Body};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/session", get(session))
        .route("/api/session/sign-out", post(sign_out))
        .route("/api/ws-ticket", post(ws_ticket))
        .route("/signin/{link}", get(link_page).post(use_link))
        .route(
            "/api/dialogues/{id}/people/{person}",
            axum::routing::delete(super::people::remove_person),
        )
        .route(
            "/api/staff",
            post(super::people::invite_staff).get(super::people::list_staff),
        )
        .route(
            "/api/staff/{id}",
            axum::routing::delete(super::people::remove_staff),
        )
}

fn unauthorized() -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, "not signed in")
}

async fn session(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let Some(session) = caller.session else {
        return Err(unauthorized());
    };
    let (staff, invitee) = match &caller.principal {
        Principal::Staff { id, grants } => {
            let name = state
                .registry
                .store()
                .staff(*id)
                .await?
                .map(|s| s.name)
                .unwrap_or_default();
            let staff = StaffWire {
                id: *id,
                name,
                grants: grants.iter().map(GrantWire::from).collect(),
            };
            (Some(staff), None)
        }
        Principal::Invitee { id, dialogue, role } => {
            (None, Some(InviteeWire::new(*id, *dialogue, *role)))
        }
        Principal::Anonymous | Principal::Participant { .. } => return Err(unauthorized()),
    };
    let body = SessionWire {
        staff,
        invitee,
        csrf: session.csrf,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

async fn sign_out(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let Some(session) = caller.session else {
        return Err(unauthorized());
    };
    let store = state.registry.store();
    store.end_session(&session.id_hash).await?;
    let ended = crate::bus::Withdrawal::Session(session.id_hash.clone());
    super::revocation::withdraw(&state, ended).await;
    security::record(
        &state,
        security::Event::SignedOut {
            who: session.principal.id(),
        },
        now_ms(),
    )
    .await;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cleared_cookie(&state))],
    )
        .into_response())
}

/// What one principal is to one dialogue now (Stranger if it does not exist).
pub(crate) async fn standing_in(
    state: &AppState,
    who: &Principal,
    dialogue: uuid::Uuid,
) -> Result<Standing, ApiError> {
    let store = state.registry.store();
    let Some(district) = store.dialogue_district(dialogue).await? else {
        return Ok(Standing::Stranger);
    };
    let Some(handle) = state.registry.get(dialogue).await? else {
        return Ok(Standing::Stranger);
    };
    let facts = handle
        .read(|d| {
            (
                d.moderators.iter().map(|m| m.id).collect::<Vec<_>>(),
                d.panelists.iter().map(|p| p.id).collect::<Vec<_>>(),
                d.closed_at,
            )
        })
        .await
        .ok_or_else(|| {
            ApiError::new(ErrorCode::Unavailable, "the dialogue is restarting; retry")
        })?;
    let grace = state.settings.auth.invitee_grace_secs * 1000;
    Ok(standing(
        who,
        &DialogueFacts {
            id: dialogue,
            district: &district,
            moderators: &facts.0,
            panelists: &facts.1,
            closed_at: facts.2,
        },
        now_ms(),
        grace,
    ))
}

async fn ws_ticket(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<TicketBody>,
) -> Result<Response, ApiError> {
    let now = now_ms();
    super::authorize(&state, &caller, body.dialogue_id, Action::OpenSocket).await?;
    let Some(session) = caller.session else {
        // A participant: the table lets them in, with their token in `hello`.
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "participants open their socket with their token; tickets are for sessions",
        ));
    };
    let secs = state.settings.auth.ticket_secs;
    let ticket = new_secret();
    state
        .registry
        .store()
        .create_ticket(
            &hash(&ticket),
            &session.id_hash,
            body.dialogue_id,
            now + secs * 1000,
        )
        .await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(TicketWire {
            ticket,
            expires_in: secs,
        }),
    )
        .into_response())
}

/// Exchanges a ticket from `hello` for who it signs in and the dialogue it is for.
/// `None` if it is unknown, used, expired, or its session ended.
pub(crate) async fn redeem_ticket(
    state: &AppState,
    ticket: &str,
) -> Result<Option<(Principal, crate::store::SessionRecord, uuid::Uuid)>, ApiError> {
    let store = state.registry.store();
    let Some((session_hash, dialogue)) = store.consume_ticket(&hash(ticket), now_ms()).await?
    else {
        return Ok(None);
    };
    let Some(session) = live_session(state, &session_hash).await? else {
        return Ok(None);
    };
    let principal = principal_of(state, &session).await?;
    Ok(Some((principal, session, dialogue)))
}

/// A link is used by a button, not by opening it: mail scanners that fetch
/// every link must not use it up.
async fn link_page(State(state): State<AppState>, Path(link): Path<String>) -> Response {
    let valid = state
        .registry
        .store()
        .link_valid(&hash(&link), now_ms())
        .await
        .unwrap_or(false);
    if !valid {
        return (StatusCode::NOT_FOUND, Html(page(LINK_GONE))).into_response();
    }
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(page(LINK_BUTTON)),
    )
        .into_response()
}

async fn use_link(State(state): State<AppState>, Path(link): Path<String>) -> Response {
    let store = state.registry.store();
    let now = now_ms();
    let principal = match store.consume_link(&hash(&link), now).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            security::record(
                &state,
                security::Event::SignInRefused {
                    reason: "link_unknown_used_or_expired",
                },
                now,
            )
            .await;
            return (StatusCode::NOT_FOUND, Html(page(LINK_GONE))).into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let target = match &principal {
        SessionPrincipal::Staff(_) => "/organize".to_string(),
        SessionPrincipal::Invitee { dialogue, role, .. } => {
            let page = match role {
                crate::domain::access::InviteeRole::Panelist => "panel",
                crate::domain::access::InviteeRole::Screen => "screen",
                crate::domain::access::InviteeRole::Moderator => "moderate",
            };
            format!("/{page}?dialogue={dialogue}")
        }
    };
    let who = principal.id();
    let (cookie, _) = match start_session(&state, principal, now).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    security::record(&state, security::Event::SignedIn { who, how: "link" }, now).await;
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (
                header::LOCATION,
                target.parse().expect("a path is a header value"),
            ),
        ],
    )
        .into_response()
}

const LINK_BUTTON: &str = r#"<h1>Logga in</h1>
<p>Länken fungerar en gång. <span lang="en">The link works once.</span></p>
<form method="post"><button type="submit">Logga in <span lang="en">(Sign in)</span></button></form>"#;

const LINK_GONE: &str = r#"<h1>Länken fungerar inte</h1>
<p>Den är redan använd, har gått ut eller finns inte. Be om en ny.</p>
<p lang="en">This link was already used, has expired or does not exist. Ask for a new one.</p>"#;

fn page(body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>dialoghub</title></head>
<body><main>{body}</main></body></html>"#
    )
}
