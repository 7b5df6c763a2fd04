/*
 * store.c - every SQL statement of investigation; see store.h.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sn/log.h"
#include "sn/seal.h"
/* The members come as one JSON array so that a task and its members are
 * one statement: a conflict on (kind, origin_id) inserts neither. */
static const char SQL_OPEN_TASK[]
    = "WITH t AS ("
      " INSERT INTO task (kind, origin_id, application_id, review_id,"
      "  registration, district_code, township_code, village_code, address,"
      "  has_able_supporter, applicant_id_number_sealed, not_before,"
      "  accepted_date,"
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
      " INSERT INTO task_member (task_id, ord, id_number_sealed,"
      "  id_number_index, name, relation,"
      "  birth_date, labour_capacity, disability_grade, self_care)"
      " SELECT t.id, e.ord, e.m->>'id_number', e.m->>'id_number_index',"
      "  e.m->>'name',"
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
      " t.applicant_id_number_sealed AS applicant_id,"
      " to_char(t.not_before, 'YYYY-MM-DD') AS not_before,"
      " m.id_number_sealed AS member_id"
      " FROM task t LEFT JOIN task_member m ON m.task_id = t.id"
      " WHERE t.id = $1::uuid ORDER BY m.ord FOR UPDATE OF t";

static const char SQL_CLOSE_TASK[]
    = "WITH t AS ("
      " UPDATE task SET status = 'closed', closed_at = now()"
      " WHERE id = $1::uuid AND status = 'open' RETURNING id)"
      " INSERT INTO report (task_id, submitted_by, investigator1,"
      "  investigator1_idn_sealed, investigator2, investigator2_idn_sealed,"
      "  visit_date, members, living_conditions, housing_condition,"
      "  contradictions, recommendation, investigator1_idn_index,"
      "  investigator2_idn_index)"
      " SELECT t.id, $2, $3, $4, $5, $6, $7::date, $8::jsonb, $9, $10,"
      "  $11::jsonb, $12, $13, $14 FROM t"
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

/* ---- sealed values (issue 11, schema/003_sealed.sql) ---------------- */

/* The places an id number is stored, each sealed under its own name;
 * the documents show them all under "id_number" (sn_sealdb_open_json
 * tries each). The report's members first: what seal_json seals. */
static const sn_sealdb_key doc_keys[] = {
	{ "id_number", INVESTIGATION_AD_REPORT_MEMBERS },
	{ "id_number", INVESTIGATION_AD_MEMBER },
	{ "id_number", INVESTIGATION_AD_INVESTIGATOR1 },
	{ "id_number", INVESTIGATION_AD_INVESTIGATOR2 },
};

/* A document read from SQL with its sealed values opened (malloc'd), or
 * NULL when one does not open (logged). */
static char *
open_doc(const char *json)
{
	char *out = NULL;

	if (json == NULL
	    || sn_sealdb_open_json(
	           sn_seal_default(), json, doc_keys, SN_NCOLS(doc_keys), &out)
	        != SN_OK)
		return NULL;
	return out;
}

/* The task's members (a JSON array) with each id_number sealed under
 * INVESTIGATION_AD_MEMBER and its blind index added as id_number_index;
 * malloc'd, NULL when it cannot be. */
