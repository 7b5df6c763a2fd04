/*
 * sn/service.h - the wiring every service binary shares.
 *
 * main.c of a service is a definition and one call:
 *
 *     static const char *const follows[] = { "intake", NULL };
 *     static const sn_service_def def = {
 *         .name = "approval", .publishes = true, .follows = follows,
 *         .setup = approval_setup,
 *     };
 *     int main(int argc, char **argv) { return sn_service_main(argc, argv,
 * &def); }
 *
 * sn_service_main reads the settings below, applies the migrations (the
 * bus's and the idempotency store's built-in ones, then the service's own
 * from SN_SCHEMA_DIR), seals what an older version left in clear
 * (def->seal_columns, sn/sealdb.h), opens the loop, the pool, the
 * metrics, the token check, the HTTP server with /healthz, /readyz and
 * /metrics, and the bus (publishing if def says so, following
 * def->follows), calls setup to
 * add routes and handlers, and runs until SIGTERM or SIGINT, purging the
 * stored Idempotency-Key answers older than SN_IDEMPOTENCY_DAYS
 * (sn_http_purge) a minute after start and then hourly. Then it
 * drains: the HTTP server stops listening (sn_http_quiesce: the
 * connections already in the listen backlog are taken and answered, new
 * ones are refused), /readyz answers 503, the bus stops applying and
 * flushes the outbox relay, requests and transactions in flight finish,
 * every HTTP connection has its answer and closes (or
 * SN_SHUTDOWN_GRACE_MS passes: those left are closed), and every handle
 * is closed; the exit status is 0 (the hard deadline, SN_SHUTDOWN_MS,
 * exits 0 too, with a log line).
 *
 * `<binary> --help` prints the settings it reads (the common ones below
 * and def->settings), one line each; `--version` prints the version
 * (`git describe` at build time, else the CMake project version);
 * `--routes` prints the route table (def->routes), "METHOD PATTERN" per
 * line, for the check against proto/openapi.yaml. All three exit 0 and
 * need no settings. The version is also in the first log line and in the
 * metric sn_build_info{service,version} 1. GET /openapi.yaml answers
 * def->openapi (the service's part of proto/openapi.yaml), public.
 *
 * `<binary> --probe` instead GETs http://SN_HTTP_ADDR:SN_HTTP_PORT/readyz
 * and exits 0 if it answered 200, 1 otherwise: the container health check
 * (slim images have no curl).
 *
 * Settings (environment; a bad or missing one exits 2 naming it):
 *   SN_DB_URL            libpq connection string (required)
 *   SN_DB_SCHEMA         schema of the service (default: its name, '-'→'_')
 *   SN_DB_POOL           connections at most, 1-64 (default 4)
 *   SN_HTTP_ADDR         address to bind (default 127.0.0.1)
 *   SN_HTTP_PORT         port, 0 picks one (required)
 *   SN_HTTP_MAX_BODY     largest request body in bytes (default 1048576)
 *   SN_IDEMPOTENCY_DAYS  days a stored idempotent answer is kept, 1-3650
 *                        (default 30); older ones are purged hourly
 *   SN_TOKEN_PUBLIC_KEY  PEM public key (P-256) verifying ES256 bearer
 *                        tokens (sn/auth.h; required when def->needs_auth);
 *                        a private key there is refused (exit 2)
 *   SN_TLS_CERT_FILE, SN_TLS_KEY_FILE, SN_TLS_CA_FILE  this service's
 *                        certificate and key and the CA its peers'
 *                        certificates must be of (sn/tls.h): every
 *                        tls+tcp:// NNG link is mutual TLS with them (a
 *                        follower dials publisher NAME and accepts only a
 *                        certificate naming NAME), and the HTTP API serves
 *                        HTTPS with the same certificate unless
 *                        SN_HTTP_TLS=off
 *   SN_HTTP_TLS          on (default when a certificate is set) or off
 *   SN_HTTP_CLIENT_CA_FILE  PEM CA of HTTPS client certificates
 *                        (sn/http.h, sn/tls.h): when set on an HTTPS
 *                        server, every handshake asks for a certificate
 *                        (optional) and SN_HTTP_CLIENT_CERT routes answer
 *                        only a client whose certificate verifies against
 *                        it (else 403 client_certificate_required); unset
 *                        or on plain HTTP, those routes refuse every
 *                        request (logged at start). Other routes do not
 *                        look at certificates.
 *   SN_SEAL_KEYS, SN_BLIND_KEY  the sealing keyring and the blind-index
 *                        key (sn/seal.h); required when def->needs_seal,
 *                        else optional; the sealer is sn_seal_default()
 *   SN_<NAME>_PUB_URL    where publisher NAME's PUB socket is (listened on
 *                        by NAME itself, dialled by its followers)
 *   SN_<NAME>_REPLAY_URL where publisher NAME answers replay requests
 *   SN_BUS_HEARTBEAT_MS  heartbeat period (default 1000)
 *   SN_BUS_RETENTION_DAYS outbox retention (default 30)
 *   SN_BUS_RELAY_BATCH   rows per relay pass (default 1000)
 *   SN_BUS_RELAY_POLL_MS relay poll for rows of other processes (default 50)
 *   SN_BUS_APPLY_BATCH   events per apply transaction (default 500)
 *   SN_BUS_QUEUE_MAX     events queued per followed stream (default 20000)
 *   SN_PARTITION         i/N: this instance's share of followed subjects
 *   SN_SCHEMA_DIR        folder of NNN_*.sql migrations (default: the
 *                        service's schema/ folder in the source tree)
 *   SN_DISTRICT_UTC_OFFSET_MIN the district's offset from UTC in
 *                        minutes, -720..840 (default 480); sn/clock.h
 *   SN_TEST_CLOCK, SN_CLOCK_OFFSET_S  tests only: shifts the clock
 *   SN_LOG_LEVEL         debug, info, warn or error (default info)
 *   SN_SHUTDOWN_GRACE_MS how long the drain waits for HTTP
 *                        connections (default 8000; below
 *                        SN_SHUTDOWN_MS, else 4/5 of it)
 *   SN_SHUTDOWN_MS       hard deadline for draining (default 10000)
 * NAME is the service's name upper-cased, '-' becoming '_'. Every
 * setting may instead be given as <SETTING>_FILE, naming a file that
 * holds it (secrets mounted as files); both set is an error.
 */
