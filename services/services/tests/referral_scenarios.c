/*
 * The referrals half of services (issue 13; referrals.h, households.h)
 * with the real binary, a real PostgreSQL and real NNG sockets; sn-inject
 * plays intake, approval and emergency, whose outboxes the test writes:
 *
 *   referral_scenarios decided | decided_first | repeat | dibao |
 *       emergency | answers | overdue | review | kill | batch | merge
 *
 * decided: an expenditure household (medical costs, a 10-year-old,
 *   housing costs, an adult able to work without wages) is submitted,
 *   then decided: medical_assistance and rent_subsidy for the household,
 *   the compulsory-education grant for the child and employment
 *   assistance for the adult, routed once, each with its referral.routed;
 *   the household view shows members (no identity numbers), needs and
 *   referrals.
 * decided_first: the decision before the application: nothing until the
 *   facts come, then the same four.
 * repeat: every event again (submission, decision, register entry, a
 *   grant and its referral) changes nothing; a lower revision after a
 *   higher one changes nothing either.
 * dibao: a core household is referred nowhere, its decision's label
 *   notwithstanding.
 * emergency: an emergency referral (medical, major illness) makes an
 *   emergency-only household with a medical_assistance referral; a
 *   second referral of the same grant (housing, a department without a
 *   housing kind) joins it with the default kind; a dibao referral is
 *   intake's; the application naming the first referral joins the
 *   household, and its decision routes only what is not open.
 * answers: departments answer: another department's user is refused
 *   (403) and nothing changes, an acceptance is published and shows on
 *   the household, a second answer is 409, a decline with its reason;
 *   a clerk's referral (422 for an unknown kind, 403 outside the
 *   jurisdiction, 409 when open); staff-noted needs; lists, a
 *   department's view, the figures.
 * overdue: restarted with the clock moved past the deadlines, the scan
 *   flags each referral still routed once (referral.overdue), and after
 *   another restart flags the next and never one twice; a late answer.
 * review: a review's outcome routes the kinds not open or accepted (a
 *   new need, a declined kind), once.
 * kill: 100 decisions, services SIGKILLed mid-stream and restarted:
 *   every referral routed once, with one event each.
 * batch: events applied in one transaction (two emergency referrals; a
 *   decision and another household's review) each routed for its own
 *   trigger.
 * merge: an application joins its emergency-only household while its
 *   decision-first household exists, both holding a medical-assistance
 *   referral of the household: both kept, the moved one marked
 *   duplicate_of the other (in the queue, shown, answerable), and the
 *   intake stream goes on.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "kit.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/date.h"
#include "sn/services/v1/services.pb-c.h"
#include "sn/uuid.h"

#define DISTRICT "220103"
#define T1 "220103001"
#define V1 "220103001001"
#define T2 "220103002"
#define YEAR 365

th T;

/* The household, in the order of the kinds' rows. */
#define FAMILY_KINDS                                                          \
	"employment_assistance:1 medical_assistance:0 rent_subsidy:0 "        \
	"student_grant_compulsory:3"

/* ---- the streams ------------------------------------------------------ */

typedef struct person {
	const char *name, *relation;
	int64_t     days_old;
	int         labour, grade;
} person;

static const person family[] = {
	{ "张三", "self", 45 * YEAR + 30,
	    SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_FULL, 0 },
	{ "李四", "spouse", 43 * YEAR + 30,
	    SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_NONE, 0 },
	{ "张小", "child", 10 * YEAR + 40,
	    SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_UNSPECIFIED, 0 },
};

typedef struct application {
	const char   *app, *ref;
	int           revision;
	const person *members;
	size_t        n;
	int64_t       medical, housing;
	int           spouse_grade; /* overrides member 2's grade */
} application;

static void
submit(const application *a)
{
	Sn__Assist__V1__ApplicationSubmitted m
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	Sn__Assist__V1__Household   h  = SN__ASSIST__V1__HOUSEHOLD__INIT;
	Sn__Assist__V1__Income      in = SN__ASSIST__V1__INCOME__INIT;
	Sn__Assist__V1__Expenditure ex = SN__ASSIST__V1__EXPENDITURE__INIT;
	Sn__Assist__V1__Member      ms[8], *mp[8];
	char                        births[8][11];
	h.registration  = SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL;
	h.district_code = DISTRICT;
	h.township_code = T1;
	h.village_code  = V1;
	in.pensions_fen = 90000;
	ex.medical_fen  = a->medical;
	ex.housing_fen  = a->housing;
	for (size_t i = 0; i < a->n; i++) {
		sn__assist__v1__member__init(&ms[i]);
		ms[i].id_number = "220103198001010011";
		ms[i].name      = (char *) a->members[i].name;
		ms[i].relation  = (char *) a->members[i].relation;
		ms[i].birth_date
		    = day_from_today(-a->members[i].days_old, births[i]);
		ms[i].labour_capacity
		    = (Sn__Assist__V1__LabourCapacity) a->members[i].labour;
		ms[i].disability_grade = i == 1 && a->spouse_grade
		    ? a->spouse_grade
		    : a->members[i].grade;
		mp[i]                  = &ms[i];
	}
	m.application_id       = (char *) a->app;
	m.household            = &h;
	m.members              = mp;
	m.n_members            = a->n;
	m.declared_income      = &in;
	m.declared_expenditure = &ex;
	m.referral_id          = (char *) (a->ref != NULL ? a->ref : "");
	m.revision             = a->revision;
	m.taken_in_by          = "clerk-1";
	put("intake",
	    a->revision > 1 ? "application.resubmitted"
	                    : "application.submitted",
	    a->app, &m);
}

static void
submit_family(const char *app, const char *ref)
{
	application a = { app, ref, 1, family, 3, 80000, 50000, 0 };
	submit(&a);
}

