//! Opt-in e-mail notes on a question's fate, for whoever holds its receipt:
//! leaving an address (JSON, or the receipt page's form without JavaScript),
//! withdrawing it, the single-use confirm link of the one message an address
//! gets before it is confirmed, and the single-use unsubscribe link every
//! message carries. The address goes to the store's mail tables only
//! (`store/mail.rs`).

use super::lang::Lang;
use super::receipt_lookup::question_of;
use super::{head, html};
use crate::domain::authorize::Action;
use crate::protocol::ErrorCode;
use crate::protocol::rest::{LangQuery, MailNoteBody, MailNoteForm};
use crate::store::MailAddress;
use crate::transport::{ApiError, AppState, Body};
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use html_escape::encode_double_quoted_attribute as attr;
use std::fmt::Write;
use std::net::SocketAddr;

/// An address as people type it, checked by the SMTP client's own parser.
fn parse_address(raw: &str) -> Result<MailAddress, ApiError> {
    let trimmed = raw.trim();
    let bad = || ApiError::new(ErrorCode::BadRequest, "that is not an e-mail address");
    if trimmed.len() > 254 {
        return Err(bad());
    }
    let parsed: lettre::Address = trimmed.parse().map_err(|_| bad())?;
    Ok(MailAddress::new(parsed.to_string()))
}

fn mail_on(state: &AppState) -> Result<(), ApiError> {
    if crate::mail::enabled(&state.settings) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::NotFound,
            "this server sends no e-mail notes",
        ))
    }
}

async fn subscribe(
    state: &AppState,
    peer: SocketAddr,
    raw: &str,
    address: &str,
) -> Result<(), ApiError> {
    mail_on(state)?;
    let address = parse_address(address)?;
    let asked = question_of(state, peer, raw).await?;
    crate::identity::holder(Action::ReceiptMail)?;
    let now = chrono::Utc::now().timestamp_millis();
    let confirming = state
        .registry
        .store()
        .mail_subscribe(
            asked.dialogue,
            asked.question,
            &asked.receipt,
            &address,
            &asked.title,
            now,
        )
        .await?;
    tracing::info!(dialogue = %asked.dialogue, question = asked.question, confirming, "mail notes subscribed");
    Ok(())
}

/// `POST /api/receipts/{receipt}/mail`: keep an address for notes on this question.
pub async fn subscribe_json(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(raw): Path<String>,
    Body(req): Body<MailNoteBody>,
) -> Result<StatusCode, ApiError> {
    subscribe(&state, peer, &raw, &req.address).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/receipts/{receipt}/mail`: no more notes; the address is deleted.
pub async fn unsubscribe_json(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let asked = question_of(&state, peer, &raw).await?;
    crate::identity::holder(Action::ReceiptMail)?;
    state
        .registry
        .store()
        .mail_forget(asked.dialogue, &[asked.question])
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /r/{receipt}/mail`: the receipt page's form, without JavaScript.
pub async fn subscribe_form(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(raw): Path<String>,
    Form(f): Form<MailNoteForm>,
) -> Response {
    let lang = Lang::named(f.lang.as_deref());
    let mut out = String::new();
    head(&mut out, &lang, lang.t("notify_title"));
    let _ = write!(out, "<h1>{}</h1>", lang.t("notify_title"));
    let status = match subscribe(&state, peer, &raw, &f.address).await {
        Ok(()) => {
            let _ = write!(
                out,
                "<p role=\"status\" class=\"notice\">{}</p><p><a href=\"/r/{}?lang={}\">{}</a></p>",
                lang.t("notify_saved"),
                attr(raw.trim()),
                lang.code(),
                lang.t("rec_receipt_title"),
            );
            StatusCode::OK
        }
        Err(e) => {
            let key = match e.code() {
                ErrorCode::BadRequest => "notify_bad",
                ErrorCode::RateLimited => "rec_receipt_limited",
                _ => "rec_receipt_none",
            };
            let _ = write!(
                out,
                "<p role=\"alert\" class=\"notice\">{}</p>",
                lang.t(key)
            );
            if e.code() == ErrorCode::BadRequest {
                form(&mut out, &lang, &raw, Some(&f.address));
            }
            e.status()
        }
    };
    out.push_str("</main></body></html>");
    let mut response = html(out);
    *response.status_mut() = status;
    response
}

/// The receipt page's form for an address (`typed` refills it after a mistake).
pub(super) fn form(out: &mut String, lang: &Lang, receipt: &str, typed: Option<&str>) {
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-notify\" class=\"notify-form\"><h2 id=\"h-notify\">{}</h2><p>{}</p>\
         <form action=\"/r/{}/mail\" method=\"post\"><input type=\"hidden\" name=\"lang\" value=\"{}\">\
         <label for=\"notify-address\">{}</label> <input id=\"notify-address\" name=\"address\" type=\"email\" \
         autocomplete=\"email\" required value=\"{}\"> <button type=\"submit\">{}</button></form></section>",
        lang.t("notify_title"),
        lang.t("notify_intro"),
        attr(receipt.trim()),
        lang.code(),
        lang.t("notify_label"),
        attr(typed.unwrap_or_default()),
        lang.t("notify_submit"),
    );
}

