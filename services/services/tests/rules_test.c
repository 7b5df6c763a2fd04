/*
 * rules_test.c - the referrals' rules (rules.h) as tables: the needs a
 * household's facts show on a day (each row changes one fact of a
 * household that shows none), the kinds routed from a category, needs
 * and ages (a small registry, each row breaking one thing), the
 * defaults of a decision's label, the seed registry itself on the
 * issue's expenditure household, and a department's answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "registry.h"
#include "rules.h"

#ifndef SERVICES_SEED_DIR
#define SERVICES_SEED_DIR "seed"
#endif

static sn_date
day(const char *s)
{
	sn_date d = { 0, 0, 0 };
	assert_int_equal(sn_date_parse(s, &d), SN_OK);
	return d;
}

/* ---- needs -------------------------------------------------------------- */

/* A member: birth date ("" unknown), labour, grade, self-care. */
typedef struct mem {
	const char     *birth;
	services_labour labour;
	int32_t         grade;
	services_care   care;
} mem;

typedef struct needs_row {
	const char    *name;
	int64_t        wages, business, medical, housing, education;
	services_cause cause;
	mem            members[4];
	const char    *want; /* "member:need ..." in the rules' order */
} needs_row;

#define ADULT                                                                 \
	{                                                                     \
		"1980-03-01", SERVICES_LABOUR_NONE, 0, SERVICES_CARE_ABLE     \
	}
#define NOONE                                                                 \
	{                                                                     \
		NULL, 0, 0, 0                                                 \
	}

static void
facts_of(const needs_row *r, services_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->wages_fen     = r->wages;
	f->business_fen  = r->business;
	f->medical_fen   = r->medical;
	f->housing_fen   = r->housing;
	f->education_fen = r->education;
	f->cause         = r->cause;
	for (size_t i = 0; i < 4 && r->members[i].birth != NULL; i++) {
		services_member_facts *m = &f->members[f->nmembers++];
		m->has_birth             = r->members[i].birth[0] != '\0';
		if (m->has_birth)
			m->birth = day(r->members[i].birth);
		m->labour           = r->members[i].labour;
		m->disability_grade = r->members[i].grade;
		m->self_care        = r->members[i].care;
	}
}

static void
needs_text(const services_need *n, size_t k, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0]     = '\0';
	for (size_t i = 0; i < k; i++)
		len += (size_t) snprintf(buf + len, cap - len, "%s%d:%s",
		    i > 0 ? " " : "", (int) n[i].member, n[i].need);
}

