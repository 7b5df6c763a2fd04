/*
 * intake's integration tests: the real intake binary, a real PostgreSQL
 * (SN_TEST_DB_URL) and real NNG sockets, through tests/support/harness.h.
 * approval's events come from sn-inject publishing as "approval",
 * emergency's referrals from sn-inject publishing as "emergency".
 *
 *   intake_scenarios submit | idempotent | bad_input | person_twice |
 *                    concurrent | withdraw | approval_events | get_access |
 *                    referral_drafts | draft_list | draft_submit |
 *                    draft_bad_submit | accepted_next_day |
 *                    withdraw_unknown_field | control_chars |
 *                    change_death | change_refused | notice_death |
 *                    notice_unmatched | notice_kill |
 *                    income_sources | edge_household |
 *                    returned_resubmit | returned_withdrawn |
 *                    payee_changed | list_paged | sealed |
 *                    sealed_changes | keys_required
 *
 * The notice_* scenarios run the real agency-sim binary too: its POST
 * /notices publishes agency.notice, which intake follows.
 */
#include <pthread.h>
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
#include "sn/agency/v1/agency.pb-c.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/auth.h"
#include "sn/idnum.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "sn/seal.h"
#include "sn/uuid.h"

#ifndef SN_INTAKE_BIN
#define SN_INTAKE_BIN "intake"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif
#ifndef SN_AGENCY_SIM_BIN
#define SN_AGENCY_SIM_BIN "agency-sim"
#endif

#define VILLAGE "220103001002"

static th          T;
static int         port;
static const char *schema;
static char       *clerk_tok;  /* clerk of township 220103001 */
static char       *other_tok;  /* clerk of township 220103002 */
static char       *invest_tok; /* investigator of the village */
static int         id_seq;     /* makes every person of a run new */

/* ---- helpers -------------------------------------------------------- */

static char *
token(const char *user, const char *role, const char *juris)
{
	sn_auth     *auth;
	sn_principal p;
	char        *tok = NULL;
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	if (sn_auth_open(&auth, th_token_private_pem) != SN_OK
	    || sn_auth_issue(auth, &p, 3 * 86400, &tok) != SN_OK)
		th_fail(&T, "cannot issue a token");
	sn_auth_close(auth);
	return tok;
}

/* The tests' sealer, from the keys every spawned service gets
 * (th_default_env): what intake seals, the tests can open and index. */
static sn_seal *test_seal;

static const sn_seal *
test_sealer(void)
{
	const char *ring = NULL, *blind = NULL;

	for (const char *const *e = th_default_env; *e != NULL; e++) {
		if (strncmp(*e, "SN_SEAL_KEYS=", 13) == 0)
			ring = *e + 13;
		if (strncmp(*e, "SN_BLIND_KEY=", 13) == 0)
			blind = *e + 13;
	}
	if (test_seal == NULL
	    && (ring == NULL || blind == NULL
	        || sn_seal_open(&test_seal, ring, blind) != SN_OK))
		th_fail(&T, "cannot open the tests' sealer");
	return test_seal;
}

/* The blind index of value under name, as intake takes it
 * (schema/007_sealed.sql); four buffers in turn, so that a statement may
 * name several. */
static const char *
blind_index(const char *name, const char *value)
{
	static char buf[4][SN_SEAL_INDEX_HEX + 1];
	static int  next;
	char       *out = buf[next++ % 4];

	sn_seal_index(test_sealer(), name, value, out);
	return out;
}

/* The index intake looks a person up by. */
static const char *
id_index(const char *id_number)
{
	return blind_index("intake.id_number", id_number);
}

/* The index of a payee's account. */
static const char *
account_index(const char *account_number)
{
	return blind_index("intake.account_number", account_number);
}

/* A new person: a valid identity number and its birth date. */
typedef struct person {
	char id[19];
	char birth[11];
} person;

static person
new_person(int year)
{
	person p;
	char   buf[64];
	id_seq++;
	unsigned y     = (unsigned) (year + id_seq) % 10000;
	unsigned month = 1 + (unsigned) id_seq % 12;
	unsigned day   = 1 + (unsigned) id_seq % 28;
	unsigned seq
	    = ((unsigned) getpid() % 900 + 1 + (unsigned) id_seq) % 1000;
	snprintf(
	    buf, sizeof(buf), "220103%04u%02u%02u%03u", y, month, day, seq);
	memcpy(p.id, buf, 17);
	p.id[17] = sn_idnum_check_char(p.id);
	p.id[18] = '\0';
	snprintf(buf, sizeof(buf), "%04u-%02u-%02u", y, month, day);
	memcpy(p.birth, buf, 11);
	return p;
}

/* The district's offset from UTC in seconds, as the service reads it
 * (SN_DISTRICT_UTC_OFFSET_MIN, default 480: UTC+8). */
static long
district_offset_s(void)
{
	const char *v = getenv("SN_DISTRICT_UTC_OFFSET_MIN");
	return (v != NULL && v[0] != '\0' ? strtol(v, NULL, 10) : 480) * 60;
}

/* The district's date at Unix time t plus days, as YYYY-MM-DD: worked out
 * here from the UTC clock, not by the code under test. */
static void
district_date_at(time_t t, int days, char out[11])
{
	struct tm tm;
	time_t    d = t + (time_t) district_offset_s() + (time_t) days * 86400;
	gmtime_r(&d, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Today and today + days on the district's clock. */
static void
local_date(int days, char out[11])
{
	district_date_at(time(NULL), days, out);
}

/* An application JSON for the given persons, the first the applicant. */
static json_t *
app_json(const person *ps, size_t n)
{
	static const char *const rel[]
	    = { "self", "spouse", "child", "parent" };
	char signed_on[11];
	local_date(-1, signed_on);
	json_t *ms = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ms,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
		        "id_number", ps[i].id, "name", "Member Name",
		        "relation", rel[i < 3 ? i : 3], "birth_date",
		        ps[i].birth, "labour_capacity",
		        i == 0 ? "partial" : "none", "disability_grade",
		        (int) i % 5, "self_care",
		        i == 1 ? "partially_able" : "able"));
	json_t *j = json_pack(
	    "{s:{s:s, s:s, s:s, s:s, s:s, s:b}, s:o,"
	    " s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I},"
	    " s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:s}",
	    "household", "registration", "urban", "district_code", "220103",
	    "township_code", "220103001", "village_code", VILLAGE, "address",
	    "Room 2, Building 7, Riverside", "has_able_supporter", 1,
	    "members", ms, "declared_income", "wages_fen", (json_int_t) 150000,
	    "business_fen", (json_int_t) 2000, "pensions_fen",
	    (json_int_t) 30000, "other_fen", (json_int_t) 1,
	    "declared_expenditure", "medical_fen", (json_int_t) 40000,
	    "education_fen", (json_int_t) 12000, "housing_fen",
	    (json_int_t) 25000, "employment_costs_fen", (json_int_t) 3000,
	    "consent", "reference", "CR-7731", "signed_date", signed_on,
	    "payee", "bank_code", "ICBC", "account_number",
	    "6222020200112233445", "account_name", "Member Name",
	    "requested_category", "expenditure");
	if (j == NULL)
		th_fail(&T, "cannot build an application");
	return j;
}

static char *
dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

typedef struct answer {
	int     status;
	json_t *body;
} answer;

static answer
call(const char *method, const char *path, const char *tok, const char *key,
    const char *json)
{
	char  *raw = NULL;
	answer a   = { .status
		  = th_http(&T, port, method, path, tok, key, json, &raw) };
	a.body
	    = raw != NULL && raw[0] != '\0' ? json_loads(raw, 0, NULL) : NULL;
	free(raw);
	return a;
}

static const char *
jstr(json_t *j, const char *path)
{
	/* "error.code" style, objects only. */
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = j;
	for (char *s = strtok(buf, "."); s != NULL && cur != NULL;
	     s       = strtok(NULL, "."))
                cur = json_object_get(cur, s);
	return json_string_value(cur);
}

static void
expect_error(answer a, int status, const char *code, const char *field,
    const char *what)
{
	const char *c = jstr(a.body, "error.code");
	const char *f = jstr(a.body, "error.field");
	TH_CHECK(&T, a.status == status, "%s: status %d, want %d", what,
	    a.status, status);
	TH_CHECK(&T, c != NULL && strcmp(c, code) == 0, "%s: code %s, want %s",
	    what, c ? c : "(none)", code);
	if (field != NULL)
		TH_CHECK(&T, f != NULL && strcmp(f, field) == 0,
		    "%s: field %s, want %s", what, f ? f : "(none)", field);
}

static char key_buf[64];
static const char *
new_key(void)
{
	static int n;
	snprintf(key_buf, sizeof(key_buf), "key-%d-%d", (int) getpid(), ++n);
	return key_buf;
}

/* Submits and expects 201; returns the application id (malloc'd). */
static char *
submit_ok(const person *ps, size_t n, const char *what)
{
	char  *body = dump(app_json(ps, n));
	answer a = call("POST", "/applications", clerk_tok, new_key(), body);
	free(body);
	const char *id = jstr(a.body, "application_id");
	if (a.status != 201 || id == NULL)
		th_fail(&T, "%s: status %d, body code %s", what, a.status,
		    jstr(a.body, "error.code") ? jstr(a.body, "error.code")
		                               : "-");
	char *r = strdup(id);
	json_decref(a.body);
	return r;
}

/* The rows of intake's tables and its domain events: a refusal's audit
 * record (staff.acted, acted.h) is not counted. */
static int64_t
rows_everywhere(void)
{
	return th_int(&T,
	    "SELECT (SELECT count(*) FROM %s.application)"
	    " + (SELECT count(*) FROM %s.member)"
	    " + (SELECT count(*) FROM %s.claim)"
	    " + (SELECT count(*) FROM %s.beneficiary_member)"
	    " + (SELECT count(*) FROM %s.http_idempotency)"
	    " + (SELECT count(*) FROM %s.outbox WHERE " TH_DOMAIN_EVENT ")",
	    schema, schema, schema, schema, schema, schema);
}

static th_proc *intake_proc;

/* Starts intake with extra settings ("KEY=VALUE", NULL-ended, may be
 * NULL) and issues the tokens. */
static void
start_intake_env(const char *const *extra)
{
	static char port_env[32];
	th_publisher(&T, "intake");
	th_publisher(&T, "approval");
	th_publisher(&T, "emergency");
	th_publisher(&T, "disbursement");
	port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", port);
	const char *env[8] = { port_env, NULL };
	for (size_t i = 0; extra != NULL && extra[i] != NULL && i < 5; i++)
		env[1 + i] = extra[i];
	const char *argv[] = { SN_INTAKE_BIN, NULL };
	intake_proc        = th_spawn(&T, "intake", SN_INTAKE_BIN, argv, env);
	if (!th_wait_ready(&T, port, 30000))
		th_fail(&T, "intake did not get ready");
	schema     = th_schema(&T, "intake");
	clerk_tok  = token("clerk-a", "clerk", "220103001");
	other_tok  = token("clerk-b", "clerk", "220103002");
	invest_tok = token("inv-1", "investigator", VILLAGE);
}

static void
start_intake(void)
{
	start_intake_env(NULL);
}

/* The one outbox row of topic for subject, as bytes (malloc'd). */
#define OUTBOX_ROW "FROM %s.outbox WHERE topic = '%s' AND subject = '%s'"
static uint8_t *
outbox_data(const char *topic, const char *subject, size_t *len, char *actor,
    size_t actor_cap)
{
	int n = th_rows(&T, "SELECT 1 " OUTBOX_ROW, schema, topic, subject);
	if (n != 1)
		th_fail(&T, "%d %s rows for %s, want exactly 1", n, topic,
		    subject);
	uint8_t *out = th_bytes_at(
	    &T, 0, len, "SELECT data " OUTBOX_ROW, schema, topic, subject);
	char *a
	    = th_text(&T, "SELECT actor " OUTBOX_ROW, schema, topic, subject);
	TH_CHECK(
	    &T, out != NULL && a != NULL, "the %s row has no data", topic);
	snprintf(actor, actor_cap, "%s", a);
	free(a);
	return out;
}

/* Writes events for sn-inject and runs it as publisher pub until every
 * one of them has a sequence; returns the process. */
static th_proc *
inject_as(const char *pub, const char *lines)
{
	static int n;
	char       path[512];
	snprintf(path, sizeof(path), "%s/inject%d.txt", T.run_dir, ++n);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		th_fail(&T, "cannot write %s", path);
	fputs(lines, f);
	fclose(f);
	int64_t before = th_int_maybe(
	    &T, "SELECT count(*) FROM %s.outbox", th_schema(&T, pub));
	int64_t nlines = 0;
	for (const char *p = lines; *p; p++)
		nlines += *p == '\n';
	const char *argv[]
	    = { SN_INJECT_BIN, "--name", pub, "--events", path, NULL };
	th_proc *proc = th_spawn(&T, pub, SN_INJECT_BIN, argv, NULL);
	if (!th_wait_int(&T, (before < 0 ? 0 : before) + nlines, 30000,
	        "SELECT count(seq) FROM %s.outbox", th_schema(&T, pub)))
		th_fail(&T, "sn-inject did not publish its events");
	return proc;
}

static th_proc *
inject(const char *lines)
{
	return inject_as("approval", lines);
}

/* One sn-inject line: topic, subject, actor and the message packed. */
static void
line_of(char *out, size_t cap, const char *topic, const char *subject,
    const ProtobufCMessage *msg)
{
	out[0] = '\0';
	th_inject_line(out, cap, topic, subject, "approval-test", msg);
}

static void
decided_line(char *out, size_t cap, const char *app, bool approved)
{
	Sn__Assist__V1__ApplicationDecided d
	    = SN__ASSIST__V1__APPLICATION_DECIDED__INIT;
	d.application_id = (char *) app;
	d.case_id        = "case-1";
	d.approved       = approved;
	d.decided_by     = "officer-1";
	line_of(out, cap, "application.decided", app, &d.base);
}

static void
beneficiary_line(char *out, size_t cap, const char *bid, const char *app,
    Sn__Assist__V1__BeneficiaryStatus st, char **ids, size_t n)
{
	Sn__Assist__V1__BeneficiaryChanged b
	    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
	b.beneficiary_id      = (char *) bid;
	b.application_id      = (char *) app;
	b.status              = st;
	b.n_member_id_numbers = n;
	b.member_id_numbers   = ids;
	line_of(out, cap, "beneficiary.changed", app, &b.base);
}

/* ---- scenarios ------------------------------------------------------ */

/* A submission answers 201 with the id and dates, stores the application,
 * and writes exactly one application.submitted whose protobuf matches the
 * input, and in the same transaction the clerk's staff.acted record; the
 * relay gives both a sequence. */
static void
submit(void)
{
	start_intake();
	person ps[3]
	    = { new_person(1970), new_person(1972), new_person(2005) };
	json_t *in   = app_json(ps, 3);
	char   *body = json_dumps(in, JSON_COMPACT);
	char    key[64];
	snprintf(key, sizeof(key), "%s", new_key());
	answer a = call("POST", "/applications", clerk_tok, key, body);
	free(body);
	TH_CHECK(&T, a.status == 201, "submit: status %d", a.status);
	const char *id = jstr(a.body, "application_id");
	char        today[11], deadline[11];
	local_date(0, today);
	local_date(15, deadline);
	TH_CHECK(&T, id != NULL && strlen(id) == 36, "no application id");
	TH_CHECK(&T, strcmp(jstr(a.body, "accepted_date"), today) == 0,
	    "accepted_date %s, want %s", jstr(a.body, "accepted_date"), today);
	TH_CHECK(&T, strcmp(jstr(a.body, "deadline_date"), deadline) == 0,
	    "deadline_date %s, want %s", jstr(a.body, "deadline_date"),
	    deadline);

	TH_CHECK(&T, th_events(&T, schema) == 1, "want exactly one event");
	th_acted rec[2];
	TH_CHECK(&T, th_acted_after(&T, schema, 0, rec, 2) == 1,
	    "want exactly one staff.acted record");
	th_acted_is(&T, &rec[0], "the submission",
	    (th_acted_want) { .service = "intake",
	        .user_id               = "clerk-a",
	        .method                = "POST",
	        .route                 = "/applications",
	        .subject               = id,
	        .idempotency_key       = key,
	        .outcome_code          = "",
	        .status                = 201 });
	th_acted_with(&T, schema, &rec[0], "application.submitted", id);
	size_t   len;
	char     actor[64];
	uint8_t *data = outbox_data(
	    "application.submitted", id, &len, actor, sizeof(actor));
	TH_CHECK(&T, strcmp(actor, "clerk-a") == 0, "actor %s", actor);
	Sn__Assist__V1__ApplicationSubmitted *ev
	    = sn__assist__v1__application_submitted__unpack(NULL, len, data);
	TH_CHECK(&T, ev != NULL, "the outbox data does not decode");
	TH_CHECK(&T, strcmp(ev->application_id, id) == 0, "event id");
	TH_CHECK(&T, strcmp(ev->accepted_date, today) == 0, "event accepted");
	TH_CHECK(
	    &T, strcmp(ev->deadline_date, deadline) == 0, "event deadline");
	TH_CHECK(&T, strcmp(ev->taken_in_by, "clerk-a") == 0, "taken_in_by");
	TH_CHECK(&T,
	    ev->household != NULL
	        && ev->household->registration
	            == SN__ASSIST__V1__REGISTRATION__REGISTRATION_URBAN
	        && strcmp(ev->household->district_code, "220103") == 0
	        && strcmp(ev->household->township_code, "220103001") == 0
	        && strcmp(ev->household->village_code, VILLAGE) == 0
	        && strcmp(
	               ev->household->address, "Room 2, Building 7, Riverside")
	            == 0
	        && ev->household->has_able_supporter,
	    "event household differs from the input");
	TH_CHECK(&T, ev->n_members == 3, "event members %zu", ev->n_members);
	json_t *ms = json_object_get(in, "members");
	for (size_t i = 0; i < 3; i++) {
		json_t                 *m  = json_array_get(ms, i);
		Sn__Assist__V1__Member *em = ev->members[i];
		TH_CHECK(&T,
		    strcmp(em->id_number, ps[i].id) == 0
		        && strcmp(em->birth_date, ps[i].birth) == 0
		        && strcmp(em->name, jstr(m, "name")) == 0
		        && strcmp(em->relation, jstr(m, "relation")) == 0
		        && em->disability_grade
		            == json_integer_value(
		                json_object_get(m, "disability_grade")),
		    "event member %zu differs", i);
	}
	TH_CHECK(&T,
	    ev->members[0]->labour_capacity
	            == SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_PARTIAL
	        && ev->members[1]->self_care
	            == SN__ASSIST__V1__SELF_CARE__SELF_CARE_PARTIALLY_ABLE,
	    "event member enums differ");
	TH_CHECK(&T,
	    ev->declared_income->wages_fen == 150000
	        && ev->declared_income->business_fen == 2000
	        && ev->declared_income->pensions_fen == 30000
	        && ev->declared_income->other_fen == 1
	        && ev->declared_expenditure->medical_fen == 40000
	        && ev->declared_expenditure->education_fen == 12000
	        && ev->declared_expenditure->housing_fen == 25000
	        && ev->declared_expenditure->employment_costs_fen == 3000,
	    "event money differs");
	TH_CHECK(&T,
	    strcmp(ev->consent->reference, "CR-7731") == 0
	        && strcmp(ev->consent->signed_date,
	               jstr(in, "consent.signed_date"))
	            == 0
	        && strcmp(ev->payee->bank_code, "ICBC") == 0
	        && strcmp(ev->payee->account_number, "6222020200112233445")
	            == 0
	        && strcmp(ev->payee->account_name, "Member Name") == 0
	        && ev->requested_category
	            == SN__ASSIST__V1__CATEGORY__CATEGORY_EXPENDITURE,
	    "event consent, payee or category differ");
	sn__assist__v1__application_submitted__free_unpacked(ev, NULL);
	free(data);
	if (!th_wait_int(&T, 2, 10000,
	        "SELECT count(*) FROM %s.outbox WHERE seq IN (1, 2)", schema))
		th_fail(&T,
		    "the relay did not number the event and its record"
		    " 1 and 2");

	/* GET shows it, id numbers in full, status open. */
	char path[128];
	snprintf(path, sizeof(path), "/applications/%s", id);
	answer g = call("GET", path, clerk_tok, NULL, NULL);
	TH_CHECK(&T, g.status == 200, "GET status %d", g.status);
	TH_CHECK(&T, strcmp(jstr(g.body, "status"), "open") == 0, "status");
	json_t *gm = json_array_get(json_object_get(g.body, "members"), 2);
	TH_CHECK(&T, strcmp(jstr(gm, "id_number"), ps[2].id) == 0,
	    "GET member id %s", jstr(gm, "id_number"));
	TH_CHECK(&T,
	    json_integer_value(json_object_get(
	        json_object_get(g.body, "declared_income"), "wages_fen"))
	        == 150000,
	    "GET money");
	json_decref(g.body);
	json_decref(a.body);
	json_decref(in);
}

