/*
 * The application path end to end (issue 3): the real intake,
 * verification, investigation and approval binaries and agency-sim, a
 * real PostgreSQL, real NNG sockets; every step through the HTTP APIs
 * with distinct staff users. services (issue 13) runs beside them,
 * following intake's, approval's and emergency's real streams.
 *
 *   e2e_application_path filed | agency_down | duties | bad_input
 *
 *   filed        submission to a filed decision: dibao, its amount
 *                computed from what agency-sim reports, the decision
 *                seen by intake too
 *   agency_down  with the banks down the case is held naming them; the
 *                banks come back, a later round completes the check and
 *                the case goes on to village review
 *   duties       every segregation-of-duties refusal through the real
 *                services: took in the application, visited the home,
 *                household member, acted already; each a recorded 403
 *   bad_input    refused submissions leave nothing behind in any service
 *                but their own staff.acted records in intake's stream
 *   first_payment  (with disbursement and the bank too: bank-gateway,
 *                bank-sim in ISO 20022) the filed dibao's first monthly
 *                payment, run and approved by finance, settled in the
 *                payee's account at bank-sim
 *   emergency_paid (emergency, disbursement, the bank) a grant paid at
 *                once into the payee's account; emergency sees it paid
 *   request_id   (issue 16 item 4) a submission with X-Request-Id R:
 *                intake's event carries R in its outbox row, approval
 *                applies it with R set (its debug line "applying event"
 *                names R) and the case.stage_changed it appends carries
 *                R; so does investigation's line of the same event; and
 *                verification's check keeps R, so the round's
 *                verification.completed carries it too
 */
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acted.h"
#include "e2e.h"

#define DISTRICT E2E_DISTRICT
#define TOWNSHIP E2E_TOWNSHIP
#define VILLAGE E2E_VILLAGE

/* The household of every scenario: two members, urban, the applicant
 * earning 600 yuan a month by the agencies' records (G = 300 yuan a
 * member, under the 830-yuan standard: dibao, (830 - 300) x 2 = 1,060
 * yuan). */
static char APPLICANT[19], SPOUSE[19];
static char ACCEPTED[16]; /* the day intake accepted it: the visit's day */
/* Extra settings of the five services setup starts (NULL: none). */
static const char *const *const *setup_extra;

static void
setup(const char *banks_down)
{
	e2e_setup();
	e2e_idnum(APPLICANT, "22010319700102321");
	e2e_idnum(SPOUSE, "22010319720304322");
	json_t *fx = json_pack("{s:{s:I, s:I}, s:{}}", APPLICANT, "wages_fen",
	    (json_int_t) 60000, "taxed_income_fen", (json_int_t) 60000,
	    SPOUSE);
	e2e_fixture_write(fx);
	json_decref(fx);
	e2e_start_agency_sim(banks_down);
	static const char *const names[] = { "intake", "verification",
		"investigation", "approval", "services" };
	const int                ports[]
	    = { P_INTAKE, P_VERIF, P_INVEST, P_APPROVAL, P_SERVICES };
	e2e_start_services(names, ports, 5, setup_extra);
}

