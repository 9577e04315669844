//! A walk's photos over HTTP. A participant uploads the raw image (its
//! `Content-Type` an image type) and gets the id an observation names; the bytes
//! are read under a size cap and a deadline, and cleaned (decoded and encoded
//! anew, `crate::photo`) before anything is kept. Staff see a photo privately,
//! preview a blur, and approve (the blurred copy is published, the original
//! deleted) or reject (deleted). The public reads only published copies.

use super::rest::{Body, idempotency_key};
use super::{ApiError, AppState};
use crate::domain::authorize::Action;
use crate::domain::walk::PhotoId;
use crate::domain::{Actor, Command};
use crate::identity::{Caller, authorize, permit};
use crate::photo::{self, PhotoError, PhotoLimits};
use crate::protocol::photo_wire::{BlurBody, PhotoDecided, PhotoRefusal, PhotoUploaded};
use crate::protocol::{ClientMsgId, ErrorCode};
use crate::store::{NewPhoto, PhotoStatus};
use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::time::Duration;
use uuid::Uuid;

/// The image types an upload may name; what the bytes are is decided by reading them.
const IMAGE_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// The upload, outside the 64 KiB cap of the other endpoints: the handler
/// caps what it reads itself (`PhotoLimits::max_bytes`), under its own deadline,
/// so a refusal is the photo's JSON answer.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/api/dialogues/{id}/photos", post(upload))
}

/// Staff's photo endpoints and the public's published copies (small bodies).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/dialogues/{id}/photos/{photo}", get(private_photo))
        .route("/api/dialogues/{id}/photos/{photo}/preview", post(preview))
        .route("/api/dialogues/{id}/photos/{photo}/approve", post(approve))
        .route("/api/dialogues/{id}/photos/{photo}/reject", post(reject))
        .route("/d/{code}/photos/{file}", get(public_photo))
}

fn refused(e: &PhotoError) -> Response {
    let status = StatusCode::from_u16(PhotoRefusal::status(e)).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(PhotoRefusal::new(e))).into_response()
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such photo")
}

fn jpeg(bytes: Vec<u8>, cache: &'static str) -> Response {
    let mut r = ([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    r
}

/// Private bytes: never kept by a cache, a browser's included.
const PRIVATE: &str = "private, no-store";

/// Whether the dialogue is a walk (only walks take photos).
async fn walk_dialogue(state: &AppState, id: Uuid) -> Result<(), ApiError> {
    let handle = state
        .registry
        .get(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such dialogue"))?;
    match handle.read(|d| d.walk.is_some()).await {
        Some(true) => Ok(()),
        Some(false) => Err(ApiError::new(
            ErrorCode::BadRequest,
            "this dialogue is not a walk; only walks take photos",
        )),
        None => Err(ApiError::new(
            ErrorCode::Unavailable,
            "the dialogue is restarting; retry",
        )),
    }
}

/// `POST /api/dialogues/{id}/photos`: the body is the image itself.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let Actor::Participant(participant) =
        authorize(&state, &caller, id, Action::UploadPhoto).await?
    else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "photos come from participants",
        ));
    };
    let key = idempotency_key(&headers)?;
    walk_dialogue(&state, id).await?;
    let limits = PhotoLimits::default();
    let named = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !IMAGE_TYPES.contains(&named.as_str()) {
        return Ok(refused(&PhotoError::NotAnImage));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(bytes) = declared.filter(|b| *b > limits.max_bytes) {
        return Ok(refused(&PhotoError::TooLarge {
            bytes,
            max: limits.max_bytes,
        }));
    }
    // The whole body under one deadline, and never more than the cap in memory.
    let deadline = Duration::from_secs(state.settings.limits.request_body_timeout_secs);
    let bytes =
        match tokio::time::timeout(deadline, axum::body::to_bytes(body, limits.max_bytes)).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => {
                return Ok(refused(&PhotoError::TooLarge {
                    bytes: limits.max_bytes + 1,
                    max: limits.max_bytes,
                }));
            }
            Err(_) => {
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    "the photo did not arrive in time",
                ));
            }
        };
    // Decoding is work for a CPU, not for the tasks serving sockets.
    let cleaned = tokio::task::spawn_blocking(move || photo::clean(&bytes, &limits))
        .await
        .map_err(|_| ApiError::new(ErrorCode::Unavailable, "the photo could not be read; retry"))?;
    let cleaned = match cleaned {
        Ok(c) => c,
        Err(e) => return Ok(refused(&e)),
    };
    let kept = state
        .registry
        .store()
        .put_photo(&NewPhoto {
            dialogue: id,
            id: cleaned.id.as_str().to_string(),
            uploaded_by: participant,
            idempotency_key: key.as_str().to_string(),
            jpeg: cleaned.jpeg,
            width: cleaned.width,
            height: cleaned.height,
            at: chrono::Utc::now().timestamp_millis(),
        })
        .await?;
    tracing::info!(dialogue = %id, "photo kept");
    let answer = PhotoUploaded {
        photo_id: kept,
        width: cleaned.width,
        height: cleaned.height,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// The original of a private photo (staff), or its published copy.
async fn stored(
    state: &AppState,
    id: Uuid,
    photo: &str,
) -> Result<crate::store::PhotoRecord, ApiError> {
    state
        .registry
        .store()
        .photo(id, photo)
        .await?
        .ok_or_else(not_found)
}

/// `GET /api/dialogues/{id}/photos/{photo}` (staff): the photo as uploaded
/// (cleaned) while private; the published copy after approval.
pub async fn private_photo(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, photo)): Path<(Uuid, String)>,
) -> Result<Response, ApiError> {
    authorize(&state, &caller, id, Action::ViewPhoto).await?;
    let record = stored(&state, id, &photo).await?;
    let bytes = match (record.status, record.original, record.published_id) {
        (PhotoStatus::Private, Some(original), _) => original,
        (PhotoStatus::Published, _, Some(copy)) => state
            .registry
            .store()
            .published_photo(id, &copy)
            .await?
            .ok_or_else(not_found)?,
        _ => return Err(not_found()),
    };
    Ok(jpeg(bytes, PRIVATE))
}

