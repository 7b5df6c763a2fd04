/*
 * bank_gateway.rules: bank-gateway's pure decisions (rules.h) as tables:
 * whether a batch adds up, the remittance text, the identifiers, and the
 * states and what disbursement is told.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"

static void
totals(void **state)
{
	static const sn_fen two[] = { 80000, 63000 };
	static const sn_fen big[] = { INT64_MAX, 1 };
	char                why[BANK_GATEWAY_RULES_WHY_MAX];
	(void) state;
	assert_true(
	    bank_gateway_rules_totals(2, 143000, two, 2, why, sizeof why));
	assert_false(
	    bank_gateway_rules_totals(3, 143000, two, 2, why, sizeof why));
	assert_non_null(strstr(why, "count 3"));
	assert_false(
	    bank_gateway_rules_totals(1, 143000, two, 2, why, sizeof why));
	assert_false(
	    bank_gateway_rules_totals(-2, 143000, two, 2, why, sizeof why));
	assert_false(
	    bank_gateway_rules_totals(2, 143001, two, 2, why, sizeof why));
	assert_non_null(strstr(why, "control sum 143001"));
	assert_false(
	    bank_gateway_rules_totals(0, 0, NULL, 0, why, sizeof why));
	assert_non_null(strstr(why, "no instruction"));
	assert_false(bank_gateway_rules_totals(2, 0, big, 2, why, sizeof why));
	assert_non_null(strstr(why, "overflows"));
}

static void
remittance(void **state)
{
	static const struct {
		const char *period, *purpose, *want;
		sn_err      err;
	} cases[] = {
		{ "2027-01", "最低生活保障金", "2027年1月 最低生活保障金",
		    SN_OK },
		{ "2027-12", "特困人员救助供养金",
		    "2027年12月 特困人员救助供养金", SN_OK },
		{ "2026-10", "价格临时补贴", "2026年10月 价格临时补贴",
		    SN_OK },
		{ "", "临时救助金", "临时救助金", SN_OK },
		{ NULL, "临时救助金", "临时救助金", SN_OK },
		{ "2027-13", "x", NULL, SN_EINVAL },
		{ "2027-1", "x", NULL, SN_EINVAL },
		{ "202701", "x", NULL, SN_EINVAL },
		{ "2027-01-05", "x", NULL, SN_EINVAL },
	};
	char buf[256];
	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sn_err err = bank_gateway_rules_remittance(
		    cases[i].period, cases[i].purpose, buf, sizeof buf);
		if (err != cases[i].err)
			fail_msg("case %zu: %d", i, err);
		if (err == SN_OK)
			assert_string_equal(buf, cases[i].want);
	}
	char small[8];
	assert_int_equal(bank_gateway_rules_remittance(
	                     "2027-01", "最低生活保障金", small, sizeof small),
	    SN_ERANGE);
}

static void
ids(void **state)
{
	char out[BANK_GATEWAY_ISO_ID_MAX];
	(void) state;
	bank_gateway_rules_instr_id("B0123456789abcdef", 1, out);
	assert_string_equal(out, "B0123456789abcdef-1");
	bank_gateway_rules_instr_id("B0123456789abcdef", 10000, out);
	assert_string_equal(out, "B0123456789abcdef-10000");
	/* 33 + "-1" = 35 fits; 34 + "-1" does not */
	bank_gateway_rules_instr_id(
	    "123456789012345678901234567890123", 1, out);
	assert_string_equal(out, "123456789012345678901234567890123-1");
	bank_gateway_rules_instr_id(
	    "1234567890123456789012345678901234", 1, out);
	assert_string_equal(out, "1");
	bank_gateway_rules_pmt_inf_id("B0123456789abcdef", out);
	assert_string_equal(out, "B0123456789abcdef-P1");
	bank_gateway_rules_pmt_inf_id("12345678901234567890123456789012", out);
	assert_string_equal(out, "12345678901234567890123456789012-P1");
	bank_gateway_rules_pmt_inf_id(
	    "123456789012345678901234567890123", out);
	assert_string_equal(out, "P1");
}

