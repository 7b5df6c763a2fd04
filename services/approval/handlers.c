/*
 * handlers.c - approval's events and HTTP requests: decode, rules, store,
 * outbox. See handlers.h.
 *
 * Glue only: every decision is a function of rules.h, every statement one
 * of store.h, every JSON document one of views.h. "Today" is the
 * district's (sn/clock.h).
 *
 * Memory across asynchronous steps: bus handlers read the decoded event
 * the bus owns, and their query callbacks need nothing but the row
 * (their store requests are static), so nothing is allocated that a
 * failed transaction could leak. An HTTP request that reads before it
 * writes keeps its parsed body and its store request in a context that
 * sn_http_tx_with_end frees however the transaction ends.
 */
#include "handlers.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "discrepancies.h"
#include "edge.h"
#include "held.h"
#include "overrides.h"
#include "payee.h"
#include "register_rules.h"
#include "rules.h"
#include "sn/assist.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "sn/uuid.h"
#include "store.h"
#include "views.h"

/* rules.h mirrors the protobuf enums by number. */
_Static_assert(
    (int) APPROVAL_CAT_NONE == SN__ASSIST__V1__CATEGORY__CATEGORY_NONE,
    "category numbers");
_Static_assert((int) APPROVAL_CAT_LOW_INCOME
        == SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME,
    "category numbers");
_Static_assert((int) APPROVAL_TIER_EDGE == SN__ASSIST__V1__TIER__TIER_EDGE,
    "tier numbers");
_Static_assert(
    (int) APPROVAL_LABOUR_NONE == SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_NONE,
    "labour numbers");
_Static_assert(
    (int) APPROVAL_CARE_UNABLE == SN__ASSIST__V1__SELF_CARE__SELF_CARE_UNABLE,
    "self-care numbers");
_Static_assert((int) APPROVAL_REG_RURAL
        == SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL,
    "registration numbers");
_Static_assert((int) APPROVAL_STAGE_VILLAGE_REVIEW
        == SN__ASSIST__V1__STAGE__STAGE_VILLAGE_REVIEW,
    "stage numbers");
_Static_assert(
    (int) APPROVAL_STAGE_WITHDRAWN == SN__ASSIST__V1__STAGE__STAGE_WITHDRAWN,
    "stage numbers");
#define STANDING_IS(a, b)                                                     \
	_Static_assert((int) APPROVAL_STANDING_##a                            \
	        == SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_##b,       \
	    "standing numbers")
STANDING_IS(UNSPECIFIED, STATUS_UNSPECIFIED);
STANDING_IS(ACTIVE, ACTIVE);
STANDING_IS(GRADUAL_EXIT, GRADUAL_EXIT);
STANDING_IS(EXITED, EXITED);
STANDING_IS(SUSPENDED, SUSPENDED);
#define CAUSE_IS(a)                                                           \
	_Static_assert((int) APPROVAL_CAUSE_##a                               \
	        == SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_##a,            \
	    "cause numbers")
CAUSE_IS(UNSPECIFIED);
CAUSE_IS(DECISION);
CAUSE_IS(REVIEW);
CAUSE_IS(CHANGE_REPORT);
CAUSE_IS(RERATING);
CAUSE_IS(EXIT);
CAUSE_IS(DEATH);
CAUSE_IS(MOVED);
CAUSE_IS(SUSPENSION);
CAUSE_IS(REPLACED);

static struct approval {
	sn_service *svc;
	sn_bus     *bus;
	sn_db      *db;
	sn_loop    *loop;
	int32_t     deadline_days;
	bool        tick_running;
	sn_gauge   *g_stage[APPROVAL_NSTAGES];
	sn_gauge   *g_overdue;
	sn_counter *c_refusals;
	sn_counter *c_overdue;
	sn_counter *c_computed;
	sn_counter *c_resubmit_ignored;
} A;

static bool
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static bool
code_valid(const char *s, size_t len)
{
	return s != NULL && strlen(s) == len && sn_auth_juris_valid(s);
}

/* One stage change: its timeline entry and its case.stage_changed. */
typedef struct stage_change {
	const char    *case_id;
	approval_stage from, to;
	const char    *actor;
	const char    *reason;
	const char    *township;
	bool           spot_check;
	const char    *action; /* the timeline's */
} stage_change;

static sn_err
stage_changed(sn_tx *tx, const stage_change *c)
{
	sn_err err = approval_store_timeline(tx, c->case_id, c->actor,
	    c->action, c->from, c->to, c->reason, NULL);
	if (err != SN_OK)
		return err;
	Sn__Assist__V1__CaseStageChanged m
	    = SN__ASSIST__V1__CASE_STAGE_CHANGED__INIT;
	m.case_id        = (char *) c->case_id;
	m.application_id = (char *) c->case_id;
	m.from           = (Sn__Assist__V1__Stage) c->from;
	m.to             = (Sn__Assist__V1__Stage) c->to;
	m.actor          = (char *) c->actor;
	m.reason         = (char *) (c->reason ? c->reason : "");
	m.township_code  = (char *) (c->township ? c->township : "");
	m.spot_check     = c->spot_check;
	return sn_bus_append_msg(
	    A.bus, tx, "case.stage_changed", c->case_id, c->actor, &m.base);
}

/* ---- events in ---------------------------------------------------------- */

static void inputs_got(
    sn_tx *tx, sn_err err, const approval_inputs *in, void *arg);
static const approval_inputs_req inputs_req = { inputs_got, NULL };

/* After storing a piece: lock the case, then look at what it has. */
static sn_err
join_case(sn_tx *tx, const char *case_id)
{
	sn_err err = approval_store_lock_case(tx, case_id);
	if (err == SN_OK)
		err = approval_store_inputs(tx, case_id, &inputs_req);
	return err;
}

/* The checks a submission passes before it is stored. */
static bool
submitted_valid(const Sn__Assist__V1__ApplicationSubmitted *s, sn_date *day)
{
	const Sn__Assist__V1__Household *h = s->household;
	return nonempty(s->application_id) && h != NULL
	    && code_valid(h->district_code, 6)
	    && code_valid(h->township_code, 9)
	    && code_valid(h->village_code, 12)
	    && strncmp(h->township_code, h->district_code, 6) == 0
	    && strncmp(h->village_code, h->township_code, 9) == 0
	    && approval_rules_date_parse(s->accepted_date, day)
	    && s->n_members >= 1 && s->n_members <= APPROVAL_MAX_MEMBERS;
}

static sn_err
on_submitted(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	(void) arg;
	const Sn__Assist__V1__ApplicationSubmitted *s = (const void *) msg;
	sn_date                                     accepted;
	if (!submitted_valid(s, &accepted))
		return SN_EPROTO;
	const Sn__Assist__V1__Household *h = s->household;
	const char                      *ids[APPROVAL_MAX_MEMBERS];
	for (size_t i = 0; i < s->n_members; i++)
		ids[i] = s->members[i]->id_number;
	char *sum = approval_views_submitted(s);
	if (sum == NULL)
		return SN_ENOMEM;
	approval_submission row = { .application_id = s->application_id,
		.data                               = ev->data,
		.len                                = ev->len,
		.accepted                           = accepted,
		.deadline      = sn_clock_deadline(accepted, A.deadline_days),
		.district_code = h->district_code,
		.township_code = h->township_code,
		.village_code  = h->village_code,
		.taken_in_by   = s->taken_in_by,
		.member_ids    = ids,
		.nmembers      = s->n_members,
		.summary_json  = sum };
	stage_change        ch  = { .case_id = s->application_id,
		        .to                  = APPROVAL_STAGE_GATHERING,
		        .actor               = ev->actor,
		        .reason              = "",
		        .township            = h->township_code,
		        .action              = "opened" };
	sn_err              err = approval_store_put_submitted(tx, &row);
	free(sum);
	if (err == SN_OK)
		err = stage_changed(tx, &ch);
	if (err == SN_OK)
		err = join_case(tx, s->application_id);
	return err;
}

