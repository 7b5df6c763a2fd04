/*
 * disbursement's integration tests: the real binary, bank-gateway and
 * bank-sim, a real PostgreSQL (SN_TEST_DB_URL) and real NNG sockets
 * through tests/support/harness.h. approval and emergency are played by
 * sn-inject (intake's test publisher); for thousands of payees the test
 * writes the events straight into sn-inject's outbox, which its relay
 * publishes like any row of its own. "Paid" is always checked in
 * bank-sim's own book, the rows a pain.001 booked (book()).
 *
 *   disbursement_scenarios emergency_paid | run_10k | sigkill | duties |
 *       correction | validation | district_clock | reads |
 *       register_months | back_payment | low_income | exits |
 *       periods | instalments | edge_replaced | held_payments |
 *       sealed | gateway_paid | gateway_retry | gateway_funds
 *
 * Every scenario pays through bank-gateway (issue 14): disbursement →
 * bank-gateway (NNG, bank.proto, on disbursement's SN_BANK_URL) → bank-sim
 * (ISO 20022 over HTTPS; its /iso20022 routes want the gateway's client
 * certificate), started by tests/support/bank.h (th_bank). Every process
 * has a certificate of one CA, "sn", so every API is HTTPS and the test's
 * own calls trust that CA (SN_CLIENT_CA_FILE). No scenario talks to
 * bank-sim's older NNG protocol.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>

#include "bank.h"
#include "harness.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/bank/v1/bank.pb-c.h"
#include "sn/clock.h"
#include "sn/date.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "sn/seal.h"

#ifndef SN_DISBURSEMENT_BIN
#define SN_DISBURSEMENT_BIN "disbursement"
#endif
#ifndef SN_BANK_SIM_BIN
#define SN_BANK_SIM_BIN "bank-sim"
#endif
#ifndef SN_BANK_GATEWAY_BIN
#define SN_BANK_GATEWAY_BIN "bank-gateway"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif

#define DISTRICT "220103"
#define PERIOD "2026-03"
#define MONTHLY 50000

/* The seed's fund accounts (services/bank-gateway/seed/funds.json). */
#define ACCT_DIBAO "1202020109900012345"
#define ACCT_TEKUN "1202020109900012353"

static th          T;
static int         port;
static const char *schema;  /* disbursement's */
static const char *bschema; /* bank-sim's */
static char        bank_url[320];
static char       *finance, *finance_b, *approver, *approver_decider, *officer;

/* ---- helpers -------------------------------------------------------- */

/* A token for user as role in juris (th_token: no identity number, no
 * unit). */
static char *
token(const char *user, const char *role, const char *juris)
{
	return th_token(&T, user, role, juris, NULL, NULL);
}

typedef struct answer {
	int     status;
	json_t *body;
} answer;

static answer
call(const char *method, const char *path, const char *tok, const char *json)
{
	static int n;
	char       key[64], *raw = NULL;
	snprintf(key, sizeof(key), "k-%d-%d", (int) getpid(), ++n);
	answer a
	    = { .status = th_http(&T, port, method, path, tok,
		    strcmp(method, "GET") == 0 ? NULL : key, json, &raw) };
	a.body = raw != NULL && raw[0] ? json_loads(raw, 0, NULL) : NULL;
	free(raw);
	return a;
}

static const char *
jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));
	return s != NULL ? s : "(none)";
}

static const char *
jerr(json_t *j)
{
	return jstr(json_object_get(j, "error"), "code");
}

/* Writes text to <run_dir>/name; its path (static, one at a time). */
static const char *
write_file(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", T.run_dir, name);
	FILE *f = fopen(path, "w");
	TH_CHECK(&T, f != NULL, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	return path;
}

static const char *settle_ms        = "0";
static char        fixture_env[600] = "SN_BANK_SIM_FIXTURE=";
static th_bank     bank; /* bank-sim and bank-gateway (tests/support/bank.h) */

/* "KEY=VALUE" strings kept for the run. */
static const char *kept(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static const char *
kept(const char *fmt, ...)
{
	static char pool[48][600];
	static int  npool;
	va_list     ap;
	TH_CHECK(&T, npool < 48, "too many settings");
	va_start(ap, fmt);
	vsnprintf(pool[npool], sizeof(pool[0]), fmt, ap);
	va_end(ap);
	return pool[npool++];
}

static const char *
kept_int(const char *key, int v)
{
	return kept("%s=%d", key, v);
}

/*
 * The deadlines of a lost answer, one below the other: bank-sim holds a
 * withheld answer (SN_BANK_SIM_DROP_PERCENT) for HOLD_MS before its 503
 * and a delayed one (SN_BANK_SIM_TIMEOUT_PERCENT) for DELAY_MS; the
 * gateway gives up on a pain.001 after GW_MS and then gives disbursement
 * no reply, which sends the same batch again after its own deadline
 * (disb_timeout_ms: above GW_MS where answers are lost, so that the
 * repeat finds the gateway done with the first). The gateway's statement
 * fetches keep their own deadline (its default, minutes).
 */
#define HOLD_MS "4500"
#define DELAY_MS "3000"
#define GW_MS "2000"
static int disb_timeout_ms = 600;

/* More bank-sim settings of a scenario (NULL-ended): a seed, a crash. */
static const char *sim_more[4];

/* bank-sim's settings: every account open unless the fixture says
 * otherwise, answers withheld (drop) and delayed (timeout) that many
 * percent of the time, settled after settle_ms, then sim_more. */
static void
sim_settings(const char *drop, const char *timeout)
{
	int n             = 0;
	bank.sim_env[n++] = "SN_BANK_SIM_OPEN_ALL=1";
	bank.sim_env[n++] = kept("SN_BANK_SIM_SETTLE_MS=%s", settle_ms);
	bank.sim_env[n++] = fixture_env;
	bank.sim_env[n++] = kept("SN_BANK_SIM_DROP_PERCENT=%s", drop);
	bank.sim_env[n++] = kept("SN_BANK_SIM_TIMEOUT_PERCENT=%s", timeout);
	bank.sim_env[n++] = "SN_BANK_SIM_DROP_HOLD_MS=" HOLD_MS;
	bank.sim_env[n++] = "SN_BANK_SIM_TIMEOUT_MS=" DELAY_MS;
	for (int i = 0; i < 4 && sim_more[i] != NULL; i++)
		bank.sim_env[n++] = sim_more[i];
	bank.sim_env[n] = NULL;
}

/* The gateway's settings: its deadline, and the fund accounts
 * SN_BANK_GATEWAY_FUNDS (NULL: the seed's four funds). */
static void
gw_settings(const char *funds)
{
	int n            = 0;
	bank.gw_env[n++] = "SN_BANK_GATEWAY_BANK_TIMEOUT_MS=" GW_MS;
	if (funds != NULL)
		bank.gw_env[n++] = kept("SN_BANK_GATEWAY_FUNDS=%s", funds);
	bank.gw_env[n] = NULL;
}

/* The CA "sn" and the certificates of bank-sim, the gateway and
 * disbursement; the test's own calls trust the CA. */
static void
make_certs(void)
{
	th_tls_make_ca(&T, "sn");
	th_bank_certs(&T, &bank);
	th_tls_make_cert(&T, "sn", "disbursement", "disbursement");
	setenv("SN_CLIENT_CA_FILE", kept("%s/sn-ca.pem", T.run_dir), 1);
}

/* bank-sim (sim_settings(drop, timeout)) and the gateway (funds: see
 * gw_settings); disbursement dials the gateway (bank_url). */
static void
start_bank(const char *funds, const char *drop, const char *timeout)
{
	bank.sim_bin = SN_BANK_SIM_BIN;
	bank.gw_bin  = SN_BANK_GATEWAY_BIN;
	bank.ca      = "sn";
	make_certs();
	sim_settings(drop, timeout);
	gw_settings(funds);
	th_bank_start(&T, &bank);
	bschema = th_schema(&T, "bank-sim");
	snprintf(bank_url, sizeof(bank_url), "%s", bank.url);
}

/* bank-sim again on its port (after th_stop, or after it crashed), with
 * the settings as they are now. */
static void
restart_sim(const char *drop, const char *timeout)
{
	sim_settings(drop, timeout);
	th_bank_start_sim(&T, &bank);
}

/* Two more settings for disbursement (NULL: none), e.g. the test clock. */
static const char *extra_env[2];
/* And more, NULL-ended: disbursement's certificate and the retry waits
 * (start). */
static const char *more_env[8];

/* The district's month of disbursement's test clock (issue 10: a run is
 * made only for a sensible period): the 15th of clock_month, set by
 * at_month; "" leaves the clock alone. */
static char     clock_month[8];
static char     clock_env[64];
static th_proc *disb;

static th_proc *
start_disbursement(void)
{
	static char port_env[32], url_env[340], timeout_env[64];
	if (port == 0)
		port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", port);
	snprintf(url_env, sizeof(url_env), "SN_BANK_URL=%s", bank_url);
	snprintf(timeout_env, sizeof(timeout_env),
	    "SN_DISBURSEMENT_BANK_TIMEOUT_MS=%d", disb_timeout_ms);
	const char *env[20]
	    = { port_env, url_env, timeout_env, "SN_DISBURSEMENT_POLL_MS=100",
		      "SN_DISBURSEMENT_BUILD_CHUNK=2000",
		      "SN_DISBURSEMENT_BATCH=100", NULL };
	int n = 6;
	for (int i = 0; i < 2 && extra_env[i] != NULL; i++)
		env[n++] = extra_env[i];
	for (int i = 0; i < 7 && more_env[i] != NULL; i++)
		env[n++] = more_env[i];
	if (extra_env[0] == NULL && clock_env[0] != '\0') {
		env[n++] = "SN_TEST_CLOCK=1";
		env[n++] = clock_env;
	}
	env[n]             = NULL;
	const char *argv[] = { SN_DISBURSEMENT_BIN, NULL };
	th_proc    *p
	    = th_spawn(&T, "disbursement", SN_DISBURSEMENT_BIN, argv, env);
	if (!th_wait_ready(&T, port, 30000))
		th_fail(&T, "disbursement did not get ready");
	schema = th_schema(&T, "disbursement");
	disb   = p;
	return p;
}

/* Moves disbursement's district clock to the 15th of period ("YYYY-MM"),
 * restarting it when it runs on another month. */
static void
at_month(const char *period)
{
	if (strcmp(clock_month, period) == 0)
		return;
	snprintf(clock_month, sizeof(clock_month), "%s", period);
	snprintf(clock_env, sizeof(clock_env), "SN_CLOCK_OFFSET_S=%lld",
	    (long long) th_int(&T,
	        "SELECT extract(epoch FROM ('%s-15 04:00:00+00'::timestamptz"
	        " - now()))::bigint",
	        period));
	if (disb == NULL)
		return;
	th_kill(&T, disb, SIGTERM);
	th_wait_exit(&T, disb, 15000);
	start_disbursement();
}

/* The schemas of disbursement and of the publishers it follows: before
 * any process starts. */
static void
publishers(void)
{
	th_publisher(&T, "disbursement");
	th_publisher(&T, "approval");
	th_publisher(&T, "emergency");
}

/* disbursement (its bank already up; the test clock in PERIOD unless a
 * scenario set it) and the staff's tokens. */
static void
start_disbursement_staff(void)
{
	if (clock_month[0] == '\0')
		at_month(PERIOD);
	start_disbursement();
	finance          = token("fin-1", "finance", DISTRICT);
	finance_b        = token("fin-2", "finance", DISTRICT);
	approver         = token("fa-1", "finance_approver", DISTRICT);
	approver_decider = token("tk-officer-0", "finance_approver", DISTRICT);
	officer = token("tk-officer-0", "township_officer", "220103001");
}

/*
 * The processes, bank-sim first, then the gateway (funds: see
 * gw_settings) and disbursement (its certificate; retry_ms > 0: retry
 * waits of retry_ms doubling up to 4 x retry_ms, the default else);
 * bank-sim withholding drop and delaying timeout percent of its answers.
 */
static void
start_with(
    const char *funds, int retry_ms, const char *drop, const char *timeout)
{
	publishers();
	start_bank(funds, drop, timeout);
	int n = 0;
	more_env[n++]
	    = kept("SN_TLS_CERT_FILE=%s/disbursement.pem", T.run_dir);
	more_env[n++] = kept("SN_TLS_KEY_FILE=%s/disbursement.key", T.run_dir);
	more_env[n++] = kept("SN_TLS_CA_FILE=%s/sn-ca.pem", T.run_dir);
	if (retry_ms > 0) {
		more_env[n++] = kept_int("SN_DISBURSEMENT_RETRY_MS", retry_ms);
		more_env[n++]
		    = kept_int("SN_DISBURSEMENT_RETRY_MAX_MS", 4 * retry_ms);
	}
	more_env[n] = NULL;
	start_disbursement_staff();
}

static void
start(const char *drop, const char *timeout)
{
	start_with(NULL, 0, drop, timeout);
}

static void
done(void)
{
	free(finance);
	free(finance_b);
	free(approver);
	free(approver_decider);
	free(officer);
}

/* sn-inject as publisher (th_injector); returns the process. */
static th_proc *
injector(const char *publisher)
{
	return th_injector(&T, SN_INJECT_BIN, publisher);
}

/* Writes n rows (topic, subject, hex payload) into publisher's outbox in
 * one statement. */
static void
outbox_put(
    const char *publisher, char **topics, char **subjects, char **hexes, int n)
{
	size_t cap = 256;
	for (int i = 0; i < n; i++)
		cap += strlen(hexes[i]) + strlen(topics[i])
		    + strlen(subjects[i]) + 64;
	char  *sql = malloc(cap);
	size_t len = (size_t) snprintf(sql, cap,
	    "INSERT INTO %s.outbox (topic, subject, actor, data) VALUES ",
	    th_schema(&T, publisher));
	for (int i = 0; i < n; i++)
		len += (size_t) snprintf(sql + len, cap - len,
		    "%s('%s', '%s', 'test', '\\x%s'::bytea)", i ? "," : "",
		    topics[i], subjects[i], hexes[i]);
	PGresult *r = PQexec((PGconn *) T.pg, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		th_fail(&T, "outbox insert: %s", PQresultErrorMessage(r));
	PQclear(r);
	free(sql);
}

/* n beneficiary.changed events, payees 1..n: dibao for odd, tekun for
 * even, township 2201030010xx by i % 3, decided by tk-officer-(i % 5). */
static void inject_payees_then(int n, bool wait_new);

/* n payees (app-000001 ...) entered by beneficiary.changed; waits until
 * disbursement holds n payees. */
static void
inject_payees(int n)
{
	inject_payees_then(n, true);
}

/* The same events again (wait_new false: waits until disbursement
 * applied them, the payees being there already). */
static void
inject_payees_then(int n, bool wait_new)
{
	th_proc *p = injector("approval");
	enum { CHUNK = 500 };
	char *topics[CHUNK], *subjects[CHUNK], *hexes[CHUNK];
	for (int base = 0; base < n; base += CHUNK) {
		int k = 0;
		for (int i = base; i < n && i < base + CHUNK; i++, k++) {
			char app[64], ben[64], acct[32], name[32], town[24],
			    vill[40], by[32];
			snprintf(app, sizeof(app), "app-%06d", i + 1);
			snprintf(ben, sizeof(ben), "ben-%06d", i + 1);
			snprintf(acct, sizeof(acct), "62220200%08d", i + 1);
			snprintf(name, sizeof(name), "payee %d", i + 1);
			snprintf(town, sizeof(town), "22010300%d", 1 + i % 3);
			snprintf(vill, sizeof(vill), "%s001", town);
			snprintf(by, sizeof(by), "tk-officer-%d", i % 5);
			Sn__Assist__V1__Household h
			    = SN__ASSIST__V1__HOUSEHOLD__INIT;
			h.district_code = DISTRICT;
			h.township_code = town;
			h.village_code  = vill;
			Sn__Assist__V1__PayeeAccount pa
			    = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
			pa.bank_code      = "ICBC";
			pa.account_number = acct;
			pa.account_name   = name;
			Sn__Assist__V1__BeneficiaryChanged m
			    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
			m.beneficiary_id = ben;
			m.application_id = app;
			m.status
			    = SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE;
			m.category           = i % 2 == 0
			              ? SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO
			              : SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN;
			m.monthly_amount_fen = MONTHLY + (i % 7) * 100;
			m.payee              = &pa;
			m.from_month         = "2026-01";
			m.approved_by        = by;
			m.household          = &h;
			/* issue 10: the household's names, holder first */
			char  spouse[32];
			char *names[2] = { name, spouse };
			snprintf(spouse, sizeof(spouse), "spouse %d", i + 1);
			m.n_member_names = 2;
			m.member_names   = names;
			topics[k]        = strdup("beneficiary.changed");
			subjects[k]      = strdup(app);
			hexes[k]         = th_hex(&m.base);
		}
		outbox_put("approval", topics, subjects, hexes, k);
		for (int i = 0; i < k; i++) {
			free(topics[i]);
			free(subjects[i]);
			free(hexes[i]);
		}
	}
	if (wait_new
	    && !th_wait_int(
	        &T, n, 120000, "SELECT count(*) FROM %s.payee", schema))
		th_fail(&T, "disbursement did not take the payees in");
	if (!wait_new
	    && !th_wait_int(&T, 1, 60000,
	        "SELECT (o.n = o.numbered AND c.last_seq >= o.last)::int"
	        " FROM %s.bus_cursor c, (SELECT count(*) AS n, count(seq)"
	        "  AS numbered, max(seq) AS last FROM %s.outbox) o"
	        " WHERE c.publisher = 'approval'",
	        schema, th_schema(&T, "approval")))
		th_fail(&T, "disbursement did not apply the events again");
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
}

static void
allocate(const char *fund, long long fen)
{
	char body[128];
	snprintf(body, sizeof(body),
	    "{\"fund\": \"%s\", \"year\": 2026, \"amount_fen\": %lld}", fund,
	    fen);
	answer a = call("POST", "/budgets", finance, body);
	TH_CHECK(
	    &T, a.status == 201, "allocation: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
}

/* disbursement started (start), n payees injected, and dibao and tekun
 * each given more than any run here draws. */
static void
start_funded(int n)
{
	start("0", "0");
	inject_payees(n);
	allocate("dibao", 1000000000LL);
	allocate("tekun", 1000000000LL);
}

/* Creates the run of PERIOD, waits until it awaits approval; its id. */
static char *
build_run(void)
{
	answer a
	    = call("POST", "/runs", finance, "{\"period\": \"" PERIOD "\"}");
	TH_CHECK(
	    &T, a.status == 202, "POST /runs: %d %s", a.status, jerr(a.body));
	char *id = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	if (!th_wait_int(&T, 1, 120000,
	        "SELECT count(*) FROM %s.run WHERE id = '%s'"
	        " AND status = 'awaiting_approval'",
	        schema, id))
		th_fail(&T, "the run was not built");
	return id;
}

static void
approve(const char *id, char *tok)
{
	char path[128];
	snprintf(path, sizeof(path), "/runs/%s/approval", id);
	answer a = call("POST", path, tok, "{\"decision\": \"approve\"}");
	TH_CHECK(
	    &T, a.status == 200, "approval: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
}

/* The blind index of account a as disbursement stores it (issue 11:
 * accounts are sealed, compared by index), under the keys every service
 * a test starts gets (th_default_env). Static: four at a time. */
static const char *
acct_index(const char *a)
{
	static sn_seal *s;
	static char     buf[4][SN_SEAL_INDEX_HEX + 1];
	static int      next;
	if (s == NULL) {
		const char *ring = NULL, *blind = NULL;
		for (size_t i = 0; th_default_env[i] != NULL; i++) {
			const char *e = th_default_env[i];
			if (strncmp(e, "SN_SEAL_KEYS=", 13) == 0)
				ring = e + 13;
			else if (strncmp(e, "SN_BLIND_KEY=", 13) == 0)
				blind = e + 13;
		}
		if (ring == NULL || blind == NULL
		    || sn_seal_open(&s, ring, blind) != SN_OK)
			th_fail(&T, "no sealer from th_default_env");
	}
	next = (next + 1) % 4;
	sn_seal_index(s, "disbursement.account_number", a, buf[next]);
	return buf[next];
}

/* Waits up to ms for run id to be completed (every payment settled or
 * held); fails saying what. */
static void
wait_completed(const char *id, int ms, const char *what)
{
	if (!th_wait_int(&T, 1, ms,
	        "SELECT count(*) FROM %s.run WHERE id = '%s'"
	        " AND status = 'completed'",
	        schema, id))
		th_fail(&T, "the run %s did not complete (%s)", id, what);
}

/* Approves run id and waits until it is completed. */
static void
pay_run(const char *id)
{
	approve(id, approver);
	wait_completed(id, 60000, "approved");
}

/*
 * bank-sim's book as the ISO side wrote it, for "FROM %s b": the rows of
 * its instructions table (one per end-to-end id, ever) that a pain.001
 * booked, each joined to the transaction of that message that booked it.
 * Every check of what the bank paid reads this.
 */
static const char *
book(void)
{
	static char sql[400];
	snprintf(sql, sizeof(sql),
	    "(SELECT i.* FROM %s.instructions i JOIN %s.iso_txs t"
	    " ON t.msg_id = i.batch_id AND t.end_to_end_id = i.end_to_end_id"
	    " AND t.instr_id = i.instr_id AND t.booked)",
	    bschema, bschema);
	return sql;
}

/* The bank's book holds nothing that came in another way than a pain.001
 * (bank-sim's older NNG protocol, say). */
static void
check_iso_only(void)
{
	int64_t all
	    = th_int(&T, "SELECT count(*) FROM %s.instructions", bschema);
	int64_t iso = th_int(&T, "SELECT count(*) FROM %s b", book());
	TH_CHECK(&T, all == iso,
	    "the bank booked %lld instructions, %lld of them from a "
	    "pain.001",
	    (long long) all, (long long) iso);
}

/* Every payee paid exactly once, in the bank's own records. */
static void
check_bank(int n)
{
	check_iso_only();
	int64_t rows = th_int(
	    &T, "SELECT count(*) FROM %s b WHERE status = 'settled'", book());
	int64_t distinct = th_int(&T,
	    "SELECT count(DISTINCT account_number) FROM %s b"
	    " WHERE status = 'settled'",
	    book());
	TH_CHECK(&T, rows == n && distinct == n,
	    "the bank settled %lld instructions for %lld accounts, want %d",
	    (long long) rows, (long long) distinct, n);
	/* the bank's clear account against the payment's sealed one, by
	 * its blind index; the payment holds no clear account */
	char *pairs = th_text(&T,
	    "SELECT coalesce(string_agg(i.account_number || '='"
	    " || coalesce(p.account_number_index, ''), ','), '')"
	    " FROM %s i JOIN %s.payment p"
	    " ON p.e2e_id = i.end_to_end_id"
	    " WHERE i.status = 'settled' AND p.amount_fen = i.amount_fen"
	    " AND p.account_number IS NULL"
	    " AND p.account_number_sealed LIKE 'sn1.%%'",
	    book(), schema);
	int   same  = 0;
	char *save  = NULL;
	for (char *t      = strtok_r(pairs != NULL ? pairs : "", ",", &save);
	     t != NULL; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (eq != NULL) {
			*eq = '\0';
			same += strcmp(acct_index(t), eq + 1) == 0;
		}
	}
	free(pairs);
	TH_CHECK(&T, same == n,
	    "bank instructions do not match the payments (%d of %d)", same, n);
	/* Every batch's row counts its payments still sent, and a batch
	 * with none has no row (migrations 017, 018): true in any one
	 * snapshot, each claim and answer being one transaction. */
	int64_t off = th_int(&T,
	    "SELECT count(*) FROM %s.send_batch b WHERE b.sent_left = 0"
	    " OR b.sent_left <> (SELECT count(*) FROM unnest(b.payments)"
	    " AS x(id) JOIN %s.payment p ON p.id = x.id"
	    " WHERE p.batch_id = b.batch_id AND p.status = 'sent')",
	    schema, schema);
	TH_CHECK(&T, off == 0,
	    "%lld batch rows disagree with their payments still sent",
	    (long long) off);
}

/* disbursement's reconciliation of run id balances, with settled
 * instructions settled and rejected rejected (and so as many sent), none
 * unknown. */
static void
check_reconciled(const char *id, int settled, int rejected)
{
	char path[128];
	snprintf(path, sizeof(path), "/runs/%s/reconciliation", id);
	answer a = call("GET", path, finance, NULL);
	TH_CHECK(&T, a.status == 200, "reconciliation: %d", a.status);
	json_t *ins = json_object_get(a.body, "instructions");
	TH_CHECK(&T, json_is_true(json_object_get(a.body, "balanced")),
	    "the run does not balance: %s",
	    json_dumps(json_object_get(a.body, "findings"), 0));
	TH_CHECK(&T,
	    json_integer_value(json_object_get(ins, "settled")) == settled
	        && json_integer_value(json_object_get(ins, "rejected"))
	            == rejected
	        && json_integer_value(json_object_get(ins, "unknown")) == 0
	        && json_integer_value(json_object_get(ins, "sent"))
	            == settled + rejected,
	    "reconciliation instructions: %s", json_dumps(ins, 0));
	json_decref(a.body);
}

/* ---- scenarios ------------------------------------------------------ */

/* Statements that read disbursement's own tables so far (scans of
 * them, by pg_stat_user_tables: this test's schema alone, whatever other
 * tests run beside it in the database), and the database's committed
 * transactions (every test's). */
static int64_t
own_scans(void)
{
	return th_int(&T,
	    "SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0)"
	    " FROM pg_stat_user_tables WHERE schemaname = '%s'",
	    schema);
}

static int64_t
xact_commits(void)
{
	return th_int(&T,
	    "SELECT xact_commit FROM pg_stat_database"
	    " WHERE datname = current_database()");
}

static char *pay_grant(const char *grant_id, int64_t fen);
static char *instalment_hex(
    const char *id, int k, int n, int64_t fen, int64_t total);

/*
 * Issue 15: a disbursement with nothing to do (no run, nothing ready or
 * with the bank) does not ask the database every SN_DISBURSEMENT_POLL_MS
 * (100 ms here): its passes back off to SN_DISBURSEMENT_IDLE_MS (5 s by
 * default). Counted over 10 idle seconds, after 3 s of start: before,
 * every pass read its tables about a dozen times (a run being built, runs
 * to start or complete, a claim per fund, payments to ask about), some
 * 1,200 reads in the window; the bound is 100. Then a grant still goes
 * out: what this process hears of wakes it (emergency_paid checks the
 * payment itself).
 */
static void
idle(void)
{
	start("0", "0");
	th_sleep_ms(3000);
	int64_t s0 = own_scans(), x0 = xact_commits();
	th_sleep_ms(10000);
	int64_t s1 = own_scans(), x1 = xact_commits();
	printf("idle 10 s: %lld reads of disbursement's tables (%.1f/s);"
	       " the database committed %lld transactions (%.1f/s, every"
	       " test's)\n",
	    (long long) (s1 - s0), (double) (s1 - s0) / 10.0,
	    (long long) (x1 - x0), (double) (x1 - x0) / 10.0);
	TH_CHECK(&T, s1 - s0 < 100,
	    "an idle disbursement read its tables %lld times in 10 s",
	    (long long) (s1 - s0));
	/* A grant after the idle spell is paid (pay_grant waits for it). */
	free(pay_grant("8d1f6c1e-0000-4000-8000-000000000002", 120000));
}

/* The database's clock, in milliseconds since 1970: what a version 7
 * uuid carries in its first 48 bits. */
static int64_t
db_ms(void)
{
	return th_int(
	    &T, "SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)");
}

/* Every payment's id (and so its end-to-end id) is a version 7 uuid made
 * while the test ran, since since_ms (db_ms): time first, so that the
 * indexes keyed by it take a run's new entries together (disbursement
 * migration 012). */
static void
check_ids_time_ordered(int64_t since_ms)
{
	int64_t upto = db_ms();
	int64_t n    = th_int(&T, "SELECT count(*) FROM %s.payment", schema);
	int64_t bad  = th_int(&T,
	     "SELECT count(*) FROM %s.payment"
	      " WHERE substr(id::text, 15, 1) <> '7'"
	      "  OR ('x' || substr(e2e_id, 1, 12))::bit(48)::bigint"
	      "   NOT BETWEEN %lld AND %lld"
	      "  OR e2e_id NOT LIKE replace(id::text, '-', '') || '-%%'",
	     schema, (long long) since_ms, (long long) upto);
	TH_CHECK(&T, n > 0 && bad == 0,
	    "%lld of %lld payment ids are not version 7 uuids made between "
	    "%lld and %lld ms",
	    (long long) bad, (long long) n, (long long) since_ms,
	    (long long) upto);
}

/* emergency.granted is paid at once (no run) and payment.settled goes
 * out with ref.grant_id; the bank has it once, however often the event
 * comes. */
static void
emergency_paid(void)
{
	start("0", "0");
	int64_t           since      = db_ms();
	static const char grant_id[] = "8d1f6c1e-0000-4000-8000-000000000001";
	th_proc          *p          = injector("emergency");
	char             *h = instalment_hex(grant_id, 0, 0, 120000, 0);
	char *topics[2]     = { "emergency.granted", "emergency.granted" };
	char *subj[2]       = { (char *) grant_id, (char *) grant_id };
	char *hexes[2]      = { h, h }; /* a repeat: paid once */
	outbox_put("emergency", topics, subj, hexes, 2);
	free(h);
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.payment WHERE grant_id = '%s'"
	        " AND status = 'settled'",
	        schema, (char *) grant_id))
		th_fail(&T, "the grant was not paid");
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.outbox WHERE topic = "
	        "'payment.settled'",
	        schema))
		th_fail(&T, "no payment.settled");
	TH_CHECK(&T,
	    th_rows(&T,
	        "SELECT data FROM %s.outbox WHERE topic = 'payment.settled'",
	        schema)
	        == 1,
	    "want one payment.settled");
	size_t                       len;
	uint8_t                     *data = th_bytes_at(&T, 0, &len,
	                        "SELECT data FROM %s.outbox WHERE topic = 'payment.settled'",
	                        schema);
	Sn__Pay__V1__PaymentSettled *s    = data != NULL
	       ? sn__pay__v1__payment_settled__unpack(NULL, len, data)
	       : NULL;
	TH_CHECK(&T,
	    s != NULL && s->ref != NULL
	        && strcmp(s->ref->grant_id, grant_id) == 0
	        && s->amount_fen == 120000
	        && s->fund == SN__PAY__V1__FUND__FUND_EMERGENCY
	        && strlen(s->end_to_end_id) <= 35 && s->settled_at[0] != '\0',
	    "payment.settled does not describe the grant's payment");
	sn__pay__v1__payment_settled__free_unpacked(s, NULL);
	free(data);
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s b", book()) == 1,
	    "the bank has the grant's instruction %lld times",
	    (long long) th_int(&T, "SELECT count(*) FROM %s b", book()));
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT drawn_fen FROM %s.budget WHERE fund = 'emergency'"
	        " AND year = 2026",
	        schema)
	        == 120000,
	    "the emergency budget did not record the draw");
	check_ids_time_ordered(since);
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
}

