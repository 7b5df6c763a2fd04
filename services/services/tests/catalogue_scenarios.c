/*
 * The catalogue of the services service (catalogue.h, enrol.h) end to
 * end: the real binary, a real PostgreSQL (SN_TEST_DB_URL), real NNG
 * sockets and real HTTP, through tests/support/harness.h. The district's
 * clock is moved into the seed's year (2027-03-15) with SN_TEST_CLOCK.
 *
 *   services_catalogue_scenarios seed | projects | matches | capacity |
 *       sessions | figures | village | kill
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "harness.h"
#include "kit.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/date.h"
#include "sn/idnum.h"

#define T1 "220103001"
#define T2 "220103002"
#define MEAL_PARTNER "first-street-home-based-elderly-care-centre"

th           T;
static char *officer, *admin, *clerk, *clerk2, *outsider;

/* ---- helpers ------------------------------------------------------------ */

/* Seconds from now to 2027-03-15 12:00 in the district (04:00 UTC). */
static long long
shift_to_2027(void)
{
	sn_date d = { 2027, 3, 15 };
	return (
	    long long) (sn_date_to_days(d) * 86400 + 4 * 3600 - time(NULL));
}

static void done(void);

/* Starts (or restarts) services on the same port with one more setting
 * (or NULL); waits for the seed. The first start also starts intake and
 * approval (sn-inject), whose events make the households. */
static th_proc *
start_with(const char *extra)
{
	static bool injectors;
	static char shift[64];
	publishers();
	if (!injectors) {
		injector("intake");
		injector("approval");
		injectors = true;
	}
	snprintf(
	    shift, sizeof(shift), "SN_CLOCK_OFFSET_S=%lld", shift_to_2027());
	const char *env[] = { "SN_TEST_CLOCK=1", shift, extra, NULL };
	th_proc    *p     = start_services(env);
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT (count(*) >= 100)::int FROM %s.project", S))
		th_fail(&T, "the seed catalogue did not load");
	done(); /* a restart issues them anew */
	officer  = token("dist-1", "district_officer", "220103");
	admin    = token("admin-1", "district_admin", "220103");
	clerk    = token("clerk-1", "clerk", T1);
	clerk2   = token("clerk-2", "clerk", T2);
	outsider = token("dist-9", "district_officer", "220104");
	return p;
}

static th_proc *
start(void)
{
	return start_with(NULL);
}

static int64_t
projects(void)
{
	return th_int(&T, "SELECT count(*) FROM %s.project", S);
}

/* ---- households, from intake's and approval's events ------------------ */

static int hh_seq, person_seq;

/* A valid identity number of someone born on birth (YYYY-MM-DD). */
static void
person(char out[19], const char *birth)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "220103%.4s%.2s%.2s%03d", birth, birth + 5,
	    birth + 8, ++person_seq % 1000);
	memcpy(out, buf, 17);
	out[17] = sn_idnum_check_char(out);
	out[18] = '\0';
}

static Sn__Assist__V1__Category
category_of(const char *c)
{
	return strcmp(c, "tekun") == 0
	    ? SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN
	    : strcmp(c, "low_income") == 0
	    ? SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME
	    : strcmp(c, "expenditure") == 0
	    ? SN__ASSIST__V1__CATEGORY__CATEGORY_EXPENDITURE
	    : SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO;
}

/*
 * A household of category in township whose members are born on the
 * given days ("1950-06-01,2018-04-01": the applicant first, who works;
 * no income): intake's application.submitted and approval's
 * application.decided, applied by settle(). services derives its needs
 * from the facts (an older person alone: elderly_alone; a child of 6 to
 * 18: school_age_child). Returns its id (static buffer: copy it).
 */
static const char *
household(const char *category, const char *township, const char *births)
{
	static char               id[40];
	char                      b[256], village[16], idns[8][19], *save;
	Sn__Assist__V1__Member    ms[8], *mp[8];
	Sn__Assist__V1__Household h = SN__ASSIST__V1__HOUSEHOLD__INIT;
	Sn__Assist__V1__ApplicationSubmitted a
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	Sn__Assist__V1__ApplicationDecided d
	    = SN__ASSIST__V1__APPLICATION_DECIDED__INIT;
	size_t n = 0;

	snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d", ++hh_seq);
	snprintf(village, sizeof(village), "%s002", township);
	h.registration  = SN__ASSIST__V1__REGISTRATION__REGISTRATION_URBAN;
	h.district_code = "220103";
	h.township_code = (char *) township;
	h.village_code  = village;
	snprintf(b, sizeof(b), "%s", births);
	for (char *s = strtok_r(b, ",", &save); s != NULL && n < 8;
	     s       = strtok_r(NULL, ",", &save), n++) {
		sn__assist__v1__member__init(&ms[n]);
		person(idns[n], s);
		ms[n].id_number  = idns[n];
		ms[n].name       = n == 0 ? "申请人" : "家庭成员";
		ms[n].relation   = n == 0 ? "self" : "child";
		ms[n].birth_date = s;
		ms[n].labour_capacity
		    = SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_FULL;
		mp[n] = &ms[n];
	}
	a.application_id = id;
	a.accepted_date  = "2027-03-01";
	a.household      = &h;
	a.n_members      = n;
	a.members        = mp;
	a.taken_in_by    = "clerk-1";
	a.revision       = 1;
	put("intake", "application.submitted", id, &a.base);
	d.application_id = id;
	d.case_id        = id;
	d.approved       = 1;
	d.category       = category_of(category);
	d.tier           = SN__ASSIST__V1__TIER__TIER_CORE;
	d.decided_by     = "township-officer-1";
	d.household      = &h;
	d.members        = (int32_t) n;
	d.revision       = 1;
	put("approval", "application.decided", id, &d.base);
	return id;
}

/* The households made since the last settle, as services knows them. */
static void
settle(void)
{
	wait_applied("intake", "settle");
	wait_applied("approval", "settle");
}

/* ---- projects -------------------------------------------------------- */

/* A project body: code, capacity, townships ("\"220103001\""), ages
 * ("null"), needs ("" or "\"a\""). */
