/*
 * e2e.c - the end-to-end tests' shared helpers (e2e.h).
 */
#include "e2e.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/idnum.h"

#ifndef BIN_DIR
#define BIN_DIR "."
#endif
#ifndef SN_FUNDS_JSON
#define SN_FUNDS_JSON "funds.json"
#endif

th  T;
int P_INTAKE, P_VERIF, P_INVEST, P_APPROVAL, P_DISB, P_BANK, P_EMERG;
int P_AGENCY;
int P_SUPER;
int P_SERVICES;

static sn_auth *auth;
static int      keyseq;
static char     fixture[600];
static bool     test_clock;
static int64_t  shift_s;

static const char *AGENCIES[] = { "PUBLIC_SECURITY", "HUMAN_RESOURCES",
	"HOUSING", "VEHICLES", "MARKET", "TAX", "BANKS", "PROVIDENT_FUND" };

/* What e2e_restart needs to start a service again. */
typedef struct started {
	char        name[32];
	int         port;
	const char *extra[8];
	const char *down;
	th_proc    *proc;
	/* The clock shift it was last started with; own_clock: that shift
	 * is its own (pay_clock), not the test's. */
	int64_t shift;
	bool    own_clock;
} started;

static started running[16];
static int     nrunning;

/* The bank: bank-sim and bank-gateway (tests/support/bank.h). */
static th_bank bank;

/* The CA of every certificate of the test (th_tls_make_ca). */
#define CA "e2e"

void
e2e_setup(void)
{
	static const char *const pubs[] = { "intake", "verification",
		"investigation", "approval", "emergency", "disbursement",
		"identity", "supervision", "services" };
	for (size_t i = 0; i < sizeof(pubs) / sizeof(pubs[0]); i++)
		th_publisher(&T, pubs[i]);
	TH_CHECK(
	    &T, sn_auth_open(&auth, th_token_private_pem) == SN_OK, "auth");
	snprintf(fixture, sizeof(fixture), "%s/fixture.json", T.run_dir);
	P_INTAKE   = th_free_port();
	P_VERIF    = th_free_port();
	P_INVEST   = th_free_port();
	P_APPROVAL = th_free_port();
	P_DISB     = th_free_port();
	P_BANK     = th_free_port();
	P_EMERG    = th_free_port();
	P_AGENCY   = th_free_port();
	P_SUPER    = th_free_port();
	P_SERVICES = th_free_port();
	/* Every API is HTTPS, as in the local run: a certificate of our
	 * CA per service (tls_env), and the test's own calls trust it. */
	th_tls_make_ca(&T, CA);
	static char ca_file[300];
	snprintf(ca_file, sizeof(ca_file), "%s/%s-ca.pem", T.run_dir, CA);
	TH_CHECK(&T, setenv("SN_CLIENT_CA_FILE", ca_file, 1) == 0, "setenv");
	memset(&bank, 0, sizeof(bank));
	bank.sim_bin  = BIN_DIR "/bank-sim/bank-sim";
	bank.gw_bin   = BIN_DIR "/bank-gateway/bank-gateway";
	bank.ca       = CA;
	bank.sim_port = P_BANK;
	/* known before the gateway starts: disbursement may start first */
	snprintf(bank.url, sizeof(bank.url), "ipc://%s/bank.ipc", T.run_dir);
	nrunning   = 0;
	test_clock = false;
	shift_s    = 0;
	keyseq     = 0;
}

void
e2e_done(void)
{
	sn_auth_close(auth);
	auth = NULL;
}

const char *
e2e_fixture_path(void)
{
	return fixture;
}

void
e2e_fixture_write(json_t *fx)
{
	TH_CHECK(&T, json_dump_file(fx, fixture, 0) == 0, "fixture");
}

void
e2e_idnum(char out[19], const char *first17)
{
	memcpy(out, first17, 17);
	out[17] = sn_idnum_check_char(first17);
	out[18] = '\0';
}

