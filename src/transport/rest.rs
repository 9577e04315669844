//! The REST side: organizers set dialogues up; participants join by code.

use super::{ApiError, AppState};
use crate::auth::Claims;
use crate::domain::{Actor, Audience, Command, Location, Moderator, Panelist, Phase, Role};
use crate::hub::DialogueHandle;
use crate::protocol::overview::OverviewItem;
use crate::protocol::rest::{
    CreatedDialogue, HealthWire, InfoBody, Invitation, JoinBody, Joined, ModeratorBody,
    OutcomeBody, PanelistBody, PhaseBody, PostBody,
};
use crate::protocol::{ClientMsgId, ErrorCode, PhaseWire};
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::time::Instant;
use uuid::Uuid;

/// `Authorization: Bearer <token>`, verified.
pub struct Bearer(pub Claims);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        state
            .tokens
            .verify(token.trim())
            .map(Bearer)
            .map_err(|e| ApiError::new(ErrorCode::Unauthorized, e.to_string()))
    }
}

/// Axum's JSON extractor with our error body.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(Body(value))
    }
}

pub(super) fn require_organizer(claims: &Claims) -> Result<Uuid, ApiError> {
    match claims.actor() {
        Actor::Organizer(id) => Ok(id),
        _ => Err(ApiError::new(
            ErrorCode::Forbidden,
            "only an organizer may do this",
        )),
    }
}

/// Every submission carries an idempotency key; over HTTP it is this header.
fn idempotency_key(headers: &HeaderMap) -> Result<ClientMsgId, ApiError> {
    let raw = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::BadRequest,
                "the Idempotency-Key header is required",
            )
        })?;
    ClientMsgId::try_from(raw.to_string()).map_err(|e| ApiError::new(ErrorCode::BadRequest, e))
}

async fn dialogue(state: &AppState, id: Uuid) -> Result<DialogueHandle, ApiError> {
    state
        .registry
        .get(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such dialogue"))
}

fn json_frame(frame: crate::protocol::Frame) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        frame.as_str().to_owned(),
    )
        .into_response()
}

pub async fn healthz() -> Json<HealthWire> {
    Json(HealthWire { status: "ok" })
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.registry.store().ping().await {
        Ok(()) => Json(HealthWire { status: "ready" }).into_response(),
        Err(_) => ApiError::new(ErrorCode::Unavailable, "storage is unavailable").into_response(),
    }
}

pub async fn create_dialogue(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    headers: HeaderMap,
    Body(body): Body<InfoBody>,
) -> Result<Response, ApiError> {
    let organizer = require_organizer(&claims)?;
    let key = idempotency_key(&headers)?;
    let info = body.into_info().map_err(bad_request)?;
    let now = chrono::Utc::now().timestamp_millis();
    let handle = state
        .registry
        .create(
            organizer,
            crate::domain::access::DistrictId::default_district(),
            Some(key.as_str().to_string()),
            info,
            now,
        )
        .await?;
    let created = CreatedDialogue {
        id: handle.id,
        join_url: format!("{}/j/{}", public_url(&state), handle.code),
        code: handle.code,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

pub async fn list_dialogues(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    let organizer = require_organizer(&claims)?;
    let mut out = Vec::new();
    for id in state.registry.store().list_dialogues(organizer).await? {
        let described = dialogue(&state, id)
            .await?
            .read(|d| {
                serde_json::to_value(crate::protocol::DialogueWire::new(d, Audience::Staff))
                    .expect("a dialogue serializes")
            })
            .await;
        out.extend(described);
    }
    Ok(Json(out).into_response())
}

/// The staff view: organizers, and moderators of this dialogue.
pub async fn staff_view(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let allowed = match claims.actor() {
        Actor::Organizer(_) => true,
        Actor::Moderator(_) => claims.dlg == Some(id),
        _ => false,
    };
    if !allowed {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only staff may see this",
        ));
    }
    let frame = dialogue(&state, id)
        .await?
        .view(Audience::Staff)
        .await
        .ok_or_else(stopped)?;
    Ok(json_frame(frame))
}

fn bad_request(message: String) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, message)
}

