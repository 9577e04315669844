//! The embedded store: one SQLite file, WAL, `synchronous=FULL` (every commit is durable).

use super::{
    AuditEntry, AuditRow, Batch, Created, DialogueRecord, Head, NewDialogue, SavedAck, Scrub,
    Store, StoreError, StoredEvent, append_error, choices_from_text, choices_to_text,
    last_answer_wins,
};
use crate::domain::DialogueId;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

pub struct SqliteStore {
    /// Reads.
    pool: SqlitePool,
    /// Writes: one connection. SQLite lets one writer in at a time anyway, and a
    /// connection drops its page cache whenever another connection has written, so
    /// writing on whichever pooled connection was free made every batch read the
    /// pages it changes back from the file first.
    writer: SqlitePool,
}

impl SqliteStore {
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
            // multi-row statements) in memory; read the database file through a map
            // rather than a system call per page.
            .pragma("cache_size", "-32768")
            .pragma("temp_store", "memory")
            .pragma("mmap_size", "268435456")
            // Checkpoint every 64 MiB of log instead of 4 MiB: a page a storm writes
            // again and again is copied into the database once per checkpoint, and
            // the commit that runs the checkpoint (and waits for it) comes 16× less
            // often. Durability is the log's fsync at every commit either way.
            .pragma("wal_autocheckpoint", "16384");
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Config(format!("cannot create the data folder: {e}")))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Config(format!("migration failed: {e}")))?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        let store = SqliteStore { pool, writer };
        store.check_durability().await?;
        Ok(store)
    }

    /// An ack promises durability, so refuse to start on a file that cannot keep it.
    async fn check_durability(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
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
}

fn event_from_row(row: &sqlx::sqlite::SqliteRow) -> StoredEvent {
    StoredEvent {
        seq: row.get::<i64, _>("seq") as u64,
        at: row.get("at"),
        actor: row.get("actor"),
        body: row.get("body"),
    }
}

