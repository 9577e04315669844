//! The REST side: organizers set dialogues up; participants join by code.

use super::{ApiError, AppState};
use crate::auth::Claims;
use crate::domain::{
    Actor, Audience, Command, DialogueInfo, Location, Moderator, PanelKind, Panelist, Phase, Role,
};
use crate::hub::DialogueHandle;
use crate::protocol::{ClientMsgId, ErrorCode, LocationWire, PanelKindWire, PhaseWire};
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
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

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.registry.store().ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(_) => ApiError::new(ErrorCode::Unavailable, "storage is unavailable").into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoBody {
    title: String,
    #[serde(default)]
    description: String,
    /// What participants can and cannot influence; required before the dialogue opens.
    #[serde(default)]
    purpose: String,
    /// RFC 3339, e.g. "2026-12-03T18:00:00+01:00".
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(default)]
    venue: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    livestream_url: String,
    #[serde(default)]
    expected_kinds: Vec<PanelKindWire>,
    #[serde(default)]
    unreached_plan: String,
}

fn rfc3339(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    match value {
        None | Some("") => Ok(None),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.timestamp_millis()))
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::BadRequest,
                    format!("{field} must be an RFC 3339 time"),
                )
            }),
    }
}

impl InfoBody {
    fn parse(self) -> Result<DialogueInfo, ApiError> {
        let bad = |m: &str| ApiError::new(ErrorCode::BadRequest, m);
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(bad("title must be 1 to 200 characters"));
        }
        let long = |s: &str, max: usize| s.chars().count() > max;
        if long(&self.description, 5000)
            || long(&self.purpose, 2000)
            || long(&self.unreached_plan, 1000)
            || long(&self.venue, 300)
            || long(&self.address, 300)
        {
            return Err(bad(
                "description, purpose, unreached_plan, venue or address too long",
            ));
        }
        let url = self.livestream_url.trim().to_string();
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return Err(bad("livestream_url must be an http(s) URL"));
        }
        let starts_at = rfc3339("starts_at", self.starts_at.as_deref())?;
        let ends_at = rfc3339("ends_at", self.ends_at.as_deref())?;
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            return Err(bad("ends_at must be after starts_at"));
        }
        let mut expected_kinds: Vec<PanelKind> =
            self.expected_kinds.into_iter().map(Into::into).collect();
        expected_kinds.sort_by_key(|k| *k as u8);
        expected_kinds.dedup();
        Ok(DialogueInfo {
            title,
            description: self.description.trim().to_string(),
            purpose: self.purpose.trim().to_string(),
            starts_at,
            ends_at,
            venue: self.venue.trim().to_string(),
            address: self.address.trim().to_string(),
            livestream_url: url,
            expected_kinds,
            unreached_plan: self.unreached_plan.trim().to_string(),
        })
    }
}

#[derive(Serialize)]
struct CreatedDialogue {
    id: Uuid,
    code: String,
    join_url: String,
}

pub async fn create_dialogue(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    headers: HeaderMap,
    Body(body): Body<InfoBody>,
) -> Result<Response, ApiError> {
    let organizer = require_organizer(&claims)?;
    let key = idempotency_key(&headers)?;
    let info = body.parse()?;
    let now = chrono::Utc::now().timestamp_millis();
    let handle = state
        .registry
        .create(organizer, Some(key.as_str().to_string()), info, now)
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
    let info = body.parse()?;
    let ack = organizer_command(&state, &claims, &headers, id, "info", |_| {
        Command::SetInfo(info)
    })
    .await?;
    Ok(Json(ack).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseBody {
    phase: PhaseWire,
    expected: PhaseWire,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelistBody {
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    organisation: String,
    kind: PanelKindWire,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeratorBody {
    name: String,
}

#[derive(Serialize)]
pub(super) struct Invitation {
    id: Uuid,
    token: String,
    pub invite_url: String,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    code: String,
    location: Option<LocationWire>,
}

#[derive(Serialize)]
struct Joined {
    dialogue_id: Uuid,
    participant_id: Uuid,
    token: String,
    location: LocationWire,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    /// Absent for a new post; the post to edit otherwise.
    post_id: Option<u64>,
    text: String,
    source: String,
    link: Option<String>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    outcome: String,
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

/// Something the organizer should act on before (or after) a meeting.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Warning {
    /// Published fewer than `required_days` before the start (or not published yet and too close).
    LateInvitation {
        days_before: Option<i64>,
        required_days: i64,
        published: bool,
    },
    /// A panel kind the organizer expected has nobody on the panel.
    MissingPanelKind {
        panel_kind: PanelKindWire,
    },
    InvitationNotOpened {
        panelist_id: Uuid,
        name: String,
    },
}

#[derive(Serialize)]
struct Overdue {
    question_id: u64,
    owner: String,
    due: chrono::NaiveDate,
}

#[derive(Serialize)]
struct OverviewItem {
    id: Uuid,
    code: String,
    title: String,
    phase: PhaseWire,
    starts_at: Option<i64>,
    published_at: Option<i64>,
    warnings: Vec<Warning>,
    overdue_follow_ups: Vec<Overdue>,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

fn overview_item(d: &crate::domain::Dialogue, now: i64, lead_days: i64) -> OverviewItem {
    let mut warnings = Vec::new();
    if d.phase != Phase::Closed {
        if let Some(start) = d.info.starts_at {
            let late = match d.published_at {
                Some(published) => start - published < lead_days * DAY_MS,
                None => start - now < lead_days * DAY_MS,
            };
            if late {
                warnings.push(Warning::LateInvitation {
                    days_before: d.published_at.map(|p| (start - p).div_euclid(DAY_MS)),
                    required_days: lead_days,
                    published: d.published_at.is_some(),
                });
            }
        }
        for kind in &d.info.expected_kinds {
            if !d.panelists.iter().any(|p| p.kind == *kind) {
                warnings.push(Warning::MissingPanelKind {
                    panel_kind: (*kind).into(),
                });
            }
        }
        for p in &d.panelists {
            if !d.opened.contains(&p.id) {
                warnings.push(Warning::InvitationNotOpened {
                    panelist_id: p.id,
                    name: p.name.clone(),
                });
            }
        }
    }
    let today = chrono::DateTime::from_timestamp_millis(now)
        .unwrap_or_default()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    let overdue_follow_ups = d
        .questions
        .values()
        .filter_map(|q| {
            let f = q.follow_up.as_ref()?;
            (f.outcome.is_none() && f.due < today).then(|| Overdue {
                question_id: q.id.0,
                owner: f.owner.clone(),
                due: f.due,
            })
        })
        .collect();
    OverviewItem {
        id: d.id,
        code: d.code.clone(),
        title: d.info.title.clone(),
        phase: d.phase.into(),
        starts_at: d.info.starts_at,
        published_at: d.published_at,
        warnings,
        overdue_follow_ups,
    }
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
            .read(move |d| overview_item(d, now, lead_days))
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
