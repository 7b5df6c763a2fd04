/*
 * handlers.c - events and HTTP requests into investigation; see
 * handlers.h.
 */
#include "handlers.h"

#include "sn/assist.h"
#include "sn/page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rules.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/uuid.h"
#include "store.h"

#define ROLE "investigator"

/* ---- small helpers ----------------------------------------------------- */

static Sn__Assist__V1__Recommendation
recommendation_proto(investigation_recommendation r)
{
	switch (r) {
	case INVESTIGATION_REC_APPROVE:
		return SN__ASSIST__V1__RECOMMENDATION__RECOMMENDATION_APPROVE;
	case INVESTIGATION_REC_REJECT:
		return SN__ASSIST__V1__RECOMMENDATION__RECOMMENDATION_REJECT;
	case INVESTIGATION_REC_FURTHER_REVIEW:
		return SN__ASSIST__V1__RECOMMENDATION__RECOMMENDATION_FURTHER_REVIEW;
	case INVESTIGATION_REC_NONE:
		break;
	}
	return SN__ASSIST__V1__RECOMMENDATION__RECOMMENDATION_UNSPECIFIED;
}

/*
 * The district's day of the event (sn/clock.h): the first day its task
 * may be visited when it carries no acceptance date. An event whose time
 * does not read is dated today.
 */
static sn_date
event_day(const sn_event *ev)
{
	int64_t t;
	return investigation_rules_stamp_unix(ev->time, &t)
	    ? sn_clock_date_at(t)
	    : sn_clock_today();
}

static sn_err
bad_event(const sn_event *ev, const char *why)
{
	sn_log(SN_LOG_WARN, "malformed event skipped", "type", ev->type,
	    "subject", ev->subject, "reason", why, NULL);
	return SN_EPROTO;
}

/* ---- events ------------------------------------------------------------ */

/*
 * Checks an incoming household and its members and renders the members
 * as the JSON array store.h wants; NULL (with *why set) when the event
 * cannot open a task. The string is malloc'd.
 */
