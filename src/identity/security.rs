//! Security events: sign-ins, failed sign-ins, refused authorizations,
//! revocations, bans and rate-limit closes. Each goes into the audit trail (who,
//! what, when; ids and codes only, never text anyone wrote) and is logged at INFO
//! as a structured event without personal text, so an incident can be traced.
//!
//! Events that concern no one dialogue are filed under the nil dialogue id.

use crate::domain::DialogueId;
use crate::store::{AuditEntry, Store};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    SignedIn {
        who: Uuid,
        how: &'static str,
    },
    SignInRefused {
        reason: &'static str,
    },
    SignedOut {
        who: Uuid,
    },
    CsrfRefused {
        who: Uuid,
    },
    /// The authorization table said no.
    Refused {
        who: Uuid,
        standing: &'static str,
        action: &'static str,
        dialogue: Option<DialogueId>,
    },
    /// Someone's credentials were withdrawn (removed from a dialogue or the staff).
    Revoked {
        by: Uuid,
        whom: Uuid,
        dialogue: Option<DialogueId>,
        sessions: u64,
    },
    /// Staff or a dialogue invitation was issued for someone.
    Invited {
        by: Uuid,
        whom: Uuid,
        dialogue: Option<DialogueId>,
        role: &'static str,
    },
    Banned {
        by: Uuid,
        whom: Uuid,
        dialogue: DialogueId,
    },
    RateLimitClosed {
        who: Uuid,
        dialogue: DialogueId,
    },
}

impl Event {
    /// (actor role, actor id, action, dialogue, target, detail)
    fn parts(
        &self,
    ) -> (
        &'static str,
        Uuid,
        &'static str,
        Option<DialogueId>,
        Option<String>,
        Option<String>,
    ) {
        match self {
            Event::SignedIn { who, how } => (
                "staff",
                *who,
                "signed_in",
                None,
                None,
                Some(format!(r#"{{"how":"{how}"}}"#)),
            ),
            Event::SignInRefused { reason } => (
                "anonymous",
                Uuid::nil(),
                "sign_in_refused",
                None,
                None,
                Some(format!(r#"{{"reason":"{reason}"}}"#)),
            ),
            Event::SignedOut { who } => ("staff", *who, "signed_out", None, None, None),
            Event::CsrfRefused { who } => ("staff", *who, "csrf_refused", None, None, None),
            Event::Refused {
                who,
                standing,
                action,
                dialogue,
            } => (
                standing,
                *who,
                "refused",
                *dialogue,
                None,
                Some(format!(r#"{{"action":"{action}"}}"#)),
            ),
            Event::Revoked {
                by,
                whom,
                dialogue,
                sessions,
            } => (
                "staff",
                *by,
                "revoked",
                *dialogue,
                Some(format!("person:{whom}")),
                Some(format!(r#"{{"sessions":{sessions}}}"#)),
            ),
            Event::Invited {
                by,
                whom,
                dialogue,
                role,
            } => (
                "staff",
                *by,
                "invited",
                *dialogue,
                Some(format!("person:{whom}")),
                Some(format!(r#"{{"role":"{role}"}}"#)),
            ),
            Event::Banned { by, whom, dialogue } => (
                "staff",
                *by,
                "banned",
                Some(*dialogue),
                Some(format!("participant:{whom}")),
                None,
            ),
            Event::RateLimitClosed { who, dialogue } => (
                "connection",
                *who,
                "rate_limit_closed",
                Some(*dialogue),
                None,
                None,
            ),
        }
    }
}

/// Writes the event to the audit trail and the log. A store that fails loses
/// the row, not the request: the log line is written either way.
pub async fn record(store: &dyn Store, event: Event, now: i64) {
    let (role, actor, action, dialogue, target, detail) = event.parts();
    tracing::info!(
        security = action,
        actor_role = role,
        actor = %actor,
        dialogue = ?dialogue,
        target = target.as_deref().unwrap_or(""),
        detail = detail.as_deref().unwrap_or(""),
        "security event"
    );
    let entry = AuditEntry {
        at: now,
        actor_role: role.to_string(),
        actor_id: actor,
        action: action.to_string(),
        target,
        event_seq: None,
        detail,
    };
    if let Err(e) = store
        .audit_append(dialogue.unwrap_or(Uuid::nil()), &entry)
        .await
    {
        tracing::warn!(error = %e, "a security event could not be written to the audit trail");
    }
}
