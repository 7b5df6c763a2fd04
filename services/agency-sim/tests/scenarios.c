/*
 * agency-sim's integration scenarios: the real agency-sim binary and a
 * small blocking NNG REQ client speaking sn/agency/v1/agency.proto. One
 * ctest each:
 *
 *   answers  each agency answers REPLY_OK with one record per id number,
 *            its request_id echoed and answered_at now (RFC 3339 UTC,
 *            whole seconds); no consent reference is REPLY_NO_CONSENT,
 *            a request naming another agency is REPLY_ERROR, and bytes
 *            that do not decode are REPLY_ERROR "malformed request".
 *   clock    answered_at comes from the district clock: with
 *            SN_TEST_CLOCK=1 and SN_CLOCK_OFFSET_S ten years back, it is
 *            dated ten years back.
 *   help     `agency-sim --help` needs no settings, exits 0 and lists
 *            every agency's settings one line each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "harness.h"
#include "sn/agency/v1/agency.pb-c.h"

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
	th_spawn(&T, "agency-sim", SN_AGENCY_SIM_BIN, argv, env);
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

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "answers", answers },
		{ "clock", clock_shift },
		{ "help", help },
	};
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), NULL);
}
