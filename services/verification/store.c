/*
 * verification/store.c - see store.h.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/log.h"
#include "sn/seal.h"
static const char SQL_CHECK_INSERT[]
    = "INSERT INTO checks (source_event, kind, application_id, review_id,"
      " consent_reference, id_numbers_sealed, members, has_declaration,"
      " declared_wages_fen, declared_business_fen, declared_pensions_fen,"
      " declared_other_fen, declared_medical_fen, declared_education_fen,"
      " declared_housing_fen, declared_employment_costs_fen,"
      " district_code, township_code, village_code, status, attempt, reason,"
      " has_expenditure, declared_agricultural_fen, declared_support_fen,"
      " revision, accepted_date, deadline_date, request_id)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
      " $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25,"
      " $26, $27, $28, $29)"
      " ON CONFLICT DO NOTHING";

static const char SQL_OUTCOME_UNASKED[]
    = "INSERT INTO outcomes (check_id, attempt, status, missing_agencies,"
      " facts, discrepancies, published)"
      " SELECT check_id, 1, 'incomplete', $2::text[], NULL, '[]', true"
      " FROM checks WHERE source_event = $1"
      " ON CONFLICT (check_id, attempt) DO NOTHING";

/* The checks due: the pending ones and the incomplete ones whose next
 * round has come, each set read by its own partial index. One statement
 * with "pending OR incomplete and due" was planned as a bitmap of both
 * indexes, and a bitmap scan never marks the dead entries it meets: every
 * check that had ever been pending since the table's last vacuum was read
 * from the heap again at each scan (3,000 at 3,000 households, 9.5 ms a
 * scan finding none). An index scan in check_id order marks them, and
 * the next scan steps over them. */
static const char SQL_SCAN[]
    = "SELECT c.check_id, c.application_id, c.review_id,"
      " c.consent_reference,"
      " c.id_numbers_sealed, c.members,"
      " c.has_declaration, c.has_expenditure, c.declared_wages_fen,"
      " c.declared_business_fen,"
      " c.declared_pensions_fen, c.declared_other_fen,"
      " c.declared_medical_fen, c.declared_education_fen,"
      " c.declared_housing_fen, c.declared_employment_costs_fen,"
      " c.declared_agricultural_fen, c.declared_support_fen, c.attempt,"
      " c.revision, c.retry_requested, c.request_id,"
      " COALESCE((SELECT string_agg(DISTINCT a.agency, ',') FROM answers a"
      "  WHERE a.check_id = c.check_id AND a.outcome = 'ok'), '')"
      "  AS answered"
      " FROM ((SELECT * FROM checks WHERE status = 'pending'"
      "   AND check_id <> ALL ($2::int8[]) ORDER BY check_id LIMIT $1)"
      "  UNION ALL (SELECT * FROM checks WHERE status = 'incomplete'"
      "   AND next_round_at <= now() AND check_id <> ALL ($2::int8[])"
      "   ORDER BY check_id LIMIT $1)) c"
      " ORDER BY c.check_id LIMIT $1";

/* Every answer of one round in one statement (arrays, sn/db.h). */
static const char SQL_ANSWERS_PUT[]
    = "INSERT INTO answers (check_id, agency, attempt, outcome, tries,"
      " latency_ms, agency_answered_at, error, reply, records)"
      " SELECT $1::int8, a.agency, $2::int, a.outcome, a.tries, a.latency,"
      " a.at, a.error, a.reply, a.records::jsonb"
      " FROM unnest($3::text[], $4::text[], $5::int[], $6::int8[],"
      " $7::text[], $8::text[], $9::bytea[], $10::text[])"
      " AS a (agency, outcome, tries, latency, at, error, reply, records)"
      " ON CONFLICT (check_id, agency, attempt) DO UPDATE SET"
      " outcome = EXCLUDED.outcome, tries = EXCLUDED.tries,"
      " latency_ms = EXCLUDED.latency_ms, answered_at = now(),"
      " agency_answered_at = EXCLUDED.agency_answered_at,"
      " error = EXCLUDED.error, reply = EXCLUDED.reply,"
      " records = EXCLUDED.records";

static const char SQL_OK_REPLIES[]
    = "SELECT DISTINCT ON (agency) agency, reply FROM answers"
      " WHERE check_id = $1 AND outcome = 'ok' AND reply IS NOT NULL"
      " ORDER BY agency, attempt DESC";

