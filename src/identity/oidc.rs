//! Staff sign-in with the municipality's OpenID provider: the authorization code
//! flow with PKCE, `state` and `nonce`, on the `openidconnect` crate.
//!
//! `GET /auth/oidc/start` sends the browser to the provider and sets the pending
//! sign-in (`protocol::oidc::PendingLogin`) as a short-lived signed cookie, so any
//! node can take the callback: nothing is kept in memory or in the store between
//! the two. `GET /auth/oidc/callback` checks `state` against the cookie, exchanges
//! the code (with the PKCE verifier), and accepts the ID token only with a valid
//! signature from the provider's published keys, our client id in `aud`, the
//! provider as `iss`, an `exp` still ahead and our `nonce`. The roles claim then
//! maps to districts and roles (`[[oidc.grants]]`); someone it maps to nothing is
//! refused. Every failure is a page in Swedish and English (`oidc_page.rs`).

use super::oidc_page::{Failure, failure_page, signin_page};
use crate::config::{OidcSettings, Settings};
use crate::domain::access::{DistrictScope, Grant, StaffRole};
use crate::protocol::oidc::{OidcCallbackQuery, OidcExtraClaims, OidcStartQuery, PendingLogin};
use crate::transport::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The pending sign-in's cookie. Path-scoped to the callback's directory.
pub const PENDING_COOKIE: &str = "dialoghub_oidc";
/// The `aud` of the pending sign-in, so no other token signed with a related key
/// can pass for one.
const PENDING_AUDIENCE: &str = "dialoghub-oidc-pending";
/// How long the provider's metadata and keys are used before they are read again
/// (a provider that rotates its signing keys publishes the new one ahead).
const METADATA_TTL: Duration = Duration::from_secs(600);
/// Where a signed-in staff member goes when the start named no page.
const DEFAULT_NEXT: &str = "/organize";

type IdFields = IdTokenFields<
    OidcExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type ProviderTokens = StandardTokenResponse<IdFields, CoreTokenType>;
type ProviderClient = Client<
    OidcExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    ProviderTokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Someone the provider vouched for, with the grants the configuration gives them.
#[derive(Debug, Clone)]
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    /// Shown to colleagues; never logged.
    pub name: String,
    pub grants: Vec<Grant>,
    /// Where to go once signed in (a path on this server).
    pub next: String,
}

/// One line of `[[oidc.grants]]`, parsed at start-up.
#[derive(Debug, Clone)]
struct Mapping {
    claim_value: String,
    grant: Grant,
}

/// The OpenID Connect sign-in of one server (`None` in `AppState` while off).
pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    scopes: Vec<Scope>,
    roles_claim: String,
    mappings: Vec<Mapping>,
    redirect: RedirectUrl,
    login_timeout: Duration,
    secure_cookie: bool,
    http: openidconnect::reqwest::Client,
    signing: EncodingKey,
    checking: DecodingKey,
    provider: tokio::sync::Mutex<Option<(Instant, Arc<ProviderClient>)>>,
}