static char *
issue(const char *user, const char *role, const char *juris, const char *idn,
    const char *unit)
{
	sn_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	if (idn != NULL)
		snprintf(p.id_number, sizeof(p.id_number), "%s", idn);
	if (unit != NULL)
		snprintf(p.unit, sizeof(p.unit), "%s", unit);
	char *tok = NULL;
	TH_CHECK(&T, sn_auth_issue(auth, &p, 3600, &tok) == SN_OK,
	    "cannot issue a token for %s", user);
	return tok;
}

char *
e2e_token(
    const char *user, const char *role, const char *juris, const char *idn)
{
	return issue(user, role, juris, idn, NULL);
}

char *
e2e_token_unit(
    const char *user, const char *role, const char *juris, const char *unit)
{
	return issue(user, role, juris, NULL, unit);
}

int
e2e_call(int port, const char *method, const char *path, const char *tok,
    const char *body, json_t **out)
{
	char key[32];
	snprintf(key, sizeof(key), "e2e-%d", ++keyseq);
	char *resp = NULL;
	int   st   = th_http(&T, port, method, path, tok,
            strcmp(method, "GET") == 0 ? NULL : key, body, &resp);
	if (out != NULL)
		*out = resp ? json_loads(resp, 0, NULL) : NULL;
	free(resp);
	return st;
}

