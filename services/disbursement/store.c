/*
 * store.c - every SQL statement of disbursement; see store.h.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- payees ------------------------------------------------------------- */

static const char SQL_PAYEE_DECIDED[]
    = "INSERT INTO payee (application_id, beneficiary_id, status, fund,"
      " monthly_fen, district_code, township_code, village_code, bank_code,"
      " account_number, account_name, from_month, until_month, decided_by)"
      " VALUES ($1, nullif($2, ''), $3, $4, $5::bigint, $6, $7, $8, $9, $10,"
      " $11, $12, $13, $14)"
      " ON CONFLICT (application_id) DO UPDATE SET"
      "  decided_by = CASE WHEN EXCLUDED.decided_by <> ''"
      "   THEN EXCLUDED.decided_by ELSE payee.decided_by END,"
      "  updated_at = now()";

static const char SQL_PAYEE_CHANGED[]
    = "INSERT INTO payee (application_id, beneficiary_id, status, fund,"
      " monthly_fen, district_code, township_code, village_code, bank_code,"
      " account_number, account_name, from_month, until_month, decided_by)"
      " VALUES ($1, nullif($2, ''), $3, $4, $5::bigint, $6, $7, $8, $9, $10,"
      " $11, $12, $13, $14)"
      " ON CONFLICT (application_id) DO UPDATE SET"
      "  beneficiary_id = coalesce(EXCLUDED.beneficiary_id,"
      "   payee.beneficiary_id),"
      "  status = EXCLUDED.status, fund = EXCLUDED.fund,"
      "  monthly_fen = EXCLUDED.monthly_fen,"
      "  district_code = EXCLUDED.district_code,"
      "  township_code = EXCLUDED.township_code,"
      "  village_code = EXCLUDED.village_code,"
      "  bank_code = EXCLUDED.bank_code,"
      "  account_number = EXCLUDED.account_number,"
      "  account_name = EXCLUDED.account_name,"
      "  from_month = EXCLUDED.from_month,"
      "  until_month = EXCLUDED.until_month,"
      "  decided_by = CASE WHEN EXCLUDED.decided_by <> ''"
      "   THEN EXCLUDED.decided_by ELSE payee.decided_by END,"
      "  updated_at = now()";

static const char SQL_PAYEE_EXIT[]
    = "UPDATE payee SET status = 'exited', updated_at = now()"
      " WHERE application_id = $1";

static sn_err
payee_upsert(sn_tx *tx, const char *sql, const disbursement_payee_row *p)
{
	char amount[24];
	snprintf(amount, sizeof(amount), "%" PRId64, p->monthly_fen);
	const char *v[] = { p->application_id, p->beneficiary_id, p->status,
		p->fund, amount, p->district_code, p->township_code,
		p->village_code, p->bank_code, p->account_number,
		p->account_name, p->from_month, p->until_month, p->decided_by };
	return sn_tx_query(tx, sql, 14, v, NULL, NULL);
}

sn_err
disbursement_store_payee_decided(sn_tx *tx, const disbursement_payee_row *p)
{
	return payee_upsert(tx, SQL_PAYEE_DECIDED, p);
}

sn_err
disbursement_store_payee_changed(sn_tx *tx, const disbursement_payee_row *p)
{
	return payee_upsert(tx, SQL_PAYEE_CHANGED, p);
}

sn_err
disbursement_store_payee_exit(sn_tx *tx, const char *application_id)
{
	const char *v[] = { application_id };
	return sn_tx_query(tx, SQL_PAYEE_EXIT, 1, v, NULL, NULL);
}

/* ---- emergency payments ------------------------------------------------- */

/* The uuid is drawn in a subquery so that the e2e id can be made from it
 * in the same row. */
static const char SQL_GRANT_PAYMENT[]
    = "WITH ins AS ("
      " INSERT INTO payment (id, grant_id, fund, year, amount_fen,"
      "  township_code, bank_code, account_number, account_name, e2e_id,"
      "  status)"
      " SELECT x.id, $1, 'emergency', $7::int, $2::bigint, $3, $4, $5, $6,"
      "  e2e_of(x.id, 1), 'ready'"
      " FROM (SELECT gen_random_uuid() AS id) x"
      " ON CONFLICT (grant_id) DO NOTHING"
      " RETURNING *),"
      " b AS ("
      " INSERT INTO budget (fund, year, drawn_fen)"
      " SELECT 'emergency', ins.year, ins.amount_fen FROM ins"
      " ON CONFLICT (fund, year) DO UPDATE"
      "  SET drawn_fen = budget.drawn_fen + EXCLUDED.drawn_fen,"
      "  updated_at = now()"
      " RETURNING 1),"
      " o AS ("
      " INSERT INTO outbox (topic, subject, actor, schema_version, data)"
      " SELECT 'payment.scheduled', ins.id::text, $8, 1,"
      "  pb_scheduled(ROW(ins.*)::payment, NULL) FROM ins"
      " RETURNING 1)"
      " SELECT (SELECT count(*) FROM ins) + 0 * (SELECT count(*) FROM b)"
      "  + 0 * (SELECT count(*) FROM o)";

