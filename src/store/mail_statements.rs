//! The statements of the mail outbox (`mail.rs`), in both dialects.

use super::statements::Sql;

/// A subscription starts unconfirmed. The same address again for the same
/// question changes nothing (`DROP_OTHER_ADDRESS` has gone first, so a
/// conflict is that address).
pub(super) const SUBSCRIBE: Sql = Sql {
    sqlite:
        "INSERT INTO mail_subscriptions (id, dialogue_id, question_id, receipt, address, created)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (dialogue_id, question_id) DO NOTHING",
    postgres:
        "INSERT INTO mail_subscriptions (id, dialogue_id, question_id, receipt, address, created)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (dialogue_id, question_id) DO NOTHING",
};
/// Another address for the question replaces the first: the first goes with
/// its notes, and the new one is confirmed afresh.
pub(super) const DROP_OTHER_ADDRESS: Sql = Sql {
    sqlite: "DELETE FROM mail_subscriptions WHERE dialogue_id = ? AND question_id = ? AND address <> ?",
    postgres: "DELETE FROM mail_subscriptions WHERE dialogue_id = $1 AND question_id = $2 AND address <> $3",
};
/// The confirm token's subscription is confirmed, once: the token is emptied
/// by `SPEND_CONFIRM` in the same transaction.
pub(super) const CONFIRM: Sql = Sql {
    sqlite: "UPDATE mail_subscriptions SET confirmed = ? WHERE confirmed IS NULL AND id IN
             (SELECT subscription_id FROM mail_outbox WHERE confirm_hash = ?)",
    postgres: "UPDATE mail_subscriptions SET confirmed = $1 WHERE confirmed IS NULL AND id IN
               (SELECT subscription_id FROM mail_outbox WHERE confirm_hash = $2)",
};
pub(super) const SPEND_CONFIRM: Sql = Sql {
    sqlite: "UPDATE mail_outbox SET confirm_hash = NULL WHERE confirm_hash = ?",
    postgres: "UPDATE mail_outbox SET confirm_hash = NULL WHERE confirm_hash = $1",
};
pub(super) const FORGET_UNCONFIRMED: Sql = Sql {
    sqlite: "DELETE FROM mail_subscriptions WHERE confirmed IS NULL AND created < ?",
    postgres: "DELETE FROM mail_subscriptions WHERE confirmed IS NULL AND created < $1",
};
pub(super) const UNSUBSCRIBE_QUESTION: Sql = Sql {
    sqlite: "DELETE FROM mail_subscriptions WHERE dialogue_id = ? AND question_id = ?",
    postgres: "DELETE FROM mail_subscriptions WHERE dialogue_id = $1 AND question_id = $2",
};
pub(super) const UNSUBSCRIBE_DIALOGUE: Sql = Sql {
    sqlite: "DELETE FROM mail_subscriptions WHERE dialogue_id = ?",
    postgres: "DELETE FROM mail_subscriptions WHERE dialogue_id = $1",
};
pub(super) const UNSUBSCRIBE_TOKEN: Sql = Sql {
    sqlite: "DELETE FROM mail_subscriptions WHERE id IN
             (SELECT subscription_id FROM mail_outbox WHERE unsubscribe_hash = ?)",
    postgres: "DELETE FROM mail_subscriptions WHERE id IN
               (SELECT subscription_id FROM mail_outbox WHERE unsubscribe_hash = $1)",
};
/// Confirmed subscriptions only: an unconfirmed address gets no note.
pub(super) const SUBSCRIPTIONS: Sql = Sql {
    sqlite: "SELECT id, dialogue_id, question_id, receipt FROM mail_subscriptions
             WHERE confirmed IS NOT NULL ORDER BY created",
    postgres: "SELECT id, dialogue_id, question_id, receipt FROM mail_subscriptions
               WHERE confirmed IS NOT NULL ORDER BY created",
};
pub(super) const ENQUEUE: Sql = Sql {
    sqlite:
        "INSERT INTO mail_outbox (id, subscription_id, change, fate, title, is_last, created, next_attempt)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subscription_id, change) DO NOTHING",
    postgres:
        "INSERT INTO mail_outbox (id, subscription_id, change, fate, title, is_last, created, next_attempt)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (subscription_id, change) DO NOTHING",
};
/// Claims due notes for one sender: PostgreSQL skips rows another node is
/// claiming at this moment; SQLite has one writer, so the claim is whole.
pub(super) const CLAIM: Sql = Sql {
    sqlite: "UPDATE mail_outbox SET lease_owner = ?, lease_until = ?
             WHERE id IN (SELECT id FROM mail_outbox
                          WHERE sent IS NULL AND next_attempt <= ? AND lease_until <= ?
                          ORDER BY created LIMIT ?)",
    postgres: "UPDATE mail_outbox SET lease_owner = $1, lease_until = $2
               WHERE id IN (SELECT id FROM mail_outbox
                            WHERE sent IS NULL AND next_attempt <= $3 AND lease_until <= $4
                            ORDER BY created LIMIT $5 FOR UPDATE SKIP LOCKED)",
};
pub(super) const CLAIMED: Sql = Sql {
    sqlite: "SELECT o.id, o.change, o.fate, o.title, o.is_last, o.attempts, s.receipt, s.address
             FROM mail_outbox o JOIN mail_subscriptions s ON s.id = o.subscription_id
             WHERE o.lease_owner = ? AND o.sent IS NULL ORDER BY o.created",
    postgres: "SELECT o.id, o.change, o.fate, o.title, o.is_last, o.attempts, s.receipt, s.address
               FROM mail_outbox o JOIN mail_subscriptions s ON s.id = o.subscription_id
               WHERE o.lease_owner = $1 AND o.sent IS NULL ORDER BY o.created",
};
pub(super) const SET_TOKENS: Sql = Sql {
    sqlite: "UPDATE mail_outbox SET unsubscribe_hash = ?, confirm_hash = ? WHERE id = ? AND lease_owner = ?",
    postgres: "UPDATE mail_outbox SET unsubscribe_hash = $1, confirm_hash = $2 WHERE id = $3 AND lease_owner = $4",
};
pub(super) const MARK_SENT: Sql = Sql {
    sqlite: "UPDATE mail_outbox SET sent = ?, lease_owner = NULL WHERE id = ?",
    postgres: "UPDATE mail_outbox SET sent = $1, lease_owner = NULL WHERE id = $2",
};
/// The subscription whose last note this was: its address is needed no more.
pub(super) const FORGET_SENT: Sql = Sql {
    sqlite: "DELETE FROM mail_subscriptions WHERE id = (SELECT subscription_id FROM mail_outbox WHERE id = ?)",
    postgres: "DELETE FROM mail_subscriptions WHERE id = (SELECT subscription_id FROM mail_outbox WHERE id = $1)",
};
pub(super) const MARK_FAILED: Sql = Sql {
    sqlite: "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt = ?, lease_owner = NULL, lease_until = 0
             WHERE id = ? AND lease_owner = ?",
    postgres: "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt = $1, lease_owner = NULL, lease_until = 0
               WHERE id = $2 AND lease_owner = $3",
};
pub(super) const COUNT_SUBSCRIPTIONS: Sql = Sql {
    sqlite: "SELECT COUNT(*) AS n FROM mail_subscriptions",
    postgres: "SELECT COUNT(*) AS n FROM mail_subscriptions",
};
