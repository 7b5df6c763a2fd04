/*
 * investigation, proved against the real binary, a real PostgreSQL and
 * real NNG sockets: intake and approval are played by
 * sn-inject (tests/support/inject.c), which publishes the protobuf events this
 * test builds. Each scenario is one ctest:
 *
 *   investigation_scenarios tasks | report | bad_reports | withdrawn |
 *                           review | clock_east | clock_west
 *
 * clock_east and clock_west run the service on a test clock
 * (SN_TEST_CLOCK=1, SN_CLOCK_OFFSET_S) set to 23:30 UTC two days ahead,
 * in a district at UTC+8 (the default) and at UTC-12
 * (SN_DISTRICT_UTC_OFFSET_MIN=-720): "today" for a visit date is the
 * district's day of that instant (the next UTC day east, the same one
 * west), and a review's visit_not_before is the district's day of the
 * event's time.
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

#include "acted.h"
#include "harness.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/auth.h"
#include "sn/idnum.h"
#include "sn/seal.h"
#ifndef INVESTIGATION_BIN
#define INVESTIGATION_BIN "investigation"
#endif
#ifndef INVESTIGATION_TESTPUB
#define INVESTIGATION_TESTPUB "investigation-testpub"
#endif

#define DISTRICT "220103"
#define TOWNSHIP "220103001"
#define VILLAGE1 "220103001002"
#define VILLAGE2 "220103001003"

static th          T;
static int         port;
static sn_auth    *auth;
static int         nevents[2]; /* published so far: intake, approval */
static int         nfiles;
static const char *inv_schema;
static th_proc    *svc; /* the investigation process */

/* ---- people ------------------------------------------------------------- */

/* A valid identity number born on the given day, sequence seq. */
static void
idn(char out[19], int year, int month, int day, int seq)
{
	char first[48];
	snprintf(first, sizeof(first), "%s%04d%02d%02d%03d", DISTRICT,
	    year % 10000, month % 100, day % 100, seq % 1000);
	memcpy(out, first, 17);
	out[17] = sn_idnum_check_char(first);
	out[18] = '\0';
}

/* The household members (applicant first) and the staff. */
static char hh_ids[3][19];
static char staff_ids[4][19];

static void
people(void)
{
	idn(hh_ids[0], 1980, 1, 1, 11);
	idn(hh_ids[1], 1982, 2, 2, 22);
	idn(hh_ids[2], 2010, 3, 3, 33);
	for (int i = 0; i < 4; i++)
		idn(staff_ids[i], 1970 + i, 4, 4, 41 + 2 * i);
}

