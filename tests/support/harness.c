#include "harness.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

uint64_t
th_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

void
th_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
		.tv_nsec               = (long) (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
tail_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, size > 3000 ? size - 3000 : 0, SEEK_SET);
	char   buf[3001];
	size_t n = fread(buf, 1, 3000, f);
	buf[n]   = '\0';
	fclose(f);
	fprintf(stderr, "---- %s (tail)\n%s\n", path, buf);
}

/* A failed test's end: its services' logs' tails, the services killed,
 * the run folder kept. */
static void
give_up(th *t)
{
	for (int i = 0; i < t->nprocs; i++)
		tail_file(t->procs[i].log);
	for (int i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid > 0)
			kill(t->procs[i].pid, SIGKILL);
	fprintf(stderr, "logs kept in %s\n", t->run_dir);
}

void
th_fail(th *t, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "FAIL %s: ", t->test);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	give_up(t);
	exit(1);
}

static void
quiet(void *arg, const char *msg)
{
	(void) arg;
	(void) msg;
}

void
th_init(th *t, const char *test)
{
	memset(t, 0, sizeof(*t));
	t->test   = test;
	t->db_url = getenv("SN_TEST_DB_URL");
	if (t->db_url == NULL || t->db_url[0] == '\0') {
		fprintf(stderr,
		    "FAIL %s: SN_TEST_DB_URL is not set "
		    "(run through deploy/local/test)\n",
		    test);
		exit(1);
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(t->run_dir, sizeof(t->run_dir), "%s/sn-%s-XXXXXX",
	    tmp ? tmp : "/tmp", test);
	if (mkdtemp(t->run_dir) == NULL)
		th_fail(t, "mkdtemp: %s", strerror(errno));
	snprintf(t->prefix, sizeof(t->prefix), "t%ld_%d",
	    (long) time(NULL) % 100000, (int) getpid());
	t->pg = PQconnectdb(t->db_url);
	if (PQstatus(t->pg) != CONNECTION_OK)
		th_fail(t, "connect: %s", PQerrorMessage(t->pg));
	PQsetNoticeProcessor(t->pg, quiet, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
exec_or_fail(th *t, const char *sql)
{
	PGresult *r = PQexec(t->pg, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		th_fail(t, "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

int64_t
th_seq_rows(th *t, const char *schema, const char *table)
{
	return th_int(t,
	    "SELECT coalesce(sum(seq_tup_read), 0) FROM pg_stat_user_tables"
	    " WHERE schemaname = '%s' AND relname = '%s'",
	    schema, table);
}

void
th_exec(th *t, const char *fmt, ...)
{
	char    sql[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	exec_or_fail(t, sql);
}

void
th_sqlstate(th *t, const char *want, const char *fmt, ...)
{
	char    sql[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	PGresult   *r  = PQexec(t->pg, sql);
	const char *s  = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	bool        ok = PQresultStatus(r) == PGRES_COMMAND_OK
	    || PQresultStatus(r) == PGRES_TUPLES_OK;
	char got[8];
	snprintf(got, sizeof(got), "%s", ok || s == NULL ? "" : s);
	PQclear(r);
	if (strcmp(got, want) != 0)
		th_fail(t, "%s: %s, not %s", sql, got[0] ? got : "success",
		    want[0] ? want : "success");
}

char *
th_wal_mark(th *t)
{
	/* CREATE EXTENSION IF NOT EXISTS is not safe against a concurrent
	 * one (tests run side by side on one cluster): taken in turns. */
	exec_or_fail(t,
	    "DO $$ BEGIN PERFORM pg_advisory_xact_lock(hashtext("
	    "'th_wal_mark')); CREATE EXTENSION IF NOT EXISTS pg_walinspect;"
	    " END $$");
	if (th_int(t,
	        "SELECT count(*) FROM pg_replication_slots"
	        " WHERE slot_name = 'th_%s'",
	        t->prefix)
	    == 0)
		(void) th_rows(t,
		    "SELECT FROM pg_create_physical_replication_slot('th_%s',"
		    " true, true)",
		    t->prefix);
	return th_text(t, "SELECT pg_current_wal_insert_lsn()::text");
}

int64_t
th_wal_row_locks(
    th *t, const char *mark, const char *schema, const char *table)
{
	return th_int(t,
	    "SELECT count(*) FROM"
	    " pg_get_wal_records_info_till_end_of_wal('%s'::pg_lsn)"
	    " WHERE resource_manager = 'Heap' AND record_type = 'LOCK'"
	    " AND block_ref LIKE '%%/' || pg_relation_filenode('%s.%s')"
	    " || ' fork main %%'",
	    mark, schema, table);
}

const char *
th_schema(th *t, const char *name)
{
	char full[128], sql[256];
	snprintf(full, sizeof(full), "%s_%s", t->prefix, name);
	for (char *p = full; *p; p++)
		if (*p == '-')
			*p = '_';
	for (int i = 0; i < t->nschemas; i++)
		if (strcmp(t->schemas[i], full) == 0)
			return t->schemas[i];
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", full);
	exec_or_fail(t, sql);
	t->schemas[t->nschemas] = strdup(full);
	return t->schemas[t->nschemas++];
}

void
th_publisher(th *t, const char *name)
{
	snprintf(t->publishers[t->npublishers++], 64, "%s", name);
}

static char *
envpair(const char *key, const char *val)
{
	size_t n = strlen(key) + strlen(val) + 2;
	char  *s = malloc(n);
	snprintf(s, n, "%s=%s", key, val);
	return s;
}

static void
upper_name(char *out, size_t cap, const char *name, const char *suffix)
{
	size_t n = (size_t) snprintf(out, cap, "SN_");
	for (const char *p = name; *p && n + 1 < cap; p++)
		out[n++] = *p == '-'           ? '_'
		    : (*p >= 'a' && *p <= 'z') ? (char) (*p - 32)
		                               : *p;
	snprintf(out + n, cap - n, "%s", suffix);
}

static bool
overridden(const char *const *extra, const char *key)
{
	size_t n = strlen(key);
	for (int i = 0; extra != NULL && extra[i] != NULL; i++)
		if (strncmp(extra[i], key, n) == 0 && extra[i][n] == '=')
			return true;
	return false;
}

/* LSAN_OPTIONS=... for a service under the sanitizers: the caller's
 * options with the tree's suppressions (tests/support/lsan.supp: defects
 * of the NNG we build against) added, or NULL to pass the caller's as
 * they are (they name suppressions already). */
static char *
lsan_options(void)
{
#ifdef SN_LSAN_SUPP
	const char *cur = getenv("LSAN_OPTIONS");
	if (cur != NULL && strstr(cur, "suppressions=") != NULL)
		return NULL;
	char val[2048];
	snprintf(val, sizeof(val), "%s%ssuppressions=%s", cur ? cur : "",
	    cur != NULL && cur[0] != '\0' ? ":" : "", SN_LSAN_SUPP);
	return envpair("LSAN_OPTIONS", val);
#else
	return NULL;
#endif
}

/*
 * Publishers whose addresses every process gets, declared or not, as
 * deploy/local/lib.sh gives every service every publisher's: agency-sim
 * publishes its notices (issue 9) and intake follows them, so that every
 * test starting either needs them, whatever else it is about.
 */
static const char *const always_published[] = { "agency-sim" };
#define NALWAYS                                                               \
	((int) (sizeof(always_published) / sizeof(always_published[0])))

static bool
declared(const th *t, const char *name)
{
	for (int i = 0; i < t->npublishers; i++)
		if (strcmp(t->publishers[i], name) == 0)
			return true;
	return false;
}

th_proc *
th_spawn(th *t, const char *name, const char *bin, const char *const *argv,
    const char *const *extra_env)
{
	if (t->nprocs == TH_MAX_PROCS)
		th_fail(t, "too many processes");
	th_proc *p = &t->procs[t->nprocs];
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->log, sizeof(p->log), "%s/%s.%d.log", t->run_dir, name,
	    t->nprocs);
	t->nprocs++;
	const char *schema = th_schema(t, name);

	char *env[256];
	int   n = 0;
	char *lsan
	    = overridden(extra_env, "LSAN_OPTIONS") ? NULL : lsan_options();
	for (char **e = environ; *e != NULL && n < 180; e++)
		if ((strncmp(*e, "SN_", 3) != 0
		        || strncmp(*e, "SN_TEST_", 8) == 0)
		    && (lsan == NULL || strncmp(*e, "LSAN_OPTIONS=", 13) != 0))
			env[n++] = *e;
	int nherit = n;
	if (lsan != NULL)
		env[n++] = lsan;
	if (!overridden(extra_env, "SN_DB_URL"))
		env[n++] = envpair("SN_DB_URL", t->db_url);
	if (!overridden(extra_env, "SN_DB_SCHEMA"))
		env[n++] = envpair("SN_DB_SCHEMA", schema);
	if (!overridden(extra_env, "SN_HTTP_PORT"))
		env[n++] = envpair("SN_HTTP_PORT", "0");
	for (int i = 0; i < t->npublishers + NALWAYS; i++) {
		const char *pub = i < t->npublishers
		    ? t->publishers[i]
		    : always_published[i - t->npublishers];
		char        key[128], url[512];
		if (i >= t->npublishers && declared(t, pub))
			continue;
		/* extra_env may name other URLs (tls+tcp:// in tests/tls) */
		upper_name(key, sizeof(key), pub, "_PUB_URL");
		snprintf(url, sizeof(url), "ipc://%s/%s.pub", t->run_dir, pub);
		if (!overridden(extra_env, key))
			env[n++] = envpair(key, url);
		upper_name(key, sizeof(key), pub, "_REPLAY_URL");
		snprintf(
		    url, sizeof(url), "ipc://%s/%s.replay", t->run_dir, pub);
		if (!overridden(extra_env, key))
			env[n++] = envpair(key, url);
	}
	for (const char *const *d = th_default_env; *d != NULL; d++) {
		const char *eq = strchr(*d, '=');
		char        k[128];
		snprintf(k, sizeof(k), "%.*s", (int) (eq - *d), *d);
		if (!overridden(extra_env, k))
			env[n++] = strdup(*d);
	}
	int nours = n;
	for (int i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
		env[n++] = (char *) extra_env[i];
	env[n] = NULL;

	pid_t pid = fork();
	if (pid < 0)
		th_fail(t, "fork: %s", strerror(errno));
	if (pid > 0) {
		/* Ours are the pairs after the inherited ones. */
		for (int i = nherit; i < nours; i++)
			free(env[i]);
	}
	if (pid == 0) {
		FILE *f = freopen(p->log, "a", stdout);
		if (f == NULL)
			_exit(127);
		dup2(fileno(stdout), 2);
		execve(bin, (char *const *) argv, env);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	p->pid = pid;
	return p;
}

bool
th_alive(th_proc *p)
{
	if (p->pid <= 0)
		return false;
	int   st;
	pid_t r = waitpid(p->pid, &st, WNOHANG);
	if (r == p->pid) {
		p->pid = -st - 1; /* remember it exited */
		return false;
	}
	return true;
}

int
th_wait_exit(th *t, th_proc *p, int ms)
{
	(void) t;
	if (p->pid < 0)
		return -p->pid - 1;
	if (p->pid == 0) /* never started: waitpid(0) would take any child */
		return -1;
	uint64_t end = th_now_ms() + (uint64_t) ms;
	while (th_now_ms() < end) {
		int   st;
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid) {
			p->pid
			    = -st - 1; /* as th_alive: asked again, the same */
			return st;
		}
		th_sleep_ms(10);
	}
	return -1;
}

void
th_kill(th *t, th_proc *p, int sig)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, sig);
	if (sig == SIGKILL) {
		int st;
		waitpid(p->pid, &st, 0);
		p->pid = -st - 1;
	}
	(void) t;
}

/*
 * The first column of the first row of the query as an integer. With
 * tolerate_missing, a table or column that does not exist yet (the
 * service is still applying its migrations) reads as -1 instead of
 * failing the test.
 */
static int64_t
vint(th *t, bool tolerate_missing, const char *fmt, va_list ap)
{
	char sql[4096];
	vsnprintf(sql, sizeof(sql), fmt, ap);
	PGresult   *r     = PQexec(t->pg, sql);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		/* 42P01 undefined table, 42703 undefined column: the
		 * service is between two of its migrations. */
		if (tolerate_missing && state != NULL
		    && (strcmp(state, "42P01") == 0
		        || strcmp(state, "42703") == 0)) {
			PQclear(r);
			return -1;
		}
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
		PQclear(r);
		th_fail(t, "query %s: %s", sql, msg);
	}
	int64_t v = 0;
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

/* Runs sql, which must return rows; the test fails otherwise. */
static PGresult *
vquery(th *t, const char *fmt, va_list ap)
{
	char sql[8192];
	vsnprintf(sql, sizeof(sql), fmt, ap);
	PGresult *r = PQexec(t->pg, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
		PQclear(r);
		th_fail(t, "query %s: %s", sql, msg);
	}
	return r;
}

static char *
cell_text(PGresult *r, int row, int col)
{
	char *v = NULL;
	if (row < PQntuples(r) && col < PQnfields(r)
	    && !PQgetisnull(r, row, col)) {
		v = strdup(PQgetvalue(r, row, col));
		if (v == NULL)
			abort();
	}
	return v;
}

char *
th_text_at(th *t, int row, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	PGresult *r = vquery(t, fmt, ap);
	va_end(ap);
	char *v = cell_text(r, row, col);
	PQclear(r);
	return v;
}

char *
th_text(th *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	PGresult *r = vquery(t, fmt, ap);
	va_end(ap);
	char *v = cell_text(r, 0, 0);
	PQclear(r);
	return v;
}

int
th_rows(th *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	PGresult *r = vquery(t, fmt, ap);
	va_end(ap);
	int n = PQntuples(r);
	PQclear(r);
	return n;
}

uint8_t *
th_bytes_at(th *t, int row, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	PGresult *r = vquery(t, fmt, ap);
	va_end(ap);
	uint8_t *out = NULL;
	*len         = 0;
	if (row < PQntuples(r) && !PQgetisnull(r, row, 0)) {
		size_t         n;
		unsigned char *b = PQunescapeBytea(
		    (const unsigned char *) PQgetvalue(r, row, 0), &n);
		if (b == NULL)
			abort();
		out = malloc(n > 0 ? n : 1);
		if (out == NULL)
			abort();
		memcpy(out, b, n);
		PQfreemem(b);
		*len = n;
	}
	PQclear(r);
	return out;
}

int64_t
th_int(th *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int64_t v = vint(t, false, fmt, ap);
	va_end(ap);
	return v;
}

int64_t
th_int_maybe(th *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int64_t v = vint(t, true, fmt, ap);
	va_end(ap);
	return v;
}

bool
th_file_has(const char *path, const char *text)
{
	return th_line_has(path, text, NULL);
}

bool
th_wait_file_has(const char *path, const char *text, int ms)
{
	uint64_t until = th_now_ms() + (uint64_t) ms;
	while (!th_file_has(path, text) && th_now_ms() < until)
		th_sleep_ms(10);
	return th_file_has(path, text);
}

bool
th_line_has(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	char line[8192];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, a) != NULL
		    && (b == NULL || strstr(line, b) != NULL);
	fclose(f);
	return found;
}

bool
th_wait_int(th *t, int64_t want, int ms, const char *fmt, ...)
{
	uint64_t end = th_now_ms() + (uint64_t) ms;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int64_t v = vint(t, true, fmt, ap);
		va_end(ap);
		if (v == want)
			return true;
		if (th_now_ms() >= end)
			return false;
		th_sleep_ms(20);
	}
}

/* The sample of the line of Prometheus text that starts with series and
 * a space; -1 if none. */
static int64_t
metric_in(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *l = text; l != NULL && *l != '\0';) {
		if (strncmp(l, series, n) == 0 && l[n] == ' ')
			return strtoll(l + n + 1, NULL, 10);
		l = strchr(l, '\n');
		l = l != NULL ? l + 1 : NULL;
	}
	return -1;
}

int64_t
th_metric(const char *path, const char *series)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	char    line[1024];
	int64_t v = -1;
	while (v < 0 && fgets(line, sizeof(line), f) != NULL)
		v = metric_in(line, series);
	fclose(f);
	return v;
}

int64_t
th_metric_http(th *t, int port, const char *series)
{
	char   *text = NULL;
	int64_t v    = -1;
	if (th_http(t, port, "GET", "/metrics", NULL, NULL, NULL, &text) == 200
	    && text != NULL)
		v = metric_in(text, series);
	free(text);
	return v;
}

static void
rm_rf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* A service that will not stop: every thread's stack on stderr (gdb,
 * when the machine has it), so that a hang seen once in CI says where. */
static void
dump_stacks(th *t, const th_proc *p)
{
	char cmd[800];
	snprintf(cmd, sizeof(cmd),
	    "command -v gdb >/dev/null && gdb -batch -nx -p %d "
	    "-ex 'thread apply all bt' 2>&1 | grep -v '^\\[New LWP' "
	    "> '%s/%s.stack' && cat '%s/%s.stack' >&2",
	    (int) p->pid, t->run_dir, p->name, t->run_dir, p->name);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: no stacks (gdb missing or failed)\n",
		    p->name);
}

