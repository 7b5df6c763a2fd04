/*
 * store.c - every SQL statement of the emergency service; see store.h.
 *
 * Results are read only through sn_rows, by column name: every statement
 * names the columns its row table reads (AS ...), and sums are cast to
 * bigint so that they read as integers.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealed.h"
#include "sn/clock.h"

/* The columns of an emergency_grant, from grants row g. */
#define GRANT_COLS(g)                                                         \
	" " g ".id, " g ".status, " g ".township_code, " g                    \
	".village_code, coalesce(" g ".id_number_sealed, " g                  \
	".id_number) AS id_number, " g ".name, " g ".cause, " g               \
	".description, " g ".household_size, " g ".amount_fen, " g            \
	".bank_code, coalesce(" g ".account_number_sealed, " g                \
	".account_number) AS account_number, " g ".account_name, " g          \
	".granted_by, " g ".approved_by, ts_json(" g                          \
	".granted_at) AS granted_at, " g ".instalments, " g ".monthly_fen"

static const sn_col grant_cols[] = {
	SN_COL(emergency_grant, id, SN_COL_TEXT),
	SN_COL_ENUMOF(emergency_grant, status, emergency_status_names),
	SN_COL(emergency_grant, township_code, SN_COL_TEXT),
	SN_COL(emergency_grant, village_code, SN_COL_TEXT),
	SN_COL(emergency_grant, id_number, SN_COL_TEXT),
	SN_COL(emergency_grant, name, SN_COL_TEXT),
	SN_COL_ENUMOF(emergency_grant, cause, emergency_cause_names),
	SN_COL(emergency_grant, description, SN_COL_TEXT),
	SN_COL(emergency_grant, household_size, SN_COL_I32),
	SN_COL(emergency_grant, amount_fen, SN_COL_I64),
	SN_COL(emergency_grant, bank_code, SN_COL_TEXT),
	SN_COL(emergency_grant, account_number, SN_COL_TEXT),
	SN_COL(emergency_grant, account_name, SN_COL_TEXT),
	SN_COL(emergency_grant, granted_by, SN_COL_TEXT),
	SN_COL_OPT(emergency_grant, approved_by, SN_COL_TEXT, has_approved_by),
	SN_COL_OPT(emergency_grant, granted_at, SN_COL_TEXT, has_granted_at),
	SN_COL_AS(emergency_grant, doc_sealed, "doc", SN_COL_TEXT),
	SN_COL(emergency_grant, instalments, SN_COL_I32),
	SN_COL_OPT(emergency_grant, monthly_fen, SN_COL_I64, has_monthly),
};

static const sn_col window_cols[] = {
	SN_COL(emergency_window, sum_fen, SN_COL_I64),
	SN_COL(emergency_window, grants, SN_COL_TEXT),
};

static const sn_col due_cols[] = {
	SN_COL(emergency_due, instalment, SN_COL_I32),
};

static const sn_col movement_cols[] = {
	SN_COL(emergency_movement, ledger_entry_id, SN_COL_TEXT),
	SN_COL(emergency_movement, balance_after_fen, SN_COL_I64),
	SN_COL(emergency_movement, created_at, SN_COL_TEXT),
};

/* A row's place in the set it answers (SQL_GRANT_MANY), from 1. */
typedef struct row_ord {
	int32_t ord;
} row_ord;

static const sn_col ord_cols[] = {
	SN_COL(row_ord, ord, SN_COL_I32),
};

static const sn_col fund_cols[] = {
	SN_COL(emergency_fund, balance_fen, SN_COL_I64),
};

static const sn_col referral_cols[] = {
	SN_COL(emergency_referral, id, SN_COL_TEXT),
	SN_COL(emergency_referral, created_at, SN_COL_TEXT),
};

static const sn_col reversal_cols[] = {
	SN_COL(emergency_reversal, ledger_entry_id, SN_COL_TEXT),
	SN_COL(emergency_reversal, township_code, SN_COL_TEXT),
	SN_COL(emergency_reversal, amount_fen, SN_COL_I64),
	SN_COL(emergency_reversal, balance_after_fen, SN_COL_I64),
	SN_COL(emergency_reversal, grant_id, SN_COL_TEXT),
	SN_COL(emergency_reversal, actor, SN_COL_TEXT),
};

static const sn_col settlement_cols[] = {
	SN_COL(emergency_settlement, report, SN_COL_TEXT),
	SN_COL(emergency_settlement, ledger_entry_id, SN_COL_TEXT),
	SN_COL(emergency_settlement, balance_after_fen, SN_COL_I64),
};

static const sn_col grant_doc_cols[] = {
	SN_COL(emergency_grant_doc, doc, SN_COL_TEXT),
	SN_COL(emergency_grant_doc, township_code, SN_COL_TEXT),
};

static const sn_col grant_page_cols[] = {
	SN_COL(emergency_grant_page, items, SN_COL_TEXT),
	SN_COL(emergency_grant_page, more, SN_COL_BOOL),
	SN_COL(emergency_grant_page, last, SN_COL_I64),
};

static const sn_col figures_cols[] = {
	SN_COL(emergency_figures, rows, SN_COL_TEXT),
	SN_COL(emergency_figures, person_times, SN_COL_I64),
	SN_COL(emergency_figures, amount_fen, SN_COL_I64),
};

static const sn_col balance_cols[] = {
	SN_COL(emergency_balance, township_code, SN_COL_TEXT),
	SN_COL(emergency_balance, balance_fen, SN_COL_I64),
};

typedef struct status_count {
	emergency_grant_status status;
	int64_t                n;
} status_count;

static const sn_col status_count_cols[] = {
	SN_COL_ENUMOF(status_count, status, emergency_status_names),
	SN_COL(status_count, n, SN_COL_I64),
};

typedef struct json_doc {
	const char *json;
} json_doc;

static const sn_col json_cols[] = {
	SN_COL(json_doc, json, SN_COL_TEXT),
};

/* ---- SQL ---------------------------------------------------------------- */

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
      " RETURNING id AS ledger_entry_id, balance_after_fen,"
      "  ts_json(created_at) AS created_at";

static const char SQL_LOCK_FUND[]
    = "SELECT balance_fen FROM fund WHERE township_code = $1 FOR UPDATE";

/* The grants of the window: those naming one of the people (a text[] of
 * blind indexes), not rejected, not wholly reversed, made in the last days
 * days (an int). Alias w. Each grant is looked up by its id (a nested loop
 * over the people's grant_person rows): written as a join, the plan kept
 * for the statement, made while the tables were small, hashed the whole
 * grants table for every grant (issue 15). */
#define WINDOW_OF(people, days)                                               \
	" FROM (SELECT DISTINCT p.grant_id FROM grant_person p"               \
	"  WHERE p.person_index = ANY(" people "::text[])) AS x"              \
	" CROSS JOIN LATERAL (SELECT w.id, w.amount_fen, w.reversed_fen,"     \
	"  w.created_at FROM grants w WHERE w.id = x.grant_id"                \
	"  AND w.status <> 'rejected' AND w.amount_fen > w.reversed_fen"      \
	"  AND w.created_at > now() - make_interval(days => " days "::int)"   \
	"  OFFSET 0) AS w"

/* The debit is the conditional UPDATE (cond: more conditions on it); the
 * grant and the ledger row exist only if it matched, so a short fund
 * writes nothing. */