/* YYYY-MM-DD of Unix time t in a district offset_min from UTC. */
static void
day_at(char out[11], time_t t, int offset_min)
{
	struct tm tm;
	t += (time_t) offset_min * 60;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* YYYY-MM-DD, days from today in the district's time (UTC+8). */
static void
day(char out[11], int days)
{
	day_at(out, time(NULL) + (time_t) days * 86400, 480);
}

static char *
token(const char *user, const char *role, const char *juris,
    const char *id_number)
{
	sn_principal p;
	char        *tok = NULL;
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	snprintf(p.id_number, sizeof(p.id_number), "%s",
	    id_number != NULL ? id_number : "");
	TH_CHECK(&T, sn_auth_issue(auth, &p, 3600, &tok) == SN_OK,
	    "cannot issue a token for %s", user);
	return tok;
}

/* ---- HTTP -----------------------------------------------------------------
 */

static json_t *
call(const char *method, const char *path, const char *tok, const char *idem,
    const char *body, int *status)
{
	char *text = NULL;
	*status    = th_http(&T, port, method, path, tok, idem, body, &text);
	TH_CHECK(&T, *status > 0, "%s %s: no answer", method, path);
	json_t *j = text != NULL && text[0] != '\0' ? json_loads(text, 0, NULL)
	                                            : NULL;
	free(text);
	return j;
}

/* Expects an error answer with this status, code and field. */
static void
expect_error(json_t *j, int status, int want, const char *code,
    const char *field, const char *what)
{
	json_t     *e = json_object_get(j, "error");
	const char *c = json_string_value(json_object_get(e, "code"));
	const char *f = json_string_value(json_object_get(e, "field"));
	TH_CHECK(
	    &T, status == want, "%s: status %d, want %d", what, status, want);
	TH_CHECK(&T, c != NULL && strcmp(c, code) == 0, "%s: code %s, want %s",
	    what, c ? c : "(none)", code);
	if (field != NULL)
		TH_CHECK(&T, f != NULL && strcmp(f, field) == 0,
		    "%s: field %s, want %s", what, f ? f : "(none)", field);
	printf("ok: %s -> %d %s %s\n", what, status, c, f ? f : "");
}

static json_t *
list(const char *query, const char *tok, int *status)
{
	char path[256];
	snprintf(path, sizeof(path), "/tasks?%s", query);
	return call("GET", path, tok, NULL, NULL, status);
}

/* The items of a 200 list answer (borrowed from j): a page (sn/page.h),
 * {items, next}. */
static json_t *
tasks_of(json_t *j, int status, const char *what)
{
	json_t *a = json_object_get(j, "items");
	TH_CHECK(&T,
	    status == 200 && json_is_array(a)
	        && json_object_get(j, "next") != NULL,
	    "%s: status %d, no page of tasks", what, status);
	return a;
}

/* The application id of the i-th task of a page. */
static const char *
app_at(json_t *a, size_t i)
{
	return json_string_value(
	    json_object_get(json_array_get(a, i), "application_id"));
}

/* Issue 10: GET /tasks pages (limit, cursor, {items, next}); nothing is
 * cut silently. */
static void
tasks_paged(const char *tw)
{
	int         st;
	json_t     *j    = list("township=" TOWNSHIP "&limit=1", tw, &st);
	json_t     *a    = tasks_of(j, st, "first page");
	const char *next = json_string_value(json_object_get(j, "next"));
	TH_CHECK(&T,
	    json_array_size(a) == 1 && strcmp(app_at(a, 0), "A1") == 0
	        && next != NULL,
	    "first page of one: %zu tasks, next %s", json_array_size(a),
	    next ? next : "null");
	char q[128];
	snprintf(
	    q, sizeof(q), "township=" TOWNSHIP "&limit=1&cursor=%s", next);
	json_decref(j);
	j = list(q, tw, &st);
	a = tasks_of(j, st, "second page");
	TH_CHECK(&T,
	    json_array_size(a) == 1 && strcmp(app_at(a, 0), "A2") == 0
	        && json_is_null(json_object_get(j, "next")),
	    "second page: %zu tasks", json_array_size(a));
	json_decref(j);
	j = list("township=" TOWNSHIP "&limit=0", tw, &st);
	expect_error(j, st, 422, "invalid_query", "limit", "limit=0");
	json_decref(j);
	j = list("township=" TOWNSHIP "&limit=1001", tw, &st);
	expect_error(j, st, 422, "invalid_query", "limit", "limit=1001");
	json_decref(j);
	j = list("township=" TOWNSHIP "&cursor=bogus", tw, &st);
	expect_error(j, st, 422, "invalid_query", "cursor", "a bad cursor");
	json_decref(j);
	printf("ok: GET /tasks pages with limit and cursor\n");
}

/* ---- events ---------------------------------------------------------------
 */

/* extra: NULL-ended settings beside the usual ones (may be NULL). */
static void
start_service(const char *const *extra)
{
	char        p[32];
	const char *argv[] = { INVESTIGATION_BIN, NULL };
	port               = th_free_port();
	snprintf(p, sizeof(p), "SN_HTTP_PORT=%d", port);
	const char *env[16] = { p, "SN_BUS_HEARTBEAT_MS=100",
		"SN_INVESTIGATION_METRICS_MS=100", NULL };
	for (int i = 0, n = 3; extra != NULL && extra[i] != NULL && n < 15;
	     i++)
		env[n++] = extra[i];
	svc = th_spawn(&T, "investigation", INVESTIGATION_BIN, argv, env);
	TH_CHECK(&T, th_wait_ready(&T, port, 30000),
	    "investigation did not become ready");
	inv_schema = th_schema(&T, "investigation");
}

/*
 * Publishes n events as publisher pub (0 intake, 1 approval) through a
 * fresh sn-inject (tests/support/inject.c), waits until investigation's
 * cursor has moved past them, and stops the publisher (it must exit 0).
 */
static void
publish(int pub, int n, const char *const *types, const char *const *subjects,
    const ProtobufCMessage *const *msgs)
{
	const char *name = pub == 0 ? "intake" : "approval";
	char        file[300];
	TH_CHECK(&T, n <= 8, "too many events at once");
	snprintf(file, sizeof(file), "%s/events%d.txt", T.run_dir, nfiles++);
	FILE *f = fopen(file, "w");
	TH_CHECK(&T, f != NULL, "cannot write %s", file);
	for (int i = 0; i < n; i++) {
		char line[1 << 16] = "";
		th_inject_line(line, sizeof(line), types[i], subjects[i],
		    "system", msgs[i]);
		fputs(line, f);
	}
	fclose(f);
	const char *argv[] = { INVESTIGATION_TESTPUB, "--name", name,
		"--events", file, NULL };
	th_proc    *p      = th_spawn(&T, name, INVESTIGATION_TESTPUB, argv,
	            (const char *const[]) { "SN_BUS_HEARTBEAT_MS=100", NULL });
	nevents[pub] += n;
	if (!th_wait_int(&T, nevents[pub], 30000,
	        "SELECT coalesce(max(last_seq), 0) FROM %s.bus_cursor"
	        " WHERE publisher = '%s'",
	        inv_schema, name))
		th_fail(&T, "investigation did not apply %s's %d events", name,
		    nevents[pub]);
	th_stop(&T, p);
}

/* The pieces of an ApplicationSubmitted; they live in static storage and
 * are overwritten by the next call. */
static Sn__Assist__V1__Household   ev_hh;
static Sn__Assist__V1__Member      ev_mem[3];
static Sn__Assist__V1__Member     *ev_memp[3];
static Sn__Assist__V1__Income      ev_in;
static Sn__Assist__V1__Expenditure ev_out;
static char                        accepted[11], deadline[11];

static void
household(const char *village)
{
	static const char *names[3]     = { "张三", "李四", "张小明" };
	static const char *relations[3] = { "self", "spouse", "child" };
	static char        births[3][11];
	sn__assist__v1__household__init(&ev_hh);
	ev_hh.registration  = SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL;
	ev_hh.district_code = (char *) DISTRICT;
	ev_hh.township_code = (char *) TOWNSHIP;
	ev_hh.village_code  = (char *) village;
	ev_hh.address       = (char *) "幸福村 3 组 12 号";
	for (int i = 0; i < 3; i++) {
		sn__assist__v1__member__init(&ev_mem[i]);
		snprintf(births[i], sizeof(births[i]), "%.4s-%.2s-%.2s",
		    hh_ids[i] + 6, hh_ids[i] + 10, hh_ids[i] + 12);
		ev_mem[i].id_number        = hh_ids[i];
		ev_mem[i].name             = (char *) names[i];
		ev_mem[i].relation         = (char *) relations[i];
		ev_mem[i].birth_date       = births[i];
		ev_mem[i].labour_capacity  = i == 2
		     ? SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_NONE
		     : SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_PARTIAL;
		ev_mem[i].disability_grade = i == 0 ? 2 : 0;
		ev_mem[i].self_care
		    = SN__ASSIST__V1__SELF_CARE__SELF_CARE_ABLE;
		ev_memp[i] = &ev_mem[i];
	}
}

static Sn__Assist__V1__ApplicationSubmitted
submitted(const char *app_id, const char *village)
{
	Sn__Assist__V1__ApplicationSubmitted m
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	household(village);
	day(accepted, -3);
	day(deadline, 12);
	sn__assist__v1__income__init(&ev_in);
	sn__assist__v1__expenditure__init(&ev_out);
	ev_in.wages_fen        = 120000;
	ev_in.pensions_fen     = 35050;
	ev_out.medical_fen     = 80001;
	ev_out.education_fen   = 20000;
	m.application_id       = (char *) app_id;
	m.accepted_date        = accepted;
	m.deadline_date        = deadline;
	m.household            = &ev_hh;
	m.n_members            = 3;
	m.members              = ev_memp;
	m.declared_income      = &ev_in;
	m.declared_expenditure = &ev_out;
	m.requested_category   = SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO;
	m.taken_in_by          = (char *) "clerk.1";
	return m;
}

/* Publishes application.submitted for app_id in village. */
static void
submit(const char *app_id, const char *village)
{
	Sn__Assist__V1__ApplicationSubmitted m = submitted(app_id, village);
	const char             *types[1]       = { "application.submitted" };
	const char             *subjects[1]    = { app_id };
	const ProtobufCMessage *msgs[1]        = { &m.base };
	publish(0, 1, types, subjects, msgs);
}

/* The id of the one task of application app_id. */
static void
task_id_of(const char *app_id, char out[40])
{
	TH_CHECK(&T,
	    th_rows(&T, "SELECT id FROM %s.task WHERE application_id = '%s'",
	        inv_schema, app_id)
	        == 1,
	    "application %s has no single task", app_id);
	char *id = th_text(&T,
	    "SELECT id::text FROM %s.task WHERE application_id = '%s'",
	    inv_schema, app_id);
	snprintf(out, 40, "%s", id);
	free(id);
}

/* ---- a report -------------------------------------------------------------
 */

/* A valid report by investigators a (the caller) and b, as JSON; the
 * caller may change one thing through edit before it is rendered. */
static char *
report_json(void (*edit)(json_t *), const char *visit)
{
	json_t *members = json_array();
	for (int i = 0; i < 3; i++)
		json_array_append_new(members,
		    json_pack("{s:s, s:b}", "id_number", hh_ids[i], "present",
		        i != 2));
	json_t *r    = json_pack("{s:s, s:o, s:s, s:s, s:[s, s], s:s}",
	       "visit_date", visit, "members", members, "living_conditions",
	       "两间房，家具很少", "housing_condition", "旧砖房，屋顶漏雨",
	       "contradictions", "院里有一辆新车", "申报无工资，邻居说在打工",
	       "recommendation", "further_review");
	json_t *invs = json_array();
	for (int i = 0; i < 2; i++)
		json_array_append_new(invs,
		    json_pack("{s:s, s:s}", "user_id",
		        i == 0 ? "inv.a" : "inv.b", "id_number",
		        staff_ids[i]));
	json_object_set_new(r, "investigators", invs);
	if (edit != NULL)
		edit(r);
	char *s = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return s;
}

static json_t *
post_report(const char *task_id, const char *tok, const char *idem,
    const char *body, int *status)
{
	char path[128];
	snprintf(path, sizeof(path), "/tasks/%s/report", task_id);
	return call("POST", path, tok, idem, body, status);
}

/* The one investigation.completed in the outbox, decoded. */
static Sn__Assist__V1__InvestigationCompleted *
completed_event(char subject[64], char actor[64])
{
	static const char sql[] = "SELECT data, subject, actor FROM %s.outbox"
	                          " WHERE topic = 'investigation.completed'";
	int               n     = th_rows(&T, sql, inv_schema);
	TH_CHECK(&T, n == 1,
	    "want exactly one investigation.completed, found %d", n);
	char *subj = th_text_at(&T, 0, 1, sql, inv_schema);
	char *act  = th_text_at(&T, 0, 2, sql, inv_schema);
	snprintf(subject, 64, "%s", subj != NULL ? subj : "");
	snprintf(actor, 64, "%s", act != NULL ? act : "");
	free(subj);
	free(act);
	size_t   len;
	uint8_t *data = th_bytes_at(&T, 0, &len, sql, inv_schema);
	TH_CHECK(&T, data != NULL, "the event has no data");
	Sn__Assist__V1__InvestigationCompleted *ev
	    = sn__assist__v1__investigation_completed__unpack(NULL, len, data);
	free(data);
	TH_CHECK(&T, ev != NULL, "the event does not decode");
	return ev;
}

static int64_t
count(const char *what)
{
	return th_int(&T, "SELECT count(*) FROM %s.%s", inv_schema, what);
}

/* ---- scenarios ------------------------------------------------------------
 */

/* A task appears for the village's investigator and the township's, not
 * for another village's (403 for a code outside one's jurisdiction);
 * one task per application however often the event comes. */
static void
tasks(void)
{
	char   *v1  = token("inv.v1", "investigator", VILLAGE1, NULL);
	char   *v2  = token("inv.v2", "investigator", VILLAGE2, NULL);
	char   *tw  = token("inv.t", "investigator", TOWNSHIP, NULL);
	char   *clk = token("clerk.1", "clerk", VILLAGE1, NULL);
	int     st;
	json_t *j, *a;

	submit("A1", VILLAGE1);
	submit("A2", VILLAGE2);

	j = list("village=" VILLAGE1, v1, &st);
	a = tasks_of(j, st, "village 1 list");
	TH_CHECK(&T, json_array_size(a) == 1, "village 1 sees %zu tasks",
	    json_array_size(a));
	json_t *t = json_array_get(a, 0);
	TH_CHECK(&T,
	    strcmp(
	        json_string_value(json_object_get(t, "application_id")), "A1")
	        == 0,
	    "village 1 sees the wrong task");
	json_t *hh = json_object_get(t, "household");
	TH_CHECK(&T,
	    strcmp(json_string_value(json_object_get(hh, "address")),
	        ev_hh.address)
	            == 0
	        && strcmp(
	               json_string_value(json_object_get(hh, "village_code")),
	               VILLAGE1)
	            == 0,
	    "the task's household is not the submitted one");
	json_t *mem = json_object_get(t, "members");
	TH_CHECK(&T, json_array_size(mem) == 3, "the task has %zu members",
	    json_array_size(mem));
	for (size_t i = 0; i < 3; i++) {
		json_t *m = json_array_get(mem, i);
		TH_CHECK(&T,
		    strcmp(json_string_value(json_object_get(m, "id_number")),
		        hh_ids[i])
		            == 0
		        && strcmp(
		               json_string_value(json_object_get(m, "name")),
		               ev_mem[i].name)
		            == 0
		        && strcmp(json_string_value(
		                      json_object_get(m, "relation")),
		               ev_mem[i].relation)
		            == 0,
		    "member %zu is not the submitted one", i);
	}
	json_t *decl = json_object_get(t, "declared");
	TH_CHECK(&T,
	    json_integer_value(json_object_get(
	        json_object_get(decl, "income"), "pensions_fen"))
	            == ev_in.pensions_fen
	        && json_integer_value(json_object_get(
	               json_object_get(decl, "expenditure"), "medical_fen"))
	            == ev_out.medical_fen,
	    "the declared figures are not the submitted ones");
	TH_CHECK(&T, json_is_string(json_object_get(t, "created_at")),
	    "the task has no created time");
	TH_CHECK(&T,
	    strcmp(json_string_value(json_object_get(t, "status")), "open")
	        == 0,
	    "the task is not open");
	char id1[40];
	snprintf(id1, sizeof(id1), "%s",
	    json_string_value(json_object_get(t, "id")));
	json_decref(j);
	printf("ok: village 1's investigator sees A1 with its household\n");

	j = list("township=" TOWNSHIP, tw, &st);
	a = tasks_of(j, st, "township list");
	TH_CHECK(&T, json_array_size(a) == 2, "the township sees %zu tasks",
	    json_array_size(a));
	json_decref(j);
	printf("ok: the township's investigator sees both\n");
	tasks_paged(tw);

	j = list("village=" VILLAGE2, v2, &st);
	a = tasks_of(j, st, "village 2 list");
	TH_CHECK(&T,
	    json_array_size(a) == 1
	        && strcmp(json_string_value(json_object_get(
	                      json_array_get(a, 0), "application_id")),
	               "A2")
	            == 0,
	    "village 2 does not see exactly its own task");
	json_decref(j);
	printf("ok: village 2's investigator sees only A2\n");

	j = list("village=" VILLAGE1, v2, &st);
	expect_error(j, st, 403, "outside_jurisdiction", "village",
	    "another village's list");
	json_decref(j);
	j = list("township=" TOWNSHIP, v1, &st);
	expect_error(j, st, 403, "outside_jurisdiction", "township",
	    "a village investigator asking for the township");
	json_decref(j);
	j = list("village=" VILLAGE1, clk, &st);
	expect_error(j, st, 403, "forbidden", NULL, "a clerk's list");
	json_decref(j);
	j = list("village=" VILLAGE1, NULL, &st);
	expect_error(j, st, 401, "unauthorized", NULL, "no token");
	json_decref(j);
	j = list("village=22010300100", v1, &st);
	expect_error(j, st, 400, "invalid_code", "village", "a short code");
	json_decref(j);
	j = list("status=open", v1, &st);
	expect_error(j, st, 400, "code_required", "village", "no code");
	json_decref(j);

	char path[96];
	snprintf(path, sizeof(path), "/tasks/%s", id1);
	j = call("GET", path, v1, NULL, NULL, &st);
	TH_CHECK(&T,
	    st == 200
	        && strcmp(json_string_value(json_object_get(j, "id")), id1)
	            == 0,
	    "GET /tasks/{id}: %d", st);
	json_decref(j);
	j = call("GET", path, v2, NULL, NULL, &st);
	expect_error(j, st, 403, "outside_jurisdiction", "id",
	    "another village's task");
	json_decref(j);
	j = call("GET", "/tasks/00000000-0000-4000-8000-000000000000", v1,
	    NULL, NULL, &st);
	expect_error(
	    j, st, 404, "not_found", "id", "a task that is not there");
	json_decref(j);

	/* The same application again (intake never does, a replay could):
	 * still one task, with the same id. */
	submit("A1", VILLAGE1);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.task WHERE application_id = 'A1'",
	        inv_schema)
	        == 1,
	    "a repeated application.submitted opened a second task");
	printf("ok: one task per application\n");

	/* The open-task gauge of the township. */
	bool     seen = false;
	uint64_t end  = th_now_ms() + 10000;
	while (!seen && th_now_ms() < end) {
		char *text = NULL;
		if (th_http(
		        &T, port, "GET", "/metrics", NULL, NULL, NULL, &text)
		        == 200
		    && text != NULL)
			seen = strstr(text,
			           "sn_investigation_open_tasks{township="
			           "\"" TOWNSHIP "\"} 2\n")
			    != NULL;
		free(text);
		if (!seen)
			th_sleep_ms(50);
	}
	TH_CHECK(&T, seen, "the open-task gauge never showed 2");
	printf("ok: open tasks gauge by township\n");
	free(v1);
	free(v2);
	free(tw);
	free(clk);
}

