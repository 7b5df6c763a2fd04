#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/seal.h"

#define K1 "7a84fd2636dfde32de199e2fa68637e23614f448e2cd3c1e7730585fa8069043"
#define K2 "cb3316d0a1fba3eff4aaf518b56aebabbdca30894d2e2d7b28d8b3452ed8f27e"
#define BK "5f1c0e9a3b7d2468ace0f1357924680bdf13579bace02468fdb97531eca86420"
#define BK2 "0f1c0e9a3b7d2468ace0f1357924680bdf13579bace02468fdb97531eca86420"

#define COL "intake.member.id_number"
#define ID "11010519491231002X"

static sn_seal *
open_ok(const char *ring, const char *blind)
{
	sn_seal *s = NULL;

	assert_int_equal(sn_seal_open(&s, ring, blind), SN_OK);
	assert_non_null(s);
	return s;
}

static void
test_round_trip(void **state)
{
	sn_seal *s = open_ok("k1:" K1, BK);
	char    *a = NULL, *b = NULL, *plain = NULL;

	(void) state;
	assert_int_equal(sn_seal_text(s, COL, ID, &a), SN_OK);
	assert_non_null(a);
	assert_true(strncmp(a, "sn1.k1.", 7) == 0);
	assert_null(strstr(a, ID));
	/* base64url without padding: nothing but A-Z a-z 0-9 - _ */
	for (const char *p = a + 7; *p != '\0'; p++)
		assert_non_null(
		    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
		           "nopqrstuvwxyz0123456789-_",
		        *p));
	/* a fresh nonce per value: the same value seals differently */
	assert_int_equal(sn_seal_text(s, COL, ID, &b), SN_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(sn_seal_open_text(s, COL, a, &plain), SN_OK);
	assert_string_equal(plain, ID);
	free(plain);
	assert_int_equal(sn_seal_open_text(s, COL, b, &plain), SN_OK);
	assert_string_equal(plain, ID);
	free(plain);
	/* the empty value too */
	free(a);
	assert_int_equal(sn_seal_text(s, COL, "", &a), SN_OK);
	assert_int_equal(sn_seal_open_text(s, COL, a, &plain), SN_OK);
	assert_string_equal(plain, "");
	free(plain);
	free(a);
	free(b);
	sn_seal_close(s);
}

static void
test_other_column(void **state)
{
	sn_seal *s     = open_ok("k1:" K1, BK);
	char    *a     = NULL;
	char    *plain = (char *) 1;

	(void) state;
	assert_int_equal(sn_seal_text(s, COL, ID, &a), SN_OK);
	assert_int_equal(sn_seal_open_text(s,
	                     "intake.application.payee_"
	                     "account_number",
	                     a, &plain),
	    SN_EINVAL);
	assert_null(plain);
	free(a);
	sn_seal_close(s);
}

static void
test_flipped_byte(void **state)
{
	sn_seal *s = open_ok("k1:" K1, BK);
	char    *a = NULL, *plain = NULL;
	size_t   len;

	(void) state;
	assert_int_equal(sn_seal_text(s, COL, ID, &a), SN_OK);
	len = strlen(a);
	/* every position of the body, one at a time: none opens */
	for (size_t i = 7; i < len; i++) {
		char was = a[i];

		a[i] = was == 'A' ? 'B' : 'A';
		assert_int_equal(
		    sn_seal_open_text(s, COL, a, &plain), SN_EINVAL);
		assert_null(plain);
		a[i] = was;
	}
	/* truncated, prefix changed, empty */
	a[len - 1] = '\0';
	assert_int_equal(sn_seal_open_text(s, COL, a, &plain), SN_EINVAL);
	a[0] = 'x';
	assert_int_equal(sn_seal_open_text(s, COL, a, &plain), SN_EINVAL);
	assert_int_equal(sn_seal_open_text(s, COL, "", &plain), SN_EINVAL);
	assert_int_equal(
	    sn_seal_open_text(s, COL, "sn1.k1.", &plain), SN_EINVAL);
	assert_int_equal(sn_seal_open_text(s, COL, ID, &plain), SN_EINVAL);
	free(a);
	sn_seal_close(s);
}

static void
test_unknown_kid(void **state)
{
	sn_seal *s1 = open_ok("k1:" K1, BK);
	sn_seal *s2 = open_ok("k2:" K1, BK); /* the same key, another kid */
	char    *a = NULL, *plain = NULL;

	(void) state;
	assert_int_equal(sn_seal_text(s1, COL, ID, &a), SN_OK);
	assert_int_equal(sn_seal_open_text(s2, COL, a, &plain), SN_EINVAL);
	assert_null(plain);
	/* relabelled to the kid s2 knows, it opens: the kid picks the key */
	memcpy(a, "sn1.k2.", 7);
	assert_int_equal(sn_seal_open_text(s2, COL, a, &plain), SN_OK);
	assert_string_equal(plain, ID);
	free(plain);
	free(a);
	sn_seal_close(s1);
	sn_seal_close(s2);
}

