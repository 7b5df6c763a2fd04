/*
 * store.c - every SQL statement of the emergency service; see store.h.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>

static const char SQL_ALLOCATE[]
    = "WITH f AS ("
      " INSERT INTO fund (township_code, balance_fen) VALUES ($1, $2::bigint)"
      " ON CONFLICT (township_code) DO UPDATE"
      "  SET balance_fen = fund.balance_fen + EXCLUDED.balance_fen,"
      "  updated_at = now()"
      " RETURNING township_code, balance_fen)"
      " INSERT INTO ledger (township_code, movement, amount_fen,"
      "  balance_after_fen, note, actor)"
      " SELECT f.township_code, 'allocation', $2::bigint, f.balance_fen, $3,"
      "  $4 FROM f"
      " RETURNING id, balance_after_fen, ts_json(created_at)";

/* The debit is the conditional UPDATE; the grant and the ledger row exist
 * only if it matched, so a short fund writes nothing. */
static const char SQL_GRANT_NOW[]
    = "WITH d AS ("
      " UPDATE fund SET balance_fen = balance_fen - $9::bigint,"
      "  updated_at = now()"
      " WHERE township_code = $1 AND balance_fen >= $9::bigint"
      " RETURNING balance_fen),"
      " g AS ("
      " INSERT INTO grants (status, township_code, village_code, id_number,"
      "  name, cause, description, household_size, amount_fen, bank_code,"
      "  account_number, account_name, granted_by, granted_at)"
      " SELECT 'granted', $1, $2, $3, $4, $5, $6, $7::int, $9::bigint, $10,"
      "  $11, $12, $8, now() FROM d"
      " RETURNING *),"
      " l AS ("
      " INSERT INTO ledger (township_code, movement, amount_fen,"
      "  balance_after_fen, grant_id, actor)"
      " SELECT $1, 'grant', -$9::bigint, d.balance_fen, g.id, $8 FROM d, g"
      " RETURNING id)"
      " SELECT g.id, d.balance_fen, l.id, grant_json(ROW(g.*)::grants)::text"
      " FROM d, g, l";

static const char SQL_GRANT_AWAITING[]
    = "INSERT INTO grants (status, township_code, village_code, id_number,"
      " name, cause, description, household_size, amount_fen, bank_code,"
      " account_number, account_name, granted_by)"
      " VALUES ('awaiting_approval', $1, $2, $3, $4, $5, $6, $7::int,"
      " $9::bigint, $10, $11, $12, $8)"
      " RETURNING id, grant_json(grants)::text";

static const char SQL_BALANCE[]
    = "SELECT (SELECT balance_fen FROM fund WHERE township_code = $1),"
      " $2::bigint";

static const char SQL_GRANT_BALANCE[]
    = "SELECT (SELECT balance_fen FROM fund f"
      "  WHERE f.township_code = g.township_code), g.amount_fen"
      " FROM grants g WHERE g.id = $1::uuid";

static const char SQL_LOCK_GRANT[]
    = "SELECT status, township_code, village_code, granted_by, id_number,"
      " name, household_size, amount_fen, bank_code, account_number,"
      " account_name"
      " FROM grants WHERE id = $1::uuid FOR UPDATE";

static const char SQL_APPROVE[]
    = "WITH d AS ("
      " UPDATE fund SET balance_fen = balance_fen - $3::bigint,"
      "  updated_at = now()"
      " WHERE township_code = $2 AND balance_fen >= $3::bigint"
      "  AND EXISTS (SELECT 1 FROM grants WHERE id = $1::uuid"
      "   AND status = 'awaiting_approval' AND amount_fen = $3::bigint"
      "   AND township_code = $2)"
      " RETURNING balance_fen),"
      " g AS ("
      " UPDATE grants SET status = 'granted', approved_by = $4,"
      "  decision_reason = $5, decided_at = now(), granted_at = now()"
      " FROM d WHERE grants.id = $1::uuid"
      "  AND grants.status = 'awaiting_approval'"
      " RETURNING grants.*),"
      " l AS ("
      " INSERT INTO ledger (township_code, movement, amount_fen,"
      "  balance_after_fen, grant_id, actor)"
      " SELECT g.township_code, 'grant', -g.amount_fen, d.balance_fen, g.id,"
      "  $4 FROM d, g"
      " RETURNING id)"
      " SELECT g.id, d.balance_fen, l.id, grant_json(ROW(g.*)::grants)::text"
      " FROM d, g, l";

