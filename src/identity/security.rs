//! Security events: sign-ins, failed sign-ins, refused authorizations,
//! revocations, refused joins and rate-limit closes. Each goes into the audit
//! trail (who, what, when; ids and codes only, never text anyone wrote) and is
//! logged at INFO as a structured event without personal text, so an incident
//! can be traced. A ban is a command in the dialogue's log: its audit row
//! (`participant_banned`) is written with the event, and the hub logs it at INFO
//! in the same shape as these.
//!
//! Events that concern no one dialogue are filed under the nil dialogue id.
//!
//! Events anyone can cause at will (refusals, refused sign-ins, refused joins,
//! rate-limit closes) are aggregated ([`Throttle`]): the first of a kind is
//! written at once; the same event again (same actor, action, dialogue and
//! detail, over any connection) within the minute that the first one started
//! is only counted, and one more row with `"repeats": n` is written when that
//! minute is over. A client that sends 10,000 refused commands in a minute
//! makes two rows and two log lines, not 10,000; reconnecting does not reset
//! the count.

use crate::domain::DialogueId;
use crate::store::AuditEntry;
use crate::transport::AppState;
use std::collections::HashMap;
use std::sync::Mutex;
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
    /// The authorization table said no (REST, or a WebSocket command the
    /// socket's role may not send: `action` is then the command's name).
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
    /// A socket closed with 4429 for sending faster than its limit.
    RateLimitClosed {
        who: Uuid,
        role: &'static str,
        dialogue: DialogueId,
    },
    /// A join refused by a per-address limit (the address is not kept).
    JoinRefused {
        limit: &'static str,
    },
}

/// One audit row's parts, as written: what the throttle compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Row {
    role: &'static str,
    actor: Uuid,
    action: &'static str,
    dialogue: Option<DialogueId>,
    target: Option<String>,
    detail: Option<String>,
}

impl Event {
    /// Whether anyone can cause this at will, so it is aggregated.
    fn floods(&self) -> bool {
        match self {
            Event::SignInRefused { .. }
            | Event::CsrfRefused { .. }
            | Event::Refused { .. }
            | Event::RateLimitClosed { .. }
            | Event::JoinRefused { .. } => true,
            Event::SignedIn { .. }
            | Event::SignedOut { .. }
            | Event::Revoked { .. }
            | Event::Invited { .. } => false,
        }
    }

