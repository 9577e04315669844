//! The live dialogues of this node: the handle type is the only door into one.

use super::core::{Join, Submission};
use super::task::{DialogueTask, Request};
use super::{HubSettings, HubThreads, Reply};
use crate::bus::{Bus, News, Withdrawal};
use crate::domain::{Actor, Audience, Command, DialogueId, DialogueInfo, Event, Recorded};
use crate::protocol::{AckWire, ClientMsgId, CloseCode, ErrorCode, ErrorWire, Frame};
use crate::store::{Created, NewDialogue, Store, StoreError};
use dashmap::DashMap;
use rand::Rng;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot};
use uuid::Uuid;

/// The door into one live dialogue's task.
#[derive(Clone)]
pub struct DialogueHandle {
    pub id: DialogueId,
    pub code: String,
    /// The epoch the task loaded: a store at another epoch was rewritten under it.
    pub epoch: u64,
    /// The hub thread the dialogue's task runs on (`hub::HubThreads`).
    pub thread: usize,
    runtime: tokio::runtime::Handle,
    tx: mpsc::Sender<Request>,
    public: Arc<super::PublicView>,
}

impl DialogueHandle {
    /// The runtime of the dialogue's hub thread, for the work every participant
    /// waits on (its staff connections).
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// Queues a submission without waiting. A full queue is `busy`, answered at once.
    pub fn submit(&self, sub: Submission) {
        if let Err(e) = self.tx.try_send(Request::Submit(sub)) {
            let Request::Submit(sub) = e.into_inner() else {
                unreachable!()
            };
            let busy = ErrorWire::new(
                ErrorCode::Busy,
                "the dialogue is busy; retry with the same client_msg_id",
                Some(sub.key.as_str().to_string()),
            );
            sub.reply.send(Err(busy));
        }
    }

    /// Queues a submission, waiting while the inbox is full: the caller (a
    /// connection's reader) stops reading meanwhile, so TCP slows the client down
    /// instead of the server answering `busy`. `false` if the dialogue stopped.
    pub async fn submit_waiting(&self, sub: Submission) -> bool {
        self.tx.send(Request::Submit(sub)).await.is_ok()
    }

    /// Submits and waits for the outcome (for REST).
    pub async fn submit_and_wait(
        &self,
        actor: Actor,
        key: ClientMsgId,
        command: Command,
    ) -> Result<AckWire, ErrorWire> {
        let (tx, rx) = oneshot::channel();
        let id = key.as_str().to_string();
        self.submit(Submission {
            actor,
            // REST submissions are staff's: no join, no burst.
            burst: false,
            key,
            command,
            reply: Reply::Direct(tx),
        });
        rx.await.unwrap_or_else(|_| {
            Err(ErrorWire::new(
                ErrorCode::Unavailable,
                "the dialogue stopped",
                Some(id),
            ))
        })
    }

    pub async fn join(
        &self,
        join: Join,
        reply: oneshot::Receiver<Result<(), CloseCode>>,
    ) -> Result<(), CloseCode> {
        if self.tx.send(Request::Join(join)).await.is_err() {
            return Err(CloseCode::Restarting);
        }
        reply.await.unwrap_or(Err(CloseCode::Restarting))
    }

    pub fn leave(&self, conn: super::ConnId) {
        // If the queue is full the member is pruned anyway once its outbox closes.
        let _ = self.tx.try_send(Request::Leave(conn));
    }

    /// Runs `f` on the live state inside the dialogue's task and returns what it made.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&crate::domain::Dialogue) -> T + Send + 'static,
    ) -> Option<T> {
        let (reply, rx) = oneshot::channel();
        let read = Box::new(move |d: &crate::domain::Dialogue| {
            let _ = reply.send(f(d));
        });
        self.tx.send(Request::Read(read)).await.ok()?;
        rx.await.ok()
    }

    /// The state as the public may read it: a shared copy the task makes at
    /// most once per change, rendered from by the caller, outside the task.
    pub async fn published(&self) -> Option<Arc<crate::domain::Dialogue>> {
        let copy = || self.read(|d| Arc::new(d.clone()));
        self.public.read(copy).await
    }

    pub async fn view(&self, audience: Audience) -> Option<Frame> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request::View { audience, reply }).await.ok()?;
        rx.await.ok()
    }

    /// A full inbox drops the wake; the next poll brings it again.
    pub fn wake(&self, head: u64, votes_version: u64) {
        let _ = self.tx.try_send(Request::Wake {
            head,
            votes_version,
        });
    }
}

pub struct Registry {
    dialogues: DashMap<DialogueId, DialogueHandle>,
    codes: DashMap<String, DialogueId>,
    /// One load per dialogue at a time: after a restart every client of a
    /// dialogue reconnects at once, and the log is read once, not once each.
    loading: DashMap<DialogueId, Arc<tokio::sync::Mutex<()>>>,
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    settings: HubSettings,
    /// Asks the head poller to look now rather than at its next tick.
    poll_now: Arc<Notify>,
    /// Where the dialogue tasks run.
    hub: HubThreads,
    /// Credentials other nodes withdrew, for this node's revocation watcher.
    withdrawn: tokio::sync::broadcast::Sender<Withdrawal>,
}

