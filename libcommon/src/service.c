/*
 * The common main of every service: settings, migrations, parts, run,
 * drain, close. See sn/service.h for the settings and the order.
 */
#include "sn/service.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#include "sn/clock.h"
#include "sn/config.h"
#include "sn/log.h"
#include "sn/seal.h"
#include "sn/sealdb.h"
#include "sn/supervision/v1/supervision.pb-c.h"
#include "sn/tls.h"

#ifndef SN_SOURCE_DIR
#define SN_SOURCE_DIR "."
#endif

/*
 * The teardown's own deadline. From "drained" on, what is left is closing:
 * ours takes milliseconds, and NNG's (nng_close, nng_fini) waits for NNG's
 * reaper thread. nng 1.5.2 (Debian 12's) can wedge that thread for good:
 * when a pipe is closed while a message is half read, ipc_pipe_recv_cb
 * (tcp alike before 1.6.0) resubmits the body's read on the rx aio that
 * ipc_pipe_close has just closed, nni_aio_begin refuses it without a word,
 * and the protocol's receive aio stays queued in the transport with its
 * cancel function spent; the reaper's pipe_stop then waits in
 * nni_aio_stop forever, and every later nng_close and nng_fini with it
 * (nng issue #1813, fixed in 1.9.0 by aac4dc36: nni_aio_stop aborts a
 * task that has no cancel function). Any socket whose peer sends as it
 * closes can do it: a follower's SUB when a publisher's heartbeat comes,
 * a REQ when a late reply does. The loop's deadline timer cannot help, as
 * the loop thread is the one waiting; this thread ends the process,
 * status 0 (everything of ours has drained and closed), if the teardown
 * has not finished in TEARDOWN_MS.
 */
#define TEARDOWN_MS 5000u

/*
 * NNG's own threads can also panic in that teardown: nng 1.5.2's reaper,
 * freeing a TLS connection, was seen to lock a mutex already destroyed
 * ("pthread_mutex_lock: Invalid argument", then abort(): intake in
 * tls.no_cert, after "drained"), one release more than it holds in its
 * TLS transport. Everything of ours has drained and closed by then, so,
 * as for the wedge above, the process ends with status 0 and says so.
 * Only an abort on a thread NNG named ("nng:...") is taken so; one on
 * any other thread, ours, still aborts, and so does one that follows a
 * sanitizer's report (abort_on_error), whatever the thread: a memory
 * error met on NNG's threads may be ours. The line is rendered when the
 * teardown starts: a signal handler may only write it.
 */
static char                  nng_abort_line[512];
static size_t                nng_abort_len;
static volatile sig_atomic_t sanitizer_reported;

#if defined(__SANITIZE_ADDRESS__)
static void
on_sanitizer_death(void)
{
	sanitizer_reported = 1;
}
#endif

static void
on_teardown_abort(int sig)
{
	char name[17] = "";
	(void) sig;
	(void) prctl(PR_GET_NAME, name, 0, 0, 0);
	if (sanitizer_reported || strncmp(name, "nng:", 4) != 0)
		return; /* abort() goes on with the default action */
	sn_log_write_prepared(nng_abort_line, nng_abort_len);
	_exit(0);
}

static void
nng_abort_catch(bool on)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	if (on) {
		nng_abort_len = sn_log_prepare(SN_LOG_WARN,
		    "NNG aborted in its teardown; exiting (nng 1.5.2's TLS "
		    "transport, after the drain)",
		    nng_abort_line, sizeof(nng_abort_line));
		sa.sa_handler = on_teardown_abort;
#if defined(__SANITIZE_ADDRESS__)
		__sanitizer_set_death_callback(on_sanitizer_death);
#endif
	}
	(void) sigaction(SIGABRT, &sa, NULL);
}

typedef struct watchdog {
	uv_thread_t thread;
	uv_mutex_t  lock;
	uv_cond_t   cond;
	bool        armed, done;
} watchdog;

/* A periodic job of sn_service_every; freed in its close callback. */
struct job {
	uv_timer_t timer;
	void (*fn)(void *arg);
	void       *arg;
	struct job *next;
};

struct sn_service {
	const sn_service_def *def;
	sn_loop              *loop;
	sn_db                *db;
	sn_bus               *bus;
	sn_http              *http;
	sn_metrics           *metrics;
	sn_auth              *auth;
	sn_seal              *seal; /* SN_SEAL_KEYS, SN_BLIND_KEY; or NULL */
	uv_timer_t            drain_timer;
	uv_timer_t            purge_timer;
	uint32_t              idem_days; /* SN_IDEMPOTENCY_DAYS */
	bool                  purging;   /* a purge is in flight */
	bool                  stopping;
	bool                  bus_drained;
	uint64_t              grace_ms;  /* SN_SHUTDOWN_GRACE_MS */
	uint64_t              stop_at;   /* uv_now at SIGTERM */
	bool                  grace_out; /* said once */
	bool                  closed;
	struct job           *jobs;
	void                 *route_arg;
	watchdog              teardown;
};

