//! The embedded store: one SQLite file, WAL, `synchronous=FULL` (every commit is durable).
//!
//! The transactions are the SQL core's (`sql.rs`); here are how the file is
//! opened and SQLite's batch statements: multi-row `VALUES` in chunks.

use super::sql::{Dialect, SqlStore};
use super::statements::Flavor;
use super::{
    Batch, Head, SavedAck, StoreError, StoredEvent, append_error, choices_to_text,
    last_answer_wins, last_vote_wins,
};
use crate::domain::{DialogueId, PollAnswer, VoteChange};
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// The embedded store.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // A batch of votes and acks touches about a page per participant. Keep
            // 32 MiB of pages per connection instead of 2 MiB, so a batch is not
            // spilled to the file before its commit; keep statement journals (of the
            // multi-row statements) in memory. The caches are given back when
            // dialogues leave memory (`release_memory`).
            //
            // No memory map of the file (`mmap_size` 0): every page of the file a
            // connection ever read through the map stayed in the process's resident
            // memory, so it grew with the database (measured: +7 MiB over 2,000
            // meetings, most of what a server kept after they had left memory).
            .pragma("cache_size", "-32768")
            .pragma("temp_store", "memory")
            .pragma("mmap_size", "0")
            // Checkpoint every 64 MiB of log instead of 4 MiB: a page a storm writes
            // again and again is copied into the database once per checkpoint, and
            // the commit that runs the checkpoint (and waits for it) comes 16× less
            // often. Durability is the log's fsync at every commit either way.
            .pragma("wal_autocheckpoint", "16384")
            // Deleted and overwritten content is zeroed in the file, not left in
            // free space: erased text must not stay readable (see after_scrub).
            .pragma("secure_delete", "on");
        crate::private_files::prepare_database(options.get_filename())
            .map_err(|e| StoreError::Config(format!("cannot prepare the data folder: {e}")))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Config(format!("migration failed: {e}")))?;
        // Writes go through one connection. SQLite lets one writer in at a time
        // anyway, and a connection drops its page cache whenever another connection
        // has written, so writing on whichever pooled connection was free made every
        // batch read the pages it changes back from the file first.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        check_durability(&pool).await?;
        Ok(SqlStore::new(pool, writer, true))
    }
}

/// An ack promises durability, so refuse to start on a file that cannot keep it.
async fn check_durability(pool: &SqlitePool) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await?;
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await?;
    if !mode.eq_ignore_ascii_case("wal") || sync != 2 {
        return Err(StoreError::Config(format!(
            "SQLite must run with journal_mode=WAL and synchronous=FULL, found {mode} and {sync}"
        )));
    }
    Ok(())
}

/// Rows per multi-row statement: well under SQLite's limit of bound parameters.
const ROWS_PER_STATEMENT: usize = 250;

#[async_trait]
impl Dialect for Sqlite {
    const FLAVOR: Flavor = Flavor::Sqlite;

    async fn write_batch(
        tx: &mut SqliteConnection,
        dialogue: &str,
        batch: Batch<'_>,
    ) -> Result<(), StoreError> {
        insert_events(tx, dialogue, batch.events).await?;
        write_votes(tx, dialogue, batch.votes).await?;
        write_answers(tx, dialogue, batch.answers).await?;
        write_acks(tx, dialogue, batch.acks).await
    }

    /// The log holds the pages as they were before the scrub until a
    /// checkpoint copies the new ones into the file; TRUNCATE also empties it.
    async fn after_scrub(pool: &SqlitePool) -> Result<(), StoreError> {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(pool)
            .await?;
        if busy != 0 {
            // A reader held an older snapshot past the busy timeout: the next
            // checkpoint (automatic, or at close) finishes the work.
            tracing::warn!("the log could not be emptied after a scrub; a reader was busy");
        }
        Ok(())
    }

    /// Each connection keeps its own page cache, up to `cache_size`, and fills
    /// it as the file grows: measured, this was what a server kept per meeting
    /// after its dialogue left memory. The idle connections are held together,
    /// so each is a different one, and each drops its clean pages.
    async fn release_memory(read: &SqlitePool, write: &SqlitePool) {
        let mut held = Vec::new();
        for pool in [write, read] {
            while let Some(conn) = pool.try_acquire() {
                held.push(conn);
            }
        }
        for conn in &mut held {
            if let Err(e) = sqlx::query("PRAGMA shrink_memory")
                .execute(&mut **conn)
                .await
            {
                tracing::debug!(error = %e, "shrinking a connection's cache failed");
            }
        }
    }

