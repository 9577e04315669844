//! The SQL core of both stores: every transaction's choreography, written once.
//!
//! What differs per backend is a [`Dialect`]: which text of each statement it
//! runs (`statements.rs`, both dialects side by side), and the batch statements
//! of a group commit (events, votes, poll answers, acks) and of the two batched
//! reads, which differ in shape and not only in text (SQLite: multi-row
//! `VALUES`; PostgreSQL: arrays and `UNNEST`).

use super::group::{CommitCounts, Counts, Group};
use super::statements::{self as sql, Flavor, Sql};
use super::{
    AuditEntry, AuditRow, Batch, Created, DialogueRecord, Head, NewDialogue, SavedAck, Scrub,
    Store, StoreError, StoredAnswer, StoredEvent, StoredVote, choices_from_text,
};
use crate::domain::{Attendance, DialogueId};
use async_trait::async_trait;
use sqlx::query::Query;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};
use std::sync::Arc;
use uuid::Uuid;

/// What one SQL backend does its own way.
#[async_trait]
pub trait Dialect: Database {
    /// Which text of each statement (`statements.rs`) this backend runs.
    const FLAVOR: Flavor;

    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// A group commit's rows beside the head: its events (in order, `seq` as
    /// given), the last change of each vote and of each poll answer (no choices
    /// withdraws an answer), and the acks, where a key saved before fails the
    /// whole batch with [`StoreError::Duplicate`].
    async fn write_batch(
        conn: &mut Self::Connection,
        dialogue: &str,
        batch: Batch<'_>,
    ) -> Result<(), StoreError>;

    /// Where each of these dialogues stands (unknown ids left out); never empty.
    async fn heads(
        pool: &Pool<Self>,
        dialogues: &[DialogueId],
    ) -> Result<Vec<(DialogueId, Head)>, StoreError>;

    /// After a scrub has committed: the removed bytes gone from the files too,
    /// not only from the rows (an erasure that leaves the text in a file is not
    /// one). SQLite: checkpoint and truncate the log; PostgreSQL: rewrite the
    /// tables the scrub touched.
    async fn after_scrub(pool: &Pool<Self>) -> Result<(), StoreError>;

    /// Gives back what the backend caches in this process for data not in use
    /// (nothing by default).
    async fn release_memory(_read: &Pool<Self>, _write: &Pool<Self>) {}

    /// The saved acks of these keys, where there are any; never empty.
    async fn saved_acks(
        pool: &Pool<Self>,
        dialogue: &str,
        keys: &[(Uuid, String)],
    ) -> Result<Vec<SavedAck>, StoreError>;
}

/// A store on one SQL backend.
pub struct SqlStore<D: Database> {
    /// Reads.
    pub(super) read: Pool<D>,
    /// Writes. SQLite's is one connection of its own (see `sqlite.rs`);
    /// PostgreSQL's is the same pool as `read`.
    pub(super) write: Pool<D>,
    /// Appends waiting for the writer, on SQLite (`group.rs`); PostgreSQL runs
    /// each append on a connection of its own.
    pub(super) group: Option<Group>,
    pub(super) counts: Arc<Counts>,
}

impl<D: Database> SqlStore<D> {
    /// `grouped`: appends share commits across dialogues (`group.rs`).
    pub(super) fn new(read: Pool<D>, write: Pool<D>, grouped: bool) -> SqlStore<D> {
        SqlStore {
            read,
            write,
            group: grouped.then(Group::default),
            counts: Arc::default(),
        }
    }

    /// The commits of appends since the store was opened, and the batches in them.
    pub fn commit_counts(&self) -> CommitCounts {
        let (commits, batches) = self.counts.get();
        CommitCounts {
            commits,
            batches,
            waiting: self.group.as_ref().map_or(0, Group::waiting),
            queued: self.group.as_ref().map_or(0, Group::queued),
        }
    }
}

pub(super) fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| StoreError::Config(format!("bad id: {e}")))
}

