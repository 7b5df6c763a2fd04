/*
 * reps.c - see sn/reps.h.
 *
 * The loop starts receives (after a drop) and sends; NNG's threads start
 * receives (after a send) and sends (after a delay), never once closing.
 * The delay sleeps on an aio of its own: nng 1.5.2 leaves an aio's sleep
 * state behind (see reqc.c).
 */
#include "sn/reps.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "sn/listen.h"
#include "sn/log.h"
#include "sn/reqc.h"

enum wstate { W_IDLE, W_RECV, W_QUEUED, W_LOOP, W_WAIT, W_SEND };

struct sn_reps_req {
	sn_reps     *srv;
	nng_ctx      ctx;
	nng_aio     *aio;
	nng_aio     *sleep_aio;
	enum wstate  state;
	nng_msg     *req;   /* QUEUED and LOOP */
	nng_msg     *reply; /* WAIT */
	sn_reps_req *qnext;
};

struct sn_reps {
	uv_async_t   async;
	uv_mutex_t   qlock;
	sn_reps_req *qhead, *qtail; /* qlock */
	atomic_bool  closing, stopping;
	nng_socket   sock;
	bool         open;
	sn_listen   *listen; /* keeps sock accepting */
	sn_reps_req *workers;
	int          nworkers;
	size_t       busy;
	sn_reps_fn   fn;
	void        *arg;
};

/* ---- NNG threads -------------------------------------------------------- */

static void
start_recv(sn_reps_req *w)
{
	w->state = W_RECV;
	nng_ctx_recv(w->ctx, w->aio);
}

/* Frees the message an operation left on aio (one not sent), if any. */
static void
aio_msg_free(nng_aio *aio)
{
	nng_msg *m = nng_aio_get_msg(aio);
	nng_aio_set_msg(aio, NULL);
	if (m != NULL)
		nng_msg_free(m);
}

static bool
may_continue(sn_reps *s)
{
	return !atomic_load(&s->closing) && !atomic_load(&s->stopping);
}

/* The context's request is over without a reply going out: it receives
 * again unless the server is stopping. */
static void
restart(sn_reps_req *w)
{
	w->state = W_IDLE;
	if (may_continue(w->srv))
		start_recv(w);
}

static void
on_aio(void *arg)
{
	sn_reps_req *w  = arg;
	sn_reps     *s  = w->srv;
	int          rv = nng_aio_result(w->aio);
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
		if (rv != 0)
			aio_msg_free(w->aio);
		restart(w);
		return;
	default:
		return;
	}
}

static void
on_sleep(void *arg)
{
	sn_reps_req *w = arg;
	if (nng_aio_result(w->sleep_aio) != 0
	    || atomic_load(&w->srv->closing)) {
		nng_msg_free(w->reply);
		w->reply = NULL;
		restart(w);
		return;
	}
	w->state = W_SEND;
	nng_aio_set_msg(w->aio, w->reply);
	w->reply = NULL;
	nng_ctx_send(w->ctx, w->aio);
}

/* ---- loop thread -------------------------------------------------------- */

static void
on_async(uv_async_t *h)
{
	sn_reps *s = h->data;
	uv_mutex_lock(&s->qlock);
	sn_reps_req *w = s->qhead;
	s->qhead = s->qtail = NULL;
	uv_mutex_unlock(&s->qlock);
	while (w != NULL) {
		sn_reps_req *next = w->qnext;
		w->qnext          = NULL;
		if (atomic_load(&s->stopping) || atomic_load(&s->closing)) {
			nng_msg_free(w->req);
			w->req   = NULL;
			w->state = W_IDLE;
		} else {
			w->state = W_LOOP;
			s->busy++;
			/* The caller's request id, if its sn_reqc sent one:
			 * off the bytes, and set around the handler. */
			const uint8_t *body = nng_msg_body(w->req);
			size_t         len  = nng_msg_len(w->req);
			char           rid[SN_LOG_REQUEST_ID_MAX + 1];
			char           prev[SN_LOG_REQUEST_ID_MAX + 1];
			size_t         skip = sn_reqc_rid_take(body, len, rid);
			sn_log_swap_request_id(rid, prev);
			s->fn(w, body + skip, len - skip, s->arg);
			sn_log_set_request_id(prev);
		}
		w = next;
	}
}

