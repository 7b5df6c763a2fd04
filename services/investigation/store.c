/*
 * store.c - every SQL statement of investigation; see store.h.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/log.h"

/* The members come as one JSON array so that a task and its members are
 * one statement: a conflict on (kind, origin_id) inserts neither. */
static const char SQL_OPEN_TASK[]
    = "WITH t AS ("
      " INSERT INTO task (kind, origin_id, application_id, review_id,"
      "  registration, district_code, township_code, village_code, address,"
      "  has_able_supporter, applicant_id_number, not_before, accepted_date,"
      "  deadline_date, wages_fen, business_fen, pensions_fen,"
      "  other_income_fen, medical_fen, education_fen, housing_fen,"
      "  employment_costs_fen, requested_category, taken_in_by, reason,"
      "  source_event)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::boolean, $11,"
      "  $12::date, $13::date, $14::date, $15::bigint, $16::bigint,"
      "  $17::bigint, $18::bigint, $19::bigint, $20::bigint, $21::bigint,"
      "  $22::bigint, $23, $24, $25, $26::uuid)"
      " ON CONFLICT (kind, origin_id) DO NOTHING"
      " RETURNING id)"
      " INSERT INTO task_member (task_id, ord, id_number, name, relation,"
      "  birth_date, labour_capacity, disability_grade, self_care)"
      " SELECT t.id, e.ord, e.m->>'id_number', e.m->>'name',"
      "  e.m->>'relation', e.m->>'birth_date', e.m->>'labour_capacity',"
      "  (e.m->>'disability_grade')::int, e.m->>'self_care'"
      " FROM t, jsonb_array_elements($27::jsonb) WITH ORDINALITY AS e(m, ord)";

static const char SQL_CANCEL_TASK[]
    = "UPDATE task SET status = 'cancelled', cancelled_at = now(),"
      " cancel_reason = $2"
      " WHERE kind = 'application' AND origin_id = $1 AND status = 'open'";

static const char SQL_TASK_ROW[]
    = "SELECT t.status, t.village_code, t.application_id,"
      " COALESCE(t.review_id, '') AS review_id,"
      " t.applicant_id_number AS applicant_id,"
      " to_char(t.not_before, 'YYYY-MM-DD') AS not_before,"
      " m.id_number AS member_id"
      " FROM task t LEFT JOIN task_member m ON m.task_id = t.id"
      " WHERE t.id = $1::uuid ORDER BY m.ord FOR UPDATE OF t";

static const char SQL_CLOSE_TASK[]
    = "WITH t AS ("
      " UPDATE task SET status = 'closed', closed_at = now()"
      " WHERE id = $1::uuid AND status = 'open' RETURNING id)"
      " INSERT INTO report (task_id, submitted_by, investigator1,"
      "  investigator1_idn, investigator2, investigator2_idn, visit_date,"
      "  members, living_conditions, housing_condition, contradictions,"
      "  recommendation)"
      " SELECT t.id, $2, $3, $4, $5, $6, $7::date, $8::jsonb, $9, $10,"
      "  $11::jsonb, $12 FROM t"
      " RETURNING task_id";

static const char SQL_TASK_DOC[]
    = "SELECT doc::text AS doc FROM task_doc WHERE id = $1::uuid";

static const char SQL_LIST_VILLAGE[]
    = "SELECT coalesce(json_agg(doc ORDER BY list_seq)"
      "  FILTER (WHERE rn <= $4::int), '[]')::text AS tasks,"
      " count(*) > $4::int AS more,"
      " coalesce(max(list_seq) FILTER (WHERE rn <= $4::int), 0) AS last"
      " FROM (SELECT d.doc, t.list_seq,"
      "  row_number() OVER (ORDER BY t.list_seq) AS rn"
      "  FROM task t JOIN task_doc d ON d.id = t.id"
      "  WHERE t.village_code = $1 AND ($2 = 'all' OR t.status = $2)"
      "  AND t.list_seq > $3::bigint"
      "  ORDER BY t.list_seq LIMIT $4::int + 1) s";