sn_err
disbursement_store_grant_payment(sn_tx *tx, const disbursement_grant_row *g,
    sn_query_fn cb, void *arg)
{
	char amount[24], year[16];
	snprintf(amount, sizeof(amount), "%" PRId64, g->amount_fen);
	snprintf(year, sizeof(year), "%d", g->year);
	const char *v[] = { g->grant_id, amount, g->township_code,
		g->bank_code, g->account_number, g->account_name, year,
		g->actor };
	return sn_tx_query(tx, SQL_GRANT_PAYMENT, 8, v, cb, arg);
}

/* ---- budgets ------------------------------------------------------------ */

static const char SQL_ALLOCATE[]
    = "WITH b AS ("
      " INSERT INTO budget (fund, year, allocated_fen)"
      " VALUES ($1, $2::int, $3::bigint)"
      " ON CONFLICT (fund, year) DO UPDATE"
      "  SET allocated_fen = budget.allocated_fen + EXCLUDED.allocated_fen,"
      "  updated_at = now()"
      " RETURNING *),"
      " a AS ("
      " INSERT INTO budget_allocation (fund, year, amount_fen, actor)"
      " SELECT fund, year, $3::bigint, $4 FROM b RETURNING id)"
      " SELECT b.fund, b.year, b.allocated_fen, b.drawn_fen,"
      "  (SELECT id FROM a) FROM b";

sn_err
disbursement_store_allocate(sn_tx *tx, const char *fund, int year,
    int64_t amount, const char *actor, sn_query_fn cb, void *arg)
{
	char y[16], a[24];
	snprintf(y, sizeof(y), "%d", year);
	snprintf(a, sizeof(a), "%" PRId64, amount);
	const char *v[] = { fund, y, a, actor };
	return sn_tx_query(tx, SQL_ALLOCATE, 4, v, cb, arg);
}

/* paid: settled; returned: rejected and held (not re-paid); in flight:
 * everything else drawn. */
static const char SQL_SETTLEMENT[]
    = "SELECT (SELECT allocated_fen FROM budget WHERE fund = $1"
      "  AND year = $2::int),"
      " coalesce((SELECT drawn_fen FROM budget WHERE fund = $1"
      "  AND year = $2::int), 0),"
      " coalesce(sum(amount_fen) FILTER (WHERE status = 'settled'), 0),"
      " coalesce(sum(amount_fen) FILTER (WHERE status = 'rejected'), 0),"
      " coalesce(sum(amount_fen) FILTER (WHERE status NOT IN ('settled',"
      "  'rejected')), 0),"
      " count(*) FILTER (WHERE status = 'settled'),"
      " count(*) FILTER (WHERE status = 'rejected'),"
      " count(*) FILTER (WHERE status NOT IN ('settled', 'rejected'))"
      " FROM payment WHERE fund = $1 AND year = $2::int";

void
disbursement_store_settlement(sn_db *db, const char *fund, int year,
    sn_db_query_fn done, void *arg)
{
	char y[16];
	snprintf(y, sizeof(y), "%d", year);
	const char *v[] = { fund, y };
	sn_db_query(db, SQL_SETTLEMENT, 2, v, done, arg);
}

/* ---- runs --------------------------------------------------------------- */

static const char SQL_RUN_CREATE[]
    = "INSERT INTO run (period, status, created_by)"
      " VALUES ($1, 'building', $2)"
      " ON CONFLICT (period) WHERE status <> 'rejected' DO NOTHING"
      " RETURNING id, ts_json(created_at)";

static const char SQL_RUN_OF_PERIOD[]
    = "SELECT id, status FROM run WHERE period = $1"
      " AND status <> 'rejected'";

static const char SQL_RUN_LOCK[]
    = "SELECT status, period, created_by, built_upto, payments, total_fen"
      " FROM run WHERE id = $1::uuid FOR UPDATE";

static const char SQL_RUN_DECIDED_BY[]
    = "SELECT EXISTS (SELECT 1 FROM payee p WHERE p.decided_by = $2"
      " AND EXISTS (SELECT 1 FROM payment m WHERE m.payee_id = p.id"
      "  AND m.run_id = $1::uuid))";

