/*
 * The console with the real binary, the real identity service behind it
 * and a real PostgreSQL (tests/support/harness.h). The test is the
 * browser: libcurl, which shows the answer's headers.
 *
 *   console_scenarios files | forward
 *
 * files: GET / is index.html with the security headers (CSP without
 *   inline scripts, nosniff, frame-ancestors 'none', Referrer-Policy), an
 *   ETag and Cache-Control: no-cache, and the same ETag again is 304; a
 *   script asked with Accept-Encoding: gzip comes compressed on the fly
 *   and inflates back to the file; a stylesheet with a NAME.gz beside it
 *   comes as that file's bytes; without gzip the plain bytes; the
 *   security headers are on a 404 too; ../, %2e%2e, an encoded slash, a
 *   hidden file and a link out of the folder are each 404 and never the
 *   secret's bytes.
 * forward: POST /api/identity/login with a JSON body logs the
 *   administrator in through the console (the token is identity's);
 *   GET /api/identity/users with that token lists the administrator,
 *   without it identity's 401 comes back; POST /api/identity/users with
 *   the token and an Idempotency-Key creates a clerk (201), the same
 *   again is identity's replay (its Idempotent-Replay header passed
 *   back, as WWW-Authenticate is on the 401); the clerk then logs in through
 * the console; /api/nosuch/x is 404 unknown_service; a dot segment is 404; a
 * query string reaches the service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <zlib.h>

#include "harness.h"

#ifndef SN_CONSOLE_BIN
#define SN_CONSOLE_BIN "console"
#endif
#ifndef SN_IDENTITY_BIN
#define SN_IDENTITY_BIN "identity"
#endif

#define ADMIN_PW "district admin secret"
#define CLERK_PW "a clerk's long secret"
#define SECRET "the secret outside the root"

static th   T;
static int  port, id_port;
static char root[512];
static char script[4096];

/* ---- one request through libcurl --------------------------------------- */

typedef struct resp {
	long   status;
	char  *body;
	size_t len;
	char   head[8192];
	size_t hlen;
} resp;

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	resp *r = arg;
	char *b = realloc(r->body, r->len + sz * n + 1);
	if (b == NULL)
		return 0;
	memcpy(b + r->len, p, sz * n);
	r->body = b;
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

static size_t
on_head(char *p, size_t sz, size_t n, void *arg)
{
	resp *r = arg;
	if (r->hlen + sz * n + 1 < sizeof(r->head)) {
		memcpy(r->head + r->hlen, p, sz * n);
		r->hlen += sz * n;
		r->head[r->hlen] = '\0';
	}
	return sz * n;
}

/* method on path (sent as it is: no dot removal), with header lines
 * (NULL-ended, may be NULL) and a JSON body (may be NULL). */
static resp
req(const char *method, const char *path, const char *const *hdrs,
    const char *body)
{
	resp               r = { 0 };
	CURL              *c = curl_easy_init();
	struct curl_slist *l = NULL;
	char               url[1024];

	TH_CHECK(&T, c != NULL, "curl_easy_init");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	for (size_t i = 0; hdrs != NULL && hdrs[i] != NULL; i++)
		l = curl_slist_append(l, hdrs[i]);
	if (body != NULL) {
		l = curl_slist_append(l, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
	}
	l = curl_slist_append(l, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, l);
	CURLcode rc = curl_easy_perform(c);
	TH_CHECK(&T, rc == CURLE_OK, "%s %s: %s", method, path,
	    curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(l);
	curl_easy_cleanup(c);
	if (r.body == NULL)
		r.body = strdup("");
	return r;
}

/* The value of header name in r (copied into out), or NULL. */
static const char *
header(const resp *r, const char *name, char *out, size_t cap)
{
	size_t      n = strlen(name);
	const char *p = r->head;

	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e;
			while (*v == ' ')
				v++;
			e        = strpbrk(v, "\r\n");
			size_t l = e != NULL ? (size_t) (e - v) : strlen(v);
			if (l >= cap)
				l = cap - 1;
			memcpy(out, v, l);
			out[l] = '\0';
			return out;
		}
	}
	return NULL;
}

static void
security_headers(const resp *r, const char *what)
{
	char v[1024];
	TH_CHECK(&T,
	    header(r, "Content-Security-Policy", v, sizeof(v)) != NULL
	        && strstr(v, "default-src 'self'") != NULL
	        && strstr(v, "frame-ancestors 'none'") != NULL
	        && strstr(v, "unsafe-inline") == NULL,
	    "%s: CSP %s", what, v);
	TH_CHECK(&T,
	    header(r, "X-Content-Type-Options", v, sizeof(v)) != NULL
	        && strcmp(v, "nosniff") == 0,
	    "%s: X-Content-Type-Options", what);
	TH_CHECK(&T, header(r, "Referrer-Policy", v, sizeof(v)) != NULL,
	    "%s: Referrer-Policy", what);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	TH_CHECK(
	    &T, f != NULL && fwrite(data, 1, len, f) == len, "write %s", path);
	fclose(f);
}

