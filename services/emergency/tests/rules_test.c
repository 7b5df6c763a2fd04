/*
 * The pure rules of the emergency service, as tables. A fixture builds a
 * grant request that passes; each row of a table changes one thing and
 * states the class, code and field expected. The other decisions (the
 * debit of a fund, who may approve what and when, settlement years, what
 * a payment outcome does to a grant) have a table each.
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
#include "sn/uuid.h"

#define LIMIT 300000

static char person_id[19], officer_id[19], bad_check[19];

static void
idn(char out[19], const char *first17)
{
	memcpy(out, first17, 17);
	out[17] = sn_idnum_check_char(first17);
	out[18] = '\0';
	assert_int_not_equal(out[17], 0);
}

static sn_principal
principal(
    const char *user, const char *role, const char *juris, const char *idnum)
{
	sn_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	snprintf(p.id_number, sizeof(p.id_number), "%s", idnum ? idnum : "");
	return p;
}

static emergency_grant_req
good(void)
{
	emergency_grant_req r = { .township_code = "220103001",
		.village_code                    = "220103001002",
		.id_number                       = person_id,
		.name                            = "Wang Fang",
		.cause                           = "fire",
		.description                     = "house burnt down at night",
		.household_size                  = 3,
		.amount_fen                      = 250000,
		.bank_code                       = "ICBC",
		.account_number                  = "6222020200112233445",
		.account_name                    = "Wang Fang" };
	return r;
}

static int
setup(void **state)
{
	(void) state;
	idn(person_id, "22010319800101001");
	idn(officer_id, "22010319700404004");
	memcpy(bad_check, person_id, 19);
	bad_check[17] = bad_check[17] == '0' ? '1' : '0';
	return 0;
}

/* ---- classification ---------------------------------------------------- */

struct grant_case {
	const char     *what;
	const char     *field; /* member changed (NULL: none) */
	const char     *sval;
	int64_t         ival;
	emergency_class want;
	const char     *code;
	const char     *at; /* error field */
};