/// The private original, blurred where asked, in a blocking task.
async fn blurred(
    original: Vec<u8>,
    body: BlurBody,
) -> Result<Result<photo::CleanPhoto, PhotoError>, ApiError> {
    let regions: Vec<photo::Region> = body.regions.into_iter().map(Into::into).collect();
    tokio::task::spawn_blocking(move || photo::blur(&original, &regions, &PhotoLimits::default()))
        .await
        .map_err(|_| ApiError::new(ErrorCode::Unavailable, "the photo could not be read; retry"))
}

fn private_original(record: crate::store::PhotoRecord) -> Result<Vec<u8>, ApiError> {
    match (record.status, record.original) {
        (PhotoStatus::Private, Some(original)) => Ok(original),
        _ => Err(ApiError::new(
            ErrorCode::Conflict,
            "the photo is published already",
        )),
    }
}

/// `POST …/photos/{photo}/preview` (staff): the photo with the rectangles
/// blurred, as it would be published; nothing is kept.
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, photo)): Path<(Uuid, String)>,
    Body(body): Body<BlurBody>,
) -> Result<Response, ApiError> {
    authorize(&state, &caller, id, Action::ViewPhoto).await?;
    let original = private_original(stored(&state, id, &photo).await?)?;
    Ok(match blurred(original, body).await? {
        Ok(copy) => jpeg(copy.jpeg, PRIVATE),
        Err(e) => refused(&e),
    })
}

/// `POST …/photos/{photo}/approve` (staff): publishes the photo, blurred where
/// asked, and deletes the original, in two steps: the copy is stored (and the
/// original removed, in one statement), then the dialogue commits
/// `photo_published` to its log, and only then is the answer sent. A process
/// that stops between the two leaves the copy stored and the log silent: nobody
/// is told of the photo, the moderator's tool still offers it, and the approval
/// sent again finds the stored copy and commits the event. Sent again after
/// both, it answers the same.
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, photo)): Path<(Uuid, String)>,
    Body(body): Body<BlurBody>,
) -> Result<Response, ApiError> {
    let actor = authorize(&state, &caller, id, Action::ModeratePhoto).await?;
    let uploaded = PhotoId::parse(&photo).ok_or_else(not_found)?;
    let handle = state
        .registry
        .get(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such dialogue"))?;
    // Checked before anything is stored: the log takes only a photo an
    // observation names, and a copy it will not take must not be public.
    let wanted = uploaded.clone();
    let named = handle
        .read(move |d| {
            d.walk.as_ref().is_some_and(|w| {
                w.observations
                    .values()
                    .any(|o| o.photo.as_ref() == Some(&wanted))
            })
        })
        .await
        .ok_or_else(|| {
            ApiError::new(ErrorCode::Unavailable, "the dialogue is restarting; retry")
        })?;
    if !named {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "no observation of this walk names that photo",
        ));
    }
    let copy_id = match stored_copy(&state, id, &photo, body).await? {
        Ok(copy_id) => copy_id,
        Err(refusal) => return Ok(refusal),
    };
    let published = PhotoId::parse(&copy_id).ok_or_else(not_found)?;
    let key = ClientMsgId::server(&format!("publish_photo:{photo}"));
    let command = Command::PublishPhoto {
        photo: uploaded,
        published,
    };
    let ack = handle.submit_and_wait(actor, key, command).await?;
    tracing::info!(dialogue = %id, "photo published");
    Ok(Json(PhotoDecided {
        photo_id: photo,
        state: "published",
        published_id: Some(copy_id),
        seq: ack.seq,
    })
    .into_response())
}