const char *
e2e_jstr(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

int64_t
e2e_jint(json_t *j, const char *key)
{
	return (int64_t) json_integer_value(json_object_get(j, key));
}

/* ---- the clock ---------------------------------------------------------
 */

void
e2e_clock_shift(int64_t s)
{
	test_clock = true;
	shift_s    = s;
	sn_clock_set(SN_CLOCK_DEFAULT_OFFSET_MIN, s);
}

int64_t
e2e_shift_to(const char *day)
{
	sn_date d;
	TH_CHECK(&T, sn_date_parse(day, &d) == SN_OK, "bad day %s", day);
	/* noon in the district is 04:00 UTC */
	int64_t target = sn_date_to_days(d) * 86400 + 4 * 3600;
	return target - (int64_t) time(NULL);
}

const char *
e2e_today(void)
{
	static char buf[SN_DATE_STRLEN];
	return sn_date_format(sn_clock_today(), buf);
}

/* ---- processes ---------------------------------------------------------
 */

/* The settings of one process being started: "KEY=VALUE" strings in
 * buf, pointers in env (NULL-ended by done). */
typedef struct settings {
	char       *buf;
	size_t      cap, used;
	const char *env[48];
	int         n;
} settings;

/* One of 16 buffers taken in turn (a process's settings are copied at
 * its fork; they need not outlive th_spawn). */
static settings
settings_new(void)
{
	static char bufs[16][8192];
	static int  gen;
	settings    e = { .buf = bufs[gen++ % 16], .cap = sizeof(bufs[0]) };
	return e;
}

static void add(settings *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add(settings *e, const char *fmt, ...)
{
	TH_CHECK(&T, e->n < 47, "too many settings");
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(e->buf + e->used, e->cap - e->used, fmt, ap);
	va_end(ap);
	TH_CHECK(&T, w >= 0 && (size_t) w < e->cap - e->used,
	    "the settings do not fit");
	e->env[e->n++] = e->buf + e->used;
	e->used += (size_t) w + 1;
}

static const char *const *
done(settings *e)
{
	e->env[e->n] = NULL;
	return e->env;
}

/* The certificate of name (made once: CN and DNS name `name`, signed by
 * our CA), its key and our CA: the service serves HTTPS with them. */
static void
tls_env(settings *e, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.pem", T.run_dir, name);
	if (access(path, R_OK) != 0)
		th_tls_make_cert(&T, CA, name, name);
	add(e, "SN_TLS_CERT_FILE=%s/%s.pem", T.run_dir, name);
	add(e, "SN_TLS_KEY_FILE=%s/%s.key", T.run_dir, name);
	add(e, "SN_TLS_CA_FILE=%s/%s-ca.pem", T.run_dir, CA);
}

/* The district clock of a process shifted by shift (none before the
 * first e2e_clock_shift). */
static void
clock_env(settings *e, int64_t shift)
{
	if (test_clock || shift != 0) {
		add(e, "SN_TEST_CLOCK=1");
		add(e, "SN_CLOCK_OFFSET_S=%lld", (long long) shift);
	}
}

/* The eight agencies' endpoints (agency-sim listens, verification dials),
 * the clock and the certificate of name. */
static void
common_env(settings *e, const char *name, int64_t shift)
{
	for (int i = 0; i < 8; i++)
		add(e, "SN_AGENCY_%s_URL=ipc://%s/agency-%d.rep", AGENCIES[i],
		    T.run_dir, i);
	clock_env(e, shift);
	tls_env(e, name);
}

static started *
remember(const char *name)
{
	for (int i = 0; i < nrunning; i++)
		if (strcmp(running[i].name, name) == 0)
			return &running[i];
	TH_CHECK(&T, nrunning < 16, "too many services");
	started *s = &running[nrunning++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

th_proc *
e2e_start_agency_sim(const char *down)
{
	settings e = settings_new();
	common_env(&e, "agency-sim", shift_s);
	add(&e, "SN_AGENCY_SIM_FIXTURE=%s", fixture);
	if (down != NULL)
		add(&e, "%s", down);
	add(&e, "SN_HTTP_PORT=%d", P_AGENCY);
	const char *argv[] = { BIN_DIR "/agency-sim/agency-sim", NULL };
	started    *s      = remember("agency-sim");
	s->down            = down;
	s->proc = th_spawn(&T, "agency-sim", argv[0], argv, done(&e));
	/* ready once its notices are read back (none is a test's own) */
	TH_CHECK(&T, th_wait_ready(&T, P_AGENCY, E2E_WAIT_MS),
	    "agency-sim never ready");
	return s->proc;
}

/* The service answers its part of the contract and names its build. */
static void
check_contract(const char *name, int port)
{
	char *doc = NULL, title[96];
	int   st  = th_http(
	       &T, port, "GET", "/openapi.yaml", NULL, NULL, NULL, &doc);
	snprintf(title, sizeof(title), "title: safetynet (%s)", name);
	TH_CHECK(&T,
	    st == 200 && doc != NULL && strstr(doc, "openapi: 3") != NULL
	        && strstr(doc, title) != NULL,
	    "%s: GET /openapi.yaml answered %d without its own part", name,
	    st);
	free(doc);
	char build[128];
	snprintf(build, sizeof(build),
	    "sn_build_info{service=\"%s\",version=", name);
	st = th_http(&T, port, "GET", "/metrics", NULL, NULL, NULL, &doc);
	TH_CHECK(&T, st == 200 && doc != NULL && strstr(doc, build) != NULL,
	    "%s: /metrics has no sn_build_info", name);
	free(doc);
}

void
e2e_spawn_service(const char *name, int port, const char *const *extra)
{
	TH_CHECK(&T,
	    strcmp(name, "bank-sim") != 0 && strcmp(name, "bank-gateway") != 0,
	    "%s: the bank starts with e2e_start_bank", name);
	settings e = settings_new();
	started *s = remember(name);
	if (!s->own_clock)
		s->shift = test_clock ? shift_s : 0;
	common_env(&e, name, s->shift);
	add(&e, "SN_HTTP_PORT=%d", port);
	add(&e, "SN_VERIFICATION_AGENCY_TIMEOUT_MS=300");
	add(&e, "SN_VERIFICATION_AGENCY_RETRIES=1");
	add(&e, "SN_VERIFICATION_AGENCY_BACKOFF_MS=50");
	add(&e, "SN_VERIFICATION_RETRY_MS=500");
	add(&e, "SN_VERIFICATION_SCAN_MS=100");
	add(&e, "SN_BUS_HEARTBEAT_MS=200");
	/* the bank's end for disbursement: bank-gateway (e2e_start_bank) */
	if (strcmp(name, "disbursement") == 0)
		add(&e, "SN_BANK_URL=%s", bank.url);
	s->port = port;
	for (int i = 0; extra != NULL && extra[i] != NULL && i < 7; i++) {
		s->extra[i] = extra[i];
		add(&e, "%s", extra[i]);
	}
	char bin[512];
	snprintf(bin, sizeof(bin), "%s/%s/%s", BIN_DIR, name, name);
	const char *argv[] = { bin, NULL };
	s->proc            = th_spawn(&T, name, bin, argv, done(&e));
}

void
e2e_ready(const char *name)
{
	started *s = remember(name);
	TH_CHECK(&T, s->proc != NULL && s->port != 0, "%s: no service", name);
	TH_CHECK(&T, th_wait_ready(&T, s->port, E2E_WAIT_MS), "%s never ready",
	    name);
	check_contract(name, s->port);
}

void
e2e_start_bank(const char *const *sim_env)
{
	TH_CHECK(&T, bank.sim == NULL, "the bank is started once");
	th_bank_certs(&T, &bank);
	int n = 0;
	for (; sim_env != NULL && sim_env[n] != NULL; n++) {
		TH_CHECK(&T, n < 12, "too many bank-sim settings");
		bank.sim_env[n] = sim_env[n];
	}
	/* the test's clock now, as the services started with it */
	int g = 0;
	if (test_clock) {
		const char *shift = th_bank_kept(
		    &T, &bank, "SN_CLOCK_OFFSET_S=%lld", (long long) shift_s);
		bank.sim_env[n++] = bank.gw_env[g++] = "SN_TEST_CLOCK=1";
		bank.sim_env[n++] = bank.gw_env[g++] = shift;
	}
	/* the funds' accounts that e2e_credit_lines reads back */
	bank.gw_env[g++] = th_bank_kept(
	    &T, &bank, "SN_BANK_GATEWAY_FUNDS=%s", SN_FUNDS_JSON);
	th_bank_start(&T, &bank);
	check_contract("bank-sim", bank.sim_port);
	check_contract("bank-gateway", bank.gw_port);
}

void
e2e_start_services(const char *const *names, const int *ports, size_t n,
    const char *const *const *extra)
{
	for (size_t i = 0; i < n; i++)
		e2e_spawn_service(
		    names[i], ports[i], extra != NULL ? extra[i] : NULL);
	for (size_t i = 0; i < n; i++)
		e2e_ready(names[i]);
}

void
e2e_start_service(const char *name, int port, const char *const *extra)
{
	e2e_spawn_service(name, port, extra);
	e2e_ready(name);
}

th_proc *
e2e_proc(const char *name)
{
	if (strcmp(name, "bank-sim") == 0)
		return bank.sim;
	if (strcmp(name, "bank-gateway") == 0)
		return bank.gw;
	return remember(name)->proc;
}

int
e2e_port(const char *name)
{
	if (strcmp(name, "bank-sim") == 0)
		return bank.sim_port;
	if (strcmp(name, "bank-gateway") == 0)
		return bank.gw_port;
	return remember(name)->port;
}

void
e2e_restart(const char *const *names)
{
	for (int i = 0; names[i] != NULL; i++) {
		started *s = remember(names[i]);
		TH_CHECK(
		    &T, s->proc != NULL, "%s was never started", names[i]);
		th_stop(&T, s->proc);
	}
	for (int i = 0; names[i] != NULL; i++) {
		started *s = remember(names[i]);
		if (strcmp(names[i], "agency-sim") == 0) {
			e2e_start_agency_sim(s->down);
			continue;
		}
		const char *extra[8];
		memcpy(extra, s->extra, sizeof(extra));
		s->own_clock = false; /* the test's clock again */
		e2e_spawn_service(s->name, s->port, extra);
	}
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], "agency-sim") != 0)
			e2e_ready(names[i]);
}

/* The district's month of a process whose clock is shifted by shift. */
static sn_month
month_at(int64_t shift)
{
	int64_t now = (int64_t) time(NULL) + shift
	    + (int64_t) SN_CLOCK_DEFAULT_OFFSET_MIN * 60;
	return sn_date_month(sn_date_from_days(now / 86400));
}

/*
 * disbursement takes a run for its current or next month only (issue 10):
 * a test paying months ahead of its clock moves disbursement's clock
 * alone to the 10th of the month before the period (killing it and
 * starting it again), and
 * leaves every other service's, and the test's, as they are. Forward
 * only: a period within reach changes nothing.
 */
static void
pay_clock(const char *period)
{
	started *s = remember("disbursement");
	sn_month p;
	TH_CHECK(&T, sn_month_parse(period, &p) == SN_OK, "period %s", period);
	sn_month now = month_at(s->shift); /* the clock it was started with */
	if (sn_month_diff(now, p) <= 1)    /* p - now */
		return;
	char    day[SN_DATE_STRLEN];
	sn_date d = sn_month_first(sn_month_add(p, -1));
	d.day     = 10;
	sn_date_format(d, day);
	/* SIGKILL, not SIGTERM: what was done is in its tables and outbox
	 * (nothing lost, nothing twice), and a drained shutdown per month
	 * would only multiply nng 1.5.2's rare leak of a closing listener
	 * (README notes), which the test's last SIGTERM still checks for. */
	th_kill(&T, s->proc, SIGKILL);
	s->own_clock = true;
	s->shift     = e2e_shift_to(day);
	const char *extra[8];
	memcpy(extra, s->extra, sizeof(extra));
	e2e_spawn_service(s->name, s->port, extra);
	e2e_ready(s->name);
}

void
e2e_kill_restart(const char *name)
{
	started *s = remember(name);
	TH_CHECK(&T, s->proc != NULL && strcmp(name, "agency-sim") != 0,
	    "%s was never started as a service", name);
	th_kill(&T, s->proc, SIGKILL);
	const char *extra[8];
	memcpy(extra, s->extra, sizeof(extra));
	e2e_spawn_service(s->name, s->port, extra);
	e2e_ready(name);
}

const char *
e2e_token_key(void)
{
	return th_token_private_pem;
}

/* ---- cases ------------------------------------------------------------- */

json_t *
e2e_wait_stage(const char *id, const char *stage)
{
	char *tok
	    = e2e_token("watcher", "district_officer", E2E_DISTRICT, NULL);
	char    path[160];
	json_t *c = NULL;
	snprintf(path, sizeof(path), "/cases/%s", id);
	uint64_t end = th_now_ms() + E2E_WAIT_MS;
	while (th_now_ms() < end) {
		json_decref(c);
		c = NULL;
		if (e2e_call(P_APPROVAL, "GET", path, tok, NULL, &c) == 200
		    && e2e_jstr(c, "stage") != NULL
		    && strcmp(e2e_jstr(c, "stage"), stage) == 0)
			break;
		th_sleep_ms(50);
	}
	free(tok);
	const char *got = c ? e2e_jstr(c, "stage") : NULL;
	TH_CHECK(&T, got != NULL && strcmp(got, stage) == 0,
	    "case %s at %s, want %s", id, got ? got : "(none)", stage);
	return c;
}

int
e2e_step(const char *id, const char *step, const char *tok, const char *body,
    json_t **out)
{
	char path[200];
	snprintf(path, sizeof(path), "/cases/%s/%s", id, step);
	return e2e_call(P_APPROVAL, "POST", path, tok, body, out);
}

/* The open task whose key is id, polled for; the caller frees it. */
json_t *
e2e_items(json_t *j, const char *legacy_key)
{
	json_t *items = json_object_get(j, "items");
	return items != NULL ? items : json_object_get(j, legacy_key);
}

static json_t *
find_task(const char *tok, const char *key, const char *id)
{
	char path[128];
	snprintf(path, sizeof(path), "/tasks?village=%s", E2E_VILLAGE);
	json_t  *task = NULL;
	uint64_t end  = th_now_ms() + E2E_WAIT_MS;
	while (th_now_ms() < end && task == NULL) {
		json_t *out = NULL;
		if (e2e_call(P_INVEST, "GET", path, tok, NULL, &out) == 200) {
			size_t  i;
			json_t *t;
			json_array_foreach(e2e_items(out, "tasks"), i, t)
			{
				const char *v = e2e_jstr(t, key);
				if (v != NULL && strcmp(v, id) == 0)
					task = json_incref(t);
			}
		}
		json_decref(out);
		if (task == NULL)
			th_sleep_ms(50);
	}
	TH_CHECK(&T, task != NULL, "no home-visit task with %s %s", key, id);
	return task;
}

char *
e2e_take_in(const char *clerk_user, const e2e_household *h, char accepted[16])
{
	char   *clerk   = e2e_token(clerk_user, "clerk", E2E_TOWNSHIP, NULL);
	json_t *members = json_array();
	for (size_t i = 0; i < h->n; i++) {
		const e2e_member *m = &h->members[i];
		json_array_append_new(members,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
		        "id_number", m->id_number, "name", m->name, "relation",
		        m->relation, "birth_date", m->birth_date,
		        "labour_capacity", m->labour_capacity,
		        "disability_grade", m->disability_grade, "self_care",
		        "able"));
	}
	json_t *a = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:b}, s:o,"
	                      " s:{s:I, s:I, s:I, s:I},"
	                      " s:{s:I, s:I, s:I, s:I}, s:{s:s, s:s},"
	                      " s:{s:s, s:s, s:s}}",
	    "household", "registration",
	    h->registration != NULL ? h->registration : "rural",
	    "district_code", E2E_DISTRICT, "township_code", E2E_TOWNSHIP,
	    "village_code", E2E_VILLAGE, "address", h->address,
	    "has_able_supporter", 0, "members", members, "declared_income",
	    "wages_fen", (json_int_t) h->wages_fen, "business_fen",
	    (json_int_t) 0, "pensions_fen", (json_int_t) 0, "other_fen",
	    (json_int_t) 0, "declared_expenditure", "medical_fen",
	    (json_int_t) h->medical_fen, "education_fen", (json_int_t) 0,
	    "housing_fen", (json_int_t) 0, "employment_costs_fen",
	    (json_int_t) 0, "consent", "reference", h->consent, "signed_date",
	    h->signed_date != NULL ? h->signed_date : "2026-11-01", "payee",
	    "bank_code", "RCB", "account_number", h->account, "account_name",
	    h->account_name);
	if (a == NULL)
		th_fail(&T, "the application of %s does not pack", h->address);
	char   *body = json_dumps(a, JSON_COMPACT);
	json_t *out  = NULL;
	int     st
	    = e2e_call(P_INTAKE, "POST", "/applications", clerk, body, &out);
	TH_CHECK(&T, st == 201 && e2e_jstr(out, "application_id") != NULL,
	    "submission: %d %s", st,
	    e2e_jstr(json_object_get(out, "error"), "message"));
	char *id = strdup(e2e_jstr(out, "application_id"));
	snprintf(accepted, 16, "%s", e2e_jstr(out, "accepted_date"));
	json_decref(out);
	json_decref(a);
	free(body);
	free(clerk);
	return id;
}

