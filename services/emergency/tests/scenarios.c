/*
 * The emergency service's integration tests: the real binary, a real
 * PostgreSQL (SN_TEST_DB_URL) and real NNG sockets, through
 * tests/support/harness.h. disbursement, intake and approval are played
 * by sn-inject (intake's test publisher).
 *
 *   emergency_scenarios allocate | grant_now | above_limit | insufficient |
 *       idempotent | bad_input | strict_input | payment | referral | chain |
 *       figures_settlement | concurrent | intake_draft | district_clock |
 *       window | window_race | transitional | paging | sealed |
 *       group_savepoints | group_batch | group_sigkill
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "acted.h"
#include "harness.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/auth.h"
#include "sn/clock.h"
#include "sn/idnum.h"
#include "sn/pay/v1/payment.pb-c.h"

#ifndef SN_EMERGENCY_BIN
#define SN_EMERGENCY_BIN "emergency"
#endif
#ifndef SN_INTAKE_BIN
#define SN_INTAKE_BIN "intake"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif

#define TOWNSHIP "220103001"
#define VILLAGE "220103001002"
#define LIMIT 300000

static th          T;
static int         port;
static const char *schema;
static char       *officer;   /* emergency_officer of TOWNSHIP, officer-1 */
static char       *officer_b; /* emergency_officer of 220103002 */
static char       *finance;   /* finance of district 220103 */
static char       *finance_x; /* finance of district 220104 */
static char       *approver;  /* district_officer dist-1 of 220103 */
static char       *approver_same; /* district_officer named officer-1 */
static char       *admin;         /* district_admin of 220103 */
static int         id_seq;

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
	    || sn_auth_issue(auth, &p, 3600, &tok) != SN_OK)
		th_fail(&T, "cannot issue a token");
	sn_auth_close(auth);
	return tok;
}

/* A new valid identity number. */
static void
new_person(char out[19])
{
	char buf[32];
	id_seq++;
	snprintf(buf, sizeof(buf), "220103%04d%02d%02d%03d",
	    1950 + id_seq % 60, 1 + id_seq % 12, 1 + id_seq % 28,
	    ((int) getpid() % 900 + id_seq) % 1000);
	memcpy(out, buf, 17);
	out[17] = sn_idnum_check_char(out);
	out[18] = '\0';
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

static json_t *
jget(json_t *j, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = j;
	char   *save;
	for (char *s = strtok_r(buf, ".", &save); s != NULL && cur != NULL;
	     s       = strtok_r(NULL, ".", &save)) {
		if (json_is_array(cur))
			cur = json_array_get(cur, (size_t) atoi(s));
		else
			cur = json_object_get(cur, s);
	}
	return cur;
}

static const char *
jstr(json_t *j, const char *path)
{
	const char *s = json_string_value(jget(j, path));
	return s != NULL ? s : "(none)";
}

static long long
jint(json_t *j, const char *path)
{
	json_t *v = jget(j, path);
	return json_is_integer(v) ? (long long) json_integer_value(v) : -1;
}

static void
expect_error(answer a, int status, const char *code, const char *field,
    const char *what)
{
	TH_CHECK(&T, a.status == status, "%s: status %d, want %d (%s)", what,
	    a.status, status, jstr(a.body, "error.code"));
	TH_CHECK(&T, strcmp(jstr(a.body, "error.code"), code) == 0,
	    "%s: code %s, want %s", what, jstr(a.body, "error.code"), code);
	if (field != NULL)
		TH_CHECK(&T, strcmp(jstr(a.body, "error.field"), field) == 0,
		    "%s: field %s, want %s", what, jstr(a.body, "error.field"),
		    field);
}

/* expect_error, then frees the body. */
static void
expect_err(answer a, int status, const char *code, const char *field,
    const char *what)
{
	expect_error(a, status, code, field, what);
	json_decref(a.body);
}

static const char *
new_key(void)
{
	static char buf[64];
	static int  n;
	snprintf(buf, sizeof(buf), "key-%d-%d", (int) getpid(), ++n);
	return buf;
}

/* Starts the service with extra settings (NULL or NULL-ended). */
static th_proc *
start_with(const char *const *extra)
{
	static char port_env[32];
	th_publisher(&T, "emergency");
	th_publisher(&T, "disbursement");
	th_publisher(&T, "intake");
	th_publisher(&T, "approval");
	port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", port);
	const char *env[8] = { port_env, "SN_EMERGENCY_METRICS_MS=200", NULL };
	for (size_t i = 0, n = 2; extra != NULL && extra[i] != NULL && n < 7;
	     i++)
		env[n++] = extra[i];
	const char *argv[] = { SN_EMERGENCY_BIN, NULL };
	th_proc    *p = th_spawn(&T, "emergency", SN_EMERGENCY_BIN, argv, env);
	if (!th_wait_ready(&T, port, 30000))
		th_fail(&T, "emergency did not get ready");
	schema        = th_schema(&T, "emergency");
	officer       = token("officer-1", "emergency_officer", TOWNSHIP);
	officer_b     = token("officer-2", "emergency_officer", "220103002");
	finance       = token("fin-1", "finance", "220103");
	finance_x     = token("fin-2", "finance", "220104");
	approver      = token("dist-1", "district_officer", "220103");
	approver_same = token("officer-1", "district_officer", "220103");
	admin         = token("admin-1", "district_admin", "220103");
	return p;
}

static void
start(void)
{
	(void) start_with(NULL);
}

static void
done(void)
{
	free(officer);
	free(officer_b);
	free(finance);
	free(finance_x);
	free(approver);
	free(approver_same);
	free(admin);
}

static answer
allocate(const char *township, long long amount, const char *tok)
{
	char path[96], body[96];
	snprintf(path, sizeof(path), "/funds/%s/allocations", township);
	snprintf(body, sizeof(body), "{\"amount_fen\": %lld}", amount);
	return call("POST", path, tok, new_key(), body);
}

static void
allocate_ok(long long amount)
{
	answer a = allocate(TOWNSHIP, amount, finance);
	TH_CHECK(&T, a.status == 201, "allocation: status %d (%s)", a.status,
	    jstr(a.body, "error.code"));
	json_decref(a.body);
}

/* A grant request body for person idn. */
static char *
grant_body(const char *idn, const char *cause, long long amount)
{
	json_t *j = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:i, s:I,"
	                      " s:{s:s, s:s, s:s}}",
	    "township_code", TOWNSHIP, "village_code", VILLAGE, "person",
	    "id_number", idn, "name", "Wang Fang", "cause", cause,
	    "description", "house burnt down at night", "household_size", 3,
	    "amount_fen", (json_int_t) amount, "payee", "bank_code", "ICBC",
	    "account_number", "6222020200112233445", "account_name",
	    "Wang Fang");
	char   *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static answer
grant(const char *idn, const char *cause, long long amount, const char *tok,
    const char *key)
{
	char  *b = grant_body(idn, cause, amount);
	answer a = call("POST", "/grants", tok, key ? key : new_key(), b);
	free(b);
	return a;
}

/* A grant that must be made at once; returns its id (malloc'd). */
static char *
grant_ok(const char *idn, const char *cause, long long amount)
{
	answer a = grant(idn, cause, amount, officer, NULL);
	TH_CHECK(&T, a.status == 201, "grant of %lld: status %d (%s)", amount,
	    a.status, jstr(a.body, "error.code"));
	char *id = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	return id;
}

static int64_t
balance(void)
{
	return th_int(&T,
	    "SELECT coalesce((SELECT balance_fen FROM %s.fund"
	    " WHERE township_code = '%s'), -1)",
	    schema, TOWNSHIP);
}

/* The fund's ledger sums to its balance and no row went negative. */
static void
ledger_consistent(const char *what)
{
	int64_t sum = th_int(&T,
	    "SELECT coalesce(sum(amount_fen), 0) FROM %s.ledger"
	    " WHERE township_code = '%s'",
	    schema, TOWNSHIP);
	int64_t bal = balance();
	TH_CHECK(&T, sum == bal, "%s: ledger sums to %lld, balance %lld", what,
	    (long long) sum, (long long) bal);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.ledger WHERE balance_after_fen < 0",
	        schema)
	        == 0,
	    "%s: a ledger row has a negative balance after it", what);
	/* Each row's balance_after is the running sum in ledger order. */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM (SELECT balance_after_fen,"
	        " sum(amount_fen) OVER (PARTITION BY township_code ORDER BY "
	        "seq)"
	        " AS running FROM %s.ledger) s"
	        " WHERE balance_after_fen <> running",
	        schema)
	        == 0,
	    "%s: a ledger row's balance_after is not the running sum", what);
}

static int64_t
outbox_count(const char *topic)
{
	return th_int(&T, "SELECT count(*) FROM %s.outbox WHERE topic = '%s'",
	    schema, topic);
}

/* The protobuf of outbox rows of topic (and subject if not NULL), in
 * order; returns how many, at most max, each malloc'd. */
static int
outbox_rows(const char *topic, const char *subject, uint8_t **data,
    size_t *len, int max)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
	    "SELECT data FROM %s.outbox WHERE topic = '%s'%s%s%s ORDER BY id",
	    schema, topic, subject ? " AND subject = '" : "",
	    subject ? subject : "", subject ? "'" : "");
	int n = th_rows(&T, "%s", sql);
	n     = n < max ? n : max;
	for (int i = 0; i < n; i++) {
		data[i] = th_bytes_at(&T, i, &len[i], "%s", sql);
		if (data[i] == NULL)
			th_fail(&T, "outbox row %d has no data", i);
	}
	return n;
}

static Sn__Assist__V1__ReserveChanged *
last_reserve(void)
{
	uint8_t *d[512];
	size_t   l[512];
	int      n = outbox_rows("reserve.changed", NULL, d, l, 512);
	TH_CHECK(&T, n > 0, "no reserve.changed in the outbox");
	Sn__Assist__V1__ReserveChanged *m
	    = sn__assist__v1__reserve_changed__unpack(
	        NULL, l[n - 1], d[n - 1]);
	for (int i = 0; i < n; i++)
		free(d[i]);
	TH_CHECK(&T, m != NULL, "reserve.changed does not decode");
	return m;
}

/* Appends one sn-inject line for msg to buf. */
static void
line_of(char *buf, size_t cap, const char *topic, const char *subject,
    const ProtobufCMessage *msg)
{
	th_inject_line(buf, cap, topic, subject, "test-actor", msg);
}

/*
 * Publishes lines as publisher through sn-inject and waits until the
 * emergency service has applied all of them (its cursor on that stream
 * reaches the stream's end), then stops sn-inject.
 */
static void
inject(const char *publisher, const char *lines)
{
	static int n;
	char       path[512];
	snprintf(path, sizeof(path), "%s/inject%d.txt", T.run_dir, ++n);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		th_fail(&T, "cannot write %s", path);
	fputs(lines, f);
	fclose(f);
	const char *ps = th_schema(&T, publisher);
	int64_t     before
	    = th_int_maybe(&T, "SELECT count(*) FROM %s.outbox", ps);
	int64_t nlines = 0;
	for (const char *p = lines; *p; p++)
		nlines += *p == '\n';
	int64_t     want = (before < 0 ? 0 : before) + nlines;
	const char *argv[]
	    = { SN_INJECT_BIN, "--name", publisher, "--events", path, NULL };
	th_proc *proc = th_spawn(&T, publisher, SN_INJECT_BIN, argv, NULL);
	if (!th_wait_int(
	        &T, want, 30000, "SELECT count(seq) FROM %s.outbox", ps))
		th_fail(&T, "sn-inject did not publish its events");
	if (!th_wait_int(&T, want, 30000,
	        "SELECT coalesce(max(last_seq), 0) FROM %s.bus_cursor"
	        " WHERE publisher = '%s'",
	        schema, publisher))
		th_fail(&T, "emergency did not apply %s's events", publisher);
	th_stop(&T, proc);
}

static void
settled_line(char *buf, size_t cap, const char *grant_id, const char *pid)
{
	Sn__Pay__V1__PaymentRef     ref = SN__PAY__V1__PAYMENT_REF__INIT;
	Sn__Pay__V1__PaymentSettled m   = SN__PAY__V1__PAYMENT_SETTLED__INIT;
	ref.grant_id                    = (char *) grant_id;
	m.payment_id                    = (char *) pid;
	m.end_to_end_id                 = (char *) pid;
	m.fund                          = SN__PAY__V1__FUND__FUND_EMERGENCY;
	m.ref                           = &ref;
	m.settled_at                    = "2026-01-02T03:04:05Z";
	line_of(buf, cap, "payment.settled", pid, &m.base);
}

static void
failed_line(char *buf, size_t cap, const char *grant_id, const char *pid)
{
	Sn__Pay__V1__PaymentRef    ref = SN__PAY__V1__PAYMENT_REF__INIT;
	Sn__Pay__V1__PaymentFailed m   = SN__PAY__V1__PAYMENT_FAILED__INIT;
	ref.grant_id                   = (char *) grant_id;
	m.payment_id                   = (char *) pid;
	m.end_to_end_id                = (char *) pid;
	m.fund                         = SN__PAY__V1__FUND__FUND_EMERGENCY;
	m.ref                          = &ref;
	m.reason_code                  = "closed_account";
	m.reason                       = "the account is closed";
	line_of(buf, cap, "payment.failed", pid, &m.base);
}

/* A grant body for idn with a household and extra members (a JSON
 * object's inside, e.g. "\"kind\": \"transitional\"", or NULL). */
static answer
grant_with(const char *idn, const char *const *members, long long amount,
    const char *extra)
{
	json_t *j = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:i,"
	                      " s:{s:s, s:s, s:s}}",
	    "township_code", TOWNSHIP, "village_code", VILLAGE, "person",
	    "id_number", idn, "name", "Wang Fang", "cause", "fire",
	    "description", "house burnt down at night", "household_size", 4,
	    "payee", "bank_code", "ICBC", "account_number",
	    "6222020200112233445", "account_name", "Wang Fang");
	if (amount > 0)
		json_object_set_new(
		    j, "amount_fen", json_integer((json_int_t) amount));
	if (members != NULL) {
		json_t *arr = json_array();
		for (size_t i = 0; members[i] != NULL; i++)
			json_array_append_new(arr, json_string(members[i]));
		json_object_set_new(j, "household_id_numbers", arr);
	}
	if (extra != NULL) {
		char    buf[512];
		json_t *e;
		snprintf(buf, sizeof(buf), "{%s}", extra);
		e = json_loads(buf, 0, NULL);
		if (e == NULL)
			th_fail(&T, "bad extra JSON %s", buf);
		json_object_update(j, e);
		json_decref(e);
	}
	char *b = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	answer a = call("POST", "/grants", officer, new_key(), b);
	free(b);
	return a;
}

