#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/idnum.h"

/*
 * ISO 7064 MOD 11-2 from its definition rather than from the usual weight
 * table, so that a wrong table in the code under test cannot hide behind
 * the same wrong table here: the weight of position i (0-16 from the
 * left) is 2^(17 - i) mod 11, and the check value c makes
 * (sum + c) mod 11 == 1, with 10 written 'X'.
 */
static char
ref_check(const char *first17)
{
	int sum = 0;
	int c;

	for (int i = 0; i < 17; i++) {
		int w = 1;

		for (int k = 0; k < 17 - i; k++)
			w = w * 2 % 11;
		sum += (first17[i] - '0') * w;
	}
	c = (12 - sum % 11) % 11;
	return c == 10 ? 'X' : (char) ('0' + c);
}

/* region (6 chars), date (8) and sequence (3), with the right check. */
static void
make_id(char out[19], const char *region, const char *date, const char *seq)
{
	memcpy(out, region, 6);
	memcpy(out + 6, date, 8);
	memcpy(out + 14, seq, 3);
	out[17] = ref_check(out);
	out[18] = '\0';
}

static void
test_known_examples(void **state)
{
	sn_idnum id;
	char     s[19];

	(void) state;
	assert_int_equal(
	    sn_idnum_parse("11010519491231002X", 18, 0, &id), SN_OK);
	assert_string_equal(id.region, "110105");
	assert_int_equal(id.birth_year, 1949);
	assert_int_equal(id.birth_month, 12);
	assert_int_equal(id.birth_day, 31);
	assert_false(id.male);
	assert_true(sn_idnum_valid("11010519491231002X"));
	assert_int_equal(sn_idnum_check_char("11010519491231002"), 'X');

	/* The check character of this textbook example is right, but its
	 * birth year 1880 is before the 1900 the header sets as the floor. */
	assert_int_equal(sn_idnum_check_char("44052418800101001"), '4');
	assert_int_equal(
	    sn_idnum_parse("440524188001010014", 18, 0, NULL), SN_EINVAL);
	/* The same number born a century later is valid, and male. */
	make_id(s, "440524", "19800101", "001");
	assert_int_equal(sn_idnum_parse(s, 18, 0, &id), SN_OK);
	assert_true(id.male);
}

static void
test_check_char_matches_reference(void **state)
{
	char first17[18];

	(void) state;
	srand(11643);
	for (int n = 0; n < 10000; n++) {
		for (int i = 0; i < 17; i++)
			first17[i] = (char) ('0' + rand() % 10);
		first17[17] = '\0';
		if (sn_idnum_check_char(first17) != ref_check(first17))
			fail_msg("check char differs for %s", first17);
	}
}

static void
test_check_char_refuses_non_digits(void **state)
{
	(void) state;
	assert_int_equal(sn_idnum_check_char("1101051949123100X"), 0);
	assert_int_equal(sn_idnum_check_char("11010519 91231002"), 0);
	assert_int_equal(sn_idnum_check_char("1101051949"), 0);
	assert_int_equal(sn_idnum_check_char(NULL), 0);
}

static int
num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + s[i] - '0';
	return v;
}

/* Dates, regions and sequences, each case built with a correct check. */
static void
test_generated(void **state)
{
	static const struct {
		const char *region, *date, *seq;
		int         today;
		sn_err      err;
	} cases[] = {
		{ "220103", "19800101", "123", 0, SN_OK },
		{ "220103", "19800101", "124", 0, SN_OK },
		{ "999999", "19991231", "999", 0, SN_OK },
		{ "100000", "19000101", "000", 0, SN_OK },
		{ "110101", "20000229", "001", 0, SN_OK },     /* leap */
		{ "110101", "19000229", "001", 0, SN_EINVAL }, /* not leap */
		{ "110101", "20240229", "001", 0, SN_OK },
		{ "110101", "20230229", "001", 0, SN_EINVAL },
		{ "110101", "19990431", "001", 0, SN_EINVAL }, /* 30 days */
		{ "110101", "19991301", "001", 0, SN_EINVAL }, /* month 13 */
		{ "110101", "19990001", "001", 0, SN_EINVAL }, /* month 00 */
		{ "110101", "19990100", "001", 0, SN_EINVAL }, /* day 00 */
		{ "110101", "19990132", "001", 0, SN_EINVAL },
		{ "110101", "18991231", "001", 0, SN_EINVAL }, /* pre-1900 */
		{ "010101", "19800101", "001", 0, SN_EINVAL }, /* region 0 */
		{ "110101", "20261129", "001", 20261129, SN_OK }, /* today */
		{ "110101", "20261130", "001", 20261129, SN_EINVAL },
		{ "110101", "20270101", "001", 20261129, SN_EINVAL },
		{ "110101", "20270101", "001", 0, SN_OK },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char     s[19];
		sn_idnum id;
		sn_err   err;

		make_id(s, cases[i].region, cases[i].date, cases[i].seq);
		err = sn_idnum_parse(s, 18, cases[i].today, &id);
		if (err != cases[i].err)
			fail_msg("case %zu (%s, today %d): err %d", i, s,
			    cases[i].today, (int) err);
		if (err != SN_OK)
			continue;
		assert_memory_equal(id.region, cases[i].region, 6);
		assert_int_equal(id.region[6], '\0');
		assert_int_equal(id.birth_year, num(cases[i].date, 4));
		assert_int_equal(id.birth_month, num(cases[i].date + 4, 2));
		assert_int_equal(id.birth_day, num(cases[i].date + 6, 2));
		assert_int_equal(id.male, (cases[i].seq[2] - '0') % 2 == 1);
	}
}

