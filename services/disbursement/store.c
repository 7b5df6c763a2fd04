/*
 * store.c - every SQL statement of disbursement; see store.h.
 *
 * Each statement's columns are named (aliases where an expression makes
 * one) and read by name through a column table beside it. Sums are cast
 * to bigint: sum(bigint) is numeric, which sn_rows refuses as an integer.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/seal.h"
#include "sn/uuid.h"

/* ---- sealed account numbers (issue 11) ---------------------------------- */

const sn_sealdb_column disbursement_sealed_columns[] = {
	{ .table    = "payee",
	    .clear  = "account_number",
	    .sealed = "account_number_sealed",
	    .index  = "account_number_index",
	    .ad     = DISBURSEMENT_SEALED_ACCOUNT },
	{ .table   = "payee",
	    .clear = "superseded_account",
	    .index = "superseded_account_index",
	    .ad    = DISBURSEMENT_SEALED_ACCOUNT },
	{ .table    = "payment",
	    .clear  = "account_number",
	    .sealed = "account_number_sealed",
	    .index  = "account_number_index",
	    .ad     = DISBURSEMENT_SEALED_ACCOUNT },
	{ .table    = "instruction_history",
	    .clear  = "account_number",
	    .sealed = "account_number_sealed",
	    .ad     = DISBURSEMENT_SEALED_ACCOUNT },
	{ .table    = "account_proposal",
	    .clear  = "account_number",
	    .sealed = "account_number_sealed",
	    .index  = "account_number_index",
	    .ad     = DISBURSEMENT_SEALED_ACCOUNT },
};
_Static_assert(
    SN_NCOLS(disbursement_sealed_columns) == DISBURSEMENT_SEALED_NCOLUMNS,
    "DISBURSEMENT_SEALED_NCOLUMNS counts the sealed columns");

static const sn_sealdb_key sealed_keys[] = {
	{ "account_number", DISBURSEMENT_SEALED_ACCOUNT },
};

/* An account as stored: sealed (*sealed malloc'd) with its blind index
 * in index; an empty or NULL account is NULL (nothing sealed, index ""). */
static sn_err
account_seal(
    const char *plain, char **sealed, char index[SN_SEAL_INDEX_HEX + 1])
{
	const sn_seal *s = sn_seal_default();
	*sealed          = NULL;
	index[0]         = '\0';
	if (plain == NULL || plain[0] == '\0')
		return SN_OK;
	if (s == NULL)
		return SN_EINVAL;
	sn_seal_index(s, DISBURSEMENT_SEALED_ACCOUNT, plain, index);
	return sn_seal_text(s, DISBURSEMENT_SEALED_ACCOUNT, plain, sealed);
}

/* v as read (sealed, or the clear value of a row not sealed yet) opened
 * into *out (malloc'd). */
static sn_err
account_open(const char *v, char **out)
{
	const sn_seal *s = sn_seal_default();
	*out             = NULL;
	if (v == NULL || strncmp(v, "sn1.", 4) != 0) {
		*out = strdup(v != NULL ? v : "");
		return *out != NULL ? SN_OK : SN_ENOMEM;
	}
	if (s == NULL)
		return SN_EINVAL;
	return sn_seal_open_text(s, DISBURSEMENT_SEALED_ACCOUNT, v, out);
}

/* A document built in SQL with its account numbers opened (*out
 * malloc'd). */
static sn_err
doc_open(const char *json, char **out)
{
	const sn_seal *s = sn_seal_default();
	*out             = NULL;
	if (s == NULL)
		return SN_EINVAL;
	return sn_sealdb_open_json(
	    s, json, sealed_keys, SN_NCOLS(sealed_keys), out);
}

/* The accounts of rows[0..n) (structs of size bytes, the account at
 * offset at) opened in place; *keep holds them (keep_free). */
static sn_err
accounts_open(void *rows, size_t n, size_t size, size_t at, char ***keep)
{
	sn_err err = SN_OK;
	*keep      = n > 0 ? calloc(n, sizeof(**keep)) : NULL;
	if (n > 0 && *keep == NULL)
		return SN_ENOMEM;
	for (size_t i = 0; i < n && err == SN_OK; i++) {
		const char **a
		    = (const char **) ((char *) rows + i * size + at);
		if ((err = account_open(*a, &(*keep)[i])) == SN_OK)
			*a = (*keep)[i];
	}
	return err;
}

static void
keep_free(char **keep, size_t n)
{
	for (size_t i = 0; keep != NULL && i < n; i++)
		free(keep[i]);
	free(keep);
}

/* ---- reading results ---------------------------------------------------- */

/*
 * The rows of res into a calloc'd array of n structs of size bytes laid
 * out as cols say (*out NULL when there is none). Strings stay borrowed
 * from res; no column here is bytea, so nothing else outlives the read.
 */
static sn_err
read_rows(const PGresult *res, const sn_col *cols, size_t ncols, size_t size,
    void **out, size_t *n)
{
	sn_rows rows;
	*out       = NULL;
	*n         = 0;
	sn_err err = sn_rows_open(&rows, res, cols, ncols);
	if (err != SN_OK)
		return err;
	int   count = sn_rows_count(&rows);
	char *buf   = NULL;
	if (count > 0 && (buf = calloc((size_t) count, size)) == NULL)
		err = SN_ENOMEM;
	for (int i = 0; i < count && err == SN_OK; i++)
		err = sn_rows_read(&rows, i, buf + (size_t) i * size);
	sn_rows_close(&rows);
	if (err != SN_OK) {
		free(buf);
		return err;
	}
	*out = buf;
	*n   = (size_t) count;
	return SN_OK;
}

/*
 * A read outside a transaction: the caller's typed fn (stored as the
 * generic function pointer type and cast back by the done callback that
 * knows its type) and arg, until sn_db_query's done has run.
 */
typedef struct read_ctx {
	void (*fn)(void);
	void *arg;
	bool  heap; /* read_end frees it */
} read_ctx;

/* Runs sql on db with done and a read_ctx for fn and arg. Out of memory,
 * done runs at once with SN_ENOMEM (the one exception to "never from
 * inside the call"). */
static void
read_start(sn_db *db, const char *sql, int n, const char *const *v,
    sn_db_query_fn done, void (*fn)(void), void *arg)
{
	read_ctx *c = malloc(sizeof(*c));
	if (c == NULL) {
		read_ctx tmp = { fn, arg, false };
		done(SN_ENOMEM, NULL, &tmp);
		return;
	}
	*c = (read_ctx) { fn, arg, true };
	sn_db_query(db, sql, n, v, done, c);
}

static void
read_end(read_ctx *c)
{
	if (c->heap)
		free(c);
}

static char *
fmt_i64(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}

/* A claim cursor before a run's first claim: below every payment's id
 * (migration 017). */
#define NO_ID "'00000000-0000-0000-0000-000000000000'::uuid"

/* A claim cursor past a run's last payment: above every id. */
#define LAST_ID "'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid"

/* ---- the columns of the rows -------------------------------------------- */

#define RUN_COLS(r)                                                           \
	r ".id, " r ".period, " r ".status, " r ".created_by,"                \
	  " ts_json(" r ".created_at) AS created_at, " r ".built_upto, " r    \
	  ".payments, " r ".total_fen"

static const sn_col run_cols[] = {
	SN_COL(disbursement_run, id, SN_COL_TEXT),
	SN_COL(disbursement_run, period, SN_COL_MONTH),
	SN_COL_ENUMOF(disbursement_run, status, disbursement_run_status_names),
	SN_COL(disbursement_run, created_by, SN_COL_TEXT),
	SN_COL(disbursement_run, created_at, SN_COL_TEXT),
	SN_COL(disbursement_run, built_upto, SN_COL_I64),
	SN_COL(disbursement_run, payments, SN_COL_I64),
	SN_COL(disbursement_run, total_fen, SN_COL_I64),
};

/* ben: the expression of the payee's beneficiary_id. */
#define PAYMENT_COLS(p, ben)                                                  \
	p ".id, " p ".e2e_id, " p ".status, " p ".fund, " p ".amount_fen, " p \
	  ".attempt, " p ".township_code, " p ".bank_code, coalesce(" p       \
	  ".account_number_sealed, " p ".account_number, '') AS"              \
	  " account_number, " p ".account_name, " p ".grant_id, " ben         \
	  " AS beneficiary_id, " p ".period, " p ".run_id, " p                \
	  ".reason_code, " p ".reason, " p ".settled_at, " p ".instalment"

#define BENEFICIARY_OF(p)                                                     \
	"(SELECT pe.beneficiary_id FROM payee pe WHERE pe.id = " p ".payee_"  \
	"id)"

/* An account change (maker-checker) as JSON. */
#define PROPOSAL_JSON(a)                                                      \
	"json_build_object('id', " a ".id, 'payment_id', " a ".payment_id,"   \
	" 'status', " a ".status, 'bank_code', " a ".bank_code,"              \
	" 'account_number', coalesce(" a ".account_number_sealed, " a         \
	".account_number), 'account_name', " a                                \
	".account_name, 'requested_by', " a ".requested_by,"                  \
	" 'requested_at', ts_json(" a ".requested_at), 'decided_by', " a      \
	".decided_by, 'decided_at', ts_json(" a ".decided_at), 'reason', " a  \
	".reason)"

#define PAYMENT_JSON(p)                                                       \
	"json_build_object('id', " p ".id, 'status', " p                      \
	".status, 'fund', " p ".fund, 'period', " p ".period, 'run_id', " p   \
	".run_id,"                                                            \
	" 'grant_id', " p ".grant_id, 'instalment', nullif(" p                \
	".instalment, 0), 'account_change', (SELECT " PROPOSAL_JSON(          \
	    "ap") " FROM account_proposal ap WHERE ap.payment_id = " p ".id"  \
	          " AND ap.status = 'pending'), 'corrects', nullif(" p        \
	          ".corrects, ''), 'category', nullif(" p ".category, ''),"   \
	          " 'persons', " p ".persons,"                                \
	          " 'amount_fen', " p ".amount_fen,"                          \
	          " 'township_code', " p                                      \
	          ".township_code, 'end_to_end_id', " p                       \
	          ".e2e_id, 'attempt', " p                                    \
	          ".attempt, 'payee', json_build_object("                     \
	          "'bank_code', " p ".bank_code, 'account_number',"           \
	          " coalesce(" p ".account_number_sealed, " p                 \
	          ".account_number, ''), 'account_name', " p                  \
	          ".account_name),"                                           \
	          " 'reason_code', " p ".reason_code, 'reason', " p           \
	          ".reason, 'reason_en', " p ".reason_en, 'retries', " p      \
	          ".retries, 'not_before', ts_json(" p ".not_before),"        \
	          " 'settled_at', " p ".settled_at, 'created_at', ts_json(" p \
	          ".created_at), 'sent_at', ts_json(" p                       \
	          ".sent_at), 'finished_at',"                                 \
	          " ts_json(" p ".finished_at))"

#define PAYMENT_COL_LIST                                                      \
	SN_COL(disbursement_payment, id, SN_COL_TEXT),                        \
	    SN_COL(disbursement_payment, e2e_id, SN_COL_TEXT),                \
	    SN_COL_ENUMOF(disbursement_payment, status,                       \
	        disbursement_payment_status_names),                           \
	    SN_COL_ENUMOF(                                                    \
	        disbursement_payment, fund, disbursement_fund_names),         \
	    SN_COL(disbursement_payment, amount_fen, SN_COL_I64),             \
	    SN_COL(disbursement_payment, attempt, SN_COL_I32),                \
	    SN_COL(disbursement_payment, township_code, SN_COL_TEXT),         \
	    SN_COL(disbursement_payment, bank_code, SN_COL_TEXT),             \
	    SN_COL(disbursement_payment, account_number, SN_COL_TEXT),        \
	    SN_COL(disbursement_payment, account_name, SN_COL_TEXT),          \
	    SN_COL_OPT(                                                       \
	        disbursement_payment, grant_id, SN_COL_TEXT, has_grant_id),   \
	    SN_COL_OPT(disbursement_payment, beneficiary_id, SN_COL_TEXT,     \
	        has_beneficiary_id),                                          \
	    SN_COL_OPT(                                                       \
	        disbursement_payment, period, SN_COL_TEXT, has_period),       \
	    SN_COL_OPT(                                                       \
	        disbursement_payment, run_id, SN_COL_TEXT, has_run_id),       \
	    SN_COL_OPT(disbursement_payment, reason_code, SN_COL_TEXT,        \
	        has_reason_code),                                             \
	    SN_COL_OPT(                                                       \
	        disbursement_payment, reason, SN_COL_TEXT, has_reason),       \
	    SN_COL_OPT(disbursement_payment, settled_at, SN_COL_TEXT,         \
	        has_settled_at),                                              \
	    SN_COL(disbursement_payment, instalment, SN_COL_I32)

static const sn_col payment_cols[] = { PAYMENT_COL_LIST };
static const sn_col payment_doc_cols[]
    = { PAYMENT_COL_LIST, SN_COL(disbursement_payment, doc, SN_COL_TEXT) };

/* ---- callbacks of statements on a transaction --------------------------- */

/* p's account and document opened in place (*acct, *doc malloc'd). */
static sn_err
payment_open(disbursement_payment *p, char **acct, char **doc)
{
	sn_err err = account_open(p->account_number, acct);
	if (err == SN_OK)
		p->account_number = *acct;
	if (err == SN_OK && (err = doc_open(p->doc, doc)) == SN_OK)
		p->doc = *doc;
	return err;
}

static void
run_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_run_cb *cb = arg;
	disbursement_run           r;
	bool                       found;
	sn_err                     err
	    = sn_rows_opt(res, run_cols, SN_NCOLS(run_cols), &r, &found);
	cb->fn(tx, err, err == SN_OK && found ? &r : NULL, cb->arg);
}