/* Expects status from a grant; returns its id (malloc'd). */
static char *
grant_expect(answer a, int status, const char *what)
{
	TH_CHECK(&T, a.status == status, "%s: status %d, want %d (%s: %s)",
	    what, a.status, status, jstr(a.body, "error.code"),
	    jstr(a.body, "error.message"));
	char *id = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	return id;
}

/* ---- scenarios ------------------------------------------------------ */

/* insert, in a transaction of its own, passes and its COMMIT fails on a
 * foreign key (23503). */
static void
refused_at_commit(const char *insert)
{
	PQclear(PQexec(T.pg, "BEGIN"));
	PGresult *r  = PQexec(T.pg, insert);
	bool      in = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	r                 = PQexec(T.pg, "COMMIT");
	bool        fails = PQresultStatus(r) == PGRES_FATAL_ERROR;
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	TH_CHECK(&T,
	    in && fails && state != NULL && strcmp(state, "23503") == 0,
	    "%s: the insert %s, the commit %s (%s)", insert,
	    in ? "passed" : "failed", fails ? "failed" : "passed",
	    state != NULL ? state : "-");
	PQclear(r);
}

/* Allocations credit the fund, each a ledger row and a reserve.changed;
 * only a district finance user covering the township may allocate; the
 * ledger refuses UPDATE and DELETE. */
static void
allocate_scenario(void)
{
	start();
	answer a = allocate(TOWNSHIP, 1000000, finance);
	TH_CHECK(&T, a.status == 201 && jint(a.body, "balance_fen") == 1000000,
	    "first allocation: %d balance %lld", a.status,
	    jint(a.body, "balance_fen"));
	json_decref(a.body);
	a = allocate(TOWNSHIP, 500, finance);
	TH_CHECK(&T, a.status == 201 && jint(a.body, "balance_fen") == 1000500,
	    "second allocation: %d balance %lld", a.status,
	    jint(a.body, "balance_fen"));
	json_decref(a.body);
	TH_CHECK(
	    &T, balance() == 1000500, "balance %lld", (long long) balance());
	ledger_consistent("allocations");
	TH_CHECK(&T, outbox_count("reserve.changed") == 2,
	    "want two reserve.changed");
	Sn__Assist__V1__ReserveChanged *m = last_reserve();
	TH_CHECK(&T,
	    m->movement
	            == SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_ALLOCATION
	        && m->amount_fen == 500 && m->balance_fen == 1000500
	        && strcmp(m->township_code, TOWNSHIP) == 0
	        && strcmp(m->actor, "fin-1") == 0
	        && m->ledger_entry_id[0] != 0,
	    "reserve.changed does not describe the allocation");
	sn__assist__v1__reserve_changed__free_unpacked(m, NULL);

	expect_err(allocate(TOWNSHIP, 100, finance_x), 403,
	    "outside_jurisdiction", "township", "another district's finance");
	expect_err(allocate(TOWNSHIP, 100, officer), 403, "forbidden", NULL,
	    "an officer allocating");
	expect_err(allocate(TOWNSHIP, 0, finance), 422, "invalid_amount",
	    "amount_fen", "zero allocation");
	expect_err(allocate(TOWNSHIP, -5, finance), 422, "invalid_amount",
	    "amount_fen", "negative allocation");
	answer fl = call("POST", "/funds/" TOWNSHIP "/allocations", finance,
	    new_key(), "{\"amount_fen\": 10.5}");
	expect_err(fl, 422, "invalid_type", "amount_fen", "fractional fen");
	TH_CHECK(&T, balance() == 1000500, "a refused allocation moved money");

	/* The ledger is append-only. */
	const char *edits[] = { "UPDATE %s.ledger SET amount_fen = 0",
		"DELETE FROM %s.ledger", "TRUNCATE %s.ledger CASCADE" };
	for (size_t i = 0; i < 3; i++) {
		char        sql[256];
		const char *at = strstr(edits[i], "%s");
		snprintf(sql, sizeof(sql), "%.*s%s%s", (int) (at - edits[i]),
		    edits[i], schema, at + 2);
		PGresult *r = PQexec(T.pg, sql);
		TH_CHECK(&T, PQresultStatus(r) == PGRES_FATAL_ERROR,
		    "the ledger accepted: %s", sql);
		PQclear(r);
	}
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.ledger", schema) == 2,
	    "the ledger changed");
	/* A ledger row of no fund, and a grant's person of no grant, are
	 * refused: at the COMMIT, where their keys are checked (deferred, so
	 * that a grant's own check takes no lock on the fund row it has just
	 * debited), not at the INSERT. */
	char orphan[256];
	snprintf(orphan, sizeof(orphan),
	    "INSERT INTO %s.ledger (township_code, movement, amount_fen, "
	    "balance_after_fen, actor) VALUES ('999999999', 'allocation', 1, "
	    "1, 'test')",
	    schema);
	refused_at_commit(orphan);
	snprintf(orphan, sizeof(orphan),
	    "INSERT INTO %s.grant_person (grant_id, person_index) VALUES "
	    "(gen_random_uuid(), 'nobody')",
	    schema);
	refused_at_commit(orphan);
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.ledger", schema) == 2,
	    "a ledger row of no fund was kept");

	/* And a balance below zero is refused by the table itself. */
	char sql[256];
	snprintf(sql, sizeof(sql),
	    "UPDATE %s.fund SET balance_fen = -1 WHERE township_code = '%s'",
	    schema, TOWNSHIP);
	PGresult *r = PQexec(T.pg, sql);
	TH_CHECK(&T, PQresultStatus(r) == PGRES_FATAL_ERROR,
	    "the fund accepted a negative balance");
	PQclear(r);

	a = call("GET", "/funds", admin, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && jint(a.body, "items.0.balance_fen") == 1000500
	        && jint(a.body, "items.0.grant_limit_fen") == LIMIT
	        && jint(a.body, "items.0.allocated_fen") == 1000500,
	    "GET /funds: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/funds", officer_b, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(jget(a.body, "items")) == 0,
	    "another township's officer sees the fund");
	json_decref(a.body);
}

/* A grant within the limit and the balance: 201, fund debited, ledger
 * consistent, emergency.granted and reserve.changed in the outbox. */
static void
grant_now(void)
{
	start();
	allocate_ok(1000000);
	char idn[19];
	new_person(idn);
	answer a = grant(idn, "fire", 250000, officer, NULL);
	TH_CHECK(&T, a.status == 201, "grant: status %d (%s)", a.status,
	    jstr(a.body, "error.code"));
	TH_CHECK(&T, strcmp(jstr(a.body, "status"), "granted") == 0,
	    "status %s", jstr(a.body, "status"));
	TH_CHECK(&T, jint(a.body, "balance_fen") == 750000, "balance_fen %lld",
	    jint(a.body, "balance_fen"));
	char *id = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	TH_CHECK(&T, balance() == 750000, "fund balance %lld",
	    (long long) balance());
	ledger_consistent("grant");

	uint8_t *d[4];
	size_t   l[4];
	TH_CHECK(&T, outbox_rows("emergency.granted", id, d, l, 4) == 1,
	    "want one emergency.granted for the grant");
	Sn__Assist__V1__EmergencyGranted *g
	    = sn__assist__v1__emergency_granted__unpack(NULL, l[0], d[0]);
	free(d[0]);
	TH_CHECK(&T, g != NULL, "emergency.granted does not decode");
	TH_CHECK(&T,
	    strcmp(g->grant_id, id) == 0
	        && strcmp(g->township_code, TOWNSHIP) == 0
	        && strcmp(g->village_code, VILLAGE) == 0
	        && strcmp(g->id_number, idn) == 0
	        && strcmp(g->name, "Wang Fang") == 0
	        && g->cause
	            == SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_FIRE
	        && g->household_size == 3 && g->amount_fen == 250000
	        && g->payee != NULL
	        && strcmp(g->payee->account_number, "6222020200112233445") == 0
	        && strcmp(g->granted_by, "officer-1") == 0
	        && g->approved_by[0] == '\0' && strlen(g->granted_at) >= 20,
	    "emergency.granted does not describe the grant");
	sn__assist__v1__emergency_granted__free_unpacked(g, NULL);
	Sn__Assist__V1__ReserveChanged *m = last_reserve();
	TH_CHECK(&T,
	    m->movement
	            == SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_GRANT
	        && m->amount_fen == -250000 && m->balance_fen == 750000
	        && strcmp(m->grant_id, id) == 0,
	    "reserve.changed does not describe the debit");
	sn__assist__v1__reserve_changed__free_unpacked(m, NULL);
	TH_CHECK(&T,
	    th_wait_int(&T, 0, 10000,
	        "SELECT count(*) FROM %s.outbox WHERE seq IS NULL", schema),
	    "the relay did not publish the grant's events");

	char path[96];
	snprintf(path, sizeof(path), "/grants/%s", id);
	a = call("GET", path, officer, NULL, NULL);
	TH_CHECK(&T, a.status == 200 && jint(a.body, "amount_fen") == 250000,
	    "GET grant: %d", a.status);
	json_decref(a.body);
	expect_err(call("GET", path, officer_b, NULL, NULL), 403,
	    "outside_jurisdiction", "id", "another township reads the grant");
	/* Exactly the limit is still made at once (another person: idn's
	 * window holds the first grant). */
	new_person(idn);
	free(grant_ok(idn, "accident", LIMIT));
	TH_CHECK(&T, balance() == 450000, "balance after the limit grant");
	ledger_consistent("two grants");
	free(id);
}

/* Above the limit: 202 and nothing debited; the granting officer cannot
 * approve it (same user), another district user can: then debited. */
static void
above_limit(void)
{
	start();
	allocate_ok(1000000);
	char idn[19];
	new_person(idn);
	answer a = grant(idn, "major_illness", LIMIT + 1, officer, NULL);
	TH_CHECK(&T, a.status == 202, "one fen over: status %d", a.status);
	TH_CHECK(&T, strcmp(jstr(a.body, "status"), "awaiting_approval") == 0,
	    "status %s", jstr(a.body, "status"));
	json_decref(a.body);
	a = grant(idn, "major_illness", 500000, officer, NULL);
	TH_CHECK(&T, a.status == 202, "500000: status %d", a.status);
	char *id = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	TH_CHECK(&T, balance() == 1000000, "an awaiting grant debited");
	TH_CHECK(&T, outbox_count("emergency.granted") == 0,
	    "an awaiting grant was published");

	a = call(
	    "GET", "/grants?status=awaiting_approval", approver, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(jget(a.body, "items")) == 2,
	    "GET /grants?status=awaiting_approval: %d", a.status);
	json_decref(a.body);

	char path[96];
	snprintf(path, sizeof(path), "/grants/%s/approval", id);
	expect_err(call("POST", path, approver_same, new_key(),
	               "{\"decision\": \"approve\"}"),
	    403, "same_user", NULL, "the granting officer approves");
	expect_err(call("POST", path, officer, new_key(),
	               "{\"decision\": \"approve\"}"),
	    403, "forbidden", NULL, "an officer approves");
	TH_CHECK(&T, balance() == 1000000, "a refused approval debited");
	a = call("POST", path, approver, new_key(),
	    "{\"decision\": \"approve\", \"reason\": \"hospital bill seen\"}");
	TH_CHECK(&T, a.status == 200, "approval: status %d (%s)", a.status,
	    jstr(a.body, "error.code"));
	TH_CHECK(&T,
	    strcmp(jstr(a.body, "status"), "granted") == 0
	        && strcmp(jstr(a.body, "approved_by"), "dist-1") == 0
	        && jint(a.body, "balance_fen") == 500000,
	    "approved grant: %s by %s", jstr(a.body, "status"),
	    jstr(a.body, "approved_by"));
	json_decref(a.body);
	TH_CHECK(&T, balance() == 500000, "approval did not debit");
	ledger_consistent("approval");
	uint8_t *d[2];
	size_t   l[2];
	TH_CHECK(&T, outbox_rows("emergency.granted", id, d, l, 2) == 1,
	    "want one emergency.granted after the approval");
	Sn__Assist__V1__EmergencyGranted *g
	    = sn__assist__v1__emergency_granted__unpack(NULL, l[0], d[0]);
	free(d[0]);
	TH_CHECK(&T,
	    g != NULL && strcmp(g->approved_by, "dist-1") == 0
	        && strcmp(g->granted_by, "officer-1") == 0
	        && g->amount_fen == 500000,
	    "emergency.granted does not name the approver");
	sn__assist__v1__emergency_granted__free_unpacked(g, NULL);
	expect_err(call("POST", path, approver, new_key(),
	               "{\"decision\": \"approve\"}"),
	    409, "not_awaiting_approval", NULL, "approved twice");

	/* Approval over the balance: refused, still waiting. */
	a         = grant(idn, "disaster", 600000, officer, NULL);
	char *big = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	snprintf(path, sizeof(path), "/grants/%s/approval", big);
	a = call(
	    "POST", path, approver, new_key(), "{\"decision\": \"approve\"}");
	expect_error(
	    a, 409, "insufficient_funds", NULL, "approval over balance");
	TH_CHECK(&T, jint(a.body, "error.balance_fen") == 500000,
	    "the refusal names balance %lld",
	    jint(a.body, "error.balance_fen"));
	json_decref(a.body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.grants WHERE id = '%s'"
	        " AND status = 'awaiting_approval'",
	        schema, big)
	        == 1,
	    "a refused approval changed the grant");
	/* Rejection needs a reason. */
	expect_err(call("POST", path, approver, new_key(),
	               "{\"decision\": \"reject\"}"),
	    422, "reason_required", "reason", "rejection without a reason");
	a = call("POST", path, approver, new_key(),
	    "{\"decision\": \"reject\", \"reason\": \"insured\"}");
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "status"), "rejected") == 0
	        && strcmp(jstr(a.body, "rejected_by"), "dist-1") == 0,
	    "rejection: %d %s", a.status, jstr(a.body, "status"));
	json_decref(a.body);
	TH_CHECK(&T, balance() == 500000, "a rejection moved money");
	ledger_consistent("rejection");
	free(big);
	free(id);
}

/* Over the balance: 409 with the balance, and nothing changes anywhere
 * but the refusal's own staff.acted record; exactly the balance goes
 * through, recorded with its grant; one fen more does not. */