static const char SQL_RUN_APPROVE[]
    = "UPDATE run SET status = 'approved', decided_by = $2,"
      " decision_reason = nullif($3, ''), decided_at = now()"
      " WHERE id = $1::uuid AND status = 'awaiting_approval'"
      " RETURNING period, payments, total_fen";

static const char SQL_RUN_REJECT[]
    = "WITH d AS ("
      " DELETE FROM payment WHERE run_id = $1::uuid AND status = 'planned'"
      " RETURNING fund, year, amount_fen),"
      " s AS (SELECT fund, year, sum(amount_fen) AS fen FROM d"
      "  GROUP BY fund, year),"
      " b AS ("
      " UPDATE budget SET drawn_fen = budget.drawn_fen - s.fen,"
      "  updated_at = now()"
      " FROM s WHERE budget.fund = s.fund AND budget.year = s.year"
      " RETURNING 1)"
      " UPDATE run SET status = 'rejected', decided_by = $2,"
      " decision_reason = nullif($3, ''), decided_at = now()"
      " WHERE id = $1::uuid AND status = 'awaiting_approval'"
      " RETURNING period, payments, total_fen, (SELECT count(*) FROM d)"
      "  + 0 * (SELECT count(*) FROM b)";

static const char SQL_RUN_BUILDING[]
    = "SELECT id, period, built_upto, created_by FROM run"
      " WHERE status = 'building' ORDER BY created_at LIMIT 1";

static const char SQL_BUDGET_ROOM[]
    = "SELECT fund, allocated_fen - drawn_fen FROM budget"
      " WHERE year = $1::int AND fund IN ('dibao', 'tekun')"
      " ORDER BY fund FOR UPDATE";

static const char SQL_CHUNK[]
    = "SELECT p.id, p.fund, p.status, p.monthly_fen, p.from_month,"
      " p.until_month, p.account_number,"
      " EXISTS (SELECT 1 FROM payment m WHERE m.payee_id = p.id"
      "  AND m.fund = p.fund AND m.period = $1)"
      " FROM payee p WHERE p.id > $2::bigint ORDER BY p.id LIMIT $3::int";

/* The uuid of each new payment is drawn in the subquery's target list
 * (volatile: once per row), so that its e2e id is made from it. */
static const char SQL_BUILD[]
    = "WITH ins AS ("
      " INSERT INTO payment (id, payee_id, fund, period, year, run_id,"
      "  amount_fen, township_code, bank_code, account_number,"
      "  account_name, e2e_id, status)"
      " SELECT q.nid, q.id, q.fund, $2, $3::int, $1::uuid, q.monthly_fen,"
      "  q.township_code, q.bank_code, q.account_number, q.account_name,"
      "  e2e_of(q.nid, 1), 'planned'"
      " FROM (SELECT gen_random_uuid() AS nid, p.* FROM payee p"
      "  WHERE p.id = ANY ($4::bigint[]) ORDER BY p.id) q"
      " ON CONFLICT (payee_id, fund, period) DO NOTHING"
      " RETURNING *),"
      " s AS (SELECT fund, sum(amount_fen) AS fen FROM ins GROUP BY fund),"
      " b AS ("
      " UPDATE budget SET drawn_fen = budget.drawn_fen + s.fen,"
      "  updated_at = now()"
      " FROM s WHERE budget.fund = s.fund AND budget.year = $3::int"
      " RETURNING 1),"
      " o AS ("
      " INSERT INTO outbox (topic, subject, actor, schema_version, data)"
      " SELECT 'payment.scheduled', ins.id::text, $5, 1,"
      "  pb_scheduled(ROW(ins.*)::payment, pe.beneficiary_id)"
      " FROM ins JOIN payee pe ON pe.id = ins.payee_id"
      " RETURNING 1),"
      " c AS (SELECT count(*) AS n, coalesce(sum(amount_fen), 0) AS fen"
      "  FROM ins)"
      " UPDATE run SET built_upto = $6::bigint,"
      " payments = payments + c.n, total_fen = total_fen + c.fen,"
      " short_count = short_count + $7::bigint,"
      " short_fen = short_fen + $8::bigint"
      " FROM c WHERE run.id = $1::uuid"
      " RETURNING c.n + 0 * (SELECT count(*) FROM b)"
      "  + 0 * (SELECT count(*) FROM o), run.payments, run.total_fen";

static const char SQL_BUILD_END[]
    = "WITH pl AS ("
      " INSERT INTO run_plan (run_id, fund, township_code, payments,"
      "  total_fen)"
      " SELECT run_id, fund, township_code, count(*), sum(amount_fen)"
      " FROM payment WHERE run_id = $1::uuid"
      " GROUP BY run_id, fund, township_code"
      " ON CONFLICT DO NOTHING RETURNING 1)"
      " UPDATE run SET status = 'awaiting_approval', built_at = now()"
      " WHERE id = $1::uuid AND status = 'building'"
      " RETURNING period, payments, total_fen"
      "  + 0 * (SELECT count(*) FROM pl)";

