/*
 * handlers.c - HTTP requests and events into the emergency service; see
 * handlers.h.
 */
#include "handlers.h"
#include "sn/assist.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "rules.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/auth.h"
#include "sn/idnum.h"
#include "sn/log.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "store.h"

#define OFFICER "emergency_officer"
#define FINANCE "finance"
#define APPROVER "district_officer"
#define READERS "emergency_officer,district_officer,district_admin,finance"
#define CHAIN_READERS "emergency_officer,district_officer,district_admin"
#define LIST_LIMIT_DEFAULT 200
#define LIST_LIMIT_MAX 1000

/*
 * The one instance of this process (sn_service_main runs one service per
 * process). Transaction callbacks get only the request as their argument:
 * sn_http_tx has no hook to free a context of ours when the transaction
 * fails by itself, so everything a continuation needs is read again from
 * the request (its body does not change) or from the row it is given,
 * and the bus and the counters are reached through this pointer.
 */
static emergency *self;

static const char *const status_names[EMERGENCY_NSTATUS] = {
	"awaiting_approval", "granted", "rejected", "paid", "payment_failed"
};

/* ---- small helpers ----------------------------------------------------- */

static bool
problem(emergency_problem *why, unsigned status, const char *code,
    const char *message, const char *field)
{
	why->status  = status;
	why->code    = code;
	why->message = message;
	snprintf(why->field, sizeof(why->field), "%s", field ? field : "");
	return false;
}

static void
reply_problem(sn_http_req *req, const emergency_problem *why)
{
	sn_http_reply_error(req, why->status, why->code, why->message,
	    why->field[0] != '\0' ? why->field : NULL);
}

static void
fail_problem(sn_http_req *req, sn_tx *tx, const emergency_problem *why)
{
	sn_http_tx_fail(req, tx, why->status, why->code, why->message,
	    why->field[0] != '\0' ? why->field : NULL);
}

/* Answers 503 for a statement that could not be queued, unless the
 * transaction has failed already (the module answers for it then). */
static void
fail_unavailable(sn_http_req *req, sn_tx *tx, const char *what)
{
	if (!sn_tx_failed(tx))
		sn_http_tx_fail(req, tx, 503, "unavailable", what, NULL);
}

/* 0: absent; 1: a string (*out); -1: not a string, or holds a NUL. */
static int
opt_str(json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);
	*out      = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)
	    || strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	*out = json_string_value(v);
	return 1;
}

/* 0: absent; 1: an integer (*out); -1: anything else. */
static int
opt_int(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);
	*out      = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return -1;
	*out = (int64_t) json_integer_value(v);
	return 1;
}

/* Refuses members of o not in keys (NULL-ended). */
static bool
only_keys(json_t *o, const char *const *keys, const char *prefix,
    emergency_problem *why)
{
	const char *k;
	json_t     *v;
	json_object_foreach(o, k, v)
	{
		bool known = false;
		for (size_t i = 0; keys[i] != NULL && !known; i++)
			known = strcmp(k, keys[i]) == 0;
		if (!known) {
			problem(why, 422, "unknown_field", "no such field",
			    NULL);
			snprintf(why->field, sizeof(why->field), "%s%.40s",
			    prefix, k);
			return false;
		}
	}
	return true;
}

static bool
str_field(json_t *o, const char *key, const char *field, const char **out,
    emergency_problem *why)
{
	if (opt_str(o, key, out) < 0)
		return problem(why, 422, "invalid_type",
		    "this field must be a string", field);
	return true;
}