static char *
household_members(const Sn__Assist__V1__Household *hh,
    Sn__Assist__V1__Member *const *members, size_t n, const char **why)
{
	const char *ids[INVESTIGATION_MAX_MEMBERS];

	if (hh == NULL) {
		*why = "no household";
		return NULL;
	}
	if (!investigation_rules_codes_valid(
	        hh->district_code, hh->township_code, hh->village_code)) {
		*why = "district, township and village codes do not nest";
		return NULL;
	}
	if (n < 1 || n > INVESTIGATION_MAX_MEMBERS) {
		*why = "no members, or too many";
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = members[i]->id_number;
	if (!investigation_rules_members_valid(ids, n)) {
		*why = "a member's identity number is invalid or repeated";
		return NULL;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < n; i++) {
		const Sn__Assist__V1__Member *m = members[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
		    "id_number", m->id_number, "name", m->name, "relation",
		    m->relation, "birth_date", m->birth_date,
		    "labour_capacity",
		    sn_assist_or(
		        sn_assist_labour_name((int) m->labour_capacity),
		        "unspecified"),
		    "disability_grade", (int) m->disability_grade, "self_care",
		    sn_assist_or(sn_assist_self_care_name((int) m->self_care),
		        "unspecified"));
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	char *s = arr != NULL ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	if (s == NULL)
		*why = "member names or relations are not valid text";
	return s;
}

/* An optional date of an event: "" is none; false when it is not one. */
static bool
opt_date(const char *s, bool *has, sn_date *d)
{
	*has = s != NULL && s[0] != '\0';
	return !*has || investigation_rules_date_parse(s, d);
}

static const char *
event_uuid(const sn_event *ev)
{
	return sn_uuid_valid(ev->id) ? ev->id : NULL;
}

/* The task of a household (codes, address, applicant) as events name it. */
static void
task_household(investigation_new_task *t, const Sn__Assist__V1__Household *hh,
    Sn__Assist__V1__Member *const *members)
{
	t->registration
	    = sn_assist_or(sn_assist_registration_name((int) hh->registration),
	        "unspecified");
	t->district_code       = hh->district_code;
	t->township_code       = hh->township_code;
	t->village_code        = hh->village_code;
	t->address             = hh->address;
	t->has_able_supporter  = hh->has_able_supporter != 0;
	t->applicant_id_number = members[0]->id_number;
}

static void
task_declared(investigation_new_task *t, const Sn__Assist__V1__Income *in,
    const Sn__Assist__V1__Expenditure *out)
{
	t->has_declared         = true;
	t->wages_fen            = in != NULL ? in->wages_fen : 0;
	t->business_fen         = in != NULL ? in->business_fen : 0;
	t->pensions_fen         = in != NULL ? in->pensions_fen : 0;
	t->other_income_fen     = in != NULL ? in->other_fen : 0;
	t->medical_fen          = out != NULL ? out->medical_fen : 0;
	t->education_fen        = out != NULL ? out->education_fen : 0;
	t->housing_fen          = out != NULL ? out->housing_fen : 0;
	t->employment_costs_fen = out != NULL ? out->employment_costs_fen : 0;
}

static sn_err
on_submitted(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ApplicationSubmitted *m
	    = (const Sn__Assist__V1__ApplicationSubmitted *) msg;
	investigation_new_task t = { .kind = INVESTIGATION_KIND_APPLICATION };
	const char            *why = NULL;

	(void) arg;
	if (m->application_id[0] == '\0')
		return bad_event(ev, "no application id");
	if (!opt_date(m->accepted_date, &t.has_accepted_date, &t.accepted_date)
	    || !opt_date(
	        m->deadline_date, &t.has_deadline_date, &t.deadline_date))
		return bad_event(
		    ev, "accepted or deadline date is not YYYY-MM-DD");
	char *members
	    = household_members(m->household, m->members, m->n_members, &why);
	if (members == NULL)
		return bad_event(ev, why);
	task_household(&t, m->household, m->members);
	task_declared(&t, m->declared_income, m->declared_expenditure);
	t.origin_id      = m->application_id;
	t.application_id = m->application_id;
	t.not_before = t.has_accepted_date ? t.accepted_date : event_day(ev);
	t.requested_category
	    = sn_assist_category_name((int) m->requested_category);
	t.taken_in_by  = m->taken_in_by;
	t.source_event = event_uuid(ev);
	t.members_json = members;
	sn_err err     = investigation_store_open_task(tx, &t);
	free(members);
	return err;
}

static sn_err
on_withdrawn(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ApplicationWithdrawn *m
	    = (const Sn__Assist__V1__ApplicationWithdrawn *) msg;
	(void) arg;
	if (m->application_id[0] == '\0')
		return bad_event(ev, "no application id");
	return investigation_store_cancel_task(tx, m->application_id,
	    m->reason[0] != '\0' ? m->reason : "withdrawn");
}

static sn_err
on_review(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ReviewRequested *m
	    = (const Sn__Assist__V1__ReviewRequested *) msg;
	investigation_new_task t   = { .kind = INVESTIGATION_KIND_REVIEW };
	const char            *why = NULL;

	(void) arg;
	if (m->review_id[0] == '\0' || m->application_id[0] == '\0')
		return bad_event(ev, "no review or application id");
	/* The task's row keeps them in 128 bytes (investigation_task). */
	if (strlen(m->review_id) > 127 || strlen(m->application_id) > 127)
		return bad_event(ev, "review or application id too long");
	char *members
	    = household_members(m->household, m->members, m->n_members, &why);
	if (members == NULL)
		return bad_event(ev, why);
	task_household(&t, m->household, m->members);
	/* A change report's review carries the figures as reported. */
	if (m->declared_income != NULL || m->declared_expenditure != NULL)
		task_declared(&t, m->declared_income, m->declared_expenditure);
	t.origin_id      = m->review_id;
	t.application_id = m->application_id;
	t.review_id      = m->review_id;
	t.not_before     = event_day(ev);
	t.reason         = m->reason[0] != '\0' ? m->reason : NULL;
	t.source_event   = event_uuid(ev);
	t.members_json   = members;
	sn_err err       = investigation_store_open_task(tx, &t);
	free(members);
	return err;
}

/* The events followed, decoded by the bus (handlers.h). */
static const sn_bus_topic events[] = {
	{ "intake", "application.submitted",
	    &sn__assist__v1__application_submitted__descriptor, on_submitted },
	{ "intake", "application.withdrawn",
	    &sn__assist__v1__application_withdrawn__descriptor, on_withdrawn },
	{ "approval", "review.requested",
	    &sn__assist__v1__review_requested__descriptor, on_review },
};

/* ---- GET /tasks and GET /tasks/{id} ------------------------------------- */

static void
on_list_done(sn_err err, const investigation_task_page *page, void *arg)
{
	sn_http_req *req = arg;
	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the tasks could not be read; retry", NULL);
		return;
	}
	json_t *tasks = json_loads(page->tasks_json, 0, NULL);
	if (tasks == NULL) {
		sn_http_reply_error(
		    req, 500, "internal", "bad task list", NULL);
		return;
	}
	json_t *answer = sn_page_answer(tasks, page->more, page->last);
	if (answer == NULL)
		abort();
	sn_http_reply_json(req, 200, answer);
}

static void
on_list(sn_http_req *req, void *arg)
{
	investigation           *inv = arg;
	investigation_list_query q;
	sn_problem               why;
	/* Query parameters live only while the connection does: read now. */
	if (!investigation_rules_list_query(sn_http_query(req, "village"),
	        sn_http_query(req, "township"), sn_http_query(req, "status"),
	        sn_http_query(req, "limit"), sn_http_query(req, "cursor"),
	        sn_http_principal(req), &q, &why)) {
		sn_http_problem(req, &why);
		return;
	}
	investigation_store_list(
	    sn_service_db(inv->svc), &q, on_list_done, req);
}

/* The task document's village code, borrowed from doc. */
static const char *
doc_village(json_t *doc)
{
	json_t *hh = json_object_get(doc, "household");
	return json_string_value(json_object_get(hh, "village_code"));
}

static void
on_get_done(sn_err err, const char *text, void *arg)
{
	sn_http_req *req = arg;
	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the task could not be read; retry", NULL);
		return;
	}
	if (text == NULL) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such task", "id");
		return;
	}
	json_t *doc = json_loads(text, 0, NULL);
	if (doc == NULL) {
		sn_http_reply_error(req, 500, "internal", "bad task", NULL);
		return;
	}
	if (!sn_auth_within(sn_http_principal(req), doc_village(doc))) {
		json_decref(doc);
		sn_http_reply_error(req, 403, "outside_jurisdiction",
		    "the task's village is outside your jurisdiction", "id");
		return;
	}
	sn_http_reply_json(req, 200, doc);
}

