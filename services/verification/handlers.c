/*
 * verification/handlers.c - see handlers.h.
 *
 * Ownership: a round (one check being asked) belongs to the verification
 * that started it, on its list, until its transaction's done callback
 * (or verification_close) frees it. Answers arriving for a round are
 * copied into it; the agency client's buffers are only borrowed.
 */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/idnum.h"
#include "sn/log.h"
#include "sn/page.h"
#include "store.h"

#define APP_ID_MAX VERIFICATION_ID_MAX

typedef struct round round;

struct verification {
	sn_service            *svc;
	sn_db                 *db;
	sn_bus                *bus;
	verification_config    cfg;
	verification_agencies *agencies;
	uv_timer_t             scan_timer;
	bool                   scanning, rescan, stopping;
	int                    scan_limit; /* the page the scan asked for */
	/* A scan or kick stopped at max_rounds: a finished round scans. */
	bool   capped;
	round *rounds;
	int    nrounds;
	/* Finished rounds waiting for their transaction, oldest first,
	 * and whether one is in flight (it takes every round queued). */
	round *fin_head, *fin_tail;
	bool   finishing;
	/* Checks whose rounds were recorded while the scan in flight was
	 * read: it may still see them due (its snapshot is older). */
	int64_t    *done_ids;
	size_t      ndone, done_cap;
	sn_counter *rounds_total[2]; /* complete, incomplete */
	sn_counter *scan_rows;       /* checks the scans read */
	sn_counter *published[2];
	sn_gauge   *inflight;
};

/* One agency's final answer within a round, owned by the round. */
struct slot {
	bool                 asked, done;
	verification_outcome outcome;
	uint32_t             tries;
	uint64_t             latency_ms;
	char                 error[256];
	char                 answered_at[64];
	uint8_t             *reply;
	size_t               reply_len;
	char                *records_json;
};

struct round {
	verification            *v;
	round                   *prev, *next;
	verification_due         due;
	int                      attempt; /* this round's number */
	int                      pending; /* agencies still being asked */
	struct slot              slots[VERIFICATION_NAGENCIES];
	verification_state_req   state;
	verification_replies_req replies;
	/* The finish queue (fnext) and the group being recorded (gnext);
	 * solo: recorded in a transaction of its own (a group it was in
	 * failed); ferr: this round's own conflict within its group. */
	round               *fnext, *gnext;
	struct finish_group *group;
	bool                 solo;
	sn_err               ferr;
};

/* The rounds one transaction records, in queue order. */
typedef struct finish_group {
	verification *v;
	round        *first, *cur;
	int           n;
} finish_group;

/* Rounds recorded in one transaction at most. */
#define FINISH_GROUP_MAX 64

static void scan_kick(verification *v);
static void rounds_cancel(
    verification *v, const char *application_id, int below_revision);
static sn_err publish_completed(verification *v, sn_tx *tx,
    const char *application_id, const char *review_id, int attempt,
    int revision, const verification_result *res);

/* ---- events in ---------------------------------------------------------- */

static void
on_commit_kick(void *arg)
{
	scan_kick(arg);
}

/*
 * Records the check for one event, already checked by the rules, as the
 * rules admitted it. A check they do not ask (no consent, or a review's
 * consent expired) is recorded unasked and published INCOMPLETE now.
 */
static sn_err
record_check(verification *v, sn_tx *tx, verification_check_new *c,
    verification_admission adm)
{
	sn_err err;
	c->status  = adm.status;
	c->attempt = adm.attempt;
	c->reason  = adm.reason;
	if (!adm.ask) {
		char masked[SN_LOG_MASK_MAX];
		sn_log(SN_LOG_WARN,
		    "check without a valid consent: no agency "
		    "is asked",
		    "application_id", c->application_id, "review_id",
		    c->review_id, "reason", adm.reason, "applicant",
		    sn_log_mask_idnum(c->ids[0], masked), NULL);
	}
	if ((err = verification_store_check_insert(tx, c)) != SN_OK)
		return err;
	if (adm.ask)
		return sn_tx_on_commit(tx, on_commit_kick, v);

	if ((err = verification_store_outcome_unasked(tx, c->source_event))
	    != SN_OK)
		return err;
	/* Every agency missing, no facts: never zeros. */
	verification_result none;
	memset(&none, 0, sizeof(none));
	for (int i = 0; i < VERIFICATION_NAGENCIES; i++)
		none.missing[none.nmissing++] = i;
	return publish_completed(v, tx, c->application_id, c->review_id,
	    adm.attempt, c->revision, &none);
}

/*
 * The check an event asks for, from its household and members (ids
 * receives the identity numbers); false when the rules refuse it.
 */
static bool
check_from_event(verification_check_new *c, const char *application_id,
    const Sn__Assist__V1__Consent   *consent,
    const Sn__Assist__V1__Household *hh, Sn__Assist__V1__Member *const *m,
    size_t n, const char **ids)
{
	for (size_t i = 0; i < n && i < VERIFICATION_MAX_MEMBERS; i++)
		ids[i] = m[i] != NULL ? m[i]->id_number : NULL;
	verification_household_in in = { .application_id = application_id,
		.consent_reference = consent != NULL ? consent->reference : "",
		.district_code     = hh != NULL ? hh->district_code : NULL,
		.township_code     = hh != NULL ? hh->township_code : NULL,
		.village_code      = hh != NULL ? hh->village_code : NULL,
		.ids               = ids,
		.nids              = n };
	if (!verification_rules_household_valid(&in))
		return false;
	c->application_id    = application_id;
	c->consent_reference = in.consent_reference;
	c->ids               = ids;
	c->members           = (int) n;
	c->district_code     = in.district_code;
	c->township_code     = in.township_code;
	c->village_code      = in.village_code;
	return true;
}

