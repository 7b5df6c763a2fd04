-- Issue 15: a statement rendering a grant spent a third of PostgreSQL's
-- time parsing and planning SQL functions again. grant_json (its schedule is
-- a subquery) and ts_json (IMMUTABLE around to_char, which is STABLE) could
-- not be inlined, and PostgreSQL 15 parses a SQL function that is not
-- inlined once per execution of each statement calling it. ts_json is
-- STABLE now, as to_char is, so the planner inlines it; grant_json is
-- PL/pgSQL, whose expressions are planned once per connection, and
-- reads a schedule only for a grant paid in instalments.
CREATE OR REPLACE FUNCTION ts_json(t timestamptz) RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

CREATE OR REPLACE FUNCTION grant_json(g grants) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
	schedule json;
BEGIN
	IF g.kind IS DISTINCT FROM 'single' THEN
		SELECT coalesce(json_agg(json_build_object(
			'instalment', i.instalment, 'month', i.month,
			'amount_fen', i.amount_fen, 'status', i.status,
			'published_at', ts_json(i.published_at),
			'payment_id', i.payment_id, 'paid_at', ts_json(i.paid_at),
			'failed_at', ts_json(i.failed_at),
			'failure_code', i.failure_code) ORDER BY i.instalment), '[]')
			FROM instalment i WHERE i.grant_id = g.id
		INTO schedule;
	END IF;
	RETURN json_build_object(
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
		'schedule', schedule);
END
$$;