static size_t
gunzip(const char *data, size_t len, char *out, size_t cap)
{
	z_stream z = { 0 };
	TH_CHECK(&T, inflateInit2(&z, 31) == Z_OK, "inflateInit2");
	z.next_in   = (Bytef *) (uintptr_t) data;
	z.avail_in  = (uInt) len;
	z.next_out  = (Bytef *) out;
	z.avail_out = (uInt) cap;
	TH_CHECK(&T, inflate(&z, Z_FINISH) == Z_STREAM_END,
	    "the answer is not gzip");
	size_t n = z.total_out;
	inflateEnd(&z);
	return n;
}

/* ---- processes -----------------------------------------------------------
 */

static void
make_root(void)
{
	char p[700], q[700];

	snprintf(root, sizeof(root), "%s/web", T.run_dir);
	TH_CHECK(&T, mkdir(root, 0700) == 0, "mkdir %s", root);
	snprintf(p, sizeof(p), "%s/js", root);
	TH_CHECK(&T, mkdir(p, 0700) == 0, "mkdir %s", p);
	const char *index = "<!doctype html><html lang=\"zh-CN\"><head>"
	                    "<script type=\"module\" src=\"js/app.mjs\">"
	                    "</script></head><body></body></html>\n";
	snprintf(p, sizeof(p), "%s/index.html", root);
	write_file(p, index, strlen(index));
	for (size_t n = 0; n + 40 < sizeof(script);)
		n += (size_t) snprintf(script + n, sizeof(script) - n,
		    "export const v%zu = %zu;\n", n, n * 7);
	snprintf(p, sizeof(p), "%s/js/app.mjs", root);
	write_file(p, script, strlen(script));
	const char *css = "body { margin: 0; }\n";
	snprintf(p, sizeof(p), "%s/style.css", root);
	write_file(p, css, strlen(css));
	const char *gzcss = "precompressed bytes, served as they are";
	snprintf(p, sizeof(p), "%s/style.css.gz", root);
	write_file(p, gzcss, strlen(gzcss));
	snprintf(p, sizeof(p), "%s/secret.txt", T.run_dir);
	write_file(p, SECRET, strlen(SECRET));
	snprintf(p, sizeof(p), "%s/.hidden", root);
	write_file(p, SECRET, strlen(SECRET));
	snprintf(p, sizeof(p), "%s/secret.txt", T.run_dir);
	snprintf(q, sizeof(q), "%s/link.txt", root);
	TH_CHECK(&T, symlink(p, q) == 0, "symlink");
}

static void
start(bool with_identity)
{
	static char env_port[32], env_root[600], env_id[96], env_sign[1024],
	    env_pub[1024], env_idport[32];

	make_root();
	if (with_identity) {
		th_publisher(&T, "identity");
		id_port = th_free_port();
		snprintf(env_idport, sizeof(env_idport), "SN_HTTP_PORT=%d",
		    id_port);
		snprintf(env_sign, sizeof(env_sign),
		    "SN_IDENTITY_SIGNING_KEY=%s", th_token_private_pem);
		snprintf(env_pub, sizeof(env_pub), "SN_TOKEN_PUBLIC_KEY=%s",
		    th_token_public_pem);
		const char *ienv[]  = { env_idport, env_sign, env_pub,
			 "SN_IDENTITY_ADMIN_PASSWORD=" ADMIN_PW, NULL };
		const char *iargv[] = { SN_IDENTITY_BIN, NULL };
		th_spawn(&T, "identity", SN_IDENTITY_BIN, iargv, ienv);
		TH_CHECK(&T, th_wait_ready(&T, id_port, 30000),
		    "identity did not get ready");
	}
	port = th_free_port();
	snprintf(env_port, sizeof(env_port), "SN_HTTP_PORT=%d", port);
	snprintf(env_root, sizeof(env_root), "SN_CONSOLE_ROOT=%s", root);
	snprintf(env_id, sizeof(env_id),
	    "SN_IDENTITY_HTTP_URL=http://127.0.0.1:%d/",
	    with_identity ? id_port : 1);
	const char *env[]  = { env_port, env_root, env_id,
		 "SN_CONSOLE_SERVICES=identity,intake", NULL };
	const char *argv[] = { SN_CONSOLE_BIN, NULL };
	th_spawn(&T, "console", SN_CONSOLE_BIN, argv, env);
	TH_CHECK(&T, th_wait_ready(&T, port, 30000),
	    "the console did not get ready");
}