static void
declared_from_event(verification_declared *d,
    const Sn__Assist__V1__Income *inc, const Sn__Assist__V1__Expenditure *exp)
{
	memset(d, 0, sizeof(*d));
	if (inc != NULL) {
		d->wages_fen        = inc->wages_fen;
		d->business_fen     = inc->business_fen;
		d->pensions_fen     = inc->pensions_fen;
		d->other_fen        = inc->other_fen;
		d->agricultural_fen = inc->agricultural_fen;
		d->support_fen      = inc->support_fen;
	}
	if (exp != NULL) {
		d->medical_fen    = exp->medical_fen;
		d->education_fen  = exp->education_fen;
		d->housing_fen    = exp->housing_fen;
		d->employment_fen = exp->employment_costs_fen;
	}
}

/*
 * An application's check (application.submitted, or .resubmitted with
 * resubmission set): recorded as the rules admit it; a resubmission
 * cancels what is still pending of the older revisions.
 */
static sn_err
on_application(verification *v, sn_tx *tx, const sn_event *ev,
    const Sn__Assist__V1__ApplicationSubmitted *a, bool resubmission)
{
	sn_err                 err = SN_EPROTO;
	const char            *ids[VERIFICATION_MAX_MEMBERS];
	verification_check_new c = { .source_event = ev->id,
		.kind            = VERIFICATION_KIND_APPLICATION,
		.review_id       = "",
		.has_declaration = true,
		.has_expenditure = true,
		.revision        = verification_rules_revision(a->revision),
		.accepted_date   = a->accepted_date,
		.deadline_date   = a->deadline_date };
	declared_from_event(
	    &c.declared, a->declared_income, a->declared_expenditure);
	/* The rules refuse what no household declares; refuse it here,
	 * where it can be skipped, rather than in every round. */
	if (check_from_event(&c, a->application_id, a->consent, a->household,
	        a->members, a->n_members, ids)
	    && verification_rules_declared_valid(&c.declared)
	    && (!resubmission
	        || verification_rules_resubmission_valid(a->revision))) {
		err = SN_OK;
		if (resubmission) {
			char why[64];
			snprintf(why, sizeof(why), "superseded by revision %d",
			    c.revision);
			rounds_cancel(v, a->application_id, c.revision);
			err = verification_store_checks_cancel(
			    tx, a->application_id, c.revision, why);
		}
		if (err == SN_OK)
			err = record_check(v, tx, &c,
			    verification_rules_admit(c.consent_reference));
	}
	if (err == SN_EPROTO)
		sn_log(SN_LOG_WARN, "malformed application event skipped",
		    "event_id", ev->id, "type", ev->type, NULL);
	return err;
}

static sn_err
on_submitted(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	return on_application(arg, tx, ev,
	    (const Sn__Assist__V1__ApplicationSubmitted *) msg, false);
}

static sn_err
on_resubmitted(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	return on_application(arg, tx, ev,
	    (const Sn__Assist__V1__ApplicationSubmitted *) msg, true);
}

/*
 * Stops the tries of the rounds asking for application_id now (all of
 * them, or an application's of a revision below below_revision): their
 * failed tries are not retried. Done before the cancellation commits: if
 * it rolls back, such a round merely ends early, incomplete, and its
 * check is asked again as any other.
 */
static void
rounds_cancel(verification *v, const char *application_id, int below_revision)
{
	for (round *r = v->rounds; r != NULL; r = r->next)
		if (strcmp(r->due.application_id, application_id) == 0
		    && (below_revision == 0
		        || (r->due.review_id[0] == '\0'
		            && r->due.revision < below_revision)))
			verification_agencies_cancel(v->agencies, r);
}

/* A withdrawal cancels every pending round and retry of the
 * application: no agency is asked for it again. */
static sn_err
on_withdrawn(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ApplicationWithdrawn *w
	    = (const Sn__Assist__V1__ApplicationWithdrawn *) msg;
	if (w->application_id[0] == '\0'
	    || strlen(w->application_id) > VERIFICATION_ID_MAX) {
		sn_log(SN_LOG_WARN, "malformed application.withdrawn skipped",
		    "event_id", ev->id, NULL);
		return SN_EPROTO;
	}
	rounds_cancel(arg, w->application_id, 0);
	return verification_store_checks_cancel(
	    tx, w->application_id, 0, "withdrawn");
}

static sn_err
on_review(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	verification                          *v = arg;
	const Sn__Assist__V1__ReviewRequested *a
	    = (const Sn__Assist__V1__ReviewRequested *) msg;
	sn_err                 err = SN_EPROTO;
	const char            *ids[VERIFICATION_MAX_MEMBERS];
	sn_date                opened_on = sn_clock_today();
	verification_check_new c         = { .source_event = ev->id,
		        .kind                              = VERIFICATION_KIND_REVIEW,
		        .review_id                         = a->review_id,
		        .has_declaration = a->declared_income != NULL,
		        .has_expenditure = a->declared_expenditure != NULL,
		        .revision        = 1,
		        .accepted_date   = "",
		        .deadline_date   = a->deadline_date };
	/* A change report's review carries the figures as reported. */
	declared_from_event(
	    &c.declared, a->declared_income, a->declared_expenditure);
	/* The consent's age counts to the day the review opened; an event
	 * that does not say is taken as opened today (the district's). */
	bool dated = a->opened_on[0] == '\0'
	    || sn_date_parse(a->opened_on, &opened_on) == SN_OK;
	if (dated && a->review_id[0] != '\0'
	    && strlen(a->review_id) <= VERIFICATION_ID_MAX
	    && verification_rules_declared_valid(&c.declared)
	    && check_from_event(&c, a->application_id, a->consent,
	        a->household, a->members, a->n_members, ids))
		err = record_check(v, tx, &c,
		    verification_rules_admit_review(c.consent_reference,
		        a->consent != NULL ? a->consent->signed_date : NULL,
		        opened_on));
	else
		sn_log(SN_LOG_WARN, "malformed review.requested skipped",
		    "event_id", ev->id, NULL);
	return err;
}

