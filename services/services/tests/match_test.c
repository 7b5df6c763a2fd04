/*
 * Matching households to service projects (match.h), as tables. A
 * fixture builds a household and a project for which the household is
 * eligible; each row of the eligibility table breaks (or bends) exactly
 * one thing and states whether the household is still eligible, the rule
 * named, the members eligible and the needs met. The ranking table
 * orders pairs of projects by each key in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"

static const sn_date ON = { 2027, 3, 15 };

static sn_date
d(int y, int m, int dd)
{
	sn_date x = { y, m, dd };
	return x;
}

/* An older person alone (member 1, born 1950-06-01, 76 on ON) with a
 * grandchild (member 2, born 2017-09-01, 9 on ON) in township 220103001,
 * dibao; the household needs elderly_alone, the child school_age_child. */
static services_match_household
household(void)
{
	services_match_household h
	    = { .category = "dibao", .township = "220103001" };
	h.members[0] = (services_match_member) {
		.member = 1, .has_birth = true, .birth = d(1950, 6, 1)
	};
	h.members[1] = (services_match_member) { .member = 2,
		.has_birth                               = true,
		.birth                                   = d(2017, 9, 1),
		.needs  = { "school_age_child" },
		.nneeds = 1 };
	h.nmembers   = 2;
	h.needs[0]   = "elderly_alone";
	h.nneeds     = 1;
	return h;
}

/* Meal help for older people: 60 and over, needs elderly_alone. */
static services_match_project
project(void)
{
	services_match_project p = { .code = "liv-001",
		.domain                    = "living",
		.categories  = { "tekun", "dibao", "low_income" },
		.ncategories = 3,
		.has_min_age = true,
		.min_age     = 60,
		.needs       = { "elderly_alone", "self_care_limited" },
		.nneeds      = 2,
		.townships   = { "220103001", "220103002" },
		.ntownships  = 2,
		.from        = { 2027, 1, 1 },
		.to          = { 2027, 12, 31 },
		.capacity    = 120,
		.taken       = 20 };
	return p;
}

/* ---- eligibility -------------------------------------------------------- */

typedef struct elig_case {
	const char *what;
	void (*bend)(services_match_household *h, services_match_project *p,
	    sn_date *on);
	bool        eligible;
	const char *rule;    /* NULL when eligible */
	const char *members; /* eligible places, "1,2"; "" none */
	const char *needs;   /* needs met, "a,b"; "" none */
	int32_t     left;    /* places left */
} elig_case;

static void
none(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) p, (void) on;
}
static void
closed(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) on;
	p->closed = true;
}
static void
before(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) p;
	*on = d(2026, 12, 31);
}
static void
first_day(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) p;
	*on = d(2027, 1, 1);
}
static void
last_day(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) p;
	*on = d(2027, 12, 31);
}
static void
after(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) p;
	*on = d(2028, 1, 1);
}
static void
other_township(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->township = "220103003";
}
static void
no_township(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->township = "";
}
static void
other_category(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->category = "expenditure";
}
static void
undecided(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->category = "";
}
static void
too_young(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->members[0].birth = d(1967, 3, 16); /* 59 on ON: a day short */
}
static void
just_old_enough(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->members[0].birth = d(1967, 3, 15); /* 60 on ON */
}
static void
max_age_bound(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) on;
	p->has_max_age = true;
	p->max_age     = 75; /* member 1 is 76 */
}
static void
birth_unknown(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->members[0].has_birth = false;
}
static void
birth_unknown_no_bounds(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) on;
	h->members[0].has_birth = false;
	p->has_min_age          = false;
}
static void
no_members(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->nmembers = 0;
}
static void
need_missing(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->nneeds = 0;
}
static void
need_of_member(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->nneeds              = 0;
	h->members[0].needs[0] = "self_care_limited";
	h->members[0].nneeds   = 1;
}
static void
need_of_other_member(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	/* The child has the need, but only the grandparent's age fits. */
	(void) on;
	h->nneeds   = 0;
	p->needs[0] = "school_age_child";
	p->nneeds   = 1;
}
static void
no_needs_asked(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) on;
	p->nneeds = 0;
}
static void
two_needs_met(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) p, (void) on;
	h->members[0].needs[0] = "self_care_limited";
	h->members[0].nneeds   = 1;
}
static void
child_project(
    services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) on;
	p->code        = "edu-001";
	p->domain      = "education";
	p->min_age     = 6;
	p->has_max_age = true;
	p->max_age     = 15;
	p->needs[0]    = "school_age_child";
	p->nneeds      = 1;
}
static void
all_ages(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) on;
	p->has_min_age = false;
	p->nneeds      = 0;
}
static void
full(services_match_household *h, services_match_project *p, sn_date *on)
{
	(void) h, (void) on;
	p->taken = p->capacity;
}