struct racer {
	char  *body;
	char   key[32];
	answer a;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	r->a = call("POST", "/applications", clerk_tok, r->key, r->body);
	return NULL;
}

/* The same Idempotency-Key twice: one application, the same answer; the
 * key with another body: 422; the same request sent 8 times at once with
 * one key: one application, and every answer is its 201. Each first
 * answer and the 422 are recorded as staff actions, no replay is. */
static void
idempotent(void)
{
	start_intake();
	person      ps[2] = { new_person(1960), new_person(1961) };
	char       *body  = dump(app_json(ps, 2));
	const char *key   = "same-key-1";
	answer      a = call("POST", "/applications", clerk_tok, key, body);
	answer      b = call("POST", "/applications", clerk_tok, key, body);
	TH_CHECK(&T, a.status == 201 && b.status == 201, "statuses %d and %d",
	    a.status, b.status);
	TH_CHECK(&T,
	    strcmp(
	        jstr(a.body, "application_id"), jstr(b.body, "application_id"))
	        == 0,
	    "the repeat answered another application");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.application", schema) == 1,
	    "want one application");
	TH_CHECK(&T, th_events(&T, schema) == 1, "want one event");
	char first[64];
	snprintf(first, sizeof(first), "%s", jstr(a.body, "application_id"));
	person other[1] = { new_person(1962) };
	char  *body2    = dump(app_json(other, 1));
	answer c        = call("POST", "/applications", clerk_tok, key, body2);
	expect_error(c, 422, "idempotency_key_reused", NULL, "reused key");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.application", schema) == 1,
	    "the reused key stored something");
	free(body);
	free(body2);
	json_decref(a.body);
	json_decref(b.body);
	json_decref(c.body);

	enum { N = 8 };
	struct racer r[N];
	pthread_t    tid[N];
	person       ps2[2] = { new_person(1963), new_person(1964) };
	char        *same   = dump(app_json(ps2, 2));
	for (int i = 0; i < N; i++) {
		r[i].body = same;
		snprintf(r[i].key, sizeof(r[i].key), "same-key-2");
	}
	for (int i = 0; i < N; i++)
		pthread_create(&tid[i], NULL, race, &r[i]);
	for (int i = 0; i < N; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i < N; i++) {
		TH_CHECK(&T, r[i].a.status == 201,
		    "concurrent repeat %d answered %d (%s)", i, r[i].a.status,
		    jstr(r[i].a.body, "error.code")
		        ? jstr(r[i].a.body, "error.code")
		        : "-");
		TH_CHECK(&T,
		    strcmp(jstr(r[i].a.body, "application_id"),
		        jstr(r[0].a.body, "application_id"))
		        == 0,
		    "concurrent repeats answered different applications");
	}
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.application", schema) == 2,
	    "concurrent repeats stored more than one application");
	th_acted rec[4];
	int      n = th_acted_after(&T, schema, 0, rec, 4);
	TH_CHECK(&T, n == 3, "%d staff.acted records, want 3 (no replay)", n);
	th_acted_is(&T, &rec[0], "the first submission",
	    (th_acted_want) { .user_id = "clerk-a",
	        .route                 = "/applications",
	        .subject               = first,
	        .idempotency_key       = key,
	        .outcome_code          = "",
	        .status                = 201 });
	th_acted_is(&T, &rec[1], "the reused key",
	    (th_acted_want) { .user_id = "clerk-a",
	        .route                 = "/applications",
	        .idempotency_key       = key,
	        .outcome_code          = "idempotency_key_reused",
	        .status                = 422 });
	th_acted_is(&T, &rec[2], "the concurrent repeats",
	    (th_acted_want) { .user_id = "clerk-a",
	        .route                 = "/applications",
	        .subject               = jstr(r[0].a.body, "application_id"),
	        .idempotency_key       = "same-key-2",
	        .outcome_code          = "",
	        .status                = 201 });
	for (int i = 0; i < N; i++)
		json_decref(r[i].a.body);
	free(same);
}

struct bad_case {
	const char *what;
	const char *path;  /* member to change */
	const char *value; /* JSON; NULL deletes */
	int         status;
	const char *code;
	const char *field;
};

static void
set_member(json_t *root, const char *path, const char *value)
{
	char buf[96];
	snprintf(buf, sizeof(buf), "%s", path);
	char   *dot = strrchr(buf, '.');
	json_t *obj = root;
	if (dot != NULL) {
		*dot     = '\0';
		char *br = strchr(buf, '[');
		if (br != NULL) {
			*br = '\0';
			obj = json_array_get(
			    json_object_get(root, buf), (size_t) atoi(br + 1));
		} else {
			obj = json_object_get(root, buf);
		}
	}
	const char *k = dot != NULL ? dot + 1 : buf;
	if (value == NULL)
		json_object_del(obj, k);
	else
		json_object_set_new(
		    obj, k, json_loads(value, JSON_DECODE_ANY, NULL));
}

/* Bad input: a 4xx naming the field, and nothing in any intake table,
 * the outbox's events and the idempotency store included; each refusal
 * but the 401 (no one to name) is recorded as one staff.acted with its
 * status and code. */
static void
bad_input(void)
{
	start_intake();
	person ps[3]
	    = { new_person(1950), new_person(1951), new_person(1990) };
	char dup[24], badid[24];
	snprintf(dup, sizeof(dup), "\"%s\"", ps[0].id);
	snprintf(badid, sizeof(badid), "\"%s\"", ps[1].id);
	badid[18]                     = badid[18] == '0' ? '1' : '0';
	const struct bad_case cases[] = {
		{ "bad id number", "members[1].id_number", badid, 422,
		    "invalid_id_number", "members[1].id_number" },
		{ "birth date contradicts", "members[2].birth_date",
		    "\"1990-01-02\"", 422, "birth_date_mismatch",
		    "members[2].birth_date" },
		{ "same person twice", "members[2].id_number", dup, 422,
		    "duplicate_member", "members[2].id_number" },
		{ "codes do not nest", "household.village_code",
		    "\"220103009001\"", 403, "codes_do_not_nest",
		    "household.village_code" },
		{ "negative money", "declared_income.wages_fen", "-5", 422,
		    "invalid_money", "declared_income.wages_fen" },
		{ "non-integer money", "declared_expenditure.housing_fen",
		    "10.5", 422, "invalid_money",
		    "declared_expenditure.housing_fen" },
		{ "missing consent", "consent", NULL, 422, "consent_required",
		    "consent" },
		{ "unknown field", "household.phone", "\"1\"", 422,
		    "unknown_field", "household.phone" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = app_json(ps, 3);
		set_member(j, cases[i].path, cases[i].value);
		char  *body = dump(j);
		answer a    = call(
		       "POST", "/applications", clerk_tok, new_key(), body);
		expect_error(a, cases[i].status, cases[i].code, cases[i].field,
		    cases[i].what);
		free(body);
		json_decref(a.body);
	}
	/* Outside the caller's jurisdiction; a role that may not submit;
	 * no token; not JSON. */
	char  *body = dump(app_json(ps, 3));
	answer a = call("POST", "/applications", other_tok, new_key(), body);
	expect_error(a, 403, "outside_jurisdiction", "household.village_code",
	    "outside jurisdiction");
	json_decref(a.body);
	a = call("POST", "/applications", invest_tok, new_key(), body);
	TH_CHECK(&T, a.status == 403, "investigator submitted: %d", a.status);
	json_decref(a.body);
	a = call("POST", "/applications", NULL, new_key(), body);
	TH_CHECK(&T, a.status == 401, "no token: %d", a.status);
	json_decref(a.body);
	a = call("POST", "/applications", clerk_tok, new_key(), "{\"a\":");
	TH_CHECK(&T, a.status == 400, "bad JSON: %d", a.status);
	json_decref(a.body);
	free(body);
	TH_CHECK(&T, rows_everywhere() == 0, "bad input left %lld rows behind",
	    (long long) rows_everywhere());

	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	th_acted rec[NCASES + 4];
	int      n = th_acted_after(&T, schema, 0, rec, NCASES + 4);
	TH_CHECK(&T, n == NCASES + 3, "%d staff.acted records, want %d", n,
	    NCASES + 3);
	for (int i = 0; i < NCASES; i++)
		th_acted_is(&T, &rec[i], cases[i].what,
		    (th_acted_want) { .service = "intake",
		        .user_id               = "clerk-a",
		        .method                = "POST",
		        .route                 = "/applications",
		        .subject               = "",
		        .outcome_code          = cases[i].code,
		        .status                = (unsigned) cases[i].status });
	th_acted_is(&T, &rec[NCASES], "outside jurisdiction",
	    (th_acted_want) { .user_id = "clerk-b",
	        .route                 = "/applications",
	        .outcome_code          = "outside_jurisdiction",
	        .status                = 403 });
	th_acted_is(&T, &rec[NCASES + 1], "the investigator",
	    (th_acted_want) { .user_id = "inv-1",
	        .route                 = "/applications",
	        .outcome_code          = "forbidden",
	        .status                = 403 });
	th_acted_is(&T, &rec[NCASES + 2], "bad JSON",
	    (th_acted_want) { .user_id = "clerk-a",
	        .route                 = "/applications",
	        .outcome_code          = "invalid_json",
	        .status                = 400 });
}

/* A person already in an open application: 409 with its id, naming the
 * member; nothing of the second application is stored. */
static void
person_twice(void)
{
	start_intake();
	person shared    = new_person(1965);
	person first[2]  = { shared, new_person(1966) };
	char  *id        = submit_ok(first, 2, "first");
	person second[2] = { new_person(1940), shared };
	char  *body      = dump(app_json(second, 2));
	answer a = call("POST", "/applications", clerk_tok, new_key(), body);
	expect_error(a, 409, "person_in_open_application",
	    "members[1].id_number", "second application");
	TH_CHECK(&T,
	    jstr(a.body, "error.application_id") != NULL
	        && strcmp(jstr(a.body, "error.application_id"), id) == 0,
	    "the 409 does not name the first application");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.application", schema) == 1
	        && th_events(&T, schema) == 1
	        && th_int(&T, "SELECT count(*) FROM %s.member", schema) == 2,
	    "the refused application left rows");
	json_decref(a.body);
	free(body);
	free(id);
}

/* 20 concurrent submissions sharing one person: exactly one succeeds, the
 * others get 409 naming the winner (whether they lost before or inside
 * their transaction), and the person is claimed by the winner. */
static void
concurrent(void)
{
	enum { N = 20 };
	start_intake();
	person       shared = new_person(1955);
	struct racer r[N];
	pthread_t    tid[N];
	for (int i = 0; i < N; i++) {
		person ps[2] = { new_person(1930), shared };
		r[i].body    = dump(app_json(ps, 2));
		snprintf(r[i].key, sizeof(r[i].key), "race-%d", i);
	}
	for (int i = 0; i < N; i++)
		pthread_create(&tid[i], NULL, race, &r[i]);
	for (int i = 0; i < N; i++)
		pthread_join(tid[i], NULL);
	int         ok = 0, conflict = 0, with_id = 0;
	const char *winner = NULL;
	for (int i = 0; i < N; i++) {
		if (r[i].a.status == 201) {
			ok++;
			winner = jstr(r[i].a.body, "application_id");
		} else if (r[i].a.status == 409) {
			const char *c = jstr(r[i].a.body, "error.code");
			TH_CHECK(&T,
			    c != NULL
			        && strcmp(c, "person_in_open_application")
			            == 0,
			    "a loser got code %s", c ? c : "(none)");
			conflict++;
		}
	}
	printf("%d succeeded, %d refused with 409\n", ok, conflict);
	TH_CHECK(&T, ok == 1, "%d submissions succeeded, want 1", ok);
	TH_CHECK(
	    &T, conflict == N - 1, "%d got 409, want %d", conflict, N - 1);
	for (int i = 0; i < N; i++) {
		const char *holder = jstr(r[i].a.body, "error.application_id");
		if (holder != NULL) {
			with_id++;
			TH_CHECK(&T, strcmp(holder, winner) == 0,
			    "a 409 names %s, not the winner", holder);
		}
	}
	printf("%d of the 409s carry application_id\n", with_id);
	TH_CHECK(&T, with_id == N - 1,
	    "only %d of the %d refusals name the holding application", with_id,
	    N - 1);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.application", schema) == 1
	        && th_events(&T, schema) == 1,
	    "more than one application stored");
	/* Every submission recorded once: the winner's 201, 19 409s. */
	th_acted rec[N + 1];
	int      n = th_acted_after(&T, schema, 0, rec, N + 1), won = 0;
	TH_CHECK(&T, n == N, "%d staff.acted records, want %d", n, N);
	for (int i = 0; i < n; i++) {
		bool w = rec[i].status == 201;
		won += w;
		th_acted_is(&T, &rec[i], w ? "the winner" : "a loser",
		    (th_acted_want) { .route = "/applications",
		        .subject             = w ? winner : "",
		        .outcome_code = w ? "" : "person_in_open_application",
		        .status       = w ? 201 : 409 });
	}
	TH_CHECK(&T, won == 1, "%d records of a 201, want 1", won);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.claim WHERE id_number_index = '%s'"
	        " AND application_id = '%s'",
	        schema, id_index(shared.id), winner)
	        == 1,
	    "the shared person is not claimed by the winner");
	for (int i = 0; i < N; i++) {
		free(r[i].body);
		json_decref(r[i].a.body);
	}
}

/* Withdrawal: 200, application.withdrawn in the outbox, status withdrawn,
 * a second withdrawal 409, and the members may apply again. */
static void
withdraw(void)
{
	start_intake();
	person ps[2] = { new_person(1975), new_person(1976) };
	char  *id    = submit_ok(ps, 2, "first");
	char   path[128];
	snprintf(path, sizeof(path), "/applications/%s/withdraw", id);
	answer w = call(
	    "POST", path, other_tok, new_key(), "{\"reason\":\"moved away\"}");
	expect_error(w, 403, "outside_jurisdiction", NULL, "foreign clerk");
	json_decref(w.body);
	w = call("POST", path, clerk_tok, new_key(), "{}");
	expect_error(w, 422, "invalid_field", "reason", "no reason");
	json_decref(w.body);
	w = call(
	    "POST", path, clerk_tok, new_key(), "{\"reason\":\"moved away\"}");
	TH_CHECK(&T, w.status == 200, "withdraw: %d", w.status);
	TH_CHECK(&T, strcmp(jstr(w.body, "status"), "withdrawn") == 0,
	    "withdraw answer");
	json_decref(w.body);

	size_t   len;
	char     actor[64];
	uint8_t *data = outbox_data(
	    "application.withdrawn", id, &len, actor, sizeof(actor));
	Sn__Assist__V1__ApplicationWithdrawn *ev
	    = sn__assist__v1__application_withdrawn__unpack(NULL, len, data);
	TH_CHECK(&T,
	    ev != NULL && strcmp(ev->application_id, id) == 0
	        && strcmp(ev->reason, "moved away") == 0
	        && strcmp(ev->withdrawn_by, "clerk-a") == 0
	        && strcmp(actor, "clerk-a") == 0,
	    "application.withdrawn does not match");
	sn__assist__v1__application_withdrawn__free_unpacked(ev, NULL);
	free(data);

	w = call("POST", path, clerk_tok, new_key(), "{\"reason\":\"again\"}");
	expect_error(w, 409, "not_open", NULL, "second withdrawal");
	json_decref(w.body);
	TH_CHECK(&T, th_events(&T, schema) == 2,
	    "the refused withdrawal wrote an event");
	snprintf(path, sizeof(path),
	    "/applications/00000000-0000-4000-8000-000000000000/withdraw");
	w = call("POST", path, clerk_tok, new_key(), "{\"reason\":\"x\"}");
	expect_error(w, 404, "not_found", NULL, "unknown application");
	json_decref(w.body);

	snprintf(path, sizeof(path), "/applications/%s", id);
	answer g = call("GET", path, clerk_tok, NULL, NULL);
	TH_CHECK(&T,
	    g.status == 200 && strcmp(jstr(g.body, "status"), "withdrawn") == 0
	        && strcmp(jstr(g.body, "withdrawal.reason"), "moved away")
	            == 0,
	    "GET after withdrawal");
	json_decref(g.body);
	char *again = submit_ok(ps, 2, "after withdrawal");
	TH_CHECK(&T, strcmp(again, id) != 0, "same id twice");
	free(again);
	free(id);
}