static const char SQL_RUNS_START[]
    = "UPDATE run SET status = 'sending' WHERE status = 'approved'"
      " RETURNING id, period, payments, total_fen";

static const char SQL_RUNS_COMPLETE[]
    = "UPDATE run r SET status = 'completed', completed_at = now()"
      " WHERE r.status = 'sending' AND NOT EXISTS (SELECT 1 FROM payment p"
      "  WHERE p.run_id = r.id AND p.status IN ('planned', 'ready', 'sent',"
      "  'accepted'))"
      " RETURNING r.id, r.period, r.payments, r.total_fen";

#define RUN_JSON                                                              \
	"json_build_object('id', r.id, 'period', r.period, 'status',"         \
	" r.status, 'created_by', r.created_by, 'payments', r.payments,"      \
	" 'total_fen', r.total_fen, 'short_count', r.short_count,"            \
	" 'short_fen', r.short_fen, 'decided_by', r.decided_by,"              \
	" 'decision_reason', r.decision_reason, 'created_at',"                \
	" ts_json(r.created_at), 'built_at', ts_json(r.built_at),"            \
	" 'decided_at', ts_json(r.decided_at), 'completed_at',"               \
	" ts_json(r.completed_at))"

static const char SQL_RUN_DOC[]
    = "SELECT " RUN_JSON "::text FROM run r WHERE r.id = $1::uuid";

static const char SQL_PLAN[]
    = "SELECT " RUN_JSON "::text,"
      " coalesce((SELECT json_agg(json_build_object('fund', fund,"
      "  'township_code', township_code, 'payments', payments,"
      "  'total_fen', total_fen) ORDER BY fund, township_code)"
      "  FROM run_plan WHERE run_id = r.id), '[]'::json)::text,"
      " coalesce((SELECT sum(payments) FROM run_plan WHERE run_id = r.id),"
      "  0),"
      " coalesce((SELECT sum(total_fen) FROM run_plan WHERE run_id = r.id),"
      "  0)"
      " FROM run r WHERE r.id = $1::uuid";

static const char SQL_RECON[]
    = "WITH r AS (SELECT * FROM run WHERE id = $1::uuid),"
      " y AS (SELECT coalesce((SELECT min(year) FROM payment"
      "  WHERE run_id = $1::uuid), substr((SELECT period FROM r), 1, 4)::int)"
      "  AS year),"
      " m AS (SELECT"
      "  count(*) AS n, coalesce(sum(amount_fen), 0) AS fen,"
      "  count(*) FILTER (WHERE status IN ('planned', 'ready')) AS un,"
      "  coalesce(sum(amount_fen) FILTER (WHERE status IN ('planned',"
      "   'ready')), 0) AS unf,"
      "  count(*) FILTER (WHERE status IN ('sent', 'accepted')) AS uk,"
      "  coalesce(sum(amount_fen) FILTER (WHERE status IN ('sent',"
      "   'accepted')), 0) AS ukf,"
      "  count(*) FILTER (WHERE status = 'settled') AS st,"
      "  coalesce(sum(amount_fen) FILTER (WHERE status = 'settled'), 0)"
      "   AS stf,"
      "  count(*) FILTER (WHERE status = 'rejected') AS rj,"
      "  coalesce(sum(amount_fen) FILTER (WHERE status = 'rejected'), 0)"
      "   AS rjf"
      "  FROM payment WHERE run_id = $1::uuid),"
      " h AS (SELECT count(*) AS n FROM instruction_history h"
      "  JOIN payment p ON p.id = h.payment_id WHERE p.run_id = $1::uuid)"
      " SELECT r.status, y.year,"
      "  coalesce((SELECT sum(payments) FROM run_plan WHERE run_id = r.id),"
      "   0),"
      "  coalesce((SELECT sum(total_fen) FROM run_plan"
      "   WHERE run_id = r.id), 0),"
      "  m.n, m.fen, m.un, m.unf, m.uk, m.ukf, m.st, m.stf, m.rj, m.rjf,"
      "  h.n, r.total_fen,"
      "  coalesce((SELECT allocated_fen FROM budget WHERE fund = 'dibao'"
      "   AND year = y.year), 0),"
      "  coalesce((SELECT drawn_fen FROM budget WHERE fund = 'dibao'"
      "   AND year = y.year), 0),"
      "  coalesce((SELECT allocated_fen FROM budget WHERE fund = 'tekun'"
      "   AND year = y.year), 0),"
      "  coalesce((SELECT drawn_fen FROM budget WHERE fund = 'tekun'"
      "   AND year = y.year), 0),"
      "  m.uk + m.st + m.rj + h.n, r.short_count, r.short_fen"
      " FROM r, y, m, h";