static char *
seal_members(const char *json)
{
	json_t *a = json_loads(json, 0, NULL);
	json_t *m;
	size_t  i;
	char   *out = NULL;
	bool    ok  = json_is_array(a);

	json_array_foreach(a, i, m)
	{
		const char *id
		    = json_string_value(json_object_get(m, "id_number"));
		char  ix[SN_SEAL_INDEX_HEX + 1];
		char *sealed = NULL;

		if (!ok || id == NULL)
			continue;
		sn_seal_index(sn_seal_default(), INVESTIGATION_IX_ID, id, ix);
		ok = sn_seal_text(sn_seal_default(), INVESTIGATION_AD_MEMBER,
		         id, &sealed)
		        == SN_OK
		    && json_object_set_new(
		           m, "id_number_index", json_string(ix))
		        == 0
		    && json_object_set_new(m, "id_number", json_string(sealed))
		        == 0;
		free(sealed);
	}
	if (ok)
		out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

/* value sealed under ad (malloc'd); NULL for NULL or without memory. */
static char *
seal_value(const char *ad, const char *value)
{
	char *out = NULL;

	if (value != NULL)
		(void) sn_seal_text(sn_seal_default(), ad, value, &out);
	return out;
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

	v[0] = kind_names[t->kind];
	v[1] = t->origin_id;
	v[2] = t->application_id;
	v[3] = t->review_id;
	v[4] = t->registration;
	v[5] = t->district_code;
	v[6] = t->township_code;
	v[7] = t->village_code;
	v[8] = t->address;
	v[9] = t->has_able_supporter ? "true" : "false";
	char *applicant
	    = seal_value(INVESTIGATION_AD_APPLICANT, t->applicant_id_number);
	char *members = seal_members(t->members_json);
	v[10]         = applicant;
	v[11]         = sn_date_format(t->not_before, nb);
	v[12] = date_param(t->has_accepted_date, t->accepted_date, acc);
	v[13] = date_param(t->has_deadline_date, t->deadline_date, dl);
	for (int i = 0; i < 8; i++) {
		snprintf(amt[i], sizeof(amt[i]), "%" PRId64, figures[i]);
		v[14 + i] = t->has_declared ? amt[i] : NULL;
	}
	v[22]      = t->requested_category;
	v[23]      = t->taken_in_by;
	v[24]      = t->reason;
	v[25]      = t->source_event;
	v[26]      = members;
	sn_err err = (applicant == NULL && t->applicant_id_number != NULL)
	        || members == NULL
	    ? SN_ENOMEM
	    : sn_tx_query(tx, SQL_OPEN_TASK, 27, v, NULL, NULL);
	free(applicant);
	free(members);
	return err;
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
	const char *applicant_id; /* sealed */
	sn_date     not_before;
	bool        has_member_id;
	const char *member_id;
} task_row;

static const sn_col task_cols[] = {
	SN_COL_ENUMOF(task_row, status, status_names),
	SN_COL(task_row, village_code, SN_COL_CHARS),
	SN_COL(task_row, application_id, SN_COL_CHARS),
	SN_COL(task_row, review_id, SN_COL_CHARS),
	SN_COL(task_row, applicant_id, SN_COL_TEXT),
	SN_COL(task_row, not_before, SN_COL_DATE),
	SN_COL_OPT(task_row, member_id, SN_COL_TEXT, has_member_id),
};

/* sealed opened under ad into out (cap bytes); false, logged, when it
 * does not open or does not fit. */
static bool
open_into(const char *ad, const char *sealed, char *out, size_t cap)
{
	char *plain = NULL;
	bool  ok
	    = sn_seal_open_text(sn_seal_default(), ad, sealed, &plain) == SN_OK
	    && strlen(plain) < cap;

	if (ok)
		snprintf(out, cap, "%s", plain);
	else
		sn_log(SN_LOG_ERROR, "a sealed id number does not open",
		    "column", ad, NULL);
	free(plain);
	return ok;
}

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
		if (i == 0
		    && !open_into(INVESTIGATION_AD_APPLICANT, r.applicant_id,
		        t->applicant_id, sizeof(t->applicant_id))) {
			err = SN_EPROTO;
			break;
		}
		if (i == 0) {
			t->status     = (investigation_task_status) r.status;
			t->not_before = r.not_before;
			memcpy(t->village_code, r.village_code,
			    sizeof(t->village_code));
			memcpy(t->application_id, r.application_id,
			    sizeof(t->application_id));
			memcpy(
			    t->review_id, r.review_id, sizeof(t->review_id));
		}
		if (!r.has_member_id
		    || t->nmembers == INVESTIGATION_MAX_MEMBERS)
			continue;
		if (!open_into(INVESTIGATION_AD_MEMBER, r.member_id,
		        t->member_ids[t->nmembers],
		        sizeof(t->member_ids[0]))) {
			err = SN_EPROTO;
			break;
		}
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
	char  visit[SN_DATE_STRLEN], ix[2][SN_SEAL_INDEX_HEX + 1];
	char *idn[2]  = { seal_value(INVESTIGATION_AD_INVESTIGATOR1,
		              r->investigator_idn[0]),
		 seal_value(
		     INVESTIGATION_AD_INVESTIGATOR2, r->investigator_idn[1]) };
	char *members = NULL;
	for (int i = 0; i < 2; i++)
		sn_seal_index(sn_seal_default(), INVESTIGATION_IX_ID,
		    r->investigator_idn[i] != NULL ? r->investigator_idn[i]
		                                   : "",
		    ix[i]);
	sn_err err = sn_sealdb_seal_json(
	    sn_seal_default(), r->members_json, doc_keys, 1, &members);
	const char *v[14] = { r->task_id, r->submitted_by, r->investigator[0],
		idn[0], r->investigator[1], idn[1],
		sn_date_format(r->visit_date, visit), members,
		r->living_conditions, r->housing_condition,
		r->contradictions_json, rec_names[r->recommendation], ix[0],
		ix[1] };
	if (err == SN_OK && (idn[0] == NULL || idn[1] == NULL))
		err = SN_ENOMEM;
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_CLOSE_TASK, 14, v, on_closed, op);
	free(idn[0]);
	free(idn[1]);
	free(members);
	return err;
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
	char                 *opened = NULL;
	sn_err                err    = doc_read(res, &doc);
	if (err == SN_OK && doc != NULL && (opened = open_doc(doc)) == NULL)
		err = SN_EPROTO;
	op->done(tx, err, opened, op->arg);
	free(opened);
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
	struct read_ctx *c      = arg;
	const char      *doc    = NULL;
	char            *opened = NULL;
	if (err == SN_OK)
		err = res != NULL ? doc_read(res, &doc) : SN_EDB;
	if (err == SN_OK && doc != NULL && (opened = open_doc(doc)) == NULL)
		err = SN_EPROTO;
	c->done.doc(err, opened, c->arg);
	free(opened);
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
	char                   *opened = NULL;
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_one(res, page_cols, SN_NCOLS(page_cols), &p)
		    : SN_EDB;
	if (err == SN_OK && (opened = open_doc(p.tasks_json)) == NULL)
		err = SN_EPROTO;
	p.tasks_json = opened;
	c->done.page(err, err == SN_OK ? &p : NULL, c->arg);
	free(opened);
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

