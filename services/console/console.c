/*
 * console.c - the console's files and forwarding (console.h).
 */
#define _DEFAULT_SOURCE /* realpath */

#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "sn/hash.h"
#include "sn/httpc.h"
#include "sn/log.h"

/* The largest file served. */
#define FILE_MAX (16u << 20)
/* Below this many bytes an answer is sent as it is. */
#define GZIP_MIN 512

struct console {
	console_config cfg;
	char           root[PATH_MAX]; /* realpath of cfg.root */
	size_t         rootlen;
	sn_httpc      *httpc;
};

/* Every answer, the server's own included (design: no inline script,
 * no framing, no sniffing, no referrer). */
static const char *const security_headers[] = {
	"Content-Security-Policy: default-src 'self'; script-src 'self'; "
	"style-src 'self'; img-src 'self' data:; connect-src 'self'; "
	"font-src 'self'; object-src 'none'; base-uri 'none'; "
	"form-action 'self'; frame-ancestors 'none'",
	"X-Content-Type-Options: nosniff",
	"X-Frame-Options: DENY",
	"Referrer-Policy: no-referrer",
	"Cross-Origin-Opener-Policy: same-origin",
	"Cross-Origin-Resource-Policy: same-origin",
};

static const struct {
	const char *ext;
	const char *type;
	bool        text; /* worth compressing */
} types[] = {
	{ ".html", "text/html; charset=utf-8", true },
	{ ".js", "text/javascript; charset=utf-8", true },
	{ ".mjs", "text/javascript; charset=utf-8", true },
	{ ".css", "text/css; charset=utf-8", true },
	{ ".json", "application/json", true },
	{ ".map", "application/json", true },
	{ ".svg", "image/svg+xml", true },
	{ ".txt", "text/plain; charset=utf-8", true },
	{ ".webmanifest", "application/manifest+json", true },
	{ ".png", "image/png", false },
	{ ".ico", "image/x-icon", false },
	{ ".woff2", "font/woff2", false },
};

static int
type_index(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return (int) i;
	}
	return -1;
}

const char *
console_content_type(const char *name)
{
	int i = type_index(name);

	return i < 0 ? "application/octet-stream" : types[i].type;
}

bool
console_path_ok(const char *path)
{
	const char *p = path;

	if (p == NULL || *p == '\0')
		return false;
	for (;;) {
		const char *s = p;

		while (*p != '\0' && *p != '/')
			p++;
		if (p == s || *s == '.')
			return false; /* "", ".", "..", hidden files */
		for (const char *c = s; c < p; c++)
			if (*c == '\\' || (unsigned char) *c < 0x20
			    || *c == 0x7f)
				return false;
		if (*p == '\0')
			return true;
		p++;
	}
}

sn_err
console_open(console **out, sn_service *svc, const console_config *cfg)
{
	console    *c = calloc(1, sizeof(*c));
	struct stat st;
	sn_err      err;

	if (c == NULL)
		return SN_ENOMEM;
	c->cfg = *cfg;
	if (realpath(cfg->root, c->root) == NULL || stat(c->root, &st) != 0
	    || !S_ISDIR(st.st_mode)) {
		sn_log(SN_LOG_ERROR, "console: the root is not a folder",
		    "root", cfg->root, NULL);
		free(c);
		return SN_EINVAL;
	}
	c->rootlen = strlen(c->root);
	{
		char idx[PATH_MAX + 16], lib[PATH_MAX + 32];

		snprintf(idx, sizeof(idx), "%s/index.html", c->root);
		snprintf(lib, sizeof(lib), "%s/vendor/preact.mjs", c->root);
		if (access(idx, R_OK) != 0 || access(lib, R_OK) != 0)
			sn_log(SN_LOG_WARN,
			    "console: the root has no index.html or no "
			    "vendor/preact.mjs (run console/vendor.sh): "
			    "the pages will not load",
			    "root", c->root, NULL);
	}
	if ((err = sn_httpc_open(&c->httpc, sn_service_loop(svc), NULL))
	    != SN_OK) {
		free(c);
		return err;
	}
	err = sn_http_set_headers(sn_service_http(svc), security_headers,
	    sizeof(security_headers) / sizeof(security_headers[0]));
	if (err != SN_OK) {
		sn_httpc_close(c->httpc);
		free(c);
		return err;
	}
	for (size_t i = 0; i < c->cfg.npeers; i++)
		sn_log(SN_LOG_INFO, "console: forwarding", "service",
		    c->cfg.peers[i].name, "url", c->cfg.peers[i].url, NULL);
	*out = c;
	return SN_OK;
}

