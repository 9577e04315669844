//! The statements of the identity store (`identity.rs`), in both dialects.

use super::statements::Sql;

pub(super) const PUT_DISTRICT: Sql = Sql {
    sqlite: "INSERT INTO districts (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
    postgres: "INSERT INTO districts (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
};
pub(super) const DISTRICTS: Sql = Sql {
    sqlite: "SELECT id, name FROM districts ORDER BY id",
    postgres: "SELECT id, name FROM districts ORDER BY id",
};
pub(super) const INSERT_STAFF: Sql = Sql {
    sqlite: "INSERT INTO staff (id, issuer, subject, name, created) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (issuer, subject) DO UPDATE SET name = excluded.name",
    postgres:
        "INSERT INTO staff (id, issuer, subject, name, created) VALUES ($1::uuid, $2, $3, $4, $5)
               ON CONFLICT (issuer, subject) DO UPDATE SET name = excluded.name",
};
pub(super) const FIND_STAFF: Sql = Sql {
    sqlite: "SELECT id FROM staff WHERE issuer = ? AND subject = ?",
    postgres: "SELECT id::text AS id FROM staff WHERE issuer = $1 AND subject = $2",
};
pub(super) const SELECT_STAFF: Sql = Sql {
    sqlite: "SELECT id, name FROM staff WHERE id = ?",
    postgres: "SELECT id::text AS id, name FROM staff WHERE id = $1::uuid",
};
pub(super) const ALL_STAFF: Sql = Sql {
    sqlite: "SELECT id, name FROM staff ORDER BY created",
    postgres: "SELECT id::text AS id, name FROM staff ORDER BY created",
};
pub(super) const GRANTS_OF: Sql = Sql {
    sqlite: "SELECT district, role FROM staff_grants WHERE staff_id = ? ORDER BY district, role",
    postgres: "SELECT district, role FROM staff_grants WHERE staff_id = $1::uuid ORDER BY district, role",
};
pub(super) const DELETE_GRANTS: Sql = Sql {
    sqlite: "DELETE FROM staff_grants WHERE staff_id = ?",
    postgres: "DELETE FROM staff_grants WHERE staff_id = $1::uuid",
};
pub(super) const INSERT_GRANT: Sql = Sql {
    sqlite: "INSERT INTO staff_grants (staff_id, district, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    postgres: "INSERT INTO staff_grants (staff_id, district, role) VALUES ($1::uuid, $2, $3) ON CONFLICT DO NOTHING",
};
pub(super) const HAS_ADMIN: Sql = Sql {
    sqlite: "SELECT COUNT(*) AS n FROM staff_grants WHERE role = 'admin'",
    postgres: "SELECT COUNT(*) AS n FROM staff_grants WHERE role = 'admin'",
};
pub(super) const INSERT_SESSION: Sql = Sql {
    sqlite: "INSERT INTO sessions (id_hash, kind, principal, dialogue, role, csrf, created, last_seen, idle_until, expires)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    postgres: "INSERT INTO sessions (id_hash, kind, principal, dialogue, role, csrf, created, last_seen, idle_until, expires)
               VALUES ($1, $2, $3::uuid, $4::uuid, $5, $6, $7, $8, $9, $10)",
};
pub(super) const SELECT_SESSION: Sql = Sql {
    sqlite: "SELECT id_hash, kind, principal, dialogue, role, csrf, created, last_seen, idle_until, expires
             FROM sessions WHERE id_hash = ?",
    postgres: "SELECT id_hash, kind, principal::text AS principal, dialogue::text AS dialogue, role, csrf,
               created, last_seen, idle_until, expires FROM sessions WHERE id_hash = $1",
};
pub(super) const TOUCH_SESSION: Sql = Sql {
    sqlite: "UPDATE sessions SET last_seen = ?, idle_until = ? WHERE id_hash = ?",
    postgres: "UPDATE sessions SET last_seen = $1, idle_until = $2 WHERE id_hash = $3",
};
pub(super) const END_SESSION: Sql = Sql {
    sqlite: "DELETE FROM sessions WHERE id_hash = ?",
    postgres: "DELETE FROM sessions WHERE id_hash = $1",
};
pub(super) const END_SESSIONS_OF: Sql = Sql {
    sqlite: "DELETE FROM sessions WHERE principal = ? AND (? IS NULL OR dialogue = ?)",
    postgres: "DELETE FROM sessions WHERE principal = $1::uuid AND ($2::uuid IS NULL OR dialogue = $3::uuid)",
};
pub(super) const END_LINKS_OF: Sql = Sql {
    sqlite: "DELETE FROM signin_links WHERE principal = ? AND (? IS NULL OR dialogue = ?)",
    postgres: "DELETE FROM signin_links WHERE principal = $1::uuid AND ($2::uuid IS NULL OR dialogue = $3::uuid)",
};
pub(super) const INSERT_LINK: Sql = Sql {
    sqlite: "INSERT INTO signin_links (hash, kind, principal, dialogue, role, expires) VALUES (?, ?, ?, ?, ?, ?)",
    postgres: "INSERT INTO signin_links (hash, kind, principal, dialogue, role, expires)
               VALUES ($1, $2, $3::uuid, $4::uuid, $5, $6)",
};
pub(super) const CONSUME_LINK: Sql = Sql {
    sqlite: "DELETE FROM signin_links WHERE hash = ? AND expires > ? RETURNING kind, principal, dialogue, role",
    postgres: "DELETE FROM signin_links WHERE hash = $1 AND expires > $2
               RETURNING kind, principal::text AS principal, dialogue::text AS dialogue, role",
};
pub(super) const LINK_VALID: Sql = Sql {
    sqlite: "SELECT COUNT(*) AS n FROM signin_links WHERE hash = ? AND expires > ?",
    postgres: "SELECT COUNT(*) AS n FROM signin_links WHERE hash = $1 AND expires > $2",
};
pub(super) const INSERT_TICKET: Sql = Sql {
    sqlite: "INSERT INTO ws_tickets (hash, session_hash, dialogue, expires) VALUES (?, ?, ?, ?)",
    postgres: "INSERT INTO ws_tickets (hash, session_hash, dialogue, expires) VALUES ($1, $2, $3::uuid, $4)",
};
pub(super) const CONSUME_TICKET: Sql = Sql {
    sqlite: "DELETE FROM ws_tickets WHERE hash = ? AND expires > ? RETURNING session_hash, dialogue",
    postgres: "DELETE FROM ws_tickets WHERE hash = $1 AND expires > $2
               RETURNING session_hash, dialogue::text AS dialogue",
};
pub(super) const DIALOGUE_DISTRICT: Sql = Sql {
    sqlite: "SELECT district FROM dialogues WHERE id = ?",
    postgres: "SELECT district FROM dialogues WHERE id = $1::uuid",
};
pub(super) const ALL_DIALOGUES_NEWEST: Sql = Sql {
    sqlite: "SELECT id, district FROM dialogues ORDER BY created_at DESC",
    postgres: "SELECT id::text AS id, district FROM dialogues ORDER BY created_at DESC",
};
pub(super) const PURGE_SESSIONS: Sql = Sql {
    sqlite: "DELETE FROM sessions WHERE expires <= ? OR idle_until <= ?",
    postgres: "DELETE FROM sessions WHERE expires <= $1 OR idle_until <= $2",
};
pub(super) const PURGE_LINKS_AND_TICKETS: [Sql; 2] = [
    Sql {
        sqlite: "DELETE FROM signin_links WHERE expires <= ?",
        postgres: "DELETE FROM signin_links WHERE expires <= $1",
    },
    Sql {
        sqlite: "DELETE FROM ws_tickets WHERE expires <= ?",
        postgres: "DELETE FROM ws_tickets WHERE expires <= $1",
    },
];
