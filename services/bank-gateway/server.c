/*
 * bank-gateway/server.c - see server.h.
 *
 * The loop starts receives (after a drop) and sends; NNG's threads start
 * receives (after a send), never once closing.
 */
#include "server.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "sn/log.h"
#include "sn/tls.h"

enum wstate { W_IDLE, W_RECV, W_QUEUED, W_LOOP, W_SEND };

struct bank_gateway_request {
	bank_gateway_server  *srv;
	nng_ctx               ctx;
	nng_aio              *aio;
	enum wstate           state;
	nng_msg              *req; /* QUEUED and LOOP */
	bank_gateway_request *qnext;
};

struct bank_gateway_server {
	uv_async_t              async;
	uv_mutex_t              qlock;
	bank_gateway_request   *qhead, *qtail; /* qlock */
	atomic_bool             closing, stopping;
	nng_socket              sock;
	bool                    open;
	bank_gateway_request   *workers;
	int                     nworkers;
	size_t                  busy;
	bank_gateway_request_fn fn;
	void                   *arg;
};

/* ---- NNG threads -------------------------------------------------------- */

static void
start_recv(bank_gateway_request *w)
{
	w->state = W_RECV;
	nng_ctx_recv(w->ctx, w->aio);
}

static bool
may_continue(bank_gateway_server *s)
{
	return !atomic_load(&s->closing) && !atomic_load(&s->stopping);
}

static void
on_aio(void *arg)
{
	bank_gateway_request *w  = arg;
	bank_gateway_server  *s  = w->srv;
	int                   rv = nng_aio_result(w->aio);
	switch (w->state) {
	case W_RECV: {
		if (rv != 0) {
			w->state = W_IDLE;
			if (may_continue(s) && rv != NNG_ECLOSED
			    && rv != NNG_ECANCELED)
				start_recv(w);
			return;
		}
		nng_msg *m = nng_aio_get_msg(w->aio);
		nng_aio_set_msg(w->aio, NULL);
		if (atomic_load(&s->closing) || m == NULL) {
			if (m != NULL)
				nng_msg_free(m);
			w->state = W_IDLE;
			return;
		}
		w->req   = m;
		w->state = W_QUEUED;
		w->qnext = NULL;
		uv_mutex_lock(&s->qlock);
		if (s->qtail != NULL)
			s->qtail->qnext = w;
		else
			s->qhead = w;
		s->qtail = w;
		uv_mutex_unlock(&s->qlock);
		uv_async_send(&s->async);
		return;
	}
	case W_SEND:
		if (rv != 0) {
			nng_msg *m = nng_aio_get_msg(w->aio);
			nng_aio_set_msg(w->aio, NULL);
			if (m != NULL)
				nng_msg_free(m);
		}
		w->state = W_IDLE;
		if (may_continue(s))
			start_recv(w);
		return;
	default:
		return;
	}
}

/* ---- loop thread -------------------------------------------------------- */

static void
on_async(uv_async_t *h)
{
	bank_gateway_server *s = h->data;
	uv_mutex_lock(&s->qlock);
	bank_gateway_request *w = s->qhead;
	s->qhead = s->qtail = NULL;
	uv_mutex_unlock(&s->qlock);
	while (w != NULL) {
		bank_gateway_request *next = w->qnext;
		w->qnext                   = NULL;
		if (atomic_load(&s->stopping) || atomic_load(&s->closing)) {
			nng_msg_free(w->req);
			w->req   = NULL;
			w->state = W_IDLE;
		} else {
			w->state = W_LOOP;
			s->busy++;
			s->fn(w, nng_msg_body(w->req), nng_msg_len(w->req),
			    s->arg);
		}
		w = next;
	}
}

void
bank_gateway_server_reply(
    bank_gateway_request *w, const uint8_t *reply, size_t len)
{
	bank_gateway_server *s = w->srv;
	nng_msg             *m;
	s->busy--;
	nng_msg_free(w->req);
	w->req = NULL;
	if (atomic_load(&s->closing) || nng_msg_alloc(&m, len) != 0) {
		/* No reply (the client times out and asks again); the
		 * context takes the next request. */
		w->state = W_IDLE;
		if (may_continue(s))
			start_recv(w);
		return;
	}
	if (len > 0)
		memcpy(nng_msg_body(m), reply, len);
	w->state = W_SEND;
	nng_aio_set_msg(w->aio, m);
	nng_ctx_send(w->ctx, w->aio);
}