static void
runs_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_runs_cb *cb = arg;
	void                       *rows;
	size_t                      n;
	sn_err err = read_rows(res, run_cols, SN_NCOLS(run_cols),
	    sizeof(disbursement_run), &rows, &n);
	cb->fn(tx, err, rows, n, cb->arg);
	free(rows);
}

static void
payment_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_payment_cb *cb = arg;
	disbursement_payment           p;
	char                          *acct = NULL;
	bool                           found;
	sn_err                         err = sn_rows_opt(
	                            res, payment_cols, SN_NCOLS(payment_cols), &p, &found);
	if (err == SN_OK && found
	    && (err = account_open(p.account_number, &acct)) == SN_OK)
		p.account_number = acct;
	cb->fn(tx, err, err == SN_OK && found ? &p : NULL, cb->arg);
	free(acct);
}

static void
payment_doc_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_payment_cb *cb = arg;
	disbursement_payment           p;
	char                          *acct = NULL, *doc = NULL;
	bool                           found;
	sn_err                         err = sn_rows_opt(
	                            res, payment_doc_cols, SN_NCOLS(payment_doc_cols), &p, &found);
	if (err == SN_OK && found)
		err = payment_open(&p, &acct, &doc);
	cb->fn(tx, err, err == SN_OK && found ? &p : NULL, cb->arg);
	free(acct);
	free(doc);
}

static void
payments_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_payments_cb *cb = arg;
	void                           *rows;
	char                          **keep = NULL;
	size_t                          n;
	sn_err err = read_rows(res, payment_cols, SN_NCOLS(payment_cols),
	    sizeof(disbursement_payment), &rows, &n);
	if (err == SN_OK)
		err = accounts_open(rows, n, sizeof(disbursement_payment),
		    offsetof(disbursement_payment, account_number), &keep);
	cb->fn(tx, err, err == SN_OK ? rows : NULL, err == SN_OK ? n : 0,
	    cb->arg);
	keep_free(keep, n);
	free(rows);
}

/* ---- payees ------------------------------------------------------------- */

static const char SQL_PAYEE_DECIDED[]
    = "INSERT INTO payee (application_id, beneficiary_id, status, fund,"
      " monthly_fen, district_code, township_code, village_code, bank_code,"
      " account_number_sealed, account_name, from_month, until_month,"
      " decided_by, member_names, account_number_index)"
      " VALUES ($1, nullif($2, ''), $3, $4, $5::bigint, $6, $7, $8, $9, $10,"
      " $11, $12, $13, $14, coalesce($15::text[], '{}'), nullif($16, ''))"
      " ON CONFLICT (application_id) DO UPDATE SET"
      "  decided_by = CASE WHEN EXCLUDED.decided_by <> ''"
      "   THEN EXCLUDED.decided_by ELSE payee.decided_by END,"
      "  updated_at = now()";

/* The event's account is the one a confirmed change replaced (by their
 * blind indexes; an empty account has none). */
#define SUPERSEDED                                                            \
	"(EXCLUDED.account_number_index IS NOT NULL"                          \
	" AND EXCLUDED.account_number_index = "                               \
	"payee.superseded_account_index)"

static const char SQL_PAYEE_CHANGED[]
    = "INSERT INTO payee (application_id, beneficiary_id, status, fund,"
      " monthly_fen, district_code, township_code, village_code, bank_code,"
      " account_number_sealed, account_name, from_month, until_month,"
      " decided_by, member_names, account_number_index)"
      " VALUES ($1, nullif($2, ''), $3, $4, $5::bigint, $6, $7, $8, $9, $10,"
      " $11, $12, $13, $14, coalesce($15::text[], '{}'), nullif($16, ''))"
      " ON CONFLICT (application_id) DO UPDATE SET"
      "  beneficiary_id = coalesce(EXCLUDED.beneficiary_id,"
      "   payee.beneficiary_id),"
      "  status = EXCLUDED.status,"
      "  fund = CASE WHEN EXCLUDED.fund <> '' THEN EXCLUDED.fund"
      "   ELSE payee.fund END,"
      "  monthly_fen = EXCLUDED.monthly_fen,"
      "  district_code = EXCLUDED.district_code,"
      "  township_code = EXCLUDED.township_code,"
      "  village_code = EXCLUDED.village_code,"
      /* the account a confirmed change replaced never comes back
       * (superseded_account, 007) */
      "  bank_code = CASE WHEN " SUPERSEDED " THEN payee.bank_code"
      "   ELSE EXCLUDED.bank_code END,"
      "  account_number_sealed = CASE WHEN " SUPERSEDED
      "   THEN payee.account_number_sealed"
      "   ELSE EXCLUDED.account_number_sealed END,"
      "  account_number_index = CASE WHEN " SUPERSEDED
      "   THEN payee.account_number_index"
      "   ELSE EXCLUDED.account_number_index END,"
      "  account_name = CASE WHEN " SUPERSEDED
      "   THEN payee.account_name ELSE EXCLUDED.account_name END,"
      "  from_month = EXCLUDED.from_month,"
      "  until_month = EXCLUDED.until_month,"
      "  member_names = CASE WHEN cardinality(EXCLUDED.member_names) > 0"
      "   THEN EXCLUDED.member_names ELSE payee.member_names END,"
      "  decided_by = CASE WHEN EXCLUDED.decided_by <> ''"
      "   THEN EXCLUDED.decided_by ELSE payee.decided_by END,"
      "  updated_at = now()";

static const char SQL_PAYEE_EXIT[]
    = "UPDATE payee SET status = 'exited', updated_at = now()"
      " WHERE application_id = $1";

/* $2 '' restates the whole history from the payee's from_month. The
 * rows that go are never the one set (first_month <> $2), so that the
 * delete and the upsert do not touch the same row. A change that is the
 * first the payee's months hear of (no row before first_month) keeps its
 * old amount ($8) from from_month until first_month. $9 is the months'
 * category (sn.assist.v1.Category). */
static const char SQL_MONTH_SET[]
    = "WITH pe AS (SELECT id, from_month,"
      "  coalesce(nullif($2, ''), from_month) AS f"
      "  FROM payee WHERE application_id = $1),"
      " d AS (DELETE FROM payee_month pm USING pe"
      "  WHERE pm.payee_id = pe.id AND pm.first_month <> pe.f"
      "  AND (pm.first_month > pe.f OR $2 = '')),"
      " s AS (INSERT INTO payee_month (payee_id, first_month, status,"
      "  monthly_fen, members, cause, category)"
      "  SELECT pe.id, pe.from_month, 'active', $8::bigint, $6::int, 1,"
      "  $9::int"
      "  FROM pe WHERE $2 <> '' AND $8::bigint > 0"
      "  AND pe.from_month < pe.f AND NOT EXISTS (SELECT 1"
      "   FROM payee_month pm WHERE pm.payee_id = pe.id"
      "   AND pm.first_month < pe.f)"
      "  ON CONFLICT DO NOTHING)"
      " INSERT INTO payee_month (payee_id, first_month, status,"
      "  monthly_fen, until_month, members, cause, noted_at, category)"
      " SELECT pe.id, pe.f, $3, $4::bigint, $5, $6::int, $7::int,"
      "  CASE WHEN $2 <> '' THEN now() END, $9::int FROM pe"
      " ON CONFLICT (payee_id, first_month) DO UPDATE SET"
      "  status = EXCLUDED.status, monthly_fen = EXCLUDED.monthly_fen,"
      "  until_month = EXCLUDED.until_month, members = EXCLUDED.members,"
      "  cause = EXCLUDED.cause, noted_at = EXCLUDED.noted_at,"
      "  category = EXCLUDED.category";

static const char SQL_MONTH_DECIDED[]
    = "INSERT INTO payee_month (payee_id, first_month, status,"
      "  monthly_fen, members, cause, category)"
      " SELECT p.id, p.from_month, p.status, p.monthly_fen, $2::int, 1,"
      "  $3::int"
      " FROM payee p WHERE p.application_id = $1"
      "  AND NOT EXISTS (SELECT 1 FROM payee_month pm"
      "   WHERE pm.payee_id = p.id)";

/* What payee_month's rows from a first month on say. */
typedef struct month_row {
	const char *standing;
	int64_t     fen;
	const char *until; /* NULL: open */
	int32_t     members, cause, category;
	int64_t     old_fen;
} month_row;

static sn_err
month_set(
    sn_tx *tx, const char *app, const sn_month *first, const month_row *r)
{
	char        f[SN_MONTH_STRLEN], a[24], m[24], c[24], o[24], k[24];
	const char *v[]
	    = { app, first != NULL ? sn_month_format(*first, f) : "",
		      r->standing, fmt_i64(a, r->fen), r->until,
		      fmt_i64(m, r->members), fmt_i64(c, r->cause),
		      fmt_i64(o, r->old_fen), fmt_i64(k, r->category) };
	return sn_tx_query(tx, SQL_MONTH_SET, 9, v, NULL, NULL);
}

static sn_err
payee_upsert(sn_tx *tx, const char *sql, const disbursement_payee_in *p)
{
	char        amount[24], from[SN_MONTH_STRLEN], until[SN_MONTH_STRLEN];
	const char *standing = disbursement_rules_standing_name(p->standing);
	const char *fund     = p->fund == DISBURSEMENT_FUND_NONE
	        ? "" /* the subsidy alone: the fund it had stays */
	        : disbursement_rules_fund_name(p->fund);
	char       *acct     = NULL, idx[SN_SEAL_INDEX_HEX + 1];
	sn_err      err;
	if (standing == NULL || fund == NULL)
		return SN_EINVAL;
	if ((err = account_seal(p->account_number, &acct, idx)) != SN_OK)
		return err;
	const char *v[] = { p->application_id, p->beneficiary_id, standing,
		fund, fmt_i64(amount, p->monthly_fen), p->district_code,
		p->township_code, p->village_code, p->bank_code, acct,
		p->account_name, sn_month_format(p->from_month, from),
		p->has_until ? sn_month_format(p->until_month, until) : NULL,
		p->decided_by, p->member_names, idx };
	err             = sn_tx_query(tx, sql, 16, v, NULL, NULL);
	free(acct);
	return err;
}

sn_err
disbursement_store_payee_decided(sn_tx *tx, const disbursement_payee_in *p)
{
	char        m[24], c[24];
	const char *v[] = { p->application_id, fmt_i64(m, p->members),
		fmt_i64(c, p->category) };
	sn_err      err = payee_upsert(tx, SQL_PAYEE_DECIDED, p);
	return err != SN_OK
	    ? err
	    : sn_tx_query(tx, SQL_MONTH_DECIDED, 3, v, NULL, NULL);
}

sn_err
disbursement_store_payee_changed(sn_tx *tx, const disbursement_payee_in *p)
{
	char      until[SN_MONTH_STRLEN];
	sn_err    err = payee_upsert(tx, SQL_PAYEE_CHANGED, p);
	month_row r   = { disbursement_rules_standing_name(p->standing),
		  p->monthly_fen,
                p->has_until ? sn_month_format(p->until_month, until) : NULL,
		  p->members, p->cause, p->category, p->old_fen };
	if (err != SN_OK)
		return err;
	return month_set(
	    tx, p->application_id, p->has_first ? &p->first_month : NULL, &r);
}

sn_err
disbursement_store_payee_exit(
    sn_tx *tx, const char *application_id, const sn_month *first)
{
	const char *v[] = { application_id };
	month_row   r
	    = { "exited", 0, NULL, 0, 5 /* CHANGE_CAUSE_EXIT */, 0, 0 };
	sn_err err = sn_tx_query(tx, SQL_PAYEE_EXIT, 1, v, NULL, NULL);
	return err != SN_OK ? err : month_set(tx, application_id, first, &r);
}

static const char SQL_PRICE_SUBSIDY[]
    = "INSERT INTO price_subsidy (month, applies, per_person_fen,"
      " categories, policy_version, decided_by)"
      " VALUES ($1, $2::bool, $3::bigint, $4::int[], $5, $6)"
      " ON CONFLICT (month) DO UPDATE SET applies = EXCLUDED.applies,"
      "  per_person_fen = EXCLUDED.per_person_fen,"
      "  categories = EXCLUDED.categories,"
      "  policy_version = EXCLUDED.policy_version,"
      "  decided_by = EXCLUDED.decided_by, noted_at = now()";

sn_err
disbursement_store_price_subsidy(sn_tx *tx, const disbursement_subsidy_in *s)
{
	char       m[SN_MONTH_STRLEN], fen[24];
	sn_pgarray arr;
	sn_pgarray_init(&arr);
	for (size_t i = 0; i < s->ncategories; i++)
		sn_pgarray_add_i64(&arr, s->categories[i]);
	const char *a   = sn_pgarray_text(&arr);
	sn_err      err = SN_ENOMEM;
	if (a != NULL) {
		const char *v[]
		    = { sn_month_format(s->month, m), s->applies ? "t" : "f",
			      fmt_i64(fen, s->per_person_fen), a,
			      s->policy_version, s->decided_by };
		err = sn_tx_query(tx, SQL_PRICE_SUBSIDY, 6, v, NULL, NULL);
	}
	sn_pgarray_fini(&arr);
	return err;
}

/* ---- emergency payments ------------------------------------------------- */

/* The uuid is drawn in a subquery so that the e2e id can be made from it
 * in the same row. A data-modifying WITH runs to completion whether or
 * not the outer query reads it. */
static const char SQL_GRANT_PAYMENT[]
    = "WITH ins AS ("
      " INSERT INTO payment (id, grant_id, fund, year, amount_fen,"
      "  township_code, bank_code, account_number_sealed, account_name,"
      "  e2e_id, status, instalment, account_number_index)"
      " SELECT x.id, $1, 'emergency', $7::int, $2::bigint, $3, $4, $5, $6,"
      "  e2e_of(x.id, 1), 'ready', $8::int, nullif($9, '')"
      " FROM (SELECT uuid_v7() AS id) x"
      " ON CONFLICT (grant_id, instalment) WHERE grant_id IS NOT NULL"
      " DO NOTHING"
      " RETURNING *),"
      " b AS ("
      " INSERT INTO budget (fund, year, drawn_fen)"
      " SELECT ins.fund, ins.year, ins.amount_fen FROM ins"
      " ON CONFLICT (fund, year) DO UPDATE"
      "  SET drawn_fen = budget.drawn_fen + EXCLUDED.drawn_fen,"
      "  updated_at = now())"
      " SELECT " PAYMENT_COLS("ins", "NULL::text") " FROM ins";

