/*
 * identity, proved against the real binary and a real PostgreSQL (and,
 * for the tokens scenario, the real investigation binary as "another
 * service"). identity signs with the tests' key pair
 * (th_token_private_pem), so every service a test starts accepts its
 * tokens. Each scenario is one ctest:
 *
 *   identity_scenarios login | lockout | tokens | refresh | admin |
 *                      units | bootstrap
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "harness.h"
#include "sn/auth.h"
#include "sn/identity/v1/identity.pb-c.h"
#include "sn/idnum.h"
#include "sn/log.h"

#ifndef IDENTITY_BIN
#define IDENTITY_BIN "identity"
#endif
#ifndef INVESTIGATION_BIN
#define INVESTIGATION_BIN "investigation"
#endif

#define ADMIN_PW "district admin secret"
#define STAFF_PW "a clerk's long secret"

static th          T;
static int         port;
static const char *schema;
static char        env_sign[1024], env_pub[1024];

/* ---- processes ------------------------------------------------------------
 */

/* identity publishes (user.changed): its bus URLs for every process. */
static void
declare_publisher(void)
{
	static bool done;
	if (!done)
		th_publisher(&T, "identity");
	done = true;
}

/* Starts identity with the tests' key pair and extra settings (NULL-ended,
 * may be NULL); waits until it is ready and, with want_admin, until the
 * bootstrap administrator exists. */
static th_proc *
start_identity(const char *const *extra, bool want_admin)
{
	char        p[32];
	const char *argv[] = { IDENTITY_BIN, NULL };
	port               = th_free_port();
	snprintf(p, sizeof(p), "SN_HTTP_PORT=%d", port);
	snprintf(env_sign, sizeof(env_sign), "SN_IDENTITY_SIGNING_KEY=%s",
	    th_token_private_pem);
	snprintf(env_pub, sizeof(env_pub), "SN_TOKEN_PUBLIC_KEY=%s",
	    th_token_public_pem);
	const char *env[16] = { p, env_sign, env_pub,
		"SN_IDENTITY_ADMIN_PASSWORD=" ADMIN_PW, NULL };
	for (int i = 0, n = 4; extra != NULL && extra[i] != NULL && n < 15;
	     i++)
		env[n++] = extra[i];
	declare_publisher();
	th_proc *proc = th_spawn(&T, "identity", IDENTITY_BIN, argv, env);
	TH_CHECK(&T, th_wait_ready(&T, port, 30000),
	    "identity did not become ready");
	schema = th_schema(&T, "identity");
	if (want_admin)
		TH_CHECK(&T,
		    th_wait_int(&T, 1, 10000,
		        "SELECT count(*) FROM %s.users WHERE username = "
		        "'admin'",
		        schema),
		    "the bootstrap administrator was not created");
	return proc;
}

/* ---- HTTP
 * -------------------------------------------------------------------- */

static json_t *
call_at(int at, const char *method, const char *path, const char *tok,
    const char *idem, const char *body, int *status)
{
	char *text = NULL;
	*status    = th_http(&T, at, method, path, tok, idem, body, &text);
	TH_CHECK(&T, *status > 0, "%s %s: no answer", method, path);
	json_t *j = text != NULL && text[0] != '\0' ? json_loads(text, 0, NULL)
	                                            : NULL;
	free(text);
	return j;
}

static json_t *
call(const char *method, const char *path, const char *tok, const char *idem,
    const char *body, int *status)
{
	return call_at(port, method, path, tok, idem, body, status);
}

static const char *
str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static const char *
err_code(json_t *j)
{
	return str(json_object_get(j, "error"), "code");
}

/* Expects status and error code. Frees j. */
static void
expect(json_t *j, int status, int want, const char *code, const char *what)
{
	const char *c = err_code(j);
	TH_CHECK(&T,
	    status == want && (code == NULL || (c && !strcmp(c, code))),
	    "%s: want %d %s, got %d %s", what, want, code ? code : "", status,
	    c ? c : "(none)");
	json_decref(j);
}

/* POST /login; returns the answer (status in *status). */
static json_t *
login(const char *user, const char *pw, int *status)
{
	char body[512];
	snprintf(body, sizeof(body),
	    "{\"username\":\"%s\",\"password\":\"%s\"}", user, pw);
	return call("POST", "/login", NULL, NULL, body, status);
}

/* A successful login's access token (malloc'd). */
static char *
access_token(const char *user, const char *pw)
{
	int     st;
	json_t *j = login(user, pw, &st);
	TH_CHECK(&T, st == 200 && str(j, "access_token") != NULL,
	    "login %s: %d %s", user, st, err_code(j) ? err_code(j) : "");
	char *tok = strdup(str(j, "access_token"));
	json_decref(j);
	return tok;
}

static int idem_n;

/* A fresh Idempotency-Key (static buffer, one at a time). */
static const char *
key(void)
{
	static char k[48];
	snprintf(k, sizeof(k), "idem-%d-%d", (int) getpid(), ++idem_n);
	return k;
}

/* A valid identity number born in 1980 + i. */
static void
idn(char out[19], int i)
{
	char first[32];
	snprintf(first, sizeof(first), "22010319%02d0101%03d", 80 + i % 20,
	    100 + i);
	memcpy(out, first, 17);
	out[17] = sn_idnum_check_char(first);
	out[18] = '\0';
}

/* Creates a staff user (n for its identity number) with STAFF_PW; returns
 * its id (malloc'd). */
static char *
create_staff(const char *admin, const char *user, const char *role,
    const char *juris, int n)
{
	char body[512], number[19];
	int  st;
	idn(number, n);
	snprintf(body, sizeof(body),
	    "{\"username\":\"%s\",\"display_name\":\"Staff %s\","
	    "\"kind\":\"staff\",\"role\":\"%s\",\"jurisdiction\":\"%s\","
	    "\"id_number\":\"%s\",\"password\":\"%s\"}",
	    user, user, role, juris, number, STAFF_PW);
	json_t *j = call("POST", "/users", admin, key(), body, &st);
	TH_CHECK(&T, st == 201 && str(j, "id") != NULL, "create %s: %d %s",
	    user, st, err_code(j) ? err_code(j) : "");
	char mask[SN_LOG_MASK_MAX];
	sn_log_mask_idnum(number, mask);
	TH_CHECK(&T, str(j, "id_number") && !strcmp(str(j, "id_number"), mask),
	    "create %s: the answer (stored for replays) does not show the "
	    "identity number masked",
	    user);
	char *id = strdup(str(j, "id"));
	json_decref(j);
	return id;
}