/* Whether p, ended with wait status st, exited 0, or would have but for
 * the pipes nng 1.5.2 loses (th_leak_is_nng_lost_pipe), which is said. */
static bool
stopped_clean(const th_proc *p, int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	if (!th_leak_is_nng_lost_pipe(p->log))
		return false;
	fprintf(stderr,
	    "%s: stopped cleanly but for the pipes nng 1.5.2 loses "
	    "(th_leak_is_nng_lost_pipe); tolerated\n",
	    p->name);
	return true;
}

void
th_fini(th *t)
{
	/* A service asked to stop must drain and exit 0 (under the
	 * sanitizers a leak or an error report makes that fail too). */
	for (int i = 0; i < t->nprocs; i++) {
		th_proc *p = &t->procs[i];
		if (p->pid <= 0)
			continue;
		kill(p->pid, SIGTERM);
		int st = th_wait_exit(t, p, 12000);
		if (st < 0) {
			dump_stacks(t, p);
			th_fail(t, "%s did not stop within 12 s of SIGTERM",
			    p->name);
			th_kill(t, p, SIGKILL);
			continue;
		}
		if (!stopped_clean(p, st))
			th_fail(t, "%s ended with status %d on SIGTERM",
			    p->name, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	for (int i = 0; i < t->nschemas; i++) {
		char sql[256];
		snprintf(
		    sql, sizeof(sql), "DROP SCHEMA %s CASCADE", t->schemas[i]);
		PGresult *r = PQexec(t->pg, sql);
		PQclear(r);
		free(t->schemas[i]);
	}
	PQfinish(t->pg);
	rm_rf(t->run_dir);
}

/* Test ports (th_free_port): below the ephemeral range (32768-60999). */
#define PORT_MIN 20000
#define PORT_MAX 32767
#define PORT_DIR "/tmp/sn-ports"

static int   claimed[256];
static int   nclaimed;
static pid_t claimer; /* a forked child's exit releases nothing */

static void
ports_release(void)
{
	char path[64];
	if (getpid() != claimer)
		return;
	for (int i = 0; i < nclaimed; i++) {
		snprintf(path, sizeof(path), PORT_DIR "/%d", claimed[i]);
		(void) unlink(path);
	}
	nclaimed = 0;
	snprintf(path, sizeof(path), PORT_DIR "/.%ld", (long) getpid());
	(void) unlink(path);
}

/* This process's claim, PORT_DIR/.<pid> holding its pid, written once:
 * every port it claims is a hard link to it, so a claim never exists
 * half written. */
static const char *
claim_file(void)
{
	static char path[64];
	static bool made;
	if (!made) {
		char text[32];
		snprintf(
		    path, sizeof(path), PORT_DIR "/.%ld", (long) getpid());
		int n = snprintf(text, sizeof(text), "%ld\n", (long) getpid());
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (fd < 0)
			return NULL;
		made = write(fd, text, (size_t) n) == n;
		close(fd);
		if (!made)
			return NULL;
	}
	return path;
}

/* Claims port for this process: a new link, or the place of one whose
 * process is gone. The claim lasts until this process exits. */
static bool
port_claim(int port)
{
	char        path[64];
	const char *mine = claim_file();
	if (mine == NULL
	    || nclaimed == (int) (sizeof(claimed) / sizeof(claimed[0])))
		return false;
	snprintf(path, sizeof(path), PORT_DIR "/%d", port);
	int rv = link(mine, path);
	if (rv != 0 && errno == EEXIST) {
		FILE *f     = fopen(path, "r");
		long  owner = 0;
		if (f != NULL) {
			if (fscanf(f, "%ld", &owner) != 1)
				owner = 0;
			fclose(f);
		}
		if (owner > 0 && kill((pid_t) owner, 0) != 0
		    && errno == ESRCH) {
			(void) unlink(path); /* a dead process's: stale */
			rv = link(mine, path);
		}
	}
	if (rv != 0)
		return false;
	if (claimer == 0) {
		claimer = getpid();
		atexit(ports_release);
	}
	claimed[nclaimed++] = port;
	return true;
}

/* Whether nothing listens on port now. */
static bool
port_bindable(int port)
{
	int                fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa
	    = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok
	    = fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

int
th_free_port(void)
{
	static uint32_t seed;
	if (seed == 0)
		seed = (uint32_t) getpid() * 2654435761u
		    ^ (uint32_t) time(NULL);
	(void) mkdir(PORT_DIR, 0777);
	for (int tries = 0; tries < 1000; tries++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		int port = PORT_MIN + (int) (seed % (PORT_MAX - PORT_MIN + 1));
		if (port_claim(port) && port_bindable(port))
			return port;
	}
	return -1;
}

bool
th_send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t) w;
	}
	return true;
}

