-- Corrections (issue 9): a change of the register that arrives after a
-- month's run was approved applies from the next run, which corrects each
-- earlier month affected by the difference between what the register now
-- says for it and what was paid for it.
--
-- A back-payment (补发) is a payment line of its own: period is the run's,
-- corrects the month it corrects ('' for every other payment), so that a
-- payee, fund and period still have one ordinary payment, never two, and
-- at most one correction line per month corrected.
ALTER TABLE payment ADD COLUMN corrects text NOT NULL DEFAULT ''
	CHECK (corrects = '' OR corrects ~ '^[0-9]{4}-[0-9]{2}$');
ALTER TABLE payment DROP CONSTRAINT IF EXISTS payment_payee_id_fund_period_key;
ALTER TABLE payment ADD CONSTRAINT payment_line_key
	UNIQUE (payee_id, fund, period, corrects);

-- A recovery (追回): what was overpaid for the month corrected, found by
-- the run of period. It is never a payment: it is netted against the
-- payee's ordinary payments of this run and the next ones (netting), never
-- below zero; what is not netted yet carries forward.
CREATE TABLE recovery (
	payee_id   bigint NOT NULL REFERENCES payee (id),
	fund       text NOT NULL,
	period     text NOT NULL,
	corrects   text NOT NULL,
	run_id     uuid NOT NULL REFERENCES run (id),
	amount_fen bigint NOT NULL CHECK (amount_fen > 0),
	PRIMARY KEY (payee_id, fund, period, corrects)
);

-- What was netted from a payee's ordinary payment of period (its payment
-- is the register's amount less this; none when netted to nothing). The
-- month counts as paid in full.
CREATE TABLE netting (
	payee_id   bigint NOT NULL REFERENCES payee (id),
	fund       text NOT NULL,
	period     text NOT NULL,
	run_id     uuid NOT NULL REFERENCES run (id),
	amount_fen bigint NOT NULL CHECK (amount_fen > 0),
	PRIMARY KEY (payee_id, fund, period)
);
CREATE INDEX recovery_run ON recovery (run_id);
CREATE INDEX netting_run ON netting (run_id);

-- The plan (用款计划) counts back-payments among a row's payments and
-- total, and says how many of them there are; recoveries and what was
-- netted are the plan's "corrections" (GET /runs/{id}/plan).
ALTER TABLE run_plan ADD COLUMN back_payments bigint NOT NULL DEFAULT 0;
ALTER TABLE run_plan ADD COLUMN back_fen bigint NOT NULL DEFAULT 0;
