-- A walk's observation hears of every change of status of the actions it led
-- to, so which note is a subscription's last is no longer a rule of the change
-- alone: the scan that queues a note says whether nothing can follow it.
ALTER TABLE mail_outbox ADD COLUMN is_last BIGINT NOT NULL DEFAULT 0;
UPDATE mail_outbox SET is_last = 1
 WHERE change = 'follow_up_done'
    OR (change = 'fate' AND fate IN ('rejected', 'moved_to_private', 'merged'));
