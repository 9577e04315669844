//! One commit for many dialogues' batches (SQLite).
//!
//! SQLite has one writer connection, and every commit ends in a sync of the
//! log file. With per-dialogue group commits alone, 200 dialogues made
//! thousands of small transactions a second, each waiting for its own sync.
//! Here an append that finds the writer busy waits in a queue, and whoever
//! gets the writer next writes everything queued by then in one transaction,
//! with one `COMMIT` (one sync) for all. A batch that fails (the head moved, a
//! saved idempotency key, anything else) is rolled back alone and gets its own
//! error while the others commit: the group is then written again, each batch
//! inside a savepoint of its own.
//!
//! Leader and followers, no long-lived writer task and no timer: an append
//! queues its batch, then waits either for its answer or for the writer
//! connection; the one that gets the connection takes the queue (up to
//! [`MAX_BATCHES`] batches and [`MAX_ROWS`] rows) and commits it. An append
//! alone finds the writer free and commits at once. The queue holds owned
//! copies of the batches: a `Batch` borrows from its caller, and a caller may
//! stop waiting (its future dropped) while its batch is still queued. The group
//! is committed in a task spawned for it, which holds the connection and
//! answers every batch before giving it back, so no caller's cancellation
//! abandons the others' batches halfway.
//!
//! Only then: each statement is a round trip to sqlx's SQLite thread, and the
//! task that makes them runs where the leader ran (a hub thread), between the
//! dialogue tasks there. So a group is first written without savepoints, two
//! round trips fewer per batch (ten batches of votes: 30 statements instead
//! of 50), and only if a batch fails is that transaction rolled back and the
//! group written again with them.
//!
//! The other write paths (create, scrub, audit, identity, mail…) take the same
//! single connection, so they can never run inside an open group.

use super::sql::SqlStore;
use super::{Batch, SavedAck, StoreError, StoredEvent};
use crate::domain::{DialogueId, PollAnswer, VoteChange};
use sqlx::pool::PoolConnection;
use sqlx::{ColumnIndex, Connection, Decode, Encode, Executor, IntoArguments, Type};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// At most this many batches in one commit.
pub const MAX_BATCHES: usize = 128;
/// At most about this many rows (events, votes, answers, acks) in one commit;
/// a batch bigger than this alone still goes, alone.
pub const MAX_ROWS: usize = 20_000;

/// What the store committed since it was opened: transactions that committed
/// appends, and the appended batches in them. More batches than commits means
/// batches of several dialogues shared a commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitCounts {
    pub commits: u64,
    pub batches: u64,
    /// Appends queued now, waiting for the writer.
    pub waiting: usize,
    /// Appends that were ever queued for a group commit (0 on PostgreSQL).
    pub queued: u64,
}

/// The counters behind [`CommitCounts`], kept by both backends.
#[derive(Debug, Default)]
pub(super) struct Counts {
    commits: AtomicU64,
    batches: AtomicU64,
}

impl Counts {
    pub(super) fn committed(&self, batches: usize) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.batches.fetch_add(batches as u64, Ordering::Relaxed);
        crate::telemetry::store_committed(batches);
    }

    pub(super) fn get(&self) -> (u64, u64) {
        (
            self.commits.load(Ordering::Relaxed),
            self.batches.load(Ordering::Relaxed),
        )
    }
}

/// A batch that owns its rows: what waits in the queue.
struct OwnedBatch {
    events: Vec<StoredEvent>,
    votes: Vec<VoteChange>,
    answers: Vec<PollAnswer>,
    acks: Vec<SavedAck>,
}

impl OwnedBatch {
    fn of(b: Batch<'_>) -> OwnedBatch {
        OwnedBatch {
            events: b.events.to_vec(),
            votes: b.votes.to_vec(),
            answers: b.answers.to_vec(),
            acks: b.acks.to_vec(),
        }
    }