static const char SQL_LIST_TOWNSHIP[]
    = "SELECT coalesce(json_agg(doc ORDER BY list_seq)"
      "  FILTER (WHERE rn <= $4::int), '[]')::text AS tasks,"
      " count(*) > $4::int AS more,"
      " coalesce(max(list_seq) FILTER (WHERE rn <= $4::int), 0) AS last"
      " FROM (SELECT d.doc, t.list_seq,"
      "  row_number() OVER (ORDER BY t.list_seq) AS rn"
      "  FROM task t JOIN task_doc d ON d.id = t.id"
      "  WHERE t.township_code = $1 AND ($2 = 'all' OR t.status = $2)"
      "  AND t.list_seq > $3::bigint"
      "  ORDER BY t.list_seq LIMIT $4::int + 1) s";

static const char SQL_OPEN_COUNTS[]
    = "SELECT township_code, count(*) AS open_tasks FROM task"
      " WHERE status = 'open'"
      " GROUP BY township_code";

static const char *const kind_names[] = { "application", "review" };
static const char *const status_names[]
    = { "open", "closed", "cancelled", NULL };
static const char *const list_names[]
    = { "open", "closed", "cancelled", "all" };
static const char *const rec_names[]
    = { "", "approve", "reject", "further_review" };

/* A date parameter, or NULL (SQL NULL) when has is false. */
static const char *
date_param(bool has, sn_date d, char buf[SN_DATE_STRLEN])
{
	return has ? sn_date_format(d, buf) : NULL;
}

sn_err
investigation_store_open_task(sn_tx *tx, const investigation_new_task *t)
{
	char amt[8][24], nb[SN_DATE_STRLEN], acc[SN_DATE_STRLEN],
	    dl[SN_DATE_STRLEN];
	const char   *v[27];
	const int64_t figures[8] = { t->wages_fen, t->business_fen,
		t->pensions_fen, t->other_income_fen, t->medical_fen,
		t->education_fen, t->housing_fen, t->employment_costs_fen };

	v[0]  = kind_names[t->kind];
	v[1]  = t->origin_id;
	v[2]  = t->application_id;
	v[3]  = t->review_id;
	v[4]  = t->registration;
	v[5]  = t->district_code;
	v[6]  = t->township_code;
	v[7]  = t->village_code;
	v[8]  = t->address;
	v[9]  = t->has_able_supporter ? "true" : "false";
	v[10] = t->applicant_id_number;
	v[11] = sn_date_format(t->not_before, nb);
	v[12] = date_param(t->has_accepted_date, t->accepted_date, acc);
	v[13] = date_param(t->has_deadline_date, t->deadline_date, dl);
	for (int i = 0; i < 8; i++) {
		snprintf(amt[i], sizeof(amt[i]), "%" PRId64, figures[i]);
		v[14 + i] = t->has_declared ? amt[i] : NULL;
	}
	v[22] = t->requested_category;
	v[23] = t->taken_in_by;
	v[24] = t->reason;
	v[25] = t->source_event;
	v[26] = t->members_json;
	return sn_tx_query(tx, SQL_OPEN_TASK, 27, v, NULL, NULL);
}

sn_err
investigation_store_cancel_task(
    sn_tx *tx, const char *application_id, const char *reason)
{
	const char *v[2] = { application_id, reason };
	return sn_tx_query(tx, SQL_CANCEL_TASK, 2, v, NULL, NULL);
}

/* A row of SQL_TASK_ROW: the task, once per member. */
typedef struct task_row {
	int         status; /* investigation_task_status */
	char        village_code[16];
	char        application_id[128];
	char        review_id[128];
	char        applicant_id[24];
	sn_date     not_before;
	bool        has_member_id;
	const char *member_id;
} task_row;

static const sn_col task_cols[] = {
	SN_COL_ENUMOF(task_row, status, status_names),
	SN_COL(task_row, village_code, SN_COL_CHARS),
	SN_COL(task_row, application_id, SN_COL_CHARS),
	SN_COL(task_row, review_id, SN_COL_CHARS),
	SN_COL(task_row, applicant_id, SN_COL_CHARS),
	SN_COL(task_row, not_before, SN_COL_DATE),
	SN_COL_OPT(task_row, member_id, SN_COL_TEXT, has_member_id),
};

