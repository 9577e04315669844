//! What each audience sees of an event. Participants, panelists and the venue
//! screen: the same fact as the staff's `EventBody`, never the text of a question
//! nobody approved. Staff: a new question with what the guard found in it.

use super::EventBody;
use crate::domain::{Dialogue, PollId, QuestionId};
use serde::{Serialize, Serializer};

impl EventBody {
    /// The staff view of this event: a new question carries what the guard found.
    pub fn for_staff(&self, dialogue: &Dialogue) -> Option<EventBody> {
        let EventBody::QuestionAsked { question_id, .. } = self else {
            return None;
        };
        let q = dialogue.questions.get(&QuestionId(*question_id))?;
        let mut body = self.clone();
        if let EventBody::QuestionAsked {
            flags,
            redacted_text,
            private_signals,
            danger,
            ..
        } = &mut body
        {
            *flags = Some(q.flags.iter().map(Into::into).collect());
            *redacted_text = q.redacted();
            *private_signals = Some(
                q.private_signals
                    .iter()
                    .map(|s| s.code().to_string())
                    .collect(),
            );
            *danger = q.danger.then_some(true);
        }
        Some(body)
    }
}

/// The public view of an event, for participants, panelists and the venue screen.
pub enum PublicEvent<'a> {
    /// Nothing in the fact is private: the staff body serves as it is.
    Same(&'a EventBody),
    /// A question arrived for moderation. Its text is not public.
    QuestionReceived {
        question_id: u64,
    },
    /// A question became public (approved, or entered from the floor), with its public text.
    QuestionPublished(
        Box<super::server::QuestionWire<'a>>,
        /// On a walk: where and what the observation is.
        Option<super::walk_wire::ObservationWire>,
    ),
    QuestionRejected {
        question_id: u64,
    },
    /// A fact only staff may see (a moderator joined, a participant was muted or banned,
    /// a poll was prepared, a private tip arrived). Sent so that every client's `seq`
    /// stays gap-free.
    Internal,
    /// A poll opened: the public sees it for the first time, whole.
    PollPublished(super::server::PollWire),
    /// A poll closed. Its counts reach the public only once results are shown.
    PollClosed {
        poll_id: u64,
    },
}

impl Serialize for PublicEvent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        enum Tagged<'b> {
            QuestionReceived {
                question_id: u64,
            },
            QuestionPublished {
                question: &'b super::server::QuestionWire<'b>,
                #[serde(skip_serializing_if = "Option::is_none")]
                observation: &'b Option<super::walk_wire::ObservationWire>,
            },
            QuestionRejected {
                question_id: u64,
            },
            Internal,
            PollPublished {
                poll: &'b super::server::PollWire,
            },
            PollClosed {
                poll_id: u64,
            },
        }
        match self {
            PublicEvent::Same(body) => body.serialize(s),
            PublicEvent::QuestionReceived { question_id } => Tagged::QuestionReceived {
                question_id: *question_id,
            }
            .serialize(s),
            PublicEvent::QuestionPublished(question, observation) => Tagged::QuestionPublished {
                question,
                observation,
            }
            .serialize(s),
            PublicEvent::QuestionRejected { question_id } => Tagged::QuestionRejected {
                question_id: *question_id,
            }
            .serialize(s),
            PublicEvent::Internal => Tagged::Internal.serialize(s),
            PublicEvent::PollPublished(poll) => Tagged::PollPublished { poll }.serialize(s),
            PublicEvent::PollClosed { poll_id } => {
                Tagged::PollClosed { poll_id: *poll_id }.serialize(s)
            }
        }
    }
}

/// What the public may see of `body`, judged on the dialogue state right after it applied.
pub fn public_event<'a>(dialogue: &'a Dialogue, body: &'a EventBody) -> PublicEvent<'a> {
    let published = |id: u64| match dialogue.questions.get(&QuestionId(id)) {
        Some(q) => PublicEvent::QuestionPublished(
            Box::new(super::server::QuestionWire::public(q)),
            dialogue
                .walk
                .as_ref()
                .and_then(|w| w.observations.get(&q.id))
                .map(Into::into),
        ),
        None => PublicEvent::Internal,
    };
    match body {
        EventBody::QuestionAsked {
            question_id,
            approved: true,
            ..
        } => published(*question_id),
        EventBody::QuestionAsked { question_id, .. } => PublicEvent::QuestionReceived {
            question_id: *question_id,
        },
        EventBody::QuestionApproved { question_id, .. } => published(*question_id),
        EventBody::QuestionRejected { question_id, .. } => PublicEvent::QuestionRejected {
            question_id: *question_id,
        },
        // A question moved to the private channel looks, to the public, like any
        // question that was not published: nobody learns that a tip exists.
        EventBody::QuestionMovedToPrivate { question_id, .. } => PublicEvent::QuestionRejected {
            question_id: *question_id,
        },
        EventBody::PollOpened { poll_id } => match dialogue.polls.get(&PollId(*poll_id)) {
            Some(p) => PublicEvent::PollPublished(super::server::PollWire::new(
                dialogue,
                p,
                crate::domain::Audience::Public,
            )),
            None => PublicEvent::Internal,
        },
        EventBody::PollClosed { poll_id, .. } => PublicEvent::PollClosed { poll_id: *poll_id },
        EventBody::ModeratorAdded { .. }
        | EventBody::ModeratorRemoved { .. }
        | EventBody::ParticipantMuted { .. }
        | EventBody::ParticipantBanned { .. }
        | EventBody::ParticipantUnbanned { .. }
        | EventBody::AnswerWritten { .. }
        | EventBody::InvitationOpened {}
        | EventBody::RoomEntered {} => PublicEvent::Internal,
        // An observation's place is public with its question, once approved.
        EventBody::ObservationPlaced(_) => PublicEvent::Internal,
        EventBody::WalkPlanned(_)
        | EventBody::GroupMoved { .. }
        | EventBody::ActionCreated { .. }
        | EventBody::ActionStatusChanged { .. }
        | EventBody::PhotoPublished { .. } => PublicEvent::Same(body),
        EventBody::PollCreated { .. }
        | EventBody::TipSent { .. }
        | EventBody::TipRecipientsSet { .. } => PublicEvent::Internal,
        EventBody::PollResultsShown { .. } | EventBody::PostShown { .. } => PublicEvent::Same(body),
        EventBody::InfoSet(_)
        | EventBody::PhaseChanged { .. }
        | EventBody::PanelistAdded { .. }
        | EventBody::PanelistRemoved { .. }
        | EventBody::QuestionMerged { .. }
        | EventBody::UpNextSet { .. }
        | EventBody::NowAnswering { .. }
        | EventBody::QuestionAnswered { .. }
        | EventBody::QuestionArchived { .. }
        | EventBody::InfoPosted { .. }
        | EventBody::InfoPostEdited { .. }
        | EventBody::AnswerPublished { .. }
        | EventBody::FollowUpPromised { .. }
        | EventBody::FollowUpDone { .. } => PublicEvent::Same(body),
    }
}
