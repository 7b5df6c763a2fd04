/*
 * handlers.c - the HTTP requests of the emergency service, and its
 * metrics; see handlers.h. Each handler parses (sn/input.h), asks the
 * rules (rules.h), stores (store.h), appends its events (events.h) and
 * answers.
 */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "events.h"
#include "rules.h"
#include "sealed.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/idnum.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/uuid.h"
#include "store.h"

#define OFFICER "emergency_officer"
#define FINANCE "finance"
#define APPROVER "district_officer"
#define READERS "emergency_officer,district_officer,district_admin,finance"
#define CHAIN_READERS "emergency_officer,district_officer,district_admin"
/* Due instalments published per transaction of the instalment tick. */
#define DUE_PER_TICK 100
/* A text[] literal of the blind indexes of a person and at most
 * EMERGENCY_HOUSEHOLD_MAX members. */
#define PEOPLE_STRLEN                                                         \
	((EMERGENCY_HOUSEHOLD_MAX + 1) * (SN_SEAL_INDEX_HEX + 3) + 4)

/*
 * What a POST's transaction needs, from the handler to the answer: one
 * allocation, freed by sn_http_tx_with_end when the transaction ends
 * however it ends. Strings are borrowed from the request (its body and
 * path), which outlives it.
 */
typedef struct req_ctx {
	emergency     *em;
	sn_http_req   *req;
	emergency_call call;
	/* A transitional grant's answer, kept while its document is read
	 * again (granted_transitional). */
	struct {
		unsigned status;
		int64_t  balance;
		char     ledger_id[40];
	} ans;
	union {
		struct {
			const char *township;
			int64_t     amount;
			const char *note;
		} alloc;
		struct {
			emergency_grant_body b; /* the request, decoded */
			emergency_class      cls;
			emergency_class      asked; /* what classify said */
			char                 people[PEOPLE_STRLEN];
			bool                 has_window;
			int64_t              window_sum;
			char                *window_grants; /* malloc'd */
			bool                 fund_locked;
		} grant;
		struct {
			const char *id;
			bool        approve;
			const char *reason;
			char        township[16];
			int64_t     amount;
		} approval;
		struct {
			const char             *id;
			emergency_referral_kind kind;
			const char             *department;
			const char             *note;
		} referral;
		struct {
			const char *township;
			int         year;
		} settle;
	} u;
} req_ctx;

/* ---- small helpers ------------------------------------------------------ */

/* A new context, or NULL after answering 503. */
static req_ctx *
ctx_new(emergency *em, sn_http_req *req)
{
	req_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory; retry", NULL);
		return NULL;
	}
	c->em  = em;
	c->req = req;
	return c;
}

/* Answers the problem, and frees c. */
static void
refuse(req_ctx *c, const sn_problem *why)
{
	sn_http_problem(c->req, why);
	free(c);
}

/* The transaction of c's request; c is freed when it ends. */
static void
run_tx(req_ctx *c, sn_http_tx_fn begin)
{
	sn_http_tx_with_end(c->req, begin, free, c);
}

/* Answers 503 for a statement or event that could not be queued, unless
 * the transaction has failed already (the module answers for it then). */
static void
fail_unavailable(req_ctx *c, sn_tx *tx, const char *what)
{
	if (!sn_tx_failed(tx))
		sn_http_tx_fail(c->req, tx, 503, "unavailable", what, NULL);
}

/* A row the store could not read (logged there, naming the column). */
static void
fail_internal(req_ctx *c, sn_tx *tx)
{
	sn_http_tx_fail(c->req, tx, 500, "internal",
	    "the stored record could not be read", NULL);
}

static void
count_outcome(void *arg)
{
	sn_counter_add(arg, 1);
}

static void
on_commit_count(req_ctx *c, sn_tx *tx, enum emergency_outcome o)
{
	/* At most one per request here (in a group, counted only if the
	 * grant's savepoint was kept); a failure only loses a count. */
	(void) sn_http_tx_on_commit(
	    c->req, tx, count_outcome, c->em->outcomes[o]);
}

/* A string member of o, which may itself be absent (NULL). */
static bool
in_str(const json_t *o, const char *key, const char *prefix, unsigned flags,
    const char **out, sn_problem *why)
{
	return o == NULL || sn_in_str(o, key, prefix, flags, 0, out, why);
}

/* A whole number; its range is the rules' to check. */
static bool
in_i64(const json_t *o, const char *key, int64_t *out, sn_problem *why)
{
	return sn_in_i64(o, key, "", 0, INT64_MIN, INT64_MAX, out, why);
}

static bool
note_valid(const char *note, sn_problem *why)
{
	if (note != NULL && strlen(note) > EMERGENCY_NOTE_MAX)
		return sn_problem_set(why, 422, "invalid_note", "note",
		    "note is at most 500 bytes");
	return true;
}

/* The 409 of a fund that does not cover amount: the problem, and the
 * balance and the amount beside it. */
static void
fail_insufficient(req_ctx *c, sn_tx *tx, const sn_problem *why,
    int64_t balance, int64_t amount)
{
	json_t *body = sn_problem_json(why);
	sn_counter_add(c->em->outcomes[EMERGENCY_OUT_INSUFFICIENT], 1);
	if (body == NULL) {
		sn_http_tx_problem(c->req, tx, why);
		return;
	}
	json_t *e = json_object_get(body, "error");
	json_object_set_new(e, "balance_fen", json_integer(balance));
	json_object_set_new(e, "amount_fen", json_integer(amount));
	sn_http_tx_fail_json(c->req, tx, 409, body);
}

/* Answers status with doc, the balance and the ledger row. */
static void
reply_granted(req_ctx *c, sn_tx *tx, json_t *doc, unsigned status,
    int64_t balance, const char *ledger_id)
{
	json_object_set_new(doc, "balance_fen", json_integer(balance));
	json_object_set_new(doc, "ledger_entry_id", json_string(ledger_id));
	sn_http_tx_reply(c->req, tx, status, doc);
}

/* A transitional grant's document, read after its schedule was written:
 * the answer. */
static void
schedule_read(sn_tx *tx, void *arg, sn_err err, json_t *doc)
{
	req_ctx *c = arg;
	if (err != SN_OK || doc == NULL) {
		fail_internal(c, tx);
		return;
	}
	reply_granted(c, tx, json_incref(doc), c->ans.status, c->ans.balance,
	    c->ans.ledger_id);
}

/*
 * Transitional aid just debited: the schedule from this month (the
 * district's), instalment 1 published now; the answer (status) follows
 * once the document is read again.
 */
static sn_err
granted_transitional(req_ctx *c, sn_tx *tx, const emergency_grant *g,
    const emergency_movement *m, unsigned status)
{
	char month[SN_MONTH_STRLEN];
	c->ans.status  = status;
	c->ans.balance = m->balance_after_fen;
	snprintf(c->ans.ledger_id, sizeof(c->ans.ledger_id), "%s",
	    m->ledger_entry_id);
	sn_month_format(sn_clock_month(), month);
	if (emergency_store_schedule(tx, g->id, month) != SN_OK)
		return SN_EDB;
	return emergency_store_grant_doc_tx(
	    tx, g->id, &c->call, schedule_read, c);
}

