/*
 * fuzz_date: dates and months as text ("YYYY-MM-DD", "YYYY-MM": bodies,
 * query parameters, events, agency notices) and the calendar arithmetic
 * on them (sn/date.h).
 *
 * Parsing is strict, so an accepted text is already canonical: formatting
 * it gives the same bytes back. Days since the epoch go there and back;
 * adding n days is undone by the difference; adding months lands on a
 * real day no later in its month; and three int32 from the input, when
 * they make a valid date, survive format and parse.
 */
#include "sn/date.h"
#include "fuzz.h"

static int64_t
i64_at(const uint8_t *data, size_t size, size_t off)
{
	int64_t v = 0;
	if (size >= off + 8)
		memcpy(&v, data + off, 8);
	return v;
}

static void
date_text(const char *s, const uint8_t *data, size_t size)
{
	sn_date d = { 7, 7, 7 };
	if (sn_date_parse(s, &d) != SN_OK) {
		FUZZ_CHECK(d.year == 7 && d.month == 7 && d.day == 7);
		return;
	}
	char buf[SN_DATE_STRLEN];
	FUZZ_CHECK(sn_date_valid(d));
	FUZZ_CHECK(strcmp(sn_date_format(d, buf), s) == 0);
	FUZZ_CHECK(sn_date_cmp(sn_date_from_days(sn_date_to_days(d)), d) == 0);
	/* A shift within about 27,000 years either way. */
	int64_t n = i64_at(data, size, 10) % 10000000;
	sn_date e = sn_date_add_days(d, n);
	if (sn_date_valid(e)) {
		FUZZ_CHECK(sn_date_diff_days(d, e) == n);
		FUZZ_CHECK(sn_date_cmp(sn_date_add_days(e, -n), d) == 0);
	}
	int32_t m = (int32_t) (i64_at(data, size, 18) % 120000);
	sn_date f = sn_date_add_months(d, m);
	if (f.year >= 1 && f.year <= 9999) {
		FUZZ_CHECK(sn_date_valid(f) && f.day <= d.day);
		FUZZ_CHECK(
		    sn_month_diff(sn_date_month(d), sn_date_month(f)) == m);
	}
	FUZZ_CHECK(sn_date_month_end(d).day
	    == sn_date_days_in_month(d.year, d.month));
	FUZZ_CHECK(sn_date_month_start(d).day == 1);
}

static void
month_text(const char *s)
{
	sn_month m = { 7, 7 };
	if (sn_month_parse(s, &m) != SN_OK) {
		FUZZ_CHECK(m.year == 7 && m.month == 7);
		return;
	}
	char buf[SN_MONTH_STRLEN];
	FUZZ_CHECK(sn_month_valid(m));
	FUZZ_CHECK(strcmp(sn_month_format(m, buf), s) == 0);
	FUZZ_CHECK(sn_month_cmp(sn_date_month(sn_month_first(m)), m) == 0);
	FUZZ_CHECK(sn_month_cmp(sn_date_month(sn_month_last(m)), m) == 0);
}

/* Three int32: a valid date among them survives format and parse. */
static void
numbers(const uint8_t *data)
{
	sn_date d;
	memcpy(&d.year, data, 4);
	memcpy(&d.month, data + 4, 4);
	memcpy(&d.day, data + 8, 4);
	bool valid = d.year >= 1 && d.year <= 9999 && d.month >= 1
	    && d.month <= 12 && d.day >= 1
	    && d.day <= sn_date_days_in_month(d.year, d.month);
	FUZZ_CHECK(sn_date_valid(d) == valid);
	if (!valid)
		return;
	char    buf[SN_DATE_STRLEN];
	sn_date back;
	FUZZ_CHECK(sn_date_parse(sn_date_format(d, buf), &back) == SN_OK);
	FUZZ_CHECK(sn_date_cmp(back, d) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	date_text(s, data, size);
	month_text(s);
	free(s);
	if (size >= 12)
		numbers(data);
	return 0;
}
