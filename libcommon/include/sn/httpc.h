/*
 * sn/httpc.h - an asynchronous HTTP(S) client on the process's loop
 * (libcurl): outbound calls to partners' platforms (12388) and webhooks.
 *
 * Design. The curl multi interface driven by the loop: every socket curl
 * wants watched is a uv_poll, curl's timeout one uv_timer, and every
 * callback runs on the loop thread. Chosen over curl_easy_perform on
 * libuv's thread pool (uv_queue_work) because
 *   - a request in flight holds no thread: the pool has 4 threads by
 *     default and also serves file system calls, DNS and identity's
 *     password hashing, and a partner that accepts connections but
 *     never answers would hold one thread per request until its timeout;
 *   - closing is immediate: a request in the pool cannot be stopped once
 *     it runs, so a shutdown would wait out its timeout, while a multi
 *     handle is removed at once (sn/loop.h's drain deadline);
 *   - connections are kept and reused across requests (one multi
 *     handle, one connection cache), which matters for TLS.
 *
 * TLS. An https:// URL is checked against a CA and the server's name is
 * verified (CURLOPT_SSL_VERIFYPEER and VERIFYHOST always on): the name is
 * the URL's host, or the request's peer_name when given (the connection
 * still goes to the URL's host and port; the certificate must name
 * peer_name, as sn_nng_dial's peer_name does on the bus). The CA is the
 * config's ca_file, else SN_TLS_CA_FILE (sn/tls.h), else the system's
 * store. A client certificate (mutual TLS) is presented when the config
 * or SN_TLS_CERT_FILE and SN_TLS_KEY_FILE name one. The files are read
 * by curl at each new connection; their paths are read from the
 * environment once, in sn_httpc_open (start-up, sn/config.h).
 *
 * Ownership. The client copies everything of a request it needs (URL,
 * headers, body) in sn_httpc_send; the caller keeps its own. The answer
 * given to the callback is borrowed for the call only. The caller owns
 * the client and closes it with sn_httpc_close.
 *
 * Threads. Every function here is for the loop thread only, and every
 * callback runs on it.
 */
#ifndef SN_HTTPC_H
#define SN_HTTPC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"
#include "sn/loop.h"

typedef struct sn_httpc sn_httpc;

typedef struct sn_httpc_config {
	/* PEM files; NULL takes SN_TLS_CA_FILE, SN_TLS_CERT_FILE and
	 * SN_TLS_KEY_FILE (unset: the system's CA store, no client
	 * certificate). "" forces none. Copied. */
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	/* Largest answer body kept, in bytes; 0 is 8 MiB. A larger answer
	 * ends the request with SN_EPROTO. */
	size_t max_answer;
} sn_httpc_config;

typedef struct sn_httpc_request {
	const char *method; /* "GET", "POST", "PUT", ...; NULL is "GET" */
	const char *url;    /* http:// or https://, required */
	/* Extra header lines "Name: value", n_headers of them (may be
	 * NULL when 0). */
	const char *const *headers;
	size_t             n_headers;
	/* The body, body_len bytes, sent as it is; NULL sends none. Its
	 * Content-Type is content_type, NULL being "application/json". */
	const char *body;
	size_t      body_len;
	const char *content_type;
	/* The whole request, connecting included; 0 is 10000 ms. */
	uint32_t timeout_ms;
	/* The name the server's certificate must carry; NULL: the URL's
	 * host. */
	const char *peer_name;
} sn_httpc_request;

/* The end of one request, borrowed for the callback only. */
typedef struct sn_httpc_answer {
	/*
	 * SN_OK        an HTTP answer came (any status: the caller judges);
	 * SN_ETIMEDOUT no whole answer within timeout_ms;
	 * SN_EAUTH     TLS failed: the server's certificate is not of the
	 *              CA or does not carry the name, or ours was refused;
	 * SN_EPROTO    the answer was malformed or larger than max_answer;
	 * SN_EIO       could not resolve or connect, or the connection
	 *              broke;
	 * SN_ECLOSED   the client is closing (from inside sn_httpc_close).
	 */
	sn_err      err;
	long        status; /* the HTTP status; 0 unless SN_OK */
	const char *body;   /* NUL-terminated; "" when none */
	size_t      len;
	const char *error;        /* curl's reason when err is not SN_OK */
	const char *content_type; /* the answer's Content-Type; NULL: none */
	void       *handle;       /* internal (sn_httpc_answer_header) */
	uint64_t    latency_us;   /* from sending to the end */
} sn_httpc_answer;

/* Runs once per request on the loop thread. It may send more requests
 * and may close the client. arg is the caller's, borrowed. */
typedef void (*sn_httpc_fn)(const sn_httpc_answer *a, void *arg);

/*
 * Opens a client on loop. cfg may be NULL (all defaults). Reads the TLS
 * settings named above: call it at start-up. SN_EUV, SN_ENOMEM, SN_EIO
 * when libcurl cannot start (logged).
 */
sn_err sn_httpc_open(
    sn_httpc **out, sn_loop *loop, const sn_httpc_config *cfg);

/*
 * Starts the request (copied) and calls fn with its end. SN_EINVAL when
 * fn or url is NULL or a header line holds CR or LF, SN_ECLOSED once
 * closing, SN_ENOMEM, SN_EIO (curl refused the options, logged): then fn
 * never runs and arg is still the caller's.
 */
sn_err sn_httpc_send(
    sn_httpc *c, const sn_httpc_request *req, sn_httpc_fn fn, void *arg);

/* Requests whose callback has not run yet. */
size_t sn_httpc_inflight(const sn_httpc *c);

/*
 * The value of the answer's header name (case-insensitive; the last of
 * several), borrowed for the callback only; NULL when absent or when the
 * request did not end with SN_OK.
 */
const char *sn_httpc_answer_header(const sn_httpc_answer *a, const char *name);

/*
 * The answer's body parsed as one JSON value (jansson, duplicate keys
 * refused); a new reference for the caller, NULL when the body is not
 * JSON.
 */
json_t *sn_httpc_answer_json(const sn_httpc_answer *a);

/*
 * Stops every request, runs each pending callback now, once, with
 * SN_ECLOSED, and frees the client once its handles are closed: the loop
 * must run after this. May be called from a callback; calling it again
 * is a no-op, as is NULL.
 */
void sn_httpc_close(sn_httpc *c);

#endif /* SN_HTTPC_H */
