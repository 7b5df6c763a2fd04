/*
 * handlers.c - HTTP requests and events into disbursement; see handlers.h.
 *
 * A request that changes something runs in sn_http_tx_with_end with a
 * context of its own (freed by the end callback), which holds the parsed
 * body (borrowed from the request's JSON, kept until the answer) and the
 * store's callback structs.
 */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "events.h"
#include "payout.h"
#include "rules.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/clock.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/uuid.h"
#include "store.h"

#define FINANCE "finance"
#define APPROVER "finance_approver"
#define OFFICER "township_officer"
#define READERS "finance,finance_approver"
#define PAYMENT_READERS "finance,finance_approver,township_officer"
#define CHECKERS "township_officer,finance"

/* Longest reason of a decision and account field, in bytes. */
#define REASON_MAX 500
#define ACCOUNT_FIELD_MAX 64

/* ---- small helpers ------------------------------------------------------ */

static void
fail_unavailable(sn_http_req *req, sn_tx *tx)
{
	if (!sn_tx_failed(tx))
		sn_http_tx_fail(
		    req, tx, 503, "unavailable", "try again", NULL);
}

/* A store callback's error: a result that did not fit its row is ours. */
static void
fail_err(sn_http_req *req, sn_tx *tx, sn_err err)
{
	if (err == SN_EPROTO && !sn_tx_failed(tx))
		sn_http_tx_fail(
		    req, tx, 500, "internal", "unexpected result", NULL);
	else
		fail_unavailable(req, tx);
}

static void
read_failed(sn_http_req *req, sn_err err)
{
	if (err == SN_EPROTO)
		sn_http_reply_error(
		    req, 500, "internal", "unexpected result", NULL);
	else
		sn_http_reply_error(
		    req, 503, "unavailable", "try again", NULL);
}

/* A JSON document from the store, or an answer sent. */
static json_t *
doc_json(sn_http_req *req, const char *doc)
{
	json_t *j = json_loads(doc, 0, NULL);
	if (j == NULL)
		sn_http_reply_error(
		    req, 500, "internal", "bad document", NULL);
	return j;
}

static void
kick(void *arg)
{
	disbursement_payout_kick(arg);
}

static bool
id_ok(sn_http_req *req, const char *what)
{
	if (sn_uuid_valid(sn_http_param(req, "id")))
		return true;
	sn_http_reply_error(req, 404, "not_found", what, "id");
	return false;
}

static const char *
user_of(sn_http_req *req)
{
	return sn_http_principal(req)->user;
}

/* ---- POST /budgets ------------------------------------------------------ */

typedef struct alloc_req {
	disbursement          *d;
	sn_http_req           *req;
	const char            *fund;
	int64_t                year, amount;
	disbursement_budget_cb cb;
} alloc_req;

static bool
alloc_parse(sn_http_req *req, alloc_req *in, sn_problem *why)
{
	static const char *const keys[]
	    = { "fund", "year", "amount_fen", NULL };
	const json_t *b = sn_http_json(req);
	sn_problem_clear(why);
	return sn_in_only(b, keys, "", why)
	    && sn_in_str(b, "fund", "", 0, 0, &in->fund, why)
	    && sn_in_i64(
	        b, "year", "", 0, INT64_MIN, INT64_MAX, &in->year, why)
	    && sn_in_i64(
	        b, "amount_fen", "", 0, INT64_MIN, INT64_MAX, &in->amount, why)
	    && disbursement_rules_allocation(
	        sn_http_principal(req), in->fund, in->year, in->amount, why);
}

static void
alloc_done(sn_tx *tx, sn_err err, const disbursement_budget *b, void *arg)
{
	alloc_req *a = arg;
	if (err != SN_OK) {
		fail_err(a->req, tx, err);
		return;
	}
	sn_http_tx_reply(a->req, tx, 201,
	    json_pack("{s:s, s:i, s:I, s:I, s:I, s:I}", "fund",
	        disbursement_rules_fund_name(b->fund), "year", (int) b->year,
	        "allocated_fen", (json_int_t) b->allocated_fen, "drawn_fen",
	        (json_int_t) b->drawn_fen, "left_fen",
	        (json_int_t) (b->allocated_fen - b->drawn_fen),
	        "allocation_id", (json_int_t) b->allocation_id));
}

static void
alloc_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	alloc_req *a = arg;
	if (disbursement_store_allocate(tx,
	        disbursement_rules_fund_parse(a->fund), (int32_t) a->year,
	        a->amount, user_of(req), &a->cb)
	    != SN_OK)
		fail_unavailable(req, tx);
	else
		(void) sn_tx_on_commit(tx, kick, a->d);
}

static void
on_budget(sn_http_req *req, void *arg)
{
	sn_problem why;
	alloc_req *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "try again", NULL);
		return;
	}
	if (!alloc_parse(req, a, &why)) {
		free(a);
		sn_http_problem(req, &why);
		return;
	}
	a->d   = arg;
	a->req = req;
	a->cb  = (disbursement_budget_cb) { alloc_done, a };
	sn_http_tx_with_end(req, alloc_begin, free, a);
}

/* ---- GET /budgets/{fund}/{year}/settlement -------------------------------
 */

static void
settlement_read(sn_err err, const disbursement_settlement *s, void *arg)
{
	sn_http_req *req  = arg;
	int32_t      year = 0;
	if (err != SN_OK) {
		read_failed(req, err);
		return;
	}
	if (!s->has_budget) {
		sn_http_reply_error(req, 404, "no_budget",
		    "no budget allocated for this fund and year", NULL);
		return;
	}
	(void) disbursement_rules_year_parse(
	    sn_http_param(req, "year"), &year);
	sn_http_reply_json(req, 200,
	    json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
	              " s:I}",
	        "fund", sn_http_param(req, "fund"), "year", (int) year,
	        "allocated_fen", (json_int_t) s->allocated_fen, "drawn_fen",
	        (json_int_t) s->drawn_fen, "paid_fen",
	        (json_int_t) s->paid_fen, "returned_fen",
	        (json_int_t) s->returned_fen, "in_flight_fen",
	        (json_int_t) s->in_flight_fen, "left_fen",
	        (json_int_t) (s->allocated_fen - s->paid_fen
	            - s->in_flight_fen),
	        "uncommitted_fen",
	        (json_int_t) (s->allocated_fen - s->drawn_fen), "paid_count",
	        (json_int_t) s->paid_count, "returned_count",
	        (json_int_t) s->returned_count, "in_flight_count",
	        (json_int_t) s->in_flight_count));
}