/* ---- sealing at start-up -------------------------------------------- */

const sn_sealdb_column
    investigation_store_seal_columns[INVESTIGATION_NSEAL_COLUMNS]
    = {
	      { .table    = "task",
	          .clear  = "applicant_id_number",
	          .sealed = "applicant_id_number_sealed",
	          .ad     = INVESTIGATION_AD_APPLICANT },
	      { .table      = "task_member",
	          .clear    = "id_number",
	          .sealed   = "id_number_sealed",
	          .index    = "id_number_index",
	          .ad       = INVESTIGATION_AD_MEMBER,
	          .index_ad = INVESTIGATION_IX_ID },
	      { .table      = "report",
	          .clear    = "investigator1_idn",
	          .sealed   = "investigator1_idn_sealed",
	          .index    = "investigator1_idn_index",
	          .ad       = INVESTIGATION_AD_INVESTIGATOR1,
	          .index_ad = INVESTIGATION_IX_ID },
	      { .table      = "report",
	          .clear    = "investigator2_idn",
	          .sealed   = "investigator2_idn_sealed",
	          .index    = "investigator2_idn_index",
	          .ad       = INVESTIGATION_AD_INVESTIGATOR2,
	          .index_ad = INVESTIGATION_IX_ID },
      };

/* The persons a report's members name, inside report.members. */
const sn_sealdb_document
    investigation_store_seal_documents[INVESTIGATION_NSEAL_DOCUMENTS]
    = {
	      { .table    = "report",
	          .column = "members",
	          .keys   = doc_keys,
	          .nkeys  = 1 },
      };
