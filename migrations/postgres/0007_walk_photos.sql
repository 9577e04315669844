-- A safety walk's photos: blobs beside the log, which carries only their ids.
-- `id` is the SHA-256 of the cleaned upload (metadata stripped by re-encoding).
-- The cleaned original is private (staff only) until a moderator approves; at
-- approval the published copy (blurred where the moderator chose) is written
-- and the original set to NULL in the same statement; a rejected photo's row is
-- deleted. VACUUM FULL after each removal keeps removed bytes out of the pages.
CREATE TABLE walk_photos (
    dialogue_id     UUID NOT NULL REFERENCES dialogues(id),
    id              TEXT NOT NULL,
    uploaded_by     UUID NOT NULL,
    idempotency_key TEXT NOT NULL,
    state           TEXT NOT NULL,
    original        BYTEA,
    published_id    TEXT,
    published       BYTEA,
    width           BIGINT NOT NULL,
    height          BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    decided_at      BIGINT,
    PRIMARY KEY (dialogue_id, id),
    UNIQUE (dialogue_id, uploaded_by, idempotency_key)
);
CREATE INDEX walk_photos_published ON walk_photos (dialogue_id, published_id);