static const elig_case elig_cases[] = {
	{ "the fixture", none, true, NULL, "1", "elderly_alone", 100 },
	{ "closed", closed, false, "closed", "", "", 100 },
	{ "before the period", before, false, "not_started", "", "", 100 },
	{ "on its first day", first_day, true, NULL, "1", "elderly_alone",
	    100 },
	{ "on its last day", last_day, true, NULL, "1", "elderly_alone", 100 },
	{ "after the period", after, false, "ended", "", "", 100 },
	{ "township not covered", other_township, false, "township", "", "",
	    100 },
	{ "township unknown", no_township, false, "township", "", "", 100 },
	{ "category not listed", other_category, false, "category", "", "",
	    100 },
	{ "not decided yet", undecided, false, "category", "", "", 100 },
	{ "59 the day before the birthday", too_young, false, "age", "", "",
	    100 },
	{ "60 on the birthday", just_old_enough, true, NULL, "1",
	    "elderly_alone", 100 },
	{ "above the maximum age", max_age_bound, false, "age", "", "", 100 },
	{ "birth date unknown, bounds", birth_unknown, false, "age", "", "",
	    100 },
	{ "birth date unknown, no bounds", birth_unknown_no_bounds, true, NULL,
	    "1,2", "elderly_alone", 100 },
	{ "no members", no_members, false, "age", "", "", 100 },
	{ "no listed need", need_missing, false, "needs", "", "", 100 },
	{ "the member's own need", need_of_member, true, NULL, "1",
	    "self_care_limited", 100 },
	{ "need of a member outside the ages", need_of_other_member, false,
	    "needs", "", "", 100 },
	{ "no need asked", no_needs_asked, true, NULL, "1", "", 100 },
	{ "two needs met", two_needs_met, true, NULL, "1",
	    "elderly_alone,self_care_limited", 100 },
	{ "a child's project", child_project, true, NULL, "2",
	    "school_age_child", 100 },
	{ "every age, no needs", all_ages, true, NULL, "1,2", "", 100 },
	{ "full is listed with no places", full, true, NULL, "1",
	    "elderly_alone", 0 },
};

static void
joined_members(const services_match_why *w, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t i = 0; i < w->nmembers; i++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s%d",
		    i ? "," : "", (int) w->members[i]);
}

static void
joined_needs(const services_match_why *w, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t i = 0; i < w->nneeds_met; i++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s",
		    i ? "," : "", w->needs_met[i]);
}