/// The published copy's id: stored now (blurred where asked), or before (a
/// retry, or another moderator first). A photo the blur refuses: its answer.
async fn stored_copy(
    state: &AppState,
    id: Uuid,
    photo: &str,
    body: BlurBody,
) -> Result<Result<String, Response>, ApiError> {
    let record = stored(state, id, photo).await?;
    if let (PhotoStatus::Published, Some(copy)) = (record.status, &record.published_id) {
        return Ok(Ok(copy.clone()));
    }
    let original = private_original(record)?;
    let (copy_id, copy) = if body.regions.is_empty() {
        (photo.to_string(), original)
    } else {
        match blurred(original, body).await? {
            Ok(c) => (c.id.as_str().to_string(), c.jpeg),
            Err(e) => return Ok(Err(refused(&e))),
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    let store = state.registry.store();
    if store.publish_photo(id, photo, &copy_id, &copy, now).await? {
        return Ok(Ok(copy_id));
    }
    // Another moderator's approval stored its copy first: that one stands.
    match stored(state, id, photo).await? {
        crate::store::PhotoRecord {
            status: PhotoStatus::Published,
            published_id: Some(copy),
            ..
        } => Ok(Ok(copy)),
        _ => Err(ApiError::new(
            ErrorCode::Conflict,
            "another moderator decided on this photo first",
        )),
    }
}

/// `POST …/photos/{photo}/reject` (staff): deletes a private photo.
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, photo)): Path<(Uuid, String)>,
) -> Result<Response, ApiError> {
    authorize(&state, &caller, id, Action::ModeratePhoto).await?;
    let store = state.registry.store();
    if !store.delete_private_photo(id, &photo).await? {
        return Err(match store.photo(id, &photo).await? {
            Some(_) => ApiError::new(ErrorCode::Conflict, "the photo is published already"),
            None => not_found(),
        });
    }
    tracing::info!(dialogue = %id, "photo rejected");
    Ok(Json(PhotoDecided {
        photo_id: photo,
        state: "rejected",
        published_id: None,
        seq: None,
    })
    .into_response())
}

/// `GET /d/{code}/photos/{id}.jpg`: a published copy; anything else is not found.
pub async fn public_photo(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: Caller,
    Path((code, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let handle = super::join_code::find(&state, peer.ip(), &code).await?;
    permit(&state, &caller, handle.id, Action::ReadPublic).await?;
    let id = file.strip_suffix(".jpg").ok_or_else(not_found)?;
    let bytes = state
        .registry
        .store()
        .published_photo(handle.id, id)
        .await?
        .ok_or_else(not_found)?;
    // Short: an erasure must not live on in caches for long.
    Ok(jpeg(bytes, "public, max-age=300"))
}

/// An observation names only a photo its own participant uploaded to this
/// dialogue. Photos live beside the log, so this is read from the store here,
/// before the command reaches the dialogue's task (whose decisions do no I/O).
/// Someone else's photo and no photo answer alike: nobody learns whose it is.
pub(super) async fn photo_is_theirs(
    store: &std::sync::Arc<dyn crate::store::Store>,
    actor: Actor,
    dialogue: Uuid,
    command: &crate::domain::Command,
) -> Result<(), (ErrorCode, &'static str)> {
    let crate::domain::Command::Observe {
        photo: Some(photo), ..
    } = command
    else {
        return Ok(());
    };
    let Actor::Participant(me) = actor else {
        return Ok(()); // the rights refuse anyone else's observe
    };
    match store.photo(dialogue, photo.as_str()).await {
        Ok(Some(record)) if record.uploaded_by == me => Ok(()),
        Ok(_) => Err((
            ErrorCode::NotFound,
            "you uploaded no photo of that id to this walk",
        )),
        Err(_) => Err((
            ErrorCode::Unavailable,
            "the photo could not be checked; retry",
        )),
    }
}
