/*
 * kit.c - what approval's scenario programs share. See kit.h.
 *
 * Nothing is waited for by sleeping: the tests poll the database or the
 * API with deadlines. Dates come from the district's clock (sn/clock.h),
 * read here with the same settings the service reads.
 */
#include "kit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "sn/clock.h"
#include "sn/date.h"
#include "sn/idnum.h"

th                T;
sn_auth          *AUTH;
int               PORT; /* approval's HTTP port */
int               PUBPORT[NPUBS];
const char *const PUBS[NPUBS]
    = { "intake", "verification", "investigation", "disbursement" };
const char *S;        /* approval's schema */
th_proc    *APPROVAL; /* the approval process */
int         keyseq;

/* ---- helpers -------------------------------------------------------------
 */

/* The first cell of a query as a malloc'd string ("" for no row). */
char *
str(const char *fmt, ...)
{
	char    sql[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	char *v = th_text(&T, "%s", sql);
	return v != NULL ? v : strdup("");
}

char *
token(const char *user, const char *role, const char *juris, const char *idn)
{
	sn_principal p = { 0 };
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	snprintf(p.id_number, sizeof(p.id_number), "%s", idn ? idn : "");
	char *t = NULL;
	if (sn_auth_issue(AUTH, &p, 3600, &t) != SN_OK)
		th_fail(&T, "cannot issue a token for %s", user);
	return t;
}

void
idnum(char out[19], const char *region, const char *birth, int seq)
{
	char first[18];
	snprintf(first, sizeof(first), "%s%s%03d", region, birth, seq);
	snprintf(out, 19, "%s%c", first, sn_idnum_check_char(first));
}

/* Posts one event to publisher pub (0 intake, 1 verification, 2
 * investigation, 3 disbursement). */
void
publish(
    int pub, const char *type, const char *subject, const ProtobufCMessage *m)
{
	char *h    = th_hex(m);
	char *body = malloc(strlen(h) + 512);
	sprintf(body,
	    "{\"type\":\"%s\",\"subject\":\"%s\",\"actor\":\"tester\","
	    "\"data_hex\":\"%s\"}",
	    type, subject, h);
	char key[32];
	snprintf(key, sizeof(key), "pub-%d", ++keyseq);
	int st = th_http(
	    &T, PUBPORT[pub], "POST", "/publish", NULL, key, body, NULL);
	TH_CHECK(&T, st == 201, "publishing %s to %s answered %d", type,
	    PUBS[pub], st);
	free(h);
	free(body);
}

/* A request to approval; returns the status and the parsed body
 * (json_null() when it is not JSON). */
int
api(const char *method, const char *path, const char *tok, const char *key,
    const char *json, json_t **out)
{
	char *body = NULL;
	int   st   = th_http(&T, PORT, method, path, tok, key, json, &body);
	if (out != NULL) {
		*out = json_loads(body ? body : "", 0, NULL);
		if (*out == NULL)
			*out = json_null();
	}
	free(body);
	return st;
}

const char *
jstr(json_t *j, const char *path)
{
	/* path: keys separated by '.', e.g. "error.code" */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = j;
	for (char *k = strtok(buf, "."); k != NULL; k = strtok(NULL, "."))
		cur = json_object_get(cur, k);
	const char *s = json_string_value(cur);
	return s ? s : "";
}

const char *
newkey(void)
{
	static char k[32];
	snprintf(k, sizeof(k), "k-%d", ++keyseq);
	return k;
}

/* ---- the household of the tests ------------------------------------------
 */

void
app_init(struct app *a, const char *id, const char *accepted)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	snprintf(a->accepted, sizeof(a->accepted), "%s", accepted);
	idnum(a->ids[0], "110101", "19800101", (int) (strlen(id) * 7 % 900));
	idnum(
	    a->ids[1], "110101", "19820202", (int) (strlen(id) * 7 % 900 + 2));
	a->village     = VILLAGE;
	a->township    = TOWNSHIP;
	a->taken_in_by = "clerk1";
}

bool unable_household;
bool single_household;

