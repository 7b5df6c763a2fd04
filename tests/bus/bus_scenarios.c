/*
 * The bus, proved (issue 2): each scenario is one ctest, run against the
 * real sn-testpub and sn-testsub binaries, a real PostgreSQL and real NNG
 * sockets over ipc:// in a private folder.
 *
 *   bus_scenarios late_subscriber | burst_slow | burst_budget |
 *                 sub_sigkill | idle_cursor |
 *                 pub_crash | two_publishers | serial_streams |
 *                 serial_oldest_first |
 *                 partitions |
 *                 replay_prefix | tables | stuck_teardown |
 *                 teardown_abort | setup_fails |
 *                 forged_envelope | forged_heartbeat | restored_backup |
 *                 restored_same_epoch | restored_new_epoch |
 *                 recreated_publisher | garbage_replay | restarts |
 *                 deaf_sub | one_publisher_two_processes |
 *                 stalled
 *
 * Every scenario ends with check_stream: the publisher's stream is dense
 * (1..N, each once, none unassigned), and the subscriber applied every
 * "test.event" of it exactly once and in sequence order (its effects
 * table has no unique key, so a repeat would show as a second row).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/req.h>

#include "harness.h"
#include "sn/bus/v1/bus.pb-c.h"

#ifndef SN_TESTPUB
#define SN_TESTPUB "sn-testpub"
#endif
#ifndef SN_TESTSUB
#define SN_TESTSUB "sn-testsub"
#endif
#ifndef SN_BUS_TOOL
#define SN_BUS_TOOL "sn-bus"
#endif

static th T;

/* Waits for the subscriber's cursor on pub to reach n. */
static void
wait_cursor(const char *sub, const char *pub, int64_t n, int ms)
{
	const char *ss = th_schema(&T, sub);
	if (!th_wait_int(&T, n, ms,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher = '%s'",
	        ss, pub))
		th_fail(&T, "%s's cursor on %s did not reach %lld (at %lld)",
		    sub, pub, (long long) n,
		    (long long) th_int(&T,
		        "SELECT last_seq FROM %s.bus_cursor"
		        " WHERE publisher = '%s'",
		        ss, pub));
}

static void
check_stream(const char *sub, const char *pub, int64_t nevents)
{
	const char *ss = th_schema(&T, sub);
	const char *ps = th_schema(&T, pub);
	int64_t     n  = th_int(&T, "SELECT count(*) FROM %s.outbox", ps);
	TH_CHECK(&T, n == nevents, "%s wrote %lld events, not %lld", pub,
	    (long long) n, (long long) nevents);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.outbox WHERE seq IS NULL", ps)
	        == 0,
	    "%s left events without a sequence", pub);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT (count(DISTINCT seq) = %lld AND min(seq) = 1"
	        " AND max(seq) = %lld)::int FROM %s.outbox",
	        (long long) n, (long long) n, ps)
	        == 1,
	    "%s's stream is not dense 1..%lld", pub, (long long) n);
	int64_t want = th_int(&T,
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'test.event'", ps);
	int64_t got  = th_int(&T,
	     "SELECT count(*) FROM %s.effects WHERE publisher = '%s'", ss, pub);
	TH_CHECK(&T, got == want, "%s applied %lld events of %s, want %lld",
	    sub, (long long) got, pub, (long long) want);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(DISTINCT seq) FROM %s.effects"
	        " WHERE publisher = '%s'",
	        ss, pub)
	        == want,
	    "%s applied some event of %s twice", sub, pub);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox o WHERE topic = 'test.event'"
	        " AND NOT EXISTS (SELECT 1 FROM %s.effects e"
	        "  WHERE e.publisher = '%s' AND e.seq = o.seq)",
	        ps, ss, pub)
	        == 0,
	    "%s missed events of %s", sub, pub);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM (SELECT seq < lag(seq) OVER (ORDER BY "
	        "id)"
	        " AS back FROM %s.effects WHERE publisher = '%s') x"
	        " WHERE back",
	        ss, pub)
	        == 0,
	    "%s applied events of %s out of order", sub, pub);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT last_seq FROM %s.bus_cursor WHERE publisher = '%s'",
	        ss, pub)
	        == n,
	    "%s's cursor on %s is not at the stream's end", sub, pub);
	printf("%s <- %s: %lld events in the stream, %lld applied once, in "
	       "order\n",
	    sub, pub, (long long) n, (long long) got);
}

static th_proc *
start_pub(const char *name, const char *events, const char *batch,
    const char *parallel, const char *const *env)
{
	const char *argv[] = { SN_TESTPUB, "--name", name, "--events", events,
		"--batch", batch, "--parallel", parallel, "--other-every", "7",
		NULL };
	return th_spawn(&T, name, SN_TESTPUB, argv, env);
}

/*
 * A burst of events from publisher name (1,000 a transaction, two in
 * flight) that reaches follower sub live: the publisher appends nothing
 * until sub's SUB is connected to it and sub has learned the stream's
 * epoch (the live events of a stream whose epoch is not known yet are
 * dropped and replayed). Started together, the follower's first dial
 * could come after most of the burst (bus.burst_budget, 12-07: 48,000 of
 * 50,000 events came through replay, none dropped by the follower).
 */
static th_proc *
start_burst(const char *name, const char *events, th_proc *sub)
{
	char go[400];
	snprintf(go, sizeof(go), "%s/%s.go", T.run_dir, name);
	const char *argv[] = { SN_TESTPUB, "--name", name, "--events", events,
		"--batch", "1000", "--parallel", "2", "--other-every", "7",
		"--wait-followers", "1", "--go-file", go, NULL };
	th_proc    *pub    = th_spawn(&T, name, SN_TESTPUB, argv, NULL);
	TH_CHECK(&T, th_wait_file_has(sub->log, "stream epoch adopted", 30000),
	    "the follower did not learn the stream's epoch in 30 s");
	FILE *f = fopen(go, "w");
	TH_CHECK(&T, f != NULL, "cannot write %s", go);
	fclose(f);
	return pub;
}

/* The settings of a second process of publisher "pub": its own PUB and
 * replay addresses (each buffer 400 bytes). */
static void
second_process_urls(char *pub_url, char *rep_url)
{
	snprintf(pub_url, 400, "SN_PUB_PUB_URL=ipc://%s/pub-2.pub", T.run_dir);
	snprintf(
	    rep_url, 400, "SN_PUB_REPLAY_URL=ipc://%s/pub-2.rep", T.run_dir);
}

/* start_pub with --proto-batch: each transaction's events appended with
 * one sn_bus_append_batch, numbered at its commit when there are at
 * least SN_BUS_NUMBER_AT_APPEND (100) of them. */
static th_proc *
start_pub_batch(const char *name, const char *events, const char *batch,
    const char *parallel, const char *const *env)
{
	const char *argv[] = { SN_TESTPUB, "--name", name, "--events", events,
		"--batch", batch, "--parallel", parallel, "--other-every", "7",
		"--proto-batch", NULL };
	return th_spawn(&T, name, SN_TESTPUB, argv, env);
}

