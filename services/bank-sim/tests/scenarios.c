/*
 * bank-sim's integration scenarios: the real bank-sim binary, PostgreSQL
 * (its records read straight from its schema), and a small blocking NNG
 * REQ client speaking sn/bank/v1/bank.proto. One ctest each:
 *
 *   settle        a batch settles at once: SETTLED with settled_at, one
 *                 row per end-to-end id with amount, account, status and
 *                 times; the credits show on the account.
 *   repeat        the same end-to-end ids in a new batch (and twice in
 *                 one batch, and the same batch again) get their first
 *                 statuses - a rejection stays a rejection even with the
 *                 name corrected - and nothing is stored or paid twice;
 *                 the duplicates are counted.
 *   rejected      closed account, name mismatch (from the fixture),
 *                 unknown account (OPEN_ALL=0) and a non-positive amount
 *                 are rejected with their reason codes and never credited.
 *   refused       a count mismatch and a control-sum mismatch are refused
 *                 whole with nothing stored; the same batch_id, corrected,
 *                 then goes through; reused for another batch, refused.
 *   settle_later  SETTLE_MS: ACCEPTED in the reply and by StatusQuery,
 *                 then SETTLED after the delay (not before).
 *   unknown       StatusQuery answers UNKNOWN for an id never sent, in
 *                 order beside known ones.
 *   garbage       bytes that do not decode and a request with no body
 *                 are refused "malformed request" (BatchReply, nothing
 *                 stored) with a warning line each; an empty status
 *                 query is answered with no statuses (it was dropped),
 *                 with a warning.
 *   drop          DROP_PERCENT=100: no reply, the instructions stored.
 *   crash_restart CRASH_AFTER=1: the process exits 1 after storing the
 *                 batch and before replying; restarted, it holds the
 *                 instructions, and a retry of the same batch is answered
 *                 from the records, paying nothing twice.
 *   timeout_reply TIMEOUT_PERCENT=100: a client with a short deadline
 *                 times out though the batch is stored; a patient one
 *                 gets its reply after the delay.
 *   concurrent    8 clients send 10 batches each at once, every batch
 *                 under its own batch_id but all with the same 100
 *                 end-to-end ids: each id is stored and paid once, every
 *                 reply says SETTLED, no transaction fails, and bank-sim
 *                 had several requests in flight at once.
 *   http          /stats counts (by status, fen, reasons, duplicates,
 *                 process counters) and credits of an unknown account.
 *   help          `bank-sim --help` needs no settings, exits 0 and lists
 *                 every setting of its own; `--routes` lists the routes
 *                 (the ISO 20022 ones too: iso_scenarios.c).
 */
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "harness.h"
#include "sn/bank/v1/bank.pb-c.h"

#ifndef SN_BANK_SIM_BIN
#define SN_BANK_SIM_BIN "bank-sim"
#endif

#define MAXI 16

static th         T;
static int        http_port;
static char       port_env[32], url_env[400], url[360];
static nng_socket cli;
static bool       cli_open;

/* ---- the process -------------------------------------------------------- */

static th_proc *
start_bank(const char *const *extra)
{
	const char *env[16];
	int         n = 0;
	env[n++]      = port_env;
	env[n++]      = url_env;
	for (int i = 0; extra != NULL && extra[i] != NULL; i++)
		env[n++] = extra[i];
	env[n]             = NULL;
	const char *argv[] = { SN_BANK_SIM_BIN, NULL };
	th_proc    *p = th_spawn(&T, "bank-sim", SN_BANK_SIM_BIN, argv, env);
	TH_CHECK(
	    &T, th_wait_ready(&T, http_port, 30000), "bank-sim is not ready");
	return p;
}

static const char *
S(void)
{
	return th_schema(&T, "bank-sim");
}

static void
setup(void)
{
	http_port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", http_port);
	snprintf(url, sizeof(url), "ipc://%s/bank.ipc", T.run_dir);
	snprintf(url_env, sizeof(url_env), "SN_BANK_URL=%s", url);
}

/* ---- the client --------------------------------------------------------- */

