#include "sn/idnum.h"

#include <string.h>

#define IDNUM_LEN 18

static bool
is_digit(char c)
{
	/* Not isdigit(): it follows the locale and is undefined for the
	 * negative char values that non-ASCII bytes become. */
	return c >= '0' && c <= '9';
}

static int
digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[12]
	    = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

char
sn_idnum_check_char(const char *first17)
{
	static const int weight[17]
	    = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[11]
	    = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };
	int sum = 0;

	if (first17 == NULL)
		return 0;
	for (int i = 0; i < 17; i++) {
		if (!is_digit(first17[i]))
			return 0;
		sum += (first17[i] - '0') * weight[i];
	}
	return check[sum % 11];
}

sn_err
sn_idnum_parse(const char *s, size_t len, int today_yyyymmdd, sn_idnum *out)
{
	int  year, month, day;
	char check;

	if (s == NULL || len != IDNUM_LEN)
		return SN_EINVAL;
	/* Digits are checked first, so an embedded NUL or a non-ASCII byte
	 * fails here and nothing below reads past a short string. */
	for (size_t i = 0; i < IDNUM_LEN - 1; i++) {
		if (!is_digit(s[i]))
			return SN_EINVAL;
	}
	if (s[0] == '0')
		return SN_EINVAL;

	year  = digits(s + 6, 4);
	month = digits(s + 10, 2);
	day   = digits(s + 12, 2);
	if (year < 1900 || month < 1 || month > 12 || day < 1
	    || day > days_in_month(year, month))
		return SN_EINVAL;
	if (today_yyyymmdd != 0
	    && year * 10000 + month * 100 + day > today_yyyymmdd)
		return SN_EINVAL;

	check = sn_idnum_check_char(s);
	if (check == 0 || s[IDNUM_LEN - 1] != check)
		return SN_EINVAL;

	if (out != NULL) {
		memcpy(out->region, s, 6);
		out->region[6]   = '\0';
		out->birth_year  = year;
		out->birth_month = month;
		out->birth_day   = day;
		out->male        = (s[16] - '0') % 2 == 1;
	}
	return SN_OK;
}

bool
sn_idnum_valid(const char *s)
{
	/* No clock here: the functions stay pure. A caller that must refuse
	 * future birth dates uses sn_idnum_parse with today's date. */
	return s != NULL && sn_idnum_parse(s, strlen(s), 0, NULL) == SN_OK;
}