/* approval's events: a rejection frees the members, an approval keeps
 * them, an ACTIVE beneficiary household blocks its persons (even one who
 * never applied here), EXITED frees them; an event that does not decode
 * is never passed over: the stream halts before it, with the reason. */
static void
approval_events(void)
{
	start_intake();
	person a_ps[2]  = { new_person(1980), new_person(1981) };
	person c_ps[1]  = { new_person(1982) };
	person newcomer = new_person(1983);
	char  *a_id     = submit_ok(a_ps, 2, "A");
	char  *c_id     = submit_ok(c_ps, 1, "C");

	char  lines[8192], l[2048];
	char *ids[2] = { c_ps[0].id, newcomer.id };
	decided_line(lines, sizeof(lines), a_id, false);
	decided_line(l, sizeof(l), c_id, true);
	strcat(lines, l);
	beneficiary_line(l, sizeof(l), "ben-1", c_id,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE, ids, 2);
	strcat(lines, l);
	th_proc *inj = inject(lines);
	if (!th_wait_int(&T, 3, 30000,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher ="
	        " 'approval'",
	        schema))
		th_fail(&T, "intake did not apply approval's 3 events");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application WHERE id = '%s'"
	        " AND status = 'decided_rejected'",
	        schema, a_id)
	        == 1,
	    "A is not decided_rejected");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application WHERE id = '%s'"
	        " AND status = 'decided_approved'",
	        schema, c_id)
	        == 1,
	    "C is not decided_approved");
	/* A's members are free again. */
	char *b_id = submit_ok(a_ps, 2, "A's members again");
	/* The beneficiary household holds C's applicant and the newcomer. */
	for (int i = 0; i < 2; i++) {
		person ps[2]
		    = { new_person(1945), i == 0 ? c_ps[0] : newcomer };
		char  *body = dump(app_json(ps, 2));
		answer a    = call(
		       "POST", "/applications", clerk_tok, new_key(), body);
		expect_error(a, 409, "person_in_beneficiary_household",
		    "members[1].id_number", "beneficiary member");
		TH_CHECK(&T,
		    jstr(a.body, "error.application_id") != NULL
		        && strcmp(jstr(a.body, "error.application_id"), c_id)
		            == 0,
		    "the 409 does not name C");
		json_decref(a.body);
		free(body);
	}
	th_stop(&T, inj);

	beneficiary_line(l, sizeof(l), "ben-1", c_id,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED, NULL, 0);
	inj = inject(l);
	if (!th_wait_int(&T, 4, 30000,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher ="
	        " 'approval'",
	        schema))
		th_fail(&T, "intake did not apply the exit");
	person again[2] = { newcomer, c_ps[0] };
	char  *d_id     = submit_ok(again, 2, "after the exit");
	th_stop(&T, inj);

	/* Event 5 does not decode: the stream halts before it and says
	 * why; the cursor stays at 4 and intake still takes applications. */
	snprintf(lines, sizeof(lines),
	    "application.decided %s approval-test 0aff\n", d_id);
	inj = inject(lines);
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.bus_cursor WHERE publisher ="
	        " 'approval' AND halted_reason ="
	        " 'event 5 (application.decided) does not decode'",
	        schema))
		th_fail(
		    &T, "intake did not halt approval's stream at event 5");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher ="
	        " 'approval'",
	        schema)
	        == 4,
	    "the cursor moved past the event that does not decode");
	answer r = call("GET", "/readyz", NULL, NULL, NULL);
	TH_CHECK(&T,
	    r.status == 503 && jstr(r.body, "error.message") != NULL
	        && strcmp(jstr(r.body, "error.message"),
	               "bus stream approval halted: event 5"
	               " (application.decided) does not decode")
	            == 0,
	    "/readyz does not say why: %d %s", r.status,
	    jstr(r.body, "error.message") ? jstr(r.body, "error.message")
	                                  : "(none)");
	json_decref(r.body);
	person later[1] = { new_person(1984) };
	char  *e_id     = submit_ok(later, 1, "with approval's stream halted");
	th_stop(&T, inj);
	free(e_id);
	free(a_id);
	free(b_id);
	free(c_id);
	free(d_id);
}

/* GET: staff within the jurisdiction see it; others get 403; unknown or
 * malformed ids 404. */
static void
get_access(void)
{
	start_intake();
	person ps[1] = { new_person(1985) };
	char  *id    = submit_ok(ps, 1, "one");
	char   path[128];
	snprintf(path, sizeof(path), "/applications/%s", id);
	answer g = call("GET", path, invest_tok, NULL, NULL);
	TH_CHECK(&T, g.status == 200, "investigator GET %d", g.status);
	json_decref(g.body);
	char *district = token("dist-1", "district_officer", "220103");
	g              = call("GET", path, district, NULL, NULL);
	TH_CHECK(&T, g.status == 200, "district GET %d", g.status);
	json_decref(g.body);
	g = call("GET", path, other_tok, NULL, NULL);
	expect_error(
	    g, 403, "outside_jurisdiction", NULL, "foreign clerk GET");
	json_decref(g.body);
	g = call("GET", "/applications/00000000-0000-4000-8000-000000000000",
	    clerk_tok, NULL, NULL);
	expect_error(g, 404, "not_found", NULL, "unknown id");
	json_decref(g.body);
	g = call("GET", "/applications/not-a-uuid", clerk_tok, NULL, NULL);
	expect_error(g, 404, "not_found", NULL, "malformed id");
	json_decref(g.body);
	g = call("GET", path, NULL, NULL, NULL);
	TH_CHECK(&T, g.status == 401, "GET without a token: %d", g.status);
	json_decref(g.body);
	free(district);
	free(id);
}

/* ---- referrals and drafts (issue 4) -------------------------------- */

#define NAME_UTF8 "\xe5\xbc\xa0\xe4\xb8\x89" /* a name in Chinese */
#define TOWNSHIP2 "220103002"
#define VILLAGE2 "220103002001"

/* One referral.created line for sn-inject (subject: the grant id). */
static void
referral_line(char *out, size_t cap, const char *rid,
    Sn__Assist__V1__ReferralKind kind, const person *p, const char *township,
    const char *village, int household_size)
{
	Sn__Assist__V1__ReferralCreated r
	    = SN__ASSIST__V1__REFERRAL_CREATED__INIT;
	Sn__Assist__V1__PayeeAccount py = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	char                         grant[80];
	snprintf(grant, sizeof(grant), "g-%s", rid);
	py.bank_code      = "ICBC";
	py.account_number = "6222020200998877665";
	py.account_name   = NAME_UTF8;
	r.referral_id     = (char *) rid;
	r.grant_id        = grant;
	r.kind            = kind;
	r.department
	    = kind == SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL
	    ? "medical assistance office"
	    : "";
	r.id_number      = (char *) p->id;
	r.name           = NAME_UTF8;
	r.district_code  = "220103";
	r.township_code  = (char *) township;
	r.village_code   = (char *) village;
	r.household_size = household_size;
	r.payee          = &py;
	r.note           = "house fire; family staying with neighbours";
	r.created_by     = "officer-e1";
	line_of(out, cap, "referral.created", grant, &r.base);
}

/* Injects lines as "emergency" and waits until intake's cursor on that
 * stream is at want; returns the injector. */
static th_proc *
referrals(const char *lines, int64_t want)
{
	th_proc *inj = inject_as("emergency", lines);
	if (!th_wait_int(&T, want, 30000,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher ="
	        " 'emergency'",
	        schema))
		th_fail(&T,
		    "intake did not apply emergency's events up to %lld",
		    (long long) want);
	return inj;
}

/* The draft opened for referral rid (malloc'd id); fails if none. */
static char *
draft_of(const char *rid)
{
	char *id = th_text(&T,
	    "SELECT id::text FROM %s.application"
	    " WHERE referral_id = '%s'",
	    schema, rid);
	TH_CHECK(&T, id != NULL, "no application for referral %s", rid);
	return id;
}

/* referral.created of kinds dibao and tekun opens one draft each,
 * prefilled from the referral; medical is another department's and opens
 * nothing; the same referral again (in the same batch, and later in a
 * new run of the stream) opens nothing more. Drafts claim nobody and
 * publish nothing. A referral intake's rules refuse (an identity number
 * that fails its check digit) is never passed over: the stream halts
 * before it with the reason, and opens no draft. */
static void
referral_drafts(void)
{
	start_intake();
	person pd = new_person(1958), pt = new_person(1944);
	person pm = new_person(1970), broken = new_person(1971);
	broken.id[17] = broken.id[17] == '0' ? '1' : '0';
	char lines[16384], l[2048];
	lines[0] = '\0';
	referral_line(l, sizeof(l), "ref-dibao",
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO, &pd,
	    "220103001", VILLAGE, 4);
	strcat(lines, l);
	referral_line(l, sizeof(l), "ref-tekun",
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_TEKUN, &pt,
	    "220103001", VILLAGE, 1);
	strcat(lines, l);
	referral_line(l, sizeof(l), "ref-medical",
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL, &pm,
	    "220103001", VILLAGE, 3);
	strcat(lines, l);
	referral_line(l, sizeof(l), "ref-dibao",
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO, &pd,
	    "220103001", VILLAGE, 4);
	strcat(lines, l);
	th_proc *inj = referrals(lines, 4);

	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.application", schema) == 2
	        && th_int(&T,
	               "SELECT count(*) FROM %s.application"
	               " WHERE status = 'draft'",
	               schema)
	            == 2,
	    "want exactly two drafts, have %lld applications",
	    (long long) th_int(
	        &T, "SELECT count(*) FROM %s.application", schema));
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application WHERE"
	        " referral_id = 'ref-dibao' AND status = 'draft'"
	        " AND requested_category = 'dibao' AND district_code = "
	        "'220103'"
	        " AND township_code = '220103001' AND village_code = '%s'"
	        " AND note = 'household size: 4'"
	        " AND referral_household_size = 4"
	        " AND referral_grant_id = 'g-ref-dibao'"
	        " AND referral_created_by = 'officer-e1'"
	        " AND referral_note = 'house fire; family staying with"
	        " neighbours'"
	        " AND payee_bank_code = 'ICBC'"
	        " AND payee_account_number IS NULL"
	        " AND payee_account_number_sealed LIKE 'sn1.%%'"
	        " AND payee_account_number_index = '%s'"
	        " AND payee_account_name = '" NAME_UTF8 "'"
	        " AND taken_in_by IS NULL AND accepted_date IS NULL"
	        " AND consent_reference IS NULL",
	        schema, VILLAGE, account_index("6222020200998877665"))
	        == 1,
	    "the dibao draft is not prefilled from its referral");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.member m JOIN %s.application a"
	        " ON a.id = m.application_id WHERE a.referral_id = 'ref-dibao'"
	        " AND m.position = 0 AND m.id_number_index = '%s'"
	        " AND m.name = '" NAME_UTF8 "' AND m.relation = 'self'"
	        " AND m.birth_date = '%s'",
	        schema, schema, id_index(pd.id), pd.birth)
	            == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.member m JOIN %s.application a"
	               " ON a.id = m.application_id"
	               " WHERE a.referral_id = 'ref-dibao'",
	               schema, schema)
	            == 1,
	    "the dibao draft's applicant is not the referred person");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application a JOIN %s.member m"
	        " ON m.application_id = a.id WHERE a.referral_id = 'ref-tekun'"
	        " AND a.requested_category = 'tekun'"
	        " AND a.note = 'household size: 1'"
	        " AND m.id_number_index = '%s'"
	        " AND m.relation = 'self' AND m.birth_date = '%s'",
	        schema, schema, id_index(pt.id), pt.birth)
	        == 1,
	    "the tekun draft is not prefilled from its referral");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application WHERE referral_id IN"
	        " ('ref-medical', 'ref-broken')",
	        schema)
	            == 0
	        && th_int(&T,
	               "SELECT count(*) FROM %s.member WHERE id_number_index"
	               " IN ('%s', '%s')",
	               schema, id_index(pm.id), id_index(broken.id))
	            == 0,
	    "a medical or malformed referral opened a draft");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.claim", schema) == 0
	        && th_int(&T, "SELECT count(*) FROM %s.outbox", schema) == 0,
	    "a draft claimed persons or published an event");

	/* GET shows the draft with its referral. */
	char *id = draft_of("ref-dibao");
	char  path[128];
	snprintf(path, sizeof(path), "/applications/%s", id);
	answer g = call("GET", path, clerk_tok, NULL, NULL);
	TH_CHECK(&T, g.status == 200, "GET draft: %d", g.status);
	json_t *m0 = json_array_get(json_object_get(g.body, "members"), 0);
	TH_CHECK(&T,
	    strcmp(jstr(g.body, "status"), "draft") == 0
	        && strcmp(jstr(g.body, "referral_id"), "ref-dibao") == 0
	        && strcmp(jstr(g.body, "referral.grant_id"), "g-ref-dibao")
	            == 0
	        && strcmp(jstr(g.body, "note"), "household size: 4") == 0
	        && strcmp(jstr(g.body, "requested_category"), "dibao") == 0
	        && strcmp(jstr(g.body, "household.village_code"), VILLAGE) == 0
	        && strcmp(jstr(g.body, "payee.bank_code"), "ICBC") == 0
	        && json_array_size(json_object_get(g.body, "members")) == 1
	        && strcmp(jstr(m0, "id_number"), pd.id) == 0
	        && strcmp(jstr(m0, "relation"), "self") == 0
	        && strcmp(jstr(m0, "birth_date"), pd.birth) == 0
	        && json_is_null(json_object_get(g.body, "accepted_date")),
	    "GET of the draft differs from the referral");
	json_decref(g.body);
	th_stop(&T, inj);

	/* The same referral again, in a later run of the stream. */
	referral_line(l, sizeof(l), "ref-dibao",
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO, &pd,
	    "220103001", VILLAGE, 4);
	inj = referrals(l, 5);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.application", schema) == 2
	        && th_int(&T, "SELECT count(*) FROM %s.member", schema) == 2,
	    "the repeated referral opened another draft");
	char *again = draft_of("ref-dibao");
	TH_CHECK(&T, strcmp(again, id) == 0, "the draft changed its id");
	th_stop(&T, inj);

	/* A referral with a wrong check digit halts the stream at event 6. */
	referral_line(l, sizeof(l), "ref-broken",
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO, &broken,
	    "220103001", VILLAGE, 2);
	inj = inject_as("emergency", l);
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.bus_cursor WHERE publisher ="
	        " 'emergency' AND halted_reason ="
	        " 'event 6 (referral.created) was refused as malformed'",
	        schema))
		th_fail(
		    &T, "intake did not halt emergency's stream at event 6");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher ="
	        " 'emergency'",
	        schema)
	            == 5
	        && th_int(&T,
	               "SELECT count(*) FROM %s.application WHERE"
	               " referral_id = 'ref-broken'",
	               schema)
	            == 0
	        && th_int(&T,
	               "SELECT count(*) FROM %s.member WHERE id_number_index"
	               " = '%s'",
	               schema, id_index(broken.id))
	            == 0,
	    "the refused referral moved the cursor or opened a draft");
	th_stop(&T, inj);

	/* Holding no claim, the referred person may still apply anew. */
	person ps[1] = { pd };
	char  *other = submit_ok(ps, 1, "the referred person applies anew");
	free(other);
	free(again);
	free(id);
}

static size_t
list_size(answer a)
{
	return json_array_size(json_object_get(a.body, "items"));
}

/* GET /applications?status=draft&township=: the township's drafts only,
 * within the clerk's jurisdiction, paged (limit, next); bad queries 422;
 * other roles 403. */
