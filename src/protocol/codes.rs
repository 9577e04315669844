//! Two vocabularies: error codes answer one message; close codes end a connection.

use crate::domain::Refusal;
use serde::{Deserialize, Serialize};

/// The `code` of an `error` frame (and of an HTTP error body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or not a JSON object.
    Malformed,
    /// A JSON object whose `type` this server does not know.
    UnknownType,
    /// A known message with missing or invalid fields (e.g. empty or too long text).
    BadRequest,
    /// No token, or a token that is expired, forged or for another audience.
    Unauthorized,
    /// The role may not do this.
    Forbidden,
    NotFound,
    /// The state is not what the message expected (another moderator was first).
    Conflict,
    /// The dialogue's phase does not allow this now (e.g. questions before it opens).
    NotNow,
    /// A moderator muted this participant.
    Muted,
    /// A moderator banned this participant.
    Banned,
    /// Too many messages; slow down and retry.
    RateLimited,
    /// The dialogue's queue is full; retry with the same `client_msg_id`.
    Busy,
    /// The store could not commit; nothing was acknowledged; retry with the same `client_msg_id`.
    Unavailable,
    /// Too many questions are waiting for a moderator (the participant's own, or
    /// the dialogue's); ask again once some are handled.
    TooManyPending,
    /// A posted data series (CSV) that cannot be read as one: the message says
    /// which row and column.
    BadCsv,
    /// Not the room code the venue screen shows now (mistyped, or expired):
    /// type the one on the screen.
    WrongRoomCode,
}

impl ErrorCode {
    /// The name on the wire, as serde writes it (a test holds the two equal).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownType => "unknown_type",
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::NotNow => "not_now",
            Self::Muted => "muted",
            Self::Banned => "banned",
            Self::RateLimited => "rate_limited",
            Self::Busy => "busy",
            Self::Unavailable => "unavailable",
            Self::TooManyPending => "too_many_pending",
            Self::BadCsv => "bad_csv",
            Self::WrongRoomCode => "wrong_room_code",
        }
    }

    /// Whether sending the same message again (same `client_msg_id`) may succeed.
    pub fn retryable(self) -> bool {
        matches!(self, Self::RateLimited | Self::Busy | Self::Unavailable)
    }

    pub fn http_status(self) -> u16 {
        match self {
            Self::Malformed | Self::UnknownType | Self::BadRequest | Self::BadCsv => 400,
            Self::Unauthorized => 401,
            Self::Forbidden | Self::Muted | Self::Banned | Self::WrongRoomCode => 403,
            Self::NotFound => 404,
            Self::Conflict | Self::NotNow => 409,
            Self::RateLimited | Self::TooManyPending => 429,
            Self::Busy | Self::Unavailable => 503,
        }
    }
}

impl From<&Refusal> for ErrorCode {
    fn from(r: &Refusal) -> ErrorCode {
        match r {
            Refusal::Forbidden { .. } => ErrorCode::Forbidden,
            Refusal::NoSuchQuestion(_)
            | Refusal::NoSuchPanelist
            | Refusal::NoSuchPerson
            | Refusal::NoSuchPost(_) => ErrorCode::NotFound,
            Refusal::Conflict { .. }
            | Refusal::NowAnsweringConflict { .. }
            | Refusal::PhaseConflict { .. }
            | Refusal::PurposeMissing
            | Refusal::PurposeRemoved
            | Refusal::NotBanned => ErrorCode::Conflict,
            Refusal::PhaseTransition { .. } | Refusal::InvalidTarget(_) => ErrorCode::Conflict,
            Refusal::NotNow(_) => ErrorCode::NotNow,
            Refusal::Muted => ErrorCode::Muted,
            Refusal::Banned => ErrorCode::Banned,
            Refusal::NoSuchPoll(_) => ErrorCode::NotFound,
            Refusal::PollConflict { .. } | Refusal::PollNotOpen(_) => ErrorCode::Conflict,
            Refusal::BadChoices => ErrorCode::BadRequest,
            Refusal::TooManyPending { .. } => ErrorCode::TooManyPending,
            Refusal::NotAWalk | Refusal::NoSuchWalkPart(_) => ErrorCode::NotFound,
            Refusal::GroupConflict { .. } | Refusal::ActionConflict { .. } => ErrorCode::Conflict,
            Refusal::BadWalk(_) => ErrorCode::BadRequest,
            Refusal::WrongRoomCode => ErrorCode::WrongRoomCode,
        }
    }
}

