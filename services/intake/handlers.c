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

/*
 * The one instance of this process (sn_service_main runs one service per
 * process). A draft's submission decides what to write only once its
 * locked row is read, in a query callback that gets the request alone as
 * its argument; sn_http_tx offers no hook to free a context of our own
 * when the transaction fails by itself, so the callback reaches the
 * settings and the bus through this pointer instead of a per-request
 * allocation that could leak (as investigation does).
 */
static intake_handlers *self;

/* ---- helpers -------------------------------------------------------- */

/* Today's date on the server's clock, as yyyymmdd. */
static int
today(void)
{
	time_t    now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
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

/* The members' id numbers as a text-array literal; NULL when out of
 * memory. */
static char *
member_ids(const intake_app *app)
{
	const char *ids[INTAKE_MEMBERS_MAX];
	for (size_t i = 0; i < app->nmembers; i++)
		ids[i] = app->members[i].id_number;
	return intake_store_id_array(ids, app->nmembers);
}

/* The 409 for a person held elsewhere, from holder columns at col. */
static const char *
holder_code(const PGresult *res, int col)
{
	return strcmp(PQgetvalue(res, 0, col + 2), "open") == 0
	    ? "person_in_open_application"
	    : "person_in_beneficiary_household";
}

static void
holder_field(const PGresult *res, int col, char *field, size_t cap)
{
	long pos = strtol(PQgetvalue(res, 0, col), NULL, 10);
	snprintf(field, cap, "members[%ld].id_number", pos > 0 ? pos - 1 : 0);
}

/* ---- POST /applications --------------------------------------------- */

/* The answer to a submission (a new application, status 201, or a
 * completed draft, 200 with its referral_id) from intake_store_qoutcome. */
static void
outcome(sn_tx *tx, PGresult *res, sn_http_req *req, unsigned status)
{
	char field[48], msg[160];

	if (PQntuples(res) != 1) {
		sn_http_tx_fail(req, tx, 500, "internal",
		    "the application vanished", NULL);
		return;
	}
	if (!PQgetisnull(res, 0, 3)) {
		/* Lost a race to a concurrent submission (or the register
		 * changed since the early check). */
		holder_field(res, 3, field, sizeof(field));
		snprintf(msg, sizeof(msg),
		    "the person is already held by application %s",
		    PQgetvalue(res, 0, 4));
		sn_http_tx_fail_json(req, tx, 409,
		    json_pack("{s:{s:s, s:s, s:s, s:s}}", "error", "code",
		        holder_code(res, 3), "message", msg, "field", field,
		        "application_id", PQgetvalue(res, 0, 4)));
		return;
	}
	json_t *body = json_pack("{s:s, s:s, s:s}", "application_id",
	    PQgetvalue(res, 0, 0), "accepted_date", PQgetvalue(res, 0, 1),
	    "deadline_date", PQgetvalue(res, 0, 2));
	if (body != NULL && !PQgetisnull(res, 0, 7))
		json_object_set_new(body, "referral_id",
		    json_string(PQgetvalue(res, 0, 7)));
	sn_log(SN_LOG_INFO, "application stored; committing", "application_id",
	    PQgetvalue(res, 0, 0), "deadline_date", PQgetvalue(res, 0, 2),
	    "clerk", sn_http_principal(req)->user, NULL);
	sn_http_tx_reply(req, tx, status, body);
}

static void
submit_outcome(sn_tx *tx, PGresult *res, void *arg)
{
	outcome(tx, res, arg, 201);
}

static void
submit_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	intake_handlers    *h = arg;
	const sn_principal *p = sn_http_principal(req);
	intake_app          app;
	intake_problem      pb;
	char                id[37], accepted[11], deadline[11];
	int                 day = today();

	/* Checked before the transaction; decoded again here so that the
	 * request itself carries everything across the asynchronous steps. */
	if (!intake_codec_decode(sn_http_json(req), &app, &pb) ||
	    !intake_rules_validate(&app, day, p, &pb)) {
		sn_http_tx_fail(req, tx, pb.status, pb.code, pb.message,
		    pb.field[0] != '\0' ? pb.field : NULL);
		return;
	}
	if (!new_uuid(id)) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "no randomness for an id; retry", NULL);
		return;
	}
	intake_rules_format_date(day, accepted);
	intake_rules_format_date(
	    intake_rules_add_days(day, h->deadline_days), deadline);
	char *ids = member_ids(&app);
	if (ids == NULL) {
		sn_http_tx_fail(req, tx, 503, "unavailable", "out of memory",
		    NULL);
		return;
	}
	intake_submitted_meta meta = { .application_id = id,
		.accepted_date = accepted, .deadline_date = deadline,
		.taken_in_by = p->user };
	uint8_t *data = NULL;
	size_t   len  = 0;
	sn_err   err  = intake_codec_submitted(&app, &meta, &data, &len);
	if (err == SN_OK)
		err = intake_store_qinsert(tx, &app, id, accepted, deadline,
		    p->user);
	if (err == SN_OK)
		err = intake_store_qclaim(tx, ids, id);
	if (err == SN_OK) {
		sn_event_out ev = { .type = "application.submitted",
			.subject = id, .actor = p->user, .schema_version = 1,
			.data = data, .len = len };
		err = sn_bus_append(sn_service_bus(h->svc), tx, &ev);
	}
	if (err == SN_OK)
		err = intake_store_qoutcome(tx, ids, id, submit_outcome, req);
	free(data);
	free(ids);
	if (err != SN_OK) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the application could not be stored; retry", NULL);
		return;
	}
	char masked[SN_LOG_MASK_MAX], n[16];
	snprintf(n, sizeof(n), "%zu", app.nmembers);
	sn_log(SN_LOG_DEBUG, "application queued", "application_id", id,
	    "village_code", app.village_code, "members", n, "applicant",
	    sn_log_mask_idnum(app.members[0].id_number, masked), "clerk",
	    p->user, NULL);
}