/* ---- issue 14's 10,000 payees ------------------------------------------ */

/* Every 100th payee's account is refused by bank-sim, the k-th (payee
 * 100 k) for the reason reject_codes[k % 4]: closed, blocked, deceased,
 * held under another name. */
static const char *const reject_codes[4] = { "AC04", "AC06", "MD07", "BE01" };
#define REJECT_CODE_SQL                                                       \
	"(ARRAY['AC04', 'AC06', 'MD07', 'BE01'])"                             \
	"[(substr(e.application_id, 5)::int / 100) %% 4 + 1]"

/*
 * want payment.failed events, each with the ISO code (one of codes[4],
 * NULL-ended if fewer) and the Chinese reason its payment holds.
 */
static void
check_failed_events(int want, const char *const codes[4])
{
	int nf = th_rows(&T,
	    "SELECT data FROM %s.outbox WHERE topic = 'payment.failed'",
	    schema);
	TH_CHECK(&T, nf == want, "%d payment.failed, want %d", nf, want);
	for (int i = 0; i < nf; i++) {
		size_t                      len;
		uint8_t                    *data = th_bytes_at(&T, i, &len,
		                       "SELECT data FROM %s.outbox WHERE topic = 'payment.failed'"
		                                          " ORDER BY seq",
		                       schema);
		Sn__Pay__V1__PaymentFailed *m    = data != NULL
		       ? sn__pay__v1__payment_failed__unpack(NULL, len, data)
		       : NULL;
		TH_CHECK(
		    &T, m != NULL, "payment.failed %d does not decode", i);
		char *code  = th_text(&T,
		     "SELECT reason_code FROM %s.payment WHERE id = '%s'",
		     schema, m->payment_id);
		char *why   = th_text(&T,
		      "SELECT reason FROM %s.payment WHERE id = '%s'", schema,
		      m->payment_id);
		bool  known = false;
		for (int k = 0; k < 4 && codes[k] != NULL; k++)
			known |= strcmp(m->reason_code, codes[k]) == 0;
		TH_CHECK(&T,
		    known && code != NULL && why != NULL
		        && strcmp(m->reason_code, code) == 0
		        && strcmp(m->reason, why) == 0,
		    "payment.failed %d: %s \"%s\", not one of the ISO codes "
		    "and the Chinese reason its payment holds",
		    i, m->reason_code, m->reason);
		free(code);
		free(why);
		sn__pay__v1__payment_failed__free_unpacked(m, NULL);
		free(data);
	}
}

/* bank-sim's fixture for n payees: reject_codes' accounts. */
static void
fixture_rejecting(int n)
{
	static const char *const states[4] = { "\"state\": \"closed\"",
		"\"state\": \"blocked\"", "\"state\": \"deceased\"", NULL };
	size_t                   cap       = (size_t) n + 64;
	char                    *text      = malloc(cap);
	size_t                   len       = (size_t) snprintf(text, cap, "{");
	for (int k = 1; k <= n / 100; k++)
		len += (size_t) snprintf(text + len, cap - len,
		    "%s\"62220200%08d\": {\"name\": \"%s%d\"%s%s}",
		    k > 1 ? ", " : "", 100 * k,
		    states[k % 4] != NULL ? "payee " : "someone else ",
		    100 * k, states[k % 4] != NULL ? ", " : "",
		    states[k % 4] != NULL ? states[k % 4] : "");
	snprintf(text + len, cap - len, "}\n");
	TH_CHECK(&T, len + 3 < cap, "the fixture does not fit");
	snprintf(fixture_env, sizeof(fixture_env), "SN_BANK_SIM_FIXTURE=%s",
	    write_file("accounts.json", text));
	free(text);
}

/* A dotted path's integer in j ("kinds.matched.count"); -1 if none. */
static int64_t
jpath(json_t *j, const char *path)
{
	char buf[128], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k != NULL;
	     k       = strtok_r(NULL, ".", &save))
                j = json_object_get(j, k);
	return json_is_integer(j) ? (int64_t) json_integer_value(j) : -1;
}

/* One call to the gateway's API as finance; the body (want: the
 * status). */
static json_t *
gw_call(const char *method, const char *path, const char *body, int want)
{
	static int n;
	char       key[64], *out = NULL;
	snprintf(key, sizeof(key), "gw-%d-%d", (int) getpid(), ++n);
	int st = th_http(&T, bank.gw_port, method, path, finance,
	    strcmp(method, "GET") == 0 ? NULL : key, body, &out);
	TH_CHECK(&T, st == want, "%s %s on the gateway: %d %s", method, path,
	    st, out != NULL ? out : "");
	json_t *j = json_loads(out != NULL ? out : "", 0, NULL);
	TH_CHECK(&T, j != NULL, "%s %s: not JSON: %s", method, path, out);
	free(out);
	return j;
}

/* The gateway's camt.054 reconciliation of day, made now (POST
 * /reconciliations) and read back (GET /reconciliations?date=); the
 * stored report. */
static json_t *
gw_reconcile(const char *day)
{
	char path[96], body[64];
	snprintf(body, sizeof(body), "{\"date\": \"%s\"}", day);
	json_decref(gw_call("POST", "/reconciliations", body, 200));
	snprintf(path, sizeof(path), "/reconciliations?date=%s", day);
	return gw_call("GET", path, NULL, 200);
}

/* The end-to-end ids of the items of kind in day's reconciliation,
 * joined by " " (and the account of each when with_account). */
static char *
gw_items(const char *day, const char *kind, bool with_account)
{
	char path[128];
	snprintf(path, sizeof(path), "/reconciliations/%s/items?kind=%s", day,
	    kind);
	json_t *r        = gw_call("GET", path, NULL, 200);
	char    buf[512] = "";
	size_t  len      = 0, i;
	json_t *it;
	json_array_foreach(json_object_get(r, "items"), i, it)
	{
		len += (size_t) snprintf(buf + len, sizeof(buf) - len,
		    "%s%s%s%s", i ? " " : "", jstr(it, "end_to_end_id"),
		    with_account ? "@" : "",
		    with_account ? jstr(it, "account") : "");
		if (len >= sizeof(buf))
			break;
	}
	json_decref(r);
	return strdup(buf);
}

/* An emergency grant of fen (instalment_hex's payee), to be paid at
 * once, in emergency's outbox; the injector publishing it. */
static th_proc *
inject_grant(const char *grant_id, int64_t fen)
{
	th_proc *p       = injector("emergency");
	char    *h       = instalment_hex(grant_id, 0, 0, fen, 0);
	char    *topic[] = { "emergency.granted" },
	     *subj[] = { (char *) grant_id }, *hexes[] = { h };
	outbox_put("emergency", topic, subj, hexes, 1);
	free(h);
	return p;
}

/* An emergency grant of fen (instalment_hex's payee), paid at once; its
 * end-to-end id once settled. */
static char *
pay_grant(const char *grant_id, int64_t fen)
{
	th_proc *p = inject_grant(grant_id, fen);
	if (!th_wait_int(&T, 1, 60000,
	        "SELECT count(*) FROM %s.payment WHERE grant_id = '%s'"
	        " AND status = 'settled'",
	        schema, grant_id))
		th_fail(&T, "the grant %s was not paid", grant_id);
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
	return th_text(&T,
	    "SELECT e2e_id FROM %s.payment WHERE grant_id = '%s'", schema,
	    grant_id);
}

/* The district's day now (the gateway's and bank-sim's clocks are not
 * shifted). */
static void
today(char day[SN_DATE_STRLEN])
{
	sn_date_format(sn_clock_today(), day);
}

#define DROPPED "sn_bank_sim_iso_answers_total{act=\"dropped\"}"

/* Approves run id and waits for bank-sim to crash as told, reading its
 * count of withheld answers until then; restarts it without the crash;
 * the count read last (a lower bound: the crash may come between two
 * reads). */
static int64_t
crash_and_restart(const char *id, int crash_after)
{
	approve(id, approver);
	int64_t  dropped = 0;
	uint64_t end     = th_now_ms() + 240000;
	while (th_alive(bank.sim) && th_now_ms() < end) {
		int64_t d = th_metric_http(&T, bank.sim_port, DROPPED);
		if (d > dropped)
			dropped = d;
		th_sleep_ms(100);
	}
	int st = th_wait_exit(&T, bank.sim, 1000);
	TH_CHECK(&T, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "bank-sim did not crash as told (status %d)", st);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.iso_messages", bschema)
	        >= crash_after,
	    "bank-sim crashed after %lld messages, before the %d-th",
	    (long long) th_int(
	        &T, "SELECT count(*) FROM %s.iso_messages", bschema),
	    crash_after);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE run_id = '%s'"
	        " AND status IN ('settled', 'rejected')",
	        schema, id)
	        < th_int(&T, "SELECT payments FROM %s.run WHERE id = '%s'",
	            schema, id),
	    "the run was over before bank-sim crashed");
	sim_more[1] = NULL; /* the same seed, no crash */
	restart_sim("5", "0");
	return dropped;
}