static void
client(void)
{
	if (cli_open)
		return;
	TH_CHECK(&T, nng_req0_open(&cli) == 0, "req socket");
	cli_open = true;
	nng_socket_set_size(cli, NNG_OPT_RECVMAXSZ, 64u << 20);
	nng_socket_set_ms(cli, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(cli, NNG_OPT_RECONNMINT, 20);
	nng_socket_set_ms(cli, NNG_OPT_RECONNMAXT, 200);
	nng_socket_set_ms(cli, NNG_OPT_SENDTIMEO, 10000);
	TH_CHECK(&T, nng_dial(cli, url, NULL, NNG_FLAG_NONBLOCK) == 0,
	    "dial %s", url);
}

static void
client_close(void)
{
	if (cli_open)
		nng_close(cli);
	cli_open = false;
}

/*
 * Sends rq and waits up to timeout_ms for the reply: 0 and *out (free
 * with sn__bank__v1__bank_reply__free_unpacked), or the NNG error.
 */
static int
call(const Sn__Bank__V1__BankRequest *rq, int timeout_ms,
    Sn__Bank__V1__BankReply **out)
{
	client();
	*out = NULL;
	nng_socket_set_ms(cli, NNG_OPT_RECVTIMEO, timeout_ms);
	size_t   len = sn__bank__v1__bank_request__get_packed_size(rq);
	nng_msg *m;
	TH_CHECK(&T, nng_msg_alloc(&m, len) == 0, "msg");
	sn__bank__v1__bank_request__pack(rq, nng_msg_body(m));
	int rv = nng_sendmsg(cli, m, 0);
	if (rv != 0) {
		nng_msg_free(m);
		return rv;
	}
	if ((rv = nng_recvmsg(cli, &m, 0)) != 0)
		return rv;
	*out = sn__bank__v1__bank_reply__unpack(
	    NULL, nng_msg_len(m), nng_msg_body(m));
	nng_msg_free(m);
	TH_CHECK(&T, *out != NULL, "the reply does not decode");
	return 0;
}

/* A batch under construction. */
typedef struct tb {
	char                       id[64];
	Sn__Bank__V1__BatchRequest br;
	Sn__Bank__V1__Instruction  ins[MAXI];
	Sn__Bank__V1__Instruction *p[MAXI];
	char e2e[MAXI][40], acct[MAXI][40], name[MAXI][40];
} tb;

static void
tb_init(tb *b, const char *id)
{
	memset(b, 0, sizeof(*b));
	sn__bank__v1__batch_request__init(&b->br);
	snprintf(b->id, sizeof(b->id), "%s", id);
	b->br.batch_id       = b->id;
	b->br.debtor_account = (char *) "FUND-DIBAO";
	b->br.instructions   = b->p;
}

/* Adds an instruction and keeps count and control sum right. */
static void
tb_add(
    tb *b, const char *e2e, int64_t amount, const char *acct, const char *name)
{
	size_t i = b->br.n_instructions++;
	TH_CHECK(&T, i < MAXI, "batch too big");
	snprintf(b->e2e[i], sizeof(b->e2e[i]), "%s", e2e);
	snprintf(b->acct[i], sizeof(b->acct[i]), "%s", acct);
	snprintf(b->name[i], sizeof(b->name[i]), "%s", name);
	sn__bank__v1__instruction__init(&b->ins[i]);
	b->ins[i].end_to_end_id   = b->e2e[i];
	b->ins[i].amount_fen      = amount;
	b->ins[i].bank_code       = (char *) "ICBC";
	b->ins[i].account_number  = b->acct[i];
	b->ins[i].account_name    = b->name[i];
	b->ins[i].remittance_info = (char *) "dibao 2026-12";
	b->p[i]                   = &b->ins[i];
	b->br.count++;
	b->br.control_sum_fen += amount;
}

static int
send_batch(tb *b, int timeout_ms, Sn__Bank__V1__BatchReply **out,
    Sn__Bank__V1__BankReply **whole)
{
	Sn__Bank__V1__BankRequest rq = SN__BANK__V1__BANK_REQUEST__INIT;
	rq.body_case                 = SN__BANK__V1__BANK_REQUEST__BODY_BATCH;
	rq.batch                     = &b->br;
	int rv                       = call(&rq, timeout_ms, whole);
	if (rv != 0)
		return rv;
	TH_CHECK(&T,
	    (*whole)->body_case == SN__BANK__V1__BANK_REPLY__BODY_BATCH,
	    "a batch answered with another kind of reply");
	*out = (*whole)->batch;
	TH_CHECK(&T, strcmp((*out)->batch_id, b->id) == 0, "batch_id %s",
	    (*out)->batch_id);
	return 0;
}

/* Sends b, which must be taken, and returns its reply. */
static Sn__Bank__V1__BankReply *
batch_ok(tb *b, Sn__Bank__V1__BatchReply **out)
{
	Sn__Bank__V1__BankReply *whole;
	int                      rv = send_batch(b, 10000, out, &whole);
	TH_CHECK(&T, rv == 0, "batch %s: %s", b->id, nng_strerror(rv));
	TH_CHECK(&T, (*out)->accepted, "batch %s refused: %s", b->id,
	    (*out)->error);
	TH_CHECK(&T, (*out)->n_statuses == b->br.n_instructions,
	    "%zu statuses for %zu instructions", (*out)->n_statuses,
	    b->br.n_instructions);
	for (size_t i = 0; i < (*out)->n_statuses; i++)
		TH_CHECK(&T,
		    strcmp((*out)->statuses[i]->end_to_end_id, b->e2e[i]) == 0,
		    "status %zu is for %s", i,
		    (*out)->statuses[i]->end_to_end_id);
	return whole;
}

static void
expect(const Sn__Bank__V1__StatusReport *r, Sn__Bank__V1__InstructionStatus st,
    const char *code)
{
	TH_CHECK(&T, r->status == st, "%s: status %d, want %d",
	    r->end_to_end_id, r->status, st);
	TH_CHECK(&T, strcmp(r->reason_code, code) == 0,
	    "%s: reason %s, want %s", r->end_to_end_id, r->reason_code, code);
	if (st == SN__BANK__V1__INSTRUCTION_STATUS__INSTRUCTION_SETTLED)
		TH_CHECK(&T,
		    strlen(r->settled_at) >= 20
		        && r->settled_at[strlen(r->settled_at) - 1] == 'Z',
		    "%s: settled_at %s", r->end_to_end_id, r->settled_at);
	else
		TH_CHECK(&T, r->settled_at[0] == '\0', "%s: settled_at %s",
		    r->end_to_end_id, r->settled_at);
}

#define SETTLED SN__BANK__V1__INSTRUCTION_STATUS__INSTRUCTION_SETTLED
#define ACCEPTED SN__BANK__V1__INSTRUCTION_STATUS__INSTRUCTION_ACCEPTED
#define REJECTED SN__BANK__V1__INSTRUCTION_STATUS__INSTRUCTION_REJECTED
#define UNKNOWN SN__BANK__V1__INSTRUCTION_STATUS__INSTRUCTION_UNKNOWN

/* The statuses of ids (n of them) by StatusQuery. */
static Sn__Bank__V1__BankReply *
query(const char *const *ids, size_t n)
{
	Sn__Bank__V1__BankRequest rq = SN__BANK__V1__BANK_REQUEST__INIT;
	Sn__Bank__V1__StatusQuery q  = SN__BANK__V1__STATUS_QUERY__INIT;
	q.n_end_to_end_ids           = n;
	q.end_to_end_ids             = (char **) ids;
	rq.body_case                 = SN__BANK__V1__BANK_REQUEST__BODY_QUERY;
	rq.query                     = &q;
	Sn__Bank__V1__BankReply *r;
	int                      rv = call(&rq, 10000, &r);
	TH_CHECK(&T, rv == 0, "status query: %s", nng_strerror(rv));
	TH_CHECK(&T,
	    r->body_case == SN__BANK__V1__BANK_REPLY__BODY_STATUS
	        && r->status->n_statuses == n,
	    "status reply");
	for (size_t i = 0; i < n; i++)
		TH_CHECK(&T,
		    strcmp(r->status->statuses[i]->end_to_end_id, ids[i]) == 0,
		    "status %zu is for %s", i,
		    r->status->statuses[i]->end_to_end_id);
	return r;
}

static json_t *
get_json(const char *path)
{
	char *body = NULL;
	int st = th_http(&T, http_port, "GET", path, NULL, NULL, NULL, &body);
	TH_CHECK(&T, st == 200, "GET %s: %d %s", path, st, body);
	json_t *j = json_loads(body, 0, NULL);
	TH_CHECK(&T, j != NULL, "GET %s: not JSON: %s", path, body);
	free(body);
	return j;
}

static int64_t
jint(json_t *j, const char *a, const char *b)
{
	json_t *v = json_object_get(j, a);
	if (b != NULL)
		v = json_object_get(v, b);
	TH_CHECK(
	    &T, json_is_integer(v), "%s.%s is not an integer", a, b ? b : "");
	return (int64_t) json_integer_value(v);
}

static int64_t
instructions(const char *where)
{
	return th_int(
	    &T, "SELECT count(*) FROM %s.instructions WHERE %s", S(), where);
}

static const char *
write_fixture(void)
{
	static char path[400];
	snprintf(path, sizeof(path), "%s/accounts.json", T.run_dir);
	FILE *f = fopen(path, "w");
	TH_CHECK(&T, f != NULL, "cannot write the fixture");
	fputs(
	    "{\"6222000000000001\": {\"name\": \"张三\"},"
	    " \"6222000000000002\": {\"name\": \"李四\", \"closed\": true},"
	    " \"6222000000000003\": {\"name\": \"王五\", \"closed\": false}}",
	    f);
	fclose(f);
	return path;
}

/* ---- scenarios ---------------------------------------------------------- */

/* Issue 10: the credits are paged (sn/page.h): one at a time, the
 * first page's next leads to the second and last, nothing twice. */
static void
credit_pages(const char *first)
{
	json_t     *c = get_json("/accounts/6222000000000101/credits?limit=1");
	json_t     *l = json_object_get(c, "items");
	const char *next = json_string_value(json_object_get(c, "next"));
	TH_CHECK(&T,
	    json_array_size(l) == 1 && next != NULL
	        && strcmp(json_string_value(json_object_get(
	                      json_array_get(l, 0), "end_to_end_id")),
	               first)
	            == 0
	        && jint(c, "count", NULL) == 2
	        && jint(c, "total_fen", NULL) == 100000,
	    "the first page of one credit");
	char path[160];
	snprintf(path, sizeof(path),
	    "/accounts/6222000000000101/credits?limit=1&cursor=%s",
	    next != NULL ? next : "");
	json_t *d     = get_json(path);
	l             = json_object_get(d, "items");
	const char *e = json_string_value(
	    json_object_get(json_array_get(l, 0), "end_to_end_id"));
	TH_CHECK(&T,
	    json_array_size(l) == 1 && e != NULL && strcmp(e, first) != 0
	        && json_is_null(json_object_get(d, "next")),
	    "the second and last page of one credit");
	json_decref(d);
	json_decref(c);
	int st = th_http(&T, http_port, "GET",
	    "/accounts/6222000000000101/credits?limit=0", NULL, NULL, NULL,
	    NULL);
	TH_CHECK(&T, st == 422, "a limit of 0: %d", st);
}

static void
settle(void)
{
	setup();
	start_bank(NULL);
	tb b;
	tb_init(&b, "B1");
	tb_add(&b, "E2E-1", 83000, "6222000000000101", "赵六");
	tb_add(&b, "E2E-2", 63000, "6222000000000102", "钱七");
	tb_add(&b, "E2E-3", 17000, "6222000000000101", "赵六");
	Sn__Bank__V1__BatchReply *r;
	Sn__Bank__V1__BankReply  *w = batch_ok(&b, &r);
	for (int i = 0; i < 3; i++)
		expect(r->statuses[i], SETTLED, "");
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);

	/* The bank's own records: one row per id, as sent, settled. */
	TH_CHECK(&T, instructions("true") == 3, "rows");
	TH_CHECK(&T,
	    instructions("end_to_end_id = 'E2E-1' AND amount_fen = 83000"
	                 " AND account_number = '6222000000000101'"
	                 " AND account_name = '赵六' AND batch_id = 'B1'"
	                 " AND status = 'settled' AND reason_code IS NULL"
	                 " AND settled_at >= received_at")
	        == 1,
	    "E2E-1's row");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT sum(amount_fen) FROM %s.instructions"
	        " WHERE status = 'settled'",
	        S())
	        == 163000,
	    "settled total");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.batches WHERE batch_id = 'B1'"
	        " AND count = 3 AND control_sum_fen = 163000",
	        S())
	        == 1,
	    "the batch row");

	json_t *c = get_json("/accounts/6222000000000101/credits");
	TH_CHECK(&T,
	    jint(c, "count", NULL) == 2
	        && jint(c, "total_fen", NULL) == 100000,
	    "credits of 101");
	json_t *list = json_object_get(c, "items");
	TH_CHECK(&T,
	    json_array_size(list) == 2
	        && json_is_null(json_object_get(c, "next")),
	    "two credits on one page");
	json_t *e2e
	    = json_object_get(json_array_get(list, 0), "end_to_end_id");
	TH_CHECK(&T, json_is_string(e2e), "credit without id");
	credit_pages(json_string_value(e2e));
	json_decref(c);
}

