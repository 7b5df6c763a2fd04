#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "codec.h"
#include "rules.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/idnum.h"
#include "sn/log.h"
#include "store.h"

/* ---- helpers -------------------------------------------------------- */

/* Today's date on the server's clock. */
static sn_date
today(void)
{
	time_t    now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	return (sn_date) { tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday };
}

/* A random (version 4) UUID; false if the kernel gives no randomness. */
static bool
new_uuid(char out[37])
{
	uint8_t b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
		return false;
	b[6] = (uint8_t) ((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
	return true;
}

static void
reply_problem(sn_http_req *req, const intake_problem *pb)
{
	sn_http_reply_error(req, pb->status, pb->code, pb->message,
	    pb->field[0] != '\0' ? pb->field : NULL);
}

/* The 409 for a person held elsewhere. */
static const char *
holder_code(const intake_holder *h)
{
	return h->kind == INTAKE_HELD_OPEN ? "person_in_open_application"
	                                   : "person_in_beneficiary_household";
}

static void
holder_field(const intake_holder *h, char *field, size_t cap)
{
	snprintf(field, cap, "members[%ld].id_number",
	    h->pos > 0 ? (long) h->pos - 1 : 0L);
}

/* ---- submissions: POST /applications and POST .../{id}/submit -------- */

/*
 * One submission, from the body's check to the answer. Freed by
 * submission_end, which sn_http_tx_with_end runs however the transaction
 * ends, or by the early answers before it.
 */
typedef struct submission {
	sn_http_req     *req;
	intake_handlers *h;
	const char      *draft_id; /* NULL: a new application */
	intake_app       app;      /* strings borrowed from the body */
	sn_date          today;
	char             id[37];
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
	char        field[48], msg[160], accepted[11], deadline[11];

	if (err != SN_OK) {
		sn_http_tx_fail(s->req, tx, 500, "internal",
		    "the application vanished", NULL);
		return;
	}
	if (o->has_holder) {
		/* Lost a race to a concurrent submission (or the register
		 * changed since the early check). */
		holder_field(&o->holder, field, sizeof(field));
		snprintf(msg, sizeof(msg),
		    "the person is already held by application %s",
		    o->holder.application_id);
		sn_http_tx_fail_json(s->req, tx, 409,
		    json_pack("{s:{s:s, s:s, s:s, s:s}}", "error", "code",
		        holder_code(&o->holder), "message", msg, "field",
		        field, "application_id", o->holder.application_id));
		return;
	}
	json_t *body = json_pack("{s:s, s:s, s:s}", "application_id",
	    o->application_id, "accepted_date",
	    sn_date_format(o->accepted_date, accepted), "deadline_date",
	    sn_date_format(o->deadline_date, deadline));
	if (body != NULL && o->has_referral_id)
		json_object_set_new(body, "referral_id",
		    json_string(o->referral_id));
	sn_log(SN_LOG_INFO, "application stored; committing", "application_id",
	    o->application_id, "deadline_date", deadline, "clerk",
	    sn_http_principal(s->req)->user, NULL);
	sn_http_tx_reply(s->req, tx, s->draft_id != NULL ? 200 : 201, body);
}

/*
 * Queues the application (a new row, or the draft completed), its claims,
 * application.submitted and the read of the outcome.
 */
static void
queue_submission(submission *s, sn_tx *tx, const char *referral_id)
{
	const sn_principal *p = sn_http_principal(s->req);
	sn_date  deadline = sn_date_add_days(s->today, s->h->deadline_days);
	char     accepted_s[11], deadline_s[11];
	uint8_t *data = NULL;
	size_t   len  = 0;

	intake_submitted_meta meta = { .application_id = s->id,
		.accepted_date = sn_date_format(s->today, accepted_s),
		.deadline_date = sn_date_format(deadline, deadline_s),
		.taken_in_by = p->user, .referral_id = referral_id };
	sn_err err = intake_codec_submitted(&s->app, &meta, &data, &len);
	if (err == SN_OK)
		err = s->draft_id != NULL
		    ? intake_store_qcomplete(tx, &s->app, s->id, s->today,
		          deadline, p->user)
		    : intake_store_qinsert(tx, &s->app, s->id, s->today,
		          deadline, p->user);
	if (err == SN_OK)
		err = intake_store_qclaim(tx, &s->app, s->id);
	if (err == SN_OK) {
		sn_event_out ev = { .type = "application.submitted",
			.subject = s->id, .actor = p->user,
			.schema_version = 1, .data = data, .len = len };
		err = sn_bus_append(sn_service_bus(s->h->svc), tx, &ev);
	}
	s->outcome = (intake_store_outcome_slot) { outcome_read, s };
	if (err == SN_OK)
		err = intake_store_qoutcome(tx, &s->app, s->id, &s->outcome);
	free(data);
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

	if (!new_uuid(s->id)) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "no randomness for an id; retry", NULL);
		return;
	}
	queue_submission(s, tx, NULL);
}

