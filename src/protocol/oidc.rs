//! The shapes of OpenID Connect sign-in (`src/identity/oidc.rs`): what the
//! provider sends back to `/auth/oidc/callback`, the pending sign-in that rides in
//! a signed cookie between `/auth/oidc/start` and the callback, and the ID token's
//! claims beyond the standard ones (where the roles claim is read from).

use openidconnect::AdditionalClaims;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// `GET /auth/oidc/start?next=/moderate.html?d=…`: where to go once signed in
/// (a path on this server; anything else is ignored).
#[derive(Debug, Deserialize)]
pub struct OidcStartQuery {
    pub next: Option<String>,
}

/// `GET /auth/oidc/callback?code=…&state=…`, or `?error=…&state=…` when the
/// provider refused or the person cancelled.
#[derive(Debug, Deserialize)]
pub struct OidcCallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// The pending sign-in: signed by the server (HS256, a key of its own derived
/// from `auth.secret`) and sent as the `dialoghub_oidc` cookie, so whichever node
/// receives the callback can finish it. `exp` bounds it to `oidc.login_timeout_secs`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The `state` sent to the provider; the callback must bring the same back.
    pub state: String,
    /// The `nonce` sent to the provider; the ID token must carry the same.
    pub nonce: String,
    /// The PKCE code verifier whose S256 challenge was sent to the provider.
    pub verifier: String,
    /// The path to go to once signed in.
    pub next: String,
    pub aud: String,
    pub exp: i64,
}

/// Every claim of the ID token beyond the standard ones, by name: the roles
/// claim (`oidc.roles_claim`) is read from here.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcExtraClaims {
    #[serde(flatten)]
    pub claims: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for OidcExtraClaims {}
