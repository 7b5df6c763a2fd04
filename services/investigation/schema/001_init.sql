-- investigation (入户调查): home-visit tasks and their reports.
--
-- A task is opened by an event (application.submitted: kind 'application',
-- origin_id the application id; review.requested: kind 'review', origin_id
-- the review id), at most one per (kind, origin_id). It is 'open' until its
-- report closes it ('closed') or the application is withdrawn
-- ('cancelled'). Members are copied from the event: the task is a frozen
-- picture of the household as declared, which the visit confirms.

CREATE TABLE task (
	id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	kind                text NOT NULL CHECK (kind IN ('application', 'review')),
	origin_id           text NOT NULL,
	application_id      text NOT NULL,
	review_id           text,
	status              text NOT NULL DEFAULT 'open'
	                    CHECK (status IN ('open', 'closed', 'cancelled')),
	registration        text NOT NULL,
	district_code       text NOT NULL,
	township_code       text NOT NULL,
	village_code        text NOT NULL,
	address             text NOT NULL,
	has_able_supporter  boolean NOT NULL,
	applicant_id_number text NOT NULL,
	-- The visit may not be dated before this: the application's acceptance
	-- date, or the day the review was requested.
	not_before          date NOT NULL,
	accepted_date       date,
	deadline_date       date,
	-- Declared monthly figures in fen (application tasks only: a review
	-- request carries none).
	wages_fen           bigint,
	business_fen        bigint,
	pensions_fen        bigint,
	other_income_fen    bigint,
	medical_fen         bigint,
	education_fen       bigint,
	housing_fen         bigint,
	employment_costs_fen bigint,
	requested_category  text,
	taken_in_by         text,
	reason              text,
	source_event        uuid,
	created_at          timestamptz NOT NULL DEFAULT now(),
	closed_at           timestamptz,
	cancelled_at        timestamptz,
	cancel_reason       text,
	UNIQUE (kind, origin_id),
	CHECK (village_code LIKE township_code || '%'),
	CHECK (township_code LIKE district_code || '%')
);
CREATE INDEX task_village ON task (village_code, status, created_at);
CREATE INDEX task_township ON task (township_code, status, created_at);
CREATE INDEX task_application ON task (application_id);

CREATE TABLE task_member (
	task_id          uuid NOT NULL REFERENCES task (id),
	ord              integer NOT NULL,
	id_number        text NOT NULL,
	name             text NOT NULL,
	relation         text NOT NULL,
	birth_date       text NOT NULL,
	labour_capacity  text NOT NULL,
	disability_grade integer NOT NULL,
	self_care        text NOT NULL,
	PRIMARY KEY (task_id, ord),
	UNIQUE (task_id, id_number)
);

-- One report per task; it closes the task. Exactly two investigators.
CREATE TABLE report (
	task_id           uuid PRIMARY KEY REFERENCES task (id),
	submitted_by      text NOT NULL,
	investigator1     text NOT NULL,
	investigator1_idn text NOT NULL,
	investigator2     text NOT NULL,
	investigator2_idn text NOT NULL,
	visit_date        date NOT NULL,
	members           jsonb NOT NULL,  -- [{"id_number", "present"}]
	living_conditions text NOT NULL,
	housing_condition text NOT NULL,
	contradictions    jsonb NOT NULL,  -- ["..."]
	recommendation    text NOT NULL
	                  CHECK (recommendation IN ('approve', 'reject',
	                                            'further_review')),
	created_at        timestamptz NOT NULL DEFAULT now(),
	CHECK (investigator1 <> investigator2),
	CHECK (investigator1_idn <> investigator2_idn)
);

-- A task as the API shows it (GET /tasks, GET /tasks/{id}, the answer to
-- a report). Money stays bigint, so JSON carries exact integers.
CREATE VIEW task_doc AS
SELECT t.id, t.status, t.village_code, t.township_code, t.created_at,
	json_build_object(
		'id', t.id,
		'kind', t.kind,
		'application_id', t.application_id,
		'review_id', t.review_id,
		'status', t.status,
		'household', json_build_object(
			'registration', t.registration,
			'district_code', t.district_code,
			'township_code', t.township_code,
			'village_code', t.village_code,
			'address', t.address,
			'has_able_supporter', t.has_able_supporter),
		'members', (SELECT coalesce(json_agg(json_build_object(
				'id_number', m.id_number,
				'name', m.name,
				'relation', m.relation,
				'birth_date', m.birth_date,
				'labour_capacity', m.labour_capacity,
				'disability_grade', m.disability_grade,
				'self_care', m.self_care) ORDER BY m.ord), '[]'::json)
			FROM task_member m WHERE m.task_id = t.id),
		'declared', CASE WHEN t.kind = 'application' THEN json_build_object(
			'income', json_build_object(
				'wages_fen', t.wages_fen,
				'business_fen', t.business_fen,
				'pensions_fen', t.pensions_fen,
				'other_fen', t.other_income_fen),
			'expenditure', json_build_object(
				'medical_fen', t.medical_fen,
				'education_fen', t.education_fen,
				'housing_fen', t.housing_fen,
				'employment_costs_fen', t.employment_costs_fen),
			'requested_category', t.requested_category) END,
		'accepted_date', to_char(t.accepted_date, 'YYYY-MM-DD'),
		'deadline_date', to_char(t.deadline_date, 'YYYY-MM-DD'),
		'visit_not_before', to_char(t.not_before, 'YYYY-MM-DD'),
		'reason', t.reason,
		'created_at', to_char(t.created_at AT TIME ZONE 'UTC',
			'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
		'closed_at', to_char(t.closed_at AT TIME ZONE 'UTC',
			'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
		'cancelled_at', to_char(t.cancelled_at AT TIME ZONE 'UTC',
			'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
		'cancel_reason', t.cancel_reason,
		'report', (SELECT json_build_object(
				'submitted_by', r.submitted_by,
				'investigators', json_build_array(
					json_build_object('user_id', r.investigator1,
						'id_number', r.investigator1_idn),
					json_build_object('user_id', r.investigator2,
						'id_number', r.investigator2_idn)),
				'visit_date', to_char(r.visit_date, 'YYYY-MM-DD'),
				'members', r.members,
				'living_conditions', r.living_conditions,
				'housing_condition', r.housing_condition,
				'contradictions', r.contradictions,
				'recommendation', r.recommendation,
				'submitted_at', to_char(r.created_at AT TIME ZONE 'UTC',
					'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
			FROM report r WHERE r.task_id = t.id)
	) AS doc
FROM task t;
