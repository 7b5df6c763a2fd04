/*
 * bank-sim/store_iso.c - see store_iso.h.
 *
 * A message is a few statements whatever its size: the transactions
 * travel as arrays and are written with INSERT ... SELECT FROM unnest,
 * the book's rows in end-to-end id order (as store.c does) so that two
 * transactions over the same ids wait for each other instead of
 * deadlocking. Every result is read through sn_rows, by column name.
 */
#include "store_iso.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- results ------------------------------------------------------------ */

typedef struct sha_row {
	const char *sha256;
} sha_row;

static const sn_col sha_cols[] = {
	SN_COL(sha_row, sha256, SN_COL_TEXT),
};

typedef struct used_row {
	int64_t used;
} used_row;

static const sn_col used_cols[] = {
	SN_COL(used_row, used, SN_COL_I64),
};

static const sn_col report_cols[] = {
	SN_COL(bank_sim_report_row, block, SN_COL_I64),
	SN_COL(bank_sim_report_row, pmt_inf_id, SN_COL_TEXT),
	SN_COL(bank_sim_report_row, block_status, SN_COL_TEXT),
	SN_COL(bank_sim_report_row, block_reason, SN_COL_TEXT),
	SN_COL(bank_sim_report_row, instr_id, SN_COL_TEXT),
	SN_COL(bank_sim_report_row, end_to_end_id, SN_COL_TEXT),
	SN_COL_ENUMOF(
	    bank_sim_report_row, status, bank_sim_store_status_names),
	SN_COL(bank_sim_report_row, iso_reason, SN_COL_TEXT),
	SN_COL(bank_sim_report_row, bank_ref, SN_COL_TEXT),
	SN_COL(bank_sim_report_row, nb_of_txs, SN_COL_I64),
	SN_COL(bank_sim_report_row, control_sum_fen, SN_COL_I64),
};

static const sn_col entry_cols[] = {
	SN_COL(bank_sim_entry_row, payment, SN_COL_BOOL),
	SN_COL(bank_sim_entry_row, bank_ref, SN_COL_TEXT),
	SN_COL(bank_sim_entry_row, amount_fen, SN_COL_I64),
	SN_COL(bank_sim_entry_row, msg_id, SN_COL_TEXT),
	SN_COL(bank_sim_entry_row, pmt_inf_id, SN_COL_TEXT),
	SN_COL(bank_sim_entry_row, instr_id, SN_COL_TEXT),
	SN_COL(bank_sim_entry_row, end_to_end_id, SN_COL_TEXT),
};

static const sn_col foreign_cols[] = {
	SN_COL(bank_sim_foreign_row, amount_fen, SN_COL_I64),
	SN_COL(bank_sim_foreign_row, date, SN_COL_TEXT),
	SN_COL(bank_sim_foreign_row, bank_ref, SN_COL_TEXT),
	SN_COL(bank_sim_foreign_row, is_new, SN_COL_BOOL),
};

/* ---- the tx forms ------------------------------------------------------- */

static void
message_read(sn_tx *tx, PGresult *res, void *arg)
{
	bank_sim_store_slot *s = arg;
	sha_row              r = { NULL };
	sn_err err = sn_rows_one(res, sha_cols, SN_NCOLS(sha_cols), &r);
	if (err != SN_OK && err != SN_ENOTFOUND) {
		sn_tx_rollback(tx, SN_EPROTO);
		return;
	}
	bank_sim_iso_message_fn fn = (bank_sim_iso_message_fn) s->fn;
	fn(tx, err == SN_OK ? r.sha256 : NULL, s->arg);
}

sn_err
bank_sim_store_iso_message(sn_tx *tx, const char *msg_id,
    bank_sim_store_slot *slot, bank_sim_iso_message_fn fn, void *arg)
{
	const char *v[] = { msg_id };
	bank_sim_store_slot_set(slot, (void (*)(void)) fn, arg);
	return sn_tx_query(tx,
	    "SELECT sha256 FROM iso_messages WHERE msg_id = $1", 1, v,
	    message_read, slot);
}