/* ---- rounds ------------------------------------------------------------- */

static void
round_free(round *r)
{
	verification *v = r->v;
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		v->rounds = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	v->nrounds--;
	sn_gauge_set(v->inflight, v->nrounds);
	for (int i = 0; i < VERIFICATION_NAGENCIES; i++) {
		free(r->slots[i].reply);
		free(r->slots[i].records_json);
	}
	free(r);
}

/* The figures of one agency in a record, as JSON. */
static json_t *
record_json(int agency, const char *id, const verification_person *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "id_number", json_string(id));
	switch (agency) {
	case VERIFICATION_PUBLIC_SECURITY:
		json_object_set_new(
		    o, "registered", json_boolean(p->registered));
		json_object_set_new(o, "alive", json_boolean(p->alive));
		break;
	case VERIFICATION_HUMAN_RESOURCES:
		json_object_set_new(
		    o, "wages_fen", json_integer(p->wages_fen));
		json_object_set_new(
		    o, "pension_fen", json_integer(p->pension_fen));
		json_object_set_new(o, "unemployment_benefit_fen",
		    json_integer(p->unemployment_fen));
		json_object_set_new(
		    o, "social_insurance", json_boolean(p->social_insurance));
		break;
	case VERIFICATION_HOUSING:
		json_object_set_new(o, "homes", json_integer(p->homes));
		break;
	case VERIFICATION_VEHICLES:
		json_object_set_new(o, "vehicles", json_integer(p->vehicles));
		json_object_set_new(
		    o, "exempt_vehicles", json_integer(p->exempt_vehicles));
		break;
	case VERIFICATION_MARKET:
		json_object_set_new(
		    o, "businesses", json_integer(p->businesses));
		json_object_set_new(o, "business_capital_fen",
		    json_integer(p->business_capital_fen));
		break;
	case VERIFICATION_TAX:
		json_object_set_new(
		    o, "taxed_income_fen", json_integer(p->taxed_income_fen));
		break;
	case VERIFICATION_BANKS:
		json_object_set_new(
		    o, "deposits_fen", json_integer(p->deposits_fen));
		json_object_set_new(
		    o, "financial_assets_fen", json_integer(p->financial_fen));
		break;
	case VERIFICATION_PROVIDENT_FUND:
		json_object_set_new(o, "provident_fund_balance_fen",
		    json_integer(p->pf_balance_fen));
		json_object_set_new(o, "provident_fund_monthly_fen",
		    json_integer(p->pf_monthly_fen));
		break;
	default:
		break;
	}
	return o;
}

static void round_finish(round *r);
static void finish_step(sn_tx *tx, finish_group *g, round *r);

static void
on_answer(const verification_answer *ans, void *arg)
{
	round       *r = arg;
	struct slot *s = &r->slots[ans->agency];
	s->done        = true;
	s->outcome     = ans->outcome;
	s->tries       = ans->tries;
	s->latency_ms  = ans->latency_ms;
	snprintf(s->error, sizeof(s->error), "%s", ans->error);
	snprintf(
	    s->answered_at, sizeof(s->answered_at), "%s", ans->answered_at);
	if (ans->reply != NULL) {
		s->reply = malloc(ans->reply_len ? ans->reply_len : 1);
		if (s->reply == NULL)
			abort();
		memcpy(s->reply, ans->reply, ans->reply_len);
		s->reply_len = ans->reply_len;
	}
	json_t *recs = json_array();
	for (size_t i = 0; i < ans->npersons; i++)
		json_array_append_new(recs,
		    record_json(ans->agency, r->due.ids[i], &ans->persons[i]));
	s->records_json = json_dumps(recs, JSON_COMPACT);
	json_decref(recs);
	if (s->records_json == NULL)
		abort();
	if (ans->outcome != VERIFICATION_OUTCOME_OK) {
		char masked[SN_LOG_MASK_MAX];
		sn_log(SN_LOG_WARN, "agency did not answer", "agency",
		    verification_agency_name(ans->agency), "outcome",
		    verification_outcome_name(ans->outcome), "error",
		    ans->error, "application_id", r->due.application_id,
		    "applicant", sn_log_mask_idnum(r->due.ids[0], masked),
		    NULL);
	}
	if (--r->pending == 0)
		round_finish(r);
}

static json_t *
facts_json(const verification_facts *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "members", json_integer(f->members));
	json_object_set_new(
	    o, "gross_income_fen", json_integer(f->gross_income_fen));
	json_object_set_new(o, "income_per_member_fen",
	    json_integer(f->income_per_member_fen));
	json_object_set_new(o, "rigid_expenditure_per_member_fen",
	    json_integer(f->rigid_expenditure_per_member_fen));
	json_object_set_new(
	    o, "net_per_member_fen", json_integer(f->net_per_member_fen));
	json_object_set_new(
	    o, "financial_assets_fen", json_integer(f->financial_assets_fen));
	json_object_set_new(o, "financial_assets_per_member_fen",
	    json_integer(f->financial_assets_per_member_fen));
	json_object_set_new(o, "homes", json_integer(f->homes));
	json_object_set_new(o, "vehicles", json_integer(f->vehicles));
	json_object_set_new(
	    o, "exempt_vehicles", json_integer(f->exempt_vehicles));
	json_object_set_new(
	    o, "business_capital_fen", json_integer(f->business_capital_fen));
	json_object_set_new(
	    o, "deceased_members", json_integer(f->deceased_members));
	json_object_set_new(
	    o, "all_registered", json_boolean(f->all_registered));
	return o;
}