/* ---- files ----------------------------------------------------------------
 */

static void
files(void)
{
	char v[1024], etag[128], inm[200], buf[8192];

	start(false);

	resp r = req("GET", "/", NULL, NULL);
	TH_CHECK(&T, r.status == 200 && strstr(r.body, "<!doctype html>"),
	    "GET /: %ld", r.status);
	security_headers(&r, "GET /");
	TH_CHECK(&T,
	    header(&r, "Content-Type", v, sizeof(v))
	        && strcmp(v, "text/html; charset=utf-8") == 0,
	    "GET /: Content-Type %s", v);
	TH_CHECK(&T,
	    header(&r, "Cache-Control", v, sizeof(v))
	        && strcmp(v, "no-cache") == 0,
	    "GET /: Cache-Control");
	TH_CHECK(&T, header(&r, "ETag", etag, sizeof(etag)) != NULL,
	    "GET /: no ETag");
	free(r.body);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	const char *h1[] = { inm, NULL };
	r                = req("GET", "/index.html", h1, NULL);
	TH_CHECK(&T, r.status == 304 && r.len == 0,
	    "the same ETag again: %ld (%zu bytes)", r.status, r.len);
	free(r.body);

	/* on the fly */
	const char *h2[] = { "Accept-Encoding: gzip", NULL };
	r                = req("GET", "/js/app.mjs", h2, NULL);
	TH_CHECK(&T, r.status == 200, "GET app.mjs gzip: %ld", r.status);
	TH_CHECK(&T,
	    header(&r, "Content-Encoding", v, sizeof(v))
	        && strcmp(v, "gzip") == 0,
	    "app.mjs: not gzip");
	TH_CHECK(&T,
	    header(&r, "Content-Type", v, sizeof(v))
	        && strncmp(v, "text/javascript", 15) == 0,
	    "app.mjs: Content-Type %s", v);
	TH_CHECK(&T, r.len < strlen(script) / 2,
	    "app.mjs: %zu compressed bytes of %zu", r.len, strlen(script));
	size_t n = gunzip(r.body, r.len, buf, sizeof(buf));
	TH_CHECK(&T, n == strlen(script) && memcmp(buf, script, n) == 0,
	    "app.mjs inflates to something else");
	security_headers(&r, "app.mjs");
	free(r.body);
	r = req("GET", "/js/app.mjs", NULL, NULL);
	TH_CHECK(&T,
	    r.status == 200 && r.len == strlen(script)
	        && header(&r, "Content-Encoding", v, sizeof(v)) == NULL,
	    "app.mjs without gzip: %ld, %zu bytes", r.status, r.len);
	free(r.body);

	/* precompressed */
	r = req("GET", "/style.css", h2, NULL);
	TH_CHECK(&T,
	    r.status == 200
	        && strcmp(r.body, "precompressed bytes, served as they are")
	            == 0
	        && header(&r, "Content-Encoding", v, sizeof(v)) != NULL,
	    "style.css: not its .gz (%ld, %s)", r.status, r.body);
	TH_CHECK(&T,
	    header(&r, "Content-Type", v, sizeof(v))
	        && strncmp(v, "text/css", 8) == 0,
	    "style.css: Content-Type %s", v);
	free(r.body);
	r = req("GET", "/style.css", NULL, NULL);
	TH_CHECK(&T,
	    r.status == 200 && strcmp(r.body, "body { margin: 0; }\n") == 0,
	    "style.css plain: %ld", r.status);
	free(r.body);

	/* refused */
	static const char *const bad[]
	    = { "/../secret.txt", "/js/../../secret.txt", "/%2e%2e/secret.txt",
		      "/js/..%2f..%2fsecret.txt", "/.hidden", "/link.txt",
		      "/nosuch.html", "/js/" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = req("GET", bad[i], NULL, NULL);
		TH_CHECK(&T,
		    r.status == 404 && strstr(r.body, SECRET) == NULL
		        && strstr(r.body, "\"not_found\"") != NULL,
		    "GET %s: %ld %s", bad[i], r.status, r.body);
		security_headers(&r, bad[i]);
		free(r.body);
	}
	r = req("GET", "/healthz", NULL, NULL);
	TH_CHECK(&T, r.status == 200, "healthz %ld", r.status);
	security_headers(&r, "/healthz");
	free(r.body);
	/* an unreachable service: 502, not a hang */
	r = req("GET", "/api/identity/users", NULL, NULL);
	TH_CHECK(&T, r.status == 502 && strstr(r.body, "bad_gateway"),
	    "unreachable service: %ld %s", r.status, r.body);
	free(r.body);
}

/* ---- forward --------------------------------------------------------------
 */