static void
repeat(void)
{
	setup();
	const char *fix = write_fixture();
	char        fixenv[500];
	snprintf(fixenv, sizeof(fixenv), "SN_BANK_SIM_FIXTURE=%s", fix);
	const char *env[] = { fixenv, NULL };
	start_bank(env);

	tb a;
	tb_init(&a, "A");
	tb_add(&a, "E2E-1", 83000, "6222000000000001", "张三");
	tb_add(&a, "E2E-2", 50000, "6222000000000003", "错名"); /* mismatch */
	tb_add(&a, "E2E-3", 12000, "6222000000000201", "孙八");
	Sn__Bank__V1__BatchReply *r;
	Sn__Bank__V1__BankReply  *w = batch_ok(&a, &r);
	expect(r->statuses[0], SETTLED, "");
	expect(r->statuses[1], REJECTED, "name_mismatch");
	expect(r->statuses[2], SETTLED, "");
	char first_settled[64];
	snprintf(first_settled, sizeof(first_settled), "%s",
	    r->statuses[0]->settled_at);
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);

	/* A new batch repeating E2E-1 and E2E-2 (name now right: the
	 * first status stands), E2E-4 new and twice in it. */
	tb b;
	tb_init(&b, "B");
	tb_add(&b, "E2E-2", 50000, "6222000000000003", "王五");
	tb_add(&b, "E2E-4", 7000, "6222000000000202", "周九");
	tb_add(&b, "E2E-1", 83000, "6222000000000001", "张三");
	tb_add(&b, "E2E-4", 7000, "6222000000000202", "周九");
	w = batch_ok(&b, &r);
	expect(r->statuses[0], REJECTED, "name_mismatch");
	expect(r->statuses[1], SETTLED, "");
	expect(r->statuses[2], SETTLED, "");
	expect(r->statuses[3], SETTLED, "");
	TH_CHECK(&T, strcmp(r->statuses[2]->settled_at, first_settled) == 0,
	    "E2E-1 answered with a new settlement %s (first %s)",
	    r->statuses[2]->settled_at, first_settled);
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);

	/* The same batch A again. */
	w = batch_ok(&a, &r);
	expect(r->statuses[0], SETTLED, "");
	expect(r->statuses[1], REJECTED, "name_mismatch");
	expect(r->statuses[2], SETTLED, "");
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);

	TH_CHECK(&T, instructions("true") == 4, "rows: one per id");
	TH_CHECK(&T,
	    instructions("end_to_end_id = 'E2E-2' AND status ="
	                 " 'rejected' AND batch_id = 'A'")
	        == 1,
	    "E2E-2 is still its first rejection");
	TH_CHECK(&T,
	    instructions("end_to_end_id = 'E2E-4' AND batch_id = 'B'"
	                 " AND position = 2")
	        == 1,
	    "E2E-4 stored once, from its first occurrence");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT sum(amount_fen) FROM %s.instructions"
	        " WHERE status = 'settled'",
	        S())
	        == 83000 + 12000 + 7000,
	    "paid twice");
	json_t *st = get_json("/stats");
	/* B: E2E-2, E2E-1 and the second E2E-4; A again: all three. */
	TH_CHECK(&T, jint(st, "duplicate_instructions", NULL) == 6,
	    "duplicates %lld",
	    (long long) jint(st, "duplicate_instructions", NULL));
	TH_CHECK(&T, jint(st, "repeated_batches", NULL) == 1, "repeated");
	TH_CHECK(&T, jint(st, "batches", NULL) == 2, "batches");
	json_decref(st);
	json_t *c = get_json("/accounts/6222000000000001/credits");
	TH_CHECK(&T,
	    jint(c, "count", NULL) == 1 && jint(c, "total_fen", NULL) == 83000,
	    "E2E-1 credited more than once");
	json_decref(c);
}