static void
on_get(sn_http_req *req, void *arg)
{
	investigation *inv = arg;
	const char    *id  = sn_http_param(req, "id");
	if (!sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such task", "id");
		return;
	}
	investigation_store_task_doc(
	    sn_service_db(inv->svc), id, on_get_done, req);
}

/* ---- POST /tasks/{id}/report -------------------------------------------- */

static bool
refuse(
    sn_problem *why, const char *code, const char *message, const char *field)
{
	return sn_problem_set(why, 422, code, field, "%s", message);
}

static bool
decode_investigators(
    const json_t *body, investigation_report *r, sn_problem *why)
{
	static const char *const keys[] = { "user_id", "id_number", NULL };
	const json_t            *arr    = NULL;
	char                     prefix[48];

	if (!sn_in_array(body, "investigators", "", SN_IN_REQUIRED, &arr, why))
		return false;
	if (json_array_size(arr) > INVESTIGATION_MAX_INVESTIGATORS)
		return refuse(why, "two_investigators_required",
		    "a home visit is made and reported by exactly two "
		    "investigators",
		    "investigators");
	r->ninvestigators = json_array_size(arr);
	for (size_t i = 0; i < r->ninvestigators; i++) {
		const json_t               *o = json_array_get(arr, i);
		investigation_investigator *v = &r->investigators[i];
		snprintf(prefix, sizeof(prefix), "investigators[%zu].", i);
		if (!sn_in_only(o, keys, prefix, why)
		    || !sn_in_str(o, "user_id", prefix, SN_IN_REQUIRED, 0,
		        &v->user_id, why)
		    || !sn_in_str(o, "id_number", prefix, SN_IN_REQUIRED, 0,
		        &v->id_number, why))
			return false;
	}
	return true;
}

