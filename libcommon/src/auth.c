#include "sn/auth.h"
#include "sn/hash.h"
#include "sn/idnum.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sn/log.h"

/* An ES256 signature: R || S, 32 bytes each, in base64url unpadded. */
#define SIG_B64_LEN 86

/*
 * Tokens verified lately (issue 15). A staff member sends the same token
 * with every request for its whole life, and checking it again costs
 * libjwt's decoding of the key's PEM and an ECDSA verification: a fifth of
 * emergency's CPU at 700 grants a second. A token that passed every check
 * is kept in a set of slots chosen by its hash; a later request is served
 * from the set only if its token is the same, byte for byte, and its exp is
 * still ahead (nbf was behind when it was kept, and stays so). Anything
 * else takes the whole path. Each set has VERIFIED_WAYS slots, the one used
 * least lately giving way: direct-mapped, 256 slots kept 166 of 200 staff
 * members' tokens (two tokens of a slot pushed each other out, verified
 * again at every other request: 9 % of emergency's CPU in the saturated
 * grants when two of its ten townships' tokens met). 2,048 slots in sets
 * of eight keep them all (libcommon.auth test_verified_staff; in sets of
 * four a set overflowed in one run of six): a set then overflows with
 * 200 tokens about once in 30,000 times, with 1,000 for about 1.5 % of
 * its sets. About 440 KiB, touched only as tokens are kept.
 */
#define VERIFIED_WAYS 8
#define VERIFIED_SETS 256
#define VERIFIED_SLOTS (VERIFIED_WAYS * VERIFIED_SETS)

struct verified {
	char        *token; /* malloc'd; NULL when the slot is empty */
	size_t       len;
	long long    exp;
	uint64_t     used; /* when it was last kept or served (auth->clock) */
	sn_principal p;
};

struct sn_auth {
	char           *priv_pem; /* PKCS#8, NULL for a verifier only */
	char           *pub_pem;  /* SubjectPublicKeyInfo */
	char            kid[17];
	char            jwk[256];
	pthread_mutex_t lock; /* guards verified and clock */
	struct verified verified[VERIFIED_SLOTS];
	uint64_t        clock;
	atomic_ulong    hits;
};

static bool
is_digit(char c)
{
	/* Not isdigit(): it follows the locale. */
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
valid_chars(const char *s, size_t max, const char *extra)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		if (n >= max)
			return false;
		if (!is_alnum(s[n]) && strchr(extra, s[n]) == NULL)
			return false;
	}
	return n > 0;
}

static bool
valid_user(const char *s)
{
	return valid_chars(s, sizeof(((sn_principal *) 0)->user) - 1, "._@-");
}

static bool
valid_role(const char *s)
{
	return valid_chars(s, sizeof(((sn_principal *) 0)->role) - 1, "_-");
}

bool
sn_auth_unit_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		if (n >= sizeof(((sn_principal *) 0)->unit) - 1)
			return false;
		if (!is_digit(s[n]) && !(s[n] >= 'a' && s[n] <= 'z')
		    && s[n] != '_' && s[n] != '-')
			return false;
	}
	return n > 0;
}

bool
sn_auth_juris_valid(const char *code)
{
	size_t n;

	if (code == NULL)
		return false;
	for (n = 0; code[n] != '\0'; n++) {
		if (n >= 12 || !is_digit(code[n]))
			return false;
	}
	return n == 6 || n == 9 || n == 12;
}

bool
sn_auth_principal_valid(const sn_principal *p)
{
	/* The fields are arrays: look for the NUL inside each before
	 * treating them as strings. */
	if (p == NULL || memchr(p->user, '\0', sizeof(p->user)) == NULL
	    || memchr(p->role, '\0', sizeof(p->role)) == NULL
	    || memchr(p->juris, '\0', sizeof(p->juris)) == NULL)
		return false;
	if (memchr(p->id_number, '\0', sizeof(p->id_number)) == NULL
	    || memchr(p->unit, '\0', sizeof(p->unit)) == NULL)
		return false;
	return valid_user(p->user) && valid_role(p->role)
	    && sn_auth_juris_valid(p->juris)
	    && (p->id_number[0] == '\0' || sn_idnum_valid(p->id_number))
	    && (p->unit[0] == '\0' || sn_auth_unit_valid(p->unit));
}