#ifndef SN_SERVICE_H
#define SN_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "sn/auth.h"
#include "sn/bus.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/http.h"
#include "sn/loop.h"
#include "sn/metrics.h"
#include "sn/sealdb.h"

typedef struct sn_service sn_service;

/* One setting a service reads, for --help. */
typedef struct sn_setting_doc {
	const char *name; /* "SN_CASE_DEADLINE_DAYS" */
	const char *doc;  /* one line: meaning, range, default */
} sn_setting_doc;

/* The version string built in (git describe, or the project version). */
extern const char sn_version[];

/* The service's part of proto/openapi.yaml, generated into every service
 * binary at build time (sn_openapi_embed in proto/CMakeLists.txt). */
extern const char sn_openapi_document[];

typedef struct sn_service_def {
	const char *name;           /* e.g. "intake"; also the publisher */
	bool        publishes;      /* has an outbox and a PUB socket */
	bool        needs_auth;     /* SN_TOKEN_PUBLIC_KEY required */
	bool        needs_seal;     /* SN_SEAL_KEYS, SN_BLIND_KEY required */
	const char *const *follows; /* publishers followed, NULL-ended */
	const char        *schema_dir; /* default for SN_SCHEMA_DIR */
	bool generic_plans; /* sn_db_config.generic_plans (sn/db.h) */
	bool apply_serial;  /* sn_bus_config.apply_serial (sn/bus.h) */
	/* Adds routes and handlers; runs once, before the loop. A failure
	 * stops the program with exit status 1. */
	sn_err (*setup)(sn_service *svc, void *arg);
	/* Optional: runs once at shutdown, before handles close. */
	void (*teardown)(sn_service *svc, void *arg);
	void *arg;
	/* The routes, added after setup succeeds, each with the arg set by
	 * sn_service_set_route_arg (default: arg above). */
	const sn_http_route_def *routes;
	size_t                   nroutes;
	/* The service's own settings for --help; NULL-name-ended or NULL. */
	const sn_setting_doc *settings;
	/* Optional: reads those settings (sn/config.h, exiting 2 on a bad
	 * one), once the options that need none (--help, --probe, --version,
	 * --routes) are past, before anything else starts. */
	void (*read_settings)(void);
	/* Served at GET /openapi.yaml; NULL: 404. */
	const char *openapi;
	/* Columns an older version wrote in clear, sealed after the
	 * migrations and before anything else starts (sn/sealdb.h); any
	 * makes SN_SEAL_KEYS and SN_BLIND_KEY required, as needs_seal. */
	const sn_sealdb_column *seal_columns;
	size_t                  nseal_columns;
	/* The same for values sealed inside JSON documents (jsonb). */
	const sn_sealdb_document *seal_documents;
	size_t                    nseal_documents;
} sn_service_def;

/* The arg the route table's handlers get; call from setup. */
void sn_service_set_route_arg(sn_service *svc, void *arg);

/* Runs the service; returns the process exit status. */
int sn_service_main(int argc, char **argv, const sn_service_def *def);

/* The service's parts, borrowed, valid from setup until teardown. */
sn_loop    *sn_service_loop(sn_service *svc);
sn_db      *sn_service_db(sn_service *svc);
sn_bus     *sn_service_bus(sn_service *svc);
sn_http    *sn_service_http(sn_service *svc);
sn_metrics *sn_service_metrics(sn_service *svc);
const char *sn_service_name(const sn_service *svc);

/*
 * Runs fn(arg) on the loop thread first_ms after this call and then every
 * period_ms, until the service closes its handles (after draining); the
 * service owns the timer. For periodic work: refreshing gauges, clocks,
 * scans. Call from setup. SN_ENOMEM or SN_EUV on failure.
 */
sn_err sn_service_every(sn_service *svc, uint64_t first_ms, uint64_t period_ms,
    void (*fn)(void *arg), void *arg);

/*
 * The NNG URLs of publisher name from SN_<NAME>_PUB_URL and
 * SN_<NAME>_REPLAY_URL; exits 2 if either is missing or malformed.
 */
void sn_service_bus_urls(
    const char *name, const char **pub_url, const char **replay_url);

#endif /* SN_SERVICE_H */