/* Every payee of run_10k paid once or refused for its reason, in the
 * bank's book, in disbursement and in its events. */
static void
check_10k_paid(const char *id, int n, int r)
{
	check_bank(n - r);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(DISTINCT account_number) FROM %s b"
	        " WHERE status IN ('settled', 'rejected')",
	        book())
	            == n
	        && th_int(&T, "SELECT count(*) FROM %s b", book()) == n,
	    "the bank's book does not hold each payee once");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s b JOIN %s.payment p"
	        " ON p.e2e_id = b.end_to_end_id JOIN %s.payee e"
	        " ON e.id = p.payee_id WHERE b.status = 'rejected'"
	        " AND p.status = 'rejected' AND b.iso_reason = p.reason_code"
	        " AND p.reason_code = " REJECT_CODE_SQL,
	        book(), schema, schema)
	        == r,
	    "the bank did not refuse the %d accounts for their reasons", r);
	/* held with the ISO code, the Chinese reason and the English one */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment p JOIN %s.payee e"
	        " ON e.id = p.payee_id WHERE p.run_id = '%s'"
	        " AND p.status = 'rejected' AND p.reason_code "
	        "= " REJECT_CODE_SQL
	        " AND octet_length(p.reason) > length(p.reason)"
	        " AND length(p.reason_en) > 0",
	        schema, schema,
	        id) == r
	        && th_int(&T,
	               "SELECT count(*) FROM %s.payment WHERE run_id = '%s'"
	               " AND status = 'settled'",
	               schema, id)
	            == n - r,
	    "disbursement does not hold %d settled and %d refused with "
	    "their ISO codes and reasons",
	    n - r, r);
	check_failed_events(r, reject_codes);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic = "
	        "'payment.settled'",
	        schema)
	        == n - r,
	    "want one payment.settled per payee paid");
}

/* The run's day(s) reconciled balanced on camt.054; the payments matched,
 * in total (a run across the district's midnight has two days). */
static int64_t
check_10k_reconciled(const char *id, const char *day0, const char *day1)
{
	int64_t matched = 0;
	for (int d = 0; d < (strcmp(day0, day1) != 0 ? 2 : 1); d++) {
		json_t *r   = gw_reconcile(d == 0 ? day1 : day0);
		json_t *run = NULL, *x;
		size_t  i;
		json_array_foreach(json_object_get(r, "runs"), i, x)
		{
			if (strcmp(jstr(x, "run_id"), id) == 0)
				run = x;
		}
		TH_CHECK(&T,
		    json_is_true(json_object_get(r, "balanced")) && run != NULL
		        && json_is_true(json_object_get(run, "balanced"))
		        && jpath(r, "kinds.missing_entry.count") == 0
		        && jpath(r, "kinds.unmatched_entry.count") == 0
		        && jpath(r, "kinds.matched.count")
		            == jpath(r, "payments"),
		    "the camt.054 reconciliation does not balance: %s",
		    json_dumps(r, 0));
		matched += jpath(r, "kinds.matched.count");
		json_decref(r);
	}
	return matched;
}

/*
 * Issue 14's run: 10,000 payees through bank-gateway,
 * bank-sim refusing 1 % of the accounts by reason code (AC04, AC06,
 * MD07, BE01: reject_codes), withholding 5 % of its answers (held
 * HOLD_MS, past the gateway's deadline: the gateway gives no reply and
 * disbursement sends the same batch, the same ids, again) and crashing
 * once after its CRASH-th message (SN_BANK_SIM_CRASH_AFTER; restarted
 * without it on its port). Its dice are seeded (SN_BANK_SIM_SEED=78: the
 * 3rd and 6th answers of each process are withheld, 5 % in all), so the
 * faults come every time. Every payee is paid exactly once in the bank's
 * book or refused there for its reason, which disbursement holds and
 * payment.failed carries; the faults happened (bank-sim's count of
 * withheld answers, the gateway's timeouts and repeats, the crash); the
 * camt.054 reconciliation of the day balances with every payment
 * matched, by the same gateway (its statement deadline is not
 * GW_MS). Then a fee the bank booked on the dibao account (no payment)
 * and a grant paid while bank-sim leaves payments out of its statements
 * (SN_BANK_SIM_STATEMENT_OMIT_PERCENT=100: a payment with no entry) are
 * both reported by the next reconciliation, by their ids.
 */
static void
run_10k(void)
{
	enum { N = 10000, R = N / 100, CRASH = N / 250 };
	uint64_t t0 = th_now_ms();
	fixture_rejecting(N);
	disb_timeout_ms = 3000; /* above the gateway's deadline */
	sim_more[0]     = "SN_BANK_SIM_SEED=78";
	sim_more[1]     = kept_int("SN_BANK_SIM_CRASH_AFTER", CRASH);
	start("5", "0");
	inject_payees(N);
	allocate("dibao", 1000000000LL);
	allocate("tekun", 1000000000LL);
	char *id = build_run();
	TH_CHECK(&T,
	    th_int(
	        &T, "SELECT payments FROM %s.run WHERE id = '%s'", schema, id)
	        == N,
	    "the run has not one payment per payee");
	char path[128];
	snprintf(path, sizeof(path), "/runs/%s/plan", id);
	answer a = call("GET", path, finance, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && json_integer_value(json_object_get(a.body, "payments")) == N
	        && json_array_size(json_object_get(a.body, "rows")) == 6,
	    "plan: %d", a.status);
	json_decref(a.body);
	char day0[SN_DATE_STRLEN], day1[SN_DATE_STRLEN];
	today(day0);
	uint64_t t1             = th_now_ms();
	int64_t  dropped_before = crash_and_restart(id, CRASH);
	wait_completed(id, 240000, "after bank-sim's crash");
	uint64_t t2 = th_now_ms();
	today(day1);
	check_10k_paid(id, N, R);
	check_reconciled(id, N - R, R);

	/* The faults happened: answers withheld (counted by bank-sim before
	 * its crash and after its restart), the gateway timed out on them and
	 * was sent the same batches again, and so was bank-sim. */
	int64_t dropped_after = th_metric_http(&T, bank.sim_port, DROPPED);
	int64_t sim_repeats   = th_metric_http(&T, bank.sim_port,
	      "sn_bank_sim_iso_messages_total{outcome=\"repeated\"}");
	int64_t gw_timeouts   = th_metric_http(&T, bank.gw_port,
	      "sn_bank_gateway_bank_requests_total{call=\"pain.001\","
	        "result=\"timeout\"}");
	int64_t gw_repeats    = th_metric_http(&T, bank.gw_port,
	       "sn_bank_gateway_batches_total{outcome=\"repeated\"}");
	int64_t resent        = th_metric_http(&T, port,
	           "sn_disbursement_bank_requests_total{kind=\"batch\","
	                  "outcome=\"timeout\"}");
	TH_CHECK(&T,
	    dropped_before > 0 && dropped_after > 0
	        && gw_timeouts >= dropped_after && gw_repeats > 0
	        && sim_repeats > 0 && resent > 0,
	    "the faults did not all happen: %lld + %lld answers withheld, "
	    "%lld gateway timeouts, %lld repeats at the gateway, %lld at "
	    "bank-sim, %lld batches sent again",
	    (long long) dropped_before, (long long) dropped_after,
	    (long long) gw_timeouts, (long long) gw_repeats,
	    (long long) sim_repeats, (long long) resent);

	/* The camt.054 reconciliation balances, every payment matched, by
	 * the same gateway: a statement of thousands of entries may take
	 * longer than the pain.001 deadline that made the withheld answers
	 * time out (GW_MS), and has its own
	 * (SN_BANK_GATEWAY_STATEMENT_TIMEOUT_MS, default 5 minutes). */
	int64_t matched = check_10k_reconciled(id, day0, day1);
	TH_CHECK(&T, matched == N - R, "%lld payments matched, want %d",
	    (long long) matched, N - R);

	/* A payment with no entry (bank-sim omitting every payment from its
	 * statements from now on) and an entry with no payment (a fee). */
	th_stop(&T, bank.sim);
	sim_more[0] = "SN_BANK_SIM_STATEMENT_OMIT_PERCENT=100";
	restart_sim("0", "0");
	char *e2e = pay_grant("8d1f6c1e-0000-4000-8000-00000000100a", 70000);
	char  day[SN_DATE_STRLEN], body[160], *out = NULL;
	today(day);
	snprintf(body, sizeof(body),
	    "{\"end_to_end_id\": \"FEE-10K-1\", \"amount_fen\": 500,"
	    " \"date\": \"%s\"}",
	    day);
	int st = th_http(&T, bank.sim_port, "POST",
	    "/accounts/" ACCT_DIBAO "/entries", NULL, NULL, body, &out);
	TH_CHECK(&T, st == 201, "the bank's fee: %d %s", st, out);
	free(out);
	json_t *r = gw_reconcile(day);
	TH_CHECK(&T,
	    json_is_false(json_object_get(r, "balanced"))
	        && jpath(r, "kinds.missing_entry.count") == 1
	        && jpath(r, "kinds.missing_entry.expected_fen") == 70000
	        && jpath(r, "kinds.unmatched_entry.count") == 1
	        && jpath(r, "kinds.unmatched_entry.booked_fen") == 500
	        && jpath(r, "kinds.matched.count")
	            == (strcmp(day, day1) == 0 ? matched : 0),
	    "the fee and the grant without an entry: %s", json_dumps(r, 0));
	json_decref(r);
	char *missing   = gw_items(day, "missing_entry", false);
	char *unmatched = gw_items(day, "unmatched_entry", true);
	TH_CHECK(&T,
	    e2e != NULL && strcmp(missing, e2e) == 0
	        && strcmp(unmatched, "FEE-10K-1@" ACCT_DIBAO) == 0,
	    "reported: missing_entry [%s] (want %s), unmatched_entry [%s]",
	    missing, e2e != NULL ? e2e : "(none)", unmatched);
	char   by_code[128] = "";
	size_t blen         = 0;
	for (int k = 0; k < 4; k++)
		blen += (size_t) snprintf(by_code + blen,
		    sizeof(by_code) - blen, "%s%s %lld", k ? ", " : "",
		    reject_codes[k],
		    (long long) th_int(&T,
		        "SELECT count(*) FROM %s.payment WHERE run_id = '%s'"
		        " AND reason_code = '%s'",
		        schema, id, reject_codes[k]));
	printf("run_10k: %d payees, %d refused (%s), %lld answers withheld "
	       "(%lld+ before the crash after message %d, %lld after), %lld "
	       "batches sent again by disbursement, %lld repeats at the "
	       "gateway, %lld at bank-sim after its restart, %lld matched on "
	       "camt.054; paid in %.1f s, %.1f s in all\n",
	    N, R, by_code, (long long) (dropped_before + dropped_after),
	    (long long) dropped_before, CRASH, (long long) dropped_after,
	    (long long) resent, (long long) gw_repeats,
	    (long long) sim_repeats, (long long) matched,
	    (double) (t2 - t1) / 1000.0, (double) (th_now_ms() - t0) / 1000.0);
	free(missing);
	free(unmatched);
	free(e2e);
	free(id);
}

/* disbursement killed with SIGKILL several times while it sends: after
 * the last restart every payee is paid once and none is left out. */
static void
sigkill(void)
{
	enum { N = 6000 };
	settle_ms       = "400"; /* ACCEPTED first: settled only via queries */
	disb_timeout_ms = 3000;  /* above the gateway's deadline */
	start("2", "2");
	inject_payees(N);
	allocate("dibao", 1000000000LL);
	allocate("tekun", 1000000000LL);
	char *id = build_run();
	approve(id, approver);
	th_proc *p = disb;
	for (int k = 1; k <= 3; k++) {
		if (!th_wait_int(&T, 1, 120000,
		        "SELECT (count(*) >= %d)::int FROM %s.payment"
		        " WHERE status IN ('sent', 'accepted', 'settled',"
		        " 'rejected')",
		        k * N / 5, schema))
			th_fail(
			    &T, "sending did not progress before kill %d", k);
		int64_t settled = th_int(&T,
		    "SELECT count(*) FROM %s.payment WHERE status = 'settled'",
		    schema);
		TH_CHECK(&T, settled < N,
		    "kill %d came after every payment settled", k);
		th_kill(&T, p, SIGKILL);
		p = start_disbursement();
	}
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s b"
	        " WHERE status = 'accepted'",
	        book())
	            > 0
	        || th_int(&T,
	               "SELECT count(*) FROM %s.payment"
	               " WHERE status = 'settled'",
	               schema)
	            < N,
	    "the run was over before the last restart");
	wait_completed(id, 240000, "after the kills");
	check_bank(N);
	check_reconciled(id, N, 0);
	free(id);
}

/* A second connection holding, in an open transaction, the payments of
 * run id that the clause `rest` (appended to the run's condition) names,
 * locked as a second sender's claim would hold them; want of them. */
static PGconn *
hold_payments(const char *id, const char *rest, int want)
{
	PGconn *c = PQconnectdb(T.db_url);
	if (PQstatus(c) != CONNECTION_OK)
		th_fail(&T, "a second connection: %s", PQerrorMessage(c));
	char q[512];
	snprintf(q, sizeof(q),
	    "BEGIN; SELECT id FROM %s.payment WHERE run_id = '%s' %s"
	    " FOR UPDATE",
	    schema, id, rest);
	/* The rows locked, from the command's tag ("SELECT 5"). */
	PGresult *r = PQexec(c, q);
	TH_CHECK(&T,
	    PQresultStatus(r) == PGRES_TUPLES_OK
	        && atoi(PQcmdTuples(r)) == want,
	    "locking %d payments: %s", want, PQerrorMessage(c));
	PQclear(r);
	return c;
}

