//! The district's calendar (RFC 5545, the `icalendar` crate as for one dialogue)
//! and Atom feed (RFC 4287, the `atom_syndication` crate). A calendar app or feed
//! reader polls these; each read comes from the district read model.

use super::district::{district_data, lang_of};
use super::exports::calendar_event;
use super::lang::Lang;
use crate::district::feed::{self, NewsKind};
use crate::protocol::rest::DistrictPageQuery;
use crate::transport::rest::public_url;
use crate::transport::safe_text::ics_property;
use crate::transport::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

pub(super) fn typed(body: String, mime: &'static str) -> Response {
    let mut response = ([(header::CONTENT_TYPE, mime)], body).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    response
}

/// `GET /o/{district}/calendar.ics`: the district's upcoming dialogues and walks.
/// Each entry keeps its dialogue's UID; SEQUENCE and LAST-MODIFIED move when its
/// time or place changes.
pub async fn district_calendar(
    State(state): State<AppState>,
    Path(district): Path<String>,
) -> Result<Response, ApiError> {
    use icalendar::Component;
    let data = district_data(&state, &district).await?;
    let now = state.clock.now_ms();
    let base = public_url(&state);
    let name = Lang::Sv.t("dist_title").replace("{name}", &data.name);
    let note = Lang::Sv.t("dist_ics_note");
    let mut cal = icalendar::Calendar::new();
    cal.append_property(ics_property("NAME", &name))
        .append_property(ics_property("X-WR-CALNAME", &name));
    for s in data.dialogues.iter().filter(|s| s.upcoming(now)) {
        let link = format!("{base}/d/{}", s.dialogue.code);
        if let Some(mut event) = calendar_event(&s.dialogue, &link, note) {
            if let Some(at) = chrono::DateTime::from_timestamp_millis(s.schedule_changed_at) {
                event.last_modified(at);
            }
            cal.push(event);
        }
    }
    Ok(typed(
        cal.done().to_string(),
        "text/calendar; charset=utf-8",
    ))
}

fn atom_time(ms: i64) -> atom_syndication::FixedDateTime {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .fixed_offset()
}

/// `GET /o/{district}/feed.atom`: what changed, newest first (a record
/// published, a promise kept, closed or overdue, an information post).
pub async fn district_feed(
    State(state): State<AppState>,
    Path(district): Path<String>,
    Query(q): Query<DistrictPageQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    use atom_syndication::{Entry, Feed, Link, Person, Text};
    let data = district_data(&state, &district).await?;
    let now = state.clock.now_ms();
    let lang = lang_of(&q, &headers);
    let t = |k: &str| lang.t(k).to_string();
    let base = public_url(&state);
    let page = format!("{base}/o/{}", data.id.as_str());
    let link = |href: String, rel: &str, mime: &str| Link {
        href,
        rel: rel.to_string(),
        mime_type: Some(mime.to_string()),
        ..Link::default()
    };
    let entries: Vec<Entry> = feed::news(&data, now, super::lang::zone(&state))
        .into_iter()
        .take(100)
        .map(|n| {
            let what = t(match n.kind {
                NewsKind::RecordPublished => "dist_feed_record",
                NewsKind::PromiseDone => "dist_feed_done",
                NewsKind::PromiseWillNotBeDone => "dist_feed_wont",
                NewsKind::PromiseOverdue => "dist_feed_overdue",
                NewsKind::InfoPosted => "dist_feed_post",
            });
            Entry {
                id: format!("urn:uuid:{}", n.id),
                title: Text::plain(format!("{what}: {}", n.title)),
                updated: atom_time(n.at),
                published: Some(atom_time(n.at)),
                links: vec![link(format!("{base}{}", n.path), "alternate", "text/html")],
                summary: (!n.text.is_empty()).then(|| Text::plain(n.text)),
                categories: vec![atom_syndication::Category {
                    term: n.kind.code().to_string(),
                    ..Default::default()
                }],
                ..Entry::default()
            }
        })
        .collect();
    let feed = Feed {
        id: page.clone(),
        title: Text::plain(t("dist_title").replace("{name}", &data.name)),
        updated: atom_time(feed::last_updated(&data, now, super::lang::zone(&state))),
        authors: vec![Person {
            name: data.name.clone(),
            uri: Some(page.clone()),
            ..Person::default()
        }],
        links: vec![
            link(
                format!(
                    "{page}/feed.atom{}",
                    if lang == Lang::Sv {
                        String::new()
                    } else {
                        lang.query()
                    }
                ),
                "self",
                "application/atom+xml",
            ),
            link(page, "alternate", "text/html"),
        ],
        lang: Some(lang.code().to_string()),
        entries,
        ..Feed::default()
    };

    Ok(typed(
        feed.to_string(),
        "application/atom+xml; charset=utf-8",
    ))
}
