//! What clients send. Decoded once, validated into domain commands.

use super::{
    ErrorCode, LocationWire, OriginWire, PanelKindWire, PhaseWire, PollKindWire, PollStateWire,
    ReasonWire, StatusWire, event::AddresseeWire,
};
use crate::domain::poll::{MAX_OPTIONS, MAX_POLL_TEXT_CHARS, PollId};
use crate::domain::text::{DisplayName, QuestionText, TextError};
use crate::domain::{Command, QuestionId};
use crate::domain::{PollKind, text};
use serde::Deserialize;
use uuid::Uuid;

/// The client's idempotency key for one submission: 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct ClientMsgId(String);

impl ClientMsgId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key within one namespace (a REST endpoint), apart from the same key elsewhere.
    pub fn scoped(&self, namespace: &str) -> ClientMsgId {
        ClientMsgId(format!("{namespace}:{}", self.0))
    }

    /// A key for a submission the server makes on an actor's behalf. Keys are per
    /// actor, so a client that sent the same key could only meet its own ack.
    pub fn server(name: &str) -> ClientMsgId {
        ClientMsgId(format!("server:{name}"))
    }
}

impl TryFrom<String> for ClientMsgId {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.is_empty() || s.chars().count() > 64 {
            Err("client_msg_id must be 1 to 64 characters")
        } else {
            Ok(ClientMsgId(s))
        }
    }
}

/// A position in a dialogue's log, as the client last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub epoch: u64,
    pub seq: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    pub v: u32,
    pub token: String,
    /// Needed only with an organizer token, which is not bound to one dialogue.
    pub dialogue_id: Option<Uuid>,
    pub resume: Option<Position>,
    pub location: Option<LocationWire>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    Hello(Hello),
    Ask {
        client_msg_id: ClientMsgId,
        text: String,
        display_name: Option<String>,
        addressee: Option<AddresseeWire>,
        origin: Option<OriginWire>,
    },
    Vote {
        client_msg_id: ClientMsgId,
        question_id: u64,
        on: bool,
    },
    Approve {
        client_msg_id: ClientMsgId,
        question_id: u64,
        expected: StatusWire,
        /// An edited text to publish instead of the author's.
        text: Option<String>,
    },
    Reject {
        client_msg_id: ClientMsgId,
        question_id: u64,
        expected: StatusWire,
        reason: ReasonWire,
    },
    Merge {
        client_msg_id: ClientMsgId,
        question_id: u64,
        into: u64,
        expected: StatusWire,
    },
    SetUpNext {
        client_msg_id: ClientMsgId,
        question_ids: Vec<u64>,
    },
    SetNowAnswering {
        client_msg_id: ClientMsgId,
        question_id: Option<u64>,
        expected: Option<u64>,
    },
    MarkAnswered {
        client_msg_id: ClientMsgId,
        question_id: u64,
        expected: StatusWire,
    },
    Archive {
        client_msg_id: ClientMsgId,
        question_id: u64,
        expected: StatusWire,
    },
    FloorQuestion {
        client_msg_id: ClientMsgId,
        text: String,
        addressee: Option<AddresseeWire>,
    },
    Mute {
        client_msg_id: ClientMsgId,
        participant_id: Uuid,
    },
    Ban {
        client_msg_id: ClientMsgId,
        participant_id: Uuid,
    },
    SetPhase {
        client_msg_id: ClientMsgId,
        phase: PhaseWire,
        expected: PhaseWire,
    },
    /// A new information post, or (with `post_id`) an edit of one.
    Post {
        client_msg_id: ClientMsgId,
        post_id: Option<u64>,
        text: String,
        source: String,
        link: Option<String>,
    },
    WriteAnswer {
        client_msg_id: ClientMsgId,
        question_id: u64,
        text: String,
    },
    PublishAnswer {
        client_msg_id: ClientMsgId,
        question_id: u64,
    },
    PromiseFollowUp {
        client_msg_id: ClientMsgId,
        question_id: u64,
        owner: String,
        /// `YYYY-MM-DD`.
        due: String,
    },
    RecordOutcome {
        client_msg_id: ClientMsgId,
        question_id: u64,
        outcome: String,
    },
    Ping {},
    CreatePoll {
        client_msg_id: ClientMsgId,
        question: String,
        poll_kind: PollKindWire,
        /// 2 to 10 options for `single` and `multiple`; a `scale` has "1" to "5".
        #[serde(default)]
        options: Vec<String>,
    },
    OpenPoll {
        client_msg_id: ClientMsgId,
        poll_id: u64,
        expected: PollStateWire,
    },
    ClosePoll {
        client_msg_id: ClientMsgId,
        poll_id: u64,
        expected: PollStateWire,
    },
    ShowPollResults {
        client_msg_id: ClientMsgId,
        poll_id: u64,
        shown: bool,
    },
    AnswerPoll {
        client_msg_id: ClientMsgId,
        poll_id: u64,
        /// Option indexes from 0; the whole answer (set, not toggle); `[]` withdraws it.
        choices: Vec<u16>,
    },
    SendTip {
        client_msg_id: ClientMsgId,
        text: String,
        display_name: Option<String>,
    },
    MoveToPrivate {
        client_msg_id: ClientMsgId,
        question_id: u64,
        expected: StatusWire,
    },
    SetTipRecipients {
        client_msg_id: ClientMsgId,
        kinds: Vec<PanelKindWire>,
    },
}

