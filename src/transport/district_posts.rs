//! `POST /api/districts/{district}/posts`: the district's staff post an
//! information item to its page, optionally with a small data series (CSV) and
//! its source, which the page draws as a chart.

use super::rest::{idempotency_key, public_url};
use super::{ApiError, AppState, Body};
use crate::domain::access::DistrictId;
use crate::domain::authorize::Action;
use crate::identity::{Caller, authorize_district};
use crate::protocol::ErrorCode;
use crate::protocol::client_text as t;
use crate::protocol::rest::{DistrictPostBody, DistrictPostWire};
use crate::store::DistrictPost;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

/// A post's title, as long as a dialogue's.
const TITLE_MAX_CHARS: usize = 200;

pub async fn post_to_district(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(district): Path<String>,
    Body(body): Body<DistrictPostBody>,
) -> Result<Response, ApiError> {
    let bad = |m: String| ApiError::new(ErrorCode::BadRequest, m);
    let district = DistrictId::parse(&district).map_err(bad)?;
    let author = authorize_district(&state, &caller, &district, Action::PostDistrictInfo)
        .await?
        .id();
    let store = state.registry.store();
    if !store.districts().await?.iter().any(|(d, _)| *d == district) {
        return Err(ApiError::new(ErrorCode::NotFound, "no such district"));
    }
    let key = idempotency_key(&headers)?;
    let title = t::plain_text(&body.title, TITLE_MAX_CHARS, "title").map_err(bad)?;
    let text = t::plain_text(&body.text, t::POST_MAX_CHARS, "text").map_err(bad)?;
    let source = t::plain_text(&body.source, t::SOURCE_MAX_CHARS, "source").map_err(bad)?;
    let link = t::link(body.link.as_deref()).map_err(bad)?;
    // Kept as posted: the page reads it again with the same checks.
    let (series_csv, series_source) = match body.data {
        None => (None, None),
        Some(data) => {
            let checked =
                t::post_data(&data).map_err(|(code, message)| ApiError::new(code, message))?;
            (Some(data.csv), Some(checked.source))
        }
    };
    let post = DistrictPost {
        id: uuid::Uuid::new_v4(),
        district,
        author,
        title,
        text,
        source,
        link,
        series_csv,
        series_source,
        posted_at: state.clock.now_ms(),
    };
    let stored = store.add_district_post(&post, key.as_str()).await?;
    Ok(Json(wire(&state, &stored)).into_response())
}

pub(super) fn wire(state: &AppState, p: &DistrictPost) -> DistrictPostWire {
    DistrictPostWire {
        id: p.id,
        district: p.district.as_str().to_string(),
        title: p.title.clone(),
        text: p.text.clone(),
        source: p.source.clone(),
        link: p.link.clone(),
        data_source: p.series_source.clone(),
        chart: p.series_csv.as_ref().map(|_| {
            format!(
                "{}/o/{}/posts/{}/chart.svg",
                public_url(state),
                p.district.as_str(),
                p.id
            )
        }),
        posted_at: p.posted_at,
    }
}
