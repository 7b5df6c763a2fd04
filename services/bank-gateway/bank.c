/*
 * bank-gateway/bank.c - see bank.h.
 */
#include "bank.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iso20022.h"
#include "sn/httpc.h"
#include "sn/log.h"

#define XML_TYPE "application/xml; charset=utf-8"

struct bank_gateway_bank {
	sn_httpc *http;
	char     *base;     /* the ISO URL without a trailing '/' */
	char     *drop_dir; /* the folder */
	char     *peer_name;
	uint32_t  timeout_ms, statement_timeout_ms;
};

/* One request in flight: the caller's callback. */
typedef struct call {
	bank_gateway_bank_fn fn;
	void                *arg;
} call;

static void
on_answer(const sn_httpc_answer *a, void *arg)
{
	call                    *c = arg;
	bank_gateway_bank_answer b = {
		.err        = a->err,
		.status     = a->status,
		.body       = a->body != NULL ? a->body : "",
		.len        = a->len,
		.error      = a->error != NULL ? a->error : "",
		.latency_us = a->latency_us,
	};
	c->fn(&b, c->arg);
	free(c);
}

/* One HTTPS request with deadline timeout_ms. */
static sn_err
request(bank_gateway_bank *b, const char *method, const char *url,
    const char *body, size_t len, uint32_t timeout_ms, bank_gateway_bank_fn fn,
    void *arg)
{
	static const char *const headers[] = { "Accept: " XML_TYPE };
	if (b->http == NULL)
		return SN_EINVAL;
	call *c = malloc(sizeof(*c));
	if (c == NULL)
		return SN_ENOMEM;
	c->fn                = fn;
	c->arg               = arg;
	sn_httpc_request req = {
		.method       = method,
		.url          = url,
		.headers      = headers,
		.n_headers    = 1,
		.body         = body,
		.body_len     = len,
		.content_type = XML_TYPE,
		.timeout_ms   = timeout_ms,
		.peer_name    = b->peer_name,
	};
	sn_err err = sn_httpc_send(b->http, &req, on_answer, c);
	if (err != SN_OK)
		free(c);
	return err;
}

/* Appends s percent-encoded (RFC 3986: all but the unreserved
 * characters) to buf at *at; false when it does not fit. */
static bool
escape(char *buf, size_t cap, size_t *at, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		bool plain = (*p >= 'A' && *p <= 'Z')
		    || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
		    || *p == '-' || *p == '.' || *p == '_' || *p == '~';
		size_t need = plain ? 1 : 3;
		if (*at + need >= cap)
			return false;
		if (plain) {
			buf[(*at)++] = (char) *p;
		} else {
			buf[(*at)++] = '%';
			buf[(*at)++] = hex[*p >> 4];
			buf[(*at)++] = hex[*p & 15];
		}
	}
	buf[*at] = '\0';
	return true;
}

/* buf = base + literal + escaped parts, alternately: parts[0] literal,
 * parts[1] escaped, parts[2] literal, ... (NULL-ended). */
static bool
url(const bank_gateway_bank *b, char *buf, size_t cap,
    const char *const *parts)
{
	int w = snprintf(buf, cap, "%s", b->base);
	if (w < 0 || (size_t) w >= cap)
		return false;
	size_t at = (size_t) w;
	for (size_t i = 0; parts[i] != NULL; i++) {
		if (i % 2 == 1) {
			if (!escape(buf, cap, &at, parts[i]))
				return false;
			continue;
		}
		w = snprintf(buf + at, cap - at, "%s", parts[i]);
		if (w < 0 || (size_t) w >= cap - at)
			return false;
		at += (size_t) w;
	}
	return true;
}

sn_err
bank_gateway_bank_post_pain001(bank_gateway_bank *b, const char *xml,
    size_t len, bank_gateway_bank_fn fn, void *arg)
{
	char              u[2048];
	const char *const p[] = { "/pain.001", NULL };
	if (b->http == NULL || !url(b, u, sizeof u, p))
		return SN_EINVAL;
	return request(b, "POST", u, xml, len, b->timeout_ms, fn, arg);
}