impl Oidc {
    /// Reads `[oidc]`; `Ok(None)` while `issuer_url` is empty. `secret` is the
    /// server's signing secret (`auth.secret` or the generated one): the pending
    /// sign-in's key is derived from it, so every node of a cluster shares it.
    pub fn from_settings(settings: &Settings, secret: &[u8]) -> Result<Option<Oidc>, String> {
        let o: &OidcSettings = &settings.oidc;
        if o.issuer_url.trim().is_empty() {
            return Ok(None);
        }
        let issuer = IssuerUrl::new(o.issuer_url.trim().to_string())
            .map_err(|e| format!("oidc.issuer_url: {e}"))?;
        if o.client_id.is_empty() {
            return Err("oidc.client_id is required when oidc.issuer_url is set".into());
        }
        let public = settings.server.public_url.trim_end_matches('/');
        let redirect = RedirectUrl::new(format!("{public}/auth/oidc/callback"))
            .map_err(|e| format!("server.public_url: {e}"))?;
        let mut mappings = Vec::new();
        for g in &o.grants {
            let district = DistrictScope::parse(&g.district)
                .map_err(|e| format!("oidc.grants ({}): {e}", g.claim_value))?;
            let role = StaffRole::parse(&g.role)
                .map_err(|e| format!("oidc.grants ({}): {e}", g.claim_value))?;
            mappings.push(Mapping {
                claim_value: g.claim_value.clone(),
                grant: Grant { district, role },
            });
        }
        let mut scopes: Vec<Scope> = o
            .scopes
            .iter()
            .filter(|s| s.as_str() != "openid")
            .map(|s| Scope::new(s.clone()))
            .collect();
        scopes.dedup_by(|a, b| a.as_str() == b.as_str());
        let http = openidconnect::reqwest::Client::builder()
            // Following redirects would let the provider's answers point us anywhere.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("oidc: HTTP client: {e}"))?;
        let key = Sha256::new()
            .chain_update(b"dialoghub oidc pending sign-in v1\0")
            .chain_update(secret)
            .finalize();
        Ok(Some(Oidc {
            issuer,
            client_id: ClientId::new(o.client_id.clone()),
            client_secret: (!o.client_secret.is_empty())
                .then(|| ClientSecret::new(o.client_secret.clone())),
            scopes,
            roles_claim: o.roles_claim.clone(),
            mappings,
            redirect,
            login_timeout: Duration::from_secs(o.login_timeout_secs.max(60)),
            secure_cookie: !plain_local(&settings.server.public_url),
            http,
            signing: EncodingKey::from_secret(&key),
            checking: DecodingKey::from_secret(&key),
            provider: tokio::sync::Mutex::new(None),
        }))
    }

    /// The provider's client: discovery (metadata and signing keys), cached a while.
    async fn client(&self) -> Result<Arc<ProviderClient>, Failure> {
        let mut cached = self.provider.lock().await;
        if let Some((at, client)) = cached.as_ref() {
            if at.elapsed() < METADATA_TTL {
                return Ok(client.clone());
            }
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "the OpenID provider's discovery failed");
                Failure::ProviderUnreachable
            })?;
        let client = ProviderClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(self.redirect.clone());
        let client = Arc::new(client);
        *cached = Some((Instant::now(), client.clone()));
        Ok(client)
    }

    /// Where to send the browser, and the pending sign-in's `Set-Cookie`.
    pub async fn begin(&self, next: Option<&str>) -> Result<(String, HeaderValue), Failure> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.scopes {
            request = request.add_scope(scope.clone());
        }
        let (url, state, nonce) = request.url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            next: safe_next(next).to_string(),
            aud: PENDING_AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + self.login_timeout.as_secs() as i64,
        };
        let signed = self.seal(&pending)?;
        Ok((
            url.to_string(),
            self.pending_cookie(&signed, self.login_timeout.as_secs()),
        ))
    }

    /// Checks the provider's answer against the pending sign-in; returns who it is.
    pub async fn finish(
        &self,
        answer: &OidcCallbackQuery,
        pending: Option<&str>,
    ) -> Result<Verified, Failure> {
        if answer.error.is_some() {
            return Err(Failure::ProviderRefused);
        }
        let pending = self.read_pending(pending)?;
        let state = answer.state.as_deref().unwrap_or_default();
        if !same(state.as_bytes(), pending.state.as_bytes()) {
            return Err(Failure::StateMismatch);
        }
        let code = answer
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(Failure::BadAnswer)?;
        let client = self.client().await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|_| Failure::ProviderUnreachable)?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "the OpenID provider refused the code");
                Failure::CodeRefused
            })?;
        let id_token = tokens.id_token().ok_or(Failure::IdToken("missing"))?;
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce.clone()))
            .map_err(|e| Failure::IdToken(reason(&e)))?;
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string())
            .or_else(|| claims.preferred_username().map(|u| u.as_str().to_string()))
            .unwrap_or_default();
        let grants = self.grants(&claims.additional_claims().claims);
        Ok(Verified {
            issuer: claims.issuer().as_str().to_string(),
            subject: claims.subject().as_str().to_string(),
            name,
            grants,
            next: pending.next,
        })
    }

    /// The grants the roles claim's values map to (one value or a list of them).
    fn grants(&self, extra: &std::collections::HashMap<String, serde_json::Value>) -> Vec<Grant> {
        let values: Vec<&str> = match extra.get(&self.roles_claim) {
            Some(serde_json::Value::String(one)) => vec![one.as_str()],
            Some(serde_json::Value::Array(many)) => {
                many.iter().filter_map(serde_json::Value::as_str).collect()
            }
            _ => Vec::new(),
        };
        let mut grants: Vec<Grant> = Vec::new();
        for m in &self.mappings {
            if values.contains(&m.claim_value.as_str()) && !grants.contains(&m.grant) {
                grants.push(m.grant.clone());
            }
        }
        grants
    }

    fn seal(&self, pending: &PendingLogin) -> Result<String, Failure> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), pending, &self.signing)
            .map_err(|_| Failure::Internal)
    }

    fn read_pending(&self, cookie: Option<&str>) -> Result<PendingLogin, Failure> {
        let cookie = cookie.ok_or(Failure::NoPendingLogin)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[PENDING_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<PendingLogin>(cookie, &self.checking, &validation)
            .map(|d| d.claims)
            .map_err(|_| Failure::NoPendingLogin)
    }

    /// `Set-Cookie` for the pending sign-in. `SameSite=Lax`: the provider's
    /// redirect back is a top-level navigation from another site, on which a
    /// `Strict` cookie would not be sent.
    fn pending_cookie(&self, value: &str, max_age: u64) -> HeaderValue {
        let secure = if self.secure_cookie { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{PENDING_COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/auth/oidc; Max-Age={max_age}{secure}"
        ))
        .expect("a JWT is a valid header value")
    }

    fn cleared_cookie(&self) -> HeaderValue {
        self.pending_cookie("", 0)
    }
}