/* ---- the token checked with the JWKS key alone (OpenSSL) -------------------
 */

static size_t
b64url(const char *in, size_t len, unsigned char *out, size_t cap)
{
	size_t n = 0;
	if (sodium_base642bin(out, cap, in, len, NULL, &n, NULL,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING)
	    != 0)
		return 0;
	return n;
}

/* The P-256 public key of a JWK's x and y. */
static EVP_PKEY *
jwk_key(json_t *jwk)
{
	unsigned char   pt[65] = { 0x04 };
	const char     *x = str(jwk, "x"), *y = str(jwk, "y");
	EVP_PKEY       *k   = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	TH_CHECK(&T,
	    x && y && b64url(x, strlen(x), pt + 1, 32) == 32
	        && b64url(y, strlen(y), pt + 33, 32) == 32,
	    "the JWK's x and y are not 32 bytes of base64url each");
	OSSL_PARAM_BLD_push_utf8_string(
	    bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(
	    bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
	OSSL_PARAM   *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx    = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	TH_CHECK(&T,
	    ctx && EVP_PKEY_fromdata_init(ctx) == 1
	        && EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params)
	            == 1,
	    "the JWK is not a P-256 point");
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return k;
}

/* True if tok's ES256 signature (JOSE R || S) verifies under k. */
static bool
jws_verifies(EVP_PKEY *k, const char *tok)
{
	const char   *dot2 = strrchr(tok, '.');
	unsigned char rs[64];
	if (dot2 == NULL || b64url(dot2 + 1, strlen(dot2 + 1), rs, 64) != 64)
		return false;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	ECDSA_SIG_set0(
	    sig, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL));
	unsigned char *der = NULL;
	int            n   = i2d_ECDSA_SIG(sig, &der);
	EVP_MD_CTX    *md  = EVP_MD_CTX_new();
	bool           ok  = n > 0
	    && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1
	    && EVP_DigestVerify(md, der, (size_t) n,
	           (const unsigned char *) tok, (size_t) (dot2 - tok))
	        == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	return ok;
}

/* The token's claims (its middle part), parsed. */
static json_t *
claims(const char *tok)
{
	const char   *a = strchr(tok, '.'), *b = strrchr(tok, '.');
	unsigned char buf[2048];
	TH_CHECK(&T, a && b && a < b, "not a JWS");
	size_t n  = b64url(a + 1, (size_t) (b - a - 1), buf, sizeof(buf) - 1);
	buf[n]    = '\0';
	json_t *j = json_loads((const char *) buf, 0, NULL);
	TH_CHECK(&T, j != NULL, "the claims are not JSON");
	return j;
}

/* ---- scenarios
 * ------------------------------------------------------------------ */

#define CHECKS_USER "sn_identity_password_checks_total{against=\"user\"}"
#define CHECKS_DUMMY "sn_identity_password_checks_total{against=\"dummy\"}"

static void
login_scenario(void)
{
	int st;
	start_identity(NULL, true);
	char *tok = access_token("admin", ADMIN_PW);

	/* the JWKS key, with OpenSSL alone */
	json_t *jwks
	    = call("GET", "/.well-known/jwks.json", NULL, NULL, NULL, &st);
	json_t *jwk = json_array_get(json_object_get(jwks, "keys"), 0);
	TH_CHECK(&T,
	    st == 200 && json_array_size(json_object_get(jwks, "keys")) == 1
	        && !strcmp(str(jwk, "kty"), "EC")
	        && !strcmp(str(jwk, "crv"), "P-256")
	        && !strcmp(str(jwk, "alg"), "ES256")
	        && !strcmp(str(jwk, "use"), "sig"),
	    "GET /.well-known/jwks.json: %d, not one P-256 ES256 key", st);
	EVP_PKEY *k = jwk_key(jwk);
	TH_CHECK(&T, jws_verifies(k, tok),
	    "the access token does not verify with the JWKS key");
	char *forged = strdup(tok);
	char *last   = forged + strlen(forged) - 3;
	*last        = *last == 'A' ? 'B' : 'A';
	TH_CHECK(&T, !jws_verifies(k, forged),
	    "a token with a changed signature verifies");
	free(forged);
	EVP_PKEY_free(k);

	/* and with the public key every service holds */
	sn_auth     *pub = NULL;
	sn_principal p;
	char         bearer[4200];
	TH_CHECK(&T, sn_auth_open(&pub, th_token_public_pem) == SN_OK, "open");
	TH_CHECK(&T, !strcmp(str(jwk, "kid"), sn_auth_kid(pub)),
	    "the JWKS kid is not the public key's");
	snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	TH_CHECK(&T,
	    sn_auth_verify(pub, bearer, &p) == SN_OK
	        && !strcmp(p.user, "admin")
	        && !strcmp(p.role, "district_admin")
	        && !strcmp(p.juris, "220103"),
	    "the access token does not name the administrator");
	sn_auth_close(pub);
	json_t *c = claims(tok);
	TH_CHECK(&T,
	    json_integer_value(json_object_get(c, "exp"))
	            - json_integer_value(json_object_get(c, "iat"))
	        == 900,
	    "the access token does not live SN_IDENTITY_TOKEN_TTL_S (900 s)");
	json_decref(c);
	json_decref(jwks);

	/* wrong password and unknown user: the same answer */
	json_t *j = login("admin", "not the password!", &st);
	expect(j, st, 401, "invalid_credentials", "wrong password");
	j = login("nobody", "not the password!", &st);
	expect(j, st, 401, "invalid_credentials", "unknown user");
	j = login("bad name", "not the password!", &st);
	expect(j, st, 401, "invalid_credentials", "malformed user name");
	/* the same work: an unknown name is checked with argon2id against
	 * a dummy hash (without it, its answer would come in a fraction of
	 * the time and tell that the name does not exist), counted apart;
	 * 1 + 3 wrong passwords stay below the lockout's 5. The times are
	 * printed, not judged. */
	int64_t user0  = th_metric_http(&T, port, CHECKS_USER),
	        dummy0 = th_metric_http(&T, port, CHECKS_DUMMY);
	uint64_t known = 0, unknown = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t t0 = th_now_ms();
		json_decref(login("admin", "not the password!", &st));
		uint64_t t1 = th_now_ms();
		json_decref(login("nobody", "not the password!", &st));
		known += t1 - t0;
		unknown += th_now_ms() - t1;
	}
	printf("login: 3 wrong passwords %llu ms, 3 unknown users %llu ms\n",
	    (unsigned long long) known, (unsigned long long) unknown);
	int64_t user1  = th_metric_http(&T, port, CHECKS_USER),
	        dummy1 = th_metric_http(&T, port, CHECKS_DUMMY);
	TH_CHECK(&T,
	    user0 >= 0 && dummy0 >= 0 && user1 - user0 == 3
	        && dummy1 - dummy0 == 3,
	    "3 wrong passwords and 3 unknown users made %lld argon2id checks"
	    " against users' hashes and %lld against the dummy; want 3 and 3",
	    (long long) (user1 - user0), (long long) (dummy1 - dummy0));
	j = call("POST", "/login", NULL, NULL,
	    "{\"username\":\"admin\",\"password\":\"x\",\"otp\":1}", &st);
	expect(j, st, 422, "unknown_field", "an unknown member");
	j = call(
	    "POST", "/login", NULL, NULL, "{\"username\":\"admin\"}", &st);
	expect(j, st, 422, NULL, "no password");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.login_events WHERE outcome = 'ok'"
	        " AND username = 'admin'",
	        schema)
	            == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.login_events WHERE outcome ="
	               " 'bad_password'",
	               schema)
	            == 4
	        && th_int(&T,
	               "SELECT count(*) FROM %s.login_events WHERE outcome ="
	               " 'unknown_user'",
	               schema)
	            == 5,
	    "the attempts are not recorded as ok 1, bad_password 4, "
	    "unknown_user 5");
	char *metrics = NULL;
	st = th_http(&T, port, "GET", "/metrics", NULL, NULL, NULL, &metrics);
	TH_CHECK(&T,
	    st == 200 && metrics
	        && strstr(
	            metrics, "sn_identity_logins_total{outcome=\"ok\"} 1")
	        && strstr(
	            metrics, "sn_identity_logins_total{outcome=\"failed\"} 9"),
	    "the login counters are not ok 1, failed 9");
	free(metrics);
	free(tok);
}

