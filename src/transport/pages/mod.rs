//! What anyone may read without an account or JavaScript: a dialogue's public
//! page (its announcement, and after the meeting its record), the record's
//! exports, the calendar file, and the receipt lookup.
//!
//! Every text shown here comes from `protocol::public_record`, which reads approved
//! text only. Strings are the web client's locale files, Swedish first.
//!
//! Here: what every page shares (head, security headers, labels) and the public
//! page and JSON record; `public_page.rs` renders the page, `exports.rs` the CSV
//! and calendar files, `receipt_lookup.rs` the receipt lookup, `mail_notes.rs` the
//! e-mail notes a receipt holder may ask for, `lang.rs` the two languages,
//! `district.rs` the district's page and `district_feeds.rs` its calendar and Atom
//! feed; `charts.rs` a post's chart, on the district's page and a dialogue's.

mod charts;
mod district;
mod district_feeds;
mod exports;
pub(crate) mod lang;
mod mail_notes;
mod public_page;
mod receipt_lookup;
mod walk;
mod walk_live;

pub use charts::{dialogue_chart, district_chart};
pub use district::district_page;
pub use district_feeds::{district_calendar, district_feed};
pub use exports::{invitee_calendar, public_calendar, record_csv};
pub use lang::locale_text;
pub use mail_notes::{
    confirm_now, confirm_page, subscribe_form, subscribe_json, unsubscribe_json, unsubscribe_now,
    unsubscribe_page,
};
pub use receipt_lookup::{receipt_json, receipt_page};
pub use walk::{WalkExport, walk_export};

use super::rest::public_url;
use super::{ApiError, AppState};
use crate::domain::{Dialogue, Phase};
use crate::protocol::public_record;
use crate::protocol::rest::LangQuery;
use crate::protocol::{ErrorCode, FateWire, FollowUpWire};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use html_escape::encode_text as text;
use lang::Lang;
use public_page::page_html;
use std::fmt::Write;
use std::net::SocketAddr;

/// Server-rendered pages load nothing but their stylesheet and the QR image, and
/// submit only the receipt form, to themselves.
const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A walk's page before the walk is over also runs its one script, which
/// follows the walk over a socket to this server (`walk_live.rs`).
const FOLLOW_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     script-src 'self'; connect-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Makes something of a published dialogue in one read; a draft is not found.
/// Returns the dialogue's join code with it (for links and file names).
/// A code that finds nothing (or a draft) counts against the address.
async fn read_published<T: Send + 'static>(
    state: &AppState,
    peer: SocketAddr,
    code: &str,
    make: impl FnOnce(&Dialogue) -> T + Send + 'static,
) -> Result<(String, T), ApiError> {
    let handle = super::join_code::find(state, peer.ip(), code).await?;
    // Rendered here, from the shared copy: not in the dialogue's task.
    let dialogue = handle.published().await.ok_or_else(restarting)?;
    if dialogue.phase == Phase::Draft {
        return Err(super::join_code::missed(state, peer.ip()));
    }
    Ok((handle.code, make(&dialogue)))
}

fn restarting() -> ApiError {
    ApiError::new(ErrorCode::Unavailable, "the dialogue is restarting; retry")
}

fn html(body: String) -> Response {
    html_with(body, POLICY)
}

fn html_with(body: String, policy: &'static str) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    // The language follows the browser's Accept-Language when the address names none.
    h.insert(header::VARY, HeaderValue::from_static("accept-language"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn head(out: &mut String, lang: &Lang, title: &str) {
    head_keeping(out, lang, title, "");
}

/// The page's head, its language links keeping `keep` (`&name=value…`, already
/// URL-encoded): what the page was asked for besides the language.
fn head_keeping(out: &mut String, lang: &Lang, title: &str, keep: &str) {
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} – {}</title><link rel=\"stylesheet\" href=\"/assets/css/record.css\"></head>\
         <body><a class=\"skip\" href=\"#main\">{}</a><header class=\"bar\"><p class=\"brand\">{}</p>\
         <nav aria-label=\"{}\"><ul class=\"langs\">",
        lang.code(),
        lang.dir(),
        text(title),
        lang.t("brand"),
        lang.t("skip_to_content"),
        lang.t("brand"),
        lang.t("rec_language"),
    );
    // Every language named in itself, so a visitor finds theirs whatever the page speaks.
    for other in Lang::ALL {
        let current = if other == *lang {
            " aria-current=\"true\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<li><a href=\"{}{}\" lang=\"{code}\" hreflang=\"{code}\" dir=\"{}\"{current}>{}</a></li>",
            other.query(),
            html_escape::encode_double_quoted_attribute(keep),
            other.dir(),
            other.name(),
            code = other.code(),
        );
    }
    out.push_str("</ul></nav></header><main id=\"main\">");
}

fn fate_label(lang: &Lang, fate: FateWire) -> &'static str {
    lang.t(&format!("rec_fate_{}", fate.code()))
}

fn kind_label(lang: &Lang, kind: crate::protocol::PanelKindWire) -> &'static str {
    lang.t(&format!("kind_{}", kind.code()))
}

/// A published written answer and a promised follow-up, under a question.
fn answer_and_follow_up(
    out: &mut String,
    lang: &Lang,
    answer: Option<&str>,
    follow_up: Option<&FollowUpWire<'_>>,
    h: &str,
) {
    if let Some(answer) = answer {
        let _ = write!(
            out,
            "<div class=\"answer\"><{h}>{}</{h}><p>{}</p></div>",
            lang.t("rec_written_answer"),
            text(answer)
        );
    }
    if let Some(f) = follow_up {
        let _ = write!(
            out,
            "<div class=\"follow-up\"><{h}>{}</{h}><p>{} {} · {} {}</p>",
            lang.t("rec_follow_up"),
            lang.t("rec_owner"),
            text(f.owner),
            lang.t("rec_due"),
            f.due
        );
        match f.outcome {
            Some(o) => {
                let _ = write!(
                    out,
                    "<p><strong>{}</strong> {}</p>",
                    lang.t("rec_outcome"),
                    text(o)
                );
            }
            None => {
                let _ = write!(out, "<p>{}</p>", lang.t("rec_outcome_pending"));
            }
        }
        out.push_str("</div>");
    }
}

/// `/d/{code}`: the announcement before the meeting, the record after it; a
/// walk's report.
pub async fn public_page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: crate::identity::Caller,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = Lang::of(&q, &headers);
    // A walk's page is its report.
    if let Some(page) = walk::walk_page(&state, peer, &caller, &code, lang).await? {
        return Ok(html_with(page, FOLLOW_POLICY));
    }
    let base = public_url(&state).to_string();
    let tz = lang::zone(&state);
    let (_, body) = read_published(&state, peer, &code, move |d| {
        let join_url = format!("{base}/j/{}", d.code);
        page_html(
            &public_record::record(d),
            &lang,
            tz,
            &join_url,
            &d.info.unreached_plan,
        )
    })
    .await?;
    Ok(html(body))
}

/// `/d/{code}/record.json`: the record for the municipality's own systems.
pub async fn record_json(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let (code, body) = read_published(&state, peer, &code, |d| {
        serde_json::to_string_pretty(&public_record::record(d)).expect("record serializes")
    })
    .await?;
    Ok(download(body, "application/json", &format!("{code}.json")))
}

fn download(body: String, mime: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, format!("{mime}; charset=utf-8")),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"dialog-{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}
