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
        .route("/", get(page_of("index.html")))
        .route("/j/{code}", get(page_of("index.html")))
        .route("/w/{code}", get(map_page("walk.html")))
        .route("/moderate", get(map_page("moderate.html")))
        .route("/panel", get(page_of("panel.html")))
        .route("/screen", get(page_of("screen.html")))
        .route("/organize", get(page_of("organize.html")))
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

/// A page served as it is but for its time zone (below).
fn page_of(
    name: &'static str,
) -> impl Fn(axum::extract::State<AppState>) -> std::future::Ready<Response> + Clone {
    move |axum::extract::State(state): axum::extract::State<AppState>| {
        std::future::ready(page(&state, name))
    }
}

fn page(state: &AppState, name: &str) -> Response {
    let Some(html) = page_html(state, name) else {
        return asset(name);
    };
    let mut response = html_response(html);
    secure(&mut response, header::HeaderValue::from_static(PAGE_POLICY));
    response
}

/// A page's HTML with `<meta name="dialoghub-time-zone">` naming `[meetings]
/// time_zone`: the zone `i18n.js` shows every time in.
fn page_html(state: &AppState, name: &str) -> Option<String> {
    let file = Assets::get(name)?;
    let zone = format!(
        "<head>\n  <meta name=\"dialoghub-time-zone\" content=\"{}\">",
        html_escape::encode_double_quoted_attribute(&state.settings.meetings.time_zone)
    );
    Some(String::from_utf8_lossy(&file.data).replacen("<head>", &zone, 1))
}

fn html_response(html: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ],
        html,
    )
        .into_response()
}

fn secure(response: &mut Response, policy: header::HeaderValue) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
}

/// Where a page with a walk's map finds it: `<meta name="dialoghub-map">`.
const MAP_META: &str = r#"<meta name="dialoghub-map" content="">"#;

/// A page with a walk's map: the configured tile server named in the page
/// (`[walks] tile_url` and its attribution) and allowed in its policy's
/// `img-src`, for tiles only. A template that names no plain host gets no map.
fn map_page(
    name: &'static str,
) -> impl Fn(axum::extract::State<AppState>) -> std::future::Ready<Response> + Clone {
    move |axum::extract::State(state): axum::extract::State<AppState>| {
        let walks = &state.settings.walks;
        let Some(origin) = tile_origin(&walks.tile_url) else {
            return std::future::ready(page(&state, name));
        };
        let Some(html) = page_html(&state, name) else {
            return std::future::ready(asset(name));
        };
        let html = html.replacen(
            MAP_META,
            &format!(
                r#"<meta name="dialoghub-map" content="{}" data-attribution="{}">"#,
                html_escape::encode_double_quoted_attribute(&walks.tile_url),
                html_escape::encode_double_quoted_attribute(&walks.tile_attribution),
            ),
            1,
        );
        let policy = PAGE_POLICY.replace(
            "img-src 'self' data:",
            &format!("img-src 'self' data: {origin}"),
        );
        let mut response = html_response(html);
        match header::HeaderValue::from_str(&policy) {
            Ok(policy) => secure(&mut response, policy),
            Err(_) => return std::future::ready(page(&state, name)),
        }
        std::future::ready(response)
    }
}

/// The scheme and host of a tile URL template, as a policy source
/// (`https://{s}.tile.example.org/…` gives `https://*.tile.example.org`); `None`
/// for an empty template or one whose host is not plainly a host.
fn tile_origin(template: &str) -> Option<String> {
    let (scheme, rest) = template.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let host = rest.split('/').next()?;
    let host = host
        .strip_prefix("{s}.")
        .map_or(host.to_string(), |h| format!("*.{h}"));
    let plain = host
        .trim_start_matches("*.")
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    (plain && !host.trim_start_matches("*.").is_empty()).then(|| format!("{scheme}://{host}"))
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

#[cfg(test)]
mod tests {
    use super::tile_origin;

    #[test]
    fn a_tile_template_gives_its_origin_or_none() {
        assert_eq!(
            tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(
            tile_origin("https://{s}.tiles.example.se/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tiles.example.se")
        );
        assert_eq!(
            tile_origin("http://127.0.0.1:1/{z}/{x}/{y}.png").as_deref(),
            Some("http://127.0.0.1:1")
        );
        for bad in [
            "",
            "tile.example.org/{z}",
            "javascript://x",
            "https://{z}.example.org/",
            "https://a.example.org;script-src *",
            "https:///{z}",
        ] {
            assert_eq!(tile_origin(bad), None, "{bad}");
        }
    }
}