sn_err
disbursement_store_grant_payment(sn_tx *tx, const disbursement_grant_in *g,
    const disbursement_payment_cb *cb)
{
	char        amount[24], year[24], inst[24];
	char       *acct = NULL, idx[SN_SEAL_INDEX_HEX + 1];
	sn_err      err  = account_seal(g->account_number, &acct, idx);
	const char *v[]  = { g->grant_id, fmt_i64(amount, g->amount_fen),
		 g->township_code, g->bank_code, acct, g->account_name,
		 fmt_i64(year, g->year), fmt_i64(inst, g->instalment), idx };
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_GRANT_PAYMENT, 9, v, payment_done, (void *) cb);
	free(acct);
	return err;
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
      "  (SELECT id FROM a) AS allocation_id FROM b";

static const sn_col budget_cols[] = {
	SN_COL_ENUMOF(disbursement_budget, fund, disbursement_fund_names),
	SN_COL(disbursement_budget, year, SN_COL_I32),
	SN_COL(disbursement_budget, allocated_fen, SN_COL_I64),
	SN_COL(disbursement_budget, drawn_fen, SN_COL_I64),
	SN_COL(disbursement_budget, allocation_id, SN_COL_I64),
};

static void
budget_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_budget_cb *cb = arg;
	disbursement_budget           b;
	bool                          found;
	sn_err                        err
	    = sn_rows_opt(res, budget_cols, SN_NCOLS(budget_cols), &b, &found);
	if (err == SN_OK && !found)
		err = SN_EPROTO; /* an upsert always answers */
	cb->fn(tx, err, err == SN_OK ? &b : NULL, cb->arg);
}

sn_err
disbursement_store_allocate(sn_tx *tx, disbursement_fund fund, int32_t year,
    int64_t amount, const char *actor, const disbursement_budget_cb *cb)
{
	char        y[24], a[24];
	const char *f = disbursement_rules_fund_name(fund);
	if (f == NULL)
		return SN_EINVAL;
	const char *v[] = { f, fmt_i64(y, year), fmt_i64(a, amount), actor };
	return sn_tx_query(tx, SQL_ALLOCATE, 4, v, budget_done, (void *) cb);
}

/* paid: settled; returned: rejected and held (not re-paid); in flight:
 * everything else drawn. */
static const char SQL_SETTLEMENT[]
    = "SELECT (SELECT allocated_fen FROM budget WHERE fund = $1"
      "  AND year = $2::int) AS allocated_fen,"
      " coalesce((SELECT drawn_fen FROM budget WHERE fund = $1"
      "  AND year = $2::int), 0) AS drawn_fen,"
      " coalesce(sum(amount_fen) FILTER (WHERE status = 'settled'), 0)"
      "  ::bigint AS paid_fen,"
      " coalesce(sum(amount_fen) FILTER (WHERE status = 'rejected'), 0)"
      "  ::bigint AS returned_fen,"
      " coalesce(sum(amount_fen) FILTER (WHERE status NOT IN ('settled',"
      "  'rejected')), 0)::bigint AS in_flight_fen,"
      " count(*) FILTER (WHERE status = 'settled') AS paid_count,"
      " count(*) FILTER (WHERE status = 'rejected') AS returned_count,"
      " count(*) FILTER (WHERE status NOT IN ('settled', 'rejected'))"
      "  AS in_flight_count"
      " FROM payment WHERE fund = $1 AND year = $2::int";

static const sn_col settlement_cols[] = {
	SN_COL_OPT(
	    disbursement_settlement, allocated_fen, SN_COL_I64, has_budget),
	SN_COL(disbursement_settlement, drawn_fen, SN_COL_I64),
	SN_COL(disbursement_settlement, paid_fen, SN_COL_I64),
	SN_COL(disbursement_settlement, returned_fen, SN_COL_I64),
	SN_COL(disbursement_settlement, in_flight_fen, SN_COL_I64),
	SN_COL(disbursement_settlement, paid_count, SN_COL_I64),
	SN_COL(disbursement_settlement, returned_count, SN_COL_I64),
	SN_COL(disbursement_settlement, in_flight_count, SN_COL_I64),
};

static void
settlement_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx               *c = arg;
	disbursement_settlement s;
	bool                    found = false;
	if (err == SN_OK)
		err = sn_rows_opt(res, settlement_cols,
		    SN_NCOLS(settlement_cols), &s, &found);
	if (err == SN_OK && !found)
		err = SN_EPROTO; /* an aggregate always answers */
	((disbursement_settlement_read_fn) c->fn)(
	    err, err == SN_OK ? &s : NULL, c->arg);
	read_end(c);
}

void
disbursement_store_settlement(sn_db *db, disbursement_fund fund, int32_t year,
    disbursement_settlement_read_fn fn, void *arg)
{
	char        y[24];
	const char *f   = disbursement_rules_fund_name(fund);
	const char *v[] = { f != NULL ? f : "", fmt_i64(y, year) };
	read_start(db, SQL_SETTLEMENT, 2, v, settlement_read,
	    (void (*)(void)) fn, arg);
}

static const char SQL_BUDGET_ROOM[]
    = "SELECT fund, allocated_fen - drawn_fen AS room_fen FROM budget"
      " WHERE year = $1::int AND fund IN ('dibao', 'tekun',"
      "  'price_subsidy')"
      " ORDER BY fund FOR UPDATE";

typedef struct room_row {
	disbursement_fund fund;
	int64_t           room_fen;
} room_row;

static const sn_col room_cols[] = {
	SN_COL_ENUMOF(room_row, fund, disbursement_fund_names),
	SN_COL(room_row, room_fen, SN_COL_I64),
};

static void
room_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_room_cb *cb                        = arg;
	int64_t                     room[DISBURSEMENT_NFUNDS] = { 0 };
	void                       *rows;
	size_t                      n;
	sn_err                      err = read_rows(
	                         res, room_cols, SN_NCOLS(room_cols), sizeof(room_row), &rows, &n);
	for (size_t i = 0; err == SN_OK && i < n; i++) {
		const room_row *r = (const room_row *) rows + i;
		room[r->fund]     = r->room_fen;
	}
	cb->fn(tx, err, room, cb->arg);
	free(rows);
}

sn_err
disbursement_store_budget_room(
    sn_tx *tx, int32_t year, const disbursement_room_cb *cb)
{
	char        y[24];
	const char *v[] = { fmt_i64(y, year) };
	return sn_tx_query(tx, SQL_BUDGET_ROOM, 1, v, room_done, (void *) cb);
}

/* ---- runs --------------------------------------------------------------- */

static const char SQL_RUN_CREATE[]
    = "INSERT INTO run (period, status, created_by)"
      " VALUES ($1, 'building', $2)"
      " ON CONFLICT (period) WHERE status <> 'rejected' DO NOTHING"
      " RETURNING " RUN_COLS("run");

static const char SQL_RUN_OF_PERIOD[]
    = "SELECT " RUN_COLS("r") " FROM run r WHERE r.period = $1"
                              " AND r.status <> 'rejected'";

static const char SQL_RUN_LOCK[]
    = "SELECT " RUN_COLS("r") " FROM run r WHERE r.id = $1::uuid"
                              " FOR UPDATE";

static const char SQL_RUN_DECIDED_BY[]
    = "SELECT EXISTS (SELECT 1 FROM payee p WHERE p.decided_by = $2"
      " AND EXISTS (SELECT 1 FROM payment m WHERE m.payee_id = p.id"
      "  AND m.run_id = $1::uuid)) AS decided";

static const char SQL_RUN_APPROVE[]
    = "UPDATE run SET status = $5, decided_by = $2,"
      " decision_reason = nullif($3, ''), decided_at = now()"
      " WHERE id = $1::uuid AND status = $4"
      " RETURNING " RUN_COLS("run");

/* The payments go only while the run is still in status $4. */
static const char SQL_RUN_REJECT[]
    = "WITH dr AS (DELETE FROM recovery WHERE run_id = $1::uuid"
      "  AND EXISTS (SELECT 1 FROM run WHERE id = $1::uuid"
      "   AND status = $4)),"
      " dn AS (DELETE FROM netting WHERE run_id = $1::uuid"
      "  AND EXISTS (SELECT 1 FROM run WHERE id = $1::uuid"
      "   AND status = $4)),"
      " d AS ("
      " DELETE FROM payment WHERE run_id = $1::uuid AND status = 'planned'"
      "  AND EXISTS (SELECT 1 FROM run WHERE id = $1::uuid"
      "   AND status = $4)"
      " RETURNING fund, year, amount_fen),"
      " s AS (SELECT fund, year, sum(amount_fen) AS fen FROM d"
      "  GROUP BY fund, year),"
      " b AS ("
      " UPDATE budget SET drawn_fen = budget.drawn_fen - s.fen,"
      "  updated_at = now()"
      " FROM s WHERE budget.fund = s.fund AND budget.year = s.year)"
      " UPDATE run SET status = $5, decided_by = $2,"
      " decision_reason = nullif($3, ''), decided_at = now()"
      " WHERE id = $1::uuid AND status = $4"
      " RETURNING " RUN_COLS("run");

static const char SQL_RUN_BUILDING[]
    = "SELECT " RUN_COLS("r") " FROM run r WHERE r.status = 'building'"
                              " ORDER BY r.created_at LIMIT 1";

sn_err
disbursement_store_run_create(sn_tx *tx, sn_month period, const char *actor,
    const disbursement_run_cb *cb)
{
	char        p[SN_MONTH_STRLEN];
	const char *v[] = { sn_month_format(period, p), actor };
	return sn_tx_query(tx, SQL_RUN_CREATE, 2, v, run_done, (void *) cb);
}

sn_err
disbursement_store_run_of_period(
    sn_tx *tx, sn_month period, const disbursement_run_cb *cb)
{
	char        p[SN_MONTH_STRLEN];
	const char *v[] = { sn_month_format(period, p) };
	return sn_tx_query(tx, SQL_RUN_OF_PERIOD, 1, v, run_done, (void *) cb);
}

sn_err
disbursement_store_run_lock(
    sn_tx *tx, const char *id, const disbursement_run_cb *cb)
{
	const char *v[] = { id };
	return sn_tx_query(tx, SQL_RUN_LOCK, 1, v, run_done, (void *) cb);
}

typedef struct flag_row {
	bool decided;
} flag_row;

static const sn_col flag_cols[] = {
	SN_COL(flag_row, decided, SN_COL_BOOL),
};

static void
flag_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_flag_cb *cb = arg;
	flag_row                    f  = { false };
	bool                        found;
	sn_err                      err
	    = sn_rows_opt(res, flag_cols, SN_NCOLS(flag_cols), &f, &found);
	cb->fn(tx, err, err == SN_OK && found && f.decided, cb->arg);
}

sn_err
disbursement_store_run_decided_by(sn_tx *tx, const char *id, const char *user,
    const disbursement_flag_cb *cb)
{
	const char *v[] = { id, user };
	return sn_tx_query(
	    tx, SQL_RUN_DECIDED_BY, 2, v, flag_done, (void *) cb);
}

sn_err
disbursement_store_run_decide(sn_tx *tx, const char *id,
    disbursement_run_status from, disbursement_run_status to, const char *user,
    const char *reason, const disbursement_run_cb *cb)
{
	const char *f = disbursement_rules_run_status_name(from);
	const char *t = disbursement_rules_run_status_name(to);
	if (f == NULL || t == NULL)
		return SN_EINVAL;
	const char *v[] = { id, user, reason != NULL ? reason : "", f, t };
	return sn_tx_query(tx,
	    to == DISBURSEMENT_RUN_REJECTED ? SQL_RUN_REJECT : SQL_RUN_APPROVE,
	    5, v, run_done, (void *) cb);
}

static void
run_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx        *c = arg;
	disbursement_run r;
	bool             found = false;
	if (err == SN_OK)
		err = sn_rows_opt(
		    res, run_cols, SN_NCOLS(run_cols), &r, &found);
	((disbursement_run_read_fn) c->fn)(
	    err, err == SN_OK && found ? &r : NULL, c->arg);
	read_end(c);
}

void
disbursement_store_run_building(
    sn_db *db, disbursement_run_read_fn fn, void *arg)
{
	read_start(
	    db, SQL_RUN_BUILDING, 0, NULL, run_read, (void (*)(void)) fn, arg);
}

/* ---- building ----------------------------------------------------------- */

/* The price subsidy goes by the month's category (payee_month), so that
 * a low-income payee (fund '', no benefit) has its line too. Whether the
 * payee has its month's payments already is a probe of payment_line_key
 * per payee (a LATERAL ... LIMIT 1): as an EXISTS, the planner, whose
 * statistics saw none of the month's payments yet, made it a hashed
 * subplan that read every payment of the month built so far, each chunk:
 * 1.7 s a chunk of 10,000 by 640,000 payees, the build growing with the
 * square of the run. */