static bool
send_all(int fd, th_tls *tls, const char *p, size_t n)
{
	return tls != NULL ? th_tls_write(tls, p, n) : th_send_all(fd, p, n);
}

int
th_http(th *t, int port, const char *method, const char *path,
    const char *token, const char *idem_key, const char *json, char **body)
{
	return th_http_within(
	    t, port, method, path, token, idem_key, json, body, 60000);
}

/* ---- connections: one per request, or kept per thread ---------------- */

struct th_conn {
	int     port; /* 0: the slot is free */
	int     fd;
	th_tls *tls;
};

#define TH_CONNS 8

static _Atomic bool   keep_alive;
static pthread_key_t  conns_key;
static pthread_once_t conns_once = PTHREAD_ONCE_INIT;

static void
conn_close(struct th_conn *c)
{
	th_tls_close(c->tls);
	close(c->fd);
	*c = (struct th_conn) { 0 };
}

/* A thread's kept connections are closed when it ends. */
static void
conns_free(void *p)
{
	struct th_conn *cs = p;
	for (int i = 0; i < TH_CONNS; i++)
		if (cs[i].port != 0)
			conn_close(&cs[i]);
	free(cs);
}

static void
conns_key_make(void)
{
	(void) pthread_key_create(&conns_key, conns_free);
}