static char *
dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		abort();
	return s;
}

/* Records the outcome of round r and moves its check as next says. */
static sn_err
record_outcome(round *r, sn_tx *tx, const verification_result *res,
    const verification_round_next *next)
{
	char   *facts = res->complete ? dump(facts_json(&res->facts)) : NULL;
	json_t *disc  = json_array();
	for (int i = 0; i < res->ndiscrepancies; i++) {
		const verification_discrepancy *d = &res->discrepancies[i];
		json_t                         *o = json_object();
		json_object_set_new(o, "field", json_string(d->field));
		json_object_set_new(
		    o, "declared_fen", json_integer(d->declared_fen));
		json_object_set_new(
		    o, "reported_fen", json_integer(d->reported_fen));
		json_object_set_new(o, "agency",
		    json_string(verification_agency_name(d->agency)));
		json_array_append_new(disc, o);
	}
	char  *discs = dump(disc);
	sn_err err   = verification_store_outcome_put(tx, r->due.check_id,
	      r->attempt, next->status, res->missing, res->nmissing, facts,
	      discs, next->publish);
	if (err == SN_OK)
		err = verification_store_check_finish(tx, r->due.check_id,
		    next->status, r->attempt, r->due.attempt, next->retry_ms);
	free(facts);
	free(discs);
	return err;
}

static void
facts_proto(Sn__Assist__V1__HouseholdFacts *hf, const verification_facts *f)
{
	hf->members               = f->members;
	hf->gross_income_fen      = f->gross_income_fen;
	hf->income_per_member_fen = f->income_per_member_fen;
	hf->rigid_expenditure_per_member_fen
	    = f->rigid_expenditure_per_member_fen;
	hf->net_per_member_fen   = f->net_per_member_fen;
	hf->financial_assets_fen = f->financial_assets_fen;
	hf->financial_assets_per_member_fen
	    = f->financial_assets_per_member_fen;
	hf->homes                = f->homes;
	hf->vehicles             = f->vehicles;
	hf->exempt_vehicles      = f->exempt_vehicles;
	hf->business_capital_fen = f->business_capital_fen;
	hf->deceased_members     = f->deceased_members;
	hf->all_registered       = f->all_registered;
}

/* Appends verification.completed for round attempt of application_id's
 * revision. */
static sn_err
publish_completed(verification *v, sn_tx *tx, const char *application_id,
    const char *review_id, int attempt, int revision,
    const verification_result *res)
{
	Sn__Assist__V1__VerificationCompleted vc
	    = SN__ASSIST__V1__VERIFICATION_COMPLETED__INIT;
	Sn__Assist__V1__HouseholdFacts hf
	    = SN__ASSIST__V1__HOUSEHOLD_FACTS__INIT;
	Sn__Assist__V1__Discrepancy  dv[VERIFICATION_MAX_DISCREPANCIES];
	Sn__Assist__V1__Discrepancy *dp[VERIFICATION_MAX_DISCREPANCIES];
	char                        *names[VERIFICATION_NAGENCIES];
	for (int i = 0; i < res->nmissing; i++)
		names[i] = (char *) verification_agency_name(res->missing[i]);
	vc.application_id     = (char *) application_id;
	vc.status             = res->complete
	                ? SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE
	                : SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_INCOMPLETE;
	vc.n_missing_agencies = (size_t) res->nmissing;
	vc.missing_agencies   = names;
	vc.attempt            = attempt;
	vc.review_id          = (char *) review_id; /* "" for applications */
	vc.revision           = revision;
	if (res->complete) {
		facts_proto(&hf, &res->facts);
		vc.facts = &hf;
	}
	for (int i = 0; i < res->ndiscrepancies; i++) {
		const verification_discrepancy *d = &res->discrepancies[i];
		sn__assist__v1__discrepancy__init(&dv[i]);
		dv[i].field        = (char *) d->field;
		dv[i].declared_fen = d->declared_fen;
		dv[i].reported_fen = d->reported_fen;
		dv[i].agency = (char *) verification_agency_name(d->agency);
		dp[i]        = &dv[i];
	}
	vc.n_discrepancies = (size_t) res->ndiscrepancies;
	vc.discrepancies   = dp;
	sn_err err = sn_bus_append_msg(v->bus, tx, "verification.completed",
	    application_id, "system", &vc.base);
	if (err == SN_OK)
		sn_counter_add(v->published[res->complete ? 0 : 1], 1);
	return err;
}

