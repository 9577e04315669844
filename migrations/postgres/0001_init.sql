-- The shared store of a dialoghub cluster: the same tables as the embedded SQLite store.

-- One row per dialogue. head_seq is the position of its last logged event; an
-- append names the head it decided on (compare-and-set), and the row lock that the
-- UPDATE takes is what orders concurrent writers on different nodes: seq order is
-- commit order. votes_version is bumped by every commit that changes votes, so a
-- node that polls learns of vote changes it did not make.
CREATE TABLE dialogues (
    id            UUID PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    epoch         BIGINT NOT NULL,
    head_seq      BIGINT NOT NULL,
    votes_version BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    created_by    UUID NOT NULL,
    create_key    TEXT,
    UNIQUE (created_by, create_key)
);
CREATE INDEX dialogues_by_organizer ON dialogues (created_by, created_at DESC);

-- The per-dialogue event log: the truth. Gap-free seq from 1.
CREATE TABLE events (
    dialogue_id UUID NOT NULL REFERENCES dialogues(id),
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (dialogue_id, seq)
);

-- Votes commute, so they are state beside the log: a row means "on".
CREATE TABLE votes (
    dialogue_id    UUID NOT NULL REFERENCES dialogues(id),
    question_id    BIGINT NOT NULL,
    participant_id UUID NOT NULL,
    PRIMARY KEY (dialogue_id, question_id, participant_id)
);

-- Idempotency: the ack each submission got, written in the same transaction as its
-- effect. The primary key is what stops a retry on another node from applying twice.
CREATE TABLE submissions (
    dialogue_id   UUID NOT NULL REFERENCES dialogues(id),
    actor_id      UUID NOT NULL,
    client_msg_id TEXT NOT NULL,
    ack           TEXT NOT NULL,
    PRIMARY KEY (dialogue_id, actor_id, client_msg_id)
);