static void
rejected(void)
{
	setup();
	const char *fix = write_fixture();
	char        fixenv[500];
	snprintf(fixenv, sizeof(fixenv), "SN_BANK_SIM_FIXTURE=%s", fix);
	const char *env[] = { fixenv, "SN_BANK_SIM_OPEN_ALL=0", NULL };
	start_bank(env);
	tb b;
	tb_init(&b, "R");
	tb_add(&b, "OK-1", 83000, "6222000000000001", "张三");
	tb_add(&b, "CLOSED-1", 83000, "6222000000000002", "李四");
	tb_add(&b, "NAME-1", 83000, "6222000000000003", "王六");
	tb_add(&b, "NOACCT-1", 83000, "6222000000009999", "张三");
	tb_add(&b, "ZERO-1", 0, "6222000000000001", "张三");
	tb_add(&b, "NEG-1", -100, "6222000000000001", "张三");
	Sn__Bank__V1__BatchReply *r;
	Sn__Bank__V1__BankReply  *w = batch_ok(&b, &r);
	expect(r->statuses[0], SETTLED, "");
	expect(r->statuses[1], REJECTED, "closed_account");
	expect(r->statuses[2], REJECTED, "name_mismatch");
	expect(r->statuses[3], REJECTED, "no_such_account");
	expect(r->statuses[4], REJECTED, "invalid_amount");
	expect(r->statuses[5], REJECTED, "invalid_amount");
	for (int i = 1; i < 6; i++)
		TH_CHECK(
		    &T, r->statuses[i]->reason[0] != '\0', "no reason text");
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	TH_CHECK(&T,
	    instructions("status = 'rejected' AND settled_at IS NULL") == 5,
	    "rejections stored");
	TH_CHECK(&T,
	    instructions("end_to_end_id = 'CLOSED-1' AND reason_code ="
	                 " 'closed_account'")
	            == 1
	        && instructions("end_to_end_id = 'NAME-1' AND reason_code ="
	                        " 'name_mismatch'")
	            == 1,
	    "reason codes stored");
	json_t *c = get_json("/accounts/6222000000000002/credits");
	TH_CHECK(&T, jint(c, "count", NULL) == 0, "closed account credited");
	json_decref(c);
	c = get_json("/accounts/6222000000000001/credits");
	TH_CHECK(&T,
	    jint(c, "count", NULL) == 1 && jint(c, "total_fen", NULL) == 83000,
	    "invalid amounts credited");
	json_decref(c);
}

