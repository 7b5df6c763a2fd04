/*
 * bank-sim/store.c - see store.h. The book's rows are written by
 * store_iso.c, a message's whole in one statement.
 *
 * Every result is read through sn_rows, by column name; the names in the
 * tables below are the aliases in the SQL beside them.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- results ------------------------------------------------------------ */

typedef struct batch_id_row {
	const char *batch_id;
} batch_id_row;

static const sn_col batch_id_cols[] = {
	SN_COL(batch_id_row, batch_id, SN_COL_TEXT),
};

typedef struct count_row {
	int64_t n;
} count_row;

static const sn_col count_cols[] = {
	SN_COL(count_row, n, SN_COL_I64),
};

const char *const bank_sim_store_status_names[]
    = { "unknown", "accepted", "settled", "rejected", NULL };

static const sn_col status_cols[] = {
	SN_COL_ENUMOF(
	    bank_sim_status_row, status, bank_sim_store_status_names),
};

typedef struct json_row {
	const char *doc;
} json_row;

static const sn_col json_cols[] = {
	SN_COL(json_row, doc, SN_COL_TEXT),
};

sn_err
bank_sim_store_rows(const PGresult *res, const sn_col *cols, size_t ncols,
    size_t size, void **out, size_t *n)
{
	sn_rows rows;
	sn_err  err = sn_rows_open(&rows, res, cols, ncols);
	*out        = NULL;
	*n          = 0;
	if (err != SN_OK)
		return err;
	int   k = sn_rows_count(&rows);
	char *r = k > 0 ? calloc((size_t) k, size) : NULL;
	if (k > 0 && r == NULL)
		err = SN_ENOMEM;
	for (int i = 0; err == SN_OK && i < k; i++)
		err = sn_rows_read(&rows, i, r + (size_t) i * size);
	sn_rows_close(&rows);
	if (err != SN_OK) {
		free(r);
		return err;
	}
	*out = r;
	*n   = (size_t) k;
	return SN_OK;
}

/* ---- the tx forms' callbacks -------------------------------------------- */

void
bank_sim_store_slot_set(bank_sim_store_slot *slot, void (*fn)(void), void *arg)
{
	slot->fn  = fn;
	slot->arg = arg;
}

/* The slot's callback is read before it runs: it may reuse the slot for
 * its next query. */

static void
claimed(sn_tx *tx, PGresult *res, void *arg)
{
	bank_sim_store_slot *s = arg;
	sn_rows              rows;
	if (sn_rows_open(&rows, res, batch_id_cols, SN_NCOLS(batch_id_cols))
	    != SN_OK) {
		sn_tx_rollback(tx, SN_EPROTO);
		return;
	}
	bool                is_new = sn_rows_count(&rows) == 1;
	bank_sim_claimed_fn fn     = (bank_sim_claimed_fn) s->fn;
	sn_rows_close(&rows);
	fn(tx, is_new, s->arg);
}

void
bank_sim_store_count_read(sn_tx *tx, PGresult *res, void *arg)
{
	bank_sim_store_slot *s = arg;
	count_row            c;
	if (sn_rows_one(res, count_cols, SN_NCOLS(count_cols), &c) != SN_OK) {
		sn_tx_rollback(tx, SN_EPROTO);
		return;
	}
	bank_sim_inserted_fn fn = (bank_sim_inserted_fn) s->fn;
	fn(tx, c.n, s->arg);
}

static void
statuses_read(sn_tx *tx, PGresult *res, void *arg)
{
	bank_sim_store_slot *s = arg;
	bank_sim_status_row *rows;
	size_t               n;
	sn_err               err = bank_sim_store_rows(res, status_cols,
	                  SN_NCOLS(status_cols), sizeof(*rows), (void **) &rows, &n);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	bank_sim_statuses_fn fn = (bank_sim_statuses_fn) s->fn;
	fn(tx, rows, n, s->arg);
	free(rows);
}