void
console_close(console *c)
{
	if (c == NULL)
		return;
	sn_httpc_close(c->httpc);
	free(c);
}

/* ---- gzip ------------------------------------------------------------ */

/* Whether the client takes gzip (Accept-Encoding names it, not with
 * q=0). */
static bool
accepts_gzip(sn_http_req *req)
{
	const char *ae = sn_http_header(req, "Accept-Encoding");
	const char *g;

	if (ae == NULL || (g = strstr(ae, "gzip")) == NULL)
		return false;
	g += 4;
	while (*g == ' ')
		g++;
	return !(strncmp(g, ";q=0", 4) == 0
	    && (g[4] == '\0' || g[4] == ',' || strncmp(g + 4, ".0", 2) == 0));
}

/* body gzip-compressed into *out (malloc'd, *outlen bytes); false
 * without memory or on a zlib error. */
static bool
gzip(const char *body, size_t len, char **out, size_t *outlen)
{
	z_stream z = { 0 };
	uLong    cap;
	char    *buf;
	int      rc;

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
	    != Z_OK)
		return false;
	cap = deflateBound(&z, (uLong) len) + 32;
	if ((buf = malloc(cap)) == NULL) {
		deflateEnd(&z);
		return false;
	}
	z.next_in   = (Bytef *) (uintptr_t) body;
	z.avail_in  = (uInt) len;
	z.next_out  = (Bytef *) buf;
	z.avail_out = (uInt) cap;
	rc          = deflate(&z, Z_FINISH);
	*outlen     = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return false;
	}
	*out = buf;
	return true;
}

/* ---- files ----------------------------------------------------------- */

/* The file at rel under the root, read whole into *out (malloc'd):
 * 1 read, 0 not there (or not a regular file inside the root), -1 an
 * error (logged). */
