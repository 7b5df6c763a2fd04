/*
 * verification's integration scenarios: the real verification and
 * agency-sim binaries, PostgreSQL, NNG over ipc://, and intake's events
 * injected by sn-inject (tests/support/inject.c). One ctest each:
 *
 *   all_up        every agency answers: one COMPLETE verification.completed
 *                 with exactly the facts and discrepancies the fixture
 *                 implies; every answer stored; GET /checks honours roles
 *                 and jurisdiction.
 *   agency_down   banks never answer: INCOMPLETE naming banks, no facts;
 *                 agency-sim restarted without the flag: a later round
 *                 asks banks alone and publishes COMPLETE (attempt >= 2).
 *   agency_error  tax answers REPLY_ERROR: INCOMPLETE naming tax, no
 *                 facts (never zero income), the error stored.
 *   many_at_once  50 applications at once against slow agencies: all
 *                 COMPLETE, and agency-sim saw many requests in flight at
 *                 once, per agency and overall.
 *   review        approval's review.requested (sn-inject playing approval)
 *                 under a consent signed exactly 12 months before the
 *                 review opened: COMPLETE, the event names the review,
 *                 D is 0 (a periodic review declares nothing); a change
 *                 report's review carrying new expenditure deducts it.
 *   review_expired  a review whose consent was signed 12 months and a day
 *                 before it opened, and one with no consent: INCOMPLETE at
 *                 once, every agency missing, no facts, the review named,
 *                 the reason shown by GET /checks, and agency-sim asked
 *                 nothing at all.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/auth.h"
#include "sn/idnum.h"

#ifndef SN_VERIFICATION_BIN
#define SN_VERIFICATION_BIN "verification"
#endif
#ifndef SN_AGENCY_SIM_BIN
#define SN_AGENCY_SIM_BIN "agency-sim"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif

#define KEY "verification-scenarios-key-0123456789abcdef"

static th T;

static const char *const agencies[8] = { "PUBLIC_SECURITY", "HUMAN_RESOURCES",
	"HOUSING", "VEHICLES", "MARKET", "TAX", "BANKS", "PROVIDENT_FUND" };

/* Environment shared by both binaries: the agencies' URLs. */
static char agency_env[8][400];
static int  http_port, sim_port;
static char port_env[32], sim_port_env[32];

static void
common_setup(void)
{
	th_publisher(&T, "intake");
	th_publisher(&T, "approval");
	th_publisher(&T, "verification");
	for (int i = 0; i < 8; i++)
		snprintf(agency_env[i], sizeof(agency_env[i]),
		    "SN_AGENCY_%s_URL=ipc://%s/agency-%d.ipc", agencies[i],
		    T.run_dir, i);
	http_port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", http_port);
	sim_port = th_free_port();
	snprintf(
	    sim_port_env, sizeof(sim_port_env), "SN_HTTP_PORT=%d", sim_port);
}

/* extra: NULL-ended settings beside the agency URLs. */
static th_proc *
start_sim(const char *const *extra)
{
	const char *env[32];
	int         n = 0;
	for (int i = 0; i < 8; i++)
		env[n++] = agency_env[i];
	env[n++] = sim_port_env;
	for (int i = 0; extra != NULL && extra[i] != NULL; i++)
		env[n++] = extra[i];
	env[n]             = NULL;
	const char *argv[] = { SN_AGENCY_SIM_BIN, NULL };
	th_proc *p = th_spawn(&T, "agency-sim", SN_AGENCY_SIM_BIN, argv, env);
	TH_CHECK(
	    &T, th_wait_ready(&T, sim_port, 30000), "agency-sim is not ready");
	return p;
}

static th_proc *
start_verification(const char *const *extra)
{
	const char *env[32];
	int         n = 0;
	for (int i = 0; i < 8; i++)
		env[n++] = agency_env[i];
	env[n++] = port_env;
	env[n++] = "SN_TOKEN_KEY=" KEY;
	env[n++] = "SN_VERIFICATION_SCAN_MS=100";
	for (int i = 0; extra != NULL && extra[i] != NULL; i++)
		env[n++] = extra[i];
	env[n]             = NULL;
	const char *argv[] = { SN_VERIFICATION_BIN, NULL };
	th_proc    *p
	    = th_spawn(&T, "verification", SN_VERIFICATION_BIN, argv, env);
	TH_CHECK(&T, th_wait_ready(&T, http_port, 30000),
	    "verification is not ready");
	return p;
}

