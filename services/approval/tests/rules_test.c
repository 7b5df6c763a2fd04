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
	assert_true(approval_rules_date_valid("2026-11-29"));
	assert_true(approval_rules_date_valid("2024-02-29"));
	assert_false(approval_rules_date_valid("2026-02-29"));
	assert_false(approval_rules_date_valid("1900-02-29"));
	assert_true(approval_rules_date_valid("2000-02-29"));
	assert_false(approval_rules_date_valid("2026-13-01"));
	assert_false(approval_rules_date_valid("2026-1-01"));
	assert_false(approval_rules_date_valid("2026-01-00"));
	assert_false(approval_rules_date_valid(NULL));
	char m[8];
	assert_int_equal(approval_rules_next_month("2026-11-29", m), SN_OK);
	assert_string_equal(m, "2026-12");
	assert_int_equal(approval_rules_next_month("2026-12-31", m), SN_OK);
	assert_string_equal(m, "2027-01");
	assert_int_equal(
	    approval_rules_next_month("2026-02-30", m), SN_EINVAL);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