    async fn saved_acks(
        pool: &SqlitePool,
        dialogue: &str,
        keys: &[(Uuid, String)],
    ) -> Result<Vec<SavedAck>, StoreError> {
        let mut conn = pool.acquire().await?;
        let mut out = Vec::new();
        for (actor, id) in keys {
            let ack: Option<String> = sqlx::query_scalar(
                "SELECT ack FROM submissions WHERE dialogue_id = ? AND actor_id = ? AND client_msg_id = ?",
            )
            .bind(dialogue)
            .bind(actor.to_string())
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(ack) = ack {
                out.push(SavedAck {
                    actor_id: *actor,
                    client_msg_id: id.clone(),
                    ack,
                });
            }
        }
        Ok(out)
    }

    async fn heads(
        pool: &SqlitePool,
        dialogues: &[DialogueId],
    ) -> Result<Vec<(DialogueId, Head)>, StoreError> {
        let mut conn = pool.acquire().await?;
        let mut out = Vec::with_capacity(dialogues.len());
        for id in dialogues {
            let row: Option<(i64, i64, i64)> =
                sqlx::query_as("SELECT head_seq, votes_version, epoch FROM dialogues WHERE id = ?")
                    .bind(id.to_string())
                    .fetch_optional(&mut *conn)
                    .await?;
            if let Some((seq, votes, epoch)) = row {
                let head = Head {
                    seq: seq as u64,
                    votes_version: votes as u64,
                    epoch: epoch as u64,
                };
                out.push((*id, head));
            }
        }
        Ok(out)
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

/// A batch's votes in a few statements rather than one per vote: set votes go
/// in with one `INSERT OR IGNORE` per chunk, unset ones go with one
/// `DELETE … IN (VALUES …)` per chunk.
async fn write_votes(
    tx: &mut SqliteConnection,
    dialogue: &str,
    votes: &[VoteChange],
) -> Result<(), StoreError> {
    let (on, off): (Vec<_>, Vec<_>) = last_vote_wins(votes).into_iter().partition(|v| v.on);
    for chunk in on.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO votes (dialogue_id, question_id, participant_id, burst) ",
        );
        q.push_values(chunk, |mut row, v| {
            row.push_bind(dialogue)
                .push_bind(v.question.0 as i64)
                .push_bind(v.participant.to_string())
                .push_bind(v.burst);
        });
        q.build().execute(&mut *tx).await?;
    }
    for chunk in off.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new("DELETE FROM votes WHERE dialogue_id = ");
        q.push_bind(dialogue)
            .push(" AND (question_id, participant_id) IN (VALUES ");
        let mut rows = q.separated(", ");
        for v in chunk {
            rows.push("(")
                .push_bind_unseparated(v.question.0 as i64)
                .push_unseparated(", ")
                .push_bind_unseparated(v.participant.to_string())
                .push_unseparated(")");
        }
        q.push(")");
        q.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// One statement per answer: answers come one per participant and poll, far
/// fewer than votes.
async fn write_answers(
    tx: &mut SqliteConnection,
    dialogue: &str,
    answers: &[PollAnswer],
) -> Result<(), StoreError> {
    for a in last_answer_wins(answers) {
        let (poll, participant) = (a.poll.0 as i64, a.participant.to_string());
        let q = if a.choices.is_empty() {
            sqlx::query(
                "DELETE FROM poll_answers WHERE dialogue_id = ? AND poll_id = ? AND participant_id = ?",
            )
            .bind(dialogue)
            .bind(poll)
            .bind(participant)
        } else {
            sqlx::query(
                "INSERT INTO poll_answers (dialogue_id, poll_id, participant_id, choices, burst) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (dialogue_id, poll_id, participant_id)
                 DO UPDATE SET choices = excluded.choices, burst = excluded.burst",
            )
            .bind(dialogue)
            .bind(poll)
            .bind(participant)
            .bind(choices_to_text(&a.choices))
            .bind(a.burst)
        };
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The batch's acks, a chunk per statement.
async fn write_acks(
    tx: &mut SqliteConnection,
    dialogue: &str,
    acks: &[SavedAck],
) -> Result<(), StoreError> {
    for chunk in acks.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO submissions (dialogue_id, actor_id, client_msg_id, ack) ",
        );
        q.push_values(chunk, |mut row, a| {
            row.push_bind(dialogue)
                .push_bind(a.actor_id.to_string())
                .push_bind(&a.client_msg_id)
                .push_bind(&a.ack);
        });
        q.build().execute(&mut *tx).await.map_err(append_error)?;
    }
    Ok(())
}

/// A statement per event: on one local file a round trip costs next to nothing.
async fn insert_events(
    tx: &mut SqliteConnection,
    dialogue: &str,
    events: &[StoredEvent],
) -> Result<(), StoreError> {
    for e in events {
        sqlx::query(
            "INSERT INTO events (dialogue_id, seq, at, actor, body) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(dialogue)
        .bind(e.seq as i64)
        .bind(e.at)
        .bind(&e.actor)
        .bind(&e.body)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