/// WebSocket close codes the server uses.
///
/// The reconnect rule, in one place: reconnect (with backoff and `resume`) after
/// `GoingAway`, `Restarting`, `InternalError`, `Slow`, `HelloTimeout` and
/// `RateLimited`; do not reconnect after `TooBig`, `BadHello`, `Unauthorized`, `CredentialsWithdrawn`,
/// `NotFound`, `Banned`, `ProtocolError` and `InvalidPayload` without changing something first (a new token, a
/// smaller message, a valid code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum CloseCode {
    /// The server is shutting down this node; another may take the connection.
    GoingAway = 1001,
    /// The client broke the WebSocket protocol (RFC 6455 §7.4.1).
    ProtocolError = 1002,
    /// A text frame that is not valid UTF-8.
    InvalidPayload = 1007,
    /// A message larger than the limit.
    TooBig = 1009,
    /// The server failed unexpectedly.
    InternalError = 1011,
    /// The server is restarting; reconnect in a moment.
    Restarting = 1012,
    /// The first message was not a valid `hello`.
    BadHello = 4400,
    /// The token is missing, expired, forged or for another audience.
    Unauthorized = 4401,
    /// A moderator banned this participant.
    Banned = 4403,
    /// The dialogue does not exist or is not open to this role yet.
    NotFound = 4404,
    /// No `hello` within the handshake time.
    HelloTimeout = 4408,
    /// The session or invitation behind this socket ended: signed out, removed,
    /// expired, or the dialogue closed. Do not reconnect; sign in again.
    CredentialsWithdrawn = 4410,
    /// Kept sending after being told to slow down.
    RateLimited = 4429,
    /// Fell too far behind the event stream; reconnect and resume from the last `seq`.
    Slow = 4508,
}

impl CloseCode {
    pub fn code(self) -> u16 {
        self as u16
    }

    pub fn should_reconnect(self) -> bool {
        matches!(
            self,
            Self::GoingAway
                | Self::Restarting
                | Self::InternalError
                | Self::Slow
                | Self::HelloTimeout
                | Self::RateLimited
        )
    }

    /// A short reason sent in the close frame (at most 123 bytes by RFC 6455).
    pub fn reason(self) -> &'static str {
        match self {
            Self::GoingAway => "going away",
            Self::ProtocolError => "protocol error",
            Self::InvalidPayload => "invalid utf-8",
            Self::TooBig => "message too big",
            Self::InternalError => "internal error",
            Self::Restarting => "restarting",
            Self::BadHello => "expected hello",
            Self::Unauthorized => "unauthorized",
            Self::Banned => "banned",
            Self::NotFound => "not found",
            Self::HelloTimeout => "hello timeout",
            Self::CredentialsWithdrawn => "credentials withdrawn",
            Self::RateLimited => "rate limited",
            Self::Slow => "too slow",
        }
    }

    pub const ALL: [CloseCode; 14] = [
        Self::GoingAway,
        Self::ProtocolError,
        Self::InvalidPayload,
        Self::TooBig,
        Self::InternalError,
        Self::Restarting,
        Self::BadHello,
        Self::Unauthorized,
        Self::Banned,
        Self::NotFound,
        Self::HelloTimeout,
        Self::CredentialsWithdrawn,
        Self::RateLimited,
        Self::Slow,
    ];
}
