/*
 * bank.c - see bank.h.
 *
 * A call's life: start_try (loop) -> nng_ctx_send -> on_aio (NNG thread:
 * record, queue, wake) -> on_async (loop) -> nng_ctx_recv -> on_aio ->
 * on_async -> finish, or try_failed -> nng_sleep_aio on an aio of its
 * own (nng 1.5.2 leaves an aio's sleep state behind otherwise) -> on_aio
 * -> on_async -> start_try again. The NNG callback never starts an
 * operation, so stopping an aio never races with a new one. This follows
 * verification/agencies.c, which proved the pattern.
 */
#include "bank.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/protocol/reqrep0/req.h>

#include "sn/log.h"

#define BACKOFF_MAX_MS 5000u
#define REPLY_MAX (64u << 20)

enum call_state { ST_SEND, ST_RECV, ST_SLEEP };
enum outcome { OUT_OK = 0, OUT_TIMEOUT, OUT_MALFORMED, OUT_UNREACHABLE, NOUT };
enum kind { KIND_BATCH = 0, KIND_QUERY, NKIND };

typedef struct call call;

struct disbursement_bank {
	uv_loop_t  *uv;
	uv_async_t  async;
	uv_mutex_t  qlock;
	call       *qhead, *qtail; /* completions for the loop (qlock) */
	call       *live;          /* every call (loop thread) */
	size_t      nlive;
	bool        closing;
	nng_socket  sock;
	uint32_t    timeout_ms, retries, backoff_ms;
	sn_counter *requests[NKIND][NOUT];
};

struct call {
	disbursement_bank   *owner;
	call                *prev, *next; /* live list */
	call                *qnext;       /* completion queue */
	enum kind            kind;
	nng_ctx              ctx;
	nng_aio             *aio;
	nng_aio             *sleep_aio;
	enum call_state      state;
	uint32_t             tries;
	uint64_t             deadline;
	int                  rv;  /* written by the NNG callback */
	nng_msg             *msg; /* likewise */
	uint8_t             *req;
	size_t               req_len;
	disbursement_bank_fn fn;
	void                *arg;
};

static const char *const outcome_names[NOUT]
    = { "ok", "timeout", "malformed", "unreachable" };
static const char *const kind_names[NKIND] = { "batch", "query" };

/* ---- NNG thread --------------------------------------------------------- */

static void
on_aio(void *arg)
{
	call              *c = arg;
	disbursement_bank *b = c->owner;
	if (c->state == ST_SLEEP) {
		c->rv  = nng_aio_result(c->sleep_aio);
		c->msg = NULL;
	} else {
		c->rv  = nng_aio_result(c->aio);
		c->msg = NULL;
		if ((c->state == ST_RECV && c->rv == 0)
		    || (c->state == ST_SEND && c->rv != 0))
			c->msg = nng_aio_get_msg(c->aio);
		nng_aio_set_msg(c->aio, NULL);
		if (c->state == ST_RECV && c->rv == 0 && c->msg == NULL)
			c->rv = NNG_ETIMEDOUT;
	}
	c->qnext = NULL;
	uv_mutex_lock(&b->qlock);
	if (b->qtail != NULL)
		b->qtail->qnext = c;
	else
		b->qhead = c;
	b->qtail = c;
	uv_mutex_unlock(&b->qlock);
	uv_async_send(&b->async);
}

/* ---- loop thread -------------------------------------------------------- */

static void
call_free(call *c)
{
	disbursement_bank *b = c->owner;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		b->live = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	b->nlive--;
	nng_aio_free(c->aio); /* waits for a callback still running */
	nng_aio_free(c->sleep_aio);
	nng_ctx_close(c->ctx);
	if (c->msg != NULL)
		nng_msg_free(c->msg);
	free(c->req);
	free(c);
}

static void
start_try(call *c)
{
	disbursement_bank *b = c->owner;
	nng_msg           *msg;
	c->tries++;
	c->deadline = sn_now_ms() + b->timeout_ms;
	if (nng_msg_alloc(&msg, 0) != 0 || nng_msg_append(msg, c->req, c->req_len) != 0)
		abort(); /* out of memory */
	c->state = ST_SEND;
	nng_aio_set_msg(c->aio, msg);
	nng_aio_set_timeout(c->aio, (nng_duration) b->timeout_ms);
	nng_ctx_send(c->ctx, c->aio);
}