static const char SQL_CHUNK[]
    = "SELECT p.id, p.fund, coalesce(r.status, 'exited') AS standing,"
      " coalesce(r.monthly_fen, 0) AS monthly_fen, p.from_month,"
      " r.until_month, CASE WHEN p.account_number_sealed IS NOT NULL"
      "  OR coalesce(p.account_number, '') <> '' THEN '-' ELSE ''"
      "  END AS account_number,"
      " ap.paid IS NOT NULL AS already_paid,"
      " (coalesce((SELECT sum(v.amount_fen) FROM recovery v"
      "   WHERE v.payee_id = p.id AND v.fund = p.fund), 0)"
      "  - coalesce((SELECT sum(t.amount_fen) FROM netting t"
      "   WHERE t.payee_id = p.id AND t.fund = p.fund), 0))::bigint"
      "  AS owed_fen,"
      " coalesce(CASE WHEN s.applies AND r.category = ANY (s.categories)"
      "  THEN s.per_person_fen * r.members END, 0)::bigint AS subsidy_fen,"
      " sp.paid IS NOT NULL AS subsidy_paid,"
      " coalesce(r.category, 0) AS category,"
      " coalesce(r.members, 0) AS members"
      " FROM payee p"
      " LEFT JOIN LATERAL (SELECT pm.* FROM payee_month pm"
      "  WHERE pm.payee_id = p.id AND pm.first_month <= $1"
      "  ORDER BY pm.first_month DESC LIMIT 1) r ON true"
      " LEFT JOIN LATERAL (SELECT true AS paid FROM payment m"
      "  WHERE m.payee_id = p.id AND m.fund = p.fund AND m.period = $1"
      "  AND m.corrects = '' LIMIT 1) ap ON true"
      " LEFT JOIN LATERAL (SELECT true AS paid FROM payment m"
      "  WHERE m.payee_id = p.id AND m.fund = 'price_subsidy'"
      "  AND m.period = $1 LIMIT 1) sp ON true"
      " LEFT JOIN price_subsidy s ON s.month = $1"
      " WHERE p.id > $2::bigint ORDER BY p.id LIMIT $3::int";

static const sn_col payee_cols[] = {
	SN_COL(disbursement_payee, id, SN_COL_I64),
	SN_COL_ENUMOF(disbursement_payee, fund, disbursement_fund_names),
	SN_COL_ENUMOF(
	    disbursement_payee, standing, disbursement_standing_names),
	SN_COL(disbursement_payee, monthly_fen, SN_COL_I64),
	SN_COL(disbursement_payee, from_month, SN_COL_MONTH),
	SN_COL_OPT(disbursement_payee, until_month, SN_COL_MONTH, has_until),
	SN_COL(disbursement_payee, account_number, SN_COL_TEXT),
	SN_COL(disbursement_payee, already_paid, SN_COL_BOOL),
	SN_COL(disbursement_payee, subsidy_fen, SN_COL_I64),
	SN_COL(disbursement_payee, subsidy_paid, SN_COL_BOOL),
	SN_COL(disbursement_payee, owed_fen, SN_COL_I64),
	SN_COL(disbursement_payee, category, SN_COL_I32),
	SN_COL(disbursement_payee, members, SN_COL_I32),
};

static void
payees_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_payees_cb *cb = arg;
	void                         *rows;
	size_t                        n;
	sn_err err = read_rows(res, payee_cols, SN_NCOLS(payee_cols),
	    sizeof(disbursement_payee), &rows, &n);
	cb->fn(tx, err, rows, n, cb->arg);
	free(rows);
}

sn_err
disbursement_store_chunk(sn_tx *tx, sn_month period, int64_t after, int limit,
    const disbursement_payees_cb *cb)
{
	char        p[SN_MONTH_STRLEN], a[24], l[24];
	const char *v[] = { sn_month_format(period, p), fmt_i64(a, after),
		fmt_i64(l, limit) };
	return sn_tx_query(tx, SQL_CHUNK, 3, v, payees_done, (void *) cb);
}

/* A month q is looked at again when a row of the payee's register from
 * q or before arrived after q's run was made (a change seen by q's build
 * differs by nothing: looking again is harmless; one that came before
 * the run is what the run paid, and a payee short of budget in q is not
 * owed a back-payment for it); paid for q: its
 * ordinary payment, what was netted from it, back-payments for it, less
 * recoveries of it. A payee that never had a benefit fund (low-income
 * only) has nothing to correct: the price subsidy is not corrected.
 * "Arrived after" is a probe of the payee's register per payee and month
 * (a LATERAL ... LIMIT 1): as an EXISTS it was planned as a hash semi-join
 * over all of payee_month, read whole for each chunk. */
static const char SQL_PAST[]
    = "SELECT pe.id AS payee_id, pe.fund, q.period AS month,"
      " coalesce(r.status, 'exited') AS standing,"
      " coalesce(r.monthly_fen, 0) AS monthly_fen, pe.from_month,"
      " r.until_month,"
      " (coalesce((SELECT sum(m.amount_fen) FROM payment m"
      "   WHERE m.payee_id = pe.id AND m.fund = pe.fund"
      "   AND ((m.period = q.period AND m.corrects = '')"
      "    OR m.corrects = q.period)), 0)"
      "  + coalesce((SELECT sum(t.amount_fen) FROM netting t"
      "   WHERE t.payee_id = pe.id AND t.fund = pe.fund"
      "   AND t.period = q.period), 0)"
      "  - coalesce((SELECT sum(v.amount_fen) FROM recovery v"
      "   WHERE v.payee_id = pe.id AND v.fund = pe.fund"
      "   AND v.corrects = q.period), 0))::bigint AS paid_fen"
      " FROM (SELECT * FROM payee WHERE id > $2::bigint ORDER BY id"
      "  LIMIT $3::int) pe"
      " JOIN run q ON q.period < $1 AND q.status IN ('approved', 'sending',"
      "  'completed')"
      " JOIN LATERAL (SELECT 1 FROM payee_month pm"
      "  WHERE pm.payee_id = pe.id AND pm.first_month <= q.period"
      "  AND pm.noted_at > q.created_at LIMIT 1) noted ON true"
      " LEFT JOIN LATERAL (SELECT pm.* FROM payee_month pm"
      "  WHERE pm.payee_id = pe.id AND pm.first_month <= q.period"
      "  ORDER BY pm.first_month DESC LIMIT 1) r ON true"
      " WHERE pe.fund <> ''"
      " ORDER BY pe.id, q.period";

static const sn_col past_cols[] = {
	SN_COL(disbursement_past, payee_id, SN_COL_I64),
	SN_COL_ENUMOF(disbursement_past, fund, disbursement_fund_names),
	SN_COL(disbursement_past, month, SN_COL_MONTH),
	SN_COL_ENUMOF(
	    disbursement_past, standing, disbursement_standing_names),
	SN_COL(disbursement_past, monthly_fen, SN_COL_I64),
	SN_COL(disbursement_past, from_month, SN_COL_MONTH),
	SN_COL_OPT(disbursement_past, until_month, SN_COL_MONTH, has_until),
	SN_COL(disbursement_past, paid_fen, SN_COL_I64),
};

static void
pasts_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_pasts_cb *cb = arg;
	void                        *rows;
	size_t                       n;
	sn_err err = read_rows(res, past_cols, SN_NCOLS(past_cols),
	    sizeof(disbursement_past), &rows, &n);
	cb->fn(tx, err, rows, n, cb->arg);
	free(rows);
}

sn_err
disbursement_store_past(sn_tx *tx, sn_month period, int64_t after, int limit,
    const disbursement_pasts_cb *cb)
{
	char        p[SN_MONTH_STRLEN], a[24], l[24];
	const char *v[] = { sn_month_format(period, p), fmt_i64(a, after),
		fmt_i64(l, limit) };
	return sn_tx_query(tx, SQL_PAST, 3, v, pasts_done, (void *) cb);
}

static const char SQL_RECOVERIES[]
    = "INSERT INTO recovery (payee_id, fund, period, corrects, run_id,"
      " amount_fen)"
      " SELECT l.id, l.fund, $2, l.corrects, $1::uuid, l.fen"
      " FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[])"
      "  AS l(id, fund, corrects, fen)"
      " ON CONFLICT DO NOTHING";

static const char SQL_NETTINGS[]
    = "INSERT INTO netting (payee_id, fund, period, run_id, amount_fen)"
      " SELECT l.id, l.fund, $2, $1::uuid, l.fen"
      " FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[])"
      "  AS l(id, fund, corrects, fen)"
      " ON CONFLICT DO NOTHING";

/* The lines of kind among lines as LINE_ARRAYS arrays (payee, fund,
 * corrects, amount, category, persons): as many parameters from v. */
#define LINE_ARRAYS 6

static sn_err
line_arrays(const disbursement_line *lines, size_t n,
    disbursement_line_kind kind, sn_pgarray arr[LINE_ARRAYS], const char **v)
{
	char c[SN_MONTH_STRLEN];
	for (int k = 0; k < LINE_ARRAYS; k++)
		sn_pgarray_init(&arr[k]);
	for (size_t i = 0; i < n; i++) {
		const disbursement_line *l = &lines[i];
		const char *f = disbursement_rules_fund_name(l->fund);
		const char *cat
		    = disbursement_rules_category_name(l->category);
		if (l->kind != kind)
			continue;
		sn_pgarray_add_i64(&arr[0], l->payee_id);
		sn_pgarray_add(&arr[1], f != NULL ? f : "");
		sn_pgarray_add(&arr[2],
		    l->has_corrects ? sn_month_format(l->corrects, c) : "");
		sn_pgarray_add_i64(&arr[3], l->amount_fen);
		sn_pgarray_add(&arr[4], cat != NULL ? cat : "");
		sn_pgarray_add_i64(&arr[5], l->persons);
	}
	for (int k = 0; k < LINE_ARRAYS; k++)
		if ((v[k] = sn_pgarray_text(&arr[k])) == NULL)
			return SN_ENOMEM;
	return SN_OK;
}

static void
arrays_fini(sn_pgarray arr[LINE_ARRAYS])
{
	for (int k = 0; k < LINE_ARRAYS; k++)
		sn_pgarray_fini(&arr[k]);
}

sn_err
disbursement_store_fixes(sn_tx *tx, const char *run_id, sn_month period,
    const disbursement_line *lines, size_t n)
{
	char        p[SN_MONTH_STRLEN];
	sn_pgarray  arr[LINE_ARRAYS];
	const char *v[2 + LINE_ARRAYS]
	    = { run_id, sn_month_format(period, p) };
	sn_err err
	    = line_arrays(lines, n, DISBURSEMENT_LINE_RECOVERY, arr, v + 2);
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_RECOVERIES, 6, v, NULL, NULL);
	arrays_fini(arr);
	if (err == SN_OK)
		err = line_arrays(
		    lines, n, DISBURSEMENT_LINE_NETTING, arr, v + 2);
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_NETTINGS, 6, v, NULL, NULL);
	arrays_fini(arr);
	return err;
}

/* The uuid of each new payment is drawn in the subquery's target list
 * (volatile: once per row), so that its e2e id is made from it. The
 * payments created are the answer, in payee order, for their events. */
static const char SQL_BUILD[]
    = "WITH ins AS ("
      " INSERT INTO payment (id, payee_id, fund, period, corrects, year,"
      "  run_id, amount_fen, township_code, bank_code, account_number,"
      "  account_number_sealed, account_number_index, account_name, e2e_id,"
      "  status, category, persons)"
      " SELECT q.nid, q.id, q.lfund, $2, q.lcorrects, $3::int, $1::uuid,"
      "  q.lfen, q.township_code, q.bank_code, q.account_number,"
      "  q.account_number_sealed, q.account_number_index, q.account_name,"
      "  e2e_of(q.nid, 1),"
      "  'planned', q.lcat, q.lpersons"
      " FROM (SELECT l.nid, l.fund AS lfund,"
      "  l.corrects AS lcorrects, l.fen AS lfen, l.cat AS lcat,"
      "  l.persons AS lpersons, p.* FROM payee p"
      "  JOIN unnest($4::bigint[], $8::text[], $9::text[], $10::bigint[],"
      "   $11::text[], $12::int[], $13::uuid[])"
      "   AS l(id, fund, corrects, fen, cat, persons, nid) ON l.id = p.id"
      "  ORDER BY p.id, l.fund, l.corrects) q"
      " ON CONFLICT (payee_id, fund, period, corrects) DO NOTHING"
      " RETURNING *),"
      " s AS (SELECT fund, sum(amount_fen) AS fen FROM ins GROUP BY fund),"
      " b AS ("
      " UPDATE budget SET drawn_fen = budget.drawn_fen + s.fen,"
      "  updated_at = now()"
      " FROM s WHERE budget.fund = s.fund AND budget.year = $3::int),"
      " c AS (SELECT count(*) AS n, coalesce(sum(amount_fen), 0) AS fen"
      "  FROM ins),"
      " r AS ("
      " UPDATE run SET built_upto = $5::bigint,"
      " payments = payments + c.n, total_fen = total_fen + c.fen,"
      " short_count = short_count + $6::bigint,"
      " short_fen = short_fen + $7::bigint"
      " FROM c WHERE run.id = $1::uuid)"
      " SELECT " PAYMENT_COLS(
          "ins", "pe.beneficiary_id") " FROM ins JOIN payee pe ON pe.id = "
                                      "ins.payee_id"
                                      " ORDER BY ins.payee_id, ins.fund,"
                                      " ins.corrects";