static const char SQL_REJECT[]
    = "UPDATE grants SET status = 'rejected', rejected_by = $2,"
      " decision_reason = $3, decided_at = now()"
      " WHERE id = $1::uuid AND status = 'awaiting_approval'"
      " RETURNING grant_json(grants)::text";

static const char SQL_REFERRAL[]
    = "INSERT INTO referral (id, grant_id, kind, department, note,"
      " created_by)"
      " VALUES ($6::uuid, $1::uuid, $2, $3, $4, $5)"
      " ON CONFLICT (grant_id, kind) DO NOTHING"
      " RETURNING id, ts_json(created_at)";

static const char SQL_PAID[]
    = "WITH b AS (SELECT id, status FROM grants WHERE id = $1::uuid),"
      " u AS (UPDATE grants SET status = 'paid', payment_id = $2,"
      "  paid_at = now(), settled_at = $3"
      "  WHERE id = $1::uuid AND status = 'granted' RETURNING id)"
      " SELECT b.id, b.status FROM b";

static const char SQL_REVERSE[]
    = "WITH g AS ("
      " UPDATE grants SET status = 'payment_failed', payment_id = $2,"
      "  failed_at = now(), failure_code = $3, failure_reason = $4"
      " WHERE id = $1::uuid AND status = 'granted'"
      " RETURNING id, township_code, amount_fen),"
      " f AS ("
      " UPDATE fund SET balance_fen = fund.balance_fen + g.amount_fen,"
      "  updated_at = now()"
      " FROM g WHERE fund.township_code = g.township_code"
      " RETURNING fund.township_code, fund.balance_fen, g.amount_fen,"
      "  g.id AS grant_id)"
      " INSERT INTO ledger (township_code, movement, amount_fen,"
      "  balance_after_fen, grant_id, actor)"
      " SELECT township_code, 'reversal', amount_fen, balance_fen, grant_id,"
      "  $5 FROM f"
      " RETURNING id, township_code, amount_fen, balance_after_fen, grant_id,"
      "  actor";

static const char SQL_APPLICATION[]
    = "INSERT INTO referral_application (application_id, referral_id,"
      " taken_in_by, accepted_date, submitted_at)"
      " VALUES ($1, $2, $3, $4, coalesce(nullif($5, '')::timestamptz, now()))"
      " ON CONFLICT (application_id) DO NOTHING";

static const char SQL_WITHDRAWN[]
    = "UPDATE referral_application"
      " SET withdrawn_at = coalesce(nullif($3, '')::timestamptz, now()),"
      " withdraw_reason = $2"
      " WHERE application_id = $1 AND withdrawn_at IS NULL";

static const char SQL_DECISION[]
    = "INSERT INTO decision (application_id, case_id, approved, category,"
      " monthly_amount_fen, effective_month, decided_by, reason, decided_at)"
      " VALUES ($1, $2, $3::boolean, $4, $5::bigint, $6, $7, $8,"
      " coalesce(nullif($9, '')::timestamptz, now()))"
      " ON CONFLICT (application_id) DO UPDATE SET case_id = EXCLUDED.case_id,"
      " approved = EXCLUDED.approved, category = EXCLUDED.category,"
      " monthly_amount_fen = EXCLUDED.monthly_amount_fen,"
      " effective_month = EXCLUDED.effective_month,"
      " decided_by = EXCLUDED.decided_by, reason = EXCLUDED.reason,"
      " decided_at = EXCLUDED.decided_at";

static const char SQL_LOCK_FUND[]
    = "SELECT balance_fen FROM fund WHERE township_code = $1 FOR UPDATE";

/* $2 year, $3 offset minutes: the year runs from local midnight of
 * 1 January to the next. Opening is the balance after the last movement
 * before it (a fund's rows are ordered alike by seq and created_at). */
