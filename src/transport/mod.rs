//! HTTP and WebSocket: decode, authorize, hand to the hub.

mod audit;
mod body_deadline;
mod client_addr;
mod connection;
mod district_posts;
mod error;
mod hello;
mod invitations;
mod join_code;
mod limits;
mod pages;
mod photos;
mod rest;
mod room_entry;
mod safe_text;
mod safety;
mod serve;
mod upgrade;
mod web;

pub use client_addr::{TrustedProxies, limit_key};
pub use error::ApiError;
pub use pages::locale_text;
pub use rest::Body;
pub use serve::{MAX_REQUEST_HEAD_BYTES, ServeSettings, serve};
pub use upgrade::origin_allowed;

use crate::auth::Tokens;
use crate::config::Settings;
use crate::hub::Registry;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    /// Shared: a clone of the keys and validation rules is several allocations,
    /// and the state is cloned for every request and kept by every connection.
    pub tokens: Arc<Tokens>,
    pub settings: Arc<Settings>,
    pub limits: Arc<limits::AddressLimits>,
    /// Whose forwarding headers name the client.
    pub proxies: Arc<TrustedProxies>,
    pub next_conn: Arc<AtomicU64>,
    /// This node's sockets opened with a session, closed when it ends.
    pub revocations: Arc<crate::identity::revocation::Revocations>,
    /// This node's aggregation of flood-prone security events.
    pub security: Arc<crate::identity::security::Throttle>,
    /// Staff sign-in with the municipality's OpenID provider, when `[oidc]` names one.
    pub oidc: Option<Arc<crate::identity::oidc::Oidc>>,
    /// What the read side takes as now (a test scripts it to pass due dates).
    pub clock: crate::clock::Clock,
    /// The district pages' read model: dialogues rebuilt from the store.
    pub district: Arc<crate::district::Reader>,
}

impl AppState {
    pub fn new(
        registry: Arc<Registry>,
        tokens: Tokens,
        settings: Settings,
        proxies: TrustedProxies,
    ) -> AppState {
        AppState {
            limits: Arc::new(limits::AddressLimits::new(
                &settings.limits,
                &settings.stuffing,
            )),
            proxies: Arc::new(proxies),
            registry,
            tokens: Arc::new(tokens),
            settings: Arc::new(settings),
            next_conn: Arc::new(AtomicU64::new(1)),
            revocations: Arc::default(),
            security: Arc::default(),
            oidc: None,
            clock: crate::clock::Clock::system(),
            district: Arc::default(),
        }
    }
}

/// Settings for every accepted connection.
pub fn tune_socket(tcp: &tokio::net::TcpStream, send_buffer: usize) {
    // Events are small and latency matters more than packet count.
    let _ = tcp.set_nodelay(true);
    if send_buffer > 0 {
        // A fixed kernel buffer bounds what a client that stops reading can pin down.
        let _ = socket2::SockRef::from(tcp).set_send_buffer_size(send_buffer);
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/ws", get(upgrade::upgrade))
        .route("/healthz", get(rest::healthz))
        .route("/readyz", get(rest::readyz))
        .route("/api/join", post(rest::join))
        .route("/api/public/{code}", get(rest::public_view))
        .route("/api/receipts/{receipt}", get(pages::receipt_json))
        .route("/api/overview", get(rest::overview))
        .route("/d/{code}", get(pages::public_page))
        .route("/d/{code}/calendar.ics", get(pages::public_calendar))
        .route("/d/{code}/record.json", get(pages::record_json))
        .route("/d/{code}/record.csv", get(pages::record_csv))
        .route(
            "/d/{code}/posts/{post}/chart.svg",
            get(pages::dialogue_chart),
        )
        .route("/o/{district}", get(pages::district_page))
        .route("/o/{district}/calendar.ics", get(pages::district_calendar))
        .route("/o/{district}/feed.atom", get(pages::district_feed))
        .route(
            "/o/{district}/posts/{post}/chart.svg",
            get(pages::district_chart),
        )
        .route(
            "/api/districts/{district}/posts",
            post(district_posts::post_to_district),
        )
        .route(
            "/d/{code}/report.json",
            pages::walk_export(pages::WalkExport::ReportJson),
        )
        .route(
            "/d/{code}/report.csv",
            pages::walk_export(pages::WalkExport::ReportCsv),
        )
        .route(
            "/d/{code}/actions.csv",
            pages::walk_export(pages::WalkExport::ActionsCsv),
        )
        .route(
            "/d/{code}/report.geojson",
            pages::walk_export(pages::WalkExport::GeoJson),
        )
        .route(
            "/d/{code}/open311/services.json",
            pages::walk_export(pages::WalkExport::Open311Services),
        )
        .route(
            "/d/{code}/open311/requests.json",
            pages::walk_export(pages::WalkExport::Open311Requests),
        )
        .route("/r", get(pages::receipt_page))
        .route("/r/{receipt}", get(pages::receipt_page))
        .route("/r/{receipt}/mail", post(pages::subscribe_form))
        .route(
            "/api/receipts/{receipt}/mail",
            post(pages::subscribe_json).delete(pages::unsubscribe_json),
        )
        .route(
            "/u/{token}",
            get(pages::unsubscribe_page).post(pages::unsubscribe_now),
        )
        .route(
            "/c/{token}",
            get(pages::confirm_page).post(pages::confirm_now),
        )
        .route(
            "/api/dialogues/{id}/invitees/{person}/calendar.ics",
            get(pages::invitee_calendar),
        )
        .route("/api/dialogues/{id}/posts", post(rest::post_info))
        .route(
            "/api/dialogues/{id}/questions/{question}/outcome",
            post(rest::record_outcome),
        )
        .route(
            "/api/dialogues",
            post(rest::create_dialogue).get(rest::list_dialogues),
        )
        .route("/api/dialogues/{id}", get(rest::staff_view))
        .route(
            "/api/dialogues/{id}/info",
            axum::routing::put(rest::set_info),
        )
        .route("/api/dialogues/{id}/phase", post(rest::set_phase))
        .route("/api/dialogues/{id}/panelists", post(rest::add_panelist))
        .route("/api/dialogues/{id}/moderators", post(rest::add_moderator))
        .route("/api/dialogues/{id}/screen", post(rest::screen_invite))
        .route(
            "/api/dialogues/{id}/invitees/{person}/link",
            post(invitations::reissue),
        )
        .route("/api/dialogues/{id}/audit", get(audit::audit_export))
        .route("/api/dialogues/{id}/erasures", post(audit::erase))
        .route(
            "/api/dialogues/{id}/tip-recipients",
            axum::routing::put(safety::set_tip_recipients),
        )
        .route("/api/safety", get(safety::safety))
        .merge(photos::routes())
        .merge(web::routes())
        .merge(crate::identity::routes())
        .merge(crate::identity::oidc::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            body_deadline::read_within_deadline,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            body_deadline::MAX_BODY_BYTES,
        ))
        // After the 64 KiB cap and its deadline: the upload has its own of each.
        .merge(photos::upload_routes())
        // No browser guesses a type other than the one sent (a CSV or JSON
        // export read as HTML would run what a participant wrote).
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            axum::http::HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}