    fn row(&self) -> Row {
        let row = |role, actor, action, dialogue, target, detail| Row {
            role,
            actor,
            action,
            dialogue,
            target,
            detail,
        };
        match self {
            Event::SignedIn { who, how } => row(
                "staff",
                *who,
                "signed_in",
                None,
                None,
                Some(format!(r#"{{"how":"{how}"}}"#)),
            ),
            Event::SignInRefused { reason } => row(
                "anonymous",
                Uuid::nil(),
                "sign_in_refused",
                None,
                None,
                Some(format!(r#"{{"reason":"{reason}"}}"#)),
            ),
            Event::SignedOut { who } => row("staff", *who, "signed_out", None, None, None),
            Event::CsrfRefused { who } => row("staff", *who, "csrf_refused", None, None, None),
            Event::Refused {
                who,
                standing,
                action,
                dialogue,
            } => row(
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
            } => row(
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
            } => row(
                "staff",
                *by,
                "invited",
                *dialogue,
                Some(format!("person:{whom}")),
                Some(format!(r#"{{"role":"{role}"}}"#)),
            ),
            Event::RateLimitClosed {
                who,
                role,
                dialogue,
            } => row(role, *who, "rate_limit_closed", Some(*dialogue), None, None),
            Event::JoinRefused { limit } => row(
                "anonymous",
                Uuid::nil(),
                "join_refused",
                None,
                None,
                Some(format!(r#"{{"limit":"{limit}"}}"#)),
            ),
        }
    }
}

/// How long one window of aggregation lasts (ms).
pub const WINDOW_MS: i64 = 60_000;

/// Windows kept at most; past this, new kinds of event are counted together
/// (`security_events_dropped`) until windows end, so the table stays bounded.
const MAX_WINDOWS: usize = 50_000;

/// The row, and whether it is an ended window's count waiting to be written.
type Key = (Row, bool);

struct Window {
    ends: i64,
    repeats: u64,
}

#[derive(Default)]
struct Windows {
    open: HashMap<Key, Window>,
    /// Events not written because the table was full.
    dropped: u64,
}

/// The aggregation of flood-prone events, per node. Time is passed in.
#[derive(Default)]
pub struct Throttle {
    // A std mutex: held for a lookup or an insert, never across an await.
    windows: Mutex<Windows>,
}

impl Throttle {
    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        self.windows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this occurrence is written now (the first in its window);
    /// otherwise it is counted as a repeat.
    fn admit(&self, key: Key, now: i64) -> bool {
        let mut w = self.lock();
        if let Some(open) = w.open.get_mut(&key) {
            if now < open.ends {
                open.repeats += 1;
                return false;
            }
        }
        if w.open.len() >= MAX_WINDOWS && !w.open.contains_key(&key) {
            w.dropped += 1;
            return false;
        }
        // An ended window still counting repeats is written by `ended` first.
        let previous = w.open.insert(
            key.clone(),
            Window {
                ends: now + WINDOW_MS,
                repeats: 0,
            },
        );
        if let Some(p) = previous.filter(|p| p.repeats > 0) {
            // Its summary goes out with the next sweep, under a key of its own.
            let (row, _) = key;
            w.open
                .entry((row, true))
                .or_insert(Window {
                    ends: now,
                    repeats: 0,
                })
                .repeats += p.repeats;
        }
        true
    }

    /// The windows that ended by `now`, forgotten; those with repeats, to be
    /// written as summaries. And the events dropped since the last call.
    fn ended(&self, now: i64) -> (Vec<(Row, u64)>, u64) {
        let mut w = self.lock();
        let mut out = Vec::new();
        w.open.retain(|(row, _), window| {
            let over = now >= window.ends;
            if over && window.repeats > 0 {
                out.push((row.clone(), window.repeats));
            }
            !over
        });
        let dropped = std::mem::take(&mut w.dropped);
        (out, dropped)
    }
}

/// Writes the event to the audit trail and the log, unless it repeats one
/// already written in its window (then it is counted). A store that fails
/// loses the row, not the request: the log line is written either way.
pub async fn record(state: &AppState, event: Event, now: i64) {
    let row = event.row();
    if event.floods() && !state.security.admit((row.clone(), false), now) {
        return;
    }
    write(state, row, None, now).await;
}

/// As [`record`], without waiting (for a WebSocket's reader, which goes on):
/// a row to write is written by a task of its own.
pub fn note(state: &AppState, event: Event, now: i64) {
    let row = event.row();
    if event.floods() && !state.security.admit((row.clone(), false), now) {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move { write(&state, row, None, now).await });
}

/// Writes the repeats of the windows that ended (the revocation watcher calls
/// this on each of its rounds).
pub async fn sweep(state: &AppState, now: i64) {
    let (rows, dropped) = state.security.ended(now);
    for (row, repeats) in rows {
        write(state, row, Some(repeats), now).await;
    }
    if dropped > 0 {
        let row = Row {
            role: "server",
            actor: Uuid::nil(),
            action: "security_events_dropped",
            dialogue: None,
            target: None,
            detail: None,
        };
        write(state, row, Some(dropped), now).await;
    }
}

async fn write(state: &AppState, row: Row, repeats: Option<u64>, now: i64) {
    let detail = match (row.detail, repeats) {
        (d, None) => d,
        (None, Some(n)) => Some(format!(r#"{{"repeats":{n}}}"#)),
        (Some(d), Some(n)) => Some(format!(r#"{},"repeats":{n}}}"#, d.trim_end_matches('}'))),
    };
    tracing::info!(
        security = row.action,
        actor_role = row.role,
        actor = %row.actor,
        dialogue = ?row.dialogue,
        target = row.target.as_deref().unwrap_or(""),
        detail = detail.as_deref().unwrap_or(""),
        "security event"
    );
    let entry = AuditEntry {
        at: now,
        actor_role: row.role.to_string(),
        actor_id: row.actor,
        action: row.action.to_string(),
        target: row.target,
        event_seq: None,
        detail,
    };
    if let Err(e) = state
        .registry
        .store()
        .audit_append(row.dialogue.unwrap_or(Uuid::nil()), &entry)
        .await
    {
        tracing::warn!(error = %e, "a security event could not be written to the audit trail");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(who: Uuid) -> Key {
        let e = Event::Refused {
            who,
            standing: "participant",
            action: "approve",
            dialogue: Some(Uuid::nil()),
        };
        (e.row(), false)
    }

    #[test]
    fn the_same_event_is_written_once_a_window_and_its_repeats_once_after() {
        let t = Throttle::default();
        let key = refused(Uuid::from_u128(1));
        assert!(t.admit(key.clone(), 0));
        for i in 1..10_000 {
            assert!(!t.admit(key.clone(), i / 1000));
        }
        // Another person's refusal is a row of its own.
        assert!(t.admit(refused(Uuid::from_u128(2)), 5));
        assert!(t.ended(WINDOW_MS - 1).0.is_empty());
        let (rows, dropped) = t.ended(WINDOW_MS);
        assert_eq!(rows.len(), 1, "only the one that repeated");
        assert_eq!(rows[0].1, 9_999);
        assert_eq!(dropped, 0);
        // The next window starts afresh.
        assert!(t.admit(key, WINDOW_MS + 1));
    }

    #[test]
    fn a_repeat_after_the_window_is_written_and_the_old_count_kept() {
        let t = Throttle::default();
        let key = refused(Uuid::from_u128(1));
        assert!(t.admit(key.clone(), 0));
        assert!(!t.admit(key.clone(), 1));
        // No sweep in between: the new window starts, the old count waits.
        assert!(t.admit(key.clone(), WINDOW_MS + 5));
        assert!(!t.admit(key, WINDOW_MS + 6));
        let (rows, _) = t.ended(WINDOW_MS + 5);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].1, 1, "the first window's repeat");
    }

    #[test]
    fn a_full_table_counts_what_it_cannot_hold() {
        let t = Throttle::default();
        for i in 0..MAX_WINDOWS as u128 {
            assert!(t.admit(refused(Uuid::from_u128(i)), 0));
        }
        assert!(!t.admit(refused(Uuid::from_u128(u128::MAX)), 0));
        let (rows, dropped) = t.ended(WINDOW_MS);
        assert!(rows.is_empty());
        assert_eq!(dropped, 1);
    }

    #[test]
    fn no_row_holds_more_than_ids_and_codes() {
        let row = Event::RateLimitClosed {
            who: Uuid::nil(),
            role: "participant",
            dialogue: Uuid::nil(),
        }
        .row();
        assert_eq!(row.action, "rate_limit_closed");
        assert_eq!(row.role, "participant");
        assert!(row.detail.is_none() && row.target.is_none());
    }
}
