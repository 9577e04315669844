//! Sockets opened with a session, and closing them when it no longer holds.
//!
//! Every node keeps the sockets it serves that were opened with a ticket. A
//! sign-out or a removal closes them at once on the node that made it, and goes
//! out on the cluster bus ([`Withdrawal`]) so every other node closes its own
//! at once too. A dialogue that closes does the same from the node that
//! committed the close: every node catches the dialogue up and looks at its
//! sockets for it at once, and again when the invitees' grace is over. What
//! the bus loses, and everything else (an expired session, grants taken away),
//! is found by a watcher that looks again every `auth.revocation_poll_ms`: the
//! store is what every node shares, so a withdrawal made on any node is seen on
//! every node within one poll. Closed with `4410` (`credentials_withdrawn`).

use super::caller::principal_of;
use super::now_ms;
use super::routes::standing_in;
use crate::bus::Withdrawal;
use crate::domain::DialogueId;
use crate::domain::access::Standing;
use crate::hub::Outbox;
use crate::protocol::CloseCode;
use crate::store::{SessionPrincipal, SessionRecord};
use crate::transport::AppState;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// How often a session with an open socket is marked used (ms): an open socket
/// counts as use, so a moderator watching the queue is not signed out as idle.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Ended sessions, links and tickets are deleted every this many rounds.
const PURGE_EVERY_ROUNDS: u64 = 120;

struct Open {
    session_hash: String,
    principal: SessionPrincipal,
    dialogue: DialogueId,
    outbox: Weak<Outbox>,
}

/// The sockets of this node that a session opened.
#[derive(Default)]
pub struct Revocations {
    // A std mutex: held for a lookup or an insert, never across an await.
    open: Mutex<HashMap<u64, Open>>,
    touched: Mutex<HashMap<String, i64>>,
    /// Dialogues whose sockets the watcher looks at now (closed ones).
    recheck: Mutex<HashSet<DialogueId>>,
    recheck_now: tokio::sync::Notify,
}

/// Unregisters its socket when dropped.
pub struct Registered {
    revocations: Weak<Revocations>,
    conn: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Some(r) = self.revocations.upgrade() {
            r.lock().remove(&self.conn);
        }
    }
}

impl Revocations {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Open>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn register(
        self: &Arc<Self>,
        conn: u64,
        session: &SessionRecord,
        dialogue: DialogueId,
        outbox: &Arc<Outbox>,
    ) -> Registered {
        // Marked used now: the watcher keeps it so while the socket is open.
        self.lock().insert(
            conn,
            Open {
                session_hash: session.id_hash.clone(),
                principal: session.principal.clone(),
                dialogue,
                outbox: Arc::downgrade(outbox),
            },
        );
        Registered {
            revocations: Arc::downgrade(self),
            conn,
        }
    }

    /// Closes this node's sockets that `w` withdrew: those of a session that
    /// ended, or of a person taken off a dialogue (or, with no dialogue, off
    /// the staff).
    fn close_withdrawn(&self, w: &Withdrawal) {
        match w {
            Withdrawal::Session(hash) => self.close_where(|_, o| o.session_hash == *hash),
            Withdrawal::Person { person, dialogue } => self.close_where(|_, o| {
                o.principal.id() == *person && dialogue.is_none_or(|d| d == o.dialogue)
            }),
            // Who still has a part after a close is the store's and the
            // dialogue's to say: the watcher looks now.
            Withdrawal::Closed { dialogue, .. } => self.recheck(*dialogue),
        }
    }

    /// Has the watcher look at the sockets of `dialogue` now.
    fn recheck(&self, dialogue: DialogueId) {
        let serves = self.lock().values().any(|o| o.dialogue == dialogue);
        if serves {
            self.recheck
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(dialogue);
            self.recheck_now.notify_one();
        }
    }