static void
test_eligibility_table(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(elig_cases) / sizeof(elig_cases[0]);
	     i++) {
		const elig_case         *c = &elig_cases[i];
		services_match_household h = household();
		services_match_project   p = project();
		services_match_why       w;
		sn_date                  on = ON;
		char                     ms[64], ns[256];

		c->bend(&h, &p, &on);
		bool ok = services_match_eligible(&h, &p, on, &w);
		joined_members(&w, ms, sizeof(ms));
		joined_needs(&w, ns, sizeof(ns));
		if (ok != c->eligible || (c->rule == NULL) != (w.rule == NULL)
		    || (c->rule != NULL && strcmp(c->rule, w.rule) != 0)
		    || strcmp(ms, c->members) != 0 || strcmp(ns, c->needs) != 0
		    || w.places_left != c->left)
			fail_msg("%s: got %d rule %s members [%s] needs [%s] "
			         "left %d; want %d %s [%s] [%s] %d",
			    c->what, ok, w.rule ? w.rule : "-", ms, ns,
			    (int) w.places_left, c->eligible,
			    c->rule ? c->rule : "-", c->members, c->needs,
			    (int) c->left);
	}
}

/* ---- one member (enrolment) -------------------------------------------- */

typedef struct member_case {
	const char *what;
	int32_t     member;
	bool        child_project;
	bool        eligible;
	const char *rule;
} member_case;

static const member_case member_cases[] = {
	{ "the older person, meal help", 1, false, true, NULL },
	{ "the child, meal help: too young", 2, false, false, "age" },
	{ "the child, education", 2, true, true, NULL },
	{ "the older person, education: too old", 1, true, false, "age" },
	{ "no member 3", 3, false, false, "member" },
	{ "member 0 is not a member", 0, false, false, "member" },
	{ "negative", -1, false, false, "member" },
};

static void
test_member_table(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(member_cases) / sizeof(member_cases[0]);
	     i++) {
		const member_case       *c = &member_cases[i];
		services_match_household h = household();
		services_match_project   p = project();
		services_match_why       w;
		sn_date                  on = ON;
		if (c->child_project)
			child_project(&h, &p, &on);
		bool ok = services_match_member_eligible(
		    &h, &p, on, c->member, &w);
		if (ok != c->eligible || (c->rule == NULL) != (w.rule == NULL)
		    || (c->rule != NULL && strcmp(c->rule, w.rule) != 0))
			fail_msg("%s: got %d %s", c->what, ok,
			    w.rule ? w.rule : "-");
		if (ok && (w.nmembers != 1 || w.members[0] != c->member))
			fail_msg(
			    "%s: eligible members not just the one", c->what);
	}
	/* The household's rules come first for one member too. */
	services_match_household h = household();
	services_match_project   p = project();
	services_match_why       w;
	p.closed = true;
	assert_false(services_match_member_eligible(&h, &p, ON, 1, &w));
	assert_string_equal(w.rule, "closed");
}

/* ---- ages -------------------------------------------------------------- */

