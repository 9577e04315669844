//! `/o/{district}`: the district's page about its safety work. What is coming
//! (with time, place and how to take part remotely), what was said (links to the
//! records), every promise with its status on the server's day, filterable, and
//! the district's information posts with their charts. Read from the district
//! read model (`crate::district`), never from inside a dialogue's task.

use super::lang::Lang;
use super::{head, html};
use crate::district::promises::{self, Promise, PromiseKind, PromiseStatus};
use crate::district::{DistrictData, Snapshot, feed, today};
use crate::domain::Series;
use crate::domain::access::DistrictId;
use crate::protocol::ErrorCode;
use crate::protocol::rest::{DistrictPageQuery, LangQuery};
use crate::store::DistrictPost;
use crate::transport::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use std::fmt::Write;

pub(super) async fn district_data(
    state: &AppState,
    district: &str,
) -> Result<DistrictData, ApiError> {
    let missing = || ApiError::new(ErrorCode::NotFound, "no such district");
    let id = DistrictId::parse(district).map_err(|_| missing())?;
    state
        .district
        .read(state.registry.store().as_ref(), &id)
        .await?
        .ok_or_else(missing)
}

pub(super) fn lang_of(q: &DistrictPageQuery, headers: &HeaderMap) -> Lang {
    Lang::of(
        &LangQuery {
            lang: q.lang.clone(),
            code: None,
        },
        headers,
    )
}

/// `GET /o/{district}`.
pub async fn district_page(
    State(state): State<AppState>,
    Path(district): Path<String>,
    Query(q): Query<DistrictPageQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let data = district_data(&state, &district).await?;
    let now = state.clock.now_ms();
    let lang = lang_of(&q, &headers);
    Ok(html(page(&data, &lang, &q, now, super::lang::zone(&state))))
}

fn page(
    data: &DistrictData,
    lang: &Lang,
    q: &DistrictPageQuery,
    now: i64,
    tz: chrono_tz::Tz,
) -> String {
    let mut out = String::new();
    let title = lang.t("dist_title").replace("{name}", &data.name);
    head(&mut out, lang, &title);
    let base = format!("/o/{}", data.id.as_str());
    let _ = write!(
        out,
        "<h1>{}</h1><p>{}</p><p class=\"meta\">{}: <time datetime=\"{}\">{}</time></p>\
         <p class=\"files\">{}: <a href=\"{base}/calendar.ics\">{}</a> · <a href=\"{base}/feed.atom\">{}</a></p>",
        text(&title),
        lang.t("dist_intro"),
        lang.t("dist_updated"),
        iso(feed::last_updated(data, now, tz)),
        text(&lang.time(feed::last_updated(data, now, tz), tz)),
        lang.t("dist_follow"),
        lang.t("dist_calendar"),
        lang.t("dist_feed"),
    );
    upcoming(&mut out, data, lang, now, tz);
    promise_table(&mut out, data, lang, q, now, tz);
    posts(&mut out, data, lang, tz);
    past(&mut out, data, lang, now, tz);
    out.push_str("</main></body></html>");
    out
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn kind(s: &Snapshot, lang: &Lang) -> &'static str {
    lang.t(if s.is_walk() {
        "dist_kind_walk"
    } else {
        "dist_kind_meeting"
    })
}

