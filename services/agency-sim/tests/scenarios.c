/*
 * agency-sim's integration scenarios: the real agency-sim binary and a
 * small blocking NNG REQ client speaking sn/agency/v1/agency.proto. One
 * ctest each:
 *
 *   answers  each agency answers REPLY_OK with one record per id number,
 *            its request_id echoed and answered_at now (RFC 3339 UTC,
 *            whole seconds); no consent reference is REPLY_NO_CONSENT,
 *            a request naming another agency is REPLY_ERROR, and bytes
 *            that do not decode or a request of more than 256 id
 *            numbers are REPLY_ERROR "malformed request", each with a
 *            warning log line naming the agency.
 *   clock    answered_at comes from the district clock: with
 *            SN_TEST_CLOCK=1 and SN_CLOCK_OFFSET_S ten years back, it is
 *            dated ten years back.
 *   help     `agency-sim --help` needs no settings, exits 0 and lists
 *            every agency's settings one line each.
 *   notices  POST /notices (issue 9): a bad identity number, an unknown
 *            kind, a death with a wage, a new job without one, an
 *            unknown field are 422 and store and publish nothing; a death
 *            is 201, stored once (a repeated Idempotency-Key replays it)
 *            and agency.notice arrives on the PUB socket with its fields;
 *            public security then answers alive = false and, after a new
 *            job, human resources the new wage, also after a restart;
 *            GET /notices lists them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/req.h>

#include "harness.h"
#include "sn/agency/v1/agency.pb-c.h"
#include "sn/bus/v1/bus.pb-c.h"
#include "sn/idnum.h"

#ifndef SN_AGENCY_SIM_BIN
#define SN_AGENCY_SIM_BIN "agency-sim"
#endif

#define NAG 8

static th T;

static const char *const agencies[NAG]
    = { "PUBLIC_SECURITY", "HUMAN_RESOURCES", "HOUSING", "VEHICLES", "MARKET",
	      "TAX", "BANKS", "PROVIDENT_FUND" };

static const char *url[NAG];
static char        url_env[NAG][512];
static char        port_env[32];
static int         http_port;

static th_proc *sim;

static void
start_sim(const char *const *extra)
{
	const char *env[32];
	int         n = 0;
	http_port     = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", http_port);
	for (int i = 0; i < NAG; i++) {
		snprintf(url_env[i], sizeof(url_env[i]),
		    "SN_AGENCY_%s_URL=ipc://%s/agency-%d.ipc", agencies[i],
		    T.run_dir, i);
		url[i]   = strchr(url_env[i], '=') + 1;
		env[n++] = url_env[i];
	}
	env[n++] = port_env;
	for (int i = 0; extra != NULL && extra[i] != NULL; i++)
		env[n++] = extra[i];
	env[n]             = NULL;
	const char *argv[] = { SN_AGENCY_SIM_BIN, NULL };
	sim = th_spawn(&T, "agency-sim", SN_AGENCY_SIM_BIN, argv, env);
	TH_CHECK(&T, th_wait_ready(&T, http_port, 30000),
	    "agency-sim is not ready");
}

/* Sends len bytes to agency i and returns its reply (free it). */
static Sn__Agency__V1__AgencyReply *
call_raw(int i, const void *body, size_t len)
{
	nng_socket s;
	TH_CHECK(&T, nng_req0_open(&s) == 0, "req socket");
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 10000);
	TH_CHECK(&T, nng_dial(s, url[i], NULL, 0) == 0, "dial %s", url[i]);
	nng_msg *m;
	TH_CHECK(&T, nng_msg_alloc(&m, len) == 0, "msg");
	if (len > 0)
		memcpy(nng_msg_body(m), body, len);
	TH_CHECK(&T, nng_sendmsg(s, m, 0) == 0, "send to %s", agencies[i]);
	TH_CHECK(
	    &T, nng_recvmsg(s, &m, 0) == 0, "no reply from %s", agencies[i]);
	Sn__Agency__V1__AgencyReply *rp = sn__agency__v1__agency_reply__unpack(
	    NULL, nng_msg_len(m), nng_msg_body(m));
	nng_msg_free(m);
	nng_close(s);
	TH_CHECK(&T, rp != NULL, "the reply does not decode");
	return rp;
}

