#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sn/auth.h"
#include "sn/log.h"

#define KEY "0123456789abcdef0123456789abcdef-test-key"
#define KEY2 "fedcba9876543210fedcba9876543210-other-key"

/* A passing principal; each test breaks one thing. */
static sn_principal
fixture(void)
{
	sn_principal p;

	memset(&p, 0, sizeof(p));
	strcpy(p.user, "clerk.li@tw1");
	strcpy(p.role, "township");
	strcpy(p.juris, "220103001");
	return p;
}

static char *
bearer(const char *token)
{
	size_t n   = strlen(token) + 8;
	char  *out = malloc(n);

	assert_non_null(out);
	snprintf(out, n, "Bearer %s", token);
	return out;
}

static void
b64url(const char *in, char *out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	                          "qrstuvwxyz0123456789-_";
	size_t            n = strlen(in), o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned) (unsigned char) in[i] << 16
		    | (unsigned) (unsigned char) in[i + 1] << 8
		    | (unsigned char) in[i + 2];
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = tbl[v >> 6 & 63];
		out[o++] = tbl[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned) (unsigned char) in[i] << 16;
		out[o++]   = tbl[v >> 18 & 63];
		out[o++]   = tbl[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned) (unsigned char) in[i] << 16
		    | (unsigned) (unsigned char) in[i + 1] << 8;
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = tbl[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* A token signed by libjwt directly, for claims sn_auth_issue refuses to
 * write. exp 0 leaves it out. */
static char *
craft(jwt_alg_t alg, const char *key, const char *sub, const char *role,
    const char *juris, long exp)
{
	jwt_t *jwt;
	char  *t;

	assert_int_equal(jwt_new(&jwt), 0);
	assert_int_equal(jwt_set_alg(jwt, alg, (const unsigned char *) key,
	                     (int) strlen(key)),
	    0);
	if (sub != NULL)
		assert_int_equal(jwt_add_grant(jwt, "sub", sub), 0);
	if (role != NULL)
		assert_int_equal(jwt_add_grant(jwt, "role", role), 0);
	if (juris != NULL)
		assert_int_equal(jwt_add_grant(jwt, "juris", juris), 0);
	if (exp != 0)
		assert_int_equal(jwt_add_grant_int(jwt, "exp", exp), 0);
	t = jwt_encode_str(jwt);
	assert_non_null(t);
	jwt_free(jwt);
	return t;
}

static sn_err
verify_token(sn_auth *a, const char *token, sn_principal *out)
{
	char  *h = bearer(token);
	sn_err err;

	err = sn_auth_verify(a, h, out);
	free(h);
	return err;
}

/* The optional identity number travels and is checked like the rest. */
static void
test_id_number(void **state)
{
	sn_auth     *a;
	sn_principal p = fixture(), got;
	char        *token;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_int_equal(sn_auth_issue(a, &p, 600, &token), SN_OK);
	assert_int_equal(verify_token(a, token, &got), SN_OK);
	assert_string_equal(got.id_number, ""); /* none given, none read */
	free(token);

	snprintf(p.id_number, sizeof(p.id_number), "%s", "11010519491231002X");
	assert_int_equal(sn_auth_issue(a, &p, 600, &token), SN_OK);
	assert_int_equal(verify_token(a, token, &got), SN_OK);
	assert_string_equal(got.id_number, "11010519491231002X");
	free(token);

	/* A wrong check character is refused at issue. */
	snprintf(p.id_number, sizeof(p.id_number), "%s", "110105194912310021");
	assert_int_equal(sn_auth_issue(a, &p, 600, &token), SN_EINVAL);
	assert_null(token);
	sn_auth_close(a);
}

static void
test_open_close(void **state)
{
	sn_auth *a;

	(void) state;
	assert_int_equal(sn_auth_open(&a, "short"), SN_EINVAL);
	assert_null(a);
	assert_int_equal(sn_auth_open(&a, NULL), SN_EINVAL);
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	sn_auth_close(a);
	sn_auth_close(NULL);
}

static void
test_roundtrip(void **state)
{
	sn_auth     *a;
	sn_principal p = fixture(), got;
	char        *token, *h;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_int_equal(sn_auth_issue(a, &p, 600, &token), SN_OK);
	assert_int_equal(verify_token(a, token, &got), SN_OK);
	assert_string_equal(got.user, p.user);
	assert_string_equal(got.role, p.role);
	assert_string_equal(got.juris, p.juris);

	/* The scheme is case-insensitive; surrounding spaces are fine. */
	h = malloc(strlen(token) + 16);
	sprintf(h, "bearer   %s  ", token);
	assert_int_equal(sn_auth_verify(a, h, &got), SN_OK);
	free(h);
	free(token);
	sn_auth_close(a);
}

static void
test_malformed(void **state)
{
	static const char *bad[] = { "", "Bearer", "Bearer ", "Basic abc",
		"Bearer a.b", "Bearer a.b.c.d", "Bearer a.b.c",
		"Bearer ey$.ey.x", "Token abc.def.ghi" };
	sn_auth           *a;
	sn_principal       got;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_int_equal(sn_auth_verify(a, NULL, &got), SN_EAUTH);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sn_auth_verify(a, bad[i], &got), SN_EAUTH);
	sn_auth_close(a);
}

