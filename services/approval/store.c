/*
 * store.c - approval's SQL. See store.h.
 */
#include "store.h"

#define NP(a) ((int) (sizeof(a) / sizeof((a)[0])))

static const char SQL_PUT_SUBMITTED[]
    = "WITH s AS (INSERT INTO submitted (application_id, data, accepted_date,"
      " district_code, township_code, village_code, taken_in_by, member_ids,"
      " summary) VALUES ($1, decode($2, 'hex'), $3::date, $4, $5, $6, $7,"
      " string_to_array($8, ','), $9::jsonb)"
      " ON CONFLICT (application_id) DO NOTHING RETURNING application_id)"
      " INSERT INTO cases (case_id, stage, accepted_date, deadline_date,"
      " district_code, township_code, village_code)"
      " SELECT $1, 'GATHERING', $3::date, $3::date + $10::integer, $4, $5, $6"
      " FROM s ON CONFLICT (case_id) DO NOTHING";

sn_err
approval_store_put_submitted(sn_tx *tx, const approval_store_submitted *s)
{
	const char *v[] = { s->application_id, s->data_hex, s->accepted_date,
		s->district_code, s->township_code, s->village_code,
		s->taken_in_by, s->member_ids, s->summary_json,
		s->deadline_days };
	return sn_tx_query(tx, SQL_PUT_SUBMITTED, NP(v), v, NULL, NULL);
}

static const char SQL_WITHDRAW[]
    = "WITH old AS (SELECT case_id, stage FROM cases WHERE case_id = $1"
      " AND stage IN ('GATHERING', 'HELD', 'VILLAGE_REVIEW',"
      " 'TOWNSHIP_CONFIRM', 'RETURNED') FOR UPDATE)"
      " UPDATE cases c SET stage = 'WITHDRAWN', stage_reason = $2,"
      " updated_at = now() FROM old WHERE c.case_id = old.case_id"
      " RETURNING old.stage, c.township_code, c.case_id, $3::text";

sn_err
approval_store_withdraw(sn_tx *tx, const char *case_id, const char *reason,
    const char *actor, sn_query_fn cb, void *arg)
{
	const char *v[] = { case_id, reason, actor };
	return sn_tx_query(tx, SQL_WITHDRAW, NP(v), v, cb, arg);
}

static const char SQL_PUT_VERIFICATION[]
    = "INSERT INTO verification (application_id, complete, missing, attempt,"
      " data, facts) VALUES ($1, $2::boolean, string_to_array($3, ','),"
      " $4::integer, decode($5, 'hex'), $6::jsonb)"
      " ON CONFLICT (application_id) DO UPDATE SET complete = "
      "EXCLUDED.complete,"
      " missing = EXCLUDED.missing, attempt = EXCLUDED.attempt,"
      " data = EXCLUDED.data, facts = EXCLUDED.facts, received_at = now()";

sn_err
approval_store_put_verification(sn_tx *tx, const char *app_id,
    const char *complete, const char *missing, const char *attempt,
    const char *data_hex, const char *facts_json)
{
	const char *v[]
	    = { app_id, complete, missing, attempt, data_hex, facts_json };
	return sn_tx_query(tx, SQL_PUT_VERIFICATION, NP(v), v, NULL, NULL);
}

static const char SQL_PUT_INVESTIGATION[]
    = "INSERT INTO investigation (application_id, investigators, report)"
      " VALUES ($1, string_to_array($2, ','), $3::jsonb)"
      " ON CONFLICT (application_id) DO UPDATE SET"
      " investigators = EXCLUDED.investigators, report = EXCLUDED.report,"
      " received_at = now()";

sn_err
approval_store_put_investigation(sn_tx *tx, const char *app_id,
    const char *investigators, const char *report_json)
{
	const char *v[] = { app_id, investigators, report_json };
	return sn_tx_query(tx, SQL_PUT_INVESTIGATION, NP(v), v, NULL, NULL);
}

static const char SQL_LOCK_CASE[]
    = "SELECT pg_advisory_xact_lock(hashtext('approval.case'), hashtext($1))";

sn_err
approval_store_lock_case(sn_tx *tx, const char *case_id)
{
	const char *v[] = { case_id };
	return sn_tx_query(tx, SQL_LOCK_CASE, NP(v), v, NULL, NULL);
}

