/*
 * sn/http.h - the JSON-over-HTTP front of a service (design sections 3
 * and 5), libmicrohttpd driven from the process's libuv loop.
 *
 * Threads. libmicrohttpd runs without a thread of its own: its epoll
 * descriptor sits under a uv_poll, its timeouts on a uv_timer, and every
 * callback here (handlers, the ready callback, transaction callbacks)
 * runs on the loop thread. Every function here is for the loop thread
 * only.
 *
 * Requests. A route is a method and a path pattern whose segments are
 * literals or {name} ("/cases/{id}/steps"; a {name} matches one
 * non-empty segment). Before a handler runs, the module has already
 *   - answered 404 (no pattern matches the path) or 405 with an Allow
 *     header (a pattern matches, not for this method);
 *   - on authenticated routes, checked the bearer token (401
 *     "unauthorized" when missing or bad) and the role list (403
 *     "forbidden");
 *   - on SN_HTTP_CLIENT_CERT routes, checked the TLS client certificate
 *     (see "Client certificates" below; 403
 *     "client_certificate_required");
 *   - for a request with a body: at most max_body bytes (413
 *     "body_too_large", refused from Content-Length before any of it is
 *     read); unless the route is SN_HTTP_RAW_BODY, required Content-Type
 *     application/json (415 "unsupported_media_type") and one JSON
 *     object or array without duplicate keys or trailing data (400
 *     "invalid_json", naming the problem and where);
 *   - on SN_HTTP_IDEMPOTENT routes, required the Idempotency-Key header
 *     (a repeat is answered later, see below).
 * Error bodies are {"error": {"code", "message", "field"}} (section 5).
 *
 * Answering. The handler answers now or later, exactly once, with
 * sn_http_reply_json or sn_http_reply_error, or through sn_http_tx. A
 * request not answered before its handler returns is suspended and
 * resumed by the answer.
 *
 * Ownership of a request. The module owns every sn_http_req. The handler
 * borrows it from the moment it is called until it answers; the answer
 * gives it back, and the req must not be touched after. The req is freed
 * by whichever comes last of the answer and libmicrohttpd's end of the
 * connection's request, so a handler may always answer, even when the
 * client is gone or the server is closing: the answer is then discarded.
 * Path parameters, the method, the path, the body and the principal stay
 * readable until the answer; headers and query parameters only while the
 * connection lives (NULL once the server has closed): read them first.
 *
 * Idempotency (section 3). A route flagged SN_HTTP_IDEMPOTENT requires an
 * Idempotency-Key header of 1 to 128 printable ASCII characters (400
 * "idempotency_key_required" / "idempotency_key_invalid"). Keys are
 * scoped by principal (its user; "" on public routes) and stored in the
 * table http_idempotency of the service's own schema, created by the
 * migrations sn_http_migrations (pass them to sn_db_migrate). The handler
 * runs at once, repeat or not, and does its state change inside
 * sn_http_tx, whose first statement claims the key in the same
 * transaction (no transaction of its own, no round trip before it):
 *   - the key is free: the work runs, and sn_http_tx_reply stores its
 *     answer in the same transaction and sends it only once COMMIT has
 *     succeeded;
 *   - an answer is stored for the key (or a concurrent duplicate that
 *     committed first stored one): the claim finds it, the transaction
 *     rolls back without calling begin, and the key is looked up. For
 *     the same request (SHA-256 of method, path and body) the stored
 *     answer is replayed byte for byte, with the same status, plus the
 *     header "Idempotent-Replay: true"; for a different request, 422
 *     "idempotency_key_reused".
 * Any other answer is not stored: one sent with sn_http_reply_* or
 * sn_http_problem (validation, or a refusal after a read outside the
 * transaction), or by sn_http_tx_fail*, or the module's own 409/503
 * when the transaction fails. They changed nothing, and a corrected
 * retry with the same key goes through. But a handler may refuse a
 * repeat before its transaction (the state it changed is there): so an
 * unstored answer of a request whose transaction has not claimed the key
 * waits for the key to be looked up, and goes out only if nothing is
 * stored for it; else the stored answer is replayed (same request) or
 * 422 "idempotency_key_reused" sent instead (503 "unavailable" if the
 * look-up fails). A fresh key thus costs no look-up at all, and a
 * refusal one. Work a handler does before sn_http_tx runs again on a
 * repeat: it must change nothing (reads, checks, CPU). Rows are deleted
 * only by
 * sn_http_purge, by age (created_at); sn_service_main runs it hourly for
 * every service (SN_IDEMPOTENCY_DAYS, sn/service.h).
 *
 * Client certificates (issue 14: a bank's interface called by another
 * organisation's program, which carries no token). When the config
 * gives tls_client_ca_pem on an HTTPS server, every TLS handshake asks
 * the client for a certificate, without requiring one: routes of the
 * other access levels answer as before with or without one. A route
 * flagged SN_HTTP_CLIENT_CERT takes no bearer token (the principal is
 * NULL, as on a public route, and idempotency keys are scoped to "");
 * instead, where a token would be checked, the certificate the client
 * presented must verify against that CA (gnutls: the chain, its dates
 * and signatures, and the purpose TLS client when the certificate names
 * purposes; its names are not checked). No certificate, one that does
 * not verify, or a server without a client CA (plain HTTP, or no
 * tls_client_ca_pem: such a route is fail-closed, logged when it is
 * added) is answered 403 "client_certificate_required".
 *
 * Built-in public routes: GET /healthz (200 {"status":"ok"} while the loop
 * runs), GET /readyz (200 {"status":"ready"}, or 503 "not_ready" when the
 * ready callback says so or the server is closing), GET /metrics
 * (Prometheus text 0.0.4, when a registry is given).
 *
 * Request ids. Every request has one: the caller's X-Request-Id header
 * when it is 1 to 64 of A-Z a-z 0-9 . _ -, else a random UUID. It is
 * answered in the X-Request-Id header, logged in the access line and
 * carried by the audit record (sn_http_request_id).
 *
 * Per request, when it ends: the counter
 * sn_http_requests_total{route,method,status}, the histogram
 * sn_http_request_duration_seconds{route} and one access log line (method,
 * route pattern, status, ms; never the path's values nor the body). A
 * request without a matching route counts under route "unmatched"; one
 * that ended without an answer (client gone, server closed) has status
 * "0".
 */