void
sn_service_set_route_arg(sn_service *svc, void *arg)
{
	svc->route_arg = arg;
}

/* The settings every service reads (sn/service.h), for --help. */
static const sn_setting_doc common_settings[] = {
	{ "SN_DB_URL", "libpq connection string (required)" },
	{ "SN_DB_SCHEMA",
	    "schema of the service (default: its name, '-' as '_')" },
	{ "SN_DB_POOL",
	    "database connections at most, 1-64 (default 4; opened as "
	    "needed)" },
	{ "SN_HTTP_ADDR", "address to bind (default 127.0.0.1)" },
	{ "SN_HTTP_PORT", "HTTP port, 0 picks one (required)" },
	{ "SN_HTTP_MAX_BODY",
	    "largest request body in bytes (default 1048576)" },
	{ "SN_IDEMPOTENCY_DAYS",
	    "days a stored idempotent answer is kept, 1-3650 (default 30)" },
	{ "SN_TOKEN_PUBLIC_KEY",
	    "PEM public key (P-256) verifying bearer tokens (ES256)" },
	{ "SN_SEAL_KEYS",
	    "sealing keyring, lines <kid>:<64 hex>, the first seals "
	    "(required where personal data is stored)" },
	{ "SN_BLIND_KEY", "blind-index key, 64 hex (with SN_SEAL_KEYS)" },
	{ "SN_TLS_CERT_FILE",
	    "PEM certificate of this service: tls+tcp:// links, and HTTPS "
	    "unless SN_HTTP_TLS=off" },
	{ "SN_TLS_KEY_FILE", "PEM private key of SN_TLS_CERT_FILE" },
	{ "SN_TLS_CA_FILE",
	    "PEM CA every tls+tcp:// peer's certificate must chain to" },
	{ "SN_HTTP_TLS",
	    "off: plain HTTP even with a certificate (default on)" },
	{ "SN_HTTP_CLIENT_CA_FILE",
	    "PEM CA of HTTPS client certificates: client-certificate "
	    "routes need one of it (unset: they refuse every request)" },
	{ "SN_NNG_LISTEN_CHECK_MS",
	    "how often each NNG listener is checked to still accept, and "
	    "opened again if not (nng 1.5.2), 0-3600000 ms (default 5000; "
	    "0: never)" },
	{ "SN_<NAME>_PUB_URL", "NNG URL of publisher NAME's PUB socket" },
	{ "SN_<NAME>_REPLAY_URL",
	    "NNG URL of publisher NAME's replay endpoint" },
	{ "SN_BUS_HEARTBEAT_MS", "heartbeat period, 10-60000 (default 1000)" },
	{ "SN_BUS_RETENTION_DAYS", "outbox retention, 1-3650 (default 30)" },
	{ "SN_BUS_RELAY_BATCH",
	    "rows per relay pass, 1-100000 (default 1000)" },
	{ "SN_BUS_RELAY_POLL_MS",
	    "relay poll for other processes' rows (default 50)" },
	{ "SN_BUS_RELAY_WAIT_MS",
	    "relay pass this long after a commit that appended, 0-1000 ms "
	    "(default 2; 0: at once)" },
	{ "SN_BUS_APPLY_BATCH", "events per apply transaction (default 500)" },
	{ "SN_BUS_APPLY_WAIT_MS",
	    "wait for a batch to fill before applying it, 0-1000 ms "
	    "(default 5; 0: at once)" },
	{ "SN_BUS_QUEUE_MAX",
	    "events queued per followed stream (default 20000)" },
	{ "SN_BUS_QUEUE_BYTES",
	    "bytes of followed events held over all streams, queued and after "
	    "a gap, and again received but not yet read; past it they are "
	    "replayed later (65536-1073741824, default 33554432)" },
	{ "SN_BUS_STALL_MS",
	    "/readyz says 503 when a followed stream has events known and "
	    "none applied for this long, 0-86400000 ms (default 60000; 0: "
	    "never)" },
	{ "SN_PARTITION", "i/N: this instance's share of followed subjects" },
	{ "SN_SCHEMA_DIR",
	    "folder of NNN_*.sql migrations (default: the source tree's)" },
	{ "SN_DISTRICT_UTC_OFFSET_MIN",
	    "the district's offset from UTC in minutes, -720..840 (default "
	    "480)" },
	{ "SN_TEST_CLOCK", "1 allows SN_CLOCK_OFFSET_S (tests only)" },
	{ "SN_CLOCK_OFFSET_S",
	    "seconds added to the clock (tests only, with SN_TEST_CLOCK=1)" },
	{ "SN_LOG_LEVEL", "debug, info, warn or error (default info)" },
	{ "SN_SHUTDOWN_MS",
	    "hard deadline for draining, 100-600000 (default 10000)" },
	{ "SN_SHUTDOWN_GRACE_MS",
	    "how long the drain waits for HTTP connections accepted before "
	    "SIGTERM to have their answers, then closes them; 0-600000, "
	    "below SN_SHUTDOWN_MS (default 8000)" },
	{ NULL, NULL },
};

