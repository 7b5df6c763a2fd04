/*
 * approval.rules: the pure rules of design section 6 as tables. Each row
 * starts from a passing household (BASE: urban, two members able to work,
 * income per member 500 yuan, assets well inside the limits) and changes
 * what the row is about. Standards are those of the seeded policy
 * version: S urban 83000, rural 63000; basic living 142000 / 100000;
 * care 15000 / 50000 / 120000; low-income 150 %; assets 24 S, 1 home,
 * business capital 5,000,000 fen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"

#pragma GCC diagnostic ignored "-Woverride-init"

static const approval_policy P = { .version = "2026-01",
	.urban_min_fen                      = 83000,
	.rural_min_fen                      = 63000,
	.urban_basic_fen                    = 142000,
	.rural_basic_fen                    = 100000,
	.care_able_fen                      = 15000,
	.care_partially_able_fen            = 50000,
	.care_unable_fen                    = 120000,
	.low_income_factor_percent          = 150,
	.asset_multiple                     = 24,
	.max_homes                          = 1,
	.business_capital_limit_fen         = 5000000 };

struct row {
	const char *name;
	/* household */
	approval_registration reg;
	int                   n;
	approval_labour       labour, labour0; /* all; first (0: same) */
	approval_self_care    care, care0;
	bool                  supporter;
	sn_fen                g, d, gross; /* gross < 0: g x n */
	sn_fen                fin;
	int64_t               homes, vehicles;
	sn_fen                business;
	sn_fen                wages, medical, education, housing;
	/* expected */
	approval_category cat;
	sn_fen            amount;
	unsigned          refs;
	unsigned          fails;
};

#define BASE                                                                  \
	.reg = APPROVAL_REG_URBAN, .n = 2, .labour = APPROVAL_LABOUR_FULL,    \
	.care = APPROVAL_CARE_ABLE, .g = 50000, .d = 0, .gross = -1,          \
	.fin = 100000, .homes = 1, .vehicles = 0, .business = 0,              \
	.wages = 100000

#define TEKUN BASE, .n = 1, .labour = APPROVAL_LABOUR_NONE, .g = 0, .wages = 0

static const struct row rows[] = {
	/* dibao: G < S, amount (S - G) x members, whole yuan up */
	{ "dibao below the standard", BASE, .cat = APPROVAL_CAT_DIBAO,
	    .amount = 66000 },
	{ "dibao one fen below S", BASE, .n = 1, .g = 82999,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 100 },
	{ "dibao 3 fen rounds up to 1 yuan", BASE, .n = 3, .g = 82999,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 100 },
	{ "dibao 329.50 rounds up to 330", BASE, .n = 1, .g = 50050,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 33000 },
	{ "dibao exact yuan stays", BASE, .n = 1, .g = 50000,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 33000 },
	{ "dibao rural standard", BASE, .reg = APPROVAL_REG_RURAL, .g = 60000,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 6000 },
	{ "rural G between the standards is not dibao", BASE,
	    .reg = APPROVAL_REG_RURAL, .g = 70000,
	    .cat = APPROVAL_CAT_LOW_INCOME },
	/* at and above S */
	{ "G equal to S is not dibao (low income)", BASE, .g = 83000,
	    .cat = APPROVAL_CAT_LOW_INCOME },
	{ "G one fen above S (low income)", BASE, .g = 83001,
	    .cat = APPROVAL_CAT_LOW_INCOME },
	/* expenditure: G >= S and C < S */
	{ "deductions cross S: expenditure", BASE, .g = 90000, .d = 7001,
	    .medical = 14002, .cat = APPROVAL_CAT_EXPENDITURE,
	    .refs = APPROVAL_REF_MEDICAL },
	{ "deductions land on S: low income", BASE, .g = 90000, .d = 7000,
	    .cat = APPROVAL_CAT_LOW_INCOME },
	{ "expenditure at G = S with any deduction", BASE, .g = 83000, .d = 1,
	    .cat = APPROVAL_CAT_EXPENDITURE },
	{ "expenditure has no asset test", BASE, .g = 90000, .d = 20000,
	    .homes = 2, .cat = APPROVAL_CAT_EXPENDITURE,
	    .fails = APPROVAL_ASSET_HOMES },
	{ "expenditure refers to everything declared", BASE, .g = 90000,
	    .d = 30000, .wages = 0, .medical = 1, .education = 1, .housing = 1,
	    .cat  = APPROVAL_CAT_EXPENDITURE,
	    .refs = APPROVAL_REF_MEDICAL | APPROVAL_REF_EDUCATION
	        | APPROVAL_REF_HOUSING | APPROVAL_REF_EMPLOYMENT },
	/* low income: C <= 1.5 S */
	{ "low income at exactly 1.5 S", BASE, .g = 124500,
	    .cat = APPROVAL_CAT_LOW_INCOME },
	{ "one fen over 1.5 S: none", BASE, .g = 124501,
	    .cat = APPROVAL_CAT_NONE },
	{ "deductions bring C to 1.5 S", BASE, .g = 130000, .d = 5500,
	    .cat = APPROVAL_CAT_LOW_INCOME },
	{ "low income needs assets", BASE, .g = 100000, .vehicles = 1,
	    .cat = APPROVAL_CAT_NONE, .fails = APPROVAL_ASSET_VEHICLE },
	/* assets */
	{ "financial assets exactly 24 S pass", BASE, .fin = 1992000,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 66000 },
	{ "financial assets one fen over 24 S", BASE, .fin = 1992001,
	    .cat = APPROVAL_CAT_NONE, .fails = APPROVAL_ASSET_FINANCIAL },
	{ "two homes", BASE, .homes = 2, .cat = APPROVAL_CAT_NONE,
	    .fails = APPROVAL_ASSET_HOMES },
	{ "no home passes", BASE, .homes = 0, .cat = APPROVAL_CAT_DIBAO,
	    .amount = 66000 },
	{ "a non-exempt vehicle", BASE, .vehicles = 1,
	    .cat = APPROVAL_CAT_NONE, .fails = APPROVAL_ASSET_VEHICLE },
	{ "an exempt vehicle is not counted (vehicles 0)", BASE, .vehicles = 0,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 66000 },
	{ "business capital at the limit", BASE, .business = 5000000,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 66000 },
	{ "business capital one fen over", BASE, .business = 5000001,
	    .cat = APPROVAL_CAT_NONE, .fails = APPROVAL_ASSET_BUSINESS },
	{ "every asset test failing", BASE, .fin = 9999999, .homes = 3,
	    .vehicles = 2, .business = 9999999, .cat = APPROVAL_CAT_NONE,
	    .fails = APPROVAL_ASSET_FINANCIAL | APPROVAL_ASSET_HOMES
	        | APPROVAL_ASSET_VEHICLE | APPROVAL_ASSET_BUSINESS },
	/* tekun */
	{ "tekun urban, able to look after oneself", TEKUN,
	    .cat = APPROVAL_CAT_TEKUN, .amount = 157000 },
	{ "tekun rural, unable and partially able", TEKUN, .n = 2,
	    .reg = APPROVAL_REG_RURAL, .care = APPROVAL_CARE_UNABLE,
	    .care0 = APPROVAL_CARE_PARTIALLY_ABLE, .cat = APPROVAL_CAT_TEKUN,
	    .amount = 370000 },
	{ "tekun urban, unable", TEKUN, .care = APPROVAL_CARE_UNABLE,
	    .cat = APPROVAL_CAT_TEKUN, .amount = 262000 },
	{ "tekun with medical referral", TEKUN, .medical = 5000,
	    .cat = APPROVAL_CAT_TEKUN, .amount = 157000,
	    .refs = APPROVAL_REF_MEDICAL },
	{ "tekun: one member able to work -> dibao", TEKUN, .n = 2,
	    .labour0 = APPROVAL_LABOUR_PARTIAL, .cat = APPROVAL_CAT_DIBAO,
	    .amount = 166000, .refs = APPROVAL_REF_EMPLOYMENT },
	{ "tekun: with income -> dibao", TEKUN, .g = 500,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 82500 },
	{ "tekun: with an able supporter -> dibao", TEKUN, .supporter = true,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 83000 },
	{ "tekun: assets fail -> none", TEKUN, .homes = 2,
	    .cat = APPROVAL_CAT_NONE, .fails = APPROVAL_ASSET_HOMES },
	/* referrals */
	{ "employment referral: able, no wages", BASE, .wages = 0,
	    .cat = APPROVAL_CAT_DIBAO, .amount = 66000,
	    .refs = APPROVAL_REF_EMPLOYMENT },
	{ "no employment referral with wages", BASE, .education = 300,
	    .housing = 200, .cat = APPROVAL_CAT_DIBAO, .amount = 66000,
	    .refs = APPROVAL_REF_EDUCATION | APPROVAL_REF_HOUSING },
	{ "none has no referrals", BASE, .g = 200000, .medical = 1,
	    .cat = APPROVAL_CAT_NONE },
};

static void
build(const struct row *r, approval_household *h, approval_member *m)
{
	for (int i = 0; i < r->n; i++) {
		m[i].labour    = r->labour;
		m[i].self_care = r->care;
	}
	if (r->labour0)
		m[0].labour = r->labour0;
	if (r->care0)
		m[0].self_care = r->care0;
	*h = (approval_household) { .registration = r->reg,
		.has_able_supporter               = r->supporter,
		.nmembers                         = (size_t) r->n,
		.members                          = m,
		.declared_wages_fen               = r->wages,
		.declared_medical_fen             = r->medical,
		.declared_education_fen           = r->education,
		.declared_housing_fen             = r->housing,
		.gross_income_fen      = r->gross < 0 ? r->g * r->n : r->gross,
		.income_per_member_fen = r->g,
		.rigid_expenditure_per_member_fen = r->d,
		.financial_assets_per_member_fen  = r->fin,
		.homes                            = r->homes,
		.vehicles                         = r->vehicles,
		.business_capital_fen             = r->business };
}

static void
test_classify_table(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row  *r = &rows[i];
		approval_member    m[8];
		approval_household h;
		approval_result    res;
		build(r, &h, m);
		print_message("%s\n", r->name);
		assert_int_equal(approval_rules_classify(&P, &h, &res), SN_OK);
		assert_int_equal(res.category, r->cat);
		assert_int_equal(res.tier, approval_rules_tier(r->cat));
		assert_int_equal(res.monthly_amount_fen, r->amount);
		assert_int_equal(res.referrals, r->refs);
		assert_int_equal(res.asset_failures, r->fails);
		assert_int_equal(res.assets_pass, r->fails == 0);
		assert_int_equal(res.net_per_member_fen, r->g - r->d);
		assert_int_equal(res.standard_fen,
		    r->reg == APPROVAL_REG_URBAN ? 83000 : 63000);
		assert_true(res.monthly_amount_fen % 100 == 0);
	}
}

