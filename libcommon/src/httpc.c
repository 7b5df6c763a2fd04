/*
 * httpc.c - sn/httpc.h: libcurl's multi interface on the libuv loop.
 *
 * curl tells us which sockets to watch (socket_cb) and when to call it
 * back (timer_cb); we turn those into uv_poll handles and one uv_timer,
 * and hand their events back with curl_multi_socket_action. Finished
 * transfers are collected with curl_multi_info_read after each call.
 *
 * Closing: curl may call socket_cb while a transfer is removed or the
 * multi handle cleaned up, and a user callback may close the client
 * while we walk the finished transfers, so the client is torn down only
 * when no dispatch is on the stack (dispatching == 0) and freed only when
 * its last libuv handle has closed.
 */
#include "sn/httpc.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sn/config.h"
#include "sn/log.h"

#define DEFAULT_TIMEOUT_MS 10000u
#define DEFAULT_MAX_ANSWER (8u << 20)

typedef struct sock sock;
typedef struct call call;

struct sn_httpc {
	uv_loop_t *uv;
	CURLM     *multi;
	uv_timer_t timer;
	char      *ca_file; /* NULL: the system's store */
	char      *cert_file;
	char      *key_file;
	size_t     max_answer;
	call      *calls; /* in flight, doubly linked */
	size_t     ncalls;
	sock      *socks;
	unsigned   handles;     /* libuv handles not yet closed */
	unsigned   dispatching; /* check_done frames on the stack */
	bool       closing;
	bool       torn_down;
};

struct sock {
	uv_poll_t     poll;
	curl_socket_t fd;
	sn_httpc     *c;
	sock         *prev, *next;
};

struct call {
	sn_httpc          *c;
	CURL              *easy;
	struct curl_slist *headers;
	struct curl_slist *connect_to;
	char              *body;
	char              *answer;
	size_t             len, cap;
	bool               too_big;
	uint64_t           started_ns;
	sn_httpc_fn        fn;
	void              *arg;
	call              *prev, *next;
	char               errbuf[CURL_ERROR_SIZE];
	/* The request id the call was made for (sn_log_request_id), set
	 * again around its callback; "" for none. */
	char rid[SN_LOG_REQUEST_ID_MAX + 1];
};

static bool curl_started;

/* ---- handles ------------------------------------------------------- */

static void
maybe_free(sn_httpc *c)
{
	if (c->handles > 0 || !c->torn_down)
		return;
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c);
}

static void
handle_closed(uv_handle_t *h)
{
	sn_httpc *c = h->data;
	c->handles--;
	maybe_free(c);
}

static void
sock_closed(uv_handle_t *h)
{
	sock     *k = h->data;
	sn_httpc *c = k->c;
	free(k);
	c->handles--;
	maybe_free(c);
}

static void
sock_close(sock *k)
{
	sn_httpc *c = k->c;
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		c->socks = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	uv_poll_stop(&k->poll);
	uv_close((uv_handle_t *) &k->poll, sock_closed);
}

/* ---- calls --------------------------------------------------------- */

static void
call_unlink(call *r)
{
	sn_httpc *c = r->c;
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		c->calls = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	c->ncalls--;
}

static void
call_free(call *r)
{
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	curl_slist_free_all(r->connect_to);
	free(r->body);
	free(r->answer);
	free(r);
}

static sn_err
translate(CURLcode rc, const call *r)
{
	switch (rc) {
	case CURLE_OK:
		return SN_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return SN_ETIMEDOUT;
	case CURLE_WRITE_ERROR:
		return r->too_big ? SN_EPROTO : SN_EIO;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return SN_EPROTO;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		return SN_EAUTH;
	default:
		return SN_EIO;
	}
}

