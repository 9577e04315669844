//! Format v1 of the stored log: the shape the log had before the codec existed
//! (it was the staff wire encoding then), frozen here as types of its own.
//!
//! Nothing in this file may change what it writes or reads: a new shape is a new
//! version (`v2.rs`) with a conversion from this one. Fields added to v1 later
//! were added with defaults, so every row ever written still reads.

use crate::domain::text::{DisplayName, QuestionText};
use crate::domain::{
    Actor, Addressee, Attendance, DialogueInfo, Event, Moderator, Origin, PanelKind, Panelist,
    Phase, PollId, PollKind, PollResults, PostId, QuestionId, RejectReason, Role, TipId,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A closed set of names, stored in snake_case, mirrored one to one on a domain enum.
macro_rules! stored_names {
    ($stored:ident for $domain:ident: $($v:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub(super) enum $stored { $($v),* }
        impl From<$domain> for $stored {
            fn from(d: $domain) -> Self { match d { $($domain::$v => Self::$v),* } }
        }
        impl From<$stored> for $domain {
            fn from(s: $stored) -> Self { match s { $($stored::$v => Self::$v),* } }
        }
    };
}

stored_names!(RoleV1 for Role: Organizer, Moderator, Panelist, Participant, Screen);
stored_names!(PhaseV1 for Phase: Draft, Open, Live, Closed);
stored_names!(OriginV1 for Origin: Remote, InRoom);
stored_names!(KindV1 for PanelKind: Politician, Police, Staff, Other);
stored_names!(ReasonV1 for RejectReason: PersonalData, OffTopic, Abusive, Duplicate, Other);
stored_names!(PollKindV1 for PollKind: Single, Multiple, Scale);

/// Who caused an event: `{"role":"moderator","id":"…"}` (the `actor` column).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct ActorV1 {
    role: RoleV1,
    id: Uuid,
}

impl From<&Actor> for ActorV1 {
    fn from(a: &Actor) -> Self {
        ActorV1 {
            role: a.role().into(),
            id: a.id(),
        }
    }
}

impl From<ActorV1> for Actor {
    fn from(a: ActorV1) -> Self {
        Actor::from_role(a.role.into(), a.id)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum AddresseeV1 {
    Panelist(Uuid),
    Kind(KindV1),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct InfoV1 {
    title: String,
    description: String,
    #[serde(default)]
    purpose: String,
    starts_at: Option<i64>,
    #[serde(default)]
    ends_at: Option<i64>,
    venue: String,
    #[serde(default)]
    address: String,
    livestream_url: String,
    #[serde(default)]
    expected_kinds: Vec<KindV1>,
    #[serde(default)]
    unreached_plan: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PanelistV1 {
    id: Uuid,
    name: String,
    title: String,
    organisation: String,
    kind: KindV1,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ModeratorV1 {
    id: Uuid,
    name: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct AttendanceV1 {
    in_room: u64,
    remote: u64,
}

/// One event (the `body` column). v1 rows carry no `v` field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum BodyV1 {
    InfoSet(InfoV1),
    PhaseChanged {
        phase: PhaseV1,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attendance: Option<AttendanceV1>,
    },
    PanelistAdded {
        panelist: PanelistV1,
    },
    ModeratorAdded {
        moderator: ModeratorV1,
    },
    QuestionAsked {
        question_id: u64,
        text: String,
        display_name: Option<String>,
        addressee: Option<AddresseeV1>,
        origin: OriginV1,
        approved: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<String>,
    },
    QuestionApproved {
        question_id: u64,
        edited_text: Option<String>,
    },
    QuestionRejected {
        question_id: u64,
        reason: ReasonV1,
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
    InfoPosted {
        post_id: u64,
        text: String,
        source: String,
        link: Option<String>,
    },
    InfoPostEdited {
        post_id: u64,
        text: String,
        source: String,
        link: Option<String>,
    },
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
    InvitationOpened {},
    PollCreated {
        poll_id: u64,
        question: String,
        poll_kind: PollKindV1,
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
        kinds: Vec<KindV1>,
    },
}

fn kinds_to(kinds: &[PanelKind]) -> Vec<KindV1> {
    kinds.iter().map(|k| (*k).into()).collect()
}

fn kinds_from(kinds: Vec<KindV1>) -> Vec<PanelKind> {
    kinds.into_iter().map(Into::into).collect()
}

impl From<&Event> for BodyV1 {
    fn from(e: &Event) -> BodyV1 {
        use BodyV1 as B;
        match e {
            Event::InfoSet(i) => B::InfoSet(InfoV1 {
                title: i.title.clone(),
                description: i.description.clone(),
                purpose: i.purpose.clone(),
                starts_at: i.starts_at,
                ends_at: i.ends_at,
                venue: i.venue.clone(),
                address: i.address.clone(),
                livestream_url: i.livestream_url.clone(),
                expected_kinds: kinds_to(&i.expected_kinds),
                unreached_plan: i.unreached_plan.clone(),
            }),
            Event::PhaseChanged { to, attendance } => B::PhaseChanged {
                phase: (*to).into(),
                attendance: attendance.map(|a| AttendanceV1 {
                    in_room: a.in_room,
                    remote: a.remote,
                }),
            },
            Event::PanelistAdded(p) => B::PanelistAdded {
                panelist: PanelistV1 {
                    id: p.id,
                    name: p.name.clone(),
                    title: p.title.clone(),
                    organisation: p.organisation.clone(),
                    kind: p.kind.into(),
                },
            },
            Event::ModeratorAdded(m) => B::ModeratorAdded {
                moderator: ModeratorV1 {
                    id: m.id,
                    name: m.name.clone(),
                },
            },
            Event::QuestionAsked {
                question,
                text,
                display_name,
                addressee,
                origin,
                approved,
                receipt,
            } => B::QuestionAsked {
                question_id: question.0,
                text: text.expose().to_string(),
                display_name: display_name.as_ref().map(|n| n.expose().to_string()),
                addressee: addressee.map(|a| match a {
                    Addressee::Panelist(id) => AddresseeV1::Panelist(id),
                    Addressee::Kind(k) => AddresseeV1::Kind(k.into()),
                }),
                origin: (*origin).into(),
                approved: *approved,
                receipt: receipt.clone(),
            },
            Event::QuestionApproved { question, edited } => B::QuestionApproved {
                question_id: question.0,
                edited_text: edited.as_ref().map(|t| t.expose().to_string()),
            },
            Event::QuestionRejected { question, reason } => B::QuestionRejected {
                question_id: question.0,
                reason: (*reason).into(),
            },
            Event::QuestionMerged { question, into } => B::QuestionMerged {
                question_id: question.0,
                into: into.0,
            },
            Event::UpNextSet { questions } => B::UpNextSet {
                question_ids: questions.iter().map(|q| q.0).collect(),
            },
            Event::NowAnswering { question } => B::NowAnswering {
                question_id: question.map(|q| q.0),
            },
            Event::QuestionAnswered { question } => B::QuestionAnswered {
                question_id: question.0,
            },
            Event::QuestionArchived { question } => B::QuestionArchived {
                question_id: question.0,
            },
            Event::ParticipantMuted { participant } => B::ParticipantMuted {
                participant_id: *participant,
            },
            Event::ParticipantBanned { participant } => B::ParticipantBanned {
                participant_id: *participant,
            },
            Event::InfoPosted {
                post,
                text,
                source,
                link,
            } => B::InfoPosted {
                post_id: post.0,
                text: text.clone(),
                source: source.clone(),
                link: link.clone(),
            },
            Event::InfoPostEdited {
                post,
                text,
                source,
                link,
            } => B::InfoPostEdited {
                post_id: post.0,
                text: text.clone(),
                source: source.clone(),
                link: link.clone(),
            },
            Event::AnswerWritten { question, text } => B::AnswerWritten {
                question_id: question.0,
                text: text.clone(),
            },
            Event::AnswerPublished { question, text } => B::AnswerPublished {
                question_id: question.0,
                text: text.clone(),
            },
            Event::FollowUpPromised {
                question,
                owner,
                due,
            } => B::FollowUpPromised {
                question_id: question.0,
                owner: owner.clone(),
                due: *due,
            },
            Event::FollowUpDone { question, outcome } => B::FollowUpDone {
                question_id: question.0,
                outcome: outcome.clone(),
            },
            Event::InvitationOpened => B::InvitationOpened {},
            Event::PollCreated {
                poll,
                question,
                kind,
                options,
            } => B::PollCreated {
                poll_id: poll.0,
                question: question.clone(),
                poll_kind: (*kind).into(),
                options: options.clone(),
            },
            Event::PollOpened { poll } => B::PollOpened { poll_id: poll.0 },
            Event::PollClosed { poll, results } => B::PollClosed {
                poll_id: poll.0,
                counts: results.counts.clone(),
                respondents: results.respondents,
            },
            Event::PollResultsShown { poll, shown } => B::PollResultsShown {
                poll_id: poll.0,
                shown: *shown,
            },
            Event::TipSent {
                tip,
                text,
                display_name,
            } => B::TipSent {
                tip_id: tip.0,
                text: text.expose().to_string(),
                display_name: display_name.as_ref().map(|n| n.expose().to_string()),
            },
            Event::QuestionMovedToPrivate { question, tip } => B::QuestionMovedToPrivate {
                question_id: question.0,
                tip_id: tip.0,
            },
            Event::TipRecipientsSet { kinds } => B::TipRecipientsSet {
                kinds: kinds_to(kinds),
            },
        }
    }
}

impl From<BodyV1> for Event {
    /// Text read back from the log was validated when it was first accepted.
    fn from(b: BodyV1) -> Event {
        use BodyV1 as B;
        let q = QuestionId;
        let text = QuestionText::from_trusted;
        let name = |n: Option<String>| n.map(DisplayName::from_trusted);
        match b {
            B::InfoSet(i) => Event::InfoSet(DialogueInfo {
                title: i.title,
                description: i.description,
                purpose: i.purpose,
                starts_at: i.starts_at,
                ends_at: i.ends_at,
                venue: i.venue,
                address: i.address,
                livestream_url: i.livestream_url,
                expected_kinds: kinds_from(i.expected_kinds),
                unreached_plan: i.unreached_plan,
            }),
            B::PhaseChanged { phase, attendance } => Event::PhaseChanged {
                to: phase.into(),
                attendance: attendance.map(|a| Attendance {
                    in_room: a.in_room,
                    remote: a.remote,
                }),
            },
            B::PanelistAdded { panelist: p } => Event::PanelistAdded(Panelist {
                id: p.id,
                name: p.name,
                title: p.title,
                organisation: p.organisation,
                kind: p.kind.into(),
            }),
            B::ModeratorAdded { moderator: m } => Event::ModeratorAdded(Moderator {
                id: m.id,
                name: m.name,
            }),
            B::QuestionAsked {
                question_id,
                text: t,
                display_name,
                addressee,
                origin,
                approved,
                receipt,
            } => Event::QuestionAsked {
                question: q(question_id),
                text: text(t),
                display_name: name(display_name),
                addressee: addressee.map(|a| match a {
                    AddresseeV1::Panelist(id) => Addressee::Panelist(id),
                    AddresseeV1::Kind(k) => Addressee::Kind(k.into()),
                }),
                origin: origin.into(),
                approved,
                receipt,
            },
            B::QuestionApproved {
                question_id,
                edited_text,
            } => Event::QuestionApproved {
                question: q(question_id),
                edited: edited_text.map(text),
            },
            B::QuestionRejected {
                question_id,
                reason,
            } => Event::QuestionRejected {
                question: q(question_id),
                reason: reason.into(),
            },
            B::QuestionMerged { question_id, into } => Event::QuestionMerged {
                question: q(question_id),
                into: q(into),
            },
            B::UpNextSet { question_ids } => Event::UpNextSet {
                questions: question_ids.into_iter().map(q).collect(),
            },
            B::NowAnswering { question_id } => Event::NowAnswering {
                question: question_id.map(q),
            },
            B::QuestionAnswered { question_id } => Event::QuestionAnswered {
                question: q(question_id),
            },
            B::QuestionArchived { question_id } => Event::QuestionArchived {
                question: q(question_id),
            },
            B::ParticipantMuted { participant_id } => Event::ParticipantMuted {
                participant: participant_id,
            },
            B::ParticipantBanned { participant_id } => Event::ParticipantBanned {
                participant: participant_id,
            },
            B::InfoPosted {
                post_id,
                text,
                source,
                link,
            } => Event::InfoPosted {
                post: PostId(post_id),
                text,
                source,
                link,
            },
            B::InfoPostEdited {
                post_id,
                text,
                source,
                link,
            } => Event::InfoPostEdited {
                post: PostId(post_id),
                text,
                source,
                link,
            },
            B::AnswerWritten { question_id, text } => Event::AnswerWritten {
                question: q(question_id),
                text,
            },
            B::AnswerPublished { question_id, text } => Event::AnswerPublished {
                question: q(question_id),
                text,
            },
            B::FollowUpPromised {
                question_id,
                owner,
                due,
            } => Event::FollowUpPromised {
                question: q(question_id),
                owner,
                due,
            },
            B::FollowUpDone {
                question_id,
                outcome,
            } => Event::FollowUpDone {
                question: q(question_id),
                outcome,
            },
            B::InvitationOpened {} => Event::InvitationOpened,
            B::PollCreated {
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
            B::PollOpened { poll_id } => Event::PollOpened {
                poll: PollId(poll_id),
            },
            B::PollClosed {
                poll_id,
                counts,
                respondents,
            } => Event::PollClosed {
                poll: PollId(poll_id),
                results: PollResults {
                    counts,
                    respondents,
                },
            },
            B::PollResultsShown { poll_id, shown } => Event::PollResultsShown {
                poll: PollId(poll_id),
                shown,
            },
            B::TipSent {
                tip_id,
                text: t,
                display_name,
            } => Event::TipSent {
                tip: TipId(tip_id),
                text: text(t),
                display_name: name(display_name),
            },
            B::QuestionMovedToPrivate {
                question_id,
                tip_id,
            } => Event::QuestionMovedToPrivate {
                question: q(question_id),
                tip: TipId(tip_id),
            },
            B::TipRecipientsSet { kinds } => Event::TipRecipientsSet {
                kinds: kinds_from(kinds),
            },
        }
    }
}
