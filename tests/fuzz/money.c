/*
 * fuzz_money: amounts of money as text (sn_fen_parse: bank files, bodies,
 * query parameters) and the checked arithmetic on fen (sn/money.h).
 *
 * Checks sn_fen_parse against a second, plain reading of the grammar in
 * 128-bit arithmetic (same verdict, same value), that an amount parsed,
 * formatted and parsed again is the same amount, and each operation of
 * money.h on two int64 taken from the input against the 128-bit result
 * (SN_ERANGE exactly when it does not fit, *out untouched then).
 */
#include "sn/money.h"
#include "fuzz.h"

typedef __int128 i128;

/* -?[0-9]+(\.[0-9]{1,2})? as fen; false when the text is not that or its
 * value does not fit an int64. */
static bool
reference(const char *s, int64_t *out)
{
	bool neg = *s == '-';
	s += neg;
	i128 v = 0;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > ((i128) 1 << 80))
			return false; /* far out of range; stop growing */
	}
	v *= 100;
	if (*s == '.') {
		s++;
		int n = 0;
		for (; *s >= '0' && *s <= '9'; s++, n++)
			if (n < 2)
				v += (*s - '0') * (n == 0 ? 10 : 1);
		if (n < 1 || n > 2)
			return false;
	}
	if (*s != '\0')
		return false;
	v = neg ? -v : v;
	if (v < INT64_MIN || v > INT64_MAX)
		return false;
	*out = (int64_t) v;
	return true;
}

static void
text(const uint8_t *data, size_t size)
{
	char   *s   = fuzz_str(data, size);
	sn_fen  v   = 7;
	int64_t ref = 0;
	sn_err  err = sn_fen_parse(s, &v);
	bool    ok  = reference(s, &ref);
	FUZZ_CHECK((err == SN_OK) == ok);
	if (err != SN_OK) {
		FUZZ_CHECK(v == 7);
	} else {
		FUZZ_CHECK(v == ref);
		char   buf[SN_FEN_FMT_MAX];
		sn_fen again = 0;
		FUZZ_CHECK(
		    sn_fen_parse(sn_fen_format(v, buf), &again) == SN_OK);
		FUZZ_CHECK(again == v);
	}
	free(s);
}

static void
expect(sn_err err, sn_fen got, i128 want)
{
	bool fits = want >= INT64_MIN && want <= INT64_MAX;
	FUZZ_CHECK((err == SN_OK) == fits);
	FUZZ_CHECK(fits ? got == (sn_fen) want : got == 7);
}

static i128
floor_div(i128 a, i128 k)
{
	i128 q = a / k;
	return a % k != 0 && a < 0 ? q - 1 : q;
}

static void
arithmetic(const uint8_t *data)
{
	int64_t a, b;
	memcpy(&a, data, 8);
	memcpy(&b, data + 8, 8);
	sn_fen r = 7;
	expect(sn_fen_add(a, b, &r), r, (i128) a + b);
	r = 7;
	expect(sn_fen_sub(a, b, &r), r, (i128) a - b);
	r = 7;
	expect(sn_fen_mul(a, b, &r), r, (i128) a * b);
	r = 7;
	expect(sn_fen_from_yuan(a, &r), r, (i128) a * 100);
	r = 7;
	expect(sn_fen_ceil_yuan(a, &r), r, -floor_div(-(i128) a, 100) * 100);
	r = 7;
	if (b <= 0) {
		FUZZ_CHECK(sn_fen_div_floor(a, b, &r) == SN_EINVAL && r == 7);
		FUZZ_CHECK(sn_fen_div_ceil(a, b, &r) == SN_EINVAL && r == 7);
		return;
	}
	expect(sn_fen_div_floor(a, b, &r), r, floor_div(a, b));
	r = 7;
	expect(sn_fen_div_ceil(a, b, &r), r, -floor_div(-(i128) a, b));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	text(data, size);
	if (size >= 16)
		arithmetic(data);
	return 0;
}
