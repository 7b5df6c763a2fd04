/*
 * verification.rules: the facts computation (rules.h) by tables. A
 * builder returns a passing household; each case breaks or changes one
 * thing and states what the facts must be.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"
#include "sn/idnum.h"

static verification_person persons[VERIFICATION_MAX_MEMBERS + 1];

/* Two members, every agency answered. Member 0 earns 3,000 yuan; member
 * 1 has a 1,500 yuan pension and 1,000 yuan unemployment benefit. */
static verification_input
household(void)
{
	memset(persons, 0, sizeof(persons));
	for (int i = 0; i <= VERIFICATION_MAX_MEMBERS; i++)
		persons[i].registered = persons[i].alive = true;
	persons[0].wages_fen        = 300000;
	persons[0].taxed_income_fen = 300000;
	persons[1].pension_fen      = 150000;
	persons[1].unemployment_fen = 100000;
	verification_input in
	    = { .members = 2, .has_declaration = true, .persons = persons };
	in.declared.wages_fen      = 300000;
	in.declared.pensions_fen   = 150000;
	in.declared.medical_fen    = 20000;
	in.declared.education_fen  = 10000;
	in.declared.housing_fen    = 5001;
	in.declared.employment_fen = 0;
	for (int a = 0; a < VERIFICATION_NAGENCIES; a++)
		in.answered[a] = true;
	return in;
}

static verification_result
eval(const verification_input *in)
{
	verification_result r;
	assert_int_equal(verification_rules_evaluate(in, &r), SN_OK);
	return r;
}

static void
baseline_facts(void **state)
{
	(void) state;
	verification_input  in = household();
	verification_result r  = eval(&in);
	assert_true(r.complete);
	assert_true(r.has_facts);
	assert_int_equal(r.nmissing, 0);
	assert_int_equal(r.facts.members, 2);
	/* 3000 + (1500 + 1000) yuan */
	assert_int_equal(r.facts.gross_income_fen, 550000);
	assert_int_equal(r.facts.income_per_member_fen, 275000);
	/* (200 + 100 + 50.01) yuan / 2, rounded down to the fen */
	assert_int_equal(r.facts.rigid_expenditure_per_member_fen, 17500);
	assert_int_equal(r.facts.net_per_member_fen, 275000 - 17500);
	assert_int_equal(r.ndiscrepancies, 0);
	assert_true(r.facts.all_registered);
	assert_int_equal(r.facts.deceased_members, 0);
}