static int
read_file(const console *c, const char *rel, char **out, size_t *len)
{
	char        path[PATH_MAX], real[PATH_MAX];
	struct stat st;
	char       *buf;
	int         fd;
	size_t      got = 0;

	if ((size_t) snprintf(path, sizeof(path), "%s/%s", c->root, rel)
	    >= sizeof(path))
		return 0;
	if (realpath(path, real) == NULL)
		return 0;
	if (strncmp(real, c->root, c->rootlen) != 0 || real[c->rootlen] != '/')
		return 0; /* a link out of the root */
	if ((fd = open(real, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)
	    || (uint64_t) st.st_size > FILE_MAX) {
		close(fd);
		return 0;
	}
	if ((buf = malloc((size_t) st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (got < (size_t) st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t) st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t) n;
	}
	close(fd);
	if (got != (size_t) st.st_size) {
		free(buf);
		sn_log(SN_LOG_ERROR, "console: a file could not be read",
		    "path", rel, NULL);
		return -1;
	}
	*out = buf;
	*len = got;
	return 1;
}

/* A strong validator of the bytes sent: FNV-1a 64 and the length. */
static void
etag_of(const char *body, size_t len, bool gz, char *out, size_t cap)
{
	uint64_t h = sn_fnv1a64(body, len);

	snprintf(out, cap, "\"%016llx-%zx%s\"", (unsigned long long) h, len,
	    gz ? "-gz" : "");
}

/* Whether If-None-Match names etag (or is "*"). */
static bool
etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);

	if (inm == NULL)
		return false;
	if (strcmp(inm, "*") == 0)
		return true;
	for (const char *p = strstr(inm, etag); p != NULL;
	     p             = strstr(p + 1, etag))
                if ((p == inm || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/')
                    && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
                        return true;
	return false;
}

void
console_file(sn_http_req *req, void *arg)
{
	console    *c    = arg;
	const char *rel  = sn_http_param(req, "file");
	const char *inm  = sn_http_header(req, "If-None-Match");
	bool        want = accepts_gzip(req);
	char       *body = NULL, *gz = NULL;
	size_t      len = 0, gzlen = 0;
	char        etag[64], h_etag[80], gzname[PATH_MAX];
	int         ti, r;
	bool        zipped = false;

	if (rel == NULL)
		rel = "index.html";
	if (!console_path_ok(rel)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such file", NULL);
		return;
	}
	ti = type_index(rel);
	if (want && ti >= 0 && types[ti].text
	    && (size_t) snprintf(gzname, sizeof(gzname), "%s.gz", rel)
	        < sizeof(gzname)
	    && read_file(c, gzname, &gz, &gzlen) == 1)
		zipped = true; /* precompressed: served as it is */
	if (!zipped) {
		r = read_file(c, rel, &body, &len);
		if (r == 0) {
			sn_http_reply_error(
			    req, 404, "not_found", "no such file", NULL);
			return;
		}
		if (r < 0) {
			sn_http_reply_error(req, 500, "internal",
			    "cannot read the file", NULL);
			return;
		}
		if (want && ti >= 0 && types[ti].text && len >= GZIP_MIN
		    && gzip(body, len, &gz, &gzlen))
			zipped = true;
	}
	if (zipped) {
		free(body);
		body = gz;
		len  = gzlen;
	}
	etag_of(body, len, zipped, etag, sizeof(etag));
	snprintf(h_etag, sizeof(h_etag), "ETag: %s", etag);
	const char *hs[] = {
		h_etag,
		"Cache-Control: no-cache",
		"Vary: Accept-Encoding",
		"Content-Encoding: gzip",
	};
	if (etag_matches(inm, etag))
		sn_http_reply_with(req, 304, NULL, NULL, 0, hs, 3);
	else
		sn_http_reply_with(req, 200, console_content_type(rel), body,
		    len, hs, zipped ? 4 : 3);
	free(body);
}

/* ---- forwarding -------------------------------------------------------- */

typedef struct fwd {
	sn_http_req *req;
	bool         gzip; /* the client takes it */
} fwd;

static const console_peer *
peer_of(const console *c, const char *name)
{
	for (size_t i = 0; i < c->cfg.npeers; i++)
		if (strcmp(c->cfg.peers[i].name, name) == 0)
			return &c->cfg.peers[i];
	return NULL;
}

/* Appends path percent-encoded ('/' kept) to out at *n; false if it does
 * not fit. */
static bool
put_path(char *out, size_t cap, size_t *n, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *) path; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z')
		    || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
		    || *p == '-' || *p == '.' || *p == '_' || *p == '~'
		    || *p == '/' || *p == ':' || *p == '@';

		if (*n + 4 >= cap)
			return false;
		if (plain) {
			out[(*n)++] = (char) *p;
		} else {
			out[(*n)++] = '%';
			out[(*n)++] = hex[*p >> 4];
			out[(*n)++] = hex[*p & 15];
		}
	}
	out[*n] = '\0';
	return true;
}

/* Whether the forwarded path has a "." or ".." segment, or an empty one. */
static bool
dot_segment(const char *path)
{
	const char *p = path;

	for (;;) {
		const char *s = p;

		while (*p != '\0' && *p != '/')
			p++;
		if (p == s || (p - s == 1 && s[0] == '.')
		    || (p - s == 2 && s[0] == '.' && s[1] == '.'))
			return true;
		if (*p == '\0')
			return false;
		p++;
	}
}

/* The service's answer headers passed back as they came (Content-Type
 * aside). */
static const char *const answer_kept[] = {
	"Location",
	"Idempotent-Replay",
	"WWW-Authenticate",
	"Retry-After",
	"ETag",
	"Allow",
};
#define NKEPT (sizeof(answer_kept) / sizeof(answer_kept[0]))