static bool
int_field(json_t *o, const char *key, int64_t *out, emergency_problem *why)
{
	if (opt_int(o, key, out) < 0)
		return problem(why, 422, "invalid_type",
		    "this field must be a whole number", key);
	return true;
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
count_outcome(void *arg)
{
	sn_counter_add(arg, 1);
}

static void
on_commit_count(sn_tx *tx, enum emergency_outcome o)
{
	/* At most one per transaction here; a failure only loses a count. */
	(void) sn_tx_on_commit(tx, count_outcome, self->outcomes[o]);
}

/* ---- events out -------------------------------------------------------- */

static sn_err
append_msg(sn_tx *tx, const char *type, const char *subject,
    const char *actor, const ProtobufCMessage *m)
{
	size_t   len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return SN_ENOMEM;
	protobuf_c_message_pack(m, buf);
	sn_event_out ev  = { .type = type,
		 .subject            = subject,
		 .actor              = actor,
		 .schema_version     = 1,
		 .data               = buf,
		 .len                = len };
	sn_err       err = sn_bus_append(sn_service_bus(self->svc), tx, &ev);
	free(buf);
	return err;
}

static sn_err
append_reserve(sn_tx *tx, const char *township,
    Sn__Assist__V1__ReserveMovement movement, int64_t amount,
    int64_t balance, const char *ledger_id, const char *grant_id,
    const char *actor)
{
	Sn__Assist__V1__ReserveChanged m = SN__ASSIST__V1__RESERVE_CHANGED__INIT;
	m.township_code                  = (char *) township;
	m.movement                       = movement;
	m.amount_fen                     = amount;
	m.balance_fen                    = balance;
	m.ledger_entry_id                = (char *) ledger_id;
	m.grant_id                       = (char *) (grant_id ? grant_id : "");
	m.actor                          = (char *) actor;
	return append_msg(tx, "reserve.changed", township, actor, &m.base);
}

static Sn__Assist__V1__EmergencyCause
cause_proto(const char *name)
{
	emergency_cause c = EMERGENCY_CAUSE_NONE;
	(void) emergency_rules_cause_parse(name, &c);
	switch (c) {
	case EMERGENCY_CAUSE_ACCIDENT:
		return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_ACCIDENT;
	case EMERGENCY_CAUSE_MAJOR_ILLNESS:
		return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_MAJOR_ILLNESS;
	case EMERGENCY_CAUSE_DISASTER:
		return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_DISASTER;
	case EMERGENCY_CAUSE_FIRE:
		return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_FIRE;
	case EMERGENCY_CAUSE_OTHER:
		return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_OTHER;
	case EMERGENCY_CAUSE_NONE:
		break;
	}
	return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_UNSPECIFIED;
}

static Sn__Assist__V1__ReferralKind
kind_proto(emergency_referral_kind k)
{
	switch (k) {
	case EMERGENCY_REFERRAL_MEDICAL:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL;
	case EMERGENCY_REFERRAL_HOUSING:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_HOUSING;
	case EMERGENCY_REFERRAL_EDUCATION:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_EDUCATION;
	case EMERGENCY_REFERRAL_EMPLOYMENT:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_EMPLOYMENT;
	case EMERGENCY_REFERRAL_DIBAO:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO;
	case EMERGENCY_REFERRAL_TEKUN:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_TEKUN;
	case EMERGENCY_REFERRAL_NONE:
		break;
	}
	return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_UNSPECIFIED;
}

static char *
doc_str(json_t *doc, const char *a, const char *b)
{
	json_t *v = json_object_get(doc, a);
	if (b != NULL)
		v = json_object_get(v, b);
	const char *s = json_string_value(v);
	return (char *) (s != NULL ? s : "");
}

/* emergency.granted from the grant as grant_json renders it. */
static sn_err
append_granted(sn_tx *tx, json_t *doc, const char *actor)
{
	Sn__Assist__V1__EmergencyGranted m
	    = SN__ASSIST__V1__EMERGENCY_GRANTED__INIT;
	Sn__Assist__V1__PayeeAccount pa = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	m.grant_id                      = doc_str(doc, "id", NULL);
	m.township_code                 = doc_str(doc, "township_code", NULL);
	m.village_code                  = doc_str(doc, "village_code", NULL);
	m.id_number                     = doc_str(doc, "person", "id_number");
	m.name                          = doc_str(doc, "person", "name");
	m.cause = cause_proto(doc_str(doc, "cause", NULL));
	m.description = doc_str(doc, "description", NULL);
	m.household_size
	    = (int32_t) json_integer_value(json_object_get(doc, "household_size"));
	m.amount_fen
	    = (int64_t) json_integer_value(json_object_get(doc, "amount_fen"));
	pa.bank_code      = doc_str(doc, "payee", "bank_code");
	pa.account_number = doc_str(doc, "payee", "account_number");
	pa.account_name   = doc_str(doc, "payee", "account_name");
	m.payee           = &pa;
	m.granted_by      = doc_str(doc, "granted_by", NULL);
	m.approved_by     = doc_str(doc, "approved_by", NULL);
	m.granted_at      = doc_str(doc, "granted_at", NULL);
	return append_msg(tx, "emergency.granted", m.grant_id, actor, &m.base);
}

/* ---- POST /funds/{township}/allocations --------------------------------- */

static bool
decode_allocation(sn_http_req *req, int64_t *amount, const char **note,
    emergency_problem *why)
{
	static const char *const keys[] = { "amount_fen", "note", NULL };
	json_t                  *b      = sn_http_json(req);
	if (!json_is_object(b))
		return problem(why, 422, "invalid_type",
		    "the body is a JSON object", NULL);
	if (!only_keys(b, keys, "", why) || !int_field(b, "amount_fen", amount, why)
	    || !str_field(b, "note", "note", note, why))
		return false;
	if (*note != NULL && strlen(*note) > EMERGENCY_NOTE_MAX)
		return problem(why, 422, "invalid_note",
		    "note is at most 500 bytes", "note");
	return emergency_rules_allocation_check(sn_http_principal(req),
	    sn_http_param(req, "township"), *amount, why);
}

static void
allocate_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req        *req      = arg;
	const sn_principal *p        = sn_http_principal(req);
	const char         *township = sn_http_param(req, "township");
	int64_t             amount   = 0;
	const char         *note     = NULL;
	emergency_problem   why;

	if (PQntuples(res) != 1 || !decode_allocation(req, &amount, &note, &why)) {
		sn_http_tx_fail(req, tx, 500, "internal",
		    "the allocation was not recorded", NULL);
		return;
	}
	int64_t balance = sn_db_i64(res, 0, 1);
	if (append_reserve(tx, township,
	        SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_ALLOCATION,
	        amount, balance, PQgetvalue(res, 0, 0), NULL, p->user)
	    != SN_OK) {
		fail_unavailable(req, tx, "the allocation could not be stored");
		return;
	}
	on_commit_count(tx, EMERGENCY_OUT_ALLOCATED);
	sn_http_tx_reply(req, tx, 201,
	    json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "ledger_entry_id",
	        PQgetvalue(res, 0, 0), "township_code", township, "movement",
	        "allocation", "amount_fen", (json_int_t) amount, "balance_fen",
	        (json_int_t) balance, "created_at", PQgetvalue(res, 0, 2)));
}

static void
allocate_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	int64_t           amount;
	const char       *note;
	emergency_problem why;
	(void) arg;
	if (!decode_allocation(req, &amount, &note, &why)) {
		fail_problem(req, tx, &why);
		return;
	}
	if (emergency_store_allocate(tx, sn_http_param(req, "township"), amount,
	        note, sn_http_principal(req)->user, allocate_done, req)
	    != SN_OK)
		fail_unavailable(req, tx, "the allocation could not be stored");
}

static void
on_allocate(sn_http_req *req, void *arg)
{
	int64_t           amount;
	const char       *note;
	emergency_problem why;
	if (!decode_allocation(req, &amount, &note, &why)) {
		reply_problem(req, &why);
		return;
	}
	sn_http_tx(req, allocate_begin, arg);
}

/* ---- POST /grants ------------------------------------------------------- */

static bool
decode_grant(json_t *b, emergency_grant_req *r, emergency_problem *why)
{
	static const char *const keys[] = { "township_code", "village_code",
		"person", "cause", "description", "household_size",
		"amount_fen", "payee", NULL };
	static const char *const pkeys[] = { "id_number", "name", NULL };
	static const char *const ykeys[] = { "bank_code", "account_number",
		"account_name", NULL };
	memset(r, 0, sizeof(*r));
	if (!json_is_object(b))
		return problem(why, 422, "invalid_type",
		    "the body is a JSON object", NULL);
	json_t *person = json_object_get(b, "person");
	json_t *payee  = json_object_get(b, "payee");
	if (person != NULL && !json_is_object(person))
		return problem(why, 422, "invalid_type",
		    "person is an object {id_number, name}", "person");
	if (payee != NULL && !json_is_object(payee))
		return problem(why, 422, "invalid_type",
		    "payee is an object {bank_code, account_number, "
		    "account_name}",
		    "payee");
	return only_keys(b, keys, "", why)
	    && (person == NULL || only_keys(person, pkeys, "person.", why))
	    && (payee == NULL || only_keys(payee, ykeys, "payee.", why))
	    && str_field(b, "township_code", "township_code", &r->township_code,
	        why)
	    && str_field(b, "village_code", "village_code", &r->village_code, why)
	    && str_field(person, "id_number", "person.id_number", &r->id_number,
	        why)
	    && str_field(person, "name", "person.name", &r->name, why)
	    && str_field(b, "cause", "cause", &r->cause, why)
	    && str_field(b, "description", "description", &r->description, why)
	    && int_field(b, "household_size", &r->household_size, why)
	    && int_field(b, "amount_fen", &r->amount_fen, why)
	    && str_field(payee, "bank_code", "payee.bank_code", &r->bank_code,
	        why)
	    && str_field(payee, "account_number", "payee.account_number",
	        &r->account_number, why)
	    && str_field(payee, "account_name", "payee.account_name",
	        &r->account_name, why);
}