/* A report: 201, the task closed, one investigation.completed matching
 * the input; the same Idempotency-Key gives the same answer and no second
 * event; another report for the closed task is 409. */
static void
report(void)
{
	char   *ta = token("inv.a", "investigator", VILLAGE1, staff_ids[0]);
	char    id[40], today[11], subject[64], actor[64];
	int     st, st2;
	json_t *j;

	submit("A1", VILLAGE1);
	task_id_of("A1", id);
	day(today, 0);
	char *body = report_json(NULL, today);

	char *first = NULL, *again = NULL;
	char  path[128];
	snprintf(path, sizeof(path), "/tasks/%s/report", id);
	st = th_http(&T, port, "POST", path, ta, "k-report-1", body, &first);
	TH_CHECK(
	    &T, st == 201, "the report got %d: %s", st, first ? first : "");
	j = json_loads(first, 0, NULL);
	TH_CHECK(&T,
	    j != NULL
	        && strcmp(json_string_value(json_object_get(j, "status")),
	               "closed")
	            == 0
	        && strcmp(json_string_value(json_object_get(
	                      json_object_get(j, "report"), "recommendation")),
	               "further_review")
	            == 0,
	    "the answer is not the closed task with its report: %s", first);
	json_decref(j);
	printf("ok: report -> 201, task closed\n");

	Sn__Assist__V1__InvestigationCompleted *ev
	    = completed_event(subject, actor);
	TH_CHECK(&T, strcmp(subject, "A1") == 0 && strcmp(actor, "inv.a") == 0,
	    "the envelope's subject/actor are %s/%s", subject, actor);
	TH_CHECK(&T,
	    strcmp(ev->application_id, "A1") == 0
	        && strcmp(ev->task_id, id) == 0,
	    "the event names the wrong application or task");
	TH_CHECK(&T, ev->review_id[0] == '\0',
	    "an application's event names review %s", ev->review_id);
	TH_CHECK(&T,
	    ev->n_investigators == 2
	        && strcmp(ev->investigators[0], "inv.a") == 0
	        && strcmp(ev->investigators[1], "inv.b") == 0,
	    "the event's investigators are wrong");
	TH_CHECK(&T, strcmp(ev->visit_date, today) == 0,
	    "the event's visit date is %s", ev->visit_date);
	TH_CHECK(&T, ev->n_members == 3, "the event has %zu members",
	    ev->n_members);
	for (size_t i = 0; i < 3; i++)
		TH_CHECK(&T,
		    strcmp(ev->members[i]->id_number, hh_ids[i]) == 0
		        && (ev->members[i]->present != 0) == (i != 2),
		    "the event's member %zu is wrong", i);
	TH_CHECK(&T,
	    strcmp(ev->living_conditions, "两间房，家具很少") == 0
	        && strcmp(ev->housing_condition, "旧砖房，屋顶漏雨") == 0,
	    "the event's conditions are wrong");
	TH_CHECK(&T,
	    ev->n_contradictions == 2
	        && strcmp(ev->contradictions[0], "院里有一辆新车") == 0
	        && strcmp(ev->contradictions[1], "申报无工资，邻居说在打工")
	            == 0,
	    "the event's contradictions are wrong");
	TH_CHECK(&T,
	    ev->recommendation
	        == SN__ASSIST__V1__RECOMMENDATION__RECOMMENDATION_FURTHER_REVIEW,
	    "the event's recommendation is %d", (int) ev->recommendation);
	TH_CHECK(&T, strcmp(ev->submitted_by, "inv.a") == 0,
	    "the event's submitter is %s", ev->submitted_by);
	sn__assist__v1__investigation_completed__free_unpacked(ev, NULL);
	if (!th_wait_int(&T, 1, 10000,
	        "SELECT count(seq) FROM %s.outbox"
	        " WHERE topic = 'investigation.completed'",
	        inv_schema))
		th_fail(&T, "the event was never published");
	printf("ok: one investigation.completed matching the report, "
	       "published\n");

	st2 = th_http(&T, port, "POST", path, ta, "k-report-1", body, &again);
	TH_CHECK(&T, st2 == st && again != NULL && strcmp(again, first) == 0,
	    "the repeat got %d and a different answer", st2);
	TH_CHECK(&T,
	    count("outbox WHERE topic = 'investigation.completed'") == 1,
	    "the repeat made a second event");
	printf("ok: the same key -> the same answer, one event\n");
	free(first);
	free(again);

	j = post_report(id, ta, "k-report-2", body, &st);
	expect_error(j, st, 409, "task_closed", "id", "a second report");
	json_decref(j);
	TH_CHECK(&T,
	    count("outbox WHERE topic = 'investigation.completed'") == 1
	        && count("report") == 1,
	    "the second report changed something");

	j = list("village=" VILLAGE1, ta, &st);
	TH_CHECK(&T, json_array_size(tasks_of(j, st, "open list")) == 0,
	    "the closed task is still listed as open");
	json_decref(j);
	j = list("village=" VILLAGE1 "&status=all", ta, &st);
	TH_CHECK(&T, json_array_size(tasks_of(j, st, "full list")) == 1,
	    "status=all does not list the closed task");
	json_decref(j);

	char *text = NULL;
	th_http(&T, port, "GET", "/metrics", NULL, NULL, NULL, &text);
	TH_CHECK(&T,
	    text != NULL
	        && strstr(text,
	               "sn_investigation_reports_total{recommendation="
	               "\"further_review\"} 1\n")
	            != NULL,
	    "the report counter is not 1");
	free(text);
	printf("ok: counter of reports by recommendation\n");
	free(body);
	free(ta);
}

