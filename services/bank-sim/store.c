/*
 * bank-sim/store.c - see store.h.
 *
 * A batch is one INSERT ... SELECT FROM unnest(arrays) rather than one
 * statement per instruction: the simulator must keep up with a run of a
 * million payments. Rows are inserted in end-to-end id order, so two
 * transactions racing over the same ids wait for each other instead of
 * deadlocking.
 */
#include "store.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- array literals ----------------------------------------------------- */

typedef struct lit {
	char  *p;
	size_t len, cap;
	bool   oom;
	bool   any; /* an element was written */
} lit;

static void
lit_put(lit *l, const char *s, size_t n)
{
	if (l->oom)
		return;
	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 256;
		while (cap < l->len + n + 1)
			cap *= 2;
		char *p = realloc(l->p, cap);
		if (p == NULL) {
			l->oom = true;
			return;
		}
		l->p   = p;
		l->cap = cap;
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
	l->p[l->len] = '\0';
}

static void
lit_open(lit *l)
{
	memset(l, 0, sizeof(*l));
	lit_put(l, "{", 1);
}

static void
lit_sep(lit *l)
{
	if (l->any)
		lit_put(l, ",", 1);
	l->any = true;
}

/* A text element, quoted; NULL is SQL NULL. */
static void
lit_text(lit *l, const char *s)
{
	lit_sep(l);
	if (s == NULL) {
		lit_put(l, "NULL", 4);
		return;
	}
	lit_put(l, "\"", 1);
	const char *run = s;
	for (const char *c = s; *c; c++) {
		if (*c == '"' || *c == '\\') {
			lit_put(l, run, (size_t) (c - run));
			lit_put(l, "\\", 1);
			run = c;
		}
	}
	lit_put(l, run, strlen(run));
	lit_put(l, "\"", 1);
}

static void
lit_i64(lit *l, int64_t v)
{
	char b[32];
	int  n = snprintf(b, sizeof(b), "%" PRId64, v);
	lit_sep(l);
	lit_put(l, b, (size_t) n);
}

/* Closes the literal; NULL (and frees) on out of memory. */
static char *
lit_close(lit *l)
{
	lit_put(l, "}", 1);
	if (l->oom) {
		free(l->p);
		return NULL;
	}
	return l->p;
}

static char *
ids_literal(const char *const *ids, size_t n)
{
	lit l;
	lit_open(&l);
	for (size_t i = 0; i < n; i++)
		lit_text(&l, ids[i]);
	return lit_close(&l);
}

/* ---- batches ------------------------------------------------------------ */

sn_err
bank_sim_store_claim_batch(sn_tx *tx, const char *batch_id,
    const char *debtor_account, int64_t count, int64_t control_sum_fen,
    sn_query_fn cb, void *arg)
{
	char c[24], s[24];
	snprintf(c, sizeof(c), "%" PRId64, count);
	snprintf(s, sizeof(s), "%" PRId64, control_sum_fen);
	const char *v[] = { batch_id, debtor_account, c, s };
	return sn_tx_query(tx,
	    "INSERT INTO batches (batch_id, debtor_account, count,"
	    " control_sum_fen) VALUES ($1, $2, $3, $4)"
	    " ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id",
	    4, v, cb, arg);
}

sn_err
bank_sim_store_batch(
    sn_tx *tx, const char *batch_id, sn_query_fn cb, void *arg)
{
	const char *v[] = { batch_id };
	return sn_tx_query(tx,
	    "SELECT count, control_sum_fen FROM batches WHERE batch_id = $1",
	    1, v, cb, arg);
}