/* The request's class; INVALID with why filled. */
static emergency_class
grant_class(sn_http_req *req, emergency_grant_req *r, emergency_problem *why)
{
	if (!decode_grant(sn_http_json(req), r, why))
		return EMERGENCY_INVALID;
	return emergency_rules_classify(
	    r, sn_http_principal(req), self->cfg.grant_limit_fen, why);
}

static void
insufficient_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	char         msg[200], b[SN_FEN_FMT_MAX], a[SN_FEN_FMT_MAX];
	if (PQntuples(res) != 1) {
		sn_http_tx_fail(
		    req, tx, 404, "not_found", "no such grant", NULL);
		return;
	}
	bool    nofund  = PQgetisnull(res, 0, 0);
	int64_t balance = nofund ? 0 : sn_db_i64(res, 0, 0);
	int64_t amount  = sn_db_i64(res, 0, 1);
	if (nofund)
		snprintf(msg, sizeof(msg),
		    "the township has no reserve fund yet; %s yuan cannot be "
		    "granted",
		    sn_fen_format(amount, a));
	else
		snprintf(msg, sizeof(msg),
		    "the reserve fund's balance, %s yuan, does not cover "
		    "%s yuan",
		    sn_fen_format(balance, b), sn_fen_format(amount, a));
	sn_counter_add(self->outcomes[EMERGENCY_OUT_INSUFFICIENT], 1);
	const char *field
	    = strcmp(sn_http_route_pattern(req), "/grants") == 0 ? "amount_fen"
	                                                         : NULL;
	sn_http_tx_fail_json(req, tx, 409,
	    json_pack("{s:{s:s, s:s, s:s?, s:I, s:I}}", "error", "code",
	        "insufficient_funds", "message", msg, "field", field,
	        "balance_fen", (json_int_t) balance, "amount_fen",
	        (json_int_t) amount));
}

/*
 * A debit went through: row (grant_id, balance_after_fen,
 * ledger_entry_id, grant_json). Publishes emergency.granted and
 * reserve.changed and answers status with the grant.
 */
static void
granted(sn_http_req *req, sn_tx *tx, PGresult *res, unsigned status,
    enum emergency_outcome outcome)
{
	const char *actor   = sn_http_principal(req)->user;
	const char *gid     = PQgetvalue(res, 0, 0);
	int64_t     balance = sn_db_i64(res, 0, 1);
	const char *lid     = PQgetvalue(res, 0, 2);
	json_t     *doc     = json_loads(PQgetvalue(res, 0, 3), 0, NULL);
	if (doc == NULL) {
		sn_http_tx_fail(req, tx, 500, "internal",
		    "the grant could not be read back", NULL);
		return;
	}
	int64_t amount
	    = (int64_t) json_integer_value(json_object_get(doc, "amount_fen"));
	if (append_granted(tx, doc, actor) != SN_OK
	    || append_reserve(tx, doc_str(doc, "township_code", NULL),
	           SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_GRANT,
	           -amount, balance, lid, gid, actor)
	        != SN_OK) {
		json_decref(doc);
		fail_unavailable(req, tx, "the grant could not be stored; retry");
		return;
	}
	on_commit_count(tx, outcome);
	json_object_set_new(doc, "balance_fen", json_integer(balance));
	json_object_set_new(doc, "ledger_entry_id", json_string(lid));
	sn_http_tx_reply(req, tx, status, doc);
}

static void
grant_now_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req        *req = arg;
	emergency_grant_req r;
	emergency_problem   why;
	if (PQntuples(res) == 1) {
		granted(req, tx, res, 201, EMERGENCY_OUT_GRANTED);
		return;
	}
	/* The fund is missing or short and nothing was written: read the
	 * balance now for the refusal. */
	(void) grant_class(req, &r, &why);
	if (emergency_store_balance(
	        tx, r.township_code, r.amount_fen, insufficient_done, req)
	    != SN_OK)
		fail_unavailable(req, tx, "the fund could not be read; retry");
}

static void
grant_awaiting_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *doc = PQntuples(res) == 1
	         ? json_loads(PQgetvalue(res, 0, 1), 0, NULL)
	         : NULL;
	if (doc == NULL) {
		sn_http_tx_fail(req, tx, 500, "internal",
		    "the grant could not be read back", NULL);
		return;
	}
	on_commit_count(tx, EMERGENCY_OUT_AWAITING);
	sn_http_tx_reply(req, tx, 202, doc);
}

static void
grant_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	emergency_grant_req r;
	emergency_problem   why;
	emergency_class     cls = grant_class(req, &r, &why);
	(void) arg;
	if (cls == EMERGENCY_INVALID) {
		fail_problem(req, tx, &why);
		return;
	}
	emergency_new_grant g = { .township_code = r.township_code,
		.village_code                    = r.village_code,
		.id_number                       = r.id_number,
		.name                            = r.name,
		.cause                           = r.cause,
		.description                     = r.description,
		.household_size                  = r.household_size,
		.amount_fen                      = r.amount_fen,
		.bank_code                       = r.bank_code,
		.account_number                  = r.account_number,
		.account_name                    = r.account_name,
		.granted_by = sn_http_principal(req)->user };
	sn_err err = cls == EMERGENCY_AT_ONCE
	    ? emergency_store_grant_now(tx, &g, grant_now_done, req)
	    : emergency_store_grant_awaiting(tx, &g, grant_awaiting_done, req);
	if (err != SN_OK)
		fail_unavailable(req, tx, "the grant could not be stored; retry");
}

