/*
 * sn/reqc.c - see reqc.h.
 *
 * A call's life: [nng_sleep_aio -> on_aio -> on_async ->] start_send
 * (loop) -> nng_ctx_send -> on_aio (NNG thread: record, queue, wake) ->
 * on_async (loop) -> nng_ctx_recv -> on_aio -> on_async -> finish.
 *
 * The NNG callback never starts an operation, so stopping an aio
 * (nng_aio_stop in close) never races with a new one. The delay sleeps on
 * an aio of its own: nng 1.5.2 leaves an aio's sleep state behind, and a
 * later receive timing out on the same aio then completes with 0 and no
 * message; a receive that "succeeds" with no message is a timeout here
 * whatever the cause.
 */
#include "sn/reqc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <nng/protocol/reqrep0/req.h>

#include "sn/log.h"
#include "sn/tls.h"

#define RECONN_MIN_MS 50
#define RECONN_MAX_MS 1000

enum call_state { ST_SLEEP, ST_SEND, ST_RECV };

typedef struct call call;

struct sn_reqc {
	uv_async_t async;
	uv_mutex_t qlock;
	call      *qhead, *qtail; /* completions for the loop (qlock) */
	call      *live;          /* every call not yet finished (loop) */
	size_t     nlive;
	bool       closing;
	nng_socket sock;
};

struct call {
	sn_reqc        *owner;
	call           *prev, *next; /* live list */
	call           *qnext;       /* completion queue */
	nng_ctx         ctx;
	nng_aio        *aio;
	nng_aio        *sleep_aio; /* only with a delay */
	enum call_state state;
	uint32_t        timeout_ms;
	uint64_t        t0_us, deadline_us;
	nng_msg        *req; /* the request until NNG takes it */
	/* Written by the NNG callback, read by the loop after dequeuing. */
	int        rv;
	nng_msg   *msg; /* a reply, or a request NNG gave back */
	uint64_t   done_us;
	sn_reqc_fn fn;
	void      *arg;
	/* The request id the call was made for (sn_log_request_id), set
	 * again around its callback; "" for none. The peer gets it in a
	 * field before the caller's bytes (rid_put). */
	char rid[SN_LOG_REQUEST_ID_MAX + 1];
};

/* The key of field SN_REQC_RID_FIELD with wire type 2 (length-delimited),
 * as a varint: (536870911 << 3) | 2 = 0xFFFFFFFA. */
static const uint8_t RID_KEY[5] = { 0xfa, 0xff, 0xff, 0xff, 0x0f };

/* The bytes rid_put writes for rid (0 for ""): the key, a one-byte
 * length (an id is at most 64 bytes) and the id. */
static size_t
rid_size(const char *rid)
{
	size_t n = strlen(rid);
	return n > 0 ? sizeof(RID_KEY) + 1 + n : 0;
}

static void
rid_put(uint8_t *out, const char *rid)
{
	size_t n = strlen(rid);
	memcpy(out, RID_KEY, sizeof(RID_KEY));
	out[sizeof(RID_KEY)] = (uint8_t) n;
	memcpy(out + sizeof(RID_KEY) + 1, rid, n);
}

size_t
sn_reqc_rid_take(
    const uint8_t *body, size_t len, char rid[SN_LOG_REQUEST_ID_MAX + 1])
{
	rid[0] = '\0';
	if (body == NULL || len < sizeof(RID_KEY) + 1
	    || memcmp(body, RID_KEY, sizeof(RID_KEY)) != 0)
		return 0;
	size_t n = body[sizeof(RID_KEY)];
	/* A length of 128 or more would be a longer varint: not ours. */
	if (n >= 0x80 || len - sizeof(RID_KEY) - 1 < n)
		return 0;
	const uint8_t *p = body + sizeof(RID_KEY) + 1;
	if (sn_log_request_id_valid((const char *) p, n)) {
		memcpy(rid, p, n);
		rid[n] = '\0';
	}
	return sizeof(RID_KEY) + 1 + n;
}

static uint64_t
now_us(void)
{
	return uv_hrtime() / 1000u;
}

/* ---- NNG thread --------------------------------------------------------- */

