//! What anyone may read without an account or JavaScript: a dialogue's public
//! page (its announcement, and after the meeting its record), the record's
//! exports, the calendar file, and the receipt lookup.
//!
//! Every text shown here comes from `protocol::public_record`, which reads approved
//! text only. Strings are the web client's locale files, Swedish first.

use super::rest::{Bearer, public_url, require_organizer};
use super::{ApiError, AppState};
use crate::domain::{Dialogue, Phase, Role};
use crate::protocol::public_record::{self, ReceiptWire, RecordQuestion, RecordWire};
use crate::protocol::{ErrorCode, FateWire, FollowUpWire, receipt};
use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write;
use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Instant;
use uuid::Uuid;

/// Server-rendered pages load nothing but their stylesheet and the QR image, and
/// submit only the receipt form, to themselves.
const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const TZ: chrono_tz::Tz = chrono_tz::Europe::Stockholm;

type Strings = HashMap<String, String>;

fn load_locale(lang: &str) -> Strings {
    let file = super::web::Assets::get(&format!("locales/{lang}.json"))
        .expect("locale files are embedded");
    serde_json::from_slice(&file.data).expect("locale files are valid JSON")
}

static SV: LazyLock<Strings> = LazyLock::new(|| load_locale("sv"));
static EN: LazyLock<Strings> = LazyLock::new(|| load_locale("en"));

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
    code: Option<String>,
}

/// Swedish unless English is asked for.
#[derive(Clone, Copy)]
struct Lang {
    en: bool,
}

impl Lang {
    fn of(q: &LangQuery) -> Lang {
        Lang {
            en: q.lang.as_deref() == Some("en"),
        }
    }

    fn t(&self, key: &str) -> &'static str {
        let table: &'static Strings = if self.en { &EN } else { &SV };
        table
            .get(key)
            .or_else(|| SV.get(key))
            .map_or("", String::as_str)
    }

    fn code(&self) -> &'static str {
        if self.en { "en" } else { "sv" }
    }

    /// The other language's link and name, for the language switch.
    fn other(&self) -> (&'static str, &'static str, &'static str) {
        if self.en {
            ("?lang=sv", "sv", "Svenska")
        } else {
            ("?lang=en", "en", "English")
        }
    }

    fn time(&self, ms: i64) -> String {
        let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
            return String::new();
        };
        let local = t.with_timezone(&TZ);
        if self.en {
            local.format("%-d %B %Y, %H:%M").to_string()
        } else {
            let month = [
                "januari",
                "februari",
                "mars",
                "april",
                "maj",
                "juni",
                "juli",
                "augusti",
                "september",
                "oktober",
                "november",
                "december",
            ][chrono::Datelike::month0(&local) as usize];
            format!(
                "{} {month} {}, kl. {}",
                local.format("%-d"),
                local.format("%Y"),
                local.format("%H:%M")
            )
        }
    }
}

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
    let made = handle
        .read(|d| (d.phase != Phase::Draft).then(|| make(d)))
        .await
        .ok_or_else(restarting)?
        .ok_or_else(|| super::join_code::missed(state, peer.ip()))?;
    Ok((handle.code, made))
}

fn restarting() -> ApiError {
    ApiError::new(ErrorCode::Unavailable, "the dialogue is restarting; retry")
}

fn html(body: String) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
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
    let (href, other_code, other_name) = lang.other();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} – {}</title><link rel=\"stylesheet\" href=\"/assets/css/record.css\"></head>\
         <body><a class=\"skip\" href=\"#main\">{}</a><header class=\"bar\"><p class=\"brand\">{}</p>\
         <nav aria-label=\"{}\"><a href=\"{href}\" lang=\"{other_code}\" hreflang=\"{other_code}\">{other_name}</a></nav></header>\
         <main id=\"main\">",
        lang.code(),
        text(title),
        lang.t("brand"),
        lang.t("skip_to_content"),
        lang.t("brand"),
        lang.t("rec_language"),
    );
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

