-- Draft applications opened from emergency referrals (issue 4): the
-- emergency service publishes referral.created for a dibao or tekun
-- application; intake opens a draft (status 'draft') prefilled from it,
-- which a clerk completes and submits under the same id.
--
-- A draft knows only what the referral said (the household's division
-- codes, the referred person, the payee, the category), so the columns a
-- clerk fills in on submission may be NULL while, and only while, the
-- application is a draft. A draft claims nobody and publishes nothing.

ALTER TABLE application DROP CONSTRAINT application_status_check;
ALTER TABLE application ADD CONSTRAINT application_status_check
	CHECK (status IN ('draft', 'open', 'withdrawn', 'decided_approved',
	                  'decided_rejected'));

ALTER TABLE application
	ALTER COLUMN accepted_date DROP NOT NULL,
	ALTER COLUMN deadline_date DROP NOT NULL,
	ALTER COLUMN taken_in_by DROP NOT NULL,
	ALTER COLUMN registration DROP NOT NULL,
	ALTER COLUMN address DROP NOT NULL,
	ALTER COLUMN has_able_supporter DROP NOT NULL,
	ALTER COLUMN wages_fen DROP NOT NULL,
	ALTER COLUMN business_fen DROP NOT NULL,
	ALTER COLUMN pensions_fen DROP NOT NULL,
	ALTER COLUMN other_fen DROP NOT NULL,
	ALTER COLUMN medical_fen DROP NOT NULL,
	ALTER COLUMN education_fen DROP NOT NULL,
	ALTER COLUMN housing_fen DROP NOT NULL,
	ALTER COLUMN employment_costs_fen DROP NOT NULL,
	ALTER COLUMN consent_reference DROP NOT NULL,
	ALTER COLUMN consent_signed_date DROP NOT NULL,
	ALTER COLUMN payee_bank_code DROP NOT NULL,
	ALTER COLUMN payee_account_number DROP NOT NULL,
	ALTER COLUMN payee_account_name DROP NOT NULL;

-- Everything but a draft is as complete as before this migration.
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
	payee_bank_code IS NOT NULL AND payee_account_number IS NOT NULL AND
	payee_account_name IS NOT NULL));

-- Where an application came from. referral_id is unique: one draft per
-- referral, however often referral.created names it. The other referral_
-- columns keep what the referral said, for the chain grant -> referral ->
-- application; note is the draft's note to the clerk ("household size: 4").
ALTER TABLE application
	ADD COLUMN referral_id text UNIQUE,
	ADD COLUMN referral_grant_id text,
	ADD COLUMN referral_household_size integer
	    CHECK (referral_household_size > 0),
	ADD COLUMN referral_note text,
	ADD COLUMN referral_created_by text,
	ADD COLUMN note text;

-- GET /applications?status=draft&township=...
CREATE INDEX application_draft_township ON application (township_code,
	created_at) WHERE status = 'draft';

-- A draft's one member (the referred person) has no labour capacity,
-- disability grade or self-care ability yet; submission replaces the
-- draft's members with the clerk's, which always have them.
ALTER TABLE member
	ALTER COLUMN labour_capacity DROP NOT NULL,
	ALTER COLUMN disability_grade DROP NOT NULL,
	ALTER COLUMN self_care DROP NOT NULL;
