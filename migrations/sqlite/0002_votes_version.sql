-- Votes are not in the log, so a node that did not make a vote change learns of it
-- by this counter, bumped in the same transaction as the change.
ALTER TABLE dialogues ADD COLUMN votes_version INTEGER NOT NULL DEFAULT 0;
