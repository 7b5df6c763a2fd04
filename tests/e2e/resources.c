/*
 * Resources + services end to end (issue 13, "Tests and evidence"): the
 * real intake, verification, investigation, approval, services and
 * supervision binaries and agency-sim, a real PostgreSQL, real NNG
 * sockets; every step through the HTTP APIs, nothing injected. The
 * district's clock is moved into the seed catalogue's year (2027-03-16,
 * SN_TEST_CLOCK) so that its projects are running.
 *
 *   e2e_resources expenditure
 *
 *   expenditure  an urban household of three (wages of 2,700 yuan a
 *          month, declared and on the agencies' record; 600 yuan of
 *          medical costs declared; a child of 10) is taken in, visited,
 *          reviewed, confirmed and filed: G = 900 >= S = 830 and
 *          C = 900 - 200 = 700 < S, so the rules put it in expenditure
 *          (edge tier). services routes, from the decision, exactly the
 *          kinds its facts call for: medical_assistance (medical
 *          insurance, for the household) and the compulsory-education
 *          grant (education, for the child), once each, with the
 *          decision as source and the kind's deadline; no rent subsidy,
 *          no employment assistance. The housing department's user is
 *          refused the medical referral (403, nothing changed); the
 *          medical insurance user accepts it (200); the answer shows on
 *          the household and in the referral figures. The household's
 *          matching projects come best first; a clerk enrols the first
 *          eligible member in the first project, its partner records a
 *          session (another partner is refused), and the enrolment
 *          figures count it by domain and township. Supervision's
 *          household chain holds the two referrals, the answer and the
 *          place with its session, and its statistics count them as
 *          special_assistance (by department and outcome) and
 *          service_projects (by domain and outcome).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "sn/clock.h"
#include "sn/date.h"

#define DISTRICT E2E_DISTRICT
#define TOWNSHIP E2E_TOWNSHIP
#define VILLAGE E2E_VILLAGE
#define TODAY "2027-03-16"

#define WAGES_FEN 270000   /* the applicant's, a month */
#define MEDICAL_FEN 60000  /* declared, a month */
#define GRANTED_FEN 500000 /* medical insurance's grant, a year */

static char  APPLICANT[19], SPOUSE[19], CHILD[19];
static char  ACCEPTED[16];
static char *officer; /* the township's officer: reads services */

/* ---- helpers ------------------------------------------------------------ */

/* GET path at port as tok: 200 or th_fail; the answer (caller's). */
static json_t *
get(int port, const char *path, const char *tok)
{
	json_t *out = NULL;
	int     st  = e2e_call(port, "GET", path, tok, NULL, &out);
	TH_CHECK(&T, st == 200 && out != NULL, "GET %s: %d", path, st);
	return out;
}

/* The error code of a problem answer, "" when none. */
static const char *
err_code(json_t *j)
{
	const char *c = e2e_jstr(json_object_get(j, "error"), "code");
	return c != NULL ? c : "";
}

