-- A safety walk's photos: blobs beside the log, which carries only their ids.
-- `id` is the SHA-256 of the cleaned upload (metadata stripped by re-encoding).
-- The cleaned original is private (staff only) until a moderator approves; at
-- approval the published copy (blurred where the moderator chose) is written
-- and the original set to NULL in the same statement; a rejected photo's row is
-- deleted. secure_delete and the checkpoint after each removal keep removed
-- bytes out of the files.
CREATE TABLE walk_photos (
    dialogue_id     TEXT NOT NULL REFERENCES dialogues(id),
    id              TEXT NOT NULL,
    uploaded_by     TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    state           TEXT NOT NULL,
    original        BLOB,
    published_id    TEXT,
    published       BLOB,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    decided_at      INTEGER,
    PRIMARY KEY (dialogue_id, id),
    UNIQUE (dialogue_id, uploaded_by, idempotency_key)
);
CREATE INDEX walk_photos_published ON walk_photos (dialogue_id, published_id);