/* This thread's kept connections (TH_CONNS slots), or NULL. */
static struct th_conn *
conns_mine(void)
{
	(void) pthread_once(&conns_once, conns_key_make);
	struct th_conn *cs = pthread_getspecific(conns_key);
	if (cs == NULL) {
		cs = calloc(TH_CONNS, sizeof(*cs));
		if (cs != NULL && pthread_setspecific(conns_key, cs) != 0) {
			free(cs);
			cs = NULL;
		}
	}
	return cs;
}

void
th_http_keep_alive(bool on)
{
	keep_alive = on;
}

/* The X-Request-Id th_http sends on this thread ("": none). */
static _Thread_local char request_id[128];

void
th_http_request_id(const char *id)
{
	snprintf(request_id, sizeof(request_id), "%s", id != NULL ? id : "");
}

static void
conn_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
		.tv_usec              = (timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static bool
conn_open(struct th_conn *c, int port, int timeout_ms)
{
	*c     = (struct th_conn) { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	conn_timeouts(fd, timeout_ms);
	struct sockaddr_in sa
	    = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	th_tls *tls        = NULL;
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0
	    || (th_client_ca() != NULL
	        && (tls = th_tls_client(fd, th_client_ca())) == NULL)) {
		close(fd);
		return false;
	}
	*c = (struct th_conn) { .port = port, .fd = fd, .tls = tls };
	return true;
}

/* The value of header name (lower case, with its colon) in the head
 * [p, p + n), or NULL; names are matched without regard to case. */
static const char *
head_value(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name);
	for (const char *l = p; l != NULL && (size_t) (l - p) + k < n;) {
		size_t i = 0;
		while (i < k && tolower((unsigned char) l[i]) == name[i])
			i++;
		if (i == k) {
			l += k;
			while (*l == ' ' || *l == '\t')
				l++;
			return l;
		}
		l = memchr(l, '\n', n - (size_t) (l - p));
		if (l != NULL)
			l++;
	}
	return NULL;
}