static void
refused(void)
{
	setup();
	start_bank(NULL);
	Sn__Bank__V1__BatchReply *r;
	Sn__Bank__V1__BankReply  *w;
	tb                        b;
	tb_init(&b, "X");
	tb_add(&b, "X-1", 1000, "6222000000000301", "甲");
	tb_add(&b, "X-2", 2000, "6222000000000302", "乙");

	b.br.count = 3;
	TH_CHECK(&T, send_batch(&b, 10000, &r, &w) == 0, "no reply");
	TH_CHECK(&T,
	    !r->accepted && strstr(r->error, "count") != NULL
	        && r->n_statuses == 0,
	    "count mismatch: accepted %d error %s", r->accepted, r->error);
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	b.br.count = 2;
	b.br.control_sum_fen += 1;
	TH_CHECK(&T, send_batch(&b, 10000, &r, &w) == 0, "no reply");
	TH_CHECK(&T,
	    !r->accepted && strstr(r->error, "control sum") != NULL
	        && r->n_statuses == 0,
	    "control sum mismatch: accepted %d error %s", r->accepted,
	    r->error);
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	TH_CHECK(&T, instructions("true") == 0, "a refused batch was stored");
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.batches", S()) == 0,
	    "a refused batch row was stored");

	/* Corrected, the same batch_id goes through: nothing was kept. */
	b.br.control_sum_fen -= 1;
	w = batch_ok(&b, &r);
	expect(r->statuses[0], SETTLED, "");
	expect(r->statuses[1], SETTLED, "");
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);

	/* The batch_id reused for another batch: refused, nothing stored. */
	tb c;
	tb_init(&c, "X");
	tb_add(&c, "X-3", 5000, "6222000000000303", "丙");
	TH_CHECK(&T, send_batch(&c, 10000, &r, &w) == 0, "no reply");
	TH_CHECK(&T, !r->accepted && strstr(r->error, "batch_id") != NULL,
	    "a reused batch_id: accepted %d error %s", r->accepted, r->error);
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	TH_CHECK(&T, instructions("true") == 2, "X-3 was stored");

	json_t *st = get_json("/stats");
	TH_CHECK(&T, jint(st, "process", "batches_refused") == 3,
	    "refusals counted");
	json_decref(st);
}

static void
settle_later(void)
{
	setup();
	const char *env[] = { "SN_BANK_SIM_SETTLE_MS=1500", NULL };
	start_bank(env);
	tb b;
	tb_init(&b, "L");
	tb_add(&b, "L-1", 83000, "6222000000000401", "甲");
	tb_add(&b, "L-2", 0, "6222000000000401", "甲");
	uint64_t                  t0 = th_now_ms();
	Sn__Bank__V1__BatchReply *r;
	Sn__Bank__V1__BankReply  *w = batch_ok(&b, &r);
	expect(r->statuses[0], ACCEPTED, "");
	expect(r->statuses[1], REJECTED, "invalid_amount");
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);

	const char *ids[] = { "L-1", "L-2" };
	w                 = query(ids, 2);
	uint64_t asked    = th_now_ms();
	/* Only meaningful while the delay cannot have passed yet. */
	if (asked - t0 < 1200)
		expect(w->status->statuses[0], ACCEPTED, "");
	expect(w->status->statuses[1], REJECTED, "invalid_amount");
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	json_t *c = get_json("/accounts/6222000000000401/credits");
	if (th_now_ms() - t0 < 1200)
		TH_CHECK(&T, jint(c, "count", NULL) == 0,
		    "credited before settlement");
	json_decref(c);

	bool settled = false;
	while (!settled && th_now_ms() - t0 < 20000) {
		w       = query(ids, 1);
		settled = w->status->statuses[0]->status == SETTLED;
		if (settled)
			expect(w->status->statuses[0], SETTLED, "");
		else
			expect(w->status->statuses[0], ACCEPTED, "");
		sn__bank__v1__bank_reply__free_unpacked(w, NULL);
		if (!settled)
			th_sleep_ms(50);
	}
	TH_CHECK(&T, settled, "L-1 never settled");
	TH_CHECK(&T,
	    instructions("end_to_end_id = 'L-1' AND settled_at >= received_at"
	                 " + interval '1500 milliseconds'")
	        == 1,
	    "L-1 settled before its delay");
	c = get_json("/accounts/6222000000000401/credits");
	TH_CHECK(&T, jint(c, "count", NULL) == 1, "not credited");
	json_decref(c);
}

static void
unknown(void)
{
	setup();
	start_bank(NULL);
	tb b;
	tb_init(&b, "U");
	tb_add(&b, "U-1", 100, "6222000000000501", "甲");
	Sn__Bank__V1__BatchReply *r;
	Sn__Bank__V1__BankReply  *w = batch_ok(&b, &r);
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	const char *ids[] = { "NEVER-1", "U-1", "NEVER-2" };
	w                 = query(ids, 3);
	expect(w->status->statuses[0], UNKNOWN, "");
	expect(w->status->statuses[1], SETTLED, "");
	expect(w->status->statuses[2], UNKNOWN, "");
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	TH_CHECK(&T, instructions("end_to_end_id LIKE 'NEVER%%'") == 0,
	    "a query stored something");
}

/* Sends len raw bytes and returns the reply (free it); fails on none. */
static Sn__Bank__V1__BankReply *
call_raw(const void *body, size_t len)
{
	client();
	nng_socket_set_ms(cli, NNG_OPT_RECVTIMEO, 10000);
	nng_msg *m;
	TH_CHECK(&T, nng_msg_alloc(&m, len) == 0, "msg");
	if (len > 0)
		memcpy(nng_msg_body(m), body, len);
	TH_CHECK(&T, nng_sendmsg(cli, m, 0) == 0, "send");
	int rv = nng_recvmsg(cli, &m, 0);
	TH_CHECK(&T, rv == 0, "no reply to %zu raw bytes: %s", len,
	    nng_strerror(rv));
	Sn__Bank__V1__BankReply *r = sn__bank__v1__bank_reply__unpack(
	    NULL, nng_msg_len(m), nng_msg_body(m));
	nng_msg_free(m);
	TH_CHECK(&T, r != NULL, "the reply does not decode");
	return r;
}