static void
draft_list(void)
{
	start_intake();
	person p[4] = { new_person(1950), new_person(1951), new_person(1952),
		new_person(1953) };
	char   lines[8192], l[2048];
	lines[0]           = '\0';
	const char *rid[4] = { "r1", "r2", "r3", "r4" };
	for (int i = 0; i < 4; i++) {
		referral_line(l, sizeof(l), rid[i],
		    i == 1
		        ? SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_TEKUN
		        : SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO,
		    &p[i], i < 3 ? "220103001" : TOWNSHIP2,
		    i < 3 ? VILLAGE : VILLAGE2, 2);
		strcat(lines, l);
	}
	th_proc *inj = referrals(lines, 4);

	answer a = call("GET", "/applications?status=draft&township=220103001",
	    clerk_tok, NULL, NULL);
	TH_CHECK(&T, a.status == 200 && list_size(a) == 3,
	    "list: status %d, %zu drafts, want 200 and 3", a.status,
	    list_size(a));
	TH_CHECK(&T, json_is_null(json_object_get(a.body, "next")),
	    "a full list has a next page");
	for (size_t i = 0; i < 3; i++) {
		json_t *d
		    = json_array_get(json_object_get(a.body, "items"), i);
		const char *got = jstr(d, "referral_id");
		TH_CHECK(&T,
		    got != NULL && strcmp(jstr(d, "status"), "draft") == 0
		        && strcmp(
		               jstr(d, "household.township_code"), "220103001")
		            == 0,
		    "list item %zu is not a draft of the township", i);
		bool known = false;
		for (int k = 0; k < 3; k++)
			known = known || strcmp(got, rid[k]) == 0;
		TH_CHECK(&T, known, "list item %zu is referral %s", i, got);
	}
	json_decref(a.body);

	a = call("GET",
	    "/applications?status=draft&township=220103001&limit=2", clerk_tok,
	    NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && list_size(a) == 2
	        && json_is_string(json_object_get(a.body, "next")),
	    "limit=2: status %d, %zu drafts", a.status, list_size(a));
	json_decref(a.body);

	a = call("GET", "/applications?status=draft&township=" TOWNSHIP2,
	    clerk_tok, NULL, NULL);
	expect_error(a, 403, "outside_jurisdiction", "township",
	    "another township's drafts");
	json_decref(a.body);
	a = call("GET", "/applications?status=draft&township=" TOWNSHIP2,
	    other_tok, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && list_size(a) == 1
	        && strcmp(jstr(json_array_get(
	                           json_object_get(a.body, "items"), 0),
	                      "referral_id"),
	               "r4")
	            == 0,
	    "the other clerk's township list");
	json_decref(a.body);
	char *district = token("clerk-d", "clerk", "220103");
	a = call("GET", "/applications?status=draft&township=220103001",
	    district, NULL, NULL);
	TH_CHECK(&T, a.status == 200 && list_size(a) == 3,
	    "a district clerk's list: %d, %zu", a.status, list_size(a));
	json_decref(a.body);
	free(district);

	const struct {
		const char *q;
		const char *code, *field;
	} bad[] = {
		{ "/applications?status=opened&township=220103001",
		    "invalid_value", "status" },
		{ "/applications?limit=5", "invalid_query", "taken_in_by" },
		{ "/applications?status=draft&township=22010300a",
		    "invalid_code", "township" },
		{ "/applications?status=draft&township=220103001&limit=0",
		    "invalid_query", "limit" },
		{ "/applications?status=draft&township=220103001&limit=x",
		    "invalid_query", "limit" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = call("GET", bad[i].q, clerk_tok, NULL, NULL);
		expect_error(a, 422, bad[i].code, bad[i].field, bad[i].q);
		json_decref(a.body);
	}
	a = call("GET", "/applications?status=draft&township=220103001",
	    invest_tok, NULL, NULL);
	TH_CHECK(&T, a.status == 403, "an investigator listed: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/applications?status=draft&township=220103001", NULL,
	    NULL, NULL);
	TH_CHECK(&T, a.status == 401, "no token listed: %d", a.status);
	json_decref(a.body);

	/* One draft seen from outside its township. */
	char *id4 = draft_of("r4");
	char  path[128];
	snprintf(path, sizeof(path), "/applications/%s", id4);
	a = call("GET", path, clerk_tok, NULL, NULL);
	expect_error(a, 403, "outside_jurisdiction", NULL, "foreign draft");
	json_decref(a.body);
	free(id4);
	th_stop(&T, inj);
}

/* A clerk completes and submits a draft: 200 with the same id and the
 * referral id; the application is open, claims its persons, keeps the
 * referral (and the draft's category when the body names none), and
 * application.submitted carries referral_id, its staff.acted record
 * written with it. The same key replays (not recorded again); a new key
 * is 409 not_draft; submitting what never was a draft is 409, an unknown
 * id 404. */
static void
draft_submit(void)
{
	start_intake();
	person p = new_person(1957), q = new_person(1986);
	char   l[2048];
	referral_line(l, sizeof(l), "ref-s",
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO, &p,
	    "220103001", VILLAGE, 2);
	th_proc *inj = referrals(l, 1);
	char    *id  = draft_of("ref-s");
	char     path[128], today[11], deadline[11];
	snprintf(path, sizeof(path), "/applications/%s/submit", id);
	local_date(0, today);
	local_date(15, deadline);

	person  ps[2] = { p, q };
	json_t *j     = app_json(ps, 2);
	json_object_set_new(j, "requested_category", json_null());
	char  *body = dump(j);
	answer a    = call("POST", path, clerk_tok, "draft-key-1", body);
	TH_CHECK(&T, a.status == 200, "submit the draft: %d (%s)", a.status,
	    jstr(a.body, "error.code") ? jstr(a.body, "error.code") : "-");
	TH_CHECK(&T,
	    strcmp(jstr(a.body, "application_id"), id) == 0
	        && strcmp(jstr(a.body, "referral_id"), "ref-s") == 0
	        && strcmp(jstr(a.body, "accepted_date"), today) == 0
	        && strcmp(jstr(a.body, "deadline_date"), deadline) == 0,
	    "the answer does not name the draft, its referral and dates");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application WHERE id = '%s'"
	        " AND status = 'open' AND taken_in_by = 'clerk-a'"
	        " AND referral_id = 'ref-s' AND requested_category = 'dibao'"
	        " AND consent_reference = 'CR-7731'"
	        " AND accepted_date = '%s' AND note = 'household size: 2'",
	        schema, id, today)
	        == 1,
	    "the submitted draft is not open with its referral kept");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.member WHERE application_id = '%s'",
	        schema,
	        id) == 2
	        && th_int(&T,
	               "SELECT count(*) FROM %s.member WHERE application_id ="
	               " '%s' AND position = 1 AND id_number_index = '%s'"
	               " AND labour_capacity = 'none'",
	               schema, id, id_index(q.id))
	            == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.claim WHERE application_id ="
	               " '%s'",
	               schema, id)
	            == 2,
	    "the members or claims are not the submitted ones");

	size_t   len;
	char     actor[64];
	uint8_t *data = outbox_data(
	    "application.submitted", id, &len, actor, sizeof(actor));
	Sn__Assist__V1__ApplicationSubmitted *ev
	    = sn__assist__v1__application_submitted__unpack(NULL, len, data);
	TH_CHECK(&T, ev != NULL, "application.submitted does not decode");
	TH_CHECK(&T,
	    strcmp(ev->application_id, id) == 0
	        && strcmp(ev->referral_id, "ref-s") == 0
	        && strcmp(ev->taken_in_by, "clerk-a") == 0
	        && strcmp(actor, "clerk-a") == 0
	        && strcmp(ev->accepted_date, today) == 0
	        && strcmp(ev->deadline_date, deadline) == 0
	        && ev->requested_category
	            == SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO
	        && ev->n_members == 2
	        && strcmp(ev->members[0]->id_number, p.id) == 0
	        && strcmp(ev->members[1]->id_number, q.id) == 0
	        && ev->household != NULL
	        && strcmp(ev->household->village_code, VILLAGE) == 0
	        && ev->consent != NULL
	        && strcmp(ev->consent->reference, "CR-7731") == 0,
	    "application.submitted does not carry the completed draft");
	sn__assist__v1__application_submitted__free_unpacked(ev, NULL);
	free(data);

	/* The same key and body: the first answer again, nothing more. */
	answer b = call("POST", path, clerk_tok, "draft-key-1", body);
	TH_CHECK(&T,
	    b.status == 200 && strcmp(jstr(b.body, "application_id"), id) == 0
	        && strcmp(jstr(b.body, "referral_id"), "ref-s") == 0,
	    "the repeat with the same key: %d", b.status);
	json_decref(b.body);
	/* A new key: no longer a draft. */
	b = call("POST", path, clerk_tok, new_key(), body);
	expect_error(b, 409, "not_draft", NULL, "second submission");
	json_decref(b.body);
	TH_CHECK(
	    &T, th_events(&T, schema) == 1, "the repeats published again");
	th_acted rec[3];
	int      n = th_acted_after(&T, schema, 0, rec, 3);
	TH_CHECK(&T, n == 2, "%d staff.acted records, want 2 (no replay)", n);
	th_acted_is(&T, &rec[0], "the draft's submission",
	    (th_acted_want) { .user_id = "clerk-a",
	        .route                 = "/applications/{id}/submit",
	        .subject               = id,
	        .idempotency_key       = "draft-key-1",
	        .outcome_code          = "",
	        .status                = 200 });
	th_acted_with(&T, schema, &rec[0], "application.submitted", id);
	th_acted_is(&T, &rec[1], "the second submission",
	    (th_acted_want) { .route = "/applications/{id}/submit",
	        .subject             = id,
	        .outcome_code        = "not_draft",
	        .status              = 409 });

	/* It holds its persons like any open application. */
	person q2[2] = { new_person(1949), q };
	char  *qb    = dump(app_json(q2, 2));
	answer c     = call("POST", "/applications", clerk_tok, new_key(), qb);
	expect_error(c, 409, "person_in_open_application",
	    "members[1].id_number", "a member of the submitted draft");
	TH_CHECK(&T, strcmp(jstr(c.body, "error.application_id"), id) == 0,
	    "the 409 does not name the submitted draft");
	json_decref(c.body);
	free(qb);

	/* GET: open, with its referral; the draft list no longer has it. */
	snprintf(path, sizeof(path), "/applications/%s", id);
	answer g = call("GET", path, clerk_tok, NULL, NULL);
	TH_CHECK(&T,
	    g.status == 200 && strcmp(jstr(g.body, "status"), "open") == 0
	        && strcmp(jstr(g.body, "referral_id"), "ref-s") == 0
	        && strcmp(jstr(g.body, "taken_in_by"), "clerk-a") == 0,
	    "GET after submission");
	json_decref(g.body);
	g = call("GET", "/applications?status=draft&township=220103001",
	    clerk_tok, NULL, NULL);
	TH_CHECK(&T, g.status == 200 && list_size(g) == 0,
	    "the submitted draft is still listed");
	json_decref(g.body);

	/* What never was a draft; what does not exist. */
	person r[1]  = { new_person(1977) };
	char  *plain = submit_ok(r, 1, "a plain application");
	char  *rb    = dump(app_json(r, 1));
	snprintf(path, sizeof(path), "/applications/%s/submit", plain);
	b = call("POST", path, clerk_tok, new_key(), rb);
	expect_error(b, 409, "not_draft", NULL, "submit a plain application");
	json_decref(b.body);
	free(rb);
	person fresh[1] = { new_person(1978) };
	rb              = dump(app_json(fresh, 1));
	b               = call("POST",
	                  "/applications/00000000-0000-4000-8000-000000000000/submit",
	                  clerk_tok, new_key(), rb);
	expect_error(b, 404, "not_found", NULL, "submit an unknown id");
	json_decref(b.body);
	free(rb);
	free(plain);
	json_decref(a.body);
	free(body);
	free(id);
	th_stop(&T, inj);
}

/* The draft as a text snapshot: its row and its members. */
static char *
draft_snapshot(const char *id)
{
	char *s = th_text(&T,
	    "SELECT (SELECT row_to_json(a)::text FROM %s.application"
	    " a WHERE a.id = '%s') || (SELECT json_agg(m ORDER BY"
	    " m.position)::text FROM %s.member m"
	    " WHERE m.application_id = '%s')",
	    schema, id, schema, id);
	TH_CHECK(&T, s != NULL, "no draft %s", id);
	return s;
}

/* Bad submissions of a draft: each a 4xx naming the problem, and the
 * draft, the claims, the outbox's events and the idempotency store
 * unchanged, the refusal recorded as one staff.acted; a key used by a
 * refused attempt still works for the corrected one. */
static void
draft_bad_submit(void)
{
	start_intake();
	person p = new_person(1961), q = new_person(1987);
	person r = new_person(1990), held = new_person(1991);
	char   l[2048];
	referral_line(l, sizeof(l), "ref-b",
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_TEKUN, &p,
	    "220103001", VILLAGE, 3);
	th_proc *inj    = referrals(l, 1);
	char    *id     = draft_of("ref-b");
	person   hs[1]  = { held };
	char    *holder = submit_ok(hs, 1, "an application holding a person");
	char    *before = draft_snapshot(id);
	char     path[128];
	snprintf(path, sizeof(path), "/applications/%s/submit", id);

	person pq[2] = { p, q };
	person qr[2] = { q, r };
	person ph[2] = { p, held };
	char   badid[24];
	snprintf(badid, sizeof(badid), "\"%s\"", q.id);
	badid[18] = badid[18] == '0' ? '1' : '0';
	struct {
		const char *what;
		json_t     *body;
		const char *tok;
		int         status;
		const char *code, *field;
	} cases[] = {
		{ "missing consent", app_json(pq, 2), clerk_tok, 422,
		    "consent_required", "consent" },
		{ "bad id number", app_json(pq, 2), clerk_tok, 422,
		    "invalid_id_number", "members[1].id_number" },
		{ "unknown field", app_json(pq, 2), clerk_tok, 422,
		    "unknown_field", "household.phone" },
		{ "the referred person left out", app_json(qr, 2), clerk_tok,
		    422, "referred_person_missing", "members" },
		{ "a person held elsewhere", app_json(ph, 2), clerk_tok, 409,
		    "person_in_open_application", "members[1].id_number" },
		{ "a clerk of another township", app_json(pq, 2), other_tok,
		    403, "outside_jurisdiction", NULL },
		{ "an investigator", app_json(pq, 2), invest_tok, 403,
		    "forbidden", NULL },
	};
	json_object_del(cases[0].body, "consent");
	set_member(cases[1].body, "members[1].id_number", badid);
	set_member(cases[2].body, "household.phone", "\"1\"");
	/* The other clerk sends a household of their own township: the
	 * body passes, the draft's village does not. */
	json_t *hh = json_object_get(cases[5].body, "household");
	json_object_set_new(hh, "township_code", json_string(TOWNSHIP2));
	json_object_set_new(hh, "village_code", json_string(VILLAGE2));

	int64_t events = th_events(&T, schema);
	int64_t idem
	    = th_int(&T, "SELECT count(*) FROM %s.http_idempotency", schema);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char   *b    = dump(cases[i].body);
		int64_t mark = th_outbox_mark(&T, schema);
		answer  a    = call("POST", path, cases[i].tok, "bad-key", b);
		expect_error(a, cases[i].status, cases[i].code, cases[i].field,
		    cases[i].what);
		if (cases[i].code != NULL
		    && strcmp(cases[i].code, "person_in_open_application")
		        == 0)
			TH_CHECK(&T,
			    strcmp(
			        jstr(a.body, "error.application_id"), holder)
			        == 0,
			    "the 409 does not name the holder");
		json_decref(a.body);
		free(b);
		char *now = draft_snapshot(id);
		TH_CHECK(&T, strcmp(now, before) == 0,
		    "%s changed the draft:\n%s\n%s", cases[i].what, before,
		    now);
		free(now);
		TH_CHECK(&T,
		    th_events(&T, schema) == events
		        && th_int(&T,
		               "SELECT count(*) FROM %s.http_idempotency",
		               schema)
		            == idem
		        && th_int(&T,
		               "SELECT count(*) FROM %s.claim WHERE"
		               " application_id = '%s'",
		               schema, id)
		            == 0,
		    "%s left an event, a stored answer or a claim",
		    cases[i].what);
		/* Recorded, with the key sent, a role refused before
		 * its key is checked too. */
		bool        inv  = cases[i].tok == invest_tok;
		const char *user = cases[i].tok == other_tok ? "clerk-b"
		    : inv                                    ? "inv-1"
		                                             : "clerk-a";
		th_acted    rec[2];
		TH_CHECK(&T, th_acted_after(&T, schema, mark, rec, 2) == 1,
		    "%s: want one staff.acted record", cases[i].what);
		th_acted_is(&T, &rec[0], cases[i].what,
		    (th_acted_want) { .user_id = user,
		        .route                 = "/applications/{id}/submit",
		        .subject               = id,
		        .idempotency_key       = "bad-key",
		        .outcome_code          = cases[i].code,
		        .status                = (unsigned) cases[i].status });
	}
	answer a = call("POST", path, clerk_tok, "bad-key", "{\"a\":");
	TH_CHECK(&T, a.status == 400, "bad JSON: %d", a.status);
	json_decref(a.body);

	/* Corrected, with the key the refused attempts used. */
	char *good = dump(app_json(pq, 2));
	a          = call("POST", path, clerk_tok, "bad-key", good);
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "application_id"), id) == 0,
	    "the corrected submission: %d", a.status);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application WHERE id = '%s'"
	        " AND status = 'open' AND requested_category = 'expenditure'",
	        schema, id)
	        == 1,
	    "the corrected submission is not open with the body's category");
	json_decref(a.body);
	free(good);
	free(before);
	free(holder);
	free(id);
	th_stop(&T, inj);
}

/* ---- issue 8: the district clock, stricter input -------------------- */

/* The UTC date of t plus days, as YYYY-MM-DD. */
static void
utc_date(time_t t, int days, char out[11])
{
	struct tm tm;
	time_t    d = t + (time_t) days * 86400;
	gmtime_r(&d, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* An application accepted at 23:30 UTC is dated the next district day:
 * the service's clock is moved (SN_TEST_CLOCK=1, SN_CLOCK_OFFSET_S) to
 * the next 23:30:00 UTC, with the district at UTC+8. The answer, the row
 * and application.submitted carry the UTC day after as the acceptance
 * date and that plus 15 days as the deadline; so does a draft submitted
 * then. */
static void
accepted_next_day(void)
{
	time_t now = time(NULL);
	time_t at  = now - now % 86400 + 23 * 3600 + 30 * 60;
	if (at < now)
		at += 86400;
	char shift[64], accepted[11], deadline[11], utc_today[11];
	snprintf(shift, sizeof(shift), "SN_CLOCK_OFFSET_S=%lld",
	    (long long) (at - now));
	utc_date(at, 0, utc_today);
	utc_date(at, 1, accepted);
	utc_date(at, 16, deadline);
	const char *env[] = { "SN_TEST_CLOCK=1", shift,
		"SN_DISTRICT_UTC_OFFSET_MIN=480", NULL };
	start_intake_env(env);
	printf("service clock at %s 23:30 UTC: want accepted %s, deadline "
	       "%s\n",
	    utc_today, accepted, deadline);

	person ps[2] = { new_person(1968), new_person(1969) };
	char  *body  = dump(app_json(ps, 2));
	answer a = call("POST", "/applications", clerk_tok, new_key(), body);
	free(body);
	TH_CHECK(&T, a.status == 201, "submit: status %d", a.status);
	const char *id = jstr(a.body, "application_id");
	TH_CHECK(&T,
	    jstr(a.body, "accepted_date") != NULL
	        && strcmp(jstr(a.body, "accepted_date"), accepted) == 0,
	    "accepted_date %s at 23:30 UTC, want the next day %s",
	    jstr(a.body, "accepted_date"), accepted);
	TH_CHECK(&T,
	    jstr(a.body, "deadline_date") != NULL
	        && strcmp(jstr(a.body, "deadline_date"), deadline) == 0,
	    "deadline_date %s, want %s", jstr(a.body, "deadline_date"),
	    deadline);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application WHERE id = '%s'"
	        " AND accepted_date = '%s' AND deadline_date = '%s'",
	        schema, id, accepted, deadline)
	        == 1,
	    "the stored dates are not %s and %s", accepted, deadline);
	size_t   len;
	char     actor[64];
	uint8_t *data = outbox_data(
	    "application.submitted", id, &len, actor, sizeof(actor));
	Sn__Assist__V1__ApplicationSubmitted *ev
	    = sn__assist__v1__application_submitted__unpack(NULL, len, data);
	TH_CHECK(&T,
	    ev != NULL && strcmp(ev->accepted_date, accepted) == 0
	        && strcmp(ev->deadline_date, deadline) == 0,
	    "application.submitted says accepted %s, deadline %s",
	    ev != NULL ? ev->accepted_date : "-",
	    ev != NULL ? ev->deadline_date : "-");
	sn__assist__v1__application_submitted__free_unpacked(ev, NULL);
	free(data);
	json_decref(a.body);

	/* A draft submitted at the same moment. */
	person p = new_person(1959), q = new_person(1988);
	char   l[2048], path[128];
	referral_line(l, sizeof(l), "ref-late",
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO, &p,
	    "220103001", VILLAGE, 2);
	th_proc *inj   = referrals(l, 1);
	char    *did   = draft_of("ref-late");
	person   pq[2] = { p, q };
	snprintf(path, sizeof(path), "/applications/%s/submit", did);
	body = dump(app_json(pq, 2));
	a    = call("POST", path, clerk_tok, new_key(), body);
	free(body);
	TH_CHECK(&T,
	    a.status == 200 && jstr(a.body, "accepted_date") != NULL
	        && strcmp(jstr(a.body, "accepted_date"), accepted) == 0
	        && strcmp(jstr(a.body, "deadline_date"), deadline) == 0,
	    "the draft submitted at 23:30 UTC: %d, accepted %s, deadline %s",
	    a.status, jstr(a.body, "accepted_date"),
	    jstr(a.body, "deadline_date"));
	data = outbox_data(
	    "application.submitted", did, &len, actor, sizeof(actor));
	ev = sn__assist__v1__application_submitted__unpack(NULL, len, data);
	TH_CHECK(&T,
	    ev != NULL && strcmp(ev->accepted_date, accepted) == 0
	        && strcmp(ev->deadline_date, deadline) == 0,
	    "the draft's application.submitted has other dates");
	sn__assist__v1__application_submitted__free_unpacked(ev, NULL);
	free(data);
	json_decref(a.body);
	free(did);
	th_stop(&T, inj);
}