/* Fills t from the rows; SN_ENOTFOUND for none. */
static sn_err
task_read(const PGresult *res, investigation_task *t)
{
	sn_rows rows;
	sn_err  err = sn_rows_open(&rows, res, task_cols, SN_NCOLS(task_cols));
	memset(t, 0, sizeof(*t));
	if (err == SN_OK && sn_rows_count(&rows) == 0)
		err = SN_ENOTFOUND;
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows); i++) {
		task_row r;
		if ((err = sn_rows_read(&rows, i, &r)) != SN_OK)
			break;
		if (i == 0) {
			t->status     = (investigation_task_status) r.status;
			t->not_before = r.not_before;
			memcpy(t->village_code, r.village_code,
			    sizeof(t->village_code));
			memcpy(t->application_id, r.application_id,
			    sizeof(t->application_id));
			memcpy(
			    t->review_id, r.review_id, sizeof(t->review_id));
			memcpy(t->applicant_id, r.applicant_id,
			    sizeof(t->applicant_id));
		}
		if (!r.has_member_id
		    || t->nmembers == INVESTIGATION_MAX_MEMBERS)
			continue;
		if (strlen(r.member_id) >= sizeof(t->member_ids[0])) {
			sn_log(SN_LOG_ERROR, "a task member's id is too long",
			    "column", "member_id", NULL);
			err = SN_EPROTO;
			break;
		}
		snprintf(t->member_ids[t->nmembers], sizeof(t->member_ids[0]),
		    "%s", r.member_id);
		t->nmembers++;
	}
	sn_rows_close(&rows);
	return err;
}

static void
on_task(sn_tx *tx, PGresult *res, void *arg)
{
	investigation_task_op *op = arg;
	investigation_task     t;
	sn_err                 err = task_read(res, &t);
	if (err == SN_ENOTFOUND)
		op->done(tx, SN_OK, NULL, op->arg);
	else
		op->done(tx, err, err == SN_OK ? &t : NULL, op->arg);
}

sn_err
investigation_store_task(sn_tx *tx, const char *id, investigation_task_op *op)
{
	const char *v[1] = { id };
	return sn_tx_query(tx, SQL_TASK_ROW, 1, v, on_task, op);
}

static void
on_closed(sn_tx *tx, PGresult *res, void *arg)
{
	investigation_close_op *op = arg;
	op->done(tx, sn_rows_affected(res) == 1, op->arg);
}

sn_err
investigation_store_close_task(
    sn_tx *tx, const investigation_new_report *r, investigation_close_op *op)
{
	char        visit[SN_DATE_STRLEN];
	const char *v[12] = { r->task_id, r->submitted_by, r->investigator[0],
		r->investigator_idn[0], r->investigator[1],
		r->investigator_idn[1], sn_date_format(r->visit_date, visit),
		r->members_json, r->living_conditions, r->housing_condition,
		r->contradictions_json, rec_names[r->recommendation] };
	return sn_tx_query(tx, SQL_CLOSE_TASK, 12, v, on_closed, op);
}

typedef struct doc_row {
	const char *doc;
} doc_row;

static const sn_col doc_cols[] = {
	SN_COL(doc_row, doc, SN_COL_TEXT),
};

/* The document of res; NULL (err SN_OK) when there is no row. */
static sn_err
doc_read(const PGresult *res, const char **doc)
{
	doc_row r;
	sn_err  err = sn_rows_one(res, doc_cols, SN_NCOLS(doc_cols), &r);
	*doc        = err == SN_OK ? r.doc : NULL;
	return err == SN_ENOTFOUND ? SN_OK : err;
}

static void
on_doc_tx(sn_tx *tx, PGresult *res, void *arg)
{
	investigation_doc_op *op = arg;
	const char           *doc;
	sn_err                err = doc_read(res, &doc);
	op->done(tx, err, doc, op->arg);
}