static void
print_settings(const sn_setting_doc *list)
{
	for (; list != NULL && list->name != NULL; list++)
		printf("  %-28s %s\n", list->name, list->doc);
}

static int
usage(const sn_service_def *def)
{
	printf("usage: %s [--help | --version | --routes | --probe]\n\n"
	       "The safetynet %s service. Settings come from the "
	       "environment:\n",
	    def->name, def->name);
	print_settings(common_settings);
	if (def->settings != NULL && def->settings->name != NULL) {
		printf("Settings of %s itself:\n", def->name);
		print_settings(def->settings);
	}
	return 0;
}

static int
print_routes(const sn_service_def *def)
{
	for (size_t i = 0; i < def->nroutes; i++)
		printf(
		    "%s %s\n", def->routes[i].method, def->routes[i].pattern);
	return 0;
}

/* GET /openapi.yaml: the service's part of the API contract. */
static void
on_openapi(sn_http_req *req, void *arg)
{
	const char *doc = arg;
	sn_http_reply_text(req, 200, "application/yaml", doc, strlen(doc));
}

static void
env_name(char *out, size_t cap, const char *name, const char *suffix)
{
	size_t n = 0;
	n += (size_t) snprintf(out, cap, "SN_");
	for (const char *p = name; *p && n + 1 < cap; p++)
		out[n++]
		    = *p == '-' ? '_' : (char) toupper((unsigned char) *p);
	out[n] = '\0';
	snprintf(out + n, cap - n, "%s", suffix);
}

void
sn_service_bus_urls(
    const char *name, const char **pub_url, const char **replay_url)
{
	char var[128];
	env_name(var, sizeof(var), name, "_PUB_URL");
	*pub_url = sn_config_url(var, NULL);
	env_name(var, sizeof(var), name, "_REPLAY_URL");
	*replay_url = sn_config_url(var, NULL);
}

sn_loop *
sn_service_loop(sn_service *svc)
{
	return svc->loop;
}

sn_db *
sn_service_db(sn_service *svc)
{
	return svc->db;
}

sn_bus *
sn_service_bus(sn_service *svc)
{
	return svc->bus;
}

sn_http *
sn_service_http(sn_service *svc)
{
	return svc->http;
}

sn_metrics *
sn_service_metrics(sn_service *svc)
{
	return svc->metrics;
}

const char *
sn_service_name(const sn_service *svc)
{
	return svc->def->name;
}

/* --probe: GET /readyz on our own port over loopback, no curl needed. */
static int
probe(void)
{
	const char *addr = sn_config_str("SN_HTTP_ADDR", "127.0.0.1");
	int64_t     port = sn_config_int_req("SN_HTTP_PORT", 1, 65535);
	bool        v6   = strchr(addr, ':') != NULL;
	/* A wildcard bind is probed through loopback. */
	if (strcmp(addr, "0.0.0.0") == 0)
		addr = "127.0.0.1";
	else if (strcmp(addr, "::") == 0)
		addr = "::1";
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 1;
	int rc;
	if (v6) {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
			.sin6_port = htons((uint16_t) port) };
		inet_pton(AF_INET6, addr, &sa.sin6_addr);
		rc = connect(fd, (struct sockaddr *) &sa, sizeof(sa));
	} else {
		struct sockaddr_in sa = { .sin_family = AF_INET,
			.sin_port = htons((uint16_t) port) };
		inet_pton(AF_INET, addr, &sa.sin_addr);
		rc = connect(fd, (struct sockaddr *) &sa, sizeof(sa));
	}
	if (rc != 0) {
		close(fd);
		return 1;
	}
	static const char req[]
	    = "GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n";
	char buf[64] = { 0 };
	if (sn_tls_http_on()) { /* our HTTP serves HTTPS (sn/tls.h) */
		long n
		    = sn_tls_probe(fd, req, sizeof(req) - 1, buf, sizeof(buf));
		close(fd);
		return n > 12 && strncmp(buf + 8, " 200", 4) == 0 ? 0 : 1;
	}
	if (write(fd, req, sizeof(req) - 1) != (ssize_t) (sizeof(req) - 1)) {
		close(fd);
		return 1;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 12 && strncmp(buf + 8, " 200", 4) == 0 ? 0 : 1;
}

