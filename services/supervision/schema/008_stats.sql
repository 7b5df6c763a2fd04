-- Statistics across programmes (stats.h): the facts the figures sum,
-- kept by the stats hook as events are applied. pos is the position in
-- `events` of the event a row comes from: the household is that event's
-- household_id (households.h), read at query time because linking may
-- come later than the event.

-- Benefit payments (dibao, tekun, price_subsidy) from payment.scheduled
-- and payment.settled; only settled ones count (settled_pos set). A
-- payment counts on the first day of the month it pays for (period; a
-- back-payment carries its run's month), or on the district day of its
-- settlement when it has no period.
CREATE TABLE stats_payment (
	payment_id     text PRIMARY KEY,
	programme      text NOT NULL
	               CHECK (programme IN ('dibao', 'tekun', 'price_subsidy')),
	beneficiary_id text NOT NULL DEFAULT '',
	period         date,           -- the month paid for (its 1st); NULL: none
	township_code  text NOT NULL DEFAULT '',
	amount_fen     bigint NOT NULL,
	scheduled_pos  bigint,
	settled_pos    bigint,         -- NULL until payment.settled
	day            date,           -- the day it counts on, once settled
	-- The first settled payment of its beneficiary, programme and period:
	-- the one whose household's members count as person-times (a
	-- back-payment for a month already paid counts money only).
	first_of_period boolean NOT NULL DEFAULT false,
	CHECK ((day IS NULL) = (settled_pos IS NULL))
);
CREATE INDEX stats_payment_day ON stats_payment (day)
	WHERE settled_pos IS NOT NULL;
CREATE INDEX stats_payment_period ON stats_payment
	(beneficiary_id, programme, period) WHERE settled_pos IS NOT NULL;

-- The register over time: one row per beneficiary.changed, from the
-- month it applies to (first_month, else from_month). The register's word
-- on a month is the newest row (highest pos) applying to it or before.
CREATE TABLE stats_register (
	beneficiary_id text NOT NULL,
	pos            bigint NOT NULL,
	first_month    date NOT NULL,  -- the 1st of the month
	until_month    date,           -- the last month paid; NULL: open
	status         text NOT NULL,  -- active, gradual_exit, exited, ...
	category       text NOT NULL,  -- tekun, dibao, expenditure, low_income
	tier           text NOT NULL,  -- core, edge, universal
	members        integer NOT NULL,
	township_code  text NOT NULL DEFAULT '',
	PRIMARY KEY (beneficiary_id, pos)
);
CREATE INDEX stats_register_edge ON stats_register (beneficiary_id)
	WHERE category IN ('low_income', 'expenditure');

-- Every other fact, already whole when its event arrives: an emergency
-- grant (or an instalment of one), a reversal of a grant's failed payment
-- (negative amount, no person), and, when issue 13 publishes them,
-- special assistance and service projects' facts.
CREATE TABLE stats_fact (
	fact_id       text PRIMARY KEY,  -- "grant:<id>:<k>", "reversal:<id>"
	programme     text NOT NULL,
	category      text NOT NULL DEFAULT '',
	tier          text NOT NULL DEFAULT '',
	township_code text NOT NULL DEFAULT '',
	day           date NOT NULL,
	pos           bigint NOT NULL,
	hh_key        text NOT NULL,     -- counted as its own household
	                                 -- while the event is not linked
	persons       integer NOT NULL DEFAULT 0,
	amount_fen    bigint NOT NULL DEFAULT 0
);
CREATE INDEX stats_fact_day ON stats_fact (day);