static void
lockout_scenario(void)
{
	int st;
	start_identity(NULL, true);
	char *admin = access_token("admin", ADMIN_PW);
	char *uid   = create_staff(admin, "li.wei", "clerk", "220103001", 1);
	for (int i = 1; i <= 4; i++) {
		json_t *j = login("li.wei", "a wrong password", &st);
		expect(j, st, 401, "invalid_credentials", "failure 1-4");
	}
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT failed_logins FROM %s.users WHERE username ="
	        " 'li.wei'",
	        schema)
	        == 4,
	    "four failures are not counted");
	json_t *j = login("li.wei", "a wrong password", &st);
	expect(j, st, 423, "account_locked", "the fifth failure");
	j = login("li.wei", STAFF_PW, &st);
	expect(
	    j, st, 423, "account_locked", "the right password while locked");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.login_events WHERE outcome ="
	        " 'locked_now'",
	        schema)
	            == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.login_events WHERE outcome ="
	               " 'locked'",
	               schema)
	            == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.users WHERE username ="
	               " 'li.wei' AND locked_until > now() + interval '800 s'",
	               schema)
	            == 1,
	    "the lock (about 900 s) and its attempts are not recorded");
	char path[128];
	snprintf(path, sizeof(path), "/users/%s", uid);
	j = call("PATCH", path, admin, key(), "{\"unlock\":true}", &st);
	TH_CHECK(&T,
	    st == 200 && json_is_null(json_object_get(j, "locked_until"))
	        && json_integer_value(json_object_get(j, "failed_logins"))
	            == 0,
	    "unlock: %d", st);
	json_decref(j);
	free(access_token("li.wei", STAFF_PW));
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.user_changes WHERE field ="
	        " 'locked_until' AND changed_by = 'admin'",
	        schema)
	        == 1,
	    "the unlock is not recorded");
	free(uid);
	free(admin);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

/* Hashing is off the loop: while two child processes log in back to
 * back, the loop answers /metrics while a hash is running (the gauge
 * sn_identity_pwhash_running above 0 in an answer); with the hash on
 * the loop no answer could be given during one, and the gauge would read
 * 0 in every answer. /healthz's times are printed, not judged. */
static void
no_stall_scenario(void)
{
	int      st;
	uint64_t ms[20];
	pid_t    kids[2];
	start_identity(NULL, true);
	/* two clients logging in back to back until they are stopped */
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		TH_CHECK(&T, kids[k] >= 0, "fork");
		if (kids[k] == 0) {
			for (;;) {
				char *text = NULL;
				th_http(&T, port, "POST", "/login", NULL, NULL,
				    "{\"username\":\"admin\",\"password\":"
				    "\"" ADMIN_PW "\"}",
				    &text);
				free(text);
			}
		}
	}
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 10000,
	        "SELECT (count(*) >= 2)::int FROM %s.login_events", schema),
	    "the clients' logins do not arrive");
	int during = 0;
	for (int i = 0; i < 20; i++) {
		uint64_t t0 = th_now_ms();
		st          = th_http(
		             &T, port, "GET", "/healthz", NULL, NULL, NULL, NULL);
		ms[i] = th_now_ms() - t0;
		TH_CHECK(&T, st == 200, "/healthz: %d", st);
		if (th_metric_http(&T, port, "sn_identity_pwhash_running") > 0)
			during++;
		th_sleep_ms(50);
	}
	for (int k = 0; k < 2; k++) {
		kill(kids[k], SIGKILL);
		waitpid(kids[k], NULL, 0);
	}
	int64_t n = th_int(&T,
	    "SELECT count(*) FROM %s.login_events WHERE outcome = 'ok'",
	    schema);
	qsort(ms, 20, sizeof(ms[0]), cmp_u64);
	printf("no_stall: /healthz during %lld logins: median %llu ms, max "
	       "%llu ms\n",
	    (long long) n, (unsigned long long) ms[10],
	    (unsigned long long) ms[19]);
	printf("no_stall: %d of 20 /metrics answers were given while a hash"
	       " ran\n",
	    during);
	TH_CHECK(&T, during > 0,
	    "no /metrics answer was given while a hash ran (the hashing holds"
	    " the loop)");
	TH_CHECK(&T, n >= 2, "only %lld logins went through", (long long) n);
}