/* Asks agency i (0-based) about ids as agency `names` (1-based). */
static Sn__Agency__V1__AgencyReply *
ask(int i, int names, const char *consent, char **ids, size_t n)
{
	Sn__Agency__V1__AgencyRequest rq
	    = SN__AGENCY__V1__AGENCY_REQUEST__INIT;
	rq.request_id        = (char *) "R-1";
	rq.agency            = (Sn__Agency__V1__Agency) names;
	rq.consent_reference = (char *) consent;
	rq.id_numbers        = ids;
	rq.n_id_numbers      = n;
	rq.requested_by      = (char *) "verification";
	size_t   len = sn__agency__v1__agency_request__get_packed_size(&rq);
	uint8_t *buf = malloc(len ? len : 1);
	TH_CHECK(&T, buf != NULL, "oom");
	sn__agency__v1__agency_request__pack(&rq, buf);
	Sn__Agency__V1__AgencyReply *rp = call_raw(i, buf, len);
	free(buf);
	return rp;
}

/* YYYY-MM-DD of now + shift_s, UTC. */
static void
utc_day(char out[11], long long shift_s)
{
	time_t    t = time(NULL) + (time_t) shift_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* answered_at is "YYYY-MM-DDTHH:MM:SSZ" on the day now + shift_s. */
static void
check_stamp(const char *at, long long shift_s)
{
	TH_CHECK(&T, strlen(at) == 20 && at[10] == 'T' && at[19] == 'Z',
	    "answered_at %s is not RFC 3339 in whole seconds", at);
	char before[11], after[11];
	utc_day(before, shift_s - 120);
	utc_day(after, shift_s + 120);
	TH_CHECK(&T,
	    strncmp(at, before, 10) == 0 || strncmp(at, after, 10) == 0,
	    "answered_at %s is not on %s", at, after);
}

static void
answers(void)
{
	start_sim(NULL);
	char *ids[]
	    = { (char *) "110101199001011234", (char *) "110101195001011238" };
	for (int i = 0; i < NAG; i++) {
		Sn__Agency__V1__AgencyReply *rp = ask(i, i + 1, "C-1", ids, 2);
		TH_CHECK(&T,
		    rp->status == SN__AGENCY__V1__REPLY_STATUS__REPLY_OK,
		    "%s: status %d (%s)", agencies[i], rp->status, rp->error);
		TH_CHECK(&T, (int) rp->agency == i + 1, "%s: agency %d",
		    agencies[i], rp->agency);
		TH_CHECK(&T, strcmp(rp->request_id, "R-1") == 0,
		    "%s: request_id %s", agencies[i], rp->request_id);
		TH_CHECK(&T,
		    rp->n_records == 2
		        && strcmp(rp->records[1]->id_number, ids[1]) == 0,
		    "%s: records", agencies[i]);
		check_stamp(rp->answered_at, 0);
		sn__agency__v1__agency_reply__free_unpacked(rp, NULL);
	}
	Sn__Agency__V1__AgencyReply *rp = ask(2, 3, "", ids, 1);
	TH_CHECK(&T,
	    rp->status == SN__AGENCY__V1__REPLY_STATUS__REPLY_NO_CONSENT
	        && strcmp(rp->error, "no consent reference") == 0
	        && rp->n_records == 0,
	    "no consent: status %d (%s)", rp->status, rp->error);
	sn__agency__v1__agency_reply__free_unpacked(rp, NULL);
	rp = ask(2, 4, "C-1", ids, 1);
	TH_CHECK(&T,
	    rp->status == SN__AGENCY__V1__REPLY_STATUS__REPLY_ERROR
	        && strcmp(rp->error, "request names another agency") == 0
	        && rp->n_records == 0,
	    "another agency: status %d (%s)", rp->status, rp->error);
	sn__agency__v1__agency_reply__free_unpacked(rp, NULL);
	rp = call_raw(5, "\xff\xff\xff", 3);
	TH_CHECK(&T,
	    rp->status == SN__AGENCY__V1__REPLY_STATUS__REPLY_ERROR
	        && strcmp(rp->error, "malformed request") == 0
	        && strcmp(rp->request_id, "") == 0 && (int) rp->agency == 6,
	    "malformed: status %d (%s)", rp->status, rp->error);
	check_stamp(rp->answered_at, 0);
	sn__agency__v1__agency_reply__free_unpacked(rp, NULL);
	TH_CHECK(&T,
	    th_line_has(sim->log,
	        "\"malformed request; answered REPLY_ERROR\"",
	        "\"agency\":\"tax\""),
	    "no warning logged for the malformed request to TAX");
	/* out of range: more id numbers than an agency takes at once */
	char *many[257];
	for (size_t i = 0; i < 257; i++)
		many[i] = ids[0];
	rp = ask(1, 2, "C-1", many, 257);
	TH_CHECK(&T,
	    rp->status == SN__AGENCY__V1__REPLY_STATUS__REPLY_ERROR
	        && strcmp(rp->error, "malformed request") == 0
	        && rp->n_records == 0,
	    "257 ids: status %d (%s)", rp->status, rp->error);
	sn__agency__v1__agency_reply__free_unpacked(rp, NULL);
	TH_CHECK(&T,
	    th_line_has(sim->log,
	        "\"malformed request; answered REPLY_ERROR\"",
	        "\"agency\":\"human_resources\""),
	    "no warning logged for the request of 257 ids");
}

static void
clock_shift(void)
{
	const long long shift = -3650LL * 86400;
	char            env[64];
	snprintf(env, sizeof(env), "SN_CLOCK_OFFSET_S=%lld", shift);
	const char *extra[] = { "SN_TEST_CLOCK=1", env, NULL };
	start_sim(extra);
	char                        *ids[] = { (char *) "110101199001011234" };
	Sn__Agency__V1__AgencyReply *rp    = ask(0, 1, "C-1", ids, 1);
	TH_CHECK(&T, rp->status == SN__AGENCY__V1__REPLY_STATUS__REPLY_OK,
	    "status %d", rp->status);
	check_stamp(rp->answered_at, shift);
	sn__agency__v1__agency_reply__free_unpacked(rp, NULL);
}

static void
help(void)
{
	FILE *f = popen("env -i " SN_AGENCY_SIM_BIN " --help", "r");
	TH_CHECK(&T, f != NULL, "cannot run agency-sim --help");
	char   out[16384];
	size_t len = fread(out, 1, sizeof(out) - 1, f);
	out[len]   = '\0';
	int st     = pclose(f);
	TH_CHECK(&T, WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "agency-sim --help: status %d", st);
	static const char *const pre[]
	    = { "SN_AGENCY_", "SN_AGENCY_SIM_SLOW_MS_", "SN_AGENCY_SIM_FAIL_",
		      "SN_AGENCY_SIM_DOWN_" };
	char want[96];
	for (int i = 0; i < NAG; i++) {
		for (size_t k = 0; k < sizeof(pre) / sizeof(pre[0]); k++) {
			snprintf(want, sizeof(want), "%s%s%s ", pre[k],
			    agencies[i], k == 0 ? "_URL" : "");
			TH_CHECK(&T, strstr(out, want) != NULL,
			    "--help does not list %s", want);
		}
	}
	TH_CHECK(&T,
	    strstr(out, "SN_AGENCY_SIM_FIXTURE ") != NULL
	        && strstr(out, "SN_AGENCY_SIM_CONTEXTS ") != NULL,
	    "--help does not list the fixture and the contexts");
}

/* ---- notices (issue 9) ---------------------------------------------- */

/* A valid identity number: region, birth date and sequence given. */
static void
idnum(char out[19], const char *first17)
{
	memcpy(out, first17, 17);
	out[17] = sn_idnum_check_char(first17);
	out[18] = '\0';
}

static int64_t
notices_stored(void)
{
	const char *sc = th_schema(&T, "agency-sim");
	return th_int(&T,
	    "SELECT (SELECT count(*) FROM %s.notice)"
	    " + (SELECT count(*) FROM %s.outbox)",
	    sc, sc);
}

/* POSTs body; returns the status and *out the body (free it). */
static int
post(const char *key, const char *body, char **out)
{
	return th_http(
	    &T, http_port, "POST", "/notices", NULL, key, body, out);
}

static void
refused(const char *body, int status, const char *code, const char *what)
{
	static int n;
	char       key[32], *out = NULL;
	snprintf(key, sizeof(key), "bad-%d", ++n);
	int st = post(key, body, &out);
	TH_CHECK(&T, st == status && out != NULL && strstr(out, code) != NULL,
	    "%s: status %d, body %s (want %d %s)", what, st,
	    out ? out : "(none)", status, code);
	free(out);
}

/* A SUB socket on agency-sim's PUB URL, once a heartbeat came through. */
static nng_socket
subscribe(void)
{
	char       pub[512];
	nng_socket s;
	snprintf(pub, sizeof(pub), "ipc://%s/agency-sim.pub", T.run_dir);
	TH_CHECK(&T, nng_sub0_open(&s) == 0, "sub socket");
	nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "agency.notice", 14);
	nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "bus.heartbeat", 14);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000);
	TH_CHECK(&T, nng_dial(s, pub, NULL, NNG_FLAG_NONBLOCK) == 0, "dial %s",
	    pub);
	nng_msg *m;
	TH_CHECK(&T, nng_recvmsg(s, &m, 0) == 0, "no heartbeat from %s", pub);
	nng_msg_free(m);
	return s;
}

