-- Poll answers commute like votes, so they are state beside the log: one row per
-- poll and participant holding the whole answer (option indexes, comma-separated).
-- A closed poll's counts are frozen into the log, so these rows may be deleted
-- on schedule without changing the public record.
CREATE TABLE poll_answers (
    dialogue_id    UUID NOT NULL REFERENCES dialogues(id),
    poll_id        BIGINT NOT NULL,
    participant_id UUID NOT NULL,
    choices        TEXT NOT NULL,
    PRIMARY KEY (dialogue_id, poll_id, participant_id)
);

-- The audit trail (public records): every action of staff and panel, who, when,
-- what. Append-only: triggers reject every UPDATE (and TRUNCATE), and every DELETE
-- of a row younger than the retention horizon. The horizon only moves forward, and
-- only the retention job moves it, past the configured audit retention period.
-- Rows hold ids and codes, never text anyone wrote: text changes are shown in the
-- export from the log, masked by the confidentiality guard.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    dialogue_id UUID NOT NULL,
    at          BIGINT NOT NULL,
    actor_role  TEXT NOT NULL,
    actor_id    UUID NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT,
    event_seq   BIGINT,
    detail      TEXT
);
CREATE INDEX audit_by_dialogue ON audit_log (dialogue_id, id);

CREATE TABLE audit_horizon (
    only_row     INTEGER PRIMARY KEY CHECK (only_row = 1),
    purge_before BIGINT NOT NULL
);
INSERT INTO audit_horizon (only_row, purge_before) VALUES (1, 0);

CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < (SELECT purge_before FROM audit_horizon WHERE only_row = 1) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

CREATE FUNCTION audit_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are append-only (TRUNCATE refused)'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate();

CREATE FUNCTION audit_horizon_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.only_row = OLD.only_row AND NEW.purge_before >= OLD.purge_before THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit retention horizon only moves forward'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_horizon_forward_only BEFORE UPDATE OR DELETE ON audit_horizon
    FOR EACH ROW EXECUTE FUNCTION audit_horizon_guard();