static void
test_tiers(void **state)
{
	(void) state;
	assert_int_equal(
	    approval_rules_tier(APPROVAL_CAT_TEKUN), APPROVAL_TIER_CORE);
	assert_int_equal(
	    approval_rules_tier(APPROVAL_CAT_DIBAO), APPROVAL_TIER_CORE);
	assert_int_equal(
	    approval_rules_tier(APPROVAL_CAT_EXPENDITURE), APPROVAL_TIER_EDGE);
	assert_int_equal(
	    approval_rules_tier(APPROVAL_CAT_LOW_INCOME), APPROVAL_TIER_EDGE);
	assert_int_equal(approval_rules_tier(APPROVAL_CAT_EMERGENCY),
	    APPROVAL_TIER_UNIVERSAL);
	assert_int_equal(
	    approval_rules_tier(APPROVAL_CAT_NONE), APPROVAL_TIER_UNSPECIFIED);
}

static void
test_core_amounts_always_computed(void **state)
{
	(void) state;
	/* The township may change the category: both core amounts are
	 * there whatever the category. */
	struct row         r = { "x", BASE, .g = 100000 };
	approval_member    m[8];
	approval_household h;
	approval_result    res;
	build(&r, &h, m);
	assert_int_equal(approval_rules_classify(&P, &h, &res), SN_OK);
	assert_int_equal(res.category, APPROVAL_CAT_LOW_INCOME);
	assert_int_equal(res.dibao_amount_fen, 0);
	assert_int_equal(res.tekun_amount_fen, 2 * 157000);
}

static void
test_invalid(void **state)
{
	(void) state;
	struct row         r = { "x", BASE };
	approval_member    m[8];
	approval_household h;
	approval_result    res;
	build(&r, &h, m);
	h.registration = APPROVAL_REG_UNSPECIFIED;
	assert_int_equal(approval_rules_classify(&P, &h, &res), SN_EINVAL);
	build(&r, &h, m);
	h.nmembers = 0;
	assert_int_equal(approval_rules_classify(&P, &h, &res), SN_EINVAL);
	build(&r, &h, m);
	h.income_per_member_fen = -1;
	assert_int_equal(approval_rules_classify(&P, &h, &res), SN_EINVAL);
	build(&r, &h, m);
	approval_policy big = P;
	big.urban_min_fen   = INT64_MAX / 2;
	assert_int_equal(approval_rules_classify(&big, &h, &res), SN_ERANGE);
}

static void
test_exit_table(void **state)
{
	(void) state;
	static const struct {
		sn_fen        s, c;
		approval_exit want;
	} t[] = {
		{ 83000, -5000, APPROVAL_EXIT_STAYS },
		{ 83000, 82999, APPROVAL_EXIT_STAYS },
		{ 83000, 83000, APPROVAL_EXIT_STAYS },         /* C = S */
		{ 83000, 83001, APPROVAL_EXIT_GRADUAL },       /* S + 1 */
		{ 83000, 165999, APPROVAL_EXIT_GRADUAL },      /* 2S - 1 */
		{ 83000, 166000, APPROVAL_EXIT_END_OF_MONTH }, /* 2S */
		{ 63000, 126001, APPROVAL_EXIT_END_OF_MONTH },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_exit e;
		assert_int_equal(
		    approval_rules_exit(t[i].s, t[i].c, &e), SN_OK);
		assert_int_equal(e, t[i].want);
	}
	approval_exit e;
	assert_int_equal(approval_rules_exit(INT64_MAX, 0, &e), SN_ERANGE);
	assert_int_equal(APPROVAL_GRADUAL_EXIT_MONTHS, 6);
}

static void
test_ratio(void **state)
{
	(void) state;
	static const struct {
		sn_fen      u, r;
		const char *want;
	} t[] = { { 83000, 63000, "1.32" }, { 100, 100, "1.00" },
		{ 2, 3, "0.67" }, { 1, 8, "0.13" }, { 1, 200, "0.01" },
		{ 1, 201, "0.00" }, { 142000, 100000, "1.42" },
		{ 1234567, 1, "1234567.00" } };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char buf[32];
		assert_int_equal(
		    approval_rules_ratio(t[i].u, t[i].r, buf), SN_OK);
		assert_string_equal(buf, t[i].want);
	}
	char buf[32];
	assert_int_equal(approval_rules_ratio(1, 0, buf), SN_EINVAL);
	assert_int_equal(approval_rules_ratio(INT64_MAX, 1, buf), SN_ERANGE);
}

static void
test_duties(void **state)
{
	(void) state;
	const char   *actors[] = { "vr1" };
	const char   *invs[]   = { "inv1", "inv2" };
	const char   *ids[] = { "110101199003070012", "110101199203070020" };
	approval_duty d     = { .user = "t1",
		    .id_number        = "",
		    .taken_in_by      = "clerk1",
		    .actors           = actors,
		    .nactors          = 1,
		    .investigators    = invs,
		    .ninvestigators   = 2,
		    .member_ids       = ids,
		    .nmembers         = 2 };
	assert_null(approval_rules_duty_check(&d));
	d.user = "vr1";
	assert_string_equal(approval_rules_duty_check(&d), "already_acted");
	d.user = "clerk1";
	assert_string_equal(
	    approval_rules_duty_check(&d), "took_in_application");
	d.user = "inv2";
	assert_string_equal(approval_rules_duty_check(&d), "visited_home");
	d.user      = "t1";
	d.id_number = "110101199203070020";
	assert_string_equal(approval_rules_duty_check(&d), "household_member");
	d.id_number = "110101199203070038";
	assert_null(approval_rules_duty_check(&d));
	/* already acted wins over the others */
	d.user        = "vr1";
	d.taken_in_by = "vr1";
	assert_string_equal(approval_rules_duty_check(&d), "already_acted");
}

static void
test_dates(void **state)
{
	(void) state;
	static const struct {
		const char *s;
		bool        ok;
	} t[] = {
		{ "2026-11-29", true },
		{ "2024-02-29", true },
		{ "2026-02-29", false },
		{ "1900-02-29", false },
		{ "2000-02-29", true },
		{ "2026-13-01", false },
		{ "2026-1-01", false },
		{ "2026-01-00", false },
		{ "2026-02-30", false },
		{ "1899-12-31", false }, /* before the years accepted */
		{ "1900-01-01", true },
		{ "9999-12-31", true },
		{ NULL, false },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sn_date d = { 0, 0, 0 };
		print_message("%s\n", t[i].s ? t[i].s : "(null)");
		assert_int_equal(
		    approval_rules_date_parse(t[i].s, &d), t[i].ok);
		if (!t[i].ok)
			assert_int_equal(d.year, 0); /* untouched */
	}
	/* The effective month: the month after the decision's. */
	static const struct {
		sn_date     day;
		const char *month;
	} m[] = {
		{ { 2026, 11, 29 }, "2026-12" },
		{ { 2026, 12, 31 }, "2027-01" },
		{ { 2027, 1, 31 }, "2027-02" },
		{ { 2024, 2, 29 }, "2024-03" },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		char buf[SN_MONTH_STRLEN];
		assert_string_equal(
		    sn_month_format(
		        approval_rules_effective_month(m[i].day), buf),
		    m[i].month);
	}
}

static void
test_names(void **state)
{
	(void) state;
	for (int c = APPROVAL_CAT_TEKUN; c <= APPROVAL_CAT_NONE; c++)
		assert_int_equal(
		    approval_rules_category_parse(
		        approval_rules_category_name((approval_category) c)),
		    c);
	assert_int_equal(
	    approval_rules_category_parse("bogus"), APPROVAL_CAT_UNSPECIFIED);
	assert_string_equal(
	    approval_rules_tier_name(APPROVAL_TIER_EDGE), "edge");
}

/* ---- the join ------------------------------------------------------------
 */