static th_proc *
start_sub(const char *name, const char *follow, const char *const *extra,
    const char *const *env)
{
	const char *argv[16]
	    = { SN_TESTSUB, "--name", name, "--follow", follow };
	int n = 5;
	for (int i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return th_spawn(&T, name, SN_TESTSUB, argv, env);
}

/* Publisher "pub" started with events (batches of batch, from parallel
 * connections) and env, waited for until every event has its sequence
 * (at most ms). */
static th_proc *
publish_all(int events, const char *batch, const char *parallel,
    const char *const *env, int ms)
{
	char n[16];
	snprintf(n, sizeof(n), "%d", events);
	th_publisher(&T, "pub");
	th_proc *pub = start_pub("pub", n, batch, parallel, env);
	if (!th_wait_int(&T, events, ms, "SELECT count(seq) FROM %s.outbox",
	        th_schema(&T, "pub")))
		th_fail(&T, "the publisher did not publish %d events", events);
	return pub;
}

/* Follower "sub", started now, gets pub's events, in order, once (within
 * ms). */
static void
follow_all(int events, int ms)
{
	start_sub("sub", "pub", NULL, NULL);
	wait_cursor("sub", "pub", events, ms);
	check_stream("sub", "pub", events);
}

/* A subscriber started after 10,000 events were published gets all of
 * them, in order, once. */
static void
late_subscriber(void)
{
	publish_all(10000, "500", "2", NULL, 60000);
	follow_all(10000, 60000);
}

/* A follower "sub" slowed on purpose, writing its metrics to stats (a
 * buffer of cap bytes filled here) when it stops; setting, if not NULL,
 * one more environment setting. It holds its loop for 3 s at the first
 * event, and batches of 1500 slow events hold it again and again: NNG's
 * 8192 messages overflow on any machine (a quiet one kept up with the
 * batches alone), so there are gaps to recover. */
static th_proc *
start_slow_sub(char *stats, size_t cap, const char *setting)
{
	snprintf(stats, cap, "%s/sub.stats", T.run_dir);
	const char *extra[] = { "--slow-us", "20", "--stall-ms", "3000",
		"--stats-file", stats, NULL };
	const char *env[]   = { "SN_BUS_APPLY_BATCH=1500", setting, NULL };
	return start_sub("sub", "pub", extra, env);
}

/* 200,000 events burst unpaced at a subscriber made slow on purpose: it
 * applies exactly 200,000, in order, once, and drops none of those it
 * received live. The follower's loop stalls for 3 s and then for each
 * slow batch, far longer than NNG's 8192 messages last at the burst's
 * rate; its SUB watch is buffered (sn_nngwatch_open_buffered), so what
 * comes meanwhile waits in its inbox within the byte budget (it must have
 * held more than NNG's buffers could, the SUB's and the PUB pipe's 8192
 * each, and dropped none), and what comes after a gap, or while the queue
 * is full, waits in the reorder buffer (none dropped: unheld). Before the
 * inbox, 30-71 % of the events were replayed, whatever the budget (28,811
 * with the inbox but no pause at the budget, 14.4 %); that recovery
 * itself is burst_budget's. Nearly the whole burst (about 170 bytes an
 * event) arrives during the stall: with the default budget, 32 MiB, 1-2 %
 * was replayed, with 16 MiB 16.5 %, with 8 MiB 56.1 %, with 256 MiB none;
 * the test gives the follower 128 MiB. The share replayed (issue 15's aim:
 * under a tenth) is printed, not asserted: what is replayed then is what
 * NNG itself dropped before the inbox got it, which depends on the
 * machine. Alone it is 0 (inbox at most 195,906 events); beside
 * console.browser and three other tests in a CI run of 12-07 it was
 * 21,628 in one gap (10.8 %), which failed the tenth the test asserted
 * then. */
#define BURST_BUDGET "134217728"

static void
burst_slow(void)
{
	char stats[400];
	th_publisher(&T, "pub");
	th_proc *sub = start_slow_sub(
	    stats, sizeof(stats), "SN_BUS_QUEUE_BYTES=" BURST_BUDGET);
	start_burst("pub", "200000", sub);
	wait_cursor("sub", "pub", 200000, 400000);
	th_stop(&T, sub);
	int64_t replayed = th_metric(
	    stats, "sn_bus_events_replayed_total{publisher=\"pub\"}");
	int64_t consumed = th_metric(
	    stats, "sn_bus_events_consumed_total{publisher=\"pub\"}");
	int64_t gaps
	    = th_metric(stats, "sn_bus_gaps_total{publisher=\"pub\"}");
	int64_t unheld = th_metric(
	    stats, "sn_bus_events_unheld_total{publisher=\"pub\"}");
	int64_t inbox_max     = th_metric(stats, "sn_bus_inbox_held_max");
	int64_t inbox_dropped = th_metric(stats, "sn_bus_inbox_dropped_total");
	printf("replayed %lld of %lld events consumed (%.1f %%), %lld gaps; "
	       "inbox held at most %lld, dropped %lld; unheld %lld\n",
	    (long long) replayed, (long long) consumed,
	    consumed > 0 ? 100.0 * (double) replayed / (double) consumed : 0.0,
	    (long long) gaps, (long long) inbox_max, (long long) inbox_dropped,
	    (long long) unheld);
	TH_CHECK(&T, consumed == 200000, "consumed counter is %lld",
	    (long long) consumed);
	TH_CHECK(&T, inbox_dropped == 0 && unheld == 0,
	    "the follower dropped live events it had received: %lld past its "
	    "inbox's budget, %lld past its reorder buffer",
	    (long long) inbox_dropped, (long long) unheld);
	TH_CHECK(&T, inbox_max > 2 * 8192,
	    "the inbox held at most %lld events during the stall: the live "
	    "events that came while the follower was busy were not kept",
	    (long long) inbox_max);
	check_stream("sub", "pub", 200000);
}

/* A burst at a follower made slow on purpose, with SN_BUS_QUEUE_BYTES at
 * 512 KiB: every event is applied once and in order, and the most bytes of
 * events it held at once (sn_bus_held_bytes_max) stays within twice the
 * budget (the queue up to it, then the reorder buffer up to it, each by
 * one event over at most): 643,352 and 846,462 bytes when written, where
 * the same burst with the budget at 1 GiB held 2,591,068. The inbox of
 * messages received while the loop is busy has the same budget: past it
 * live events are dropped, and replay recovers them (replayed > 0). */
#define BUDGET "524288"

static void
burst_budget(void)
{
	char stats[400];
	th_publisher(&T, "pub");
	th_proc *sub = start_slow_sub(
	    stats, sizeof(stats), "SN_BUS_QUEUE_BYTES=" BUDGET);
	start_burst("pub", "50000", sub);
	wait_cursor("sub", "pub", 50000, 300000);
	th_stop(&T, sub);
	int64_t held     = th_metric(stats, "sn_bus_held_bytes_max");
	int64_t consumed = th_metric(
	    stats, "sn_bus_events_consumed_total{publisher=\"pub\"}");
	int64_t replayed = th_metric(
	    stats, "sn_bus_events_replayed_total{publisher=\"pub\"}");
	int64_t inbox_dropped = th_metric(stats, "sn_bus_inbox_dropped_total");
	int64_t unheld        = th_metric(
	           stats, "sn_bus_events_unheld_total{publisher=\"pub\"}");
	printf("held at most %lld bytes of events (budget " BUDGET
	       "), %lld events replayed; dropped past the budget: %lld from "
	       "the inbox, %lld from the reorder buffer\n",
	    (long long) held, (long long) replayed, (long long) inbox_dropped,
	    (long long) unheld);
	TH_CHECK(&T, replayed > 0 && inbox_dropped + unheld > 0,
	    "nothing was dropped past the budget (%lld replayed): the burst "
	    "never passed it, so this run proves nothing about recovery",
	    (long long) replayed);
	TH_CHECK(&T, consumed == 50000, "consumed counter is %lld",
	    (long long) consumed);
	TH_CHECK(
	    &T, held > 0, "no event was ever held (%lld)", (long long) held);
	TH_CHECK(&T, held <= 2 * atoll(BUDGET) + 65536,
	    "held %lld bytes of events, over twice the budget " BUDGET,
	    (long long) held);
	check_stream("sub", "pub", 50000);
}

/* The subscriber is killed with SIGKILL 20 times at random moments while
 * 50,000 events flow, and restarted each time: every event's effect is in
 * the database exactly once. */
static void
sub_sigkill(void)
{
	unsigned    seed = (unsigned) getpid();
	const char *s    = getenv("SN_TEST_SEED");
	if (s != NULL)
		seed = (unsigned) strtoul(s, NULL, 10);
	printf("seed %u (SN_TEST_SEED repeats it)\n", seed);
	srand(seed);
	th_publisher(&T, "pub");
	th_proc    *sub    = start_sub("sub", "pub", NULL, NULL);
	const char *argv[] = { SN_TESTPUB, "--name", "pub", "--events",
		"50000", "--batch", "100", "--parallel", "2", "--rate", "8000",
		"--other-every", "7", NULL };
	th_spawn(&T, "pub", SN_TESTPUB, argv, NULL);
	const char *ss = th_schema(&T, "sub");
	for (int i = 0; i < 20; i++) {
		int ms = 80 + rand() % 240;
		th_sleep_ms(ms);
		th_kill(&T, sub, SIGKILL);
		printf("kill %2d after %3d ms: %lld effects\n", i + 1, ms,
		    (long long) th_int_maybe(
		        &T, "SELECT count(*) FROM %s.effects", ss));
		fflush(stdout);
		sub = start_sub("sub", "pub", NULL, NULL);
	}
	wait_cursor("sub", "pub", 50000, 120000);
	check_stream("sub", "pub", 50000);
}

/* Makes a trigger count every write of sub's cursor row (in its table
 * cursor_writes), once sub has made the table. */
static void
count_cursor_writes(const char *sub)
{
	const char *ss = th_schema(&T, sub);
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT (to_regclass('%s.bus_cursor') IS NOT NULL)::int", ss))
		th_fail(&T, "%s never made its bus_cursor table", sub);
	th_exec(&T,
	    "CREATE TABLE %s.cursor_writes (n int NOT NULL);"
	    "CREATE FUNCTION %s.cursor_written() RETURNS trigger"
	    " LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN"
	    " INSERT INTO %s.cursor_writes VALUES (1); RETURN NULL; END $$;"
	    "CREATE TRIGGER cursor_written AFTER INSERT OR UPDATE ON"
	    " %s.bus_cursor FOR EACH ROW EXECUTE FUNCTION"
	    " %s.cursor_written()",
	    ss, ss, ss, ss, ss);
}

/*
 * Events that change nothing in a follower move its cursor in memory:
 * the row is written with the next batch that does change something, or
 * once it has been behind for a second (IDLE_STORE_MS in bus.c), not by
 * a transaction of its own per batch. Both kinds: "sub" has no handler
 * for "test.other" (as a follower of approval has none for most of its
 * topics); "noop" has one that writes nothing (as emergency's handler of
 * application.submitted, for an application not from a referral). 1,000
 * "test.other" events at 200 a second, each follower SIGKILLed and
 * started again half-way: a trigger counts every write of each cursor
 * row, which must come to at most one a second of the run and a few
 * more (each start reads the cursor and may adopt the epoch); each row
 * must end at the stream's end all the same.
 */
static void
idle_cursor(void)
{
	const char *noop[] = { "--other-noop", NULL };
	const char *name[] = { "sub", "noop" };
	th_proc    *sub[2];
	th_publisher(&T, "pub");
	sub[0] = start_sub("sub", "pub", NULL, NULL);
	sub[1] = start_sub("noop", "pub", noop, NULL);
	count_cursor_writes("sub");
	count_cursor_writes("noop");
	uint64_t    t0     = th_now_ms();
	const char *argv[] = { SN_TESTPUB, "--name", "pub", "--events", "1000",
		"--batch", "1", "--rate", "200", "--other-every", "1", NULL };
	th_spawn(&T, "pub", SN_TESTPUB, argv, NULL);
	th_sleep_ms(2500);
	for (int i = 0; i < 2; i++) {
		th_kill(&T, sub[i], SIGKILL);
		sub[i] = start_sub(name[i], "pub", i == 1 ? noop : NULL, NULL);
	}
	for (int i = 0; i < 2; i++)
		wait_cursor(name[i], "pub", 1000, 60000);
	uint64_t ms    = th_now_ms() - t0;
	int64_t  bound = (int64_t) (ms / 1000) + 6;
	for (int i = 0; i < 2; i++) {
		int64_t writes
		    = th_int(&T, "SELECT count(*) FROM %s.cursor_writes",
		        th_schema(&T, name[i]));
		printf("idle_cursor: %s: 1000 events that change nothing in"
		       " %llu ms, the cursor row written %lld times (bound"
		       " %lld)\n",
		    name[i], (unsigned long long) ms, (long long) writes,
		    (long long) bound);
		TH_CHECK(&T, writes <= bound,
		    "%s's cursor row was written %lld times in %llu ms (bound"
		    " %lld)",
		    name[i], (long long) writes, (unsigned long long) ms,
		    (long long) bound);
		th_stop(&T, sub[i]);
		check_stream(name[i], "pub", 1000);
	}
}

static void
expect_killed(th_proc *p, const char *what)
{
	int st = th_wait_exit(&T, p, 30000);
	TH_CHECK(&T, st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "%s: the failpoint did not kill the publisher", what);
}

/* p, killed by number.after_commit (what), left every row numbered up
 * to upto, and a restarted publisher brings the follower to it. */
static void
killed_numbered(th_proc *p, const char *what, int64_t upto)
{
	const char *ps   = th_schema(&T, "pub");
	const char *hb[] = { "SN_BUS_HEARTBEAT_MS=200", NULL };
	expect_killed(p, what);
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(seq) FROM %s.outbox", ps) == upto
	        && th_int(&T,
	               "SELECT count(*) FROM %s.outbox WHERE seq IS NULL", ps)
	            == 0,
	    "%s: the transaction should have committed sequences up to %lld",
	    what, (long long) upto);
	p = start_pub("pub", "0", "100", "1", hb);
	wait_cursor("sub", "pub", upto, 30000);
	check_stream("sub", "pub", upto);
	th_kill(&T, p, SIGTERM);
	TH_CHECK(&T, th_wait_exit(&T, p, 15000) >= 0, "publisher hung");
}

/* The publisher is killed between commit and publish: after a restart
 * the events are published. First killed after its own transaction
 * committed and before the relay ran; then killed after the relay gave
 * the events their sequences and before it sent them, so that the
 * stream's last events are lost on the wire: the heartbeat of the
 * restarted publisher (which publishes nothing new) shows them, and the
 * subscriber recovers them by replay. */