/* One broken thing per request; each gets its 4xx with the field, and
 * nothing changes: the task stays open, no report, no event, no stored
 * answer. Then a valid report under a key a refused one used goes
 * through. */
static const char *edit_member_id;

static void
e_one_investigator(json_t *r)
{
	json_array_remove(json_object_get(r, "investigators"), 1);
}

static void
e_same_user(json_t *r)
{
	json_object_set_new(
	    json_array_get(json_object_get(r, "investigators"), 1), "user_id",
	    json_string("inv.a"));
}

static void
e_same_idn(json_t *r)
{
	json_object_set_new(
	    json_array_get(json_object_get(r, "investigators"), 1),
	    "id_number", json_string(staff_ids[0]));
}

static void
e_investigator_member(json_t *r)
{
	json_object_set_new(
	    json_array_get(json_object_get(r, "investigators"), 1),
	    "id_number", json_string(edit_member_id));
}

static void
e_member_missing(json_t *r)
{
	json_array_remove(json_object_get(r, "members"), 2);
}

static void
e_member_twice(json_t *r)
{
	json_object_set_new(json_array_get(json_object_get(r, "members"), 2),
	    "id_number", json_string(hh_ids[1]));
}

static void
e_member_unknown(json_t *r)
{
	json_object_set_new(json_array_get(json_object_get(r, "members"), 1),
	    "id_number", json_string(staff_ids[3]));
}

static void
e_bad_recommendation(json_t *r)
{
	json_object_set_new(r, "recommendation", json_string("maybe"));
}

static void
e_unknown_field(json_t *r)
{
	json_object_set_new(r, "remarks", json_string("x"));
}

static void
e_present_type(json_t *r)
{
	json_object_set_new(json_array_get(json_object_get(r, "members"), 0),
	    "present", json_string("yes"));
}

/* Stricter input (issue 8): unknown members at any depth, null where a
 * string is expected, control characters in names and free text. */
static void
e_unknown_nested_investigator(json_t *r)
{
	json_object_set_new(
	    json_array_get(json_object_get(r, "investigators"), 0), "nickname",
	    json_string("a"));
}

static void
e_unknown_nested_member(json_t *r)
{
	json_object_set_new(json_array_get(json_object_get(r, "members"), 1),
	    "note", json_string("x"));
}

static void
e_null_visit_date(json_t *r)
{
	json_object_set_new(r, "visit_date", json_null());
}