/* The draft is locked: check it, then queue its completion. */
static void
draft_locked(sn_tx *tx, sn_err err, const intake_current *c, void *arg)
{
	submission         *s = arg;
	const sn_principal *p = sn_http_principal(s->req);
	char                msg[96];

	if (err == SN_ENOTFOUND) {
		sn_http_tx_fail(s->req, tx, 404, "not_found",
		    "no such application", NULL);
		return;
	}
	if (err != SN_OK) {
		sn_http_tx_fail(s->req, tx, 500, "internal",
		    "the application could not be read", NULL);
		return;
	}
	if (!sn_auth_within(p, c->village_code)) {
		sn_http_tx_fail(s->req, tx, 403, "outside_jurisdiction",
		    "the application is outside your jurisdiction", NULL);
		return;
	}
	if (c->status != INTAKE_STATUS_DRAFT) {
		snprintf(msg, sizeof(msg), "the application is %s, not a draft",
		    intake_status_names[c->status]);
		sn_http_tx_fail(s->req, tx, 409, "not_draft", msg, NULL);
		return;
	}
	/* The referred person stays in the application, so that the chain
	 * grant -> referral -> application -> decision holds for them. */
	bool found = !c->has_applicant;
	for (size_t i = 0; i < s->app.nmembers && !found; i++)
		found = strcmp(s->app.members[i].id_number,
		            c->applicant_id_number) == 0;
	if (!found) {
		sn_http_tx_fail(s->req, tx, 422, "referred_person_missing",
		    "the person the referral names must be a member",
		    "members");
		return;
	}
	/* A body without a category keeps the draft's (the referral's). */
	if (s->app.requested_category ==
	        SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED &&
	    c->has_category)
		s->app.requested_category = c->category;
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

/* The early check: a person already held gets the 409 with the holder's
 * ids, before any transaction (so nothing is stored). */
static void
precheck_done(void *arg, sn_err err, const intake_holder *holder)
{
	submission  *s   = arg;
	sn_http_req *req = s->req;
	char         field[48];

	if (err == SN_OK && holder == NULL) {
		sn_http_tx_with_end(req,
		    s->draft_id != NULL ? draft_begin : submit_begin,
		    submission_end, s);
		return;
	}
	free(s);
	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	holder_field(holder, field, sizeof(field));
	const char *code = holder_code(holder);
	json_t     *e    = json_pack("{s:s, s:s, s:s, s:s}", "code", code,
	             "message",
	             holder->kind == INTAKE_HELD_OPEN
	                 ? "the person is already in another open application"
	                 : "the person is in an active beneficiary household",
	             "field", field, "application_id", holder->application_id);
	if (e != NULL && holder->beneficiary_id[0] != '\0')
		json_object_set_new(e, "beneficiary_id",
		    json_string(holder->beneficiary_id));
	sn_http_reply_json(req, 409, json_pack("{s:o}", "error", e));
}

/*
 * Checks the body, then the early check of its persons (held by anyone
 * but the draft itself, when draft_id names one), then the transaction.
 */
static void
submission_start(sn_http_req *req, intake_handlers *h, const char *draft_id)
{
	submission    *s = calloc(1, sizeof(*s));
	intake_problem pb;

	if (s == NULL) {
		sn_http_reply_error(req, 503, "unavailable", "out of memory",
		    NULL);
		return;
	}
	s->req      = req;
	s->h        = h;
	s->draft_id = draft_id;
	s->today    = today();
	if (!intake_codec_decode(sn_http_json(req), &s->app, &pb) ||
	    !intake_rules_validate(&s->app, sn_date_yyyymmdd(s->today),
	        sn_http_principal(req), &pb)) {
		free(s);
		reply_problem(req, &pb);
		return;
	}
	/* The draft's own persons are not "held elsewhere" (a draft claims
	 * nobody, and a repeat of a submitted draft is answered 409
	 * not_draft, not "held by itself"). */
	intake_store_holders(sn_service_db(h->svc), &s->app, draft_id,
	    sn_http_principal(req)->user, sn_http_idempotency_key(req),
	    precheck_done, s);
}

static void
on_submit(sn_http_req *req, void *arg)
{
	submission_start(req, arg, NULL);
}

static void
on_submit_draft(sn_http_req *req, void *arg)
{
	const char *id = sn_http_param(req, "id");

	if (!intake_rules_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such application", NULL);
		return;
	}
	submission_start(req, arg, id);
}

/* ---- GET /applications?status=draft&township= ----------------------- */

#define LIST_LIMIT_DEFAULT 200
#define LIST_LIMIT_MAX 1000

static void
list_read(void *arg, sn_err err, const char *const *docs, size_t n, bool more)
{
	sn_http_req *req = arg;

	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < n && list != NULL; i++) {
		json_t *app = json_loads(docs[i], 0, NULL);
		if (app == NULL || json_array_append_new(list, app) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	if (list == NULL) {
		sn_http_reply_error(req, 500, "internal",
		    "the applications could not be read", NULL);
		return;
	}
	sn_http_reply_json(req, 200,
	    json_pack("{s:o, s:b}", "applications", list, "truncated", more));
}

static void
on_list(sn_http_req *req, void *arg)
{
	intake_handlers *h        = arg;
	const char      *status   = sn_http_query(req, "status");
	const char      *township = sn_http_query(req, "township");
	const char      *lim      = sn_http_query(req, "limit");
	long             limit    = LIST_LIMIT_DEFAULT;

	if (status == NULL || strcmp(status, "draft") != 0) {
		sn_http_reply_error(req, 422, "invalid_value",
		    "status=draft is required: only drafts are listed",
		    "status");
		return;
	}
	if (township == NULL || strlen(township) != 9 ||
	    strspn(township, "0123456789") != 9) {
		sn_http_reply_error(req, 422, "invalid_code",
		    "township is a 9-digit division code", "township");
		return;
	}
	if (lim != NULL) {
		char *end = NULL;
		limit     = strtol(lim, &end, 10);
		if (lim[0] == '\0' || *end != '\0' || limit < 1 ||
		    limit > LIST_LIMIT_MAX) {
			sn_http_reply_error(req, 422, "invalid_value",
			    "limit is 1 to 1000", "limit");
			return;
		}
	}
	if (!sn_auth_within(sn_http_principal(req), township)) {
		sn_http_reply_error(req, 403, "outside_jurisdiction",
		    "the township is outside your jurisdiction", "township");
		return;
	}
	intake_store_drafts(sn_service_db(h->svc), township, (int) limit,
	    list_read, req);
}

/* ---- POST /applications/{id}/withdraw ------------------------------- */

typedef struct withdrawal {
	sn_http_req              *req;
	intake_handlers          *h;
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

	if (err == SN_ENOTFOUND) {
		sn_http_tx_fail(req, tx, 404, "not_found",
		    "no such application", NULL);
		return;
	}
	if (err != SN_OK) {
		sn_http_tx_fail(req, tx, 500, "internal",
		    "the application could not be read", NULL);
		return;
	}
	if (!sn_auth_within(sn_http_principal(req), c->village_code)) {
		sn_http_tx_fail(req, tx, 403, "outside_jurisdiction",
		    "the application is outside your jurisdiction", NULL);
		return;
	}
	if (c->status != INTAKE_STATUS_OPEN) {
		char msg[96];
		snprintf(msg, sizeof(msg), "the application is %s, not open",
		    intake_status_names[c->status]);
		sn_http_tx_fail(req, tx, 409, "not_open", msg, NULL);
		return;
	}
	sn_http_tx_reply(req, tx, 200,
	    json_pack("{s:s, s:s}", "application_id",
	        sn_http_param(req, "id"), "status", "withdrawn"));
}

static void
withdraw_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	withdrawal         *w   = arg;
	const sn_principal *p   = sn_http_principal(req);
	const char         *id  = sn_http_param(req, "id");
	const char         *why = json_string_value(
	            json_object_get(sn_http_json(req), "reason"));
	uint8_t            *data = NULL;
	size_t              len  = 0;

	/* The change and its event are queued behind the lock and undone
	 * by the rollback when the locked row says no: the answer then
	 * needs nothing but the request. */
	w->lock    = (intake_store_current_slot) { withdraw_locked, w };
	sn_err err = intake_store_qlock(tx, id, &w->lock);
	if (err == SN_OK)
		err = intake_store_qwithdraw(tx, id, why, p->user);
	if (err == SN_OK)
		err = intake_codec_withdrawn(id, why, p->user, &data, &len);
	if (err == SN_OK) {
		sn_event_out ev = { .type = "application.withdrawn",
			.subject = id, .actor = p->user, .schema_version = 1,
			.data = data, .len = len };
		err = sn_bus_append(sn_service_bus(w->h->svc), tx, &ev);
	}
	free(data);
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

static void
on_withdraw(sn_http_req *req, void *arg)
{
	const char *id  = sn_http_param(req, "id");
	json_t     *b   = sn_http_json(req);
	const char *why = json_string_value(json_object_get(b, "reason"));

	if (!intake_rules_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such application", NULL);
		return;
	}
	if (!json_is_object(b) || !intake_rules_reason_valid(why)) {
		sn_http_reply_error(req, 422, "invalid_field",
		    "a reason of 1 to 500 bytes is required", "reason");
		return;
	}
	withdrawal *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		sn_http_reply_error(req, 503, "unavailable", "out of memory",
		    NULL);
		return;
	}
	w->req = req;
	w->h   = arg;
	sn_http_tx_with_end(req, withdraw_begin, withdrawal_end, w);
}

/* ---- GET /applications/{id} ----------------------------------------- */

static void
view_read(void *arg, sn_err err, const intake_view *v)
{
	sn_http_req *req = arg;

	if (err == SN_ENOTFOUND) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such application", NULL);
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

static void
on_get(sn_http_req *req, void *arg)
{
	intake_handlers *h  = arg;
	const char      *id = sn_http_param(req, "id");

	if (!intake_rules_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such application", NULL);
		return;
	}
	intake_store_get(sn_service_db(h->svc), id, view_read, req);
}

/* ---- approval's events ---------------------------------------------- */

static sn_err
on_decided(sn_tx *tx, const sn_event *ev, void *arg)
{
	Sn__Assist__V1__ApplicationDecided *d;
	sn_err                              err;

	(void) arg;
	d = sn__assist__v1__application_decided__unpack(NULL, ev->len,
	    ev->data);
	if (d == NULL)
		return SN_EPROTO;
	if (!intake_rules_uuid_valid(d->application_id)) {
		sn__assist__v1__application_decided__free_unpacked(d, NULL);
		return SN_EPROTO;
	}
	err = intake_store_qdecided(tx, d->application_id, d->approved,
	    d->case_id, d->decided_by);
	sn_log(SN_LOG_INFO, "application decided", "application_id",
	    d->application_id, "approved", d->approved ? "true" : "false",
	    NULL);
	sn__assist__v1__application_decided__free_unpacked(d, NULL);
	return err;
}

static sn_err
on_beneficiary(sn_tx *tx, const sn_event *ev, void *arg)
{
	Sn__Assist__V1__BeneficiaryChanged *b;
	intake_hold                         hold;
	const char                         *head = NULL;
	sn_err                              err  = SN_EPROTO;

	(void) arg;
	b = sn__assist__v1__beneficiary_changed__unpack(NULL, ev->len,
	    ev->data);
	if (b == NULL)
		return SN_EPROTO;
	switch (b->status) {
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE:
		hold = INTAKE_HOLD_ACTIVE;
		break;
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_GRADUAL_EXIT:
		hold = INTAKE_HOLD_GRADUAL_EXIT;
		break;
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED:
		hold = INTAKE_HOLD_EXITED;
		break;
	default:
		goto out;
	}
	if (b->beneficiary_id[0] == '\0' || strlen(b->beneficiary_id) > 64 ||
	    (b->application_id[0] != '\0' &&
	        !intake_rules_uuid_valid(b->application_id)))
		goto out;
	for (size_t i = 0; i < b->n_member_id_numbers; i++)
		if (!sn_idnum_valid(b->member_id_numbers[i]))
			goto out;
	if (b->head_id_number[0] != '\0') {
		bool seen = false;
		if (!sn_idnum_valid(b->head_id_number))
			goto out;
		for (size_t i = 0; i < b->n_member_id_numbers; i++)
			seen = seen ||
			    strcmp(b->member_id_numbers[i], b->head_id_number) ==
			        0;
		if (!seen)
			head = b->head_id_number;
	}
	err = intake_store_qbeneficiary(tx, b->beneficiary_id,
	    b->application_id, hold,
	    (const char *const *) b->member_id_numbers,
	    b->n_member_id_numbers, head);
	sn_log(SN_LOG_INFO, "beneficiary household changed", "beneficiary_id",
	    b->beneficiary_id, "application_id", b->application_id, "status",
	    hold == INTAKE_HOLD_ACTIVE ? "active"
	    : hold == INTAKE_HOLD_GRADUAL_EXIT ? "gradual_exit"
	                                       : "exited",
	    NULL);
out:
	sn__assist__v1__beneficiary_changed__free_unpacked(b, NULL);
	return err;
}

/* ---- emergency's events --------------------------------------------- */

/* A peer's string for a log line: itself if UTF-8 of a sane length. */
static const char *
text_or(const char *s)
{
	if (!intake_rules_utf8_valid(s) || strlen(s) > 200)
		return "(unprintable)";
	return s;
}

static sn_err
on_referral(sn_tx *tx, const sn_event *ev, void *arg)
{
	Sn__Assist__V1__ReferralCreated *r;
	intake_draft                     d;
	const char                      *why = NULL;
	char                             id[37], masked[SN_LOG_MASK_MAX];
	sn_err                           err = SN_OK;

	(void) arg;
	r = sn__assist__v1__referral_created__unpack(NULL, ev->len, ev->data);
	if (r == NULL)
		return SN_EPROTO;
	switch (intake_rules_referral(r, sn_date_yyyymmdd(today()), &d, &why)) {
	case INTAKE_REFERRAL_OTHER:
		sn_log(SN_LOG_DEBUG, "referral to another department ignored",
		    "referral_id", text_or(r->referral_id), "department",
		    text_or(r->department), NULL);
		break;
	case INTAKE_REFERRAL_BAD:
		sn_log(SN_LOG_WARN, "malformed referral", "referral_id",
		    text_or(r->referral_id), "why", why, NULL);
		err = SN_EPROTO;
		break;
	case INTAKE_REFERRAL_DRAFT:
		/* A repeat of the referral id finds its draft and changes
		 * nothing, whatever id this attempt drew. */
		if (!new_uuid(id)) {
			err = SN_EIO;
			break;
		}
		err = intake_store_qdraft(tx, &d, id);
		sn_log(SN_LOG_INFO,
		    "referral: draft queued (one per referral)",
		    "referral_id", d.referral_id, "category",
		    intake_rules_category_name(d.category), "township_code",
		    d.township_code, "person",
		    sn_log_mask_idnum(d.id_number, masked), NULL);
		break;
	}
	sn__assist__v1__referral_created__free_unpacked(r, NULL);
	return err;
}

/* ---- wiring --------------------------------------------------------- */

sn_err
intake_handlers_setup(sn_service *svc, void *arg)
{
	intake_handlers *h    = arg;
	sn_http         *http = sn_service_http(svc);
	sn_bus          *bus  = sn_service_bus(svc);
	sn_err           err;

	h->svc = svc;
	if ((err = sn_http_route(http, "POST", "/applications",
	         SN_HTTP_IDEMPOTENT, "clerk", on_submit, h)) != SN_OK ||
	    (err = sn_http_route(http, "GET", "/applications", 0, "clerk",
	         on_list, h)) != SN_OK ||
	    (err = sn_http_route(http, "POST", "/applications/{id}/submit",
	         SN_HTTP_IDEMPOTENT, "clerk", on_submit_draft, h)) != SN_OK ||
	    (err = sn_http_route(http, "POST", "/applications/{id}/withdraw",
	         SN_HTTP_IDEMPOTENT, "clerk", on_withdraw, h)) != SN_OK ||
	    (err = sn_http_route(http, "GET", "/applications/{id}", 0,
	         INTAKE_STAFF_ROLES, on_get, h)) != SN_OK ||
	    (err = sn_bus_on(bus, "approval", "application.decided",
	         on_decided, h)) != SN_OK ||
	    (err = sn_bus_on(bus, "approval", "beneficiary.changed",
	         on_beneficiary, h)) != SN_OK ||
	    (err = sn_bus_on(bus, "emergency", "referral.created",
	         on_referral, h)) != SN_OK)
		return err;
	return SN_OK;
}