static bool
decode_members(const json_t *body, investigation_report *r, sn_problem *why)
{
	static const char *const keys[] = { "id_number", "present", NULL };
	const json_t            *arr    = NULL;
	char                     prefix[48];

	if (!sn_in_array(body, "members", "", SN_IN_REQUIRED, &arr, why))
		return false;
	if (json_array_size(arr) > INVESTIGATION_MAX_MEMBERS)
		return refuse(why, "too_many", "more members than a household",
		    "members");
	r->nmembers = json_array_size(arr);
	for (size_t i = 0; i < r->nmembers; i++) {
		const json_t           *o = json_array_get(arr, i);
		investigation_presence *m = &r->members[i];
		snprintf(prefix, sizeof(prefix), "members[%zu].", i);
		if (!sn_in_only(o, keys, prefix, why)
		    || !sn_in_str(o, "id_number", prefix, SN_IN_REQUIRED, 0,
		        &m->id_number, why)
		    || !sn_in_bool(o, "present", prefix, SN_IN_REQUIRED,
		        &m->present, why))
			return false;
	}
	return true;
}

/* Observations: free text, lines allowed, no other control character. */
static bool
decode_contradictions(
    const json_t *body, investigation_report *r, sn_problem *why)
{
	const json_t *arr = NULL;
	char          field[48];

	if (!sn_in_array(body, "contradictions", "", 0, &arr, why))
		return false;
	if (arr == NULL)
		return true;
	if (json_array_size(arr) > INVESTIGATION_MAX_CONTRADICTIONS)
		return refuse(why, "too_many", "at most 50 contradictions",
		    "contradictions");
	r->ncontradictions = json_array_size(arr);
	for (size_t i = 0; i < r->ncontradictions; i++) {
		const json_t *v = json_array_get(arr, i);
		snprintf(field, sizeof(field), "contradictions[%zu]", i);
		if (!json_is_string(v))
			return refuse(
			    why, "invalid_type", "must be a string", field);
		const char *s = json_string_value(v);
		/* A "\u0000" would end the C string early: the lengths
		 * must agree. */
		if (strlen(s) != json_string_length(v)
		    || !sn_in_text_ok(s, true))
			return refuse(why, "invalid_characters",
			    "must not hold control characters", field);
		r->contradictions[i] = s;
	}
	return true;
}

/*
 * The request body as a report, strings borrowed from body (sn/input.h:
 * unknown members, nested ones included, missing ones, wrong types and
 * nulls, control characters). Checks only the shape; rules.h checks the
 * content.
 */
bool
investigation_decode_report(
    const json_t *body, investigation_report *r, sn_problem *why)
{
	static const char *const keys[] = { "investigators", "visit_date",
		"members", "living_conditions", "housing_condition",
		"contradictions", "recommendation", NULL };
	const unsigned           req    = SN_IN_REQUIRED;
	const unsigned           text   = SN_IN_REQUIRED | SN_IN_MULTILINE;

	memset(r, 0, sizeof(*r));
	sn_problem_clear(why);
	return sn_in_only(body, keys, "", why)
	    && decode_investigators(body, r, why)
	    && sn_in_str(body, "visit_date", "", req, 0, &r->visit_date, why)
	    && decode_members(body, r, why)
	    && sn_in_str(body, "living_conditions", "", text, 0,
	        &r->living_conditions, why)
	    && sn_in_str(body, "housing_condition", "", text, 0,
	        &r->housing_condition, why)
	    && decode_contradictions(body, r, why)
	    && sn_in_str(
	        body, "recommendation", "", req, 0, &r->recommendation, why);
}

