/*
 * pgref.h - the PostgreSQL references every benchmark prints its figures
 * beside, measured on the same cluster in the same run, and the resident
 * memory of the processes it drove.
 *
 * This machine is a shared 2-core VM: absolute figures move by a factor
 * of two from one run to the next, ratios to what PostgreSQL itself does
 * on the same cluster at the same time hold. Two references:
 *   - pgbench single-row INSERT transactions (one commit each, fsync as
 *     the cluster is set): what a service that commits once per request
 *     could do at best;
 *   - COPY FROM STDIN of rows shaped like a payment: what bulk writing
 *     could do at best.
 *
 * Not a test: a benchmark that cannot measure a reference prints -1 and
 * says so rather than failing.
 */
#ifndef SN_BENCH_PGREF_H
#define SN_BENCH_PGREF_H

#include <libpq-fe.h>
#include <sys/types.h>

/*
 * pgbench's single-row INSERT transactions for `seconds` with `clients`
 * clients against db_url, into the table pgb of `schema` (created if
 * missing). The script is written in `dir`. Returns commits per second,
 * or -1 when pgbench could not run.
 */
double pgref_commits(const char *db_url, const char *schema, const char *dir,
    int seconds, int clients);

/*
 * COPY FROM STDIN of n rows shaped like a payment (ten columns: uuid,
 * payee, fund, period, amount in fen, township, account number and name,
 * end-to-end id, status) into a new table copy_scratch of `schema`, on
 * pg. Returns rows per second, or -1 (with the reason on stderr).
 */
double pgref_copy(PGconn *pg, const char *schema, long n);

/*
 * A field of /proc/<pid>/status in KiB ("VmRSS:" resident now, "VmHWM:"
 * the most it was resident), or -1 when the process is gone.
 */
long pgref_proc_kib(pid_t pid, const char *field);

/*
 * The CPU time the process has used so far, user and system together
 * (/proc/<pid>/stat's utime and stime), in microseconds, or -1 when the
 * process is gone. Two readings around a run give its own CPU per unit of
 * work: steadier than a rate on a noisy machine.
 */
long long pgref_proc_cpu_us(pid_t pid);

/*
 * The CPU time the PostgreSQL cluster behind conninfo has used so far, in
 * microseconds, or -1 when it cannot be read (another machine, no
 * /proc): its postmaster's own (found as the parent of a backend of
 * conninfo's), its live children's, and what its children that ended used
 * (the postmaster's cutime and cstime), so that a backend that ends
 * between two readings still counts; as deploy/local/lib.sh's
 * _sn_pg_ticks counts it.
 */
long long pgref_pg_cpu_us(const char *conninfo);

/*
 * Prints one figure with its reference and the ratio, aligned like
 *   "  label                 value unit   (ratio x ref_what)".
 * A missing reference (ref <= 0) prints the figure alone.
 */
void pgref_line(const char *label, double value, const char *unit, double ref,
    const char *ref_what);

#endif
