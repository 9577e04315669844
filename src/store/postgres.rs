//! The shared store of a cluster: PostgreSQL, one database for every node.
//!
//! PostgreSQL hands out nothing in commit order by itself, so `seq` comes from the
//! dialogue's row: an append updates `head_seq` only where it still is the head the
//! batch was decided on. The UPDATE holds the row lock until commit, so a second
//! writer waits, then finds the head moved and gets `Conflict`: seq order is commit
//! order, and no seq is ever skipped.
//!
//! The transactions are the SQL core's (`sql.rs`); here are how the pool is
//! opened and PostgreSQL's batch statements: one statement per batch, its rows
//! bound as arrays and unrolled with `UNNEST`, so a batch stays one round trip.

use super::sql::{Dialect, SqlStore, parse_uuid};
use super::statements::Flavor;
use super::{
    Batch, Head, SavedAck, StoreError, append_error, choices_to_text, last_answer_wins,
    last_vote_wins,
};
use crate::domain::{DialogueId, VoteChange};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgQueryResult};
use sqlx::{PgConnection, PgPool, Postgres, Row};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// The shared store.
pub type PostgresStore = SqlStore<Postgres>;

/// How long a write waits for a connection before it is answered `unavailable`
/// (retryable): while the database restarts, clients hear so quickly.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

impl SqlStore<Postgres> {
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
        Ok(SqlStore::new(pool.clone(), pool, false))
    }
}

#[async_trait]
impl Dialect for Postgres {
    const FLAVOR: Flavor = Flavor::Postgres;

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    /// An UPDATE or DELETE leaves the old row version in the table's pages, and
    /// a plain VACUUM frees its space without overwriting it (measured: the text
    /// stays readable in the page). VACUUM FULL writes the tables anew and
    /// drops the old files. It holds each table's exclusive lock while it runs,
    /// so appends wait (erasures and retention are rare; docs/operations.md).
    async fn after_scrub(pool: &PgPool) -> Result<(), StoreError> {
        sqlx::query("VACUUM FULL events, votes, poll_answers, submissions, walk_photos")
            .execute(pool)
            .await?;
        Ok(())
    }