static void
on_ok_replies(sn_tx *tx, sn_err err, const verification_ok_reply *rows,
    size_t n, void *arg)
{
	round              *r = arg;
	verification_person persons[VERIFICATION_MAX_MEMBERS];
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	memset(persons, 0, sizeof(persons));
	verification_input in = { .members = r->due.members,
		.has_declaration           = r->due.has_declaration,
		.has_expenditure           = r->due.has_expenditure,
		.declared                  = r->due.declared,
		.persons                   = persons };
	for (size_t i = 0; i < n; i++) {
		int a = (int) rows[i].agency;
		if (verification_agencies_decode(a,
		        (const char *const *) r->due.ids,
		        (size_t) r->due.members, rows[i].reply, rows[i].len,
		        persons)
		    != SN_OK) {
			sn_log(SN_LOG_ERROR, "a stored answer does not decode",
			    "agency", verification_agency_name(a), NULL);
			continue; /* counted as missing */
		}
		in.answered[a] = true;
	}
	verification_result     result;
	verification_round_next next;
	err = verification_rules_evaluate(&in, &result);
	if (err == SN_OK) {
		next = verification_rules_round_next(result.complete,
		    r->attempt, r->v->cfg.max_attempts, r->v->cfg.retry_ms,
		    r->due.requested);
		err  = record_outcome(r, tx, &result, &next);
	}
	if (err == SN_OK && next.publish)
		err = publish_completed(r->v, tx, r->due.application_id,
		    r->due.review_id, r->attempt, r->due.revision, &result);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	sn_counter_add(r->v->rounds_total[result.complete ? 0 : 1], 1);
	finish_step(tx, r->group, r->gnext);
}

/* The check, locked: a round of a check cancelled (withdrawn, or a
 * newer revision) or moved on meanwhile is not recorded. */