#ifndef SN_HTTP_H
#define SN_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/auth.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/loop.h"
#include "sn/metrics.h"
#include "sn/problem.h"

typedef struct sn_http     sn_http;
typedef struct sn_http_req sn_http_req;

/*
 * The audit record of one state-changing request of a member of staff
 * (issue 12): a POST, PUT, PATCH or DELETE with a valid bearer token that
 * was answered with a status below 500, 401 excepted (no one to name) and
 * replayed Idempotency-Key answers excepted (the first was recorded).
 * Borrowed for the audit callback's call only.
 */
typedef struct sn_http_audit {
	const sn_principal *who;
	const char         *method;     /* "POST" */
	const char         *route;      /* the pattern: "/cases/{id}/decide" */
	const char         *subject;    /* see below; "" when none */
	const char         *request_id; /* see X-Request-Id below */
	const char         *idempotency_key; /* "" on routes without one */
	unsigned            status;
	const char         *code; /* a refusal's error code; "" on success */
} sn_http_audit;

/*
 * Queues the record on tx (the service's outbox, sn/service.h). A change
 * answered through sn_http_tx_reply is recorded inside its own
 * transaction, before COMMIT: the two commit together or not at all. Any
 * other answer (a refusal, a change made without sn_http_tx) is recorded
 * in a transaction of its own that commits before the answer is sent; if
 * that fails the answer goes out anyway, with an error log line and
 * sn_http_audit_lost_total counted. An error from the callback fails the
 * transaction it was given.
 *
 * The subject is the route's first path parameter, or else the answer's
 * top-level "id", "application_id", "case_id", "grant_id", "run_id" or
 * "household_id" (the first present as a string).
 */
typedef sn_err (*sn_http_audit_fn)(
    sn_tx *tx, const sn_http_audit *rec, void *arg);