/* ---- the book ----------------------------------------------------------- */

sn_err
bank_sim_store_claim_batch(sn_tx *tx, const char *batch_id,
    const char *debtor_account, int64_t count, int64_t control_sum_fen,
    bank_sim_store_slot *slot, bank_sim_claimed_fn fn, void *arg)
{
	char c[24], s[24];
	snprintf(c, sizeof(c), "%" PRId64, count);
	snprintf(s, sizeof(s), "%" PRId64, control_sum_fen);
	const char *v[] = { batch_id, debtor_account, c, s };
	bank_sim_store_slot_set(slot, (void (*)(void)) fn, arg);
	return sn_tx_query(tx,
	    "INSERT INTO batches (batch_id, debtor_account, count,"
	    " control_sum_fen) VALUES ($1, $2, $3, $4)"
	    " ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id",
	    4, v, claimed, slot);
}

void
bank_sim_terms_text_of(const bank_sim_terms *terms, bank_sim_terms_text *t)
{
	snprintf(t->now, sizeof(t->now), "%" PRId64, terms->now_ms);
	snprintf(t->ms, sizeof(t->ms), "%" PRIu32, terms->settle_ms);
	snprintf(t->pct, sizeof(t->pct), "%" PRIu32, terms->omit_pct);
}

sn_err
bank_sim_store_statuses_tx(sn_tx *tx, const bank_sim_instr *ins, size_t n,
    bank_sim_store_slot *slot, bank_sim_statuses_fn fn, void *arg)
{
	sn_pgarray ids;
	sn_pgarray_init(&ids);
	for (size_t i = 0; i < n; i++)
		sn_pgarray_add(&ids, ins[i].end_to_end_id);
	const char *v[] = { sn_pgarray_text(&ids) };
	sn_err      err = SN_ENOMEM;
	bank_sim_store_slot_set(slot, (void (*)(void)) fn, arg);
	if (v[0] != NULL)
		err = sn_tx_query(tx,
		    "SELECT coalesce(i.status, 'unknown') AS status"
		    " FROM unnest($1::text[]) WITH ORDINALITY AS r(id, pos)"
		    " LEFT JOIN instructions i ON i.end_to_end_id = r.id"
		    " ORDER BY r.pos",
		    1, v, statuses_read, slot);
	sn_pgarray_fini(&ids);
	return err;
}

sn_err
bank_sim_store_count(sn_tx *tx, bank_sim_counter which, int64_t n)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRId64, n);
	const char *v[]
	    = { which == BANK_SIM_COUNT_DUPLICATES ? "duplicate_instructions"
		                                   : "repeated_batches",
		      b };
	return sn_tx_query(tx,
	    "UPDATE counters SET value = value + $2 WHERE name = $1", 2, v,
	    NULL, NULL);
}

/* ---- the db forms ------------------------------------------------------- */

bank_sim_store_pending *
bank_sim_store_pending_new(void (*fn)(void), void *arg)
{
	bank_sim_store_pending *p = malloc(sizeof(*p));
	if (p != NULL) {
		p->fn  = fn;
		p->arg = arg;
	}
	return p;
}

static void
settled_done(sn_err err, PGresult *res, void *arg)
{
	bank_sim_store_pending *p = arg;
	count_row               c = { 0 };
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_one(res, count_cols, SN_NCOLS(count_cols), &c)
		    : SN_EDB;
	((bank_sim_settled_fn) p->fn)(err, err == SN_OK ? c.n : 0, p->arg);
	free(p);
}