/* Ends hold_payments's transaction: the payments are free. */
static void
let_go(PGconn *c)
{
	PGresult *r = PQexec(c, "COMMIT");
	TH_CHECK(&T, PQresultStatus(r) == PGRES_COMMAND_OK, "commit: %s",
	    PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* What has read disbursement's payment table so far
 * (pg_stat_user_tables, pg_stat_user_indexes): rows by sequential scans,
 * scans of the run's payments by fund and id (payment_run) and the
 * entries they read, and index entries read through any other of its
 * indexes. */
typedef struct {
	int64_t seq_rows, run_scans, run_entries, other_entries;
} payment_reads;

static payment_reads
payment_reads_now(void)
{
	payment_reads r;
	r.seq_rows      = th_seq_rows(&T, schema, "payment");
	r.run_scans     = th_int(&T,
	        "SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes"
	            " WHERE schemaname = '%s' AND indexrelname = 'payment_run'",
	        schema);
	r.run_entries   = th_int(&T,
	      "SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes"
	        " WHERE schemaname = '%s' AND indexrelname = 'payment_run'",
	      schema);
	r.other_entries = th_int(&T,
	    "SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes"
	    " WHERE schemaname = '%s' AND relname = 'payment'"
	    " AND indexrelname <> 'payment_run'",
	    schema);
	return r;
}

/*
 * Issue 15: a claim reads the planned payments of its own fund only, by
 * index, from its run's claim cursor on. Before migration 013 the claim's
 * planned part was, once it had a prepared statement's generic plan (the
 * same for every fund), a sequential scan of payment: each claim read
 * the table from its start, past every payment claimed already, and a
 * claim for a fund with nothing planned read all of it; the sender claims
 * for each of its four funds at least once a second, so at a million
 * payees that was millions of rows a second read for nothing. Since
 * migration 017 the claim takes a fund's planned payments in id order
 * from a cursor (payment_run), and the statements that find sent
 * payments walk the batches' rows. Here every planned payment of the run
 * is held locked by another transaction for 5 s after the approval (the
 * claims pass them over: SKIP LOCKED, and the cursor stays before them),
 * so the sender's claims, each finding nothing, are all that reads
 * payment; counted in those 5 s (the backends' counts reported after
 * it): the rows of payment read by sequential scans, under N; the
 * entries read through payment's other indexes, under N too (a plan
 * walking the primary key from the cursor would read them all each
 * claim); the scans of payment_run, at least one a second (the claims did
 * come, and read by it), and its entries under 10 N (each claim of the
 * held fund reads the held payments from the cursor, and after a claim
 * comes back short a fund's planned payments are looked for once a
 * second: a claim every pass would read 20 N a second). Then let go,
 * every payee is paid once.
 */
static void
claim_by_fund(void)
{
	enum { N = 2000 };
	start_funded(N);
	char   *id = build_run();
	PGconn *c  = hold_payments(id, "", N);
	th_sleep_ms(1500); /* every count of the build reported */
	payment_reads r0 = payment_reads_now();
	approve(id, approver);
	th_sleep_ms(5000);
	th_sleep_ms(1500); /* the backends' last counts of the 5 s */
	payment_reads r1      = payment_reads_now();
	int64_t       reads   = r1.seq_rows - r0.seq_rows;
	int64_t       scans   = r1.run_scans - r0.run_scans;
	int64_t       entries = r1.run_entries - r0.run_entries;
	int64_t       other   = r1.other_entries - r0.other_entries;
	int64_t       sent    = th_int(&T,
	             "SELECT count(*) FROM %s.payment WHERE status <> 'planned'",
	             schema);
	let_go(c);
	wait_completed(id, 60000, "after the payments were let go");
	check_bank(N);
	printf("claim_by_fund: %d planned payments held 5 s while the run was"
	       " being sent; in them payment's rows read by sequential scans:"
	       " %lld (%.1f tables), scans of payment_run: %lld reading %lld"
	       " entries, entries of its other indexes: %lld\n",
	    N, (long long) reads, (double) reads / N, (long long) scans,
	    (long long) entries, (long long) other);
	TH_CHECK(&T, sent == 0, "%lld payments were claimed while held",
	    (long long) sent);
	TH_CHECK(&T, reads < N,
	    "claims finding nothing read %lld of payment's rows by"
	    " sequential scans in 5 s (%d payments)",
	    (long long) reads, N);
	TH_CHECK(&T, other < N,
	    "claims finding nothing read %lld entries of payment's indexes"
	    " other than payment_run in 5 s (%d payments)",
	    (long long) other, N);
	TH_CHECK(&T, scans >= 5 && entries < 10 * N,
	    "payment_run was scanned %lld times in 5 s of claims (at least"
	    " one a second), reading %lld entries (want under %d)",
	    (long long) scans, (long long) entries, 10 * N);
	free(id);
}

/*
 * Issue 15 (migration 017): a payment is updated in place. It is updated
 * twice in the sending, claimed (planned to sent) and answered (sent to
 * settled), and neither update could be HOT: PostgreSQL writes a version
 * on the row's own page, entering no index, only when no column an index
 * names changes, and status was in five of payment's indexes (four by
 * predicate), checked_at in one; so each update wrote its version
 * elsewhere and entered every index again (0 of 380,000 updates HOT at
 * 100,000 payees). Here a run of N payments, built, approved, sent and
 * settled: at least four in five of its payments' updates are HOT, the
 * counts waited for until both updates of every payment show; every
 * payee is paid once; no batch's row is left, and one left behind with
 * none of its payments sent is closed.
 */
static void
payment_in_place(void)
{
	enum { N = 2000 };
	start_funded(N);
	char   *id  = build_run();
	int64_t upd = th_int(&T,
	    "SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_user_tables"
	    " WHERE schemaname = '%s' AND relname = 'payment'",
	    schema);
	int64_t hot = th_int(&T,
	    "SELECT coalesce(sum(n_tup_hot_upd), 0) FROM pg_stat_user_tables"
	    " WHERE schemaname = '%s' AND relname = 'payment'",
	    schema);
	approve(id, approver);
	wait_completed(id, 60000, "sending a run");
	check_bank(N);
	/* An idle backend reports its counts within 10 s
	 * (PGSTAT_IDLE_INTERVAL): waited for until both updates show. */
	bool shown = th_wait_int(&T, 1, 15000,
	    "SELECT (coalesce(sum(n_tup_upd), 0) - %lld >= %d)::int"
	    " FROM pg_stat_user_tables WHERE schemaname = '%s'"
	    " AND relname = 'payment'",
	    (long long) upd, 2 * N, schema);
	upd        = th_int(&T,
	                 "SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_user_tables"
	                        " WHERE schemaname = '%s' AND relname = 'payment'",
	                 schema)
	    - upd;
	hot = th_int(&T,
	          "SELECT coalesce(sum(n_tup_hot_upd), 0)"
	          " FROM pg_stat_user_tables WHERE schemaname = '%s'"
	          " AND relname = 'payment'",
	          schema)
	    - hot;
	printf("payment_in_place: %d payments sent and settled; their"
	       " updates %lld, of them HOT %lld\n",
	    N, (long long) upd, (long long) hot);
	TH_CHECK(&T, shown,
	    "the payments' updates were not reported (%lld of %d)",
	    (long long) upd, 2 * N);
	TH_CHECK(&T, hot * 5 >= upd * 4,
	    "%lld of the payments' %lld updates were HOT", (long long) hot,
	    (long long) upd);
	/* Every batch's row went with its last answer; a row left with no
	 * payment sent (two answers to parts of a batch in concurrent
	 * transactions) is closed by the run status pass once it is old. */
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.send_batch", schema) == 0,
	    "batch rows left after every payment was answered");
	th_exec(&T,
	    "INSERT INTO %s.send_batch (batch_id, sender, sent_at, payments)"
	    " SELECT 'B-left', 'p1-gone', now() - interval '1 hour',"
	    " array_agg(id) FROM %s.payment WHERE run_id = '%s'",
	    schema, schema, id);
	TH_CHECK(&T,
	    th_wait_int(
	        &T, 0, 15000, "SELECT count(*) FROM %s.send_batch", schema),
	    "a batch row with none of its payments sent was not closed");
	free(id);
}

/*
 * Issue 15: a build chunk looks up its own payees' payments of the month,
 * not all of them. Whether a payee has its month's payments already was an
 * EXISTS that the planner, its statistics having seen none of the month's
 * payments, turned into a hashed subplan reading every payment of the
 * month built so far, once per chunk: the build grew with the square of
 * the run (1.7 s a chunk of 10,000 by 640,000 payees). Likewise a month
 * to correct (SQL_PAST: a payee's register changed after an earlier run
 * was made) was a hash semi-join over all of payee_month, read whole for
 * each chunk in every month after the first. Here N payees in chunks of
 * 2,000 (start_disbursement), with an earlier month's run made after
 * every payee was registered (so that nothing is corrected, but every
 * payee is looked at again): the entries of payment_line_key read while
 * the run is built stay under N (one probe per payee that finds nothing
 * reads none; the old plan read each earlier chunk's payments again, 1.5
 * N here), and so do the rows of payee_month read by sequential scans
 * (the whole table a chunk before).
 */
static void
build_reads(void)
{
	enum { N = 8000 };
	static const char line_key[]
	    = "SELECT coalesce(sum(%s), 0) FROM pg_stat_user_indexes"
	      " WHERE schemaname = '%s' AND indexrelname = 'payment_line_key'";
	start_funded(N);
	th_exec(&T,
	    "INSERT INTO %s.run (period, status, created_by, created_at)"
	    " VALUES ('2026-02', 'completed', 'fin-1',"
	    " now() + interval '1 day')",
	    schema);
	th_sleep_ms(1500); /* every count before the build reported */
	int64_t read0  = th_int(&T, line_key, "idx_tup_read", schema);
	int64_t scans0 = th_int(&T, line_key, "idx_scan", schema);
	int64_t seq0   = th_seq_rows(&T, schema, "payee_month");
	char   *id     = build_run();
	int64_t made   = th_int(&T,
	      "SELECT count(*) FROM %s.payment WHERE run_id = '%s'", schema, id);
	/* Each payment's insert looks its key up (ON CONFLICT): once that
	 * many scans are counted, the build's backend has reported (an idle
	 * backend within 10 s); else the counts below are not the build's. */
	bool    shown = th_wait_int(&T, 1, 12000,
	       "SELECT (coalesce(sum(idx_scan), 0) - %lld >= %lld)::int"
	          " FROM pg_stat_user_indexes WHERE schemaname = '%s'"
	          " AND indexrelname = 'payment_line_key'",
	       (long long) scans0, (long long) made, schema);
	int64_t scans = th_int(&T, line_key, "idx_scan", schema) - scans0;
	int64_t read  = th_int(&T, line_key, "idx_tup_read", schema) - read0;
	TH_CHECK(&T, shown,
	    "the build's counts were not reported (%lld of %lld look-ups)",
	    (long long) scans, (long long) made);
	int64_t seq = th_seq_rows(&T, schema, "payee_month") - seq0;
	printf("build_reads: %d payees in chunks of 2,000, %lld payments;"
	       " entries of payment_line_key read meanwhile: %lld, rows of"
	       " payee_month read by sequential scans: %lld\n",
	    N, (long long) made, (long long) read, (long long) seq);
	TH_CHECK(&T, made >= N, "the run has %lld payments for %d payees",
	    (long long) made, N);
	TH_CHECK(&T, read < N,
	    "building %d payees read %lld entries of payment_line_key", N,
	    (long long) read);
	TH_CHECK(&T, seq < N,
	    "building %d payees read %lld rows of payee_month by sequential"
	    " scans",
	    N, (long long) seq);
	free(id);
}

/*
 * Issue 15 (migration 016): a run's build locks no payee. payment's payee
 * and run were foreign keys, checked row by row: each payment built ran
 * two look-ups of its own and locked its payee's row FOR KEY SHARE, a WAL
 * record and a page dirtied again per payee (a million a province's run).
 * They are checked once a statement now: here the build of N payees'
 * payments writes no row lock on payee (N before), and the rule is whole
 * still: a payment naming no payee or no run is refused (23503), its payee
 * or run cannot change (23503), nor a payee or run be deleted or
 * renumbered (23001); a change of anything else goes on. Then the run is
 * paid, every payee once.
 */
static void
references(void)
{
	enum { N = 300 };
	start_funded(N);
	char   *mark  = th_wal_mark(&T);
	char   *id    = build_run();
	int64_t locks = th_wal_row_locks(&T, mark, schema, "payee");
	int64_t made  = th_int(&T,
	     "SELECT count(*) FROM %s.payment WHERE run_id = '%s'", schema, id);
	printf("references: a run of %lld payments for %d payees built; row"
	       " locks written on payee meanwhile: %lld\n",
	    (long long) made, N, (long long) locks);
	TH_CHECK(&T, made >= N, "the run has %lld payments for %d payees",
	    (long long) made, N);
	TH_CHECK(&T, locks == 0,
	    "building the run locked %lld payee rows (%d payees)",
	    (long long) locks, N);

	/* A payment as the build makes one (of a month no run pays, so that
	 * no other rule refuses it first), but for a payee or a run that does
	 * not exist. */
	static const char insert[]
	    = "INSERT INTO %s.payment (id, payee_id, fund, period, year,"
	      " run_id, amount_fen, e2e_id, status) SELECT u, %s, 'dibao',"
	      " '2026-09', 2026, %s, 100,"
	      " %s.e2e_of(u, 1), 'planned' FROM gen_random_uuid() u";
	char payee[96], run[96];
	snprintf(
	    payee, sizeof(payee), "(SELECT min(id) FROM %s.payee)", schema);
	snprintf(run, sizeof(run), "'%s'::uuid", id);
	/* 23503 as a foreign key's, for a payment of no payee, of no run,
	 * moved to other payees or out of its run; 23001 for a payee or run
	 * deleted or renumbered; the rest of a payment changes. */
	th_sqlstate(&T, "23503", insert, schema, "-1", run, schema);
	th_sqlstate(
	    &T, "23503", insert, schema, payee, "gen_random_uuid()", schema);
	th_sqlstate(&T, "23503",
	    "UPDATE %s.payment SET payee_id = payee_id + 1"
	    " WHERE run_id = '%s'",
	    schema, id);
	th_sqlstate(&T, "23503",
	    "UPDATE %s.payment SET run_id = NULL WHERE run_id = '%s'", schema,
	    id);
	th_sqlstate(
	    &T, "23001", "DELETE FROM %s.payee WHERE id = %s", schema, payee);
	th_sqlstate(&T, "23001", "UPDATE %s.payee SET id = -id", schema);
	th_sqlstate(
	    &T, "23001", "DELETE FROM %s.run WHERE id = '%s'", schema, id);
	th_sqlstate(&T, "",
	    "UPDATE %s.payment SET checked_at = now() WHERE run_id = '%s'",
	    schema, id);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE run_id = '%s'"
	        " AND payee_id IS NOT NULL",
	        schema, id)
	        == made,
	    "the run's payments changed");

	approve(id, approver);
	wait_completed(id, 60000, "");
	check_bank(N);
	free(mark);
	free(id);
}

/* Payments another transaction holds locked when the claims come, as a
 * second sender's claim would hold them, are passed over, not waited for
 * (SQL_CLAIM's SKIP LOCKED): the claims take the payments after them.
 * Once free they are sent too, every payment once, and only then does the
 * run complete. */
static void
passed_over(void)
{
	enum { N = 600, HELD = 5 };
	start_funded(N);
	char *id = build_run();
	char  first[64];
	snprintf(first, sizeof(first),
	    "AND fund = 'dibao' ORDER BY list_seq LIMIT %d", HELD);
	PGconn *c = hold_payments(id, first, HELD);
	approve(id, approver);
	if (!th_wait_int(&T, N - HELD, 60000,
	        "SELECT count(*) FROM %s.payment WHERE run_id = '%s'"
	        " AND status <> 'planned'",
	        schema, id))
		th_fail(&T, "the payments not held were not all sent");
	/* The claims went on past the held ones, and the run waits. */
	int64_t after = th_int(&T,
	    "SELECT count(*) FROM %s.payment p WHERE run_id = '%s'"
	    " AND fund = 'dibao' AND status <> 'planned' AND list_seq >"
	    " (SELECT max(list_seq) FROM %s.payment WHERE run_id = '%s'"
	    "  AND status = 'planned')",
	    schema, id, schema, id);
	int64_t held  = th_int(&T,
	     "SELECT count(*) FROM %s.payment WHERE run_id = '%s'"
	      " AND status = 'planned'",
	     schema, id);
	int64_t open  = th_int(&T,
	     "SELECT count(*) FROM %s.run WHERE id = '%s'"
	      " AND status = 'completed'",
	     schema, id);
	TH_CHECK(&T, held == HELD && after > 0 && open == 0,
	    "held %lld planned (want %d), %lld dibao sent after them, run "
	    "completed %lld",
	    (long long) held, HELD, (long long) after, (long long) open);
	let_go(c);
	wait_completed(id, 60000, "after the held payments were let go");
	check_bank(N);
	printf("passed_over: %d payees, %d held while %lld dibao payments "
	       "after them went out; sent once let go, the run completed\n",
	    N, HELD, (long long) after);
	free(id);
}

/* Segregation of duties and the budget: the creator may not approve, nor
 * an approver who decided a case the run pays; a run beyond the budget
 * pays what fits and reports the rest; a rejected run gives its budget
 * back; a second live run for a period is refused. */
static void
duties(void)
{
	start("0", "0");
	inject_payees(50);
	/* 25 dibao payees; room for 10 of the cheapest kind only. */
	allocate("dibao", 10LL * MONTHLY + 300);
	allocate("tekun", 1000000000LL);
	char *id = build_run();
	char  path[128];
	snprintf(path, sizeof(path), "/runs/%s/approval", id);
	char  *fin_as_approver = token("fin-1", "finance_approver", DISTRICT);
	answer a               = call(
	                  "POST", path, fin_as_approver, "{\"decision\": \"approve\"}");
	TH_CHECK(&T, a.status == 403 && strcmp(jerr(a.body), "same_user") == 0,
	    "creator approving: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
	free(fin_as_approver);
	a = call(
	    "POST", path, approver_decider, "{\"decision\": \"approve\"}");
	TH_CHECK(&T,
	    a.status == 403 && strcmp(jerr(a.body), "approved_a_case") == 0,
	    "decider approving: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
	a = call("POST", "/runs", finance_b, "{\"period\": \"" PERIOD "\"}");
	TH_CHECK(&T,
	    a.status == 409 && strcmp(jerr(a.body), "run_exists") == 0,
	    "a second run: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
	int64_t drawn = th_int(&T,
	    "SELECT drawn_fen FROM %s.budget WHERE fund = 'dibao'", schema);
	int64_t alloc = th_int(&T,
	    "SELECT allocated_fen FROM %s.budget WHERE fund = 'dibao'",
	    schema);
	TH_CHECK(&T, drawn <= alloc && drawn > 0, "dibao drew %lld of %lld",
	    (long long) drawn, (long long) alloc);
	TH_CHECK(&T,
	    th_int(&T, "SELECT short_count FROM %s.run WHERE id = '%s'",
	        schema, id)
	        == 25
	            - th_int(&T,
	                "SELECT count(*) FROM %s.payment"
	                " WHERE fund = 'dibao'",
	                schema),
	    "the shortfall is not reported");
	/* Reject: payments gone, budget back. */
	a = call("POST", path, approver, "{\"decision\": \"reject\"}");
	TH_CHECK(&T, a.status == 200, "reject: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.payment", schema) == 0
	        && th_int(&T,
	               "SELECT drawn_fen FROM %s.budget"
	               " WHERE fund = 'dibao'",
	               schema)
	            == 0,
	    "the rejected run left payments or budget drawn");
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s b", book()) == 0,
	    "a rejected run sent instructions");
	/* The period runs again, and an approver who decided none pays it. */
	allocate("dibao", 1000000000LL);
	free(id);
	id = build_run();
	pay_run(id);
	check_bank(50);
	free(id);
}

/* One request that must be refused with status, code and (unless NULL)
 * field. */
static void
expect(const char *what, const char *method, const char *path, char *tok,
    const char *body, int status, const char *code, const char *field)
{
	answer      a = call(method, path, tok, body);
	const char *f = json_string_value(
	    json_object_get(json_object_get(a.body, "error"), "field"));
	TH_CHECK(&T,
	    a.status == status && strcmp(jerr(a.body), code) == 0
	        && (field == NULL || (f != NULL && strcmp(f, field) == 0)),
	    "%s: %d %s (field %s), want %d %s (field %s)", what, a.status,
	    jerr(a.body), f != NULL ? f : "null", status, code,
	    field != NULL ? field : "any");
	json_decref(a.body);
}

/* One payee.changed for payment pid: payee 1's new account, proposed by
 * tk-2 and confirmed by finance; the payee's account for later runs. */
static void
check_payee_changed(const char *pid)
{
	size_t                     len;
	uint8_t                   *data = th_bytes_at(&T, 0, &len,
	                      "SELECT data FROM %s.outbox WHERE topic = 'payee.changed'",
	                      schema);
	Sn__Pay__V1__PayeeChanged *m    = data != NULL
	       ? sn__pay__v1__payee_changed__unpack(NULL, len, data)
	       : NULL;
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic = 'payee.changed'",
	        schema)
	            == 1
	        && m != NULL && strcmp(m->beneficiary_id, "ben-000001") == 0
	        && strcmp(m->application_id, "app-000001") == 0
	        && strcmp(m->account_number, "6222020000099999") == 0
	        && strcmp(m->account_name, "spouse 1") == 0
	        && strcmp(m->bank_code, "ICBC") == 0
	        && strcmp(m->payment_id, pid) == 0
	        && strcmp(m->requested_by, "tk-2") == 0
	        && strcmp(m->confirmed_by, "fin-1") == 0
	        && m->changed_at[0] != '\0' && m->grant_id[0] == '\0',
	    "payee.changed does not describe the confirmed change");
	sn__pay__v1__payee_changed__free_unpacked(m, NULL);
	free(data);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payee WHERE application_id ="
	        " 'app-000001' AND account_number_index = '%s'"
	        " AND account_number IS NULL AND account_name = 'spouse 1'",
	        schema, acct_index("6222020000099999"))
	        == 1,
	    "the payee's account was not changed for later runs");
}

/* A payment rejected for a closed account is held (payment.failed with
 * the reason), corrected by the township, and paid under a new e2e id:
 * still one payment, paid once; the old id stays rejected at the bank. */
static void
correction(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/accounts.json", T.run_dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		th_fail(&T, "cannot write %s", path);
	/* Payee 1 (dibao, township 220103001) has a closed account. */
	fprintf(f,
	    "{\"6222020000000001\": {\"name\": \"payee 1\","
	    " \"closed\": true}}\n");
	fclose(f);
	snprintf(
	    fixture_env, sizeof(fixture_env), "SN_BANK_SIM_FIXTURE=%s", path);
	start_funded(3);
	char *id = build_run();
	pay_run(id);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE status = 'rejected'"
	        " AND reason_code = 'AC04'",
	        schema)
	        == 1,
	    "want the closed account's payment rejected and held");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox"
	        " WHERE topic = 'payment.failed'",
	        schema)
	        == 1,
	    "want one payment.failed");
	char  pid[64], old_e2e[64];
	char *v = th_text_at(&T, 0, 0,
	    "SELECT id, e2e_id FROM %s.payment WHERE status = 'rejected'",
	    schema);
	char *e = th_text_at(&T, 0, 1,
	    "SELECT id, e2e_id FROM %s.payment WHERE status = 'rejected'",
	    schema);
	TH_CHECK(&T, v != NULL && e != NULL, "no rejected payment");
	snprintf(pid, sizeof(pid), "%s", v);
	snprintf(old_e2e, sizeof(old_e2e), "%s", e);
	free(v);
	free(e);
	char upath[128], cpath[160], rpath[160];
	snprintf(upath, sizeof(upath), "/payments/%s/account", pid);
	snprintf(cpath, sizeof(cpath), "%s/confirmation", upath);
	snprintf(rpath, sizeof(rpath), "%s/rejection", upath);
	const char *acct
	    = "{\"bank_code\": \"ICBC\", \"account_number\":"
	      " \"6222020000099999\", \"account_name\": \"spouse 1\"}";
	const char *acct_a
	    = "{\"bank_code\": \"ICBC\", \"account_number\":"
	      " \"6222020000088888\", \"account_name\": \"payee 1\"}";
	/* Another township's officer does not see it. */
	char  *other = token("tk-9", "township_officer", "220103002");
	answer a     = call("PUT", upath, other, acct);
	TH_CHECK(
	    &T, a.status == 404, "another township corrected: %d", a.status);
	json_decref(a.body);
	char *mine = token("tk-2", "township_officer", "220103001");
	char *peer = token("tk-3", "township_officer", "220103001");
	/* The holder must be a member of the household (issue 10). */
	expect("a holder outside the household", "PUT", upath, mine,
	    "{\"bank_code\": \"ICBC\", \"account_number\":"
	    " \"6222020000077777\", \"account_name\": \"a stranger\"}",
	    422, "name_not_member", "account_name");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.account_proposal", schema)
	        == 0,
	    "a refused proposal was stored");
	/* One user proposes: pending, the payment still held. */
	a = call("PUT", upath, mine, acct_a);
	TH_CHECK(&T,
	    a.status == 202 && strcmp(jstr(a.body, "status"), "pending") == 0
	        && strcmp(jstr(a.body, "requested_by"), "tk-2") == 0,
	    "a proposal: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE id = '%s'"
	        " AND status = 'rejected' AND attempt = 1"
	        " AND e2e_id = '%s'",
	        schema, pid, old_e2e)
	        == 1,
	    "a proposal alone changed the payment");
	/* A second proposal by the same user replaces the pending one. */
	a = call("PUT", upath, mine, acct);
	TH_CHECK(&T, a.status == 202, "a second proposal: %d %s", a.status,
	    jerr(a.body));
	json_decref(a.body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.account_proposal"
	        " WHERE status = 'pending' AND account_number IS NULL"
	        " AND account_number_index = '%s'",
	        schema, acct_index("6222020000099999"))
	            == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s.account_proposal"
	               " WHERE status = 'replaced'",
	               schema)
	            == 1,
	    "the second proposal did not replace the first");
	/* The maker cannot confirm it; another officer rejects it. */
	expect("the maker confirms", "POST", cpath, mine, NULL, 403,
	    "same_user", NULL);
	a = call("POST", rpath, peer, "{\"reason\": \"wrong branch\"}");
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "status"), "rejected") == 0
	        && strcmp(jstr(a.body, "decided_by"), "tk-3") == 0,
	    "the checker's rejection: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
	expect("a confirmation with nothing pending", "POST", cpath, peer,
	    NULL, 409, "nothing_pending", NULL);
	/* A new proposal by another user replaces one pending: its maker
	 * is the one who may not confirm. */
	a = call("PUT", upath, peer, acct_a);
	json_decref(a.body);
	a = call("PUT", upath, mine, acct);
	TH_CHECK(&T, a.status == 202, "a third proposal: %d", a.status);
	json_decref(a.body);
	char gpath[128];
	snprintf(gpath, sizeof(gpath), "/payments/%s", pid);
	a          = call("GET", gpath, peer, NULL);
	json_t *ch = json_object_get(a.body, "account_change");
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(ch, "requested_by"), "tk-2") == 0
	        && strcmp(jstr(ch, "account_name"), "spouse 1") == 0
	        && strcmp(jstr(a.body, "status"), "rejected") == 0,
	    "GET /payments/{id} with a change pending: %d %s", a.status,
	    json_dumps(a.body, 0));
	json_decref(a.body);
	expect("the new maker confirms", "POST", cpath, mine, "{}", 403,
	    "same_user", NULL);
	expect("another township confirms", "POST", cpath, other, NULL, 404,
	    "not_found", NULL);
	/* finance confirms: out again under a new end-to-end id */
	a = call("POST", cpath, finance, NULL);
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "status"), "ready") == 0
	        && strcmp(jstr(a.body, "end_to_end_id"), old_e2e) != 0
	        && strlen(jstr(a.body, "end_to_end_id")) <= 35,
	    "confirmation: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
	free(other);
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.payment WHERE id = '%s'"
	        " AND status = 'settled'",
	        schema, pid))
		th_fail(&T, "the corrected payment was not paid");
	a = call("PUT", upath, mine, acct);
	TH_CHECK(&T,
	    a.status == 409 && strcmp(jerr(a.body), "not_rejected") == 0,
	    "a settled payment corrected again: %d %s", a.status,
	    jerr(a.body));
	json_decref(a.body);
	free(mine);
	free(peer);
	check_payee_changed(pid);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s b"
	        " WHERE end_to_end_id = '%s' AND status = 'rejected'",
	        book(), old_e2e)
	            == 1
	        && th_int(&T,
	               "SELECT count(*) FROM %s b"
	               " WHERE account_number = '6222020000099999'"
	               " AND status = 'settled'",
	               book())
	            == 1,
	    "the bank's records of the correction are wrong");
	check_bank(3);
	check_reconciled(id, 3, 1);
	free(id);
}

