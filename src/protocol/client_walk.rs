//! A safety walk's client messages (section 2.26–2.30 of the protocol document):
//! the organizer's plan, "now at stop N", an observation, and the actions that
//! come of observations. Field checks here, decisions in the domain.
//!
//! A phone's position arrives exact (degrees, as the browser gives it) and is made
//! coarse here, before it becomes a command: the exact position never reaches the
//! dialogue's state, its log or the store.

use super::client_text::{due_date, parse_display_name, plain_text, question_text};
use super::walk_wire::{ActionStatusWire, StopWire, WalkPlanWire};
use super::{ClientMsgId, DecodeError, OriginWire};
use crate::domain::walk::{ActionId, FeltSafety, GroupId, Place, Position, StopId, WalkPlan};
use crate::domain::{Command, Origin, QuestionId};
use serde::Deserialize;
use uuid::Uuid;

/// The sides of the grid a phone's position is snapped to when no setting says
/// otherwise (`limits.position_cell_m`).
pub const DEFAULT_POSITION_CELL_M: u32 = 100;

/// Longest names in a plan, and of an action's texts, in characters.
const NAME_MAX_CHARS: usize = 100;
const ADDRESS_MAX_CHARS: usize = 300;
const TITLE_MAX_CHARS: usize = 300;
const RESPONSIBLE_MAX_CHARS: usize = 200;
const NOTE_MAX_CHARS: usize = 1000;
/// Observations one action may come of.
const MAX_ACTION_OBSERVATIONS: usize = 100;

/// A group as the organizer plans it (where it is now is not planned).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedGroup {
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub leader: String,
    #[serde(default)]
    pub leader_id: Option<Uuid>,
    pub route: Vec<u32>,
}

/// A walk's plan as the organizer sends it: in `plan_walk` and in the `walk` of
/// `POST /api/dialogues`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkPlanBody {
    pub stops: Vec<StopWire>,
    pub groups: Vec<PlannedGroup>,
    #[serde(default)]
    pub before: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
}

/// `plan_walk` (organizer): the walk's stops and groups, and the dialogues before and after.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanWalkMsg {
    pub client_msg_id: ClientMsgId,
    pub stops: Vec<StopWire>,
    pub groups: Vec<PlannedGroup>,
    /// The join code of the dialogue before the walk.
    #[serde(default)]
    pub before: Option<String>,
    /// The join code of the follow-up dialogue after it.
    #[serde(default)]
    pub after: Option<String>,
}

/// `move_group` (moderator, organizer): "now at stop N".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveGroupMsg {
    pub client_msg_id: ClientMsgId,
    pub group: u32,
    /// The stop the group is at now; null when it has not set off or is done.
    pub to: Option<u32>,
    /// Where the leader believes the group is.
    pub expected: Option<u32>,
}

/// `observe` (participant): an observation at a stop or at the phone's position.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObserveMsg {
    pub client_msg_id: ClientMsgId,
    pub text: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub group: Option<u32>,
    #[serde(default)]
    pub stop: Option<u32>,
    /// The phone's position in degrees (WGS 84), made coarse before it is kept.
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    pub category: String,
    pub felt_safety: u8,
    /// Default `in_room`: on the walk; a remote follower sends `remote`.
    #[serde(default)]
    pub origin: Option<OriginWire>,
    /// A photo uploaded before (`POST /api/dialogues/{id}/photos`): its `photo_id`.
    #[serde(default)]
    pub photo: Option<String>,
}

/// `create_action` (moderator, organizer).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateActionMsg {
    pub client_msg_id: ClientMsgId,
    pub title: String,
    pub observation_ids: Vec<u64>,
    pub responsible: String,
    /// `YYYY-MM-DD`.
    pub due: String,
}

/// `set_action_status` (moderator, organizer).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetActionStatusMsg {
    pub client_msg_id: ClientMsgId,
    pub action_id: u64,
    pub status: ActionStatusWire,
    /// Why; required for `will_not_be_done`.
    #[serde(default)]
    pub note: String,
    pub expected: ActionStatusWire,
}

/// A join code named as the dialogue before or after: 6 of the code letters.
fn join_code(raw: Option<String>, field: &str) -> Result<Option<String>, String> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(c) => {
            let c = c.to_ascii_uppercase();
            let ok = c.len() == 6
                && c.bytes()
                    .all(|b| super::receipt::RECEIPT_ALPHABET.contains(&b));
            ok.then_some(Some(c))
                .ok_or_else(|| format!("{field} must be a dialogue's join code"))
        }
    }
}

