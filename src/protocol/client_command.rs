//! A client message turned into its idempotency key and a domain command: field
//! checks here, decisions in the domain.

use super::client_text::{
    ANSWER_MAX_CHARS, OUTCOME_MAX_CHARS, OWNER_MAX_CHARS, POST_MAX_CHARS, SOURCE_MAX_CHARS,
    due_date, link, parse_display_name, plain_text, poll_text, post_data, question_text,
};
use super::{ClientMessage, ClientMsgId, DecodeError};
use crate::domain::poll::{MAX_OPTIONS, PollId};
use crate::domain::{Command, PollKind, QuestionId};

/// Questions one `reject_many` may name: a page of the moderator's queue and more.
pub const REJECT_MANY_MAX: usize = 200;

impl ClientMessage {
    /// Turns a submission into its idempotency key and a domain command, a
    /// phone's position snapped to the default grid (`into_command_at`).
    pub fn into_command(
        self,
        max_chars: usize,
    ) -> Result<Option<(ClientMsgId, Command)>, DecodeError> {
        self.into_command_at(max_chars, super::client_walk::DEFAULT_POSITION_CELL_M)
    }

    /// Turns a submission into its idempotency key and a domain command; a phone's
    /// position becomes the centre of its grid cell of `cell_m` metres.
    /// `hello` and `ping` are not submissions and give `None`.
    pub fn into_command_at(
        self,
        max_chars: usize,
        cell_m: u32,
    ) -> Result<Option<(ClientMsgId, Command)>, DecodeError> {
        let q = QuestionId;
        let pair = match self {
            ClientMessage::Hello(_)
            | ClientMessage::Ping {}
            | ClientMessage::ReadPending { .. } => {
                return Ok(None);
            }
            ClientMessage::Ask {
                client_msg_id,
                text,
                display_name,
                addressee,
                origin,
            } => {
                let text = question_text(&text, max_chars, &client_msg_id)?;
                let display_name = parse_display_name(display_name.as_deref(), &client_msg_id)?;
                let cmd = Command::Ask {
                    text,
                    display_name,
                    addressee: addressee.map(Into::into),
                    origin: origin.map(Into::into).unwrap_or_default(),
                };
                (client_msg_id, cmd)
            }
            ClientMessage::Vote {
                client_msg_id,
                question_id,
                on,
            } => (
                client_msg_id,
                Command::Vote {
                    question: q(question_id),
                    on,
                },
            ),
            ClientMessage::Approve {
                client_msg_id,
                question_id,
                expected,
                text,
            } => {
                let edited = match text {
                    Some(t) => Some(question_text(&t, max_chars, &client_msg_id)?),
                    None => None,
                };
                let cmd = Command::Approve {
                    question: q(question_id),
                    expected: expected.into(),
                    edited,
                };
                (client_msg_id, cmd)
            }
            ClientMessage::Reject {
                client_msg_id,
                question_id,
                expected,
                reason,
            } => (
                client_msg_id,
                Command::Reject {
                    question: q(question_id),
                    expected: expected.into(),
                    reason: reason.into(),
                },
            ),
            ClientMessage::RejectMany {
                client_msg_id,
                question_ids,
                reason,
            } => {
                if question_ids.is_empty() || question_ids.len() > REJECT_MANY_MAX {
                    return Err(DecodeError::bad_request(
                        "question_ids: 1 to 200 questions",
                        &client_msg_id,
                    ));
                }
                let questions = question_ids.into_iter().map(q).collect();
                let reason = reason.into();
                (client_msg_id, Command::RejectMany { questions, reason })
            }
            ClientMessage::Merge {
                client_msg_id,
                question_id,
                into,
                expected,
            } => (
                client_msg_id,
                Command::Merge {
                    question: q(question_id),
                    into: q(into),
                    expected: expected.into(),
                },
            ),
            ClientMessage::SetUpNext {
                client_msg_id,
                question_ids,
            } => {
                if question_ids.len() > 100 {
                    return Err(DecodeError::bad_request(
                        "at most 100 questions up next",
                        &client_msg_id,
                    ));
                }
                let questions = question_ids.into_iter().map(q).collect();
                (client_msg_id, Command::SetUpNext { questions })
            }
            ClientMessage::SetNowAnswering {
                client_msg_id,
                question_id,
                expected,
            } => (
                client_msg_id,
                Command::SetNowAnswering {
                    question: question_id.map(q),
                    expected: expected.map(q),
                },
            ),
            ClientMessage::MarkAnswered {
                client_msg_id,
                question_id,
                expected,
            } => (
                client_msg_id,
                Command::MarkAnswered {
                    question: q(question_id),
                    expected: expected.into(),
                },
            ),
            ClientMessage::Archive {
                client_msg_id,
                question_id,
                expected,
            } => (
                client_msg_id,
                Command::Archive {
                    question: q(question_id),
                    expected: expected.into(),
                },
            ),
            ClientMessage::FloorQuestion {
                client_msg_id,
                text,
                addressee,
            } => {
                let text = question_text(&text, max_chars, &client_msg_id)?;
                let cmd = Command::FloorQuestion {
                    text,
                    addressee: addressee.map(Into::into),
                };
                (client_msg_id, cmd)
            }
            ClientMessage::Mute {
                client_msg_id,
                participant_id,
            } => (
                client_msg_id,
                Command::Mute {
                    participant: participant_id,
                },
            ),
            ClientMessage::Ban {
                client_msg_id,
                participant_id,
            } => (
                client_msg_id,
                Command::Ban {
                    participant: participant_id,
                },
            ),
            ClientMessage::Unban {
                client_msg_id,
                participant_id,
            } => (
                client_msg_id,
                Command::Unban {
                    participant: participant_id,
                },
            ),
            ClientMessage::SetPhase {
                client_msg_id,
                phase,
                expected,
            } => (
                client_msg_id,
                Command::SetPhase {
                    to: phase.into(),
                    expected: expected.into(),
                },
            ),
            ClientMessage::Post {
                client_msg_id,
                post_id,
                text,
                source,
                link: raw_link,
                data,
            } => {
                let bad = |m: String| DecodeError::bad_request(m, &client_msg_id);
                let data =
                    data.as_ref()
                        .map(post_data)
                        .transpose()
                        .map_err(|(code, message)| DecodeError {
                            code,
                            message,
                            client_msg_id: Some(client_msg_id.as_str().to_string()),
                        })?;
                let cmd = Command::Post {
                    post: post_id.map(crate::domain::PostId),
                    text: plain_text(&text, POST_MAX_CHARS, "text").map_err(bad)?,
                    source: plain_text(&source, SOURCE_MAX_CHARS, "source").map_err(bad)?,
                    link: link(raw_link.as_deref()).map_err(bad)?,
                    data,
                };
                (client_msg_id, cmd)
            }
            ClientMessage::ShowPost {
                client_msg_id,
                post_id,
            } => (
                client_msg_id,
                Command::ShowPost {
                    post: post_id.map(crate::domain::PostId),
                },
            ),
            ClientMessage::WriteAnswer {
                client_msg_id,
                question_id,
                text,
            } => {
                let text = plain_text(&text, ANSWER_MAX_CHARS, "text")
                    .map_err(|m| DecodeError::bad_request(m, &client_msg_id))?;
                let cmd = Command::WriteAnswer {
                    question: q(question_id),
                    text,
                };
                (client_msg_id, cmd)
            }
            ClientMessage::PublishAnswer {
                client_msg_id,
                question_id,
            } => (
                client_msg_id,
                Command::PublishAnswer {
                    question: q(question_id),
                },
            ),
            ClientMessage::PromiseFollowUp {
                client_msg_id,
                question_id,
                owner,
                due,
            } => {
                let bad = |m: String| DecodeError::bad_request(m, &client_msg_id);
                let cmd = Command::PromiseFollowUp {
                    question: q(question_id),
                    owner: plain_text(&owner, OWNER_MAX_CHARS, "owner").map_err(bad)?,
                    due: due_date(&due).map_err(bad)?,
                };
                (client_msg_id, cmd)
            }
            ClientMessage::RecordOutcome {
                client_msg_id,
                question_id,
                outcome,
            } => {
                let outcome = plain_text(&outcome, OUTCOME_MAX_CHARS, "outcome")
                    .map_err(|m| DecodeError::bad_request(m, &client_msg_id))?;
                let cmd = Command::RecordOutcome {
                    question: q(question_id),
                    outcome,
                };
                (client_msg_id, cmd)
            }
            ClientMessage::CreatePoll {
                client_msg_id,
                question,
                poll_kind,
                options,
            } => {
                let question = poll_text(&question, &client_msg_id)?;
                let kind = PollKind::from(poll_kind);
                let options = if kind == PollKind::Scale {
                    if !options.is_empty() {
                        return Err(DecodeError::bad_request(
                            "a scale poll has no options of its own",
                            &client_msg_id,
                        ));
                    }
                    Vec::new()
                } else {
                    if !(2..=MAX_OPTIONS).contains(&options.len()) {
                        return Err(DecodeError::bad_request(
                            format!("a poll has 2 to {MAX_OPTIONS} options"),
                            &client_msg_id,
                        ));
                    }
                    options
                        .iter()
                        .map(|o| poll_text(o, &client_msg_id))
                        .collect::<Result<_, _>>()?
                };
                let cmd = Command::CreatePoll {
                    question,
                    kind,
                    options,
                };
                (client_msg_id, cmd)
            }
            ClientMessage::OpenPoll {
                client_msg_id,
                poll_id,
                expected,
            } => (
                client_msg_id,
                Command::OpenPoll {
                    poll: PollId(poll_id),
                    expected: expected.into(),
                },
            ),
            ClientMessage::ClosePoll {
                client_msg_id,
                poll_id,
                expected,
            } => (
                client_msg_id,
                Command::ClosePoll {
                    poll: PollId(poll_id),
                    expected: expected.into(),
                },
            ),
            ClientMessage::ShowPollResults {
                client_msg_id,
                poll_id,
                shown,
            } => (
                client_msg_id,
                Command::ShowPollResults {
                    poll: PollId(poll_id),
                    shown,
                },
            ),
            ClientMessage::AnswerPoll {
                client_msg_id,
                poll_id,
                choices,
            } => {
                if choices.len() > MAX_OPTIONS {
                    return Err(DecodeError::bad_request(
                        format!("at most {MAX_OPTIONS} choices"),
                        &client_msg_id,
                    ));
                }
                let cmd = Command::AnswerPoll {
                    poll: PollId(poll_id),
                    choices,
                };
                (client_msg_id, cmd)
            }
            ClientMessage::SendTip {
                client_msg_id,
                text,
                display_name: name,
            } => {
                let text = question_text(&text, max_chars, &client_msg_id)?;
                let display_name = parse_display_name(name.as_deref(), &client_msg_id)?;
                (client_msg_id, Command::SendTip { text, display_name })
            }
            ClientMessage::EnterRoom {
                client_msg_id,
                code,
            } => {
                // As typed on a phone: spaces and case do not matter.
                let code: String = code
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_uppercase();
                if code.is_empty()
                    || code.chars().count() > 16
                    || !code.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    return Err(DecodeError::bad_request(
                        "code must be 1 to 16 letters or digits",
                        &client_msg_id,
                    ));
                }
                (client_msg_id, Command::EnterRoom { code })
            }
            ClientMessage::MoveToPrivate {
                client_msg_id,
                question_id,
                expected,
            } => (
                client_msg_id,
                Command::MoveToPrivate {
                    question: q(question_id),
                    expected: expected.into(),
                },
            ),
            ClientMessage::SetTipRecipients {
                client_msg_id,
                kinds,
            } => {
                let kinds = kinds.into_iter().map(Into::into).collect();
                (client_msg_id, Command::SetTipRecipients { kinds })
            }
            ClientMessage::PlanWalk(m) => {
                let (id, plan) = m.into_plan()?;
                (id, Command::PlanWalk(plan))
            }
            ClientMessage::MoveGroup(m) => m.into_command(),
            ClientMessage::Observe(m) => m.into_command(max_chars, cell_m)?,
            ClientMessage::CreateAction(m) => m.into_command()?,
            ClientMessage::SetActionStatus(m) => m.into_command()?,
        };
        Ok(Some(pair))
    }
}
