/*
 * handlers.c - see handlers.h.
 *
 * The SQL answers whole JSON documents (json_build_object) that the
 * handlers pass on: the simulator's answers are its tables' rows. Every
 * signed request is checked (sign.h) before any transaction, and its
 * nonce is the first statement of the transaction that serves it, so a
 * replay is refused even when it races the original.
 */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/clock.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"

#define TIPS_PAGE_MAX 1000
#define CASE_ID_MAX 128

enum { R_SIGNATURE, R_NONCE, R_UNAVAILABLE, NREFUSED };

struct inspection_sim {
	sn_service *svc;
	sn_db      *db;
	uint8_t     key[INSPECTION_SIGN_KEYLEN];
	char        key_id[64];
	bool        unavailable;
	sn_counter *refused[NREFUSED];
	sn_counter *tips_filed, *cases_taken, *repeats;
};

/* One signed request's work, owned by its transaction. */
typedef enum { OP_TIPS, OP_CASE, OP_OUTCOME } op_kind;

typedef struct op {
	inspection_sim *s;
	op_kind         kind;
	char            nonce[65];
	int64_t         after, limit;
	char           *id;
	char           *body; /* the delivery's JSON, compact */
	int64_t         version;
	const char     *case_kind;
} op;

typedef struct doc_row {
	const char *doc;
} doc_row;

static const sn_col doc_cols[] = {
	SN_COL(doc_row, doc, SN_COL_TEXT),
};

/* ---- signatures ------------------------------------------------------- */

/* Checks the request's signature over target; false when refused (and
 * answered). */
static bool
signed_ok(inspection_sim *s, sn_http_req *req, const char *target, op *o)
{
	sn_problem              p;
	size_t                  len;
	const char             *body = sn_http_body(req, &len);
	inspection_sign_headers h    = {
		   .key_id    = sn_http_header(req, "X-Key-Id"),
		   .timestamp = sn_http_header(req, "X-Timestamp"),
		   .nonce     = sn_http_header(req, "X-Nonce"),
		   .signature = sn_http_header(req, "X-Signature"),
	};

	if (s->unavailable) {
		sn_counter_add(s->refused[R_UNAVAILABLE], 1);
		sn_http_reply_error(req, 503, "unavailable",
		    "the platform is unavailable (test switch)", NULL);
		return false;
	}
	sn_problem_clear(&p);
	if (!inspection_sign_check(s->key, s->key_id, sn_clock_now_s(),
	        sn_http_method(req), target, body, len, &h, &p)) {
		sn_counter_add(s->refused[R_SIGNATURE], 1);
		sn_log(SN_LOG_WARN, "inspection-sim: a request refused",
		    "code", p.code, "target", sn_http_route_pattern(req),
		    NULL);
		sn_http_problem(req, &p);
		return false;
	}
	snprintf(o->nonce, sizeof(o->nonce), "%s", h.nonce);
	return true;
}

static void
op_free(void *arg)
{
	op *o = arg;
	free(o->id);
	free(o->body);
	free(o);
}

/* The first statement of every signed transaction. */
static const char nonce_sql[]
    = "INSERT INTO nonces (key_id, nonce) VALUES ($1, $2) "
      "ON CONFLICT DO NOTHING";

/* ---- one signed transaction ------------------------------------------ */

typedef struct txctx {
	sn_http_req *req;
	op          *o;
} txctx;

static void
answer_doc(sn_tx *tx, PGresult *res, void *arg)
{
	txctx  *c = arg;
	doc_row r;
	json_t *j = NULL;

	if (sn_rows_one(res, doc_cols, SN_NCOLS(doc_cols), &r) == SN_OK)
		j = json_loads(r.doc, 0, NULL);
	if (j == NULL) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the platform's records cannot be read now", NULL);
		return;
	}
	const char *result = json_string_value(json_object_get(j, "result"));
	unsigned    status = 200;
	if (result != NULL && strcmp(result, "no_case") == 0) {
		json_decref(j);
		sn_http_tx_fail(c->req, tx, 404, "no_such_case",
		    "no case of that id was delivered", "id");
		return;
	}
	if (result != NULL && strcmp(result, "created") == 0) {
		status = 201;
		if (c->o->kind == OP_CASE)
			sn_counter_add(c->o->s->cases_taken, 1);
	} else if (result != NULL
	    && (strcmp(result, "repeat") == 0 || strcmp(result, "stale") == 0))
		sn_counter_add(c->o->s->repeats, 1);
	sn_http_tx_reply(c->req, tx, status, j);
}

