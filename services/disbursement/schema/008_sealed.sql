-- Issue 11: account numbers sealed at rest (sn/seal.h). Every account
-- number the service keeps (payee, payment, instruction_history,
-- account_proposal) is sealed under one associated data,
-- "disbursement.account_number": the statements that build a run or
-- correct a payment copy an account from one table to another in SQL,
-- and a sealed value copied keeps opening. The payee's account has a
-- blind index (payee, payment, account_proposal: where an account is
-- compared or looked for), and the account a confirmed change replaced
-- is kept as its index alone (superseded_account_index). An empty
-- account is NULL (nothing sealed). A migration has no key: the clear
-- columns become nullable, and the service seals the rows that still
-- have a clear value at start-up (sn/sealdb.h), before it reports ready,
-- setting the clear value NULL. New rows never write the clear columns.
ALTER TABLE payee
	ADD COLUMN account_number_sealed text,
	ADD COLUMN account_number_index text,
	ADD COLUMN superseded_account_index text,
	ALTER COLUMN account_number DROP NOT NULL,
	ALTER COLUMN account_number DROP DEFAULT;
UPDATE payee SET account_number = NULL WHERE account_number = '';
UPDATE payee SET superseded_account = NULL WHERE superseded_account = '';
ALTER TABLE payment
	ADD COLUMN account_number_sealed text,
	ADD COLUMN account_number_index text,
	ALTER COLUMN account_number DROP NOT NULL,
	ALTER COLUMN account_number DROP DEFAULT;
UPDATE payment SET account_number = NULL WHERE account_number = '';
ALTER TABLE instruction_history
	ADD COLUMN account_number_sealed text,
	ALTER COLUMN account_number DROP NOT NULL;
UPDATE instruction_history SET account_number = NULL
WHERE account_number = '';
ALTER TABLE account_proposal
	ADD COLUMN account_number_sealed text,
	ADD COLUMN account_number_index text,
	ALTER COLUMN account_number DROP NOT NULL;