/* The application's row, its members and claims, the domain events of
 * the outbox and the stored answers as one text: what "nothing changed"
 * compares (a refusal's own staff.acted record is not counted). */
static char *
app_snapshot(const char *id)
{
	char *s = th_text(&T,
	    "SELECT (SELECT row_to_json(a)::text FROM %s.application a"
	    "  WHERE a.id = '%s')"
	    " || (SELECT coalesce(json_agg(m ORDER BY m.position)::text, '')"
	    "  FROM %s.member m WHERE m.application_id = '%s')"
	    " || (SELECT count(*) FROM %s.claim)::text || '/'"
	    " || (SELECT count(*) FROM %s.outbox"
	    "     WHERE " TH_DOMAIN_EVENT ")::text || '/'"
	    " || (SELECT count(*) FROM %s.http_idempotency)::text",
	    schema, id, schema, id, schema, schema, schema);
	TH_CHECK(&T, s != NULL, "no application %s", id);
	return s;
}

/* POST /applications/{id}/withdraw refuses what it does not know: an
 * unknown member (422 unknown_field), a null reason (422 invalid_type), a
 * reason with U+0001 (422 invalid_characters); the application, its
 * claims, the outbox and the stored answers stay as they were, and the
 * key of a refused attempt still works. A reason over several lines is
 * free text and accepted. */
static void
withdraw_unknown_field(void)
{
	start_intake();
	person ps[2] = { new_person(1973), new_person(1974) };
	char  *id    = submit_ok(ps, 2, "first");
	char   path[128];
	snprintf(path, sizeof(path), "/applications/%s/withdraw", id);
	char *before = app_snapshot(id);
	const struct {
		const char *what, *body, *code, *field;
	} bad[] = {
		{ "an unknown field",
		    "{\"reason\":\"moved away\",\"extra\":1}", "unknown_field",
		    "extra" },
		{ "an unknown nested field",
		    "{\"reason\":\"moved away\",\"by\":{\"who\":\"x\"}}",
		    "unknown_field", "by" },
		{ "a null reason", "{\"reason\":null}", "invalid_type",
		    "reason" },
		{ "a reason with U+0001", "{\"reason\":\"moved\\u0001away\"}",
		    "invalid_characters", "reason" },
		{ "a reason with DEL", "{\"reason\":\"moved\\u007faway\"}",
		    "invalid_characters", "reason" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		answer w = call(
		    "POST", path, clerk_tok, "withdraw-key", bad[i].body);
		expect_error(w, 422, bad[i].code, bad[i].field, bad[i].what);
		json_decref(w.body);
		char *now = app_snapshot(id);
		TH_CHECK(&T, strcmp(now, before) == 0,
		    "%s changed something:\n%s\n%s", bad[i].what, before, now);
		free(now);
	}
	answer w = call("POST", path, clerk_tok, "withdraw-key",
	    "{\"reason\":\"moved away\\nto the city\"}");
	TH_CHECK(&T,
	    w.status == 200
	        && strcmp(jstr(w.body, "status"), "withdrawn") == 0,
	    "the corrected withdrawal: %d", w.status);
	json_decref(w.body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application WHERE id = '%s'"
	        " AND status = 'withdrawn'"
	        " AND withdrawn_reason = E'moved away\\nto the city'",
	        schema, id)
	        == 1,
	    "the withdrawal's reason was not stored as sent");
	free(before);
	free(id);
}

/* A member name with U+0001 is refused (422 invalid_characters), and so
 * are other control characters in names and free text, and null where a
 * string or number is expected (422 invalid_type): nothing is stored,
 * whether the body is a new application or completes a draft. */
static void
control_chars(void)
{
	start_intake();
	person ps[2] = { new_person(1962), new_person(1963) };
	const struct {
		const char *what, *path, *value, *code, *field;
	} bad[] = {
		{ "a member name with U+0001", "members[0].name",
		    "\"Wang\\u0001Fang\"", "invalid_characters",
		    "members[0].name" },
		{ "a member name with a newline", "members[1].name",
		    "\"Li\\nMing\"", "invalid_characters", "members[1].name" },
		{ "a member name with U+0085", "members[1].name",
		    "\"Li\\u0085Ming\"", "invalid_characters",
		    "members[1].name" },
		{ "an address with U+001B", "household.address",
		    "\"Room 2\\u001b[31m\"", "invalid_characters",
		    "household.address" },
		{ "an account name with U+0001", "payee.account_name",
		    "\"Wang\\u0001\"", "invalid_characters",
		    "payee.account_name" },
		{ "a null member name", "members[1].name", "null",
		    "invalid_type", "members[1].name" },
		{ "a null address", "household.address", "null",
		    "invalid_type", "household.address" },
		{ "a null amount", "declared_income.wages_fen", "null",
		    "invalid_type", "declared_income.wages_fen" },
		{ "a null disability grade", "members[0].disability_grade",
		    "null", "invalid_type", "members[0].disability_grade" },
		{ "a null household", "household", "null", "invalid_type",
		    "household" },
		{ "an unknown member field", "members[0].phone", "\"1\"",
		    "unknown_field", "members[0].phone" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = app_json(ps, 2);
		set_member(j, bad[i].path, bad[i].value);
		char  *body = dump(j);
		answer a    = call(
		       "POST", "/applications", clerk_tok, new_key(), body);
		expect_error(a, 422, bad[i].code, bad[i].field, bad[i].what);
		json_decref(a.body);
		free(body);
		TH_CHECK(&T, rows_everywhere() == 0, "%s stored something",
		    bad[i].what);
	}

	/* The same through a draft's submission. */
	person p = new_person(1964), q = new_person(1989);
	char   l[2048], path[128];
	referral_line(l, sizeof(l), "ref-cc",
	    SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO, &p,
	    "220103001", VILLAGE, 2);
	th_proc *inj    = referrals(l, 1);
	char    *id     = draft_of("ref-cc");
	char    *before = app_snapshot(id);
	person   pq[2]  = { p, q };
	snprintf(path, sizeof(path), "/applications/%s/submit", id);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = app_json(pq, 2);
		set_member(j, bad[i].path, bad[i].value);
		char  *body = dump(j);
		answer a    = call("POST", path, clerk_tok, "cc-key", body);
		expect_error(a, 422, bad[i].code, bad[i].field, bad[i].what);
		json_decref(a.body);
		free(body);
		char *now = app_snapshot(id);
		TH_CHECK(&T, strcmp(now, before) == 0,
		    "%s changed the draft:\n%s\n%s", bad[i].what, before, now);
		free(now);
	}
	free(before);
	free(id);
	th_stop(&T, inj);
}

/* ---- changes of circumstances (issue 9) ----------------------------- */

static th_proc *approval_inj; /* sn-inject playing approval */

/* An application of ps (2 persons) approved and its household "ben-1" on
 * the register (beneficiary.changed without a household: intake takes
 * the application's township); returns the application id. */
static char *
beneficiary_ready(const person *ps)
{
	start_intake();
	char *app = submit_ok(ps, 2, "the household's application");
	char  lines[8192], l[2048];
	char *ids[2] = { (char *) ps[0].id, (char *) ps[1].id };
	lines[0]     = '\0';
	decided_line(l, sizeof(l), app, true);
	strcat(lines, l);
	beneficiary_line(l, sizeof(l), "ben-1", app,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE, ids, 2);
	strcat(lines, l);
	approval_inj = inject(lines);
	if (!th_wait_int(&T, 2, 30000,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher ="
	        " 'approval'",
	        schema))
		th_fail(&T, "intake did not apply approval's 2 events");
	return app;
}

static char *
death_body(const char *id_number, int days)
{
	char day[11];
	local_date(days, day);
	return dump(json_pack("{s:s, s:s, s:s, s:s}", "kind", "death",
	    "member_id_number", id_number, "effective_date", day, "note",
	    "reported by the village committee"));
}

static int64_t
changes_stored(void)
{
	return th_int(&T,
	    "SELECT (SELECT count(*) FROM %s.household_change)"
	    " + (SELECT count(*) FROM %s.outbox"
	    "    WHERE topic = 'household.change_reported')",
	    schema, schema);
}

/* A death reported: 201, stored, and household.change_reported with the
 * right fields exactly once, even when the request is repeated under its
 * Idempotency-Key; GET lists it. */
static void
change_death(void)
{
	person ps[2] = { new_person(1950), new_person(1952) };
	char  *app   = beneficiary_ready(ps);
	char  *body  = death_body(ps[1].id, -1);
	char   key[64], yesterday[11], today[11], actor[64];
	snprintf(key, sizeof(key), "%s", new_key());
	local_date(-1, yesterday);
	local_date(0, today);

	answer a
	    = call("POST", "/households/ben-1/changes", clerk_tok, key, body);
	TH_CHECK(&T, a.status == 201, "death: status %d", a.status);
	const char *cid = jstr(a.body, "change_id");
	TH_CHECK(&T, cid != NULL && sn_uuid_valid(cid), "no change_id");
	char change_id[40];
	snprintf(change_id, sizeof(change_id), "%s", cid);
	TH_CHECK(&T,
	    strcmp(jstr(a.body, "beneficiary_id"), "ben-1") == 0
	        && strcmp(jstr(a.body, "application_id"), app) == 0
	        && strcmp(jstr(a.body, "kind"), "death") == 0
	        && strcmp(jstr(a.body, "effective_date"), yesterday) == 0
	        && strcmp(jstr(a.body, "reported_on"), today) == 0,
	    "the 201's body is not the change");
	json_decref(a.body);

	size_t   len;
	uint8_t *data = outbox_data(
	    "household.change_reported", "ben-1", &len, actor, sizeof(actor));
	Sn__Assist__V1__HouseholdChangeReported *ev
	    = sn__assist__v1__household_change_reported__unpack(
	        NULL, len, data);
	free(data);
	TH_CHECK(&T, ev != NULL, "the event does not decode");
	TH_CHECK(&T,
	    strcmp(ev->change_id, change_id) == 0
	        && strcmp(ev->beneficiary_id, "ben-1") == 0
	        && strcmp(ev->application_id, app) == 0
	        && ev->kind == SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH
	        && strcmp(ev->member_id_number, ps[1].id) == 0
	        && strcmp(ev->effective_date, yesterday) == 0
	        && strcmp(ev->reported_by, "clerk-a") == 0
	        && strcmp(ev->reported_on, today) == 0
	        && strcmp(ev->note, "reported by the village committee") == 0,
	    "the event's fields are wrong");
	TH_CHECK(&T,
	    ev->income == NULL && ev->expenditure == NULL
	        && ev->household == NULL && ev->n_members == 0,
	    "a death's event carries figures, a household or members");
	TH_CHECK(&T, strcmp(actor, "clerk-a") == 0, "actor %s", actor);
	sn__assist__v1__household_change_reported__free_unpacked(ev, NULL);
	printf("ok: a death -> 201 and household.change_reported\n");

	a = call("POST", "/households/ben-1/changes", clerk_tok, key, body);
	TH_CHECK(&T,
	    a.status == 201 && jstr(a.body, "change_id") != NULL
	        && strcmp(jstr(a.body, "change_id"), change_id) == 0,
	    "the repeat: status %d, not the first answer", a.status);
	json_decref(a.body);
	TH_CHECK(&T, changes_stored() == 2,
	    "the repeat stored or published again (%lld rows)",
	    (long long) changes_stored());
	printf("ok: the same Idempotency-Key -> the same answer, once\n");

	a = call("GET", "/households/ben-1/changes", invest_tok, NULL, NULL);
	json_t *list = json_object_get(a.body, "items");
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(list) == 1
	        && strcmp(json_string_value(json_object_get(
	                      json_array_get(list, 0), "change_id")),
	               change_id)
	            == 0,
	    "GET: status %d, not the one change", a.status);
	json_decref(a.body);
	a = call("GET", "/households/ben-1/changes", other_tok, NULL, NULL);
	expect_error(a, 403, "outside_jurisdiction", NULL, "GET, foreign");
	json_decref(a.body);
	printf("ok: GET /households/{id}/changes\n");

	/* Suspended, the household is still on the register: its members
	 * stay held and it still takes changes. */
	char  l[2048], day[11];
	char *ids[2] = { ps[0].id, ps[1].id };
	beneficiary_line(l, sizeof(l), "ben-1", app,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_SUSPENDED, ids, 2);
	th_stop(&T, approval_inj);
	approval_inj = inject(l);
	if (!th_wait_int(&T, 3, 30000,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher ="
	        " 'approval'",
	        schema))
		th_fail(&T, "intake did not apply the suspension");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiary_member"
	        " WHERE beneficiary_id = 'ben-1' AND status = 'suspended'",
	        schema)
	        == 2,
	    "a suspended household's members are not held");
	local_date(0, day);
	char moved[256];
	snprintf(moved, sizeof(moved),
	    "{\"kind\": \"moved_out\", \"effective_date\": \"%s\"}", day);
	a = call(
	    "POST", "/households/ben-1/changes", clerk_tok, new_key(), moved);
	TH_CHECK(&T, a.status == 201, "a suspended household's change: %d",
	    a.status);
	json_decref(a.body);
	printf("ok: a suspended household still takes changes\n");

	/* The changes page (issue 10): one at a time, the death first. */
	a = call("GET", "/households/ben-1/changes?limit=1", invest_tok, NULL,
	    NULL);
	const char *next = jstr(a.body, "next");
	TH_CHECK(&T,
	    a.status == 200
	        && json_array_size(json_object_get(a.body, "items")) == 1
	        && next != NULL
	        && strcmp(jstr(json_array_get(
	                           json_object_get(a.body, "items"), 0),
	                      "kind"),
	               "death")
	            == 0
	        && json_is_true(json_object_get(a.body, "active")),
	    "changes page 1: %d", a.status);
	char q[128];
	snprintf(q, sizeof(q), "/households/ben-1/changes?limit=1&cursor=%s",
	    next != NULL ? next : "");
	json_decref(a.body);
	a = call("GET", q, invest_tok, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && json_array_size(json_object_get(a.body, "items")) == 1
	        && json_is_null(json_object_get(a.body, "next"))
	        && strcmp(jstr(json_array_get(
	                           json_object_get(a.body, "items"), 0),
	                      "kind"),
	               "moved_out")
	            == 0,
	    "changes page 2: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/households/ben-1/changes?limit=0", invest_tok, NULL,
	    NULL);
	expect_error(a, 422, "invalid_query", "limit", "changes limit=0");
	json_decref(a.body);
	printf("ok: the changes are paged\n");
	free(body);
	free(app);
}

/* What is refused stores and publishes nothing. */
static void
change_refused(void)
{
	person ps[2]  = { new_person(1960), new_person(1962) };
	person nobody = new_person(1963);
	char  *app    = beneficiary_ready(ps);
	char  *body   = death_body(ps[1].id, 0);
	answer a;

	a = call(
	    "POST", "/households/ben-404/changes", clerk_tok, new_key(), body);
	expect_error(a, 404, "not_found", NULL, "unknown household");
	json_decref(a.body);
	a = call(
	    "POST", "/households/ben-1/changes", other_tok, new_key(), body);
	expect_error(a, 403, "outside_jurisdiction", NULL, "foreign clerk");
	json_decref(a.body);
	free(body);

	body = death_body(ps[1].id, 1);
	a    = call(
	       "POST", "/households/ben-1/changes", clerk_tok, new_key(), body);
	expect_error(a, 422, "future_date", "effective_date", "tomorrow");
	json_decref(a.body);
	free(body);

	body = death_body(nobody.id, 0);
	a    = call(
	       "POST", "/households/ben-1/changes", clerk_tok, new_key(), body);
	expect_error(a, 422, "not_a_member", "member_id_number", "a stranger");
	json_decref(a.body);
	free(body);

	/* The valid death, with one member set (value as JSON) and the
	 * member id dropped where drop says. */
	static const struct {
		const char *key, *value;
		bool        drop;
		const char *code, *field, *what;
	} bad[] = {
		{ "colour", "\"red\"", false, "unknown_field", "colour",
		    "unknown field" },
		{ "note", "null", false, "invalid_type", "note", "null note" },
		{ "note", "\"a\\u0001b\"", false, "invalid_characters", "note",
		    "control character" },
		{ "kind", "\"income\"", true, "missing_field", "income",
		    "income without figures" },
		{ "kind", "\"burial\"", false, "invalid_value", "kind",
		    "unknown kind" },
	};
	char today[11];
	local_date(0, today);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "kind", "death",
		    "member_id_number", ps[1].id, "effective_date", today);
		json_object_set_new(j, bad[i].key,
		    json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
		if (bad[i].drop)
			json_object_del(j, "member_id_number");
		body = dump(j);
		a    = call("POST", "/households/ben-1/changes", clerk_tok,
		       new_key(), body);
		expect_error(a, 422, bad[i].code, bad[i].field, bad[i].what);
		json_decref(a.body);
		free(body);
	}
	person wrong = ps[1];
	wrong.id[17] = wrong.id[17] == '0' ? '1' : '0';
	body         = death_body(wrong.id, 0);
	a            = call(
	               "POST", "/households/ben-1/changes", clerk_tok, new_key(), body);
	expect_error(a, 422, "invalid_id_number", "member_id_number",
	    "a wrong check character");
	json_decref(a.body);
	free(body);
	TH_CHECK(&T, changes_stored() == 0,
	    "a refused change was stored or published");

	/* The household exits the register: no more changes. */
	char l[2048];
	beneficiary_line(l, sizeof(l), "ben-1", app,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED, NULL, 0);
	th_stop(&T, approval_inj);
	approval_inj = inject(l);
	if (!th_wait_int(&T, 3, 30000,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher ="
	        " 'approval'",
	        schema))
		th_fail(&T, "intake did not apply the exit");
	body = death_body(ps[1].id, 0);
	a    = call(
	       "POST", "/households/ben-1/changes", clerk_tok, new_key(), body);
	expect_error(a, 404, "not_found", NULL, "an exited household");
	json_decref(a.body);
	free(body);
	TH_CHECK(&T, changes_stored() == 0,
	    "a change of an exited household was stored or published");
	printf("ok: unknown 404, foreign 403, future 422, unknown field 422;"
	       " nothing stored\n");
	free(app);
}

