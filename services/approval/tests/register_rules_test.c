/*
 * approval.register_rules: the register's pure decisions as tables
 * (suspension and resumption, names; the cursor is sn/page.h's since
 * issue 10).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "register_rules.h"

static void
test_act_table(void **state)
{
	(void) state;
	static const struct {
		approval_register_action a;
		approval_standing        from;
		bool                     has_until;
		sn_month                 until;
		sn_date                  today;
		approval_standing        to; /* UNSPECIFIED: refused */
		approval_cause           cause;
		const char              *code;
		sn_month                 first;
	} t[] = {
		{ APPROVAL_REGISTER_DO_SUSPEND, APPROVAL_STANDING_ACTIVE,
		    false, { 0, 0 }, { 2026, 12, 31 },
		    APPROVAL_STANDING_SUSPENDED, APPROVAL_CAUSE_SUSPENSION,
		    NULL, { 2027, 1 } },
		{ APPROVAL_REGISTER_DO_SUSPEND, APPROVAL_STANDING_GRADUAL_EXIT,
		    true, { 2027, 3 }, { 2026, 11, 1 },
		    APPROVAL_STANDING_SUSPENDED, APPROVAL_CAUSE_SUSPENSION,
		    NULL, { 2026, 12 } },
		{ APPROVAL_REGISTER_DO_SUSPEND, APPROVAL_STANDING_SUSPENDED,
		    false, { 0, 0 }, { 2026, 11, 1 },
		    APPROVAL_STANDING_UNSPECIFIED, APPROVAL_CAUSE_UNSPECIFIED,
		    "already_suspended", { 0, 0 } },
		{ APPROVAL_REGISTER_DO_SUSPEND, APPROVAL_STANDING_EXITED,
		    false, { 0, 0 }, { 2026, 11, 1 },
		    APPROVAL_STANDING_UNSPECIFIED, APPROVAL_CAUSE_UNSPECIFIED,
		    "exited", { 0, 0 } },
		{ APPROVAL_REGISTER_DO_RESUME, APPROVAL_STANDING_SUSPENDED,
		    false, { 0, 0 }, { 2026, 11, 30 },
		    APPROVAL_STANDING_ACTIVE, APPROVAL_CAUSE_REVIEW, NULL,
		    { 2026, 12 } },
		{ APPROVAL_REGISTER_DO_RESUME, APPROVAL_STANDING_SUSPENDED,
		    true, { 2026, 12 }, { 2026, 11, 30 },
		    APPROVAL_STANDING_GRADUAL_EXIT, APPROVAL_CAUSE_REVIEW,
		    NULL, { 2026, 12 } },
		{ APPROVAL_REGISTER_DO_RESUME, APPROVAL_STANDING_SUSPENDED,
		    true, { 2026, 11 }, { 2026, 11, 30 },
		    APPROVAL_STANDING_UNSPECIFIED, APPROVAL_CAUSE_UNSPECIFIED,
		    "period_ended", { 0, 0 } },
		{ APPROVAL_REGISTER_DO_RESUME, APPROVAL_STANDING_ACTIVE, false,
		    { 0, 0 }, { 2026, 11, 30 }, APPROVAL_STANDING_UNSPECIFIED,
		    APPROVAL_CAUSE_UNSPECIFIED, "not_suspended", { 0, 0 } },
		{ APPROVAL_REGISTER_DO_RESUME, APPROVAL_STANDING_EXITED, false,
		    { 0, 0 }, { 2026, 11, 30 }, APPROVAL_STANDING_UNSPECIFIED,
		    APPROVAL_CAUSE_UNSPECIFIED, "not_suspended", { 0, 0 } },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_register_standing s
		    = { t[i].from, t[i].has_until, t[i].until };
		approval_register_change c = { APPROVAL_STANDING_EXITED,
			APPROVAL_CAUSE_DEATH, { 1, 1 } };
		sn_problem               p;
		sn_problem_clear(&p);
		bool ok
		    = approval_register_act(t[i].a, &s, t[i].today, &c, &p);
		if (t[i].code != NULL) {
			assert_false(ok);
			assert_int_equal(p.status, 409);
			assert_string_equal(p.code, t[i].code);
			assert_int_equal(c.to, APPROVAL_STANDING_EXITED);
			continue;
		}
		assert_true(ok);
		assert_int_equal(c.to, t[i].to);
		assert_int_equal(c.cause, t[i].cause);
		assert_int_equal(c.first_month.year, t[i].first.year);
		assert_int_equal(c.first_month.month, t[i].first.month);
	}
}

static void
test_names(void **state)
{
	(void) state;
	assert_string_equal(
	    approval_register_status_name(APPROVAL_STANDING_SUSPENDED),
	    "SUSPENDED");
	assert_string_equal(approval_register_status_name(0), "");
	assert_string_equal(approval_register_status_name(9), "");
	assert_int_equal(approval_register_status_parse("suspended"),
	    APPROVAL_STANDING_SUSPENDED);
	assert_int_equal(approval_register_status_parse("GRADUAL_EXIT"),
	    APPROVAL_STANDING_GRADUAL_EXIT);
	assert_int_equal(approval_register_status_parse("gone"),
	    APPROVAL_STANDING_UNSPECIFIED);
	assert_int_equal(
	    approval_register_status_parse(""), APPROVAL_STANDING_UNSPECIFIED);
	assert_int_equal(approval_register_status_parse(NULL),
	    APPROVAL_STANDING_UNSPECIFIED);
	assert_string_equal(
	    approval_register_cause_name(APPROVAL_CAUSE_DECISION), "decision");
	assert_string_equal(
	    approval_register_cause_name(APPROVAL_CAUSE_CHANGE_REPORT),
	    "change_report");
	assert_string_equal(
	    approval_register_cause_name(APPROVAL_CAUSE_SUSPENSION),
	    "suspension");
	assert_string_equal(approval_register_cause_name(0), "");
	assert_string_equal(
	    approval_register_cause_name(APPROVAL_CAUSE_REPLACED), "replaced");
	assert_string_equal(approval_register_cause_name(10), "");
	assert_string_equal(
	    approval_register_action_name(APPROVAL_REGISTER_DO_RESUME),
	    "resumption");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_act_table),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
