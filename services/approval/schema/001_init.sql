-- approval's tables (issue 3). Money is bigint fen; dates are date; stage,
-- category and tier are stored by their lower/upper-case names as the API
-- shows them (stage 'VILLAGE_REVIEW', category 'dibao', tier 'core').

-- Standards, versioned by the date from which they apply. A version never
-- changes once added: the trigger below refuses UPDATE and DELETE, and the
-- API refuses to add one that would start on or before today.
CREATE TABLE policy_version (
	version                    text PRIMARY KEY,
	effective_from             date NOT NULL UNIQUE,
	urban_min_fen              bigint NOT NULL CHECK (urban_min_fen > 0),
	rural_min_fen              bigint NOT NULL CHECK (rural_min_fen > 0),
	urban_basic_fen            bigint NOT NULL CHECK (urban_basic_fen > 0),
	rural_basic_fen            bigint NOT NULL CHECK (rural_basic_fen > 0),
	care_able_fen              bigint NOT NULL CHECK (care_able_fen >= 0),
	care_partially_able_fen    bigint NOT NULL CHECK (care_partially_able_fen >= 0),
	care_unable_fen            bigint NOT NULL CHECK (care_unable_fen >= 0),
	low_income_factor_percent  bigint NOT NULL CHECK (low_income_factor_percent >= 100),
	asset_multiple             bigint NOT NULL CHECK (asset_multiple > 0),
	max_homes                  bigint NOT NULL CHECK (max_homes >= 0),
	business_capital_limit_fen bigint NOT NULL CHECK (business_capital_limit_fen >= 0),
	created_by                 text NOT NULL DEFAULT 'migration',
	created_at                 timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION policy_version_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'policy versions are immutable';
END;
$$;
CREATE TRIGGER policy_version_immutable BEFORE UPDATE OR DELETE
	ON policy_version FOR EACH ROW EXECUTE FUNCTION policy_version_immutable();

-- Design section 6's defaults; care standards are ours (documented in
-- handlers.h).
INSERT INTO policy_version (version, effective_from, urban_min_fen,
	rural_min_fen, urban_basic_fen, rural_basic_fen, care_able_fen,
	care_partially_able_fen, care_unable_fen, low_income_factor_percent,
	asset_multiple, max_homes, business_capital_limit_fen)
VALUES ('2026-01', '2026-01-01', 83000, 63000, 142000, 100000, 15000,
	50000, 120000, 150, 24, 1, 5000000);

-- What the three upstream streams said, keyed by application id, stored as
-- it arrives (in any order across streams). data is the event's protobuf.
CREATE TABLE submitted (
	application_id text PRIMARY KEY,
	data           bytea NOT NULL,
	accepted_date  date NOT NULL,
	district_code  text NOT NULL,
	township_code  text NOT NULL,
	village_code   text NOT NULL,
	taken_in_by    text NOT NULL,
	member_ids     text[] NOT NULL,
	summary        jsonb NOT NULL,
	received_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE verification (
	application_id text PRIMARY KEY,
	complete       boolean NOT NULL,
	missing        text[] NOT NULL,
	attempt        integer NOT NULL,
	data           bytea NOT NULL,
	facts          jsonb NOT NULL,
	received_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE investigation (
	application_id text PRIMARY KEY,
	investigators  text[] NOT NULL,
	report         jsonb NOT NULL,
	received_at    timestamptz NOT NULL DEFAULT now()
);

-- One case per application; the case id is the application id.
CREATE TABLE cases (
	case_id            text PRIMARY KEY,
	stage              text NOT NULL,
	stage_reason       text NOT NULL DEFAULT '',
	accepted_date      date NOT NULL,
	deadline_date      date NOT NULL,
	district_code      text NOT NULL,
	township_code      text NOT NULL,
	village_code       text NOT NULL,
	overdue            boolean NOT NULL DEFAULT false,
	overdue_at         timestamptz,
	policy_version     text,
	category           text,
	tier               text,
	monthly_amount_fen bigint,
	tekun_amount_fen   bigint,
	dibao_amount_fen   bigint,
	referrals          text[],
	computation        jsonb,
	decided_approved   boolean,
	decided_category   text,
	decided_by         text,
	decided_at         timestamptz,
	spot_check         boolean,
	opened_at          timestamptz NOT NULL DEFAULT now(),
	updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_township ON cases (township_code, stage);
CREATE INDEX cases_open_deadline ON cases (deadline_date) WHERE NOT overdue;

-- Who did what, when: every stage change, step and refusal.
CREATE TABLE case_timeline (
	id         bigserial PRIMARY KEY,
	case_id    text NOT NULL,
	at         timestamptz NOT NULL DEFAULT now(),
	actor      text NOT NULL,
	action     text NOT NULL,
	from_stage text,
	to_stage   text,
	reason     text NOT NULL DEFAULT '',
	detail     jsonb
);
CREATE INDEX case_timeline_case ON case_timeline (case_id, id);

-- The users who acted on a case (segregation of duties: once each).
CREATE TABLE case_actors (
	case_id text NOT NULL,
	user_id text NOT NULL,
	step    text NOT NULL,
	at      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (case_id, user_id)
);

-- Every refused step, with why.
CREATE TABLE refusals (
	id      bigserial PRIMARY KEY,
	case_id text NOT NULL,
	user_id text NOT NULL,
	role    text NOT NULL,
	step    text NOT NULL,
	code    text NOT NULL,
	at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refusals_case ON refusals (case_id);

-- The register of beneficiary households.
CREATE TABLE beneficiaries (
	beneficiary_id     text PRIMARY KEY,
	application_id     text NOT NULL UNIQUE,
	status             text NOT NULL,
	category           text NOT NULL,
	tier               text NOT NULL,
	monthly_amount_fen bigint NOT NULL,
	bank_code          text NOT NULL,
	account_number     text NOT NULL,
	account_name       text NOT NULL,
	from_month         text NOT NULL,
	until_month        text NOT NULL DEFAULT '',
	approved_by        text NOT NULL,
	district_code      text NOT NULL,
	township_code      text NOT NULL,
	village_code       text NOT NULL,
	head_id_number     text NOT NULL,
	head_name          text NOT NULL,
	member_ids         text[] NOT NULL,
	created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX beneficiaries_township ON beneficiaries (township_code);