fn stopped() -> ApiError {
    ApiError::new(ErrorCode::Unavailable, "the dialogue is restarting; retry")
}

/// What anyone with the join code may see: the public snapshot.
pub async fn public_view(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let handle = super::join_code::find(&state, peer.ip(), &code).await?;
    let frame = handle.view(Audience::Public).await.ok_or_else(stopped)?;
    let snapshot: serde_json::Value = serde_json::from_str(frame.as_str()).unwrap_or_default();
    if snapshot["dialogue"]["phase"] == "draft" {
        return Err(super::join_code::missed(&state, peer.ip()));
    }
    Ok(json_frame(frame))
}

/// Submits an organizer's command. The key is kept apart per endpoint, so the same
/// key sent to two endpoints makes two submissions, never one's ack for the other.
pub(super) async fn organizer_command(
    state: &AppState,
    claims: &Claims,
    headers: &HeaderMap,
    id: Uuid,
    endpoint: &str,
    command: impl FnOnce(&ClientMsgId) -> Command,
) -> Result<crate::protocol::AckWire, ApiError> {
    let organizer = require_organizer(claims)?;
    let key = idempotency_key(headers)?;
    let command = command(&key);
    let scoped = key.scoped(endpoint);
    let mut ack = dialogue(state, id)
        .await?
        .submit_and_wait(Actor::Organizer(organizer), scoped, command)
        .await?;
    ack.client_msg_id = key.as_str().to_string();
    Ok(ack)
}

pub async fn set_info(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Body(body): Body<InfoBody>,
) -> Result<Response, ApiError> {
    let info = body.into_info().map_err(bad_request)?;
    let ack = organizer_command(&state, &claims, &headers, id, "info", |_| {
        Command::SetInfo(info)
    })
    .await?;
    Ok(Json(ack).into_response())
}

pub async fn set_phase(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Body(body): Body<PhaseBody>,
) -> Result<Response, ApiError> {
    let (to, expected): (Phase, Phase) = (body.phase.into(), body.expected.into());
    let ack = organizer_command(&state, &claims, &headers, id, "phase", |_| {
        Command::SetPhase { to, expected }
    })
    .await?;
    Ok(Json(ack).into_response())
}

/// A retried request must name the same person: their id derives from the key.
fn invited_id(dialogue: Uuid, organizer: Uuid, key: &ClientMsgId) -> Uuid {
    Uuid::new_v5(
        &dialogue,
        format!("{organizer}/{}", key.as_str()).as_bytes(),
    )
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "name must be 1 to 120 characters",
        ));
    }
    Ok(name.to_string())
}

pub(super) fn invitation(
    state: &AppState,
    role: Role,
    id: Uuid,
    dialogue: Uuid,
    page: &str,
) -> Invitation {
    let days = state.settings.auth.invite_token_days;
    let token = state
        .tokens
        .issue(role, id, Some(dialogue), chrono::Duration::days(days));
    // The token rides in the fragment, which browsers never send to a server or its logs.
    let invite_url = format!("{}/{page}#token={token}", public_url(state));
    Invitation {
        id,
        token,
        invite_url,
    }
}

pub async fn add_panelist(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Body(body): Body<PanelistBody>,
) -> Result<Response, ApiError> {
    let organizer = require_organizer(&claims)?;
    let name = check_name(&body.name)?;
    let mut panelist_id = Uuid::nil();
    organizer_command(&state, &claims, &headers, id, "panelists", |key| {
        panelist_id = invited_id(id, organizer, &key.scoped("panelists"));
        Command::AddPanelist(Panelist {
            id: panelist_id,
            name,
            title: body.title.trim().chars().take(200).collect(),
            organisation: body.organisation.trim().chars().take(200).collect(),
            kind: body.kind.into(),
        })
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(invitation(&state, Role::Panelist, panelist_id, id, "panel")),
    )
        .into_response())
}

