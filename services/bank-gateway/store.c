/*
 * bank-gateway/store.c - see store.h.
 *
 * A message's transactions, a report's statuses, a statement's entries
 * and a reconciliation's items each travel as one statement over arrays
 * (sn_pgarray, unnest), never one statement per row: a batch has up to
 * 10,000 payments. Every result is read through sn_rows by column name;
 * the names in the tables below are the aliases in the SQL beside them.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3339 UTC with milliseconds, as every other service writes times. */
#define STAMP(col)                                                            \
	"to_char(" col " AT TIME ZONE 'UTC',"                                 \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static void
slot_set(bank_gateway_store_slot *slot, void (*fn)(void), void *arg)
{
	slot->fn  = fn;
	slot->arg = arg;
}

static char *
fmt_i64(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}

/* Every array of an n-array statement, or SN_ENOMEM. */
static sn_err
arrays_text(sn_pgarray *a, size_t n, const char **v)
{
	sn_err err = SN_OK;
	for (size_t k = 0; k < n; k++)
		if ((v[k] = sn_pgarray_text(&a[k])) == NULL)
			err = SN_ENOMEM;
	return err;
}

static void
arrays_fini(sn_pgarray *a, size_t n)
{
	for (size_t k = 0; k < n; k++)
		sn_pgarray_fini(&a[k]);
}

/* ---- messages ----------------------------------------------------------- */

static const sn_col message_cols[] = {
	SN_COL(bank_gateway_message_row, msg_id, SN_COL_TEXT),
	SN_COL(bank_gateway_message_row, fund, SN_COL_TEXT),
	SN_COL(bank_gateway_message_row, transport, SN_COL_TEXT),
	SN_COL(bank_gateway_message_row, state, SN_COL_TEXT),
	SN_COL(bank_gateway_message_row, group_status, SN_COL_TEXT),
	SN_COL(bank_gateway_message_row, group_reason, SN_COL_TEXT),
	SN_COL(bank_gateway_message_row, group_info, SN_COL_TEXT),
};

typedef struct message_bytes {
	sn_bytes request_sha256;
	sn_bytes document;
} message_bytes;

static const sn_col message_bytes_cols[] = {
	SN_COL(message_bytes, request_sha256, SN_COL_BYTES),
	SN_COL(message_bytes, document, SN_COL_BYTES),
};

static void
message_read(sn_tx *tx, PGresult *res, void *arg)
{
	bank_gateway_store_slot *s  = arg;
	bank_gateway_message_fn  fn = (bank_gateway_message_fn) s->fn;
	bank_gateway_message_row m;
	message_bytes            b;
	bool                     found;
	if (sn_rows_opt(res, message_cols, SN_NCOLS(message_cols), &m, &found)
	        != SN_OK
	    || (found
	        && sn_rows_one(res, message_bytes_cols,
	               SN_NCOLS(message_bytes_cols), &b)
	            != SN_OK)) {
		sn_tx_rollback(tx, SN_EPROTO);
		return;
	}
	if (found) {
		m.request_sha256     = b.request_sha256.data;
		m.request_sha256_len = b.request_sha256.len;
		m.document           = b.document.data;
		m.document_len       = b.document.len;
	}
	fn(tx, found ? &m : NULL, s->arg);
}

sn_err
bank_gateway_store_message(sn_tx *tx, const char *msg_id,
    bank_gateway_store_slot *slot, bank_gateway_message_fn fn, void *arg)
{
	const char *v[] = { msg_id };
	slot_set(slot, (void (*)(void)) fn, arg);
	/* Binary results: the document's bytes as they are. */
	return sn_tx_query_bin(tx,
	    "SELECT msg_id, fund, transport, state, group_status,"
	    " group_reason, group_info, request_sha256, document"
	    " FROM messages WHERE msg_id = $1 FOR UPDATE",
	    1, v, NULL, NULL, 1, message_read, slot);
}

