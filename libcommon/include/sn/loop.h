/*
 * sn/loop.h - the one libuv loop of a process, its signals, and NNG
 * sockets brought onto it.
 *
 * All domain code runs on the loop's thread and needs no locks. NNG does
 * its network I/O on its own threads; a socket comes onto the loop through
 * its NNG_OPT_RECVFD descriptor under a uv_poll, and the callback drains
 * it with non-blocking receives until NNG_EAGAIN (wake-ups coalesce).
 *
 * SIGTERM and SIGINT start a shutdown (later ones are ignored): the stop
 * callbacks run once, in the order they were added, and should stop taking new
 * work, finish what is in flight and close their handles; the loop then runs
 * until every handle is closed. A hard deadline (SN_SHUTDOWN_MS, 10 s by
 * default) bounds the drain: past it the process logs what was still open and
 * exits 0, since everything committed is safe in PostgreSQL and the outbox.
 */
#ifndef SN_LOOP_H
#define SN_LOOP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include <nng/nng.h>

#include "sn/err.h"

typedef struct sn_loop sn_loop;

/* Called once when a shutdown starts. Borrowed arg. */
typedef void (*sn_loop_stop_fn)(void *arg);

/*
 * Opens a loop with SIGTERM/SIGINT handling and the given hard deadline
 * for draining (0 takes SN_SHUTDOWN_MS's default, 10000 ms).
 */
sn_err sn_loop_open(sn_loop **out, uint32_t shutdown_ms);

/* The libuv loop, for timers and handles of the caller's own. */
uv_loop_t *sn_loop_uv(sn_loop *loop);

/* Adds fn to the callbacks run when a shutdown starts (at most 16). */
sn_err sn_loop_on_stop(sn_loop *loop, sn_loop_stop_fn fn, void *arg);

/* Starts a shutdown as a signal would. Loop thread only. */
void sn_loop_shutdown(sn_loop *loop);

/* True once a shutdown has started. */
bool sn_loop_stopping(const sn_loop *loop);

/* Runs the loop until every handle is closed. Returns 0. */
int sn_loop_run(sn_loop *loop);

/*
 * Closes the loop's own handles, runs the loop until they are gone and
 * frees it. Every other handle must be closed first. NULL is a no-op.
 */
void sn_loop_close(sn_loop *loop);

/*
 * A watch: an NNG socket's receive side on the loop.
 *
 * fn runs on the loop thread whenever the socket may have a message; it
 * must receive with NNG_FLAG_NONBLOCK until NNG_EAGAIN, or pause the
 * watch, or it is called again at once (the descriptor is level
 * triggered).
 */
typedef struct sn_nngwatch sn_nngwatch;
typedef void (*sn_nngwatch_fn)(nng_socket sock, void *arg);

sn_err sn_nngwatch_open(sn_nngwatch **out, sn_loop *loop, nng_socket sock,
    sn_nngwatch_fn fn, void *arg);
/*
 * What the buffered watches sharing it hold in their inboxes (messages,
 * and their bodies' bytes, at most max), and what they did: the most
 * messages held at once, and the messages dropped past max. Zeroed and
 * max set before the first watch opens; read from any thread (atomics).
 */
typedef struct sn_inbox_budget {
	size_t                max;
	atomic_size_t         bytes, msgs, msgs_max;
	atomic_uint_least64_t dropped;
} sn_inbox_budget;

/*
 * A buffered watch: the socket's messages are received as they come, on
 * one of NNG's threads, whatever the loop is doing, into an inbox; fn runs
 * on the loop when there are some and takes them with sn_nngwatch_recv
 * (until NNG_EAGAIN, or what it leaves is offered again on the next turn).
 * The inbox is counted in *budget, which watches may share; a message
 * that would take its bytes past budget->max is dropped (unless the inbox
 * is empty), as a full socket buffer drops it, and counted. For a SUB
 * socket whose owner may be busy for seconds at a time: NNG's own buffer
 * holds at most 8192 messages.
 */
sn_err sn_nngwatch_open_buffered(sn_nngwatch **out, sn_loop *loop,
    nng_socket sock, sn_inbox_budget *budget, sn_nngwatch_fn fn, void *arg);
/* The next message of the watch's socket (its inbox, if buffered): 0, or
 * NNG_EAGAIN when there is none now. */
int sn_nngwatch_recv(sn_nngwatch *w, nng_msg **msg);
/* Whether the watch's own signal shows something to read now: the
 * descriptor readable (a poll of it, no receive), or the inbox not empty.
 * For an owner that also reads on a timer, to tell a lost wake-up. */
bool sn_nngwatch_signalled(sn_nngwatch *w);
/* Stops calling fn until resumed (for a REP socket busy with a reply). */
void sn_nngwatch_pause(sn_nngwatch *w);
void sn_nngwatch_resume(sn_nngwatch *w);
/*
 * Stops the watch now and frees it later. With close_socket, the socket is
 * closed after the poll handle is gone: NNG closes the descriptor with the
 * socket, so the order matters. NULL is a no-op.
 */
void sn_nngwatch_close(sn_nngwatch *w, bool close_socket);

/*
 * Sets NNG_OPT_RECVMAXSZ (every socket must, design section 2) and, for
 * sockets that send, NNG_OPT_SENDBUF. Logs and translates failures.
 */
sn_err sn_nng_setup(nng_socket sock, size_t recvmaxsz, int sendbuf);

/* Milliseconds of a monotonic clock, for measuring; not wall time. */
uint64_t sn_now_ms(void);

/* Microseconds since the Unix epoch (wall time). */
int64_t sn_wall_us(void);

#endif /* SN_LOOP_H */