/* The settings: 2 failures lock for 8 s; then the right password works. */
static void
lock_expiry_scenario(void)
{
	static const char *const short_lock[]
	    = { "SN_IDENTITY_LOCKOUT_FAILURES=2", "SN_IDENTITY_LOCKOUT_S=8",
		      NULL };
	int st;
	start_identity(short_lock, true);
	json_t *pair = login("admin", ADMIN_PW, &st);
	TH_CHECK(&T, st == 200, "login: %d", st);
	json_t *j = login("admin", "a wrong password", &st);
	expect(j, st, 401, "invalid_credentials", "the first failure");
	j = login("admin", "a wrong password", &st);
	expect(j, st, 423, "account_locked", "the second failure (of 2)");
	j = login("admin", ADMIN_PW, &st);
	expect(j, st, 423, "account_locked", "the right password, locked");
	/* a refresh of a locked user is refused too, without revoking */
	char body[256];
	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}",
	    str(pair, "refresh_token"));
	j = call("POST", "/token/refresh", NULL, NULL, body, &st);
	expect(j, st, 423, "account_locked", "a locked user's refresh");
	/* a login hashes for up to a second or two on a busy machine:
	 * wait for the lock's end by the database's clock */
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 20000,
	        "SELECT (locked_until <= now())::int FROM %s.users"
	        " WHERE username = 'admin'",
	        schema),
	    "the 8 s lock did not run out");
	free(access_token("admin", ADMIN_PW));
	j = call("POST", "/token/refresh", NULL, NULL, body, &st);
	TH_CHECK(&T, st == 200, "the refresh after the lock ran out: %d", st);
	json_decref(j);
	json_decref(pair);
}

/* Another service (investigation) takes identity's tokens while they
 * live, and refuses them expired or forged. */
static void
tokens_scenario(void)
{
	static const char *const ttl[] = { "SN_IDENTITY_TOKEN_TTL_S=5", NULL };
	int                      st;
	char                     p[32];
	start_identity(ttl, true);
	char *admin = access_token("admin", ADMIN_PW);
	free(create_staff(admin, "zhang.inv", "investigator", "220103001", 2));
	th_publisher(&T, "intake");
	th_publisher(&T, "approval");
	th_publisher(&T, "investigation");
	int         inv    = th_free_port();
	const char *argv[] = { INVESTIGATION_BIN, NULL };
	snprintf(p, sizeof(p), "SN_HTTP_PORT=%d", inv);
	const char *env[] = { p, env_pub, NULL };
	th_spawn(&T, "investigation", INVESTIGATION_BIN, argv, env);
	TH_CHECK(&T, th_wait_ready(&T, inv, 30000), "investigation not ready");

	char   *tok = access_token("zhang.inv", STAFF_PW);
	json_t *j   = call_at(
	      inv, "GET", "/tasks?village=220103001002", tok, NULL, NULL, &st);
	TH_CHECK(&T, st == 200, "investigation refused a live token: %d", st);
	json_decref(j);
	/* a flipped byte of the signature */
	char *forged = strdup(tok);
	char *c      = forged + strlen(forged) - 5;
	*c           = *c == 'Q' ? 'R' : 'Q';
	j = call_at(inv, "GET", "/tasks?village=220103001002", forged, NULL,
	    NULL, &st);
	expect(j, st, 401, "unauthorized", "a forged token");
	free(forged);
	/* past its exp (5 s after issue), by the clock both processes read */
	json_t *cl  = claims(tok);
	time_t  exp = (time_t) json_integer_value(json_object_get(cl, "exp"));
	json_decref(cl);
	TH_CHECK(&T, exp > time(NULL),
	    "the token was past its exp before the expiry check");
	while (time(NULL) <= exp)
		th_sleep_ms(100);
	j = call_at(
	    inv, "GET", "/tasks?village=220103001002", tok, NULL, NULL, &st);
	expect(j, st, 401, "unauthorized", "an expired token");
	free(tok);
	free(admin);
}

static json_t *
refresh(const char *rt, int *st)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", rt);
	return call("POST", "/token/refresh", NULL, NULL, body, st);
}

