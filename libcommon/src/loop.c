/*
 * The loop, its signals and NNG watches.
 *
 * Shutdown: the first SIGTERM/SIGINT runs the stop callbacks and arms the
 * hard-deadline timer; later ones are ignored, so that a repeated SIGTERM
 * cannot cut a drain short (the deadline does that). The signal handles
 * and the deadline timer are unref'd: they never keep the loop alive on
 * their own, and sn_loop_close closes them.
 */
#include "sn/loop.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sn/log.h"

#define MAX_STOP_FNS 16

struct sn_loop {
	uv_loop_t       uv;
	uv_signal_t     sigterm;
	uv_signal_t     sigint;
	uv_timer_t      deadline;
	uint32_t        shutdown_ms;
	bool            stopping;
	int             nstop;
	sn_loop_stop_fn stop_fns[MAX_STOP_FNS];
	void           *stop_args[MAX_STOP_FNS];
};

/* A watch polls the socket's descriptor from the loop; a buffered one
 * (inbox != NULL) is woken instead by its receive aio, whose callback, on
 * one of NNG's threads, moves each message into the inbox. */
struct sn_nngwatch {
	union {
		uv_poll_t  poll;
		uv_async_t async;
	} h;
	nng_socket     sock;
	sn_nngwatch_fn fn;
	void          *arg;
	bool           close_socket;
	bool           active;
	struct inbox  *inbox;
};

/* The messages a buffered watch's aio received and the loop has not yet
 * taken: a ring under mu, counted in *budget (shared by the watches of
 * one budget) and kept under its max. */
struct inbox {
	nng_aio         *aio;
	pthread_mutex_t  mu;
	nng_msg        **ring;
	size_t           cap, head, n;
	sn_inbox_budget *budget;
	atomic_bool      stopping;
};

static void
max_store(atomic_size_t *max, size_t v)
{
	size_t m = atomic_load(max);
	while (v > m && !atomic_compare_exchange_weak(max, &m, v))
		;
}

/* A message of len bytes enters (+1) or leaves (-1) an inbox of b. */
static void
budget_move(sn_inbox_budget *b, size_t len, int dir)
{
	if (dir > 0) {
		atomic_fetch_add(&b->bytes, len);
		max_store(&b->msgs_max, atomic_fetch_add(&b->msgs, 1) + 1);
	} else {
		atomic_fetch_sub(&b->bytes, len);
		atomic_fetch_sub(&b->msgs, 1);
	}
}

uint64_t
sn_now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

int64_t
sn_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
walk_report(uv_handle_t *h, void *arg)
{
	(void) arg;
	if (!uv_is_closing(h))
		sn_log(SN_LOG_WARN, "handle still open at shutdown deadline",
		    "type", uv_handle_type_name(uv_handle_get_type(h)), NULL);
}

static void
on_deadline(uv_timer_t *t)
{
	sn_loop *loop = t->data;
	uv_walk(&loop->uv, walk_report, NULL);
	sn_log(SN_LOG_WARN, "shutdown deadline passed; exiting", NULL);
	exit(0);
}

void
sn_loop_shutdown(sn_loop *loop)
{
	if (loop->stopping)
		return;
	loop->stopping = true;
	sn_log(SN_LOG_INFO, "shutting down", NULL);
	uv_timer_start(&loop->deadline, on_deadline, loop->shutdown_ms, 0);
	uv_unref((uv_handle_t *) &loop->deadline);
	for (int i = 0; i < loop->nstop; i++)
		loop->stop_fns[i](loop->stop_args[i]);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	(void) signum;
	sn_loop_shutdown(s->data);
}

sn_err
sn_loop_open(sn_loop **out, uint32_t shutdown_ms)
{
	sn_loop *loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return SN_ENOMEM;
	loop->shutdown_ms = shutdown_ms ? shutdown_ms : 10000;
	if (uv_loop_init(&loop->uv) != 0)
		goto fail_free;
	uv_signal_init(&loop->uv, &loop->sigterm);
	uv_signal_init(&loop->uv, &loop->sigint);
	uv_timer_init(&loop->uv, &loop->deadline);
	loop->sigterm.data = loop->sigint.data = loop->deadline.data = loop;
	if (uv_signal_start(&loop->sigterm, on_signal, SIGTERM) != 0
	    || uv_signal_start(&loop->sigint, on_signal, SIGINT) != 0)
		goto fail_close;
	/* Signal handles alone must not keep a finished loop running. */
	uv_unref((uv_handle_t *) &loop->sigterm);
	uv_unref((uv_handle_t *) &loop->sigint);
	*out = loop;
	return SN_OK;

fail_close:
	uv_close((uv_handle_t *) &loop->sigterm, NULL);
	uv_close((uv_handle_t *) &loop->sigint, NULL);
	uv_close((uv_handle_t *) &loop->deadline, NULL);
	uv_run(&loop->uv, UV_RUN_DEFAULT);
	uv_loop_close(&loop->uv);
fail_free:
	free(loop);
	return SN_EUV;
}

