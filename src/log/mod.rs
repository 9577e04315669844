//! The stored log's codec: how a domain event becomes a row of the log, and back.
//!
//! The one place that encodes and decodes stored events. The hub writes with it,
//! the stores derive audit rows with it, retention and erasure rewrite with it.
//! It owns its serde types, below the protocol: the wire's `EventBody` can change
//! without touching a byte of any stored log.
//!
//! Versioning rule: a row's format version is the body's `v` field, and a body
//! without one is version 1, the shape the log had before the codec existed (see
//! `docs/ARCHITECTURE.md`). A version, once written, is never changed: a new
//! shape is a new version, written with its `v`, and the codec keeps reading every
//! older one into the same domain events. Fields may be added to a version only
//! with defaults, so every row ever written still reads.

mod v1;

use crate::domain::{Actor, Event, Recorded};
use serde::Deserialize;

/// The format this build writes.
pub const VERSION: u32 = 1;

/// One event as the store keeps it: its place, time, actor and body (JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: u64,
    pub at: i64,
    /// Who caused it, in the codec's format (`{"role":…,"id":…}`).
    pub actor: String,
    /// The event, in the codec's format.
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("stored event {seq} is unreadable: {source}")]
    Unreadable { seq: u64, source: serde_json::Error },
    #[error("stored event {seq} is in format version {version}; this build reads up to {VERSION}")]
    Version { seq: u64, version: u32 },
}

/// The row for one event.
pub fn encode(rec: &Recorded) -> StoredEvent {
    // Serializing our own plain types cannot fail; a failure is a bug worth a crash.
    StoredEvent {
        seq: rec.seq,
        at: rec.at,
        actor: serde_json::to_string(&v1::ActorV1::from(&rec.by)).expect("actor serializes"),
        body: serde_json::to_string(&v1::BodyV1::from(&rec.event)).expect("event serializes"),
    }
}

/// The event a row holds, in any format this build reads.
pub fn decode(stored: &StoredEvent) -> Result<Recorded, LogError> {
    Ok(Recorded {
        seq: stored.seq,
        at: stored.at,
        by: decode_actor(stored.seq, &stored.actor)?,
        event: decode_event(stored.seq, &stored.body)?,
    })
}

/// Who caused the event of row `seq` (cheap: the audit skips participants' rows with it).
pub fn decode_actor(seq: u64, actor: &str) -> Result<Actor, LogError> {
    let actor: v1::ActorV1 =
        serde_json::from_str(actor).map_err(|source| LogError::Unreadable { seq, source })?;
    Ok(actor.into())
}

/// An actor's role as the `actor` column names it (`"moderator"`).
pub fn role_name(actor: &Actor) -> String {
    match serde_json::to_value(v1::RoleV1::from(actor.role())) {
        Ok(serde_json::Value::String(name)) => name,
        _ => unreachable!("a role is stored as a string"),
    }
}

/// The event in row `seq`'s body.
pub fn decode_event(seq: u64, body: &str) -> Result<Event, LogError> {
    let unreadable = |source| LogError::Unreadable { seq, source };
    let Version { v } = serde_json::from_str(body).map_err(unreadable)?;
    match v {
        None | Some(1) => Ok(serde_json::from_str::<v1::BodyV1>(body)
            .map_err(unreadable)?
            .into()),
        Some(version) => Err(LogError::Version { seq, version }),
    }
}

/// Only the version of a body; everything else is skipped.
#[derive(Deserialize)]
struct Version {
    #[serde(default)]
    v: Option<u32>,
}

/// The stored name of every kind of event, as in the body's `kind` field.
pub const KINDS: [&str; 39] = [
    "info_set",
    "phase_changed",
    "panelist_added",
    "moderator_added",
    "question_asked",
    "question_approved",
    "question_rejected",
    "question_merged",
    "up_next_set",
    "now_answering",
    "question_answered",
    "question_archived",
    "participant_muted",
    "participant_banned",
    "info_posted",
    "info_post_edited",
    "answer_written",
    "answer_published",
    "follow_up_promised",
    "follow_up_done",
    "invitation_opened",
    "poll_created",
    "poll_opened",
    "poll_closed",
    "poll_results_shown",
    "tip_sent",
    "question_moved_to_private",
    "tip_recipients_set",
    "walk_planned",
    "group_moved",
    "observation_placed",
    "action_created",
    "action_status_changed",
    "panelist_removed",
    "moderator_removed",
    "participant_unbanned",
    "room_entered",
    "photo_published",
    "post_shown",
];