static void
on_aio(void *arg)
{
	call    *c = arg;
	sn_reqc *r = c->owner;
	c->msg     = NULL;
	if (c->state == ST_SLEEP) {
		c->rv = nng_aio_result(c->sleep_aio);
	} else {
		c->rv = nng_aio_result(c->aio);
		/* A received reply, or a request that was not sent: ours. */
		if ((c->state == ST_RECV && c->rv == 0)
		    || (c->state == ST_SEND && c->rv != 0))
			c->msg = nng_aio_get_msg(c->aio);
		nng_aio_set_msg(c->aio, NULL);
		if (c->state == ST_RECV && c->rv == 0 && c->msg == NULL)
			c->rv = NNG_ETIMEDOUT;
	}
	c->done_us = now_us();
	c->qnext   = NULL;
	uv_mutex_lock(&r->qlock);
	if (r->qtail != NULL)
		r->qtail->qnext = c;
	else
		r->qhead = c;
	r->qtail = c;
	uv_mutex_unlock(&r->qlock);
	uv_async_send(&r->async);
}

/* ---- loop thread -------------------------------------------------------- */

/* Unlinks c and frees all but its reply; returns the reply (or NULL). */
static nng_msg *
call_free(call *c)
{
	sn_reqc *r = c->owner;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		r->live = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	r->nlive--;
	nng_aio_free(c->aio); /* waits for a callback still running */
	nng_aio_free(c->sleep_aio);
	nng_ctx_close(c->ctx);
	if (c->req != NULL)
		nng_msg_free(c->req);
	nng_msg *reply = c->msg;
	free(c);
	return reply;
}

/* Ends c: frees it, then runs its callback (which may close the client). */
static void
finish(call *c, sn_err err)
{
	sn_reqc_fn fn      = c->fn;
	void      *arg     = c->arg;
	uint64_t   latency = 0;
	char rid[SN_LOG_REQUEST_ID_MAX + 1], prev[SN_LOG_REQUEST_ID_MAX + 1];
	memcpy(rid, c->rid, sizeof(rid));
	if (err != SN_ECLOSED && c->done_us > c->t0_us)
		latency = c->done_us - c->t0_us;
	nng_msg *reply = call_free(c);
	sn_log_swap_request_id(rid, prev);
	if (err == SN_OK)
		fn(SN_OK, nng_msg_body(reply), nng_msg_len(reply), latency,
		    arg);
	else
		fn(err, NULL, 0, latency, arg);
	sn_log_set_request_id(prev);
	if (reply != NULL)
		nng_msg_free(reply);
}

static void
start_send(call *c)
{
	c->state       = ST_SEND;
	c->t0_us       = now_us();
	c->deadline_us = c->t0_us + (uint64_t) c->timeout_ms * 1000u;
	nng_aio_set_msg(c->aio, c->req);
	c->req = NULL; /* NNG's now; on_aio hands it back if unsent */
	nng_aio_set_timeout(c->aio, (nng_duration) c->timeout_ms);
	nng_ctx_send(c->ctx, c->aio);
}

static sn_err
failure(int rv)
{
	return rv == NNG_ETIMEDOUT ? SN_ETIMEDOUT : SN_ENNG;
}