static const char tips_sql[]
    = "SELECT json_build_object("
      " 'items', coalesce((SELECT json_agg(t ORDER BY t.seq) FROM ("
      "   SELECT seq, id, subject_kind, subject_id, category, text,"
      "    reporter, received_at FROM tips WHERE seq > $1::bigint"
      "   ORDER BY seq LIMIT $2::bigint) t), '[]'::json),"
      " 'last', (SELECT last FROM tips_head))::text AS doc";

static const char case_sql[]
    = "SELECT json_build_object('id', $1::text, 'version', $4::bigint,"
      " 'result', put_case($1, $2, $3, $4::bigint, $5::jsonb))::text"
      " AS doc";

static const char outcome_sql[]
    = "SELECT json_build_object('id', $1::text, 'version', $3::bigint,"
      " 'result', put_outcome($1, $2, $3::bigint, $4::jsonb))::text"
      " AS doc";

static void
nonce_checked(sn_tx *tx, PGresult *res, void *arg)
{
	txctx *c = arg;
	op    *o = c->o;
	char   a[24], b[24], v[24];

	if (sn_rows_affected(res) == 0) {
		sn_counter_add(o->s->refused[R_NONCE], 1);
		sn_log(
		    SN_LOG_WARN, "inspection-sim: a nonce used again", NULL);
		sn_http_tx_fail(c->req, tx, 401, "replayed_nonce", "X-Nonce",
		    "this nonce was already used with this key");
		return;
	}
	switch (o->kind) {
	case OP_TIPS: {
		snprintf(a, sizeof(a), "%" PRId64, o->after);
		snprintf(b, sizeof(b), "%" PRId64, o->limit);
		const char *vals[] = { a, b };
		sn_tx_query(tx, tips_sql, 2, vals, answer_doc, c);
		break;
	}
	case OP_CASE: {
		snprintf(v, sizeof(v), "%" PRId64, o->version);
		const char *vals[]
		    = { o->id, o->s->key_id, o->case_kind, v, o->body };
		sn_tx_query(tx, case_sql, 5, vals, answer_doc, c);
		break;
	}
	case OP_OUTCOME: {
		snprintf(v, sizeof(v), "%" PRId64, o->version);
		const char *vals[] = { o->id, o->s->key_id, v, o->body };
		sn_tx_query(tx, outcome_sql, 4, vals, answer_doc, c);
		break;
	}
	}
}

static void
op_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	txctx      *c      = arg;
	const char *vals[] = { c->o->s->key_id, c->o->nonce };

	c->req = req;
	sn_tx_query(tx, nonce_sql, 2, vals, nonce_checked, c);
}

static void
op_end(void *arg)
{
	txctx *c = arg;
	op_free(c->o);
	free(c);
}

static void
op_start(sn_http_req *req, op *o)
{
	txctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		op_free(o);
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->o = o;
	sn_http_tx_with_end(req, op_begin, op_end, c);
}

/* ---- partner API -------------------------------------------------------- */