/* The i-th member's identity number (valid, born 1950 + i). */
static void
idnum(char out[19], int app, int member)
{
	char first[32];
	snprintf(first, sizeof(first), "110101%04d0101%03d",
	    1950 + (app * 3 + member) % 60, (app * 7 + member) % 1000);
	memcpy(out, first, 17);
	out[17] = sn_idnum_check_char(first);
	out[18] = '\0';
}

/* Appends application app's ApplicationSubmitted to the events file. */
static void
write_application(FILE *f, int app)
{
	char                        ids[2][19], appid[32], consent[32];
	Sn__Assist__V1__Member      m[2], *mp[2];
	Sn__Assist__V1__Household   h   = SN__ASSIST__V1__HOUSEHOLD__INIT;
	Sn__Assist__V1__Income      inc = SN__ASSIST__V1__INCOME__INIT;
	Sn__Assist__V1__Expenditure exp = SN__ASSIST__V1__EXPENDITURE__INIT;
	Sn__Assist__V1__Consent     c   = SN__ASSIST__V1__CONSENT__INIT;
	Sn__Assist__V1__ApplicationSubmitted a
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	snprintf(appid, sizeof(appid), "app-%d", app);
	snprintf(consent, sizeof(consent), "CONSENT-%d", app);
	for (int i = 0; i < 2; i++) {
		idnum(ids[i], app, i);
		sn__assist__v1__member__init(&m[i]);
		m[i].id_number = ids[i];
		m[i].name      = (char *) (i == 0 ? "Applicant" : "Spouse");
		m[i].relation  = (char *) (i == 0 ? "self" : "spouse");
		mp[i]          = &m[i];
	}
	h.registration    = SN__ASSIST__V1__REGISTRATION__REGISTRATION_URBAN;
	h.district_code   = (char *) "110101";
	h.township_code   = (char *) "110101001";
	h.village_code    = (char *) "110101001001";
	inc.wages_fen     = 250000;
	inc.pensions_fen  = 100000;
	exp.medical_fen   = 30000;
	exp.housing_fen   = 10001;
	c.reference       = consent;
	c.signed_date     = (char *) "2024-03-01";
	a.application_id  = appid;
	a.accepted_date   = (char *) "2024-03-01";
	a.household       = &h;
	a.n_members       = 2;
	a.members         = mp;
	a.declared_income = &inc;
	a.declared_expenditure = &exp;
	a.consent              = &c;
	char line[1 << 14]     = "";
	th_inject_line(line, sizeof(line), "application.submitted", appid,
	    "clerk-1", &a.base);
	fputs(line, f);
}

static void
inject(int napps)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/events.txt", T.run_dir);
	FILE *f = fopen(path, "w");
	TH_CHECK(&T, f != NULL, "cannot write %s", path);
	for (int i = 1; i <= napps; i++)
		write_application(f, i);
	fclose(f);
	const char *argv[]
	    = { SN_INJECT_BIN, "--name", "intake", "--events", path, NULL };
	th_spawn(&T, "intake", SN_INJECT_BIN, argv, NULL);
}

/* Appends approval's ReviewRequested of review_id for application app's
 * household; consent_ref NULL: none on file. */