/* Every endpoint with a body refuses an unknown member, a null where a
 * string is expected and control characters in its strings, and changes
 * nothing when it does. */
static void
validation(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/accounts.json", T.run_dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		th_fail(&T, "cannot write %s", path);
	fprintf(f,
	    "{\"6222020000000001\": {\"name\": \"payee 1\","
	    " \"closed\": true}}\n");
	fclose(f);
	snprintf(
	    fixture_env, sizeof(fixture_env), "SN_BANK_SIM_FIXTURE=%s", path);
	start("0", "0");
	inject_payees(3);

	expect("budget, unknown member", "POST", "/budgets", finance,
	    "{\"fund\": \"dibao\", \"year\": 2026, \"amount_fen\": 100,"
	    " \"extra\": 1}",
	    422, "unknown_field", "extra");
	expect("budget, null fund", "POST", "/budgets", finance,
	    "{\"fund\": null, \"year\": 2026, \"amount_fen\": 100}", 422,
	    "invalid_type", "fund");
	expect("budget, fund with U+0001", "POST", "/budgets", finance,
	    "{\"fund\": \"dib\\u0001ao\", \"year\": 2026,"
	    " \"amount_fen\": 100}",
	    422, "invalid_characters", "fund");
	expect("budget, null amount", "POST", "/budgets", finance,
	    "{\"fund\": \"dibao\", \"year\": 2026, \"amount_fen\": null}", 422,
	    "invalid_type", "amount_fen");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.budget", schema) == 0
	        && th_int(
	               &T, "SELECT count(*) FROM %s.budget_allocation", schema)
	            == 0,
	    "a refused allocation changed the budget");
	allocate("dibao", 1000000000LL);
	allocate("tekun", 1000000000LL);

	expect("run, unknown member", "POST", "/runs", finance,
	    "{\"period\": \"" PERIOD "\", \"extra\": true}", 422,
	    "unknown_field", "extra");
	expect("run, null period", "POST", "/runs", finance,
	    "{\"period\": null}", 422, "invalid_type", "period");
	expect("run, period with U+0001", "POST", "/runs", finance,
	    "{\"period\": \"2026-\\u00013\"}", 422, "invalid_characters",
	    "period");
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.run", schema) == 0,
	    "a refused run was made");

	char *id = build_run();
	snprintf(path, sizeof(path), "/runs/%s/approval", id);
	expect("approval, unknown member", "POST", path, approver,
	    "{\"decision\": \"approve\", \"extra\": 1}", 422, "unknown_field",
	    "extra");
	expect("approval, null decision", "POST", path, approver,
	    "{\"decision\": null}", 422, "invalid_type", "decision");
	expect("approval, reason with U+0001", "POST", path, approver,
	    "{\"decision\": \"reject\", \"reason\": \"no\\u0001 money\"}", 422,
	    "invalid_characters", "reason");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.run WHERE id = '%s'"
	        " AND status = 'awaiting_approval'"
	        " AND decided_by IS NULL",
	        schema,
	        id) == 1
	        && th_int(&T, "SELECT count(*) FROM %s.payment", schema) == 3,
	    "a refused decision changed the run");
	pay_run(id);

	char *pid = th_text(
	    &T, "SELECT id FROM %s.payment WHERE status = 'rejected'", schema);
	TH_CHECK(&T, pid != NULL, "no rejected payment");
	snprintf(path, sizeof(path), "/payments/%s/account", pid);
	char *mine = token("tk-2", "township_officer", "220103001");
	expect("account, unknown member", "PUT", path, mine,
	    "{\"bank_code\": \"ICBC\", \"account_number\":"
	    " \"6222020000099999\", \"account_name\": \"payee 1\","
	    " \"branch\": \"x\"}",
	    422, "unknown_field", "branch");
	expect("account, null number", "PUT", path, mine,
	    "{\"bank_code\": \"ICBC\", \"account_number\": null,"
	    " \"account_name\": \"payee 1\"}",
	    422, "invalid_type", "account_number");
	expect("account, name with U+0001", "PUT", path, mine,
	    "{\"bank_code\": \"ICBC\", \"account_number\":"
	    " \"6222020000099999\", \"account_name\": \"payee\\u0001 1\"}",
	    422, "invalid_characters", "account_name");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE id = '%s'"
	        " AND status = 'rejected' AND attempt = 1"
	        " AND account_number_index = '%s'",
	        schema, pid, acct_index("6222020000000001"))
	            == 1
	        && th_int(&T, "SELECT count(*) FROM %s.instruction_history",
	               schema)
	            == 0
	        && th_int(&T,
	               "SELECT count(*) FROM %s.payee"
	               " WHERE account_name LIKE '%%' || chr(1) || '%%'"
	               " OR account_number_index = '%s'",
	               schema, acct_index("6222020000099999"))
	            == 0,
	    "a refused correction changed the payment");
	free(mine);
	free(pid);
	free(id);
}

/* The district clock: a grant without a date draws on the budget of the
 * district's year, shifted in this test by SN_CLOCK_OFFSET_S (four years
 * ahead). */
static void
district_clock(void)
{
	enum { SHIFT_S = 4 * 366 * 86400 };
	static char shift_env[64];
	snprintf(
	    shift_env, sizeof(shift_env), "SN_CLOCK_OFFSET_S=%d", SHIFT_S);
	extra_env[0] = "SN_TEST_CLOCK=1";
	extra_env[1] = shift_env;
	start("0", "0");
	th_proc                     *p  = injector("emergency");
	Sn__Assist__V1__PayeeAccount pa = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	pa.bank_code                    = "ICBC";
	pa.account_number               = "6222029999000002";
	pa.account_name                 = "赵六";
	Sn__Assist__V1__EmergencyGranted m
	    = SN__ASSIST__V1__EMERGENCY_GRANTED__INIT;
	m.grant_id      = "8d1f6c1e-0000-4000-8000-000000000002";
	m.township_code = "220103001";
	m.amount_fen    = 80000;
	m.payee         = &pa; /* no granted_at: the district's today */
	char *h         = th_hex(&m.base);
	char *topics[1] = { "emergency.granted" };
	char *subj[1]   = { m.grant_id };
	char *hexes[1]  = { h };
	outbox_put("emergency", topics, subj, hexes, 1);
	free(h);
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.payment WHERE grant_id = '%s'",
	        schema, m.grant_id))
		th_fail(&T, "the grant made no payment");
	int64_t want = th_int(&T,
	    "SELECT extract(year FROM now() AT TIME ZONE 'UTC'"
	    " + interval '%d seconds' + interval '480 minutes')::int",
	    SHIFT_S);
	int64_t year
	    = th_int(&T, "SELECT year FROM %s.payment WHERE grant_id = '%s'",
	        schema, m.grant_id);
	TH_CHECK(&T, year == want,
	    "the grant drew on %lld's budget, want the district's year %lld",
	    (long long) year, (long long) want);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT drawn_fen FROM %s.budget WHERE fund = 'emergency'"
	        " AND year = %lld",
	        schema, (long long) want)
	        == 80000,
	    "the emergency budget of the district's year did not record it");
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
}

static int64_t
jint(json_t *j, const char *k)
{
	return (int64_t) json_integer_value(json_object_get(j, k));
}

/* Issue 10, item 9: the lists are paged (sn/page.h): limit, cursor,
 * {items, next}; the two settled payments one page at a time, nothing
 * listed twice; the runs and the budgets. */
static void
check_pages(const char *run_id)
{
	answer a
	    = call("GET", "/payments?status=settled&limit=1", finance, NULL);
	json_t *items = json_object_get(a.body, "items");
	char    first[64], next[64];
	snprintf(
	    first, sizeof(first), "%s", jstr(json_array_get(items, 0), "id"));
	snprintf(next, sizeof(next), "%s", jstr(a.body, "next"));
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(items) == 1
	        && strcmp(next, "(none)") != 0,
	    "the first page of one settled payment: %d %s", a.status,
	    json_dumps(a.body, 0));
	json_decref(a.body);
	char path[160];
	snprintf(path, sizeof(path),
	    "/payments?status=settled&limit=1&cursor=%s", next);
	a     = call("GET", path, finance, NULL);
	items = json_object_get(a.body, "items");
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(items) == 1
	        && strcmp(jstr(json_array_get(items, 0), "id"), first) != 0
	        && json_is_null(json_object_get(a.body, "next")),
	    "the second and last page: %d %s", a.status,
	    json_dumps(a.body, 0));
	json_decref(a.body);
	expect("a limit of 0", "GET", "/payments?limit=0", finance, NULL, 422,
	    "invalid_query", "limit");
	expect("a limit of 1001", "GET", "/runs?limit=1001", finance, NULL,
	    422, "invalid_query", "limit");
	expect("a cursor not given", "GET", "/budgets?cursor=abc", finance,
	    NULL, 422, "invalid_query", "cursor");
	a     = call("GET", "/runs", approver, NULL);
	items = json_object_get(a.body, "items");
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(items) == 1
	        && strcmp(jstr(json_array_get(items, 0), "id"), run_id) == 0
	        && json_is_null(json_object_get(a.body, "next")),
	    "GET /runs: %d %s", a.status, json_dumps(a.body, 0));
	json_decref(a.body);
	a     = call("GET", "/budgets?limit=1", finance, NULL);
	items = json_object_get(a.body, "items");
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(items) == 1
	        && strcmp(jstr(json_array_get(items, 0), "fund"), "dibao") == 0
	        && jint(json_array_get(items, 0), "allocated_fen")
	            == 1000000000LL
	        && json_is_string(json_object_get(a.body, "next")),
	    "GET /budgets?limit=1: %d %s", a.status, json_dumps(a.body, 0));
	json_decref(a.body);
}

/* The read endpoints after a run with one payment rejected (payee 1's
 * closed account): the run, the payments by status and township, one
 * payment, the year-end settlement. */
static void
reads(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/accounts.json", T.run_dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		th_fail(&T, "cannot write %s", path);
	fprintf(f,
	    "{\"6222020000000001\": {\"name\": \"payee 1\","
	    " \"closed\": true}}\n");
	fclose(f);
	snprintf(
	    fixture_env, sizeof(fixture_env), "SN_BANK_SIM_FIXTURE=%s", path);
	start_funded(3); /* 1 and 3 dibao, 2 tekun; all of 220103001..3 */
	char *id = build_run();
	pay_run(id);

	snprintf(path, sizeof(path), "/runs/%s", id);
	answer a = call("GET", path, approver, NULL);
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "status"), "completed") == 0
	        && strcmp(jstr(a.body, "id"), id) == 0
	        && strcmp(jstr(a.body, "period"), PERIOD) == 0
	        && jint(a.body, "payments") == 3
	        && strcmp(jstr(a.body, "decided_by"), "fa-1") == 0,
	    "GET /runs/{id}: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/runs/00000000-0000-4000-8000-000000000000", finance,
	    NULL);
	TH_CHECK(&T, a.status == 404, "GET an unknown run: %d", a.status);
	json_decref(a.body);

	a          = call("GET", "/payments?status=rejected", finance, NULL);
	json_t *ps = json_object_get(a.body, "items");
	TH_CHECK(&T,
	    a.status == 200 && json_array_size(ps) == 1
	        && strcmp(jstr(json_array_get(ps, 0), "township_code"),
	               "220103001")
	            == 0,
	    "finance's rejected payments: %d", a.status);
	char *pid = strdup(jstr(json_array_get(ps, 0), "id"));
	json_decref(a.body);
	a  = call("GET", "/payments?status=settled", finance, NULL);
	ps = json_object_get(a.body, "items");
	TH_CHECK(&T, a.status == 200 && json_array_size(ps) == 2,
	    "finance's settled payments: %d", a.status);
	json_decref(a.body);
	char *mine  = token("tk-2", "township_officer", "220103001");
	char *other = token("tk-9", "township_officer", "220103002");
	a           = call("GET", "/payments", mine, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && json_array_size(json_object_get(a.body, "items")) == 1,
	    "an officer's rejected payments: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/payments", other, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && json_array_size(json_object_get(a.body, "items")) == 0,
	    "another township's rejected payments: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/payments?township=220103002", mine, NULL);
	TH_CHECK(&T, a.status == 403 && strcmp(jerr(a.body), "forbidden") == 0,
	    "another township asked for: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/payments?status=lost", finance, NULL);
	TH_CHECK(&T,
	    a.status == 422 && strcmp(jerr(a.body), "invalid_status") == 0,
	    "an unknown status: %d", a.status);
	json_decref(a.body);

	snprintf(path, sizeof(path), "/payments/%s", pid);
	a = call("GET", path, mine, NULL);
	TH_CHECK(&T,
	    a.status == 200 && strcmp(jstr(a.body, "status"), "rejected") == 0
	        && strcmp(jstr(a.body, "reason_code"), "AC04") == 0
	        && strcmp(jstr(a.body, "fund"), "dibao") == 0
	        && strcmp(jstr(a.body, "run_id"), id) == 0
	        && jint(a.body, "attempt") == 1
	        && strcmp(jstr(json_object_get(a.body, "payee"),
	                      "account_number"),
	               "6222020000000001")
	            == 0,
	    "GET /payments/{id}: %d", a.status);
	json_decref(a.body);
	a = call("GET", path, other, NULL);
	TH_CHECK(
	    &T, a.status == 404, "another township's payment: %d", a.status);
	json_decref(a.body);
	free(mine);
	free(other);

	check_pages(id);
	a = call("GET", "/budgets/dibao/2026/settlement", approver, NULL);
	TH_CHECK(&T,
	    a.status == 200 && jint(a.body, "year") == 2026
	        && strcmp(jstr(a.body, "fund"), "dibao") == 0
	        && jint(a.body, "allocated_fen") == 1000000000LL
	        && jint(a.body, "paid_count") == 1
	        && jint(a.body, "returned_count") == 1
	        && jint(a.body, "in_flight_count") == 0
	        && jint(a.body, "paid_fen") + jint(a.body, "returned_fen")
	            == jint(a.body, "drawn_fen")
	        && jint(a.body, "left_fen")
	            == 1000000000LL - jint(a.body, "paid_fen"),
	    "settlement: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/budgets/emergency/2026/settlement", finance, NULL);
	TH_CHECK(&T, a.status == 404 && strcmp(jerr(a.body), "no_budget") == 0,
	    "settlement without a budget: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
	a = call("GET", "/budgets/food/2026/settlement", finance, NULL);
	TH_CHECK(&T, a.status == 404, "settlement of no fund: %d", a.status);
	json_decref(a.body);
	a = call("GET", "/budgets/dibao/1999/settlement", finance, NULL);
	TH_CHECK(&T,
	    a.status == 422 && strcmp(jerr(a.body), "invalid_year") == 0,
	    "settlement of 1999: %d", a.status);
	json_decref(a.body);
	free(pid);
	free(id);
}

/* ---- the register over time (issue 9) ------------------------------- */

/* One change of the register as approval publishes it. */
typedef struct ben {
	const char *app, *acct;
	int         status; /* sn.assist.v1.BeneficiaryStatus */
	int64_t     fen, old_fen;
	const char *first, *until; /* until NULL: open */
	int         members;
	int         cause;    /* sn.assist.v1.ChangeCause */
	int         category; /* sn.assist.v1.Category; 0: dibao */
} ben;

static char *
ben_hex(const ben *b)
{
	Sn__Assist__V1__Household h     = SN__ASSIST__V1__HOUSEHOLD__INIT;
	h.district_code                 = DISTRICT;
	h.township_code                 = "220103001";
	h.village_code                  = "220103001001";
	Sn__Assist__V1__PayeeAccount pa = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	pa.bank_code                    = "ICBC";
	pa.account_number               = (char *) b->acct;
	pa.account_name                 = (char *) b->app;
	Sn__Assist__V1__BeneficiaryChanged m
	    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
	m.beneficiary_id     = (char *) b->app;
	m.application_id     = (char *) b->app;
	m.status             = (Sn__Assist__V1__BeneficiaryStatus) b->status;
	m.category           = b->category != 0
	              ? (Sn__Assist__V1__Category) b->category
	              : SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO;
	m.monthly_amount_fen = b->fen;
	m.old_monthly_amount_fen = b->old_fen;
	m.payee                  = &pa;
	m.from_month             = "2026-01";
	m.until_month            = (char *) (b->until != NULL ? b->until : "");
	m.first_month            = (char *) b->first;
	m.approved_by            = "tk-officer-0";
	m.household              = &h;
	m.members                = b->members;
	m.cause                  = (Sn__Assist__V1__ChangeCause) b->cause;
	return th_hex(&m.base);
}

/* price_subsidy.decided for month, listing the n categories cats. */
static char *
subsidy_cats_hex(const char *month, bool applies, int64_t per_person,
    Sn__Assist__V1__Category *cats, size_t n)
{
	Sn__Assist__V1__PriceSubsidyDecided m
	    = SN__ASSIST__V1__PRICE_SUBSIDY_DECIDED__INIT;
	m.month          = (char *) month;
	m.applies        = applies;
	m.per_person_fen = per_person;
	m.cpi_permille   = applies ? 36 : 34;
	m.n_categories   = n;
	m.categories     = cats;
	m.decided_by     = "district-admin";
	return th_hex(&m.base);
}