sn_err
bank_gateway_store_message_add(sn_tx *tx, const bank_gateway_message_in *m,
    const bank_gateway_tx_in *txs, size_t n)
{
	enum { E2E, INSTR, AMT, NAME, ACCT, BANK, PERIOD, RUN, NCOL };
	sn_pgarray a[NCOL];
	char       cnt[24], sum[24];
	for (int k = 0; k < NCOL; k++)
		sn_pgarray_init(&a[k]);
	for (size_t i = 0; i < n; i++) {
		sn_pgarray_add(&a[E2E], txs[i].end_to_end_id);
		sn_pgarray_add(&a[INSTR], txs[i].instr_id);
		sn_pgarray_add_i64(&a[AMT], txs[i].amount_fen);
		sn_pgarray_add(&a[NAME], txs[i].creditor_name);
		sn_pgarray_add(&a[ACCT], txs[i].creditor_account);
		sn_pgarray_add(&a[BANK], txs[i].bank_code);
		sn_pgarray_add(&a[PERIOD], txs[i].period);
		sn_pgarray_add(&a[RUN], txs[i].run_id);
	}
	const char *arr[NCOL];
	sn_err      err = arrays_text(a, NCOL, arr);
	if (err == SN_OK) {
		const char *v[] = { m->msg_id, m->fund, m->debtor_account,
			fmt_i64(cnt, (int64_t) n),
			fmt_i64(sum, m->ctrl_sum_fen),
			(const char *) m->request_sha256, m->document,
			m->transport };
		const int   l[]
		    = { 0, 0, 0, 0, 0, 32, (int) m->document_len, 0 };
		const int f[] = { 0, 0, 0, 0, 0, 1, 1, 0 };
		err           = sn_tx_query_bin(tx,
		              "INSERT INTO messages (msg_id, fund, debtor_account,"
		                        " n_txs, ctrl_sum_fen, request_sha256, document,"
		                        " document_sha256, transport) VALUES ($1, $2, $3,"
		                        " $4::integer, $5::bigint, $6, $7, sha256($7), $8)",
		              8, v, l, f, 0, NULL, NULL);
	}
	if (err == SN_OK) {
		const char *v[]
		    = { m->msg_id, arr[E2E], arr[INSTR], arr[AMT], arr[NAME],
			      arr[ACCT], arr[BANK], arr[PERIOD], arr[RUN] };
		err = sn_tx_query(tx,
		    "INSERT INTO transactions (msg_id, position,"
		    " end_to_end_id, instr_id, amount_fen, creditor_name,"
		    " creditor_account, bank_code, period, run_id)"
		    " SELECT $1, pos::integer, e2e, instr, amount, name,"
		    " acct, bank, period, run FROM unnest($2::text[],"
		    " $3::text[], $4::bigint[], $5::text[], $6::text[],"
		    " $7::text[], $8::text[], $9::text[]) WITH ORDINALITY"
		    " AS r(e2e, instr, amount, name, acct, bank, period,"
		    " run, pos)",
		    9, v, NULL, NULL);
	}
	arrays_fini(a, NCOL);
	return err;
}

sn_err
bank_gateway_store_message_tried(
    sn_tx *tx, const char *msg_id, bool answered, const char *error)
{
	const char *v[] = { msg_id, answered ? "t" : "f", error ? error : "" };
	return sn_tx_query(tx,
	    "UPDATE messages SET sends = sends + 1,"
	    " state = CASE WHEN $2::boolean AND state = 'stored' THEN 'sent'"
	    " ELSE state END,"
	    " sent_at = CASE WHEN $2::boolean THEN coalesce(sent_at, now())"
	    " ELSE sent_at END,"
	    " answered_at = CASE WHEN $2::boolean THEN now()"
	    " ELSE answered_at END,"
	    " last_error = CASE WHEN $2::boolean THEN last_error ELSE $3 END"
	    " WHERE msg_id = $1",
	    3, v, NULL, NULL);
}

sn_err
bank_gateway_store_message_refused(sn_tx *tx, const char *msg_id,
    const char *group_status, const char *reason, const char *info)
{
	const char *v[] = { msg_id, group_status, reason, info };
	return sn_tx_query(tx,
	    "UPDATE messages SET state = 'refused', group_status = $2,"
	    " group_reason = $3, group_info = $4, answered_at = now(),"
	    " sent_at = coalesce(sent_at, now()) WHERE msg_id = $1",
	    4, v, NULL, NULL);
}

sn_err
bank_gateway_store_refusal(sn_tx *tx, const char *msg_id, const char *fund,
    const char *kind, const char *reason)
{
	const char *v[] = { msg_id, fund, kind, reason };
	return sn_tx_query(tx,
	    "INSERT INTO refusals (msg_id, fund, kind, reason)"
	    " VALUES ($1, $2, $3, $4)",
	    4, v, NULL, NULL);
}

/* ---- statuses ----------------------------------------------------------- */