pub async fn add_moderator(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Body(body): Body<ModeratorBody>,
) -> Result<Response, ApiError> {
    let organizer = require_organizer(&claims)?;
    let name = check_name(&body.name)?;
    let mut moderator_id = Uuid::nil();
    organizer_command(&state, &claims, &headers, id, "moderators", |key| {
        moderator_id = invited_id(id, organizer, &key.scoped("moderators"));
        Command::AddModerator(Moderator {
            id: moderator_id,
            name,
        })
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(invitation(
            &state,
            Role::Moderator,
            moderator_id,
            id,
            "moderate",
        )),
    )
        .into_response())
}

/// A read-only token for the venue screen.
pub async fn screen_invite(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let organizer = require_organizer(&claims)?;
    dialogue(&state, id).await?;
    // One screen identity per dialogue and organizer: asking again gives the same screen.
    let screen = Uuid::new_v5(&id, format!("{organizer}/screen").as_bytes());
    Ok((
        StatusCode::CREATED,
        Json(invitation(&state, Role::Screen, screen, id, "screen")),
    )
        .into_response())
}

/// Join by code, no account: a fresh anonymous identity the browser keeps.
pub async fn join(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(body): Body<JoinBody>,
) -> Result<Response, ApiError> {
    if !state.limits.allow_join(peer.ip(), Instant::now()) {
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many joins from this address; wait a minute",
        ));
    }
    let handle = super::join_code::find(&state, peer.ip(), &body.code).await?;
    let participant = Uuid::new_v4();
    let days = state.settings.auth.participant_token_days;
    let token = state.tokens.issue(
        Role::Participant,
        participant,
        Some(handle.id),
        chrono::Duration::days(days),
    );
    let location: Location = body.location.map(Into::into).unwrap_or_default();
    crate::telemetry::joined();
    Ok(Json(Joined {
        dialogue_id: handle.id,
        participant_id: participant,
        token,
        location: location.into(),
    })
    .into_response())
}

pub(super) fn public_url(state: &AppState) -> &str {
    state.settings.server.public_url.trim_end_matches('/')
}

/// An information post by the organizer (panelists post over the WebSocket).
pub async fn post_info(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Body(body): Body<PostBody>,
) -> Result<Response, ApiError> {
    use crate::protocol::client_text as t;
    let bad = |m: String| ApiError::new(ErrorCode::BadRequest, m);
    let text = t::plain_text(&body.text, t::POST_MAX_CHARS, "text").map_err(bad)?;
    let source = t::plain_text(&body.source, t::SOURCE_MAX_CHARS, "source").map_err(bad)?;
    let link = t::link(body.link.as_deref()).map_err(bad)?;
    let ack = organizer_command(&state, &claims, &headers, id, "posts", |_| Command::Post {
        post: body.post_id.map(crate::domain::PostId),
        text,
        source,
        link,
    })
    .await?;
    Ok(Json(ack).into_response())
}

/// The organizer records what came of a promised follow-up.
pub async fn record_outcome(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    headers: HeaderMap,
    Path((id, question)): Path<(Uuid, u64)>,
    Body(body): Body<OutcomeBody>,
) -> Result<Response, ApiError> {
    use crate::protocol::client_text as t;
    let outcome = t::plain_text(&body.outcome, t::OUTCOME_MAX_CHARS, "outcome")
        .map_err(|m| ApiError::new(ErrorCode::BadRequest, m))?;
    let ack = organizer_command(&state, &claims, &headers, id, "outcome", |_| {
        Command::RecordOutcome {
            question: crate::domain::QuestionId(question),
            outcome,
        }
    })
    .await?;
    Ok(Json(ack).into_response())
}

/// The organizer's dialogues, soonest first, with what needs attention.
pub async fn overview(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    let organizer = require_organizer(&claims)?;
    let now = chrono::Utc::now().timestamp_millis();
    let lead_days = state.settings.meetings.invitation_lead_days;
    let mut items = Vec::new();
    for id in state.registry.store().list_dialogues(organizer).await? {
        if let Some(item) = dialogue(&state, id)
            .await?
            .read(move |d| OverviewItem::new(d, now, lead_days))
            .await
        {
            items.push(item);
        }
    }
    items.sort_by_key(|i| {
        (
            i.phase == PhaseWire::Closed,
            i.starts_at.unwrap_or(i64::MAX),
        )
    });
    Ok(Json(items).into_response())
}