static void
on_grant(sn_http_req *req, void *arg)
{
	emergency_grant_req r;
	emergency_problem   why;
	if (grant_class(req, &r, &why) == EMERGENCY_INVALID) {
		reply_problem(req, &why);
		return;
	}
	sn_http_tx(req, grant_begin, arg);
}

/* ---- POST /grants/{id}/approval ----------------------------------------- */

static bool
decode_decision(sn_http_req *req, bool *approve, const char **reason,
    emergency_problem *why)
{
	static const char *const keys[] = { "decision", "reason", NULL };
	json_t                  *b      = sn_http_json(req);
	const char              *decision;
	if (!json_is_object(b))
		return problem(why, 422, "invalid_type",
		    "the body is a JSON object", NULL);
	return only_keys(b, keys, "", why)
	    && str_field(b, "decision", "decision", &decision, why)
	    && str_field(b, "reason", "reason", reason, why)
	    && emergency_rules_decision_check(decision, *reason, approve, why);
}

static void
approve_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	if (PQntuples(res) == 1) {
		granted(req, tx, res, 200, EMERGENCY_OUT_APPROVED);
		return;
	}
	if (emergency_store_grant_balance(
	        tx, sn_http_param(req, "id"), insufficient_done, req)
	    != SN_OK)
		fail_unavailable(req, tx, "the fund could not be read; retry");
}

static void
reject_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *doc = PQntuples(res) == 1
	         ? json_loads(PQgetvalue(res, 0, 0), 0, NULL)
	         : NULL;
	if (doc == NULL) {
		sn_http_tx_fail(req, tx, 409, "not_awaiting_approval",
		    "the grant is not waiting for approval", NULL);
		return;
	}
	on_commit_count(tx, EMERGENCY_OUT_REJECTED);
	sn_http_tx_reply(req, tx, 200, doc);
}

static void
approval_locked(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req        *req = arg;
	const sn_principal *p   = sn_http_principal(req);
	const char         *id  = sn_http_param(req, "id");
	emergency_problem   why;
	bool                approve;
	const char         *reason;
	sn_err              err;

	if (PQntuples(res) != 1) {
		sn_http_tx_fail(req, tx, 404, "not_found", "no such grant", "id");
		return;
	}
	const char *status   = PQgetvalue(res, 0, 0);
	const char *township = PQgetvalue(res, 0, 1);
	if (!emergency_rules_approver_check(p, township, PQgetvalue(res, 0, 3),
	        PQgetvalue(res, 0, 4), &why)) {
		fail_problem(req, tx, &why);
		return;
	}
	if (strcmp(status, "awaiting_approval") != 0) {
		char msg[96];
		snprintf(msg, sizeof(msg),
		    "the grant is %s, not waiting for approval", status);
		sn_http_tx_fail(
		    req, tx, 409, "not_awaiting_approval", msg, NULL);
		return;
	}
	if (!decode_decision(req, &approve, &reason, &why)) {
		fail_problem(req, tx, &why);
		return;
	}
	if (approve)
		err = emergency_store_approve(tx, id, township,
		    sn_db_i64(res, 0, 7), p->user, reason, approve_done, req);
	else
		err = emergency_store_reject(
		    tx, id, p->user, reason, reject_done, req);
	if (err != SN_OK)
		fail_unavailable(req, tx, "the decision could not be stored");
}

static void
approval_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	(void) arg;
	if (emergency_store_lock_grant(
	        tx, sn_http_param(req, "id"), approval_locked, req)
	    != SN_OK)
		fail_unavailable(req, tx, "the grant could not be read; retry");
}

static void
on_approval(sn_http_req *req, void *arg)
{
	bool              approve;
	const char       *reason;
	emergency_problem why;
	if (!emergency_rules_uuid_valid(sn_http_param(req, "id"))) {
		sn_http_reply_error(req, 404, "not_found", "no such grant", "id");
		return;
	}
	if (!decode_decision(req, &approve, &reason, &why)) {
		reply_problem(req, &why);
		return;
	}
	sn_http_tx(req, approval_begin, arg);
}

/* ---- POST /grants/{id}/referrals ---------------------------------------- */

static bool
decode_referral(sn_http_req *req, emergency_referral_kind *kind,
    const char **kind_s, const char **department, const char **note,
    emergency_problem *why)
{
	static const char *const keys[] = { "kind", "department", "note",
		NULL };
	json_t                  *b      = sn_http_json(req);
	if (!json_is_object(b))
		return problem(why, 422, "invalid_type",
		    "the body is a JSON object", NULL);
	return only_keys(b, keys, "", why)
	    && str_field(b, "kind", "kind", kind_s, why)
	    && str_field(b, "department", "department", department, why)
	    && str_field(b, "note", "note", note, why)
	    && emergency_rules_referral_check(
	        *kind_s, *department, *note, kind, why);
}

static void
referral_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req            *req = arg;
	emergency_referral_kind kind;
	const char             *kind_s, *dept, *note;
	emergency_problem       why;
	if (PQntuples(res) != 1) {
		sn_http_tx_fail(req, tx, 409, "referral_exists",
		    "this grant already has a referral of that kind", "kind");
		return;
	}
	(void) decode_referral(req, &kind, &kind_s, &dept, &note, &why);
	on_commit_count(tx, EMERGENCY_OUT_REFERRED);
	sn_http_tx_reply(req, tx, 201,
	    json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s}", "id",
	        PQgetvalue(res, 0, 0), "grant_id", sn_http_param(req, "id"),
	        "kind", kind_s, "department", dept, "note", note, "created_by",
	        sn_http_principal(req)->user, "created_at",
	        PQgetvalue(res, 0, 1)));
}

