//! A safety walk's public report as data (`/d/{code}/report.json`), and the same
//! content as GeoJSON (RFC 7946) for the municipality's GIS and as Open311
//! GeoReport v2 (`services` and `requests`, read-only) for fault-report systems.
//!
//! Built from the state, never from the log: only approved observations, their
//! published (blurred) photos and the public history of actions are read here.

use crate::domain::walk::{Action, ActionStatus, Categories, FeltSafety, Observation, Walk};
use crate::domain::{Question, QuestionId, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;

/// Within this distance a phone-placed observation counts toward a stop.
pub const NEAR_STOP_M: f64 = 150.0;

/// What a report is built from.
pub struct ReportParts<'a> {
    pub code: &'a str,
    pub title: &'a str,
    pub closed_at: Option<Timestamp>,
    pub walk: &'a Walk,
    pub questions: &'a BTreeMap<QuestionId, Question>,
    pub categories: &'a Categories,
}

/// wire name of an action's status
pub fn action_status_wire(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Reported => "reported",
        ActionStatus::Planned => "planned",
        ActionStatus::InProgress => "in_progress",
        ActionStatus::Done => "done",
        ActionStatus::WillNotBeDone => "will_not_be_done",
    }
}

/// A category with its names in both languages.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryWire<'a> {
    pub code: &'a str,
    pub sv: &'a str,
    pub en: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportStop<'a> {
    pub id: u32,
    pub name: &'a str,
    pub address: &'a str,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Mean felt safety (1–5) of the approved observations at this stop.
    pub felt_safety_average: Option<f64>,
    pub observations: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportGroup<'a> {
    pub id: u32,
    pub name: &'a str,
    pub leader: &'a str,
    pub route: Vec<u32>,
    pub at: Option<u32>,
}

/// An approved observation as the public may see it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportObservation<'a> {
    pub id: u64,
    pub stop: Option<u32>,
    pub group: Option<u32>,
    pub category: CategoryWire<'a>,
    pub felt_safety: u8,
    pub text: &'a str,
    pub display_name: Option<&'a str>,
    pub observed_at: Timestamp,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Relative link to the published (blurred) photo.
    pub photo: Option<String>,
}

/// One dated line of an action's public history.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChangeWire<'a> {
    pub status: &'static str,
    pub at: Timestamp,
    pub note: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportAction<'a> {
    pub id: u64,
    pub title: &'a str,
    pub observations: Vec<u64>,
    pub responsible: &'a str,
    pub due: String,
    pub status: &'static str,
    pub history: Vec<StatusChangeWire<'a>>,
    /// Where it is: the first linked observation's place.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<&'a str>,
    pub category: Option<&'a str>,
}

/// The walk's public report (`final` once the walk is closed).
#[derive(Debug, Clone, Serialize)]
pub struct WalkReport<'a> {
    pub code: &'a str,
    pub title: &'a str,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub closed_at: Option<Timestamp>,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub categories: Vec<CategoryWire<'a>>,
    pub stops: Vec<ReportStop<'a>>,
    pub groups: Vec<ReportGroup<'a>>,
    pub observations: Vec<ReportObservation<'a>>,
    pub actions: Vec<ReportAction<'a>>,
}

impl<'a> From<&'a crate::domain::walk::Category> for CategoryWire<'a> {
    fn from(c: &'a crate::domain::walk::Category) -> Self {
        CategoryWire {
            code: &c.code,
            sv: &c.sv,
            en: &c.en,
        }
    }
}

pub(crate) fn category<'a>(categories: &'a Categories, code: &'a str) -> CategoryWire<'a> {
    match categories.get(code) {
        Some(c) => c.into(),
        // A category since removed from the list keeps its code.
        None => CategoryWire {
            code,
            sv: code,
            en: code,
        },
    }
}

/// The observations the public may see, with their questions.
fn approved<'a>(p: &ReportParts<'a>) -> impl Iterator<Item = (&'a Observation, &'a Question)> + 'a {
    let questions = p.questions;
    p.walk.observations.values().filter_map(move |o| {
        let q = questions.get(&o.question)?;
        q.status.is_public().then_some((o, q))
    })
}

/// The public path of a published photo.
pub fn photo_path(code: &str, id: &str) -> String {
    format!("/d/{code}/photos/{id}.jpg")
}