/* The next agency.notice on s, its envelope in *env (free both). */
static Sn__Agency__V1__AgencyNotice *
next_notice(nng_socket s, Sn__Bus__V1__Envelope **env)
{
	for (int tries = 0; tries < 50; tries++) {
		nng_msg *m;
		TH_CHECK(&T, nng_recvmsg(s, &m, 0) == 0,
		    "no agency.notice on the bus");
		const char *b = nng_msg_body(m);
		size_t      n = nng_msg_len(m);
		if (n < 14 || memcmp(b, "agency.notice", 14) != 0) {
			nng_msg_free(m);
			continue;
		}
		*env = sn__bus__v1__envelope__unpack(
		    NULL, n - 14, (const uint8_t *) b + 14);
		nng_msg_free(m);
		TH_CHECK(&T, *env != NULL, "the envelope does not decode");
		Sn__Agency__V1__AgencyNotice *an
		    = sn__agency__v1__agency_notice__unpack(
		        NULL, (*env)->data.len, (*env)->data.data);
		TH_CHECK(&T, an != NULL, "the notice does not decode");
		return an;
	}
	th_fail(&T, "only heartbeats on the bus");
}

static void
notices_refused(const char *id)
{
	char body[512];
	refused("{\"kind\": \"death\", \"id_number\": \"220103195001011230\","
	        " \"effective_date\": \"2026-01-05\"}",
	    422, "invalid_id_number", "a bad check character");
	snprintf(body, sizeof(body),
	    "{\"kind\": \"divorce\", \"id_number\": \"%s\","
	    " \"effective_date\": \"2026-01-05\"}",
	    id);
	refused(body, 422, "invalid_kind", "an unknown kind");
	snprintf(body, sizeof(body),
	    "{\"kind\": \"death\", \"id_number\": \"%s\","
	    " \"effective_date\": \"2026-01-05\", \"monthly_wage_fen\": 5}",
	    id);
	refused(body, 422, "not_for_kind", "a death with a wage");
	snprintf(body, sizeof(body),
	    "{\"kind\": \"new_job\", \"id_number\": \"%s\","
	    " \"effective_date\": \"2026-01-05\"}",
	    id);
	refused(body, 422, "missing_field", "a new job without a wage");
	snprintf(body, sizeof(body),
	    "{\"kind\": \"death\", \"id_number\": \"%s\","
	    " \"effective_date\": \"2026-01-05\", \"cause\": \"x\"}",
	    id);
	refused(body, 422, "unknown_field", "an unknown field");
	refused("{\"kind\": \"death\"}", 422, "missing_field", "no person");
	TH_CHECK(&T, notices_stored() == 0,
	    "a refused notice stored or published something");
	printf("ok: refused notices store and publish nothing\n");
}