static void
on_settlement(sn_http_req *req, void *arg)
{
	disbursement     *d = arg;
	disbursement_fund fund
	    = disbursement_rules_fund_parse(sn_http_param(req, "fund"));
	int32_t year;
	if (fund == DISBURSEMENT_FUND_NONE) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such fund", "fund");
		return;
	}
	if (!disbursement_rules_year_parse(
	        sn_http_param(req, "year"), &year)) {
		sn_http_reply_error(
		    req, 422, "invalid_year", "year is YYYY", "year");
		return;
	}
	disbursement_store_settlement(
	    sn_service_db(d->svc), fund, year, settlement_read, req);
}

/* ---- POST /runs --------------------------------------------------------- */

typedef struct run_req {
	disbursement       *d;
	sn_http_req        *req;
	sn_month            period;
	disbursement_run_cb create_cb, exists_cb;
} run_req;

static bool
run_parse(sn_http_req *req, run_req *in, sn_problem *why)
{
	static const char *const keys[] = { "period", NULL };
	const json_t            *b      = sn_http_json(req);
	const char              *period = NULL;
	sn_problem_clear(why);
	if (!disbursement_rules_run_create(sn_http_principal(req), why)
	    || !sn_in_only(b, keys, "", why)
	    || !sn_in_str(b, "period", "", 0, 0, &period, why))
		return false;
	if (period == NULL || sn_month_parse(period, &in->period) != SN_OK
	    || !disbursement_rules_period_ok(in->period))
		return sn_problem_set(why, 422, "invalid_period", "period",
		    "the body is {period: \"YYYY-MM\"}");
	/* a completed run of the previous month is found in the
	 * transaction (exists_done) */
	return disbursement_rules_run_period(
	    in->period, sn_clock_month(), false, why);
}

static void
exists_done(sn_tx *tx, sn_err err, const disbursement_run *run, void *arg)
{
	run_req   *r = arg;
	sn_problem why;
	if (err != SN_OK) {
		fail_err(r->req, tx, err);
		return;
	}
	sn_problem_clear(&why);
	if (run != NULL && run->status == DISBURSEMENT_RUN_COMPLETED
	    && !disbursement_rules_run_period(
	        r->period, sn_clock_month(), true, &why)) {
		sn_http_tx_problem(r->req, tx, &why);
		return;
	}
	json_t *e = json_pack("{s:{s:s, s:s, s:s, s:s?}}", "error", "code",
	    "run_exists", "message", "the period has a run already", "field",
	    "period", "run_id", run != NULL ? run->id : NULL);
	sn_http_tx_fail_json(r->req, tx, 409, e);
}

static void
create_done(sn_tx *tx, sn_err err, const disbursement_run *run, void *arg)
{
	run_req *r = arg;
	char     period[SN_MONTH_STRLEN];
	if (err == SN_OK && run == NULL)
		err = disbursement_store_run_of_period(
		    tx, r->period, &r->exists_cb);
	else if (err == SN_OK)
		err = disbursement_events_run_changed(
		    sn_service_bus(r->d->svc), tx, run, user_of(r->req));
	if (err != SN_OK) {
		fail_err(r->req, tx, err);
		return;
	}
	if (run == NULL)
		return; /* exists_done answers */
	(void) sn_tx_on_commit(tx, kick, r->d);
	sn_http_tx_reply(r->req, tx, 202,
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", run->id, "period",
	        sn_month_format(run->period, period), "status",
	        disbursement_rules_run_status_name(run->status), "created_by",
	        run->created_by, "created_at", run->created_at));
}

static void
create_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	run_req *r = arg;
	if (disbursement_store_run_create(
	        tx, r->period, user_of(req), &r->create_cb)
	    != SN_OK)
		fail_unavailable(req, tx);
}

static void
on_run_create(sn_http_req *req, void *arg)
{
	sn_problem why;
	run_req   *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "try again", NULL);
		return;
	}
	if (!run_parse(req, r, &why)) {
		free(r);
		sn_http_problem(req, &why);
		return;
	}
	r->d         = arg;
	r->req       = req;
	r->create_cb = (disbursement_run_cb) { create_done, r };
	r->exists_cb = (disbursement_run_cb) { exists_done, r };
	sn_http_tx_with_end(req, create_begin, free, r);
}

/* ---- GET /runs/{id}, /plan ---------------------------------------------- */

static void
run_doc_read(sn_err err, const char *doc, void *arg)
{
	sn_http_req *req = arg;
	json_t      *j;
	if (err != SN_OK)
		read_failed(req, err);
	else if (doc == NULL)
		sn_http_reply_error(
		    req, 404, "not_found", "no such run", "id");
	else if ((j = doc_json(req, doc)) != NULL)
		sn_http_reply_json(req, 200, j);
}

static void
on_run_get(sn_http_req *req, void *arg)
{
	disbursement *d = arg;
	if (id_ok(req, "no such run"))
		disbursement_store_run_doc(sn_service_db(d->svc),
		    sn_http_param(req, "id"), run_doc_read, req);
}

static void
plan_read(sn_err err, const disbursement_plan *p, void *arg)
{
	sn_http_req *req = arg;
	json_t      *run;
	if (err != SN_OK) {
		read_failed(req, err);
		return;
	}
	if (p == NULL) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such run", "id");
		return;
	}
	if ((run = doc_json(req, p->run_doc)) == NULL)
		return;
	json_t *rows = json_loads(p->rows_doc, 0, NULL);
	json_t *fix  = json_loads(p->corrections_doc, 0, NULL);
	json_t *sub  = json_loads(p->subsidy_doc, 0, NULL);
	sn_http_reply_json(req, 200,
	    json_pack("{s:o, s:o, s:I, s:I, s:o, s:o}", "run", run, "rows",
	        rows != NULL ? rows : json_array(), "payments",
	        (json_int_t) p->payments, "total_fen",
	        (json_int_t) p->total_fen, "corrections",
	        fix != NULL ? fix : json_object(), "price_subsidy",
	        sub != NULL ? sub : json_array()));
}

static void
on_plan(sn_http_req *req, void *arg)
{
	disbursement *d = arg;
	if (id_ok(req, "no such run"))
		disbursement_store_plan(sn_service_db(d->svc),
		    sn_http_param(req, "id"), plan_read, req);
}

/* ---- GET /runs/{id}/reconciliation -------------------------------------- */

static json_t *
recon_instructions(
    const disbursement_recon *r, const disbursement_recon_in *in)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "sent",
	    (json_int_t) r->instructions_sent, "settled",
	    (json_int_t) in->settled_count, "rejected",
	    (json_int_t) (in->rejected_count + in->replaced_count), "unknown",
	    (json_int_t) in->unknown_count, "not_sent",
	    (json_int_t) in->unsent_count);
}

