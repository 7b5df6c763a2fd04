/*
 * inspection-sim with the real binary and a real PostgreSQL (tests/
 * support/harness.h); the test is the partner, over HTTP with
 * sn/httpc.h, signing with sign.h.
 *
 *   inspection-sim_scenarios signatures | deliveries
 *
 * signatures: a tip filed at the portal is read back by a signed GET;
 *   the same request sent again (same nonce) is 401 replayed_nonce; a
 *   request signed 301 s ago or 305 s ahead is 401 stale_timestamp; a
 *   wrong signature, another body under the same signature, another
 *   key id and missing headers are each refused with their code; none
 *   of the refused requests stored a nonce or a case; the switch makes
 *   the partner API answer 503 and the portal still take tips.
 * deliveries: a case delivered is 201 created; the same version again
 *   (a new nonce: a retry) is 200 repeat and changes nothing; version 2
 *   updates it; an outcome before its case is 404 no_such_case; an
 *   outcome is taken once; the log holds one row per version.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "sign.h"
#include "sn/clock.h"
#include "sn/httpc.h"
#include "sn/log.h"
#include "sn/loop.h"

#ifndef SN_INSPECTION_SIM_BIN
#define SN_INSPECTION_SIM_BIN "inspection-sim"
#endif

#define KEYHEX                                                                \
	"5a1c0e9a3b7d2468ace0f1357924680bdf13579bace02468fdb97531eca86421"

static th          T;
static int         port;
static const char *S;
static uint8_t     key[INSPECTION_SIGN_KEYLEN];

static void
start(void)
{
	static char port_env[32];
	port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", port);
	const char *env[]  = { port_env, "SN_INSPECTION_KEY=" KEYHEX,
		 "SN_INSPECTION_KEY_ID=supervision", NULL };
	const char *argv[] = { SN_INSPECTION_SIM_BIN, NULL };
	th_spawn(&T, "inspection-sim", SN_INSPECTION_SIM_BIN, argv, env);
	if (!th_wait_ready(&T, port, 30000))
		th_fail(&T, "inspection-sim did not get ready");
	S = th_schema(&T, "inspection-sim");
	if (!inspection_sign_key(KEYHEX, key))
		th_fail(&T, "the test key");
}

/* ---- a signed request, synchronously --------------------------------- */

typedef struct got {
	bool   done;
	sn_err err;
	long   status;
	char  *body;
} got;

static void
on_answer(const sn_httpc_answer *a, void *arg)
{
	got *g    = arg;
	g->done   = true;
	g->err    = a->err;
	g->status = a->status;
	g->body   = strdup(a->body);
}

/* How a request is signed; fields left zero take the right values. */
typedef struct how {
	const char *key_id;    /* NULL: "supervision" */
	int64_t     ts_shift;  /* seconds added to now */
	const char *nonce;     /* NULL: a new one */
	const char *sig;       /* NULL: the right one */
	const char *sign_body; /* NULL: the body sent */
	bool        unsigned_; /* send no signature headers */
} how;

static int
request(const char *method, const char *target, const char *body, const how *h,
    json_t **out, char nonce_out[65])
{
	static int n;
	sn_loop   *loop;
	sn_httpc  *c;
	char       url[512], ts[24], nonce[65], sig[INSPECTION_SIGN_HEXLEN];
	char       hk[128], ht[64], hn[96], hs[128];
	got        g = { 0 };

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, target);
	snprintf(
	    ts, sizeof(ts), "%" PRId64, (int64_t) time(NULL) + h->ts_shift);
	if (h->nonce != NULL)
		snprintf(nonce, sizeof(nonce), "%s", h->nonce);
	else
		snprintf(nonce, sizeof(nonce), "test-%d-%d-abcdefgh",
		    (int) getpid(), ++n);
	const char *sb = h->sign_body != NULL ? h->sign_body : body;
	inspection_sign(key, method, target, ts, nonce, sb,
	    sb != NULL ? strlen(sb) : 0, sig);
	snprintf(hk, sizeof(hk), "X-Key-Id: %s",
	    h->key_id != NULL ? h->key_id : "supervision");
	snprintf(ht, sizeof(ht), "X-Timestamp: %s", ts);
	snprintf(hn, sizeof(hn), "X-Nonce: %s", nonce);
	snprintf(
	    hs, sizeof(hs), "X-Signature: %s", h->sig != NULL ? h->sig : sig);
	const char      *lines[] = { hk, ht, hn, hs };
	sn_httpc_request r       = { .method = method,
		      .url                   = url,
		      .headers               = lines,
		      .n_headers             = h->unsigned_ ? 0 : 4,
		      .body                  = body,
		      .body_len              = body != NULL ? strlen(body) : 0,
		      .timeout_ms            = 10000 };
	if (sn_loop_open(&loop, 0) != SN_OK
	    || sn_httpc_open(&c, loop, NULL) != SN_OK
	    || sn_httpc_send(c, &r, on_answer, &g) != SN_OK)
		th_fail(&T, "the test's HTTP client");
	while (!g.done)
		uv_run(sn_loop_uv(loop), UV_RUN_ONCE);
	sn_httpc_close(c);
	sn_loop_close(loop);
	if (nonce_out != NULL)
		snprintf(nonce_out, 65, "%s", nonce);
	if (g.err != SN_OK)
		th_fail(&T, "%s %s: %s", method, target, sn_strerror(g.err));
	if (out != NULL)
		*out = json_loads(g.body, 0, NULL);
	free(g.body);
	return (int) g.status;
}

