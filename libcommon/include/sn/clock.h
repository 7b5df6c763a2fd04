/*
 * sn/clock.h - the district's clock: the one source of "now", "today"
 * and "this month" for every policy date in every service (the acceptance
 * date, the 15-day deadline, payment periods, budget years, the figures'
 * months, review dates). PostgreSQL's current_date is never used for
 * policy: the district's day does not change with the database server's
 * time zone.
 *
 * The district's day is UTC shifted by SN_DISTRICT_UTC_OFFSET_MIN minutes
 * (default 480, China Standard Time; -720..840): an application accepted
 * at 23:30 UTC is dated the next district day.
 *
 * Tests move time with SN_CLOCK_OFFSET_S, seconds added to every reading
 * of the real clock (may be negative), so that they can cross a deadline,
 * a month end or a review date without sleeping. It is refused unless
 * SN_TEST_CLOCK=1 is also set, so that a production service can never be
 * started with a shifted clock by accident.
 *
 * The clock is process-wide, set once before any thread starts
 * (sn_service_main calls sn_clock_setup); reading it is then safe from any
 * thread.
 */
#ifndef SN_CLOCK_H
#define SN_CLOCK_H

#include <stdint.h>

#include "sn/date.h"
#include "sn/err.h"

/* The default district offset from UTC, minutes (UTC+8). */
#define SN_CLOCK_DEFAULT_OFFSET_MIN 480

/* The statutory time from acceptance to township confirmation, days. */
#define SN_CLOCK_CASE_DAYS 15

/*
 * Reads SN_DISTRICT_UTC_OFFSET_MIN, SN_TEST_CLOCK and SN_CLOCK_OFFSET_S.
 * SN_EINVAL, with a log line naming the setting, for a malformed or
 * out-of-range value, or SN_CLOCK_OFFSET_S without SN_TEST_CLOCK=1; the
 * clock is then unchanged.
 */
sn_err sn_clock_setup(void);

/* Sets the clock directly (unit tests). shift_s: as SN_CLOCK_OFFSET_S. */
void sn_clock_set(int32_t utc_offset_min, int64_t shift_s);

/* The district's offset from UTC in minutes, and the test shift. */
int32_t sn_clock_offset_min(void);
int64_t sn_clock_shift_s(void);

/* Now, in Unix seconds and milliseconds (the test shift included). */
int64_t sn_clock_now_s(void);
int64_t sn_clock_now_ms(void);

/* The district's date at Unix time t (seconds). */
sn_date sn_clock_date_at(int64_t unix_s);
/* Today and this month in the district. */
sn_date  sn_clock_today(void);
sn_month sn_clock_month(void);

/*
 * The last day on which a case accepted on accepted may be confirmed:
 * accepted + days calendar days (days is SN_CLOCK_CASE_DAYS unless the
 * policy says otherwise). One function, so that intake's stated deadline
 * and approval's overdue scan never disagree.
 */
sn_date sn_clock_deadline(sn_date accepted, int32_t days);

/*
 * Now as RFC 3339 UTC with milliseconds, "2026-12-02T13:55:39.123Z", for
 * event times; buf holds at least 25 bytes. Returns buf.
 */
#define SN_CLOCK_STAMPLEN 25
char *sn_clock_stamp(char buf[SN_CLOCK_STAMPLEN]);

#endif /* SN_CLOCK_H */
