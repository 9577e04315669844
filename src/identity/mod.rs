//! Staff identity: sessions held in the store and sent as a cookie, single-use
//! sign-in and invitation links, WebSocket tickets, and who is asking (`Caller`).
//!
//! Participants stay anonymous with their bearer token; staff and invitees hold
//! a server-side session. No secret is stored in the clear: the store keeps the
//! SHA-256 of every session id, link and ticket.

pub mod admin;
mod caller;
mod guard;
pub mod oidc;
mod oidc_page;
mod people;
pub mod revocation;
mod routes;
pub mod security;

pub use caller::{Caller, SESSION_COOKIE, bearer_token};
pub use guard::{authorize, authorize_district, holder, permit};
pub use routes::routes;
pub(crate) use routes::{redeem_ticket, standing_in};

use crate::domain::DialogueId;
use crate::domain::access::{Grant, InviteeRole};
use crate::protocol::ErrorCode;
use crate::store::{SessionPrincipal, SessionRecord, Store};
use crate::transport::{ApiError, AppState};
use axum::http::HeaderValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Someone the municipality's identity provider vouched for.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    /// The provider (`iss`).
    pub issuer: String,
    /// The person at that provider (`sub`).
    pub subject: String,
    /// Shown to colleagues and in the staff list; never logged.
    pub name: String,
    /// Their roles, as the provider's claims map to them (configuration).
    pub grants: Vec<Grant>,
}

/// A started session: send `set_cookie` as the `Set-Cookie` header.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub staff_id: Uuid,
    pub set_cookie: HeaderValue,
    /// The session's CSRF token (also in `GET /api/session`).
    pub csrf: String,
}

/// Upserts the staff member by (issuer, subject), replaces their grants with
/// `who.grants`, starts a session and writes the security event. A person whose
/// grants are empty is refused (403 `forbidden`) and no session starts.
pub async fn sign_in_external(
    state: &AppState,
    who: ExternalIdentity,
) -> Result<SignedIn, ApiError> {
    let store = state.registry.store();
    let now = now_ms();
    if who.grants.is_empty() {
        security::record(
            state,
            security::Event::SignInRefused {
                reason: "no_district",
            },
            now,
        )
        .await;
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "your account has no role in any district",
        ));
    }
    let id = store
        .upsert_staff(&who.issuer, &who.subject, &who.name, now)
        .await?;
    store.set_grants(id, &who.grants).await?;
    let signed = start_session(state, SessionPrincipal::Staff(id), now).await?;
    security::record(
        state,
        security::Event::SignedIn {
            who: id,
            how: "external",
        },
        now,
    )
    .await;
    Ok(SignedIn {
        staff_id: id,
        set_cookie: signed.0,
        csrf: signed.1,
    })
}

/// Starts a session for `principal`: its cookie and its CSRF token.
pub(crate) async fn start_session(
    state: &AppState,
    principal: SessionPrincipal,
    now: i64,
) -> Result<(HeaderValue, String), ApiError> {
    let auth = &state.settings.auth;
    let secret = new_secret();
    let csrf = new_secret();
    let record = SessionRecord {
        id_hash: hash(&secret),
        principal,
        csrf: csrf.clone(),
        created: now,
        last_seen: now,
        idle_until: now + auth.session_idle_secs * 1000,
        expires: now + auth.session_absolute_secs * 1000,
    };
    state.registry.store().create_session(&record).await?;
    let cookie = caller::session_cookie(state, &secret, auth.session_absolute_secs);
    Ok((cookie, csrf))
}

/// A single-use link for `principal`, valid `ttl_ms`: the path `/signin/<secret>`.
pub async fn create_link(
    store: &dyn Store,
    principal: &SessionPrincipal,
    now: i64,
    ttl_ms: i64,
) -> Result<String, crate::store::StoreError> {
    let secret = new_secret();
    store
        .create_link(&hash(&secret), principal, now + ttl_ms)
        .await?;
    Ok(format!("/signin/{secret}"))
}

/// The invitation link for someone invited to one dialogue (its path).
pub async fn invite(
    state: &AppState,
    id: Uuid,
    dialogue: DialogueId,
    role: InviteeRole,
) -> Result<String, ApiError> {
    let ttl = state.settings.auth.invite_token_days * 24 * 3600 * 1000;
    let principal = SessionPrincipal::Invitee { id, dialogue, role };
    Ok(create_link(state.registry.store().as_ref(), &principal, now_ms(), ttl).await?)
}

/// 32 random bytes, hex.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex(&bytes)
}

/// What the store keeps of a secret.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