static const char SQL_CHECK_FINISH[]
    = "UPDATE checks SET status = $2, attempt = $3, updated_at = now(),"
      " next_round_at = CASE WHEN $5::bigint >= 0"
      "  THEN now() + $5::bigint * interval '1 millisecond' END"
      " , retry_requested = false"
      " WHERE check_id = $1 AND attempt = $4"
      "  AND status NOT IN ('complete', 'cancelled')";

static const char SQL_CHECKS_CANCEL[]
    = "UPDATE checks SET status = 'cancelled', next_round_at = NULL,"
      " retry_requested = false, cancelled_at = now(), updated_at = now(),"
      " reason = $3"
      " WHERE application_id = $1 AND status IN ('pending', 'incomplete')"
      "  AND ($2::int = 0 OR (kind = 'application' AND revision < $2::int))";

static const char SQL_CHECK_STATE[]
    = "SELECT status, attempt FROM checks WHERE check_id = $1 FOR UPDATE";

/* The latest outcome's missing agencies and time, the deadline, and
 * whether the check is held, per check (GET /checks). */
static const char SQL_LIST[]
    = "SELECT c.check_id, json_build_object("
      " 'application_id', c.application_id, 'check_id', c.check_id,"
      " 'kind', c.kind, 'review_id', c.review_id, 'revision', c.revision,"
      " 'status', c.status, 'attempts', c.attempt,"
      " 'held', c.status = 'incomplete' AND c.next_round_at IS NULL"
      "  AND c.reason = '',"
      " 'missing_agencies', COALESCE(o.missing_agencies, '{}'),"
      " 'last_round_at', o.decided_at,"
      " 'next_round_at', c.next_round_at,"
      " 'accepted_date', NULLIF(c.accepted_date, ''),"
      " 'deadline_date', NULLIF(c.deadline_date, ''),"
      " 'reason', c.reason, 'retried_by', NULLIF(c.retried_by, ''),"
      " 'household', json_build_object('district_code', c.district_code,"
      "  'township_code', c.township_code, 'village_code', c.village_code)"
      ")::text AS doc"
      " FROM checks c LEFT JOIN LATERAL (SELECT * FROM outcomes x"
      "  WHERE x.check_id = c.check_id ORDER BY x.attempt DESC LIMIT 1) o"
      "  ON true"
      " WHERE c.check_id > $1 AND c.village_code LIKE $2 || '%'"
      "  AND ($3 = '' OR c.township_code = $3)"
      "  AND (NOT $4::boolean OR (c.status = 'incomplete'"
      "   AND c.next_round_at IS NULL AND c.reason = ''))"
      " ORDER BY c.check_id LIMIT $5";

static const char SQL_RETRY_GET[]
    = "SELECT check_id, status, next_round_at IS NOT NULL AS scheduled,"
      " reason = '' AS asked, attempt, village_code, application_id"
      " FROM checks WHERE application_id = $1 OR review_id = $1"
      " ORDER BY check_id DESC LIMIT 1 FOR UPDATE";

static const char SQL_RETRY_MARK[]
    = "UPDATE checks SET status = 'pending', retry_requested = true,"
      " retried_by = $2, next_round_at = NULL, updated_at = now()"
      " WHERE check_id = $1";

static const char SQL_OUTCOME_PUT[]
    = "INSERT INTO outcomes (check_id, attempt, status, missing_agencies,"
      " facts, discrepancies, published)"
      " VALUES ($1, $2, $3, $4::text[], $5::jsonb, $6::jsonb, $7)";