/*
 * A debit went through: publishes emergency.granted (instalment 1 of
 * transitional aid) and reserve.changed (the whole amount) and answers
 * status with the grant, its balance and ledger row.
 */
static void
granted(req_ctx *c, sn_tx *tx, const emergency_grant *g,
    const emergency_movement *m, unsigned status, enum emergency_outcome o)
{
	const char *actor = sn_http_principal(c->req)->user;
	sn_bus     *bus   = sn_service_bus(c->em->svc);
	if (g->doc == NULL) {
		fail_internal(c, tx);
		return;
	}
	emergency_reserve_change rc = { .township_code = g->township_code,
		.movement                              = EMERGENCY_MOVE_GRANT,
		.amount_fen                            = -g->amount_fen,
		.balance_fen                           = m->balance_after_fen,
		.ledger_entry_id                       = m->ledger_entry_id,
		.grant_id                              = g->id,
		.actor                                 = actor };
	int32_t                  k  = g->instalments > 0 ? 1 : 0;
	if (emergency_events_granted(bus, tx, g, k, actor) != SN_OK
	    || emergency_events_reserve(bus, tx, &rc) != SN_OK
	    || (k == 1
	        && granted_transitional(c, tx, g, m, status) != SN_OK)) {
		fail_unavailable(
		    c, tx, "the grant could not be stored; retry");
		return;
	}
	on_commit_count(c, tx, o);
	if (k == 0) /* else schedule_read answers */
		reply_granted(c, tx, json_incref(g->doc), status,
		    m->balance_after_fen, m->ledger_entry_id);
}

/* ---- POST /funds/{township}/allocations --------------------------------- */

static bool
allocation_input(req_ctx *c, sn_problem *why)
{
	static const char *const keys[] = { "amount_fen", "note", NULL };
	const json_t            *b      = sn_http_json(c->req);
	c->u.alloc.township             = sn_http_param(c->req, "township");
	return sn_in_only(b, keys, "", why)
	    && in_i64(b, "amount_fen", &c->u.alloc.amount, why)
	    && in_str(b, "note", "", SN_IN_MULTILINE, &c->u.alloc.note, why)
	    && note_valid(c->u.alloc.note, why)
	    && emergency_rules_allocation_check(sn_http_principal(c->req),
	        c->u.alloc.township, c->u.alloc.amount, why);
}

static void
allocated(sn_tx *tx, void *arg, sn_err err, const emergency_movement *m)
{
	req_ctx    *c     = arg;
	const char *actor = sn_http_principal(c->req)->user;
	if (err != SN_OK) {
		fail_internal(c, tx);
		return;
	}
	emergency_reserve_change rc = { .township_code = c->u.alloc.township,
		.movement        = EMERGENCY_MOVE_ALLOCATION,
		.amount_fen      = c->u.alloc.amount,
		.balance_fen     = m->balance_after_fen,
		.ledger_entry_id = m->ledger_entry_id,
		.actor           = actor };
	if (emergency_events_reserve(sn_service_bus(c->em->svc), tx, &rc)
	    != SN_OK) {
		fail_unavailable(c, tx, "the allocation could not be stored");
		return;
	}
	on_commit_count(c, tx, EMERGENCY_OUT_ALLOCATED);
	sn_http_tx_reply(c->req, tx, 201,
	    json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "ledger_entry_id",
	        m->ledger_entry_id, "township_code", c->u.alloc.township,
	        "movement", "allocation", "amount_fen",
	        (json_int_t) c->u.alloc.amount, "balance_fen",
	        (json_int_t) m->balance_after_fen, "created_at",
	        m->created_at));
}

static void
allocate_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	req_ctx *c = arg;
	if (emergency_store_allocate(tx, c->u.alloc.township,
	        c->u.alloc.amount, c->u.alloc.note,
	        sn_http_principal(req)->user, &c->call, allocated, c)
	    != SN_OK)
		fail_unavailable(c, tx, "the allocation could not be stored");
}

static void
on_allocate(sn_http_req *req, void *arg)
{
	sn_problem why = { 0 };
	req_ctx   *c   = ctx_new(arg, req);
	if (c == NULL)
		return;
	if (!allocation_input(c, &why)) {
		refuse(c, &why);
		return;
	}
	run_tx(c, allocate_begin);
}

/* ---- POST /grants ------------------------------------------------------- */

/* household_id_numbers: an optional array of strings, kept in r and as
 * a text[] literal (the rules check each one). */
static bool
household_input(emergency_grant_body *g, const json_t *b, sn_problem *why)
{
	const json_t        *arr = NULL;
	emergency_grant_req *r   = &g->r;
	if (!sn_in_array(b, "household_id_numbers", "", 0, &arr, why))
		return false;
	if (arr != NULL && json_array_size(arr) >= EMERGENCY_HOUSEHOLD_MAX)
		return sn_problem_set(why, 422, "invalid_household",
		    "household_id_numbers",
		    "household_id_numbers lists at most 19 members");
	for (size_t i = 0; arr != NULL && i < json_array_size(arr); i++) {
		const char *m = json_string_value(json_array_get(arr, i));
		if (m == NULL || !sn_idnum_valid(m))
			return sn_problem_set(why, 422, "invalid_id_number",
			    "household_id_numbers",
			    "household_id_numbers[%zu] is not a valid "
			    "resident identity number",
			    i);
		r->household[r->nhousehold++] = m;
	}
	return true;
}

/* kind, instalments, monthly_amount_fen and amount_fen: the whole
 * amount into r->amount_fen (rules.h, emergency_rules_kind). */
static bool
kind_input(emergency_grant_body *g, const json_t *b, int64_t instalments_max,
    sn_problem *why)
{
	emergency_kind_req k = { 0 };
	k.has_instalments    = json_object_get(b, "instalments") != NULL;
	k.has_monthly = json_object_get(b, "monthly_amount_fen") != NULL;
	k.has_amount  = json_object_get(b, "amount_fen") != NULL;
	return in_str(b, "kind", "", 0, &k.kind, why)
	    && in_i64(b, "instalments", &k.instalments, why)
	    && in_i64(b, "monthly_amount_fen", &k.monthly_fen, why)
	    && in_i64(b, "amount_fen", &k.amount_fen, why)
	    && emergency_rules_kind(&k, instalments_max, &g->kind,
	        &g->instalments, &g->r.amount_fen, why)
	    && (g->monthly = k.has_monthly ? k.monthly_fen : 0, true);
}