static char *
subsidy_hex(const char *month, bool applies, int64_t per_person)
{
	Sn__Assist__V1__Category cats[1]
	    = { SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO };
	return subsidy_cats_hex(month, applies, per_person, cats, 1);
}

/* Puts n events (topics[i], hexes[i], freed here) into approval's outbox
 * and waits until disbursement has applied them all. */
static void
put_events(char **topics, char **hexes, int n)
{
	char *subjects[16];
	for (int i = 0; i < n; i++)
		subjects[i] = "register";
	int64_t before
	    = th_int(&T, "SELECT coalesce(max(seq), 0) FROM %s.outbox",
	        th_schema(&T, "approval"));
	outbox_put("approval", topics, subjects, hexes, n);
	for (int i = 0; i < n; i++)
		free(hexes[i]);
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.bus_cursor WHERE publisher ="
	        " 'approval' AND last_seq >= %lld",
	        schema, (long long) before + n))
		th_fail(
		    &T, "disbursement did not apply the register's events");
}

/* Builds the run of period, approves it and waits until it is completed
 * (every payment settled at the bank); its id. */
/* Builds the run of period and waits until it awaits approval; its id. */
static char *build_month_now(const char *period);

static char *
build_month(const char *period)
{
	at_month(period);
	return build_month_now(period);
}

/* The same, the clock where it is. */
static char *
build_month_now(const char *period)
{
	char body[64];
	snprintf(body, sizeof(body), "{\"period\": \"%s\"}", period);
	answer a = call("POST", "/runs", finance, body);
	TH_CHECK(&T, a.status == 202, "POST /runs %s: %d %s", period, a.status,
	    jerr(a.body));
	char *id = strdup(jstr(a.body, "id"));
	json_decref(a.body);
	if (!th_wait_int(&T, 1, 60000,
	        "SELECT count(*) FROM %s.run WHERE id = '%s'"
	        " AND status = 'awaiting_approval'",
	        schema, id))
		th_fail(&T, "the run of %s was not built", period);
	return id;
}

/* Builds, approves and pays the run of period; its id. */
static char *
run_month(const char *period)
{
	char *id = build_month(period);
	pay_run(id);
	return id;
}

/* What the bank settled for acct, "period fund amount[ corrects]" in
 * order, joined to the payments only for their period and fund. */
static char *
bank_lines(const char *acct)
{
	char *t = th_text(&T,
	    "SELECT coalesce(string_agg(p.period || ' ' || p.fund || ' '"
	    "  || i.amount_fen || CASE WHEN p.corrects <> '' THEN ' '"
	    "  || p.corrects ELSE '' END, ', '"
	    "  ORDER BY p.period, p.fund, p.corrects), '')"
	    " FROM %s i JOIN %s.payment p"
	    "  ON p.e2e_id = i.end_to_end_id"
	    " WHERE i.account_number = '%s' AND i.status = 'settled'",
	    book(), schema, acct);
	return t != NULL ? t : strdup("");
}

static void
check_lines(const char *acct, const char *want)
{
	check_iso_only();
	char *got = bank_lines(acct);
	TH_CHECK(&T, strcmp(got, want) == 0,
	    "the bank paid %s: [%s], want [%s]", acct, got, want);
	free(got);
}

static void
allocate_funds(void)
{
	allocate("dibao", 100000000);
	allocate("price_subsidy", 10000000);
}

/*
 * Runs follow the register month by month: a household in gradual exit
 * is paid through its until_month and not after; a suspended household
 * is not paid and is paid again from the month of its resumption; the
 * price subsidy is a line of its own in February (applies) and none in
 * March (applies=false) nor in other months (no event). Checked in
 * bank-sim's records.
 */
static void
register_months(void)
{
	start("0", "0");
	th_proc *p = injector("approval");
	enum { A = 1, E = 3, S = 4, GE = 2 };
	static const ben bs[] = {
		{ "app-ge", "6222020000000001", A, 50000, 0, "2026-01", NULL,
		    2, 1, 0 },
		{ "app-ge", "6222020000000001", GE, 50000, 50000, "2026-02",
		    "2026-03", 2, 2, 0 },
		{ "app-su", "6222020000000002", A, 40000, 0, "2026-01", NULL,
		    1, 1, 0 },
		{ "app-su", "6222020000000002", S, 40000, 40000, "2026-02",
		    NULL, 1, 8, 0 },
		{ "app-su", "6222020000000002", A, 40000, 40000, "2026-04",
		    NULL, 1, 3, 0 },
		{ "app-ps", "6222020000000003", A, 30000, 0, "2026-01", NULL,
		    3, 1, 0 },
		/* first heard of at its re-rating: its old amount until then
		 */
		{ "app-rr", "6222020000000004", A, 45000, 35000, "2026-03",
		    NULL, 1, 4, 0 },
	};
	(void) E;
	char *topics[10], *hexes[10];
	int   n = 0;
	for (size_t i = 0; i < sizeof(bs) / sizeof(bs[0]); i++) {
		topics[n]  = "beneficiary.changed";
		hexes[n++] = ben_hex(&bs[i]);
	}
	topics[n]  = "price_subsidy.decided";
	hexes[n++] = subsidy_hex("2026-02", true, 2000);
	topics[n]  = "price_subsidy.decided";
	hexes[n++] = subsidy_hex("2026-03", false, 2000);
	put_events(topics, hexes, n);
	allocate_funds();
	static const char *const months[]
	    = { "2026-01", "2026-02", "2026-03", "2026-04", "2026-05" };
	for (int i = 0; i < 5; i++)
		free(run_month(months[i]));
	check_lines("6222020000000001",
	    "2026-01 dibao 50000, 2026-02 dibao 50000, 2026-02 price_subsidy "
	    "4000, 2026-03 dibao 50000");
	check_lines("6222020000000002",
	    "2026-01 dibao 40000, 2026-04 dibao 40000, 2026-05 dibao 40000");
	check_lines("6222020000000003",
	    "2026-01 dibao 30000, 2026-02 dibao 30000, 2026-02 price_subsidy "
	    "6000, 2026-03 dibao 30000, 2026-04 dibao 30000, 2026-05 dibao "
	    "30000");
	check_lines("6222020000000004",
	    "2026-01 dibao 35000, 2026-02 dibao 35000, 2026-02 price_subsidy "
	    "2000, 2026-03 dibao 45000, 2026-04 dibao 45000, 2026-05 dibao "
	    "45000");
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s b", book()) == 19,
	    "the bank has other instructions than the 19 lines");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT drawn_fen FROM %s.budget WHERE fund = 'price_subsidy'"
	        " AND year = 2026",
	        schema)
	        == 12000,
	    "the price subsidy's budget did not record its three lines");
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
}

/* The plan's corrections of run id as "back_payments back_fen
 * recoveries recovery_fen netted_fen". */
static void
check_plan_corrections(const char *id, const char *want)
{
	char path[128], got[160];
	snprintf(path, sizeof(path), "/runs/%s/plan", id);
	answer  a = call("GET", path, finance, NULL);
	json_t *c = json_object_get(a.body, "corrections");
	snprintf(got, sizeof(got), "%lld %lld %lld %lld %lld",
	    (long long) jint(c, "back_payments"),
	    (long long) jint(c, "back_fen"), (long long) jint(c, "recoveries"),
	    (long long) jint(c, "recovery_fen"),
	    (long long) jint(c, "netted_fen"));
	TH_CHECK(&T, a.status == 200 && strcmp(got, want) == 0,
	    "plan corrections: %d [%s], want [%s]", a.status, got, want);
	json_decref(a.body);
	snprintf(path, sizeof(path), "/runs/%s/reconciliation", id);
	a = call("GET", path, finance, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && json_is_true(json_object_get(a.body, "balanced")),
	    "the run with corrections does not balance: %s",
	    json_dumps(a.body, 0));
	json_decref(a.body);
}

/*
 * A change whose first month was already paid, arriving after that
 * month's run was approved: the next run pays the new amount and exactly
 * one back-payment line for the difference (never a second payment of
 * the same payee, fund and period); a decrease is recovered from the
 * next payments, never below zero, the rest carried to the run after.
 * Checked in bank-sim's records.
 */
static void
back_payment(void)
{
	start("0", "0");
	th_proc   *p    = injector("approval");
	static ben bs[] = {
		{ "app-bp", "6222020000000011", 1, 50000, 0, "2026-01", NULL,
		    2, 1, 0 },
		{ "app-rc", "6222020000000012", 1, 50000, 0, "2026-01", NULL,
		    2, 1, 0 },
		{ "app-bp", "6222020000000011", 1, 60000, 50000, "2026-01",
		    NULL, 2, 4, 0 },
		{ "app-rc", "6222020000000012", 1, 20000, 50000, "2026-01",
		    NULL, 2, 2, 0 },
	};
	char *topics[2] = { "beneficiary.changed", "beneficiary.changed" };
	char *hexes[2]  = { ben_hex(&bs[0]), ben_hex(&bs[1]) };
	put_events(topics, hexes, 2);
	allocate_funds();
	free(run_month("2026-01"));
	hexes[0] = ben_hex(&bs[2]);
	hexes[1] = ben_hex(&bs[3]);
	put_events(topics, hexes, 2);
	char *feb = run_month("2026-02");
	char *mar = run_month("2026-03");
	check_lines("6222020000000011",
	    "2026-01 dibao 50000, 2026-02 dibao 60000, 2026-02 dibao 10000 "
	    "2026-01, 2026-03 dibao 60000");
	check_lines(
	    "6222020000000012", "2026-01 dibao 50000, 2026-03 dibao 10000");
	check_plan_corrections(feb, "1 10000 1 30000 20000");
	check_plan_corrections(mar, "0 0 0 0 10000");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment p JOIN %s.payee pe"
	        " ON pe.id = p.payee_id WHERE pe.application_id = 'app-bp'"
	        " AND p.corrects <> ''",
	        schema, schema)
	        == 1,
	    "not exactly one back-payment line");
	char *bp = th_text(
	    &T, "SELECT id FROM %s.payment WHERE corrects <> ''", schema);
	char path[128];
	snprintf(path, sizeof(path), "/payments/%s", bp);
	answer a = call("GET", path, finance, NULL);
	TH_CHECK(&T,
	    a.status == 200 && jstr(a.body, "corrects") != NULL
	        && strcmp(jstr(a.body, "corrects"), "2026-01") == 0
	        && strcmp(jstr(a.body, "period"), "2026-02") == 0
	        && jint(a.body, "amount_fen") == 10000,
	    "the back-payment as GET /payments/{id} shows it: %d %s", a.status,
	    json_dumps(a.body, 0));
	json_decref(a.body);
	free(bp);
	/* A change that arrives while April's run awaits approval: April is
	 * paid as built, and May corrects it. */
	char *apr = build_month("2026-04");
	ben   up  = { "app-bp", "6222020000000011", 1, 70000, 60000, "2026-04",
		   NULL, 2, 4, 0 };
	hexes[0]  = ben_hex(&up);
	put_events(topics, hexes, 1);
	pay_run(apr);
	free(apr);
	free(run_month("2026-05"));
	check_lines("6222020000000011",
	    "2026-01 dibao 50000, 2026-02 dibao 60000, 2026-02 dibao 10000 "
	    "2026-01, 2026-03 dibao 60000, 2026-04 dibao 60000, 2026-05 dibao "
	    "70000, 2026-05 dibao 10000 2026-04");
	free(feb);
	free(mar);
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
}

/* The run's price subsidy lines per category, as the plan (planned) and
 * the reconciliation (settled) show them: "category payments persons
 * total_fen" joined by "; ", in category order. */
static char *
subsidy_text(json_t *arr, const char *part)
{
	char    buf[512] = "";
	size_t  len      = 0;
	size_t  i;
	json_t *row;
	json_array_foreach(arr, i, row)
	{
		json_t *v = part != NULL ? json_object_get(row, part) : row;
		len += (size_t) snprintf(buf + len, sizeof(buf) - len,
		    "%s%s %lld %lld %lld", i ? "; " : "",
		    jstr(row, "category"), (long long) jint(v, "payments"),
		    (long long) jint(v, "persons"),
		    (long long) jint(v, "total_fen"));
		if (len >= sizeof(buf))
			break;
	}
	return strdup(buf);
}

static void
check_subsidy(const char *id, const char *want)
{
	char path[128];
	snprintf(path, sizeof(path), "/runs/%s/plan", id);
	answer a = call("GET", path, finance, NULL);
	char  *got
	    = subsidy_text(json_object_get(a.body, "price_subsidy"), NULL);
	TH_CHECK(&T, a.status == 200 && strcmp(got, want) == 0,
	    "the plan's price subsidy: %d [%s], want [%s]", a.status, got,
	    want);
	free(got);
	json_decref(a.body);
	snprintf(path, sizeof(path), "/runs/%s/reconciliation", id);
	a   = call("GET", path, finance, NULL);
	got = subsidy_text(
	    json_object_get(a.body, "price_subsidy"), "settled");
	TH_CHECK(&T, a.status == 200 && strcmp(got, want) == 0,
	    "the reconciliation's price subsidy settled: %d [%s], want [%s]",
	    a.status, got, want);
	free(got);
	got = subsidy_text(
	    json_object_get(a.body, "price_subsidy"), "planned");
	TH_CHECK(&T, strcmp(got, want) == 0,
	    "the reconciliation's price subsidy planned: [%s], want [%s]", got,
	    want);
	free(got);
	json_decref(a.body);
}

/*
 * Low-income households (低收入) are payees of the price subsidy only:
 * never a benefit line (nor one of 0 fen), a price_subsidy line of
 * per person x members in every month whose subsidy applies and lists
 * low_income; suspension and exit follow the register; a category change
 * (low_income -> dibao after a review, dibao -> low_income) moves them
 * between the two kinds from its first month, also when it arrives after
 * that month's run (a back-payment). Expenditure households get nothing.
 * The plan and the reconciliation count the subsidy per category.
 * Checked in bank-sim's records.
 */
static void
low_income(void)
{
	start("0", "0");
	th_proc *p = injector("approval");
	enum { A = 1, E = 3, S = 4, DB = 2, EX = 3, LI = 4 };
	static const ben bs[] = {
		{ "app-li", "6222020000000021", A, 0, 0, "2026-01", NULL, 3, 1,
		    LI },
		{ "app-ld", "6222020000000022", A, 0, 0, "2026-01", NULL, 2, 1,
		    LI },
		{ "app-dl", "6222020000000023", A, 30000, 0, "2026-01", NULL,
		    1, 1, DB },
		{ "app-dl", "6222020000000023", A, 0, 30000, "2026-03", NULL,
		    1, 2, LI },
		{ "app-lx", "6222020000000024", A, 0, 0, "2026-01", NULL, 2, 1,
		    LI },
		{ "app-lx", "6222020000000024", E, 0, 0, "2026-04", "2026-03",
		    2, 5, LI },
		{ "app-ls", "6222020000000025", A, 0, 0, "2026-01", NULL, 1, 1,
		    LI },
		{ "app-ls", "6222020000000025", S, 0, 0, "2026-03", NULL, 1, 8,
		    LI },
		{ "app-ls", "6222020000000025", A, 0, 0, "2026-05", NULL, 1, 3,
		    LI },
		{ "app-ex", "6222020000000026", A, 0, 0, "2026-01", NULL, 4, 1,
		    EX },
	};
	Sn__Assist__V1__Category all[3]
	    = { SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO,
		      SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN,
		      SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME };
	char *topics[16], *hexes[16];
	int   n = 0;
	for (size_t i = 0; i < sizeof(bs) / sizeof(bs[0]); i++) {
		topics[n]  = "beneficiary.changed";
		hexes[n++] = ben_hex(&bs[i]);
	}
	static const char *const sub_months[]
	    = { "2026-02", "2026-03", "2026-04", "2026-05" };
	static const int64_t sub_fen[] = { 2000, 1000, 1000, 1000 };
	for (int i = 0; i < 4; i++) {
		topics[n] = "price_subsidy.decided";
		/* April's lists dibao and tekun only */
		hexes[n++] = subsidy_cats_hex(
		    sub_months[i], true, sub_fen[i], all, i == 2 ? 2 : 3);
	}
	put_events(topics, hexes, n);
	allocate_funds();
	free(run_month("2026-01"));
	char *feb = run_month("2026-02");
	free(run_month("2026-03"));
	/* app-ld becomes dibao from March, heard of after March was paid */
	ben ld = { "app-ld", "6222020000000022", A, 40000, 0, "2026-03", NULL,
		2, 2, DB };
	hexes[0] = ben_hex(&ld);
	put_events(topics, hexes, 1);
	free(run_month("2026-04"));
	free(run_month("2026-05"));
	(void) S;
	check_lines("6222020000000021",
	    "2026-02 price_subsidy 6000, 2026-03 price_subsidy 3000, 2026-05 "
	    "price_subsidy 3000");
	check_lines("6222020000000022",
	    "2026-02 price_subsidy 4000, 2026-03 price_subsidy 2000, 2026-04 "
	    "dibao 40000, 2026-04 dibao 40000 2026-03, 2026-04 price_subsidy "
	    "2000, 2026-05 dibao 40000, 2026-05 price_subsidy 2000");
	check_lines("6222020000000023",
	    "2026-01 dibao 30000, 2026-02 dibao 30000, 2026-02 price_subsidy "
	    "2000, 2026-03 price_subsidy 1000, 2026-05 price_subsidy 1000");
	check_lines("6222020000000024",
	    "2026-02 price_subsidy 4000, 2026-03 price_subsidy 2000");
	check_lines("6222020000000025",
	    "2026-02 price_subsidy 2000, 2026-05 price_subsidy 1000");
	check_lines("6222020000000026", "");
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s b", book()) == 19,
	    "the bank has other instructions than the 19 lines");
	TH_CHECK(&T,
	    th_int(
	        &T, "SELECT count(*) FROM %s b WHERE amount_fen <= 0", book())
	        == 0,
	    "an instruction of no amount went to the bank");
	/* 12000 + 10000 + 4000 + 6000 + 3000 */
	int64_t drawn = th_int(&T,
	    "SELECT drawn_fen FROM %s.budget WHERE fund = 'price_subsidy'"
	    " AND year = 2026",
	    schema);
	TH_CHECK(&T, drawn == 35000,
	    "the price subsidy's budget drew %lld for its lines, not 35000",
	    (long long) drawn);
	check_subsidy(feb, "dibao 1 1 2000; low_income 4 8 16000");
	char *li = th_text(&T,
	    "SELECT m.id FROM %s.payment m JOIN %s.payee p ON p.id = "
	    "m.payee_id"
	    " WHERE p.application_id = 'app-li' AND m.period = '2026-02'",
	    schema, schema);
	char  path[128];
	snprintf(path, sizeof(path), "/payments/%s", li);
	answer a = call("GET", path, finance, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && strcmp(jstr(a.body, "fund"), "price_subsidy") == 0
	        && strcmp(jstr(a.body, "category"), "low_income") == 0
	        && jint(a.body, "persons") == 3
	        && jint(a.body, "amount_fen") == 6000,
	    "the low-income subsidy line as GET /payments/{id} shows it: %d "
	    "%s",
	    a.status, json_dumps(a.body, 0));
	json_decref(a.body);
	free(li);
	free(feb);
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
}

/*
 * A household that beneficiary.changed says EXITED with until_month M
 * (first_month M + 1) is paid for M and never after, whatever the cause:
 * exit, death, moved out of the district. A death heard of after M + 1
 * was paid is recovered once by the next run (a recovery, nothing paid);
 * a change report's increase heard of after its first month was paid is
 * back-paid once by the next run, and never again.
 * Checked in bank-sim's records.
 */