static void
refresh_scenario(void)
{
	static const char *const purge[]
	    = { "SN_IDENTITY_PURGE_MS=300", NULL };
	int st;
	start_identity(purge, true);
	json_t *first = login("admin", ADMIN_PW, &st);
	TH_CHECK(&T,
	    st == 200 && !strcmp(str(first, "token_type"), "Bearer")
	        && json_integer_value(json_object_get(first, "expires_in"))
	            == 900
	        && strlen(str(first, "refresh_token")) == 43,
	    "login: %d", st);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.refresh_tokens WHERE token_hash = "
	        "'%s'",
	        schema, str(first, "refresh_token"))
	        == 0,
	    "a refresh token is stored in clear");
	json_t *second = refresh(str(first, "refresh_token"), &st);
	TH_CHECK(&T,
	    st == 200 && str(second, "access_token")
	        && strcmp(
	            str(second, "refresh_token"), str(first, "refresh_token")),
	    "refresh: %d", st);
	/* the first one again: reuse, the whole family goes */
	json_t *j = refresh(str(first, "refresh_token"), &st);
	expect(j, st, 401, "refresh_token_reused", "a used refresh token");
	j = refresh(str(second, "refresh_token"), &st);
	expect(j, st, 401, "refresh_token_reused",
	    "the descendant of a reused token");
	j = refresh("not-a-token-at-all", &st);
	expect(j, st, 401, "invalid_refresh_token", "an unknown token");
	/* logout revokes */
	json_t *third = login("admin", ADMIN_PW, &st);
	char    body[256];
	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}",
	    str(third, "refresh_token"));
	j = call("POST", "/logout", NULL, NULL, body, &st);
	TH_CHECK(&T, st == 204, "logout: %d", st);
	json_decref(j);
	j = refresh(str(third, "refresh_token"), &st);
	expect(j, st, 401, "refresh_token_reused", "a token after logout");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.refresh_tokens WHERE revoked_at IS "
	        "NULL",
	        schema)
	        == 0,
	    "tokens survive reuse and logout");
	/* the purge (every 300 ms here): a refresh token two days past its
	 * expiry and a login attempt older than SN_IDENTITY_AUDIT_DAYS (365)
	 * go; the rest stays (counted before the old rows are written: the
	 * purge may come between their insert and any later read) */
	int64_t kept
	    = th_int(&T, "SELECT count(*) FROM %s.login_events", schema);
	th_int(&T,
	    "WITH a AS (INSERT INTO %s.refresh_tokens (token_hash, family,"
	    " user_id, issued_at, expires_at) SELECT 'old', gen_random_uuid(),"
	    " id, now() - interval '3 days', now() - interval '2 days'"
	    " FROM %s.users LIMIT 1 RETURNING 1),"
	    " b AS (INSERT INTO %s.login_events (at, outcome)"
	    " VALUES (now() - interval '400 days', 'ok') RETURNING 1)"
	    " SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)",
	    schema, schema, schema);
	TH_CHECK(&T,
	    th_wait_int(&T, 0, 20000,
	        "SELECT count(*) FROM %s.refresh_tokens"
	        " WHERE token_hash = 'old'",
	        schema)
	        && th_wait_int(&T, 0, 5000,
	            "SELECT count(*) FROM %s.login_events WHERE at < now() -"
	            " interval '365 days'",
	            schema),
	    "the expired refresh token or the old login event was not purged");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.login_events", schema) == kept,
	    "the purge took more than the old login event");
	json_decref(first);
	json_decref(second);
	json_decref(third);
}

/* The user.changed events in identity's outbox, oldest first. */
static Sn__Identity__V1__UserChanged *
outbox_event(int row)
{
	size_t   len = 0;
	uint8_t *b   = th_bytes_at(&T, row, &len,
	      "SELECT data FROM %s.outbox WHERE topic = 'user.changed'"
	        " ORDER BY id",
	      schema);
	TH_CHECK(&T, b != NULL, "no user.changed number %d", row);
	Sn__Identity__V1__UserChanged *m
	    = sn__identity__v1__user_changed__unpack(NULL, len, b);
	free(b);
	TH_CHECK(&T, m != NULL, "user.changed %d does not decode", row);
	return m;
}

static void
admin_changes(const char *admin, const char *uid)
{
	int  st;
	char path[128];
	snprintf(path, sizeof(path), "/users/%s", uid);
	json_t *j = call("PATCH", path, admin, key(),
	    "{\"role\":\"investigator\",\"jurisdiction\":\"220103002\","
	    "\"display_name\":\"Wang Fang\"}",
	    &st);
	TH_CHECK(&T, st == 200 && !strcmp(str(j, "role"), "investigator"),
	    "patch: %d", st);
	json_decref(j);
	Sn__Identity__V1__UserChanged *m = outbox_event(3);
	TH_CHECK(&T,
	    !m->created && m->n_changes == 3
	        && !strcmp(m->changes[0]->field, "display_name")
	        && !strcmp(m->changes[1]->old_value, "clerk")
	        && !strcmp(m->changes[1]->new_value, "investigator")
	        && !strcmp(m->jurisdiction, "220103002")
	        && !strcmp(m->changed_by, "admin"),
	    "user.changed of the patch");
	sn__identity__v1__user_changed__free_unpacked(m, NULL);
	snprintf(path, sizeof(path), "/users/%s/changes", uid);
	j = call("GET", path, admin, NULL, NULL, &st);
	/* 5 at creation, 3 now */
	TH_CHECK(&T,
	    st == 200 && json_array_size(json_object_get(j, "items")) == 8,
	    "GET changes: %d, %zu items", st,
	    json_array_size(json_object_get(j, "items")));
	json_decref(j);
	/* a password reset is recorded without values */
	snprintf(path, sizeof(path), "/users/%s", uid);
	j = call("PATCH", path, admin, key(),
	    "{\"password\":\"a brand new secret\"}", &st);
	json_decref(j);
	TH_CHECK(&T,
	    st == 200
	        && th_int(&T,
	               "SELECT count(*) FROM %s.user_changes WHERE field ="
	               " 'password' AND old_value = '' AND new_value = ''",
	               schema)
	            == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.user_changes WHERE old_value"
	               " LIKE '%%argon%%' OR new_value LIKE '%%argon%%'"
	               " OR new_value LIKE '%%secret%%'",
	               schema)
	            == 0,
	    "a password reset is not recorded, or recorded with a value");
	free(access_token("wang.fang", "a brand new secret"));
}

