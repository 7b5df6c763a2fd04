/*
 * sn-emergency-bench: the emergency grant benchmark (issue 4). Not a
 * pass/fail test: it prints figures.
 *
 *   sn-emergency-bench [--officers N] [--grants N] [--townships N]
 *                      [--pool N] [--think-ms MS] [--pgbench-seconds S]
 *                      [--no-pgbench] [--close]
 *
 * Starts the emergency binary through the test harness (SN_TEST_DB_URL, a
 * superuser connection string, is required), or, when
 * SN_EMERGENCY_HTTP_URL is set (http://127.0.0.1:PORT; loopback only),
 * drives a running one, signing its tokens with SN_TOKEN_SIGNING_KEY (or
 * _FILE: the private half of the service's SN_TOKEN_PUBLIC_KEY).
 * District finance allocates each township's fund enough for all grants;
 * then N officers (threads, default 200), spread round-robin over the
 * townships (default 1: every grant debits the same fund row), make
 * --grants grants of 3,000 fen between them (default 10,000), each request
 * with its own Idempotency-Key, each officer over one kept connection (as
 * a browser at a counter keeps it; --close: a new connection for each
 * request, as before issue 15). The latency of a
 * grant is from the request being sent to its committed answer (201)
 * being read. Then pgbench runs one-row INSERT transactions with one
 * client on the same cluster for the comparison (as sn-busbench does).
 * --pool sets the service's SN_DB_POOL (default: the service's own, 4).
 * --think-ms gives each officer a pause between grants, drawn evenly from
 * 0 to twice the figure (default 0: every officer asks again at once, so
 * the service runs saturated and the latency is mostly queueing). With a
 * pause, the officers behave like people at a counter and the latency is
 * the service's own at that load. When it starts the binary, it prints the
 * service's resident memory (/proc/PID/status): VmRSS idle once ready,
 * VmHWM (the most it held) after the grants, and VmRSS idle again after,
 * its own CPU (user and system, /proc/PID/stat) per grant over the run,
 * and the group commit's figures (sn_emergency_group_commits, _grants
 * and _batched: how many grants each transaction carried, and how many of
 * them went in one statement with others).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "pgref.h"
#include "sn/auth.h"
#include "sn/config.h"
#include "sn/idnum.h"

#ifndef SN_EMERGENCY_BIN
#define SN_EMERGENCY_BIN "emergency"
#endif

#define AMOUNT 3000
#define MAX_TOWNSHIPS 64

static th          T;
static bool        have_th;
static int         port;
static long        total;
static atomic_long next_grant;
static int64_t    *lat_us; /* per grant, -1 when it failed */
static char       *tokens[MAX_TOWNSHIPS];
static int         ntownships = 1;
static atomic_long failures;
static atomic_long fail_by[7]; /* no answer, then by status / 100 (1..5) */

static uint64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static _Noreturn void
die(const char *msg)
{
	if (have_th)
		th_fail(&T, "%s", msg);
	fprintf(stderr, "sn-emergency-bench: %s\n", msg);
	exit(1);
}

static char *
token(const char *key, const char *user, const char *role, const char *juris)
{
	sn_auth     *auth;
	sn_principal p;
	char        *tok = NULL;
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	if (sn_auth_open(&auth, key) != SN_OK
	    || sn_auth_issue(auth, &p, 3600, &tok) != SN_OK)
		die("cannot issue a token (SN_TOKEN_SIGNING_KEY a P-256 "
		    "private key in PEM?)");
	sn_auth_close(auth);
	return tok;
}

static void
township_code(int i, char out[10])
{
	snprintf(out, 10, "220103%03u", (unsigned) (i + 1) % 1000u);
}

struct officer {
	int idx;
};

/* The identity number of grant i's person: born on a day and with a
 * sequence number of its own, 336,000 people before one repeats. */
static void
person_of(long i, char out[19])
{
	char first[32];
	snprintf(first, sizeof(first), "220103%04ld%02ld%02ld%03ld",
	    1950 + (i / 336000) % 50, 1 + (i / 28000) % 12,
	    1 + (i / 1000) % 28, i % 1000);
	memcpy(out, first, 17);
	out[17] = sn_idnum_check_char(first);
	out[18] = '\0';
}