/// One line of at most `max` characters (empty allowed when `required` is false).
fn line(raw: &str, max: usize, field: &str, required: bool) -> Result<String, String> {
    let one = crate::domain::text::normalize(raw)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let n = one.chars().count();
    if (required && n == 0) || n > max {
        let least = if required { 1 } else { 0 };
        return Err(format!("{field} must be {least} to {max} characters"));
    }
    Ok(one)
}

impl WalkPlanBody {
    /// The plan, its texts checked, or a message naming what is wrong; the
    /// walk's own rules are the domain's.
    pub fn into_plan(self) -> Result<WalkPlan, String> {
        let mut stops = Vec::with_capacity(self.stops.len());
        for s in self.stops {
            stops.push(StopWire {
                name: line(&s.name, NAME_MAX_CHARS, "a stop's name", true)?,
                address: line(&s.address, ADDRESS_MAX_CHARS, "a stop's address", false)?,
                ..s
            });
        }
        let mut groups = Vec::with_capacity(self.groups.len());
        for g in self.groups {
            groups.push(super::walk_wire::GroupWire {
                id: g.id,
                name: line(&g.name, NAME_MAX_CHARS, "a group's name", true)?,
                leader: line(&g.leader, NAME_MAX_CHARS, "a group's leader", false)?,
                leader_id: g.leader_id,
                route: g.route,
                at: None,
            });
        }
        let wire = WalkPlanWire {
            stops,
            groups,
            before: join_code(self.before, "before")?,
            after: join_code(self.after, "after")?,
        };
        wire.to_plan().ok_or_else(|| {
            "a stop's lat_e6 must be within ±90e6 and lon_e6 within ±180e6".to_string()
        })
    }
}

impl PlanWalkMsg {
    pub fn into_plan(self) -> Result<(ClientMsgId, WalkPlan), DecodeError> {
        let body = WalkPlanBody {
            stops: self.stops,
            groups: self.groups,
            before: self.before,
            after: self.after,
        };
        match body.into_plan() {
            Ok(plan) => Ok((self.client_msg_id, plan)),
            Err(m) => Err(DecodeError::bad_request(m, &self.client_msg_id)),
        }
    }
}

impl MoveGroupMsg {
    pub fn into_command(self) -> (ClientMsgId, Command) {
        let cmd = Command::MoveGroup {
            group: GroupId(self.group),
            to: self.to.map(StopId),
            expected: self.expected.map(StopId),
        };
        (self.client_msg_id, cmd)
    }
}

impl ObserveMsg {
    /// The observation as a command; a phone's position is snapped to the centre
    /// of its grid cell of `cell_m` metres here, so only the coarse one goes on.
    pub fn into_command(
        self,
        max_chars: usize,
        cell_m: u32,
    ) -> Result<(ClientMsgId, Command), DecodeError> {
        let id = self.client_msg_id;
        let bad = |m: &str| DecodeError::bad_request(m, &id);
        let text = question_text(&self.text, max_chars, &id)?;
        let display_name = parse_display_name(self.display_name.as_deref(), &id)?;
        let felt_safety =
            FeltSafety::new(self.felt_safety).ok_or_else(|| bad("felt_safety must be 1 to 5"))?;
        let place = match (self.stop, self.lat, self.lon) {
            (Some(s), None, None) => Some(Place::Stop(StopId(s))),
            (None, Some(lat), Some(lon)) => Some(Place::Near(
                Position::coarsened(lat, lon, cell_m).map_err(|e| bad(&e.to_string()))?,
            )),
            (None, None, None) => None,
            (Some(_), _, _) => return Err(bad("say where with a stop or a position, not both")),
            _ => return Err(bad("a position needs both lat and lon")),
        };
        let category = line(&self.category, 64, "category", true).map_err(|m| bad(&m))?;
        let cmd = Command::Observe {
            text,
            display_name,
            group: self.group.map(GroupId),
            place,
            category,
            felt_safety,
            origin: self.origin.map_or(Origin::InRoom, Into::into),
            photo: match self.photo.as_deref() {
                None => None,
                Some(p) => Some(
                    crate::domain::walk::PhotoId::parse(p)
                        .ok_or_else(|| bad("photo is the photo_id an upload answered"))?,
                ),
            },
        };
        Ok((id, cmd))
    }
}