void
e2e_investigate(const char *key, const char *id, const char *absent,
    const char *visit_date)
{
	char ida[19], idb[19];
	e2e_idnum(ida, "11010519800101001");
	e2e_idnum(idb, "11010519800101002");
	char   *tok     = e2e_token("inv-a", "investigator", E2E_VILLAGE, ida);
	json_t *task    = find_task(tok, key, id);
	json_t *members = json_array();
	size_t  i;
	json_t *m;
	json_array_foreach(json_object_get(task, "members"), i, m)
	{
		const char *idn = e2e_jstr(m, "id_number");
		json_array_append_new(members,
		    json_pack("{s:s, s:b}", "id_number", idn, "present",
		        absent == NULL || strcmp(idn, absent) != 0));
	}
	json_t *report = json_pack(
	    "{s:[{s:s, s:s}, {s:s, s:s}], s:s, s:o, s:s, s:s, s:[], s:s}",
	    "investigators", "user_id", "inv-a", "id_number", ida, "user_id",
	    "inv-b", "id_number", idb, "visit_date", visit_date, "members",
	    members, "living_conditions", "poor", "housing_condition",
	    "old brick house", "contradictions", "recommendation", "approve");
	char *body = json_dumps(report, JSON_COMPACT);
	char  path[128];
	snprintf(path, sizeof(path), "/tasks/%s/report", e2e_jstr(task, "id"));
	json_t *ans = NULL;
	int     st  = e2e_call(P_INVEST, "POST", path, tok, body, &ans);
	char   *why = ans ? json_dumps(ans, 0) : NULL;
	TH_CHECK(&T, st == 201, "report of %s: %d %s", id, st, why ? why : "");
	free(why);
	json_decref(ans);
	json_decref(report);
	json_decref(task);
	free(body);
	free(tok);
}