uv_loop_t *
sn_loop_uv(sn_loop *loop)
{
	return &loop->uv;
}

sn_err
sn_loop_on_stop(sn_loop *loop, sn_loop_stop_fn fn, void *arg)
{
	if (loop->nstop == MAX_STOP_FNS)
		return SN_ERANGE;
	loop->stop_fns[loop->nstop]  = fn;
	loop->stop_args[loop->nstop] = arg;
	loop->nstop++;
	return SN_OK;
}

bool
sn_loop_stopping(const sn_loop *loop)
{
	return loop->stopping;
}

int
sn_loop_run(sn_loop *loop)
{
	uv_run(&loop->uv, UV_RUN_DEFAULT);
	return 0;
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	(void) arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void
sn_loop_close(sn_loop *loop)
{
	if (loop == NULL)
		return;
	uv_timer_stop(&loop->deadline);
	/* Only the loop's own handles should be left; close stragglers too
	 * rather than leak them, and say so. */
	uv_walk(&loop->uv, close_walk, NULL);
	uv_run(&loop->uv, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop->uv) != 0)
		sn_log(SN_LOG_ERROR, "loop closed with handles open", NULL);
	free(loop);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	sn_nngwatch *w = p->data;
	(void) events;
	if (status < 0) {
		sn_log(SN_LOG_ERROR, "poll on nng descriptor failed", "error",
		    uv_strerror(status), NULL);
		return;
	}
	w->fn(w->sock, w->arg);
}

sn_err
sn_nngwatch_open(sn_nngwatch **out, sn_loop *loop, nng_socket sock,
    sn_nngwatch_fn fn, void *arg)
{
	int fd;
	int rv = nng_socket_get_int(sock, NNG_OPT_RECVFD, &fd);
	if (rv != 0) {
		sn_log(SN_LOG_ERROR, "NNG_OPT_RECVFD failed", "error",
		    nng_strerror(rv), NULL);
		return SN_ENNG;
	}
	sn_nngwatch *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return SN_ENOMEM;
	w->sock = sock;
	w->fn   = fn;
	w->arg  = arg;
	if (uv_poll_init(&loop->uv, &w->h.poll, fd) != 0) {
		free(w);
		return SN_EUV;
	}
	w->h.poll.data = w;
	uv_poll_start(&w->h.poll, UV_READABLE, on_poll);
	w->active = true;
	*out      = w;
	return SN_OK;
}

/* On one of NNG's threads: the message received goes into the inbox, or,
 * past the budget, is dropped as a full socket buffer would drop it (the
 * owner finds out as it would then); the loop is woken; the next receive
 * is asked at once, whatever the loop is doing. */
static void
on_recv(void *arg)
{
	sn_nngwatch  *w  = arg;
	struct inbox *in = w->inbox;
	int           rv = nng_aio_result(in->aio);
	if (rv == 0) {
		nng_msg *m    = nng_aio_get_msg(in->aio);
		size_t   len  = nng_msg_len(m);
		bool     kept = false;
		pthread_mutex_lock(&in->mu);
		if (in->n == 0
		    || atomic_load(&in->budget->bytes) + len
		        <= in->budget->max) {
			if (in->n == in->cap) {
				size_t    cap = in->cap ? 2 * in->cap : 256;
				nng_msg **r   = malloc(cap * sizeof(*r));
				if (r != NULL) {
					for (size_t i = 0; i < in->n; i++)
						r[i] = in->ring[(in->head + i)
						    % in->cap];
					free(in->ring);
					in->ring = r;
					in->cap  = cap;
					in->head = 0;
				}
			}
			if (in->n < in->cap) {
				in->ring[(in->head + in->n) % in->cap] = m;
				in->n++;
				budget_move(in->budget, len, 1);
				kept = true;
			}
		}
		pthread_mutex_unlock(&in->mu);
		if (!kept) {
			atomic_fetch_add(&in->budget->dropped, 1);
			nng_msg_free(m);
		}
		uv_async_send(&w->h.async);
	} else if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		return;
	}
	if (!atomic_load(&in->stopping))
		nng_recv_aio(w->sock, in->aio);
}

/* On the loop: the owner takes what is there; if it left some (it paused,
 * or stopped early), it is called again on the next turn. */
static void
on_async(uv_async_t *a)
{
	sn_nngwatch *w = a->data;
	if (!w->active)
		return;
	w->fn(w->sock, w->arg);
	if (w->inbox == NULL) /* fn closed the watch */
		return;
	pthread_mutex_lock(&w->inbox->mu);
	bool left = w->inbox->n > 0;
	pthread_mutex_unlock(&w->inbox->mu);
	if (left && w->active)
		uv_async_send(&w->h.async);
}

