-- Issue 15: a batch's row counts its payments still sent. The answer that
-- took a batch's last payment out of sent found so by reading every
-- payment of the batch again (and each payment it moved once more, for
-- its batch before the move): 8 of the 13 buffers an answered payment
-- read. The answer's transaction has each payment's batch and status
-- from its locking read already, so it subtracts the payments it moves
-- out of sent from their batch's count, under the row's lock, and
-- deletes the row at zero; the claim writes the count.
ALTER TABLE send_batch ADD COLUMN sent_left integer NOT NULL DEFAULT 0;
UPDATE send_batch b SET sent_left = (SELECT count(*)
	FROM unnest(b.payments) AS x(id) JOIN payment p ON p.id = x.id
	WHERE p.batch_id = b.batch_id AND p.status = 'sent');