/// Which check an ID token failed, as a short code for the page and the log.
fn reason(e: &ClaimsVerificationError) -> &'static str {
    match e {
        ClaimsVerificationError::Expired(_) => "expired",
        ClaimsVerificationError::InvalidAudience(_) => "audience",
        ClaimsVerificationError::InvalidIssuer(_) => "issuer",
        ClaimsVerificationError::InvalidNonce(_) => "nonce",
        ClaimsVerificationError::SignatureVerification(_) => "signature",
        _ => "invalid",
    }
}

/// A path on this server, or the default: never another site (`//evil`, `\evil`).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => DEFAULT_NEXT,
    }
}

/// `http://localhost` or `http://127.0.0.1`: the one place a cookie may go
/// without `Secure` (a browser refuses a secure cookie from plain HTTP there).
fn plain_local(public_url: &str) -> bool {
    let rest = public_url.strip_prefix("http://").unwrap_or_default();
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    host == "localhost" || host == "127.0.0.1"
}

/// Equal, in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `/signin`, `/auth/oidc/start` and `/auth/oidc/callback`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signin", get(signin))
        .route("/auth/oidc/start", get(start))
        .route("/auth/oidc/callback", get(callback))
}

async fn signin(State(state): State<AppState>, Query(q): Query<OidcStartQuery>) -> Response {
    signin_page(state.oidc.is_some(), safe_next(q.next.as_deref()))
}

async fn start(State(state): State<AppState>, Query(q): Query<OidcStartQuery>) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return failure_page(Failure::NotConfigured);
    };
    match oidc.begin(q.next.as_deref()).await {
        Ok((url, cookie)) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, url)],
            [(header::SET_COOKIE, cookie)],
        )
            .into_response(),
        Err(f) => failed(&state, f).await,
    }
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(answer): Query<OidcCallbackQuery>,
) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return failure_page(Failure::NotConfigured);
    };
    let mut response = match oidc.finish(&answer, cookie(&headers, PENDING_COOKIE)).await {
        Err(f) => failed(&state, f).await,
        Ok(who) if who.grants.is_empty() => {
            // Said to the identity module too, which records the refusal.
            let _ = super::sign_in_external(&state, external(who)).await;
            failed(&state, Failure::NoDistrict).await
        }
        Ok(who) => {
            let next = who.next.clone();
            match super::sign_in_external(&state, external(who)).await {
                Ok(signed) => {
                    tracing::info!(event = "sign_in", via = "oidc", "staff signed in");
                    (
                        StatusCode::SEE_OTHER,
                        [(header::LOCATION, next)],
                        [(header::SET_COOKIE, signed.set_cookie)],
                    )
                        .into_response()
                }
                Err(e) => {
                    tracing::warn!(code = ?e.code(), "starting the session failed");
                    failed(&state, Failure::Internal).await
                }
            }
        }
    };
    // A pending sign-in is used once, whatever came of it.
    response
        .headers_mut()
        .append(header::SET_COOKIE, oidc.cleared_cookie());
    response
}

