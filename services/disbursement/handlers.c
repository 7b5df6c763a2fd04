/*
 * handlers.c - HTTP requests and events into disbursement; see handlers.h.
 */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "payout.h"
#include "rules.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/log.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "store.h"

#define FINANCE "finance"
#define APPROVER "finance_approver"
#define OFFICER "township_officer"
#define READERS "finance,finance_approver"
#define PAYMENT_READERS "finance,finance_approver,township_officer"

/* The one instance of this process; transaction callbacks reach the bus
 * and the settings through it. */
static disbursement *self;

/* ---- small helpers ------------------------------------------------------ */

static bool
uuid_valid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
		               || (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

/* Members of o not in keys (NULL-ended): the first, or NULL. */
static const char *
unknown_key(json_t *o, const char *const *keys)
{
	const char *k;
	json_t     *v;
	json_object_foreach(o, k, v)
	{
		bool known = false;
		for (size_t i = 0; keys[i] != NULL && !known; i++)
			known = strcmp(k, keys[i]) == 0;
		if (!known)
			return k;
	}
	return NULL;
}

/* A string member (NULL when absent); false when present and not a
 * string without NULs. */
static bool
get_str(json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);
	*out      = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v)
	    || strlen(json_string_value(v)) != json_string_length(v))
		return false;
	*out = json_string_value(v);
	return true;
}

static void
reply_problem(sn_http_req *req, const disbursement_problem *why)
{
	sn_http_reply_error(req, why->status, why->code, why->message, why->field);
}

static void
fail_problem(sn_http_req *req, sn_tx *tx, const disbursement_problem *why)
{
	sn_http_tx_fail(req, tx, why->status, why->code, why->message, why->field);
}

static void
fail_unavailable(sn_http_req *req, sn_tx *tx)
{
	if (!sn_tx_failed(tx))
		sn_http_tx_fail(req, tx, 503, "unavailable", "try again", NULL);
}

static void
kick(void *arg)
{
	disbursement_payout_kick(arg);
}

/* The calendar year now in the district's time. */
static int
this_year(void)
{
	time_t    t = time(NULL) + (time_t) self->cfg.utc_offset_min * 60;
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

/* The first row's first column parsed as JSON, or an answer sent. */
static json_t *
first_json(sn_http_req *req, sn_err err, PGresult *res, const char *what)
{
	if (err != SN_OK || res == NULL) {
		sn_http_reply_error(req, 503, "unavailable", "try again", NULL);
		return NULL;
	}
	if (PQntuples(res) != 1) {
		sn_http_reply_error(req, 404, "not_found", what, "id");
		return NULL;
	}
	json_t *j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (j == NULL)
		sn_http_reply_error(req, 500, "internal", "bad document", NULL);
	return j;
}

/* ---- events out --------------------------------------------------------- */

static Sn__Pay__V1__RunStatus
run_status(const char *s)
{
	static const char *const names[] = { "", "building",
		"awaiting_approval", "approved", "rejected", "sending",
		"completed" };
	for (int i = 1; i < 7; i++)
		if (strcmp(s, names[i]) == 0)
			return (Sn__Pay__V1__RunStatus) i;
	return SN__PAY__V1__RUN_STATUS__RUN_STATUS_UNSPECIFIED;
}

sn_err
disbursement_run_changed(disbursement *d, sn_tx *tx, const char *id,
    const char *period, const char *status, int64_t payments,
    int64_t total_fen, const char *actor)
{
	Sn__Pay__V1__PaymentRunChanged m = SN__PAY__V1__PAYMENT_RUN_CHANGED__INIT;
	m.payment_run_id                 = (char *) id;
	m.period                         = (char *) period;
	m.status                         = run_status(status);
	m.payments                       = payments;
	m.total_fen                      = total_fen;
	m.actor                          = (char *) actor;
	size_t   len = sn__pay__v1__payment_run_changed__get_packed_size(&m);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return SN_ENOMEM;
	sn__pay__v1__payment_run_changed__pack(&m, buf);
	sn_event_out ev = { .type = "payment_run.changed",
		.subject          = id,
		.actor            = actor,
		.schema_version   = 1,
		.data             = buf,
		.len              = len };
	sn_err err = sn_bus_append(sn_service_bus(d->svc), tx, &ev);
	free(buf);
	return err;
}

/* ---- POST /budgets ------------------------------------------------------ */

typedef struct alloc_in {
	const char *fund;
	int64_t     year, amount;
} alloc_in;

static bool
decode_alloc(sn_http_req *req, alloc_in *in, disbursement_problem *why)
{
	static const char *const keys[] = { "fund", "year", "amount_fen", NULL };
	json_t                  *b      = sn_http_json(req);
	memset(in, 0, sizeof(*in));
	*why = (disbursement_problem) { 422, "invalid_type",
		"the body is {fund, year, amount_fen}", NULL };
	if (!json_is_object(b))
		return false;
	if (unknown_key(b, keys) != NULL) {
		why->code    = "unknown_field";
		why->message = "no such field";
		return false;
	}
	json_t *y = json_object_get(b, "year"), *a = json_object_get(b, "amount_fen");
	if (!get_str(b, "fund", &in->fund)) {
		why->field = "fund";
		return false;
	}
	if (y != NULL && !json_is_integer(y)) {
		why->field = "year";
		return false;
	}
	if (a != NULL && !json_is_integer(a)) {
		why->field = "amount_fen";
		return false;
	}
	in->year   = y != NULL ? (int64_t) json_integer_value(y) : 0;
	in->amount = a != NULL ? (int64_t) json_integer_value(a) : 0;
	return disbursement_rules_allocation(sn_http_principal(req), in->fund,
	    in->year, in->amount, why);
}

static void
alloc_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	if (PQntuples(res) != 1) {
		sn_http_tx_fail(req, tx, 500, "internal", "not recorded", NULL);
		return;
	}
	int64_t alloc = sn_db_i64(res, 0, 2), drawn = sn_db_i64(res, 0, 3);
	sn_http_tx_reply(req, tx, 201,
	    json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "fund",
	        PQgetvalue(res, 0, 0), "year", (json_int_t) sn_db_i64(res, 0, 1),
	        "allocated_fen", (json_int_t) alloc, "drawn_fen",
	        (json_int_t) drawn, "left_fen", (json_int_t) (alloc - drawn),
	        "allocation_id", (json_int_t) sn_db_i64(res, 0, 4)));
}

