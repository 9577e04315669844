//! Retention and erasure: what a public authority must delete, and when.
//!
//! Both work the same way: a plan is made from a dialogue's stored record (pure:
//! the time comes in as a value), then the store applies it in one transaction
//! ([`Store::scrub`]): event bodies rewritten in place with a marker where text
//! goes, participant ids replaced by pseudonyms everywhere, rows that tie a person
//! to an answer or a submission deleted. A scrub bumps the dialogue's epoch: the
//! log was rebuilt, so every client gets a fresh snapshot instead of a replay of
//! what it held before. Logs carry counts only.

pub use crate::config::RetentionSettings;
use crate::domain::text::QuestionText;
use crate::domain::{Actor, DialogueId, Event, Phase, QuestionId, QuestionStatus, Recorded};
use crate::hub::Registry;
use crate::store::{AuditEntry, DialogueRecord, Scrub, Store, StoreError, StoredEvent};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// What expired text is replaced with (gallrad: deleted under a retention rule).
pub const RETENTION_MARK: &str = "[gallrad]";
/// What erased text is replaced with (raderad: deleted on the person's request).
pub const ERASURE_MARK: &str = "[raderad på begäran]";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What one run changed, per class. Logged as numbers, never as content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub rejected_texts: usize,
    pub redacted_originals: usize,
    pub private_tips: usize,
    pub display_names: usize,
    pub receipts: usize,
    pub participants_pseudonymised: usize,
    pub audit_rows: u64,
    /// Addresses left for e-mail notes, deleted with the identities.
    pub mail_subscriptions: u64,
    /// A walk's photos never published.
    pub private_photos: u64,
}

impl Counts {
    fn any(&self) -> bool {
        *self != Counts::default()
    }

    fn add(&mut self, o: &Counts) {
        self.rejected_texts += o.rejected_texts;
        self.redacted_originals += o.redacted_originals;
        self.private_tips += o.private_tips;
        self.display_names += o.display_names;
        self.receipts += o.receipts;
        self.participants_pseudonymised += o.participants_pseudonymised;
        self.audit_rows += o.audit_rows;
        self.mail_subscriptions += o.mail_subscriptions;
        self.private_photos += o.private_photos;
    }
}

/// A pseudonym is a random id whose first eight bytes are zero: recognisable as
/// one (so a second run leaves it alone), and tied to nobody.
pub fn pseudonym() -> Uuid {
    let random = Uuid::new_v4();
    let mut bytes = *random.as_bytes();
    bytes[..8].fill(0);
    Uuid::from_bytes(bytes)
}

pub fn is_pseudonym(id: &Uuid) -> bool {
    id.as_bytes()[..8].iter().all(|b| *b == 0)
}

/// The decoded log of one dialogue, ready to be rewritten: each event and
/// whether it changed.
struct Editable {
    events: Vec<(Recorded, bool)>,
}

impl Editable {
    fn new(record: &DialogueRecord) -> Result<Editable, StoreError> {
        let mut events = Vec::with_capacity(record.events.len());
        for e in &record.events {
            events.push((crate::log::decode(e)?, false));
        }
        Ok(Editable { events })
    }

    fn rewrites(self) -> Vec<StoredEvent> {
        self.events
            .into_iter()
            .filter(|(_, changed)| *changed)
            .map(|(rec, _)| crate::log::encode(&rec))
            .collect()
    }
}

fn mark(text: &mut QuestionText, marker: &str) -> bool {
    if text.expose() == marker {
        false
    } else {
        *text = QuestionText::from_trusted(marker.to_string());
        true
    }
}

/// Replaces participant ids by pseudonyms in actors and event fields; `who` picks the ids.
fn pseudonymise(
    ed: &mut Editable,
    record: &DialogueRecord,
    who: impl Fn(&Uuid) -> bool,
) -> HashMap<Uuid, Uuid> {
    let mut map: HashMap<Uuid, Uuid> = HashMap::new();
    let mut to = |id: &Uuid| *map.entry(*id).or_insert_with(pseudonym);
    for (rec, changed) in &mut ed.events {
        if let Actor::Participant(id) = &mut rec.by
            && who(id)
        {
            *id = to(id);
            *changed = true;
        }
        if let Event::ParticipantMuted { participant }
        | Event::ParticipantBanned { participant }
        | Event::ParticipantUnbanned { participant } = &mut rec.event
            && who(participant)
        {
            *participant = to(participant);
            *changed = true;
        }
    }
    for (_, p, _) in &record.votes {
        if who(p) {
            to(p);
        }
    }
    for (_, p, _, _) in &record.poll_answers {
        if who(p) {
            to(p);
        }
    }
    map
}

