//! The parts events and snapshots are made of: who (actor, addressee, panelist,
//! moderator), the dialogue's information, attendance, what the guard flagged,
//! and a post's data series.

use super::{PanelKindWire, RoleWire};
use crate::domain::sensitive::Flag;
use crate::domain::{Actor, Addressee, DialogueInfo, Panelist, PostData, Series};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddresseeWire {
    Panelist(Uuid),
    Kind(PanelKindWire),
}

impl From<AddresseeWire> for Addressee {
    fn from(w: AddresseeWire) -> Addressee {
        match w {
            AddresseeWire::Panelist(id) => Addressee::Panelist(id),
            AddresseeWire::Kind(k) => Addressee::Kind(k.into()),
        }
    }
}

impl From<Addressee> for AddresseeWire {
    fn from(a: Addressee) -> AddresseeWire {
        match a {
            Addressee::Panelist(id) => AddresseeWire::Panelist(id),
            Addressee::Kind(k) => AddresseeWire::Kind(k.into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelistWire {
    pub id: Uuid,
    pub name: String,
    pub title: String,
    pub organisation: String,
    pub kind: PanelKindWire,
}

impl From<&Panelist> for PanelistWire {
    fn from(p: &Panelist) -> Self {
        PanelistWire {
            id: p.id,
            name: p.name.clone(),
            title: p.title.clone(),
            organisation: p.organisation.clone(),
            kind: p.kind.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeratorWire {
    pub id: Uuid,
    pub name: String,
}

/// Fields added later default when read from an older log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoWire {
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub purpose: String,
    /// Milliseconds since the Unix epoch.
    pub starts_at: Option<i64>,
    #[serde(default)]
    pub ends_at: Option<i64>,
    pub venue: String,
    #[serde(default)]
    pub address: String,
    pub livestream_url: String,
    #[serde(default)]
    pub expected_kinds: Vec<PanelKindWire>,
    #[serde(default)]
    pub unreached_plan: String,
}

impl From<&DialogueInfo> for InfoWire {
    fn from(i: &DialogueInfo) -> Self {
        InfoWire {
            title: i.title.clone(),
            description: i.description.clone(),
            purpose: i.purpose.clone(),
            starts_at: i.starts_at,
            ends_at: i.ends_at,
            venue: i.venue.clone(),
            address: i.address.clone(),
            livestream_url: i.livestream_url.clone(),
            expected_kinds: i.expected_kinds.iter().map(|k| (*k).into()).collect(),
            unreached_plan: i.unreached_plan.clone(),
        }
    }
}

impl From<InfoWire> for DialogueInfo {
    fn from(i: InfoWire) -> Self {
        DialogueInfo {
            title: i.title,
            description: i.description,
            purpose: i.purpose,
            starts_at: i.starts_at,
            ends_at: i.ends_at,
            venue: i.venue,
            address: i.address,
            livestream_url: i.livestream_url,
            expected_kinds: i.expected_kinds.into_iter().map(Into::into).collect(),
            unreached_plan: i.unreached_plan,
        }
    }
}

/// Who took part: the most present at once in the room without the room code
/// (`in_room`, said so) and remotely, and everyone who entered the room code
/// (`verified`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceWire {
    pub in_room: u64,
    pub remote: u64,
    /// Absent in records written before the room code existed.
    #[serde(default)]
    pub verified: u64,
}

impl From<crate::domain::Attendance> for AttendanceWire {
    fn from(a: crate::domain::Attendance) -> AttendanceWire {
        AttendanceWire {
            in_room: a.in_room,
            remote: a.remote,
            verified: a.verified,
        }
    }
}

/// Who did something: `{"role":"moderator","id":"…"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorWire {
    pub role: RoleWire,
    pub id: Uuid,
}

pub fn actor_to_wire(a: &Actor) -> ActorWire {
    ActorWire {
        role: a.role().into(),
        id: a.id(),
    }
}

pub fn actor_from_wire(a: ActorWire) -> Actor {
    Actor::from_role(a.role.into(), a.id)
}

/// A span of personal data the confidentiality guard found, in Unicode code points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagWire {
    pub kind: String,
    pub start: usize,
    pub end: usize,
}

impl From<&Flag> for FlagWire {
    fn from(f: &Flag) -> Self {
        FlagWire {
            kind: f.kind.code().to_string(),
            start: f.start,
            end: f.end,
        }
    }
}

/// A post's data series as clients draw its table: checked when it was posted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostDataWire {
    /// Where the numbers come from.
    pub source: String,
    /// The first column's heading (e.g. "Månad").
    pub label: String,
    /// The value columns' headings.
    pub names: Vec<String>,
    pub rows: Vec<SeriesRowWire>,
}

/// One row: its label and one number per name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesRowWire {
    pub label: String,
    pub values: Vec<f64>,
}

// The numbers are finite (a series with another is refused), so equality is total.
impl Eq for PostDataWire {}
impl Eq for SeriesRowWire {}

impl From<&PostData> for PostDataWire {
    fn from(d: &PostData) -> Self {
        PostDataWire {
            source: d.source.clone(),
            label: d.series.label.clone(),
            names: d.series.names.clone(),
            rows: d
                .series
                .rows
                .iter()
                .map(|(label, values)| SeriesRowWire {
                    label: label.clone(),
                    values: values.clone(),
                })
                .collect(),
        }
    }
}

impl From<PostDataWire> for PostData {
    fn from(w: PostDataWire) -> Self {
        PostData {
            source: w.source,
            series: Series {
                label: w.label,
                names: w.names,
                rows: w.rows.into_iter().map(|r| (r.label, r.values)).collect(),
            },
        }
    }
}