static void
decide(const char *app, Sn__Assist__V1__Category cat,
    Sn__Assist__V1__Tier tier, bool labels)
{
	Sn__Assist__V1__ApplicationDecided m
	    = SN__ASSIST__V1__APPLICATION_DECIDED__INIT;
	Sn__Assist__V1__Household h   = SN__ASSIST__V1__HOUSEHOLD__INIT;
	Sn__Assist__V1__Referral  r[] = {
		 SN__ASSIST__V1__REFERRAL__REFERRAL_MEDICAL,
		 SN__ASSIST__V1__REFERRAL__REFERRAL_HOUSING,
		 SN__ASSIST__V1__REFERRAL__REFERRAL_EDUCATION,
		 SN__ASSIST__V1__REFERRAL__REFERRAL_EMPLOYMENT,
	};
	h.district_code  = DISTRICT;
	h.township_code  = T1;
	h.village_code   = V1;
	m.application_id = (char *) app;
	m.case_id        = (char *) app;
	m.approved       = true;
	m.category       = cat;
	m.tier           = tier;
	m.referrals      = labels ? r : NULL;
	m.n_referrals    = labels ? 4 : 0;
	m.decided_by     = "officer-1";
	m.household      = &h;
	m.members        = 3;
	m.revision       = 1;
	put("approval", "application.decided", app, &m);
}

#define EXPENDITURE SN__ASSIST__V1__CATEGORY__CATEGORY_EXPENDITURE
#define EDGE SN__ASSIST__V1__TIER__TIER_EDGE

static void
registered(const char *app, Sn__Assist__V1__ChangeCause cause,
    Sn__Assist__V1__Category cat, const char *review_id)
{
	Sn__Assist__V1__BeneficiaryChanged m
	    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
	m.beneficiary_id = (char *) app;
	m.application_id = (char *) app;
	m.status      = SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE;
	m.category    = cat;
	m.tier        = EDGE;
	m.cause       = cause;
	m.review_id   = (char *) (review_id != NULL ? review_id : "");
	m.approved_by = "officer-2";
	put("approval", "beneficiary.changed", app, &m);
}

static void
granted(const char *grant, Sn__Assist__V1__EmergencyCause cause)
{
	Sn__Assist__V1__EmergencyGranted m
	    = SN__ASSIST__V1__EMERGENCY_GRANTED__INIT;
	m.grant_id       = (char *) grant;
	m.township_code  = T1;
	m.village_code   = V1;
	m.id_number      = "220103198001010011";
	m.name           = "王五";
	m.cause          = cause;
	m.household_size = 3;
	m.amount_fen     = 200000;
	m.granted_by     = "officer-3";
	put("emergency", "emergency.granted", grant, &m);
}

static void
referred(const char *ref, const char *grant, Sn__Assist__V1__ReferralKind k,
    const char *department)
{
	Sn__Assist__V1__ReferralCreated m
	    = SN__ASSIST__V1__REFERRAL_CREATED__INIT;
	m.referral_id    = (char *) ref;
	m.grant_id       = (char *) grant;
	m.kind           = k;
	m.department     = (char *) department;
	m.id_number      = "220103198001010011";
	m.name           = "王五";
	m.district_code  = DISTRICT;
	m.township_code  = T1;
	m.village_code   = V1;
	m.household_size = 3;
	m.note           = "住院";
	m.created_by     = "officer-3";
	put("emergency", "referral.created", grant, &m);
}

/* ---- checks ---------------------------------------------------------------
 */

static void
start(void)
{
	publishers();
	injector("intake");
	injector("approval");
	injector("emergency");
}

static void
applied(const char *what)
{
	wait_applied("intake", what);
	wait_applied("approval", what);
	wait_applied("emergency", what);
}

/* "kind:member ..." of the household's referrals, by kind. */
static char *
kinds_of(const char *household)
{
	char *s = th_text(&T,
	    "SELECT coalesce(string_agg(kind || ':' || member, ' '"
	    " ORDER BY kind, member), '') FROM %s.referral"
	    " WHERE household_id = '%s'",
	    S, household);
	return s != NULL ? s : strdup("");
}

static void
expect_kinds(const char *household, const char *want, const char *what)
{
	char *got = kinds_of(household);
	TH_CHECK(&T, strcmp(got, want) == 0,
	    "%s: referrals \"%s\", want \"%s\"", what, got, want);
	free(got);
}

static char *
needs_of(const char *household)
{
	char *s = th_text(&T,
	    "SELECT coalesce(string_agg(member || ':' || need, ' '"
	    " ORDER BY member, need), '') FROM %s.need"
	    " WHERE household_id = '%s'",
	    S, household);
	return s != NULL ? s : strdup("");
}

/* Every referral.routed published is of household with the decision's
 * details, and their kinds are the household's referrals'. */
static void
check_routed(const char *household, int from, int n, int source)
{
	char want[SN_DATE_STRLEN];
	for (int i = from; i < from + n; i++) {
		Sn__Services__V1__ReferralRouted *m
		    = published_msg("referral.routed", i,
		        &sn__services__v1__referral_routed__descriptor);
		TH_CHECK(&T, strcmp(m->household_id, household) == 0,
		    "routed %d: household %s", i, m->household_id);
		TH_CHECK(&T, (int) m->source == source,
		    "routed %d: source %d, want %d", i, (int) m->source,
		    source);
		int days = (int) th_int(&T,
		    "SELECT deadline_days FROM %s.kind WHERE code = '%s'", S,
		    m->kind);
		TH_CHECK(&T,
		    strcmp(m->deadline_date, day_from_today(days, want)) == 0,
		    "routed %d (%s): deadline %s, want %s", i, m->kind,
		    m->deadline_date, want);
		TH_CHECK(&T,
		    th_int(&T,
		        "SELECT count(*) FROM %s.referral WHERE id = '%s'"
		        " AND kind = '%s' AND member = %d",
		        S, m->referral_id, m->kind, (int) m->member)
		        == 1,
		    "routed %d: no referral %s of kind %s", i, m->referral_id,
		    m->kind);
		protobuf_c_message_free_unpacked(&m->base, NULL);
	}
}

#define SRC_DECISION                                                          \
	SN__SERVICES__V1__REFERRAL_SOURCE__REFERRAL_SOURCE_DECISION
#define SRC_REVIEW SN__SERVICES__V1__REFERRAL_SOURCE__REFERRAL_SOURCE_REVIEW
#define SRC_EMERGENCY                                                         \
	SN__SERVICES__V1__REFERRAL_SOURCE__REFERRAL_SOURCE_EMERGENCY

/* ---- decided, decided_first ------------------------------------------- */