struct precheck {
	sn_http_req     *req;
	intake_handlers *h;
	sn_http_tx_fn    begin; /* the transaction when nobody holds them */
};

/* The early check: a person already held gets the 409 with the holder's
 * ids, before any transaction (so nothing is stored). */
static void
precheck_done(sn_err err, PGresult *res, void *arg)
{
	struct precheck *pc       = arg;
	sn_http_req     *req      = pc->req;
	intake_handlers *h        = pc->h;
	sn_http_tx_fn    pc_begin = pc->begin;
	char             field[48];

	free(pc);
	if (err != SN_OK || res == NULL) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	if (PQntuples(res) == 0) {
		sn_http_tx(req, pc_begin, h);
		return;
	}
	holder_field(res, 0, field, sizeof(field));
	const char *code = holder_code(res, 0);
	const char *bid  = PQgetvalue(res, 0, 3);
	json_t     *e    = json_pack("{s:s, s:s, s:s, s:s}", "code", code,
	             "message",
	             strcmp(code, "person_in_open_application") == 0
	                 ? "the person is already in another open application"
	                 : "the person is in an active beneficiary household",
	             "field", field, "application_id", PQgetvalue(res, 0, 1));
	if (e != NULL && bid[0] != '\0')
		json_object_set_new(e, "beneficiary_id", json_string(bid));
	sn_http_reply_json(req, 409, json_pack("{s:o}", "error", e));
}

/* Validates the body, then the early check of its persons (held by
 * anyone but application except, NULL: anyone), then begin. */
static void
validate_and_precheck(sn_http_req *req, intake_handlers *h,
    const char *except, sn_http_tx_fn begin)
{
	intake_app     app;
	intake_problem pb;

	if (!intake_codec_decode(sn_http_json(req), &app, &pb) ||
	    !intake_rules_validate(&app, today(), sn_http_principal(req), &pb)) {
		reply_problem(req, &pb);
		return;
	}
	struct precheck *pc  = malloc(sizeof(*pc));
	char            *ids = member_ids(&app);
	if (pc == NULL || ids == NULL) {
		free(pc);
		free(ids);
		sn_http_reply_error(req, 503, "unavailable", "out of memory",
		    NULL);
		return;
	}
	pc->req   = req;
	pc->h     = h;
	pc->begin = begin;
	intake_store_holders(sn_service_db(h->svc), ids, except,
	    sn_http_principal(req)->user, sn_http_idempotency_key(req),
	    precheck_done, pc);
	free(ids);
}

static void
on_submit(sn_http_req *req, void *arg)
{
	validate_and_precheck(req, arg, NULL, submit_begin);
}

/* ---- POST /applications/{id}/submit (a draft) ----------------------- */

static void
draft_outcome(sn_tx *tx, PGresult *res, void *arg)
{
	outcome(tx, res, arg, 200);
}

/* The draft is locked: check it, then queue its completion, the claims,
 * application.submitted (with the referral id) and the outcome. */