static void
referral_locked(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req            *req = arg;
	const sn_principal     *p   = sn_http_principal(req);
	const char             *gid = sn_http_param(req, "id");
	emergency_referral_kind kind;
	const char             *kind_s, *dept, *note;
	emergency_problem       why;
	char                    rid[37], district[7];

	if (PQntuples(res) != 1) {
		sn_http_tx_fail(req, tx, 404, "not_found", "no such grant", "id");
		return;
	}
	const char *township = PQgetvalue(res, 0, 1);
	if (!sn_auth_within(p, township)) {
		sn_http_tx_fail(req, tx, 403, "outside_jurisdiction",
		    "the grant's township is outside your jurisdiction", "id");
		return;
	}
	if (!decode_referral(req, &kind, &kind_s, &dept, &note, &why)) {
		fail_problem(req, tx, &why);
		return;
	}
	if (!new_uuid(rid)) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "no randomness for an id; retry", NULL);
		return;
	}
	snprintf(district, sizeof(district), "%.6s", township);
	Sn__Assist__V1__PayeeAccount pa = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	pa.bank_code                    = PQgetvalue(res, 0, 8);
	pa.account_number               = PQgetvalue(res, 0, 9);
	pa.account_name                 = PQgetvalue(res, 0, 10);
	Sn__Assist__V1__ReferralCreated m
	    = SN__ASSIST__V1__REFERRAL_CREATED__INIT;
	m.referral_id    = rid;
	m.grant_id       = (char *) gid;
	m.kind           = kind_proto(kind);
	m.department     = (char *) (dept != NULL ? dept : "");
	m.id_number      = PQgetvalue(res, 0, 4);
	m.name           = PQgetvalue(res, 0, 5);
	m.district_code  = district;
	m.township_code  = (char *) township;
	m.village_code   = PQgetvalue(res, 0, 2);
	m.household_size = (int32_t) sn_db_i64(res, 0, 6);
	m.payee          = &pa;
	m.note           = (char *) (note != NULL ? note : "");
	m.created_by     = (char *) p->user;
	/* The event is queued behind the insert; a referral that exists
	 * already fails the transaction, and the rollback takes it back. */
	if (emergency_store_referral(tx, rid, gid, kind_s, dept, note, p->user,
	        referral_done, req)
	        != SN_OK
	    || append_msg(tx, "referral.created", gid, p->user, &m.base)
	        != SN_OK)
		fail_unavailable(req, tx, "the referral could not be stored");
}

static void
referral_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	(void) arg;
	if (emergency_store_lock_grant(
	        tx, sn_http_param(req, "id"), referral_locked, req)
	    != SN_OK)
		fail_unavailable(req, tx, "the grant could not be read; retry");
}

static void
on_referral(sn_http_req *req, void *arg)
{
	emergency_referral_kind kind;
	const char             *kind_s, *dept, *note;
	emergency_problem       why;
	if (!emergency_rules_uuid_valid(sn_http_param(req, "id"))) {
		sn_http_reply_error(req, 404, "not_found", "no such grant", "id");
		return;
	}
	if (!decode_referral(req, &kind, &kind_s, &dept, &note, &why)) {
		reply_problem(req, &why);
		return;
	}
	sn_http_tx(req, referral_begin, arg);
}

/* ---- POST /funds/{township}/settlement ---------------------------------- */

static bool
decode_settlement(sn_http_req *req, int *year, emergency_problem *why)
{
	static const char *const keys[] = { "year", NULL };
	json_t                  *b      = sn_http_json(req);
	int64_t                  y;
	const sn_principal      *p        = sn_http_principal(req);
	const char              *township = sn_http_param(req, "township");
	if (!emergency_rules_township_valid(township))
		return problem(why, 422, "invalid_code",
		    "the township is a 9-digit division code", "township");
	if (strlen(p->juris) != 6 || !sn_auth_within(p, township))
		return problem(why, 403, "outside_jurisdiction",
		    "a fund is settled by the district covering the township",
		    "township");
	if (!json_is_object(b))
		return problem(why, 422, "invalid_type",
		    "the body is a JSON object", NULL);
	if (!only_keys(b, keys, "", why) || !int_field(b, "year", &y, why))
		return false;
	if (!emergency_rules_year_valid(y, this_year()))
		return problem(why, 422, "invalid_year",
		    "year is a whole number from 2000 to this year", "year");
	*year = (int) y;
	return true;
}

static void
settled_already(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *rep = PQntuples(res) == 1
	         ? json_loads(PQgetvalue(res, 0, 0), 0, NULL)
	         : json_null();
	sn_http_tx_fail_json(req, tx, 409,
	    json_pack("{s:{s:s, s:s, s:s, s:o}}", "error", "code",
	        "already_settled", "message",
	        "the fund is settled for that year already", "field", "year",
	        "settlement", rep != NULL ? rep : json_null()));
}

static void
settle_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req        *req      = arg;
	const char         *township = sn_http_param(req, "township");
	const sn_principal *p        = sn_http_principal(req);
	emergency_problem   why;
	int                 year = 0;
	(void) decode_settlement(req, &year, &why);
	if (PQntuples(res) != 1) {
		if (emergency_store_settlement(
		        tx, township, year, settled_already, req)
		    != SN_OK)
			fail_unavailable(req, tx, "the settlement could not be read");
		return;
	}
	json_t *rep = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (rep == NULL) {
		sn_http_tx_fail(req, tx, 500, "internal",
		    "the settlement could not be read back", NULL);
		return;
	}
	if (append_reserve(tx, township,
	        SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_SETTLEMENT, 0,
	        sn_db_i64(res, 0, 2), PQgetvalue(res, 0, 1), NULL, p->user)
	    != SN_OK) {
		json_decref(rep);
		fail_unavailable(req, tx, "the settlement could not be stored");
		return;
	}
	on_commit_count(tx, EMERGENCY_OUT_SETTLED);
	sn_http_tx_reply(req, tx, 201, rep);
}

static void
settle_locked(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req      *req = arg;
	emergency_problem why;
	int               year = 0;
	if (PQntuples(res) != 1) {
		sn_http_tx_fail(req, tx, 404, "no_fund",
		    "the township has no reserve fund", "township");
		return;
	}
	if (!decode_settlement(req, &year, &why)) {
		fail_problem(req, tx, &why);
		return;
	}
	if (emergency_store_settle(tx, sn_http_param(req, "township"), year,
	        self->cfg.utc_offset_min, sn_http_principal(req)->user,
	        settle_done, req)
	    != SN_OK)
		fail_unavailable(req, tx, "the settlement could not be stored");
}

static void
settle_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	(void) arg;
	if (emergency_store_lock_fund(
	        tx, sn_http_param(req, "township"), settle_locked, req)
	    != SN_OK)
		fail_unavailable(req, tx, "the fund could not be read; retry");
}

static void
on_settle(sn_http_req *req, void *arg)
{
	int               year;
	emergency_problem why;
	if (!decode_settlement(req, &year, &why)) {
		reply_problem(req, &why);
		return;
	}
	sn_http_tx(req, settle_begin, arg);
}