static void
admin_scenario(void)
{
	int st;
	start_identity(NULL, true);
	char *admin = access_token("admin", ADMIN_PW);
	char *uid = create_staff(admin, "wang.fang", "clerk", "220103001", 3);
	Sn__Identity__V1__UserChanged *m = outbox_event(1);
	TH_CHECK(&T,
	    m->created && !strcmp(m->username, "wang.fang")
	        && !strcmp(m->user_id, uid) && m->n_changes == 5,
	    "user.changed of the creation");
	sn__identity__v1__user_changed__free_unpacked(m, NULL);
	m = outbox_event(0);
	TH_CHECK(&T,
	    m->created && !strcmp(m->username, "admin")
	        && !strcmp(m->changed_by, "system"),
	    "the bootstrap administrator is not published");
	sn__identity__v1__user_changed__free_unpacked(m, NULL);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.users WHERE username = 'wang.fang'"
	        " AND id_number_sealed LIKE 'sn1.%%'"
	        " AND length(id_number_index) = 64",
	        schema)
	        == 1,
	    "the identity number is not sealed with its index");
	char three[19];
	idn(three, 3);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.http_idempotency WHERE body LIKE"
	        " '%%%s%%'",
	        schema, three)
	            == 0
	        && th_int(
	               &T, "SELECT count(*) FROM %s.http_idempotency", schema)
	            == 1,
	    "the stored answer of POST /users holds the identity number in "
	    "clear");

	/* a repeat with the same key: the same answer, nothing more */
	char body[512], number[19];
	idn(number, 3);
	snprintf(body, sizeof(body),
	    "{\"username\":\"partner1\",\"display_name\":\"A partner\","
	    "\"kind\":\"service\",\"role\":\"partner\",\"jurisdiction\":"
	    "\"220103\",\"unit\":\"first-street-social-work-station\","
	    "\"password\":\"service secret 1\"}");
	json_t *j = call("POST", "/users", admin, "svc-1", body, &st);
	TH_CHECK(&T, st == 201, "service account: %d", st);
	json_decref(j);
	j = call("POST", "/users", admin, "svc-1", body, &st);
	TH_CHECK(&T, st == 201, "service account repeated: %d", st);
	json_decref(j);
	j = call("POST", "/users", admin, key(), body, &st);
	expect(j, st, 409, "user_exists", "the same user name again");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic = 'user.changed'",
	        schema)
	        == 3,
	    "the repeat published again");
	char   *svc = access_token("partner1", "service secret 1");
	json_t *c   = claims(svc);
	TH_CHECK(&T,
	    !strcmp(str(c, "role"), "partner")
	        && json_object_get(c, "idn") == NULL && str(c, "unit")
	        && !strcmp(str(c, "unit"), "first-street-social-work-station"),
	    "the service account's token");
	json_decref(c);

	/* non-administrators cannot */
	j = call("POST", "/users", svc, key(), body, &st);
	expect(j, st, 403, "forbidden", "a partner creating a user");
	char *clerk = access_token("wang.fang", STAFF_PW);
	c           = claims(clerk);
	TH_CHECK(&T, str(c, "idn") && !strcmp(str(c, "idn"), number),
	    "a staff token does not carry the member's identity number");
	json_decref(c);
	j = call("GET", "/users", clerk, NULL, NULL, &st);
	expect(j, st, 403, "forbidden", "a clerk listing users");
	free(clerk);
	free(svc);

	/* the list, paged, and by name */
	j = call("GET", "/users?limit=2", admin, NULL, NULL, &st);
	TH_CHECK(&T,
	    st == 200 && json_array_size(json_object_get(j, "items")) == 2
	        && json_is_string(json_object_get(j, "next")),
	    "GET /users?limit=2: %d", st);
	json_decref(j);
	j = call("GET", "/users?username=wang.fang", admin, NULL, NULL, &st);
	json_t *only = json_array_get(json_object_get(j, "items"), 0);
	TH_CHECK(&T,
	    st == 200 && json_array_size(json_object_get(j, "items")) == 1
	        && str(only, "id_number")
	        && !strcmp(str(only, "id_number"), number),
	    "GET /users?username=wang.fang: %d", st);
	json_decref(j);

	admin_changes(admin, uid);

	/* a township's administrator reaches only its township */
	char *tuid
	    = create_staff(admin, "t.admin", "district_admin", "220103002", 5);
	char *tadm = access_token("t.admin", STAFF_PW);
	char  tpath[128];
	snprintf(tpath, sizeof(tpath), "/users/%s", uid); /* in 220103002 */
	j = call("GET", tpath, tadm, NULL, NULL, &st);
	TH_CHECK(&T, st == 200, "a township admin, own township: %d", st);
	json_decref(j);
	j = call(
	    "PATCH", tpath, tadm, key(), "{\"jurisdiction\":\"220103\"}", &st);
	expect(j, st, 403, "outside_jurisdiction", "moving a user above");
	j = call("GET", "/users?username=partner1", tadm, NULL, NULL, &st);
	TH_CHECK(&T,
	    st == 200 && json_array_size(json_object_get(j, "items")) == 0,
	    "a township admin lists a district-level user");
	json_decref(j);
	j = call("GET", "/users?username=admin", admin, NULL, NULL, &st);
	snprintf(tpath, sizeof(tpath), "/users/%s/changes",
	    str(json_array_get(json_object_get(j, "items"), 0), "id"));
	json_decref(j);
	j = call("GET", tpath, tadm, NULL, NULL, &st);
	expect(j, st, 403, "outside_jurisdiction",
	    "the district admin's changes");
	free(tadm);
	free(tuid);

	/* an administrator cannot change their own role nor disable
	 * themselves */
	j = call("GET", "/users?username=admin", admin, NULL, NULL, &st);
	char path[128];
	snprintf(path, sizeof(path), "/users/%s",
	    str(json_array_get(json_object_get(j, "items"), 0), "id"));
	json_decref(j);
	j = call("PATCH", path, admin, key(), "{\"role\":\"clerk\"}", &st);
	expect(j, st, 403, "cannot_change_own_role", "own role");
	j = call("PATCH", path, admin, key(), "{\"disabled\":true}", &st);
	expect(j, st, 403, "cannot_disable_self", "disable self");

	/* a disabled user cannot log in, nor refresh */
	json_t *pair = login("wang.fang", "a brand new secret", &st);
	TH_CHECK(&T, st == 200, "login before disabling: %d", st);
	snprintf(path, sizeof(path), "/users/%s", uid);
	j = call("PATCH", path, admin, key(), "{\"disabled\":true}", &st);
	TH_CHECK(&T, st == 200 && json_is_true(json_object_get(j, "disabled")),
	    "disable: %d", st);
	json_decref(j);
	j = login("wang.fang", "a brand new secret", &st);
	expect(j, st, 403, "account_disabled", "a disabled user's login");
	j = refresh(str(pair, "refresh_token"), &st);
	TH_CHECK(&T, st == 401, "a disabled user's refresh: %d", st);
	json_decref(j);
	json_decref(pair);
	free(uid);
	free(admin);
}