static json_t *
recon_payments(const disbursement_recon_in *in)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "count", (json_int_t) in->payments_count, "total_fen",
	    (json_int_t) in->payments_fen, "settled_fen",
	    (json_int_t) in->settled_fen, "rejected_fen",
	    (json_int_t) in->rejected_fen, "unknown_fen",
	    (json_int_t) in->unknown_fen, "not_sent_fen",
	    (json_int_t) in->unsent_fen, "held_for_correction",
	    (json_int_t) in->rejected_count, "corrected_instructions",
	    (json_int_t) in->replaced_count, "run_total_fen",
	    (json_int_t) in->run_total_fen);
}

static json_t *
recon_budget(const disbursement_recon_in *in)
{
	const int d = DISBURSEMENT_FUND_DIBAO, t = DISBURSEMENT_FUND_TEKUN,
	          ps = DISBURSEMENT_FUND_PRICE_SUBSIDY;
	return json_pack("{s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}}", "dibao",
	    "allocated_fen", (json_int_t) in->allocated_fen[d], "drawn_fen",
	    (json_int_t) in->drawn_fen[d], "tekun", "allocated_fen",
	    (json_int_t) in->allocated_fen[t], "drawn_fen",
	    (json_int_t) in->drawn_fen[t], "price_subsidy", "allocated_fen",
	    (json_int_t) in->allocated_fen[ps], "drawn_fen",
	    (json_int_t) in->drawn_fen[ps]);
}

static void
recon_read(sn_err err, const disbursement_recon *r, void *arg)
{
	sn_http_req *req = arg;
	if (err != SN_OK) {
		read_failed(req, err);
		return;
	}
	if (r == NULL) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such run", "id");
		return;
	}
	disbursement_recon_in in = r->in;
	in.sending               = disbursement_rules_run_sending(r->status);
	disbursement_finding f[DISBURSEMENT_MAX_FINDINGS];
	size_t               nf = disbursement_rules_reconcile(&in, f);
	json_t              *fj = json_array();
	for (size_t i = 0; i < nf; i++)
		json_array_append_new(fj,
		    json_pack("{s:s, s:s}", "code", f[i].code, "message",
		        f[i].message));
	json_t *sub = json_loads(r->subsidy_doc, 0, NULL);
	json_t *j   = json_pack("{s:s, s:s, s:b, s:o, s:o, s:{s:I, s:I},"
	                          " s:{s:I, s:I}, s:o, s:o, s:i, s:o}",
	      "run_id", sn_http_param(req, "id"), "status",
	      disbursement_rules_run_status_name(r->status), "balanced", nf == 0,
	      "findings", fj, "instructions", recon_instructions(r, &in), "plan",
	      "payments", (json_int_t) in.plan_count, "total_fen",
	      (json_int_t) in.plan_fen, "shortfall", "payees",
	      (json_int_t) r->short_count, "total_fen",
	      (json_int_t) r->short_fen, "payments", recon_payments(&in),
	      "budget", recon_budget(&in), "year", (int) r->year,
	      "price_subsidy", sub != NULL ? sub : json_array());
	if (j == NULL) {
		sn_http_reply_error(
		    req, 500, "internal", "cannot render", NULL);
		return;
	}
	sn_http_reply_json(req, 200, j);
}

static void
on_recon(sn_http_req *req, void *arg)
{
	disbursement *d = arg;
	if (id_ok(req, "no such run"))
		disbursement_store_reconciliation(sn_service_db(d->svc),
		    sn_http_param(req, "id"), recon_read, req);
}

/* ---- POST /runs/{id}/approval ------------------------------------------- */

typedef struct approval_req {
	disbursement           *d;
	sn_http_req            *req;
	const char             *decision, *reason;
	sn_err                  err;    /* of the reads before the decision */
	disbursement_run_status status; /* NONE: no such run */
	char                    created_by[64];
	bool                    decided;
	disbursement_run_cb     lock_cb, decide_cb;
	disbursement_flag_cb    decided_cb;
	/* The funds the run pays, asked of bank-gateway before approving */
	char   funds[DISBURSEMENT_NFUNDS][16];
	char  *fund_ptrs[DISBURSEMENT_NFUNDS];
	size_t nfunds;
} approval_req;

static bool
approval_parse(sn_http_req *req, approval_req *in, sn_problem *why)
{
	static const char *const keys[] = { "decision", "reason", NULL };
	const json_t            *b      = sn_http_json(req);
	sn_problem_clear(why);
	if (!sn_in_only(b, keys, "", why)
	    || !sn_in_str(b, "decision", "", 0, 0, &in->decision, why)
	    || !sn_in_str(
	        b, "reason", "", SN_IN_MULTILINE, 0, &in->reason, why))
		return false;
	if (in->reason != NULL && strlen(in->reason) > REASON_MAX)
		return sn_problem_set(why, 422, "invalid_reason", "reason",
		    "reason is at most %d bytes", REASON_MAX);
	/* The run's own checks come in the transaction; these need none. */
	disbursement_run_view v
	    = { .status           = DISBURSEMENT_RUN_AWAITING_APPROVAL,
		      .created_by = "",
		      .approver_decided_a_case = false };
	return disbursement_rules_approval(
	    sn_http_principal(req), &v, in->decision, NULL, why);
}

static void
decision_done(sn_tx *tx, sn_err err, const disbursement_run *run, void *arg)
{
	approval_req *c = arg;
	char          period[SN_MONTH_STRLEN];
	if (err == SN_OK && run == NULL) {
		sn_http_tx_fail(c->req, tx, 409, "not_awaiting_approval",
		    "the run is not awaiting approval", NULL);
		return;
	}
	if (err == SN_OK)
		err = disbursement_events_run_changed(
		    sn_service_bus(c->d->svc), tx, run, user_of(c->req));
	if (err != SN_OK) {
		fail_err(c->req, tx, err);
		return;
	}
	if (run->status == DISBURSEMENT_RUN_APPROVED)
		(void) sn_tx_on_commit(tx, kick, c->d);
	sn_http_tx_reply(c->req, tx, 200,
	    json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "id", run->id,
	        "period", sn_month_format(run->period, period), "status",
	        disbursement_rules_run_status_name(run->status), "payments",
	        (json_int_t) run->payments, "total_fen",
	        (json_int_t) run->total_fen, "decided_by", user_of(c->req)));
}

static void
approval_lock_done(
    sn_tx *tx, sn_err err, const disbursement_run *run, void *arg)
{
	approval_req *c = arg;
	(void) tx;
	if (err != SN_OK)
		c->err = err;
	else if (run != NULL) {
		c->status = run->status;
		snprintf(c->created_by, sizeof(c->created_by), "%s",
		    run->created_by);
	}
}

static void
decided_done(sn_tx *tx, sn_err err, bool decided, void *arg)
{
	approval_req *c = arg;
	(void) tx;
	if (err != SN_OK)
		c->err = err;
	c->decided = decided;
}

