//! Events on the wire and in the store.
//!
//! `EventBody` is the complete fact, as moderators see it and as the store keeps
//! it. `public_event.rs` derives what participants, panelists and the venue screen
//! may see of the same fact.

use super::event_parts::{
    AddresseeWire, AttendanceWire, FlagWire, InfoWire, ModeratorWire, PanelistWire, PostDataWire,
};
use super::walk_wire::{ActionStatusWire, ObservationWire, WalkPlanWire};
use super::{OriginWire, PanelKindWire, PhaseWire, PollKindWire, ReasonWire};
use crate::domain::text::{DisplayName, QuestionText};
use crate::domain::{
    Attendance, Event, Moderator, Panelist, PollId, PollResults, PostId, QuestionId, TipId,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The complete fact: the staff view on the wire, and the stored form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    InfoSet(InfoWire),
    PhaseChanged {
        phase: PhaseWire,
        /// On closing: the peak number present in the room and remotely.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attendance: Option<AttendanceWire>,
    },
    PanelistAdded {
        panelist: PanelistWire,
    },
    ModeratorAdded {
        moderator: ModeratorWire,
    },
    PanelistRemoved {
        panelist_id: Uuid,
    },
    ModeratorRemoved {
        moderator_id: Uuid,
    },
    QuestionAsked {
        question_id: u64,
        text: String,
        display_name: Option<String>,
        addressee: Option<AddresseeWire>,
        origin: OriginWire,
        approved: bool,
        /// The secret part of the asker's receipt code. Staff view only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<String>,
        /// Staff view only, never stored: personal data the guard found (spans in code points).
        #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
        flags: Option<Vec<FlagWire>>,
        /// Staff view only, never stored: the text with the flagged spans masked.
        #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
        redacted_text: Option<String>,
        /// Staff view only, never stored: why the guard suggests the private channel.
        #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
        private_signals: Option<Vec<String>>,
        /// Staff view only, never stored, present when true: a danger phrase matched.
        #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
        danger: Option<bool>,
        /// Staff view only, present when true: asked by a burst identity.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        burst: bool,
    },
    QuestionApproved {
        question_id: u64,
        /// Present when the moderator edited the text before approving.
        edited_text: Option<String>,
    },
    QuestionRejected {
        question_id: u64,
        reason: ReasonWire,
    },
    QuestionMerged {
        question_id: u64,
        into: u64,
    },
    UpNextSet {
        question_ids: Vec<u64>,
    },
    NowAnswering {
        question_id: Option<u64>,
    },
    QuestionAnswered {
        question_id: u64,
    },
    QuestionArchived {
        question_id: u64,
    },
    ParticipantMuted {
        participant_id: Uuid,
    },
    ParticipantBanned {
        participant_id: Uuid,
    },
    ParticipantUnbanned {
        participant_id: Uuid,
    },
    InfoPosted {
        post_id: u64,
        text: String,
        source: String,
        link: Option<String>,
        /// The data series the post shows as a chart, if it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<PostDataWire>,
    },
    InfoPostEdited {
        post_id: u64,
        text: String,
        source: String,
        link: Option<String>,
        /// The data series the post shows as a chart, if it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<PostDataWire>,
    },
    /// Staff only: a draft written answer.
    AnswerWritten {
        question_id: u64,
        text: String,
    },
    AnswerPublished {
        question_id: u64,
        text: String,
    },
    FollowUpPromised {
        question_id: u64,
        owner: String,
        /// `YYYY-MM-DD`.
        due: chrono::NaiveDate,
    },
    FollowUpDone {
        question_id: u64,
        outcome: String,
    },
    /// Staff only: the actor (`by`) used their invitation for the first time.
    InvitationOpened {},
    PollCreated {
        poll_id: u64,
        question: String,
        poll_kind: PollKindWire,
        options: Vec<String>,
    },
    PollOpened {
        poll_id: u64,
    },
    PollClosed {
        poll_id: u64,
        counts: Vec<u64>,
        respondents: u64,
    },
    PollResultsShown {
        poll_id: u64,
        shown: bool,
    },
    /// The venue screen shows this post, or none (`null`).
    PostShown {
        post_id: Option<u64>,
    },
    TipSent {
        tip_id: u64,
        text: String,
        display_name: Option<String>,
    },
    QuestionMovedToPrivate {
        question_id: u64,
        tip_id: u64,
    },
    TipRecipientsSet {
        kinds: Vec<PanelKindWire>,
    },
    WalkPlanned(WalkPlanWire),
    GroupMoved {
        group: u32,
        at: Option<u32>,
    },
    /// Staff view; the public learns it with the question, once approved.
    ObservationPlaced(ObservationWire),
    ActionCreated {
        action_id: u64,
        title: String,
        observation_ids: Vec<u64>,
        responsible: String,
        /// `YYYY-MM-DD`.
        due: chrono::NaiveDate,
    },
    ActionStatusChanged {
        action_id: u64,
        status: ActionStatusWire,
        note: String,
    },
    /// The participant in `by` entered the room code (staff only).
    RoomEntered {},
    /// An observation's photo is public: `/d/{code}/photos/{published_id}.jpg`.
    PhotoPublished {
        question_id: u64,
        photo: String,
        published_id: String,
    },
}

