/*
 * harness.h - what the integration tests share: a private run folder, a
 * superuser connection to the test cluster (SN_TEST_DB_URL), schemas made
 * for one test and dropped after it, service processes started with the
 * settings of sn/service.h, and waiting on the database with a deadline
 * instead of sleeping.
 *
 * Failures print one line naming the check and exit 1; a missing
 * SN_TEST_DB_URL exits 1 too (deploy/local/test always sets it: a test
 * that silently skips would prove nothing).
 */
#ifndef SN_TEST_HARNESS_H
#define SN_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nng/nng.h>

#define TH_MAX_PROCS 32

typedef struct th_proc {
	pid_t pid;
	char  name[64];
	char  log[512];
} th_proc;

typedef struct th {
	const char *test;
	char        run_dir[256];
	char        prefix[32]; /* unique per run: schemas are prefix_name */
	const char *db_url;
	void       *pg; /* PGconn */
	char       *schemas[16];
	int         nschemas;
	th_proc     procs[TH_MAX_PROCS];
	int         nprocs;
	char        publishers[16][64];
	int         npublishers;
	long        deadline_s; /* SN_TEST_DEADLINE_S, 0: none (th_main) */
} th;

/* Sets up the run folder and the connection; exits 1 if it cannot. */
void th_init(th *t, const char *test);
/* Stops every process still running, drops the schemas, removes the run
 * folder (kept, with its logs, when the test failed: see th_fail). */
void th_fini(th *t);

/* Prints "FAIL <test>: <message>", the tails of the logs, and exits 1. */
_Noreturn void th_fail(th *t, const char *fmt, ...);
#define TH_CHECK(t, cond, ...)                                                \
	do {                                                                  \
		if (!(cond))                                                  \
			th_fail((t), __VA_ARGS__);                            \
	} while (0)

/* Creates schema "<prefix>_<name>" and returns its name (owned by t). */
const char *th_schema(th *t, const char *name);

/* Declares a publisher so that every process gets its SN_<NAME>_*_URL. */
void th_publisher(th *t, const char *name);

/*
 * Starts bin with argv (NULL-ended, argv[0] included) as service `name`
 * with schema th_schema(name), SN_HTTP_PORT=0, the publishers' URLs, and
 * extra "KEY=VALUE" settings (NULL-ended, may be NULL), which override
 * those defaults (a fixed SN_HTTP_PORT from th_free_port, say). Output goes to
 * <run_dir>/<name>.<n>.log. Returns the process slot.
 */
th_proc *th_spawn(th *t, const char *name, const char *bin,
    const char *const *argv, const char *const *extra_env);

/*
 * The settings every spawned service gets unless extra_env overrides
 * them (tests/support/defaults.c): the test-only keys and certificates.
 * "KEY=VALUE" strings, NULL-ended.
 */
extern const char *const th_default_env[];

/* The tests' token key pair (PEM): the private half signs test tokens
 * (sn_auth_open on it can issue), the public half verifies. */
extern const char th_token_private_pem[];
extern const char th_token_public_pem[];

/* A bearer token signed with th_token_private_pem for user as role in
 * juris, with the staff member's identity number idn and the unit it acts
 * for (each NULL: none), valid an hour; malloc'd. A principal the token
 * rules refuse fails the test (th_fail). */
char *th_token(th *t, const char *user, const char *role, const char *juris,
    const char *idn, const char *unit);

/*
 * A TCP port on 127.0.0.1 that nothing listens on now, and that no other
 * test process is given until this one exits: ports come from 20000-32767,
 * below the kernel's ephemeral range (so no outgoing connection takes
 * one), each claimed by a file /tmp/sn-ports/<port> holding the claiming
 * process's pid (removed at exit; a dead pid's claim is taken over). A
 * port picked by bind(0) was in the ephemeral range and only free at that
 * moment: another test's service could take it while ours applied its
 * migrations, and our readiness checks were answered by it.
 */
int th_free_port(void);

/*
 * One HTTP/1.1 request to 127.0.0.1:port (Connection: close). token (a
 * bearer token), idem_key (the Idempotency-Key) and json (the body) may
 * be NULL. Returns the status, or -1 if nothing answered; *body, when
 * body is not NULL, is the response body, malloc'd and NUL-terminated.
 */
int th_http(th *t, int port, const char *method, const char *path,
    const char *token, const char *idem_key, const char *json, char **body);

