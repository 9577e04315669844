//! The receipt lookup: one question's fate for whoever holds its receipt code,
//! as JSON and as a page usable without JavaScript. Misses are rate-limited.

use super::lang::Lang;
use super::{answer_and_follow_up, fate_label, head_keeping, html, restarting};
use crate::domain::{Dialogue, DialogueId};
use crate::protocol::public_record::{self, ReceiptWire};
use crate::protocol::rest::LangQuery;
use crate::protocol::walk_report::action_status_wire;
use crate::protocol::walk_wire::ReceiptObservation;
use crate::protocol::{ErrorCode, receipt};
use crate::transport::{ApiError, AppState};
use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use std::fmt::Write;
use std::net::SocketAddr;
use std::time::Instant;

/// Looks a receipt up. A miss (wrong, guessed, another dialogue's) counts against
/// the address; after too many, every lookup is refused for the rest of the minute.
async fn lookup<T: Send + 'static>(
    state: &AppState,
    peer: SocketAddr,
    raw: &str,
    make: impl FnOnce(&ReceiptWire<'_>) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let (_, _, found) = find(state, peer, raw, move |d, secret| {
        public_record::receipt(d, secret).map(|r| make(&r))
    })
    .await?;
    Ok(found)
}

/// The question a receipt finds, for its e-mail notes.
pub(super) struct Asked {
    pub dialogue: DialogueId,
    /// The receipt as printed.
    pub receipt: String,
    pub question: u64,
    /// The dialogue's title, as the notes name it.
    pub title: String,
}

/// The dialogue and question behind a receipt; a miss counts as in a lookup.
pub(super) async fn question_of(
    state: &AppState,
    peer: SocketAddr,
    raw: &str,
) -> Result<Asked, ApiError> {
    let (dialogue, receipt, (question, title)) = find(state, peer, raw, |d, secret| {
        let q = d.receipts.get(secret)?;
        Some((q.0, d.info.title.clone()))
    })
    .await?;
    Ok(Asked {
        dialogue,
        receipt,
        question,
        title,
    })
}

async fn find<T: Send + 'static>(
    state: &AppState,
    peer: SocketAddr,
    raw: &str,
    make: impl FnOnce(&Dialogue, &str) -> Option<T> + Send + 'static,
) -> Result<(DialogueId, String, T), ApiError> {
    let now = Instant::now();
    if state.limits.receipts_blocked(peer.ip(), now) {
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many receipt lookups that found nothing; wait a minute",
        ));
    }
    let miss = || {
        state.limits.receipt_missed(peer.ip(), now);
        ApiError::new(ErrorCode::NotFound, "no question with that receipt code")
    };
    let (code, secret) = receipt::parse(raw).ok_or_else(miss)?;
    let Some(handle) = state.registry.by_code(&code).await? else {
        return Err(miss());
    };
    let printed = receipt::full(&code, &secret);
    let found = handle
        .read(move |d| make(d, &secret))
        .await
        .ok_or_else(restarting)?;
    Ok((handle.id, printed, found.ok_or_else(miss)?))
}

/// `GET /api/receipts/{receipt}`: one question's fate, as JSON.
pub async fn receipt_json(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let found = lookup(&state, peer, &raw, |r| {
        serde_json::to_value(r).expect("receipt serializes")
    })
    .await?;
    Ok(Json(found).into_response())
}

/// `/r?code=…` and `/r/{receipt}`: the lookup as a page, usable without JavaScript.
pub async fn receipt_page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    raw: Option<Path<String>>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(&q, &headers);
    // `/r?code=…` (the form's answer) keeps its code when the language changes;
    // `/r/{receipt}` keeps it in the path.
    let keep = match (&raw, &q.code) {
        (None, Some(code)) => format!("&code={}", url_encoded(code)),
        _ => String::new(),
    };
    let raw = raw.map(|Path(r)| r).or(q.code.clone()).unwrap_or_default();
    let mut out = String::new();
    head_keeping(&mut out, &lang, lang.t("rec_receipt_title"), &keep);
    let _ = write!(out, "<h1>{}</h1>", lang.t("rec_receipt_title"));
    let mut status = axum::http::StatusCode::OK;
    if !raw.trim().is_empty() {
        let tz = super::lang::zone(&state);
        let found = lookup(&state, peer, &raw, move |r| {
            let mut html = String::new();
            receipt_html(&mut html, &lang, tz, r);
            html
        })
        .await;
        match found {
            Ok(html) => {
                out.push_str(&html);
                if crate::mail::enabled(&state.settings) {
                    super::mail_notes::form(&mut out, &lang, &raw, None);
                }
            }
            Err(e) => {
                status = e.status();
                let key = if e.code() == ErrorCode::RateLimited {
                    "rec_receipt_limited"
                } else {
                    "rec_receipt_none"
                };
                let _ = write!(
                    out,
                    "<p role=\"alert\" class=\"notice\">{}</p>",
                    lang.t(key)
                );
            }
        }
    }
    receipt_form(&mut out, &lang, &raw);
    out.push_str("</main></body></html>");
    let mut response = html(out);
    *response.status_mut() = status;
    response
}