typedef struct sn_http_config {
	/* Address to bind: an IPv4 or IPv6 literal; NULL is "127.0.0.1". */
	const char *addr;
	/* Port; 0 picks a free one (see sn_http_port). */
	uint16_t port;
	/* Largest request body in bytes; 0 is 1 MiB. */
	size_t max_body;
	/* Idle connection timeout in seconds; 0 is 30. */
	unsigned timeout_s;
	/* Borrowed, must outlive the server. NULL: every authenticated
	 * route answers 401. */
	sn_auth *auth;
	/* Borrowed, must outlive the server. NULL: no /metrics, nothing
	 * counted. */
	sn_metrics *metrics;
	/* Borrowed, must outlive the server; required by SN_HTTP_IDEMPOTENT
	 * routes and sn_http_tx. */
	sn_db *db;
	/* HTTPS: the server's certificate (chain) and private key, PEM
	 * text, copied; both NULL serve plain HTTP (sn_tls_http_pems). */
	const char *tls_cert_pem;
	const char *tls_key_pem;
	/* HTTPS only: the CA (PEM text, copied) a client certificate must
	 * verify against on SN_HTTP_CLIENT_CERT routes; when given, every
	 * handshake asks for one (optional). NULL: none asked for, and
	 * SN_HTTP_CLIENT_CERT routes refuse every request
	 * (sn_tls_http_client_ca). Ignored on plain HTTP. */
	const char *tls_client_ca_pem;
	/* Audit of staff actions (see sn_http_audit_fn); NULL: none. Needs
	 * db. */
	sn_http_audit_fn audit;
	void            *audit_arg;
} sn_http_config;

/* Route flags. */
#define SN_HTTP_PUBLIC 0x1u     /* no token needed; the principal is NULL */
#define SN_HTTP_IDEMPOTENT 0x2u /* mutating: Idempotency-Key required */
/* No token: a TLS client certificate of the config's client CA instead
 * (see "Client certificates" above); not with SN_HTTP_PUBLIC. */
#define SN_HTTP_CLIENT_CERT 0x4u
/* The body is bytes of any Content-Type (an ISO 20022 XML document), not
 * parsed: the handler reads it with sn_http_body and judges it;
 * sn_http_json is NULL. max_body still applies. */
#define SN_HTTP_RAW_BODY 0x8u

/* The pattern's last segment, a {name}, takes the rest of the path: one
 * or more segments with their slashes, as received ("/api/{service}/
 * {path}" matches /api/intake/applications/7, path being
 * "applications/7"). A literal route of as many literal segments wins
 * over it. For a gateway's forwarding and a folder of files. */
#define SN_HTTP_REST 0x10u

/* Runs on the loop thread with a request the handler now borrows. */
typedef void (*sn_http_handler)(sn_http_req *req, void *arg);

/* Answers /readyz: true for ready. When not, it may say why in why (cap
 * bytes, NUL-terminated; left empty, the answer says only "the service
 * is not ready"): the 503's error.message, so that an operator reading
 * the probe sees a halted stream's reason. Loop thread; must not block. */
typedef bool (*sn_http_ready_fn)(void *arg, char *why, size_t cap);

/*
 * Binds the address and starts serving (requests are read as the loop
 * runs). Copies what it needs from cfg. SN_EINVAL for a bad address,
 * SN_EIO when libmicrohttpd cannot start (port taken, ...), logged.
 */
sn_err sn_http_open(sn_http **out, sn_loop *loop, const sn_http_config *cfg);

/*
 * Stops listening and ends every connection now (suspended requests
 * included: their handlers may still answer, and the answer is
 * discarded); frees the server once its handles are closed and every
 * such request has been answered. May be called from a handler: the
 * stop then happens as soon as libmicrohttpd returns. NULL is a no-op.
 */
void sn_http_close(sn_http *h);