impl From<&Event> for EventBody {
    fn from(e: &Event) -> EventBody {
        match e {
            Event::InfoSet(info) => EventBody::InfoSet(info.into()),
            Event::PhaseChanged { to, attendance } => EventBody::PhaseChanged {
                phase: (*to).into(),
                attendance: attendance.map(AttendanceWire::from),
            },
            Event::PanelistAdded(p) => EventBody::PanelistAdded { panelist: p.into() },
            Event::ModeratorAdded(m) => EventBody::ModeratorAdded {
                moderator: ModeratorWire {
                    id: m.id,
                    name: m.name.clone(),
                },
            },
            Event::PanelistRemoved { panelist } => EventBody::PanelistRemoved {
                panelist_id: *panelist,
            },
            Event::ModeratorRemoved { moderator } => EventBody::ModeratorRemoved {
                moderator_id: *moderator,
            },
            Event::QuestionAsked {
                question,
                text,
                display_name,
                addressee,
                origin,
                approved,
                receipt,
                burst,
            } => EventBody::QuestionAsked {
                question_id: question.0,
                text: text.expose().to_string(),
                display_name: display_name.as_ref().map(|n| n.expose().to_string()),
                addressee: addressee.map(Into::into),
                origin: (*origin).into(),
                approved: *approved,
                receipt: receipt.clone(),
                flags: None,
                redacted_text: None,
                private_signals: None,
                danger: None,
                burst: *burst,
            },
            Event::QuestionApproved { question, edited } => EventBody::QuestionApproved {
                question_id: question.0,
                edited_text: edited.as_ref().map(|t| t.expose().to_string()),
            },
            Event::QuestionRejected { question, reason } => EventBody::QuestionRejected {
                question_id: question.0,
                reason: (*reason).into(),
            },
            Event::QuestionMerged { question, into } => EventBody::QuestionMerged {
                question_id: question.0,
                into: into.0,
            },
            Event::UpNextSet { questions } => EventBody::UpNextSet {
                question_ids: questions.iter().map(|q| q.0).collect(),
            },
            Event::NowAnswering { question } => EventBody::NowAnswering {
                question_id: question.map(|q| q.0),
            },
            Event::QuestionAnswered { question } => EventBody::QuestionAnswered {
                question_id: question.0,
            },
            Event::QuestionArchived { question } => EventBody::QuestionArchived {
                question_id: question.0,
            },
            Event::ParticipantMuted { participant } => EventBody::ParticipantMuted {
                participant_id: *participant,
            },
            Event::ParticipantBanned { participant } => EventBody::ParticipantBanned {
                participant_id: *participant,
            },
            Event::ParticipantUnbanned { participant } => EventBody::ParticipantUnbanned {
                participant_id: *participant,
            },
            Event::InfoPosted {
                post,
                text,
                source,
                link,
                data,
            } => EventBody::InfoPosted {
                post_id: post.0,
                text: text.clone(),
                source: source.clone(),
                link: link.clone(),
                data: data.as_ref().map(Into::into),
            },
            Event::InfoPostEdited {
                post,
                text,
                source,
                link,
                data,
            } => EventBody::InfoPostEdited {
                post_id: post.0,
                text: text.clone(),
                source: source.clone(),
                link: link.clone(),
                data: data.as_ref().map(Into::into),
            },
            Event::AnswerWritten { question, text } => EventBody::AnswerWritten {
                question_id: question.0,
                text: text.clone(),
            },
            Event::AnswerPublished { question, text } => EventBody::AnswerPublished {
                question_id: question.0,
                text: text.clone(),
            },
            Event::FollowUpPromised {
                question,
                owner,
                due,
            } => EventBody::FollowUpPromised {
                question_id: question.0,
                owner: owner.clone(),
                due: *due,
            },
            Event::FollowUpDone { question, outcome } => EventBody::FollowUpDone {
                question_id: question.0,
                outcome: outcome.clone(),
            },
            Event::InvitationOpened => EventBody::InvitationOpened {},
            Event::RoomEntered => EventBody::RoomEntered {},
            Event::PollCreated {
                poll,
                question,
                kind,
                options,
            } => EventBody::PollCreated {
                poll_id: poll.0,
                question: question.clone(),
                poll_kind: (*kind).into(),
                options: options.clone(),
            },
            Event::PollOpened { poll } => EventBody::PollOpened { poll_id: poll.0 },
            Event::PollClosed { poll, results } => EventBody::PollClosed {
                poll_id: poll.0,
                counts: results.counts.clone(),
                respondents: results.respondents,
            },
            Event::PostShown { post } => EventBody::PostShown {
                post_id: post.map(|p| p.0),
            },
            Event::PollResultsShown { poll, shown } => EventBody::PollResultsShown {
                poll_id: poll.0,
                shown: *shown,
            },
            Event::TipSent {
                tip,
                text,
                display_name,
            } => EventBody::TipSent {
                tip_id: tip.0,
                text: text.expose().to_string(),
                display_name: display_name.as_ref().map(|n| n.expose().to_string()),
            },
            Event::QuestionMovedToPrivate { question, tip } => EventBody::QuestionMovedToPrivate {
                question_id: question.0,
                tip_id: tip.0,
            },
            Event::TipRecipientsSet { kinds } => EventBody::TipRecipientsSet {
                kinds: kinds.iter().map(|k| (*k).into()).collect(),
            },
            e @ (Event::WalkPlanned(_)
            | Event::GroupMoved { .. }
            | Event::ObservationPlaced(_)
            | Event::ActionCreated { .. }
            | Event::ActionStatusChanged { .. }
            | Event::PhotoPublished { .. }) => super::walk_wire::walk_body(e),
        }
    }
}