/* Ends r: out of the multi handle and the list, its callback, freed. */
static void
call_end(call *r, sn_err err, const char *why)
{
	sn_httpc       *c = r->c;
	sn_httpc_answer a = { .err = err, .body = "", .error = why };

	if (c->multi != NULL)
		curl_multi_remove_handle(c->multi, r->easy);
	call_unlink(r);
	if (err == SN_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &a.status);
		curl_easy_getinfo(
		    r->easy, CURLINFO_CONTENT_TYPE, &a.content_type);
		a.handle = r->easy;
		if (r->answer != NULL) {
			a.body = r->answer;
			a.len  = r->len;
		}
		a.error = "";
	}
	if (err != SN_ECLOSED)
		a.latency_us = (uv_hrtime() - r->started_ns) / 1000u;
	char prev[SN_LOG_REQUEST_ID_MAX + 1];
	sn_log_swap_request_id(r->rid, prev);
	r->fn(&a, r->arg);
	sn_log_set_request_id(prev);
	call_free(r);
}

static void teardown(sn_httpc *c);

/* Hands every finished transfer to its callback. */
static void
check_done(sn_httpc *c)
{
	CURLMsg *msg;
	int      left;

	c->dispatching++;
	while (!c->closing
	    && (msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURLcode rc = msg->data.result;
		call    *r  = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &r);
		sn_err err = translate(rc, r);
		call_end(r, err,
		    r->too_big         ? "the answer is larger than allowed"
		        : r->errbuf[0] ? r->errbuf
		                       : curl_easy_strerror(rc));
	}
	c->dispatching--;
	if (c->closing && c->dispatching == 0)
		teardown(c);
}

/* ---- curl's callbacks ---------------------------------------------- */

static void
on_poll(uv_poll_t *h, int status, int events)
{
	sock     *k     = h->data;
	sn_httpc *c     = k->c;
	int       flags = 0;
	int       running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	curl_multi_socket_action(c->multi, k->fd, flags, &running);
	check_done(c);
}

static int
socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	sn_httpc *c = userp;
	sock     *k = socketp;

	(void) e;
	if (what == CURL_POLL_REMOVE) {
		if (k != NULL) {
			sock_close(k);
			if (!c->torn_down)
				curl_multi_assign(c->multi, s, NULL);
		}
		return 0;
	}
	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return -1;
		if (uv_poll_init_socket(c->uv, &k->poll, s) != 0) {
			free(k);
			return -1;
		}
		k->fd        = s;
		k->c         = c;
		k->poll.data = k;
		k->next      = c->socks;
		if (c->socks != NULL)
			c->socks->prev = k;
		c->socks = k;
		c->handles++;
		curl_multi_assign(c->multi, s, k);
	}
	int ev = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= UV_WRITABLE;
	return uv_poll_start(&k->poll, ev, on_poll) == 0 ? 0 : -1;
}

static void
on_timer(uv_timer_t *t)
{
	sn_httpc *c = t->data;
	int       running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int
timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	sn_httpc *c = userp;

	(void) m;
	if (timeout_ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, (uint64_t) timeout_ms, 0);
	return 0;
}

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	call  *r = arg;
	size_t n = size * nmemb;

	if (n > r->c->max_answer - r->len) {
		r->too_big = true;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 1024;
		while (cap < r->len + n + 1)
			cap *= 2;
		char *p = realloc(r->answer, cap);
		if (p == NULL)
			return 0;
		r->answer = p;
		r->cap    = cap;
	}
	memcpy(r->answer + r->len, data, n);
	r->len += n;
	r->answer[r->len] = '\0';
	return n;
}

/* ---- open, send, close --------------------------------------------- */

static char *
setting(const char *given, const char *name)
{
	const char *v = given != NULL ? given : sn_config_str(name, "");
	return v[0] != '\0' ? strdup(v) : NULL;
}

sn_err
sn_httpc_open(sn_httpc **out, sn_loop *loop, const sn_httpc_config *cfg)
{
	sn_httpc_config none = { 0 };
	sn_httpc       *c;

	*out = NULL;
	if (cfg == NULL)
		cfg = &none;
	if (!curl_started) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			sn_log(SN_LOG_ERROR, "libcurl cannot start", NULL);
			return SN_EIO;
		}
		curl_started = true;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SN_ENOMEM;
	c->uv         = sn_loop_uv(loop);
	c->max_answer = cfg->max_answer ? cfg->max_answer : DEFAULT_MAX_ANSWER;
	c->ca_file    = setting(cfg->ca_file, "SN_TLS_CA_FILE");
	c->cert_file  = setting(cfg->cert_file, "SN_TLS_CERT_FILE");
	c->key_file   = setting(cfg->key_file, "SN_TLS_KEY_FILE");
	if ((c->multi = curl_multi_init()) == NULL) {
		sn_log(SN_LOG_ERROR, "libcurl: no multi handle", NULL);
		c->torn_down = true;
		maybe_free(c);
		return SN_EIO;
	}
	if (uv_timer_init(c->uv, &c->timer) != 0) {
		curl_multi_cleanup(c->multi);
		c->torn_down = true;
		maybe_free(c);
		return SN_EUV;
	}
	c->timer.data = c;
	c->handles    = 1;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	*out = c;
	return SN_OK;
}