static char *
login(const char *user, const char *pw)
{
	char body[256];
	snprintf(body, sizeof(body),
	    "{\"username\":\"%s\",\"password\":\"%s\"}", user, pw);
	/* Ready, identity may still be creating its administrator (argon2id
	 * takes a while on a loaded machine): its 503 says to retry. */
	resp r = req("POST", "/api/identity/login", NULL, body);
	for (int i = 0; i < 200 && r.status == 503; i++) {
		free(r.body);
		th_sleep_ms(100);
		r = req("POST", "/api/identity/login", NULL, body);
	}
	TH_CHECK(&T, r.status == 200, "login %s through the console: %ld %s",
	    user, r.status, r.body);
	char v[256];
	TH_CHECK(&T,
	    header(&r, "Content-Type", v, sizeof(v))
	        && strncmp(v, "application/json", 16) == 0,
	    "login: Content-Type %s", v);
	security_headers(&r, "login");
	json_t *j = json_loads(r.body, 0, NULL);
	TH_CHECK(&T, j != NULL, "login: not JSON");
	const char *tok
	    = json_string_value(json_object_get(j, "access_token"));
	TH_CHECK(&T, tok != NULL, "login: no access_token");
	char *out = malloc(strlen(tok) + 32);
	sprintf(out, "Authorization: Bearer %s", tok);
	json_decref(j);
	free(r.body);
	return out;
}

static void
forward(void)
{
	start(true);
	char *admin = login("admin", ADMIN_PW);

	const char *h[] = { admin, NULL };
	resp        r   = req("GET", "/api/identity/users", h, NULL);
	TH_CHECK(&T, r.status == 200 && strstr(r.body, "\"admin\""),
	    "GET users through the console: %ld %s", r.status, r.body);
	free(r.body);
	r = req("GET", "/api/identity/users?limit=1", h, NULL);
	TH_CHECK(&T, r.status == 200, "GET users?limit=1: %ld %s", r.status,
	    r.body);
	free(r.body);
	r = req("GET", "/api/identity/users?limit=bogus", h, NULL);
	TH_CHECK(&T, r.status == 400 || r.status == 422,
	    "the query reaches identity: limit=bogus is %ld", r.status);
	free(r.body);
	r = req("GET", "/api/identity/users", NULL, NULL);
	TH_CHECK(&T, r.status == 401 && strstr(r.body, "unauthorized"),
	    "no token: %ld %s", r.status, r.body);
	{
		char w[64];
		TH_CHECK(&T,
		    header(&r, "WWW-Authenticate", w, sizeof(w)) != NULL
		        && strcmp(w, "Bearer") == 0,
		    "no token: identity's WWW-Authenticate is not passed "
		    "back");
	}
	free(r.body);

	const char *clerk = "{\"username\":\"clerk1\",\"display_name\":"
	                    "\"Clerk One\",\"kind\":\"staff\",\"role\":"
	                    "\"clerk\",\"jurisdiction\":\"220103001001\","
	                    "\"id_number\":\"11010519491231002X\","
	                    "\"password\":\"" CLERK_PW "\"}";
	const char *hp[] = { admin, "Idempotency-Key: console-clerk-1", NULL };
	r                = req("POST", "/api/identity/users", hp, clerk);
	TH_CHECK(&T, r.status == 201 && strstr(r.body, "\"clerk1\""),
	    "POST users through the console: %ld %s", r.status, r.body);
	free(r.body);
	r = req("POST", "/api/identity/users", hp, clerk);
	TH_CHECK(&T, r.status == 201, "the repeat: %ld", r.status);
	char v[256];
	TH_CHECK(&T,
	    header(&r, "Idempotent-Replay", v, sizeof(v)) != NULL
	        && strcmp(v, "true") == 0,
	    "the repeat: identity's Idempotent-Replay is not passed back");
	free(r.body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.users WHERE username = 'clerk1'",
	        th_schema(&T, "identity"))
	        == 1,
	    "one clerk stored");
	char *ck = login("clerk1", CLERK_PW);
	free(ck);

	r = req("GET", "/api/nosuch/x", h, NULL);
	TH_CHECK(&T, r.status == 404 && strstr(r.body, "unknown_service"),
	    "unknown service: %ld %s", r.status, r.body);
	security_headers(&r, "unknown service");
	free(r.body);
	r = req("GET", "/api/intake/applications", h, NULL);
	TH_CHECK(&T, r.status == 404 && strstr(r.body, "unknown_service"),
	    "a service without a URL: %ld %s", r.status, r.body);
	free(r.body);
	r = req("GET", "/api/identity/users/../../x", h, NULL);
	TH_CHECK(&T, r.status == 404, "dot segment: %ld", r.status);
	free(r.body);
	free(admin);
}

static const th_scenario scenarios[] = {
	{ "files", files },
	{ "forward", forward },
};

int
main(int argc, char **argv)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), NULL);
}