/*
 * The start of a drain (SIGTERM: sn/service.h): stops listening after
 * taking every connection still waiting in the listen backlog, so that a
 * client is either answered or refused (never reset): new SYNs are
 * dropped at once, and the socket closes a tenth of a second later, once
 * the handshakes under way have completed and been taken (counted by
 * sn_http_conns until then); every answer from
 * now on closes its connection, and connections with no request in
 * progress close after a second of silence. Requests already received
 * are answered as usual. Once. NULL is a no-op.
 */
void sn_http_quiesce(sn_http *h);

/* Connections still open (for draining: 0 once every one accepted has
 * had its answer and closed). */
size_t sn_http_conns(const sn_http *h);

/* The bound port (the one picked when the config said 0). */
uint16_t sn_http_port(const sn_http *h);

/* Requests whose handler has not answered yet (for draining). */
size_t sn_http_busy(const sn_http *h);

/*
 * Adds a route. method is upper-case ("GET", "POST", ...); pattern starts
 * with '/' and holds literals of A-Z a-z 0-9 - . _ ~ and {name} segments;
 * roles is a comma-separated list (sn_auth_has_role) or NULL for any
 * valid token, ignored on public and client-certificate routes. pattern
 * and roles are copied. SN_EINVAL for a bad pattern, a duplicate route,
 * SN_HTTP_IDEMPOTENT without a db, or SN_HTTP_PUBLIC with
 * SN_HTTP_CLIENT_CERT; SN_ENOMEM. An SN_HTTP_CLIENT_CERT route on a
 * server without a client CA is added, logged as refusing every
 * request.
 */
sn_err sn_http_route(sn_http *h, const char *method, const char *pattern,
    unsigned flags, const char *roles, sn_http_handler fn, void *arg);

/*
 * A service's routes as one table (method, pattern, flags, roles,
 * handler): the only way services add routes, so that the same table
 * drives the router and the check against proto/openapi.yaml
 * (sn_service_def.routes, `<binary> --routes`).
 */
typedef struct sn_http_route_def {
	const char *method;    /* "GET", "POST", ... */
	const char *pattern;   /* "/cases/{id}/steps" */
	unsigned    flags;     /* SN_HTTP_PUBLIC, SN_HTTP_CLIENT_CERT,
	                          SN_HTTP_IDEMPOTENT */
	const char     *roles; /* comma-separated; NULL: any valid token */
	sn_http_handler fn;
} sn_http_route_def;

/* Adds every route of the table (n entries), each with arg. Stops at the
 * first failure and returns it (logged, naming the route). */
sn_err sn_http_routes(
    sn_http *h, const sn_http_route_def *table, size_t n, void *arg);

/*
 * Sets the /readyz callback. NULL (the default) means ready while the
 * config's db has a connection (sn_db_ready), or always without a db.
 */
void sn_http_set_ready(sn_http *h, sn_http_ready_fn fn, void *arg);

/* Accessors. Strings are borrowed from the req; see the ownership above. */
const char *sn_http_method(const sn_http_req *req);
const char *sn_http_path(const sn_http_req *req);
/* The route's pattern, e.g. "/cases/{id}/steps". */
const char *sn_http_route_pattern(const sn_http_req *req);
/* The path segment matched by {name}; NULL if the pattern has none. */
const char *sn_http_param(const sn_http_req *req, const char *name);
/* A query parameter, URL-decoded; NULL if absent or the client is gone. */
const char *sn_http_query(const sn_http_req *req, const char *name);
/* A request header (case-insensitive name); NULL if absent or gone. */
const char *sn_http_header(const sn_http_req *req, const char *name);
/* The parsed body, borrowed; NULL when the request had no body. */
json_t *sn_http_json(const sn_http_req *req);

/* The body's bytes as they were received (*len of them), borrowed like
 * the parsed body; NULL with *len 0 when the request had none. For a
 * signature over the exact bytes (a partner's signed requests). */
const char *sn_http_body(const sn_http_req *req, size_t *len);

/* A request body read as the server reads one before a handler sees it
 * (duplicate members refused); NULL with err filled when it is not JSON.
 * The fuzz harnesses read bodies with it too. */