static const char *
code_of(json_t *j)
{
	const char *c = json_string_value(
	    json_object_get(json_object_get(j, "error"), "code"));
	return c != NULL ? c : "(none)";
}

static void
expect(int status, json_t *j, int want, const char *code, const char *what)
{
	if (status != want || (code != NULL && strcmp(code_of(j), code) != 0))
		th_fail(&T, "%s: %d %s, wanted %d %s", what, status,
		    code_of(j), want, code != NULL ? code : "");
	json_decref(j);
}

static void
file_tip(const char *subject)
{
	char       body[256], k[64];
	static int n;
	snprintf(body, sizeof(body),
	    "{\"subject_kind\":\"staff\",\"subject_id\":\"%s\","
	    "\"category\":\"conduct\",\"text\":\"asked for money\"}",
	    subject);
	snprintf(k, sizeof(k), "tip-%d-%d", (int) getpid(), ++n);
	int st = th_http(&T, port, "POST", "/v1/tips", NULL, k, body, NULL);
	TH_CHECK(&T, st == 201, "POST /v1/tips: %d", st);
}

/* ---- scenarios ------------------------------------------------------ */

static void
signatures(void)
{
	json_t *j;
	how     ok = { 0 };
	char    nonce[65];

	start();
	file_tip("u-1");
	int st = request(
	    "GET", "/v1/tips?after=0&limit=10", NULL, &ok, &j, nonce);
	TH_CHECK(&T, st == 200, "signed GET /v1/tips: %d", st);
	json_t *items = json_object_get(j, "items");
	TH_CHECK(&T,
	    json_array_size(items) == 1
	        && json_integer_value(
	               json_object_get(json_array_get(items, 0), "seq"))
	            == 1
	        && json_integer_value(json_object_get(j, "last")) == 1,
	    "one tip, seq 1");
	json_decref(j);

	/* the same nonce again: a replay */
	how replay = { .nonce = nonce };
	st         = request(
	            "GET", "/v1/tips?after=0&limit=10", NULL, &replay, &j, NULL);
	expect(st, j, 401, "replayed_nonce", "a replayed nonce");

	how stale = { .ts_shift = -301 };
	st        = request(
	           "GET", "/v1/tips?after=0&limit=10", NULL, &stale, &j, NULL);
	expect(st, j, 401, "stale_timestamp", "301 s old");
	/* Ahead by more than the second the request may take: stamped
	 * 301 s ahead in one second and checked in the next, it was 300 s
	 * ahead at the server, inside the window (fresh clone of 9371838,
	 * under the sanitizers). */
	how ahead = { .ts_shift = 305 };
	st        = request(
	           "GET", "/v1/tips?after=0&limit=10", NULL, &ahead, &j, NULL);
	expect(st, j, 401, "stale_timestamp", "305 s ahead");

	how bad = { .sig = "00000000000000000000000000000000"
		           "00000000000000000000000000000000" };
	st = request("GET", "/v1/tips?after=0&limit=10", NULL, &bad, &j, NULL);
	expect(st, j, 401, "bad_signature", "a wrong signature");

	how other_key = { .key_id = "intruder" };
	st            = request(
	               "GET", "/v1/tips?after=0&limit=10", NULL, &other_key, &j, NULL);
	expect(st, j, 401, "unknown_key", "another key id");

	how none = { .unsigned_ = true };
	st       = request("GET", "/v1/tips", NULL, &none, &j, NULL);
	expect(st, j, 401, "signature_missing", "no signature");

	/* a body other than the one signed */
	how swapped = { .sign_body = "{\"version\":1,\"kind\":\"alert\"}" };
	st          = request("PUT", "/v1/cases/a-1",
	             "{\"version\":9,\"kind\":\"alert\"}", &swapped, &j, NULL);
	expect(st, j, 401, "bad_signature", "another body");

	/* refused requests stored nothing; the one accepted its nonce */
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.cases", S) == 0,
	    "a refused delivery stored a case");
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.nonces", S) == 1,
	    "nonces: %lld, want 1",
	    (long long) th_int(&T, "SELECT count(*) FROM %s.nonces", S));
	TH_CHECK(&T,
	    th_metric_http(&T, port,
	        "sn_inspection_sim_refused_total{reason=\"signature\"}")
	        == 6,
	    "refused by signature: %lld",
	    (long long) th_metric_http(&T, port,
	        "sn_inspection_sim_refused_total{reason=\"signature\"}"));

	/* the switch: partners get 503, the portal still takes tips */
	st = th_http(&T, port, "PUT", "/sim/control", NULL, NULL,
	    "{\"unavailable\":true}", NULL);
	TH_CHECK(&T, st == 200, "PUT /sim/control: %d", st);
	st = request("GET", "/v1/tips?after=0", NULL, &ok, &j, NULL);
	expect(st, j, 503, "unavailable", "switched off");
	file_tip("u-2");
	st = th_http(&T, port, "PUT", "/sim/control", NULL, NULL,
	    "{\"unavailable\":false}", NULL);
	TH_CHECK(&T, st == 200, "PUT /sim/control: %d", st);
	st = request("GET", "/v1/tips?after=1", NULL, &ok, &j, NULL);
	TH_CHECK(&T,
	    st == 200 && json_array_size(json_object_get(j, "items")) == 1,
	    "the tip filed while switched off: %d", st);
	json_decref(j);
}

