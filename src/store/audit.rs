//! The audit trail: who (role and id), when, what, on which target, for every
//! action of staff and panel. Rows are derived from the logged events in the same
//! transaction as the events, plus REST-only actions (exports, erasures, retention
//! runs). Append-only: both stores reject updates and deletes by trigger, except
//! deletes of rows past the retention horizon (see the migrations).
//!
//! Rows never hold text anyone wrote (questions, names, tips): the export shows
//! text changes from the log, masked by the confidentiality guard.

use super::{StoreError, StoredEvent};
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
    "owner",
    "outcome",
    "receipt",
];

/// Audit entries for the logged events that staff or panel caused (participants'
/// own submissions are in the log, not in the audit trail).
pub fn entries_for(events: &[StoredEvent]) -> Result<Vec<AuditEntry>, StoreError> {
    let mut out = Vec::new();
    for e in events {
        // Most events are participants' (questions asked): skip them before parsing.
        if e.actor.contains(r#""role":"participant""#) {
            continue;
        }
        let bad = |err: serde_json::Error| {
            StoreError::Config(format!("unreadable event {} for the audit: {err}", e.seq))
        };
        let actor: Value = serde_json::from_str(&e.actor).map_err(bad)?;
        let role = actor["role"].as_str().unwrap_or_default();
        if role == "participant" {
            continue;
        }
        let actor_id = actor["id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .unwrap_or_default();
        let body: Value = serde_json::from_str(&e.body).map_err(bad)?;
        let action = body["kind"].as_str().unwrap_or("unknown").to_string();
        out.push(AuditEntry {
            at: e.at,
            actor_role: role.to_string(),
            actor_id,
            action,
            target: target_of(&body),
            event_seq: Some(e.seq),
            detail: detail_of(&body),
        });
    }
    Ok(out)
}

fn target_of(body: &Value) -> Option<String> {
    let id = |key: &str| match &body[key] {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    [
        ("question_id", "question"),
        ("poll_id", "poll"),
        ("tip_id", "tip"),
        ("participant_id", "participant"),
    ]
    .iter()
    .find_map(|(key, name)| id(key).map(|v| format!("{name}:{v}")))
    .or_else(|| {
        body["panelist"]["id"]
            .as_str()
            .map(|id| format!("panelist:{id}"))
    })
    .or_else(|| {
        body["moderator"]["id"]
            .as_str()
            .map(|id| format!("moderator:{id}"))
    })
}

fn detail_of(body: &Value) -> Option<String> {
    let Value::Object(fields) = body else {
        return None;
    };
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