static void
insufficient(void)
{
	start();
	char idn[19];
	new_person(idn);
	answer a = grant(idn, "fire", 100, officer, NULL);
	expect_error(a, 409, "insufficient_funds", "amount_fen", "no fund");
	json_decref(a.body);
	allocate_ok(10000);
	/* The outbox's domain events: not the refusal's own record. */
	const char *tables[]
	    = { "grants", "ledger", "outbox WHERE " TH_DOMAIN_EVENT,
		      "http_idempotency", "referral" };
	int64_t before[5];
	for (int i = 0; i < 5; i++)
		before[i] = th_int(
		    &T, "SELECT count(*) FROM %s.%s", schema, tables[i]);
	int64_t mark = th_outbox_mark(&T, schema);
	a            = grant(idn, "fire", 10001, officer, NULL);
	expect_error(a, 409, "insufficient_funds", "amount_fen",
	    "one fen over the balance");
	TH_CHECK(&T,
	    jint(a.body, "error.balance_fen") == 10000
	        && jint(a.body, "error.amount_fen") == 10001,
	    "the refusal names balance %lld amount %lld",
	    jint(a.body, "error.balance_fen"),
	    jint(a.body, "error.amount_fen"));
	json_decref(a.body);
	for (int i = 0; i < 5; i++)
		TH_CHECK(&T,
		    th_int(&T, "SELECT count(*) FROM %s.%s", schema, tables[i])
		        == before[i],
		    "a refused grant changed %s", tables[i]);
	TH_CHECK(&T, balance() == 10000, "a refused grant moved money");
	th_acted rec[2];
	TH_CHECK(&T, th_acted_after(&T, schema, mark, rec, 2) == 1,
	    "the refused grant: want one staff.acted record");
	th_acted_is(&T, &rec[0], "the refused grant",
	    (th_acted_want) { .service = "emergency",
	        .user_id               = "officer-1",
	        .method                = "POST",
	        .route                 = "/grants",
	        .subject               = "",
	        .outcome_code          = "insufficient_funds",
	        .status                = 409 });
	mark     = th_outbox_mark(&T, schema);
	char *id = grant_ok(idn, "fire", 10000);
	TH_CHECK(&T, balance() == 0, "exactly the balance left %lld",
	    (long long) balance());
	TH_CHECK(&T, th_acted_after(&T, schema, mark, rec, 2) == 1,
	    "the grant: want one staff.acted record");
	th_acted_is(&T, &rec[0], "the grant",
	    (th_acted_want) { .service = "emergency",
	        .user_id               = "officer-1",
	        .route                 = "/grants",
	        .subject               = id,
	        .outcome_code          = "",
	        .status                = 201 });
	th_acted_with(&T, schema, &rec[0], "emergency.granted", id);
	a = grant(idn, "fire", 1, officer, NULL);
	expect_error(a, 409, "insufficient_funds", "amount_fen", "empty fund");
	TH_CHECK(&T, jint(a.body, "error.balance_fen") == 0, "balance not 0");
	json_decref(a.body);
	ledger_consistent("insufficient");
	free(id);
}

struct racer {
	const char *key;
	char       *body;
	answer      a;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	r->a            = call("POST", "/grants", officer, r->key, r->body);
	return NULL;
}

/* The same Idempotency-Key grants once, sequentially and concurrently;
 * the same key for another body is refused. */
static void
idempotent(void)
{
	enum { N = 10 };
	start();
	allocate_ok(1000000);
	char idn[19];
	new_person(idn);
	char  *b  = grant_body(idn, "fire", 20000);
	answer a1 = call("POST", "/grants", officer, "same-key-1", b);
	answer a2 = call("POST", "/grants", officer, "same-key-1", b);
	TH_CHECK(&T, a1.status == 201 && a2.status == 201,
	    "repeat: %d then %d", a1.status, a2.status);
	TH_CHECK(
	    &T, json_equal(a1.body, a2.body), "the repeat answered otherwise");
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.grants", schema) == 1,
	    "the repeat made a second grant");
	TH_CHECK(&T, balance() == 980000, "the repeat debited twice");
	json_decref(a1.body);
	json_decref(a2.body);
	char *other = grant_body(idn, "fire", 20001);
	expect_err(call("POST", "/grants", officer, "same-key-1", other), 422,
	    "idempotency_key_reused", "Idempotency-Key", "key reused");
	free(other);

	struct racer r[N];
	pthread_t    tid[N];
	for (int i = 0; i < N; i++) {
		r[i].key  = "same-key-2";
		r[i].body = b;
		pthread_create(&tid[i], NULL, race, &r[i]);
	}
	for (int i = 0; i < N; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i < N; i++) {
		TH_CHECK(&T, r[i].a.status == 201,
		    "concurrent repeat %d answered %d (%s)", i, r[i].a.status,
		    jstr(r[i].a.body, "error.code"));
		TH_CHECK(&T,
		    strcmp(jstr(r[i].a.body, "id"), jstr(r[0].a.body, "id"))
		        == 0,
		    "concurrent repeats answered different grants");
	}
	for (int i = 0; i < N; i++)
		json_decref(r[i].a.body);
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.grants", schema) == 2,
	    "concurrent repeats made more than one grant");
	TH_CHECK(&T, balance() == 960000, "concurrent repeats debited more");
	TH_CHECK(&T, outbox_count("emergency.granted") == 2,
	    "events published more than once");
	ledger_consistent("idempotent");
	free(b);
}

struct bad_case {
	const char *what;
	const char *path;  /* member to change, "a.b" for nested */
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
	char   *dot = strchr(buf, '.');
	json_t *obj = root;
	if (dot != NULL) {
		*dot = '\0';
		obj  = json_object_get(root, buf);
	}
	const char *k = dot != NULL ? dot + 1 : buf;
	if (value == NULL)
		json_object_del(obj, k);
	else
		json_object_set_new(
		    obj, k, json_loads(value, JSON_DECODE_ANY, NULL));
}

/* Bad input is refused with a code and the field, and changes nothing. */
static void
bad_input(void)
{
	start();
	allocate_ok(1000000);
	char idn[19], badid[24];
	new_person(idn);
	snprintf(badid, sizeof(badid), "\"%s\"", idn);
	badid[18]                     = badid[18] == '0' ? '1' : '0';
	const struct bad_case cases[] = {
		{ "bad id number", "person.id_number", badid, 422,
		    "invalid_id_number", "person.id_number" },
		{ "no person", "person", NULL, 422, "invalid_id_number",
		    "person.id_number" },
		{ "unknown cause", "cause", "\"flood\"", 422, "invalid_cause",
		    "cause" },
		{ "no description", "description", NULL, 422,
		    "invalid_description", "description" },
		{ "household of 21", "household_size", "21", 422,
		    "invalid_household_size", "household_size" },
		{ "amount as a string", "amount_fen", "\"300\"", 422,
		    "invalid_type", "amount_fen" },
		{ "fractional amount", "amount_fen", "299.5", 422,
		    "invalid_type", "amount_fen" },
		{ "zero amount", "amount_fen", "0", 422, "invalid_amount",
		    "amount_fen" },
		{ "negative amount", "amount_fen", "-1", 422, "invalid_amount",
		    "amount_fen" },
		{ "village elsewhere", "village_code", "\"220103002001\"", 422,
		    "codes_do_not_nest", "village_code" },
		{ "another township", "township_code", "\"220103002\"", 422,
		    "codes_do_not_nest", "village_code" },
		{ "unknown field", "phone", "\"1\"", 422, "unknown_field",
		    "phone" },
		{ "unknown payee field", "payee.iban", "\"x\"", 422,
		    "unknown_field", "payee.iban" },
		{ "short account", "payee.account_number", "\"123\"", 422,
		    "invalid_payee", "payee.account_number" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char   *s = grant_body(idn, "fire", 1000);
		json_t *j = json_loads(s, 0, NULL);
		free(s);
		set_member(j, cases[i].path, cases[i].value);
		s = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		answer a = call("POST", "/grants", officer, new_key(), s);
		free(s);
		expect_error(a, cases[i].status, cases[i].code, cases[i].field,
		    cases[i].what);
		json_decref(a.body);
	}
	/* The other township's officer, and a body that is not JSON. */
	char  *s = grant_body(idn, "fire", 1000);
	answer a = call("POST", "/grants", officer_b, new_key(), s);
	expect_error(a, 403, "outside_jurisdiction", "township_code",
	    "another township's officer");
	json_decref(a.body);
	a = call("POST", "/grants", officer, NULL, s);
	expect_error(a, 400, "idempotency_key_required", NULL, "no key");
	json_decref(a.body);
	free(s);
	a = call("POST", "/grants", officer, new_key(), "{\"amount_fen\": ");
	expect_error(a, 400, "invalid_json", NULL, "broken JSON");
	json_decref(a.body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT (SELECT count(*) FROM %s.grants)"
	        " + (SELECT count(*) FROM %s.ledger)"
	        " + (SELECT count(*) FROM %s.outbox WHERE " TH_DOMAIN_EVENT ")"
	        " + (SELECT count(*) FROM %s.http_idempotency)",
	        schema, schema, schema, schema)
	        == 3,
	    "refused input left rows behind");
	TH_CHECK(&T, balance() == 1000000, "refused input moved money");
}

/* Rows of every table a refused request must leave alone, summed (the
 * outbox's domain events: a refusal's staff.acted record is not). */
static int64_t
rows_everywhere(void)
{
	return th_int(&T,
	    "SELECT (SELECT count(*) FROM %s.grants)"
	    " + (SELECT count(*) FROM %s.ledger)"
	    " + (SELECT count(*) FROM %s.outbox WHERE " TH_DOMAIN_EVENT ")"
	    " + (SELECT count(*) FROM %s.http_idempotency)"
	    " + (SELECT count(*) FROM %s.referral)"
	    " + (SELECT count(*) FROM %s.settlement)",
	    schema, schema, schema, schema, schema, schema);
}

/* A grant body for person idn with member path set to JSON value. */
static char *
grant_body_with(const char *idn, const char *path, const char *value)
{
	char   *s = grant_body(idn, "fire", 1000);
	json_t *j = json_loads(s, 0, NULL);
	free(s);
	set_member(j, path, value);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

struct strict_case {
	const char *what;
	const char *path;   /* request path; "G" stands for a grant's */
	const char *body;   /* NULL: a grant body changed at member */
	const char *member; /* "a.b" */
	const char *value;  /* JSON */
	const char *code;
	const char *field;
};

/*
 * Stricter input (issue 8): on every endpoint with a body, an unknown
 * member (nested too) is 422 unknown_field, null where a string or number
 * is expected is 422 invalid_type, and a control character in a name or
 * free text is 422 invalid_characters; nothing is stored. Free text keeps
 * its line breaks.
 */
static void
strict_input(void)
{
	start();
	allocate_ok(1000000);
	char idn[19], waiting_path[96], referral_path[96];
	new_person(idn);
	char  *gid = grant_ok(idn, "fire", 1000);
	answer w   = grant(idn, "fire", LIMIT + 1, officer, NULL);
	TH_CHECK(&T, w.status == 202, "waiting grant: %d", w.status);
	snprintf(waiting_path, sizeof(waiting_path), "/grants/%s/approval",
	    jstr(w.body, "id"));
	snprintf(
	    referral_path, sizeof(referral_path), "/grants/%s/referrals", gid);
	const char              *alloc   = "/funds/" TOWNSHIP "/allocations";
	const char              *settle  = "/funds/" TOWNSHIP "/settlement";
	const struct strict_case cases[] = {
		{ "allocation: unknown member", alloc,
		    "{\"amount_fen\": 100, \"memo\": \"x\"}", NULL, NULL,
		    "unknown_field", "memo" },
		{ "allocation: null note", alloc,
		    "{\"amount_fen\": 100, \"note\": null}", NULL, NULL,
		    "invalid_type", "note" },
		{ "allocation: U+0001 in the note", alloc,
		    "{\"amount_fen\": 100, \"note\": \"top-up\\u0001\"}", NULL,
		    NULL, "invalid_characters", "note" },
		{ "grant: unknown person member", "/grants", NULL,
		    "person.phone", "\"1\"", "unknown_field", "person.phone" },
		{ "grant: null cause", "/grants", NULL, "cause", "null",
		    "invalid_type", "cause" },
		{ "grant: null name", "/grants", NULL, "person.name", "null",
		    "invalid_type", "person.name" },
		{ "grant: null amount", "/grants", NULL, "amount_fen", "null",
		    "invalid_type", "amount_fen" },
		{ "grant: U+0001 in the name", "/grants", NULL, "person.name",
		    "\"Wang\\u0001Fang\"", "invalid_characters",
		    "person.name" },
		{ "grant: U+0001 in the description", "/grants", NULL,
		    "description", "\"fire\\u0001\"", "invalid_characters",
		    "description" },
		{ "grant: BEL in the account name", "/grants", NULL,
		    "payee.account_name", "\"Wang\\u0007\"",
		    "invalid_characters", "payee.account_name" },
		{ "approval: unknown member", waiting_path,
		    "{\"decision\": \"approve\", \"by\": \"x\"}", NULL, NULL,
		    "unknown_field", "by" },
		{ "approval: null decision", waiting_path,
		    "{\"decision\": null}", NULL, NULL, "invalid_type",
		    "decision" },
		{ "approval: U+0001 in the reason", waiting_path,
		    "{\"decision\": \"reject\", \"reason\": \"no\\u0001\"}",
		    NULL, NULL, "invalid_characters", "reason" },
		{ "referral: unknown member", referral_path,
		    "{\"kind\": \"dibao\", \"extra\": 1}", NULL, NULL,
		    "unknown_field", "extra" },
		{ "referral: null department", referral_path,
		    "{\"kind\": \"medical\", \"department\": null}", NULL,
		    NULL, "invalid_type", "department" },
		{ "referral: U+0001 in the note", referral_path,
		    "{\"kind\": \"dibao\", \"note\": \"a\\u0001b\"}", NULL,
		    NULL, "invalid_characters", "note" },
		{ "referral: U+0001 in the department", referral_path,
		    "{\"kind\": \"medical\", \"department\": "
		    "\"bureau\\u0001\"}",
		    NULL, NULL, "invalid_characters", "department" },
		{ "settlement: unknown member", settle,
		    "{\"year\": 2020, \"month\": 1}", NULL, NULL,
		    "unknown_field", "month" },
		{ "settlement: null year", settle, "{\"year\": null}", NULL,
		    NULL, "invalid_type", "year" },
	};
	int64_t before = rows_everywhere();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = cases[i].path;
		const char *tok  = path == alloc || path == settle ? finance
		     : path == waiting_path                        ? approver
		                                                   : officer;
		char       *body = cases[i].body != NULL
		          ? strdup(cases[i].body)
		          : grant_body_with(idn, cases[i].member, cases[i].value);
		expect_err(call("POST", path, tok, new_key(), body), 422,
		    cases[i].code, cases[i].field, cases[i].what);
		free(body);
	}
	TH_CHECK(&T, rows_everywhere() == before, "refused input left rows");
	TH_CHECK(&T, balance() == 999000, "refused input moved money");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.grants WHERE id = '%s'"
	        " AND status = 'awaiting_approval'",
	        schema, jstr(w.body, "id"))
	        == 1,
	    "a refused decision changed the grant");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.grants WHERE name LIKE '%%' ||"
	        " chr(1) || '%%'",
	        schema)
	        == 0,
	    "a name with U+0001 was stored");

	/* Line breaks and tabs in free text are still free text (another
	 * person: idn's window is full). */
	new_person(idn);
	char  *b = grant_body_with(idn, "description",
	     "\"the house burnt down\\nat night;\\tall lost\"");
	answer a = call("POST", "/grants", officer, new_key(), b);
	TH_CHECK(&T, a.status == 201,
	    "a description with a line break: %d (%s)", a.status,
	    jstr(a.body, "error.code"));
	json_decref(a.body);
	free(b);
	a = call("POST", alloc, finance, new_key(),
	    "{\"amount_fen\": 100, \"note\": \"top-up\\nfor winter\"}");
	TH_CHECK(&T, a.status == 201, "a note with a line break: %d (%s)",
	    a.status, jstr(a.body, "error.code"));
	json_decref(a.body);
	json_decref(w.body);
	free(gid);
}