/// The words of a page a link in a message opens.
struct LinkWords {
    title: &'static str,
    ask: &'static str,
    button: &'static str,
    done: &'static str,
    none: &'static str,
}

const UNSUBSCRIBE: LinkWords = LinkWords {
    title: "unsub_title",
    ask: "unsub_ask",
    button: "unsub_confirm",
    done: "unsub_done",
    none: "unsub_none",
};

const CONFIRM: LinkWords = LinkWords {
    title: "confirm_title",
    ask: "confirm_ask",
    button: "confirm_button",
    done: "confirm_done",
    none: "confirm_none",
};

/// What `GET` on a link shows: its question and one button that `POST`s to
/// the same link. Mail scanners open links, so opening one does nothing.
fn ask_page(
    words: &LinkWords,
    path: &str,
    token: &str,
    q: &LangQuery,
    headers: &HeaderMap,
) -> Response {
    let lang = Lang::of(q, headers);
    let mut out = String::new();
    head(&mut out, &lang, lang.t(words.title));
    let _ = write!(
        out,
        "<h1>{}</h1><p>{}</p><form action=\"/{path}/{}?lang={}\" method=\"post\">\
         <button type=\"submit\">{}</button></form></main></body></html>",
        lang.t(words.title),
        lang.t(words.ask),
        attr(token),
        lang.code(),
        lang.t(words.button),
    );
    html(out)
}

/// What `POST` on a link did: done, or a 404 page when it was used or is unknown.
fn used_page(words: &LinkWords, done: bool, q: &LangQuery, headers: &HeaderMap) -> Response {
    let lang = Lang::of(q, headers);
    let mut out = String::new();
    head(&mut out, &lang, lang.t(words.title));
    let _ = write!(
        out,
        "<h1>{}</h1><p role=\"status\" class=\"notice\">{}</p></main></body></html>",
        lang.t(words.title),
        lang.t(if done { words.done } else { words.none }),
    );
    let mut response = html(out).into_response();
    if !done {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    response
}

/// `GET /u/{token}`: asks before unsubscribing.
pub async fn unsubscribe_page(
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    ask_page(&UNSUBSCRIBE, "u", &token, &q, &headers)
}

/// `POST /u/{token}`: the token's subscription ends and its address is deleted;
/// also the one-click unsubscribe of mail programs (RFC 8058).
pub async fn unsubscribe_now(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // The token is checked by the one statement that ends what it opens; the
    // table is asked first, since nothing can be asked after it is gone.
    crate::identity::holder(Action::Unsubscribe)?;
    let gone = state
        .registry
        .store()
        .mail_unsubscribe_token(&crate::identity::hash(token.trim()))
        .await?;
    if gone {
        tracing::info!("mail notes unsubscribed by link");
    }
    Ok(used_page(&UNSUBSCRIBE, gone, &q, &headers))
}

/// `GET /c/{token}`: asks before confirming the address.
pub async fn confirm_page(
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    ask_page(&CONFIRM, "c", &token, &q, &headers)
}

/// `POST /c/{token}`: the address the confirmation went to is confirmed, and
/// the notes due by now are queued by the next scan; the token is spent.
pub async fn confirm_now(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // As for unsubscribing: the statement that spends the token checks it.
    crate::identity::holder(Action::ConfirmMail)?;
    let now = chrono::Utc::now().timestamp_millis();
    let confirmed = state
        .registry
        .store()
        .mail_confirm(&crate::identity::hash(token.trim()), now)
        .await?;
    if confirmed {
        tracing::info!("mail notes confirmed by link");
    }
    Ok(used_page(&CONFIRM, confirmed, &q, &headers))
}
