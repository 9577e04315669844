-- Staff identity: districts, staff and their roles per district, server-side
-- sessions, single-use sign-in and invitation links, and WebSocket tickets.
-- Secrets (session ids, links, tickets) are kept only as SHA-256 hashes: a copy
-- of the database signs nobody in.

CREATE TABLE districts (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
-- Dialogues made before districts existed belong to this one.
INSERT INTO districts (id, name) VALUES ('default', 'Kommunen');

ALTER TABLE dialogues ADD COLUMN district TEXT NOT NULL DEFAULT 'default';
CREATE INDEX dialogues_by_district ON dialogues (district, created_at);

CREATE TABLE staff (
    id      UUID PRIMARY KEY,
    issuer  TEXT NOT NULL,
    subject TEXT NOT NULL,
    name    TEXT NOT NULL,
    created BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);

-- district '*' is the whole municipality.
CREATE TABLE staff_grants (
    staff_id UUID NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    district TEXT NOT NULL,
    role     TEXT NOT NULL CHECK (role IN ('admin', 'organizer', 'moderator')),
    PRIMARY KEY (staff_id, district, role)
);

-- kind 'staff': principal is a staff id. kind 'invitee': principal is the
-- panelist's or screen's id in `dialogue`, with `role`.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('staff', 'invitee')),
    principal    UUID NOT NULL,
    dialogue     UUID,
    role         TEXT,
    csrf         TEXT NOT NULL,
    created      BIGINT NOT NULL,
    last_seen    BIGINT NOT NULL,
    idle_until   BIGINT NOT NULL,
    expires      BIGINT NOT NULL
);
CREATE INDEX sessions_by_principal ON sessions (principal);

-- Single-use links (sign-in, staff invitation, dialogue invitation).
CREATE TABLE signin_links (
    hash      TEXT PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('staff', 'invitee')),
    principal UUID NOT NULL,
    dialogue  UUID,
    role      TEXT,
    expires   BIGINT NOT NULL
);
CREATE INDEX signin_links_by_principal ON signin_links (principal);

CREATE TABLE ws_tickets (
    hash         TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL,
    dialogue     UUID NOT NULL,
    expires      BIGINT NOT NULL
);