/* The URL with peer_name as its host and the connect-to line sending
 * peer_name's connections to the URL's own host and port. */
static sn_err
peer_url(call *r, const char *url, const char *peer, char **out)
{
	CURLU *u    = curl_url();
	char  *host = NULL, *port = NULL;
	sn_err err = SN_EINVAL;

	*out = NULL;
	if (u == NULL)
		return SN_ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
	    || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK
	    || curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)
	        != CURLUE_OK)
		goto out;
	if (strcmp(host, peer) != 0) {
		size_t n
		    = strlen(peer) * 2 + strlen(host) + 2 * strlen(port) + 4;
		char *line = malloc(n);
		if (line == NULL) {
			err = SN_ENOMEM;
			goto out;
		}
		snprintf(line, n, "%s:%s:%s:%s", peer, port, host, port);
		struct curl_slist *l = curl_slist_append(NULL, line);
		free(line);
		if (l == NULL
		    || curl_url_set(u, CURLUPART_HOST, peer, 0) != CURLUE_OK) {
			curl_slist_free_all(l);
			goto out;
		}
		r->connect_to = l;
	}
	if (curl_url_get(u, CURLUPART_URL, out, 0) != CURLUE_OK)
		goto out;
	err = SN_OK;
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return err;
}

static bool
header_ok(const char *h)
{
	return h != NULL && strpbrk(h, "\r\n") == NULL;
}