sn_err
bank_sim_store_instructions(sn_tx *tx, const char *batch_id,
    const bank_sim_instr *ins, const bank_sim_decision *dec, size_t n,
    uint32_t settle_ms, sn_query_fn cb, void *arg)
{
	enum { E2E, AMT, BANK, ACCT, NAME, REMIT, STATUS, CODE, WHY, NCOL };
	lit   l[NCOL];
	char *v[NCOL + 2] = { NULL };
	for (int k = 0; k < NCOL; k++)
		lit_open(&l[k]);
	for (size_t i = 0; i < n; i++) {
		bool rej = dec[i].status == BANK_SIM_REJECTED;
		lit_text(&l[E2E], ins[i].end_to_end_id);
		lit_i64(&l[AMT], ins[i].amount_fen);
		lit_text(&l[BANK], ins[i].bank_code);
		lit_text(&l[ACCT], ins[i].account_number);
		lit_text(&l[NAME], ins[i].account_name);
		lit_text(&l[REMIT], ins[i].remittance_info);
		lit_text(&l[STATUS], bank_sim_status_name(dec[i].status));
		lit_text(&l[CODE], rej ? dec[i].reason_code : NULL);
		lit_text(&l[WHY], rej ? dec[i].reason : NULL);
	}
	bool oom = false;
	for (int k = 0; k < NCOL; k++)
		if ((v[k + 1] = lit_close(&l[k])) == NULL)
			oom = true;
	sn_err err = SN_ENOMEM;
	char   ms[16];
	snprintf(ms, sizeof(ms), "%" PRIu32, settle_ms);
	v[0]        = (char *) batch_id;
	v[NCOL + 1] = ms;
	if (!oom)
		err = sn_tx_query(tx,
		    "WITH r AS (SELECT * FROM unnest($2::text[],"
		    " $3::bigint[], $4::text[], $5::text[], $6::text[],"
		    " $7::text[], $8::text[], $9::text[], $10::text[])"
		    " WITH ORDINALITY AS r(e2e, amount, bank_code, account,"
		    " name, remit, status, reason_code, reason, pos)),"
		    " firsts AS (SELECT DISTINCT ON (e2e) * FROM r"
		    " ORDER BY e2e, pos),"
		    " ins AS (INSERT INTO instructions (end_to_end_id,"
		    " batch_id, position, amount_fen, bank_code,"
		    " account_number, account_name, remittance_info, status,"
		    " reason_code, reason, settle_due_at, settled_at)"
		    " SELECT e2e, $1, pos::integer, amount, bank_code,"
		    " account, name, remit, status, reason_code, reason,"
		    " CASE WHEN status = 'accepted' THEN now() +"
		    " $11::bigint * interval '1 millisecond' END,"
		    " CASE WHEN status = 'settled' THEN now() END"
		    " FROM firsts ORDER BY e2e"
		    " ON CONFLICT (end_to_end_id) DO NOTHING RETURNING 1)"
		    " SELECT count(*) FROM ins",
		    NCOL + 2, (const char *const *) v, cb, arg);
	for (int k = 0; k < NCOL; k++)
		free(v[k + 1]);
	return err;
}

#define STATUSES_SQL                                                          \
	"SELECT i.status, i.reason_code, i.reason,"                           \
	" to_char(i.settled_at AT TIME ZONE 'UTC',"                           \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"                               \
	" FROM unnest($1::text[]) WITH ORDINALITY AS r(id, pos)"              \
	" LEFT JOIN instructions i ON i.end_to_end_id = r.id"                 \
	" ORDER BY r.pos"

sn_err
bank_sim_store_statuses_tx(
    sn_tx *tx, const char *const *ids, size_t n, sn_query_fn cb, void *arg)
{
	char *a = ids_literal(ids, n);
	if (a == NULL)
		return SN_ENOMEM;
	const char *v[] = { a };
	sn_err      err = sn_tx_query(tx, STATUSES_SQL, 1, v, cb, arg);
	free(a);
	return err;
}

sn_err
bank_sim_store_statuses(sn_db *db, const char *const *ids, size_t n,
    sn_db_query_fn done, void *arg)
{
	char *a = ids_literal(ids, n);
	if (a == NULL)
		return SN_ENOMEM;
	const char *v[] = { a };
	sn_db_query(db, STATUSES_SQL, 1, v, done, arg);
	free(a);
	return SN_OK;
}