/* ---- agency notices (issue 9) ---------------------------------------- */

static int agency_port;

/* The real agency-sim, publishing as "agency-sim" on the harness's
 * addresses (which intake dials). */
static void
start_agency_sim(void)
{
	static const char *const names[]
	    = { "PUBLIC_SECURITY", "HUMAN_RESOURCES", "HOUSING", "VEHICLES",
		      "MARKET", "TAX", "BANKS", "PROVIDENT_FUND" };
	static char url_env[8][512], port_env[32];
	const char *env[12];
	int         n = 0;
	for (int i = 0; i < 8; i++) {
		snprintf(url_env[i], sizeof(url_env[i]),
		    "SN_AGENCY_%s_URL=ipc://%s/agency-%d.rep", names[i],
		    T.run_dir, i);
		env[n++] = url_env[i];
	}
	agency_port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", agency_port);
	env[n++]           = port_env;
	env[n]             = NULL;
	const char *argv[] = { SN_AGENCY_SIM_BIN, NULL };
	th_spawn(&T, "agency-sim", SN_AGENCY_SIM_BIN, argv, env);
	if (!th_wait_ready(&T, agency_port, 30000))
		th_fail(&T, "agency-sim did not get ready");
}

/* POST /notices to agency-sim; returns the notice id (malloc'd). */
static char *
notice(const char *kind, const char *id_number, int64_t wage)
{
	static int n;
	char       key[32], day[11], *out = NULL;
	snprintf(key, sizeof(key), "notice-%d", ++n);
	local_date(-2, day);
	json_t *b
	    = json_pack("{s:s, s:s, s:s, s:s}", "kind", kind, "id_number",
	        id_number, "effective_date", day, "note", "from the agency");
	if (wage > 0)
		json_object_set_new(b, "monthly_wage_fen", json_integer(wage));
	char *body = dump(b);
	int   st   = th_http(
	        &T, agency_port, "POST", "/notices", NULL, key, body, &out);
	free(body);
	json_t     *j  = out != NULL ? json_loads(out, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(j, "notice_id"));
	if (st != 201 || id == NULL)
		th_fail(&T, "POST /notices: status %d, %s", st,
		    out ? out : "(none)");
	char *r = strdup(id);
	json_decref(j);
	free(out);
	return r;
}

/* Waits until intake has applied agency-sim's first seq events. */
static void
notices_applied(int64_t seq)
{
	if (!th_wait_int(&T, seq, 30000,
	        "SELECT last_seq FROM %s.bus_cursor"
	        " WHERE publisher = 'agency-sim'",
	        schema))
		th_fail(&T, "intake did not apply agency-sim's %lld events",
		    (long long) seq);
}

/* household.change_reported rows, and those of one notice. */
static int64_t
reported(const char *notice_id)
{
	if (notice_id == NULL)
		return th_int(&T,
		    "SELECT count(*) FROM %s.outbox"
		    " WHERE topic = 'household.change_reported'",
		    schema);
	return th_int(&T,
	    "SELECT count(*) FROM %s.household_change WHERE notice_id = '%s'",
	    schema, notice_id);
}

/* The change_reported event of notice_id, decoded (free it). */
static Sn__Assist__V1__HouseholdChangeReported *
event_of(const char *notice_id, char *actor, size_t cap)
{
	char *cid = th_text(&T,
	    "SELECT change_id::text FROM %s.household_change"
	    " WHERE notice_id = '%s'",
	    schema, notice_id);
	TH_CHECK(&T, cid != NULL, "no change for notice %s", notice_id);
	size_t                                   len;
	uint8_t                                 *data = NULL;
	int                                      rows = th_rows(&T,
	                                         "SELECT 1 FROM %s.outbox WHERE topic = "
	                                                                              "'household.change_reported'",
	                                         schema);
	Sn__Assist__V1__HouseholdChangeReported *ev   = NULL;
	for (int i = 0; i < rows && ev == NULL; i++) {
		data = th_bytes_at(&T, i, &len,
		    "SELECT data FROM %s.outbox"
		    " WHERE topic = 'household.change_reported' ORDER BY id",
		    schema);
		Sn__Assist__V1__HouseholdChangeReported *e
		    = sn__assist__v1__household_change_reported__unpack(
		        NULL, len, data);
		free(data);
		TH_CHECK(&T, e != NULL, "an event does not decode");
		if (strcmp(e->change_id, cid) == 0) {
			ev      = e;
			char *a = th_text_at(&T, i, 0,
			    "SELECT actor FROM %s.outbox"
			    " WHERE topic = 'household.change_reported'"
			    " ORDER BY id",
			    schema);
			snprintf(actor, cap, "%s", a ? a : "");
			free(a);
		} else
			sn__assist__v1__household_change_reported__free_unpacked(
			    e, NULL);
	}
	free(cid);
	TH_CHECK(&T, ev != NULL, "no event for notice %s", notice_id);
	return ev;
}

/* Starts intake again on its schema and port, after a stop or a kill. */
static void
restart_intake(void)
{
	static char port_env[32];
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", port);
	const char *env[]  = { port_env, NULL };
	const char *argv[] = { SN_INTAKE_BIN, NULL };
	intake_proc        = th_spawn(&T, "intake", SN_INTAKE_BIN, argv, env);
	if (!th_wait_ready(&T, port, 30000))
		th_fail(&T, "intake did not get ready again");
}

/* The value of series in intake's /metrics; -1 if absent. */
static int64_t
metric(const char *series)
{
	return th_metric_http(&T, port, series);
}

/* A death notice for a member of a beneficiary household: exactly one
 * household.change_reported with the agency and the notice; GET lists
 * it; the stream replayed from the start changes nothing. A new job:
 * an income change with the wage. */
static void
notice_death(void)
{
	person ps[2] = { new_person(1950), new_person(1952) };
	char  *app   = beneficiary_ready(ps);
	char   actor[64], today[11];
	start_agency_sim();
	char *nid = notice("death", ps[1].id, 0);
	notices_applied(1);
	TH_CHECK(&T, reported(NULL) == 1 && reported(nid) == 1,
	    "a death notice: %lld events, %lld changes, want 1 and 1",
	    (long long) reported(NULL), (long long) reported(nid));
	Sn__Assist__V1__HouseholdChangeReported *ev
	    = event_of(nid, actor, sizeof(actor));
	local_date(0, today);
	TH_CHECK(&T,
	    strcmp(ev->beneficiary_id, "ben-1") == 0
	        && strcmp(ev->application_id, app) == 0
	        && ev->kind == SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH
	        && strcmp(ev->member_id_number, ps[1].id) == 0
	        && strcmp(ev->agency, "PUBLIC_SECURITY") == 0
	        && strcmp(ev->notice_id, nid) == 0
	        && strcmp(ev->reported_by, "agency:PUBLIC_SECURITY") == 0
	        && strcmp(ev->reported_on, today) == 0
	        && strcmp(ev->note, "from the agency") == 0
	        && ev->income == NULL,
	    "the death's event: kind %d, agency %s, notice %s, by %s",
	    ev->kind, ev->agency, ev->notice_id, ev->reported_by);
	TH_CHECK(&T, strcmp(actor, "agency:PUBLIC_SECURITY") == 0, "actor %s",
	    actor);
	sn__assist__v1__household_change_reported__free_unpacked(ev, NULL);
	printf("ok: a death notice -> one household.change_reported\n");

	answer a
	    = call("GET", "/households/ben-1/changes", invest_tok, NULL, NULL);
	json_t *c0 = json_array_get(json_object_get(a.body, "items"), 0);
	TH_CHECK(&T,
	    a.status == 200
	        && json_array_size(json_object_get(a.body, "items")) == 1
	        && strcmp(json_string_value(json_object_get(c0, "agency")),
	               "PUBLIC_SECURITY")
	            == 0
	        && strcmp(json_string_value(json_object_get(c0, "notice_id")),
	               nid)
	            == 0,
	    "GET /households/ben-1/changes: status %d, no agency change",
	    a.status);
	json_decref(a.body);
	printf("ok: GET /households/{id}/changes shows it\n");

	/* The whole stream again: intake's cursor back to 0. */
	th_stop(&T, intake_proc);
	th_int(&T,
	    "UPDATE %s.bus_cursor SET last_seq = 0"
	    " WHERE publisher = 'agency-sim' RETURNING 0",
	    schema);
	restart_intake();
	char *job = notice("new_job", ps[0].id, 321000);
	notices_applied(2);
	TH_CHECK(
	    &T, reported(nid) == 1, "the replayed notice was reported again");
	TH_CHECK(&T,
	    metric("sn_intake_agency_notices_total{outcome=\"repeat\"}") == 1,
	    "the replayed notice was not seen as a repeat");
	TH_CHECK(&T, reported(NULL) == 2 && reported(job) == 1,
	    "%lld events after the new job, want 2",
	    (long long) reported(NULL));
	ev = event_of(job, actor, sizeof(actor));
	TH_CHECK(&T,
	    ev->kind == SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_INCOME
	        && ev->income != NULL && ev->income->wages_fen == 321000
	        && ev->income->business_fen == 0
	        && strcmp(ev->member_id_number, ps[0].id) == 0
	        && strcmp(ev->agency, "HUMAN_RESOURCES") == 0
	        && strcmp(ev->reported_by, "agency:HUMAN_RESOURCES") == 0,
	    "the new job's event: kind %d, agency %s", ev->kind, ev->agency);
	sn__assist__v1__household_change_reported__free_unpacked(ev, NULL);
	printf("ok: replayed -> still one; a new job -> an income change\n");
	free(job);
	free(nid);
	free(app);
}

/* A notice for nobody intake holds, and one for a member of an exited
 * household: nothing published, kept as unmatched and counted. */
static void
notice_unmatched(void)
{
	person ps[2]    = { new_person(1940), new_person(1942) };
	person stranger = new_person(1970);
	char  *app      = beneficiary_ready(ps);
	char   l[2048];
	char  *ids[2] = { ps[0].id, ps[1].id };
	beneficiary_line(l, sizeof(l), "ben-1", app,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED, ids, 2);
	th_stop(&T, approval_inj);
	approval_inj = inject(l);
	if (!th_wait_int(&T, 3, 30000,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher ="
	        " 'approval'",
	        schema))
		th_fail(&T, "intake did not apply the exit");
	start_agency_sim();
	char *n1 = notice("death", stranger.id, 0);
	char *n2 = notice("new_job", ps[0].id, 250000);
	notices_applied(2);
	TH_CHECK(&T, reported(NULL) == 0,
	    "an unmatched notice published %lld events",
	    (long long) reported(NULL));
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.household_change", schema)
	        == 0,
	    "an unmatched notice stored a change");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.agency_notice"
	        " WHERE outcome = 'unmatched' AND change_id IS NULL"
	        " AND notice_id IN ('%s', '%s')",
	        schema, n1, n2)
	        == 2,
	    "the notices are not kept as unmatched");
	TH_CHECK(&T,
	    metric("sn_intake_agency_notices_total{outcome=\"unmatched\"}")
	        == 2,
	    "the unmatched counter is not 2");
	printf("ok: unknown person, exited household -> unmatched, nothing "
	       "published\n");
	free(n1);
	free(n2);
	free(app);
}

/* intake killed (SIGKILL) between notices and right after a burst:
 * every notice taken exactly once. */
static void
notice_kill(void)
{
	person ps[2] = { new_person(1930), new_person(1932) };
	char  *app   = beneficiary_ready(ps);
	char  *nid[6];
	start_agency_sim();
	nid[0] = notice("death", ps[1].id, 0);
	notices_applied(1);
	th_kill(&T, intake_proc, SIGKILL);
	person stranger[2] = { new_person(1971), new_person(1972) };
	nid[1]             = notice("new_job", ps[0].id, 200000);
	nid[2]             = notice("death", stranger[0].id, 0);
	restart_intake();
	notices_applied(3);
	nid[3] = notice("new_job", ps[0].id, 300000);
	nid[4] = notice("death", stranger[1].id, 0);
	nid[5] = notice("new_job", ps[0].id, 400000);
	th_kill(&T, intake_proc, SIGKILL);
	restart_intake();
	notices_applied(6);
	static const bool matched[6]
	    = { true, true, false, true, false, true };
	for (int i = 0; i < 6; i++) {
		TH_CHECK(&T,
		    th_int(&T,
		        "SELECT count(*) FROM %s.agency_notice"
		        " WHERE notice_id = '%s'",
		        schema, nid[i])
		        == 1,
		    "notice %d is not kept once", i);
		TH_CHECK(&T, reported(nid[i]) == (matched[i] ? 1 : 0),
		    "notice %d: %lld changes", i,
		    (long long) reported(nid[i]));
		free(nid[i]);
	}
	TH_CHECK(&T, reported(NULL) == 4,
	    "%lld household.change_reported events, want 4",
	    (long long) reported(NULL));
	printf("ok: killed between notices -> nothing lost, nothing twice\n");
	free(app);
}

/* ---- issue 10 ------------------------------------------------------- */

/* Waits until intake has applied publisher pub's events up to seq. */
static void
applied(const char *pub, int64_t seq)
{
	if (!th_wait_int(&T, seq, 30000,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher = '%s'",
	        schema, pub))
		th_fail(&T, "intake did not apply %s's events up to %lld", pub,
		    (long long) seq);
}

static int64_t
jint(json_t *j, const char *obj, const char *key)
{
	return json_integer_value(
	    json_object_get(json_object_get(j, obj), key));
}

static answer
get_app(const char *id, const char *tok)
{
	char path[128];
	snprintf(path, sizeof(path), "/applications/%s", id);
	return call("GET", path, tok, NULL, NULL);
}

/* Declared income from farming and from relatives: accepted (absent is
 * 0), refused when negative, stored, shown by GET and carried by
 * application.submitted (revision 1). */
static void
income_sources(void)
{
	start_intake();
	person  ps[1] = { new_person(1961) };
	json_t *in    = app_json(ps, 1);
	json_t *inc   = json_object_get(in, "declared_income");
	json_object_set_new(inc, "agricultural_fen", json_integer(-1));
	char  *body = json_dumps(in, JSON_COMPACT);
	answer a = call("POST", "/applications", clerk_tok, new_key(), body);
	free(body);
	expect_error(a, 422, "invalid_money",
	    "declared_income.agricultural_fen", "negative agricultural");
	json_decref(a.body);
	json_object_set_new(inc, "agricultural_fen", json_integer(123456));
	json_object_set_new(inc, "support_fen", json_integer(7890));
	body = json_dumps(in, JSON_COMPACT);
	a    = call("POST", "/applications", clerk_tok, new_key(), body);
	free(body);
	json_decref(in);
	TH_CHECK(&T, a.status == 201, "income_sources: status %d", a.status);
	char *id = strdup(jstr(a.body, "application_id"));
	json_decref(a.body);

	size_t   len;
	char     actor[64];
	uint8_t *data = outbox_data(
	    "application.submitted", id, &len, actor, sizeof(actor));
	Sn__Assist__V1__ApplicationSubmitted *ev
	    = sn__assist__v1__application_submitted__unpack(NULL, len, data);
	TH_CHECK(&T, ev != NULL, "the event does not decode");
	TH_CHECK(&T,
	    ev->declared_income->agricultural_fen == 123456
	        && ev->declared_income->support_fen == 7890
	        && ev->declared_income->wages_fen == 150000,
	    "event income: agricultural %lld support %lld",
	    (long long) ev->declared_income->agricultural_fen,
	    (long long) ev->declared_income->support_fen);
	TH_CHECK(&T, ev->revision == 1, "event revision %d", ev->revision);
	sn__assist__v1__application_submitted__free_unpacked(ev, NULL);
	free(data);

	answer g = get_app(id, clerk_tok);
	TH_CHECK(&T,
	    g.status == 200
	        && jint(g.body, "declared_income", "agricultural_fen")
	            == 123456
	        && jint(g.body, "declared_income", "support_fen") == 7890,
	    "GET income: %d", g.status);
	json_decref(g.body);

	/* Absent: 0. */
	person p2[1] = { new_person(1962) };
	char  *id2   = submit_ok(p2, 1, "without the new sources");
	g            = get_app(id2, clerk_tok);
	json_t *gi   = json_object_get(g.body, "declared_income");
	TH_CHECK(&T,
	    json_is_integer(json_object_get(gi, "agricultural_fen"))
	        && jint(g.body, "declared_income", "agricultural_fen") == 0
	        && jint(g.body, "declared_income", "support_fen") == 0,
	    "absent sources are not 0");
	json_decref(g.body);
	free(id);
	free(id2);
}

static void
decided_full_line(char *out, size_t cap, const char *app,
    Sn__Assist__V1__Category cat, Sn__Assist__V1__Tier tier)
{
	Sn__Assist__V1__ApplicationDecided d
	    = SN__ASSIST__V1__APPLICATION_DECIDED__INIT;
	d.application_id = (char *) app;
	d.case_id        = (char *) app;
	d.approved       = true;
	d.category       = cat;
	d.tier           = tier;
	d.decided_by     = "officer-1";
	line_of(out, cap, "application.decided", app, &d.base);
}