fn uuid_col(row: &sqlx::sqlite::SqliteRow, col: &str) -> Result<Uuid, StoreError> {
    let text: String = row.get(col);
    Uuid::parse_str(&text).map_err(|e| StoreError::Config(format!("bad id in column {col}: {e}")))
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_dialogue(&self, d: &NewDialogue) -> Result<Created, StoreError> {
        let mut tx = self.writer.begin().await?;
        if let Some(key) = &d.idempotency_key {
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT id FROM dialogues WHERE created_by = ? AND create_key = ?",
            )
            .bind(d.created_by.to_string())
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = existing {
                let id = Uuid::parse_str(&id).map_err(|e| StoreError::Config(e.to_string()))?;
                return Ok(Created::Existing(id));
            }
        }
        let taken: Option<i64> = sqlx::query_scalar("SELECT 1 FROM dialogues WHERE code = ?")
            .bind(&d.code)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Ok(Created::CodeTaken);
        }
        sqlx::query(
            "INSERT INTO dialogues (id, code, epoch, head_seq, created_at, created_by, create_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(d.id.to_string())
        .bind(&d.code)
        .bind(d.epoch as i64)
        .bind(d.first.seq as i64)
        .bind(d.created_at)
        .bind(d.created_by.to_string())
        .bind(&d.idempotency_key)
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, d.id, std::slice::from_ref(&d.first)).await?;
        for entry in super::audit::entries_for(std::slice::from_ref(&d.first))? {
            insert_audit(&mut tx, d.id, &entry).await?;
        }
        tx.commit().await?;
        Ok(Created::New)
    }

    async fn load(&self, id: DialogueId) -> Result<Option<DialogueRecord>, StoreError> {
        let key = id.to_string();
        // One read transaction: the events, votes and acks are one snapshot.
        let mut conn = self.pool.begin().await?;
        let Some(row) =
            sqlx::query("SELECT code, epoch, votes_version FROM dialogues WHERE id = ?")
                .bind(&key)
                .fetch_optional(&mut *conn)
                .await?
        else {
            return Ok(None);
        };
        let events = sqlx::query(
            "SELECT seq, at, actor, body FROM events WHERE dialogue_id = ? ORDER BY seq",
        )
        .bind(&key)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(event_from_row)
        .collect();
        let votes = votes_of(&mut conn, &key).await?;
        let acks = sqlx::query(
            "SELECT actor_id, client_msg_id, ack FROM submissions WHERE dialogue_id = ?",
        )
        .bind(&key)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(SavedAck {
                actor_id: uuid_col(r, "actor_id")?,
                client_msg_id: r.get("client_msg_id"),
                ack: r.get("ack"),
            })
        })
        .collect::<Result<_, StoreError>>()?;
        let poll_answers = answers_of(&mut conn, &key).await?;
        Ok(Some(DialogueRecord {
            id,
            code: row.get("code"),
            epoch: row.get::<i64, _>("epoch") as u64,
            votes_version: row.get::<i64, _>("votes_version") as u64,
            events,
            votes,
            acks,
            poll_answers,
        }))
    }

    async fn find_code(&self, code: &str) -> Result<Option<DialogueId>, StoreError> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM dialogues WHERE code = ?")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        id.map(|s| Uuid::parse_str(&s).map_err(|e| StoreError::Config(e.to_string())))
            .transpose()
    }

    async fn list_dialogues(&self, created_by: Uuid) -> Result<Vec<DialogueId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM dialogues WHERE created_by = ? ORDER BY created_at DESC",
        )
        .bind(created_by.to_string())
        .fetch_all(&self.pool)
        .await?;
        ids.iter()
            .map(|s| Uuid::parse_str(s).map_err(|e| StoreError::Config(e.to_string())))
            .collect()
    }

    async fn append(
        &self,
        dialogue: DialogueId,
        expected_head: u64,
        batch: Batch<'_>,
    ) -> Result<u64, StoreError> {
        let key = dialogue.to_string();
        let new_head = expected_head + batch.events.len() as u64;
        let mut tx = self.writer.begin().await?;
        // Writing first takes SQLite's write lock at once, so the compare-and-set
        // below sees the latest head and nobody can slip in before the commit.
        let moved: Option<i64> = sqlx::query_scalar("UPDATE dialogues SET head_seq = ?, votes_version = votes_version + ? WHERE id = ? AND head_seq = ? RETURNING votes_version")
            .bind(new_head as i64)
            .bind(i64::from(batch.changes_beside_log()))
            .bind(&key)
            .bind(expected_head as i64)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(votes_version) = moved else {
            let actual: Option<i64> =
                sqlx::query_scalar("SELECT head_seq FROM dialogues WHERE id = ?")
                    .bind(&key)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match actual {
                Some(actual) => StoreError::Conflict {
                    expected: expected_head,
                    actual: actual as u64,
                },
                None => StoreError::NotFound,
            });
        };
        insert_events(&mut tx, dialogue, batch.events).await?;
        for entry in super::audit::entries_for(batch.events)? {
            insert_audit(&mut tx, dialogue, &entry).await?;
        }
        write_votes(&mut tx, &key, batch.votes).await?;
        for a in last_answer_wins(batch.answers) {
            let q = if a.choices.is_empty() {
                sqlx::query(
                    "DELETE FROM poll_answers WHERE dialogue_id = ? AND poll_id = ? AND participant_id = ?",
                )
            } else {
                sqlx::query(
                    "INSERT INTO poll_answers (dialogue_id, poll_id, participant_id, choices) VALUES (?, ?, ?, ?) ON CONFLICT (dialogue_id, poll_id, participant_id) DO UPDATE SET choices = excluded.choices",
                )
            };
            q.bind(&key)
                .bind(a.poll.0 as i64)
                .bind(a.participant.to_string())
                .bind(choices_to_text(&a.choices))
                .execute(&mut *tx)
                .await?;
        }
        write_acks(&mut tx, &key, batch.acks).await?;
        tx.commit().await?;
        Ok(votes_version as u64)
    }

    async fn events_after(
        &self,
        dialogue: DialogueId,
        seq: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, actor, body FROM events WHERE dialogue_id = ? AND seq > ? ORDER BY seq")
            .bind(dialogue.to_string())
            .bind(seq as i64)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(event_from_row).collect())
    }

    async fn heads(&self, dialogues: &[DialogueId]) -> Result<Vec<(DialogueId, Head)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::with_capacity(dialogues.len());
        for id in dialogues {
            let row: Option<(i64, i64, i64)> =
                sqlx::query_as("SELECT head_seq, votes_version, epoch FROM dialogues WHERE id = ?")
                    .bind(id.to_string())
                    .fetch_optional(&mut *conn)
                    .await?;
            if let Some((seq, votes, epoch)) = row {
                out.push((
                    *id,
                    Head {
                        seq: seq as u64,
                        votes_version: votes as u64,
                        epoch: epoch as u64,
                    },
                ));
            }
        }
        Ok(out)
    }

    async fn saved_acks(
        &self,
        dialogue: DialogueId,
        keys: &[(Uuid, String)],
    ) -> Result<Vec<SavedAck>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::new();
        for (actor, id) in keys {
            let ack: Option<String> = sqlx::query_scalar(
                "SELECT ack FROM submissions WHERE dialogue_id = ? AND actor_id = ? AND client_msg_id = ?",
            )
            .bind(dialogue.to_string())
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

    async fn votes(&self, dialogue: DialogueId) -> Result<Vec<(u64, Uuid)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        votes_of(&mut conn, &dialogue.to_string()).await
    }

    async fn poll_answers(
        &self,
        dialogue: DialogueId,
    ) -> Result<Vec<(u64, Uuid, Vec<u16>)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        answers_of(&mut conn, &dialogue.to_string()).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn audit_append(
        &self,
        dialogue: DialogueId,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        insert_audit(&mut tx, dialogue, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn scrub(&self, dialogue: DialogueId, scrub: &Scrub) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        scrub_in(&mut tx, &dialogue.to_string(), scrub).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn purge_audit_before(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "UPDATE audit_horizon SET purge_before = MAX(purge_before, ?) WHERE only_row = 1",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?;
        let gone = sqlx::query("DELETE FROM audit_log WHERE at < (SELECT purge_before FROM audit_horizon WHERE only_row = 1)")
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone)
    }

    async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    async fn dialogue_ids(&self) -> Result<Vec<DialogueId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM dialogues")
            .fetch_all(&self.pool)
            .await?;
        ids.iter()
            .map(|s| Uuid::parse_str(s).map_err(|e| StoreError::Config(e.to_string())))
            .collect()
    }

    async fn audit_entries(&self, dialogue: DialogueId) -> Result<Vec<AuditRow>, StoreError> {
        sqlx::query("SELECT id, at, actor_role, actor_id, action, target, event_seq, detail FROM audit_log WHERE dialogue_id = ? ORDER BY id")
            .bind(dialogue.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.get::<i64, _>("id") as u64,
                    entry: AuditEntry {
                        at: r.get("at"),
                        actor_role: r.get("actor_role"),
                        actor_id: uuid_col(r, "actor_id")?,
                        action: r.get("action"),
                        target: r.get("target"),
                        event_seq: r.get::<Option<i64>, _>("event_seq").map(|s| s as u64),
                        detail: r.get("detail"),
                    },
                })
            })
            .collect()
    }
}