static char *
project_json(const char *code, int capacity, const char *towns,
    const char *min_age, const char *needs)
{
	char *j = malloc(2048);
	snprintf(j, 2048,
	    "{\"code\": \"%s\", \"name_zh\": \"测试项目\", \"name_en\":"
	    " \"A test project\", \"description_zh\": \"测试\", \"domain\":"
	    " \"living\", \"partner\": {\"code\": \"p-test\", \"name_zh\":"
	    " \"测试伙伴\", \"name_en\": \"Test partner\", \"kind\": \"ngo\"},"
	    " \"eligibility\": {\"categories\": [\"dibao\", \"tekun\"],"
	    " \"min_age\": %s, \"max_age\": null, \"needs\": [%s]},"
	    " \"capacity\": %d, \"township_codes\": [%s], \"period\":"
	    " {\"from\": \"2027-01-01\", \"to\": \"2027-12-31\"}}",
	    code, min_age, needs, capacity, towns);
	return j;
}

static void
add_project(const char *code, int capacity)
{
	char *j = project_json(
	    code, capacity, "\"" T1 "\", \"" T2 "\"", "null", "");
	answer a = call("POST", "/projects", officer, new_key(), j);
	TH_CHECK(&T, a.status == 201, "add %s: %d (%s)", code, a.status,
	    jstr(a.body, "error.code"));
	json_decref(a.body);
	free(j);
}

static char *
enrol_body(const char *hid, int member, const char *code)
{
	char *j = malloc(256);
	snprintf(j, 256,
	    "{\"household_id\": \"%s\", \"member\": %d, \"project_code\":"
	    " \"%s\"}",
	    hid, member, code);
	return j;
}

/* Enrols; returns the enrolment id (malloc'd) or fails. */
static char *
enrol_ok(const char *hid, int member, const char *code)
{
	char  *j = enrol_body(hid, member, code);
	answer a = call("POST", "/enrolments", clerk, new_key(), j);
	free(j);
	TH_CHECK(&T, a.status == 201, "enrol %s in %s: %d (%s %s)", hid, code,
	    a.status, jstr(a.body, "error.code"),
	    jstr(a.body, "error.message"));
	char *id = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	return id;
}

/* ---- seed --------------------------------------------------------------- */

/* The seed loads once: about 100 projects over the 7 domains, each
 * published once; a restart adds nothing and keeps a staff edit. */
static void
seed(void)
{
	th_proc *p = start();
	int64_t  n = projects();
	TH_CHECK(&T, n >= 90 && n <= 110, "%lld projects", (long long) n);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(DISTINCT domain) FROM %s.project", S)
	        == 7,
	    "not 7 domains");
	TH_CHECK(&T,
	    th_wait_int(&T, n, 30000,
	        "SELECT count(*) FROM %s.outbox WHERE topic ="
	        " 'project.changed'",
	        S),
	    "not one project.changed per seed project");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.project WHERE source = 'seed'"
	        " AND version = 1 AND taken = 0",
	        S)
	        == n,
	    "seed projects not at version 1");

	/* Paged: 30 at a time, every project once. */
	int  seen = 0, pages = 0;
	char path[256] = "/projects?limit=30";
	for (;;) {
		answer a = call("GET", path, clerk, NULL, NULL);
		TH_CHECK(&T, a.status == 200, "list: %d", a.status);
		seen += (int) json_array_size(jget(a.body, "items"));
		pages++;
		const char *next = json_string_value(jget(a.body, "next"));
		if (next == NULL) {
			json_decref(a.body);
			break;
		}
		snprintf(
		    path, sizeof(path), "/projects?limit=30&cursor=%s", next);
		json_decref(a.body);
	}
	TH_CHECK(&T, seen == n && pages == (int) (n + 29) / 30,
	    "paged %d projects in %d pages", seen, pages);

	answer a = call("GET", "/projects/liv-001", clerk, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && jint(a.body, "capacity") == 120
	        && jint(a.body, "left") == 120
	        && strcmp(jstr(a.body, "partner.code"), MEAL_PARTNER) == 0
	        && jget(a.body, "open") == json_true(),
	    "liv-001: %d", a.status);
	/* Staff edit it: capacity 150, version 2. */
	json_object_set_new(a.body, "capacity", json_integer(150));
	json_object_set_new(a.body, "version", json_integer(1));
	const char *drop[]
	    = { "taken", "left", "open", "closed", "closed_reason", "source",
		      "created_by", "updated_by", "created_at", "updated_at" };
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		json_object_del(a.body, drop[i]);
	char *body = json_dumps(a.body, 0);
	json_decref(a.body);
	a = call("PUT", "/projects/liv-001", officer, new_key(), body);
	free(body);
	TH_CHECK(&T,
	    a.status == 200 && jint(a.body, "version") == 2
	        && jint(a.body, "capacity") == 150,
	    "edit: %d (%s)", a.status, jstr(a.body, "error.code"));
	json_decref(a.body);

	th_stop(&T, p);
	p = start();
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 10000,
	        "SELECT count(*) FROM %s.project WHERE code = 'liv-001'"
	        " AND capacity = 150 AND version = 2",
	        S),
	    "the restart lost the edit");
	TH_CHECK(&T, projects() == n, "the restart added projects");
	th_sleep_ms(500); /* a second load, were there one, would show */
	TH_CHECK(&T, published("project.changed") == n + 1,
	    "%lld project.changed after the restart, want %lld",
	    (long long) published("project.changed"), (long long) n + 1);
	th_stop(&T, p);
}

/* ---- projects ------------------------------------------------------------
 */

typedef struct bad_case {
	const char *what, *key, *value; /* the member set (JSON) or deleted */
	int         status;
	const char *code;
} bad_case;

static const bad_case bad_cases[] = {
	{ "an unknown member", "colour", "\"red\"", 422, "unknown_field" },
	{ "no name", "name_zh", NULL, 422, "missing_field" },
	{ "a bad code", "code", "\"Bad Code\"", 422, "invalid_code" },
	{ "a bad domain", "domain", "\"sports\"", 422, "invalid_domain" },
	{ "capacity 0", "capacity", "0", 422, "out_of_range" },
	{ "capacity a string", "capacity", "\"9\"", 422, "invalid_type" },
	{ "a need not in the vocabulary", "eligibility",
	    "{\"categories\": [\"dibao\"], \"needs\": [\"flying\"]}", 422,
	    "invalid_need" },
	{ "a category not in the vocabulary", "eligibility",
	    "{\"categories\": [\"rich\"], \"needs\": []}", 422,
	    "invalid_category" },
	{ "no category", "eligibility", "{\"categories\": [], \"needs\": []}",
	    422, "out_of_range" },
	{ "min above max", "eligibility",
	    "{\"categories\": [\"dibao\"], \"min_age\": 60, \"max_age\": 59,"
	    " \"needs\": []}",
	    422, "invalid_ages" },
	{ "an age of 151", "eligibility",
	    "{\"categories\": [\"dibao\"], \"min_age\": 151, \"needs\": []}",
	    422, "out_of_range" },
	{ "a township twice", "township_codes",
	    "[\"220103001\", \"220103001\"]", 422, "duplicate" },
	{ "a village, not a township", "township_codes", "[\"220103001002\"]",
	    422, "invalid_township" },
	{ "a township of another district", "township_codes",
	    "[\"220104001\"]", 403, "outside_jurisdiction" },
	{ "the period reversed", "period",
	    "{\"from\": \"2027-12-31\", \"to\": \"2027-01-01\"}", 422,
	    "invalid_period" },
	{ "a day that is not", "period",
	    "{\"from\": \"2027-02-29\", \"to\": \"2027-03-01\"}", 422,
	    "invalid_date" },
	{ "a partner kind not in the vocabulary", "partner",
	    "{\"code\": \"p-x\", \"name_zh\": \"x\", \"kind\": \"bank\"}", 422,
	    "invalid_kind" },
	{ "a partner code with capitals", "partner",
	    "{\"code\": \"P-X\", \"name_zh\": \"x\", \"kind\": \"ngo\"}", 422,
	    "invalid_partner" },
	{ "a control character", "name_zh", "\"a\\u0007b\"", 422,
	    "invalid_characters" },
};

