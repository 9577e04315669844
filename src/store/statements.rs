//! Every statement of the SQL core, in both dialects side by side, so a change to
//! one is seen beside the other. Both take their parameters in the same order.
//! PostgreSQL keeps ids as `uuid` (cast from and to text here); SQLite as text.
//! The batch statements of a group commit, which differ in shape and not only in
//! text, are in each backend's file.

/// Which dialect a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Sqlite,
    Postgres,
}

/// One statement in each dialect.
pub struct Sql {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

impl Sql {
    pub fn text(&self, flavor: Flavor) -> &'static str {
        match flavor {
            Flavor::Sqlite => self.sqlite,
            Flavor::Postgres => self.postgres,
        }
    }
}

/// Run first in a read transaction, so that all its reads see one snapshot.
/// SQLite needs none: its read transaction is one snapshot from its first read.
pub const READ_SNAPSHOT: Sql = Sql {
    sqlite: "",
    postgres: "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY",
};

/// The organizer's earlier dialogue under the same idempotency key.
pub const FIND_CREATED: Sql = Sql {
    sqlite: "SELECT id FROM dialogues WHERE created_by = ? AND create_key = ?",
    postgres: "SELECT id::text AS id FROM dialogues WHERE created_by = $1::uuid AND create_key = $2",
};

/// Covers both unique keys (join code, organizer's key): two nodes creating at
/// once see no error, only who won (no row back).
pub const INSERT_DIALOGUE: Sql = Sql {
    sqlite: "INSERT INTO dialogues (id, code, epoch, head_seq, created_at, created_by, create_key, district)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING head_seq",
    postgres: "INSERT INTO dialogues (id, code, epoch, head_seq, created_at, created_by, create_key, district)
               VALUES ($1::uuid, $2, $3, $4, $5, $6::uuid, $7, $8) ON CONFLICT DO NOTHING RETURNING head_seq",
};

pub const SELECT_DIALOGUE: Sql = Sql {
    sqlite: "SELECT code, epoch, votes_version, peak_in_room, peak_remote FROM dialogues WHERE id = ?",
    postgres: "SELECT code, epoch, votes_version, peak_in_room, peak_remote FROM dialogues WHERE id = $1::uuid",
};

/// Raises the kept attendance peak; never lowers it.
pub const KEEP_PEAK: Sql = Sql {
    sqlite: "UPDATE dialogues SET peak_in_room = MAX(peak_in_room, ?), peak_remote = MAX(peak_remote, ?)
             WHERE id = ?",
    postgres: "UPDATE dialogues SET peak_in_room = GREATEST(peak_in_room, $1), peak_remote = GREATEST(peak_remote, $2)
               WHERE id = $3::uuid",
};

pub const EVENTS_AFTER: Sql = Sql {
    sqlite: "SELECT seq, at, actor, body FROM events WHERE dialogue_id = ? AND seq > ? ORDER BY seq",
    postgres: "SELECT seq, at, actor, body FROM events WHERE dialogue_id = $1::uuid AND seq > $2 ORDER BY seq",
};

/// The burst flag reads as an integer on both (0 or 1): a boolean in PostgreSQL.
pub const SELECT_VOTES: Sql = Sql {
    sqlite: "SELECT question_id, participant_id, burst FROM votes WHERE dialogue_id = ?",
    postgres: "SELECT question_id, participant_id::text AS participant_id, burst::int::bigint AS burst FROM votes WHERE dialogue_id = $1::uuid",
};

pub const SELECT_ANSWERS: Sql = Sql {
    sqlite: "SELECT poll_id, participant_id, choices, burst FROM poll_answers WHERE dialogue_id = ?",
    postgres: "SELECT poll_id, participant_id::text AS participant_id, choices, burst::int::bigint AS burst FROM poll_answers WHERE dialogue_id = $1::uuid",
};

pub const SELECT_ACKS: Sql = Sql {
    sqlite: "SELECT actor_id, client_msg_id, ack FROM submissions WHERE dialogue_id = ?",
    postgres: "SELECT actor_id::text AS actor_id, client_msg_id, ack FROM submissions WHERE dialogue_id = $1::uuid",
};

pub const FIND_CODE: Sql = Sql {
    sqlite: "SELECT id FROM dialogues WHERE code = ?",
    postgres: "SELECT id::text AS id FROM dialogues WHERE code = $1",
};

pub const LIST_DIALOGUES: Sql = Sql {
    sqlite: "SELECT id FROM dialogues WHERE created_by = ? ORDER BY created_at DESC",
    postgres: "SELECT id::text AS id FROM dialogues WHERE created_by = $1::uuid ORDER BY created_at DESC",
};

pub const ALL_DIALOGUES: Sql = Sql {
    sqlite: "SELECT id FROM dialogues",
    postgres: "SELECT id::text AS id FROM dialogues",
};

