/*
 * supervision.stats_unit: the statistics' pure parts as tables - the
 * Chinese figures of the seed's form (counts in 万/亿 with 余, yuan from
 * fen with 万/亿 rounded half up), the two sentences, exact yuan text, the
 * district day (and so the month) of an event's time, `by`, and RFC 4180
 * fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

static void
test_count_zh(void **state)
{
	static const struct {
		int64_t     n;
		const char *want;
	} t[] = {
		{ 0, "0" },
		{ 1493, "1493" },
		{ 9999, "9999" },
		{ 10000, "1万" },
		{ 10001, "1万余" },
		{ 90000, "9万" },
		{ 93412, "9万余" },
		{ 99999999, "9999万余" },
		{ 100000000, "1亿" },
		{ 112000001, "1亿余" },
		{ -5, "-5" },
	};
	char buf[SUPERVISION_STATS_ZHLEN];

	(void) state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(
		    supervision_stats_count_zh(t[i].n, buf, sizeof(buf)),
		    t[i].want);
}

static void
test_yuan_zh(void **state)
{
	static const struct {
		int64_t     fen;
		const char *want;
	} t[] = {
		{ 0, "0" },
		{ 7, "0.07" },
		{ 50, "0.5" },
		{ 320000, "3200" },
		{ 320050, "3200.5" },
		{ 320055, "3200.55" },
		{ 99999999, "100万" }, /* 99.9999999万 */
		{ 999999, "9999.99" },
		{ 1000000, "1万" },
		/* the seed's emergency figure: 1,715,500 yuan */
		{ 171550000, "171.55万" },
		{ 171549999, "171.55万" }, /* 171.549999 rounds up */
		{ 171544999, "171.54万" }, /* 171.544999 rounds down */
		{ 171500000, "171.5万" },
		{ 200000000, "200万" },
		/* 9999.995万 rounds to 10000.00万: written in 亿 */
		{ 9999995000, "1亿" },
		{ 9999994999, "9999.99万" },
		/* the seed's district figure: 112 million yuan */
		{ 11200000000, "1.12亿" },
		{ 11249999999, "1.12亿" },
		{ 11250000000, "1.13亿" },
		{ 11000000000, "1.1亿" },
		{ 123456789012345, "12345.68亿" },
		{ -171550000, "-171.55万" },
		{ INT64_MIN, "-922337203.69亿" },
	};
	char buf[SUPERVISION_STATS_ZHLEN];

	(void) state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(
		    supervision_stats_yuan_zh(t[i].fen, buf, sizeof(buf)),
		    t[i].want);
}

static void
test_sentences(void **state)
{
	char buf[SUPERVISION_STATS_SENTENCELEN];

	(void) state;
	assert_string_equal(supervision_stats_district_sentence(
	                        21345, 93412, 11200000000, buf, sizeof(buf)),
	    "救助2万余户、9万余人次，发放1.12亿元");
	assert_string_equal(supervision_stats_district_sentence(
	                        372, 1198, 34127300, buf, sizeof(buf)),
	    "救助372户、1198人次，发放34.13万元");
	assert_string_equal(supervision_stats_emergency_sentence(
	                        1493, 171550000, buf, sizeof(buf)),
	    "临时救助1493人次，171.55万元");
	assert_string_equal(
	    supervision_stats_emergency_sentence(0, 0, buf, sizeof(buf)),
	    "临时救助0人次，0元");
}

static void
test_yuan_exact(void **state)
{
	char buf[32];

	(void) state;
	assert_string_equal(
	    supervision_stats_yuan(0, buf, sizeof(buf)), "0.00");
	assert_string_equal(
	    supervision_stats_yuan(7, buf, sizeof(buf)), "0.07");
	assert_string_equal(
	    supervision_stats_yuan(11200000000, buf, sizeof(buf)),
	    "112000000.00");
	assert_string_equal(
	    supervision_stats_yuan(-150005, buf, sizeof(buf)), "-1500.05");
	assert_string_equal(
	    supervision_stats_yuan(INT64_MAX, buf, sizeof(buf)),
	    "92233720368547758.07");
}