sn_err
bank_gateway_store_report(sn_tx *tx, const char *msg_id, const char *via,
    const char *report_msg_id, const char *group_status,
    const char *group_reason, const char *group_info, const char *document,
    size_t len, const bank_gateway_status_in *statuses, size_t n,
    const char *settled_at, sn_date settled_day)
{
	enum { E2E, STATE, ISO, CODE, INFO, NCOL };
	sn_pgarray a[NCOL];
	char       day[SN_DATE_STRLEN];
	for (int k = 0; k < NCOL; k++)
		sn_pgarray_init(&a[k]);
	for (size_t i = 0; i < n; i++) {
		sn_pgarray_add(&a[E2E], statuses[i].end_to_end_id);
		sn_pgarray_add(
		    &a[STATE], bank_gateway_state_names[statuses[i].state]);
		sn_pgarray_add(&a[ISO], statuses[i].iso_status);
		sn_pgarray_add(&a[CODE], statuses[i].reason_code);
		sn_pgarray_add(&a[INFO], statuses[i].reason_info);
	}
	const char *arr[NCOL];
	sn_err      err = arrays_text(a, NCOL, arr);
	if (err == SN_OK) {
		const char *v[]
		    = { msg_id, report_msg_id, via, group_status, document };
		const int l[] = { 0, 0, 0, 0, (int) len };
		const int f[] = { 0, 0, 0, 0, 1 };
		err           = sn_tx_query_bin(tx,
		              "INSERT INTO reports (msg_id, report_msg_id, via,"
		                        " group_status, document) VALUES ($1, $2, $3, $4, $5)",
		              5, v, l, f, 0, NULL, NULL);
	}
	if (err == SN_OK) {
		const char *v[]
		    = { msg_id, group_status, group_reason, group_info };
		err = sn_tx_query(tx,
		    "UPDATE messages SET group_status = $2,"
		    " group_reason = $3, group_info = $4 WHERE msg_id = $1",
		    4, v, NULL, NULL);
	}
	if (err == SN_OK) {
		/* Only none and pending move (rules.h); a transaction
		 * newly paid is settled once per end-to-end id. The
		 * message's fund is read once for the whole report (an
		 * InitPlan), not joined per settled row. */
		const char *v[] = { msg_id, arr[E2E], arr[STATE], arr[ISO],
			arr[CODE], arr[INFO], settled_at,
			sn_date_format(settled_day, day) };
		err             = sn_tx_query(tx,
		                "WITH r AS (SELECT DISTINCT ON (e2e) * FROM"
		                            " unnest($2::text[], $3::text[], $4::text[],"
		                            " $5::text[], $6::text[]) AS r(e2e, state, iso, code,"
		                            " info) ORDER BY e2e),"
		                            " u AS (UPDATE transactions t SET state = r.state,"
		                            " iso_status = r.iso, reason_code = r.code,"
		                            " reason_info = r.info, updated_at = now() FROM r"
		                            " WHERE t.msg_id = $1 AND t.end_to_end_id = r.e2e"
		                            " AND t.state IN ('none', 'pending')"
		                            " AND r.state <> 'none'"
		                            " RETURNING t.end_to_end_id, t.amount_fen, t.run_id,"
		                            " t.state)"
		                            " INSERT INTO settlements (end_to_end_id, msg_id, fund,"
		                            " amount_fen, run_id, settled_at, settled_day)"
		                            " SELECT u.end_to_end_id, $1, (SELECT fund FROM"
		                            " messages WHERE msg_id = $1), u.amount_fen,"
		                            " u.run_id, $7::timestamptz, $8::date FROM u"
		                            " WHERE u.state = 'paid'"
		                            " ON CONFLICT (end_to_end_id) DO NOTHING",
		                8, v, NULL, NULL);
	}
	arrays_fini(a, NCOL);
	return err;
}

static const sn_col status_cols[] = {
	SN_COL(bank_gateway_status_row, end_to_end_id, SN_COL_TEXT),
	SN_COL(bank_gateway_status_row, found, SN_COL_BOOL),
	SN_COL(bank_gateway_status_row, msg_id, SN_COL_TEXT),
	SN_COL(bank_gateway_status_row, msg_state, SN_COL_TEXT),
	SN_COL(bank_gateway_status_row, transport, SN_COL_TEXT),
	SN_COL_ENUMOF(
	    bank_gateway_status_row, state, bank_gateway_state_names),
	SN_COL(bank_gateway_status_row, iso_status, SN_COL_TEXT),
	SN_COL(bank_gateway_status_row, reason_code, SN_COL_TEXT),
	SN_COL(bank_gateway_status_row, reason_info, SN_COL_TEXT),
	SN_COL(bank_gateway_status_row, settled_at, SN_COL_TEXT),
};

/* The columns of a status row from t (transactions), m (messages) and s
 * (settlements, joined when paid); t may be all NULL (found false). */
#define STATUS_COLS                                                           \
	" t.msg_id IS NOT NULL AS found, coalesce(t.msg_id, '') AS msg_id,"   \
	" coalesce(m.state, '') AS msg_state,"                                \
	" coalesce(m.transport, '') AS transport,"                            \
	" coalesce(t.state, 'none') AS state,"                                \
	" coalesce(t.iso_status, '') AS iso_status,"                          \
	" coalesce(t.reason_code, '') AS reason_code,"                        \
	" coalesce(t.reason_info, '') AS reason_info,"                        \
	" coalesce(" STAMP("s.settled_at") ", '') AS settled_at"