static void
pub_crash(void)
{
	const char *hb[] = { "SN_BUS_HEARTBEAT_MS=200", NULL };
	th_publisher(&T, "pub");
	const char *ps = th_schema(&T, "pub");
	start_sub("sub", "pub", NULL, NULL);

	/* A transaction of 100 events numbers them at its commit unless
	 * number_at_append is off: here they are to wait for the relay. */
	const char *fp1[] = { "SN_FAILPOINT=append.after_commit",
		"SN_BUS_HEARTBEAT_MS=200", "SN_BUS_NUMBER_AT_APPEND=0", NULL };
	expect_killed(
	    start_pub("pub", "100", "100", "1", fp1), "append.after_commit");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.outbox WHERE seq IS NULL", ps)
	        == 100,
	    "the 100 committed events should still wait for the relay");
	th_proc *p = start_pub("pub", "0", "100", "1", hb);
	wait_cursor("sub", "pub", 100, 30000);
	check_stream("sub", "pub", 100);
	th_kill(&T, p, SIGTERM);
	TH_CHECK(&T, th_wait_exit(&T, p, 15000) >= 0, "publisher hung");

	const char *fp2[] = { "SN_FAILPOINT=relay.after_commit",
		"SN_BUS_HEARTBEAT_MS=200", NULL };
	expect_killed(
	    start_pub("pub", "10", "10", "1", fp2), "relay.after_commit");
	TH_CHECK(&T, th_int(&T, "SELECT count(seq) FROM %s.outbox", ps) == 110,
	    "the relay should have committed sequences 101..110");
	p = start_pub("pub", "0", "100", "1", hb);
	wait_cursor("sub", "pub", 110, 30000);
	check_stream("sub", "pub", 110);
	th_kill(&T, p, SIGTERM);
	TH_CHECK(&T, th_wait_exit(&T, p, 15000) >= 0, "publisher hung");

	/* Then a transaction that numbered its own batch of 100 events at
	 * its commit, killed once committed and before it sent them; and
	 * one that appended its 100 events one by one (collected, then
	 * numbered at its commit as the batch was), killed alike. */
	const char *fp3[] = { "SN_FAILPOINT=number.after_commit",
		"SN_BUS_HEARTBEAT_MS=200", NULL };
	killed_numbered(start_pub_batch("pub", "100", "100", "1", fp3),
	    "number.after_commit, a batch", 210);
	killed_numbered(start_pub("pub", "100", "100", "1", fp3),
	    "number.after_commit, one by one", 310);
}

/* The outbox's rows inserted and updated so far (pg_stat_user_tables),
 * waited for until want rows inserted are counted (a backend reports its
 * counts when idle, within seconds). */
static void
outbox_writes(const char *ps, int64_t want, int64_t *ins, int64_t *upd)
{
	for (int i = 0; i < 150; i++) {
		*ins = th_int(&T,
		    "SELECT n_tup_ins FROM pg_stat_user_tables"
		    " WHERE schemaname = '%s' AND relname = 'outbox'",
		    ps);
		if (*ins >= want)
			break;
		th_sleep_ms(100);
	}
	th_sleep_ms(1500); /* the updates of the same backends */
	*ins = th_int(&T,
	    "SELECT n_tup_ins FROM pg_stat_user_tables"
	    " WHERE schemaname = '%s' AND relname = 'outbox'",
	    ps);
	*upd = th_int(&T,
	    "SELECT n_tup_upd FROM pg_stat_user_tables"
	    " WHERE schemaname = '%s' AND relname = 'outbox'",
	    ps);
}

/*
 * One publisher as two processes writing at once: A appends event by
 * event (its relay numbers them), B 200 events a transaction, numbered at
 * each commit (its relay pass's limit raised, so that A's backlog never
 * keeps it from it). Both number the one stream under the outbox's lock:
 * it stays dense, every event is numbered once, and the follower
 * (connected to A; B's events come to it by replay) applies each once.
 * B's rows are written once: inserted numbered, never updated.
 *
 * Then, A and B stopped, a transaction that finds more rows waiting
 * unnumbered than a relay pass takes (500 rows written behind the
 * processes' backs, a limit of 200) numbers 200 of them and leaves its
 * own events unnumbered, to the relay, which its commit wakes; the
 * stream stays dense.
 */
static void
numbered_at_commit(void)
{
	char        pub_url[400], rep_url[400];
	const char *ps = th_schema(&T, "pub");
	th_publisher(&T, "pub");
	start_sub("sub", "pub", NULL, NULL);
	second_process_urls(pub_url, rep_url);
	const char *env[]
	    = { pub_url, rep_url, "SN_BUS_RELAY_BATCH=100000", NULL };
	th_proc *a = start_pub("pub", "10000", "20", "3", NULL);
	th_proc *b = start_pub_batch("pub", "10000", "200", "3", env);
	wait_cursor("sub", "pub", 20000, 120000);
	check_stream("sub", "pub", 20000);
	/* B's rows (their data a packed Heartbeat, field 1 first; A's is
	 * text) were numbered in their own transaction: at its time
	 * (now()), not a relay pass's after it. */
	int64_t own = th_int(&T,
	    "SELECT count(*) FROM %s.outbox WHERE get_byte(data, 0) = 8"
	    " AND published_at = created_at",
	    ps);
	TH_CHECK(&T, own == 10000,
	    "%lld of the 10000 batched events were numbered at their "
	    "commit",
	    (long long) own);
	th_stop(&T, b);
	th_stop(&T, a); /* its relay would number the rows below */

	th_exec(&T,
	    "INSERT INTO %s.outbox (topic, data) SELECT 'test.other', 'x'"
	    " FROM generate_series(1, 500)",
	    ps);
	int64_t before = th_int(&T, "SELECT max(id) FROM %s.outbox", ps);
	/* Alone, where A was (the follower's address), polling never. */
	const char *env2[]
	    = { "SN_BUS_RELAY_BATCH=200", "SN_BUS_RELAY_POLL_MS=60000", NULL };
	th_proc *b2 = start_pub_batch("pub", "200", "200", "1", env2);
	wait_cursor("sub", "pub", 20700, 60000);
	check_stream("sub", "pub", 20700);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE id > %lld"
	        " AND published_at > created_at",
	        ps, (long long) before)
	        == 200,
	    "the transaction behind 500 unnumbered rows should have left "
	    "its 200 events to the relay");

	/* Written once: of the 20,700 rows only A's 10,000, the 500 and
	 * the last 200 were updated (numbered after their insert). */
	th_stop(&T, b2);
	int64_t ins = 0, upd = 0;
	outbox_writes(ps, 20700, &ins, &upd);
	TH_CHECK(&T, ins == 20700 && upd == 10700,
	    "outbox rows inserted %lld, updated %lld: want 20700 and 10700 "
	    "(B's 10,000 events written once)",
	    (long long) ins, (long long) upd);
	printf("numbered_at_commit: 20,700 events dense and applied once; "
	       "B's 10,000 numbered at their commit; outbox rows inserted "
	       "%lld, updated %lld\n",
	    (long long) ins, (long long) upd);
}

/* Two publishers, each writing from several connections at once, never
 * leave a gap or a skipped event in either stream. */
static void
two_streams(const char *const *sub_extra, const char *const *sub_env)
{
	const char *pool[] = { "SN_DB_POOL=6", NULL };
	th_publisher(&T, "pub-a");
	th_publisher(&T, "pub-b");
	start_sub("sub", "pub-a,pub-b", sub_extra, sub_env);
	start_pub("pub-a", "20000", "50", "6", pool);
	start_pub("pub-b", "20000", "50", "6", pool);
	wait_cursor("sub", "pub-a", 20000, 120000);
	wait_cursor("sub", "pub-b", 20000, 120000);
	check_stream("sub", "pub-a", 20000);
	check_stream("sub", "pub-b", 20000);
}

static void
two_publishers(void)
{
	two_streams(NULL, NULL);
}

/* A follower whose streams take turns (apply_serial, as supervision's):
 * with two publishers writing at once, every event is applied once and
 * in order, and no apply transaction ever ran beside another: each takes
 * an advisory lock a transaction running beside it would hold (testsub
 * --lane-check). Without --serial the same scenario failed 4 runs of 4
 * when this test was written (11,803 of the 40,000 events overlapped in
 * one). */
static void
serial_streams(void)
{
	const char *pool[]   = { "SN_DB_POOL=6", NULL };
	const char *serial[] = { "--serial", "--lane-check", NULL };
	two_streams(serial, pool);
	int64_t overlaps = th_int(&T,
	    "SELECT count(*) FROM %s.effects WHERE subject = 'overlap'",
	    th_schema(&T, "sub"));
	TH_CHECK(&T, overlaps == 0,
	    "%lld events were applied beside another apply transaction",
	    (long long) overlaps);
}

/* A transaction holding a lock on sub's effects table, so that its
 * handlers' INSERTs wait (its apply transactions block) until
 * unlock_effects. */