static bool
is(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* The element of array whose key is value (the first); NULL if none. */
static json_t *
find(json_t *array, const char *key, const char *value)
{
	size_t  i;
	json_t *e;
	json_array_foreach(array, i, e)
	{
		if (is(e2e_jstr(e, key), value))
			return e;
	}
	return NULL;
}

/* The outbox rows of services of topic. */
static int64_t
published(const char *topic)
{
	return th_int(&T, "SELECT count(*) FROM %s.outbox WHERE topic = '%s'",
	    th_schema(&T, "services"), topic);
}

/* ---- the household through the application path ----------------------- */

static void
setup(void)
{
	static const char *const order[] = { "intake", "verification",
		"investigation", "approval", "services", "supervision" };
	e2e_setup();
	e2e_clock_shift(e2e_shift_to(TODAY));
	const int ports[]
	    = { P_INTAKE, P_VERIF, P_INVEST, P_APPROVAL, P_SERVICES, P_SUPER };
	e2e_idnum(APPLICANT, "22010319830506211");
	e2e_idnum(SPOUSE, "22010319850708222");
	e2e_idnum(CHILD, "22010320160901233");
	json_t *fx = json_pack("{s:{s:I, s:I, s:I}, s:{}, s:{}}", APPLICANT,
	    "wages_fen", (json_int_t) WAGES_FEN, "taxed_income_fen",
	    (json_int_t) WAGES_FEN, "pension_fen", (json_int_t) 0, SPOUSE,
	    CHILD);
	e2e_fixture_write(fx);
	json_decref(fx);
	e2e_start_agency_sim(NULL);
	e2e_start_services(
	    order, ports, sizeof(order) / sizeof(order[0]), NULL);
	officer = e2e_token("officer-r", "township_officer", TOWNSHIP, NULL);
}

static char *
take_in(void)
{
	const e2e_member m[] = {
		{ APPLICANT, "Chen Yi", "self", "1983-05-06", "full", 0 },
		{ SPOUSE, "Lin Er", "spouse", "1985-07-08", "partial", 0 },
		{ CHILD, "Chen Xiao", "child", "2016-09-01", "none", 0 },
	};
	const e2e_household h = { .address = "No. 13, the first community",
		.members                   = m,
		.n                         = 3,
		.consent                   = "CONSENT-RES-1",
		.account                   = "6217000000000001301",
		.account_name              = "Chen Yi",
		.registration              = "urban",
		.signed_date               = "2027-03-10",
		.wages_fen                 = WAGES_FEN,
		.medical_fen               = MEDICAL_FEN };
	return e2e_take_in("clerk-r", &h, ACCEPTED);
}

/* The visit, then the three steps; the rules must find expenditure. */
static void
decide(const char *id)
{
	e2e_investigate("application_id", id, NULL, ACCEPTED);
	json_t *c = e2e_wait_stage(id, "VILLAGE_REVIEW");
	TH_CHECK(&T,
	    is(e2e_jstr(c, "category"), "expenditure")
	        && is(e2e_jstr(c, "tier"), "edge"),
	    "the rules put the household in %s (%s), want expenditure (edge)",
	    e2e_jstr(c, "category"), e2e_jstr(c, "tier"));
	json_decref(c);
	char *rev = e2e_token("reviewer-r", "village_reviewer", VILLAGE, NULL);
	char *dis
	    = e2e_token("district-r", "district_officer", DISTRICT, NULL);
	TH_CHECK(&T,
	    e2e_step(id, "village-review", rev,
	        "{\"decision\":\"pass\",\"reason\":\"confirmed\"}", NULL)
	        == 200,
	    "village review");
	TH_CHECK(&T,
	    e2e_step(id, "township-confirmation", officer,
	        "{\"decision\":\"approve\",\"reason\":\"medical costs\"}",
	        NULL)
	        == 200,
	    "township confirmation");
	TH_CHECK(&T,
	    e2e_step(id, "district-filing", dis,
	        "{\"spot_check\":false,\"note\":\"filed\"}", NULL)
	        == 200,
	    "district filing");
	json_decref(e2e_wait_stage(id, "FILED"));
	free(rev);
	free(dis);
}

/* ---- referrals ---------------------------------------------------------- */

/* services' view of the household once it holds n referrals and has
 * applied everything intake and approval published. */
static json_t *
household_with(const char *id, size_t n)
{
	char path[128];
	snprintf(path, sizeof(path), "/households/%s", id);
	json_t  *h   = NULL;
	uint64_t end = th_now_ms() + E2E_WAIT_MS;
	while (th_now_ms() < end) {
		json_decref(h);
		h = NULL;
		if (e2e_call(P_SERVICES, "GET", path, officer, NULL, &h) == 200
		    && json_array_size(json_object_get(h, "referrals")) >= n)
			break;
		th_sleep_ms(50);
	}
	json_decref(h);
	e2e_caught_up("services", "intake");
	e2e_caught_up("services", "approval");
	return get(P_SERVICES, path, officer);
}

/* The deadline_days of kind in the registry (GET /departments). */
static int
deadline_days(const char *department, const char *kind)
{
	json_t *reg = get(P_SERVICES, "/departments", officer);
	json_t *dep
	    = find(json_object_get(reg, "departments"), "code", department);
	json_t *k = find(json_object_get(dep, "kinds"), "code", kind);
	TH_CHECK(
	    &T, k != NULL, "no kind %s/%s in the registry", department, kind);
	int days = (int) e2e_jint(k, "deadline_days");
	json_decref(reg);
	return days;
}

/* r is the decision's referral of kind to department for member, routed
 * today with the kind's deadline, unanswered. */
static void
check_referral(json_t *r, const char *id, const char *department,
    const char *kind, int member)
{
	char    want[SN_DATE_STRLEN];
	sn_date today = sn_clock_today();
	sn_date_format(
	    sn_date_add_days(today, deadline_days(department, kind)), want);
	TH_CHECK(&T, r != NULL, "no %s referral", kind);
	TH_CHECK(&T,
	    is(e2e_jstr(r, "department"), department)
	        && e2e_jint(r, "member") == member
	        && is(e2e_jstr(r, "source"), "decision")
	        && is(e2e_jstr(r, "application_id"), id)
	        && is(e2e_jstr(r, "category"), "expenditure")
	        && is(e2e_jstr(r, "tier"), "edge")
	        && is(e2e_jstr(r, "status"), "routed")
	        && json_is_null(json_object_get(r, "answer")),
	    "%s: %s member %lld source %s status %s", kind,
	    e2e_jstr(r, "department"), (long long) e2e_jint(r, "member"),
	    e2e_jstr(r, "source"), e2e_jstr(r, "status"));
	TH_CHECK(&T,
	    is(e2e_jstr(r, "routed_on"), e2e_today())
	        && is(e2e_jstr(r, "deadline_date"), want),
	    "%s routed on %s due %s, want %s due %s", kind,
	    e2e_jstr(r, "routed_on"), e2e_jstr(r, "deadline_date"),
	    e2e_today(), want);
}

/* The decision routed exactly the two kinds the facts call for; returns
 * the medical referral's id. */
static char *
routed(const char *id)
{
	json_t *h    = household_with(id, 2);
	json_t *refs = json_object_get(h, "referrals");
	TH_CHECK(&T,
	    is(e2e_jstr(h, "category"), "expenditure")
	        && is(e2e_jstr(h, "tier"), "edge"),
	    "services sees the household as %s (%s)", e2e_jstr(h, "category"),
	    e2e_jstr(h, "tier"));
	TH_CHECK(&T, json_array_size(refs) == 2,
	    "%zu referrals, want medical_assistance and the compulsory-"
	    "education grant only",
	    json_array_size(refs));
	json_t *med = find(refs, "kind", "medical_assistance");
	check_referral(med, id, "medical_insurance", "medical_assistance", 0);
	check_referral(find(refs, "kind", "student_grant_compulsory"), id,
	    "education", "student_grant_compulsory", 3);
	char *med_id = strdup(e2e_jstr(med, "id"));
	json_decref(h);
	TH_CHECK(&T, published("referral.routed") == 2,
	    "%lld referral.routed, want 2",
	    (long long) published("referral.routed"));
	/* the department's queue holds it once */
	char *mi = e2e_token_unit(
	    "mi-r", "department", DISTRICT, "medical_insurance");
	json_t *q = get(P_SERVICES, "/department-referrals", mi);
	TH_CHECK(&T,
	    json_array_size(e2e_items(q, "items")) == 1
	        && is(e2e_jstr(json_array_get(e2e_items(q, "items"), 0), "id"),
	            med_id),
	    "medical insurance's queue holds %zu referrals, want its one",
	    json_array_size(e2e_items(q, "items")));
	json_decref(q);
	free(mi);
	return med_id;
}

/* The housing department is refused, medical insurance accepts. */
static void
answer(const char *med)
{
	char  path[128], body[256];
	char *hs = e2e_token_unit("hs-r", "department", DISTRICT, "housing");
	char *mi = e2e_token_unit(
	    "mi-r", "department", DISTRICT, "medical_insurance");
	snprintf(path, sizeof(path), "/department-referrals/%s/answer", med);
	snprintf(body, sizeof(body),
	    "{\"outcome\":\"accepted\",\"grant\":\"70%% of in-policy costs\","
	    "\"amount_fen\":%d,\"amount_per\":\"year\",\"from_date\":\"%s\"}",
	    GRANTED_FEN, e2e_today());
	json_t *out = NULL;
	int     st  = e2e_call(P_SERVICES, "POST", path, hs, body, &out);
	TH_CHECK(&T, st == 403 && is(err_code(out), "not_your_department"),
	    "the housing department answered medical insurance's referral: "
	    "%d %s",
	    st, err_code(out));
	json_decref(out);
	snprintf(path, sizeof(path), "/department-referrals/%s", med);
	out = get(P_SERVICES, path, officer);
	TH_CHECK(&T,
	    is(e2e_jstr(out, "status"), "routed")
	        && json_is_null(json_object_get(out, "answer"))
	        && published("referral.answered") == 0,
	    "the refusal changed the referral (%s) or published an answer",
	    e2e_jstr(out, "status"));
	json_decref(out);
	snprintf(path, sizeof(path), "/department-referrals/%s/answer", med);
	st        = e2e_call(P_SERVICES, "POST", path, mi, body, &out);
	json_t *a = json_object_get(out, "answer");
	TH_CHECK(&T,
	    st == 200 && is(e2e_jstr(out, "status"), "accepted")
	        && is(e2e_jstr(a, "outcome"), "accepted")
	        && e2e_jint(a, "amount_fen") == GRANTED_FEN
	        && is(e2e_jstr(a, "answered_by"), "mi-r")
	        && json_is_false(json_object_get(a, "late")),
	    "medical insurance's acceptance: %d %s", st, err_code(out));
	json_decref(out);
	TH_CHECK(&T, published("referral.answered") == 1,
	    "%lld referral.answered, want 1",
	    (long long) published("referral.answered"));
	free(hs);
	free(mi);
}

/* The answer on the household and in the referral figures. */
static void
answer_shows(const char *id)
{
	char path[128];
	snprintf(path, sizeof(path), "/households/%s", id);
	json_t *h = get(P_SERVICES, path, officer);
	json_t *r = find(
	    json_object_get(h, "referrals"), "kind", "medical_assistance");
	json_t *a = json_object_get(r, "answer");
	TH_CHECK(&T,
	    is(e2e_jstr(r, "status"), "accepted")
	        && is(e2e_jstr(a, "grant"), "70% of in-policy costs")
	        && e2e_jint(a, "amount_fen") == GRANTED_FEN
	        && is(e2e_jstr(a, "amount_per"), "year")
	        && is(e2e_jstr(a, "from_date"), e2e_today()),
	    "the acceptance does not show on the household");
	json_decref(h);
	json_t *f     = get(P_SERVICES, "/statistics/referrals", officer);
	json_t *kinds = json_object_get(f, "kinds");
	json_t *m     = find(kinds, "kind", "medical_assistance");
	json_t *e     = find(kinds, "kind", "student_grant_compulsory");
	json_t *t     = json_object_get(f, "totals");
	TH_CHECK(&T,
	    m != NULL && is(e2e_jstr(m, "department"), "medical_insurance")
	        && e2e_jint(m, "routed") == 1 && e2e_jint(m, "accepted") == 1
	        && e2e_jint(m, "open") == 0
	        && e2e_jint(m, "accepted_amount_fen") == GRANTED_FEN,
	    "the referral figures of medical_assistance");
	TH_CHECK(&T,
	    e != NULL && e2e_jint(e, "routed") == 1 && e2e_jint(e, "open") == 1
	        && json_array_size(kinds) == 2,
	    "the referral figures: %zu kinds", json_array_size(kinds));
	TH_CHECK(&T,
	    e2e_jint(t, "routed") == 2 && e2e_jint(t, "accepted") == 1
	        && e2e_jint(t, "open") == 1 && e2e_jint(t, "declined") == 0
	        && e2e_jint(t, "overdue") == 0,
	    "the referral totals: routed %lld accepted %lld open %lld",
	    (long long) e2e_jint(t, "routed"),
	    (long long) e2e_jint(t, "accepted"),
	    (long long) e2e_jint(t, "open"));
	json_decref(f);
}

/* ---- service projects --------------------------------------------------- */

/* The matches once the catalogue is loaded; best first checked. */
static json_t *
matches(const char *id)
{
	char *clerk = e2e_token("clerk-r", "clerk", TOWNSHIP, NULL);
	char  path[128];
	snprintf(path, sizeof(path), "/households/%s/matches", id);
	json_t  *m   = NULL;
	uint64_t end = th_now_ms() + E2E_WAIT_MS;
	while (th_now_ms() < end) {
		json_decref(m);
		m = get(P_SERVICES, path, clerk);
		if (json_array_size(json_object_get(m, "items")) > 0)
			break;
		th_sleep_ms(50);
	}
	free(clerk);
	json_t *items = json_object_get(m, "items");
	TH_CHECK(&T, json_array_size(items) > 0, "no project matches");
	/* the seed has projects for a school-age child: one aimed at a need
	 * the household has comes first */
	TH_CHECK(&T,
	    json_array_size(json_object_get(
	        json_object_get(json_array_get(items, 0), "why"), "needs_met"))
	        > 0,
	    "the first match meets none of the household's needs");
	size_t  i;
	json_t *it, *prev = NULL;
	json_array_foreach(items, i, it)
	{
		json_t *why = json_object_get(it, "why");
		TH_CHECK(&T,
		    is(e2e_jstr(why, "category"), "expenditure")
		        && json_array_size(json_object_get(why, "members"))
		            > 0,
		    "match %zu without its reason", i);
		if (prev != NULL) {
			size_t a = json_array_size(json_object_get(
			    json_object_get(prev, "why"), "needs_met"));
			size_t b = json_array_size(
			    json_object_get(why, "needs_met"));
			int64_t la = e2e_jint(prev, "left");
			TH_CHECK(&T,
			    a > b || (a == b && la >= e2e_jint(it, "left")),
			    "match %zu comes before a better one", i - 1);
		}
		prev = it;
	}
	return m;
}

/* The first match's first eligible member enrolled by a clerk; the
 * enrolment (caller's). */
static json_t *
enrol(const char *id, json_t *first)
{
	char   *clerk   = e2e_token("clerk-r", "clerk", TOWNSHIP, NULL);
	json_t *project = json_object_get(first, "project");
	int64_t member  = json_integer_value(json_array_get(
	     json_object_get(json_object_get(first, "why"), "members"), 0));
	char    body[256];
	snprintf(body, sizeof(body),
	    "{\"household_id\":\"%s\",\"member\":%lld,\"project_code\":\"%"
	    "s\"}",
	    id, (long long) member, e2e_jstr(project, "code"));
	json_t *e = NULL;
	int st = e2e_call(P_SERVICES, "POST", "/enrolments", clerk, body, &e);
	TH_CHECK(&T,
	    st == 201 && is(e2e_jstr(e, "status"), "active")
	        && e2e_jint(e, "member") == member
	        && is(e2e_jstr(e, "project_code"), e2e_jstr(project, "code")),
	    "enrolment in %s: %d %s", e2e_jstr(project, "code"), st,
	    err_code(e));
	free(clerk);
	return e;
}

/* The project's partner records a session; another partner may not. */
static void
session(json_t *enrolment)
{
	const char *partner = e2e_jstr(enrolment, "partner");
	char       *own = e2e_token_unit("p-r", "partner", DISTRICT, partner);
	char       *other = e2e_token_unit(
	          "q-r", "partner", DISTRICT, "no-such-partner-of-this-project");
	char path[128], body[128];
	snprintf(path, sizeof(path), "/enrolments/%s/sessions",
	    e2e_jstr(enrolment, "id"));
	snprintf(body, sizeof(body),
	    "{\"date\":\"%s\",\"outcome\":\"delivered\"}", e2e_today());
	json_t *out = NULL;
	int     st  = e2e_call(P_SERVICES, "POST", path, other, body, &out);
	TH_CHECK(&T, st == 403 && is(err_code(out), "not_your_project"),
	    "another partner's session: %d %s", st, err_code(out));
	json_decref(out);
	st = e2e_call(P_SERVICES, "POST", path, own, body, &out);
	TH_CHECK(&T,
	    st == 201 && e2e_jint(out, "sessions") == 1
	        && is(e2e_jstr(out, "last_session"), e2e_today()),
	    "the partner's session: %d %s", st, err_code(out));
	json_decref(out);
	free(own);
	free(other);
}

/* rows[] whose key is value has given, active, sessions as wanted. */
static void
figure(json_t *rows, const char *key, const char *value, const char *what)
{
	json_t *r = find(rows, key, value);
	TH_CHECK(&T,
	    r != NULL && json_array_size(rows) == 1
	        && e2e_jint(r, "given") == 1 && e2e_jint(r, "active") == 1
	        && e2e_jint(r, "ended") == 0 && e2e_jint(r, "sessions") == 1,
	    "the enrolment figures by %s (%s): %zu rows", what, value,
	    json_array_size(rows));
}

static void
enrolment_shows(const char *id, json_t *enrolment)
{
	const char *domain = e2e_jstr(enrolment, "domain");
	json_t     *f = get(P_SERVICES, "/statistics/enrolments", officer);
	json_t     *t = json_object_get(f, "totals");
	TH_CHECK(&T,
	    e2e_jint(t, "given") == 1 && e2e_jint(t, "active") == 1
	        && e2e_jint(t, "sessions") == 1,
	    "the enrolment totals");
	figure(json_object_get(f, "by_domain"), "domain", domain, "domain");
	figure(json_object_get(f, "by_township"), "township_code", TOWNSHIP,
	    "township");
	json_t *dt
	    = json_array_get(json_object_get(f, "by_domain_township"), 0);
	TH_CHECK(&T,
	    is(e2e_jstr(dt, "domain"), domain)
	        && is(e2e_jstr(dt, "township_code"), TOWNSHIP)
	        && e2e_jint(dt, "given") == 1 && e2e_jint(dt, "sessions") == 1,
	    "the enrolment figures by domain and township");
	json_decref(f);
	char path[128];
	snprintf(path, sizeof(path), "/households/%s", id);
	json_t *h = get(P_SERVICES, path, officer);
	json_t *e = find(
	    json_object_get(h, "enrolments"), "id", e2e_jstr(enrolment, "id"));
	TH_CHECK(&T,
	    e != NULL && e2e_jint(e, "sessions") == 1
	        && is(e2e_jstr(e, "status"), "active"),
	    "the enrolment does not show on the household");
	json_decref(h);
}

/* ---- supervision -------------------------------------------------------- */

static size_t
count_type(json_t *events, const char *type)
{
	size_t  i, n = 0;
	json_t *e;
	json_array_foreach(events, i, e)
	{
		n += is(e2e_jstr(e, "type"), type);
	}
	return n;
}

static void
chain(const char *id, const char *med, const char *enrolment)
{
	static const char *const pubs[] = { "intake", "verification",
		"investigation", "approval", "services" };
	for (size_t i = 0; i < sizeof(pubs) / sizeof(pubs[0]); i++)
		e2e_caught_up("supervision", pubs[i]);
	char *sup = e2e_token("sup-r", "supervisor", DISTRICT, NULL);
	char  path[128];
	snprintf(path, sizeof(path), "/households/%s/chain", id);
	json_t *c  = get(P_SUPER, path, sup);
	json_t *ev = json_object_get(c, "events");
	TH_CHECK(&T, is(e2e_jstr(c, "household_id"), id),
	    "the chain is household %s", e2e_jstr(c, "household_id"));
	TH_CHECK(&T,
	    count_type(ev, "application.decided") == 1
	        && count_type(ev, "referral.routed") == 2
	        && count_type(ev, "referral.answered") == 1
	        && count_type(ev, "enrolment.changed") == 2,
	    "the chain: %zu decided, %zu routed, %zu answered, %zu enrolment",
	    count_type(ev, "application.decided"),
	    count_type(ev, "referral.routed"),
	    count_type(ev, "referral.answered"),
	    count_type(ev, "enrolment.changed"));
	size_t  i;
	json_t *e;
	int     answered = 0, places = 0;
	json_array_foreach(ev, i, e)
	{
		json_t *d = json_object_get(e, "data");
		if (is(e2e_jstr(e, "type"), "referral.answered"))
			answered += is(e2e_jstr(d, "referral_id"), med)
			    && is(e2e_jstr(d, "outcome"), "REFERRAL_ACCEPTED");
		if (is(e2e_jstr(e, "type"), "enrolment.changed"))
			places += is(e2e_jstr(d, "enrolment_id"), enrolment);
	}
	TH_CHECK(&T, answered == 1 && places == 2,
	    "the chain's answer (%d) and place (%d) are not this household's",
	    answered, places);
	json_decref(c);
	free(sup);
}

/* The row of rows with programme, service and outcome; its
 * person-times, -1 when there is none. */
static int64_t
persons(json_t *rows, const char *programme, const char *service,
    const char *outcome)
{
	size_t  i;
	json_t *r;
	json_array_foreach(rows, i, r)
	{
		if (is(e2e_jstr(r, "programme"), programme)
		    && is(e2e_jstr(r, "service"), service)
		    && is(e2e_jstr(r, "outcome"), outcome))
			return e2e_jint(r, "person_times");
	}
	return -1;
}

static void
statistics(const char *domain)
{
	char   *sup  = e2e_token("sup-r", "supervisor", DISTRICT, NULL);
	json_t *s    = get(P_SUPER, "/statistics", sup);
	json_t *rows = json_object_get(s, "rows");
	json_t *sa   = find(rows, "programme", "special_assistance");
	json_t *sp   = find(rows, "programme", "service_projects");
	TH_CHECK(&T,
	    e2e_jint(sa, "person_times") == 2
	        && e2e_jint(sa, "households") == 1
	        && e2e_jint(sa, "amount_fen") == 0,
	    "special_assistance: %lld person-times, %lld households",
	    (long long) e2e_jint(sa, "person_times"),
	    (long long) e2e_jint(sa, "households"));
	TH_CHECK(&T,
	    e2e_jint(sp, "person_times") == 2
	        && e2e_jint(sp, "households") == 1,
	    "service_projects: %lld person-times, %lld households",
	    (long long) e2e_jint(sp, "person_times"),
	    (long long) e2e_jint(sp, "households"));
	json_decref(s);
	s    = get(P_SUPER, "/statistics?by=programme,service,outcome", sup);
	rows = json_object_get(s, "rows");
	TH_CHECK(&T,
	    persons(
	        rows, "special_assistance", "medical_insurance", "accepted")
	            == 1
	        && persons(rows, "special_assistance", "education", "routed")
	            == 1
	        && persons(rows, "service_projects", domain, "enrolled") == 1
	        && persons(rows, "service_projects", domain, "session") == 1,
	    "by service and outcome: medical_insurance accepted %lld, "
	    "education routed %lld, %s enrolled %lld, session %lld",
	    (long long) persons(
	        rows, "special_assistance", "medical_insurance", "accepted"),
	    (long long) persons(
	        rows, "special_assistance", "education", "routed"),
	    domain,
	    (long long) persons(rows, "service_projects", domain, "enrolled"),
	    (long long) persons(rows, "service_projects", domain, "session"));
	json_decref(s);
	free(sup);
}

/* ---- the scenario ------------------------------------------------------- */

static void
expenditure(void)
{
	setup();
	char *id = take_in();
	decide(id);
	char *med = routed(id);
	answer(med);
	answer_shows(id);
	json_t *m = matches(id);
	json_t *e = enrol(id, json_array_get(json_object_get(m, "items"), 0));
	session(e);
	enrolment_shows(id, e);
	chain(id, med, e2e_jstr(e, "id"));
	statistics(e2e_jstr(e, "domain"));
	printf("expenditure: medical_assistance and the compulsory-education "
	       "grant routed once; housing refused, medical insurance "
	       "accepted; %s (%s) enrolled with a session; on supervision's "
	       "chain and figures\n",
	    e2e_jstr(e, "project_code"), e2e_jstr(e, "domain"));
	json_decref(e);
	json_decref(m);
	free(med);
	free(id);
	free(officer);
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "expenditure", expenditure },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), e2e_done);
}