/* ---- units (issue 13)
 * ------------------------------------------------------------ */

/* POST /users of a service account of role, with unit unless NULL. */
static json_t *
create_service(const char *admin, const char *user, const char *role,
    const char *unit, int *st)
{
	char body[512], u[96] = "";
	if (unit != NULL)
		snprintf(u, sizeof(u), "\"unit\":\"%s\",", unit);
	snprintf(body, sizeof(body),
	    "{\"username\":\"%s\",\"display_name\":\"Account %s\","
	    "\"kind\":\"service\",\"role\":\"%s\",\"jurisdiction\":"
	    "\"220103\",%s\"password\":\"%s\"}",
	    user, user, role, u, STAFF_PW);
	return call("POST", "/users", admin, key(), body, st);
}

/* The principal of an access token, as every other service reads it
 * (sn_auth_verify with the public key). */
static sn_principal
verified(const char *tok)
{
	sn_auth     *pub = NULL;
	sn_principal p;
	char         bearer[4200];
	snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	TH_CHECK(&T,
	    sn_auth_open(&pub, th_token_public_pem) == SN_OK
	        && sn_auth_verify(pub, bearer, &p) == SN_OK,
	    "the access token does not verify");
	sn_auth_close(pub);
	return p;
}

/* What a refused creation may not leave: the user, its changes, an
 * event. */
static void
nothing_of(const char *user, int64_t events, const char *what)
{
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.users WHERE username = '%s'",
	        schema, user)
	            == 0
	        && th_int(&T,
	               "SELECT count(*) FROM %s.user_changes c JOIN"
	               " %s.users u ON u.id = c.user_id"
	               " WHERE u.username = '%s'",
	               schema, schema, user)
	            == 0
	        && th_int(&T,
	               "SELECT count(*) FROM %s.outbox"
	               " WHERE topic = 'user.changed'",
	               schema)
	            == events,
	    "%s: something was written", what);
}

/* A department account without its unit is refused; with it, its tokens
 * (login and refresh) carry the unit; a change of unit is recorded and
 * published; staff may have none. */
static void
units_scenario(void)
{
	int st;
	start_identity(NULL, true);
	char   *admin = access_token("admin", ADMIN_PW);
	int64_t ev    = th_int(&T,
	       "SELECT count(*) FROM %s.outbox WHERE topic = 'user.changed'",
	       schema);
	json_t *j = create_service(admin, "yibao", "department", NULL, &st);
	TH_CHECK(&T,
	    st == 422 && !strcmp(err_code(j), "unit_required")
	        && !strcmp(str(json_object_get(j, "error"), "field"), "unit"),
	    "a department without a unit: %d %s", st,
	    err_code(j) ? err_code(j) : "");
	json_decref(j);
	nothing_of("yibao", ev, "a department without a unit");
	j = create_service(admin, "jiedao", "partner", NULL, &st);
	expect(j, st, 422, "unit_required", "a partner without a unit");
	j = create_service(
	    admin, "yibao", "department", "Medical Insurance", &st);
	expect(j, st, 422, "invalid_unit", "a malformed unit");
	nothing_of("yibao", ev, "a malformed unit");

	j = create_service(
	    admin, "yibao", "department", "medical_insurance", &st);
	TH_CHECK(&T,
	    st == 201 && str(j, "unit")
	        && !strcmp(str(j, "unit"), "medical_insurance"),
	    "a department with its unit: %d", st);
	char path[128];
	snprintf(path, sizeof(path), "/users/%s", str(j, "id"));
	char *uid = strdup(str(j, "id"));
	json_decref(j);
	j = call("GET", path, admin, NULL, NULL, &st);
	TH_CHECK(&T, st == 200 && !strcmp(str(j, "unit"), "medical_insurance"),
	    "GET /users/{id} does not show the unit");
	json_decref(j);
	Sn__Identity__V1__UserChanged *m = outbox_event((int) ev);
	TH_CHECK(&T,
	    m->created && !strcmp(m->unit, "medical_insurance")
	        && m->n_changes == 6 && !strcmp(m->changes[5]->field, "unit")
	        && !strcmp(m->changes[5]->new_value, "medical_insurance"),
	    "user.changed of the department's creation");
	sn__identity__v1__user_changed__free_unpacked(m, NULL);

	/* its tokens carry the unit, after a login and after a refresh */
	json_t      *pair = login("yibao", STAFF_PW, &st);
	sn_principal p    = verified(str(pair, "access_token"));
	TH_CHECK(&T,
	    st == 200 && !strcmp(p.role, "department")
	        && !strcmp(p.unit, "medical_insurance"),
	    "the department's login token: role %s unit '%s'", p.role, p.unit);
	json_t *again = refresh(str(pair, "refresh_token"), &st);
	TH_CHECK(&T, st == 200, "refresh: %d", st);
	p = verified(str(again, "access_token"));
	TH_CHECK(&T, !strcmp(p.unit, "medical_insurance"),
	    "the refreshed token's unit '%s'", p.unit);
	json_decref(again);
	json_decref(pair);

	/* a change of unit: recorded, published, in the next token; a unit
	 * cleared is refused, nothing changed */
	j = call("PATCH", path, admin, key(), "{\"unit\":\"health\"}", &st);
	TH_CHECK(&T, st == 200 && !strcmp(str(j, "unit"), "health"),
	    "PATCH unit: %d", st);
	json_decref(j);
	m = outbox_event((int) ev + 1);
	TH_CHECK(&T,
	    !m->created && !strcmp(m->unit, "health") && m->n_changes == 1
	        && !strcmp(m->changes[0]->field, "unit")
	        && !strcmp(m->changes[0]->old_value, "medical_insurance")
	        && !strcmp(m->changes[0]->new_value, "health"),
	    "user.changed of the change of unit");
	sn__identity__v1__user_changed__free_unpacked(m, NULL);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.user_changes WHERE user_id = '%s'"
	        " AND field = 'unit' AND old_value = 'medical_insurance'"
	        " AND new_value = 'health' AND changed_by = 'admin'",
	        schema, uid)
	        == 1,
	    "the change of unit is not recorded");
	char *tok = access_token("yibao", STAFF_PW);
	p         = verified(tok);
	TH_CHECK(&T, !strcmp(p.unit, "health"), "after the change: unit '%s'",
	    p.unit);
	free(tok);
	int64_t changes
	    = th_int(&T, "SELECT count(*) FROM %s.user_changes", schema);
	j = call("PATCH", path, admin, key(), "{\"unit\":null}", &st);
	expect(j, st, 422, "unit_required", "a department's unit cleared");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.user_changes", schema)
	            == changes
	        && th_int(&T,
	               "SELECT count(*) FROM %s.users WHERE id = '%s'"
	               " AND unit = 'health'",
	               schema, uid)
	            == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.outbox"
	               " WHERE topic = 'user.changed'",
	               schema)
	            == ev + 2,
	    "the refused PATCH changed something");

	/* staff may have none: no claim "unit" in their tokens */
	free(create_staff(admin, "zhao.clerk", "clerk", "220103001", 7));
	j = call("GET", "/users?username=zhao.clerk", admin, NULL, NULL, &st);
	TH_CHECK(&T,
	    st == 200
	        && json_is_null(json_object_get(
	            json_array_get(json_object_get(j, "items"), 0), "unit")),
	    "a staff member without a unit does not show unit null");
	json_decref(j);
	tok       = access_token("zhao.clerk", STAFF_PW);
	p         = verified(tok);
	json_t *c = claims(tok);
	TH_CHECK(&T,
	    !strcmp(p.role, "clerk") && p.unit[0] == '\0'
	        && json_object_get(c, "unit") == NULL,
	    "a staff token without a unit has a unit claim");
	json_decref(c);
	free(tok);

	/* an account of the role made before units still logs in (no
	 * claim), and is given its unit */
	th_int(&T,
	    "WITH u AS (UPDATE %s.users SET unit = NULL WHERE id = '%s'"
	    " RETURNING 1) SELECT count(*) FROM u",
	    schema, uid);
	tok = access_token("yibao", STAFF_PW);
	TH_CHECK(&T, verified(tok).unit[0] == '\0',
	    "an account without a unit: its token has one");
	free(tok);
	j = call(
	    "PATCH", path, admin, key(), "{\"role\":\"department\"}", &st);
	expect(j, st, 422, "unit_required", "the role confirmed, no unit");
	j = call("PATCH", path, admin, key(),
	    "{\"unit\":\"medical_insurance\"}", &st);
	TH_CHECK(&T, st == 200 && !strcmp(str(j, "unit"), "medical_insurance"),
	    "an old account given its unit: %d", st);
	json_decref(j);
	free(uid);
	free(admin);
}