/* Both reads are in: the rules decide, the store records. */
static void
approval_then(sn_tx *tx, void *arg)
{
	approval_req         *c = arg;
	disbursement_run_step step;
	sn_problem            why;
	if (c->err != SN_OK) {
		fail_err(c->req, tx, c->err);
		return;
	}
	disbursement_run_view v = { .status = c->status,
		.created_by                 = c->created_by,
		.approver_decided_a_case    = c->decided };
	sn_problem_clear(&why);
	if (!disbursement_rules_approval(
	        sn_http_principal(c->req), &v, c->decision, &step, &why)) {
		sn_http_tx_problem(c->req, tx, &why);
		return;
	}
	if (disbursement_store_run_decide(tx, sn_http_param(c->req, "id"),
	        c->status, disbursement_rules_run_next(c->status, step),
	        user_of(c->req), c->reason, &c->decide_cb)
	    != SN_OK)
		fail_unavailable(c->req, tx);
}

static void
approval_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	approval_req *c  = arg;
	const char   *id = sn_http_param(req, "id");
	if (disbursement_store_run_lock(tx, id, &c->lock_cb) != SN_OK
	    || disbursement_store_run_decided_by(
	           tx, id, user_of(req), &c->decided_cb)
	        != SN_OK
	    || sn_tx_then(tx, approval_then, c) != SN_OK)
		fail_unavailable(req, tx);
}

/* ---- the run's funds at bank-gateway (issue 14) ------------------------- */

/* The approval goes on: its transaction decides. */
static void
approval_go_on(approval_req *c)
{
	sn_http_tx_with_end(c->req, approval_begin, free, c);
}

/* 503 naming the funds that could not be checked; frees c. */
static void
funds_unavailable(approval_req *c, const char *why)
{
	char   msg[160];
	size_t len = (size_t) snprintf(
	    msg, sizeof(msg), "%s: the accounts of the run's funds (", why);
	for (size_t i = 0; i < c->nfunds && len < sizeof(msg); i++)
		len += (size_t) snprintf(msg + len, sizeof(msg) - len, "%s%s",
		    i ? ", " : "", c->funds[i]);
	if (len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - len, ") are not checked");
	json_t *names = json_array();
	for (size_t i = 0; i < c->nfunds; i++)
		json_array_append_new(names, json_string(c->funds[i]));
	sn_http_reply_json(c->req, 503,
	    json_pack("{s:{s:s, s:s, s:n, s:o}}", "error", "code",
	        "bank_unavailable", "message", msg, "field", "funds", names));
	free(c);
}

static void
funds_answered(sn_err err, const Sn__Bank__V1__BankReply *reply, void *arg)
{
	approval_req *c = arg;
	if (err == SN_EPROTO) {
		/* Not bank-gateway (an adapter that does not know
		 * FundQuery): the accounts cannot be checked, so nothing is
		 * sent until they can. */
		sn_log(SN_LOG_WARN,
		    "the bank adapter refused FundQuery as malformed; the run "
		    "is not approved",
		    "run_id", sn_http_param(c->req, "id"), NULL);
		funds_unavailable(c, "the bank adapter refused the FundQuery");
		return;
	}
	if (err != SN_OK) {
		funds_unavailable(c,
		    err == SN_ECLOSED ? "the service is stopping"
		                      : "bank-gateway did not answer");
		return;
	}
	const Sn__Bank__V1__FundReply *fr = reply->funds;
	disbursement_fund_account     *have
	    = calloc(fr->n_funds + 1, sizeof(*have));
	if (have == NULL) {
		funds_unavailable(c, "out of memory");
		return;
	}
	for (size_t i = 0; i < fr->n_funds; i++)
		have[i]
		    = (disbursement_fund_account) { .fund = fr->funds[i]->fund,
			      .configured = fr->funds[i]->configured };
	const char *missing = NULL;
	sn_problem  why;
	sn_problem_clear(&why);
	bool ok = disbursement_rules_funds_configured(
	    (const char *const *) c->fund_ptrs, c->nfunds, have, fr->n_funds,
	    &missing, &why);
	free(have);
	if (ok) {
		approval_go_on(c);
		return;
	}
	json_t *body = sn_problem_json(&why);
	json_object_set_new(
	    json_object_get(body, "error"), "fund", json_string(missing));
	sn_http_reply_json(c->req, why.status, body);
	free(c);
}

/* The funds the run pays: asked of bank-gateway (none: on at once). */
static void
funds_read(sn_err err, const char *const *names, size_t n, void *arg)
{
	approval_req *c = arg;
	if (err != SN_OK) {
		read_failed(c->req, err);
		free(c);
		return;
	}
	for (size_t i = 0; i < n && c->nfunds < DISBURSEMENT_NFUNDS; i++) {
		snprintf(
		    c->funds[c->nfunds], sizeof(c->funds[0]), "%s", names[i]);
		c->fund_ptrs[c->nfunds] = c->funds[c->nfunds];
		c->nfunds++;
	}
	if (c->nfunds == 0) {
		approval_go_on(c);
		return;
	}
	Sn__Bank__V1__FundQuery   fq  = SN__BANK__V1__FUND_QUERY__INIT;
	Sn__Bank__V1__BankRequest req = SN__BANK__V1__BANK_REQUEST__INIT;
	fq.n_funds                    = c->nfunds;
	fq.funds                      = c->fund_ptrs;
	req.body_case                 = SN__BANK__V1__BANK_REQUEST__BODY_FUNDS;
	req.funds                     = &fq;
	err = disbursement_bank_call(c->d->bank, &req, funds_answered, c);
	if (err != SN_OK)
		funds_unavailable(c, "bank-gateway cannot be asked");
}

static void
on_approval(sn_http_req *req, void *arg)
{
	sn_problem    why;
	approval_req *c;
	if (!id_ok(req, "no such run"))
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "try again", NULL);
		return;
	}
	if (!approval_parse(req, c, &why)) {
		free(c);
		sn_http_problem(req, &why);
		return;
	}
	c->d          = arg;
	c->req        = req;
	c->lock_cb    = (disbursement_run_cb) { approval_lock_done, c };
	c->decide_cb  = (disbursement_run_cb) { decision_done, c };
	c->decided_cb = (disbursement_flag_cb) { decided_done, c };
	/* Approving starts the sending: first the funds' accounts (issue
	 * 14). Rejecting sends nothing. */
	if (strcmp(c->decision, "approve") == 0)
		disbursement_store_run_funds(sn_service_db(c->d->svc),
		    sn_http_param(req, "id"), funds_read, c);
	else
		approval_go_on(c);
}

/* ---- GET /payments/{id}, GET /payments -----------------------------------
 */

static void
payment_doc_read(sn_err err, const disbursement_payment *p, void *arg)
{
	sn_http_req *req = arg;
	json_t      *j;
	if (err != SN_OK)
		read_failed(req, err);
	else if (p == NULL
	    || !disbursement_rules_payment_visible(
	        sn_http_principal(req), p->township_code))
		sn_http_reply_error(
		    req, 404, "not_found", "no such payment", "id");
	else if ((j = doc_json(req, p->doc)) != NULL)
		sn_http_reply_json(req, 200, j);
}

