/*
 * sn-disbursement-bench: a monthly payment run for N payees (issue 5).
 *
 *   SN_TEST_DB_URL=... sn-disbursement-bench [N ...]   (default 100000)
 *
 * Starts the bank as every test that pays meets it (tests/support/bank.h:
 * bank-sim settling at once, no faults, behind bank-gateway, ISO 20022
 * over HTTPS with the gateway's client certificate) and disbursement
 * against the cluster in SN_TEST_DB_URL, each serving HTTPS with a
 * certificate of a CA made for the run; puts N payees into
 * disbursement's payee
 * table and their register months (payee_month, issue 9) directly (one
 * INSERT ... SELECT generate_series each: the payees' arrival through
 * approval's events is not what is measured): dibao and tekun, every
 * tenth one low-income (the price subsidy alone), 1 to 4 persons each,
 * with the month's price subsidy applying to all three categories. It
 * allocates the budgets and measures: the time to build the run and its
 * plan (POST /runs until awaiting_approval), and the time from approval
 * until every instruction is settled (the run completed), per payment
 * (benefit and subsidy lines: about 1.9 N). Beside them, in the
 * same run, PostgreSQL's COPY rate for N rows shaped like payments into
 * a scratch table (COPY FROM STDIN through libpq). Prints figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "bank.h"
#include "harness.h"
#include "pgref.h"
#include "sn/auth.h"
#include "sn/date.h"

#ifndef SN_DISBURSEMENT_BIN
#define SN_DISBURSEMENT_BIN "disbursement"
#endif
#ifndef SN_BANK_SIM_BIN
#define SN_BANK_SIM_BIN "bank-sim"
#endif
#ifndef SN_BANK_GATEWAY_BIN
#define SN_BANK_GATEWAY_BIN "bank-gateway"
#endif

extern char **environ;

static th T;

/* The database's work in the sending, counted (issue 15): statements
 * (pg_stat_statements when it is loaded, else -1; neither BEGIN nor
 * COMMIT, nor this bench's own reads, which name disbursement's schema),
 * committed transactions of this database (the bench's reads among
 * them) and WAL bytes of the cluster. */
typedef struct work {
	int64_t stmts, own, commits, wal; /* own: the bench's reads */
} work;

static work
work_now(void)
{
	work w;
	th_sleep_ms(1200); /* backends report their counts at most every s */
	PQclear(PQexec((PGconn *) T.pg, "SELECT pg_stat_clear_snapshot()"));
	w.stmts = w.own = -1;
	if (th_int(&T,
	        "SELECT count(*) FROM pg_settings WHERE name ="
	        " 'shared_preload_libraries'"
	        " AND setting LIKE '%%pg_stat_statements%%'")
	    > 0)
		w.stmts = th_int(&T,
		    "SELECT sum(calls)::bigint FROM pg_stat_statements"
		    " WHERE dbid = (SELECT oid FROM pg_database"
		    " WHERE datname = current_database())"
		    " AND query NOT IN ('BEGIN', 'COMMIT', 'ROLLBACK')"
		    " AND query NOT LIKE '%%%s.%%'",
		    th_schema(&T, "disbursement"));
	if (w.stmts >= 0)
		w.own = th_int(&T,
		    "SELECT coalesce(sum(calls), 0)::bigint"
		    " FROM pg_stat_statements WHERE query LIKE '%%%s.%%'",
		    th_schema(&T, "disbursement"));
	w.commits = th_int(&T,
	    "SELECT xact_commit FROM pg_stat_database"
	    " WHERE datname = current_database()");
	w.wal     = th_int(&T, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn");
	return w;
}

static char *
token(const char *user, const char *role)
{
	sn_auth     *auth;
	sn_principal p;
	char        *tok = NULL;
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "220103");
	if (sn_auth_open(&auth, th_token_private_pem) != SN_OK
	    || sn_auth_issue(auth, &p, 3600, &tok) != SN_OK)
		th_fail(&T, "cannot issue a token");
	sn_auth_close(auth);
	return tok;
}