/// Why a client message could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub code: ErrorCode,
    pub message: String,
    /// Echoed back when the message got far enough to name one.
    pub client_msg_id: Option<String>,
}

impl DecodeError {
    fn bad_request(message: impl Into<String>, id: &ClientMsgId) -> DecodeError {
        DecodeError {
            code: ErrorCode::BadRequest,
            message: message.into(),
            client_msg_id: Some(id.0.clone()),
        }
    }
}

/// Decodes one text frame. Malformed JSON, an unknown `type` and bad fields get
/// different codes so a client author can tell them apart.
pub fn decode(text: &str) -> Result<ClientMessage, DecodeError> {
    // serde would take a JSON array for an internally tagged enum; we speak objects only.
    if !text.trim_start().starts_with('{') {
        return Err(DecodeError {
            code: ErrorCode::Malformed,
            message: "expected a JSON object".into(),
            client_msg_id: None,
        });
    }
    serde_json::from_str(text).map_err(|e| {
        // Only on the error path: read the tag and the key on their own, to say
        // which part was wrong and to which submission the error belongs.
        #[derive(Deserialize)]
        struct Envelope {
            #[serde(rename = "type")]
            kind: Option<String>,
            client_msg_id: Option<serde_json::Value>,
        }
        let envelope = serde_json::from_str::<Envelope>(text).ok();
        let known = envelope
            .as_ref()
            .and_then(|e| e.kind.as_deref())
            .is_some_and(|k| CLIENT_TYPES.contains(&k));
        let code = if e.is_syntax() || e.is_eof() {
            ErrorCode::Malformed
        } else if !known {
            ErrorCode::UnknownType
        } else {
            ErrorCode::BadRequest
        };
        let client_msg_id = envelope
            .and_then(|e| e.client_msg_id)
            .and_then(|id| id.as_str().map(str::to_owned));
        DecodeError {
            code,
            message: e.to_string(),
            client_msg_id,
        }
    })
}

/// Every `type` a client may send.
pub const CLIENT_TYPES: [&str; 28] = [
    "hello",
    "ask",
    "vote",
    "approve",
    "reject",
    "merge",
    "set_up_next",
    "set_now_answering",
    "mark_answered",
    "archive",
    "floor_question",
    "mute",
    "ban",
    "set_phase",
    "post",
    "write_answer",
    "publish_answer",
    "promise_follow_up",
    "record_outcome",
    "ping",
    "create_poll",
    "open_poll",
    "close_poll",
    "show_poll_results",
    "answer_poll",
    "send_tip",
    "move_to_private",
    "set_tip_recipients",
];

/// Limits of the plain texts around questions, in characters after normalisation.
pub const POST_MAX_CHARS: usize = 1000;
pub const SOURCE_MAX_CHARS: usize = 200;
pub const ANSWER_MAX_CHARS: usize = 4000;
pub const OWNER_MAX_CHARS: usize = 200;
pub const OUTCOME_MAX_CHARS: usize = 2000;

/// Normalised text of 1 to `max` characters, or a message naming the field.
pub fn plain_text(raw: &str, max: usize, field: &str) -> Result<String, String> {
    let text = crate::domain::text::normalize(raw);
    let n = text.chars().count();
    if n == 0 || n > max {
        return Err(format!("{field} must be 1 to {max} characters"));
    }
    Ok(text)
}