sn_err
sn_nngwatch_open_buffered(sn_nngwatch **out, sn_loop *loop, nng_socket sock,
    sn_inbox_budget *budget, sn_nngwatch_fn fn, void *arg)
{
	sn_nngwatch  *w  = calloc(1, sizeof(*w));
	struct inbox *in = calloc(1, sizeof(*in));
	if (w == NULL || in == NULL) {
		free(w);
		free(in);
		return SN_ENOMEM;
	}
	w->sock    = sock;
	w->fn      = fn;
	w->arg     = arg;
	w->inbox   = in;
	in->budget = budget;
	atomic_init(&in->stopping, false);
	int rv = nng_aio_alloc(&in->aio, on_recv, w);
	if (rv != 0) {
		sn_log(SN_LOG_ERROR, "nng aio for a watch failed", "error",
		    nng_strerror(rv), NULL);
		free(in);
		free(w);
		return SN_ENNG;
	}
	if (pthread_mutex_init(&in->mu, NULL) != 0
	    || uv_async_init(&loop->uv, &w->h.async, on_async) != 0) {
		nng_aio_free(in->aio);
		free(in);
		free(w);
		return SN_EUV;
	}
	w->h.async.data = w;
	w->active       = true;
	nng_recv_aio(sock, in->aio);
	*out = w;
	return SN_OK;
}

int
sn_nngwatch_recv(sn_nngwatch *w, nng_msg **msg)
{
	struct inbox *in = w->inbox;
	if (in == NULL)
		return nng_recvmsg(w->sock, msg, NNG_FLAG_NONBLOCK);
	pthread_mutex_lock(&in->mu);
	if (in->n == 0) {
		pthread_mutex_unlock(&in->mu);
		return NNG_EAGAIN;
	}
	*msg     = in->ring[in->head];
	in->head = (in->head + 1) % in->cap;
	in->n--;
	budget_move(in->budget, nng_msg_len(*msg), -1);
	pthread_mutex_unlock(&in->mu);
	return 0;
}

bool
sn_nngwatch_signalled(sn_nngwatch *w)
{
	if (w->inbox != NULL) {
		pthread_mutex_lock(&w->inbox->mu);
		bool some = w->inbox->n > 0;
		pthread_mutex_unlock(&w->inbox->mu);
		return some;
	}
	uv_os_fd_t fd;
	if (uv_fileno((uv_handle_t *) &w->h.poll, &fd) != 0)
		return false;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) > 0;
}

void
sn_nngwatch_pause(sn_nngwatch *w)
{
	if (w->active) {
		if (w->inbox == NULL)
			uv_poll_stop(&w->h.poll);
		w->active = false;
	}
}

void
sn_nngwatch_resume(sn_nngwatch *w)
{
	if (!w->active && !uv_is_closing((uv_handle_t *) &w->h)) {
		if (w->inbox == NULL)
			uv_poll_start(&w->h.poll, UV_READABLE, on_poll);
		else
			uv_async_send(&w->h.async);
		w->active = true;
	}
}

static void
on_watch_closed(uv_handle_t *h)
{
	sn_nngwatch *w = h->data;
	if (w->close_socket)
		nng_close(w->sock);
	free(w);
}

void
sn_nngwatch_close(sn_nngwatch *w, bool close_socket)
{
	if (w == NULL)
		return;
	w->close_socket  = close_socket;
	struct inbox *in = w->inbox;
	if (in != NULL) {
		/* No callback runs after nng_aio_stop returns, so none
		 * touches the inbox or wakes the handle being closed. */
		atomic_store(&in->stopping, true);
		nng_aio_stop(in->aio);
		nng_aio_free(in->aio);
		for (size_t i = 0; i < in->n; i++) {
			nng_msg *m = in->ring[(in->head + i) % in->cap];
			budget_move(in->budget, nng_msg_len(m), -1);
			nng_msg_free(m);
		}
		free(in->ring);
		pthread_mutex_destroy(&in->mu);
		free(in);
		w->inbox = NULL;
	}
	uv_close((uv_handle_t *) &w->h, on_watch_closed);
}

sn_err
sn_nng_setup(nng_socket sock, size_t recvmaxsz, int sendbuf)
{
	int rv = nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, recvmaxsz);
	if (rv == 0 && sendbuf > 0)
		rv = nng_socket_set_int(sock, NNG_OPT_SENDBUF, sendbuf);
	if (rv != 0) {
		sn_log(SN_LOG_ERROR, "nng socket option failed", "error",
		    nng_strerror(rv), NULL);
		return SN_ENNG;
	}
	return SN_OK;
}