static void
test_join_table(void **state)
{
	(void) state;
#define G APPROVAL_STAGE_GATHERING
#define H APPROVAL_STAGE_HELD
	static const char no_policy[]
	    = "no policy version in force on the accepted date";
	static const struct {
		const char          *name;
		approval_join_state  in;
		approval_join_action want;
		const char          *reason;
	} t[] = {
		{ "nothing verified yet",
		    { G, "", false, false, "", true, true },
		    APPROVAL_JOIN_WAIT, "" },
		{ "incomplete verification holds",
		    { G, "", true, false, "tax,banks", false, true },
		    APPROVAL_JOIN_HOLD,
		    "verification incomplete: no answer from tax,banks" },
		{ "held for the same reason: once",
		    { H, "verification incomplete: no answer from tax", true,
		        false, "tax", true, true },
		    APPROVAL_JOIN_WAIT,
		    "verification incomplete: no answer from tax" },
		{ "held for another reason: held again",
		    { H, "verification incomplete: no answer from tax", true,
		        false, "banks", true, true },
		    APPROVAL_JOIN_HOLD,
		    "verification incomplete: no answer from banks" },
		{ "complete, no investigation, gathering: wait",
		    { G, "", true, true, "", false, true }, APPROVAL_JOIN_WAIT,
		    "" },
		{ "complete, no investigation, held: release",
		    { H, "x", true, true, "", false, true },
		    APPROVAL_JOIN_RELEASE, "" },
		{ "everything in, no policy: hold",
		    { G, "", true, true, "", true, false }, APPROVAL_JOIN_HOLD,
		    no_policy },
		{ "everything in, held for no policy already: wait",
		    { H, no_policy, true, true, "", true, false },
		    APPROVAL_JOIN_WAIT, no_policy },
		{ "everything in: classify",
		    { G, "", true, true, "", true, true },
		    APPROVAL_JOIN_CLASSIFY, "" },
		{ "everything in while held: classify",
		    { H, "old", true, true, "", true, true },
		    APPROVAL_JOIN_CLASSIFY, "" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_join j;
		print_message("%s\n", t[i].name);
		approval_rules_join(&t[i].in, &j);
		assert_int_equal(j.action, t[i].want);
		assert_string_equal(j.reason, t[i].reason);
	}
#undef G
#undef H
	assert_true(approval_rules_hold_needed(
	    APPROVAL_STAGE_GATHERING, "why", "why"));
	assert_false(
	    approval_rules_hold_needed(APPROVAL_STAGE_HELD, "why", "why"));
	assert_true(
	    approval_rules_hold_needed(APPROVAL_STAGE_HELD, "why", "other"));
}

/* ---- the steps -------------------------------------------------------------
 */

static void
test_step_table(void **state)
{
	(void) state;
	static const struct {
		approval_step  step;
		bool           yes;
		const char    *name;
		approval_stage at, to;
		const char    *action;
	} t[] = {
		{ APPROVAL_STEP_VILLAGE_REVIEW, true, "village_review",
		    APPROVAL_STAGE_VILLAGE_REVIEW,
		    APPROVAL_STAGE_TOWNSHIP_CONFIRM, "village_passed" },
		{ APPROVAL_STEP_VILLAGE_REVIEW, false, "village_review",
		    APPROVAL_STAGE_VILLAGE_REVIEW, APPROVAL_STAGE_RETURNED,
		    "village_returned" },
		{ APPROVAL_STEP_TOWNSHIP_CONFIRMATION, true,
		    "township_confirmation", APPROVAL_STAGE_TOWNSHIP_CONFIRM,
		    APPROVAL_STAGE_DISTRICT_FILING, "township_approved" },
		{ APPROVAL_STEP_TOWNSHIP_CONFIRMATION, false,
		    "township_confirmation", APPROVAL_STAGE_TOWNSHIP_CONFIRM,
		    APPROVAL_STAGE_REJECTED, "township_rejected" },
		{ APPROVAL_STEP_DISTRICT_FILING, true, "district_filing",
		    APPROVAL_STAGE_DISTRICT_FILING, APPROVAL_STAGE_FILED,
		    "district_filed" },
		{ APPROVAL_STEP_DISTRICT_FILING, false, "district_filing",
		    APPROVAL_STAGE_DISTRICT_FILING, APPROVAL_STAGE_FILED,
		    "district_filed" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(
		    approval_rules_step_name(t[i].step), t[i].name);
		assert_int_equal(
		    approval_rules_step_stage(t[i].step), t[i].at);
		assert_int_equal(
		    approval_rules_next_stage(t[i].step, t[i].yes), t[i].to);
		assert_string_equal(
		    approval_rules_step_action(t[i].step, t[i].yes),
		    t[i].action);
	}
	assert_string_equal(approval_rules_step_name((approval_step) 7), "");
	assert_int_equal(approval_rules_next_stage((approval_step) 7, true),
	    APPROVAL_STAGE_UNSPECIFIED);
}

#define V APPROVAL_STEP_VILLAGE_REVIEW
#define T APPROVAL_STEP_TOWNSHIP_CONFIRMATION
#define D APPROVAL_STEP_DISTRICT_FILING
#define C APPROVAL_CAT_UNSPECIFIED

/* A case at VILLAGE_REVIEW in village 110101001001, taken in by clerk1,
 * visited by inv1 and inv2, member 110101199003070012, nobody acted. */
static void
case_init(approval_case *c)
{
	memset(c, 0, sizeof(*c));
	c->case_id          = "app-1";
	c->stage            = APPROVAL_STAGE_VILLAGE_REVIEW;
	c->district_code    = "110101";
	c->township_code    = "110101001";
	c->village_code     = "110101001001";
	c->taken_in_by      = "clerk1";
	c->member_ids[0]    = "110101199003070012";
	c->nmembers         = 1;
	c->investigators[0] = "inv1";
	c->investigators[1] = "inv2";
	c->ninvestigators   = 2;
}

static void
test_may_act_table(void **state)
{
	(void) state;
	static const struct {
		const char    *name;
		approval_step  step;
		const char    *user, *juris, *idn;
		approval_stage stage; /* 0: VILLAGE_REVIEW */
		const char    *acted; /* NULL: nobody */
		unsigned       status;
		const char    *code;
	} t[] = {
		{ "village reviewer of the village", V, "vr1", "110101001001",
		    "", 0, NULL, 0, NULL },
		{ "village reviewer of the township's level", V, "vr1",
		    "110101001", "", 0, NULL, 0, NULL },
		{ "another village", V, "vr1", "110101002001", "", 0, NULL,
		    403, "outside_jurisdiction" },
		{ "township officer of another township", T, "to1",
		    "110101002", "", APPROVAL_STAGE_TOWNSHIP_CONFIRM, NULL,
		    403, "outside_jurisdiction" },
		{ "village-level user confirming: outside", T, "to1",
		    "110101001001", "", APPROVAL_STAGE_TOWNSHIP_CONFIRM, NULL,
		    403, "outside_jurisdiction" },
		{ "district officer filing", D, "do1", "110101", "",
		    APPROVAL_STAGE_DISTRICT_FILING, NULL, 0, NULL },
		{ "township-level user filing: outside", D, "do1", "110101001",
		    "", APPROVAL_STAGE_DISTRICT_FILING, NULL, 403,
		    "outside_jurisdiction" },
		{ "took the application in", V, "clerk1", "110101001001", "",
		    0, NULL, 403, "took_in_application" },
		{ "visited the home", V, "inv2", "110101001001", "", 0, NULL,
		    403, "visited_home" },
		{ "household member", V, "vr9", "110101001001",
		    "110101199003070012", 0, NULL, 403, "household_member" },
		{ "acted before", T, "vr1", "110101001", "",
		    APPROVAL_STAGE_TOWNSHIP_CONFIRM, "vr1", 403,
		    "already_acted" },
		{ "jurisdiction before duties", V, "clerk1", "110101002001",
		    "", 0, NULL, 403, "outside_jurisdiction" },
		{ "duties before the stage", T, "clerk1", "110101001", "", 0,
		    NULL, 403, "took_in_application" },
		{ "wrong stage", T, "to1", "110101001", "", 0, NULL, 409,
		    "wrong_stage" },
		{ "filing a filed case", D, "do1", "110101", "",
		    APPROVAL_STAGE_FILED, NULL, 409, "wrong_stage" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_case c;
		sn_principal  p = { .user = "" };
		sn_problem    prob;
		case_init(&c);
		if (t[i].stage != 0)
			c.stage = t[i].stage;
		if (t[i].acted != NULL) {
			c.actors[0] = t[i].acted;
			c.nactors   = 1;
		}
		snprintf(p.user, sizeof(p.user), "%s", t[i].user);
		snprintf(p.juris, sizeof(p.juris), "%s", t[i].juris);
		snprintf(p.id_number, sizeof(p.id_number), "%s", t[i].idn);
		sn_problem_clear(&prob);
		print_message("%s\n", t[i].name);
		assert_int_equal(
		    approval_rules_may_act(t[i].step, &p, &c, &prob),
		    t[i].status == 0);
		assert_int_equal(prob.status, t[i].status);
		if (t[i].code != NULL)
			assert_string_equal(prob.code, t[i].code);
	}
	/* The messages the client sees. */
	approval_case c;
	sn_principal  p = { .user = "to1", .juris = "110101001" };
	sn_problem    prob;
	case_init(&c);
	sn_problem_clear(&prob);
	assert_false(approval_rules_may_act(T, &p, &c, &prob));
	assert_string_equal(prob.message,
	    "the case is at stage VILLAGE_REVIEW, not TOWNSHIP_CONFIRM");
	snprintf(p.user, sizeof(p.user), "inv1");
	sn_problem_clear(&prob);
	assert_false(approval_rules_may_act(T, &p, &c, &prob));
	assert_string_equal(prob.message,
	    "segregation of duties: you may not act on this case "
	    "(visited_home)");
}

static void
test_step_request_table(void **state)
{
	(void) state;
	static const struct {
		approval_step     step;
		const char       *decision, *reason, *category;
		unsigned          status;
		const char       *code, *field;
		bool              yes;
		approval_category cat;
	} t[] = {
		{ V, "pass", "", "", 0, NULL, NULL, true, 0 },
		{ V, "return", "documents missing", "", 0, NULL, NULL, false,
		    0 },
		{ V, "return", "", "", 422, "reason_required", "reason", 0,
		    0 },
		{ V, "maybe", "", "", 400, "invalid_field", "decision", 0, 0 },
		{ V, NULL, "", "", 400, "invalid_field", "decision", 0, 0 },
		{ V, "approve", "", "", 400, "invalid_field", "decision", 0,
		    0 },
		{ T, "approve", "", "", 0, NULL, NULL, true, 0 },
		{ T, "approve", "", NULL, 0, NULL, NULL, true, 0 },
		{ T, "approve", "", "tekun", 0, NULL, NULL, true,
		    APPROVAL_CAT_TEKUN },
		{ T, "approve", "", "low_income", 0, NULL, NULL, true,
		    APPROVAL_CAT_LOW_INCOME },
		{ T, "reject", "hidden income", "", 0, NULL, NULL, false, 0 },
		{ T, "reject", "", "", 422, "reason_required", "reason", 0,
		    0 },
		{ T, "pass", "", "", 400, "invalid_field", "decision", 0, 0 },
		{ T, "approve", "", "none", 400, "invalid_field", "category",
		    0, 0 },
		{ T, "approve", "", "emergency", 400, "invalid_field",
		    "category", 0, 0 },
		{ T, "approve", "", "bogus", 400, "invalid_field", "category",
		    0, 0 },
		{ D, "", "", "", 0, NULL, NULL, true, 0 },
		{ D, "anything", "", "x", 0, NULL, NULL, true, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_step_request r = { .reason = t[i].reason };
		sn_problem            prob;
		sn_problem_clear(&prob);
		print_message(
		    "%zu: %s\n", i, t[i].decision ? t[i].decision : "");
		bool ok = approval_rules_step_request(
		    t[i].step, t[i].decision, t[i].category, &r, &prob);
		assert_int_equal(ok, t[i].status == 0);
		assert_int_equal(prob.status, t[i].status);
		if (!ok) {
			assert_string_equal(prob.code, t[i].code);
			assert_string_equal(prob.field, t[i].field);
			continue;
		}
		assert_int_equal(r.step, t[i].step);
		assert_int_equal(r.yes, t[i].yes);
		assert_int_equal(r.category, t[i].cat);
	}
}

static void
test_township_table(void **state)
{
	(void) state;
	static const struct {
		const char       *name;
		bool              yes;
		approval_category asked; /* C: keep */
		const char       *reason;
		approval_category computed;
		unsigned          status;
		const char       *code;
		approval_category cat;
		sn_fen            amount;
		bool              refs;
	} t[] = {
		{ "approve the computed dibao", true, C, "",
		    APPROVAL_CAT_DIBAO, 0, NULL, APPROVAL_CAT_DIBAO, 66000,
		    true },
		{ "approve naming the computed category, no reason", true,
		    APPROVAL_CAT_DIBAO, "", APPROVAL_CAT_DIBAO, 0, NULL,
		    APPROVAL_CAT_DIBAO, 66000, true },
		{ "override to tekun with a reason: tekun amount", true,
		    APPROVAL_CAT_TEKUN, "cannot work", APPROVAL_CAT_DIBAO, 0,
		    NULL, APPROVAL_CAT_TEKUN, 314000, true },
		{ "override without a reason", true, APPROVAL_CAT_TEKUN, "",
		    APPROVAL_CAT_DIBAO, 422, "reason_required", 0, 0, false },
		{ "override to an edge category: no amount", true,
		    APPROVAL_CAT_LOW_INCOME, "edge", APPROVAL_CAT_DIBAO, 0,
		    NULL, APPROVAL_CAT_LOW_INCOME, 0, true },
		{ "override from low income to dibao: dibao amount", true,
		    APPROVAL_CAT_DIBAO, "recount", APPROVAL_CAT_LOW_INCOME, 0,
		    NULL, APPROVAL_CAT_DIBAO, 12000, true },
		{ "approve a household in no category", true, C, "",
		    APPROVAL_CAT_NONE, 422, "not_eligible", 0, 0, false },
		{ "override a household in no category", true,
		    APPROVAL_CAT_DIBAO, "exception", APPROVAL_CAT_NONE, 0,
		    NULL, APPROVAL_CAT_DIBAO, 12000, true },
		{ "reject: no amount, no referrals", false, C, "hidden income",
		    APPROVAL_CAT_DIBAO, 0, NULL, APPROVAL_CAT_DIBAO, 0,
		    false },
		{ "reject a household in no category", false, C, "no",
		    APPROVAL_CAT_NONE, 0, NULL, APPROVAL_CAT_NONE, 0, false },
	};
	sn_date today = { 2026, 12, 31 };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_case c;
		case_init(&c);
		c.stage    = APPROVAL_STAGE_TOWNSHIP_CONFIRM;
		c.category = t[i].computed;
		c.monthly_amount_fen
		    = t[i].computed == APPROVAL_CAT_DIBAO ? 66000 : 0;
		c.tekun_amount_fen      = 314000;
		c.dibao_amount_fen      = 12000;
		c.referrals             = APPROVAL_REF_MEDICAL;
		approval_step_request r = {
			.step     = APPROVAL_STEP_TOWNSHIP_CONFIRMATION,
			.yes      = t[i].yes,
			.reason   = t[i].reason,
			.category = t[i].asked,
		};
		approval_decision d;
		sn_problem        prob;
		sn_problem_clear(&prob);
		print_message("%s\n", t[i].name);
		bool ok = approval_rules_township(&r, &c, today, &d, &prob);
		assert_int_equal(ok, t[i].status == 0);
		assert_int_equal(prob.status, t[i].status);
		if (!ok) {
			assert_string_equal(prob.code, t[i].code);
			continue;
		}
		assert_int_equal(d.approved, t[i].yes);
		assert_int_equal(d.to,
		    t[i].yes ? APPROVAL_STAGE_DISTRICT_FILING
		             : APPROVAL_STAGE_REJECTED);
		assert_int_equal(d.category, t[i].cat);
		assert_int_equal(d.tier, approval_rules_tier(t[i].cat));
		assert_int_equal(d.monthly_amount_fen, t[i].amount);
		assert_int_equal(
		    d.referrals, t[i].refs ? APPROVAL_REF_MEDICAL : 0u);
		assert_int_equal(d.effective_month.year, 2027);
		assert_int_equal(d.effective_month.month, 1);
	}
}

#undef V
#undef T
#undef D
#undef C

/* ---- policy versions
 * ---------------------------------------------------------- */

static void
test_policy_add_table(void **state)
{
	(void) state;
	sn_date today = { 2026, 12, 2 };
	static const struct {
		const char           *name;
		approval_policy_taken t;
		sn_date               from;
		const char           *code; /* NULL: may add */
		const char           *field;
	} t[] = {
		{ "tomorrow",
		    { 1, false, false, false, 0, 0, false,
		        { 0, 0, 0, 0, 0, 0, 0 } },
		    { 2026, 12, 3 }, NULL, NULL },
		{ "today",
		    { 1, false, false, false, 0, 0, false,
		        { 0, 0, 0, 0, 0, 0, 0 } },
		    { 2026, 12, 2 }, "policy_in_force", "effective_from" },
		{ "yesterday",
		    { 1, false, false, false, 0, 0, false,
		        { 0, 0, 0, 0, 0, 0, 0 } },
		    { 2026, 12, 1 }, "policy_in_force", "effective_from" },
		{ "the first version may start in the past",
		    { 0, false, false, false, 0, 0, false,
		        { 0, 0, 0, 0, 0, 0, 0 } },
		    { 2020, 1, 1 }, NULL, NULL },
		{ "name taken",
		    { 1, true, false, false, 0, 0, false,
		        { 0, 0, 0, 0, 0, 0, 0 } },
		    { 2027, 1, 1 }, "version_exists", "version" },
		{ "name taken wins over the date",
		    { 1, true, true, false, 0, 0, false,
		        { 0, 0, 0, 0, 0, 0, 0 } },
		    { 2026, 1, 1 }, "version_exists", "version" },
		{ "date taken",
		    { 1, false, true, false, 0, 0, false,
		        { 0, 0, 0, 0, 0, 0, 0 } },
		    { 2027, 1, 1 }, "date_taken", "effective_from" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sn_problem prob;
		sn_problem_clear(&prob);
		print_message("%s\n", t[i].name);
		bool ok = approval_rules_policy_add(
		    &t[i].t, t[i].from, today, &prob);
		assert_int_equal(ok, t[i].code == NULL);
		if (ok)
			continue;
		assert_int_equal(prob.status, 409);
		assert_string_equal(prob.code, t[i].code);
		assert_string_equal(prob.field, t[i].field);
	}
}

static void
test_in_force_table(void **state)
{
	(void) state;
	approval_policy_version v[3];
	memset(v, 0, sizeof(v));
	v[0].effective_from = (sn_date) { 2026, 1, 1 };
	v[1].effective_from = (sn_date) { 2027, 1, 1 };
	v[2].effective_from = (sn_date) { 2026, 7, 1 }; /* out of order */
	static const struct {
		sn_date   day;
		ptrdiff_t want;
	} t[] = {
		{ { 2025, 12, 31 }, -1 },
		{ { 2026, 1, 1 }, 0 },
		{ { 2026, 6, 30 }, 0 },
		{ { 2026, 7, 1 }, 2 },
		{ { 2026, 12, 31 }, 2 },
		{ { 2027, 1, 1 }, 1 },
		{ { 2099, 1, 1 }, 1 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(
		    approval_rules_in_force(v, 3, t[i].day), t[i].want);
	assert_int_equal(approval_rules_in_force(v, 0, t[0].day), -1);
}

static void
test_versions_and_fields(void **state)
{
	(void) state;
	static const struct {
		const char *s;
		bool        ok;
	} t[] = { { "2026-01", true }, { "v.next_2", true }, { "", false },
		{ "a b", false }, { "x/y", false }, { NULL, false },
		{ "1234567890123456789012345678901", true },
		{ "12345678901234567890123456789012", false } };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(
		    approval_rules_version_valid(t[i].s), t[i].ok);
	/* The figures and their least values (the table's CHECKs). */
	static const struct {
		const char *name;
		int64_t     min;
	} f[APPROVAL_POLICY_NFIELDS] = { { "urban_min_fen", 1 },
		{ "rural_min_fen", 1 }, { "urban_basic_fen", 1 },
		{ "rural_basic_fen", 1 }, { "care_able_fen", 0 },
		{ "care_partially_able_fen", 0 }, { "care_unable_fen", 0 },
		{ "low_income_factor_percent", 100 }, { "asset_multiple", 1 },
		{ "max_homes", 0 }, { "business_capital_limit_fen", 0 } };
	for (size_t i = 0; i < APPROVAL_POLICY_NFIELDS; i++) {
		assert_string_equal(approval_policy_fields[i].name, f[i].name);
		assert_int_equal(approval_policy_fields[i].min, f[i].min);
	}
	int64_t x;
	memcpy(&x, (const char *) &P + approval_policy_fields[7].offset,
	    sizeof(x));
	assert_int_equal(x, 150);
}

static void
test_stage_names(void **state)
{
	(void) state;
	for (int s = APPROVAL_STAGE_GATHERING; s <= APPROVAL_STAGE_WITHDRAWN;
	     s++)
		assert_int_equal(
		    approval_rules_stage_parse(
		        approval_rules_stage_name((approval_stage) s)),
		    s);
	assert_string_equal(
	    approval_rules_stage_name(APPROVAL_STAGE_TOWNSHIP_CONFIRM),
	    "TOWNSHIP_CONFIRM");
	assert_null(approval_stage_names[APPROVAL_NSTAGES]);
	assert_string_equal(approval_stage_names[0], "");
	assert_int_equal(
	    approval_rules_stage_parse("bogus"), APPROVAL_STAGE_UNSPECIFIED);
	assert_int_equal(
	    approval_rules_stage_parse(""), APPROVAL_STAGE_UNSPECIFIED);
	assert_string_equal(
	    approval_rules_stage_name((approval_stage) 42), "");
	assert_null(approval_category_names[APPROVAL_CAT_NONE + 1]);
}

/* ---- the register over time ---------------------------------------- */

#define M(y, m)                                                               \
	{                                                                     \
		y, m                                                          \
	}
#define OPEN M(0, 0)

#define E_DIBAO                                                               \
	{                                                                     \
		APPROVAL_CAT_DIBAO, APPROVAL_TIER_CORE, 66000,                \
		    APPROVAL_STANDING_ACTIVE, OPEN                            \
	}
#define E_GRADUAL                                                             \
	{                                                                     \
		APPROVAL_CAT_DIBAO, APPROVAL_TIER_CORE, 66000,                \
		    APPROVAL_STANDING_GRADUAL_EXIT, M(2027, 3)                \
	}
#define E_TEKUN(amount)                                                       \
	{                                                                     \
		APPROVAL_CAT_TEKUN, APPROVAL_TIER_CORE, amount,               \
		    APPROVAL_STANDING_ACTIVE, OPEN                            \
	}
#define E_EDGE(cat)                                                           \
	{                                                                     \
		cat, APPROVAL_TIER_EDGE, 0, APPROVAL_STANDING_ACTIVE, OPEN    \
	}

/* What a change should be. */
struct want {
	approval_outcome  outcome;
	approval_cause    cause;
	bool              changed;
	approval_category cat;
	approval_standing standing;
	sn_fen            amount;
	sn_month          first, until;
};

#define STAYS(amount_, first_)                                                \
	{                                                                     \
		APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_REVIEW, true,          \
		    APPROVAL_CAT_DIBAO, APPROVAL_STANDING_ACTIVE, amount_,    \
		    first_, OPEN                                              \
	}
#define GRADUAL(amount_, first_, until_)                                      \
	{                                                                     \
		APPROVAL_OUTCOME_GRADUAL, APPROVAL_CAUSE_REVIEW, true,        \
		    APPROVAL_CAT_DIBAO, APPROVAL_STANDING_GRADUAL_EXIT,       \
		    amount_, first_, until_                                   \
	}
#define EXITS(cause_, cat_, last_, first_)                                    \
	{                                                                     \
		APPROVAL_OUTCOME_EXIT, cause_, true, cat_,                    \
		    APPROVAL_STANDING_EXITED, 0, first_, last_                \
	}

static void
check_change(const char *name, const approval_change *c, const struct want *w,
    sn_fen old_amount)
{
	print_message("%s\n", name);
	assert_int_equal(c->outcome, w->outcome);
	assert_int_equal(c->cause, w->cause);
	assert_int_equal(c->changed, w->changed);
	assert_int_equal(c->category, w->cat);
	assert_int_equal(c->tier, approval_rules_tier(w->cat));
	assert_int_equal(c->standing, w->standing);
	assert_int_equal(c->amount_fen, w->amount);
	assert_int_equal(c->old_amount_fen, old_amount);
	assert_int_equal(c->first_month.year, w->first.year);
	assert_int_equal(c->first_month.month, w->first.month);
	assert_int_equal(c->until_month.year, w->until.year);
	assert_int_equal(c->until_month.month, w->until.month);
}

struct review_row {
	const char    *name;
	struct row     h;
	approval_entry e;
	sn_month       decided;
	approval_cause cause;
	struct want    want;
};

/* BASE: urban, two members able to work, S 83000 (2S 166000), decided
 * 2026-09 unless a row says otherwise. */
static const struct review_row review_rows[] = {
	/* C against S */
	{ "C = S stays (amount 0)", { "", BASE, .g = 83000 }, E_DIBAO,
	    M(2026, 9), APPROVAL_CAUSE_REVIEW, STAYS(0, M(2026, 10)) },
	{ "C = S - 1 stays, 2 fen round up to 1 yuan",
	    { "", BASE, .g = 82999 }, E_DIBAO, M(2026, 9),
	    APPROVAL_CAUSE_REVIEW, STAYS(100, M(2026, 10)) },
	{ "C = S + 1 gradual exit", { "", BASE, .g = 83001 }, E_DIBAO,
	    M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    GRADUAL(66000, M(2026, 10), M(2027, 3)) },
	{ "C = 2S - 1 gradual exit", { "", BASE, .g = 165999 }, E_DIBAO,
	    M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    GRADUAL(66000, M(2026, 10), M(2027, 3)) },
	{ "C = 2S exits at the end of the month", { "", BASE, .g = 166000 },
	    E_DIBAO, M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    EXITS(APPROVAL_CAUSE_EXIT, APPROVAL_CAT_DIBAO, M(2026, 9),
	        M(2026, 10)) },
	{ "C = 2S + 1 exits", { "", BASE, .g = 166001 }, E_DIBAO, M(2026, 9),
	    APPROVAL_CAUSE_REVIEW,
	    EXITS(APPROVAL_CAUSE_EXIT, APPROVAL_CAT_DIBAO, M(2026, 9),
	        M(2026, 10)) },
	{ "exit in December: paid until December", { "", BASE, .g = 200000 },
	    E_DIBAO, M(2026, 12), APPROVAL_CAUSE_REVIEW,
	    EXITS(APPROVAL_CAUSE_EXIT, APPROVAL_CAT_DIBAO, M(2026, 12),
	        M(2027, 1)) },
	/* deductions: C = G - D */
	{ "deductions bring C to S: stays",
	    { "", BASE, .g = 90000, .d = 7000 }, E_DIBAO, M(2026, 9),
	    APPROVAL_CAUSE_REVIEW, STAYS(0, M(2026, 10)) },
	{ "deductions counted in the amount",
	    { "", BASE, .g = 90000, .d = 20000 }, E_DIBAO, M(2026, 9),
	    APPROVAL_CAUSE_REVIEW, STAYS(26000, M(2026, 10)) },
	{ "deductions bring C to 2S - 1: gradual",
	    { "", BASE, .g = 170000, .d = 4001 }, E_DIBAO, M(2026, 9),
	    APPROVAL_CAUSE_REVIEW, GRADUAL(66000, M(2026, 10), M(2027, 3)) },
	{ "deductions bring C to 2S: exits",
	    { "", BASE, .g = 170000, .d = 4000 }, E_DIBAO, M(2026, 9),
	    APPROVAL_CAUSE_REVIEW,
	    EXITS(APPROVAL_CAUSE_EXIT, APPROVAL_CAT_DIBAO, M(2026, 9),
	        M(2026, 10)) },
	{ "C below zero pays S, no more", { "", BASE, .g = 10000, .d = 30000 },
	    E_DIBAO, M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    STAYS(166000, M(2026, 10)) },
	/* rounding */
	{ "same amount: stays, nothing changed", { "", BASE, .g = 50000 },
	    E_DIBAO, M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    { APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_REVIEW, false,
	        APPROVAL_CAT_DIBAO, APPROVAL_STANDING_ACTIVE, 66000,
	        M(2026, 10), OPEN } },
	{ "one fen over a whole yuan rounds up",
	    { "", BASE, .n = 1, .g = 50099 }, E_DIBAO, M(2026, 9),
	    APPROVAL_CAUSE_REVIEW, STAYS(33000, M(2026, 10)) },
	{ "a whole yuan stays", { "", BASE, .n = 1, .g = 50100 }, E_DIBAO,
	    M(2026, 9), APPROVAL_CAUSE_REVIEW, STAYS(32900, M(2026, 10)) },
	/* rural S 63000 */
	{ "rural C = S stays",
	    { "", BASE, .reg = APPROVAL_REG_RURAL, .g = 63000 }, E_DIBAO,
	    M(2026, 9), APPROVAL_CAUSE_REVIEW, STAYS(0, M(2026, 10)) },
	{ "rural C = S + 1 gradual",
	    { "", BASE, .reg = APPROVAL_REG_RURAL, .g = 63001 }, E_DIBAO,
	    M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    GRADUAL(66000, M(2026, 10), M(2027, 3)) },
	{ "rural C = 2S exits",
	    { "", BASE, .reg = APPROVAL_REG_RURAL, .g = 126000 }, E_DIBAO,
	    M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    EXITS(APPROVAL_CAUSE_EXIT, APPROVAL_CAT_DIBAO, M(2026, 9),
	        M(2026, 10)) },
	/* gradual exit across a year end */
	{ "gradual decided in December ends in June",
	    { "", BASE, .g = 100000 }, E_DIBAO, M(2026, 12),
	    APPROVAL_CAUSE_REVIEW, GRADUAL(66000, M(2027, 1), M(2027, 6)) },
	{ "gradual decided in July ends in January", { "", BASE, .g = 100000 },
	    E_DIBAO, M(2026, 7), APPROVAL_CAUSE_REVIEW,
	    GRADUAL(66000, M(2026, 8), M(2027, 1)) },
	/* a household in gradual exit (until 2027-03) */
	{ "gradual exit finding C <= S returns to active",
	    { "", BASE, .g = 83000, .d = 10000 }, E_GRADUAL, M(2026, 11),
	    APPROVAL_CAUSE_REVIEW,
	    { APPROVAL_OUTCOME_RETURNS, APPROVAL_CAUSE_REVIEW, true,
	        APPROVAL_CAT_DIBAO, APPROVAL_STANDING_ACTIVE, 20000,
	        M(2026, 12), OPEN } },
	{ "gradual exit returns even with the same amount",
	    { "", BASE, .g = 50000 }, E_GRADUAL, M(2026, 11),
	    APPROVAL_CAUSE_REVIEW,
	    { APPROVAL_OUTCOME_RETURNS, APPROVAL_CAUSE_REVIEW, true,
	        APPROVAL_CAT_DIBAO, APPROVAL_STANDING_ACTIVE, 66000,
	        M(2026, 12), OPEN } },
	{ "gradual exit still above S keeps its end",
	    { "", BASE, .g = 100000 }, E_GRADUAL, M(2026, 11),
	    APPROVAL_CAUSE_REVIEW,
	    { APPROVAL_OUTCOME_UNCHANGED, APPROVAL_CAUSE_REVIEW, false,
	        APPROVAL_CAT_DIBAO, APPROVAL_STANDING_GRADUAL_EXIT, 66000,
	        OPEN, M(2027, 3) } },
	{ "gradual exit at 2S exits now", { "", BASE, .g = 166000 }, E_GRADUAL,
	    M(2026, 11), APPROVAL_CAUSE_REVIEW,
	    EXITS(APPROVAL_CAUSE_EXIT, APPROVAL_CAT_DIBAO, M(2026, 11),
	        M(2026, 12)) },
	/* tekun (urban, one member able to look after oneself: 157000) */
	{ "tekun still tekun: nothing changed", { "", TEKUN }, E_TEKUN(157000),
	    M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    { APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_REVIEW, false,
	        APPROVAL_CAT_TEKUN, APPROVAL_STANDING_ACTIVE, 157000,
	        M(2026, 10), OPEN } },
	{ "tekun care worsened: new tekun amount",
	    { "", TEKUN, .care = APPROVAL_CARE_UNABLE }, E_TEKUN(157000),
	    M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    { APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_REVIEW, true,
	        APPROVAL_CAT_TEKUN, APPROVAL_STANDING_ACTIVE, 262000,
	        M(2026, 10), OPEN } },
	{ "tekun member gained labour capacity: dibao",
	    { "", TEKUN, .n = 2, .labour0 = APPROVAL_LABOUR_PARTIAL },
	    E_TEKUN(314000), M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    STAYS(166000, M(2026, 10)) },
	{ "tekun gained an able supporter: dibao",
	    { "", TEKUN, .supporter = true }, E_TEKUN(157000), M(2026, 9),
	    APPROVAL_CAUSE_REVIEW, STAYS(83000, M(2026, 10)) },
	{ "tekun with income between S and 2S: gradual, amount kept",
	    { "", TEKUN, .g = 100000 }, E_TEKUN(157000), M(2026, 9),
	    APPROVAL_CAUSE_REVIEW,
	    { APPROVAL_OUTCOME_GRADUAL, APPROVAL_CAUSE_REVIEW, true,
	        APPROVAL_CAT_TEKUN, APPROVAL_STANDING_GRADUAL_EXIT, 157000,
	        M(2026, 10), M(2027, 3) } },
	{ "tekun with income at 2S: exits",
	    { "", TEKUN, .labour = APPROVAL_LABOUR_FULL, .g = 166000 },
	    E_TEKUN(157000), M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    EXITS(APPROVAL_CAUSE_EXIT, APPROVAL_CAT_TEKUN, M(2026, 9),
	        M(2026, 10)) },
	/* edge households: classification decides */
	{ "low income stays low income", { "", BASE, .g = 100000 },
	    E_EDGE(APPROVAL_CAT_LOW_INCOME), M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    { APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_REVIEW, false,
	        APPROVAL_CAT_LOW_INCOME, APPROVAL_STANDING_ACTIVE, 0,
	        M(2026, 10), OPEN } },
	{ "low income one fen over 1.5 S exits", { "", BASE, .g = 124501 },
	    E_EDGE(APPROVAL_CAT_LOW_INCOME), M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    EXITS(APPROVAL_CAUSE_EXIT, APPROVAL_CAT_LOW_INCOME, M(2026, 9),
	        M(2026, 10)) },
	{ "low income fallen below S becomes dibao", { "", BASE },
	    E_EDGE(APPROVAL_CAT_LOW_INCOME), M(2026, 9), APPROVAL_CAUSE_REVIEW,
	    STAYS(66000, M(2026, 10)) },
	{ "expenditure stays expenditure",
	    { "", BASE, .g = 90000, .d = 20000 },
	    E_EDGE(APPROVAL_CAT_EXPENDITURE), M(2026, 9),
	    APPROVAL_CAUSE_REVIEW,
	    { APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_REVIEW, false,
	        APPROVAL_CAT_EXPENDITURE, APPROVAL_STANDING_ACTIVE, 0,
	        M(2026, 10), OPEN } },
	/* unscheduled reviews */
	{ "change report: stays under its cause", { "", BASE, .g = 60000 },
	    E_DIBAO, M(2026, 9), APPROVAL_CAUSE_CHANGE_REPORT,
	    { APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_CHANGE_REPORT, true,
	        APPROVAL_CAT_DIBAO, APPROVAL_STANDING_ACTIVE, 46000,
	        M(2026, 10), OPEN } },
	{ "change report: an exit's cause is exit", { "", BASE, .g = 170000 },
	    E_DIBAO, M(2026, 9), APPROVAL_CAUSE_CHANGE_REPORT,
	    EXITS(APPROVAL_CAUSE_EXIT, APPROVAL_CAT_DIBAO, M(2026, 9),
	        M(2026, 10)) },
};

static void
test_review_table(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(review_rows) / sizeof(review_rows[0]);
	     i++) {
		const struct review_row *r = &review_rows[i];
		approval_member          m[8];
		approval_household       h;
		approval_change          c;
		build(&r->h, &h, m);
		assert_int_equal(approval_rules_review(
		                     &P, &h, &r->e, r->decided, r->cause, &c),
		    SN_OK);
		check_change(r->name, &c, &r->want, r->e.monthly_amount_fen);
		assert_int_equal(c.net_per_member_fen, r->h.g - r->h.d);
	}
}

static void
test_review_invalid(void **state)
{
	(void) state;
	struct row         r = { "x", BASE };
	approval_member    m[8];
	approval_household h;
	approval_change    c;
	build(&r, &h, m);
	approval_entry e = E_DIBAO;
	sn_month       d = M(2026, 9);
	e.standing       = APPROVAL_STANDING_EXITED;
	assert_int_equal(
	    approval_rules_review(&P, &h, &e, d, APPROVAL_CAUSE_REVIEW, &c),
	    SN_EINVAL);
	e.standing = APPROVAL_STANDING_SUSPENDED;
	assert_int_equal(
	    approval_rules_review(&P, &h, &e, d, APPROVAL_CAUSE_REVIEW, &c),
	    SN_EINVAL);
	e          = (approval_entry) E_DIBAO;
	e.category = APPROVAL_CAT_NONE;
	assert_int_equal(
	    approval_rules_review(&P, &h, &e, d, APPROVAL_CAUSE_REVIEW, &c),
	    SN_EINVAL);
	e = (approval_entry) E_DIBAO;
	assert_int_equal(
	    approval_rules_review(
	        &P, &h, &e, (sn_month) M(2026, 13), APPROVAL_CAUSE_REVIEW, &c),
	    SN_EINVAL);
	h.nmembers = 0;
	assert_int_equal(
	    approval_rules_review(&P, &h, &e, d, APPROVAL_CAUSE_REVIEW, &c),
	    SN_EINVAL);
}

static void
test_death_and_move(void **state)
{
	(void) state;
	approval_member    m[8];
	approval_household h;
	approval_change    c;
	approval_entry     e   = E_DIBAO;
	approval_entry     g   = E_GRADUAL;
	sn_month           sep = M(2026, 9), dec = M(2026, 12);

	/* the last member: paid to the end of the month of death */
	assert_int_equal(approval_rules_death(&P, NULL, &e, sep, &c), SN_OK);
	check_change("last member died", &c,
	    &(struct want) EXITS(APPROVAL_CAUSE_DEATH, APPROVAL_CAT_DIBAO,
	        M(2026, 9), M(2026, 10)),
	    66000);
	struct row one = { "", BASE, .n = 1 };
	build(&one, &h, m);
	h.nmembers = 0;
	assert_int_equal(approval_rules_death(&P, &h, &e, dec, &c), SN_OK);
	check_change("last member died in December", &c,
	    &(struct want) EXITS(APPROVAL_CAUSE_DEATH, APPROVAL_CAT_DIBAO,
	        M(2026, 12), M(2027, 1)),
	    66000);

	/* one of two: re-rated from the month after */
	build(&one, &h, m);
	assert_int_equal(approval_rules_death(&P, &h, &e, sep, &c), SN_OK);
	check_change("one of two died", &c,
	    &(struct want) { APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_DEATH,
	        true, APPROVAL_CAT_DIBAO, APPROVAL_STANDING_ACTIVE, 33000,
	        M(2026, 10), OPEN },
	    66000);
	struct row richer = { "", BASE, .n = 1, .g = 100000 };
	build(&richer, &h, m);
	assert_int_equal(approval_rules_death(&P, &h, &e, sep, &c), SN_OK);
	check_change("a death raising C above S: gradual", &c,
	    &(struct want) { APPROVAL_OUTCOME_GRADUAL, APPROVAL_CAUSE_DEATH,
	        true, APPROVAL_CAT_DIBAO, APPROVAL_STANDING_GRADUAL_EXIT,
	        66000, M(2026, 10), M(2027, 3) },
	    66000);
	struct row rich = { "", BASE, .n = 1, .g = 166000 };
	build(&rich, &h, m);
	assert_int_equal(approval_rules_death(&P, &h, &e, sep, &c), SN_OK);
	check_change("a death raising C to 2S: exit, cause death", &c,
	    &(struct want) EXITS(APPROVAL_CAUSE_DEATH, APPROVAL_CAT_DIBAO,
	        M(2026, 9), M(2026, 10)),
	    66000);

	/* moved out of the district: paid to the end of the month */
	assert_int_equal(approval_rules_moved(&e, sep, &c), SN_OK);
	check_change("moved out", &c,
	    &(struct want) EXITS(APPROVAL_CAUSE_MOVED, APPROVAL_CAT_DIBAO,
	        M(2026, 9), M(2026, 10)),
	    66000);
	assert_int_equal(approval_rules_moved(&g, dec, &c), SN_OK);
	check_change("moved out during gradual exit", &c,
	    &(struct want) EXITS(APPROVAL_CAUSE_MOVED, APPROVAL_CAT_DIBAO,
	        M(2026, 12), M(2027, 1)),
	    66000);

	e.standing = APPROVAL_STANDING_EXITED;
	assert_int_equal(approval_rules_moved(&e, sep, &c), SN_EINVAL);
	assert_int_equal(
	    approval_rules_death(&P, NULL, &e, sep, &c), SN_EINVAL);
}

/* A review case's dispatch (approval_rules_review_case): each kind of
 * change to the rule it names, a periodic review's cause review and an
 * unscheduled one's change_report. */
static void
test_review_case_table(void **state)
{
	(void) state;
	approval_member    m[8];
	approval_household h;
	approval_change    c;
	approval_entry     e   = E_DIBAO;
	sn_month           sep = M(2026, 9);
	struct row         two = { "", BASE }, one = { "", BASE, .n = 1 };
	static const struct {
		const char          *name;
		bool                 scheduled;
		approval_change_kind kind;
		bool                 alone; /* the household after: none */
		approval_outcome     outcome;
		approval_cause       cause;
	} t[] = {
		{ "periodic", true, APPROVAL_CHANGE_NONE, false,
		    APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_REVIEW },
		{ "income change", false, APPROVAL_CHANGE_INCOME, false,
		    APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_CHANGE_REPORT },
		{ "address", false, APPROVAL_CHANGE_ADDRESS, false,
		    APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_CHANGE_REPORT },
		{ "death of one of two", false, APPROVAL_CHANGE_DEATH, false,
		    APPROVAL_OUTCOME_STAYS, APPROVAL_CAUSE_DEATH },
		{ "death of the last", false, APPROVAL_CHANGE_DEATH, true,
		    APPROVAL_OUTCOME_EXIT, APPROVAL_CAUSE_DEATH },
		{ "moved out", false, APPROVAL_CHANGE_MOVED_OUT, false,
		    APPROVAL_OUTCOME_EXIT, APPROVAL_CAUSE_MOVED },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		build(t[i].kind == APPROVAL_CHANGE_DEATH ? &one : &two, &h, m);
		if (t[i].alone)
			h.nmembers = 0;
		assert_int_equal(approval_rules_review_case(&P, &h, &e, sep,
		                     t[i].scheduled, t[i].kind, &c),
		    SN_OK);
		if (c.outcome != t[i].outcome || c.cause != t[i].cause)
			fail_msg("%s: outcome %s cause %d", t[i].name,
			    approval_rules_outcome_name(c.outcome), c.cause);
	}
	assert_string_equal(
	    approval_rules_outcome_name(APPROVAL_OUTCOME_GRADUAL),
	    "gradual_exit");
	assert_string_equal(
	    approval_rules_outcome_name((approval_outcome) 99), "");
}

/* A review case's hold: the consent lapsed by the review's opening
 * (12 months after its signing, that day still valid), none on file, or
 * the agencies that did not answer. */
static void
test_review_hold_reason(void **state)
{
	(void) state;
	char          why[512];
	const sn_date signed_on = { 2025, 6, 30 };
	static const struct {
		const char *name;
		bool        has;
		sn_date     opened;
		const char *starts;
	} t[] = {
		{ "within 12 months", true, { 2026, 6, 30 },
		    "verification incomplete: no answer from tax" },
		{ "a day past 12 months", true, { 2026, 7, 1 },
		    "verification incomplete: the consent on file (signed "
		    "2025-06-30) expired" },
		{ "no consent", false, { 2026, 1, 1 },
		    "verification incomplete: no consent with a signed date" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_rules_review_hold_reason(
		    t[i].has, signed_on, t[i].opened, "tax", why);
		if (strncmp(why, t[i].starts, strlen(t[i].starts)) != 0)
			fail_msg("%s: %s", t[i].name, why);
	}
}

/* The register figures' table: each at its member, 32 or 64 bits. */
static void
test_register_fields(void **state)
{
	(void) state;
	approval_register_policy rp = APPROVAL_REGISTER_POLICY_DEFAULT;
	const int64_t            want[APPROVAL_REGISTER_NFIELDS]
	    = { 12, 6, 12, 12, 5000, 35, 60 };
	for (size_t i = 0; i < APPROVAL_REGISTER_NFIELDS; i++)
		assert_int_equal(approval_register_field_get(
		                     &rp, &approval_register_fields[i]),
		    want[i]);
	approval_register_field_set(&rp, &approval_register_fields[1], 3);
	approval_register_field_set(&rp, &approval_register_fields[4], 8000);
	assert_int_equal(rp.review_months_dibao, 3);
	assert_int_equal(rp.price_subsidy_per_person_fen, 8000);
	assert_int_equal(rp.review_months_dibao_stable, 12);
	assert_int_equal(rp.cpi_threshold_permille, 35);
}

static void
test_gradual_end(void **state)
{
	(void) state;
	approval_entry  g = E_GRADUAL, a = E_DIBAO;
	approval_change c;
	approval_rules_gradual_end(&g, (sn_month) M(2027, 3), &c);
	check_change("gradual exit in its last month", &c,
	    &(struct want) { APPROVAL_OUTCOME_UNCHANGED, APPROVAL_CAUSE_EXIT,
	        false, APPROVAL_CAT_DIBAO, APPROVAL_STANDING_GRADUAL_EXIT,
	        66000, OPEN, M(2027, 3) },
	    66000);
	approval_rules_gradual_end(&g, (sn_month) M(2027, 4), &c);
	check_change("gradual exit after its last month", &c,
	    &(struct want) EXITS(APPROVAL_CAUSE_EXIT, APPROVAL_CAT_DIBAO,
	        M(2027, 3), M(2027, 4)),
	    66000);
	approval_rules_gradual_end(&a, (sn_month) M(2030, 1), &c);
	assert_int_equal(c.outcome, APPROVAL_OUTCOME_UNCHANGED);
	assert_false(c.changed);
}

#define D(y, m, d)                                                            \
	{                                                                     \
		y, m, d                                                       \
	}

struct review_date_row {
	const char     *name;
	approval_entry  e;
	int             n;
	approval_labour labour, labour0;
	approval_income inc;
	sn_date         decided;
	sn_err          err;
	sn_date         want;
};

#define PENSION                                                               \
	{                                                                     \
		.pensions_fen = 90000                                         \
	}

static const struct review_date_row review_date_rows[] = {
	{ "dibao, nobody can work, pensions only: 12 months", E_DIBAO, 2,
	    APPROVAL_LABOUR_NONE, 0, PENSION, D(2026, 9, 15), SN_OK,
	    D(2027, 9, 15) },
	{ "dibao, nobody can work, other income only: 12 months", E_DIBAO, 1,
	    APPROVAL_LABOUR_NONE, 0, { .other_fen = 1 }, D(2026, 9, 15), SN_OK,
	    D(2027, 9, 15) },
	{ "dibao, nobody can work, no income: 12 months", E_DIBAO, 1,
	    APPROVAL_LABOUR_NONE, 0, { 0 }, D(2026, 9, 15), SN_OK,
	    D(2027, 9, 15) },
	{ "dibao, nobody can work, one fen of wages: 6 months", E_DIBAO, 2,
	    APPROVAL_LABOUR_NONE, 0, { .wages_fen = 1, .pensions_fen = 90000 },
	    D(2026, 9, 15), SN_OK, D(2027, 3, 15) },
	{ "dibao, nobody can work, business income: 6 months", E_DIBAO, 2,
	    APPROVAL_LABOUR_NONE, 0, { .business_fen = 1 }, D(2026, 9, 15),
	    SN_OK, D(2027, 3, 15) },
	{ "dibao, one member can work partially: 6 months", E_DIBAO, 2,
	    APPROVAL_LABOUR_NONE, APPROVAL_LABOUR_PARTIAL, PENSION,
	    D(2026, 9, 15), SN_OK, D(2027, 3, 15) },
	{ "dibao able to work: 6 months, month end kept", E_DIBAO, 2,
	    APPROVAL_LABOUR_FULL, 0, PENSION, D(2026, 8, 31), SN_OK,
	    D(2027, 2, 28) },
	{ "tekun: 12 months", E_TEKUN(157000), 1, APPROVAL_LABOUR_NONE, 0,
	    { 0 }, D(2026, 11, 29), SN_OK, D(2027, 11, 29) },
	{ "tekun from a leap day", E_TEKUN(157000), 1, APPROVAL_LABOUR_NONE, 0,
	    { 0 }, D(2028, 2, 29), SN_OK, D(2029, 2, 28) },
	{ "low income: 12 months", E_EDGE(APPROVAL_CAT_LOW_INCOME), 2,
	    APPROVAL_LABOUR_FULL, 0, { .wages_fen = 200000 }, D(2026, 9, 15),
	    SN_OK, D(2027, 9, 15) },
	{ "expenditure: 12 months", E_EDGE(APPROVAL_CAT_EXPENDITURE), 2,
	    APPROVAL_LABOUR_FULL, 0, { .wages_fen = 200000 }, D(2026, 9, 15),
	    SN_OK, D(2027, 9, 15) },
	{ "gradual exit: the end of its last month", E_GRADUAL, 2,
	    APPROVAL_LABOUR_FULL, 0, { 0 }, D(2026, 9, 15), SN_OK,
	    D(2027, 3, 31) },
	{ "gradual exit ending in a leap February",
	    { APPROVAL_CAT_DIBAO, APPROVAL_TIER_CORE, 66000,
	        APPROVAL_STANDING_GRADUAL_EXIT, M(2028, 2) },
	    2, APPROVAL_LABOUR_FULL, 0, { 0 }, D(2027, 8, 3), SN_OK,
	    D(2028, 2, 29) },
	{ "exited: no review",
	    { APPROVAL_CAT_DIBAO, APPROVAL_TIER_CORE, 0,
	        APPROVAL_STANDING_EXITED, OPEN },
	    2, APPROVAL_LABOUR_FULL, 0, { 0 }, D(2026, 9, 15), SN_EINVAL,
	    D(0, 0, 0) },
	{ "no category: no review", E_EDGE(APPROVAL_CAT_NONE), 2,
	    APPROVAL_LABOUR_FULL, 0, { 0 }, D(2026, 9, 15), SN_EINVAL,
	    D(0, 0, 0) },
	{ "an invalid day", E_DIBAO, 2, APPROVAL_LABOUR_FULL, 0, { 0 },
	    D(2027, 2, 29), SN_EINVAL, D(0, 0, 0) },
};

static void
test_next_review_table(void **state)
{
	(void) state;
	const approval_register_policy rp = APPROVAL_REGISTER_POLICY_DEFAULT;
	for (size_t i = 0;
	     i < sizeof(review_date_rows) / sizeof(review_date_rows[0]); i++) {
		const struct review_date_row *r = &review_date_rows[i];
		approval_member               m[8];
		for (int k = 0; k < r->n; k++)
			m[k] = (approval_member) { r->labour,
				APPROVAL_CARE_ABLE };
		if (r->labour0)
			m[0].labour = r->labour0;
		sn_date out = D(1, 1, 1);
		print_message("%s\n", r->name);
		assert_int_equal(approval_rules_next_review(&rp, &r->e, m,
		                     (size_t) r->n, &r->inc, r->decided, &out),
		    r->err);
		if (r->err != SN_OK)
			continue;
		assert_int_equal(out.year, r->want.year);
		assert_int_equal(out.month, r->want.month);
		assert_int_equal(out.day, r->want.day);
	}
}

static void
test_register_policy(void **state)
{
	(void) state;
	const approval_register_policy *d = &approval_register_policy_default;
	assert_int_equal(d->review_months_dibao_stable, 12);
	assert_int_equal(d->review_months_dibao, 6);
	assert_int_equal(d->review_months_tekun, 12);
	assert_int_equal(d->review_months_edge, 12);
	assert_int_equal(d->cpi_threshold_permille, 35);
	assert_int_equal(d->food_cpi_threshold_permille, 60);
	/* the months come from the struct, not from constants */
	approval_register_policy rp = *d;
	rp.review_months_dibao      = 3;
	rp.review_months_edge       = 24;
	approval_entry  e = E_DIBAO, l = E_EDGE(APPROVAL_CAT_LOW_INCOME);
	approval_member m[1]
	    = { { APPROVAL_LABOUR_FULL, APPROVAL_CARE_ABLE } };
	approval_income inc = { .wages_fen = 100 };
	sn_date         out;
	assert_int_equal(approval_rules_next_review(&rp, &e, m, 1, &inc,
	                     (sn_date) D(2026, 11, 30), &out),
	    SN_OK);
	assert_int_equal(sn_date_yyyymmdd(out), 20270228);
	assert_int_equal(approval_rules_next_review(&rp, &l, m, 1, &inc,
	                     (sn_date) D(2026, 11, 30), &out),
	    SN_OK);
	assert_int_equal(sn_date_yyyymmdd(out), 20281130);
	rp.review_months_dibao = 0;
	assert_int_equal(approval_rules_next_review(&rp, &e, m, 1, &inc,
	                     (sn_date) D(2026, 11, 30), &out),
	    SN_EINVAL);
	/* stable: pensions and other only */
	assert_true(approval_rules_income_stable(
	    &(approval_income) { .pensions_fen = 1, .other_fen = 1 }));
	assert_false(approval_rules_income_stable(
	    &(approval_income) { .business_fen = 1 }));
}

/* The version of 2027-03: urban 900, rural 680, basic 1500 / 1060. */
static const approval_policy P2 = { .version = "2027-03",
	.urban_min_fen                       = 90000,
	.rural_min_fen                       = 68000,
	.urban_basic_fen                     = 150000,
	.rural_basic_fen                     = 106000,
	.care_able_fen                       = 15000,
	.care_partially_able_fen             = 50000,
	.care_unable_fen                     = 120000,
	.low_income_factor_percent           = 150,
	.asset_multiple                      = 24,
	.max_homes                           = 1,
	.business_capital_limit_fen          = 5000000 };

struct rerate_row {
	const char            *name;
	const approval_policy *p;
	struct row             h;
	approval_entry         e;
	approval_outcome       outcome;
	sn_fen                 amount;
};

static const struct rerate_row rerate_rows[] = {
	{ "dibao re-rated under the new S", &P2, { "", BASE }, E_DIBAO,
	    APPROVAL_OUTCOME_RERATED, 80000 },
	{ "the same standard: unchanged", &P, { "", BASE }, E_DIBAO,
	    APPROVAL_OUTCOME_UNCHANGED, 66000 },
	{ "deductions still counted", &P2,
	    { "", BASE, .g = 90000, .d = 20000 }, E_DIBAO,
	    APPROVAL_OUTCOME_RERATED, 40000 },
	{ "one fen over a whole yuan rounds up", &P2,
	    { "", BASE, .n = 1, .g = 50099 }, E_DIBAO,
	    APPROVAL_OUTCOME_RERATED, 40000 },
	{ "rural re-rated under the new rural S", &P2,
	    { "", BASE, .reg = APPROVAL_REG_RURAL, .g = 60000 }, E_DIBAO,
	    APPROVAL_OUTCOME_RERATED, 16000 },
	{ "C at the new S: amount 0, a re-rating exits nobody", &P2,
	    { "", BASE, .g = 90000 }, E_DIBAO, APPROVAL_OUTCOME_RERATED, 0 },
	{ "tekun re-rated under the new basic standard", &P2, { "", TEKUN },
	    E_TEKUN(157000), APPROVAL_OUTCOME_RERATED, 165000 },
	{ "tekun unchanged under the same standard", &P, { "", TEKUN },
	    E_TEKUN(157000), APPROVAL_OUTCOME_UNCHANGED, 157000 },
	{ "low income: no amount, unchanged", &P2, { "", BASE, .g = 100000 },
	    E_EDGE(APPROVAL_CAT_LOW_INCOME), APPROVAL_OUTCOME_UNCHANGED, 0 },
	{ "gradual exit keeps its amount", &P2, { "", BASE }, E_GRADUAL,
	    APPROVAL_OUTCOME_UNCHANGED, 66000 },
	{ "suspended: unchanged", &P2, { "", BASE },
	    { APPROVAL_CAT_DIBAO, APPROVAL_TIER_CORE, 66000,
	        APPROVAL_STANDING_SUSPENDED, OPEN },
	    APPROVAL_OUTCOME_UNCHANGED, 66000 },
};

static void
test_rerate_table(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(rerate_rows) / sizeof(rerate_rows[0]);
	     i++) {
		const struct rerate_row *r = &rerate_rows[i];
		approval_member          m[8];
		approval_household       h;
		approval_change          c;
		build(&r->h, &h, m);
		print_message("%s\n", r->name);
		assert_int_equal(approval_rules_rerate(r->p, &h, &r->e,
		                     (sn_month) M(2027, 3), &c),
		    SN_OK);
		assert_int_equal(c.outcome, r->outcome);
		assert_int_equal(c.cause, APPROVAL_CAUSE_RERATING);
		assert_int_equal(c.amount_fen, r->amount);
		assert_int_equal(c.old_amount_fen, r->e.monthly_amount_fen);
		assert_int_equal(c.category, r->e.category);
		assert_int_equal(c.standing, r->e.standing);
		bool rerated = r->outcome == APPROVAL_OUTCOME_RERATED;
		assert_int_equal(c.changed, rerated);
		assert_int_equal(c.first_month.year, rerated ? 2027 : 0);
		assert_int_equal(c.first_month.month, rerated ? 3 : 0);
	}
	struct row         base = { "", BASE };
	approval_member    m[8];
	approval_household h;
	approval_change    c;
	approval_entry     e = E_DIBAO;
	build(&base, &h, m);
	assert_int_equal(
	    approval_rules_rerate(&P2, &h, &e, (sn_month) M(2027, 0), &c),
	    SN_EINVAL);
	e.category = APPROVAL_CAT_NONE;
	assert_int_equal(
	    approval_rules_rerate(&P2, &h, &e, (sn_month) M(2027, 3), &c),
	    SN_EINVAL);
}

static void
test_ratio_permille(void **state)
{
	(void) state;
	static const struct {
		sn_fen  u, r;
		int64_t want;
	} t[] = {
		{ 83000, 63000, 1317 }, /* 1317.46 */
		{ 83002, 63000, 1317 }, /* 1317.49 */
		{ 83003, 63000, 1318 }, /* 1317.51 */
		{ 100, 100, 1000 },
		{ 2, 3, 667 },
		{ 1, 2000, 1 }, /* 0.5 rounds up */
		{ 1, 2001, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t r = -1;
		assert_int_equal(
		    approval_rules_ratio_permille(t[i].u, t[i].r, &r), SN_OK);
		assert_int_equal(r, t[i].want);
	}
	int64_t r;
	assert_int_equal(approval_rules_ratio_permille(0, 1, &r), SN_EINVAL);
	assert_int_equal(approval_rules_ratio_permille(1, 0, &r), SN_EINVAL);
	assert_int_equal(
	    approval_rules_ratio_permille(INT64_MAX / 1000, 1, &r), SN_ERANGE);
}

static void
test_ratio_check_table(void **state)
{
	(void) state;
	/* the previous version is P: 83000 / 63000, 1317 per mille */
	static const struct {
		const char *name;
		sn_fen      u, r;
		bool        first, forced;
		const char *reason;
		unsigned    status;
		const char *code, *field;
		int64_t     ratio; /* -1: not computed */
	} t[] = {
		{ "the first version: no comparison", 90000, 68000, true,
		    false, NULL, 0, NULL, NULL, 1324 },
		{ "falling", 90000, 70000, false, false, NULL, 0, NULL, NULL,
		    1286 },
		{ "the same", 83000, 63000, false, false, NULL, 0, NULL, NULL,
		    1317 },
		{ "up, but the same per mille", 83002, 63000, false, false,
		    NULL, 0, NULL, NULL, 1317 },
		{ "one per mille up: refused", 83003, 63000, false, false,
		    NULL, 409, "ratio_rises", "rural_min_fen", 1318 },
		{ "rising: refused", 90000, 68000, false, false, "", 409,
		    "ratio_rises", "rural_min_fen", 1324 },
		{ "rising, forced with a reason", 90000, 68000, false, true,
		    "rural incomes fell", 0, NULL, NULL, 1324 },
		{ "rising, forced without a reason", 90000, 68000, false, true,
		    "", 422, "reason_required", "reason", 1324 },
		{ "rising, forced, reason null", 90000, 68000, false, true,
		    NULL, 422, "reason_required", "reason", 1324 },
		{ "falling, forced, no reason needed", 90000, 70000, false,
		    true, NULL, 0, NULL, NULL, 1286 },
		{ "urban not stated", 0, 68000, false, false, NULL, 422,
		    "missing_field", "urban_min_fen", -1 },
		{ "rural not stated", 90000, 0, true, false, NULL, 422,
		    "missing_field", "rural_min_fen", -1 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sn_problem prob  = { 0 };
		int64_t    ratio = -1;
		print_message("%s\n", t[i].name);
		bool ok = approval_rules_ratio_check(t[i].u, t[i].r,
		    t[i].first ? NULL : &P, t[i].forced, t[i].reason, &ratio,
		    &prob);
		assert_int_equal(ok, t[i].status == 0);
		assert_int_equal(prob.status, t[i].status);
		assert_int_equal(ratio, t[i].ratio);
		if (t[i].status == 0)
			continue;
		assert_string_equal(prob.code, t[i].code);
		assert_string_equal(prob.field, t[i].field);
	}
	sn_problem prob = { 0 };
	int64_t    ratio;
	assert_false(approval_rules_ratio_check(
	    90000, 68000, &P, false, NULL, &ratio, &prob));
	assert_string_equal(prob.message,
	    "the urban/rural ratio would rise from 1317 to 1324 per mille: "
	    "adjust both or force with a reason");
}

static void
test_price_linkage_table(void **state)
{
	(void) state;
	const approval_register_policy rp   = APPROVAL_REGISTER_POLICY_DEFAULT;
	const unsigned                 cats = (1u << APPROVAL_CAT_DIBAO)
	    | (1u << APPROVAL_CAT_TEKUN) | (1u << APPROVAL_CAT_LOW_INCOME);
	/* month by month: each month's indices alone decide */
	static const struct {
		const char *month;
		int64_t     cpi, food;
		bool        applies;
	} t[] = {
		{ "2027-01 CPI 3.6 %", 36, 20, true },
		{ "2027-02 CPI exactly 3.5 %", 35, 0, true },
		{ "2027-03 CPI 3.4 %: stops", 34, 59, false },
		{ "2027-04 food exactly 6.0 %", 10, 60, true },
		{ "2027-05 food 5.9 %: stops", 34, 59, false },
		{ "2027-06 both", 40, 70, true },
		{ "2027-07 deflation", -5, -20, false },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_price_subsidy s;
		print_message("%s\n", t[i].month);
		approval_rules_price_linkage(&rp, t[i].cpi, t[i].food, &s);
		assert_int_equal(s.applies, t[i].applies);
		assert_int_equal(s.per_person_fen, t[i].applies ? 5000 : 0);
		assert_int_equal(s.categories, t[i].applies ? cats : 0u);
		sn_fen amount = -1;
		assert_int_equal(approval_rules_price_amount(
		                     &s, APPROVAL_CAT_DIBAO, 3, &amount),
		    SN_OK);
		assert_int_equal(amount, t[i].applies ? 15000 : 0);
	}
	/* thresholds and amount from the policy */
	approval_register_policy mine     = rp;
	mine.cpi_threshold_permille       = 20;
	mine.price_subsidy_per_person_fen = 3000;
	approval_price_subsidy s;
	approval_rules_price_linkage(&mine, 20, 0, &s);
	assert_true(s.applies);
	sn_fen amount;
	static const struct {
		approval_category c;
		sn_fen            want;
	} by_cat[] = {
		{ APPROVAL_CAT_TEKUN, 6000 },
		{ APPROVAL_CAT_DIBAO, 6000 },
		{ APPROVAL_CAT_LOW_INCOME, 6000 },
		{ APPROVAL_CAT_EXPENDITURE, 0 },
		{ APPROVAL_CAT_EMERGENCY, 0 },
		{ APPROVAL_CAT_NONE, 0 },
		{ APPROVAL_CAT_UNSPECIFIED, 0 },
		{ (approval_category) 99, 0 },
	};
	for (size_t i = 0; i < sizeof(by_cat) / sizeof(by_cat[0]); i++) {
		assert_int_equal(
		    approval_rules_price_amount(&s, by_cat[i].c, 2, &amount),
		    SN_OK);
		assert_int_equal(amount, by_cat[i].want);
	}
	s.per_person_fen = INT64_MAX;
	assert_int_equal(
	    approval_rules_price_amount(&s, APPROVAL_CAT_DIBAO, 2, &amount),
	    SN_ERANGE);
}

static void
test_propose_table(void **state)
{
	(void) state;
	static const struct {
		const char *name;
		sn_fen      consumption;
		int64_t     share;
		sn_fen      cu, cr;
		sn_fen      u, r;
	} t[] = {
		/* 2500 yuan x 33.3 % = 832.50 -> 833; 833 x 630/830 =
		 * 632.28 -> 633 */
		{ "a third of consumption", 250000, 333, 83000, 63000, 83300,
		    63300 },
		/* 83000 x 63000 / 83000 exactly */
		{ "exact figures stay", 166000, 500, 83000, 63000, 83000,
		    63000 },
		/* 830.01 yuan rounds up to 831 */
		{ "one fen over a whole yuan rounds up", 166002, 500, 83000,
		    63000, 83100, 63100 },
		/* 0.5 fen rounds up to a fen, then to a yuan */
		{ "a half fen rounds up", 1, 500, 100, 100, 100, 100 },
		{ "the whole of consumption", 90000, 1000, 90000, 45000, 90000,
		    45000 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sn_fen u = -1, r = -1;
		print_message("%s\n", t[i].name);
		assert_int_equal(approval_rules_propose(t[i].consumption,
		                     t[i].share, t[i].cu, t[i].cr, &u, &r),
		    SN_OK);
		assert_int_equal(u, t[i].u);
		assert_int_equal(r, t[i].r);
		/* the ratio never rises: u / r <= cu / cr */
		assert_true(u * t[i].cr <= t[i].cu * r);
	}
	sn_fen u, r;
	assert_int_equal(
	    approval_rules_propose(0, 500, 83000, 63000, &u, &r), SN_EINVAL);
	assert_int_equal(
	    approval_rules_propose(100, 0, 83000, 63000, &u, &r), SN_EINVAL);
	assert_int_equal(
	    approval_rules_propose(100, 1001, 83000, 63000, &u, &r),
	    SN_EINVAL);
	assert_int_equal(
	    approval_rules_propose(100, 500, 83000, 0, &u, &r), SN_EINVAL);
	assert_int_equal(
	    approval_rules_propose(INT64_MAX, 1000, 83000, 63000, &u, &r),
	    SN_ERANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_core_amounts_always_computed),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_exit_table),
		cmocka_unit_test(test_ratio),
		cmocka_unit_test(test_duties),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_join_table),
		cmocka_unit_test(test_step_table),
		cmocka_unit_test(test_may_act_table),
		cmocka_unit_test(test_step_request_table),
		cmocka_unit_test(test_township_table),
		cmocka_unit_test(test_policy_add_table),
		cmocka_unit_test(test_in_force_table),
		cmocka_unit_test(test_versions_and_fields),
		cmocka_unit_test(test_stage_names),
		cmocka_unit_test(test_review_table),
		cmocka_unit_test(test_review_invalid),
		cmocka_unit_test(test_death_and_move),
		cmocka_unit_test(test_gradual_end),
		cmocka_unit_test(test_review_case_table),
		cmocka_unit_test(test_review_hold_reason),
		cmocka_unit_test(test_register_fields),
		cmocka_unit_test(test_next_review_table),
		cmocka_unit_test(test_register_policy),
		cmocka_unit_test(test_rerate_table),
		cmocka_unit_test(test_ratio_permille),
		cmocka_unit_test(test_ratio_check_table),
		cmocka_unit_test(test_price_linkage_table),
		cmocka_unit_test(test_propose_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