/*
 * One report request: what its transaction's callbacks need. Made by
 * on_report once the body has its shape, freed by report_end, which
 * sn_http_tx_with_end runs however the transaction ends.
 */
typedef struct report_req {
	sn_http_req                 *req;
	investigation               *inv;
	const char                  *id; /* the task's, borrowed from req */
	investigation_report         r;  /* strings borrowed from the body */
	investigation_recommendation rec;
	investigation_task_op        task_op;
	investigation_close_op       close_op;
	investigation_doc_op         doc_op;
} report_req;

static void
count_report(void *arg)
{
	sn_counter_add(arg, 1);
}

static void
on_report_doc(sn_tx *tx, sn_err err, const char *text, void *arg)
{
	report_req *rr = arg;
	json_t     *doc
	    = err == SN_OK && text != NULL ? json_loads(text, 0, NULL) : NULL;
	if (doc == NULL) {
		sn_http_tx_fail(rr->req, tx, 500, "internal",
		    "the task could not be read back", NULL);
		return;
	}
	sn_http_tx_reply(rr->req, tx, 201, doc);
}

static void
on_report_closed(sn_tx *tx, bool closed, void *arg)
{
	report_req *rr = arg;
	/* The task row is locked and was open: the report is in. */
	if (!closed)
		sn_http_tx_fail(rr->req, tx, 409, "task_not_open",
		    "the task is no longer open", "id");
}

/* The report's members and contradictions as the JSON the store keeps;
 * false without memory. Both malloc'd. */
static bool
report_texts(const investigation_report *r, char **mem_s, char **con_s)
{
	json_t *mem = json_array();
	json_t *con = json_array();
	bool    ok  = mem != NULL && con != NULL;
	for (size_t i = 0; ok && i < r->nmembers; i++)
		ok = json_array_append_new(mem,
		         json_pack("{s:s, s:b}", "id_number",
		             r->members[i].id_number, "present",
		             r->members[i].present))
		    == 0;
	for (size_t i = 0; ok && i < r->ncontradictions; i++)
		ok = json_array_append_new(
		         con, json_string(r->contradictions[i]))
		    == 0;
	*mem_s = ok ? json_dumps(mem, JSON_COMPACT) : NULL;
	*con_s = ok ? json_dumps(con, JSON_COMPACT) : NULL;
	json_decref(mem);
	json_decref(con);
	return *mem_s != NULL && *con_s != NULL;
}

/* Appends investigation.completed for the report of task t. */
static sn_err
append_completed(report_req *rr, sn_tx *tx, const investigation_task *t)
{
	const investigation_report     *r = &rr->r;
	const sn_principal             *p = sn_http_principal(rr->req);
	Sn__Assist__V1__MemberPresence  mp[INVESTIGATION_MAX_MEMBERS];
	Sn__Assist__V1__MemberPresence *mpp[INVESTIGATION_MAX_MEMBERS];
	char *users[2] = { (char *) r->investigators[0].user_id,
		(char *) r->investigators[1].user_id };
	for (size_t i = 0; i < r->nmembers; i++) {
		sn__assist__v1__member_presence__init(&mp[i]);
		mp[i].id_number = (char *) r->members[i].id_number;
		mp[i].present   = r->members[i].present;
		mpp[i]          = &mp[i];
	}
	Sn__Assist__V1__InvestigationCompleted ev
	    = SN__ASSIST__V1__INVESTIGATION_COMPLETED__INIT;
	ev.application_id    = (char *) t->application_id;
	ev.task_id           = (char *) rr->id;
	ev.n_investigators   = 2;
	ev.investigators     = users;
	ev.visit_date        = (char *) r->visit_date;
	ev.n_members         = r->nmembers;
	ev.members           = mpp;
	ev.living_conditions = (char *) r->living_conditions;
	ev.housing_condition = (char *) r->housing_condition;
	ev.n_contradictions  = r->ncontradictions;
	ev.contradictions    = (char **) r->contradictions;
	ev.recommendation    = recommendation_proto(rr->rec);
	ev.submitted_by      = (char *) p->user;
	ev.review_id         = (char *) t->review_id; /* "" for applications */
	return sn_bus_append_msg(sn_service_bus(rr->inv->svc), tx,
	    "investigation.completed", t->application_id, p->user, &ev.base);
}