/* What agency i (0-based) says of id: alive, or the wages. */
static Sn__Agency__V1__PersonRecord *
record_of(int i, char *id, Sn__Agency__V1__AgencyReply **rp)
{
	char *ids[] = { id };
	*rp         = ask(i, i + 1, "C-1", ids, 1);
	TH_CHECK(&T,
	    (*rp)->status == SN__AGENCY__V1__REPLY_STATUS__REPLY_OK
	        && (*rp)->n_records == 1,
	    "%s did not answer", agencies[i]);
	return (*rp)->records[0];
}

static bool
alive(char *id)
{
	Sn__Agency__V1__AgencyReply *rp;
	bool                         a = record_of(0, id, &rp)->alive;
	sn__agency__v1__agency_reply__free_unpacked(rp, NULL);
	return a;
}

static int64_t
wages(char *id)
{
	Sn__Agency__V1__AgencyReply *rp;
	int64_t                      w = record_of(1, id, &rp)->wages_fen;
	sn__agency__v1__agency_reply__free_unpacked(rp, NULL);
	return w;
}

/* The death of id: 201, once, on the bus with its fields. */
static void
notice_death(char *id, nng_socket sub)
{
	char body[512], *out = NULL;
	snprintf(body, sizeof(body),
	    "{\"kind\": \"death\", \"id_number\": \"%s\","
	    " \"effective_date\": \"2026-01-05\", \"note\": \"certificate "
	    "7\"}",
	    id);
	int     st  = post("death-1", body, &out);
	json_t *ans = out != NULL ? json_loads(out, 0, NULL) : NULL;
	TH_CHECK(&T, st == 201 && ans != NULL, "death: status %d", st);
	free(out);
	const char *nid = json_string_value(json_object_get(ans, "notice_id"));
	const char *at  = json_string_value(json_object_get(ans, "issued_at"));
	TH_CHECK(&T, nid != NULL && at != NULL, "no notice_id, issued_at");
	TH_CHECK(&T,
	    strcmp(json_string_value(json_object_get(ans, "agency")),
	        "PUBLIC_SECURITY")
	        == 0,
	    "a death's agency is not public security");
	Sn__Bus__V1__Envelope        *env;
	Sn__Agency__V1__AgencyNotice *an = next_notice(sub, &env);
	TH_CHECK(&T,
	    strcmp(env->source, "agency-sim") == 0 && env->sequence == 1
	        && strcmp(env->subject, nid) == 0
	        && strcmp(env->actor, "agency:PUBLIC_SECURITY") == 0,
	    "the envelope: source %s, sequence %llu, subject %s, actor %s",
	    env->source, (unsigned long long) env->sequence, env->subject,
	    env->actor);
	TH_CHECK(&T,
	    strcmp(an->notice_id, nid) == 0
	        && an->agency == SN__AGENCY__V1__AGENCY__AGENCY_PUBLIC_SECURITY
	        && an->kind == SN__AGENCY__V1__NOTICE_KIND__NOTICE_DEATH
	        && strcmp(an->id_number, id) == 0
	        && strcmp(an->effective_date, "2026-01-05") == 0
	        && an->monthly_wage_fen == 0
	        && strcmp(an->note, "certificate 7") == 0
	        && strcmp(an->issued_at, at) == 0,
	    "the notice on the bus is not the one posted");
	sn__agency__v1__agency_notice__free_unpacked(an, NULL);
	sn__bus__v1__envelope__free_unpacked(env, NULL);
	printf("ok: a death -> 201 and agency.notice on the bus\n");

	out = NULL;
	st  = post("death-1", body, &out);
	TH_CHECK(&T, st == 201 && out != NULL && strstr(out, nid) != NULL,
	    "the repeat: status %d, not the first answer", st);
	free(out);
	json_decref(ans);
	TH_CHECK(&T, notices_stored() == 2,
	    "the repeat stored or published again (%lld rows)",
	    (long long) notices_stored());
	printf("ok: the same Idempotency-Key -> the same answer, once\n");
}