/* ---- GETs --------------------------------------------------------------- */

/* A read answered as {key: <JSON of column 0>} plus extras. */
static json_t *
first_json(sn_http_req *req, sn_err err, PGresult *res)
{
	json_t *j = NULL;
	if (err != SN_OK || res == NULL || PQntuples(res) != 1) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database could not be read; retry", NULL);
		return NULL;
	}
	j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (j == NULL)
		sn_http_reply_error(req, 500, "internal", "bad document", NULL);
	return j;
}

/* The caller's jurisdiction, narrowed by ?township= (or ?code=) when
 * given; NULL after answering 4xx. */
static const char *
scope(sn_http_req *req, const char *param)
{
	const sn_principal *p    = sn_http_principal(req);
	const char         *code = sn_http_query(req, param);
	if (code == NULL)
		return p->juris;
	if (!sn_auth_juris_valid(code)) {
		sn_http_reply_error(req, 422, "invalid_code",
		    "a division code of 6, 9 or 12 digits", param);
		return NULL;
	}
	if (!sn_auth_within(p, code)) {
		sn_http_reply_error(req, 403, "outside_jurisdiction",
		    "that code is outside your jurisdiction", param);
		return NULL;
	}
	return code;
}

static void
list_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *j   = first_json(req, err, res);
	if (j == NULL)
		return;
	sn_http_reply_json(req, 200,
	    json_pack("{s:o, s:b}", "grants", j, "truncated",
	        PQgetvalue(res, 0, 1)[0] == 't'));
}

static void
on_list(sn_http_req *req, void *arg)
{
	const char *status  = sn_http_query(req, "status");
	const char *limit_s = sn_http_query(req, "limit");
	int         limit   = LIST_LIMIT_DEFAULT;
	bool        known   = status == NULL || strcmp(status, "all") == 0;
	(void) arg;
	for (int i = 0; !known && i < EMERGENCY_NSTATUS; i++)
		known = strcmp(status, status_names[i]) == 0;
	if (!known) {
		sn_http_reply_error(req, 422, "invalid_status",
		    "status is awaiting_approval, granted, rejected, paid, "
		    "payment_failed or all",
		    "status");
		return;
	}
	if (limit_s != NULL) {
		char *end;
		long  v = strtol(limit_s, &end, 10);
		if (limit_s[0] == '\0' || *end != '\0' || v < 1
		    || v > LIST_LIMIT_MAX) {
			sn_http_reply_error(req, 422, "invalid_limit",
			    "limit is a whole number from 1 to 1000", "limit");
			return;
		}
		limit = (int) v;
	}
	const char *prefix = scope(req, "township");
	if (prefix == NULL)
		return;
	emergency_store_list_grants(sn_service_db(self->svc),
	    status != NULL ? status : "all", prefix, limit, list_done, req);
}

static void
get_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	if (err == SN_OK && res != NULL && PQntuples(res) == 0) {
		sn_http_reply_error(req, 404, "not_found", "no such grant", "id");
		return;
	}
	json_t *j = first_json(req, err, res);
	if (j == NULL)
		return;
	if (!sn_auth_within(sn_http_principal(req), PQgetvalue(res, 0, 1))) {
		json_decref(j);
		sn_http_reply_error(req, 403, "outside_jurisdiction",
		    "the grant's township is outside your jurisdiction", "id");
		return;
	}
	sn_http_reply_json(req, 200, j);
}

static void
on_get(sn_http_req *req, void *arg)
{
	const char *id = sn_http_param(req, "id");
	(void) arg;
	if (!emergency_rules_uuid_valid(id)) {
		sn_http_reply_error(req, 404, "not_found", "no such grant", "id");
		return;
	}
	emergency_store_grant_doc(sn_service_db(self->svc), id, get_done, req);
}

static void
funds_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *j   = first_json(req, err, res);
	if (j != NULL)
		sn_http_reply_json(req, 200, json_pack("{s:o}", "funds", j));
}

static void
on_funds(sn_http_req *req, void *arg)
{
	(void) arg;
	const char *prefix = scope(req, "township");
	if (prefix == NULL)
		return;
	emergency_store_funds(sn_service_db(self->svc), prefix,
	    self->cfg.grant_limit_fen, funds_done, req);
}

static void
figures_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *j   = first_json(req, err, res);
	if (j == NULL)
		return;
	sn_http_reply_json(req, 200,
	    json_pack("{s:I, s:o, s:I, s:I}", "year",
	        (json_int_t) strtol(sn_http_query(req, "year"), NULL, 10),
	        "rows", j, "person_times", (json_int_t) sn_db_i64(res, 0, 1),
	        "amount_fen", (json_int_t) sn_db_i64(res, 0, 2)));
}

static void
on_figures(sn_http_req *req, void *arg)
{
	const char *ys = sn_http_query(req, "year");
	int         year;
	(void) arg;
	if (!emergency_rules_year_parse(ys, &year) || year < 2000) {
		sn_http_reply_error(req, 422, "invalid_year",
		    "year is YYYY, from 2000", "year");
		return;
	}
	const char *prefix = scope(req, "township");
	if (prefix == NULL)
		return;
	emergency_store_figures(sn_service_db(self->svc), prefix, year,
	    self->cfg.utc_offset_min, figures_done, req);
}

static void
chain_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	json_t      *j   = first_json(req, err, res);
	if (j == NULL)
		return;
	sn_http_reply_json(req, 200,
	    json_pack("{s:s, s:o}", "id_number",
	        sn_http_param(req, "id_number"), "grants", j));
}

static void
on_chain(sn_http_req *req, void *arg)
{
	const char *idn = sn_http_param(req, "id_number");
	(void) arg;
	if (!sn_idnum_valid(idn)) {
		sn_http_reply_error(req, 422, "invalid_id_number",
		    "not a valid resident identity number", "id_number");
		return;
	}
	emergency_store_chain(sn_service_db(self->svc), idn,
	    sn_http_principal(req)->juris, chain_done, req);
}

/* ---- disbursement's events ---------------------------------------------- */

static sn_err
bad_event(const sn_event *ev, const char *why)
{
	sn_log(SN_LOG_WARN, "malformed event skipped", "type", ev->type,
	    "subject", ev->subject, "reason", why, NULL);
	return SN_EPROTO;
}