void
sn_reps_reply_after(
    sn_reps_req *w, const uint8_t *reply, size_t len, uint32_t delay_ms)
{
	sn_reps *s = w->srv;
	nng_msg *m = NULL;
	/* The reply is copied before the request is freed: it may be the
	 * request's own body, borrowed until now. */
	bool made = !atomic_load(&s->closing) && nng_msg_alloc(&m, len) == 0;
	if (made && len > 0)
		memcpy(nng_msg_body(m), reply, len);
	s->busy--;
	nng_msg_free(w->req);
	w->req = NULL;
	if (!made) {
		/* No reply (the client times out and asks again); the
		 * context takes the next request. */
		restart(w);
		return;
	}
	if (delay_ms > 0) {
		w->state = W_WAIT;
		w->reply = m;
		nng_sleep_aio((nng_duration) delay_ms, w->sleep_aio);
		return;
	}
	w->state = W_SEND;
	nng_aio_set_msg(w->aio, m);
	nng_ctx_send(w->ctx, w->aio);
}

void
sn_reps_reply(sn_reps_req *w, const uint8_t *reply, size_t len)
{
	sn_reps_reply_after(w, reply, len, 0);
}

void
sn_reps_drop(sn_reps_req *w)
{
	w->srv->busy--;
	nng_msg_free(w->req);
	w->req = NULL;
	restart(w);
}

size_t
sn_reps_busy(const sn_reps *s)
{
	return s != NULL ? s->busy : 0;
}

void
sn_reps_stop(sn_reps *s)
{
	if (s != NULL)
		atomic_store(&s->stopping, true);
}

static void
on_closed(uv_handle_t *h)
{
	sn_reps *s = h->data;
	uv_mutex_destroy(&s->qlock);
	free(s->workers);
	free(s);
}

void
sn_reps_close(sn_reps *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stopping, true);
	atomic_store(&s->closing, true);
	sn_listen_close(s->listen);
	s->listen = NULL;
	/* Every operation is over before the socket closes: nng 1.5.2 was
	 * seen to panic on a context's send started by a waking sleep while
	 * nng_close ran. A sleep that wakes sends on its context's aio
	 * (on_sleep), perhaps having seen closing still false: every sleep
	 * is stopped (its callback waited for; none starts again) before
	 * any aio is. A callback starts nothing once closing; a send that a
	 * stopped aio refused leaves its message there. */
	for (int i = 0; i < s->nworkers; i++)
		nng_aio_stop(s->workers[i].sleep_aio);
	for (int i = 0; i < s->nworkers; i++)
		nng_aio_stop(s->workers[i].aio);
	if (s->open)
		nng_close(s->sock);
	for (int i = 0; i < s->nworkers; i++) {
		sn_reps_req *w = &s->workers[i];
		aio_msg_free(w->aio);
		nng_aio_free(w->aio);
		nng_aio_free(w->sleep_aio);
		w->aio = w->sleep_aio = NULL;
	}
	uv_mutex_lock(&s->qlock);
	s->qhead = s->qtail = NULL;
	uv_mutex_unlock(&s->qlock);
	for (int i = 0; i < s->nworkers; i++) {
		sn_reps_req *w = &s->workers[i];
		if (w->req != NULL)
			nng_msg_free(w->req);
		if (w->reply != NULL)
			nng_msg_free(w->reply);
		w->req = w->reply = NULL;
	}
	uv_close((uv_handle_t *) &s->async, on_closed);
}

sn_err
sn_reps_open(sn_reps **out, sn_loop *loop, const char *url, int contexts,
    size_t max_request, sn_reps_fn fn, void *arg)
{
	if (contexts < 1 || fn == NULL)
		return SN_EINVAL;
	sn_reps *s = calloc(1, sizeof(*s));
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
	/* From here on a failure unwinds through sn_reps_close. */
	int rv = nng_rep0_open(&s->sock);
	if (rv != 0)
		goto fail_nng;
	s->open = true;
	if (sn_nng_setup(s->sock, max_request, 0) != SN_OK) {
		sn_reps_close(s);
		return SN_ENNG;
	}
	for (int i = 0; i < contexts; i++) {
		sn_reps_req *w = &s->workers[i];
		w->srv         = s;
		if ((rv = nng_ctx_open(&w->ctx, s->sock)) != 0)
			goto fail_nng;
		if ((rv = nng_aio_alloc(&w->aio, on_aio, w)) != 0)
			goto fail_nng;
		if ((rv = nng_aio_alloc(&w->sleep_aio, on_sleep, w)) != 0) {
			nng_aio_free(w->aio);
			w->aio = NULL;
			goto fail_nng;
		}
		s->nworkers++;
	}
	if ((rv = sn_listen_open(&s->listen, loop, s->sock, url)) != 0)
		goto fail_nng;
	for (int i = 0; i < s->nworkers; i++)
		start_recv(&s->workers[i]);
	*out = s;
	return SN_OK;

fail_nng:
	sn_log(SN_LOG_ERROR, "reply socket failed", "url", url, "error",
	    nng_strerror(rv), NULL);
	sn_reps_close(s);
	return SN_ENNG;
}