/* Lines of the file at path that hold text. */
static int
log_count(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char line[8192];
	int  n = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

static void
garbage(void)
{
	setup();
	th_proc *p = start_bank(NULL);
	/* bytes that do not decode, and a request with neither body */
	static const struct {
		const char *bytes;
		size_t      len;
	} bad[] = { { "\xff\xff\xff", 3 }, { "", 0 } };
	for (size_t i = 0; i < 2; i++) {
		Sn__Bank__V1__BankReply *w
		    = call_raw(bad[i].bytes, bad[i].len);
		TH_CHECK(&T,
		    w->body_case == SN__BANK__V1__BANK_REPLY__BODY_BATCH
		        && !w->batch->accepted
		        && strcmp(w->batch->error, "malformed request") == 0
		        && w->batch->n_statuses == 0,
		    "garbage %zu: not refused as a malformed request", i);
		sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	}
	TH_CHECK(&T, log_count(p->log, "\"malformed request\"") == 2,
	    "a malformed request without its warning line");
	/* out of range: a status query of no id is answered, empty */
	Sn__Bank__V1__BankReply *w = query(NULL, 0);
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	TH_CHECK(&T, log_count(p->log, "empty status query") == 1,
	    "the empty status query was not logged");
	TH_CHECK(&T, instructions("true") == 0, "garbage stored something");
	json_t *st = get_json("/stats");
	TH_CHECK(&T, jint(st, "process", "malformed_requests") == 2,
	    "malformed requests counted");
	json_decref(st);
}

static void
drop(void)
{
	setup();
	const char *env[] = { "SN_BANK_SIM_DROP_PERCENT=100", NULL };
	start_bank(env);
	tb b;
	tb_init(&b, "D");
	tb_add(&b, "D-1", 100, "6222000000000601", "甲");
	tb_add(&b, "D-2", 200, "6222000000000602", "乙");
	Sn__Bank__V1__BatchReply *r;
	Sn__Bank__V1__BankReply  *w;
	int                       rv = send_batch(&b, 1500, &r, &w);
	TH_CHECK(&T, rv == NNG_ETIMEDOUT, "a reply came: %s",
	    rv == 0 ? "yes" : nng_strerror(rv));
	TH_CHECK(&T,
	    th_wait_int(&T, 2, 10000,
	        "SELECT count(*) FROM %s.instructions"
	        " WHERE status = 'settled'",
	        S()),
	    "the dropped batch was not stored");
	/* Retrying pays nothing twice (and is dropped again). */
	rv = send_batch(&b, 1500, &r, &w);
	TH_CHECK(&T, rv == NNG_ETIMEDOUT, "a reply came");
	TH_CHECK(&T,
	    th_wait_int(&T, 2, 10000,
	        "SELECT value FROM %s.counters"
	        " WHERE name = 'duplicate_instructions'",
	        S()),
	    "the retry was not seen as duplicates");
	TH_CHECK(&T, instructions("true") == 2, "rows");
	json_t *st = get_json("/stats");
	TH_CHECK(&T,
	    jint(st, "process", "replies_dropped") == 2
	        && jint(st, "process", "replies_sent") == 0,
	    "replies counted");
	json_decref(st);
}

static void
crash_restart(void)
{
	setup();
	const char *env[] = { "SN_BANK_SIM_CRASH_AFTER=1", NULL };
	th_proc    *p     = start_bank(env);
	tb          b;
	tb_init(&b, "C");
	tb_add(&b, "C-1", 83000, "6222000000000701", "甲");
	tb_add(&b, "C-2", 63000, "6222000000000702", "乙");
	tb_add(&b, "C-3", 1000, "6222000000000703", "丙");
	Sn__Bank__V1__BatchReply *r;
	Sn__Bank__V1__BankReply  *w;
	int                       rv = send_batch(&b, 3000, &r, &w);
	TH_CHECK(&T, rv != 0, "bank-sim replied instead of crashing");
	int st = th_wait_exit(&T, p, 10000);
	TH_CHECK(&T, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "bank-sim did not exit 1 (status %d)", st);
	TH_CHECK(&T, instructions("status = 'settled'") == 3,
	    "the instructions were not stored before the crash");

	start_bank(NULL);
	w = batch_ok(&b, &r);
	for (int i = 0; i < 3; i++)
		expect(r->statuses[i], SETTLED, "");
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	TH_CHECK(&T, instructions("true") == 3, "paid twice");
	TH_CHECK(&T,
	    th_int(&T, "SELECT sum(amount_fen) FROM %s.instructions", S())
	        == 147000,
	    "total");
	json_t *s = get_json("/stats");
	TH_CHECK(&T,
	    jint(s, "duplicate_instructions", NULL) == 3
	        && jint(s, "repeated_batches", NULL) == 1
	        && jint(s, "process", "batches_repeated") == 1
	        && jint(s, "process", "batches_stored") == 0,
	    "the retry was not answered from the records");
	json_decref(s);
}

static void
timeout_reply(void)
{
	setup();
	const char *env[] = { "SN_BANK_SIM_TIMEOUT_PERCENT=100",
		"SN_BANK_SIM_TIMEOUT_MS=1500", NULL };
	start_bank(env);
	tb b;
	tb_init(&b, "T");
	tb_add(&b, "T-1", 100, "6222000000000801", "甲");
	Sn__Bank__V1__BatchReply *r;
	Sn__Bank__V1__BankReply  *w;
	int                       rv = send_batch(&b, 300, &r, &w);
	TH_CHECK(&T, rv == NNG_ETIMEDOUT, "no timeout: %s",
	    rv == 0 ? "replied" : nng_strerror(rv));
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 10000,
	        "SELECT count(*) FROM %s.instructions"
	        " WHERE status = 'settled'",
	        S()),
	    "the batch was not stored");
	uint64_t t0 = th_now_ms();
	rv          = send_batch(&b, 10000, &r, &w);
	TH_CHECK(
	    &T, rv == 0 && r->accepted, "no late reply: %s", nng_strerror(rv));
	uint64_t took = th_now_ms() - t0;
	TH_CHECK(&T, took >= 1400, "the reply came after %llu ms",
	    (unsigned long long) took);
	expect(r->statuses[0], SETTLED, "");
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	TH_CHECK(&T, instructions("true") == 1, "rows");
	/* A reply left waiting when SIGTERM comes (th_fini): bank-sim must
	 * still drain and exit 0. */
	tb_init(&b, "T2");
	tb_add(&b, "T2-1", 100, "6222000000000801", "甲");
	rv = send_batch(&b, 300, &r, &w);
	TH_CHECK(&T, rv == NNG_ETIMEDOUT, "no timeout");
	TH_CHECK(&T,
	    th_wait_int(
	        &T, 2, 10000, "SELECT count(*) FROM %s.instructions", S()),
	    "T2 was not stored");
}