impl From<EventBody> for Event {
    /// Text read back from the log was validated when it was first accepted.
    fn from(b: EventBody) -> Event {
        let q = QuestionId;
        match b {
            EventBody::InfoSet(info) => Event::InfoSet(info.into()),
            EventBody::PhaseChanged { phase, attendance } => Event::PhaseChanged {
                to: phase.into(),
                attendance: attendance.map(|a| Attendance {
                    in_room: a.in_room,
                    remote: a.remote,
                    verified: a.verified,
                }),
            },
            EventBody::PanelistAdded { panelist: p } => Event::PanelistAdded(Panelist {
                id: p.id,
                name: p.name,
                title: p.title,
                organisation: p.organisation,
                kind: p.kind.into(),
            }),
            EventBody::ModeratorAdded { moderator: m } => Event::ModeratorAdded(Moderator {
                id: m.id,
                name: m.name,
            }),
            EventBody::PanelistRemoved { panelist_id } => Event::PanelistRemoved {
                panelist: panelist_id,
            },
            EventBody::ModeratorRemoved { moderator_id } => Event::ModeratorRemoved {
                moderator: moderator_id,
            },
            EventBody::QuestionAsked {
                question_id,
                text,
                display_name,
                addressee,
                origin,
                approved,
                receipt,
                burst,
                ..
            } => Event::QuestionAsked {
                question: q(question_id),
                text: QuestionText::from_trusted(text),
                display_name: display_name.map(DisplayName::from_trusted),
                addressee: addressee.map(Into::into),
                origin: origin.into(),
                approved,
                receipt,
                burst,
            },
            EventBody::QuestionApproved {
                question_id,
                edited_text,
            } => Event::QuestionApproved {
                question: q(question_id),
                edited: edited_text.map(QuestionText::from_trusted),
            },
            EventBody::QuestionRejected {
                question_id,
                reason,
            } => Event::QuestionRejected {
                question: q(question_id),
                reason: reason.into(),
            },
            EventBody::QuestionMerged { question_id, into } => Event::QuestionMerged {
                question: q(question_id),
                into: q(into),
            },
            EventBody::UpNextSet { question_ids } => Event::UpNextSet {
                questions: question_ids.into_iter().map(q).collect(),
            },
            EventBody::NowAnswering { question_id } => Event::NowAnswering {
                question: question_id.map(q),
            },
            EventBody::QuestionAnswered { question_id } => Event::QuestionAnswered {
                question: q(question_id),
            },
            EventBody::QuestionArchived { question_id } => Event::QuestionArchived {
                question: q(question_id),
            },
            EventBody::ParticipantMuted { participant_id } => Event::ParticipantMuted {
                participant: participant_id,
            },
            EventBody::ParticipantBanned { participant_id } => Event::ParticipantBanned {
                participant: participant_id,
            },
            EventBody::ParticipantUnbanned { participant_id } => Event::ParticipantUnbanned {
                participant: participant_id,
            },
            EventBody::InfoPosted {
                post_id,
                text,
                source,
                link,
                data,
            } => Event::InfoPosted {
                post: PostId(post_id),
                text,
                source,
                link,
                data: data.map(Into::into),
            },
            EventBody::InfoPostEdited {
                post_id,
                text,
                source,
                link,
                data,
            } => Event::InfoPostEdited {
                post: PostId(post_id),
                text,
                source,
                link,
                data: data.map(Into::into),
            },
            EventBody::AnswerWritten { question_id, text } => Event::AnswerWritten {
                question: q(question_id),
                text,
            },
            EventBody::AnswerPublished { question_id, text } => Event::AnswerPublished {
                question: q(question_id),
                text,
            },
            EventBody::FollowUpPromised {
                question_id,
                owner,
                due,
            } => Event::FollowUpPromised {
                question: q(question_id),
                owner,
                due,
            },
            EventBody::FollowUpDone {
                question_id,
                outcome,
            } => Event::FollowUpDone {
                question: q(question_id),
                outcome,
            },
            EventBody::InvitationOpened {} => Event::InvitationOpened,
            EventBody::RoomEntered {} => Event::RoomEntered,
            EventBody::PollCreated {
                poll_id,
                question,
                poll_kind,
                options,
            } => Event::PollCreated {
                poll: PollId(poll_id),
                question,
                kind: poll_kind.into(),
                options,
            },
            EventBody::PollOpened { poll_id } => Event::PollOpened {
                poll: PollId(poll_id),
            },
            EventBody::PollClosed {
                poll_id,
                counts,
                respondents,
            } => Event::PollClosed {
                poll: PollId(poll_id),
                results: PollResults {
                    counts,
                    respondents,
                    ..PollResults::default()
                },
            },
            EventBody::PostShown { post_id } => Event::PostShown {
                post: post_id.map(PostId),
            },
            EventBody::PollResultsShown { poll_id, shown } => Event::PollResultsShown {
                poll: PollId(poll_id),
                shown,
            },
            EventBody::TipSent {
                tip_id,
                text,
                display_name,
            } => Event::TipSent {
                tip: TipId(tip_id),
                text: QuestionText::from_trusted(text),
                display_name: display_name.map(DisplayName::from_trusted),
            },
            EventBody::QuestionMovedToPrivate {
                question_id,
                tip_id,
            } => Event::QuestionMovedToPrivate {
                question: q(question_id),
                tip: TipId(tip_id),
            },
            EventBody::TipRecipientsSet { kinds } => Event::TipRecipientsSet {
                kinds: kinds.into_iter().map(Into::into).collect(),
            },
            b @ (EventBody::WalkPlanned(_)
            | EventBody::GroupMoved { .. }
            | EventBody::ObservationPlaced(_)
            | EventBody::ActionCreated { .. }
            | EventBody::ActionStatusChanged { .. }
            | EventBody::PhotoPublished { .. }) => super::walk_wire::walk_event(b),
        }
    }
}