#define GRANT_NOW_SQL(cond)                                                   \
	"WITH d AS ("                                                         \
	" UPDATE fund SET balance_fen = balance_fen - $9::bigint,"            \
	"  updated_at = now()"                                                \
	" WHERE township_code = $1 AND balance_fen >= $9::bigint" cond        \
	" RETURNING balance_fen),"                                            \
	" g AS ("                                                             \
	" INSERT INTO grants (status, township_code, village_code,"           \
	"  id_number_sealed, name, cause, description, household_size,"       \
	"  amount_fen, bank_code, account_number_sealed, account_name,"       \
	"  granted_by, granted_at, household_sealed, kind, instalments,"      \
	"  monthly_fen, window_sum_fen, window_grants, id_number_index)"      \
	" SELECT 'granted', $1, $2, $3, $4, $5, $6, $7::int,"                 \
	"  $9::bigint, $10, $11, $12, $8, now(), $13, $14, $15::int,"         \
	"  $16::bigint, $17::bigint, $18::uuid[], $19 FROM d"                 \
	" RETURNING *),"                                                      \
	" p AS ("                                                             \
	" INSERT INTO grant_person (grant_id, person_index)"                  \
	" SELECT g.id, unnest($20::text[]) FROM g),"                          \
	" l AS ("                                                             \
	" INSERT INTO ledger (township_code, movement, amount_fen,"           \
	"  balance_after_fen, grant_id, actor)"                               \
	" SELECT $1, 'grant', -$9::bigint, d.balance_fen, g.id, $8 FROM d, g" \
	" RETURNING id, created_at)"                                          \
	" SELECT" GRANT_COLS(                                                 \
	    "g") ","                                                          \
	         "  grant_json(ROW(g.*)::grants)::text AS doc,"               \
	         "  l.id AS ledger_entry_id,"                                 \
	         "  d.balance_fen AS balance_after_fen,"                      \
	         "  ts_json(l.created_at) AS created_at"                      \
	         " FROM d, g, l"

static const char SQL_GRANT_NOW[] = GRANT_NOW_SQL("");

/* The same, only if the window of the people ($20) over $21 days with
 * this grant stays within the per-grant limit $22. */
static const char SQL_GRANT_WITHIN[] = GRANT_NOW_SQL(
    " AND $22::bigint - $9::bigint >= (SELECT"
    "  coalesce(sum(w.amount_fen - w.reversed_fen), 0)" WINDOW_OF(
        "$20", "$21") ")");

/* GRANT_WITHIN for a set of single grants of people that overlap no
 * other's ($4..$17, one element a grant; $17 the people, each a text[]
 * literal): the fund ($1) debited once by their sum, only if each one's
 * window over $2 days stays within the limit $3. Each grant's id is made
 * here, so that its people and ledger row find it; the ledger rows go in
 * the order given, each with the balance after it. */
/* clang-format off */
static const char SQL_GRANT_MANY[]
    = "WITH m AS (SELECT gen_random_uuid() AS id, * FROM unnest("
      "  $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],"
      "  $9::int[], $10::text[], $11::bigint[], $12::text[], $13::text[],"
      "  $14::text[], $15::text[], $16::text[], $17::text[])"
      "  WITH ORDINALITY AS m (village_code, id_sealed, name, cause,"
      "  description, household_size, granted_by, amount_fen, bank_code,"
      "  account_sealed, account_name, household_sealed, person_index,"
      "  people, ord)),"
      " t AS (SELECT sum(amount_fen)::bigint AS total FROM m),"
      " d AS ("
      " UPDATE fund SET balance_fen = balance_fen - t.total,"
      "  updated_at = now() FROM t"
      " WHERE township_code = $1 AND balance_fen >= t.total"
      "  AND (SELECT bool_and($3::bigint - m.amount_fen >= (SELECT"
      "  coalesce(sum(w.amount_fen - w.reversed_fen), 0)"
      WINDOW_OF("m.people", "$2") ")) FROM m)"
      " RETURNING fund.balance_fen + t.total AS before),"
      " g AS ("
      " INSERT INTO grants (id, status, township_code, village_code,"
      "  id_number_sealed, name, cause, description, household_size,"
      "  amount_fen, bank_code, account_number_sealed, account_name,"
      "  granted_by, granted_at, household_sealed, kind, instalments,"
      "  monthly_fen, window_sum_fen, window_grants, id_number_index)"
      " SELECT m.id, 'granted', $1, m.village_code, m.id_sealed, m.name,"
      "  m.cause, m.description, m.household_size, m.amount_fen,"
      "  m.bank_code, m.account_sealed, m.account_name, m.granted_by,"
      "  now(), m.household_sealed, 'single', 0, NULL, NULL, NULL,"
      "  m.person_index FROM d, m ORDER BY m.ord"
      " RETURNING *),"
      " p AS ("
      " INSERT INTO grant_person (grant_id, person_index)"
      " SELECT g.id, unnest(m.people::text[]) FROM g JOIN m USING (id)),"
      " l AS ("
      " INSERT INTO ledger (township_code, movement, amount_fen,"
      "  balance_after_fen, grant_id, actor)"
      " SELECT $1, 'grant', -m.amount_fen,"
      "  d.before - sum(m.amount_fen) OVER (ORDER BY m.ord), m.id,"
      "  m.granted_by FROM d, m ORDER BY m.ord"
      " RETURNING id, grant_id, balance_after_fen, created_at)"
      " SELECT m.ord::int AS ord," GRANT_COLS("g") ","
      "  grant_json(ROW(g.*)::grants)::text AS doc,"
      "  l.id AS ledger_entry_id, l.balance_after_fen,"
      "  ts_json(l.created_at) AS created_at"
      " FROM g JOIN m USING (id) JOIN l ON l.grant_id = g.id"
      " ORDER BY m.ord";
/* clang-format on */

static const char SQL_GRANT_AWAITING[]
    = "WITH g AS ("
      " INSERT INTO grants (status, township_code, village_code,"
      " id_number_sealed, name, cause, description, household_size,"
      " amount_fen, bank_code, account_number_sealed, account_name,"
      " granted_by, household_sealed, kind, instalments, monthly_fen,"
      " window_sum_fen, window_grants, id_number_index)"
      " VALUES ('awaiting_approval', $1, $2, $3, $4, $5, $6, $7::int,"
      " $9::bigint, $10, $11, $12, $8, $13, $14, $15::int,"
      " $16::bigint, $17::bigint, $18::uuid[], $19)"
      " RETURNING *),"
      " p AS ("
      " INSERT INTO grant_person (grant_id, person_index)"
      " SELECT g.id, unnest($20::text[]) FROM g)"
      " SELECT" GRANT_COLS(
          "g") ","
               "  grant_json(ROW(g.*)::grants)::text AS doc FROM g";

static const char SQL_LOCK_GRANT[] = "SELECT" GRANT_COLS(
    "g") ", grant_json(g)::text AS doc"
         " FROM grants g WHERE g.id = $1::uuid FOR UPDATE";

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
      " RETURNING id, created_at)"
      " SELECT" GRANT_COLS(
          "g") ","
               "  grant_json(ROW(g.*)::grants)::text AS doc,"
               "  l.id AS ledger_entry_id, d.balance_fen AS balance_after_fen,"
               "  ts_json(l.created_at) AS created_at"
               " FROM d, g, l";

static const char SQL_REJECT[]
    = "UPDATE grants AS g SET status = 'rejected', rejected_by = $2,"
      " decision_reason = $3, decided_at = now()"
      " WHERE g.id = $1::uuid AND g.status = 'awaiting_approval'"
      " RETURNING" GRANT_COLS("g") ", grant_json(g)::text AS doc";

static const char SQL_REFERRAL[]
    = "INSERT INTO referral (id, grant_id, kind, department, note,"
      " created_by)"
      " VALUES ($6::uuid, $1::uuid, $2, $3, $4, $5)"
      " ON CONFLICT (grant_id, kind) DO NOTHING"
      " RETURNING id, ts_json(created_at) AS created_at";

static const char SQL_PAID[]
    = "UPDATE grants SET status = 'paid', payment_id = $2,"
      " paid_at = now(), settled_at = $3"
      " WHERE id = $1::uuid AND status = 'granted' AND kind = 'single'";

static const char SQL_REVERSE[]
    = "WITH g AS ("
      " UPDATE grants SET status = 'payment_failed', payment_id = $2,"
      "  failed_at = now(), failure_code = $3, failure_reason = $4,"
      "  reversed_fen = amount_fen"
      " WHERE id = $1::uuid AND status = 'granted' AND kind = 'single'"
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
      " RETURNING id AS ledger_entry_id, township_code, amount_fen,"
      "  balance_after_fen, grant_id, actor";

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

