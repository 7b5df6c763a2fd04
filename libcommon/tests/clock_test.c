#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sn/clock.h"

/* 2026-01-01T00:00:00Z and 2026-12-02T13:55:39Z. */
#define JAN1_2026 ((int64_t) 20454 * 86400)
#define DEC2_2026 ((int64_t) 1796219739)
#define YEARS100 ((int64_t) 36525 * 86400)

static sn_date
D(int32_t y, int32_t m, int32_t d)
{
	sn_date r = { y, m, d };

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
clear_env(void)
{
	unsetenv("SN_DISTRICT_UTC_OFFSET_MIN");
	unsetenv("SN_TEST_CLOCK");
	unsetenv("SN_CLOCK_OFFSET_S");
}

static int
reset(void **state)
{
	(void) state;
	clear_env();
	sn_clock_set(SN_CLOCK_DEFAULT_OFFSET_MIN, 0);
	return 0;
}

/*
 * Runs sn_clock_setup with stdout sent to a temporary file, so that its
 * log line can be checked; log is filled with what was written.
 */
static sn_err
setup_logged(char *log, size_t size)
{
	char    path[] = "/tmp/sn_clock_test_XXXXXX";
	int     saved  = dup(STDOUT_FILENO);
	int     fd     = mkstemp(path);
	sn_err  err;
	ssize_t n;

	assert_true(saved >= 0 && fd >= 0);
	unlink(path);
	fflush(stdout);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	err = sn_clock_setup();
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	n = read(fd, log, size - 1);
	close(fd);
	log[n > 0 ? n : 0] = '\0';
	return err;
}

static void
test_date_at_offsets(void **state)
{
	int64_t at_2330 = JAN1_2026 + 23 * 3600 + 30 * 60;

	(void) state;
	sn_clock_set(480, 0);
	assert_date(sn_clock_date_at(at_2330), D(2026, 1, 2));
	assert_date(sn_clock_date_at(JAN1_2026), D(2026, 1, 1));
	/* Local midnight in UTC+8 is 16:00 UTC the day before. */
	assert_date(sn_clock_date_at(JAN1_2026 - 8 * 3600), D(2026, 1, 1));
	assert_date(
	    sn_clock_date_at(JAN1_2026 - 8 * 3600 - 1), D(2025, 12, 31));

	sn_clock_set(-300, 0);
	assert_date(sn_clock_date_at(at_2330), D(2026, 1, 1));
	assert_date(sn_clock_date_at(JAN1_2026 + 3 * 3600), D(2025, 12, 31));
	assert_date(sn_clock_date_at(JAN1_2026 + 5 * 3600), D(2026, 1, 1));

	sn_clock_set(0, 0);
	assert_date(sn_clock_date_at(at_2330), D(2026, 1, 1));
	assert_date(sn_clock_date_at(0), D(1970, 1, 1));
}

/* Before 1970 the division must floor, not truncate toward zero. */
static void
test_date_at_negative(void **state)
{
	(void) state;
	sn_clock_set(0, 0);
	assert_date(sn_clock_date_at(-1), D(1969, 12, 31));
	assert_date(sn_clock_date_at(-86400), D(1969, 12, 31));
	assert_date(sn_clock_date_at(-86401), D(1969, 12, 30));
	sn_clock_set(480, 0);
	assert_date(sn_clock_date_at(-1800), D(1970, 1, 1));
	assert_date(sn_clock_date_at(-8 * 3600 - 1), D(1969, 12, 31));
	sn_clock_set(-720, 0);
	assert_date(sn_clock_date_at(12 * 3600 - 1), D(1969, 12, 31));
	assert_date(sn_clock_date_at(12 * 3600), D(1970, 1, 1));
}

static void
test_offset_and_shift_read_back(void **state)
{
	(void) state;
	sn_clock_set(-300, -42);
	assert_int_equal(sn_clock_offset_min(), -300);
	assert_int_equal(sn_clock_shift_s(), -42);
}

static void
test_now_shifted(void **state)
{
	int64_t real, got;

	(void) state;
	sn_clock_set(480, 0);
	real = (int64_t) time(NULL);
	got  = sn_clock_now_s();
	assert_true(got >= real && got <= real + 1);

	sn_clock_set(480, 3600);
	real = (int64_t) time(NULL);
	got  = sn_clock_now_s();
	assert_true(got >= real + 3600 && got <= real + 3601);

	sn_clock_set(480, -YEARS100);
	real = (int64_t) time(NULL);
	got  = sn_clock_now_ms();
	assert_true(got >= (real - YEARS100) * 1000);
	assert_true(got < (real - YEARS100 + 2) * 1000);
}

/*
 * A shift moves today by whole days; the real date is read on both sides
 * so that a run that straddles midnight tries again rather than fails.
 */
static void
test_shift_moves_today(void **state)
{
	(void) state;
	for (int tries = 0; tries < 3; tries++) {
		sn_date  before, got, after;
		sn_month month;

		sn_clock_set(480, 10 * 86400);
		before = sn_clock_date_at((int64_t) time(NULL));
		got    = sn_clock_today();
		month  = sn_clock_month();
		after  = sn_clock_date_at((int64_t) time(NULL));
		if (sn_date_cmp(before, after) != 0)
			continue;
		assert_date(got, sn_date_add_days(before, 10));
		assert_int_equal(sn_month_cmp(month, sn_date_month(got)), 0);

		sn_clock_set(480, -40 * 86400);
		got = sn_clock_today();
		if (sn_date_cmp(before, sn_clock_date_at((int64_t) time(NULL)))
		    != 0)
			continue;
		assert_date(got, sn_date_add_days(before, -40));
		assert_true(
		    sn_month_cmp(sn_clock_month(), sn_date_month(before)) < 0);
		return;
	}
	fail_msg("midnight three times in a row");
}

static void
test_deadline(void **state)
{
	(void) state;
	assert_int_equal(SN_CLOCK_CASE_DAYS, 15);
	assert_date(sn_clock_deadline(D(2026, 12, 20), SN_CLOCK_CASE_DAYS),
	    D(2027, 1, 4));
	assert_date(sn_clock_deadline(D(2024, 2, 20), 15), D(2024, 3, 6));
	assert_date(sn_clock_deadline(D(2027, 2, 20), 15), D(2027, 3, 7));
	assert_date(sn_clock_deadline(D(2026, 5, 1), 0), D(2026, 5, 1));
}

/* Shifts the clock so that now is target (to within the test's speed). */
static void
shift_to(int64_t target)
{
	sn_clock_set(480, target - (int64_t) time(NULL));
}

static void
test_stamp(void **state)
{
	char buf[SN_CLOCK_STAMPLEN];

	(void) state;
	/* Always in UTC, whatever the district's offset. */
	shift_to(DEC2_2026);
	assert_ptr_equal(sn_clock_stamp(buf), buf);
	assert_int_equal(strlen(buf), 24);
	assert_memory_equal(buf, "2026-12-02T13:55:", 17);
	assert_true(buf[17] >= '3' && buf[17] <= '4');
	assert_true(buf[18] >= '0' && buf[18] <= '9');
	assert_int_equal(buf[19], '.');
	for (int i = 20; i < 23; i++)
		assert_true(buf[i] >= '0' && buf[i] <= '9');
	assert_int_equal(buf[23], 'Z');

	/* Before 1970: the milliseconds of the day must still floor. */
	shift_to(-3);
	sn_clock_stamp(buf);
	assert_memory_equal(buf, "1969-12-31T23:59:5", 18);
	assert_int_equal(buf[23], 'Z');
}

static void
test_setup_defaults(void **state)
{
	(void) state;
	sn_clock_set(60, 99);
	assert_int_equal(sn_clock_setup(), SN_OK);
	assert_int_equal(sn_clock_offset_min(), SN_CLOCK_DEFAULT_OFFSET_MIN);
	assert_int_equal(sn_clock_shift_s(), 0);

	/* Empty means unset, as for every other setting. */
	setenv("SN_DISTRICT_UTC_OFFSET_MIN", "", 1);
	setenv("SN_CLOCK_OFFSET_S", "", 1);
	assert_int_equal(sn_clock_setup(), SN_OK);
	assert_int_equal(sn_clock_offset_min(), SN_CLOCK_DEFAULT_OFFSET_MIN);
}

static void
test_setup_good(void **state)
{
	static const struct {
		const char *offset, *test, *shift;
		int32_t     want_offset;
		int64_t     want_shift;
	} cases[] = {
		{ "-300", NULL, NULL, -300, 0 },
		{ "-720", NULL, NULL, -720, 0 },
		{ "840", NULL, NULL, 840, 0 },
		{ "0", NULL, NULL, 0, 0 },
		{ NULL, "1", "3600", 480, 3600 },
		{ NULL, "1", "-86400", 480, -86400 },
		{ "330", "1", "3155760000", 330, YEARS100 },
		{ NULL, "1", "-3155760000", 480, -YEARS100 },
		{ NULL, "1", "0", 480, 0 },
		/* SN_TEST_CLOCK alone shifts nothing. */
		{ NULL, "1", NULL, 480, 0 },
		{ NULL, "0", NULL, 480, 0 },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char log[4096];

		clear_env();
		if (cases[i].offset != NULL)
			setenv(
			    "SN_DISTRICT_UTC_OFFSET_MIN", cases[i].offset, 1);
		if (cases[i].test != NULL)
			setenv("SN_TEST_CLOCK", cases[i].test, 1);
		if (cases[i].shift != NULL)
			setenv("SN_CLOCK_OFFSET_S", cases[i].shift, 1);
		sn_clock_set(1, 1);
		if (setup_logged(log, sizeof(log)) != SN_OK)
			fail_msg("case %zu refused: %s", i, log);
		assert_int_equal(sn_clock_offset_min(), cases[i].want_offset);
		assert_int_equal(sn_clock_shift_s(), cases[i].want_shift);
		/* A shifted clock says so in the log. */
		assert_int_equal(strstr(log, "test clock shifted") != NULL,
		    cases[i].want_shift != 0);
	}
}

static void
test_setup_refused(void **state)
{
	static const struct {
		const char *offset, *test, *shift;
		const char *named; /* the setting the log line must name */
	} cases[] = {
		{ "841", NULL, NULL, "SN_DISTRICT_UTC_OFFSET_MIN" },
		{ "-721", NULL, NULL, "SN_DISTRICT_UTC_OFFSET_MIN" },
		{ "abc", NULL, NULL, "SN_DISTRICT_UTC_OFFSET_MIN" },
		{ " 60", NULL, NULL, "SN_DISTRICT_UTC_OFFSET_MIN" },
		{ "+60", NULL, NULL, "SN_DISTRICT_UTC_OFFSET_MIN" },
		{ "60x", NULL, NULL, "SN_DISTRICT_UTC_OFFSET_MIN" },
		{ "8.5", NULL, NULL, "SN_DISTRICT_UTC_OFFSET_MIN" },
		/* A shift without the test switch, or with it half-set. */
		{ NULL, NULL, "3600", "SN_CLOCK_OFFSET_S" },
		{ NULL, "0", "3600", "SN_CLOCK_OFFSET_S" },
		{ NULL, "true", "3600", "SN_CLOCK_OFFSET_S" },
		{ NULL, "1 ", "3600", "SN_CLOCK_OFFSET_S" },
		{ NULL, "", "3600", "SN_CLOCK_OFFSET_S" },
		{ NULL, NULL, "0", "SN_CLOCK_OFFSET_S" },
		/* Out of range or malformed shifts. */
		{ NULL, "1", "3155760001", "SN_CLOCK_OFFSET_S" },
		{ NULL, "1", "-3155760001", "SN_CLOCK_OFFSET_S" },
		{ NULL, "1", "99999999999999999999", "SN_CLOCK_OFFSET_S" },
		{ NULL, "1", "1h", "SN_CLOCK_OFFSET_S" },
		{ NULL, "1", "--5", "SN_CLOCK_OFFSET_S" },
		/* A good shift is not stored when the offset is bad. */
		{ "900", "1", "3600", "SN_DISTRICT_UTC_OFFSET_MIN" },
		/* Nor a good offset when the shift is bad. */
		{ "60", NULL, "3600", "SN_CLOCK_OFFSET_S" },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char log[4096];

		clear_env();
		if (cases[i].offset != NULL)
			setenv(
			    "SN_DISTRICT_UTC_OFFSET_MIN", cases[i].offset, 1);
		if (cases[i].test != NULL)
			setenv("SN_TEST_CLOCK", cases[i].test, 1);
		if (cases[i].shift != NULL)
			setenv("SN_CLOCK_OFFSET_S", cases[i].shift, 1);
		sn_clock_set(123, 7);
		if (setup_logged(log, sizeof(log)) != SN_EINVAL)
			fail_msg("case %zu accepted", i);
		assert_int_equal(sn_clock_offset_min(), 123);
		assert_int_equal(sn_clock_shift_s(), 7);
		if (strstr(log, cases[i].named) == NULL)
			fail_msg("case %zu: log does not name %s: %s", i,
			    cases[i].named, log);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_date_at_offsets, reset),
		cmocka_unit_test_setup(test_date_at_negative, reset),
		cmocka_unit_test_setup(test_offset_and_shift_read_back, reset),
		cmocka_unit_test_setup(test_now_shifted, reset),
		cmocka_unit_test_setup(test_shift_moves_today, reset),
		cmocka_unit_test_setup(test_deadline, reset),
		cmocka_unit_test_setup(test_stamp, reset),
		cmocka_unit_test_setup(test_setup_defaults, reset),
		cmocka_unit_test_setup(test_setup_good, reset),
		cmocka_unit_test_setup(test_setup_refused, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
