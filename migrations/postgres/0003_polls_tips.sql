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