/* ---- payments ---------------------------------------------------------- */

void
e2e_caught_up(const char *consumer, const char *publisher)
{
	if (!th_wait_int(&T, 1, E2E_WAIT_MS,
	        "SELECT count(*) FROM %s.bus_cursor WHERE publisher = '%s'"
	        " AND last_seq >= (SELECT coalesce(max(seq), 0) FROM"
	        " %s.outbox)",
	        th_schema(&T, consumer), publisher, th_schema(&T, publisher)))
		th_fail(&T, "%s never caught up with %s", consumer, publisher);
}

void
e2e_budget(const char *fund, int year, int64_t amount_fen)
{
	char *fin = e2e_token("finance-1", "finance", E2E_DISTRICT, NULL);
	char  body[160];
	snprintf(body, sizeof(body),
	    "{\"fund\":\"%s\",\"year\":%d,\"amount_fen\":%lld}", fund, year,
	    (long long) amount_fen);
	int st = e2e_call(P_DISB, "POST", "/budgets", fin, body, NULL);
	TH_CHECK(&T, st == 201, "budget %s %d: %d", fund, year, st);
	free(fin);
}

/* Polls GET path (a run) until its status is want. */
static void
wait_run(const char *path, const char *tok, const char *want)
{
	const char *st  = NULL;
	json_t     *r   = NULL;
	uint64_t    end = th_now_ms() + E2E_WAIT_MS;
	while (th_now_ms() < end) {
		json_decref(r);
		r = NULL;
		if (e2e_call(P_DISB, "GET", path, tok, NULL, &r) == 200
		    && (st = e2e_jstr(r, "status")) != NULL
		    && strcmp(st, want) == 0)
			break;
		st = NULL;
		th_sleep_ms(50);
	}
	TH_CHECK(&T, st != NULL, "the run %s never reached %s", path, want);
	json_decref(r);
}