sn_err
disbursement_store_run_create(sn_tx *tx, const char *period,
    const char *actor, sn_query_fn cb, void *arg)
{
	const char *v[] = { period, actor };
	return sn_tx_query(tx, SQL_RUN_CREATE, 2, v, cb, arg);
}

sn_err
disbursement_store_run_of_period(
    sn_tx *tx, const char *period, sn_query_fn cb, void *arg)
{
	const char *v[] = { period };
	return sn_tx_query(tx, SQL_RUN_OF_PERIOD, 1, v, cb, arg);
}

sn_err
disbursement_store_run_lock(sn_tx *tx, const char *id, sn_query_fn cb,
    void *arg)
{
	const char *v[] = { id };
	return sn_tx_query(tx, SQL_RUN_LOCK, 1, v, cb, arg);
}

sn_err
disbursement_store_run_decided_by(sn_tx *tx, const char *id,
    const char *user, sn_query_fn cb, void *arg)
{
	const char *v[] = { id, user };
	return sn_tx_query(tx, SQL_RUN_DECIDED_BY, 2, v, cb, arg);
}

sn_err
disbursement_store_run_approve(sn_tx *tx, const char *id, const char *user,
    const char *reason, sn_query_fn cb, void *arg)
{
	const char *v[] = { id, user, reason != NULL ? reason : "" };
	return sn_tx_query(tx, SQL_RUN_APPROVE, 3, v, cb, arg);
}

sn_err
disbursement_store_run_reject(sn_tx *tx, const char *id, const char *user,
    const char *reason, sn_query_fn cb, void *arg)
{
	const char *v[] = { id, user, reason != NULL ? reason : "" };
	return sn_tx_query(tx, SQL_RUN_REJECT, 3, v, cb, arg);
}

void
disbursement_store_run_building(sn_db *db, sn_db_query_fn done, void *arg)
{
	sn_db_query(db, SQL_RUN_BUILDING, 0, NULL, done, arg);
}

sn_err
disbursement_store_budget_room(sn_tx *tx, int year, sn_query_fn cb, void *arg)
{
	char y[16];
	snprintf(y, sizeof(y), "%d", year);
	const char *v[] = { y };
	return sn_tx_query(tx, SQL_BUDGET_ROOM, 1, v, cb, arg);
}

sn_err
disbursement_store_chunk(sn_tx *tx, const char *period, int64_t after,
    int limit, sn_query_fn cb, void *arg)
{
	char a[24], l[16];
	snprintf(a, sizeof(a), "%" PRId64, after);
	snprintf(l, sizeof(l), "%d", limit);
	const char *v[] = { period, a, l };
	return sn_tx_query(tx, SQL_CHUNK, 3, v, cb, arg);
}

/* "{1,2,3}": a bigint[] literal; NULL when out of memory. */
static char *
int_array(const int64_t *ids, size_t n)
{
	size_t cap = 3 + n * 21, len = 0;
	char  *s   = malloc(cap);
	if (s == NULL)
		return NULL;
	s[len++] = '{';
	for (size_t i = 0; i < n; i++)
		len += (size_t) snprintf(s + len, cap - len, "%s%" PRId64,
		    i > 0 ? "," : "", ids[i]);
	s[len++] = '}';
	s[len]   = '\0';
	return s;
}

sn_err
disbursement_store_build(sn_tx *tx, const char *run_id, const char *period,
    int year, const int64_t *ids, size_t n, int64_t upto,
    int64_t short_count, int64_t short_fen, const char *actor,
    sn_query_fn cb, void *arg)
{
	char y[16], u[24], sc[24], sf[24];
	snprintf(y, sizeof(y), "%d", year);
	snprintf(u, sizeof(u), "%" PRId64, upto);
	snprintf(sc, sizeof(sc), "%" PRId64, short_count);
	snprintf(sf, sizeof(sf), "%" PRId64, short_fen);
	char *arr = int_array(ids, n);
	if (arr == NULL)
		return SN_ENOMEM;
	const char *v[] = { run_id, period, y, arr, actor, u, sc, sf };
	sn_err      err = sn_tx_query(tx, SQL_BUILD, 8, v, cb, arg);
	free(arr);
	return err;
}

sn_err
disbursement_store_build_end(sn_tx *tx, const char *id, sn_query_fn cb,
    void *arg)
{
	const char *v[] = { id };
	return sn_tx_query(tx, SQL_BUILD_END, 1, v, cb, arg);
}