/*
 * Reads one answer into *resp (grown as needed; *rlen bytes): to the end
 * of its Content-Length when it has one, else to the end of the stream.
 * *reuse says whether the connection may carry another request. False:
 * an error or timeout before the answer was complete.
 */
static bool
read_answer(struct th_conn *c, const char *method, char **resp, size_t *rcap,
    size_t *rlen, bool *reuse)
{
	size_t want  = 0; /* the whole answer's length, once known */
	bool   sized = false;
	*reuse       = false;
	for (;;) {
		if (*rcap - *rlen < 4096) {
			*rcap *= 2;
			*resp = realloc(*resp, *rcap);
		}
		ssize_t r = c->tls != NULL
		    ? th_tls_read(c->tls, *resp + *rlen, *rcap - *rlen - 1)
		    : read(c->fd, *resp + *rlen, *rcap - *rlen - 1);
		if (r < 0 && c->tls == NULL && errno == EINTR)
			continue;
		if (r < 0)
			return false; /* timed out or reset: no answer */
		if (r == 0)
			return !sized; /* the end: complete unless sized */
		*rlen += (size_t) r;
		(*resp)[*rlen] = '\0';
		if (!sized) {
			const char *e = strstr(*resp, "\r\n\r\n");
			if (e == NULL)
				continue;
			size_t      hl = (size_t) (e - *resp) + 4;
			const char *cl
			    = head_value(*resp, hl, "content-length:");
			const char *cn = head_value(*resp, hl, "connection:");
			int         st = *rlen > 12 ? atoi(*resp + 9) : 0;
			if (strcmp(method, "HEAD") == 0 || st == 204
			    || st == 304 || (st >= 100 && st < 200))
				cl = "0";
			if (cl == NULL)
				continue; /* to the end of the stream */
			sized  = true;
			want   = hl + strtoull(cl, NULL, 10);
			*reuse = cn == NULL
			    || tolower((unsigned char) *cn) != 'c';
		}
		if (*rlen >= want) {
			*rlen = want;
			return true;
		}
	}
}