sn_err
bank_gateway_bank_get_pain002(bank_gateway_bank *b, const char *msg_id,
    bank_gateway_bank_fn fn, void *arg)
{
	char              u[2048];
	const char *const p[] = { "/pain.002/", msg_id, NULL };
	if (b->http == NULL || !url(b, u, sizeof u, p))
		return SN_EINVAL;
	return request(b, "GET", u, NULL, 0, b->timeout_ms, fn, arg);
}

sn_err
bank_gateway_bank_get_camt054(bank_gateway_bank *b, const char *account,
    sn_date day, bank_gateway_bank_fn fn, void *arg)
{
	char              u[2048], d[SN_DATE_STRLEN];
	const char *const p[] = { "/camt.054?account=", account,
		"&date=", sn_date_format(day, d), NULL };
	if (b->http == NULL || !url(b, u, sizeof u, p))
		return SN_EINVAL;
	return request(b, "GET", u, NULL, 0, b->statement_timeout_ms, fn, arg);
}

/* ---- the drop folder -----------------------------------------------------
 */

static bool
mkdir_p(const char *path)
{
	return mkdir(path, 0750) == 0 || errno == EEXIST;
}

/* A name that stays inside its folder: no '/', not "." or "..", not
 * hidden. */
static bool
plain_name(const char *s)
{
	return s[0] != '\0' && s[0] != '.' && strchr(s, '/') == NULL
	    && strlen(s) < 200;
}

static bool
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return false;
	bool ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

/* A reason into why (256 bytes, as bank.h says). */
static void say(char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(char *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, 256, fmt, ap);
	va_end(ap);
}

sn_err
bank_gateway_bank_drop_write(bank_gateway_bank *b, const char *msg_id,
    const char *xml, size_t len, char *why)
{
	char dir[1024], tmp[1280], path[1280];
	if (b->drop_dir == NULL || !plain_name(msg_id)) {
		say(why,
		    "not a drop folder, or a MsgId no file "
		    "may be named");
		return SN_EINVAL;
	}
	snprintf(dir, sizeof dir, "%s/out", b->drop_dir);
	snprintf(tmp, sizeof tmp, "%s/.%s.xml.tmp", dir, msg_id);
	snprintf(path, sizeof path, "%s/%s.xml", dir, msg_id);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		say(why, "open %s: %s", tmp, strerror(errno));
		return SN_EIO;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, xml + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			say(why, "write %s: %s", tmp,
			    w < 0 ? strerror(errno) : "nothing written");
			close(fd);
			unlink(tmp);
			return SN_EIO;
		}
		done += (size_t) w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		say(why, "fsync %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return SN_EIO;
	}
	if (rename(tmp, path) != 0) {
		say(why, "rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return SN_EIO;
	}
	if (!fsync_dir(dir)) {
		say(why, "fsync %s: %s", dir, strerror(errno));
		return SN_EIO;
	}
	return SN_OK;
}

static bool
ends_xml(const char *s)
{
	size_t n = strlen(s);
	return n > 4 && strcmp(s + n - 4, ".xml") == 0;
}

sn_err
bank_gateway_bank_drop_done(bank_gateway_bank *b, const char *name, bool ok)
{
	char from[1280], to[1280];
	if (b->drop_dir == NULL || !plain_name(name))
		return SN_EINVAL;
	snprintf(from, sizeof from, "%s/in/%s", b->drop_dir, name);
	snprintf(to, sizeof to, "%s/in/%s/%s", b->drop_dir,
	    ok ? "done" : "bad", name);
	if (rename(from, to) != 0) {
		sn_log(SN_LOG_ERROR, "cannot move a file of the drop folder",
		    "from", from, "to", to, "error", strerror(errno), NULL);
		return SN_EIO;
	}
	return SN_OK;
}