bool
emergency_decode_grant(const json_t *b, int64_t instalments_max,
    emergency_grant_body *g, sn_problem *why)
{
	static const char *const keys[]  = { "township_code", "village_code",
		 "person", "cause", "description", "household_size",
		 "amount_fen", "payee", "household_id_numbers", "kind",
		 "instalments", "monthly_amount_fen", NULL };
	static const char *const pkeys[] = { "id_number", "name", NULL };
	static const char *const ykeys[]
	    = { "bank_code", "account_number", "account_name", NULL };
	const json_t        *person = NULL, *payee = NULL;
	emergency_grant_req *r = &g->r;
	memset(g, 0, sizeof(*g));
	return sn_in_only(b, keys, "", why)
	    && sn_in_object(b, "person", "", 0, &person, why)
	    && sn_in_object(b, "payee", "", 0, &payee, why)
	    && (person == NULL || sn_in_only(person, pkeys, "person.", why))
	    && (payee == NULL || sn_in_only(payee, ykeys, "payee.", why))
	    && in_str(b, "township_code", "", 0, &r->township_code, why)
	    && in_str(b, "village_code", "", 0, &r->village_code, why)
	    && in_str(person, "id_number", "person.", 0, &r->id_number, why)
	    && in_str(person, "name", "person.", 0, &r->name, why)
	    && in_str(b, "cause", "", 0, &r->cause, why)
	    && in_str(
	        b, "description", "", SN_IN_MULTILINE, &r->description, why)
	    && in_i64(b, "household_size", &r->household_size, why)
	    && kind_input(g, b, instalments_max, why)
	    && household_input(g, b, why)
	    && in_str(payee, "bank_code", "payee.", 0, &r->bank_code, why)
	    && in_str(
	        payee, "account_number", "payee.", 0, &r->account_number, why)
	    && in_str(
	        payee, "account_name", "payee.", 0, &r->account_name, why);
}

/* The text[] literal of the blind indexes of the person and members
 * (sealed.h): what the window and its locks look people up by. */
static sn_err
people_literal(req_ctx *c)
{
	const emergency_grant_req *r = &c->u.grant.b.r;
	sn_pgarray                 a;
	sn_err                     err;
	const char                *t;
	sn_pgarray_init(&a);
	err = emergency_sealed_people(
	    r->id_number, r->household, r->nhousehold, &a, NULL);
	if (err == SN_OK && (t = sn_pgarray_text(&a)) != NULL
	    && strlen(t) < sizeof(c->u.grant.people))
		memcpy(c->u.grant.people, t, strlen(t) + 1);
	else if (err == SN_OK)
		err = SN_ENOMEM;
	sn_pgarray_fini(&a);
	return err;
}

static void
new_grant(const req_ctx *c, emergency_new_grant *g)
{
	const emergency_grant_req *r     = &c->u.grant.b.r;
	emergency_cause            cause = EMERGENCY_CAUSE_NONE;
	(void) emergency_rules_cause_parse(r->cause, &cause);
	*g = (emergency_new_grant) { .township_code = r->township_code,
		.village_code                       = r->village_code,
		.id_number                          = r->id_number,
		.name                               = r->name,
		.cause                              = cause,
		.description                        = r->description,
		.household_size                     = r->household_size,
		.amount_fen                         = r->amount_fen,
		.bank_code                          = r->bank_code,
		.account_number                     = r->account_number,
		.account_name                       = r->account_name,
		.granted_by     = sn_http_principal(c->req)->user,
		.household      = r->household,
		.nhousehold     = r->nhousehold,
		.kind           = c->u.grant.b.kind,
		.instalments    = c->u.grant.b.instalments,
		.monthly_fen    = c->u.grant.b.monthly,
		.has_window     = c->u.grant.has_window,
		.window_sum_fen = c->u.grant.window_sum,
		.window_grants  = c->u.grant.window_grants };
}

static void grant_fund_locked(
    sn_tx *tx, void *arg, sn_err err, const emergency_fund *f);

/*
 * The conditional debit's outcome. Tried first without reading the fund
 * (the fund's row lock is then held from the debit to COMMIT only); when
 * it matched nothing (no fund, or too little in it), the fund is locked
 * and read, and grant_fund_locked refuses, or debits again if it was
 * topped up meanwhile.
 */
static void
grant_debited(sn_tx *tx, void *arg, sn_err err, const emergency_grant *g,
    const emergency_movement *m)
{
	req_ctx *c = arg;
	if (err != SN_OK)
		fail_internal(c, tx);
	else if (g != NULL)
		granted(c, tx, g, m, 201, EMERGENCY_OUT_GRANTED);
	else if (c->u.grant.fund_locked) /* moved under its lock: cannot be */
		fail_unavailable(
		    c, tx, "the fund could not be debited; retry");
	else if (emergency_store_lock_fund(tx, c->u.grant.b.r.township_code,
	             &c->call, grant_fund_locked, c)
	    != SN_OK)
		fail_unavailable(
		    c, tx, "the grant could not be stored; retry");
	else
		c->u.grant.fund_locked = true;
}

static void
grant_fund_locked(sn_tx *tx, void *arg, sn_err err, const emergency_fund *f)
{
	req_ctx            *c   = arg;
	sn_problem          why = { 0 };
	sn_fen              after;
	emergency_new_grant g;
	if (err != SN_OK) {
		fail_internal(c, tx);
		return;
	}
	int64_t balance = f != NULL ? f->balance_fen : 0;
	int64_t amount  = c->u.grant.b.r.amount_fen;
	if (emergency_rules_debit_check(
	        f != NULL, balance, amount, "amount_fen", &after, &why)
	    != EMERGENCY_DEBIT_OK) {
		fail_insufficient(c, tx, &why, balance, amount);
		return;
	}
	new_grant(c, &g);
	if (emergency_store_grant_now(tx, &g, &c->call, grant_debited, c)
	    != SN_OK)
		fail_unavailable(
		    c, tx, "the grant could not be stored; retry");
}

static void
grant_waiting(sn_tx *tx, void *arg, sn_err err, const emergency_grant *g)
{
	req_ctx *c = arg;
	if (err != SN_OK || g == NULL || g->doc == NULL) {
		fail_internal(c, tx);
		return;
	}
	on_commit_count(c, tx, EMERGENCY_OUT_AWAITING);
	sn_http_tx_reply(c->req, tx, 202, json_incref(g->doc));
}

/*
 * The window read (the people locked): a grant within the per-grant
 * limit that takes the window's sum above it waits too, keeping the sum
 * and the grants counted; otherwise as the limit said.
 */
static void
grant_window_read(sn_tx *tx, void *arg, sn_err err, const emergency_window *w)
{
	req_ctx            *c = arg;
	emergency_new_grant g;
	if (err != SN_OK) {
		fail_internal(c, tx);
		return;
	}
	int64_t limit         = c->em->cfg.grant_limit_fen;
	int64_t amount        = c->u.grant.b.r.amount_fen;
	bool    within        = amount <= limit; /* what classify said */
	c->u.grant.has_window = within
	    && emergency_rules_window(limit, w->sum_fen, amount)
	        == EMERGENCY_NEEDS_APPROVAL;
	c->u.grant.cls = within && !c->u.grant.has_window
	    ? EMERGENCY_AT_ONCE
	    : EMERGENCY_NEEDS_APPROVAL;
	if (c->u.grant.has_window) {
		c->u.grant.window_sum = w->sum_fen + amount;
		free(c->u.grant.window_grants);
		c->u.grant.window_grants = strdup(w->grants);
		if (c->u.grant.window_grants == NULL) {
			fail_unavailable(c, tx, "out of memory; retry");
			return;
		}
	}
	new_grant(c, &g);
	if (c->u.grant.cls == EMERGENCY_AT_ONCE)
		err = emergency_store_grant_now(
		    tx, &g, &c->call, grant_debited, c);
	else
		err = emergency_store_grant_awaiting(
		    tx, &g, &c->call, grant_waiting, c);
	if (err != SN_OK)
		fail_unavailable(
		    c, tx, "the grant could not be stored; retry");
}