/* The n strings as an array literal (*a to be finished by the caller);
 * NULL when out of memory. */
static const char *
text_array(sn_pgarray *a, const char *const *s, size_t n)
{
	sn_pgarray_init(a);
	for (size_t i = 0; i < n; i++)
		sn_pgarray_add(a, s[i]);
	return sn_pgarray_text(a);
}

sn_err
bank_sim_store_iso_lock(sn_tx *tx, const char *const *debtors, size_t n)
{
	sn_pgarray  a;
	const char *v[] = { text_array(&a, debtors, n) };
	sn_err      err = SN_ENOMEM;
	if (v[0] != NULL)
		err = sn_tx_query(tx,
		    "SELECT count(pg_advisory_xact_lock(hashtextextended("
		    "'bank-sim debtor ' || d, 0))) AS n FROM (SELECT DISTINCT "
		    "d"
		    " FROM unnest($1::text[]) AS u(d) ORDER BY d) s",
		    1, v, NULL, NULL);
	sn_pgarray_fini(&a);
	return err;
}

static void
used_read(sn_tx *tx, PGresult *res, void *arg)
{
	bank_sim_store_slot *s = arg;
	used_row            *rows;
	size_t               n;
	sn_err err = bank_sim_store_rows(res, used_cols, SN_NCOLS(used_cols),
	    sizeof(*rows), (void **) &rows, &n);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	int64_t *used = calloc(n ? n : 1, sizeof(*used));
	if (used == NULL) {
		free(rows);
		sn_tx_rollback(tx, SN_ENOMEM);
		return;
	}
	for (size_t i = 0; i < n; i++)
		used[i] = rows[i].used;
	free(rows);
	bank_sim_iso_used_fn fn = (bank_sim_iso_used_fn) s->fn;
	fn(tx, used, n, s->arg);
	free(used);
}

sn_err
bank_sim_store_iso_used(sn_tx *tx, const char *const *debtors, size_t n,
    bank_sim_store_slot *slot, bank_sim_iso_used_fn fn, void *arg)
{
	sn_pgarray  a;
	const char *v[] = { text_array(&a, debtors, n) };
	sn_err      err = SN_ENOMEM;
	bank_sim_store_slot_set(slot, (void (*)(void)) fn, arg);
	if (v[0] != NULL)
		err = sn_tx_query(tx,
		    "SELECT (coalesce((SELECT sum(amount_fen) FROM"
		    " instructions WHERE debtor_account = u.d"
		    " AND status <> 'rejected'), 0)"
		    " + coalesce((SELECT sum(amount_fen) FROM foreign_entries"
		    " WHERE account = u.d), 0))::bigint AS used"
		    " FROM unnest($1::text[]) WITH ORDINALITY AS u(d, pos)"
		    " ORDER BY u.pos",
		    1, v, used_read, slot);
	sn_pgarray_fini(&a);
	return err;
}

/* The message row and its blocks. */
static sn_err
write_message(sn_tx *tx, const bank_sim_iso_record *r)
{
	sn_pgarray ids, debtors, st, why;
	char       nb[24];
	snprintf(nb, sizeof(nb), "%zu", r->n);
	sn_pgarray_init(&st);
	sn_pgarray_init(&why);
	for (size_t b = 0; b < r->nblocks; b++) {
		sn_pgarray_add(&st, r->blocks[b].is_short ? "RJCT" : NULL);
		sn_pgarray_add(&why, r->blocks[b].is_short ? "AM04" : NULL);
	}
	const char *m[] = { r->msg_id, r->sha256, r->created, nb };
	const char *v[]
	    = { r->msg_id, text_array(&ids, r->pmt_inf_ids, r->nblocks),
		      text_array(&debtors, r->debtors, r->nblocks),
		      sn_pgarray_text(&st), sn_pgarray_text(&why) };
	sn_err err = SN_ENOMEM;
	if (v[1] != NULL && v[2] != NULL && v[3] != NULL && v[4] != NULL
	    && (err = sn_tx_query(tx,
	            "INSERT INTO iso_messages (msg_id, sha256, created,"
	            " nb_of_txs) VALUES ($1, $2, $3, $4::integer)",
	            4, m, NULL, NULL))
	        == SN_OK)
		err = sn_tx_query(tx,
		    "INSERT INTO iso_pmtinfs (msg_id, position, pmt_inf_id,"
		    " debtor_account, status, iso_reason) SELECT $1, pos, id,"
		    " d, s, w FROM unnest($2::text[], $3::text[], $4::text[],"
		    " $5::text[]) WITH ORDINALITY AS u(id, d, s, w, pos)",
		    5, v, NULL, NULL);
	sn_pgarray_fini(&ids);
	sn_pgarray_fini(&debtors);
	sn_pgarray_fini(&st);
	sn_pgarray_fini(&why);
	return err;
}

