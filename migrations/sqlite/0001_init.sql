-- One row per dialogue. head_seq is the position of its last logged event; an
-- append names the head it decided on, so a writer that lost a race learns of it.
CREATE TABLE dialogues (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    epoch       INTEGER NOT NULL,
    head_seq    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    create_key  TEXT,
    UNIQUE (created_by, create_key)
);

-- The per-dialogue event log: the truth. Gap-free seq from 1.
CREATE TABLE events (
    dialogue_id TEXT NOT NULL REFERENCES dialogues(id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (dialogue_id, seq)
) WITHOUT ROWID;

-- Votes commute, so they are state beside the log: a row means "on".
CREATE TABLE votes (
    dialogue_id    TEXT NOT NULL REFERENCES dialogues(id),
    question_id    INTEGER NOT NULL,
    participant_id TEXT NOT NULL,
    PRIMARY KEY (dialogue_id, question_id, participant_id)
) WITHOUT ROWID;

-- Idempotency: the ack each submission got, written in the same transaction as its effect.
CREATE TABLE submissions (
    dialogue_id   TEXT NOT NULL REFERENCES dialogues(id),
    actor_id      TEXT NOT NULL,
    client_msg_id TEXT NOT NULL,
    ack           TEXT NOT NULL,
    PRIMARY KEY (dialogue_id, actor_id, client_msg_id)
) WITHOUT ROWID;