/// One question as the record shows it: approved text, answer, promise, fate.
fn question_html(out: &mut String, lang: &Lang, q: &RecordQuestion<'_>) {
    let _ = write!(
        out,
        "<article class=\"question\" id=\"q{}\"><h3>{} {}</h3><p class=\"text\">{}</p>",
        q.id,
        lang.t("rec_question"),
        q.id,
        text(q.text)
    );
    if let Some(name) = q.display_name {
        let _ = write!(
            out,
            "<p class=\"meta\">{} {}</p>",
            lang.t("rec_asked_by"),
            text(name)
        );
    }
    let _ = write!(
        out,
        "<p class=\"meta\">{}: {} · {}</p><p class=\"fate fate-{}\"><strong>{}</strong></p>",
        lang.t("rec_votes"),
        q.votes,
        lang.t(if q.origin == crate::protocol::OriginWire::InRoom {
            "rec_origin_in_room"
        } else {
            "rec_origin_remote"
        }),
        q.fate.code(),
        fate_label(lang, q.fate)
    );
    answer_and_follow_up(out, lang, q.answer, q.follow_up.as_ref(), "h4");
    out.push_str("</article>");
}

fn page_html(rec: &RecordWire<'_>, lang: &Lang, join_url: &str, plan: &str) -> String {
    let d = &rec.dialogue;
    let mut out = String::new();
    head(&mut out, lang, &d.info.title);
    let status = match d.phase {
        crate::protocol::PhaseWire::Open => lang.t("rec_status_open"),
        crate::protocol::PhaseWire::Live => lang.t("rec_status_live"),
        crate::protocol::PhaseWire::Closed => lang.t("rec_status_closed"),
        crate::protocol::PhaseWire::Draft => "",
    };
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"status\">{}</p>",
        text(&d.info.title),
        status
    );
    let taking = matches!(
        d.phase,
        crate::protocol::PhaseWire::Open | crate::protocol::PhaseWire::Live
    );
    if taking {
        let _ = write!(
            out,
            "<p><a class=\"cta\" href=\"/j/{}\">{}</a></p>",
            attr(&d.code),
            lang.t("rec_ask_now")
        );
    }
    if !d.info.description.is_empty() {
        let _ = write!(out, "<p>{}</p>", text(&d.info.description));
    }
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-purpose\"><h2 id=\"h-purpose\">{}</h2><p>{}</p></section>",
        lang.t("rec_purpose"),
        text(&d.info.purpose)
    );
    out.push_str("<dl class=\"facts\">");
    if let Some(start) = d.info.starts_at {
        let when = match d.info.ends_at {
            Some(end) => format!("{} – {}", lang.time(start), lang.time(end)),
            None => lang.time(start),
        };
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            lang.t("rec_when"),
            text(&when)
        );
    }
    if !d.info.venue.is_empty() || !d.info.address.is_empty() {
        let place = [d.info.venue.as_str(), d.info.address.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            lang.t("rec_where"),
            text(&place)
        );
    }
    if !d.info.livestream_url.is_empty() {
        let _ = write!(
            out,
            "<dt>{}</dt><dd><a href=\"{}\">{}</a></dd>",
            lang.t("rec_livestream"),
            attr(&d.info.livestream_url),
            text(&d.info.livestream_url)
        );
    }
    out.push_str("</dl>");
    if d.phase != crate::protocol::PhaseWire::Closed {
        let _ = write!(
            out,
            "<section aria-labelledby=\"h-remote\"><h2 id=\"h-remote\">{}</h2><p>{}</p>\
             <p><a href=\"{}\">{}</a> · {} <strong>{}</strong></p>\
             <img class=\"qr\" src=\"/qr/{}\" alt=\"{}\" width=\"160\" height=\"160\"></section>",
            lang.t("rec_remote_title"),
            lang.t("rec_remote_howto"),
            attr(join_url),
            text(join_url),
            lang.t("rec_code"),
            text(&d.code),
            attr(&d.code),
            lang.t("rec_qr_alt"),
        );
    }
    if !d.panel.is_empty() {
        let _ = write!(
            out,
            "<section aria-labelledby=\"h-panel\"><h2 id=\"h-panel\">{}</h2><ul class=\"panel\">",
            lang.t("rec_panel")
        );
        for p in &d.panel {
            let detail = [p.title.as_str(), p.organisation.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let _ = write!(
                out,
                "<li><strong>{}</strong>{}{} <span class=\"kind\">({})</span></li>",
                text(&p.name),
                if detail.is_empty() { "" } else { ", " },
                text(&detail),
                kind_label(lang, p.kind)
            );
        }
        out.push_str("</ul></section>");
    }
    if !rec.posts.is_empty() {
        let _ = write!(
            out,
            "<section aria-labelledby=\"h-posts\"><h2 id=\"h-posts\">{}</h2>",
            lang.t("rec_posts")
        );
        for p in &rec.posts {
            let _ = write!(
                out,
                "<article class=\"post\"><p>{}</p><p class=\"meta\">{} {}",
                text(p.text),
                lang.t("rec_source"),
                text(p.source)
            );
            if let Some(link) = p.link {
                let _ = write!(out, " · <a href=\"{}\">{}</a>", attr(link), text(link));
            }
            if p.edited_at.is_some() {
                let _ = write!(out, " · {}", lang.t("rec_edited"));
            }
            out.push_str("</p></article>");
        }
        out.push_str("</section>");
    }
    if !rec.questions.is_empty() || rec.is_final {
        let _ = write!(
            out,
            "<section aria-labelledby=\"h-questions\"><h2 id=\"h-questions\">{}</h2>",
            lang.t(if rec.is_final {
                "rec_questions_final"
            } else {
                "rec_questions_so_far"
            })
        );
        if rec.is_final && !plan.is_empty() && rec.figures.not_reached > 0 {
            let _ = write!(
                out,
                "<p><strong>{}</strong> {}</p>",
                lang.t("rec_unreached_plan"),
                text(plan)
            );
        }
        for q in &rec.questions {
            question_html(&mut out, lang, q);
        }
        out.push_str("</section>");
    }
    polls_html(&mut out, lang, rec);
    if !rec.questions.is_empty() || rec.is_final {
        figures_html(&mut out, lang, rec);
    }
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-files\" class=\"files\"><h2 id=\"h-files\">{}</h2><ul>\
         <li><a href=\"/d/{code}/calendar.ics\">{}</a></li>\
         <li><a href=\"/d/{code}/record.csv\">{}</a></li>\
         <li><a href=\"/d/{code}/record.json\">{}</a></li></ul></section>",
        lang.t("rec_files"),
        lang.t("rec_calendar"),
        lang.t("rec_csv"),
        lang.t("rec_json"),
        code = attr(&d.code),
    );
    receipt_form(&mut out, lang, "");
    out.push_str("</main></body></html>");
    out
}