static void
test_needs(void **state)
{
	static const needs_row rows[] = {
		{ "nothing", 100, 0, 0, 0, 0, 0,
		    { ADULT, ADULT, NOONE, NOONE }, "" },
		{ "medical costs", 100, 0, 5000, 0, 0, 0,
		    { ADULT, ADULT, NOONE, NOONE }, "0:medical_costs" },
		{ "housing costs", 100, 0, 0, 1, 0, 0,
		    { ADULT, ADULT, NOONE, NOONE }, "0:housing_costs" },
		{ "education costs", 100, 0, 0, 0, 3, 0,
		    { ADULT, ADULT, NOONE, NOONE }, "0:education_costs" },
		{ "a child of 10", 100, 0, 0, 0, 0, 0,
		    { ADULT, ADULT, { "2016-01-01", 0, 0, 0 }, NOONE },
		    "3:school_age_child" },
		{ "18 today is still of school age", 100, 0, 0, 0, 0, 0,
		    { ADULT, ADULT, { "2008-06-15", 0, 0, 0 }, NOONE },
		    "3:school_age_child" },
		{ "19 is not", 100, 0, 0, 0, 0, 0,
		    { ADULT, ADULT, { "2007-06-15", 0, 0, 0 }, NOONE }, "" },
		{ "6 tomorrow is preschool", 100, 0, 0, 0, 0, 0,
		    { ADULT, ADULT, { "2020-06-16", 0, 0, 0 }, NOONE },
		    "3:preschool_child" },
		{ "2 is neither", 100, 0, 0, 0, 0, 0,
		    { ADULT, ADULT, { "2024-01-01", 0, 0, 0 }, NOONE }, "" },
		{ "an adult able to work, no wages", 0, 0, 0, 0, 0, 0,
		    { { "1980-03-01", SERVICES_LABOUR_FULL, 0, 0 }, ADULT,
		        NOONE, NOONE },
		    "1:unemployed_working_age" },
		{ "partly able counts", 0, 0, 0, 0, 0, 0,
		    { ADULT, { "1990-03-01", SERVICES_LABOUR_PARTIAL, 0, 0 },
		        NOONE, NOONE },
		    "2:unemployed_working_age" },
		{ "... not with wages", 100, 0, 0, 0, 0, 0,
		    { { "1980-03-01", SERVICES_LABOUR_FULL, 0, 0 }, ADULT,
		        NOONE, NOONE },
		    "" },
		{ "... nor with business income", 0, 1, 0, 0, 0, 0,
		    { { "1980-03-01", SERVICES_LABOUR_FULL, 0, 0 }, ADULT,
		        NOONE, NOONE },
		    "" },
		{ "... nor at 60", 0, 0, 0, 0, 0, 0,
		    { { "1966-06-15", SERVICES_LABOUR_FULL, 0, 0 }, ADULT,
		        NOONE, NOONE },
		    "" },
		{ "every member 60 or more", 100, 0, 0, 0, 0, 0,
		    { { "1950-01-01", 0, 0, 0 }, { "1966-06-15", 0, 0, 0 },
		        NOONE, NOONE },
		    "1:elderly_alone 2:elderly_alone" },
		{ "one of 59 with them", 100, 0, 0, 0, 0, 0,
		    { { "1950-01-01", 0, 0, 0 }, { "1966-06-16", 0, 0, 0 },
		        NOONE, NOONE },
		    "" },
		{ "an age unknown", 100, 0, 0, 0, 0, 0,
		    { { "1950-01-01", 0, 0, 0 }, { "", 0, 0, 0 }, NOONE,
		        NOONE },
		    "" },
		{ "self-care partly", 100, 0, 0, 0, 0, 0,
		    { ADULT, { "1980-03-01", 0, 0, SERVICES_CARE_PARTIAL },
		        NOONE, NOONE },
		    "2:self_care_limited" },
		{ "self-care not at all", 100, 0, 0, 0, 0, 0,
		    { ADULT, { "1980-03-01", 0, 0, SERVICES_CARE_UNABLE },
		        NOONE, NOONE },
		    "2:self_care_limited" },
		{ "disability grade 3", 100, 0, 0, 0, 0, 0,
		    { ADULT, { "1980-03-01", 0, 3, 0 }, NOONE, NOONE },
		    "2:disability" },
		{ "grade 2 is severe", 100, 0, 0, 0, 0, 0,
		    { ADULT, { "1980-03-01", 0, 2, 0 }, NOONE, NOONE },
		    "2:disability 2:severe_disability" },
		{ "one adult with a child", 100, 0, 0, 0, 0, 0,
		    { ADULT, { "2021-01-01", 0, 0, 0 }, NOONE, NOONE },
		    "0:single_parent 2:preschool_child" },
		{ "a major illness", 100, 0, 0, 0, 0,
		    SERVICES_CAUSE_MAJOR_ILLNESS,
		    { ADULT, ADULT, NOONE, NOONE }, "0:major_illness" },
		{ "a fire", 100, 0, 0, 0, 0, SERVICES_CAUSE_FIRE,
		    { ADULT, ADULT, NOONE, NOONE }, "0:disaster" },
		{ "an accident brings none", 100, 0, 0, 0, 0,
		    SERVICES_CAUSE_ACCIDENT, { ADULT, ADULT, NOONE, NOONE },
		    "" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		services_facts f;
		services_need  n[SERVICES_NEEDS_MAX];
		char           got[512];
		facts_of(&rows[i], &f);
		size_t k = services_rules_needs(
		    &f, day("2026-06-15"), n, SERVICES_NEEDS_MAX);
		needs_text(n, k, got, sizeof(got));
		if (strcmp(got, rows[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", rows[i].name,
			    got, rows[i].want);
	}
}

/* ---- routing ------------------------------------------------------------ */

static const char *const edge[]       = { "expenditure", "low_income" };
static const char *const med_needs[]  = { "medical_costs", "major_illness" };
static const char *const sch_needs[]  = { "school_age_child" };
static const char *const hou_needs[]  = { "housing_costs" };
static const char *const emp_needs[]  = { "unemployed_working_age" };
static const char *const sev_needs[]  = { "severe_disability" };
static const char *const low_only[]   = { "low_income" };
static const char *const care_needs[] = { "self_care_limited" };

static const services_kind_def kinds[] = {
	{ "medical_assistance", "medical_insurance", SERVICES_TYPE_MEDICAL, 10,
	    true, { med_needs, 2, edge, 2, false, 0, 150 } },
	{ "student_grant_compulsory", "education", SERVICES_TYPE_EDUCATION, 15,
	    true, { sch_needs, 1, edge, 2, true, 6, 15 } },
	{ "student_grant_high_school", "education", SERVICES_TYPE_EDUCATION,
	    15, true, { sch_needs, 1, edge, 2, true, 16, 18 } },
	{ "rent_subsidy", "housing", SERVICES_TYPE_HOUSING, 30, true,
	    { hou_needs, 1, edge, 2, false, 0, 150 } },
	{ "employment_assistance", "human_resources", SERVICES_TYPE_EMPLOYMENT,
	    15, true, { emp_needs, 1, edge, 2, true, 16, 59 } },
	{ "severe_care", "disabled", SERVICES_TYPE_MEDICAL, 20, true,
	    { sev_needs, 1, edge, 2, false, 0, 150 } },
	{ "care_low_income_only", "civil_affairs", SERVICES_TYPE_OTHER, 20,
	    true, { care_needs, 1, low_only, 1, false, 0, 150 } },
	{ "temporary_assistance", "civil_affairs", SERVICES_TYPE_OTHER, 10,
	    false, { NULL, 0, NULL, 0, false, 0, 0 } },
};

typedef struct route_row {
	const char *name;
	const char *category;
	const char *needs; /* "member:need ..." */
	int32_t     ages[4];
	unsigned    labels;
	const char *want; /* "kind:member ..." */
} route_row;

#define AGES_FAMILY                                                           \
	{                                                                     \
		45, 43, 10, 17                                                \
	}
#define LABEL(t) (1u << (t))

static size_t
needs_of(const char *text, services_need *out, char store[][48])
{
	char   buf[512];
	size_t n = 0;
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t != NULL;
	     t = strtok_r(NULL, " ", &save)) {
		char *colon = strchr(t, ':');
		assert_non_null(colon);
		snprintf(store[n], 48, "%s", colon + 1);
		out[n] = (services_need) { (int32_t) (t[0] - '0'), store[n] };
		n++;
	}
	return n;
}

static void
routes_text(const services_route *r, size_t n, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0]     = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t) snprintf(buf + len, cap - len, "%s%s:%d",
		    i > 0 ? " " : "", r[i].kind->code, (int) r[i].member);
}