/* Tax's figure replaces wages + pension only when larger. */
static void
tax_larger_or_not(void **state)
{
	(void) state;
	static const struct {
		int64_t wages, pension, taxed, want_gross_member0;
	} rows[] = {
		{ 300000, 0, 400000, 400000 },     /* tax sees more */
		{ 300000, 0, 300000, 300000 },     /* equal */
		{ 300000, 0, 299999, 300000 },     /* one fen less */
		{ 300000, 50000, 340000, 350000 }, /* below wages+pension */
		{ 300000, 50000, 350001, 350001 }, /* one fen above */
		{ 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		verification_input in = household();
		/* Nothing declared for member 0's earnings: the agencies'
		 * figures alone (declared income is declared_income_counts')
		 */
		in.declared.wages_fen       = 0;
		persons[0].wages_fen        = rows[i].wages;
		persons[0].pension_fen      = rows[i].pension;
		persons[0].taxed_income_fen = rows[i].taxed;
		verification_result r       = eval(&in);
		assert_int_equal(r.facts.gross_income_fen,
		    rows[i].want_gross_member0 + 250000);
	}
}

/*
 * Issue 10: per source the larger of declared and reported; sources no
 * agency sees count as declared. Base: member 0 wages 3,000 yuan (HR and
 * tax), member 1 pension 1,500 and unemployment 1,000 yuan, all declared
 * alike (gross 5,500 yuan).
 */
static void
declared_income_counts(void **state)
{
	(void) state;
	static const struct {
		const char *what;
		int64_t     wages, pensions, business, other, agri, support;
		int64_t     hr_wages, taxed;
		int64_t     want_gross;
	} rows[] = {
		{ "as declared", 300000, 150000, 0, 0, 0, 0, 300000, 300000,
		    550000 },
		{ "other income no agency sees", 300000, 150000, 0, 400000, 0,
		    0, 300000, 300000, 950000 },
		{ "agricultural income", 300000, 150000, 0, 0, 80000, 0,
		    300000, 300000, 630000 },
		{ "relatives' support", 300000, 150000, 0, 0, 0, 50000, 300000,
		    300000, 600000 },
		{ "wages declared above HR's", 350000, 150000, 0, 0, 0, 0,
		    300000, 300000, 600000 },
		{ "wages declared below HR's", 200000, 150000, 0, 0, 0, 0,
		    300000, 300000, 550000 },
		{ "pensions declared above HR's", 300000, 200000, 0, 0, 0, 0,
		    300000, 300000, 600000 },
		{ "business declared, tax sees it", 300000, 150000, 100000, 0,
		    0, 0, 300000, 400000, 650000 },
		{ "business declared, tax sees less", 300000, 150000, 100000,
		    0, 0, 0, 300000, 300000, 650000 },
		{ "tax sees more than declared", 300000, 150000, 0, 0, 0, 0,
		    300000, 500000, 750000 },
		{ "nothing reported, all declared", 300000, 150000, 20000,
		    10000, 20000, 30000, 0, 0, 630000 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		verification_input in        = household();
		in.declared.wages_fen        = rows[i].wages;
		in.declared.pensions_fen     = rows[i].pensions;
		in.declared.business_fen     = rows[i].business;
		in.declared.other_fen        = rows[i].other;
		in.declared.agricultural_fen = rows[i].agri;
		in.declared.support_fen      = rows[i].support;
		persons[0].wages_fen         = rows[i].hr_wages;
		persons[0].taxed_income_fen  = rows[i].taxed;
		verification_result r        = eval(&in);
		if (r.facts.gross_income_fen != rows[i].want_gross)
			fail_msg("%s: gross %lld, want %lld", rows[i].what,
			    (long long) r.facts.gross_income_fen,
			    (long long) rows[i].want_gross);
		assert_int_equal(
		    r.facts.income_per_member_fen, rows[i].want_gross / 2);
	}
	/* The 4,000-yuan household: nothing reported, 4,000 yuan declared
	 * as other income. G is 2,000 yuan a member, not 0; gross is not 0
	 * (tekun's "no income" fails). */
	verification_input in = household();
	memset(&in.declared, 0, sizeof(in.declared));
	memset(persons, 0, 2 * sizeof(persons[0]));
	persons[0].registered = persons[0].alive = true;
	persons[1].registered = persons[1].alive = true;
	in.declared.other_fen                    = 400000;
	verification_result r                    = eval(&in);
	assert_int_equal(r.facts.gross_income_fen, 400000);
	assert_int_equal(r.facts.income_per_member_fen, 200000);
	assert_int_equal(r.ndiscrepancies, 0); /* no agency sees it */
	/* A review without a declaration counts the agencies alone. */
	in.has_declaration = false;
	r                  = eval(&in);
	assert_int_equal(r.facts.gross_income_fen, 0);
	/* Declared agricultural and support income are bounded. */
	in                           = household();
	in.declared.agricultural_fen = -1;
	assert_int_equal(verification_rules_evaluate(&in, &r), SN_EINVAL);
	in                      = household();
	in.declared.support_fen = VERIFICATION_MAX_FEN + 1;
	assert_false(verification_rules_declared_valid(&in.declared));
}

/* The provident fund's monthly deposit is not income, and its balance
 * is not a financial asset. */
static void
provident_fund_not_counted(void **state)
{
	(void) state;
	verification_input in     = household();
	persons[0].pf_monthly_fen = 72000;
	persons[0].pf_balance_fen = 5000000;
	verification_result r     = eval(&in);
	assert_int_equal(r.facts.gross_income_fen, 550000);
	assert_int_equal(r.facts.financial_assets_fen, 0);
}

/* Per-member figures round down to the fen. */
static void
floors(void **state)
{
	(void) state;
	static const struct {
		int     members;
		int64_t wages0, housing;
	} rows[] = {
		{ 2, 50001, 0 },
		{ 3, 100, 2 },
		{ 3, 1, 3 },
		{ 1, 1, 1 },
		{ 7, 699999, 13 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		verification_input in = household();
		in.members            = rows[i].members;
		memset(&in.declared, 0, sizeof(in.declared));
		in.declared.housing_fen = rows[i].housing;
		for (int m = 0; m < in.members; m++)
			persons[m]
			    = (verification_person) { .registered = true,
				      .alive                      = true };
		persons[0].wages_fen  = rows[i].wages0;
		verification_result r = eval(&in);
		int64_t             g = rows[i].wages0 / rows[i].members;
		assert_int_equal(r.facts.income_per_member_fen, g);
		assert_int_equal(r.facts.rigid_expenditure_per_member_fen,
		    rows[i].housing / rows[i].members);
		assert_int_equal(r.facts.net_per_member_fen,
		    g - rows[i].housing / rows[i].members);
	}
}

/* D above G gives a negative C, not a clamp. */
static void
net_negative(void **state)
{
	(void) state;
	verification_input in   = household();
	in.declared.medical_fen = 1000000;
	verification_result r   = eval(&in);
	assert_true(r.facts.net_per_member_fen < 0);
	assert_int_equal(
	    r.facts.net_per_member_fen, 275000 - (1000000 + 10000 + 5001) / 2);
}

static void
assets(void **state)
{
	(void) state;
	verification_input in           = household();
	persons[0].deposits_fen         = 1000001;
	persons[1].deposits_fen         = 2;
	persons[1].financial_fen        = 500000;
	persons[0].homes                = 1;
	persons[1].homes                = 1;
	persons[0].vehicles             = 1;
	persons[1].exempt_vehicles      = 1;
	persons[0].businesses           = 1;
	persons[0].business_capital_fen = 3000000;
	persons[1].businesses           = 2;
	persons[1].business_capital_fen = 5000000;
	verification_result r           = eval(&in);
	assert_int_equal(r.facts.financial_assets_fen, 1500003);
	assert_int_equal(r.facts.financial_assets_per_member_fen, 750001);
	assert_int_equal(r.facts.homes, 2);
	assert_int_equal(r.facts.vehicles, 1);
	assert_int_equal(r.facts.exempt_vehicles, 1);
	assert_int_equal(r.facts.business_capital_fen, 5000000);
}

static void
public_security(void **state)
{
	(void) state;
	verification_input in = household();
	persons[1].alive      = false;
	verification_result r = eval(&in);
	assert_int_equal(r.facts.deceased_members, 1);
	assert_true(r.facts.all_registered);
	persons[0].registered = false;
	r                     = eval(&in);
	assert_false(r.facts.all_registered);
}

/* Any one agency missing: INCOMPLETE naming it, and no facts at all. */
static void
incomplete_never_zero(void **state)
{
	(void) state;
	for (int a = 0; a < VERIFICATION_NAGENCIES; a++) {
		verification_input in = household();
		in.answered[a]        = false;
		verification_result r = eval(&in);
		assert_false(r.complete);
		assert_false(r.has_facts);
		assert_int_equal(r.nmissing, 1);
		assert_int_equal(r.missing[0], a);
		assert_int_equal(r.facts.gross_income_fen, 0);
		assert_int_equal(r.facts.members, 0);
	}
	verification_input in = household();
	for (int a = 0; a < VERIFICATION_NAGENCIES; a++)
		in.answered[a] = false;
	verification_result r = eval(&in);
	assert_int_equal(r.nmissing, VERIFICATION_NAGENCIES);
	assert_false(r.has_facts);
}

static void
discrepancies(void **state)
{
	(void) state;
	/* Wages declared lower than reported. */
	verification_input in = household();
	in.declared.wages_fen = 200000;
	verification_result r = eval(&in);
	assert_int_equal(r.ndiscrepancies, 2); /* wages and taxed income */
	assert_string_equal(r.discrepancies[0].field, "wages_fen");
	assert_int_equal(r.discrepancies[0].declared_fen, 200000);
	assert_int_equal(r.discrepancies[0].reported_fen, 300000);
	assert_int_equal(
	    r.discrepancies[0].agency, VERIFICATION_HUMAN_RESOURCES);
	assert_string_equal(r.discrepancies[1].field, "taxed_income_fen");
	assert_int_equal(r.discrepancies[1].agency, VERIFICATION_TAX);

	/* Pensions off by one fen. */
	in                       = household();
	in.declared.pensions_fen = 150001;
	r                        = eval(&in);
	assert_int_equal(r.ndiscrepancies, 1);
	assert_string_equal(r.discrepancies[0].field, "pensions_fen");

	/* A business the declaration does not mention, and the reverse. */
	in                              = household();
	persons[1].businesses           = 1;
	persons[1].business_capital_fen = 1000000;
	r                               = eval(&in);
	assert_int_equal(r.ndiscrepancies, 1);
	assert_string_equal(r.discrepancies[0].field, "business_fen");
	assert_int_equal(r.discrepancies[0].reported_fen, 1000000);
	assert_int_equal(r.discrepancies[0].agency, VERIFICATION_MARKET);
	in                       = household();
	in.declared.business_fen = 10000;
	r                        = eval(&in);
	/* taxed income (wages + business declared) differs as well */
	assert_int_equal(r.ndiscrepancies, 2);
	assert_string_equal(r.discrepancies[1].field, "business_fen");

	/* Only agencies that answered are compared. */
	in                                        = household();
	in.declared.wages_fen                     = 1;
	in.answered[VERIFICATION_HUMAN_RESOURCES] = false;
	in.answered[VERIFICATION_TAX]             = false;
	r                                         = eval(&in);
	assert_int_equal(r.ndiscrepancies, 0);

	/* A review carries no declaration: nothing compared, D is 0. */
	in                    = household();
	in.has_declaration    = false;
	in.declared.wages_fen = 1;
	r                     = eval(&in);
	assert_int_equal(r.ndiscrepancies, 0);
	assert_int_equal(r.facts.rigid_expenditure_per_member_fen, 0);

	/* A review that carries the expenditure (a change report's): D is
	 * deducted, income still not compared. 35,001 fen for 2 members. */
	in                    = household();
	in.has_declaration    = false;
	in.has_expenditure    = true;
	in.declared.wages_fen = 1;
	r                     = eval(&in);
	assert_int_equal(r.ndiscrepancies, 0);
	assert_int_equal(r.facts.rigid_expenditure_per_member_fen, 17500);
	assert_int_equal(
	    r.facts.net_per_member_fen, r.facts.income_per_member_fen - 17500);
}

static void
bounds(void **state)
{
	(void) state;
	verification_result r;
	verification_input  in = household();
	in.members             = 0;
	assert_int_equal(verification_rules_evaluate(&in, &r), SN_EINVAL);
	in.members = VERIFICATION_MAX_MEMBERS + 1;
	assert_int_equal(verification_rules_evaluate(&in, &r), SN_EINVAL);
	in.members = VERIFICATION_MAX_MEMBERS;
	assert_int_equal(verification_rules_evaluate(&in, &r), SN_OK);

	in                    = household();
	in.declared.other_fen = -1;
	assert_int_equal(verification_rules_evaluate(&in, &r), SN_EINVAL);
	in.declared.other_fen = VERIFICATION_MAX_FEN;
	assert_int_equal(verification_rules_evaluate(&in, &r), SN_OK);

	in                   = household();
	persons[1].wages_fen = VERIFICATION_MAX_FEN + 1;
	assert_int_equal(verification_rules_evaluate(&in, &r), SN_EINVAL);
	/* The largest household at the largest figures does not overflow. */
	in         = household();
	in.members = VERIFICATION_MAX_MEMBERS;
	for (int m = 0; m < in.members; m++) {
		persons[m].wages_fen        = VERIFICATION_MAX_FEN;
		persons[m].pension_fen      = VERIFICATION_MAX_FEN;
		persons[m].unemployment_fen = VERIFICATION_MAX_FEN;
		persons[m].deposits_fen     = VERIFICATION_MAX_FEN;
		persons[m].financial_fen    = VERIFICATION_MAX_FEN;
	}
	r = eval(&in);
	assert_int_equal(r.facts.gross_income_fen,
	    3 * VERIFICATION_MAX_FEN * VERIFICATION_MAX_MEMBERS);
	assert_int_equal(
	    r.facts.income_per_member_fen, 3 * VERIFICATION_MAX_FEN);
	persons[0].homes = -1;
	assert_int_equal(verification_rules_evaluate(&in, &r), SN_EINVAL);
}

static void
names(void **state)
{
	(void) state;
	for (int a = 0; a < VERIFICATION_NAGENCIES; a++) {
		const char *n = verification_agency_name(a);
		assert_non_null(n);
		assert_int_equal(verification_agency_from_name(n), a);
		assert_non_null(verification_agency_env(a));
	}
	assert_null(verification_agency_name(VERIFICATION_NAGENCIES));
	assert_int_equal(verification_agency_from_name("police"), -1);
	assert_string_equal(
	    verification_agency_env(VERIFICATION_PROVIDENT_FUND),
	    "PROVIDENT_FUND");
}

/* A valid identity number, sequence seq. */
static void
idnum(char out[19], int seq)
{
	char first[18];
	snprintf(first, sizeof(first), "11010119800101%03d", seq % 1000);
	memcpy(out, first, 17);
	out[17] = sn_idnum_check_char(first);
	out[18] = '\0';
}

/* The household of an event: one thing broken per row. */
static void
household_checks(void **state)
{
	(void) state;
	static char long_id[VERIFICATION_ID_MAX + 2];
	memset(long_id, 'a', sizeof(long_id) - 1);
	char ids[3][19];
	idnum(ids[0], 1);
	idnum(ids[1], 2);
	memcpy(ids[2], ids[1], sizeof(ids[2]));
	ids[2][17] = ids[2][17] == '0' ? '1' : '0'; /* a wrong check char */
	const char              *good[2] = { ids[0], ids[1] };
	const char              *bad[2]  = { ids[0], ids[2] };
	const char              *null[2] = { ids[0], NULL };
	static const char *const many[VERIFICATION_MAX_MEMBERS + 1];
	const struct {
		const char        *app, *consent, *d, *t, *v;
		const char *const *ids;
		size_t             n;
		bool               ok;
	} rows[] = {
		{ "app-1", "C-1", "110101", "110101001", "110101001001", good,
		    2, true },
		{ "app-1", "", "110101", "110101001", "110101001001", good, 2,
		    true }, /* no consent: recorded, never asked */
		{ "", "C-1", "110101", "110101001", "110101001001", good, 2,
		    false },
		{ long_id, "C-1", "110101", "110101001", "110101001001", good,
		    2, false },
		{ "app-1", long_id, "110101", "110101001", "110101001001",
		    good, 2, false },
		{ "app-1", "C-1", NULL, NULL, NULL, good, 2, false },
		{ "app-1", "C-1", "110102", "110101001", "110101001001", good,
		    2, false },
		{ "app-1", "C-1", "110101", "110101002", "110101001001", good,
		    2, false },
		{ "app-1", "C-1", "110101", "110101001", "11010100100", good,
		    2, false },
		{ "app-1", "C-1", "110101", "110101001", "110101001001", good,
		    0, false },
		{ "app-1", "C-1", "110101", "110101001", "110101001001", many,
		    VERIFICATION_MAX_MEMBERS + 1, false },
		{ "app-1", "C-1", "110101", "110101001", "110101001001", bad,
		    2, false },
		{ "app-1", "C-1", "110101", "110101001", "110101001001", null,
		    2, false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		verification_household_in h = { .application_id = rows[i].app,
			.consent_reference = rows[i].consent,
			.district_code     = rows[i].d,
			.township_code     = rows[i].t,
			.village_code      = rows[i].v,
			.ids               = rows[i].ids,
			.nids              = rows[i].n };
		if (verification_rules_household_valid(&h) != rows[i].ok)
			fail_msg("row %zu: want %d", i, rows[i].ok);
	}
	assert_false(verification_rules_household_valid(NULL));
}

static void
declared_checks(void **state)
{
	(void) state;
	verification_input in = household();
	assert_true(verification_rules_declared_valid(&in.declared));
	in.declared.housing_fen = VERIFICATION_MAX_FEN;
	assert_true(verification_rules_declared_valid(&in.declared));
	in.declared.housing_fen = VERIFICATION_MAX_FEN + 1;
	assert_false(verification_rules_declared_valid(&in.declared));
	in.declared.housing_fen = 0;
	in.declared.other_fen   = -1;
	assert_false(verification_rules_declared_valid(&in.declared));
	assert_false(verification_rules_declared_valid(NULL));
}

/* Without consent no agency is asked: INCOMPLETE at once. */
static void
admission(void **state)
{
	(void) state;
	verification_admission a = verification_rules_admit("CONSENT-1");
	assert_true(a.ask);
	assert_int_equal(a.status, VERIFICATION_PENDING);
	assert_int_equal(a.attempt, 0);
	assert_string_equal(a.reason, "");
	const char *none[] = { "", NULL };
	for (int i = 0; i < 2; i++) {
		a = verification_rules_admit(none[i]);
		assert_false(a.ask);
		assert_int_equal(a.status, VERIFICATION_INCOMPLETE);
		assert_int_equal(a.attempt, 1);
		assert_string_equal(
		    a.reason, "no consent reference: no agency was asked");
	}
}

/* A review asks under the consent on file while it is at most 12 months
 * old on the day the review opened; otherwise no agency, and why. */
static void
admission_review(void **state)
{
	(void) state;
	static const char expired[]
	    = "the consent on file expired (signed more than 12 months before "
	      "the review opened): no agency was asked; a new consent is "
	      "needed";
	static const char none[]
	    = "no consent on file for the review: no agency was asked";
	static const char undated[]
	    = "the consent on file has no signed date: no agency was asked";
	const struct {
		const char *ref, *signed_on, *opened_on;
		bool        ask;
		const char *reason;
	} rows[] = {
		{ "C-1", "2025-03-10", "2025-03-10", true, "" },
		{ "C-1", "2025-03-10", "2026-03-09", true, "" },
		{ "C-1", "2025-03-10", "2026-03-10", true, "" },
		{ "C-1", "2025-03-10", "2026-03-11", false, expired },
		{ "C-1", "2025-03-10", "2027-01-01", false, expired },
		/* across a year end, and a leap day clamped to Feb 28 */
		{ "C-1", "2025-12-31", "2026-12-31", true, "" },
		{ "C-1", "2025-12-31", "2027-01-01", false, expired },
		{ "C-1", "2024-02-29", "2025-02-28", true, "" },
		{ "C-1", "2024-02-29", "2025-03-01", false, expired },
		/* signed after the review opened: not expired */
		{ "C-1", "2026-05-01", "2026-04-01", true, "" },
		{ "", "2025-03-10", "2025-04-01", false, none },
		{ NULL, "2025-03-10", "2025-04-01", false, none },
		{ "C-1", "", "2025-04-01", false, undated },
		{ "C-1", NULL, "2025-04-01", false, undated },
		{ "C-1", "2025-13-01", "2025-04-01", false, undated },
		{ "C-1", "10/03/2025", "2025-04-01", false, undated },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sn_date opened;
		assert_int_equal(
		    sn_date_parse(rows[i].opened_on, &opened), SN_OK);
		verification_admission a = verification_rules_admit_review(
		    rows[i].ref, rows[i].signed_on, opened);
		if (a.ask != rows[i].ask)
			fail_msg("row %zu: ask %d", i, a.ask);
		assert_string_equal(a.reason, rows[i].reason);
		assert_int_equal(a.status,
		    rows[i].ask ? VERIFICATION_PENDING
		                : VERIFICATION_INCOMPLETE);
		assert_int_equal(a.attempt, rows[i].ask ? 0 : 1);
	}
}

/* Round 1 is always published; later rounds only when complete; an
 * incomplete check is retried until max_attempts rounds. */
static void
round_next(void **state)
{
	(void) state;
	const struct {
		bool                complete;
		int                 attempt, max;
		bool                requested;
		verification_status status;
		bool                publish;
		int64_t             retry;
	} rows[] = {
		{ true, 1, 10, false, VERIFICATION_COMPLETE, true, -1 },
		{ false, 1, 10, false, VERIFICATION_INCOMPLETE, true, 60000 },
		{ false, 2, 10, false, VERIFICATION_INCOMPLETE, false, 60000 },
		{ true, 2, 10, false, VERIFICATION_COMPLETE, true, -1 },
		{ false, 9, 10, false, VERIFICATION_INCOMPLETE, false, 60000 },
		{ false, 10, 10, false, VERIFICATION_INCOMPLETE, false, -1 },
		{ true, 10, 10, false, VERIFICATION_COMPLETE, true, -1 },
		{ false, 1, 1, false, VERIFICATION_INCOMPLETE, true, -1 },
		/* An officer's retry of a held check: published either way,
		 * and held again (no automatic round) when still missing. */
		{ false, 11, 10, true, VERIFICATION_INCOMPLETE, true, -1 },
		{ true, 11, 10, true, VERIFICATION_COMPLETE, true, -1 },
		{ false, 3, 3, true, VERIFICATION_INCOMPLETE, true, -1 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		verification_round_next n = verification_rules_round_next(
		    rows[i].complete, rows[i].attempt, rows[i].max, 60000,
		    rows[i].requested);
		if (n.status != rows[i].status || n.publish != rows[i].publish
		    || n.retry_ms != rows[i].retry)
			fail_msg("row %zu: status %d publish %d retry %lld", i,
			    (int) n.status, n.publish, (long long) n.retry_ms);
	}
}

/* Held: incomplete, no automatic round left, and the agencies were
 * asked. */
static void
held(void **state)
{
	(void) state;
	const struct {
		verification_status status;
		bool                scheduled, asked, held;
	} rows[] = {
		{ VERIFICATION_INCOMPLETE, false, true, true },
		{ VERIFICATION_INCOMPLETE, true, true,
		    false }, /* a retry due */
		{ VERIFICATION_INCOMPLETE, false, false,
		    false }, /* no consent */
		{ VERIFICATION_COMPLETE, false, true, false },
		{ VERIFICATION_PENDING, false, true, false },
		{ VERIFICATION_CANCELLED, false, true, false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (verification_rules_held(
		        rows[i].status, rows[i].scheduled, rows[i].asked)
		    != rows[i].held)
			fail_msg("row %zu", i);
}

/* Revisions: 0 (before issue 10) reads as 1; a resubmission is 2+. */
static void
revisions(void **state)
{
	(void) state;
	const struct {
		int32_t in;
		int     reads;
		bool    resubmission;
	} rows[] = {
		{ 0, 1, false },
		{ 1, 1, false },
		{ 2, 2, true },
		{ 7, 7, true },
		{ -3, 1, false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(
		    verification_rules_revision(rows[i].in), rows[i].reads);
		assert_int_equal(
		    verification_rules_resubmission_valid(rows[i].in),
		    rows[i].resubmission);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(baseline_facts),
		cmocka_unit_test(tax_larger_or_not),
		cmocka_unit_test(declared_income_counts),
		cmocka_unit_test(provident_fund_not_counted),
		cmocka_unit_test(floors),
		cmocka_unit_test(net_negative),
		cmocka_unit_test(assets),
		cmocka_unit_test(public_security),
		cmocka_unit_test(incomplete_never_zero),
		cmocka_unit_test(discrepancies),
		cmocka_unit_test(bounds),
		cmocka_unit_test(names),
		cmocka_unit_test(household_checks),
		cmocka_unit_test(declared_checks),
		cmocka_unit_test(admission),
		cmocka_unit_test(admission_review),
		cmocka_unit_test(round_next),
		cmocka_unit_test(held),
		cmocka_unit_test(revisions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