sn_err
disbursement_store_build(sn_tx *tx, const char *run_id, sn_month period,
    int32_t year, const disbursement_line *lines, size_t n, int64_t upto,
    int64_t short_count, int64_t short_fen, const disbursement_payments_cb *cb)
{
	char        p[SN_MONTH_STRLEN], y[24], u[24], sc[24], sf[24];
	sn_pgarray  arr[LINE_ARRAYS], ids;
	const char *a[LINE_ARRAYS], *idv = NULL;
	sn_err err = line_arrays(lines, n, DISBURSEMENT_LINE_PAYMENT, arr, a);
	/* Each payment's id, a version 7 uuid (migration 012's uuid_v7(),
	 * made here: PL/pgSQL per row cost the build's insert a tenth of its
	 * time). In the lines' order, as the ids were made in the database. */
	sn_pgarray_init(&ids);
	for (size_t i = 0; i < n && err == SN_OK; i++) {
		sn_uuid id;
		char    text[SN_UUID_STRLEN];
		if (lines[i].kind != DISBURSEMENT_LINE_PAYMENT)
			continue;
		if ((err = sn_uuid_v7(&id)) == SN_OK)
			sn_pgarray_add(&ids, sn_uuid_format(&id, text));
	}
	if (err == SN_OK && (idv = sn_pgarray_text(&ids)) == NULL)
		err = SN_ENOMEM;
	if (err == SN_OK) {
		const char *v[] = { run_id, sn_month_format(period, p),
			fmt_i64(y, year), a[0], fmt_i64(u, upto),
			fmt_i64(sc, short_count), fmt_i64(sf, short_fen), a[1],
			a[2], a[3], a[4], a[5], idv };
		err             = sn_tx_query(
		                tx, SQL_BUILD, 13, v, payments_done, (void *) cb);
	}
	sn_pgarray_fini(&ids);
	arrays_fini(arr);
	return err;
}

/* The plan's rows, and a claim cursor per fund of them at the start
 * (migration 017): the claims take the run's planned payments from it. */
static const char SQL_BUILD_END[]
    = "WITH pl AS ("
      " INSERT INTO run_plan (run_id, fund, township_code, category,"
      "  payments, total_fen, back_payments, back_fen, persons)"
      " SELECT run_id, fund, township_code, category, count(*),"
      "  sum(amount_fen), count(*) FILTER (WHERE corrects <> ''),"
      "  coalesce(sum(amount_fen) FILTER (WHERE corrects <> ''), 0),"
      "  sum(persons)"
      " FROM payment WHERE run_id = $1::uuid"
      " GROUP BY run_id, fund, township_code, category"
      " ON CONFLICT DO NOTHING RETURNING run_id, fund),"
      " k AS (INSERT INTO claim_cursor (run_id, fund, from_id)"
      "  SELECT DISTINCT run_id, fund, " NO_ID " FROM pl"
      "  ON CONFLICT DO NOTHING)"
      " UPDATE run SET status = $3, built_at = now()"
      " WHERE id = $1::uuid AND status = $2"
      " RETURNING " RUN_COLS("run");

static const char SQL_ANALYZE_PAYMENT[] = "ANALYZE payment";

sn_err
disbursement_store_build_end(sn_tx *tx, const char *id,
    disbursement_run_status from, disbursement_run_status to,
    const disbursement_run_cb *cb)
{
	const char *f = disbursement_rules_run_status_name(from);
	const char *t = disbursement_rules_run_status_name(to);
	if (f == NULL || t == NULL)
		return SN_EINVAL;
	const char *v[] = { id, f, t };
	sn_err      err
	    = sn_tx_query(tx, SQL_BUILD_END, 3, v, run_done, (void *) cb);
	/* The run's payments are now most of the table: without fresh
	 * statistics the planner takes every claim for one row. */
	return err == SN_OK
	    ? sn_tx_query_once(tx, SQL_ANALYZE_PAYMENT, 0, NULL, NULL, NULL)
	    : err;
}

static const char SQL_RUNS_START[]
    = "UPDATE run SET status = $2 WHERE status = $1"
      " RETURNING " RUN_COLS("run");

/* The payments of cursor k's run and fund from it on, in the order of
 * payment_run, bounded by row comparisons only: with run_id and fund
 * given by equalities the planner takes the order for id's alone, and a
 * plan walked the primary key from its start, filtering by run and fund
 * (the statistics after a build see one run, often one fund, so every
 * row seems to match): 60,000 rows read for a claim 120 batches into a
 * run. No other index gives the order of all three columns. */
#define FROM_CURSOR                                                           \
	"(run_id, fund, id) >= (k.run_id, k.fund, k.from_id)"                 \
	" AND (run_id, fund, id) <= (k.run_id, k.fund, " LAST_ID ")"

/* p: batch b's payments still sent (migration 017), each found by its
 * id: the OFFSET keeps the planner from joining the batch's ids to a
 * scan of payment instead (its statistics, taken after a build, see no
 * payment sent, and a plan from them read the whole table). */
#define SENT_OF_BATCH                                                         \
	" unnest(b.payments) AS x(id) CROSS JOIN LATERAL (SELECT p.*"         \
	"  FROM payment p WHERE p.id = x.id AND p.batch_id = b.batch_id"      \
	"  AND p.status = 'sent' OFFSET 0) p"

/* A run is complete when none of its payments is open ($3, the rules'
 * open statuses), told without an index naming status (migration 017),
 * in this order, each asked only if the one before found none: planned
 * ones from each of its funds' claim cursors on; ready and accepted ones
 * by stage; sent ones through the batches not yet closed (OFFSET 0: no
 * plan hashing every sent payment's run instead). Batches sent over $4
 * ms ago with none of their payments sent are closed on the way: the
 * answer that leaves none sent deletes its batch's row by the row's count
 * (migration 018), and this is the net under a count that ever
 * disagreed (a row is only looked at once old, so it costs nothing
 * while the answers keep up). */
static const char SQL_RUNS_COMPLETE[]
    = "WITH sw AS (DELETE FROM send_batch b"
      "  WHERE b.sent_at < now() - $4::int * interval '1 millisecond'"
      "  AND NOT EXISTS (SELECT 1 FROM" SENT_OF_BATCH "))"
      " UPDATE run r SET status = $2, completed_at = now()"
      " WHERE r.status = $1 AND CASE"
      "  WHEN 'planned' = ANY ($3::text[]) AND EXISTS (SELECT 1"
      "   FROM claim_cursor k CROSS JOIN LATERAL (SELECT 1 FROM payment"
      "    WHERE " FROM_CURSOR
      "    AND status = 'planned' ORDER BY run_id, fund, id LIMIT 1) x"
      "   WHERE k.run_id = r.id) THEN false"
      "  WHEN EXISTS (SELECT 1 FROM payment p"
      "   WHERE p.stage = ANY ($3::text[]) AND p.run_id = r.id) THEN false"
      "  WHEN 'sent' = ANY ($3::text[]) AND EXISTS (SELECT 1"
      "   FROM send_batch b CROSS JOIN LATERAL" SENT_OF_BATCH
      "   WHERE p.run_id = r.id OFFSET 0)"
      "  THEN false ELSE true END"
      " RETURNING " RUN_COLS("r");

sn_err
disbursement_store_runs_start(sn_tx *tx, disbursement_run_status from,
    disbursement_run_status to, const disbursement_runs_cb *cb)
{
	const char *f = disbursement_rules_run_status_name(from);
	const char *t = disbursement_rules_run_status_name(to);
	if (f == NULL || t == NULL)
		return SN_EINVAL;
	const char *v[] = { f, t };
	return sn_tx_query(tx, SQL_RUNS_START, 2, v, runs_done, (void *) cb);
}

sn_err
disbursement_store_runs_complete(sn_tx *tx, disbursement_run_status from,
    disbursement_run_status to, const disbursement_payment_status *open,
    size_t nopen, uint32_t stale_ms, const disbursement_runs_cb *cb)
{
	char        st[24];
	const char *f = disbursement_rules_run_status_name(from);
	const char *t = disbursement_rules_run_status_name(to);
	if (f == NULL || t == NULL)
		return SN_EINVAL;
	sn_pgarray arr;
	sn_pgarray_init(&arr);
	for (size_t i = 0; i < nopen; i++)
		sn_pgarray_add(
		    &arr, disbursement_rules_payment_status_name(open[i]));
	const char *a   = sn_pgarray_text(&arr);
	sn_err      err = SN_ENOMEM;
	if (a != NULL) {
		const char *v[] = { f, t, a, fmt_i64(st, stale_ms) };
		err             = sn_tx_query(
		                tx, SQL_RUNS_COMPLETE, 4, v, runs_done, (void *) cb);
	}
	sn_pgarray_fini(&arr);
	return err;
}

/* ---- run documents ------------------------------------------------------ */

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
    = "SELECT " RUN_JSON "::text AS doc FROM run r WHERE r.id = $1::uuid";

typedef struct doc_row {
	const char *doc;
} doc_row;

static const sn_col doc_cols[] = {
	SN_COL(doc_row, doc, SN_COL_TEXT),
};

static void
doc_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx *c     = arg;
	doc_row   d     = { NULL };
	bool      found = false;
	if (err == SN_OK)
		err = sn_rows_opt(
		    res, doc_cols, SN_NCOLS(doc_cols), &d, &found);
	((disbursement_doc_read_fn) c->fn)(
	    err, err == SN_OK && found ? d.doc : NULL, c->arg);
	read_end(c);
}

void
disbursement_store_run_doc(
    sn_db *db, const char *id, disbursement_doc_read_fn fn, void *arg)
{
	const char *v[] = { id };
	read_start(db, SQL_RUN_DOC, 1, v, doc_read, (void (*)(void)) fn, arg);
}

static const char SQL_PLAN[]
    = "SELECT " RUN_JSON "::text AS run_doc,"
      " coalesce((SELECT json_agg(json_build_object('fund', fund,"
      "  'township_code', township_code, 'payments', payments,"
      "  'total_fen', total_fen, 'back_payments', back_payments,"
      "  'back_fen', back_fen, 'category', nullif(category, ''),"
      "  'persons', persons) ORDER BY fund, township_code, category)"
      "  FROM run_plan WHERE run_id = r.id), '[]'::json)::text AS rows_doc,"
      " coalesce((SELECT json_agg(json_build_object('category', category,"
      "  'payments', n, 'persons', persons, 'total_fen', fen)"
      "  ORDER BY category) FROM (SELECT category, sum(payments) AS n,"
      "  sum(persons) AS persons, sum(total_fen) AS fen FROM run_plan"
      "  WHERE run_id = r.id AND fund = 'price_subsidy'"
      "  GROUP BY category) x), '[]'::json)::text AS subsidy_doc,"
      " json_build_object('back_payments', (SELECT coalesce(sum("
      "  back_payments), 0) FROM run_plan WHERE run_id = r.id),"
      "  'back_fen', (SELECT coalesce(sum(back_fen), 0) FROM run_plan"
      "   WHERE run_id = r.id),"
      "  'recoveries', (SELECT count(*) FROM recovery WHERE run_id = r.id),"
      "  'recovery_fen', (SELECT coalesce(sum(amount_fen), 0) FROM recovery"
      "   WHERE run_id = r.id),"
      "  'netted_fen', (SELECT coalesce(sum(amount_fen), 0) FROM netting"
      "   WHERE run_id = r.id))::text AS corrections_doc,"
      " coalesce((SELECT sum(payments) FROM run_plan WHERE run_id = r.id),"
      "  0)::bigint AS payments,"
      " coalesce((SELECT sum(total_fen) FROM run_plan WHERE run_id = r.id),"
      "  0)::bigint AS total_fen"
      " FROM run r WHERE r.id = $1::uuid";

static const sn_col plan_cols[] = {
	SN_COL(disbursement_plan, run_doc, SN_COL_TEXT),
	SN_COL(disbursement_plan, rows_doc, SN_COL_TEXT),
	SN_COL(disbursement_plan, corrections_doc, SN_COL_TEXT),
	SN_COL(disbursement_plan, subsidy_doc, SN_COL_TEXT),
	SN_COL(disbursement_plan, payments, SN_COL_I64),
	SN_COL(disbursement_plan, total_fen, SN_COL_I64),
};

static void
plan_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx         *c = arg;
	disbursement_plan p;
	bool              found = false;
	if (err == SN_OK)
		err = sn_rows_opt(
		    res, plan_cols, SN_NCOLS(plan_cols), &p, &found);
	((disbursement_plan_read_fn) c->fn)(
	    err, err == SN_OK && found ? &p : NULL, c->arg);
	read_end(c);
}

void
disbursement_store_plan(
    sn_db *db, const char *id, disbursement_plan_read_fn fn, void *arg)
{
	const char *v[] = { id };
	read_start(db, SQL_PLAN, 1, v, plan_read, (void (*)(void)) fn, arg);
}

/* The price subsidy lines of run $1 per category: planned (the plan)
 * and settled (the bank credited them), each as payments, persons and
 * total_fen. */
#define RECON_SUBSIDY                                                         \
	"coalesce((SELECT json_agg(json_build_object('category', c.category," \
	"  'planned', json_build_object('payments', coalesce(pl.n, 0),"       \
	"   'persons', coalesce(pl.persons, 0), 'total_fen',"                 \
	"   coalesce(pl.fen, 0)),"                                            \
	"  'settled', json_build_object('payments', coalesce(st.n, 0),"       \
	"   'persons', coalesce(st.persons, 0), 'total_fen',"                 \
	"   coalesce(st.fen, 0))) ORDER BY c.category)"                       \
	" FROM (SELECT category FROM run_plan WHERE run_id = $1::uuid"        \
	"   AND fund = 'price_subsidy'"                                       \
	"  UNION SELECT category FROM payment WHERE run_id = $1::uuid"        \
	"   AND fund = 'price_subsidy') c"                                    \
	" LEFT JOIN (SELECT category, sum(payments) AS n,"                    \
	"  sum(persons) AS persons, sum(total_fen) AS fen FROM run_plan"      \
	"  WHERE run_id = $1::uuid AND fund = 'price_subsidy'"                \
	"  GROUP BY category) pl ON pl.category = c.category"                 \
	" LEFT JOIN (SELECT category, count(*) AS n, sum(persons) AS "        \
	"persons,"                                                            \
	"  sum(amount_fen) AS fen FROM payment WHERE run_id = $1::uuid"       \
	"  AND fund = 'price_subsidy' AND status = 'settled'"                 \
	"  GROUP BY category) st ON st.category = c.category),"               \
	" '[]'::json)::text"