/// The compare-and-set on the head. On PostgreSQL the row lock it takes is held
/// to the commit: a concurrent writer waits, re-reads the row, finds the head
/// moved and updates nothing. On SQLite, writing first takes the write lock at once.
pub const MOVE_HEAD: Sql = Sql {
    sqlite: "UPDATE dialogues SET head_seq = ?, votes_version = votes_version + ?
             WHERE id = ? AND head_seq = ? RETURNING votes_version",
    postgres: "UPDATE dialogues SET head_seq = $1, votes_version = votes_version + $2
               WHERE id = $3::uuid AND head_seq = $4 RETURNING votes_version",
};

pub const SELECT_HEAD: Sql = Sql {
    sqlite: "SELECT head_seq FROM dialogues WHERE id = ?",
    postgres: "SELECT head_seq FROM dialogues WHERE id = $1::uuid",
};

pub const INSERT_AUDIT: Sql = Sql {
    sqlite: "INSERT INTO audit_log (dialogue_id, at, actor_role, actor_id, action, target, event_seq, detail)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    postgres: "INSERT INTO audit_log (dialogue_id, at, actor_role, actor_id, action, target, event_seq, detail)
               VALUES ($1::uuid, $2, $3, $4::uuid, $5, $6, $7, $8)",
};

pub const SELECT_AUDIT: Sql = Sql {
    sqlite: "SELECT id, at, actor_role, actor_id, action, target, event_seq, detail
             FROM audit_log WHERE dialogue_id = ? ORDER BY id",
    postgres:
        "SELECT id, at, actor_role, actor_id::text AS actor_id, action, target, event_seq, detail
               FROM audit_log WHERE dialogue_id = $1::uuid ORDER BY id",
};

/// The audit horizon only moves forward.
pub const RAISE_AUDIT_HORIZON: Sql = Sql {
    sqlite: "UPDATE audit_horizon SET purge_before = MAX(purge_before, ?) WHERE only_row = 1",
    postgres: "UPDATE audit_horizon SET purge_before = GREATEST(purge_before, $1) WHERE only_row = 1",
};

pub const PURGE_AUDIT: Sql = Sql {
    sqlite: "DELETE FROM audit_log WHERE at < (SELECT purge_before FROM audit_horizon WHERE only_row = 1)",
    postgres: "DELETE FROM audit_log WHERE at < (SELECT purge_before FROM audit_horizon WHERE only_row = 1)",
};

/// A scrub's first statement: the row lock first, so appends on other nodes wait
/// for the rewrite.
pub const NEW_EPOCH: Sql = Sql {
    sqlite: "UPDATE dialogues SET epoch = epoch + 1, votes_version = votes_version + 1 WHERE id = ?",
    postgres: "UPDATE dialogues SET epoch = epoch + 1, votes_version = votes_version + 1 WHERE id = $1::uuid",
};

pub const REWRITE_EVENT: Sql = Sql {
    sqlite: "UPDATE events SET actor = ?, body = ? WHERE dialogue_id = ? AND seq = ?",
    postgres: "UPDATE events SET actor = $1, body = $2 WHERE dialogue_id = $3::uuid AND seq = $4",
};

/// Participant ids replaced by a pseudonym: (new, dialogue, old).
pub const PSEUDONYMS: [Sql; 2] = [
    Sql {
        sqlite: "UPDATE votes SET participant_id = ? WHERE dialogue_id = ? AND participant_id = ?",
        postgres: "UPDATE votes SET participant_id = $1::uuid WHERE dialogue_id = $2::uuid AND participant_id = $3::uuid",
    },
    Sql {
        sqlite: "UPDATE poll_answers SET participant_id = ? WHERE dialogue_id = ? AND participant_id = ?",
        postgres: "UPDATE poll_answers SET participant_id = $1::uuid WHERE dialogue_id = $2::uuid AND participant_id = $3::uuid",
    },
];

pub const DELETE_SUBMISSIONS_OF: Sql = Sql {
    sqlite: "DELETE FROM submissions WHERE dialogue_id = ? AND actor_id = ?",
    postgres: "DELETE FROM submissions WHERE dialogue_id = $1::uuid AND actor_id = $2::uuid",
};

pub const DELETE_ALL_SUBMISSIONS: Sql = Sql {
    sqlite: "DELETE FROM submissions WHERE dialogue_id = ?",
    postgres: "DELETE FROM submissions WHERE dialogue_id = $1::uuid",
};

pub const DELETE_ANSWERS_OF_POLL: Sql = Sql {
    sqlite: "DELETE FROM poll_answers WHERE dialogue_id = ? AND poll_id = ?",
    postgres: "DELETE FROM poll_answers WHERE dialogue_id = $1::uuid AND poll_id = $2",
};

pub const PING: Sql = Sql {
    sqlite: "SELECT 1",
    postgres: "SELECT 1",
};