static void
bootstrap_scenario(void)
{
	const char *argv[] = { IDENTITY_BIN, NULL };
	char        p[32];
	/* no user and no password: exit 2 */
	snprintf(env_sign, sizeof(env_sign), "SN_IDENTITY_SIGNING_KEY=%s",
	    th_token_private_pem);
	snprintf(env_pub, sizeof(env_pub), "SN_TOKEN_PUBLIC_KEY=%s",
	    th_token_public_pem);
	snprintf(p, sizeof(p), "SN_HTTP_PORT=%d", th_free_port());
	const char *bare[] = { p, env_sign, env_pub, NULL };
	declare_publisher();
	th_proc *proc = th_spawn(&T, "identity", IDENTITY_BIN, argv, bare);
	int      st   = th_wait_exit(&T, proc, 20000);
	TH_CHECK(&T, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 2,
	    "no user and no SN_IDENTITY_ADMIN_PASSWORD: not exit 2");
	/* a signing key that is not the public key's half: exit 2 */
	const char *other[] = { p,
		"SN_IDENTITY_SIGNING_KEY="
		"-----BEGIN PRIVATE KEY-----\n"
		"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtDoOwNE4vF7ZR"
		"KHe\n"
		"IdU7Jm1kh9n2rvcqPFY3AcEG7MOhRANCAAQGFnl6+0FUGX/VtfJF1CWpXg5k/"
		"0i8\n"
		"57PYQRnA+FxIsAk6JNPOeA8tn5MrtJOlP0Zb12NqZxTVbwVhh46Ow9g7\n"
		"-----END PRIVATE KEY-----\n",
		env_pub, "SN_IDENTITY_ADMIN_PASSWORD=" ADMIN_PW, NULL };
	proc = th_spawn(&T, "identity", IDENTITY_BIN, argv, other);
	st   = th_wait_exit(&T, proc, 20000);
	TH_CHECK(&T, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 2,
	    "a signing key that does not match SN_TOKEN_PUBLIC_KEY: not exit "
	    "2");
	/* the first start creates the administrator, once */
	static const char *const juris[] = { "SN_IDENTITY_ADMIN_USER=chief",
		"SN_IDENTITY_ADMIN_JURIS=220103001", NULL };
	proc                             = start_identity(juris, false);
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 10000,
	        "SELECT count(*) FROM %s.users WHERE username = 'chief'"
	        " AND role = 'district_admin' AND jurisdiction = '220103001'",
	        schema),
	    "the administrator is not created as configured");
	th_stop(&T, proc);
	/* a second start needs no password and adds nobody */
	snprintf(p, sizeof(p), "SN_HTTP_PORT=%d", port = th_free_port());
	const char *again[] = { p, env_sign, env_pub, NULL };
	th_spawn(&T, "identity", IDENTITY_BIN, argv, again);
	TH_CHECK(&T, th_wait_ready(&T, port, 30000), "second start not ready");
	free(access_token("chief", ADMIN_PW));
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.users", schema) == 1,
	    "a second start added a user");
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "login", login_scenario },
		{ "lockout", lockout_scenario },
		{ "no_stall", no_stall_scenario },
		{ "lock_expiry", lock_expiry_scenario },
		{ "tokens", tokens_scenario },
		{ "refresh", refresh_scenario },
		{ "admin", admin_scenario },
		{ "units", units_scenario },
		{ "bootstrap", bootstrap_scenario },
	};
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), NULL);
}
