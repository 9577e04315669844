//! Format v1 into domain events.

use super::{AddresseeV1, BodyV1, KindV1};
use crate::domain::text::{DisplayName, QuestionText};
use crate::domain::{
    Addressee, Attendance, DialogueInfo, Event, Moderator, PanelKind, Panelist, PollId,
    PollResults, PostId, QuestionId, TipId,
};

fn kinds_from(kinds: Vec<KindV1>) -> Vec<PanelKind> {
    kinds.into_iter().map(Into::into).collect()
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
                    verified: a.verified,
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
            B::PanelistRemoved { panelist_id } => Event::PanelistRemoved {
                panelist: panelist_id,
            },
            B::ModeratorRemoved { moderator_id } => Event::ModeratorRemoved {
                moderator: moderator_id,
            },
            B::QuestionAsked {
                question_id,
                text: t,
                display_name,
                addressee,
                origin,
                approved,
                receipt,
                burst,
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
                burst,
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
            B::ParticipantUnbanned { participant_id } => Event::ParticipantUnbanned {
                participant: participant_id,
            },
            B::InfoPosted {
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
            B::InfoPostEdited {
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
            B::RoomEntered {} => Event::RoomEntered,
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
                burst_counts,
                burst_respondents,
            } => Event::PollClosed {
                poll: PollId(poll_id),
                results: PollResults {
                    counts,
                    respondents,
                    burst_counts,
                    burst_respondents,
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
            B::WalkPlanned(plan) => Event::WalkPlanned(plan.into()),
            B::PostShown { post_id } => Event::PostShown {
                post: post_id.map(PostId),
            },
            B::GroupMoved { group, at } => Event::GroupMoved {
                group: crate::domain::walk::GroupId(group),
                at: at.map(crate::domain::walk::StopId),
            },
            B::ObservationPlaced(o) => Event::ObservationPlaced(o.into()),
            B::ActionCreated {
                action_id,
                title,
                observation_ids,
                responsible,
                due,
            } => Event::ActionCreated {
                action: crate::domain::walk::ActionId(action_id),
                title,
                observations: observation_ids.into_iter().map(q).collect(),
                responsible,
                due,
            },
            B::ActionStatusChanged {
                action_id,
                status,
                note,
            } => Event::ActionStatusChanged {
                action: crate::domain::walk::ActionId(action_id),
                status: status.into(),
                note,
            },
            B::PhotoPublished {
                question_id,
                photo,
                published_id,
            } => Event::PhotoPublished {
                question: q(question_id),
                photo: crate::domain::walk::PhotoId::from_trusted(photo),
                published: crate::domain::walk::PhotoId::from_trusted(published_id),
            },
        }
    }
}
