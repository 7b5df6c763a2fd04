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

struct sn_nngwatch {
	uv_poll_t      poll;
	nng_socket     sock;
	sn_nngwatch_fn fn;
	void          *arg;
	bool           close_socket;
	bool           active;
};

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
	if (uv_poll_init(&loop->uv, &w->poll, fd) != 0) {
		free(w);
		return SN_EUV;
	}
	w->poll.data = w;
	uv_poll_start(&w->poll, UV_READABLE, on_poll);
	w->active = true;
	*out      = w;
	return SN_OK;
}

void
sn_nngwatch_pause(sn_nngwatch *w)
{
	if (w->active) {
		uv_poll_stop(&w->poll);
		w->active = false;
	}
}

void
sn_nngwatch_resume(sn_nngwatch *w)
{
	if (!w->active && !uv_is_closing((uv_handle_t *) &w->poll)) {
		uv_poll_start(&w->poll, UV_READABLE, on_poll);
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
	w->close_socket = close_socket;
	uv_close((uv_handle_t *) &w->poll, on_watch_closed);
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