/// Join codes: 6 characters without look-alikes (no 0/O, 1/I/L), about 10^9 codes.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 6;

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

impl Registry {
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        settings: HubSettings,
        hub: HubThreads,
    ) -> Registry {
        Registry {
            dialogues: DashMap::new(),
            codes: DashMap::new(),
            loading: DashMap::new(),
            store,
            bus,
            settings,
            poll_now: Arc::new(Notify::new()),
            hub,
            withdrawn: tokio::sync::broadcast::channel(256).0,
        }
    }

    /// What each hub thread holds and has done (for `/metrics`).
    pub fn thread_loads(&self) -> Vec<super::thread::ThreadLoad> {
        self.hub.loads()
    }

    /// Tells the other nodes that credentials were withdrawn.
    pub async fn withdraw(&self, withdrawal: Withdrawal) {
        self.bus.withdraw(withdrawal).await;
    }

    /// What other nodes withdraw from now on.
    pub fn withdrawals(&self) -> tokio::sync::broadcast::Receiver<Withdrawal> {
        self.withdrawn.subscribe()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn settings(&self) -> &HubSettings {
        &self.settings
    }

    /// How many dialogues are in memory.
    pub fn live_dialogues(&self) -> usize {
        self.dialogues.iter().filter(|h| !h.tx.is_closed()).count()
    }

    /// The live dialogue, started from the store on first use.
    /// A dialogue whose task ended (unloaded when idle) is loaded again.
    pub async fn get(&self, id: DialogueId) -> Result<Option<DialogueHandle>, StoreError> {
        if let Some(h) = self.running(id) {
            return Ok(Some(h));
        }
        let gate = self.loading.entry(id).or_default().clone();
        let _loading = gate.lock().await;
        if let Some(h) = self.running(id) {
            return Ok(Some(h));
        }
        let loaded = self.load(id).await;
        if loaded.is_err() {
            crate::telemetry::store_failed("load");
        }
        self.loading.remove(&id);
        loaded
    }

    fn running(&self, id: DialogueId) -> Option<DialogueHandle> {
        let h = self.dialogues.get(&id)?;
        (!h.tx.is_closed()).then(|| h.clone())
    }

    /// Forgets the dialogues whose task ended because nobody used them
    /// (`hub.idle_unload_secs`), so memory holds only the ones in use. Returns
    /// how many it forgot.
    fn forget_unloaded(&self) -> usize {
        let mut forgotten = 0;
        self.dialogues.retain(|_, h| {
            let ended = h.tx.is_closed();
            if ended {
                self.codes.remove(&h.code);
                forgotten += 1;
            }
            !ended
        });
        forgotten
    }

    async fn load(&self, id: DialogueId) -> Result<Option<DialogueHandle>, StoreError> {
        let Some(record) = self.store.load(id).await? else {
            return Ok(None);
        };
        let (code, epoch) = (record.code.clone(), record.epoch);
        let task = DialogueTask::new(
            record,
            self.store.clone(),
            self.bus.clone(),
            self.settings.clone(),
            self.withdrawn.clone(),
        )?;
        let (tx, rx) = mpsc::channel(self.settings.inbox_capacity);
        let public = task.public_view();
        // The dialogue stays on this thread until its task ends, which gives the
        // place back.
        let placed = self.hub.place();
        let (thread, runtime) = (placed.index, placed.handle.clone());
        runtime.spawn(async move {
            let _placed = placed;
            task.run(rx).await
        });
        let handle = DialogueHandle {
            id,
            code,
            epoch,
            thread,
            runtime,
            tx,
            public,
        };
        self.dialogues.insert(id, handle.clone());
        self.codes.insert(handle.code.clone(), id);
        Ok(Some(handle))
    }

    /// Stops a dialogue's task (its clients are told to reconnect) so that the next
    /// use loads it afresh from the store: after a retention or erasure rewrite.
    pub async fn evict(&self, id: DialogueId) {
        if let Some((_, h)) = self.dialogues.remove(&id) {
            self.codes.remove(&h.code);
            let _ = h.tx.send(Request::Shutdown(CloseCode::Restarting)).await;
        }
    }

    pub async fn by_code(&self, code: &str) -> Result<Option<DialogueHandle>, StoreError> {
        let code = code.trim().to_ascii_uppercase();
        let id = match self.codes.get(&code) {
            Some(id) => *id,
            None => match self.store.find_code(&code).await? {
                Some(id) => id,
                None => return Ok(None),
            },
        };
        self.get(id).await
    }

    /// Creates a dialogue in `Draft` with a fresh join code. The same organizer
    /// key gives back the same dialogue.
    pub async fn create(
        &self,
        organizer: Uuid,
        district: crate::domain::access::DistrictId,
        key: Option<String>,
        info: DialogueInfo,
        now: i64,
    ) -> Result<DialogueHandle, StoreError> {
        let id = Uuid::new_v4();
        let first = Recorded {
            seq: 1,
            at: now,
            by: Actor::Organizer(organizer),
            event: Event::InfoSet(info),
        };
        let stored = crate::log::encode(&first);
        // Epochs stay below 2^31 so every client language holds them exactly.
        let epoch = rand::rng().random_range(1..(1u64 << 31));
        for _ in 0..16 {
            let new = NewDialogue {
                id,
                code: new_code(),
                epoch,
                created_at: now,
                created_by: organizer,
                idempotency_key: key.clone(),
                district: district.clone(),
                first: stored.clone(),
            };
            match self.store.create_dialogue(&new).await? {
                Created::New => return self.get(id).await?.ok_or(StoreError::NotFound),
                Created::Existing(existing) => {
                    return self.get(existing).await?.ok_or(StoreError::NotFound);
                }
                Created::CodeTaken => continue,
            }
        }
        Err(StoreError::Config(
            "no free join code after 16 tries".into(),
        ))
    }

    /// Wakes a live dialogue that another node appended to.
    pub fn wake(&self, id: DialogueId, head: u64, votes_version: u64) {
        if let Some(h) = self.dialogues.get(&id) {
            h.wake(head, votes_version);
        }
    }

    /// Wakes this node's dialogues with what other nodes publish on the bus.
    pub fn follow(self: &Arc<Self>, mut news: mpsc::Receiver<News>) {
        let registry = Arc::downgrade(self);
        tokio::spawn(async move {
            while let Some(n) = news.recv().await {
                let Some(registry) = registry.upgrade() else {
                    return;
                };
                match n {
                    News::Wake(w) => {
                        crate::telemetry::bus_woke();
                        registry.wake(w.dialogue, w.head, w.votes_version);
                    }
                    News::Resync => registry.poll_now.notify_one(),
                    // Nobody listening (no socket opened by a session yet) is fine.
                    News::Withdrawn(w) => {
                        let _ = registry.withdrawn.send(w);
                    }
                }
            }
        });
    }

    /// Every `every`, reads the heads of this node's live dialogues from the store
    /// and hands each its head, so the ones that moved catch up. This is what makes
    /// the bus optional: with Redis down (or a message lost), another node's commit
    /// reaches this node's clients within one interval. One query per interval for
    /// all dialogues.
    pub fn poll_heads(self: &Arc<Self>, every: Duration) {
        let registry: Weak<Registry> = Arc::downgrade(self);
        tokio::spawn(async move {
            // Dialogues left memory since the store last gave back its caches.
            let mut unloaded = false;
            let mut released = tokio::time::Instant::now();
            loop {
                let Some(r) = registry.upgrade() else {
                    return;
                };
                unloaded |= r.forget_unloaded() > 0;
                // What the store cached for them goes too, at most once per idle
                // period: the dialogues still in use read their pages back once.
                if unloaded && released.elapsed() >= r.settings.idle_unload {
                    r.store.release_memory().await;
                    (unloaded, released) = (false, tokio::time::Instant::now());
                }
                let ids: Vec<DialogueId> = r.dialogues.iter().map(|h| *h.key()).collect();
                if !ids.is_empty() {
                    // A store that hangs must not stop the loop for longer than a few polls.
                    match tokio::time::timeout(every * 5, r.store.heads(&ids)).await {
                        Ok(Ok(heads)) => {
                            for (id, head) in heads {
                                // Another node rewrote the log (retention, erasure):
                                // start over from the store, clients get a snapshot.
                                let loaded = r.dialogues.get(&id).map(|h| h.epoch);
                                if loaded.is_some_and(|e| e != head.epoch) {
                                    r.evict(id).await;
                                    continue;
                                }
                                // Every poll wakes: a dialogue waiting for the store
                                // retries then. It compares the votes version with its
                                // own, which its own commits move on too.
                                r.wake(id, head.seq, head.votes_version);
                            }
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, "polling heads failed"),
                        Err(_) => tracing::debug!("polling heads timed out"),
                    }
                }
                let poll_now = r.poll_now.clone();
                drop(r);
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = poll_now.notified() => {}
                }
            }
        });
    }

    /// Tells every connection to close with `code` (reconnect elsewhere or later)
    /// and waits until every dialogue's task has ended: what each had queued
    /// before the stop is committed and answered first.
    pub async fn shutdown(&self, code: CloseCode) {
        let handles: Vec<DialogueHandle> = self.dialogues.iter().map(|h| h.clone()).collect();
        self.dialogues.clear();
        for h in &handles {
            let _ = h.tx.send(Request::Shutdown(code)).await;
        }
        // A task drops its inbox when it ends.
        for h in &handles {
            h.tx.closed().await;
        }
    }
}