static void
withdrawn_got(sn_tx *tx, sn_err err, const approval_withdrawal *w, void *arg)
{
	(void) arg;
	if (err == SN_ENOTFOUND)
		return; /* no open case: nothing to withdraw */
	if (err == SN_OK) {
		stage_change ch = { .case_id = w->case_id,
			.from                = w->from,
			.to                  = APPROVAL_STAGE_WITHDRAWN,
			.actor               = w->actor,
			.reason              = "withdrawn by the applicant",
			.township            = w->township_code,
			.action              = "withdrawn" };
		err             = stage_changed(tx, &ch);
	}
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static const approval_withdrawn_req withdrawn_req = { withdrawn_got, NULL };

static sn_err
on_withdrawn(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	(void) arg;
	const Sn__Assist__V1__ApplicationWithdrawn *w = (const void *) msg;
	if (!nonempty(w->application_id))
		return SN_EPROTO;
	return approval_store_withdraw(tx, w->application_id, w->reason,
	    nonempty(w->withdrawn_by) ? w->withdrawn_by : ev->actor,
	    &withdrawn_req);
}

/* Issue 10: application.resubmitted (approval_store_resubmit). */
static void
resubmitted_got(
    sn_tx *tx, sn_err err, const approval_resubmitted *r, void *arg)
{
	(void) arg;
	if (err == SN_OK && r->outcome == APPROVAL_RESUBMIT_IGNORED) {
		sn_counter_add(A.c_resubmit_ignored, 1);
		sn_log(SN_LOG_WARN, "resubmission ignored", "case", r->case_id,
		    "why", r->reason, NULL);
		return;
	}
	if (err == SN_OK && r->outcome == APPROVAL_RESUBMIT_REPEAT)
		return;
	if (err == SN_OK) {
		stage_change ch = { .case_id = r->case_id,
			.from                = r->from,
			.to                  = APPROVAL_STAGE_GATHERING,
			.actor               = r->actor,
			.reason              = r->amendment,
			.township            = r->township_code,
			.action              = "resubmitted" };
		err             = stage_changed(tx, &ch);
	}
	if (err == SN_OK)
		err = join_case(tx, r->case_id);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static const approval_resubmit_req resubmit_req = { resubmitted_got, NULL };

static sn_err
on_resubmitted(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	(void) arg;
	const Sn__Assist__V1__ApplicationSubmitted *s = (const void *) msg;
	sn_date                                     accepted;
	if (!submitted_valid(s, &accepted)
	    || !approval_edge_resubmission_valid(
	        s->revision, s->resubmitted_by))
		return SN_EPROTO;
	const char *ids[APPROVAL_MAX_MEMBERS];
	for (size_t i = 0; i < s->n_members; i++)
		ids[i] = s->members[i]->id_number;
	char *sum = approval_views_submitted(s);
	if (sum == NULL)
		return SN_ENOMEM;
	approval_resubmission row = { .application_id = s->application_id,
		.revision                             = s->revision,
		.data                                 = ev->data,
		.len                                  = ev->len,
		.summary_json                         = sum,
		.member_ids                           = ids,
		.nmembers                             = s->n_members,
		.resubmitted_by                       = s->resubmitted_by,
		.amendment = s->amendment ? s->amendment : "" };
	sn_err err = approval_store_lock_case(tx, s->application_id);
	if (err == SN_OK)
		err = approval_store_resubmit(tx, &row, &resubmit_req);
	free(sum);
	return err;
}

static sn_err join_review(sn_tx *tx, const char *review_id);

static sn_err
on_verification(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	(void) arg;
	const Sn__Assist__V1__VerificationCompleted *v = (const void *) msg;
	bool                                         complete = v->status
	    == SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE;
	if (!nonempty(v->application_id)
	    || (!complete
	        && v->status
	            != SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_INCOMPLETE)
	    || (complete && v->facts == NULL))
		return SN_EPROTO;
	char *facts = approval_views_facts(v->facts);
	if (facts == NULL)
		return SN_ENOMEM;
	approval_verification row = { .application_id = v->application_id,
		.complete                             = complete,
		.missing    = (const char *const *) v->missing_agencies,
		.nmissing   = v->n_missing_agencies,
		.attempt    = v->attempt,
		.data       = ev->data,
		.len        = ev->len,
		.facts_json = facts,
		.revision   = v->revision };
	/* A review's answer is kept apart: never the application's. */
	bool   review = nonempty(v->review_id);
	sn_err err    = review
	       ? approval_store_put_review_verification(tx, v->review_id, &row)
	       : approval_store_put_verification(tx, &row);
	free(facts);
	/* Issue 10: its discrepancies, on the row it was stored in. */
	char *disc = approval_discrepancies_json(v);
	if (err == SN_OK)
		err = disc == NULL
		    ? SN_ENOMEM
		    : approval_store_put_discrepancies(tx, v->application_id,
		        review ? v->review_id : NULL, ev->data, ev->len, disc);
	free(disc);
	if (err == SN_OK)
		err = review ? join_review(tx, v->review_id)
		             : join_case(tx, v->application_id);
	return err;
}

static sn_err
on_investigation(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	(void) ev;
	(void) arg;
	const Sn__Assist__V1__InvestigationCompleted *r = (const void *) msg;
	/* The steps read at most APPROVAL_MAX_LIST investigators back. */
	if (!nonempty(r->application_id) || r->n_investigators < 1
	    || r->n_investigators > APPROVAL_MAX_LIST)
		return SN_EPROTO;
	char *report = approval_views_report(r);
	if (report == NULL)
		return SN_ENOMEM;
	bool   review = nonempty(r->review_id);
	sn_err err    = review
	       ? approval_store_put_review_investigation(tx, r->review_id,
	           r->application_id, (const char *const *) r->investigators,
	           r->n_investigators, report)
	       : approval_store_put_investigation(tx, r->application_id,
	           (const char *const *) r->investigators, r->n_investigators,
	           report);
	free(report);
	if (err == SN_OK)
		err = review ? join_review(tx, r->review_id)
		             : join_case(tx, r->application_id);
	return err;
}

/* ---- the join: classify when everything is in --------------------------- */

/* Moves the case to HELD with reason (approval_rules_hold_needed said
 * so). */
static sn_err
hold(sn_tx *tx, const approval_inputs *in, const char *reason)
{
	stage_change ch  = { .case_id = in->case_id,
		 .from                = in->stage,
		 .to                  = APPROVAL_STAGE_HELD,
		 .actor               = "system",
		 .reason              = reason,
		 .township            = in->township_code,
		 .action              = "held" };
	sn_err       err = approval_store_set_stage(
	          tx, in->case_id, APPROVAL_STAGE_HELD, reason);
	if (err == SN_OK)
		err = stage_changed(tx, &ch);
	return err;
}

static sn_err
hold_once(sn_tx *tx, const approval_inputs *in, const char *reason)
{
	if (!approval_rules_hold_needed(in->stage, in->stage_reason, reason))
		return SN_OK;
	return hold(tx, in, reason);
}

static sn_err
release(sn_tx *tx, const approval_inputs *in)
{
	stage_change ch  = { .case_id = in->case_id,
		 .from                = APPROVAL_STAGE_HELD,
		 .to                  = APPROVAL_STAGE_GATHERING,
		 .actor               = "system",
		 .reason              = "verification complete",
		 .township            = in->township_code,
		 .action              = "released" };
	sn_err       err = approval_store_set_stage(
	          tx, in->case_id, APPROVAL_STAGE_GATHERING, "");
	if (err == SN_OK)
		err = stage_changed(tx, &ch);
	return err;
}

/* The household the rules classify, from the stored submission and
 * verification; members is filled (s->n_members of them). */
static void
household_of(const Sn__Assist__V1__ApplicationSubmitted *s,
    const Sn__Assist__V1__HouseholdFacts *f, approval_member *members,
    approval_household *hh)
{
	for (size_t i = 0; i < s->n_members; i++) {
		members[i].labour
		    = (approval_labour) s->members[i]->labour_capacity;
		members[i].self_care
		    = (approval_self_care) s->members[i]->self_care;
	}
	*hh = (approval_household) { .registration
		= (approval_registration) s->household->registration,
		.has_able_supporter    = s->household->has_able_supporter,
		.nmembers              = s->n_members,
		.members               = members,
		.gross_income_fen      = f->gross_income_fen,
		.income_per_member_fen = f->income_per_member_fen,
		.rigid_expenditure_per_member_fen
		= f->rigid_expenditure_per_member_fen,
		.financial_assets_per_member_fen
		= f->financial_assets_per_member_fen,
		.homes                = f->homes,
		.vehicles             = f->vehicles,
		.business_capital_fen = f->business_capital_fen };
	if (s->declared_income != NULL)
		hh->declared_wages_fen = s->declared_income->wages_fen;
	if (s->declared_expenditure != NULL) {
		hh->declared_medical_fen
		    = s->declared_expenditure->medical_fen;
		hh->declared_education_fen
		    = s->declared_expenditure->education_fen;
		hh->declared_housing_fen
		    = s->declared_expenditure->housing_fen;
	}
}

/* Stores computation comp (JSON) and result r under policy version of
 * case case_id, on its timeline, and moves it from stage from to
 * VILLAGE_REVIEW: an application's classification and a review's outcome
 * alike. */
static sn_err
ready_for_review(sn_tx *tx, const char *case_id, approval_stage from,
    const char *township, const char *version, const approval_result *r,
    const char *comp)
{
	stage_change ch = { .case_id = case_id,
		.from                = from,
		.to                  = APPROVAL_STAGE_VILLAGE_REVIEW,
		.actor               = "system",
		.reason              = "",
		.township            = township,
		.action              = "ready_for_review" };
	sn_err       err
	    = approval_store_set_computed(tx, case_id, version, r, comp);
	if (err == SN_OK)
		err = approval_store_timeline(tx, case_id, "system",
		    "computed", APPROVAL_STAGE_UNSPECIFIED,
		    APPROVAL_STAGE_UNSPECIFIED, "", comp);
	if (err == SN_OK)
		err = stage_changed(tx, &ch);
	if (err == SN_OK)
		sn_counter_add(A.c_computed, 1);
	return err;
}

/* Stores the computation and moves the case to VILLAGE_REVIEW. */
static sn_err
computed(sn_tx *tx, const approval_inputs *in, const approval_household *hh,
    const approval_result *r)
{
	char *comp = approval_views_computation(&in->policy, hh, r);
	if (comp == NULL)
		return SN_ENOMEM;
	sn_err err = ready_for_review(tx, in->case_id, in->stage,
	    in->township_code, in->policy.version, r, comp);
	if (err == SN_OK) /* issue 10: why no category, "" for one */
		err = approval_store_rule_reason(tx, in->case_id,
		    approval_edge_rule_reason(&in->policy, r));
	free(comp);
	return err;
}

static sn_err
classify(sn_tx *tx, const approval_inputs *in)
{
	Sn__Assist__V1__ApplicationSubmitted *s
	    = sn__assist__v1__application_submitted__unpack(
	        NULL, in->submitted.len, in->submitted.data);
	Sn__Assist__V1__VerificationCompleted *v
	    = sn__assist__v1__verification_completed__unpack(
	        NULL, in->verification.len, in->verification.data);
	sn_err err;
	if (s == NULL || v == NULL || v->facts == NULL || s->household == NULL
	    || s->n_members > APPROVAL_MAX_MEMBERS) {
		/* Stored by us after the same checks: cannot happen. */
		err = hold_once(tx, in, "stored inputs unreadable");
		goto out;
	}
	approval_member    members[APPROVAL_MAX_MEMBERS];
	approval_household hh;
	approval_result    r;
	household_of(s, v->facts, members, &hh);
	sn_err rerr = approval_rules_classify(&in->policy, &hh, &r);
	if (rerr != SN_OK) {
		char why[96];
		snprintf(why, sizeof(why), "cannot classify: %s",
		    sn_strerror(rerr));
		err = hold_once(tx, in, why);
		goto out;
	}
	err = computed(tx, in, &hh, &r);
out:
	sn__assist__v1__application_submitted__free_unpacked(s, NULL);
	sn__assist__v1__verification_completed__free_unpacked(v, NULL);
	return err;
}

static void
inputs_got(sn_tx *tx, sn_err err, const approval_inputs *in, void *arg)
{
	(void) arg;
	if (err == SN_ENOTFOUND)
		return; /* not submitted yet, or past gathering */
	approval_join j = { APPROVAL_JOIN_WAIT, "" };
	if (err == SN_OK) {
		approval_join_state st = { .stage = in->stage,
			.stage_reason             = in->stage_reason,
			.has_verification         = in->has_verification,
			.verification_complete    = in->verification_complete,
			.missing                  = in->missing,
			.investigation_in         = in->investigation_in,
			.has_policy               = in->has_policy };
		approval_rules_join(&st, &j);
	}
	switch (j.action) {
	case APPROVAL_JOIN_WAIT:
		break;
	case APPROVAL_JOIN_HOLD:
		err = hold(tx, in, j.reason);
		break;
	case APPROVAL_JOIN_RELEASE:
		err = release(tx, in);
		break;
	case APPROVAL_JOIN_CLASSIFY:
		err = classify(tx, in);
		break;
	}
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

/* ---- review cases (issue 9: a review is a case) ---------------------- */

/* A review's household at review and its outcome: the unpacked events
 * the strings point into (review_facts_fini frees them). */
typedef struct review_facts {
	Sn__Assist__V1__ApplicationSubmitted    *s;
	Sn__Assist__V1__HouseholdChangeReported *c; /* NULL: none */
	Sn__Assist__V1__VerificationCompleted   *v;
	approval_member                          members[APPROVAL_MAX_MEMBERS];
	const char                              *ids[APPROVAL_MAX_MEMBERS];
	approval_household                       hh;
	approval_income                          inc;
	approval_entry                           e;
	approval_change                          chg;
} review_facts;

static void
review_facts_fini(review_facts *f)
{
	sn__assist__v1__application_submitted__free_unpacked(f->s, NULL);
	sn__assist__v1__household_change_reported__free_unpacked(f->c, NULL);
	sn__assist__v1__verification_completed__free_unpacked(f->v, NULL);
}

/* True if id is one of reg's members. */
static bool
still_member(const approval_register_row *reg, const char *id)
{
	for (size_t i = 0; i < reg->nmembers; i++)
		if (strcmp(reg->member_ids[i], id) == 0)
			return true;
	return false;
}

/* The members at review: the change's when it lists them, else the
 * submission's still in the register (an earlier review may have taken
 * one out) without the deceased of a death report. */
static void
review_members(review_facts *f, const approval_register_row *reg)
{
	const Sn__Assist__V1__HouseholdChangeReported *c = f->c;
	bool                     listed = c != NULL && c->n_members > 0;
	size_t                   n  = listed ? c->n_members : f->s->n_members;
	Sn__Assist__V1__Member **ms = listed ? c->members : f->s->members;
	bool                     dead = c != NULL && !listed
	    && c->kind == SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH
	    && nonempty(c->member_id_number);
	f->hh.nmembers = 0;
	for (size_t i = 0; i < n && f->hh.nmembers < APPROVAL_MAX_MEMBERS;
	     i++) {
		if (dead && strcmp(ms[i]->id_number, c->member_id_number) == 0)
			continue;
		if (!listed && !still_member(reg, ms[i]->id_number))
			continue;
		approval_member *m = &f->members[f->hh.nmembers];
		m->labour          = (approval_labour) ms[i]->labour_capacity;
		m->self_care       = (approval_self_care) ms[i]->self_care;
		f->ids[f->hh.nmembers++] = ms[i]->id_number;
	}
}

/* The household at review (design section 6): the review's verified
 * facts, the members (review_members), the registration and supporter
 * of the household as changed or submitted, the declared figures of the
 * change, else of the submission. */
static void
review_household(review_facts *f, const approval_register_row *reg)
{
	const Sn__Assist__V1__HouseholdChangeReported *c  = f->c;
	const Sn__Assist__V1__HouseholdFacts          *hf = f->v->facts;
	const Sn__Assist__V1__Household               *h
	    = c != NULL && c->household != NULL && c->household->registration
	    ? c->household
	    : f->s->household;
	const Sn__Assist__V1__Income      *in = c != NULL && c->income != NULL
	         ? c->income
	         : f->s->declared_income;
	const Sn__Assist__V1__Expenditure *ex
	    = c != NULL && c->expenditure != NULL ? c->expenditure
	                                          : f->s->declared_expenditure;
	f->hh = (approval_household) { .registration
		= (approval_registration) h->registration,
		.has_able_supporter    = h->has_able_supporter,
		.members               = f->members,
		.gross_income_fen      = hf->gross_income_fen,
		.income_per_member_fen = hf->income_per_member_fen,
		.rigid_expenditure_per_member_fen
		= hf->rigid_expenditure_per_member_fen,
		.financial_assets_per_member_fen
		= hf->financial_assets_per_member_fen,
		.homes                = hf->homes,
		.vehicles             = hf->vehicles,
		.business_capital_fen = hf->business_capital_fen };
	review_members(f, reg);
	if (in != NULL) {
		f->hh.declared_wages_fen = in->wages_fen;
		f->inc = (approval_income) { in->wages_fen, in->business_fen,
			in->pensions_fen, in->other_fen };
	}
	if (ex != NULL) {
		f->hh.declared_medical_fen   = ex->medical_fen;
		f->hh.declared_education_fen = ex->education_fen;
		f->hh.declared_housing_fen   = ex->housing_fen;
	}
}

/* The outcome of review in decided in month decided into f (the caller
 * runs review_facts_fini whatever this returns). SN_EPROTO for stored
 * events that do not read; the rules' errors otherwise. */
static sn_err
review_compute(
    const approval_review_inputs *in, sn_month decided, review_facts *f)
{
	memset(f, 0, sizeof(*f));
	if (!in->reg.has_submitted || !in->has_verification || !in->has_policy)
		return SN_EPROTO;
	f->s = sn__assist__v1__application_submitted__unpack(
	    NULL, in->reg.submitted.len, in->reg.submitted.data);
	f->v = sn__assist__v1__verification_completed__unpack(
	    NULL, in->verification.len, in->verification.data);
	if (in->has_change)
		f->c = sn__assist__v1__household_change_reported__unpack(
		    NULL, in->change.len, in->change.data);
	if (f->s == NULL || f->s->household == NULL || f->v == NULL
	    || f->v->facts == NULL || (in->has_change && f->c == NULL))
		return SN_EPROTO;
	review_household(f, &in->reg);
	f->e = (approval_entry) { .category = in->reg.category,
		.tier                       = in->reg.tier,
		.monthly_amount_fen         = in->reg.monthly_amount_fen,
		.standing                   = in->reg.status,
		.until_month                = in->reg.until_month };
	return approval_rules_review_case(&in->policy.policy, &f->hh, &f->e,
	    decided, f->c == NULL,
	    f->c != NULL ? (approval_change_kind) f->c->kind
	                 : APPROVAL_CHANGE_NONE,
	    &f->chg);
}

/* The review's outcome (views) as computed in month decided. */
static char *
review_outcome_json(
    const approval_review_inputs *in, const review_facts *f, sn_month decided)
{
	return approval_views_review_outcome(&f->chg,
	    in->policy.policy.version, decided,
	    approval_review_kind_names[in->kind]);
}

/* Everything is in: the outcome as of this month is stored as the
 * case's computation and the case moves to VILLAGE_REVIEW; one the rules
 * refuse holds it. */
static sn_err
review_classify(
    sn_tx *tx, const approval_review_inputs *in, const approval_inputs *as)
{
	review_facts f;
	sn_month     month = sn_clock_month();
	sn_err       rerr  = review_compute(in, month, &f);
	sn_err       err;
	if (rerr != SN_OK) {
		char why[96];
		snprintf(
		    why, sizeof(why), "cannot review: %s", sn_strerror(rerr));
		err = hold_once(tx, as, why);
		review_facts_fini(&f);
		return err;
	}
	approval_result r    = { .category = f.chg.category,
		   .tier                   = f.chg.tier,
		   .monthly_amount_fen     = f.chg.amount_fen };
	char           *comp = review_outcome_json(in, &f, month);
	review_facts_fini(&f);
	if (comp == NULL)
		return SN_ENOMEM;
	err = ready_for_review(tx, in->case_id, in->stage,
	    in->reg.township_code, in->policy.policy.version, &r, comp);
	free(comp);
	return err;
}

/* The hold of a review: the join's, said of the consent when it had
 * lapsed by the day the review opened (verification asked nobody). */
static void
review_hold_reason(const approval_review_inputs *in, approval_join *j)
{
	if (!in->has_verification || in->verification_complete)
		return;
	Sn__Assist__V1__ApplicationSubmitted *s         = in->reg.has_submitted
	            ? sn__assist__v1__application_submitted__unpack(
	                NULL, in->reg.submitted.len, in->reg.submitted.data)
	            : NULL;
	sn_date                               signed_on = { 0, 0, 0 };
	bool has = s != NULL && s->consent != NULL
	    && nonempty(s->consent->reference)
	    && approval_rules_date_parse(s->consent->signed_date, &signed_on);
	approval_rules_review_hold_reason(
	    has, signed_on, in->opened_on, in->missing, j->reason);
	sn__assist__v1__application_submitted__free_unpacked(s, NULL);
}

static void
review_inputs_got(
    sn_tx *tx, sn_err err, const approval_review_inputs *in, void *arg)
{
	(void) arg;
	if (err == SN_ENOTFOUND)
		return; /* no such review case, or past gathering */
	approval_join   j  = { APPROVAL_JOIN_WAIT, "" };
	approval_inputs as = { 0 };
	if (err == SN_OK) {
		as = (approval_inputs) { .case_id = in->case_id,
			.stage                    = in->stage,
			.stage_reason             = in->stage_reason,
			.township_code            = in->reg.township_code };
		approval_join_state st = { .stage = in->stage,
			.stage_reason             = in->stage_reason,
			.has_verification         = in->has_verification,
			.verification_complete    = in->verification_complete,
			.missing                  = in->missing,
			.investigation_in         = in->investigation_in,
			.has_policy               = in->has_policy };
		approval_rules_join(&st, &j);
		if (j.action == APPROVAL_JOIN_HOLD)
			review_hold_reason(in, &j);
	}
	if (err == SN_OK && j.action == APPROVAL_JOIN_HOLD)
		err = hold_once(tx, &as, j.reason);
	else if (err == SN_OK && j.action == APPROVAL_JOIN_RELEASE)
		err = release(tx, &as);
	else if (err == SN_OK && j.action == APPROVAL_JOIN_CLASSIFY)
		err = review_classify(tx, in, &as);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static const approval_review_inputs_req review_inputs_req
    = { review_inputs_got, NULL };

/* After storing a review's answer: lock its case, look at what it has
 * (nothing for an unknown review or one past gathering). */
static sn_err
join_review(sn_tx *tx, const char *review_id)
{
	static const approval_stage gathering[]
	    = { APPROVAL_STAGE_GATHERING, APPROVAL_STAGE_HELD };
	sn_err err = approval_store_lock_case(tx, review_id);
	if (err == SN_OK)
		err = approval_store_review_inputs(tx, review_id, gathering, 2,
		    sn_clock_today(), &review_inputs_req);
	return err;
}

/* ---- HTTP: reads ----------------------------------------------------------
 */

static void
reply_unavailable(sn_http_req *req)
{
	sn_http_reply_error(req, 503, "unavailable",
	    "the database did not answer; retry", NULL);
}

/* Answers a stored JSON document, under key unless NULL; clock: each
 * case in it with its clock (held.h). */
static void
reply_doc(
    sn_http_req *req, sn_err err, const char *doc, const char *key, bool clock)
{
	if (err == SN_ENOTFOUND) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such case", NULL);
		return;
	}
	if (err != SN_OK) {
		reply_unavailable(req);
		return;
	}
	json_t *j = json_loads(doc, 0, NULL);
	if (j == NULL) {
		sn_http_reply_error(
		    req, 500, "internal", "bad stored JSON", NULL);
		return;
	}
	if (clock)
		approval_held_clocks(j, sn_clock_today());
	if (key != NULL)
		j = json_pack("{s:o}", key, j);
	sn_http_reply_json(req, 200, j);
}

static void
case_got(void *arg, sn_err err, const char *doc)
{
	reply_doc(arg, err, doc, NULL, true); /* issue 10: with its clock */
}

static void
get_case(sn_http_req *req, void *arg)
{
	(void) arg;
	const sn_principal *p = sn_http_principal(req);
	approval_store_case_get(
	    A.db, sn_http_param(req, "id"), p->juris, case_got, req);
}

/* A page's answer (sn/page.h): {items, next} and, for one release, the
 * items again under alias, the list's name before paging (NULL: none);
 * clock: each case with its clock (held.h). NULL when it was answered
 * already (an error). */
static json_t *
page_doc(sn_http_req *req, sn_err err, const approval_page *p,
    const char *alias, bool clock)
{
	if (err != SN_OK) {
		reply_unavailable(req);
		return NULL;
	}
	json_t *items = json_loads(p->items_json, 0, NULL);
	if (items == NULL) {
		sn_http_reply_error(
		    req, 500, "internal", "bad stored JSON", NULL);
		return NULL;
	}
	if (clock)
		approval_held_clocks(items, sn_clock_today());
	json_t *ans = sn_page_answer(items, p->more, p->last);
	if (ans != NULL && alias != NULL)
		json_object_set(ans, alias, items);
	return ans;
}

static void
reply_page(sn_http_req *req, sn_err err, const approval_page *p,
    const char *alias, bool clock)
{
	json_t *ans = page_doc(req, err, p, alias, clock);
	if (ans != NULL)
		sn_http_reply_json(req, 200, ans);
}

static void
cases_paged(void *arg, sn_err err, const approval_page *p)
{
	reply_page(arg, err, p, "cases", true); /* issue 10: with clocks */
}

/* A boolean query parameter (absent: *has false). */
static bool
query_bool(const char *v, bool *has, bool *out)
{
	*has = v != NULL;
	*out = v != NULL && strcmp(v, "true") == 0;
	return v == NULL || strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
}

/* The query of GET /cases; false with *prob (400 invalid_query). */
static bool
case_filter(sn_http_req *req, approval_case_filter *f, sn_problem *prob)
{
	const char *stage    = sn_http_query(req, "stage");
	const char *category = sn_http_query(req, "category");
	const char *overdue  = sn_http_query(req, "overdue");
	memset(f, 0, sizeof(*f));
	f->township = sn_http_query(req, "township");
	f->stage    = approval_rules_stage_parse(stage);
	f->category = approval_rules_category_parse(category);
	if (f->township != NULL && !code_valid(f->township, 9))
		return sn_problem_set(prob, 400, "invalid_query", "township",
		    "township is a 9-digit township code");
	if (stage != NULL && f->stage == APPROVAL_STAGE_UNSPECIFIED)
		return sn_problem_set(prob, 400, "invalid_query", "stage",
		    "stage is one of GATHERING, HELD, VILLAGE_REVIEW, "
		    "TOWNSHIP_CONFIRM, DISTRICT_FILING, FILED, REJECTED, "
		    "RETURNED, WITHDRAWN");
	if (category != NULL && f->category == APPROVAL_CAT_UNSPECIFIED)
		return sn_problem_set(prob, 400, "invalid_query", "category",
		    "category is one of tekun, dibao, expenditure, "
		    "low_income, emergency, none");
	if (overdue != NULL && strcmp(overdue, "true") != 0
	    && strcmp(overdue, "false") != 0)
		return sn_problem_set(prob, 400, "invalid_query", "overdue",
		    "overdue is true or false");
	f->has_overdue = overdue != NULL;
	f->overdue     = f->has_overdue && strcmp(overdue, "true") == 0;
	f->kind        = sn_http_query(req, "kind");
	if (f->kind != NULL && strcmp(f->kind, "application") != 0
	    && strcmp(f->kind, "review") != 0)
		return sn_problem_set(prob, 400, "invalid_query", "kind",
		    "kind is application or review");
	if (!query_bool(sn_http_query(req, "override"), &f->has_override,
	        &f->override))
		return sn_problem_set(prob, 422, "invalid_query", "override",
		    "override is true or false");
	/* Issue 10 (approval-A): held=true, the HELD cases. */
	const char *held = sn_http_query(req, "held");
	f->held          = held != NULL;
	if (held != NULL
	    && (strcmp(held, "true") != 0
	        || (stage != NULL && f->stage != APPROVAL_STAGE_HELD)))
		return sn_problem_set(prob, 422, "invalid_query", "held",
		    "held is true (the HELD cases; stage, if given, HELD)");
	return true;
}

static void
list_cases(sn_http_req *req, void *arg)
{
	(void) arg;
	approval_case_filter f;
	sn_page              pg;
	sn_problem           prob;
	sn_problem_clear(&prob);
	if (!case_filter(req, &f, &prob) || !sn_page_query(req, &pg, &prob)) {
		sn_http_problem(req, &prob);
		return;
	}
	approval_store_case_page(A.db, sn_http_principal(req)->juris, &f,
	    pg.after, pg.limit, cases_paged, req);
}

/* The page's answer (sn/page.h): {items, next} and, deprecated for one
 * release, beneficiaries (the same items) and next_cursor (= next). */
static void
beneficiaries_paged(void *arg, sn_err err, const approval_beneficiary_page *p)
{
	json_t *ans = page_doc(arg, err, p, "beneficiaries", false);
	if (ans == NULL)
		return;
	/* next_cursor: the name of next before sn/page.h, for one release */
	json_object_set(ans, "next_cursor", json_object_get(ans, "next"));
	sn_http_reply_json(arg, 200, ans);
}

static bool
bad_query(sn_problem *prob, const char *field, const char *what)
{
	return sn_problem_set(prob, 422, "invalid_query", field, "%s", what);
}

/* The paging and date members of GET /beneficiaries' query. */
static bool
page_query(sn_http_req *req, approval_beneficiary_filter *f, sn_problem *prob)
{
	const char *due = sn_http_query(req, "review_due");
	sn_page     pg;
	if (!sn_page_query(req, &pg, prob))
		return false;
	f->limit          = pg.limit;
	f->after          = pg.after;
	f->has_review_due = due != NULL;
	if (due != NULL && !approval_rules_date_parse(due, &f->review_due))
		return bad_query(
		    prob, "review_due", "review_due is a date YYYY-MM-DD");
	return true;
}

/* The query of GET /beneficiaries; false with *prob (422 invalid_query
 * naming the parameter). */
static bool
beneficiary_filter(
    sn_http_req *req, approval_beneficiary_filter *f, sn_problem *prob)
{
	const char *category = sn_http_query(req, "category");
	const char *status   = sn_http_query(req, "status");
	memset(f, 0, sizeof(*f));
	f->township = sn_http_query(req, "township");
	f->village  = sn_http_query(req, "village");
	f->category = approval_rules_category_parse(category);
	f->status   = approval_register_status_parse(status);
	if (f->township != NULL && !code_valid(f->township, 9))
		return bad_query(
		    prob, "township", "township is a 9-digit township code");
	if (f->village != NULL && !code_valid(f->village, 12))
		return bad_query(
		    prob, "village", "village is a 12-digit village code");
	if (category != NULL && f->category == APPROVAL_CAT_UNSPECIFIED)
		return bad_query(prob, "category",
		    "category is one of tekun, dibao, expenditure, "
		    "low_income, emergency, none");
	if (status != NULL && f->status == APPROVAL_STANDING_UNSPECIFIED)
		return bad_query(prob, "status",
		    "status is one of ACTIVE, GRADUAL_EXIT, SUSPENDED, "
		    "EXITED");
	return page_query(req, f, prob);
}

static void
list_beneficiaries(sn_http_req *req, void *arg)
{
	(void) arg;
	approval_beneficiary_filter f;
	sn_problem                  prob;
	sn_problem_clear(&prob);
	if (!beneficiary_filter(req, &f, &prob)) {
		sn_http_problem(req, &prob);
		return;
	}
	approval_store_beneficiary_page(
	    A.db, sn_http_principal(req)->juris, &f, beneficiaries_paged, req);
}

static void
beneficiary_got(void *arg, sn_err err, const char *doc)
{
	sn_http_req *req = arg;
	if (err == SN_ENOTFOUND) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such beneficiary", NULL);
		return;
	}
	reply_doc(req, err, doc, NULL, false);
}

static void
get_beneficiary(sn_http_req *req, void *arg)
{
	(void) arg;
	approval_store_beneficiary_get(A.db, sn_http_param(req, "id"),
	    sn_http_principal(req)->juris, beneficiary_got, req);
}

/* ---- HTTP: policy
 * ------------------------------------------------------------ */

/* A GET /policy between its two reads. */
typedef struct policy_get {
	sn_http_req *req;
	json_t      *reasons; /* {version: [{code, label}]} */
} policy_get;

/* Issue 10: each version's override reasons, and the ones in force. */
static void
with_reasons(json_t *ans, json_t *reasons)
{
	json_t *v;
	size_t  i;
	json_array_foreach(json_object_get(ans, "versions"), i, v)
	{
		json_t *r = json_object_get(
		    reasons, json_string_value(json_object_get(v, "version")));
		json_object_set(v, "override_reasons", r ? r : json_null());
	}
	const char *now = json_string_value(json_object_get(ans, "in_force"));
	json_t     *r   = now != NULL ? json_object_get(reasons, now) : NULL;
	json_object_set(ans, "override_reasons", r ? r : json_null());
}

static void
policy_listed(
    void *arg, sn_err err, const approval_policy_version *v, size_t n)
{
	policy_get   g   = *(policy_get *) arg;
	sn_http_req *req = g.req;
	free(arg);
	if (err != SN_OK) {
		json_decref(g.reasons);
		reply_unavailable(req);
		return;
	}
	ptrdiff_t now = approval_rules_in_force(v, n, sn_clock_today());
	json_t   *ans = approval_views_policies(v, n, now);
	with_reasons(ans, g.reasons);
	json_decref(g.reasons);
	sn_http_reply_json(req, 200, ans);
}

static void
reasons_got(void *arg, sn_err err, const char *doc)
{
	sn_http_req *req = arg;
	json_t      *r   = err == SN_OK ? json_loads(doc, 0, NULL) : NULL;
	policy_get  *g   = r != NULL ? malloc(sizeof(*g)) : NULL;
	if (g == NULL) {
		json_decref(r);
		reply_unavailable(req);
		return;
	}
	*g = (policy_get) { req, r };
	approval_store_policy_list(A.db, policy_listed, g);
}

static void
get_policy(sn_http_req *req, void *arg)
{
	(void) arg;
	approval_store_override_reasons(A.db, reasons_got, req);
}

/* A POST /policy across its transaction. */
typedef struct policy_req {
	sn_http_req            *req;
	approval_policy_version v;
	bool                    force;
	const char             *force_reason; /* in the body; NULL: none */
	bool reg_given[APPROVAL_REGISTER_NFIELDS]; /* in the body */
	approval_taken_req taken;
} policy_req;

/* The answer to POST /policy: the body as given, the register figures
 * as stored, and the new ratio. */
static json_t *
policy_answer(
    const json_t *body, const approval_register_policy *rp, int64_t ratio)
{
	json_t *o = json_deep_copy(body);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "ratio_permille", json_integer(ratio));
	for (size_t i = 0; i < APPROVAL_REGISTER_NFIELDS; i++)
		json_object_set_new(o, approval_register_fields[i].name,
		    json_integer(approval_register_field_get(
		        rp, &approval_register_fields[i])));
	return o;
}

/* The register figures the body did not give: the version in force's
 * (the compiled defaults when none is in force). */
static void
policy_register_defaults(policy_req *c, const approval_policy_taken *t)
{
	const approval_register_policy *from = t->has_in_force
	    ? &t->in_force
	    : &approval_register_policy_default;
	for (size_t i = 0; i < APPROVAL_REGISTER_NFIELDS; i++)
		if (!c->reg_given[i])
			approval_register_field_set(&c->v.reg,
			    &approval_register_fields[i],
			    approval_register_field_get(
			        from, &approval_register_fields[i]));
}

static void
policy_taken(sn_tx *tx, sn_err err, const approval_policy_taken *t, void *arg)
{
	policy_req *c = arg;
	sn_problem  prob;
	sn_problem_clear(&prob);
	if (err != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	approval_policy prev  = { .urban_min_fen = t->prev_urban_min_fen,
		 .rural_min_fen                  = t->prev_rural_min_fen };
	int64_t         ratio = 0;
	if (!approval_rules_policy_add(
	        t, c->v.effective_from, sn_clock_today(), &prob)
	    || !approval_rules_ratio_check(c->v.policy.urban_min_fen,
	        c->v.policy.rural_min_fen, t->has_prev ? &prev : NULL,
	        c->force, c->force_reason, &ratio, &prob)) {
		if (strcmp(prob.field, "reason") == 0)
			snprintf(
			    prob.field, sizeof(prob.field), "force_reason");
		sn_http_tx_problem(c->req, tx, &prob);
		return;
	}
	policy_register_defaults(c, t);
	const json_t *reasons
	    = json_object_get(sn_http_json(c->req), "override_reasons");
	char *rj = reasons != NULL ? json_dumps(reasons, JSON_COMPACT) : NULL;
	c->v.override_reasons_json = rj;
	err                        = reasons != NULL && rj == NULL
	                           ? SN_ENOMEM
	                           : approval_store_policy_add(
	                               tx, &c->v, sn_http_principal(c->req)->user);
	c->v.override_reasons_json = NULL;
	free(rj);
	if (err != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, 201,
	    policy_answer(sn_http_json(c->req), &c->v.reg, ratio));
}

static void
policy_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	policy_req *c = arg;
	c->taken      = (approval_taken_req) { policy_taken, c };
	if (approval_store_policy_taken(tx, c->v.policy.version,
	        c->v.effective_from, sn_clock_today(), &c->taken)
	    != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
}

static const char *const policy_keys[] = { "version", "effective_from",
	"urban_min_fen", "rural_min_fen", "urban_basic_fen", "rural_basic_fen",
	"care_able_fen", "care_partially_able_fen", "care_unable_fen",
	"low_income_factor_percent", "asset_multiple", "max_homes",
	"business_capital_limit_fen", "force", "force_reason",
	"review_months_dibao_stable", "review_months_dibao",
	"review_months_tekun", "review_months_edge",
	"price_subsidy_per_person_fen", "cpi_threshold_permille",
	"food_cpi_threshold_permille", "override_reasons", NULL };

/* The figures of POST /policy into v->policy. A figure that is not a
 * whole number is 422 invalid_type (sn/input.h); one absent or below its
 * least value, 400 invalid_field. */
static bool
policy_figures(
    const json_t *body, approval_policy_version *v, sn_problem *prob)
{
	for (size_t i = 0; i < APPROVAL_POLICY_NFIELDS; i++) {
		const approval_policy_field *pf = &approval_policy_fields[i];
		bool                         present = false;
		int64_t                      x       = 0;
		if (!sn_in_i64(
		        body, pf->name, "", 0, INT64_MIN, INT64_MAX, &x, prob))
			return false;
		present = json_object_get(body, pf->name) != NULL;
		if (!present || x < pf->min)
			return sn_problem_set(prob, 400, "invalid_field",
			    pf->name, "%s is an integer of at least %lld",
			    pf->name, (long long) pf->min);
		memcpy((char *) &v->policy + pf->offset, &x, sizeof(x));
	}
	return true;
}

/* The register figures of POST /policy (each optional: absent ones are
 * the version in force's, policy_register_defaults) into c->v.reg; one
 * outside its bounds is 400 invalid_field. */
static bool
policy_register_figures(const json_t *body, policy_req *c, sn_problem *prob)
{
	for (size_t i = 0; i < APPROVAL_REGISTER_NFIELDS; i++) {
		const approval_register_field *rf
		    = &approval_register_fields[i];
		int64_t x = 0;
		if (!sn_in_i64(
		        body, rf->name, "", 0, INT64_MIN, INT64_MAX, &x, prob))
			return false;
		c->reg_given[i] = json_object_get(body, rf->name) != NULL;
		if (!c->reg_given[i])
			continue;
		if (x < rf->min || x > rf->max)
			return sn_problem_set(prob, 400, "invalid_field",
			    rf->name, "%s is an integer from %lld to %lld",
			    rf->name, (long long) rf->min,
			    (long long) rf->max);
		approval_register_field_set(&c->v.reg, rf, x);
	}
	return true;
}

/* The body of POST /policy into *v; false with *prob. Unknown members,
 * nulls, other JSON types and control characters are 422 (sn/input.h);
 * values of the right type that the policy refuses stay 400
 * invalid_field. */
static bool
policy_parse(const json_t *body, policy_req *c, sn_problem *prob)
{
	approval_policy_version *v       = &c->v;
	const char              *version = NULL, *from = NULL;
	v->reg = approval_register_policy_default;
	if (!json_is_object(body))
		return sn_problem_set(prob, 400, "invalid_body", NULL,
		    "the body is a JSON object");
	if (!sn_in_only(body, policy_keys, "", prob)
	    || !sn_in_str(body, "version", "", 0, 0, &version, prob)
	    || !sn_in_str(body, "effective_from", "", 0, 0, &from, prob)
	    || !sn_in_bool(body, "force", "", 0, &c->force, prob)
	    || !sn_in_str(body, "force_reason", "", SN_IN_MULTILINE, 1000,
	        &c->force_reason, prob))
		return false;
	if (!approval_rules_version_valid(version))
		return sn_problem_set(prob, 400, "invalid_field", "version",
		    "version is 1 to 31 of A-Z a-z 0-9 . _ -");
	snprintf(v->policy.version, sizeof(v->policy.version), "%s", version);
	if (!approval_rules_date_parse(from, &v->effective_from))
		return sn_problem_set(prob, 400, "invalid_field",
		    "effective_from", "effective_from is a date YYYY-MM-DD");
	const json_t *reasons = json_object_get(body, "override_reasons");
	if (reasons != NULL
	    && !approval_overrides_reasons_valid(reasons, prob))
		return false;
	return policy_figures(body, v, prob)
	    && policy_register_figures(body, c, prob);
}

static void
post_policy(sn_http_req *req, void *arg)
{
	(void) arg;
	policy_req c = { .req = req };
	sn_problem prob;
	sn_problem_clear(&prob);
	if (!policy_parse(sn_http_json(req), &c, &prob)) {
		sn_http_problem(req, &prob);
		return;
	}
	policy_req *ctx = malloc(sizeof(*ctx));
	if (ctx == NULL) {
		reply_unavailable(req);
		return;
	}
	*ctx = c;
	sn_http_tx_with_end(req, policy_begin, free, ctx);
}

/* ---- HTTP: price linkage and standards proposals ---------------------- */

static void
prices_paged(void *arg, sn_err err, const approval_page *p)
{
	reply_page(arg, err, p, "months", false);
}

static void
get_price_indices(sn_http_req *req, void *arg)
{
	(void) arg;
	sn_page    pg;
	sn_problem prob;
	sn_problem_clear(&prob);
	if (!sn_page_query(req, &pg, &prob)) {
		sn_http_problem(req, &prob);
		return;
	}
	approval_store_price_page(A.db, pg.after, pg.limit, prices_paged, req);
}

/* A POST /price-indices across its transaction. */
typedef struct price_req {
	sn_http_req           *req;
	approval_price_index   p;
	approval_price_subsidy sub;
	approval_due_req       policy; /* the version in force */
	approval_price_req     add;
} price_req;

/* The answer: the month's indices and what they decided. */
static json_t *
price_answer(const price_req *c)
{
	char    month[SN_MONTH_STRLEN];
	json_t *cats = json_array();
	for (int k = APPROVAL_CAT_TEKUN; k <= APPROVAL_CAT_LOW_INCOME; k++)
		if ((c->sub.categories & (1u << k)) != 0)
			json_array_append_new(cats,
			    json_string(approval_rules_category_name(
			        (approval_category) k)));
	return json_pack("{s:s,s:I,s:I,s:b,s:I,s:o}", "month",
	    sn_month_format(c->p.month, month), "cpi_permille",
	    (json_int_t) c->p.cpi_permille, "food_cpi_permille",
	    (json_int_t) c->p.food_cpi_permille, "applies", c->sub.applies,
	    "per_person_fen", (json_int_t) c->sub.per_person_fen, "categories",
	    cats);
}

/* price_subsidy.decided for the month (subject the month). */
static sn_err
append_price_decided(sn_tx *tx, const price_req *c, const char *version)
{
	char                                month[SN_MONTH_STRLEN];
	Sn__Assist__V1__Category            cats[3];
	size_t                              n = 0;
	Sn__Assist__V1__PriceSubsidyDecided m
	    = SN__ASSIST__V1__PRICE_SUBSIDY_DECIDED__INIT;
	for (int k = APPROVAL_CAT_TEKUN; k <= APPROVAL_CAT_LOW_INCOME; k++)
		if ((c->sub.categories & (1u << k)) != 0 && n < 3)
			cats[n++] = (Sn__Assist__V1__Category) k;
	m.month             = sn_month_format(c->p.month, month);
	m.applies           = c->sub.applies;
	m.per_person_fen    = c->sub.per_person_fen;
	m.cpi_permille      = (int32_t) c->p.cpi_permille;
	m.food_cpi_permille = (int32_t) c->p.food_cpi_permille;
	m.policy_version    = (char *) version;
	m.n_categories      = n;
	m.categories        = cats;
	m.decided_by        = (char *) c->p.decided_by;
	return sn_bus_append_msg(A.bus, tx, "price_subsidy.decided", m.month,
	    c->p.decided_by, &m.base);
}

static void
price_added(sn_tx *tx, sn_err err, const approval_price_stored *st, void *arg)
{
	price_req *c = arg;
	if (err != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	if (!st->inserted) {
		if (st->cpi_permille == c->p.cpi_permille
		    && st->food_cpi_permille == c->p.food_cpi_permille)
			sn_http_tx_reply(c->req, tx, 200, price_answer(c));
		else
			sn_http_tx_fail(c->req, tx, 409, "month_decided",
			    "this month's indices are recorded already",
			    "month");
		return;
	}
	if (append_price_decided(tx, c, st->policy_version) != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, 201, price_answer(c));
}

/* The linkage under the register figures of the version in force on
 * the month's first day (the compiled defaults when none is), then the
 * month stored. */
static void
price_policy(
    sn_tx *tx, sn_err err, const approval_policy_version *v, void *arg)
{
	price_req *c = arg;
	if (err != SN_OK && err != SN_ENOTFOUND) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	approval_rules_price_linkage(
	    err == SN_OK ? &v->reg : &approval_register_policy_default,
	    c->p.cpi_permille, c->p.food_cpi_permille, &c->sub);
	c->p.applies        = c->sub.applies;
	c->p.per_person_fen = c->sub.per_person_fen;
	c->add              = (approval_price_req) { price_added, c };
	if (approval_store_price_add(tx, &c->p, &c->add) != SN_OK)
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
}

static void
price_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	price_req *c = arg;
	c->policy    = (approval_due_req) { price_policy, c };
	if (approval_store_policy_at(
	        tx, sn_month_first(c->p.month), &c->policy)
	    != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
}

static const char *const price_keys[]
    = { "month", "cpi_permille", "food_cpi_permille", NULL };

static void
post_price_indices(sn_http_req *req, void *arg)
{
	(void) arg;
	const json_t *body = sn_http_json(req);
	price_req     c    = { .req = req };
	sn_problem    prob;
	sn_problem_clear(&prob);
	if (!json_is_object(body))
		sn_problem_set(&prob, 400, "invalid_body", NULL,
		    "the body is a JSON object");
	else if (sn_in_only(body, price_keys, "", &prob)
	    && sn_in_month(
	        body, "month", "", SN_IN_REQUIRED, &c.p.month, &prob)
	    && sn_in_i64(body, "cpi_permille", "", SN_IN_REQUIRED, -1000,
	        10000, &c.p.cpi_permille, &prob))
		sn_in_i64(body, "food_cpi_permille", "", SN_IN_REQUIRED, -1000,
		    10000, &c.p.food_cpi_permille, &prob);
	if (prob.status != 0) {
		sn_http_problem(req, &prob);
		return;
	}
	c.p.decided_by = sn_http_principal(req)->user;
	price_req *ctx = malloc(sizeof(*ctx));
	if (ctx == NULL) {
		reply_unavailable(req);
		return;
	}
	*ctx = c;
	sn_http_tx_with_end(req, price_begin, free, ctx);
}

/* A POST /standards/proposal: the body's figures while the versions are
 * read. */
typedef struct proposal_req {
	sn_http_req *req;
	int64_t      consumption_fen, share_permille;
} proposal_req;

static void
proposal_versions(
    void *arg, sn_err err, const approval_policy_version *v, size_t n)
{
	proposal_req *c   = arg;
	sn_http_req  *req = c->req;
	proposal_req  b   = *c;
	free(c);
	ptrdiff_t now = err == SN_OK
	    ? approval_rules_in_force(v, n, sn_clock_today())
	    : -1;
	if (err != SN_OK) {
		reply_unavailable(req);
		return;
	}
	sn_fen  urban, rural;
	int64_t ratio = 0;
	if (now < 0
	    || approval_rules_propose(b.consumption_fen, b.share_permille,
	           v[now].policy.urban_min_fen, v[now].policy.rural_min_fen,
	           &urban, &rural)
	        != SN_OK
	    || approval_rules_ratio_permille(urban, rural, &ratio) != SN_OK) {
		sn_http_reply_error(req, 422, "out_of_range",
		    "no proposal from these figures", NULL);
		return;
	}
	sn_http_reply_json(req, 200,
	    json_pack("{s:I,s:I,s:I,s:s}", "urban_min_fen", (json_int_t) urban,
	        "rural_min_fen", (json_int_t) rural, "ratio_permille",
	        (json_int_t) ratio, "based_on", v[now].policy.version));
}

static const char *const proposal_keys[]
    = { "consumption_fen", "share_permille", NULL };

static void
post_standards_proposal(sn_http_req *req, void *arg)
{
	(void) arg;
	const json_t *body = sn_http_json(req);
	proposal_req  c    = { .req = req };
	sn_problem    prob;
	sn_problem_clear(&prob);
	if (!json_is_object(body))
		sn_problem_set(&prob, 400, "invalid_body", NULL,
		    "the body is a JSON object");
	else if (sn_in_only(body, proposal_keys, "", &prob)
	    && sn_in_i64(body, "consumption_fen", "", SN_IN_REQUIRED, 1,
	        INT64_MAX / 1000, &c.consumption_fen, &prob))
		sn_in_i64(body, "share_permille", "", SN_IN_REQUIRED, 1, 1000,
		    &c.share_permille, &prob);
	if (prob.status != 0) {
		sn_http_problem(req, &prob);
		return;
	}
	proposal_req *ctx = malloc(sizeof(*ctx));
	if (ctx == NULL) {
		reply_unavailable(req);
		return;
	}
	*ctx = c;
	approval_store_policy_list(A.db, proposal_versions, ctx);
}

/* ---- HTTP: the three steps
 * -------------------------------------------------- */

/* Issue 10: what approval_store_casework read of the case (copies). */
typedef struct casework_copy {
	bool    in; /* read */
	int64_t discrepancies;
	bool    district_review;
	char   *code, *note, *decided_by;
	json_t *reasons; /* the override reasons in force */
} casework_copy;

/* A step across its transaction. */
typedef struct step_req {
	sn_http_req               *req;
	approval_step_request      r;
	approval_override_request  o; /* issue 10's members of the body */
	approval_case_req          read;
	approval_review_inputs_req rread; /* a review's confirmation */
	approval_casework_req      cwread;
	casework_copy              cw;
	/* Issue 10 (approval-A): an approval first ends the edge standing
	 * of the household's members (edge), then reads the case again
	 * (eread) and decides; edge_from: the decision's first month. */
	approval_rerate_req edge;
	approval_case_req   eread;
	bool                edge_done;
	sn_month            edge_from;
	/* what edge_first goes on with once the edge households ended */
	void (*edge_then)(struct step_req *, sn_tx *, const approval_case *);
} step_req;

static void
step_end(void *arg)
{
	step_req *c = arg;
	free(c->cw.code);
	free(c->cw.note);
	free(c->cw.decided_by);
	json_decref(c->cw.reasons);
	free(c);
}

static void
step_fail(step_req *c, sn_tx *tx)
{
	sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
}

/* Records the refusal and answers 403 with its code, in one commit. */
static void
refuse(step_req *c, sn_tx *tx, const char *case_id, const sn_problem *prob)
{
	const sn_principal *p = sn_http_principal(c->req);
	if (approval_store_refusal(
	        tx, case_id, p->user, p->role, c->r.step, prob->code)
	    != SN_OK) {
		step_fail(c, tx);
		return;
	}
	sn_counter_add(A.c_refusals, 1);
	sn_log(SN_LOG_INFO, "step refused", "case", case_id, "user", p->user,
	    "step", approval_rules_step_name(c->r.step), "code", prob->code,
	    NULL);
	sn_http_tx_reply(c->req, tx, prob->status, sn_problem_json(prob));
}

static json_t *
step_answer(const char *case_id, approval_stage stage)
{
	return json_pack("{s:s,s:s}", "case_id", case_id, "stage",
	    approval_rules_stage_name(stage));
}

/* The village review and the district filing: the step, its stage
 * change, the answer. */
static void
do_simple(step_req *c, sn_tx *tx, const approval_case *k)
{
	const sn_principal *p  = sn_http_principal(c->req);
	const bool          dd = c->r.step == APPROVAL_STEP_DISTRICT_FILING;
	stage_change        ch = { .case_id = k->case_id,
		       .from                = k->stage,
		       .to         = approval_rules_request_stage(&c->r),
		       .actor      = p->user,
		       .reason     = dd ? c->r.note : c->r.reason,
		       .township   = k->township_code,
		       .spot_check = dd && c->r.spot_check,
		       .action     = approval_rules_request_action(&c->r) };
	sn_err err = approval_store_actor(tx, k->case_id, p->user, c->r.step);
	if (err == SN_OK)
		err = dd ? approval_store_file(
		          tx, k->case_id, c->r.spot_check, c->r.note)
		         : approval_store_set_stage(
		             tx, k->case_id, ch.to, c->r.reason);
	if (err == SN_OK)
		err = stage_changed(tx, &ch);
	if (err != SN_OK) {
		step_fail(c, tx);
		return;
	}
	json_t *out = step_answer(k->case_id, ch.to);
	if (dd)
		json_object_set_new(
		    out, "spot_check", json_boolean(c->r.spot_check));
	sn_http_tx_reply(c->req, tx, 200, out);
}

/* Issue 10: what application.decided says of an override. */
typedef struct decided_override {
	const char *code, *note, *reviewed_by;
} decided_override;

/* application.decided of a decision on c (ov: an override the district
 * reviewed; NULL for none). */
static sn_err
append_decided(sn_tx *tx, const approval_case *k,
    const Sn__Assist__V1__ApplicationSubmitted *s, const approval_decision *d,
    const char *by, const char *reason, const decided_override *ov)
{
	char                     month[SN_MONTH_STRLEN];
	Sn__Assist__V1__Referral refs[32];
	size_t                   nref = 0;
	for (int i = 1; i < 32; i++)
		if (d->referrals & (1u << i))
			refs[nref++] = (Sn__Assist__V1__Referral) i;
	Sn__Assist__V1__ApplicationDecided m
	    = SN__ASSIST__V1__APPLICATION_DECIDED__INIT;
	m.application_id     = (char *) k->case_id;
	m.case_id            = (char *) k->case_id;
	m.approved           = d->approved;
	m.category           = (Sn__Assist__V1__Category) d->category;
	m.tier               = (Sn__Assist__V1__Tier) d->tier;
	m.monthly_amount_fen = d->monthly_amount_fen;
	m.effective_month    = sn_month_format(d->effective_month, month);
	m.n_referrals        = nref;
	m.referrals          = refs;
	m.decided_by         = (char *) by;
	m.reason             = (char *) reason;
	m.policy_version     = (char *) k->policy_version;
	m.household          = s->household;
	m.payee              = s->payee;
	m.members            = (int32_t) s->n_members;
	m.head_id_number     = s->members[0]->id_number;
	m.head_name          = s->members[0]->name;
	m.revision           = k->revision; /* issue 10 */
	m.rule_reason        = (char *) (k->rule_reason ? k->rule_reason : "");
	if (ov != NULL) {
		m.override_reason_code = (char *) ov->code;
		m.override_note        = (char *) ov->note;
		m.district_reviewed_by = (char *) ov->reviewed_by;
	}
	return sn_bus_append_msg(
	    A.bus, tx, "application.decided", k->case_id, by, &m.base);
}

/* The next review date of a household entering the register under d
 * (approval_rules_next_review: its category, its members' labour
 * capacity, whether its declared income is stable), from today, by the
 * review periods rp of the version in force. */
static sn_err
next_review(const Sn__Assist__V1__ApplicationSubmitted *s,
    const approval_decision *d, const approval_register_policy *rp,
    sn_date *out)
{
	approval_member members[APPROVAL_MAX_MEMBERS];
	approval_income inc = { 0, 0, 0, 0 };
	approval_entry  e   = { .category = d->category,
		   .tier                  = d->tier,
		   .monthly_amount_fen    = d->monthly_amount_fen,
		   .standing              = APPROVAL_STANDING_ACTIVE };
	for (size_t i = 0; i < s->n_members; i++) {
		members[i].labour
		    = (approval_labour) s->members[i]->labour_capacity;
		members[i].self_care
		    = (approval_self_care) s->members[i]->self_care;
	}
	if (s->declared_income != NULL)
		inc = (approval_income) { s->declared_income->wages_fen,
			s->declared_income->business_fen,
			s->declared_income->pensions_fen,
			s->declared_income->other_fen };
	return approval_rules_next_review(
	    rp, &e, members, s->n_members, &inc, sn_clock_today(), out);
}

/* The household enters the register: the row, its history and
 * beneficiary.changed (cause DECISION, old amount 0). */
static sn_err
register_household(sn_tx *tx, const approval_case *k,
    const Sn__Assist__V1__ApplicationSubmitted *s, const approval_decision *d,
    const char *by, const char *bid)
{
	Sn__Assist__V1__PayeeAccount nopayee
	    = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	const Sn__Assist__V1__PayeeAccount *pay
	    = s->payee != NULL ? s->payee : &nopayee;
	char  month[SN_MONTH_STRLEN];
	char *ids[APPROVAL_MAX_MEMBERS], *names[APPROVAL_MAX_MEMBERS];
	for (size_t i = 0; i < s->n_members; i++) {
		ids[i]   = s->members[i]->id_number;
		names[i] = s->members[i]->name;
	}
	approval_beneficiary               b = { .beneficiary_id = bid,
		              .application_id                    = k->case_id,
		              .category                          = d->category,
		              .tier                              = d->tier,
		              .monthly_amount_fen = d->monthly_amount_fen,
		              .bank_code          = pay->bank_code,
		              .account_number     = pay->account_number,
		              .account_name       = pay->account_name,
		              .from_month         = d->effective_month,
		              .approved_by        = by,
		              .district_code      = k->district_code,
		              .township_code      = k->township_code,
		              .village_code       = k->village_code,
		              .head_id_number     = s->members[0]->id_number,
		              .head_name          = s->members[0]->name,
		              .member_ids         = (const char *const *) ids,
		              .nmembers           = s->n_members,
		              .policy_version     = k->policy_version };
	Sn__Assist__V1__BeneficiaryChanged m
	    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
	m.beneficiary_id = (char *) bid;
	m.application_id = (char *) k->case_id;
	m.status   = SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE;
	m.category = (Sn__Assist__V1__Category) d->category;
	m.tier     = (Sn__Assist__V1__Tier) d->tier;
	m.monthly_amount_fen  = d->monthly_amount_fen;
	m.payee               = s->payee;
	m.from_month          = sn_month_format(d->effective_month, month);
	m.approved_by         = (char *) by;
	m.household           = s->household;
	m.head_id_number      = s->members[0]->id_number;
	m.head_name           = s->members[0]->name;
	m.n_member_id_numbers = s->n_members;
	m.member_id_numbers   = ids;
	m.n_member_names      = s->n_members; /* issue 10 */
	m.member_names        = names;
	m.cause          = SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DECISION;
	m.first_month    = m.from_month;
	m.policy_version = (char *) k->policy_version;
	m.members        = (int32_t) s->n_members;
	sn_err err       = next_review(s, d, &k->reg, &b.next_review);
	if (err == SN_OK)
		err = approval_store_beneficiary_add(tx, &b);
	if (err == SN_OK)
		err = sn_bus_append_msg(
		    A.bus, tx, "beneficiary.changed", k->case_id, by, &m.base);
	return err;
}

/* The confirmation's writes; bid is the new beneficiary's id. */
static sn_err
decide(step_req *c, sn_tx *tx, const approval_case *k,
    const Sn__Assist__V1__ApplicationSubmitted *s, const approval_decision *d,
    const char *bid)
{
	const char  *by  = sn_http_principal(c->req)->user;
	stage_change ch  = { .case_id = k->case_id,
		 .from                = k->stage,
		 .to                  = d->to,
		 .actor               = by,
		 .reason              = c->r.reason,
		 .township            = k->township_code,
		 .action = approval_rules_step_action(c->r.step, d->approved) };
	sn_err       err = approval_store_actor(tx, k->case_id, by, c->r.step);
	if (err == SN_OK)
		err = approval_store_decide(
		    tx, k->case_id, d, c->r.reason, by);
	if (err == SN_OK)
		err = append_decided(tx, k, s, d, by, c->r.reason, NULL);
	if (err == SN_OK)
		err = stage_changed(tx, &ch);
	if (err == SN_OK && d->approved)
		err = register_household(tx, k, s, d, by, bid);
	return err;
}

static json_t *
decision_answer(
    const approval_case *k, const approval_decision *d, const char *bid)
{
	char    month[SN_MONTH_STRLEN];
	json_t *ans = step_answer(k->case_id, d->to);
	json_object_set_new(ans, "approved", json_boolean(d->approved));
	json_object_set_new(ans, "category",
	    json_string(approval_rules_category_name(d->category)));
	json_object_set_new(
	    ans, "tier", json_string(approval_rules_tier_name(d->tier)));
	json_object_set_new(
	    ans, "monthly_amount_fen", json_integer(d->monthly_amount_fen));
	json_object_set_new(ans, "effective_month",
	    json_string(sn_month_format(d->effective_month, month)));
	if (d->approved)
		json_object_set_new(ans, "beneficiary_id", json_string(bid));
	return ans;
}

/* ---- issue 10 (approval-A): a new decision replaces an edge standing */

static sn_err append_register_changed(sn_tx *tx,
    const approval_register_row *r, const approval_register_write *w,
    const char *by, const char *review_id);
static void   do_township(step_req *c, sn_tx *tx, const approval_case *k);

/* One edge household of a member of the case being approved: EXITED
 * (cause REPLACED, amount 0) until the month before the decision's. */
static sn_err
replace_edge(sn_tx *tx, const approval_register_row *r, void *arg)
{
	step_req   *c  = arg;
	const char *by = sn_http_principal(c->req)->user;
	char        why[160];
	snprintf(why, sizeof(why),
	    "replaced by the decision on application %s",
	    sn_http_param(c->req, "id"));
	approval_register_write w   = { .beneficiary_id = r->beneficiary_id,
		  .from                                 = r->status,
		  .to             = APPROVAL_STANDING_EXITED,
		  .cause          = APPROVAL_CAUSE_REPLACED,
		  .old_amount_fen = r->monthly_amount_fen,
		  .new_amount_fen = 0,
		  .first_month    = c->edge_from,
		  .actor          = by,
		  .reason         = why };
	approval_register_row   now = *r;
	now.has_until               = true;
	now.until_month             = sn_month_add(c->edge_from, -1);
	sn_err err = approval_store_register_end(tx, &w, now.until_month);
	if (err == SN_OK)
		err = append_register_changed(tx, &now, &w, by, NULL);
	return err;
}

/* The case read again after the edge households ended: go on. */
static void
edge_reread(sn_tx *tx, sn_err err, const approval_case *k, void *arg)
{
	step_req *c = arg;
	if (err != SN_OK) {
		step_fail(c, tx);
		return;
	}
	c->edge_then(c, tx, k);
}

/* Before a decision that enters the register from month from (the
 * township's approval, or the district's filing of an override): the
 * edge households of its members end (their beneficiary.changed first),
 * then the case is read again (still locked by this transaction) and then
 * goes on. */
static void
edge_first(step_req *c, sn_tx *tx, const approval_case *k, sn_month from,
    void (*then)(step_req *, sn_tx *, const approval_case *))
{
	c->edge_done = true;
	c->edge_from = from;
	c->edge_then = then;
	c->edge      = (approval_rerate_req) { replace_edge, c };
	c->eread     = (approval_case_req) { edge_reread, c };
	if (approval_store_edge_rows(
	        tx, k->member_ids, k->nmembers, k->case_id, &c->edge)
	        != SN_OK
	    || approval_store_case_step(
	           tx, k->case_id, sn_clock_today(), &c->eread)
	        != SN_OK)
		step_fail(c, tx);
}

static void
do_township(step_req *c, sn_tx *tx, const approval_case *k)
{
	approval_decision d;
	sn_problem        prob;
	sn_problem_clear(&prob);
	if (!approval_rules_township(&c->r, k, sn_clock_today(), &d, &prob)) {
		sn_http_tx_problem(c->req, tx, &prob);
		return;
	}
	if (d.approved && !k->is_review && !c->edge_done) {
		edge_first(c, tx, k, d.effective_month, do_township);
		return;
	}
	Sn__Assist__V1__ApplicationSubmitted *s
	    = sn__assist__v1__application_submitted__unpack(
	        NULL, k->submitted_len, k->submitted);
	if (s == NULL || s->n_members < 1
	    || s->n_members > APPROVAL_MAX_MEMBERS) {
		sn__assist__v1__application_submitted__free_unpacked(s, NULL);
		sn_http_tx_fail(c->req, tx, 500, "internal",
		    "stored input unreadable", NULL);
		return;
	}
	sn_uuid id;
	char    bid[SN_UUID_STRLEN];
	sn_err  err = sn_uuid_v4(&id);
	sn_uuid_format(&id, bid);
	if (err == SN_OK)
		err = decide(c, tx, k, s, &d, bid);
	sn__assist__v1__application_submitted__free_unpacked(s, NULL);
	if (err != SN_OK) {
		step_fail(c, tx);
		return;
	}
	sn_http_tx_reply(c->req, tx, 200, decision_answer(k, &d, bid));
}

/* ---- issue 10 (approval-B): discrepancies seen, overrides ------------ */

static void
casework_read(sn_tx *tx, sn_err err, const approval_casework *w, void *arg)
{
	step_req *c = arg;
	(void) tx;
	if (err != SN_OK)
		return; /* the case's own read answers (404, 503) */
	c->cw.discrepancies   = w->discrepancies;
	c->cw.district_review = w->district_review;
	c->cw.code            = strdup(w->override_reason_code);
	c->cw.note            = strdup(w->override_note);
	c->cw.decided_by      = strdup(w->decided_by);
	c->cw.reasons         = json_loads(w->override_reasons, 0, NULL);
	c->cw.in              = c->cw.code != NULL && c->cw.note != NULL
	    && c->cw.decided_by != NULL && c->cw.reasons != NULL;
}

/* The application.submitted of k, unpacked (free with
 * sn__assist__v1__application_submitted__free_unpacked); NULL when it
 * does not read or its members are out of bounds. */
static Sn__Assist__V1__ApplicationSubmitted *
case_submitted(const approval_case *k)
{
	Sn__Assist__V1__ApplicationSubmitted *s
	    = sn__assist__v1__application_submitted__unpack(
	        NULL, k->submitted_len, k->submitted);
	if (s != NULL
	    && (s->n_members < 1 || s->n_members > APPROVAL_MAX_MEMBERS)) {
		sn__assist__v1__application_submitted__free_unpacked(s, NULL);
		s = NULL;
	}
	return s;
}

/* The township's approval of a household the rules put in no category:
 * decided, marked for the district's review, at DISTRICT_FILING; no
 * application.decided until the district files it. */
static void
do_override_township(step_req *c, sn_tx *tx, const approval_case *k)
{
	approval_decision     d;
	approval_step_request r = c->r;
	sn_problem            prob;
	sn_problem_clear(&prob);
	if (r.reason == NULL || r.reason[0] == '\0')
		r.reason = c->o.override_note;
	if (!approval_rules_township(&r, k, sn_clock_today(), &d, &prob)) {
		sn_http_tx_problem(c->req, tx, &prob);
		return;
	}
	const char *by = sn_http_principal(c->req)->user;
	json_t     *detail
	    = json_pack("{s:s,s:s,s:s}", "code", c->o.override_reason_code,
	        "category", approval_rules_category_name(d.category), "note",
	        c->o.override_note);
	char        *dj  = detail != NULL ? json_dumps(detail, 0) : NULL;
	stage_change ch  = { .case_id = k->case_id,
		 .from                = k->stage,
		 .to                  = d.to,
		 .actor               = by,
		 .reason              = r.reason,
		 .township            = k->township_code,
		 .action              = "township_approved" };
	sn_err       err = dj == NULL
	          ? SN_ENOMEM
	          : approval_store_actor(tx, k->case_id, by, c->r.step);
	if (err == SN_OK)
		err = approval_store_decide(tx, k->case_id, &d, r.reason, by);
	if (err == SN_OK)
		err = approval_store_override(tx, k->case_id,
		    c->o.override_reason_code, c->o.override_note);
	if (err == SN_OK)
		err = approval_store_timeline(tx, k->case_id, by,
		    "township_override", APPROVAL_STAGE_UNSPECIFIED,
		    APPROVAL_STAGE_UNSPECIFIED, c->o.override_note, dj);
	if (err == SN_OK)
		err = stage_changed(tx, &ch);
	json_decref(detail);
	free(dj);
	if (err != SN_OK) {
		step_fail(c, tx);
		return;
	}
	json_t *ans = decision_answer(k, &d, "");
	json_object_del(ans, "beneficiary_id");
	json_object_set_new(ans, "district_review", json_true());
	json_object_set_new(ans, "override_reason_code",
	    json_string(c->o.override_reason_code));
	sn_http_tx_reply(c->req, tx, 200, ans);
}

/* Checks the township's confirmation against the discrepancies and the
 * override rules; records that the officer saw the discrepancies. True:
 * the ordinary confirmation goes on; false: answered here. */
static bool
township_controls(step_req *c, sn_tx *tx, const approval_case *k)
{
	const char             *codes[APPROVAL_OVERRIDE_MAX];
	approval_township_check chk      = { .approve = c->r.yes,
		     .computed                        = k->category,
		     .chosen
		     = k->is_review ? APPROVAL_CAT_UNSPECIFIED : c->r.category,
		     .discrepancies = c->cw.discrepancies,
		     .codes         = codes,
		     .ncodes        = approval_overrides_codes(
		                c->cw.reasons, codes, APPROVAL_OVERRIDE_MAX) };
	bool                    override = false;
	sn_problem              prob;
	sn_problem_clear(&prob);
	if (!approval_overrides_township(&chk, &c->o, &override, &prob)) {
		sn_http_tx_problem(c->req, tx, &prob);
		return false;
	}
	if (c->cw.discrepancies > 0) {
		char detail[64];
		snprintf(detail, sizeof(detail), "{\"discrepancies\":%lld}",
		    (long long) c->cw.discrepancies);
		if (approval_store_timeline(tx, k->case_id,
		        sn_http_principal(c->req)->user, "discrepancies_seen",
		        APPROVAL_STAGE_UNSPECIFIED, APPROVAL_STAGE_UNSPECIFIED,
		        "", detail)
		    != SN_OK) {
			step_fail(c, tx);
			return false;
		}
	}
	if (!override)
		return true;
	do_override_township(c, tx, k);
	return false;
}

/* The district's filing or rejection of an override: application.decided
 * (with the township's reason code and note, reviewed by the district)
 * and, when filed, the household into the register; bid gets its id. */
static sn_err
district_decided(step_req *c, sn_tx *tx, const approval_case *k,
    approval_stage to, char bid[SN_UUID_STRLEN])
{
	bool              file = c->o.filing == APPROVAL_FILING_FILE;
	approval_decision d    = { .approved = file,
		   .to                       = to,
		   .category                 = k->category,
		   .tier                     = approval_rules_tier(k->category),
		   .monthly_amount_fen       = file ? k->monthly_amount_fen : 0,
		   .referrals                = file ? k->referrals : 0,
		   .effective_month
		   = approval_rules_effective_month(sn_clock_today()) };
	decided_override  ov
	    = { c->cw.code, c->cw.note, sn_http_principal(c->req)->user };
	sn_uuid                               id;
	Sn__Assist__V1__ApplicationSubmitted *s = case_submitted(k);
	if (s == NULL)
		return SN_EPROTO;
	sn_err err = append_decided(tx, k, s, &d, c->cw.decided_by,
	    file ? c->cw.note : c->r.reason, &ov);
	if (err == SN_OK && file && (err = sn_uuid_v4(&id)) == SN_OK)
		err = register_household(
		    tx, k, s, &d, c->cw.decided_by, sn_uuid_format(&id, bid));
	sn__assist__v1__application_submitted__free_unpacked(s, NULL);
	return err;
}

static const char *const district_actions[]
    = { "district_filed", "district_returned", "district_rejected" };

static void do_district(step_req *c, sn_tx *tx, const approval_case *k);

/* Before the district files an override (the decision): the edge
 * households of its members end first, as at an ordinary confirmation
 * (edge_first), then the case is read again and filed. False: nothing
 * to do first (done, or no filing). */
static bool
district_edge_first(step_req *c, sn_tx *tx, const approval_case *k)
{
	if (c->o.filing != APPROVAL_FILING_FILE || c->edge_done)
		return false;
	edge_first(c, tx, k, approval_rules_effective_month(sn_clock_today()),
	    do_district);
	return true;
}

/* The district's filing: an override under review is filed, returned or
 * rejected; any other case only filed (do_simple). */
static void
do_district(step_req *c, sn_tx *tx, const approval_case *k)
{
	approval_stage to;
	sn_problem     prob;
	sn_problem_clear(&prob);
	if (!approval_overrides_filing(
	        c->cw.district_review, c->o.filing, c->r.reason, &to, &prob)) {
		sn_http_tx_problem(c->req, tx, &prob);
		return;
	}
	if (!c->cw.district_review) {
		do_simple(c, tx, k);
		return;
	}
	if (district_edge_first(c, tx, k))
		return;
	const char *by = sn_http_principal(c->req)->user;
	const char *why
	    = c->o.filing == APPROVAL_FILING_FILE ? c->r.note : c->r.reason;
	char         bid[SN_UUID_STRLEN] = "";
	stage_change ch                  = { .case_id = k->case_id,
		                 .from                = k->stage,
		                 .to                  = to,
		                 .actor               = by,
		                 .reason              = why,
		                 .township            = k->township_code,
		                 .spot_check          = c->r.spot_check,
		                 .action              = district_actions[c->o.filing] };
	sn_err       err = approval_store_actor(tx, k->case_id, by, c->r.step);
	if (err == SN_OK)
		err = approval_store_district_review(tx, k->case_id,
		    approval_overrides_filing_name(c->o.filing), to, why, by,
		    c->r.spot_check);
	if (err == SN_OK)
		err = stage_changed(tx, &ch);
	if (err == SN_OK && c->o.filing != APPROVAL_FILING_RETURN)
		err = district_decided(c, tx, k, to, bid);
	if (err != SN_OK) {
		step_fail(c, tx);
		return;
	}
	json_t *ans = step_answer(k->case_id, to);
	json_object_set_new(ans, "district_outcome",
	    json_string(approval_overrides_filing_name(c->o.filing)));
	json_object_set_new(ans, "spot_check", json_boolean(c->r.spot_check));
	if (bid[0] != '\0')
		json_object_set_new(ans, "beneficiary_id", json_string(bid));
	sn_http_tx_reply(c->req, tx, 200, ans);
}

/* ---- the township's confirmation of a review ------------------------- */

static sn_err append_register_changed(sn_tx *tx,
    const approval_register_row *r, const approval_register_write *w,
    const char *by, const char *review_id);

/* The next review date of the household as the outcome leaves it, from
 * today, by the register figures of the version in force; false when it
 * has none (an exit). */
static bool
review_next_date(const approval_review_inputs *in, const review_facts *f,
    const approval_entry *after, sn_date *out)
{
	return approval_rules_next_review(&in->policy.reg, after, f->members,
	           f->hh.nmembers, &f->inc, sn_clock_today(), out)
	    == SN_OK;
}

/* The outcome applied: the register row, its history row, the review
 * closed, and beneficiary.changed when the rules say changed. */
static sn_err
review_apply(sn_tx *tx, const approval_review_inputs *in,
    const review_facts *f, const char *by, const char *reason)
{
	const approval_change *g     = &f->chg;
	approval_entry         after = { .category = g->category,
		        .tier                      = g->tier,
		        .monthly_amount_fen        = g->amount_fen,
		        .standing                  = g->standing,
		        .until_month               = g->until_month };
	approval_review_apply  a = { .beneficiary_id = in->reg.beneficiary_id,
		 .review_id                          = in->case_id,
		 .changed                            = g->changed,
		 .from                               = in->reg.status,
		 .to                                 = g->standing,
		 .cause                              = g->cause,
		 .category                           = g->category,
		 .tier                               = g->tier,
		 .old_amount_fen                     = g->old_amount_fen,
		 .new_amount_fen                     = g->amount_fen,
		 .first_month                        = g->first_month,
		 .has_until      = sn_month_valid(g->until_month),
		 .until_month    = g->until_month,
		 .member_ids     = f->ids,
		 .nmembers       = f->hh.nmembers,
		 .policy_version = g->changed ? in->policy.policy.version
		                              : in->reg.policy_version,
		 .actor          = by,
		 .reason         = reason };
	a.has_next = review_next_date(in, f, &after, &a.next_review);
	sn_err err = approval_store_review_apply(tx, &a);
	if (err == SN_OK)
		err = approval_store_review_close(tx, in->case_id,
		    in->reg.beneficiary_id, reason,
		    approval_rules_outcome_name(g->outcome), false,
		    a.next_review);
	if (err != SN_OK || !g->changed)
		return err;
	approval_register_row   now = in->reg;
	approval_register_write w = { .beneficiary_id = in->reg.beneficiary_id,
		.from                                 = in->reg.status,
		.to                                   = g->standing,
		.cause                                = g->cause,
		.old_amount_fen                       = g->old_amount_fen,
		.new_amount_fen                       = g->amount_fen,
		.first_month                          = g->first_month,
		.actor                                = by,
		.reason                               = reason };
	now.category              = g->category;
	now.tier                  = g->tier;
	now.has_until             = a.has_until;
	now.until_month           = g->until_month;
	now.policy_version        = a.policy_version;
	if (f->hh.nmembers > 0) {
		memcpy(now.member_ids, f->ids,
		    f->hh.nmembers * sizeof(f->ids[0]));
		now.nmembers = f->hh.nmembers;
		now.members  = (int64_t) f->hh.nmembers;
	}
	return append_register_changed(tx, &now, &w, by, in->case_id);
}

/* The confirmation's writes on review in: the step, the decision, the
 * outcome applied (approve) or the register left (reject), the review
 * closed either way. */
static sn_err
review_decide(step_req *c, sn_tx *tx, const approval_review_inputs *in,
    const review_facts *f, const char *comp)
{
	const char       *by  = sn_http_principal(c->req)->user;
	const char       *why = nonempty(c->r.reason) ? c->r.reason
	          : c->r.yes                          ? "review approved"
	                                              : "review rejected";
	approval_decision d   = { .approved = c->r.yes,
		  .to       = approval_rules_next_stage(c->r.step, c->r.yes),
		  .category = c->r.yes ? f->chg.category : in->reg.category,
		  .tier     = c->r.yes ? f->chg.tier : in->reg.tier,
		  .monthly_amount_fen = c->r.yes ? f->chg.amount_fen : 0 };
	stage_change      ch  = { .case_id = in->case_id,
		      .from                = in->stage,
		      .to                  = d.to,
		      .actor               = by,
		      .reason              = c->r.reason,
		      .township            = in->reg.township_code,
		      .action = approval_rules_step_action(c->r.step, c->r.yes) };
	sn_err err = approval_store_actor(tx, in->case_id, by, c->r.step);
	if (err == SN_OK)
		err = approval_store_decide(
		    tx, in->case_id, &d, c->r.reason, by);
	if (err == SN_OK)
		err = approval_store_review_computed(tx, in->case_id, comp);
	if (err == SN_OK && c->r.yes)
		err = review_apply(tx, in, f, by, why);
	if (err == SN_OK && !c->r.yes) {
		sn_date        next;
		approval_entry now = f->e;
		bool           has = review_next_date(in, f, &now, &next);
		err = approval_store_review_close(tx, in->case_id,
		    in->reg.beneficiary_id, why, "", has, next);
	}
	if (err == SN_OK)
		err = stage_changed(tx, &ch);
	return err;
}

static json_t *
review_answer(
    const approval_review_inputs *in, const step_req *c, const char *comp)
{
	json_t *ans = step_answer(
	    in->case_id, approval_rules_next_stage(c->r.step, c->r.yes));
	json_object_set_new(ans, "approved", json_boolean(c->r.yes));
	json_object_set_new(
	    ans, "beneficiary_id", json_string(in->reg.beneficiary_id));
	json_object_set_new(ans, "review_outcome", json_loads(comp, 0, NULL));
	return ans;
}

/* The case read again with its household (locked): the outcome as of
 * this month, then the writes. */
static void
review_confirm_got(
    sn_tx *tx, sn_err err, const approval_review_inputs *in, void *arg)
{
	step_req    *c = arg;
	review_facts f;
	sn_month     month = sn_clock_month();
	if (err != SN_OK) {
		step_fail(c, tx);
		return;
	}
	sn_err rerr = review_compute(in, month, &f);
	char *comp = rerr == SN_OK ? review_outcome_json(in, &f, month) : NULL;
	if (rerr != SN_OK) {
		review_facts_fini(&f);
		sn_http_tx_fail(c->req, tx, 409, "cannot_review",
		    "the review's outcome cannot be computed from what it has",
		    NULL);
		return;
	}
	if (comp == NULL || review_decide(c, tx, in, &f, comp) != SN_OK) {
		free(comp);
		review_facts_fini(&f);
		step_fail(c, tx);
		return;
	}
	review_facts_fini(&f);
	sn_http_tx_reply(c->req, tx, 200, review_answer(in, c, comp));
	free(comp);
}

/* A review's confirmation: no category of the township's (a review's
 * follows the rules); the case and household read again, locked. */
static void
do_review_township(step_req *c, sn_tx *tx, const approval_case *k)
{
	static const approval_stage confirm[]
	    = { APPROVAL_STAGE_TOWNSHIP_CONFIRM };
	if (c->r.category != APPROVAL_CAT_UNSPECIFIED) {
		sn_http_tx_fail(c->req, tx, 400, "invalid_field",
		    "a review's category follows the rules: no category",
		    "category");
		return;
	}
	c->rread = (approval_review_inputs_req) { review_confirm_got, c };
	if (approval_store_review_inputs(
	        tx, k->case_id, confirm, 1, sn_clock_today(), &c->rread)
	    != SN_OK)
		step_fail(c, tx);
}

static void
step_read(sn_tx *tx, sn_err err, const approval_case *k, void *arg)
{
	step_req   *c       = arg;
	const char *case_id = sn_http_param(c->req, "id");
	sn_problem  prob;
	sn_problem_clear(&prob);
	if (err == SN_ENOTFOUND) {
		sn_http_tx_fail(
		    c->req, tx, 404, "not_found", "no such case", NULL);
		return;
	}
	if (err != SN_OK) {
		step_fail(c, tx);
		return;
	}
	if (!approval_rules_may_act(
	        c->r.step, sn_http_principal(c->req), k, &prob)) {
		if (prob.status == 403)
			refuse(c, tx, case_id, &prob);
		else
			sn_http_tx_problem(c->req, tx, &prob);
		return;
	}
	if (!c->cw.in) {
		step_fail(c, tx);
		return;
	}
	if (c->r.step == APPROVAL_STEP_TOWNSHIP_CONFIRMATION
	    && !township_controls(c, tx, k))
		return;
	if (c->r.returned && k->is_review) /* issue 10: applications only */
		sn_http_tx_fail(c->req, tx, 400, "invalid_field",
		    "a review case is approved or rejected, not returned",
		    "decision");
	else if (c->r.returned) /* issue 10: the township returns it */
		do_simple(c, tx, k);
	else if (c->r.step == APPROVAL_STEP_TOWNSHIP_CONFIRMATION
	    && k->is_review)
		do_review_township(c, tx, k);
	else if (c->r.step == APPROVAL_STEP_TOWNSHIP_CONFIRMATION)
		do_township(c, tx, k);
	else if (c->r.step == APPROVAL_STEP_DISTRICT_FILING)
		do_district(c, tx, k);
	else
		do_simple(c, tx, k);
}

static void
step_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	step_req *c = arg;
	c->read     = (approval_case_req) { step_read, c };
	c->cwread   = (approval_casework_req) { casework_read, c };
	/* The casework first: its callback has run when step_read runs. */
	if (approval_store_casework(
	        tx, sn_http_param(req, "id"), sn_clock_today(), &c->cwread)
	        != SN_OK
	    || approval_store_case_step(
	           tx, sn_http_param(req, "id"), sn_clock_today(), &c->read)
	        != SN_OK)
		step_fail(c, tx);
}

/* The members each step's body may have. */
static const char *const step_keys[][7] = {
	[APPROVAL_STEP_VILLAGE_REVIEW] = { "decision", "reason", NULL },
	[APPROVAL_STEP_TOWNSHIP_CONFIRMATION]
	= { "decision", "reason", "category", "discrepancies_seen",
	    "override_reason_code", "override_note", NULL },
	[APPROVAL_STEP_DISTRICT_FILING]
	= { "spot_check", "note", "decision", "reason", NULL },
};

/* Issue 10's members of a step's body into *o; false with *prob. */
static bool
step_parse_b(const json_t *body, approval_step step, const char *decision,
    approval_override_request *o, sn_problem *prob)
{
	o->override_reason_code = "";
	o->override_note        = "";
	if (!sn_in_bool(body, "discrepancies_seen", "", 0,
	        &o->discrepancies_seen, prob)
	    || !sn_in_str(body, "override_reason_code", "", 0, 64,
	        &o->override_reason_code, prob)
	    || !sn_in_str(body, "override_note", "", SN_IN_MULTILINE, 2000,
	        &o->override_note, prob))
		return false;
	o->filing = APPROVAL_FILING_FILE;
	return step != APPROVAL_STEP_DISTRICT_FILING
	    || approval_overrides_filing_parse(decision, &o->filing, prob);
}

/* The body of a step into *r; false with *prob. Unknown members, nulls,
 * other JSON types and control characters are 422 (sn/input.h); what
 * the step refuses of well-typed values, approval_rules_step_request. */
bool
approval_step_parse(const json_t *body, approval_step step,
    approval_step_request *r, approval_override_request *o, sn_problem *prob)
{
	const char *decision = "", *category = "";
	r->reason = "";
	r->note   = "";
	if (!json_is_object(body))
		return sn_problem_set(prob, 400, "invalid_body", NULL,
		    "the body is a JSON object");
	if (!sn_in_only(body, step_keys[step], "", prob)
	    || !sn_in_str(body, "decision", "", 0, 0, &decision, prob)
	    || !sn_in_str(
	        body, "reason", "", SN_IN_MULTILINE, 0, &r->reason, prob)
	    || !sn_in_str(body, "category", "", 0, 0, &category, prob)
	    || !sn_in_str(body, "note", "", SN_IN_MULTILINE, 0, &r->note, prob)
	    || !sn_in_bool(body, "spot_check", "", 0, &r->spot_check, prob)
	    || !step_parse_b(body, step, decision, o, prob))
		return false;
	/* The filing's decision is issue 10's (step_parse_b). */
	return approval_rules_step_request(step,
	    step == APPROVAL_STEP_DISTRICT_FILING ? "" : decision, category, r,
	    prob);
}

static void
post_step(sn_http_req *req, approval_step step)
{
	step_req   c = { .req = req };
	sn_problem prob;
	sn_problem_clear(&prob);
	if (!approval_step_parse(sn_http_json(req), step, &c.r, &c.o, &prob)) {
		sn_http_problem(req, &prob);
		return;
	}
	step_req *ctx = malloc(sizeof(*ctx));
	if (ctx == NULL) {
		reply_unavailable(req);
		return;
	}
	*ctx = c;
	sn_http_tx_with_end(req, step_begin, step_end, ctx);
}

static void
post_village_review(sn_http_req *req, void *arg)
{
	(void) arg;
	post_step(req, APPROVAL_STEP_VILLAGE_REVIEW);
}

static void
post_township_confirmation(sn_http_req *req, void *arg)
{
	(void) arg;
	post_step(req, APPROVAL_STEP_TOWNSHIP_CONFIRMATION);
}

static void
post_district_filing(sn_http_req *req, void *arg)
{
	(void) arg;
	post_step(req, APPROVAL_STEP_DISTRICT_FILING);
}

/* ---- HTTP: suspension and resumption -------------------------------- */

/* A POST /beneficiaries/{id}/suspension or /resumption across its
 * transaction. */
typedef struct register_req {
	sn_http_req             *req;
	approval_register_action action;
	const char              *reason; /* borrowed from the body */
	approval_register_req    lock;
} register_req;

/* The application.submitted of r, unpacked (free with
 * sn__assist__v1__application_submitted__free_unpacked), or NULL. */
static Sn__Assist__V1__ApplicationSubmitted *
submitted_of(const approval_register_row *r)
{
	if (!r->has_submitted)
		return NULL;
	return sn__assist__v1__application_submitted__unpack(
	    NULL, r->submitted.len, r->submitted.data);
}

/* Issue 10: the names of r's members (in its order) as its submission
 * gives them; "" for one it does not name. */
static void
member_names(const Sn__Assist__V1__ApplicationSubmitted *sub,
    const approval_register_row *r, char **names)
{
	for (size_t i = 0; i < r->nmembers; i++) {
		names[i] = "";
		for (size_t j = 0; sub != NULL && j < sub->n_members; j++)
			if (strcmp(
			        sub->members[j]->id_number, r->member_ids[i])
			    == 0)
				names[i] = sub->members[j]->name;
	}
}

/* beneficiary.changed of household r after change w (by review_id, NULL
 * for none): the household as submitted (its codes only when the
 * submission is not at hand). */
static sn_err
append_register_changed(sn_tx *tx, const approval_register_row *r,
    const approval_register_write *w, const char *by, const char *review_id)
{
	char from[SN_MONTH_STRLEN], until[SN_MONTH_STRLEN];
	char first[SN_MONTH_STRLEN];
	Sn__Assist__V1__PayeeAccount pay = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	Sn__Assist__V1__Household    h   = SN__ASSIST__V1__HOUSEHOLD__INIT;
	Sn__Assist__V1__BeneficiaryChanged m
	    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
	pay.bank_code        = (char *) r->bank_code;
	pay.account_number   = (char *) r->account_number;
	pay.account_name     = (char *) r->account_name;
	h.district_code      = (char *) r->district_code;
	h.township_code      = (char *) r->township_code;
	h.village_code       = (char *) r->village_code;
	m.beneficiary_id     = (char *) r->beneficiary_id;
	m.application_id     = (char *) r->application_id;
	m.status             = (Sn__Assist__V1__BeneficiaryStatus) w->to;
	m.category           = (Sn__Assist__V1__Category) r->category;
	m.tier               = (Sn__Assist__V1__Tier) r->tier;
	m.monthly_amount_fen = w->new_amount_fen;
	m.payee              = &pay;
	m.from_month         = sn_month_format(r->from_month, from);
	m.until_month
	    = r->has_until ? sn_month_format(r->until_month, until) : "";
	m.approved_by            = (char *) r->approved_by;
	m.household              = &h;
	m.head_id_number         = (char *) r->head_id_number;
	m.head_name              = (char *) r->head_name;
	m.n_member_id_numbers    = r->nmembers;
	m.member_id_numbers      = (char **) r->member_ids;
	m.old_monthly_amount_fen = w->old_amount_fen;
	m.cause                  = (Sn__Assist__V1__ChangeCause) w->cause;
	m.first_month            = sn_month_format(w->first_month, first);
	m.policy_version         = (char *) r->policy_version;
	m.members                = (int32_t) r->members;
	m.review_id              = (char *) (review_id ? review_id : "");
	Sn__Assist__V1__ApplicationSubmitted *sub = submitted_of(r);
	if (sub != NULL && sub->household != NULL)
		m.household = sub->household;
	char *names[APPROVAL_MAX_MEMBERS]; /* issue 10 */
	member_names(sub, r, names);
	m.n_member_names = r->nmembers;
	m.member_names   = names;
	sn_err err       = sn_bus_append_msg(
	          A.bus, tx, "beneficiary.changed", r->application_id, by, &m.base);
	sn__assist__v1__application_submitted__free_unpacked(sub, NULL);
	return err;
}

/* A household re-rated by version v (chg RERATED): its row, history and
 * beneficiary.changed (cause RERATING, from v's first month). */
static sn_err
rerated(sn_tx *tx, const approval_register_row *r,
    const approval_policy_version *v, const approval_change *chg)
{
	approval_register_row   now = *r;
	approval_register_write w   = { .beneficiary_id = r->beneficiary_id,
		  .from                                 = r->status,
		  .to                                   = r->status,
		  .cause          = APPROVAL_CAUSE_RERATING,
		  .old_amount_fen = chg->old_amount_fen,
		  .new_amount_fen = chg->amount_fen,
		  .first_month    = chg->first_month,
		  .actor          = "system",
		  .reason         = "" };
	now.policy_version          = v->policy.version;
	sn_err err = approval_store_rerate_set(tx, r->beneficiary_id,
	    chg->old_amount_fen, chg->amount_fen, chg->first_month,
	    v->policy.version);
	if (err == SN_OK)
		err = append_register_changed(tx, &now, &w, "system", NULL);
	return err;
}

/* Records a refused change (403) and answers it, in one commit. */
static void
register_refuse(register_req *c, sn_tx *tx, const approval_register_row *r,
    const sn_problem *prob)
{
	const sn_principal *p = sn_http_principal(c->req);
	if (approval_store_register_refusal(tx, r->application_id, p->user,
	        p->role, approval_register_action_name(c->action), prob->code)
	    != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	sn_counter_add(A.c_refusals, 1);
	sn_http_tx_reply(c->req, tx, prob->status, sn_problem_json(prob));
}

/* Segregation of duties: not who took the application in, nor a member
 * of the household; false with a 403 in *prob. */
static bool
register_may_act(
    const sn_principal *p, const approval_register_row *r, sn_problem *prob)
{
	approval_duty d   = { .user = p->user,
		  .id_number        = p->id_number,
		  .taken_in_by      = r->taken_in_by,
		  .member_ids       = r->member_ids,
		  .nmembers         = r->nmembers };
	const char   *why = approval_rules_duty_check(&d);
	if (why == NULL)
		return true;
	return sn_problem_set(
	    prob, 403, why, NULL, "segregation of duties: %s", why);
}

/* The change's write and its event, then the answer. */
static void
register_change(register_req *c, sn_tx *tx, const approval_register_row *r,
    const approval_register_change *chg)
{
	const char *by      = sn_http_principal(c->req)->user;
	bool        suspend = chg->to == APPROVAL_STANDING_SUSPENDED;
	char        month[SN_MONTH_STRLEN];
	approval_register_write w   = { .beneficiary_id = r->beneficiary_id,
		  .from                                 = r->status,
		  .to                                   = chg->to,
		  .cause                                = chg->cause,
		  .old_amount_fen = suspend ? r->monthly_amount_fen : 0,
		  .new_amount_fen = suspend ? 0 : r->monthly_amount_fen,
		  .first_month    = chg->first_month,
		  .actor          = by,
		  .reason         = c->reason };
	sn_err                  err = approval_store_register_set(tx, &w);
	if (err == SN_OK)
		err = append_register_changed(tx, r, &w, by, NULL);
	if (err != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, 200,
	    json_pack("{s:s,s:s,s:s,s:s}", "beneficiary_id", r->beneficiary_id,
	        "status", approval_register_status_name(chg->to), "cause",
	        approval_register_cause_name(chg->cause), "first_month",
	        sn_month_format(chg->first_month, month)));
}

static void
register_read(sn_tx *tx, sn_err err, const approval_register_row *r, void *arg)
{
	register_req *c = arg;
	sn_problem    prob;
	sn_problem_clear(&prob);
	if (err == SN_ENOTFOUND) {
		sn_http_tx_fail(
		    c->req, tx, 404, "not_found", "no such beneficiary", NULL);
		return;
	}
	if (err != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable", "retry", NULL);
		return;
	}
	if (!register_may_act(sn_http_principal(c->req), r, &prob)) {
		register_refuse(c, tx, r, &prob);
		return;
	}
	approval_register_standing st
	    = { r->status, r->has_until, r->until_month };
	approval_register_change chg;
	if (!approval_register_act(
	        c->action, &st, sn_clock_today(), &chg, &prob)) {
		sn_http_tx_problem(c->req, tx, &prob);
		return;
	}
	register_change(c, tx, r, &chg);
}

static void
register_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	register_req *c = arg;
	c->lock         = (approval_register_req) { register_read, c };
	if (approval_store_register_lock(tx, sn_http_param(req, "id"),
	        sn_http_principal(req)->juris, &c->lock)
	    != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable", "retry", NULL);
}

static const char *const register_keys[] = { "reason", NULL };

/* Body {"reason": text}: the reason is required (422 missing_field). */
static void
post_register(sn_http_req *req, approval_register_action action)
{
	register_req c = { .req = req, .action = action };
	sn_problem   prob;
	sn_problem_clear(&prob);
	const json_t *body = sn_http_json(req);
	if (!json_is_object(body)) {
		sn_http_reply_error(req, 400, "invalid_body",
		    "the body is a JSON object", NULL);
		return;
	}
	if (!sn_in_only(body, register_keys, "", &prob)
	    || !sn_in_str(body, "reason", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY | SN_IN_MULTILINE, 1000,
	        &c.reason, &prob)) {
		sn_http_problem(req, &prob);
		return;
	}
	register_req *ctx = malloc(sizeof(*ctx));
	if (ctx == NULL) {
		reply_unavailable(req);
		return;
	}
	*ctx = c;
	sn_http_tx_with_end(req, register_begin, free, ctx);
}

static void
post_suspension(sn_http_req *req, void *arg)
{
	(void) arg;
	post_register(req, APPROVAL_REGISTER_DO_SUSPEND);
}

static void
post_resumption(sn_http_req *req, void *arg)
{
	(void) arg;
	post_register(req, APPROVAL_REGISTER_DO_RESUME);
}

/* ---- reviews (issue 9: periodic, and on a reported change) ----------- */

/* The periodic reviews one tick opens at most (the rest on the next). */
#define REVIEWS_PER_TICK 500

/* True if id is one of the comma-separated ids of csv (id numbers hold
 * no comma). */
static bool
in_csv(const char *csv, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = csv; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t      len = end != NULL ? (size_t) (end - p) : strlen(p);
		if (len == n && strncmp(p, id, n) == 0)
			return true;
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* review.requested of review r: the household and consent of its
 * application as submitted, its members still in the register (a death
 * reviewed before takes one out), and, for a change report, the declared
 * figures of the change (c, else NULL). */
static sn_err
append_review_requested(sn_tx *tx, const approval_review_opened *r,
    Sn__Assist__V1__ReviewKind kind, sn_date opened,
    const Sn__Assist__V1__HouseholdChangeReported *c)
{
	char on[SN_DATE_STRLEN], due[SN_DATE_STRLEN];
	Sn__Assist__V1__ReviewRequested m
	    = SN__ASSIST__V1__REVIEW_REQUESTED__INIT;
	Sn__Assist__V1__ApplicationSubmitted *s = r->has_submitted
	    ? sn__assist__v1__application_submitted__unpack(
	        NULL, r->submitted.len, r->submitted.data)
	    : NULL;
	m.review_id                             = (char *) r->review_id;
	m.case_id                               = (char *) r->review_id;
	m.beneficiary_id                        = (char *) r->beneficiary_id;
	m.application_id                        = (char *) r->application_id;
	m.kind                                  = kind;
	m.opened_on                             = sn_date_format(opened, on);
	m.deadline_date
	    = sn_date_format(sn_clock_deadline(opened, A.deadline_days), due);
	m.reason = kind == SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_PERIODIC
	    ? "periodic review"
	    : kind == SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_AGENCY_NOTICE
	    ? "agency notice"
	    : "reported change";
	Sn__Assist__V1__Member *now[APPROVAL_MAX_MEMBERS];
	if (s != NULL) {
		for (size_t i = 0;
		     i < s->n_members && m.n_members < APPROVAL_MAX_MEMBERS;
		     i++)
			if (in_csv(r->member_ids, s->members[i]->id_number))
				now[m.n_members++] = s->members[i];
		m.household = s->household;
		m.members   = now;
		m.consent   = s->consent;
	} else
		sn_log(SN_LOG_WARN, "review without a stored submission",
		    "beneficiary", r->beneficiary_id, NULL);
	if (c != NULL) {
		m.declared_income      = c->income;
		m.declared_expenditure = c->expenditure;
	}
	sn_err err = sn_bus_append_msg(A.bus, tx, "review.requested",
	    r->application_id, "system", &m.base);
	sn__assist__v1__application_submitted__free_unpacked(s, NULL);
	return err;
}

/* The review's case (case_id = review_id), opened in GATHERING with the
 * same 15-day clock as an application. */
static sn_err
review_case_opened(sn_tx *tx, const approval_review_opened *r, sn_date on)
{
	stage_change ch  = { .case_id = r->review_id,
		 .to                  = APPROVAL_STAGE_GATHERING,
		 .actor               = "system",
		 .reason              = "",
		 .township            = r->township_code,
		 .action              = "opened" };
	sn_err       err = approval_store_review_case_open(tx, r->review_id,
	          r->beneficiary_id, on, sn_clock_deadline(on, A.deadline_days));
	if (err == SN_OK)
		err = stage_changed(tx, &ch);
	return err;
}

static sn_err
periodic_opened(sn_tx *tx, const approval_review_opened *r, void *arg)
{
	(void) arg;
	sn_date today = sn_clock_today();
	sn_err  err   = review_case_opened(tx, r, today);
	if (err == SN_OK)
		err = append_review_requested(tx, r,
		    SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_PERIODIC, today,
		    NULL);
	return err;
}

static const approval_review_req periodic_req = { periodic_opened, NULL };

/* A change_report review: the declared figures of the change stored
 * with it. */
static sn_err
change_opened(sn_tx *tx, const approval_review_opened *r, void *arg)
{
	(void) arg;
	Sn__Assist__V1__HouseholdChangeReported *c = r->has_change
	    ? sn__assist__v1__household_change_reported__unpack(
	        NULL, r->change.len, r->change.data)
	    : NULL;
	if (c == NULL)
		return SN_EPROTO;
	sn_date today = sn_clock_today();
	sn_err  err   = review_case_opened(tx, r, today);
	if (err == SN_OK)
		err = append_review_requested(tx, r,
		    nonempty(c->agency)
		        ? SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_AGENCY_NOTICE
		        : SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_CHANGE_REPORT,
		    today, c);
	sn__assist__v1__household_change_reported__free_unpacked(c, NULL);
	return err;
}

static const approval_review_req change_req = { change_opened, NULL };

/* household.change_reported: an unscheduled review, unless one is open
 * (then the change is recorded on it); once per change_id. */
static sn_err
on_change_reported(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	(void) arg;
	const Sn__Assist__V1__HouseholdChangeReported *c = (const void *) msg;
	if (!nonempty(c->change_id) || !nonempty(c->beneficiary_id))
		return SN_EPROTO;
	sn_date today = sn_clock_today();
	return approval_store_review_change(tx, c->change_id,
	    c->beneficiary_id, nonempty(c->agency), ev->data, ev->len, today,
	    sn_clock_deadline(today, A.deadline_days), &change_req);
}

static void
reviews_paged(void *arg, sn_err err, const approval_page *p)
{
	reply_page(arg, err, p, "reviews", false);
}

/* GET /reviews?status=open|closed&township=: within jurisdiction. */
static void
list_reviews(sn_http_req *req, void *arg)
{
	(void) arg;
	const char *status   = sn_http_query(req, "status");
	const char *township = sn_http_query(req, "township");
	sn_problem  prob;
	sn_page     pg;
	sn_problem_clear(&prob);
	if (!sn_page_query(req, &pg, &prob)) {
		sn_http_problem(req, &prob);
		return;
	}
	if (status != NULL && strcmp(status, "open") != 0
	    && strcmp(status, "closed") != 0) {
		bad_query(&prob, "status", "status is open or closed");
		sn_http_problem(req, &prob);
		return;
	}
	if (township != NULL && !code_valid(township, 9)) {
		bad_query(
		    &prob, "township", "township is a 9-digit township code");
		sn_http_problem(req, &prob);
		return;
	}
	approval_store_review_page(A.db, sn_http_principal(req)->juris, status,
	    township, pg.after, pg.limit, reviews_paged, req);
}

/* ---- the clock
 * ------------------------------------------------------------------ */

static sn_err
overdue_marked(sn_tx *tx, const approval_overdue *o, void *arg)
{
	(void) arg;
	char                        deadline[SN_DATE_STRLEN];
	Sn__Assist__V1__CaseOverdue m = SN__ASSIST__V1__CASE_OVERDUE__INIT;
	m.case_id                     = (char *) o->case_id;
	m.application_id              = (char *) o->case_id;
	m.stage                       = (Sn__Assist__V1__Stage) o->stage;
	m.deadline_date               = sn_date_format(o->deadline, deadline);
	m.township_code               = (char *) o->township_code;
	sn_err err = approval_store_timeline(tx, o->case_id, "system",
	    "overdue", APPROVAL_STAGE_UNSPECIFIED, APPROVAL_STAGE_UNSPECIFIED,
	    m.deadline_date, NULL);
	if (err == SN_OK)
		err = sn_bus_append_msg(
		    A.bus, tx, "case.overdue", o->case_id, "system", &m.base);
	if (err == SN_OK)
		sn_counter_add(A.c_overdue, 1);
	return err;
}

static void
counted(sn_tx *tx, sn_err err, const approval_counts *c, void *arg)
{
	(void) tx;
	(void) arg;
	if (err != SN_OK)
		return; /* logged by the store; the next tick tries again */
	for (int i = 1; i < APPROVAL_NSTAGES; i++)
		sn_gauge_set(A.g_stage[i], c->by_stage[i]);
	sn_gauge_set(A.g_overdue, c->overdue);
}

static const approval_overdue_req overdue_req = { overdue_marked, NULL };
static const approval_counts_req  counts_req  = { counted, NULL };

/* Issue 10: approval_overrides{reason="..."}, the township's overrides
 * so far by reason code (a series per code, made on first sight). */
static void
overrides_counted(sn_tx *tx, sn_err err, const approval_override_count *v,
    size_t n, void *arg)
{
	(void) tx;
	(void) arg;
	for (size_t i = 0; err == SN_OK && i < n; i++) {
		char labels[96];
		snprintf(labels, sizeof(labels), "reason=\"%s\"", v[i].code);
		sn_gauge *g = sn_metrics_gauge(sn_service_metrics(A.svc),
		    "approval_overrides",
		    "Approvals of households the rules put in no category, "
		    "by override reason code",
		    labels);
		if (g != NULL)
			sn_gauge_set(g, v[i].n);
	}
}

static const approval_override_counts_req override_counts_req
    = { overrides_counted, NULL };

/* ---- re-rating (design section 6: a new standard re-rates the register)
 */

/* The version re-rating the register in this tick (ticks never overlap:
 * A.tick_running). */
static approval_policy_version rerating;

/* The household as decided (its submission and verified facts) under
 * the new version: a history row and beneficiary.changed when its amount
 * changes. Facts that do not read are logged and the household skipped
 * (it keeps its amount; nothing else waits on it). */
static sn_err
rerate_one(sn_tx *tx, const approval_register_row *r, void *arg)
{
	const approval_policy_version         *v = arg;
	Sn__Assist__V1__ApplicationSubmitted  *s = submitted_of(r);
	Sn__Assist__V1__VerificationCompleted *f = r->has_verification
	    ? sn__assist__v1__verification_completed__unpack(
	        NULL, r->verification.len, r->verification.data)
	    : NULL;
	approval_member                        members[APPROVAL_MAX_MEMBERS];
	approval_household                     hh;
	approval_change                        chg;
	approval_entry                         e = { .category = r->category,
		                        .tier                  = r->tier,
		                        .monthly_amount_fen = r->monthly_amount_fen,
		                        .standing           = r->status };
	sn_err err = SN_EINVAL, rerr = SN_EINVAL;
	if (s != NULL && f != NULL && f->facts != NULL && s->household != NULL
	    && s->n_members <= APPROVAL_MAX_MEMBERS) {
		household_of(s, f->facts, members, &hh);
		rerr = approval_rules_rerate(&v->policy, &hh, &e,
		    sn_date_month(v->effective_from), &chg);
	}
	err = SN_OK;
	if (rerr != SN_OK)
		sn_log(SN_LOG_WARN, "household not re-rated", "beneficiary",
		    r->beneficiary_id, "error", sn_strerror(rerr), NULL);
	else if (chg.outcome == APPROVAL_OUTCOME_RERATED)
		err = rerated(tx, r, v, &chg);
	sn__assist__v1__application_submitted__free_unpacked(s, NULL);
	sn__assist__v1__verification_completed__free_unpacked(f, NULL);
	return err;
}

static const approval_rerate_req rerate_req = { rerate_one, &rerating };

static void
rerating_due(
    sn_tx *tx, sn_err err, const approval_policy_version *v, void *arg)
{
	(void) arg;
	if (err == SN_ENOTFOUND)
		return; /* none due */
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	rerating = *v;
	sn_log(SN_LOG_INFO, "re-rating the register", "version",
	    v->policy.version, NULL);
	if (approval_store_rerating_rows(tx, v->effective_from, &rerate_req)
	    != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
}

static const approval_due_req due_req = { rerating_due, NULL };

/* ---- the end of a gradual exit (design section 6: 渐退) ---------------- */

/* A household whose gradual exit ended before this month exits
 * (approval_rules_gradual_end): its row, history (cause exit) and
 * beneficiary.changed, from the month after its last month paid. */
static sn_err
gradual_one(sn_tx *tx, const approval_register_row *r, void *arg)
{
	(void) arg;
	approval_change chg;
	approval_entry  e = { .category = r->category,
		 .tier                  = r->tier,
		 .monthly_amount_fen    = r->monthly_amount_fen,
		 .standing              = r->status,
		 .until_month           = r->until_month };
	approval_rules_gradual_end(&e, sn_clock_month(), &chg);
	if (!chg.changed)
		return SN_OK;
	approval_review_apply   a   = { .beneficiary_id = r->beneficiary_id,
		    .changed                            = true,
		    .from                               = r->status,
		    .to                                 = chg.standing,
		    .cause                              = chg.cause,
		    .category                           = chg.category,
		    .tier                               = chg.tier,
		    .old_amount_fen                     = chg.old_amount_fen,
		    .new_amount_fen                     = chg.amount_fen,
		    .first_month                        = chg.first_month,
		    .has_until                          = true,
		    .until_month                        = chg.until_month,
		    .policy_version                     = r->policy_version,
		    .actor                              = "system",
		    .reason                             = "gradual exit ended" };
	approval_register_write w   = { .beneficiary_id = r->beneficiary_id,
		  .from                                 = r->status,
		  .to                                   = chg.standing,
		  .cause                                = chg.cause,
		  .old_amount_fen                       = chg.old_amount_fen,
		  .new_amount_fen                       = chg.amount_fen,
		  .first_month                          = chg.first_month,
		  .actor                                = "system",
		  .reason                               = a.reason };
	sn_err                  err = approval_store_review_apply(tx, &a);
	if (err == SN_OK)
		err = append_register_changed(tx, r, &w, "system", NULL);
	return err;
}

static const approval_gradual_req gradual_req = { gradual_one, NULL };

static void
tick_begin(sn_tx *tx, void *arg)
{
	(void) arg;
	if (approval_store_mark_overdue(tx, sn_clock_today(), &overdue_req)
	        != SN_OK
	    || approval_store_rerating_due(tx, sn_clock_today(), &due_req)
	        != SN_OK
	    || approval_store_gradual_due(tx, sn_clock_month(), &gradual_req)
	        != SN_OK
	    || approval_store_reviews_due(tx, sn_clock_today(),
	           sn_clock_deadline(sn_clock_today(), A.deadline_days),
	           REVIEWS_PER_TICK, &periodic_req)
	        != SN_OK
	    || approval_store_counts(tx, &counts_req) != SN_OK
	    || approval_store_override_counts(tx, &override_counts_req)
	        != SN_OK) {
		sn_tx_rollback(tx, SN_EDB);
		return;
	}
	sn_tx_commit(tx);
}

static void
tick_done(sn_err err, void *arg)
{
	(void) arg;
	A.tick_running = false;
	if (err != SN_OK && err != SN_ECLOSED)
		sn_log(SN_LOG_WARN, "overdue check failed; next tick retries",
		    "error", sn_strerror(err), NULL);
}

static void
on_tick(void *arg)
{
	(void) arg;
	if (A.tick_running || sn_loop_stopping(A.loop))
		return;
	A.tick_running = true;
	sn_db_tx(A.db, tick_begin, tick_done, NULL);
}

/* ---- wiring
 * ---------------------------------------------------------------------- */

const sn_http_route_def approval_routes[] = {
	{ "GET", "/policy", 0, NULL, get_policy },
	{ "POST", "/policy", SN_HTTP_IDEMPOTENT, "district_admin",
	    post_policy },
	{ "GET", "/price-indices", 0, NULL, get_price_indices },
	{ "POST", "/price-indices", SN_HTTP_IDEMPOTENT, "district_admin",
	    post_price_indices },
	{ "POST", "/standards/proposal", 0, "district_admin",
	    post_standards_proposal },
	{ "GET", "/cases", 0, NULL, list_cases },
	{ "GET", "/cases/{id}", 0, NULL, get_case },
	{ "POST", "/cases/{id}/village-review", SN_HTTP_IDEMPOTENT,
	    "village_reviewer", post_village_review },
	{ "POST", "/cases/{id}/township-confirmation", SN_HTTP_IDEMPOTENT,
	    "township_officer", post_township_confirmation },
	{ "POST", "/cases/{id}/district-filing", SN_HTTP_IDEMPOTENT,
	    "district_officer", post_district_filing },
	{ "GET", "/reviews", 0, NULL, list_reviews },
	{ "GET", "/beneficiaries", 0, NULL, list_beneficiaries },
	{ "GET", "/beneficiaries/{id}", 0, NULL, get_beneficiary },
	{ "POST", "/beneficiaries/{id}/suspension", SN_HTTP_IDEMPOTENT,
	    "township_officer", post_suspension },
	{ "POST", "/beneficiaries/{id}/resumption", SN_HTTP_IDEMPOTENT,
	    "township_officer", post_resumption },
};

const size_t approval_nroutes
    = sizeof(approval_routes) / sizeof(approval_routes[0]);

static const sn_bus_topic topics[] = {
	{ "intake", "application.submitted",
	    &sn__assist__v1__application_submitted__descriptor, on_submitted },
	{ "intake", "application.withdrawn",
	    &sn__assist__v1__application_withdrawn__descriptor, on_withdrawn },
	{ "intake", "application.resubmitted",
	    &sn__assist__v1__application_submitted__descriptor,
	    on_resubmitted },
	{ "disbursement", "payment.failed",
	    &sn__pay__v1__payment_failed__descriptor,
	    approval_payee_on_failed },
	{ "disbursement", "payee.changed",
	    &sn__pay__v1__payee_changed__descriptor,
	    approval_payee_on_changed },
	{ "verification", "verification.completed",
	    &sn__assist__v1__verification_completed__descriptor,
	    on_verification },
	{ "investigation", "investigation.completed",
	    &sn__assist__v1__investigation_completed__descriptor,
	    on_investigation },
	{ "intake", "household.change_reported",
	    &sn__assist__v1__household_change_reported__descriptor,
	    on_change_reported },
};

static sn_err
metrics_setup(sn_metrics *m)
{
	for (int i = 1; i < APPROVAL_NSTAGES; i++) {
		char labels[64];
		snprintf(labels, sizeof(labels), "stage=\"%s\"",
		    approval_rules_stage_name((approval_stage) i));
		A.g_stage[i] = sn_metrics_gauge(
		    m, "approval_cases", "Cases by stage", labels);
		if (A.g_stage[i] == NULL)
			return SN_ENOMEM;
	}
	A.g_overdue = sn_metrics_gauge(
	    m, "approval_cases_overdue", "Cases marked overdue", NULL);
	A.c_refusals = sn_metrics_counter(m, "approval_refusals_total",
	    "Steps refused (jurisdiction, segregation of duties)", NULL);
	A.c_overdue  = sn_metrics_counter(m, "approval_overdue_marked_total",
	     "Cases marked overdue by the clock", NULL);
	A.c_computed = sn_metrics_counter(
	    m, "approval_computed_total", "Cases classified", NULL);
	A.c_resubmit_ignored = sn_metrics_counter(m,
	    "approval_resubmissions_ignored_total",
	    "application.resubmitted of a case not RETURNED (recorded)", NULL);
	if (A.c_resubmit_ignored == NULL)
		return SN_ENOMEM;
	if (A.g_overdue == NULL || A.c_refusals == NULL || A.c_overdue == NULL
	    || A.c_computed == NULL)
		return SN_ENOMEM;
	return SN_OK;
}

sn_err
approval_setup(sn_service *svc, void *arg)
{
	const approval_config *cfg = arg;
	A.svc                      = svc;
	A.bus                      = sn_service_bus(svc);
	A.db                       = sn_service_db(svc);
	A.loop                     = sn_service_loop(svc);
	A.deadline_days            = (int32_t) cfg->deadline_days;
	sn_err err                 = metrics_setup(sn_service_metrics(svc));
	if (err != SN_OK
	    || (err = sn_bus_on_table(
	            A.bus, topics, sizeof(topics) / sizeof(topics[0]), NULL))
	        != SN_OK)
		return err;
	return sn_service_every(
	    svc, 0, (uint64_t) cfg->overdue_check_ms, on_tick, NULL);
}
