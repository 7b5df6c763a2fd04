/*
 * sn/date.h - calendar dates and months, proleptic Gregorian, no time
 * zone. The one place that knows month lengths and leap years.
 *
 * An sn_date is a plain value (year, month 1-12, day 1-31) that callers
 * embed and copy; it is valid when sn_date_valid says so. Text is ISO
 * 8601's extended form: "YYYY-MM-DD" for a date, "YYYY-MM" for a month,
 * years 1-9999. Parsing is strict: exactly that many digits, no spaces,
 * no trailing characters, and a real day (2027-02-29 is refused).
 *
 * Pure functions: no clock, no I/O, no allocation; any thread.
 */
#ifndef SN_DATE_H
#define SN_DATE_H

#include <stdbool.h>
#include <stdint.h>

#include "sn/err.h"

typedef struct sn_date {
	int32_t year;  /* 1..9999 */
	int32_t month; /* 1..12 */
	int32_t day;   /* 1..days in month */
} sn_date;

/* A calendar month: a payment period, a figures' month. */
typedef struct sn_month {
	int32_t year;  /* 1..9999 */
	int32_t month; /* 1..12 */
} sn_month;

/* "YYYY-MM-DD\0" and "YYYY-MM\0". */
#define SN_DATE_STRLEN 11
#define SN_MONTH_STRLEN 8

bool sn_date_is_leap(int32_t year);
/* Days in the month (28..31); 0 when month is not 1..12. */
int32_t sn_date_days_in_month(int32_t year, int32_t month);
/* True if year 1..9999, month 1..12 and day within the month. */
bool sn_date_valid(sn_date d);
bool sn_month_valid(sn_month m);

/* Strict parse of "YYYY-MM-DD"; SN_EINVAL (out untouched) otherwise. */
sn_err sn_date_parse(const char *s, sn_date *out);
/* Strict parse of "YYYY-MM"; SN_EINVAL (out untouched) otherwise. */
sn_err sn_month_parse(const char *s, sn_month *out);
/* Writes "YYYY-MM-DD" into buf; returns buf. */
char *sn_date_format(sn_date d, char buf[SN_DATE_STRLEN]);
/* Writes "YYYY-MM" into buf; returns buf. */
char *sn_month_format(sn_month m, char buf[SN_MONTH_STRLEN]);

/* Days since 1970-01-01 (negative before), and back. */
int64_t sn_date_to_days(sn_date d);
sn_date sn_date_from_days(int64_t days);
/* As YYYYMMDD (20261129): an ordered integer for tables and logs. */
int32_t sn_date_yyyymmdd(sn_date d);

/* <0, 0, >0 as a is before, the same as, after b. */
int sn_date_cmp(sn_date a, sn_date b);
int sn_month_cmp(sn_month a, sn_month b);
/* b - a in days. */
int64_t sn_date_diff_days(sn_date a, sn_date b);

/* d plus n days (n may be negative). */
sn_date sn_date_add_days(sn_date d, int64_t n);
/*
 * d plus n months (n may be negative); a day past the new month's end
 * becomes its last day (2027-01-31 + 1 month is 2027-02-28).
 */
sn_date sn_date_add_months(sn_date d, int32_t n);
/* The last day of d's month. */
sn_date sn_date_month_end(sn_date d);
/* The first day of d's month. */
sn_date sn_date_month_start(sn_date d);

/* The month d falls in. */
sn_month sn_date_month(sn_date d);
/* m plus n months (n may be negative). */
sn_month sn_month_add(sn_month m, int32_t n);
/* The first and the last day of m. */
sn_date sn_month_first(sn_month m);
sn_date sn_month_last(sn_month m);
/* b - a in months (2026-12 to 2027-02 is 2). */
int32_t sn_month_diff(sn_month a, sn_month b);

#endif /* SN_DATE_H */
