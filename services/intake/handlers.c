#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "notices.h"
#include "rules.h"
#include "sn/assist.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/clock.h"
#include "sn/config.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "sn/uuid.h"
#include "store.h"

/* ---- helpers -------------------------------------------------------- */

static void
not_found(sn_http_req *req)
{
	sn_http_reply_error(
	    req, 404, "not_found", "no such application", NULL);
}

/* A new random application id; false if the system gives no randomness. */
static bool
new_id(char out[SN_UUID_STRLEN])
{
	sn_uuid u;
	if (sn_uuid_v4(&u) != SN_OK)
		return false;
	sn_uuid_format(&u, out);
	return true;
}

/* The 409 for a person held elsewhere: the problem of intake_rules_holder
 * with the holder's ids added to the error object. */
static json_t *
holder_body(const intake_holder *holder, bool raced)
{
	sn_problem p;

	intake_rules_holder(holder, raced, &p);
	json_t *body = sn_problem_json(&p);
	json_t *e    = json_object_get(body, "error");
	json_object_set_new(
	    e, "application_id", json_string(holder->application_id));
	if (!raced && holder->beneficiary_id[0] != '\0')
		json_object_set_new(
		    e, "beneficiary_id", json_string(holder->beneficiary_id));
	return body;
}

/* ---- submissions: POST /applications and POST .../{id}/submit -------- */

/*
 * One submission, from the body's check to the answer. Freed by
 * submission_end, which sn_http_tx_with_end runs however the transaction
 * ends, or by the early answers before it.
 */
typedef enum submission_kind {
	SUBMIT_NEW,   /* POST /applications */
	SUBMIT_DRAFT, /* POST /applications/{id}/submit */
	SUBMIT_AMEND, /* PUT /applications/{id} (issue 10) */
} submission_kind;

typedef struct submission {
	sn_http_req              *req;
	intake_handlers          *h;
	submission_kind           kind;
	const char               *draft_id; /* the {id}; NULL: a new one */
	intake_app                app;   /* strings borrowed from the body */
	sn_date                   today; /* the district's, at the start */
	char                      id[SN_UUID_STRLEN];
	intake_store_holder_slot  held;
	intake_store_current_slot lock;
	intake_store_outcome_slot outcome;
} submission;

static void
submission_end(void *arg)
{
	free(arg);
}

/* The answer to a submission (a new application, 201, or a completed
 * draft, 200 with its referral_id). */
static void
outcome_read(sn_tx *tx, sn_err err, const intake_outcome *o, void *arg)
{
	submission *s = arg;
	char        accepted[SN_DATE_STRLEN], deadline[SN_DATE_STRLEN];

	if (err != SN_OK) {
		sn_http_tx_fail(s->req, tx, 500, "internal",
		    "the application vanished", NULL);
		return;
	}
	if (o->has_holder) {
		/* Lost a race to a concurrent submission (or the register
		 * changed since the check at the transaction's start). */
		sn_http_tx_fail_json(
		    s->req, tx, 409, holder_body(&o->holder, true));
		return;
	}
	json_t *body
	    = json_pack("{s:s, s:s, s:s}", "application_id", o->application_id,
	        "accepted_date", sn_date_format(o->accepted_date, accepted),
	        "deadline_date", sn_date_format(o->deadline_date, deadline));
	if (body != NULL && o->has_referral_id)
		json_object_set_new(
		    body, "referral_id", json_string(o->referral_id));
	if (body != NULL && s->kind == SUBMIT_AMEND)
		json_object_set_new(body, "status", json_string("returned"));
	sn_log(SN_LOG_INFO, "application stored; committing", "application_id",
	    o->application_id, "deadline_date", deadline, "clerk",
	    sn_http_principal(s->req)->user, NULL);
	sn_http_tx_reply(s->req, tx, s->kind == SUBMIT_NEW ? 201 : 200, body);
}

/*
 * Queues the application (a new row, or the draft completed), its claims,
 * application.submitted and the read of the outcome.
 */
