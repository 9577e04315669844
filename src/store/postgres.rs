//! The shared store of a cluster: PostgreSQL, one database for every node.
//!
//! PostgreSQL hands out nothing in commit order by itself, so `seq` comes from the
//! dialogue's row: an append updates `head_seq` only where it still is the head the
//! batch was decided on. The UPDATE holds the row lock until commit, so a second
//! writer waits, then finds the head moved and gets `Conflict`: seq order is commit
//! order, and no seq is ever skipped.

use super::{
    AuditEntry, AuditRow, Batch, Created, DialogueRecord, Head, NewDialogue, SavedAck, Scrub,
    Store, StoreError, StoredEvent, append_error, choices_from_text, choices_to_text,
    last_answer_wins, last_vote_wins,
};
use crate::domain::{DialogueId, VoteChange};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

pub struct PostgresStore {
    pool: PgPool,
}

/// How long a write waits for a connection before it is answered `unavailable`
/// (retryable): while the database restarts, clients hear so quickly.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

impl PostgresStore {
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?
            .application_name("dialoghub")
            // A statement stuck behind a lock or a dying server must not hold a
            // dialogue's writer for long.
            .options([("statement_timeout", "10s"), ("lock_timeout", "5s")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        // sqlx holds an advisory lock while migrating, so nodes starting together
        // migrate once.
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Config(format!("migration failed: {e}")))?;
        Ok(PostgresStore { pool })
    }
}

fn event_from_row(row: &PgRow) -> StoredEvent {
    StoredEvent {
        seq: row.get::<i64, _>("seq") as u64,
        at: row.get("at"),
        actor: row.get("actor"),
        body: row.get("body"),
    }
}

fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| StoreError::Config(format!("bad id: {e}")))
}

fn votes_from_rows(rows: &[PgRow]) -> Result<Vec<(u64, Uuid)>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok((
                r.get::<i64, _>("question_id") as u64,
                parse_uuid(r.get("participant_id"))?,
            ))
        })
        .collect()
}

const SELECT_VOTES: &str = "SELECT question_id, participant_id::text AS participant_id FROM votes WHERE dialogue_id = $1::uuid";

const SELECT_ANSWERS: &str = "SELECT poll_id, participant_id::text AS participant_id, choices FROM poll_answers WHERE dialogue_id = $1::uuid";

fn answers_from_rows(rows: &[PgRow]) -> Result<Vec<(u64, Uuid, Vec<u16>)>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok((
                r.get::<i64, _>("poll_id") as u64,
                parse_uuid(r.get("participant_id"))?,
                choices_from_text(r.get("choices"))?,
            ))
        })
        .collect()
}

#[async_trait]
impl Store for PostgresStore {
    async fn create_dialogue(&self, d: &NewDialogue) -> Result<Created, StoreError> {
        let mut tx = self.pool.begin().await?;
        // ON CONFLICT covers both unique keys (join code, organizer's key), so two
        // nodes creating at once never see an error, only who won.
        let inserted = sqlx::query(
            "INSERT INTO dialogues (id, code, epoch, head_seq, created_at, created_by, create_key)
             VALUES ($1::uuid, $2, $3, $4, $5, $6::uuid, $7) ON CONFLICT DO NOTHING",
        )
        .bind(d.id.to_string())
        .bind(&d.code)
        .bind(d.epoch as i64)
        .bind(d.first.seq as i64)
        .bind(d.created_at)
        .bind(d.created_by.to_string())
        .bind(&d.idempotency_key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            if let Some(key) = &d.idempotency_key {
                let existing: Option<String> = sqlx::query_scalar(
                    "SELECT id::text FROM dialogues WHERE created_by = $1::uuid AND create_key = $2",
                )
                .bind(d.created_by.to_string())
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(id) = existing {
                    return Ok(Created::Existing(parse_uuid(&id)?));
                }
            }
            return Ok(Created::CodeTaken);
        }
        insert_events(&mut tx, d.id, std::slice::from_ref(&d.first)).await?;
        for entry in super::audit::entries_for(std::slice::from_ref(&d.first))? {
            insert_audit(&mut tx, d.id, &entry).await?;
        }
        tx.commit().await?;
        Ok(Created::New)
    }