static void
write_review(FILE *f, int app, const char *review_id, const char *consent_ref,
    const char *signed_on, const char *opened_on)
{
	char                            ids[2][19], appid[32];
	Sn__Assist__V1__Member          m[2], *mp[2];
	Sn__Assist__V1__Household       h = SN__ASSIST__V1__HOUSEHOLD__INIT;
	Sn__Assist__V1__Consent         c = SN__ASSIST__V1__CONSENT__INIT;
	Sn__Assist__V1__ReviewRequested r
	    = SN__ASSIST__V1__REVIEW_REQUESTED__INIT;
	snprintf(appid, sizeof(appid), "app-%d", app);
	for (int i = 0; i < 2; i++) {
		idnum(ids[i], app, i);
		sn__assist__v1__member__init(&m[i]);
		m[i].id_number = ids[i];
		m[i].name      = (char *) (i == 0 ? "Applicant" : "Spouse");
		m[i].relation  = (char *) (i == 0 ? "self" : "spouse");
		mp[i]          = &m[i];
	}
	h.registration   = SN__ASSIST__V1__REGISTRATION__REGISTRATION_URBAN;
	h.district_code  = (char *) "110101";
	h.township_code  = (char *) "110101001";
	h.village_code   = (char *) "110101001001";
	c.reference      = (char *) consent_ref;
	c.signed_date    = (char *) signed_on;
	r.review_id      = (char *) review_id;
	r.beneficiary_id = (char *) "B-1";
	r.application_id = appid;
	r.household      = &h;
	r.n_members      = 2;
	r.members        = mp;
	r.consent        = consent_ref != NULL ? &c : NULL;
	r.reason         = (char *) "periodic";
	r.kind           = SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_PERIODIC;
	r.opened_on      = (char *) opened_on;
	r.deadline_date  = (char *) "2026-03-25";
	/* Application 3's review is a change report's: new expenditure. */
	Sn__Assist__V1__Expenditure exp = SN__ASSIST__V1__EXPENDITURE__INIT;
	exp.medical_fen                 = 30000;
	if (app == 3) {
		r.kind
		    = SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_CHANGE_REPORT;
		r.declared_expenditure = &exp;
	}
	char line[1 << 14] = "";
	th_inject_line(
	    line, sizeof(line), "review.requested", appid, "system", &r.base);
	fputs(line, f);
}

/* Runs sn-inject as approval, publishing what write wrote. */
static void
inject_as_approval(void (*write)(FILE *))
{
	char path[400];
	snprintf(path, sizeof(path), "%s/reviews.txt", T.run_dir);
	FILE *f = fopen(path, "w");
	TH_CHECK(&T, f != NULL, "cannot write %s", path);
	write(f);
	fclose(f);
	const char *argv[]
	    = { SN_INJECT_BIN, "--name", "approval", "--events", path, NULL };
	th_spawn(&T, "approval", SN_INJECT_BIN, argv, NULL);
}

/* The fixture for application 1: exact facts for both members. */
static const char *
write_fixture(void)
{
	static char path[400];
	char        a[19], b[19];
	idnum(a, 1, 0);
	idnum(b, 1, 1);
	snprintf(path, sizeof(path), "%s/fixture.json", T.run_dir);
	FILE *f = fopen(path, "w");
	TH_CHECK(&T, f != NULL, "cannot write the fixture");
	fprintf(f,
	    "{\"%s\": {\"wages_fen\": 250000, \"taxed_income_fen\": 250000,"
	    " \"deposits_fen\": 1000000, \"homes\": 1,"
	    " \"provident_fund_balance_fen\": 9000000,"
	    " \"provident_fund_monthly_fen\": 60000},"
	    " \"%s\": {\"pension_fen\": 120000, \"financial_assets_fen\": "
	    "200000,"
	    " \"exempt_vehicles\": 1, \"businesses\": 1,"
	    " \"business_capital_fen\": 5000000}}",
	    a, b);
	fclose(f);
	return path;
}

/* verification.completed events of app, in sequence order. */
static int
events(const char *app, Sn__Assist__V1__VerificationCompleted **out, int max)
{
	int n = th_rows(&T,
	    "SELECT data FROM %s.outbox WHERE topic = 'verification.completed'"
	    " AND subject = '%s'",
	    th_schema(&T, "verification"), app);
	if (n > max)
		n = max;
	for (int i = 0; i < n; i++) {
		size_t   len;
		uint8_t *data = th_bytes_at(&T, i, &len,
		    "SELECT data FROM %s.outbox WHERE topic ="
		    " 'verification.completed' AND subject = '%s' ORDER BY id",
		    th_schema(&T, "verification"), app);
		TH_CHECK(&T, data != NULL, "event %d has no data", i);
		out[i] = sn__assist__v1__verification_completed__unpack(
		    NULL, len, data);
		free(data);
		TH_CHECK(&T, out[i] != NULL, "an event does not decode");
	}
	return n;
}