static void
draft_locked(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req        *req = arg;
	intake_handlers    *h   = self;
	const sn_principal *p   = sn_http_principal(req);
	const char         *id  = sn_http_param(req, "id");
	intake_app          app;
	intake_problem      pb;
	char                accepted[11], deadline[11], msg[96];
	int                 day = today();

	if (PQntuples(res) == 0) {
		sn_http_tx_fail(req, tx, 404, "not_found",
		    "no such application", NULL);
		return;
	}
	if (!sn_auth_within(p, PQgetvalue(res, 0, 1))) {
		sn_http_tx_fail(req, tx, 403, "outside_jurisdiction",
		    "the application is outside your jurisdiction", NULL);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "draft") != 0) {
		snprintf(msg, sizeof(msg),
		    "the application is %s, not a draft",
		    PQgetvalue(res, 0, 0));
		sn_http_tx_fail(req, tx, 409, "not_draft", msg, NULL);
		return;
	}
	if (!intake_codec_decode(sn_http_json(req), &app, &pb) ||
	    !intake_rules_validate(&app, day, p, &pb)) {
		sn_http_tx_fail(req, tx, pb.status, pb.code, pb.message,
		    pb.field[0] != '\0' ? pb.field : NULL);
		return;
	}
	/* The referred person stays in the application, so that the chain
	 * grant -> referral -> application -> decision holds for them. */
	const char *referred = PQgetvalue(res, 0, 3);
	bool        found    = PQgetisnull(res, 0, 3);
	for (size_t i = 0; i < app.nmembers && !found; i++)
		found = strcmp(app.members[i].id_number, referred) == 0;
	if (!found) {
		sn_http_tx_fail(req, tx, 422, "referred_person_missing",
		    "the person the referral names must be a member",
		    "members");
		return;
	}
	/* A body without a category keeps the draft's (the referral's). */
	if (app.requested_category ==
	        SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED &&
	    !PQgetisnull(res, 0, 4) &&
	    !intake_rules_category_parse(PQgetvalue(res, 0, 4),
	        &app.requested_category))
		app.requested_category =
		    SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED;
	intake_rules_format_date(day, accepted);
	intake_rules_format_date(
	    intake_rules_add_days(day, h->deadline_days), deadline);
	char *ids = member_ids(&app);
	if (ids == NULL) {
		sn_http_tx_fail(req, tx, 503, "unavailable", "out of memory",
		    NULL);
		return;
	}
	intake_submitted_meta meta = { .application_id = id,
		.accepted_date = accepted, .deadline_date = deadline,
		.taken_in_by = p->user,
		.referral_id =
		    PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2) };
	uint8_t *data = NULL;
	size_t   len  = 0;
	sn_err   err  = intake_codec_submitted(&app, &meta, &data, &len);
	if (err == SN_OK)
		err = intake_store_qcomplete(tx, &app, id, accepted, deadline,
		    p->user);
	if (err == SN_OK)
		err = intake_store_qclaim(tx, ids, id);
	if (err == SN_OK) {
		sn_event_out ev = { .type = "application.submitted",
			.subject = id, .actor = p->user, .schema_version = 1,
			.data = data, .len = len };
		err = sn_bus_append(sn_service_bus(h->svc), tx, &ev);
	}
	if (err == SN_OK)
		err = intake_store_qoutcome(tx, ids, id, draft_outcome, req);
	free(data);
	free(ids);
	if (err != SN_OK) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the application could not be stored; retry", NULL);
		return;
	}
	sn_log(SN_LOG_INFO, "draft submitted", "application_id", id,
	    "referral_id", meta.referral_id != NULL ? meta.referral_id : "",
	    "clerk", p->user, NULL);
}

static void
draft_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	(void) arg;
	if (intake_store_qlock(tx, sn_http_param(req, "id"), draft_locked,
	        req) != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the application could not be stored; retry", NULL);
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
	/* The draft's own persons are not "held elsewhere" (a draft claims
	 * nobody, and a repeat of a submitted draft is answered 409
	 * not_draft, not "held by itself"). */
	validate_and_precheck(req, arg, id, draft_begin);
}

/* ---- GET /applications?status=draft&township= ----------------------- */

#define LIST_LIMIT_DEFAULT 200
#define LIST_LIMIT_MAX 1000

struct list_req {
	sn_http_req *req;
	long         limit;
};

static void
list_done(sn_err err, PGresult *res, void *arg)
{
	struct list_req *lr    = arg;
	sn_http_req     *req   = lr->req;
	long             limit = lr->limit;

	free(lr);
	if (err != SN_OK || res == NULL) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	json_t *list = json_array();
	int     n    = PQntuples(res);
	for (int i = 0; i < n && i < limit && list != NULL; i++) {
		json_t *app = json_loads(PQgetvalue(res, i, 0), 0, NULL);
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
	    json_pack("{s:o, s:b}", "applications", list, "truncated",
	        n > limit));
}

static void
on_list(sn_http_req *req, void *arg)
{
	intake_handlers *h        = arg;
	const char      *status   = sn_http_query(req, "status");
	const char      *township = sn_http_query(req, "township");
	const char      *lim      = sn_http_query(req, "limit");
	long             limit    = LIST_LIMIT_DEFAULT;
	char             limit_s[16];

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
	struct list_req *lr = malloc(sizeof(*lr));
	if (lr == NULL) {
		sn_http_reply_error(req, 503, "unavailable", "out of memory",
		    NULL);
		return;
	}
	lr->req   = req;
	lr->limit = limit;
	snprintf(limit_s, sizeof(limit_s), "%ld", limit);
	intake_store_drafts(sn_service_db(h->svc), township, limit_s,
	    list_done, lr);
}