static void
b64url_encode(const unsigned char *in, size_t n, char *out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	                          "qrstuvwxyz0123456789-_";
	size_t            o     = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned long v = (unsigned long) in[i] << 16
		    | (unsigned long) in[i + 1] << 8 | in[i + 2];
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = tbl[v >> 6 & 63];
		out[o++] = tbl[v & 63];
	}
	if (n - i >= 1) {
		unsigned long v = (unsigned long) in[i] << 16
		    | (n - i == 2 ? (unsigned long) in[i + 1] << 8 : 0);
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		if (n - i == 2)
			out[o++] = tbl[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* Decodes unpadded base64url; -1 on a bad character or length, else the
 * number of bytes written (at most cap). */
static long
b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	unsigned long v    = 0;
	int           bits = 0;
	size_t        o    = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		int  d;

		if (c >= 'A' && c <= 'Z')
			d = c - 'A';
		else if (c >= 'a' && c <= 'z')
			d = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			d = c - '0' + 52;
		else if (c == '-')
			d = 62;
		else if (c == '_')
			d = 63;
		else
			return -1;
		v = (v << 6 | (unsigned long) d) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char) (v >> bits);
		}
	}
	return (long) o;
}

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void) buf, (void) size, (void) rwflag, (void) u;
	return -1; /* an encrypted key is refused, never prompted for */
}

/* Reads one private or public key from pem; NULL if it is neither. */
static EVP_PKEY *
read_key(const char *pem, bool *private)
{
	BIO      *bio;
	EVP_PKEY *k;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL)
		return NULL;
	k        = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	*private = k != NULL;
	if (k == NULL) {
		(void) BIO_reset(bio);
		k = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	}
	BIO_free(bio);
	return k;
}

static bool
is_p256(EVP_PKEY *k)
{
	char   group[64];
	size_t n = 0;

	return EVP_PKEY_get_base_id(k) == EVP_PKEY_EC
	    && EVP_PKEY_get_utf8_string_param(
	           k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &n)
	    == 1
	    && strcmp(group, "prime256v1") == 0;
}

/* The PEM text a BIO holds, as a malloc'd string. */
static char *
bio_string(BIO *bio)
{
	char *data, *s;
	long  n = BIO_get_mem_data(bio, &data);

	if (n <= 0 || (s = malloc((size_t) n + 1)) == NULL)
		return NULL;
	memcpy(s, data, (size_t) n);
	s[n] = '\0';
	return s;
}

static char *
pem_of(EVP_PKEY *k, bool private)
{
	BIO  *bio = BIO_new(BIO_s_mem());
	char *s   = NULL;
	int   ok;

	if (bio == NULL)
		return NULL;
	ok = private
	    ? PEM_write_bio_PKCS8PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL)
	    : PEM_write_bio_PUBKEY(bio, k);
	if (ok == 1)
		s = bio_string(bio);
	if (private) {
		/* The memory BIO held the private key too. */
		char *data;
		long  n = BIO_get_mem_data(bio, &data);
		if (n > 0)
			OPENSSL_cleanse(data, (size_t) n);
	}
	BIO_free(bio);
	return s;
}

/* kid and jwk from the public key. */
static bool
describe(sn_auth *a, EVP_PKEY *k)
{
	unsigned char *der = NULL, digest[SHA256_DIGEST_LENGTH], xy[2][32];
	char           b64[2][48];
	int            n;
	BIGNUM        *x = NULL, *y = NULL;
	bool           ok = false;

	if ((n = i2d_PUBKEY(k, &der)) <= 0)
		return false;
	SHA256(der, (size_t) n, digest);
	OPENSSL_free(der);
	for (int i = 0; i < 8; i++)
		snprintf(a->kid + 2 * i, 3, "%02x", digest[i]);
	if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1
	    && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1
	    && BN_bn2binpad(x, xy[0], 32) == 32
	    && BN_bn2binpad(y, xy[1], 32) == 32) {
		b64url_encode(xy[0], 32, b64[0]);
		b64url_encode(xy[1], 32, b64[1]);
		n  = snprintf(a->jwk, sizeof(a->jwk),
		     "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
		      "\"y\":\"%s\",\"kid\":\"%s\",\"alg\":\"ES256\","
		      "\"use\":\"sig\"}",
		     b64[0], b64[1], a->kid);
		ok = n > 0 && (size_t) n < sizeof(a->jwk);
	}
	BN_free(x);
	BN_free(y);
	return ok;
}