static PGconn *
lock_effects(const char *sub)
{
	PGconn *lock = PQconnectdb(T.db_url);
	if (PQstatus(lock) != CONNECTION_OK)
		th_fail(&T, "cannot connect: %s", PQerrorMessage(lock));
	char sql[256];
	snprintf(sql, sizeof(sql),
	    "BEGIN; LOCK TABLE %s.effects IN SHARE MODE", th_schema(&T, sub));
	PGresult *r = PQexec(lock, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		th_fail(&T, "cannot lock: %s", PQerrorMessage(lock));
	PQclear(r);
	return lock;
}

static void
unlock_effects(PGconn *lock)
{
	PQclear(PQexec(lock, "ROLLBACK"));
	PQfinish(lock);
}

/* The most an event of a stream applied after a newer one (of the
 * other stream) is older than it, in ms: how far sub's apply order
 * strays from the order the events happened in (their outbox rows'
 * created_at), over its effects of publishers a and b. */
static int64_t
apply_disorder_ms(const char *sub, const char *a, const char *b)
{
	const char *ss = th_schema(&T, sub);
	return th_int(&T,
	    "WITH e AS (SELECT f.id, o.created_at AS t FROM %s.effects f"
	    "  JOIN %s.outbox o ON f.publisher = '%s' AND o.seq = f.seq"
	    " UNION ALL SELECT f.id, o.created_at FROM %s.effects f"
	    "  JOIN %s.outbox o ON f.publisher = '%s' AND o.seq = f.seq),"
	    " x AS (SELECT t, max(t) OVER (ORDER BY id ROWS BETWEEN"
	    "  UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM e)"
	    " SELECT coalesce(max(extract(epoch FROM before - t) * 1000),"
	    " 0)::int8 FROM x WHERE before > t",
	    ss, th_schema(&T, a), a, ss, th_schema(&T, b), b);
}

/*
 * A serial follower (apply_serial) gives its one lane to the stream
 * whose oldest queued event is oldest, so that its streams are applied
 * in about the order their events happened, whatever their volumes
 * (bus.c, lane_pass). A thick stream (1,000 events in about a second)
 * and a thin one (100 in the same second) are queued whole while the
 * follower's first batch waits on a lock the test holds, in batches of
 * 10; then the lock goes. Taking turns, a batch each, the thin stream
 * ran ahead of the thick one (its last event applied when the thick
 * one had reached its first tenth: about 900 ms out of order); oldest
 * first, an event is applied after a newer one only within a batch's
 * span (10 thin events, about 100 ms). Bound: 400 ms.
 */
static void
serial_oldest_first(void)
{
	char        portenv[32];
	int         port     = th_free_port();
	const char *serial[] = { "--serial", NULL };
	snprintf(portenv, sizeof(portenv), "SN_HTTP_PORT=%d", port);
	const char *env[] = { portenv, "SN_BUS_APPLY_BATCH=10", NULL };
	th_publisher(&T, "thick");
	th_publisher(&T, "thin");
	start_sub("sub", "thick,thin", serial, env);
	if (!th_wait_ready(&T, port, 30000))
		th_fail(&T, "sub never became ready");

	PGconn *lock = lock_effects("sub");

	const char *a[] = { SN_TESTPUB, "--name", "thick", "--events", "1000",
		"--batch", "1", "--rate", "1000", NULL };
	const char *b[] = { SN_TESTPUB, "--name", "thin", "--events", "100",
		"--batch", "1", "--rate", "100", NULL };
	th_spawn(&T, "thick", SN_TESTPUB, a, NULL);
	th_spawn(&T, "thin", SN_TESTPUB, b, NULL);
	const char *lag_a = "sn_bus_consumer_lag_events{publisher=\"thick\"}";
	const char *lag_b = "sn_bus_consumer_lag_events{publisher=\"thin\"}";
	uint64_t    t0    = th_now_ms();
	while ((th_metric_http(&T, port, lag_a) < 1000
	           || th_metric_http(&T, port, lag_b) < 100)
	    && th_now_ms() - t0 < 60000)
		th_sleep_ms(50);
	TH_CHECK(&T,
	    th_metric_http(&T, port, lag_a) == 1000
	        && th_metric_http(&T, port, lag_b) == 100,
	    "sub did not learn of every event while blocked");
	unlock_effects(lock);
	wait_cursor("sub", "thick", 1000, 60000);
	wait_cursor("sub", "thin", 100, 60000);
	int64_t ms = apply_disorder_ms("sub", "thick", "thin");
	printf("serial_oldest_first: an event applied after a newer one was"
	       " at most %lld ms older than it (bound 400)\n",
	    (long long) ms);
	TH_CHECK(&T, ms < 400,
	    "the streams were applied %lld ms out of the order their events"
	    " happened",
	    (long long) ms);
	check_stream("sub", "thick", 1000);
	check_stream("sub", "thin", 100);
}

/* One publisher as two processes (two pods of a StatefulSet): both number
 * the one stream in the shared outbox, each sends on its own PUB socket
 * only what it numbered, and the follower is connected to the first one.
 * The second publishes last, so the follower learns of its events only
 * from the first one's heartbeat, which re-reads the head from the
 * database every five beats (before, it announced only what its own relay
 * had numbered, and the follower stopped at 1,000). */
static void
one_publisher_two_processes(void)
{
	char        pub_url[400], rep_url[400];
	const char *ps = th_schema(&T, "pub");
	th_publisher(&T, "pub");
	start_sub("sub", "pub", NULL, NULL);
	th_proc *a = start_pub("pub", "1000", "50", "1", NULL);
	if (!th_wait_int(
	        &T, 1000, 60000, "SELECT count(seq) FROM %s.outbox", ps))
		th_fail(&T, "the first process did not publish 1000 events");
	wait_cursor("sub", "pub", 1000, 60000);
	second_process_urls(pub_url, rep_url);
	const char *env[] = { pub_url, rep_url, NULL };
	start_pub("pub", "1000", "50", "1", env);
	wait_cursor("sub", "pub", 2000, 60000);
	check_stream("sub", "pub", 2000);
	th_stop(&T, a);
}

/* Two instances with SN_PARTITION=0/2 and 1/2 share a stream: each
 * applies only the subjects that hash to it, both move their own cursor
 * to the end, and together they apply every event exactly once. */
static void
partitions(void)
{
	th_publisher(&T, "pub");
	const char *p0[] = { "SN_PARTITION=0/2", NULL };
	const char *p1[] = { "SN_PARTITION=1/2", NULL };
	start_sub("sub0", "pub", NULL, p0);
	start_sub("sub1", "pub", NULL, p1);
	start_pub("pub", "5000", "250", "2", NULL);
	wait_cursor("sub0", "pub", 5000, 60000);
	wait_cursor("sub1", "pub", 5000, 60000);
	const char *ps   = th_schema(&T, "pub");
	const char *s0   = th_schema(&T, "sub0");
	const char *s1   = th_schema(&T, "sub1");
	int64_t     want = th_int(&T,
	        "SELECT count(*) FROM %s.outbox WHERE topic = 'test.event'", ps);
	int64_t     a    = th_int(&T, "SELECT count(*) FROM %s.effects", s0);
	int64_t     b    = th_int(&T, "SELECT count(*) FROM %s.effects", s1);
	printf("partition 0/2 applied %lld, 1/2 applied %lld, of %lld\n",
	    (long long) a, (long long) b, (long long) want);
	TH_CHECK(&T, a > 0 && b > 0, "one partition got nothing");
	TH_CHECK(&T, a + b == want, "partitions applied %lld, want %lld",
	    (long long) (a + b), (long long) want);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM (SELECT seq FROM %s.effects UNION ALL"
	        " SELECT seq FROM %s.effects) x GROUP BY seq"
	        " HAVING count(*) > 1",
	        s0, s1)
	        == 0,
	    "an event was applied by both partitions");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(DISTINCT seq) FROM (SELECT seq FROM %s.effects"
	        " UNION ALL SELECT seq FROM %s.effects) x",
	        s0, s1)
	        == want,
	    "the partitions together missed events");
}

/* Asks pub's replay endpoint directly, as a hub would. */
static Sn__Bus__V1__ReplayReply *
ask_replay(nng_socket req, uint64_t from, uint32_t max, const char *prefix)
{
	Sn__Bus__V1__ReplayRequest rq = SN__BUS__V1__REPLAY_REQUEST__INIT;
	rq.from_sequence              = from;
	rq.max_count                  = max;
	rq.topic_prefix               = (char *) prefix;
	uint8_t buf[128];
	size_t  len = sn__bus__v1__replay_request__pack(&rq, buf);
	TH_CHECK(&T, nng_send(req, buf, len, 0) == 0, "replay send failed");
	void  *reply;
	size_t rlen;
	TH_CHECK(&T, nng_recv(req, &reply, &rlen, NNG_FLAG_ALLOC) == 0,
	    "no replay answer");
	Sn__Bus__V1__ReplayReply *r
	    = sn__bus__v1__replay_reply__unpack(NULL, rlen, reply);
	nng_free(reply, rlen);
	TH_CHECK(&T, r != NULL, "malformed replay answer");
	return r;
}

/* The replay endpoint answers "from N, up to M", in order, and with a
 * topic prefix only the matching events, saying how far it looked. */
static void
replay_prefix(void)
{
	int  port = th_free_port();
	char portenv[32];
	snprintf(portenv, sizeof(portenv), "SN_HTTP_PORT=%d", port);
	const char *env[] = { portenv, NULL };
	publish_all(100, "100", "1", env, 30000);
	TH_CHECK(&T, th_wait_ready(&T, port, 10000), "/readyz never 200");
	char *metrics = NULL;
	TH_CHECK(&T,
	    th_http(&T, port, "GET", "/metrics", NULL, NULL, NULL, &metrics)
	        == 200,
	    "GET /metrics failed");
	TH_CHECK(&T,
	    strstr(metrics, "\nsn_bus_events_published_total 100\n") != NULL,
	    "/metrics does not count 100 events published:\n%s", metrics);
	free(metrics);
	nng_socket req;
	char       url[512];
	snprintf(url, sizeof(url), "ipc://%s/pub.replay", T.run_dir);
	TH_CHECK(&T, nng_req0_open(&req) == 0, "req open");
	nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, 10000);
	nng_socket_set_size(req, NNG_OPT_RECVMAXSZ, 16u << 20);
	TH_CHECK(&T, nng_dial(req, url, NULL, 0) == 0, "dial %s", url);

	Sn__Bus__V1__ReplayReply *r = ask_replay(req, 11, 10, "");
	TH_CHECK(
	    &T, r->n_events == 10, "got %zu events, want 10", r->n_events);
	for (size_t i = 0; i < r->n_events; i++) {
		TH_CHECK(&T, r->events[i]->sequence == 11 + i,
		    "event %zu has sequence %llu", i,
		    (unsigned long long) r->events[i]->sequence);
		TH_CHECK(&T, strcmp(r->events[i]->source, "pub") == 0,
		    "source is %s", r->events[i]->source);
	}
	TH_CHECK(&T, r->latest_sequence == 100, "latest %llu",
	    (unsigned long long) r->latest_sequence);
	TH_CHECK(&T, r->scanned_to == 20, "scanned_to %llu, want 20",
	    (unsigned long long) r->scanned_to);
	sn__bus__v1__replay_reply__free_unpacked(r, NULL);

	r = ask_replay(req, 1, 1000, "test.other");
	TH_CHECK(&T, r->n_events == 14, "got %zu test.other events, want 14",
	    r->n_events);
	for (size_t i = 0; i < r->n_events; i++)
		TH_CHECK(&T,
		    strcmp(r->events[i]->type, "test.other") == 0
		        && r->events[i]->sequence == 7 * (i + 1),
		    "event %zu is %s #%llu", i, r->events[i]->type,
		    (unsigned long long) r->events[i]->sequence);
	TH_CHECK(&T, r->scanned_to == 100, "scanned_to %llu, want 100",
	    (unsigned long long) r->scanned_to);
	sn__bus__v1__replay_reply__free_unpacked(r, NULL);

	r = ask_replay(req, 101, 10, "");
	TH_CHECK(&T, r->n_events == 0 && r->latest_sequence == 100,
	    "past the end: %zu events, latest %llu", r->n_events,
	    (unsigned long long) r->latest_sequence);
	sn__bus__v1__replay_reply__free_unpacked(r, NULL);
	th_nng_close(req, 10000);
	printf("replay: ranges, prefix filter and the end of the stream\n");
}

/* Events appended in batches (sn_bus_append_batch, one statement per
 * transaction) keep their order and density; a follower with an event
 * table gets each one decoded. (One that does not decode halts the
 * stream: see undecodable and forged_envelope.) */
static void
tables(void)
{
	th_proc    *pub, *sub;
	const char *argv[]  = { SN_TESTPUB, "--name", "bpub", "--events",
		 "3000", "--batch", "500", "--parallel", "2", "--other-every",
		 "7", "--proto-batch", NULL };
	const char *extra[] = { "--decoded", NULL };
	th_publisher(&T, "bpub");
	pub = th_spawn(&T, "bpub", SN_TESTPUB, argv, NULL);
	sub = start_sub("bsub", "bpub", extra, NULL);
	wait_cursor("bsub", "bpub", 3000, 120000);
	const char *ps = th_schema(&T, "bpub");
	const char *ss = th_schema(&T, "bsub");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT (count(*) = 3000 AND count(DISTINCT seq) = 3000"
	        " AND min(seq) = 1 AND max(seq) = 3000)::int FROM %s.outbox",
	        ps)
	        == 1,
	    "the batched stream is not dense 1..3000");
	/* Batches keep their order: within each transaction's rows (subjects
	 * s1..s500, s501..s1000, ...: two run at once, so their rows may
	 * interleave), subjects rise with sequences. */
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM (SELECT substr(subject, 2)::int AS i,"
	        " lag(substr(subject, 2)::int) OVER (ORDER BY seq) AS prev"
	        " FROM %s.outbox) x WHERE prev IS NOT NULL AND i < prev"
	        " AND (i - 1) / 500 = (prev - 1) / 500",
	        ps)
	        == 0,
	    "a batch's events are out of order");
	int64_t want = th_int(&T,
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'test.event'", ps);
	int64_t got  = th_int(&T, "SELECT count(*) FROM %s.effects", ss);
	TH_CHECK(&T, got == want, "applied %lld decoded events, want %lld",
	    (long long) got, (long long) want);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.effects e JOIN %s.outbox o"
	        " ON o.seq = e.seq WHERE e.subject <> 'hb' || "
	        "substr(o.subject, 2)",
	        ss, ps)
	        == 0,
	    "a handler saw a message other than its event's");
	th_stop(&T, sub);
	th_stop(&T, pub);
	printf("tables: 3000 events in batches, %lld decoded and applied\n",
	    (long long) got);
}

/* A publisher whose replay socket never wakes its loop (failpoint
 * replay.unwatched: a lost wake-up, as NNG's descriptor has had) still
 * answers replay: the heartbeat reads the socket once a beat. A follower
 * started after 1,500 events needs two answers of 1,000 to get them. */