static long think_ms;
static bool close_each;

static void *
officer_run(void *arg)
{
	struct officer *o = arg;
	char            town[10], body[512], key[64], who[19];
	int             t = o->idx % ntownships;
	township_code(t, town);
	th_http_keep_alive(!close_each);
	for (;;) {
		long i = atomic_fetch_add(&next_grant, 1);
		if (i >= total)
			break;
		/* Each grant its own person: grants to one person add up
		 * within the window (issue 10) and would wait for the
		 * district. */
		person_of(i, who);
		snprintf(body, sizeof(body),
		    "{\"township_code\":\"%s\",\"village_code\":\"%s001\","
		    "\"person\":{\"id_number\":\"%s\",\"name\":\"Bench "
		    "Person\"},"
		    "\"cause\":\"accident\",\"description\":\"benchmark "
		    "grant\","
		    "\"household_size\":2,\"amount_fen\":%d,\"payee\":{"
		    "\"bank_code\":"
		    "\"ICBC\",\"account_number\":\"6222020200112233445\","
		    "\"account_name\":\"Bench Person\"}}",
		    town, town, who, AMOUNT);
		if (think_ms > 0) {
			/* The pause comes before each request, the first
			 * included: officers do not all start at once. */
			unsigned seed
			    = (unsigned) o->idx * 2654435761u + (unsigned) i;
			unsigned r = (unsigned) rand_r(&seed);
			th_sleep_ms((int) (r % (unsigned) (2 * think_ms + 1)));
		}
		snprintf(key, sizeof(key), "bench-%d-%ld", (int) getpid(), i);
		uint64_t t0 = now_us();
		int      st = th_http(
		         &T, port, "POST", "/grants", tokens[t], key, body, NULL);
		uint64_t t1 = now_us();
		if (st == 201) {
			lat_us[i] = (int64_t) (t1 - t0);
		} else {
			lat_us[i] = -1;
			atomic_fetch_add(&failures, 1);
			atomic_fetch_add(
			    &fail_by[st > 0 && st < 600 ? st / 100 : 0], 1);
		}
	}
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	long officers = 200, pg_seconds = 5, pool = 0;
	int  pgbench = 1;
	total        = 10000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--officers") == 0 && i + 1 < argc)
			officers = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--grants") == 0 && i + 1 < argc)
			total = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--townships") == 0 && i + 1 < argc)
			ntownships = (int) strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--pool") == 0 && i + 1 < argc)
			pool = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--pgbench-seconds") == 0
		    && i + 1 < argc)
			pg_seconds = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--think-ms") == 0 && i + 1 < argc)
			think_ms = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--no-pgbench") == 0)
			pgbench = 0;
		else if (strcmp(argv[i], "--close") == 0)
			close_each = true;
		else {
			fprintf(stderr,
			    "usage: sn-emergency-bench [--officers N] "
			    "[--grants N]"
			    " [--townships N] [--pool N] [--think-ms MS]"
			    " [--pgbench-seconds S] [--no-pgbench]"
			    " [--close]\n");
			return 2;
		}
	}
	if (officers < 1 || officers > 2000 || total < 1 || total > 1000000
	    || ntownships < 1 || ntownships > MAX_TOWNSHIPS || pool < 0
	    || pool > 64) {
		fprintf(stderr, "sn-emergency-bench: a count out of range\n");
		return 2;
	}

	const char *url      = getenv("SN_EMERGENCY_HTTP_URL");
	const char *key      = th_token_private_pem;
	const char *schema   = NULL;
	th_proc    *svc      = NULL;
	long        rss_idle = -1, hwm = -1, rss_after = -1;
	long long   cpu_before = -1, cpu_after = -1, pg_before = -1,
	          pg_after = -1;
	const char *pg_url = getenv("SN_TEST_DB_URL");
	if (url != NULL && url[0] != '\0') {
		const char *colon = strrchr(url, ':');
		port              = colon ? atoi(colon + 1) : 0;
		key               = sn_config_str("SN_TOKEN_SIGNING_KEY", "");
		if (port <= 0 || key[0] == '\0'
		    || strncmp(url, "http://127.0.0.1:", 17) != 0)
			die("SN_EMERGENCY_HTTP_URL is http://127.0.0.1:PORT "
			    "and "
			    "needs SN_TOKEN_SIGNING_KEY");
		pgbench = pgbench && getenv("SN_TEST_DB_URL") != NULL;
		if (pgbench) {
			th_init(&T, "emergency-bench");
			have_th = true;
			schema  = th_schema(&T, "pgbench");
		}
	} else {
		static char port_env[32], pool_env[32];
		th_init(&T, "emergency-bench");
		have_th = true;
		th_publisher(&T, "emergency");
		th_publisher(&T, "disbursement");
		th_publisher(&T, "intake");
		th_publisher(&T, "approval");
		port = th_free_port();
		snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", port);
		snprintf(pool_env, sizeof(pool_env), "SN_DB_POOL=%ld",
		    pool > 0 ? pool : 4);
		/* The group-commit gauges read every 500 ms, in time for
		 * the figures after the grants. */
		const char *env[] = { port_env, pool_env, "SN_LOG_LEVEL=warn",
			"SN_EMERGENCY_METRICS_MS=500", NULL };
		const char *sargv[] = { SN_EMERGENCY_BIN, NULL };
		svc = th_spawn(&T, "emergency", SN_EMERGENCY_BIN, sargv, env);
		if (!th_wait_ready(&T, port, 30000))
			die("emergency did not get ready");
		th_sleep_ms(1000);
		rss_idle = pgref_proc_kib(svc->pid, "VmRSS:");
		schema   = th_schema(&T, "emergency");
	}

	char *fin = token(key, "bench-finance", "finance", "220103");
	for (int t = 0; t < ntownships; t++) {
		char town[10], path[64], body[64], k[64];
		township_code(t, town);
		tokens[t]
		    = token(key, "bench-officer", "emergency_officer", town);
		snprintf(path, sizeof(path), "/funds/%s/allocations", town);
		/* Officers share one counter of grants, so any township may
		 * end up making all of them. */
		snprintf(body, sizeof(body), "{\"amount_fen\": %ld}",
		    total * AMOUNT);
		snprintf(k, sizeof(k), "bench-alloc-%d-%d", (int) getpid(), t);
		if (th_http(&T, port, "POST", path, fin, k, body, NULL) != 201)
			die("the allocation failed");
	}

	lat_us              = calloc((size_t) total, sizeof(*lat_us));
	struct officer *os  = calloc((size_t) officers, sizeof(*os));
	pthread_t      *tid = calloc((size_t) officers, sizeof(*tid));
	if (lat_us == NULL || os == NULL || tid == NULL)
		die("out of memory");
	if (svc != NULL)
		cpu_before = pgref_proc_cpu_us(svc->pid);
	if (pg_url != NULL && pg_url[0] != '\0')
		pg_before = pgref_pg_cpu_us(pg_url);
	uint64_t start = now_us();
	for (long i = 0; i < officers; i++) {
		os[i].idx = (int) i;
		if (pthread_create(&tid[i], NULL, officer_run, &os[i]) != 0)
			die("cannot start a thread");
	}
	for (long i = 0; i < officers; i++)
		pthread_join(tid[i], NULL);
	double secs = (double) (now_us() - start) / 1e6;
	if (pg_before >= 0)
		pg_after = pgref_pg_cpu_us(pg_url);
	if (svc != NULL) {
		cpu_after = pgref_proc_cpu_us(svc->pid);
		hwm       = pgref_proc_kib(svc->pid, "VmHWM:");
		th_sleep_ms(2000);
		rss_after = pgref_proc_kib(svc->pid, "VmRSS:");
	}

	long ok = 0;
	for (long i = 0; i < total; i++)
		if (lat_us[i] >= 0)
			lat_us[ok++] = lat_us[i];
	qsort(lat_us, (size_t) ok, sizeof(*lat_us), cmp_i64);