/* The report's JSON, from settlement s (and ledger row l for the balance
 * after the settlement, which only the first answer shows). */
#define SETTLEMENT_JSON(balance)                                              \
	"json_build_object('township_code', s.township_code,"                 \
	"  'year', s.year, 'opening_fen', s.opening_fen,"                     \
	"  'allocated_fen', s.allocated_fen, 'granted_fen', s.granted_fen,"   \
	"  'reversed_fen', s.reversed_fen, 'closing_fen', "                   \
	"s.closing_fen," balance "  'ledger_entry_id', s.ledger_entry_id,"    \
	"  'settled_by', s.settled_by,"                                       \
	"  'settled_at', ts_json(s.created_at))::text AS report"

/* $2 the year; [$3, $4) its instants (Unix seconds), from the district's
 * midnights. Opening is the balance after the last movement before it (a
 * fund's rows are ordered alike by seq and created_at). */
static const char SQL_SETTLE[]
    = "WITH b AS ("
      " SELECT to_timestamp($3::bigint) AS s, to_timestamp($4::bigint) AS e),"
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
      " SELECT township_code, 'settlement', 0, balance_fen, $2::int, $5"
      " FROM fund WHERE township_code = $1"
      " ON CONFLICT DO NOTHING"
      " RETURNING id, balance_after_fen),"
      " s AS ("
      " INSERT INTO settlement (township_code, year, opening_fen,"
      "  allocated_fen, granted_fen, reversed_fen, closing_fen,"
      "  ledger_entry_id, settled_by)"
      " SELECT $1, $2::int, y.opening, y.allocated, y.granted, y.reversed,"
      "  y.opening + y.allocated - y.granted + y.reversed, l.id, $5"
      " FROM y, l"
      " RETURNING *)"
      " SELECT " SETTLEMENT_JSON(
          "  'balance_fen', l.balance_after_fen,") ","
                                                   "  l.id AS "
                                                   "ledger_entry_id, "
                                                   "l.balance_after_fen"
                                                   " FROM s, l";

static const char SQL_SETTLEMENT[] = "SELECT " SETTLEMENT_JSON(
    "") ","
        "  s.ledger_entry_id, l.balance_after_fen"
        " FROM settlement s JOIN ledger l ON l.id = s.ledger_entry_id"
        " WHERE s.township_code = $1 AND s.year = $2::int";

static const char SQL_GRANT_DOC[]
    = "SELECT grant_json(g)::text AS doc, g.township_code FROM grants g"
      " WHERE id = $1::uuid";

/* A page: the first $lim rows after key $after of a keyed subquery s
 * (its columns k, the key, and doc, a row's JSON), and whether more
 * follow. */
#define PAGE_OF(sub, lim, after)                                              \
	"SELECT coalesce(json_agg(p.doc ORDER BY p.k)"                        \
	"  FILTER (WHERE p.rn <= " lim "::int), '[]')::text AS items,"        \
	"  count(*) > " lim "::int AS more,"                                  \
	"  coalesce(max(p.k) FILTER (WHERE p.rn <= " lim "::int), 0)::bigint" \
	"  AS last"                                                           \
	" FROM (SELECT s.k, s.doc, row_number() OVER (ORDER BY s.k) AS rn"    \
	"  FROM (" sub ") s WHERE s.k > " after "::bigint"                    \
	"  ORDER BY s.k LIMIT " lim "::int + 1) p"

static const char SQL_LIST_GRANTS[]
    = PAGE_OF("SELECT g.list_seq AS k, grant_json(g) AS doc FROM grants g"
              " WHERE ($1 = 'all' OR g.status = $1)"
              " AND g.township_code LIKE $2 || '%'",
        "$3", "$4");

static const char SQL_LEDGER[] = PAGE_OF(
    "SELECT l.seq AS k, json_build_object('ledger_entry_id', l.id,"
    " 'seq', l.seq, 'township_code', l.township_code,"
    " 'movement', l.movement, 'amount_fen', l.amount_fen,"
    " 'balance_after_fen', l.balance_after_fen, 'grant_id', l.grant_id,"
    " 'instalment', nullif(l.instalment, 0),"
    " 'settlement_year', l.settlement_year, 'note', l.note,"
    " 'actor', l.actor, 'created_at', ts_json(l.created_at)) AS doc"
    " FROM ledger l WHERE l.township_code = $1",
    "$2", "$3");

static const char SQL_REFERRALS[]
    = PAGE_OF("SELECT r.list_seq AS k, json_build_object('id', r.id,"
              " 'grant_id', r.grant_id, 'township_code', g.township_code,"
              " 'kind', r.kind, 'department', r.department, 'note', r.note,"
              " 'created_by', r.created_by,"
              " 'created_at', ts_json(r.created_at)) AS doc"
              " FROM referral r JOIN grants g ON g.id = r.grant_id"
              " WHERE g.township_code LIKE $1 || '%'",
        "$2", "$3");

static const char SQL_FUNDS[] = PAGE_OF(
    "SELECT f.list_seq AS k, json_build_object("
    "  'township_code', f.township_code, 'balance_fen', f.balance_fen,"
    "  'grant_limit_fen', $2::bigint, 'window_days', $3::int,"
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
    "  'updated_at', ts_json(f.updated_at)) AS doc"
    " FROM fund f WHERE f.township_code LIKE $1 || '%'",
    "$4", "$5");

/* $2 the months' names ("YYYY-MM"), [$3, $4) their instants (Unix
 * seconds), from the district's midnights: a grant falls in the month of
 * the district's calendar in which it was made. */
static const char SQL_FIGURES[]
    = "SELECT coalesce(json_agg(json_build_object('township_code', t,"
      "  'cause', c, 'month', m, 'person_times', n, 'persons', p,"
      "  'amount_fen', a, 'reversed_fen', r) ORDER BY t, c, m), '[]')::text"
      "  AS rows,"
      "  coalesce(sum(n), 0)::bigint AS person_times,"
      "  coalesce(sum(a), 0)::bigint AS amount_fen"
      " FROM (SELECT g.township_code AS t, g.cause AS c, mo.label AS m,"
      "  count(*) AS n,"
      "  count(DISTINCT coalesce(g.id_number_index, g.id_number)) AS p,"
      "  sum(g.amount_fen) AS a,"
      "  coalesce(sum(g.amount_fen) FILTER"
      "   (WHERE g.status = 'payment_failed'), 0) AS r"
      "  FROM unnest($2::text[], $3::bigint[], $4::bigint[])"
      "   AS mo(label, s, e)"
      "  JOIN grants g ON g.granted_at >= to_timestamp(mo.s)"
      "   AND g.granted_at < to_timestamp(mo.e)"
      "  WHERE g.township_code LIKE $1 || '%'"
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
      "  ORDER BY g.created_at, g.id), '[]')::text AS json"
      " FROM grants g WHERE g.id_number_index = $1"
      " AND g.township_code LIKE $2 || '%'";

static const char SQL_BALANCES[]
    = "SELECT township_code, balance_fen FROM fund";

static const char SQL_STATUS_COUNTS[]
    = "SELECT status, count(*) AS n FROM grants GROUP BY status";

/* Advisory locks per person (their blind indexes), taken in one order
 * (of their hashes) so that two grants naming the same people cannot
 * deadlock. */
static const char SQL_LOCK_PEOPLE[]
    = "SELECT count(pg_advisory_xact_lock(4010, s.k)) AS n"
      " FROM (SELECT DISTINCT hashtext(x) AS k"
      "  FROM unnest($1::text[]) AS x ORDER BY k) s";

static const char SQL_WINDOW[]
    = "SELECT coalesce(sum(w.amount_fen - w.reversed_fen), 0)::bigint"
      "  AS sum_fen,"
      "  coalesce(array_agg(w.id ORDER BY w.created_at, w.id), '{}')::text"
      "  AS grants" WINDOW_OF("$1", "$2");