static const char SQL_GATHER[]
    = "SELECT c.stage, c.stage_reason, c.township_code, encode(s.data, 'hex'),"
      " v.complete, array_to_string(v.missing, ','), encode(v.data, 'hex'),"
      " (i.application_id IS NOT NULL), p.version, p.urban_min_fen,"
      " p.rural_min_fen, p.urban_basic_fen, p.rural_basic_fen,"
      " p.care_able_fen, p.care_partially_able_fen, p.care_unable_fen,"
      " p.low_income_factor_percent, p.asset_multiple, p.max_homes,"
      " p.business_capital_limit_fen, c.case_id"
      " FROM cases c JOIN submitted s ON s.application_id = c.case_id"
      " LEFT JOIN verification v ON v.application_id = c.case_id"
      " LEFT JOIN investigation i ON i.application_id = c.case_id"
      " LEFT JOIN LATERAL (SELECT * FROM policy_version q"
      "  WHERE q.effective_from <= s.accepted_date"
      "  ORDER BY q.effective_from DESC LIMIT 1) p ON true"
      " WHERE c.case_id = $1 AND c.stage IN ('GATHERING', 'HELD')";

sn_err
approval_store_gather(
    sn_tx *tx, const char *case_id, sn_query_fn cb, void *arg)
{
	const char *v[] = { case_id };
	return sn_tx_query(tx, SQL_GATHER, NP(v), v, cb, arg);
}

static const char SQL_SET_STAGE[]
    = "UPDATE cases SET stage = $2, stage_reason = $3, updated_at = now()"
      " WHERE case_id = $1";

sn_err
approval_store_set_stage(
    sn_tx *tx, const char *case_id, const char *stage, const char *reason)
{
	const char *v[] = { case_id, stage, reason };
	return sn_tx_query(tx, SQL_SET_STAGE, NP(v), v, NULL, NULL);
}

static const char SQL_SET_COMPUTED[]
    = "UPDATE cases SET stage = 'VILLAGE_REVIEW', stage_reason = '',"
      " policy_version = $2, category = $3, tier = NULLIF($4, ''),"
      " monthly_amount_fen = $5::bigint, tekun_amount_fen = $6::bigint,"
      " dibao_amount_fen = $7::bigint,"
      " referrals = string_to_array(NULLIF($8, ''), ','),"
      " computation = $9::jsonb, updated_at = now() WHERE case_id = $1";

sn_err
approval_store_set_computed(sn_tx *tx, const approval_store_computed *c)
{
	const char *v[] = { c->case_id, c->policy_version, c->category,
		c->tier, c->amount, c->tekun_amount, c->dibao_amount,
		c->referrals, c->computation_json };
	return sn_tx_query(tx, SQL_SET_COMPUTED, NP(v), v, NULL, NULL);
}

static const char SQL_TIMELINE[]
    = "INSERT INTO case_timeline (case_id, actor, action, from_stage,"
      " to_stage, reason, detail) VALUES ($1, $2, $3, $4, $5,"
      " coalesce($6, ''), $7::jsonb)";

sn_err
approval_store_timeline(sn_tx *tx, const char *case_id, const char *actor,
    const char *action, const char *from, const char *to, const char *reason,
    const char *detail_json)
{
	const char *v[]
	    = { case_id, actor, action, from, to, reason, detail_json };
	return sn_tx_query(tx, SQL_TIMELINE, NP(v), v, NULL, NULL);
}

static const char SQL_STEP_READ[]
    = "SELECT c.stage, c.district_code, c.township_code, c.village_code,"
      " s.taken_in_by, array_to_string(s.member_ids, ','),"
      " coalesce(array_to_string(i.investigators, ','), ''),"
      " coalesce((SELECT string_agg(a.user_id, ',') FROM case_actors a"
      "  WHERE a.case_id = c.case_id), ''),"
      " coalesce(c.category, ''), coalesce(c.tier, ''),"
      " coalesce(c.monthly_amount_fen, 0), coalesce(c.tekun_amount_fen, 0),"
      " coalesce(c.dibao_amount_fen, 0),"
      " coalesce(array_to_string(c.referrals, ','), ''),"
      " coalesce(c.policy_version, ''), encode(s.data, 'hex'),"
      " current_date::text, gen_random_uuid()::text"
      " FROM cases c JOIN submitted s ON s.application_id = c.case_id"
      " LEFT JOIN investigation i ON i.application_id = c.case_id"
      " WHERE c.case_id = $1 FOR UPDATE OF c";