sn_err
bank_sim_store_settle_due(sn_db *db, const bank_sim_terms *terms,
    bank_sim_settled_fn done, void *arg)
{
	bank_sim_store_pending *p
	    = bank_sim_store_pending_new((void (*)(void)) done, arg);
	bank_sim_terms_text tt;
	if (p == NULL)
		return SN_ENOMEM;
	bank_sim_terms_text_of(terms, &tt);
	const char *v[] = { tt.now, terms->seed, tt.pct };
	sn_db_query(db,
	    "WITH u AS (UPDATE instructions SET status = 'settled',"
	    " settled_at = to_timestamp($1::bigint / 1000.0),"
	    " credit_seq = nextval('credit_seq'),"
	    " in_statement = bank_sim_in_statement(end_to_end_id, $2,"
	    " $3::integer) WHERE status = 'accepted'"
	    " AND settle_due_at <= to_timestamp($1::bigint / 1000.0)"
	    " RETURNING 1)"
	    " SELECT count(*) AS n FROM u",
	    3, v, settled_done, p);
	return SN_OK;
}

static void
json_done(sn_err err, PGresult *res, void *arg)
{
	bank_sim_store_pending *p = arg;
	json_row                j = { NULL };
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_one(res, json_cols, SN_NCOLS(json_cols), &j)
		    : SN_EDB;
	((bank_sim_json_fn) p->fn)(err, err == SN_OK ? j.doc : NULL, p->arg);
	free(p);
}

sn_err
bank_sim_store_credits(sn_db *db, const char *account_number,
    const sn_page *page, bank_sim_json_fn done, void *arg)
{
	bank_sim_store_pending *p
	    = bank_sim_store_pending_new((void (*)(void)) done, arg);
	if (p == NULL)
		return SN_ENOMEM;
	char after[24], l[24];
	snprintf(after, sizeof(after), "%" PRId64, page->after);
	snprintf(l, sizeof(l), "%" PRId64, page->limit);
	const char *v[] = { account_number, after, l };
	sn_db_query(db,
	    "WITH r AS (SELECT credit_seq AS k, end_to_end_id, amount_fen,"
	    " account_name, remittance_info, batch_id, in_statement,"
	    " to_char(received_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS received_at,"
	    " to_char(settled_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS settled_at"
	    " FROM instructions WHERE account_number = $1"
	    " AND status = 'settled' AND credit_seq > $2::bigint"
	    " ORDER BY credit_seq LIMIT $3::integer + 1),"
	    " pg AS (SELECT * FROM r ORDER BY k LIMIT $3::integer),"
	    " c AS (SELECT count(*) AS n, coalesce(sum(amount_fen), 0) AS fen"
	    " FROM instructions WHERE account_number = $1"
	    " AND status = 'settled')"
	    " SELECT json_build_object('account_number', $1::text,"
	    " 'count', (SELECT n FROM c), 'total_fen', (SELECT fen FROM c),"
	    " 'items', (SELECT coalesce(json_agg(json_build_object("
	    "'end_to_end_id', end_to_end_id, 'amount_fen', amount_fen,"
	    " 'account_name', account_name, 'remittance_info',"
	    " remittance_info, 'batch_id', batch_id, 'received_at',"
	    " received_at, 'settled_at', settled_at, 'in_statement',"
	    " in_statement) ORDER BY k),"
	    " '[]'::json) FROM pg),"
	    " 'more', (SELECT count(*) FROM r) > $3::integer,"
	    " 'last', (SELECT coalesce(max(k), 0) FROM pg))::text AS doc",
	    3, v, json_done, p);
	return SN_OK;
}

sn_err
bank_sim_store_stats(sn_db *db, bank_sim_json_fn done, void *arg)
{
	bank_sim_store_pending *p
	    = bank_sim_store_pending_new((void (*)(void)) done, arg);
	if (p == NULL)
		return SN_ENOMEM;
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
	    " WHERE name = 'repeated_batches'),"
	    " 'iso_messages', (SELECT count(*) FROM iso_messages),"
	    " 'foreign_entries', (SELECT count(*) FROM foreign_entries))::text"
	    " AS doc FROM s",
	    0, NULL, json_done, p);
	return SN_OK;
}