// The bounds below make `D` a backend the core can run statements on. They are
// written out on both generic blocks: Rust does not carry such bounds along from
// the `Dialect` trait to its users.
impl<D> SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    i64: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    String: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    Option<i64>: for<'q> Encode<'q, D>,
    Option<String>: for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    for<'a> &'a str: ColumnIndex<D::Row>,
{
    pub(super) fn q<'q>(statement: &Sql) -> Query<'q, D, D::Arguments<'q>> {
        sqlx::query(statement.text(D::FLAVOR))
    }

    fn event_from_row(row: &D::Row) -> StoredEvent {
        StoredEvent {
            seq: row.get::<i64, _>("seq") as u64,
            at: row.get("at"),
            actor: row.get("actor"),
            body: row.get("body"),
        }
    }

    fn ids_from_rows(rows: &[D::Row]) -> Result<Vec<DialogueId>, StoreError> {
        rows.iter()
            .map(|r| parse_uuid(&r.get::<String, _>("id")))
            .collect()
    }

    /// An append's writes in the caller's transaction: compare-and-set the
    /// head, the batch's rows, its audit rows. Returns the votes version.
    pub(super) async fn append_in(
        conn: &mut D::Connection,
        key: &str,
        expected_head: u64,
        batch: Batch<'_>,
    ) -> Result<u64, StoreError> {
        let new_head = expected_head + batch.events.len() as u64;
        let moved = Self::q(&sql::MOVE_HEAD)
            .bind(new_head as i64)
            .bind(i64::from(batch.changes_beside_log()))
            .bind(key.to_string())
            .bind(expected_head as i64)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(moved) = moved else {
            let actual = Self::q(&sql::SELECT_HEAD)
                .bind(key.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            return Err(match actual {
                Some(row) => StoreError::Conflict {
                    expected: expected_head,
                    actual: row.get::<i64, _>("head_seq") as u64,
                },
                None => StoreError::NotFound,
            });
        };
        let votes_version = moved.get::<i64, _>("votes_version") as u64;
        D::write_batch(&mut *conn, key, batch).await?;
        Self::audit_events(&mut *conn, key, batch.events).await?;
        Ok(votes_version)
    }

    async fn insert_audit(
        conn: &mut D::Connection,
        dialogue: &str,
        e: &AuditEntry,
    ) -> Result<(), StoreError> {
        Self::q(&sql::INSERT_AUDIT)
            .bind(dialogue.to_string())
            .bind(e.at)
            .bind(e.actor_role.clone())
            .bind(e.actor_id.to_string())
            .bind(e.action.clone())
            .bind(e.target.clone())
            .bind(e.event_seq.map(|s| s as i64))
            .bind(e.detail.clone())
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The audit rows that logged events make, in the caller's transaction.
    async fn audit_events(
        conn: &mut D::Connection,
        dialogue: &str,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        for entry in super::audit::entries_for(events)? {
            Self::insert_audit(&mut *conn, dialogue, &entry).await?;
        }
        Ok(())
    }

    async fn votes_on(
        conn: &mut D::Connection,
        dialogue: &str,
    ) -> Result<Vec<StoredVote>, StoreError> {
        Self::q(&sql::SELECT_VOTES)
            .bind(dialogue.to_string())
            .fetch_all(conn)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.get::<i64, _>("question_id") as u64,
                    parse_uuid(&r.get::<String, _>("participant_id"))?,
                    r.get::<i64, _>("burst") != 0,
                ))
            })
            .collect()
    }

    async fn answers_on(
        conn: &mut D::Connection,
        dialogue: &str,
    ) -> Result<Vec<StoredAnswer>, StoreError> {
        Self::q(&sql::SELECT_ANSWERS)
            .bind(dialogue.to_string())
            .fetch_all(conn)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.get::<i64, _>("poll_id") as u64,
                    parse_uuid(&r.get::<String, _>("participant_id"))?,
                    choices_from_text(&r.get::<String, _>("choices"))?,
                    r.get::<i64, _>("burst") != 0,
                ))
            })
            .collect()
    }

    async fn scrub_in(
        conn: &mut D::Connection,
        key: &str,
        scrub: &Scrub,
    ) -> Result<(), StoreError> {
        Self::q(&sql::NEW_EPOCH)
            .bind(key.to_string())
            .execute(&mut *conn)
            .await?;
        for e in &scrub.rewrites {
            Self::q(&sql::REWRITE_EVENT)
                .bind(e.actor.clone())
                .bind(e.body.clone())
                .bind(key.to_string())
                .bind(e.seq as i64)
                .execute(&mut *conn)
                .await?;
        }
        for (old, new) in &scrub.pseudonyms {
            for statement in &sql::PSEUDONYMS {
                Self::q(statement)
                    .bind(new.to_string())
                    .bind(key.to_string())
                    .bind(old.to_string())
                    .execute(&mut *conn)
                    .await?;
            }
        }
        for who in &scrub.delete_submissions_of {
            Self::q(&sql::DELETE_SUBMISSIONS_OF)
                .bind(key.to_string())
                .bind(who.to_string())
                .execute(&mut *conn)
                .await?;
        }
        if scrub.delete_all_submissions {
            Self::q(&sql::DELETE_ALL_SUBMISSIONS)
                .bind(key.to_string())
                .execute(&mut *conn)
                .await?;
        }
        for poll in &scrub.delete_answers_of_polls {
            Self::q(&sql::DELETE_ANSWERS_OF_POLL)
                .bind(key.to_string())
                .bind(*poll as i64)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl<D> Store for SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    i64: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    String: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    Option<i64>: for<'q> Encode<'q, D>,
    Option<String>: for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    // Photos (`photos.rs`) are bytes.
    Vec<u8>: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    Option<Vec<u8>>: for<'r> Decode<'r, D>,
    for<'a> &'a str: ColumnIndex<D::Row>,
{
    async fn create_dialogue(&self, d: &NewDialogue) -> Result<Created, StoreError> {
        let key = d.id.to_string();
        let mut tx = self.write.begin().await?;
        let inserted = Self::q(&sql::INSERT_DIALOGUE)
            .bind(key.clone())
            .bind(d.code.clone())
            .bind(d.epoch as i64)
            .bind(d.first.seq as i64)
            .bind(d.created_at)
            .bind(d.created_by.to_string())
            .bind(d.idempotency_key.clone())
            .bind(d.district.as_str().to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if inserted.is_none() {
            if let Some(create_key) = &d.idempotency_key {
                let existing = Self::q(&sql::FIND_CREATED)
                    .bind(d.created_by.to_string())
                    .bind(create_key.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(row) = existing {
                    return Ok(Created::Existing(parse_uuid(&row.get::<String, _>("id"))?));
                }
            }
            return Ok(Created::CodeTaken);
        }
        let first = std::slice::from_ref(&d.first);
        let batch = Batch {
            events: first,
            votes: &[],
            answers: &[],
            acks: &[],
        };
        D::write_batch(&mut *tx, &key, batch).await?;
        Self::audit_events(&mut *tx, &key, first).await?;
        tx.commit().await?;
        Ok(Created::New)
    }

    async fn load(&self, id: DialogueId) -> Result<Option<DialogueRecord>, StoreError> {
        let key = id.to_string();
        // One snapshot for the whole read: events, votes and acks of one moment.
        let mut tx = self.read.begin().await?;
        if !sql::READ_SNAPSHOT.text(D::FLAVOR).is_empty() {
            Self::q(&sql::READ_SNAPSHOT).execute(&mut *tx).await?;
        }
        let Some(row) = Self::q(&sql::SELECT_DIALOGUE)
            .bind(key.clone())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let events = Self::q(&sql::EVENTS_AFTER)
            .bind(key.clone())
            .bind(0i64)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(Self::event_from_row)
            .collect();
        let votes = Self::votes_on(&mut *tx, &key).await?;
        let acks = Self::q(&sql::SELECT_ACKS)
            .bind(key.clone())
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| {
                Ok(SavedAck {
                    actor_id: parse_uuid(&r.get::<String, _>("actor_id"))?,
                    client_msg_id: r.get("client_msg_id"),
                    ack: r.get("ack"),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let poll_answers = Self::answers_on(&mut *tx, &key).await?;
        tx.commit().await?;
        Ok(Some(DialogueRecord {
            id,
            code: row.get("code"),
            epoch: row.get::<i64, _>("epoch") as u64,
            votes_version: row.get::<i64, _>("votes_version") as u64,
            events,
            votes,
            acks,
            poll_answers,
            peak: Attendance {
                in_room: row.get::<i64, _>("peak_in_room") as u64,
                remote: row.get::<i64, _>("peak_remote") as u64,
                // Counted from the log when the dialogue closes, not kept as a peak.
                verified: 0,
            },
        }))
    }

    async fn find_code(&self, code: &str) -> Result<Option<DialogueId>, StoreError> {
        let rows = Self::q(&sql::FIND_CODE)
            .bind(code.to_string())
            .fetch_all(&self.read)
            .await?;
        Ok(Self::ids_from_rows(&rows)?.into_iter().next())
    }

    async fn list_dialogues(&self, created_by: Uuid) -> Result<Vec<DialogueId>, StoreError> {
        let rows = Self::q(&sql::LIST_DIALOGUES)
            .bind(created_by.to_string())
            .fetch_all(&self.read)
            .await?;
        Self::ids_from_rows(&rows)
    }

    async fn append(
        &self,
        dialogue: DialogueId,
        expected_head: u64,
        batch: Batch<'_>,
    ) -> Result<u64, StoreError> {
        if let Some(group) = &self.group {
            return self
                .append_grouped(group, dialogue, expected_head, batch)
                .await;
        }
        let mut tx = self.write.begin().await?;
        let appended =
            Self::append_in(&mut *tx, &dialogue.to_string(), expected_head, batch).await?;
        tx.commit().await?;
        self.counts.committed(1);
        Ok(appended)
    }

    async fn events_after(
        &self,
        dialogue: DialogueId,
        seq: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = Self::q(&sql::EVENTS_AFTER)
            .bind(dialogue.to_string())
            .bind(seq as i64)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.iter().map(Self::event_from_row).collect())
    }

    async fn heads(&self, dialogues: &[DialogueId]) -> Result<Vec<(DialogueId, Head)>, StoreError> {
        if dialogues.is_empty() {
            return Ok(Vec::new());
        }
        D::heads(&self.read, dialogues).await
    }

    async fn saved_acks(
        &self,
        dialogue: DialogueId,
        keys: &[(Uuid, String)],
    ) -> Result<Vec<SavedAck>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        D::saved_acks(&self.read, &dialogue.to_string(), keys).await
    }

    async fn votes(&self, dialogue: DialogueId) -> Result<Vec<StoredVote>, StoreError> {
        let mut conn = self.read.acquire().await?;
        Self::votes_on(&mut *conn, &dialogue.to_string()).await
    }

    async fn poll_answers(&self, dialogue: DialogueId) -> Result<Vec<StoredAnswer>, StoreError> {
        let mut conn = self.read.acquire().await?;
        Self::answers_on(&mut *conn, &dialogue.to_string()).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Self::q(&sql::PING).execute(&self.read).await?;
        Ok(())
    }

    async fn keep_attendance_peak(
        &self,
        dialogue: DialogueId,
        peak: Attendance,
    ) -> Result<(), StoreError> {
        Self::q(&sql::KEEP_PEAK)
            .bind(peak.in_room.min(i64::MAX as u64) as i64)
            .bind(peak.remote.min(i64::MAX as u64) as i64)
            .bind(dialogue.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn release_memory(&self) {
        D::release_memory(&self.read, &self.write).await;
    }

    async fn audit_append(
        &self,
        dialogue: DialogueId,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        Self::insert_audit(&mut *tx, &dialogue.to_string(), entry).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_entries(&self, dialogue: DialogueId) -> Result<Vec<AuditRow>, StoreError> {
        Self::q(&sql::SELECT_AUDIT)
            .bind(dialogue.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.get::<i64, _>("id") as u64,
                    entry: AuditEntry {
                        at: r.get("at"),
                        actor_role: r.get("actor_role"),
                        actor_id: parse_uuid(&r.get::<String, _>("actor_id"))?,
                        action: r.get("action"),
                        target: r.get("target"),
                        event_seq: r.get::<Option<i64>, _>("event_seq").map(|s| s as u64),
                        detail: r.get("detail"),
                    },
                })
            })
            .collect()
    }

    async fn scrub(&self, dialogue: DialogueId, scrub: &Scrub) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        Self::scrub_in(&mut *tx, &dialogue.to_string(), scrub).await?;
        tx.commit().await?;
        D::after_scrub(&self.write).await
    }

    async fn purge_audit_before(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.write.begin().await?;
        Self::q(&sql::RAISE_AUDIT_HORIZON)
            .bind(before)
            .execute(&mut *tx)
            .await?;
        let gone = Self::q(&sql::PURGE_AUDIT).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(D::rows_affected(&gone))
    }

    /// The writer first: closing SQLite's last connection checkpoints its log
    /// into the file. (PostgreSQL's two pools are one; closing twice is harmless.)
    async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    async fn dialogue_ids(&self) -> Result<Vec<DialogueId>, StoreError> {
        let rows = Self::q(&sql::ALL_DIALOGUES).fetch_all(&self.read).await?;
        Self::ids_from_rows(&rows)
    }
}