/* Urban, two members (one able to work), wages 1000 yuan, medical 50. */
void
send_submitted(const struct app *a)
{
	Sn__Assist__V1__Household h = SN__ASSIST__V1__HOUSEHOLD__INIT;
	h.registration  = SN__ASSIST__V1__REGISTRATION__REGISTRATION_URBAN;
	h.district_code = DISTRICT;
	h.township_code = (char *) a->township;
	h.village_code  = (char *) a->village;
	h.address       = "1 Test Lane";
	Sn__Assist__V1__Member m0 = SN__ASSIST__V1__MEMBER__INIT,
	                       m1 = SN__ASSIST__V1__MEMBER__INIT;
	m0.id_number              = (char *) a->ids[0];
	m0.name                   = "Head";
	m0.relation               = "self";
	m0.birth_date             = "1980-01-01";
	m0.labour_capacity = SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_FULL;
	m0.self_care       = SN__ASSIST__V1__SELF_CARE__SELF_CARE_ABLE;
	m1.id_number       = (char *) a->ids[1];
	m1.name            = "Spouse";
	m1.relation        = "spouse";
	m1.birth_date      = "1982-02-02";
	m1.labour_capacity = SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_NONE;
	m1.self_care       = SN__ASSIST__V1__SELF_CARE__SELF_CARE_UNABLE;
	Sn__Assist__V1__Member *ms[] = { &m0, &m1 };
	Sn__Assist__V1__Income  in   = SN__ASSIST__V1__INCOME__INIT;
	in.wages_fen                 = 100000;
	if (unable_household) {
		m0.labour_capacity
		    = SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_NONE;
		in.wages_fen = 0;
	}
	Sn__Assist__V1__Expenditure ex   = SN__ASSIST__V1__EXPENDITURE__INIT;
	ex.medical_fen                   = 5000;
	Sn__Assist__V1__Consent c        = SN__ASSIST__V1__CONSENT__INIT;
	c.reference                      = "CONSENT-1";
	c.signed_date                    = (char *) a->accepted;
	Sn__Assist__V1__PayeeAccount pay = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	pay.bank_code                    = "ICBC";
	pay.account_number               = "6222020200112233445";
	pay.account_name                 = "Head";
	Sn__Assist__V1__ApplicationSubmitted s
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	s.application_id       = (char *) a->id;
	s.accepted_date        = (char *) a->accepted;
	s.deadline_date        = "";
	s.household            = &h;
	s.n_members            = single_household ? 1 : 2;
	s.members              = ms;
	s.declared_income      = &in;
	s.declared_expenditure = &ex;
	s.consent              = &c;
	s.payee                = &pay;
	s.taken_in_by          = (char *) a->taken_in_by;
	publish(0, "application.submitted", a->id, &s.base);
}

/* G 500 yuan, D 25 yuan: dibao, (830 - 500) x 2 = 660 yuan. */
void
send_verification(const struct app *a, bool complete, int attempt)
{
	Sn__Assist__V1__HouseholdFacts f
	    = SN__ASSIST__V1__HOUSEHOLD_FACTS__INIT;
	f.members                          = 2;
	f.gross_income_fen                 = 100000;
	f.income_per_member_fen            = 50000;
	f.rigid_expenditure_per_member_fen = 2500;
	f.net_per_member_fen               = 47500;
	f.financial_assets_fen             = 200000;
	f.financial_assets_per_member_fen  = 100000;
	f.homes                            = 1;
	f.all_registered                   = true;
	Sn__Assist__V1__VerificationCompleted v
	    = SN__ASSIST__V1__VERIFICATION_COMPLETED__INIT;
	char *missing[]  = { "tax", "banks" };
	v.application_id = (char *) a->id;
	v.attempt        = attempt;
	if (complete) {
		v.status
		    = SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_COMPLETE;
		v.facts = &f;
	} else {
		v.status
		    = SN__ASSIST__V1__VERIFICATION_STATUS__VERIFICATION_INCOMPLETE;
		v.n_missing_agencies = 2;
		v.missing_agencies   = missing;
	}
	publish(1, "verification.completed", a->id, &v.base);
}

