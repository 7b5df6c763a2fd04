/*
 * sn-busbench: the bus benchmark (issue 2), and the bus demo of the
 * README's first command. Not a pass/fail test: it prints figures.
 *
 *   sn-busbench [--events N] [--pgbench-seconds S] [--no-pgbench]
 *               [--batched] [--tx-events E] [--parallel P]
 *
 * One sn-testpub appends N events (E = 1,000 per transaction, P = two
 * transactions in flight; with --batched, each transaction's events in
 * one sn_bus_append_batch, numbered at their commit; one by one, a
 * transaction's events after its first are collected and numbered at its
 * commit too when they are 100 or more, so a small E, a request's few
 * events, is the relay's path) while one sn-testsub applies them, each
 * event
 * one row in the subscriber's effects table committed with its cursor.
 * The publisher starts appending once the subscriber is connected and
 * knows the stream's epoch. End to end is measured on the database's own
 * clock, from the first outbox row written to the last effect applied. Then,
 * on the same cluster, pgbench runs single-row INSERT transactions (1 client,
 * then 4) for the comparison. Needs SN_TEST_DB_URL (a superuser connection
 * string).
 *
 * Also printed, per 1,000 events, from the start of the publisher to the
 * subscriber's catching up: the WAL the cluster wrote and the writing
 * transactions it committed (pg_current_xact_id), and PostgreSQL's CPU
 * per event (pgref_pg_cpu_us); the cluster's, so run it alone on its
 * cluster.
 * SN_BENCH_TESTPUB and SN_BENCH_TESTSUB run another build's publisher and
 * subscriber (A/B pairs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "pgref.h"

#ifndef SN_TESTPUB
#define SN_TESTPUB "sn-testpub"
#endif
#ifndef SN_TESTSUB
#define SN_TESTSUB "sn-testsub"
#endif
int
main(int argc, char **argv)
{
	long events = 100000, pg_seconds = 10, tx_events = 1000, parallel = 2;
	int  pgbench = 1, batched = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
			events = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--pgbench-seconds") == 0
		    && i + 1 < argc)
			pg_seconds = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--no-pgbench") == 0)
			pgbench = 0;
		else if (strcmp(argv[i], "--batched") == 0)
			batched = 1;
		else if (strcmp(argv[i], "--tx-events") == 0 && i + 1 < argc)
			tx_events = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--parallel") == 0 && i + 1 < argc)
			parallel = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr,
			    "usage: sn-busbench [--events N] "
			    "[--pgbench-seconds S] [--no-pgbench] "
			    "[--batched] [--tx-events E] [--parallel P]\n");
			return 2;
		}
	}
	if (events < 1 || tx_events < 1 || parallel < 1) {
		fprintf(stderr,
		    "sn-busbench: --events, --tx-events and "
		    "--parallel are at least 1\n");
		return 2;
	}
	const char *pubbin = getenv("SN_BENCH_TESTPUB");
	const char *subbin = getenv("SN_BENCH_TESTSUB");
	if (pubbin == NULL || pubbin[0] == '\0')
		pubbin = SN_TESTPUB;
	if (subbin == NULL || subbin[0] == '\0')
		subbin = SN_TESTSUB;
	th t;
	th_init(&t, "busbench");
	char n[24], e[24], p[24];
	snprintf(n, sizeof(n), "%ld", events);
	snprintf(e, sizeof(e), "%ld", tx_events);
	snprintf(p, sizeof(p), "%ld", parallel);
	th_publisher(&t, "pub");
	const char *sargv[]
	    = { subbin, "--name", "sub", "--follow", "pub", NULL };
	th_proc *sub = th_spawn(&t, "sub", subbin, sargv, NULL);
	/* The subscriber's tables exist before the clock starts. */
	if (!th_wait_int(&t, 0, 30000, "SELECT count(*) FROM %s.effects",
	        th_schema(&t, "sub")))
		th_fail(&t, "the subscriber did not start");
	static const char WAL[]
	    = "SELECT (pg_current_wal_lsn() - '0/0')::int8";
	static const char XID[] = "SELECT pg_current_xact_id()::text::int8";
	/* The publisher appends nothing until the subscriber is connected
	 * and knows the stream's epoch: before, the live events of the
	 * first moments were dropped and came through replay (49,290 of
	 * 100,000 in one run of 12-07), which measured the start, not the
	 * bus. */
	char go[400];
	snprintf(go, sizeof(go), "%s/pub.go", t.run_dir);
	const char *pargv[] = { pubbin, "--name", "pub", "--events", n,
		"--batch", e, "--parallel", p, "--wait-followers", "1",
		"--go-file", go, batched ? "--proto-batch" : NULL, NULL };
	th_spawn(&t, "pub", pubbin, pargv, NULL);
	if (!th_wait_file_has(sub->log, "stream epoch adopted", 30000))
		th_fail(&t, "the subscriber did not learn the stream's epoch");
	int64_t   wal0 = th_int(&t, WAL);
	int64_t   xid0 = th_int(&t, XID);
	long long pg0  = pgref_pg_cpu_us(t.db_url);
	FILE     *f    = fopen(go, "w");
	if (f == NULL)
		th_fail(&t, "cannot write %s", go);
	fclose(f);
	const char *ps = th_schema(&t, "pub");
	const char *ss = th_schema(&t, "sub");
	if (!th_wait_int(&t, events, 600000,
	        "SELECT coalesce(max(last_seq), 0) FROM %s.bus_cursor", ss))
		th_fail(&t, "the subscriber did not catch up");
	long long pg1 = pg0 >= 0 ? pgref_pg_cpu_us(t.db_url) : -1;
	/* Less the two reads of XID themselves. */
	int64_t xacts     = th_int(&t, XID) - xid0 - 1;
	int64_t wal       = th_int(&t, WAL) - wal0;
	long    hwm       = pgref_proc_kib(sub->pid, "VmHWM:");
	long    rss       = pgref_proc_kib(sub->pid, "VmRSS:");
	int64_t e2e_us    = th_int(&t,
	       "SELECT (extract(epoch FROM (SELECT max(applied_at) FROM "
	          "%s.effects)"
	          " - (SELECT min(created_at) FROM %s.outbox)) * 1e6)::int8",
	       ss, ps);
	int64_t append_us = th_int(&t,
	    "SELECT (extract(epoch FROM max(created_at) - min(created_at))"
	    " * 1e6)::int8 FROM %s.outbox",
	    ps);
	int64_t relay_us  = th_int(&t,
	     "SELECT (extract(epoch FROM max(published_at) - min(created_at))"
	      " * 1e6)::int8 FROM %s.outbox",
	     ps);
	int64_t effects   = th_int(&t, "SELECT count(*) FROM %s.effects", ss);
	int64_t fsync     = th_int(&t,
	        "SELECT (current_setting('fsync') = 'on' AND"
	            " current_setting('synchronous_commit') = 'on')::int");
	double  eps = e2e_us > 0 ? (double) events * 1e6 / (double) e2e_us : 0;

	printf("bus: %ld events, one publisher (%s; %ld a transaction, %ld "
	       "in flight) -> one subscriber, fsync and synchronous_commit "
	       "%s\n",
	    events,
	    batched ? "a transaction's events in one batch, numbered at "
	              "its commit"
	            : "appending one by one",
	    tx_events, parallel, fsync ? "on" : "NOT on");
	printf("  applied              %lld effects (one per event)\n",
	    (long long) effects);
	printf(
	    "  appending took       %.0f ms\n", (double) append_us / 1000.0);
	printf("  numbered             %.0f ms after the first append\n",
	    (double) relay_us / 1000.0);
	printf("  end to end           %.0f ms: %.0f events/s (first append "
	       "to last effect committed)\n",
	    (double) e2e_us / 1000.0, eps);
	if (events > 0)
		printf("  per 1,000 events     %.0f KiB of WAL, %.1f writing "
		       "transactions\n",
		    (double) wal * 1000.0 / 1024.0 / (double) events,
		    (double) xacts * 1000.0 / (double) events);
	if (pg0 >= 0 && pg1 >= 0)
		printf(
		    "  PostgreSQL CPU       %.1f us an event (the cluster's "
		    "every process, this program's polls included)\n",
		    (double) (pg1 - pg0) / (double) events);
	printf(
	    "  subscriber memory    %ld KiB resident now, %ld KiB at most\n",
	    rss, hwm);
	if (pgbench) {
		double one = pgref_commits(
		    t.db_url, ps, t.run_dir, (int) pg_seconds, 1);
		double four = pgref_commits(
		    t.db_url, ps, t.run_dir, (int) pg_seconds, 4);
		printf(
		    "  PostgreSQL reference, same cluster, pgbench single-row "
		    "INSERT commits, %ld s each:\n",
		    pg_seconds);
		const char *what = batched ? "bus, batched appends"
		    : tx_events < 100      ? "bus, small transactions"
		                           : "bus, end to end";
		pgref_line(what, eps, "events/s", one, "pgbench 1 client");
		pgref_line(what, eps, "events/s", four, "pgbench 4 clients");
	}
	th_fini(&t);
	return 0;
}
