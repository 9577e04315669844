//! Public-records duties over HTTP: the organizer's audit export (masked) and the
//! erasure of one participant's personal data on request.

use super::{ApiError, AppState};
use crate::domain::authorize::Action;
use crate::domain::sensitive::{self, Flag};
use crate::domain::{Actor, QuestionId};
use crate::identity::{Caller, authorize};
use crate::protocol::ErrorCode;
use crate::protocol::audit::{AuditEntryWire, AuditExport, ErasedWire, ErasureRequest, MaskedWire};
use crate::store::AuditEntry;
use axum::Json;
use axum::extract::{Path, State};
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

const NOTE: &str = "Personal data that the confidentiality guard flagged is replaced by [\u{2026}] in `before` and `after`; `masked` lists every masked field and the kinds of data masked. Text that private tips hold is not part of this export; tip actions appear by id only.";

fn masked(
    text: &str,
    flags: &[Flag],
    entry: u64,
    field: &'static str,
    out: &mut Vec<MaskedWire>,
) -> String {
    if flags.is_empty() {
        return text.to_string();
    }
    let kinds: BTreeSet<&'static str> = flags.iter().map(|f| f.kind.code()).collect();
    out.push(MaskedWire {
        entry,
        field,
        kinds: kinds.into_iter().collect(),
        spans: flags.len(),
    });
    sensitive::redact(text, flags)
}

/// `GET /api/dialogues/{id}/audit`: the audit trail for a public-records request.
/// Organizer only; the export itself is recorded in the trail.
pub async fn audit_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<AuditExport>, ApiError> {
    let organizer = authorize(&state, &caller, id, Action::ExportAudit)
        .await?
        .id();
    let store = state.registry.store().clone();
    let record = store
        .load(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such dialogue"))?;
    let (dialogue, log) = crate::hub::rebuild_with(&record, state.registry.settings())?;
    let now = chrono::Utc::now().timestamp_millis();
    store
        .audit_append(
            id,
            &AuditEntry {
                at: now,
                actor_role: "organizer".into(),
                actor_id: organizer,
                action: "audit_exported".into(),
                target: None,
                event_seq: None,
                detail: None,
            },
        )
        .await?;
    let rows = store.audit_entries(id).await?;
    let mut masked_list = Vec::new();
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let e = row.entry;
        let (mut before, mut after) = (None, None);
        let event = e
            .event_seq
            .and_then(|seq| log.get(seq.checked_sub(1)? as usize));
        if let Some(rec) = event {
            use crate::domain::Event;
            match &rec.event {
                // An edit: the author's words before, the published text after.
                Event::QuestionApproved {
                    question,
                    edited: Some(published),
                } => {
                    if let Some(q) = dialogue.questions.get(question) {
                        let words = q.original.as_ref().unwrap_or(&q.text);
                        before = Some(masked(
                            words.expose(),
                            &q.flags,
                            row.id,
                            "before",
                            &mut masked_list,
                        ));
                    }
                    let text = published.expose();
                    after = Some(masked(
                        text,
                        &sensitive::scan(text),
                        row.id,
                        "after",
                        &mut masked_list,
                    ));
                }
                // A question a moderator typed in from the floor.
                Event::QuestionAsked { question, .. } => {
                    if let Some(q) = dialogue.questions.get(&QuestionId(question.0)) {
                        let text = q.original.as_ref().unwrap_or(&q.text).expose();
                        after = Some(masked(text, &q.flags, row.id, "after", &mut masked_list));
                    }
                }
                _ => {}
            }
        }
        entries.push(AuditEntryWire {
            id: row.id,
            at: e.at,
            actor: json!({"role": e.actor_role, "id": e.actor_id}),
            action: e.action,
            target: e.target,
            event_seq: e.event_seq,
            detail: e.detail.and_then(|d| serde_json::from_str(&d).ok()),
            before,
            after,
        });
    }
    Ok(Json(AuditExport {
        dialogue_id: id,
        code: dialogue.code.clone(),
        exported_at: now,
        entries,
        masked: masked_list,
        note: NOTE,
    }))
}

/// `POST /api/dialogues/{id}/erasures`: erases one participant's personal data
/// (organizer, on the person's request). Repeating it is harmless.
pub async fn erase(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    super::rest::Body(req): super::rest::Body<ErasureRequest>,
) -> Result<Json<ErasedWire>, ApiError> {
    let organizer = authorize(&state, &caller, id, Action::Erase).await?.id();
    let replace: BTreeSet<u64> = req.replace_text.into_iter().collect();
    let participant = match (req.participant_id, req.receipt_code.as_deref()) {
        (Some(p), None) => p,
        (None, Some(code)) => participant_by_receipt(&state, id, code).await?,
        _ => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "name the participant by participant_id or by receipt_code (one of them)",
            ));
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    let erased = crate::retention::erase_participant(
        &state.registry,
        id,
        participant,
        &replace,
        organizer,
        now,
    )
    .await?
    .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such dialogue"))?;
    Ok(Json(ErasedWire {
        pseudonym: erased.pseudonym,
        questions_kept: erased.questions_kept,
        questions_marked: erased.questions_marked,
        tips_marked: erased.tips_marked,
    }))
}

/// The participant who asked the question behind a receipt code of this dialogue.
async fn participant_by_receipt(state: &AppState, id: Uuid, raw: &str) -> Result<Uuid, ApiError> {
    let not_found = || {
        ApiError::new(
            ErrorCode::NotFound,
            "no question of this dialogue has that receipt code",
        )
    };
    let (code, secret) = crate::protocol::receipt::parse(raw).ok_or_else(not_found)?;
    let handle = state
        .registry
        .get(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such dialogue"))?;
    if handle.code != code {
        return Err(not_found());
    }
    let author = handle
        .read(move |d| {
            let q = d.receipts.get(&secret)?;
            match d.questions.get(q)?.author {
                Actor::Participant(p) => Some(p),
                _ => None,
            }
        })
        .await
        .ok_or_else(|| {
            ApiError::new(ErrorCode::Unavailable, "the dialogue is restarting; retry")
        })?;
    author.ok_or_else(not_found)
}