/* payment.settled marks the grant paid; payment.failed reverses it once,
 * even when the failure comes twice with different event ids, and in a
 * second run of the publisher. */
static void
payment(void)
{
	start();
	allocate_ok(1000000);
	char idn[19];
	new_person(idn);
	char *a = grant_ok(idn, "fire", 100000);
	char *b = grant_ok(idn, "accident", 70000);
	TH_CHECK(&T, balance() == 830000, "balance after two grants");
	char lines[8192] = "";
	settled_line(lines, sizeof(lines), a, "pay-a");
	failed_line(lines, sizeof(lines), b, "pay-b");
	failed_line(lines, sizeof(lines), b, "pay-b");
	settled_line(lines, sizeof(lines), "", "pay-benefit"); /* not ours */
	inject("disbursement", lines);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.grants WHERE id = '%s'"
	        " AND status = 'paid' AND payment_id = 'pay-a'",
	        schema, a)
	        == 1,
	    "the settled grant is not paid");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.grants WHERE id = '%s'"
	        " AND status = 'payment_failed'"
	        " AND failure_code = 'closed_account'",
	        schema, b)
	        == 1,
	    "the failed grant is not marked for follow-up");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.ledger WHERE grant_id = '%s'"
	        " AND movement = 'reversal' AND amount_fen = 70000",
	        schema, b)
	        == 1,
	    "want exactly one reversal");
	TH_CHECK(&T, balance() == 900000, "the reversal did not credit: %lld",
	    (long long) balance());
	ledger_consistent("reversal");
	Sn__Assist__V1__ReserveChanged *m = last_reserve();
	TH_CHECK(&T,
	    m->movement
	            == SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_REVERSAL
	        && m->amount_fen == 70000 && m->balance_fen == 900000
	        && strcmp(m->grant_id, b) == 0,
	    "reserve.changed does not describe the reversal");
	sn__assist__v1__reserve_changed__free_unpacked(m, NULL);
	TH_CHECK(&T, outbox_count("reserve.changed") == 4,
	    "want 4 reserve.changed (allocation, 2 grants, 1 reversal)");

	/* The failure again, from a new run of the publisher. */
	lines[0] = '\0';
	failed_line(lines, sizeof(lines), b, "pay-b");
	failed_line(lines, sizeof(lines), a, "pay-a"); /* paid: left alone */
	inject("disbursement", lines);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.ledger WHERE movement = 'reversal'",
	        schema)
	        == 1,
	    "a repeated failure reversed again");
	TH_CHECK(&T, balance() == 900000, "a repeated failure moved money");

	answer r = call(
	    "GET", "/grants?status=payment_failed", officer, NULL, NULL);
	TH_CHECK(&T,
	    r.status == 200 && json_array_size(jget(r.body, "items")) == 1
	        && strcmp(jstr(r.body, "items.0.id"), b) == 0
	        && strcmp(jstr(r.body, "items.0.payment.failure_code"),
	               "closed_account")
	            == 0,
	    "GET /grants?status=payment_failed: %d", r.status);
	json_decref(r.body);
	r = call("GET", "/grants?status=paid", officer, NULL, NULL);
	TH_CHECK(&T,
	    json_array_size(jget(r.body, "items")) == 1
	        && strcmp(jstr(r.body, "items.0.payment.payment_id"), "pay-a")
	            == 0,
	    "GET /grants?status=paid");
	json_decref(r.body);
	free(a);
	free(b);
}

/* A referral is stored and published as referral.created, filled from
 * the grant; special assistance needs a department; one per kind. */
static void
referral(void)
{
	start();
	allocate_ok(1000000);
	char idn[19];
	new_person(idn);
	char *id = grant_ok(idn, "major_illness", 200000);
	char  path[96];
	snprintf(path, sizeof(path), "/grants/%s/referrals", id);
	answer a = call("POST", path, officer, new_key(),
	    "{\"kind\": \"dibao\", \"note\": \"no income since the "
	    "illness\"}");
	TH_CHECK(&T, a.status == 201, "dibao referral: %d (%s)", a.status,
	    jstr(a.body, "error.code"));
	char *rid = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	uint8_t *d[4];
	size_t   l[4];
	TH_CHECK(&T, outbox_rows("referral.created", id, d, l, 4) == 1,
	    "want one referral.created");
	Sn__Assist__V1__ReferralCreated *m
	    = sn__assist__v1__referral_created__unpack(NULL, l[0], d[0]);
	free(d[0]);
	TH_CHECK(&T, m != NULL, "referral.created does not decode");
	TH_CHECK(&T,
	    strcmp(m->referral_id, rid) == 0 && strcmp(m->grant_id, id) == 0
	        && m->kind
	            == SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO
	        && strcmp(m->id_number, idn) == 0
	        && strcmp(m->name, "Wang Fang") == 0
	        && strcmp(m->district_code, "220103") == 0
	        && strcmp(m->township_code, TOWNSHIP) == 0
	        && strcmp(m->village_code, VILLAGE) == 0
	        && m->household_size == 3 && m->payee != NULL
	        && strcmp(m->payee->bank_code, "ICBC") == 0
	        && strcmp(m->note, "no income since the illness") == 0
	        && strcmp(m->created_by, "officer-1") == 0,
	    "referral.created is not filled from the grant");
	sn__assist__v1__referral_created__free_unpacked(m, NULL);

	expect_err(
	    call("POST", path, officer, new_key(), "{\"kind\": \"medical\"}"),
	    422, "department_required", "department", "medical without dept");
	a = call("POST", path, officer, new_key(),
	    "{\"kind\": \"medical\", \"department\": \"medical insurance "
	    "bureau\"}");
	TH_CHECK(&T, a.status == 201, "medical referral: %d", a.status);
	json_decref(a.body);
	a = call("POST", path, officer, new_key(), "{\"kind\": \"dibao\"}");
	expect_error(a, 409, "referral_exists", "kind", "dibao twice");
	json_decref(a.body);
	expect_err(
	    call("POST", path, officer_b, new_key(), "{\"kind\": \"tekun\"}"),
	    403, "outside_jurisdiction", "id", "another township refers");
	TH_CHECK(&T, outbox_count("referral.created") == 2,
	    "refused referrals were published");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.referral", schema) == 2,
	    "want two referrals stored");
	free(rid);
	free(id);
}

/* The whole chain for one person: grant, payment, referral, the
 * application intake made of it, approval's decision. */
static void
chain(void)
{
	start();
	allocate_ok(1000000);
	char idn[19], other[19];
	new_person(idn);
	new_person(other);
	char *id = grant_ok(idn, "accident", 150000);
	free(grant_ok(other, "fire", 1000));
	char path[128];
	snprintf(path, sizeof(path), "/grants/%s/referrals", id);
	answer a
	    = call("POST", path, officer, new_key(), "{\"kind\": \"dibao\"}");
	TH_CHECK(&T, a.status == 201, "referral: %d", a.status);
	char *rid = strdup(jstr(a.body, "id"));
	json_decref(a.body);

	char lines[8192] = "";
	settled_line(lines, sizeof(lines), id, "pay-1");
	inject("disbursement", lines);

	const char *app = "5b3f3c1e-8d51-4e0b-9a53-2f1f0c0d9e71";
	Sn__Assist__V1__ApplicationSubmitted s
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	s.application_id = (char *) app;
	s.accepted_date  = "2026-02-01";
	s.referral_id    = rid;
	s.taken_in_by    = "clerk-1";
	Sn__Assist__V1__ApplicationSubmitted plain
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	plain.application_id = "0d7c2a55-0000-4000-8000-000000000001";
	lines[0]             = '\0';
	line_of(lines, sizeof(lines), "application.submitted",
	    plain.application_id, &plain.base);
	line_of(lines, sizeof(lines), "application.submitted", app, &s.base);
	inject("intake", lines);

	Sn__Assist__V1__ApplicationDecided dd
	    = SN__ASSIST__V1__APPLICATION_DECIDED__INIT;
	dd.application_id     = (char *) app;
	dd.case_id            = "case-9";
	dd.approved           = 1;
	dd.category           = SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO;
	dd.monthly_amount_fen = 45000;
	dd.effective_month    = "2026-03";
	dd.decided_by         = "township-officer-1";
	lines[0]              = '\0';
	line_of(lines, sizeof(lines), "application.decided", app, &dd.base);
	inject("approval", lines);

	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.referral_application", schema)
	        == 1,
	    "an application without a referral was linked");
	snprintf(path, sizeof(path), "/people/%s/chain", idn);
	a = call("GET", path, officer, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "chain: %d", a.status);
	TH_CHECK(&T, json_array_size(jget(a.body, "grants")) == 1,
	    "the chain has %zu grants",
	    json_array_size(jget(a.body, "grants")));
	TH_CHECK(&T,
	    strcmp(jstr(a.body, "grants.0.grant.id"), id) == 0
	        && strcmp(jstr(a.body, "grants.0.grant.status"), "paid") == 0
	        && strcmp(jstr(a.body, "grants.0.grant.payment.payment_id"),
	               "pay-1")
	            == 0,
	    "the chain's grant or payment is wrong");
	TH_CHECK(&T,
	    strcmp(jstr(a.body, "grants.0.referrals.0.id"), rid) == 0
	        && strcmp(jstr(a.body, "grants.0.referrals.0.kind"), "dibao")
	            == 0,
	    "the chain's referral is wrong");
	TH_CHECK(&T,
	    strcmp(jstr(a.body,
	               "grants.0.referrals.0.applications.0.application_id"),
	        app) == 0
	        && strcmp(
	               jstr(a.body,
	                   "grants.0.referrals.0.applications.0.taken_in_by"),
	               "clerk-1")
	            == 0,
	    "the chain's application is wrong");
	TH_CHECK(&T,
	    json_is_true(jget(a.body,
	        "grants.0.referrals.0.applications.0.decision.approved"))
	        && strcmp(jstr(a.body,
	                      "grants.0.referrals.0.applications.0.decision."
	                      "category"),
	               "dibao")
	            == 0
	        && jint(a.body,
	               "grants.0.referrals.0.applications.0.decision."
	               "monthly_amount_fen")
	            == 45000,
	    "the chain's decision is wrong");
	json_decref(a.body);
	a = call("GET", path, admin, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(jget(a.body, "grants")) == 1,
	    "the district admin does not see the chain");
	json_decref(a.body);
	a = call("GET", path, officer_b, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(jget(a.body, "grants")) == 0,
	    "another township sees the chain");
	json_decref(a.body);
	expect_err(call("GET", path, finance, NULL, NULL), 403, "forbidden",
	    NULL, "finance reads a chain");
	expect_err(call("GET", "/people/123/chain", officer, NULL, NULL), 422,
	    "invalid_id_number", "id_number", "bad id number");
	free(rid);
	free(id);
}

/* Figures by township, cause and month; the year-end settlement's report
 * and its ledger row, once per fund and year. */