int
th_http_within(th *t, int port, const char *method, const char *path,
    const char *token, const char *idem_key, const char *json, char **body,
    int timeout_ms)
{
	(void) t;
	if (body != NULL)
		*body = NULL;
	bool            keep = keep_alive;
	struct th_conn *cs   = keep ? conns_mine() : NULL;
	keep                 = cs != NULL;
	size_t blen          = json ? strlen(json) : 0;
	size_t cap           = 1200 + blen + (token ? strlen(token) : 0)
	    + (idem_key ? strlen(idem_key) : 0) + strlen(path);
	char *req = malloc(cap);
	int   n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s",
	      method, path, keep ? "" : "Connection: close\r\n");
	if (token != NULL)
		n += snprintf(req + n, cap - (size_t) n,
		    "Authorization: Bearer %s\r\n", token);
	if (idem_key != NULL)
		n += snprintf(req + n, cap - (size_t) n,
		    "Idempotency-Key: %s\r\n", idem_key);
	if (request_id[0] != '\0')
		n += snprintf(req + n, cap - (size_t) n,
		    "X-Request-Id: %s\r\n", request_id);
	if (json != NULL)
		n += snprintf(req + n, cap - (size_t) n,
		    "Content-Type: application/json\r\nContent-Length: "
		    "%zu\r\n",
		    blen);
	n += snprintf(req + n, cap - (size_t) n, "\r\n");
	/* Head and body in one write: written apart, the body waited (Nagle)
	 * for the server's delayed ACK of the head, 40 ms or so on every
	 * request with a body. */
	if (json != NULL) {
		memcpy(req + n, json, blen);
		n += (int) blen;
	}
	size_t rcap = 8192, rlen = 0;
	char  *resp = malloc(rcap);
	bool   ok   = false;
	/* A kept connection the server has closed meanwhile answers
	 * nothing at all: then once more on a new one. */
	for (int attempt = 0; attempt < 2 && !ok; attempt++) {
		struct th_conn one = { 0 }, *c = &one;
		bool           reused = false;
		if (keep) {
			int free_slot = -1;
			for (int i = 0; i < TH_CONNS && c == &one; i++)
				if (cs[i].port == port)
					c = &cs[i];
				else if (cs[i].port == 0 && free_slot < 0)
					free_slot = i;
			if (c == &one && free_slot < 0) {
				conn_close(&cs[0]); /* the oldest kept */
				free_slot = 0;
			}
			if (c == &one)
				c = &cs[free_slot];
			else {
				reused = true;
				conn_timeouts(c->fd, timeout_ms);
			}
		}
		if (!reused && !conn_open(c, port, timeout_ms))
			break;
		rlen       = 0;
		bool again = false;
		ok         = send_all(c->fd, c->tls, req, (size_t) n)
		    && read_answer(c, method, &resp, &rcap, &rlen, &again);
		if (!ok && !(reused && rlen == 0))
			attempt = 2; /* no answer */
		if (!ok || !keep || !again)
			conn_close(c);
	}
	free(req);
	resp[ok ? rlen : 0] = '\0';
	if (!ok)
		rlen = 0;
	int status = -1;
	if (rlen > 12 && strncmp(resp, "HTTP/1.", 7) == 0)
		status = atoi(resp + 9);
	if (body != NULL) {
		const char *b = strstr(resp, "\r\n\r\n");
		*body         = strdup(b ? b + 4 : "");
	}
	free(resp);
	return status;
}

