//! What a person sees when OpenID sign-in does not go through: a page in Swedish
//! and English that says what happened and what to do, with the right status.
//! Never the provider's own error text, nor anything from the ID token.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why a sign-in failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// This server has no `[oidc]` provider.
    NotConfigured,
    /// Discovery, keys or the token endpoint could not be reached.
    ProviderUnreachable,
    /// The provider answered with an error (the person cancelled, or was refused).
    ProviderRefused,
    /// No pending sign-in cookie, or an expired or forged one.
    NoPendingLogin,
    /// The answer's `state` is not the pending sign-in's.
    StateMismatch,
    /// The answer has no code.
    BadAnswer,
    /// The token endpoint refused the code (used, expired, or the PKCE verifier wrong).
    CodeRefused,
    /// The ID token failed a check: `signature`, `audience`, `issuer`, `expired`,
    /// `nonce`, `missing` or `invalid`.
    IdToken(&'static str),
    /// The person's claims map to no district.
    NoDistrict,
    /// Our own fault (the store could not start the session).
    Internal,
}

impl Failure {
    /// The short code in the log and on the page.
    pub fn code(self) -> &'static str {
        match self {
            Failure::NotConfigured => "not_configured",
            Failure::ProviderUnreachable => "provider_unreachable",
            Failure::ProviderRefused => "provider_refused",
            Failure::NoPendingLogin => "no_pending_sign_in",
            Failure::StateMismatch => "state",
            Failure::BadAnswer => "bad_answer",
            Failure::CodeRefused => "code_refused",
            Failure::IdToken("signature") => "id_token_signature",
            Failure::IdToken("audience") => "id_token_audience",
            Failure::IdToken("issuer") => "id_token_issuer",
            Failure::IdToken("expired") => "id_token_expired",
            Failure::IdToken("nonce") => "id_token_nonce",
            Failure::IdToken("missing") => "id_token_missing",
            Failure::IdToken(_) => "id_token_invalid",
            Failure::NoDistrict => "no_district",
            Failure::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Failure::NotConfigured => StatusCode::NOT_FOUND,
            Failure::ProviderUnreachable | Failure::CodeRefused => StatusCode::BAD_GATEWAY,
            Failure::ProviderRefused | Failure::NoDistrict => StatusCode::FORBIDDEN,
            Failure::NoPendingLogin | Failure::StateMismatch | Failure::BadAnswer => {
                StatusCode::BAD_REQUEST
            }
            Failure::IdToken(_) => StatusCode::UNAUTHORIZED,
            Failure::Internal => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// (title, what happened, what to do) in Swedish, then in English.
    fn text(self) -> [(&'static str, &'static str, &'static str); 2] {
        match self {
            Failure::NoDistrict => [
                (
                    "Du har ingen behörighet här",
                    "Ditt konto är känt hos kommunen, men det har ingen roll i något stadsdelsområde i dialogverktyget.",
                    "Be din chef eller kommunens administratör att ge dig en roll (till exempel moderator) och logga in igen.",
                ),
                (
                    "You have no access here",
                    "Your account is known to the municipality, but it has no role in any district of the dialogue tool.",
                    "Ask your manager or the municipality's administrator to give you a role (for example moderator), then sign in again.",
                ),
            ],
            Failure::ProviderRefused => [
                (
                    "Inloggningen avbröts",
                    "Kommunens inloggningstjänst godkände inte inloggningen, eller så avbröt du den.",
                    "Försök igen. Kontakta IT-supporten om det inte går.",
                ),
                (
                    "Sign-in was cancelled",
                    "The municipality's sign-in service did not approve the sign-in, or you cancelled it.",
                    "Try again. Contact IT support if it keeps failing.",
                ),
            ],
            Failure::NoPendingLogin | Failure::StateMismatch | Failure::BadAnswer => [
                (
                    "Inloggningen gick ut eller kom från en annan flik",
                    "Svaret från inloggningstjänsten hör inte till en inloggning som startades här i webbläsaren, eller så tog den för lång tid.",
                    "Börja om från inloggningssidan.",
                ),
                (
                    "The sign-in expired or came from another tab",
                    "The answer from the sign-in service does not belong to a sign-in started in this browser, or it took too long.",
                    "Start again from the sign-in page.",
                ),
            ],
            Failure::IdToken(_) | Failure::CodeRefused => [
                (
                    "Inloggningen kunde inte bekräftas",
                    "Beviset från inloggningstjänsten var inte giltigt för den här tjänsten, så du har inte loggats in.",
                    "Börja om från inloggningssidan. Kontakta IT-supporten om det händer igen och ange felkoden.",
                ),
                (
                    "The sign-in could not be confirmed",
                    "The proof from the sign-in service was not valid for this service, so you have not been signed in.",
                    "Start again from the sign-in page. Contact IT support if it happens again and give the error code.",
                ),
            ],
            Failure::ProviderUnreachable => [
                (
                    "Inloggningstjänsten svarar inte",
                    "Kommunens inloggningstjänst kunde inte nås just nu.",
                    "Försök igen om en stund.",
                ),
                (
                    "The sign-in service does not answer",
                    "The municipality's sign-in service could not be reached just now.",
                    "Try again in a while.",
                ),
            ],
            Failure::NotConfigured => [
                (
                    "Inloggning med kommunens konto är inte påslagen",
                    "Den här servern har ingen inloggningstjänst inställd.",
                    "Använd den inloggningslänk du fått av en administratör.",
                ),
                (
                    "Sign-in with the municipality's account is not set up",
                    "This server has no sign-in service configured.",
                    "Use the sign-in link an administrator gave you.",
                ),
            ],
            Failure::Internal => [
                (
                    "Något gick fel hos oss",
                    "Inloggningen bekräftades, men sessionen kunde inte startas.",
                    "Försök igen om en stund.",
                ),
                (
                    "Something went wrong on our side",
                    "The sign-in was confirmed, but the session could not be started.",
                    "Try again in a while.",
                ),
            ],
        }
    }
}

/// `GET /signin`: where a staff page sends someone without a session. With an
/// OpenID provider, one button; always, what to do with a single-use link.
pub fn signin_page(oidc: bool, next: &str) -> Response {
    let start = format!("/auth/oidc/start?next={}", url_escape(next));
    let button = |label: &str| {
        if oidc {
            format!(
                "<p><a class=\"cta\" id=\"oidc-sign-in\" href=\"{}\">{label}</a></p>",
                html_escape::encode_double_quoted_attribute(&start)
            )
        } else {
            String::new()
        }
    };
    let body = format!(
        "<!doctype html><html lang=\"sv\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Logga in – Trygghetsdialog</title><link rel=\"stylesheet\" href=\"/assets/css/record.css\">\
         </head><body><main id=\"main\"><section lang=\"sv\"><h1>Logga in</h1>\
         <p>För dig som arbetar med trygghetsdialogen: organisatörer, moderatorer och administratörer.</p>{}\
         <p>Har du fått en inloggningslänk eller en inbjudan? Öppna länken; den gäller en gång.</p></section>\
         <section lang=\"en\"><h2>Sign in</h2>\
         <p>For staff of the safety dialogue: organizers, moderators and administrators.</p>{}\
         <p>Were you sent a sign-in link or an invitation? Open the link; it works once.</p></section>\
         <p>Deltar du i en dialog? Du behöver inte logga in: använd koden eller länken till dialogen. \
         <span lang=\"en\">Taking part in a dialogue? No sign-in needed: use its code or link.</span></p>\
         </main></body></html>",
        button("Logga in med kommunens konto"),
        button("Sign in with the municipality's account"),
    );
    page(StatusCode::OK, body)
}

/// A path as one query value.
fn url_escape(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The page for a failure, with its status. The code is in `data-reason` too,
/// for support staff and tests.
pub fn failure_page(f: Failure) -> Response {
    let [sv, en] = f.text();
    let code = f.code();
    let section = |lang: &str, (title, what, todo): (&str, &str, &str), again: &str, h: &str| {
        format!(
            "<section lang=\"{lang}\"><{h}>{title}</{h}><p>{what}</p><p>{todo}</p>\
             <p><a href=\"/signin\">{again}</a></p></section>"
        )
    };
    let body = format!(
        "<!doctype html><html lang=\"sv\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} – Trygghetsdialog</title><link rel=\"stylesheet\" href=\"/assets/css/record.css\">\
         </head><body><main id=\"main\" data-reason=\"{code}\">{}{}\
         <p class=\"muted\">Felkod / Error code: <code>{code}</code></p></main></body></html>",
        sv.0,
        section("sv", sv, "Till inloggningssidan", "h1"),
        section("en", en, "To the sign-in page", "h2"),
    );
    page(f.status(), body)
}

fn page(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