static void
test_age_table(void **state)
{
	static const struct {
		sn_date birth, on;
		int32_t age;
	} cases[] = {
		{ { 2000, 3, 15 }, { 2027, 3, 15 }, 27 },
		{ { 2000, 3, 16 }, { 2027, 3, 15 }, 26 },
		{ { 2000, 2, 29 }, { 2027, 2, 28 }, 26 },
		{ { 2000, 2, 29 }, { 2027, 3, 1 }, 27 },
		{ { 2027, 3, 15 }, { 2027, 3, 15 }, 0 },
		{ { 2027, 3, 16 }, { 2027, 3, 15 }, -1 },
		{ { 2027, 1, 1 }, { 2026, 6, 15 }, -1 },
		{ { 1930, 12, 31 }, { 2027, 1, 1 }, 96 },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(
		    services_match_age(cases[i].birth, cases[i].on),
		    cases[i].age);
}

/* ---- ranking ----------------------------------------------------------- */

typedef struct rank_case {
	const char *what;
	size_t      needs_a, needs_b;
	int32_t     left_a, left_b;
	const char *domain_a, *domain_b;
	const char *code_a, *code_b;
	int         want; /* <0: a first */
} rank_case;

static const rank_case rank_cases[] = {
	{ "more needs met first", 2, 1, 1, 90, "social_integration", "living",
	    "z", "a", -1 },
	{ "fewer needs met later", 0, 1, 90, 1, "living", "living", "a", "b",
	    1 },
	{ "then more places left", 1, 1, 50, 10, "social_integration",
	    "living", "z", "a", -1 },
	{ "then fewer places later", 1, 1, 0, 10, "living", "living", "a", "b",
	    1 },
	{ "then the domain order", 1, 1, 10, 10, "living", "employment", "z",
	    "a", -1 },
	{ "education before medical", 0, 0, 5, 5, "medical", "education", "a",
	    "b", 1 },
	{ "an unknown domain last", 0, 0, 5, 5, "zzz", "social_integration",
	    "a", "b", 1 },
	{ "then the code", 0, 0, 5, 5, "living", "living", "liv-001",
	    "liv-002", -1 },
	{ "the same project", 0, 0, 5, 5, "living", "living", "liv-001",
	    "liv-001", 0 },
};

static services_match_ranked
ranked(const services_match_project *p, size_t needs, int32_t left)
{
	services_match_ranked r = { .project = p };
	r.why.nneeds_met        = needs;
	r.why.places_left       = left;
	return r;
}

static int
sign(int v)
{
	return v < 0 ? -1 : v > 0 ? 1 : 0;
}

static void
test_rank_table(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(rank_cases) / sizeof(rank_cases[0]);
	     i++) {
		const rank_case       *c = &rank_cases[i];
		services_match_project pa
		    = { .code = c->code_a, .domain = c->domain_a };
		services_match_project pb
		    = { .code = c->code_b, .domain = c->domain_b };
		services_match_ranked a = ranked(&pa, c->needs_a, c->left_a);
		services_match_ranked b = ranked(&pb, c->needs_b, c->left_b);
		if (sign(services_match_cmp(&a, &b)) != c->want
		    || sign(services_match_cmp(&b, &a)) != -c->want)
			fail_msg("%s: cmp gave %d", c->what,
			    services_match_cmp(&a, &b));
	}
}

/* Ranking a list: the seven domains shuffled, with needs and places. */
static void
test_rank_list(void **state)
{
	services_match_project p[5] = {
		{ .code = "men-001", .domain = "mental_care" },
		{ .code = "edu-001", .domain = "education" },
		{ .code = "liv-002", .domain = "living" },
		{ .code = "liv-001", .domain = "living" },
		{ .code = "emp-001", .domain = "employment" },
	};
	services_match_ranked r[5] = {
		ranked(&p[0], 0, 30),
		ranked(&p[1], 1, 5),
		ranked(&p[2], 0, 30),
		ranked(&p[3], 1, 5),
		ranked(&p[4], 0, 30),
	};
	static const char *const want[]
	    = { "liv-001", "edu-001", "liv-002", "emp-001", "men-001" };
	(void) state;
	services_match_rank(r, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(r[i].project->code, want[i]);
}

/* ---- small parts -------------------------------------------------------- */

static void
test_split_and_domains(void **state)
{
	char        a[] = "tekun,dibao,low_income", e[] = "", one[] = "x";
	char        many[] = "a,b,c";
	const char *out[2];
	(void) state;
	const char *three[3];
	assert_int_equal(services_match_split(a, three, 3), 3);
	assert_string_equal(three[2], "low_income");
	assert_int_equal(services_match_split(e, out, 2), 0);
	assert_int_equal(services_match_split(one, out, 2), 1);
	assert_string_equal(out[0], "x");
	assert_int_equal(services_match_split(many, out, 2), 3);
	assert_int_equal(services_match_domain_rank("living"), 0);
	assert_int_equal(services_match_domain_rank("social_integration"), 6);
	assert_int_equal(services_match_domain_rank("nope"), 7);
	assert_int_equal(services_match_domain_rank(NULL), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eligibility_table),
		cmocka_unit_test(test_member_table),
		cmocka_unit_test(test_age_table),
		cmocka_unit_test(test_rank_table),
		cmocka_unit_test(test_rank_list),
		cmocka_unit_test(test_split_and_domains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