static void
wait_events(const char *app, int n, int ms)
{
	if (!th_wait_int(&T, n, ms,
	        "SELECT count(*) FROM %s.outbox WHERE topic ="
	        " 'verification.completed' AND subject = '%s'",
	        th_schema(&T, "verification"), app))
		th_fail(
		    &T, "%s: %d verification.completed not published", app, n);
}

static char *
token(const char *role, const char *juris)
{
	sn_auth *a;
	TH_CHECK(&T, sn_auth_open(&a, KEY) == SN_OK, "auth");
	sn_principal p = { 0 };
	snprintf(p.user, sizeof(p.user), "u-%s", role);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	char *t = NULL;
	TH_CHECK(&T, sn_auth_issue(a, &p, 3600, &t) == SN_OK, "issue");
	sn_auth_close(a);
	return t;
}

static void
all_up(void)
{
	const char *fix = write_fixture();
	char        fixenv[500];
	snprintf(fixenv, sizeof(fixenv), "SN_AGENCY_SIM_FIXTURE=%s", fix);
	const char *simenv[] = { fixenv, NULL };
	start_sim(simenv);
	start_verification(NULL);
	inject(1);
	wait_events("app-1", 1, 60000);

	Sn__Assist__V1__VerificationCompleted *ev[4];
	TH_CHECK(&T, events("app-1", ev, 4) == 1, "more than one event");
	Sn__Assist__V1__VerificationCompleted *e = ev[0];
	TH_CHECK(&T,
	    e->status
	        == SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE,
	    "status %d", e->status);
	TH_CHECK(&T, e->attempt == 1 && e->n_missing_agencies == 0,
	    "attempt %d, %zu missing", e->attempt, e->n_missing_agencies);
	TH_CHECK(&T, strcmp(e->application_id, "app-1") == 0, "application");
	TH_CHECK(&T, e->review_id[0] == '\0',
	    "an application's event names review '%s'", e->review_id);
	const Sn__Assist__V1__HouseholdFacts *f = e->facts;
	TH_CHECK(&T, f != NULL, "no facts");
	/* 2,500 wages + 1,200 pension; provident fund is not income */
	TH_CHECK(&T, f->members == 2 && f->gross_income_fen == 370000,
	    "gross %lld", (long long) f->gross_income_fen);
	TH_CHECK(&T, f->income_per_member_fen == 185000, "G %lld",
	    (long long) f->income_per_member_fen);
	TH_CHECK(&T, f->rigid_expenditure_per_member_fen == 20000, "D %lld",
	    (long long) f->rigid_expenditure_per_member_fen);
	TH_CHECK(&T, f->net_per_member_fen == 165000, "C %lld",
	    (long long) f->net_per_member_fen);
	TH_CHECK(&T,
	    f->financial_assets_fen == 1200000
	        && f->financial_assets_per_member_fen == 600000,
	    "financial assets %lld", (long long) f->financial_assets_fen);
	TH_CHECK(&T,
	    f->homes == 1 && f->vehicles == 0 && f->exempt_vehicles == 1
	        && f->business_capital_fen == 5000000,
	    "assets %d %d %d %lld", f->homes, f->vehicles, f->exempt_vehicles,
	    (long long) f->business_capital_fen);
	TH_CHECK(&T, f->deceased_members == 0 && f->all_registered,
	    "public security");
	TH_CHECK(&T, e->n_discrepancies == 2, "%zu discrepancies",
	    e->n_discrepancies);
	TH_CHECK(&T,
	    strcmp(e->discrepancies[0]->field, "pensions_fen") == 0
	        && e->discrepancies[0]->declared_fen == 100000
	        && e->discrepancies[0]->reported_fen == 120000
	        && strcmp(e->discrepancies[0]->agency, "human_resources") == 0,
	    "pensions discrepancy");
	TH_CHECK(&T,
	    strcmp(e->discrepancies[1]->field, "business_fen") == 0
	        && strcmp(e->discrepancies[1]->agency, "market") == 0,
	    "business discrepancy");
	sn__assist__v1__verification_completed__free_unpacked(e, NULL);

	const char *vs = th_schema(&T, "verification");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.answers WHERE outcome = 'ok'"
	        " AND attempt = 1 AND reply IS NOT NULL",
	        vs)
	        == 8,
	    "not every agency's answer is stored");

	/* The API: roles and jurisdiction. */
	char *tok  = token("township_officer", "110101001");
	char *body = NULL;
	int   st   = th_http(
	        &T, http_port, "GET", "/checks/app-1", tok, NULL, NULL, &body);
	TH_CHECK(&T, st == 200, "GET /checks/app-1: %d %s", st, body);
	json_t *j = json_loads(body, 0, NULL);
	TH_CHECK(&T, j != NULL, "body is not JSON");
	TH_CHECK(&T,
	    strcmp(json_string_value(json_object_get(j, "status")), "complete")
	            == 0
	        && json_integer_value(json_object_get(
	               json_object_get(j, "facts"), "income_per_member_fen"))
	            == 185000
	        && json_array_size(json_object_get(j, "answers")) == 8
	        && json_integer_value(json_object_get(j, "attempts")) == 1,
	    "GET body: %s", body);
	json_decref(j);
	free(body);
	free(tok);
	tok = token("township_officer", "110101002");
	st  = th_http(
	     &T, http_port, "GET", "/checks/app-1", tok, NULL, NULL, NULL);
	TH_CHECK(&T, st == 404, "another township read the check: %d", st);
	free(tok);
	tok = token("clerk", "110101");
	st  = th_http(
	     &T, http_port, "GET", "/checks/app-1", tok, NULL, NULL, NULL);
	TH_CHECK(&T, st == 403, "a clerk read the check: %d", st);
	free(tok);
	st = th_http(
	    &T, http_port, "GET", "/checks/app-1", NULL, NULL, NULL, NULL);
	TH_CHECK(&T, st == 401, "no token: %d", st);
	tok = token("district_admin", "110101");
	st  = th_http(
	     &T, http_port, "GET", "/checks/app-404", tok, NULL, NULL, NULL);
	TH_CHECK(&T, st == 404, "unknown application: %d", st);
	free(tok);
}