char *
e2e_pay_month(const char *period)
{
	pay_clock(period);
	e2e_caught_up("disbursement", "approval");
	char *fin = e2e_token("finance-1", "finance", E2E_DISTRICT, NULL);
	char *apr
	    = e2e_token("approver-1", "finance_approver", E2E_DISTRICT, NULL);
	char    body[64];
	json_t *r = NULL;
	snprintf(body, sizeof(body), "{\"period\":\"%s\"}", period);
	int st = e2e_call(P_DISB, "POST", "/runs", fin, body, &r);
	if (st != 202 || e2e_jstr(r, "id") == NULL) {
		char *why = r != NULL ? json_dumps(r, JSON_COMPACT) : NULL;
		th_fail(&T, "start the run of %s: %d %s", period, st,
		    why != NULL ? why : "");
	}
	char *id = strdup(e2e_jstr(r, "id"));
	json_decref(r);
	char path[128], apath[160];
	snprintf(path, sizeof(path), "/runs/%s", id);
	wait_run(path, fin, "awaiting_approval");
	snprintf(apath, sizeof(apath), "%s/approval", path);
	st = e2e_call(
	    P_DISB, "POST", apath, apr, "{\"decision\":\"approve\"}", NULL);
	TH_CHECK(&T, st == 200, "approve the run of %s: %d", period, st);
	wait_run(path, fin, "completed");
	free(fin);
	free(apr);
	return id;
}