static void
exec(const char *sql)
{
	PGresult *r = PQexec((PGconn *) T.pg, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK
	    && PQresultStatus(r) != PGRES_TUPLES_OK)
		th_fail(&T, "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

static void
one(long n)
{
	static char    port_env[32], durl[360], ca_file[300], tls[3][320];
	static th_bank bank;
	th_init(&T, "disbursement-bench");
	th_publisher(&T, "disbursement");
	th_publisher(&T, "approval");
	th_publisher(&T, "emergency");
	/* HTTPS everywhere, as in the local run: one CA for the run */
	th_tls_make_ca(&T, "bench");
	th_tls_make_cert(&T, "bench", "disbursement", "disbursement");
	snprintf(ca_file, sizeof(ca_file), "%s/bench-ca.pem", T.run_dir);
	setenv("SN_CLIENT_CA_FILE", ca_file, 1);
	memset(&bank, 0, sizeof(bank));
	/* SN_BENCH_BANK_SIM_BIN, SN_BENCH_BANK_GATEWAY_BIN: another build's
	 * (A/B pairs, like SN_BENCH_DISBURSEMENT_BIN below). */
	const char *sb = getenv("SN_BENCH_BANK_SIM_BIN"),
	           *gb = getenv("SN_BENCH_BANK_GATEWAY_BIN");
	bank.sim_bin   = sb != NULL && sb[0] != '\0' ? sb : SN_BANK_SIM_BIN;
	bank.gw_bin = gb != NULL && gb[0] != '\0' ? gb : SN_BANK_GATEWAY_BIN;
	bank.ca     = "bench";
	bank.sim_env[0] = "SN_BANK_SIM_OPEN_ALL=1";
	th_bank_certs(&T, &bank);
	th_bank_start(&T, &bank);
	int port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", port);
	snprintf(durl, sizeof(durl), "SN_BANK_URL=%s", bank.url);
	snprintf(tls[0], sizeof(tls[0]),
	    "SN_TLS_CERT_FILE=%s/disbursement.pem", T.run_dir);
	snprintf(tls[1], sizeof(tls[1]), "SN_TLS_KEY_FILE=%s/disbursement.key",
	    T.run_dir);
	snprintf(tls[2], sizeof(tls[2]), "SN_TLS_CA_FILE=%s", ca_file);
	/* The run is of 2026-03: disbursement takes runs for its current
	 * or next month only, so its clock is put at noon of 2026-03-10. */
	static char clock_env[64];
	sn_date     tenth = { 2026, 3, 10 };
	snprintf(clock_env, sizeof(clock_env), "SN_CLOCK_OFFSET_S=%lld",
	    (long long) (sn_date_to_days(tenth) * 86400 + 4 * 3600
	        - (int64_t) time(NULL)));
	const char *denv[24] = { port_env, durl, "SN_DISBURSEMENT_POLL_MS=50",
		"SN_TEST_CLOCK=1", clock_env, tls[0], tls[1], tls[2], NULL };
	/* The bench's own SN_DISBURSEMENT_*, SN_BUS_* and SN_DB_POOL go to
	 * disbursement (th_spawn passes on no SN_ setting): a chunk size, a
	 * relay's batch or a pool to compare. */
	size_t nd = 8;
	for (char **e = environ; *e != NULL && nd < 23; e++)
		if (strncmp(*e, "SN_DISBURSEMENT_", 16) == 0
		    || strncmp(*e, "SN_BUS_", 7) == 0
		    || strncmp(*e, "SN_DB_POOL=", 11) == 0)
			denv[nd++] = *e;
	denv[nd] = NULL;
	/* SN_BENCH_DISBURSEMENT_BIN: another build's binary (A/B pairs). */
	const char *dbin = getenv("SN_BENCH_DISBURSEMENT_BIN");
	if (dbin == NULL || dbin[0] == '\0')
		dbin = SN_DISBURSEMENT_BIN;
	const char *dargv[] = { dbin, NULL };
	th_proc    *disb    = th_spawn(&T, "disbursement", dbin, dargv, denv);
	if (!th_wait_ready(&T, port, 60000))
		th_fail(&T, "disbursement did not get ready");
	th_sleep_ms(2000); /* its start-up done: what stays is its idle size */
	long        idle_d = pgref_proc_kib(disb->pid, "VmRSS:");
	const char *s      = th_schema(&T, "disbursement");
	char        sql[1024];
	snprintf(sql, sizeof(sql),
	    "INSERT INTO %s.payee (application_id, beneficiary_id, status,"
	    " fund, monthly_fen, district_code, township_code, village_code,"
	    " bank_code, account_number, account_name, from_month, decided_by)"
	    " SELECT 'app-' || i, 'ben-' || i, 'active',"
	    " CASE WHEN i %% 10 = 0 THEN '' WHEN i %% 2 = 0 THEN 'dibao'"
	    " ELSE 'tekun' END,"
	    " CASE WHEN i %% 10 = 0 THEN 0 ELSE 50000 + (i %% 7) * 100 END,"
	    " '220103', '22010300' || (1 + i %% 3),"
	    " '22010300' || (1 + i %% 3) || '001', 'ICBC',"
	    " lpad(i::text, 16, '6'), 'payee ' || i, '2026-01',"
	    " 'tk-officer-' || (i %% 5) FROM generate_series(1, %ld) i",
	    s, n);
	uint64_t t0 = th_now_ms();
	exec(sql);
	/* category 4 low_income, 2 dibao, 1 tekun (sn.assist.v1.Category) */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO %s.payee_month (payee_id, first_month, status,"
	    " monthly_fen, members, cause, category)"
	    " SELECT id, from_month, status, monthly_fen, 1 + id %% 4, 1,"
	    " CASE fund WHEN '' THEN 4 WHEN 'dibao' THEN 2 ELSE 1 END"
	    " FROM %s.payee",
	    s, s);
	exec(sql);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO %s.price_subsidy (month, applies, per_person_fen,"
	    " categories) VALUES ('2026-03', true, 1500, '{1,2,4}')",
	    s);
	exec(sql);
	snprintf(sql, sizeof(sql), "ANALYZE %s.payee", s);
	exec(sql);
	snprintf(sql, sizeof(sql), "ANALYZE %s.payee_month", s);
	exec(sql);
	uint64_t seed_ms      = th_now_ms() - t0;
	char    *fin          = token("fin-1", "finance"),
	     *fa              = token("fa-1", "finance_approver");
	const char *budgets[] = { "{\"fund\":\"dibao\",\"year\":2026,\"amount_"
		                  "fen\":100000000000}",
		"{\"fund\":\"tekun\",\"year\":2026,\"amount_fen\":"
		"100000000000}",
		"{\"fund\":\"price_subsidy\",\"year\":2026,\"amount_fen\":"
		"100000000000}" };
	for (int i = 0; i < 3; i++) {
		char key[32];
		snprintf(key, sizeof(key), "b%d", i);
		if (th_http(&T, port, "POST", "/budgets", fin, key, budgets[i],
		        NULL)
		    != 201)
			th_fail(&T, "allocation failed");
	}
	char *body = NULL;
	t0         = th_now_ms();
	if (th_http(&T, port, "POST", "/runs", fin, "run",
	        "{\"period\":\"2026-03\"}", &body)
	    != 202)
		th_fail(&T, "POST /runs failed: %s", body ? body : "");
	free(body);
	if (!th_wait_int(&T, 1, 600000,
	        "SELECT count(*) FROM %s.run WHERE status = "
	        "'awaiting_approval'",
	        s))
		th_fail(&T, "the run was not built");
	uint64_t build_ms = th_now_ms() - t0;
	char     path[128];
	char    *run = th_text(&T, "SELECT id FROM %s.run", s);
	TH_CHECK(&T, run != NULL, "no run");
	snprintf(path, sizeof(path), "/runs/%s/approval", run);
	free(run);
	if (th_int(&T,
	        "SELECT count(*) FROM pg_available_extensions"
	        " WHERE name = 'pg_stat_statements'")
	    > 0)
		exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
	work w0 = work_now();
	t0      = th_now_ms();
	if (th_http(&T, port, "POST", path, fa, "appr",
	        "{\"decision\":\"approve\"}", NULL)
	    != 200)
		th_fail(&T, "approval failed");
	if (!th_wait_int(&T, 1, 1800000,
	        "SELECT count(*) FROM %s.run WHERE status = 'completed'", s))
		th_fail(&T, "the run did not complete");
	uint64_t send_ms = th_now_ms() - t0;
	work     w1      = work_now();
	int64_t  paid    = th_int(&T,
	        "SELECT count(*) FROM %s.instructions WHERE status = 'settled'",
	        th_schema(&T, "bank-sim"));
	int64_t  lines   = th_int(&T, "SELECT payments FROM %s.run", s);
	int64_t  subs    = th_int(&T,
	        "SELECT count(*) FROM %s.payment WHERE fund = 'price_subsidy'", s);
	TH_CHECK(&T, paid == lines && lines > n,
	    "the bank settled %lld of the run's %lld payments for %ld payees",
	    (long long) paid, (long long) lines, n);
	long hwm_d = pgref_proc_kib(disb->pid, "VmHWM:");
	th_sleep_ms(3000); /* the last answers applied: what the run left */
	long   held_d = pgref_proc_kib(disb->pid, "VmRSS:");
	long   hwm_g  = pgref_proc_kib(bank.gw->pid, "VmHWM:");
	long   hwm_s  = pgref_proc_kib(bank.sim->pid, "VmHWM:");
	double copy
	    = pgref_copy((PGconn *) T.pg, th_schema(&T, "disbursement"), n);
	printf("payees %ld: seed %.1f s | payments %lld (subsidy %lld)"
	       " | build + plan %.2f s (%.0f payments/s)"
	       " | approve to all settled %.2f s (%.0f payments/s)"
	       " | total %.2f s | bank settled %lld | COPY %.0f rows/s"
	       " | build %.2f %% and sending %.2f %% of COPY\n",
	    n, (double) seed_ms / 1000.0, (long long) lines, (long long) subs,
	    (double) build_ms / 1000.0,
	    (double) lines * 1000.0 / (double) (build_ms ? build_ms : 1),
	    (double) send_ms / 1000.0,
	    (double) lines * 1000.0 / (double) (send_ms ? send_ms : 1),
	    (double) (build_ms + send_ms) / 1000.0, (long long) paid, copy,
	    100.0 * (double) lines * 1000.0
	        / (double) (build_ms ? build_ms : 1) / (copy > 0 ? copy : 1),
	    100.0 * (double) lines * 1000.0 / (double) (send_ms ? send_ms : 1)
	        / (copy > 0 ? copy : 1));
	printf(
	    "  resident at most: disbursement %.1f MiB, bank-gateway %.1f MiB,"
	    " bank-sim %.1f MiB (bound 128 MiB)\n"
	    "  disbursement resident idle before the run %.1f MiB, 3 s after"
	    " it %.1f MiB (bound idle 32 MiB)\n",
	    (double) hwm_d / 1024.0, (double) hwm_g / 1024.0,
	    (double) hwm_s / 1024.0, (double) idle_d / 1024.0,
	    (double) held_d / 1024.0);
	double k = (double) (lines > 0 ? lines : 1) / 1000.0;
	/* Each of the bench's reads is a transaction of its own. */
	int64_t own = w0.own >= 0 && w1.own >= 0 ? w1.own - w0.own : 0;
	printf("  the sending per 1,000 payments: statements %.0f, commits"
	       " %.0f, WAL %.2f MiB (the services'; statements -1: no"
	       " pg_stat_statements, and then the bench's reads counted among"
	       " the commits)\n",
	    w0.stmts < 0 || w1.stmts < 0 ? -1.0
	                                 : (double) (w1.stmts - w0.stmts) / k,
	    (double) (w1.commits - w0.commits - own) / k,
	    (double) (w1.wal - w0.wal) / k / 1048576.0);
	fflush(stdout);
	free(fin);
	free(fa);
	th_fini(&T);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		one(100000);
		return 0;
	}
	for (int i = 1; i < argc; i++)
		one(strtol(argv[i], NULL, 10));
	return 0;
}