/// builds a walk's `WalkReport`
pub fn walk_report<'a>(p: &ReportParts<'a>) -> WalkReport<'a> {
    let walk = p.walk;
    let observations: Vec<ReportObservation<'a>> = approved(p)
        .map(|(o, q)| {
            let pos = walk.position_of(o);
            ReportObservation {
                id: q.id.0,
                stop: walk.stop_of(o, NEAR_STOP_M).map(|s| s.0),
                group: o.group.map(|g| g.0),
                category: category(p.categories, &o.category),
                felt_safety: o.felt_safety.get(),
                text: q.text.expose(),
                display_name: q.display_name.as_ref().map(|n| n.expose()),
                observed_at: q.asked_at,
                lat: pos.map(|p| p.lat()),
                lon: pos.map(|p| p.lon()),
                photo: walk
                    .published_photo(o)
                    .map(|id| photo_path(p.code, id.as_str())),
            }
        })
        .collect();
    let stops = walk
        .stops
        .values()
        .map(|s| {
            let here: Vec<_> = approved(p)
                .filter(|(o, _)| walk.stop_of(o, NEAR_STOP_M) == Some(s.id))
                .map(|(o, _)| o.felt_safety)
                .collect();
            ReportStop {
                id: s.id.0,
                name: &s.name,
                address: &s.address,
                lat: s.position.map(|p| p.lat()),
                lon: s.position.map(|p| p.lon()),
                felt_safety_average: FeltSafety::average(here.iter().copied()),
                observations: here.len(),
            }
        })
        .collect();
    let groups = walk
        .groups
        .values()
        .map(|g| ReportGroup {
            id: g.id.0,
            name: &g.name,
            leader: &g.leader,
            route: g.route.iter().map(|s| s.0).collect(),
            at: g.at.map(|s| s.0),
        })
        .collect();
    let actions = walk.actions.values().map(|a| report_action(p, a)).collect();
    WalkReport {
        code: p.code,
        title: p.title,
        is_final: p.closed_at.is_some(),
        closed_at: p.closed_at,
        before: walk.before.as_deref(),
        after: walk.after.as_deref(),
        categories: p.categories.0.iter().map(Into::into).collect(),
        stops,
        groups,
        observations,
        actions,
    }
}

fn report_action<'a>(p: &ReportParts<'a>, a: &'a Action) -> ReportAction<'a> {
    let walk = p.walk;
    let first = a.observations.iter().find_map(|q| walk.observations.get(q));
    let pos = first.and_then(|o| walk.position_of(o));
    let address = first
        .and_then(|o| walk.stop_of(o, NEAR_STOP_M))
        .and_then(|s| walk.stops.get(&s))
        .map(|s| s.address.as_str())
        .filter(|a| !a.is_empty());
    ReportAction {
        id: a.id.0,
        title: &a.title,
        // Only the approved ones: a link to a rejected observation says nothing public.
        observations: a
            .observations
            .iter()
            .filter(|q| p.questions.get(q).is_some_and(|q| q.status.is_public()))
            .map(|q| q.0)
            .collect(),
        responsible: &a.responsible,
        due: a.due.to_string(),
        status: action_status_wire(a.status()),
        history: a
            .history
            .iter()
            .map(|c| StatusChangeWire {
                status: action_status_wire(c.status),
                at: c.at,
                note: &c.note,
            })
            .collect(),
        lat: pos.map(|p| p.lat()),
        lon: pos.map(|p| p.lon()),
        address,
        category: first.map(|o| o.category.as_str()),
    }
}

/// A position as GeoJSON wants it: `[longitude, latitude]`, to 1e-5 degrees (a metre).
fn lon_lat(lat: f64, lon: f64) -> [f64; 2] {
    let r = |d: f64| (d * 1e5).round() / 1e5;
    [r(lon), r(lat)]
}

