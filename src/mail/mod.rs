//! Opt-in e-mail notes: a participant who left an address for one question
//! hears when its fate is final, when the follow-up it led to is done, and
//! when an action a walk's observation led to changes status.
//!
//! An address left on the receipt page gets one message first, queued with
//! it: a confirmation with a single-use confirm link. Until that link is used
//! the scan does not see the address, so no note goes to it; once it is, the
//! scan queues the notes due by then (a fate already final is told at once).
//! An address not confirmed in time is deleted by the retention run.
//!
//! Two loops per node. The scan reads the confirmed subscriptions, rebuilds the
//! dialogues whose log moved since it last looked, and queues the notes their
//! questions call for (`notes::due`) into the outbox, one row per
//! (subscription, change) whatever how often a change is seen: derived from the
//! log idempotently, so a change made while this node was down, or seen by
//! several nodes at once, is queued exactly once. The sender claims due rows
//! with a lease (so one node sends each), sends them over SMTP, and marks them
//! sent once the server took them; a failure waits, doubling from
//! `retry_initial_ms` up to `retry_max_secs`, and tries again.
//!
//! The address is in the subscription row only. Logs carry note ids and
//! counts, never an address or a note's words.

pub mod notes;
mod sender;

use crate::config::Settings;
use crate::domain::DialogueId;
use crate::store::mail::{NewNote, Subscription};
use crate::store::{Head, Store, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub use sender::SendError;

/// Whether `[mail]` names an SMTP server: the receipt page offers the address
/// field only then.
pub fn enabled(settings: &Settings) -> bool {
    !settings.mail.smtp_host.trim().is_empty()
}

/// Starts the scan and the sender when mail is on. `public_url` is where the
/// links in the notes point.
pub fn start(store: Arc<dyn Store>, settings: &Settings) -> Result<(), String> {
    if !enabled(settings) {
        return Ok(());
    }
    let sender = sender::Sender::from_settings(settings)?;
    let wake = Arc::new(Notify::new());
    let scan_every = Duration::from_millis(settings.mail.scan_ms.max(50));
    tokio::spawn(scan_loop(store.clone(), scan_every, wake.clone()));
    tokio::spawn(sender.run(store, wake));
    Ok(())
}

async fn scan_loop(store: Arc<dyn Store>, every: Duration, wake: Arc<Notify>) {
    let mut scan = Scan::default();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = chrono::Utc::now().timestamp_millis();
        match scan.once(store.as_ref(), now).await {
            Ok(0) => {}
            Ok(queued) => {
                tracing::info!(queued, "mail notes queued");
                wake.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "mail scan failed; the next one retries"),
        }
    }
}

/// What the scan saw last: a dialogue is rebuilt again only when its head moved
/// or it has a subscription the scan has not looked at.
#[derive(Default)]
pub struct Scan {
    heads: HashMap<DialogueId, Head>,
    looked_at: HashSet<String>,
}

impl Scan {
    /// One pass; how many notes it queued.
    pub async fn once(&mut self, store: &dyn Store, now: i64) -> Result<u64, StoreError> {
        let subs = store.mail_subscriptions().await?;
        let mut by_dialogue: HashMap<DialogueId, Vec<Subscription>> = HashMap::new();
        for s in subs {
            by_dialogue.entry(s.dialogue).or_default().push(s);
        }
        self.heads.retain(|id, _| by_dialogue.contains_key(id));
        let ids: Vec<DialogueId> = by_dialogue.keys().copied().collect();
        if ids.is_empty() {
            self.looked_at.clear();
            return Ok(0);
        }
        let mut queued = 0;
        let mut still = HashSet::new();
        for (id, head) in store.heads(&ids).await? {
            let group = &by_dialogue[&id];
            still.extend(group.iter().map(|s| s.id.clone()));
            let unseen = group.iter().any(|s| !self.looked_at.contains(&s.id));
            if self.heads.get(&id) == Some(&head) && !unseen {
                continue;
            }
            let Some(record) = store.load(id).await? else {
                continue;
            };
            let (dialogue, _) = crate::hub::rebuild(&record)?;
            for s in group {
                for due in notes::due(&dialogue, s.question).unwrap_or_default() {
                    let note = NewNote {
                        subscription: &s.id,
                        change: &due.change,
                        fate: due.outcome,
                        title: &dialogue.info.title,
                        last: due.last,
                        now,
                    };
                    queued += u64::from(store.mail_enqueue(&note).await?);
                }
                self.looked_at.insert(s.id.clone());
            }
            self.heads.insert(id, head);
        }
        self.looked_at.retain(|s| still.contains(s));
        Ok(queued)
    }
}