static bool
parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	if (text == NULL || text[0] < '0' || text[0] > '9')
		return false;
	long long v = strtoll(text, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

void
inspection_sim_tips_get(sn_http_req *req, void *arg)
{
	inspection_sim *s     = arg;
	const char     *after = sn_http_query(req, "after");
	const char     *limit = sn_http_query(req, "limit");
	char            target[128];
	op             *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	o->s     = s;
	o->kind  = OP_TIPS;
	o->limit = 100;
	if (after != NULL && !parse_int(after, 0, INT64_MAX, &o->after)) {
		free(o);
		sn_http_reply_error(req, 400, "invalid_query",
		    "after: a tip's seq, 0 or more", "after");
		return;
	}
	if (limit != NULL && !parse_int(limit, 1, TIPS_PAGE_MAX, &o->limit)) {
		free(o);
		sn_http_reply_error(
		    req, 400, "invalid_query", "limit: 1 to 1000", "limit");
		return;
	}
	/* the signed target: parameters sorted by name, as received */
	snprintf(target, sizeof(target), "/v1/tips%s%s%s%s%s%s",
	    after != NULL || limit != NULL ? "?" : "",
	    after != NULL ? "after=" : "", after != NULL ? after : "",
	    after != NULL && limit != NULL ? "&" : "",
	    limit != NULL ? "limit=" : "", limit != NULL ? limit : "");
	if (!signed_ok(s, req, target, o)) {
		free(o);
		return;
	}
	op_start(req, o);
}

static bool
case_id_ok(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;
	if (n == 0 || n > CASE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		        || (c >= '0' && c <= '9') || c == '-' || c == '_'
		        || c == '.' || c == ':'))
			return false;
	}
	return true;
}

/* PUT /cases/{id} and PUT /cases/{id}/outcome: {"version": n, ...}. */
static void
delivery(sn_http_req *req, inspection_sim *s, op_kind kind)
{
	const char *id   = sn_http_param(req, "id");
	json_t     *body = sn_http_json(req);
	char        target[CASE_ID_MAX + 32];
	sn_problem  p;
	int64_t     version = 0;
	const char *ckind   = "";
	op         *o;

	sn_problem_clear(&p);
	if (!case_id_ok(id)) {
		sn_http_reply_error(req, 422, "invalid_id",
		    "1-128 of A-Z a-z 0-9 - _ . :", "id");
		return;
	}
	snprintf(target, sizeof(target),
	    kind == OP_CASE ? "/v1/cases/%s" : "/v1/cases/%s/outcome", id);
	if (!json_is_object(body)) {
		sn_http_reply_error(req, 422, "invalid_type",
		    "a JSON object is expected", NULL);
		return;
	}
	if (!sn_in_i64(body, "version", "", SN_IN_REQUIRED, 1, INT64_MAX,
	        &version, &p)
	    || (kind == OP_CASE
	        && !sn_in_str(
	            body, "kind", "", SN_IN_REQUIRED, 32, &ckind, &p))) {
		sn_http_problem(req, &p);
		return;
	}
	if (kind == OP_CASE && strcmp(ckind, "grievance") != 0
	    && strcmp(ckind, "alert") != 0) {
		sn_http_reply_error(req, 422, "invalid_kind",
		    "\"grievance\" or \"alert\"", "kind");
		return;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL || (o->id = strdup(id)) == NULL
	    || (o->body = json_dumps(body, JSON_COMPACT)) == NULL) {
		if (o != NULL)
			op_free(o);
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	o->s         = s;
	o->kind      = kind;
	o->version   = version;
	o->case_kind = strcmp(ckind, "alert") == 0 ? "alert" : "grievance";
	if (!signed_ok(s, req, target, o)) {
		op_free(o);
		return;
	}
	op_start(req, o);
}

void
inspection_sim_case_put(sn_http_req *req, void *arg)
{
	delivery(req, arg, OP_CASE);
}

void
inspection_sim_outcome_put(sn_http_req *req, void *arg)
{
	delivery(req, arg, OP_OUTCOME);
}

/* ---- the public portal, the view, the switch -----------------------------
 */

typedef struct tip_ctx {
	inspection_sim *s;
	const char     *kind, *subject, *category, *text, *reporter;
} tip_ctx;

static const char tip_sql[]
    = "WITH n AS (UPDATE tips_head SET last = last + 1 RETURNING last),"
      " t AS (INSERT INTO tips (seq, subject_kind, subject_id, category,"
      "  text, reporter) SELECT last, $1, $2, $3, $4, $5 FROM n"
      "  RETURNING seq, id, subject_kind, subject_id, category, text,"
      "  reporter, received_at)"
      " SELECT row_to_json(t)::text AS doc FROM t";

static void
tip_stored(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	doc_row      r;
	json_t      *j = NULL;
	if (sn_rows_one(res, doc_cols, SN_NCOLS(doc_cols), &r) == SN_OK)
		j = json_loads(r.doc, 0, NULL);
	if (j == NULL) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the tip could not be stored", NULL);
		return;
	}
	sn_http_tx_reply(req, tx, 201, j);
}