void
send_investigation(const struct app *a)
{
	char                                  *invs[] = { "inv1", "inv2" };
	Sn__Assist__V1__InvestigationCompleted r
	    = SN__ASSIST__V1__INVESTIGATION_COMPLETED__INIT;
	r.application_id    = (char *) a->id;
	r.task_id           = "task-1";
	r.n_investigators   = 2;
	r.investigators     = invs;
	r.visit_date        = (char *) a->accepted;
	r.living_conditions = "poor";
	r.housing_condition = "old";
	r.recommendation
	    = SN__ASSIST__V1__RECOMMENDATION__RECOMMENDATION_APPROVE;
	r.submitted_by = "inv1";
	publish(2, "investigation.completed", a->id, &r.base);
}

const char *
stage_of(const char *case_id)
{
	static char buf[64];
	char       *s = str(
	          "SELECT stage FROM %s.cases WHERE case_id = '%s'", S, case_id);
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

void
wait_stage(const char *case_id, const char *stage)
{
	if (!th_wait_int(&T, 1, WAIT_MS,
	        "SELECT count(*) FROM %s.cases WHERE case_id = '%s'"
	        " AND stage = '%s'",
	        S, case_id, stage))
		th_fail(&T, "case %s did not reach %s (at %s)", case_id, stage,
		    stage_of(case_id));
}

void
wait_count(int64_t want, const char *what, const char *fmt, ...)
{
	char    sql[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (!th_wait_int(&T, want, WAIT_MS, "%s", sql))
		th_fail(&T, "%s: wanted %lld, got %lld", what,
		    (long long) want, (long long) th_int(&T, "%s", sql));
}

/* Stores an input and waits until approval has applied it. */
void
send_and_wait(const struct app *a, int which)
{
	const char *table = which == 0 ? "submitted"
	    : which == 1               ? "verification"
	                               : "investigation";
	if (which == 0)
		send_submitted(a);
	else if (which == 1)
		send_verification(a, true, 1);
	else
		send_investigation(a);
	wait_count(1, table,
	    "SELECT count(*) FROM %s.%s WHERE application_id = '%s'", S, table,
	    a->id);
}

/* The approval outbox event of topic for subject, decoded by the
 * caller: returns the bytes (malloc'd) and their length. */
uint8_t *
outbox_event(const char *topic, const char *subject, int nth, size_t *len)
{
	uint8_t *b = th_bytes_at(&T, 0, len,
	    "SELECT data FROM %s.outbox WHERE topic = '%s' AND subject = '%s'"
	    " ORDER BY id OFFSET %d LIMIT 1",
	    S, topic, subject, nth);
	TH_CHECK(
	    &T, b != NULL && *len > 0, "no %s event for %s", topic, subject);
	return b;
}

/* ---- the stack ------------------------------------------------------------
 */

/* Starts the four publishers and approval, whose environment also gets
 * the NULL-ended "KEY=VALUE" settings of extra (may be NULL). */
void
start_env(const char *overdue_ms, const char *const *extra)
{
	if (sn_auth_open(&AUTH, th_token_private_pem) != SN_OK)
		th_fail(&T, "sn_auth_open");
	if (sn_clock_setup() != SN_OK)
		th_fail(&T, "sn_clock_setup");
	for (int i = 0; i < NPUBS; i++)
		th_publisher(&T, PUBS[i]);
	th_publisher(&T, "approval");
	static char ports[NPUBS + 1][32];
	static char overdue[64];
	snprintf(overdue, sizeof(overdue), "SN_APPROVAL_OVERDUE_CHECK_MS=%s",
	    overdue_ms);
	for (int i = 0; i < NPUBS; i++) {
		PUBPORT[i] = th_free_port();
		snprintf(
		    ports[i], sizeof(ports[i]), "SN_HTTP_PORT=%d", PUBPORT[i]);
		const char *env[]
		    = { ports[i], "SN_BUS_HEARTBEAT_MS=200", NULL };
		const char *argv[]
		    = { APPROVAL_TESTPUB, "--name", PUBS[i], NULL };
		th_spawn(&T, PUBS[i], APPROVAL_TESTPUB, argv, env);
	}
	PORT = th_free_port();
	snprintf(ports[NPUBS], sizeof(ports[NPUBS]), "SN_HTTP_PORT=%d", PORT);
	const char *env[8]
	    = { ports[NPUBS], overdue, "SN_BUS_HEARTBEAT_MS=200", NULL };
	for (int i = 0, n = 3; extra != NULL && extra[i] != NULL && n < 7; i++)
		env[n++] = extra[i];
	const char *argv[] = { APPROVAL_BIN, NULL };
	APPROVAL           = th_spawn(&T, "approval", APPROVAL_BIN, argv, env);
	S                  = th_schema(&T, "approval");
	for (int i = 0; i < NPUBS; i++)
		TH_CHECK(&T, th_wait_ready(&T, PUBPORT[i], WAIT_MS),
		    "%s is not ready", PUBS[i]);
	TH_CHECK(
	    &T, th_wait_ready(&T, PORT, WAIT_MS), "approval is not ready");
}

void
start(const char *overdue_ms)
{
	start_env(overdue_ms, NULL);
}

/* The district's date (sn/clock.h, as the service reads it) plus days,
 * malloc'd "YYYY-MM-DD". */
char *
today_plus(int days)
{
	char buf[SN_DATE_STRLEN];
	return strdup(
	    sn_date_format(sn_date_add_days(sn_clock_today(), days), buf));
}

/* Brings a fresh case to VILLAGE_REVIEW. */
void
ready_case(struct app *a, const char *id)
{
	char *today = today_plus(0);
	app_init(a, id, today);
	free(today);
	send_submitted(a);
	send_verification(a, true, 1);
	send_investigation(a);
	wait_stage(a->id, "VILLAGE_REVIEW");
}

/* Takes a case at VILLAGE_REVIEW through review (vr1) and confirmation
 * (to1): the household enters the register. Returns its beneficiary id
 * (malloc'd). */
char *
enter_register(const char *id)
{
	struct app a;
	ready_case(&a, id);
	char   *vr = token("vr1", "village_reviewer", VILLAGE, NULL);
	char   *to = token("to1", "township_officer", TOWNSHIP, NULL);
	char    path[128];
	json_t *j;
	snprintf(path, sizeof(path), "/cases/%s/village-review", id);
	TH_CHECK(&T,
	    api("POST", path, vr, newkey(), "{\"decision\":\"pass\"}", NULL)
	        == 200,
	    "village review of %s", id);
	snprintf(path, sizeof(path), "/cases/%s/township-confirmation", id);
	TH_CHECK(&T,
	    api("POST", path, to, newkey(), "{\"decision\":\"approve\"}", &j)
	        == 200,
	    "confirmation of %s", id);
	char *bid = strdup(jstr(j, "beneficiary_id"));
	json_decref(j);
	free(vr);
	free(to);
	TH_CHECK(&T, bid[0] != '\0', "no beneficiary id for %s", id);
	return bid;
}

/* The month after the district's this month, "YYYY-MM" (static). */
const char *
next_month(void)
{
	static char buf[SN_MONTH_STRLEN];
	return sn_month_format(sn_month_add(sn_clock_month(), 1), buf);
}

/* The district's today plus months, "YYYY-MM-DD" (static). */
const char *
today_plus_months(int months)
{
	static char buf[SN_DATE_STRLEN];
	return sn_date_format(
	    sn_date_add_months(sn_clock_today(), months), buf);
}

/* The nth beneficiary.changed of application app, decoded (the caller
 * frees it). */
Sn__Assist__V1__BeneficiaryChanged *
changed_event(const char *app, int nth)
{
	size_t   n;
	uint8_t *b = outbox_event("beneficiary.changed", app, nth, &n);
	Sn__Assist__V1__BeneficiaryChanged *m
	    = sn__assist__v1__beneficiary_changed__unpack(NULL, n, b);
	free(b);
	TH_CHECK(&T, m != NULL, "beneficiary.changed does not decode");
	return m;
}

/* Restarts approval (same port and key, ticks every 100 ms) with its
 * district clock moved forward by days (SN_TEST_CLOCK). */
void
restart_shifted(int64_t days)
{
	th_stop(&T, APPROVAL);
	char port[32], offset[64];
	snprintf(port, sizeof(port), "SN_HTTP_PORT=%d", PORT);
	snprintf(offset, sizeof(offset), "SN_CLOCK_OFFSET_S=%lld",
	    (long long) (days * 86400));
	const char *env[]  = { port, "SN_APPROVAL_OVERDUE_CHECK_MS=100",
		 "SN_BUS_HEARTBEAT_MS=200", "SN_TEST_CLOCK=1", offset, NULL };
	const char *argv[] = { APPROVAL_BIN, NULL };
	APPROVAL           = th_spawn(&T, "approval", APPROVAL_BIN, argv, env);
	TH_CHECK(&T, th_wait_ready(&T, PORT, WAIT_MS),
	    "approval is not ready again");
}

/* The nth review.requested of application app, decoded (the caller frees
 * it). */
Sn__Assist__V1__ReviewRequested *
review_event(const char *app, int nth)
{
	size_t   n;
	uint8_t *b = outbox_event("review.requested", app, nth, &n);
	Sn__Assist__V1__ReviewRequested *m
	    = sn__assist__v1__review_requested__unpack(NULL, n, b);
	free(b);
	TH_CHECK(&T, m != NULL, "review.requested does not decode");
	return m;
}

int64_t
reviews_published(const char *app)
{
	return th_int(&T,
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'review.requested'"
	    " AND subject = '%s'",
	    S, app);
}

/* The household, members and consent of the test's submission. */
void
check_review_household(
    const Sn__Assist__V1__ReviewRequested *m, const char *app, const char *bid)
{
	TH_CHECK(&T,
	    strcmp(m->beneficiary_id, bid) == 0
	        && strcmp(m->application_id, app) == 0 && m->household != NULL
	        && strcmp(m->household->village_code, VILLAGE) == 0
	        && m->n_members == 2 && m->consent != NULL
	        && strcmp(m->consent->reference, "CONSENT-1") == 0,
	    "review.requested of %s lacks its household, members or consent",
	    app);
}

/* Publishes household.change_reported change_id for bid (wages_fen and
 * medical_fen declared). */
void
send_change(const char *app, const char *bid, const char *change_id,
    int64_t wages_fen, int64_t medical_fen)
{
	Sn__Assist__V1__Income      in = SN__ASSIST__V1__INCOME__INIT;
	Sn__Assist__V1__Expenditure ex = SN__ASSIST__V1__EXPENDITURE__INIT;
	Sn__Assist__V1__HouseholdChangeReported c
	    = SN__ASSIST__V1__HOUSEHOLD_CHANGE_REPORTED__INIT;
	in.wages_fen     = wages_fen;
	ex.medical_fen   = medical_fen;
	c.change_id      = (char *) change_id;
	c.beneficiary_id = (char *) bid;
	c.application_id = (char *) app;
	c.kind           = SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_INCOME;
	c.income         = &in;
	c.expenditure    = &ex;
	c.reported_by    = "clerk2";
	publish(0, "household.change_reported", app, &c.base);
}

/* GET /reviews as tok with query; the number listed (-1: not 200). */
int64_t
reviews_listed(const char *tok, const char *query, json_t **out)
{
	char    path[128];
	json_t *j = NULL;
	snprintf(path, sizeof(path), "/reviews%s", query);
	int     st = api("GET", path, tok, NULL, NULL, &j);
	int64_t n  = st == 200
	     ? (int64_t) json_array_size(json_object_get(j, "reviews"))
	     : -1;
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return st == 422 ? -422 : n;
}

void
close_auth(void)
{
	sn_auth_close(AUTH);
}
