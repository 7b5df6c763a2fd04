#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "sn/date.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static sn_date
D(int32_t y, int32_t m, int32_t d)
{
	sn_date r = { y, m, d };

	return r;
}

static sn_month
M(int32_t y, int32_t m)
{
	sn_month r = { y, m };

	return r;
}

static void
assert_date(sn_date got, sn_date want)
{
	if (sn_date_cmp(got, want) != 0)
		fail_msg("got %d-%d-%d, want %d-%d-%d", got.year, got.month,
		    got.day, want.year, want.month, want.day);
}

static void
test_leap(void **state)
{
	(void) state;
	assert_false(sn_date_is_leap(1900));
	assert_true(sn_date_is_leap(2000));
	assert_true(sn_date_is_leap(2024));
	assert_false(sn_date_is_leap(2027));
	assert_false(sn_date_is_leap(2100));
	assert_true(sn_date_is_leap(2400));
	assert_false(sn_date_is_leap(2026));
}

static void
test_days_in_month(void **state)
{
	static const int32_t want[12]
	    = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	(void) state;
	for (int32_t m = 1; m <= 12; m++)
		assert_int_equal(sn_date_days_in_month(2027, m), want[m - 1]);
	assert_int_equal(sn_date_days_in_month(2024, 2), 29);
	assert_int_equal(sn_date_days_in_month(2000, 2), 29);
	assert_int_equal(sn_date_days_in_month(1900, 2), 28);
	assert_int_equal(sn_date_days_in_month(2027, 2), 28);
	assert_int_equal(sn_date_days_in_month(2027, 0), 0);
	assert_int_equal(sn_date_days_in_month(2027, 13), 0);
	assert_int_equal(sn_date_days_in_month(2027, -1), 0);
}

static void
test_valid(void **state)
{
	(void) state;
	assert_true(sn_date_valid(D(2024, 2, 29)));
	assert_true(sn_date_valid(D(1, 1, 1)));
	assert_true(sn_date_valid(D(9999, 12, 31)));
	assert_false(sn_date_valid(D(2027, 2, 29)));
	assert_false(sn_date_valid(D(1900, 2, 29)));
	assert_false(sn_date_valid(D(2026, 4, 31)));
	assert_false(sn_date_valid(D(0, 1, 1)));
	assert_false(sn_date_valid(D(10000, 1, 1)));
	assert_false(sn_date_valid(D(2026, 0, 1)));
	assert_false(sn_date_valid(D(2026, 13, 1)));
	assert_false(sn_date_valid(D(2026, 1, 0)));
	assert_true(sn_month_valid(M(2026, 12)));
	assert_true(sn_month_valid(M(1, 1)));
	assert_false(sn_month_valid(M(2026, 13)));
	assert_false(sn_month_valid(M(2026, 0)));
	assert_false(sn_month_valid(M(0, 5)));
	assert_false(sn_month_valid(M(10000, 5)));
}

static void
test_parse_good(void **state)
{
	static const struct {
		const char *s;
		sn_date     want;
	} cases[] = {
		{ "2026-01-01", { 2026, 1, 1 } },
		{ "2024-02-29", { 2024, 2, 29 } },
		{ "2000-02-29", { 2000, 2, 29 } },
		{ "0001-01-01", { 1, 1, 1 } },
		{ "9999-12-31", { 9999, 12, 31 } },
		{ "2026-11-30", { 2026, 11, 30 } },
	};

	(void) state;
	for (size_t i = 0; i < N(cases); i++) {
		sn_date got = D(7, 7, 7);

		assert_int_equal(sn_date_parse(cases[i].s, &got), SN_OK);
		assert_date(got, cases[i].want);
	}
}