static void
on_job(uv_timer_t *t)
{
	struct job *j = t->data;
	j->fn(j->arg);
}

static void
job_closed(uv_handle_t *h)
{
	free(h->data);
}

sn_err
sn_service_every(sn_service *svc, uint64_t first_ms, uint64_t period_ms,
    void (*fn)(void *arg), void *arg)
{
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return SN_ENOMEM;
	if (uv_timer_init(sn_loop_uv(svc->loop), &j->timer) != 0) {
		free(j);
		return SN_EUV;
	}
	j->timer.data = j;
	j->fn         = fn;
	j->arg        = arg;
	j->next       = svc->jobs;
	svc->jobs     = j;
	uv_timer_start(&j->timer, on_job, first_ms, period_ms);
	return SN_OK;
}

static void
close_jobs(sn_service *svc)
{
	while (svc->jobs != NULL) {
		struct job *j = svc->jobs;
		svc->jobs     = j->next;
		uv_timer_stop(&j->timer);
		uv_close((uv_handle_t *) &j->timer, job_closed);
	}
}

static void
watchdog_main(void *arg)
{
	watchdog *w   = arg;
	uint64_t  end = uv_hrtime() + (uint64_t) TEARDOWN_MS * 1000000u;
	uv_mutex_lock(&w->lock);
	for (uint64_t now = uv_hrtime(); !w->done && now < end;
	     now          = uv_hrtime())
                (void) uv_cond_timedwait(&w->cond, &w->lock, end - now);
	bool done = w->done;
	uv_mutex_unlock(&w->lock);
	if (done)
		return;
	char ms[16];
	snprintf(ms, sizeof(ms), "%u", TEARDOWN_MS);
	sn_log(SN_LOG_WARN,
	    "teardown did not finish; exiting (NNG stuck closing a pipe: "
	    "nng 1.5.2, issue #1813)",
	    "ms", ms, NULL);
	_exit(0);
}

static void
watchdog_arm(watchdog *w)
{
	if (w->armed)
		return;
	if (uv_mutex_init(&w->lock) != 0)
		return;
	if (uv_cond_init(&w->cond) != 0) {
		uv_mutex_destroy(&w->lock);
		return;
	}
	w->done = false;
	if (uv_thread_create(&w->thread, watchdog_main, w) != 0) {
		sn_log(SN_LOG_WARN, "no teardown watchdog", NULL);
		uv_cond_destroy(&w->cond);
		uv_mutex_destroy(&w->lock);
		return;
	}
	w->armed = true;
}

static void
watchdog_disarm(watchdog *w)
{
	if (!w->armed)
		return;
	uv_mutex_lock(&w->lock);
	w->done = true;
	uv_cond_signal(&w->cond);
	uv_mutex_unlock(&w->lock);
	uv_thread_join(&w->thread);
	uv_cond_destroy(&w->cond);
	uv_mutex_destroy(&w->lock);
	w->armed = false;
}

/* Ready while the database answers and no bus stream is halted (a halted
 * stream waits for an operator: sn-bus; its reason is logged and is the
 * 503's message). */
/* Every state-changing staff request becomes a "staff.acted" event in
 * this service's own stream (sn/http.h's audit; issue 12). */
static sn_err
audit_append(sn_tx *tx, const sn_http_audit *r, void *arg)
{
	sn_service                     *svc = arg;
	char                            at[SN_CLOCK_STAMPLEN];
	Sn__Supervision__V1__StaffActed m
	    = SN__SUPERVISION__V1__STAFF_ACTED__INIT;

	sn_clock_stamp(at);
	m.service         = (char *) svc->def->name;
	m.user_id         = (char *) r->who->user;
	m.role            = (char *) r->who->role;
	m.jurisdiction    = (char *) r->who->juris;
	m.actor_id_number = (char *) r->who->id_number;
	m.method          = (char *) r->method;
	m.route           = (char *) r->route;
	m.subject         = (char *) r->subject;
	m.request_id      = (char *) r->request_id;
	m.idempotency_key = (char *) r->idempotency_key;
	m.status          = r->status;
	m.outcome_code    = (char *) r->code;
	m.at              = at;
	return sn_bus_append_msg(
	    svc->bus, tx, "staff.acted", r->subject, r->who->user, &m.base);
}