sn_err
sn_auth_open(sn_auth **out, const char *pem)
{
	sn_auth  *a;
	EVP_PKEY *k;
	bool private;
	sn_err err = SN_ENOMEM;

	*out = NULL;
	if (pem == NULL || strnlen(pem, SN_AUTH_PEM_MAX + 1) > SN_AUTH_PEM_MAX)
		return SN_EINVAL;
	if ((k = read_key(pem, &private)) == NULL || !is_p256(k)) {
		EVP_PKEY_free(k);
		return SN_EINVAL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto out;
	if (pthread_mutex_init(&a->lock, NULL) != 0) {
		free(a);
		goto out;
	}
	if ((a->pub_pem = pem_of(k, false)) == NULL
	    || (private && (a->priv_pem = pem_of(k, true)) == NULL)
	    || !describe(a, k)) {
		sn_auth_close(a);
		goto out;
	}
	*out = a;
	err  = SN_OK;
out:
	EVP_PKEY_free(k);
	return err;
}

void
sn_auth_close(sn_auth *auth)
{
	if (auth == NULL)
		return;
	if (auth->priv_pem != NULL) {
		OPENSSL_cleanse(auth->priv_pem, strlen(auth->priv_pem));
		free(auth->priv_pem);
	}
	free(auth->pub_pem);
	for (size_t i = 0; i < VERIFIED_SLOTS; i++)
		free(auth->verified[i].token);
	pthread_mutex_destroy(&auth->lock);
	free(auth);
}

bool
sn_auth_can_issue(const sn_auth *auth)
{
	return auth != NULL && auth->priv_pem != NULL;
}

const char *
sn_auth_kid(const sn_auth *auth)
{
	return auth->kid;
}

const char *
sn_auth_jwk(const sn_auth *auth)
{
	return auth->jwk;
}

const char *
sn_auth_public_pem(const sn_auth *auth)
{
	return auth->pub_pem;
}

static sn_err
refuse(const char *why)
{
	sn_log(SN_LOG_DEBUG, "token refused", "reason", why, NULL);
	return SN_EAUTH;
}

/* Token characters: base64url plus the two dots. */
static bool
token_shape(const char *t, size_t n)
{
	size_t dots = 0;

	if (n == 0 || n > SN_AUTH_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '.')
			dots++;
		else if (!is_alnum(t[i]) && t[i] != '-' && t[i] != '_')
			return false;
	}
	return dots == 2;
}