/// Whether the participants' identities of the dialogue are past their period.
fn identities_expired(
    record: &DialogueRecord,
    periods: &RetentionSettings,
    now: i64,
) -> Result<bool, StoreError> {
    let ed = Editable::new(record)?;
    Ok(closed_at(&ed).is_some_and(|c| now >= c + periods.participant_identities_days * DAY_MS))
}

/// When the dialogue closed, if it did.
fn closed_at(ed: &Editable) -> Option<i64> {
    ed.events.iter().rev().find_map(|(rec, _)| match rec.event {
        Event::PhaseChanged {
            to: Phase::Closed, ..
        } => Some(rec.at),
        _ => None,
    })
}

/// What has expired in one dialogue at `now` (ms), and the plan to delete it.
pub fn plan_retention(
    record: &DialogueRecord,
    periods: &RetentionSettings,
    now: i64,
) -> Result<(Scrub, Counts), StoreError> {
    let mut ed = Editable::new(record)?;
    let mut counts = Counts::default();
    let Some(closed) = closed_at(&ed) else {
        return Ok((Scrub::default(), counts));
    };
    let expired = |days: i64| now >= closed + days * DAY_MS;
    let (dialogue, _) = crate::hub::rebuild(record)?;
    let status = |id: u64| dialogue.questions.get(&QuestionId(id)).map(|q| q.status);
    let edited = |id: u64| {
        dialogue
            .questions
            .get(&QuestionId(id))
            .is_some_and(|q| q.original.is_some())
    };
    for (rec, changed) in &mut ed.events {
        match &mut rec.event {
            Event::QuestionAsked {
                question,
                text,
                display_name,
                receipt,
                ..
            } => {
                let question_id = &question.0;
                let s = status(*question_id);
                // A receipt links a person who kept the code to their question.
                if expired(periods.participant_identities_days) && receipt.take().is_some() {
                    counts.receipts += 1;
                    *changed = true;
                }
                if expired(periods.rejected_text_days)
                    && s == Some(QuestionStatus::Rejected)
                    && mark(text, RETENTION_MARK)
                {
                    counts.rejected_texts += 1;
                    *changed = true;
                }
                if expired(periods.redacted_originals_days)
                    && edited(*question_id)
                    && mark(text, RETENTION_MARK)
                {
                    counts.redacted_originals += 1;
                    *changed = true;
                }
                if expired(periods.private_tips_days)
                    && s == Some(QuestionStatus::MovedToPrivate)
                    && mark(text, RETENTION_MARK)
                {
                    counts.private_tips += 1;
                    *changed = true;
                }
                if expired(periods.participant_identities_days) && display_name.take().is_some() {
                    counts.display_names += 1;
                    *changed = true;
                }
            }
            Event::TipSent {
                text, display_name, ..
            } if expired(periods.private_tips_days) => {
                let name = display_name.take().is_some();
                if mark(text, RETENTION_MARK) || name {
                    counts.private_tips += 1;
                    *changed = true;
                }
            }
            _ => {}
        }
    }
    let mut scrub = Scrub::default();
    if expired(periods.participant_identities_days) {
        let map = pseudonymise(&mut ed, record, |id| !is_pseudonym(id));
        counts.participants_pseudonymised = map.len();
        scrub.pseudonyms = map.into_iter().collect();
        scrub.delete_all_submissions = !record.acks.is_empty();
        // Closed polls keep their counts in the log: the answer rows can go.
        scrub.delete_answers_of_polls = dialogue
            .polls
            .values()
            .filter(|p| p.state == crate::domain::PollState::Closed)
            .filter(|p| record.poll_answers.iter().any(|a| a.0 == p.id.0))
            .map(|p| p.id.0)
            .collect();
    }
    scrub.rewrites = ed.rewrites();
    Ok((scrub, counts))
}

