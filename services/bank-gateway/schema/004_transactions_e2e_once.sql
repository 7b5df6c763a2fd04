-- Issue 15: a transaction's row entered two indexes by its end-to-end id:
-- the unique (msg_id, end_to_end_id) and transactions_e2e (end_to_end_id)
-- for the look-ups by id alone (a status query, the latest message of an
-- id). One unique index led by the end-to-end id serves both: the same
-- pairs are unique, the answers' update finds a row by both columns and a
-- status query by the first. A message's 500 rows enter it once each
-- instead of twice.
ALTER TABLE transactions
	ADD CONSTRAINT transactions_e2e_msg UNIQUE (end_to_end_id, msg_id);
ALTER TABLE transactions
	DROP CONSTRAINT transactions_msg_id_end_to_end_id_key;
DROP INDEX transactions_e2e;