static void
check_view(const char *app)
{
	char  *clerk = token("clerk-1", "clerk", T1);
	char   path[128];
	answer a;
	snprintf(path, sizeof(path), "/households/%s", app);
	a = call("GET", path, clerk, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "GET household: %d", a.status);
	json_t *members = json_object_get(a.body, "members");
	TH_CHECK(&T, json_array_size(members) == 3, "three members");
	json_t *child = json_array_get(members, 2);
	TH_CHECK(&T, json_integer_value(json_object_get(child, "age")) == 10,
	    "the child is 10");
	char *text = json_dumps(a.body, JSON_COMPACT);
	TH_CHECK(&T,
	    text != NULL && strstr(text, "id_number") == NULL
	        && strstr(text, "2201031980") == NULL,
	    "no identity numbers in the view");
	free(text);
	TH_CHECK(&T,
	    json_array_size(json_object_get(a.body, "referrals")) == 4,
	    "four referrals in the view");
	TH_CHECK(&T, json_array_size(json_object_get(a.body, "needs")) == 4,
	    "four needs in the view");
	TH_CHECK(&T, strcmp(jstr(a.body, "category"), "expenditure") == 0,
	    "the category in the view");
	answer_free(&a);
	char *other = token("clerk-2", "clerk", T2);
	a           = call("GET", path, other, NULL, NULL);
	TH_CHECK(
	    &T, a.status == 404, "another township's clerk: %d", a.status);
	answer_free(&a);
	free(clerk);
	free(other);
}

static void
decided(void)
{
	const char *app = new_uuid();
	start();
	start_services(NULL);
	submit_family(app, NULL);
	applied("submitted");
	char *needs = needs_of(app);
	TH_CHECK(&T,
	    strcmp(needs,
	        "0:housing_costs 0:medical_costs 1:unemployed_working_age "
	        "3:school_age_child")
	        == 0,
	    "needs from the facts: %s", needs);
	free(needs);
	expect_kinds(app, "", "before the decision");
	decide(app, EXPENDITURE, EDGE, true);
	applied("decided");
	expect_kinds(app, FAMILY_KINDS, "decided");
	TH_CHECK(&T, published("referral.routed") == 4,
	    "four referral.routed, not %lld",
	    (long long) published("referral.routed"));
	check_routed(app, 0, 4, SRC_DECISION);
	check_view(app);
	printf("decided: four kinds routed once, with their events\n");
}

static void
decided_first(void)
{
	const char *app = new_uuid();
	start();
	start_services(NULL);
	decide(app, EXPENDITURE, EDGE, true);
	applied("decided");
	expect_kinds(app, "", "decided, no facts yet");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.household WHERE id = '%s'"
	        " AND category = 'expenditure' AND NOT has_facts",
	        S, app)
	        == 1,
	    "the decision is kept for the facts");
	submit_family(app, NULL);
	applied("submitted");
	expect_kinds(app, FAMILY_KINDS, "facts after the decision");
	TH_CHECK(
	    &T, published("referral.routed") == 4, "four referral.routed");
	check_routed(app, 0, 4, SRC_DECISION);
	printf("decided_first: the same four once the facts came\n");
}

/* ---- repeat ---------------------------------------------------------------
 */

static int64_t
state_count(void)
{
	return th_int(&T,
	    "SELECT (SELECT count(*) FROM %s.referral) * 1000000"
	    " + (SELECT count(*) FROM %s.need) * 10000"
	    " + (SELECT count(*) FROM %s.member) * 100"
	    " + (SELECT count(*) FROM %s.household)"
	    " + (SELECT count(*) FROM %s.routing) * 10000000000",
	    S, S, S, S, S);
}

static void
every_event(const char *app, const char *grant, const char *ref)
{
	submit_family(app, NULL);
	decide(app, EXPENDITURE, EDGE, true);
	registered(app, SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DECISION,
	    EXPENDITURE, NULL);
	granted(grant, SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_FIRE);
	referred(ref, grant,
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_HOUSING, "housing");
}

static void
repeat(void)
{
	const char *app = new_uuid(), *grant = new_uuid(), *ref = new_uuid();
	start();
	start_services(NULL);
	every_event(app, grant, ref);
	applied("first");
	expect_kinds(app, FAMILY_KINDS, "first");
	expect_kinds(ref, "rent_subsidy:0", "the emergency referral");
	int64_t before = state_count(), events = published(NULL);
	every_event(app, grant, ref);
	applied("again");
	TH_CHECK(&T, state_count() == before, "the repeat changed the tables");
	TH_CHECK(&T, published(NULL) == events, "the repeat published %lld",
	    (long long) (published(NULL) - events));
	expect_kinds(app, FAMILY_KINDS, "again");

	/* revision 2 drops the medical costs; revision 1 again is ignored */
	application r2 = { app, NULL, 2, family, 3, 0, 50000, 0 };
	application r1 = { app, NULL, 1, family, 3, 80000, 50000, 0 };
	submit(&r2);
	submit(&r1);
	applied("revisions");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.household WHERE id = '%s'"
	        " AND revision = 2 AND medical_fen = 0",
	        S, app)
	        == 1,
	    "revision 2 stays");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.need WHERE household_id = '%s'"
	        " AND need = 'medical_costs'",
	        S, app)
	        == 0,
	    "the needs are revision 2's");
	TH_CHECK(
	    &T, published(NULL) == events, "the revisions routed nothing");
	printf("repeat: every event again changed nothing; a lower revision "
	       "neither\n");
}

/* ---- dibao ------------------------------------------------------------- */

static void
dibao(void)
{
	const char *app = new_uuid();
	start();
	start_services(NULL);
	submit_family(app, NULL);
	decide(app, SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO,
	    SN__ASSIST__V1__TIER__TIER_CORE, true);
	applied("dibao");
	expect_kinds(app, "", "dibao");
	TH_CHECK(&T, published("referral.routed") == 0, "nothing published");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.routing WHERE household_id"
	        " = '%s' AND trigger = 'decision:1' AND referrals = 0",
	        S, app)
	        == 1,
	    "the decision was looked at, once");
	printf("dibao: a core household referred nowhere\n");
}

/* ---- emergency ------------------------------------------------------------
 */