static void
apply(emergency_grant_req *r, const struct grant_case *c)
{
	if (c->field == NULL)
		return;
#define S(name)                                                               \
	if (strcmp(c->field, #name) == 0)                                     \
		r->name = c->sval;
	S(township_code)
	S(village_code)
	S(id_number)
	S(name)
	S(cause)
	S(description)
	S(bank_code)
	S(account_number)
	S(account_name)
#undef S
	if (strcmp(c->field, "amount_fen") == 0)
		r->amount_fen = c->ival;
	if (strcmp(c->field, "household_size") == 0)
		r->household_size = c->ival;
}

static void
test_classify_table(void **state)
{
	(void) state;
	char long_desc[EMERGENCY_DESCRIPTION_MAX + 2];
	memset(long_desc, 'x', sizeof(long_desc) - 1);
	long_desc[sizeof(long_desc) - 1] = '\0';
	const struct grant_case cases[]  = {
		 { "valid, within the limit", NULL, NULL, 0, EMERGENCY_AT_ONCE,
		     NULL, NULL },
		 { "exactly the limit", "amount_fen", NULL, LIMIT,
		     EMERGENCY_AT_ONCE, NULL, NULL },
		 { "one fen over the limit", "amount_fen", NULL, LIMIT + 1,
		     EMERGENCY_NEEDS_APPROVAL, NULL, NULL },
		 { "one fen", "amount_fen", NULL, 1, EMERGENCY_AT_ONCE, NULL,
		     NULL },
		 { "the largest grant", "amount_fen", NULL,
		     EMERGENCY_AMOUNT_MAX, EMERGENCY_NEEDS_APPROVAL, NULL,
		     NULL },
		 { "above the largest grant", "amount_fen", NULL,
		     EMERGENCY_AMOUNT_MAX + 1, EMERGENCY_INVALID,
		     "invalid_amount", "amount_fen" },
		 { "zero", "amount_fen", NULL, 0, EMERGENCY_INVALID,
		     "invalid_amount", "amount_fen" },
		 { "negative", "amount_fen", NULL, -300, EMERGENCY_INVALID,
		     "invalid_amount", "amount_fen" },
		 { "cause accident", "cause", "accident", 0, EMERGENCY_AT_ONCE,
		     NULL, NULL },
		 { "cause major_illness", "cause", "major_illness", 0,
		     EMERGENCY_AT_ONCE, NULL, NULL },
		 { "cause disaster", "cause", "disaster", 0, EMERGENCY_AT_ONCE,
		     NULL, NULL },
		 { "cause other", "cause", "other", 0, EMERGENCY_AT_ONCE, NULL,
		     NULL },
		 { "unknown cause", "cause", "flood", 0, EMERGENCY_INVALID,
		     "invalid_cause", "cause" },
		 { "cause in capitals", "cause", "FIRE", 0, EMERGENCY_INVALID,
		     "invalid_cause", "cause" },
		 { "no cause", "cause", NULL, 0, EMERGENCY_INVALID,
		     "invalid_cause", "cause" },
		 { "bad check character", "id_number", bad_check, 0,
		     EMERGENCY_INVALID, "invalid_id_number",
		     "person.id_number" },
		 { "no id number", "id_number", NULL, 0, EMERGENCY_INVALID,
		     "invalid_id_number", "person.id_number" },
		 { "empty name", "name", "", 0, EMERGENCY_INVALID,
		     "invalid_name", "person.name" },
		 { "no description", "description", NULL, 0, EMERGENCY_INVALID,
		     "invalid_description", "description" },
		 { "description too long", "description", long_desc, 0,
		     EMERGENCY_INVALID, "invalid_description", "description" },
		 { "household of 0", "household_size", NULL, 0,
		     EMERGENCY_INVALID, "invalid_household_size",
		     "household_size" },
		 { "household of 20", "household_size", NULL, 20,
		     EMERGENCY_AT_ONCE, NULL, NULL },
		 { "household of 21", "household_size", NULL, 21,
		     EMERGENCY_INVALID, "invalid_household_size",
		     "household_size" },
		 { "township of 8 digits", "township_code", "22010300", 0,
		     EMERGENCY_INVALID, "invalid_code", "township_code" },
		 { "village not in the township", "village_code",
		     "220103002001", 0, EMERGENCY_INVALID, "codes_do_not_nest",
		     "village_code" },
		 { "village with a letter", "village_code", "22010300100a", 0,
		     EMERGENCY_INVALID, "invalid_code", "village_code" },
		 { "township outside the officer's", "township_code",
		     "220103002", 0, EMERGENCY_INVALID, "codes_do_not_nest",
		     "village_code" },
		 { "short account number", "account_number", "1234567", 0,
		     EMERGENCY_INVALID, "invalid_payee",
		     "payee.account_number" },
		 { "account number with a letter", "account_number",
		     "62220202001122334X", 0, EMERGENCY_INVALID,
		     "invalid_payee", "payee.account_number" },
		 { "bank code with a space", "bank_code", "IC BC", 0,
		     EMERGENCY_INVALID, "invalid_payee", "payee.bank_code" },
		 { "no account name", "account_name", NULL, 0,
		     EMERGENCY_INVALID, "invalid_payee", "payee.account_name" },
	};
	sn_principal p = principal(
	    "officer-1", "emergency_officer", "220103001", officer_id);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		emergency_grant_req r = good();
		sn_problem          why;
		memset(&why, 0, sizeof(why));
		apply(&r, &cases[i]);
		emergency_class got
		    = emergency_rules_classify(&r, &p, LIMIT, &why);
		if (got != cases[i].want
		    || (cases[i].code != NULL
		        && (why.code == NULL
		            || strcmp(why.code, cases[i].code) != 0
		            || strcmp(why.field, cases[i].at) != 0)))
			fail_msg(
			    "%s: class %d code %s field %s; want %d %s %s",
			    cases[i].what, got, why.code ? why.code : "-",
			    why.field, cases[i].want,
			    cases[i].code ? cases[i].code : "-",
			    cases[i].at ? cases[i].at : "-");
	}
}

/* Jurisdiction and segregation: who asks matters. */
static void
test_classify_who(void **state)
{
	(void) state;
	struct {
		const char     *what;
		const char     *juris;
		const char     *idnum;
		emergency_class want;
		const char     *code;
	} cases[] = {
		{ "township officer", "220103001", officer_id,
		    EMERGENCY_AT_ONCE, NULL },
		{ "district-wide officer", "220103", NULL, EMERGENCY_AT_ONCE,
		    NULL },
		{ "another township", "220103002", NULL, EMERGENCY_INVALID,
		    "outside_jurisdiction" },
		{ "a village officer", "220103001002", NULL, EMERGENCY_INVALID,
		    "outside_jurisdiction" },
		{ "another district", "220104", NULL, EMERGENCY_INVALID,
		    "outside_jurisdiction" },
		{ "the officer is the person", "220103001", person_id,
		    EMERGENCY_INVALID, "own_grant" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		emergency_grant_req r = good();
		sn_problem          why;
		memset(&why, 0, sizeof(why));
		sn_principal p = principal(
		    "o", "emergency_officer", cases[i].juris, cases[i].idnum);
		emergency_class got
		    = emergency_rules_classify(&r, &p, LIMIT, &why);
		if (got != cases[i].want
		    || (cases[i].code != NULL
		        && strcmp(why.code, cases[i].code) != 0))
			fail_msg("%s: class %d code %s", cases[i].what, got,
			    why.code ? why.code : "-");
		if (cases[i].code != NULL)
			assert_int_equal(why.status, 403);
	}
}

/* ---- balance ------------------------------------------------------------ */

static void
test_debit_table(void **state)
{
	(void) state;
	struct {
		sn_fen          balance, amount;
		emergency_debit want;
		sn_fen          after;
	} cases[] = {
		{ 1000000, 3000, EMERGENCY_DEBIT_OK, 997000 },
		{ 3000, 3000, EMERGENCY_DEBIT_OK,
		    0 }, /* exactly the balance */
		{ 3000, 3001, EMERGENCY_DEBIT_INSUFFICIENT,
		    0 }, /* one fen over */
		{ 0, 1, EMERGENCY_DEBIT_INSUFFICIENT, 0 },
		{ 1000, 0, EMERGENCY_DEBIT_INVALID, 0 },
		{ 1000, -1, EMERGENCY_DEBIT_INVALID, 0 },
		{ -1, 1, EMERGENCY_DEBIT_INVALID, 0 },
		{ INT64_MAX, INT64_MAX, EMERGENCY_DEBIT_OK, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_fen          after = -42;
		emergency_debit got   = emergency_rules_debit(
		      cases[i].balance, cases[i].amount, &after);
		if (got != cases[i].want)
			fail_msg(
			    "row %zu: %d, want %d", i, got, cases[i].want);
		if (got == EMERGENCY_DEBIT_OK)
			assert_int_equal(after, cases[i].after);
		else
			assert_int_equal(after, -42);
	}
}

/* ---- allocation, approval, decision, referral ----------------------------
 */

static void
test_allocation_table(void **state)
{
	(void) state;
	struct {
		const char *juris, *township;
		sn_fen      amount;
		bool        ok;
		const char *code;
	} cases[] = {
		{ "220103", "220103001", 1000000, true, NULL },
		{ "220103", "220103001", 1, true, NULL },
		{ "220103", "220103001", EMERGENCY_ALLOCATION_MAX, true,
		    NULL },
		{ "220103", "220103001", EMERGENCY_ALLOCATION_MAX + 1, false,
		    "invalid_amount" },
		{ "220103", "220103001", 0, false, "invalid_amount" },
		{ "220103", "220103001", -5, false, "invalid_amount" },
		{ "220104", "220103001", 100, false, "outside_jurisdiction" },
		{ "220103001", "220103001", 100, false,
		    "outside_jurisdiction" }, /* a township is not the district
		                               */
		{ "220103", "22010300", 100, false, "invalid_code" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem why;
		memset(&why, 0, sizeof(why));
		sn_principal p
		    = principal("fin", "finance", cases[i].juris, NULL);
		bool ok = emergency_rules_allocation_check(
		    &p, cases[i].township, cases[i].amount, &why);
		if (ok != cases[i].ok
		    || (!ok && strcmp(why.code, cases[i].code) != 0))
			fail_msg("row %zu: %d %s", i, ok,
			    why.code ? why.code : "-");
	}
}

static void
test_approver_table(void **state)
{
	(void) state;
	struct {
		const char *what, *user, *juris, *idnum;
		bool        ok;
		const char *code;
	} cases[] = {
		{ "another district user", "dist-1", "220103", NULL, true,
		    NULL },
		{ "the granting officer", "officer-1", "220103", NULL, false,
		    "same_user" },
		{ "another district", "dist-2", "220104", NULL, false,
		    "outside_jurisdiction" },
		{ "a township user", "dist-3", "220103001", NULL, false,
		    "outside_jurisdiction" },
		{ "the person helped", "dist-4", "220103", person_id, false,
		    "own_grant" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem why;
		memset(&why, 0, sizeof(why));
		sn_principal p  = principal(cases[i].user, "district_officer",
		     cases[i].juris, cases[i].idnum);
		bool         ok = emergency_rules_approver_check(
		            &p, "220103001", "officer-1", person_id, &why);
		if (ok != cases[i].ok
		    || (!ok
		        && (strcmp(why.code, cases[i].code) != 0
		            || why.status != 403)))
			fail_msg("%s: %d %s", cases[i].what, ok,
			    why.code ? why.code : "-");
	}
}

static void
test_decision_table(void **state)
{
	(void) state;
	struct {
		const char *decision, *reason;
		bool        ok, approve;
		const char *code;
	} cases[] = {
		{ "approve", NULL, true, true, NULL },
		{ "approve", "verified by phone", true, true, NULL },
		{ "reject", "covered by insurance", true, false, NULL },
		{ "reject", NULL, false, false, "reason_required" },
		{ "reject", "", false, false, "reason_required" },
		{ "maybe", "x", false, false, "invalid_decision" },
		{ NULL, "x", false, false, "invalid_decision" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem why;
		bool       approve = !cases[i].approve;
		memset(&why, 0, sizeof(why));
		bool ok = emergency_rules_decision_check(
		    cases[i].decision, cases[i].reason, &approve, &why);
		if (ok != cases[i].ok || (ok && approve != cases[i].approve)
		    || (!ok && strcmp(why.code, cases[i].code) != 0))
			fail_msg("row %zu: %d %s", i, ok,
			    why.code ? why.code : "-");
	}
}

static void
test_referral_table(void **state)
{
	(void) state;
	struct {
		const char             *kind, *department, *note;
		bool                    ok;
		emergency_referral_kind want;
		const char             *code;
	} cases[] = {
		{ "medical", "district medical insurance bureau", NULL, true,
		    EMERGENCY_REFERRAL_MEDICAL, NULL },
		{ "housing", "housing bureau", "roof", true,
		    EMERGENCY_REFERRAL_HOUSING, NULL },
		{ "education", "education bureau", NULL, true,
		    EMERGENCY_REFERRAL_EDUCATION, NULL },
		{ "employment", "labour bureau", NULL, true,
		    EMERGENCY_REFERRAL_EMPLOYMENT, NULL },
		{ "dibao", NULL, NULL, true, EMERGENCY_REFERRAL_DIBAO, NULL },
		{ "tekun", NULL, "alone, 82", true, EMERGENCY_REFERRAL_TEKUN,
		    NULL },
		{ "medical", NULL, NULL, false, EMERGENCY_REFERRAL_NONE,
		    "department_required" },
		{ "housing", "", NULL, false, EMERGENCY_REFERRAL_NONE,
		    "department_required" },
		{ "loan", "bank", NULL, false, EMERGENCY_REFERRAL_NONE,
		    "invalid_kind" },
		{ NULL, NULL, NULL, false, EMERGENCY_REFERRAL_NONE,
		    "invalid_kind" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem              why;
		emergency_referral_kind k = EMERGENCY_REFERRAL_NONE;
		memset(&why, 0, sizeof(why));
		bool ok = emergency_rules_referral_check(cases[i].kind,
		    cases[i].department, cases[i].note, &k, &why);
		if (ok != cases[i].ok || (ok && k != cases[i].want)
		    || (!ok && strcmp(why.code, cases[i].code) != 0))
			fail_msg("row %zu: %d %s", i, ok,
			    why.code ? why.code : "-");
	}
	assert_true(emergency_rules_referral_needs_department(
	    EMERGENCY_REFERRAL_EMPLOYMENT));
	assert_false(emergency_rules_referral_needs_department(
	    EMERGENCY_REFERRAL_DIBAO));
}

static void
test_names_round_trip(void **state)
{
	(void) state;
	for (int c = EMERGENCY_CAUSE_ACCIDENT; c <= EMERGENCY_CAUSE_OTHER;
	     c++) {
		emergency_cause back;
		assert_true(emergency_rules_cause_parse(
		    emergency_rules_cause_name((emergency_cause) c), &back));
		assert_int_equal(back, c);
	}
	assert_null(emergency_rules_cause_name(EMERGENCY_CAUSE_NONE));
	for (int k = EMERGENCY_REFERRAL_MEDICAL; k <= EMERGENCY_REFERRAL_TEKUN;
	     k++) {
		emergency_referral_kind back;
		assert_true(emergency_rules_referral_parse(
		    emergency_rules_referral_name((emergency_referral_kind) k),
		    &back));
		assert_int_equal(back, k);
	}
}

static void
test_small_parsers(void **state)
{
	(void) state;
	int y = 0;
	assert_true(emergency_rules_year_parse("2026", &y));
	assert_int_equal(y, 2026);
	assert_false(emergency_rules_year_parse("26", &y));
	assert_false(emergency_rules_year_parse("2026a", &y));
	assert_false(emergency_rules_year_parse(NULL, &y));
	assert_true(emergency_rules_year_valid(2026, 2026));
	assert_true(emergency_rules_year_valid(2000, 2026));
	assert_false(emergency_rules_year_valid(2027, 2026));
	assert_false(emergency_rules_year_valid(1999, 2026));
	assert_true(sn_uuid_valid("c9d5d50d-7af5-4807-bd6d-5dd34f36852b"));
	assert_false(sn_uuid_valid("c9d5d50d-7af5-4807-bd6d-5dd34f36852"));
	assert_false(sn_uuid_valid("c9d5d50d_7af5-4807-bd6d-5dd34f36852b"));
	assert_false(sn_uuid_valid(NULL));
	assert_true(emergency_rules_village_in("220103001002", "220103001"));
	assert_false(emergency_rules_village_in("220103002002", "220103001"));
}

/* ---- the fund's debit, as a refusal --------------------------------------
 */

static void
test_debit_check_table(void **state)
{
	(void) state;
	struct {
		const char     *what;
		bool            has_fund;
		sn_fen          balance, amount;
		emergency_debit want;
		sn_fen          after;
		const char
		    *message; /* start of the message; NULL: no problem */
	} cases[] = {
		{ "covered", true, 1000000, 250000, EMERGENCY_DEBIT_OK, 750000,
		    NULL },
		{ "exactly the balance", true, 10000, 10000,
		    EMERGENCY_DEBIT_OK, 0, NULL },
		{ "one fen over", true, 10000, 10001,
		    EMERGENCY_DEBIT_INSUFFICIENT, 0,
		    "the reserve fund's balance, 100.00 yuan, does not cover "
		    "100.01 yuan" },
		{ "an empty fund", true, 0, 1, EMERGENCY_DEBIT_INSUFFICIENT, 0,
		    "the reserve fund's balance, 0.00 yuan" },
		{ "no fund", false, 0, 100, EMERGENCY_DEBIT_INSUFFICIENT, 0,
		    "the township has no reserve fund yet; 1.00 yuan" },
		{ "no fund, whatever the balance says", false, 5000, 100,
		    EMERGENCY_DEBIT_INSUFFICIENT, 0, "the township has no" },
		{ "nothing to debit", true, 1000, 0, EMERGENCY_DEBIT_INVALID,
		    0, "the reserve fund's balance" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem why;
		sn_fen     after = -42;
		memset(&why, 0, sizeof(why));
		emergency_debit got = emergency_rules_debit_check(
		    cases[i].has_fund, cases[i].balance, cases[i].amount,
		    "amount_fen", &after, &why);
		if (got != cases[i].want)
			fail_msg("%s: %d, want %d", cases[i].what, got,
			    cases[i].want);
		if (cases[i].message == NULL) {
			assert_int_equal(why.status, 0);
			assert_int_equal(after, cases[i].after);
			continue;
		}
		if (why.status != 409
		    || strcmp(why.code, "insufficient_funds") != 0
		    || strcmp(why.field, "amount_fen") != 0
		    || strncmp(why.message, cases[i].message,
		           strlen(cases[i].message))
		        != 0)
			fail_msg("%s: %u %s %s \"%s\"", cases[i].what,
			    why.status, why.code ? why.code : "-", why.field,
			    why.message);
		assert_int_equal(after, -42);
	}
	/* An approval names no field. */
	sn_problem why;
	sn_fen     after;
	memset(&why, 0, sizeof(why));
	assert_int_equal(emergency_rules_debit_check(
	                     true, 500000, 600000, NULL, &after, &why),
	    EMERGENCY_DEBIT_INSUFFICIENT);
	assert_string_equal(why.field, "");
}

/* ---- approval: who, and when -----------------------------------------------
 */

static void
test_approval_table(void **state)
{
	(void) state;
	struct {
		const char            *what, *user, *juris, *idnum;
		emergency_grant_status status;
		bool                   ok;
		unsigned               http;
		const char            *code;
	} cases[] = {
		{ "awaiting, another district user", "dist-1", "220103", NULL,
		    EMERGENCY_GRANT_AWAITING, true, 0, NULL },
		{ "granted already", "dist-1", "220103", NULL,
		    EMERGENCY_GRANT_GRANTED, false, 409,
		    "not_awaiting_approval" },
		{ "rejected already", "dist-1", "220103", NULL,
		    EMERGENCY_GRANT_REJECTED, false, 409,
		    "not_awaiting_approval" },
		{ "paid", "dist-1", "220103", NULL, EMERGENCY_GRANT_PAID,
		    false, 409, "not_awaiting_approval" },
		{ "payment failed", "dist-1", "220103", NULL,
		    EMERGENCY_GRANT_PAYMENT_FAILED, false, 409,
		    "not_awaiting_approval" },
		{ "the granting officer, even when granted", "officer-1",
		    "220103", NULL, EMERGENCY_GRANT_GRANTED, false, 403,
		    "same_user" },
		{ "another district", "dist-2", "220104", NULL,
		    EMERGENCY_GRANT_AWAITING, false, 403,
		    "outside_jurisdiction" },
		{ "the person helped", "dist-4", "220103", person_id,
		    EMERGENCY_GRANT_AWAITING, false, 403, "own_grant" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem why;
		memset(&why, 0, sizeof(why));
		sn_principal p = principal(cases[i].user, "district_officer",
		    cases[i].juris, cases[i].idnum);
		emergency_grant_facts g = { .status = cases[i].status,
			.township_code              = "220103001",
			.granted_by                 = "officer-1",
			.id_number                  = person_id };
		bool ok = emergency_rules_approval_check(&p, &g, &why);
		if (ok != cases[i].ok
		    || (!ok
		        && (strcmp(why.code, cases[i].code) != 0
		            || why.status != cases[i].http)))
			fail_msg("%s: %d %u %s", cases[i].what, ok, why.status,
			    why.code ? why.code : "-");
	}
	sn_problem why;
	memset(&why, 0, sizeof(why));
	sn_principal p
	    = principal("dist-1", "district_officer", "220103", NULL);
	emergency_grant_facts g = { .status = EMERGENCY_GRANT_PAID,
		.township_code              = "220103001",
		.granted_by                 = "officer-1",
		.id_number                  = person_id };
	assert_false(emergency_rules_approval_check(&p, &g, &why));
	assert_string_equal(
	    why.message, "the grant is paid, not waiting for approval");
}

/* ---- settlement and referrals: who, and which year -------------------------
 */

static void
test_settlement_table(void **state)
{
	(void) state;
	sn_date today = { .year = 2026, .month = 1, .day = 1 };
	struct {
		const char *juris, *township;
		int64_t     year;
		bool        ok;
		const char *code;
	} cases[] = {
		{ "220103", "220103001", 2026, true, NULL },
		{ "220103", "220103001", 2025, true, NULL },
		{ "220103", "220103001", 2000, true, NULL },
		{ "220103", "220103001", 1999, false, "invalid_year" },
		{ "220103", "220103001", 2027, false, "invalid_year" },
		{ "220103", "220103001", 0, false, "invalid_year" },
		{ "220104", "220103001", 2026, false, "outside_jurisdiction" },
		{ "220103001", "220103001", 2026, false,
		    "outside_jurisdiction" },
		{ "220103", "2201030", 2026, false, "invalid_code" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem why;
		memset(&why, 0, sizeof(why));
		sn_principal p
		    = principal("fin", "finance", cases[i].juris, NULL);
		bool ok = emergency_rules_settlement_check(
		              &p, cases[i].township, &why)
		    && emergency_rules_settlement_year(
		        cases[i].year, today, &why);
		if (ok != cases[i].ok
		    || (!ok && strcmp(why.code, cases[i].code) != 0))
			fail_msg("row %zu: %d %s", i, ok,
			    why.code ? why.code : "-");
	}
}

static void
test_referral_allowed_table(void **state)
{
	(void) state;
	struct {
		const char *juris;
		bool        ok;
	} cases[] = {
		{ "220103001", true },
		{ "220103", true },
		{ "220103002", false },
		{ "220103001002", false },
		{ "220104", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_problem why;
		memset(&why, 0, sizeof(why));
		sn_principal p = principal(
		    "o", "emergency_officer", cases[i].juris, NULL);
		bool ok
		    = emergency_rules_referral_allowed(&p, "220103001", &why);
		if (ok != cases[i].ok
		    || (!ok
		        && (why.status != 403
		            || strcmp(why.code, "outside_jurisdiction") != 0
		            || strcmp(why.field, "id") != 0)))
			fail_msg("row %zu: %d %s", i, ok,
			    why.code ? why.code : "-");
	}
}

/* ---- payment outcomes ------------------------------------------------------
 */

static void
test_payment_table(void **state)
{
	(void) state;
	const emergency_payment_event S = EMERGENCY_PAYMENT_SETTLED;
	const emergency_payment_event F = EMERGENCY_PAYMENT_FAILED;
	struct {
		const char              *what;
		emergency_payment_event  ev;
		bool                     found;
		emergency_grant_status   status;
		emergency_payment_action want;
	} cases[] = {
		{ "settled: granted becomes paid", S, true,
		    EMERGENCY_GRANT_GRANTED, EMERGENCY_PAY_MARK_PAID },
		{ "failed: granted is reversed", F, true,
		    EMERGENCY_GRANT_GRANTED, EMERGENCY_PAY_REVERSE },
		{ "failed again: reversed once only", F, true,
		    EMERGENCY_GRANT_PAYMENT_FAILED, EMERGENCY_PAY_IGNORE },
		{ "failed after settled: left alone", F, true,
		    EMERGENCY_GRANT_PAID, EMERGENCY_PAY_IGNORE },
		{ "settled again", S, true, EMERGENCY_GRANT_PAID,
		    EMERGENCY_PAY_IGNORE_NOTE },
		{ "settled after the reversal: finance must look", S, true,
		    EMERGENCY_GRANT_PAYMENT_FAILED,
		    EMERGENCY_PAY_IGNORE_ALERT },
		{ "settled, never debited", S, true, EMERGENCY_GRANT_AWAITING,
		    EMERGENCY_PAY_IGNORE_NOTE },
		{ "settled, rejected", S, true, EMERGENCY_GRANT_REJECTED,
		    EMERGENCY_PAY_IGNORE_NOTE },
		{ "failed, never debited", F, true, EMERGENCY_GRANT_AWAITING,
		    EMERGENCY_PAY_IGNORE },
		{ "failed, rejected", F, true, EMERGENCY_GRANT_REJECTED,
		    EMERGENCY_PAY_IGNORE },
		{ "settled, no such grant", S, false, EMERGENCY_GRANT_GRANTED,
		    EMERGENCY_PAY_IGNORE_NOTE },
		{ "failed, no such grant", F, false, EMERGENCY_GRANT_GRANTED,
		    EMERGENCY_PAY_IGNORE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		emergency_payment_action got = emergency_rules_payment(
		    cases[i].ev, cases[i].found, cases[i].status);
		if (got != cases[i].want)
			fail_msg("%s: %d, want %d", cases[i].what, got,
			    cases[i].want);
	}
}

static void
test_status_names(void **state)
{
	(void) state;
	for (int s = 0; s < EMERGENCY_NSTATUS; s++) {
		emergency_grant_status back;
		assert_true(emergency_rules_status_parse(
		    emergency_rules_status_name((emergency_grant_status) s),
		    &back));
		assert_int_equal(back, s);
	}
	emergency_grant_status st;
	assert_false(emergency_rules_status_parse("all", &st));
	assert_false(emergency_rules_status_parse("GRANTED", &st));
	assert_false(emergency_rules_status_parse(NULL, &st));
	assert_null(emergency_status_names[EMERGENCY_NSTATUS]);
	assert_string_equal(
	    emergency_cause_names[EMERGENCY_CAUSE_FIRE], "fire");
	assert_string_equal(
	    emergency_referral_names[EMERGENCY_REFERRAL_TEKUN], "tekun");
}

/* ---- issue 10: the window, the household, the kind ------------------------
 */

/* The window's sum (earlier grants) with the request against the limit. */
static void
test_window_table(void **state)
{
	(void) state;
	const struct {
		const char     *what;
		int64_t         prior, amount;
		emergency_class want;
	} cases[] = {
		{ "nothing before, within", 0, LIMIT, EMERGENCY_AT_ONCE },
		{ "three 3,000 yuan: the second", LIMIT, LIMIT,
		    EMERGENCY_NEEDS_APPROVAL },
		{ "up to the limit exactly", LIMIT - 1, 1, EMERGENCY_AT_ONCE },
		{ "one fen over", LIMIT - 1, 2, EMERGENCY_NEEDS_APPROVAL },
		{ "the earlier ones already over", LIMIT + 5, 1,
		    EMERGENCY_NEEDS_APPROVAL },
		{ "overflow waits", INT64_MAX - 1, 10,
		    EMERGENCY_NEEDS_APPROVAL },
		{ "a negative sum (cannot be) waits", -LIMIT, LIMIT,
		    EMERGENCY_NEEDS_APPROVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		emergency_class got = emergency_rules_window(
		    LIMIT, cases[i].prior, cases[i].amount);
		if (got != cases[i].want)
			fail_msg("%s: class %d, want %d", cases[i].what, got,
			    cases[i].want);
	}
}

/* household_id_numbers through classify: each checked like the
 * person's; not the person, not twice, at most household_size - 1. */
static void
test_household_table(void **state)
{
	(void) state;
	char a[19], b[19];
	idn(a, "22010319900202002");
	idn(b, "22010320000303003");
	sn_principal p = principal(
	    "officer-1", "emergency_officer", "220103001", officer_id);
	const struct {
		const char     *what;
		const char     *m[3];
		size_t          n;
		int64_t         size;
		emergency_class want;
		const char     *code;
	} cases[] = {
		{ "none", { NULL }, 0, 3, EMERGENCY_AT_ONCE, NULL },
		{ "two members of three", { a, b }, 2, 3, EMERGENCY_AT_ONCE,
		    NULL },
		{ "more members than the household", { a, b }, 2, 2,
		    EMERGENCY_INVALID, "invalid_household" },
		{ "a bad check digit", { bad_check }, 1, 3, EMERGENCY_INVALID,
		    "invalid_id_number" },
		{ "not an id number", { "12345" }, 1, 3, EMERGENCY_INVALID,
		    "invalid_id_number" },
		{ "the person again", { person_id }, 1, 3, EMERGENCY_INVALID,
		    "invalid_household" },
		{ "a member twice", { a, a }, 2, 3, EMERGENCY_INVALID,
		    "invalid_household" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		emergency_grant_req r   = good();
		sn_problem          why = { 0 };
		r.household_size        = cases[i].size;
		r.nhousehold            = cases[i].n;
		for (size_t k = 0; k < cases[i].n; k++)
			r.household[k] = cases[i].m[k];
		emergency_class got
		    = emergency_rules_classify(&r, &p, LIMIT, &why);
		if (got != cases[i].want
		    || (cases[i].code != NULL
		        && (why.code == NULL
		            || strcmp(why.code, cases[i].code) != 0
		            || strcmp(why.field, "household_id_numbers")
		                != 0)))
			fail_msg("%s: class %d code %s field %s",
			    cases[i].what, got, why.code ? why.code : "-",
			    why.field);
	}
}

/* A request's kind and the whole amount it asks. */
static void
test_kind_table(void **state)
{
	(void) state;
	const struct {
		const char        *what;
		emergency_kind_req k;
		bool               ok;
		emergency_kind     kind;
		int32_t            n;
		int64_t            total;
		const char        *code, *field;
	} cases[] = {
		{ "single, kind absent",
		    { .has_amount = true, .amount_fen = 500 }, true,
		    EMERGENCY_KIND_SINGLE, 0, 500, NULL, NULL },
		{ "single by name",
		    { .kind = "single", .has_amount = true, .amount_fen = 7 },
		    true, EMERGENCY_KIND_SINGLE, 0, 7, NULL, NULL },
		{ "single with instalments",
		    { .has_amount        = true,
		        .amount_fen      = 7,
		        .has_instalments = true,
		        .instalments     = 2 },
		    false, 0, 0, 0, "invalid_instalments", "instalments" },
		{ "single with a monthly amount",
		    { .has_amount    = true,
		        .amount_fen  = 7,
		        .has_monthly = true,
		        .monthly_fen = 7 },
		    false, 0, 0, 0, "invalid_instalments",
		    "monthly_amount_fen" },
		{ "transitional 3 x 800 yuan",
		    { .kind              = "transitional",
		        .has_instalments = true,
		        .instalments     = 3,
		        .has_monthly     = true,
		        .monthly_fen     = 80000 },
		    true, EMERGENCY_KIND_TRANSITIONAL, 3, 240000, NULL, NULL },
		{ "transitional with its product",
		    { .kind              = "transitional",
		        .has_instalments = true,
		        .instalments     = 2,
		        .has_monthly     = true,
		        .monthly_fen     = 100,
		        .has_amount      = true,
		        .amount_fen      = 200 },
		    true, EMERGENCY_KIND_TRANSITIONAL, 2, 200, NULL, NULL },
		{ "transitional, amount not the product",
		    { .kind              = "transitional",
		        .has_instalments = true,
		        .instalments     = 2,
		        .has_monthly     = true,
		        .monthly_fen     = 100,
		        .has_amount      = true,
		        .amount_fen      = 201 },
		    false, 0, 0, 0, "invalid_amount", "amount_fen" },
		{ "transitional, the most instalments",
		    { .kind              = "transitional",
		        .has_instalments = true,
		        .instalments     = 6,
		        .has_monthly     = true,
		        .monthly_fen     = 1 },
		    true, EMERGENCY_KIND_TRANSITIONAL, 6, 6, NULL, NULL },
		{ "transitional, one too many",
		    { .kind              = "transitional",
		        .has_instalments = true,
		        .instalments     = 7,
		        .has_monthly     = true,
		        .monthly_fen     = 1 },
		    false, 0, 0, 0, "invalid_instalments", "instalments" },
		{ "transitional, one instalment",
		    { .kind              = "transitional",
		        .has_instalments = true,
		        .instalments     = 1,
		        .has_monthly     = true,
		        .monthly_fen     = 1 },
		    false, 0, 0, 0, "invalid_instalments", "instalments" },
		{ "transitional without instalments",
		    { .kind          = "transitional",
		        .has_monthly = true,
		        .monthly_fen = 1 },
		    false, 0, 0, 0, "invalid_instalments", "instalments" },
		{ "transitional without a monthly amount",
		    { .kind              = "transitional",
		        .has_instalments = true,
		        .instalments     = 2 },
		    false, 0, 0, 0, "invalid_amount", "monthly_amount_fen" },
		{ "transitional, the whole above the largest grant",
		    { .kind              = "transitional",
		        .has_instalments = true,
		        .instalments     = 6,
		        .has_monthly     = true,
		        .monthly_fen     = EMERGENCY_AMOUNT_MAX / 6 + 1 },
		    false, 0, 0, 0, "invalid_amount", "monthly_amount_fen" },
		{ "an unknown kind", { .kind = "monthly" }, false, 0, 0, 0,
		    "invalid_kind", "kind" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		emergency_kind kind  = EMERGENCY_KIND_SINGLE;
		int32_t        n     = -1;
		sn_fen         total = -1;
		sn_problem     why   = { 0 };
		bool           ok    = emergency_rules_kind(&cases[i].k,
		                 EMERGENCY_INSTALMENTS_DEFAULT, &kind, &n, &total, &why);
		if (ok != cases[i].ok)
			fail_msg("%s: %s (%s)", cases[i].what,
			    ok ? "accepted" : "refused",
			    why.code ? why.code : "-");
		if (ok
		    && (kind != cases[i].kind || n != cases[i].n
		        || total != cases[i].total))
			fail_msg("%s: kind %d, %d instalments, total %lld",
			    cases[i].what, kind, n, (long long) total);
		if (!ok
		    && (why.code == NULL
		        || strcmp(why.code, cases[i].code) != 0
		        || strcmp(why.field, cases[i].field) != 0))
			fail_msg("%s: code %s field %s, want %s %s",
			    cases[i].what, why.code ? why.code : "-",
			    why.field, cases[i].code, cases[i].field);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_classify_who),
		cmocka_unit_test(test_debit_table),
		cmocka_unit_test(test_allocation_table),
		cmocka_unit_test(test_approver_table),
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_referral_table),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_small_parsers),
		cmocka_unit_test(test_debit_check_table),
		cmocka_unit_test(test_approval_table),
		cmocka_unit_test(test_settlement_table),
		cmocka_unit_test(test_referral_allowed_table),
		cmocka_unit_test(test_payment_table),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_window_table),
		cmocka_unit_test(test_household_table),
		cmocka_unit_test(test_kind_table),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
