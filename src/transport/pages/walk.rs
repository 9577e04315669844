//! A safety walk's public report at `/d/{code}` (server-rendered, readable
//! without JavaScript, printable) and its exports: JSON, CSV, GeoJSON (RFC 7946)
//! and Open311 GeoReport v2 (`services.json`, `requests.json`, read-only).
//!
//! Everything comes from `protocol::walk_report`, built from the state: only
//! approved observations, published (blurred) photos and actions' public history.

use super::lang::Lang;
use super::{download, head, restarting};
use crate::domain::authorize::Action;
use crate::domain::walk::PhotoState;
use crate::domain::{Dialogue, Phase};
use crate::identity::{Caller, permit};
use crate::protocol::walk_report::{
    ReportParts, WalkReport, geojson, open311_requests, open311_services, walk_report,
};
use crate::transport::rest::public_url;
use crate::transport::safe_text::csv_cell;
use crate::transport::{ApiError, AppState};
use axum::extract::{ConnectInfo, Path, State};
use axum::response::IntoResponse;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use std::fmt::Write;
use std::net::SocketAddr;

/// What a walk's report is made of, read in one go; `None` if the dialogue is
/// not a walk. A draft, or a code that finds nothing, is not found.
pub(super) async fn read_walk<T: Send + 'static>(
    state: &AppState,
    peer: SocketAddr,
    caller: &Caller,
    code: &str,
    make: impl FnOnce(&Dialogue, &ReportParts<'_>) -> T + Send + 'static,
) -> Result<(String, Option<T>), ApiError> {
    let handle = super::super::join_code::find(state, peer.ip(), code).await?;
    permit(state, caller, handle.id, Action::ReadPublic).await?;
    // Rendered here, from the shared copy: not in the dialogue's task.
    let d = handle.published().await.ok_or_else(restarting)?;
    if d.phase == Phase::Draft {
        return Err(super::super::join_code::missed(state, peer.ip()));
    }
    let Some(mut walk) = d.walk.clone() else {
        return Ok((handle.code, None));
    };
    // The log says which photos are published; the store holds their bytes,
    // which an erasure deletes: a copy no longer stored is shown as none.
    let stored: std::collections::HashSet<String> = state
        .registry
        .store()
        .published_photos(handle.id)
        .await?
        .into_iter()
        .map(|(_, copy)| copy)
        .collect();
    walk.photos.retain(|_, entry| match &entry.state {
        PhotoState::Published(copy) => stored.contains(copy.as_str()),
        _ => true,
    });
    let parts = ReportParts {
        code: &d.code,
        title: &d.info.title,
        closed_at: d.closed_at,
        walk: &walk,
        questions: &d.questions,
        categories: &d.categories,
    };
    let made = make(&d, &parts);
    Ok((handle.code, Some(made)))
}

fn status_label(lang: &Lang, status: &str) -> &'static str {
    lang.t(&format!("walk_status_{status}"))
}

fn category_name<'a>(lang: &Lang, sv: &'a str, en: &'a str) -> &'a str {
    if *lang == Lang::En { en } else { sv }
}