static void
on_check_state(
    sn_tx *tx, sn_err err, const verification_check_state *st, void *arg)
{
	round *r = arg;
	if (err == SN_OK
	    && ((st->status != VERIFICATION_PENDING
	            && st->status != VERIFICATION_INCOMPLETE)
	        || st->attempt != r->due.attempt))
		err = SN_ECONFLICT;
	if (err == SN_ECONFLICT) {
		/* Nothing of this round is written; the group goes on. */
		r->ferr = err;
		finish_step(tx, r->group, r->gnext);
		return;
	}
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	verification_answer_row rows[VERIFICATION_NAGENCIES];
	size_t                  n = 0;
	for (int a = 0; a < VERIFICATION_NAGENCIES; a++) {
		struct slot *s = &r->slots[a];
		if (!s->asked)
			continue;
		rows[n++]
		    = (verification_answer_row) { .check_id = r->due.check_id,
			      .agency             = (verification_agency) a,
			      .attempt            = r->attempt,
			      .outcome            = s->outcome,
			      .tries              = s->tries,
			      .latency_ms         = s->latency_ms,
			      .agency_answered_at = s->answered_at,
			      .error              = s->error,
			      .reply              = s->reply,
			      .reply_len          = s->reply_len,
			      .records_json
			      = s->records_json ? s->records_json : "[]" };
	}
	if (verification_store_answers_put(tx, rows, n) != SN_OK) {
		sn_tx_rollback(tx, SN_EDB);
		return;
	}
	r->replies.cb  = on_ok_replies;
	r->replies.arg = r;
	if (verification_store_ok_replies(tx, r->due.check_id, &r->replies)
	    != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
}

/*
 * Records round r of group g, then the rounds after it; commits after the
 * last. Each round's queries, and the verification.completed it appends,
 * carry the request id of the work that asked for its check.
 */
static void
finish_step(sn_tx *tx, finish_group *g, round *r)
{
	g->cur = r;
	if (r == NULL) {
		sn_tx_commit(tx);
		return;
	}
	char prev[SN_LOG_REQUEST_ID_MAX + 1];
	sn_log_swap_request_id(r->due.request_id, prev);
	r->state.cb  = on_check_state;
	r->state.arg = r;
	sn_err err
	    = verification_store_check_state(tx, r->due.check_id, &r->state);
	sn_log_set_request_id(prev);
	if (err != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
}

static void
finish_begin(sn_tx *tx, void *arg)
{
	finish_group *g = arg;
	finish_step(tx, g, g->first);
}

static void finish_next(verification *v);

static void
round_not_recorded(const round *r, sn_err err)
{
	char id[24];
	snprintf(id, sizeof(id), "%" PRId64, r->due.check_id);
	/* A lost race (another round recorded this attempt) is a conflict;
	 * anything else leaves the check due for a scan. */
	sn_log(err == SN_ECONFLICT ? SN_LOG_INFO : SN_LOG_WARN,
	    "round not recorded", "check_id", id, "application_id",
	    r->due.application_id, "error", sn_strerror(err), NULL);
}

static void
done_while_scanning(verification *v, int64_t check_id)
{
	if (v->ndone == v->done_cap) {
		size_t   cap = v->done_cap ? 2 * v->done_cap : 64;
		int64_t *ids = realloc(v->done_ids, cap * sizeof(*ids));
		if (ids == NULL)
			abort();
		v->done_ids = ids;
		v->done_cap = cap;
	}
	v->done_ids[v->ndone++] = check_id;
}

static void
finish_done(sn_err err, void *arg)
{
	finish_group *g        = arg;
	verification *v        = g->v;
	round        *r        = g->first, *next;
	bool          recorded = false;
	if (err != SN_OK && g->n > 1 && !v->stopping) {
		/* One round's failure must not cost the others theirs: each
		 * is recorded again in a transaction of its own, in order. */
		round *last = NULL;
		for (round *x = r; x != NULL; x = x->gnext) {
			x->solo  = true;
			x->ferr  = SN_OK;
			x->group = NULL;
			last     = x;
			x->fnext = x->gnext;
		}
		last->fnext = v->fin_head;
		if (v->fin_head == NULL)
			v->fin_tail = last;
		v->fin_head = r;
		free(g);
		v->finishing = false;
		finish_next(v);
		return;
	}
	for (; r != NULL; r = next) {
		next = r->gnext;
		if (err != SN_OK || r->ferr != SN_OK)
			round_not_recorded(r, err != SN_OK ? err : r->ferr);
		else {
			recorded = true;
			if (v->scanning)
				done_while_scanning(v, r->due.check_id);
		}
		round_free(r);
	}
	free(g);
	v->finishing = false;
	/* Rounds freed: the checks a capped scan left can start now. */
	if (recorded && v->capped) {
		v->capped = false;
		scan_kick(v);
	}
	finish_next(v);
}

/*
 * Starts the transaction of the rounds finished meanwhile, when none is in
 * flight: one commit for every round that finished while the last one
 * was written (a round that failed in a group is recorded alone).
 */
static void
finish_next(verification *v)
{
	if (v->stopping) {
		/* Not recorded: the checks stay due and are asked again. */
		while (v->fin_head != NULL) {
			round *r    = v->fin_head;
			v->fin_head = r->fnext;
			round_free(r);
		}
		v->fin_tail = NULL;
		return;
	}
	if (v->finishing || v->fin_head == NULL)
		return;
	finish_group *g = calloc(1, sizeof(*g));
	if (g == NULL)
		abort();
	g->v     = v;
	round *r = v->fin_head, *last = NULL;
	g->first = r;
	do {
		v->fin_head = r->fnext;
		r->fnext    = NULL;
		r->group    = g;
		r->ferr     = SN_OK;
		if (last != NULL)
			last->gnext = r;
		last = r;
		g->n++;
		r = v->fin_head;
	} while (r != NULL && !g->first->solo && !r->solo
	    && g->n < FINISH_GROUP_MAX);
	last->gnext = NULL;
	if (v->fin_head == NULL)
		v->fin_tail = NULL;
	v->finishing = true;
	/* The transaction carries the request id of its first round. */
	char prev[SN_LOG_REQUEST_ID_MAX + 1];
	sn_log_swap_request_id(g->first->due.request_id, prev);
	sn_db_tx(v->db, finish_begin, finish_done, g);
	sn_log_set_request_id(prev);
}

static void
round_finish(round *r)
{
	verification *v = r->v;
	if (v->stopping) {
		/* Not recorded: the check stays due and is asked again. */
		round_free(r);
		return;
	}
	r->fnext = NULL;
	if (v->fin_tail != NULL)
		v->fin_tail->fnext = r;
	else
		v->fin_head = r;
	v->fin_tail = r;
	finish_next(v);
}

static void
round_start(verification *v, const verification_due *d)
{
	round *r = calloc(1, sizeof(*r));
	if (r == NULL)
		abort();
	r->v   = v;
	r->due = *d;
	/* ids point into the copy's own buffer. */
	for (int i = 0; i < d->members; i++)
		r->due.ids[i] = r->due.idbuf + (d->ids[i] - d->idbuf);
	r->attempt = d->attempt + 1;
	r->next    = v->rounds;
	if (v->rounds != NULL)
		v->rounds->prev = r;
	v->rounds = r;
	v->nrounds++;
	sn_gauge_set(v->inflight, v->nrounds);

	char rid[96], prev[SN_LOG_REQUEST_ID_MAX + 1];
	/* The agency calls (and their answers' callbacks) carry the request
	 * id of the work that asked for the check. */
	sn_log_swap_request_id(r->due.request_id, prev);
	r->pending = 1; /* held while asking, so no answer finishes early */
	for (int a = 0; a < VERIFICATION_NAGENCIES; a++) {
		if (d->answered[a])
			continue;
		snprintf(rid, sizeof(rid), "%" PRId64 "-%d-%s", d->check_id,
		    r->attempt, verification_agency_name(a));
		r->slots[a].asked = true;
		r->pending++;
		sn_err err = verification_agencies_ask(v->agencies, a, rid,
		    r->due.consent, (const char *const *) r->due.ids,
		    (size_t) r->due.members, on_answer, r);
		if (err != SN_OK) {
			/* Recorded as unreachable: missing, never zero. */
			verification_answer ans = { .agency = a,
				.outcome = VERIFICATION_OUTCOME_UNREACHABLE,
				.error   = sn_strerror(err),
				.answered_at = "" };
			on_answer(&ans, r);
		}
	}
	if (--r->pending == 0)
		round_finish(r);
	sn_log_set_request_id(prev);
}

/* ---- scan --------------------------------------------------------------- */

static bool
in_flight(const verification *v, int64_t check_id)
{
	for (const round *r = v->rounds; r != NULL; r = r->next)
		if (r->due.check_id == check_id)
			return true;
	for (size_t i = 0; i < v->ndone; i++)
		if (v->done_ids[i] == check_id)
			return true; /* recorded after this scan read it */
	return false;
}

static void
on_scan(sn_err err, const verification_due *rows, size_t n, void *arg)
{
	verification *v = arg;
	v->scanning     = false;
	if (err != SN_OK || v->stopping) {
		v->ndone = 0;
		return;
	}
	size_t started = 0, i;
	sn_counter_add(v->scan_rows, n);
	for (i = 0; i < n && v->nrounds < v->cfg.max_rounds; i++) {
		if (in_flight(v, rows[i].check_id))
			continue;
		if (rows[i].consent[0] == '\0')
			continue; /* recorded unasked; never due */
		round_start(v, &rows[i]);
		started++;
	}
	if (i < n)
		v->capped = true; /* the rest once rounds finish */
	v->ndone = 0;             /* a scan from now on reads their commits */
	/* A full page may hide more: look again (at once, or once rounds
	 * finish when they are at their most). */
	if (v->rescan || (started > 0 && n >= (size_t) v->scan_limit)) {
		v->rescan = false;
		scan_kick(v);
	}
}

static void
scan_kick(verification *v)
{
	if (v->stopping)
		return;
	if (v->scanning) {
		v->rescan = true;
		return;
	}
	if (v->nrounds >= v->cfg.max_rounds) {
		v->capped = true; /* a finishing round kicks again */
		return;
	}
	/* Rounds in flight are still pending in the table: the scan leaves
	 * them out (before, it read them again each time, their answers
	 * aggregated and their identity numbers unsealed, up to 256 rows a
	 * scan for nothing). A page is as many as can start now. */
	int64_t *skip = malloc(((size_t) v->nrounds + 1) * sizeof(*skip));
	size_t   n    = 0;
	if (skip == NULL)
		abort();
	for (const round *r = v->rounds; r != NULL; r = r->next)
		skip[n++] = r->due.check_id;
	v->scanning   = true;
	v->scan_limit = v->cfg.max_rounds - v->nrounds;
	verification_store_scan(v->db, v->scan_limit, skip, n, on_scan, v);
	free(skip);
}

static void
on_scan_timer(uv_timer_t *t)
{
	scan_kick(t->data);
}

/* ---- HTTP --------------------------------------------------------------- */

typedef struct list_req {
	sn_http_req *req;
	sn_page      page;
} list_req;

typedef struct retry_req {
	verification          *v;
	sn_http_req           *req;
	char                   id[APP_ID_MAX + 1];
	verification_retry_req get;
} retry_req;

static void
on_view(sn_err err, const verification_check_doc *doc, void *arg)
{
	sn_http_req *req = arg;
	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the database did not answer", NULL);
		return;
	}
	/* Outside the caller's jurisdiction reads as absent: no leak of
	 * which applications exist elsewhere. */
	if (doc == NULL
	    || !sn_auth_within(sn_http_principal(req), doc->village_code)) {
		sn_http_reply_error(req, 404, "not_found",
		    "no check for this application", "application_id");
		return;
	}
	json_error_t je;
	json_t      *body = json_loads(doc->doc, 0, &je);
	if (body == NULL) {
		sn_http_reply_error(
		    req, 500, "internal", "the check could not be read", NULL);
		return;
	}
	sn_http_reply_json(req, 200, body);
}

static void
get_check(sn_http_req *req, void *arg)
{
	verification *v  = arg;
	const char   *id = sn_http_param(req, "application_id");
	if (id == NULL || id[0] == '\0' || strlen(id) > APP_ID_MAX) {
		sn_http_reply_error(req, 400, "invalid_application_id",
		    "an application id of 1 to 127 characters",
		    "application_id");
		return;
	}
	verification_store_view(v->db, id, on_view, req);
}

/* GET /checks: a page of the checks within the caller's jurisdiction,
 * ?held=true for the held ones, ?township= to narrow. */
static void
on_list(sn_err err, const verification_list_row *rows, size_t n, void *arg)
{
	list_req *l = arg;
	if (err != SN_OK) {
		sn_http_reply_error(l->req, 503, "unavailable",
		    "the database did not answer", NULL);
		free(l);
		return;
	}
	json_t *items = json_array();
	size_t shown = n > (size_t) l->page.limit ? (size_t) l->page.limit : n;
	for (size_t i = 0; i < shown; i++) {
		json_t *o = json_loads(rows[i].doc, 0, NULL);
		if (o != NULL)
			json_array_append_new(items, o);
	}
	int64_t last   = shown > 0 ? rows[shown - 1].check_id : 0;
	json_t *answer = sn_page_answer(items, n > shown, last);
	if (answer == NULL)
		abort();
	sn_http_reply_json(l->req, 200, answer);
	free(l);
}

static void
get_checks(sn_http_req *req, void *arg)
{
	verification *v = arg;
	sn_problem    prob;
	sn_page       page;
	/* sn_problem_set keeps the first problem: start from none. */
	sn_problem_clear(&prob);
	if (!sn_page_query(req, &page, &prob)) {
		sn_http_problem(req, &prob);
		return;
	}
	const char *held     = sn_http_query(req, "held");
	const char *township = sn_http_query(req, "township");
	if (held != NULL && strcmp(held, "true") != 0
	    && strcmp(held, "false") != 0) {
		sn_http_reply_error(req, 422, "invalid_query",
		    "held is true or false", "held");
		return;
	}
	if (township != NULL
	    && (strlen(township) != 9 || !sn_auth_juris_valid(township))) {
		sn_http_reply_error(req, 422, "invalid_query",
		    "township is a 9-digit township code", "township");
		return;
	}
	list_req *l = calloc(1, sizeof(*l));
	if (l == NULL)
		abort();
	l->req                    = req;
	l->page                   = page;
	verification_list_query q = { .juris = sn_http_principal(req)->juris,
		.township = township != NULL ? township : "",
		.held     = held != NULL && strcmp(held, "true") == 0,
		.after    = page.after,
		.limit    = page.limit };
	verification_store_list(v->db, &q, on_list, l);
}

/* POST /checks/{application_id}/retry: a held check's missing agencies
 * are asked again at once; the round is published whatever it finds. */
static void
on_retry_row(
    sn_tx *tx, sn_err err, const verification_retry_row *row, void *arg)
{
	retry_req   *q   = arg;
	sn_http_req *req = q->req;
	if (err != SN_OK) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the database did not answer", NULL);
		return;
	}
	if (row == NULL
	    || !sn_auth_within(sn_http_principal(req), row->village_code)) {
		sn_http_tx_fail(req, tx, 404, "not_found",
		    "no check for this application", "application_id");
		return;
	}
	if (!verification_rules_held(
	        row->status, row->scheduled, row->asked)) {
		sn_http_tx_fail(req, tx, 409, "check_not_held",
		    "only a check still incomplete after its last automatic "
		    "round can be asked again",
		    "application_id");
		return;
	}
	if (verification_store_retry_mark(
	        tx, row->check_id, sn_http_principal(req)->user)
	        != SN_OK
	    || sn_tx_on_commit(tx, on_commit_kick, q->v) != SN_OK) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the database did not answer", NULL);
		return;
	}
	json_t *body = json_pack("{s:s, s:I, s:s, s:i, s:b}", "application_id",
	    row->application_id, "check_id", (json_int_t) row->check_id,
	    "status", "pending", "attempts", row->attempt, "retry_requested",
	    1);
	sn_http_tx_reply(req, tx, 202, body);
}