static void
tip_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	tip_ctx    *c = arg;
	const char *vals[]
	    = { c->kind, c->subject, c->category, c->text, c->reporter };
	sn_tx_query(tx, tip_sql, 5, vals, tip_stored, req);
}

static void
tip_end(void *arg)
{
	tip_ctx *c = arg;
	sn_counter_add(c->s->tips_filed, 1);
	free(c);
}

static bool
one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

void
inspection_sim_tips_post(sn_http_req *req, void *arg)
{
	static const char *const keys[] = { "subject_kind", "subject_id",
		"category", "text", "reporter", NULL };
	static const char *const kinds[]
	    = { "case", "household", "staff", NULL };
	static const char *const cats[]
	    = { "decision", "amount", "delay", "conduct", NULL };
	json_t    *b = sn_http_json(req);
	sn_problem p;
	tip_ctx    c = { .s = arg, .reporter = "" };

	sn_problem_clear(&p);
	if (!sn_in_only(b, keys, "", &p)
	    || !sn_in_str(b, "subject_kind", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY, 16, &c.kind, &p)
	    || !sn_in_str(b, "subject_id", "", SN_IN_REQUIRED | SN_IN_NONEMPTY,
	        64, &c.subject, &p)
	    || !sn_in_str(b, "category", "", SN_IN_REQUIRED | SN_IN_NONEMPTY,
	        16, &c.category, &p)
	    || !sn_in_str(b, "text", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY | SN_IN_MULTILINE, 4000,
	        &c.text, &p)
	    || !sn_in_str(b, "reporter", "", 0, 200, &c.reporter, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (!one_of(c.kind, kinds)) {
		sn_http_reply_error(req, 422, "invalid_subject_kind",
		    "\"case\", \"household\" or \"staff\"", "subject_kind");
		return;
	}
	if (!one_of(c.category, cats)) {
		sn_http_reply_error(req, 422, "invalid_category",
		    "\"decision\", \"amount\", \"delay\" or \"conduct\"",
		    "category");
		return;
	}
	tip_ctx *h = malloc(sizeof(*h));
	if (h == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	*h = c;
	sn_http_tx_with_end(req, tip_begin, tip_end, h);
}

static void
cases_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	doc_row      r;
	json_t      *j = NULL;
	if (err == SN_OK
	    && sn_rows_one(res, doc_cols, SN_NCOLS(doc_cols), &r) == SN_OK)
		j = json_loads(r.doc, 0, NULL);
	if (j == NULL) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the platform's records cannot be read now", NULL);
		return;
	}
	json_t *page = sn_page_answer(json_incref(json_object_get(j, "items")),
	    json_is_true(json_object_get(j, "more")),
	    (int64_t) json_integer_value(json_object_get(j, "last")));
	json_decref(j);
	if (page == NULL)
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
	else
		sn_http_reply_json(req, 200, page);
}

static const char cases_sql[]
    = "WITH p AS (SELECT no, id, kind, body, version, outcome,"
      "  outcome_version, puts, first_at, updated_at FROM cases"
      "  WHERE no > $1::bigint ORDER BY no LIMIT $2::bigint + 1),"
      " k AS (SELECT * FROM p ORDER BY no LIMIT $2::bigint)"
      " SELECT json_build_object("
      "  'items', coalesce((SELECT json_agg(json_build_object('id', id,"
      "   'kind', kind, 'body', body, 'version', version, 'outcome',"
      "   outcome, 'outcome_version', outcome_version, 'puts', puts,"
      "   'first_at', first_at, 'updated_at', updated_at) ORDER BY no)"
      "   FROM k), '[]'::json),"
      "  'more', (SELECT count(*) FROM p) > $2::bigint,"
      "  'last', coalesce((SELECT max(no) FROM k), 0))::text AS doc";

void
inspection_sim_cases_get(sn_http_req *req, void *arg)
{
	inspection_sim *s = arg;
	sn_page         page;
	sn_problem      p;
	char            a[24], l[24];

	sn_problem_clear(&p);
	if (!sn_page_query(req, &page, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	snprintf(a, sizeof(a), "%" PRId64, page.after);
	snprintf(l, sizeof(l), "%" PRId64, page.limit);
	const char *vals[] = { a, l };
	sn_db_query(s->db, cases_sql, 2, vals, cases_done, req);
}

void
inspection_sim_control_put(sn_http_req *req, void *arg)
{
	static const char *const keys[] = { "unavailable", NULL };
	inspection_sim          *s      = arg;
	json_t                  *b      = sn_http_json(req);
	sn_problem               p;
	bool                     on = false;

	sn_problem_clear(&p);
	if (!sn_in_only(b, keys, "", &p)
	    || !sn_in_bool(b, "unavailable", "", SN_IN_REQUIRED, &on, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	s->unavailable = on;
	sn_log(SN_LOG_INFO, "inspection-sim: partner API switched", "state",
	    on ? "unavailable" : "available", NULL);
	sn_http_reply_json(req, 200, json_pack("{s:b}", "unavailable", on));
}

/* ---- lifecycle -----------------------------------------------------------
 */

static void
purged(sn_err err, PGresult *res, void *arg)
{
	(void) res;
	(void) arg;
	if (err != SN_OK)
		sn_log(SN_LOG_WARN, "inspection-sim: nonces not purged", NULL);
}

/* Nonces older than twice the window: their timestamps are refused
 * already. */
static void
purge(void *arg)
{
	inspection_sim *s = arg;
	char            secs[16];
	snprintf(secs, sizeof(secs), "%d", 2 * INSPECTION_SIGN_SKEW_S);
	const char *vals[] = { secs };
	sn_db_query(s->db,
	    "DELETE FROM nonces WHERE at < now() - make_interval(secs => "
	    "$1::int)",
	    1, vals, purged, s);
}

sn_err
inspection_sim_open(
    inspection_sim **out, sn_service *svc, const inspection_sim_config *cfg)
{
	static const char *const reasons[NREFUSED]
	    = { "signature", "nonce", "unavailable" };
	inspection_sim *s = calloc(1, sizeof(*s));
	sn_metrics     *m = sn_service_metrics(svc);
	char            l[64];

	if (s == NULL)
		return SN_ENOMEM;
	s->svc = svc;
	s->db  = sn_service_db(svc);
	memcpy(s->key, cfg->key, sizeof(s->key));
	snprintf(s->key_id, sizeof(s->key_id), "%s", cfg->key_id);
	s->unavailable = cfg->unavailable;
	for (int i = 0; i < NREFUSED; i++) {
		snprintf(l, sizeof(l), "reason=\"%s\"", reasons[i]);
		s->refused[i]
		    = sn_metrics_counter(m, "sn_inspection_sim_refused_total",
		        "Partner requests refused, by reason", l);
	}
	s->tips_filed = sn_metrics_counter(
	    m, "sn_inspection_sim_tips_filed_total", "Tips filed", NULL);
	s->cases_taken = sn_metrics_counter(
	    m, "sn_inspection_sim_cases_total", "Cases delivered (new)", NULL);
	s->repeats = sn_metrics_counter(m, "sn_inspection_sim_repeats_total",
	    "Deliveries of a version already held", NULL);
	for (int i = 0; i < NREFUSED; i++)
		if (s->refused[i] == NULL) {
			free(s);
			return SN_ENOMEM;
		}
	if (s->tips_filed == NULL || s->cases_taken == NULL
	    || s->repeats == NULL) {
		free(s);
		return SN_ENOMEM;
	}
	sn_err err = sn_service_every(svc, 60000, 60000, purge, s);
	if (err != SN_OK) {
		free(s);
		return err;
	}
	*out = s;
	return SN_OK;
}

void
inspection_sim_close(inspection_sim *s)
{
	free(s);
}