    fn batch(&self) -> Batch<'_> {
        Batch {
            events: &self.events,
            votes: &self.votes,
            answers: &self.answers,
            acks: &self.acks,
        }
    }

    fn rows(&self) -> usize {
        self.events.len() + self.votes.len() + self.answers.len() + self.acks.len()
    }
}

type Answer = Result<u64, StoreError>;

struct Pending {
    id: u64,
    dialogue: String,
    expected_head: u64,
    batch: OwnedBatch,
    answer: oneshot::Sender<Answer>,
}

/// The appends waiting for the writer.
#[derive(Default)]
pub(super) struct Group {
    /// A `std` mutex: it is held only to push or take, never across an await.
    queue: Mutex<VecDeque<Pending>>,
    queued: AtomicU64,
}

impl Group {
    fn push(
        &self,
        dialogue: DialogueId,
        expected_head: u64,
        batch: Batch<'_>,
    ) -> (u64, oneshot::Receiver<Answer>) {
        let (answer, receiver) = oneshot::channel();
        let batch = OwnedBatch::of(batch);
        let mut queue = self.lock();
        // Counted under the lock: an append counted is in the queue or taken from it.
        let id = self.queued.fetch_add(1, Ordering::Relaxed);
        queue.push_back(Pending {
            id,
            dialogue: dialogue.to_string(),
            expected_head,
            batch,
            answer,
        });
        (id, receiver)
    }

    /// The next group: the oldest queued batches, within the bounds.
    fn take(&self) -> Vec<Pending> {
        let mut queue = self.lock();
        let mut group = Vec::new();
        let mut rows = 0;
        while let Some(next) = queue.front() {
            let more = next.batch.rows();
            if !group.is_empty() && (group.len() == MAX_BATCHES || rows + more > MAX_ROWS) {
                break;
            }
            rows += more;
            group.extend(queue.pop_front());
        }
        group
    }

    /// Takes this append out of the queue; false if a group has it already.
    fn withdraw(&self, id: u64) -> bool {
        let mut queue = self.lock();
        let before = queue.len();
        queue.retain(|p| p.id != id);
        queue.len() != before
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Pending>> {
        // A panic elsewhere while holding the lock left the queue whole.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn waiting(&self) -> usize {
        self.lock().len()
    }

    pub(super) fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }
}

/// The error every batch of a group gets when the group itself failed (its
/// transaction could not begin, a savepoint or the commit failed): the store's
/// error, which is not `Clone`, told again to each.
fn shared(e: &sqlx::Error) -> StoreError {
    StoreError::Unavailable(sqlx::Error::Io(std::io::Error::other(format!(
        "the commit holding this batch failed: {e}"
    ))))
}

/// The answer of a batch whose group was dropped before it answered (the
/// runtime shut down): whether it committed is not known.
fn abandoned() -> StoreError {
    StoreError::Unavailable(sqlx::Error::Io(std::io::Error::other(
        "the commit holding this batch was abandoned",
    )))
}