/* Stores the checked report of task t, closes the task and appends
 * investigation.completed; the answer follows in on_report_doc. */
static void
write_report(report_req *rr, sn_tx *tx, const investigation_task *t)
{
	const investigation_report *r = &rr->r;
	const sn_principal         *p = sn_http_principal(rr->req);
	char                       *mem_s, *con_s;
	sn_date                     visit;
	if (!report_texts(r, &mem_s, &con_s)
	    || !investigation_rules_date_parse(r->visit_date, &visit)) {
		sn_http_tx_fail(
		    rr->req, tx, 503, "unavailable", "out of memory", NULL);
		goto out;
	}
	investigation_new_report nr = { .task_id = rr->id,
		.submitted_by                    = p->user,
		.investigator
		= { r->investigators[0].user_id, r->investigators[1].user_id },
		.investigator_idn    = { r->investigators[0].id_number,
		       r->investigators[1].id_number },
		.visit_date          = visit,
		.members_json        = mem_s,
		.living_conditions   = r->living_conditions,
		.housing_condition   = r->housing_condition,
		.contradictions_json = con_s,
		.recommendation      = rr->rec };
	rr->close_op = (investigation_close_op) { on_report_closed, rr };
	rr->doc_op   = (investigation_doc_op) { on_report_doc, rr };
	/* A failure to queue means the tx has failed already: the module
	 * answers for it. */
	if ((investigation_store_close_task(tx, &nr, &rr->close_op) != SN_OK
	        || append_completed(rr, tx, t) != SN_OK
	        || sn_tx_on_commit(tx, count_report, rr->inv->reports[rr->rec])
	            != SN_OK
	        || investigation_store_task_doc_tx(tx, rr->id, &rr->doc_op)
	            != SN_OK)
	    && !sn_tx_failed(tx))
		sn_http_tx_fail(rr->req, tx, 503, "unavailable",
		    "the report could not be stored; retry", NULL);
out:
	free(mem_s);
	free(con_s);
}

static void
on_report_task(sn_tx *tx, sn_err err, const investigation_task *t, void *arg)
{
	report_req         *rr = arg;
	const sn_principal *p  = sn_http_principal(rr->req);
	sn_problem          why;

	if (err != SN_OK) {
		sn_http_tx_fail(rr->req, tx, 503, "unavailable",
		    "the task could not be read; retry", NULL);
		return;
	}
	if (t == NULL) {
		sn_http_tx_fail(
		    rr->req, tx, 404, "not_found", "no such task", "id");
		return;
	}
	if (!investigation_rules_may_report(
	        t->status, sn_auth_within(p, t->village_code), &why)) {
		sn_http_tx_problem(rr->req, tx, &why);
		return;
	}
	investigation_report_ctx ctx = { .nmembers = t->nmembers,
		.applicant_id                      = t->applicant_id,
		.not_before                        = t->not_before,
		.today                             = sn_clock_today(),
		.caller_user                       = p->user,
		.caller_id_number                  = p->id_number };
	for (size_t i = 0; i < t->nmembers; i++)
		ctx.member_ids[i] = t->member_ids[i];
	if (!investigation_rules_check_report(&rr->r, &ctx, &why)) {
		sn_http_tx_problem(rr->req, tx, &why);
		return;
	}
	rr->rec = investigation_rules_recommendation(rr->r.recommendation);
	write_report(rr, tx, t);
}

static void
report_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	report_req *rr = arg;
	rr->task_op    = (investigation_task_op) { on_report_task, rr };
	if (investigation_store_task(tx, rr->id, &rr->task_op) != SN_OK
	    && !sn_tx_failed(tx))
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the task could not be read; retry", NULL);
}

static void
report_end(void *arg)
{
	free(arg);
}

