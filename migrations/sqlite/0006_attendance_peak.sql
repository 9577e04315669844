-- The most present at once, kept while the dialogue is out of memory (unloaded
-- when idle, or across a restart), so the record written on closing has it.
ALTER TABLE dialogues ADD COLUMN peak_in_room INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dialogues ADD COLUMN peak_remote INTEGER NOT NULL DEFAULT 0;