static void
queue_submission(submission *s, sn_tx *tx, const char *referral_id)
{
	const sn_principal *p = sn_http_principal(s->req);
	sn_date deadline = sn_clock_deadline(s->today, s->h->deadline_days);
	char    accepted_s[SN_DATE_STRLEN], deadline_s[SN_DATE_STRLEN];
	intake_submitted_pb pb;

	intake_submitted_meta meta = { .application_id = s->id,
		.accepted_date = sn_date_format(s->today, accepted_s),
		.deadline_date = sn_date_format(deadline, deadline_s),
		.taken_in_by   = p->user,
		.referral_id   = referral_id,
		.revision      = 1 };
	sn_err                err  = s->draft_id != NULL
	                    ? intake_store_qcomplete(
	                        tx, &s->app, s->id, s->today, deadline, p->user)
	                    : intake_store_qinsert(
	                        tx, &s->app, s->id, s->today, deadline, p->user);
	if (err == SN_OK)
		err = intake_store_qclaim(tx, &s->app, s->id);
	if (err == SN_OK)
		err = sn_bus_append_msg(sn_service_bus(s->h->svc), tx,
		    "application.submitted", s->id, p->user,
		    intake_codec_submitted(&s->app, &meta, &pb));
	s->outcome = (intake_store_outcome_slot) { outcome_read, s };
	if (err == SN_OK)
		err = intake_store_qoutcome(tx, &s->app, s->id, &s->outcome);
	if (err != SN_OK) {
		sn_http_tx_fail(s->req, tx, 503, "unavailable",
		    "the application could not be stored; retry", NULL);
		return;
	}
	char masked[SN_LOG_MASK_MAX], n[16];
	snprintf(n, sizeof(n), "%zu", s->app.nmembers);
	sn_log(SN_LOG_DEBUG, "application queued", "application_id", s->id,
	    "village_code", s->app.village_code, "members", n, "applicant",
	    sn_log_mask_idnum(s->app.members[0].id_number, masked),
	    "referral_id", referral_id != NULL ? referral_id : "", "clerk",
	    p->user, NULL);
}

static void
submit_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	submission *s = arg;

	if (!new_id(s->id)) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "no randomness for an id; retry", NULL);
		return;
	}
	queue_submission(s, tx, NULL);
}

/* The draft is locked: the rules decide, then its completion is queued. */
static void
draft_locked(sn_tx *tx, sn_err err, const intake_current *c, void *arg)
{
	submission *s = arg;
	sn_problem  p;

	if (err == SN_ENOTFOUND) {
		sn_http_tx_fail(
		    s->req, tx, 404, "not_found", "no such application", NULL);
		return;
	}
	if (err != SN_OK) {
		sn_http_tx_fail(s->req, tx, 500, "internal",
		    "the application could not be read", NULL);
		return;
	}
	if (!intake_rules_draft_submit(c, sn_http_principal(s->req), &s->app,
	        &s->app.requested_category, &p)) {
		sn_http_tx_problem(s->req, tx, &p);
		return;
	}
	queue_submission(s, tx, c->has_referral_id ? c->referral_id : NULL);
}

static void
draft_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	submission *s = arg;

	snprintf(s->id, sizeof(s->id), "%s", s->draft_id);
	s->lock = (intake_store_current_slot) { draft_locked, s };
	if (intake_store_qlock(tx, s->draft_id, &s->lock) != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the application could not be stored; retry", NULL);
}

/* The returned application is locked: the rules decide, then the
 * amendment, the claims of its persons and the read of the outcome are
 * queued. Nothing is published: the resubmission is. */
static void
amend_locked(sn_tx *tx, sn_err err, const intake_current *c, void *arg)
{
	submission         *s = arg;
	const sn_principal *p = sn_http_principal(s->req);
	sn_problem          pb;

	if (err != SN_OK) {
		draft_locked(tx, err, c, arg); /* the same 404 and 500 */
		return;
	}
	if (!intake_rules_amend(c, p, &pb)) {
		sn_http_tx_problem(s->req, tx, &pb);
		return;
	}
	err = intake_store_qamend(tx, &s->app, s->id, p->user);
	if (err == SN_OK)
		err = intake_store_qclaim(tx, &s->app, s->id);
	s->outcome = (intake_store_outcome_slot) { outcome_read, s };
	if (err == SN_OK)
		err = intake_store_qoutcome(tx, &s->app, s->id, &s->outcome);
	if (err != SN_OK)
		sn_http_tx_fail(s->req, tx, 503, "unavailable",
		    "the amendment could not be stored; retry", NULL);
}