static void
emergency_only(const char *ref, const char *grant)
{
	expect_kinds(ref, "medical_assistance:0", "emergency-only");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.household WHERE id = '%s'"
	        " AND application_id IS NULL AND grant_id = '%s'"
	        " AND emergency_cause = 'major_illness'"
	        " AND township_code = '" T1 "'",
	        S, ref, grant)
	        == 1,
	    "an emergency-only household of the referral");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.member WHERE household_id ="
	        " '%s' AND member = 1 AND name = '王五'",
	        S, ref)
	        == 1,
	    "member 1 by name");
	Sn__Services__V1__ReferralRouted *m = published_msg("referral.routed",
	    0, &sn__services__v1__referral_routed__descriptor);
	TH_CHECK(&T,
	    strcmp(m->emergency_referral_id, ref) == 0
	        && strcmp(m->grant_id, grant) == 0
	        && strcmp(m->application_id, "") == 0
	        && m->source == SRC_EMERGENCY && m->n_needs == 1
	        && strcmp(m->needs[0], "major_illness") == 0
	        && m->category == SN__ASSIST__V1__CATEGORY__CATEGORY_EMERGENCY
	        && strcmp(m->routed_by, "officer-3") == 0
	        && strcmp(m->note, "住院") == 0,
	    "the emergency referral's event");
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void
emergency(void)
{
	const char *ref = new_uuid(), *grant = new_uuid(), *app = new_uuid();
	const char *ref2 = new_uuid(), *ref3 = new_uuid();
	start();
	start_services(NULL);
	granted(grant,
	    SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_MAJOR_ILLNESS);
	referred(ref, grant,
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL,
	    "medical_insurance");
	referred(ref2, grant,
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO, "");
	applied("referred");
	emergency_only(ref, grant);
	TH_CHECK(&T, published("referral.routed") == 1,
	    "a dibao referral is intake's");

	referred(ref3, grant,
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_HOUSING, "health");
	applied("housing");
	expect_kinds(ref, "medical_assistance:0 rent_subsidy:0",
	    "the same grant's housing referral, the default kind");

	submit_family(app, ref);
	decide(app, EXPENDITURE, EDGE, true);
	applied("joined");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.household WHERE id = '%s'"
	        " AND application_id = '%s' AND has_facts",
	        S, ref, app)
	        == 1,
	    "the application joined the emergency household");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.household WHERE id = '%s'", S,
	        app)
	        == 0,
	    "no second household");
	/* the decision adds serious-illness treatment (major illness) and
	 * what the facts show, not the two open ones */
	expect_kinds(ref,
	    "employment_assistance:1 medical_assistance:0 rent_subsidy:0 "
	    "serious_illness_treatment:0 student_grant_compulsory:3",
	    "joined and decided");
	TH_CHECK(&T, published("referral.routed") == 5,
	    "two emergency and three decision referrals");
	check_routed(ref, 2, 3, SRC_DECISION);

	char *clerk = token("clerk-1", "clerk", T1);
	char  path[128];
	snprintf(path, sizeof(path), "/households/%s", app);
	answer a = call("GET", path, clerk, NULL, NULL);
	TH_CHECK(&T, a.status == 200 && strcmp(jstr(a.body, "id"), ref) == 0,
	    "the household by its application id: %d %s", a.status,
	    jstr(a.body, "id"));
	answer_free(&a);
	free(clerk);
	printf("emergency: an emergency-only household, joined by its "
	       "application\n");
}

/* ---- answers -------------------------------------------------------------
 */

static char *
referral_of(const char *household, const char *kind)
{
	char *id = th_text(&T,
	    "SELECT id FROM %s.referral WHERE household_id = '%s'"
	    " AND kind = '%s' ORDER BY no LIMIT 1",
	    S, household, kind);
	TH_CHECK(&T, id != NULL, "no %s referral", kind);
	return id;
}

static answer
answer_as(const char *tok, const char *id, const char *body)
{
	char path[128];
	snprintf(path, sizeof(path), "/department-referrals/%s/answer", id);
	return call("POST", path, tok, NULL, body);
}

static size_t
items(const char *tok, const char *query)
{
	char path[256];
	snprintf(path, sizeof(path), "/department-referrals%s", query);
	answer a = call("GET", path, tok, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "GET %s: %d", path, a.status);
	size_t n = json_array_size(json_object_get(a.body, "items"));
	answer_free(&a);
	return n;
}

static void
department_answers(const char *app)
{
	char *health
	    = token_unit("mi-1", "department", DISTRICT, "medical_insurance");
	char *housing = token_unit("hs-1", "department", DISTRICT, "housing");
	char *edu = token_unit("ed-1", "department", DISTRICT, "education");
	char *far = token_unit("mi-2", "department", T2, "medical_insurance");
	char *med = referral_of(app, "medical_assistance");
	char *grant = referral_of(app, "student_grant_compulsory");
	char  body[256], today[SN_DATE_STRLEN];

	snprintf(body, sizeof(body),
	    "{\"outcome\":\"accepted\",\"grant\":\"70%% of in-policy costs\","
	    "\"amount_fen\":6000000,\"amount_per\":\"year\","
	    "\"from_date\":\"%s\"}",
	    day_from_today(0, today));
	expect(answer_as(housing, med, body), 403, "not_your_department",
	    "another department");
	expect(answer_as(far, med, body), 404, "not_found",
	    "the department's user of another township");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.referral WHERE id = '%s'"
	        " AND status = 'routed'",
	        S,
	        med) == 1
	        && published("referral.answered") == 0,
	    "the refusals changed nothing");
	expect(answer_as(health, med,
	           "{\"outcome\":\"accepted\",\"grant\":"
	           "\"x\",\"amount_fen\":-1,\"from_date\":"
	           "\"2026-01-01\"}"),
	    422, "out_of_range", "a negative amount");
	expect(answer_as(health, med, body), 200, NULL, "accepted");
	expect(answer_as(health, med, body), 409, "already_answered",
	    "a second answer");
	Sn__Services__V1__ReferralAnswered *m
	    = published_msg("referral.answered", 0,
	        &sn__services__v1__referral_answered__descriptor);
	TH_CHECK(&T,
	    m->outcome == SN__SERVICES__V1__REFERRAL_OUTCOME__REFERRAL_ACCEPTED
	        && m->amount_fen == 6000000 && !m->late
	        && strcmp(m->from_date, today) == 0
	        && strcmp(m->answered_by, "mi-1") == 0
	        && strcmp(m->referral_id, med) == 0,
	    "referral.answered (accepted)");
	protobuf_c_message_free_unpacked(&m->base, NULL);
	expect(answer_as(edu, grant,
	           "{\"outcome\":\"declined\",\"reason_code\":"
	           "\"not_eligible\",\"reason\":\"already "
	           "funded\"}"),
	    200, NULL, "declined");
	m = published_msg("referral.answered", 1,
	    &sn__services__v1__referral_answered__descriptor);
	TH_CHECK(&T,
	    m->outcome == SN__SERVICES__V1__REFERRAL_OUTCOME__REFERRAL_DECLINED
	        && strcmp(m->reason_code, "not_eligible") == 0,
	    "referral.answered (declined)");
	protobuf_c_message_free_unpacked(&m->base, NULL);
	TH_CHECK(&T, items(health, "") == 1, "the department sees its own");
	TH_CHECK(&T, items(housing, "?status=routed") == 1,
	    "housing sees its routed one");
	free(health);
	free(housing);
	free(edu);
	free(far);
	free(med);
	free(grant);
}