static void
figures_settlement(void)
{
	start();
	allocate_ok(1000000);
	char idn[19], p2[19];
	new_person(idn);
	new_person(p2);
	free(grant_ok(idn, "fire", 100000));
	free(grant_ok(idn, "fire", 50000));
	char  *acc = grant_ok(p2, "accident", 20000);
	answer w   = grant(p2, "fire", LIMIT + 5, officer, NULL); /* waits */
	TH_CHECK(&T, w.status == 202, "waiting grant: %d", w.status);
	json_decref(w.body);
	char lines[4096] = "";
	failed_line(lines, sizeof(lines), acc, "pay-x");
	inject("disbursement", lines);

	char month[SN_MONTH_STRLEN], path[96];
	/* The district's month, by the same clock and setting as the
	 * service (SN_DISTRICT_UTC_OFFSET_MIN, default UTC+8). */
	if (sn_clock_setup() != SN_OK)
		th_fail(&T, "the district clock's settings are bad");
	sn_month_format(sn_clock_month(), month);
	int year = sn_clock_today().year;
	snprintf(path, sizeof(path), "/figures?year=%d", year);
	answer a = call("GET", path, admin, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "figures: %d", a.status);
	TH_CHECK(&T,
	    jint(a.body, "person_times") == 3
	        && jint(a.body, "amount_fen") == 170000,
	    "totals %lld person-times, %lld fen", jint(a.body, "person_times"),
	    jint(a.body, "amount_fen"));
	json_t *rows = jget(a.body, "rows");
	TH_CHECK(&T, json_array_size(rows) == 2, "want 2 rows, got %zu",
	    json_array_size(rows));
	/* Ordered by township, cause, month: accident first. */
	TH_CHECK(&T,
	    strcmp(jstr(a.body, "rows.0.cause"), "accident") == 0
	        && jint(a.body, "rows.0.person_times") == 1
	        && jint(a.body, "rows.0.reversed_fen") == 20000
	        && strcmp(jstr(a.body, "rows.0.month"), month) == 0
	        && strcmp(jstr(a.body, "rows.1.cause"), "fire") == 0
	        && jint(a.body, "rows.1.person_times") == 2
	        && jint(a.body, "rows.1.persons") == 1
	        && jint(a.body, "rows.1.amount_fen") == 150000
	        && strcmp(jstr(a.body, "rows.1.township_code"), TOWNSHIP) == 0,
	    "figures rows are wrong");
	json_decref(a.body);
	snprintf(path, sizeof(path), "/figures?year=%d", year - 1);
	a = call("GET", path, admin, NULL, NULL);
	TH_CHECK(&T, a.status == 200 && jint(a.body, "person_times") == 0,
	    "last year has grants");
	json_decref(a.body);

	char body[64];
	snprintf(body, sizeof(body), "{\"year\": %d}", year);
	a = call("POST", "/funds/" TOWNSHIP "/settlement", finance, new_key(),
	    body);
	TH_CHECK(&T, a.status == 201, "settlement: %d (%s)", a.status,
	    jstr(a.body, "error.code"));
	TH_CHECK(&T,
	    jint(a.body, "opening_fen") == 0
	        && jint(a.body, "allocated_fen") == 1000000
	        && jint(a.body, "granted_fen") == 170000
	        && jint(a.body, "reversed_fen") == 20000
	        && jint(a.body, "closing_fen") == 850000
	        && jint(a.body, "balance_fen") == 850000,
	    "settlement report: allocated %lld granted %lld reversed %lld "
	    "closing %lld",
	    jint(a.body, "allocated_fen"), jint(a.body, "granted_fen"),
	    jint(a.body, "reversed_fen"), jint(a.body, "closing_fen"));
	json_decref(a.body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.ledger WHERE movement ="
	        " 'settlement' AND settlement_year = %d AND amount_fen = 0"
	        " AND balance_after_fen = 850000",
	        schema, year)
	        == 1,
	    "no settlement ledger row");
	ledger_consistent("settlement");
	Sn__Assist__V1__ReserveChanged *m = last_reserve();
	TH_CHECK(&T,
	    m->movement
	            == SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_SETTLEMENT
	        && m->balance_fen == 850000,
	    "reserve.changed does not describe the settlement");
	sn__assist__v1__reserve_changed__free_unpacked(m, NULL);
	a = call("POST", "/funds/" TOWNSHIP "/settlement", finance, new_key(),
	    body);
	expect_error(a, 409, "already_settled", "year", "settled twice");
	TH_CHECK(&T, jint(a.body, "error.settlement.closing_fen") == 850000,
	    "the refusal does not carry the report");
	json_decref(a.body);
	snprintf(body, sizeof(body), "{\"year\": %d}", year + 1);
	expect_err(call("POST", "/funds/" TOWNSHIP "/settlement", finance,
	               new_key(), body),
	    422, "invalid_year", "year", "next year");
	snprintf(body, sizeof(body), "{\"year\": %d}", year);
	expect_err(call("POST", "/funds/220103009/settlement", finance,
	               new_key(), body),
	    404, "no_fund", "township", "no fund");
	expect_err(call("POST", "/funds/" TOWNSHIP "/settlement", finance_x,
	               new_key(), body),
	    403, "outside_jurisdiction", "township", "another district");
	free(acc);
}

/*
 * The district's clock, not the server's: with the clock moved to 16:30
 * UTC on 31 December (00:30 on 1 January in the district, UTC+8), the
 * coming year is "this year" and may be settled; the year after is not.
 */
static void
district_clock(void)
{
	time_t    now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	int     y      = tm.tm_year + 1900;
	sn_date dec31  = { .year = y, .month = 12, .day = 31 };
	int64_t target = sn_date_to_days(dec31) * 86400 + 16 * 3600 + 30 * 60;
	char    shift[64], body[64];
	snprintf(shift, sizeof(shift), "SN_CLOCK_OFFSET_S=%lld",
	    (long long) (target - (int64_t) now));
	const char *extra[] = { "SN_TEST_CLOCK=1", shift, NULL };
	start_with(extra);
	allocate_ok(1000000);
	snprintf(body, sizeof(body), "{\"year\": %d}", y + 2);
	expect_err(call("POST", "/funds/" TOWNSHIP "/settlement", finance,
	               new_key(), body),
	    422, "invalid_year", "year", "the year after the district's");
	snprintf(body, sizeof(body), "{\"year\": %d}", y + 1);
	answer a = call("POST", "/funds/" TOWNSHIP "/settlement", finance,
	    new_key(), body);
	TH_CHECK(&T, a.status == 201,
	    "settling the district's year %d: %d (%s)", y + 1, a.status,
	    jstr(a.body, "error.code"));
	TH_CHECK(&T,
	    jint(a.body, "year") == y + 1
	        && jint(a.body, "closing_fen") == 1000000,
	    "settlement report: year %lld closing %lld", jint(a.body, "year"),
	    jint(a.body, "closing_fen"));
	json_decref(a.body);
}

/* End to end with the real intake: a dibao referral becomes a draft
 * application in intake, prefilled from the grant; a medical one does
 * not. */
static void
intake_draft(void)
{
	start();
	static char intake_port[32];
	snprintf(intake_port, sizeof(intake_port), "SN_HTTP_PORT=%d",
	    th_free_port());
	const char *env[]  = { intake_port, NULL };
	const char *argv[] = { SN_INTAKE_BIN, NULL };
	th_spawn(&T, "intake", SN_INTAKE_BIN, argv, env);
	const char *is = th_schema(&T, "intake");
	allocate_ok(1000000);
	char idn[19];
	new_person(idn);
	char *id = grant_ok(idn, "fire", 120000);
	char  path[96];
	snprintf(path, sizeof(path), "/grants/%s/referrals", id);
	answer a = call("POST", path, officer, new_key(),
	    "{\"kind\": \"medical\", \"department\": \"medical insurance\"}");
	TH_CHECK(&T, a.status == 201, "medical referral: %d", a.status);
	json_decref(a.body);
	a = call("POST", path, officer, new_key(), "{\"kind\": \"dibao\"}");
	TH_CHECK(&T, a.status == 201, "dibao referral: %d", a.status);
	char *rid = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.application WHERE referral_id = '%s'"
	        " AND referral_grant_id = '%s'",
	        is, rid, id))
		th_fail(&T, "intake opened no draft for the dibao referral");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.application", is) == 1,
	    "intake opened a draft for the medical referral too");
	free(rid);
	free(id);
}

struct officer_thread {
	int    from, n;
	int    ok, refused, other;
	char   idn[19];
	char **ids;
};

static void *
officer_run(void *arg)
{
	struct officer_thread *o = arg;
	char                   key[64];
	char                  *body = grant_body(o->idn, "disaster", 3000);
	for (int i = 0; i < o->n; i++) {
		snprintf(key, sizeof(key), "race-%d", o->from + i);
		char *raw = NULL;
		int   st  = th_http(
		       &T, port, "POST", "/grants", officer, key, body, &raw);
		json_t *j = raw != NULL ? json_loads(raw, 0, NULL) : NULL;
		free(raw);
		const char *code = json_string_value(jget(j, "error.code"));
		if (st == 201)
			o->ok++;
		else if (st == 409 && code != NULL
		    && strcmp(code, "insufficient_funds") == 0)
			o->refused++;
		else
			o->other++;
		json_decref(j);
	}
	free(body);
	return NULL;
}

/* 500 grants of 3,000 fen at once from 10 clients against 1,000,000 fen:
 * exactly 333 succeed, 167 are refused, the ledger sums to the balance and
 * no balance is ever negative. */
static void
concurrent(void)
{
	enum { THREADS = 10, EACH = 50, AMOUNT = 3000, FUND = 1000000 };
	start();
	allocate_ok(FUND);
	struct officer_thread o[THREADS];
	pthread_t             tid[THREADS];
	memset(o, 0, sizeof(o));
	for (int i = 0; i < THREADS; i++) {
		o[i].from = i * EACH;
		o[i].n    = EACH;
		new_person(o[i].idn);
		pthread_create(&tid[i], NULL, officer_run, &o[i]);
	}
	int ok = 0, refused = 0, other = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		ok += o[i].ok;
		refused += o[i].refused;
		other += o[i].other;
	}
	printf("%d granted, %d refused (insufficient_funds), %d other\n", ok,
	    refused, other);
	TH_CHECK(&T, other == 0, "%d requests answered otherwise", other);
	TH_CHECK(
	    &T, ok == FUND / AMOUNT, "%d granted, want %d", ok, FUND / AMOUNT);
	TH_CHECK(&T, refused == THREADS * EACH - FUND / AMOUNT,
	    "%d refused, want %d", refused, THREADS * EACH - FUND / AMOUNT);
	TH_CHECK(&T, balance() == FUND % AMOUNT, "balance %lld, want %d",
	    (long long) balance(), FUND % AMOUNT);
	ledger_consistent("concurrent");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.ledger WHERE movement = 'grant'",
	        schema)
	            == ok
	        && th_int(&T, "SELECT count(*) FROM %s.grants", schema) == ok
	        && outbox_count("emergency.granted") == ok
	        && outbox_count("reserve.changed") == ok + 1,
	    "rows or events do not match the grants made");
	TH_CHECK(&T,
	    th_int(&T, "SELECT min(balance_after_fen) FROM %s.ledger", schema)
	        == FUND % AMOUNT,
	    "the lowest balance is not the last");
	/* The counters agree once the gauges refresh. */
	char series[128];
	snprintf(series, sizeof(series),
	    "sn_emergency_requests_total{outcome=\"granted\"} %d", ok);
	char *raw = NULL;
	th_http(&T, port, "GET", "/metrics", NULL, NULL, NULL, &raw);
	TH_CHECK(&T, raw != NULL && strstr(raw, series) != NULL,
	    "metrics lack \"%s\"", series);
	free(raw);
	snprintf(series, sizeof(series),
	    "sn_emergency_fund_balance_fen{township=\"%s\"} %d", TOWNSHIP,
	    FUND % AMOUNT);
	uint64_t end  = th_now_ms() + 10000;
	bool     seen = false;
	while (!seen && th_now_ms() < end) {
		raw = NULL;
		th_http(&T, port, "GET", "/metrics", NULL, NULL, NULL, &raw);
		seen = raw != NULL && strstr(raw, series) != NULL;
		free(raw);
		if (!seen)
			th_sleep_ms(50);
	}
	TH_CHECK(&T, seen, "metrics lack \"%s\"", series);
}

/* Moves grant id's request days into the past. */
static void
backdate(const char *id, int days)
{
	TH_CHECK(&T,
	    th_int(&T,
	        "WITH u AS (UPDATE %s.grants SET created_at = now()"
	        " - make_interval(days => %d) WHERE id = '%s' RETURNING 1)"
	        " SELECT count(*) FROM u",
	        schema, days, id)
	        == 1,
	    "grant %s not backdated", id);
}

/*
 * Issue 10, item 6: grants to one person, or to one household, within the
 * rolling window add up against the per-grant limit. Today three grants
 * of 3,000 yuan to one person the same day are all made at once.
 */
static void
window(void)
{
	start();
	allocate_ok(10000000);
	char p[19], q[19], r[19], s[19], t[19], u[19], v[19];
	new_person(p);
	new_person(q);
	new_person(r);
	new_person(s);
	new_person(t);
	new_person(u);
	new_person(v);

	/* One person: the second and third 3,000 yuan wait, saying why. */
	char *g1 = grant_expect(
	    grant_with(p, NULL, LIMIT, NULL), 201, "first 3,000 yuan");
	answer a = grant_with(p, NULL, LIMIT, NULL);
	TH_CHECK(&T,
	    a.status == 202
	        && strcmp(jstr(a.body, "status"), "awaiting_approval") == 0,
	    "second 3,000 yuan the same day: %d %s", a.status,
	    jstr(a.body, "status"));
	TH_CHECK(&T,
	    jint(a.body, "window.sum_fen") == 2 * LIMIT
	        && json_array_size(jget(a.body, "window.grants")) == 1
	        && strcmp(jstr(a.body, "window.grants.0"), g1) == 0,
	    "second grant's window: sum %lld, grants %s",
	    jint(a.body, "window.sum_fen"), jstr(a.body, "window.grants.0"));
	char *g2 = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	a = grant_with(p, NULL, LIMIT, NULL);
	TH_CHECK(&T,
	    a.status == 202 && jint(a.body, "window.sum_fen") == 3 * LIMIT
	        && json_array_size(jget(a.body, "window.grants")) == 2,
	    "third 3,000 yuan: %d, window %lld", a.status,
	    jint(a.body, "window.sum_fen"));
	json_decref(a.body);
	TH_CHECK(&T, balance() == 10000000 - LIMIT,
	    "waiting grants debited the fund");
	TH_CHECK(&T, outbox_count("emergency.granted") == 1,
	    "a waiting grant was published");
	/* The district approves the second: the existing path. */
	char path[96];
	snprintf(path, sizeof(path), "/grants/%s/approval", g2);
	a = call("POST", path, approver, new_key(),
	    "{\"decision\": \"approve\", \"reason\": \"second fire\"}");
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "status"), "granted") == 0,
	    "approving the split grant: %d", a.status);
	json_decref(a.body);

	/* One household: q names r; r's own grant, and s naming q, count
	 * q's. */
	const char *q_members[] = { r, NULL };
	const char *s_members[] = { q, NULL };
	free(grant_expect(grant_with(q, q_members, 200000, NULL), 201,
	    "q's grant naming r"));
	a = grant_with(r, NULL, 150000, NULL);
	TH_CHECK(&T,
	    a.status == 202 && jint(a.body, "window.sum_fen") == 350000,
	    "r, a member of q's household: %d, window %lld", a.status,
	    jint(a.body, "window.sum_fen"));
	json_decref(a.body);
	/* s naming q overlaps q's grant (not r's: r named nobody). */
	a = grant_with(s, s_members, 150000, NULL);
	TH_CHECK(&T,
	    a.status == 202 && jint(a.body, "window.sum_fen") == 350000,
	    "s naming q: %d, window %lld", a.status,
	    jint(a.body, "window.sum_fen"));
	json_decref(a.body);

	/* A rejected grant does not count. */
	free(grant_expect(grant_with(t, NULL, 200000, NULL), 201, "t first"));
	char *tw = grant_expect(
	    grant_with(t, NULL, 200000, NULL), 202, "t second, waiting");
	snprintf(path, sizeof(path), "/grants/%s/approval", tw);
	a = call("POST", path, approver, new_key(),
	    "{\"decision\": \"reject\", \"reason\": \"already helped\"}");
	TH_CHECK(&T, a.status == 200, "rejecting t's second: %d", a.status);
	json_decref(a.body);
	free(grant_expect(grant_with(t, NULL, 100000, NULL), 201,
	    "t third, the rejected one not counted"));

	/* A reversed grant (payment failed, credited back) does not count. */
	char *ug = grant_expect(grant_with(u, NULL, LIMIT, NULL), 201, "u");
	char  lines[1024] = "";
	failed_line(lines, sizeof(lines), ug, "pay-window-u");
	inject("disbursement", lines);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.grants WHERE id = '%s'"
	        " AND status = 'payment_failed'",
	        schema, ug)
	        == 1,
	    "u's grant was not reversed");
	free(grant_expect(grant_with(u, NULL, LIMIT, NULL), 201,
	    "u again after the reversal"));

	/* The window rolls: 29 days back counts, 31 days back does not. */
	char *vg = grant_expect(grant_with(v, NULL, LIMIT, NULL), 201, "v");
	backdate(vg, 29);
	free(grant_expect(
	    grant_with(v, NULL, 100, NULL), 202, "v 29 days later"));
	backdate(vg, 31);
	free(grant_expect(
	    grant_with(v, NULL, 100, NULL), 201, "v 31 days later"));

	/* Each member's id number is checked like the person's. */
	const char *bad[] = { "220103199001011234", NULL };
	expect_err(grant_with(v, bad, 100, NULL), 422, "invalid_id_number",
	    "household_id_numbers", "a bad member id number");
	const char *self[] = { v, NULL };
	expect_err(grant_with(v, self, 100, NULL), 422, "invalid_household",
	    "household_id_numbers", "the person listed as a member");
	ledger_consistent("window");
	free(vg);
	free(ug);
	free(tw);
	free(g2);
	free(g1);
}