static void
alloc_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	alloc_in             in;
	disbursement_problem why;
	(void) arg;
	if (!decode_alloc(req, &in, &why)) {
		fail_problem(req, tx, &why);
		return;
	}
	if (disbursement_store_allocate(tx, in.fund, (int) in.year, in.amount,
	        sn_http_principal(req)->user, alloc_done, req)
	    != SN_OK)
		fail_unavailable(req, tx);
	else
		(void) sn_tx_on_commit(tx, kick, self);
}

static void
on_budget(sn_http_req *req, void *arg)
{
	alloc_in             in;
	disbursement_problem why;
	if (!decode_alloc(req, &in, &why)) {
		reply_problem(req, &why);
		return;
	}
	sn_http_tx(req, alloc_begin, arg);
}

/* ---- GET /budgets/{fund}/{year}/settlement ------------------------------- */

static void
settlement_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	if (err != SN_OK || res == NULL || PQntuples(res) != 1) {
		sn_http_reply_error(req, 503, "unavailable", "try again", NULL);
		return;
	}
	if (PQgetisnull(res, 0, 0)) {
		sn_http_reply_error(req, 404, "no_budget",
		    "no budget allocated for this fund and year", NULL);
		return;
	}
	int64_t alloc = sn_db_i64(res, 0, 0), drawn = sn_db_i64(res, 0, 1);
	int64_t paid = sn_db_i64(res, 0, 2), ret = sn_db_i64(res, 0, 3);
	int64_t fly = sn_db_i64(res, 0, 4);
	sn_http_reply_json(req, 200,
	    json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
	              " s:I}",
	        "fund", sn_http_param(req, "fund"), "year",
	        atoi(sn_http_param(req, "year")), "allocated_fen",
	        (json_int_t) alloc, "drawn_fen", (json_int_t) drawn, "paid_fen",
	        (json_int_t) paid, "returned_fen", (json_int_t) ret,
	        "in_flight_fen", (json_int_t) fly, "left_fen",
	        (json_int_t) (alloc - paid - fly), "uncommitted_fen",
	        (json_int_t) (alloc - drawn), "paid_count",
	        (json_int_t) sn_db_i64(res, 0, 5), "returned_count",
	        (json_int_t) sn_db_i64(res, 0, 6), "in_flight_count",
	        (json_int_t) sn_db_i64(res, 0, 7)));
}

static void
on_settlement(sn_http_req *req, void *arg)
{
	const char *fund = sn_http_param(req, "fund");
	const char *ys   = sn_http_param(req, "year");
	int         year = 0;
	(void) arg;
	if (disbursement_rules_fund_parse(fund) == DISBURSEMENT_FUND_NONE) {
		sn_http_reply_error(req, 404, "not_found", "no such fund", "fund");
		return;
	}
	if (strlen(ys) != 4 || !disbursement_rules_period_parse(
	        (char[8]) { ys[0], ys[1], ys[2], ys[3], '-', '0', '1', 0 },
	        &year, NULL)) {
		sn_http_reply_error(req, 422, "invalid_year", "year is YYYY",
		    "year");
		return;
	}
	disbursement_store_settlement(sn_service_db(self->svc), fund, year,
	    settlement_done, req);
}

/* ---- POST /runs --------------------------------------------------------- */

