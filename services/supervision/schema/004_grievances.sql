-- Grievances (grievances.h, issue 12 item 3): complaints about a
-- decision, an amount, a delay or a member of staff's conduct, recorded
-- by a clerk or taken from the 12388 platform, and every change to each.
CREATE TABLE grievances (
	-- The order lists page by (sn/page.h).
	no                bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	source            text NOT NULL CHECK (source IN ('clerk', '12388')),
	-- The platform's tip it came from: one grievance per tip, ever.
	tip_id            text UNIQUE,
	category          text NOT NULL
	                  CHECK (category IN ('decision', 'amount', 'delay',
	                                      'conduct')),
	subject_kind      text NOT NULL
	                  CHECK (subject_kind IN ('case', 'household', 'staff')),
	subject_id        text NOT NULL,
	-- Supervision's household id: the subject's when it is a household;
	-- for a case or staff subject, left for the households module.
	household_id      text,
	-- The jurisdiction of the staff member or the township of the case
	-- or household; '' when unknown (a tip about a subject supervision
	-- has not seen).
	complained_office text NOT NULL DEFAULT '',
	text              text NOT NULL,
	complainant       text NOT NULL DEFAULT '',
	received_on       date NOT NULL,
	deadline          date NOT NULL,
	state             text NOT NULL DEFAULT 'open'
	                  CHECK (state IN ('open', 'assigned', 'resolved',
	                                   'appealed')),
	office            text NOT NULL DEFAULT '',
	level             integer NOT NULL DEFAULT 0 CHECK (level IN (0, 1)),
	-- The office that decided at first instance, once appealed.
	first_office      text NOT NULL DEFAULT '',
	outcome           text NOT NULL DEFAULT ''
	                  CHECK (outcome IN ('', 'upheld', 'not_upheld')),
	outcome_note      text NOT NULL DEFAULT '',
	recorded_by       text NOT NULL,
	recorded_juris    text NOT NULL DEFAULT '',
	created_at        timestamptz NOT NULL DEFAULT now(),
	updated_at        timestamptz NOT NULL DEFAULT now(),
	CHECK (state = 'open' OR office <> ''),
	CHECK ((state = 'resolved') = (outcome <> ''))
);
CREATE INDEX grievances_subject ON grievances (subject_kind, subject_id);
CREATE INDEX grievances_due ON grievances (deadline)
	WHERE state <> 'resolved';

CREATE TABLE grievance_history (
	grievance_id uuid NOT NULL REFERENCES grievances (id),
	n            integer NOT NULL,
	at           timestamptz NOT NULL DEFAULT now(),
	actor        text NOT NULL,
	action       text NOT NULL,
	state        text NOT NULL,
	office       text NOT NULL,
	level        integer NOT NULL,
	outcome      text NOT NULL,
	note         text NOT NULL DEFAULT '',
	PRIMARY KEY (grievance_id, n)
);