static bool
copy_claim(char *dst, size_t cap, const char *src)
{
	size_t n;

	if (src == NULL || (n = strlen(src)) >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/*
 * The header, read before libjwt sees the token: libjwt takes the
 * algorithm from it and would check an HS256 "signature" keyed with our
 * public key's PEM text. NULL if acceptable, else the reason.
 */
static const char *
header_refusal(const sn_auth *auth, const char *t, size_t n)
{
	unsigned char buf[1024];
	const char   *dot = memchr(t, '.', n), *sig = strrchr(t, '.');
	json_t       *h, *v;
	const char   *why = NULL;
	long          len;

	if (dot == NULL
	    || (len = b64url_decode(t, (size_t) (dot - t), buf, sizeof(buf)))
	        < 0)
		return "malformed header";
	if (strlen(sig + 1) != SIG_B64_LEN)
		return "signature is not 64 bytes";
	h = json_loadb(
	    (const char *) buf, (size_t) len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(h))
		why = "malformed header";
	else if (!json_is_string(v = json_object_get(h, "alg"))
	    || strcmp(json_string_value(v), "ES256") != 0)
		why = "algorithm is not ES256";
	else if ((v = json_object_get(h, "typ")) != NULL
	    && (!json_is_string(v)
	        || strcasecmp(json_string_value(v), "JWT") != 0))
		why = "typ is not JWT";
	else if ((v = json_object_get(h, "kid")) != NULL
	    && (!json_is_string(v)
	        || strcmp(json_string_value(v), auth->kid) != 0))
		why = "another key's kid";
	else if (json_object_get(h, "crit") != NULL)
		why = "crit header";
	json_decref(h);
	return why;
}

/* The principal and times of a verified token; NULL or the reason. */
static const char *
claims_refusal(jwt_t *jwt, sn_principal *out, long long *exp_out)
{
	long         exp, nbf;
	long long    now = (long long) time(NULL);
	sn_principal p;

	errno = 0;
	exp   = jwt_get_grant_int(jwt, "exp");
	if (errno != 0)
		return "no exp";
	if ((long long) exp <= now)
		return "expired";
	if ((long long) exp > now + SN_AUTH_TTL_MAX)
		return "exp too far ahead";
	errno = 0;
	nbf   = jwt_get_grant_int(jwt, "nbf");
	if (errno == 0 && (long long) nbf > now)
		return "not yet valid";
	memset(&p, 0, sizeof(p));
	if (!copy_claim(p.user, sizeof(p.user), jwt_get_grant(jwt, "sub"))
	    || !copy_claim(p.role, sizeof(p.role), jwt_get_grant(jwt, "role"))
	    || !copy_claim(
	        p.juris, sizeof(p.juris), jwt_get_grant(jwt, "juris"))
	    || (jwt_get_grant(jwt, "idn") != NULL
	        && !copy_claim(p.id_number, sizeof(p.id_number),
	            jwt_get_grant(jwt, "idn")))
	    || (jwt_get_grant(jwt, "unit") != NULL
	        && !copy_claim(
	            p.unit, sizeof(p.unit), jwt_get_grant(jwt, "unit")))
	    || !sn_auth_principal_valid(&p))
		return "bad claims";
	*out     = p;
	*exp_out = (long long) exp;
	return NULL;
}

/* The first slot of a token's set: by the hash of its last 32 bytes, the
 * signature's (random). */
static struct verified *
verified_set(sn_auth *auth, const char *t, size_t n)
{
	size_t from = n > 32 ? n - 32 : 0;
	size_t set = (size_t) (sn_fnv1a64(t + from, n - from) % VERIFIED_SETS);
	return &auth->verified[set * VERIFIED_WAYS];
}

/* True, with *out filled, if t was verified lately and is unexpired. */
static bool
verified_lookup(sn_auth *auth, const char *t, size_t n, sn_principal *out)
{
	struct verified *set = verified_set(auth, t, n);
	long long        now = (long long) time(NULL);
	bool             hit = false;

	pthread_mutex_lock(&auth->lock);
	for (int w = 0; w < VERIFIED_WAYS && !hit; w++) {
		struct verified *v = &set[w];
		if (v->token != NULL && v->len == n
		    && memcmp(v->token, t, n) == 0 && v->exp > now) {
			*out    = v->p;
			v->used = ++auth->clock;
			hit     = true;
		}
	}
	pthread_mutex_unlock(&auth->lock);
	if (hit)
		atomic_fetch_add(&auth->hits, 1);
	return hit;
}

/* Keeps t, just verified, in its set's empty slot or in place of the one
 * used least lately; out of memory it is simply not kept. */
static void
verified_keep(sn_auth *auth, const char *t, size_t n, const sn_principal *p,
    long long exp)
{
	struct verified *set  = verified_set(auth, t, n);
	struct verified *v    = &set[0];
	char            *copy = malloc(n);
	char            *old;

	if (copy == NULL)
		return;
	memcpy(copy, t, n);
	pthread_mutex_lock(&auth->lock);
	for (int w = 0; w < VERIFIED_WAYS && v->token != NULL; w++)
		if (set[w].token == NULL || set[w].used < v->used)
			v = &set[w];
	old      = v->token;
	v->token = copy;
	v->len   = n;
	v->exp   = exp;
	v->used  = ++auth->clock;
	v->p     = *p;
	pthread_mutex_unlock(&auth->lock);
	free(old);
}

unsigned long
sn_auth_verified_hits(const sn_auth *auth)
{
	return atomic_load(&auth->hits);
}

sn_err
sn_auth_verify(sn_auth *auth, const char *authorization, sn_principal *out)
{
	const char *t, *why;
	size_t      n;
	jwt_t      *jwt = NULL;
	char        copy[SN_AUTH_TOKEN_MAX + 1];
	long long   exp = 0;

	if (auth == NULL || authorization == NULL)
		return refuse("no authorization");
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return refuse("not a bearer token");
	t = authorization + 7;
	while (*t == ' ')
		t++;
	n = strlen(t);
	while (n > 0 && t[n - 1] == ' ')
		n--;
	if (!token_shape(t, n))
		return refuse("malformed token");
	if (verified_lookup(auth, t, n, out))
		return SN_OK;
	/* Trailing spaces were stripped above, so t[n] may be a space: work
	 * on a copy ending at the token. */
	memcpy(copy, t, n);
	copy[n] = '\0';
	if ((why = header_refusal(auth, copy, n)) != NULL)
		return refuse(why);
	if (jwt_decode(&jwt, copy, (const unsigned char *) auth->pub_pem,
	        (int) strlen(auth->pub_pem))
	    != 0)
		return refuse("bad token or signature");
	/* Checked above already; libjwt must agree. */
	if (jwt_get_alg(jwt) != JWT_ALG_ES256)
		why = "algorithm is not ES256";
	else
		why = claims_refusal(jwt, out, &exp);
	jwt_free(jwt);
	if (why != NULL)
		return refuse(why);
	verified_keep(auth, copy, n, out, exp);
	return SN_OK;
}

sn_err
sn_auth_issue(
    const sn_auth *auth, const sn_principal *p, int64_t ttl_s, char **token)
{
	jwt_t *jwt = NULL;
	char  *s;
	long   now = (long) time(NULL);
	sn_err err = SN_ENOMEM;

	*token = NULL;
	if (auth == NULL || !sn_auth_principal_valid(p) || ttl_s < 1
	    || ttl_s > SN_AUTH_TTL_MAX)
		return SN_EINVAL;
	if (auth->priv_pem == NULL)
		return SN_EDENIED;
	if (jwt_new(&jwt) != 0)
		return SN_ENOMEM;
	if (jwt_set_alg(jwt, JWT_ALG_ES256,
	        (const unsigned char *) auth->priv_pem,
	        (int) strlen(auth->priv_pem))
	        != 0
	    || jwt_add_header(jwt, "kid", auth->kid) != 0
	    || jwt_add_grant(jwt, "sub", p->user) != 0
	    || jwt_add_grant(jwt, "role", p->role) != 0
	    || jwt_add_grant(jwt, "juris", p->juris) != 0
	    || (p->id_number[0] != '\0'
	        && jwt_add_grant(jwt, "idn", p->id_number) != 0)
	    || (p->unit[0] != '\0' && jwt_add_grant(jwt, "unit", p->unit) != 0)
	    || jwt_add_grant_int(jwt, "iat", now) != 0
	    || jwt_add_grant_int(jwt, "exp", now + (long) ttl_s) != 0) {
		sn_log(SN_LOG_ERROR, "libjwt could not build a token", NULL);
		goto out;
	}
	if ((s = jwt_encode_str(jwt)) == NULL) {
		sn_log(SN_LOG_ERROR, "libjwt could not sign a token", NULL);
		goto out;
	}
	*token = s;
	err    = SN_OK;
out:
	jwt_free(jwt);
	return err;
}

bool
sn_auth_within(const sn_principal *p, const char *code)
{
	size_t n;

	if (p == NULL || code == NULL || !sn_auth_juris_valid(code)
	    || memchr(p->juris, '\0', sizeof(p->juris)) == NULL
	    || !sn_auth_juris_valid(p->juris))
		return false;
	n = strlen(p->juris);
	return strlen(code) >= n && memcmp(code, p->juris, n) == 0;
}

bool
sn_auth_has_role(const sn_principal *p, const char *roles)
{
	size_t rn;

	if (p == NULL || roles == NULL
	    || memchr(p->role, '\0', sizeof(p->role)) == NULL
	    || (rn = strlen(p->role)) == 0)
		return false;
	while (*roles != '\0') {
		const char *end;
		size_t      n;

		while (*roles == ' ' || *roles == ',')
			roles++;
		end = roles;
		while (*end != '\0' && *end != ',')
			end++;
		n = (size_t) (end - roles);
		while (n > 0 && roles[n - 1] == ' ')
			n--;
		if (n == rn && memcmp(roles, p->role, n) == 0)
			return true;
		roles = end;
	}
	return false;
}
