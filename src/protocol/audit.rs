//! The REST shapes of public-records duties: the organizer's masked audit export
//! and an erasure on the person's request.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// `GET /api/dialogues/{id}/audit`.
#[derive(Serialize)]
pub struct AuditExport {
    pub dialogue_id: Uuid,
    pub code: String,
    pub exported_at: i64,
    pub entries: Vec<AuditEntryWire>,
    /// What was masked, entry by entry, so a reader knows what the export leaves out.
    pub masked: Vec<MaskedWire>,
    pub note: &'static str,
}

/// One row of the audit trail.
#[derive(Serialize)]
pub struct AuditEntryWire {
    pub id: u64,
    pub at: i64,
    pub actor: Value,
    pub action: String,
    pub target: Option<String>,
    pub event_seq: Option<u64>,
    pub detail: Option<Value>,
    /// Where text changed: the text before, with flagged spans masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Where text changed or was entered by staff: the text after, masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// What the export masked in one field of one entry.
#[derive(Serialize)]
pub struct MaskedWire {
    pub entry: u64,
    pub field: &'static str,
    /// The kinds of personal data masked (`personnummer`, `phone`, …).
    pub kinds: Vec<&'static str>,
    pub spans: usize,
}

/// `POST /api/dialogues/{id}/erasures`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The participant (their `you` id), or:
    pub participant_id: Option<Uuid>,
    /// a receipt code of one of their questions, which is what a person who asks
    /// to be erased can show (they have no account).
    pub receipt_code: Option<String>,
    /// Questions whose published text is itself the personal data: replaced by a marker.
    #[serde(default)]
    pub replace_text: Vec<u64>,
}

/// What an erasure changed. (Fields in the order the answer has always had.)
#[derive(Serialize)]
pub struct ErasedWire {
    /// The pseudonym that now stands for the participant in the record.
    pub pseudonym: Option<Uuid>,
    pub questions_kept: Vec<u64>,
    pub questions_marked: Vec<u64>,
    pub tips_marked: usize,
}