json_t *sn_http_body_json(const char *body, size_t len, json_error_t *err);
/* The caller; NULL on public and client-certificate routes. */
const sn_principal *sn_http_principal(const sn_http_req *req);
/* The request id (see "Request ids" above); never NULL. */
const char *sn_http_request_id(const sn_http_req *req);

/* The Idempotency-Key; NULL on routes without SN_HTTP_IDEMPOTENT. */
const char *sn_http_idempotency_key(const sn_http_req *req);

/*
 * Answers with status and body (stolen; NULL sends no body) as
 * application/json. Gives the req back: do not touch it after. On an
 * SN_HTTP_IDEMPOTENT route, this and every other unstored answer first
 * waits for the key's look-up (see "Idempotency" above).
 */
void sn_http_reply_json(sn_http_req *req, unsigned status, json_t *body);

/*
 * Answers with status and len bytes of body (copied) under the Content-Type
 * ctype (a static string, e.g. "application/yaml"). Gives the req back.
 */
void sn_http_reply_text(sn_http_req *req, unsigned status, const char *ctype,
    const char *body, size_t len);

/*
 * Answers with status, len bytes of body (copied; NULL sends none) under
 * ctype (a static string, or NULL to give Content-Type among the
 * headers), and n header lines "Name: value" (copied; no CR or LF). A
 * Cache-Control among them replaces the default "no-store". Gives the
 * req back.
 */
void sn_http_reply_with(sn_http_req *req, unsigned status, const char *ctype,
    const char *body, size_t len, const char *const *headers, size_t n);

/*
 * Header lines "Name: value" (copied) added to every answer of the server
 * from now on, the module's own (404, 405, 401, /healthz) included: a
 * gateway's security headers. Replaces an earlier set. SN_EINVAL for a
 * line without a colon or with CR or LF, SN_ENOMEM.
 */
sn_err sn_http_set_headers(sn_http *h, const char *const *lines, size_t n);

/*
 * The request's query string rebuilt from its parameters ("a=1&b=x%20y",
 * percent-encoded, no '?'), NUL-terminated into buf when it fits; returns
 * its length (>= cap: it did not fit, and buf holds ""). 0 when the
 * client is gone.
 */
size_t sn_http_query_string(const sn_http_req *req, char *buf, size_t cap);

/*
 * Answers {"error": {"code": code, "message": message, "field": field}};
 * message and field may be NULL (written as null). Gives the req back.
 */
void sn_http_reply_error(sn_http_req *req, unsigned status, const char *code,
    const char *message, const char *field);

/* Answers the problem (sn/problem.h) with its status. Gives the req back. */
void sn_http_problem(sn_http_req *req, const sn_problem *p);

/*
 * A transaction that ends in the answer. Runs begin(req, tx, arg) on a
 * pooled connection, after claiming the Idempotency-Key inside the same
 * transaction on SN_HTTP_IDEMPOTENT routes (if an answer is stored for
 * the key, a repeat's or a concurrent duplicate's that committed first,
 * begin is never called and the stored answer is replayed, or 422
 * "idempotency_key_reused" sent). begin and the query callbacks it
 * queues must end the
 * transaction with exactly one of sn_http_tx_reply or sn_http_tx_fail,
 * and must not call sn_tx_commit or sn_tx_rollback themselves.
 *
 * If the transaction fails on its own (a statement fails, the connection
 * is lost, the pool closes), the module answers: 409 "conflict" for a
 * unique violation, 503 "unavailable" otherwise, and nothing is stored.
 * The handler must not answer the req in any other way once it has
 * called this.
 */
typedef void (*sn_http_tx_fn)(sn_http_req *req, sn_tx *tx, void *arg);
void sn_http_tx(sn_http_req *req, sn_http_tx_fn begin, void *arg);

/*
 * sn_http_tx with end(arg), which runs exactly once when the transaction
 * is over, however it ended (committed, failed, lost the key to a
 * duplicate so that begin never ran, or the pool closed), before the
 * answer goes out: where the caller frees the context it gave begin.
 */
void sn_http_tx_with_end(
    sn_http_req *req, sn_http_tx_fn begin, void (*end)(void *arg), void *arg);

