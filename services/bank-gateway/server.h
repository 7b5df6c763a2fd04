/*
 * bank-gateway/server.h - the gateway's REP socket (SN_BANK_URL, where
 * disbursement's requests come in), serving many requests at once, with
 * the work done on the loop (the database lives there). The shape is
 * bank-sim's (issue 5), which served the same protocol before the
 * gateway existed; this one sends every reply at once.
 *
 * One REP socket listens on the URL with `contexts` nng_ctx contexts,
 * each holding one request at a time. A request's life:
 *   NNG thread: the context's receive completes; the request is pushed
 *     on a mutex-protected queue and the loop is woken (uv_async_send);
 *   loop thread: fn(req, body, len, arg) runs; the handler owns req
 *     until it ends it with exactly one of bank_gateway_server_reply or
 *     bank_gateway_server_drop, now or later (after a transaction);
 *   NNG thread: the reply is sent and the context receives again.
 * A dropped request is never answered (the client times out); its
 * context receives again at once.
 *
 * Stopping: after bank_gateway_server_stop, requests already handed to fn
 * may still be answered, requests received but not yet handed are
 * dropped, and no context receives again. bank_gateway_server_close then
 * closes the socket, waits for NNG's callbacks in flight, discards
 * replies not sent yet and frees everything
 * once its uv_async handle is closed.
 *
 * Threads: every function here is for the loop thread only.
 */
#ifndef BANK_GATEWAY_SERVER_H
#define BANK_GATEWAY_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"
#include "sn/loop.h"

typedef struct bank_gateway_server  bank_gateway_server;
typedef struct bank_gateway_request bank_gateway_request;

/* Runs on the loop with a request; body (len bytes) is borrowed until the
 * request is ended. */
typedef void (*bank_gateway_request_fn)(
    bank_gateway_request *req, const uint8_t *body, size_t len, void *arg);

/*
 * Listens on url (any NNG URL) with contexts contexts, taking requests
 * of at most max_request bytes. SN_ENNG (logged) when the socket cannot
 * listen.
 */
sn_err bank_gateway_server_open(bank_gateway_server **out, sn_loop *loop,
    const char *url, int contexts, size_t max_request,
    bank_gateway_request_fn fn, void *arg);

/* Ends req with the reply (len bytes, copied). */
void bank_gateway_server_reply(
    bank_gateway_request *req, const uint8_t *reply, size_t len);

/* Ends req without an answer. */
void bank_gateway_server_drop(bank_gateway_request *req);

/* Takes no new requests (see above). NULL: no-op. */
void bank_gateway_server_stop(bank_gateway_server *s);

/* Requests handed to fn and not ended yet. */
size_t bank_gateway_server_busy(const bank_gateway_server *s);

/* Closes the socket and frees the server later. Every request handed to
 * fn must have been ended. NULL: no-op. */
void bank_gateway_server_close(bank_gateway_server *s);

#endif /* BANK_GATEWAY_SERVER_H */