/// Polls with public results: the question, each option's count and share.
fn polls_html(out: &mut String, lang: &Lang, rec: &RecordWire<'_>) {
    let shown: Vec<_> = rec.polls.iter().filter(|p| p.results.is_some()).collect();
    if shown.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-polls\"><h2 id=\"h-polls\">{}</h2>",
        lang.t("rec_polls")
    );
    for p in shown {
        let Some(r) = &p.results else { continue };
        let _ = write!(
            out,
            "<article class=\"poll\"><h3>{}</h3><table class=\"figures\"><tbody>",
            text(&p.question)
        );
        for (option, n) in p.options.iter().zip(&r.counts) {
            let share = (n * 100).checked_div(r.respondents).unwrap_or(0);
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{n} ({share} %)</td></tr>",
                text(option)
            );
        }
        let _ = write!(
            out,
            "</tbody></table><p class=\"meta\">{} {}</p></article>",
            lang.t("rec_poll_respondents"),
            r.respondents
        );
    }
    out.push_str("</section>");
}

fn figures_html(out: &mut String, lang: &Lang, rec: &RecordWire<'_>) {
    let f = &rec.figures;
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-figures\"><h2 id=\"h-figures\">{}</h2><table class=\"figures\"><tbody>",
        lang.t("rec_figures")
    );
    let mut row = |label: &str, n: String| {
        let _ = write!(out, "<tr><th scope=\"row\">{label}</th><td>{n}</td></tr>");
    };
    if let Some(a) = f.attendance {
        row(lang.t("rec_fig_in_room"), a.in_room.to_string());
        row(lang.t("rec_fig_remote"), a.remote.to_string());
    }
    row(lang.t("rec_fig_asked"), f.questions_asked.to_string());
    row(lang.t("rec_fig_approved"), f.approved.to_string());
    let rejected: u64 = f.rejected.values().sum();
    let by_reason = f
        .rejected
        .iter()
        .map(|(reason, n)| format!("{} {n}", lang.t(&format!("reason_{reason}"))))
        .collect::<Vec<_>>()
        .join(", ");
    row(
        lang.t("rec_fig_rejected"),
        if by_reason.is_empty() {
            rejected.to_string()
        } else {
            format!("{rejected} ({})", text(&by_reason))
        },
    );
    row(lang.t("rec_fig_merged"), f.merged.to_string());
    row(lang.t("rec_fig_answered_live"), f.answered_live.to_string());
    row(
        lang.t("rec_fig_in_writing"),
        f.answered_in_writing.to_string(),
    );
    row(lang.t("rec_fig_followed_up"), f.followed_up.to_string());
    row(lang.t("rec_fig_not_reached"), f.not_reached.to_string());
    out.push_str("</tbody></table></section>");
}