static const char *const fast_retry[]
    = { "SN_VERIFICATION_AGENCY_TIMEOUT_MS=300",
	      "SN_VERIFICATION_AGENCY_RETRIES=1",
	      "SN_VERIFICATION_AGENCY_BACKOFF_MS=50",
	      "SN_VERIFICATION_RETRY_MS=1500", NULL };

static void
agency_down(void)
{
	const char *down[] = { "SN_AGENCY_SIM_DOWN_BANKS=1", NULL };
	th_proc    *sim    = start_sim(down);
	start_verification(fast_retry);
	inject(1);
	wait_events("app-1", 1, 60000);
	Sn__Assist__V1__VerificationCompleted *ev[4];
	TH_CHECK(&T, events("app-1", ev, 4) == 1, "events");
	TH_CHECK(&T,
	    ev[0]->status
	            == SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_INCOMPLETE
	        && ev[0]->attempt == 1,
	    "first round: status %d attempt %d", ev[0]->status,
	    ev[0]->attempt);
	TH_CHECK(&T,
	    ev[0]->n_missing_agencies == 1
	        && strcmp(ev[0]->missing_agencies[0], "banks") == 0,
	    "missing agencies");
	TH_CHECK(&T, ev[0]->facts == NULL,
	    "an incomplete verification carries facts (zeros?)");
	sn__assist__v1__verification_completed__free_unpacked(ev[0], NULL);
	const char *vs = th_schema(&T, "verification");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.answers WHERE agency = 'banks'"
	        " AND attempt = 1 AND outcome = 'timeout' AND tries = 2",
	        vs)
	        == 1,
	    "banks' timeout (two tries) not stored");

	/* The agency comes back. */
	th_stop(&T, sim);
	start_sim(NULL);
	wait_events("app-1", 2, 60000);
	TH_CHECK(&T, events("app-1", ev, 4) == 2, "events");
	Sn__Assist__V1__VerificationCompleted *e = ev[1];
	TH_CHECK(&T,
	    e->status
	            == SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE
	        && e->attempt >= 2 && e->n_missing_agencies == 0
	        && e->facts != NULL && e->facts->members == 2,
	    "later round: status %d attempt %d", e->status, e->attempt);
	printf("completed at attempt %d\n", e->attempt);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.answers WHERE attempt > 1"
	        " AND agency <> 'banks'",
	        vs)
	        == 0,
	    "a later round asked agencies that had answered");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.checks WHERE status = 'complete'"
	        " AND next_round_at IS NULL",
	        vs)
	        == 1,
	    "the check is not complete");
	sn__assist__v1__verification_completed__free_unpacked(ev[0], NULL);
	sn__assist__v1__verification_completed__free_unpacked(e, NULL);
}