/*
 * With on, th_http and th_http_within keep their connections (HTTP/1.1
 * keep-alive): each thread one per port, up to eight ports, closed when
 * the thread ends; a kept connection the server closed meanwhile (it
 * answers nothing) is replaced once. Off (the default), each request has
 * its own connection. For drivers that make many requests.
 */
void th_http_keep_alive(bool on);

/* th_http and th_http_within on this thread send X-Request-Id: id from
 * now on (copied; NULL or "": none). */
void th_http_request_id(const char *id);

/* th_http with a limit: -1 also when sending or any read waits longer
 * than timeout_ms (th_http's limit is a minute). */
int th_http_within(th *t, int port, const char *method, const char *path,
    const char *token, const char *idem_key, const char *json, char **body,
    int timeout_ms);

/*
 * HTTPS (tests/support/tls.c). When SN_CLIENT_CA_FILE names a PEM file,
 * th_http and th_http_within speak TLS to 127.0.0.1:port and verify the
 * server's certificate against that CA (the host name is not checked:
 * loopback); otherwise they speak plain HTTP. th_client_ca() is that
 * file, or NULL.
 */
const char *th_client_ca(void);

/* One TLS client connection over the connected socket fd (which the
 * caller still owns and closes): NULL if the handshake or the server's
 * certificate check fails. Thread-safe. */
typedef struct th_tls th_tls;
th_tls               *th_tls_client(int fd, const char *ca_file);
bool                  th_tls_write(th_tls *s, const void *p, size_t n);
/* Bytes read, 0 at the end of the stream, -1 on an error or timeout. */
long th_tls_read(th_tls *s, void *p, size_t n);
/* Accepts NULL. */
void th_tls_close(th_tls *s);

/* Writes all n bytes to the connected socket fd (no SIGPIPE: a closed
 * peer is false), retrying interrupted and short sends. */
bool th_send_all(int fd, const void *buf, size_t n);

/*
 * Certificates for one test, made with libcrypto into the run folder
 * (P-256 keys, valid two days, SHA-256, as the openssl command makes
 * them). th_tls_make_ca makes CA `ca`:
 * <ca>-ca.pem and <ca>-ca.key. th_tls_make_cert makes <file>.pem and
 * <file>.key, a certificate with common name and DNS subject alternative
 * name `name`, signed by CA `ca`. The test fails if OpenSSL does.
 */
void th_tls_make_ca(th *t, const char *ca);
void th_tls_make_cert(
    th *t, const char *ca, const char *name, const char *file);

/* Polls GET /readyz on port until it answers 200; false after ms. */
bool th_wait_ready(th *t, int port, int ms);

/*
 * SIGTERM to p, which must drain and exit 0 within 15 s (fails else). A
 * LeakSanitizer report that th_leak_is_nng_lost_pipe recognises is
 * tolerated (said on stderr): that leak is NNG's, not p's.
 */
void th_stop(th *t, th_proc *p);

/*
 * Whether the log at path holds a LeakSanitizer report of nothing but
 * the pipes nng 1.5.2 loses (when a connection is accepted or dialed as
 * its socket closes, and when a listener that no longer accepted is
 * closed to listen again): every direct leak allocated on NNG's threads
 * with no frame of this tree, and the listener sn_nng_listen made (or
 * the dialer sn_nng_dialer made) among the indirect ones. False when the file
 * cannot be read or holds no report. th_stop and the end of a test tolerate
 * such a report.
 */
bool th_leak_is_nng_lost_pipe(const char *path);

/* The packed protobuf m in lower-case hex, malloc'd ("" when empty). */
char *th_hex(const void *m);

/*
 * Appends to buf (cap bytes, NUL-terminated) one line of sn-inject's
 * event file for m: "TOPIC SUBJECT ACTOR HEX\n" ("-" for an empty
 * payload). m is a ProtobufCMessage.
 */
void th_inject_line(char *buf, size_t cap, const char *topic,
    const char *subject, const char *actor, const void *m);

/*
 * Starts sn-inject (its binary bin) as publisher with one harmless event
 * (test.nothing), so that its schema, outbox and relay exist, and waits
 * until the event is in its outbox (30 s, else th_fail).
 */
th_proc *th_injector(th *t, const char *bin, const char *publisher);

/* Sends sig; with SIGKILL also reaps it. */
void th_kill(th *t, th_proc *p, int sig);
/* Waits up to ms for p to exit; returns its wait status, or -1. */
int th_wait_exit(th *t, th_proc *p, int ms);
/* True while p runs. */
bool th_alive(th_proc *p);

/* The first column of the first row of sql as an integer (0 for NULL);
 * the test fails if the query does. */
