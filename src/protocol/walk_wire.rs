//! A safety walk's shapes on the wire: the plan, where groups are, observations
//! and actions (section 4.26–4.30 of the protocol document). Positions are in
//! millionths of a degree (`lat_e6`, `lon_e6`), exact as stored.

use crate::domain::QuestionId;
use crate::domain::walk::{
    FeltSafety, Group, GroupId, Observation, PhotoId, Place, Position, Stop, StopId, Walk, WalkPlan,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

wire_enum!(
    /// an action's status: `reported`, `planned`, `in_progress`, `done`, `will_not_be_done`
    ActionStatusWire <=> ActionStatus { Reported, Planned, InProgress, Done, WillNotBeDone }
);
use crate::domain::walk::ActionStatus;

/// A stop of the walk: its number, name, address and position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopWire {
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub lat_e6: Option<i32>,
    #[serde(default)]
    pub lon_e6: Option<i32>,
}

/// A group: its route (stop numbers in order), its leader and where it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupWire {
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub leader: String,
    #[serde(default)]
    pub leader_id: Option<Uuid>,
    pub route: Vec<u32>,
    /// The stop the group is at now (`snapshot` only; a plan moves no one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<u32>,
}

/// The walk's plan: `walk_planned` (4.26) and the `walk` of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkPlanWire {
    pub stops: Vec<StopWire>,
    pub groups: Vec<GroupWire>,
    #[serde(default)]
    pub before: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
}

/// Where and what an observation is (`observation_placed`, 4.28, and the
/// `observation` of a question): at a stop, or near a coarse position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservationWire {
    pub question_id: u64,
    pub group: Option<u32>,
    pub stop: Option<u32>,
    pub lat_e6: Option<i32>,
    pub lon_e6: Option<i32>,
    pub category: String,
    pub felt_safety: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

fn stop_wire(s: &Stop) -> StopWire {
    StopWire {
        id: s.id.0,
        name: s.name.clone(),
        address: s.address.clone(),
        lat_e6: s.position.map(Position::lat_e6),
        lon_e6: s.position.map(Position::lon_e6),
    }
}

fn group_wire(g: &Group) -> GroupWire {
    GroupWire {
        id: g.id.0,
        name: g.name.clone(),
        leader: g.leader.clone(),
        leader_id: g.leader_id,
        route: g.route.iter().map(|s| s.0).collect(),
        at: g.at.map(|s| s.0),
    }
}

impl From<&WalkPlan> for WalkPlanWire {
    fn from(p: &WalkPlan) -> Self {
        WalkPlanWire {
            stops: p.stops.iter().map(stop_wire).collect(),
            groups: p.groups.iter().map(group_wire).collect(),
            before: p.before.clone(),
            after: p.after.clone(),
        }
    }
}

impl WalkPlanWire {
    /// The walk as it stands: its plan and where each group is.
    pub fn of(w: &Walk) -> WalkPlanWire {
        WalkPlanWire {
            stops: w.stops.values().map(stop_wire).collect(),
            groups: w.groups.values().map(group_wire).collect(),
            before: w.before.clone(),
            after: w.after.clone(),
        }
    }