// The bounds of the SQL core (`sql.rs`), and what spawning the group's task needs.
impl<D> SqlStore<D>
where
    D: super::Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    i64: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    String: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    Option<i64>: for<'q> Encode<'q, D>,
    Option<String>: for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    for<'a> &'a str: ColumnIndex<D::Row>,
{
    /// An append through the group commit: answered once the commit that holds
    /// it succeeded (or with why not).
    pub(super) async fn append_grouped(
        &self,
        group: &Group,
        dialogue: DialogueId,
        expected_head: u64,
        batch: Batch<'_>,
    ) -> Answer {
        let (id, mut answer) = group.push(dialogue, expected_head, batch);
        loop {
            tokio::select! {
                // The connection first: an append whose answer came while it got the
                // connection commits what queued meanwhile rather than handing the
                // connection on to the next waiter, who may have its answer too.
                biased;
                conn = self.write.acquire() => {
                    let conn = match conn {
                        Ok(conn) => conn,
                        // Never written: say so. Already in a group: that group answers.
                        Err(e) if group.withdraw(id) => return Err(e.into()),
                        Err(_) => return answer.await.unwrap_or_else(|_| Err(abandoned())),
                    };
                    let taken = group.take();
                    if taken.is_empty() {
                        // This append is no longer queued, so a group took it, and a
                        // group answers every batch before it gives the connection back.
                        drop(conn);
                        return answer.await.unwrap_or_else(|_| Err(abandoned()));
                    }
                    tokio::spawn(Self::commit_group(conn, taken, self.counts.clone()));
                }
                got = &mut answer => return got.unwrap_or_else(|_| Err(abandoned())),
            }
        }
    }

    /// One transaction for the group: first without savepoints, and if a batch
    /// fails, again with each batch in a savepoint of its own.
    async fn commit_group(mut conn: PoolConnection<D>, group: Vec<Pending>, counts: Arc<Counts>) {
        let (answers, outcome) = match Self::all_or_none(&mut conn, &group).await {
            Ok(Some(answers)) => (answers, Ok(())),
            Ok(None) => Self::each_in_a_savepoint(&mut conn, &group).await,
            Err(e) => (Vec::new(), Err(e)),
        };
        Self::answer(group, answers, outcome, &counts);
        drop(conn);
    }

    /// Every batch in one transaction, committed if none failed; `None` (and
    /// nothing written) if one did.
    async fn all_or_none(
        conn: &mut PoolConnection<D>,
        group: &[Pending],
    ) -> Result<Option<Vec<Answer>>, sqlx::Error> {
        let mut tx = Connection::begin(&mut **conn).await?;
        let mut answers: Vec<Answer> = Vec::with_capacity(group.len());
        for p in group {
            match Self::append_in(&mut *tx, &p.dialogue, p.expected_head, p.batch.batch()).await {
                Ok(v) => answers.push(Ok(v)),
                Err(_) => {
                    tx.rollback().await?;
                    return Ok(None);
                }
            }
        }
        tx.commit().await?;
        Ok(Some(answers))
    }

    /// The group again, each batch in a savepoint of its own, so a batch that
    /// fails is rolled back alone and gets its own error.
    async fn each_in_a_savepoint(
        conn: &mut PoolConnection<D>,
        group: &[Pending],
    ) -> (Vec<Answer>, Result<(), sqlx::Error>) {
        let mut answers: Vec<Answer> = Vec::with_capacity(group.len());
        let outcome: Result<(), sqlx::Error> = async {
            let mut tx = Connection::begin(&mut **conn).await?;
            for p in group {
                sqlx::query("SAVEPOINT batch").execute(&mut *tx).await?;
                let appended =
                    Self::append_in(&mut *tx, &p.dialogue, p.expected_head, p.batch.batch()).await;
                let failed = appended.is_err();
                answers.push(appended);
                if failed {
                    // Fails the whole group where SQLite already rolled the transaction back.
                    sqlx::query("ROLLBACK TO batch").execute(&mut *tx).await?;
                }
                sqlx::query("RELEASE batch").execute(&mut *tx).await?;
            }
            if answers.iter().any(Result::is_ok) {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok(())
        }
        .await;
        (answers, outcome)
    }

    /// Tells each batch of the group how it went.
    fn answer(
        group: Vec<Pending>,
        mut answers: Vec<Answer>,
        outcome: Result<(), sqlx::Error>,
        counts: &Counts,
    ) {
        match outcome {
            Ok(()) => {
                let ok = answers.iter().filter(|a| a.is_ok()).count();
                if ok > 0 {
                    counts.committed(ok);
                }
            }
            Err(e) => {
                // Nothing of the group is in the store: a batch that had failed on its
                // own keeps its own error, every other one gets the group's.
                for a in &mut answers {
                    if a.is_ok() {
                        *a = Err(shared(&e));
                    }
                }
                answers.resize_with(group.len(), || Err(shared(&e)));
            }
        }
        for (p, a) in group.into_iter().zip(answers) {
            // A caller that stopped waiting is not told.
            let _ = p.answer.send(a);
        }
    }
}