static char *
application_json(const char *first_id)
{
	json_t *a = json_pack(
	    "{s:{s:s, s:s, s:s, s:s, s:s, s:b},"
	    " s:[{s:s, s:s, s:s, s:s, s:s, s:i, s:s},"
	    "    {s:s, s:s, s:s, s:s, s:s, s:i, s:s}],"
	    " s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I},"
	    " s:{s:s, s:s}, s:{s:s, s:s, s:s}}",
	    "household", "registration", "urban", "district_code", DISTRICT,
	    "township_code", TOWNSHIP, "village_code", VILLAGE, "address",
	    "No. 1, the first village", "has_able_supporter", 0, "members",
	    "id_number", first_id, "name", "Zhang San", "relation", "self",
	    "birth_date", "1970-01-02", "labour_capacity", "full",
	    "disability_grade", 0, "self_care", "able", "id_number", SPOUSE,
	    "name", "Li Si", "relation", "spouse", "birth_date", "1972-03-04",
	    "labour_capacity", "partial", "disability_grade", 0, "self_care",
	    "able", "declared_income", "wages_fen", (json_int_t) 60000,
	    "business_fen", (json_int_t) 0, "pensions_fen", (json_int_t) 0,
	    "other_fen", (json_int_t) 0, "declared_expenditure", "medical_fen",
	    (json_int_t) 10000, "education_fen", (json_int_t) 0, "housing_fen",
	    (json_int_t) 0, "employment_costs_fen", (json_int_t) 0, "consent",
	    "reference", "CONSENT-E2E-1", "signed_date", "2026-11-01", "payee",
	    "bank_code", "RCB", "account_number", "6217000000000000001",
	    "account_name", "Zhang San");
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static char *
submit(void)
{
	char   *clerk = e2e_token("clerk-1", "clerk", TOWNSHIP, NULL);
	char   *body  = application_json(APPLICANT);
	json_t *out   = NULL;
	int     st
	    = e2e_call(P_INTAKE, "POST", "/applications", clerk, body, &out);
	TH_CHECK(&T, st == 201, "submission: %d", st);
	char *id = strdup(e2e_jstr(out, "application_id"));
	snprintf(
	    ACCEPTED, sizeof(ACCEPTED), "%s", e2e_jstr(out, "accepted_date"));
	json_decref(out);
	free(body);
	free(clerk);
	return id;
}

/* Submission to a filed dibao; returns the application id. */
static char *
file_one(void)
{
	char *id = submit();
	e2e_investigate("application_id", id, NULL, ACCEPTED);
	json_t *c = e2e_wait_stage(id, "VILLAGE_REVIEW");
	TH_CHECK(&T, strcmp(e2e_jstr(c, "category"), "dibao") == 0,
	    "category %s, want dibao", e2e_jstr(c, "category"));
	TH_CHECK(&T,
	    json_integer_value(json_object_get(c, "monthly_amount_fen"))
	        == 106000,
	    "monthly amount %lld, want 106000 fen",
	    (long long) json_integer_value(
	        json_object_get(c, "monthly_amount_fen")));
	json_decref(c);
	char *rev = e2e_token("reviewer-1", "village_reviewer", VILLAGE, NULL);
	char *off = e2e_token("officer-1", "township_officer", TOWNSHIP, NULL);
	char *dis
	    = e2e_token("district-1", "district_officer", DISTRICT, NULL);
	TH_CHECK(&T,
	    e2e_step(id, "village-review", rev,
	        "{\"decision\":\"pass\",\"reason\":\"confirmed\"}", NULL)
	        == 200,
	    "village review");
	TH_CHECK(&T,
	    e2e_step(id, "township-confirmation", off,
	        "{\"decision\":\"approve\",\"reason\":\"under the standard\"}",
	        NULL)
	        == 200,
	    "township confirmation");
	TH_CHECK(&T,
	    e2e_step(id, "district-filing", dis,
	        "{\"spot_check\":false,\"note\":\"filed\"}", NULL)
	        == 200,
	    "district filing");
	json_decref(e2e_wait_stage(id, "FILED"));
	/* intake learns the decision from approval's stream. */
	char   *clerk = e2e_token("clerk-1", "clerk", TOWNSHIP, NULL);
	char    path[128];
	json_t *app = NULL;
	snprintf(path, sizeof(path), "/applications/%s", id);
	uint64_t end = th_now_ms() + E2E_WAIT_MS;
	while (th_now_ms() < end) {
		json_decref(app);
		app = NULL;
		if (e2e_call(P_INTAKE, "GET", path, clerk, NULL, &app) == 200
		    && strcmp(e2e_jstr(app, "status"), "decided_approved")
		        == 0)
			break;
		th_sleep_ms(50);
	}
	TH_CHECK(&T,
	    app && strcmp(e2e_jstr(app, "status"), "decided_approved") == 0,
	    "intake never saw the decision");
	json_decref(app);
	free(rev);
	free(off);
	free(dis);
	free(clerk);
	return id;
}

static void
filed(void)
{
	setup(NULL);
	free(file_one());
	printf("filed: dibao, 1060.00 yuan a month, seen by intake\n");
}

static void
start_payments(void)
{
	e2e_spawn_service("disbursement", P_DISB, NULL);
	e2e_start_bank(NULL);
	e2e_ready("disbursement");
}

static void
first_payment(void)
{
	setup(NULL);
	start_payments();
	char *id = file_one();
	/* The benefit starts the month after the decision. */
	char month[32];
	int  y = atoi(ACCEPTED), m = atoi(ACCEPTED + 5) + 1;
	if (m == 13) {
		m = 1;
		y++;
	}
	snprintf(month, sizeof(month), "%04d-%02d", y % 10000, m % 100);
	e2e_budget("dibao", y, 100000000);
	/* built once disbursement has learnt the payee from approval's
	 * stream (a run started before that would pay nobody), approved by
	 * finance, completed */
	free(e2e_pay_month(month));
	uint64_t end = th_now_ms() + E2E_WAIT_MS;
	while (
	    th_now_ms() < end && e2e_credited("6217000000000000001") != 106000)
		th_sleep_ms(50);
	TH_CHECK(&T, e2e_credited("6217000000000000001") == 106000,
	    "the payee's account holds %lld fen, want 106000",
	    (long long) e2e_credited("6217000000000000001"));
	printf("first_payment: 1060.00 yuan settled in the payee's account "
	       "for %s\n",
	    month);
	free(id);
}

static void
emergency_paid(void)
{
	setup(NULL);
	start_payments();
	e2e_start_service("emergency", P_EMERG, NULL);
	char *fin = e2e_token("finance-1", "finance", DISTRICT, NULL);
	char *off
	    = e2e_token("officer-e", "emergency_officer", TOWNSHIP, NULL);
	char path[96];
	snprintf(path, sizeof(path), "/funds/%s/allocations", TOWNSHIP);
	TH_CHECK(&T,
	    e2e_call(
	        P_EMERG, "POST", path, fin, "{\"amount_fen\":1000000}", NULL)
	        == 201,
	    "allocation");
	char body[600];
	snprintf(body, sizeof(body),
	    "{\"township_code\":\"%s\",\"village_code\":\"%s\","
	    "\"person\":{\"id_number\":\"%s\",\"name\":\"Zhang San\"},"
	    "\"cause\":\"fire\",\"description\":\"the house burnt down\","
	    "\"household_size\":2,\"amount_fen\":200000,\"payee\":"
	    "{\"bank_code\":\"RCB\",\"account_number\":"
	    "\"6217000000000000009\",\"account_name\":\"Zhang San\"}}",
	    TOWNSHIP, VILLAGE, APPLICANT);
	json_t *g = NULL;
	TH_CHECK(&T,
	    e2e_call(P_EMERG, "POST", "/grants", off, body, &g) == 201,
	    "grant");
	char gpath[96];
	snprintf(gpath, sizeof(gpath), "/grants/%s", e2e_jstr(g, "id"));
	json_decref(g);
	uint64_t end = th_now_ms() + E2E_WAIT_MS;
	while (
	    th_now_ms() < end && e2e_credited("6217000000000000009") != 200000)
		th_sleep_ms(50);
	TH_CHECK(&T, e2e_credited("6217000000000000009") == 200000,
	    "the grant never reached the payee's account");
	const char *st = NULL;
	json_t     *gr = NULL;
	end            = th_now_ms() + E2E_WAIT_MS;
	while (th_now_ms() < end) {
		json_decref(gr);
		gr = NULL;
		if (e2e_call(P_EMERG, "GET", gpath, off, NULL, &gr) == 200
		    && (st = e2e_jstr(gr, "status")) != NULL
		    && strcmp(st, "paid") == 0)
			break;
		th_sleep_ms(50);
	}
	TH_CHECK(&T, st != NULL && strcmp(st, "paid") == 0,
	    "emergency never saw the payment settle (%s)", st ? st : "none");
	json_decref(gr);
	printf(
	    "emergency_paid: 2000.00 yuan in the account, the grant paid\n");
	free(fin);
	free(off);
}

static void
agency_down(void)
{
	setup("SN_AGENCY_SIM_DOWN_BANKS=1");
	char *id = submit();
	e2e_investigate("application_id", id, NULL, ACCEPTED);
	json_t     *c   = e2e_wait_stage(id, "HELD");
	const char *why = e2e_jstr(c, "stage_reason");
	TH_CHECK(&T, why != NULL && strstr(why, "bank") != NULL,
	    "held without naming the banks: %s", why ? why : "(none)");
	json_decref(c);
	/* The banks come back. */
	th_proc *sim = &T.procs[0];
	th_kill(&T, sim, SIGTERM);
	TH_CHECK(&T, th_wait_exit(&T, sim, 15000) >= 0, "agency-sim hung");
	e2e_start_agency_sim(NULL);
	c = e2e_wait_stage(id, "VILLAGE_REVIEW");
	TH_CHECK(&T, strcmp(e2e_jstr(c, "category"), "dibao") == 0,
	    "after the banks came back: %s", e2e_jstr(c, "category"));
	json_decref(c);
	printf("agency_down: held naming the banks, then completed\n");
	free(id);
}

static void
expect_refusal(const char *id, const char *stepname, const char *tok,
    const char *body, const char *code)
{
	json_t *out = NULL;
	int     st  = e2e_step(id, stepname, tok, body, &out);
	json_t *e   = json_object_get(out, "error");
	TH_CHECK(&T,
	    st == 403 && e != NULL && strcmp(e2e_jstr(e, "code"), code) == 0,
	    "%s: got %d %s, want 403 %s", stepname, st,
	    e ? e2e_jstr(e, "code") : "(no error)", code);
	json_decref(out);
}

static void
duties(void)
{
	setup(NULL);
	char *id = submit();
	e2e_investigate("application_id", id, NULL, ACCEPTED);
	json_decref(e2e_wait_stage(id, "VILLAGE_REVIEW"));
	const char *pass = "{\"decision\":\"pass\",\"reason\":\"ok\"}";
	char        ida[19];
	e2e_idnum(ida, "11010519800101001");
	/* The clerk who took it in, now reviewing. */
	char *t1 = e2e_token("clerk-1", "village_reviewer", VILLAGE, NULL);
	expect_refusal(id, "village-review", t1, pass, "took_in_application");
	/* An investigator who visited the home. */
	char *t2 = e2e_token("inv-a", "village_reviewer", VILLAGE, ida);
	expect_refusal(id, "village-review", t2, pass, "visited_home");
	/* A member of the household. */
	char *t3 = e2e_token("neighbour", "village_reviewer", VILLAGE, SPOUSE);
	expect_refusal(id, "village-review", t3, pass, "household_member");
	/* Someone who already acted on the case. */
	char *t4 = e2e_token("reviewer-1", "village_reviewer", VILLAGE, NULL);
	TH_CHECK(&T, e2e_step(id, "village-review", t4, pass, NULL) == 200,
	    "village review");
	char *t5 = e2e_token("reviewer-1", "township_officer", TOWNSHIP, NULL);
	expect_refusal(id, "township-confirmation", t5,
	    "{\"decision\":\"approve\",\"reason\":\"ok\"}", "already_acted");
	/* Every refusal is on record with the case. */
	json_t *c = e2e_wait_stage(id, "TOWNSHIP_CONFIRM");
	size_t  n = json_array_size(json_object_get(c, "refusals"));
	TH_CHECK(&T, n == 4, "%zu refusals recorded, want 4", n);
	json_decref(c);
	printf("duties: 4 refusals, each a 403 with its reason, recorded\n");
	free(t1);
	free(t2);
	free(t3);
	free(t4);
	free(t5);
	free(id);
}

static void
bad_input(void)
{
	setup(NULL);
	char *clerk = e2e_token("clerk-1", "clerk", TOWNSHIP, NULL);
	char  bad[19];
	memcpy(bad, APPLICANT, 19);
	bad[17]    = bad[17] == '0' ? '1' : '0'; /* a wrong check character */
	char *body = application_json(bad);
	int   st[3];
	st[0] = e2e_call(P_INTAKE, "POST", "/applications", clerk, body, NULL);
	TH_CHECK(&T, st[0] == 422 || st[0] == 400, "bad id number: %d", st[0]);
	free(body);
	st[1] = e2e_call(P_INTAKE, "POST", "/applications", clerk,
	    "{\"household\":{}}", NULL);
	TH_CHECK(
	    &T, st[1] >= 400 && st[1] < 500, "empty household: %d", st[1]);
	st[2] = e2e_call(
	    P_INTAKE, "POST", "/applications", clerk, "{not json", NULL);
	TH_CHECK(&T, st[2] == 400, "malformed JSON: %d", st[2]);
	/* A valid one afterwards proves the stack was listening, and gives
	 * the refused ones time to have leaked, had they. */
	char *id = submit();
	e2e_investigate("application_id", id, NULL, ACCEPTED);
	json_decref(e2e_wait_stage(id, "VILLAGE_REVIEW"));
	/* One domain event each (a refusal's staff.acted record is not
	 * one: see below). */
	static const char *const checks[]
	    = { "intake", "verification", "investigation" };
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		int64_t n = th_events(&T, th_schema(&T, checks[i]));
		TH_CHECK(&T, n == 1, "%s published %lld events, want 1",
		    checks[i], (long long) n);
	}
	/* intake recorded the clerk's three refusals, then the submission
	 * with its event. */
	const char *is = th_schema(&T, "intake");
	th_acted    rec[5];
	int         n = th_acted_after(&T, is, 0, rec, 5);
	TH_CHECK(&T, n == 4, "intake recorded %d staff actions, want 4", n);
	for (int i = 0; i < 3; i++)
		TH_CHECK(&T,
		    rec[i].status == (unsigned) st[i]
		        && rec[i].outcome_code[0] != '\0'
		        && strcmp(rec[i].user_id, "clerk-1") == 0
		        && strcmp(rec[i].route, "/applications") == 0,
		    "refusal %d (%d) recorded as %u %s by %s", i, st[i],
		    rec[i].status, rec[i].outcome_code, rec[i].user_id);
	th_acted_is(&T, &rec[2], "malformed JSON",
	    (th_acted_want) { .outcome_code = "invalid_json", .status = 400 });
	th_acted_is(&T, &rec[3], "the submission",
	    (th_acted_want) { .service = "intake",
	        .user_id               = "clerk-1",
	        .route                 = "/applications",
	        .subject               = id,
	        .outcome_code          = "",
	        .status                = 201 });
	th_acted_with(&T, is, &rec[3], "application.submitted", id);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.http_idempotency",
	        th_schema(&T, "intake"))
	        == 1,
	    "a refused request stored an answer");
	printf("bad_input: three refusals left nothing behind\n");
	free(clerk);
	free(id);
}

