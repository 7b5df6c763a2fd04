#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sn/auth.h"
#include "sn/log.h"

#include "keys.h"

/* KEY2 encrypted (PKCS#8, passphrase "secret"): refused, never prompted. */
#define KEY2_ENCRYPTED                                                        \
	"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"                             \
	"MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgL022BRP3dMAICCAAw\n"  \
	"DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEBE0j/BjvHknN3l3QQkboy0EgZBd\n"  \
	"sg+ne4EeU/AWjVpPVlgp0v3ykXtnOdLUGlSumvqGVGyR7urnii7vkg5D921pg2Ez\n"  \
	"jv994yTg3QCAdWf840gIhe/8FcfYQ6nGio6RgCB2LNsS6wXxPXPuAFGW0nSg/KfE\n"  \
	"PpR8+pXTy9bUkPlKAt5DvIK6wak+5ZYWuEGTd0kWMR0qtozR0C2/PNRw2Lfymz4=\n"  \
	"-----END ENCRYPTED PRIVATE KEY-----\n"
/* A P-384 key (ES384) and an RSA key (RS256): not ours. */
#define KEY_P384                                                              \
	"-----BEGIN PRIVATE KEY-----\n"                                       \
	"MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCda8Vs3jVjmH+iRcxc\n"  \
	"19OJEURRiz8iVpNfl98V/DXX3ZX+f4URANnNXPIKMvoKIbqhZANiAAQktzDBesw3\n"  \
	"pgJxQmrtUaaQ76WgjMHXMDjVExPiiNawqhdizI41e9/i7X528zziSvdkhlLnoeyC\n"  \
	"6Mt43yxGJH9z/EhsSKEA7twz9/SUQ3sSiTgY5wKwx4XZRF/7ueSdI6Q=\n"          \
	"-----END PRIVATE KEY-----\n"
#define KEY_RSA                                                               \
	"-----BEGIN PRIVATE KEY-----\n"                                       \
	"MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAMS94VKh2b39y6H5\n"  \
	"K9UItTiTswN0V5TOccc9TwWXdoqpV7QgvDW5NzeUaCNd0E6UzDLFiJUYwE0zWsmn\n"  \
	"R9fzv24l5Y9pccqpIlwvdhNXL/2xvhJeQBuKZ+xqwbD19v26Q50TP6765vwgnfHg\n"  \
	"R/tquisbsjnWS9Al/93EZ8F1SuipAgMBAAECgYBmO6EFdlMWVfZlwXvUZIT+1Ek2\n"  \
	"Z1NHYQtgk+wnJLCVly+ay1PhutAFkpmWnx4qZ0nArEKv7z+mHiR0GvfLML7szX9I\n"  \
	"y7kMvStNZTfWhj3Cii0BACVZimH2e1xIvh0uKE/a5/1+LZpwhhkMWKWzy1bQOy61\n"  \
	"0Br3YlPWhvDMm1ZnMQJBAOShwMhtHAQZIdGdIBqcc6DQWHqL+bDgIvJybiV/AOF5\n"  \
	"NAv+reEvAdqJDPVZSBs/jh0hg2m+TZPajvG4HYQiXKUCQQDcSuDw4fqmY4skn9fw\n"  \
	"3jHd3/feOnufbQEI+S4ftWi7ET5iVmO9ubSlGldD0Of/ojell27cdri5E27XM5Yr\n"  \
	"XUi1AkBOJd/gYjMeT3zYyi1MC0gWosBreubpB2PKnUR6+pNRfn1E0FOc0dV/XjMY\n"  \
	"teDIt4ua93aUsWCQ9ja/9p/YJ2qlAkEAyKYXPrDGKbmvahuBh64Kw6oVTb/9C9gw\n"  \
	"QikcntsQWps5ND61uICmjl9wrp9gQRJTFyvYWUx1snWF1tPw6uybpQJBANSkY4+E\n"  \
	"m5ZKRk3Njb1ExvegpyVS3viLn9xRuUeMzy2fhuO9ntOSiatX6zxlpoFFxzfMlBb3\n"  \
	"KZ/3Go+fEWoRd/U=\n"                                                  \
	"-----END PRIVATE KEY-----\n"

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
b64url_bytes(const unsigned char *in, size_t n, char *out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	                          "qrstuvwxyz0123456789-_";
	size_t            o     = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8
		    | in[i + 2];
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = tbl[v >> 6 & 63];
		out[o++] = tbl[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned) in[i] << 16;
		out[o++]   = tbl[v >> 18 & 63];
		out[o++]   = tbl[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v
		    = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8;
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = tbl[v >> 6 & 63];
	}
	out[o] = '\0';
}