static void
replay_backstop(void)
{
	const char *fp[] = { "SN_FAILPOINT=replay.unwatched",
		"SN_BUS_HEARTBEAT_MS=200", NULL };
	publish_all(1500, "500", "1", fp, 30000);
	follow_all(1500, 30000);
}

/* Connects to the Unix socket at path and hangs up before reading
 * anything; false if the connection could not be made. */
static bool
hang_up_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int  fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool ok
	    = fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A peer that connects and hangs up before the SP headers are exchanged
 * (a subscriber killed while it dials) made nng 1.5.2's listener stop
 * accepting for good (nng #1518: the header's write fails with EPIPE,
 * which reaches the listener as "closed"): no subscriber could join the
 * publisher again, live or by replay. The publisher's listeners are
 * checked (SN_NNG_LISTEN_CHECK_MS) and listen again when they no longer
 * accept. A hang-up kills the listener only when it lands before NNG
 * writes its header (under load NNG is sometimes first): each socket
 * named is hung up on until its publisher says it listened again, within
 * 30 s; then a subscriber started after gets every event. */
static void
hang_up_until_reopened(bool on_pub, bool on_replay)
{
	char pub_path[600], replay_path[600];
	snprintf(pub_path, sizeof(pub_path), "%s/pub.pub", T.run_dir);
	snprintf(replay_path, sizeof(replay_path), "%s/pub.replay", T.run_dir);
	const char *check[] = { "SN_NNG_LISTEN_CHECK_MS=200", NULL };
	th_proc    *pub     = publish_all(2000, "100", "1", check, 30000);
	/* The probes of a listener that accepts find it accepting. */
	th_sleep_ms(1000);
	TH_CHECK(&T, !th_file_has(pub->log, "listening again"),
	    "a listener that accepted was opened again");
	const char *again        = "listening again";
	bool        pub_again    = !on_pub;
	bool        replay_again = !on_replay;
	int         hangups      = 0;
	uint64_t    end          = th_now_ms() + 30000;
	while (!(pub_again && replay_again) && th_now_ms() < end) {
		if (!pub_again)
			TH_CHECK(&T, hang_up_on(pub_path),
			    "cannot connect to %s", pub_path);
		if (!replay_again)
			TH_CHECK(&T, hang_up_on(replay_path),
			    "cannot connect to %s", replay_path);
		hangups++;
		th_sleep_ms(50);
		pub_again
		    = pub_again || th_line_has(pub->log, again, "/pub.pub\"");
		replay_again = replay_again
		    || th_line_has(pub->log, again, "/pub.replay\"");
	}
	TH_CHECK(&T, pub_again && replay_again,
	    "after %d hang-ups the publisher did not listen again on%s%s",
	    hangups, pub_again ? "" : " pub.pub",
	    replay_again ? "" : " pub.replay");
	printf(
	    "%s: opened again after %d rounds of hang-ups\n", T.test, hangups);
	fflush(stdout);
	follow_all(2000, 30000);
}

static void
listener_hangup(void)
{
	hang_up_until_reopened(true, true);
}

/* The replay socket's listener alone: its check must read its own
 * listener's statistics (nng 1.5.2's nng_stat_find_listener gives the
 * first listener's, here the PUB socket's, which its own checks keep
 * moving: the dead replay listener was never opened again, and a
 * follower got no event in 60 s, its SUB socket hearing heartbeats). */
static void
replay_listener_hangup(void)
{
	hang_up_until_reopened(false, true);
}

/* A publisher whose loop is held 300 ms at each turn for 4 s (busy with
 * synchronous work, or starved of CPU on a loaded machine) keeps its
 * listeners. A probe needs a few turns (its connect, then the answer);
 * libuv runs due timers before it polls, so with checks every 200 ms
 * each check came due before the probe's next step: judged unanswered
 * twice in a row, the listeners were opened again (the misjudgment seen
 * in bus.replay_listener_hangup and tls.listener_check under a suite's
 * load). */
static void
listener_starved(void)
{
	const char *env[] = { "SN_NNG_LISTEN_CHECK_MS=200",
		"SN_TESTPUB_HOLD=300,4000", NULL };
	th_proc    *pub   = publish_all(2000, "100", "1", env, 30000);
	th_wait_file_has(pub->log, "stopped holding the loop", 30000);
	TH_CHECK(&T,
	    th_line_has(pub->log, "stopped holding the loop", "times"),
	    "the publisher did not hold its loop for 4 s");
	th_sleep_ms(1000); /* five checks with the loop free */
	TH_CHECK(&T, !th_file_has(pub->log, "listening again"),
	    "a held publisher's accepting listener was opened again");
	printf("%s: loop held 300 ms a turn for 4 s, never opened again\n",
	    T.test);
	fflush(stdout);
	follow_all(2000, 30000);
}

/* A service whose teardown never ends (what nng 1.5.2's stuck reaper
 * does to nng_close and nng_fini) still ends after SIGTERM: its teardown
 * watchdog exits 0 after 5 s, saying so. */
