//! The audit trail: who (role and id), when, what, on which target, for every
//! action of staff and panel. Rows are derived from the logged events in the same
//! transaction as the events, plus REST-only actions (exports, erasures, retention
//! runs). Append-only: both stores reject updates and deletes by trigger, except
//! deletes of rows past the retention horizon (see the migrations).
//!
//! Rows never hold text anyone wrote (questions, names, tips): the export shows
//! text changes from the log, masked by the confidentiality guard.

use super::{StoreError, StoredEvent};
use crate::domain::{Actor, Event};
use crate::log;
use serde_json::{Map, Value};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub actor_role: String,
    pub actor_id: Uuid,
    pub action: String,
    /// What it was done to: `question:3`, `poll:1`, `tip:2`, `participant:<id>`.
    pub target: Option<String>,
    /// The logged event this entry records, if it was one.
    pub event_seq: Option<u64>,
    /// The action's non-text fields as JSON (reason, phase, ids…).
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: u64,
    pub entry: AuditEntry,
}

/// Fields that hold text a person wrote: never copied into an audit row.
const TEXT_FIELDS: &[&str] = &[
    "text",
    "edited_text",
    "display_name",
    "title",
    "description",
    "question",
    "options",
    "venue",
    "livestream_url",
    "panelist",
    "moderator",
    "purpose",
    "address",
    "unreached_plan",
    "source",
    "link",
    // A post's data series: its headings and labels are someone's words.
    "data",
    "owner",
    "outcome",
    "receipt",
    "stops",
    "groups",
    "note",
    "responsible",
    "lat_e6",
    "lon_e6",
    "before",
    "after",
];

/// Audit entries for the logged events that staff or panel caused (participants'
/// own submissions are in the log, not in the audit trail). Read with the log's
/// codec, so the trail follows the stored format, not the wire.
pub fn entries_for(events: &[StoredEvent]) -> Result<Vec<AuditEntry>, StoreError> {
    let mut out = Vec::new();
    for e in events {
        // Most events are participants' (questions asked): skip them before the body.
        let by = log::decode_actor(e.seq, &e.actor)?;
        if matches!(by, Actor::Participant(_)) {
            continue;
        }
        let event = log::decode_event(e.seq, &e.body)?;
        out.push(AuditEntry {
            at: e.at,
            actor_role: log::role_name(&by),
            actor_id: by.id(),
            action: log::kind(&event).to_string(),
            target: target_of(&event),
            event_seq: Some(e.seq),
            detail: detail_of(&event),
        });
    }
    Ok(out)
}

/// What the action was done to.
fn target_of(event: &Event) -> Option<String> {
    let (name, id) = match event {
        Event::QuestionAsked { question, .. }
        | Event::QuestionApproved { question, .. }
        | Event::QuestionRejected { question, .. }
        | Event::QuestionMerged { question, .. }
        | Event::QuestionAnswered { question }
        | Event::QuestionArchived { question }
        | Event::AnswerWritten { question, .. }
        | Event::AnswerPublished { question, .. }
        | Event::FollowUpPromised { question, .. }
        | Event::FollowUpDone { question, .. }
        | Event::QuestionMovedToPrivate { question, .. } => ("question", question.0.to_string()),
        Event::NowAnswering {
            question: Some(question),
        } => ("question", question.0.to_string()),
        Event::PostShown { post: Some(post) } => ("post", post.0.to_string()),
        Event::PollCreated { poll, .. }
        | Event::PollOpened { poll }
        | Event::PollClosed { poll, .. }
        | Event::PollResultsShown { poll, .. } => ("poll", poll.0.to_string()),
        Event::TipSent { tip, .. } => ("tip", tip.0.to_string()),
        Event::ObservationPlaced(o) => ("question", o.question.0.to_string()),
        Event::PhotoPublished { question, .. } => ("question", question.0.to_string()),
        Event::GroupMoved { group, .. } => ("group", group.0.to_string()),
        Event::ActionCreated { action, .. } | Event::ActionStatusChanged { action, .. } => {
            ("action", action.0.to_string())
        }
        Event::ParticipantMuted { participant }
        | Event::ParticipantBanned { participant }
        | Event::ParticipantUnbanned { participant } => ("participant", participant.to_string()),
        Event::PanelistAdded(p) => ("panelist", p.id.to_string()),
        Event::ModeratorAdded(m) => ("moderator", m.id.to_string()),
        Event::PanelistRemoved { panelist } => ("panelist", panelist.to_string()),
        Event::ModeratorRemoved { moderator } => ("moderator", moderator.to_string()),
        Event::NowAnswering { question: None }
        | Event::PostShown { post: None }
        | Event::InfoSet(_)
        | Event::PhaseChanged { .. }
        | Event::UpNextSet { .. }
        | Event::InfoPosted { .. }
        | Event::InfoPostEdited { .. }
        | Event::InvitationOpened
        | Event::RoomEntered
        | Event::TipRecipientsSet { .. }
        | Event::WalkPlanned(_) => return None,
    };
    Some(format!("{name}:{id}"))
}

/// The event's stored fields that hold no text a person wrote.
fn detail_of(event: &Event) -> Option<String> {
    let fields = log::fields(event);
    let mut detail: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| k.as_str() != "kind" && !TEXT_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if fields.get("edited_text").is_some_and(|t| !t.is_null()) {
        detail.insert("text_changed".into(), Value::Bool(true));
    }
    (!detail.is_empty()).then(|| Value::Object(detail).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_events_become_entries_without_any_text() {
        let events = [
            StoredEvent {
                seq: 7,
                at: 1,
                actor: r#"{"role":"moderator","id":"26d0282d-e67e-5b4e-b881-1945ff733a5f"}"#.into(),
                body: r#"{"kind":"question_approved","question_id":3,"edited_text":"Min granne [...]"}"#.into(),
            },
            StoredEvent {
                seq: 8,
                at: 2,
                actor: r#"{"role":"participant","id":"26d0282d-e67e-5b4e-b881-1945ff733a5f"}"#.into(),
                body: r#"{"kind":"tip_sent","tip_id":1,"text":"hemligt","display_name":null}"#.into(),
            },
        ];
        let entries = entries_for(&events).unwrap();
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e.action, "question_approved");
        assert_eq!(e.target.as_deref(), Some("question:3"));
        assert_eq!(
            e.detail.as_deref(),
            Some(r#"{"question_id":3,"text_changed":true}"#)
        );
        assert!(!format!("{e:?}").contains("granne"));
    }
}