/* The window read and judged (grant_window_read). */
static sn_err
grant_window(req_ctx *c, sn_tx *tx)
{
	return emergency_store_window(tx, c->u.grant.people,
	    c->em->cfg.window_days, &c->call, grant_window_read, c);
}

/*
 * A grant within the limit was tried in one statement, debited only if
 * the window and the fund allowed it; if it was not, the window is read
 * and judged as for any grant (it waits for approval, or the fund is
 * locked to refuse).
 */
static void
grant_within_done(sn_tx *tx, void *arg, sn_err err, const emergency_grant *g,
    const emergency_movement *m)
{
	req_ctx *c = arg;
	if (err != SN_OK)
		fail_internal(c, tx);
	else if (g != NULL)
		granted(c, tx, g, m, 201, EMERGENCY_OUT_GRANTED);
	else if (grant_window(c, tx) != SN_OK)
		fail_unavailable(
		    c, tx, "the grant could not be stored; retry");
}

/* c's grant as it was asked, before anything was read. */
static void
grant_reset(req_ctx *c)
{
	c->u.grant.cls         = c->u.grant.asked;
	c->u.grant.has_window  = false;
	c->u.grant.window_sum  = 0;
	c->u.grant.fund_locked = false;
	free(c->u.grant.window_grants);
	c->u.grant.window_grants = NULL;
	c->call.next             = NULL;
}

/*
 * The people locked (by the group's prelude, grant_group_locks, when the
 * grant is in a group), then a grant within the limit tried at once (one
 * round trip when nothing stands in its way), or the window read. Starts
 * from scratch: a group that failed before its COMMIT runs it again
 * alone.
 */
static void
grant_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	req_ctx            *c   = arg;
	sn_err              err = SN_OK;
	emergency_new_grant g;
	grant_reset(c);
	if (!sn_http_tx_grouped(req))
		err = emergency_store_lock_people(tx, c->u.grant.people);
	if (err == SN_OK && c->u.grant.cls == EMERGENCY_AT_ONCE) {
		new_grant(c, &g);
		err = emergency_store_grant_within(tx, &g,
		    c->em->cfg.window_days, c->em->cfg.grant_limit_fen,
		    &c->call, grant_within_done, c);
	} else if (err == SN_OK)
		err = grant_window(c, tx);
	if (err != SN_OK)
		fail_unavailable(
		    c, tx, "the grant could not be stored; retry");
}

static void
grant_ctx_free(void *arg)
{
	req_ctx *c = arg;
	free(c->u.grant.window_grants);
	free(c);
}

static void
on_grant(sn_http_req *req, void *arg)
{
	sn_problem why = { 0 };
	req_ctx   *c   = ctx_new(arg, req);
	if (c == NULL)
		return;
	if (emergency_decode_grant(sn_http_json(c->req),
	        c->em->cfg.instalments_max, &c->u.grant.b, &why))
		c->u.grant.cls = emergency_rules_classify(&c->u.grant.b.r,
		    sn_http_principal(req), c->em->cfg.grant_limit_fen, &why);
	if (c->u.grant.cls == EMERGENCY_INVALID) {
		refuse(c, &why);
		return;
	}
	if (people_literal(c) != SN_OK) {
		sn_http_reply_error(c->req, 503, "unavailable",
		    "the grant could not be stored; retry", NULL);
		grant_ctx_free(c);
		return;
	}
	c->u.grant.asked = c->u.grant.cls;
	/* Group commit: grants to one fund that arrive while a transaction
	 * on it is open or committing share the next one. */
	sn_http_group_tx(c->em->groups, c->u.grant.b.r.township_code, req,
	    grant_begin, grant_ctx_free, c);
}

/*
 * The prelude of a group of grants (sn_http_group_tx): the advisory
 * locks of every member's people, in one statement and so in one order
 * (their hashes, sorted) before any member's savepoint. One group per
 * fund at a time, and each transaction taking all its people's locks at
 * once and before the fund's row, keep two groups (or a group and a
 * grant alone, which does the same for its own people) from waiting on
 * each other in a cycle.
 */
static sn_err
grant_group_locks(sn_tx *tx, void *const *args, size_t n, void *arg)
{
	size_t cap = n * PEOPLE_STRLEN + 3, len = 1;
	char  *all = malloc(cap);
	sn_err err;
	(void) arg;
	if (all == NULL)
		return SN_ENOMEM;
	all[0] = '{';
	for (size_t i = 0; i < n; i++) {
		const req_ctx *c     = args[i];
		const char    *inner = c->u.grant.people + 1; /* past '{' */
		size_t         k     = strlen(inner);
		if (k < 2) /* "}": nobody */
			continue;
		if (len > 1)
			all[len++] = ',';
		memcpy(all + len, inner, k - 1);
		len += k - 1;
	}
	all[len++] = '}';
	all[len]   = '\0';
	err        = emergency_store_lock_people(tx, all);
	free(all);
	return err;
}

/* True if the people literals a and b ("{x,y}", of blind indexes of one
 * length) name someone in common. */
static bool
people_overlap(const char *a, const char *b)
{
	for (const char *x = a + 1; *x != '\0' && *x != '}';) {
		size_t k = strcspn(x, ",}");
		for (const char *y = b + 1; *y != '\0' && *y != '}';) {
			size_t j = strcspn(y, ",}");
			if (j == k && memcmp(x, y, k) == 0)
				return true;
			y += j + (y[j] == ',');
		}
		x += k + (x[k] == ',');
	}
	return false;
}

/*
 * The batch of a group of grants (sn_http_groups_batch): the single
 * grants within the limit whose people overlap no other's taken, when
 * there are two or more, go in one statement (grant_group_batch). What
 * it does not take, or takes and cannot grant, goes one by one.
 */
static size_t
grant_group_take(void *const *args, size_t n, bool *taken, void *arg)
{
	size_t k = 0;
	(void) arg;
	for (size_t i = 0; i < n && k < EMERGENCY_MANY_MAX; i++) {
		const req_ctx *c  = args[i];
		bool           ok = c->u.grant.asked == EMERGENCY_AT_ONCE
		    && c->u.grant.b.kind == EMERGENCY_KIND_SINGLE;
		for (size_t j = 0; ok && j < i; j++)
			ok = !taken[j]
			    || !people_overlap(c->u.grant.people,
			        ((const req_ctx *) args[j])->u.grant.people);
		taken[i] = ok;
		k += ok;
	}
	if (k < 2)
		memset(taken, 0, n * sizeof(*taken));
	return k < 2 ? 0 : k;
}

/* A grant of the batch debited (or an error: it goes one by one). */
static void
grant_batch_debited(sn_tx *tx, void *arg, sn_err err, const emergency_grant *g,
    const emergency_movement *m)
{
	req_ctx *c = arg;
	if (err != SN_OK || g == NULL)
		fail_internal(c, tx);
	else
		granted(c, tx, g, m, 201, EMERGENCY_OUT_GRANTED);
}