static void
e_null_user_id(json_t *r)
{
	json_object_set_new(
	    json_array_get(json_object_get(r, "investigators"), 1), "user_id",
	    json_null());
}

static void
e_null_contradiction(json_t *r)
{
	json_array_set_new(
	    json_object_get(r, "contradictions"), 1, json_null());
}

static void
e_control_living(json_t *r)
{
	json_object_set_new(r, "living_conditions",
	    json_string("两间房\x01"
	                "，家具很少"));
}

static void
e_control_contradiction(json_t *r)
{
	json_array_set_new(json_object_get(r, "contradictions"), 0,
	    json_string("a\x01"
	                "b"));
}

static void
e_control_user(json_t *r)
{
	json_object_set_new(
	    json_array_get(json_object_get(r, "investigators"), 1), "user_id",
	    json_string("inv.\x01"
	                "b"));
}

static void
e_missing_recommendation(json_t *r)
{
	json_object_del(r, "recommendation");
}

/* The staff.acted records bad_reports expects, in order. */
static th_acted_want refused[40];
static int           nrefused;

static void
refused_as(const char *user, const char *task, const char *key,
    unsigned status, const char *code)
{
	if (nrefused == (int) (sizeof(refused) / sizeof(refused[0])))
		th_fail(&T, "too many refusals to expect");
	refused[nrefused++] = (th_acted_want) { .service = "investigation",
		.user_id                                 = user,
		.method                                  = "POST",
		.route           = "/tasks/{id}/report",
		.subject         = task,
		.idempotency_key = key,
		.outcome_code    = code,
		.status          = status };
}

/* Every refused report is answered with its code and changes nothing but
 * its own staff.acted record (one each: who, which task, the key, the
 * status and code); the corrected report, under a key a refused one
 * used, goes through, recorded with its event. */
static void
bad_reports(void)
{
	char   *ta  = token("inv.a", "investigator", VILLAGE1, staff_ids[0]);
	char   *tc  = token("inv.c", "investigator", VILLAGE1, staff_ids[2]);
	char   *tv2 = token("inv.a", "investigator", VILLAGE2, staff_ids[0]);
	char   *clk = token("clerk.1", "clerk", VILLAGE1, NULL);
	char    id[40], today[11], tomorrow[11], before[11];
	int     st;
	json_t *j;
	char   *b;

	submit("A1", VILLAGE1);
	task_id_of("A1", id);
	day(today, 0);
	day(tomorrow, 1);
	day(before, -4); /* the application was accepted 3 days ago */
	int64_t     mark = th_outbox_mark(&T, inv_schema);
	static char keys[32][32];

	static const struct {
		void (*edit)(json_t *);
		const char *member;
		int         status;
		const char *code, *field, *what;
	} cases[] = {
		{ e_one_investigator, NULL, 422, "two_investigators_required",
		    "investigators", "one investigator" },
		{ e_same_user, NULL, 422, "same_investigator",
		    "investigators[1].user_id", "the same user twice" },
		{ e_same_idn, NULL, 422, "same_investigator_id_number",
		    "investigators[1].id_number", "the same id number twice" },
		{ e_investigator_member, "member", 422,
		    "investigator_is_household_member",
		    "investigators[1].id_number",
		    "an investigator in the household" },
		{ e_investigator_member, "applicant", 422,
		    "investigator_is_applicant", "investigators[1].id_number",
		    "the applicant as investigator" },
		{ e_member_missing, NULL, 422, "member_missing", "members",
		    "a member missing" },
		{ e_member_twice, NULL, 422, "duplicate_member",
		    "members[2].id_number", "a member twice" },
		{ e_member_unknown, NULL, 422, "unknown_member",
		    "members[1].id_number", "an unknown member" },
		{ e_bad_recommendation, NULL, 422, "invalid_recommendation",
		    "recommendation", "a bad recommendation" },
		{ e_unknown_field, NULL, 422, "unknown_field", "remarks",
		    "an unknown field" },
		{ e_present_type, NULL, 422, "invalid_type",
		    "members[0].present", "present as a string" },
		{ e_unknown_nested_investigator, NULL, 422, "unknown_field",
		    "investigators[0].nickname",
		    "an unknown field in an investigator" },
		{ e_unknown_nested_member, NULL, 422, "unknown_field",
		    "members[1].note", "an unknown field in a member" },
		{ e_null_visit_date, NULL, 422, "invalid_type", "visit_date",
		    "a null visit date" },
		{ e_null_user_id, NULL, 422, "invalid_type",
		    "investigators[1].user_id", "a null user id" },
		{ e_null_contradiction, NULL, 422, "invalid_type",
		    "contradictions[1]", "a null contradiction" },
		{ e_control_living, NULL, 422, "invalid_characters",
		    "living_conditions", "U+0001 in the living conditions" },
		{ e_control_contradiction, NULL, 422, "invalid_characters",
		    "contradictions[0]", "U+0001 in a contradiction" },
		{ e_control_user, NULL, 422, "invalid_characters",
		    "investigators[1].user_id", "U+0001 in a user id" },
		{ e_missing_recommendation, NULL, 422, "missing_field",
		    "recommendation", "no recommendation" },
	};
	int nkey = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *k        = keys[i];
		edit_member_id = cases[i].member == NULL        ? NULL
		    : strcmp(cases[i].member, "applicant") == 0 ? hh_ids[0]
		                                                : hh_ids[2];
		b              = report_json(cases[i].edit, today);
		snprintf(k, sizeof(keys[i]), "k-bad-%d", nkey++);
		j = post_report(id, ta, k, b, &st);
		expect_error(j, st, cases[i].status, cases[i].code,
		    cases[i].field, cases[i].what);
		json_decref(j);
		free(b);
		refused_as(
		    "inv.a", id, k, (unsigned) cases[i].status, cases[i].code);
	}

	b = report_json(NULL, tomorrow);
	j = post_report(id, ta, "k-bad-future", b, &st);
	expect_error(j, st, 422, "visit_date_in_future", "visit_date",
	    "a visit tomorrow");
	json_decref(j);
	free(b);
	refused_as("inv.a", id, "k-bad-future", 422, "visit_date_in_future");
	b = report_json(NULL, before);
	j = post_report(id, ta, "k-bad-before", b, &st);
	expect_error(j, st, 422, "visit_date_before_application", "visit_date",
	    "a visit before the application");
	json_decref(j);
	free(b);
	refused_as(
	    "inv.a", id, "k-bad-before", 422, "visit_date_before_application");

	b = report_json(NULL, today);
	j = post_report(id, tc, "k-bad-caller", b, &st);
	expect_error(j, st, 422, "caller_not_investigator", "investigators",
	    "a caller who is not one of the two");
	json_decref(j);
	refused_as(
	    "inv.c", id, "k-bad-caller", 422, "caller_not_investigator");
	j = post_report(id, tv2, "k-bad-juris", b, &st);
	expect_error(j, st, 403, "outside_jurisdiction", "id",
	    "an investigator of another village");
	json_decref(j);
	refused_as("inv.a", id, "k-bad-juris", 403, "outside_jurisdiction");
	j = post_report(id, clk, "k-bad-role", b, &st);
	expect_error(j, st, 403, "forbidden", NULL, "a clerk");
	json_decref(j);
	/* a role refused before its key is checked: the record still
	 * names the key sent */
	refused_as("clerk.1", id, "k-bad-role", 403, "forbidden");
	j = post_report(id, ta, NULL, b, &st);
	expect_error(j, st, 400, "idempotency_key_required", NULL,
	    "no Idempotency-Key");
	json_decref(j);
	refused_as("inv.a", id, "", 400, "idempotency_key_required");
	j = post_report(
	    "00000000-0000-4000-8000-000000000000", ta, "k-bad-404", b, &st);
	expect_error(
	    j, st, 404, "not_found", "id", "a task that is not there");
	json_decref(j);
	refused_as("inv.a", "00000000-0000-4000-8000-000000000000",
	    "k-bad-404", 404, "not_found");
	j = post_report("not-a-task", ta, "k-bad-id", b, &st);
	expect_error(j, st, 404, "not_found", "id", "a malformed task id");
	json_decref(j);
	refused_as("inv.a", "not-a-task", "k-bad-id", 404, "not_found");

	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.task WHERE status = 'open'",
	        inv_schema)
	        == 1,
	    "a refused report changed the task");
	TH_CHECK(&T, count("report") == 0, "a refused report was stored");
	TH_CHECK(&T, count("outbox WHERE " TH_DOMAIN_EVENT) == 0,
	    "a refused report made an event");
	TH_CHECK(&T, count("http_idempotency") == 0,
	    "a refused report's answer was stored under its key");
	printf("ok: nothing changed\n");
	th_acted rec[41];
	int      n = th_acted_after(&T, inv_schema, mark, rec, 41);
	TH_CHECK(
	    &T, n == nrefused, "%d staff.acted records, want %d", n, nrefused);
	for (int i = 0; i < n; i++)
		th_acted_is(&T, &rec[i], "a refused report", refused[i]);
	printf("ok: each refusal recorded once\n");

	/* The corrected report under a key a refused one used. */
	mark = th_outbox_mark(&T, inv_schema);
	j    = post_report(id, ta, "k-bad-0", b, &st);
	TH_CHECK(&T, st == 201, "the corrected report got %d", st);
	json_decref(j);
	TH_CHECK(&T, count("outbox WHERE " TH_DOMAIN_EVENT) == 1,
	    "the corrected report's event");
	TH_CHECK(&T, th_acted_after(&T, inv_schema, mark, rec, 2) == 1,
	    "the corrected report: want one staff.acted record");
	th_acted_is(&T, &rec[0], "the corrected report",
	    (th_acted_want) { .user_id = "inv.a",
	        .subject               = id,
	        .idempotency_key       = "k-bad-0",
	        .outcome_code          = "",
	        .status                = 201 });
	th_acted_with(
	    &T, inv_schema, &rec[0], "investigation.completed", "A1");
	printf("ok: a corrected report under a refused key goes through\n");
	free(b);
	free(ta);
	free(tc);
	free(tv2);
	free(clk);
}