static void
agency_error(void)
{
	const char *fail[] = { "SN_AGENCY_SIM_FAIL_TAX=1", NULL };
	start_sim(fail);
	start_verification(fast_retry);
	inject(1);
	wait_events("app-1", 1, 60000);
	Sn__Assist__V1__VerificationCompleted *ev[4];
	TH_CHECK(&T, events("app-1", ev, 4) == 1, "events");
	Sn__Assist__V1__VerificationCompleted *e = ev[0];
	TH_CHECK(&T,
	    e->status
	        == SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_INCOMPLETE,
	    "status %d", e->status);
	TH_CHECK(&T,
	    e->n_missing_agencies == 1
	        && strcmp(e->missing_agencies[0], "tax") == 0,
	    "missing agencies");
	TH_CHECK(&T, e->facts == NULL, "facts on an incomplete verification");
	sn__assist__v1__verification_completed__free_unpacked(e, NULL);
	const char *vs = th_schema(&T, "verification");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.answers WHERE agency = 'tax'"
	        " AND outcome = 'error' AND tries = 2"
	        " AND error = 'simulated failure'",
	        vs)
	        == 1,
	    "tax's error not stored");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outcomes WHERE facts IS NULL"
	        " AND status = 'incomplete'",
	        vs)
	        == 1,
	    "the outcome holds facts");
	char *tok  = token("district_officer", "110101");
	char *body = NULL;
	int   st   = th_http(
	        &T, http_port, "GET", "/checks/app-1", tok, NULL, NULL, &body);
	json_t *j = body != NULL ? json_loads(body, 0, NULL) : NULL;
	TH_CHECK(&T,
	    st == 200 && j != NULL && json_is_null(json_object_get(j, "facts"))
	        && strcmp(json_string_value(json_object_get(j, "status")),
	               "incomplete")
	            == 0,
	    "GET: %d %s", st, body);
	json_decref(j);
	free(body);
	free(tok);
}

/* The value of series in agency-sim's /metrics; -1 if absent. */
static long long
sim_metric(const char *series)
{
	char *body = NULL;
	int   st   = th_http(
	        &T, sim_port, "GET", "/metrics", NULL, NULL, NULL, &body);
	TH_CHECK(&T, st == 200, "agency-sim /metrics: %d", st);
	long long v = -1;
	size_t    n = strlen(series);
	for (char *line = body; line != NULL && *line;) {
		char *nl = strchr(line, '\n');
		if (strncmp(line, series, n) == 0 && line[n] == ' ')
			v = strtoll(line + n + 1, NULL, 10);
		line = nl != NULL ? nl + 1 : NULL;
	}
	free(body);
	return v;
}