static void
bad_input(void)
{
	int64_t before = projects(), ev = published("project.changed");
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const bad_case *c = &bad_cases[i];
		char           *good
		    = project_json("tst-bad", 10, "\"" T1 "\"", "null", "");
		json_t *j = json_loads(good, 0, NULL);
		free(good);
		if (c->value == NULL)
			json_object_del(j, c->key);
		else
			json_object_set_new(j, c->key,
			    json_loads(c->value, JSON_DECODE_ANY, NULL));
		char *body = json_dumps(j, 0);
		json_decref(j);
		expect(call("POST", "/projects", officer, new_key(), body),
		    c->status, c->code, c->what);
		free(body);
	}
	TH_CHECK(&T,
	    projects() == before && published("project.changed") == ev,
	    "bad input changed something");
}

/* Staff add, edit and close; each change is one event; bad input and
 * wrong roles change nothing. */
static void
projects_scenario(void)
{
	th_proc *p = start();
	int64_t  n = projects();
	th_wait_int(&T, n, 30000,
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'project.changed'",
	    S);
	int64_t     ev  = published("project.changed");
	char       *j   = project_json("tst-001", 10, "\"" T1 "\"", "60", "");
	const char *key = new_key();
	answer      a   = call("POST", "/projects", officer, key, j);
	TH_CHECK(&T,
	    a.status == 201 && jint(a.body, "version") == 1
	        && strcmp(jstr(a.body, "source"), "staff") == 0
	        && jint(a.body, "eligibility.min_age") == 60
	        && json_is_null(jget(a.body, "eligibility.max_age")),
	    "add: %d (%s)", a.status, jstr(a.body, "error.code"));
	json_decref(a.body);
	/* The same key: the same answer, nothing more. */
	a = call("POST", "/projects", officer, key, j);
	TH_CHECK(&T, a.status == 201 && jint(a.body, "version") == 1,
	    "replay: %d", a.status);
	json_decref(a.body);
	TH_CHECK(&T,
	    projects() == n + 1 && published("project.changed") == ev + 1,
	    "the add is not one row and one event");
	expect(call("POST", "/projects", officer, new_key(), j), 409,
	    "project_exists", "the same code again");
	expect(call("POST", "/projects", clerk, new_key(), j), 403,
	    "forbidden", "a clerk adds");
	expect(call("POST", "/projects", NULL, new_key(), j), 401, NULL,
	    "no token");
	expect(call_keyless("POST", "/projects", officer, j), 400,
	    "idempotency_key_required", "no key");
	bad_input();

	/* Edit: version 2; a stale version and a code change are refused. */
	json_t *b = json_loads(j, 0, NULL);
	json_object_set_new(b, "capacity", json_integer(20));
	json_object_set_new(b, "name_en", json_string("Edited"));
	char *e = json_dumps(b, 0);
	a       = call("PUT", "/projects/tst-001", admin, new_key(), e);
	TH_CHECK(&T,
	    a.status == 200 && jint(a.body, "version") == 2
	        && jint(a.body, "capacity") == 20
	        && strcmp(jstr(a.body, "name_en"), "Edited") == 0,
	    "edit: %d (%s)", a.status, jstr(a.body, "error.code"));
	json_decref(a.body);
	json_object_set_new(b, "version", json_integer(1));
	char *stale = json_dumps(b, 0);
	expect(call("PUT", "/projects/tst-001", officer, new_key(), stale),
	    409, "version_conflict", "a stale version");
	json_object_del(b, "version");
	json_object_set_new(b, "code", json_string("tst-002"));
	char *moved = json_dumps(b, 0);
	expect(call("PUT", "/projects/tst-001", officer, new_key(), moved),
	    422, "code_mismatch", "a code change");
	json_object_del(b, "code");
	char *nocode = json_dumps(b, 0);
	expect(call("PUT", "/projects/nope", officer, new_key(), nocode), 404,
	    "not_found", "an unknown project");
	free(nocode);
	expect(call("PUT", "/projects/tst-001", outsider, new_key(), e), 403,
	    "outside_jurisdiction", "another district's officer");
	TH_CHECK(&T, published("project.changed") == ev + 2,
	    "refused edits published");

	/* Close: version 3; closing again, editing a closed one: 409. */
	a = call("POST", "/projects/tst-001/closure", officer, new_key(),
	    "{\"reason\": \"funding ended\"}");
	TH_CHECK(&T,
	    a.status == 200 && jint(a.body, "version") == 3
	        && jget(a.body, "closed") == json_true()
	        && jget(a.body, "open") == json_false()
	        && strcmp(jstr(a.body, "closed_reason"), "funding ended") == 0,
	    "close: %d", a.status);
	json_decref(a.body);
	expect(call("POST", "/projects/tst-001/closure", officer, new_key(),
	           "{\"reason\": \"again\"}"),
	    409, "project_closed", "closed twice");
	expect(call("PUT", "/projects/tst-001", officer, new_key(), e), 409,
	    "project_closed", "a closed project edited");
	expect(call("POST", "/projects/tst-001/closure", officer, new_key(),
	           "{}"),
	    422, "missing_field", "a closure without a reason");
	TH_CHECK(&T, published("project.changed") == ev + 3,
	    "%lld events, want %lld", (long long) published("project.changed"),
	    (long long) ev + 3);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic = "
	        "'project.changed'"
	        " AND subject = 'tst-001'",
	        S)
	        == 3,
	    "tst-001's events are not 3");

	/* Filters. */
	a = call("GET", "/projects?domain=education&open=true&limit=1000",
	    clerk, NULL, NULL);
	size_t k = json_array_size(jget(a.body, "items"));
	TH_CHECK(&T,
	    a.status == 200 && k > 0
	        && strcmp(jstr(a.body, "items.0.domain"), "education") == 0,
	    "education filter: %d, %zu", a.status, k);
	json_decref(a.body);
	a = call("GET", "/projects?open=false&limit=1000", clerk, NULL, NULL);
	for (size_t i = 0; i < json_array_size(jget(a.body, "items")); i++)
		TH_CHECK(&T,
		    jget(json_array_get(jget(a.body, "items"), i), "open")
		        == json_false(),
		    "open=false listed an open project");
	json_decref(a.body);
	expect(call("GET", "/projects?domain=sports", clerk, NULL, NULL), 422,
	    "invalid_query", "an unknown domain");
	expect(call("GET", "/projects/nope", clerk, NULL, NULL), 404,
	    "not_found", "an unknown project");
	json_decref(b);
	free(e);
	free(stale);
	free(moved);
	free(j);
	th_stop(&T, p);
}