static sn_err
grant_group_batch(
    sn_tx *tx, void *const *args, const bool *taken, size_t n, void *arg)
{
	emergency          *em = arg;
	emergency_new_grant gs[EMERGENCY_MANY_MAX];
	emergency_call     *first = NULL, **link = &first;
	size_t              k = 0;
	for (size_t i = 0; i < n; i++) {
		req_ctx *c = args[i];
		if (!taken[i])
			continue;
		grant_reset(c);
		new_grant(c, &gs[k++]);
		*link       = &c->call;
		link        = &c->call.next;
		c->call.arg = c;
	}
	return emergency_store_grant_many(tx, gs, k, em->cfg.window_days,
	    em->cfg.grant_limit_fen, first, grant_batch_debited);
}

/* ---- POST /grants/{id}/approval ----------------------------------------- */

static bool
decision_input(req_ctx *c, sn_problem *why)
{
	static const char *const keys[]   = { "decision", "reason", NULL };
	const json_t            *b        = sn_http_json(c->req);
	const char              *decision = NULL;
	return sn_in_only(b, keys, "", why)
	    && in_str(b, "decision", "", 0, &decision, why)
	    && in_str(
	        b, "reason", "", SN_IN_MULTILINE, &c->u.approval.reason, why)
	    && emergency_rules_decision_check(
	        decision, c->u.approval.reason, &c->u.approval.approve, why);
}

static void
approval_debited(sn_tx *tx, void *arg, sn_err err, const emergency_grant *g,
    const emergency_movement *m)
{
	req_ctx *c = arg;
	if (err != SN_OK)
		fail_internal(c, tx);
	else if (g == NULL) /* the grant or fund moved under their locks */
		fail_unavailable(
		    c, tx, "the fund could not be debited; retry");
	else
		granted(c, tx, g, m, 200, EMERGENCY_OUT_APPROVED);
}

static void
approval_fund_locked(sn_tx *tx, void *arg, sn_err err, const emergency_fund *f)
{
	req_ctx   *c   = arg;
	sn_problem why = { 0 };
	sn_fen     after;
	if (err != SN_OK) {
		fail_internal(c, tx);
		return;
	}
	int64_t balance = f != NULL ? f->balance_fen : 0;
	int64_t amount  = c->u.approval.amount;
	if (emergency_rules_debit_check(
	        f != NULL, balance, amount, NULL, &after, &why)
	    != EMERGENCY_DEBIT_OK) {
		fail_insufficient(c, tx, &why, balance, amount);
		return;
	}
	if (emergency_store_approve(tx, c->u.approval.id,
	        c->u.approval.township, amount,
	        sn_http_principal(c->req)->user, c->u.approval.reason,
	        &c->call, approval_debited, c)
	    != SN_OK)
		fail_unavailable(c, tx, "the decision could not be stored");
}

static void
rejected(sn_tx *tx, void *arg, sn_err err, const emergency_grant *g)
{
	req_ctx *c = arg;
	if (err != SN_OK) {
		fail_internal(c, tx);
		return;
	}
	if (g == NULL || g->doc == NULL) {
		sn_http_tx_fail(c->req, tx, 409, "not_awaiting_approval",
		    "the grant is not waiting for approval", NULL);
		return;
	}
	on_commit_count(c, tx, EMERGENCY_OUT_REJECTED);
	sn_http_tx_reply(c->req, tx, 200, json_incref(g->doc));
}

static void
approval_locked(sn_tx *tx, void *arg, sn_err err, const emergency_grant *g)
{
	req_ctx            *c   = arg;
	const sn_principal *p   = sn_http_principal(c->req);
	sn_problem          why = { 0 };
	if (err != SN_OK) {
		fail_internal(c, tx);
		return;
	}
	if (g == NULL) {
		sn_http_tx_fail(
		    c->req, tx, 404, "not_found", "no such grant", "id");
		return;
	}
	emergency_grant_facts facts = { .status = g->status,
		.township_code                  = g->township_code,
		.granted_by                     = g->granted_by,
		.id_number                      = g->id_number };
	if (!emergency_rules_approval_check(p, &facts, &why)) {
		sn_http_tx_problem(c->req, tx, &why);
		return;
	}
	if (!c->u.approval.approve) {
		err = emergency_store_reject(tx, c->u.approval.id, p->user,
		    c->u.approval.reason, &c->call, rejected, c);
	} else {
		snprintf(c->u.approval.township,
		    sizeof(c->u.approval.township), "%s", g->township_code);
		c->u.approval.amount = g->amount_fen;
		err                  = emergency_store_lock_fund(
		                     tx, g->township_code, &c->call, approval_fund_locked, c);
	}
	if (err != SN_OK)
		fail_unavailable(c, tx, "the decision could not be stored");
}

static void
approval_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	req_ctx *c = arg;
	(void) req;
	if (emergency_store_lock_grant(
	        tx, c->u.approval.id, &c->call, approval_locked, c)
	    != SN_OK)
		fail_unavailable(c, tx, "the grant could not be read; retry");
}

static void
on_approval(sn_http_req *req, void *arg)
{
	sn_problem why = { 0 };
	if (!sn_uuid_valid(sn_http_param(req, "id"))) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such grant", "id");
		return;
	}
	req_ctx *c = ctx_new(arg, req);
	if (c == NULL)
		return;
	c->u.approval.id = sn_http_param(req, "id");
	if (!decision_input(c, &why)) {
		refuse(c, &why);
		return;
	}
	run_tx(c, approval_begin);
}

/* ---- POST /grants/{id}/referrals ---------------------------------------- */

static bool
referral_input(req_ctx *c, sn_problem *why)
{
	static const char *const keys[]
	    = { "kind", "department", "note", NULL };
	const json_t *b    = sn_http_json(c->req);
	const char   *kind = NULL;
	return sn_in_only(b, keys, "", why)
	    && in_str(b, "kind", "", 0, &kind, why)
	    && in_str(b, "department", "", 0, &c->u.referral.department, why)
	    && in_str(b, "note", "", SN_IN_MULTILINE, &c->u.referral.note, why)
	    && emergency_rules_referral_check(kind, c->u.referral.department,
	        c->u.referral.note, &c->u.referral.kind, why);
}

static void
referral_done(sn_tx *tx, void *arg, sn_err err, const emergency_referral *r)
{
	req_ctx *c = arg;
	if (err != SN_OK) {
		fail_internal(c, tx);
		return;
	}
	if (r == NULL) {
		sn_http_tx_fail(c->req, tx, 409, "referral_exists",
		    "this grant already has a referral of that kind", "kind");
		return;
	}
	on_commit_count(c, tx, EMERGENCY_OUT_REFERRED);
	sn_http_tx_reply(c->req, tx, 201,
	    json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s}", "id", r->id,
	        "grant_id", c->u.referral.id, "kind",
	        emergency_rules_referral_name(c->u.referral.kind),
	        "department", c->u.referral.department, "note",
	        c->u.referral.note, "created_by",
	        sn_http_principal(c->req)->user, "created_at", r->created_at));
}