static void
exits(void)
{
	start("0", "0");
	th_proc *p = injector("approval");
	enum { A = 1, E = 3 };
	static const ben bs[] = {
		{ "app-xe", "6222020000000031", A, 50000, 0, "2026-01", NULL,
		    2, 1, 0 },
		{ "app-xe", "6222020000000031", E, 0, 50000, "2026-03",
		    "2026-02", 2, 5, 0 },
		{ "app-xd", "6222020000000032", A, 50000, 0, "2026-01", NULL,
		    2, 1, 0 },
		{ "app-xd", "6222020000000032", E, 0, 50000, "2026-03",
		    "2026-02", 1, 6, 0 },
		{ "app-xm", "6222020000000033", A, 50000, 0, "2026-01", NULL,
		    2, 1, 0 },
		{ "app-xm", "6222020000000033", E, 0, 50000, "2026-03",
		    "2026-02", 2, 7, 0 },
		{ "app-dd", "6222020000000034", A, 50000, 0, "2026-01", NULL,
		    1, 1, 0 },
		{ "app-cr", "6222020000000035", A, 50000, 0, "2026-01", NULL,
		    2, 1, 0 },
	};
	char *topics[16], *hexes[16];
	int   n = 0;
	for (size_t i = 0; i < sizeof(bs) / sizeof(bs[0]); i++) {
		topics[n]  = "beneficiary.changed";
		hexes[n++] = ben_hex(&bs[i]);
	}
	put_events(topics, hexes, n);
	allocate_funds();
	free(run_month("2026-01"));
	free(run_month("2026-02"));
	/* a change report: more from February, heard of after it was paid */
	ben cr   = { "app-cr", "6222020000000035", A, 55000, 50000, "2026-02",
		  NULL, 3, 3, 0 };
	hexes[0] = ben_hex(&cr);
	put_events(topics, hexes, 1);
	char *mar = run_month("2026-03");
	/* a death in February, heard of after March was paid */
	ben dd   = { "app-dd", "6222020000000034", E, 0, 50000, "2026-03",
		  "2026-02", 0, 6, 0 };
	hexes[0] = ben_hex(&dd);
	put_events(topics, hexes, 1);
	char                    *apr = run_month("2026-04");
	char                    *may = run_month("2026-05");
	static const char *const gone[]
	    = { "6222020000000031", "6222020000000032", "6222020000000033" };
	for (int i = 0; i < 3; i++)
		check_lines(
		    gone[i], "2026-01 dibao 50000, 2026-02 dibao 50000");
	check_lines("6222020000000034",
	    "2026-01 dibao 50000, 2026-02 dibao 50000, 2026-03 dibao 50000");
	check_lines("6222020000000035",
	    "2026-01 dibao 50000, 2026-02 dibao 50000, 2026-03 dibao 55000, "
	    "2026-03 dibao 5000 2026-02, 2026-04 dibao 55000, 2026-05 dibao "
	    "55000");
	check_plan_corrections(mar, "1 5000 0 0 0");
	check_plan_corrections(apr, "0 0 1 50000 0");
	check_plan_corrections(may, "0 0 0 0 0");
	free(mar);
	free(apr);
	free(may);
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
}

/*
 * Issue 10, item 10: runs only for sensible periods. With the district
 * in March, a run for May (two months ahead) or for January (before the
 * previous month) is refused 422 invalid_period and makes nothing;
 * February (the previous month), March and April are made; February
 * again, once its run completed, is closed (422, not 409). In
 * February's run payee 2's account is held under another name at the
 * bank: bank-sim refuses it (BE01, name mismatch), and payment.failed
 * says so.
 */
static void
periods(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/accounts.json", T.run_dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		th_fail(&T, "cannot write %s", path);
	fprintf(f, "{\"6222020000000002\": {\"name\": \"somebody else\"}}\n");
	fclose(f);
	snprintf(
	    fixture_env, sizeof(fixture_env), "SN_BANK_SIM_FIXTURE=%s", path);
	start_funded(2); /* the district's clock in PERIOD, March */
	expect("a run two months ahead", "POST", "/runs", finance,
	    "{\"period\": \"2026-05\"}", 422, "invalid_period", "period");
	expect("a run before the previous month", "POST", "/runs", finance,
	    "{\"period\": \"2026-01\"}", 422, "invalid_period", "period");
	expect("a run of last year", "POST", "/runs", finance,
	    "{\"period\": \"2025-03\"}", 422, "invalid_period", "period");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.run", schema) == 0
	        && th_int(&T, "SELECT count(*) FROM %s.payment", schema) == 0,
	    "a refused run made something");
	char *feb = build_month_now("2026-02");
	pay_run(feb);
	expect("the previous month once its run completed", "POST", "/runs",
	    finance, "{\"period\": \"2026-02\"}", 422, "invalid_period",
	    "period");
	free(build_month_now("2026-03"));
	expect("the current month again", "POST", "/runs", finance,
	    "{\"period\": \"2026-03\"}", 409, "run_exists", "period");
	free(build_month_now("2026-04"));
	TH_CHECK(&T, th_int(&T, "SELECT count(*) FROM %s.run", schema) == 3,
	    "want the runs of February, March and April only");
	/* bank-sim refuses a name that does not match the account */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s b"
	        " WHERE account_number = '6222020000000002'"
	        " AND status = 'rejected' AND iso_reason = 'BE01'",
	        book())
	        == 1,
	    "bank-sim did not refuse the name that does not match");
	size_t                      len;
	uint8_t                    *data = th_bytes_at(&T, 0, &len,
	                       "SELECT data FROM %s.outbox WHERE topic = 'payment.failed'",
	                       schema);
	Sn__Pay__V1__PaymentFailed *m    = data != NULL
	       ? sn__pay__v1__payment_failed__unpack(NULL, len, data)
	       : NULL;
	TH_CHECK(&T,
	    m != NULL && strcmp(m->reason_code, "BE01") == 0 && m->ref != NULL
	        && strcmp(m->ref->period, "2026-02") == 0
	        && th_int(&T,
	               "SELECT count(*) FROM %s.payment WHERE status ="
	               " 'rejected' AND reason_code = 'BE01'",
	               schema)
	            == 1,
	    "payment.failed does not say BE01 (name mismatch)");
	sn__pay__v1__payment_failed__free_unpacked(m, NULL);
	free(data);
	free(feb);
}

/* emergency.granted of instalment k of n of grant id (0 of 0: at once). */
static char *
instalment_hex(const char *id, int k, int n, int64_t fen, int64_t total)
{
	Sn__Assist__V1__PayeeAccount pa = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	pa.bank_code                    = "ICBC";
	pa.account_number               = "6222029999000003";
	pa.account_name                 = "钱七";
	Sn__Assist__V1__EmergencyGranted m
	    = SN__ASSIST__V1__EMERGENCY_GRANTED__INIT;
	m.grant_id      = (char *) id;
	m.township_code = "220103001";
	m.name          = "钱七";
	m.amount_fen    = fen;
	m.payee         = &pa;
	m.granted_at    = "2026-03-04T05:06:07Z";
	m.instalment    = k;
	m.instalments   = n;
	m.total_fen     = total;
	return th_hex(&m.base);
}

/*
 * Issue 10, item 6: transitional aid in instalments. emergency.granted
 * comes once per instalment (1 of 3, 2 of 3, and 2 of 3 again): each
 * instalment is a payment of its own under its own end-to-end id, paid
 * once however often its event comes, and its payment.settled carries
 * ref.instalment.
 */
static void
instalments(void)
{
	start("0", "0");
	th_proc    *p         = injector("emergency");
	const char *id        = "8d1f6c1e-0000-4000-8000-000000000010";
	char       *topics[3] = { "emergency.granted", "emergency.granted",
		      "emergency.granted" };
	char       *subj[3]   = { (char *) id, (char *) id, (char *) id };
	char       *hexes[3]  = { instalment_hex(id, 1, 3, 50000, 150000),
		       instalment_hex(id, 2, 3, 50000, 150000),
		       instalment_hex(id, 2, 3, 50000, 150000) };
	outbox_put("emergency", topics, subj, hexes, 3);
	for (int i = 0; i < 3; i++)
		free(hexes[i]);
	if (!th_wait_int(&T, 2, 30000,
	        "SELECT count(*) FROM %s.payment WHERE grant_id = '%s'"
	        " AND status = 'settled'",
	        schema, id))
		th_fail(&T, "the instalments were not paid");
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.bus_cursor WHERE publisher ="
	        " 'emergency' AND last_seq >= (SELECT count(*) FROM "
	        "%s.outbox)",
	        schema, th_schema(&T, "emergency")))
		th_fail(&T, "disbursement did not apply the repeat");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.payment WHERE grant_id = '%s'",
	        schema,
	        id) == 2
	        && th_int(&T,
	               "SELECT count(DISTINCT e2e_id) FROM %s.payment"
	               " WHERE grant_id = '%s' AND instalment IN (1, 2)",
	               schema, id)
	            == 2
	        && th_int(&T,
	               "SELECT count(*) FROM %s b"
	               " WHERE account_number = '6222029999000003'"
	               " AND status = 'settled'",
	               book())
	            == 2,
	    "want instalments 1 and 2 paid once each");
	int seen = 0;
	for (int i = 0; i < 2; i++) {
		size_t                       len;
		uint8_t                     *data = th_bytes_at(&T, i, &len,
		                        "SELECT data FROM %s.outbox WHERE topic = "
		                                            "'payment.settled'"
		                                            " ORDER BY seq",
		                        schema);
		Sn__Pay__V1__PaymentSettled *s    = data != NULL
		       ? sn__pay__v1__payment_settled__unpack(NULL, len, data)
		       : NULL;
		if (s != NULL && s->ref != NULL
		    && strcmp(s->ref->grant_id, id) == 0
		    && s->amount_fen == 50000 && s->ref->instalment >= 1
		    && s->ref->instalment <= 2)
			seen |= 1 << s->ref->instalment;
		sn__pay__v1__payment_settled__free_unpacked(s, NULL);
		free(data);
	}
	TH_CHECK(&T, seen == 6,
	    "payment.settled does not carry instalments 1 and 2");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT drawn_fen FROM %s.budget WHERE fund = 'emergency'"
	        " AND year = 2026",
	        schema)
	        == 100000,
	    "the emergency budget did not draw the two instalments once");
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
}

/*
 * Issue 10, item 2: an edge household's standing replaced by a new
 * decision. A low-income household (the price subsidy only) is paid
 * February's subsidy; approval then publishes it EXITED with cause
 * REPLACED until February (no first month) and the new decision's dibao
 * entry from March: the old payee ends from March, February stays paid
 * (nothing recovered), and March pays the new decision.
 */
static void
edge_replaced(void)
{
	start("0", "0");
	th_proc *p = injector("approval");
	enum { A = 1, E = 3, DB = 2, LI = 4, REPLACED = 9 };
	ben old = { "app-edge", "6222020000000031", A, 0, 0, "2026-01", NULL,
		2, 1, LI };
	Sn__Assist__V1__Category all[3]
	    = { SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO,
		      SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN,
		      SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME };
	char *topics[4] = { "beneficiary.changed", "price_subsidy.decided",
		"price_subsidy.decided", "beneficiary.changed" };
	char *hexes[4];
	hexes[0] = ben_hex(&old);
	hexes[1] = subsidy_cats_hex("2026-02", true, 1000, all, 3);
	hexes[2] = subsidy_cats_hex("2026-03", true, 1000, all, 3);
	put_events(topics, hexes, 3);
	allocate_funds();
	free(run_month("2026-02"));
	ben gone = { "app-edge", "6222020000000031", E, 0, 0, "", "2026-02", 2,
		REPLACED, LI };
	ben next = { "app-dibao", "6222020000000031", A, 40000, 0, "2026-03",
		NULL, 2, 1, DB };
	hexes[0] = ben_hex(&gone);
	hexes[1] = ben_hex(&next);
	topics[1] = "beneficiary.changed";
	put_events(topics, hexes, 2);
	free(run_month("2026-03"));
	check_lines("6222020000000031",
	    "2026-02 price_subsidy 2000, 2026-03 dibao 40000, 2026-03 "
	    "price_subsidy 2000");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.recovery", schema) == 0
	        && th_int(&T, "SELECT count(*) FROM %s.netting", schema) == 0,
	    "the replaced household's paid months were recovered");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payee_month pm JOIN %s.payee p"
	        " ON p.id = pm.payee_id WHERE p.application_id = 'app-edge'"
	        " AND pm.status = 'exited' AND pm.first_month = '2026-03'",
	        schema, schema)
	        == 1,
	    "the old payee does not end from the month after until_month");
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
}

/*
 * Issue 10, item 8: one confirmed account change serves the payee's
 * every held payment. Payee 1's account is closed: March's and April's
 * payments are rejected and May's run is built (planned) with the old
 * account. One change proposed on March's payment and confirmed: March
 * and April go out again under new end-to-end ids, May's planned
 * payment takes the new account, and the bank pays all three there.
 */
static void
held_payments(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/accounts.json", T.run_dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		th_fail(&T, "cannot write %s", path);
	fprintf(f,
	    "{\"6222020000000001\": {\"name\": \"payee 1\","
	    " \"closed\": true}}\n");
	fclose(f);
	snprintf(
	    fixture_env, sizeof(fixture_env), "SN_BANK_SIM_FIXTURE=%s", path);
	start_funded(3);
	free(run_month("2026-03"));
	free(run_month("2026-04"));
	char *may = build_month("2026-05");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment p JOIN %s.payee pe"
	        " ON pe.id = p.payee_id WHERE pe.application_id ="
	        " 'app-000001' AND p.status = 'rejected'",
	        schema, schema)
	        == 2,
	    "want March's and April's payments of payee 1 held");
	char *pid = th_text(&T,
	    "SELECT p.id FROM %s.payment p JOIN %s.payee pe"
	    " ON pe.id = p.payee_id WHERE pe.application_id = 'app-000001'"
	    " AND p.period = '2026-03'",
	    schema, schema);
	char  upath[128], cpath[160];
	snprintf(upath, sizeof(upath), "/payments/%s/account", pid);
	snprintf(cpath, sizeof(cpath), "%s/confirmation", upath);
	char  *mine = token("tk-2", "township_officer", "220103001");
	answer a    = call("PUT", upath, mine,
	       "{\"bank_code\": \"ICBC\", \"account_number\":"
	          " \"6222020000099999\", \"account_name\": \"spouse 1\"}");
	TH_CHECK(&T, a.status == 202, "the proposal: %d %s", a.status,
	    jerr(a.body));
	json_decref(a.body);
	a = call("POST", cpath, finance, NULL);
	TH_CHECK(&T, a.status == 200, "the confirmation: %d %s", a.status,
	    jerr(a.body));
	json_decref(a.body);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment p JOIN %s.payee pe"
	        " ON pe.id = p.payee_id WHERE pe.application_id ="
	        " 'app-000001' AND p.account_number_index = '%s'"
	        " AND ((p.period IN ('2026-03', '2026-04') AND p.attempt = 2)"
	        "  OR (p.period = '2026-05' AND p.status = 'planned'"
	        "   AND p.attempt = 1))",
	        schema, schema, acct_index("6222020000099999"))
	        == 3,
	    "the change did not reach every payment of the payee");
	/* A beneficiary.changed that approval published before it applied
	 * payee.changed carries the account that bounced: the confirmed one
	 * stays. */
	inject_payees_then(1, false);
	char *acct = th_text(&T,
	    "SELECT account_number_index FROM %s.payee WHERE application_id ="
	    " 'app-000001'",
	    schema);
	TH_CHECK(&T,
	    acct != NULL && strcmp(acct, acct_index("6222020000099999")) == 0,
	    "a late beneficiary.changed put back the bounced account (%s)",
	    acct != NULL ? acct : "none");
	free(acct);
	pay_run(may);
	if (!th_wait_int(&T, 3, 30000,
	        "SELECT count(*) FROM %s b"
	        " WHERE account_number = '6222020000099999'"
	        " AND status = 'settled'",
	        book()))
		th_fail(&T,
		    "the bank did not pay March, April and May to the "
		    "new account");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.instruction_history h JOIN %s.payment"
	        " p ON p.id = h.payment_id WHERE p.period IN ('2026-03',"
	        " '2026-04') AND h.replaced_by = p.e2e_id",
	        schema, schema)
	        == 2,
	    "the old instructions are not in the history");
	free(mine);
	free(pid);
	free(may);
}

/*
 * Issue 11, item 5: rows an older version wrote in clear (a payee with
 * the account a confirmed change replaced, an emergency payment) are
 * sealed at the next start, before it is ready: no clear account left,
 * sealed text, the blind indexes of the accounts; the payment is
 * answered with its account opened.
 */
static void
sealed(void)
{
	start("0", "0");
	th_kill(&T, disb, SIGTERM);
	TH_CHECK(&T, th_wait_exit(&T, disb, 15000) == 0,
	    "disbursement did not stop");
	char *pid = th_text(&T,
	    "WITH pe AS (INSERT INTO %s.payee (application_id, status, fund,"
	    " monthly_fen, township_code, bank_code, account_number,"
	    " account_name, from_month, superseded_account) VALUES"
	    " ('app-old', 'active', 'dibao', 50000, '220103001', 'ICBC',"
	    " '6222000011110001', 'old payee', '2026-01', '6222000011110000'))"
	    " INSERT INTO %s.payment (id, grant_id, fund, year, amount_fen,"
	    " township_code, bank_code, account_number, account_name, e2e_id,"
	    " status) SELECT i, 'grant-old', 'emergency', 2026, 1000,"
	    " '220103001', 'ICBC', '6222000011110002', 'old grantee',"
	    " %s.e2e_of(i, 1), 'settled' FROM gen_random_uuid() AS i"
	    " RETURNING id::text",
	    schema, schema, schema);
	TH_CHECK(&T, pid != NULL, "the clear rows were not written");
	start_disbursement();
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payee WHERE application_id = "
	        "'app-old'"
	        " AND account_number IS NULL AND superseded_account IS NULL"
	        " AND account_number_sealed LIKE 'sn1.%%'"
	        " AND strpos(account_number_sealed, '6222000011110001') = 0"
	        " AND account_number_index = '%s'"
	        " AND superseded_account_index = '%s'",
	        schema, acct_index("6222000011110001"),
	        acct_index("6222000011110000"))
	        == 1,
	    "the payee written in clear was not sealed at the start");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE id = '%s'"
	        " AND account_number IS NULL"
	        " AND account_number_sealed LIKE 'sn1.%%'"
	        " AND account_number_index = '%s'",
	        schema, pid, acct_index("6222000011110002"))
	        == 1,
	    "the payment written in clear was not sealed at the start");
	char path[128];
	snprintf(path, sizeof(path), "/payments/%s", pid);
	answer a = call("GET", path, finance, NULL);
	TH_CHECK(&T,
	    a.status == 200
	        && strcmp(jstr(json_object_get(a.body, "payee"),
	                      "account_number"),
	               "6222000011110002")
	            == 0,
	    "GET %s: %d, the sealed account is not answered opened", path,
	    a.status);
	json_decref(a.body);
	free(pid);
}

/* ---- the gateway's own questions (issue 14) ------------------------------
 */

/* No faults; funds and retry_ms as start_with says. */
static void
start_iso(const char *funds, int retry_ms)
{
	start_with(funds, retry_ms, "0", "0");
}

/* The payment of payee app (the ordinary one of PERIOD): column col. */
static char *
payment_of(const char *app, const char *col)
{
	return th_text(&T,
	    "SELECT p.%s::text FROM %s.payment p JOIN %s.payee e"
	    " ON e.id = p.payee_id WHERE e.application_id = '%s'"
	    " AND p.period = '" PERIOD "'",
	    col, schema, schema, app);
}

/*
 * Items 1 and 3 of issue 14 through the gateway: a run of four payees, two
 * of whose accounts the bank refuses (payee 1's is closed: AC04; payee
 * 3's holder has another name: BE01). The refused ones are held with the
 * ISO code, the Chinese reason and the English one, and payment.failed
 * carries the code and the Chinese text; the bank booked every
 * instruction on the fund's own account (the gateway's configuration,
 * never "sn-fund-..."), with the remittance the gateway writes from the
 * fund and the period, and the gateway holds each one's period and run.
 */
