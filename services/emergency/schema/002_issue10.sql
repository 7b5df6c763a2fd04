-- Issue 10: grants add up within a rolling window (per person and per
-- household), transitional aid paid in monthly instalments, lists paged.

-- The household a grant names besides the person (other members' id
-- numbers), and every id number of the grant (the person first): two
-- grants are of one household when their people overlap.
ALTER TABLE grants
	ADD COLUMN household_id_numbers text[] NOT NULL DEFAULT '{}',
	ADD COLUMN people text[] GENERATED ALWAYS AS
		(array_prepend(id_number, household_id_numbers)) STORED,
	-- single: paid at once; transitional (过渡性生活救助): amount_fen is
	-- instalments x monthly_fen, debited at the grant, paid monthly.
	ADD COLUMN kind text NOT NULL DEFAULT 'single'
		CHECK (kind IN ('single', 'transitional')),
	ADD COLUMN instalments integer NOT NULL DEFAULT 0,
	ADD COLUMN monthly_fen bigint,
	-- What the fund was credited back (failed payments): a grant counts
	-- in the window with amount_fen - reversed_fen.
	ADD COLUMN reversed_fen bigint NOT NULL DEFAULT 0
		CHECK (reversed_fen >= 0),
	-- Why a grant within the per-grant limit still waits: the window's
	-- sum with it, and the earlier grants counted.
	ADD COLUMN window_sum_fen bigint,
	ADD COLUMN window_grants uuid[],
	ADD COLUMN list_seq bigint GENERATED ALWAYS AS IDENTITY,
	ADD CHECK ((kind = 'single' AND instalments = 0 AND monthly_fen IS NULL)
		OR (kind = 'transitional' AND instalments >= 2
		AND monthly_fen > 0 AND amount_fen = instalments * monthly_fen)),
	ADD CHECK (reversed_fen <= amount_fen);
UPDATE grants SET reversed_fen = amount_fen WHERE status = 'payment_failed';
CREATE UNIQUE INDEX grants_list_seq ON grants (list_seq);
CREATE INDEX grants_people ON grants USING gin (people);

-- A transitional grant's schedule: one row per instalment, written when
-- the fund is debited. scheduled → published (emergency.granted for it,
-- once: the update and the outbox row share a transaction) → paid or
-- failed (that instalment credited back).
CREATE TABLE instalment (
	grant_id       uuid NOT NULL REFERENCES grants (id),
	instalment     integer NOT NULL CHECK (instalment >= 1),
	month          text NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
	amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
	status         text NOT NULL DEFAULT 'scheduled' CHECK (status IN
	               ('scheduled', 'published', 'paid', 'failed')),
	published_at   timestamptz,
	payment_id     text,
	paid_at        timestamptz,
	settled_at     text,
	failed_at      timestamptz,
	failure_code   text,
	failure_reason text,
	PRIMARY KEY (grant_id, instalment),
	CHECK ((status = 'scheduled') = (published_at IS NULL))
);
CREATE INDEX instalment_due ON instalment (month) WHERE status = 'scheduled';

-- A reversal is per instalment (0: the whole grant).
ALTER TABLE ledger ADD COLUMN instalment integer NOT NULL DEFAULT 0;
DROP INDEX ledger_one_reversal;
CREATE UNIQUE INDEX ledger_one_reversal ON ledger (grant_id, instalment)
	WHERE movement = 'reversal';

ALTER TABLE fund ADD COLUMN list_seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX fund_list_seq ON fund (list_seq);
ALTER TABLE referral ADD COLUMN list_seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX referral_list_seq ON referral (list_seq);

CREATE OR REPLACE FUNCTION grant_json(g grants) RETURNS json LANGUAGE sql
STABLE AS $$
SELECT json_build_object(
	'id', g.id,
	'status', g.status,
	'kind', g.kind,
	'township_code', g.township_code,
	'village_code', g.village_code,
	'person', json_build_object('id_number', g.id_number, 'name', g.name),
	'household_id_numbers', to_json(g.household_id_numbers),
	'cause', g.cause,
	'description', g.description,
	'household_size', g.household_size,
	'amount_fen', g.amount_fen,
	'instalments', g.instalments,
	'monthly_amount_fen', g.monthly_fen,
	'reversed_fen', g.reversed_fen,
	'payee', json_build_object('bank_code', g.bank_code,
		'account_number', g.account_number,
		'account_name', g.account_name),
	'granted_by', g.granted_by,
	'approved_by', g.approved_by,
	'rejected_by', g.rejected_by,
	'decision_reason', g.decision_reason,
	'window', CASE WHEN g.window_sum_fen IS NULL THEN NULL
		ELSE json_build_object('sum_fen', g.window_sum_fen,
		'grants', to_json(g.window_grants)) END,
	'created_at', ts_json(g.created_at),
	'decided_at', ts_json(g.decided_at),
	'granted_at', ts_json(g.granted_at),
	'payment', CASE WHEN g.payment_id IS NULL THEN NULL
		ELSE json_build_object('payment_id', g.payment_id,
		'paid_at', ts_json(g.paid_at), 'settled_at', g.settled_at,
		'failed_at', ts_json(g.failed_at),
		'failure_code', g.failure_code,
		'failure_reason', g.failure_reason) END,
	'schedule', CASE WHEN g.kind = 'single' THEN NULL
		ELSE (SELECT coalesce(json_agg(json_build_object(
		'instalment', i.instalment, 'month', i.month,
		'amount_fen', i.amount_fen, 'status', i.status,
		'published_at', ts_json(i.published_at),
		'payment_id', i.payment_id, 'paid_at', ts_json(i.paid_at),
		'failed_at', ts_json(i.failed_at),
		'failure_code', i.failure_code) ORDER BY i.instalment), '[]')
		FROM instalment i WHERE i.grant_id = g.id) END)
$$;