async fn scrub_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    key: &str,
    scrub: &Scrub,
) -> Result<(), StoreError> {
    for e in &scrub.rewrites {
        sqlx::query("UPDATE events SET actor = ?, body = ? WHERE dialogue_id = ? AND seq = ?")
            .bind(&e.actor)
            .bind(&e.body)
            .bind(key)
            .bind(e.seq as i64)
            .execute(&mut **tx)
            .await?;
    }
    for (old, new) in &scrub.pseudonyms {
        for sql in [
            "UPDATE votes SET participant_id = ? WHERE dialogue_id = ? AND participant_id = ?",
            "UPDATE poll_answers SET participant_id = ? WHERE dialogue_id = ? AND participant_id = ?",
        ] {
            sqlx::query(sql)
                .bind(new.to_string())
                .bind(key)
                .bind(old.to_string())
                .execute(&mut **tx)
                .await?;
        }
    }
    for who in &scrub.delete_submissions_of {
        sqlx::query("DELETE FROM submissions WHERE dialogue_id = ? AND actor_id = ?")
            .bind(key)
            .bind(who.to_string())
            .execute(&mut **tx)
            .await?;
    }
    if scrub.delete_all_submissions {
        sqlx::query("DELETE FROM submissions WHERE dialogue_id = ?")
            .bind(key)
            .execute(&mut **tx)
            .await?;
    }
    for poll in &scrub.delete_answers_of_polls {
        sqlx::query("DELETE FROM poll_answers WHERE dialogue_id = ? AND poll_id = ?")
            .bind(key)
            .bind(*poll as i64)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "UPDATE dialogues SET epoch = epoch + 1, votes_version = votes_version + 1 WHERE id = ?",
    )
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    dialogue: DialogueId,
    e: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_log (dialogue_id, at, actor_role, actor_id, action, target, event_seq, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(dialogue.to_string())
        .bind(e.at)
        .bind(&e.actor_role)
        .bind(e.actor_id.to_string())
        .bind(&e.action)
        .bind(&e.target)
        .bind(e.event_seq.map(|s| s as i64))
        .bind(&e.detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// On the caller's connection: `load` must not wait for a second one while holding
/// the first, or concurrent loads can take the whole pool and stall each other.
async fn votes_of(
    conn: &mut sqlx::SqliteConnection,
    dialogue: &str,
) -> Result<Vec<(u64, Uuid)>, StoreError> {
    sqlx::query("SELECT question_id, participant_id FROM votes WHERE dialogue_id = ?")
        .bind(dialogue)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.get::<i64, _>("question_id") as u64,
                uuid_col(r, "participant_id")?,
            ))
        })
        .collect()
}

