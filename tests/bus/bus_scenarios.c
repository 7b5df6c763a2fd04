/*
 * The bus, proved (issue 2): each scenario is one ctest, run against the
 * real sn-testpub and sn-testsub binaries, a real PostgreSQL and real NNG
 * sockets over ipc:// in a private folder.
 *
 *   bus_scenarios late_subscriber | burst_slow | sub_sigkill |
 *                 pub_crash | two_publishers | partitions |
 *                 replay_prefix
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
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "harness.h"
#include "sn/bus/v1/bus.pb-c.h"

#ifndef SN_TESTPUB
#define SN_TESTPUB "sn-testpub"
#endif
#ifndef SN_TESTSUB
#define SN_TESTSUB "sn-testsub"
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

/* A subscriber started after 10,000 events were published gets all of
 * them, in order, once. */
static void
late_subscriber(void)
{
	th_publisher(&T, "pub");
	start_pub("pub", "10000", "500", "2", NULL);
	if (!th_wait_int(&T, 10000, 60000, "SELECT count(seq) FROM %s.outbox",
	        th_schema(&T, "pub")))
		th_fail(&T, "the publisher did not publish 10000 events");
	start_sub("sub", "pub", NULL, NULL);
	wait_cursor("sub", "pub", 10000, 60000);
	check_stream("sub", "pub", 10000);
}

/* 200,000 events burst unpaced at a subscriber made slow on purpose: it
 * applies exactly 200,000, in order, once, and its replay counter shows
 * that the bus recovered what NNG dropped. */
static void
burst_slow(void)
{
	char stats[400], arg[420];
	th_publisher(&T, "pub");
	snprintf(stats, sizeof(stats), "%s/sub.stats", T.run_dir);
	snprintf(arg, sizeof(arg), "%s", stats);
	const char *extra[] = { "--slow-us", "20", "--stats-file", arg, NULL };
	th_proc    *sub     = start_sub("sub", "pub", extra, NULL);
	start_pub("pub", "200000", "1000", "2", NULL);
	wait_cursor("sub", "pub", 200000, 400000);
	th_stop(&T, sub);
	int64_t replayed = th_metric(
	    stats, "sn_bus_events_replayed_total{publisher=\"pub\"}");
	int64_t consumed = th_metric(
	    stats, "sn_bus_events_consumed_total{publisher=\"pub\"}");
	printf("replayed %lld of %lld events consumed\n", (long long) replayed,
	    (long long) consumed);
	TH_CHECK(&T, consumed == 200000, "consumed counter is %lld",
	    (long long) consumed);
	TH_CHECK(&T, replayed > 0,
	    "nothing was replayed: the burst did not overrun NNG, so this "
	    "run proves nothing about recovery");
	check_stream("sub", "pub", 200000);
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

static void
expect_killed(th_proc *p, const char *what)
{
	int st = th_wait_exit(&T, p, 30000);
	TH_CHECK(&T, st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "%s: the failpoint did not kill the publisher", what);
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

	const char *fp1[] = { "SN_FAILPOINT=append.after_commit",
		"SN_BUS_HEARTBEAT_MS=200", NULL };
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
	start_pub("pub", "0", "100", "1", hb);
	wait_cursor("sub", "pub", 110, 30000);
	check_stream("sub", "pub", 110);
}

/* Two publishers, each writing from several connections at once, never
 * leave a gap or a skipped event in either stream. */
static void
two_publishers(void)
{
	const char *pool[] = { "SN_DB_POOL=6", NULL };
	th_publisher(&T, "pub-a");
	th_publisher(&T, "pub-b");
	start_sub("sub", "pub-a,pub-b", NULL, NULL);
	start_pub("pub-a", "20000", "50", "6", pool);
	start_pub("pub-b", "20000", "50", "6", pool);
	wait_cursor("sub", "pub-a", 20000, 120000);
	wait_cursor("sub", "pub-b", 20000, 120000);
	check_stream("sub", "pub-a", 20000);
	check_stream("sub", "pub-b", 20000);
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
	th_publisher(&T, "pub");
	int  port = th_free_port();
	char portenv[32];
	snprintf(portenv, sizeof(portenv), "SN_HTTP_PORT=%d", port);
	const char *env[] = { portenv, NULL };
	start_pub("pub", "100", "100", "1", env);
	if (!th_wait_int(&T, 100, 30000, "SELECT count(seq) FROM %s.outbox",
	        th_schema(&T, "pub")))
		th_fail(&T, "the publisher did not publish 100 events");
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
	nng_close(req);
	printf("replay: ranges, prefix filter and the end of the stream\n");
}

/* Events appended in batches (sn_bus_append_batch, one statement per
 * transaction) keep their order and density; a follower with an event
 * table gets each one decoded, and one that does not decode is passed
 * over without its handler and without stopping the stream. */
static void
tables(void)
{
	th_proc    *pub, *sub;
	const char *argv[]  = { SN_TESTPUB, "--name", "bpub", "--events",
		 "3000", "--batch", "500", "--parallel", "2", "--other-every",
		 "7", "--proto-batch", "--bad-every", "10", NULL };
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
	    "SELECT count(*) FROM %s.outbox WHERE topic = 'test.event'"
	    " AND substr(subject, 2)::int %% 10 <> 0",
	    ps);
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
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.effects e JOIN %s.outbox o"
	        " ON o.seq = e.seq WHERE substr(o.subject, 2)::int %% 10 = 0",
	        ss, ps)
	        == 0,
	    "an event that does not decode reached its handler");
	th_stop(&T, sub);
	th_stop(&T, pub);
	printf("tables: 3000 events in batches, %lld decoded and applied, "
	       "the undecodable passed over\n",
	    (long long) got);
}

/* Whether the file at path holds text. */
static bool
file_has(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
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
	TH_CHECK(&T, file_has(sub->log, "teardown did not finish"),
	    "sub's log does not say why it ended");
	printf("stuck_teardown: ended %llu ms after SIGTERM, status 0\n",
	    (unsigned long long) ms);
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
	TH_CHECK(&T, file_has(sub->log, "service setup failed"),
	    "sub's log does not say why it ended");
	TH_CHECK(&T, !file_has(sub->log, "cannot read the cursor"),
	    "a closed stream went on reading its cursor");
	printf("setup_fails: status 1, nothing used after close\n");
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "late_subscriber", late_subscriber },
		{ "burst_slow", burst_slow },
		{ "sub_sigkill", sub_sigkill },
		{ "pub_crash", pub_crash },
		{ "two_publishers", two_publishers },
		{ "partitions", partitions },
		{ "replay_prefix", replay_prefix },
		{ "tables", tables },
		{ "stuck_teardown", stuck_teardown },
		{ "setup_fails", setup_fails },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), NULL);
}
