//! Who is asking: a participant's bearer token, a session cookie, or nobody.
//!
//! A cookie is sent by the browser whoever made the request, so every
//! cookie-authenticated request that changes something must come from our own
//! origin (`Origin`) and carry the session's CSRF token (`X-CSRF-Token`).

use super::{hash, now_ms, security};
use crate::domain::Role;
use crate::domain::access::Principal;
use crate::protocol::ErrorCode;
use crate::store::{SessionPrincipal, SessionRecord};
use crate::transport::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "dialoghub_session";

/// A session is written back as used at most this often (ms).
const TOUCH_EVERY_MS: i64 = 60_000;

/// The one asking, as their credential says.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The session, when they came with the cookie.
    pub session: Option<SessionRecord>,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller {
            principal: Principal::Anonymous,
            session: None,
        }
    }
}

/// `Authorization: Bearer <token>`, the scheme in any case (RFC 7235).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The session cookie's value, if sent.
pub fn session_secret(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value for a session. `Secure` is left off only where the
/// server is reached over plain HTTP on this machine (a browser refuses a secure
/// cookie from `http://`, and nothing crosses a network there).
pub(super) fn session_cookie(state: &AppState, secret: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if plain_local(&state.settings.server.public_url) {
        ""
    } else {
        "; Secure"
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}"
    ))
    .expect("a hex secret is a valid header value")
}

/// The header that removes the cookie from the browser.
pub(super) fn cleared_cookie(state: &AppState) -> HeaderValue {
    session_cookie(state, "", 0)
}

fn plain_local(public_url: &str) -> bool {
    let rest = public_url.strip_prefix("http://").unwrap_or_default();
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    host == "localhost" || host == "127.0.0.1"
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = bearer_token(&parts.headers) {
            return participant(state, token);
        }
        let Some(secret) = session_secret(&parts.headers) else {
            return Ok(Caller::anonymous());
        };
        let Some(session) = live_session(state, &hash(secret)).await? else {
            // A stale cookie is no credential: the caller is nobody.
            return Ok(Caller::anonymous());
        };
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            check_csrf(state, &parts.headers, &session).await?;
        }
        let principal = principal_of(state, &session).await?;
        Ok(Caller {
            principal,
            session: Some(session),
        })
    }
}

/// A bearer token is a participant's; staff sign in with a session.
fn participant(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let claims = state
        .tokens
        .verify(token)
        .map_err(|e| ApiError::new(ErrorCode::Unauthorized, e.to_string()))?;
    match (Role::from(claims.role), claims.dlg) {
        (Role::Participant, Some(dialogue)) => Ok(Caller {
            principal: Principal::Participant {
                id: claims.sub,
                dialogue,
            },
            session: None,
        }),
        _ => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "staff sign in with a session, not a token",
        )),
    }
}

/// The session with this hash, if it holds now; marks it used.
pub(crate) async fn live_session(
    state: &AppState,
    id_hash: &str,
) -> Result<Option<SessionRecord>, ApiError> {
    let store = state.registry.store();
    let Some(mut session) = store.session(id_hash).await? else {
        return Ok(None);
    };
    let now = now_ms();
    if now >= session.expires || now >= session.idle_until {
        let _ = store.end_session(id_hash).await;
        return Ok(None);
    }
    if now - session.last_seen >= TOUCH_EVERY_MS {
        let idle_until = (now + state.settings.auth.session_idle_secs * 1000).min(session.expires);
        store.touch_session(id_hash, now, idle_until).await?;
        session.last_seen = now;
        session.idle_until = idle_until;
    }
    Ok(Some(session))
}

/// Who the session speaks for, as the store holds them now (grants included).
pub(crate) async fn principal_of(
    state: &AppState,
    session: &SessionRecord,
) -> Result<Principal, ApiError> {
    Ok(match &session.principal {
        SessionPrincipal::Staff(id) => match state.registry.store().staff(*id).await? {
            Some(staff) => Principal::Staff {
                id: *id,
                grants: staff.grants,
            },
            None => Principal::Anonymous,
        },
        SessionPrincipal::Invitee { id, dialogue, role } => Principal::Invitee {
            id: *id,
            dialogue: *dialogue,
            role: *role,
        },
    })
}

async fn check_csrf(
    state: &AppState,
    headers: &HeaderMap,
    session: &SessionRecord,
) -> Result<(), ApiError> {
    let server = &state.settings.server;
    let origin_ok = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|o| {
            crate::transport::origin_allowed(o, &server.allowed_origins, &server.public_url)
        });
    let token_ok = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| constant_time_eq(t.as_bytes(), session.csrf.as_bytes()));
    if origin_ok && token_ok {
        return Ok(());
    }
    security::record(
        state,
        security::Event::CsrfRefused {
            who: session.principal.id(),
        },
        now_ms(),
    )
    .await;
    Err(ApiError::new(
        ErrorCode::Forbidden,
        "a signed-in request must come from this site with its X-CSRF-Token",
    ))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER  abc"] {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            assert_eq!(bearer_token(&h), Some("abc"), "{value}");
        }
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&h), None);
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; dialoghub_session=s3cr3t; b=2"),
        );
        assert_eq!(session_secret(&h), Some("s3cr3t"));
    }

    #[test]
    fn secure_is_off_only_for_plain_http_on_this_machine() {
        assert!(plain_local("http://localhost:8080"));
        assert!(plain_local("http://127.0.0.1:9"));
        assert!(!plain_local("https://localhost"));
        assert!(!plain_local("http://localhost.example.org"));
        assert!(!plain_local("http://hub.example.org"));
    }
}
