-- intake's own tables (design section 1): applications, their households,
-- members, consent and payee account, and who is held where.
-- Applied by sn_service at start-up into the service's schema.

-- One application as the clerk took it in. Money is bigint fen.
CREATE TABLE application (
	id                   uuid PRIMARY KEY,
	status               text NOT NULL DEFAULT 'open'
	    CHECK (status IN ('open', 'withdrawn', 'decided_approved',
	                      'decided_rejected')),
	accepted_date        date NOT NULL,
	deadline_date        date NOT NULL,
	taken_in_by          text NOT NULL,
	registration         text NOT NULL CHECK (registration IN ('urban', 'rural')),
	district_code        text NOT NULL,
	township_code        text NOT NULL,
	village_code         text NOT NULL,
	address              text NOT NULL,
	has_able_supporter   boolean NOT NULL,
	wages_fen            bigint NOT NULL CHECK (wages_fen >= 0),
	business_fen         bigint NOT NULL CHECK (business_fen >= 0),
	pensions_fen         bigint NOT NULL CHECK (pensions_fen >= 0),
	other_fen            bigint NOT NULL CHECK (other_fen >= 0),
	medical_fen          bigint NOT NULL CHECK (medical_fen >= 0),
	education_fen        bigint NOT NULL CHECK (education_fen >= 0),
	housing_fen          bigint NOT NULL CHECK (housing_fen >= 0),
	employment_costs_fen bigint NOT NULL CHECK (employment_costs_fen >= 0),
	consent_reference    text NOT NULL CHECK (consent_reference <> ''),
	consent_signed_date  date NOT NULL,
	payee_bank_code      text NOT NULL,
	payee_account_number text NOT NULL,
	payee_account_name   text NOT NULL,
	requested_category   text,
	withdrawn_reason     text,
	withdrawn_by         text,
	withdrawn_at         timestamptz,
	decided_case_id      text,
	decided_by           text,
	decided_at           timestamptz,
	created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_village ON application (village_code);

-- The household's members, the applicant first (position 0).
CREATE TABLE member (
	application_id   uuid NOT NULL REFERENCES application (id),
	position         integer NOT NULL,
	id_number        text NOT NULL,
	name             text NOT NULL,
	relation         text NOT NULL,
	birth_date       date NOT NULL,
	labour_capacity  text NOT NULL,
	disability_grade integer NOT NULL CHECK (disability_grade BETWEEN 0 AND 4),
	self_care        text NOT NULL,
	PRIMARY KEY (application_id, position),
	UNIQUE (application_id, id_number)
);
CREATE INDEX member_id_number ON member (id_number);

-- A person held by an application that is open, or approved and not yet
-- handed over to the beneficiary register. The primary key is what makes
-- "one open application per person" hold under concurrency: two
-- submissions sharing a person cannot both insert their claim.
CREATE TABLE claim (
	id_number      text PRIMARY KEY,
	application_id uuid NOT NULL REFERENCES application (id)
);
CREATE INDEX claim_application ON claim (application_id);

-- Persons of active (or gradually exiting) beneficiary households, as
-- approval's beneficiary.changed events say. application_id is approval's
-- word, not necessarily an application of ours.
CREATE TABLE beneficiary_member (
	beneficiary_id text NOT NULL,
	id_number      text NOT NULL,
	application_id text NOT NULL,
	status         text NOT NULL CHECK (status IN ('active', 'gradual_exit')),
	PRIMARY KEY (beneficiary_id, id_number)
);
CREATE INDEX beneficiary_member_id_number ON beneficiary_member (id_number);