/* Lines of the log at path that hold every one of the strings (NULL-ended
 * list); the first such line into first (malloc'd) when first is not
 * NULL. */
static int
log_lines_with(const char *path, char **first, ...)
{
	FILE *f = fopen(path, "r");
	TH_CHECK(&T, f != NULL, "cannot read %s", path);
	char  *line = NULL;
	size_t cap  = 0;
	int    n    = 0;
	while (getline(&line, &cap, f) > 0) {
		va_list ap;
		va_start(ap, first);
		bool        all = true;
		const char *want;
		while ((want = va_arg(ap, const char *)) != NULL)
			all = all && strstr(line, want) != NULL;
		va_end(ap);
		if (!all)
			continue;
		if (n++ == 0 && first != NULL)
			*first = strdup(line);
	}
	free(line);
	fclose(f);
	return n;
}

#define RID "e2e-rid-4c1d.9"
#define RID_FIELD "\"request_id\":\"" RID "\""

static void
request_id(void)
{
	/* approval and investigation at debug: the bus's line per event
	 * applied. */
	static const char *const debug[] = { "SN_LOG_LEVEL=debug", NULL };
	static const char *const *const extra[]
	    = { NULL, NULL, debug, debug, NULL };
	setup_extra = extra;
	setup(NULL);
	th_http_request_id(RID);
	char *id = submit();
	th_http_request_id(NULL);
	const char *is = th_schema(&T, "intake");
	const char *as = th_schema(&T, "approval");
	/* approval opened the case: its first case.stage_changed. */
	TH_CHECK(&T,
	    th_wait_int(&T, 1, E2E_WAIT_MS,
	        "SELECT (count(*) > 0)::int FROM %s.outbox"
	        " WHERE topic = 'case.stage_changed' AND subject = '%s'",
	        as, id),
	    "approval never opened case %s", id);
	int64_t in_rid = th_int(&T,
	    "SELECT count(*) FROM %s.outbox WHERE topic ="
	    " 'application.submitted' AND subject = '%s' AND request_id = "
	    "'%s'",
	    is, id, RID);
	TH_CHECK(&T, in_rid == 1,
	    "intake's application.submitted does not carry %s", RID);
	char *opened = th_text(&T,
	    "SELECT request_id FROM %s.outbox WHERE topic ="
	    " 'case.stage_changed' AND subject = '%s' ORDER BY id LIMIT 1",
	    as, id);
	TH_CHECK(&T, opened != NULL && strcmp(opened, RID) == 0,
	    "approval's case.stage_changed (opened) carries '%s', not %s",
	    opened ? opened : "(none)", RID);
	/* verification's check keeps R: the round that answers it, and the
	 * verification.completed it publishes, carry it. */
	const char *vs = th_schema(&T, "verification");
	TH_CHECK(&T,
	    th_wait_int(&T, 1, E2E_WAIT_MS,
	        "SELECT count(*)::int FROM %s.outbox WHERE topic ="
	        " 'verification.completed' AND subject = '%s'",
	        vs, id),
	    "verification never completed %s", id);
	char *verified = th_text(&T,
	    "SELECT request_id FROM %s.outbox WHERE topic ="
	    " 'verification.completed' AND subject = '%s' LIMIT 1",
	    vs, id);
	TH_CHECK(&T, verified != NULL && strcmp(verified, RID) == 0,
	    "verification.completed carries '%s', not %s",
	    verified ? verified : "(none)", RID);
	free(verified);
	/* The followers' lines about applying the event name R. */
	char *line = NULL;
	int   na   = log_lines_with(e2e_proc("approval")->log, &line,
	        "\"applying event\"", RID_FIELD, id, NULL);
	TH_CHECK(&T, na >= 1,
	    "approval's log has no \"applying event\" line of %s with %s", id,
	    RID);
	e2e_caught_up("investigation", "intake");
	int ni = log_lines_with(e2e_proc("investigation")->log, NULL,
	    "\"applying event\"", RID_FIELD, id, NULL);
	TH_CHECK(&T, ni >= 1,
	    "investigation's log has no \"applying event\" line with %s", RID);
	int n_in
	    = log_lines_with(e2e_proc("intake")->log, NULL, RID_FIELD, NULL);
	int n_ap
	    = log_lines_with(e2e_proc("approval")->log, NULL, RID_FIELD, NULL);
	printf("request_id: intake's event, verification.completed and"
	       " approval's case.stage_changed carry %s; lines naming it: "
	       "intake %d, approval %d (%d"
	       " \"applying event\"), investigation %d \"applying event\"\n"
	       "  %s",
	    RID, n_in, n_ap, na, ni, line);
	free(line);
	free(opened);
	free(id);
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "filed", filed },
		{ "agency_down", agency_down },
		{ "duties", duties },
		{ "bad_input", bad_input },
		{ "first_payment", first_payment },
		{ "emergency_paid", emergency_paid },
		{ "request_id", request_id },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), e2e_done);
}
