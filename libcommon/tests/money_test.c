#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sn/money.h"

/* Written where a failing operation must leave *out untouched. */
#define SENTINEL ((sn_fen) 777)

struct binop_case {
	sn_fen  a;
	int64_t b;
	sn_err  err;
	sn_fen  want;
};

static void
run_binop(sn_err (*op)(sn_fen, int64_t, sn_fen *),
    const struct binop_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sn_fen out  = SENTINEL;
		sn_err err  = op(cases[i].a, cases[i].b, &out);
		sn_fen want = cases[i].err == SN_OK ? cases[i].want : SENTINEL;

		if (err != cases[i].err || out != want)
			fail_msg("case %zu (%lld, %lld): err %d out %lld", i,
			    (long long) cases[i].a, (long long) cases[i].b,
			    (int) err, (long long) out);
	}
}

#define RUN_BINOP(op, cases)                                                  \
	run_binop(op, cases, sizeof(cases) / sizeof(cases[0]))

static void
test_add(void **state)
{
	static const struct binop_case cases[] = {
		{ 1, 2, SN_OK, 3 },
		{ -5, 5, SN_OK, 0 },
		{ INT64_MAX, 0, SN_OK, INT64_MAX },
		{ INT64_MAX, 1, SN_ERANGE, 0 },
		{ INT64_MIN, -1, SN_ERANGE, 0 },
		{ INT64_MIN, INT64_MAX, SN_OK, -1 },
	};

	(void) state;
	RUN_BINOP(sn_fen_add, cases);
}

static void
test_sub(void **state)
{
	static const struct binop_case cases[] = {
		{ 3, 2, SN_OK, 1 },
		{ 0, 5, SN_OK, -5 },
		{ INT64_MIN, 1, SN_ERANGE, 0 },
		{ 0, INT64_MIN, SN_ERANGE, 0 },
		{ -1, INT64_MIN, SN_OK, INT64_MAX },
		{ INT64_MAX, -1, SN_ERANGE, 0 },
	};

	(void) state;
	RUN_BINOP(sn_fen_sub, cases);
}

static void
test_mul(void **state)
{
	static const struct binop_case cases[] = {
		{ 83000, 12, SN_OK, 996000 },
		{ -150, 3, SN_OK, -450 },
		{ 0, INT64_MAX, SN_OK, 0 },
		{ INT64_MAX, 1, SN_OK, INT64_MAX },
		{ INT64_MAX / 2 + 1, 2, SN_ERANGE, 0 },
		{ INT64_MIN, -1, SN_ERANGE, 0 },
		{ INT64_MIN / 2, 2, SN_OK, INT64_MIN },
	};

	(void) state;
	RUN_BINOP(sn_fen_mul, cases);
}

static void
test_div_floor(void **state)
{
	static const struct binop_case cases[] = {
		{ 7, 2, SN_OK, 3 },
		{ -7, 2, SN_OK, -4 },
		{ -8, 2, SN_OK, -4 },
		{ 0, 3, SN_OK, 0 },
		{ 100, 3, SN_OK, 33 },
		{ INT64_MIN, 1, SN_OK, INT64_MIN },
		{ INT64_MIN, 3, SN_OK, -3074457345618258603 },
		{ INT64_MAX, 2, SN_OK, INT64_MAX / 2 },
		{ 7, 0, SN_EINVAL, 0 },
		{ 7, -1, SN_EINVAL, 0 },
	};

	(void) state;
	RUN_BINOP(sn_fen_div_floor, cases);
}

static void
test_div_ceil(void **state)
{
	static const struct binop_case cases[] = {
		{ 7, 2, SN_OK, 4 },
		{ -7, 2, SN_OK, -3 },
		{ 8, 2, SN_OK, 4 },
		{ 100, 3, SN_OK, 34 },
		{ INT64_MAX, 1, SN_OK, INT64_MAX },
		{ INT64_MAX, 2, SN_OK, INT64_MAX / 2 + 1 },
		{ INT64_MIN, 2, SN_OK, INT64_MIN / 2 },
		{ 7, 0, SN_EINVAL, 0 },
		{ 7, INT64_MIN, SN_EINVAL, 0 },
	};

	(void) state;
	RUN_BINOP(sn_fen_div_ceil, cases);
}

static void
test_ceil_yuan(void **state)
{
	static const struct {
		sn_fen a;
		sn_err err;
		sn_fen want;
	} cases[] = {
		{ 83001, SN_OK, 83100 },
		{ -150, SN_OK, -100 },
		{ 500, SN_OK, 500 },
		{ 0, SN_OK, 0 },
		{ 1, SN_OK, 100 },
		{ -1, SN_OK, 0 },
		{ -99, SN_OK, 0 },
		{ -100, SN_OK, -100 },
		{ -101, SN_OK, -100 },
		{ INT64_MAX - 6, SN_ERANGE, 0 },
		{ 9223372036854775800, SN_OK, 9223372036854775800 },
		{ 9223372036854775701, SN_OK, 9223372036854775800 },
		{ INT64_MAX, SN_ERANGE, 0 },
		{ 9223372036854775700, SN_OK, 9223372036854775700 },
		{ INT64_MIN, SN_OK, -9223372036854775800 },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_fen out  = SENTINEL;
		sn_err err  = sn_fen_ceil_yuan(cases[i].a, &out);
		sn_fen want = cases[i].err == SN_OK ? cases[i].want : SENTINEL;

		if (err != cases[i].err || out != want)
			fail_msg("case %zu (%lld): err %d out %lld", i,
			    (long long) cases[i].a, (int) err,
			    (long long) out);
	}
}