static bool
is_ready(void *arg, char *why, size_t cap)
{
	sn_service *svc = arg;
	if (svc->stopping)
		return false;
	if (!sn_db_ready(svc->db)) {
		snprintf(why, cap, "the database does not answer");
		return false;
	}
	return sn_bus_healthy(svc->bus, why, cap);
}

static void
close_all(sn_service *svc)
{
	if (svc->closed)
		return;
	svc->closed = true;
	watchdog_arm(&svc->teardown);
	nng_abort_catch(true);
	if (svc->def->teardown != NULL)
		svc->def->teardown(svc, svc->def->arg);
	close_jobs(svc);
	uv_close((uv_handle_t *) &svc->drain_timer, NULL);
	uv_close((uv_handle_t *) &svc->purge_timer, NULL);
	sn_http_close(svc->http);
	sn_bus_close(svc->bus);
	sn_db_close(svc->db);
}

static void
on_purged(sn_err err, PGresult *res, void *arg)
{
	sn_service *svc = arg;

	svc->purging = false;
	if (err != SN_OK)
		sn_log(SN_LOG_WARN, "idempotency purge failed", "error",
		    sn_strerror(err), NULL);
	else {
		typedef struct purged {
			int64_t count;
		} purged;
		static const sn_col cols[]
		    = { SN_COL(purged, count, SN_COL_I64) };
		purged p = { 0 };
		char   n[24];
		(void) sn_rows_one(res, cols, SN_NCOLS(cols), &p);
		snprintf(n, sizeof(n), "%lld", (long long) p.count);
		sn_log(SN_LOG_DEBUG, "idempotency purge", "deleted", n, NULL);
	}
}

/* Stored Idempotency-Key answers older than SN_IDEMPOTENCY_DAYS. Skipped
 * while draining (the drain waits for the pool to be idle) and while the
 * database is down (a queued transaction would only wait for it). */
static void
on_purge_tick(uv_timer_t *t)
{
	sn_service *svc = t->data;

	if (svc->stopping || svc->purging || !sn_db_ready(svc->db))
		return;
	svc->purging = true;
	sn_http_purge(svc->db, svc->idem_days, on_purged, svc);
}

/* Drained: the bus stopped, no transaction in flight, and every HTTP
 * connection accepted before the signal answered and closed (or the
 * grace is over: stop() closes what is left). */
static void
on_drain_tick(uv_timer_t *t)
{
	sn_service *svc = t->data;
	bool        http
	    = sn_http_busy(svc->http) > 0 || sn_http_conns(svc->http) > 0;
	if (http && uv_now(t->loop) - svc->stop_at >= svc->grace_ms) {
		if (!svc->grace_out) {
			char n[24];
			snprintf(
			    n, sizeof(n), "%zu", sn_http_conns(svc->http));
			sn_log(SN_LOG_WARN,
			    "drain grace over; closing HTTP connections",
			    "connections", n, NULL);
			svc->grace_out = true;
		}
		http = false;
	}
	if (!svc->bus_drained || http || sn_db_busy(svc->db) > 0)
		return;
	uv_timer_stop(t);
	sn_log(SN_LOG_INFO, "drained", NULL);
	close_all(svc);
}

static void
on_bus_drained(void *arg)
{
	sn_service *svc  = arg;
	svc->bus_drained = true;
}

static void
on_stop(void *arg)
{
	sn_service *svc = arg;
	svc->stopping   = true;
	svc->stop_at    = uv_now(sn_loop_uv(svc->loop));
	/* Refuse new connections first, answer the ones accepted. */
	sn_http_quiesce(svc->http);
	sn_bus_drain(svc->bus, on_bus_drained, svc);
	uv_timer_start(&svc->drain_timer, on_drain_tick, 0, 10);
}

/*
 * The sealer from SN_SEAL_KEYS and SN_BLIND_KEY (sn/seal.h), or NULL when
 * neither is set and the service stores no personal data. Exits 2 naming
 * the setting that is missing or malformed (never printing a key).
 */