static void
notices(void)
{
	char id[19], other[19], body[512], *out = NULL;
	idnum(id, "22010319620304121");
	idnum(other, "22010319800101331");
	start_sim(NULL);
	notices_refused(id);
	TH_CHECK(&T, alive(id), "the person is dead before the notice");
	int64_t before = wages(id);

	nng_socket sub = subscribe();
	notice_death(id, sub);
	th_nng_close(sub, 10000);
	TH_CHECK(&T, !alive(id), "public security still says alive");
	TH_CHECK(&T, alive(other), "another person died too");

	snprintf(body, sizeof(body),
	    "{\"kind\": \"new_job\", \"id_number\": \"%s\","
	    " \"effective_date\": \"2026-01-04\", \"monthly_wage_fen\": %lld}",
	    id, (long long) before + 345600);
	int st = post("job-1", body, &out);
	TH_CHECK(&T,
	    st == 201 && out != NULL && strstr(out, "HUMAN_RESOURCES"),
	    "new job: status %d", st);
	free(out);
	TH_CHECK(&T, wages(id) == before + 345600,
	    "human resources says %lld, not the new wage",
	    (long long) wages(id));
	printf("ok: the agencies answer by the notices\n");

	th_stop(&T, sim);
	start_sim(NULL);
	TH_CHECK(&T, !alive(id) && wages(id) == before + 345600,
	    "after a restart the agencies forgot the notices");
	printf("ok: and still after a restart\n");

	char path[160];
	snprintf(path, sizeof(path), "/notices?id_number=%s", id);
	st = th_http(&T, http_port, "GET", path, NULL, NULL, NULL, &out);
	json_t *ls  = out != NULL ? json_loads(out, 0, NULL) : NULL;
	json_t *arr = json_object_get(ls, "notices");
	TH_CHECK(&T,
	    st == 200 && json_array_size(arr) == 2
	        && strcmp(json_string_value(
	                      json_object_get(json_array_get(arr, 0), "kind")),
	               "death")
	            == 0,
	    "GET /notices: status %d, %s", st, out ? out : "(none)");
	free(out);
	json_decref(ls);
	st = th_http(
	    &T, http_port, "GET", "/notices?limit=0", NULL, NULL, NULL, NULL);
	TH_CHECK(&T, st == 422, "GET /notices?limit=0: status %d", st);
	printf("ok: GET /notices\n");

	/* Paged (issue 10): one at a time, the second page ends it. */
	snprintf(path, sizeof(path), "/notices?id_number=%s&limit=1", id);
	char *kinds[2] = { NULL, NULL };
	for (int page = 0; page < 2; page++) {
		st = th_http(
		    &T, http_port, "GET", path, NULL, NULL, NULL, &out);
		ls         = out != NULL ? json_loads(out, 0, NULL) : NULL;
		arr        = json_object_get(ls, "items");
		json_t *nx = json_object_get(ls, "next");
		TH_CHECK(&T, st == 200 && json_array_size(arr) == 1,
		    "page %d: status %d, %s", page, st, out ? out : "(none)");
		kinds[page] = strdup(json_string_value(
		    json_object_get(json_array_get(arr, 0), "kind")));
		TH_CHECK(&T, page == 0 ? json_is_string(nx) : json_is_null(nx),
		    "page %d: next is %s", page, out);
		if (page == 0)
			snprintf(path, sizeof(path),
			    "/notices?id_number=%s&limit=1&cursor=%s", id,
			    json_string_value(nx));
		free(out);
		json_decref(ls);
	}
	TH_CHECK(&T,
	    strcmp(kinds[0], "death") == 0 && strcmp(kinds[1], "new_job") == 0,
	    "pages gave %s then %s", kinds[0], kinds[1]);
	free(kinds[0]);
	free(kinds[1]);
	st = th_http(&T, http_port, "GET", "/notices?cursor=zzz", NULL, NULL,
	    NULL, NULL);
	TH_CHECK(&T, st == 422, "GET /notices?cursor=zzz: status %d", st);
	printf("ok: GET /notices pages\n");
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "answers", answers },
		{ "clock", clock_shift },
		{ "help", help },
		{ "notices", notices },
	};
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), NULL);
}