sn_err
disbursement_store_runs_start(sn_tx *tx, sn_query_fn cb, void *arg)
{
	return sn_tx_query(tx, SQL_RUNS_START, 0, NULL, cb, arg);
}

sn_err
disbursement_store_runs_complete(sn_tx *tx, sn_query_fn cb, void *arg)
{
	return sn_tx_query(tx, SQL_RUNS_COMPLETE, 0, NULL, cb, arg);
}

void
disbursement_store_run_doc(sn_db *db, const char *id, sn_db_query_fn done,
    void *arg)
{
	const char *v[] = { id };
	sn_db_query(db, SQL_RUN_DOC, 1, v, done, arg);
}

void
disbursement_store_plan(sn_db *db, const char *id, sn_db_query_fn done,
    void *arg)
{
	const char *v[] = { id };
	sn_db_query(db, SQL_PLAN, 1, v, done, arg);
}

void
disbursement_store_reconciliation(sn_db *db, const char *id,
    sn_db_query_fn done, void *arg)
{
	const char *v[] = { id };
	sn_db_query(db, SQL_RECON, 1, v, done, arg);
}

/* ---- sending ------------------------------------------------------------ */

/* Two candidate sets, each locked, then at most limit of them. */
static const char SQL_CLAIM[]
    = "WITH r AS (SELECT id FROM payment WHERE status = 'ready'"
      "  AND fund = $1 ORDER BY created_at LIMIT $2::int"
      "  FOR UPDATE SKIP LOCKED),"
      " p AS (SELECT id FROM payment WHERE status = 'planned' AND fund = $1"
      "  AND run_id IN (SELECT id FROM run WHERE status = 'sending')"
      "  LIMIT $2::int FOR UPDATE SKIP LOCKED),"
      " c AS (SELECT id FROM r UNION ALL SELECT id FROM p LIMIT $2::int)"
      " UPDATE payment SET status = 'sent', batch_id = $3, sender = $4,"
      " sent_at = now(), checked_at = now()"
      " FROM c WHERE payment.id = c.id"
      " RETURNING payment.e2e_id, payment.amount_fen, payment.bank_code,"
      "  payment.account_number, payment.account_name, payment.period";

/* An UNKNOWN for an instruction the bank once accepted would be the
 * bank's error: it is not taken (the payment is never re-sent). */
static const char SQL_APPLY[]
    = "WITH a AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
      "  $4::text[], $5::text[]) AS a(e2e, st, code, reason, settled_at)),"
      " u AS ("
      " UPDATE payment p SET"
      "  status = CASE WHEN a.st = 'unknown' THEN 'ready' ELSE a.st END,"
      "  reason_code = nullif(a.code, ''), reason = nullif(a.reason, ''),"
      "  settled_at = nullif(a.settled_at, ''),"
      "  batch_id = CASE WHEN a.st = 'unknown' THEN NULL ELSE p.batch_id END,"
      "  sender = CASE WHEN a.st = 'unknown' THEN NULL ELSE p.sender END,"
      "  checked_at = now(),"
      "  finished_at = CASE WHEN a.st IN ('settled', 'rejected') THEN now()"
      "   END"
      " FROM a WHERE p.e2e_id = a.e2e AND p.status IN ('sent', 'accepted')"
      "  AND a.st IN ('accepted', 'settled', 'rejected', 'unknown')"
      "  AND NOT (p.status = 'accepted' AND a.st = 'unknown')"
      " RETURNING p.*, a.st AS said),"
      " o AS ("
      " INSERT INTO outbox (topic, subject, actor, schema_version, data)"
      " SELECT CASE u.status WHEN 'settled' THEN 'payment.settled'"
      "  ELSE 'payment.failed' END, u.id::text, 'system', 1,"
      "  CASE u.status WHEN 'settled'"
      "  THEN pb_settled(ROW(u.id, u.payee_id, u.grant_id, u.fund, u.period,"
      "   u.year, u.run_id, u.amount_fen, u.township_code, u.bank_code,"
      "   u.account_number, u.account_name, u.attempt, u.e2e_id, u.status,"
      "   u.batch_id, u.sender, u.reason_code, u.reason, u.settled_at,"
      "   u.created_at, u.sent_at, u.checked_at, u.finished_at)::payment,"
      "   pe.beneficiary_id)"
      "  ELSE pb_failed(ROW(u.id, u.payee_id, u.grant_id, u.fund, u.period,"
      "   u.year, u.run_id, u.amount_fen, u.township_code, u.bank_code,"
      "   u.account_number, u.account_name, u.attempt, u.e2e_id, u.status,"
      "   u.batch_id, u.sender, u.reason_code, u.reason, u.settled_at,"
      "   u.created_at, u.sent_at, u.checked_at, u.finished_at)::payment,"
      "   pe.beneficiary_id) END"
      " FROM u LEFT JOIN payee pe ON pe.id = u.payee_id"
      " WHERE u.status IN ('settled', 'rejected')"
      " RETURNING 1)"
      " SELECT count(*) FILTER (WHERE said = 'settled'),"
      "  count(*) FILTER (WHERE said = 'rejected'),"
      "  count(*) FILTER (WHERE said = 'accepted'),"
      "  count(*) FILTER (WHERE said = 'unknown')"
      "  + 0 * (SELECT count(*) FROM o)"
      " FROM u";