static bool
decode_run(sn_http_req *req, const char **period, disbursement_problem *why)
{
	static const char *const keys[] = { "period", NULL };
	json_t                  *b      = sn_http_json(req);
	const sn_principal      *p      = sn_http_principal(req);
	if (strlen(p->juris) != 6) {
		*why = (disbursement_problem) { 403, "forbidden",
			"runs are made by the district's finance", NULL };
		return false;
	}
	if (!json_is_object(b) || unknown_key(b, keys) != NULL
	    || !get_str(b, "period", period) || *period == NULL
	    || !disbursement_rules_period_parse(*period, NULL, NULL)) {
		*why = (disbursement_problem) { 422, "invalid_period",
			"the body is {period: \"YYYY-MM\"}", "period" };
		return false;
	}
	return true;
}

static void
exists_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *e   = json_pack("{s:{s:s, s:s, s:s, s:s?}}", "error",
	             "code", "run_exists", "message",
	             "the period has a run already", "field", "period", "run_id",
	             PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : NULL);
	sn_http_tx_fail_json(req, tx, 409, e);
}

static void
create_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	const char  *period;
	disbursement_problem why;
	if (!decode_run(req, &period, &why)) {
		fail_problem(req, tx, &why);
		return;
	}
	if (PQntuples(res) != 1) {
		if (disbursement_store_run_of_period(tx, period, exists_done, req)
		    != SN_OK)
			fail_unavailable(req, tx);
		return;
	}
	const char *id   = PQgetvalue(res, 0, 0);
	const char *user = sn_http_principal(req)->user;
	if (disbursement_run_changed(self, tx, id, period, "building", 0, 0, user)
	    != SN_OK) {
		fail_unavailable(req, tx);
		return;
	}
	(void) sn_tx_on_commit(tx, kick, self);
	sn_http_tx_reply(req, tx, 202,
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "period", period,
	        "status", "building", "created_by", user, "created_at",
	        PQgetvalue(res, 0, 1)));
}

static void
create_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	const char          *period;
	disbursement_problem why;
	(void) arg;
	if (!decode_run(req, &period, &why)) {
		fail_problem(req, tx, &why);
		return;
	}
	if (disbursement_store_run_create(tx, period,
	        sn_http_principal(req)->user, create_done, req)
	    != SN_OK)
		fail_unavailable(req, tx);
}

static void
on_run_create(sn_http_req *req, void *arg)
{
	const char          *period;
	disbursement_problem why;
	if (!decode_run(req, &period, &why)) {
		reply_problem(req, &why);
		return;
	}
	sn_http_tx(req, create_begin, arg);
}

/* ---- GET /runs/{id}, /plan, /reconciliation ------------------------------ */

static bool
run_id_ok(sn_http_req *req)
{
	if (uuid_valid(sn_http_param(req, "id")))
		return true;
	sn_http_reply_error(req, 404, "not_found", "no such run", "id");
	return false;
}

static void
run_doc_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *j   = first_json(req, err, res, "no such run");
	if (j != NULL)
		sn_http_reply_json(req, 200, j);
}

static void
on_run_get(sn_http_req *req, void *arg)
{
	(void) arg;
	if (run_id_ok(req))
		disbursement_store_run_doc(sn_service_db(self->svc),
		    sn_http_param(req, "id"), run_doc_done, req);
}

static void
plan_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *run = first_json(req, err, res, "no such run");
	if (run == NULL)
		return;
	json_t *rows = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	sn_http_reply_json(req, 200,
	    json_pack("{s:o, s:o, s:I, s:I}", "run", run, "rows",
	        rows != NULL ? rows : json_array(), "payments",
	        (json_int_t) sn_db_i64(res, 0, 2), "total_fen",
	        (json_int_t) sn_db_i64(res, 0, 3)));
}

static void
on_plan(sn_http_req *req, void *arg)
{
	(void) arg;
	if (run_id_ok(req))
		disbursement_store_plan(sn_service_db(self->svc),
		    sn_http_param(req, "id"), plan_done, req);
}