static void
many_at_once(void)
{
	const char *slow[9];
	char        buf[8][64];
	for (int i = 0; i < 8; i++) {
		snprintf(buf[i], sizeof(buf[i]),
		    "SN_AGENCY_SIM_SLOW_MS_%s=200", agencies[i]);
		slow[i] = buf[i];
	}
	slow[8] = NULL;
	start_sim(slow);
	start_verification(NULL);
	inject(50);
	const char *vs = th_schema(&T, "verification");
	if (!th_wait_int(&T, 50, 120000,
	        "SELECT count(*) FROM %s.outbox WHERE topic ="
	        " 'verification.completed'",
	        vs))
		th_fail(&T, "not every application was verified");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outcomes WHERE status = 'complete'"
	        " AND attempt = 1 AND published",
	        vs)
	        == 50,
	    "not all 50 complete at the first round");
	TH_CHECK(&T,
	    th_int(
	        &T, "SELECT count(DISTINCT application_id) FROM %s.checks", vs)
	        == 50,
	    "checks");
	long long all = sim_metric("sn_agency_sim_inflight_all_max");
	printf(
	    "agency-sim saw at most %lld requests in flight at once\n", all);
	/* One application asks 8 agencies: more than 8 at once means
	 * applications were asked concurrently, not one after another. */
	TH_CHECK(&T, all > 8, "at most %lld requests in flight at once", all);
	for (int i = 0; i < 8; i++) {
		static const char *const names[8] = { "public_security",
			"human_resources", "housing", "vehicles", "market",
			"tax", "banks", "provident_fund" };
		char                     series[128];
		snprintf(series, sizeof(series),
		    "sn_agency_sim_inflight_max{agency=\"%s\"}", names[i]);
		long long m = sim_metric(series);
		TH_CHECK(&T, m > 1, "%s never had two requests at once (%lld)",
		    names[i], m);
	}
}

static void
reviews_fresh(FILE *f)
{
	/* Exactly 12 months: the consent still covers the review. */
	write_review(f, 1, "R-1", "CONSENT-1", "2025-03-10", "2026-03-10");
	write_review(f, 3, "R-3", "CONSENT-3", "2026-01-10", "2026-03-10");
}

/* A review under the consent on file: the agencies are asked and the
 * result names the review. */
static void
review(void)
{
	const char *fix = write_fixture();
	char        fixenv[500];
	snprintf(fixenv, sizeof(fixenv), "SN_AGENCY_SIM_FIXTURE=%s", fix);
	const char *simenv[] = { fixenv, NULL };
	start_sim(simenv);
	start_verification(NULL);
	inject_as_approval(reviews_fresh);
	wait_events("app-1", 1, 60000);
	Sn__Assist__V1__VerificationCompleted *ev[4];
	TH_CHECK(&T, events("app-1", ev, 4) == 1, "more than one event");
	Sn__Assist__V1__VerificationCompleted *e = ev[0];
	TH_CHECK(&T,
	    e->status
	            == SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE
	        && e->attempt == 1 && e->facts != NULL
	        && e->facts->members == 2,
	    "the review's check: status %d attempt %d", e->status, e->attempt);
	TH_CHECK(&T, strcmp(e->review_id, "R-1") == 0,
	    "the event names review '%s', not R-1", e->review_id);
	/* A periodic review carries no declaration: nothing is compared,
	 * and no expenditure is deducted. */
	TH_CHECK(&T, e->n_discrepancies == 0, "%zu discrepancies",
	    e->n_discrepancies);
	TH_CHECK(&T, e->facts->rigid_expenditure_per_member_fen == 0,
	    "D %lld at a periodic review",
	    (long long) e->facts->rigid_expenditure_per_member_fen);
	sn__assist__v1__verification_completed__free_unpacked(e, NULL);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.answers a JOIN %s.checks c"
	        " USING (check_id) WHERE a.outcome = 'ok' AND a.attempt = 1"
	        " AND c.review_id = 'R-1'",
	        th_schema(&T, "verification"), th_schema(&T, "verification"))
	        == 8,
	    "not every agency was asked for the review");

	/* A change report's review carries the new expenditure: D. */
	wait_events("app-3", 1, 60000);
	TH_CHECK(&T, events("app-3", ev, 4) == 1, "app-3: not one event");
	e = ev[0];
	TH_CHECK(&T,
	    e->status
	            == SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE
	        && strcmp(e->review_id, "R-3") == 0 && e->facts != NULL
	        && e->facts->rigid_expenditure_per_member_fen == 15000
	        && e->facts->net_per_member_fen
	            == e->facts->income_per_member_fen - 15000,
	    "R-3: status %d review %s D %lld", e->status, e->review_id,
	    e->facts != NULL
	        ? (long long) e->facts->rigid_expenditure_per_member_fen
	        : -1LL);
	sn__assist__v1__verification_completed__free_unpacked(e, NULL);
	printf("ok: a change report's review deducts its expenditure\n");
	printf("ok: a review under its consent -> COMPLETE naming R-1\n");
}