/* ---- concurrent --------------------------------------------------------- */

#define NCLIENTS 8
#define NBATCHES 10
#define NPER 10

typedef struct worker {
	int  k;
	int  failures;
	char why[256];
} worker;

static void *
run_client(void *arg)
{
	worker    *wk = arg;
	nng_socket s;
	if (nng_req0_open(&s) != 0) {
		wk->failures++;
		return NULL;
	}
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 64u << 20);
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 20000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 20000);
	if (nng_dial(s, url, NULL, 0) != 0) {
		wk->failures++;
		nng_close(s);
		return NULL;
	}
	tb *b = malloc(sizeof(*b));
	for (int j = 0; j < NBATCHES && b != NULL; j++) {
		/* Each client walks the batches in its own order. */
		int  jj = (j + wk->k * 3) % NBATCHES;
		char id[64], e2e[40], acct[40];
		snprintf(id, sizeof(id), "K%d-%d", wk->k, jj);
		tb_init(b, id);
		for (int i = 0; i < NPER; i++) {
			snprintf(e2e, sizeof(e2e), "E-%d-%d", jj, i);
			snprintf(
			    acct, sizeof(acct), "62220000010%02d%03d", jj, i);
			tb_add(b, e2e, 1000 + jj * NPER + i, acct, "甲");
		}
		Sn__Bank__V1__BankRequest rq
		    = SN__BANK__V1__BANK_REQUEST__INIT;
		rq.body_case = SN__BANK__V1__BANK_REQUEST__BODY_BATCH;
		rq.batch     = &b->br;
		size_t len = sn__bank__v1__bank_request__get_packed_size(&rq);
		nng_msg *m;
		if (nng_msg_alloc(&m, len) != 0)
			break;
		sn__bank__v1__bank_request__pack(&rq, nng_msg_body(m));
		int rv = nng_sendmsg(s, m, 0);
		if (rv != 0) {
			nng_msg_free(m);
		} else {
			rv = nng_recvmsg(s, &m, 0);
		}
		if (rv != 0) {
			wk->failures++;
			snprintf(wk->why, sizeof(wk->why), "%s: %s", id,
			    nng_strerror(rv));
			continue;
		}
		Sn__Bank__V1__BankReply *r = sn__bank__v1__bank_reply__unpack(
		    NULL, nng_msg_len(m), nng_msg_body(m));
		nng_msg_free(m);
		bool ok = r != NULL
		    && r->body_case == SN__BANK__V1__BANK_REPLY__BODY_BATCH
		    && r->batch->accepted && r->batch->n_statuses == NPER;
		for (int i = 0; ok && i < NPER; i++)
			ok = r->batch->statuses[i]->status == SETTLED
			    && strcmp(r->batch->statuses[i]->end_to_end_id,
			           b->e2e[i])
			        == 0;
		if (!ok) {
			wk->failures++;
			snprintf(
			    wk->why, sizeof(wk->why), "%s: bad reply", id);
		}
		if (r != NULL)
			sn__bank__v1__bank_reply__free_unpacked(r, NULL);
	}
	free(b);
	nng_close(s);
	return NULL;
}

static void
concurrent(void)
{
	setup();
	const char *env[] = { "SN_DB_POOL=8", NULL };
	start_bank(env);
	pthread_t threads[NCLIENTS];
	worker    wk[NCLIENTS];
	for (int k = 0; k < NCLIENTS; k++) {
		wk[k] = (worker) { .k = k };
		TH_CHECK(&T,
		    pthread_create(&threads[k], NULL, run_client, &wk[k]) == 0,
		    "thread");
	}
	for (int k = 0; k < NCLIENTS; k++)
		pthread_join(threads[k], NULL);
	for (int k = 0; k < NCLIENTS; k++)
		TH_CHECK(&T, wk[k].failures == 0,
		    "client %d: %d failures (%s)", k, wk[k].failures,
		    wk[k].why);
	TH_CHECK(&T, instructions("true") == NBATCHES * NPER, "rows: %lld",
	    (long long) instructions("true"));
	int64_t want = 0;
	for (int j = 0; j < NBATCHES; j++)
		for (int i = 0; i < NPER; i++)
			want += 1000 + j * NPER + i;
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT sum(amount_fen) FROM %s.instructions"
	        " WHERE status = 'settled'",
	        S())
	        == want,
	    "settled total");
	json_t *s = get_json("/stats");
	TH_CHECK(&T,
	    jint(s, "duplicate_instructions", NULL)
	        == (NCLIENTS - 1) * NBATCHES * NPER,
	    "duplicates %lld",
	    (long long) jint(s, "duplicate_instructions", NULL));
	TH_CHECK(&T,
	    jint(s, "batches", NULL) == NCLIENTS * NBATCHES
	        && jint(s, "process", "batches_failed") == 0,
	    "batches");
	json_decref(s);
	char *body = NULL;
	th_http(&T, http_port, "GET", "/metrics", NULL, NULL, NULL, &body);
	TH_CHECK(&T, body != NULL, "metrics");
	const char *key  = "\nsn_bank_sim_inflight_max ";
	const char *m    = strstr(body, key);
	long long   most = m != NULL ? strtoll(m + strlen(key), NULL, 10) : -1;
	free(body);
	printf("at most %lld requests in flight at once\n", most);
	TH_CHECK(&T, most > 1, "never two requests at once (%lld)", most);
}