static void
recon_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	if (err != SN_OK || res == NULL) {
		sn_http_reply_error(req, 503, "unavailable", "try again", NULL);
		return;
	}
	if (PQntuples(res) != 1) {
		sn_http_reply_error(req, 404, "not_found", "no such run", "id");
		return;
	}
	const char           *status = PQgetvalue(res, 0, 0);
	disbursement_recon_in in;
	memset(&in, 0, sizeof(in));
	in.plan_count     = sn_db_i64(res, 0, 2);
	in.plan_fen       = sn_db_i64(res, 0, 3);
	in.payments_count = sn_db_i64(res, 0, 4);
	in.payments_fen   = sn_db_i64(res, 0, 5);
	in.unsent_count   = sn_db_i64(res, 0, 6);
	in.unsent_fen     = sn_db_i64(res, 0, 7);
	in.unknown_count  = sn_db_i64(res, 0, 8);
	in.unknown_fen    = sn_db_i64(res, 0, 9);
	in.settled_count  = sn_db_i64(res, 0, 10);
	in.settled_fen    = sn_db_i64(res, 0, 11);
	in.rejected_count = sn_db_i64(res, 0, 12);
	in.rejected_fen   = sn_db_i64(res, 0, 13);
	in.replaced_count = sn_db_i64(res, 0, 14);
	in.run_total_fen  = sn_db_i64(res, 0, 15);
	in.allocated_fen[DISBURSEMENT_FUND_DIBAO] = sn_db_i64(res, 0, 16);
	in.drawn_fen[DISBURSEMENT_FUND_DIBAO]     = sn_db_i64(res, 0, 17);
	in.allocated_fen[DISBURSEMENT_FUND_TEKUN] = sn_db_i64(res, 0, 18);
	in.drawn_fen[DISBURSEMENT_FUND_TEKUN]     = sn_db_i64(res, 0, 19);
	in.sending = strcmp(status, "sending") == 0
	    || strcmp(status, "completed") == 0
	    || strcmp(status, "approved") == 0;
	disbursement_finding f[DISBURSEMENT_MAX_FINDINGS];
	size_t               nf = disbursement_rules_reconcile(&in, f);
	json_t              *fj = json_array();
	for (size_t i = 0; i < nf; i++)
		json_array_append_new(fj,
		    json_pack("{s:s, s:s}", "code", f[i].code, "message",
		        f[i].message));
	json_t *j = json_pack("{s:s, s:s, s:b, s:o,"
	                      " s:{s:I, s:I, s:I, s:I, s:I},"
	                      " s:{s:I, s:I}, s:{s:I, s:I},"
	                      " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
	                      " s:{s:{s:I, s:I}, s:{s:I, s:I}}}",
	    "run_id", sn_http_param(req, "id"), "status", status, "balanced",
	    nf == 0, "findings", fj, "instructions", "sent",
	    (json_int_t) sn_db_i64(res, 0, 20), "settled",
	    (json_int_t) in.settled_count, "rejected",
	    (json_int_t) (in.rejected_count + in.replaced_count), "unknown",
	    (json_int_t) in.unknown_count, "not_sent",
	    (json_int_t) in.unsent_count, "plan", "payments",
	    (json_int_t) in.plan_count, "total_fen", (json_int_t) in.plan_fen,
	    "shortfall", "payees", (json_int_t) sn_db_i64(res, 0, 21),
	    "total_fen", (json_int_t) sn_db_i64(res, 0, 22), "payments",
	    "count", (json_int_t) in.payments_count, "total_fen",
	    (json_int_t) in.payments_fen, "settled_fen",
	    (json_int_t) in.settled_fen, "rejected_fen",
	    (json_int_t) in.rejected_fen, "unknown_fen",
	    (json_int_t) in.unknown_fen, "not_sent_fen",
	    (json_int_t) in.unsent_fen, "held_for_correction",
	    (json_int_t) in.rejected_count, "corrected_instructions",
	    (json_int_t) in.replaced_count, "run_total_fen",
	    (json_int_t) in.run_total_fen, "budget", "dibao", "allocated_fen",
	    (json_int_t) in.allocated_fen[DISBURSEMENT_FUND_DIBAO], "drawn_fen",
	    (json_int_t) in.drawn_fen[DISBURSEMENT_FUND_DIBAO], "tekun",
	    "allocated_fen",
	    (json_int_t) in.allocated_fen[DISBURSEMENT_FUND_TEKUN], "drawn_fen",
	    (json_int_t) in.drawn_fen[DISBURSEMENT_FUND_TEKUN]);
	if (j == NULL) {
		sn_http_reply_error(req, 500, "internal", "cannot render", NULL);
		return;
	}
	json_object_set_new(j, "year", json_integer(sn_db_i64(res, 0, 1)));
	sn_http_reply_json(req, 200, j);
}

static void
on_recon(sn_http_req *req, void *arg)
{
	(void) arg;
	if (run_id_ok(req))
		disbursement_store_reconciliation(sn_service_db(self->svc),
		    sn_http_param(req, "id"), recon_done, req);
}

/* ---- POST /runs/{id}/approval ------------------------------------------- */

typedef struct approval_ctx {
	sn_http_req *req;
	bool    found;
	char    status[24], period[8], created_by[64];
	int64_t payments, total_fen;
	bool    decided;
} approval_ctx;

static bool
decode_approval(sn_http_req *req, const char **decision, const char **reason,
    disbursement_problem *why)
{
	static const char *const keys[] = { "decision", "reason", NULL };
	json_t                  *b      = sn_http_json(req);
	*decision = *reason = NULL;
	if (!json_is_object(b) || unknown_key(b, keys) != NULL
	    || !get_str(b, "decision", decision)
	    || !get_str(b, "reason", reason)) {
		*why = (disbursement_problem) { 422, "invalid_type",
			"the body is {decision, reason?}", NULL };
		return false;
	}
	if (*reason != NULL && strlen(*reason) > 500) {
		*why = (disbursement_problem) { 422, "invalid_reason",
			"reason is at most 500 bytes", "reason" };
		return false;
	}
	/* The run's own checks come in the transaction; these need none. */
	disbursement_run_view v = { .status = "awaiting_approval",
		.created_by = "", .approver_decided_a_case = false };
	return disbursement_rules_approval(
	    sn_http_principal(req), &v, *decision, why);
}

