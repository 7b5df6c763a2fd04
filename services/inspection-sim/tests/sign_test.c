/*
 * sign_test.c - the 12388 request signatures (sign.h): two vectors
 * computed outside (Python's hmac and hashlib), and a table of requests
 * each breaking one thing, refused with its code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "sign.h"

#define KEYHEX                                                                \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define NOW 1700000000
#define BODY "{\"version\":1}"
#define SIG_PUT                                                               \
	"66c427472ea0d950bc594b13b84b64a54cfbfa5e5cfe2c5d59c719c8d8f803ea"
#define SIG_GET                                                               \
	"dd75fa10d09f57bb832b0b8f21f7dcf744454a4e0f62ebd81e7c3af071a657fe"

static uint8_t key[INSPECTION_SIGN_KEYLEN];

static void
test_vectors(void **state)
{
	char out[INSPECTION_SIGN_HEXLEN];
	(void) state;
	assert_true(inspection_sign_key(KEYHEX, key));
	inspection_sign(key, "PUT", "/v1/cases/g-1", "1700000000",
	    "abcdefghijklmnop", BODY, strlen(BODY), out);
	assert_string_equal(out, SIG_PUT);
	inspection_sign(key, "GET", "/v1/tips?after=0&limit=100", "1700000000",
	    "abcdefghijklmnop", NULL, 0, out);
	assert_string_equal(out, SIG_GET);
}

static void
test_keys_and_nonces(void **state)
{
	uint8_t k[INSPECTION_SIGN_KEYLEN];
	(void) state;
	assert_false(inspection_sign_key(NULL, k));
	assert_false(inspection_sign_key("00", k));
	assert_false(inspection_sign_key(KEYHEX "00", k));
	assert_false(inspection_sign_key(
	    "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    k));
	assert_true(inspection_sign_nonce_ok("abcdefghijklmnop"));
	assert_true(inspection_sign_nonce_ok("A-_0123456789abcd"));
	assert_false(inspection_sign_nonce_ok("abcdefghijklmno")); /* 15 */
	assert_false(inspection_sign_nonce_ok("abcdefghijklmnop!"));
	assert_false(inspection_sign_nonce_ok(NULL));
	char long_nonce[66];
	memset(long_nonce, 'a', 65);
	long_nonce[65] = '\0';
	assert_false(inspection_sign_nonce_ok(long_nonce));
	long_nonce[64] = '\0';
	assert_true(inspection_sign_nonce_ok(long_nonce));
}

/* One request: the good one, then each row breaks one thing. */
typedef struct row {
	const char *name;
	const char *key_id, *ts, *nonce, *sig;
	const char *method, *target, *body;
	int64_t     now;
	const char *code; /* NULL: passes */
} row;

static void
test_table(void **state)
{
	static const row rows[] = {
		{ "good", "k1", "1700000000", "abcdefghijklmnop", SIG_PUT,
		    "PUT", "/v1/cases/g-1", BODY, NOW, NULL },
		{ "300 s late still good", "k1", "1700000000",
		    "abcdefghijklmnop", SIG_PUT, "PUT", "/v1/cases/g-1", BODY,
		    NOW + 300, NULL },
		{ "300 s early still good", "k1", "1700000000",
		    "abcdefghijklmnop", SIG_PUT, "PUT", "/v1/cases/g-1", BODY,
		    NOW - 300, NULL },
		{ "no signature", "k1", "1700000000", "abcdefghijklmnop", NULL,
		    "PUT", "/v1/cases/g-1", BODY, NOW, "signature_missing" },
		{ "no key id", NULL, "1700000000", "abcdefghijklmnop", SIG_PUT,
		    "PUT", "/v1/cases/g-1", BODY, NOW, "signature_missing" },
		{ "other key id", "k2", "1700000000", "abcdefghijklmnop",
		    SIG_PUT, "PUT", "/v1/cases/g-1", BODY, NOW,
		    "unknown_key" },
		{ "timestamp not digits", "k1", "17e8", "abcdefghijklmnop",
		    SIG_PUT, "PUT", "/v1/cases/g-1", BODY, NOW,
		    "bad_timestamp" },
		{ "301 s old", "k1", "1700000000", "abcdefghijklmnop", SIG_PUT,
		    "PUT", "/v1/cases/g-1", BODY, NOW + 301,
		    "stale_timestamp" },
		{ "301 s ahead", "k1", "1700000000", "abcdefghijklmnop",
		    SIG_PUT, "PUT", "/v1/cases/g-1", BODY, NOW - 301,
		    "stale_timestamp" },
		{ "short nonce", "k1", "1700000000", "abc", SIG_PUT, "PUT",
		    "/v1/cases/g-1", BODY, NOW, "bad_nonce" },
		{ "other nonce", "k1", "1700000000", "abcdefghijklmnoq",
		    SIG_PUT, "PUT", "/v1/cases/g-1", BODY, NOW,
		    "bad_signature" },
		{ "other body", "k1", "1700000000", "abcdefghijklmnop",
		    SIG_PUT, "PUT", "/v1/cases/g-1", "{\"version\":2}", NOW,
		    "bad_signature" },
		{ "other path", "k1", "1700000000", "abcdefghijklmnop",
		    SIG_PUT, "PUT", "/v1/cases/g-2", BODY, NOW,
		    "bad_signature" },
		{ "other method", "k1", "1700000000", "abcdefghijklmnop",
		    SIG_PUT, "POST", "/v1/cases/g-1", BODY, NOW,
		    "bad_signature" },
		{ "upper-case hex", "k1", "1700000000", "abcdefghijklmnop",
		    "66C427472EA0D950BC594B13B84B64A54CFBFA5E5CFE2C5D59C719C8D"
		    "8F803EA",
		    "PUT", "/v1/cases/g-1", BODY, NOW, "bad_signature" },
		{ "truncated", "k1", "1700000000", "abcdefghijklmnop",
		    "66c427472ea0d950", "PUT", "/v1/cases/g-1", BODY, NOW,
		    "bad_signature" },
		{ "query signed", "k1", "1700000000", "abcdefghijklmnop",
		    SIG_GET, "GET", "/v1/tips?after=0&limit=100", NULL, NOW,
		    NULL },
		{ "query changed", "k1", "1700000000", "abcdefghijklmnop",
		    SIG_GET, "GET", "/v1/tips?after=5&limit=100", NULL, NOW,
		    "bad_signature" },
	};
	(void) state;
	assert_true(inspection_sign_key(KEYHEX, key));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const row              *r = &rows[i];
		inspection_sign_headers h
		    = { r->key_id, r->ts, r->nonce, r->sig };
		sn_problem p;
		sn_problem_clear(&p);
		bool ok = inspection_sign_check(key, "k1", r->now, r->method,
		    r->target, r->body, r->body ? strlen(r->body) : 0, &h, &p);
		if (r->code == NULL) {
			if (!ok)
				fail_msg(
				    "%s: refused with %s", r->name, p.code);
		} else {
			if (ok)
				fail_msg("%s: passed", r->name);
			assert_int_equal(p.status, 401);
			if (strcmp(p.code, r->code) != 0)
				fail_msg("%s: %s, not %s", r->name, p.code,
				    r->code);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_keys_and_nonces),
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