sn_err
approval_store_step_read(
    sn_tx *tx, const char *case_id, sn_query_fn cb, void *arg)
{
	const char *v[] = { case_id };
	return sn_tx_query(tx, SQL_STEP_READ, NP(v), v, cb, arg);
}

static const char SQL_REFUSAL[]
    = "WITH r AS (INSERT INTO refusals (case_id, user_id, role, step, code)"
      " VALUES ($1, $2, $3, $4, $5) RETURNING case_id)"
      " INSERT INTO case_timeline (case_id, actor, action, reason, detail)"
      " SELECT case_id, $2, 'refused', $5,"
      " json_build_object('step', $4::text, 'role', $3::text, 'code', "
      "$5::text)"
      " FROM r";

sn_err
approval_store_refusal(sn_tx *tx, const char *case_id, const char *user,
    const char *role, const char *step, const char *code)
{
	const char *v[] = { case_id, user, role, step, code };
	return sn_tx_query(tx, SQL_REFUSAL, NP(v), v, NULL, NULL);
}

static const char SQL_ACTOR[]
    = "INSERT INTO case_actors (case_id, user_id, step) VALUES ($1, $2, $3)";

sn_err
approval_store_actor(
    sn_tx *tx, const char *case_id, const char *user, const char *step)
{
	const char *v[] = { case_id, user, step };
	return sn_tx_query(tx, SQL_ACTOR, NP(v), v, NULL, NULL);
}

static const char SQL_DECIDE[]
    = "UPDATE cases SET stage = $2, stage_reason = $3,"
      " decided_approved = $4::boolean, decided_category = $5,"
      " category = $5, tier = NULLIF($6, ''), monthly_amount_fen = $7::bigint,"
      " decided_by = $8, decided_at = now(), updated_at = now()"
      " WHERE case_id = $1";

sn_err
approval_store_decide(sn_tx *tx, const approval_store_decision *d)
{
	const char *v[] = { d->case_id, d->stage, d->reason, d->approved,
		d->category, d->tier, d->amount, d->decided_by };
	return sn_tx_query(tx, SQL_DECIDE, NP(v), v, NULL, NULL);
}

static const char SQL_FILE[]
    = "UPDATE cases SET stage = 'FILED', stage_reason = $3,"
      " spot_check = $2::boolean, updated_at = now() WHERE case_id = $1";

sn_err
approval_store_file(
    sn_tx *tx, const char *case_id, const char *spot_check, const char *note)
{
	const char *v[] = { case_id, spot_check, note };
	return sn_tx_query(tx, SQL_FILE, NP(v), v, NULL, NULL);
}

static const char SQL_BENEFICIARY[]
    = "INSERT INTO beneficiaries (beneficiary_id, application_id, status,"
      " category, tier, monthly_amount_fen, bank_code, account_number,"
      " account_name, from_month, approved_by, district_code, township_code,"
      " village_code, head_id_number, head_name, member_ids)"
      " VALUES ($1, $2, 'ACTIVE', $3, $4, $5::bigint, $6, $7, $8, $9, $10,"
      " $11, $12, $13, $14, $15, string_to_array($16, ','))";

sn_err
approval_store_beneficiary_add(sn_tx *tx, const approval_store_beneficiary *b)
{
	const char *v[] = { b->beneficiary_id, b->application_id, b->category,
		b->tier, b->amount, b->bank_code, b->account_number,
		b->account_name, b->from_month, b->approved_by,
		b->district_code, b->township_code, b->village_code,
		b->head_id_number, b->head_name, b->member_ids };
	return sn_tx_query(tx, SQL_BENEFICIARY, NP(v), v, NULL, NULL);
}

static const char SQL_MARK_OVERDUE[]
    = "UPDATE cases SET overdue = true, overdue_at = now()"
      " WHERE NOT overdue AND deadline_date < current_date"
      " AND stage IN ('GATHERING', 'HELD', 'VILLAGE_REVIEW',"
      " 'TOWNSHIP_CONFIRM')"
      " RETURNING case_id, stage, deadline_date::text, township_code";

