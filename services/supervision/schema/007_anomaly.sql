-- Anomaly rules and alerts (anomaly.h; issue 12 item 5).

-- An alert's id is made from its key, so the same finding has the same
-- id however often (and in however many databases) it is found.
CREATE FUNCTION anomaly_alert_id(p_rule text, p_subject text, p_period text)
RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT md5(p_rule || chr(31) || p_subject || chr(31) || p_period)::uuid
$$;

CREATE TABLE alerts (
	n            bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- paging key
	id           uuid PRIMARY KEY,
	rule         text NOT NULL,
	subject      text NOT NULL,
	period       text NOT NULL DEFAULT '',
	township     text NOT NULL DEFAULT '',
	household_id text NOT NULL DEFAULT '',
	severity     text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
	state        text NOT NULL DEFAULT 'open'
		CHECK (state IN ('open', 'assigned', 'closed')),
	assignee     text NOT NULL DEFAULT '',
	summary      text NOT NULL,
	evidence     jsonb NOT NULL CHECK (jsonb_typeof(evidence) = 'object'),
	opened_at    timestamptz NOT NULL DEFAULT now(),
	assigned_at  timestamptz,
	assigned_by  text NOT NULL DEFAULT '',
	closed_at    timestamptz,
	closed_by    text NOT NULL DEFAULT '',
	note         text NOT NULL DEFAULT '',
	UNIQUE (rule, subject, period),
	CHECK (id = anomaly_alert_id(rule, subject, period)),
	CHECK ((state = 'closed') = (closed_at IS NOT NULL)),
	CHECK (state <> 'closed' OR btrim(note) <> ''),
	CHECK (state <> 'assigned' OR assignee <> '')
);
CREATE INDEX alerts_state ON alerts (state, n);
CREATE INDEX alerts_township ON alerts (township, n);
CREATE INDEX alerts_rule ON alerts (rule, n);

-- Checks waiting for an event to be linked to its household
-- (households.h): (rule, key) is asked again by the periodic scan.
CREATE TABLE anomaly_todo (
	rule       text NOT NULL,
	key        text NOT NULL,
	added_at   timestamptz NOT NULL DEFAULT now(),
	checked_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (rule, key)
);
CREATE INDEX anomaly_todo_checked ON anomaly_todo (checked_at);

-- shared_account: each event naming a bank account, by the account's
-- blind index; the household is the event's (events.household_id).
CREATE TABLE anomaly_accounts (
	account_index text NOT NULL,
	pos           bigint NOT NULL REFERENCES events (pos),
	PRIMARY KEY (account_index, pos)
);

-- paid_after_death: deaths (a member's, person = its blind index; the
-- register's exit by death, person = '') and payments.
CREATE TABLE anomaly_deaths (
	pos     bigint PRIMARY KEY REFERENCES events (pos),
	person  text NOT NULL,
	died_on date NOT NULL
);
CREATE INDEX anomaly_deaths_person ON anomaly_deaths (person)
	WHERE person <> '';

CREATE TABLE anomaly_payments (
	pos        bigint PRIMARY KEY REFERENCES events (pos),
	kind       text NOT NULL CHECK (kind IN ('scheduled', 'settled',
		'granted')),
	payment_id text NOT NULL,         -- the grant's id for 'granted'
	period     text NOT NULL DEFAULT '', -- YYYY-MM of a month's benefit
	person     text NOT NULL DEFAULT '', -- a grant's person
	paid_on    date,                     -- a grant's district day
	amount_fen bigint NOT NULL,
	township   text NOT NULL DEFAULT ''
);

-- relative_conflict: staff actions by someone with an identity number.
CREATE TABLE anomaly_acts (
	pos          bigint PRIMARY KEY REFERENCES events (pos),
	actor_index  text NOT NULL,
	user_id      text NOT NULL,
	role         text NOT NULL,
	service      text NOT NULL,
	route        text NOT NULL,
	subject      text NOT NULL,
	status       integer NOT NULL,
	outcome_code text NOT NULL
);
CREATE INDEX anomaly_acts_actor ON anomaly_acts (actor_index);

-- grants_under_limit: grants (the first instalment of a transitional
-- one: its total), and the alerts each already counted in.
CREATE TABLE anomaly_grants (
	pos           bigint PRIMARY KEY REFERENCES events (pos),
	grant_id      text NOT NULL,
	officer       text NOT NULL,
	person        text NOT NULL,
	amount_fen    bigint NOT NULL,
	approved      boolean NOT NULL,
	granted_on    date NOT NULL,
	township      text NOT NULL,
	officer_alert uuid,
	person_alert  uuid
);
CREATE INDEX anomaly_grants_officer ON anomaly_grants (officer, granted_on)
	WHERE officer_alert IS NULL;
CREATE INDEX anomaly_grants_person ON anomaly_grants (person, granted_on)
	WHERE person_alert IS NULL;

-- fast_or_odd_hours: every step of every case, at the event's time.
CREATE TABLE anomaly_steps (
	pos        bigint PRIMARY KEY REFERENCES events (pos),
	case_id    text NOT NULL,
	from_stage text NOT NULL,
	to_stage   text NOT NULL,
	actor      text NOT NULL,
	at         timestamptz NOT NULL,
	township   text NOT NULL
);
CREATE INDEX anomaly_steps_case ON anomaly_steps (case_id, pos);

-- overdue: referrals and their answers (either may come first: they are
-- different publishers' streams).
CREATE TABLE anomaly_referrals (
	referral_id text PRIMARY KEY,
	pos         bigint NOT NULL REFERENCES events (pos),
	grant_id    text NOT NULL,
	kind        text NOT NULL,
	township    text NOT NULL,
	created_on  date NOT NULL
);
CREATE INDEX anomaly_referrals_created ON anomaly_referrals (created_on);

CREATE TABLE anomaly_referral_answers (
	referral_id text NOT NULL,
	pos         bigint NOT NULL REFERENCES events (pos),
	PRIMARY KEY (referral_id, pos)
);