/// The report as an RFC 7946 `FeatureCollection`: stops and observations as
/// `Point`s, each group's route as a `LineString`, actions as `Point`s at their
/// place. Every feature's `properties.kind` says which it is.
pub fn geojson(report: &WalkReport<'_>) -> serde_json::Value {
    use serde_json::{Value, json};
    let point = |lat: Option<f64>, lon: Option<f64>| match (lat, lon) {
        (Some(lat), Some(lon)) => json!({"type": "Point", "coordinates": lon_lat(lat, lon)}),
        _ => Value::Null,
    };
    let feature = |id: String, geometry: Value, properties: Value| json!({"type": "Feature", "id": id, "geometry": geometry, "properties": properties});
    let mut features = Vec::new();
    let stop_at: BTreeMap<u32, &ReportStop> = report.stops.iter().map(|s| (s.id, s)).collect();
    for s in &report.stops {
        features.push(feature(
            format!("stop-{}", s.id),
            point(s.lat, s.lon),
            json!({"kind": "stop", "stop": s.id, "name": s.name, "address": s.address,
                   "felt_safety_average": s.felt_safety_average, "observations": s.observations}),
        ));
    }
    for g in &report.groups {
        let line: Vec<[f64; 2]> = g
            .route
            .iter()
            .filter_map(|id| stop_at.get(id))
            .filter_map(|s| Some(lon_lat(s.lat?, s.lon?)))
            .collect();
        // A LineString needs two positions or more (RFC 7946, 3.1.4).
        let geometry = if line.len() >= 2 {
            json!({"type": "LineString", "coordinates": line})
        } else {
            Value::Null
        };
        features.push(feature(
            format!("group-{}", g.id),
            geometry,
            json!({"kind": "route", "group": g.id, "name": g.name, "leader": g.leader,
                   "stops": g.route}),
        ));
    }
    for o in &report.observations {
        features.push(feature(
            format!("observation-{}", o.id),
            point(o.lat, o.lon),
            json!({"kind": "observation", "observation": o.id, "stop": o.stop,
                   "category": o.category.code, "category_sv": o.category.sv,
                   "category_en": o.category.en, "felt_safety": o.felt_safety,
                   "text": o.text, "observed_at": rfc3339(o.observed_at), "photo": o.photo}),
        ));
    }
    for a in &report.actions {
        features.push(feature(
            format!("action-{}", a.id),
            point(a.lat, a.lon),
            json!({"kind": "action", "action": a.id, "title": a.title,
                   "responsible": a.responsible, "due": a.due, "status": a.status,
                   "observations": a.observations,
                   "updated_at": a.history.last().map(|c| rfc3339(c.at))}),
        ));
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// ISO 8601 / RFC 3339 in UTC, as GeoReport v2 and GeoJSON readers expect.
pub fn rfc3339(ms: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// One entry of GeoReport v2 `services.json`: a category of observation.
#[derive(Debug, Clone, Serialize)]
pub struct Open311Service<'a> {
    pub service_code: &'a str,
    pub service_name: &'a str,
    pub description: &'a str,
    /// No extra attributes are asked for (no `GET services/{code}.json`).
    pub metadata: bool,
    /// `batch`: requests are handled by people after the walk.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub keywords: String,
    pub group: &'static str,
}

/// GeoReport v2 `services.json` from the deployment's categories (Swedish names;
/// the English one is the description).
pub fn open311_services(categories: &Categories) -> Vec<Open311Service<'_>> {
    categories
        .0
        .iter()
        .map(|c| Open311Service {
            service_code: &c.code,
            service_name: &c.sv,
            description: &c.en,
            metadata: false,
            kind: "batch",
            keywords: format!("trygghetsvandring, safety walk, {}", c.en.to_lowercase()),
            group: "trygghetsvandring",
        })
        .collect()
}

/// One entry of GeoReport v2 `requests.json`: an action and its status.
#[derive(Debug, Clone, Serialize)]
pub struct Open311Request {
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: &'static str,
    pub status_notes: String,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    pub agency_responsible: String,
    pub service_notice: String,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: String,
    pub address: String,
    pub address_id: String,
    pub zipcode: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: String,
}

/// GeoReport v2 `requests.json`: one request per action. `base` is the public
/// address of the server (for `media_url`).
pub fn open311_requests(
    report: &WalkReport<'_>,
    categories: &Categories,
    base: &str,
) -> Vec<Open311Request> {
    let photo_of = |ids: &[u64]| {
        ids.iter()
            .filter_map(|id| report.observations.iter().find(|o| o.id == *id))
            .find_map(|o| o.photo.clone())
            .map(|p| format!("{}{p}", base.trim_end_matches('/')))
            .unwrap_or_default()
    };
    report
        .actions
        .iter()
        .map(|a| {
            let cat = a.category.and_then(|c| categories.get(c));
            let last = a.history.last();
            Open311Request {
                service_request_id: format!("{}-{}", report.code, a.id),
                status: if matches!(a.status, "done" | "will_not_be_done") {
                    "closed"
                } else {
                    "open"
                },
                status_notes: last
                    .map(|c| {
                        if c.note.is_empty() {
                            c.status.to_string()
                        } else {
                            format!("{}: {}", c.status, c.note)
                        }
                    })
                    .unwrap_or_default(),
                service_name: cat.map(|c| c.sv.clone()).unwrap_or_default(),
                service_code: cat.map(|c| c.code.clone()).unwrap_or_default(),
                description: a.title.to_string(),
                agency_responsible: a.responsible.to_string(),
                service_notice: String::new(),
                requested_datetime: a.history.first().map(|c| rfc3339(c.at)).unwrap_or_default(),
                updated_datetime: last.map(|c| rfc3339(c.at)).unwrap_or_default(),
                expected_datetime: format!("{}T00:00:00Z", a.due),
                address: a.address.unwrap_or_default().to_string(),
                address_id: String::new(),
                zipcode: String::new(),
                lat: a.lat.map(|v| (v * 1e6).round() / 1e6),
                long: a.lon.map(|v| (v * 1e6).round() / 1e6),
                media_url: photo_of(&a.observations),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
