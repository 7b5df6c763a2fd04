/*
 * intake/changes.c - see changes.h.
 *
 * Ownership: a report's context (change_req) belongs to the request from
 * intake_changes_report until change_end, which sn_http_tx_with_end runs
 * once however the transaction ends.
 */
#include "changes.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "handlers.h"
#include "rules.h"
#include "sn/clock.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/uuid.h"
#include "store.h"

typedef struct change_req {
	sn_http_req                *req;
	intake_handlers            *h;
	intake_change               c;
	char                        id[SN_UUID_STRLEN];
	char                        today[SN_DATE_STRLEN];
	char                       *details; /* JSON, malloc'd */
	intake_store_household_slot slot;
} change_req;

/* A beneficiary id as a path names it: 1 to 64 printable characters. */
static bool
beneficiary_id_ok(const char *id)
{
	return id != NULL && id[0] != '\0' && strlen(id) <= 64
	    && sn_in_text_ok(id, false);
}

static void
change_end(void *arg)
{
	change_req *cr = arg;
	free(cr->details);
	free(cr);
}

/* The parts of the body the kind carries, as stored (details). */
static char *
details_of(const json_t *body)
{
	static const char *const keys[]
	    = { "income", "expenditure", "household", "members" };
	json_t *d = json_object();
	for (size_t i = 0; d != NULL && i < 4; i++) {
		json_t *v = json_object_get(body, keys[i]);
		if (v != NULL)
			json_object_set(d, keys[i], v);
	}
	char *s = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	return s;
}

sn_err
intake_changes_record(sn_bus *bus, sn_tx *tx, const intake_change *c,
    const intake_change_meta *meta, const char *details_json)
{
	intake_store_change row = { .change_id = meta->change_id,
		.beneficiary_id                = meta->beneficiary_id,
		.application_id                = meta->application_id,
		.kind             = intake_rules_change_kind_name(c->kind),
		.member_id_number = c->has_member_id ? c->member_id : NULL,
		.effective_date   = c->effective_date,
		.note             = c->note,
		.details_json     = details_json,
		.reported_by      = meta->reported_by,
		.reported_on      = meta->reported_on,
		.agency           = meta->agency,
		.notice_id        = meta->notice_id };
	intake_change_pb    pb;
	sn_err              err = intake_store_qchange(tx, &row);
	if (err == SN_OK)
		err = sn_bus_append_msg(bus, tx, "household.change_reported",
		    meta->beneficiary_id, meta->reported_by,
		    intake_codec_change_reported(c, meta, &pb));
	return err;
}

/* Stores the change of household h and appends its event; answers. */
static void
change_write(change_req *cr, sn_tx *tx, const intake_household *h)
{
	const sn_principal *who  = sn_http_principal(cr->req);
	const char         *bid  = sn_http_param(cr->req, "id");
	const char         *kind = intake_rules_change_kind_name(cr->c.kind);
	intake_change_meta  meta = { .change_id = cr->id,
		 .beneficiary_id                = bid,
		 .application_id                = h->application_id,
		 .reported_by                   = who->user,
		 .reported_on                   = cr->today };
	sn_err              err  = intake_changes_record(
	                  sn_service_bus(cr->h->svc), tx, &cr->c, &meta, cr->details);
	if (err != SN_OK) {
		if (!sn_tx_failed(tx))
			sn_http_tx_fail(cr->req, tx, 503, "unavailable",
			    "the change could not be stored; retry", NULL);
		return;
	}
	sn_log(SN_LOG_INFO, "household change reported", "beneficiary_id", bid,
	    "change_id", cr->id, "kind", kind, "clerk", who->user, NULL);
	sn_http_tx_reply(cr->req, tx, 201,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "change_id", cr->id,
	        "beneficiary_id", bid, "application_id", h->application_id,
	        "kind", kind, "effective_date", cr->c.effective_date,
	        "reported_on", cr->today));
}

static void
change_household(sn_tx *tx, sn_err err, const intake_household *h, void *arg)
{
	change_req *cr = arg;
	sn_problem  p;

	if (err != SN_OK && err != SN_ENOTFOUND) {
		sn_http_tx_fail(cr->req, tx, 503, "unavailable",
		    "the household could not be read; retry", NULL);
		return;
	}
	if (!intake_rules_change_access(
	        h, &cr->c, sn_http_principal(cr->req), false, &p)) {
		sn_http_tx_problem(cr->req, tx, &p);
		return;
	}
	change_write(cr, tx, h);
}

static void
change_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	change_req *cr = arg;
	cr->slot = (intake_store_household_slot) { change_household, cr };
	if (intake_store_qhousehold(tx, sn_http_param(req, "id"),
	        cr->c.has_member_id ? cr->c.member_id : "", &cr->slot)
	        != SN_OK
	    && !sn_tx_failed(tx))
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the household could not be read; retry", NULL);
}

void
intake_changes_report(sn_http_req *req, void *arg)
{
	change_req *cr = calloc(1, sizeof(*cr));
	sn_problem  p;
	sn_uuid     u;

	if (cr == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	sn_problem_clear(&p);
	cr->req = req;
	cr->h   = arg;
	sn_date_format(sn_clock_today(), cr->today);
	if (!beneficiary_id_ok(sn_http_param(req, "id")))
		sn_problem_set(&p, 404, "not_found", NULL,
		    "no such beneficiary household");
	else if (intake_codec_change(sn_http_json(req), &cr->c, &p))
		intake_rules_change(
		    &cr->c, sn_clock_today(), sn_http_principal(req), &p);
	if (p.status != 0) {
		sn_http_problem(req, &p);
		free(cr);
		return;
	}
	cr->details = details_of(sn_http_json(req));
	if (cr->details == NULL || sn_uuid_v4(&u) != SN_OK) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		change_end(cr);
		return;
	}
	sn_uuid_format(&u, cr->id);
	sn_http_tx_with_end(req, change_begin, change_end, cr);
}

/* ---- GET /households/{id}/changes ----------------------------------- */

static void
changes_read(void *arg, sn_err err, const intake_changes_view *v)
{
	sn_http_req *req = arg;
	sn_problem   p;

	if (err != SN_OK && err != SN_ENOTFOUND) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		return;
	}
	if (!intake_rules_change_access(v != NULL ? &v->household : NULL, NULL,
	        sn_http_principal(req), true, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	json_t *list = json_loads(v->json, 0, NULL);
	json_t *body
	    = list != NULL ? sn_page_answer(list, v->more, v->last) : NULL;
	if (body == NULL) {
		sn_http_reply_error(req, 500, "internal",
		    "the changes could not be read", NULL);
		return;
	}
	json_object_set_new(
	    body, "beneficiary_id", json_string(sn_http_param(req, "id")));
	json_object_set_new(
	    body, "application_id", json_string(v->household.application_id));
	json_object_set_new(body, "active", json_boolean(v->household.active));
	sn_http_reply_json(req, 200, body);
}

void
intake_changes_list(sn_http_req *req, void *arg)
{
	intake_handlers *h  = arg;
	const char      *id = sn_http_param(req, "id");
	sn_page          page;
	sn_problem       p;

	if (!beneficiary_id_ok(id)) {
		sn_http_reply_error(req, 404, "not_found",
		    "no such beneficiary household", NULL);
		return;
	}
	sn_problem_clear(&p);
	if (!sn_page_query(req, &page, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	intake_store_changes(
	    sn_service_db(h->svc), id, &page, changes_read, req);
}