/* ---- matches ----------------------------------------------------------- */

/* The items are in the documented order: needs met, places left, the
 * domain's rank, the code. */
static void
check_order(json_t *items, const char *what)
{
	static const char *const domains[]
	    = { "living", "employment", "education", "medical", "disability",
		      "mental_care", "social_integration" };
	for (size_t i = 1; i < json_array_size(items); i++) {
		json_t   *a = json_array_get(items, i - 1);
		json_t   *b = json_array_get(items, i);
		long long na
		    = (long long) json_array_size(jget(a, "why.needs_met"));
		long long nb
		    = (long long) json_array_size(jget(b, "why.needs_met"));
		int da = 7, db = 7;
		for (int k = 0; k < 7; k++) {
			if (strcmp(jstr(a, "project.domain"), domains[k]) == 0)
				da = k;
			if (strcmp(jstr(b, "project.domain"), domains[k]) == 0)
				db = k;
		}
		int c = na != nb ? (na > nb ? -1 : 1)
		    : jint(a, "left") != jint(b, "left")
		    ? (jint(a, "left") > jint(b, "left") ? -1 : 1)
		    : da != db
		    ? (da < db ? -1 : 1)
		    : strcmp(jstr(a, "project.code"), jstr(b, "project.code"));
		TH_CHECK(&T, c < 0, "%s: %s listed before %s", what,
		    jstr(a, "project.code"), jstr(b, "project.code"));
	}
}

static json_t *
item_of(json_t *items, const char *code)
{
	for (size_t i = 0; i < json_array_size(items); i++)
		if (strcmp(
		        jstr(json_array_get(items, i), "project.code"), code)
		    == 0)
			return json_array_get(items, i);
	return NULL;
}

static answer
matches_of(const char *hid, const char *tok, const char *extra)
{
	char path[160];
	snprintf(path, sizeof(path), "/households/%s/matches%s", hid,
	    extra ? extra : "");
	return call("GET", path, tok, NULL, NULL);
}

/* An older person alone in 220103001 gets the meal help; a child gets an
 * education project; both lists in the documented order. */
static void
matches(void)
{
	th_proc *p = start();
	char     older[40], child[40];
	snprintf(
	    older, sizeof(older), "%s", household("dibao", T1, "1950-06-01"));
	snprintf(child, sizeof(child), "%s",
	    household("low_income", T1, "1985-05-01,2018-04-01"));
	settle();

	answer  a     = matches_of(older, clerk, NULL);
	json_t *items = jget(a.body, "items");
	TH_CHECK(&T, a.status == 200 && json_array_size(items) > 0,
	    "older: %d", a.status);
	json_t *meal = item_of(items, "liv-001");
	TH_CHECK(&T, meal != NULL, "the older person is not offered liv-001");
	TH_CHECK(&T,
	    strcmp(jstr(meal, "why.needs_met.0"), "elderly_alone") == 0
	        && jint(meal, "why.members.0") == 1
	        && strcmp(jstr(meal, "why.category"), "dibao") == 0
	        && jint(meal, "left") == 120
	        && json_array_size(jget(meal, "enrolled")) == 0,
	    "liv-001's why");
	TH_CHECK(&T, json_array_size(jget(items, "0.why.needs_met")) >= 1,
	    "the first offer meets no need");
	for (size_t i = 0; i < json_array_size(items); i++)
		TH_CHECK(&T,
		    strcmp(jstr(json_array_get(items, i), "project.domain"),
		        "education")
		        != 0,
		    "an older person alone is offered education");
	check_order(items, "older");
	json_decref(a.body);

	a     = matches_of(child, clerk, NULL);
	items = jget(a.body, "items");
	/* An education project for the child (member 2) because of school
	 * age: edu-001 (ages 6-15, school_age_child) among them. */
	json_t *edu = NULL;
	for (size_t i = 0; i < json_array_size(items) && edu == NULL; i++) {
		json_t *it = json_array_get(items, i);
		if (strcmp(jstr(it, "project.domain"), "education") == 0
		    && jint(it, "why.members.0") == 2
		    && json_array_size(jget(it, "why.members")) == 1
		    && strcmp(jstr(it, "why.needs_met.0"), "school_age_child")
		        == 0)
			edu = it;
	}
	TH_CHECK(&T, a.status == 200 && edu != NULL,
	    "the child is offered no education project for school age");
	json_t *e1 = item_of(items, "edu-001");
	TH_CHECK(&T,
	    e1 != NULL && jint(e1, "why.members.0") == 2
	        && json_array_size(jget(e1, "why.members")) == 1,
	    "edu-001 is not offered for the child (member 2)");
	TH_CHECK(&T, item_of(items, "liv-001") == NULL,
	    "the child's household is offered meal help");
	check_order(items, "child");
	json_decref(a.body);

	/* Before every period: nothing; another township's clerk: 404. */
	a = matches_of(older, clerk, "?on=2026-12-01");
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(jget(a.body, "items")) == 0,
	    "offers before the periods");
	json_decref(a.body);
	expect(matches_of(older, clerk2, NULL), 404, "not_found",
	    "another township's clerk");
	expect(matches_of("00000000-0000-4000-8000-999999999999", clerk, NULL),
	    404, "not_found", "an unknown household");
	expect(matches_of(older, clerk, "?on=tomorrow"), 422, "invalid_query",
	    "a bad day");

	/* Enrolled: marked, still listed. */
	free(enrol_ok(older, 1, "liv-001"));
	a    = matches_of(older, officer, NULL);
	meal = item_of(jget(a.body, "items"), "liv-001");
	TH_CHECK(&T,
	    meal != NULL && jint(meal, "enrolled.0") == 1
	        && jint(meal, "left") == 119,
	    "the enrolment is not marked");
	json_decref(a.body);
	th_stop(&T, p);
}