static void
household_shows(const char *app)
{
	char *clerk   = token("clerk-1", "clerk", T1);
	char *housing = token_unit("hs-1", "department", DISTRICT, "housing");
	char  path[128];
	snprintf(path, sizeof(path), "/households/%s", app);
	answer a = call("GET", path, clerk, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "GET household: %d", a.status);
	size_t  i;
	json_t *r;
	int     accepted = 0;
	json_array_foreach(json_object_get(a.body, "referrals"), i, r)
	{
		json_t *ans = json_object_get(r, "answer");
		if (strcmp(jstr(r, "kind"), "medical_assistance") == 0
		    && strcmp(jstr(ans, "outcome"), "accepted") == 0
		    && strcmp(jstr(ans, "grant"), "70% of in-policy costs")
		        == 0)
			accepted++;
	}
	TH_CHECK(&T, accepted == 1, "the acceptance shows on the household");
	answer_free(&a);
	a = call("GET", path, housing, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && json_array_size(json_object_get(a.body, "referrals")) == 1,
	    "a department sees its own referrals of the household");
	answer_free(&a);
	free(clerk);
	free(housing);
}

static void
clerk_refers(const char *app)
{
	char *clerk = token("clerk-1", "clerk", T1);
	char *other = token("clerk-2", "clerk", T2);
	char  body[256];
	snprintf(body, sizeof(body),
	    "{\"household_id\":\"%s\",\"type\":\"other\",\"note\":\"看护\"}",
	    app);
	answer a = call("POST", "/department-referrals", clerk, NULL, body);
	TH_CHECK(&T,
	    a.status == 201
	        && strcmp(jstr(a.body, "kind"), "temporary_assistance") == 0
	        && strcmp(jstr(a.body, "source"), "clerk") == 0,
	    "a clerk's referral: %d %s", a.status, jstr(a.body, "kind"));
	answer_free(&a);
	expect(call("POST", "/department-referrals", clerk, NULL, body), 409,
	    "referral_open", "the same again");
	expect(call("POST", "/department-referrals", other, NULL, body), 403,
	    "outside_jurisdiction", "another township");
	snprintf(body, sizeof(body),
	    "{\"household_id\":\"%s\",\"kind\":\"no_such_kind\"}", app);
	expect(call("POST", "/department-referrals", clerk, NULL, body), 422,
	    "unknown_kind", "an unknown kind");
	snprintf(body, sizeof(body),
	    "{\"household_id\":\"%s\",\"department\":\"health\","
	    "\"kind\":\"medical_assistance\"}",
	    app);
	expect(call("POST", "/department-referrals", clerk, NULL, body), 422,
	    "kind_not_of_department", "a kind of another department");
	snprintf(body, sizeof(body),
	    "{\"household_id\":\"%s\",\"type\":\"housing\","
	    "\"kind\":\"family_doctor_contract\"}",
	    app);
	expect(call("POST", "/department-referrals", clerk, NULL, body), 422,
	    "kind_not_of_type", "a kind of another type");
	snprintf(body, sizeof(body),
	    "{\"household_id\":\"%s\",\"kind\":\"legal_aid\"}", new_uuid());
	expect(call("POST", "/department-referrals", clerk, NULL, body), 404,
	    "household_not_found", "an unknown household");
	snprintf(body, sizeof(body),
	    "{\"household_id\":\"%s\",\"kind\":\"student_grant_compulsory\","
	    "\"member\":3}",
	    app);
	expect(call("POST", "/department-referrals", clerk, NULL, body), 201,
	    NULL, "again after a decline");
	TH_CHECK(&T, published("referral.routed") == 6, "six routed");
	free(clerk);
	free(other);
}

static void
staff_needs(const char *app)
{
	char *clerk = token("clerk-1", "clerk", T1);
	char  path[160], body[128];
	snprintf(path, sizeof(path), "/households/%s/needs", app);
	snprintf(
	    body, sizeof(body), "{\"need\":\"chronic_illness\",\"member\":2}");
	expect(call("POST", path, clerk, NULL, body), 201, NULL, "a need");
	expect(call("POST", path, clerk, NULL, body), 200, NULL, "again");
	expect(call("POST", path, clerk, NULL, "{\"need\":\"nonsense\"}"), 422,
	    "unknown_need", "not of the vocabulary");
	expect(call("POST", path, clerk, NULL,
	           "{\"need\":\"chronic_illness\",\"member\":9}"),
	    422, "unknown_member", "no such member");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.need WHERE household_id = '%s'"
	        " AND source = 'staff' AND noted_by = 'clerk-1'",
	        S, app)
	        == 1,
	    "one staff need");
	snprintf(path, sizeof(path),
	    "/households/%s/needs/chronic_illness?member=2", app);
	expect(call("DELETE", path, clerk, NULL, NULL), 200, NULL, "removed");
	expect(call("DELETE", path, clerk, NULL, NULL), 404, "need_not_found",
	    "removed twice");
	free(clerk);
}