/* application.withdrawn cancels the open task; a report for it is 409. */
static void
withdrawn(void)
{
	char   *ta = token("inv.a", "investigator", VILLAGE1, staff_ids[0]);
	char    id[40], today[11];
	int     st;
	json_t *j;

	submit("A1", VILLAGE1);
	submit("A2", VILLAGE1);
	task_id_of("A1", id);

	Sn__Assist__V1__ApplicationWithdrawn w
	    = SN__ASSIST__V1__APPLICATION_WITHDRAWN__INIT;
	w.application_id                    = (char *) "A1";
	w.reason                            = (char *) "moved away";
	w.withdrawn_by                      = (char *) "clerk.1";
	const char             *types[1]    = { "application.withdrawn" };
	const char             *subjects[1] = { "A1" };
	const ProtobufCMessage *msgs[1]     = { &w.base };
	publish(0, 1, types, subjects, msgs);

	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.task WHERE application_id = 'A1'"
	        " AND status = 'cancelled' AND cancel_reason = 'moved away'",
	        inv_schema)
	        == 1,
	    "the withdrawn application's task is not cancelled");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.task WHERE application_id = 'A2'"
	        " AND status = 'open'",
	        inv_schema)
	        == 1,
	    "the other application's task changed");
	printf("ok: withdrawn -> task cancelled, the other one open\n");

	j         = list("village=" VILLAGE1, ta, &st);
	json_t *a = tasks_of(j, st, "open list");
	TH_CHECK(&T,
	    json_array_size(a) == 1
	        && strcmp(json_string_value(json_object_get(
	                      json_array_get(a, 0), "application_id")),
	               "A2")
	            == 0,
	    "the open list still shows the cancelled task");
	json_decref(j);
	j = list("village=" VILLAGE1 "&status=cancelled", ta, &st);
	a = tasks_of(j, st, "cancelled list");
	TH_CHECK(&T, json_array_size(a) == 1, "no cancelled task listed");
	json_decref(j);
	char path[96];
	snprintf(path, sizeof(path), "/tasks/%s", id);
	j = call("GET", path, ta, NULL, NULL, &st);
	TH_CHECK(&T,
	    st == 200
	        && strcmp(json_string_value(json_object_get(j, "status")),
	               "cancelled")
	            == 0
	        && json_is_string(json_object_get(j, "cancelled_at"))
	        && strcmp(
	               json_string_value(json_object_get(j, "cancel_reason")),
	               "moved away")
	            == 0,
	    "GET /tasks/{id} of the withdrawn task: %d", st);
	json_decref(j);

	/* Issue 10: a resubmission (revision 2) opens no new task: the
	 * visit stands. */
	Sn__Assist__V1__ApplicationSubmitted r = submitted("A2", VILLAGE1);
	r.revision                             = 2;
	r.resubmitted_by                       = (char *) "clerk.1";
	r.n_members                            = 2;
	const char             *rtypes[1]      = { "application.resubmitted" };
	const char             *rsubj[1]       = { "A2" };
	const ProtobufCMessage *rmsgs[1]       = { &r.base };
	publish(0, 1, rtypes, rsubj, rmsgs);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.task WHERE application_id = 'A2'",
	        inv_schema)
	            == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.task_member m JOIN %s.task t"
	               " ON t.id = m.task_id WHERE t.application_id = 'A2'",
	               inv_schema, inv_schema)
	            == 3,
	    "a resubmission changed the tasks");
	printf("ok: a resubmission opens no new task\n");

	day(today, 0);
	char *b = report_json(NULL, today);
	j       = post_report(id, ta, "k-w-1", b, &st);
	expect_error(j, st, 409, "task_cancelled", "id",
	    "a report for a withdrawn application");
	json_decref(j);
	TH_CHECK(&T,
	    count("outbox WHERE " TH_DOMAIN_EVENT) == 0
	        && count("report") == 0,
	    "the refused report changed something");
	free(b);
	free(ta);
}

/* review.requested opens a review task (once per review), and its report
 * publishes investigation.completed for the application. */