int64_t
e2e_credited(const char *account)
{
	char    path[128];
	json_t *out = NULL;
	snprintf(path, sizeof(path), "/accounts/%s/credits", account);
	int64_t total = -1;
	if (e2e_call(P_BANK, "GET", path, NULL, NULL, &out) == 200)
		total = e2e_jint(out, "total_fen");
	json_decref(out);
	return total;
}

/* The fund whose purpose text (bank-gateway's SN_BANK_GATEWAY_FUNDS,
 * the remittance's words after the month) is purpose; the test fails
 * when none is. Static. */
static const char *
fund_of(const char *purpose)
{
	static char  fund[32];
	json_error_t err;
	json_t      *all = json_load_file(SN_FUNDS_JSON, 0, &err);
	json_t      *f;
	size_t       i;
	TH_CHECK(&T, all != NULL, "%s: %s", SN_FUNDS_JSON, err.text);
	fund[0] = '\0';
	json_array_foreach(json_object_get(all, "funds"), i, f)
	{
		const char *p = e2e_jstr(f, "purpose");
		const char *w = e2e_jstr(f, "fund");
		if (p != NULL && w != NULL && strcmp(p, purpose) == 0)
			snprintf(fund, sizeof(fund), "%s", w);
	}
	json_decref(all);
	TH_CHECK(&T, fund[0] != '\0', "no fund pays for \"%s\"", purpose);
	return fund;
}