static void
amend_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	submission *s = arg;

	snprintf(s->id, sizeof(s->id), "%s", s->draft_id);
	s->lock = (intake_store_current_slot) { amend_locked, s };
	if (intake_store_qlock(tx, s->draft_id, &s->lock) != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the amendment could not be stored; retry", NULL);
}

/* The first read of the transaction: a person already held gets the 409
 * with the holder's ids, and nothing is stored (the transaction is rolled
 * back); otherwise the submission goes on in the same transaction. */
static void
holders_checked(sn_tx *tx, sn_err err, const intake_holder *holder, void *arg)
{
	submission *s = arg;

	if (err != SN_OK) {
		sn_http_tx_fail(s->req, tx, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	if (holder != NULL) {
		sn_http_tx_fail_json(
		    s->req, tx, 409, holder_body(holder, false));
		return;
	}
	switch (s->kind) {
	case SUBMIT_NEW:
		submit_begin(s->req, tx, s);
		break;
	case SUBMIT_DRAFT:
		draft_begin(s->req, tx, s);
		break;
	case SUBMIT_AMEND:
		amend_begin(s->req, tx, s);
		break;
	}
}

/* The draft's own persons are not "held elsewhere" (a draft claims
 * nobody, and a repeat of a submitted draft is answered 409 not_draft,
 * not "held by itself"). */
static void
submission_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	submission *s = arg;

	s->held = (intake_store_holder_slot) { holders_checked, s };
	if (intake_store_qholders(tx, &s->app, s->draft_id, &s->held) != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the application could not be stored; retry", NULL);
}

/*
 * Checks the body as of the district's today, then the transaction: the
 * check of its persons (held by anyone but the draft itself, when
 * draft_id names one) first, then the submission.
 */
static void
submission_start(sn_http_req *req, intake_handlers *h, submission_kind kind,
    const char *draft_id)
{
	submission *s = calloc(1, sizeof(*s));
	sn_problem  p;

	if (s == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	s->req      = req;
	s->h        = h;
	s->kind     = kind;
	s->draft_id = draft_id;
	s->today    = sn_clock_today();
	if (!intake_codec_decode(sn_http_json(req), &s->app, &p)
	    || !intake_rules_validate(
	        &s->app, s->today, sn_http_principal(req), &p)) {
		free(s);
		sn_http_problem(req, &p);
		return;
	}
	sn_http_tx_with_end(req, submission_begin, submission_end, s);
}

void
intake_handlers_submit(sn_http_req *req, void *arg)
{
	submission_start(req, arg, SUBMIT_NEW, NULL);
}

void
intake_handlers_submit_draft(sn_http_req *req, void *arg)
{
	const char *id = sn_http_param(req, "id");

	if (!sn_uuid_valid(id)) {
		not_found(req);
		return;
	}
	submission_start(req, arg, SUBMIT_DRAFT, id);
}

void
intake_handlers_amend(sn_http_req *req, void *arg)
{
	const char *id = sn_http_param(req, "id");

	if (!sn_uuid_valid(id)) {
		not_found(req);
		return;
	}
	submission_start(req, arg, SUBMIT_AMEND, id);
}

/* ---- GET /applications (paged, sn/page.h) -------------------------- */

static void
list_read(
    void *arg, sn_err err, const intake_list_row *rows, size_t n, bool more)
{
	sn_http_req *req = arg;

	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n && items != NULL; i++) {
		json_t *app = json_loads(rows[i].doc, 0, NULL);
		if (app == NULL || json_array_append_new(items, app) != 0) {
			json_decref(items);
			items = NULL;
		}
	}
	json_t *body = items != NULL
	    ? sn_page_answer(items, more, n > 0 ? rows[n - 1].key : 0)
	    : NULL;
	if (body == NULL) {
		sn_http_reply_error(req, 500, "internal",
		    "the applications could not be read", NULL);
		return;
	}
	sn_http_reply_json(req, 200, body);
}

void
intake_handlers_list(sn_http_req *req, void *arg)
{
	intake_handlers         *h   = arg;
	const sn_principal      *who = sn_http_principal(req);
	const intake_list_params in  = { sn_http_query(req, "status"),
		 sn_http_query(req, "township"),
		 sn_http_query(req, "taken_in_by"), sn_http_query(req, "limit"),
		 sn_http_query(req, "cursor") };
	intake_list_query        q;
	sn_problem               p;

	if (!intake_rules_list_query(&in, who, &q, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	intake_store_list(
	    sn_service_db(h->svc), &q, who->juris, list_read, req);
}

/* ---- POST /applications/{id}/resubmit (issue 10) --------------------- */

typedef struct resubmission {
	sn_http_req              *req;
	intake_handlers          *h;
	const char               *amendment; /* borrowed from the body */
	intake_store_current_slot lock;
	intake_store_stored_slot  stored;
} resubmission;

static void
resubmission_end(void *arg)
{
	free(arg);
}

/* The application as resubmitted: application.resubmitted, then the
 * answer. */
static void
resubmit_stored(sn_tx *tx, sn_err err, const intake_stored *a, void *arg)
{
	resubmission       *r = arg;
	const sn_principal *p = sn_http_principal(r->req);
	intake_app          app;
	intake_submitted_pb pb;
	sn_problem          prob;
	json_t *body = err == SN_OK ? json_loads(a->body, 0, NULL) : NULL;

	/* What intake stored passed these checks when it came in. */
	if (body == NULL || !intake_codec_decode(body, &app, &prob)) {
		json_decref(body);
		sn_http_tx_fail(r->req, tx, 500, "internal",
		    "the application could not be read", NULL);
		return;
	}
	intake_submitted_meta meta
	    = { .application_id       = sn_http_param(r->req, "id"),
		      .accepted_date  = a->accepted_date,
		      .deadline_date  = a->deadline_date,
		      .taken_in_by    = a->taken_in_by,
		      .referral_id    = a->referral_id,
		      .revision       = a->revision,
		      .resubmitted_by = p->user,
		      .amendment      = r->amendment };
	err = sn_bus_append_msg(sn_service_bus(r->h->svc), tx,
	    "application.resubmitted", meta.application_id, p->user,
	    intake_codec_submitted(&app, &meta, &pb));
	if (err != SN_OK) {
		json_decref(body);
		sn_http_tx_fail(r->req, tx, 503, "unavailable",
		    "the resubmission could not be stored; retry", NULL);
		return;
	}
	sn_log(SN_LOG_INFO, "application resubmitted", "application_id",
	    meta.application_id, "clerk", p->user, NULL);
	sn_http_tx_reply(r->req, tx, 200,
	    json_pack("{s:s, s:s, s:i}", "application_id", meta.application_id,
	        "status", "open", "revision", (int) a->revision));
	json_decref(body);
}

static void
resubmit_locked(sn_tx *tx, sn_err err, const intake_current *c, void *arg)
{
	resubmission *r  = arg;
	const char   *id = sn_http_param(r->req, "id");
	sn_problem    p;

	if (err == SN_ENOTFOUND) {
		sn_http_tx_fail(
		    r->req, tx, 404, "not_found", "no such application", NULL);
		return;
	}
	if (err != SN_OK) {
		sn_http_tx_fail(r->req, tx, 500, "internal",
		    "the application could not be read", NULL);
		return;
	}
	if (!intake_rules_amend(c, sn_http_principal(r->req), &p)) {
		sn_http_tx_problem(r->req, tx, &p);
		return;
	}
	r->stored = (intake_store_stored_slot) { resubmit_stored, r };
	err       = intake_store_qresubmit(
	          tx, id, sn_http_principal(r->req)->user, r->amendment);
	if (err == SN_OK)
		err = intake_store_qstored(tx, id, &r->stored);
	if (err != SN_OK)
		sn_http_tx_fail(r->req, tx, 503, "unavailable",
		    "the resubmission could not be stored; retry", NULL);
}

static void
resubmit_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	resubmission *r = arg;

	r->lock = (intake_store_current_slot) { resubmit_locked, r };
	if (intake_store_qlock(tx, sn_http_param(req, "id"), &r->lock)
	    != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the resubmission could not be stored; retry", NULL);
}

void
intake_handlers_resubmit(sn_http_req *req, void *arg)
{
	const char *amendment;
	sn_problem  p;

	if (!sn_uuid_valid(sn_http_param(req, "id"))) {
		not_found(req);
		return;
	}
	if (!intake_codec_resubmission(sn_http_json(req), &amendment, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	resubmission *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	r->req       = req;
	r->h         = arg;
	r->amendment = amendment;
	sn_http_tx_with_end(req, resubmit_begin, resubmission_end, r);
}

/* ---- POST /applications/{id}/withdraw ------------------------------- */

typedef struct withdrawal {
	sn_http_req              *req;
	intake_handlers          *h;
	const char               *reason; /* borrowed from the body */
	intake_store_current_slot lock;
} withdrawal;

static void
withdrawal_end(void *arg)
{
	free(arg);
}

static void
withdraw_locked(sn_tx *tx, sn_err err, const intake_current *c, void *arg)
{
	withdrawal  *w   = arg;
	sn_http_req *req = w->req;
	sn_problem   p;

	if (err == SN_ENOTFOUND) {
		sn_http_tx_fail(
		    req, tx, 404, "not_found", "no such application", NULL);
		return;
	}
	if (err != SN_OK) {
		sn_http_tx_fail(req, tx, 500, "internal",
		    "the application could not be read", NULL);
		return;
	}
	if (!intake_rules_withdraw(c, sn_http_principal(req), &p)) {
		sn_http_tx_problem(req, tx, &p);
		return;
	}
	sn_http_tx_reply(req, tx, 200,
	    json_pack("{s:s, s:s}", "application_id", sn_http_param(req, "id"),
	        "status", "withdrawn"));
}

static void
withdraw_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	withdrawal                          *w  = arg;
	const sn_principal                  *p  = sn_http_principal(req);
	const char                          *id = sn_http_param(req, "id");
	Sn__Assist__V1__ApplicationWithdrawn ev;

	/* The change and its event are queued behind the lock and undone
	 * by the rollback when the locked row says no: the answer then
	 * needs nothing but the request. */
	w->lock    = (intake_store_current_slot) { withdraw_locked, w };
	sn_err err = intake_store_qlock(tx, id, &w->lock);
	if (err == SN_OK)
		err = intake_store_qwithdraw(tx, id, w->reason, p->user);
	if (err == SN_OK)
		err = sn_bus_append_msg(sn_service_bus(w->h->svc), tx,
		    "application.withdrawn", id, p->user,
		    intake_codec_withdrawn(id, w->reason, p->user, &ev));
	if (err != SN_OK && !sn_tx_failed(tx)) {
		/* The lock's callback has not run (it runs later, from the
		 * loop), so this is the one answer. */
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the withdrawal could not be stored; retry", NULL);
		return;
	}
	if (err == SN_OK)
		sn_log(SN_LOG_INFO, "application withdrawal asked",
		    "application_id", id, "clerk", p->user, NULL);
}

void
intake_handlers_withdraw(sn_http_req *req, void *arg)
{
	const char *id = sn_http_param(req, "id");
	const char *reason;
	sn_problem  p;

	if (!sn_uuid_valid(id)) {
		not_found(req);
		return;
	}
	if (!intake_codec_withdrawal(sn_http_json(req), &reason, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	withdrawal *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	w->req    = req;
	w->h      = arg;
	w->reason = reason;
	sn_http_tx_with_end(req, withdraw_begin, withdrawal_end, w);
}

/* ---- GET /applications/{id} ----------------------------------------- */

static void
view_read(void *arg, sn_err err, const intake_view *v)
{
	sn_http_req *req = arg;

	if (err == SN_ENOTFOUND) {
		not_found(req);
		return;
	}
	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	if (!sn_auth_within(sn_http_principal(req), v->village_code)) {
		sn_http_reply_error(req, 403, "outside_jurisdiction",
		    "the application is outside your jurisdiction", NULL);
		return;
	}
	json_t *body = json_loads(v->json, 0, NULL);
	if (body == NULL) {
		sn_http_reply_error(req, 500, "internal",
		    "the application could not be read", NULL);
		return;
	}
	sn_http_reply_json(req, 200, body);
}

void
intake_handlers_get(sn_http_req *req, void *arg)
{
	intake_handlers *h  = arg;
	const char      *id = sn_http_param(req, "id");

	if (!sn_uuid_valid(id)) {
		not_found(req);
		return;
	}
	intake_store_get(sn_service_db(h->svc), id, view_read, req);
}

/* ---- approval's events ---------------------------------------------- */

/* A peer's string for a log line: itself if UTF-8 of a sane length. */
static const char *
text_or(const char *s)
{
	if (!intake_rules_utf8_valid(s) || strlen(s) > 200)
		return "(unprintable)";
	return s;
}

static sn_err
on_decided(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ApplicationDecided *d
	    = (const Sn__Assist__V1__ApplicationDecided *) msg;

	(void) ev;
	(void) arg;
	if (!sn_uuid_valid(d->application_id))
		return SN_EPROTO;
	const intake_store_decision dec
	    = { .application_id   = d->application_id,
		      .case_id    = d->case_id,
		      .decided_by = d->decided_by,
		      .approved   = d->approved,
		      .category   = sn_assist_category_name((int) d->category),
		      .edge       = intake_rules_edge(d->category, d->tier) };
	sn_log(SN_LOG_INFO, "application decided", "application_id",
	    d->application_id, "approved", d->approved ? "true" : "false",
	    "tier", dec.edge ? "edge" : "core", NULL);
	return intake_store_qdecided(tx, &dec);
}

static sn_err
on_beneficiary(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	static const char *const holds[]
	    = { "active", "gradual_exit", "exited", "suspended" };
	const Sn__Assist__V1__BeneficiaryChanged *b
	    = (const Sn__Assist__V1__BeneficiaryChanged *) msg;
	intake_hold hold;
	const char *head;

	(void) ev;
	(void) arg;
	if (!intake_rules_beneficiary(b, &hold, &head))
		return SN_EPROTO;
	/* REPLACED comes as EXITED (issue 10): the old standing ends like
	 * any exit. */
	static const char *const tiers[] = { "unsaid", "core", "edge" };
	intake_tier tier = intake_rules_tier(b->category, b->tier);
	sn_log(SN_LOG_INFO, "beneficiary household changed", "beneficiary_id",
	    b->beneficiary_id, "application_id", b->application_id, "status",
	    holds[hold], "tier", tiers[tier], NULL);
	const Sn__Assist__V1__Household *hh = b->household;
	sn_err err = intake_store_qbeneficiary(tx, b->beneficiary_id,
	    b->application_id, hold, tier,
	    (const char *const *) b->member_id_numbers, b->n_member_id_numbers,
	    head);
	if (err == SN_OK)
		err = intake_store_qbeneficiary_household(tx,
		    b->beneficiary_id, b->application_id, hold,
		    hh != NULL ? hh->district_code : NULL,
		    hh != NULL ? hh->township_code : NULL,
		    hh != NULL ? hh->village_code : NULL,
		    sn_assist_category_name((int) b->category), tier);
	return err;
}

/* A case returned (issue 10): an application's case (case_id ==
 * application_id, one of ours) becomes returned; other stages, and
 * reviews' cases, which intake does not have, change nothing. */
static sn_err
on_stage(sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__CaseStageChanged *c
	    = (const Sn__Assist__V1__CaseStageChanged *) msg;

	(void) ev;
	(void) arg;
	if (c->to != SN__ASSIST__V1__STAGE__STAGE_RETURNED
	    || strcmp(c->case_id, c->application_id) != 0
	    || !sn_uuid_valid(c->application_id))
		return SN_OK;
	if (!intake_rules_utf8_valid(c->actor) || strlen(c->actor) > 200
	    || !intake_rules_utf8_valid(c->reason)
	    || strlen(c->reason) > INTAKE_NOTE_MAX)
		return SN_EPROTO;
	sn_log(SN_LOG_INFO, "case returned", "application_id",
	    c->application_id, "by", c->actor, NULL);
	return intake_store_qreturned(
	    tx, c->application_id, c->actor, c->reason);
}

/* ---- disbursement's events ------------------------------------------ */

/* A payee corrected (issue 10): the application's payee becomes the new
 * one, the old kept in its history. A grant's (no application id) or an
 * application intake does not have changes nothing. */
static sn_err
on_payee(sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Pay__V1__PayeeChanged *c
	    = (const Sn__Pay__V1__PayeeChanged *) msg;
	intake_app payee = { 0 };
	sn_problem p;

	(void) ev;
	(void) arg;
	if (c->application_id[0] == '\0')
		return SN_OK;
	payee.bank_code      = c->bank_code;
	payee.account_number = c->account_number;
	payee.account_name   = c->account_name;
	if (!sn_uuid_valid(c->application_id)
	    || !intake_rules_payee(&payee, &p)
	    || !intake_rules_utf8_valid(c->confirmed_by)
	    || strlen(c->confirmed_by) > 64)
		return SN_EPROTO;
	json_t *d       = json_pack("{s:s, s:s, s:s, s:s, s:s}", "payment_id",
	          text_or(c->payment_id), "requested_by", text_or(c->requested_by),
	          "confirmed_by", c->confirmed_by, "changed_at",
	          text_or(c->changed_at), "beneficiary_id",
	          text_or(c->beneficiary_id));
	char   *details = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	if (details == NULL)
		return SN_ENOMEM;
	const intake_store_payee py = { c->application_id, c->bank_code,
		c->account_number, c->account_name,
		c->confirmed_by[0] != '\0' ? c->confirmed_by : "disbursement",
		details };
	sn_log(SN_LOG_INFO, "payee changed", "application_id",
	    c->application_id, "confirmed_by", py.actor, NULL);
	sn_err err = intake_store_qpayee(tx, &py);
	free(details);
	return err;
}

/* ---- emergency's events --------------------------------------------- */

static sn_err
on_referral(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ReferralCreated *r
	    = (const Sn__Assist__V1__ReferralCreated *) msg;
	intake_draft d;
	const char  *why = NULL;
	char         id[SN_UUID_STRLEN], masked[SN_LOG_MASK_MAX];

	(void) ev;
	(void) arg;
	switch (intake_rules_referral(r, sn_clock_today(), &d, &why)) {
	case INTAKE_REFERRAL_OTHER:
		sn_log(SN_LOG_DEBUG, "referral to another department ignored",
		    "referral_id", text_or(r->referral_id), "department",
		    text_or(r->department), NULL);
		return SN_OK;
	case INTAKE_REFERRAL_BAD:
		sn_log(SN_LOG_WARN, "malformed referral", "referral_id",
		    text_or(r->referral_id), "why", why, NULL);
		return SN_EPROTO;
	case INTAKE_REFERRAL_DRAFT:
		break;
	}
	/* A repeat of the referral id finds its draft and changes nothing,
	 * whatever id this attempt drew. */
	if (!new_id(id))
		return SN_EIO;
	sn_log(SN_LOG_INFO, "referral: draft queued (one per referral)",
	    "referral_id", d.referral_id, "category",
	    sn_assist_category_name(d.category), "township_code",
	    d.township_code, "person", sn_log_mask_idnum(d.id_number, masked),
	    NULL);
	return intake_store_qdraft(tx, &d, id);
}

/* ---- agency-sim's events -------------------------------------------- */

static sn_err
on_notice(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	intake_handlers *h = arg;
	return intake_notices_apply(tx, ev, msg, h->notices);
}

/* ---- wiring --------------------------------------------------------- */

static const sn_bus_topic events[] = {
	{ "approval", "application.decided",
	    &sn__assist__v1__application_decided__descriptor, on_decided },
	{ "approval", "beneficiary.changed",
	    &sn__assist__v1__beneficiary_changed__descriptor, on_beneficiary },
	{ "approval", "case.stage_changed",
	    &sn__assist__v1__case_stage_changed__descriptor, on_stage },
	{ "disbursement", "payee.changed",
	    &sn__pay__v1__payee_changed__descriptor, on_payee },
	{ "emergency", "referral.created",
	    &sn__assist__v1__referral_created__descriptor, on_referral },
	{ "agency-sim", "agency.notice",
	    &sn__agency__v1__agency_notice__descriptor, on_notice },
};

sn_err
intake_handlers_setup(sn_service *svc, void *arg)
{
	intake_handlers *h = arg;

	h->svc           = svc;
	h->deadline_days = (int32_t) sn_config_int(
	    "SN_CASE_DEADLINE_DAYS", SN_CLOCK_CASE_DAYS, 1, 365);
	h->notices = intake_notices_new(svc);
	if (h->notices == NULL)
		return SN_ENOMEM;
	return sn_bus_on_table(sn_service_bus(svc), events,
	    sizeof(events) / sizeof(events[0]), h);
}
