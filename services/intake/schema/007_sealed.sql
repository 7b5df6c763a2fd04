-- Issue 11: identity and account numbers sealed at rest (sn/seal.h).
-- A migration has no key: it adds the sealed and blind-index columns and
-- lets the clear ones be NULL; intake seals what is still in clear at
-- start-up (sn/sealdb.h, main.c's seal_columns) before it is ready, and
-- new rows never write the clear columns. Every id-number index is taken
-- under one name ("intake.id_number") so that the tables join by it; the
-- account's under "intake.account_number".

-- Members: sealed and indexed; the uniqueness moves to the index.
ALTER TABLE member
	ADD COLUMN id_number_sealed text,
	ADD COLUMN id_number_index text,
	ALTER COLUMN id_number DROP NOT NULL,
	DROP CONSTRAINT member_application_id_id_number_key,
	ADD CONSTRAINT member_application_id_index_key
	    UNIQUE (application_id, id_number_index),
	ADD CONSTRAINT member_sealed
	    CHECK (id_number IS NOT NULL OR id_number_sealed IS NOT NULL);
DROP INDEX member_id_number;
CREATE INDEX member_id_number_index ON member (id_number_index);

-- Claims and the register's persons are looked up, never read back:
-- the index alone.
ALTER TABLE claim
	DROP CONSTRAINT claim_pkey,
	ALTER COLUMN id_number DROP NOT NULL,
	ADD COLUMN id_number_index text,
	ADD CONSTRAINT claim_id_number_index_key UNIQUE (id_number_index),
	ADD CONSTRAINT claim_keyed
	    CHECK (id_number IS NOT NULL OR id_number_index IS NOT NULL);

ALTER TABLE beneficiary_member
	DROP CONSTRAINT beneficiary_member_pkey,
	ALTER COLUMN id_number DROP NOT NULL,
	ADD COLUMN id_number_index text,
	ADD CONSTRAINT beneficiary_member_index_key
	    UNIQUE (beneficiary_id, id_number_index),
	ADD CONSTRAINT beneficiary_member_keyed
	    CHECK (id_number IS NOT NULL OR id_number_index IS NOT NULL);
DROP INDEX beneficiary_member_id_number;
CREATE INDEX beneficiary_member_id_number_index
	ON beneficiary_member (id_number_index);

-- The payee's account: sealed, and indexed so that a correction can tell
-- whether it changes anything.
ALTER TABLE application
	ADD COLUMN payee_account_number_sealed text,
	ADD COLUMN payee_account_number_index text,
	DROP CONSTRAINT application_complete;
ALTER TABLE application ADD CONSTRAINT application_complete CHECK (
	status = 'draft' OR (
	accepted_date IS NOT NULL AND deadline_date IS NOT NULL AND
	taken_in_by IS NOT NULL AND registration IS NOT NULL AND
	address IS NOT NULL AND has_able_supporter IS NOT NULL AND
	wages_fen IS NOT NULL AND business_fen IS NOT NULL AND
	pensions_fen IS NOT NULL AND other_fen IS NOT NULL AND
	medical_fen IS NOT NULL AND education_fen IS NOT NULL AND
	housing_fen IS NOT NULL AND employment_costs_fen IS NOT NULL AND
	consent_reference IS NOT NULL AND consent_signed_date IS NOT NULL AND
	payee_bank_code IS NOT NULL AND
	(payee_account_number IS NOT NULL OR
	 payee_account_number_sealed IS NOT NULL) AND
	payee_account_name IS NOT NULL));

-- The member a change names, and the person an agency's notice names.
ALTER TABLE household_change ADD COLUMN member_id_number_sealed text;
ALTER TABLE agency_notice
	ADD COLUMN id_number_sealed text,
	ALTER COLUMN id_number DROP NOT NULL;
