//! Private tips and danger alerts on the wire: for staff and the allowed panel only.

use crate::domain::Tip;
use serde::Serialize;

/// A private tip. Never sent to participants or the venue screen.
#[derive(Debug, Clone, Serialize)]
pub struct TipWire<'a> {
    pub id: u64,
    pub text: &'a str,
    pub display_name: Option<&'a str>,
    pub at: i64,
    /// The question a moderator moved here, if it came that way.
    pub from_question: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub danger: Option<bool>,
}

impl<'a> TipWire<'a> {
    pub fn new(t: &'a Tip) -> TipWire<'a> {
        TipWire {
            id: t.id.0,
            text: t.text.expose(),
            display_name: t.display_name.as_ref().map(|n| n.expose()),
            at: t.at,
            from_question: t.from_question.map(|q| q.0),
            danger: t.danger.then_some(true),
        }
    }
}

/// A tip for a panelist allowed to receive them: sent as it arrives (`seq` is the
/// event that brought it) and, on joining, for every tip so far (`seq` is the head).
#[derive(Debug, Clone, Serialize)]
pub struct TipMessage<'a> {
    pub seq: u64,
    pub tip: TipWire<'a>,
}

/// Text that signals immediate danger: where it is, never the text itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertWire {
    pub seq: u64,
    pub alert: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tip_id: Option<u64>,
}
