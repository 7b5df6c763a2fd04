#include "sn/date.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * sn_date_from_days clamps its argument to about a million years either
 * side of 1970, so that the year always fits an int32_t and no step of
 * the arithmetic can overflow; such a date is invalid either way.
 */
#define DAYS_LIMIT ((int64_t) 146097 * 2500)

bool
sn_date_is_leap(int32_t year)
{
	return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int32_t
sn_date_days_in_month(int32_t year, int32_t month)
{
	static const int32_t days[12]
	    = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && sn_date_is_leap(year))
		return 29;
	return days[month - 1];
}

bool
sn_date_valid(sn_date d)
{
	return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12
	    && d.day >= 1 && d.day <= sn_date_days_in_month(d.year, d.month);
}

bool
sn_month_valid(sn_month m)
{
	return m.year >= 1 && m.year <= 9999 && m.month >= 1 && m.month <= 12;
}

/* Exactly n ASCII digits; no sign, no space, which strtol would take. */
static bool
digits(const char *s, int n, int32_t *out)
{
	int32_t v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

sn_err
sn_month_parse(const char *s, sn_month *out)
{
	sn_month m;

	if (s == NULL || !digits(s, 4, &m.year) || s[4] != '-'
	    || !digits(s + 5, 2, &m.month) || s[7] != '\0'
	    || !sn_month_valid(m))
		return SN_EINVAL;
	*out = m;
	return SN_OK;
}

sn_err
sn_date_parse(const char *s, sn_date *out)
{
	sn_month m;
	sn_date  d;

	/* Each check stops at the first bad byte, so a short string's NUL
	 * ends the walk before anything past it is read. */
	if (s == NULL || !digits(s, 4, &m.year) || s[4] != '-'
	    || !digits(s + 5, 2, &m.month) || s[7] != '-'
	    || !digits(s + 8, 2, &d.day) || s[10] != '\0')
		return SN_EINVAL;
	d.year  = m.year;
	d.month = m.month;
	if (!sn_date_valid(d))
		return SN_EINVAL;
	*out = d;
	return SN_OK;
}

static void
put(char *p, int n, int32_t v)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char) ('0' + v % 10);
		v /= 10;
	}
}

/*
 * An invalid value is written as zeros rather than its digits: it can
 * then neither overflow the buffer nor read back as some other real date.
 */
char *
sn_date_format(sn_date d, char buf[SN_DATE_STRLEN])
{
	if (!sn_date_valid(d))
		d.year = d.month = d.day = 0;
	put(buf, 4, d.year);
	buf[4] = '-';
	put(buf + 5, 2, d.month);
	buf[7] = '-';
	put(buf + 8, 2, d.day);
	buf[10] = '\0';
	return buf;
}

char *
sn_month_format(sn_month m, char buf[SN_MONTH_STRLEN])
{
	if (!sn_month_valid(m))
		m.year = m.month = 0;
	put(buf, 4, m.year);
	buf[4] = '-';
	put(buf + 5, 2, m.month);
	buf[7] = '\0';
	return buf;
}

/*
 * Howard Hinnant's days_from_civil and civil_from_days
 * (howardhinnant.github.io/date_algorithms.html): the year is counted from
 * March, so that the leap day is the last day of a year, and split into
 * 400-year eras of exactly 146097 days.
 */
int64_t
sn_date_to_days(sn_date d)
{
	int64_t y   = (int64_t) d.year - (d.month <= 2);
	int64_t m   = d.month;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d.day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

sn_date
sn_date_from_days(int64_t days)
{
	int64_t z, era, doe, yoe, doy, mp, m;
	sn_date d;

	if (days > DAYS_LIMIT)
		days = DAYS_LIMIT;
	if (days < -DAYS_LIMIT)
		days = -DAYS_LIMIT;
	z   = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp  = (5 * doy + 2) / 153;
	m   = mp < 10 ? mp + 3 : mp - 9;

	d.year  = (int32_t) (yoe + era * 400 + (m <= 2));
	d.month = (int32_t) m;
	d.day   = (int32_t) (doy - (153 * mp + 2) / 5 + 1);
	return d;
}

int32_t
sn_date_yyyymmdd(sn_date d)
{
	return (int32_t) ((int64_t) d.year * 10000 + (int64_t) d.month * 100
	    + d.day);
}

int
sn_date_cmp(sn_date a, sn_date b)
{
	if (a.year != b.year)
		return a.year < b.year ? -1 : 1;
	if (a.month != b.month)
		return a.month < b.month ? -1 : 1;
	if (a.day != b.day)
		return a.day < b.day ? -1 : 1;
	return 0;
}

int
sn_month_cmp(sn_month a, sn_month b)
{
	if (a.year != b.year)
		return a.year < b.year ? -1 : 1;
	if (a.month != b.month)
		return a.month < b.month ? -1 : 1;
	return 0;
}

int64_t
sn_date_diff_days(sn_date a, sn_date b)
{
	return sn_date_to_days(b) - sn_date_to_days(a);
}

sn_date
sn_date_add_days(sn_date d, int64_t n)
{
	int64_t days;

	/* Saturate rather than overflow; from_days clamps far earlier. */
	if (__builtin_add_overflow(sn_date_to_days(d), n, &days))
		days = n < 0 ? INT64_MIN : INT64_MAX;
	return sn_date_from_days(days);
}

/*
 * Months are counted from year 0 in an int64_t, where no int32_t input can
 * overflow, and floor-divided back, so that a negative n crosses year
 * ends the same way a positive one does.
 */
static void
month_shift(int32_t *year, int32_t *month, int32_t n)
{
	int64_t total = (int64_t) *year * 12 + ((int64_t) *month - 1) + n;
	int64_t y     = total / 12;

	if (total % 12 < 0)
		y--;
	*month = (int32_t) (total - y * 12 + 1);
	if (y > INT32_MAX)
		y = INT32_MAX;
	if (y < INT32_MIN)
		y = INT32_MIN;
	*year = (int32_t) y;
}

sn_date
sn_date_add_months(sn_date d, int32_t n)
{
	int32_t last;

	month_shift(&d.year, &d.month, n);
	last = sn_date_days_in_month(d.year, d.month);
	if (d.day > last)
		d.day = last;
	return d;
}

sn_date
sn_date_month_end(sn_date d)
{
	d.day = sn_date_days_in_month(d.year, d.month);
	return d;
}

sn_date
sn_date_month_start(sn_date d)
{
	d.day = 1;
	return d;
}

sn_month
sn_date_month(sn_date d)
{
	sn_month m = { d.year, d.month };

	return m;
}

sn_month
sn_month_add(sn_month m, int32_t n)
{
	month_shift(&m.year, &m.month, n);
	return m;
}

sn_date
sn_month_first(sn_month m)
{
	sn_date d = { m.year, m.month, 1 };

	return d;
}

sn_date
sn_month_last(sn_month m)
{
	sn_date d
	    = { m.year, m.month, sn_date_days_in_month(m.year, m.month) };

	return d;
}

int32_t
sn_month_diff(sn_month a, sn_month b)
{
	int64_t ma = (int64_t) a.year * 12 + a.month;
	int64_t mb = (int64_t) b.year * 12 + b.month;

	return (int32_t) (mb - ma);
}