static void
paid_done(sn_tx *tx, PGresult *res, void *arg)
{
	(void) tx;
	(void) arg;
	const char *before = PQntuples(res) == 1 ? PQgetvalue(res, 0, 1) : "";
	if (strcmp(before, "granted") == 0) {
		sn_counter_add(self->payments[EMERGENCY_PAY_PAID], 1);
		return;
	}
	sn_counter_add(self->payments[EMERGENCY_PAY_IGNORED], 1);
	/* A settlement after the reversal means money went out that the
	 * fund has been credited back with: finance must look. */
	sn_log(strcmp(before, "payment_failed") == 0 ? SN_LOG_WARN
	                                            : SN_LOG_INFO,
	    "payment.settled for a grant not waiting for payment", "grant_id",
	    PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : NULL, "status",
	    before[0] != '\0' ? before : "unknown", NULL);
}

static sn_err
on_settled(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Pay__V1__PaymentSettled *m
	    = sn__pay__v1__payment_settled__unpack(NULL, ev->len, ev->data);
	if (m == NULL)
		return bad_event(ev, "not a PaymentSettled");
	sn_err err = SN_OK;
	if (m->ref == NULL || m->ref->grant_id[0] == '\0')
		goto out; /* a benefit payment, not ours */
	if (!emergency_rules_uuid_valid(m->ref->grant_id)) {
		err = bad_event(ev, "ref.grant_id is not a grant id");
		goto out;
	}
	err = emergency_store_paid(tx, m->ref->grant_id, m->payment_id,
	    m->settled_at[0] != '\0' ? m->settled_at : NULL, paid_done, NULL);
out:
	sn__pay__v1__payment_settled__free_unpacked(m, NULL);
	return err;
}

static void
reversed_done(sn_tx *tx, PGresult *res, void *arg)
{
	(void) arg;
	if (PQntuples(res) != 1) {
		sn_counter_add(self->payments[EMERGENCY_PAY_IGNORED], 1);
		return; /* not granted (any more): nothing to reverse */
	}
	sn_counter_add(self->payments[EMERGENCY_PAY_REVERSED], 1);
	sn_err err = append_reserve(tx, PQgetvalue(res, 0, 1),
	    SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_REVERSAL,
	    sn_db_i64(res, 0, 2), sn_db_i64(res, 0, 3), PQgetvalue(res, 0, 0),
	    PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5));
	if (err != SN_OK && !sn_tx_failed(tx))
		sn_tx_rollback(tx, err); /* the bus retries the batch */
	sn_log(SN_LOG_INFO, "failed payment reversed; grant needs follow-up",
	    "grant_id", PQgetvalue(res, 0, 4), "township",
	    PQgetvalue(res, 0, 1), NULL);
}

static sn_err
on_failed(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Pay__V1__PaymentFailed *m
	    = sn__pay__v1__payment_failed__unpack(NULL, ev->len, ev->data);
	if (m == NULL)
		return bad_event(ev, "not a PaymentFailed");
	sn_err err = SN_OK;
	if (m->ref == NULL || m->ref->grant_id[0] == '\0')
		goto out;
	if (!emergency_rules_uuid_valid(m->ref->grant_id)) {
		err = bad_event(ev, "ref.grant_id is not a grant id");
		goto out;
	}
	err = emergency_store_reverse(tx, m->ref->grant_id, m->payment_id,
	    m->reason_code, m->reason,
	    ev->actor != NULL && ev->actor[0] != '\0' ? ev->actor : "system",
	    reversed_done, NULL);
out:
	sn__pay__v1__payment_failed__free_unpacked(m, NULL);
	return err;
}

/* ---- intake's and approval's events -------------------------------------- */

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static sn_err
on_submitted(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Assist__V1__ApplicationSubmitted *m
	    = sn__assist__v1__application_submitted__unpack(
	        NULL, ev->len, ev->data);
	if (m == NULL)
		return bad_event(ev, "not an ApplicationSubmitted");
	sn_err err = SN_OK;
	if (m->referral_id[0] == '\0')
		goto out; /* not from a referral */
	if (m->application_id[0] == '\0') {
		err = bad_event(ev, "no application id");
		goto out;
	}
	err = emergency_store_application(tx, m->application_id,
	    m->referral_id, nonempty(m->taken_in_by), nonempty(m->accepted_date),
	    nonempty(ev->time));
out:
	sn__assist__v1__application_submitted__free_unpacked(m, NULL);
	return err;
}

static sn_err
on_withdrawn(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Assist__V1__ApplicationWithdrawn *m
	    = sn__assist__v1__application_withdrawn__unpack(
	        NULL, ev->len, ev->data);
	if (m == NULL)
		return bad_event(ev, "not an ApplicationWithdrawn");
	sn_err err = m->application_id[0] == '\0'
	    ? bad_event(ev, "no application id")
	    : emergency_store_withdrawn(tx, m->application_id,
	          nonempty(m->reason), nonempty(ev->time));
	sn__assist__v1__application_withdrawn__free_unpacked(m, NULL);
	return err;
}

static sn_err
on_decided(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) arg;
	Sn__Assist__V1__ApplicationDecided *m
	    = sn__assist__v1__application_decided__unpack(
	        NULL, ev->len, ev->data);
	if (m == NULL)
		return bad_event(ev, "not an ApplicationDecided");
	sn_err err;
	if (m->application_id[0] == '\0') {
		err = bad_event(ev, "no application id");
	} else {
		emergency_decision d = { .application_id = m->application_id,
			.case_id            = nonempty(m->case_id),
			.approved           = m->approved != 0,
			.category           = sn_assist_category_name((int) m->category),
			.monthly_amount_fen = m->monthly_amount_fen,
			.effective_month    = nonempty(m->effective_month),
			.decided_by         = nonempty(m->decided_by),
			.reason             = nonempty(m->reason),
			.event_time         = nonempty(ev->time) };
		err = emergency_store_decision(tx, &d);
	}
	sn__assist__v1__application_decided__free_unpacked(m, NULL);
	return err;
}

/* ---- metrics ------------------------------------------------------------ */