fn place(s: &Snapshot) -> String {
    let info = &s.dialogue.info;
    [info.venue.as_str(), info.address.as_str()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

fn upcoming(out: &mut String, data: &DistrictData, lang: &Lang, now: i64, tz: chrono_tz::Tz) {
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-upcoming\"><h2 id=\"h-upcoming\">{}</h2>",
        lang.t("dist_upcoming")
    );
    let coming: Vec<_> = data.dialogues.iter().filter(|s| s.upcoming(now)).collect();
    if coming.is_empty() {
        let _ = write!(out, "<p>{}</p>", lang.t("dist_none_upcoming"));
    }
    for s in coming {
        let d = &s.dialogue;
        let info = &d.info;
        let _ = write!(
            out,
            "<article class=\"post meeting\"><h3><a href=\"/d/{code}{q}\">{}</a></h3><p class=\"meta\">{}</p><dl class=\"facts\"><dt>{}</dt><dd>{}</dd>",
            text(&info.title),
            kind(s, lang),
            lang.t("rec_when"),
            text(&match (info.starts_at, info.ends_at) {
                (Some(start), Some(end)) =>
                    format!("{} – {}", lang.time(start, tz), lang.time(end, tz)),
                (Some(start), None) => lang.time(start, tz),
                _ => lang.t("dist_time_unset").to_string(),
            }),
            code = attr(&d.code),
            q = lang_suffix(lang),
        );
        let where_ = place(s);
        if !where_.is_empty() {
            let _ = write!(
                out,
                "<dt>{}</dt><dd>{}</dd>",
                lang.t("rec_where"),
                text(&where_)
            );
        }
        let _ = write!(
            out,
            "<dt>{}</dt><dd><a href=\"/j/{}\">{}</a>",
            lang.t("dist_remote"),
            attr(&d.code),
            lang.t("dist_remote_ask")
        );
        if !info.livestream_url.is_empty() {
            let _ = write!(
                out,
                " · {}: <a href=\"{}\">{}</a>",
                lang.t("rec_livestream"),
                attr(&info.livestream_url),
                text(&info.livestream_url)
            );
        }
        out.push_str("</dd></dl></article>");
    }
    out.push_str("</section>");
}

fn lang_suffix(lang: &Lang) -> String {
    if *lang == Lang::Sv {
        String::new()
    } else {
        lang.query()
    }
}

fn promise_table(
    out: &mut String,
    data: &DistrictData,
    lang: &Lang,
    q: &DistrictPageQuery,
    now: i64,
    tz: chrono_tz::Tz,
) {
    let day = today(now, tz);
    let wanted = q.status.as_deref().and_then(PromiseStatus::parse);
    let place_filter = q.place.as_deref().filter(|p| !p.is_empty());
    let all: Vec<Promise<'_>> = data
        .dialogues
        .iter()
        .flat_map(|s| promises::of(s, day))
        .collect();
    let shown: Vec<&Promise<'_>> = all
        .iter()
        .filter(|p| wanted.is_none_or(|w| p.status == w))
        .filter(|p| place_filter.is_none_or(|c| p.snapshot.dialogue.code == c))
        .collect();
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-promises\" id=\"promises\"><h2 id=\"h-promises\">{}</h2>\
         <form class=\"filters\" method=\"get\" action=\"/o/{}#promises\" aria-label=\"{}\">",
        lang.t("dist_promises"),
        attr(data.id.as_str()),
        lang.t("dist_filter"),
    );
    if *lang != Lang::Sv {
        let _ = write!(
            out,
            "<input type=\"hidden\" name=\"lang\" value=\"{}\">",
            lang.code()
        );
    }
    let _ = write!(
        out,
        "<label for=\"f-status\">{}</label> <select id=\"f-status\" name=\"status\"><option value=\"\">{}</option>",
        lang.t("dist_filter_status"),
        lang.t("dist_filter_all")
    );
    for s in PromiseStatus::ALL {
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{}</option>",
            s.code(),
            if wanted == Some(s) { " selected" } else { "" },
            status_label(lang, s)
        );
    }
    let _ = write!(
        out,
        "</select> <label for=\"f-place\">{}</label> <select id=\"f-place\" name=\"place\"><option value=\"\">{}</option>",
        lang.t("dist_filter_place"),
        lang.t("dist_filter_all")
    );
    for s in data
        .dialogues
        .iter()
        .filter(|s| all.iter().any(|p| std::ptr::eq(p.snapshot, s.as_ref())))
    {
        let where_ = place(s);
        let label = if where_.is_empty() {
            s.dialogue.info.title.clone()
        } else {
            format!("{} ({where_})", s.dialogue.info.title)
        };
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{}</option>",
            attr(&s.dialogue.code),
            if place_filter == Some(s.dialogue.code.as_str()) {
                " selected"
            } else {
                ""
            },
            text(&label)
        );
    }
    let _ = write!(
        out,
        "</select> <button type=\"submit\">{}</button></form>",
        lang.t("dist_filter_apply")
    );
    let count = |s: PromiseStatus| shown.iter().filter(|p| p.status == s).count().to_string();
    let _ = write!(
        out,
        "<p class=\"meta\" role=\"status\">{}</p>",
        lang.t("dist_counts")
            .replace("{n}", &shown.len().to_string())
            .replace("{open}", &count(PromiseStatus::Open))
            .replace("{overdue}", &count(PromiseStatus::Overdue))
            .replace("{done}", &count(PromiseStatus::Done))
            .replace("{wont}", &count(PromiseStatus::WillNotBeDone))
    );
    if shown.is_empty() {
        let _ = write!(out, "<p>{}</p></section>", lang.t("dist_no_promises"));
        return;
    }
    let _ = write!(
        out,
        "<div class=\"scroll\"><table class=\"promises\"><caption>{}</caption><thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        lang.t("dist_promises"),
        lang.t("dist_promise"),
        lang.t("dist_from"),
        lang.t("dist_owner"),
        lang.t("dist_due"),
        lang.t("dist_filter_status"),
        lang.t("dist_outcome"),
    );
    for p in shown {
        let d = &p.snapshot.dialogue;
        let (kind_key, anchor) = match p.kind {
            PromiseKind::FollowUp(q) => ("dist_kind_follow_up", format!("#q{}", q.0)),
            PromiseKind::Action(_) => ("dist_kind_action", String::new()),
        };
        // Each cell names its column for a phone, where the rows stack (record.css).
        let _ = write!(
            out,
            "<tr class=\"promise status-{}\"><td data-label=\"{}\"><span class=\"meta\">{}</span><br>{}</td>\
             <td data-label=\"{}\"><a href=\"/d/{}{}{}\">{}</a></td><td data-label=\"{}\">{}</td>\
             <td data-label=\"{}\"><time datetime=\"{}\">{}</time></td>\
             <td data-label=\"{}\"><strong>{}</strong></td><td data-label=\"{}\">{}</td></tr>",
            p.status.code(),
            attr(lang.t("dist_promise")),
            lang.t(kind_key),
            text(p.what),
            attr(lang.t("dist_from")),
            attr(&d.code),
            lang_suffix(lang),
            anchor,
            text(&d.info.title),
            attr(lang.t("dist_owner")),
            text(p.owner),
            attr(lang.t("dist_due")),
            p.due,
            p.due,
            attr(lang.t("dist_filter_status")),
            status_label(lang, p.status),
            attr(lang.t("dist_outcome")),
            text(p.outcome.unwrap_or("")),
        );
    }
    out.push_str("</tbody></table></div></section>");
}

