/*
 * grievances_test.c - the grievance rules (grievances.h) as tables: the
 * offices within and above, assignment (never to the office complained
 * about nor within it; after an appeal only above the first office),
 * resolution and appeal, each row breaking one thing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "grievances.h"

static void
test_offices(void **state)
{
	char out[SUPERVISION_OFFICE_LEN];
	(void) state;
	assert_true(supervision_grievance_within("220103001", "220103"));
	assert_true(supervision_grievance_within("220103001005", "220103001"));
	assert_true(supervision_grievance_within("220103001", "220103001"));
	assert_false(supervision_grievance_within("220103", "220103001"));
	assert_false(supervision_grievance_within("220103002", "220103001"));
	assert_false(supervision_grievance_within("22010300", "220103"));
	assert_false(supervision_grievance_within("", "220103"));
	assert_true(supervision_grievance_parent("220103001005", out));
	assert_string_equal(out, "220103001");
	assert_true(supervision_grievance_parent("220103001", out));
	assert_string_equal(out, "220103");
	assert_false(supervision_grievance_parent("220103", out));
	assert_false(supervision_grievance_parent("2201030x1", out));
}

typedef struct row {
	const char                 *name;
	supervision_grievance_state state;
	int32_t                     level;
	const char                 *complained, *office, *first;
	const char                 *to;   /* assign: the office */
	const char                 *code; /* NULL: allowed */
} row;

static void
test_assign(void **state)
{
	static const row rows[] = {
		{ "another township", SUPERVISION_GRIEVANCE_OPEN, 0,
		    "220103001", "", "", "220103002", NULL },
		{ "the district above", SUPERVISION_GRIEVANCE_OPEN, 0,
		    "220103001", "", "", "220103", NULL },
		{ "the office complained about", SUPERVISION_GRIEVANCE_OPEN, 0,
		    "220103001", "", "", "220103001",
		    "office_complained_about" },
		{ "a village within it", SUPERVISION_GRIEVANCE_OPEN, 0,
		    "220103001", "", "", "220103001007",
		    "office_complained_about" },
		{ "unknown office: any", SUPERVISION_GRIEVANCE_OPEN, 0, "", "",
		    "", "220103001", NULL },
		{ "reassigned", SUPERVISION_GRIEVANCE_ASSIGNED, 0, "220103001",
		    "220103002", "", "220103003", NULL },
		{ "resolved", SUPERVISION_GRIEVANCE_RESOLVED, 0, "220103001",
		    "220103002", "", "220103003", "grievance_resolved" },
		{ "not a code", SUPERVISION_GRIEVANCE_OPEN, 0, "220103001", "",
		    "", "22010", "invalid_office" },
		{ "appeal: above the first", SUPERVISION_GRIEVANCE_APPEALED, 1,
		    "220103001", "220103", "220103002", "220103", NULL },
		{ "appeal: a sibling of the first",
		    SUPERVISION_GRIEVANCE_APPEALED, 1, "220103001", "220103",
		    "220103002", "220103003", "appeal_needs_higher_office" },
		{ "appeal: the first again", SUPERVISION_GRIEVANCE_APPEALED, 1,
		    "220103001", "220103", "220103002", "220103002",
		    "appeal_needs_higher_office" },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const row                  *r = &rows[i];
		supervision_grievance_facts g = { r->state, r->level,
			r->complained, r->office, r->first };
		sn_problem                  p;
		sn_problem_clear(&p);
		bool ok = supervision_grievance_may_assign(&g, r->to, &p);
		if (r->code == NULL && !ok)
			fail_msg("%s: refused %s", r->name, p.code);
		if (r->code != NULL && (ok || strcmp(p.code, r->code) != 0))
			fail_msg("%s: %s, wanted %s", r->name,
			    ok ? "allowed" : p.code, r->code);
	}
}

static void
test_resolve_appeal(void **state)
{
	sn_problem                  p;
	char                        to[SUPERVISION_OFFICE_LEN];
	supervision_grievance_facts open
	    = { SUPERVISION_GRIEVANCE_OPEN, 0, "220103001", "", "" };
	supervision_grievance_facts assigned
	    = { SUPERVISION_GRIEVANCE_ASSIGNED, 0, "220103001", "220103002",
		      "" };
	supervision_grievance_facts resolved
	    = { SUPERVISION_GRIEVANCE_RESOLVED, 0, "220103001", "220103002",
		      "" };
	supervision_grievance_facts by_district
	    = { SUPERVISION_GRIEVANCE_RESOLVED, 0, "220103001", "220103", "" };
	supervision_grievance_facts again = { SUPERVISION_GRIEVANCE_RESOLVED,
		1, "220103001", "220103", "220103002" };
	(void) state;

	sn_problem_clear(&p);
	assert_false(supervision_grievance_may_resolve(&open, "upheld", &p));
	assert_string_equal(p.code, "not_assigned");
	sn_problem_clear(&p);
	assert_false(supervision_grievance_may_resolve(&assigned, "yes", &p));
	assert_string_equal(p.code, "invalid_outcome");
	sn_problem_clear(&p);
	assert_true(
	    supervision_grievance_may_resolve(&assigned, "upheld", &p));
	assert_true(
	    supervision_grievance_may_resolve(&assigned, "not_upheld", &p));
	assert_false(
	    supervision_grievance_may_resolve(&resolved, "upheld", &p));
	assert_string_equal(p.code, "grievance_resolved");

	sn_problem_clear(&p);
	assert_false(supervision_grievance_may_appeal(&assigned, to, &p));
	assert_string_equal(p.code, "not_resolved");
	sn_problem_clear(&p);
	assert_true(supervision_grievance_may_appeal(&resolved, to, &p));
	assert_string_equal(to, "220103");
	assert_false(supervision_grievance_may_appeal(&again, to, &p));
	assert_string_equal(p.code, "already_appealed");
	sn_problem_clear(&p);
	assert_false(supervision_grievance_may_appeal(&by_district, to, &p));
	assert_string_equal(p.code, "no_higher_office");
}

static void
test_deadline(void **state)
{
	sn_date d;
	char    buf[SN_DATE_STRLEN];
	(void) state;
	assert_int_equal(sn_date_parse("2026-02-20", &d), SN_OK);
	assert_string_equal(
	    sn_date_format(supervision_grievance_deadline(d, 15), buf),
	    "2026-03-07");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offices),
		cmocka_unit_test(test_assign),
		cmocka_unit_test(test_resolve_appeal),
		cmocka_unit_test(test_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