/// What an erasure changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Erased {
    pub questions_marked: Vec<u64>,
    pub questions_kept: Vec<u64>,
    pub tips_marked: usize,
    pub display_names: usize,
    /// The pseudonym that now stands for the participant in the record.
    pub pseudonym: Option<Uuid>,
}

/// Erases one participant's personal data. Their questions' published text and
/// fate remain (the public record stays whole) unless the text itself is the
/// personal data: the guard flags it, or the organizer names the question in
/// `replace_text`; then it becomes a marker. Everything not public (pending,
/// rejected, moved questions, tips, the words before a moderator's edit, names)
/// is replaced; the participant's id becomes a pseudonym in the log, votes and
/// poll answers, and their idempotency records go.
pub fn plan_erasure(
    record: &DialogueRecord,
    participant: Uuid,
    replace_text: &BTreeSet<u64>,
) -> Result<(Scrub, Erased), StoreError> {
    let mut ed = Editable::new(record)?;
    let (dialogue, _) = crate::hub::rebuild(record)?;
    let mut erased = Erased::default();
    let mut edited_to_mark = BTreeSet::new();
    for (rec, changed) in &mut ed.events {
        let by_them = rec.by == Actor::Participant(participant);
        match &mut rec.event {
            Event::QuestionAsked {
                question,
                text,
                display_name,
                receipt,
                ..
            } if by_them => {
                let question_id = &question.0;
                let Some(q) = dialogue.questions.get(&QuestionId(*question_id)) else {
                    continue;
                };
                // The receipt stops working: nothing links the code to the question any more.
                if receipt.take().is_some() {
                    *changed = true;
                }
                if display_name.take().is_some() {
                    erased.display_names += 1;
                    *changed = true;
                }
                let public = q.status.is_public();
                let edited = q.original.is_some();
                let text_is_personal =
                    replace_text.contains(question_id) || (!edited && !q.flags.is_empty());
                if !public || edited || text_is_personal {
                    *changed |= mark(text, ERASURE_MARK);
                }
                if public && !text_is_personal {
                    erased.questions_kept.push(*question_id);
                } else {
                    erased.questions_marked.push(*question_id);
                }
                if public && edited && replace_text.contains(question_id) {
                    edited_to_mark.insert(*question_id);
                }
            }
            Event::TipSent {
                text, display_name, ..
            } if by_them => {
                display_name.take();
                mark(text, ERASURE_MARK);
                erased.tips_marked += 1;
                *changed = true;
            }
            _ => {}
        }
    }
    for (rec, changed) in &mut ed.events {
        if let Event::QuestionApproved {
            question,
            edited: Some(text),
        } = &mut rec.event
            && edited_to_mark.contains(&question.0)
        {
            *changed |= mark(text, ERASURE_MARK);
        }
    }
    let map = pseudonymise(&mut ed, record, |id| *id == participant);
    erased.pseudonym = map.get(&participant).copied();
    let scrub = Scrub {
        rewrites: ed.rewrites(),
        pseudonyms: map.into_iter().collect(),
        delete_submissions_of: vec![participant],
        ..Scrub::default()
    };
    Ok((scrub, erased))
}

/// Erases one participant of one dialogue (organizer, on request), records the
/// erasure in the audit trail and restarts the dialogue's task from the scrubbed log.
pub async fn erase_participant(
    registry: &Registry,
    dialogue: DialogueId,
    participant: Uuid,
    replace_text: &BTreeSet<u64>,
    by: Uuid,
    now: i64,
) -> Result<Option<Erased>, StoreError> {
    let store = registry.store().clone();
    let Some(record) = store.load(dialogue).await? else {
        return Ok(None);
    };
    let (scrub, erased) = plan_erasure(&record, participant, replace_text)?;
    store.scrub(dialogue, &scrub).await?;
    // The addresses they left for notes on their questions go with them.
    let asked: Vec<u64> = erased
        .questions_marked
        .iter()
        .chain(&erased.questions_kept)
        .copied()
        .collect();
    let addresses = store.mail_forget(dialogue, &asked).await?;
    // Their photos too, published or not: a photo is what the person gave.
    let photos = store.delete_photos_of(dialogue, participant).await?;
    let detail = serde_json::json!({
        "questions_marked": erased.questions_marked.len(),
        "questions_kept": erased.questions_kept.len(),
        "tips_marked": erased.tips_marked,
        "photos_deleted": photos,
    });
    store
        .audit_append(
            dialogue,
            &AuditEntry {
                at: now,
                actor_role: "organizer".into(),
                actor_id: by,
                action: "participant_erased".into(),
                target: erased.pseudonym.map(|p| format!("participant:{p}")),
                event_seq: None,
                detail: Some(detail.to_string()),
            },
        )
        .await?;
    registry.evict(dialogue).await;
    tracing::info!(
        dialogue = %dialogue,
        questions_marked = erased.questions_marked.len(),
        questions_kept = erased.questions_kept.len(),
        tips_marked = erased.tips_marked,
        mail_subscriptions = addresses,
        "participant erased"
    );
    Ok(Some(erased))
}

