/*
 * agency-sim/store.c - see store.h.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>

sn_err
agency_sim_store_qnotice(sn_tx *tx, const agency_sim_notice_row *n)
{
	char        wage[24];
	const char *v[8];
	snprintf(wage, sizeof(wage), "%lld", (long long) n->monthly_wage_fen);
	v[0] = n->notice_id;
	v[1] = n->agency;
	v[2] = n->kind;
	v[3] = n->id_number;
	v[4] = n->effective_date;
	v[5] = wage;
	v[6] = n->note != NULL ? n->note : "";
	v[7] = n->issued_at;
	return sn_tx_query(tx,
	    "INSERT INTO notice (notice_id, agency, kind, id_number,"
	    " effective_date, monthly_wage_fen, note, issued_at)"
	    " VALUES ($1::uuid, $2, $3, $4, $5::date, $6::bigint, $7,"
	    " $8::timestamptz)",
	    8, v, NULL, NULL);
}

static const sn_col notice_cols[] = {
	SN_COL(agency_sim_notice_row, notice_id, SN_COL_TEXT),
	SN_COL(agency_sim_notice_row, agency, SN_COL_TEXT),
	SN_COL(agency_sim_notice_row, kind, SN_COL_TEXT),
	SN_COL(agency_sim_notice_row, id_number, SN_COL_TEXT),
	SN_COL(agency_sim_notice_row, effective_date, SN_COL_TEXT),
	SN_COL(agency_sim_notice_row, monthly_wage_fen, SN_COL_I64),
	SN_COL(agency_sim_notice_row, note, SN_COL_TEXT),
	SN_COL(agency_sim_notice_row, issued_at, SN_COL_TEXT),
	SN_COL(agency_sim_notice_row, list_seq, SN_COL_I64),
};

struct notices_call {
	agency_sim_store_notices_fn done;
	void                       *arg;
	uint32_t                    limit;
};

/* Reads the rows of res into rows (n of them); SN_ENOMEM, SN_EPROTO. */
static sn_err
read_rows(const PGresult *res, agency_sim_notice_row **out, size_t *n)
{
	sn_rows rows;
	sn_err  err
	    = sn_rows_open(&rows, res, notice_cols, SN_NCOLS(notice_cols));
	int count = err == SN_OK ? sn_rows_count(&rows) : 0;
	*out      = calloc(count > 0 ? (size_t) count : 1, sizeof(**out));
	if (err == SN_OK && *out == NULL)
		err = SN_ENOMEM;
	for (int i = 0; err == SN_OK && i < count; i++)
		err = sn_rows_read(&rows, i, &(*out)[i]);
	sn_rows_close(&rows);
	*n = err == SN_OK ? (size_t) count : 0;
	return err;
}

static void
notices_read(sn_err err, PGresult *res, void *arg)
{
	struct notices_call    c    = *(struct notices_call *) arg;
	agency_sim_notice_row *rows = NULL;
	size_t                 n    = 0;
	bool                   more = false;

	free(arg);
	if (err == SN_OK)
		err = res != NULL ? read_rows(res, &rows, &n) : SN_EDB;
	if (err == SN_OK && c.limit > 0 && n > c.limit) {
		more = true;
		n    = c.limit;
	}
	c.done(c.arg, err, err == SN_OK ? rows : NULL, n, more);
	free(rows);
}

void
agency_sim_store_notices(sn_db *db, const char *id_number, int64_t after,
    uint32_t limit, agency_sim_store_notices_fn done, void *arg)
{
	struct notices_call *c = malloc(sizeof(*c));
	char                 lim[16], aft[24];
	const char          *v[3];

	if (c == NULL) {
		done(arg, SN_ENOMEM, NULL, 0, false);
		return;
	}
	*c = (struct notices_call) { done, arg, limit };
	snprintf(lim, sizeof(lim), "%u", limit + 1);
	snprintf(aft, sizeof(aft), "%lld", (long long) after);
	v[0] = id_number;
	v[1] = limit > 0 ? lim : NULL;
	v[2] = aft;
	sn_db_query(db,
	    "SELECT notice_id, agency, kind, id_number,"
	    " to_char(effective_date, 'YYYY-MM-DD') AS effective_date,"
	    " monthly_wage_fen, note,"
	    " to_char(issued_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS issued_at,"
	    " list_seq"
	    " FROM notice WHERE ($1::text IS NULL OR id_number = $1)"
	    " AND list_seq > $3::bigint"
	    " ORDER BY list_seq LIMIT $2::bigint",
	    3, v, notices_read, c);
}
