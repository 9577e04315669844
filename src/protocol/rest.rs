//! The REST shapes: what organizers send to set a dialogue up, what joining by
//! code answers, and the small answers around them. Handlers live in
//! `transport/rest.rs`; the shapes and their field checks live here.

use super::{LocationWire, PanelKindWire, PhaseWire};
use crate::domain::{DialogueInfo, PanelKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `GET /healthz` and `GET /readyz`: `{"status":"ok"}` or `{"status":"ready"}`.
#[derive(Debug, Clone, Serialize)]
pub struct HealthWire {
    pub status: &'static str,
}

/// A dialogue's information, as the organizer sends it (create and `PUT …/info`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoBody {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// What participants can and cannot influence; required before the dialogue opens.
    #[serde(default)]
    pub purpose: String,
    /// RFC 3339, e.g. "2026-12-03T18:00:00+01:00".
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    #[serde(default)]
    pub venue: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub livestream_url: String,
    #[serde(default)]
    pub expected_kinds: Vec<PanelKindWire>,
    #[serde(default)]
    pub unreached_plan: String,
    /// The district a new dialogue belongs to (create only); may be left out by
    /// staff who organize in one district only.
    pub district: Option<String>,
    /// `meeting` (the default) or `walk` (create only).
    pub kind: Option<DialogueKindWire>,
    /// A walk's plan (create only; required with `kind: walk`).
    pub walk: Option<super::client_walk::WalkPlanBody>,
}

/// What a dialogue is: a meeting with questions, or a safety walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogueKindWire {
    #[default]
    Meeting,
    Walk,
}

fn rfc3339(field: &str, value: Option<&str>) -> Result<Option<i64>, String> {
    match value {
        None | Some("") => Ok(None),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.timestamp_millis()))
            .map_err(|_| format!("{field} must be an RFC 3339 time")),
    }
}

impl InfoBody {
    /// A new dialogue's kind and, for a walk, its checked plan (taken out of the
    /// body), or a message naming what is wrong (a `bad_request`).
    pub fn take_walk(
        &mut self,
    ) -> Result<(DialogueKindWire, Option<crate::domain::walk::WalkPlan>), String> {
        let kind = self.kind.unwrap_or_default();
        match (kind, self.walk.take()) {
            (DialogueKindWire::Walk, Some(body)) => {
                let plan = body.into_plan()?;
                plan.check().map_err(str::to_string)?;
                Ok((kind, Some(plan)))
            }
            (DialogueKindWire::Walk, None) => Err("a walk needs its plan (\"walk\")".into()),
            (DialogueKindWire::Meeting, Some(_)) => {
                Err("a plan (\"walk\") goes with \"kind\": \"walk\"".into())
            }
            (DialogueKindWire::Meeting, None) => Ok((kind, None)),
        }
    }

    /// The checked information, or a message naming what is wrong (a `bad_request`).
    pub fn into_info(self) -> Result<DialogueInfo, String> {
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            return Err("title must be 1 to 200 characters".into());
        }
        let long = |s: &str, max: usize| s.chars().count() > max;
        if long(&self.description, 5000)
            || long(&self.purpose, 2000)
            || long(&self.unreached_plan, 1000)
            || long(&self.venue, 300)
            || long(&self.address, 300)
        {
            return Err("description, purpose, unreached_plan, venue or address too long".into());
        }
        let url = self.livestream_url.trim().to_string();
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return Err("livestream_url must be an http(s) URL".into());
        }
        let starts_at = rfc3339("starts_at", self.starts_at.as_deref())?;
        let ends_at = rfc3339("ends_at", self.ends_at.as_deref())?;
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            return Err("ends_at must be after starts_at".into());
        }
        let mut expected_kinds: Vec<PanelKind> =
            self.expected_kinds.into_iter().map(Into::into).collect();
        expected_kinds.sort_by_key(|k| *k as u8);
        expected_kinds.dedup();
        Ok(DialogueInfo {
            title,
            description: self.description.trim().to_string(),
            purpose: self.purpose.trim().to_string(),
            starts_at,
            ends_at,
            venue: self.venue.trim().to_string(),
            address: self.address.trim().to_string(),
            livestream_url: url,
            expected_kinds,
            unreached_plan: self.unreached_plan.trim().to_string(),
        })
    }
}