static void
stuck_teardown(void)
{
	const char *fp[] = { "SN_FAILPOINT=teardown.hang", NULL };
	th_publisher(&T, "pub");
	start_pub("pub", "100", "10", "1", NULL);
	th_proc *sub = start_sub("sub", "pub", NULL, fp);
	wait_cursor("sub", "pub", 100, 60000);
	uint64_t t0 = th_now_ms();
	th_kill(&T, sub, SIGTERM);
	int st = th_wait_exit(&T, sub, 11000);
	TH_CHECK(&T, st >= 0, "sub did not end within 11 s of SIGTERM");
	TH_CHECK(&T, WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "sub ended with status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	uint64_t ms = th_now_ms() - t0;
	TH_CHECK(&T, ms >= 4500,
	    "sub ended after %llu ms, before its watchdog",
	    (unsigned long long) ms);
	TH_CHECK(&T, th_file_has(sub->log, "teardown did not finish"),
	    "sub's log does not say why it ended");
	printf("stuck_teardown: ended %llu ms after SIGTERM, status 0\n",
	    (unsigned long long) ms);
}

/* An abort in the teardown on one of NNG's threads (what nng 1.5.2's
 * reaper does when it panics freeing a TLS connection) ends the service
 * with status 0, saying so; one on the service's own thread still
 * aborts. */
static void
teardown_abort(void)
{
	const char *nng_fp[] = { "SN_FAILPOINT=teardown.nng_abort", NULL };
	const char *own_fp[] = { "SN_FAILPOINT=teardown.abort", NULL };
	th_publisher(&T, "pub");
	start_pub("pub", "20", "10", "1", NULL);
	th_proc *nng = start_sub("sub", "pub", NULL, nng_fp);
	th_proc *own = start_sub("own", "pub", NULL, own_fp);
	wait_cursor("sub", "pub", 20, 60000);
	wait_cursor("own", "pub", 20, 60000);
	th_kill(&T, nng, SIGTERM);
	th_kill(&T, own, SIGTERM);
	int st = th_wait_exit(&T, nng, 11000);
	TH_CHECK(&T, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "sub (an NNG thread's abort) ended with status %d, signal %d",
	    st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1,
	    st >= 0 && WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	TH_CHECK(&T, th_file_has(nng->log, "NNG aborted in its teardown"),
	    "sub's log does not say why it ended");
	st = th_wait_exit(&T, own, 11000);
	TH_CHECK(&T, st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	    "own (its own thread's abort) ended with status %d, not SIGABRT",
	    st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	TH_CHECK(&T, !th_file_has(own->log, "NNG aborted in its teardown"),
	    "own's abort was taken for NNG's");
#if defined(__SANITIZE_ADDRESS__)
	/* A sanitizer's report on NNG's thread is never taken for NNG's
	 * panic: the process fails (SIGABRT with abort_on_error, else 1). */
	const char *freed_fp[] = { "SN_FAILPOINT=teardown.nng_freed", NULL };
	th_proc    *freed      = start_sub("freed", "pub", NULL, freed_fp);
	wait_cursor("freed", "pub", 20, 60000);
	th_kill(&T, freed, SIGTERM);
	st = th_wait_exit(&T, freed, 11000);
	TH_CHECK(&T, st >= 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0),
	    "freed (a sanitizer's report on NNG's thread) ended with status "
	    "0");
	TH_CHECK(&T, th_file_has(freed->log, "heap-use-after-free"),
	    "freed's log has no sanitizer report");
	TH_CHECK(&T, !th_file_has(freed->log, "NNG aborted in its teardown"),
	    "freed's report was taken for NNG's panic");
	printf("teardown_abort: a sanitizer's report on NNG's thread: "
	       "status %d, signal %d\n",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1,
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
#endif
	printf("teardown_abort: NNG's thread: status 0; the service's own: "
	       "SIGABRT\n");
}

/* A service whose setup fails while its streams' cursors are still being
 * read ends at once with status 1, saying why, and nothing of a stream it
 * closed is used afterwards (under the sanitizers a use after free would
 * abort it). */
static void
setup_fails(void)
{
	const char *fp[] = { "SN_FAILPOINT=setup.fail", NULL };
	th_publisher(&T, "pub");
	th_proc *sub = start_sub("sub", "pub", NULL, fp);
	int      st  = th_wait_exit(&T, sub, 10000);
	TH_CHECK(&T, st >= 0, "sub did not end within 10 s of failing");
	TH_CHECK(&T, WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "sub ended with %s %d, not status 1",
	    WIFEXITED(st) ? "status" : "signal",
	    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	TH_CHECK(&T, th_file_has(sub->log, "service setup failed"),
	    "sub's log does not say why it ended");
	TH_CHECK(&T, !th_file_has(sub->log, "cannot read the cursor"),
	    "a closed stream went on reading its cursor");
	printf("setup_fails: status 1, nothing used after close\n");
}

/* ---- issue 11: authentic streams ------------------------------------- */

/* The follower's bus_cursor row, column col, as text (malloc'd; NULL
 * when NULL or while the column does not exist: today's tree). */
static char *
cursor_text(const char *sub, const char *pub, const char *col)
{
	const char *ss = th_schema(&T, sub);
	if (th_int_maybe(&T,
	        "SELECT count(*) FROM information_schema.columns"
	        " WHERE table_schema = '%s' AND table_name = 'bus_cursor'"
	        " AND column_name = '%s'",
	        ss, col)
	    != 1)
		return NULL;
	return th_text(&T,
	    "SELECT %s::text FROM %s.bus_cursor WHERE publisher = '%s'", col,
	    ss, pub);
}

static int64_t
cursor_of(const char *sub, const char *pub)
{
	return th_int(&T,
	    "SELECT last_seq FROM %s.bus_cursor WHERE publisher = '%s'",
	    th_schema(&T, sub), pub);
}

/* Waits up to ms for the stream to be halted; its reason (malloc'd). */
static char *
wait_halted(const char *sub, const char *pub, int ms)
{
	uint64_t end = th_now_ms() + (uint64_t) ms;
	for (;;) {
		char *why = cursor_text(sub, pub, "halted_reason");
		if (why != NULL)
			return why;
		if (th_now_ms() > end)
			th_fail(&T,
			    "%s's stream of %s did not halt within %d ms"
			    " (cursor %lld)",
			    sub, pub, ms, (long long) cursor_of(sub, pub));
		th_sleep_ms(50);
	}
}

/* /readyz's status and, when want_body, its body in *body. */
static int
readyz(int port, char **body)
{
	return th_http_within(
	    &T, port, "GET", "/readyz", NULL, NULL, NULL, body, 5000);
}

static bool
metrics_have(int port, const char *line)
{
	char *m  = NULL;
	int   st = th_http_within(
	      &T, port, "GET", "/metrics", NULL, NULL, NULL, &m, 5000);
	bool ok = st == 200 && m != NULL && strstr(m, line) != NULL;
	free(m);
	return ok;
}

static int64_t
metric_of(int port, const char *series)
{
	char *m  = NULL;
	int   st = th_http_within(
	      &T, port, "GET", "/metrics", NULL, NULL, NULL, &m, 5000);
	int64_t v = -1;
	char    line[256];
	snprintf(line, sizeof(line), "\n%s ", series);
	char *p = st == 200 && m != NULL ? strstr(m, line) : NULL;
	if (p != NULL)
		v = strtoll(p + strlen(line), NULL, 10);
	free(m);
	return v;
}

static nng_socket
replay_socket(const char *pub)
{
	nng_socket req;
	char       url[512];
	snprintf(url, sizeof(url), "ipc://%s/%s.replay", T.run_dir, pub);
	TH_CHECK(&T, nng_req0_open(&req) == 0, "req open");
	nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(req, NNG_OPT_SENDTIMEO, 5000);
	nng_socket_set_size(req, NNG_OPT_RECVMAXSZ, 16u << 20);
	TH_CHECK(&T, nng_dial(req, url, NULL, 0) == 0, "dial %s", url);
	return req;
}

/* The publisher's epoch, as its replay endpoint says (malloc'd). */
static char *
epoch_of(const char *pub)
{
	nng_socket                req = replay_socket(pub);
	Sn__Bus__V1__ReplayReply *r   = ask_replay(req, 1, 1, "");
	char                     *e = strdup(r->epoch != NULL ? r->epoch : "");
	sn__bus__v1__replay_reply__free_unpacked(r, NULL);
	th_nng_close(req, 10000);
	return e;
}

/* An attacker's PUB socket, listening where the follower will dial. */
static nng_socket
evil_pub(char *url, size_t cap)
{
	nng_socket pub;
	snprintf(url, cap, "ipc://%s/evil.pub", T.run_dir);
	TH_CHECK(&T, nng_pub0_open(&pub) == 0, "pub open");
	TH_CHECK(&T, nng_listen(pub, url, NULL, 0) == 0, "listen %s", url);
	return pub;
}

static void
evil_send(nng_socket pub, const char *topic, Sn__Bus__V1__Envelope *env)
{
	size_t   tlen = strlen(topic) + 1;
	size_t   plen = sn__bus__v1__envelope__get_packed_size(env);
	uint8_t *buf  = malloc(tlen + plen);
	memcpy(buf, topic, tlen);
	sn__bus__v1__envelope__pack(env, buf + tlen);
	TH_CHECK(&T, nng_send(pub, buf, tlen + plen, 0) == 0, "evil send");
	free(buf);
}

static int
run_tool(const char *args)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s --db '%s' %s > %s/sn-bus.out 2>&1",
	    SN_BUS_TOOL, T.db_url, args, T.run_dir);
	int  st = system(cmd);
	char path[512];
	snprintf(path, sizeof(path), "%s/sn-bus.out", T.run_dir);
	FILE *f = fopen(path, "r");
	char  line[1024];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		printf("  sn-bus: %s", line);
	if (f != NULL)
		fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int pub_port; /* the decoded publisher's HTTP port */

static th_proc *
start_decoded_pub(const char *events)
{
	const char *argv[] = { SN_TESTPUB, "--name", "pub", "--events", events,
		"--batch", "100", "--proto-batch", NULL };
	char        portenv[32];
	if (pub_port == 0)
		pub_port = th_free_port();
	snprintf(portenv, sizeof(portenv), "SN_HTTP_PORT=%d", pub_port);
	const char *env[] = { portenv, NULL };
	return th_spawn(&T, "pub", SN_TESTPUB, argv, env);
}

/* The attacks' stage: "pub" has published 5 events; "sub" (an event
 * table follower, --decoded) has applied them, and dials the PUB socket
 * at pub_url (the attacker's, or NULL for the real one). */
static th_proc *
attack_stage(th_proc **pubp, const char *pub_url, int port)
{
	char portenv[32], urlenv[600];
	snprintf(portenv, sizeof(portenv), "SN_HTTP_PORT=%d", port);
	snprintf(urlenv, sizeof(urlenv), "SN_PUB_PUB_URL=%s",
	    pub_url ? pub_url : "");
	const char *env[]   = { portenv, "SN_BUS_HEARTBEAT_MS=200",
                pub_url ? urlenv : NULL, NULL };
	const char *extra[] = { "--decoded", NULL };
	th_publisher(&T, "pub");
	*pubp = start_decoded_pub("5");
	if (!th_wait_int(&T, 5, 30000, "SELECT count(seq) FROM %s.outbox",
	        th_schema(&T, "pub")))
		th_fail(&T, "the publisher did not publish 5 events");
	th_proc *sub = start_sub("sub", "pub", extra, env);
	wait_cursor("sub", "pub", 5, 30000);
	TH_CHECK(&T, th_wait_ready(&T, port, 10000), "sub never ready");
	return sub;
}

/* A forged envelope with the next sequence, the publisher's epoch and a
 * body that does not decode halts the stream (cursor unmoved, /readyz
 * 503 with the reason, the metric, an error line); the real event of
 * that sequence, once published, is applied after `sn-bus resync`:
 * nothing lost or doubled. (Today the forged event is passed over and
 * the real one skipped as a repeat.) */
static void
forged_envelope(void)
{
	char                  url[512];
	nng_socket            evil = evil_pub(url, sizeof(url));
	int                   port = th_free_port();
	th_proc              *pub;
	th_proc              *sub    = attack_stage(&pub, url, port);
	char                 *epoch  = epoch_of("pub");
	Sn__Bus__V1__Envelope env    = SN__BUS__V1__ENVELOPE__INIT;
	uint8_t               bad[1] = { 0x08 };
	env.source                   = (char *) "pub";
	env.epoch                    = epoch;
	env.sequence                 = 6;
	env.id                       = (char *) "forged";
	env.type                     = (char *) "test.event";
	env.subject                  = (char *) "forged";
	env.data.data                = bad;
	env.data.len                 = 1;
	char    *why                 = NULL;
	uint64_t end                 = th_now_ms() + 10000;
	while (
	    why == NULL && cursor_of("sub", "pub") == 5 && th_now_ms() < end) {
		evil_send(evil, "test.event", &env);
		th_sleep_ms(100);
		why = cursor_text("sub", "pub", "halted_reason");
	}
	TH_CHECK(&T, cursor_of("sub", "pub") == 5,
	    "the forged event moved the cursor to %lld",
	    (long long) cursor_of("sub", "pub"));
	if (why == NULL)
		why = wait_halted("sub", "pub", 5000);
	TH_CHECK(&T, strstr(why, "does not decode") != NULL, "halted for '%s'",
	    why);
	char *body = NULL;
	int   st   = readyz(port, &body);
	TH_CHECK(&T, st == 503, "/readyz answers %d while halted", st);
	TH_CHECK(&T,
	    body != NULL && strstr(body, "bus stream pub halted: ") != NULL
	        && strstr(body, why) != NULL,
	    "/readyz does not give the reason: %s", body ? body : "(none)");
	printf("forged_envelope: halted (%s); /readyz %d %s\n", why, st,
	    body ? body : "");
	fflush(stdout); /* before the next fork */
	free(body);
	TH_CHECK(&T,
	    metrics_have(port, "sn_bus_stream_halted{publisher=\"pub\"} 1"),
	    "no sn_bus_stream_halted 1 in /metrics");
	TH_CHECK(&T, th_file_has(sub->log, "bus stream halted"),
	    "no error line in sub's log");
	free(why);

	/* The real publisher now gives sequence 6 to a real event. */
	th_stop(&T, pub);
	pub = start_decoded_pub("1");
	if (!th_wait_int(&T, 6, 30000, "SELECT max(seq) FROM %s.outbox",
	        th_schema(&T, "pub")))
		th_fail(&T, "the publisher did not publish event 6");
	th_sleep_ms(500);
	TH_CHECK(&T, cursor_of("sub", "pub") == 5,
	    "a halted stream moved on to %lld",
	    (long long) cursor_of("sub", "pub"));
	char args[512];
	snprintf(
	    args, sizeof(args), "--schema %s streams", th_schema(&T, "sub"));
	TH_CHECK(&T, run_tool(args) == 0, "sn-bus streams failed");
	snprintf(args, sizeof(args), "--schema %s resync pub --from 6",
	    th_schema(&T, "sub"));
	TH_CHECK(&T, run_tool(args) == 0, "sn-bus resync failed");
	wait_cursor("sub", "pub", 6, 15000);
	const char *ss = th_schema(&T, "sub");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT (count(*) = 6 AND count(DISTINCT seq) = 6)::int"
	        " FROM %s.effects",
	        ss)
	        == 1,
	    "sub did not apply 1..6 once each (%lld rows)",
	    (long long) th_int(&T, "SELECT count(*) FROM %s.effects", ss));
	char *subj
	    = th_text(&T, "SELECT subject FROM %s.effects WHERE seq = 6", ss);
	TH_CHECK(&T, subj != NULL && strcmp(subj, "hb1") == 0,
	    "event 6 applied is '%s', not the real one", subj ? subj : "");
	free(subj);
	TH_CHECK(&T, cursor_text("sub", "pub", "halted_reason") == NULL,
	    "the halt is still recorded");
	TH_CHECK(&T, th_wait_ready(&T, port, 5000), "/readyz not 200 again");
	free(epoch);
	th_stop(&T, sub);
	th_stop(&T, pub);
	nng_close(evil);
	printf(
	    "forged_envelope: after resync the real event 6 applied once\n");
}

/* A forged heartbeat announcing 10^12 (repeated, 10 a second for 4 s)
 * costs the publisher a few replay requests, not a loop; the follower
 * trusts replay, warns and backs off, and stays up. */
static void
forged_heartbeat(void)
{
	char                   url[512];
	nng_socket             evil = evil_pub(url, sizeof(url));
	int                    port = th_free_port();
	th_proc               *pub;
	th_proc               *sub   = attack_stage(&pub, url, port);
	char                  *epoch = epoch_of("pub");
	Sn__Bus__V1__Heartbeat hb    = SN__BUS__V1__HEARTBEAT__INIT;
	hb.latest_sequence           = 1000000000000ull;
	uint8_t               hbuf[32];
	size_t                hlen = sn__bus__v1__heartbeat__pack(&hb, hbuf);
	Sn__Bus__V1__Envelope env  = SN__BUS__V1__ENVELOPE__INIT;
	env.source                 = (char *) "pub";
	env.epoch                  = epoch;
	env.type                   = (char *) "bus.heartbeat";
	env.data.data              = hbuf;
	env.data.len               = hlen;
	int64_t  before            = th_int(&T,
	                "SELECT xact_commit FROM pg_stat_database"
	                            " WHERE datname = current_database()");
	int64_t  served = metric_of(pub_port, "sn_bus_replay_requests_total");
	uint64_t t0     = th_now_ms();
	while (th_now_ms() - t0 < 4000) {
		evil_send(evil, "bus.heartbeat", &env);
		th_sleep_ms(100);
	}
	th_sleep_ms(600); /* the statistics collector's delay */
	int64_t commits = th_int(&T,
	                      "SELECT xact_commit FROM pg_stat_database"
	                      " WHERE datname = current_database()")
	    - before;
	int64_t asked = metric_of(
	    port, "sn_bus_claims_unconfirmed_total{publisher=\"pub\"}");
	/* Replay requests the publisher served: each unconfirmed claim is
	 * one; a loop would be thousands (1,498 commits/s in issue 11). */
	TH_CHECK(&T, commits < 2000,
	    "%lld commits in the database in 4.6 s: a replay loop",
	    (long long) commits);
	served = metric_of(pub_port, "sn_bus_replay_requests_total") - served;
	TH_CHECK(&T, served >= 1 && served <= 8,
	    "the publisher served %lld replay requests in 4 s (1..8 wanted)",
	    (long long) served);
	TH_CHECK(&T, th_file_has(sub->log, "not confirmed by replay"),
	    "no warning about the unconfirmed heartbeat in sub's log");
	TH_CHECK(&T, asked >= 1 && asked <= 6,
	    "%lld unconfirmed claims counted in 4 s (want 1..6: a backoff)",
	    (long long) asked);
	TH_CHECK(&T, readyz(port, NULL) == 200,
	    "a forged heartbeat made the follower unready");
	TH_CHECK(&T, cursor_of("sub", "pub") == 5, "the cursor moved");
	free(epoch);
	th_stop(&T, sub);
	th_stop(&T, pub);
	nng_close(evil);
	printf("forged_heartbeat: 40 forged heartbeats in 4 s: %lld replay"
	       " requests served, %lld claims not confirmed (%lld commits in"
	       " the whole cluster)\n",
	    (long long) served, (long long) asked, (long long) commits);
}

/* The follower's cursor at 10, then the publisher's outbox restored
 * from a backup behind it (rows deleted, last_seq lowered to 5, its epoch
 * set to epoch_sql), the publisher stopped; returns the follower. */
static th_proc *
restore_behind(const char *const *env, const char *epoch_sql)
{
	th_publisher(&T, "pub");
	th_proc *pub = start_pub("pub", "10", "10", "1", env + 1);
	th_proc *sub = start_sub("sub", "pub", NULL, env);
	wait_cursor("sub", "pub", 10, 30000);
	th_stop(&T, pub);
	const char *ps = th_schema(&T, "pub");
	TH_CHECK(&T,
	    th_int(&T,
	        "WITH d AS (DELETE FROM %s.outbox WHERE seq > 5 RETURNING 1),"
	        " u AS (UPDATE %s.bus_publisher SET last_seq = 5, epoch = %s"
	        " RETURNING 1)"
	        " SELECT (SELECT count(*) FROM d) + (SELECT count(*) FROM u)",
	        ps, ps, epoch_sql)
	        == 6,
	    "the backup was not restored");
	return sub;
}

/* The publisher restored behind the follower's cursor and restarted,
 * writing nothing: the follower halts, saying why. */
static void
restored_backup(void)
{
	int  port = th_free_port();
	char portenv[32];
	snprintf(portenv, sizeof(portenv), "SN_HTTP_PORT=%d", port);
	const char *env[] = { portenv, "SN_BUS_HEARTBEAT_MS=200", NULL };
	th_proc    *sub   = restore_behind(env, "epoch");
	th_proc    *pub   = start_pub("pub", "0", "10", "1", env + 1);
	char       *why   = wait_halted("sub", "pub", 15000);
	TH_CHECK(&T, strstr(why, "below our cursor") != NULL,
	    "halted for '%s'", why);
	TH_CHECK(&T, cursor_of("sub", "pub") == 10, "the cursor moved");
	TH_CHECK(&T, readyz(port, NULL) == 503, "/readyz not 503");
	printf("restored_backup: halted: %s\n", why);
	free(why);
	th_stop(&T, sub);
	th_stop(&T, pub);
}

/* A publisher restored alone from a backup: its outbox back at 5,
 * behind the follower's cursor 10, started again and writing 6..15 at
 * once, past the cursor, with its old epoch (a follower comparing heads
 * alone misses it: it skipped 6..10 as repeats and applied 11..15, 3 of
 * 3 runs before the follower remembered the ids it queued) or, as the
 * README's procedure says, with a new one. The follower halts, applies
 * none of them, and after `sn-bus resync --from 6` applies the new 6..15
 * once each. */
static void
restored_writing(bool new_epoch)
{
	int  port = th_free_port();
	char portenv[32];
	snprintf(portenv, sizeof(portenv), "SN_HTTP_PORT=%d", port);
	const char *env[] = { portenv, "SN_BUS_HEARTBEAT_MS=200", NULL };
	th_proc    *sub
	    = restore_behind(env, new_epoch ? "gen_random_uuid()" : "epoch");
	const char *ps = th_schema(&T, "pub");
	const char *ss = th_schema(&T, "sub");
	int64_t     before
	    = th_int(&T, "SELECT coalesce(max(id), 0) FROM %s.effects", ss);
	th_proc *pub = start_pub("pub", "10", "10", "1", env + 1);
	if (!th_wait_int(&T, 15, 30000, "SELECT max(seq) FROM %s.outbox", ps))
		th_fail(&T, "the restored publisher did not write 6..15");
	char *why = wait_halted("sub", "pub", 15000);
	TH_CHECK(&T,
	    strstr(why, new_epoch ? "epoch" : "restored from a backup")
	        != NULL,
	    "halted for '%s'", why);
	th_sleep_ms(600); /* three heartbeats */
	TH_CHECK(&T, cursor_of("sub", "pub") == 10, "the cursor moved");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.effects WHERE id > %lld", ss,
	        (long long) before)
	        == 0,
	    "an event of the restored publisher was applied while halted");
	TH_CHECK(&T, readyz(port, NULL) == 503, "/readyz not 503");
	char args[512];
	snprintf(args, sizeof(args), "--schema %s resync pub --from 6", ss);
	TH_CHECK(&T, run_tool(args) == 0, "sn-bus resync failed");
	wait_cursor("sub", "pub", 15, 15000);
	int64_t want = th_int(&T,
	    "SELECT count(*) FROM %s.outbox WHERE seq BETWEEN 6 AND 15"
	    " AND topic = 'test.event'",
	    ps);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.effects WHERE id > %lld"
	        " AND seq BETWEEN 6 AND 15",
	        ss, (long long) before)
	        == want,
	    "the new 6..15 were not applied once each (%lld wanted)",
	    (long long) want);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM (SELECT seq FROM %s.effects WHERE id > "
	        "%lld"
	        " GROUP BY seq HAVING count(*) > 1) d",
	        ss, (long long) before)
	        == 0,
	    "an event applied twice");
	TH_CHECK(
	    &T, readyz(port, NULL) == 200, "/readyz not 200 after resync");
	printf("restored_%s: halted: %s; after resync %lld events"
	       " applied once each\n",
	    new_epoch ? "new_epoch" : "same_epoch", why, (long long) want);
	free(why);
	th_stop(&T, sub);
	th_stop(&T, pub);
}

