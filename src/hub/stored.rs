//! A dialogue rebuilt from its stored record (the format itself is `crate::log`'s).

use super::HubSettings;
use super::core::{Loaded, set_votes};
use crate::domain::{Dialogue, Recorded};
use crate::store::{DialogueRecord, StoreError, StoredEvent};
use std::sync::Arc;

/// Rebuilds a dialogue from its record: replaying the log gives the live state.
pub fn rebuild(record: &DialogueRecord) -> Result<(Dialogue, Vec<Recorded>), StoreError> {
    rebuild_in(record, &Default::default(), &Default::default())
}

/// Rebuilds with the deployment's danger phrases, which mark questions and tips
/// as they apply, and its walk categories.
pub fn rebuild_with(
    record: &DialogueRecord,
    settings: &HubSettings,
) -> Result<(Dialogue, Vec<Recorded>), StoreError> {
    rebuild_in(record, &settings.danger_phrases, &settings.categories)
}

fn rebuild_in(
    record: &DialogueRecord,
    danger: &Arc<crate::domain::DangerPhrases>,
    categories: &Arc<crate::domain::walk::Categories>,
) -> Result<(Dialogue, Vec<Recorded>), StoreError> {
    let mut dialogue = Dialogue::new(record.id, record.code.clone(), record.epoch);
    dialogue.danger = danger.clone();
    dialogue.categories = categories.clone();
    let mut log = Vec::with_capacity(record.events.len());
    for stored in &record.events {
        let rec = decode(stored)?;
        if rec.seq != dialogue.head_seq + 1 {
            return Err(StoreError::Config(format!(
                "gap in the log of {}: {} after {}",
                record.id, rec.seq, dialogue.head_seq
            )));
        }
        dialogue.apply(&rec);
        log.push(rec);
    }
    set_votes(
        &mut dialogue,
        record.votes.clone(),
        record.poll_answers.clone(),
    );
    Ok((dialogue, log))
}

/// A stored record as the dialogue's single writer takes it in.
pub(super) fn load(record: DialogueRecord, settings: &HubSettings) -> Result<Loaded, StoreError> {
    let (dialogue, log) = rebuild_with(&record, settings)?;
    Ok(Loaded {
        dialogue,
        log,
        peak: record.peak,
        votes_version: record.votes_version,
    })
}

pub(super) fn decode(stored: &StoredEvent) -> Result<Recorded, StoreError> {
    Ok(crate::log::decode(stored)?)
}