/// `POST /api/dialogues` answers with the new dialogue's id, code and join link.
#[derive(Serialize)]
pub struct CreatedDialogue {
    pub id: Uuid,
    pub code: String,
    pub join_url: String,
    pub kind: DialogueKindWire,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseBody {
    pub phase: PhaseWire,
    pub expected: PhaseWire,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelistBody {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub organisation: String,
    pub kind: PanelKindWire,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeratorBody {
    /// A moderator from outside the staff, invited by link.
    #[serde(default)]
    pub name: String,
    /// A staff member of the district (they sign in as usual; no link).
    pub staff_id: Option<Uuid>,
}

/// An invitation: the invited person's id and their single-use invitation link
/// (it signs in whoever uses it first, once; pass it on privately).
#[derive(Serialize)]
pub struct Invitation {
    pub id: Uuid,
    pub invite_url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    pub code: String,
    pub location: Option<LocationWire>,
}

/// A fresh anonymous identity, for the browser to keep.
#[derive(Serialize)]
pub struct Joined {
    pub dialogue_id: Uuid,
    pub participant_id: Uuid,
    pub token: String,
    pub location: LocationWire,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    /// Absent for a new post; the post to edit otherwise.
    pub post_id: Option<u64>,
    pub text: String,
    pub source: String,
    pub link: Option<String>,
    /// A small data series drawn as a chart beside the text.
    pub data: Option<SeriesBody>,
}

/// `POST /api/districts/{district}/posts`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrictPostBody {
    pub title: String,
    pub text: String,
    pub source: String,
    pub link: Option<String>,
    /// A small data series drawn as a chart beside the text.
    pub data: Option<SeriesBody>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesBody {
    /// A header row, then a label and 1 to 4 numbers per row (`,` or `;` between fields).
    pub csv: String,
    /// Where the numbers come from.
    pub source: String,
}

/// A district post as stored; the answer to `POST /api/districts/{district}/posts`.
#[derive(Debug, Serialize)]
pub struct DistrictPostWire {
    pub id: uuid::Uuid,
    pub district: String,
    pub title: String,
    pub text: String,
    pub source: String,
    pub link: Option<String>,
    pub data_source: Option<String>,
    /// The chart's address, when the post has data.
    pub chart: Option<String>,
    pub posted_at: i64,
}

/// `GET /o/{district}`: the language and the promise filters.
#[derive(Debug, Default, Deserialize)]
pub struct DistrictPageQuery {
    pub lang: Option<String>,
    /// `open`, `overdue`, `done` or `will_not_be_done`; all when absent.
    pub status: Option<String>,
    /// A dialogue's join code: only its promises.
    pub place: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    pub outcome: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipRecipients {
    pub kinds: Vec<PanelKindWire>,
}

/// `GET /api/safety`: the numbers the participant page shows for reporting crimes.
#[derive(Serialize)]
pub struct SafetyNumbers<'a> {
    pub emergency_number: &'a str,
    pub police_number: &'a str,
    /// The deployment's danger phrases: the page matches what its visitor writes
    /// against them and shows emergency advice at once, before anything is sent.
    pub danger_phrases: &'a [String],
}

/// The query of the server-rendered pages: `?lang=` (`sv`, `en`, `ar`, `so`), and on the receipt page `?code=…`.
#[derive(Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
    pub code: Option<String>,
}

/// `POST /api/receipts/{receipt}/mail`: the address for notes on the question.
#[derive(Debug, Deserialize)]
pub struct MailNoteBody {
    pub address: String,
}

/// `POST /r/{receipt}/mail`: the receipt page's form.
#[derive(Debug, Deserialize)]
pub struct MailNoteForm {
    pub address: String,
    pub lang: Option<String>,
}