/// A query value, percent-encoded (a receipt code is letters and digits, but the
/// form takes whatever is typed).
fn url_encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn receipt_html(out: &mut String, lang: &Lang, tz: chrono_tz::Tz, r: &ReceiptWire<'_>) {
    let _ = write!(
        out,
        "<section class=\"receipt\" aria-labelledby=\"h-fate\"><p>{} <a href=\"/d/{}{}\">{}</a></p>\
         <h2 id=\"h-fate\">{} {}</h2>",
        lang.t("rec_receipt_in"),
        attr(r.code),
        lang.query(),
        text(r.dialogue_title),
        lang.t("rec_question"),
        r.question_id
    );
    if let Some(t) = r.text {
        let _ = write!(out, "<p class=\"text\">{}</p>", text(t));
    }
    let _ = write!(
        out,
        "<p class=\"fate fate-{}\"><strong>{}</strong></p>",
        r.fate.code(),
        fate_label(lang, r.fate)
    );
    if let Some(reason) = r.reason {
        let _ = write!(
            out,
            "<p>{} {}</p>",
            lang.t("rec_reason"),
            lang.t(&format!("reason_{}", reason.code()))
        );
    }
    if let Some(plan) = r.unreached_plan {
        let _ = write!(out, "<p>{}</p>", text(plan));
    }
    answer_and_follow_up(out, lang, r.answer, r.follow_up.as_ref(), "h3");
    if let Some(target) = &r.merged_into {
        let _ = write!(
            out,
            "<p>{} <a href=\"/d/{}#q{}\">{} {}</a>: {}</p>",
            lang.t("rec_merged_into"),
            attr(r.code),
            target.id,
            lang.t("rec_question"),
            target.id,
            text(target.text)
        );
    }
    if let Some(o) = &r.observation {
        observation_html(out, lang, tz, o);
    }
    out.push_str("</section>");
}

/// An observation's place, category and rating, and every action that came of it
/// with its dated history.
fn observation_html(out: &mut String, lang: &Lang, tz: chrono_tz::Tz, o: &ReceiptObservation<'_>) {
    let place = match (o.place.stop, o.stop_name) {
        (Some(n), Some(name)) => format!("{} {n}: {}", lang.t("rec_walk_stop"), text(name)),
        (Some(n), None) => format!("{} {n}", lang.t("rec_walk_stop")),
        (None, _) => lang.t("rec_walk_near").to_string(),
    };
    // Categories are named in Swedish and English only.
    let category = if *lang == Lang::En {
        o.category_name.en
    } else {
        o.category_name.sv
    };
    let _ = write!(
        out,
        "<h3>{}</h3><p>{place}</p><p>{} {}</p><p>{} {}</p><h3>{}</h3>",
        lang.t("rec_walk_observation"),
        lang.t("rec_walk_category"),
        text(category),
        lang.t("rec_walk_felt_safety"),
        o.place.felt_safety,
        lang.t("rec_walk_actions"),
    );
    if o.actions.is_empty() {
        let _ = write!(out, "<p>{}</p>", lang.t("rec_walk_no_actions"));
        return;
    }
    out.push_str("<ul class=\"actions\">");
    for a in &o.actions {
        let status = action_status_wire(a.status.into());
        let _ = write!(
            out,
            "<li><strong>{}</strong> · {} {} · {} {} · <span class=\"status status-{status}\">{}</span><ol>",
            text(a.title),
            lang.t("rec_owner"),
            text(a.responsible),
            lang.t("rec_due"),
            a.due,
            lang.t(&format!("rec_walk_status_{status}")),
        );
        for c in &a.history {
            let _ = write!(
                out,
                "<li>{}: {}",
                lang.time(c.at, tz),
                lang.t(&format!("rec_walk_status_{}", c.status)),
            );
            if !c.note.is_empty() {
                let _ = write!(out, " – {}", text(c.note));
            }
            out.push_str("</li>");
        }
        out.push_str("</ol></li>");
    }
    out.push_str("</ul>");
}

pub(super) fn receipt_form(out: &mut String, lang: &Lang, value: &str) {
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-receipt\" class=\"receipt-form\"><h2 id=\"h-receipt\">{}</h2>\
         <form action=\"/r\" method=\"get\"><input type=\"hidden\" name=\"lang\" value=\"{}\">\
         <label for=\"receipt-code\">{}</label> <input id=\"receipt-code\" name=\"code\" dir=\"ltr\" \
         autocomplete=\"off\" spellcheck=\"false\" value=\"{}\"> <button type=\"submit\">{}</button></form></section>",
        lang.t("rec_receipt_title"),
        lang.code(),
        lang.t("rec_receipt_label"),
        attr(value),
        lang.t("rec_receipt_show"),
    );
}