static void
review(void)
{
	char   *ta = token("inv.a", "investigator", VILLAGE1, staff_ids[0]);
	char    id[40], today[11], subject[64], actor[64];
	int     st;
	json_t *j;

	Sn__Assist__V1__ReviewRequested rr
	    = SN__ASSIST__V1__REVIEW_REQUESTED__INIT;
	household(VILLAGE1);
	rr.review_id            = (char *) "R1";
	rr.beneficiary_id       = (char *) "B1";
	rr.application_id       = (char *) "A9";
	rr.household            = &ev_hh;
	rr.n_members            = 3;
	rr.members              = ev_memp;
	rr.reason               = (char *) "periodic";
	const char *types[2]    = { "review.requested", "review.requested" };
	const char *subjects[2] = { "A9", "A9" };
	const ProtobufCMessage *msgs[2] = { &rr.base, &rr.base };
	publish(1, 2, types, subjects, msgs);

	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.task WHERE kind = 'review'"
	        " AND review_id = 'R1' AND application_id = 'A9'",
	        inv_schema)
	        == 1,
	    "not exactly one review task");
	j         = list("village=" VILLAGE1, ta, &st);
	json_t *t = json_array_get(tasks_of(j, st, "list"), 0);
	TH_CHECK(&T,
	    t != NULL
	        && strcmp(
	               json_string_value(json_object_get(t, "kind")), "review")
	            == 0
	        && json_is_null(json_object_get(t, "declared")),
	    "the review task is not listed as one");
	json_decref(j);
	printf("ok: one review task per review\n");

	task_id_of("A9", id);
	day(today, 0);
	char *b = report_json(NULL, today);
	j       = post_report(id, ta, "k-r-1", b, &st);
	TH_CHECK(&T, st == 201, "the review's report got %d", st);
	json_decref(j);
	Sn__Assist__V1__InvestigationCompleted *ev
	    = completed_event(subject, actor);
	TH_CHECK(&T,
	    strcmp(subject, "A9") == 0 && strcmp(ev->application_id, "A9") == 0
	        && strcmp(ev->task_id, id) == 0,
	    "the review's event names the wrong application or task");
	TH_CHECK(&T, strcmp(ev->review_id, "R1") == 0,
	    "the review's event names review '%s', not R1", ev->review_id);
	sn__assist__v1__investigation_completed__free_unpacked(ev, NULL);
	printf("ok: the review's report -> investigation.completed naming "
	       "review R1\n");

	char path[96];
	snprintf(path, sizeof(path), "/tasks/%s", id);
	j = call("GET", path, ta, NULL, NULL, &st);
	TH_CHECK(&T,
	    st == 200 && json_is_string(json_object_get(j, "review_id"))
	        && strcmp(json_string_value(json_object_get(j, "review_id")),
	               "R1")
	            == 0,
	    "GET /tasks/{id} (%d) does not name review R1", st);
	json_decref(j);
	printf("ok: GET /tasks/{id} names the review\n");

	/* A change report's review carries the figures as reported: its
	 * task shows them as declared. */
	Sn__Assist__V1__ReviewRequested cr
	    = SN__ASSIST__V1__REVIEW_REQUESTED__INIT;
	Sn__Assist__V1__Expenditure cr_out = SN__ASSIST__V1__EXPENDITURE__INIT;
	cr_out.medical_fen                 = 45000;
	cr.review_id                       = (char *) "R2";
	cr.beneficiary_id                  = (char *) "B1";
	cr.application_id                  = (char *) "A9";
	cr.household                       = &ev_hh;
	cr.n_members                       = 3;
	cr.members                         = ev_memp;
	cr.reason                          = (char *) "change report";
	cr.kind = SN__ASSIST__V1__REVIEW_KIND__REVIEW_KIND_CHANGE_REPORT;
	cr.declared_expenditure              = &cr_out;
	const char             *types2[1]    = { "review.requested" };
	const char             *subjects2[1] = { "A9" };
	const ProtobufCMessage *msgs2[1]     = { &cr.base };
	publish(1, 1, types2, subjects2, msgs2);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.task WHERE kind = 'review'"
	        " AND review_id = 'R2' AND medical_fen = 45000"
	        " AND wages_fen = 0",
	        inv_schema)
	        == 1,
	    "the change report's review task does not hold its figures");
	printf("ok: a change report's review task holds the reported "
	       "figures\n");
	free(b);
	free(ta);
}

/* ---- the district clock ------------------------------------------------ */

/* The test clock's instant: 23:30:00 UTC two days from now, so that the
 * district's "today" is never the real one. */
static time_t clock_at;

static void
clock_start(int offset_min)
{
	static char shift[64], off[64];
	time_t      now = time(NULL);
	clock_at        = (now / 86400 + 2) * 86400 + 23 * 3600 + 30 * 60;
	snprintf(shift, sizeof(shift), "SN_CLOCK_OFFSET_S=%lld",
	    (long long) (clock_at - now));
	snprintf(
	    off, sizeof(off), "SN_DISTRICT_UTC_OFFSET_MIN=%d", offset_min);
	const char *env[] = { "SN_TEST_CLOCK=1", shift, off, NULL };
	start_service(env);
}

/* A visit dated the district's "today" on the test clock is accepted,
 * the day after it is in the future; a review's task may be visited from
 * the district's day of the event's time. */
static void
district_clock(int offset_min)
{
	char   *ta = token("inv.a", "investigator", VILLAGE1, staff_ids[0]);
	char    id[40], today[11], tomorrow[11], subject[64], actor[64];
	int     st;
	json_t *j;

	day_at(today, clock_at, offset_min);
	day_at(tomorrow, clock_at + 86400, offset_min);
	submit("A1", VILLAGE1);
	task_id_of("A1", id);

	char *b = report_json(NULL, tomorrow);
	j       = post_report(id, ta, "k-clock-1", b, &st);
	expect_error(j, st, 422, "visit_date_in_future", "visit_date",
	    "a visit the day after the district's today");
	json_decref(j);
	free(b);
	b = report_json(NULL, today);
	j = post_report(id, ta, "k-clock-2", b, &st);
	TH_CHECK(&T, st == 201, "a visit on the district's today (%s) got %d",
	    today, st);
	json_decref(j);
	free(b);
	Sn__Assist__V1__InvestigationCompleted *ev
	    = completed_event(subject, actor);
	TH_CHECK(&T, strcmp(ev->visit_date, today) == 0,
	    "the event's visit date is %s, not %s", ev->visit_date, today);
	sn__assist__v1__investigation_completed__free_unpacked(ev, NULL);
	printf("ok: today is %s on the district's test clock\n", today);

	Sn__Assist__V1__ReviewRequested rr
	    = SN__ASSIST__V1__REVIEW_REQUESTED__INIT;
	household(VILLAGE1);
	rr.review_id                    = (char *) "R1";
	rr.beneficiary_id               = (char *) "B1";
	rr.application_id               = (char *) "A9";
	rr.household                    = &ev_hh;
	rr.n_members                    = 3;
	rr.members                      = ev_memp;
	const char             *types[] = { "review.requested" };
	const char             *subj[]  = { "A9" };
	const ProtobufCMessage *msgs[]  = { &rr.base };
	publish(1, 1, types, subj, msgs);
	char *sent = th_text(&T,
	    "SELECT extract(epoch FROM created_at)::bigint::text FROM "
	    "%s.outbox"
	    " WHERE topic = 'review.requested'",
	    th_schema(&T, "approval"));
	TH_CHECK(&T, sent != NULL, "the review event is not in the outbox");
	char want[11];
	day_at(want, (time_t) atoll(sent), offset_min);
	free(sent);
	char *got = th_text(&T,
	    "SELECT to_char(not_before, 'YYYY-MM-DD') FROM %s.task"
	    " WHERE kind = 'review' AND origin_id = 'R1'",
	    inv_schema);
	TH_CHECK(&T, got != NULL && strcmp(got, want) == 0,
	    "the review's visit_not_before is %s, not the district's day %s",
	    got ? got : "(none)", want);
	free(got);
	printf("ok: a review may be visited from the district's day of its "
	       "event\n");
	free(ta);
}

static void
clock_east(void)
{
	district_clock(480);
}

static void
clock_west(void)
{
	district_clock(-720);
}

/* ---- issue 11: sealed at rest -------------------------------------------
 */

/* The sealed value of sql (one text cell), opened under column with the
 * tests' keys (th_default_env), is want. */
static bool
opens_to(
    const char *column, const char *want, const char *fmt, const char *arg)
{
	const char *ring = NULL, *blind = NULL;
	sn_seal    *sl     = NULL;
	char       *sealed = th_text(&T, fmt, inv_schema, arg);
	char       *plain  = NULL;
	bool        ok;

	for (const char *const *e = th_default_env; *e != NULL; e++) {
		if (strncmp(*e, "SN_SEAL_KEYS=", 13) == 0)
			ring = *e + 13;
		if (strncmp(*e, "SN_BLIND_KEY=", 13) == 0)
			blind = *e + 13;
	}
	ok = ring != NULL && blind != NULL && sealed != NULL
	    && strncmp(sealed, "sn1.", 4) == 0 && strstr(sealed, want) == NULL
	    && sn_seal_open(&sl, ring, blind) == SN_OK
	    && sn_seal_open_text(sl, column, sealed, &plain) == SN_OK
	    && strcmp(plain, want) == 0;
	free(sealed);
	free(plain);
	sn_seal_close(sl);
	return ok;
}