static const char SQL_SCHEDULE[]
    = "INSERT INTO instalment (grant_id, instalment, month, amount_fen,"
      " status, published_at)"
      " SELECT g.id, k, to_char(to_date($2 || '-01', 'YYYY-MM-DD')"
      "  + make_interval(months => k - 1), 'YYYY-MM'), g.monthly_fen,"
      "  CASE WHEN k = 1 THEN 'published' ELSE 'scheduled' END,"
      "  CASE WHEN k = 1 THEN now() END"
      " FROM grants g, generate_series(1, g.instalments) AS k"
      " WHERE g.id = $1::uuid AND g.kind = 'transitional'"
      " ON CONFLICT DO NOTHING";

static const char SQL_GRANT_DOC_TX[]
    = "SELECT grant_json(g)::text AS json FROM grants g"
      " WHERE g.id = $1::uuid";

/* Due instalments, locked and marked published; a grant rejected or not
 * granted has none (its schedule is written at the debit). */
static const char SQL_DUE[]
    = "WITH d AS ("
      " SELECT i.grant_id, i.instalment FROM instalment i"
      " WHERE i.status = 'scheduled' AND i.month <= $1"
      " ORDER BY i.month, i.grant_id, i.instalment LIMIT $2::int"
      " FOR UPDATE SKIP LOCKED),"
      " u AS ("
      " UPDATE instalment i SET status = 'published', published_at = now()"
      " FROM d WHERE i.grant_id = d.grant_id"
      "  AND i.instalment = d.instalment AND i.status = 'scheduled'"
      " RETURNING i.grant_id, i.instalment)"
      " SELECT" GRANT_COLS("g") ", ''::text AS doc, u.instalment"
                                " FROM u JOIN grants g ON g.id = u.grant_id"
                                " ORDER BY u.grant_id, u.instalment";

static const char SQL_INSTALMENT_PAID[]
    = "WITH i AS ("
      " UPDATE instalment SET status = 'paid', payment_id = $3,"
      "  paid_at = now(), settled_at = $4"
      " WHERE grant_id = $1::uuid AND instalment = $2::int"
      "  AND status = 'published'"
      " RETURNING grant_id)"
      " UPDATE grants g SET status = 'paid', paid_at = now()"
      " FROM i WHERE g.id = i.grant_id AND g.status = 'granted'"
      " AND NOT EXISTS (SELECT 1 FROM instalment x WHERE x.grant_id = g.id"
      "  AND x.instalment <> $2::int AND x.status <> 'paid')";

static const char SQL_INSTALMENT_REVERSE[]
    = "WITH i AS ("
      " UPDATE instalment SET status = 'failed', payment_id = $3,"
      "  failed_at = now(), failure_code = $4, failure_reason = $5"
      " WHERE grant_id = $1::uuid AND instalment = $2::int"
      "  AND status = 'published'"
      " RETURNING grant_id, instalment, amount_fen),"
      " g AS ("
      " UPDATE grants SET reversed_fen = grants.reversed_fen + i.amount_fen"
      " FROM i WHERE grants.id = i.grant_id"
      " RETURNING grants.id, grants.township_code, i.amount_fen,"
      "  i.instalment),"
      " f AS ("
      " UPDATE fund SET balance_fen = fund.balance_fen + g.amount_fen,"
      "  updated_at = now()"
      " FROM g WHERE fund.township_code = g.township_code"
      " RETURNING fund.township_code, fund.balance_fen, g.amount_fen,"
      "  g.id AS grant_id, g.instalment)"
      " INSERT INTO ledger (township_code, movement, amount_fen,"
      "  balance_after_fen, grant_id, instalment, actor)"
      " SELECT township_code, 'reversal', amount_fen, balance_fen, grant_id,"
      "  instalment, $6 FROM f"
      " RETURNING id AS ledger_entry_id, township_code, amount_fen,"
      "  balance_after_fen, grant_id, actor";

/* ---- helpers ------------------------------------------------------------ */

/* The instant (Unix seconds) at which the district's day d begins. */
static int64_t
day_start_s(sn_date d)
{
	return sn_date_to_days(d) * 86400
	    - (int64_t) sn_clock_offset_min() * 60;
}

/* ---- sealed values ------------------------------------------------------ */

/* What a grant read holds opened (grant_open), freed with opened_fini. */
typedef struct opened {
	char   *id_number, *account_number;
	json_t *doc;
} opened;

static void
opened_fini(opened *o)
{
	free(o->id_number);
	free(o->account_number);
	json_decref(o->doc);
	memset(o, 0, sizeof(*o));
}

/* g's sealed values opened in place: g points into o afterwards. */
static sn_err
grant_open(emergency_grant *g, opened *o)
{
	sn_err err;
	memset(o, 0, sizeof(*o));
	if ((err = emergency_sealed_open(
	         EMERGENCY_SEALED_ID, g->id_number, &o->id_number))
	        != SN_OK
	    || (err = emergency_sealed_open(EMERGENCY_SEALED_ACCOUNT,
	            g->account_number, &o->account_number))
	        != SN_OK
	    || (g->doc_sealed[0] != '\0'
	        && (err = emergency_sealed_tree(g->doc_sealed, &o->doc))
	            != SN_OK)) {
		opened_fini(o);
		return err;
	}
	g->id_number      = o->id_number;
	g->account_number = o->account_number;
	g->doc            = o->doc;
	return SN_OK;
}

/* ---- answers in a transaction: the callbacks of sn_tx_query --------------
 * Each reads its row, then hands it on with the call's function and
 * argument, read first: the callback may use the call again. */

static void
grant_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call    *c    = arg;
	emergency_grant_fn done = c->fn.grant;
	emergency_grant    g;
	opened             o = { 0 };
	bool               found;
	sn_err             err
	    = sn_rows_opt(res, grant_cols, SN_NCOLS(grant_cols), &g, &found);
	if (err == SN_OK && found)
		err = grant_open(&g, &o);
	done(tx, c->arg, err, err == SN_OK && found ? &g : NULL);
	opened_fini(&o);
}

static void
debit_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call    *c    = arg;
	emergency_debit_fn done = c->fn.debit;
	emergency_grant    g;
	emergency_movement m;
	opened             o = { 0 };
	bool               found, found_m = false;
	sn_err             err
	    = sn_rows_opt(res, grant_cols, SN_NCOLS(grant_cols), &g, &found);
	if (err == SN_OK && found)
		err = sn_rows_opt(
		    res, movement_cols, SN_NCOLS(movement_cols), &m, &found_m);
	if (err == SN_OK && found && found_m)
		err = grant_open(&g, &o);
	found = err == SN_OK && found && found_m;
	done(tx, c->arg, err, found ? &g : NULL, found ? &m : NULL);
	opened_fini(&o);
}

static void
movement_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call       *c    = arg;
	emergency_movement_fn done = c->fn.movement;
	emergency_movement    m;
	bool                  found;
	sn_err                err = sn_rows_opt(
	                   res, movement_cols, SN_NCOLS(movement_cols), &m, &found);
	if (err == SN_OK && !found)
		err = SN_EPROTO; /* an allocation always writes its row */
	done(tx, c->arg, err, err == SN_OK ? &m : NULL);
}

static void
fund_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call   *c    = arg;
	emergency_fund_fn done = c->fn.fund;
	emergency_fund    f;
	bool              found;
	sn_err            err
	    = sn_rows_opt(res, fund_cols, SN_NCOLS(fund_cols), &f, &found);
	done(tx, c->arg, err, found ? &f : NULL);
}

static void
referral_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call       *c    = arg;
	emergency_referral_fn done = c->fn.referral;
	emergency_referral    r;
	bool                  found;
	sn_err                err = sn_rows_opt(
	                   res, referral_cols, SN_NCOLS(referral_cols), &r, &found);
	done(tx, c->arg, err, found ? &r : NULL);
}