/* A paid transaction's settlement, by its key. Joined plainly, the
 * planner hashed the whole of settlements once it took a message for a
 * few hundred transactions: every status read read every settlement
 * ever made (bank_gateway.statuses_by_key). LIMIT keeps the subquery
 * from being flattened into that join; the key holds one row at most. */
#define SETTLED_JOIN                                                          \
	" LEFT JOIN LATERAL (SELECT s.settled_at FROM settlements s"          \
	" WHERE t.state = 'paid' AND s.end_to_end_id = t.end_to_end_id"       \
	" LIMIT 1) s ON true"

static sn_err
read_statuses(const PGresult *res, bank_gateway_status_row **out, size_t *n)
{
	sn_rows rows;
	sn_err  err
	    = sn_rows_open(&rows, res, status_cols, SN_NCOLS(status_cols));
	*out = NULL;
	*n   = 0;
	if (err != SN_OK)
		return err;
	int                      k = sn_rows_count(&rows);
	bank_gateway_status_row *r
	    = k > 0 ? calloc((size_t) k, sizeof(*r)) : NULL;
	if (k > 0 && r == NULL)
		err = SN_ENOMEM;
	for (int i = 0; err == SN_OK && i < k; i++)
		err = sn_rows_read(&rows, i, &r[i]);
	sn_rows_close(&rows);
	if (err != SN_OK) {
		free(r);
		return err;
	}
	*out = r;
	*n   = (size_t) k;
	return SN_OK;
}

static void
statuses_read(sn_tx *tx, PGresult *res, void *arg)
{
	bank_gateway_store_slot *s  = arg;
	bank_gateway_statuses_fn fn = (bank_gateway_statuses_fn) s->fn;
	bank_gateway_status_row *rows;
	size_t                   n;
	sn_err                   err = read_statuses(res, &rows, &n);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	fn(tx, rows, n, s->arg);
	free(rows);
}

sn_err
bank_gateway_store_message_statuses(sn_tx *tx, const char *msg_id,
    bank_gateway_store_slot *slot, bank_gateway_statuses_fn fn, void *arg)
{
	const char *v[] = { msg_id };
	slot_set(slot, (void (*)(void)) fn, arg);
	return sn_tx_query(tx,
	    "SELECT t.end_to_end_id," STATUS_COLS
	    " FROM transactions t JOIN messages m ON m.msg_id = "
	    "t.msg_id" SETTLED_JOIN " WHERE t.msg_id = $1 ORDER BY t.position",
	    1, v, statuses_read, slot);
}

/* A db form's callback until its result arrives (sn_db_query's done
 * always runs, so it is freed there). */
typedef struct pending {
	void (*fn)(void);
	void *arg;
} pending;

static pending *
pending_new(void (*fn)(void), void *arg)
{
	pending *p = malloc(sizeof(*p));
	if (p != NULL) {
		p->fn  = fn;
		p->arg = arg;
	}
	return p;
}

static void
latest_done(sn_err err, PGresult *res, void *arg)
{
	pending                      *p = arg;
	bank_gateway_statuses_done_fn fn
	    = (bank_gateway_statuses_done_fn) p->fn;
	bank_gateway_status_row *rows = NULL;
	size_t                   n    = 0;
	if (err == SN_OK)
		err = res != NULL ? read_statuses(res, &rows, &n) : SN_EDB;
	fn(err, rows, n, p->arg);
	free(rows);
	free(p);
}

sn_err
bank_gateway_store_latest(sn_db *db, const char *const *ids, size_t n,
    bank_gateway_statuses_done_fn done, void *arg)
{
	sn_pgarray a;
	sn_pgarray_init(&a);
	for (size_t i = 0; i < n; i++)
		sn_pgarray_add(&a, ids[i]);
	const char *v[] = { sn_pgarray_text(&a) };
	pending    *p
	    = v[0] != NULL ? pending_new((void (*)(void)) done, arg) : NULL;
	if (p != NULL)
		sn_db_query(db,
		    "SELECT q.id AS end_to_end_id," STATUS_COLS
		    " FROM unnest($1::text[]) WITH ORDINALITY AS q(id, ord)"
		    " LEFT JOIN LATERAL (SELECT t.* FROM transactions t"
		    " JOIN messages mm ON mm.msg_id = t.msg_id"
		    " WHERE t.end_to_end_id = q.id AND mm.state <> 'refused'"
		    " ORDER BY mm.seq DESC LIMIT 1) t ON true"
		    " LEFT JOIN messages m ON m.msg_id = t.msg_id" SETTLED_JOIN
		    " ORDER BY q.ord",
		    1, v, latest_done, p);
	sn_pgarray_fini(&a);
	return p != NULL ? SN_OK : SN_ENOMEM;
}