/* GET /tasks/{id} answers every id number in clear, none sealed. */
static void
answered_clear(const char *id, bool with_report)
{
	char  path[128];
	char *tok  = token("inv.a", "investigator", VILLAGE1, staff_ids[0]);
	char *body = NULL;
	snprintf(path, sizeof(path), "/tasks/%s", id);
	int st = th_http(&T, port, "GET", path, tok, NULL, NULL, &body);
	TH_CHECK(&T,
	    st == 200 && body != NULL && strstr(body, hh_ids[0]) != NULL
	        && strstr(body, hh_ids[2]) != NULL
	        && (!with_report || strstr(body, staff_ids[1]) != NULL)
	        && strstr(body, "sn1.") == NULL,
	    "GET %s does not answer the id numbers in clear: %d %s", path, st,
	    body != NULL ? body : "");
	free(body);
	free(tok);
}

/* Issue 11: a task's applicant and members, a report's investigators and
 * the members it names are stored sealed (no clear value: sn1. text that
 * opens under its column), answered in clear; a task an older version
 * wrote in clear while investigation was down is sealed at the next
 * start and answered alike. */
static void
sealed(void)
{
	char  id[40], today[11];
	int   st;
	char *ta = token("inv.a", "investigator", VILLAGE1, staff_ids[0]);

	submit("S1", VILLAGE1);
	task_id_of("S1", id);
	TH_CHECK(&T,
	    count("task WHERE applicant_id_number IS NOT NULL") == 0
	        && count("task_member WHERE id_number IS NOT NULL") == 0
	        && count("task_member WHERE id_number_index IS NOT NULL") == 3
	        && opens_to("investigation.task.applicant_id_number",
	            hh_ids[0],
	            "SELECT applicant_id_number_sealed FROM %s.task"
	            " WHERE application_id = '%s'",
	            "S1")
	        && opens_to("investigation.task_member.id_number", hh_ids[2],
	            "SELECT m.id_number_sealed FROM %s.task_member m"
	            " WHERE m.ord = 3 AND m.task_id = '%s'",
	            id),
	    "the task's id numbers are not sealed under their columns");
	day(today, 0);
	char   *body = report_json(NULL, today);
	json_t *j    = post_report(id, ta, "k-sealed-1", body, &st);
	TH_CHECK(&T, st == 201, "the report got %d", st);
	json_decref(j);
	free(body);
	TH_CHECK(&T,
	    count("report WHERE investigator1_idn IS NOT NULL OR"
	          " investigator2_idn IS NOT NULL")
	            == 0
	        && opens_to("investigation.report.investigator2_idn",
	            staff_ids[1],
	            "SELECT investigator2_idn_sealed FROM %s.report"
	            " WHERE task_id = '%s'",
	            id)
	        && opens_to("investigation.report.members.id_number",
	            hh_ids[1],
	            "SELECT members->1->>'id_number' FROM %s.report"
	            " WHERE task_id = '%s'",
	            id),
	    "the report's id numbers are not sealed");
	answered_clear(id, true);

	/* A task an older version wrote in clear. */
	th_stop(&T, svc);
	TH_CHECK(&T,
	    th_int(&T,
	        "WITH t AS (INSERT INTO %s.task (kind, origin_id,"
	        " application_id, registration, district_code, township_code,"
	        " village_code, address, has_able_supporter,"
	        " applicant_id_number, not_before) SELECT kind, 'S-old',"
	        " 'S-old', registration, district_code, township_code,"
	        " village_code, address, has_able_supporter, '%s', not_before"
	        " FROM %s.task WHERE application_id = 'S1' RETURNING id),"
	        " m AS (INSERT INTO %s.task_member (task_id, ord, id_number,"
	        " name, relation, birth_date, labour_capacity,"
	        " disability_grade, self_care) SELECT t.id, x.ord, x.idn,"
	        " 'Old', 'self', '1980-01-01', 'none', 0, 'able' FROM t,"
	        " (VALUES (1, '%s'), (2, '%s'), (3, '%s')) AS x(ord, idn)"
	        " RETURNING 1) SELECT count(*) FROM m",
	        inv_schema, hh_ids[0], inv_schema, inv_schema, hh_ids[0],
	        hh_ids[1], hh_ids[2])
	        == 3,
	    "cannot write a task in clear");
	TH_CHECK(&T,
	    th_int(&T,
	        "WITH r AS (INSERT INTO %s.report (task_id, submitted_by,"
	        " investigator1, investigator1_idn, investigator2,"
	        " investigator2_idn, visit_date, members, living_conditions,"
	        " housing_condition, contradictions, recommendation)"
	        " SELECT id, 'inv.a', 'inv.a', '%s', 'inv.b', '%s', "
	        "not_before,"
	        " '[{\"id_number\": \"%s\", \"present\": true}]', 'x', 'y',"
	        " '[]', 'approve' FROM %s.task WHERE application_id = 'S-old'"
	        " RETURNING 1) SELECT count(*) FROM r",
	        inv_schema, staff_ids[0], staff_ids[1], hh_ids[0], inv_schema)
	        == 1,
	    "cannot write a report in clear");
	start_service(NULL);
	task_id_of("S-old", id);
	TH_CHECK(&T,
	    count("task WHERE applicant_id_number IS NOT NULL") == 0
	        && count("task_member WHERE id_number IS NOT NULL") == 0
	        && opens_to("investigation.task_member.id_number", hh_ids[1],
	            "SELECT m.id_number_sealed FROM %s.task_member m"
	            " WHERE m.ord = 2 AND m.task_id = '%s'",
	            id)
	        && count("report WHERE investigator1_idn IS NOT NULL") == 0
	        && opens_to("investigation.report.investigator1_idn",
	            staff_ids[0],
	            "SELECT investigator1_idn_sealed FROM %s.report"
	            " WHERE task_id = '%s'",
	            id)
	        && opens_to("investigation.report.members.id_number",
	            hh_ids[0],
	            "SELECT members->0->>'id_number' FROM %s.report"
	            " WHERE task_id = '%s'",
	            id),
	    "the task and report written in clear were not sealed at "
	    "start-up");
	answered_clear(id, true);
	free(ta);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: investigation_scenarios SCENARIO\n");
		return 2;
	}
	const char *s = argv[1];
	th_init(&T, s);
	people();
	TH_CHECK(&T, sn_auth_open(&auth, th_token_private_pem) == SN_OK,
	    "sn_auth_open");
	th_publisher(&T, "intake");
	th_publisher(&T, "approval");
	th_publisher(&T, "investigation");
	if (strcmp(s, "clock_east") == 0)
		clock_start(480);
	else if (strcmp(s, "clock_west") == 0)
		clock_start(-720);
	else
		start_service(NULL);

	if (strcmp(s, "tasks") == 0)
		tasks();
	else if (strcmp(s, "report") == 0)
		report();
	else if (strcmp(s, "bad_reports") == 0)
		bad_reports();
	else if (strcmp(s, "withdrawn") == 0)
		withdrawn();
	else if (strcmp(s, "review") == 0)
		review();
	else if (strcmp(s, "clock_east") == 0)
		clock_east();
	else if (strcmp(s, "clock_west") == 0)
		clock_west();
	else if (strcmp(s, "sealed") == 0)
		sealed();
	else
		th_fail(&T, "unknown scenario %s", s);

	sn_auth_close(auth);
	th_fini(&T);
	printf("PASS %s\n", s);
	return 0;
}