enum {
	C_BLOCK,
	C_INSTR,
	C_E2E,
	C_AMT,
	C_ACCT,
	C_NAME,
	C_REMIT,
	C_BOOK,
	C_STATUS,
	C_CODE,
	C_WHY,
	C_ISO,
	C_DEBTOR,
	C_PMTINF,
	NCOL
};

/* The transactions' columns as arrays a[NCOL]. */
static void
tx_arrays(const bank_sim_iso_record *r, sn_pgarray *a)
{
	for (int k = 0; k < NCOL; k++)
		sn_pgarray_init(&a[k]);
	for (size_t i = 0; i < r->n; i++) {
		const bank_sim_iso_tx   *t   = &r->txs[i];
		const bank_sim_decision *d   = &r->verdicts[i].d;
		bool                     rej = d->status == BANK_SIM_REJECTED;
		sn_pgarray_add_i64(&a[C_BLOCK], (int64_t) t->block + 1);
		sn_pgarray_add(&a[C_INSTR], r->instr_ids[i]);
		sn_pgarray_add(&a[C_E2E], t->in.end_to_end_id);
		sn_pgarray_add_i64(
		    &a[C_AMT], t->amount_ok ? t->in.amount_fen : 0);
		sn_pgarray_add(&a[C_ACCT], t->in.account_number);
		sn_pgarray_add(&a[C_NAME], t->in.account_name);
		sn_pgarray_add(&a[C_REMIT], t->in.remittance_info);
		sn_pgarray_add(&a[C_BOOK], r->verdicts[i].book ? "t" : "f");
		sn_pgarray_add(&a[C_STATUS], bank_sim_status_name(d->status));
		sn_pgarray_add(&a[C_CODE], rej ? d->reason_code : NULL);
		sn_pgarray_add(&a[C_WHY], rej ? d->reason : NULL);
		sn_pgarray_add(&a[C_ISO], rej ? d->iso_code : NULL);
		sn_pgarray_add(&a[C_DEBTOR], r->debtors[t->block]);
		sn_pgarray_add(&a[C_PMTINF], r->pmt_inf_ids[t->block]);
	}
}

/* The book's rows and the message's transactions: $1 msg_id, $2..$15
 * the arrays, $16 settle ms, $17 now ms, $18 seed, $19 omit percent. */