static void
gateway_paid(void)
{
	snprintf(fixture_env, sizeof(fixture_env), "SN_BANK_SIM_FIXTURE=%s",
	    write_file("accounts.json",
	        "{\"6222020000000001\": {\"name\": \"payee 1\","
	        " \"state\": \"closed\"},"
	        " \"6222020000000003\": {\"name\": \"someone else\"}}\n"));
	start_iso(NULL, 1000);
	inject_payees(4);
	allocate("dibao", 1000000000LL);
	allocate("tekun", 1000000000LL);
	int64_t since = db_ms();
	char   *id    = build_run();
	approve(id, approver);
	wait_completed(id, 90000, "through bank-gateway");
	check_ids_time_ordered(since);

	static const struct {
		const char *app, *code;
	} refused[] = { { "app-000001", "AC04" }, { "app-000003", "BE01" } };
	static const char *const refused_codes[4] = { "AC04", "BE01", NULL };
	for (int i = 0; i < 2; i++) {
		const char *app = refused[i].app;
		char       *st  = payment_of(app, "status");
		char       *rc  = payment_of(app, "reason_code");
		TH_CHECK(&T,
		    st != NULL && strcmp(st, "rejected") == 0 && rc != NULL
		        && strcmp(rc, refused[i].code) == 0,
		    "%s: %s %s, want rejected %s", app, st ? st : "(none)",
		    rc ? rc : "(none)", refused[i].code);
		free(st);
		free(rc);
		/* Chinese: bytes outside ASCII; English: some text */
		TH_CHECK(&T,
		    th_int(&T,
		        "SELECT count(*) FROM %s.payment p JOIN %s.payee e"
		        " ON e.id = p.payee_id WHERE e.application_id = '%s'"
		        " AND octet_length(p.reason) > length(p.reason)"
		        " AND length(p.reason_en) > 0"
		        " AND octet_length(p.reason_en) = length(p.reason_en)",
		        schema, schema, app)
		        == 1,
		    "%s: no Chinese reason and English reason_en stored", app);
		char *pid = payment_of(app, "id");
		char  path[128];
		snprintf(path, sizeof(path), "/payments/%s", pid);
		answer a = call("GET", path, finance, NULL);
		TH_CHECK(&T,
		    a.status == 200
		        && strcmp(jstr(a.body, "reason_code"), refused[i].code)
		            == 0
		        && json_is_string(json_object_get(a.body, "reason_en"))
		        && json_integer_value(
		               json_object_get(a.body, "retries"))
		            == 0,
		    "GET %s: %d, not the ISO code and reason_en", path,
		    a.status);
		json_decref(a.body);
		free(pid);
	}

	/* payment.failed: the ISO code and the Chinese text stored */
	check_failed_events(2, refused_codes);

	/* The bank booked each on its fund's account, with the gateway's
	 * remittance (period and the fund's purpose). */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment p JOIN %s i"
	        " ON i.end_to_end_id = p.e2e_id WHERE"
	        " (p.fund = 'dibao' AND i.debtor_account = '" ACCT_DIBAO "'"
	        "  AND i.remittance_info = '2026年3月 最低生活保障金')"
	        " OR (p.fund = 'tekun' AND i.debtor_account = '" ACCT_TEKUN
	        "'  AND i.remittance_info = '2026年3月 特困人员救助供养金')",
	        schema, book())
	        == 4,
	    "the bank did not book the four instructions on the funds'"
	    " accounts with the remittance of their period");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s b WHERE status = "
	        "'settled'",
	        book())
	            == 2
	        && th_int(&T,
	               "SELECT count(*) FROM %s.payment WHERE status ="
	               " 'settled'",
	               schema)
	            == 2,
	    "want payees 2 and 4 settled, once each");
	/* the gateway holds each instruction's period and run */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(DISTINCT p.id) FROM %s.payment p"
	        " JOIN %s.transactions t ON t.end_to_end_id = p.e2e_id"
	        " WHERE t.period = p.period AND t.run_id = p.run_id::text",
	        schema, th_schema(&T, "bank-gateway"))
	        == 4,
	    "the gateway did not get each instruction's period and run");
	printf("gateway_paid: AC04 and BE01 held with their reasons, two "
	       "settled, booked on the funds' accounts\n");
	free(id);
}

/*
 * Item 2: the dibao fund's account is short (bank-sim: AM04, the gateway:
 * RETRY). Its payments go back to ready under the same end-to-end ids,
 * nothing published as failed, and go out again after the wait, which
 * doubles; once finance has topped the account up (bank-sim restarted
 * without the limit) they are paid, each once, under the ids they always
 * had, and the run completes.
 */
static void
gateway_retry(void)
{
	const char *fixture = write_file("accounts.json",
	    "{\"" ACCT_DIBAO "\": {\"balance_fen\": 1000}}\n");
	snprintf(fixture_env, sizeof(fixture_env), "SN_BANK_SIM_FIXTURE=%s",
	    fixture);
	start_iso(NULL, 800);
	inject_payees(4);
	allocate("dibao", 1000000000LL);
	allocate("tekun", 1000000000LL);
	char *id = build_run();
	char *e1 = payment_of("app-000001", "e2e_id");
	char *e3 = payment_of("app-000003", "e2e_id");
	approve(id, approver);
	/* told to retry, sent again, told again */
	if (!th_wait_int(&T, 2, 60000,
	        "SELECT count(*) FROM %s.payment"
	        " WHERE fund = 'dibao' AND retries >= 2",
	        schema))
		th_fail(&T, "the dibao payments were not retried twice");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE fund = 'dibao'"
	        " AND attempt = 1 AND e2e_id IN ('%s', '%s')"
	        " AND status IN ('ready', 'sent') AND reason_code = 'AM04'",
	        schema, e1, e3)
	        == 2,
	    "a retried payment changed its end-to-end id or was held");
	/* The waits (stamped in one statement with checked_at): after the
	 * n-th RETRY 800 ms doubled n - 1 times, at most 3200; and a payment
	 * sent again went out no sooner. */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE fund = 'dibao'"
	        " AND retries >= 1 AND ((status = 'ready'"
	        "  AND not_before - checked_at = least(800::bigint"
	        "   << (retries - 1), 3200) * interval '1 millisecond')"
	        " OR (status = 'sent' AND sent_at >= not_before))",
	        schema)
	        == 2,
	    "a retried payment's wait is not the doubled one, or it went "
	    "out before its wait ended");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic = "
	        "'payment.failed'",
	        schema)
	        == 0,
	    "a RETRY was published as failed");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(DISTINCT msg_id) FROM %s.iso_txs"
	        " WHERE end_to_end_id = '%s'",
	        bschema, e1)
	        >= 2,
	    "the bank did not get %s again in a new message", e1);
	int64_t retried = th_metric_http(
	    &T, port, "sn_disbursement_instructions_total{status=\"retry\"}");
	TH_CHECK(&T, retried >= 4, "retries counted: %lld, want >= 4",
	    (long long) retried);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE fund = 'tekun'"
	        " AND status = 'settled'",
	        schema)
	            == 2
	        && th_int(&T,
	               "SELECT count(*) FROM %s.run WHERE id = '%s'"
	               " AND status = 'sending'",
	               schema, id)
	            == 1,
	    "want tekun paid and the run still sending");

	/* finance tops the account up: no limit any more */
	th_stop(&T, bank.sim);
	write_file("accounts.json", "{}\n");
	restart_sim("0", "0");
	wait_completed(id, 90000, "after the top-up");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE fund = 'dibao'"
	        " AND status = 'settled' AND attempt = 1"
	        " AND e2e_id IN ('%s', '%s')",
	        schema, e1,
	        e3) == 2
	        && th_int(&T,
	               "SELECT count(*) FROM %s b"
	               " WHERE end_to_end_id IN ('%s', '%s')"
	               " AND status = 'settled'",
	               book(), e1, e3)
	            == 2
	        && th_int(&T,
	               "SELECT count(*) FROM %s.outbox"
	               " WHERE topic = 'payment.settled'",
	               schema)
	            == 4
	        && th_int(&T,
	               "SELECT count(*) FROM %s.outbox"
	               " WHERE topic = 'payment.failed'",
	               schema)
	            == 0,
	    "after the top-up the dibao payments were not paid once each "
	    "under their first ids");
	printf("gateway_retry: AM04 retried under the same ids (%lld "
	       "retries counted), paid once after the top-up\n",
	    (long long) retried);
	free(e1);
	free(e3);
	free(id);
}

/* The seed's funds without tekun. */
static const char funds_no_tekun[]
    = "{\"initiator\": \"某某区民政局\", \"funds\": ["
      "{\"fund\": \"dibao\", \"account\": \"" ACCT_DIBAO "\","
      " \"account_name\": \"某某区民政局最低生活保障资金专户\","
      " \"agent\": \"102100099996\", \"currency\": \"CNY\","
      " \"purpose\": \"最低生活保障金\", \"category_purpose\": \"SSBE\"},"
      "{\"fund\": \"emergency\", \"account\": \"1202020109900012361\","
      " \"account_name\": \"某某区民政局临时救助资金专户\","
      " \"agent\": \"102100099996\", \"currency\": \"CNY\","
      " \"purpose\": \"临时救助金\", \"category_purpose\": \"SSBE\"}]}\n";

/* dibao's account alone: the gateway refuses a batch of any other fund. */
static const char funds_dibao_only[]
    = "{\"initiator\": \"某某区民政局\", \"funds\": ["
      "{\"fund\": \"dibao\", \"account\": \"" ACCT_DIBAO "\","
      " \"account_name\": \"某某区民政局最低生活保障资金专户\","
      " \"agent\": \"102100099996\", \"currency\": \"CNY\","
      " \"purpose\": \"最低生活保障金\", \"category_purpose\": \"SSBE\"}]}\n";

/*
 * A batch the gateway refuses whole (a fund it has no account for: an
 * emergency grant's payment here) is undone by the end-to-end ids the
 * sender claimed it with (migration 015): the payment goes back to ready
 * under the same end-to-end id, in no batch, not to be claimed again
 * before the wait; the next claim after the wait is refused again. It is
 * neither failed nor paid meanwhile.
 */
static void
refused_batch(void)
{
	static const char grant[] = "8d1f6c1e-0000-4000-8000-0000000000f1";
	char              funds[512];
	snprintf(funds, sizeof(funds), "%s",
	    write_file("funds.json", funds_dibao_only));
	start_iso(funds, 1000);
	th_proc    *p  = inject_grant(grant, 120000);
	const char *gw = th_schema(&T, "bank-gateway");
	if (!th_wait_int(&T, 1, 60000,
	        "SELECT (count(*) >= 2)::int FROM %s.refusals"
	        " WHERE fund = 'emergency' AND kind = 'unconfigured'",
	        gw))
		th_fail(
		    &T, "the gateway did not refuse the grant's batch twice");
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.payment WHERE grant_id = '%s'"
	        " AND status = 'ready' AND batch_id IS NULL AND sender IS NULL"
	        " AND not_before > now() AND attempt = 1", /* its first e2e */
	        schema, grant))
		th_fail(&T, "the refused payment was not made ready again");
	int64_t refused = th_int(&T,
	    "SELECT count(*) FROM %s.refusals WHERE fund = 'emergency'", gw);
	int64_t failed  = th_int(&T,
	     "SELECT count(*) FROM %s.outbox WHERE topic IN"
	      " ('payment.failed', 'payment.settled')",
	     schema);
	TH_CHECK(&T, failed == 0,
	    "a refused batch published %lld payment outcomes",
	    (long long) failed);
	printf("refused_batch: the grant's batch refused %lld times, its"
	       " payment ready again each time under its end-to-end id\n",
	    (long long) refused);
	th_kill(&T, p, SIGTERM);
	th_wait_exit(&T, p, 15000);
}

/* The run's state that a refused approval must leave alone. */
static int64_t
run_fingerprint(const char *id)
{
	return th_int(&T,
	           "SELECT count(*) FROM %s.run WHERE id = '%s' AND status"
	           " = 'awaiting_approval' AND decided_by IS NULL",
	           schema, id)
	    * 1000000
	    + th_int(&T,
	          "SELECT count(*) FROM %s.payment WHERE run_id = '%s'"
	          " AND status = 'planned'",
	          schema, id)
	    * 1000
	    + th_int(&T,
	        "SELECT count(*) FROM %s.outbox"
	        " WHERE topic = 'payment_run.changed'",
	        schema);
}

/*
 * A bank adapter that does not know FundQuery (as bank-sim's older NNG
 * side did): a REP socket on disbursement's SN_BANK_URL, served by a
 * thread, refusing every request as a malformed batch.
 */
typedef struct adapter {
	nng_socket  sock;
	pthread_t   thread;
	int         refused;   /* requests answered; read after the join */
	atomic_uint connected; /* pipes added (NNG's thread) */
} adapter;

static void
adapter_pipe_added(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void) p;
	(void) ev;
	adapter *a = arg;
	atomic_fetch_add(&a->connected, 1);
}

static void *
adapter_serve(void *arg)
{
	adapter *a = arg;
	for (;;) {
		nng_msg *in, *out;
		if (nng_recvmsg(a->sock, &in, 0) != 0)
			return NULL;
		nng_msg_free(in);
		Sn__Bank__V1__BatchReply br = SN__BANK__V1__BATCH_REPLY__INIT;
		Sn__Bank__V1__BankReply  r  = SN__BANK__V1__BANK_REPLY__INIT;
		br.accepted                 = false;
		br.error                    = "malformed request";
		r.body_case = SN__BANK__V1__BANK_REPLY__BODY_BATCH;
		r.batch     = &br;
		size_t len  = sn__bank__v1__bank_reply__get_packed_size(&r);
		if (nng_msg_alloc(&out, len) != 0)
			return NULL;
		sn__bank__v1__bank_reply__pack(&r, nng_msg_body(out));
		if (nng_sendmsg(a->sock, out, 0) != 0) {
			nng_msg_free(out);
			return NULL;
		}
		a->refused++;
	}
}

static void
adapter_start(adapter *a, const char *url)
{
	TH_CHECK(&T,
	    nng_rep0_open(&a->sock) == 0
	        && nng_pipe_notify(
	               a->sock, NNG_PIPE_EV_ADD_POST, adapter_pipe_added, a)
	            == 0
	        && nng_listen(a->sock, url, NULL, 0) == 0
	        && pthread_create(&a->thread, NULL, adapter_serve, a) == 0,
	    "the adapter does not listen on %s", url);
}

/*
 * Waits until a client (disbursement's dialer) is connected. Its dialer
 * retries every second at most after the gateway stopped, more than the
 * 600 ms a request may take here (disb_timeout_ms): a request asked
 * before the dialer is back may be handed over at its deadline's edge, time
 * out with the refusal on its way, and go again. Connected first, the
 * request goes at once and its answer is the one that counts.
 */
static void
adapter_wait_connected(adapter *a, int ms)
{
	uint64_t until = th_now_ms() + (uint64_t) ms;
	while (atomic_load(&a->connected) == 0 && th_now_ms() < until)
		th_sleep_ms(10);
	TH_CHECK(&T, atomic_load(&a->connected) > 0,
	    "disbursement did not connect to the adapter in %d ms", ms);
}

/* Stops it; the requests it refused. */
static int
adapter_stop(adapter *a)
{
	nng_close(a->sock); /* its thread's receive fails: it returns */
	pthread_join(a->thread, NULL);
	return a->refused;
}

/*
 * Item 4: a run paying dibao and tekun is not approved while the gateway
 * has no account for tekun (409 fund_not_configured naming it), nor while
 * the gateway does not answer, nor while the adapter on SN_BANK_URL
 * refuses the FundQuery as malformed (one that does not know it: 503
 * bank_unavailable both), and none of these changes anything; with the
 * seed's funds it is approved and paid.
 */
static void
gateway_funds(void)
{
	snprintf(fixture_env, sizeof(fixture_env), "SN_BANK_SIM_FIXTURE=");
	char funds[512];
	snprintf(funds, sizeof(funds), "%s",
	    write_file("funds.json", funds_no_tekun));
	start_iso(funds, 1000);
	inject_payees(4);
	allocate("dibao", 1000000000LL);
	allocate("tekun", 1000000000LL);
	char   *id = build_run();
	char    path[128];
	int64_t before = run_fingerprint(id);
	snprintf(path, sizeof(path), "/runs/%s/approval", id);
	answer a = call("POST", path, approver, "{\"decision\": \"approve\"}");
	json_t *e = json_object_get(a.body, "error");
	TH_CHECK(&T,
	    a.status == 409 && strcmp(jerr(a.body), "fund_not_configured") == 0
	        && strcmp(jstr(e, "fund"), "tekun") == 0,
	    "approving without tekun's account: %d %s (fund %s)", a.status,
	    jerr(a.body), jstr(e, "fund"));
	json_decref(a.body);
	TH_CHECK(&T, run_fingerprint(id) == before,
	    "a refused approval changed the run");

	th_stop(&T, bank.gw);
	a = call("POST", path, approver, "{\"decision\": \"approve\"}");
	e = json_object_get(a.body, "error");
	TH_CHECK(&T,
	    a.status == 503 && strcmp(jerr(a.body), "bank_unavailable") == 0
	        && json_array_size(json_object_get(e, "funds")) == 2,
	    "approving with the gateway down: %d %s", a.status, jerr(a.body));
	json_decref(a.body);
	TH_CHECK(&T, run_fingerprint(id) == before,
	    "an approval the gateway did not answer changed the run");

	adapter old = { .refused = 0 };
	adapter_start(&old, bank.url);
	adapter_wait_connected(&old, 10000);
	a = call("POST", path, approver, "{\"decision\": \"approve\"}");
	e = json_object_get(a.body, "error");
	TH_CHECK(&T,
	    a.status == 503 && strcmp(jerr(a.body), "bank_unavailable") == 0
	        && json_array_size(json_object_get(e, "funds")) == 2,
	    "approving with an adapter refusing FundQuery: %d %s", a.status,
	    jerr(a.body));
	json_decref(a.body);
	int refused = adapter_stop(&old);
	TH_CHECK(&T, refused == 1,
	    "the adapter was asked %d times, want once (a refusal is not "
	    "retried)",
	    refused);
	TH_CHECK(&T, run_fingerprint(id) == before,
	    "an approval whose FundQuery was refused changed the run");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.iso_messages", bschema) == 0,
	    "something went to the bank before the run was approved");

	gw_settings(NULL);
	th_bank_start_gateway(&T, &bank);
	approve(id, approver);
	wait_completed(id, 90000, "with the seed's funds");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE run_id = '%s'"
	        " AND status = 'settled'",
	        schema, id)
	        == 4,
	    "want the run's four payments settled");
	printf("gateway_funds: 409 fund_not_configured (tekun), 503 with "
	       "the gateway down and 503 with an adapter refusing FundQuery, "
	       "none changing anything; then paid\n");
	free(id);
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "emergency_paid", emergency_paid },
		{ "idle", idle },
		{ "run_10k", run_10k },
		{ "sigkill", sigkill },
		{ "passed_over", passed_over },
		{ "claim_by_fund", claim_by_fund },
		{ "payment_in_place", payment_in_place },
		{ "references", references },
		{ "build_reads", build_reads },
		{ "duties", duties },
		{ "correction", correction },
		{ "validation", validation },
		{ "district_clock", district_clock },
		{ "reads", reads },
		{ "register_months", register_months },
		{ "back_payment", back_payment },
		{ "low_income", low_income },
		{ "exits", exits },
		{ "periods", periods },
		{ "instalments", instalments },
		{ "edge_replaced", edge_replaced },
		{ "held_payments", held_payments },
		{ "sealed", sealed },
		{ "gateway_paid", gateway_paid },
		{ "gateway_retry", gateway_retry },
		{ "gateway_funds", gateway_funds },
		{ "refused_batch", refused_batch },
	};
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), done);
}
