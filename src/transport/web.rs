//! The web client, built into the binary so `cargo run` alone serves it.

use super::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

#[derive(rust_embed::Embed)]
#[folder = "web-client/"]
#[exclude = "node_modules/*"]
#[exclude = "tests/*"]
#[exclude = "package*.json"]
#[exclude = "*.md"]
#[exclude = "*.sh"]
pub(super) struct Assets;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { page("index.html") }))
        .route("/j/{code}", get(|| async { page("index.html") }))
        .route("/w/{code}", get(|| async { page("walk.html") }))
        .route("/moderate", get(|| async { page("moderate.html") }))
        .route("/panel", get(|| async { page("panel.html") }))
        .route("/screen", get(|| async { page("screen.html") }))
        .route("/organize", get(|| async { page("organize.html") }))
        .route("/qr/{code}", get(qr_svg))
        // Browsers ask for it whatever the page says; an SVG serves every modern one.
        .route("/favicon.ico", get(|| async { asset("favicon.svg") }))
        .route(
            "/assets/{*path}",
            get(|Path(path): Path<String>| async move { asset(&path) }),
        )
}

/// What a page may load: its own scripts and styles only (no inline script), the
/// socket on its own origin, and any web page as the livestream frame. The
/// console's token rides in the URL fragment, so no referrer is sent anywhere.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-src https: http:; \
     frame-ancestors 'self'; base-uri 'none'; form-action 'none'; object-src 'none'";

fn page(name: &str) -> Response {
    let mut response = asset(name);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(PAGE_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    response
}

fn asset(path: &str) -> Response {
    match Assets::get(path) {
        Some(file) => {
            let mime = mime_guess::from_path(path).first_or_octet_stream();
            (
                [
                    (header::CONTENT_TYPE, mime.as_ref().to_string()),
                    (header::CACHE_CONTROL, "no-cache".to_string()),
                ],
                file.data.into_owned(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// A QR code (SVG) of the join link for a code, for the venue screen and posters.
async fn qr_svg(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(code): Path<String>,
) -> Response {
    let code = code.trim_end_matches(".svg");
    if code.is_empty() || code.len() > 16 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return (StatusCode::BAD_REQUEST, "bad code").into_response();
    }
    let url = format!(
        "{}/j/{}",
        state.settings.server.public_url.trim_end_matches('/'),
        code
    );
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(qr) => {
            let svg = qr
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(256, 256)
                .build();
            ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not make a QR code",
        )
            .into_response(),
    }
}
