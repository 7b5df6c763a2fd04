-- Changes of circumstances of beneficiary households (issue 9): a clerk
-- records a reported change (POST /households/{id}/changes) and intake
-- publishes household.change_reported; approval opens an unscheduled
-- review from it.

-- A suspended household (issue 9) stays on the register: its members
-- stay held, as an active household's.
ALTER TABLE beneficiary_member DROP CONSTRAINT beneficiary_member_status_check;
ALTER TABLE beneficiary_member ADD CONSTRAINT beneficiary_member_status_check
	CHECK (status IN ('active', 'gradual_exit', 'suspended'));

-- Beneficiary households as approval's beneficiary.changed last said,
-- with the division codes that decide who may report a change: the
-- event's household, or else the application's. status 'exited' keeps
-- the household's past changes readable; only households on the register
-- ('active', 'gradual_exit', 'suspended') take new ones.
CREATE TABLE beneficiary_household (
	beneficiary_id text PRIMARY KEY,
	application_id text NOT NULL,
	status         text NOT NULL
	    CHECK (status IN ('active', 'gradual_exit', 'suspended', 'exited')),
	district_code  text NOT NULL,
	township_code  text NOT NULL,
	village_code   text NOT NULL,
	updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Households already on the register before this table existed.
INSERT INTO beneficiary_household (beneficiary_id, application_id, status,
	district_code, township_code, village_code)
SELECT DISTINCT ON (b.beneficiary_id) b.beneficiary_id, b.application_id,
	b.status, a.district_code, a.township_code, a.village_code
FROM beneficiary_member b JOIN application a ON a.id::text = b.application_id
WHERE a.township_code IS NOT NULL
ORDER BY b.beneficiary_id;

-- One reported change. details holds what the kind carries, as the
-- clerk gave it (income, expenditure, household, members).
CREATE TABLE household_change (
	change_id        uuid PRIMARY KEY,
	beneficiary_id   text NOT NULL,
	application_id   text NOT NULL,
	kind             text NOT NULL
	    CHECK (kind IN ('members', 'income', 'expenditure', 'address',
	                    'death', 'moved_out')),
	member_id_number text,
	effective_date   date NOT NULL,
	note             text NOT NULL DEFAULT '',
	details          jsonb NOT NULL DEFAULT '{}',
	reported_by      text NOT NULL,
	reported_on      date NOT NULL,
	created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX household_change_beneficiary
	ON household_change (beneficiary_id, created_at);
