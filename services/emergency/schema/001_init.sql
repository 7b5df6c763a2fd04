-- emergency (救急难): township reserve funds (临时救助备用金), their
-- immutable ledger, emergency grants, referrals, and what the service
-- learns of the chain that follows a referral (intake's applications,
-- approval's decisions).

-- One reserve fund per township. The balance is never negative: every
-- debit is one conditional UPDATE (balance_fen >= amount) and the CHECK
-- below refuses anything that slips past.
CREATE TABLE fund (
	township_code text PRIMARY KEY CHECK (township_code ~ '^[0-9]{9}$'),
	balance_fen   bigint NOT NULL DEFAULT 0 CHECK (balance_fen >= 0),
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Every movement of a fund, with the balance after it. Append-only: the
-- triggers below refuse UPDATE, DELETE and TRUNCATE. The amounts of a
-- fund's rows sum to its balance; settlement rows move nothing (0).
CREATE TABLE ledger (
	id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	seq               bigserial UNIQUE,
	township_code     text NOT NULL REFERENCES fund (township_code),
	movement          text NOT NULL CHECK (movement IN ('allocation',
	                  'grant', 'reversal', 'settlement')),
	amount_fen        bigint NOT NULL,
	balance_after_fen bigint NOT NULL CHECK (balance_after_fen >= 0),
	grant_id          uuid,
	settlement_year   integer,
	note              text,
	actor             text NOT NULL,
	-- The clock at the insert, which comes after the fund row's lock:
	-- a fund's rows are in the same order by seq and by created_at.
	created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
	CHECK (CASE movement
		WHEN 'allocation' THEN amount_fen > 0 AND grant_id IS NULL
		WHEN 'grant' THEN amount_fen < 0 AND grant_id IS NOT NULL
		WHEN 'reversal' THEN amount_fen > 0 AND grant_id IS NOT NULL
		ELSE amount_fen = 0 AND settlement_year IS NOT NULL END)
);
CREATE INDEX ledger_fund ON ledger (township_code, seq);
-- A grant is debited once and reversed at most once; a fund is settled
-- once per year.
CREATE UNIQUE INDEX ledger_one_debit ON ledger (grant_id)
	WHERE movement = 'grant';
CREATE UNIQUE INDEX ledger_one_reversal ON ledger (grant_id)
	WHERE movement = 'reversal';
CREATE UNIQUE INDEX ledger_one_settlement ON ledger (township_code,
	settlement_year) WHERE movement = 'settlement';

CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the reserve-fund ledger is append-only (% refused)',
		TG_OP USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON ledger
	FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable();

-- Emergency grants. status: awaiting_approval (above the limit, nothing
-- debited) → granted (debited, emergency.granted published) or rejected;
-- granted → paid (payment.settled) or payment_failed (payment.failed:
-- reversed in the ledger, for follow-up).
CREATE TABLE grants (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	status          text NOT NULL CHECK (status IN ('awaiting_approval',
	                'granted', 'rejected', 'paid', 'payment_failed')),
	township_code   text NOT NULL CHECK (township_code ~ '^[0-9]{9}$'),
	village_code    text NOT NULL CHECK (village_code ~ '^[0-9]{12}$'),
	id_number       text NOT NULL,
	name            text NOT NULL,
	cause           text NOT NULL CHECK (cause IN ('accident',
	                'major_illness', 'disaster', 'fire', 'other')),
	description     text NOT NULL,
	household_size  integer NOT NULL CHECK (household_size BETWEEN 1 AND 20),
	amount_fen      bigint NOT NULL CHECK (amount_fen > 0),
	bank_code       text NOT NULL,
	account_number  text NOT NULL,
	account_name    text NOT NULL,
	granted_by      text NOT NULL,   -- the township officer who asked
	approved_by     text,            -- the district approver, above the limit
	rejected_by     text,            -- the district approver who refused
	decision_reason text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	decided_at      timestamptz,     -- approval or rejection
	granted_at      timestamptz,     -- when the fund was debited
	payment_id      text,
	paid_at         timestamptz,     -- payment.settled applied
	settled_at      text,            -- as the bank reported it
	failed_at       timestamptz,     -- payment.failed applied
	failure_code    text,
	failure_reason  text,
	CHECK (village_code LIKE township_code || '%'),
	CHECK ((status = 'awaiting_approval' OR status = 'rejected')
		= (granted_at IS NULL))
);
CREATE INDEX grants_status ON grants (status, township_code, created_at);
CREATE INDEX grants_person ON grants (id_number, created_at);
CREATE INDEX grants_granted ON grants (granted_at) WHERE granted_at IS NOT NULL;

-- Referrals after the immediate help; one per grant and kind.
CREATE TABLE referral (
	id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	grant_id    uuid NOT NULL REFERENCES grants (id),
	kind        text NOT NULL CHECK (kind IN ('medical', 'housing',
	            'education', 'employment', 'dibao', 'tekun')),
	department  text,
	note        text,
	created_by  text NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	UNIQUE (grant_id, kind),
	CHECK (kind IN ('dibao', 'tekun') OR department IS NOT NULL)
);

-- From intake: an application submitted from a referral (its referral_id),
-- and whether it was withdrawn. Kept even when the referral id is not
-- ours (a typo stays visible rather than lost).
CREATE TABLE referral_application (
	application_id text PRIMARY KEY,
	referral_id    text NOT NULL,
	taken_in_by    text,
	accepted_date  text,
	submitted_at   timestamptz NOT NULL DEFAULT now(),
	withdrawn_at   timestamptz,
	withdraw_reason text
);
CREATE INDEX referral_application_ref ON referral_application (referral_id);

-- From approval: every application's decision (intake's and approval's
-- streams are not ordered against each other, so a decision may arrive
-- before we know its application came from a referral). The latest wins.
CREATE TABLE decision (
	application_id     text PRIMARY KEY,
	case_id            text,
	approved           boolean NOT NULL,
	category           text,
	monthly_amount_fen bigint NOT NULL,
	effective_month    text,
	decided_by         text,
	reason             text,
	decided_at         timestamptz NOT NULL
);

-- Year-end settlement of a fund: the year's report, once per fund and year.
CREATE TABLE settlement (
	township_code   text NOT NULL REFERENCES fund (township_code),
	year            integer NOT NULL,
	opening_fen     bigint NOT NULL,
	allocated_fen   bigint NOT NULL,
	granted_fen     bigint NOT NULL,
	reversed_fen    bigint NOT NULL,
	closing_fen     bigint NOT NULL,
	ledger_entry_id uuid NOT NULL REFERENCES ledger (id),
	settled_by      text NOT NULL,
	created_at      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (township_code, year),
	CHECK (opening_fen + allocated_fen - granted_fen + reversed_fen
		= closing_fen)
);

CREATE FUNCTION ts_json(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- A grant as the API shows it. Takes the row so that a statement can
-- render the row it has just written (ROW(g.*)::grants).
CREATE FUNCTION grant_json(g grants) RETURNS json LANGUAGE sql STABLE AS $$
SELECT json_build_object(
	'id', g.id,
	'status', g.status,
	'township_code', g.township_code,
	'village_code', g.village_code,
	'person', json_build_object('id_number', g.id_number, 'name', g.name),
	'cause', g.cause,
	'description', g.description,
	'household_size', g.household_size,
	'amount_fen', g.amount_fen,
	'payee', json_build_object('bank_code', g.bank_code,
		'account_number', g.account_number,
		'account_name', g.account_name),
	'granted_by', g.granted_by,
	'approved_by', g.approved_by,
	'rejected_by', g.rejected_by,
	'decision_reason', g.decision_reason,
	'created_at', ts_json(g.created_at),
	'decided_at', ts_json(g.decided_at),
	'granted_at', ts_json(g.granted_at),
	'payment', CASE WHEN g.payment_id IS NULL THEN NULL
		ELSE json_build_object('payment_id', g.payment_id,
		'paid_at', ts_json(g.paid_at), 'settled_at', g.settled_at,
		'failed_at', ts_json(g.failed_at),
		'failure_code', g.failure_code,
		'failure_reason', g.failure_reason) END)
$$;