static void
on_payment_get(sn_http_req *req, void *arg)
{
	disbursement *d = arg;
	if (id_ok(req, "no such payment"))
		disbursement_store_payment_doc(sn_service_db(d->svc),
		    sn_http_param(req, "id"), payment_doc_read, req);
}

/* A page read: {items, next} (sn/page.h). */
static void
page_done(sn_err err, const disbursement_page *pg, void *arg)
{
	sn_http_req *req = arg;
	json_t      *items, *j;
	if (err != SN_OK || pg == NULL) {
		read_failed(req, err != SN_OK ? err : SN_EPROTO);
		return;
	}
	if ((items = doc_json(req, pg->items)) == NULL)
		return;
	if ((j = sn_page_answer(items, pg->more, pg->last)) == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "try again", NULL);
		return;
	}
	sn_http_reply_json(req, 200, j);
}

static void
on_payments(sn_http_req *req, void *arg)
{
	disbursement               *d        = arg;
	const char                 *status   = sn_http_query(req, "status");
	const char                 *township = sn_http_query(req, "township");
	const char                 *prefix;
	sn_problem                  why;
	sn_page                     page;
	disbursement_payment_status s = status == NULL
	    ? DISBURSEMENT_PAYMENT_REJECTED
	    : disbursement_rules_payment_status_parse(status);
	if (s == DISBURSEMENT_PAYMENT_NONE) {
		sn_http_reply_error(
		    req, 422, "invalid_status", "no such status", "status");
		return;
	}
	sn_problem_clear(&why);
	if (!sn_page_query(req, &page, &why)
	    || !disbursement_rules_payments_scope(
	        sn_http_principal(req), township, &prefix, &why)) {
		sn_http_problem(req, &why);
		return;
	}
	disbursement_store_payments(
	    sn_service_db(d->svc), s, prefix, &page, page_done, req);
}

/* ---- GET /runs, GET /budgets -------------------------------------------- */

static void
on_runs(sn_http_req *req, void *arg)
{
	disbursement *d = arg;
	sn_problem    why;
	sn_page       page;
	sn_problem_clear(&why);
	if (!sn_page_query(req, &page, &why)) {
		sn_http_problem(req, &why);
		return;
	}
	disbursement_store_runs(sn_service_db(d->svc), &page, page_done, req);
}

static void
on_budgets(sn_http_req *req, void *arg)
{
	disbursement *d = arg;
	sn_problem    why;
	sn_page       page;
	sn_problem_clear(&why);
	if (!sn_page_query(req, &page, &why)) {
		sn_http_problem(req, &why);
		return;
	}
	disbursement_store_budgets(
	    sn_service_db(d->svc), &page, page_done, req);
}

/* ---- account changes (maker-checker, issue 10) ----------------------------
 *
 * PUT /payments/{id}/account proposes (pending, the payment stays held);
 * POST .../account/confirmation by another user applies it (the payment
 * goes out again under its next end-to-end id, payee.changed, the
 * payee's account for later runs); POST .../account/rejection by
 * another user discards it. All three lock the payment first.
 */

/* Household names read from a change's JSON array, at most this many. */
#define NAMES_MAX 64
#define ID_MAX 128

typedef struct change_req {
	disbursement           *d;
	sn_http_req            *req;
	bool                    confirming; /* else rejecting (POST only) */
	const char             *reason;     /* of a rejection; NULL: none */
	disbursement_account_in acct; /* PUT: the body's; POST: the pending */
	int64_t                 proposal_id;
	char bank[ACCOUNT_FIELD_MAX + 1], number[ACCOUNT_FIELD_MAX + 1];
	char name[ACCOUNT_FIELD_MAX + 1], maker[ID_MAX];
	char app[ID_MAX], ben[ID_MAX];
	disbursement_change_cb   target_cb;
	disbursement_doc_cb      doc_cb;
	disbursement_payment_cb  correct_cb;
	disbursement_payments_cb held_cb;
	json_t                  *answer; /* the confirmed payment */
} change_req;

static void
change_free(void *arg)
{
	change_req *c = arg;
	json_decref(c->answer);
	free(c);
}

static bool
account_parse(sn_http_req *req, disbursement_account_in *in, sn_problem *why)
{
	static const char *const keys[]
	    = { "bank_code", "account_number", "account_name", NULL };
	const json_t *b = sn_http_json(req);
	const char  **v[3]
	    = { &in->bank_code, &in->account_number, &in->account_name };
	sn_problem_clear(why);
	if (!sn_in_only(b, keys, "", why))
		return false;
	for (int i = 0; i < 3; i++)
		if (!sn_in_str(b, keys[i], "", 0, 0, v[i], why))
			return false;
	for (int i = 0; i < 3; i++)
		if (*v[i] == NULL || (*v[i])[0] == '\0'
		    || strlen(*v[i]) > ACCOUNT_FIELD_MAX)
			return sn_problem_set(why, 422, "invalid_account",
			    keys[i],
			    "the body is {bank_code, account_number, "
			    "account_name}, each 1 to %d characters",
			    ACCOUNT_FIELD_MAX);
	return true;
}

static disbursement_payment_view
view_of(const disbursement_change *c)
{
	disbursement_payment_view v = { .found = c != NULL };
	if (c != NULL)
		v = (disbursement_payment_view) { .found = true,
			.status                          = c->status,
			.township_code                   = c->township_code,
			.is_grant                        = c->has_grant_id,
			.attempt                         = c->attempt };
	return v;
}

/* May the PUT's holder be proposed? The household's names are borrowed
 * from members (a JSON array) for the rule's call only. */
static bool
proposal_ok(const change_req *c, const disbursement_change *t, sn_problem *why)
{
	const char               *names[NAMES_MAX];
	size_t                    n    = 0;
	disbursement_payment_view v    = view_of(t);
	json_t                   *list = t != NULL && t->members != NULL
	                      ? json_loads(t->members, 0, NULL)
	                      : NULL;
	for (size_t i = 0; i < json_array_size(list) && n < NAMES_MAX; i++)
		if (json_is_string(json_array_get(list, i)))
			names[n++]
			    = json_string_value(json_array_get(list, i));
	bool ok = disbursement_rules_proposal(sn_http_principal(c->req), &v,
	    c->acct.account_name, names, n, why);
	json_decref(list);
	return ok;
}

