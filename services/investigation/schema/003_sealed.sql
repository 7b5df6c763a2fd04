-- Issue 11: identity numbers sealed at rest (sn/seal.h). A migration has
-- no key: it adds the sealed (and, where uniqueness needs it, blind-index)
-- columns and lets the clear ones be NULL; investigation seals what is
-- still in clear at start-up (sn/sealdb.h, main.c) before it is ready,
-- and new rows never write the clear columns. The persons a report's
-- members name (report.members, jsonb) are sealed inside the document
-- by the service; reports stored before this migration keep theirs in
-- clear there.

ALTER TABLE task
	ADD COLUMN applicant_id_number_sealed text,
	ALTER COLUMN applicant_id_number DROP NOT NULL,
	ADD CONSTRAINT task_applicant_sealed CHECK
	    (applicant_id_number IS NOT NULL
	     OR applicant_id_number_sealed IS NOT NULL);

ALTER TABLE task_member
	ADD COLUMN id_number_sealed text,
	ADD COLUMN id_number_index text,
	ALTER COLUMN id_number DROP NOT NULL,
	DROP CONSTRAINT task_member_task_id_id_number_key,
	ADD CONSTRAINT task_member_task_id_index_key
	    UNIQUE (task_id, id_number_index),
	ADD CONSTRAINT task_member_sealed
	    CHECK (id_number IS NOT NULL OR id_number_sealed IS NOT NULL);

-- The two investigators stay different persons: by their indexes.
ALTER TABLE report
	ADD COLUMN investigator1_idn_sealed text,
	ADD COLUMN investigator1_idn_index text,
	ADD COLUMN investigator2_idn_sealed text,
	ADD COLUMN investigator2_idn_index text,
	ALTER COLUMN investigator1_idn DROP NOT NULL,
	ALTER COLUMN investigator2_idn DROP NOT NULL,
	ADD CONSTRAINT report_investigators_differ
	    CHECK (investigator1_idn_index <> investigator2_idn_index);

-- The document shows the sealed values under the same keys; the service
-- opens them before it answers (store.c).
CREATE OR REPLACE VIEW task_doc AS
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
				'id_number', m.id_number_sealed,
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
						'id_number', r.investigator1_idn_sealed),
					json_build_object('user_id', r.investigator2,
						'id_number', r.investigator2_idn_sealed)),
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