int64_t th_int(th *t, const char *fmt, ...);

/* The same, but -1 while a table or column in it does not exist yet. */
int64_t th_int_maybe(th *t, const char *fmt, ...);

/* The cell at (row, col) of sql as text, malloc'd (free it); NULL when
 * the result has no such row or the cell is NULL. The test fails if the
 * query does. The one place tests read query results: the services'
 * results go through their stores (sn_rows). */
char *th_text_at(th *t, int row, int col, const char *fmt, ...);
/* th_text_at(t, 0, 0, ...). */
char *th_text(th *t, const char *fmt, ...);

/* The rows of sql (a SELECT); the test fails if the query does. */
int th_rows(th *t, const char *fmt, ...);

/* The rows of schema.table read by sequential scans so far
 * (pg_stat_user_tables; a backend reports its counts when it goes idle,
 * at most once a second, or 10 s later). */
int64_t th_seq_rows(th *t, const char *schema, const char *table);

/* Runs sql, a command that returns no rows (INSERT, ANALYZE, ...); the
 * test fails if it does not succeed. */
void th_exec(th *t, const char *fmt, ...);

/* Runs sql; the test fails unless it ends with SQLSTATE want ("23503",
 * or "" for success). */
void th_sqlstate(th *t, const char *want, const char *fmt, ...);

/* The WAL's position now (its text), malloc'd; the WAL written from it on
 * is kept for th_wal_row_locks until the test's connection closes (a
 * temporary replication slot), so a checkpoint meanwhile cannot recycle
 * it. */
char *th_wal_mark(th *t);

/* The row locks (heap LOCK records: SELECT ... FOR UPDATE or FOR KEY
 * SHARE, a foreign key's check) written on schema.table's rows since
 * mark, by any backend (pg_walinspect). */
int64_t th_wal_row_locks(
    th *t, const char *mark, const char *schema, const char *table);

/* The bytea cell at (row, 0), decoded, malloc'd with its length in *len;
 * NULL when there is no such row or the cell is NULL. */
uint8_t *th_bytes_at(th *t, int row, size_t *len, const char *fmt, ...);

/* Polls sql every 20 ms until it returns want; false after ms. */
bool th_wait_int(th *t, int64_t want, int ms, const char *fmt, ...);

/* Sleeps ms milliseconds (for pacing a test, never for waiting on a
 * result: use th_wait_int). */
void th_sleep_ms(int ms);

/* Milliseconds of a monotonic clock. */
uint64_t th_now_ms(void);

/* Whether the file at path (a service's log) holds text on one line. */
bool th_file_has(const char *path, const char *text);

/* Polls th_file_has every 10 ms until it holds, for at most ms; the
 * last answer. */
bool th_wait_file_has(const char *path, const char *text, int ms);

/* Whether one line of the file at path holds both a and b (b NULL: a). */
bool th_line_has(const char *path, const char *a, const char *b);

/* A value from a Prometheus text file written by a service: the sample
 * whose line starts with series (name and labels); -1 if absent. */
int64_t th_metric(const char *path, const char *series);

/* The same from GET /metrics of the service on port; -1 if absent or if
 * nothing answered 200. */
int64_t th_metric_http(th *t, int port, const char *series);

/* One scenario of a test program: its name on the command line. */
/*
 * Closes a socket of the test's own, waiting at most ms: false if
 * nng_close has not returned by then. nng 1.5.2 can wedge its reaper for
 * good when a socket is closed while a message is half read (nng #1813:
 * a SUB socket while a heartbeat comes, a REQ while a late reply does),
 * and every nng_close waits on it: a test that met it hung until ctest
 * killed it (tls.listener_check, 12-06). The close goes on in a thread
 * of its own, left to the process's exit.
 */
bool th_nng_close(nng_socket s, int ms);

typedef struct th_scenario {
	const char *name;
	void (*fn)(void);
} th_scenario;

/*
 * The main of a scenario program: `prog SCENARIO` runs the one named with
 * th_init before and th_fini after, then done (may be NULL: freeing the
 * program's own things), and prints "PASS <name> (<ms> ms)". Exit status
 * 0, 1 from a failed check, 2 for a usage error. With SN_TEST_DEADLINE_S
 * set, a scenario still running that many seconds after it started
 * fails, after every thread's stack of the test and of its services
 * (gdb) and their logs' tails: set it below ctest's TIMEOUT, which kills
 * without a word.
 */
int th_main(th *t, int argc, char **argv, const th_scenario *list, size_t n,
    void (*done)(void));

#endif