static void
change_doc_done(sn_tx *tx, sn_err err, const char *doc, void *arg)
{
	change_req *c = arg;
	json_t     *j;
	if (err == SN_OK && doc == NULL) {
		sn_http_tx_fail(c->req, tx, 409, "nothing_pending",
		    "no account change is pending on this payment", NULL);
		return;
	}
	if (err != SN_OK || (j = json_loads(doc, 0, NULL)) == NULL) {
		fail_err(c->req, tx, err != SN_OK ? err : SN_EPROTO);
		return;
	}
	/* a proposal is accepted for a second user to confirm: 202 */
	sn_http_tx_reply(c->req, tx,
	    strcmp(sn_http_method(c->req), "PUT") == 0 ? 202 : 200, j);
}

static void
propose_target(sn_tx *tx, sn_err err, const disbursement_change *t, void *arg)
{
	change_req *c = arg;
	sn_problem  why;
	if (err != SN_OK) {
		fail_err(c->req, tx, err);
		return;
	}
	sn_problem_clear(&why);
	if (!proposal_ok(c, t, &why)) {
		sn_http_tx_problem(c->req, tx, &why);
		return;
	}
	if (disbursement_store_propose(
	        tx, t->payment_id, &c->acct, user_of(c->req), &c->doc_cb)
	    != SN_OK)
		fail_unavailable(c->req, tx);
}

static void
change_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	change_req *c = arg;
	if (disbursement_store_change_target(
	        tx, sn_http_param(req, "id"), &c->target_cb)
	    != SN_OK)
		fail_unavailable(req, tx);
}

static change_req *
change_new(sn_http_req *req, void *arg)
{
	change_req *c;
	if (!id_ok(req, "no such payment"))
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "try again", NULL);
		return NULL;
	}
	c->d      = arg;
	c->req    = req;
	c->doc_cb = (disbursement_doc_cb) { change_doc_done, c };
	return c;
}

static void
on_propose(sn_http_req *req, void *arg)
{
	sn_problem  why;
	change_req *c = change_new(req, arg);
	if (c == NULL)
		return;
	if (!account_parse(req, &c->acct, &why)) {
		free(c);
		sn_http_problem(req, &why);
		return;
	}
	c->target_cb = (disbursement_change_cb) { propose_target, c };
	sn_http_tx_with_end(req, change_begin, free, c);
}

/* The confirmed change is applied: its events; the answer is kept for
 * held_done. */
static void
confirm_done(sn_tx *tx, sn_err err, const disbursement_payment *p, void *arg)
{
	change_req *c = arg;
	if (err == SN_OK && p == NULL) {
		sn_http_tx_fail(c->req, tx, 409, "not_rejected",
		    "only a rejected payment is corrected", NULL);
		return;
	}
	disbursement_payee_change pc = { .beneficiary_id = c->ben,
		.application_id                          = c->app,
		.grant_id       = err == SN_OK ? p->grant_id : NULL,
		.bank_code      = c->bank,
		.account_number = c->number,
		.account_name   = c->name,
		.payment_id     = err == SN_OK ? p->id : NULL,
		.requested_by   = c->maker,
		.confirmed_by   = user_of(c->req) };
	if (err == SN_OK)
		err = disbursement_events_scheduled(
		    sn_service_bus(c->d->svc), tx, p, 1, user_of(c->req));
	if (err == SN_OK)
		err = disbursement_events_payee_changed(
		    sn_service_bus(c->d->svc), tx, &pc);
	if (err == SN_OK && (c->answer = json_loads(p->doc, 0, NULL)) == NULL)
		err = SN_ENOMEM;
	if (err != SN_OK)
		fail_err(c->req, tx, err);
}

/* The payee's other held payments went out again too (their
 * payment.scheduled); the answer is the confirmed payment. */
static void
held_done(
    sn_tx *tx, sn_err err, const disbursement_payment *ps, size_t n, void *arg)
{
	change_req *c = arg;
	if (sn_tx_failed(tx))
		return; /* confirm_done has answered */
	if (err == SN_OK)
		err = disbursement_events_scheduled(
		    sn_service_bus(c->d->svc), tx, ps, n, user_of(c->req));
	if (err != SN_OK || c->answer == NULL) {
		fail_err(c->req, tx, err != SN_OK ? err : SN_EPROTO);
		return;
	}
	(void) sn_tx_on_commit(tx, kick, c->d);
	sn_http_tx_reply(c->req, tx, 200, c->answer);
	c->answer = NULL;
}

/* The pending change's account and people, kept for the statements and
 * the event after this callback. */
static void
keep_pending(change_req *c, const disbursement_change *t)
{
	snprintf(c->bank, sizeof(c->bank), "%s", t->bank_code);
	snprintf(c->number, sizeof(c->number), "%s", t->account_number);
	snprintf(c->name, sizeof(c->name), "%s", t->account_name);
	snprintf(c->maker, sizeof(c->maker), "%s", t->requested_by);
	snprintf(c->app, sizeof(c->app), "%s",
	    t->application_id ? t->application_id : "");
	snprintf(c->ben, sizeof(c->ben), "%s",
	    t->beneficiary_id ? t->beneficiary_id : "");
	c->acct = (disbursement_account_in) { c->bank, c->number, c->name };
	c->proposal_id = t->proposal_id;
}

static void
decide_target(sn_tx *tx, sn_err err, const disbursement_change *t, void *arg)
{
	change_req             *c = arg;
	disbursement_correction next;
	sn_problem              why;
	if (err != SN_OK) {
		fail_err(c->req, tx, err);
		return;
	}
	disbursement_payment_view v = view_of(t);
	disbursement_change_view  w = { .pending = t != NULL && t->has_pending,
		 .requested_by = t != NULL ? t->requested_by : NULL };
	sn_problem_clear(&why);
	if (!disbursement_rules_checker(sn_http_principal(c->req), &v, &w,
	        c->confirming, &next, &why)) {
		sn_http_tx_problem(c->req, tx, &why);
		return;
	}
	keep_pending(c, t);
	if (!c->confirming)
		err = disbursement_store_proposal_decide(tx, c->proposal_id,
		    false, user_of(c->req), c->reason, &c->doc_cb);
	else if ((err = disbursement_store_proposal_decide(
	              tx, c->proposal_id, true, user_of(c->req), NULL, NULL))
	        == SN_OK
	    && (err = disbursement_store_correct(tx, t->payment_id, &next,
	            &c->acct, user_of(c->req), &c->correct_cb))
	        == SN_OK)
		err = disbursement_store_correct_held(tx, t->payment_id, &next,
		    &c->acct, user_of(c->req), &c->held_cb);
	if (err != SN_OK)
		fail_unavailable(c->req, tx);
}

/* A decision's body: none, or {} to confirm, {reason?} to reject. */
static bool
decision_parse(sn_http_req *req, change_req *c, sn_problem *why)
{
	static const char *const keys[] = { "reason", NULL };
	const json_t            *b      = sn_http_json(req);
	sn_problem_clear(why);
	if (b == NULL)
		return true;
	if (!sn_in_only(b, c->confirming ? keys + 1 : keys, "", why)
	    || !sn_in_str(
	        b, "reason", "", SN_IN_MULTILINE, 0, &c->reason, why))
		return false;
	if (c->reason != NULL && strlen(c->reason) > REASON_MAX)
		return sn_problem_set(why, 422, "invalid_reason", "reason",
		    "reason is at most %d bytes", REASON_MAX);
	return true;
}