static void
decided_done(sn_tx *tx, PGresult *res, void *arg)
{
	approval_ctx *c = arg;
	(void) tx;
	c->decided = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
}

static void
approval_lock_done(sn_tx *tx, PGresult *res, void *arg)
{
	approval_ctx *c = arg;
	(void) tx;
	if (PQntuples(res) != 1)
		return;
	c->found = true;
	snprintf(c->status, sizeof(c->status), "%s", PQgetvalue(res, 0, 0));
	snprintf(c->period, sizeof(c->period), "%s", PQgetvalue(res, 0, 1));
	snprintf(c->created_by, sizeof(c->created_by), "%s",
	    PQgetvalue(res, 0, 2));
	c->payments  = sn_db_i64(res, 0, 4);
	c->total_fen = sn_db_i64(res, 0, 5);
}

static void
decision_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	const char  *decision, *reason;
	disbursement_problem why;
	(void) decode_approval(req, &decision, &reason, &why);
	if (PQntuples(res) != 1) {
		sn_http_tx_fail(req, tx, 409, "not_awaiting_approval",
		    "the run is not awaiting approval", NULL);
		return;
	}
	bool        approve = strcmp(decision, "approve") == 0;
	const char *status  = approve ? "approved" : "rejected";
	const char *user    = sn_http_principal(req)->user;
	const char *id      = sn_http_param(req, "id");
	if (disbursement_run_changed(self, tx, id, PQgetvalue(res, 0, 0), status,
	        sn_db_i64(res, 0, 1), sn_db_i64(res, 0, 2), user)
	    != SN_OK) {
		fail_unavailable(req, tx);
		return;
	}
	if (approve)
		(void) sn_tx_on_commit(tx, kick, self);
	sn_http_tx_reply(req, tx, 200,
	    json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "id", id, "period",
	        PQgetvalue(res, 0, 0), "status", status, "payments",
	        (json_int_t) sn_db_i64(res, 0, 1), "total_fen",
	        (json_int_t) sn_db_i64(res, 0, 2), "decided_by", user));
}

static void
approval_then(sn_tx *tx, void *arg)
{
	approval_ctx        *c   = arg;
	sn_http_req         *req = c->req;
	const char          *decision, *reason;
	disbursement_problem why;
	(void) decode_approval(req, &decision, &reason, &why);
	disbursement_run_view v = { .status = c->found ? c->status : NULL,
		.created_by = c->created_by,
		.approver_decided_a_case = c->decided };
	if (!disbursement_rules_approval(sn_http_principal(req), &v, decision,
	        &why)) {
		fail_problem(req, tx, &why);
		return;
	}
	const char *id   = sn_http_param(req, "id");
	const char *user = sn_http_principal(req)->user;
	sn_err      err  = strcmp(decision, "approve") == 0
	          ? disbursement_store_run_approve(
	              tx, id, user, reason, decision_done, req)
	          : disbursement_store_run_reject(
	              tx, id, user, reason, decision_done, req);
	if (err != SN_OK)
		fail_unavailable(req, tx);
}

static void
approval_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	approval_ctx *c  = arg;
	const char   *id = sn_http_param(req, "id");
	c->req           = req;
	if (disbursement_store_run_lock(tx, id, approval_lock_done, c) != SN_OK
	    || disbursement_store_run_decided_by(tx, id,
	           sn_http_principal(req)->user, decided_done, c)
	        != SN_OK
	    || sn_tx_then(tx, approval_then, c) != SN_OK)
		fail_unavailable(req, tx);
}

static void
on_approval(sn_http_req *req, void *arg)
{
	const char          *decision, *reason;
	disbursement_problem why;
	(void) arg;
	if (!run_id_ok(req))
		return;
	if (!decode_approval(req, &decision, &reason, &why)) {
		reply_problem(req, &why);
		return;
	}
	approval_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		sn_http_reply_error(req, 503, "unavailable", "try again", NULL);
		return;
	}
	sn_http_tx_with_end(req, approval_begin, free, c);
}

/* ---- payments ----------------------------------------------------------- */

static void
payment_doc_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *j   = first_json(req, err, res, "no such payment");
	if (j == NULL)
		return;
	const sn_principal *p = sn_http_principal(req);
	if (strcmp(p->role, OFFICER) == 0
	    && !sn_auth_within(p, PQgetvalue(res, 0, 1))) {
		json_decref(j);
		sn_http_reply_error(req, 404, "not_found", "no such payment", "id");
		return;
	}
	sn_http_reply_json(req, 200, j);
}