/*
 * Stores the answer with the key (idempotent routes), commits, and sends
 * it once COMMIT succeeded; if the commit fails, answers 503
 * "unavailable" instead and stores nothing. body is stolen.
 */
void sn_http_tx_reply(
    sn_http_req *req, sn_tx *tx, unsigned status, json_t *body);

/*
 * Rolls the transaction back and answers with the error, unstored (the
 * key stays unused).
 */
void sn_http_tx_fail(sn_http_req *req, sn_tx *tx, unsigned status,
    const char *code, const char *message, const char *field);

/* sn_http_tx_fail with a problem (sn/problem.h). */
void sn_http_tx_problem(sn_http_req *req, sn_tx *tx, const sn_problem *p);

/*
 * The same with a whole body of the caller's (stolen), for an error that
 * carries more than code, message and field (a 409 naming the
 * conflicting record, say). Unstored, like sn_http_tx_fail.
 */
void sn_http_tx_fail_json(
    sn_http_req *req, sn_tx *tx, unsigned status, json_t *body);

/*
 * Group commit: the transactions of several requests as one, each in a
 * savepoint of its own, so that one COMMIT (one fsync) carries them all.
 *
 * Requests are grouped by a key (the caller's: a fund, an account): per
 * key at most one transaction is open at a time, and the requests that
 * arrive while it is open or committing wait and become the next one,
 * at most max of them (never waiting to fill it: a group is whatever
 * queued meanwhile). Requests of different keys run in parallel.
 *
 * The transaction: prelude(tx, args, n, prelude_arg) first (the members'
 * begin arguments, in order; it may queue statements that hold for the
 * whole group, such as locks taken in one order for all of them, and
 * returns SN_OK or an error that fails the group), then each member in
 * turn: a savepoint (sn_tx_savepoint), the Idempotency-Key's claim as in
 * sn_http_tx and begin at once behind it, without waiting for the claim's
 * answer; sn_http_tx_reply releases the savepoint (the answers of the
 * members kept are stored together before the COMMIT); sn_http_tx_fail*
 * undoes it, so that nothing of a refused member stays (its key is free
 * again, its events are not appended). A key claimed already (a
 * concurrent duplicate, or an earlier member of the same group) undoes
 * the member once it ends, whatever begin did (begin must do nothing
 * outside the transaction that a duplicate must not), and the stored
 * answer is replayed after the COMMIT. The next
 * member starts once the one before has ended, so a member sees what the
 * ones before it kept. Every answer goes out only after the COMMIT: if
 * the COMMIT fails, every member gets 503 "unavailable" and nothing is
 * stored. If the transaction fails before its COMMIT (a statement fails:
 * a unique violation, a deadlock; the connection is lost), nothing of it
 * was kept and each member is run again in a transaction of its own, as
 * sn_http_tx_with_end would (its begin is called again: it must start
 * from scratch), with the prelude's statements not run: begin must then
 * do what the prelude did for it.
 *
 * Members' on-commit work goes through sn_http_tx_on_commit. The end
 * callback runs as in sn_http_tx_with_end, once, when the member's
 * transaction (the group's, or its own) is over.
 */
typedef struct sn_http_groups sn_http_groups;
typedef sn_err (*sn_http_group_fn)(
    sn_tx *tx, void *const *args, size_t n, void *arg);

/* The most members of one group. */
#define SN_HTTP_GROUP_MAX 64

/* New groups on db (borrowed; it must outlive them) of at most max
 * members (1..SN_HTTP_GROUP_MAX); prelude may be NULL. SN_EINVAL,
 * SN_ENOMEM. */
sn_err sn_http_groups_new(sn_http_groups **out, sn_db *db, size_t max,
    sn_http_group_fn prelude, void *prelude_arg);

/* Frees gs now when no group is open, else once the last one ends. NULL
 * is a no-op. */
void sn_http_groups_free(sn_http_groups *gs);

/* sn_http_tx_with_end, in the group of key (copied). */
void sn_http_group_tx(sn_http_groups *gs, const char *key, sn_http_req *req,
    sn_http_tx_fn begin, void (*end)(void *arg), void *arg);