/// The report as a page: route and stops, each stop's approved observations by
/// category (with photos), the felt-safety average, and every action's history.
/// Before the walk is over, the page opens with its live part (`walk_live.rs`).
pub(super) fn walk_html(
    r: &WalkReport<'_>,
    lang: &Lang,
    tz: chrono_tz::Tz,
    livestream: &str,
) -> String {
    let mut out = String::new();
    head(&mut out, lang, r.title);
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"status\">{}</p>",
        text(r.title),
        lang.t(if r.is_final {
            "walk_status_final"
        } else {
            "walk_status_ongoing"
        })
    );
    if !r.is_final {
        super::walk_live::live_html(&mut out, r, lang, livestream);
    }
    // Route: each group's stops in order.
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-route\"><h2 id=\"h-route\">{}</h2>",
        lang.t("walk_route")
    );
    for g in &r.groups {
        let _ = write!(
            out,
            "<h3>{}</h3><p class=\"meta\">{} {}</p><ol>",
            text(g.name),
            lang.t("walk_leader"),
            text(g.leader)
        );
        for id in &g.route {
            if let Some(s) = r.stops.iter().find(|s| s.id == *id) {
                let _ = write!(
                    out,
                    "<li><a href=\"#stop{}\">{}</a></li>",
                    s.id,
                    text(s.name)
                );
            }
        }
        out.push_str("</ol>");
    }
    out.push_str("</section>");
    // Stops with their observations, by category.
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-stops\"><h2 id=\"h-stops\">{}</h2>",
        lang.t("walk_stops")
    );
    for s in &r.stops {
        let _ = write!(
            out,
            "<article class=\"stop\" id=\"stop{}\"><h3>{} {}: {}</h3>",
            s.id,
            lang.t("walk_stop"),
            s.id,
            text(s.name)
        );
        if !s.address.is_empty() {
            let _ = write!(out, "<p class=\"meta\">{}</p>", text(s.address));
        }
        let average = s.felt_safety_average.map_or_else(
            || lang.t("walk_no_rating").to_string(),
            |a| format!("{a:.1} / 5"),
        );
        let _ = write!(
            out,
            "<p>{} <strong>{}</strong> ({} {})</p>",
            lang.t("walk_felt_safety_average"),
            average,
            s.observations,
            lang.t("walk_observations_count")
        );
        for c in &r.categories {
            let here: Vec<_> = r
                .observations
                .iter()
                .filter(|o| o.stop == Some(s.id) && o.category.code == c.code)
                .collect();
            if here.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                "<h4>{}</h4><ul class=\"observations\">",
                text(category_name(lang, c.sv, c.en))
            );
            for o in here {
                let _ = write!(
                    out,
                    "<li class=\"observation\" id=\"o{}\"><p class=\"text\">{}</p><p class=\"meta\">{} {}/5 · {}</p>",
                    o.id,
                    text(o.text),
                    lang.t("walk_felt_safety"),
                    o.felt_safety,
                    lang.time(o.observed_at, tz)
                );
                if let Some(photo) = &o.photo {
                    let alt = format!(
                        "{} {}: {}, {}",
                        lang.t("walk_photo_alt"),
                        o.id,
                        category_name(lang, o.category.sv, o.category.en),
                        s.name
                    );
                    let _ = write!(
                        out,
                        "<img class=\"photo\" src=\"{}\" alt=\"{}\" loading=\"lazy\">",
                        attr(photo),
                        attr(&alt)
                    );
                }
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        out.push_str("</article>");
    }
    let elsewhere: Vec<_> = r.observations.iter().filter(|o| o.stop.is_none()).collect();
    if !elsewhere.is_empty() {
        let _ = write!(
            out,
            "<h3>{}</h3><ul class=\"observations\">",
            lang.t("walk_elsewhere")
        );
        for o in elsewhere {
            let _ = write!(
                out,
                "<li class=\"observation\" id=\"o{}\"><p class=\"text\">{}</p><p class=\"meta\">{} · {} {}/5</p></li>",
                o.id,
                text(o.text),
                text(category_name(lang, o.category.sv, o.category.en)),
                lang.t("walk_felt_safety"),
                o.felt_safety
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    // Actions with their dated history.
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-actions\"><h2 id=\"h-actions\">{}</h2>",
        lang.t("walk_actions")
    );
    if r.actions.is_empty() {
        let _ = write!(out, "<p>{}</p>", lang.t("walk_no_actions"));
    }
    for a in &r.actions {
        let _ = write!(
            out,
            "<article class=\"action\" id=\"a{}\"><h3>{} {}: {}</h3>\
             <p class=\"meta\">{} {} · {} {}</p><p><strong>{}</strong></p><ol class=\"history\">",
            a.id,
            lang.t("walk_action"),
            a.id,
            text(a.title),
            lang.t("rec_owner"),
            text(a.responsible),
            lang.t("rec_due"),
            a.due,
            status_label(lang, a.status)
        );
        for c in &a.history {
            let _ = write!(
                out,
                "<li><time>{}</time>: {}",
                lang.time(c.at, tz),
                status_label(lang, c.status)
            );
            if !c.note.is_empty() {
                let _ = write!(out, " – {}", text(c.note));
            }
            out.push_str("</li>");
        }
        out.push_str("</ol>");
        if !a.observations.is_empty() {
            let links: Vec<String> = a
                .observations
                .iter()
                .map(|o| format!("<a href=\"#o{o}\">{o}</a>"))
                .collect();
            let _ = write!(
                out,
                "<p class=\"meta\">{} {}</p>",
                lang.t("walk_from_observations"),
                links.join(", ")
            );
        }
        out.push_str("</article>");
    }
    out.push_str("</section>");
    let code = attr(r.code);
    let _ = write!(
        out,
        "<section class=\"files\" aria-labelledby=\"h-files\"><h2 id=\"h-files\">{}</h2><ul>\
         <li><a href=\"/d/{code}/report.json\">JSON</a></li>\
         <li><a href=\"/d/{code}/report.csv\">CSV ({})</a></li>\
         <li><a href=\"/d/{code}/actions.csv\">CSV ({})</a></li>\
         <li><a href=\"/d/{code}/report.geojson\">GeoJSON</a></li>\
         <li><a href=\"/d/{code}/open311/requests.json\">Open311 GeoReport v2</a></li></ul></section>",
        lang.t("walk_files"),
        lang.t("walk_observations"),
        lang.t("walk_actions"),
    );
    out.push_str("</main></body></html>");
    out
}

/// Observations, one row each, for spreadsheets.
pub fn observations_csv(r: &WalkReport<'_>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "observation_id",
        "observed_at",
        "stop",
        "stop_name",
        "group",
        "category",
        "category_sv",
        "felt_safety",
        "text",
        "lat",
        "lon",
        "photo",
    ]);
    for o in &r.observations {
        let stop_name = o
            .stop
            .and_then(|id| r.stops.iter().find(|s| s.id == id))
            .map_or("", |s| s.name);
        let row = [
            o.id.to_string(),
            crate::protocol::walk_report::rfc3339(o.observed_at),
            o.stop.map(|s| s.to_string()).unwrap_or_default(),
            stop_name.to_string(),
            o.group.map(|g| g.to_string()).unwrap_or_default(),
            o.category.code.to_string(),
            o.category.sv.to_string(),
            o.felt_safety.to_string(),
            o.text.to_string(),
            o.lat.map(|v| v.to_string()).unwrap_or_default(),
            o.lon.map(|v| v.to_string()).unwrap_or_default(),
            o.photo.clone().unwrap_or_default(),
        ];
        let _ = w.write_record(row.iter().map(|c| csv_cell(c).into_owned()));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Actions, one row per line of their history (each status change, dated).
pub fn actions_csv(r: &WalkReport<'_>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "action_id",
        "title",
        "responsible",
        "due",
        "status_now",
        "observations",
        "changed_at",
        "status",
        "note",
    ]);
    for a in &r.actions {
        let observations: Vec<String> = a.observations.iter().map(u64::to_string).collect();
        for c in &a.history {
            let row = [
                a.id.to_string(),
                a.title.to_string(),
                a.responsible.to_string(),
                a.due.clone(),
                a.status.to_string(),
                observations.join(" "),
                crate::protocol::walk_report::rfc3339(c.at),
                c.status.to_string(),
                c.note.to_string(),
            ];
            let _ = w.write_record(row.iter().map(|c| csv_cell(c).into_owned()));
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The walk's report; a meeting is not a walk here.
async fn report_or_404<T: Send + 'static>(
    state: &AppState,
    peer: SocketAddr,
    caller: &Caller,
    code: &str,
    make: impl FnOnce(&WalkReport<'_>, &ReportParts<'_>) -> T + Send + 'static,
) -> Result<(String, T), ApiError> {
    let (code, made) = read_walk(state, peer, caller, code, move |_, p| {
        make(&walk_report(p), p)
    })
    .await?;
    let made = made.ok_or_else(|| {
        ApiError::new(
            crate::protocol::ErrorCode::NotFound,
            "this dialogue is not a walk",
        )
    })?;
    Ok((code, made))
}

/// A walk report's export: one row each of what `/d/{code}/…` serves.
#[derive(Debug, Clone, Copy)]
pub enum WalkExport {
    /// `report.json`.
    ReportJson,
    /// `report.csv`: the approved observations.
    ReportCsv,
    /// `actions.csv`: every action's dated history.
    ActionsCsv,
    /// `report.geojson`: RFC 7946, `application/geo+json`.
    GeoJson,
    /// `open311/services.json`: the categories as GeoReport v2 services.
    Open311Services,
    /// `open311/requests.json`: the actions as GeoReport v2 requests.
    Open311Requests,
}

impl WalkExport {
    /// The content type, and the file name after the code for a download (none:
    /// served to be read, as Open311 clients do).
    fn file(self) -> (&'static str, Option<&'static str>) {
        match self {
            WalkExport::ReportJson => ("application/json", Some("-report.json")),
            WalkExport::ReportCsv => ("text/csv", Some("-observations.csv")),
            WalkExport::ActionsCsv => ("text/csv", Some("-actions.csv")),
            WalkExport::GeoJson => ("application/geo+json", Some(".geojson")),
            WalkExport::Open311Services | WalkExport::Open311Requests => ("application/json", None),
        }
    }

    fn render(self, r: &WalkReport<'_>, p: &ReportParts<'_>, base: &str) -> String {
        match self {
            WalkExport::ReportJson => serde_json::to_string_pretty(r).expect("a report serializes"),
            WalkExport::ReportCsv => observations_csv(r),
            WalkExport::ActionsCsv => actions_csv(r),
            WalkExport::GeoJson => serde_json::to_string(&geojson(r)).expect("GeoJSON serializes"),
            WalkExport::Open311Services => {
                serde_json::to_string(&open311_services(p.categories)).expect("services serialize")
            }
            WalkExport::Open311Requests => {
                serde_json::to_string(&open311_requests(r, p.categories, base))
                    .expect("requests serialize")
            }
        }
    }
}

/// The route of one export of a walk's report.
pub fn walk_export(export: WalkExport) -> axum::routing::MethodRouter<AppState> {
    axum::routing::get(
        move |State(state): State<AppState>,
              ConnectInfo(peer): ConnectInfo<SocketAddr>,
              caller: Caller,
              Path(code): Path<String>| async move {
            let base = public_url(&state).to_string();
            let (code, body) = report_or_404(&state, peer, &caller, &code, move |r, p| {
                export.render(r, p, &base)
            })
            .await?;
            Ok::<_, ApiError>(match export.file() {
                (mime, Some(suffix)) => download(body, mime, &format!("{code}{suffix}")),
                (mime, None) => (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        format!("{mime}; charset=utf-8"),
                    )],
                    body,
                )
                    .into_response(),
            })
        },
    )
}

/// The walk's page, if the dialogue is a walk (for `/d/{code}`).
pub(super) async fn walk_page(
    state: &AppState,
    peer: SocketAddr,
    caller: &Caller,
    code: &str,
    lang: Lang,
) -> Result<Option<String>, ApiError> {
    let tz = super::lang::zone(state);
    let (_, page) = read_walk(state, peer, caller, code, move |d, p| {
        walk_html(&walk_report(p), &lang, tz, &d.info.livestream_url)
    })
    .await?;
    Ok(page)
}
