/*
 * console.h - the staff console's front (issue 17): one origin for the
 * browser. It serves the web application's files from a folder and
 * forwards /api/<service>/<path> to that service's HTTP API, passing the
 * method, the path, the query, the body and the Authorization header
 * through unchanged. It decides nothing: every service checks its own
 * tokens. What it adds: security headers on every answer (set on the
 * server, sn_http_set_headers), ETag and Cache-Control on files, and gzip
 * (a file's precompressed NAME.gz when there is one, else zlib on the
 * fly) for clients that accept it.
 *
 * Files: GET / is index.html; GET /<path> is <root>/<path> when every
 * segment is a plain name (no "", ".", "..", no leading dot, no
 * backslash) and the file, symbolic links resolved, is a regular file
 * inside the root; anything else is 404 not_found. Read from disk at
 * each request (the files are few and small; the page cache keeps them).
 *
 * Threads: the loop thread only.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"
#include "sn/http.h"
#include "sn/service.h"

#define CONSOLE_MAX_PEERS 32

typedef struct console_peer {
	char name[32]; /* "intake" */
	char url[256]; /* "https://127.0.0.1:18081", no trailing slash */
} console_peer;

typedef struct console_config {
	const char  *root; /* the web application's folder */
	console_peer peers[CONSOLE_MAX_PEERS];
	size_t       npeers;
	uint32_t     timeout_ms; /* one forwarded request's limit */
} console_config;

typedef struct console console;

/* Opens the console on svc (its HTTP client, the security headers); cfg
 * is copied. SN_EINVAL when the root is not a folder. */
sn_err console_open(console **out, sn_service *svc, const console_config *cfg);
void   console_close(console *c);

/* The Content-Type of a file name by its extension; a static string. */
const char *console_content_type(const char *name);

/* Whether a path relative to the root ("js/app.mjs") may be served: every
 * segment a plain name. */
bool console_path_ok(const char *path);

/* Handlers (arg: the console). */
void console_file(sn_http_req *req, void *arg);
void console_forward(sn_http_req *req, void *arg);

#endif /* CONSOLE_H */
