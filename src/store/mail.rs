//! The mail outbox: who asked to hear what came of their question, and the
//! notes waiting to be sent. The address lives in `mail_subscriptions` only, and
//! leaves it with the subscription (last note sent, unsubscribed, erased,
//! expired); no event, snapshot, export or staff view reads these tables.

use super::StoreError;
use super::mail_statements::*;
use super::sql::{Dialect, SqlStore, parse_uuid};
use super::statements::Flavor;
use crate::domain::DialogueId;
use async_trait::async_trait;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

/// An e-mail address a participant left for notes on one question. It has no
/// `Display`, and its `Debug` prints the length only: the one way out is
/// `expose`, called where it is stored or handed to the SMTP client.
#[derive(Clone, PartialEq, Eq)]
pub struct MailAddress(String);

impl MailAddress {
    pub fn new(address: String) -> MailAddress {
        MailAddress(address)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for MailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MailAddress(len={})", self.0.len())
    }
}

/// A subscription as the scan for changes reads it (without the address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub dialogue: DialogueId,
    pub question: u64,
    pub receipt: String,
}

/// A note claimed for sending.
#[derive(Debug, Clone)]
pub struct ClaimedNote {
    pub id: String,
    /// What changed: `fate`, `follow_up_done` or `action:{action}:{line}`.
    pub change: String,
    /// The question's fate when the note was queued (`FateWire`'s code), or
    /// the action's new status.
    pub fate: String,
    pub title: String,
    /// Nothing can follow this note: the subscription ends once it is sent.
    pub last: bool,
    pub attempts: u32,
    pub receipt: String,
    pub address: MailAddress,
}

/// A note to queue for a subscription; one per (subscription, change).
#[derive(Debug, Clone)]
pub struct NewNote<'a> {
    pub subscription: &'a str,
    pub change: &'a str,
    pub fate: &'a str,
    pub title: &'a str,
    pub last: bool,
    pub now: i64,
}