static void
figures(void)
{
	char *officer = token("do-1", "district_officer", DISTRICT);
	char *health
	    = token_unit("mi-1", "department", DISTRICT, "medical_insurance");
	char   *clerk = token("clerk-1", "clerk", T1);
	answer  a = call("GET", "/statistics/referrals", officer, NULL, NULL);
	json_t *t = json_object_get(a.body, "totals");
	TH_CHECK(&T,
	    a.status == 200
	        && json_integer_value(json_object_get(t, "routed")) == 6
	        && json_integer_value(json_object_get(t, "accepted")) == 1
	        && json_integer_value(json_object_get(t, "declined")) == 1
	        && json_integer_value(json_object_get(t, "open")) == 4,
	    "the district's figures: %d", a.status);
	size_t  i;
	json_t *k;
	bool    seen = false;
	json_array_foreach(json_object_get(a.body, "kinds"), i, k) seen = seen
	    || (strcmp(jstr(k, "kind"), "medical_assistance") == 0
	        && json_integer_value(
	               json_object_get(k, "accepted_amount_fen"))
	            == 6000000);
	TH_CHECK(&T, seen, "the amount accepted per kind");
	answer_free(&a);
	a = call("GET", "/statistics/referrals", health, NULL, NULL);
	t = json_object_get(a.body, "totals");
	TH_CHECK(&T,
	    a.status == 200
	        && json_integer_value(json_object_get(t, "routed")) == 1,
	    "a department's figures");
	answer_free(&a);
	TH_CHECK(&T, items(clerk, "?status=accepted") == 1, "status filter");
	TH_CHECK(&T, items(clerk, "?department=education") == 2,
	    "department filter");
	TH_CHECK(&T, items(clerk, "?overdue=true") == 0, "none overdue");
	expect(call("GET", "/department-referrals?township=" T2, clerk, NULL,
	           NULL),
	    403, "outside_jurisdiction", "another township's filter");
	answer d = call("GET", "/departments", health, NULL, NULL);
	TH_CHECK(&T,
	    d.status == 200
	        && json_array_size(json_object_get(d.body, "departments"))
	            == 13,
	    "the registry: %d", d.status);
	answer_free(&d);
	free(officer);
	free(health);
	free(clerk);
}

static void
answers(void)
{
	const char *app = new_uuid();
	start();
	start_services(NULL);
	submit_family(app, NULL);
	decide(app, EXPENDITURE, EDGE, true);
	applied("decided");
	department_answers(app);
	household_shows(app);
	clerk_refers(app);
	staff_needs(app);
	figures();
	printf("answers: refused, accepted, answered twice, declined; a "
	       "clerk's referrals; needs; figures\n");
}

/* ---- overdue --------------------------------------------------------------
 */

static th_proc *
restart_shifted(th_proc *p, int days)
{
	static char shift[64];
	th_stop(&T, p);
	snprintf(shift, sizeof(shift), "SN_CLOCK_OFFSET_S=%d", days * 86400);
	const char *env[] = { "SN_TEST_CLOCK=1", shift,
		"SN_SERVICES_OVERDUE_SCAN_MS=100", NULL };
	return start_services(env);
}

static void
overdue(void)
{
	const char *app = new_uuid();
	start();
	th_proc *p = start_services(NULL);
	submit_family(app, NULL);
	decide(app, EXPENDITURE, EDGE, true);
	applied("decided");

	/* 16 days on: medical (10), education and employment (15) */
	p = restart_shifted(p, 16);
	TH_CHECK(&T,
	    th_wait_int(&T, 3, 30000,
	        "SELECT count(*) FROM %s.referral WHERE overdue_at"
	        " IS NOT NULL",
	        S),
	    "three flagged");
	TH_CHECK(
	    &T, published("referral.overdue") == 3, "three referral.overdue");
	char *clerk = token("clerk-1", "clerk", T1);
	TH_CHECK(
	    &T, items(clerk, "?overdue=true") == 3, "three overdue listed");

	/* 31 days on, after a restart: housing (30) too, none twice */
	p = restart_shifted(p, 31);
	TH_CHECK(&T,
	    th_wait_int(&T, 4, 30000,
	        "SELECT count(*) FROM %s.referral WHERE overdue_at"
	        " IS NOT NULL",
	        S),
	    "four flagged");
	TH_CHECK(&T, published("referral.overdue") == 4,
	    "four referral.overdue, not %lld",
	    (long long) published("referral.overdue"));
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM (SELECT subject FROM %s.outbox"
	        " WHERE topic = 'referral.overdue' GROUP BY subject"
	        " HAVING count(*) > 1) x",
	        S)
	        == 0,
	    "no referral flagged twice");
	/* the first three in the order routed, then housing's */
	static const char *const order[]
	    = { "student_grant_compulsory", "medical_assistance",
		      "employment_assistance", "rent_subsidy" };
	for (int i = 0; i < 4; i++) {
		Sn__Services__V1__ReferralOverdue *o
		    = published_msg("referral.overdue", i,
		        &sn__services__v1__referral_overdue__descriptor);
		TH_CHECK(&T,
		    strcmp(o->kind, order[i]) == 0
		        && strcmp(o->township_code, T1) == 0
		        && strcmp(o->household_id, app) == 0,
		    "overdue %d is %s, want %s", i, o->kind, order[i]);
		protobuf_c_message_free_unpacked(&o->base, NULL);
	}

	char *health
	    = token_unit("mi-1", "department", DISTRICT, "medical_insurance");
	char *med = referral_of(app, "medical_assistance");
	expect(answer_as(health, med,
	           "{\"outcome\":\"declined\",\"reason_code\":"
	           "\"late\",\"reason\":\"too late\"}"),
	    200, NULL, "a late answer");
	Sn__Services__V1__ReferralAnswered *m
	    = published_msg("referral.answered", 0,
	        &sn__services__v1__referral_answered__descriptor);
	TH_CHECK(&T, m->late, "answered late");
	protobuf_c_message_free_unpacked(&m->base, NULL);
	free(clerk);
	free(health);
	free(med);
	printf("overdue: flagged once each, across restarts; a late answer\n");
}

/* ---- review ------------------------------------------------------------- */