/* ---- statements and reconciliation -------------------------------------- */

sn_err
bank_gateway_store_statement(sn_tx *tx, const char *account, sn_date day,
    const char *camt_msg_id, const char *source, const char *document,
    size_t len, const bank_gateway_camt054_entry *e, size_t n)
{
	enum { EREF, BREF, E2E, MSG, AMT, CCY, DEBIT, REV, STS, BOOKED, NCOL };
	sn_pgarray a[NCOL];
	char       d[SN_DATE_STRLEN];
	for (int k = 0; k < NCOL; k++)
		sn_pgarray_init(&a[k]);
	for (size_t i = 0; i < n; i++) {
		sn_pgarray_add(&a[EREF], e[i].entry_ref);
		sn_pgarray_add(&a[BREF], e[i].bank_ref);
		sn_pgarray_add(&a[E2E], e[i].end_to_end_id);
		sn_pgarray_add(&a[MSG], e[i].msg_id);
		sn_pgarray_add_i64(&a[AMT], e[i].amount);
		sn_pgarray_add(&a[CCY], e[i].currency);
		sn_pgarray_add(&a[DEBIT], e[i].debit ? "t" : "f");
		sn_pgarray_add(&a[REV], e[i].reversal ? "t" : "f");
		sn_pgarray_add(&a[STS], e[i].status);
		sn_pgarray_add(&a[BOOKED], e[i].booking_date);
	}
	sn_date_format(day, d);
	const char *arr[NCOL];
	sn_err      err = arrays_text(a, NCOL, arr);
	if (err == SN_OK) {
		const char *v[] = { account, d };
		err             = sn_tx_query(tx,
		                "DELETE FROM statements WHERE account = $1"
		                            " AND day = $2::date",
		                2, v, NULL, NULL);
	}
	if (err == SN_OK) {
		const char *v[]
		    = { account, d, camt_msg_id, source, document };
		const int l[] = { 0, 0, 0, 0, (int) len };
		const int f[] = { 0, 0, 0, 0, 1 };
		err           = sn_tx_query_bin(tx,
		              "INSERT INTO statements (account, day, camt_msg_id,"
		                        " source, document) VALUES ($1, $2::date, $3, $4, $5)",
		              5, v, l, f, 0, NULL, NULL);
	}
	if (err == SN_OK && n > 0) {
		const char *v[] = { account, d, arr[EREF], arr[BREF], arr[E2E],
			arr[MSG], arr[AMT], arr[CCY], arr[DEBIT], arr[REV],
			arr[STS], arr[BOOKED] };
		err             = sn_tx_query(tx,
		                "INSERT INTO entries (account, day, position,"
		                            " entry_ref, bank_ref, end_to_end_id, msg_id,"
		                            " amount_fen, currency, debit, reversal, status,"
		                            " booking_date) SELECT $1, $2::date, pos::integer,"
		                            " eref, bref, e2e, msg, amt, ccy, debit, rev, sts,"
		                            " booked FROM unnest($3::text[], $4::text[],"
		                            " $5::text[], $6::text[], $7::bigint[], $8::text[],"
		                            " $9::boolean[], $10::boolean[], $11::text[],"
		                            " $12::text[]) WITH ORDINALITY AS r(eref, bref, e2e,"
		                            " msg, amt, ccy, debit, rev, sts, booked, pos)",
		                12, v, NULL, NULL);
	}
	arrays_fini(a, NCOL);
	return err;
}

static const sn_col settled_cols[] = {
	SN_COL(bank_gateway_settled_row, end_to_end_id, SN_COL_TEXT),
	SN_COL(bank_gateway_settled_row, amount_fen, SN_COL_I64),
	SN_COL(bank_gateway_settled_row, run_id, SN_COL_TEXT),
	SN_COL(bank_gateway_settled_row, fund, SN_COL_TEXT),
	SN_COL(bank_gateway_settled_row, settled_day, SN_COL_DATE),
};

static void
settled_read(sn_tx *tx, PGresult *res, void *arg)
{
	bank_gateway_store_slot  *s  = arg;
	bank_gateway_settled_fn   fn = (bank_gateway_settled_fn) s->fn;
	sn_rows                   rows;
	bank_gateway_settled_row *r = NULL;
	sn_err                    err
	    = sn_rows_open(&rows, res, settled_cols, SN_NCOLS(settled_cols));
	int k = err == SN_OK ? sn_rows_count(&rows) : 0;
	if (err == SN_OK && k > 0
	    && (r = calloc((size_t) k, sizeof(*r))) == NULL)
		err = SN_ENOMEM;
	for (int i = 0; err == SN_OK && i < k; i++)
		err = sn_rows_read(&rows, i, &r[i]);
	if (err != SN_OK) {
		sn_rows_close(&rows);
		free(r);
		sn_tx_rollback(tx, err);
		return;
	}
	fn(tx, r, (size_t) k, s->arg);
	sn_rows_close(&rows);
	free(r);
}

