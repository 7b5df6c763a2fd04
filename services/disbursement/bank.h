/*
 * bank.h - the client of the bank adapter (proto/sn/bank/v1/bank.proto):
 * protobuf request and reply over NNG req/rep, without blocking the loop.
 * The adapter is bank-gateway (issue 14), locally, in the tests and in
 * production alike; which bank it pays through (bank-sim or a real one)
 * is the gateway's setting, never SN_BANK_URL's.
 *
 * One REQ socket, dialled at open (NNG reconnects by itself). Every request
 * is a call with its own nng_ctx and nng_aio, so several are in flight on
 * the one socket. Completions arrive as aio callbacks on NNG's threads,
 * which only record the result, push the call on a mutex-protected queue
 * and wake the loop with uv_async_send; every decision is taken on the
 * loop thread.
 *
 * Retries (sn_reqc_call_retry). A try fails on a timeout (timeout_ms for
 * send and receive together), a transport error or a reply that does not
 * decode; it is retried up to `retries` more times after backoff_ms,
 * doubling (capped at 5 s), with the very same bytes: the same batch id
 * and the same end-to-end ids, which the bank answers with its first
 * status and never pays twice. The REQ protocol's own resend is off, so
 * only these tries go out.
 *
 * A FundQuery (issue 14: which funds have an account at bank-gateway,
 * asked while a finance approver waits) has a short policy of its own:
 * one retry, no more. An adapter that does not know it answers with a
 * BatchReply refusing a "malformed request": that refusal ends the call
 * with SN_EPROTO (see disbursement_bank_fn), not retried, and the
 * approval waiting for it is refused (handlers.h).
 *
 * Every try counts in sn_disbursement_bank_requests_total{kind,outcome}
 * (kind batch, query or funds; outcome ok, timeout, malformed,
 * unreachable).
 *
 * Threads: every function here is for the loop thread only.
 */
#ifndef DISBURSEMENT_BANK_H
#define DISBURSEMENT_BANK_H

#include <stddef.h>
#include <stdint.h>

#include "sn/bank/v1/bank.pb-c.h"
#include "sn/err.h"
#include "sn/loop.h"
#include "sn/metrics.h"

typedef struct disbursement_bank disbursement_bank;

typedef struct disbursement_bank_config {
	const char *url;        /* SN_BANK_URL; borrowed during open */
	uint32_t    timeout_ms; /* per try */
	uint32_t    retries;    /* tries after the first */
	uint32_t    backoff_ms; /* before the first retry; doubles */
} disbursement_bank_config;

/*
 * The end of a call, on the loop thread, exactly once. SN_ECLOSED (reply
 * NULL) when the client closes first: free what arg holds, start
 * nothing. SN_OK with the decoded reply, borrowed for the callback only:
 * a BatchReply to a batch, a StatusReply to a query, a FundReply to a
 * FundQuery; SN_EPROTO (reply NULL) for a FundQuery that a bank adapter
 * not knowing FundQuery refused (a BatchReply with accepted false);
 * SN_ETIMEDOUT or SN_ENNG (reply NULL) when
 * every try failed: what became of the request is then unknown, and the caller
 * must ask with a StatusQuery before anything goes out under a new id.
 */
typedef void (*disbursement_bank_fn)(
    sn_err err, const Sn__Bank__V1__BankReply *reply, void *arg);

/* Opens the socket and dials url (non-blocking). m is borrowed and must
 * outlive the client. */
sn_err disbursement_bank_open(disbursement_bank **out, sn_loop *loop,
    sn_metrics *m, const disbursement_bank_config *cfg);

/*
 * Sends req (a batch, a status query or a FundQuery; packed here, once;
 * req is not kept) and calls fn with the answer. SN_ECLOSED once
 * closing, SN_EINVAL for a request without one of those bodies,
 * SN_ENOMEM.
 */
sn_err disbursement_bank_call(disbursement_bank *b,
    const Sn__Bank__V1__BankRequest *req, disbursement_bank_fn fn, void *arg);

/* Calls in flight. */
size_t disbursement_bank_inflight(const disbursement_bank *b);

/*
 * Aborts every call (their callbacks run now with SN_ECLOSED) and closes
 * the request client (sn/reqc.h), which frees itself once its handles are
 * closed. NULL: no-op.
 */
void disbursement_bank_close(disbursement_bank *b);

#endif /* DISBURSEMENT_BANK_H */
