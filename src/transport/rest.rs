//! The REST side: organizers set dialogues up; participants join by code.

use super::{ApiError, AppState};
use crate::domain::access::{DistrictId, DistrictScope, InviteeRole, Principal, StaffRole};
use crate::domain::authorize::Action;
use crate::domain::{Actor, Audience, Command, Location, Moderator, Panelist, Phase};
use crate::hub::DialogueHandle;
use crate::identity::{Caller, authorize, authorize_district};
use crate::protocol::overview::OverviewItem;
use crate::protocol::rest::{
    CreatedDialogue, HealthWire, InfoBody, Invitation, JoinBody, Joined, ModeratorBody,
    OutcomeBody, PanelistBody, PhaseBody, PostBody,
};
use crate::protocol::{ClientMsgId, ErrorCode, PhaseWire, ServerMessage};
use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::time::Instant;
use uuid::Uuid;

/// Axum's JSON extractor with our error body.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(Body(value))
    }
}

/// Every submission carries an idempotency key; over HTTP it is this header.
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<ClientMsgId, ApiError> {
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
    caller: Caller,
    headers: HeaderMap,
    Body(mut body): Body<InfoBody>,
) -> Result<Response, ApiError> {
    let district = district_for_new(&caller, body.district.as_deref())?;
    let actor = authorize_district(&state, &caller, &district, Action::CreateDialogue).await?;
    let organizer = actor.id();
    let key = idempotency_key(&headers)?;
    let (kind, plan) = body.take_walk().map_err(bad_request)?;
    let info = body.into_info().map_err(bad_request)?;
    let now = chrono::Utc::now().timestamp_millis();
    let handle = state
        .registry
        .create(
            organizer,
            district,
            Some(key.as_str().to_string()),
            info,
            now,
        )
        .await?;
    // A walk is planned in the same request, under a key of its own: a retry
    // finds the dialogue made and the plan's saved ack.
    if let Some(plan) = plan {
        handle
            .submit_and_wait(actor, key.scoped("walk"), Command::PlanWalk(plan))
            .await?;
    }
    let created = CreatedDialogue {
        id: handle.id,
        join_url: format!("{}/j/{}", public_url(&state), handle.code),
        code: handle.code,
        kind,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// The district a new dialogue goes to: the one named, or the caller's only one.
fn district_for_new(caller: &Caller, named: Option<&str>) -> Result<DistrictId, ApiError> {
    if let Some(named) = named {
        return DistrictId::parse(named).map_err(bad_request);
    }
    let Principal::Staff { grants, .. } = &caller.principal else {
        // The table refuses; any district will do to ask it.
        return Ok(DistrictId::default_district());
    };
    let mut theirs = grants.iter().filter_map(|g| match &g.district {
        DistrictScope::One(d) if g.role != StaffRole::Moderator => Some(d.clone()),
        _ => None,
    });
    let everywhere = grants.iter().any(|g| g.district == DistrictScope::All);
    match (theirs.next(), theirs.next(), everywhere) {
        (Some(only), None, false) => Ok(only),
        // A municipality admin of a municipality without districts.
        (None, None, true) => Ok(DistrictId::default_district()),
        _ => Err(ApiError::new(
            ErrorCode::BadRequest,
            "name the dialogue's district (\"district\")",
        )),
    }
}

/// The dialogues whose staff view the caller may see, newest first.
async fn visible_dialogues(state: &AppState, caller: &Caller) -> Result<Vec<Uuid>, ApiError> {
    let grants = match &caller.principal {
        Principal::Staff { grants, .. } => grants,
        // Someone invited to one dialogue: that one, if the table lets them list.
        Principal::Invitee { dialogue, .. } => {
            authorize(state, caller, *dialogue, Action::ListDialogues).await?;
            return Ok(vec![*dialogue]);
        }
        Principal::Anonymous | Principal::Participant { .. } => {
            authorize_district(
                state,
                caller,
                &DistrictId::default_district(),
                Action::ListDialogues,
            )
            .await?;
            return Ok(Vec::new());
        }
    };
    let scopes: Vec<DistrictScope> = grants.iter().map(|g| g.district.clone()).collect();
    let mut out = Vec::new();
    for id in state.registry.store().dialogues_in(&scopes).await? {
        let standing = crate::identity::standing_in(state, &caller.principal, id).await?;
        if crate::domain::authorize::may(standing, Action::ViewStaff) {
            out.push(id);
        }
    }
    Ok(out)
}

pub async fn list_dialogues(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let mut out = Vec::new();
    for id in visible_dialogues(&state, &caller).await? {
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
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    authorize(&state, &caller, id, Action::ViewStaff).await?;
    // Every pending question, unlike a socket's snapshot (protocol 6.4).
    let frame = dialogue(&state, id)
        .await?
        .read(|d| {
            crate::protocol::encode(&crate::protocol::ServerMessage::Snapshot(
                crate::protocol::snapshot_whole(d, Audience::Staff),
            ))
        })
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
    // Encoded here, from the shared copy: not in the dialogue's task.
    let dialogue = handle.published().await.ok_or_else(stopped)?;
    if dialogue.phase == crate::domain::Phase::Draft {
        return Err(super::join_code::missed(&state, peer.ip()));
    }
    let snapshot = crate::protocol::snapshot(&dialogue, Audience::Public);
    Ok(json_frame(crate::protocol::encode(
        &ServerMessage::Snapshot(snapshot),
    )))
}

/// Submits an organizer's command. The key is kept apart per endpoint, so the same
/// key sent to two endpoints makes two submissions, never one's ack for the other.
pub(super) async fn organizer_command(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    id: Uuid,
    (endpoint, action): (&str, Action<'_>),
    command: impl FnOnce(&ClientMsgId, Actor) -> Command,
) -> Result<crate::protocol::AckWire, ApiError> {
    let actor = authorize(state, caller, id, action).await?;
    let key = idempotency_key(headers)?;
    let command = command(&key, actor);
    let scoped = key.scoped(endpoint);
    let mut ack = dialogue(state, id)
        .await?
        .submit_and_wait(actor, scoped, command)
        .await?;
    ack.client_msg_id = key.as_str().to_string();
    Ok(ack)
}

pub async fn set_info(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Body(body): Body<InfoBody>,
) -> Result<Response, ApiError> {
    if body.kind.is_some() || body.walk.is_some() {
        return Err(bad_request(
            "kind and walk are set at creation; a walk is planned again with plan_walk".into(),
        ));
    }
    let info = body.into_info().map_err(bad_request)?;
    let ack = organizer_command(
        &state,
        &caller,
        &headers,
        id,
        ("info", Action::SetInfo),
        |_, _| Command::SetInfo(info),
    )
    .await?;
    Ok(Json(ack).into_response())
}

pub async fn set_phase(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Body(body): Body<PhaseBody>,
) -> Result<Response, ApiError> {
    let (to, expected): (Phase, Phase) = (body.phase.into(), body.expected.into());
    let ack = organizer_command(
        &state,
        &caller,
        &headers,
        id,
        ("phase", Action::SetPhase),
        |_, _| Command::SetPhase { to, expected },
    )
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

/// A single-use invitation link for someone invited to one dialogue.
pub(super) async fn invitation(
    state: &AppState,
    by: Uuid,
    role: InviteeRole,
    id: Uuid,
    dialogue: Uuid,
) -> Result<Invitation, ApiError> {
    let path = crate::identity::invite(state, id, dialogue, role).await?;
    crate::identity::security::record(
        state,
        crate::identity::security::Event::Invited {
            by,
            whom: id,
            dialogue: Some(dialogue),
            role: role.as_str(),
        },
        chrono::Utc::now().timestamp_millis(),
    )
    .await;
    Ok(Invitation {
        id,
        invite_url: format!("{}{path}", public_url(state)),
    })
}

pub async fn add_panelist(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Body(body): Body<PanelistBody>,
) -> Result<Response, ApiError> {
    let name = check_name(&body.name)?;
    let mut panelist_id = Uuid::nil();
    let ack = organizer_command(
        &state,
        &caller,
        &headers,
        id,
        ("panelists", Action::Invite),
        |key, by| {
            panelist_id = invited_id(id, by.id(), &key.scoped("panelists"));
            Command::AddPanelist(Panelist {
                id: panelist_id,
                name,
                title: body.title.trim().chars().take(200).collect(),
                organisation: body.organisation.trim().chars().take(200).collect(),
                kind: body.kind.into(),
            })
        },
    )
    .await?;
    let by = caller.principal.id();
    let _ = ack;
    Ok((
        StatusCode::CREATED,
        Json(invitation(&state, by, InviteeRole::Panelist, panelist_id, id).await?),
    )
        .into_response())
}

/// A moderator: a staff member named by `staff_id` (who signs in as usual), or
/// someone from outside the staff invited by a single-use link.
pub async fn add_moderator(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Body(body): Body<ModeratorBody>,
) -> Result<Response, ApiError> {
    let staff = match body.staff_id {
        Some(staff_id) => Some(
            state
                .registry
                .store()
                .staff(staff_id)
                .await?
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such staff member"))?,
        ),
        None => None,
    };
    let name = match &staff {
        Some(s) => s.name.clone(),
        None => check_name(&body.name)?,
    };
    let mut moderator_id = Uuid::nil();
    let staff_id = staff.as_ref().map(|s| s.id);
    organizer_command(
        &state,
        &caller,
        &headers,
        id,
        ("moderators", Action::Invite),
        |key, by| {
            moderator_id =
                staff_id.unwrap_or_else(|| invited_id(id, by.id(), &key.scoped("moderators")));
            Command::AddModerator(Moderator {
                id: moderator_id,
                name,
            })
        },
    )
    .await?;
    let invite = match staff_id {
        // Staff sign in as usual: the link is the page, not a credential.
        Some(_) => Invitation {
            id: moderator_id,
            invite_url: format!("{}/moderate?dialogue={id}", public_url(&state)),
        },
        None => {
            let by = caller.principal.id();
            invitation(&state, by, InviteeRole::Moderator, moderator_id, id).await?
        }
    };
    Ok((StatusCode::CREATED, Json(invite)).into_response())
}

/// A venue screen: a single-use link that signs the screen's browser in,
/// read-only, for this dialogue. Each link is a screen of its own.
pub async fn screen_invite(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let by = authorize(&state, &caller, id, Action::Invite).await?.id();
    let screen = Uuid::new_v4();
    Ok((
        StatusCode::CREATED,
        Json(invitation(&state, by, InviteeRole::Screen, screen, id).await?),
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
        super::join_code::refused_join(&state, "joins_per_ip_per_minute").await;
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many joins from this address; wait a minute",
        ));
    }
    let handle = super::join_code::find(&state, peer.ip(), &body.code).await?;
    let participant = Uuid::new_v4();
    let days = state.settings.auth.participant_token_days;
    let burst = state.limits.burst_join(peer.ip(), Instant::now());
    let token =
        state
            .tokens
            .issue_participant(participant, handle.id, chrono::Duration::days(days), burst);
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
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Body(body): Body<PostBody>,
) -> Result<Response, ApiError> {
    use crate::protocol::client_text as t;
    let bad = |m: String| ApiError::new(ErrorCode::BadRequest, m);
    let text = t::plain_text(&body.text, t::POST_MAX_CHARS, "text").map_err(bad)?;
    let source = t::plain_text(&body.source, t::SOURCE_MAX_CHARS, "source").map_err(bad)?;
    let link = t::link(body.link.as_deref()).map_err(bad)?;
    let data = body
        .data
        .as_ref()
        .map(t::post_data)
        .transpose()
        .map_err(|(code, message)| ApiError::new(code, message))?;
    let ack = organizer_command(
        &state,
        &caller,
        &headers,
        id,
        ("posts", Action::PostInfo),
        |_, _| Command::Post {
            post: body.post_id.map(crate::domain::PostId),
            text,
            source,
            link,
            data,
        },
    )
    .await?;
    Ok(Json(ack).into_response())
}

/// The organizer records what came of a promised follow-up.
pub async fn record_outcome(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, question)): Path<(Uuid, u64)>,
    Body(body): Body<OutcomeBody>,
) -> Result<Response, ApiError> {
    use crate::protocol::client_text as t;
    let outcome = t::plain_text(&body.outcome, t::OUTCOME_MAX_CHARS, "outcome")
        .map_err(|m| ApiError::new(ErrorCode::BadRequest, m))?;
    let ack = organizer_command(
        &state,
        &caller,
        &headers,
        id,
        ("outcome", Action::RecordOutcome),
        |_, _| Command::RecordOutcome {
            question: crate::domain::QuestionId(question),
            outcome,
        },
    )
    .await?;
    Ok(Json(ack).into_response())
}

/// The organizer's dialogues, soonest first, with what needs attention.
pub async fn overview(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    // The read side's clock, which a test scripts to pass a due date.
    let now = state.clock.now_ms();
    let lead_days = state.settings.meetings.invitation_lead_days;
    let today = crate::district::today(now, super::pages::lang::zone(&state));
    let mut items = Vec::new();
    for id in visible_dialogues(&state, &caller).await? {
        if let Some(item) = dialogue(&state, id)
            .await?
            .read(move |d| OverviewItem::new(d, now, today, lead_days))
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