static void
review(void)
{
	const char *app = new_uuid(), *rid = new_uuid();
	start();
	start_services(NULL);
	submit_family(app, NULL);
	decide(app, EXPENDITURE, EDGE, true);
	applied("decided");
	char *hr
	    = token_unit("hr-1", "department", DISTRICT, "human_resources");
	char *job = referral_of(app, "employment_assistance");
	expect(answer_as(hr, job,
	           "{\"outcome\":\"declined\",\"reason_code\":"
	           "\"no_post\",\"reason\":\"none now\"}"),
	    200, NULL, "employment declined");

	/* revision 2: the spouse is severely disabled; no decision of it */
	application r2 = { app, NULL, 2, family, 3, 80000, 50000, 1 };
	submit(&r2);
	applied("resubmitted");
	TH_CHECK(&T, published("referral.routed") == 4,
	    "no routing without a decision");
	registered(app, SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REVIEW,
	    EXPENDITURE, rid);
	applied("reviewed");
	expect_kinds(app,
	    "employment_assistance:1 employment_assistance:1 "
	    "medical_assistance:0 rent_subsidy:0 "
	    "severe_disability_care_allowance:0 student_grant_compulsory:3",
	    "the review");
	TH_CHECK(
	    &T, published("referral.routed") == 6, "two new referral.routed");
	check_routed(app, 4, 2, SRC_REVIEW);
	registered(app, SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REVIEW,
	    EXPENDITURE, rid);
	registered(app, SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REVIEW,
	    SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO, new_uuid());
	applied("again");
	TH_CHECK(&T, published("referral.routed") == 6,
	    "the same review again, and one into dibao, route nothing");
	free(hr);
	free(job);
	printf("review: the new need and the declined kind routed once\n");
}

/* ---- kill -----------------------------------------------------------------
 */

/* ---- one apply transaction, several events ----------------------------
 */

/* Events of one stream that services applies in one transaction (they
 * wait in the outbox while it is stopped) are each routed for their own
 * trigger: two emergency referrals each get their own kind, and a
 * decision followed by another household's review routes the decision
 * as a decision. */
static void
batch(void)
{
	const char *a = new_uuid(), *b = new_uuid();
	char        x[SN_UUID_STRLEN], y[SN_UUID_STRLEN];
	start();
	th_proc *p = start_services(NULL);
	snprintf(x, sizeof(x), "%s", new_uuid());
	snprintf(y, sizeof(y), "%s", new_uuid());
	submit_family(x, NULL);
	submit_family(y, NULL);
	applied("submitted");
	th_stop(&T, p);

	referred(a, "", SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL,
	    "medical_insurance");
	referred(
	    b, "", SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_HOUSING, "");
	decide(x, EXPENDITURE, EDGE, true);
	registered(y, SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REVIEW,
	    EXPENDITURE, new_uuid());
	p = start_services(NULL);
	applied("in one batch");
	expect_kinds(
	    a, "medical_assistance:0", "the first emergency referral");
	expect_kinds(b, "rent_subsidy:0", "the second emergency referral");
	expect_kinds(x, FAMILY_KINDS, "the decision");
	expect_kinds(y, FAMILY_KINDS, "the review");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.referral WHERE household_id = '%s'"
	        " AND source = 'decision' AND trigger = 'decision:1'",
	        S, x)
	        == 4,
	    "the decision's referrals are not the decision's");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.referral WHERE household_id = '%s'"
	        " AND source = 'review'",
	        S, y)
	        == 4,
	    "the review's referrals are not the review's");
	th_stop(&T, p);
	printf("batch: each event of one apply transaction routed for its "
	       "own trigger\n");
}

/* ---- merge: two households of one application, both referred ------ */

/* The referral of household of kind whose duplicate_of is (not) set. */
static char *
referral_marked(const char *household, const char *kind, bool duplicate)
{
	char *id = th_text(&T,
	    "SELECT id FROM %s.referral WHERE household_id = '%s'"
	    " AND kind = '%s' AND duplicate_of IS %s NULL",
	    S, household, kind, duplicate ? "NOT" : "");
	TH_CHECK(&T, id != NULL, "no %s referral %s a duplicate", kind,
	    duplicate ? "marked" : "not marked");
	return id;
}

/* The household view's referrals of kind: how many, and how many name
 * kept as the one they duplicate. */
static void
view_duplicates(const char *household, const char *kind, const char *kept)
{
	char   *clerk = token("clerk-1", "clerk", T1);
	char    path[128];
	size_t  i, n = 0, marked = 0;
	json_t *r;
	snprintf(path, sizeof(path), "/households/%s", household);
	answer a = call("GET", path, clerk, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "GET household: %d", a.status);
	json_array_foreach(json_object_get(a.body, "referrals"), i, r)
	{
		if (strcmp(jstr(r, "kind"), kind) != 0)
			continue;
		n++;
		if (strcmp(jstr(r, "duplicate_of"), kept) == 0)
			marked++;
		else
			TH_CHECK(&T, json_is_null(jget(r, "duplicate_of")),
			    "the kept referral names no duplicate_of");
	}
	TH_CHECK(&T, n == 2 && marked == 1,
	    "the household shows %zu %s referrals, %zu marked", n, kind,
	    marked);
	answer_free(&a);
	free(clerk);
}

/*
 * A decision that came first made the application's own household and a
 * clerk referred it to medical assistance; an emergency referral of the
 * same person made an emergency-only household with a medical-assistance
 * referral too. The application naming that emergency referral joins the
 * two households (merge_household): both referrals are kept, the moved
 * one marked duplicate_of the other, in the department's queue and
 * answerable; of a pair of which only the moved one was accepted (rent
 * subsidy), the routed one is marked; the staff-noted need goes along;
 * the intake stream goes on (a later household's submission is
 * applied).
 */