fn status_label(lang: &Lang, s: PromiseStatus) -> &'static str {
    lang.t(&format!("dist_status_{}", s.code()))
}

fn posts(out: &mut String, data: &DistrictData, lang: &Lang, tz: chrono_tz::Tz) {
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-posts\"><h2 id=\"h-posts\">{}</h2>",
        lang.t("dist_posts")
    );
    if data.posts.is_empty() {
        let _ = write!(out, "<p>{}</p>", lang.t("dist_no_posts"));
    }
    for p in &data.posts {
        post(out, data, lang, p, tz);
    }
    out.push_str("</section>");
}

fn post(out: &mut String, data: &DistrictData, lang: &Lang, p: &DistrictPost, tz: chrono_tz::Tz) {
    let _ = write!(
        out,
        "<article class=\"post\" id=\"post-{}\"><h3>{}</h3><p class=\"meta\">{} {}</p><p>{}</p><p class=\"meta\">{}: {}",
        p.id,
        text(&p.title),
        lang.t("dist_posted"),
        text(&lang.time(p.posted_at, tz)),
        text(&p.text),
        lang.t("dist_source"),
        text(&p.source),
    );
    if let Some(link) = &p.link {
        let _ = write!(out, " · <a href=\"{}\">{}</a>", attr(link), text(link));
    }
    out.push_str("</p>");
    if let Some(series) = p.series_csv.as_deref().and_then(|c| Series::parse(c).ok()) {
        let src = format!("/o/{}/posts/{}/chart.svg", data.id.as_str(), p.id);
        let source = p.series_source.as_deref().unwrap_or("");
        super::charts::figure(out, lang, &series, source, &src);
    }
    out.push_str("</article>");
}

fn past(out: &mut String, data: &DistrictData, lang: &Lang, now: i64, tz: chrono_tz::Tz) {
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-past\"><h2 id=\"h-past\">{}</h2>",
        lang.t("dist_past")
    );
    let mut gone: Vec<_> = data.dialogues.iter().filter(|s| !s.upcoming(now)).collect();
    gone.reverse();
    if gone.is_empty() {
        let _ = write!(out, "<p>{}</p>", lang.t("dist_none_past"));
    } else {
        out.push_str("<ul class=\"past\">");
        for s in gone {
            let d = &s.dialogue;
            let when = d
                .info
                .starts_at
                .map(|t| lang.time(t, tz))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<li><strong>{}</strong> ({}) {} · <a href=\"/d/{}{}\">{}</a></li>",
                text(&d.info.title),
                kind(s, lang),
                text(&when),
                attr(&d.code),
                lang_suffix(lang),
                lang.t("dist_record"),
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}