static void
register_line(char *out, size_t cap, const char *bid, const char *app,
    Sn__Assist__V1__BeneficiaryStatus st, Sn__Assist__V1__Category cat,
    Sn__Assist__V1__Tier tier, Sn__Assist__V1__ChangeCause cause, char **ids,
    size_t n)
{
	Sn__Assist__V1__BeneficiaryChanged b
	    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
	b.beneficiary_id      = (char *) bid;
	b.application_id      = (char *) app;
	b.status              = st;
	b.category            = cat;
	b.tier                = tier;
	b.cause               = cause;
	b.n_member_id_numbers = n;
	b.member_id_numbers   = ids;
	line_of(out, cap, "beneficiary.changed", app, &b.base);
}

/* Members of an edge-tier household (low income, expenditure) may apply
 * again, whether approval has only decided or the register holds them;
 * a core household (dibao) still blocks its persons with 409. When the
 * new decision replaces the edge standing (REPLACED, EXITED), intake's
 * copy ends it and the new application keeps its persons. An event that
 * does not restate the tier keeps the one intake knows. */
static void
edge_household(void)
{
	start_intake();
	person e1[2] = { new_person(1971), new_person(1972) };
	person e2[1] = { new_person(1973) };
	person c1[1] = { new_person(1974) };
	char  *e1_id = submit_ok(e1, 2, "edge, registered");
	char  *e2_id = submit_ok(e2, 1, "edge, decided only");
	char  *c1_id = submit_ok(c1, 1, "core");
	char   lines[16384], l[2048];
	char  *ids[2]  = { e1[0].id, e1[1].id };
	char  *cids[1] = { c1[0].id };
	lines[0]       = '\0';
	decided_full_line(l, sizeof(l), e1_id,
	    SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME,
	    SN__ASSIST__V1__TIER__TIER_EDGE);
	strcat(lines, l);
	register_line(l, sizeof(l), "ben-e1", e1_id,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE,
	    SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME,
	    SN__ASSIST__V1__TIER__TIER_EDGE,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DECISION, ids, 2);
	strcat(lines, l);
	decided_full_line(l, sizeof(l), e2_id,
	    SN__ASSIST__V1__CATEGORY__CATEGORY_EXPENDITURE,
	    SN__ASSIST__V1__TIER__TIER_EDGE);
	strcat(lines, l);
	decided_full_line(l, sizeof(l), c1_id,
	    SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO,
	    SN__ASSIST__V1__TIER__TIER_CORE);
	strcat(lines, l);
	register_line(l, sizeof(l), "ben-c1", c1_id,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE,
	    SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO,
	    SN__ASSIST__V1__TIER__TIER_CORE,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DECISION, cids, 1);
	strcat(lines, l);
	/* A later change that does not restate the tier (a re-rating)
	 * leaves the household edge. */
	register_line(l, sizeof(l), "ben-e1", e1_id,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE,
	    SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED,
	    SN__ASSIST__V1__TIER__TIER_UNSPECIFIED,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_RERATING, ids, 2);
	strcat(lines, l);
	th_proc *inj = inject(lines);
	applied("approval", 6);

	/* The core household's person: still 409. */
	person with_core[2] = { new_person(1940), c1[0] };
	char  *body         = dump(app_json(with_core, 2));
	answer a = call("POST", "/applications", clerk_tok, new_key(), body);
	free(body);
	expect_error(a, 409, "person_in_beneficiary_household",
	    "members[1].id_number", "a core household's person");
	json_decref(a.body);

	/* The edge households' persons apply again. */
	char *n1 = submit_ok(e1, 2, "an edge household's members again");
	char *n2 = submit_ok(e2, 1, "an edge decision's member again");
	/* ... and are held by the new applications now. */
	body = dump(app_json(e1, 2));
	a    = call("POST", "/applications", clerk_tok, new_key(), body);
	free(body);
	expect_error(a, 409, "person_in_open_application",
	    "members[0].id_number", "held by the new application");
	TH_CHECK(&T,
	    jstr(a.body, "error.application_id") != NULL
	        && strcmp(jstr(a.body, "error.application_id"), n1) == 0,
	    "the 409 does not name the new application");
	json_decref(a.body);
	th_stop(&T, inj);

	/* approval decides the new one (dibao) and replaces the edge
	 * standing: the old household exits, the new one holds them. */
	lines[0] = '\0';
	register_line(l, sizeof(l), "ben-e1", e1_id,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED,
	    SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME,
	    SN__ASSIST__V1__TIER__TIER_EDGE,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_REPLACED, ids, 2);
	strcat(lines, l);
	decided_full_line(l, sizeof(l), n1,
	    SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO,
	    SN__ASSIST__V1__TIER__TIER_CORE);
	strcat(lines, l);
	register_line(l, sizeof(l), "ben-n1", n1,
	    SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE,
	    SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO,
	    SN__ASSIST__V1__TIER__TIER_CORE,
	    SN__ASSIST__V1__CHANGE_CAUSE__CHANGE_CAUSE_DECISION, ids, 2);
	strcat(lines, l);
	inj = inject(lines);
	applied("approval", 9);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.beneficiary_member"
	        " WHERE beneficiary_id = 'ben-e1'",
	        schema)
	        == 0,
	    "the replaced household still holds its members");
	body = dump(app_json(e1, 2));
	a    = call("POST", "/applications", clerk_tok, new_key(), body);
	free(body);
	expect_error(a, 409, "person_in_beneficiary_household",
	    "members[0].id_number", "now a core household's");
	TH_CHECK(&T,
	    jstr(a.body, "error.beneficiary_id") != NULL
	        && strcmp(jstr(a.body, "error.beneficiary_id"), "ben-n1") == 0,
	    "the 409 does not name the new household");
	json_decref(a.body);
	th_stop(&T, inj);
	free(e1_id);
	free(e2_id);
	free(c1_id);
	free(n1);
	free(n2);
}

static void
stage_line(char *out, size_t cap, const char *case_id,
    Sn__Assist__V1__Stage to, const char *actor, const char *reason)
{
	Sn__Assist__V1__CaseStageChanged c
	    = SN__ASSIST__V1__CASE_STAGE_CHANGED__INIT;
	c.case_id        = (char *) case_id;
	c.application_id = (char *) case_id;
	c.from           = SN__ASSIST__V1__STAGE__STAGE_VILLAGE_REVIEW;
	c.to             = to;
	c.actor          = (char *) actor;
	c.reason         = (char *) reason;
	c.township_code  = "220103001";
	line_of(out, cap, "case.stage_changed", case_id, &c.base);
}

static const char *
status_of(const char *id)
{
	static char st[32];
	char       *s = th_text(&T,
	          "SELECT status FROM %s.application WHERE id = '%s'", schema, id);
	snprintf(st, sizeof(st), "%s", s != NULL ? s : "(none)");
	free(s);
	return st;
}

/* The amended body: other income, one member fewer, another payee. */
static char *
amended_body(const person *ps)
{
	json_t *j = app_json(ps, 1);
	json_t *i = json_object_get(j, "declared_income");
	json_object_set_new(i, "wages_fen", json_integer(99000));
	json_object_set_new(i, "support_fen", json_integer(5000));
	json_object_set_new(json_object_get(j, "payee"), "account_number",
	    json_string("6222020200999988887"));
	return dump(j);
}

/* A returned case comes back: approval's case.stage_changed RETURNED
 * marks the application returned (a review's case is ignored); PUT
 * amends it only while returned (409 otherwise, 422 as at intake,
 * nothing changed); resubmit needs an amendment, publishes
 * application.resubmitted (revision 2, the amended household, the first
 * dates) once, status open again; GET shows the history. */
static void
returned_resubmit(void)
{
	start_intake();
	person ps[2] = { new_person(1955), new_person(1956) };
	char  *id    = submit_ok(ps, 2, "to be returned");
	char   path[160], rpath[160];
	snprintf(path, sizeof(path), "/applications/%s", id);
	snprintf(rpath, sizeof(rpath), "/applications/%s/resubmit", id);
	char *body = amended_body(ps);

	/* Not returned yet: 409, nothing changed. */
	answer a = call("PUT", path, clerk_tok, new_key(), body);
	expect_error(a, 409, "not_returned", NULL, "amend an open one");
	json_decref(a.body);
	a = call("POST", rpath, clerk_tok, new_key(),
	    "{\"amendment\":\"nothing\"}");
	expect_error(a, 409, "not_returned", NULL, "resubmit an open one");
	json_decref(a.body);

	char    lines[8192], l[2048], review[SN_UUID_STRLEN];
	sn_uuid u;
	sn_uuid_v4(&u);
	sn_uuid_format(&u, review);
	lines[0] = '\0';
	stage_line(l, sizeof(l), review, SN__ASSIST__V1__STAGE__STAGE_RETURNED,
	    "village-9", "a review's case");
	strcat(lines, l);
	stage_line(l, sizeof(l), id, SN__ASSIST__V1__STAGE__STAGE_RETURNED,
	    "village-1", "income proof missing");
	strcat(lines, l);
	stage_line(l, sizeof(l), id, SN__ASSIST__V1__STAGE__STAGE_RETURNED,
	    "village-1", "income proof missing");
	strcat(lines, l);
	th_proc *inj = inject(lines);
	applied("approval", 3);
	TH_CHECK(&T, strcmp(status_of(id), "returned") == 0,
	    "status %s, want returned", status_of(id));
	answer g = get_app(id, clerk_tok);
	TH_CHECK(&T,
	    g.status == 200 && strcmp(jstr(g.body, "status"), "returned") == 0
	        && jstr(g.body, "returned.reason") != NULL
	        && strcmp(
	               jstr(g.body, "returned.reason"), "income proof missing")
	            == 0
	        && strcmp(jstr(g.body, "returned.returned_by"), "village-1")
	            == 0,
	    "GET of a returned application");
	TH_CHECK(&T, json_array_size(json_object_get(g.body, "history")) == 1,
	    "history after a repeated return: %zu",
	    json_array_size(json_object_get(g.body, "history")));
	json_decref(g.body);

	/* Bad amendments change nothing. */
	char   *before = app_snapshot(id);
	json_t *bad    = app_json(ps, 2);
	json_object_set_new(json_object_get(bad, "declared_income"),
	    "support_fen", json_integer(-5));
	char *bad_s = dump(bad);
	a           = call("PUT", path, clerk_tok, new_key(), bad_s);
	expect_error(a, 422, "invalid_money", "declared_income.support_fen",
	    "a negative amendment");
	json_decref(a.body);
	free(bad_s);
	a = call("PUT", path, other_tok, new_key(), body);
	TH_CHECK(
	    &T, a.status == 403, "another township amended: %d", a.status);
	json_decref(a.body);
	char *after = app_snapshot(id);
	TH_CHECK(&T, strcmp(before, after) == 0, "a refused PUT changed it");
	free(before);
	free(after);

	/* The amendment. */
	a = call("PUT", path, clerk_tok, new_key(), body);
	TH_CHECK(&T, a.status == 200, "amend: status %d", a.status);
	json_decref(a.body);
	/* The dropped member is free again. */
	person again[1] = { ps[1] };
	char  *other    = submit_ok(again, 1, "the dropped member");

	a = call("POST", rpath, clerk_tok, new_key(), "{\"amendment\":\"\"}");
	expect_error(a, 422, "invalid_field", "amendment", "empty amendment");
	json_decref(a.body);
	const char *k = new_key();
	char        key[64];
	snprintf(key, sizeof(key), "%s", k);
	const char *rbody = "{\"amendment\":\"wages corrected, payee fixed\"}";
	a                 = call("POST", rpath, clerk_tok, key, rbody);
	TH_CHECK(&T,
	    a.status == 200 && jstr(a.body, "status") != NULL
	        && strcmp(jstr(a.body, "status"), "open") == 0
	        && json_integer_value(json_object_get(a.body, "revision"))
	            == 2,
	    "resubmit: status %d", a.status);
	json_decref(a.body);
	a = call("POST", rpath, clerk_tok, key, rbody);
	TH_CHECK(&T, a.status == 200, "resubmit replay: %d", a.status);
	json_decref(a.body);
	a = call("POST", rpath, clerk_tok, new_key(), rbody);
	expect_error(a, 409, "not_returned", NULL, "resubmitted twice");
	json_decref(a.body);

	size_t   len;
	char     actor[64];
	uint8_t *data = outbox_data(
	    "application.resubmitted", id, &len, actor, sizeof(actor));
	Sn__Assist__V1__ApplicationSubmitted *ev
	    = sn__assist__v1__application_submitted__unpack(NULL, len, data);
	char today[11];
	local_date(0, today);
	TH_CHECK(&T,
	    ev != NULL && ev->revision == 2
	        && strcmp(ev->resubmitted_by, "clerk-a") == 0
	        && strcmp(ev->amendment, "wages corrected, payee fixed") == 0
	        && strcmp(ev->taken_in_by, "clerk-a") == 0
	        && strcmp(ev->accepted_date, today) == 0 && ev->n_members == 1
	        && ev->declared_income->wages_fen == 99000
	        && ev->declared_income->support_fen == 5000
	        && strcmp(ev->payee->account_number, "6222020200999988887")
	            == 0,
	    "application.resubmitted differs");
	sn__assist__v1__application_submitted__free_unpacked(ev, NULL);
	free(data);
	TH_CHECK(&T, strcmp(status_of(id), "open") == 0, "status %s after",
	    status_of(id));
	g         = get_app(id, clerk_tok);
	json_t *h = json_object_get(g.body, "history");
	TH_CHECK(&T,
	    json_integer_value(json_object_get(g.body, "revision")) == 2
	        && json_array_size(h) == 3
	        && strcmp(jstr(json_array_get(h, 0), "kind"), "returned") == 0
	        && strcmp(jstr(json_array_get(h, 1), "kind"), "amended") == 0
	        && strcmp(jstr(json_array_get(h, 2), "kind"), "resubmitted")
	            == 0
	        && strcmp(jstr(json_array_get(h, 2), "note"),
	               "wages corrected, payee fixed")
	            == 0
	        && strcmp(jstr(json_array_get(h, 2), "actor"), "clerk-a") == 0,
	    "the history of the revisions");
	/* What the amendment replaced is kept. */
	json_t *was = json_object_get(json_array_get(h, 1), "before");
	TH_CHECK(&T,
	    jint(was, "declared_income", "wages_fen") == 150000
	        && json_array_size(json_object_get(was, "members")) == 2
	        && strcmp(jstr(was, "payee.account_number"),
	               "6222020200112233445")
	            == 0,
	    "the amended entry does not keep what it replaced");
	json_decref(g.body);
	th_stop(&T, inj);
	free(body);
	free(other);
	free(id);
}

/* A returned application may be withdrawn instead of amended (issue 10):
 * application.withdrawn as for an open one (approval closes the returned
 * case). */
static void
returned_withdrawn(void)
{
	start_intake();
	person ps[1] = { new_person(1957) };
	char  *id    = submit_ok(ps, 1, "returned, then withdrawn");
	char   lines[4096], path[160];
	stage_line(lines, sizeof(lines), id,
	    SN__ASSIST__V1__STAGE__STAGE_RETURNED, "village-1",
	    "income proof missing");
	th_proc *inj = inject(lines);
	applied("approval", 1);
	TH_CHECK(&T, strcmp(status_of(id), "returned") == 0,
	    "status %s, want returned", status_of(id));
	snprintf(path, sizeof(path), "/applications/%s/withdraw", id);
	answer w = call("POST", path, clerk_tok, new_key(),
	    "{\"reason\":\"no longer needed\"}");
	TH_CHECK(&T, w.status == 200, "withdraw a returned one: %d", w.status);
	json_decref(w.body);
	TH_CHECK(&T, strcmp(status_of(id), "withdrawn") == 0,
	    "status %s, want withdrawn", status_of(id));
	size_t   len;
	char     actor[64];
	uint8_t *data = outbox_data(
	    "application.withdrawn", id, &len, actor, sizeof(actor));
	TH_CHECK(&T, data != NULL, "no application.withdrawn");
	free(data);
	/* Its member is free for a new application. */
	free(submit_ok(ps, 1, "after the withdrawal"));
	th_stop(&T, inj);
	free(id);
}

static void
payee_line(char *out, size_t cap, const char *app, const char *grant,
    const char *account)
{
	Sn__Pay__V1__PayeeChanged c = SN__PAY__V1__PAYEE_CHANGED__INIT;
	c.application_id            = (char *) app;
	c.beneficiary_id            = app[0] != '\0' ? "ben-p" : "";
	c.grant_id                  = (char *) grant;
	c.bank_code                 = "BOC";
	c.account_number            = (char *) account;
	c.account_name              = "Member Name";
	c.requested_by              = "fin-1";
	c.confirmed_by              = "fin-2";
	out[0]                      = '\0';
	th_inject_line(out, cap, "payee.changed", app[0] != '\0' ? app : grant,
	    "fin-2", &c.base);
}

/* disbursement's payee.changed updates the application's payee, the old
 * one kept in its history; a repeat changes nothing more; a grant's or
 * an unknown application's is passed over. */
static void
payee_changed(void)
{
	start_intake();
	person  ps[1] = { new_person(1966) };
	char   *id    = submit_ok(ps, 1, "payee to change");
	char    unknown[SN_UUID_STRLEN], lines[8192], l[2048];
	sn_uuid u;
	sn_uuid_v4(&u);
	sn_uuid_format(&u, unknown);
	lines[0] = '\0';
	payee_line(l, sizeof(l), "", "grant-1", "6222000011112222");
	strcat(lines, l);
	payee_line(l, sizeof(l), unknown, "", "6222000011113333");
	strcat(lines, l);
	payee_line(l, sizeof(l), id, "", "6222000011114444");
	strcat(lines, l);
	payee_line(l, sizeof(l), id, "", "6222000011114444");
	strcat(lines, l);
	th_proc *inj = inject_as("disbursement", lines);
	applied("disbursement", 4);
	answer g = get_app(id, clerk_tok);
	TH_CHECK(&T,
	    g.status == 200
	        && strcmp(jstr(g.body, "payee.account_number"),
	               "6222000011114444")
	            == 0
	        && strcmp(jstr(g.body, "payee.bank_code"), "BOC") == 0,
	    "GET payee: %s", jstr(g.body, "payee.account_number"));
	json_t *h = json_object_get(g.body, "history");
	TH_CHECK(&T,
	    json_array_size(h) == 1
	        && strcmp(jstr(json_array_get(h, 0), "kind"), "payee_changed")
	            == 0
	        && strcmp(
	               jstr(json_array_get(h, 0), "old_payee.account_number"),
	               "6222020200112233445")
	            == 0,
	    "history: %zu entries", json_array_size(h));
	json_decref(g.body);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.application WHERE id = '%s'",
	        schema, unknown)
	        == 0,
	    "an unknown application appeared");
	th_stop(&T, inj);
	free(id);
}