/* ---- capacity ------------------------------------------------------------
 */

#define RACERS 200
#define PLACES 100

typedef struct racer {
	const char        *hid;
	char               key[32];
	int                status;
	char               code[32];
	char               id[40];
	pthread_barrier_t *go;
} racer;

static void *
race(void *arg)
{
	racer *r   = arg;
	char  *j   = enrol_body(r->hid, 1, "cap-100");
	char  *raw = NULL;
	if (r->go != NULL)
		pthread_barrier_wait(r->go);
	r->status = th_http(
	    &T, svc_port, "POST", "/enrolments", officer, r->key, j, &raw);
	json_t *b = raw != NULL ? json_loads(raw, 0, NULL) : NULL;
	snprintf(r->code, sizeof(r->code), "%s", jstr(b, "error.code"));
	snprintf(r->id, sizeof(r->id), "%s", jstr(b, "id"));
	json_decref(b);
	free(raw);
	free(j);
	return NULL;
}

static char **
households(int n)
{
	char **ids = calloc((size_t) n, sizeof(*ids));
	for (int i = 0; i < n; i++)
		ids[i] = strdup(
		    household("dibao", i % 2 ? T1 : T2, "1980-01-01"));
	settle();
	return ids;
}

static void
run_racers(racer *r, int n, bool together)
{
	pthread_t         tid[RACERS];
	pthread_barrier_t go;
	if (together)
		pthread_barrier_init(&go, NULL, (unsigned) n);
	for (int i = 0; i < n; i++) {
		r[i].go = together ? &go : NULL;
		pthread_create(&tid[i], NULL, race, &r[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	if (together)
		pthread_barrier_destroy(&go);
}

/* 200 enrolments at once into 100 places: exactly 100 given, 100 refused
 * as full, taken 100, 100 ENROLLED events; the same keys again answer
 * the same. */
static void
capacity(void)
{
	th_proc     *p   = start_with("SN_DB_POOL=16");
	char       **ids = households(RACERS);
	static racer r[RACERS];
	add_project("cap-100", PLACES);
	int64_t ev = published("enrolment.changed");
	for (int i = 0; i < RACERS; i++) {
		r[i].hid = ids[i];
		snprintf(r[i].key, sizeof(r[i].key), "race-%d", i);
	}
	run_racers(r, RACERS, true);
	int given = 0, full = 0, other = 0;
	for (int i = 0; i < RACERS; i++) {
		if (r[i].status == 201)
			given++;
		else if (r[i].status == 409
		    && strcmp(r[i].code, "project_full") == 0)
			full++;
		else
			other++;
	}
	printf("%d given, %d full, %d other\n", given, full, other);
	TH_CHECK(&T, given == PLACES && full == RACERS - PLACES && other == 0,
	    "%d given, %d full, %d other", given, full, other);
	TH_CHECK(&T,
	    th_int(
	        &T, "SELECT taken FROM %s.project WHERE code = 'cap-100'", S)
	        == PLACES,
	    "taken is not %d", PLACES);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.enrolment WHERE project_code ="
	        " 'cap-100' AND status = 'active'",
	        S)
	        == PLACES,
	    "active enrolments are not %d", PLACES);
	TH_CHECK(&T, published("enrolment.changed") - ev == PLACES,
	    "%lld enrolment.changed, want %d",
	    (long long) (published("enrolment.changed") - ev), PLACES);

	/* Retries with the same keys: the same answers. */
	static racer again[RACERS];
	memcpy(again, r, sizeof(again));
	run_racers(again, RACERS, false);
	for (int i = 0; i < RACERS; i++)
		TH_CHECK(&T,
		    again[i].status == r[i].status
		        && strcmp(again[i].id, r[i].id) == 0
		        && strcmp(again[i].code, r[i].code) == 0,
		    "retry %d answered %d %s %s, first %d %s %s", i,
		    again[i].status, again[i].code, again[i].id, r[i].status,
		    r[i].code, r[i].id);
	TH_CHECK(&T, published("enrolment.changed") - ev == PLACES,
	    "retries published");
	for (int i = 0; i < RACERS; i++)
		free(ids[i]);
	free(ids);
	th_stop(&T, p);
}

/* ---- sessions and ends ----------------------------------------------- */

static answer
session(const char *id, const char *tok, const char *body)
{
	char path[128];
	snprintf(path, sizeof(path), "/enrolments/%s/sessions", id);
	return call("POST", path, tok, new_key(), body);
}

static answer
end(const char *id, const char *tok, const char *body)
{
	char path[128];
	snprintf(path, sizeof(path), "/enrolments/%s/end", id);
	return call("POST", path, tok, new_key(), body);
}

static int64_t
taken_of(const char *code)
{
	return th_int(
	    &T, "SELECT taken FROM %s.project WHERE code = '%s'", S, code);
}

/* The project's partner records sessions and ends the enrolment; another
 * partner may not; the end frees the place. */
static void
sessions(void)
{
	th_proc *p = start();
	char    *partner
	    = token_unit("meal-1", "partner", "220103", MEAL_PARTNER);
	char *other = token_unit("other-1", "partner", "220103", "p-other");
	char  older[40];
	snprintf(
	    older, sizeof(older), "%s", household("tekun", T1, "1948-02-02"));
	settle();
	char   *id = enrol_ok(older, 1, "liv-001");
	int64_t ev = published("enrolment.changed");

	answer a = session(id, partner,
	    "{\"date\": \"2027-03-15\", \"outcome\": \"delivered\","
	    " \"note\": \"lunch\"}");
	TH_CHECK(&T,
	    a.status == 201 && jint(a.body, "sessions") == 1
	        && strcmp(jstr(a.body, "last_session"), "2027-03-15") == 0,
	    "session: %d (%s)", a.status, jstr(a.body, "error.code"));
	json_decref(a.body);
	a = session(id, partner, "{\"date\": \"2027-03-15\"}");
	TH_CHECK(&T,
	    a.status == 201 && jint(a.body, "sessions") == 2
	        && strcmp(jstr(a.body, "last_session"), "2027-03-15") == 0,
	    "a second session: %d", a.status);
	json_decref(a.body);
	expect(session(id, other, "{\"date\": \"2027-03-15\"}"), 403,
	    "not_your_project", "another partner's session");
	expect(session(id, clerk, "{\"date\": \"2027-03-15\"}"), 403,
	    "forbidden", "a clerk's session");
	expect(session(id, partner, "{\"date\": \"2027-03-16\"}"), 422,
	    "invalid_date", "a session tomorrow");
	expect(session(id, partner, "{\"date\": \"2027-03-01\"}"), 422,
	    "invalid_date", "a session before the enrolment");
	expect(session(id, partner, "{}"), 422, "missing_field",
	    "a session without a day");
	TH_CHECK(&T, published("enrolment.changed") == ev + 2,
	    "sessions: %lld events, want 2",
	    (long long) (published("enrolment.changed") - ev));

	/* Reading: the partner sees its own, another partner nothing. */
	char path[160];
	snprintf(path, sizeof(path), "/enrolments/%s", id);
	a = call("GET", path, partner, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && json_array_size(jget(a.body, "session_list")) == 2
	        && strcmp(jstr(a.body, "session_list.0.outcome"), "delivered")
	            == 0,
	    "the partner reads its enrolment: %d", a.status);
	json_decref(a.body);
	expect(call("GET", path, other, NULL, NULL), 404, "not_found",
	    "another partner reads it");
	a = call("GET", "/enrolments", other, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(jget(a.body, "items")) == 0,
	    "another partner lists it");
	json_decref(a.body);
	a = call("GET", "/enrolments?project=liv-001", partner, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(jget(a.body, "items")) == 1,
	    "the partner's list");
	json_decref(a.body);

	/* A partner's token without a unit (an account from before units)
	 * is refused, not shown nothing. */
	char *nounit = token("meal-0", "partner", "220103");
	expect(call("GET", "/enrolments", nounit, NULL, NULL), 403, "no_unit",
	    "a partner without a unit lists");
	expect(call("GET", path, nounit, NULL, NULL), 403, "no_unit",
	    "a partner without a unit reads");
	expect(session(id, nounit, "{\"date\": \"2027-03-15\"}"), 403,
	    "no_unit", "a partner without a unit records a session");
	expect(end(id, nounit, "{\"outcome\": \"completed\"}"), 403, "no_unit",
	    "a partner without a unit ends");
	free(nounit);

	/* The end: once, by the partner; the place is freed. */
	int64_t before = taken_of("liv-001");
	expect(end(id, other, "{\"outcome\": \"completed\"}"), 403,
	    "not_your_project", "another partner ends it");
	expect(end(id, partner, "{\"outcome\": \"bored\"}"), 422,
	    "invalid_outcome", "an unknown outcome");
	a = end(id, partner, "{\"outcome\": \"completed\", \"note\": \"ok\"}");
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "status"), "ended") == 0
	        && strcmp(jstr(a.body, "ended_on"), "2027-03-15") == 0
	        && strcmp(jstr(a.body, "outcome"), "completed") == 0,
	    "end: %d (%s)", a.status, jstr(a.body, "error.code"));
	json_decref(a.body);
	TH_CHECK(&T, taken_of("liv-001") == before - 1, "the place was kept");
	expect(end(id, partner, "{\"outcome\": \"completed\"}"), 409,
	    "enrolment_ended", "ended twice");
	expect(session(id, partner, "{\"date\": \"2027-03-15\"}"), 409,
	    "enrolment_ended", "a session after the end");
	TH_CHECK(&T, published("enrolment.changed") == ev + 3,
	    "the end is not one event");
	/* The household's own answer lists it, as it stands. */
	snprintf(path, sizeof(path), "/households/%s", older);
	a = call("GET", path, clerk, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(jget(a.body, "enrolments")) == 1
	        && strcmp(jstr(a.body, "enrolments.0.project_code"), "liv-001")
	            == 0
	        && strcmp(jstr(a.body, "enrolments.0.domain"), "living") == 0
	        && jint(a.body, "enrolments.0.member") == 1
	        && strcmp(jstr(a.body, "enrolments.0.status"), "ended") == 0
	        && jint(a.body, "enrolments.0.sessions") == 2
	        && strcmp(jstr(a.body, "enrolments.0.outcome"), "completed")
	            == 0,
	    "GET /households/{id}: %d, its enrolments", a.status);
	json_decref(a.body);

	/* A full project takes one more once a place is freed. */
	add_project("cap-2", 2);
	char a1[40], a2[40], a3[40];
	snprintf(a1, 40, "%s", household("dibao", T1, "1990-01-01"));
	snprintf(a2, 40, "%s", household("dibao", T1, "1990-01-01"));
	snprintf(a3, 40, "%s", household("dibao", T1, "1990-01-01"));
	settle();
	char *e1 = enrol_ok(a1, 1, "cap-2");
	free(enrol_ok(a2, 1, "cap-2"));
	char *j = enrol_body(a3, 1, "cap-2");
	expect(call("POST", "/enrolments", clerk, new_key(), j), 409,
	    "project_full", "the third of two places");
	char *j2 = enrol_body(a2, 1, "cap-2");
	expect(call("POST", "/enrolments", clerk, new_key(), j2), 409,
	    "already_enrolled", "enrolled twice");
	expect(end(e1, clerk2, "{\"outcome\": \"moved\"}"), 404, "not_found",
	    "another township's clerk ends it");
	a = end(e1, clerk, "{\"outcome\": \"moved\"}");
	TH_CHECK(&T, a.status == 200, "a clerk ends: %d", a.status);
	json_decref(a.body);
	free(enrol_ok(a3, 1, "cap-2"));
	TH_CHECK(&T, taken_of("cap-2") == 2, "cap-2's taken is not 2");
	/* Full again: its old holder waits like anyone else. */
	char *j1 = enrol_body(a1, 1, "cap-2");
	expect(call("POST", "/enrolments", clerk, new_key(), j1), 409,
	    "project_full", "the old holder of a place given away");
	free(j1);
	/* Capacity never below the places taken. */
	char *cj
	    = project_json("cap-2", 1, "\"" T1 "\", \"" T2 "\"", "null", "");
	expect(call("PUT", "/projects/cap-2", officer, new_key(), cj), 409,
	    "capacity_below_taken", "capacity 1 under 2 taken");
	free(cj);

	/* Eligibility is judged again: an adult in a child's project, a
	 * member who is not, a closed project. */
	char kid[40];
	snprintf(
	    kid, 40, "%s", household("dibao", T1, "1985-05-01,2018-04-01"));
	settle();
	char *k1 = enrol_body(kid, 1, "edu-001");
	expect(call("POST", "/enrolments", clerk, new_key(), k1), 409,
	    "not_eligible", "an adult in edu-001");
	char *k9 = enrol_body(kid, 9, "edu-001");
	expect(call("POST", "/enrolments", clerk, new_key(), k9), 422,
	    "unknown_member", "member 9");
	char *kx = enrol_body(kid, 2, "nope");
	expect(call("POST", "/enrolments", clerk, new_key(), kx), 404,
	    "not_found", "an unknown project");
	expect(call("POST", "/enrolments", clerk2, new_key(), k1), 404,
	    "not_found", "another township's household");
	free(enrol_ok(kid, 2, "edu-001"));
	a = call("POST", "/projects/cap-2/closure", officer, new_key(),
	    "{\"reason\": \"done\"}");
	json_decref(a.body);
	char *kc = enrol_body(kid, 1, "cap-2");
	expect(call("POST", "/enrolments", clerk, new_key(), kc), 409,
	    "project_closed", "a closed project");
	free(k1);
	free(k9);
	free(kx);
	free(kc);
	free(j);
	free(j2);
	free(e1);
	free(id);
	free(partner);
	free(other);
	th_stop(&T, p);
}

