-- Votes and poll answers from burst identities (identities created in a burst
-- from one address, `stuffing.burst_joins`) are flagged to staff and counted
-- apart in the record. The flag is kept with the row, so a restarted server and
-- every other node know it too. Rows written before this step are unflagged.
ALTER TABLE votes ADD COLUMN burst INTEGER NOT NULL DEFAULT 0;
ALTER TABLE poll_answers ADD COLUMN burst INTEGER NOT NULL DEFAULT 0;