struct wracer {
	const char *idn;
	int         n;
	int         status;
};

static void *
wracer_run(void *arg)
{
	struct wracer *o = arg;
	char           key[64];
	snprintf(key, sizeof(key), "window-race-%d-%d", (int) getpid(), o->n);
	char *body = grant_body(o->idn, "disaster", 200000);
	char *raw  = NULL;
	o->status
	    = th_http(&T, port, "POST", "/grants", officer, key, body, &raw);
	free(raw);
	free(body);
	return NULL;
}

/* Ten grants of 2,000 yuan for one person at once: one is made, nine
 * wait (without serialising, several read an empty window). */
static void
window_race(void)
{
	enum { N = 10 };
	start();
	allocate_ok(10000000);
	char idn[19];
	new_person(idn);
	struct wracer o[N];
	pthread_t     tid[N];
	for (int i = 0; i < N; i++) {
		o[i] = (struct wracer) { .idn = idn, .n = i };
		pthread_create(&tid[i], NULL, wracer_run, &o[i]);
	}
	int made = 0, waiting = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(tid[i], NULL);
		made += o[i].status == 201;
		waiting += o[i].status == 202;
	}
	TH_CHECK(&T, made == 1 && waiting == N - 1,
	    "%d made at once and %d waiting, want 1 and %d", made, waiting,
	    N - 1);
	TH_CHECK(&T, balance() == 10000000 - 200000, "balance %lld",
	    (long long) balance());
}

/* Starts (again) the service on port with the test clock at the
 * district's month m's first day, 00:05, and the instalment tick at
 * 200 ms. Returns it. */
static th_proc *
spawn_at(sn_month m)
{
	static char port_env[32], shift[64];
	int64_t     at = sn_date_to_days(sn_month_first(m)) * 86400
	    - (int64_t) SN_CLOCK_DEFAULT_OFFSET_MIN * 60 + 300;
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", port);
	snprintf(shift, sizeof(shift), "SN_CLOCK_OFFSET_S=%lld",
	    (long long) (at - (int64_t) time(NULL)));
	const char *env[]  = { port_env, "SN_EMERGENCY_METRICS_MS=200",
		 "SN_EMERGENCY_INSTALMENT_MS=200", "SN_TEST_CLOCK=1", shift,
		 NULL };
	const char *argv[] = { SN_EMERGENCY_BIN, NULL };
	th_proc    *p = th_spawn(&T, "emergency", SN_EMERGENCY_BIN, argv, env);
	if (!th_wait_ready(&T, port, 30000))
		th_fail(&T, "emergency did not get ready");
	return p;
}

/* The emergency.granted events of grant id, decoded, in order; returns
 * how many (at most 8). */
static int
granted_events(const char *id, Sn__Assist__V1__EmergencyGranted *out[8])
{
	uint8_t *d[8];
	size_t   l[8];
	int      n = outbox_rows("emergency.granted", id, d, l, 8);
	for (int i = 0; i < n; i++) {
		out[i] = sn__assist__v1__emergency_granted__unpack(
		    NULL, l[i], d[i]);
		free(d[i]);
		if (out[i] == NULL)
			th_fail(&T, "emergency.granted does not decode");
	}
	return n;
}

static void
free_events(Sn__Assist__V1__EmergencyGranted *ev[8], int n)
{
	for (int i = 0; i < n; i++)
		sn__assist__v1__emergency_granted__free_unpacked(ev[i], NULL);
}

/* Instalment k of grant id: its event is the k-th, for the monthly
 * amount, with the schedule's size and the whole. */
static void
expect_instalment(const char *id, int k, long long monthly, int n)
{
	Sn__Assist__V1__EmergencyGranted *ev[8];
	int                               got = granted_events(id, ev);
	TH_CHECK(&T, got == k, "%d emergency.granted for the grant, want %d",
	    got, k);
	if (got >= k)
		TH_CHECK(&T,
		    ev[k - 1]->instalment == k && ev[k - 1]->instalments == n
		        && ev[k - 1]->amount_fen == monthly
		        && ev[k - 1]->total_fen == monthly * n,
		    "instalment %d's event: %d of %d, %lld of %lld", k,
		    ev[k - 1]->instalment, ev[k - 1]->instalments,
		    (long long) ev[k - 1]->amount_fen,
		    (long long) ev[k - 1]->total_fen);
	free_events(ev, got);
}

static void
instalment_line(char *buf, size_t cap, bool ok, const char *grant_id, int k,
    const char *pid)
{
	Sn__Pay__V1__PaymentRef ref = SN__PAY__V1__PAYMENT_REF__INIT;
	ref.grant_id                = (char *) grant_id;
	ref.instalment              = k;
	if (ok) {
		Sn__Pay__V1__PaymentSettled m
		    = SN__PAY__V1__PAYMENT_SETTLED__INIT;
		m.payment_id    = (char *) pid;
		m.end_to_end_id = (char *) pid;
		m.fund          = SN__PAY__V1__FUND__FUND_EMERGENCY;
		m.ref           = &ref;
		m.settled_at    = "2026-01-02T03:04:05Z";
		line_of(buf, cap, "payment.settled", pid, &m.base);
		return;
	}
	Sn__Pay__V1__PaymentFailed m = SN__PAY__V1__PAYMENT_FAILED__INIT;
	m.payment_id                 = (char *) pid;
	m.end_to_end_id              = (char *) pid;
	m.fund                       = SN__PAY__V1__FUND__FUND_EMERGENCY;
	m.ref                        = &ref;
	m.reason_code                = "closed_account";
	m.reason                     = "the account is closed";
	line_of(buf, cap, "payment.failed", pid, &m.base);
}

/* Kills the service with SIGKILL and starts it in month m. */
static th_proc *
kill_and_move(th_proc *p, sn_month m)
{
	th_kill(&T, p, SIGKILL);
	return spawn_at(m);
}

/* The grant's schedule as GET /grants/{id} shows it. */
static json_t *
schedule_of(const char *id)
{
	char path[96];
	snprintf(path, sizeof(path), "/grants/%s", id);
	answer a = call("GET", path, officer, NULL, NULL);
	TH_CHECK(&T, a.status == 200, "GET %s: %d", path, a.status);
	return a.body;
}

/* Transitional aid's input: instalments 2..max, the monthly amount, the
 * whole amount consistent. */
static void
transitional_input(void)
{
	char p[19];
	new_person(p);
	expect_err(grant_with(p, NULL, 0,
	               "\"kind\": \"transitional\", \"instalments\": 7,"
	               " \"monthly_amount_fen\": 1000"),
	    422, "invalid_instalments", "instalments", "7 instalments");
	expect_err(grant_with(p, NULL, 0,
	               "\"kind\": \"transitional\", \"instalments\": 1,"
	               " \"monthly_amount_fen\": 1000"),
	    422, "invalid_instalments", "instalments", "1 instalment");
	expect_err(grant_with(p, NULL, 5000,
	               "\"kind\": \"transitional\", \"instalments\": 2,"
	               " \"monthly_amount_fen\": 1000"),
	    422, "invalid_amount", "amount_fen", "amount not n x monthly");
	expect_err(grant_with(p, NULL, 0, "\"kind\": \"transitional\""), 422,
	    "invalid_instalments", "instalments", "no instalments");
	expect_err(grant_with(p, NULL, 1000, "\"instalments\": 2"), 422,
	    "invalid_instalments", "instalments", "single with instalments");
	expect_err(grant_with(p, NULL, 1000, "\"kind\": \"monthly\""), 422,
	    "invalid_kind", "kind", "unknown kind");
}

/*
 * Issue 10, item 6: transitional aid (过渡性生活救助). The whole is
 * debited at the grant and counts in the window; emergency.granted goes
 * out once per instalment: the first at the grant, the next on the first
 * district day of each following month (the tick, idempotent across
 * SIGKILLs); a failed instalment is credited back alone; GET
 * /grants/{id} shows the schedule. Three months on the test clock.
 */
static void
transitional(void)
{
	th_publisher(&T, "emergency");
	th_publisher(&T, "disbursement");
	th_publisher(&T, "intake");
	th_publisher(&T, "approval");
	port         = th_free_port();
	sn_month m   = sn_clock_month();
	m            = (sn_month) { .year = m.year + 1, .month = 3 };
	th_proc *svc = spawn_at(m);
	schema       = th_schema(&T, "emergency");
	officer      = token("officer-1", "emergency_officer", TOWNSHIP);
	finance      = token("fin-1", "finance", "220103");
	approver     = token("dist-1", "district_officer", "220103");
	allocate_ok(10000000);
	transitional_input();

	char p[19], q[19];
	new_person(p);
	new_person(q);
	answer a = grant_with(p, NULL, 0,
	    "\"kind\": \"transitional\", \"instalments\": 3,"
	    " \"monthly_amount_fen\": 80000");
	TH_CHECK(&T,
	    a.status == 201 && jint(a.body, "amount_fen") == 240000
	        && jint(a.body, "balance_fen") == 10000000 - 240000
	        && strcmp(jstr(a.body, "kind"), "transitional") == 0,
	    "transitional grant: %d (%s) amount %lld", a.status,
	    jstr(a.body, "error.code"), jint(a.body, "amount_fen"));
	char months[3][SN_MONTH_STRLEN];
	for (int i = 0; i < 3; i++)
		sn_month_format(sn_month_add(m, i), months[i]);
	TH_CHECK(&T,
	    json_array_size(jget(a.body, "schedule")) == 3
	        && strcmp(jstr(a.body, "schedule.0.month"), months[0]) == 0
	        && strcmp(jstr(a.body, "schedule.2.month"), months[2]) == 0
	        && strcmp(jstr(a.body, "schedule.0.status"), "published") == 0
	        && strcmp(jstr(a.body, "schedule.1.status"), "scheduled") == 0
	        && jint(a.body, "schedule.1.amount_fen") == 80000,
	    "the schedule: %zu instalments, first %s %s",
	    json_array_size(jget(a.body, "schedule")),
	    jstr(a.body, "schedule.0.month"),
	    jstr(a.body, "schedule.0.status"));
	char *id = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	TH_CHECK(&T, balance() == 10000000 - 240000, "the whole not debited");
	Sn__Assist__V1__ReserveChanged *rc = last_reserve();
	TH_CHECK(&T, rc->amount_fen == -240000, "reserve.changed %lld",
	    (long long) rc->amount_fen);
	sn__assist__v1__reserve_changed__free_unpacked(rc, NULL);
	expect_instalment(id, 1, 80000, 3);
	/* The whole counts in the window: 80,000 more for p waits. */
	free(grant_expect(grant_with(p, NULL, 80000, NULL), 202,
	    "p within the limit, the window full"));
	th_sleep_ms(800); /* ticks in the same month publish nothing */
	expect_instalment(id, 1, 80000, 3);

	/* Month 2: instalment 2, once, across a SIGKILL. */
	svc = kill_and_move(svc, sn_month_add(m, 1));
	if (!th_wait_int(&T, 2, 10000,
	        "SELECT count(*) FROM %s.outbox WHERE topic ="
	        " 'emergency.granted' AND subject = '%s'",
	        schema, id))
		th_fail(&T, "instalment 2 was not published in month 2");
	svc = kill_and_move(svc, sn_month_add(m, 1));
	th_sleep_ms(800);
	expect_instalment(id, 2, 80000, 3);
	char lines[2048] = "";
	instalment_line(lines, sizeof(lines), true, id, 1, "pay-t-1");
	instalment_line(lines, sizeof(lines), false, id, 2, "pay-t-2");
	instalment_line(lines, sizeof(lines), false, id, 2, "pay-t-2b");
	inject("disbursement", lines);
	TH_CHECK(&T, balance() == 10000000 - 240000 + 80000,
	    "instalment 2's failure credited back %lld",
	    (long long) (balance() - (10000000 - 240000)));
	ledger_consistent("an instalment reversed");

	/* Month 3: instalment 3; the schedule says what happened. */
	svc = kill_and_move(svc, sn_month_add(m, 2));
	if (!th_wait_int(&T, 3, 10000,
	        "SELECT count(*) FROM %s.outbox WHERE topic ="
	        " 'emergency.granted' AND subject = '%s'",
	        schema, id))
		th_fail(&T, "instalment 3 was not published in month 3");
	expect_instalment(id, 3, 80000, 3);
	json_t *g = schedule_of(id);
	TH_CHECK(&T,
	    strcmp(jstr(g, "schedule.0.status"), "paid") == 0
	        && strcmp(jstr(g, "schedule.1.status"), "failed") == 0
	        && strcmp(jstr(g, "schedule.2.status"), "published") == 0
	        && strcmp(jstr(g, "schedule.2.month"), months[2]) == 0
	        && jint(g, "reversed_fen") == 80000
	        && strcmp(jstr(g, "status"), "granted") == 0,
	    "the schedule after three months: %s %s %s, reversed %lld",
	    jstr(g, "schedule.0.status"), jstr(g, "schedule.1.status"),
	    jstr(g, "schedule.2.status"), jint(g, "reversed_fen"));
	json_decref(g);

	/* Above the limit: waits; the approval debits the whole and
	 * publishes instalment 1 in the month of the approval. */
	a = grant_with(q, NULL, 0,
	    "\"kind\": \"transitional\", \"instalments\": 6,"
	    " \"monthly_amount_fen\": 60000");
	TH_CHECK(&T, a.status == 202 && jint(a.body, "amount_fen") == 360000,
	    "transitional above the limit: %d", a.status);
	char *qid = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	char path[96];
	snprintf(path, sizeof(path), "/grants/%s/approval", qid);
	a = call("POST", path, approver, new_key(),
	    "{\"decision\": \"approve\", \"reason\": \"house lost\"}");
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(jget(a.body, "schedule")) == 6
	        && strcmp(jstr(a.body, "schedule.0.month"), months[2]) == 0
	        && strlen(jstr(a.body, "ledger_entry_id")) == 36,
	    "approved transitional aid: %d, schedule of %zu from %s", a.status,
	    json_array_size(jget(a.body, "schedule")),
	    jstr(a.body, "schedule.0.month"));
	json_decref(a.body);
	expect_instalment(qid, 1, 60000, 6);
	ledger_consistent("transitional");
	th_kill(&T, svc, SIGKILL);
	free(qid);
	free(id);
}

