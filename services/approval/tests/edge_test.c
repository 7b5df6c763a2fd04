/*
 * edge_test.c - table tests of issue 10's pure rules (approval-A): the
 * rule a household in no category failed (edge.h), a resubmission's
 * checks, and the township's return (rules.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "edge.h"
#include "rules.h"

/* Urban S 830 yuan, low-income factor 150 %. */
static approval_policy
policy(void)
{
	approval_policy p;
	memset(&p, 0, sizeof(p));
	p.urban_min_fen             = 83000;
	p.low_income_factor_percent = 150;
	return p;
}

static void
test_rule_reason_table(void **state)
{
	(void) state;
	static const struct {
		approval_category cat;
		sn_fen            c; /* C per member */
		unsigned          failures;
		const char       *want;
	} t[] = {
		{ APPROVAL_CAT_DIBAO, 40000, 0, "" },
		{ APPROVAL_CAT_LOW_INCOME, 120000, 0, "" },
		{ APPROVAL_CAT_NONE, 124501, 0, "income_above_edge" },
		{ APPROVAL_CAT_NONE, 300000, APPROVAL_ASSET_FINANCIAL,
		    "income_above_edge" },
		{ APPROVAL_CAT_NONE, 124500, APPROVAL_ASSET_FINANCIAL,
		    "assets_financial" },
		{ APPROVAL_CAT_NONE, 90000,
		    APPROVAL_ASSET_HOMES | APPROVAL_ASSET_BUSINESS,
		    "assets_homes" },
		{ APPROVAL_CAT_NONE, 90000, APPROVAL_ASSET_VEHICLE,
		    "assets_vehicles" },
		{ APPROVAL_CAT_NONE, 10000, APPROVAL_ASSET_BUSINESS,
		    "assets_business" },
		{ APPROVAL_CAT_NONE, 10000, 0, "unclassified" },
		{ APPROVAL_CAT_NONE, INT64_MAX / 2, 0, "income_above_edge" },
	};
	approval_policy p = policy();
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_result r;
		memset(&r, 0, sizeof(r));
		r.category           = t[i].cat;
		r.standard_fen       = p.urban_min_fen;
		r.net_per_member_fen = t[i].c;
		r.asset_failures     = t[i].failures;
		assert_string_equal(
		    approval_edge_rule_reason(&p, &r), t[i].want);
	}
	assert_string_equal(approval_edge_rule_reason(NULL, NULL), "");
}

static void
test_resubmission_valid_table(void **state)
{
	(void) state;
	assert_false(approval_edge_resubmission_valid(0, "clerk"));
	assert_false(approval_edge_resubmission_valid(1, "clerk"));
	assert_false(approval_edge_resubmission_valid(2, ""));
	assert_false(approval_edge_resubmission_valid(2, NULL));
	assert_true(approval_edge_resubmission_valid(2, "clerk"));
	assert_true(approval_edge_resubmission_valid(7, "clerk"));
}

static void
test_township_return(void **state)
{
	(void) state;
	static const struct {
		const char    *decision, *reason;
		bool           ok, returned;
		approval_stage to;
		const char    *action;
	} t[] = {
		{ "return", "the address", true, true, APPROVAL_STAGE_RETURNED,
		    "township_returned" },
		{ "return", "", false, false, APPROVAL_STAGE_UNSPECIFIED, "" },
		{ "approve", "", true, false, APPROVAL_STAGE_DISTRICT_FILING,
		    "township_approved" },
		{ "reject", "no", true, false, APPROVAL_STAGE_REJECTED,
		    "township_rejected" },
		{ "send back", "x", false, false, APPROVAL_STAGE_UNSPECIFIED,
		    "" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_step_request r;
		sn_problem            prob;
		memset(&r, 0, sizeof(r));
		sn_problem_clear(&prob);
		r.reason = t[i].reason;
		bool ok  = approval_rules_step_request(
		     APPROVAL_STEP_TOWNSHIP_CONFIRMATION, t[i].decision, NULL,
		     &r, &prob);
		assert_int_equal(ok, t[i].ok);
		if (!ok)
			continue;
		assert_int_equal(r.returned, t[i].returned);
		assert_int_equal(approval_rules_request_stage(&r), t[i].to);
		assert_string_equal(
		    approval_rules_request_action(&r), t[i].action);
	}
	/* The village's return stays as it was. */
	approval_step_request v;
	sn_problem            prob;
	memset(&v, 0, sizeof(v));
	v.reason = "why";
	assert_true(approval_rules_step_request(
	    APPROVAL_STEP_VILLAGE_REVIEW, "return", NULL, &v, &prob));
	assert_false(v.returned);
	assert_int_equal(
	    approval_rules_request_stage(&v), APPROVAL_STAGE_RETURNED);
	assert_string_equal(
	    approval_rules_request_action(&v), "village_returned");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_reason_table),
		cmocka_unit_test(test_resubmission_valid_table),
		cmocka_unit_test(test_township_return),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