impl CreateActionMsg {
    pub fn into_command(self) -> Result<(ClientMsgId, Command), DecodeError> {
        let id = self.client_msg_id;
        let bad = |m: String| DecodeError::bad_request(m, &id);
        if self.observation_ids.len() > MAX_ACTION_OBSERVATIONS {
            return Err(bad(format!(
                "an action comes of at most {MAX_ACTION_OBSERVATIONS} observations"
            )));
        }
        let cmd = Command::CreateAction {
            title: line(&self.title, TITLE_MAX_CHARS, "title", true).map_err(bad)?,
            observations: self.observation_ids.into_iter().map(QuestionId).collect(),
            responsible: line(
                &self.responsible,
                RESPONSIBLE_MAX_CHARS,
                "responsible",
                true,
            )
            .map_err(bad)?,
            due: due_date(&self.due).map_err(bad)?,
        };
        Ok((id, cmd))
    }
}

impl SetActionStatusMsg {
    pub fn into_command(self) -> Result<(ClientMsgId, Command), DecodeError> {
        let id = self.client_msg_id;
        let note = if self.note.trim().is_empty() {
            String::new()
        } else {
            plain_text(&self.note, NOTE_MAX_CHARS, "note")
                .map_err(|m| DecodeError::bad_request(m, &id))?
        };
        let cmd = Command::SetActionStatus {
            action: ActionId(self.action_id),
            status: self.status.into(),
            note,
            expected: self.expected.into(),
        };
        Ok((id, cmd))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ClientMessage, ErrorCode, decode};
    use crate::domain::Command;
    use crate::domain::walk::{Place, Position};

    fn command(text: &str) -> Result<Command, ErrorCode> {
        let msg = decode(text).map_err(|e| e.code)?;
        msg.into_command(500)
            .map(|c| c.expect("a submission").1)
            .map_err(|e| e.code)
    }

    #[test]
    fn a_phone_position_is_coarse_before_it_becomes_a_command() {
        let cmd = command(
            r#"{"type":"observe","client_msg_id":"o1","text":"Mörkt","category":"lighting",
                "felt_safety":2,"lat":59.3345912,"lon":18.0632401}"#,
        )
        .unwrap();
        let Command::Observe { place, .. } = cmd else {
            panic!("not an observation")
        };
        let coarse = Position::coarsened(59.3345912, 18.0632401, 100).unwrap();
        assert_eq!(place, Some(Place::Near(coarse)));
        assert_ne!(coarse.lat_e6(), 59_334_591);
    }

    #[test]
    fn bad_walk_fields_are_bad_requests() {
        for bad in [
            // Both a stop and a position; half a position; a rating out of range.
            r#"{"type":"observe","client_msg_id":"o","text":"x","category":"lighting","felt_safety":2,"stop":1,"lat":59.3,"lon":18.0}"#,
            r#"{"type":"observe","client_msg_id":"o","text":"x","category":"lighting","felt_safety":2,"lat":59.3}"#,
            r#"{"type":"observe","client_msg_id":"o","text":"x","category":"lighting","felt_safety":6}"#,
            r#"{"type":"observe","client_msg_id":"o","text":"x","category":"lighting","felt_safety":3,"lat":91.0,"lon":18.0}"#,
            r#"{"type":"plan_walk","client_msg_id":"p","stops":[{"id":1,"name":" "}],"groups":[]}"#,
            r#"{"type":"plan_walk","client_msg_id":"p","stops":[{"id":1,"name":"A","lat_e6":95000000,"lon_e6":0}],"groups":[]}"#,
            r#"{"type":"plan_walk","client_msg_id":"p","stops":[],"groups":[],"before":"nope"}"#,
            r#"{"type":"create_action","client_msg_id":"c","title":"T","observation_ids":[1],"responsible":"R","due":"1 maj"}"#,
            r#"{"type":"set_action_status","client_msg_id":"s","action_id":1,"status":"sleeping","expected":"reported"}"#,
        ] {
            assert_eq!(command(bad).err(), Some(ErrorCode::BadRequest), "{bad}");
        }
        assert!(matches!(
            decode(r#"{"type":"move_group","client_msg_id":"m","group":1,"to":2,"expected":null}"#),
            Ok(ClientMessage::MoveGroup(_))
        ));
    }
}