bool
th_wait_ready(th *t, int port, int ms)
{
	uint64_t end = th_now_ms() + (uint64_t) ms;
	while (th_now_ms() < end) {
		if (th_http(t, port, "GET", "/readyz", NULL, NULL, NULL, NULL)
		    == 200)
			return true;
		th_sleep_ms(20);
	}
	return false;
}

/* The scenario's deadline: a hang says where before ctest kills it. */
static void *
watchdog(void *arg)
{
	th      *t  = arg;
	long     s  = t->deadline_s;
	uint64_t at = th_now_ms() + (uint64_t) s * 1000;
	while (th_now_ms() < at)
		th_sleep_ms(500);
	fprintf(stderr,
	    "FAIL %s: still running after %ld s (SN_TEST_DEADLINE_S); "
	    "the stacks of the test and of its services follow\n",
	    t->test, s);
	th_proc self = { .pid = getpid() };
	snprintf(self.name, sizeof(self.name), "%s", "test");
	dump_stacks(t, &self);
	for (int i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid > 0)
			dump_stacks(t, &t->procs[i]);
	give_up(t);
	_exit(1);
}

int
th_main(th *t, int argc, char **argv, const th_scenario *list, size_t n,
    void (*done)(void))
{
	if (argc == 2) {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(argv[1], list[i].name) != 0)
				continue;
			th_init(t, list[i].name);
			pthread_t   wd;
			const char *deadline = getenv("SN_TEST_DEADLINE_S");
			t->deadline_s = deadline != NULL ? atol(deadline) : 0;
			if (t->deadline_s > 0
			    && pthread_create(&wd, NULL, watchdog, t) == 0)
				pthread_detach(wd);
			uint64_t t0 = th_now_ms();
			list[i].fn();
			th_fini(t);
			if (done != NULL)
				done();
			printf("PASS %s (%llu ms)\n", list[i].name,
			    (unsigned long long) (th_now_ms() - t0));
			return 0;
		}
	}
	fprintf(stderr, "usage: %s", argv[0]);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? " | " : " ", list[i].name);
	fputc('\n', stderr);
	return 2;
}

/*
 * Whether a frame line of a LeakSanitizer stack ("    #3 0x... in f
 * file:line" or "    #3 0x...  (/lib/.../libnng.so.1+0x...)") is NNG's,
 * the allocator's or the thread start's: nothing of this tree.
 */
static bool
frame_not_ours(const char *line)
{
	return strstr(line, "/libnng.so") != NULL
	    || strstr(line, "libsanitizer/") != NULL
	    || strstr(line, " in start_thread ") != NULL
	    || strstr(line, " in __clone") != NULL
	    || strstr(line, " in clone") != NULL;
}

/*
 * Whether the LeakSanitizer report in the log at path is nothing but the
 * pipe nng 1.5.2 loses when a connection is accepted as its socket
 * closes: nni_listener_add_pipe refuses the transport pipe of a listener
 * that is closing (l_closing) and returns without freeing it, and that
 * pipe holds its listener's endpoint. The signature, both required:
 * every direct leak was allocated on NNG's own threads with no frame of
 * this tree on its stack (an accept completing), and the listener
 * sn_nng_listen made is among the indirect leaks (held by that pipe).
 * When the lost objects only hold each other the report has no direct
 * leak at all (seen 12-04 in intake.approval_events and
 * intake.sealed_changes): then every indirect leak with a frame of ours
 * must be of the listener's chain. The same shape comes from the pipes
 * the transport negotiated for a listener that no longer accepted (nng
 * #1518) when sn/listen.h closes that listener to listen again: they are
 * never freed, and hold its endpoint (bus.listener_hangup). A
 * leak of ours always has one of our frames on its allocation stack,
 * except a message NNG received that we then dropped - which would not
 * hold the listener, so it fails the second test on its own.
 * A dialer's pipe is lost the same way (nni_dialer_add_pipe has the
 * listener's closing path): a connection completing as the socket
 * closes holds the endpoint sn_nng_dialer made (verification's agency
 * sockets in verification.agency_down, sanitize pass of 12-07), and it
 * stands for the listener in both tests.
 */