static const char SQL_UNCLAIM[]
    = "UPDATE payment SET status = 'ready', batch_id = NULL, sender = NULL"
      " WHERE batch_id = $1 AND status = 'sent'";

static const char SQL_ORPHAN[]
    = "UPDATE payment SET sender = NULL, checked_at = NULL"
      " WHERE batch_id = $1 AND status = 'sent'";

static const char SQL_TO_QUERY[]
    = "SELECT e2e_id FROM payment"
      " WHERE status IN ('sent', 'accepted')"
      "  AND (status = 'accepted' OR sender IS DISTINCT FROM $1"
      "   OR sent_at < now() - $4::int * interval '1 millisecond')"
      "  AND (checked_at IS NULL"
      "   OR checked_at < now() - $3::int * interval '1 millisecond')"
      " ORDER BY checked_at NULLS FIRST LIMIT $2::int";

sn_err
disbursement_store_claim(sn_tx *tx, const char *fund, int limit,
    const char *batch_id, const char *sender, sn_query_fn cb, void *arg)
{
	char l[16];
	snprintf(l, sizeof(l), "%d", limit);
	const char *v[] = { fund, l, batch_id, sender };
	return sn_tx_query(tx, SQL_CLAIM, 4, v, cb, arg);
}

/* A text[] literal of n strings; NULL when out of memory. */
static char *
text_array(const char *const *s, size_t n)
{
	size_t cap = 3;
	for (size_t i = 0; i < n; i++)
		cap += 3 + 2 * strlen(s[i] != NULL ? s[i] : "");
	char *out = malloc(cap);
	if (out == NULL)
		return NULL;
	size_t len = 0;
	out[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			out[len++] = ',';
		out[len++] = '"';
		for (const char *p = s[i] != NULL ? s[i] : ""; *p; p++) {
			if (*p == '"' || *p == '\\')
				out[len++] = '\\';
			out[len++] = *p;
		}
		out[len++] = '"';
	}
	out[len++] = '}';
	out[len]   = '\0';
	return out;
}

sn_err
disbursement_store_apply(sn_tx *tx, size_t n, const char *const *e2e,
    const char *const *status, const char *const *code,
    const char *const *reason, const char *const *settled_at, sn_query_fn cb,
    void *arg)
{
	char  *a[5] = { text_array(e2e, n), text_array(status, n),
		 text_array(code, n), text_array(reason, n),
		 text_array(settled_at, n) };
	sn_err err  = SN_ENOMEM;
	if (a[0] != NULL && a[1] != NULL && a[2] != NULL && a[3] != NULL
	    && a[4] != NULL) {
		const char *v[] = { a[0], a[1], a[2], a[3], a[4] };
		err = sn_tx_query(tx, SQL_APPLY, 5, v, cb, arg);
	}
	for (int i = 0; i < 5; i++)
		free(a[i]);
	return err;
}

sn_err
disbursement_store_unclaim(sn_tx *tx, const char *batch_id)
{
	const char *v[] = { batch_id };
	return sn_tx_query(tx, SQL_UNCLAIM, 1, v, NULL, NULL);
}

sn_err
disbursement_store_orphan(sn_tx *tx, const char *batch_id)
{
	const char *v[] = { batch_id };
	return sn_tx_query(tx, SQL_ORPHAN, 1, v, NULL, NULL);
}

void
disbursement_store_to_query(sn_db *db, const char *sender, int limit,
    uint32_t min_age_ms, uint32_t stale_ms, sn_db_query_fn done, void *arg)
{
	char l[16], a[16], st[16];
	snprintf(l, sizeof(l), "%d", limit);
	snprintf(a, sizeof(a), "%u", min_age_ms);
	snprintf(st, sizeof(st), "%u", stale_ms);
	const char *v[] = { sender, l, a, st };
	sn_db_query(db, SQL_TO_QUERY, 4, v, done, arg);
}

/* ---- corrections -------------------------------------------------------- */