static void
on_payment_get(sn_http_req *req, void *arg)
{
	(void) arg;
	if (!uuid_valid(sn_http_param(req, "id"))) {
		sn_http_reply_error(req, 404, "not_found", "no such payment", "id");
		return;
	}
	disbursement_store_payment_doc(sn_service_db(self->svc),
	    sn_http_param(req, "id"), payment_doc_done, req);
}

static void
payments_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	if (err != SN_OK || res == NULL || PQntuples(res) != 1) {
		sn_http_reply_error(req, 503, "unavailable", "try again", NULL);
		return;
	}
	json_t *j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	sn_http_reply_json(req, 200,
	    json_pack("{s:o}", "payments", j != NULL ? j : json_array()));
}

static void
on_payments(sn_http_req *req, void *arg)
{
	static const char *const statuses[] = { "planned", "ready", "sent",
		"accepted", "settled", "rejected", NULL };
	const char         *status   = sn_http_query(req, "status");
	const char         *township = sn_http_query(req, "township");
	const sn_principal *p        = sn_http_principal(req);
	(void) arg;
	if (status == NULL)
		status = "rejected";
	bool known = false;
	for (int i = 0; statuses[i] != NULL && !known; i++)
		known = strcmp(status, statuses[i]) == 0;
	if (!known) {
		sn_http_reply_error(req, 422, "invalid_status", "no such status",
		    "status");
		return;
	}
	const char *prefix = p->juris;
	if (township != NULL) {
		if (!sn_auth_within(p, township)) {
			sn_http_reply_error(req, 403, "forbidden",
			    "outside your jurisdiction", "township");
			return;
		}
		prefix = township;
	}
	/* A district's finance sees every payment (some have no township). */
	if (township == NULL && strcmp(p->role, OFFICER) != 0)
		prefix = "";
	disbursement_store_payments(sn_service_db(self->svc), status, prefix,
	    1000, payments_done, req);
}

typedef struct account_in {
	const char *bank_code, *account_number, *account_name;
} account_in;

static bool
decode_account(sn_http_req *req, account_in *in, disbursement_problem *why)
{
	static const char *const keys[] = { "bank_code", "account_number",
		"account_name", NULL };
	json_t                  *b      = sn_http_json(req);
	*why = (disbursement_problem) { 422, "invalid_account",
		"the body is {bank_code, account_number, account_name}, each 1 "
		"to 64 characters",
		NULL };
	if (!json_is_object(b) || unknown_key(b, keys) != NULL)
		return false;
	if (!get_str(b, "bank_code", &in->bank_code)
	    || !get_str(b, "account_number", &in->account_number)
	    || !get_str(b, "account_name", &in->account_name))
		return false;
	const char *v[3] = { in->bank_code, in->account_number, in->account_name };
	static const char *const f[3] = { "bank_code", "account_number",
		"account_name" };
	for (int i = 0; i < 3; i++)
		if (v[i] == NULL || v[i][0] == '\0' || strlen(v[i]) > 64) {
			why->field = f[i];
			return false;
		}
	return true;
}

static void
correct_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	if (PQntuples(res) != 1) {
		sn_http_tx_fail(req, tx, 409, "not_rejected",
		    "only a rejected payment is corrected", NULL);
		return;
	}
	json_t *j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	(void) sn_tx_on_commit(tx, kick, self);
	sn_http_tx_reply(req, tx, 200, j);
}

static void
payment_lock_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req        *req = arg;
	const sn_principal *p   = sn_http_principal(req);
	account_in          in;
	disbursement_problem why;
	if (PQntuples(res) != 1 || !sn_auth_within(p, PQgetvalue(res, 0, 1))) {
		sn_http_tx_fail(req, tx, 404, "not_found", "no such payment", "id");
		return;
	}
	if (!PQgetisnull(res, 0, 2)) {
		sn_http_tx_fail(req, tx, 409, "not_correctable",
		    "an emergency payment is not corrected here: the grant was "
		    "reversed",
		    NULL);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "rejected") != 0) {
		sn_http_tx_fail(req, tx, 409, "not_rejected",
		    "only a rejected payment is corrected", NULL);
		return;
	}
	if (sn_db_i64(res, 0, 3) >= 99) {
		sn_http_tx_fail(req, tx, 409, "too_many_attempts",
		    "this payment has been corrected too often", NULL);
		return;
	}
	(void) decode_account(req, &in, &why);
	if (disbursement_store_correct(tx, sn_http_param(req, "id"), in.bank_code,
	        in.account_number, in.account_name, p->user, correct_done, req)
	    != SN_OK)
		fail_unavailable(req, tx);
}

static void
correct_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	(void) arg;
	if (disbursement_store_payment_lock(
	        tx, sn_http_param(req, "id"), payment_lock_done, req)
	    != SN_OK)
		fail_unavailable(req, tx);
}