static const char SQL_SETTLE[]
    = "WITH b AS ("
      " SELECT make_timestamptz($2::int, 1, 1, 0, 0, 0, 'UTC')"
      "  - make_interval(mins => $3::int) AS s,"
      "  make_timestamptz($2::int + 1, 1, 1, 0, 0, 0, 'UTC')"
      "  - make_interval(mins => $3::int) AS e),"
      " y AS ("
      " SELECT coalesce((SELECT balance_after_fen FROM ledger, b"
      "   WHERE township_code = $1 AND created_at < b.s"
      "   ORDER BY seq DESC LIMIT 1), 0) AS opening,"
      "  coalesce(sum(amount_fen) FILTER (WHERE movement = 'allocation'), 0)"
      "   AS allocated,"
      "  coalesce(-sum(amount_fen) FILTER (WHERE movement = 'grant'), 0)"
      "   AS granted,"
      "  coalesce(sum(amount_fen) FILTER (WHERE movement = 'reversal'), 0)"
      "   AS reversed"
      " FROM ledger, b"
      " WHERE township_code = $1 AND created_at >= b.s AND created_at < b.e),"
      " l AS ("
      " INSERT INTO ledger (township_code, movement, amount_fen,"
      "  balance_after_fen, settlement_year, actor)"
      " SELECT township_code, 'settlement', 0, balance_fen, $2::int, $4"
      " FROM fund WHERE township_code = $1"
      " ON CONFLICT DO NOTHING"
      " RETURNING id, balance_after_fen),"
      " s AS ("
      " INSERT INTO settlement (township_code, year, opening_fen,"
      "  allocated_fen, granted_fen, reversed_fen, closing_fen,"
      "  ledger_entry_id, settled_by)"
      " SELECT $1, $2::int, y.opening, y.allocated, y.granted, y.reversed,"
      "  y.opening + y.allocated - y.granted + y.reversed, l.id, $4"
      " FROM y, l"
      " RETURNING *)"
      " SELECT json_build_object('township_code', s.township_code,"
      "  'year', s.year, 'opening_fen', s.opening_fen,"
      "  'allocated_fen', s.allocated_fen, 'granted_fen', s.granted_fen,"
      "  'reversed_fen', s.reversed_fen, 'closing_fen', s.closing_fen,"
      "  'balance_fen', l.balance_after_fen,"
      "  'ledger_entry_id', s.ledger_entry_id, 'settled_by', s.settled_by,"
      "  'settled_at', ts_json(s.created_at))::text,"
      "  l.id, l.balance_after_fen"
      " FROM s, l";

static const char SQL_SETTLEMENT[]
    = "SELECT json_build_object('township_code', s.township_code,"
      "  'year', s.year, 'opening_fen', s.opening_fen,"
      "  'allocated_fen', s.allocated_fen, 'granted_fen', s.granted_fen,"
      "  'reversed_fen', s.reversed_fen, 'closing_fen', s.closing_fen,"
      "  'ledger_entry_id', s.ledger_entry_id, 'settled_by', s.settled_by,"
      "  'settled_at', ts_json(s.created_at))::text"
      " FROM settlement s WHERE township_code = $1 AND year = $2::int";

static const char SQL_GRANT_DOC[]
    = "SELECT grant_json(g)::text, g.township_code FROM grants g"
      " WHERE id = $1::uuid";

static const char SQL_LIST_GRANTS[]
    = "SELECT coalesce(json_agg(grant_json(s.g) ORDER BY s.rn)"
      "  FILTER (WHERE s.rn <= $3::int), '[]')::text, count(*) > $3::int"
      " FROM (SELECT g, row_number() OVER (ORDER BY g.created_at, g.id) AS rn"
      "  FROM grants g WHERE ($1 = 'all' OR g.status = $1)"
      "  AND g.township_code LIKE $2 || '%'"
      "  ORDER BY g.created_at, g.id LIMIT $3::int + 1) s";