static void
retry_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	retry_req *q = arg;
	q->get.cb    = on_retry_row;
	q->get.arg   = q;
	if (verification_store_retry_get(tx, q->id, &q->get) != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the database did not answer", NULL);
}

static void
post_retry(sn_http_req *req, void *arg)
{
	const char *id = sn_http_param(req, "application_id");
	if (id == NULL || id[0] == '\0' || strlen(id) > APP_ID_MAX) {
		sn_http_reply_error(req, 400, "invalid_application_id",
		    "an application id of 1 to 127 characters",
		    "application_id");
		return;
	}
	retry_req *q = calloc(1, sizeof(*q));
	if (q == NULL)
		abort();
	q->v   = arg;
	q->req = req;
	snprintf(q->id, sizeof(q->id), "%s", id);
	sn_http_tx_with_end(req, retry_begin, free, q);
}

const sn_http_route_def verification_routes[VERIFICATION_NROUTES] = {
	{ "GET", "/checks/{application_id}", 0,
	    "village_reviewer,township_officer,district_officer,"
	    "district_admin",
	    get_check },
	{ "GET", "/checks", 0,
	    "village_reviewer,township_officer,district_officer,"
	    "district_admin",
	    get_checks },
	{ "POST", "/checks/{application_id}/retry", SN_HTTP_IDEMPOTENT,
	    "township_officer", post_retry },
};