static void
forwarded(const sn_httpc_answer *a, void *arg)
{
	fwd        *f = arg;
	char        ct[256], kept[NKEPT][512];
	const char *hs[2 + NKEPT];
	size_t      n     = 0;
	char       *gz    = NULL;
	size_t      gzlen = 0;

	if (a->err == SN_ECLOSED) { /* the console is stopping */
		sn_http_reply_error(f->req, 503, "unavailable",
		    "the console is stopping; retry", NULL);
	} else if (a->err == SN_ETIMEDOUT) {
		sn_http_reply_error(f->req, 504, "gateway_timeout",
		    "the service did not answer in time", NULL);
	} else if (a->err != SN_OK) {
		/* libcurl's reason, so that an operator (or a failed test)
		 * can tell a refused connection from a broken one. */
		sn_log(SN_LOG_WARN,
		    "console: the service could not be reached", "error",
		    a->error != NULL ? a->error : "", NULL);
		sn_http_reply_error(f->req, 502, "bad_gateway",
		    "the service could not be reached", NULL);
	} else {
		if (a->content_type != NULL
		    && strpbrk(a->content_type, "\r\n") == NULL) {
			snprintf(ct, sizeof(ct), "Content-Type: %s",
			    a->content_type);
			hs[n++] = ct;
		}
		for (size_t i = 0; i < NKEPT; i++) {
			const char *v
			    = sn_httpc_answer_header(a, answer_kept[i]);

			if (v != NULL && strpbrk(v, "\r\n") == NULL
			    && (size_t) snprintf(kept[i], sizeof(kept[i]),
			           "%s: %s", answer_kept[i], v)
			        < sizeof(kept[i]))
				hs[n++] = kept[i];
		}
		if (f->gzip && a->len >= GZIP_MIN
		    && gzip(a->body, a->len, &gz, &gzlen))
			hs[n++] = "Content-Encoding: gzip";
		if (gz != NULL)
			sn_http_reply_with(f->req, (unsigned) a->status, NULL,
			    gz, gzlen, hs, n);
		else
			sn_http_reply_with(f->req, (unsigned) a->status, NULL,
			    a->len > 0 ? a->body : NULL, a->len, hs, n);
		free(gz);
	}
	free(f);
}

/* Request headers passed through as they came. */
static const char *const passed[] = {
	"Authorization",
	"Idempotency-Key",
	"If-Match",
	"If-None-Match",
	"Accept-Language",
};

void
console_forward(sn_http_req *req, void *arg)
{
	console            *c       = arg;
	const char         *service = sn_http_param(req, "service");
	const char         *path    = sn_http_param(req, "path");
	const console_peer *p       = peer_of(c, service);
	char                url[4096], query[2048];
	char        lines[sizeof(passed) / sizeof(passed[0]) + 1][1024];
	const char *hdrs[sizeof(passed) / sizeof(passed[0]) + 1];
	size_t      nh    = 0, n;
	size_t      blen  = 0;
	const char *body  = sn_http_body(req, &blen);
	const char *ctype = sn_http_header(req, "Content-Type");
	fwd        *f;
	sn_err      err;

	if (p == NULL) {
		sn_http_reply_error(req, 404, "unknown_service",
		    "the console forwards to no such service", "service");
		return;
	}
	if (dot_segment(path)) {
		sn_http_reply_error(
		    req, 404, "not_found", "no such resource", NULL);
		return;
	}
	n = (size_t) snprintf(url, sizeof(url), "%s/", p->url);
	if (n >= sizeof(url) || !put_path(url, sizeof(url), &n, path)) {
		sn_http_reply_error(
		    req, 414, "uri_too_long", "the path is too long", NULL);
		return;
	}
	size_t ql = sn_http_query_string(req, query, sizeof(query));
	if (ql >= sizeof(query) || n + ql + 2 >= sizeof(url)) {
		sn_http_reply_error(
		    req, 414, "uri_too_long", "the query is too long", NULL);
		return;
	}
	if (ql > 0)
		snprintf(url + n, sizeof(url) - n, "?%s", query);
	for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++) {
		const char *v = sn_http_header(req, passed[i]);

		if (v == NULL || strpbrk(v, "\r\n") != NULL
		    || (size_t) snprintf(lines[nh], sizeof(lines[nh]),
		           "%s: %s", passed[i], v)
		        >= sizeof(lines[nh]))
			continue;
		hdrs[nh] = lines[nh];
		nh++;
	}
	snprintf(lines[nh], sizeof(lines[nh]), "X-Request-Id: %s",
	    sn_http_request_id(req));
	hdrs[nh] = lines[nh];
	nh++;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		sn_http_reply_error(
		    req, 500, "internal", "out of memory", NULL);
		return;
	}
	f->req             = req;
	f->gzip            = accepts_gzip(req);
	sn_httpc_request r = {
		.method       = sn_http_method(req),
		.url          = url,
		.headers      = hdrs,
		.n_headers    = nh,
		.body         = blen > 0 ? body : NULL,
		.body_len     = blen,
		.content_type = ctype,
		.timeout_ms   = c->cfg.timeout_ms,
	};
	if ((err = sn_httpc_send(c->httpc, &r, forwarded, f)) != SN_OK) {
		free(f);
		sn_http_reply_error(req, 503, "unavailable",
		    "the console cannot forward now", NULL);
	}
}