/* Follows a list's pages of limit from path (a query string started or
 * not); returns how many items in all and checks every page but the last
 * is full and only the last has next null. */
static size_t
walk(const char *path, const char *tok, int limit, int *pages)
{
	char   url[512];
	char  *next  = NULL;
	size_t total = 0;
	*pages       = 0;
	for (;;) {
		snprintf(url, sizeof(url), "%s%slimit=%d%s%s", path,
		    strchr(path, '?') ? "&" : "?", limit,
		    next ? "&cursor=" : "", next ? next : "");
		free(next);
		next     = NULL;
		answer a = call("GET", url, tok, NULL, NULL);
		TH_CHECK(&T,
		    a.status == 200 && json_is_array(jget(a.body, "items")),
		    "GET %s: %d", url, a.status);
		size_t n = json_array_size(jget(a.body, "items"));
		total += n;
		(*pages)++;
		json_t *nx = jget(a.body, "next");
		TH_CHECK(&T, nx != NULL, "GET %s: no next member", url);
		if (json_is_string(nx)) {
			TH_CHECK(&T, n == (size_t) limit,
			    "GET %s: a page of %zu before the last", url, n);
			next = strdup(json_string_value(nx));
		}
		json_decref(a.body);
		if (next == NULL || *pages > 50)
			break;
	}
	free(next);
	return total;
}

/*
 * Issue 10, item 9: every emergency list pages with limit (default 100,
 * 1..1000) and cursor, answering {items, next}; nothing is cut silently.
 * Today GET /grants takes a limit of its own and answers {grants,
 * truncated}; GET /funds answers {funds}.
 */
static void
paging(void)
{
	start();
	allocate_ok(10000000);
	answer a = allocate("220103002", 5000, finance);
	json_decref(a.body);
	char ids[5][19];
	for (int i = 0; i < 5; i++) {
		new_person(ids[i]);
		char *g = grant_ok(ids[i], "fire", 1000 + i);
		char  path[96];
		snprintf(path, sizeof(path), "/grants/%s/referrals", g);
		if (i < 3) {
			a = call("POST", path, officer, new_key(),
			    "{\"kind\": \"dibao\"}");
			TH_CHECK(
			    &T, a.status == 201, "referral: %d", a.status);
			json_decref(a.body);
		}
		free(g);
	}
	int pages;
	TH_CHECK(&T, walk("/grants", officer, 2, &pages) == 5 && pages == 3,
	    "5 grants in pages of 2: %d pages", pages);
	TH_CHECK(&T,
	    walk("/grants?status=granted", officer, 5, &pages) == 5
	        && pages == 1,
	    "5 grants in a page of 5: %d pages (no empty last page)", pages);
	TH_CHECK(&T, walk("/funds", admin, 1, &pages) == 2 && pages == 2,
	    "2 funds in pages of 1: %d pages", pages);
	TH_CHECK(&T,
	    walk("/funds/" TOWNSHIP "/ledger", officer, 4, &pages) == 6
	        && pages == 2,
	    "6 ledger rows in pages of 4: %d pages", pages);
	TH_CHECK(&T, walk("/referrals", officer, 2, &pages) == 3 && pages == 2,
	    "3 referrals in pages of 2: %d pages", pages);
	a = call("GET", "/grants", officer, NULL, NULL);
	TH_CHECK(&T,
	    json_array_size(jget(a.body, "items")) == 5
	        && json_is_null(jget(a.body, "next"))
	        && jint(a.body, "items.0.amount_fen") == 1000,
	    "the default page: oldest first, all 5, next null");
	json_decref(a.body);
	expect_err(call("GET", "/grants?limit=0", officer, NULL, NULL), 422,
	    "invalid_query", "limit", "limit 0");
	expect_err(call("GET", "/grants?limit=1001", officer, NULL, NULL), 422,
	    "invalid_query", "limit", "limit 1001");
	expect_err(call("GET", "/funds?cursor=junk", admin, NULL, NULL), 422,
	    "invalid_query", "cursor", "a junk cursor");
	expect_err(call("GET", "/funds/220103002/ledger", officer, NULL, NULL),
	    403, "outside_jurisdiction", "township",
	    "another township's ledger");
}

/* Grant id's row in the database sealed: "sn1." text and no clear value
 * (none of the values anywhere in the row's text), each of its people
 * with an index and no clear id number. */
static void
expect_sealed_row(const char *id, const char *const *values, int people)
{
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.grants WHERE id = '%s'"
	        " AND id_number IS NULL AND account_number IS NULL"
	        " AND household_id_numbers IS NULL"
	        " AND id_number_sealed LIKE 'sn1.%%'"
	        " AND account_number_sealed LIKE 'sn1.%%'"
	        " AND household_sealed LIKE 'sn1.%%'"
	        " AND id_number_index ~ '^[0-9a-f]{64}$'",
	        schema, id)
	        == 1,
	    "grant %s is not sealed in the database", id);
	for (size_t i = 0; values[i] != NULL; i++)
		TH_CHECK(&T,
		    th_int(&T,
		        "SELECT count(*) FROM %s.grants g WHERE g.id = '%s'"
		        " AND strpos(g::text, '%s') > 0",
		        schema, id, values[i])
		        == 0,
		    "grant %s's row holds value %d in clear", id, (int) i);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.grant_person WHERE grant_id = '%s'"
	        " AND id_number IS NULL AND person_index ~ '^[0-9a-f]{64}$'",
	        schema, id)
	        == people,
	    "grant %s: its %d people are not indexed", id, people);
}

/* Grant id as the API answers it: the clear values. */
static void
expect_opened(
    const char *id, const char *idn, const char *member, const char *account)
{
	char path[96];
	snprintf(path, sizeof(path), "/grants/%s", id);
	answer a = call("GET", path, officer, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && strcmp(jstr(a.body, "person.id_number"), idn) == 0
	        && strcmp(jstr(a.body, "payee.account_number"), account) == 0
	        && json_array_size(jget(a.body, "household_id_numbers")) == 1
	        && strcmp(jstr(a.body, "household_id_numbers.0"), member) == 0,
	    "GET %s: %d, the values are not answered opened (%s)", path,
	    a.status, jstr(a.body, "person.id_number"));
	json_decref(a.body);
	snprintf(path, sizeof(path), "/people/%s/chain", idn);
	a = call("GET", path, officer, NULL, NULL);
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(jget(a.body, "grants")) == 1
	        && strcmp(jstr(a.body, "grants.0.grant.id"), id) == 0
	        && strcmp(jstr(a.body, "grants.0.grant.person.id_number"), idn)
	            == 0,
	    "the chain of the person, looked up by index, lacks grant %s (%d)",
	    id, a.status);
	json_decref(a.body);
}

/*
 * Issue 11, item 5: identity and account numbers sealed at rest. A grant
 * is stored sealed (its row holds "sn1." text and no clear value) and
 * answered in clear; the chain finds the person through the blind index.
 * A grant an older version wrote in clear (and its people, as migration
 * 003 copies them) is sealed at the next start, answered in clear, found
 * by its person, and counts in the window of a member of its household.
 */
static void
sealed(void)
{
	const char *acct     = "6222020200112233445",
	           *old_acct = "6217000077778888";
	char p[19], m[19], q[19], n[19];
	new_person(p);
	new_person(m);
	new_person(q);
	new_person(n);
	th_proc *proc = start_with(NULL);
	allocate_ok(10000000);
	const char *members[] = { m, NULL };
	char       *g1 = grant_expect(grant_with(p, members, 1000, NULL), 201,
	          "a grant with a household");
	const char *v1[] = { p, m, acct, NULL };
	expect_sealed_row(g1, v1, 2);
	expect_opened(g1, p, m, acct);
	answer a = call("GET", "/grants", officer, NULL, NULL);
	TH_CHECK(&T,
	    strcmp(jstr(a.body, "items.0.person.id_number"), p) == 0
	        && strcmp(jstr(a.body, "items.0.payee.account_number"), acct)
	            == 0,
	    "GET /grants does not answer the values opened");
	json_decref(a.body);

	th_stop(&T, proc);
	char *g0 = th_text(&T,
	    "WITH g AS (INSERT INTO %s.grants (status, township_code,"
	    " village_code, id_number, name, cause, description,"
	    " household_size, amount_fen, bank_code, account_number,"
	    " account_name, granted_by, granted_at, household_id_numbers)"
	    " VALUES ('granted', '" TOWNSHIP "', '" VILLAGE
	    "', '%s', 'Li Lei',"
	    " 'fire', 'an older version''s grant', 2, 1000, 'ICBC', '%s',"
	    " 'Li Lei', 'officer-1', now(), ARRAY['%s']) RETURNING id),"
	    " p AS (INSERT INTO %s.grant_person (grant_id, id_number)"
	    " SELECT g.id, x FROM g, unnest(ARRAY['%s', '%s']) AS x)"
	    " SELECT id::text FROM g",
	    schema, q, old_acct, n, schema, q, n);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.grants WHERE"
	        " id_number IS NOT NULL",
	        schema)
	        == 1,
	    "the clear row was not written");
	done(); /* the tokens, made again */
	start();
	const char *v0[] = { q, n, old_acct, NULL };
	expect_sealed_row(g0, v0, 2);
	expect_opened(g0, q, n, old_acct);
	/* The member of the old grant's household: 3,000 yuan on top of it
	 * exceed the limit within the window, found by the index. */
	a = grant_with(n, NULL, LIMIT, NULL);
	TH_CHECK(&T,
	    a.status == 202
	        && json_array_size(jget(a.body, "window.grants")) == 1
	        && strcmp(jstr(a.body, "window.grants.0"), g0) == 0,
	    "a grant to the old grant's member: %d, window %s", a.status,
	    jstr(a.body, "window.grants.0"));
	json_decref(a.body);
	free(g0);
	free(g1);
}

/* ---- group commit (issue 15) -------------------------------------------- */

/* One grant request sent from a thread of its own. */
struct gcall {
	const char *key;
	char       *body;
	int         status;
	json_t     *j;
	pthread_t   tid;
};

static void *
gcall_run(void *arg)
{
	struct gcall *g   = arg;
	char         *raw = NULL;
	g->status         = th_http(
	            &T, port, "POST", "/grants", officer, g->key, g->body, &raw);
	g->j = raw != NULL && raw[0] != '\0' ? json_loads(raw, 0, NULL) : NULL;
	free(raw);
	return NULL;
}

static void
gcall_start(
    struct gcall *g, const char *key, const char *idn, long long amount)
{
	memset(g, 0, sizeof(*g));
	g->key  = key;
	g->body = grant_body(idn, "disaster", amount);
	pthread_create(&g->tid, NULL, gcall_run, g);
}

static void
gcall_join(struct gcall *g)
{
	pthread_join(g->tid, NULL);
	free(g->body);
	g->body = NULL;
}

/* Waits (30 s at most) until the gauge series reads want. */
static void
wait_gauge(const char *series, int64_t want)
{
	uint64_t end = th_now_ms() + 30000;
	int64_t  v   = -1;
	while (th_now_ms() < end) {
		if ((v = th_metric_http(&T, port, series)) == want)
			return;
		th_sleep_ms(20);
	}
	th_fail(&T, "%s stayed %lld, want %lld", series, (long long) v,
	    (long long) want);
}

/* A connection of the test's own holding the fund's row lock: every
 * debit of the fund waits until hold_release. */
static PGconn *
hold_fund(void)
{
	PGconn   *c = PQconnectdb(getenv("SN_TEST_DB_URL"));
	char      sql[256];
	PGresult *r;
	if (PQstatus(c) != CONNECTION_OK)
		th_fail(&T, "cannot connect: %s", PQerrorMessage(c));
	snprintf(sql, sizeof(sql),
	    "BEGIN; SELECT 1 FROM %s.fund WHERE township_code = '%s'"
	    " FOR UPDATE",
	    schema, TOWNSHIP);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		th_fail(&T, "cannot lock the fund: %s", PQerrorMessage(c));
	PQclear(r);
	return c;
}

static void
hold_release(PGconn *c)
{
	PQclear(PQexec(c, "COMMIT"));
	PQfinish(c);
}

/*
 * Grants to one fund that arrive while its transaction is open share the
 * next one, each in its savepoint. The test holds the fund's row so that
 * grant A's transaction stays open, queues B..G behind it (waiting for
 * the gauge to count each, so that their order is known), and lets go:
 * B..G are one group. C asks more than is left after A and B and is
 * refused alone (its key stays free); D commits after it; E repeats D's
 * key and body inside the same group and G repeats A's across groups:
 * both replay, granted once. Two transactions in all.
 */