/* The district day, and so the month a fact falls in. */
static void
test_day_of(void **state)
{
	static const struct {
		const char *time;
		int32_t     offset;
		const char *want; /* NULL: refused */
	} t[] = {
		{ "2027-01-31T15:59:59.999Z", 480, "2027-01-31" },
		/* 16:30 UTC on the 31st is past midnight at UTC+8: February */
		{ "2027-01-31T16:30:00.000Z", 480, "2027-02-01" },
		{ "2027-01-31T16:30:00Z", 0, "2027-01-31" },
		{ "2027-02-01T00:30:00+08:00", 480, "2027-02-01" },
		{ "2027-02-01T00:30:00+08:00", 0, "2027-01-31" },
		{ "2026-12-31T23:59:59-01:00", 480, "2027-01-01" },
		{ "2027-03-01T02:00:00Z", -720, "2027-02-28" },
		{ "2028-02-29T20:00:00z", 480, "2028-03-01" },
		{ "1969-12-31T23:00:00Z", 0, "1969-12-31" },
		{ "2027-01-31 16:30:00Z", 480, NULL },
		{ "2027-01-31T16:30:00", 480, NULL },
		{ "2027-02-30T16:30:00Z", 480, NULL },
		{ "2027-01-31T24:00:00Z", 480, NULL },
		{ "2027-01-31T16:30:00.Z", 480, NULL },
		{ "2027-01-31T16:30:00+0800", 480, NULL },
		{ "2027-01-31T16:30:00Zjunk", 480, NULL },
		{ "", 480, NULL },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sn_date d = { 0, 0, 0 };
		char    buf[SN_DATE_STRLEN];
		sn_err  err
		    = supervision_stats_day_of(t[i].time, t[i].offset, &d);

		if (t[i].want == NULL) {
			assert_int_equal(err, SN_EINVAL);
			continue;
		}
		assert_int_equal(err, SN_OK);
		assert_string_equal(sn_date_format(d, buf), t[i].want);
	}
	assert_int_equal(
	    supervision_stats_day_of(NULL, 0, &(sn_date) { 0, 0, 0 }),
	    SN_EINVAL);
}

static void
test_parse_by(void **state)
{
	unsigned by = 0;

	(void) state;
	assert_int_equal(supervision_stats_parse_by(NULL, &by), SN_OK);
	assert_int_equal(by, SUPERVISION_STATS_BY_PROGRAMME);
	assert_int_equal(
	    supervision_stats_parse_by("township,month", &by), SN_OK);
	assert_int_equal(
	    by, SUPERVISION_STATS_BY_TOWNSHIP | SUPERVISION_STATS_BY_MONTH);
	assert_int_equal(supervision_stats_parse_by(
	                     "programme,category,tier,township,month", &by),
	    SN_OK);
	assert_int_equal(by, 31u);
	assert_int_equal(
	    supervision_stats_parse_by("outcome,service,programme", &by),
	    SN_OK);
	assert_int_equal(by,
	    SUPERVISION_STATS_BY_PROGRAMME | SUPERVISION_STATS_BY_SERVICE
	        | SUPERVISION_STATS_BY_OUTCOME);
	assert_int_equal(supervision_stats_parse_by("programme,category,tier,"
	                                            "township,month,service,"
	                                            "outcome",
	                     &by),
	    SN_OK);
	assert_int_equal(by, 127u);
	by = 99;
	assert_int_equal(
	    supervision_stats_parse_by("month,month", &by), SN_EINVAL);
	assert_int_equal(supervision_stats_parse_by("month,", &by), SN_EINVAL);
	assert_int_equal(supervision_stats_parse_by(",month", &by), SN_EINVAL);
	assert_int_equal(supervision_stats_parse_by("months", &by), SN_EINVAL);
	assert_int_equal(supervision_stats_parse_by("Month", &by), SN_EINVAL);
	assert_int_equal(
	    supervision_stats_parse_by("service,services", &by), SN_EINVAL);
	assert_int_equal(by, 99u);
}

static void
test_csv_field(void **state)
{
	char  *buf = NULL;
	size_t len = 0, cap = 0;

	(void) state;
	assert_true(supervision_stats_csv_field(&buf, &len, &cap, "dibao"));
	assert_true(supervision_stats_csv_field(&buf, &len, &cap, "|a,b|"));
	assert_true(
	    supervision_stats_csv_field(&buf, &len, &cap, "say \"hi\""));
	assert_true(supervision_stats_csv_field(&buf, &len, &cap, "x\r\ny"));
	assert_true(supervision_stats_csv_field(&buf, &len, &cap, ""));
	assert_true(supervision_stats_csv_field(&buf, &len, &cap, "救助"));
	assert_string_equal(
	    buf, "dibao\"|a,b|\"\"say \"\"hi\"\"\"\"x\r\ny\"救助");
	assert_int_equal(len, strlen(buf));
	free(buf);
}

static void
test_programmes(void **state)
{
	(void) state;
	assert_null(
	    supervision_stats_programmes[SUPERVISION_STATS_NPROGRAMMES]);
	assert_string_equal(supervision_stats_programmes[0], "dibao");
	assert_string_equal(
	    supervision_stats_programmes[SUPERVISION_STATS_NPROGRAMMES - 1],
	    "service_projects");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_zh),
		cmocka_unit_test(test_yuan_zh),
		cmocka_unit_test(test_sentences),
		cmocka_unit_test(test_yuan_exact),
		cmocka_unit_test(test_day_of),
		cmocka_unit_test(test_parse_by),
		cmocka_unit_test(test_csv_field),
		cmocka_unit_test(test_programmes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