#define PAYMENT_JSON(p)                                                       \
	"json_build_object('id', " p ".id, 'status', " p ".status, 'fund', "  \
	p ".fund, 'period', " p ".period, 'run_id', " p ".run_id,"             \
	" 'grant_id', " p ".grant_id, 'amount_fen', " p ".amount_fen,"         \
	" 'township_code', " p ".township_code, 'end_to_end_id', " p          \
	".e2e_id, 'attempt', " p ".attempt, 'payee', json_build_object("      \
	"'bank_code', " p ".bank_code, 'account_number', " p                  \
	".account_number, 'account_name', " p ".account_name),"               \
	" 'reason_code', " p ".reason_code, 'reason', " p ".reason,"           \
	" 'settled_at', " p ".settled_at, 'created_at', ts_json(" p           \
	".created_at), 'sent_at', ts_json(" p ".sent_at), 'finished_at',"     \
	" ts_json(" p ".finished_at))"

static const char SQL_PAYMENT_LOCK[]
    = "SELECT status, township_code, grant_id, attempt FROM payment"
      " WHERE id = $1::uuid FOR UPDATE";

static const char SQL_CORRECT[]
    = "WITH old AS (SELECT * FROM payment WHERE id = $1::uuid"
      "  AND status = 'rejected' AND attempt < 99),"
      " h AS ("
      " INSERT INTO instruction_history (e2e_id, payment_id, amount_fen,"
      "  status, reason_code, account_number, replaced_by, actor)"
      " SELECT e2e_id, id, amount_fen, status, reason_code, account_number,"
      "  e2e_of(id, attempt + 1), $5 FROM old RETURNING 1),"
      " u AS ("
      " UPDATE payment p SET attempt = old.attempt + 1,"
      "  e2e_id = e2e_of(p.id, old.attempt + 1), status = 'ready',"
      "  bank_code = $2, account_number = $3, account_name = $4,"
      "  reason_code = NULL, reason = NULL, settled_at = NULL,"
      "  batch_id = NULL, sender = NULL, sent_at = NULL, checked_at = NULL,"
      "  finished_at = NULL"
      " FROM old WHERE p.id = old.id"
      " RETURNING p.*),"
      " pe AS ("
      " UPDATE payee SET bank_code = $2, account_number = $3,"
      "  account_name = $4, updated_at = now()"
      " FROM u WHERE payee.id = u.payee_id RETURNING payee.beneficiary_id),"
      " o AS ("
      " INSERT INTO outbox (topic, subject, actor, schema_version, data)"
      " SELECT 'payment.scheduled', u.id::text, $5, 1,"
      "  pb_scheduled(ROW(u.*)::payment, (SELECT beneficiary_id FROM pe))"
      " FROM u RETURNING 1)"
      " SELECT " PAYMENT_JSON("u") "::text"
      "  || left((SELECT count(*) FROM h)::text, 0)"
      "  || left((SELECT count(*) FROM o)::text, 0)"
      " FROM u";

static const char SQL_PAYMENT_DOC[]
    = "SELECT " PAYMENT_JSON("p") "::text, p.township_code"
      " FROM payment p WHERE p.id = $1::uuid";

static const char SQL_PAYMENTS[]
    = "SELECT coalesce(json_agg(j ORDER BY created_at DESC), '[]')::text"
      " FROM (SELECT " PAYMENT_JSON("p") " AS j, p.created_at"
      "  FROM payment p WHERE p.status = $1"
      "  AND p.township_code LIKE $2 || '%'"
      "  ORDER BY p.created_at DESC LIMIT $3::int) x";

sn_err
disbursement_store_payment_lock(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg)
{
	const char *v[] = { id };
	return sn_tx_query(tx, SQL_PAYMENT_LOCK, 1, v, cb, arg);
}

sn_err
disbursement_store_correct(sn_tx *tx, const char *id, const char *bank_code,
    const char *account_number, const char *account_name, const char *actor,
    sn_query_fn cb, void *arg)
{
	const char *v[]
	    = { id, bank_code, account_number, account_name, actor };
	return sn_tx_query(tx, SQL_CORRECT, 5, v, cb, arg);
}

void
disbursement_store_payment_doc(
    sn_db *db, const char *id, sn_db_query_fn done, void *arg)
{
	const char *v[] = { id };
	sn_db_query(db, SQL_PAYMENT_DOC, 1, v, done, arg);
}

void
disbursement_store_payments(sn_db *db, const char *status,
    const char *prefix, int limit, sn_db_query_fn done, void *arg)
{
	char l[16];
	snprintf(l, sizeof(l), "%d", limit);
	const char *v[] = { status, prefix, l };
	sn_db_query(db, SQL_PAYMENTS, 3, v, done, arg);
}
