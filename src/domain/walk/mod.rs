//! A safety walk (trygghetsvandring): a dialogue of another kind. Its stops,
//! groups, observations, photos and actions live in the same log, moderation,
//! receipts, record, retention and erasure as a meeting's questions.
//!
//! An observation *is* a question (its text, author, moderation and receipt) with
//! a place, a category and a felt-safety rating beside it, kept here by the
//! question's id.

pub mod action;
pub mod category;
pub mod geo;

pub use action::{Action, ActionId, ActionStatus, StatusChange};
pub use category::{Categories, Category, FeltSafety};
pub use geo::{Position, PositionError};

use super::question::QuestionId;
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// A stop's number on the walk, 1, 2, 3… as the leader says it ("stopp 3").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StopId(pub u32);

/// A group's number, 1, 2…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub u32);

/// A photo: the hex SHA-256 of its cleaned bytes (a blob beside the log).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhotoId(String);

impl PhotoId {
    /// 64 lowercase hex digits, or nothing.
    pub fn parse(hex: &str) -> Option<PhotoId> {
        (hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| PhotoId(hex.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An id read back from the log, which was parsed when it was first accepted.
    pub fn from_trusted(hex: String) -> PhotoId {
        PhotoId(hex)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    pub id: StopId,
    pub name: String,
    pub address: String,
    pub position: Option<Position>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    /// The walk leader's name as shown to the group.
    pub leader: String,
    /// The staff member who leads (moves the group on); any staff may too.
    pub leader_id: Option<Uuid>,
    /// The stops in the order this group walks them.
    pub route: Vec<StopId>,
    /// Where the group is now ("now at stop 3"); none before it sets off.
    pub at: Option<StopId>,
}

/// Where an observation was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// At a stop of the route (the group's current one, or one chosen).
    Stop(StopId),
    /// At the phone's position, made coarse before it got here.
    Near(Position),
}

/// What makes an observation more than a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub question: QuestionId,
    pub group: Option<GroupId>,
    pub place: Place,
    pub category: String,
    pub felt_safety: FeltSafety,
    pub photo: Option<PhotoId>,
}

/// A photo's life: private until a moderator publishes a (possibly blurred) copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoState {
    /// Seen by staff only.
    Private,
    /// The published copy (the original, cleaned, is deleted at approval).
    Published(PhotoId),
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoEntry {
    pub question: QuestionId,
    pub state: PhotoState,
}

/// What the organizer plans: the stops and the groups that walk them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WalkPlan {
    pub stops: Vec<Stop>,
    /// Each group's `at` is ignored: a plan does not move anyone.
    pub groups: Vec<Group>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Most stops on one walk and groups walking it.
pub const MAX_STOPS: usize = 40;
pub const MAX_GROUPS: usize = 12;

impl WalkPlan {
    /// A plan's own rules, whatever the walk holds already: 1 to 40 stops, 1 to 12
    /// groups, numbers used once, every route of the walk's stops.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.stops.is_empty() || self.stops.len() > MAX_STOPS {
            return Err("a walk has 1 to 40 stops");
        }
        if self.groups.is_empty() || self.groups.len() > MAX_GROUPS {
            return Err("a walk has 1 to 12 groups");
        }
        let stops: HashSet<StopId> = self.stops.iter().map(|s| s.id).collect();
        if stops.len() != self.stops.len() {
            return Err("two stops have the same number");
        }
        let groups: HashSet<GroupId> = self.groups.iter().map(|g| g.id).collect();
        if groups.len() != self.groups.len() {
            return Err("two groups have the same number");
        }
        if self
            .groups
            .iter()
            .any(|g| g.route.is_empty() || g.route.iter().any(|s| !stops.contains(s)))
        {
            return Err("a group's route names a stop the walk lacks");
        }
        Ok(())
    }
}

/// The whole walk: plan, live positions, observations and what came of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Walk {
    pub stops: BTreeMap<StopId, Stop>,
    pub groups: BTreeMap<GroupId, Group>,
    pub observations: BTreeMap<QuestionId, Observation>,
    /// Keyed by the photo as uploaded (cleaned).
    pub photos: BTreeMap<PhotoId, PhotoEntry>,
    pub actions: BTreeMap<ActionId, Action>,
    /// The dialogue before the walk and the follow-up after it, by join code.
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Walk {
    /// The stop an observation belongs to: its own, or the nearest stop of the
    /// route to where it was made (within `radius_m`).
    pub fn stop_of(&self, o: &Observation, radius_m: f64) -> Option<StopId> {
        match o.place {
            Place::Stop(s) => Some(s),
            Place::Near(p) => self
                .stops
                .values()
                .filter_map(|s| s.position.map(|sp| (s.id, sp.metres_to(p))))
                .filter(|(_, d)| *d <= radius_m)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(id, _)| id),
        }
    }

    /// Where an observation is on the map: its own coarse position, or its stop's.
    pub fn position_of(&self, o: &Observation) -> Option<Position> {
        match o.place {
            Place::Near(p) => Some(p),
            Place::Stop(s) => self.stops.get(&s).and_then(|s| s.position),
        }
    }

    /// The photo shown to the public for an observation, if approved.
    pub fn published_photo(&self, o: &Observation) -> Option<&PhotoId> {
        let entry = self.photos.get(o.photo.as_ref()?)?;
        match &entry.state {
            PhotoState::Published(copy) => Some(copy),
            _ => None,
        }
    }
}