static void
referral_locked(sn_tx *tx, void *arg, sn_err err, const emergency_grant *g)
{
	req_ctx            *c   = arg;
	const sn_principal *p   = sn_http_principal(c->req);
	sn_problem          why = { 0 };
	sn_uuid             u;
	char                rid[SN_UUID_STRLEN];
	if (err != SN_OK) {
		fail_internal(c, tx);
		return;
	}
	if (g == NULL) {
		sn_http_tx_fail(
		    c->req, tx, 404, "not_found", "no such grant", "id");
		return;
	}
	if (!emergency_rules_referral_allowed(p, g->township_code, &why)) {
		sn_http_tx_problem(c->req, tx, &why);
		return;
	}
	if (sn_uuid_v4(&u) != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "no randomness for an id; retry", NULL);
		return;
	}
	sn_uuid_format(&u, rid);
	emergency_referral_event ev = { .referral_id = rid,
		.kind                                = c->u.referral.kind,
		.department = c->u.referral.department,
		.note       = c->u.referral.note,
		.created_by = p->user };
	/* The event is queued behind the insert; a referral that exists
	 * already fails the transaction, and the rollback takes it back. */
	if (emergency_store_referral(tx, rid, g->id, c->u.referral.kind,
	        c->u.referral.department, c->u.referral.note, p->user,
	        &c->call, referral_done, c)
	        != SN_OK
	    || emergency_events_referral(
	           sn_service_bus(c->em->svc), tx, g, &ev)
	        != SN_OK)
		fail_unavailable(c, tx, "the referral could not be stored");
}

static void
referral_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	req_ctx *c = arg;
	(void) req;
	if (emergency_store_lock_grant(
	        tx, c->u.referral.id, &c->call, referral_locked, c)
	    != SN_OK)
		fail_unavailable(c, tx, "the grant could not be read; retry");
}

static void
on_referral(sn_http_req *req, void *arg)
{
	sn_problem why = { 0 };
	if (!sn_uuid_valid(sn_http_param(req, "id"))) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such grant", "id");
		return;
	}
	req_ctx *c = ctx_new(arg, req);
	if (c == NULL)
		return;
	c->u.referral.id = sn_http_param(req, "id");
	if (!referral_input(c, &why)) {
		refuse(c, &why);
		return;
	}
	run_tx(c, referral_begin);
}

/* ---- POST /funds/{township}/settlement ---------------------------------- */

static bool
settlement_input(req_ctx *c, sn_problem *why)
{
	static const char *const keys[] = { "year", NULL };
	const json_t            *b      = sn_http_json(c->req);
	int64_t                  year   = 0;
	c->u.settle.township            = sn_http_param(c->req, "township");
	if (!emergency_rules_settlement_check(
	        sn_http_principal(c->req), c->u.settle.township, why)
	    || !sn_in_only(b, keys, "", why) || !in_i64(b, "year", &year, why)
	    || !emergency_rules_settlement_year(year, sn_clock_today(), why))
		return false;
	c->u.settle.year = (int) year;
	return true;
}

static void
settled_already(
    sn_tx *tx, void *arg, sn_err err, const emergency_settlement *s)
{
	req_ctx *c   = arg;
	json_t  *rep = err == SN_OK && s != NULL
	     ? json_loads(s->report, 0, NULL)
	     : NULL;
	sn_http_tx_fail_json(c->req, tx, 409,
	    json_pack("{s:{s:s, s:s, s:s, s:o}}", "error", "code",
	        "already_settled", "message",
	        "the fund is settled for that year already", "field", "year",
	        "settlement", rep != NULL ? rep : json_null()));
}

static void
settled(sn_tx *tx, void *arg, sn_err err, const emergency_settlement *s)
{
	req_ctx    *c     = arg;
	const char *actor = sn_http_principal(c->req)->user;
	if (err != SN_OK) {
		fail_internal(c, tx);
		return;
	}
	if (s == NULL) {
		if (emergency_store_settlement(tx, c->u.settle.township,
		        c->u.settle.year, &c->call, settled_already, c)
		    != SN_OK)
			fail_unavailable(
			    c, tx, "the settlement could not be read");
		return;
	}
	json_t *rep = json_loads(s->report, 0, NULL);
	if (rep == NULL) {
		fail_internal(c, tx);
		return;
	}
	emergency_reserve_change rc = { .township_code = c->u.settle.township,
		.movement        = EMERGENCY_MOVE_SETTLEMENT,
		.amount_fen      = 0,
		.balance_fen     = s->balance_after_fen,
		.ledger_entry_id = s->ledger_entry_id,
		.actor           = actor };
	if (emergency_events_reserve(sn_service_bus(c->em->svc), tx, &rc)
	    != SN_OK) {
		json_decref(rep);
		fail_unavailable(c, tx, "the settlement could not be stored");
		return;
	}
	on_commit_count(c, tx, EMERGENCY_OUT_SETTLED);
	sn_http_tx_reply(c->req, tx, 201, rep);
}

static void
settle_locked(sn_tx *tx, void *arg, sn_err err, const emergency_fund *f)
{
	req_ctx *c     = arg;
	sn_date  first = { .year = c->u.settle.year, .month = 1, .day = 1 };
	sn_date  end = { .year = c->u.settle.year + 1, .month = 1, .day = 1 };
	if (err != SN_OK) {
		fail_internal(c, tx);
		return;
	}
	if (f == NULL) {
		sn_http_tx_fail(c->req, tx, 404, "no_fund",
		    "the township has no reserve fund", "township");
		return;
	}
	if (emergency_store_settle(tx, c->u.settle.township, c->u.settle.year,
	        first, end, sn_http_principal(c->req)->user, &c->call, settled,
	        c)
	    != SN_OK)
		fail_unavailable(c, tx, "the settlement could not be stored");
}

static void
settle_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	req_ctx *c = arg;
	(void) req;
	if (emergency_store_lock_fund(
	        tx, c->u.settle.township, &c->call, settle_locked, c)
	    != SN_OK)
		fail_unavailable(c, tx, "the fund could not be read; retry");
}

static void
on_settle(sn_http_req *req, void *arg)
{
	sn_problem why = { 0 };
	req_ctx   *c   = ctx_new(arg, req);
	if (c == NULL)
		return;
	if (!settlement_input(c, &why)) {
		refuse(c, &why);
		return;
	}
	run_tx(c, settle_begin);
}

/* ---- GETs --------------------------------------------------------------- */

/* A JSON document the store read, or NULL after answering 5xx. */
static json_t *
doc_or_fail(sn_http_req *req, sn_err err, const char *json)
{
	json_t *j = NULL;
	if (err != SN_OK || json == NULL) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database could not be read; retry", NULL);
		return NULL;
	}
	j = json_loads(json, 0, NULL);
	if (j == NULL)
		sn_http_reply_error(
		    req, 500, "internal", "bad document", NULL);
	return j;
}

/* The caller's jurisdiction, narrowed by ?township= when given; NULL
 * after answering 4xx. */
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

/* A page the store read: {items, next} (sn/page.h). */
static void
page_done(void *arg, sn_err err, const emergency_grant_page *p)
{
	sn_http_req *req = arg;
	json_t      *j   = doc_or_fail(req, err, p != NULL ? p->items : NULL);
	if (j == NULL)
		return;
	json_t *ans = sn_page_answer(j, p->more, p->last);
	if (ans == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory; retry", NULL);
		return;
	}
	sn_http_reply_json(req, 200, ans);
}