sn_err
bank_sim_store_count(sn_tx *tx, const char *name, int64_t n)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRId64, n);
	const char *v[] = { name, b };
	return sn_tx_query(tx,
	    "UPDATE counters SET value = value + $2 WHERE name = $1", 2, v,
	    NULL, NULL);
}

/* ---- the timer and the reads -------------------------------------------- */

void
bank_sim_store_settle_due(sn_db *db, sn_db_query_fn done, void *arg)
{
	sn_db_query(db,
	    "WITH u AS (UPDATE instructions SET status = 'settled',"
	    " settled_at = now() WHERE status = 'accepted'"
	    " AND settle_due_at <= now() RETURNING 1)"
	    " SELECT count(*) FROM u",
	    0, NULL, done, arg);
}

void
bank_sim_store_credits(sn_db *db, const char *account_number, int limit,
    sn_db_query_fn done, void *arg)
{
	char l[16];
	snprintf(l, sizeof(l), "%d", limit);
	const char *v[] = { account_number, l };
	sn_db_query(db,
	    "WITH c AS (SELECT end_to_end_id, amount_fen, account_name,"
	    " remittance_info, batch_id,"
	    " to_char(received_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS received_at,"
	    " to_char(settled_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS settled_at,"
	    " settled_at AS t FROM instructions"
	    " WHERE account_number = $1 AND status = 'settled'),"
	    " page AS (SELECT * FROM c ORDER BY t, end_to_end_id"
	    " LIMIT $2::integer)"
	    " SELECT json_build_object('account_number', $1::text,"
	    " 'count', (SELECT count(*) FROM c),"
	    " 'total_fen', (SELECT coalesce(sum(amount_fen), 0) FROM c),"
	    " 'credits', (SELECT coalesce(json_agg(json_build_object("
	    "'end_to_end_id', end_to_end_id, 'amount_fen', amount_fen,"
	    " 'account_name', account_name, 'remittance_info',"
	    " remittance_info, 'batch_id', batch_id, 'received_at',"
	    " received_at, 'settled_at', settled_at)"
	    " ORDER BY t, end_to_end_id), '[]'::json) FROM page),"
	    " 'truncated', (SELECT count(*) FROM c) > $2::integer)::text",
	    2, v, done, arg);
}

void
bank_sim_store_stats(sn_db *db, sn_db_query_fn done, void *arg)
{
	sn_db_query(db,
	    "WITH s AS (SELECT count(*) AS n,"
	    " count(*) FILTER (WHERE status = 'accepted') AS accepted,"
	    " count(*) FILTER (WHERE status = 'settled') AS settled,"
	    " count(*) FILTER (WHERE status = 'rejected') AS rejected,"
	    " coalesce(sum(amount_fen) FILTER (WHERE status = 'accepted'),"
	    " 0) AS accepted_fen,"
	    " coalesce(sum(amount_fen) FILTER (WHERE status = 'settled'),"
	    " 0) AS settled_fen,"
	    " coalesce(sum(amount_fen) FILTER (WHERE status = 'rejected'),"
	    " 0) AS rejected_fen FROM instructions)"
	    " SELECT json_build_object('instructions', s.n,"
	    " 'by_status', json_build_object('accepted', s.accepted,"
	    " 'settled', s.settled, 'rejected', s.rejected),"
	    " 'accepted_fen', s.accepted_fen, 'settled_fen', s.settled_fen,"
	    " 'rejected_fen', s.rejected_fen,"
	    " 'rejected_by_reason', (SELECT coalesce(json_object_agg("
	    "reason_code, k), '{}'::json) FROM (SELECT reason_code,"
	    " count(*) AS k FROM instructions WHERE status = 'rejected'"
	    " GROUP BY reason_code) r),"
	    " 'batches', (SELECT count(*) FROM batches),"
	    " 'duplicate_instructions', (SELECT value FROM counters"
	    " WHERE name = 'duplicate_instructions'),"
	    " 'repeated_batches', (SELECT value FROM counters"
	    " WHERE name = 'repeated_batches'))::text FROM s",
	    0, NULL, done, arg);
}