static void
on_change_decision(sn_http_req *req, void *arg, bool confirming)
{
	sn_problem  why;
	change_req *c = change_new(req, arg);
	if (c == NULL)
		return;
	c->confirming = confirming;
	if (!decision_parse(req, c, &why)) {
		free(c);
		sn_http_problem(req, &why);
		return;
	}
	c->target_cb  = (disbursement_change_cb) { decide_target, c };
	c->correct_cb = (disbursement_payment_cb) { confirm_done, c };
	c->held_cb    = (disbursement_payments_cb) { held_done, c };
	sn_http_tx_with_end(req, change_begin, change_free, c);
}

static void
on_change_confirm(sn_http_req *req, void *arg)
{
	on_change_decision(req, arg, true);
}

static void
on_change_reject(sn_http_req *req, void *arg)
{
	on_change_decision(req, arg, false);
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

/* A month of an event ("YYYY-MM"), a payment period. */
static bool
month_of(const char *s, sn_month *out)
{
	return sn_month_parse(s, out) == SN_OK
	    && disbursement_rules_period_ok(*out);
}

/* The household and account of an event into p. */
static void
payee_where(disbursement_payee_in *p, const Sn__Assist__V1__Household *h,
    const Sn__Assist__V1__PayeeAccount *a)
{
	p->district_code  = h ? str_or(h->district_code) : "";
	p->township_code  = h ? str_or(h->township_code) : "";
	p->village_code   = h ? str_or(h->village_code) : "";
	p->bank_code      = a ? str_or(a->bank_code) : "";
	p->account_number = a ? str_or(a->account_number) : "";
	p->account_name   = a ? str_or(a->account_name) : "";
}

static sn_err
on_decided(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ApplicationDecided *m
	    = (const Sn__Assist__V1__ApplicationDecided *) msg;
	disbursement_payee_in p = { .standing = DISBURSEMENT_ACTIVE };
	(void) arg;
	p.fund = disbursement_rules_fund_of_category(m->category);
	if (!m->approved || p.fund == DISBURSEMENT_FUND_NONE
	    || m->monthly_amount_fen <= 0)
		return SN_OK; /* nothing paid monthly */
	if (m->application_id[0] == '\0'
	    || !month_of(m->effective_month, &p.from_month))
		return bad_event(ev, "no application id or effective month");
	p.application_id = m->application_id;
	p.beneficiary_id = "";
	p.category       = (int32_t) m->category;
	p.monthly_fen    = m->monthly_amount_fen;
	p.decided_by     = str_or(m->decided_by);
	p.members        = m->members > 0 ? m->members : 0;
	payee_where(&p, m->household, m->payee);
	return disbursement_store_payee_decided(tx, &p);
}

/* Issue 10: an edge household's standing replaced by a new decision
 * (EXITED, CHANGE_CAUSE_REPLACED) ends from the month after its
 * until_month, whatever first month the event names: the months it was
 * paid stay as they were, and the new decision's payee starts. */
static void
replaced_from(
    const Sn__Assist__V1__BeneficiaryChanged *m, disbursement_payee_in *p)
{
	if (m->cause == SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REPLACED
	    && p->standing == DISBURSEMENT_EXITED && p->has_until) {
		p->has_first   = true;
		p->first_month = sn_month_add(p->until_month, 1);
	}
}

/* The payee with its household's member names (beneficiary.changed
 * member_names, issue 10), kept for an account change's holder. */
static sn_err
payee_changed_named(sn_tx *tx, const Sn__Assist__V1__BeneficiaryChanged *m,
    disbursement_payee_in *p)
{
	sn_pgarray names;
	sn_pgarray_init(&names);
	for (size_t i = 0; i < m->n_member_names; i++)
		sn_pgarray_add(&names, str_or(m->member_names[i]));
	p->member_names
	    = m->n_member_names > 0 ? sn_pgarray_text(&names) : NULL;
	sn_err err = m->n_member_names > 0 && p->member_names == NULL
	    ? SN_ENOMEM
	    : disbursement_store_payee_changed(tx, p);
	sn_pgarray_fini(&names);
	return err;
}

static sn_err
on_beneficiary(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__BeneficiaryChanged *m
	    = (const Sn__Assist__V1__BeneficiaryChanged *) msg;
	disbursement_payee_in p = { .standing = DISBURSEMENT_ACTIVE };
	(void) arg;
	if (m->application_id[0] == '\0')
		return bad_event(ev, "no application id");
	p.has_first = m->first_month[0] != '\0';
	if (p.has_first && !month_of(m->first_month, &p.first_month))
		return bad_event(ev, "bad first month");
	/* A low-income household is paid the price subsidy alone (fund
	 * NONE, no benefit); any other category without a fund leaves. */
	p.fund     = disbursement_rules_fund_of_category(m->category);
	p.category = (int32_t) m->category;
	bool only  = disbursement_rules_subsidy_only(m->category);
	if (p.fund == DISBURSEMENT_FUND_NONE && !only) {
		p.standing  = disbursement_rules_standing_of((int) m->status);
		p.has_until = month_of(m->until_month, &p.until_month);
		replaced_from(m, &p);
		return disbursement_store_payee_exit(tx, m->application_id,
		    p.has_first ? &p.first_month : NULL);
	}
	p.has_until = m->until_month[0] != '\0';
	if (!month_of(m->from_month, &p.from_month)
	    || (p.has_until && !month_of(m->until_month, &p.until_month))
	    || m->monthly_amount_fen < 0)
		return bad_event(ev, "bad months or amount");
	/* members (issue 9), else the persons the event names */
	p.members
	    = m->members > 0 ? m->members : (int32_t) m->n_member_id_numbers;
	p.cause = (int32_t) m->cause;
	p.old_fen
	    = m->old_monthly_amount_fen > 0 ? m->old_monthly_amount_fen : 0;
	p.application_id = m->application_id;
	p.beneficiary_id = str_or(m->beneficiary_id);
	p.standing       = disbursement_rules_standing_of((int) m->status);
	p.monthly_fen    = only ? 0 : m->monthly_amount_fen;
	p.decided_by     = str_or(m->approved_by);
	payee_where(&p, m->household, m->payee);
	replaced_from(m, &p);
	return payee_changed_named(tx, m, &p);
}

static sn_err
on_price_subsidy(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__PriceSubsidyDecided *m
	    = (const Sn__Assist__V1__PriceSubsidyDecided *) msg;
	disbursement_subsidy_in s = { .applies = m->applies,
		.per_person_fen                = m->per_person_fen,
		.ncategories                   = m->n_categories,
		.policy_version                = str_or(m->policy_version),
		.decided_by                    = str_or(m->decided_by) };
	int32_t                 cats[16];
	(void) arg;
	if (!month_of(m->month, &s.month) || m->per_person_fen < 0
	    || m->per_person_fen > DISBURSEMENT_AMOUNT_MAX
	    || m->n_categories > 16)
		return bad_event(ev, "bad month, amount or categories");
	for (size_t i = 0; i < m->n_categories; i++)
		cats[i] = (int32_t) m->categories[i];
	s.categories = cats;
	return disbursement_store_price_subsidy(tx, &s);
}

/* The grant's payment is in: its payment.scheduled, by the grant's
 * actor. */
static void
grant_done(sn_tx *tx, sn_err err, const disbursement_payment *p, void *arg)
{
	disbursement *d = arg;
	if (err == SN_OK && p != NULL)
		err = disbursement_events_scheduled(
		    sn_service_bus(d->svc), tx, p, 1, d->grant_actor);
	if (err != SN_OK && !sn_tx_failed(tx))
		sn_tx_rollback(tx, err);
}

static sn_err
on_granted(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__EmergencyGranted *m
	    = (const Sn__Assist__V1__EmergencyGranted *) msg;
	disbursement *d = arg;
	int           year;
	if (m->grant_id[0] == '\0' || m->amount_fen <= 0
	    || m->amount_fen > DISBURSEMENT_AMOUNT_MAX || m->payee == NULL
	    || m->payee->account_number[0] == '\0')
		return bad_event(ev, "no grant id, amount or account");
	/* The budget year is the grant's; without a date, the district's. */
	char y[5] = { 0 };
	if (strlen(m->granted_at) < 4
	    || !disbursement_rules_year_parse(
	        memcpy(y, m->granted_at, 4), &year))
		year = sn_clock_today().year;
	if (!disbursement_rules_instalment_ok(m->instalment, m->instalments))
		return bad_event(ev, "bad instalment");
	disbursement_grant_in g = { .grant_id = m->grant_id,
		.instalment                   = m->instalment,
		.amount_fen                   = m->amount_fen,
		.township_code                = m->township_code,
		.bank_code                    = m->payee->bank_code,
		.account_number               = m->payee->account_number,
		.account_name                 = m->payee->account_name,
		.year                         = year };
	snprintf(d->grant_actor, sizeof(d->grant_actor), "%s",
	    ev->actor != NULL && ev->actor[0] ? ev->actor : "system");
	/* Its payment goes out once the batch commits, not at the next
	 * idle pass (a second grant in the batch finds this one queued). */
	(void) sn_tx_on_commit(tx, kick, d);
	return disbursement_store_grant_payment(tx, &g, &d->grant_cb);
}

/* ---- wiring ------------------------------------------------------------- */

static const sn_bus_topic topics[] = {
	{ "approval", "application.decided",
	    &sn__assist__v1__application_decided__descriptor, on_decided },
	{ "approval", "beneficiary.changed",
	    &sn__assist__v1__beneficiary_changed__descriptor, on_beneficiary },
	{ "approval", "price_subsidy.decided",
	    &sn__assist__v1__price_subsidy_decided__descriptor,
	    on_price_subsidy },
	{ "emergency", "emergency.granted",
	    &sn__assist__v1__emergency_granted__descriptor, on_granted },
};

const sn_http_route_def disbursement_routes[DISBURSEMENT_NROUTES] = {
	{ "POST", "/budgets", SN_HTTP_IDEMPOTENT, FINANCE, on_budget },
	{ "GET", "/budgets", 0, READERS, on_budgets },
	{ "GET", "/budgets/{fund}/{year}/settlement", 0, READERS,
	    on_settlement },
	{ "POST", "/runs", SN_HTTP_IDEMPOTENT, FINANCE, on_run_create },
	{ "GET", "/runs", 0, READERS, on_runs },
	{ "GET", "/runs/{id}", 0, READERS, on_run_get },
	{ "GET", "/runs/{id}/plan", 0, READERS, on_plan },
	{ "GET", "/runs/{id}/reconciliation", 0, READERS, on_recon },
	{ "POST", "/runs/{id}/approval", SN_HTTP_IDEMPOTENT, APPROVER,
	    on_approval },
	{ "GET", "/payments", 0, PAYMENT_READERS, on_payments },
	{ "GET", "/payments/{id}", 0, PAYMENT_READERS, on_payment_get },
	{ "PUT", "/payments/{id}/account", SN_HTTP_IDEMPOTENT, OFFICER,
	    on_propose },
	{ "POST", "/payments/{id}/account/confirmation", SN_HTTP_IDEMPOTENT,
	    CHECKERS, on_change_confirm },
	{ "POST", "/payments/{id}/account/rejection", SN_HTTP_IDEMPOTENT,
	    CHECKERS, on_change_reject },
};

static sn_err
metrics_init(disbursement *d, sn_metrics *m)
{
	static const char *const instr[DISBURSEMENT_NINSTR]
	    = { "settled", "rejected", "accepted", "unknown", "retry" };
	for (int i = 0; i < DISBURSEMENT_NINSTR; i++) {
		char labels[48];
		snprintf(labels, sizeof(labels), "status=\"%s\"", instr[i]);
		d->instr[i] = sn_metrics_counter(m,
		    "sn_disbursement_instructions_total",
		    "Bank statuses applied to instructions", labels);
		if (d->instr[i] == NULL)
			return SN_ENOMEM;
	}
	d->runs_built = sn_metrics_counter(
	    m, "sn_disbursement_runs_built_total", "Payment runs built", NULL);
	return d->runs_built != NULL ? SN_OK : SN_ENOMEM;
}

sn_err
disbursement_init(
    disbursement *d, sn_service *svc, const disbursement_config *cfg)
{
	sn_metrics *m = sn_service_metrics(svc);
	sn_err      err;

	memset(d, 0, sizeof(*d));
	d->svc      = svc;
	d->cfg      = *cfg;
	d->grant_cb = (disbursement_payment_cb) { grant_done, d };
	if ((err = metrics_init(d, m)) != SN_OK
	    || (err = sn_bus_on_table(sn_service_bus(svc), topics,
	            sizeof(topics) / sizeof(topics[0]), d))
	        != SN_OK)
		return err;
	sn_service_set_route_arg(svc, d);

	disbursement_bank_config bc = { .url = cfg->bank_url,
		.timeout_ms                  = cfg->bank_timeout_ms,
		.retries                     = cfg->bank_retries,
		.backoff_ms                  = 100 };
	if ((err = disbursement_bank_open(
	         &d->bank, sn_service_loop(svc), m, &bc))
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