sn_err
bank_gateway_store_settled(sn_tx *tx, sn_date day,
    bank_gateway_store_slot *slot, bank_gateway_settled_fn fn, void *arg)
{
	char        d[SN_DATE_STRLEN];
	const char *v[] = { sn_date_format(day, d) };
	slot_set(slot, (void (*)(void)) fn, arg);
	return sn_tx_query(tx,
	    "SELECT s.end_to_end_id, s.amount_fen, s.run_id, s.fund,"
	    " s.settled_day FROM settlements s"
	    " WHERE EXISTS (SELECT 1 FROM entries e"
	    " WHERE e.end_to_end_id = s.end_to_end_id AND e.status = 'BOOK'"
	    " AND e.day = $1::date)"
	    " OR (s.settled_day = $1::date AND NOT EXISTS (SELECT 1"
	    " FROM entries e WHERE e.end_to_end_id = s.end_to_end_id"
	    " AND e.status = 'BOOK' AND e.day <> $1::date))"
	    " ORDER BY s.end_to_end_id",
	    1, v, settled_read, slot);
}

typedef struct entry_row {
	const char *account, *camt_msg_id, *fetched_at, *source;
	bool        has_entry;
	int64_t     position;
	const char *entry_ref, *bank_ref, *end_to_end_id, *msg_id;
	int64_t     amount_fen;
	const char *currency;
	bool        debit, reversal;
	const char *status, *booking_date;
	bool        has_amount, has_debit, has_reversal;
} entry_row;

static const sn_col entry_cols[] = {
	SN_COL(entry_row, account, SN_COL_TEXT),
	SN_COL(entry_row, camt_msg_id, SN_COL_TEXT),
	SN_COL(entry_row, fetched_at, SN_COL_TEXT),
	SN_COL(entry_row, source, SN_COL_TEXT),
	SN_COL_OPT(entry_row, position, SN_COL_I64, has_entry),
	SN_COL_OPT(entry_row, entry_ref, SN_COL_TEXT, has_entry),
	SN_COL_OPT(entry_row, bank_ref, SN_COL_TEXT, has_entry),
	SN_COL_OPT(entry_row, end_to_end_id, SN_COL_TEXT, has_entry),
	SN_COL_OPT(entry_row, msg_id, SN_COL_TEXT, has_entry),
	SN_COL_OPT(entry_row, amount_fen, SN_COL_I64, has_amount),
	SN_COL_OPT(entry_row, currency, SN_COL_TEXT, has_entry),
	SN_COL_OPT(entry_row, debit, SN_COL_BOOL, has_debit),
	SN_COL_OPT(entry_row, reversal, SN_COL_BOOL, has_reversal),
	SN_COL_OPT(entry_row, status, SN_COL_TEXT, has_entry),
	SN_COL_OPT(entry_row, booking_date, SN_COL_TEXT, has_entry),
};

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static void
entries_read(sn_tx *tx, PGresult *res, void *arg)
{
	bank_gateway_store_slot    *s  = arg;
	bank_gateway_entries_fn     fn = (bank_gateway_entries_fn) s->fn;
	sn_rows                     rows;
	bank_gateway_statement_row *st = NULL;
	bank_gateway_camt054_entry *e  = NULL;
	size_t                      ns = 0, ne = 0;
	sn_err                      err
	    = sn_rows_open(&rows, res, entry_cols, SN_NCOLS(entry_cols));
	int k = err == SN_OK ? sn_rows_count(&rows) : 0;
	if (err == SN_OK && k > 0
	    && ((st = calloc((size_t) k, sizeof(*st))) == NULL
	        || (e = calloc((size_t) k, sizeof(*e))) == NULL))
		err = SN_ENOMEM;
	for (int i = 0; err == SN_OK && i < k; i++) {
		entry_row r;
		if ((err = sn_rows_read(&rows, i, &r)) != SN_OK)
			break;
		if (ns == 0 || strcmp(st[ns - 1].account, r.account) != 0)
			st[ns++] = (bank_gateway_statement_row) {
				.account     = r.account,
				.camt_msg_id = r.camt_msg_id,
				.fetched_at  = r.fetched_at,
				.source      = r.source,
			};
		if (!r.has_entry)
			continue;
		bank_gateway_camt054_entry *x = &e[ne++];
		copy(x->account, sizeof x->account, r.account);
		copy(x->entry_ref, sizeof x->entry_ref, r.entry_ref);
		copy(x->bank_ref, sizeof x->bank_ref, r.bank_ref);
		copy(x->end_to_end_id, sizeof x->end_to_end_id,
		    r.end_to_end_id);
		copy(x->msg_id, sizeof x->msg_id, r.msg_id);
		x->amount = r.amount_fen;
		copy(x->currency, sizeof x->currency, r.currency);
		x->debit    = r.debit;
		x->reversal = r.reversal;
		copy(x->status, sizeof x->status, r.status);
		copy(x->booking_date, sizeof x->booking_date, r.booking_date);
	}
	if (err != SN_OK) {
		sn_rows_close(&rows);
		free(st);
		free(e);
		sn_tx_rollback(tx, err);
		return;
	}
	fn(tx, st, ns, e, ne, s->arg);
	sn_rows_close(&rows);
	free(st);
	free(e);
}