static const char SQL_RECON[]
    = "WITH r AS (SELECT * FROM run WHERE id = $1::uuid),"
      " y AS (SELECT coalesce((SELECT min(year) FROM payment"
      "  WHERE run_id = $1::uuid), substr((SELECT period FROM r), 1, 4)::int)"
      "  AS year),"
      " m AS (SELECT"
      "  count(*) AS n, coalesce(sum(amount_fen), 0)::bigint AS fen,"
      "  count(*) FILTER (WHERE status IN ('planned', 'ready')) AS un,"
      "  coalesce(sum(amount_fen) FILTER (WHERE status IN ('planned',"
      "   'ready')), 0)::bigint AS unf,"
      "  count(*) FILTER (WHERE status IN ('sent', 'accepted')) AS uk,"
      "  coalesce(sum(amount_fen) FILTER (WHERE status IN ('sent',"
      "   'accepted')), 0)::bigint AS ukf,"
      "  count(*) FILTER (WHERE status = 'settled') AS st,"
      "  coalesce(sum(amount_fen) FILTER (WHERE status = 'settled'), 0)"
      "   ::bigint AS stf,"
      "  count(*) FILTER (WHERE status = 'rejected') AS rj,"
      "  coalesce(sum(amount_fen) FILTER (WHERE status = 'rejected'), 0)"
      "   ::bigint AS rjf"
      "  FROM payment WHERE run_id = $1::uuid),"
      " h AS (SELECT count(*) AS n FROM instruction_history h"
      "  JOIN payment p ON p.id = h.payment_id WHERE p.run_id = $1::uuid)"
      " SELECT r.status, y.year,"
      "  coalesce((SELECT sum(payments) FROM run_plan WHERE run_id = r.id),"
      "   0)::bigint AS plan_count,"
      "  coalesce((SELECT sum(total_fen) FROM run_plan"
      "   WHERE run_id = r.id), 0)::bigint AS plan_fen,"
      "  m.n AS payments_count, m.fen AS payments_fen,"
      "  m.un AS unsent_count, m.unf AS unsent_fen,"
      "  m.uk AS unknown_count, m.ukf AS unknown_fen,"
      "  m.st AS settled_count, m.stf AS settled_fen,"
      "  m.rj AS rejected_count, m.rjf AS rejected_fen,"
      "  h.n AS replaced_count, r.total_fen AS run_total_fen,"
      "  coalesce((SELECT allocated_fen FROM budget WHERE fund = 'dibao'"
      "   AND year = y.year), 0) AS dibao_allocated,"
      "  coalesce((SELECT drawn_fen FROM budget WHERE fund = 'dibao'"
      "   AND year = y.year), 0) AS dibao_drawn,"
      "  coalesce((SELECT allocated_fen FROM budget WHERE fund = 'tekun'"
      "   AND year = y.year), 0) AS tekun_allocated,"
      "  coalesce((SELECT drawn_fen FROM budget WHERE fund = 'tekun'"
      "   AND year = y.year), 0) AS tekun_drawn,"
      "  coalesce((SELECT allocated_fen FROM budget"
      "   WHERE fund = 'price_subsidy' AND year = y.year), 0)"
      "   AS price_subsidy_allocated,"
      "  coalesce((SELECT drawn_fen FROM budget"
      "   WHERE fund = 'price_subsidy' AND year = y.year), 0)"
      "   AS price_subsidy_drawn,"
      "  m.uk + m.st + m.rj + h.n AS instructions_sent,"
      "  r.short_count, r.short_fen,"
      "  " RECON_SUBSIDY " AS subsidy_doc"
      " FROM r, y, m, h";

#define RECON_I64(member, name)                                               \
	SN_COL_AS(disbursement_recon, member, name, SN_COL_I64)

static const sn_col recon_cols[] = {
	SN_COL_ENUMOF(
	    disbursement_recon, status, disbursement_run_status_names),
	SN_COL(disbursement_recon, year, SN_COL_I32),
	RECON_I64(in.plan_count, "plan_count"),
	RECON_I64(in.plan_fen, "plan_fen"),
	RECON_I64(in.payments_count, "payments_count"),
	RECON_I64(in.payments_fen, "payments_fen"),
	RECON_I64(in.unsent_count, "unsent_count"),
	RECON_I64(in.unsent_fen, "unsent_fen"),
	RECON_I64(in.unknown_count, "unknown_count"),
	RECON_I64(in.unknown_fen, "unknown_fen"),
	RECON_I64(in.settled_count, "settled_count"),
	RECON_I64(in.settled_fen, "settled_fen"),
	RECON_I64(in.rejected_count, "rejected_count"),
	RECON_I64(in.rejected_fen, "rejected_fen"),
	RECON_I64(in.replaced_count, "replaced_count"),
	RECON_I64(in.run_total_fen, "run_total_fen"),
	RECON_I64(
	    in.allocated_fen[DISBURSEMENT_FUND_DIBAO], "dibao_allocated"),
	RECON_I64(in.drawn_fen[DISBURSEMENT_FUND_DIBAO], "dibao_drawn"),
	RECON_I64(
	    in.allocated_fen[DISBURSEMENT_FUND_TEKUN], "tekun_allocated"),
	RECON_I64(in.drawn_fen[DISBURSEMENT_FUND_TEKUN], "tekun_drawn"),
	RECON_I64(in.allocated_fen[DISBURSEMENT_FUND_PRICE_SUBSIDY],
	    "price_subsidy_allocated"),
	RECON_I64(in.drawn_fen[DISBURSEMENT_FUND_PRICE_SUBSIDY],
	    "price_subsidy_drawn"),
	RECON_I64(instructions_sent, "instructions_sent"),
	RECON_I64(short_count, "short_count"),
	RECON_I64(short_fen, "short_fen"),
	SN_COL_AS(disbursement_recon, subsidy_doc, "subsidy_doc", SN_COL_TEXT),
};

static void
recon_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx          *c = arg;
	disbursement_recon r;
	bool               found = false;
	memset(&r, 0, sizeof(r));
	if (err == SN_OK)
		err = sn_rows_opt(
		    res, recon_cols, SN_NCOLS(recon_cols), &r, &found);
	((disbursement_recon_read_fn) c->fn)(
	    err, err == SN_OK && found ? &r : NULL, c->arg);
	read_end(c);
}

void
disbursement_store_reconciliation(
    sn_db *db, const char *id, disbursement_recon_read_fn fn, void *arg)
{
	const char *v[] = { id };
	read_start(db, SQL_RECON, 1, v, recon_read, (void (*)(void)) fn, arg);
}

/* ---- sending ------------------------------------------------------------ */

/* Two candidate sets, each locked, then at most limit of them, claimed
 * as batch $3 of sender $4; no index names status or checked_at, so
 * both the claim's update and the answer's are made in place (HOT,
 * migration 017). The ready ones by stage, oldest first. The planned ones
 * run by run, only of the runs being sent (while none is, the sender's
 * polls read no payment), each run's of the fund in id order from its
 * claim cursor (payment_run: a fund with none left costs a descent);
 * SQL_CLAIM_CURSOR moves the cursors after. A claim waits on no lock
 * (SKIP LOCKED). $5 (false: the sender found none of this fund's planned
 * payments lately) is tested once: such a claim takes ready payments
 * only. The batch's row names its payments: the look for payments to
 * ask about walks it while any is sent. */
static const char SQL_CLAIM[]
    = "WITH r AS (SELECT id FROM payment WHERE stage = 'ready'"
      "  AND fund = $1 AND (not_before IS NULL OR not_before <= now())"
      "  ORDER BY created_at LIMIT $2::int FOR UPDATE SKIP LOCKED),"
      " cur AS (SELECT k.run_id, k.fund, k.from_id FROM claim_cursor k"
      "  JOIN run ON run.id = k.run_id WHERE k.fund = $1"
      "  AND run.status = 'sending' AND $5::boolean),"
      " p AS (SELECT q.id, k.run_id FROM cur k CROSS JOIN LATERAL"
      "  (SELECT id FROM payment WHERE " FROM_CURSOR
      "   AND status = 'planned'"
      "   ORDER BY run_id, fund, id LIMIT $2::int FOR UPDATE SKIP LOCKED) q"
      "  LIMIT $2::int),"
      " c AS (SELECT id FROM r UNION ALL SELECT id FROM p LIMIT $2::int),"
      " u AS (UPDATE payment SET status = 'sent', batch_id = $3,"
      "  sender = $4, sent_at = now(), checked_at = now()"
      "  FROM c WHERE payment.id = c.id RETURNING payment.*),"
      " b AS (INSERT INTO send_batch (batch_id, sender, sent_at, payments,"
      "  sent_left)"
      "  SELECT $3, $4, now(), array_agg(id ORDER BY id), count(*) FROM u"
      "  HAVING count(*) > 0)"
      " SELECT u.e2e_id, u.amount_fen, u.bank_code,"
      "  coalesce(u.account_number_sealed, u.account_number, '')"
      "  AS account_number, u.account_name, u.period,"
      "  u.run_id::text AS run_id FROM u";

/* After the claim, in its transaction: each cursor of the fund in the
 * runs being sent moves to the run's first planned payment of the fund
 * from it on (one another transaction holds, passed over by the claim,
 * or the next to claim), or to the end when there is none; so every
 * planned payment stays at or after its cursor. A claim of another
 * sender not yet committed leaves its payments planned here: the cursor
 * stays before them, which costs the next claim a read past them only.
 * In the same statement as the claim this read saw each payment's
 * version before the claim's update, 15 us a payment. */
static const char SQL_CLAIM_CURSOR[]
    = "UPDATE claim_cursor k SET from_id = coalesce((SELECT id FROM payment"
      "  WHERE " FROM_CURSOR " AND status = 'planned'"
      "  ORDER BY run_id, fund, id LIMIT 1), " LAST_ID ")"
      " FROM run WHERE run.id = k.run_id AND run.status = 'sending'"
      " AND k.fund = $1 AND $2::boolean";

static const sn_col instruction_cols[] = {
	SN_COL(disbursement_instruction, e2e_id, SN_COL_TEXT),
	SN_COL(disbursement_instruction, amount_fen, SN_COL_I64),
	SN_COL(disbursement_instruction, bank_code, SN_COL_TEXT),
	SN_COL(disbursement_instruction, account_number, SN_COL_TEXT),
	SN_COL(disbursement_instruction, account_name, SN_COL_TEXT),
	SN_COL_OPT(disbursement_instruction, period, SN_COL_TEXT, has_period),
	SN_COL_OPT(disbursement_instruction, run_id, SN_COL_TEXT, has_run_id),
};

static void
instructions_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_instructions_cb *cb = arg;
	void                               *rows;
	char                              **keep = NULL;
	size_t                              n;
	sn_err                              err
	    = read_rows(res, instruction_cols, SN_NCOLS(instruction_cols),
	        sizeof(disbursement_instruction), &rows, &n);
	if (err == SN_OK)
		err = accounts_open(rows, n, sizeof(disbursement_instruction),
		    offsetof(disbursement_instruction, account_number), &keep);
	cb->fn(tx, err, err == SN_OK ? rows : NULL, err == SN_OK ? n : 0,
	    cb->arg);
	keep_free(keep, n);
	free(rows);
}

sn_err
disbursement_store_claim(sn_tx *tx, disbursement_fund fund, int limit,
    bool planned, const char *batch_id, const char *sender,
    const disbursement_instructions_cb *cb)
{
	char        l[24];
	const char *f = disbursement_rules_fund_name(fund);
	if (f == NULL)
		return SN_EINVAL;
	const char *v[]
	    = { f, fmt_i64(l, limit), batch_id, sender, planned ? "t" : "f" };
	sn_err err
	    = sn_tx_query(tx, SQL_CLAIM, 5, v, instructions_done, (void *) cb);
	const char *c[] = { f, planned ? "t" : "f" };
	return err == SN_OK
	    ? sn_tx_query(tx, SQL_CLAIM_CURSOR, 2, c, NULL, NULL)
	    : err;
}

/* Payment p is the one end-to-end id e names: found by the id the
 * end-to-end id carries, and carrying that end-to-end id still (an
 * attempt a correction replaced names none; migration 014). */
#define PAYMENT_OF_E2E(p, e)                                                  \
	p ".id = payment_id_of_e2e(" e ") AND " p ".e2e_id = " e

/* Locked in id order, as every other statement locking payments in bulk
 * does, so that two of them never wait on each other. A payment is found
 * by the id its end-to-end id names, and must carry that end-to-end id
 * still (migration 014). */
static const char SQL_ANSWERED[]
    = "SELECT a.i - 1 AS idx, p.status, p.retries,"
      " coalesce(p.batch_id, '') AS batch_id"
      " FROM unnest($1::text[]) WITH ORDINALITY AS a(e2e, i)"
      " JOIN payment p ON " PAYMENT_OF_E2E(
          "p", "a.e2e") " ORDER BY p.id FOR UPDATE OF p";

static const sn_col answered_cols[] = {
	SN_COL(disbursement_answered, idx, SN_COL_I64),
	SN_COL_ENUMOF(
	    disbursement_answered, status, disbursement_payment_status_names),
	SN_COL(disbursement_answered, retries, SN_COL_I32),
	SN_COL(disbursement_answered, batch_id, SN_COL_TEXT),
};

static void
answered_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_answered_cb *cb = arg;
	void                           *rows;
	size_t                          n;
	sn_err err = read_rows(res, answered_cols, SN_NCOLS(answered_cols),
	    sizeof(disbursement_answered), &rows, &n);
	cb->fn(tx, err, rows, n, cb->arg);
	free(rows);
}

/* Queues sql with the n end-to-end ids e2e as its $1 (text[]) and the
 * nv (at most E2E_MORE) values v as $2 on. */
enum { E2E_MORE = 2 };