static void
try_failed(call *c, enum outcome o, int rv)
{
	disbursement_bank *b = c->owner;
	sn_counter_add(b->requests[c->kind][o], 1);
	if (c->tries <= b->retries) {
		uint32_t shift = c->tries - 1 < 16 ? c->tries - 1 : 16;
		uint64_t ms    = (uint64_t) b->backoff_ms << shift;
		if (ms > BACKOFF_MAX_MS)
			ms = BACKOFF_MAX_MS;
		c->state = ST_SLEEP;
		nng_sleep_aio((nng_duration) ms, c->sleep_aio);
		return;
	}
	sn_log(SN_LOG_WARN, "bank request failed after retries", "kind",
	    kind_names[c->kind], "outcome", outcome_names[o], "error",
	    rv != 0 ? nng_strerror(rv) : NULL, NULL);
	c->fn(o == OUT_TIMEOUT ? SN_ETIMEDOUT : SN_ENNG, NULL, c->arg);
	call_free(c);
}

static void
on_reply(call *c)
{
	disbursement_bank *b   = c->owner;
	nng_msg           *msg = c->msg;
	c->msg                 = NULL;
	Sn__Bank__V1__BankReply *r = sn__bank__v1__bank_reply__unpack(
	    NULL, nng_msg_len(msg), nng_msg_body(msg));
	nng_msg_free(msg);
	bool ok = r != NULL
	    && ((c->kind == KIND_BATCH
	            && r->body_case == SN__BANK__V1__BANK_REPLY__BODY_BATCH)
	        || (c->kind == KIND_QUERY
	            && r->body_case == SN__BANK__V1__BANK_REPLY__BODY_STATUS));
	if (!ok) {
		if (r != NULL)
			sn__bank__v1__bank_reply__free_unpacked(r, NULL);
		try_failed(c, OUT_MALFORMED, 0);
		return;
	}
	sn_counter_add(b->requests[c->kind][OUT_OK], 1);
	c->fn(SN_OK, r, c->arg);
	sn__bank__v1__bank_reply__free_unpacked(r, NULL);
	call_free(c);
}

static void
on_completion(call *c)
{
	switch (c->state) {
	case ST_SEND:
		if (c->rv != 0) {
			if (c->msg != NULL) {
				nng_msg_free(c->msg);
				c->msg = NULL;
			}
			try_failed(c,
			    c->rv == NNG_ETIMEDOUT ? OUT_TIMEOUT
			                           : OUT_UNREACHABLE,
			    c->rv);
			return;
		}
		uint64_t now = sn_now_ms();
		if (now >= c->deadline) {
			try_failed(c, OUT_TIMEOUT, NNG_ETIMEDOUT);
			return;
		}
		c->state = ST_RECV;
		nng_aio_set_timeout(c->aio, (nng_duration) (c->deadline - now));
		nng_ctx_recv(c->ctx, c->aio);
		return;
	case ST_RECV:
		if (c->rv != 0) {
			try_failed(c,
			    c->rv == NNG_ETIMEDOUT ? OUT_TIMEOUT
			                           : OUT_UNREACHABLE,
			    c->rv);
			return;
		}
		on_reply(c);
		return;
	case ST_SLEEP:
		start_try(c);
		return;
	}
}

static void
on_async(uv_async_t *h)
{
	disbursement_bank *b = h->data;
	uv_mutex_lock(&b->qlock);
	call *c  = b->qhead;
	b->qhead = b->qtail = NULL;
	uv_mutex_unlock(&b->qlock);
	while (c != NULL && !b->closing) {
		call *next = c->qnext;
		on_completion(c);
		c = next;
	}
}

