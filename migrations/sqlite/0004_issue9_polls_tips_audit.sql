-- Poll answers commute like votes, so they are state beside the log: one row per
-- poll and participant holding the whole answer (option indexes, comma-separated).
-- A closed poll's counts are frozen into the log, so these rows may be deleted
-- on schedule without changing the public record.
CREATE TABLE poll_answers (
    dialogue_id    TEXT NOT NULL REFERENCES dialogues(id),
    poll_id        INTEGER NOT NULL,
    participant_id TEXT NOT NULL,
    choices        TEXT NOT NULL,
    PRIMARY KEY (dialogue_id, poll_id, participant_id)
) WITHOUT ROWID;

-- The audit trail (public records): every action of staff and panel, who, when,
-- what. Append-only: the store rejects every UPDATE, and every DELETE of a row
-- younger than the retention horizon. The horizon only moves forward, and only the
-- retention job moves it, past the configured audit retention period.
-- Rows hold ids and codes, never text anyone wrote: text changes are shown in the
-- export from the log, masked by the confidentiality guard.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    dialogue_id TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor_role  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT,
    event_seq   INTEGER,
    detail      TEXT
);
CREATE INDEX audit_by_dialogue ON audit_log (dialogue_id, id);

CREATE TABLE audit_horizon (
    only_row     INTEGER PRIMARY KEY CHECK (only_row = 1),
    purge_before INTEGER NOT NULL
);
INSERT INTO audit_horizon (only_row, purge_before) VALUES (1, 0);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.at >= (SELECT purge_before FROM audit_horizon WHERE only_row = 1)
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only until their retention period ends');
END;

CREATE TRIGGER audit_horizon_forward_only BEFORE UPDATE ON audit_horizon
WHEN NEW.purge_before < OLD.purge_before OR NEW.only_row <> OLD.only_row
BEGIN
    SELECT RAISE(ABORT, 'the audit retention horizon only moves forward');
END;

CREATE TRIGGER audit_horizon_no_delete BEFORE DELETE ON audit_horizon
BEGIN
    SELECT RAISE(ABORT, 'the audit retention horizon cannot be removed');
END;