static sn_err
query_e2e(sn_tx *tx, const char *sql, const char *const *e2e, size_t n,
    const char *const *v, int nv, sn_query_fn cb, void *arg)
{
	if (nv > E2E_MORE)
		return SN_EINVAL;
	sn_pgarray arr;
	sn_pgarray_init(&arr);
	for (size_t i = 0; i < n; i++)
		sn_pgarray_add(&arr, e2e[i]);
	const char *all[1 + E2E_MORE] = { sn_pgarray_text(&arr) };
	sn_err      err               = SN_ENOMEM;
	if (all[0] != NULL) {
		for (int k = 0; k < nv; k++)
			all[k + 1] = v[k];
		err = sn_tx_query(tx, sql, nv + 1, all, cb, arg);
	}
	sn_pgarray_fini(&arr);
	return err;
}

sn_err
disbursement_store_answered(sn_tx *tx, const char *const *e2e, size_t n,
    const disbursement_answered_cb *cb)
{
	return query_e2e(
	    tx, SQL_ANSWERED, e2e, n, NULL, 0, answered_done, (void *) cb);
}

/* Each batch's count of payments sent less those the answer moves out
 * of sent; a batch left with none has its row deleted (migrations 017
 * and 018). The payments are locked since the answer's first read, so
 * the counts are exact; concurrent answers to one batch wait on its row.
 * The two statements take disjoint rows, each checked again on the
 * row's latest version. */
#define CLOSED_BATCHES                                                        \
	" n AS (SELECT from_batch, count(*) AS k FROM a"                      \
	"  WHERE from_batch <> '' AND st <> 'sent' GROUP BY from_batch),"     \
	" dd AS (DELETE FROM send_batch b USING n"                            \
	"  WHERE b.batch_id = n.from_batch AND b.sent_left <= n.k),"          \
	" du AS (UPDATE send_batch b SET sent_left = b.sent_left - n.k"       \
	"  FROM n WHERE b.batch_id = n.from_batch AND b.sent_left > n.k)"

static const char SQL_APPLY[]
    = "WITH a AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
      "  $4::text[], $5::text[], $6::bool[], $7::bool[], $8::text[],"
      "  $9::bool[], $10::bigint[], $11::text[])"
      "  AS a(e2e, st, code, reason, settled_at, fin, again, reason_en,"
      "  retry, delay_ms, from_batch)),"
      " u AS ("
      " UPDATE payment p SET status = a.st,"
      "  reason_code = nullif(a.code, ''), reason = nullif(a.reason, ''),"
      "  reason_en = nullif(a.reason_en, ''),"
      "  settled_at = nullif(a.settled_at, ''),"
      "  batch_id = CASE WHEN a.again THEN NULL ELSE p.batch_id END,"
      "  sender = CASE WHEN a.again THEN NULL ELSE p.sender END,"
      "  retries = p.retries + CASE WHEN a.retry THEN 1 ELSE 0 END,"
      "  not_before = CASE WHEN a.retry"
      "   THEN now() + a.delay_ms * interval '1 millisecond' END,"
      "  checked_at = now(),"
      "  finished_at = CASE WHEN a.fin THEN now() END"
      " FROM a WHERE " PAYMENT_OF_E2E("p",
          "a.e2e") " RETURNING p.*)," CLOSED_BATCHES
                   " SELECT " PAYMENT_COLS("u", BENEFICIARY_OF("u")) " FROM u";

#define NAPPLY 11

sn_err
disbursement_store_apply(sn_tx *tx, const disbursement_answer *a, size_t n,
    const disbursement_payments_cb *cb)
{
	sn_pgarray arr[NAPPLY];
	for (int k = 0; k < NAPPLY; k++)
		sn_pgarray_init(&arr[k]);
	for (size_t i = 0; i < n; i++) {
		const char *st
		    = disbursement_rules_payment_status_name(a[i].to);
		char delay[24];
		sn_pgarray_add(&arr[0], a[i].e2e_id);
		sn_pgarray_add(&arr[1], st != NULL ? st : "");
		sn_pgarray_add(&arr[2], a[i].reason_code);
		sn_pgarray_add(&arr[3], a[i].reason);
		sn_pgarray_add(&arr[4], a[i].settled_at);
		sn_pgarray_add(&arr[5],
		    disbursement_rules_payment_final(a[i].to) ? "t" : "f");
		sn_pgarray_add(&arr[6],
		    a[i].to == DISBURSEMENT_PAYMENT_READY ? "t" : "f");
		sn_pgarray_add(
		    &arr[7], a[i].reason_en != NULL ? a[i].reason_en : "");
		sn_pgarray_add(&arr[8], a[i].retry ? "t" : "f");
		snprintf(delay, sizeof(delay), "%llu",
		    (unsigned long long) (a[i].delay_ms > INT64_MAX
		            ? INT64_MAX
		            : a[i].delay_ms));
		sn_pgarray_add(&arr[9], delay);
		sn_pgarray_add(
		    &arr[10], a[i].from_batch != NULL ? a[i].from_batch : "");
	}
	const char *v[NAPPLY];
	sn_err      err = SN_OK;
	for (int k = 0; k < NAPPLY && err == SN_OK; k++)
		if ((v[k] = sn_pgarray_text(&arr[k])) == NULL)
			err = SN_ENOMEM;
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_APPLY, NAPPLY, v, payments_done, (void *) cb);
	for (int k = 0; k < NAPPLY; k++)
		sn_pgarray_fini(&arr[k]);
	return err;
}

/* A batch undone: its payments, named by their end-to-end ids ($1) as
 * claimed under batch $2, that are still "sent" under it (migration 015:
 * no index of the batch's own). */
#define BATCH_SENT                                                            \
	" FROM unnest($1::text[]) AS b(e2e)"                                  \
	" WHERE " PAYMENT_OF_E2E(                                             \
	    "p", "b.e2e") "  AND p.batch_id = $2 AND p.status = 'sent'"

/* Every payment of the batch is named: none of it is sent after, and
 * its row goes. */
static const char SQL_UNCLAIM[]
    = "WITH u AS (UPDATE payment p SET status = 'ready', batch_id = NULL,"
      " sender = NULL,"
      " not_before = now() + $3::bigint * interval '1 millisecond'" BATCH_SENT
      ")"
      " DELETE FROM send_batch WHERE batch_id = $2";

/* Its sender gone, the batch's payments are asked about at once. */
static const char SQL_ORPHAN[]
    = "WITH u AS (UPDATE payment p SET sender = NULL,"
      " checked_at = NULL" BATCH_SENT ")"
      " UPDATE send_batch SET sender = NULL WHERE batch_id = $2";

sn_err
disbursement_store_unclaim(sn_tx *tx, const char *batch_id,
    const char *const *e2e, size_t n, uint64_t delay_ms)
{
	char        d[24];
	const char *v[] = { batch_id,
		fmt_i64(d,
		    delay_ms > INT64_MAX ? INT64_MAX : (int64_t) delay_ms) };
	return query_e2e(tx, SQL_UNCLAIM, e2e, n, v, 2, NULL, NULL);
}

sn_err
disbursement_store_orphan(
    sn_tx *tx, const char *batch_id, const char *const *e2e, size_t n)
{
	const char *v[] = { batch_id };
	return query_e2e(tx, SQL_ORPHAN, e2e, n, v, 1, NULL, NULL);
}

/* Payments to ask the bank about: accepted ones (by stage), and sent
 * ones of batches another sender sent (or none: orphaned) or sent long
 * ago, each not asked about for $3 ms (migration 017: a batch's sender
 * and time are its payments'; the batches of this sender in flight are
 * passed over without reading a payment). */
static const char SQL_TO_QUERY[]
    = "SELECT e2e_id AS value FROM ("
      " SELECT p.e2e_id, p.checked_at FROM send_batch b"
      "  CROSS JOIN LATERAL" SENT_OF_BATCH
      "  WHERE (b.sender IS DISTINCT FROM $1"
      "   OR b.sent_at < now() - $4::int * interval '1 millisecond')"
      " UNION ALL"
      " SELECT p.e2e_id, p.checked_at FROM payment p"
      "  WHERE p.stage = 'accepted') q"
      " WHERE checked_at IS NULL"
      "  OR checked_at < now() - $3::int * interval '1 millisecond'"
      " ORDER BY checked_at NULLS FIRST LIMIT $2::int";

/* A list of strings: a statement answering one text column "value". */
typedef struct id_row {
	const char *value;
} id_row;

static const sn_col id_cols[] = {
	SN_COL(id_row, value, SN_COL_TEXT),
};

static void
ids_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx    *c    = arg;
	void        *rows = NULL;
	const char **ids  = NULL;
	size_t       n    = 0;
	if (err == SN_OK)
		err = read_rows(res, id_cols, SN_NCOLS(id_cols),
		    sizeof(id_row), &rows, &n);
	if (err == SN_OK && n > 0 && (ids = calloc(n, sizeof(*ids))) == NULL)
		err = SN_ENOMEM;
	for (size_t i = 0; err == SN_OK && i < n; i++)
		ids[i] = ((const id_row *) rows)[i].value;
	((disbursement_ids_read_fn) c->fn)(
	    err, err == SN_OK ? ids : NULL, err == SN_OK ? n : 0, c->arg);
	free(ids);
	free(rows);
	read_end(c);
}

void
disbursement_store_to_query(sn_db *db, const char *sender, int limit,
    uint32_t min_age_ms, uint32_t stale_ms, disbursement_ids_read_fn fn,
    void *arg)
{
	char        l[24], a[24], st[24];
	const char *v[] = { sender, fmt_i64(l, limit), fmt_i64(a, min_age_ms),
		fmt_i64(st, stale_ms) };
	read_start(db, SQL_TO_QUERY, 4, v, ids_read, (void (*)(void)) fn, arg);
}

/* From the run's plan (a few rows per fund and township, written when
 * the build ends from the payments it made), not from its payments. */
static const char SQL_RUN_FUNDS[]
    = "SELECT DISTINCT fund AS value FROM run_plan WHERE run_id = $1::uuid"
      " ORDER BY 1";

void
disbursement_store_run_funds(
    sn_db *db, const char *id, disbursement_ids_read_fn fn, void *arg)
{
	const char *v[] = { id };
	read_start(
	    db, SQL_RUN_FUNDS, 1, v, ids_read, (void (*)(void)) fn, arg);
}

/* ---- corrections and payments ------------------------------------------- */

static const char SQL_PAYMENT_LOCK[] = "SELECT " PAYMENT_COLS(
    "p", "NULL::text") " FROM payment p WHERE p.id = $1::uuid FOR UPDATE";

/* The instruction replaced goes to the history; the payee's account
 * changes with the payment's. */
static const char SQL_CORRECT[]
    = "WITH old AS (SELECT * FROM payment WHERE id = $1::uuid"
      "  AND status = $7),"
      " h AS ("
      " INSERT INTO instruction_history (e2e_id, payment_id, amount_fen,"
      "  status, reason_code, account_number, account_number_sealed,"
      "  replaced_by, actor)"
      " SELECT e2e_id, id, amount_fen, status, reason_code, account_number,"
      "  account_number_sealed,"
      "  e2e_of(id, $6::int), $5 FROM old),"
      " u AS ("
      " UPDATE payment p SET attempt = $6::int,"
      "  e2e_id = e2e_of(p.id, $6::int), status = $8,"
      "  bank_code = $2, account_number = NULL,"
      "  account_number_sealed = $3, account_number_index = $9,"
      "  account_name = $4,"
      "  reason_code = NULL, reason = NULL, settled_at = NULL,"
      "  batch_id = NULL, sender = NULL, sent_at = NULL, checked_at = NULL,"
      "  finished_at = NULL"
      " FROM old WHERE p.id = old.id"
      " RETURNING p.*),"
      " pe AS ("
      " UPDATE payee SET bank_code = $2, account_number = NULL,"
      "  account_number_sealed = $3, account_number_index = $9,"
      "  account_name = $4, updated_at = now(),"
      "  superseded_account_index = CASE"
      "   WHEN payee.account_number_index <> $9"
      "   THEN payee.account_number_index"
      "   ELSE payee.superseded_account_index END"
      " FROM u WHERE payee.id = u.payee_id RETURNING payee.beneficiary_id)"
      " SELECT " PAYMENT_COLS(
          "u", "(SELECT beneficiary_id FROM pe)") ","
                                                  "  " PAYMENT_JSON(
                                                      "u") "::text AS doc"
                                                           " FROM u";

/* Issue 10: the payee's other payments follow a confirmed account:
 * its other held (rejected) ones go out again under their next
 * end-to-end id, and its planned or ready ones (never at the bank yet)
 * take the account in place. $5 from, $6 to (the rules' statuses), $7
 * the most attempts. */
static const char SQL_CORRECT_HELD[]
    = "WITH tgt AS (SELECT payee_id FROM payment WHERE id = $1::uuid"
      "  AND payee_id IS NOT NULL),"
      " old AS (SELECT p.* FROM payment p JOIN tgt"
      "  ON p.payee_id = tgt.payee_id WHERE p.id <> $1::uuid"
      "  AND p.status = $5 AND p.attempt < $7::int FOR UPDATE OF p),"
      " h AS ("
      " INSERT INTO instruction_history (e2e_id, payment_id, amount_fen,"
      "  status, reason_code, account_number, account_number_sealed,"
      "  replaced_by, actor)"
      " SELECT e2e_id, id, amount_fen, status, reason_code, account_number,"
      "  account_number_sealed,"
      "  e2e_of(id, attempt + 1), $8 FROM old),"
      " q AS (UPDATE payment p SET bank_code = $2, account_number = NULL,"
      "  account_number_sealed = $3, account_number_index = $9,"
      "  account_name = $4 FROM tgt WHERE p.payee_id = tgt.payee_id"
      "  AND p.id <> $1::uuid AND p.status IN ('planned', 'ready')),"
      " u AS ("
      " UPDATE payment p SET attempt = old.attempt + 1,"
      "  e2e_id = e2e_of(p.id, old.attempt + 1), status = $6,"
      "  bank_code = $2, account_number = NULL,"
      "  account_number_sealed = $3, account_number_index = $9,"
      "  account_name = $4,"
      "  reason_code = NULL, reason = NULL, settled_at = NULL,"
      "  batch_id = NULL, sender = NULL, sent_at = NULL, checked_at = NULL,"
      "  finished_at = NULL"
      " FROM old WHERE p.id = old.id"
      " RETURNING p.*)"
      " SELECT " PAYMENT_COLS("u", BENEFICIARY_OF("u")) " FROM u";