static const char SQL_VIEW[]
    = "SELECT json_build_object("
      " 'application_id', c.application_id, 'check_id', c.check_id,"
      " 'kind', c.kind, 'review_id', c.review_id, 'status', c.status,"
      " 'revision', c.revision,"
      " 'held', c.status = 'incomplete' AND c.next_round_at IS NULL"
      "  AND c.reason = '',"
      " 'accepted_date', NULLIF(c.accepted_date, ''),"
      " 'deadline_date', NULLIF(c.deadline_date, ''),"
      " 'retried_by', NULLIF(c.retried_by, ''),"
      " 'cancelled_at', c.cancelled_at,"
      " 'attempts', c.attempt, 'reason', c.reason,"
      " 'created_at', c.created_at, 'updated_at', c.updated_at,"
      " 'next_round_at', c.next_round_at, 'members', c.members,"
      " 'household', json_build_object('district_code', c.district_code,"
      "  'township_code', c.township_code, 'village_code', c.village_code),"
      " 'missing_agencies', COALESCE(o.missing_agencies, '{}'),"
      " 'facts', o.facts,"
      " 'discrepancies', COALESCE(o.discrepancies, '[]'),"
      " 'rounds', COALESCE((SELECT json_agg(json_build_object("
      "  'attempt', r.attempt, 'status', r.status,"
      "  'missing_agencies', r.missing_agencies, 'published', r.published,"
      "  'decided_at', r.decided_at) ORDER BY r.attempt)"
      "  FROM outcomes r WHERE r.check_id = c.check_id), '[]'),"
      " 'answers', COALESCE((SELECT json_agg(json_build_object("
      "  'agency', a.agency, 'attempt', a.attempt, 'outcome', a.outcome,"
      "  'tries', a.tries, 'latency_ms', a.latency_ms,"
      "  'answered_at', a.answered_at,"
      "  'agency_answered_at', a.agency_answered_at, 'error', a.error,"
      "  'records', a.records) ORDER BY a.attempt, a.agency)"
      "  FROM answers a WHERE a.check_id = c.check_id), '[]')"
      ")::text AS doc, c.village_code"
      " FROM checks c LEFT JOIN LATERAL (SELECT * FROM outcomes x"
      "  WHERE x.check_id = c.check_id ORDER BY x.attempt DESC LIMIT 1) o"
      "  ON true"
      " WHERE c.application_id = $1 ORDER BY c.check_id DESC LIMIT 1";

/* checks.kind and checks.status, by enum value. */
static const char *const kind_names[] = { "application", "review" };
static const char *const status_names[]
    = { "pending", "complete", "incomplete", "cancelled" };

#define I64(buf, v) snprintf((buf), sizeof(buf), "%" PRId64, (int64_t) (v))

/* Every agency's name, or the n given, as a text[] parameter. */
static const char *
agency_array(sn_pgarray *a, const int *agencies, int n)
{
	sn_pgarray_init(a);
	for (int i = 0; i < n; i++)
		sn_pgarray_add(a,
		    verification_agency_name(
		        agencies != NULL ? agencies[i] : i));
	return sn_pgarray_text(a);
}

sn_err
verification_store_check_insert(sn_tx *tx, const verification_check_new *c)
{
	if (c->members < 1 || c->members > VERIFICATION_MAX_MEMBERS)
		return SN_ERANGE;
	/* The persons as one sealed value: their comma-separated list. */
	char  list[VERIFICATION_MAX_MEMBERS * 20];
	char *ids = NULL;
	list[0]   = '\0';
	for (int i = 0; i < c->members; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i > 0 ? "," : "", c->ids[i]);
	if (sn_seal_text(sn_seal_default(), VERIFICATION_AD_IDS, list, &ids)
	    != SN_OK)
		return SN_ENOMEM;
	char m[16], dec[10][24], att[16], rev[16];
	I64(m, c->members);
	I64(dec[0], c->declared.wages_fen);
	I64(dec[1], c->declared.business_fen);
	I64(dec[2], c->declared.pensions_fen);
	I64(dec[3], c->declared.other_fen);
	I64(dec[4], c->declared.medical_fen);
	I64(dec[5], c->declared.education_fen);
	I64(dec[6], c->declared.housing_fen);
	I64(dec[7], c->declared.employment_fen);
	I64(dec[8], c->declared.agricultural_fen);
	I64(dec[9], c->declared.support_fen);
	I64(att, c->attempt);
	I64(rev, c->revision < 1 ? 1 : c->revision);
	const char *v[29] = { c->source_event, kind_names[c->kind],
		c->application_id, c->review_id, c->consent_reference, ids, m,
		c->has_declaration ? "true" : "false", dec[0], dec[1], dec[2],
		dec[3], dec[4], dec[5], dec[6], dec[7], c->district_code,
		c->township_code, c->village_code, status_names[c->status],
		att, c->reason, c->has_expenditure ? "true" : "false", dec[8],
		dec[9], rev, c->accepted_date ? c->accepted_date : "",
		c->deadline_date ? c->deadline_date : "",
		sn_log_request_id_text() };
	sn_err      err = sn_tx_query(tx, SQL_CHECK_INSERT, 29, v, NULL, NULL);
	free(ids);
	return err;
}