static void
on_correct(sn_http_req *req, void *arg)
{
	account_in           in;
	disbursement_problem why;
	if (!uuid_valid(sn_http_param(req, "id"))) {
		sn_http_reply_error(req, 404, "not_found", "no such payment", "id");
		return;
	}
	if (!decode_account(req, &in, &why)) {
		reply_problem(req, &why);
		return;
	}
	sn_http_tx(req, correct_begin, arg);
}

/* ---- events in ---------------------------------------------------------- */

static sn_err
bad_event(const sn_event *ev, const char *why)
{
	sn_log(SN_LOG_WARN, "malformed event skipped", "type", ev->type,
	    "subject", ev->subject, "reason", why, NULL);
	return SN_EPROTO;
}

static const char *
str_or(const char *s)
{
	return s != NULL ? s : "";
}

static sn_err
on_decided(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Assist__V1__ApplicationDecided *m
	    = sn__assist__v1__application_decided__unpack(NULL, ev->len, ev->data);
	if (m == NULL)
		return bad_event(ev, "not an ApplicationDecided");
	sn_err            err  = SN_OK;
	disbursement_fund fund = disbursement_rules_fund_of_category(m->category);
	if (!m->approved || fund == DISBURSEMENT_FUND_NONE
	    || m->monthly_amount_fen <= 0)
		goto out; /* nothing paid monthly */
	if (m->application_id[0] == '\0'
	    || !disbursement_rules_period_parse(m->effective_month, NULL, NULL)) {
		err = bad_event(ev, "no application id or effective month");
		goto out;
	}
	const Sn__Assist__V1__Household    *h = m->household;
	const Sn__Assist__V1__PayeeAccount *a = m->payee;
	disbursement_payee_row r = { .application_id = m->application_id,
		.beneficiary_id = "",
		.status         = "active",
		.fund           = disbursement_rules_fund_name(fund),
		.monthly_fen    = m->monthly_amount_fen,
		.district_code  = h ? str_or(h->district_code) : "",
		.township_code  = h ? str_or(h->township_code) : "",
		.village_code   = h ? str_or(h->village_code) : "",
		.bank_code      = a ? str_or(a->bank_code) : "",
		.account_number = a ? str_or(a->account_number) : "",
		.account_name   = a ? str_or(a->account_name) : "",
		.from_month     = m->effective_month,
		.until_month    = NULL,
		.decided_by     = str_or(m->decided_by) };
	err = disbursement_store_payee_decided(tx, &r);
out:
	sn__assist__v1__application_decided__free_unpacked(m, NULL);
	return err;
}

static sn_err
on_beneficiary(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Assist__V1__BeneficiaryChanged *m
	    = sn__assist__v1__beneficiary_changed__unpack(NULL, ev->len, ev->data);
	if (m == NULL)
		return bad_event(ev, "not a BeneficiaryChanged");
	sn_err            err  = SN_OK;
	disbursement_fund fund = disbursement_rules_fund_of_category(m->category);
	if (m->application_id[0] == '\0') {
		err = bad_event(ev, "no application id");
		goto out;
	}
	if (fund == DISBURSEMENT_FUND_NONE) {
		err = disbursement_store_payee_exit(tx, m->application_id);
		goto out;
	}
	if (!disbursement_rules_period_parse(m->from_month, NULL, NULL)
	    || (m->until_month[0] != '\0'
	        && !disbursement_rules_period_parse(m->until_month, NULL, NULL))
	    || m->monthly_amount_fen < 0) {
		err = bad_event(ev, "bad months or amount");
		goto out;
	}
	const char *status
	    = m->status == SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED
	    ? "exited"
	    : m->status
	        == SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_GRADUAL_EXIT
	    ? "gradual_exit"
	    : "active";
	const Sn__Assist__V1__Household    *h = m->household;
	const Sn__Assist__V1__PayeeAccount *a = m->payee;
	disbursement_payee_row r = { .application_id = m->application_id,
		.beneficiary_id = str_or(m->beneficiary_id),
		.status         = status,
		.fund           = disbursement_rules_fund_name(fund),
		.monthly_fen    = m->monthly_amount_fen,
		.district_code  = h ? str_or(h->district_code) : "",
		.township_code  = h ? str_or(h->township_code) : "",
		.village_code   = h ? str_or(h->village_code) : "",
		.bank_code      = a ? str_or(a->bank_code) : "",
		.account_number = a ? str_or(a->account_number) : "",
		.account_name   = a ? str_or(a->account_name) : "",
		.from_month     = m->from_month,
		.until_month = m->until_month[0] != '\0' ? m->until_month : NULL,
		.decided_by  = str_or(m->approved_by) };
	err = disbursement_store_payee_changed(tx, &r);
out:
	sn__assist__v1__beneficiary_changed__free_unpacked(m, NULL);
	return err;
}