/* ---- a village's clerk ------------------------------------------------ */

/* GET /enrolments as tok: how many items, and whether id is one. */
static size_t
listed_as(const char *tok, const char *id, bool *has)
{
	answer a = call("GET", "/enrolments", tok, NULL, NULL);
	size_t n = json_array_size(jget(a.body, "items"));
	TH_CHECK(&T, a.status == 200, "GET /enrolments: %d", a.status);
	*has = false;
	for (size_t i = 0; i < n; i++)
		*has = *has
		    || strcmp(jstr(json_array_get(jget(a.body, "items"), i),
		                  "id"),
		           id)
		        == 0;
	json_decref(a.body);
	return n;
}

static long long
given_as(const char *tok)
{
	answer a = call("GET",
	    "/statistics/enrolments?from=2027-01-01&to=2027-12-31", tok, NULL,
	    NULL);
	TH_CHECK(&T, a.status == 200, "figures: %d", a.status);
	long long n = jint(a.body, "totals.given");
	json_decref(a.body);
	return n;
}

/* Staff see and act on the enrolments of households within their
 * jurisdiction, judged on the household's village: a village's clerk
 * enrols a household of the village, lists, reads, counts and ends the
 * enrolment; another village's clerk neither enrols, sees, counts nor
 * ends it; the township's clerk still sees it. */