/// One run of the retention job over every dialogue, at `now` (ms). Returns the
/// dialogues it changed and the totals.
pub async fn run_retention(
    store: &Arc<dyn Store>,
    periods: &RetentionSettings,
    now: i64,
) -> Result<(Vec<DialogueId>, Counts), StoreError> {
    let mut total = Counts::default();
    let mut changed = Vec::new();
    for id in store.dialogue_ids().await? {
        let Some(record) = store.load(id).await? else {
            continue;
        };
        let (scrub, counts) = plan_retention(&record, periods, now)?;
        if !scrub.is_empty() {
            store.scrub(id, &scrub).await?;
            changed.push(id);
        }
        // Addresses for notes last as long as the identities they belong to.
        if identities_expired(&record, periods, now)? {
            total.mail_subscriptions += store.mail_forget_dialogue(id).await?;
        }
        total.add(&counts);
        // A walk's photos never published are private originals: they go when
        // redacted originals do. Beside the log, so no rewrite of it.
        let closed = closed_at(&Editable::new(&record)?);
        if closed.is_some_and(|c| now >= c + periods.redacted_originals_days * DAY_MS) {
            total.private_photos += store.delete_private_photos(id).await?;
        }
    }
    total.audit_rows = store
        .purge_audit_before(now - periods.audit_days.max(0) * DAY_MS)
        .await?;
    if total.any() {
        tracing::info!(
            dialogues = changed.len(),
            rejected_texts = total.rejected_texts,
            redacted_originals = total.redacted_originals,
            private_tips = total.private_tips,
            display_names = total.display_names,
            receipts = total.receipts,
            participants_pseudonymised = total.participants_pseudonymised,
            audit_rows = total.audit_rows,
            mail_subscriptions = total.mail_subscriptions,
            private_photos = total.private_photos,
            "retention run"
        );
    }
    Ok((changed, total))
}

/// Deletes the addresses left for e-mail notes and not confirmed within
/// `confirm_within_hours` of `now` (ms), wiped from the files; how many went.
/// Part of every retention run: an unconfirmed address may be anyone's.
pub async fn expire_unconfirmed_addresses(
    store: &Arc<dyn Store>,
    confirm_within_hours: u64,
    now: i64,
) -> Result<u64, StoreError> {
    let within = i64::try_from(confirm_within_hours).unwrap_or(i64::MAX / 2) * 60 * 60 * 1000;
    let gone = store
        .mail_forget_unconfirmed(now.saturating_sub(within))
        .await?;
    if gone > 0 {
        tracing::info!(
            mail_subscriptions = gone,
            "unconfirmed mail addresses deleted"
        );
    }
    Ok(gone)
}

/// Runs the retention job every `interval_secs`, on the wall clock.
pub fn schedule(registry: Arc<Registry>, periods: RetentionSettings, confirm_within_hours: u64) {
    let every = Duration::from_secs(periods.interval_secs.max(60));
    tokio::spawn(async move {
        // The first run waits one interval: a starting node has better things to do.
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = chrono::Utc::now().timestamp_millis();
            match run_retention(registry.store(), &periods, now).await {
                Ok((changed, _)) => {
                    for id in changed {
                        registry.evict(id).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "retention run failed; next run retries"),
            }
            if let Err(e) =
                expire_unconfirmed_addresses(registry.store(), confirm_within_hours, now).await
            {
                tracing::warn!(error = %e, "unconfirmed addresses not deleted; next run retries");
            }
        }
    });
}