sn_err
approval_store_mark_overdue(sn_tx *tx, sn_query_fn cb, void *arg)
{
	return sn_tx_query(tx, SQL_MARK_OVERDUE, 0, NULL, cb, arg);
}

static const char SQL_COUNTS[]
    = "SELECT stage, count(*) FROM cases GROUP BY stage"
      " UNION ALL SELECT 'overdue', count(*) FROM cases WHERE overdue";

sn_err
approval_store_counts(sn_tx *tx, sn_query_fn cb, void *arg)
{
	return sn_tx_query(tx, SQL_COUNTS, 0, NULL, cb, arg);
}

static const char SQL_POLICY_CHECK[]
    = "SELECT (SELECT count(*) FROM policy_version),"
      " ($1::date <= current_date),"
      " EXISTS (SELECT 1 FROM policy_version WHERE version = $2),"
      " EXISTS (SELECT 1 FROM policy_version WHERE effective_from = $1::date)";

sn_err
approval_store_policy_check(sn_tx *tx, const char *effective_from,
    const char *version, sn_query_fn cb, void *arg)
{
	const char *v[] = { effective_from, version };
	return sn_tx_query(tx, SQL_POLICY_CHECK, NP(v), v, cb, arg);
}

static const char SQL_POLICY_ADD[]
    = "INSERT INTO policy_version (version, effective_from, urban_min_fen,"
      " rural_min_fen, urban_basic_fen, rural_basic_fen, care_able_fen,"
      " care_partially_able_fen, care_unable_fen, low_income_factor_percent,"
      " asset_multiple, max_homes, business_capital_limit_fen, created_by)"
      " VALUES ($1, $2::date, $3::bigint, $4::bigint, $5::bigint, $6::bigint,"
      " $7::bigint, $8::bigint, $9::bigint, $10::bigint, $11::bigint,"
      " $12::bigint, $13::bigint, $14)";

sn_err
approval_store_policy_add(sn_tx *tx, const char *const values[14])
{
	return sn_tx_query(tx, SQL_POLICY_ADD, 14, values, NULL, NULL);
}

static const char SQL_POLICY_LIST[]
    = "SELECT version, effective_from::text, urban_min_fen, rural_min_fen,"
      " urban_basic_fen, rural_basic_fen, care_able_fen,"
      " care_partially_able_fen, care_unable_fen, low_income_factor_percent,"
      " asset_multiple, max_homes, business_capital_limit_fen,"
      " version = (SELECT q.version FROM policy_version q"
      "  WHERE q.effective_from <= current_date"
      "  ORDER BY q.effective_from DESC LIMIT 1)"
      " FROM policy_version ORDER BY effective_from";

void
approval_store_policy_list(sn_db *db, sn_db_query_fn done, void *arg)
{
	sn_db_query(db, SQL_POLICY_LIST, 0, NULL, done, arg);
}

static const char SQL_CASE_GET[]
    = "SELECT json_build_object("
      " 'case_id', c.case_id, 'application_id', c.case_id,"
      " 'stage', c.stage, 'stage_reason', c.stage_reason,"
      " 'accepted_date', c.accepted_date::text,"
      " 'deadline_date', c.deadline_date::text,"
      " 'overdue', c.overdue, 'overdue_at', c.overdue_at,"
      " 'district_code', c.district_code, 'township_code', c.township_code,"
      " 'village_code', c.village_code, 'taken_in_by', s.taken_in_by,"
      " 'application', s.summary,"
      " 'verification', CASE WHEN v.application_id IS NULL THEN NULL ELSE"
      "  json_build_object('complete', v.complete, 'missing', v.missing,"
      "  'attempt', v.attempt, 'received_at', v.received_at) END,"
      " 'facts', v.facts, 'investigation', i.report,"
      " 'computation', c.computation, 'category', c.category,"
      " 'tier', c.tier, 'monthly_amount_fen', c.monthly_amount_fen,"
      " 'referrals', c.referrals,"
      " 'decision', CASE WHEN c.decided_by IS NULL THEN NULL ELSE"
      "  json_build_object('approved', c.decided_approved,"
      "  'category', c.decided_category, 'decided_by', c.decided_by,"
      "  'decided_at', c.decided_at) END,"
      " 'spot_check', c.spot_check,"
      " 'timeline', coalesce((SELECT json_agg(json_build_object('at', t.at,"
      "  'actor', t.actor, 'action', t.action, 'from', t.from_stage,"
      "  'to', t.to_stage, 'reason', t.reason, 'detail', t.detail)"
      "  ORDER BY t.id) FROM case_timeline t WHERE t.case_id = c.case_id),"
      "  '[]'::json),"
      " 'refusals', coalesce((SELECT json_agg(json_build_object('at', r.at,"
      "  'user', r.user_id, 'role', r.role, 'step', r.step, 'code', r.code)"
      "  ORDER BY r.id) FROM refusals r WHERE r.case_id = c.case_id),"
      "  '[]'::json))::text"
      " FROM cases c JOIN submitted s ON s.application_id = c.case_id"
      " LEFT JOIN verification v ON v.application_id = c.case_id"
      " LEFT JOIN investigation i ON i.application_id = c.case_id"
      " WHERE c.case_id = $1 AND left(c.village_code, length($2)) = $2";