void
bank_gateway_server_drop(bank_gateway_request *w)
{
	bank_gateway_server *s = w->srv;
	s->busy--;
	nng_msg_free(w->req);
	w->req   = NULL;
	w->state = W_IDLE;
	if (may_continue(s))
		start_recv(w);
}

size_t
bank_gateway_server_busy(const bank_gateway_server *s)
{
	return s != NULL ? s->busy : 0;
}

void
bank_gateway_server_stop(bank_gateway_server *s)
{
	if (s != NULL)
		atomic_store(&s->stopping, true);
}

static void
on_closed(uv_handle_t *h)
{
	bank_gateway_server *s = h->data;
	uv_mutex_destroy(&s->qlock);
	free(s->workers);
	free(s);
}

void
bank_gateway_server_close(bank_gateway_server *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stopping, true);
	atomic_store(&s->closing, true);
	/* Closing the socket ends its contexts' operations; freeing an aio
	 * waits for its callback, which starts nothing once closing. */
	if (s->open)
		nng_close(s->sock);
	for (int i = 0; i < s->nworkers; i++) {
		bank_gateway_request *w = &s->workers[i];
		nng_aio_free(w->aio);
		w->aio = NULL;
	}
	uv_mutex_lock(&s->qlock);
	s->qhead = s->qtail = NULL;
	uv_mutex_unlock(&s->qlock);
	for (int i = 0; i < s->nworkers; i++) {
		bank_gateway_request *w = &s->workers[i];
		if (w->req != NULL)
			nng_msg_free(w->req);
		w->req = NULL;
	}
	uv_close((uv_handle_t *) &s->async, on_closed);
}

sn_err
bank_gateway_server_open(bank_gateway_server **out, sn_loop *loop,
    const char *url, int contexts, size_t max_request,
    bank_gateway_request_fn fn, void *arg)
{
	bank_gateway_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SN_ENOMEM;
	s->fn  = fn;
	s->arg = arg;
	atomic_init(&s->closing, false);
	atomic_init(&s->stopping, false);
	if ((s->workers = calloc((size_t) contexts, sizeof(*s->workers)))
	    == NULL) {
		free(s);
		return SN_ENOMEM;
	}
	if (uv_mutex_init(&s->qlock) != 0) {
		free(s->workers);
		free(s);
		return SN_EUV;
	}
	if (uv_async_init(sn_loop_uv(loop), &s->async, on_async) != 0) {
		uv_mutex_destroy(&s->qlock);
		free(s->workers);
		free(s);
		return SN_EUV;
	}
	s->async.data = s;
	/* From here on a failure unwinds through bank_gateway_server_close. */
	int rv = nng_rep0_open(&s->sock);
	if (rv != 0)
		goto fail_nng;
	s->open = true;
	if (sn_nng_setup(s->sock, max_request, 0) != SN_OK) {
		bank_gateway_server_close(s);
		return SN_ENNG;
	}
	for (int i = 0; i < contexts; i++) {
		bank_gateway_request *w = &s->workers[i];
		w->srv                  = s;
		if ((rv = nng_ctx_open(&w->ctx, s->sock)) != 0)
			goto fail_nng;
		if ((rv = nng_aio_alloc(&w->aio, on_aio, w)) != 0)
			goto fail_nng;
		s->nworkers++;
	}
	if ((rv = sn_nng_listen(s->sock, url)) != 0)
		goto fail_nng;
	for (int i = 0; i < s->nworkers; i++)
		start_recv(&s->workers[i]);
	*out = s;
	return SN_OK;

fail_nng:
	sn_log(SN_LOG_ERROR, "bank socket failed", "url", url, "error",
	    nng_strerror(rv), NULL);
	bank_gateway_server_close(s);
	return SN_ENNG;
}