fn receipt_form(out: &mut String, lang: &Lang, value: &str) {
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-receipt\" class=\"receipt-form\"><h2 id=\"h-receipt\">{}</h2>\
         <form action=\"/r\" method=\"get\"><input type=\"hidden\" name=\"lang\" value=\"{}\">\
         <label for=\"receipt-code\">{}</label> <input id=\"receipt-code\" name=\"code\" \
         autocomplete=\"off\" spellcheck=\"false\" value=\"{}\"> <button type=\"submit\">{}</button></form></section>",
        lang.t("rec_receipt_title"),
        lang.code(),
        lang.t("rec_receipt_label"),
        attr(value),
        lang.t("rec_receipt_show"),
    );
}

/// `/d/{code}`: the announcement before the meeting, the record after it.
pub async fn public_page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::of(&q);
    let base = public_url(&state).to_string();
    let (_, body) = read_published(&state, peer, &code, move |d| {
        let join_url = format!("{base}/j/{}", d.code);
        page_html(
            &public_record::record(d),
            &lang,
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

/// The record's questions, one row each, for spreadsheets.
pub fn record_csv_text(d: &Dialogue) -> String {
    let rec = public_record::record(d);
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "question_id",
        "asked_at",
        "origin",
        "display_name",
        "text",
        "votes",
        "fate",
        "written_answer",
        "follow_up_owner",
        "follow_up_due",
        "follow_up_outcome",
    ]);
    for q in &rec.questions {
        let asked = chrono::DateTime::from_timestamp_millis(q.asked_at)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        let origin = if q.origin == crate::protocol::OriginWire::InRoom {
            "in_room"
        } else {
            "remote"
        };
        let f = q.follow_up.as_ref();
        let id = q.id.to_string();
        let row = [
            id.as_str(),
            &asked,
            origin,
            q.display_name.unwrap_or(""),
            q.text,
            &q.votes.to_string(),
            q.fate.code(),
            q.answer.unwrap_or(""),
            f.map_or("", |f| f.owner),
            &f.map(|f| f.due.to_string()).unwrap_or_default(),
            f.and_then(|f| f.outcome).unwrap_or(""),
        ];
        let _ = w.write_record(
            row.map(super::safe_text::csv_cell)
                .iter()
                .map(|c| c.as_ref()),
        );
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// `/d/{code}/record.csv`.
pub async fn record_csv(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let (code, body) = read_published(&state, peer, &code, record_csv_text).await?;
    Ok(download(body, "text/csv", &format!("{code}.csv")))
}

/// An RFC 5545 calendar with the meeting. The UID stays the dialogue's; SEQUENCE
/// grows when the time or place changes, so calendars update the entry.
pub fn calendar(d: &Dialogue, link: &str, note: &str) -> Option<String> {
    use icalendar::{Component, EventLike};
    let start = chrono::DateTime::from_timestamp_millis(d.info.starts_at?)?;
    let end = d
        .info
        .ends_at
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or(start + chrono::Duration::hours(2));
    let location = [d.info.venue.as_str(), d.info.address.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let mut description = String::new();
    if !d.info.purpose.is_empty() {
        description.push_str(&d.info.purpose);
        description.push_str("\n\n");
    }
    description.push_str(note);
    description.push('\n');
    description.push_str(link);
    // Every text is cleaned (ics_text) before the crate escapes it; the title
    // also names the calendar, a property the crate would write raw.
    use super::safe_text::{ics_property, ics_text};
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("{}@dialoghub", d.id))
        .summary(&ics_text(&d.info.title))
        .description(&ics_text(&description))
        .location(&ics_text(&location))
        .url(&ics_text(link))
        .starts(start)
        .ends(end)
        .sequence(d.schedule_sequence)
        .timestamp(chrono::Utc::now());
    if d.phase == Phase::Closed {
        event.status(icalendar::EventStatus::Confirmed);
    }
    let mut cal = icalendar::Calendar::new();
    cal.append_property(ics_property("NAME", &d.info.title))
        .append_property(ics_property("X-WR-CALNAME", &d.info.title))
        .push(event.done());
    Some(cal.done().to_string())
}

fn ics(body: Option<String>, code: &str) -> Result<Response, ApiError> {
    let body = body.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "the dialogue has no start time yet, so no calendar file",
        )
    })?;
    Ok(download(body, "text/calendar", &format!("{code}.ics")))
}