/* Each case breaks exactly one thing in a number that is valid. */
static void
test_malformed(void **state)
{
	char good[19];
	char s[24];
	char wrong;

	(void) state;
	make_id(good, "220103", "19800101", "123");
	assert_int_equal(sn_idnum_parse(good, 18, 20261129, NULL), SN_OK);

	/* Every other check character is wrong. */
	for (const char *c = "0123456789X"; *c != '\0'; c++) {
		memcpy(s, good, 19);
		s[17] = *c;
		assert_int_equal(sn_idnum_parse(s, 18, 0, NULL),
		    *c == good[17] ? SN_OK : SN_EINVAL);
	}
	wrong = good[17] == '0' ? '1' : '0';
	memcpy(s, good, 19);
	s[17] = wrong;
	assert_false(sn_idnum_valid(s));

	/* Lengths 17 and 19. */
	assert_int_equal(sn_idnum_parse(good, 17, 0, NULL), SN_EINVAL);
	memcpy(s, good, 18);
	s[18] = '0';
	s[19] = '\0';
	assert_int_equal(sn_idnum_parse(s, 19, 0, NULL), SN_EINVAL);
	assert_false(sn_idnum_valid(s));
	good[17] = '\0';
	assert_false(sn_idnum_valid(good));
	make_id(good, "220103", "19800101", "123");

	/* An embedded NUL, counted in the length: in the digits and as the
	 * check character. */
	memcpy(s, good, 19);
	s[9] = '\0';
	assert_int_equal(sn_idnum_parse(s, 18, 0, NULL), SN_EINVAL);
	memcpy(s, good, 19);
	s[17] = '\0';
	assert_int_equal(sn_idnum_parse(s, 18, 0, NULL), SN_EINVAL);

	/* A non-ASCII byte (the lead byte of a two-byte UTF-8 letter). */
	memcpy(s, good, 19);
	s[3] = (char) 0xC3;
	assert_int_equal(sn_idnum_parse(s, 18, 0, NULL), SN_EINVAL);
	memcpy(s, good, 19);
	s[17] = (char) 0xC3;
	assert_int_equal(sn_idnum_parse(s, 18, 0, NULL), SN_EINVAL);

	/* A space, a sign, a letter where a digit belongs. */
	memcpy(s, good, 19);
	s[0] = ' ';
	assert_int_equal(sn_idnum_parse(s, 18, 0, NULL), SN_EINVAL);
	memcpy(s, good, 19);
	s[8] = '-';
	assert_int_equal(sn_idnum_parse(s, 18, 0, NULL), SN_EINVAL);
	memcpy(s, good, 19);
	s[16] = 'X';
	assert_int_equal(sn_idnum_parse(s, 18, 0, NULL), SN_EINVAL);

	assert_int_equal(sn_idnum_parse(NULL, 18, 0, NULL), SN_EINVAL);
	assert_int_equal(sn_idnum_parse("", 0, 0, NULL), SN_EINVAL);
	assert_false(sn_idnum_valid(NULL));
	assert_false(sn_idnum_valid(""));
}

static void
test_lowercase_x_refused(void **state)
{
	char s[19];

	(void) state;
	assert_true(sn_idnum_valid("11010519491231002X"));
	assert_false(sn_idnum_valid("11010519491231002x"));

	/* And for a generated number whose check is X. */
	for (int seq = 0; seq < 1000; seq++) {
		char q[4];

		(void) snprintf(q, sizeof(q), "%03d", seq);
		make_id(s, "330106", "19700615", q);
		if (s[17] == 'X')
			break;
	}
	assert_int_equal(s[17], 'X');
	assert_int_equal(sn_idnum_parse(s, 18, 0, NULL), SN_OK);
	s[17] = 'x';
	assert_int_equal(sn_idnum_parse(s, 18, 0, NULL), SN_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_examples),
		cmocka_unit_test(test_check_char_matches_reference),
		cmocka_unit_test(test_check_char_refuses_non_digits),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_lowercase_x_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