/// The stored name of an event's kind (what the audit trail calls the action).
pub fn kind(e: &Event) -> &'static str {
    KINDS[match e {
        Event::InfoSet(_) => 0,
        Event::PhaseChanged { .. } => 1,
        Event::PanelistAdded(_) => 2,
        Event::ModeratorAdded(_) => 3,
        Event::QuestionAsked { .. } => 4,
        Event::QuestionApproved { .. } => 5,
        Event::QuestionRejected { .. } => 6,
        Event::QuestionMerged { .. } => 7,
        Event::UpNextSet { .. } => 8,
        Event::NowAnswering { .. } => 9,
        Event::QuestionAnswered { .. } => 10,
        Event::QuestionArchived { .. } => 11,
        Event::ParticipantMuted { .. } => 12,
        Event::ParticipantBanned { .. } => 13,
        Event::InfoPosted { .. } => 14,
        Event::InfoPostEdited { .. } => 15,
        Event::AnswerWritten { .. } => 16,
        Event::AnswerPublished { .. } => 17,
        Event::FollowUpPromised { .. } => 18,
        Event::FollowUpDone { .. } => 19,
        Event::InvitationOpened => 20,
        Event::PollCreated { .. } => 21,
        Event::PollOpened { .. } => 22,
        Event::PollClosed { .. } => 23,
        Event::PollResultsShown { .. } => 24,
        Event::TipSent { .. } => 25,
        Event::QuestionMovedToPrivate { .. } => 26,
        Event::TipRecipientsSet { .. } => 27,
        Event::WalkPlanned(_) => 28,
        Event::GroupMoved { .. } => 29,
        Event::ObservationPlaced(_) => 30,
        Event::ActionCreated { .. } => 31,
        Event::ActionStatusChanged { .. } => 32,
        Event::PanelistRemoved { .. } => 33,
        Event::ModeratorRemoved { .. } => 34,
        Event::ParticipantUnbanned { .. } => 35,
        Event::RoomEntered => 36,
        Event::PhotoPublished { .. } => 37,
        Event::PostShown { .. } => 38,
    }]
}

/// An event's fields as the current format stores them, `kind` included (the
/// audit trail copies the ones that hold no text a person wrote).
pub fn fields(e: &Event) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(v1::BodyV1::from(e)) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => unreachable!("a stored body is a JSON object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Phase, QuestionId};

    #[test]
    fn every_kind_is_named_as_the_body_names_it() {
        let e = Event::PhaseChanged {
            to: Phase::Live,
            attendance: None,
        };
        assert_eq!(fields(&e)["kind"], kind(&e));
        let e = Event::QuestionMovedToPrivate {
            question: QuestionId(1),
            tip: crate::domain::TipId(2),
        };
        assert_eq!(fields(&e)["kind"], kind(&e));
    }

    #[test]
    fn a_walks_events_read_back_as_written() {
        use crate::domain::walk::*;
        use crate::domain::{Actor, Recorded};
        let stop = Stop {
            id: StopId(1),
            name: "Tunneln".into(),
            address: "Parkvägen 1".into(),
            position: Some(Position::exact(59.3345, 18.0632).unwrap()),
        };
        let group = Group {
            id: GroupId(1),
            name: "Grupp 1".into(),
            leader: "Lena".into(),
            leader_id: None,
            route: vec![StopId(1)],
            at: None,
        };
        let events = [
            Event::WalkPlanned(WalkPlan {
                stops: vec![stop],
                groups: vec![group],
                before: Some("ABC123".into()),
                after: None,
            }),
            Event::GroupMoved {
                group: GroupId(1),
                at: Some(StopId(1)),
            },
            Event::ObservationPlaced(Observation {
                question: QuestionId(3),
                group: None,
                place: Place::Near(Position::coarsened(59.3345, 18.0632, 100).unwrap()),
                category: "lighting".into(),
                felt_safety: FeltSafety::new(2).unwrap(),
                photo: None,
            }),
            Event::ActionCreated {
                action: ActionId(1),
                title: "Lampor".into(),
                observations: vec![QuestionId(3)],
                responsible: "Trafikkontoret".into(),
                due: chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            },
            Event::ActionStatusChanged {
                action: ActionId(1),
                status: ActionStatus::WillNotBeDone,
                note: "Privat mark".into(),
            },
            Event::PhotoPublished {
                question: QuestionId(3),
                photo: PhotoId::parse(&"a".repeat(64)).unwrap(),
                published: PhotoId::parse(&"b".repeat(64)).unwrap(),
            },
        ];
        for (i, event) in events.into_iter().enumerate() {
            let rec = Recorded {
                seq: i as u64 + 1,
                at: 1_000,
                by: Actor::Organizer(uuid::Uuid::nil()),
                event,
            };
            assert_eq!(fields(&rec.event)["kind"], kind(&rec.event));
            assert_eq!(decode(&encode(&rec)).unwrap(), rec);
        }
    }
}