sn_err
investigation_store_task_doc_tx(
    sn_tx *tx, const char *id, investigation_doc_op *op)
{
	const char *v[1] = { id };
	return sn_tx_query(tx, SQL_TASK_DOC, 1, v, on_doc_tx, op);
}

/* The caller's callback of a read of its own, and its arg. */
struct read_ctx {
	union {
		investigation_doc_fn    doc;
		investigation_page_fn   page;
		investigation_counts_fn counts;
	} done;
	void *arg;
};

static struct read_ctx *
read_ctx_new(void *arg)
{
	struct read_ctx *c = malloc(sizeof(*c));
	if (c == NULL)
		abort();
	c->arg = arg;
	return c;
}

static void
on_doc(sn_err err, PGresult *res, void *arg)
{
	struct read_ctx *c   = arg;
	const char      *doc = NULL;
	if (err == SN_OK)
		err = res != NULL ? doc_read(res, &doc) : SN_EDB;
	c->done.doc(err, doc, c->arg);
	free(c);
}

void
investigation_store_task_doc(
    sn_db *db, const char *id, investigation_doc_fn done, void *arg)
{
	struct read_ctx *c = read_ctx_new(arg);
	c->done.doc        = done;
	const char *v[1]   = { id };
	sn_db_query(db, SQL_TASK_DOC, 1, v, on_doc, c);
}

static const sn_col page_cols[] = {
	SN_COL_AS(investigation_task_page, tasks_json, "tasks", SN_COL_TEXT),
	SN_COL(investigation_task_page, more, SN_COL_BOOL),
	SN_COL(investigation_task_page, last, SN_COL_I64),
};

static void
on_page(sn_err err, PGresult *res, void *arg)
{
	struct read_ctx        *c = arg;
	investigation_task_page p;
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_one(res, page_cols, SN_NCOLS(page_cols), &p)
		    : SN_EDB;
	c->done.page(err, err == SN_OK ? &p : NULL, c->arg);
	free(c);
}

void
investigation_store_list(sn_db *db, const investigation_list_query *q,
    investigation_page_fn done, void *arg)
{
	struct read_ctx *c = read_ctx_new(arg);
	char             lim[24], after[24];
	const char      *v[4] = { q->code, list_names[q->status], after, lim };
	c->done.page          = done;
	snprintf(lim, sizeof(lim), "%" PRId64, q->page.limit);
	snprintf(after, sizeof(after), "%" PRId64, q->page.after);
	sn_db_query(db, q->by_village ? SQL_LIST_VILLAGE : SQL_LIST_TOWNSHIP,
	    4, v, on_page, c);
}

static const sn_col count_cols[] = {
	SN_COL(investigation_open_count, township_code, SN_COL_TEXT),
	SN_COL_AS(investigation_open_count, open, "open_tasks", SN_COL_I64),
};

static void
on_counts(sn_err err, PGresult *res, void *arg)
{
	struct read_ctx          *c    = arg;
	investigation_open_count *rows = NULL;
	size_t                    n    = 0;
	sn_rows                   rs;
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_open(&rs, res, count_cols, SN_NCOLS(count_cols))
		    : SN_EDB;
	if (err == SN_OK) {
		int k = sn_rows_count(&rs);
		rows  = calloc(k > 0 ? (size_t) k : 1, sizeof(*rows));
		if (rows == NULL)
			abort();
		for (int i = 0; err == SN_OK && i < k; i++)
			if ((err = sn_rows_read(&rs, i, &rows[n])) == SN_OK)
				n++;
		sn_rows_close(&rs);
	}
	c->done.counts(
	    err, err == SN_OK ? rows : NULL, err == SN_OK ? n : 0, c->arg);
	free(rows);
	free(c);
}

void
investigation_store_open_counts(
    sn_db *db, investigation_counts_fn done, void *arg)
{
	struct read_ctx *c = read_ctx_new(arg);
	c->done.counts     = done;
	sn_db_query(db, SQL_OPEN_COUNTS, 0, NULL, on_counts, c);
}