#[async_trait]
pub trait MailStore: Send + Sync {
    /// Keeps `address`, unconfirmed, for notes on the question, and queues
    /// its confirmation message (on `title`'s dialogue). Another address for
    /// the question replaces the earlier one; the same address again changes
    /// nothing. Whether a confirmation was queued.
    async fn mail_subscribe(
        &self,
        dialogue: DialogueId,
        question: u64,
        receipt: &str,
        address: &MailAddress,
        title: &str,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Every confirmed subscription, oldest first.
    async fn mail_subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;
    /// How many subscriptions there are.
    async fn mail_subscription_count(&self) -> Result<u64, StoreError>;
    /// Queues a note unless this change of this subscription was queued before;
    /// whether it was new.
    async fn mail_enqueue(&self, note: &NewNote<'_>) -> Result<bool, StoreError>;
    /// Leases up to `limit` due notes to `owner` until `lease_until`.
    async fn mail_claim(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedNote>, StoreError>;
    /// Records the hashes of the tokens the message is about to carry: the
    /// unsubscribe token, and in a confirmation the confirm token.
    async fn mail_set_tokens(
        &self,
        note: &str,
        owner: &str,
        unsubscribe_hash: &str,
        confirm_hash: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Confirms the subscription whose confirmation carried this token, and
    /// spends the token; whether there was one still unconfirmed.
    async fn mail_confirm(&self, token_hash: &str, now: i64) -> Result<bool, StoreError>;
    /// Deletes the addresses left before `before` and never confirmed, wiped
    /// from the files; how many went.
    async fn mail_forget_unconfirmed(&self, before: i64) -> Result<u64, StoreError>;
    /// The SMTP server took the note. With `last`, the subscription (and its
    /// address) goes too.
    async fn mail_sent(&self, note: &str, now: i64, last: bool) -> Result<(), StoreError>;
    /// The note could not be sent; it is due again at `next_attempt`.
    async fn mail_failed(
        &self,
        note: &str,
        owner: &str,
        next_attempt: i64,
    ) -> Result<(), StoreError>;
    /// Ends the subscription whose note carried this token; whether there was one.
    async fn mail_unsubscribe_token(&self, token_hash: &str) -> Result<bool, StoreError>;
    /// Ends the subscriptions of these questions (unsubscribing by receipt,
    /// erasure), and wipes them from the files; how many went.
    async fn mail_forget(&self, dialogue: DialogueId, questions: &[u64])
    -> Result<u64, StoreError>;
    /// Ends every subscription of the dialogue (retention), wiped from the files.
    async fn mail_forget_dialogue(&self, dialogue: DialogueId) -> Result<u64, StoreError>;
}

#[async_trait]
impl<D> MailStore for SqlStore<D>
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
    async fn mail_subscribe(
        &self,
        dialogue: DialogueId,
        question: u64,
        receipt: &str,
        address: &MailAddress,
        title: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.write.begin().await?;
        let replaced = Self::q(&DROP_OTHER_ADDRESS)
            .bind(dialogue.to_string())
            .bind(question as i64)
            .bind(address.expose().to_string())
            .execute(&mut *tx)
            .await?;
        let added = Self::q(&SUBSCRIBE)
            .bind(id.clone())
            .bind(dialogue.to_string())
            .bind(question as i64)
            .bind(receipt.to_string())
            .bind(address.expose().to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let added = D::rows_affected(&added) > 0;
        if added {
            let confirmation = NewNote {
                subscription: &id,
                change: crate::mail::notes::CONFIRM,
                fate: "",
                title,
                last: false,
                now,
            };
            Self::enqueue(&mut *tx, &confirmation).await?;
        }
        tx.commit().await?;
        if D::rows_affected(&replaced) > 0 {
            self.wipe_mail().await?;
        }
        Ok(added)
    }

    async fn mail_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        Self::q(&SUBSCRIPTIONS)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(Subscription {
                    id: r.get("id"),
                    dialogue: parse_uuid(&r.get::<String, _>("dialogue_id"))?,
                    question: r.get::<i64, _>("question_id") as u64,
                    receipt: r.get("receipt"),
                })
            })
            .collect()
    }

    async fn mail_subscription_count(&self) -> Result<u64, StoreError> {
        let row = Self::q(&COUNT_SUBSCRIPTIONS).fetch_one(&self.read).await?;
        Ok(row.get::<i64, _>("n") as u64)
    }

    async fn mail_enqueue(&self, note: &NewNote<'_>) -> Result<bool, StoreError> {
        let mut conn = self.write.acquire().await?;
        Self::enqueue(&mut *conn, note).await
    }

    async fn mail_claim(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedNote>, StoreError> {
        Self::q(&CLAIM)
            .bind(owner.to_string())
            .bind(lease_until)
            .bind(now)
            .bind(now)
            .bind(limit)
            .execute(&self.write)
            .await?;
        let rows = Self::q(&CLAIMED)
            .bind(owner.to_string())
            .fetch_all(&self.write)
            .await?;
        Ok(rows
            .iter()
            .map(|r| ClaimedNote {
                id: r.get("id"),
                change: r.get("change"),
                fate: r.get("fate"),
                title: r.get("title"),
                last: r.get::<i64, _>("is_last") != 0,
                attempts: r.get::<i64, _>("attempts").max(0) as u32,
                receipt: r.get("receipt"),
                address: MailAddress(r.get("address")),
            })
            .collect())
    }

    async fn mail_set_tokens(
        &self,
        note: &str,
        owner: &str,
        unsubscribe_hash: &str,
        confirm_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        Self::q(&SET_TOKENS)
            .bind(unsubscribe_hash.to_string())
            .bind(confirm_hash.map(str::to_string))
            .bind(note.to_string())
            .bind(owner.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn mail_confirm(&self, token_hash: &str, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        let done = Self::q(&CONFIRM)
            .bind(now)
            .bind(token_hash.to_string())
            .execute(&mut *tx)
            .await?;
        Self::q(&SPEND_CONFIRM)
            .bind(token_hash.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(D::rows_affected(&done) > 0)
    }

    async fn mail_forget_unconfirmed(&self, before: i64) -> Result<u64, StoreError> {
        let done = Self::q(&FORGET_UNCONFIRMED)
            .bind(before)
            .execute(&self.write)
            .await?;
        let gone = D::rows_affected(&done);
        if gone > 0 {
            self.wipe_mail().await?;
        }
        Ok(gone)
    }

    async fn mail_sent(&self, note: &str, now: i64, last: bool) -> Result<(), StoreError> {
        if last {
            Self::q(&FORGET_SENT)
                .bind(note.to_string())
                .execute(&self.write)
                .await?;
            self.wipe_mail().await
        } else {
            Self::q(&MARK_SENT)
                .bind(now)
                .bind(note.to_string())
                .execute(&self.write)
                .await?;
            Ok(())
        }
    }

    async fn mail_failed(
        &self,
        note: &str,
        owner: &str,
        next_attempt: i64,
    ) -> Result<(), StoreError> {
        Self::q(&MARK_FAILED)
            .bind(next_attempt)
            .bind(note.to_string())
            .bind(owner.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn mail_unsubscribe_token(&self, token_hash: &str) -> Result<bool, StoreError> {
        let done = Self::q(&UNSUBSCRIBE_TOKEN)
            .bind(token_hash.to_string())
            .execute(&self.write)
            .await?;
        let gone = D::rows_affected(&done) > 0;
        if gone {
            self.wipe_mail().await?;
        }
        Ok(gone)
    }

    async fn mail_forget(
        &self,
        dialogue: DialogueId,
        questions: &[u64],
    ) -> Result<u64, StoreError> {
        let mut gone = 0;
        for q in questions {
            let done = Self::q(&UNSUBSCRIBE_QUESTION)
                .bind(dialogue.to_string())
                .bind(*q as i64)
                .execute(&self.write)
                .await?;
            gone += D::rows_affected(&done);
        }
        if gone > 0 {
            self.wipe_mail().await?;
        }
        Ok(gone)
    }

    async fn mail_forget_dialogue(&self, dialogue: DialogueId) -> Result<u64, StoreError> {
        let done = Self::q(&UNSUBSCRIBE_DIALOGUE)
            .bind(dialogue.to_string())
            .execute(&self.write)
            .await?;
        let gone = D::rows_affected(&done);
        if gone > 0 {
            self.wipe_mail().await?;
        }
        Ok(gone)
    }
}

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
    /// Queues one note, on the caller's connection or transaction.
    async fn enqueue(conn: &mut D::Connection, note: &NewNote<'_>) -> Result<bool, StoreError> {
        let done = Self::q(&ENQUEUE)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(note.subscription.to_string())
            .bind(note.change.to_string())
            .bind(note.fate.to_string())
            .bind(note.title.to_string())
            .bind(i64::from(note.last))
            .bind(note.now)
            .bind(note.now)
            .execute(conn)
            .await?;
        Ok(D::rows_affected(&done) > 0)
    }
}

impl<D> SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
{
    /// A deleted address must leave the files too. SQLite zeroes deleted
    /// content (`secure_delete`) and the log is emptied as after a scrub;
    /// PostgreSQL rewrites the two tables (a plain VACUUM leaves the bytes).
    async fn wipe_mail(&self) -> Result<(), StoreError> {
        match D::FLAVOR {
            Flavor::Sqlite => D::after_scrub(&self.write).await,
            Flavor::Postgres => {
                sqlx::query::<D>("VACUUM FULL mail_subscriptions, mail_outbox")
                    .execute(&self.write)
                    .await?;
                Ok(())
            }
        }
    }
}