static void
reversal_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call       *c    = arg;
	emergency_reversal_fn done = c->fn.reversal;
	emergency_reversal    r;
	bool                  found;
	sn_err                err = sn_rows_opt(
	                   res, reversal_cols, SN_NCOLS(reversal_cols), &r, &found);
	done(tx, c->arg, err, found ? &r : NULL);
}

static void
settlement_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call         *c    = arg;
	emergency_settlement_fn done = c->fn.settlement;
	emergency_settlement    s;
	bool                    found;
	sn_err                  err = sn_rows_opt(
	                     res, settlement_cols, SN_NCOLS(settlement_cols), &s, &found);
	done(tx, c->arg, err, found ? &s : NULL);
}

/* ---- in a transaction --------------------------------------------------- */

sn_err
emergency_store_allocate(sn_tx *tx, const char *township, int64_t amount,
    const char *note, const char *actor, emergency_call *call,
    emergency_movement_fn done, void *arg)
{
	char        amt[24];
	const char *v[4] = { township, amt, note, actor };
	snprintf(amt, sizeof(amt), "%" PRId64, amount);
	call->fn.movement = done;
	call->arg         = arg;
	return sn_tx_query(tx, SQL_ALLOCATE, 4, v, movement_answer, call);
}

sn_err
emergency_store_lock_fund(sn_tx *tx, const char *township,
    emergency_call *call, emergency_fund_fn done, void *arg)
{
	const char *v[1] = { township };
	call->fn.fund    = done;
	call->arg        = arg;
	return sn_tx_query(tx, SQL_LOCK_FUND, 1, v, fund_answer, call);
}

/* The parameters of an emergency_new_grant ($1..$20); buffers for the
 * numbers, the sealed values and the indexes (grant_params_fini). */
typedef struct grant_params {
	const char *v[22]; /* [20], [21]: grant_within's */
	char        hh[24], amt[24], n[16], monthly[24], wsum[24];
	char        person[SN_SEAL_INDEX_HEX + 1];
	char       *id_sealed, *account_sealed, *household_sealed;
	sn_pgarray  people;
} grant_params;

static void
grant_params_fini(grant_params *p)
{
	free(p->id_sealed);
	free(p->account_sealed);
	free(p->household_sealed);
	sn_pgarray_fini(&p->people);
}

/* g's id numbers and account sealed, and its indexes, into p. */
static sn_err
grant_seal(const emergency_new_grant *g, grant_params *p)
{
	sn_err err;
	memset(p, 0, sizeof(*p));
	sn_pgarray_init(&p->people);
	if ((err = emergency_sealed_seal(
	         EMERGENCY_SEALED_ID, g->id_number, &p->id_sealed))
	        != SN_OK
	    || (err = emergency_sealed_seal(EMERGENCY_SEALED_ACCOUNT,
	            g->account_number, &p->account_sealed))
	        != SN_OK
	    || (err = emergency_sealed_person_index(g->id_number, p->person))
	        != SN_OK
	    || (err = emergency_sealed_people(g->id_number, g->household,
	            g->nhousehold, &p->people, &p->household_sealed))
	        != SN_OK)
		return err;
	p->v[12] = p->household_sealed;
	p->v[18] = p->person;
	p->v[19] = sn_pgarray_text(&p->people);
	return p->v[19] != NULL ? SN_OK : SN_ENOMEM;
}

static sn_err
grant_values(const emergency_new_grant *g, grant_params *p)
{
	sn_err err = grant_seal(g, p);
	if (err != SN_OK)
		return err;
	snprintf(p->hh, sizeof(p->hh), "%" PRId64, g->household_size);
	snprintf(p->amt, sizeof(p->amt), "%" PRId64, g->amount_fen);
	snprintf(p->n, sizeof(p->n), "%" PRId32, g->instalments);
	snprintf(p->monthly, sizeof(p->monthly), "%" PRId64, g->monthly_fen);
	snprintf(p->wsum, sizeof(p->wsum), "%" PRId64, g->window_sum_fen);
	p->v[0]  = g->township_code;
	p->v[1]  = g->village_code;
	p->v[2]  = p->id_sealed;
	p->v[3]  = g->name;
	p->v[4]  = emergency_rules_cause_name(g->cause);
	p->v[5]  = g->description;
	p->v[6]  = p->hh;
	p->v[7]  = g->granted_by;
	p->v[8]  = p->amt;
	p->v[9]  = g->bank_code;
	p->v[10] = p->account_sealed;
	p->v[11] = g->account_name;
	p->v[13] = emergency_kind_names[g->kind];
	p->v[14] = p->n;
	p->v[15] = g->kind == EMERGENCY_KIND_TRANSITIONAL ? p->monthly : NULL;
	p->v[16] = g->has_window ? p->wsum : NULL;
	p->v[17] = g->has_window ? g->window_grants : NULL;
	return SN_OK;
}

sn_err
emergency_store_grant_now(sn_tx *tx, const emergency_new_grant *g,
    emergency_call *call, emergency_debit_fn done, void *arg)
{
	grant_params p;
	sn_err       err = grant_values(g, &p);
	call->fn.debit   = done;
	call->arg        = arg;
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_GRANT_NOW, 20, p.v, debit_answer, call);
	grant_params_fini(&p);
	return err;
}

sn_err
emergency_store_grant_within(sn_tx *tx, const emergency_new_grant *g,
    int32_t window_days, int64_t limit_fen, emergency_call *call,
    emergency_debit_fn done, void *arg)
{
	grant_params p;
	char         days[16], limit[24];
	sn_err       err = grant_values(g, &p);
	snprintf(days, sizeof(days), "%" PRId32, window_days);
	snprintf(limit, sizeof(limit), "%" PRId64, limit_fen);
	p.v[20]        = days;
	p.v[21]        = limit;
	call->fn.debit = done;
	call->arg      = arg;
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_GRANT_WITHIN, 22, p.v, debit_answer, call);
	grant_params_fini(&p);
	return err;
}

/* The rows of a set of grants (SQL_GRANT_MANY), each to its call (the
 * list from arg, by the row's ord); none when the set was not written. */
static void
debits_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call    *first = arg;
	emergency_debit_fn done  = first->fn.debit;
	emergency_call    *calls[EMERGENCY_MANY_MAX];
	bool               told[EMERGENCY_MANY_MAX] = { false };
	sn_rows            rg, rm, ro;
	size_t             n = 0;
	sn_err             err;
	memset(&rg, 0, sizeof(rg));
	memset(&rm, 0, sizeof(rm));
	memset(&ro, 0, sizeof(ro));
	for (emergency_call *c = first; c != NULL; c = c->next)
		if (n < EMERGENCY_MANY_MAX)
			calls[n++] = c;
	if ((err = sn_rows_open(&rg, res, grant_cols, SN_NCOLS(grant_cols)))
	        == SN_OK
	    && (err = sn_rows_open(
	            &rm, res, movement_cols, SN_NCOLS(movement_cols)))
	        == SN_OK)
		err = sn_rows_open(&ro, res, ord_cols, SN_NCOLS(ord_cols));
	if (err == SN_OK && (size_t) sn_rows_count(&rg) != n)
		n = 0; /* nothing was written: nobody is told */
	for (size_t i = 0; err == SN_OK && i < n; i++) {
		emergency_grant    g;
		emergency_movement m;
		row_ord            o;
		opened             op = { 0 };
		sn_err             e;
		if ((err = sn_rows_read(&ro, (int) i, &o)) != SN_OK)
			break;
		if (o.ord < 1 || (size_t) o.ord > n || told[o.ord - 1]) {
			err = SN_EPROTO;
			break;
		}
		if ((e = sn_rows_read(&rg, (int) i, &g)) == SN_OK
		    && (e = sn_rows_read(&rm, (int) i, &m)) == SN_OK)
			e = grant_open(&g, &op);
		told[o.ord - 1] = true;
		done(tx, calls[o.ord - 1]->arg, e, e == SN_OK ? &g : NULL,
		    e == SN_OK ? &m : NULL);
		opened_fini(&op);
	}
	for (size_t i = 0; err != SN_OK && i < n; i++)
		if (!told[i])
			done(tx, calls[i]->arg, err, NULL, NULL);
	sn_rows_close(&rg);
	sn_rows_close(&rm);
	sn_rows_close(&ro);
}