static void
test_rotation(void **state)
{
	sn_seal *old  = open_ok("t1:" K1 "\n", BK);
	sn_seal *cur  = open_ok("t2:" K2 "\nt1:" K1 "\n", BK);
	sn_seal *gone = open_ok("t2:" K2, BK);
	char    *a = NULL, *b = NULL, *plain = NULL;
	char     i1[SN_SEAL_INDEX_HEX + 1], i2[SN_SEAL_INDEX_HEX + 1];

	(void) state;
	assert_int_equal(sn_seal_text(old, COL, ID, &a), SN_OK);
	assert_true(strncmp(a, "sn1.t1.", 7) == 0);
	assert_int_equal(sn_seal_open_text(cur, COL, a, &plain), SN_OK);
	assert_string_equal(plain, ID);
	free(plain);
	assert_int_equal(sn_seal_text(cur, COL, ID, &b), SN_OK);
	assert_true(strncmp(b, "sn1.t2.", 7) == 0);
	assert_int_equal(sn_seal_open_text(cur, COL, b, &plain), SN_OK);
	assert_string_equal(plain, ID);
	free(plain);
	/* the old key alone cannot open the new value, nor the new the old */
	assert_int_equal(sn_seal_open_text(old, COL, b, &plain), SN_EINVAL);
	assert_int_equal(sn_seal_open_text(gone, COL, a, &plain), SN_EINVAL);
	/* the index does not rotate with the sealing keys */
	sn_seal_index(old, COL, ID, i1);
	sn_seal_index(cur, COL, ID, i2);
	assert_string_equal(i1, i2);
	free(a);
	free(b);
	sn_seal_close(old);
	sn_seal_close(cur);
	sn_seal_close(gone);
}

static void
test_malformed_keyring(void **state)
{
	static const char *const rings[] = {
		"",
		"\n",
		K1,                      /* no kid */
		":" K1,                  /* empty kid */
		"K1:" K1,                /* upper case kid */
		"k_1:" K1,               /* '_' not allowed */
		"abcdefghijklmnopq:" K1, /* kid of 17 */
		"k1:" K1 "00",           /* 66 hex */
		"k1:7a84",               /* short */
		"k1:"
		"zz84fd2636dfde32de199e2fa68637e23614f448e2cd3c1e7730585fa8069"
		"0",
		"k1:" K1 "\nk1:" K2, /* kid twice */
		"k1:" K1 "\nbad",    /* a bad second line */
		"k1 :" K1,
	};
	sn_seal *s = (sn_seal *) 1;

	(void) state;
	for (size_t i = 0; i < sizeof(rings) / sizeof(rings[0]); i++) {
		s = (sn_seal *) 1;
		assert_int_equal(sn_seal_open(&s, rings[i], BK), SN_EINVAL);
		assert_null(s);
	}
	assert_int_equal(sn_seal_open(&s, "k1:" K1, ""), SN_EINVAL);
	assert_int_equal(sn_seal_open(&s, "k1:" K1, "5f1c"), SN_EINVAL);
	assert_int_equal(sn_seal_open(&s, "k1:" K1, BK "0"), SN_EINVAL);
	assert_int_equal(sn_seal_open(&s, NULL, BK), SN_EINVAL);
	assert_int_equal(sn_seal_open(&s, "k1:" K1, NULL), SN_EINVAL);
	/* well-formed variants: 16-character kid, CRLF, trailing newline */
	s = open_ok("abcdefghij-12345:" K1 "\r\nk2:" K2 "\r\n", BK);
	sn_seal_close(s);
	sn_seal_close(NULL);
}

static void
test_index(void **state)
{
	sn_seal *s  = open_ok("k1:" K1, BK);
	sn_seal *s2 = open_ok("k1:" K1, BK2);
	char     a[SN_SEAL_INDEX_HEX + 1], b[SN_SEAL_INDEX_HEX + 1];
	char     c[SN_SEAL_INDEX_HEX + 1], d[SN_SEAL_INDEX_HEX + 1];

	(void) state;
	sn_seal_index(s, COL, ID, a);
	sn_seal_index(s, COL, ID, b);
	assert_int_equal(strlen(a), SN_SEAL_INDEX_HEX);
	assert_int_equal(strspn(a, "0123456789abcdef"), SN_SEAL_INDEX_HEX);
	assert_string_equal(a, b);
	/* another column, another value, another index key */
	sn_seal_index(s, "verification.query.id_number", ID, c);
	assert_string_not_equal(a, c);
	sn_seal_index(s, COL, "110105194912310037", c);
	assert_string_not_equal(a, c);
	sn_seal_index(s2, COL, ID, c);
	assert_string_not_equal(a, c);
	/* the column and the value are kept apart */
	sn_seal_index(s, "ab", "c", c);
	sn_seal_index(s, "a", "bc", d);
	assert_string_not_equal(c, d);
	sn_seal_close(s);
	sn_seal_close(s2);
}

static void
test_default(void **state)
{
	sn_seal *s = open_ok("k1:" K1, BK);

	(void) state;
	assert_null(sn_seal_default());
	sn_seal_set_default(s);
	assert_ptr_equal(sn_seal_default(), s);
	sn_seal_close(s); /* closing the default clears it */
	assert_null(sn_seal_default());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_other_column),
		cmocka_unit_test(test_flipped_byte),
		cmocka_unit_test(test_unknown_kid),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_malformed_keyring),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
