-- Opt-in e-mail notes on a question's fate (docs/protocol.md 6.24). The address
-- is kept here and nowhere else: not in the log, snapshots, exports or any staff
-- view. A row goes when its last note is sent, on unsubscribing, on erasure and
-- when the dialogue's identities expire (retention).
CREATE TABLE mail_subscriptions (
    id          TEXT PRIMARY KEY,
    dialogue_id TEXT NOT NULL,
    question_id INTEGER NOT NULL,
    -- The receipt code the participant gave: it finds the question's fate and is
    -- the link in every note.
    receipt     TEXT NOT NULL,
    address     TEXT NOT NULL,
    created     INTEGER NOT NULL,
    UNIQUE (dialogue_id, question_id)
);

-- Notes to send, one per (subscription, change): written once, however often the
-- change is seen, so a note is never queued twice. A sender claims a row with a
-- lease, so only one node sends it; `sent` is set after the SMTP server took it.
CREATE TABLE mail_outbox (
    id               TEXT PRIMARY KEY,
    subscription_id  TEXT NOT NULL REFERENCES mail_subscriptions(id) ON DELETE CASCADE,
    change           TEXT NOT NULL,
    fate             TEXT NOT NULL,
    title            TEXT NOT NULL,
    created          INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt     INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_until      INTEGER NOT NULL DEFAULT 0,
    -- SHA-256 of the single-use unsubscribe token in the note last sent.
    unsubscribe_hash TEXT,
    sent             INTEGER,
    UNIQUE (subscription_id, change)
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent, next_attempt);
CREATE INDEX mail_outbox_unsubscribe ON mail_outbox (unsubscribe_hash);