sn_err
verification_store_outcome_unasked(sn_tx *tx, const char *source_event)
{
	sn_pgarray  missing;
	const char *v[2] = { source_event,
		agency_array(&missing, NULL, VERIFICATION_NAGENCIES) };
	sn_err      err  = v[1] == NULL
	          ? SN_ENOMEM
	          : sn_tx_query(tx, SQL_OUTCOME_UNASKED, 2, v, NULL, NULL);
	sn_pgarray_fini(&missing);
	return err;
}

/* A row of SQL_SCAN, before its lists are taken apart. */
typedef struct scan_row {
	int64_t     check_id;
	char        application_id[128];
	char        review_id[128];
	char        consent_reference[128];
	const char *id_numbers_sealed;
	int32_t     members;
	bool        has_declaration, has_expenditure;
	int64_t     declared[10];
	int32_t     attempt, revision;
	bool        retry_requested;
	char        request_id[SN_LOG_REQUEST_ID_MAX + 1];
	const char *answered; /* agency names, comma-separated */
} scan_row;

#define DECLARED(i, name)                                                     \
	{                                                                     \
		name, SN_COL_I64,                                             \
		    offsetof(scan_row, declared) + (i) * sizeof(int64_t),     \
		    sizeof(int64_t), SN_COL_NOT_NULL, NULL                    \
	}

static const sn_col scan_cols[] = {
	SN_COL(scan_row, check_id, SN_COL_I64),
	SN_COL(scan_row, application_id, SN_COL_CHARS),
	SN_COL(scan_row, review_id, SN_COL_CHARS),
	SN_COL(scan_row, consent_reference, SN_COL_CHARS),
	SN_COL(scan_row, id_numbers_sealed, SN_COL_TEXT),
	SN_COL(scan_row, members, SN_COL_I32),
	SN_COL(scan_row, has_declaration, SN_COL_BOOL),
	SN_COL(scan_row, has_expenditure, SN_COL_BOOL),
	DECLARED(0, "declared_wages_fen"),
	DECLARED(1, "declared_business_fen"),
	DECLARED(2, "declared_pensions_fen"),
	DECLARED(3, "declared_other_fen"),
	DECLARED(4, "declared_medical_fen"),
	DECLARED(5, "declared_education_fen"),
	DECLARED(6, "declared_housing_fen"),
	DECLARED(7, "declared_employment_costs_fen"),
	DECLARED(8, "declared_agricultural_fen"),
	DECLARED(9, "declared_support_fen"),
	SN_COL(scan_row, attempt, SN_COL_I32),
	SN_COL(scan_row, revision, SN_COL_I32),
	SN_COL(scan_row, retry_requested, SN_COL_BOOL),
	SN_COL(scan_row, request_id, SN_COL_CHARS),
	SN_COL(scan_row, answered, SN_COL_TEXT),
};

