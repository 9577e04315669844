//! What clients send. Decoded once, validated into domain commands.

use super::{
    ErrorCode, LocationWire, OriginWire, PanelKindWire, PhaseWire, PollKindWire, PollStateWire,
    ReasonWire, StatusWire, event_parts::AddresseeWire,
};
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
    /// A participant's bearer token (from `POST /api/join`).
    #[serde(default)]
    pub token: String,
    /// Staff and invitees: a single-use ticket from `POST /api/ws-ticket`.
    pub ticket: Option<String>,
    /// Needed only with an organizer token, which is not bound to one dialogue.
    pub dialogue_id: Option<Uuid>,
    /// A join code, instead of `token` and `ticket`: follow the dialogue's
    /// public side read-only, without joining (role `follower`).
    pub follow: Option<String>,
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
    /// Rejects several pending questions with one reason, in one commit.
    RejectMany {
        client_msg_id: ClientMsgId,
        question_ids: Vec<u64>,
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
    Unban {
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
        /// A small data series drawn as a chart beside the text; an edit without
        /// it leaves the post without one.
        data: Option<super::rest::SeriesBody>,
    },
    /// The venue screen shows a post (its chart large), or no post (`post_id: null`).
    ShowPost {
        client_msg_id: ClientMsgId,
        post_id: Option<u64>,
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
    /// A page of the moderator's queue (staff); answered with `pending_page`.
    ReadPending {
        client_msg_id: ClientMsgId,
        order: super::pending_page::QueueOrderWire,
        /// The `next` of the previous page; absent or null for the first.
        #[serde(default)]
        after: Option<super::pending_page::CursorWire>,
    },
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
    /// The room code the venue screen shows, typed by a participant in the room.
    EnterRoom {
        client_msg_id: ClientMsgId,
        code: String,
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
    /// Safety walks (`client_walk.rs`).
    PlanWalk(super::client_walk::PlanWalkMsg),
    MoveGroup(super::client_walk::MoveGroupMsg),
    Observe(super::client_walk::ObserveMsg),
    CreateAction(super::client_walk::CreateActionMsg),
    SetActionStatus(super::client_walk::SetActionStatusMsg),
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
    pub(super) fn bad_request(message: impl Into<String>, id: &ClientMsgId) -> DecodeError {
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
pub const CLIENT_TYPES: [&str; 38] = [
    "hello",
    "ask",
    "vote",
    "approve",
    "reject",
    "reject_many",
    "merge",
    "set_up_next",
    "set_now_answering",
    "mark_answered",
    "archive",
    "floor_question",
    "mute",
    "ban",
    "unban",
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
    "show_post",
    "answer_poll",
    "send_tip",
    "move_to_private",
    "set_tip_recipients",
    "plan_walk",
    "move_group",
    "observe",
    "create_action",
    "set_action_status",
    "read_pending",
    "enter_room",
];

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