sn_err
sn_httpc_send(
    sn_httpc *c, const sn_httpc_request *req, sn_httpc_fn fn, void *arg)
{
	call       *r;
	char       *url    = NULL;
	const char *method = req->method != NULL ? req->method : "GET";
	sn_err      err    = SN_ENOMEM;
	bool        bad    = false;

	if (fn == NULL || req->url == NULL)
		return SN_EINVAL;
	if (c->closing)
		return SN_ECLOSED;
	for (size_t i = 0; i < req->n_headers; i++)
		if (!header_ok(req->headers[i]))
			return SN_EINVAL;
	if (req->content_type != NULL && !header_ok(req->content_type))
		return SN_EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return SN_ENOMEM;
	r->c   = c;
	r->fn  = fn;
	r->arg = arg;
	if ((r->easy = curl_easy_init()) == NULL)
		goto fail;
	if (req->peer_name != NULL) {
		if ((err = peer_url(r, req->url, req->peer_name, &url))
		    != SN_OK)
			goto fail;
	} else if ((url = strdup(req->url)) == NULL)
		goto fail;

	/* Headers: the caller's, the body's type, no Expect: 100-continue
	 * (a second round trip for a body over 1 KiB). */
	struct curl_slist *h = NULL;
	for (size_t i = 0; i < req->n_headers; i++)
		if ((h = curl_slist_append(r->headers, req->headers[i]))
		    != NULL)
			r->headers = h;
		else
			goto fail;
	/* The request id of the request being handled goes along, unless
	 * the caller sends one of its own. */
	const char *rid = sn_log_request_id();
	for (size_t i = 0; rid != NULL && i < req->n_headers; i++)
		if (strncasecmp(req->headers[i], "X-Request-Id:", 13) == 0)
			rid = NULL;
	if (rid != NULL) {
		char line[SN_LOG_REQUEST_ID_MAX + 16];
		snprintf(r->rid, sizeof(r->rid), "%s", rid);
		snprintf(line, sizeof(line), "X-Request-Id: %s", rid);
		if (header_ok(line)) {
			if ((h = curl_slist_append(r->headers, line)) == NULL)
				goto fail;
			r->headers = h;
		}
	}
	char ctype[256];
	snprintf(ctype, sizeof(ctype), "Content-Type: %s",
	    req->content_type != NULL ? req->content_type
	                              : "application/json");
	if ((h = curl_slist_append(r->headers, "Expect:")) == NULL)
		goto fail;
	r->headers = h;
	if ((h = curl_slist_append(
	         r->headers, req->body != NULL ? ctype : "Content-Type:"))
	    == NULL)
		goto fail;
	r->headers = h;

	CURL *e = r->easy;
	bad |= curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https")
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, r) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	           (long) (req->timeout_ms ? req->timeout_ms
	                                   : DEFAULT_TIMEOUT_MS))
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK;
	if (r->connect_to != NULL)
		bad |= curl_easy_setopt(e, CURLOPT_CONNECT_TO, r->connect_to)
		    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	if (c->ca_file != NULL) {
		/* our CA only: not the system's directory of CAs as well */
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file)
		    != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL) != CURLE_OK;
	}
	if (c->cert_file != NULL && c->key_file != NULL) {
		bad |= curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file)
		    != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file)
		    != CURLE_OK;
	}
	if (strcmp(method, "HEAD") == 0)
		bad |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L) != CURLE_OK;
	else if (strcmp(method, "GET") != 0)
		bad |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method)
		    != CURLE_OK;
	if (req->body != NULL
	    || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0
	        && strcmp(method, "DELETE") != 0)) {
		/* a copy: POSTFIELDS is not copied by curl; an empty body
		 * still says Content-Length: 0 */
		if ((r->body = malloc(req->body_len + 1)) == NULL)
			goto fail;
		if (req->body_len > 0)
			memcpy(r->body, req->body, req->body_len);
		r->body[req->body_len] = '\0';
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		           (curl_off_t) req->body_len)
		    != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body)
		    != CURLE_OK;
	}
	if (bad) {
		sn_log(SN_LOG_ERROR, "libcurl refused a request's options",
		    "method", method, NULL);
		err = SN_EIO;
		goto fail;
	}
	free(url);
	url = NULL;

	r->started_ns = uv_hrtime();
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		sn_log(SN_LOG_ERROR, "libcurl refused a request", NULL);
		err = SN_EIO;
		goto fail;
	}
	r->next = c->calls;
	if (c->calls != NULL)
		c->calls->prev = r;
	c->calls = r;
	c->ncalls++;
	return SN_OK;
fail:
	curl_free(url); /* curl_url_get's or strdup's: both plain free */
	call_free(r);
	return err;
}

size_t
sn_httpc_inflight(const sn_httpc *c)
{
	return c->ncalls;
}

json_t *
sn_httpc_answer_json(const sn_httpc_answer *a)
{
	json_error_t je;
	if (a->body == NULL || a->len == 0)
		return NULL;
	return json_loadb(
	    a->body, a->len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
}

/* The multi handle, then every socket and the timer; the client is
 * freed when the last of them has closed. */
static void
teardown(sn_httpc *c)
{
	if (c->torn_down)
		return;
	c->torn_down = true;
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (c->socks != NULL)
		sock_close(c->socks);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *) &c->timer, handle_closed);
}

void
sn_httpc_close(sn_httpc *c)
{
	if (c == NULL || c->closing)
		return;
	c->closing = true;
	while (c->calls != NULL)
		call_end(c->calls, SN_ECLOSED, "the client is closing");
	if (c->dispatching == 0)
		teardown(c);
}

const char *
sn_httpc_answer_header(const sn_httpc_answer *a, const char *name)
{
	struct curl_header *h = NULL;

	if (a == NULL || a->handle == NULL || name == NULL)
		return NULL;
	if (curl_easy_header(a->handle, name, 0, CURLH_HEADER, -1, &h)
	        != CURLHE_OK
	    || h == NULL)
		return NULL;
	/* the last of several: amount - 1 */
	if (h->amount > 1
	    && curl_easy_header(
	           a->handle, name, h->amount - 1, CURLH_HEADER, -1, &h)
	        != CURLHE_OK)
		return NULL;
	return h->value;
}