    /// One query for every dialogue a node serves.
    async fn heads(
        pool: &PgPool,
        dialogues: &[DialogueId],
    ) -> Result<Vec<(DialogueId, Head)>, StoreError> {
        let ids: Vec<String> = dialogues.iter().map(Uuid::to_string).collect();
        let rows = sqlx::query(
            "SELECT id::text AS id, head_seq, votes_version, epoch FROM dialogues WHERE id = ANY($1::text[]::uuid[])",
        )
        .bind(&ids)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|r| {
                let head = Head {
                    seq: r.get::<i64, _>("head_seq") as u64,
                    votes_version: r.get::<i64, _>("votes_version") as u64,
                    epoch: r.get::<i64, _>("epoch") as u64,
                };
                Ok((parse_uuid(r.get("id"))?, head))
            })
            .collect()
    }

    async fn saved_acks(
        pool: &PgPool,
        dialogue: &str,
        keys: &[(Uuid, String)],
    ) -> Result<Vec<SavedAck>, StoreError> {
        let actors: Vec<String> = keys.iter().map(|(a, _)| a.to_string()).collect();
        let ids: Vec<&str> = keys.iter().map(|(_, k)| k.as_str()).collect();
        let rows = sqlx::query(
            "SELECT s.actor_id::text AS actor_id, s.client_msg_id, s.ack FROM submissions s
             JOIN UNNEST($2::text[], $3::text[]) AS t(a, k) ON s.actor_id = t.a::uuid AND s.client_msg_id = t.k
             WHERE s.dialogue_id = $1::uuid",
        )
        .bind(dialogue)
        .bind(&actors)
        .bind(&ids)
        .fetch_all(pool)
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

    /// Each kind of row in one statement, its rows bound as arrays: a batch is a
    /// few round trips, however many votes it holds.
    async fn write_batch(
        conn: &mut PgConnection,
        dialogue: &str,
        batch: Batch<'_>,
    ) -> Result<(), StoreError> {
        let events = batch.events;
        if !events.is_empty() {
            let seqs: Vec<i64> = events.iter().map(|e| e.seq as i64).collect();
            let ats: Vec<i64> = events.iter().map(|e| e.at).collect();
            let actors: Vec<&str> = events.iter().map(|e| e.actor.as_str()).collect();
            let bodies: Vec<&str> = events.iter().map(|e| e.body.as_str()).collect();
            sqlx::query(
                "INSERT INTO events (dialogue_id, seq, at, actor, body)
                 SELECT $1::uuid, s, a, w, b FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS t(s, a, w, b)",
            )
            .bind(dialogue)
            .bind(&seqs)
            .bind(&ats)
            .bind(&actors)
            .bind(&bodies)
            .execute(&mut *conn)
            .await?;
        }
        let votes = last_vote_wins(batch.votes);
        let (on, off): (Vec<VoteChange>, Vec<VoteChange>) = votes.iter().partition(|v| v.on);
        for (changes, sql) in [
            (
                on,
                "INSERT INTO votes (dialogue_id, question_id, participant_id, burst)
                 SELECT $1::uuid, q, p::uuid, b FROM UNNEST($2::bigint[], $3::text[], $4::bool[]) AS t(q, p, b)
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
            let bursts: Vec<bool> = changes.iter().map(|v| v.burst).collect();
            // The delete takes no fourth parameter: PostgreSQL refuses one it does not use.
            let q = sqlx::query(sql)
                .bind(dialogue)
                .bind(&questions)
                .bind(&people);
            let q = if changes[0].on { q.bind(&bursts) } else { q };
            q.execute(&mut *conn).await?;
        }
        let (set, withdrawn): (Vec<_>, Vec<_>) = last_answer_wins(batch.answers)
            .into_iter()
            .partition(|a| !a.choices.is_empty());
        if !set.is_empty() {
            let polls: Vec<i64> = set.iter().map(|a| a.poll.0 as i64).collect();
            let people: Vec<String> = set.iter().map(|a| a.participant.to_string()).collect();
            let choices: Vec<String> = set.iter().map(|a| choices_to_text(&a.choices)).collect();
            let bursts: Vec<bool> = set.iter().map(|a| a.burst).collect();
            sqlx::query(
                "INSERT INTO poll_answers (dialogue_id, poll_id, participant_id, choices, burst)
                 SELECT $1::uuid, q, p::uuid, c, b
                 FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::bool[]) AS t(q, p, c, b)
                 ON CONFLICT (dialogue_id, poll_id, participant_id)
                 DO UPDATE SET choices = EXCLUDED.choices, burst = EXCLUDED.burst",
            )
            .bind(dialogue)
            .bind(&polls)
            .bind(&people)
            .bind(&choices)
            .bind(&bursts)
            .execute(&mut *conn)
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
            .bind(dialogue)
            .bind(&polls)
            .bind(&people)
            .execute(&mut *conn)
            .await?;
        }
        let acks = batch.acks;
        if !acks.is_empty() {
            let actors: Vec<String> = acks.iter().map(|a| a.actor_id.to_string()).collect();
            let ids: Vec<&str> = acks.iter().map(|a| a.client_msg_id.as_str()).collect();
            let texts: Vec<&str> = acks.iter().map(|a| a.ack.as_str()).collect();
            // A key another node already saved hits the primary key: `Duplicate`.
            sqlx::query(
                "INSERT INTO submissions (dialogue_id, actor_id, client_msg_id, ack)
                 SELECT $1::uuid, a::uuid, k, j FROM UNNEST($2::text[], $3::text[], $4::text[]) AS t(a, k, j)",
            )
            .bind(dialogue)
            .bind(&actors)
            .bind(&ids)
            .bind(&texts)
            .execute(&mut *conn)
            .await
            .map_err(append_error)?;
        }
        Ok(())
    }
}