static const char SQL_FUNDS[]
    = "SELECT coalesce(json_agg(json_build_object("
      "  'township_code', f.township_code, 'balance_fen', f.balance_fen,"
      "  'grant_limit_fen', $2::bigint,"
      "  'allocated_fen', (SELECT coalesce(sum(amount_fen), 0) FROM ledger l"
      "   WHERE l.township_code = f.township_code"
      "   AND l.movement = 'allocation'),"
      "  'granted_fen', (SELECT coalesce(-sum(amount_fen), 0) FROM ledger l"
      "   WHERE l.township_code = f.township_code AND l.movement = 'grant'),"
      "  'reversed_fen', (SELECT coalesce(sum(amount_fen), 0) FROM ledger l"
      "   WHERE l.township_code = f.township_code"
      "   AND l.movement = 'reversal'),"
      "  'awaiting_approval', (SELECT count(*) FROM grants g"
      "   WHERE g.township_code = f.township_code"
      "   AND g.status = 'awaiting_approval'),"
      "  'updated_at', ts_json(f.updated_at))"
      "  ORDER BY f.township_code), '[]')::text"
      " FROM fund f WHERE f.township_code LIKE $1 || '%'";

static const char SQL_FIGURES[]
    = "SELECT coalesce(json_agg(json_build_object('township_code', t,"
      "  'cause', c, 'month', m, 'person_times', n, 'persons', p,"
      "  'amount_fen', a, 'reversed_fen', r) ORDER BY t, c, m), '[]')::text,"
      "  coalesce(sum(n), 0), coalesce(sum(a), 0)"
      " FROM (SELECT township_code AS t, cause AS c,"
      "  to_char((granted_at AT TIME ZONE 'UTC')"
      "   + make_interval(mins => $3::int), 'YYYY-MM') AS m,"
      "  count(*) AS n, count(DISTINCT id_number) AS p,"
      "  sum(amount_fen) AS a,"
      "  coalesce(sum(amount_fen) FILTER (WHERE status = 'payment_failed'),"
      "   0) AS r"
      "  FROM grants"
      "  WHERE granted_at IS NOT NULL AND township_code LIKE $1 || '%'"
      "  AND granted_at >= make_timestamptz($2::int, 1, 1, 0, 0, 0, 'UTC')"
      "   - make_interval(mins => $3::int)"
      "  AND granted_at < make_timestamptz($2::int + 1, 1, 1, 0, 0, 0, 'UTC')"
      "   - make_interval(mins => $3::int)"
      "  GROUP BY 1, 2, 3) s";

static const char SQL_CHAIN[]
    = "SELECT coalesce(json_agg(json_build_object("
      "  'grant', grant_json(g),"
      "  'referrals', (SELECT coalesce(json_agg(json_build_object("
      "    'id', r.id, 'kind', r.kind, 'department', r.department,"
      "    'note', r.note, 'created_by', r.created_by,"
      "    'created_at', ts_json(r.created_at),"
      "    'applications', (SELECT coalesce(json_agg(json_build_object("
      "      'application_id', a.application_id,"
      "      'taken_in_by', a.taken_in_by,"
      "      'accepted_date', a.accepted_date,"
      "      'submitted_at', ts_json(a.submitted_at),"
      "      'withdrawn_at', ts_json(a.withdrawn_at),"
      "      'decision', (SELECT json_build_object("
      "        'approved', d.approved, 'category', d.category,"
      "        'monthly_amount_fen', d.monthly_amount_fen,"
      "        'effective_month', d.effective_month,"
      "        'decided_by', d.decided_by, 'reason', d.reason,"
      "        'decided_at', ts_json(d.decided_at))"
      "       FROM decision d WHERE d.application_id = a.application_id))"
      "      ORDER BY a.submitted_at, a.application_id), '[]')"
      "     FROM referral_application a"
      "     WHERE a.referral_id = r.id::text))"
      "    ORDER BY r.created_at, r.id), '[]')"
      "   FROM referral r WHERE r.grant_id = g.id))"
      "  ORDER BY g.created_at, g.id), '[]')::text"
      " FROM grants g WHERE g.id_number = $1 AND g.township_code LIKE $2 || '%'";

static const char SQL_BALANCES[]
    = "SELECT township_code, balance_fen FROM fund";

static const char SQL_STATUS_COUNTS[]
    = "SELECT status, count(*) FROM grants GROUP BY status";

sn_err
emergency_store_allocate(sn_tx *tx, const char *township, int64_t amount,
    const char *note, const char *actor, sn_query_fn cb, void *arg)
{
	char        amt[24];
	const char *v[4] = { township, amt, note, actor };
	snprintf(amt, sizeof(amt), "%" PRId64, amount);
	return sn_tx_query(tx, SQL_ALLOCATE, 4, v, cb, arg);
}

