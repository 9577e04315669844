//! A safety walk's events in format v1 (added to v1 with new kinds only: rows
//! written before walks existed read as they always did).

use crate::domain::QuestionId;
use crate::domain::walk::{
    FeltSafety, Group, GroupId, Observation, PhotoId, Place, Position, Stop, StopId, WalkPlan,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(in crate::log) struct StopV1 {
    id: u32,
    name: String,
    address: String,
    /// Millionths of a degree.
    lat_e6: Option<i32>,
    lon_e6: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(in crate::log) struct GroupV1 {
    id: u32,
    name: String,
    leader: String,
    leader_id: Option<Uuid>,
    route: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(in crate::log) struct WalkPlanV1 {
    stops: Vec<StopV1>,
    groups: Vec<GroupV1>,
    before: Option<String>,
    after: Option<String>,
}

/// Where: a stop, or a coarse position (never both).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(in crate::log) struct ObservationV1 {
    question_id: u64,
    group: Option<u32>,
    stop: Option<u32>,
    lat_e6: Option<i32>,
    lon_e6: Option<i32>,
    category: String,
    felt_safety: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    photo: Option<String>,
}

fn position(lat: Option<i32>, lon: Option<i32>) -> Option<Position> {
    Position::from_e6(lat?, lon?).ok()
}

impl From<&WalkPlan> for WalkPlanV1 {
    fn from(p: &WalkPlan) -> Self {
        WalkPlanV1 {
            stops: p
                .stops
                .iter()
                .map(|s| StopV1 {
                    id: s.id.0,
                    name: s.name.clone(),
                    address: s.address.clone(),
                    lat_e6: s.position.map(Position::lat_e6),
                    lon_e6: s.position.map(Position::lon_e6),
                })
                .collect(),
            groups: p
                .groups
                .iter()
                .map(|g| GroupV1 {
                    id: g.id.0,
                    name: g.name.clone(),
                    leader: g.leader.clone(),
                    leader_id: g.leader_id,
                    route: g.route.iter().map(|s| s.0).collect(),
                })
                .collect(),
            before: p.before.clone(),
            after: p.after.clone(),
        }
    }
}

impl From<WalkPlanV1> for WalkPlan {
    fn from(p: WalkPlanV1) -> Self {
        WalkPlan {
            stops: p
                .stops
                .into_iter()
                .map(|s| Stop {
                    id: StopId(s.id),
                    name: s.name,
                    address: s.address,
                    position: position(s.lat_e6, s.lon_e6),
                })
                .collect(),
            groups: p
                .groups
                .into_iter()
                .map(|g| Group {
                    id: GroupId(g.id),
                    name: g.name,
                    leader: g.leader,
                    leader_id: g.leader_id,
                    route: g.route.into_iter().map(StopId).collect(),
                    at: None,
                })
                .collect(),
            before: p.before,
            after: p.after,
        }
    }
}

impl From<&Observation> for ObservationV1 {
    fn from(o: &Observation) -> Self {
        let (stop, pos) = match o.place {
            Place::Stop(s) => (Some(s.0), None),
            Place::Near(p) => (None, Some(p)),
        };
        ObservationV1 {
            question_id: o.question.0,
            group: o.group.map(|g| g.0),
            stop,
            lat_e6: pos.map(Position::lat_e6),
            lon_e6: pos.map(Position::lon_e6),
            category: o.category.clone(),
            felt_safety: o.felt_safety.get(),
            photo: o.photo.as_ref().map(|p| p.as_str().to_string()),
        }
    }
}

impl From<ObservationV1> for Observation {
    fn from(o: ObservationV1) -> Self {
        let place = match (o.stop, position(o.lat_e6, o.lon_e6)) {
            (_, Some(p)) => Place::Near(p),
            (s, None) => Place::Stop(StopId(s.unwrap_or(0))),
        };
        Observation {
            question: QuestionId(o.question_id),
            group: o.group.map(GroupId),
            place,
            category: o.category,
            // Written from a valid rating; 3 is the middle if a row was ever damaged.
            felt_safety: FeltSafety::new(o.felt_safety)
                .or(FeltSafety::new(3))
                .expect("3 is a rating"),
            photo: o.photo.as_deref().and_then(PhotoId::parse),
        }
    }
}