static void
village(void)
{
	th_proc *p      = start();
	char    *mine   = token("clerk-v2", "clerk", T1 "002");
	char    *theirs = token("clerk-v3", "clerk", T1 "003");
	char     hid[40], path[160];
	bool     has;
	snprintf(hid, sizeof(hid), "%s", household("tekun", T1, "1948-02-02"));
	settle();
	char *j = enrol_body(hid, 1, "liv-001");
	expect(call("POST", "/enrolments", theirs, new_key(), j), 404,
	    "not_found", "another village's clerk enrols");
	answer a = call("POST", "/enrolments", mine, new_key(), j);
	TH_CHECK(&T, a.status == 201, "the village's clerk enrols: %d (%s)",
	    a.status, jstr(a.body, "error.code"));
	char *id = strdup(jstr(a.body, "id"));
	json_decref(a.body);

	TH_CHECK(&T, listed_as(mine, id, &has) == 1 && has,
	    "the village's clerk lists the enrolment");
	TH_CHECK(&T, listed_as(theirs, id, &has) == 0,
	    "another village's clerk lists it");
	TH_CHECK(&T, listed_as(clerk, id, &has) == 1 && has,
	    "the township's clerk lists it");
	snprintf(path, sizeof(path), "/enrolments/%s", id);
	a = call("GET", path, mine, NULL, NULL);
	TH_CHECK(&T, a.status == 200 && strcmp(jstr(a.body, "id"), id) == 0,
	    "the village's clerk reads it: %d", a.status);
	json_decref(a.body);
	expect(call("GET", path, theirs, NULL, NULL), 404, "not_found",
	    "another village's clerk reads it");
	TH_CHECK(&T, given_as(mine) == 1, "the village's clerk counts it");
	TH_CHECK(
	    &T, given_as(theirs) == 0, "another village's clerk counts it");

	int64_t ev = published("enrolment.changed");
	expect(end(id, theirs, "{\"outcome\": \"moved\"}"), 404, "not_found",
	    "another village's clerk ends it");
	TH_CHECK(&T, published("enrolment.changed") == ev,
	    "the refused end published");
	a = end(id, mine, "{\"outcome\": \"moved\"}");
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "status"), "ended") == 0,
	    "the village's clerk ends it: %d (%s)", a.status,
	    jstr(a.body, "error.code"));
	json_decref(a.body);
	free(j);
	free(id);
	free(mine);
	free(theirs);
	th_stop(&T, p);
}

/* ---- figures ------------------------------------------------------------ */

static json_t *
row_of(json_t *list, const char *key, const char *value, const char *key2,
    const char *value2)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *r = json_array_get(list, i);
		if (strcmp(jstr(r, key), value) == 0
		    && (key2 == NULL || strcmp(jstr(r, key2), value2) == 0))
			return r;
	}
	return NULL;
}

/* Enrolments given, active, ended and sessions by domain and township,
 * within the caller's jurisdiction. */