static void
reviews_stale(FILE *f)
{
	/* 12 months and a day: expired. */
	write_review(f, 1, "R-1", "CONSENT-1", "2025-03-10", "2026-03-11");
	write_review(f, 2, "R-2", NULL, NULL, "2026-03-11");
}

/* The unasked review's event and check: INCOMPLETE, every agency
 * missing, no facts, reason shown. */
static void
expect_unasked(const char *app, const char *review_id, const char *reason)
{
	Sn__Assist__V1__VerificationCompleted *ev[4];
	TH_CHECK(&T, events(app, ev, 4) == 1, "%s: not one event", app);
	Sn__Assist__V1__VerificationCompleted *e = ev[0];
	TH_CHECK(&T,
	    e->status
	            == SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_INCOMPLETE
	        && e->attempt == 1 && e->n_missing_agencies == 8
	        && e->facts == NULL,
	    "%s: status %d attempt %d, %zu missing, facts %p", app, e->status,
	    e->attempt, e->n_missing_agencies, (void *) e->facts);
	TH_CHECK(&T, strcmp(e->review_id, review_id) == 0,
	    "%s: the event names review '%s'", app, e->review_id);
	sn__assist__v1__verification_completed__free_unpacked(e, NULL);

	char *tok  = token("district_officer", "110101");
	char *body = NULL;
	char  path[64];
	snprintf(path, sizeof(path), "/checks/%s", app);
	int st = th_http(&T, http_port, "GET", path, tok, NULL, NULL, &body);
	json_t     *j   = body != NULL ? json_loads(body, 0, NULL) : NULL;
	const char *got = json_string_value(json_object_get(j, "reason"));
	TH_CHECK(&T,
	    st == 200 && json_is_null(json_object_get(j, "facts"))
	        && strcmp(json_string_value(json_object_get(j, "status")),
	               "incomplete")
	            == 0
	        && strcmp(json_string_value(json_object_get(j, "review_id")),
	               review_id)
	            == 0
	        && got != NULL && strstr(got, reason) != NULL,
	    "GET %s: %d %s", path, st, body);
	json_decref(j);
	free(body);
	free(tok);
}

/* A review whose consent expired, and one with none: no agency asked,
 * never zero income. */
static void
review_expired(void)
{
	start_sim(NULL);
	start_verification(NULL);
	inject_as_approval(reviews_stale);
	wait_events("app-1", 1, 60000);
	wait_events("app-2", 1, 60000);
	expect_unasked("app-1", "R-1", "consent on file expired");
	expect_unasked("app-2", "R-2", "no consent on file");
	const char *vs = th_schema(&T, "verification");
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.answers", vs) == 0,
	    "an agency answer is stored for an unasked review");
	/* Give a wrongly started round time to reach agency-sim. */
	th_sleep_ms(500);
	long long asked = sim_metric("sn_agency_sim_inflight_all_max");
	TH_CHECK(&T, asked == 0, "agency-sim was asked (%lld at once)", asked);
	printf("ok: expired or missing consent -> INCOMPLETE, no agency "
	       "asked\n");
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr,
		    "usage: %s all_up|agency_down|agency_error|"
		    "many_at_once|review|review_expired\n",
		    argv[0]);
		return 2;
	}
	th_init(&T, argv[1]);
	common_setup();
	if (strcmp(argv[1], "all_up") == 0)
		all_up();
	else if (strcmp(argv[1], "agency_down") == 0)
		agency_down();
	else if (strcmp(argv[1], "agency_error") == 0)
		agency_error();
	else if (strcmp(argv[1], "many_at_once") == 0)
		many_at_once();
	else if (strcmp(argv[1], "review") == 0)
		review();
	else if (strcmp(argv[1], "review_expired") == 0)
		review_expired();
	else
		th_fail(&T, "unknown scenario %s", argv[1]);
	th_fini(&T);
	printf("PASS %s\n", argv[1]);
	return 0;
}
