//! A post's chart as the pages show it, for a district's posts and a dialogue's
//! information posts alike: the picture (served as SVG, drawn by `crate::chart`),
//! its summary in words and its source, and the numbers as a table.

use super::district_feeds::typed;
use super::lang::Lang;
use super::read_published;
use crate::chart;
use crate::domain::access::DistrictId;
use crate::domain::{PostId, Series};
use crate::protocol::ErrorCode;
use crate::transport::{ApiError, AppState};
use axum::extract::{ConnectInfo, Path, State};
use axum::response::Response;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use std::fmt::Write;
use std::net::SocketAddr;

/// The chart `src` shows, its summary and source as the caption, then the table.
pub(super) fn figure(out: &mut String, lang: &Lang, series: &Series, source: &str, src: &str) {
    let summary = chart::summary(series, *lang == Lang::En);
    let _ = write!(
        out,
        "<figure class=\"chart\"><img src=\"{}\" width=\"720\" height=\"360\" alt=\"{}: {}\">\
         <figcaption>{}<br><span class=\"meta\">{}: {}</span></figcaption></figure>",
        attr(src),
        attr(lang.t("dist_chart")),
        attr(&summary),
        text(&summary),
        lang.t("dist_data_source"),
        text(source),
    );
    table(out, lang, series);
}

/// The numbers behind the chart, for screen readers and for print.
fn table(out: &mut String, lang: &Lang, series: &Series) {
    let _ = write!(
        out,
        "<div class=\"scroll\"><table class=\"figures data\"><caption>{}</caption><thead><tr><th scope=\"col\">{}</th>",
        lang.t("dist_data_table"),
        text(&series.label)
    );
    for name in &series.names {
        let _ = write!(out, "<th scope=\"col\">{}</th>", text(name));
    }
    out.push_str("</tr></thead><tbody>");
    for (label, values) in &series.rows {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", text(label));
        for v in values {
            let _ = write!(out, "<td>{}</td>", chart::number(*v, *lang == Lang::En));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

fn no_chart() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such chart")
}

fn svg(series: &Series, title: &str) -> Result<Response, ApiError> {
    let svg = chart::svg(series, title).map_err(|e| {
        tracing::error!(error = %e, "chart failed");
        ApiError::new(ErrorCode::Unavailable, "the chart could not be drawn")
    })?;
    Ok(typed(svg, "image/svg+xml"))
}

/// `GET /o/{district}/posts/{post}/chart.svg`: a district post's data series, drawn.
pub async fn district_chart(
    State(state): State<AppState>,
    Path((district, post)): Path<(String, uuid::Uuid)>,
) -> Result<Response, ApiError> {
    let district = DistrictId::parse(&district).map_err(|_| no_chart())?;
    let posts = state.registry.store().district_posts(&district).await?;
    let p = posts.iter().find(|p| p.id == post).ok_or_else(no_chart)?;
    let series = p
        .series_csv
        .as_deref()
        .and_then(|c| Series::parse(c).ok())
        .ok_or_else(no_chart)?;
    svg(&series, &p.title)
}

/// `GET /d/{code}/posts/{post}/chart.svg`: an information post's data series,
/// drawn from the dialogue's public read model, as the page and the client show it.
pub async fn dialogue_chart(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((code, post)): Path<(String, u64)>,
) -> Result<Response, ApiError> {
    let (_, series) = read_published(&state, peer, &code, move |d| {
        d.posts
            .get(&PostId(post))
            .and_then(|p| p.data.as_ref())
            .map(|data| data.series.clone())
    })
    .await?;
    let series = series.ok_or_else(no_chart)?;
    svg(&series, &series.names.join(", "))
}