static void
route_check(const route_row *row, const char *const *refer, size_t nrefer)
{
	services_need     needs[16];
	char              store[16][48], got[512];
	services_route    out[SERVICES_ROUTES_MAX];
	services_route_in in;
	memset(&in, 0, sizeof(in));
	in.category                        = row->category;
	in.refer                           = refer;
	in.nrefer                          = nrefer;
	in.kinds                           = kinds;
	in.nkinds                          = sizeof(kinds) / sizeof(kinds[0]);
	in.defaults[SERVICES_TYPE_MEDICAL] = &kinds[0];
	in.defaults[SERVICES_TYPE_EDUCATION]  = &kinds[1];
	in.defaults[SERVICES_TYPE_HOUSING]    = &kinds[3];
	in.defaults[SERVICES_TYPE_EMPLOYMENT] = &kinds[4];
	in.defaults[SERVICES_TYPE_OTHER]      = &kinds[7];
	in.needs                              = needs;
	in.nneeds   = needs_of(row->needs, needs, store);
	in.nmembers = 4;
	in.ages     = row->ages;
	in.labels   = row->labels;
	size_t n    = services_rules_route(&in, out, SERVICES_ROUTES_MAX);
	routes_text(out, n, got, sizeof(got));
	if (strcmp(got, row->want) != 0)
		fail_msg(
		    "%s: got \"%s\", want \"%s\"", row->name, got, row->want);
}