static void
on_report(sn_http_req *req, void *arg)
{
	investigation *inv = arg;
	const char    *id  = sn_http_param(req, "id");
	sn_problem     why;

	if (!sn_uuid_valid(id)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such task", "id");
		return;
	}
	report_req *rr = calloc(1, sizeof(*rr));
	if (rr == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	/* The shape first, so that a malformed report never reaches the
	 * database; the content is checked against the locked task. */
	if (!investigation_decode_report(sn_http_json(req), &rr->r, &why)) {
		free(rr);
		sn_http_problem(req, &why);
		return;
	}
	rr->req = req;
	rr->inv = inv;
	rr->id  = id;
	sn_http_tx_with_end(req, report_begin, report_end, rr);
}

/* ---- metrics ------------------------------------------------------------ */

static sn_gauge *
township_gauge(investigation *inv, const char *code)
{
	for (size_t i = 0; i < inv->ntownships; i++)
		if (strcmp(inv->townships[i].code, code) == 0)
			return inv->townships[i].gauge;
	if (inv->ntownships == INVESTIGATION_MAX_TOWNSHIPS
	    || strlen(code) != 9)
		return NULL;
	char labels[64];
	snprintf(labels, sizeof(labels), "township=\"%s\"", code);
	sn_gauge *g = sn_metrics_gauge(sn_service_metrics(inv->svc),
	    "sn_investigation_open_tasks", "Open home-visit tasks", labels);
	if (g == NULL)
		return NULL;
	snprintf(inv->townships[inv->ntownships].code,
	    sizeof(inv->townships[0].code), "%s", code);
	inv->townships[inv->ntownships].gauge = g;
	inv->ntownships++;
	return g;
}

static void
on_counts(
    sn_err err, const investigation_open_count *rows, size_t n, void *arg)
{
	investigation *inv = arg;
	inv->refreshing    = false;
	if (err != SN_OK)
		return; /* the next tick tries again */
	for (size_t i = 0; i < inv->ntownships; i++)
		sn_gauge_set(inv->townships[i].gauge, 0);
	for (size_t i = 0; i < n; i++) {
		sn_gauge *g = township_gauge(inv, rows[i].township_code);
		if (g != NULL)
			sn_gauge_set(g, rows[i].open);
	}
}

static void
on_tick(void *arg)
{
	investigation *inv = arg;
	sn_db         *db  = sn_service_db(inv->svc);
	if (!sn_db_ready(db))
		return;
	if (!inv->refreshing) {
		inv->refreshing = true;
		investigation_store_open_counts(db, on_counts, inv);
	}
}

/* ---- wiring ------------------------------------------------------------- */

const sn_http_route_def investigation_routes[INVESTIGATION_NROUTES] = {
	{ "GET", "/tasks", 0, ROLE, on_list },
	{ "GET", "/tasks/{id}", 0, ROLE, on_get },
	{ "POST", "/tasks/{id}/report", SN_HTTP_IDEMPOTENT, ROLE, on_report },
};

sn_err
investigation_init(
    investigation *inv, sn_service *svc, const investigation_config *cfg)
{
	static const char *const recs[4]
	    = { "none", "approve", "reject", "further_review" };
	sn_bus *bus = sn_service_bus(svc);
	sn_err  err;

	memset(inv, 0, sizeof(*inv));
	inv->svc = svc;
	inv->cfg = *cfg;
	for (int i = 0; i < 4; i++) {
		char labels[64];
		snprintf(
		    labels, sizeof(labels), "recommendation=\"%s\"", recs[i]);
		inv->reports[i] = sn_metrics_counter(sn_service_metrics(svc),
		    "sn_investigation_reports_total",
		    "Home-visit reports committed, by recommendation", labels);
		if (inv->reports[i] == NULL)
			return SN_ENOMEM;
	}

	if ((err = sn_bus_on_table(
	         bus, events, sizeof(events) / sizeof(events[0]), inv))
	    != SN_OK)
		return err;

	sn_service_set_route_arg(svc, inv);
	return sn_service_every(svc, 0, inv->cfg.metrics_ms, on_tick, inv);
}
