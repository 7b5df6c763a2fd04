-- Issue 15: the book's write of a message was the costliest statement of
-- a payment run's sending (about 60 ms for 500 instructions at 100,000
-- payees, 34 blocks touched per instruction): per row a PL/pgSQL trigger,
-- a foreign-key check and six index entries. What each served:
--
-- credit_seq's trigger numbered a row as it settled. The two statements
-- that settle a row (a message's write, the settlement timer's update)
-- now number it themselves; the CHECK keeps the rule the trigger kept.
DROP TRIGGER instructions_credit_seq ON instructions;
DROP FUNCTION credit_seq_on_settle();
ALTER TABLE instructions ADD CONSTRAINT instructions_credit_seq_check
	CHECK ((status = 'settled') = (credit_seq IS NOT NULL));
-- credit_seq's UNIQUE: the numbers come from one sequence, and nothing
-- looks a row up by its number alone (pages go by account, then number:
-- instructions_credit_page).
ALTER TABLE instructions DROP CONSTRAINT instructions_credit_seq_key;
-- The batch a row names is the message written in the same statement's
-- transaction, its batches row claimed just before (store.c's
-- bank_sim_store_claim_batch): a check per row of what the statement
-- itself guarantees.
ALTER TABLE instructions DROP CONSTRAINT instructions_batch_id_fkey;
-- (batch_id, position): nothing reads a batch's rows by it since the
-- status report reads each instruction by its end-to-end id (38bd17a).
DROP INDEX instructions_batch;
-- A debtor account's paid rows (its balance) and its statement (its
-- settled rows by time) from one index: a statement's status = 'settled'
-- implies the predicate.
DROP INDEX instructions_debtor;
DROP INDEX instructions_statement;
CREATE INDEX instructions_debtor ON instructions (debtor_account,
	settled_at) WHERE status <> 'rejected';
