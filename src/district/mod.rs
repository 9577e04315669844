//! The district's public side: what is coming, what was said, what is being
//! done. Read from the store beside the live dialogues, never inside their
//! tasks: a crowd reading the district page must not queue behind a meeting.
//!
//! `Reader` keeps each published dialogue of a district rebuilt from its log,
//! keyed by the log's head, so a page asks the store one query for the heads and
//! rebuilds only what changed. `promises.rs` lists every promise with its status
//! on a given day; `feed.rs` the dated changes the Atom feed carries. A post's
//! data series is `domain::Series`, drawn by `crate::chart`.

pub mod feed;
pub mod promises;

use crate::domain::access::{DistrictId, DistrictScope};
use crate::domain::{Dialogue, DialogueId, Event, Phase, Timestamp};
use crate::store::{DistrictPost, Head, Store, StoreError};
use dashmap::DashMap;
use std::sync::Arc;

/// One dialogue as the district page reads it, made once per log head.
#[derive(Debug)]
pub struct Snapshot {
    pub dialogue: Dialogue,
    /// When the time or place last changed (the calendar's LAST-MODIFIED).
    pub schedule_changed_at: Timestamp,
    /// When something the public sees last changed (a promise made or kept, a
    /// post, the announcement); not when a participant asked (that is pending).
    pub public_change_at: Timestamp,
}

impl Snapshot {
    fn of(dialogue: Dialogue, log: &[crate::domain::Recorded]) -> Snapshot {
        let mut schedule_changed_at = 0;
        let mut public_change_at = 0;
        let mut info = crate::domain::DialogueInfo::default();
        for r in log {
            match &r.event {
                Event::InfoSet(new) => {
                    if schedule_changed_at == 0 || new.schedule_differs(&info) {
                        schedule_changed_at = r.at;
                    }
                    info = new.clone();
                }
                Event::PhaseChanged { .. } if schedule_changed_at == 0 => {
                    schedule_changed_at = r.at;
                }
                _ => {}
            }
            if matches!(
                r.event,
                Event::InfoSet(_)
                    | Event::PhaseChanged { .. }
                    | Event::QuestionApproved { .. }
                    | Event::AnswerPublished { .. }
                    | Event::FollowUpPromised { .. }
                    | Event::FollowUpDone { .. }
                    | Event::InfoPosted { .. }
                    | Event::InfoPostEdited { .. }
                    | Event::ActionCreated { .. }
                    | Event::ActionStatusChanged { .. }
                    | Event::PhotoPublished { .. }
            ) {
                public_change_at = r.at;
            }
        }
        Snapshot {
            dialogue,
            schedule_changed_at,
            public_change_at,
        }
    }

    pub fn is_walk(&self) -> bool {
        self.dialogue.walk.is_some()
    }

    /// When the meeting or walk ends (two hours after its start if no end is set).
    pub fn ends_at(&self) -> Option<Timestamp> {
        let info = &self.dialogue.info;
        info.ends_at
            .or_else(|| info.starts_at.map(|s| s + 2 * 3_600_000))
    }

    /// Still to come (or running) at `now`: not closed, and not over.
    pub fn upcoming(&self, now: Timestamp) -> bool {
        self.dialogue.phase != Phase::Closed && self.ends_at().is_none_or(|end| end >= now)
    }
}

/// What the district page, calendar and feed are made of.
#[derive(Debug)]
pub struct DistrictData {
    pub id: DistrictId,
    pub name: String,
    /// Published dialogues and walks (no drafts), soonest first.
    pub dialogues: Vec<Arc<Snapshot>>,
    /// The district's own posts, newest first.
    pub posts: Vec<DistrictPost>,
}

/// The read model: each dialogue rebuilt once per head.
#[derive(Default)]
pub struct Reader {
    cache: DashMap<DialogueId, (Head, Arc<Snapshot>)>,
}

impl Reader {
    /// The district's data, or `None` for a district that does not exist.
    pub async fn read(
        &self,
        store: &dyn Store,
        district: &DistrictId,
    ) -> Result<Option<DistrictData>, StoreError> {
        let Some(name) = store
            .districts()
            .await?
            .into_iter()
            .find(|(id, _)| id == district)
            .map(|(_, name)| name)
        else {
            return Ok(None);
        };
        let ids = store
            .dialogues_in(&[DistrictScope::One(district.clone())])
            .await?;
        let heads = store.heads(&ids).await?;
        let mut dialogues = Vec::new();
        for (id, head) in heads {
            let cached = self
                .cache
                .get(&id)
                .filter(|c| c.0 == head)
                .map(|c| c.1.clone());
            let snapshot = match cached {
                Some(s) => s,
                None => {
                    let Some(record) = store.load(id).await? else {
                        continue;
                    };
                    let (dialogue, log) = crate::hub::rebuild(&record)?;
                    let snapshot = Arc::new(Snapshot::of(dialogue, &log));
                    self.cache.insert(id, (head, snapshot.clone()));
                    snapshot
                }
            };
            if snapshot.dialogue.phase != Phase::Draft {
                dialogues.push(snapshot);
            }
        }
        dialogues.sort_by_key(|s| (s.dialogue.info.starts_at.unwrap_or(i64::MAX), s.dialogue.id));
        let posts = store.district_posts(district).await?;
        Ok(Some(DistrictData {
            id: district.clone(),
            name,
            dialogues,
            posts,
        }))
    }
}

/// The day it is in `zone` (`[meetings] time_zone`) at `now` (ms): due dates
/// are the meetings' own days, wherever the server or the reader is.
pub fn today(now: Timestamp, zone: chrono_tz::Tz) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp_millis(now)
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive()
}

/// The first moment of the day after `due` in `zone`: when a promise not kept
/// by its due date becomes overdue.
pub fn overdue_from(due: chrono::NaiveDate, zone: chrono_tz::Tz) -> Timestamp {
    use chrono::TimeZone;
    let next = due.succ_opt().unwrap_or(due);
    zone.from_local_datetime(&next.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(0, |t| t.timestamp_millis())
}