#define WRITE_SQL                                                             \
	"WITH r AS (SELECT * FROM unnest($2::integer[], $3::text[],"          \
	" $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[],"      \
	" $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[]," \
	" $14::text[], $15::text[]) WITH ORDINALITY AS r(block, instr, e2e,"  \
	" amount, account, name, remit, book, status, reason_code, reason,"   \
	" iso_reason, debtor, pmtinf, pos)),"                                 \
	" due AS (SELECT to_timestamp($17::bigint / 1000.0) AS now),"         \
	" up AS (INSERT INTO instructions AS i (end_to_end_id, batch_id,"     \
	" position, amount_fen, account_number, account_name,"                \
	" remittance_info, status, reason_code, reason, iso_reason,"          \
	" debtor_account, pmt_inf_id, instr_id, settle_due_at, settled_at,"   \
	" in_statement, credit_seq)"                                          \
	" SELECT e2e, $1, pos::integer, amount, account, name, remit,"        \
	" status, reason_code, reason, iso_reason, debtor, pmtinf, instr,"    \
	" CASE WHEN status = 'accepted' THEN (SELECT now FROM due)"           \
	" + $16::bigint * interval '1 millisecond' END,"                      \
	" CASE WHEN status = 'settled' THEN (SELECT now FROM due) END,"       \
	" CASE WHEN status = 'settled' THEN bank_sim_in_statement(e2e, $18,"  \
	" $19::integer) END, CASE WHEN status = 'settled' THEN"               \
	" nextval('credit_seq') END FROM r WHERE book ORDER BY e2e"           \
	" ON CONFLICT (end_to_end_id) DO UPDATE SET"                          \
	" batch_id = excluded.batch_id, position = excluded.position,"        \
	" amount_fen = excluded.amount_fen,"                                  \
	" account_number = excluded.account_number,"                          \
	" account_name = excluded.account_name,"                              \
	" remittance_info = excluded.remittance_info,"                        \
	" status = excluded.status, reason_code = excluded.reason_code,"      \
	" reason = excluded.reason, iso_reason = excluded.iso_reason,"        \
	" debtor_account = excluded.debtor_account,"                          \
	" pmt_inf_id = excluded.pmt_inf_id, instr_id = excluded.instr_id,"    \
	" settle_due_at = excluded.settle_due_at,"                            \
	" settled_at = excluded.settled_at,"                                  \
	" in_statement = excluded.in_statement,"                              \
	" credit_seq = excluded.credit_seq, received_at = now()"              \
	" WHERE i.status = 'rejected' RETURNING end_to_end_id),"              \
	" t AS (INSERT INTO iso_txs (msg_id, position, block, instr_id,"      \
	" end_to_end_id, amount_fen, booked, status, iso_reason)"             \
	" SELECT $1, pos::integer, block, instr, e2e, amount,"                \
	" book AND e2e IN (SELECT end_to_end_id FROM up), status, iso_reason" \
	" FROM r RETURNING 1)"                                                \
	" SELECT (SELECT count(*) FROM up) AS n, (SELECT count(*) FROM t)"    \
	" AS k"

sn_err
bank_sim_store_iso_write(sn_tx *tx, const bank_sim_iso_record *r,
    const bank_sim_terms *terms, bank_sim_store_slot *slot,
    bank_sim_inserted_fn fn, void *arg)
{
	sn_pgarray          a[NCOL];
	const char         *v[NCOL + 5];
	bank_sim_terms_text tt;
	sn_err              err;
	if ((err = write_message(tx, r)) != SN_OK)
		return err;
	tx_arrays(r, a);
	bank_sim_terms_text_of(terms, &tt);
	v[0]     = r->msg_id;
	bool oom = false;
	for (int k = 0; k < NCOL; k++)
		if ((v[k + 1] = sn_pgarray_text(&a[k])) == NULL)
			oom = true;
	v[NCOL + 1] = tt.ms;
	v[NCOL + 2] = tt.now;
	v[NCOL + 3] = terms->seed;
	v[NCOL + 4] = tt.pct;
	bank_sim_store_slot_set(slot, (void (*)(void)) fn, arg);
	err = oom ? SN_ENOMEM
	          : sn_tx_query(tx, WRITE_SQL, NCOL + 5, v,
	              bank_sim_store_count_read, slot);
	for (int k = 0; k < NCOL; k++)
		sn_pgarray_fini(&a[k]);
	return err;
}

/* A transaction's status: the book's while its row is still this
 * transaction's (or it is a duplicate), else its own. The message's and
 * the batch's rows are read once (a materialized CTE; the generic plan
 * looked them up again for each of the message's transactions), and each
 * transaction's instruction by its key: joined plainly, the generic plan
 * took a message for 1,376 transactions and hashed every instruction
 * (190,000 at 100,000 payees: 36 ms a report, 1 ms of it the message's;
 * LIMIT keeps the subquery from being flattened into that join). */