static sn_seal *
open_sealer(const sn_service_def *def)
{
	bool need = def->needs_seal || def->nseal_columns > 0
	    || def->nseal_documents > 0;
	const char *opt   = need ? NULL : "";
	const char *ring  = sn_config_str("SN_SEAL_KEYS", opt);
	const char *blind = sn_config_str("SN_BLIND_KEY", opt);
	sn_seal    *s     = NULL;

	if (ring[0] == '\0' && blind[0] == '\0')
		return NULL;
	if (strlen(blind) != 64
	    || strspn(blind, "0123456789abcdefABCDEF") != 64)
		sn_config_fail(
		    "SN_BLIND_KEY", "64 hex characters", "(hidden)");
	if (sn_seal_open(&s, ring, blind) != SN_OK)
		sn_config_fail("SN_SEAL_KEYS",
		    "lines <kid>:<64 hex>, kid 1-16 of a-z 0-9 -", "(hidden)");
	return s;
}

static char *
default_schema(const char *name)
{
	char *s = strdup(name);
	if (s == NULL)
		return NULL;
	for (char *p = s; *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

static const char *
default_schema_dir(const sn_service_def *def, char *buf, size_t cap)
{
	struct stat st;
	if (def->schema_dir != NULL)
		return def->schema_dir;
	snprintf(buf, cap, "%s/services/%s/schema", SN_SOURCE_DIR, def->name);
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? buf : NULL;
}

static sn_err
migrate(const sn_service_def *def, const char *conninfo, const char *schema,
    const char *dir)
{
	size_t        n    = sn_bus_nmigrations + sn_http_nmigrations;
	sn_migration *list = calloc(n, sizeof(*list));
	if (list == NULL)
		return SN_ENOMEM;
	memcpy(list, sn_bus_migrations, sn_bus_nmigrations * sizeof(*list));
	memcpy(list + sn_bus_nmigrations, sn_http_migrations,
	    sn_http_nmigrations * sizeof(*list));
	sn_err err = sn_db_migrate(conninfo, schema, list, n, dir);
	free(list);
	(void) def;
	return err;
}

int
sn_service_main(int argc, char **argv, const sn_service_def *def)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--probe") == 0)
			return probe();
		if (strcmp(argv[i], "--help") == 0
		    || strcmp(argv[i], "-h") == 0)
			return usage(def);
		if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", def->name, sn_version);
			return 0;
		}
		if (strcmp(argv[i], "--routes") == 0)
			return print_routes(def);
		/* Anything else is the binary's own (test programs take
		 * options of their own). */
	}
	if (def->read_settings != NULL)
		def->read_settings();

	const char *level = sn_config_str("SN_LOG_LEVEL", "info");
	int         lvl   = sn_log_level_parse(level);
	if (lvl < 0)
		sn_config_fail(
		    "SN_LOG_LEVEL", "debug, info, warn or error", level);
	sn_log_init(def->name, (sn_log_level) lvl);
	sn_log(SN_LOG_INFO, "starting", NULL); /* every line has the version */
	if (sn_clock_setup() != SN_OK)
		exit(2);

	char       *schema_default = default_schema(def->name);
	char        dirbuf[1024];
	const char *conninfo = sn_config_str("SN_DB_URL", NULL);
	const char *schema   = sn_config_str("SN_DB_SCHEMA", schema_default);
	int64_t     pool     = sn_config_int("SN_DB_POOL", 4, 1, 64);
	const char *addr     = sn_config_str("SN_HTTP_ADDR", "127.0.0.1");
	int64_t     port     = sn_config_int_req("SN_HTTP_PORT", 0, 65535);
	int64_t     max_body
	    = sn_config_int("SN_HTTP_MAX_BODY", 1 << 20, 1024, 64 << 20);
	const char *dir_def = default_schema_dir(def, dirbuf, sizeof(dirbuf));
	const char *dir
	    = sn_config_str("SN_SCHEMA_DIR", dir_def != NULL ? dir_def : "");
	const char *key = def->needs_auth
	    ? sn_config_str("SN_TOKEN_PUBLIC_KEY", NULL)
	    : sn_config_str("SN_TOKEN_PUBLIC_KEY", "");
	int64_t     shutdown_ms
	    = sn_config_int("SN_SHUTDOWN_MS", 10000, 100, 600000);
	int64_t grace_ms
	    = sn_config_int("SN_SHUTDOWN_GRACE_MS", 8000, 0, 600000);
	int64_t idem_days = sn_config_int("SN_IDEMPOTENCY_DAYS", 30, 1, 3650);

	sn_bus_config bc = { 0 };
	bc.heartbeat_ms
	    = (uint32_t) sn_config_int("SN_BUS_HEARTBEAT_MS", 1000, 10, 60000);
	bc.retention_days
	    = (uint32_t) sn_config_int("SN_BUS_RETENTION_DAYS", 30, 1, 3650);
	bc.relay_batch
	    = (uint32_t) sn_config_int("SN_BUS_RELAY_BATCH", 1000, 1, 100000);
	bc.relay_poll_ms
	    = (uint32_t) sn_config_int("SN_BUS_RELAY_POLL_MS", 50, 1, 60000);
	bc.relay_wait_ms
	    = (uint32_t) sn_config_int("SN_BUS_RELAY_WAIT_MS", 2, 0, 1000);
	bc.number_at_append = (uint32_t) sn_config_int(
	    "SN_BUS_NUMBER_AT_APPEND", 100, 0, 1000000);
	bc.apply_batch
	    = (uint32_t) sn_config_int("SN_BUS_APPLY_BATCH", 500, 1, 100000);
	bc.apply_wait_ms
	    = (uint32_t) sn_config_int("SN_BUS_APPLY_WAIT_MS", 5, 0, 1000);
	bc.apply_serial = def->apply_serial;
	bc.queue_bytes  = (uint32_t) sn_config_int(
	     "SN_BUS_QUEUE_BYTES", 32 << 20, 1 << 16, 1 << 30);
	bc.queue_max
	    = (uint32_t) sn_config_int("SN_BUS_QUEUE_MAX", 20000, 1, 10000000);
	bc.stall_ms
	    = (uint32_t) sn_config_int("SN_BUS_STALL_MS", 60000, 0, 86400000);
	sn_config_partition("SN_PARTITION", &bc.part_index, &bc.part_count);
	if (def->publishes) {
		bc.publisher = def->name;
		sn_service_bus_urls(def->name, &bc.pub_url, &bc.replay_url);
	}
	const char *follow_urls[16][2];
	size_t      nfollow = 0;
	for (; def->follows != NULL && def->follows[nfollow] != NULL;
	     nfollow++) {
		if (nfollow == 16)
			sn_config_fail("follows", "at most 16 publishers", "");
		sn_service_bus_urls(def->follows[nfollow],
		    &follow_urls[nfollow][0], &follow_urls[nfollow][1]);
	}

	int        status = 1;
	sn_service svc    = { .def = def,
		   .idem_days      = (uint32_t) idem_days,
		   .route_arg      = def->arg };
	/* The token key is checked before the database is touched. A
	 * service verifies; only identity signs, and never with this. */
	if (key[0] != '\0' && sn_auth_open(&svc.auth, key) != SN_OK)
		sn_config_fail("SN_TOKEN_PUBLIC_KEY",
		    "a P-256 public key in PEM", "(hidden)");
	if (sn_auth_can_issue(svc.auth))
		sn_config_fail("SN_TOKEN_PUBLIC_KEY",
		    "a public key, never a private (signing) key", "(hidden)");
	svc.seal = open_sealer(def);
	sn_seal_set_default(svc.seal);
	if (migrate(def, conninfo, schema, dir[0] ? dir : NULL) != SN_OK) {
		sn_log(SN_LOG_ERROR, "migrations failed; exiting", NULL);
		goto out;
	}
	if ((def->nseal_columns > 0
	        && sn_sealdb_run(conninfo, schema, svc.seal, def->seal_columns,
	               def->nseal_columns, NULL)
	            != SN_OK)
	    || (def->nseal_documents > 0
	        && sn_sealdb_run_documents(conninfo, schema, svc.seal,
	               def->seal_documents, def->nseal_documents, NULL)
	            != SN_OK)) {
		sn_log(SN_LOG_ERROR, "sealing rows in clear failed; exiting",
		    NULL);
		goto out;
	}
	if ((svc.metrics = sn_metrics_new()) == NULL)
		goto out;
	{
		char labels[256];
		snprintf(labels, sizeof(labels),
		    "service=\"%s\",version=\"%s\"", def->name, sn_version);
		sn_gauge *g = sn_metrics_gauge(svc.metrics, "sn_build_info",
		    "The build: version and service, always 1.", labels);
		if (g != NULL)
			sn_gauge_set(g, 1);
	}
	/* The grace ends before the hard deadline, so that what the drain
	 * closes is closed in order (the teardown, then exit 0). */
	if (grace_ms >= shutdown_ms)
		grace_ms = shutdown_ms * 4 / 5;
	svc.grace_ms = (uint64_t) grace_ms;
	if (sn_loop_open(&svc.loop, (uint32_t) shutdown_ms) != SN_OK)
		goto out_metrics;
	uv_timer_init(sn_loop_uv(svc.loop), &svc.drain_timer);
	svc.drain_timer.data = &svc;
	uv_timer_init(sn_loop_uv(svc.loop), &svc.purge_timer);
	svc.purge_timer.data = &svc;

	sn_db_config dc = { .conninfo = conninfo,
		.schema               = schema,
		.pool                 = (int) pool,
		.name                 = def->name,
		.generic_plans        = def->generic_plans };
	if (sn_db_open(&svc.db, svc.loop, &dc) != SN_OK)
		goto out_loop;
	sn_http_config hc = { .addr = addr,
		.port               = (uint16_t) port,
		.max_body           = (size_t) max_body,
		.auth               = svc.auth,
		.metrics            = svc.metrics,
		.db                 = svc.db };
	if (def->publishes) {
		hc.audit     = audit_append;
		hc.audit_arg = &svc;
	}
	/* HTTPS with the service's certificate, and the CA of client
	 * certificates (sn/tls.h); http copies. */
	char *tls_cert, *tls_key;
	sn_tls_http_pems(&tls_cert, &tls_key);
	char *client_ca      = sn_tls_http_client_ca();
	hc.tls_cert_pem      = tls_cert;
	hc.tls_key_pem       = tls_key;
	hc.tls_client_ca_pem = client_ca;
	sn_err herr          = sn_http_open(&svc.http, svc.loop, &hc);
	free(tls_cert);
	free(tls_key);
	free(client_ca);
	if (herr != SN_OK)
		goto out_db;
	sn_http_set_ready(svc.http, is_ready, &svc);
	if (sn_bus_open(&svc.bus, svc.loop, svc.db, svc.metrics, &bc) != SN_OK)
		goto out_http;
	for (size_t i = 0; i < nfollow; i++)
		if (sn_bus_follow(svc.bus, def->follows[i], follow_urls[i][0],
		        follow_urls[i][1])
		    != SN_OK)
			goto out_bus;
	if (def->setup != NULL && def->setup(&svc, def->arg) != SN_OK) {
		sn_log(SN_LOG_ERROR, "service setup failed; exiting", NULL);
		goto out_bus;
	}
	if (sn_http_routes(svc.http, def->routes, def->nroutes, svc.route_arg)
	        != SN_OK
	    || (def->openapi != NULL
	        && sn_http_route(svc.http, "GET", "/openapi.yaml",
	               SN_HTTP_PUBLIC, NULL, on_openapi, (void *) def->openapi)
	            != SN_OK)) {
		sn_log(SN_LOG_ERROR, "cannot add the routes; exiting", NULL);
		goto out_bus;
	}
	sn_loop_on_stop(svc.loop, on_stop, &svc);
	/* A minute after start, then hourly; never what keeps the loop up. */
	uv_timer_start(
	    &svc.purge_timer, on_purge_tick, 60 * 1000, 3600 * 1000);
	uv_unref((uv_handle_t *) &svc.purge_timer);
	char portbuf[8];
	snprintf(portbuf, sizeof(portbuf), "%u", sn_http_port(svc.http));
	sn_log(SN_LOG_INFO, "started", "http_port", portbuf, "schema", schema,
	    NULL);
	sn_loop_run(svc.loop);
	close_all(&svc);
	sn_loop_close(svc.loop);
	sn_metrics_free(svc.metrics);
	sn_auth_close(svc.auth);
	sn_seal_close(svc.seal);
	free(schema_default);
	/* Sockets close asynchronously in NNG: messages still queued to a
	 * subscriber are freed by its reaper. Wait for it, so that nothing
	 * is left behind (and LeakSanitizer has nothing to say). The TLS
	 * configurations keep our references (reachable, not leaked): with
	 * ours given up first, nng 1.5.2's reaper, releasing its own after
	 * the drain, locked a configuration already destroyed and panicked
	 * ("pthread_mutex_lock: Invalid argument", SIGABRT instead of
	 * status 0: tls.impostor in a sanitizer run, the main job's logs):
	 * one release more than it holds somewhere in its TLS transport. */
	nng_fini();
	watchdog_disarm(&svc.teardown);
	nng_abort_catch(false);
	sn_log(SN_LOG_INFO, "stopped", NULL);
	return 0;

out_bus:
	close_jobs(&svc);
	sn_bus_close(svc.bus);
out_http:
	sn_http_close(svc.http);
out_db:
	sn_db_close(svc.db);
	uv_close((uv_handle_t *) &svc.drain_timer, NULL);
	uv_close((uv_handle_t *) &svc.purge_timer, NULL);
out_loop:
	sn_loop_close(svc.loop);
out_metrics:
	sn_metrics_free(svc.metrics);
out:
	sn_auth_close(svc.auth);
	sn_seal_close(svc.seal);
	free(schema_default);
	return status;
}