    /// Back to the domain's plan; `None` for a position out of range.
    pub fn to_plan(&self) -> Option<WalkPlan> {
        let stops = self
            .stops
            .iter()
            .map(|s| {
                let position = match (s.lat_e6, s.lon_e6) {
                    (Some(lat), Some(lon)) => Some(Position::from_e6(lat, lon).ok()?),
                    _ => None,
                };
                Some(Stop {
                    id: StopId(s.id),
                    name: s.name.clone(),
                    address: s.address.clone(),
                    position,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let groups = self
            .groups
            .iter()
            .map(|g| Group {
                id: GroupId(g.id),
                name: g.name.clone(),
                leader: g.leader.clone(),
                leader_id: g.leader_id,
                route: g.route.iter().copied().map(StopId).collect(),
                at: None,
            })
            .collect();
        Some(WalkPlan {
            stops,
            groups,
            before: self.before.clone(),
            after: self.after.clone(),
        })
    }
}

impl From<&Observation> for ObservationWire {
    fn from(o: &Observation) -> Self {
        let (stop, pos) = match o.place {
            Place::Stop(s) => (Some(s.0), None),
            Place::Near(p) => (None, Some(p)),
        };
        ObservationWire {
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

impl ObservationWire {
    /// Back to the domain (text read back was validated when first accepted).
    pub fn to_observation(&self) -> Observation {
        let near = match (self.lat_e6, self.lon_e6) {
            (Some(lat), Some(lon)) => Position::from_e6(lat, lon).ok(),
            _ => None,
        };
        Observation {
            question: QuestionId(self.question_id),
            group: self.group.map(GroupId),
            place: near.map_or(Place::Stop(StopId(self.stop.unwrap_or(0))), Place::Near),
            category: self.category.clone(),
            felt_safety: FeltSafety::new(self.felt_safety)
                .or(FeltSafety::new(3))
                .expect("3 is a rating"),
            photo: self.photo.as_deref().and_then(PhotoId::parse),
        }
    }
}

/// A walk's event on the wire, as staff see it and the log keeps it.
pub(super) fn walk_body(e: &crate::domain::Event) -> super::EventBody {
    use super::EventBody;
    use crate::domain::Event;
    match e {
        Event::WalkPlanned(plan) => EventBody::WalkPlanned(plan.into()),
        Event::GroupMoved { group, at } => EventBody::GroupMoved {
            group: group.0,
            at: at.map(|s| s.0),
        },
        Event::ObservationPlaced(o) => EventBody::ObservationPlaced(o.into()),
        Event::ActionCreated {
            action,
            title,
            observations,
            responsible,
            due,
        } => EventBody::ActionCreated {
            action_id: action.0,
            title: title.clone(),
            observation_ids: observations.iter().map(|q| q.0).collect(),
            responsible: responsible.clone(),
            due: *due,
        },
        Event::ActionStatusChanged {
            action,
            status,
            note,
        } => EventBody::ActionStatusChanged {
            action_id: action.0,
            status: (*status).into(),
            note: note.clone(),
        },
        Event::PhotoPublished {
            question,
            photo,
            published,
        } => EventBody::PhotoPublished {
            question_id: question.0,
            photo: photo.as_str().to_string(),
            published_id: published.as_str().to_string(),
        },
        other => unreachable!("not a walk event: {}", crate::log::kind(other)),
    }
}

/// A walk's event read back (text was validated when it was first accepted).
pub(super) fn walk_event(b: super::EventBody) -> crate::domain::Event {
    use super::EventBody as B;
    use crate::domain::Event;
    use crate::domain::walk::ActionId;
    match b {
        B::WalkPlanned(plan) => Event::WalkPlanned(plan.to_plan().unwrap_or_default()),
        B::GroupMoved { group, at } => Event::GroupMoved {
            group: GroupId(group),
            at: at.map(StopId),
        },
        B::ObservationPlaced(o) => Event::ObservationPlaced(o.to_observation()),
        B::ActionCreated {
            action_id,
            title,
            observation_ids,
            responsible,
            due,
        } => Event::ActionCreated {
            action: ActionId(action_id),
            title,
            observations: observation_ids.into_iter().map(QuestionId).collect(),
            responsible,
            due,
        },
        B::ActionStatusChanged {
            action_id,
            status,
            note,
        } => Event::ActionStatusChanged {
            action: ActionId(action_id),
            status: status.into(),
            note,
        },
        B::PhotoPublished {
            question_id,
            photo,
            published_id,
        } => Event::PhotoPublished {
            question: QuestionId(question_id),
            photo: PhotoId::from_trusted(photo),
            published: PhotoId::from_trusted(published_id),
        },
        other => unreachable!(
            "not a walk event: {}",
            crate::log::kind(&Event::from(other))
        ),
    }
}

/// An action in a snapshot: who is responsible, by when, and its dated history.
#[derive(Debug, Clone, Serialize)]
pub struct ActionWire<'a> {
    pub id: u64,
    pub title: &'a str,
    pub observation_ids: Vec<u64>,
    pub responsible: &'a str,
    pub due: chrono::NaiveDate,
    pub status: ActionStatusWire,
    pub history: Vec<super::walk_report::StatusChangeWire<'a>>,
}

/// A walk in `snapshot` (3.2): the plan, where each group is, the deployment's
/// observation categories, the observations this audience may see (the public:
/// approved ones) and every action.
#[derive(Debug, Clone, Serialize)]
pub struct WalkSnapshot<'a> {
    #[serde(flatten)]
    pub plan: WalkPlanWire,
    pub categories: Vec<super::walk_report::CategoryWire<'a>>,
    pub observations: Vec<ObservationWire>,
    /// Staff: the photo of every observation and whether it is published; the
    /// public: the published ones.
    pub photos: Vec<PhotoStateWire>,
    pub actions: Vec<ActionWire<'a>>,
}

/// An observation's photo in a snapshot: `private` (staff only) until
/// `photo_published`, then `published` with its public copy's id.
#[derive(Debug, Clone, Serialize)]
pub struct PhotoStateWire {
    pub question_id: u64,
    pub photo: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_id: Option<String>,
}

impl PhotoStateWire {
    /// Every photo an observation names, as `staff` or the public may see it.
    fn all(w: &Walk, staff: bool) -> Vec<PhotoStateWire> {
        w.observations
            .values()
            .filter_map(|o| {
                let photo = o.photo.as_ref()?;
                let published = w.published_photo(o);
                (staff || published.is_some()).then(|| PhotoStateWire {
                    question_id: o.question.0,
                    photo: photo.as_str().to_string(),
                    state: if published.is_some() {
                        "published"
                    } else {
                        "private"
                    },
                    published_id: published.map(|p| p.as_str().to_string()),
                })
            })
            .collect()
    }
}

impl<'a> WalkSnapshot<'a> {
    pub fn new(d: &'a crate::domain::Dialogue, staff: bool) -> Option<WalkSnapshot<'a>> {
        let w = d.walk.as_ref()?;
        let visible =
            |q: &QuestionId| staff || d.questions.get(q).is_some_and(|q| q.status.is_public());
        Some(WalkSnapshot {
            plan: WalkPlanWire::of(w),
            categories: d.categories.0.iter().map(Into::into).collect(),
            observations: w
                .observations
                .values()
                .filter(|o| visible(&o.question))
                .map(Into::into)
                .collect(),
            photos: PhotoStateWire::all(w, staff),
            actions: w
                .actions
                .values()
                .map(|a| action_wire(a, visible))
                .collect(),
        })
    }
}

/// An action as a snapshot and a receipt show it; `visible` says which of its
/// observations the audience may see.
pub fn action_wire<'a>(
    a: &'a crate::domain::walk::Action,
    visible: impl Fn(&QuestionId) -> bool,
) -> ActionWire<'a> {
    ActionWire {
        id: a.id.0,
        title: &a.title,
        observation_ids: a
            .observations
            .iter()
            .filter(|q| visible(q))
            .map(|q| q.0)
            .collect(),
        responsible: &a.responsible,
        due: a.due,
        status: a.status().into(),
        history: a
            .history
            .iter()
            .map(|c| super::walk_report::StatusChangeWire {
                status: super::walk_report::action_status_wire(c.status),
                at: c.at,
                note: &c.note,
            })
            .collect(),
    }
}

/// What a receipt shows of an observation: where and what it was, the stop's
/// name, the category's names, and every action that came of it.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptObservation<'a> {
    #[serde(flatten)]
    pub place: ObservationWire,
    pub stop_name: Option<&'a str>,
    pub category_name: super::walk_report::CategoryWire<'a>,
    pub actions: Vec<ActionWire<'a>>,
}

impl<'a> ReceiptObservation<'a> {
    /// The observation behind question `q`, if `q` is one.
    pub fn of(d: &'a crate::domain::Dialogue, q: QuestionId) -> Option<ReceiptObservation<'a>> {
        let w = d.walk.as_ref()?;
        let o = w.observations.get(&q)?;
        let public = |id: &QuestionId| d.questions.get(id).is_some_and(|q| q.status.is_public());
        Some(ReceiptObservation {
            place: o.into(),
            stop_name: w
                .stop_of(o, 0.0)
                .and_then(|s| w.stops.get(&s))
                .map(|s| s.name.as_str()),
            category_name: super::walk_report::category(&d.categories, &o.category),
            actions: w
                .actions
                .values()
                .filter(|a| a.observations.contains(&q))
                .map(|a| action_wire(a, public))
                .collect(),
        })
    }
}