#define REPORT_SQL                                                            \
	"WITH h AS MATERIALIZED (SELECT m.nb_of_txs, b.control_sum_fen"       \
	" FROM iso_messages m JOIN batches b ON b.batch_id = m.msg_id"        \
	" WHERE m.msg_id = $1)"                                               \
	" SELECT p.position AS block, p.pmt_inf_id,"                          \
	" coalesce(p.status, '') AS block_status,"                            \
	" coalesce(p.iso_reason, '') AS block_reason, t.instr_id,"            \
	" t.end_to_end_id, CASE WHEN o.own THEN i.status ELSE t.status END"   \
	" AS status, coalesce(CASE WHEN o.own THEN i.iso_reason"              \
	" ELSE t.iso_reason END, '') AS iso_reason,"                          \
	" CASE WHEN o.own AND i.status = 'settled' THEN 'BS' ||"              \
	" lpad(i.credit_seq::text, 12, '0') ELSE '' END AS bank_ref,"         \
	" h.nb_of_txs, h.control_sum_fen"                                     \
	" FROM h CROSS JOIN iso_txs t JOIN iso_pmtinfs p"                     \
	" ON p.msg_id = t.msg_id AND p.position = t.block"                    \
	" LEFT JOIN LATERAL (SELECT * FROM instructions i"                    \
	" WHERE i.end_to_end_id = t.end_to_end_id LIMIT 1) i ON true"         \
	" CROSS JOIN LATERAL (SELECT i.end_to_end_id IS NOT NULL AND"         \
	" (NOT t.booked OR (i.batch_id = t.msg_id AND i.position ="           \
	" t.position)) AS own) o"                                             \
	" WHERE t.msg_id = $1 ORDER BY t.position"

static void
report_read(sn_tx *tx, PGresult *res, void *arg)
{
	bank_sim_store_slot *s = arg;
	bank_sim_report_row *rows;
	size_t               n;
	sn_err               err = bank_sim_store_rows(res, report_cols,
	                  SN_NCOLS(report_cols), sizeof(*rows), (void **) &rows, &n);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	bank_sim_report_fn fn = (bank_sim_report_fn) s->fn;
	fn(tx, rows, n, s->arg);
	free(rows);
}

sn_err
bank_sim_store_iso_report_tx(sn_tx *tx, const char *msg_id,
    bank_sim_store_slot *slot, bank_sim_report_fn fn, void *arg)
{
	const char *v[] = { msg_id };
	bank_sim_store_slot_set(slot, (void (*)(void)) fn, arg);
	return sn_tx_query(tx, REPORT_SQL, 1, v, report_read, slot);
}

/* ---- the db forms ------------------------------------------------------- */

static void
report_done(sn_err err, PGresult *res, void *arg)
{
	bank_sim_store_pending *p    = arg;
	bank_sim_report_row    *rows = NULL;
	size_t                  n    = 0;
	if (err == SN_OK)
		err = res != NULL ? bank_sim_store_rows(res, report_cols,
		          SN_NCOLS(report_cols), sizeof(*rows),
		          (void **) &rows, &n)
		                  : SN_EDB;
	((bank_sim_report_done_fn) p->fn)(err, rows, n, p->arg);
	free(rows);
	free(p);
}

sn_err
bank_sim_store_iso_report(
    sn_db *db, const char *msg_id, bank_sim_report_done_fn done, void *arg)
{
	bank_sim_store_pending *p
	    = bank_sim_store_pending_new((void (*)(void)) done, arg);
	if (p == NULL)
		return SN_ENOMEM;
	const char *v[] = { msg_id };
	sn_db_query(db, REPORT_SQL, 1, v, report_done, p);
	return SN_OK;
}