static void
merge(void)
{
	const char *ref = new_uuid(), *grant = new_uuid(), *app = new_uuid();
	const char *ref2 = new_uuid();
	char        later[SN_UUID_STRLEN], body[256], path[160];
	snprintf(later, sizeof(later), "%s", new_uuid());
	start();
	start_services(NULL);
	granted(grant,
	    SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_MAJOR_ILLNESS);
	referred(ref, grant,
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL,
	    "medical_insurance");
	referred(ref2, grant,
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_HOUSING, "housing");
	decide(app, EXPENDITURE, EDGE, true);
	applied("referred, and decided before the facts");
	expect_kinds(ref, "medical_assistance:0 rent_subsidy:0",
	    "the emergency-only one");
	expect_kinds(app, "", "the decision-first one");

	/* medical assistance routed on both; rent subsidy routed on the
	 * emergency-only one and accepted on the decision-first one */
	char *clerk   = token("clerk-1", "clerk", T1);
	char *housing = token_unit("hs-1", "department", DISTRICT, "housing");
	snprintf(body, sizeof(body),
	    "{\"household_id\":\"%s\",\"kind\":\"medical_assistance\"}", app);
	expect(call("POST", "/department-referrals", clerk, NULL, body), 201,
	    NULL, "a clerk refers the decision-first household");
	snprintf(body, sizeof(body),
	    "{\"household_id\":\"%s\",\"kind\":\"rent_subsidy\"}", app);
	expect(call("POST", "/department-referrals", clerk, NULL, body), 201,
	    NULL, "a clerk refers it to the rent subsidy");
	char *rent = referral_of(app, "rent_subsidy");
	expect(answer_as(housing, rent,
	           "{\"outcome\":\"accepted\",\"grant\":\"rent\","
	           "\"amount_fen\":50000,\"amount_per\":\"month\","
	           "\"from_date\":\"2026-01-01\"}"),
	    200, NULL, "the rent subsidy accepted before the join");
	snprintf(path, sizeof(path), "/households/%s/needs", app);
	expect(
	    call("POST", path, clerk, NULL, "{\"need\":\"chronic_illness\"}"),
	    201, NULL, "a need noted on the decision-first household");

	submit_family(app, ref);
	submit_family(later, NULL);
	applied("joined, and a later household");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.household WHERE id = '%s'"
	        " AND has_facts",
	        S, later)
	        == 1,
	    "the later household's submission was not applied");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.household WHERE id = '%s'"
	        " AND application_id = '%s' AND has_facts",
	        S, ref,
	        app) == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.household WHERE id = '%s'", S,
	               app)
	            == 0,
	    "the application joined the emergency household");
	expect_kinds(ref,
	    "employment_assistance:1 medical_assistance:0 "
	    "medical_assistance:0 rent_subsidy:0 rent_subsidy:0 "
	    "serious_illness_treatment:0 student_grant_compulsory:3",
	    "joined and decided");
	TH_CHECK(&T, published("referral.routed") == 7,
	    "seven referral.routed, not %lld",
	    (long long) published("referral.routed"));
	char *kept = referral_marked(ref, "medical_assistance", false);
	char *dup  = referral_marked(ref, "medical_assistance", true);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.referral WHERE id = '%s'"
	        " AND duplicate_of = '%s' AND source = 'clerk'"
	        " AND status = 'routed'",
	        S, dup, kept)
	        == 1,
	    "the clerk's referral is the duplicate of the emergency one");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.referral WHERE household_id = '%s'"
	        " AND kind = 'rent_subsidy' AND source = 'emergency'"
	        " AND status = 'routed' AND duplicate_of = '%s'",
	        S, ref, rent)
	        == 1,
	    "the routed rent subsidy is the duplicate of the accepted one");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.need WHERE household_id = '%s'"
	        " AND member = 0 AND need = 'chronic_illness'"
	        " AND source = 'staff'",
	        S, ref)
	        == 1,
	    "the staff-noted need went along");
	view_duplicates(ref, "medical_assistance", kept);

	/* In the department's queue, shown with what it duplicates, and
	 * answerable. */
	char *health
	    = token_unit("mi-1", "department", DISTRICT, "medical_insurance");
	TH_CHECK(&T, items(health, "?status=routed") == 2,
	    "both in the department's queue");
	snprintf(path, sizeof(path), "/department-referrals/%s", dup);
	answer a = call("GET", path, health, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "duplicate_of"), kept) == 0,
	    "GET the duplicate: %d %s", a.status,
	    jstr(a.body, "duplicate_of"));
	answer_free(&a);
	expect(answer_as(health, dup,
	           "{\"outcome\":\"declined\",\"reason_code\":"
	           "\"duplicate\",\"reason\":\"the same as the other\"}"),
	    200, NULL, "the duplicate answered");
	free(clerk);
	free(housing);
	free(health);
	free(rent);
	free(kept);
	free(dup);
	printf("merge: both referrals kept, one marked duplicate_of the "
	       "other; the stream went on\n");
}

#define KILL_HOUSEHOLDS 100

static void
kill_mid_stream(void)
{
	static char apps[KILL_HOUSEHOLDS][SN_UUID_STRLEN];
	const char *env[] = { "SN_BUS_APPLY_BATCH=3", NULL };
	start();
	th_proc *p = start_services(env);
	for (int i = 0; i < KILL_HOUSEHOLDS; i++) {
		snprintf(apps[i], sizeof(apps[i]), "%s", new_uuid());
		submit_family(apps[i], NULL);
	}
	applied("submitted");
	for (int i = 0; i < KILL_HOUSEHOLDS; i++)
		decide(apps[i], EXPENDITURE, EDGE, true);
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 60000,
	        "SELECT (count(*) >= 12)::int FROM %s.referral", S),
	    "routing did not start");
	th_kill(&T, p, SIGKILL);
	int64_t at_kill = th_int(&T, "SELECT count(*) FROM %s.referral", S);
	start_services(env);
	applied("after the restart");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.referral", S)
	        == 4 * KILL_HOUSEHOLDS,
	    "four referrals per household");
	TH_CHECK(&T, published("referral.routed") == 4 * KILL_HOUSEHOLDS,
	    "one event per referral: %lld",
	    (long long) published("referral.routed"));
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.referral r WHERE (SELECT count(*)"
	        " FROM %s.outbox o WHERE o.topic = 'referral.routed'"
	        " AND o.subject = r.id::text) <> 1",
	        S, S)
	        == 0,
	    "each referral's event once");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM (SELECT household_id FROM %s.referral"
	        " GROUP BY household_id HAVING string_agg(kind || ':' ||"
	        " member, ' ' ORDER BY kind, member) <> '" FAMILY_KINDS "') x",
	        S)
	        == 0,
	    "every household's four kinds");
	printf("kill: %lld referrals when killed; 400 after the restart, each "
	       "with one event\n",
	    (long long) at_kill);
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "decided", decided },
		{ "decided_first", decided_first },
		{ "repeat", repeat },
		{ "dibao", dibao },
		{ "emergency", emergency },
		{ "answers", answers },
		{ "overdue", overdue },
		{ "review", review },
		{ "kill", kill_mid_stream },
		{ "batch", batch },
		{ "merge", merge },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), NULL);
}