static void
test_from_yuan(void **state)
{
	sn_fen out = SENTINEL;

	(void) state;
	assert_int_equal(sn_fen_from_yuan(830, &out), SN_OK);
	assert_true(out == 83000);
	assert_int_equal(sn_fen_from_yuan(-3, &out), SN_OK);
	assert_true(out == -300);
	assert_int_equal(sn_fen_from_yuan(INT64_MAX / 100, &out), SN_OK);
	assert_true(out == INT64_MAX / 100 * 100);
	out = SENTINEL;
	assert_int_equal(
	    sn_fen_from_yuan(INT64_MAX / 100 + 1, &out), SN_ERANGE);
	assert_int_equal(
	    sn_fen_from_yuan(INT64_MIN / 100 - 1, &out), SN_ERANGE);
	assert_true(out == SENTINEL);
}

static void
test_format(void **state)
{
	static const struct {
		sn_fen      a;
		const char *want;
	} cases[] = {
		{ 0, "0.00" },
		{ 5, "0.05" },
		{ -5, "-0.05" },
		{ 50, "0.50" },
		{ -100, "-1.00" },
		{ 123456, "1234.56" },
		{ 83000, "830.00" },
		{ INT64_MAX, "92233720368547758.07" },
		{ INT64_MIN, "-92233720368547758.08" },
		{ INT64_MIN + 1, "-92233720368547758.07" },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[SN_FEN_FMT_MAX];

		assert_ptr_equal(sn_fen_format(cases[i].a, buf), buf);
		assert_string_equal(buf, cases[i].want);
	}
}

static void
test_parse(void **state)
{
	static const struct {
		const char *text;
		sn_err      err;
		sn_fen      want;
	} cases[] = {
		{ "1234", SN_OK, 123400 },
		{ "1234.5", SN_OK, 123450 },
		{ "1234.56", SN_OK, 123456 },
		{ "1234.05", SN_OK, 123405 },
		{ "-0.05", SN_OK, -5 },
		{ "-1234.5", SN_OK, -123450 },
		{ "0", SN_OK, 0 },
		{ "-0", SN_OK, 0 },
		{ "0.00", SN_OK, 0 },
		{ "007.10", SN_OK, 710 },
		{ "92233720368547758.07", SN_OK, INT64_MAX },
		{ "-92233720368547758.08", SN_OK, INT64_MIN },
		{ "92233720368547758", SN_OK, 9223372036854775800 },
		{ "92233720368547758.08", SN_ERANGE, 0 },
		{ "-92233720368547758.09", SN_ERANGE, 0 },
		{ "92233720368547759", SN_ERANGE, 0 },
		{ "99999999999999999999", SN_ERANGE, 0 },
		{ "99999999999999999999x", SN_EINVAL, 0 },
		{ "1.234", SN_EINVAL, 0 },
		{ "1e3", SN_EINVAL, 0 },
		{ " 1", SN_EINVAL, 0 },
		{ "1 ", SN_EINVAL, 0 },
		{ "", SN_EINVAL, 0 },
		{ "-", SN_EINVAL, 0 },
		{ "1.", SN_EINVAL, 0 },
		{ ".5", SN_EINVAL, 0 },
		{ "-.5", SN_EINVAL, 0 },
		{ "+1", SN_EINVAL, 0 },
		{ "--1", SN_EINVAL, 0 },
		{ "1,5", SN_EINVAL, 0 },
		{ "1.2.3", SN_EINVAL, 0 },
		{ "0x10", SN_EINVAL, 0 },
		{ "NaN", SN_EINVAL, 0 },
		{ "\xef\xbc\x91", SN_EINVAL, 0 }, /* fullwidth digit one */
		{ NULL, SN_EINVAL, 0 },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_fen out  = SENTINEL;
		sn_err err  = sn_fen_parse(cases[i].text, &out);
		sn_fen want = cases[i].err == SN_OK ? cases[i].want : SENTINEL;

		if (err != cases[i].err || out != want)
			fail_msg("case %zu (\"%s\"): err %d out %lld", i,
			    cases[i].text != NULL ? cases[i].text : "(null)",
			    (int) err, (long long) out);
	}
}

static void
test_round_trip(void **state)
{
	static const sn_fen values[]
	    = { 0, 1, -1, 99, -99, 100, 123456789, -987654321, INT64_MAX,
		      INT64_MIN, INT64_MAX - 1, INT64_MIN + 1 };

	(void) state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char   buf[SN_FEN_FMT_MAX];
		sn_fen back = SENTINEL;

		assert_int_equal(
		    sn_fen_parse(sn_fen_format(values[i], buf), &back), SN_OK);
		assert_true(back == values[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_mul),
		cmocka_unit_test(test_div_floor),
		cmocka_unit_test(test_div_ceil),
		cmocka_unit_test(test_ceil_yuan),
		cmocka_unit_test(test_from_yuan),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
