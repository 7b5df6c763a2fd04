/*
 * store.c - every SQL statement of investigation; see store.h.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
      "  $13::date, $12::date, $14::date, $15::bigint, $16::bigint,"
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
      " t.applicant_id_number, to_char(t.not_before, 'YYYY-MM-DD'),"
      " m.id_number"
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
    = "SELECT doc::text FROM task_doc WHERE id = $1::uuid";

static const char SQL_LIST_VILLAGE[]
    = "SELECT coalesce(json_agg(doc ORDER BY created_at, id)"
      "  FILTER (WHERE rn <= $3::int), '[]')::text, count(*) > $3::int"
      " FROM (SELECT doc, created_at, id,"
      "  row_number() OVER (ORDER BY created_at, id) AS rn"
      "  FROM task_doc WHERE village_code = $1"
      "  AND ($2 = 'all' OR status = $2)"
      "  ORDER BY created_at, id LIMIT $3::int + 1) s";

static const char SQL_LIST_TOWNSHIP[]
    = "SELECT coalesce(json_agg(doc ORDER BY created_at, id)"
      "  FILTER (WHERE rn <= $3::int), '[]')::text, count(*) > $3::int"
      " FROM (SELECT doc, created_at, id,"
      "  row_number() OVER (ORDER BY created_at, id) AS rn"
      "  FROM task_doc WHERE township_code = $1"
      "  AND ($2 = 'all' OR status = $2)"
      "  ORDER BY created_at, id LIMIT $3::int + 1) s";

static const char SQL_OPEN_COUNTS[]
    = "SELECT township_code, count(*) FROM task WHERE status = 'open'"
      " GROUP BY township_code";

sn_err
investigation_store_open_task(sn_tx *tx, const investigation_new_task *t)
{
	char          amt[8][24];
	const char   *v[27];
	const int64_t figures[8] = { t->wages_fen, t->business_fen,
		t->pensions_fen, t->other_income_fen, t->medical_fen,
		t->education_fen, t->housing_fen, t->employment_costs_fen };

	v[0]  = t->kind;
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
	v[11] = t->accepted_date;
	v[12] = t->not_before;
	v[13] = t->deadline_date;
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

static void
copy_cell(char *dst, size_t cap, const PGresult *res, int row, int col)
{
	snprintf(dst, cap, "%s",
	    PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

bool
investigation_store_task_row_parse(
    const PGresult *res, investigation_task_row *row)
{
	int n = PQntuples(res);
	memset(row, 0, sizeof(*row));
	if (n == 0 || PQnfields(res) < 6)
		return false;
	copy_cell(row->status, sizeof(row->status), res, 0, 0);
	copy_cell(row->village_code, sizeof(row->village_code), res, 0, 1);
	copy_cell(row->application_id, sizeof(row->application_id), res, 0, 2);
	copy_cell(row->applicant_id, sizeof(row->applicant_id), res, 0, 3);
	copy_cell(row->not_before, sizeof(row->not_before), res, 0, 4);
	for (int i = 0; i < n && row->nmembers < INVESTIGATION_MAX_MEMBERS;
	     i++) {
		if (PQgetisnull(res, i, 5))
			continue;
		copy_cell(row->member_ids[row->nmembers],
		    sizeof(row->member_ids[0]), res, i, 5);
		row->nmembers++;
	}
	return true;
}

sn_err
investigation_store_task_row(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg)
{
	const char *v[1] = { id };
	return sn_tx_query(tx, SQL_TASK_ROW, 1, v, cb, arg);
}

sn_err
investigation_store_close_task(
    sn_tx *tx, const investigation_new_report *r, sn_query_fn cb, void *arg)
{
	const char *v[12] = { r->task_id, r->submitted_by, r->investigator[0],
		r->investigator_idn[0], r->investigator[1],
		r->investigator_idn[1], r->visit_date, r->members_json,
		r->living_conditions, r->housing_condition,
		r->contradictions_json, r->recommendation };
	return sn_tx_query(tx, SQL_CLOSE_TASK, 12, v, cb, arg);
}

sn_err
investigation_store_task_doc_tx(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg)
{
	const char *v[1] = { id };
	return sn_tx_query(tx, SQL_TASK_DOC, 1, v, cb, arg);
}

void
investigation_store_task_doc(
    sn_db *db, const char *id, sn_db_query_fn done, void *arg)
{
	const char *v[1] = { id };
	sn_db_query(db, SQL_TASK_DOC, 1, v, done, arg);
}

void
investigation_store_list(sn_db *db, bool by_village, const char *code,
    const char *status, int limit, sn_db_query_fn done, void *arg)
{
	char        lim[16];
	const char *v[3] = { code, status, lim };
	snprintf(lim, sizeof(lim), "%d", limit);
	sn_db_query(db, by_village ? SQL_LIST_VILLAGE : SQL_LIST_TOWNSHIP, 3,
	    v, done, arg);
}

void
investigation_store_open_counts(sn_db *db, sn_db_query_fn done, void *arg)
{
	sn_db_query(db, SQL_OPEN_COUNTS, 0, NULL, done, arg);
}