fn external(who: Verified) -> super::ExternalIdentity {
    super::ExternalIdentity {
        issuer: who.issuer,
        subject: who.subject,
        name: who.name,
        grants: who.grants,
    }
}

/// The failure's page, and its security event (in the audit trail and the log;
/// nothing about the person, whom a failed sign-in has not established).
async fn failed(state: &AppState, f: Failure) -> Response {
    tracing::info!(
        event = "sign_in_failed",
        via = "oidc",
        reason = f.code(),
        "OpenID sign-in failed"
    );
    // `sign_in_external` recorded the refusal of someone with no district.
    if f != Failure::NoDistrict {
        let event = super::security::Event::SignInRefused { reason: f.code() };
        super::security::record(state, event, super::now_ms()).await;
    }
    failure_page(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_always_on_this_server() {
        assert_eq!(safe_next(Some("/moderate?d=1")), "/moderate?d=1");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "", "x"] {
            assert_eq!(safe_next(Some(bad)), DEFAULT_NEXT, "{bad}");
        }
        assert_eq!(safe_next(None), DEFAULT_NEXT);
    }

    fn node(secret: &[u8]) -> Oidc {
        let mut settings = Settings::defaults();
        settings.oidc.issuer_url = "https://login.example.se/realms/kommun".into();
        settings.oidc.client_id = "dialoghub".into();
        Oidc::from_settings(&settings, secret).unwrap().unwrap()
    }

    fn pending(exp: i64) -> PendingLogin {
        PendingLogin {
            state: "s".into(),
            nonce: "n".into(),
            verifier: "v".into(),
            next: "/moderate".into(),
            aud: PENDING_AUDIENCE.into(),
            exp,
        }
    }

    /// The pending sign-in is all in the cookie: another node with the same
    /// secret finishes it; a node with another secret, a forged or an expired
    /// cookie does not.
    #[test]
    fn any_node_of_the_cluster_reads_the_pending_sign_in() {
        let later = chrono::Utc::now().timestamp() + 600;
        let cookie = node(&[1; 32]).seal(&pending(later)).unwrap();
        let read = node(&[1; 32]).read_pending(Some(&cookie)).unwrap();
        assert_eq!(
            (read.state.as_str(), read.next.as_str()),
            ("s", "/moderate")
        );
        let elsewhere = node(&[2; 32]).read_pending(Some(&cookie));
        assert_eq!(elsewhere.unwrap_err(), Failure::NoPendingLogin);
        let mut forged = cookie.clone();
        forged.push('x');
        assert!(node(&[1; 32]).read_pending(Some(&forged)).is_err());
        let old = node(&[1; 32]).seal(&pending(later - 1200)).unwrap();
        assert!(node(&[1; 32]).read_pending(Some(&old)).is_err());
        assert!(node(&[1; 32]).read_pending(None).is_err());
    }

    #[test]
    fn a_bad_claim_mapping_stops_the_start() {
        let mut settings = Settings::defaults();
        settings.oidc.issuer_url = "https://login.example.se".into();
        settings.oidc.client_id = "dialoghub".into();
        settings.oidc.grants = vec![crate::config::OidcGrantSetting {
            claim_value: "g".into(),
            district: "Rinkeby Kista".into(),
            role: "organizer".into(),
        }];
        assert!(Oidc::from_settings(&settings, &[1; 32]).is_err());
        settings.oidc.grants[0].district = "rinkeby-kista".into();
        settings.oidc.grants[0].role = "boss".into();
        assert!(Oidc::from_settings(&settings, &[1; 32]).is_err());
        settings.oidc.grants[0].role = "moderator".into();
        assert!(Oidc::from_settings(&settings, &[1; 32]).is_ok());
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(!same(b"", b"a"));
    }
}