/* Turns a scan row into d; false (logged) when its lists do not hold. */
static bool
due_from_row(const scan_row *s, verification_due *d)
{
	memset(d, 0, sizeof(*d));
	d->check_id = s->check_id;
	snprintf(d->application_id, sizeof(d->application_id), "%s",
	    s->application_id);
	snprintf(d->review_id, sizeof(d->review_id), "%s", s->review_id);
	snprintf(d->consent, sizeof(d->consent), "%s", s->consent_reference);
	char *ids = NULL;
	if (sn_seal_open_text(sn_seal_default(), VERIFICATION_AD_IDS,
	        s->id_numbers_sealed, &ids)
	    != SN_OK) {
		sn_log(SN_LOG_ERROR, "a check's sealed persons do not open",
		    "application_id", s->application_id, NULL);
		return false;
	}
	snprintf(d->idbuf, sizeof(d->idbuf), "%s", ids);
	free(ids);
	for (char *p = d->idbuf, *tok; p != NULL; p = tok) {
		tok = strchr(p, ',');
		if (tok != NULL)
			*tok++ = '\0';
		if (d->members < VERIFICATION_MAX_MEMBERS)
			d->ids[d->members++] = p;
	}
	d->has_declaration = s->has_declaration;
	d->has_expenditure = s->has_expenditure;
	int64_t *dst[10] = { &d->declared.wages_fen, &d->declared.business_fen,
		&d->declared.pensions_fen, &d->declared.other_fen,
		&d->declared.medical_fen, &d->declared.education_fen,
		&d->declared.housing_fen, &d->declared.employment_fen,
		&d->declared.agricultural_fen, &d->declared.support_fen };
	for (int i = 0; i < 10; i++)
		*dst[i] = s->declared[i];
	d->attempt   = s->attempt;
	d->revision  = s->revision;
	d->requested = s->retry_requested;
	snprintf(d->request_id, sizeof(d->request_id), "%s", s->request_id);
	char agencies[256];
	snprintf(agencies, sizeof(agencies), "%s", s->answered);
	for (char *p = agencies, *tok; p != NULL && *p; p = tok) {
		tok = strchr(p, ',');
		if (tok != NULL)
			*tok++ = '\0';
		int a = verification_agency_from_name(p);
		if (a >= 0)
			d->answered[a] = true;
	}
	if (d->members != s->members) {
		char id[24];
		I64(id, d->check_id);
		sn_log(SN_LOG_ERROR, "check has a bad member list", "check_id",
		    id, NULL);
		return false;
	}
	return true;
}

struct scan_ctx {
	verification_due_fn done;
	void               *arg;
};

static void
scan_done(sn_err err, PGresult *res, void *arg)
{
	struct scan_ctx *s = arg;
	sn_rows          rows;
	if (err == SN_OK && res == NULL)
		err = SN_EDB;
	if (err == SN_OK)
		err = sn_rows_open(&rows, res, scan_cols, SN_NCOLS(scan_cols));
	if (err != SN_OK) {
		s->done(err, NULL, 0, s->arg);
		free(s);
		return;
	}
	int               n   = sn_rows_count(&rows);
	verification_due *due = calloc(n > 0 ? (size_t) n : 1, sizeof(*due));
	if (due == NULL)
		abort();
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		scan_row r;
		if (sn_rows_read(&rows, i, &r) != SN_OK)
			continue; /* logged by sn_rows, naming the column */
		if (due_from_row(&r, &due[k]))
			k++;
	}
	sn_rows_close(&rows);
	s->done(SN_OK, due, k, s->arg);
	free(due);
	free(s);
}

void
verification_store_scan(sn_db *db, int limit, const int64_t *skip,
    size_t nskip, verification_due_fn done, void *arg)
{
	struct scan_ctx *s = malloc(sizeof(*s));
	if (s == NULL)
		abort();
	s->done = done;
	s->arg  = arg;
	char       lim[16];
	sn_pgarray a;
	sn_pgarray_init(&a);
	for (size_t i = 0; i < nskip; i++)
		sn_pgarray_add_i64(&a, skip[i]);
	I64(lim, limit);
	const char *v[2] = { lim, sn_pgarray_text(&a) };
	if (v[1] == NULL)
		abort(); /* out of memory */
	sn_db_query(db, SQL_SCAN, 2, v, scan_done, s);
	sn_pgarray_fini(&a);
}

/* The key of an answer's records whose values are sealed. */
static const sn_sealdb_key record_keys[] = {
	{ "id_number", VERIFICATION_AD_RECORDS },
};