static void
test_route(void **state)
{
	static const route_row rows[] = {
		{ "the issue's household", "expenditure",
		    "0:medical_costs 0:housing_costs 3:school_age_child "
		    "1:unemployed_working_age",
		    AGES_FAMILY, 0,
		    "medical_assistance:0 student_grant_compulsory:3 "
		    "rent_subsidy:0 employment_assistance:1" },
		{ "low income routes the same", "low_income",
		    "0:medical_costs", AGES_FAMILY, 0,
		    "medical_assistance:0" },
		{ "dibao routes nothing", "dibao",
		    "0:medical_costs 3:school_age_child", AGES_FAMILY,
		    LABEL(SERVICES_TYPE_MEDICAL), "" },
		{ "no needs, no referrals", "expenditure", "", AGES_FAMILY, 0,
		    "" },
		{ "a 17-year-old goes to high school's grant", "expenditure",
		    "4:school_age_child", AGES_FAMILY, 0,
		    "student_grant_high_school:4" },
		{ "an age unknown is in no range", "expenditure",
		    "3:school_age_child", { 45, 43, -1, 17 }, 0, "" },
		{ "a household need counts for every member in range",
		    "expenditure", "0:school_age_child", AGES_FAMILY, 0,
		    "student_grant_compulsory:3 student_grant_high_school:4" },
		{ "a member's need, a household kind", "expenditure",
		    "2:severe_disability", AGES_FAMILY, 0, "severe_care:0" },
		{ "a kind of other categories", "expenditure",
		    "2:self_care_limited", AGES_FAMILY, 0, "" },
		{ "... routed for its own", "low_income",
		    "2:self_care_limited", AGES_FAMILY, 0,
		    "care_low_income_only:0" },
		{ "a label with no need: its default", "expenditure", "",
		    AGES_FAMILY, LABEL(SERVICES_TYPE_HOUSING),
		    "rent_subsidy:0" },
		{ "a label covered by a routed kind", "expenditure",
		    "0:medical_costs", AGES_FAMILY,
		    LABEL(SERVICES_TYPE_MEDICAL), "medical_assistance:0" },
		{ "a label covered per member: no second", "expenditure",
		    "3:school_age_child", AGES_FAMILY,
		    LABEL(SERVICES_TYPE_EDUCATION),
		    "student_grant_compulsory:3" },
		{ "two labels, one covered", "expenditure", "0:housing_costs",
		    AGES_FAMILY,
		    LABEL(SERVICES_TYPE_HOUSING)
		        | LABEL(SERVICES_TYPE_EMPLOYMENT),
		    "rent_subsidy:0 employment_assistance:0" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		route_check(&rows[i], edge, 2);
}

static void
test_refer_categories(void **state)
{
	static const char *const only_expenditure[] = { "expenditure" };
	static const route_row   low                = { "refer only "
		                                                         "expenditure",
		                 "low_income", "0:medical_costs", AGES_FAMILY, 0, "" };
	static const route_row   exp = { "... which routes", "expenditure",
		  "0:medical_costs", AGES_FAMILY, 0, "medical_assistance:0" };
	(void) state;
	route_check(&low, only_expenditure, 1);
	route_check(&exp, only_expenditure, 1);
}

static void
test_labels(void **state)
{
	(void) state;
	assert_int_equal(
	    services_rules_type_of_label(1), SERVICES_TYPE_MEDICAL);
	assert_int_equal(
	    services_rules_type_of_label(4), SERVICES_TYPE_EMPLOYMENT);
	assert_int_equal(services_rules_type_of_label(0), SERVICES_TYPE_NONE);
	assert_int_equal(
	    services_rules_type_of_emergency(5), SERVICES_TYPE_NONE);
	assert_int_equal(
	    services_rules_type_of_emergency(6), SERVICES_TYPE_NONE);
	assert_int_equal(
	    services_rules_type_of_emergency(2), SERVICES_TYPE_HOUSING);
	assert_string_equal(
	    services_rules_cause_need(SERVICES_CAUSE_DISASTER), "disaster");
	assert_null(services_rules_cause_need(SERVICES_CAUSE_OTHER));
}

/* ---- the seed registry -------------------------------------------------- */

static void
test_seed(void **state)
{
	services_registry *g;
	(void) state;
	assert_int_equal(services_registry_load(SERVICES_SEED_DIR, &g), SN_OK);
	const services_kind_def *k
	    = services_registry_kind_for(g, "health", SERVICES_TYPE_MEDICAL);
	assert_string_equal(k->code, "family_doctor_contract");
	k = services_registry_kind_for(
	    g, "medical_insurance", SERVICES_TYPE_MEDICAL);
	assert_string_equal(k->code, "medical_assistance");
	k = services_registry_kind_for(g, NULL, SERVICES_TYPE_HOUSING);
	assert_string_equal(k->code, "rent_subsidy");
	k = services_registry_kind_for(g, "finance", SERVICES_TYPE_MEDICAL);
	assert_string_equal(k->code, "medical_assistance");
	assert_false(services_registry_has_department(g, "nobody"));

	/* The expenditure household under the seed's routes. */
	static const char *const refer[] = { "expenditure", "low_income" };
	services_need            needs[] = { { 0, "medical_costs" },
		           { 0, "housing_costs" }, { 3, "school_age_child" },
		           { 1, "unemployed_working_age" } };
	int32_t                  ages[]  = { 45, 43, 10 };
	services_route           out[SERVICES_ROUTES_MAX];
	services_route_in        in;
	char                     got[512];
	memset(&in, 0, sizeof(in));
	in.category = "expenditure";
	in.refer    = refer;
	in.nrefer   = 2;
	in.kinds    = services_registry_kinds(g, &in.nkinds);
	in.needs    = needs;
	in.nneeds   = 4;
	in.nmembers = 3;
	in.ages     = ages;
	routes_text(out, services_rules_route(&in, out, SERVICES_ROUTES_MAX),
	    got, sizeof(got));
	assert_string_equal(got,
	    "student_grant_compulsory:3 medical_assistance:0 rent_subsidy:0 "
	    "employment_assistance:1");
	services_registry_free(g);
}

/* ---- answers ------------------------------------------------------------ */

typedef struct answer_row {
	const char *name;
	const char *body;
	const char *code; /* NULL: read */
} answer_row;

static void
test_answer(void **state)
{
	static const answer_row rows[] = {
		{ "accepted",
		    "{\"outcome\":\"accepted\",\"grant\":\"70%\","
		    "\"amount_fen\":0,\"amount_per\":\"\","
		    "\"from_date\":\"2026-07-01\"}",
		    NULL },
		{ "declined",
		    "{\"outcome\":\"declined\",\"reason_code\":"
		    "\"not_eligible\",\"reason\":\"has insurance\"}",
		    NULL },
		{ "no outcome", "{\"grant\":\"x\"}", "missing_field" },
		{ "a strange outcome", "{\"outcome\":\"maybe\"}",
		    "invalid_outcome" },
		{ "accepted without grant",
		    "{\"outcome\":\"accepted\","
		    "\"amount_fen\":0,\"from_date\":"
		    "\"2026-07-01\"}",
		    "missing_field" },
		{ "a negative amount",
		    "{\"outcome\":\"accepted\",\"grant\":"
		    "\"x\",\"amount_fen\":-1,\"from_date\":"
		    "\"2026-07-01\"}",
		    "out_of_range" },
		{ "no from_date",
		    "{\"outcome\":\"accepted\",\"grant\":\"x\","
		    "\"amount_fen\":5}",
		    "missing_field" },
		{ "a strange period",
		    "{\"outcome\":\"accepted\",\"grant\":"
		    "\"x\",\"amount_fen\":5,\"amount_per\":"
		    "\"week\",\"from_date\":\"2026-07-01\"}",
		    "invalid_amount_per" },
		{ "a reason with an acceptance",
		    "{\"outcome\":\"accepted\","
		    "\"grant\":\"x\",\"amount_fen"
		    "\":5,\"from_date\":\"2026-07-"
		    "01\",\"reason\":\"r\"}",
		    "unknown_field" },
		{ "declined without a reason",
		    "{\"outcome\":\"declined\","
		    "\"reason_code\":\"no\"}",
		    "missing_field" },
		{ "a reason code that is no code",
		    "{\"outcome\":\"declined\","
		    "\"reason_code\":\"Not "
		    "OK\",\"reason\":\"r\"}",
		    "invalid_reason_code" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t         *b = json_loads(rows[i].body, 0, NULL);
		services_answer a;
		sn_problem      p;
		sn_problem_clear(&p);
		assert_non_null(b);
		bool ok = services_rules_answer_read(b, &a, &p);
		if (rows[i].code == NULL && !ok)
			fail_msg("%s: refused (%s)", rows[i].name, p.code);
		if (rows[i].code != NULL
		    && (ok || strcmp(p.code, rows[i].code) != 0))
			fail_msg("%s: want %s, got %s", rows[i].name,
			    rows[i].code, ok ? "accepted" : p.code);
		json_decref(b);
	}
}

static void
test_may_answer(void **state)
{
	sn_problem p;
	(void) state;
	sn_problem_clear(&p);
	assert_true(
	    services_rules_may_answer("health", "health", "routed", &p));
	assert_false(
	    services_rules_may_answer("housing", "health", "routed", &p));
	assert_string_equal(p.code, "not_your_department");
	sn_problem_clear(&p);
	assert_false(services_rules_may_answer("", "health", "routed", &p));
	assert_string_equal(p.code, "not_your_department");
	sn_problem_clear(&p);
	assert_false(
	    services_rules_may_answer("health", "health", "accepted", &p));
	assert_string_equal(p.code, "already_answered");
	assert_false(
	    services_rules_late(day("2026-06-10"), day("2026-06-10")));
	assert_true(services_rules_late(day("2026-06-11"), day("2026-06-10")));
}

/* The names the tables hold (schema 001's CHECKs), both ways; a value
 * past a table's end is "" and "" is the unspecified value. */
static void
test_names(void **state)
{
	static const struct {
		int         v;
		const char *labour, *care, *cause;
	} rows[] = {
		{ 0, "", "", "" },
		{ 1, "full", "able", "accident" },
		{ 2, "partial", "partially_able", "major_illness" },
		{ 3, "none", "unable", "disaster" },
		{ 4, "", "", "fire" },
		{ 5, "", "", "other" },
		{ 6, "", "", "" },
		{ -1, "", "", "" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int v = rows[i].v;
		assert_string_equal(
		    services_rules_labour_name((services_labour) v),
		    rows[i].labour);
		assert_string_equal(
		    services_rules_care_name((services_care) v), rows[i].care);
		assert_string_equal(
		    services_rules_cause_name((services_cause) v),
		    rows[i].cause);
		if (rows[i].labour[0] != '\0')
			assert_int_equal(
			    services_rules_labour_parse(rows[i].labour), v);
		if (rows[i].care[0] != '\0')
			assert_int_equal(
			    services_rules_care_parse(rows[i].care), v);
		if (rows[i].cause[0] != '\0')
			assert_int_equal(
			    services_rules_cause_parse(rows[i].cause), v);
	}
	assert_int_equal(services_rules_labour_parse("some"), 0);
	assert_int_equal(services_rules_care_parse(NULL), 0);
	assert_int_equal(services_rules_cause_parse(""), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_refer_categories),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_may_answer),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