bool
th_leak_is_nng_lost_pipe(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	char line[1024];
	bool in_report = false, in_direct = false, in_indirect = false;
	bool ours = false, listener = false;
	/* An indirect leak with a frame of ours that is not the listener's
	 * chain (what counts when the report has no direct leak). */
	bool block_ours = false, block_listener = false, other_ours = false;
	int  direct = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "ERROR: LeakSanitizer: detected memory leaks")
		    != NULL) {
			in_report = true;
			continue;
		}
		if (!in_report)
			continue;
		const char *l = line;
		while (*l == ' ')
			l++;
		if (l[0] != '#') {
			if (in_indirect && block_ours && !block_listener)
				other_ours = true;
			in_direct = in_indirect = false;
			block_ours = block_listener = false;
		}
		if (strncmp(line, "Direct leak of ", 15) == 0) {
			in_direct = true;
			direct++;
			continue;
		}
		if (strncmp(line, "Indirect leak of ", 17) == 0) {
			in_indirect = true;
			continue;
		}
		if (l[0] != '#')
			continue;
		if (in_direct && !frame_not_ours(line))
			ours = true;
		if (in_indirect && !frame_not_ours(line))
			block_ours = true;
		if (in_indirect
		    && (strstr(line, " in sn_nng_listen ") != NULL
		        || strstr(line, " in sn_nng_dialer ") != NULL))
			listener = block_listener = true;
	}
	fclose(f);
	if (in_indirect && block_ours && !block_listener)
		other_ours = true;
	/* With no direct leak the lost objects hold each other (the pipe
	 * and its listener's endpoint): every leak of ours must then be of
	 * the listener's chain. */
	return in_report && !ours && listener && (direct > 0 || !other_ours);
}

void
th_stop(th *t, th_proc *p)
{
	th_kill(t, p, SIGTERM);
	int st = th_wait_exit(t, p, 15000);
	TH_CHECK(t, st >= 0 && stopped_clean(p, st),
	    "%s did not exit 0 on SIGTERM", p->name);
}

char *
th_hex(const void *m)
{
	const ProtobufCMessage *msg = m;
	size_t                  n   = protobuf_c_message_get_packed_size(msg);
	uint8_t                *b   = malloc(n + 1);
	char                   *h   = malloc(2 * n + 1);
	if (b == NULL || h == NULL)
		abort();
	protobuf_c_message_pack(msg, b);
	for (size_t i = 0; i < n; i++)
		snprintf(h + 2 * i, 3, "%02x", b[i]);
	h[2 * n] = '\0';
	free(b);
	return h;
}

th_proc *
th_injector(th *t, const char *bin, const char *publisher)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.txt", t->run_dir, publisher);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		th_fail(t, "cannot write %s", path);
	fprintf(f, "test.nothing x test -\n");
	fclose(f);
	const char *argv[]
	    = { bin, "--name", publisher, "--events", path, NULL };
	th_proc *p = th_spawn(t, publisher, bin, argv, NULL);
	if (!th_wait_int(t, 1, 30000,
	        "SELECT (count(seq) >= 1)::int FROM %s.outbox",
	        th_schema(t, publisher)))
		th_fail(t, "sn-inject as %s did not start", publisher);
	return p;
}

void
th_inject_line(char *buf, size_t cap, const char *topic, const char *subject,
    const char *actor, const void *m)
{
	char  *h   = th_hex(m);
	size_t len = strlen(buf);
	snprintf(buf + len, cap - len, "%s %s %s %s\n", topic, subject, actor,
	    h[0] != '\0' ? h : "-");
	free(h);
}

/* ---- closing a test's own NNG sockets ---------------------------------- */

struct closing {
	nng_socket      s;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            done, abandoned;
};

static void *
closer(void *arg)
{
	struct closing *c = arg;
	nng_close(c->s);
	pthread_mutex_lock(&c->mu);
	bool abandoned = c->abandoned;
	c->done        = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (abandoned)
		free(c);
	return NULL;
}

bool
th_nng_close(nng_socket s, int ms)
{
	struct closing *c = calloc(1, sizeof(*c));
	pthread_t       t;
	if (c == NULL)
		return false;
	c->s = s;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&t, NULL, closer, c) != 0) {
		free(c);
		return false;
	}
	pthread_detach(t);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long) (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mu);
	while (!c->done
	    && pthread_cond_timedwait(&c->cv, &c->mu, &until) != ETIMEDOUT)
		;
	bool done = c->done;
	if (!done)
		c->abandoned = true; /* the closer frees it, if ever */
	pthread_mutex_unlock(&c->mu);
	if (done)
		free(c);
	else
		fprintf(stderr,
		    "nng_close of a test socket still waiting after %d ms "
		    "(nng 1.5.2's wedged reaper, nng #1813); left to the "
		    "process's exit\n",
		    ms);
	return done;
}