static sn_err
on_granted(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Assist__V1__EmergencyGranted *m
	    = sn__assist__v1__emergency_granted__unpack(NULL, ev->len, ev->data);
	if (m == NULL)
		return bad_event(ev, "not an EmergencyGranted");
	sn_err err = SN_OK;
	if (m->grant_id[0] == '\0' || m->amount_fen <= 0
	    || m->amount_fen > DISBURSEMENT_AMOUNT_MAX || m->payee == NULL
	    || m->payee->account_number[0] == '\0') {
		err = bad_event(ev, "no grant id, amount or account");
		goto out;
	}
	int year = 0;
	if (strlen(m->granted_at) < 7
	    || !disbursement_rules_period_parse(
	        (char[8]) { m->granted_at[0], m->granted_at[1],
	            m->granted_at[2], m->granted_at[3], '-', '0', '1', 0 },
	        &year, NULL))
		year = this_year();
	disbursement_grant_row g = { .grant_id = m->grant_id,
		.amount_fen     = m->amount_fen,
		.township_code  = m->township_code,
		.bank_code      = m->payee->bank_code,
		.account_number = m->payee->account_number,
		.account_name   = m->payee->account_name,
		.year           = year,
		.actor = ev->actor != NULL && ev->actor[0] ? ev->actor : "system" };
	err = disbursement_store_grant_payment(tx, &g, NULL, NULL);
out:
	sn__assist__v1__emergency_granted__free_unpacked(m, NULL);
	return err;
}

/* ---- wiring ------------------------------------------------------------- */

sn_err
disbursement_init(
    disbursement *d, sn_service *svc, const disbursement_config *cfg)
{
	static const char *const instr[4]
	    = { "settled", "rejected", "accepted", "unknown" };
	sn_metrics *m    = sn_service_metrics(svc);
	sn_bus     *bus  = sn_service_bus(svc);
	sn_http    *http = sn_service_http(svc);
	sn_err      err;

	memset(d, 0, sizeof(*d));
	d->svc = svc;
	d->cfg = *cfg;
	self   = d;
	for (int i = 0; i < 4; i++) {
		char labels[48];
		snprintf(labels, sizeof(labels), "status=\"%s\"", instr[i]);
		d->instr[i] = sn_metrics_counter(m,
		    "sn_disbursement_instructions_total",
		    "Bank statuses applied to instructions", labels);
		if (d->instr[i] == NULL)
			return SN_ENOMEM;
	}
	d->runs_built = sn_metrics_counter(m, "sn_disbursement_runs_built_total",
	    "Payment runs built", NULL);
	if (d->runs_built == NULL)
		return SN_ENOMEM;

	if ((err = sn_bus_on(bus, "approval", "application.decided",
	         on_decided, d))
	        != SN_OK
	    || (err = sn_bus_on(bus, "approval", "beneficiary.changed",
	            on_beneficiary, d))
	        != SN_OK
	    || (err = sn_bus_on(
	            bus, "emergency", "emergency.granted", on_granted, d))
	        != SN_OK)
		return err;

	if ((err = sn_http_route(http, "POST", "/budgets", SN_HTTP_IDEMPOTENT,
	         FINANCE, on_budget, d))
	        != SN_OK
	    || (err = sn_http_route(http, "GET",
	            "/budgets/{fund}/{year}/settlement", 0, READERS,
	            on_settlement, d))
	        != SN_OK
	    || (err = sn_http_route(http, "POST", "/runs", SN_HTTP_IDEMPOTENT,
	            FINANCE, on_run_create, d))
	        != SN_OK
	    || (err = sn_http_route(
	            http, "GET", "/runs/{id}", 0, READERS, on_run_get, d))
	        != SN_OK
	    || (err = sn_http_route(
	            http, "GET", "/runs/{id}/plan", 0, READERS, on_plan, d))
	        != SN_OK
	    || (err = sn_http_route(http, "GET", "/runs/{id}/reconciliation", 0,
	            READERS, on_recon, d))
	        != SN_OK
	    || (err = sn_http_route(http, "POST", "/runs/{id}/approval",
	            SN_HTTP_IDEMPOTENT, APPROVER, on_approval, d))
	        != SN_OK
	    || (err = sn_http_route(http, "GET", "/payments", 0,
	            PAYMENT_READERS, on_payments, d))
	        != SN_OK
	    || (err = sn_http_route(http, "GET", "/payments/{id}", 0,
	            PAYMENT_READERS, on_payment_get, d))
	        != SN_OK
	    || (err = sn_http_route(http, "PUT", "/payments/{id}/account",
	            SN_HTTP_IDEMPOTENT, OFFICER, on_correct, d))
	        != SN_OK)
		return err;

	disbursement_bank_config bc = { .url = cfg->bank_url,
		.timeout_ms = cfg->bank_timeout_ms,
		.retries    = cfg->bank_retries,
		.backoff_ms = 100 };
	if ((err = disbursement_bank_open(&d->bank, sn_service_loop(svc), m, &bc))
	    != SN_OK)
		return err;
	return disbursement_payout_start(d);
}

void
disbursement_fini(disbursement *d)
{
	if (d == NULL)
		return;
	disbursement_payout_stop(d);
	disbursement_bank_close(d->bank);
	d->bank = NULL;
}