sn_err
bank_gateway_store_entries(sn_tx *tx, sn_date day,
    bank_gateway_store_slot *slot, bank_gateway_entries_fn fn, void *arg)
{
	char        d[SN_DATE_STRLEN];
	const char *v[] = { sn_date_format(day, d) };
	slot_set(slot, (void (*)(void)) fn, arg);
	return sn_tx_query(tx,
	    "SELECT s.account, s.camt_msg_id, " STAMP(
	        "s.fetched_at") " AS fetched_at, s.source, e.position, "
	                        "e.entry_ref, e.bank_ref,"
	                        " e.end_to_end_id, e.msg_id, e.amount_fen, "
	                        "e.currency, e.debit,"
	                        " e.reversal, e.status, e.booking_date"
	                        " FROM statements s LEFT JOIN entries e ON "
	                        "e.account = s.account"
	                        " AND e.day = s.day WHERE s.day = $1::date"
	                        " ORDER BY s.account, e.position",
	    1, v, entries_read, slot);
}

sn_err
bank_gateway_store_reconciliation(sn_tx *tx, sn_date day,
    const char *reconciled_at, bool balanced, const char *summary,
    const bank_gateway_item_in *it, size_t n_items,
    const bank_gateway_run_in *runs, size_t n_runs)
{
	enum { KIND, E2E, RUN, EXP, BOOK, DIFF, NENT, ACCT, BREF, MSG, NCOL };
	enum { R_ID, R_BAL, R_SUM, NRCOL };
	sn_pgarray a[NCOL], r[NRCOL];
	char       d[SN_DATE_STRLEN];
	for (int k = 0; k < NCOL; k++)
		sn_pgarray_init(&a[k]);
	for (int k = 0; k < NRCOL; k++)
		sn_pgarray_init(&r[k]);
	for (size_t i = 0; i < n_items; i++) {
		sn_pgarray_add(&a[KIND], it[i].kind);
		sn_pgarray_add(&a[E2E], it[i].end_to_end_id);
		sn_pgarray_add(&a[RUN], it[i].run_id);
		sn_pgarray_add_i64(&a[EXP], it[i].expected_fen);
		sn_pgarray_add_i64(&a[BOOK], it[i].booked_fen);
		sn_pgarray_add_i64(&a[DIFF], it[i].difference_fen);
		sn_pgarray_add_i64(&a[NENT], it[i].n_entries);
		sn_pgarray_add(&a[ACCT], it[i].account);
		sn_pgarray_add(&a[BREF], it[i].bank_ref);
		sn_pgarray_add(&a[MSG], it[i].msg_id);
	}
	for (size_t i = 0; i < n_runs; i++) {
		sn_pgarray_add(&r[R_ID], runs[i].run_id);
		sn_pgarray_add(&r[R_BAL], runs[i].balanced ? "t" : "f");
		sn_pgarray_add(&r[R_SUM], runs[i].summary);
	}
	sn_date_format(day, d);
	const char *arr[NCOL], *rarr[NRCOL];
	sn_err      err = arrays_text(a, NCOL, arr);
	if (err == SN_OK)
		err = arrays_text(r, NRCOL, rarr);
	if (err == SN_OK) {
		const char *v[] = { d };
		err             = sn_tx_query(tx,
		                "DELETE FROM reconciliations WHERE day = $1::date", 1, v,
		                NULL, NULL);
	}
	if (err == SN_OK) {
		const char *v[]
		    = { d, reconciled_at, balanced ? "t" : "f", summary };
		err = sn_tx_query(tx,
		    "INSERT INTO reconciliations (day, reconciled_at,"
		    " balanced, summary) VALUES ($1::date,"
		    " $2::timestamptz, $3::boolean, $4::jsonb)",
		    4, v, NULL, NULL);
	}
	if (err == SN_OK && n_items > 0) {
		const char *v[] = { d, arr[KIND], arr[E2E], arr[RUN], arr[EXP],
			arr[BOOK], arr[DIFF], arr[NENT], arr[ACCT], arr[BREF],
			arr[MSG] };
		err             = sn_tx_query(tx,
		                "INSERT INTO reconciliation_items (day, kind,"
		                            " end_to_end_id, run_id, expected_fen, booked_fen,"
		                            " difference_fen, n_entries, account, bank_ref,"
		                            " msg_id) SELECT $1::date, kind, e2e, run, exp, book,"
		                            " diff, nent::integer, acct, bref, msg FROM"
		                            " unnest($2::text[], $3::text[], $4::text[],"
		                            " $5::bigint[], $6::bigint[], $7::bigint[],"
		                            " $8::bigint[], $9::text[], $10::text[], $11::text[])"
		                            " WITH ORDINALITY AS r(kind, e2e, run, exp, book, diff,"
		                            " nent, acct, bref, msg, pos) ORDER BY pos",
		                11, v, NULL, NULL);
	}
	if (err == SN_OK && n_runs > 0) {
		const char *v[] = { d, rarr[R_ID], rarr[R_BAL], rarr[R_SUM] };
		err             = sn_tx_query(tx,
		                "INSERT INTO reconciliation_runs (day, run_id, balanced,"
		                            " summary) SELECT $1::date, id, bal, sum::jsonb FROM"
		                            " unnest($2::text[], $3::boolean[], $4::text[])"
		                            " AS r(id, bal, sum)",
		                4, v, NULL, NULL);
	}
	arrays_fini(a, NCOL);
	arrays_fini(r, NRCOL);
	return err;
}