/* ?limit= and ?cursor=; false after answering 422. */
static bool
page_of(sn_http_req *req, sn_page *pg)
{
	sn_problem why = { 0 };
	if (sn_page_query(req, pg, &why))
		return true;
	sn_http_problem(req, &why);
	return false;
}

static void
on_list(sn_http_req *req, void *arg)
{
	emergency  *em     = arg;
	const char *status = sn_http_query(req, "status");
	bool        all    = status == NULL || strcmp(status, "all") == 0;
	emergency_grant_status st = EMERGENCY_GRANT_AWAITING;
	sn_page                pg;
	if (!all && !emergency_rules_status_parse(status, &st)) {
		sn_http_reply_error(req, 422, "invalid_status",
		    "status is awaiting_approval, granted, rejected, paid, "
		    "payment_failed or all",
		    "status");
		return;
	}
	if (!page_of(req, &pg))
		return;
	const char *prefix = scope(req, "township");
	if (prefix != NULL)
		emergency_store_list_grants(sn_service_db(em->svc), all, st,
		    prefix, pg.limit, pg.after, page_done, req);
}

/* GET /funds/{township}/ledger: the fund's movements, paged. */
static void
on_ledger(sn_http_req *req, void *arg)
{
	emergency  *em = arg;
	const char *t  = sn_http_param(req, "township");
	sn_page     pg;
	if (!emergency_rules_township_valid(t)) {
		sn_http_reply_error(req, 422, "invalid_code",
		    "the township is a 9-digit division code", "township");
		return;
	}
	if (!sn_auth_within(sn_http_principal(req), t)) {
		sn_http_reply_error(req, 403, "outside_jurisdiction",
		    "the township is outside your jurisdiction", "township");
		return;
	}
	if (page_of(req, &pg))
		emergency_store_ledger(sn_service_db(em->svc), t, pg.limit,
		    pg.after, page_done, req);
}

/* GET /referrals?township=T: referrals of grants in the scope, paged. */
static void
on_referrals(sn_http_req *req, void *arg)
{
	emergency *em = arg;
	sn_page    pg;
	if (!page_of(req, &pg))
		return;
	const char *prefix = scope(req, "township");
	if (prefix != NULL)
		emergency_store_referrals(sn_service_db(em->svc), prefix,
		    pg.limit, pg.after, page_done, req);
}

static void
get_done(void *arg, sn_err err, const emergency_grant_doc *d)
{
	sn_http_req *req = arg;
	if (err == SN_OK && d == NULL) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such grant", "id");
		return;
	}
	json_t *j = doc_or_fail(req, err, d != NULL ? d->doc : NULL);
	if (j == NULL)
		return;
	if (!sn_auth_within(sn_http_principal(req), d->township_code)) {
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
	emergency  *em = arg;
	const char *id = sn_http_param(req, "id");
	if (!sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such grant", "id");
		return;
	}
	emergency_store_grant_doc(sn_service_db(em->svc), id, get_done, req);
}

static void
on_funds(sn_http_req *req, void *arg)
{
	emergency *em = arg;
	sn_page    pg;
	if (!page_of(req, &pg))
		return;
	const char *prefix = scope(req, "township");
	if (prefix != NULL)
		emergency_store_funds(sn_service_db(em->svc), prefix,
		    em->cfg.grant_limit_fen, em->cfg.window_days, pg.limit,
		    pg.after, page_done, req);
}

static void
figures_done(void *arg, sn_err err, const emergency_figures *f)
{
	sn_http_req *req = arg;
	json_t      *j   = doc_or_fail(req, err, f != NULL ? f->rows : NULL);
	if (j != NULL)
		sn_http_reply_json(req, 200,
		    json_pack("{s:i, s:o, s:I, s:I}", "year", f->year, "rows",
		        j, "person_times", (json_int_t) f->person_times,
		        "amount_fen", (json_int_t) f->amount_fen));
}

static void
on_figures(sn_http_req *req, void *arg)
{
	emergency *em = arg;
	int        year;
	if (!emergency_rules_year_parse(sn_http_query(req, "year"), &year)
	    || year < EMERGENCY_FIRST_YEAR) {
		sn_http_reply_error(req, 422, "invalid_year",
		    "year is YYYY, from 2000", "year");
		return;
	}
	const char *prefix = scope(req, "township");
	if (prefix != NULL)
		emergency_store_figures(
		    sn_service_db(em->svc), prefix, year, figures_done, req);
}

static void
chain_done(void *arg, sn_err err, const char *json)
{
	sn_http_req *req = arg;
	json_t      *j   = doc_or_fail(req, err, json);
	if (j != NULL)
		sn_http_reply_json(req, 200,
		    json_pack("{s:s, s:o}", "id_number",
		        sn_http_param(req, "id_number"), "grants", j));
}

static void
on_chain(sn_http_req *req, void *arg)
{
	emergency  *em  = arg;
	const char *idn = sn_http_param(req, "id_number");
	if (!sn_idnum_valid(idn)) {
		sn_http_reply_error(req, 422, "invalid_id_number",
		    "not a valid resident identity number", "id_number");
		return;
	}
	emergency_store_chain(sn_service_db(em->svc), idn,
	    sn_http_principal(req)->juris, chain_done, req);
}

const sn_http_route_def emergency_routes[] = {
	{ "POST", "/funds/{township}/allocations", SN_HTTP_IDEMPOTENT, FINANCE,
	    on_allocate },
	{ "POST", "/funds/{township}/settlement", SN_HTTP_IDEMPOTENT, FINANCE,
	    on_settle },
	{ "GET", "/funds", 0, READERS, on_funds },
	{ "GET", "/funds/{township}/ledger", 0, READERS, on_ledger },
	{ "GET", "/referrals", 0, READERS, on_referrals },
	{ "POST", "/grants", SN_HTTP_IDEMPOTENT, OFFICER, on_grant },
	{ "GET", "/grants", 0, READERS, on_list },
	{ "GET", "/grants/{id}", 0, READERS, on_get },
	{ "POST", "/grants/{id}/approval", SN_HTTP_IDEMPOTENT, APPROVER,
	    on_approval },
	{ "POST", "/grants/{id}/referrals", SN_HTTP_IDEMPOTENT, OFFICER,
	    on_referral },
	{ "GET", "/figures", 0, READERS, on_figures },
	{ "GET", "/people/{id_number}/chain", 0, CHAIN_READERS, on_chain },
};

const size_t emergency_nroutes
    = sizeof(emergency_routes) / sizeof(emergency_routes[0]);

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
	snprintf(
	    em->funds[em->nfunds].code, sizeof(em->funds[0].code), "%s", code);
	em->funds[em->nfunds].gauge = g;
	em->nfunds++;
	return g;
}

static void
on_balances(void *arg, sn_err err, const emergency_balance *rows, size_t n)
{
	emergency *em = arg;
	em->refreshing--;
	if (err != SN_OK)
		return; /* the next tick tries again */
	for (size_t i = 0; i < n; i++) {
		sn_gauge *g = fund_gauge(em, rows[i].township_code);
		if (g != NULL)
			sn_gauge_set(g, rows[i].balance_fen);
	}
}