    async fn load(&self, id: DialogueId) -> Result<Option<DialogueRecord>, StoreError> {
        let key = id.to_string();
        // One snapshot for the whole read: events, votes and acks of one moment.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let Some(row) =
            sqlx::query("SELECT code, epoch, votes_version FROM dialogues WHERE id = $1::uuid")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(None);
        };
        let events = sqlx::query(
            "SELECT seq, at, actor, body FROM events WHERE dialogue_id = $1::uuid ORDER BY seq",
        )
        .bind(&key)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(event_from_row)
        .collect();
        let votes = votes_from_rows(
            &sqlx::query(SELECT_VOTES)
                .bind(&key)
                .fetch_all(&mut *tx)
                .await?,
        )?;
        let acks = sqlx::query(
            "SELECT actor_id::text AS actor_id, client_msg_id, ack FROM submissions WHERE dialogue_id = $1::uuid",
        )
        .bind(&key)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok(SavedAck {
                actor_id: parse_uuid(r.get("actor_id"))?,
                client_msg_id: r.get("client_msg_id"),
                ack: r.get("ack"),
            })
        })
        .collect::<Result<_, StoreError>>()?;
        let poll_answers = answers_from_rows(
            &sqlx::query(SELECT_ANSWERS)
                .bind(&key)
                .fetch_all(&mut *tx)
                .await?,
        )?;
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
        }))
    }

    async fn find_code(&self, code: &str) -> Result<Option<DialogueId>, StoreError> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id::text FROM dialogues WHERE code = $1")
                .bind(code)
                .fetch_optional(&self.pool)
                .await?;
        id.as_deref().map(parse_uuid).transpose()
    }

    async fn list_dialogues(&self, created_by: Uuid) -> Result<Vec<DialogueId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id::text FROM dialogues WHERE created_by = $1::uuid ORDER BY created_at DESC",
        )
        .bind(created_by.to_string())
        .fetch_all(&self.pool)
        .await?;
        ids.iter().map(|s| parse_uuid(s)).collect()
    }

    async fn append(
        &self,
        dialogue: DialogueId,
        expected_head: u64,
        batch: Batch<'_>,
    ) -> Result<u64, StoreError> {
        let key = dialogue.to_string();
        let new_head = expected_head + batch.events.len() as u64;
        let mut tx = self.pool.begin().await?;
        // The row lock taken here is held to the commit: a concurrent writer waits,
        // then re-reads the row, finds the head moved and updates nothing.
        let moved: Option<i64> = sqlx::query_scalar(
            "UPDATE dialogues SET head_seq = $1, votes_version = votes_version + $2
             WHERE id = $3::uuid AND head_seq = $4 RETURNING votes_version",
        )
        .bind(new_head as i64)
        .bind(i64::from(batch.changes_beside_log()))
        .bind(&key)
        .bind(expected_head as i64)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(votes_version) = moved else {
            let actual: Option<i64> =
                sqlx::query_scalar("SELECT head_seq FROM dialogues WHERE id = $1::uuid")
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
        let votes = last_vote_wins(batch.votes);
        let (on, off): (Vec<VoteChange>, Vec<VoteChange>) = votes.iter().partition(|v| v.on);
        for (changes, sql) in [
            (
                on,
                "INSERT INTO votes (dialogue_id, question_id, participant_id)
                 SELECT $1::uuid, q, p::uuid FROM UNNEST($2::bigint[], $3::text[]) AS t(q, p)
                 ON CONFLICT DO NOTHING",
            ),
            (
                off,
                "DELETE FROM votes WHERE dialogue_id = $1::uuid AND (question_id, participant_id) IN
                 (SELECT q, p::uuid FROM UNNEST($2::bigint[], $3::text[]) AS t(q, p))",
            ),
        ] {
            if changes.is_empty() {
                continue;
            }
            let questions: Vec<i64> = changes.iter().map(|v| v.question.0 as i64).collect();
            let people: Vec<String> = changes.iter().map(|v| v.participant.to_string()).collect();
            sqlx::query(sql)
                .bind(&key)
                .bind(&questions)
                .bind(&people)
                .execute(&mut *tx)
                .await?;
        }
        let answers = last_answer_wins(batch.answers);
        let (set, withdrawn): (Vec<_>, Vec<_>) =
            answers.into_iter().partition(|a| !a.choices.is_empty());
        if !set.is_empty() {
            let polls: Vec<i64> = set.iter().map(|a| a.poll.0 as i64).collect();
            let people: Vec<String> = set.iter().map(|a| a.participant.to_string()).collect();
            let choices: Vec<String> = set.iter().map(|a| choices_to_text(&a.choices)).collect();
            sqlx::query(
                "INSERT INTO poll_answers (dialogue_id, poll_id, participant_id, choices)
                 SELECT $1::uuid, q, p::uuid, c FROM UNNEST($2::bigint[], $3::text[], $4::text[]) AS t(q, p, c)
                 ON CONFLICT (dialogue_id, poll_id, participant_id) DO UPDATE SET choices = EXCLUDED.choices",
            )
            .bind(&key)
            .bind(&polls)
            .bind(&people)
            .bind(&choices)
            .execute(&mut *tx)
            .await?;
        }
        if !withdrawn.is_empty() {
            let polls: Vec<i64> = withdrawn.iter().map(|a| a.poll.0 as i64).collect();
            let people: Vec<String> = withdrawn
                .iter()
                .map(|a| a.participant.to_string())
                .collect();
            sqlx::query(
                "DELETE FROM poll_answers WHERE dialogue_id = $1::uuid AND (poll_id, participant_id) IN
                 (SELECT q, p::uuid FROM UNNEST($2::bigint[], $3::text[]) AS t(q, p))",
            )
            .bind(&key)
            .bind(&polls)
            .bind(&people)
            .execute(&mut *tx)
            .await?;
        }
        if !batch.acks.is_empty() {
            let actors: Vec<String> = batch.acks.iter().map(|a| a.actor_id.to_string()).collect();
            let ids: Vec<&str> = batch
                .acks
                .iter()
                .map(|a| a.client_msg_id.as_str())
                .collect();
            let acks: Vec<&str> = batch.acks.iter().map(|a| a.ack.as_str()).collect();
            // A key another node already saved hits the primary key: `Duplicate`.
            sqlx::query(
                "INSERT INTO submissions (dialogue_id, actor_id, client_msg_id, ack)
                 SELECT $1::uuid, a::uuid, k, j FROM UNNEST($2::text[], $3::text[], $4::text[]) AS t(a, k, j)",
            )
            .bind(&key)
            .bind(&actors)
            .bind(&ids)
            .bind(&acks)
            .execute(&mut *tx)
            .await
            .map_err(append_error)?;
        }
        tx.commit().await?;
        Ok(votes_version as u64)
    }

    async fn events_after(
        &self,
        dialogue: DialogueId,
        seq: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, body FROM events WHERE dialogue_id = $1::uuid AND seq > $2 ORDER BY seq",
        )
        .bind(dialogue.to_string())
        .bind(seq as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(event_from_row).collect())
    }

    async fn heads(&self, dialogues: &[DialogueId]) -> Result<Vec<(DialogueId, Head)>, StoreError> {
        if dialogues.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = dialogues.iter().map(Uuid::to_string).collect();
        let rows = sqlx::query(
            "SELECT id::text AS id, head_seq, votes_version, epoch FROM dialogues WHERE id = ANY($1::text[]::uuid[])",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_uuid(r.get("id"))?,
                    Head {
                        seq: r.get::<i64, _>("head_seq") as u64,
                        votes_version: r.get::<i64, _>("votes_version") as u64,
                        epoch: r.get::<i64, _>("epoch") as u64,
                    },
                ))
            })
            .collect()
    }

    async fn saved_acks(
        &self,
        dialogue: DialogueId,
        keys: &[(Uuid, String)],
    ) -> Result<Vec<SavedAck>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let actors: Vec<String> = keys.iter().map(|(a, _)| a.to_string()).collect();
        let ids: Vec<&str> = keys.iter().map(|(_, k)| k.as_str()).collect();
        let rows = sqlx::query(
            "SELECT s.actor_id::text AS actor_id, s.client_msg_id, s.ack FROM submissions s
             JOIN UNNEST($2::text[], $3::text[]) AS t(a, k) ON s.actor_id = t.a::uuid AND s.client_msg_id = t.k
             WHERE s.dialogue_id = $1::uuid",
        )
        .bind(dialogue.to_string())
        .bind(&actors)
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SavedAck {
                    actor_id: parse_uuid(r.get("actor_id"))?,
                    client_msg_id: r.get("client_msg_id"),
                    ack: r.get("ack"),
                })
            })
            .collect()
    }

    async fn votes(&self, dialogue: DialogueId) -> Result<Vec<(u64, Uuid)>, StoreError> {
        let rows = sqlx::query(SELECT_VOTES)
            .bind(dialogue.to_string())
            .fetch_all(&self.pool)
            .await?;
        votes_from_rows(&rows)
    }

    async fn poll_answers(
        &self,
        dialogue: DialogueId,
    ) -> Result<Vec<(u64, Uuid, Vec<u16>)>, StoreError> {
        let rows = sqlx::query(SELECT_ANSWERS)
            .bind(dialogue.to_string())
            .fetch_all(&self.pool)
            .await?;
        answers_from_rows(&rows)
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
        let mut tx = self.pool.begin().await?;
        insert_audit(&mut tx, dialogue, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn scrub(&self, dialogue: DialogueId, scrub: &Scrub) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        scrub_in(&mut tx, &dialogue.to_string(), scrub).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn purge_audit_before(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE audit_horizon SET purge_before = GREATEST(purge_before, $1) WHERE only_row = 1",
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
        self.pool.close().await;
    }

    async fn dialogue_ids(&self) -> Result<Vec<DialogueId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id::text FROM dialogues")
            .fetch_all(&self.pool)
            .await?;
        ids.iter().map(|s| parse_uuid(s)).collect()
    }

    async fn audit_entries(&self, dialogue: DialogueId) -> Result<Vec<AuditRow>, StoreError> {
        sqlx::query(
            "SELECT id, at, actor_role, actor_id::text AS actor_id, action, target, event_seq, detail
             FROM audit_log WHERE dialogue_id = $1::uuid ORDER BY id",
        )
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
                    actor_id: parse_uuid(r.get("actor_id"))?,
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
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    key: &str,
    scrub: &Scrub,
) -> Result<(), StoreError> {
    // The row lock first: appends on other nodes wait for the rewrite.
    sqlx::query("UPDATE dialogues SET epoch = epoch + 1, votes_version = votes_version + 1 WHERE id = $1::uuid")
        .bind(key)
        .execute(&mut **tx)
        .await?;
    for e in &scrub.rewrites {
        sqlx::query(
            "UPDATE events SET actor = $1, body = $2 WHERE dialogue_id = $3::uuid AND seq = $4",
        )
        .bind(&e.actor)
        .bind(&e.body)
        .bind(key)
        .bind(e.seq as i64)
        .execute(&mut **tx)
        .await?;
    }
    for (old, new) in &scrub.pseudonyms {
        for sql in [
            "UPDATE votes SET participant_id = $1::uuid WHERE dialogue_id = $2::uuid AND participant_id = $3::uuid",
            "UPDATE poll_answers SET participant_id = $1::uuid WHERE dialogue_id = $2::uuid AND participant_id = $3::uuid",
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
        sqlx::query("DELETE FROM submissions WHERE dialogue_id = $1::uuid AND actor_id = $2::uuid")
            .bind(key)
            .bind(who.to_string())
            .execute(&mut **tx)
            .await?;
    }
    if scrub.delete_all_submissions {
        sqlx::query("DELETE FROM submissions WHERE dialogue_id = $1::uuid")
            .bind(key)
            .execute(&mut **tx)
            .await?;
    }
    for poll in &scrub.delete_answers_of_polls {
        sqlx::query("DELETE FROM poll_answers WHERE dialogue_id = $1::uuid AND poll_id = $2")
            .bind(key)
            .bind(*poll as i64)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn insert_audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    dialogue: DialogueId,
    e: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (dialogue_id, at, actor_role, actor_id, action, target, event_seq, detail)
         VALUES ($1::uuid, $2, $3, $4::uuid, $5, $6, $7, $8)",
    )
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

async fn insert_events(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    dialogue: DialogueId,
    events: &[StoredEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i64> = events.iter().map(|e| e.seq as i64).collect();
    let ats: Vec<i64> = events.iter().map(|e| e.at).collect();
    let actors: Vec<&str> = events.iter().map(|e| e.actor.as_str()).collect();
    let bodies: Vec<&str> = events.iter().map(|e| e.body.as_str()).collect();
    // One statement for the whole batch: a vote storm's batches stay one round trip.
    sqlx::query(
        "INSERT INTO events (dialogue_id, seq, at, actor, body)
         SELECT $1::uuid, s, a, w, b FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS t(s, a, w, b)",
    )
    .bind(dialogue.to_string())
    .bind(&seqs)
    .bind(&ats)
    .bind(&actors)
    .bind(&bodies)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
