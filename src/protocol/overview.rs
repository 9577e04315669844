//! The organizer's overview: their dialogues with what needs attention (late
//! invitations, missing panel kinds, unopened invitations, overdue follow-ups
//! and, on a walk, overdue actions).

use super::{PanelKindWire, PhaseWire};
use crate::domain::{Dialogue, Phase, Timestamp};
use serde::Serialize;
use uuid::Uuid;

/// Something the organizer should act on before (or after) a meeting.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// Published fewer than `required_days` before the start (or not published yet and too close).
    LateInvitation {
        days_before: Option<i64>,
        required_days: i64,
        published: bool,
    },
    /// A panel kind the organizer expected has nobody on the panel.
    MissingPanelKind {
        panel_kind: PanelKindWire,
    },
    InvitationNotOpened {
        panelist_id: Uuid,
        name: String,
    },
}

/// A promised follow-up past its day without an outcome.
#[derive(Serialize)]
pub struct Overdue {
    pub question_id: u64,
    pub owner: String,
    pub due: chrono::NaiveDate,
}

/// A walk's action past its due day and neither done nor given up.
#[derive(Serialize)]
pub struct OverdueAction {
    pub action_id: u64,
    pub title: String,
    pub responsible: String,
    pub due: chrono::NaiveDate,
    pub status: super::walk_wire::ActionStatusWire,
}

/// One dialogue in `GET /api/overview`.
#[derive(Serialize)]
pub struct OverviewItem {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub phase: PhaseWire,
    pub starts_at: Option<i64>,
    pub published_at: Option<i64>,
    pub warnings: Vec<Warning>,
    pub overdue_follow_ups: Vec<Overdue>,
    /// A walk's overdue actions (empty for a meeting).
    pub overdue_actions: Vec<OverdueAction>,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

impl OverviewItem {
    /// What needs attention in `d` at `now`, with invitations due `lead_days`
    /// ahead and follow-ups and actions overdue after `today` (the day it is in
    /// the meetings' time zone, `district::today`).
    pub fn new(
        d: &Dialogue,
        now: Timestamp,
        today: chrono::NaiveDate,
        lead_days: i64,
    ) -> OverviewItem {
        let mut warnings = Vec::new();
        if d.phase != Phase::Closed {
            if let Some(start) = d.info.starts_at {
                let late = match d.published_at {
                    Some(published) => start - published < lead_days * DAY_MS,
                    None => start - now < lead_days * DAY_MS,
                };
                if late {
                    warnings.push(Warning::LateInvitation {
                        days_before: d.published_at.map(|p| (start - p).div_euclid(DAY_MS)),
                        required_days: lead_days,
                        published: d.published_at.is_some(),
                    });
                }
            }
            for kind in &d.info.expected_kinds {
                if !d.panelists.iter().any(|p| p.kind == *kind) {
                    warnings.push(Warning::MissingPanelKind {
                        panel_kind: (*kind).into(),
                    });
                }
            }
            for p in &d.panelists {
                if !d.opened.contains(&p.id) {
                    warnings.push(Warning::InvitationNotOpened {
                        panelist_id: p.id,
                        name: p.name.clone(),
                    });
                }
            }
        }
        let overdue_follow_ups = d
            .questions
            .values()
            .filter_map(|q| {
                let f = q.follow_up.as_ref()?;
                (f.outcome.is_none() && f.due < today).then(|| Overdue {
                    question_id: q.id.0,
                    owner: f.owner.clone(),
                    due: f.due,
                })
            })
            .collect();
        use crate::domain::walk::ActionStatus;
        let overdue_actions = d
            .walk
            .iter()
            .flat_map(|w| w.actions.values())
            .filter(|a| {
                let status = a.status();
                a.due < today && !matches!(status, ActionStatus::Done | ActionStatus::WillNotBeDone)
            })
            .map(|a| OverdueAction {
                action_id: a.id.0,
                title: a.title.clone(),
                responsible: a.responsible.clone(),
                due: a.due,
                status: a.status().into(),
            })
            .collect();
        OverviewItem {
            id: d.id,
            code: d.code.clone(),
            title: d.info.title.clone(),
            phase: d.phase.into(),
            starts_at: d.info.starts_at,
            published_at: d.published_at,
            warnings,
            overdue_follow_ups,
            overdue_actions,
        }
    }
}
