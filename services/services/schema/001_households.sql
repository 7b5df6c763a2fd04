-- services (资源+服务, issue 13): what the service learns of each household
-- from intake, approval and emergency, and the needs that referrals and
-- project eligibility are decided on. No identity numbers: members are
-- named by their place in the household.

-- One row per household. id is the application id intake gave it, or for
-- a person an emergency officer referred before any application, the
-- emergency referral's id; application_id and emergency_referral_id name
-- it too (a household whose application names an emergency referral has
-- both).
CREATE TABLE household (
	id                    uuid PRIMARY KEY,
	application_id        uuid UNIQUE,
	emergency_referral_id uuid UNIQUE,
	grant_id              uuid,
	district_code         text NOT NULL DEFAULT '',
	township_code         text NOT NULL DEFAULT '',
	village_code          text NOT NULL DEFAULT '',
	registration          text NOT NULL DEFAULT ''
	                      CHECK (registration IN ('', 'urban', 'rural')),
	-- From application.submitted (the latest revision): the members are
	-- known only then; an emergency-only household has household_size.
	has_facts             boolean NOT NULL DEFAULT false,
	revision              integer NOT NULL DEFAULT 0,
	household_size        integer NOT NULL DEFAULT 0,
	wages_fen             bigint NOT NULL DEFAULT 0,
	business_fen          bigint NOT NULL DEFAULT 0,
	medical_fen           bigint NOT NULL DEFAULT 0,
	education_fen         bigint NOT NULL DEFAULT 0,
	housing_fen           bigint NOT NULL DEFAULT 0,
	employment_costs_fen  bigint NOT NULL DEFAULT 0,
	emergency_cause       text NOT NULL DEFAULT '',
	-- From approval: the decision and the household's standing in the
	-- register. category '' until decided.
	approved              boolean,
	category              text NOT NULL DEFAULT ''
	                      CHECK (category IN ('', 'tekun', 'dibao',
	                      'expenditure', 'low_income', 'emergency',
	                      'none')),
	tier                  text NOT NULL DEFAULT ''
	                      CHECK (tier IN ('', 'core', 'edge', 'universal')),
	decided_by            text NOT NULL DEFAULT '',
	decided_at            timestamptz,
	beneficiary_id        uuid,
	standing              text NOT NULL DEFAULT ''
	                      CHECK (standing IN ('', 'active', 'gradual_exit',
	                      'exited', 'suspended')),
	created_at            timestamptz NOT NULL DEFAULT now(),
	updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX household_township ON household (township_code);
CREATE INDEX household_beneficiary ON household (beneficiary_id);

-- The members, in the application's order (member 1 = the applicant).
CREATE TABLE member (
	household_id     uuid NOT NULL REFERENCES household (id)
	                 ON UPDATE CASCADE,
	member           integer NOT NULL CHECK (member >= 1),
	name             text NOT NULL,
	relation         text NOT NULL DEFAULT '',
	birth_date       date,
	labour           text NOT NULL DEFAULT ''
	                 CHECK (labour IN ('', 'full', 'partial', 'none')),
	disability_grade integer NOT NULL DEFAULT 0
	                 CHECK (disability_grade BETWEEN 0 AND 4),
	self_care        text NOT NULL DEFAULT ''
	                 CHECK (self_care IN ('', 'able', 'partially_able',
	                 'unable')),
	PRIMARY KEY (household_id, member)
);

-- A household's needs (the vocabulary of seed/projects.json's `needs`
-- and the derived ones: medical_costs, housing_costs, education_costs,
-- major_illness, disaster, ...). member 0: the household's; else the
-- member's. source 'facts': derived from the facts by the rules (replaced
-- whenever the facts change); 'staff': noted by a member of staff (kept
-- until removed).
CREATE TABLE need (
	household_id uuid NOT NULL REFERENCES household (id) ON UPDATE CASCADE,
	member       integer NOT NULL CHECK (member >= 0),
	need         text NOT NULL CHECK (need ~ '^[a-z][a-z0-9_]{0,47}$'),
	source       text NOT NULL CHECK (source IN ('facts', 'staff')),
	noted_by     text NOT NULL DEFAULT '',
	noted_at     timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (household_id, member, need, source)
);
