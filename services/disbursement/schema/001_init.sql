-- disbursement: payees, budget allocations, payment runs and their plans
-- (用款计划), payments and their bank instructions (issue 5).

-- Who is paid every month, learnt from approval's application.decided and
-- beneficiary.changed (keyed by the application: both events carry it).
-- fund is the budget the benefit is paid from (the category); a payee is
-- paid for every period from from_month to until_month (NULL: open) while
-- its status is active or gradual_exit. decided_by is the township
-- officer who decided the case: he may not approve a run that pays it.
CREATE TABLE payee (
	id             bigserial PRIMARY KEY,
	application_id text NOT NULL UNIQUE,
	beneficiary_id text,
	status         text NOT NULL CHECK (status IN ('active',
	               'gradual_exit', 'exited')),
	fund           text NOT NULL CHECK (fund IN ('dibao', 'tekun')),
	monthly_fen    bigint NOT NULL CHECK (monthly_fen >= 0),
	district_code  text NOT NULL DEFAULT '',
	township_code  text NOT NULL DEFAULT '',
	village_code   text NOT NULL DEFAULT '',
	bank_code      text NOT NULL DEFAULT '',
	account_number text NOT NULL DEFAULT '',
	account_name   text NOT NULL DEFAULT '',
	from_month     text NOT NULL CHECK (from_month ~ '^[0-9]{4}-[0-9]{2}$'),
	until_month    text CHECK (until_month ~ '^[0-9]{4}-[0-9]{2}$'),
	decided_by     text NOT NULL DEFAULT '',
	updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payee_decided_by ON payee (decided_by);

-- Each fund's budget for a year, allocated in advance (财政预拨). Every
-- payment draws on it in the transaction that creates it; drawn never
-- exceeds allocated for the benefit funds. The emergency fund's budget is
-- the townships' reserve funds, which the emergency service keeps and
-- never overdraws: its payments are recorded here as drawn, not gated.
CREATE TABLE budget (
	fund          text NOT NULL CHECK (fund IN ('dibao', 'tekun',
	              'emergency')),
	year          integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
	allocated_fen bigint NOT NULL DEFAULT 0 CHECK (allocated_fen >= 0),
	drawn_fen     bigint NOT NULL DEFAULT 0 CHECK (drawn_fen >= 0),
	updated_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (fund, year),
	CHECK (fund = 'emergency' OR drawn_fen <= allocated_fen)
);

-- Every allocation, append-only (the budget row holds the sum).
CREATE TABLE budget_allocation (
	id         bigserial PRIMARY KEY,
	fund       text NOT NULL,
	year       integer NOT NULL,
	amount_fen bigint NOT NULL CHECK (amount_fen > 0),
	actor      text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (fund, year) REFERENCES budget (fund, year)
);

-- A monthly payment run. building → awaiting_approval → approved →
-- sending → completed, or awaiting_approval → rejected (its payments are
-- then deleted and their budget given back, so that a new run can be
-- made for the period). built_upto is the last payee id whose chunk has
-- been committed: a build resumed after a crash goes on from there.
CREATE TABLE run (
	id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	period       text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
	status       text NOT NULL CHECK (status IN ('building',
	             'awaiting_approval', 'approved', 'rejected', 'sending',
	             'completed')),
	created_by   text NOT NULL,
	built_upto   bigint NOT NULL DEFAULT 0,
	payments     bigint NOT NULL DEFAULT 0,
	total_fen    bigint NOT NULL DEFAULT 0,
	short_count  bigint NOT NULL DEFAULT 0, -- not paid for lack of budget
	short_fen    bigint NOT NULL DEFAULT 0,
	decided_by   text,
	decision_reason text,
	created_at   timestamptz NOT NULL DEFAULT now(),
	built_at     timestamptz,
	decided_at   timestamptz,
	completed_at timestamptz
);
-- One live run per period.
CREATE UNIQUE INDEX run_one_per_period ON run (period)
	WHERE status <> 'rejected';

-- The payment plan (用款计划) of a run: counts and totals by fund and
-- township, written when the build ends.
CREATE TABLE run_plan (
	run_id        uuid NOT NULL REFERENCES run (id),
	fund          text NOT NULL,
	township_code text NOT NULL,
	payments      bigint NOT NULL,
	total_fen     bigint NOT NULL,
	PRIMARY KEY (run_id, fund, township_code)
);

-- Payments. One per payee, fund and period, never two (the UNIQUE below),
-- and one per emergency grant. status:
--   planned   in a run not yet approved
--   ready     to be sent (emergency payments at once, corrected ones)
--   sent      handed to the bank client under e2e_id; its fate unknown
--             until the bank answers (sender names the process; NULL once
--             that process gave up: then a status query finds out)
--   accepted  the bank took it; a status query follows until final
--   settled   credited (payment.settled)
--   rejected  refused by the bank (payment.failed), held for the
--             township to correct the account
-- e2e_id is generated once with the row and kept across every retry; a
-- corrected payment gets the next one (attempt + 1), since a rejected id
-- is final at the bank.
CREATE TABLE payment (
	id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	payee_id       bigint REFERENCES payee (id),
	grant_id       text UNIQUE,
	fund           text NOT NULL CHECK (fund IN ('dibao', 'tekun',
	               'emergency')),
	period         text,
	year           integer NOT NULL,
	run_id         uuid REFERENCES run (id),
	amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
	township_code  text NOT NULL DEFAULT '',
	bank_code      text NOT NULL DEFAULT '',
	account_number text NOT NULL DEFAULT '',
	account_name   text NOT NULL DEFAULT '',
	attempt        integer NOT NULL DEFAULT 1 CHECK (attempt BETWEEN 1 AND 99),
	e2e_id         text NOT NULL UNIQUE CHECK (length(e2e_id) <= 35),
	status         text NOT NULL CHECK (status IN ('planned', 'ready',
	               'sent', 'accepted', 'settled', 'rejected')),
	batch_id       text,
	sender         text,
	reason_code    text,
	reason         text,
	settled_at     text,
	created_at     timestamptz NOT NULL DEFAULT now(),
	sent_at        timestamptz,
	checked_at     timestamptz,
	finished_at    timestamptz,
	UNIQUE (payee_id, fund, period),
	CHECK ((payee_id IS NULL) <> (grant_id IS NULL))
);
CREATE INDEX payment_planned ON payment (run_id) WHERE status = 'planned';
CREATE INDEX payment_ready ON payment (fund, created_at) WHERE status = 'ready';
CREATE INDEX payment_inflight ON payment (checked_at NULLS FIRST)
	WHERE status IN ('sent', 'accepted');
CREATE INDEX payment_run ON payment (run_id, status);
CREATE INDEX payment_batch ON payment (batch_id) WHERE status = 'sent';

-- Instructions that are no longer a payment's current one: a rejected
-- end-to-end id replaced by a correction. With payment.e2e_id they are
-- every instruction ever made.
CREATE TABLE instruction_history (
	e2e_id        text PRIMARY KEY,
	payment_id    uuid NOT NULL REFERENCES payment (id),
	amount_fen    bigint NOT NULL,
	status        text NOT NULL,
	reason_code   text,
	account_number text NOT NULL,
	replaced_by   text NOT NULL,
	replaced_at   timestamptz NOT NULL DEFAULT now(),
	actor         text NOT NULL
);
CREATE INDEX instruction_history_payment ON instruction_history (payment_id);

-- The end-to-end id of attempt n of payment id: its 32 hex digits, '-',
-- the attempt (at most 35 characters).
CREATE FUNCTION e2e_of(id uuid, attempt integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT replace(id::text, '-', '') || '-' || attempt::text
$$;

CREATE FUNCTION ts_json(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- Protocol-buffer encoding, so that a statement creating or settling
-- thousands of payments writes their events (sn.pay.v1) into the outbox
-- in the same statement instead of one round trip each. Varints of
-- non-negative values only (lengths, tags, amounts, enums).
CREATE FUNCTION pb_varint(v bigint) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	out bytea := '\x'::bytea;
BEGIN
	LOOP
		IF v < 128 THEN
			RETURN out || set_byte('\x00'::bytea, 0, v::int);
		END IF;
		out := out || set_byte('\x00'::bytea, 0, ((v & 127) | 128)::int);
		v := v >> 7;
	END LOOP;
END $$;

-- Field tag of a string (length-delimited), empty for '' or NULL as
-- proto3 writes it.
CREATE FUNCTION pb_str(tag integer, s text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN s IS NULL OR s = '' THEN '\x'::bytea
	ELSE pb_varint(tag * 8 + 2) || pb_varint(octet_length(convert_to(s, 'UTF8')))
		|| convert_to(s, 'UTF8') END
$$;

CREATE FUNCTION pb_int(tag integer, v bigint) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN v IS NULL OR v = 0 THEN '\x'::bytea
	ELSE pb_varint(tag * 8) || pb_varint(v) END
$$;

CREATE FUNCTION pb_msg(tag integer, b bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
	SELECT pb_varint(tag * 8 + 2) || pb_varint(length(b)) || b
$$;

-- sn.pay.v1.Fund
CREATE FUNCTION pb_fund(fund text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE fund WHEN 'dibao' THEN 1 WHEN 'tekun' THEN 2
	WHEN 'emergency' THEN 3 ELSE 0 END::bigint
$$;

-- sn.pay.v1.PaymentRef of a payment.
CREATE FUNCTION pb_ref(p payment, beneficiary_id text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
	SELECT pb_str(1, p.grant_id) || pb_str(2, beneficiary_id)
		|| pb_str(3, p.period) || pb_str(4, p.run_id::text)
$$;

-- sn.pay.v1.PaymentScheduled
CREATE FUNCTION pb_scheduled(p payment, beneficiary_id text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
	SELECT pb_str(1, p.id::text) || pb_str(2, p.e2e_id)
		|| pb_int(3, pb_fund(p.fund)) || pb_int(4, p.amount_fen)
		|| pb_str(5, p.account_number) || pb_str(6, p.account_name)
		|| pb_msg(7, pb_ref(p, beneficiary_id))
		|| pb_str(8, p.township_code)
$$;

-- sn.pay.v1.PaymentSettled
CREATE FUNCTION pb_settled(p payment, beneficiary_id text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
	SELECT pb_str(1, p.id::text) || pb_str(2, p.e2e_id)
		|| pb_int(3, pb_fund(p.fund)) || pb_int(4, p.amount_fen)
		|| pb_msg(5, pb_ref(p, beneficiary_id)) || pb_str(6, p.settled_at)
$$;

-- sn.pay.v1.PaymentFailed
CREATE FUNCTION pb_failed(p payment, beneficiary_id text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
	SELECT pb_str(1, p.id::text) || pb_str(2, p.e2e_id)
		|| pb_int(3, pb_fund(p.fund)) || pb_int(4, p.amount_fen)
		|| pb_msg(5, pb_ref(p, beneficiary_id)) || pb_str(6, p.reason_code)
		|| pb_str(7, p.reason)
$$;
