-- disbursement follows the register month by month (issue 9).

-- A payee may be suspended: kept on the register, paid nothing.
ALTER TABLE payee DROP CONSTRAINT IF EXISTS payee_status_check;
ALTER TABLE payee ADD CONSTRAINT payee_status_check CHECK (status IN
	('active', 'gradual_exit', 'suspended', 'exited'));

-- What the register says for each month, per payee: a row holds from
-- its first_month until the next row's first_month. A monthly run for
-- period P pays what the row in force for P says: monthly_fen while
-- active (until until_month when set) or in gradual exit (until
-- until_month inclusive), nothing when suspended or exited. A change
-- from first_month F replaces every row from F on, so that a change that
-- arrives late still applies from its first month. noted_at is when the
-- change arrived (NULL for a row without a first month of its own, which
-- restates the payee's whole history: issue 8's events).
CREATE TABLE payee_month (
	payee_id    bigint NOT NULL REFERENCES payee (id),
	first_month text NOT NULL CHECK (first_month ~ '^[0-9]{4}-[0-9]{2}$'),
	status      text NOT NULL CHECK (status IN ('active', 'gradual_exit',
	            'suspended', 'exited')),
	monthly_fen bigint NOT NULL CHECK (monthly_fen >= 0),
	until_month text CHECK (until_month ~ '^[0-9]{4}-[0-9]{2}$'),
	members     integer NOT NULL DEFAULT 0 CHECK (members >= 0),
	cause       integer NOT NULL DEFAULT 0,
	noted_at    timestamptz,
	PRIMARY KEY (payee_id, first_month)
);
INSERT INTO payee_month (payee_id, first_month, status, monthly_fen,
	until_month)
SELECT id, from_month, status, monthly_fen, until_month FROM payee;

-- The month's price subsidy (price_subsidy.decided from approval): for a
-- month with applies, per_person_fen × members to every payee whose
-- category (sn.assist.v1.Category) is in categories.
CREATE TABLE price_subsidy (
	month          text PRIMARY KEY CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
	applies        boolean NOT NULL,
	per_person_fen bigint NOT NULL CHECK (per_person_fen >= 0),
	categories     integer[] NOT NULL DEFAULT '{}',
	policy_version text NOT NULL DEFAULT '',
	decided_by     text NOT NULL DEFAULT '',
	noted_at       timestamptz NOT NULL DEFAULT now()
);

-- The price subsidy is a fund of its own, with its own budget.
ALTER TABLE budget DROP CONSTRAINT IF EXISTS budget_fund_check;
ALTER TABLE budget ADD CONSTRAINT budget_fund_check CHECK (fund IN
	('dibao', 'tekun', 'emergency', 'price_subsidy'));
ALTER TABLE payment DROP CONSTRAINT IF EXISTS payment_fund_check;
ALTER TABLE payment ADD CONSTRAINT payment_fund_check CHECK (fund IN
	('dibao', 'tekun', 'emergency', 'price_subsidy'));