sn_err
bank_gateway_bank_drop_next(
    bank_gateway_bank *b, char **name, char **body, size_t *len)
{
	char           dir[1024], path[1280];
	DIR           *d;
	struct dirent *e;
	char          *first = NULL;

	*name = *body = NULL;
	*len          = 0;
	if (b->drop_dir == NULL)
		return SN_EINVAL;
	snprintf(dir, sizeof dir, "%s/in", b->drop_dir);
	if ((d = opendir(dir)) == NULL) {
		sn_log(SN_LOG_ERROR, "cannot read the drop folder", "dir", dir,
		    "error", strerror(errno), NULL);
		return SN_EIO;
	}
	while ((e = readdir(d)) != NULL) {
		if (!plain_name(e->d_name) || !ends_xml(e->d_name))
			continue;
		if (first == NULL || strcmp(e->d_name, first) < 0) {
			free(first);
			if ((first = strdup(e->d_name)) == NULL)
				break;
		}
	}
	closedir(d);
	if (first == NULL)
		return SN_ENOTFOUND;
	snprintf(path, sizeof path, "%s/%s", dir, first);
	*name   = first;
	FILE *f = fopen(path, "rb");
	long  n = -1;
	if (f != NULL && fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	if (f == NULL || n < 0 || (size_t) n > BANK_GATEWAY_ISO_MAX_BYTES
	    || fseek(f, 0, SEEK_SET) != 0
	    || (*body = malloc((size_t) n + 1)) == NULL
	    || fread(*body, 1, (size_t) n, f) != (size_t) n) {
		sn_log(SN_LOG_ERROR, "cannot read a file of the drop folder",
		    "file", path, NULL);
		if (f != NULL)
			fclose(f);
		free(*body);
		*body = NULL;
		bank_gateway_bank_drop_done(b, first, false);
		return SN_EIO;
	}
	fclose(f);
	(*body)[n] = '\0';
	*len       = (size_t) n;
	return SN_OK;
}

/* ---- lifecycle ------------------------------------------------------------
 */

bool
bank_gateway_bank_is_drop(const bank_gateway_bank *b)
{
	return b->drop_dir != NULL;
}

size_t
bank_gateway_bank_inflight(const bank_gateway_bank *b)
{
	return b != NULL && b->http != NULL ? sn_httpc_inflight(b->http) : 0;
}

sn_err
bank_gateway_bank_open(bank_gateway_bank **out, sn_loop *loop,
    const bank_gateway_bank_config *cfg)
{
	bool has_url  = cfg->iso_url != NULL && cfg->iso_url[0] != '\0';
	bool has_drop = cfg->drop_dir != NULL && cfg->drop_dir[0] != '\0';
	if (has_url == has_drop)
		return SN_EINVAL;
	bank_gateway_bank *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return SN_ENOMEM;
	b->timeout_ms           = cfg->timeout_ms;
	b->statement_timeout_ms = cfg->statement_timeout_ms;
	if (has_drop) {
		static const char *const subs[]
		    = { "", "/out", "/in", "/in/done", "/in/bad" };
		if ((b->drop_dir = strdup(cfg->drop_dir)) == NULL) {
			free(b);
			return SN_ENOMEM;
		}
		for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
			char p[1280];
			snprintf(p, sizeof p, "%s%s", b->drop_dir, subs[i]);
			if (!mkdir_p(p)) {
				sn_log(SN_LOG_ERROR,
				    "cannot make the drop folder", "dir", p,
				    "error", strerror(errno), NULL);
				free(b->drop_dir);
				free(b);
				return SN_EIO;
			}
		}
		*out = b;
		return SN_OK;
	}
	size_t n = strlen(cfg->iso_url);
	while (n > 0 && cfg->iso_url[n - 1] == '/')
		n--;
	if ((b->base = strndup(cfg->iso_url, n)) == NULL
	    || (cfg->peer_name != NULL
	        && (b->peer_name = strdup(cfg->peer_name)) == NULL)) {
		free(b->base);
		free(b);
		return SN_ENOMEM;
	}
	sn_httpc_config hc = { .max_answer = BANK_GATEWAY_ISO_MAX_BYTES };
	sn_err          err;
	if ((err = sn_httpc_open(&b->http, loop, &hc)) != SN_OK) {
		free(b->base);
		free(b->peer_name);
		free(b);
		return err;
	}
	*out = b;
	return SN_OK;
}

void
bank_gateway_bank_close(bank_gateway_bank *b)
{
	if (b == NULL)
		return;
	sn_httpc_close(b->http);
	free(b->base);
	free(b->peer_name);
	free(b->drop_dir);
	free(b);
}