static void
on_status_counts(void *arg, sn_err err, const int64_t count[EMERGENCY_NSTATUS])
{
	emergency *em = arg;
	em->refreshing--;
	if (err != SN_OK)
		return;
	for (int s = 0; s < EMERGENCY_NSTATUS; s++)
		sn_gauge_set(em->statuses[s], count[s]);
}

static void
on_tick(void *arg)
{
	emergency *em = arg;
	sn_db     *db = sn_service_db(em->svc);
	uint64_t   commits, grants, batched;
	size_t     waiting;
	sn_http_groups_counts(
	    em->groups, &commits, &grants, &batched, &waiting);
	sn_gauge_set(em->group_commits, (int64_t) commits);
	sn_gauge_set(em->group_grants, (int64_t) grants);
	sn_gauge_set(em->group_batched, (int64_t) batched);
	sn_gauge_set(em->group_waiting, (int64_t) waiting);
	if (!sn_db_ready(db) || sn_loop_stopping(sn_service_loop(em->svc)))
		return;
	if (em->refreshing == 0) {
		em->refreshing = 2;
		emergency_store_balances(db, on_balances, em);
		emergency_store_status_counts(db, on_status_counts, em);
	}
}

static sn_err
metrics_init(emergency *em)
{
	static const char *const outcomes[EMERGENCY_OUT_COUNT] = { "granted",
		"awaiting_approval", "approved", "rejected",
		"insufficient_funds", "allocated", "settled", "referred" };
	static const char *const payments[EMERGENCY_PAYMENTS_COUNT]
	    = { "paid", "reversed", "ignored" };
	sn_metrics *m = sn_service_metrics(em->svc);
	char        labels[64];
	for (int i = 0; i < EMERGENCY_OUT_COUNT; i++) {
		snprintf(
		    labels, sizeof(labels), "outcome=\"%s\"", outcomes[i]);
		em->outcomes[i] = sn_metrics_counter(m,
		    "sn_emergency_requests_total",
		    "Grant, allocation, referral and settlement requests by "
		    "outcome",
		    labels);
		if (em->outcomes[i] == NULL)
			return SN_ENOMEM;
	}
	for (int i = 0; i < EMERGENCY_PAYMENTS_COUNT; i++) {
		snprintf(
		    labels, sizeof(labels), "outcome=\"%s\"", payments[i]);
		em->payments[i] = sn_metrics_counter(m,
		    "sn_emergency_payments_total",
		    "Payment outcomes of grants applied, by effect", labels);
		if (em->payments[i] == NULL)
			return SN_ENOMEM;
	}
	for (int i = 0; i < EMERGENCY_NSTATUS; i++) {
		snprintf(labels, sizeof(labels), "status=\"%s\"",
		    emergency_status_names[i]);
		em->statuses[i] = sn_metrics_gauge(m, "sn_emergency_grants",
		    "Emergency grants by status", labels);
		if (em->statuses[i] == NULL)
			return SN_ENOMEM;
	}
	em->group_commits = sn_metrics_gauge(m, "sn_emergency_group_commits",
	    "Transactions committed by the group commit of grants", NULL);
	em->group_grants  = sn_metrics_gauge(m, "sn_emergency_group_grants",
	     "Grants those transactions carried", NULL);
	em->group_waiting = sn_metrics_gauge(m, "sn_emergency_group_waiting",
	    "Grants waiting for their fund's next transaction", NULL);
	em->group_batched = sn_metrics_gauge(m, "sn_emergency_group_batched",
	    "Grants of those made in one statement with others", NULL);
	if (em->group_commits == NULL || em->group_grants == NULL
	    || em->group_waiting == NULL || em->group_batched == NULL)
		return SN_ENOMEM;
	return SN_OK;
}

/* ---- the instalment tick -------------------------------------------------
 * Transitional aid's instalments fall due on the first district day of
 * their month: each tick publishes those due (marked published and their
 * emergency.granted appended in one transaction: once ever, even across
 * a SIGKILL), a batch at a time, until none is left. */

static void
due_read(sn_tx *tx, void *arg, sn_err err, const emergency_grant *g,
    const emergency_due *d, size_t n)
{
	emergency *em = arg;
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if ((err = emergency_events_granted(sn_service_bus(em->svc),
		         tx, &g[i], d[i].instalment, "emergency"))
		    != SN_OK) {
			sn_tx_rollback(tx, err);
			return;
		}
	em->due_more = n == DUE_PER_TICK;
	em->due_published += n;
	sn_tx_commit(tx);
}

static void
due_begin(sn_tx *tx, void *arg)
{
	emergency *em = arg;
	char       month[SN_MONTH_STRLEN];
	sn_month_format(sn_clock_month(), month);
	em->due_more      = false;
	em->due_published = 0;
	if (emergency_store_due(
	        tx, month, DUE_PER_TICK, &em->due_call, due_read, em)
	    != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
}

static void
due_done(sn_err err, void *arg)
{
	emergency *em   = arg;
	em->due_running = false;
	if (err != SN_OK) {
		if (err != SN_ECLOSED)
			sn_log(SN_LOG_WARN,
			    "instalments could not be published; next tick "
			    "retries",
			    "error", sn_strerror(err), NULL);
		return;
	}
	if (em->due_published > 0)
		sn_log(SN_LOG_INFO, "instalments published", NULL);
	if (em->due_more && !sn_loop_stopping(sn_service_loop(em->svc))) {
		em->due_running = true;
		sn_db_tx(sn_service_db(em->svc), due_begin, due_done, em);
	}
}

static void
on_due_tick(void *arg)
{
	emergency *em = arg;
	if (em->due_running || !sn_db_ready(sn_service_db(em->svc))
	    || sn_loop_stopping(sn_service_loop(em->svc)))
		return;
	em->due_running = true;
	sn_db_tx(sn_service_db(em->svc), due_begin, due_done, em);
}

/* ---- wiring ------------------------------------------------------------- */

sn_err
emergency_init(emergency *em, sn_service *svc, const emergency_config *cfg)
{
	sn_err err;
	memset(em, 0, sizeof(*em));
	em->svc = svc;
	em->cfg = *cfg;
	if ((err = sn_http_groups_new(&em->groups, sn_service_db(svc),
	         EMERGENCY_GROUP_MAX, grant_group_locks, em))
	    != SN_OK)
		return err;
	sn_http_groups_batch(
	    em->groups, grant_group_take, grant_group_batch, em);
	if ((err = metrics_init(em)) != SN_OK
	    || (err = emergency_events_follow(em)) != SN_OK)
		return err;
	sn_service_set_route_arg(svc, em);
	if ((err = sn_service_every(svc, 0, em->cfg.metrics_ms, on_tick, em))
	    != SN_OK)
		return err;
	return sn_service_every(
	    svc, 1000, em->cfg.instalment_ms, on_due_tick, em);
}

void
emergency_fini(emergency *em)
{
	sn_http_groups_free(em->groups);
	em->groups = NULL;
}