/* True while req runs inside a group's transaction (its begin is called
 * with the group's tx), false when alone (sn_http_tx, or run again). */
bool sn_http_tx_grouped(const sn_http_req *req);

/*
 * Runs fn(arg) once the change req made in tx is committed: in a group,
 * after the COMMIT and only if req's savepoint was kept (one per
 * request); alone, sn_tx_on_commit. SN_ERANGE when full.
 */
sn_err sn_http_tx_on_commit(
    sn_http_req *req, sn_tx *tx, void (*fn)(void *arg), void *arg);

/*
 * A batch: the members of a group taken at once, in statements of the
 * caller's that do for all of them what each member's begin would do one
 * by one (one statement of a set instead of one each: issue 15).
 *
 * After the prelude, take(args, n, taken, arg) marks in taken (all false
 * on entry) the members the batch takes, without touching the
 * transaction, and returns how many (0: none, every member goes one by
 * one as above). For the taken ones, a savepoint and batch(tx, args,
 * taken, n, arg), which queues its statements (SN_OK, or an error that
 * fails the group). From those statements' callbacks, before they
 * return, it answers each member it took with sn_http_tx_reply
 * (sn_http_tx_on_commit as usual), or with sn_http_tx_fail*, or not at
 * all. Once all answered with sn_http_tx_reply, their Idempotency-Keys
 * are claimed with their answers, in one statement: a key's claim comes
 * after the work it guards, and a concurrent duplicate is caught by the
 * key's unique index (waiting for the other's COMMIT) instead of before.
 *
 * The batch is kept, and its members answered as if each had run alone,
 * only if every member taken was answered with sn_http_tx_reply and every
 * key was free. Otherwise (a member refused or left unanswered, a key
 * claimed already) the savepoint is undone, so that nothing of the batch
 * stays (its rows, claims and events), and every member taken goes one by
 * one after all, begin and all: a batch is a guess that everyone goes
 * through, and its statements had best write nothing unless all of them
 * do. Members not taken go one by one after the batch, seeing what it
 * kept.
 */
typedef size_t (*sn_http_group_take_fn)(
    void *const *args, size_t n, bool *taken, void *arg);
typedef sn_err (*sn_http_group_batch_fn)(
    sn_tx *tx, void *const *args, const bool *taken, size_t n, void *arg);

/* Gives gs a batch (take and batch both, or both NULL for none). */
void sn_http_groups_batch(sn_http_groups *gs, sn_http_group_take_fn take,
    sn_http_group_batch_fn batch, void *arg);

/* Transactions the groups have committed, the members they carried (of
 * them, batched: those their batch kept), and the requests waiting now
 * for their group's next transaction (for measuring how well grouping
 * works). */
void sn_http_groups_counts(const sn_http_groups *gs, uint64_t *commits,
    uint64_t *members, uint64_t *batched, size_t *waiting);

/*
 * Deletes the rows of http_idempotency (in db's schema) created more than
 * days days ago, answered or not, in one transaction on a pooled
 * connection. A key purged is free again: a repeat of its request after
 * that runs the handler anew, so days must exceed the time clients keep
 * retrying. days >= 1; db is borrowed and must stay open until done has
 * run (sn_db_close runs it).
 *
 * done runs exactly once, on the loop thread, never from inside this
 * call, and only when the outcome is known: SN_OK once COMMIT has
 * succeeded, with a result of one row and one column, the number of rows
 * deleted (its column "count"; read it with sn_rows), borrowed during done
 * only; or an error with a NULL result: SN_ECLOSED if the pool closed first,
 * SN_ENOMEM, or SN_EDB (logged by sn/db.h; rolled back, or of unknown outcome
 * if the connection was lost during COMMIT).
 */
void sn_http_purge(sn_db *db, uint32_t days, sn_db_query_fn done, void *arg);

/* The migrations creating http_idempotency, for sn_db_migrate. */
extern const sn_migration sn_http_migrations[];
extern const size_t       sn_http_nmigrations;

#endif /* SN_HTTP_H */