sn_err
emergency_store_grant_many(sn_tx *tx, const emergency_new_grant *gs, size_t n,
    int32_t window_days, int64_t limit_fen, emergency_call *calls,
    emergency_debit_fn done)
{
	enum { NA = 14 };
	sn_pgarray  a[NA];
	const char *v[3 + NA];
	char        days[16], limit[24];
	sn_err      err = SN_OK;
	if (n == 0 || n > EMERGENCY_MANY_MAX)
		return SN_EINVAL;
	for (int k = 0; k < NA; k++)
		sn_pgarray_init(&a[k]);
	for (size_t i = 0; i < n && err == SN_OK; i++) {
		grant_params p;
		if ((err = grant_seal(&gs[i], &p)) == SN_OK) {
			const emergency_new_grant *g = &gs[i];
			sn_pgarray_add(&a[0], g->village_code);
			sn_pgarray_add(&a[1], p.id_sealed);
			sn_pgarray_add(&a[2], g->name);
			sn_pgarray_add(
			    &a[3], emergency_rules_cause_name(g->cause));
			sn_pgarray_add(&a[4], g->description);
			sn_pgarray_add_i64(&a[5], g->household_size);
			sn_pgarray_add(&a[6], g->granted_by);
			sn_pgarray_add_i64(&a[7], g->amount_fen);
			sn_pgarray_add(&a[8], g->bank_code);
			sn_pgarray_add(&a[9], p.account_sealed);
			sn_pgarray_add(&a[10], g->account_name);
			sn_pgarray_add(&a[11], p.household_sealed);
			sn_pgarray_add(&a[12], p.person);
			sn_pgarray_add(&a[13], p.v[19]);
		}
		grant_params_fini(&p);
	}
	snprintf(days, sizeof(days), "%" PRId32, window_days);
	snprintf(limit, sizeof(limit), "%" PRId64, limit_fen);
	v[0] = gs[0].township_code;
	v[1] = days;
	v[2] = limit;
	for (int k = 0; k < NA && err == SN_OK; k++)
		if ((v[3 + k] = sn_pgarray_text(&a[k])) == NULL)
			err = SN_ENOMEM;
	for (emergency_call *c = calls; c != NULL; c = c->next)
		c->fn.debit = done;
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_GRANT_MANY, 3 + NA, v, debits_answer, calls);
	for (int k = 0; k < NA; k++)
		sn_pgarray_fini(&a[k]);
	return err;
}

sn_err
emergency_store_grant_awaiting(sn_tx *tx, const emergency_new_grant *g,
    emergency_call *call, emergency_grant_fn done, void *arg)
{
	grant_params p;
	sn_err       err = grant_values(g, &p);
	call->fn.grant   = done;
	call->arg        = arg;
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_GRANT_AWAITING, 20, p.v, grant_answer, call);
	grant_params_fini(&p);
	return err;
}

sn_err
emergency_store_lock_people(sn_tx *tx, const char *people)
{
	const char *v[1] = { people };
	return sn_tx_query(tx, SQL_LOCK_PEOPLE, 1, v, NULL, NULL);
}

static void
window_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call     *c    = arg;
	emergency_window_fn done = c->fn.window;
	emergency_window    w;
	bool                found;
	sn_err              err
	    = sn_rows_opt(res, window_cols, SN_NCOLS(window_cols), &w, &found);
	if (err == SN_OK && !found)
		err = SN_EPROTO; /* an aggregate always has its row */
	done(tx, c->arg, err, err == SN_OK ? &w : NULL);
}

sn_err
emergency_store_window(sn_tx *tx, const char *people, int32_t days,
    emergency_call *call, emergency_window_fn done, void *arg)
{
	char        d[16];
	const char *v[2] = { people, d };
	snprintf(d, sizeof(d), "%" PRId32, days);
	call->fn.window = done;
	call->arg       = arg;
	return sn_tx_query(tx, SQL_WINDOW, 2, v, window_answer, call);
}

sn_err
emergency_store_schedule(
    sn_tx *tx, const char *grant_id, const char *first_month)
{
	const char *v[2] = { grant_id, first_month };
	return sn_tx_query(tx, SQL_SCHEDULE, 2, v, NULL, NULL);
}

static void
doc_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call  *c    = arg;
	emergency_doc_fn done = c->fn.doc;
	json_doc         d;
	json_t          *doc = NULL;
	bool             found;
	sn_err           err
	    = sn_rows_opt(res, json_cols, SN_NCOLS(json_cols), &d, &found);
	if (err == SN_OK && found)
		err = emergency_sealed_tree(d.json, &doc);
	done(tx, c->arg, err, err == SN_OK && found ? doc : NULL);
	json_decref(doc);
}

sn_err
emergency_store_grant_doc_tx(sn_tx *tx, const char *id, emergency_call *call,
    emergency_doc_fn done, void *arg)
{
	const char *v[1] = { id };
	call->fn.doc     = done;
	call->arg        = arg;
	return sn_tx_query(tx, SQL_GRANT_DOC_TX, 1, v, doc_answer, call);
}

static sn_err
due_rows(PGresult *res, emergency_grant **gs, emergency_due **ds, size_t *n)
{
	sn_rows rg, rd;
	sn_err  err;
	memset(&rg, 0, sizeof(rg));
	memset(&rd, 0, sizeof(rd));
	if ((err = sn_rows_open(&rg, res, grant_cols, SN_NCOLS(grant_cols)))
	        == SN_OK
	    && (err = sn_rows_open(&rd, res, due_cols, SN_NCOLS(due_cols)))
	        == SN_OK
	    && sn_rows_count(&rg) > 0) {
		size_t k = (size_t) sn_rows_count(&rg);
		*gs      = calloc(k, sizeof(**gs));
		*ds      = calloc(k, sizeof(**ds));
		if (*gs == NULL || *ds == NULL)
			err = SN_ENOMEM;
		for (int i = 0; err == SN_OK && i < (int) k; i++)
			if ((err = sn_rows_read(&rg, i, &(*gs)[i])) == SN_OK
			    && (err = sn_rows_read(&rd, i, &(*ds)[i]))
			        == SN_OK)
				(*n)++;
	}
	sn_rows_close(&rg);
	sn_rows_close(&rd);
	return err;
}

static void
due_answer(sn_tx *tx, PGresult *res, void *arg)
{
	emergency_call  *c    = arg;
	emergency_due_fn done = c->fn.due;
	emergency_grant *gs   = NULL;
	emergency_due   *ds   = NULL;
	opened          *os   = NULL;
	size_t           n = 0, k = 0;
	sn_err           err = due_rows(res, &gs, &ds, &n);
	if (err == SN_OK && n > 0 && (os = calloc(n, sizeof(*os))) == NULL)
		err = SN_ENOMEM;
	for (; err == SN_OK && k < n; k++)
		err = grant_open(&gs[k], &os[k]);
	done(tx, c->arg, err, err == SN_OK ? gs : NULL,
	    err == SN_OK ? ds : NULL, err == SN_OK ? n : 0);
	while (k > 0)
		opened_fini(&os[--k]);
	free(os);
	free(gs);
	free(ds);
}

sn_err
emergency_store_due(sn_tx *tx, const char *month, int max,
    emergency_call *call, emergency_due_fn done, void *arg)
{
	char        m[16];
	const char *v[2] = { month, m };
	snprintf(m, sizeof(m), "%d", max);
	call->fn.due = done;
	call->arg    = arg;
	return sn_tx_query(tx, SQL_DUE, 2, v, due_answer, call);
}