static void
restored_same_epoch(void)
{
	restored_writing(false);
}

static void
restored_new_epoch(void)
{
	restored_writing(true);
}

static void
exec_sql(const char *sql)
{
	PGresult *r  = PQexec((PGconn *) T.pg, sql);
	bool      ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	TH_CHECK(&T, ok, "%s: %s", sql, PQerrorMessage((PGconn *) T.pg));
}

/* The publisher recreated (its schema dropped and made again: a new
 * epoch) and publishing sequences 1..7 again: the follower halts on the
 * other epoch, and stays halted across its own restart. */
static void
recreated_publisher(void)
{
	int  port = th_free_port();
	char portenv[32];
	snprintf(portenv, sizeof(portenv), "SN_HTTP_PORT=%d", port);
	const char *env[] = { portenv, "SN_BUS_HEARTBEAT_MS=200", NULL };
	th_publisher(&T, "pub");
	th_proc *pub = start_pub("pub", "5", "5", "1", env + 1);
	th_proc *sub = start_sub("sub", "pub", NULL, env);
	wait_cursor("sub", "pub", 5, 30000);
	char *old = cursor_text("sub", "pub", "epoch");
	TH_CHECK(&T, old != NULL, "the follower recorded no epoch");
	th_stop(&T, pub);
	const char *ps = th_schema(&T, "pub");
	char        sql[256];
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", ps);
	exec_sql(sql);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", ps);
	exec_sql(sql);
	pub       = start_pub("pub", "7", "7", "1", env + 1);
	char *why = wait_halted("sub", "pub", 15000);
	TH_CHECK(&T, strstr(why, "epoch") != NULL, "halted for '%s'", why);
	TH_CHECK(&T, cursor_of("sub", "pub") == 5, "the cursor moved");
	TH_CHECK(&T, readyz(port, NULL) == 503, "/readyz not 503");
	/* A restart does not silently resume. */
	th_kill(&T, sub, SIGKILL);
	sub = start_sub("sub", "pub", NULL, env);
	/* Up again, and degraded from its first answer on: never 200 (the
	 * halt is read from its cursor row before /readyz may say ready). */
	int      rz = -1;
	uint64_t t1 = th_now_ms() + 30000;
	while ((rz = readyz(port, NULL)) == -1 && th_now_ms() < t1)
		th_sleep_ms(50);
	for (int i = 0; i < 30 && rz == 503; i++) {
		th_sleep_ms(100);
		rz = readyz(port, NULL);
	}
	TH_CHECK(&T, rz == 503, "/readyz %d, not 503, after a restart", rz);
	while (!th_file_has(sub->log, "bus stream halted") && th_now_ms() < t1)
		th_sleep_ms(100);
	TH_CHECK(&T, readyz(port, NULL) == 503, "/readyz not 503");
	TH_CHECK(&T, th_file_has(sub->log, "bus stream halted"),
	    "the restarted follower did not say its stream is halted");
	TH_CHECK(&T, cursor_of("sub", "pub") == 5, "the cursor moved");
	char *still = cursor_text("sub", "pub", "halted_reason");
	TH_CHECK(&T, still != NULL, "the halt was forgotten at a restart");
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.effects", th_schema(&T, "sub"))
	        == 5,
	    "the new publisher's events were applied");
	printf(
	    "recreated_publisher: halted: %s (kept across a restart)\n", why);
	free(why);
	free(still);
	free(old);
	th_stop(&T, sub);
	th_stop(&T, pub);
}

/* The replay endpoint answers every request: an undecodable one, from 0
 * and from 2^64-1 each get an error reply (and a warning line), and it
 * still serves a good one after them. */