    fn take_rechecks(&self) -> HashSet<DialogueId> {
        std::mem::take(&mut *self.recheck.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn close_where(&self, mut pred: impl FnMut(u64, &Open) -> bool) {
        for (conn, open) in self.lock().iter() {
            if pred(*conn, open) {
                if let Some(outbox) = open.outbox.upgrade() {
                    outbox.close(CloseCode::CredentialsWithdrawn);
                }
            }
        }
    }

    fn close_conns(&self, conns: &HashSet<u64>) {
        self.close_where(|conn, _| conns.contains(&conn));
    }

    fn snapshot(&self) -> Vec<(u64, String, SessionPrincipal, DialogueId)> {
        self.lock()
            .iter()
            .map(|(c, o)| (*c, o.session_hash.clone(), o.principal.clone(), o.dialogue))
            .collect()
    }
}

/// Closes the sockets `w` withdrew on this node now, and tells every other node.
pub async fn withdraw(state: &AppState, w: Withdrawal) {
    state.revocations.close_withdrawn(&w);
    state.registry.withdraw(w).await;
}

/// Closes this node's sockets that other nodes withdraw, as the bus reports it
/// (and this node's dialogues, when one closes).
fn follow_bus(state: &AppState) {
    let mut withdrawn = state.registry.withdrawals();
    let revocations = Arc::downgrade(&state.revocations);
    let registry = Arc::downgrade(&state.registry);
    let grace = Duration::from_secs(state.settings.auth.invitee_grace_secs.max(0) as u64);
    tokio::spawn(async move {
        loop {
            let w = match withdrawn.recv().await {
                Ok(w) => w,
                // Missed some: the next check of the store finds them.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let Some(r) = revocations.upgrade() else {
                return;
            };
            if let Withdrawal::Closed { dialogue, head } = w {
                // Catch up to the close first: the bus's wake for it may come later.
                if let Some(registry) = registry.upgrade() {
                    registry.wake(dialogue, head, 0);
                }
                if !grace.is_zero() {
                    let later = Arc::downgrade(&r);
                    tokio::spawn(async move {
                        // Past the grace, with a moment's margin for the clock.
                        tokio::time::sleep(grace + Duration::from_millis(100)).await;
                        if let Some(r) = later.upgrade() {
                            r.recheck(dialogue);
                        }
                    });
                }
            }
            r.close_withdrawn(&w);
        }
    });
}

/// Looks at every open session socket of this node every `revocation_poll_ms`.
pub fn watch(state: AppState) {
    follow_bus(&state);
    let every = Duration::from_millis(state.settings.auth.revocation_poll_ms.max(50));
    tokio::spawn(async move {
        let mut rounds: u64 = 0;
        loop {
            let only = tokio::select! {
                () = tokio::time::sleep(every) => None,
                () = state.revocations.recheck_now.notified() => {
                    Some(state.revocations.take_rechecks())
                }
            };
            // Every other holder of the state (the router, its connections) is
            // gone: the server stopped, and so does this.
            if Arc::strong_count(&state.revocations) == 1 {
                return;
            }
            let r = state.revocations.clone();
            if let Err(e) = check(&state, &r, only.as_ref()).await {
                tracing::debug!(error = e.0.message.as_str(), "checking sessions failed");
            }
            if only.is_some() {
                continue;
            }
            super::security::sweep(&state, now_ms()).await;
            rounds += 1;
            if rounds % PURGE_EVERY_ROUNDS == 0 {
                let _ = state.registry.store().purge_expired(now_ms()).await;
            }
        }
    });
}

/// Looks at the open sockets (only those of the dialogues `only` names, if given).
async fn check(
    state: &AppState,
    r: &Revocations,
    only: Option<&HashSet<DialogueId>>,
) -> Result<(), crate::transport::ApiError> {
    let mut open = r.snapshot();
    if let Some(only) = only {
        open.retain(|o| only.contains(&o.3));
    }
    if open.is_empty() {
        return Ok(());
    }
    let store = state.registry.store();
    let now = now_ms();
    let hashes: Vec<String> = open
        .iter()
        .map(|o| o.1.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let live: HashSet<String> = store
        .live_sessions(&hashes, now)
        .await?
        .into_iter()
        .collect();
    let mut withdrawn: HashSet<u64> = HashSet::new();
    for (conn, hash, principal, dialogue) in &open {
        if !live.contains(hash) {
            withdrawn.insert(*conn);
            continue;
        }
        // Still signed in: does the session still give a part in this dialogue?
        let record = SessionRecord {
            id_hash: hash.clone(),
            principal: principal.clone(),
            csrf: String::new(),
            created: 0,
            last_seen: 0,
            idle_until: 0,
            expires: 0,
        };
        let who = principal_of(state, &record).await?;
        if standing_in(state, &who, *dialogue).await? == Standing::Stranger {
            withdrawn.insert(*conn);
        }
    }
    r.close_conns(&withdrawn);
    if only.is_none() {
        touch_open(state, r, &live, now).await;
    }
    Ok(())
}

async fn touch_open(state: &AppState, r: &Revocations, live: &HashSet<String>, now: i64) {
    let due: Vec<String> = {
        let mut touched = r.touched.lock().unwrap_or_else(|e| e.into_inner());
        touched.retain(|h, _| live.contains(h));
        live.iter()
            .filter(|h| touched.get(*h).is_none_or(|at| now - at >= TOUCH_EVERY_MS))
            .cloned()
            .collect()
    };
    let idle = state.settings.auth.session_idle_secs * 1000;
    for hash in due {
        // The absolute end still holds: touch only moves the idle end, and a
        // session read past its absolute end is refused whatever its idle end says.
        if state
            .registry
            .store()
            .touch_session(&hash, now, now + idle)
            .await
            .is_ok()
        {
            r.touched
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(hash, now);
        }
    }
}