sn_err
emergency_store_instalment_paid(sn_tx *tx, const char *id, int32_t k,
    const char *payment_id, const char *settled_at)
{
	char        n[16];
	const char *v[4] = { id, n, payment_id, settled_at };
	snprintf(n, sizeof(n), "%" PRId32, k);
	return sn_tx_query(tx, SQL_INSTALMENT_PAID, 4, v, NULL, NULL);
}

sn_err
emergency_store_instalment_reverse(sn_tx *tx, const char *id, int32_t k,
    const char *payment_id, const char *reason_code, const char *reason,
    const char *actor, emergency_call *call, emergency_reversal_fn done,
    void *arg)
{
	char        n[16];
	const char *v[6] = { id, n, payment_id, reason_code, reason, actor };
	snprintf(n, sizeof(n), "%" PRId32, k);
	call->fn.reversal = done;
	call->arg         = arg;
	return sn_tx_query(
	    tx, SQL_INSTALMENT_REVERSE, 6, v, reversal_answer, call);
}

sn_err
emergency_store_lock_grant(sn_tx *tx, const char *id, emergency_call *call,
    emergency_grant_fn done, void *arg)
{
	const char *v[1] = { id };
	call->fn.grant   = done;
	call->arg        = arg;
	return sn_tx_query(tx, SQL_LOCK_GRANT, 1, v, grant_answer, call);
}

sn_err
emergency_store_approve(sn_tx *tx, const char *id, const char *township,
    int64_t amount, const char *approver, const char *reason,
    emergency_call *call, emergency_debit_fn done, void *arg)
{
	char        amt[24];
	const char *v[5] = { id, township, amt, approver, reason };
	snprintf(amt, sizeof(amt), "%" PRId64, amount);
	call->fn.debit = done;
	call->arg      = arg;
	return sn_tx_query(tx, SQL_APPROVE, 5, v, debit_answer, call);
}

sn_err
emergency_store_reject(sn_tx *tx, const char *id, const char *approver,
    const char *reason, emergency_call *call, emergency_grant_fn done,
    void *arg)
{
	const char *v[3] = { id, approver, reason };
	call->fn.grant   = done;
	call->arg        = arg;
	return sn_tx_query(tx, SQL_REJECT, 3, v, grant_answer, call);
}

sn_err
emergency_store_referral(sn_tx *tx, const char *id, const char *grant_id,
    emergency_referral_kind kind, const char *department, const char *note,
    const char *created_by, emergency_call *call, emergency_referral_fn done,
    void *arg)
{
	const char *v[6]  = { grant_id, emergency_rules_referral_name(kind),
		 department, note, created_by, id };
	call->fn.referral = done;
	call->arg         = arg;
	return sn_tx_query(tx, SQL_REFERRAL, 6, v, referral_answer, call);
}

sn_err
emergency_store_paid(
    sn_tx *tx, const char *id, const char *payment_id, const char *settled_at)
{
	const char *v[3] = { id, payment_id, settled_at };
	return sn_tx_query(tx, SQL_PAID, 3, v, NULL, NULL);
}

sn_err
emergency_store_reverse(sn_tx *tx, const char *id, const char *payment_id,
    const char *reason_code, const char *reason, const char *actor,
    emergency_call *call, emergency_reversal_fn done, void *arg)
{
	const char *v[5]  = { id, payment_id, reason_code, reason, actor };
	call->fn.reversal = done;
	call->arg         = arg;
	return sn_tx_query(tx, SQL_REVERSE, 5, v, reversal_answer, call);
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
emergency_store_settle(sn_tx *tx, const char *township, int year,
    sn_date first, sn_date end, const char *actor, emergency_call *call,
    emergency_settlement_fn done, void *arg)
{
	char        y[16], s[24], e[24];
	const char *v[5] = { township, y, s, e, actor };
	snprintf(y, sizeof(y), "%d", year);
	snprintf(s, sizeof(s), "%" PRId64, day_start_s(first));
	snprintf(e, sizeof(e), "%" PRId64, day_start_s(end));
	call->fn.settlement = done;
	call->arg           = arg;
	return sn_tx_query(tx, SQL_SETTLE, 5, v, settlement_answer, call);
}

sn_err
emergency_store_settlement(sn_tx *tx, const char *township, int year,
    emergency_call *call, emergency_settlement_fn done, void *arg)
{
	char        y[16];
	const char *v[2] = { township, y };
	snprintf(y, sizeof(y), "%d", year);
	call->fn.settlement = done;
	call->arg           = arg;
	return sn_tx_query(tx, SQL_SETTLEMENT, 2, v, settlement_answer, call);
}

/* ---- reads outside a transaction ----------------------------------------
 * sn_db_query's callback always runs, so each read's callback and
 * argument travel in a small allocation of the store's, freed there. */

typedef struct read_ctx {
	union {
		void (*grant_doc)(void *, sn_err, const emergency_grant_doc *);
		void (*page)(void *, sn_err, const emergency_grant_page *);
		void (*figures)(void *, sn_err, const emergency_figures *);
		emergency_json_fn json;
		void (*balances)(
		    void *, sn_err, const emergency_balance *, size_t);
		void (*counts)(void *, sn_err, const int64_t *);
	} fn;
	void *arg;
	int   year;
	bool  sealed; /* a page of grants: open their sealed values */
} read_ctx;

static read_ctx *
read_new(void *arg)
{
	read_ctx *r = calloc(1, sizeof(*r));
	if (r != NULL)
		r->arg = arg;
	return r;
}

/* The one row of a read: SN_OK and *found, or the error. */
static sn_err
read_result(sn_err err, const PGresult *res, const sn_col *cols, size_t n,
    void *out, bool *found)
{
	*found = false;
	if (err != SN_OK)
		return err;
	if (res == NULL)
		return SN_EDB;
	return sn_rows_opt(res, cols, n, out, found);
}

static void
grant_doc_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx           *r = arg;
	emergency_grant_doc d;
	char               *doc = NULL;
	bool                found;
	err = read_result(
	    err, res, grant_doc_cols, SN_NCOLS(grant_doc_cols), &d, &found);
	if (err == SN_OK && found
	    && (err = emergency_sealed_doc(d.doc, &doc)) == SN_OK)
		d.doc = doc;
	r->fn.grant_doc(r->arg, err, err == SN_OK && found ? &d : NULL);
	free(doc);
	free(r);
}

void
emergency_store_grant_doc(sn_db *db, const char *id,
    void (*done)(void *arg, sn_err err, const emergency_grant_doc *d),
    void *arg)
{
	const char *v[1] = { id };
	read_ctx   *r    = read_new(arg);
	if (r == NULL) {
		done(arg, SN_ENOMEM, NULL);
		return;
	}
	r->fn.grant_doc = done;
	sn_db_query(db, SQL_GRANT_DOC, 1, v, grant_doc_read, r);
}

static void
page_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx            *r = arg;
	emergency_grant_page p;
	char                *items = NULL;
	bool                 found;
	err = read_result(
	    err, res, grant_page_cols, SN_NCOLS(grant_page_cols), &p, &found);
	if (err == SN_OK && !found)
		err = SN_EPROTO; /* an aggregate always has its row */
	if (err == SN_OK && r->sealed
	    && (err = emergency_sealed_doc(p.items, &items)) == SN_OK)
		p.items = items;
	r->fn.page(r->arg, err, err == SN_OK ? &p : NULL);
	free(items);
	free(r);
}

/* Runs a page's query with values v (its limit and cursor last). */
static void
page_query(sn_db *db, const char *sql, int n, const char *const *v,
    void (*done)(void *arg, sn_err err, const emergency_grant_page *p),
    void *arg)
{
	read_ctx *r = read_new(arg);
	if (r == NULL) {
		done(arg, SN_ENOMEM, NULL);
		return;
	}
	r->fn.page = done;
	r->sealed  = sql == SQL_LIST_GRANTS;
	sn_db_query(db, sql, n, v, page_read, r);
}

