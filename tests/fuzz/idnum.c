/*
 * fuzz_idnum: resident identity numbers (sn/idnum.h), which come in every
 * application, change report, agency answer and token.
 *
 * Checks that an accepted number says what its characters say (region,
 * birth date, sex, check character), that the birth date is a real day by
 * sn/date.h as well (two calendars in the tree must agree), that "today"
 * only ever refuses more, and that the 17 digits of any input completed
 * with their own check character are accepted exactly when their region
 * and date are valid.
 */
#include "sn/idnum.h"
#include "fuzz.h"
#include "sn/date.h"

#define TODAY 20261203

static int
num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static void
accepted(const char *s, const sn_idnum *id)
{
	FUZZ_CHECK(memcmp(id->region, s, 6) == 0 && id->region[6] == '\0');
	FUZZ_CHECK(s[0] != '0');
	FUZZ_CHECK(id->birth_year == num(s + 6, 4));
	FUZZ_CHECK(id->birth_month == num(s + 10, 2));
	FUZZ_CHECK(id->birth_day == num(s + 12, 2));
	FUZZ_CHECK(id->male == ((s[16] - '0') % 2 == 1));
	FUZZ_CHECK(sn_idnum_check_char(s) == s[17]);
	sn_date d = { id->birth_year, id->birth_month, id->birth_day };
	FUZZ_CHECK(sn_date_valid(d) && d.year >= 1900);
}

/* The first 17 digits of s (non-digits become '0') and their check
 * character: accepted iff the region and date are. */
static void
completed(const uint8_t *data, size_t size)
{
	char s[19];
	for (size_t i = 0; i < 17; i++)
		s[i] = i < size && data[i] >= '0' && data[i] <= '9'
		    ? (char) data[i]
		    : '0';
	s[17] = sn_idnum_check_char(s);
	s[18] = '\0';
	FUZZ_CHECK(s[17] != 0);
	sn_date d    = { num(s + 6, 4), num(s + 10, 2), num(s + 12, 2) };
	bool    want = s[0] != '0' && d.year >= 1900 && sn_date_valid(d);
	FUZZ_CHECK(sn_idnum_valid(s) == want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data;
	sn_idnum    id, id_today;
	memset(&id, 0, sizeof(id));
	sn_err err = sn_idnum_parse(s, size, 0, &id);
	if (err == SN_OK) {
		FUZZ_CHECK(size == 18);
		accepted(s, &id);
		char *z = fuzz_str(data, size);
		FUZZ_CHECK(sn_idnum_valid(z));
		free(z);
	}
	sn_err err_today = sn_idnum_parse(s, size, TODAY, &id_today);
	if (err_today == SN_OK) {
		FUZZ_CHECK(err == SN_OK);
		FUZZ_CHECK(
		    id.birth_year * 10000 + id.birth_month * 100 + id.birth_day
		    <= TODAY);
	}
	completed(data, size);
	return 0;
}