void
approval_store_case_get(sn_db *db, const char *case_id, const char *juris,
    sn_db_query_fn done, void *arg)
{
	const char *v[] = { case_id, juris };
	sn_db_query(db, SQL_CASE_GET, NP(v), v, done, arg);
}

static const char SQL_CASE_LIST[]
    = "SELECT coalesce(json_agg(json_build_object('case_id', c.case_id,"
      " 'stage', c.stage, 'stage_reason', c.stage_reason,"
      " 'district_code', c.district_code, 'township_code', c.township_code,"
      " 'village_code', c.village_code, 'category', c.category,"
      " 'tier', c.tier, 'monthly_amount_fen', c.monthly_amount_fen,"
      " 'accepted_date', c.accepted_date::text,"
      " 'deadline_date', c.deadline_date::text, 'overdue', c.overdue)"
      " ORDER BY c.opened_at, c.case_id), '[]'::json)::text"
      " FROM (SELECT * FROM cases WHERE left(village_code, length($1)) = $1"
      " AND ($2::text IS NULL OR township_code = $2)"
      " AND ($3::text IS NULL OR stage = $3)"
      " AND ($4::text IS NULL OR category = $4)"
      " AND ($5::boolean IS NULL OR overdue = $5::boolean)"
      " ORDER BY opened_at, case_id LIMIT 1000) c";

void
approval_store_case_list(sn_db *db, const char *juris, const char *township,
    const char *stage, const char *category, const char *overdue,
    sn_db_query_fn done, void *arg)
{
	const char *v[] = { juris, township, stage, category, overdue };
	sn_db_query(db, SQL_CASE_LIST, NP(v), v, done, arg);
}

static const char SQL_BENEFICIARY_LIST[]
    = "SELECT coalesce(json_agg(json_build_object("
      " 'beneficiary_id', b.beneficiary_id,"
      " 'application_id', b.application_id, 'status', b.status,"
      " 'category', b.category, 'tier', b.tier,"
      " 'monthly_amount_fen', b.monthly_amount_fen,"
      " 'payee', json_build_object('bank_code', b.bank_code,"
      "  'account_number', b.account_number,"
      "  'account_name', b.account_name),"
      " 'from_month', b.from_month, 'until_month', b.until_month,"
      " 'approved_by', b.approved_by, 'district_code', b.district_code,"
      " 'township_code', b.township_code, 'village_code', b.village_code,"
      " 'head_name', b.head_name, 'members', cardinality(b.member_ids))"
      " ORDER BY b.created_at, b.beneficiary_id), '[]'::json)::text"
      " FROM (SELECT * FROM beneficiaries"
      " WHERE left(village_code, length($1)) = $1"
      " AND ($2::text IS NULL OR township_code = $2)"
      " ORDER BY created_at, beneficiary_id LIMIT 1000) b";

void
approval_store_beneficiary_list(sn_db *db, const char *juris,
    const char *township, sn_db_query_fn done, void *arg)
{
	const char *v[] = { juris, township };
	sn_db_query(db, SQL_BENEFICIARY_LIST, NP(v), v, done, arg);
}