static void
grant_values(const emergency_new_grant *g, const char *v[12], char hh[24],
    char amt[24])
{
	snprintf(hh, 24, "%" PRId64, g->household_size);
	snprintf(amt, 24, "%" PRId64, g->amount_fen);
	v[0]  = g->township_code;
	v[1]  = g->village_code;
	v[2]  = g->id_number;
	v[3]  = g->name;
	v[4]  = g->cause;
	v[5]  = g->description;
	v[6]  = hh;
	v[7]  = g->granted_by;
	v[8]  = amt;
	v[9]  = g->bank_code;
	v[10] = g->account_number;
	v[11] = g->account_name;
}

sn_err
emergency_store_grant_now(sn_tx *tx, const emergency_new_grant *g,
    sn_query_fn cb, void *arg)
{
	char        hh[24], amt[24];
	const char *v[12];
	grant_values(g, v, hh, amt);
	return sn_tx_query(tx, SQL_GRANT_NOW, 12, v, cb, arg);
}

sn_err
emergency_store_grant_awaiting(sn_tx *tx, const emergency_new_grant *g,
    sn_query_fn cb, void *arg)
{
	char        hh[24], amt[24];
	const char *v[12];
	grant_values(g, v, hh, amt);
	return sn_tx_query(tx, SQL_GRANT_AWAITING, 12, v, cb, arg);
}

sn_err
emergency_store_balance(sn_tx *tx, const char *township, int64_t amount,
    sn_query_fn cb, void *arg)
{
	char        amt[24];
	const char *v[2] = { township, amt };
	snprintf(amt, sizeof(amt), "%" PRId64, amount);
	return sn_tx_query(tx, SQL_BALANCE, 2, v, cb, arg);
}

sn_err
emergency_store_grant_balance(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg)
{
	const char *v[1] = { id };
	return sn_tx_query(tx, SQL_GRANT_BALANCE, 1, v, cb, arg);
}

sn_err
emergency_store_lock_grant(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg)
{
	const char *v[1] = { id };
	return sn_tx_query(tx, SQL_LOCK_GRANT, 1, v, cb, arg);
}

sn_err
emergency_store_approve(sn_tx *tx, const char *id, const char *township,
    int64_t amount, const char *approver, const char *reason, sn_query_fn cb,
    void *arg)
{
	char        amt[24];
	const char *v[5] = { id, township, amt, approver, reason };
	snprintf(amt, sizeof(amt), "%" PRId64, amount);
	return sn_tx_query(tx, SQL_APPROVE, 5, v, cb, arg);
}

sn_err
emergency_store_reject(sn_tx *tx, const char *id, const char *approver,
    const char *reason, sn_query_fn cb, void *arg)
{
	const char *v[3] = { id, approver, reason };
	return sn_tx_query(tx, SQL_REJECT, 3, v, cb, arg);
}

sn_err
emergency_store_referral(sn_tx *tx, const char *id, const char *grant_id,
    const char *kind, const char *department, const char *note,
    const char *created_by, sn_query_fn cb, void *arg)
{
	const char *v[6] = { grant_id, kind, department, note, created_by, id };
	return sn_tx_query(tx, SQL_REFERRAL, 6, v, cb, arg);
}

sn_err
emergency_store_paid(sn_tx *tx, const char *id, const char *payment_id,
    const char *settled_at, sn_query_fn cb, void *arg)
{
	const char *v[3] = { id, payment_id, settled_at };
	return sn_tx_query(tx, SQL_PAID, 3, v, cb, arg);
}

sn_err
emergency_store_reverse(sn_tx *tx, const char *id, const char *payment_id,
    const char *reason_code, const char *reason, const char *actor,
    sn_query_fn cb, void *arg)
{
	const char *v[5] = { id, payment_id, reason_code, reason, actor };
	return sn_tx_query(tx, SQL_REVERSE, 5, v, cb, arg);
}

sn_err
emergency_store_application(sn_tx *tx, const char *application_id,
    const char *referral_id, const char *taken_in_by,
    const char *accepted_date, const char *event_time)
{
	const char *v[5] = { application_id, referral_id, taken_in_by,
		accepted_date, event_time };
	return sn_tx_query(tx, SQL_APPLICATION, 5, v, NULL, NULL);
}