sn_err
verification_store_answers_put(
    sn_tx *tx, const verification_answer_row *rows, size_t n)
{
	if (n == 0)
		return SN_OK;
	enum {
		AGENCY,
		OUTCOME,
		TRIES,
		LATENCY,
		AT,
		ERROR,
		REPLY,
		RECORDS,
		NA
	};
	sn_pgarray a[NA];
	for (int k = 0; k < NA; k++)
		sn_pgarray_init(&a[k]);
	sn_err err = SN_OK;
	for (size_t i = 0; i < n && err == SN_OK; i++) {
		const verification_answer_row *r = &rows[i];
		const char *agency  = verification_agency_name(r->agency);
		const char *outcome = verification_outcome_name(r->outcome);
		if (agency == NULL || outcome == NULL
		    || r->check_id != rows[0].check_id
		    || r->attempt != rows[0].attempt) {
			err = SN_EINVAL;
			break;
		}
		/* The records' persons sealed (their figures stay as they
		 * are). */
		char *records = NULL;
		if (r->records_json != NULL
		    && sn_sealdb_seal_json(sn_seal_default(), r->records_json,
		           record_keys, 1, &records)
		        != SN_OK) {
			err = SN_ENOMEM;
			break;
		}
		sn_pgarray_add(&a[AGENCY], agency);
		sn_pgarray_add(&a[OUTCOME], outcome);
		sn_pgarray_add_i64(&a[TRIES], (int64_t) r->tries);
		sn_pgarray_add_i64(&a[LATENCY], (int64_t) r->latency_ms);
		sn_pgarray_add(&a[AT], r->agency_answered_at);
		sn_pgarray_add(&a[ERROR], r->error);
		if (r->reply != NULL)
			sn_pgarray_add_bytes(
			    &a[REPLY], r->reply, r->reply_len);
		else
			sn_pgarray_add(&a[REPLY], NULL);
		sn_pgarray_add(&a[RECORDS], records);
		free(records);
	}
	char id[24], att[16];
	I64(id, rows[0].check_id);
	I64(att, rows[0].attempt);
	const char *v[2 + NA] = { id, att };
	for (int k = 0; k < NA && err == SN_OK; k++)
		if ((v[2 + k] = sn_pgarray_text(&a[k])) == NULL)
			err = SN_ENOMEM;
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_ANSWERS_PUT, 2 + NA, v, NULL, NULL);
	for (int k = 0; k < NA; k++)
		sn_pgarray_fini(&a[k]);
	return err;
}

/* A row of SQL_OK_REPLIES (binary results). */
typedef struct reply_row {
	const char *agency;
	sn_bytes    reply;
} reply_row;

static const sn_col reply_cols[] = {
	SN_COL(reply_row, agency, SN_COL_TEXT),
	SN_COL(reply_row, reply, SN_COL_BYTES),
};

static void
on_replies(sn_tx *tx, PGresult *res, void *arg)
{
	verification_replies_req *q = arg;
	verification_ok_reply     out[VERIFICATION_NAGENCIES];
	size_t                    n = 0;
	sn_rows                   rows;
	sn_err                    err
	    = sn_rows_open(&rows, res, reply_cols, SN_NCOLS(reply_cols));
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows); i++) {
		reply_row r;
		if ((err = sn_rows_read(&rows, i, &r)) != SN_OK)
			break;
		int a = verification_agency_from_name(r.agency);
		if (a < 0 || n == VERIFICATION_NAGENCIES) {
			sn_log(SN_LOG_ERROR, "a stored answer names no agency",
			    "agency", r.agency, NULL);
			continue;
		}
		out[n].agency = (verification_agency) a;
		out[n].reply  = r.reply.data;
		out[n].len    = r.reply.len;
		n++;
	}
	q->cb(
	    tx, err, err == SN_OK ? out : NULL, err == SN_OK ? n : 0, q->arg);
	sn_rows_close(&rows);
}

sn_err
verification_store_ok_replies(
    sn_tx *tx, int64_t check_id, verification_replies_req *req)
{
	char id[24];
	I64(id, check_id);
	const char *v[1] = { id };
	return sn_tx_query_bin(
	    tx, SQL_OK_REPLIES, 1, v, NULL, NULL, 1, on_replies, req);
}

sn_err
verification_store_check_finish(sn_tx *tx, int64_t check_id,
    verification_status status, int attempt, int prev_attempt,
    int64_t retry_ms)
{
	char id[24], att[16], prev[16], retry[24];
	I64(id, check_id);
	I64(att, attempt);
	I64(prev, prev_attempt);
	I64(retry, retry_ms);
	const char *v[5] = { id, status_names[status], att, prev, retry };
	return sn_tx_query(tx, SQL_CHECK_FINISH, 5, v, NULL, NULL);
}

