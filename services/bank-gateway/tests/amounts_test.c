/*
 * bank_gateway.amounts: ISO 20022 amounts to and from integer fen,
 * exactly (iso20022.h), by tables and a round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "iso20022.h"

static void
format_table(void **state)
{
	static const struct {
		sn_fen      fen;
		const char *text;
	} cases[] = {
		{ 0, "0.00" },
		{ 5, "0.05" },
		{ 10, "0.10" },
		{ 99, "0.99" },
		{ 100, "1.00" },
		{ 80000, "800.00" },
		{ 123456, "1234.56" },
		{ 100000000001, "1000000000.01" },
		{ INT64_MAX, "92233720368547758.07" },
	};
	char   buf[BANK_GATEWAY_ISO_AMOUNT_MAX];
	size_t i;

	(void) state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(
		    bank_gateway_iso_amount_format(cases[i].fen, buf), SN_OK);
		assert_string_equal(buf, cases[i].text);
	}
	assert_int_equal(bank_gateway_iso_amount_format(-1, buf), SN_ERANGE);
}

static void
parse_table(void **state)
{
	static const struct {
		const char *text;
		sn_err      err;
		sn_fen      fen;
	} cases[] = {
		{ "1234.56", SN_OK, 123456 }, { "800", SN_OK, 80000 },
		{ "800.", SN_OK, 80000 }, { ".5", SN_OK, 50 },
		{ "0.1", SN_OK, 10 }, { "0.10000", SN_OK, 10 },
		{ "+7.00", SN_OK, 700 }, { "007.07", SN_OK, 707 },
		{ " \n\t800.00\r\n ", SN_OK, 80000 },
		{ "92233720368547758.07", SN_OK, INT64_MAX },
		{ "92233720368547758.08", SN_ERANGE, 0 },
		{ "99999999999999999999", SN_ERANGE, 0 },
		{ "0.001", SN_EINVAL, 0 }, { "800.005", SN_EINVAL, 0 },
		{ "1.000000", SN_EINVAL, 0 }, { "-1.00", SN_EINVAL, 0 },
		{ "-0", SN_EINVAL, 0 }, { "", SN_EINVAL, 0 },
		{ " ", SN_EINVAL, 0 }, { ".", SN_EINVAL, 0 },
		{ "+", SN_EINVAL, 0 }, { "1e3", SN_EINVAL, 0 },
		{ "1,000.00", SN_EINVAL, 0 }, { "12 34", SN_EINVAL, 0 },
		{ "0x10", SN_EINVAL, 0 }, { "NaN", SN_EINVAL, 0 },
		{ "１２", SN_EINVAL, 0 }, /* full-width digits */
	};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sn_fen fen = -42;

		print_message("%s\n", cases[i].text);
		assert_int_equal(
		    bank_gateway_iso_amount_parse(cases[i].text, &fen),
		    cases[i].err);
		assert_true(
		    fen == (cases[i].err == SN_OK ? cases[i].fen : -42));
	}
}

/* Every amount written reads back as the same fen. */
static void
round_trip(void **state)
{
	char   buf[BANK_GATEWAY_ISO_AMOUNT_MAX];
	sn_fen fen, back;

	(void) state;
	for (fen = 0; fen < 200000; fen += 7) {
		assert_int_equal(
		    bank_gateway_iso_amount_format(fen, buf), SN_OK);
		assert_int_equal(
		    bank_gateway_iso_amount_parse(buf, &back), SN_OK);
		assert_true(back == fen);
	}
	for (fen = INT64_MAX; fen > INT64_MAX - 1000; fen--) {
		assert_int_equal(
		    bank_gateway_iso_amount_format(fen, buf), SN_OK);
		assert_int_equal(
		    bank_gateway_iso_amount_parse(buf, &back), SN_OK);
		assert_true(back == fen);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(format_table),
		cmocka_unit_test(parse_table),
		cmocka_unit_test(round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
