/*
 * sn/reqc.h - an asynchronous NNG request client on the loop: one REQ
 * socket, any number of requests in flight on it, every answer handed to
 * the loop thread.
 *
 * A call is one try: the request is sent with a deadline and the reply is
 * received with what is left of it. Each call has its own nng_ctx and
 * nng_aio (STYLE.md "Known traps": a REQ socket has one request in flight,
 * contexts lift that). Completions arrive on NNG's threads, which only
 * record the result, push the call on a mutex-protected queue and wake the
 * loop with uv_async_send; the callback runs on the loop thread. Retry
 * policy, backoff, metrics and decoding belong to the caller: a retry is a
 * new call, sn_reqc_call_after when it should wait first.
 *
 * The request id (sn/log.h) goes with a call: one made while the thread
 * has a request id sends, before the caller's bytes, one protobuf field
 * holding it (number SN_REQC_RID_FIELD, wire type 2). The caller's bytes
 * are a protobuf message that does not use that number (AgencyRequest
 * and BankRequest declare it as sn_request_id), so a peer that decodes
 * them gets the caller's message, the id beside it; sn_reps takes the
 * field off before its handler sees the bytes and sets the id around the
 * handler. A call made with no request id sends the caller's bytes as
 * they are. Its callback runs with the id again.
 *
 * The REQ protocol's own resend is off, so only the caller's calls go out.
 * NNG dials in the background and reconnects by itself (50 ms, doubling up
 * to 1 s); a call made while the peer is away waits for it within its
 * deadline.
 *
 * Threads: every function here is for the loop thread only.
 */
#ifndef SN_REQC_H
#define SN_REQC_H

#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"
#include "sn/log.h"
#include "sn/loop.h"

typedef struct sn_reqc sn_reqc;

/*
 * The end of one call, on the loop thread, exactly once:
 *   SN_OK        reply/len is the reply's body, borrowed for the callback
 *                only (copy what must outlive it);
 *   SN_ETIMEDOUT no reply within the deadline (reply NULL, len 0);
 *   SN_ENNG      any other transport failure (reply NULL, len 0);
 *   SN_ECLOSED   the client is closing: the callback runs from inside
 *                sn_reqc_close (reply NULL, len 0); free what arg holds
 *                and start nothing (sn_reqc_call answers SN_ECLOSED).
 * latency_us is the time from sending to the answer or the deadline (0
 * for SN_ECLOSED); a delay given to sn_reqc_call_after is not in it. arg
 * is the caller's, borrowed. The callback may call sn_reqc_call and
 * sn_reqc_close on the same client.
 */
typedef void (*sn_reqc_fn)(sn_err err, const uint8_t *reply, size_t len,
    uint64_t latency_us, void *arg);

/*
 * Opens a REQ socket whose replies may be at most recvmaxsz bytes
 * (NNG_OPT_RECVMAXSZ; 0 means no limit, which design section 2 forbids
 * outside tests; a larger reply is dropped and the call times out) and
 * dials url without blocking: a peer that is not there yet is no
 * error. url is copied by NNG. SN_ENNG (logged) when the socket cannot be
 * opened or url is malformed, SN_EUV, SN_ENOMEM.
 */
sn_err sn_reqc_open(
    sn_reqc **out, sn_loop *loop, const char *url, size_t recvmaxsz);

/*
 * Sends the len bytes of req (copied; the caller keeps req) and calls fn
 * with the answer, within about timeout_ms. SN_EINVAL when fn is NULL or
 * timeout_ms is 0, SN_ECLOSED once closing, SN_ENOMEM, SN_ENNG: then fn
 * will not run and arg is still the caller's.
 */
sn_err sn_reqc_call(sn_reqc *c, const void *req, size_t len,
    uint32_t timeout_ms, sn_reqc_fn fn, void *arg);

/*
 * sn_reqc_call after delay_ms (0: at once). The wait holds no libuv
 * handle and counts in sn_reqc_inflight; a close during the wait ends
 * the call with SN_ECLOSED. Same return values.
 */
sn_err sn_reqc_call_after(sn_reqc *c, uint32_t delay_ms, const void *req,
    size_t len, uint32_t timeout_ms, sn_reqc_fn fn, void *arg);

/*
 * Retry with backoff, the policy verification's agencies and
 * disbursement's bank share. The request is sent up to 1 + retries
 * times; after try k fails, the next waits backoff_ms << (k - 1), at most
 * backoff_max_ms.
 */
typedef struct sn_reqc_retry {
	uint32_t timeout_ms;     /* per try; > 0 */
	uint32_t retries;        /* tries after the first */
	uint32_t backoff_ms;     /* wait before the first retry */
	uint32_t backoff_max_ms; /* 0: 30000 */
} sn_reqc_retry;

/* The wait after the k-th try failed (k >= 1): backoff_ms << (k - 1), at
 * most backoff_max_ms (0: 30000). The schedule sn_reqc_call_retry keeps. */
uint32_t sn_reqc_retry_delay_ms(const sn_reqc_retry *policy, uint32_t k);

/* What one try came to, borrowed for the callback. */
typedef struct sn_reqc_try {
	sn_err         err;   /* as sn_reqc_fn */
	const uint8_t *reply; /* SN_OK only */
	size_t         len;
	uint64_t       latency_us; /* of this try */
	uint32_t       tries;      /* 1 for the first */
	/* No retry can follow (retries used up, or SN_ECLOSED): the call is
	 * over after this callback whatever it returns. */
	bool final;
} sn_reqc_try;

typedef enum sn_reqc_verdict {
	SN_REQC_DONE,  /* the call is over: the callback has finished it */
	SN_REQC_RETRY, /* try again after the backoff (ignored when final) */
} sn_reqc_verdict;

/*
 * Runs once per try on the loop thread. The callback judges the answer
 * (a reply may be malformed, or answer another request) and returns
 * SN_REQC_RETRY to try again or SN_REQC_DONE when it has finished with
 * the call; when t->final is set it must finish whatever it returns. A
 * retry that cannot be sent (the client closing) calls it once more with
 * that error and final set.
 */
typedef sn_reqc_verdict (*sn_reqc_try_fn)(const sn_reqc_try *t, void *arg);

/*
 * Sends req (copied) under the policy (copied). SN_EINVAL for no fn or a
 * zero timeout, SN_ECLOSED, SN_ENOMEM, SN_ENNG: then fn never runs.
 */
sn_err sn_reqc_call_retry(sn_reqc *c, const void *req, size_t len,
    const sn_reqc_retry *policy, sn_reqc_try_fn fn, void *arg);

/* The field that carries the request id: the largest number protobuf
 * allows, out of every message's way. */
#define SN_REQC_RID_FIELD 536870911u

/*
 * The request id sn_reqc put at the start of body (len bytes): copied
 * into rid ("" when there is none, or when it is not 1-64 characters of
 * [A-Za-z0-9._-]); returns the bytes the field takes (0: there is none),
 * after which the caller's message begins. For REP peers (sn_reps uses
 * it).
 */
size_t sn_reqc_rid_take(
    const uint8_t *body, size_t len, char rid[SN_LOG_REQUEST_ID_MAX + 1]);

/* Calls whose callback has not yet run. */
size_t sn_reqc_inflight(const sn_reqc *c);

/*
 * Stops every call, runs each pending callback now, once, with
 * SN_ECLOSED (in no particular order), closes the socket, and frees the
 * client once its async handle is closed: the loop must run after this.
 * After it returns no callback of c runs again. Calling it again from a
 * callback it runs is a no-op; NULL is a no-op.
 */
void sn_reqc_close(sn_reqc *c);

#endif /* SN_REQC_H */