static size_t
items_size(answer a)
{
	return json_array_size(json_object_get(a.body, "items"));
}

/* GET /applications pages (limit, cursor, {items, next}); a clerk lists
 * the applications they took in (taken_in_by=me) with their status; an
 * officer may name a clerk, a clerk only themselves. */
static void
list_paged(void)
{
	start_intake();
	char *mine[3];
	for (int i = 0; i < 3; i++) {
		person ps[1] = { new_person(1990 + i) };
		mine[i]      = submit_ok(ps, 1, "mine");
	}
	char  *clerk_c = token("clerk-c", "clerk", "220103001");
	person op[1]   = { new_person(1999) };
	char  *body    = dump(app_json(op, 1));
	answer a = call("POST", "/applications", clerk_c, new_key(), body);
	free(body);
	TH_CHECK(&T, a.status == 201, "clerk-c's: %d", a.status);
	json_decref(a.body);
	char lines[4096], l[2048];
	lines[0] = '\0';
	stage_line(l, sizeof(l), mine[1],
	    SN__ASSIST__V1__STAGE__STAGE_RETURNED, "village-1", "why");
	strcat(lines, l);
	th_proc *inj = inject(lines);
	applied("approval", 1);

	a = call("GET", "/applications?taken_in_by=me&limit=2", clerk_tok,
	    NULL, NULL);
	const char *next = jstr(a.body, "next");
	TH_CHECK(&T, a.status == 200 && items_size(a) == 2 && next != NULL,
	    "page 1: %d, %zu items", a.status, items_size(a));
	char q[256];
	snprintf(q, sizeof(q),
	    "/applications?taken_in_by=me&limit=2&cursor=%s",
	    next != NULL ? next : "");
	json_t *items1 = json_incref(json_object_get(a.body, "items"));
	json_decref(a.body);
	a = call("GET", q, clerk_tok, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && items_size(a) == 1
	        && json_is_null(json_object_get(a.body, "next")),
	    "page 2: %d, %zu items", a.status, items_size(a));
	json_t *last = json_array_get(json_object_get(a.body, "items"), 0);
	TH_CHECK(&T, strcmp(jstr(last, "application_id"), mine[2]) == 0,
	    "page 2 is not the third");
	TH_CHECK(&T,
	    strcmp(jstr(json_array_get(items1, 1), "status"), "returned") == 0
	        && strcmp(jstr(json_array_get(items1, 0), "status"), "open")
	            == 0,
	    "the statuses listed");
	json_decref(items1);
	json_decref(a.body);

	char *officer = token("off-1", "township_officer", "220103001");
	a             = call(
	                "GET", "/applications?taken_in_by=clerk-a", officer, NULL, NULL);
	TH_CHECK(&T, a.status == 200 && items_size(a) == 3,
	    "officer's list: %d, %zu", a.status, items_size(a));
	json_decref(a.body);
	a = call(
	    "GET", "/applications?taken_in_by=clerk-c", clerk_tok, NULL, NULL);
	TH_CHECK(
	    &T, a.status == 403, "a clerk listed another's: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/applications?taken_in_by=me&limit=1001", clerk_tok,
	    NULL, NULL);
	expect_error(a, 422, "invalid_query", "limit", "limit 1001");
	json_decref(a.body);
	a = call("GET", "/applications?taken_in_by=me&cursor=zz", clerk_tok,
	    NULL, NULL);
	expect_error(a, 422, "invalid_query", "cursor", "a bad cursor");
	json_decref(a.body);
	th_stop(&T, inj);
	free(officer);
	free(clerk_c);
	for (int i = 0; i < 3; i++)
		free(mine[i]);
}

/* ---- issue 11: sealed at rest ---------------------------------------- */

#define OLD_ACCOUNT "6222020200199887766"
#define HIST_ACCOUNT "6222020200155443322"

/* The sealed value of sql (one text cell) opened under column, compared
 * with want. */
static bool
opens_to(const char *column, const char *want, const char *fmt, const char *a,
    const char *b)
{
	char *sealed = th_text(&T, fmt, a, b);
	char *plain  = NULL;
	bool  ok     = sealed != NULL && strncmp(sealed, "sn1.", 4) == 0
	    && strstr(sealed, want) == NULL
	    && sn_seal_open_text(test_sealer(), column, sealed, &plain)
	        == SN_OK
	    && strcmp(plain, want) == 0;

	free(sealed);
	free(plain);
	return ok;
}

/* GET /applications/{id} answers the member's id number and the payee's
 * account in clear. */
static void
answered_clear(const char *id, const char *id_number, const char *account)
{
	char   path[128];
	answer g;

	snprintf(path, sizeof(path), "/applications/%s", id);
	g             = call("GET", path, clerk_tok, NULL, NULL);
	json_t     *m = json_array_get(json_object_get(g.body, "members"), 0);
	const char *got = json_string_value(json_object_get(m, "id_number"));
	TH_CHECK(&T,
	    g.status == 200 && got != NULL && strcmp(got, id_number) == 0,
	    "GET %s: status %d, id_number %s (want it in clear)", id, g.status,
	    got != NULL ? got : "(none)");
	got = jstr(g.body, "payee.account_number");
	TH_CHECK(&T, got != NULL && strcmp(got, account) == 0,
	    "GET %s: account_number %s (want it in clear)", id,
	    got != NULL ? got : "(none)");
	json_decref(g.body);
}

/* Writes, as a version before issue 11 did, an application of person p
 * in clear (its member, claim and account), copied from application src;
 * returns the new application's id (static). */
static const char *
old_clear_row(const char *src, const person *p)
{
	static char id[37];
	sn_uuid     u;

	sn_uuid_v4(&u);
	sn_uuid_format(&u, id);
	TH_CHECK(&T,
	    th_int(&T,
	        "WITH a AS (INSERT INTO %s.application (id, accepted_date,"
	        " deadline_date, taken_in_by, registration, district_code,"
	        " township_code, village_code, address, has_able_supporter,"
	        " wages_fen, business_fen, pensions_fen, other_fen, "
	        "medical_fen,"
	        " education_fen, housing_fen, employment_costs_fen,"
	        " consent_reference, consent_signed_date, payee_bank_code,"
	        " payee_account_number, payee_account_name, agricultural_fen,"
	        " support_fen) SELECT '%s', accepted_date, deadline_date,"
	        " taken_in_by, registration, district_code, township_code,"
	        " village_code, address, has_able_supporter, wages_fen,"
	        " business_fen, pensions_fen, other_fen, medical_fen,"
	        " education_fen, housing_fen, employment_costs_fen,"
	        " consent_reference, consent_signed_date, payee_bank_code,"
	        " '" OLD_ACCOUNT "', payee_account_name, agricultural_fen,"
	        " support_fen FROM %s.application WHERE id = '%s'"
	        " RETURNING id),"
	        " m AS (INSERT INTO %s.member (application_id, position,"
	        " id_number, name, relation, birth_date, labour_capacity,"
	        " disability_grade, self_care) SELECT id, 0, '%s', 'Old Row',"
	        " 'self', '%s', 'none', 0, 'able' FROM a RETURNING 1),"
	        " c AS (INSERT INTO %s.claim (id_number, application_id)"
	        " SELECT '%s', id FROM a RETURNING 1)"
	        " SELECT (SELECT count(*) FROM m) + (SELECT count(*) FROM c)",
	        schema, id, schema, src, schema, p->id, p->birth, schema,
	        p->id)
	        == 2,
	    "cannot write a row in clear as an older version did");
	return id;
}

/* Issue 11: an application submitted now is stored sealed (no clear
 * value; "sn1." text that the tests' keys open under the column's name
 * only) with blind indexes, answered in clear, and found by the index (a
 * second application naming the person is refused); rows an older
 * version wrote in clear are sealed at the next start, before intake is
 * ready, and answered and found alike. */
static void
sealed(void)
{
	person a = new_person(1961), b = new_person(1971);
	start_intake();
	char *id = submit_ok(&a, 1, "a sealed application");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.member WHERE application_id = '%s'"
	        " AND id_number IS NULL AND id_number_index = '%s'",
	        schema, id, id_index(a.id))
	            == 1
	        && opens_to("intake.member.id_number", a.id,
	            "SELECT id_number_sealed FROM %s.member"
	            " WHERE application_id = '%s'",
	            schema, id)
	        && !opens_to("intake.claim.id_number", a.id,
	            "SELECT id_number_sealed FROM %s.member"
	            " WHERE application_id = '%s'",
	            schema, id),
	    "the member's id number is not sealed under its column");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application WHERE id = '%s'"
	        " AND payee_account_number IS NULL",
	        schema,
	        id) == 1
	        && opens_to("intake.application.payee_account_number",
	            "6222020200112233445",
	            "SELECT payee_account_number_sealed FROM %s.application"
	            " WHERE id = '%s'",
	            schema, id),
	    "the payee's account is not sealed");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.claim WHERE id_number IS NULL"
	        " AND id_number_index = '%s' AND application_id = '%s'",
	        schema, id_index(a.id), id)
	        == 1,
	    "the claim is not kept by the index alone");
	answered_clear(id, a.id, "6222020200112233445");
	char  *body = dump(app_json(&a, 1));
	answer r = call("POST", "/applications", clerk_tok, new_key(), body);
	expect_error(r, 409, "person_in_open_application",
	    "members[0].id_number", "the same person, found by the index");
	json_decref(r.body);
	free(body);

	/* An older version's row, written while intake is down. */
	th_stop(&T, intake_proc);
	const char *old = old_clear_row(id, &b);
	TH_CHECK(&T,
	    th_int(&T,
	        "WITH h AS (INSERT INTO %s.application_history "
	        "(application_id,"
	        " kind, revision, actor, details) VALUES ('%s', "
	        "'payee_changed',"
	        " 1, 'old-version', '{\"old_payee\": {\"bank_code\": \"ICBC\","
	        " \"account_number\": \"" HIST_ACCOUNT "\","
	        " \"account_name\": \"Old\"}}') RETURNING 1)"
	        " SELECT count(*) FROM h",
	        schema, old)
	        == 1,
	    "cannot write a history entry in clear");
	restart_intake();
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT (SELECT count(*) FROM %s.member WHERE id_number IS NOT"
	        " NULL) + (SELECT count(*) FROM %s.claim WHERE id_number IS"
	        " NOT NULL) + (SELECT count(*) FROM %s.application WHERE"
	        " payee_account_number IS NOT NULL)",
	        schema, schema, schema)
	        == 0,
	    "a value written in clear is still in clear after the start");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.member WHERE application_id = '%s'"
	        " AND id_number_index = '%s'",
	        schema, old, id_index(b.id))
	            == 1
	        && opens_to("intake.member.id_number", b.id,
	            "SELECT id_number_sealed FROM %s.member"
	            " WHERE application_id = '%s'",
	            schema, old)
	        && opens_to("intake.application.payee_account_number",
	            OLD_ACCOUNT,
	            "SELECT payee_account_number_sealed FROM %s.application"
	            " WHERE id = '%s'",
	            schema, old),
	    "the row written in clear was not sealed at start-up");
	answered_clear(old, b.id, OLD_ACCOUNT);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.application_history WHERE"
	        " strpos(details::text, '" HIST_ACCOUNT "') > 0",
	        schema)
	            == 0
	        && opens_to("intake.application.payee_account_number",
	            HIST_ACCOUNT,
	            "SELECT details->'old_payee'->>'account_number' FROM"
	            " %s.application_history WHERE application_id = '%s'",
	            schema, old),
	    "the history written in clear was not sealed at start-up");
	{
		char path[128], *raw = NULL;
		snprintf(path, sizeof(path), "/applications/%s", old);
		int st = th_http(
		    &T, port, "GET", path, clerk_tok, NULL, NULL, &raw);
		TH_CHECK(&T,
		    st == 200 && raw != NULL
		        && strstr(raw, HIST_ACCOUNT) != NULL
		        && strstr(raw, "sn1.") == NULL,
		    "GET does not answer the history's account in clear");
		free(raw);
	}
	body = dump(app_json(&b, 1));
	r    = call("POST", "/applications", clerk_tok, new_key(), body);
	expect_error(r, 409, "person_in_open_application",
	    "members[0].id_number", "the old row's person, by the index");
	TH_CHECK(&T,
	    jstr(r.body, "error.application_id") != NULL
	        && strcmp(jstr(r.body, "error.application_id"), old) == 0,
	    "the 409 does not name the old row's application");
	json_decref(r.body);
	free(body);
	free(id);
}

/* Issue 11, reported changes: the member a change names and the members
 * it lists (details) are stored sealed, and GET /households/{id}/changes
 * answers them in clear. */
static void
sealed_changes(void)
{
	person ps[2] = { new_person(1954), new_person(1956) };
	char  *app   = beneficiary_ready(ps);
	char  *body  = death_body(ps[1].id, -1);
	char   day[11];
	answer a = call(
	    "POST", "/households/ben-1/changes", clerk_tok, new_key(), body);
	TH_CHECK(&T, a.status == 201, "death: status %d", a.status);
	json_decref(a.body);
	free(body);
	json_t *j = app_json(ps, 2);
	local_date(-1, day);
	body = dump(json_pack("{s:s, s:O, s:s, s:s}", "kind", "members",
	    "members", json_object_get(j, "members"), "effective_date", day,
	    "note", "a new member"));
	json_decref(j);
	a = call(
	    "POST", "/households/ben-1/changes", clerk_tok, new_key(), body);
	TH_CHECK(&T, a.status == 201, "members: status %d", a.status);
	json_decref(a.body);
	free(body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.household_change WHERE"
	        " member_id_number IS NOT NULL OR strpos(details::text, '%s') "
	        "> 0"
	        " OR strpos(details::text, '%s') > 0",
	        schema, ps[0].id, ps[1].id)
	            == 0
	        && th_int(&T,
	               "SELECT count(*) FROM %s.household_change WHERE"
	               " kind = 'members' AND strpos(details::text, '\"sn1.') "
	               "> 0",
	               schema)
	            == 1
	        && opens_to("intake.household_change.member_id_number",
	            ps[1].id,
	            "SELECT member_id_number_sealed FROM %s.household_change"
	            " WHERE kind = 'death' AND %s",
	            schema, "true"),
	    "a reported change holds an id number in clear");
	char *raw = NULL;
	int   st  = th_http(&T, port, "GET", "/households/ben-1/changes",
	       clerk_tok, NULL, NULL, &raw);
	TH_CHECK(&T,
	    st == 200 && raw != NULL && strstr(raw, ps[0].id) != NULL
	        && strstr(raw, ps[1].id) != NULL
	        && strstr(raw, "sn1.") == NULL,
	    "GET changes does not answer the id numbers in clear: %d %s", st,
	    raw != NULL ? raw : "");
	free(raw);
	free(app);
	th_stop(&T, approval_inj);
}

/* Whether the log of the n-th process of the run holds text. */
static bool
log_has(int n, const char *name, const char *text)
{
	char  path[600], line[4096];
	bool  found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%d.log", T.run_dir, name, n);
	f = fopen(path, "r");
	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, text) != NULL;
	if (f != NULL)
		fclose(f);
	return found;
}

/* Issue 11: intake stores personal data, so it refuses to start without
 * its sealing keys, or with a malformed one, naming the setting and
 * never printing a key (exit status 2). */
static void
keys_required(void)
{
	static const char *const cases[][2] = {
		{ "SN_SEAL_KEYS=", "SN_SEAL_KEYS" },
		{ "SN_BLIND_KEY=", "SN_BLIND_KEY" },
		{ "SN_SEAL_KEYS=k1:00112233", "SN_SEAL_KEYS" },
	};
	const char *argv[] = { SN_INTAKE_BIN, NULL };

	th_publisher(&T, "intake");
	th_publisher(&T, "approval");
	th_publisher(&T, "emergency");
	th_publisher(&T, "disbursement");
	for (int i = 0; i < 3; i++) {
		const char *env[] = { cases[i][0], NULL };
		th_proc *p  = th_spawn(&T, "intake", SN_INTAKE_BIN, argv, env);
		int      st = th_wait_exit(&T, p, 10000);
		TH_CHECK(&T, st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2,
		    "%s: intake did not exit 2 (wait status %d)", cases[i][0],
		    st);
		TH_CHECK(&T,
		    log_has(i, "intake", cases[i][1])
		        && !log_has(i, "intake", "00112233")
		        && !log_has(i, "intake", "cb3316d0a1fba3ef"),
		    "%s: the refusal does not name %s, or shows a key",
		    cases[i][0], cases[i][1]);
	}
}

static void
free_tokens(void)
{
	free(clerk_tok);
	free(other_tok);
	free(invest_tok);
	sn_seal_close(test_seal);
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "submit", submit },
		{ "idempotent", idempotent },
		{ "bad_input", bad_input },
		{ "person_twice", person_twice },
		{ "concurrent", concurrent },
		{ "withdraw", withdraw },
		{ "approval_events", approval_events },
		{ "get_access", get_access },
		{ "referral_drafts", referral_drafts },
		{ "draft_list", draft_list },
		{ "draft_submit", draft_submit },
		{ "draft_bad_submit", draft_bad_submit },
		{ "accepted_next_day", accepted_next_day },
		{ "withdraw_unknown_field", withdraw_unknown_field },
		{ "control_chars", control_chars },
		{ "change_death", change_death },
		{ "change_refused", change_refused },
		{ "notice_death", notice_death },
		{ "notice_unmatched", notice_unmatched },
		{ "notice_kill", notice_kill },
		{ "income_sources", income_sources },
		{ "edge_household", edge_household },
		{ "returned_resubmit", returned_resubmit },
		{ "returned_withdrawn", returned_withdrawn },
		{ "payee_changed", payee_changed },
		{ "list_paged", list_paged },
		{ "sealed", sealed },
		{ "sealed_changes", sealed_changes },
		{ "keys_required", keys_required },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), free_tokens);
}