static void
test_tamper(void **state)
{
	sn_auth     *a;
	sn_principal p = fixture(), got;
	char        *token, *dot, payload[256], forged[1024];

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_int_equal(sn_auth_issue(a, &p, 600, &token), SN_OK);

	/* A changed signature byte. */
	{
		char  *t = strdup(token);
		size_t n = strlen(t);

		t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
		assert_int_equal(verify_token(a, t, &got), SN_EAUTH);
		free(t);
	}
	/* A payload claiming a wider jurisdiction under the old signature. */
	b64url("{\"sub\":\"clerk.li@tw1\",\"role\":\"township\","
	       "\"juris\":\"220103\",\"exp\":4102444800}",
	    payload);
	dot  = strchr(token, '.');
	*dot = '\0';
	snprintf(forged, sizeof(forged), "%s.%s.%s", token, payload,
	    strrchr(dot + 1, '.') + 1);
	assert_int_equal(verify_token(a, forged, &got), SN_EAUTH);
	free(token);
	sn_auth_close(a);
}

static void
test_expired(void **state)
{
	sn_auth     *a;
	sn_principal got;
	long         now = (long) time(NULL);
	char        *t;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	t = craft(
	    JWT_ALG_HS256, KEY, "u1", "village", "220103001002", now - 5);
	assert_int_equal(verify_token(a, t, &got), SN_EAUTH);
	free(t);
	/* No exp at all is refused too. */
	t = craft(JWT_ALG_HS256, KEY, "u1", "village", "220103001002", 0);
	assert_int_equal(verify_token(a, t, &got), SN_EAUTH);
	free(t);
	/* The control: the same token unexpired passes. */
	t = craft(
	    JWT_ALG_HS256, KEY, "u1", "village", "220103001002", now + 60);
	assert_int_equal(verify_token(a, t, &got), SN_OK);
	free(t);
	sn_auth_close(a);
}

static void
test_alg_none(void **state)
{
	sn_auth     *a;
	sn_principal got;
	char         hdr[128], body[256], tok[512];

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", hdr);
	b64url("{\"sub\":\"mallory\",\"role\":\"district\","
	       "\"juris\":\"220103\",\"exp\":4102444800}",
	    body);
	snprintf(tok, sizeof(tok), "%s.%s.", hdr, body);
	assert_int_equal(verify_token(a, tok, &got), SN_EAUTH);
	/* With a signature-looking tail as well. */
	snprintf(tok, sizeof(tok), "%s.%s.AAAA", hdr, body);
	assert_int_equal(verify_token(a, tok, &got), SN_EAUTH);
	/* "None" spelt otherwise. */
	b64url("{\"alg\":\"NONE\"}", hdr);
	snprintf(tok, sizeof(tok), "%s.%s.", hdr, body);
	assert_int_equal(verify_token(a, tok, &got), SN_EAUTH);
	sn_auth_close(a);
}

static void
test_other_alg(void **state)
{
	sn_auth     *a;
	sn_principal got;
	char        *t;
	long         exp = (long) time(NULL) + 600;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	/* Correctly signed with the right key, but not HS256. */
	t = craft(JWT_ALG_HS512, KEY, "u1", "village", "220103001002", exp);
	assert_int_equal(verify_token(a, t, &got), SN_EAUTH);
	free(t);
	t = craft(JWT_ALG_HS384, KEY, "u1", "village", "220103001002", exp);
	assert_int_equal(verify_token(a, t, &got), SN_EAUTH);
	free(t);
	sn_auth_close(a);
}

static void
test_wrong_key(void **state)
{
	sn_auth     *a, *b;
	sn_principal p = fixture(), got;
	char        *token;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_int_equal(sn_auth_open(&b, KEY2), SN_OK);
	assert_int_equal(sn_auth_issue(b, &p, 600, &token), SN_OK);
	assert_int_equal(verify_token(a, token, &got), SN_EAUTH);
	assert_int_equal(verify_token(b, token, &got), SN_OK);
	free(token);
	sn_auth_close(a);
	sn_auth_close(b);
}

