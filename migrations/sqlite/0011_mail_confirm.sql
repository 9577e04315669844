-- Double opt-in: an address left on the receipt page gets one confirmation
-- message and nothing else until its link is confirmed; unconfirmed addresses
-- are deleted by the retention run after `mail.confirm_within_hours`.
-- `confirmed` is when the link was used (NULL: not yet). Addresses left before
-- this step existed were taken at their word then, so they count as confirmed.
ALTER TABLE mail_subscriptions ADD COLUMN confirmed INTEGER;
UPDATE mail_subscriptions SET confirmed = created;
-- SHA-256 of the single-use confirm token in the confirmation message last
-- sent; emptied when it is used.
ALTER TABLE mail_outbox ADD COLUMN confirm_hash TEXT;
CREATE INDEX mail_outbox_confirm ON mail_outbox (confirm_hash);