static void
figures(void)
{
	th_proc *p = start();
	char    *partner
	    = token_unit("meal-1", "partner", "220103", MEAL_PARTNER);
	char o1[40], o2[40], k2[40];
	snprintf(o1, 40, "%s", household("dibao", T1, "1950-01-01"));
	snprintf(o2, 40, "%s", household("dibao", T1, "1951-01-01"));
	snprintf(
	    k2, 40, "%s", household("dibao", T2, "1985-05-01,2018-04-01"));
	settle();
	char *e1 = enrol_ok(o1, 1, "liv-001");
	char *e2 = enrol_ok(o2, 1, "liv-001");
	char  j[160];
	snprintf(j, sizeof(j),
	    "{\"household_id\": \"%s\", \"member\": 2, \"project_code\":"
	    " \"edu-001\"}",
	    k2);
	answer a = call("POST", "/enrolments", clerk2, new_key(), j);
	TH_CHECK(&T, a.status == 201, "enrol in T2: %d (%s)", a.status,
	    jstr(a.body, "error.code"));
	json_decref(a.body);
	json_decref(session(e1, partner, "{\"date\": \"2027-03-15\"}").body);
	json_decref(session(e1, partner, "{\"date\": \"2027-03-15\"}").body);
	json_decref(end(e2, partner, "{\"outcome\": \"withdrew\"}").body);

	a = call("GET", "/statistics/enrolments?from=2027-01-01&to=2027-12-31",
	    officer, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "figures: %d", a.status);
	TH_CHECK(&T,
	    jint(a.body, "totals.given") == 3
	        && jint(a.body, "totals.active") == 2
	        && jint(a.body, "totals.ended") == 1
	        && jint(a.body, "totals.sessions") == 2,
	    "totals %lld %lld %lld %lld", jint(a.body, "totals.given"),
	    jint(a.body, "totals.active"), jint(a.body, "totals.ended"),
	    jint(a.body, "totals.sessions"));
	json_t *liv = row_of(
	    jget(a.body, "by_domain"), "domain", "living", NULL, NULL);
	json_t *edu = row_of(
	    jget(a.body, "by_domain"), "domain", "education", NULL, NULL);
	json_t *t1 = row_of(
	    jget(a.body, "by_township"), "township_code", T1, NULL, NULL);
	json_t *lt1 = row_of(jget(a.body, "by_domain_township"), "domain",
	    "living", "township_code", T1);
	TH_CHECK(&T,
	    liv != NULL && jint(liv, "given") == 2 && jint(liv, "active") == 1
	        && jint(liv, "ended") == 1 && jint(liv, "sessions") == 2,
	    "living's row");
	TH_CHECK(&T,
	    edu != NULL && jint(edu, "given") == 1 && jint(edu, "active") == 1
	        && jint(edu, "sessions") == 0,
	    "education's row");
	TH_CHECK(&T, t1 != NULL && jint(t1, "given") == 2, "T1's row");
	TH_CHECK(&T, lt1 != NULL && jint(lt1, "sessions") == 2,
	    "living in T1's row");
	json_decref(a.body);

	/* A township's clerk counts its township only; days before: none. */
	a = call("GET", "/statistics/enrolments?from=2027-01-01&to=2027-12-31",
	    clerk2, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && jint(a.body, "totals.given") == 1
	        && json_array_size(jget(a.body, "by_township")) == 1,
	    "T2's clerk: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/statistics/enrolments?from=2027-01-01&to=2027-03-14",
	    officer, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && jint(a.body, "totals.given") == 0
	        && json_array_size(jget(a.body, "by_domain")) == 0,
	    "figures of the days before");
	json_decref(a.body);
	a = call("GET", "/statistics/enrolments", officer, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && jint(a.body, "totals.given") == 3
	        && strcmp(jstr(a.body, "from"), "2027-01-01") == 0
	        && strcmp(jstr(a.body, "to"), "2027-03-15") == 0,
	    "the default days");
	json_decref(a.body);
	expect(
	    call("GET", "/statistics/enrolments?from=2027-05-01&to=2027-04-01",
	        officer, NULL, NULL),
	    422, "invalid_query", "from after to");
	expect(call("GET", "/statistics/enrolments", partner, NULL, NULL), 403,
	    "forbidden", "a partner");
	free(e1);
	free(e2);
	free(partner);
	th_stop(&T, p);
}

/* ---- SIGKILL in a burst ---------------------------------------------- */

#define BURST 150

/* Enrolments at once into 60 places, the service killed in the middle:
 * after the restart, taken equals the active enrolments and every
 * enrolment has its event; the same keys again finish the burst with no
 * more than 60 given. */
static void
kill_burst(void)
{
	th_proc     *p   = start_with("SN_DB_POOL=16");
	char       **ids = households(BURST);
	static racer r[BURST];
	pthread_t    tid[BURST];
	add_project("cap-100", 60); /* the racers' project code */
	for (int i = 0; i < BURST; i++) {
		r[i].hid = ids[i];
		snprintf(r[i].key, sizeof(r[i].key), "burst-%d", i);
		pthread_create(&tid[i], NULL, race, &r[i]);
	}
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT (count(*) >= 10)::int FROM %s.enrolment", S))
		th_fail(&T, "no enrolment in the burst");
	th_kill(&T, p, SIGKILL);
	for (int i = 0; i < BURST; i++)
		pthread_join(tid[i], NULL);
	int answered = 0;
	for (int i = 0; i < BURST; i++)
		answered += r[i].status > 0;
	printf("%d of %d answered before the kill\n", answered, BURST);

	p = start();
	const char *same
	    = "SELECT ((SELECT taken FROM %s.project WHERE code = 'cap-100')"
	      " = (SELECT count(*) FROM %s.enrolment WHERE project_code ="
	      " 'cap-100' AND status = 'active'))::int";
	TH_CHECK(&T, th_int(&T, same, S, S) == 1,
	    "after the kill taken is not the active enrolments");
	TH_CHECK(&T,
	    published("enrolment.changed")
	        == th_int(&T, "SELECT count(*) FROM %s.enrolment", S),
	    "after the kill events and enrolments differ");

	static racer again[BURST];
	memcpy(again, r, sizeof(again));
	run_racers(again, BURST, false);
	int given = 0;
	for (int i = 0; i < BURST; i++) {
		given += again[i].status == 201;
		TH_CHECK(&T,
		    again[i].status == 201
		        || (again[i].status == 409
		            && strcmp(again[i].code, "project_full") == 0),
		    "retry %d: %d %s", i, again[i].status, again[i].code);
		TH_CHECK(&T,
		    r[i].status != 201 || strcmp(again[i].id, r[i].id) == 0,
		    "retry %d gave another enrolment", i);
	}
	TH_CHECK(&T, given == 60, "%d given in all, want 60", given);
	TH_CHECK(&T, th_int(&T, same, S, S) == 1 && taken_of("cap-100") == 60,
	    "taken is not 60");
	TH_CHECK(&T,
	    published("enrolment.changed")
	        == th_int(&T, "SELECT count(*) FROM %s.enrolment", S),
	    "events and enrolments differ");
	for (int i = 0; i < BURST; i++)
		free(ids[i]);
	free(ids);
	th_stop(&T, p);
}

static void
done(void)
{
	free(officer);
	free(admin);
	free(clerk);
	free(clerk2);
	free(outsider);
	officer = admin = clerk = clerk2 = outsider = NULL;
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "seed", seed },
		{ "projects", projects_scenario },
		{ "matches", matches },
		{ "capacity", capacity },
		{ "sessions", sessions },
		{ "figures", figures },
		{ "village", village },
		{ "kill", kill_burst },
	};
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), done);
}