void
emergency_store_list_grants(sn_db *db, bool all, emergency_grant_status status,
    const char *prefix, int64_t limit, int64_t after,
    void (*done)(void *arg, sn_err err, const emergency_grant_page *p),
    void *arg)
{
	char        lim[24], aft[24];
	const char *st   = all ? "all" : emergency_rules_status_name(status);
	const char *v[4] = { st != NULL ? st : "all", prefix, lim, aft };
	snprintf(lim, sizeof(lim), "%" PRId64, limit);
	snprintf(aft, sizeof(aft), "%" PRId64, after);
	page_query(db, SQL_LIST_GRANTS, 4, v, done, arg);
}

void
emergency_store_ledger(sn_db *db, const char *township, int64_t limit,
    int64_t after,
    void (*done)(void *arg, sn_err err, const emergency_grant_page *p),
    void *arg)
{
	char        lim[24], aft[24];
	const char *v[3] = { township, lim, aft };
	snprintf(lim, sizeof(lim), "%" PRId64, limit);
	snprintf(aft, sizeof(aft), "%" PRId64, after);
	page_query(db, SQL_LEDGER, 3, v, done, arg);
}

void
emergency_store_referrals(sn_db *db, const char *prefix, int64_t limit,
    int64_t after,
    void (*done)(void *arg, sn_err err, const emergency_grant_page *p),
    void *arg)
{
	char        lim[24], aft[24];
	const char *v[3] = { prefix, lim, aft };
	snprintf(lim, sizeof(lim), "%" PRId64, limit);
	snprintf(aft, sizeof(aft), "%" PRId64, after);
	page_query(db, SQL_REFERRALS, 3, v, done, arg);
}

static void
json_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx *r = arg;
	json_doc  d;
	char     *doc = NULL;
	bool      found;
	err = read_result(
	    err, res, json_cols, SN_NCOLS(json_cols), &d, &found);
	if (err == SN_OK && !found)
		err = SN_EPROTO;
	if (err == SN_OK)
		err = emergency_sealed_doc(d.json, &doc);
	r->fn.json(r->arg, err, err == SN_OK ? doc : NULL);
	free(doc);
	free(r);
}

void
emergency_store_funds(sn_db *db, const char *prefix, int64_t grant_limit,
    int32_t window_days, int64_t limit, int64_t after,
    void (*done)(void *arg, sn_err err, const emergency_grant_page *p),
    void *arg)
{
	char        gl[24], wd[16], lim[24], aft[24];
	const char *v[5] = { prefix, gl, wd, lim, aft };
	snprintf(gl, sizeof(gl), "%" PRId64, grant_limit);
	snprintf(wd, sizeof(wd), "%" PRId32, window_days);
	snprintf(lim, sizeof(lim), "%" PRId64, limit);
	snprintf(aft, sizeof(aft), "%" PRId64, after);
	page_query(db, SQL_FUNDS, 5, v, done, arg);
}

void
emergency_store_chain(sn_db *db, const char *id_number, const char *prefix,
    emergency_json_fn done, void *arg)
{
	char        idx[SN_SEAL_INDEX_HEX + 1];
	const char *v[2] = { idx, prefix };
	read_ctx   *r;
	if (emergency_sealed_person_index(id_number, idx) != SN_OK) {
		done(arg, SN_EINVAL, NULL);
		return;
	}
	if ((r = read_new(arg)) == NULL) {
		done(arg, SN_ENOMEM, NULL);
		return;
	}
	r->fn.json = done;
	sn_db_query(db, SQL_CHAIN, 2, v, json_read, r);
}

static void
figures_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx         *r = arg;
	emergency_figures f;
	bool              found;
	err = read_result(
	    err, res, figures_cols, SN_NCOLS(figures_cols), &f, &found);
	if (err == SN_OK && !found)
		err = SN_EPROTO;
	f.year = r->year;
	r->fn.figures(r->arg, err, err == SN_OK ? &f : NULL);
	free(r);
}

void
emergency_store_figures(sn_db *db, const char *prefix, int year,
    void (*done)(void *arg, sn_err err, const emergency_figures *f), void *arg)
{
	sn_pgarray names, starts, ends;
	read_ctx  *r = read_new(arg);
	if (r == NULL) {
		done(arg, SN_ENOMEM, NULL);
		return;
	}
	r->fn.figures = done;
	r->year       = year;
	sn_pgarray_init(&names);
	sn_pgarray_init(&starts);
	sn_pgarray_init(&ends);
	for (int32_t i = 0; i < 12; i++) {
		sn_month m = { .year = year, .month = i + 1 };
		char     buf[SN_MONTH_STRLEN];
		sn_pgarray_add(&names, sn_month_format(m, buf));
		sn_pgarray_add_i64(&starts, day_start_s(sn_month_first(m)));
		sn_pgarray_add_i64(
		    &ends, day_start_s(sn_month_first(sn_month_add(m, 1))));
	}
	const char *v[4] = { prefix, sn_pgarray_text(&names),
		sn_pgarray_text(&starts), sn_pgarray_text(&ends) };
	if (v[1] == NULL || v[2] == NULL || v[3] == NULL) {
		free(r);
		done(arg, SN_ENOMEM, NULL);
	} else {
		sn_db_query(db, SQL_FIGURES, 4, v, figures_read, r);
	}
	sn_pgarray_fini(&names);
	sn_pgarray_fini(&starts);
	sn_pgarray_fini(&ends);
}

static void
balances_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx          *r    = arg;
	emergency_balance *rows = NULL;
	size_t             n    = 0;
	sn_rows            rs;
	memset(&rs, 0, sizeof(rs));
	if (err == SN_OK && res == NULL)
		err = SN_EDB;
	if (err == SN_OK)
		err = sn_rows_open(
		    &rs, res, balance_cols, SN_NCOLS(balance_cols));
	if (err == SN_OK && sn_rows_count(&rs) > 0) {
		rows = calloc((size_t) sn_rows_count(&rs), sizeof(*rows));
		if (rows == NULL)
			err = SN_ENOMEM;
		for (int i = 0; err == SN_OK && i < sn_rows_count(&rs); i++)
			if ((err = sn_rows_read(&rs, i, &rows[n])) == SN_OK)
				n++;
	}
	sn_rows_close(&rs);
	r->fn.balances(r->arg, err, err == SN_OK ? rows : NULL, n);
	free(rows);
	free(r);
}

void
emergency_store_balances(sn_db *db,
    void (*done)(
        void *arg, sn_err err, const emergency_balance *rows, size_t n),
    void *arg)
{
	read_ctx *r = read_new(arg);
	if (r == NULL) {
		done(arg, SN_ENOMEM, NULL, 0);
		return;
	}
	r->fn.balances = done;
	sn_db_query(db, SQL_BALANCES, 0, NULL, balances_read, r);
}

static void
counts_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx *r                    = arg;
	int64_t   n[EMERGENCY_NSTATUS] = { 0 };
	sn_rows   rs;
	memset(&rs, 0, sizeof(rs));
	if (err == SN_OK && res == NULL)
		err = SN_EDB;
	if (err == SN_OK)
		err = sn_rows_open(
		    &rs, res, status_count_cols, SN_NCOLS(status_count_cols));
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rs); i++) {
		status_count c;
		if ((err = sn_rows_read(&rs, i, &c)) == SN_OK)
			n[c.status] = c.n;
	}
	sn_rows_close(&rs);
	r->fn.counts(r->arg, err, n);
	free(r);
}

void
emergency_store_status_counts(sn_db *db,
    void (*done)(
        void *arg, sn_err err, const int64_t count[EMERGENCY_NSTATUS]),
    void *arg)
{
	read_ctx *r = read_new(arg);
	if (r == NULL) {
		int64_t zero[EMERGENCY_NSTATUS] = { 0 };
		done(arg, SN_ENOMEM, zero);
		return;
	}
	r->fn.counts = done;
	sn_db_query(db, SQL_STATUS_COUNTS, 0, NULL, counts_read, r);
}