static void
b64url(const char *in, char *out)
{
	b64url_bytes((const unsigned char *) in, strlen(in), out);
}

static size_t
unb64url(const char *in, size_t n, unsigned char *out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	                          "qrstuvwxyz0123456789-_";
	unsigned          v     = 0;
	int               bits  = 0;
	size_t            o     = 0;

	for (size_t i = 0; i < n; i++) {
		const char *c = strchr(tbl, in[i]);

		assert_non_null(c);
		v = (v << 6 | (unsigned) (c - tbl)) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char) (v >> bits);
		}
	}
	return o;
}

static EVP_PKEY *
load_key(const char *pem, bool private)
{
	BIO      *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
	                      : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);

	assert_non_null(k);
	BIO_free(bio);
	return k;
}

/*
 * A token with any header and payload, signed ES256 by OpenSSL directly
 * (not libjwt) with the P-256 private key pem: the signature as JOSE
 * wants it (R || S, 64 bytes) or, with der, as OpenSSL makes it.
 */
static char *
sign_raw(const char *pem, const char *header, const char *payload, bool der)
{
	EVP_PKEY            *k   = load_key(pem, true);
	EVP_MD_CTX          *ctx = EVP_MD_CTX_new();
	unsigned char        sig[128], rs[64];
	const unsigned char *sp     = sig;
	size_t               siglen = sizeof(sig);
	char                 input[2048], b64sig[200], *out;
	ECDSA_SIG           *es;
	const BIGNUM        *r, *s;

	b64url(header, input);
	strcat(input, ".");
	b64url(payload, input + strlen(input));
	assert_int_equal(
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen,
	                     (const unsigned char *) input, strlen(input)),
	    1);
	if (der) {
		b64url_bytes(sig, siglen, b64sig);
	} else {
		es = d2i_ECDSA_SIG(NULL, &sp, (long) siglen);
		assert_non_null(es);
		ECDSA_SIG_get0(es, &r, &s);
		assert_int_equal(BN_bn2binpad(r, rs, 32), 32);
		assert_int_equal(BN_bn2binpad(s, rs + 32, 32), 32);
		b64url_bytes(rs, 64, b64sig);
		ECDSA_SIG_free(es);
	}
	out = malloc(strlen(input) + strlen(b64sig) + 2);
	assert_non_null(out);
	sprintf(out, "%s.%s", input, b64sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return out;
}