sn_err
verification_store_outcome_put(sn_tx *tx, int64_t check_id, int attempt,
    verification_status status, const int *missing, int nmissing,
    const char *facts_json, const char *discrepancies_json, bool published)
{
	char       id[24], att[16];
	sn_pgarray miss;
	I64(id, check_id);
	I64(att, attempt);
	const char *v[7] = { id, att, status_names[status],
		agency_array(&miss, missing, nmissing), facts_json,
		discrepancies_json, published ? "true" : "false" };
	sn_err      err  = v[3] == NULL
	          ? SN_ENOMEM
	          : sn_tx_query(tx, SQL_OUTCOME_PUT, 7, v, NULL, NULL);
	sn_pgarray_fini(&miss);
	return err;
}

static const sn_col doc_cols[] = {
	SN_COL(verification_check_doc, doc, SN_COL_TEXT),
	SN_COL(verification_check_doc, village_code, SN_COL_TEXT),
};

struct view_ctx {
	verification_view_fn done;
	void                *arg;
};

static void
view_done(sn_err err, PGresult *res, void *arg)
{
	struct view_ctx       *s = arg;
	verification_check_doc d;
	char                  *doc = NULL;
	if (err == SN_OK && res == NULL)
		err = SN_EDB;
	if (err == SN_OK)
		err = sn_rows_one(res, doc_cols, SN_NCOLS(doc_cols), &d);
	/* the answers' records carry sealed persons: opened for the API */
	if (err == SN_OK
	    && sn_sealdb_open_json(
	           sn_seal_default(), d.doc, record_keys, 1, &doc)
	        != SN_OK)
		err = SN_EPROTO;
	d.doc = doc;
	if (err == SN_ENOTFOUND)
		s->done(SN_OK, NULL, s->arg);
	else
		s->done(err, err == SN_OK ? &d : NULL, s->arg);
	free(doc);
	free(s);
}

void
verification_store_view(sn_db *db, const char *application_id,
    verification_view_fn done, void *arg)
{
	struct view_ctx *s = malloc(sizeof(*s));
	if (s == NULL)
		abort();
	s->done          = done;
	s->arg           = arg;
	const char *v[1] = { application_id };
	sn_db_query(db, SQL_VIEW, 1, v, view_done, s);
}

sn_err
verification_store_checks_cancel(sn_tx *tx, const char *application_id,
    int below_revision, const char *reason)
{
	char rev[16];
	I64(rev, below_revision);
	const char *v[3] = { application_id, rev, reason };
	return sn_tx_query(tx, SQL_CHECKS_CANCEL, 3, v, NULL, NULL);
}

typedef struct state_row {
	char    status[16];
	int32_t attempt;
} state_row;

static const sn_col state_cols[] = {
	SN_COL(state_row, status, SN_COL_CHARS),
	SN_COL(state_row, attempt, SN_COL_I32),
};

static int
status_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]);
	     i++)
		if (strcmp(status_names[i], name) == 0)
			return (int) i;
	return -1;
}

static void
on_state(sn_tx *tx, PGresult *res, void *arg)
{
	verification_state_req *q = arg;
	state_row               r;
	sn_err err = sn_rows_one(res, state_cols, SN_NCOLS(state_cols), &r);
	int    st  = err == SN_OK ? status_from_name(r.status) : -1;
	if (err == SN_OK && st < 0)
		err = SN_EPROTO;
	verification_check_state out
	    = { .status        = (verification_status) (st < 0 ? 0 : st),
		      .attempt = r.attempt };
	q->cb(tx, err, err == SN_OK ? &out : NULL, q->arg);
}

sn_err
verification_store_check_state(
    sn_tx *tx, int64_t check_id, verification_state_req *req)
{
	char id[24];
	I64(id, check_id);
	const char *v[1] = { id };
	return sn_tx_query(tx, SQL_CHECK_STATE, 1, v, on_state, req);
}

static const sn_col list_cols[] = {
	SN_COL(verification_list_row, check_id, SN_COL_I64),
	SN_COL(verification_list_row, doc, SN_COL_TEXT),
};

struct list_ctx {
	verification_list_fn done;
	void                *arg;
};