static void
test_parse_refused(void **state)
{
	static const char *const bad[] = {
		"2027-02-29",  /* not a leap year */
		"1900-02-29",  /* century, not a leap year */
		"2026-13-01",  /* month 13 */
		"2026-00-10",  /* month 0 */
		"2026-01-00",  /* day 0 */
		"2026-04-31",  /* April has 30 */
		"2026-1-01",   /* one-digit month */
		"2026-01-1",   /* one-digit day */
		"2026-01-01x", /* trailing byte */
		"2026-01-01 ", /* trailing space */
		" 2026-01-01", /* leading space */
		"",            /* empty */
		"0000-01-01",  /* year 0 */
		"+026-01-01",  /* sign */
		"-2026-01-01", /* sign */
		"2026/01/01",  /* wrong separator */
		"20260101",    /* basic form */
		"2026-01",     /* a month */
		"2026-0a-01",  /* not a digit */
		"12026-01-01", /* five-digit year */
		"2026-01-01T00:00:00Z",
	};

	(void) state;
	for (size_t i = 0; i < N(bad); i++) {
		sn_date got = D(7, 7, 7);

		if (sn_date_parse(bad[i], &got) != SN_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_date(got, D(7, 7, 7));
	}
	assert_int_equal(sn_date_parse(NULL, NULL), SN_EINVAL);
}

static void
test_month_parse(void **state)
{
	static const char *const bad[]
	    = { "2026-13", "2026-00", "2026-1", "2026-12-01", "0000-01", "",
		      " 2026-12", "2026-12 ", "202612", "+026-12", "2026/12" };
	sn_month got = M(7, 7);

	(void) state;
	assert_int_equal(sn_month_parse("2026-12", &got), SN_OK);
	assert_int_equal(got.year, 2026);
	assert_int_equal(got.month, 12);
	assert_int_equal(sn_month_parse("0001-01", &got), SN_OK);
	assert_int_equal(got.year, 1);
	assert_int_equal(got.month, 1);
	for (size_t i = 0; i < N(bad); i++) {
		got = M(7, 7);
		if (sn_month_parse(bad[i], &got) != SN_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_int_equal(got.year, 7);
		assert_int_equal(got.month, 7);
	}
	assert_int_equal(sn_month_parse(NULL, &got), SN_EINVAL);
}

static void
test_format(void **state)
{
	char    buf[SN_DATE_STRLEN];
	char    mbuf[SN_MONTH_STRLEN];
	sn_date back;

	(void) state;
	assert_string_equal(sn_date_format(D(2026, 1, 5), buf), "2026-01-05");
	assert_string_equal(sn_date_format(D(1, 1, 1), buf), "0001-01-01");
	assert_string_equal(
	    sn_date_format(D(9999, 12, 31), buf), "9999-12-31");
	/* Invalid values come out as zeros, which parse refuses. */
	assert_string_equal(sn_date_format(D(2027, 2, 29), buf), "0000-00-00");
	assert_string_equal(
	    sn_date_format(D(123456, 1, 1), buf), "0000-00-00");
	assert_int_equal(sn_date_parse(buf, &back), SN_EINVAL);
	assert_string_equal(sn_month_format(M(2026, 3), mbuf), "2026-03");
	assert_string_equal(sn_month_format(M(2026, 13), mbuf), "0000-00");
	assert_ptr_equal(sn_month_format(M(2026, 3), mbuf), mbuf);
	assert_ptr_equal(sn_date_format(D(2026, 3, 1), buf), buf);
}

static void
test_days_known(void **state)
{
	static const struct {
		sn_date d;
		int64_t days;
	} cases[] = {
		{ { 1970, 1, 1 }, 0 },
		{ { 1969, 12, 31 }, -1 },
		{ { 1970, 1, 2 }, 1 },
		{ { 2000, 3, 1 }, 11017 },
		{ { 2026, 1, 1 }, 20454 },
		{ { 2027, 2, 28 }, 20877 },
		{ { 1900, 3, 1 }, -25508 },
		{ { 1, 1, 1 }, -719162 },
		{ { 9999, 12, 31 }, 2932896 },
	};

	(void) state;
	for (size_t i = 0; i < N(cases); i++) {
		assert_int_equal(sn_date_to_days(cases[i].d), cases[i].days);
		assert_date(sn_date_from_days(cases[i].days), cases[i].d);
	}
}

/*
 * Every day from 0001-01-01 to 9999-12-31, against a calendar walked one
 * day at a time with nothing but month lengths: both directions, and
 * every result a valid date.
 */
static void
test_days_round_trip(void **state)
{
	sn_date walk = D(1, 1, 1);
	int64_t days = -719162;

	(void) state;
	for (;;) {
		sn_date got = sn_date_from_days(days);

		if (sn_date_cmp(got, walk) != 0
		    || sn_date_to_days(walk) != days || !sn_date_valid(got))
			fail_msg("day %lld: got %d-%d-%d, want %d-%d-%d",
			    (long long) days, got.year, got.month, got.day,
			    walk.year, walk.month, walk.day);
		if (walk.year == 9999 && walk.month == 12 && walk.day == 31)
			break;
		days++;
		if (++walk.day
		    > sn_date_days_in_month(walk.year, walk.month)) {
			walk.day = 1;
			if (++walk.month > 12) {
				walk.month = 1;
				walk.year++;
			}
		}
	}
	assert_int_equal(days, 2932896);
}

static void
test_far_days(void **state)
{
	(void) state;
	/* Far outside the calendar: no overflow, and never a valid date. */
	assert_false(sn_date_valid(sn_date_from_days(INT64_MAX)));
	assert_false(sn_date_valid(sn_date_from_days(INT64_MIN)));
	assert_false(
	    sn_date_valid(sn_date_add_days(D(2026, 1, 1), INT64_MAX)));
	assert_false(
	    sn_date_valid(sn_date_add_days(D(2026, 1, 1), INT64_MIN)));
	assert_false(sn_date_valid(sn_date_from_days(2932897)));
	assert_false(sn_date_valid(sn_date_from_days(-719163)));
}

static void
test_yyyymmdd(void **state)
{
	(void) state;
	assert_int_equal(sn_date_yyyymmdd(D(2026, 11, 29)), 20261129);
	assert_int_equal(sn_date_yyyymmdd(D(1, 1, 1)), 10101);
	assert_int_equal(sn_date_yyyymmdd(D(9999, 12, 31)), 99991231);
}

static void
test_cmp_diff(void **state)
{
	(void) state;
	assert_true(sn_date_cmp(D(2026, 1, 1), D(2026, 1, 2)) < 0);
	assert_true(sn_date_cmp(D(2026, 2, 1), D(2026, 1, 31)) > 0);
	assert_true(sn_date_cmp(D(2025, 12, 31), D(2026, 1, 1)) < 0);
	assert_int_equal(sn_date_cmp(D(2026, 5, 5), D(2026, 5, 5)), 0);
	assert_true(sn_month_cmp(M(2026, 12), M(2027, 1)) < 0);
	assert_true(sn_month_cmp(M(2027, 1), M(2026, 12)) > 0);
	assert_int_equal(sn_month_cmp(M(2027, 1), M(2027, 1)), 0);

	assert_int_equal(
	    sn_date_diff_days(D(2026, 1, 1), D(2026, 12, 31)), 364);
	assert_int_equal(sn_date_diff_days(D(2024, 1, 1), D(2025, 1, 1)), 366);
	assert_int_equal(sn_date_diff_days(D(2024, 2, 28), D(2024, 3, 1)), 2);
	assert_int_equal(sn_date_diff_days(D(2027, 2, 28), D(2027, 3, 1)), 1);
	assert_int_equal(sn_date_diff_days(D(2026, 3, 1), D(2026, 2, 1)), -28);
}

static void
test_add_days(void **state)
{
	(void) state;
	assert_date(sn_date_add_days(D(2026, 12, 31), 1), D(2027, 1, 1));
	assert_date(sn_date_add_days(D(2027, 1, 1), -1), D(2026, 12, 31));
	assert_date(sn_date_add_days(D(2024, 2, 28), 1), D(2024, 2, 29));
	assert_date(sn_date_add_days(D(2027, 2, 28), 1), D(2027, 3, 1));
	assert_date(sn_date_add_days(D(2026, 12, 20), 15), D(2027, 1, 4));
	assert_date(sn_date_add_days(D(2026, 3, 10), 0), D(2026, 3, 10));
	assert_date(sn_date_add_days(D(2000, 3, 1), -1), D(2000, 2, 29));
	assert_date(sn_date_add_days(D(1900, 3, 1), -1), D(1900, 2, 28));
	assert_date(
	    sn_date_add_days(D(2026, 1, 1), 365 * 4 + 1), D(2030, 1, 1));
}

static void
test_add_months(void **state)
{
	static const struct {
		sn_date d;
		int32_t n;
		sn_date want;
	} cases[] = {
		{ { 2027, 1, 31 }, 1, { 2027, 2, 28 } },
		{ { 2024, 1, 31 }, 1, { 2024, 2, 29 } },
		{ { 2026, 11, 30 }, 3, { 2027, 2, 28 } },
		{ { 2026, 12, 15 }, 1, { 2027, 1, 15 } },
		{ { 2026, 12, 31 }, 2, { 2027, 2, 28 } },
		{ { 2027, 1, 15 }, -1, { 2026, 12, 15 } },
		{ { 2027, 3, 31 }, -1, { 2027, 2, 28 } },
		{ { 2024, 3, 31 }, -1, { 2024, 2, 29 } },
		{ { 2026, 1, 31 }, -13, { 2024, 12, 31 } },
		{ { 2026, 1, 1 }, -24, { 2024, 1, 1 } },
		{ { 2024, 2, 29 }, 12, { 2025, 2, 28 } },
		{ { 2024, 2, 29 }, 48, { 2028, 2, 29 } },
		{ { 2026, 5, 31 }, 0, { 2026, 5, 31 } },
		{ { 2026, 1, 31 }, 3, { 2026, 4, 30 } },
		{ { 2026, 12, 1 }, -12, { 2025, 12, 1 } },
		{ { 2026, 12, 1 }, -11, { 2026, 1, 1 } },
		{ { 2026, 1, 1 }, -1, { 2025, 12, 1 } },
		{ { 2026, 1, 1 }, 11, { 2026, 12, 1 } },
		{ { 2026, 1, 1 }, 12, { 2027, 1, 1 } },
	};

	(void) state;
	for (size_t i = 0; i < N(cases); i++)
		assert_date(
		    sn_date_add_months(cases[i].d, cases[i].n), cases[i].want);
}

static void
test_month_start_end(void **state)
{
	(void) state;
	assert_date(sn_date_month_end(D(2024, 2, 3)), D(2024, 2, 29));
	assert_date(sn_date_month_end(D(2027, 2, 3)), D(2027, 2, 28));
	assert_date(sn_date_month_end(D(2026, 12, 31)), D(2026, 12, 31));
	assert_date(sn_date_month_end(D(2026, 4, 1)), D(2026, 4, 30));
	assert_date(sn_date_month_start(D(2026, 4, 17)), D(2026, 4, 1));
	assert_date(sn_date_month_start(D(2026, 4, 1)), D(2026, 4, 1));
}

static void
test_months(void **state)
{
	sn_month m;

	(void) state;
	m = sn_date_month(D(2026, 12, 31));
	assert_int_equal(m.year, 2026);
	assert_int_equal(m.month, 12);

	m = sn_month_add(M(2026, 12), 1);
	assert_int_equal(sn_month_cmp(m, M(2027, 1)), 0);
	m = sn_month_add(M(2027, 1), -1);
	assert_int_equal(sn_month_cmp(m, M(2026, 12)), 0);
	m = sn_month_add(M(2027, 1), -13);
	assert_int_equal(sn_month_cmp(m, M(2025, 12)), 0);
	m = sn_month_add(M(2027, 1), -12);
	assert_int_equal(sn_month_cmp(m, M(2026, 1)), 0);
	m = sn_month_add(M(2026, 3), 22);
	assert_int_equal(sn_month_cmp(m, M(2028, 1)), 0);
	m = sn_month_add(M(2026, 3), 0);
	assert_int_equal(sn_month_cmp(m, M(2026, 3)), 0);

	assert_date(sn_month_first(M(2026, 2)), D(2026, 2, 1));
	assert_date(sn_month_last(M(2026, 2)), D(2026, 2, 28));
	assert_date(sn_month_last(M(2024, 2)), D(2024, 2, 29));
	assert_date(sn_month_last(M(2026, 12)), D(2026, 12, 31));

	assert_int_equal(sn_month_diff(M(2026, 12), M(2027, 2)), 2);
	assert_int_equal(sn_month_diff(M(2027, 2), M(2026, 12)), -2);
	assert_int_equal(sn_month_diff(M(2026, 5), M(2026, 5)), 0);
	assert_int_equal(sn_month_diff(M(2024, 1), M(2026, 1)), 24);
	for (int32_t n = -30; n <= 30; n++)
		assert_int_equal(
		    sn_month_diff(M(2026, 7), sn_month_add(M(2026, 7), n)), n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leap),
		cmocka_unit_test(test_days_in_month),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_month_parse),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_days_known),
		cmocka_unit_test(test_days_round_trip),
		cmocka_unit_test(test_far_days),
		cmocka_unit_test(test_yyyymmdd),
		cmocka_unit_test(test_cmp_diff),
		cmocka_unit_test(test_add_days),
		cmocka_unit_test(test_add_months),
		cmocka_unit_test(test_month_start_end),
		cmocka_unit_test(test_months),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