static void
states(void **state)
{
	(void) state;
	assert_int_equal(bank_gateway_rules_state(BANK_GATEWAY_PAID),
	    BANK_GATEWAY_STATE_PAID);
	assert_int_equal(bank_gateway_rules_state(BANK_GATEWAY_PENDING),
	    BANK_GATEWAY_STATE_PENDING);
	assert_int_equal(bank_gateway_rules_state(BANK_GATEWAY_REJECTED),
	    BANK_GATEWAY_STATE_REJECTED);
	assert_int_equal(bank_gateway_rules_state(BANK_GATEWAY_RETRY),
	    BANK_GATEWAY_STATE_RETRY);
	static const struct {
		bank_gateway_state from, to;
		bool               moves;
	} m[] = {
		{ BANK_GATEWAY_STATE_NONE, BANK_GATEWAY_STATE_PENDING, true },
		{ BANK_GATEWAY_STATE_NONE, BANK_GATEWAY_STATE_PAID, true },
		{ BANK_GATEWAY_STATE_PENDING, BANK_GATEWAY_STATE_PAID, true },
		{ BANK_GATEWAY_STATE_PENDING, BANK_GATEWAY_STATE_REJECTED,
		    true },
		{ BANK_GATEWAY_STATE_PENDING, BANK_GATEWAY_STATE_PENDING,
		    true },
		{ BANK_GATEWAY_STATE_PENDING, BANK_GATEWAY_STATE_NONE, false },
		{ BANK_GATEWAY_STATE_PAID, BANK_GATEWAY_STATE_REJECTED,
		    false },
		{ BANK_GATEWAY_STATE_PAID, BANK_GATEWAY_STATE_PENDING, false },
		{ BANK_GATEWAY_STATE_REJECTED, BANK_GATEWAY_STATE_PAID,
		    false },
		{ BANK_GATEWAY_STATE_RETRY, BANK_GATEWAY_STATE_PAID, false },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (bank_gateway_rules_moves(m[i].from, m[i].to) != m[i].moves)
			fail_msg("move %zu", i);
	assert_int_equal(bank_gateway_rules_wire(BANK_GATEWAY_STATE_NONE),
	    BANK_GATEWAY_WIRE_ACCEPTED);
	assert_int_equal(bank_gateway_rules_wire(BANK_GATEWAY_STATE_PENDING),
	    BANK_GATEWAY_WIRE_ACCEPTED);
	assert_int_equal(bank_gateway_rules_wire(BANK_GATEWAY_STATE_PAID),
	    BANK_GATEWAY_WIRE_SETTLED);
	assert_int_equal(bank_gateway_rules_wire(BANK_GATEWAY_STATE_REJECTED),
	    BANK_GATEWAY_WIRE_REJECTED);
	assert_int_equal(bank_gateway_rules_wire(BANK_GATEWAY_STATE_RETRY),
	    BANK_GATEWAY_WIRE_RETRY);
	assert_string_equal(
	    bank_gateway_state_names[BANK_GATEWAY_STATE_RETRY], "retry");
	assert_null(bank_gateway_state_names[5]);
}

/* Whose file a DU01 is about, by the ids its report names. */
static void
held(void **state)
{
	const char *ours[] = { "E-3", "E-1", "E-2" };
	static const struct {
		const char       *named[4];
		size_t            m;
		bank_gateway_held want;
	} c[] = {
		{ { "E-1", "E-2", "E-3" }, 3, BANK_GATEWAY_HELD_OURS },
		{ { "E-3", "E-1" }, 2, BANK_GATEWAY_HELD_OURS },
		{ { "E-2", "E-2" }, 2, BANK_GATEWAY_HELD_OURS },
		{ { "X-1", "X-2" }, 2, BANK_GATEWAY_HELD_OTHERS },
		{ { "e-1" }, 1, BANK_GATEWAY_HELD_OTHERS },
		{ { "E-1", "X-1" }, 2, BANK_GATEWAY_HELD_UNCLEAR },
		{ { "X-1", "E-3", "X-2" }, 3, BANK_GATEWAY_HELD_UNCLEAR },
		{ { NULL }, 0, BANK_GATEWAY_HELD_UNCLEAR },
	};
	(void) state;
	qsort(ours, 3, sizeof(*ours), bank_gateway_rules_id_cmp);
	assert_string_equal(ours[0], "E-1");
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		if (bank_gateway_rules_held(ours, 3, c[i].named, c[i].m)
		    != c[i].want)
			fail_msg("case %zu", i);
	assert_int_equal(bank_gateway_rules_held(NULL, 0, ours, 1),
	    BANK_GATEWAY_HELD_OTHERS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(totals),
		cmocka_unit_test(remittance),
		cmocka_unit_test(ids),
		cmocka_unit_test(states),
		cmocka_unit_test(held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