sn_err
emergency_store_withdrawn(sn_tx *tx, const char *application_id,
    const char *reason, const char *event_time)
{
	const char *v[3] = { application_id, reason, event_time };
	return sn_tx_query(tx, SQL_WITHDRAWN, 3, v, NULL, NULL);
}

sn_err
emergency_store_decision(sn_tx *tx, const emergency_decision *d)
{
	char        amt[24];
	const char *v[9];
	snprintf(amt, sizeof(amt), "%" PRId64, d->monthly_amount_fen);
	v[0] = d->application_id;
	v[1] = d->case_id;
	v[2] = d->approved ? "true" : "false";
	v[3] = d->category;
	v[4] = amt;
	v[5] = d->effective_month;
	v[6] = d->decided_by;
	v[7] = d->reason;
	v[8] = d->event_time;
	return sn_tx_query(tx, SQL_DECISION, 9, v, NULL, NULL);
}

sn_err
emergency_store_lock_fund(
    sn_tx *tx, const char *township, sn_query_fn cb, void *arg)
{
	const char *v[1] = { township };
	return sn_tx_query(tx, SQL_LOCK_FUND, 1, v, cb, arg);
}

sn_err
emergency_store_settle(sn_tx *tx, const char *township, int year,
    int utc_offset_min, const char *actor, sn_query_fn cb, void *arg)
{
	char        y[16], off[16];
	const char *v[4] = { township, y, off, actor };
	snprintf(y, sizeof(y), "%d", year);
	snprintf(off, sizeof(off), "%d", utc_offset_min);
	return sn_tx_query(tx, SQL_SETTLE, 4, v, cb, arg);
}

sn_err
emergency_store_settlement(
    sn_tx *tx, const char *township, int year, sn_query_fn cb, void *arg)
{
	char        y[16];
	const char *v[2] = { township, y };
	snprintf(y, sizeof(y), "%d", year);
	return sn_tx_query(tx, SQL_SETTLEMENT, 2, v, cb, arg);
}

void
emergency_store_grant_doc(
    sn_db *db, const char *id, sn_db_query_fn done, void *arg)
{
	const char *v[1] = { id };
	sn_db_query(db, SQL_GRANT_DOC, 1, v, done, arg);
}

void
emergency_store_list_grants(sn_db *db, const char *status,
    const char *prefix, int limit, sn_db_query_fn done, void *arg)
{
	char        lim[16];
	const char *v[3] = { status, prefix, lim };
	snprintf(lim, sizeof(lim), "%d", limit);
	sn_db_query(db, SQL_LIST_GRANTS, 3, v, done, arg);
}

void
emergency_store_funds(sn_db *db, const char *prefix, int64_t grant_limit,
    sn_db_query_fn done, void *arg)
{
	char        lim[24];
	const char *v[2] = { prefix, lim };
	snprintf(lim, sizeof(lim), "%" PRId64, grant_limit);
	sn_db_query(db, SQL_FUNDS, 2, v, done, arg);
}

void
emergency_store_figures(sn_db *db, const char *prefix, int year,
    int utc_offset_min, sn_db_query_fn done, void *arg)
{
	char        y[16], off[16];
	const char *v[3] = { prefix, y, off };
	snprintf(y, sizeof(y), "%d", year);
	snprintf(off, sizeof(off), "%d", utc_offset_min);
	sn_db_query(db, SQL_FIGURES, 3, v, done, arg);
}

void
emergency_store_chain(sn_db *db, const char *id_number, const char *prefix,
    sn_db_query_fn done, void *arg)
{
	const char *v[2] = { id_number, prefix };
	sn_db_query(db, SQL_CHAIN, 2, v, done, arg);
}

void
emergency_store_balances(sn_db *db, sn_db_query_fn done, void *arg)
{
	sn_db_query(db, SQL_BALANCES, 0, NULL, done, arg);
}

void
emergency_store_status_counts(sn_db *db, sn_db_query_fn done, void *arg)
{
	sn_db_query(db, SQL_STATUS_COUNTS, 0, NULL, done, arg);
}