/* ---- lifecycle ---------------------------------------------------------- */

static const sn_bus_topic events[] = {
	{ "intake", "application.submitted",
	    &sn__assist__v1__application_submitted__descriptor, on_submitted },
	{ "intake", "application.resubmitted",
	    &sn__assist__v1__application_submitted__descriptor,
	    on_resubmitted },
	{ "intake", "application.withdrawn",
	    &sn__assist__v1__application_withdrawn__descriptor, on_withdrawn },
	{ "approval", "review.requested",
	    &sn__assist__v1__review_requested__descriptor, on_review },
};

sn_err
verification_open(
    verification **out, sn_service *svc, const verification_config *cfg)
{
	verification *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return SN_ENOMEM;
	v->svc                     = svc;
	v->db                      = sn_service_db(svc);
	v->bus                     = sn_service_bus(svc);
	v->cfg                     = *cfg;
	sn_metrics              *m = sn_service_metrics(svc);
	static const char *const st[2]
	    = { "status=\"complete\"", "status=\"incomplete\"" };
	for (int i = 0; i < 2; i++) {
		v->rounds_total[i] = sn_metrics_counter(m,
		    "sn_verification_rounds_total",
		    "Rounds of agency questions recorded, by outcome", st[i]);
		v->published[i]    = sn_metrics_counter(m,
		       "sn_verification_published_total",
		       "verification.completed events written, by status", st[i]);
	}
	v->inflight  = sn_metrics_gauge(m, "sn_verification_rounds_inflight",
	     "Checks being asked now", NULL);
	v->scan_rows = sn_metrics_counter(m, "sn_verification_scan_rows_total",
	    "Checks read by the scans for checks due", NULL);
	if (v->inflight == NULL || v->published[1] == NULL
	    || v->scan_rows == NULL) {
		free(v);
		return SN_ENOMEM;
	}
	sn_err err = verification_agencies_open(
	    &v->agencies, sn_service_loop(svc), m, &cfg->agencies);
	if (err != SN_OK) {
		free(v);
		return err;
	}
	if ((err = sn_bus_on_table(
	         v->bus, events, sizeof(events) / sizeof(events[0]), v))
	    != SN_OK) {
		verification_agencies_close(v->agencies);
		free(v);
		return err;
	}
	uv_timer_init(sn_loop_uv(sn_service_loop(svc)), &v->scan_timer);
	v->scan_timer.data = v;
	uint64_t period    = (uint64_t) cfg->scan_ms;
	uv_timer_start(&v->scan_timer, on_scan_timer, 0, period);
	sn_service_set_route_arg(svc, v);
	*out = v;
	return SN_OK;
}

void
verification_stop(verification *v)
{
	if (v == NULL)
		return;
	v->stopping = true;
	uv_timer_stop(&v->scan_timer);
}

static void
on_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

void
verification_close(verification *v)
{
	if (v == NULL)
		return;
	v->stopping = true;
	verification_agencies_close(v->agencies);
	v->agencies = NULL;
	/* sn_service calls this only once the pool is idle, so no round is
	 * inside a transaction: every one left is still asking. */
	while (v->rounds != NULL)
		round_free(v->rounds);
	free(v->done_ids);
	v->done_ids = NULL;
	uv_close((uv_handle_t *) &v->scan_timer, on_timer_closed);
}