/// An optional http(s) link of at most 500 characters.
pub fn link(raw: Option<&str>) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(l)
            if (l.starts_with("https://") || l.starts_with("http://"))
                && l.len() <= 500
                && !l.chars().any(char::is_whitespace) =>
        {
            Ok(Some(l.to_string()))
        }
        Some(_) => Err("link must be an http(s) URL of at most 500 characters".into()),
    }
}

/// A due date, `YYYY-MM-DD`.
pub fn due_date(raw: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| "due must be a date, YYYY-MM-DD".to_string())
}

/// A poll's question or option: normalised, on one line, 1 to 200 characters.
fn poll_text(raw: &str, id: &ClientMsgId) -> Result<String, DecodeError> {
    let one_line = text::normalize(raw)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let n = one_line.chars().count();
    if n == 0 || n > MAX_POLL_TEXT_CHARS {
        return Err(DecodeError::bad_request(
            format!("poll texts are 1 to {MAX_POLL_TEXT_CHARS} characters"),
            id,
        ));
    }
    Ok(one_line)
}

fn parse_display_name(
    raw: Option<&str>,
    id: &ClientMsgId,
) -> Result<Option<DisplayName>, DecodeError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(name) => DisplayName::parse(name)
            .map(Some)
            .map_err(|e| text_error(e, id)),
    }
}

fn question_text(
    raw: &str,
    max_chars: usize,
    id: &ClientMsgId,
) -> Result<QuestionText, DecodeError> {
    QuestionText::parse(raw, max_chars).map_err(|e| text_error(e, id))
}

fn text_error(e: TextError, id: &ClientMsgId) -> DecodeError {
    DecodeError::bad_request(e.to_string(), id)
}

impl ClientMessage {
    /// Turns a submission into its idempotency key and a domain command.
    /// `hello` and `ping` are not submissions and give `None`.
    pub fn into_command(
        self,
        max_chars: usize,
    ) -> Result<Option<(ClientMsgId, Command)>, DecodeError> {
        let q = QuestionId;
        let pair = match self {
            ClientMessage::Hello(_) | ClientMessage::Ping {} => return Ok(None),
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
            } => {
                let bad = |m: String| DecodeError::bad_request(m, &client_msg_id);
                let cmd = Command::Post {
                    post: post_id.map(crate::domain::PostId),
                    text: plain_text(&text, POST_MAX_CHARS, "text").map_err(bad)?,
                    source: plain_text(&source, SOURCE_MAX_CHARS, "source").map_err(bad)?,
                    link: link(raw_link.as_deref()).map_err(bad)?,
                };
                (client_msg_id, cmd)
            }
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
        };
        Ok(Some(pair))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_unknown_and_bad_fields_get_different_codes() {
        assert_eq!(decode("{not json").unwrap_err().code, ErrorCode::Malformed);
        assert_eq!(decode("[1,2]").unwrap_err().code, ErrorCode::Malformed);
        assert_eq!(
            decode(r#"{"type":"dance"}"#).unwrap_err().code,
            ErrorCode::UnknownType
        );
        assert_eq!(
            decode(r#"{"type":"vote","client_msg_id":"a"}"#)
                .unwrap_err()
                .code,
            ErrorCode::BadRequest
        );
        assert_eq!(
            decode(r#"{"type":"vote","client_msg_id":"","question_id":1,"on":true}"#)
                .unwrap_err()
                .code,
            ErrorCode::BadRequest
        );
    }

    #[test]
    fn every_listed_type_is_known() {
        for kind in CLIENT_TYPES {
            let code = decode(&format!(r#"{{"type":"{kind}"}}"#))
                .err()
                .map(|e| e.code);
            assert_ne!(code, Some(ErrorCode::UnknownType), "{kind}");
        }
    }

    #[test]
    fn an_over_long_question_is_a_bad_request_with_its_id() {
        let text = "a".repeat(11);
        let msg = decode(&format!(
            r#"{{"type":"ask","client_msg_id":"k1","text":"{text}"}}"#
        ))
        .unwrap();
        let err = msg.into_command(10).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadRequest);
        assert_eq!(err.client_msg_id.as_deref(), Some("k1"));
    }
}