static void
on_completion(call *c)
{
	switch (c->state) {
	case ST_SLEEP:
		if (c->rv != 0) {
			c->done_us = c->t0_us = 0;
			finish(c, SN_ENNG);
			return;
		}
		start_send(c);
		return;
	case ST_SEND: {
		if (c->rv != 0) {
			if (c->msg != NULL) {
				nng_msg_free(c->msg);
				c->msg = NULL;
			}
			finish(c, failure(c->rv));
			return;
		}
		/* Whole milliseconds left; less than one is none. */
		uint64_t now = now_us();
		if (now + 1000u > c->deadline_us) {
			c->done_us = now;
			finish(c, SN_ETIMEDOUT);
			return;
		}
		c->state = ST_RECV;
		nng_aio_set_timeout(
		    c->aio, (nng_duration) ((c->deadline_us - now) / 1000u));
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	case ST_RECV:
		finish(c, c->rv == 0 ? SN_OK : failure(c->rv));
		return;
	}
}

static void
on_async(uv_async_t *h)
{
	sn_reqc *r = h->data;
	uv_mutex_lock(&r->qlock);
	call *c  = r->qhead;
	r->qhead = r->qtail = NULL;
	uv_mutex_unlock(&r->qlock);
	/* A callback may close the client: close frees what is left here. */
	while (c != NULL && !r->closing) {
		call *next = c->qnext;
		on_completion(c);
		c = next;
	}
}

sn_err
sn_reqc_open(sn_reqc **out, sn_loop *loop, const char *url, size_t recvmaxsz)
{
	sn_reqc *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return SN_ENOMEM;
	sn_err err = SN_EUV;
	if (uv_mutex_init(&r->qlock) != 0)
		goto fail_free;
	err    = SN_ENNG;
	int rv = nng_req0_open(&r->sock);
	if (rv != 0) {
		sn_log(SN_LOG_ERROR, "request socket failed", "url", url,
		    "error", nng_strerror(rv), NULL);
		goto fail_mutex;
	}
	if ((err = sn_nng_setup(r->sock, recvmaxsz, 0)) != SN_OK)
		goto fail_close;
	/* The caller's retries decide; the REQ protocol's resend must not
	 * fire inside a deadline. */
	nng_socket_set_ms(
	    r->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(r->sock, NNG_OPT_RECONNMINT, RECONN_MIN_MS);
	nng_socket_set_ms(r->sock, NNG_OPT_RECONNMAXT, RECONN_MAX_MS);
	/* Any certificate of our CA on a tls+tcp:// url (sn/tls.h): the
	 * agencies and the bank are partners, not one of our publishers. */
	if ((rv = sn_nng_dial(r->sock, url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		sn_log(SN_LOG_ERROR, "request dial failed", "url", url,
		    "error", nng_strerror(rv), NULL);
		err = SN_ENNG;
		goto fail_close;
	}
	if (uv_async_init(sn_loop_uv(loop), &r->async, on_async) != 0) {
		err = SN_EUV;
		goto fail_close;
	}
	r->async.data = r;
	*out          = r;
	return SN_OK;

fail_close:
	nng_close(r->sock);
fail_mutex:
	uv_mutex_destroy(&r->qlock);
fail_free:
	free(r);
	return err;
}

sn_err
sn_reqc_call_after(sn_reqc *r, uint32_t delay_ms, const void *req, size_t len,
    uint32_t timeout_ms, sn_reqc_fn fn, void *arg)
{
	if (r->closing)
		return SN_ECLOSED;
	if (fn == NULL || timeout_ms == 0 || (req == NULL && len > 0))
		return SN_EINVAL;
	call *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SN_ENOMEM;
	c->owner      = r;
	c->timeout_ms = timeout_ms;
	c->fn         = fn;
	c->arg        = arg;
	snprintf(c->rid, sizeof(c->rid), "%s", sn_log_request_id_text());
	sn_err err  = SN_ENOMEM;
	size_t head = rid_size(c->rid);
	if (nng_msg_alloc(&c->req, head + len) != 0)
		goto fail_free;
	if (head > 0)
		rid_put(nng_msg_body(c->req), c->rid);
	if (len > 0)
		memcpy((uint8_t *) nng_msg_body(c->req) + head, req, len);
	int rv = nng_ctx_open(&c->ctx, r->sock);
	if (rv != 0) {
		sn_log(SN_LOG_ERROR, "request context failed", "error",
		    nng_strerror(rv), NULL);
		err = rv == NNG_ENOMEM ? SN_ENOMEM : SN_ENNG;
		goto fail_msg;
	}
	if (nng_aio_alloc(&c->aio, on_aio, c) != 0)
		goto fail_ctx;
	if (delay_ms > 0 && nng_aio_alloc(&c->sleep_aio, on_aio, c) != 0)
		goto fail_aio;
	c->next = r->live;
	if (r->live != NULL)
		r->live->prev = c;
	r->live = c;
	r->nlive++;
	if (delay_ms > 0) {
		c->state = ST_SLEEP;
		nng_sleep_aio((nng_duration) delay_ms, c->sleep_aio);
	} else {
		start_send(c);
	}
	return SN_OK;

fail_aio:
	nng_aio_free(c->aio);
fail_ctx:
	nng_ctx_close(c->ctx);
fail_msg:
	nng_msg_free(c->req);
fail_free:
	free(c);
	return err;
}

sn_err
sn_reqc_call(sn_reqc *r, const void *req, size_t len, uint32_t timeout_ms,
    sn_reqc_fn fn, void *arg)
{
	return sn_reqc_call_after(r, 0, req, len, timeout_ms, fn, arg);
}

size_t
sn_reqc_inflight(const sn_reqc *r)
{
	return r->nlive;
}

static void
on_async_closed(uv_handle_t *h)
{
	sn_reqc *r = h->data;
	uv_mutex_destroy(&r->qlock);
	free(r);
}

void
sn_reqc_close(sn_reqc *r)
{
	if (r == NULL || r->closing)
		return;
	r->closing = true;
	/* After this no NNG callback runs: each either completed (and
	 * queued) or was cancelled and ran (and queued). */
	for (call *c = r->live; c != NULL; c = c->next) {
		nng_aio_stop(c->aio);
		if (c->sleep_aio != NULL)
			nng_aio_stop(c->sleep_aio);
	}
	uv_mutex_lock(&r->qlock);
	r->qhead = r->qtail = NULL;
	uv_mutex_unlock(&r->qlock);
	while (r->live != NULL)
		finish(r->live, SN_ECLOSED);
	nng_close(r->sock);
	uv_close((uv_handle_t *) &r->async, on_async_closed);
}

/* ---- retry with backoff ----------------------------------------------- */

/* One call under a retry policy; owns a copy of the request. Freed when
 * the caller's callback has had its final say. */
typedef struct retry {
	sn_reqc       *c;
	uint8_t       *req;
	size_t         len;
	sn_reqc_retry  pol;
	uint32_t       tries;
	sn_reqc_try_fn fn;
	void          *arg;
} retry;

static void on_retry_try(sn_err err, const uint8_t *reply, size_t len,
    uint64_t latency_us, void *arg);

uint32_t
sn_reqc_retry_delay_ms(const sn_reqc_retry *policy, uint32_t k)
{
	uint32_t shift = k <= 1 ? 0 : k - 1 < 16 ? k - 1 : 16;
	uint64_t ms    = (uint64_t) policy->backoff_ms << shift;
	uint32_t max
	    = policy->backoff_max_ms > 0 ? policy->backoff_max_ms : 30000u;
	return ms > max ? max : (uint32_t) ms;
}

static void
retry_free(retry *t)
{
	free(t->req);
	free(t);
}

static void
on_retry_try(sn_err err, const uint8_t *reply, size_t len, uint64_t latency_us,
    void *arg)
{
	retry      *t  = arg;
	sn_reqc_try tr = { .err = err,
		.reply          = reply,
		.len            = len,
		.latency_us     = latency_us,
		.tries          = t->tries,
		.final = err == SN_ECLOSED || t->tries > t->pol.retries };
	if (t->fn(&tr, t->arg) == SN_REQC_DONE || tr.final) {
		retry_free(t);
		return;
	}
	/* The wait after try k: k is tries now. */
	uint32_t delay = sn_reqc_retry_delay_ms(&t->pol, t->tries);
	t->tries++;
	sn_err serr = sn_reqc_call_after(
	    t->c, delay, t->req, t->len, t->pol.timeout_ms, on_retry_try, t);
	if (serr != SN_OK) {
		t->tries--;
		sn_reqc_try last
		    = { .err = serr, .tries = t->tries, .final = true };
		(void) t->fn(&last, t->arg);
		retry_free(t);
	}
}

sn_err
sn_reqc_call_retry(sn_reqc *c, const void *req, size_t len,
    const sn_reqc_retry *policy, sn_reqc_try_fn fn, void *arg)
{
	if (fn == NULL || policy == NULL || policy->timeout_ms == 0
	    || (req == NULL && len > 0))
		return SN_EINVAL;
	retry *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return SN_ENOMEM;
	t->req = malloc(len > 0 ? len : 1);
	if (t->req == NULL) {
		free(t);
		return SN_ENOMEM;
	}
	if (len > 0)
		memcpy(t->req, req, len);
	t->c       = c;
	t->len     = len;
	t->pol     = *policy;
	t->fn      = fn;
	t->arg     = arg;
	t->tries   = 1;
	sn_err err = sn_reqc_call(
	    c, t->req, len, policy->timeout_ms, on_retry_try, t);
	if (err != SN_OK)
		retry_free(t);
	return err;
}