static void
list_done(sn_err err, PGresult *res, void *arg)
{
	struct list_ctx *s = arg;
	sn_rows          rows;
	if (err == SN_OK && res == NULL)
		err = SN_EDB;
	if (err == SN_OK)
		err = sn_rows_open(&rows, res, list_cols, SN_NCOLS(list_cols));
	if (err != SN_OK) {
		s->done(err, NULL, 0, s->arg);
		free(s);
		return;
	}
	int                    n = sn_rows_count(&rows);
	verification_list_row *out
	    = calloc(n > 0 ? (size_t) n : 1, sizeof(*out));
	if (out == NULL)
		abort();
	for (int i = 0; i < n && err == SN_OK; i++)
		err = sn_rows_read(&rows, i, &out[i]);
	s->done(err, err == SN_OK ? out : NULL, err == SN_OK ? (size_t) n : 0,
	    s->arg);
	sn_rows_close(&rows);
	free(out);
	free(s);
}

void
verification_store_list(sn_db *db, const verification_list_query *q,
    verification_list_fn done, void *arg)
{
	struct list_ctx *s = malloc(sizeof(*s));
	if (s == NULL)
		abort();
	s->done = done;
	s->arg  = arg;
	char after[24], lim[24];
	I64(after, q->after);
	I64(lim, q->limit + 1);
	const char *v[5] = { after, q->juris, q->township,
		q->held ? "true" : "false", lim };
	sn_db_query(db, SQL_LIST, 5, v, list_done, s);
}

typedef struct retry_scan {
	int64_t check_id;
	char    status[16];
	bool    scheduled, asked;
	int32_t attempt;
	char    village_code[16];
	char    application_id[128];
} retry_scan;

static const sn_col retry_cols[] = {
	SN_COL(retry_scan, check_id, SN_COL_I64),
	SN_COL(retry_scan, status, SN_COL_CHARS),
	SN_COL(retry_scan, scheduled, SN_COL_BOOL),
	SN_COL(retry_scan, asked, SN_COL_BOOL),
	SN_COL(retry_scan, attempt, SN_COL_I32),
	SN_COL(retry_scan, village_code, SN_COL_CHARS),
	SN_COL(retry_scan, application_id, SN_COL_CHARS),
};

static void
on_retry_row(sn_tx *tx, PGresult *res, void *arg)
{
	verification_retry_req *q = arg;
	retry_scan              r;
	sn_err err = sn_rows_one(res, retry_cols, SN_NCOLS(retry_cols), &r);
	if (err == SN_ENOTFOUND) {
		q->cb(tx, SN_OK, NULL, q->arg);
		return;
	}
	int st = err == SN_OK ? status_from_name(r.status) : -1;
	if (err == SN_OK && st < 0)
		err = SN_EPROTO;
	if (err != SN_OK) {
		q->cb(tx, err, NULL, q->arg);
		return;
	}
	verification_retry_row out = { .check_id = r.check_id,
		.status                          = (verification_status) st,
		.scheduled                       = r.scheduled,
		.asked                           = r.asked,
		.attempt                         = r.attempt };
	snprintf(
	    out.village_code, sizeof(out.village_code), "%s", r.village_code);
	snprintf(out.application_id, sizeof(out.application_id), "%s",
	    r.application_id);
	q->cb(tx, SN_OK, &out, q->arg);
}

sn_err
verification_store_retry_get(
    sn_tx *tx, const char *id, verification_retry_req *req)
{
	const char *v[1] = { id };
	return sn_tx_query(tx, SQL_RETRY_GET, 1, v, on_retry_row, req);
}

sn_err
verification_store_retry_mark(sn_tx *tx, int64_t check_id, const char *user)
{
	char id[24];
	I64(id, check_id);
	const char *v[2] = { id, user };
	return sn_tx_query(tx, SQL_RETRY_MARK, 2, v, NULL, NULL);
}

/* What an older version left in clear, sealed at start-up (main.c). */
const sn_sealdb_column
    verification_store_seal_columns[VERIFICATION_NSEAL_COLUMNS]
    = {
	      { .table        = "checks",
	          .clear      = "id_numbers",
	          .sealed     = "id_numbers_sealed",
	          .ad         = VERIFICATION_AD_IDS,
	          .clear_text = "array_to_string(id_numbers, ',')" },
      };

/* The persons an agency's records name, inside answers.records. */
const sn_sealdb_document
    verification_store_seal_documents[VERIFICATION_NSEAL_DOCUMENTS]
    = {
	      { .table    = "answers",
	          .column = "records",
	          .keys   = record_keys,
	          .nkeys  = 1 },
      };
