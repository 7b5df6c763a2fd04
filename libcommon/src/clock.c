#include "sn/clock.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sn/config.h"
#include "sn/log.h"

#define OFFSET_MIN_MIN -720
#define OFFSET_MIN_MAX 840
/* A century (of 365.25 days) either way is far past any test's need, and
 * keeps every sum below with the real clock far from int64_t's limits. */
#define SHIFT_MAX_S ((int64_t) 36525 * 86400)

/*
 * Written by sn_clock_setup or sn_clock_set before any thread starts, only
 * read afterwards (sn/clock.h), so they need no lock.
 */
static int32_t offset_min = SN_CLOCK_DEFAULT_OFFSET_MIN;
static int64_t shift_s    = 0;

/* Unset and empty both mean "the default", as in sn/config.h. */
static const char *
lookup(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static sn_err
refuse(const char *name, const char *value, const char *expected)
{
	sn_log(SN_LOG_ERROR, "bad clock setting", "setting", name, "value",
	    value, "expected", expected, NULL);
	return SN_EINVAL;
}

sn_err
sn_clock_setup(void)
{
	const char *offset_text = lookup("SN_DISTRICT_UTC_OFFSET_MIN");
	const char *test_text   = getenv("SN_TEST_CLOCK");
	const char *shift_text  = lookup("SN_CLOCK_OFFSET_S");
	int64_t     offset      = SN_CLOCK_DEFAULT_OFFSET_MIN;
	int64_t     shift       = 0;

	/* Both are checked before either is stored: a refusal changes
	 * nothing. */
	if (offset_text != NULL
	    && sn_config_parse_int(
	           offset_text, OFFSET_MIN_MIN, OFFSET_MIN_MAX, &offset)
	        != SN_OK)
		return refuse("SN_DISTRICT_UTC_OFFSET_MIN", offset_text,
		    "an integer from -720 to 840 (minutes)");
	if (shift_text != NULL) {
		if (test_text == NULL || strcmp(test_text, "1") != 0)
			return refuse("SN_CLOCK_OFFSET_S", shift_text,
			    "unset unless SN_TEST_CLOCK=1");
		if (sn_config_parse_int(
		        shift_text, -SHIFT_MAX_S, SHIFT_MAX_S, &shift)
		    != SN_OK)
			return refuse("SN_CLOCK_OFFSET_S", shift_text,
			    "an integer within 100 years (seconds)");
	}
	offset_min = (int32_t) offset;
	shift_s    = shift;
	/* A shifted clock in a log is what explains odd dates afterwards. */
	if (shift != 0)
		sn_log(SN_LOG_WARN, "test clock shifted", "setting",
		    "SN_CLOCK_OFFSET_S", "value", shift_text, NULL);
	return SN_OK;
}

void
sn_clock_set(int32_t utc_offset_min, int64_t shift)
{
	offset_min = utc_offset_min;
	shift_s    = shift;
}

int32_t
sn_clock_offset_min(void)
{
	return offset_min;
}

int64_t
sn_clock_shift_s(void)
{
	return shift_s;
}

int64_t
sn_clock_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec + shift_s;
}

int64_t
sn_clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec + shift_s) * 1000 + ts.tv_nsec / 1000000;
}

/* C's division truncates toward zero; days before 1970 need the floor. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

sn_date
sn_clock_date_at(int64_t unix_s)
{
	int64_t local;

	if (__builtin_add_overflow(unix_s, (int64_t) offset_min * 60, &local))
		local = unix_s < 0 ? INT64_MIN : INT64_MAX;
	return sn_date_from_days(floor_div(local, 86400));
}

sn_date
sn_clock_today(void)
{
	return sn_clock_date_at(sn_clock_now_s());
}

sn_month
sn_clock_month(void)
{
	return sn_date_month(sn_clock_today());
}

sn_date
sn_clock_deadline(sn_date accepted, int32_t days)
{
	return sn_date_add_days(accepted, days);
}

static void
put(char *p, int n, int64_t v)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char) ('0' + v % 10);
		v /= 10;
	}
}

char *
sn_clock_stamp(char buf[SN_CLOCK_STAMPLEN])
{
	int64_t ms   = sn_clock_now_ms();
	int64_t days = floor_div(ms, 86400000);
	int64_t rest = ms - days * 86400000;

	sn_date_format(sn_date_from_days(days), buf);
	buf[10] = 'T';
	put(buf + 11, 2, rest / 3600000);
	buf[13] = ':';
	put(buf + 14, 2, rest / 60000 % 60);
	buf[16] = ':';
	put(buf + 17, 2, rest / 1000 % 60);
	buf[19] = '.';
	put(buf + 20, 3, rest % 1000);
	buf[23] = 'Z';
	buf[24] = '\0';
	return buf;
}