static sn_gauge *
fund_gauge(emergency *em, const char *code)
{
	for (size_t i = 0; i < em->nfunds; i++)
		if (strcmp(em->funds[i].code, code) == 0)
			return em->funds[i].gauge;
	if (em->nfunds == EMERGENCY_MAX_FUND_GAUGES
	    || !emergency_rules_township_valid(code))
		return NULL;
	char labels[64];
	snprintf(labels, sizeof(labels), "township=\"%s\"", code);
	sn_gauge *g = sn_metrics_gauge(sn_service_metrics(em->svc),
	    "sn_emergency_fund_balance_fen",
	    "Balance of each township's reserve fund, fen", labels);
	if (g == NULL)
		return NULL;
	snprintf(em->funds[em->nfunds].code, sizeof(em->funds[0].code), "%s",
	    code);
	em->funds[em->nfunds].gauge = g;
	em->nfunds++;
	return g;
}

static void
on_balances(sn_err err, PGresult *res, void *arg)
{
	emergency *em = arg;
	em->refreshing--;
	if (err != SN_OK || res == NULL)
		return; /* the next tick tries again */
	for (int i = 0; i < PQntuples(res); i++) {
		sn_gauge *g = fund_gauge(em, PQgetvalue(res, i, 0));
		if (g != NULL)
			sn_gauge_set(g, sn_db_i64(res, i, 1));
	}
}

static void
on_status_counts(sn_err err, PGresult *res, void *arg)
{
	emergency *em = arg;
	em->refreshing--;
	if (err != SN_OK || res == NULL)
		return;
	int64_t n[EMERGENCY_NSTATUS] = { 0 };
	for (int i = 0; i < PQntuples(res); i++)
		for (int s = 0; s < EMERGENCY_NSTATUS; s++)
			if (strcmp(PQgetvalue(res, i, 0), status_names[s]) == 0)
				n[s] = sn_db_i64(res, i, 1);
	for (int s = 0; s < EMERGENCY_NSTATUS; s++)
		sn_gauge_set(em->statuses[s], n[s]);
}

static void
on_tick(void *arg)
{
	emergency *em = arg;
	sn_db     *db = sn_service_db(em->svc);
	if (!sn_db_ready(db) || sn_loop_stopping(sn_service_loop(em->svc)))
		return;
	if (em->refreshing == 0) {
		em->refreshing = 2;
		emergency_store_balances(db, on_balances, em);
		emergency_store_status_counts(db, on_status_counts, em);
	}
}

/* ---- wiring ------------------------------------------------------------- */

sn_err
emergency_init(emergency *em, sn_service *svc, const emergency_config *cfg)
{
	static const char *const outcomes[EMERGENCY_OUT_COUNT] = { "granted",
		"awaiting_approval", "approved", "rejected",
		"insufficient_funds", "allocated", "settled", "referred" };
	static const char *const payments[EMERGENCY_PAY_COUNT]
	    = { "paid", "reversed", "ignored" };
	sn_metrics *m    = sn_service_metrics(svc);
	sn_bus     *bus  = sn_service_bus(svc);
	sn_http    *http = sn_service_http(svc);
	char        labels[64];
	sn_err      err;

	memset(em, 0, sizeof(*em));
	em->svc = svc;
	em->cfg = *cfg;
	self    = em;
	for (int i = 0; i < EMERGENCY_OUT_COUNT; i++) {
		snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcomes[i]);
		em->outcomes[i] = sn_metrics_counter(m,
		    "sn_emergency_requests_total",
		    "Grant, allocation, referral and settlement requests by "
		    "outcome",
		    labels);
		if (em->outcomes[i] == NULL)
			return SN_ENOMEM;
	}
	for (int i = 0; i < EMERGENCY_PAY_COUNT; i++) {
		snprintf(labels, sizeof(labels), "outcome=\"%s\"", payments[i]);
		em->payments[i] = sn_metrics_counter(m,
		    "sn_emergency_payments_total",
		    "Payment outcomes of grants applied, by effect", labels);
		if (em->payments[i] == NULL)
			return SN_ENOMEM;
	}
	for (int i = 0; i < EMERGENCY_NSTATUS; i++) {
		snprintf(labels, sizeof(labels), "status=\"%s\"", status_names[i]);
		em->statuses[i] = sn_metrics_gauge(m, "sn_emergency_grants",
		    "Emergency grants by status", labels);
		if (em->statuses[i] == NULL)
			return SN_ENOMEM;
	}

	if ((err = sn_bus_on(bus, "disbursement", "payment.settled",
	         on_settled, em))
	        != SN_OK
	    || (err = sn_bus_on(
	            bus, "disbursement", "payment.failed", on_failed, em))
	        != SN_OK
	    || (err = sn_bus_on(
	            bus, "intake", "application.submitted", on_submitted, em))
	        != SN_OK
	    || (err = sn_bus_on(
	            bus, "intake", "application.withdrawn", on_withdrawn, em))
	        != SN_OK
	    || (err = sn_bus_on(
	            bus, "approval", "application.decided", on_decided, em))
	        != SN_OK)
		return err;

	if ((err = sn_http_route(http, "POST", "/funds/{township}/allocations",
	         SN_HTTP_IDEMPOTENT, FINANCE, on_allocate, em))
	        != SN_OK
	    || (err = sn_http_route(http, "POST", "/funds/{township}/settlement",
	            SN_HTTP_IDEMPOTENT, FINANCE, on_settle, em))
	        != SN_OK
	    || (err = sn_http_route(http, "GET", "/funds", 0, READERS,
	            on_funds, em))
	        != SN_OK
	    || (err = sn_http_route(http, "POST", "/grants", SN_HTTP_IDEMPOTENT,
	            OFFICER, on_grant, em))
	        != SN_OK
	    || (err = sn_http_route(
	            http, "GET", "/grants", 0, READERS, on_list, em))
	        != SN_OK
	    || (err = sn_http_route(
	            http, "GET", "/grants/{id}", 0, READERS, on_get, em))
	        != SN_OK
	    || (err = sn_http_route(http, "POST", "/grants/{id}/approval",
	            SN_HTTP_IDEMPOTENT, APPROVER, on_approval, em))
	        != SN_OK
	    || (err = sn_http_route(http, "POST", "/grants/{id}/referrals",
	            SN_HTTP_IDEMPOTENT, OFFICER, on_referral, em))
	        != SN_OK
	    || (err = sn_http_route(
	            http, "GET", "/figures", 0, READERS, on_figures, em))
	        != SN_OK
	    || (err = sn_http_route(http, "GET", "/people/{id_number}/chain", 0,
	            CHAIN_READERS, on_chain, em))
	        != SN_OK)
		return err;

	return sn_service_every(svc, 0, em->cfg.metrics_ms, on_tick, em);
}