sn_err
disbursement_bank_open(disbursement_bank **out, sn_loop *loop, sn_metrics *m,
    const disbursement_bank_config *cfg)
{
	disbursement_bank *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return SN_ENOMEM;
	b->uv         = sn_loop_uv(loop);
	b->timeout_ms = cfg->timeout_ms;
	b->retries    = cfg->retries;
	b->backoff_ms = cfg->backoff_ms;
	for (int k = 0; k < NKIND; k++)
		for (int o = 0; o < NOUT; o++) {
			char labels[96];
			snprintf(labels, sizeof(labels),
			    "kind=\"%s\",outcome=\"%s\"", kind_names[k],
			    outcome_names[o]);
			b->requests[k][o] = sn_metrics_counter(m,
			    "sn_disbursement_bank_requests_total",
			    "Requests to the bank (each try), by outcome",
			    labels);
			if (b->requests[k][o] == NULL) {
				free(b);
				return SN_ENOMEM;
			}
		}
	if (uv_mutex_init(&b->qlock) != 0) {
		free(b);
		return SN_EUV;
	}
	sn_err err = SN_ENNG;
	int    rv  = nng_req0_open(&b->sock);
	if (rv != 0) {
		sn_log(SN_LOG_ERROR, "bank socket failed", "error",
		    nng_strerror(rv), NULL);
		goto fail_mutex;
	}
	if ((err = sn_nng_setup(b->sock, REPLY_MAX, 0)) != SN_OK)
		goto fail_close;
	/* Our own retries decide; the REQ protocol's resend must not fire
	 * inside a deadline. */
	nng_socket_set_ms(b->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(b->sock, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(b->sock, NNG_OPT_RECONNMAXT, 1000);
	if ((rv = nng_dial(b->sock, cfg->url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		sn_log(SN_LOG_ERROR, "bank dial failed", "url", cfg->url,
		    "error", nng_strerror(rv), NULL);
		err = SN_ENNG;
		goto fail_close;
	}
	if (uv_async_init(b->uv, &b->async, on_async) != 0) {
		err = SN_EUV;
		goto fail_close;
	}
	b->async.data = b;
	*out          = b;
	return SN_OK;

fail_close:
	nng_close(b->sock);
fail_mutex:
	uv_mutex_destroy(&b->qlock);
	free(b);
	return err;
}

sn_err
disbursement_bank_call(disbursement_bank *b,
    const Sn__Bank__V1__BankRequest *req, disbursement_bank_fn fn, void *arg)
{
	if (b->closing)
		return SN_ECLOSED;
	if (fn == NULL
	    || (req->body_case != SN__BANK__V1__BANK_REQUEST__BODY_BATCH
	        && req->body_case != SN__BANK__V1__BANK_REQUEST__BODY_QUERY))
		return SN_EINVAL;
	call *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SN_ENOMEM;
	c->owner   = b;
	c->kind    = req->body_case == SN__BANK__V1__BANK_REQUEST__BODY_BATCH
	       ? KIND_BATCH
	       : KIND_QUERY;
	c->fn      = fn;
	c->arg     = arg;
	c->req_len = sn__bank__v1__bank_request__get_packed_size(req);
	if ((c->req = malloc(c->req_len ? c->req_len : 1)) == NULL)
		goto fail;
	sn__bank__v1__bank_request__pack(req, c->req);
	if (nng_ctx_open(&c->ctx, b->sock) != 0)
		goto fail;
	if (nng_aio_alloc(&c->aio, on_aio, c) != 0) {
		nng_ctx_close(c->ctx);
		goto fail;
	}
	if (nng_aio_alloc(&c->sleep_aio, on_aio, c) != 0) {
		nng_aio_free(c->aio);
		nng_ctx_close(c->ctx);
		goto fail;
	}
	c->next = b->live;
	if (b->live != NULL)
		b->live->prev = c;
	b->live = c;
	b->nlive++;
	start_try(c);
	return SN_OK;

fail:
	free(c->req);
	free(c);
	return SN_ENOMEM;
}

size_t
disbursement_bank_inflight(const disbursement_bank *b)
{
	return b->nlive;
}

static void
on_async_closed(uv_handle_t *h)
{
	disbursement_bank *b = h->data;
	uv_mutex_destroy(&b->qlock);
	free(b);
}

void
disbursement_bank_close(disbursement_bank *b)
{
	if (b == NULL)
		return;
	b->closing = true;
	for (call *c = b->live; c != NULL; c = c->next) {
		nng_aio_stop(c->aio);
		nng_aio_stop(c->sleep_aio);
	}
	uv_mutex_lock(&b->qlock);
	b->qhead = b->qtail = NULL;
	uv_mutex_unlock(&b->qlock);
	while (b->live != NULL) {
		call *c = b->live;
		c->fn(SN_ECLOSED, NULL, c->arg);
		call_free(c);
	}
	nng_close(b->sock);
	uv_close((uv_handle_t *) &b->async, on_async_closed);
}