#define PCT(p)                                                                \
	(ok > 0 ? (double) lat_us[(long) ((double) (ok - 1) * (p))] / 1000.0  \
	        : 0)

	printf("emergency grants: %ld officers, %ld grants of %d fen, %d "
	       "township fund%s, SN_DB_POOL %ld, think %ld ms, %s\n",
	    officers, total, AMOUNT, ntownships, ntownships > 1 ? "s" : "",
	    pool > 0 ? pool : 4, think_ms,
	    close_each ? "a connection per request" : "connections kept");
	printf(
	    "  granted              %ld (%ld failed: %ld without an answer, "
	    "%ld 4xx, %ld 5xx)\n",
	    ok, (long) atomic_load(&failures), (long) atomic_load(&fail_by[0]),
	    (long) atomic_load(&fail_by[4]), (long) atomic_load(&fail_by[5]));
	printf("  throughput           %.0f grants/s (%.2f s)\n",
	    (double) ok / secs, secs);
	printf("  latency to committed answer  p50 %.1f ms, p90 %.1f ms, p99 "
	       "%.1f ms, max %.1f ms\n",
	    PCT(0.50), PCT(0.90), PCT(0.99), PCT(1.0));
	if (svc != NULL)
		printf(
		    "  emergency memory     VmRSS %.1f MiB idle before, VmHWM "
		    "%.1f MiB (the most, grants included), VmRSS %.1f MiB "
		    "idle after\n",
		    (double) rss_idle / 1024.0, (double) hwm / 1024.0,
		    (double) rss_after / 1024.0);
	if (svc != NULL && ok > 0 && cpu_before >= 0 && cpu_after >= 0)
		printf(
		    "  emergency CPU        %.0f us a grant (user and system, "
		    "%.2f s in all)\n",
		    (double) (cpu_after - cpu_before) / (double) ok,
		    (double) (cpu_after - cpu_before) / 1e6);
	if (ok > 0 && pg_before >= 0 && pg_after >= 0)
		printf("  PostgreSQL CPU       %.0f us a grant (the cluster's "
		       "every process, %.2f s in all)\n",
		    (double) (pg_after - pg_before) / (double) ok,
		    (double) (pg_after - pg_before) / 1e6);
	if (svc != NULL) {
		/* Group commit (absent before it): the grants' transactions.
		 */
		int64_t gc
		    = th_metric_http(&T, port, "sn_emergency_group_commits");
		int64_t gg
		    = th_metric_http(&T, port, "sn_emergency_group_grants");
		int64_t gb
		    = th_metric_http(&T, port, "sn_emergency_group_batched");
		if (gc > 0 && gg >= 0)
			printf("  group commit         %lld grants in %lld "
			       "transactions, %.2f a transaction\n",
			    (long long) gg, (long long) gc,
			    (double) gg / (double) gc);
		if (gb >= 0 && gg > 0)
			printf("  batched              %lld grants (%.1f %%) "
			       "made in one statement with others\n",
			    (long long) gb, 100.0 * (double) gb / (double) gg);
	}
	if (have_th && url == NULL) {
		int64_t bad = th_int(&T,
		    "SELECT count(*) FROM (SELECT f.township_code FROM "
		    "%s.fund f"
		    " JOIN %s.ledger l USING (township_code)"
		    " GROUP BY f.township_code, f.balance_fen"
		    " HAVING sum(l.amount_fen) <> f.balance_fen) s",
		    schema, schema);
		printf("  ledger               %s\n",
		    bad == 0 ? "sums to every fund's balance"
		             : "DOES NOT sum to a balance");
	}
	if (pgbench && have_th) {
		int64_t fsync = th_int(&T,
		    "SELECT (current_setting('fsync') = 'on' AND"
		    " current_setting('synchronous_commit') = 'on')::int");
		double  one   = pgref_commits(
		       T.db_url, schema, T.run_dir, (int) pg_seconds, 1);
		printf("  pgbench              %.0f single-row INSERT "
		       "commits/s, 1 "
		       "client, %ld s (fsync and synchronous_commit %s)\n",
		    one, pg_seconds, fsync ? "on" : "NOT on");
		if (one > 0)
			printf("  ratio                grants/s = %.2f x "
			       "pgbench's "
			       "commits/s\n",
			    (double) ok / secs / one);
	}
	free(lat_us);
	free(os);
	free(tid);
	free(fin);
	for (int t = 0; t < ntownships; t++)
		free(tokens[t]);
	if (have_th)
		th_fini(&T);
	return 0;
}