static void
test_bad_claims(void **state)
{
	static const struct {
		const char *sub, *role, *juris;
	} bad[] = {
		{ NULL, "village", "220103001002" },
		{ "u1", NULL, "220103001002" },
		{ "u1", "village", NULL },
		{ "u 1", "village", "220103001002" },
		{ "u1", "vil\"lage", "220103001002" },
		{ "u1", "village", "22010300100" },
		{ "u1", "village", "22010a" },
		{ "u1", "village", "2201030010020" },
		{ "", "village", "220103" },
	};
	sn_auth     *a;
	sn_principal got;
	long         exp = (long) time(NULL) + 600;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = craft(JWT_ALG_HS256, KEY, bad[i].sub, bad[i].role,
		    bad[i].juris, exp);

		assert_int_equal(verify_token(a, t, &got), SN_EAUTH);
		free(t);
	}
	sn_auth_close(a);
}

static void
test_issue_validates(void **state)
{
	sn_auth     *a;
	sn_principal p;
	char        *t = (char *) 1;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	p = fixture();
	strcpy(p.juris, "12345");
	assert_int_equal(sn_auth_issue(a, &p, 60, &t), SN_EINVAL);
	assert_null(t);
	p = fixture();
	strcpy(p.user, "a b");
	assert_int_equal(sn_auth_issue(a, &p, 60, &t), SN_EINVAL);
	p         = fixture();
	p.role[0] = '\0';
	assert_int_equal(sn_auth_issue(a, &p, 60, &t), SN_EINVAL);
	p = fixture();
	memset(p.user, 'a', sizeof(p.user)); /* no NUL inside */
	assert_int_equal(sn_auth_issue(a, &p, 60, &t), SN_EINVAL);
	p = fixture();
	assert_int_equal(sn_auth_issue(a, &p, 0, &t), SN_EINVAL);
	assert_int_equal(sn_auth_issue(a, NULL, 60, &t), SN_EINVAL);
	sn_auth_close(a);
}

static void
test_within(void **state)
{
	static const struct {
		const char *juris, *code;
		bool        want;
	} cases[] = {
		{ "220103", "220103", true },
		{ "220103", "220103001", true },
		{ "220103", "220103001002", true },
		{ "220103", "220104", false },
		{ "220103", "220104001", false },
		{ "220103", "2201", false },
		{ "220103", "2201030", false },
		{ "220103", "22010300100", false },
		{ "220103", "22010a001", false },
		{ "220103", "", false },
		{ "220103001", "220103", false },
		{ "220103001", "220103001", true },
		{ "220103001", "220103001002", true },
		{ "220103001", "220103002001", false },
		{ "220103001", "220103002", false },
		{ "220103001002", "220103001002", true },
		{ "220103001002", "220103001003", false },
		{ "220103001002", "220103001", false },
		{ "220103001002", "2201030010021", false },
	};
	sn_principal p = fixture();

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(p.juris, cases[i].juris);
		if (sn_auth_within(&p, cases[i].code) != cases[i].want)
			fail_msg("within(%s, %s) should be %d", cases[i].juris,
			    cases[i].code, cases[i].want);
	}
	assert_false(sn_auth_within(NULL, "220103"));
	assert_false(sn_auth_within(&p, NULL));
	strcpy(p.juris, "2201");
	assert_false(sn_auth_within(&p, "220103"));
}

static void
test_has_role(void **state)
{
	sn_principal p = fixture(); /* township */

	(void) state;
	assert_true(sn_auth_has_role(&p, "township"));
	assert_true(sn_auth_has_role(&p, "village,township"));
	assert_true(sn_auth_has_role(&p, "village , township ,district"));
	assert_false(sn_auth_has_role(&p, "town"));
	assert_false(sn_auth_has_role(&p, "townships"));
	assert_false(sn_auth_has_role(&p, "village,district"));
	assert_false(sn_auth_has_role(&p, ""));
	assert_false(sn_auth_has_role(&p, ","));
	assert_false(sn_auth_has_role(&p, NULL));
	assert_false(sn_auth_has_role(NULL, "township"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_close),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_id_number),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_alg_none),
		cmocka_unit_test(test_other_alg),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_bad_claims),
		cmocka_unit_test(test_issue_validates),
		cmocka_unit_test(test_within),
		cmocka_unit_test(test_has_role),
	};

	sn_log_init("auth_test", SN_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