static void
entries_done(sn_err err, PGresult *res, void *arg)
{
	bank_sim_store_pending *p    = arg;
	bank_sim_entry_row     *rows = NULL;
	size_t                  n    = 0;
	if (err == SN_OK)
		err = res != NULL ? bank_sim_store_rows(res, entry_cols,
		          SN_NCOLS(entry_cols), sizeof(*rows), (void **) &rows,
		          &n)
		                  : SN_EDB;
	((bank_sim_entries_fn) p->fn)(err, rows, n, p->arg);
	free(rows);
	free(p);
}

sn_err
bank_sim_store_iso_entries(sn_db *db, const char *account, const char *date,
    bank_sim_entries_fn done, void *arg)
{
	bank_sim_store_pending *p
	    = bank_sim_store_pending_new((void (*)(void)) done, arg);
	if (p == NULL)
		return SN_ENOMEM;
	const char *v[] = { account, date };
	sn_db_query(db,
	    "SELECT payment, bank_ref, amount_fen, msg_id, pmt_inf_id,"
	    " instr_id, end_to_end_id FROM ("
	    "SELECT true AS payment, 'BS' || lpad(credit_seq::text, 12, '0')"
	    " AS bank_ref, amount_fen, batch_id AS msg_id,"
	    " coalesce(pmt_inf_id, '') AS pmt_inf_id,"
	    " coalesce(instr_id, '') AS instr_id, end_to_end_id,"
	    " settled_at AS at, credit_seq AS k FROM instructions"
	    " WHERE debtor_account = $1 AND status = 'settled' AND "
	    "in_statement"
	    " AND settled_at >= ($2::date::timestamp - interval '8 hours')"
	    " AT TIME ZONE 'UTC'"
	    " AND settled_at < ($2::date::timestamp + interval '16 hours')"
	    " AT TIME ZONE 'UTC'"
	    " UNION ALL SELECT false, 'BSF' || lpad(id::text, 12, '0'),"
	    " amount_fen, '', '', '', end_to_end_id, created_at, id"
	    " FROM foreign_entries WHERE account = $1"
	    " AND booking_date = $2::date) e ORDER BY at, k",
	    2, v, entries_done, p);
	return SN_OK;
}

static void
foreign_read(sn_tx *tx, PGresult *res, void *arg)
{
	bank_sim_store_slot *s = arg;
	bank_sim_foreign_row r;
	if (sn_rows_one(res, foreign_cols, SN_NCOLS(foreign_cols), &r)
	    != SN_OK) {
		sn_tx_rollback(tx, SN_EPROTO);
		return;
	}
	bank_sim_foreign_fn fn = (bank_sim_foreign_fn) s->fn;
	fn(tx, &r, s->arg);
}

sn_err
bank_sim_store_foreign_add(sn_tx *tx, const char *account,
    const char *end_to_end_id, int64_t amount_fen, const char *date,
    bank_sim_store_slot *slot, bank_sim_foreign_fn fn, void *arg)
{
	char amt[24];
	snprintf(amt, sizeof(amt), "%" PRId64, amount_fen);
	const char *v[] = { account, end_to_end_id, amt, date };
	bank_sim_store_slot_set(slot, (void (*)(void)) fn, arg);
	/* DO UPDATE (of nothing) rather than DO NOTHING: the row is locked
	 * and returned whether it is new or was there, even one committed
	 * by a concurrent statement after this one's snapshot. xmax is 0
	 * only on a row this statement inserted. */
	return sn_tx_query(tx,
	    "INSERT INTO foreign_entries AS f (account, end_to_end_id,"
	    " amount_fen, booking_date) VALUES ($1, $2, $3::bigint, $4::date)"
	    " ON CONFLICT (account, end_to_end_id) DO UPDATE"
	    " SET account = f.account"
	    " RETURNING f.amount_fen, to_char(f.booking_date, 'YYYY-MM-DD')"
	    " AS date, 'BSF' || lpad(f.id::text, 12, '0') AS bank_ref,"
	    " f.xmax = 0 AS is_new",
	    4, v, foreign_read, slot);
}