/* A payload every verifier accepts: exp in ten minutes. */
static const char *
good_payload(void)
{
	static char buf[256];

	snprintf(buf, sizeof(buf),
	    "{\"sub\":\"u1\",\"role\":\"village\","
	    "\"juris\":\"220103001002\",\"exp\":%lld}",
	    (long long) time(NULL) + 600);
	return buf;
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
	/* libjwt writes typ JWT; ES256 tokens get no kid, which passes. */
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

/* The optional unit (issue 13) travels and is checked like the rest. */
static void
test_unit(void **state)
{
	static const char *bad[] = { "Health", "health dept", "健康",
		"0123456789012345678901234567890123456789abcdefgh" };
	sn_auth           *a;
	sn_principal       p = fixture(), got;
	char              *token;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_int_equal(sn_auth_issue(a, &p, 600, &token), SN_OK);
	assert_int_equal(verify_token(a, token, &got), SN_OK);
	assert_string_equal(got.unit, ""); /* none given, none read */
	free(token);

	snprintf(p.unit, sizeof(p.unit), "%s", "medical_security");
	assert_int_equal(sn_auth_issue(a, &p, 600, &token), SN_OK);
	assert_int_equal(verify_token(a, token, &got), SN_OK);
	assert_string_equal(got.unit, "medical_security");
	free(token);

	assert_false(sn_auth_unit_valid(NULL));
	assert_false(sn_auth_unit_valid(""));
	assert_true(sn_auth_unit_valid("p-first-street_2"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(sn_auth_unit_valid(bad[i]));
		snprintf(p.unit, sizeof(p.unit), "%s", bad[i]);
		if (strlen(bad[i]) < sizeof(p.unit)) {
			assert_int_equal(
			    sn_auth_issue(a, &p, 600, &token), SN_EINVAL);
			assert_null(token);
		}
	}
	sn_auth_close(a);
}

static void
test_open_close(void **state)
{
	static const char *bad[] = { "", "short",
		"-----BEGIN PUBLIC KEY-----\n", KEY2_ENCRYPTED, KEY_P384,
		KEY_RSA, "0123456789abcdef0123456789abcdef-an-hs256-secret" };
	sn_auth           *a;

	(void) state;
	assert_int_equal(sn_auth_open(&a, NULL), SN_EINVAL);
	assert_null(a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = (sn_auth *) 1;
		if (sn_auth_open(&a, bad[i]) != SN_EINVAL)
			fail_msg("key %zu was accepted", i);
		assert_null(a);
	}
	/* PKCS#8 and SEC1 private keys issue; a public key only verifies. */
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_true(sn_auth_can_issue(a));
	assert_string_equal(sn_auth_public_pem(a), PUB);
	sn_auth_close(a);
	assert_int_equal(sn_auth_open(&a, KEY2), SN_OK);
	assert_true(sn_auth_can_issue(a));
	assert_string_equal(sn_auth_public_pem(a), PUB2);
	sn_auth_close(a);
	assert_int_equal(sn_auth_open(&a, PUB), SN_OK);
	assert_false(sn_auth_can_issue(a));
	sn_auth_close(a);
	sn_auth_close(NULL);
	assert_false(sn_auth_can_issue(NULL));
}

/* The kid and the JWK, against values computed outside (openssl and
 * python3-jwt): the same for the private key and its public half. */
static void
test_kid_jwk(void **state)
{
	sn_auth *a, *b;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_int_equal(sn_auth_open(&b, PUB), SN_OK);
	assert_string_equal(sn_auth_kid(a), PUB_KID);
	assert_string_equal(sn_auth_kid(b), PUB_KID);
	assert_string_equal(sn_auth_jwk(a),
	    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" PUB_X
	    "\",\"y\":\"" PUB_Y "\",\"kid\":\"" PUB_KID
	    "\",\"alg\":\"ES256\",\"use\":\"sig\"}");
	assert_string_equal(sn_auth_jwk(a), sn_auth_jwk(b));
	sn_auth_close(a);
	sn_auth_close(b);
}

/* A verifier on the public key alone cannot issue. */
static void
test_public_cannot_issue(void **state)
{
	sn_auth     *a;
	sn_principal p = fixture();
	char        *t = (char *) 1;

	(void) state;
	assert_int_equal(sn_auth_open(&a, PUB), SN_OK);
	assert_int_equal(sn_auth_issue(a, &p, 600, &t), SN_EDENIED);
	assert_null(t);
	sn_auth_close(a);
}

/*
 * What sn_auth_issue writes is a JOSE ES256 token: header alg ES256, typ
 * JWT, our kid; the signature 64 bytes R || S that OpenSSL itself (not
 * libjwt) verifies over "header.payload" with the public key.
 */
static void
test_jose_signature(void **state)
{
	sn_auth      *a;
	sn_principal  p = fixture();
	char         *token, *d1, *d2, hdr[256];
	unsigned char rs[128], der[128], *dp = der;
	size_t        n;
	int           dn;
	ECDSA_SIG    *es;
	EVP_PKEY     *k;
	EVP_MD_CTX   *ctx;

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_int_equal(sn_auth_issue(a, &p, 600, &token), SN_OK);
	d1     = strchr(token, '.');
	d2     = strrchr(token, '.');
	n      = unb64url(token, (size_t) (d1 - token), (unsigned char *) hdr);
	hdr[n] = '\0';
	assert_non_null(strstr(hdr, "\"alg\":\"ES256\""));
	assert_non_null(strstr(hdr, "\"typ\":\"JWT\""));
	assert_non_null(strstr(hdr, "\"kid\":\"" PUB_KID "\""));
	assert_int_equal(unb64url(d2 + 1, strlen(d2 + 1), rs), 64);

	es = ECDSA_SIG_new();
	assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(rs, 32, NULL),
	                     BN_bin2bn(rs + 32, 32, NULL)),
	    1);
	dn = i2d_ECDSA_SIG(es, &dp);
	assert_true(dn > 0);
	k   = load_key(PUB, false);
	ctx = EVP_MD_CTX_new();
	assert_int_equal(
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(
	    EVP_DigestVerify(ctx, der, (size_t) dn,
	        (const unsigned char *) token, (size_t) (d2 - token)),
	    1);
	/* The control: one byte less of the signed input does not verify. */
	EVP_MD_CTX_reset(ctx);
	assert_int_equal(
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_not_equal(
	    EVP_DigestVerify(ctx, der, (size_t) dn,
	        (const unsigned char *) token, (size_t) (d2 - token) - 1),
	    1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	ECDSA_SIG_free(es);
	free(token);
	sn_auth_close(a);
}

/* Tokens signed by OpenSSL directly: the header rules. */
static void
test_header_rules(void **state)
{
	static const struct {
		const char *header;
		sn_err      want;
	} cases[] = {
		{ "{\"alg\":\"ES256\"}", SN_OK },
		{ "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", SN_OK },
		{ "{\"alg\":\"ES256\",\"typ\":\"jwt\"}", SN_OK },
		{ "{\"alg\":\"ES256\",\"kid\":\"" PUB_KID "\"}", SN_OK },
		{ "{\"alg\":\"ES256\",\"kid\":\"0000000000000000\"}",
		    SN_EAUTH },
		{ "{\"alg\":\"ES256\",\"kid\":7}", SN_EAUTH },
		{ "{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}", SN_EAUTH },
		{ "{\"alg\":\"ES256\",\"crit\":[\"exp\"]}", SN_EAUTH },
		{ "{\"alg\":\"es256\"}", SN_EAUTH },
		{ "{\"alg\":\"HS256\",\"alg\":\"ES256\"}", SN_EAUTH },
		{ "{\"typ\":\"JWT\"}", SN_EAUTH },
		{ "[\"ES256\"]", SN_EAUTH },
		{ "not json", SN_EAUTH },
	};
	sn_auth     *a;
	sn_principal got;

	(void) state;
	assert_int_equal(sn_auth_open(&a, PUB), SN_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t
		    = sign_raw(KEY, cases[i].header, good_payload(), false);
		sn_err e = verify_token(a, t, &got);

		if (e != cases[i].want)
			fail_msg("header %s: %d, want %d", cases[i].header, e,
			    cases[i].want);
		free(t);
	}
	/* The signature in OpenSSL's DER form instead of R || S. */
	{
		char *t = sign_raw(
		    KEY, "{\"alg\":\"ES256\"}", good_payload(), true);

		assert_int_equal(verify_token(a, t, &got), SN_EAUTH);
		free(t);
	}
	sn_auth_close(a);
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
	/* The public half alone verifies it. */
	{
		sn_auth     *v;
		sn_principal g2;

		assert_int_equal(sn_auth_open(&v, PUB), SN_OK);
		assert_int_equal(verify_token(v, token, &g2), SN_OK);
		assert_string_equal(g2.user, p.user);
		sn_auth_close(v);
	}

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

/* token with one signature byte changed: verifies as SN_EAUTH. */
static sn_err
verify_flipped(sn_auth *a, const char *token, sn_principal *got)
{
	char  *t = strdup(token);
	size_t n = strlen(t);
	sn_err err;

	t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
	err      = verify_token(a, t, got);
	free(t);
	return err;
}

/* token's header and signature around a payload claiming a wider
 * jurisdiction, written to forged (1024 bytes). */
static void
forge_wider(const char *token, char *forged)
{
	char  payload[256];
	char *copy = strdup(token), *dot;

	b64url("{\"sub\":\"clerk.li@tw1\",\"role\":\"township\","
	       "\"juris\":\"220103\",\"exp\":4102444800}",
	    payload);
	dot  = strchr(copy, '.');
	*dot = '\0';
	snprintf(forged, 1024, "%s.%s.%s", copy, payload,
	    strrchr(dot + 1, '.') + 1);
	free(copy);
}

static void
test_tamper(void **state)
{
	sn_auth     *a;
	sn_principal p = fixture(), got;
	char        *token, forged[1024];

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_int_equal(sn_auth_issue(a, &p, 600, &token), SN_OK);
	/* A changed signature byte. */
	assert_int_equal(verify_flipped(a, token, &got), SN_EAUTH);
	/* A payload claiming a wider jurisdiction under the old signature. */
	forge_wider(token, forged);
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
	assert_int_equal(sn_auth_open(&a, PUB), SN_OK);
	t = craft(
	    JWT_ALG_ES256, KEY, "u1", "village", "220103001002", now - 5);
	assert_int_equal(verify_token(a, t, &got), SN_EAUTH);
	free(t);
	/* No exp at all is refused too. */
	t = craft(JWT_ALG_ES256, KEY, "u1", "village", "220103001002", 0);
	assert_int_equal(verify_token(a, t, &got), SN_EAUTH);
	free(t);
	/* So is one living longer than anyone may issue. */
	t = craft(JWT_ALG_ES256, KEY, "u1", "village", "220103001002",
	    now + SN_AUTH_TTL_MAX + 60);
	assert_int_equal(verify_token(a, t, &got), SN_EAUTH);
	free(t);
	/* The control: the same token unexpired passes. */
	t = craft(
	    JWT_ALG_ES256, KEY, "u1", "village", "220103001002", now + 60);
	assert_int_equal(verify_token(a, t, &got), SN_OK);
	free(t);
	sn_auth_close(a);
}
/* The cache of verified tokens (issue 15): a token verified once is
 * answered from it, only byte for byte and only while unexpired. */
static void
test_verified_cache(void **state)
{
	sn_auth     *a;
	sn_principal p = fixture(), got;
	char        *token, forged[1024];
	long         now = (long) time(NULL);

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	assert_int_equal(sn_auth_issue(a, &p, 600, &token), SN_OK);
	assert_int_equal(verify_token(a, token, &got), SN_OK);
	assert_int_equal(sn_auth_verified_hits(a), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(verify_token(a, token, &got), SN_OK);
	assert_int_equal(sn_auth_verified_hits(a), 1);
	assert_string_equal(got.user, p.user);
	assert_string_equal(got.role, p.role);
	assert_string_equal(got.juris, p.juris);

	/* A changed signature byte, the original kept: refused. */
	assert_int_equal(verify_flipped(a, token, &got), SN_EAUTH);
	/* A wider jurisdiction under the kept token's signature: its slot
	 * is the kept token's (the slot follows the signature), the bytes
	 * are not. */
	forge_wider(token, forged);
	assert_int_equal(verify_token(a, forged, &got), SN_EAUTH);
	assert_int_equal(sn_auth_verified_hits(a), 1);
	/* The kept token still passes. */
	assert_int_equal(verify_token(a, token, &got), SN_OK);
	assert_int_equal(sn_auth_verified_hits(a), 2);
	free(token);

	/* Kept, then expired: refused, not answered from the cache. */
	token = craft(
	    JWT_ALG_ES256, KEY, "u1", "village", "220103001002", now + 2);
	assert_int_equal(verify_token(a, token, &got), SN_OK);
	assert_int_equal(verify_token(a, token, &got), SN_OK);
	assert_int_equal(sn_auth_verified_hits(a), 3);
	while ((long) time(NULL) < now + 2) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_int_equal(verify_token(a, token, &got), SN_EAUTH);
	assert_int_equal(sn_auth_verified_hits(a), 3);
	free(token);
	sn_auth_close(a);
}

/* A district's staff, each with a token of their own, all stay verified:
 * each token is verified once, then served from the kept ones. */
static void
test_verified_staff(void **state)
{
	enum { STAFF = 200 };
	sn_auth     *a;
	sn_principal p = fixture(), got;
	char        *tokens[STAFF];

	(void) state;
	assert_int_equal(sn_auth_open(&a, KEY), SN_OK);
	for (int i = 0; i < STAFF; i++) {
		snprintf(p.user, sizeof(p.user), "officer-%d", i);
		assert_int_equal(sn_auth_issue(a, &p, 600, &tokens[i]), SN_OK);
		assert_int_equal(verify_token(a, tokens[i], &got), SN_OK);
	}
	assert_int_equal(sn_auth_verified_hits(a), 0);
	for (int round = 1; round <= 2; round++)
		for (int i = 0; i < STAFF; i++) {
			char want[64];
			snprintf(want, sizeof(want), "officer-%d", i);
			memset(&got, 0, sizeof(got));
			assert_int_equal(
			    verify_token(a, tokens[i], &got), SN_OK);
			assert_string_equal(got.user, want);
		}
	assert_int_equal(sn_auth_verified_hits(a), 2 * STAFF);
	for (int i = 0; i < STAFF; i++)
		free(tokens[i]);
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

/*
 * Correctly signed tokens under another algorithm. HS256 keyed with the
 * public key's PEM text is the algorithm confusion attack: a verifier
 * taking the algorithm from the token would check the HMAC with the very
 * key it holds, and anyone has the public key.
 */
static void
test_other_alg(void **state)
{
	static const struct {
		jwt_alg_t   alg;
		const char *key;
	} cases[] = {
		{ JWT_ALG_HS256, PUB },
		{ JWT_ALG_HS256, KEY },
		{ JWT_ALG_HS384, PUB },
		{ JWT_ALG_HS512, PUB },
		{ JWT_ALG_RS256, KEY_RSA },
		{ JWT_ALG_ES384, KEY_P384 },
	};
	sn_auth     *a, *b;
	sn_principal got;
	char        *t;
	long         exp = (long) time(NULL) + 600;

	(void) state;
	assert_int_equal(sn_auth_open(&a, PUB), SN_OK);
	assert_int_equal(sn_auth_open(&b, KEY), SN_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = craft(cases[i].alg, cases[i].key, "u1", "village",
		    "220103001002", exp);
		if (verify_token(a, t, &got) != SN_EAUTH
		    || verify_token(b, t, &got) != SN_EAUTH)
			fail_msg("case %zu was accepted", i);
		free(t);
	}
	/* The control: the same claims under ES256 pass. */
	t = craft(JWT_ALG_ES256, KEY, "u1", "village", "220103001002", exp);
	assert_int_equal(verify_token(a, t, &got), SN_OK);
	free(t);
	sn_auth_close(a);
	sn_auth_close(b);
}
static void
test_wrong_key(void **state)
{
	sn_auth     *a, *b;
	sn_principal p = fixture(), got;
	char        *token;

	(void) state;
	assert_int_equal(sn_auth_open(&a, PUB), SN_OK);
	assert_int_equal(sn_auth_open(&b, KEY2), SN_OK);
	assert_int_equal(sn_auth_issue(b, &p, 600, &token), SN_OK);
	assert_int_equal(verify_token(a, token, &got), SN_EAUTH);
	assert_int_equal(verify_token(b, token, &got), SN_OK);
	free(token);
	/* Without a kid, so that the signature check itself refuses it. */
	token = sign_raw(KEY2, "{\"alg\":\"ES256\"}", good_payload(), false);
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
		char *t = craft(JWT_ALG_ES256, KEY, bad[i].sub, bad[i].role,
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
		cmocka_unit_test(test_kid_jwk),
		cmocka_unit_test(test_public_cannot_issue),
		cmocka_unit_test(test_jose_signature),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_id_number),
		cmocka_unit_test(test_unit),
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
		cmocka_unit_test(test_verified_cache),
		cmocka_unit_test(test_verified_staff),
	};

	sn_log_init("auth_test", SN_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
