#include "sn/money.h"

#include <stdbool.h>
#include <stdio.h>

/*
 * The checked builtins are GCC and Clang; they are the only way to get an
 * overflow test that is both exact and free of undefined behaviour without
 * a page of comparisons per operation.
 */

sn_err
sn_fen_add(sn_fen a, sn_fen b, sn_fen *out)
{
	sn_fen r;

	if (__builtin_add_overflow(a, b, &r))
		return SN_ERANGE;
	*out = r;
	return SN_OK;
}

sn_err
sn_fen_sub(sn_fen a, sn_fen b, sn_fen *out)
{
	sn_fen r;

	if (__builtin_sub_overflow(a, b, &r))
		return SN_ERANGE;
	*out = r;
	return SN_OK;
}

sn_err
sn_fen_mul(sn_fen a, int64_t k, sn_fen *out)
{
	sn_fen r;

	if (__builtin_mul_overflow(a, k, &r))
		return SN_ERANGE;
	*out = r;
	return SN_OK;
}

/*
 * C division truncates toward zero; floor and ceiling differ from it only
 * when there is a remainder, and then by one in the direction of the sign.
 * With k >= 2 whenever there is a remainder, the adjusted quotient is far
 * from the int64_t limits, so only k itself needs checking.
 */
sn_err
sn_fen_div_floor(sn_fen a, int64_t k, sn_fen *out)
{
	sn_fen q;

	if (k <= 0)
		return SN_EINVAL;
	q = a / k;
	if (a % k != 0 && a < 0)
		q--;
	*out = q;
	return SN_OK;
}

sn_err
sn_fen_div_ceil(sn_fen a, int64_t k, sn_fen *out)
{
	sn_fen q;

	if (k <= 0)
		return SN_EINVAL;
	q = a / k;
	if (a % k != 0 && a > 0)
		q++;
	*out = q;
	return SN_OK;
}

sn_err
sn_fen_ceil_yuan(sn_fen a, sn_fen *out)
{
	sn_fen yuan;

	(void) sn_fen_div_ceil(a, SN_FEN_PER_YUAN, &yuan);
	/* Near INT64_MAX the next whole yuan no longer fits. */
	return sn_fen_mul(yuan, SN_FEN_PER_YUAN, out);
}

sn_err
sn_fen_from_yuan(int64_t yuan, sn_fen *out)
{
	return sn_fen_mul(yuan, SN_FEN_PER_YUAN, out);
}

char *
sn_fen_format(sn_fen a, char buf[SN_FEN_FMT_MAX])
{
	uint64_t mag;

	/* Negating INT64_MIN overflows; its magnitude fits in uint64_t. */
	mag = a < 0 ? (uint64_t) 0 - (uint64_t) a : (uint64_t) a;
	(void) snprintf(buf, SN_FEN_FMT_MAX, "%s%llu.%02u", a < 0 ? "-" : "",
	    (unsigned long long) (mag / SN_FEN_PER_YUAN),
	    (unsigned) (mag % SN_FEN_PER_YUAN));
	return buf;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

sn_err
sn_fen_parse(const char *text, sn_fen *out)
{
	const char *p   = text;
	bool        neg = false;
	uint64_t    limit;
	uint64_t    mag = 0;
	int         ndec;

	if (p == NULL)
		return SN_EINVAL;
	if (*p == '-') {
		neg = true;
		p++;
	}
	/* "1." and ".5" are refused: amounts come from programs, not people,
	 * and a dangling point more likely means a truncated field. */
	if (!is_digit(*p))
		return SN_EINVAL;

	/* Accumulate the magnitude in fen so that INT64_MIN parses too. */
	limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (; is_digit(*p); p++) {
		unsigned d = (unsigned) (*p - '0');

		if (mag > (limit - d) / 10)
			goto range;
		mag = mag * 10 + d;
	}
	if (mag > limit / 100)
		goto range;
	mag *= 100;

	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return SN_EINVAL;
		for (ndec = 0; is_digit(*p); p++, ndec++) {
			uint64_t add;

			if (ndec == 2)
				return SN_EINVAL;
			add = (uint64_t) (*p - '0') * (ndec == 0 ? 10u : 1u);
			if (mag > limit - add)
				goto range;
			mag += add;
		}
	}
	if (*p != '\0')
		return SN_EINVAL;

	/* -(mag - 1) - 1 stays in range even when mag is 2^63. */
	*out = neg && mag > 0 ? -(sn_fen) (mag - 1) - 1 : (sn_fen) mag;
	return SN_OK;

range:
	/* Still refuse junk after an overlong number: it is not a number. */
	for (; is_digit(*p) || *p == '.'; p++)
		;
	return *p == '\0' ? SN_ERANGE : SN_EINVAL;
}