static void
http(void)
{
	setup();
	const char *fix = write_fixture();
	char        fixenv[500];
	snprintf(fixenv, sizeof(fixenv), "SN_BANK_SIM_FIXTURE=%s", fix);
	const char *env[] = { fixenv, NULL };
	start_bank(env);
	tb b;
	tb_init(&b, "H");
	tb_add(&b, "H-1", 1000, "6222000000000001", "张三");
	tb_add(&b, "H-2", 2000, "6222000000000901", "甲");
	tb_add(&b, "H-3", 4000, "6222000000000002", "李四");
	tb_add(&b, "H-4", 8000, "6222000000000003", "赵");
	tb_add(&b, "H-5", 0, "6222000000000901", "甲");
	Sn__Bank__V1__BatchReply *r;
	Sn__Bank__V1__BankReply  *w = batch_ok(&b, &r);
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);
	const char *ids[] = { "H-1" };
	w                 = query(ids, 1);
	sn__bank__v1__bank_reply__free_unpacked(w, NULL);

	json_t *s = get_json("/stats");
	TH_CHECK(&T, jint(s, "instructions", NULL) == 5, "instructions");
	TH_CHECK(&T,
	    jint(s, "by_status", "settled") == 2
	        && jint(s, "by_status", "rejected") == 3
	        && jint(s, "by_status", "accepted") == 0,
	    "by status");
	TH_CHECK(&T,
	    jint(s, "settled_fen", NULL) == 3000
	        && jint(s, "rejected_fen", NULL) == 12000,
	    "fen");
	TH_CHECK(&T,
	    jint(s, "rejected_by_reason", "closed_account") == 1
	        && jint(s, "rejected_by_reason", "name_mismatch") == 1
	        && jint(s, "rejected_by_reason", "invalid_amount") == 1,
	    "reasons");
	TH_CHECK(&T,
	    jint(s, "duplicate_instructions", NULL) == 0
	        && jint(s, "batches", NULL) == 1,
	    "batches");
	TH_CHECK(&T,
	    jint(s, "process", "batches_stored") == 1
	        && jint(s, "process", "status_queries") == 1
	        && jint(s, "process", "replies_sent") == 2,
	    "process counters");
	json_decref(s);
	json_t *c = get_json("/accounts/nobody/credits");
	TH_CHECK(&T,
	    jint(c, "count", NULL) == 0
	        && json_array_size(json_object_get(c, "items")) == 0
	        && json_is_null(json_object_get(c, "next")),
	    "credits of nobody");
	json_decref(c);
	int st
	    = th_http(&T, http_port, "POST", "/stats", NULL, NULL, "{}", NULL);
	TH_CHECK(&T, st == 405, "POST /stats: %d", st);
}

/* ---- help --------------------------------------------------------------- */

/* The output of `bank-sim ARG` run with no environment at all. */
static void
run_bare(const char *arg, char *out, size_t cap)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "env -i %s %s", SN_BANK_SIM_BIN, arg);
	FILE *f = popen(cmd, "r");
	TH_CHECK(&T, f != NULL, "cannot run %s", cmd);
	size_t len = fread(out, 1, cap - 1, f);
	out[len]   = '\0';
	int st     = pclose(f);
	TH_CHECK(&T, WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "bank-sim %s: status %d", arg, st);
}

static void
help(void)
{
	static const char *const own[]
	    = { "SN_BANK_URL", "SN_BANK_SIM_FIXTURE", "SN_BANK_SIM_OPEN_ALL",
		      "SN_BANK_SIM_SETTLE_MS", "SN_BANK_SIM_DROP_PERCENT",
		      "SN_BANK_SIM_TIMEOUT_PERCENT", "SN_BANK_SIM_TIMEOUT_MS",
		      "SN_BANK_SIM_CRASH_AFTER", "SN_BANK_SIM_SEED",
		      "SN_BANK_SIM_CONTEXTS", "SN_BANK_SIM_MAX_REQUEST_BYTES",
		      "SN_BANK_SIM_STATEMENT_OMIT_PERCENT",
		      "SN_BANK_SIM_DROP_HOLD_MS", "SN_BANK_SIM_XSD_DIR" };
	char out[16384], want[64];
	run_bare("--help", out, sizeof(out));
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		snprintf(want, sizeof(want), "  %s ", own[i]);
		TH_CHECK(&T, strstr(out, want) != NULL,
		    "--help does not list %s", own[i]);
	}
	run_bare("--routes", out, sizeof(out));
	TH_CHECK(&T,
	    strcmp(out,
	        "GET /accounts/{account_number}/credits\n"
	        "POST /accounts/{account}/entries\n"
	        "GET /stats\n"
	        "POST /iso20022/pain.001\n"
	        "GET /iso20022/pain.002/{msg_id}\n"
	        "GET /iso20022/camt.054\n")
	        == 0,
	    "--routes: %s", out);
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "settle", settle },
		{ "repeat", repeat },
		{ "rejected", rejected },
		{ "refused", refused },
		{ "settle_later", settle_later },
		{ "unknown", unknown },
		{ "garbage", garbage },
		{ "drop", drop },
		{ "crash_restart", crash_restart },
		{ "timeout_reply", timeout_reply },
		{ "concurrent", concurrent },
		{ "http", http },
		{ "help", help },
	};
	return th_main(&T, argc, argv, list, sizeof(list) / sizeof(list[0]),
	    client_close);
}
