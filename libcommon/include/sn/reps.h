/*
 * sn/reps.h - an NNG REP server on the loop: one REP socket serving many
 * requests at once, with the work done on the loop thread (where the
 * database lives). The server side of sn/reqc.h; bank-gateway (issue 14)
 * serves the bank protocol with it (bank-sim did, issue 5, until its NNG
 * side went in issue 14).
 *
 * One REP socket listens on the URL with `contexts` nng_ctx contexts,
 * each holding one request at a time. A request's life:
 *   NNG thread: the context's receive completes; the request is pushed
 *     on a mutex-protected queue and the loop is woken (uv_async_send);
 *   loop thread: fn(req, body, len, arg) runs, with the caller's
 *     request id set (sn/log.h) when its sn_reqc sent one (that field
 *     is taken off body first: sn/reqc.h); the handler owns req
 *     until it ends it with exactly one of sn_reps_reply,
 *     sn_reps_reply_after or sn_reps_drop, now or later (after a
 *     transaction);
 *   NNG thread: the reply is sent, after an nng_sleep_aio when it was
 *     given a delay, and the context receives again.
 * A dropped request is never answered (the client times out); its
 * context receives again at once. So does a context whose reply could
 * not be made (no memory).
 *
 * Stopping: after sn_reps_stop, requests already handed to fn may still
 * be answered, requests received but not yet handed are dropped, and no
 * context receives again. sn_reps_close then closes the socket, waits for
 * NNG's callbacks in flight, discards replies not sent yet (delayed ones
 * among them) and frees everything once its uv_async handle is closed.
 *
 * Threads: every function here is for the loop thread only.
 */
#ifndef SN_REPS_H
#define SN_REPS_H

#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"
#include "sn/loop.h"

typedef struct sn_reps     sn_reps;
typedef struct sn_reps_req sn_reps_req;

/* Runs on the loop with a request; body (len bytes) is borrowed until the
 * request is ended. */
typedef void (*sn_reps_fn)(
    sn_reps_req *req, const uint8_t *body, size_t len, void *arg);

/*
 * Listens on url (any NNG URL, TLS set up by sn_nng_listen) with contexts
 * contexts (at least 1), taking requests of at most max_request bytes.
 * SN_ENNG (logged) when the socket cannot listen, SN_EINVAL (contexts
 * below 1, fn NULL), SN_ENOMEM, SN_EUV.
 */
sn_err sn_reps_open(sn_reps **out, sn_loop *loop, const char *url,
    int contexts, size_t max_request, sn_reps_fn fn, void *arg);

/* Ends req with the reply (len bytes, copied; it may lie in the request's
 * body), sent at once. */
void sn_reps_reply(sn_reps_req *req, const uint8_t *reply, size_t len);

/* Ends req with the reply (len bytes, copied), sent after delay_ms (0: at
 * once). The wait holds no libuv handle; a close during it discards the
 * reply. */
void sn_reps_reply_after(
    sn_reps_req *req, const uint8_t *reply, size_t len, uint32_t delay_ms);

/* Ends req without an answer. */
void sn_reps_drop(sn_reps_req *req);

/* Takes no new requests (see above). NULL: no-op. */
void sn_reps_stop(sn_reps *s);

/* Requests handed to fn and not ended yet. NULL: 0. */
size_t sn_reps_busy(const sn_reps *s);

/* Closes the socket and frees the server later. Every request handed to
 * fn must have been ended. NULL: no-op. */
void sn_reps_close(sn_reps *s);

#endif /* SN_REPS_H */