typedef struct json_row {
	const char *doc;
	bool        has_doc;
} json_row;

static const sn_col json_cols[] = {
	SN_COL_OPT(json_row, doc, SN_COL_TEXT, has_doc),
};

static void
json_done(sn_err err, PGresult *res, void *arg)
{
	pending *p     = arg;
	json_row j     = { NULL, false };
	bool     found = false;
	if (err == SN_OK)
		err = res != NULL ? sn_rows_opt(
		          res, json_cols, SN_NCOLS(json_cols), &j, &found)
		                  : SN_EDB;
	((bank_gateway_json_fn) p->fn)(
	    err, err == SN_OK && found && j.has_doc ? j.doc : NULL, p->arg);
	free(p);
}

sn_err
bank_gateway_store_reconciliation_get(
    sn_db *db, sn_date day, bank_gateway_json_fn done, void *arg)
{
	char        d[SN_DATE_STRLEN];
	const char *v[] = { sn_date_format(day, d) };
	pending    *p   = pending_new((void (*)(void)) done, arg);
	if (p == NULL)
		return SN_ENOMEM;
	sn_db_query(db,
	    "SELECT summary::text AS doc FROM reconciliations"
	    " WHERE day = $1::date",
	    1, v, json_done, p);
	return SN_OK;
}

sn_err
bank_gateway_store_reconciliation_items(sn_db *db, sn_date day,
    const char *kind, const sn_page *page, bank_gateway_json_fn done,
    void *arg)
{
	char        d[SN_DATE_STRLEN], after[24], l[24];
	const char *v[] = { sn_date_format(day, d), kind,
		fmt_i64(after, page->after), fmt_i64(l, page->limit) };
	pending    *p   = pending_new((void (*)(void)) done, arg);
	if (p == NULL)
		return SN_ENOMEM;
	/* NULL (no row of reconciliations) when the day was never
	 * reconciled; else {items, more, last}. */
	sn_db_query(db,
	    "WITH r AS (SELECT seq AS k, kind, end_to_end_id, run_id,"
	    " expected_fen, booked_fen, difference_fen, n_entries, account,"
	    " bank_ref, msg_id FROM reconciliation_items WHERE day = $1::date"
	    " AND ($2::text IS NULL OR kind = $2) AND seq > $3::bigint"
	    " ORDER BY seq LIMIT $4::integer + 1),"
	    " pg AS (SELECT * FROM r ORDER BY k LIMIT $4::integer)"
	    " SELECT json_build_object("
	    "'items', (SELECT coalesce(json_agg(json_build_object("
	    "'kind', kind, 'end_to_end_id', end_to_end_id, 'run_id', run_id,"
	    " 'expected_fen', expected_fen, 'booked_fen', booked_fen,"
	    " 'difference_fen', difference_fen, 'entries', n_entries,"
	    " 'account', account, 'bank_ref', bank_ref, 'msg_id', msg_id)"
	    " ORDER BY k), '[]'::json) FROM pg),"
	    " 'more', (SELECT count(*) FROM r) > $4::integer,"
	    " 'last', coalesce((SELECT max(k) FROM pg), 0))::text AS doc"
	    " FROM reconciliations WHERE day = $1::date",
	    4, v, json_done, p);
	return SN_OK;
}