static void
group_savepoints(void)
{
	enum { FUND = 100000 };
	char pa[19], pb[19], pc[19], pd[19];
	start();
	allocate_ok(FUND);
	new_person(pa);
	new_person(pb);
	new_person(pc);
	new_person(pd);
	char ka[64], kb[64], kc[64], kd[64];
	snprintf(ka, sizeof(ka), "group-a-%d", (int) getpid());
	snprintf(kb, sizeof(kb), "group-b-%d", (int) getpid());
	snprintf(kc, sizeof(kc), "group-c-%d", (int) getpid());
	snprintf(kd, sizeof(kd), "group-d-%d", (int) getpid());
	PGconn      *hold = hold_fund();
	struct gcall a, b, c, d, e, g;
	gcall_start(&a, ka, pa, 20000);
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM pg_stat_activity"
	        " WHERE %d = ANY(pg_blocking_pids(pid))",
	        PQbackendPID(hold)),
	    "grant A did not come to wait for the fund");
	gcall_start(&b, kb, pb, 30000);
	wait_gauge("sn_emergency_group_waiting", 1);
	gcall_start(&c, kc, pc, 60000);
	wait_gauge("sn_emergency_group_waiting", 2);
	gcall_start(&d, kd, pd, 40000);
	wait_gauge("sn_emergency_group_waiting", 3);
	gcall_start(&e, kd, pd, 40000);
	wait_gauge("sn_emergency_group_waiting", 4);
	gcall_start(&g, ka, pa, 20000);
	wait_gauge("sn_emergency_group_waiting", 5);
	hold_release(hold);
	gcall_join(&a);
	gcall_join(&b);
	gcall_join(&c);
	gcall_join(&d);
	gcall_join(&e);
	gcall_join(&g);
	TH_CHECK(&T, a.status == 201 && b.status == 201 && d.status == 201,
	    "A %d, B %d, D %d: want 201 each", a.status, b.status, d.status);
	TH_CHECK(&T,
	    c.status == 409
	        && strcmp(jstr(c.j, "error.code"), "insufficient_funds") == 0
	        && jint(c.j, "error.balance_fen") == FUND - 50000,
	    "C: %d %s, balance %lld", c.status, jstr(c.j, "error.code"),
	    jint(c.j, "error.balance_fen"));
	TH_CHECK(&T,
	    e.status == 201 && strcmp(jstr(e.j, "id"), jstr(d.j, "id")) == 0,
	    "E (D's key, same group): %d, id %s against %s", e.status,
	    jstr(e.j, "id"), jstr(d.j, "id"));
	TH_CHECK(&T,
	    g.status == 201 && strcmp(jstr(g.j, "id"), jstr(a.j, "id")) == 0,
	    "G (A's key, next group): %d, id %s against %s", g.status,
	    jstr(g.j, "id"), jstr(a.j, "id"));
	/* A alone, then B..G together. */
	wait_gauge("sn_emergency_group_commits", 2);
	wait_gauge("sn_emergency_group_grants", 6);
	TH_CHECK(&T, balance() == FUND - 90000, "balance %lld, want %d",
	    (long long) balance(), FUND - 90000);
	ledger_consistent("group");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.grants", schema) == 3
	        && th_int(&T,
	               "SELECT count(*) FROM %s.ledger WHERE movement ="
	               " 'grant'",
	               schema)
	            == 3
	        && outbox_count("emergency.granted") == 3
	        && outbox_count("reserve.changed") == 4,
	    "rows or events do not match the three grants made");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.http_idempotency WHERE key = '%s'",
	        schema, kc)
	        == 0,
	    "the refused grant's key was kept");
	/* Its key is free: topped up, the same request goes through. */
	allocate_ok(60000);
	answer r = grant(pc, "disaster", 60000, officer, kc);
	TH_CHECK(&T, r.status == 201, "C again after a top-up: %d (%s)",
	    r.status, jstr(r.body, "error.code"));
	json_decref(r.body);
	ledger_consistent("group, after C");
	json_decref(a.j);
	json_decref(b.j);
	json_decref(c.j);
	json_decref(d.j);
	json_decref(e.j);
	json_decref(g.j);
}

/* Holds the fund, sends a grant of key k (the group's first, alone) and
 * waits until it waits for the fund: what is sent next queues behind it,
 * in the order sent (queued: each waits for the gauge to count it). */
static PGconn *
hold_first(struct gcall *first, const char *k, const char *idn, long long amt)
{
	PGconn *hold = hold_fund();
	gcall_start(first, k, idn, amt);
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM pg_stat_activity"
	        " WHERE %d = ANY(pg_blocking_pids(pid))",
	        PQbackendPID(hold)),
	    "the first grant did not come to wait for the fund");
	return hold;
}

static void
queued(struct gcall *g, const char *k, const char *idn, long long amt,
    int64_t waiting)
{
	gcall_start(g, k, idn, amt);
	wait_gauge("sn_emergency_group_waiting", waiting);
}

/*
 * The single grants of a group whose people overlap no other's are made
 * in one statement (the group's batch). B..E queue behind A and go
 * through together, each with its own grant, ledger row and the balance
 * after it, in the order they came. Then F and G (B's key and body again)
 * queue behind H: G's key is claimed already, so the batch is undone and
 * both go one by one (G replays B's grant). Then C2 (C again, taking C's
 * window over the limit) and J queue behind K: the batch writes nothing
 * for a full window, and C2 waits for approval while J is granted.
 */
static void
group_batch(void)
{
	enum { FUND = 1000000 };
	static const long long amt[] = { 10000, 11000, 12000, 13000, 14000 };
	char                   p[8][19], k[8][64];
	struct gcall           c[5], f, g, h, c2, j, kk;
	start();
	allocate_ok(FUND);
	for (int i = 0; i < 8; i++) {
		new_person(p[i]);
		snprintf(k[i], sizeof(k[i]), "batch-%d-%d", i, (int) getpid());
	}
	PGconn *hold = hold_first(&c[0], k[0], p[0], amt[0]);
	for (int i = 1; i < 5; i++)
		queued(&c[i], k[i], p[i], amt[i], i);
	hold_release(hold);
	long long left = FUND;
	for (int i = 0; i < 5; i++) {
		gcall_join(&c[i]);
		left -= amt[i];
		TH_CHECK(&T,
		    c[i].status == 201 && jint(c[i].j, "balance_fen") == left
		        && jint(c[i].j, "amount_fen") == amt[i],
		    "grant %d: %d, balance %lld (want %lld), amount %lld", i,
		    c[i].status, jint(c[i].j, "balance_fen"), left,
		    jint(c[i].j, "amount_fen"));
		TH_CHECK(&T,
		    th_int(&T,
		        "SELECT count(*) FROM %s.ledger l JOIN %s.grants g"
		        " ON g.id = l.grant_id WHERE g.id = '%s'"
		        " AND l.id = '%s' AND l.balance_after_fen = %lld",
		        schema, schema, jstr(c[i].j, "id"),
		        jstr(c[i].j, "ledger_entry_id"), left)
		        == 1,
		    "grant %d's ledger row is not the one answered", i);
	}
	wait_gauge("sn_emergency_group_commits", 2);
	wait_gauge("sn_emergency_group_grants", 5);
	wait_gauge("sn_emergency_group_batched", 4);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.http_idempotency WHERE status = 201"
	        " AND key LIKE 'batch-%%-%d'",
	        schema, (int) getpid())
	        == 5,
	    "the batch's answers were not stored for their keys");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(DISTINCT grant_id) FROM %s.grant_person",
	        schema)
	        == 5,
	    "each grant's people were not written");
	ledger_consistent("batch");

	/* A key claimed already undoes the batch: one by one. */
	hold = hold_first(&h, k[5], p[5], 5000);
	queued(&f, k[6], p[6], 6000, 1);
	queued(&g, k[1], p[1], amt[1], 2);
	hold_release(hold);
	gcall_join(&h);
	gcall_join(&f);
	gcall_join(&g);
	TH_CHECK(&T, h.status == 201 && f.status == 201,
	    "H %d, F %d: want 201", h.status, f.status);
	TH_CHECK(&T,
	    g.status == 201
	        && strcmp(jstr(g.j, "id"), jstr(c[1].j, "id")) == 0,
	    "G (B's key): %d, id %s against %s", g.status, jstr(g.j, "id"),
	    jstr(c[1].j, "id"));
	wait_gauge("sn_emergency_group_grants", 8);
	TH_CHECK(&T,
	    th_metric_http(&T, port, "sn_emergency_group_batched") == 4,
	    "a batch with a key claimed already was kept");

	/* A window full: the batch writes nothing; C2 waits, J goes. */
	hold = hold_first(&kk, k[7], p[7], 7000);
	queued(&c2, "batch-c2", p[2], LIMIT - 5000, 1);
	queued(&j, "batch-j", p[3] /* D's: overlaps no one here */, 8000, 2);
	hold_release(hold);
	gcall_join(&kk);
	gcall_join(&c2);
	gcall_join(&j);
	TH_CHECK(&T, kk.status == 201 && j.status == 201 && c2.status == 202,
	    "K %d, J %d: want 201; C2 %d: want 202", kk.status, j.status,
	    c2.status);
	wait_gauge("sn_emergency_group_grants", 11);
	TH_CHECK(&T,
	    th_metric_http(&T, port, "sn_emergency_group_batched") == 4,
	    "a batch with a window full was kept");
	left -= 5000 + 6000 + 7000 + 8000;
	TH_CHECK(&T, balance() == left, "balance %lld, want %lld",
	    (long long) balance(), left);
	TH_CHECK(&T,
	    outbox_count("emergency.granted") == 9
	        && th_int(&T, "SELECT count(*) FROM %s.grants", schema) == 10
	        && th_int(&T,
	               "SELECT count(*) FROM %s.ledger WHERE movement ="
	               " 'grant'",
	               schema)
	            == 9,
	    "rows or events do not match nine grants made and one waiting");
	ledger_consistent("batch, after the undone ones");
	for (int i = 0; i < 5; i++)
		json_decref(c[i].j);
	json_decref(f.j);
	json_decref(g.j);
	json_decref(h.j);
	json_decref(c2.j);
	json_decref(j.j);
	json_decref(kk.j);
}

/* Officers sending grants at once, each answer kept (0: none yet). */
struct burst {
	int            from, n;
	char           idn[19];
	int           *status;
	char         **ids;
	volatile bool *stop;
};

static void *
burst_run(void *arg)
{
	struct burst *o = arg;
	char          key[64];
	char         *body = grant_body(o->idn, "disaster", 1000);
	for (int i = 0; i < o->n && !*o->stop; i++) {
		char *raw = NULL;
		snprintf(key, sizeof(key), "burst-%d-%d", (int) getpid(),
		    o->from + i);
		int st = th_http(
		    &T, port, "POST", "/grants", officer, key, body, &raw);
		json_t *j = raw != NULL ? json_loads(raw, 0, NULL) : NULL;
		free(raw);
		o->status[i] = st;
		if (st == 201 && jstr(j, "id") != NULL)
			o->ids[i] = strdup(jstr(j, "id"));
		json_decref(j);
	}
	free(body);
	return NULL;
}

/*
 * SIGKILL of emergency in the middle of a burst of grouped grants: every
 * request is sent again with its key after a restart, and each is
 * granted exactly once (a request answered before the kill replays the
 * same grant), no debit without its grant, no grant without its debit,
 * and the ledger sums to the fund's balance.
 */
static void
group_sigkill(void)
{
	enum { THREADS = 8, EACH = 40, AMOUNT = 1000 };
	enum { FUND = THREADS * EACH * AMOUNT * 2 };
	th_proc      *p = start_with(NULL);
	struct burst  o[THREADS];
	pthread_t     tid[THREADS];
	volatile bool stop = false;
	allocate_ok(FUND);
	memset(o, 0, sizeof(o));
	for (int i = 0; i < THREADS; i++) {
		o[i].from   = i * EACH;
		o[i].n      = EACH;
		o[i].status = calloc(EACH, sizeof(int));
		o[i].ids    = calloc(EACH, sizeof(char *));
		o[i].stop   = &stop;
		new_person(o[i].idn);
		pthread_create(&tid[i], NULL, burst_run, &o[i]);
	}
	/* Killed once some groups of several have committed. */
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 60000,
	        "SELECT (count(*) >= %d)::int FROM %s.grants", THREADS * 4,
	        schema),
	    "the burst did not get going");
	th_kill(&T, p, SIGKILL);
	stop = true;
	for (int i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	int64_t before = th_int(&T, "SELECT count(*) FROM %s.grants", schema);
	done();
	start();
	/* Every request again, with its key and body. */
	int answered = 0, again = 0;
	for (int i = 0; i < THREADS; i++) {
		char *body = grant_body(o[i].idn, "disaster", AMOUNT);
		for (int k = 0; k < EACH; k++) {
			char  key[64];
			char *raw = NULL;
			snprintf(key, sizeof(key), "burst-%d-%d",
			    (int) getpid(), o[i].from + k);
			int st = th_http(&T, port, "POST", "/grants", officer,
			    key, body, &raw);
			json_t *j
			    = raw != NULL ? json_loads(raw, 0, NULL) : NULL;
			free(raw);
			TH_CHECK(&T, st == 201 && jstr(j, "id") != NULL,
			    "%s again: %d (%s)", key, st,
			    jstr(j, "error.code"));
			if (o[i].ids[k] != NULL) {
				answered++;
				TH_CHECK(&T,
				    strcmp(o[i].ids[k], jstr(j, "id")) == 0,
				    "%s answered %s before the kill, %s after",
				    key, o[i].ids[k], jstr(j, "id"));
			} else {
				again++;
			}
			json_decref(j);
			free(o[i].ids[k]);
		}
		free(body);
		free(o[i].ids);
		free(o[i].status);
	}
	printf("%lld grants before the kill, %d answered before it, %d sent "
	       "again unanswered\n",
	    (long long) before, answered, again);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.grants", schema)
	        == THREADS * EACH,
	    "%lld grants for %d requests",
	    (long long) th_int(&T, "SELECT count(*) FROM %s.grants", schema),
	    THREADS * EACH);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.grants g WHERE 1 <> (SELECT count(*)"
	        " FROM %s.ledger l WHERE l.grant_id = g.id"
	        " AND l.movement = 'grant')",
	        schema, schema)
	        == 0,
	    "a grant without exactly one debit");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.ledger l WHERE l.movement = 'grant'"
	        " AND NOT EXISTS (SELECT 1 FROM %s.grants g"
	        " WHERE g.id = l.grant_id)",
	        schema, schema)
	        == 0,
	    "a debit without its grant");
	TH_CHECK(&T, balance() == FUND - THREADS * EACH * AMOUNT,
	    "balance %lld, want %d", (long long) balance(),
	    FUND - THREADS * EACH * AMOUNT);
	ledger_consistent("group_sigkill");
	TH_CHECK(&T, outbox_count("emergency.granted") == THREADS * EACH,
	    "%lld emergency.granted events for %d grants",
	    (long long) outbox_count("emergency.granted"), THREADS * EACH);
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "allocate", allocate_scenario },
		{ "grant_now", grant_now },
		{ "above_limit", above_limit },
		{ "insufficient", insufficient },
		{ "idempotent", idempotent },
		{ "bad_input", bad_input },
		{ "strict_input", strict_input },
		{ "payment", payment },
		{ "referral", referral },
		{ "chain", chain },
		{ "figures_settlement", figures_settlement },
		{ "concurrent", concurrent },
		{ "intake_draft", intake_draft },
		{ "district_clock", district_clock },
		{ "window", window },
		{ "window_race", window_race },
		{ "transitional", transitional },
		{ "paging", paging },
		{ "sealed", sealed },
		{ "group_savepoints", group_savepoints },
		{ "group_batch", group_batch },
		{ "group_sigkill", group_sigkill },
	};
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), done);
}