/* ---- POST /applications/{id}/withdraw ------------------------------- */

static void
withdraw_locked(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;

	if (PQntuples(res) == 0) {
		sn_http_tx_fail(req, tx, 404, "not_found",
		    "no such application", NULL);
		return;
	}
	if (!sn_auth_within(sn_http_principal(req), PQgetvalue(res, 0, 1))) {
		sn_http_tx_fail(req, tx, 403, "outside_jurisdiction",
		    "the application is outside your jurisdiction", NULL);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "open") != 0) {
		char msg[96];
		snprintf(msg, sizeof(msg), "the application is %s, not open",
		    PQgetvalue(res, 0, 0));
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
	intake_handlers    *h   = arg;
	const sn_principal *p   = sn_http_principal(req);
	const char         *id  = sn_http_param(req, "id");
	const char         *why = json_string_value(
	            json_object_get(sn_http_json(req), "reason"));
	uint8_t            *data = NULL;
	size_t              len  = 0;

	/* The change and its event are queued behind the lock and undone
	 * by the rollback when the locked row says no: the answer then
	 * needs nothing but the request. */
	sn_err err = intake_store_qlock(tx, id, withdraw_locked, req);
	if (err == SN_OK)
		err = intake_store_qwithdraw(tx, id, why, p->user);
	if (err == SN_OK)
		err = intake_codec_withdrawn(id, why, p->user, &data, &len);
	if (err == SN_OK) {
		sn_event_out ev = { .type = "application.withdrawn",
			.subject = id, .actor = p->user, .schema_version = 1,
			.data = data, .len = len };
		err = sn_bus_append(sn_service_bus(h->svc), tx, &ev);
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
	intake_handlers *h   = arg;
	const char      *id  = sn_http_param(req, "id");
	json_t          *b   = sn_http_json(req);
	const char      *why = json_string_value(json_object_get(b, "reason"));

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
	sn_http_tx(req, withdraw_begin, h);
}

/* ---- GET /applications/{id} ----------------------------------------- */

static void
get_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;

	if (err != SN_OK || res == NULL) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	if (PQntuples(res) == 0) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such application", NULL);
		return;
	}
	if (!sn_auth_within(sn_http_principal(req), PQgetvalue(res, 0, 1))) {
		sn_http_reply_error(req, 403, "outside_jurisdiction",
		    "the application is outside your jurisdiction", NULL);
		return;
	}
	json_t *body = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
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
	intake_store_get(sn_service_db(h->svc), id, get_done, req);
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
	const char                         *status = NULL;
	const char                        **ids    = NULL;
	size_t                              n      = 0;
	char                               *list   = NULL;
	sn_err                              err    = SN_EPROTO;

	(void) arg;
	b = sn__assist__v1__beneficiary_changed__unpack(NULL, ev->len,
	    ev->data);
	if (b == NULL)
		return SN_EPROTO;
	switch (b->status) {
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE:
		status = "active";
		break;
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_GRADUAL_EXIT:
		status = "gradual_exit";
		break;
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED:
		break;
	default:
		goto out;
	}
	if (b->beneficiary_id[0] == '\0' || strlen(b->beneficiary_id) > 64 ||
	    (b->application_id[0] != '\0' &&
	        !intake_rules_uuid_valid(b->application_id)))
		goto out;
	ids = calloc(b->n_member_id_numbers + 1, sizeof(*ids));
	if (ids == NULL) {
		err = SN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < b->n_member_id_numbers; i++) {
		if (!sn_idnum_valid(b->member_id_numbers[i]))
			goto out;
		ids[n++] = b->member_id_numbers[i];
	}
	if (b->head_id_number[0] != '\0') {
		bool seen = false;
		if (!sn_idnum_valid(b->head_id_number))
			goto out;
		for (size_t i = 0; i < n; i++)
			seen = seen || strcmp(ids[i], b->head_id_number) == 0;
		if (!seen)
			ids[n++] = b->head_id_number;
	}
	if (n > 0 && (list = intake_store_id_array(ids, n)) == NULL) {
		err = SN_ENOMEM;
		goto out;
	}
	err = intake_store_qbeneficiary(tx, b->beneficiary_id,
	    b->application_id, status, list);
	sn_log(SN_LOG_INFO, "beneficiary household changed", "beneficiary_id",
	    b->beneficiary_id, "application_id", b->application_id, "status",
	    status != NULL ? status : "exited", NULL);
out:
	free(list);
	free(ids);
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
	switch (intake_rules_referral(r, today(), &d, &why)) {
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
	self   = h;
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