sn_err
disbursement_store_correct_held(sn_tx *tx, const char *id,
    const disbursement_correction *c, const disbursement_account_in *acct,
    const char *actor, const disbursement_payments_cb *cb)
{
	char        most[24];
	const char *from = disbursement_rules_payment_status_name(c->from);
	const char *to   = disbursement_rules_payment_status_name(c->to);
	if (from == NULL || to == NULL)
		return SN_EINVAL;
	char       *sealed = NULL, idx[SN_SEAL_INDEX_HEX + 1];
	sn_err      err    = account_seal(acct->account_number, &sealed, idx);
	const char *v[]    = { id, acct->bank_code, sealed, acct->account_name,
		   from, to, fmt_i64(most, DISBURSEMENT_ATTEMPT_MAX), actor,
                idx[0] != '\0' ? idx : NULL };
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_CORRECT_HELD, 9, v, payments_done, (void *) cb);
	free(sealed);
	return err;
}

static const char SQL_PAYMENT_DOC[] = "SELECT " PAYMENT_COLS(
    "p", "NULL::text") ","
                       " " PAYMENT_JSON(
                           "p") "::text AS doc"
                                " FROM payment p WHERE p.id = $1::uuid";

sn_err
disbursement_store_payment_lock(
    sn_tx *tx, const char *id, const disbursement_payment_cb *cb)
{
	const char *v[] = { id };
	return sn_tx_query(
	    tx, SQL_PAYMENT_LOCK, 1, v, payment_done, (void *) cb);
}

sn_err
disbursement_store_correct(sn_tx *tx, const char *id,
    const disbursement_correction *c, const disbursement_account_in *acct,
    const char *actor, const disbursement_payment_cb *cb)
{
	char        attempt[24];
	const char *from = disbursement_rules_payment_status_name(c->from);
	const char *to   = disbursement_rules_payment_status_name(c->to);
	if (from == NULL || to == NULL)
		return SN_EINVAL;
	char       *sealed = NULL, idx[SN_SEAL_INDEX_HEX + 1];
	sn_err      err    = account_seal(acct->account_number, &sealed, idx);
	const char *v[]    = { id, acct->bank_code, sealed, acct->account_name,
		   actor, fmt_i64(attempt, c->attempt), from, to,
                idx[0] != '\0' ? idx : NULL };
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_CORRECT, 9, v, payment_doc_done, (void *) cb);
	free(sealed);
	return err;
}

static void
payment_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx            *c = arg;
	disbursement_payment p;
	char                *acct = NULL, *doc = NULL;
	bool                 found = false;
	if (err == SN_OK)
		err = sn_rows_opt(res, payment_doc_cols,
		    SN_NCOLS(payment_doc_cols), &p, &found);
	if (err == SN_OK && found)
		err = payment_open(&p, &acct, &doc);
	((disbursement_payment_read_fn) c->fn)(
	    err, err == SN_OK && found ? &p : NULL, c->arg);
	free(acct);
	free(doc);
	read_end(c);
}

void
disbursement_store_payment_doc(
    sn_db *db, const char *id, disbursement_payment_read_fn fn, void *arg)
{
	const char *v[] = { id };
	read_start(
	    db, SQL_PAYMENT_DOC, 1, v, payment_read, (void (*)(void)) fn, arg);
}

/* ---- account changes (maker-checker, issue 10) -------------------------- */

static const char SQL_CHANGE_TARGET[]
    = "SELECT p.id AS payment_id, p.status, p.township_code, p.grant_id,"
      " p.attempt,"
      " coalesce((SELECT to_json(pe.member_names) FROM payee pe"
      "  WHERE pe.id = p.payee_id), '[]'::json)::text AS members,"
      " (SELECT pe.application_id FROM payee pe WHERE pe.id = p.payee_id)"
      "  AS application_id,"
      " (SELECT pe.beneficiary_id FROM payee pe WHERE pe.id = p.payee_id)"
      "  AS beneficiary_id,"
      " a.id AS proposal_id, a.bank_code,"
      " coalesce(a.account_number_sealed, a.account_number)"
      "  AS account_number,"
      " a.account_name, a.requested_by"
      " FROM payment p LEFT JOIN account_proposal a"
      "  ON a.payment_id = p.id AND a.status = 'pending'"
      " WHERE p.id = $1::uuid FOR UPDATE OF p";

static const sn_col change_cols[] = {
	SN_COL(disbursement_change, payment_id, SN_COL_TEXT),
	SN_COL_ENUMOF(
	    disbursement_change, status, disbursement_payment_status_names),
	SN_COL(disbursement_change, township_code, SN_COL_TEXT),
	SN_COL_OPT(disbursement_change, grant_id, SN_COL_TEXT, has_grant_id),
	SN_COL(disbursement_change, attempt, SN_COL_I32),
	SN_COL(disbursement_change, members, SN_COL_TEXT),
	SN_COL_OPT(disbursement_change, application_id, SN_COL_TEXT,
	    has_application_id),
	SN_COL_OPT(disbursement_change, beneficiary_id, SN_COL_TEXT,
	    has_beneficiary_id),
	SN_COL_OPT(disbursement_change, proposal_id, SN_COL_I64, has_pending),
	SN_COL_OPT(disbursement_change, bank_code, SN_COL_TEXT, has_bank_code),
	SN_COL_OPT(disbursement_change, account_number, SN_COL_TEXT,
	    has_account_number),
	SN_COL_OPT(
	    disbursement_change, account_name, SN_COL_TEXT, has_account_name),
	SN_COL_OPT(
	    disbursement_change, requested_by, SN_COL_TEXT, has_requested_by),
};

static void
change_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_change_cb *cb = arg;
	disbursement_change           c;
	char                         *acct = NULL;
	bool                          found;
	sn_err                        err
	    = sn_rows_opt(res, change_cols, SN_NCOLS(change_cols), &c, &found);
	if (err == SN_OK && found && c.has_account_number
	    && (err = account_open(c.account_number, &acct)) == SN_OK)
		c.account_number = acct;
	cb->fn(tx, err, err == SN_OK && found ? &c : NULL, cb->arg);
	free(acct);
}

sn_err
disbursement_store_change_target(
    sn_tx *tx, const char *id, const disbursement_change_cb *cb)
{
	const char *v[] = { id };
	return sn_tx_query(
	    tx, SQL_CHANGE_TARGET, 1, v, change_done, (void *) cb);
}

static const char SQL_PROPOSAL_REPLACE[]
    = "UPDATE account_proposal SET status = 'replaced', decided_by = $2,"
      " decided_at = now()"
      " WHERE payment_id = $1::uuid AND status = 'pending'";

static const char SQL_PROPOSE[]
    = "INSERT INTO account_proposal AS a (payment_id, bank_code,"
      " account_number_sealed, account_name, status, requested_by,"
      " account_number_index)"
      " VALUES ($1::uuid, $2, $3, $4, 'pending', $5, nullif($6, ''))"
      " RETURNING " PROPOSAL_JSON("a") "::text AS doc";

static const char SQL_PROPOSAL_DECIDE[]
    = "UPDATE account_proposal AS a SET status = $2, decided_by = $3,"
      " decided_at = now(), reason = $4"
      " WHERE a.id = $1::bigint AND a.status = 'pending'"
      " RETURNING " PROPOSAL_JSON("a") "::text AS doc";

static void
tx_doc_done(sn_tx *tx, PGresult *res, void *arg)
{
	const disbursement_doc_cb *cb = arg;
	doc_row                    d;
	char                      *doc = NULL;
	bool                       found;
	sn_err                     err
	    = sn_rows_opt(res, doc_cols, SN_NCOLS(doc_cols), &d, &found);
	if (err == SN_OK && found)
		err = doc_open(d.doc, &doc);
	cb->fn(tx, err, err == SN_OK && found ? doc : NULL, cb->arg);
	free(doc);
}

sn_err
disbursement_store_propose(sn_tx *tx, const char *payment_id,
    const disbursement_account_in *acct, const char *actor,
    const disbursement_doc_cb *cb)
{
	const char *r[]    = { payment_id, actor };
	char       *sealed = NULL, idx[SN_SEAL_INDEX_HEX + 1];
	sn_err      err    = account_seal(acct->account_number, &sealed, idx);
	const char *v[]    = { payment_id, acct->bank_code, sealed,
		   acct->account_name, actor, idx };
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_PROPOSAL_REPLACE, 2, r, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(
		    tx, SQL_PROPOSE, 6, v, tx_doc_done, (void *) cb);
	free(sealed);
	return err;
}

sn_err
disbursement_store_proposal_decide(sn_tx *tx, int64_t proposal_id,
    bool confirmed, const char *actor, const char *reason,
    const disbursement_doc_cb *cb)
{
	char        id[24];
	const char *v[] = { fmt_i64(id, proposal_id),
		confirmed ? "confirmed" : "rejected", actor, reason };
	return sn_tx_query(tx, SQL_PROPOSAL_DECIDE, 4, v,
	    cb != NULL ? tx_doc_done : NULL, (void *) cb);
}

/* ---- paged lists (sn/page.h, issue 10) ---------------------------------- */

/* A page of rows r(k, j) (at most $N + 1 of them, the limit being
 * parameter lim) as {items, more, last}. */
#define PAGE_OF(rows, lim)                                                    \
	"WITH r AS (" rows "), pg AS (SELECT * FROM r ORDER BY k LIMIT " lim  \
	"::int)"                                                              \
	" SELECT coalesce((SELECT json_agg(j ORDER BY k) FROM pg),"           \
	" '[]'::json)::text AS items,"                                        \
	" (SELECT count(*) FROM r) > " lim "::int AS more,"                   \
	" coalesce((SELECT max(k) FROM pg), 0)::bigint AS last"

/* A page of one status's payments: the few of a staged status by stage
 * (payment_stage_seq), the others walking payment_list_seq (migrations
 * 010 and 017). */
#define PAYMENTS_PAGE(col)                                                    \
	PAGE_OF("SELECT p.list_seq AS k, " PAYMENT_JSON(                      \
	            "p") " AS j"                                              \
	                 " FROM payment p WHERE p." col " = $1"               \
	                 " AND p.township_code LIKE $2 || '%'"                \
	                 " AND p.list_seq > $3::bigint ORDER BY p.list_seq"   \
	                 " LIMIT $4::int + 1",                                \
	    "$4")

static const char SQL_PAYMENTS_PAGE[]        = PAYMENTS_PAGE("status");
static const char SQL_STAGED_PAYMENTS_PAGE[] = PAYMENTS_PAGE("stage");

static const char SQL_RUNS_PAGE[] = PAGE_OF(
    "SELECT r.list_seq AS k, " RUN_JSON " AS j FROM run r"
    " WHERE r.list_seq > $1::bigint ORDER BY r.list_seq LIMIT $2::int + 1",
    "$2");

static const char SQL_BUDGETS_PAGE[] = PAGE_OF(
    "SELECT b.list_seq AS k, json_build_object('fund', b.fund, 'year',"
    " b.year, 'allocated_fen', b.allocated_fen, 'drawn_fen', b.drawn_fen,"
    " 'left_fen', b.allocated_fen - b.drawn_fen, 'updated_at',"
    " ts_json(b.updated_at)) AS j FROM budget b"
    " WHERE b.list_seq > $1::bigint ORDER BY b.list_seq LIMIT $2::int + 1",
    "$2");

static const sn_col page_cols[] = {
	SN_COL(disbursement_page, items, SN_COL_TEXT),
	SN_COL(disbursement_page, more, SN_COL_BOOL),
	SN_COL(disbursement_page, last, SN_COL_I64),
};

static void
page_read(sn_err err, PGresult *res, void *arg)
{
	read_ctx         *c = arg;
	disbursement_page pg;
	char             *items = NULL;
	if (err == SN_OK)
		err = sn_rows_one(res, page_cols, SN_NCOLS(page_cols), &pg);
	if (err == SN_OK && (err = doc_open(pg.items, &items)) == SN_OK)
		pg.items = items;
	((disbursement_page_read_fn) c->fn)(
	    err, err == SN_OK ? &pg : NULL, c->arg);
	free(items);
	read_end(c);
}

void
disbursement_store_payments(sn_db *db, disbursement_payment_status status,
    const char *prefix, const sn_page *page, disbursement_page_read_fn fn,
    void *arg)
{
	char        a[24], l[24];
	const char *s   = disbursement_rules_payment_status_name(status);
	const char *v[] = { s != NULL ? s : "", prefix,
		fmt_i64(a, page->after), fmt_i64(l, page->limit) };
	read_start(db,
	    disbursement_rules_payment_staged(status)
	        ? SQL_STAGED_PAYMENTS_PAGE
	        : SQL_PAYMENTS_PAGE,
	    4, v, page_read, (void (*)(void)) fn, arg);
}

void
disbursement_store_runs(
    sn_db *db, const sn_page *page, disbursement_page_read_fn fn, void *arg)
{
	char        a[24], l[24];
	const char *v[] = { fmt_i64(a, page->after), fmt_i64(l, page->limit) };
	read_start(
	    db, SQL_RUNS_PAGE, 2, v, page_read, (void (*)(void)) fn, arg);
}

void
disbursement_store_budgets(
    sn_db *db, const sn_page *page, disbursement_page_read_fn fn, void *arg)
{
	char        a[24], l[24];
	const char *v[] = { fmt_i64(a, page->after), fmt_i64(l, page->limit) };
	read_start(
	    db, SQL_BUDGETS_PAGE, 2, v, page_read, (void (*)(void)) fn, arg);
}