static void
deliveries(void)
{
	json_t *j;
	how     ok = { 0 };
	int     st;

	start();
	const char *v1 = "{\"version\":3,\"kind\":\"grievance\",\"state\":"
	                 "\"open\"}";
	st = request("PUT", "/v1/cases/grievance-1", v1, &ok, &j, NULL);
	TH_CHECK(&T, st == 201, "a new case: %d", st);
	TH_CHECK(&T,
	    strcmp(json_string_value(json_object_get(j, "result")), "created")
	        == 0,
	    "created");
	json_decref(j);
	/* a retry after a lost answer: a new nonce, the same version */
	st = request("PUT", "/v1/cases/grievance-1", v1, &ok, &j, NULL);
	TH_CHECK(&T,
	    st == 200
	        && strcmp(json_string_value(json_object_get(j, "result")),
	               "repeat")
	            == 0,
	    "a repeat: %d", st);
	json_decref(j);
	st = request("PUT", "/v1/cases/grievance-1",
	    "{\"version\":2,\"kind\":\"grievance\",\"state\":\"x\"}", &ok, &j,
	    NULL);
	TH_CHECK(&T,
	    st == 200
	        && strcmp(json_string_value(json_object_get(j, "result")),
	               "stale")
	            == 0,
	    "an older version: %d", st);
	json_decref(j);
	st = request("PUT", "/v1/cases/grievance-1",
	    "{\"version\":7,\"kind\":\"grievance\",\"state\":\"assigned\"}",
	    &ok, &j, NULL);
	TH_CHECK(&T,
	    st == 200
	        && strcmp(json_string_value(json_object_get(j, "result")),
	               "updated")
	            == 0,
	    "a newer version: %d", st);
	json_decref(j);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.cases WHERE id = 'grievance-1'"
	        " AND version = 7 AND body->>'state' = 'assigned' AND puts = "
	        "4",
	        S)
	        == 1,
	    "the case holds version 7 after 4 requests");

	st = request("PUT", "/v1/cases/grievance-2/outcome",
	    "{\"version\":8,\"outcome\":\"upheld\"}", &ok, &j, NULL);
	expect(st, j, 404, "no_such_case", "an outcome before its case");
	st = request("PUT", "/v1/cases/grievance-1/outcome",
	    "{\"version\":8,\"outcome\":\"upheld\"}", &ok, &j, NULL);
	TH_CHECK(&T, st == 201, "an outcome: %d", st);
	json_decref(j);
	st = request("PUT", "/v1/cases/grievance-1/outcome",
	    "{\"version\":8,\"outcome\":\"upheld\"}", &ok, &j, NULL);
	TH_CHECK(&T, st == 200, "the outcome again: %d", st);
	json_decref(j);
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.case_log", S) == 3,
	    "the log: one row per version taken (3, got %lld)",
	    (long long) th_int(&T, "SELECT count(*) FROM %s.case_log", S));

	st = request("PUT", "/v1/cases/bad%20id", v1, &ok, &j, NULL);
	expect(st, j, 422, "invalid_id", "a bad id");
	st = request("PUT", "/v1/cases/grievance-3",
	    "{\"kind\":\"grievance\"}", &ok, &j, NULL);
	expect(st, j, 422, "missing_field", "no version");
	/* the list */
	char *body = NULL;
	st = th_http(&T, port, "GET", "/v1/cases", NULL, NULL, NULL, &body);
	j  = body != NULL ? json_loads(body, 0, NULL) : NULL;
	free(body);
	TH_CHECK(&T,
	    st == 200 && json_array_size(json_object_get(j, "items")) == 1,
	    "GET /v1/cases: %d", st);
	json_decref(j);
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "signatures", signatures },
		{ "deliveries", deliveries },
	};
	sn_log_init("inspection-sim_scenarios", SN_LOG_ERROR);
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), NULL);
}
