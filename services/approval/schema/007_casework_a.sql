-- Issue 10 (approval-A): a returned case comes back (application.
-- resubmitted), an edge household's standing replaced by a new decision,
-- the rule a rejected household failed, payments seen on the register.

-- A case's revision: 1 as submitted, n after the (n-1)th resubmission.
-- verification.revision: the revision the stored answer is of; the join
-- reads it only when it equals the case's (an older answer is ignored).
ALTER TABLE cases ADD COLUMN revision integer NOT NULL DEFAULT 1
	CHECK (revision >= 1);
ALTER TABLE verification ADD COLUMN revision integer NOT NULL DEFAULT 1
	CHECK (revision >= 1);

-- Why the rules put a household in no category (rules.h
-- approval_rules_no_category): '' when they did put it in one.
ALTER TABLE cases ADD COLUMN rule_reason text NOT NULL DEFAULT '';

-- The submissions a resubmission replaced (submitted holds the current
-- one), kept for the case's history.
CREATE TABLE submitted_history (
	application_id text NOT NULL,
	revision       integer NOT NULL,
	data           bytea NOT NULL,
	summary        jsonb NOT NULL,
	member_ids     text[] NOT NULL,
	taken_in_by    text NOT NULL,
	replaced_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (application_id, revision)
);

-- Every application.resubmitted followed, once per (application,
-- revision): applied (the case was RETURNED and went back to GATHERING)
-- or ignored (with why).
CREATE TABLE resubmissions (
	application_id text NOT NULL,
	revision       integer NOT NULL,
	resubmitted_by text NOT NULL,
	amendment      text NOT NULL,
	outcome        text NOT NULL CHECK (outcome IN ('applied', 'ignored')),
	reason         text NOT NULL DEFAULT '',
	at             timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (application_id, revision)
);

-- The users who acted on an earlier round of a case: a resubmission
-- moves them here, so that the same village reviewer and township
-- officer may act on the amended case (the clerk who resubmitted may
-- not: recorded as an actor of the new round, step 'resubmission').
CREATE TABLE case_actors_earlier (
	case_id  text NOT NULL,
	user_id  text NOT NULL,
	step     text NOT NULL,
	at       timestamptz NOT NULL,
	revision integer NOT NULL
);
CREATE INDEX case_actors_earlier_case ON case_actors_earlier (case_id);

-- History causes: 'replaced' (a new decision ended an edge household's
-- standing, CHANGE_CAUSE_REPLACED) and 'payee' (the payee's account was
-- corrected, payee.changed; standing and amount unchanged).
ALTER TABLE beneficiary_history DROP CONSTRAINT beneficiary_history_cause_check;
ALTER TABLE beneficiary_history ADD CONSTRAINT beneficiary_history_cause_check
	CHECK (cause IN ('decision', 'review', 'change_report', 'rerating',
	'exit', 'death', 'moved', 'suspension', 'replaced', 'payee'));

-- payment.failed of a household's payments (once per payment id; a
-- later failure of the same payment replaces it), and the last one not
-- yet followed by a payee.changed (cleared then).
CREATE TABLE payment_failures (
	payment_id     text PRIMARY KEY,
	beneficiary_id text NOT NULL,
	period         text NOT NULL,
	reason_code    text NOT NULL,
	reason         text NOT NULL,
	failed_at      text NOT NULL,
	at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_failures_of ON payment_failures (beneficiary_id);
ALTER TABLE beneficiaries ADD COLUMN last_failure text
	REFERENCES payment_failures (payment_id);

-- payee.changed followed, once per (beneficiary, changed_at).
CREATE TABLE payee_changes (
	beneficiary_id text NOT NULL,
	changed_at     text NOT NULL,
	payment_id     text NOT NULL,
	requested_by   text NOT NULL,
	confirmed_by   text NOT NULL,
	at             timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (beneficiary_id, changed_at)
);