/// `/d/{code}/calendar.ics`: for the public, with the page's link.
pub async fn public_calendar(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let base = public_url(&state).to_string();
    let (code, body) = read_published(&state, peer, &code, move |d| {
        let link = format!("{base}/d/{}", d.code);
        calendar(d, &link, SV.get("rec_ics_public").map_or("", |s| s))
    })
    .await?;
    ics(body, &code)
}

/// `/api/dialogues/{id}/invitees/{person}/calendar.ics` (organizer): for one
/// panelist or moderator, carrying a fresh invitation link of theirs.
pub async fn invitee_calendar(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    Path((id, person)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    require_organizer(&claims)?;
    let handle = state
        .registry
        .get(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such dialogue"))?;
    let role = handle
        .read(move |d| {
            if d.panelists.iter().any(|p| p.id == person) {
                Some(Role::Panelist)
            } else if d.moderators.iter().any(|m| m.id == person) {
                Some(Role::Moderator)
            } else {
                None
            }
        })
        .await
        .ok_or_else(restarting)?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such panelist or moderator"))?;
    let page = if role == Role::Panelist {
        "panel"
    } else {
        "moderate"
    };
    let link = super::rest::invitation(&state, role, person, id, page).invite_url;
    let body = handle
        .read(move |d| calendar(d, &link, SV.get("rec_ics_invitee").map_or("", |s| s)))
        .await
        .ok_or_else(restarting)?;
    ics(body, &handle.code)
}

/// Looks a receipt up. A miss (wrong, guessed, another dialogue's) counts against
/// the address; after too many, every lookup is refused for the rest of the minute.
async fn lookup<T: Send + 'static>(
    state: &AppState,
    peer: SocketAddr,
    raw: &str,
    make: impl FnOnce(&ReceiptWire<'_>) -> T + Send + 'static,
) -> Result<T, ApiError> {
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
    let found = handle
        .read(move |d| public_record::receipt(d, &secret).map(|r| make(&r)))
        .await
        .ok_or_else(restarting)?;
    found.ok_or_else(miss)
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
) -> Response {
    let lang = Lang::of(&q);
    let raw = raw.map(|Path(r)| r).or(q.code.clone()).unwrap_or_default();
    let mut out = String::new();
    head(&mut out, &lang, lang.t("rec_receipt_title"));
    let _ = write!(out, "<h1>{}</h1>", lang.t("rec_receipt_title"));
    let mut status = axum::http::StatusCode::OK;
    if !raw.trim().is_empty() {
        let found = lookup(&state, peer, &raw, move |r| {
            let mut html = String::new();
            receipt_html(&mut html, &lang, r);
            html
        })
        .await;
        match found {
            Ok(html) => out.push_str(&html),
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

fn receipt_html(out: &mut String, lang: &Lang, r: &ReceiptWire<'_>) {
    let _ = write!(
        out,
        "<section class=\"receipt\" aria-labelledby=\"h-fate\"><p>{} <a href=\"/d/{}\">{}</a></p>\
         <h2 id=\"h-fate\">{} {}</h2>",
        lang.t("rec_receipt_in"),
        attr(r.code),
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
    out.push_str("</section>");
}