/// Rows per multi-row statement: well under SQLite's limit of bound parameters.
const ROWS_PER_STATEMENT: usize = 250;

/// A batch's votes in a few statements rather than one per vote: the last change
/// per (question, participant) wins, set votes go in with one `INSERT OR IGNORE`
/// per chunk, unset ones go with one `DELETE … IN (VALUES …)` per chunk.
async fn write_votes(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    dialogue: &str,
    votes: &[crate::domain::VoteChange],
) -> Result<(), StoreError> {
    let mut last: std::collections::HashMap<(u64, Uuid), bool> =
        std::collections::HashMap::with_capacity(votes.len());
    for v in votes {
        last.insert((v.question.0, v.participant), v.on);
    }
    let (on, off): (Vec<_>, Vec<_>) = last.into_iter().partition(|(_, on)| *on);
    for chunk in on.chunks(ROWS_PER_STATEMENT) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT OR IGNORE INTO votes (dialogue_id, question_id, participant_id) ",
        );
        q.push_values(chunk, |mut row, ((question, participant), _)| {
            row.push_bind(dialogue)
                .push_bind(*question as i64)
                .push_bind(participant.to_string());
        });
        q.build().execute(&mut **tx).await?;
    }
    for chunk in off.chunks(ROWS_PER_STATEMENT) {
        let mut q =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("DELETE FROM votes WHERE dialogue_id = ");
        q.push_bind(dialogue)
            .push(" AND (question_id, participant_id) IN (VALUES ");
        let mut rows = q.separated(", ");
        for ((question, participant), _) in chunk {
            rows.push("(")
                .push_bind_unseparated(*question as i64)
                .push_unseparated(", ")
                .push_bind_unseparated(participant.to_string())
                .push_unseparated(")");
        }
        q.push(")");
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// The batch's acks, a chunk per statement. A key saved before fails the whole
/// statement, which `append_error` reports as a duplicate: nothing is committed.
async fn write_acks(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    dialogue: &str,
    acks: &[SavedAck],
) -> Result<(), StoreError> {
    for chunk in acks.chunks(ROWS_PER_STATEMENT) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO submissions (dialogue_id, actor_id, client_msg_id, ack) ",
        );
        q.push_values(chunk, |mut row, a| {
            row.push_bind(dialogue)
                .push_bind(a.actor_id.to_string())
                .push_bind(&a.client_msg_id)
                .push_bind(&a.ack);
        });
        q.build().execute(&mut **tx).await.map_err(append_error)?;
    }
    Ok(())
}

async fn insert_events(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    dialogue: DialogueId,
    events: &[StoredEvent],
) -> Result<(), StoreError> {
    let key = dialogue.to_string();
    for e in events {
        sqlx::query(
            "INSERT INTO events (dialogue_id, seq, at, actor, body) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&key)
        .bind(e.seq as i64)
        .bind(e.at)
        .bind(&e.actor)
        .bind(&e.body)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn answers_of(
    conn: &mut sqlx::SqliteConnection,
    dialogue: &str,
) -> Result<Vec<(u64, Uuid, Vec<u16>)>, StoreError> {
    sqlx::query("SELECT poll_id, participant_id, choices FROM poll_answers WHERE dialogue_id = ?")
        .bind(dialogue)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.get::<i64, _>("poll_id") as u64,
                uuid_col(r, "participant_id")?,
                choices_from_text(r.get("choices"))?,
            ))
        })
        .collect()
}
