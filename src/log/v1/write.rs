//! Domain events into format v1.

use super::{AddresseeV1, AttendanceV1, BodyV1, InfoV1, KindV1, ModeratorV1, PanelistV1};
use crate::domain::{Addressee, Event, PanelKind};

fn kinds_to(kinds: &[PanelKind]) -> Vec<KindV1> {
    kinds.iter().map(|k| (*k).into()).collect()
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
                    verified: a.verified,
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
            Event::PanelistRemoved { panelist } => B::PanelistRemoved {
                panelist_id: *panelist,
            },
            Event::ModeratorRemoved { moderator } => B::ModeratorRemoved {
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
                burst: *burst,
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
            Event::ParticipantUnbanned { participant } => B::ParticipantUnbanned {
                participant_id: *participant,
            },
            Event::InfoPosted {
                post,
                text,
                source,
                link,
                data,
            } => B::InfoPosted {
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
            } => B::InfoPostEdited {
                post_id: post.0,
                text: text.clone(),
                source: source.clone(),
                link: link.clone(),
                data: data.as_ref().map(Into::into),
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
            Event::RoomEntered => B::RoomEntered {},
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
                burst_counts: results.burst_counts.clone(),
                burst_respondents: results.burst_respondents,
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
            Event::WalkPlanned(plan) => B::WalkPlanned(plan.into()),
            Event::GroupMoved { group, at } => B::GroupMoved {
                group: group.0,
                at: at.map(|s| s.0),
            },
            Event::ObservationPlaced(o) => B::ObservationPlaced(o.into()),
            Event::ActionCreated {
                action,
                title,
                observations,
                responsible,
                due,
            } => B::ActionCreated {
                action_id: action.0,
                title: title.clone(),
                observation_ids: observations.iter().map(|q| q.0).collect(),
                responsible: responsible.clone(),
                due: *due,
            },
            Event::ActionStatusChanged {
                action,
                status,
                note,
            } => B::ActionStatusChanged {
                action_id: action.0,
                status: (*status).into(),
                note: note.clone(),
            },
            Event::PostShown { post } => B::PostShown {
                post_id: post.map(|p| p.0),
            },
            Event::TipRecipientsSet { kinds } => B::TipRecipientsSet {
                kinds: kinds_to(kinds),
            },
            Event::PhotoPublished {
                question,
                photo,
                published,
            } => B::PhotoPublished {
                question_id: question.0,
                photo: photo.as_str().to_string(),
                published_id: published.as_str().to_string(),
            },
        }
    }
}
