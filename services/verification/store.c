/*
 * verification/store.c - see store.h.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/log.h"

static const char SQL_CHECK_INSERT[] =
    "INSERT INTO checks (source_event, kind, application_id, review_id,"
    " consent_reference, id_numbers, members, has_declaration,"
    " declared_wages_fen, declared_business_fen, declared_pensions_fen,"
    " declared_other_fen, declared_medical_fen, declared_education_fen,"
    " declared_housing_fen, declared_employment_costs_fen,"
    " district_code, township_code, village_code, status, attempt, reason)"
    " VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9, $10, $11, $12,"
    " $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
    " ON CONFLICT (source_event) DO NOTHING";

static const char SQL_OUTCOME_UNASKED[] =
    "INSERT INTO outcomes (check_id, attempt, status, missing_agencies,"
    " facts, discrepancies, published)"
    " SELECT check_id, 1, 'incomplete', $2::text[], NULL, '[]', true"
    " FROM checks WHERE source_event = $1"
    " ON CONFLICT (check_id, attempt) DO NOTHING";

static const char SQL_SCAN[] =
    "SELECT c.check_id, c.application_id, c.consent_reference,"
    " array_to_string(c.id_numbers, ','), c.members, c.has_declaration,"
    " c.declared_wages_fen, c.declared_business_fen,"
    " c.declared_pensions_fen, c.declared_other_fen,"
    " c.declared_medical_fen, c.declared_education_fen,"
    " c.declared_housing_fen, c.declared_employment_costs_fen, c.attempt,"
    " COALESCE((SELECT string_agg(DISTINCT a.agency, ',') FROM answers a"
    "  WHERE a.check_id = c.check_id AND a.outcome = 'ok'), '')"
    " FROM checks c"
    " WHERE c.status = 'pending'"
    "  OR (c.status = 'incomplete' AND c.next_round_at <= now())"
    " ORDER BY c.check_id LIMIT $1";

static const char SQL_ANSWER_PUT[] =
    "INSERT INTO answers (check_id, agency, attempt, outcome, tries,"
    " latency_ms, agency_answered_at, error, reply, records)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)"
    " ON CONFLICT (check_id, agency, attempt) DO UPDATE SET"
    " outcome = EXCLUDED.outcome, tries = EXCLUDED.tries,"
    " latency_ms = EXCLUDED.latency_ms, answered_at = now(),"
    " agency_answered_at = EXCLUDED.agency_answered_at,"
    " error = EXCLUDED.error, reply = EXCLUDED.reply,"
    " records = EXCLUDED.records";

static const char SQL_OK_REPLIES[] =
    "SELECT DISTINCT ON (agency) agency, reply FROM answers"
    " WHERE check_id = $1 AND outcome = 'ok' AND reply IS NOT NULL"
    " ORDER BY agency, attempt DESC";

static const char SQL_CHECK_FINISH[] =
    "UPDATE checks SET status = $2, attempt = $3, updated_at = now(),"
    " next_round_at = CASE WHEN $5::bigint >= 0"
    "  THEN now() + $5::bigint * interval '1 millisecond' END"
    " WHERE check_id = $1 AND attempt = $4 AND status <> 'complete'";

static const char SQL_OUTCOME_PUT[] =
    "INSERT INTO outcomes (check_id, attempt, status, missing_agencies,"
    " facts, discrepancies, published)"
    " VALUES ($1, $2, $3, $4::text[], $5::jsonb, $6::jsonb, $7)";

static const char SQL_VIEW[] =
    "SELECT json_build_object("
    " 'application_id', c.application_id, 'check_id', c.check_id,"
    " 'kind', c.kind, 'review_id', c.review_id, 'status', c.status,"
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
    ")::text, c.village_code"
    " FROM checks c LEFT JOIN LATERAL (SELECT * FROM outcomes x"
    "  WHERE x.check_id = c.check_id ORDER BY x.attempt DESC LIMIT 1) o"
    "  ON true"
    " WHERE c.application_id = $1 ORDER BY c.check_id DESC LIMIT 1";

sn_err
verification_store_array(const char *const *items, size_t n, char *buf,
    size_t cap)
{
	size_t len = 0;
	if (cap < 3)
		return SN_ERANGE;
	buf[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(items[i]);
		if (len + l + 3 > cap)
			return SN_ERANGE;
		if (i > 0)
			buf[len++] = ',';
		memcpy(buf + len, items[i], l);
		len += l;
	}
	buf[len++] = '}';
	buf[len]   = '\0';
	return SN_OK;
}

#define I64(buf, v) snprintf((buf), sizeof(buf), "%" PRId64, (int64_t) (v))

sn_err
verification_store_check_insert(sn_tx *tx, const verification_check_new *c)
{
	char ids[VERIFICATION_MAX_MEMBERS * 20 + 4];
	if (verification_store_array(c->ids, (size_t) c->members, ids,
	        sizeof(ids)) != SN_OK)
		return SN_ERANGE;
	char m[16], dec[8][24], att[16];
	I64(m, c->members);
	I64(dec[0], c->declared.wages_fen);
	I64(dec[1], c->declared.business_fen);
	I64(dec[2], c->declared.pensions_fen);
	I64(dec[3], c->declared.other_fen);
	I64(dec[4], c->declared.medical_fen);
	I64(dec[5], c->declared.education_fen);
	I64(dec[6], c->declared.housing_fen);
	I64(dec[7], c->declared.employment_fen);
	I64(att, c->attempt);
	const char *v[22] = { c->source_event, c->kind, c->application_id,
		c->review_id, c->consent_reference, ids, m,
		c->has_declaration ? "true" : "false", dec[0], dec[1], dec[2],
		dec[3], dec[4], dec[5], dec[6], dec[7], c->district_code,
		c->township_code, c->village_code, c->status, att,
		c->reason };
	return sn_tx_query(tx, SQL_CHECK_INSERT, 22, v, NULL, NULL);
}

sn_err
verification_store_outcome_unasked(sn_tx *tx, const char *source_event)
{
	const char *names[VERIFICATION_NAGENCIES];
	for (int i = 0; i < VERIFICATION_NAGENCIES; i++)
		names[i] = verification_agency_name(i);
	char missing[256];
	verification_store_array(
	    names, VERIFICATION_NAGENCIES, missing, sizeof(missing));
	const char *v[2] = { source_event, missing };
	return sn_tx_query(tx, SQL_OUTCOME_UNASKED, 2, v, NULL, NULL);
}

struct scan_ctx {
	verification_due_fn done;
	void               *arg;
};

static void
copy_cell(char *dst, size_t cap, const PGresult *res, int row, int col)
{
	snprintf(dst, cap, "%s", PQgetvalue(res, row, col));
}

static void
scan_done(sn_err err, PGresult *res, void *arg)
{
	struct scan_ctx *s = arg;
	if (err != SN_OK || res == NULL) {
		s->done(err != SN_OK ? err : SN_EDB, NULL, 0, s->arg);
		free(s);
		return;
	}
	int               n    = PQntuples(res);
	verification_due *rows = calloc(n > 0 ? (size_t) n : 1, sizeof(*rows));
	if (rows == NULL)
		abort();
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		verification_due *d = &rows[k];
		d->check_id         = sn_db_i64(res, i, 0);
		copy_cell(d->application_id, sizeof(d->application_id), res, i,
		    1);
		copy_cell(d->consent, sizeof(d->consent), res, i, 2);
		copy_cell(d->idbuf, sizeof(d->idbuf), res, i, 3);
		d->members = 0;
		for (char *p = d->idbuf, *tok; p != NULL; p = tok) {
			tok = strchr(p, ',');
			if (tok != NULL)
				*tok++ = '\0';
			if (d->members < VERIFICATION_MAX_MEMBERS)
				d->ids[d->members++] = p;
		}
		d->has_declaration = PQgetvalue(res, i, 5)[0] == 't';
		d->declared.wages_fen      = sn_db_i64(res, i, 6);
		d->declared.business_fen   = sn_db_i64(res, i, 7);
		d->declared.pensions_fen   = sn_db_i64(res, i, 8);
		d->declared.other_fen      = sn_db_i64(res, i, 9);
		d->declared.medical_fen    = sn_db_i64(res, i, 10);
		d->declared.education_fen  = sn_db_i64(res, i, 11);
		d->declared.housing_fen    = sn_db_i64(res, i, 12);
		d->declared.employment_fen = sn_db_i64(res, i, 13);
		d->attempt                 = (int) sn_db_i64(res, i, 14);
		char agencies[256];
		copy_cell(agencies, sizeof(agencies), res, i, 15);
		for (char *p = agencies, *tok; p != NULL && *p; p = tok) {
			tok = strchr(p, ',');
			if (tok != NULL)
				*tok++ = '\0';
			int a = verification_agency_from_name(p);
			if (a >= 0)
				d->answered[a] = true;
		}
		if (d->members != (int) sn_db_i64(res, i, 4)) {
			char id[24];
			I64(id, d->check_id);
			sn_log(SN_LOG_ERROR, "check has a bad member list",
			    "check_id", id, NULL);
			continue;
		}
		k++;
	}
	s->done(SN_OK, rows, k, s->arg);
	free(rows);
	free(s);
}

void
verification_store_scan(sn_db *db, int limit, verification_due_fn done,
    void *arg)
{
	struct scan_ctx *s = malloc(sizeof(*s));
	if (s == NULL)
		abort();
	s->done = done;
	s->arg  = arg;
	char lim[16];
	I64(lim, limit);
	const char *v[1] = { lim };
	sn_db_query(db, SQL_SCAN, 1, v, scan_done, s);
}

sn_err
verification_store_answer_put(sn_tx *tx, const verification_answer_row *a)
{
	char id[24], att[16], tries[16], lat[24];
	I64(id, a->check_id);
	I64(att, a->attempt);
	I64(tries, a->tries);
	I64(lat, a->latency_ms);
	const char *v[10] = { id, verification_agency_name(a->agency), att,
		a->outcome, tries, lat, a->agency_answered_at, a->error,
		(const char *) a->reply, a->records_json };
	int lengths[10] = { 0, 0, 0, 0, 0, 0, 0, 0, (int) a->reply_len, 0 };
	int formats[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	if (a->reply == NULL)
		v[8] = NULL;
	return sn_tx_query_bin(tx, SQL_ANSWER_PUT, 10, v, lengths, formats, 0,
	    NULL, NULL);
}

sn_err
verification_store_ok_replies(sn_tx *tx, int64_t check_id, sn_query_fn cb,
    void *arg)
{
	char id[24];
	I64(id, check_id);
	const char *v[1] = { id };
	return sn_tx_query_bin(tx, SQL_OK_REPLIES, 1, v, NULL, NULL, 1, cb, arg);
}

sn_err
verification_store_check_finish(sn_tx *tx, int64_t check_id,
    const char *status, int attempt, int prev_attempt, int64_t retry_ms,
    sn_query_fn cb, void *arg)
{
	char id[24], att[16], prev[16], retry[24];
	I64(id, check_id);
	I64(att, attempt);
	I64(prev, prev_attempt);
	I64(retry, retry_ms);
	const char *v[5] = { id, status, att, prev, retry };
	return sn_tx_query(tx, SQL_CHECK_FINISH, 5, v, cb, arg);
}

sn_err
verification_store_outcome_put(sn_tx *tx, int64_t check_id, int attempt,
    const char *status, const char *missing, const char *facts_json,
    const char *discrepancies_json, bool published)
{
	char id[24], att[16];
	I64(id, check_id);
	I64(att, attempt);
	const char *v[7] = { id, att, status, missing, facts_json,
		discrepancies_json, published ? "true" : "false" };
	return sn_tx_query(tx, SQL_OUTCOME_PUT, 7, v, NULL, NULL);
}

struct view_ctx {
	verification_view_fn done;
	void                *arg;
};

static void
view_done(sn_err err, PGresult *res, void *arg)
{
	struct view_ctx *s = arg;
	if (err != SN_OK || res == NULL)
		s->done(err != SN_OK ? err : SN_EDB, NULL, NULL, s->arg);
	else if (PQntuples(res) == 0)
		s->done(SN_OK, NULL, NULL, s->arg);
	else
		s->done(SN_OK, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		    s->arg);
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
