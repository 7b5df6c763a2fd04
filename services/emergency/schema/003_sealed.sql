-- Issue 11: identity and account numbers sealed at rest (sn/seal.h). A
-- grant's id number, its household's and its account number are kept
-- sealed (the column's name as associated data, see sealed.h), with blind
-- indexes for the lookups: id_number_index (the person: the chain, the
-- figures' distinct persons) and grant_person (every person of a grant,
-- the person and the members: the window and its locks). A migration has
-- no key: the clear columns become nullable, and the service seals the
-- rows that still have a clear value at start-up (sn/sealdb.h), before it
-- reports ready, setting the clear value NULL. New rows never write the
-- clear columns. The household is sealed as one value, its id numbers
-- joined by commas.
ALTER TABLE grants
	ADD COLUMN id_number_sealed text,
	ADD COLUMN id_number_index text,
	ADD COLUMN household_sealed text,
	ADD COLUMN account_number_sealed text,
	ALTER COLUMN id_number DROP NOT NULL,
	ALTER COLUMN account_number DROP NOT NULL,
	ALTER COLUMN household_id_numbers DROP NOT NULL,
	ALTER COLUMN household_id_numbers DROP DEFAULT,
	ADD CHECK (id_number IS NOT NULL
		OR (id_number_sealed IS NOT NULL AND id_number_index IS NOT NULL)),
	ADD CHECK (account_number IS NOT NULL
		OR account_number_sealed IS NOT NULL);

-- Every person of a grant (the person and the members), by blind index
-- (the value itself is never read back: only the index is kept). The
-- rows of older grants start in clear and are sealed at start-up.
CREATE TABLE grant_person (
	grant_id     uuid NOT NULL REFERENCES grants (id),
	id_number    text,
	person_index text,
	CHECK (id_number IS NOT NULL OR person_index IS NOT NULL)
);
CREATE INDEX grant_person_index ON grant_person (person_index);
CREATE INDEX grant_person_grant ON grant_person (grant_id);
INSERT INTO grant_person (grant_id, id_number)
SELECT DISTINCT g.id, p FROM grants g, unnest(g.people) AS p;

DROP INDEX grants_person;
DROP INDEX grants_people;
ALTER TABLE grants DROP COLUMN people;
CREATE INDEX grants_person ON grants (id_number_index, created_at);

-- A grant as the API shows it, with its sealed values (the service opens
-- them before answering; a row not sealed yet shows its clear values).
CREATE OR REPLACE FUNCTION grant_json(g grants) RETURNS json LANGUAGE sql
STABLE AS $$
SELECT json_build_object(
	'id', g.id,
	'status', g.status,
	'kind', g.kind,
	'township_code', g.township_code,
	'village_code', g.village_code,
	'person', json_build_object('id_number',
		coalesce(g.id_number_sealed, g.id_number), 'name', g.name),
	'household_id_numbers', coalesce(to_json(g.household_sealed),
		to_json(g.household_id_numbers), '[]'),
	'cause', g.cause,
	'description', g.description,
	'household_size', g.household_size,
	'amount_fen', g.amount_fen,
	'instalments', g.instalments,
	'monthly_amount_fen', g.monthly_fen,
	'reversed_fen', g.reversed_fen,
	'payee', json_build_object('bank_code', g.bank_code,
		'account_number',
		coalesce(g.account_number_sealed, g.account_number),
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