static int
by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

char *
e2e_credit_lines(const char *account)
{
	char    path[128];
	json_t *out = NULL;
	/* one page: a test's account has far fewer credits than 1,000 */
	snprintf(
	    path, sizeof(path), "/accounts/%s/credits?limit=1000", account);
	int st = e2e_call(P_BANK, "GET", path, NULL, NULL, &out);
	TH_CHECK(&T, st == 200, "bank-sim credits of %s: %d", account, st);
	TH_CHECK(&T, json_is_null(json_object_get(out, "next")),
	    "more than 1,000 credits to %s", account);
	json_t *cs    = e2e_items(out, "credits");
	size_t  n     = json_array_size(cs);
	char  **lines = calloc(n + 1, sizeof(char *));
	size_t  len   = 1;
	for (size_t i = 0; i < n; i++) {
		json_t     *c    = json_array_get(cs, i);
		const char *info = e2e_jstr(c, "remittance_info");
		int         y = 0, m = 0, end = 0;
		/* bank-gateway's RmtInf/Ustrd: "2027年1月 最低生活保障金" */
		if (info == NULL
		    || sscanf(info, "%d年%d月 %n", &y, &m, &end) != 2
		    || end == 0)
			th_fail(&T,
			    "a credit of %s without a month in its "
			    "remittance: %s",
			    account, info != NULL ? info : "(none)");
		lines[i] = malloc(96);
		snprintf(lines[i], 96, "%04d-%02d %s %lld", y, m,
		    fund_of(info + end),
		    (long long) e2e_jint(c, "amount_fen"));
		len += strlen(lines[i]) + 2;
	}
	qsort(lines, n, sizeof(char *), by_text);
	char *all = calloc(len, 1);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(all, ", ");
		strcat(all, lines[i]);
		free(lines[i]);
	}
	free(lines);
	json_decref(out);
	return all;
}
