/*
 * pgref.c - see pgref.h.
 */
#include "pgref.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SN_PGBENCH
#define SN_PGBENCH "/usr/lib/postgresql/15/bin/pgbench"
#endif

double
pgref_commits(const char *db_url, const char *schema, const char *dir,
    int seconds, int clients)
{
	char script[512], cmd[3072];
	snprintf(script, sizeof(script), "%s/pgref-insert.sql", dir);
	FILE *f = fopen(script, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "INSERT INTO %s.pgb (v) VALUES (1);\n", schema);
	if (fclose(f) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
	    "psql -X -q '%s' -c 'SET client_min_messages = warning'"
	    " -c 'CREATE TABLE IF NOT EXISTS %s.pgb (id bigserial PRIMARY KEY,"
	    " v int)' >/dev/null && %s -n -c %d -j %d -T %d -f '%s' '%s' 2>&1",
	    db_url, schema, SN_PGBENCH, clients, clients > 1 ? 2 : 1, seconds,
	    script, db_url);
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	char   line[512];
	double tps = -1;
	while (fgets(line, sizeof(line), p) != NULL) {
		const char *at = strstr(line, "tps = ");
		if (at != NULL && tps < 0)
			tps = strtod(at + 6, NULL);
	}
	if (pclose(p) != 0)
		return -1;
	return tps;
}

static int
ok(PGconn *pg, PGresult *r, ExecStatusType want, const char *what)
{
	int good = PQresultStatus(r) == want;
	if (!good)
		fprintf(stderr, "pgref: %s: %s", what,
		    r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(pg));
	PQclear(r);
	return good;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

double
pgref_copy(PGconn *pg, const char *schema, long n)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE %s.copy_scratch (id uuid, payee_id bigint,"
	    " fund text, period text, amount_fen bigint, township_code text,"
	    " account_number text, account_name text, e2e_id text,"
	    " status text)",
	    schema);
	if (!ok(pg, PQexec(pg, sql), PGRES_COMMAND_OK, "create copy_scratch"))
		return -1;
	snprintf(sql, sizeof(sql), "COPY %s.copy_scratch FROM STDIN", schema);
	double t0 = now_s();
	if (!ok(pg, PQexec(pg, sql), PGRES_COPY_IN, "COPY"))
		return -1;
	char line[512];
	for (long i = 0; i < n; i++) {
		int len = snprintf(line, sizeof(line),
		    "%08lx-0000-4000-8000-%012lx\t%ld\tdibao\t2026-03\t%ld\t"
		    "22010300%ld\t62220200%08ld\tpayee %ld\t%08lx00004000"
		    "8000%012lx-1\tplanned\n",
		    i, i, i + 1, 50000 + i % 700, 1 + i % 3, i + 1, i + 1, i,
		    i);
		if (PQputCopyData(pg, line, len) != 1) {
			fprintf(stderr, "pgref: COPY data: %s",
			    PQerrorMessage(pg));
			return -1;
		}
	}
	if (PQputCopyEnd(pg, NULL) != 1) {
		fprintf(stderr, "pgref: COPY end: %s", PQerrorMessage(pg));
		return -1;
	}
	int       good = ok(pg, PQgetResult(pg), PGRES_COMMAND_OK, "COPY");
	PGresult *r;
	while ((r = PQgetResult(pg)) != NULL)
		PQclear(r);
	if (!good)
		return -1;
	double s = now_s() - t0;
	return (double) n / (s > 0 ? s : 0.001);
}

long
pgref_proc_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	long   v = -1;
	size_t n = strlen(field);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, n) == 0)
			v = strtol(line + n, NULL, 10);
	fclose(f);
	return v;
}

/* Fields 4 (ppid) and 14-17 (utime, stime, cutime, cstime) of
 * /proc/<pid>/stat, in clock ticks. false when the process is gone. The
 * name (field 2) is in parentheses and may hold spaces: the fields are
 * counted from the last ')'. */
static bool
proc_stat(pid_t pid, long *ppid, unsigned long long t[4])
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n]  = '\0';
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return false;
	long long c[2];
	if (sscanf(p + 1,
	        " %*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld "
	        "%lld",
	        ppid, &t[0], &t[1], &c[0], &c[1])
	    != 5)
		return false;
	t[2] = (unsigned long long) c[0];
	t[3] = (unsigned long long) c[1];
	return true;
}

static long long
ticks_us(unsigned long long ticks)
{
	long hz = sysconf(_SC_CLK_TCK);
	return (long long) (ticks * 1000000ULL / (unsigned long long) hz);
}

long long
pgref_proc_cpu_us(pid_t pid)
{
	unsigned long long t[4];
	long               ppid;
	return proc_stat(pid, &ppid, t) ? ticks_us(t[0] + t[1]) : -1;
}

long long
pgref_pg_cpu_us(const char *conninfo)
{
	PGconn *c  = PQconnectdb(conninfo);
	pid_t   be = PQstatus(c) == CONNECTION_OK ? PQbackendPID(c) : 0;
	unsigned long long t[4];
	long               pm = -1, ppid;
	/* The backend's parent read while it lives: after PQfinish it may
	 * be gone (a run in three printed no figure). */
	bool ok = be > 0 && proc_stat(be, &pm, t);
	PQfinish(c);
	if (!ok || pm <= 1 || !proc_stat((pid_t) pm, &ppid, t))
		return -1;
	unsigned long long ticks = t[0] + t[1] + t[2] + t[3];
	DIR               *d     = opendir("/proc");
	if (d == NULL)
		return -1;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		char *end;
		long  pid = strtol(e->d_name, &end, 10);
		if (*end == '\0' && pid > 0 && proc_stat((pid_t) pid, &ppid, t)
		    && ppid == pm)
			ticks += t[0] + t[1];
	}
	closedir(d);
	return ticks_us(ticks);
}

void
pgref_line(const char *label, double value, const char *unit, double ref,
    const char *ref_what)
{
	if (ref > 0)
		printf("  %-22s %10.0f %-14s (%.2f x %s %.0f)\n", label, value,
		    unit, value / ref, ref_what, ref);
	else
		printf("  %-22s %10.0f %s\n", label, value, unit);
}