static void
garbage_replay(void)
{
	th_proc      *pub     = publish_all(3, "3", "1", NULL, 30000);
	nng_socket    req     = replay_socket("pub");
	const uint8_t junk[3] = { 0xff, 0xff, 0xff };
	TH_CHECK(&T, nng_send(req, (void *) junk, 3, 0) == 0, "send");
	void  *reply;
	size_t rlen;
	TH_CHECK(&T, nng_recv(req, &reply, &rlen, NNG_FLAG_ALLOC) == 0,
	    "no answer to an undecodable request");
	Sn__Bus__V1__ReplayReply *r
	    = sn__bus__v1__replay_reply__unpack(NULL, rlen, reply);
	nng_free(reply, rlen);
	TH_CHECK(&T,
	    r != NULL && r->error != NULL
	        && strcmp(r->error, "malformed request") == 0,
	    "undecodable request: error '%s'", r && r->error ? r->error : "");
	sn__bus__v1__replay_reply__free_unpacked(r, NULL);
	uint64_t bad[2] = { 0, UINT64_MAX };
	for (int i = 0; i < 2; i++) {
		r = ask_replay(req, bad[i], 10, "");
		TH_CHECK(&T,
		    r->error != NULL
		        && strcmp(r->error, "from_sequence out of range") == 0
		        && r->n_events == 0,
		    "from %llu: error '%s', %zu events",
		    (unsigned long long) bad[i], r->error ? r->error : "",
		    r->n_events);
		sn__bus__v1__replay_reply__free_unpacked(r, NULL);
	}
	r = ask_replay(req, 1, 10, "");
	TH_CHECK(&T,
	    r->n_events == 3 && (r->error == NULL || !r->error[0])
	        && r->epoch != NULL && strlen(r->epoch) == 36
	        && strcmp(r->events[0]->epoch, r->epoch) == 0,
	    "a good request after them: %zu events, error '%s'", r->n_events,
	    r->error ? r->error : "");
	sn__bus__v1__replay_reply__free_unpacked(r, NULL);
	th_nng_close(req, 10000);
	TH_CHECK(&T, th_file_has(pub->log, "replay request refused"),
	    "no warning line for the refused requests");
	th_stop(&T, pub);
	printf("garbage_replay: three error replies, then a good answer\n");
}

/* A follower SIGKILLed and started again 20 times while its publisher
 * keeps writing (50 events/s, 5 a transaction), so that every restart
 * begins behind and asks replay: each restart applies the publisher's
 * next event, and catches up, within a generous 30 s; the worst
 * catch-up is printed in heartbeats (1 s). Nothing lost or doubled. */
static void
restarts(void)
{
	th_publisher(&T, "pub");
	const char *argv[] = { SN_TESTPUB, "--name", "pub", "--events",
		"1000000", "--batch", "5", "--rate", "50", NULL };
	th_proc    *pub    = th_spawn(&T, "pub", SN_TESTPUB, argv, NULL);
	th_proc    *sub    = start_sub("sub", "pub", NULL, NULL);
	const char *ps     = th_schema(&T, "pub");
	if (!th_wait_int(&T, 1, 30000,
	        "SELECT (last_seq >= 10)::int FROM %s.bus_cursor"
	        " WHERE publisher = 'pub'",
	        th_schema(&T, "sub")))
		th_fail(&T, "sub did not apply 10 events");
	uint64_t worst = 0, total = 0;
	for (int i = 0; i < 20; i++) {
		th_sleep_ms(200 + 97 * (i % 7));
		th_kill(&T, sub, SIGKILL);
		int64_t head = th_int(
		    &T, "SELECT coalesce(max(seq), 0) FROM %s.outbox", ps);
		uint64_t t0 = th_now_ms();
		sub         = start_sub("sub", "pub", NULL, NULL);
		if (!th_wait_int(&T, 1, 30000,
		        "SELECT (last_seq > %lld)::int FROM %s.bus_cursor"
		        " WHERE publisher = 'pub'",
		        (long long) head, th_schema(&T, "sub")))
			th_fail(&T,
			    "restart %d: no event past %lld within 30 s",
			    i + 1, (long long) head);
		uint64_t ms = th_now_ms() - t0;
		total += ms;
		if (ms > worst)
			worst = ms;
	}
	th_stop(&T, sub);
	th_stop(&T, pub);
	const char *ss = th_schema(&T, "sub");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT (count(*) = count(DISTINCT seq))::int FROM %s.effects",
	        ss)
	        == 1,
	    "an event was applied twice");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.outbox o WHERE o.seq <= (SELECT"
	        " last_seq FROM %s.bus_cursor) AND NOT EXISTS (SELECT 1 FROM"
	        " %s.effects e WHERE e.seq = o.seq)",
	        ps, ss, ss)
	        == 0,
	    "an event behind the cursor was never applied");
	printf("restarts: 20 SIGKILLs; catch-up to the next event: worst %llu"
	       " ms (%.1f heartbeats), mean %llu ms\n",
	    (unsigned long long) worst, (double) worst / 1000.0,
	    (unsigned long long) (total / 20));
}

/* A follower whose SUB connection carries nothing (failpoint sub.deaf:
 * what NNG 1.5.2 now and then leaves after a peer restarted, on loaded
 * machines) still applies every event: the silence makes it ask replay
 * and dial the publisher again, after which events come live. */
static void
deaf_sub(void)
{
	char stats[400];
	th_publisher(&T, "pub");
	snprintf(stats, sizeof(stats), "%s/sub.stats", T.run_dir);
	const char *extra[] = { "--stats-file", stats, NULL };
	const char *fp[]    = { "SN_FAILPOINT=sub.deaf", NULL };
	th_proc    *sub     = start_sub("sub", "pub", extra, fp);
	const char *argv[] = { SN_TESTPUB, "--name", "pub", "--events", "4000",
		"--batch", "10", "--rate", "300", NULL };
	th_spawn(&T, "pub", SN_TESTPUB, argv, NULL);
	wait_cursor("sub", "pub", 4000, 90000);
	TH_CHECK(&T, th_file_has(sub->log, "no heartbeat from the publisher"),
	    "sub did not log the silence");
	TH_CHECK(&T, th_file_has(sub->log, "dialing it again"),
	    "sub did not log the redial");
	th_stop(&T, sub);
	int64_t redials
	    = th_metric(stats, "sn_bus_redials_total{publisher=\"pub\"}");
	int64_t replayed = th_metric(
	    stats, "sn_bus_events_replayed_total{publisher=\"pub\"}");
	int64_t consumed = th_metric(
	    stats, "sn_bus_events_consumed_total{publisher=\"pub\"}");
	printf("deaf sub: %lld redials, %lld of %lld events replayed\n",
	    (long long) redials, (long long) replayed, (long long) consumed);
	TH_CHECK(
	    &T, redials >= 1, "no redial counted (%lld)", (long long) redials);
	TH_CHECK(&T, consumed == 4000, "consumed counter is %lld",
	    (long long) consumed);
	TH_CHECK(&T, replayed < consumed,
	    "every event came by replay: the redialed SUB socket carried "
	    "none");
	check_stream("sub", "pub", 4000);
}

/* A follower whose applying is blocked (the test holds a lock on the
 * table its handler writes) while events keep coming: its /readyz says
 * 503 "stalled" once SN_BUS_STALL_MS has passed with events known and
 * none applied, its lag and oldest-unapplied-age gauges show them, and
 * when the lock goes it applies them all and is ready again with no lag
 * (issue 16 item 4). */
static void
stalled(void)
{
	char        portenv[32], *body = NULL;
	int         port = th_free_port();
	const char *lag  = "sn_bus_consumer_lag_events{publisher=\"pub\"}";
	const char *age
	    = "sn_bus_oldest_unapplied_age_seconds{publisher=\"pub\"}";
	snprintf(portenv, sizeof(portenv), "SN_HTTP_PORT=%d", port);
	const char *env[] = { portenv, "SN_BUS_STALL_MS=1500", NULL };
	th_publisher(&T, "pub");
	start_sub("sub", "pub", NULL, env);
	if (!th_wait_ready(&T, port, 30000))
		th_fail(&T, "sub never became ready");

	PGconn *lock = lock_effects("sub");

	start_pub("pub", "50", "10", "1", NULL);
	if (!th_wait_int(&T, 50, 30000, "SELECT count(seq) FROM %s.outbox",
	        th_schema(&T, "pub")))
		th_fail(&T, "the publisher did not publish 50 events");
	int      st = 0;
	uint64_t t0 = th_now_ms();
	while (th_now_ms() - t0 < 20000) {
		free(body);
		body = NULL;
		st   = th_http(
		      &T, port, "GET", "/readyz", NULL, NULL, NULL, &body);
		if (st == 503 && body != NULL
		    && strstr(body, "stalled") != NULL)
			break;
		th_sleep_ms(100);
	}
	uint64_t waited = th_now_ms() - t0;
	printf("readyz while applying is blocked: %d after %llu ms: %s\n", st,
	    (unsigned long long) waited, body ? body : "");
	TH_CHECK(&T, st == 503 && body != NULL && strstr(body, "stalled"),
	    "/readyz did not say stalled (%d)", st);
	TH_CHECK(&T, waited >= 1000,
	    "/readyz said stalled after %llu ms, before SN_BUS_STALL_MS",
	    (unsigned long long) waited);
	free(body);
	body          = NULL;
	int64_t n_lag = th_metric_http(&T, port, lag);
	int64_t n_age = th_metric_http(&T, port, age);
	printf("stalled: lag %lld events, oldest unapplied %lld s\n",
	    (long long) n_lag, (long long) n_age);
	TH_CHECK(&T, n_lag >= 1 && n_lag <= 50, "lag gauge %lld while stalled",
	    (long long) n_lag);
	TH_CHECK(
	    &T, n_age >= 1, "age gauge %lld while stalled", (long long) n_age);
	TH_CHECK(&T, th_metric_http(&T, port, "sn_ready") == 0,
	    "sn_ready is not 0 while stalled");

	unlock_effects(lock);
	wait_cursor("sub", "pub", 50, 30000);
	if (!th_wait_ready(&T, port, 10000))
		th_fail(&T, "sub not ready again after the lock went");
	n_lag = th_metric_http(&T, port, lag);
	n_age = th_metric_http(&T, port, age);
	printf("after: lag %lld, oldest unapplied %lld s\n", (long long) n_lag,
	    (long long) n_age);
	TH_CHECK(&T, n_lag == 0 && n_age == 0, "lag %lld, age %lld after",
	    (long long) n_lag, (long long) n_age);
	TH_CHECK(&T, th_metric_http(&T, port, "sn_ready") == 1,
	    "sn_ready is not 1 after");
	check_stream("sub", "pub", 50);
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "late_subscriber", late_subscriber },
		{ "burst_slow", burst_slow },
		{ "sub_sigkill", sub_sigkill },
		{ "idle_cursor", idle_cursor },
		{ "pub_crash", pub_crash },
		{ "numbered_at_commit", numbered_at_commit },
		{ "two_publishers", two_publishers },
		{ "burst_budget", burst_budget },
		{ "serial_streams", serial_streams },
		{ "serial_oldest_first", serial_oldest_first },
		{ "partitions", partitions },
		{ "replay_prefix", replay_prefix },
		{ "tables", tables },
		{ "stuck_teardown", stuck_teardown },
		{ "teardown_abort", teardown_abort },
		{ "setup_fails", setup_fails },
		{ "forged_envelope", forged_envelope },
		{ "forged_heartbeat", forged_heartbeat },
		{ "restored_backup", restored_backup },
		{ "restored_same_epoch", restored_same_epoch },
		{ "restored_new_epoch", restored_new_epoch },
		{ "recreated_publisher", recreated_publisher },
		{ "garbage_replay", garbage_replay },
		{ "restarts", restarts },
		{ "deaf_sub", deaf_sub },
		{ "one_publisher_two_processes", one_publisher_two_processes },
		{ "stalled", stalled },
		{ "listener_hangup", listener_hangup },
		{ "replay_listener_hangup", replay_listener_hangup },
		{ "listener_starved", listener_starved },
		{ "replay_backstop", replay_backstop },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), NULL);
}
