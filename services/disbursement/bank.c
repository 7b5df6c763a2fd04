/*
 * bank.c - see bank.h.
 *
 * The transport is sn_reqc: a try is one sn_reqc_call, a retry an
 * sn_reqc_call_after with the backoff, and every answer comes back on the
 * loop thread. What is left here is the policy: the outcome of a try,
 * whether to try again, what to count and what to answer. A call is
 * always owned by exactly one pending sn_reqc call, so closing the client
 * ends every call through on_try with SN_ECLOSED.
 */
#include "bank.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/log.h"
#include "sn/reqc.h"

#define BACKOFF_MAX_MS 5000u
#define REPLY_MAX (64u << 20)

enum outcome { OUT_OK = 0, OUT_TIMEOUT, OUT_MALFORMED, OUT_UNREACHABLE, NOUT };
enum kind { KIND_BATCH = 0, KIND_QUERY, NKIND };

typedef struct call call;

struct disbursement_bank {
	sn_reqc    *reqc;
	size_t      nlive;
	bool        closing;
	uint32_t    timeout_ms, retries, backoff_ms;
	sn_counter *requests[NKIND][NOUT];
};

struct call {
	disbursement_bank   *owner;
	enum kind            kind;
	uint32_t             tries;
	uint8_t             *req;
	size_t               req_len;
	disbursement_bank_fn fn;
	void                *arg;
};

static const char *const outcome_names[NOUT]
    = { "ok", "timeout", "malformed", "unreachable" };
static const char *const kind_names[NKIND] = { "batch", "query" };

static void
call_free(call *c)
{
	c->owner->nlive--;
	free(c->req);
	free(c);
}

static void on_try(sn_err err, const uint8_t *reply, size_t len,
    uint64_t latency_us, void *arg);

static sn_err
start_try(call *c, uint32_t delay_ms)
{
	disbursement_bank *b = c->owner;
	c->tries++;
	return sn_reqc_call_after(
	    b->reqc, delay_ms, c->req, c->req_len, b->timeout_ms, on_try, c);
}

static void
try_failed(call *c, enum outcome o, sn_err err)
{
	disbursement_bank *b = c->owner;
	sn_counter_add(b->requests[c->kind][o], 1);
	if (c->tries <= b->retries) {
		uint32_t shift = c->tries - 1 < 16 ? c->tries - 1 : 16;
		uint64_t ms    = (uint64_t) b->backoff_ms << shift;
		if (ms > BACKOFF_MAX_MS)
			ms = BACKOFF_MAX_MS;
		if (start_try(c, (uint32_t) ms) == SN_OK)
			return;
	}
	sn_log(SN_LOG_WARN, "bank request failed after retries", "kind",
	    kind_names[c->kind], "outcome", outcome_names[o], "error",
	    err != SN_OK ? sn_strerror(err) : NULL, NULL);
	c->fn(o == OUT_TIMEOUT ? SN_ETIMEDOUT : SN_ENNG, NULL, c->arg);
	call_free(c);
}

static void
on_reply(call *c, const uint8_t *buf, size_t len)
{
	disbursement_bank       *b = c->owner;
	Sn__Bank__V1__BankReply *r
	    = sn__bank__v1__bank_reply__unpack(NULL, len, buf);
	bool ok = r != NULL
	    && ((c->kind == KIND_BATCH
	            && r->body_case == SN__BANK__V1__BANK_REPLY__BODY_BATCH)
	        || (c->kind == KIND_QUERY
	            && r->body_case == SN__BANK__V1__BANK_REPLY__BODY_STATUS));
	if (!ok) {
		if (r != NULL)
			sn__bank__v1__bank_reply__free_unpacked(r, NULL);
		try_failed(c, OUT_MALFORMED, SN_OK);
		return;
	}
	sn_counter_add(b->requests[c->kind][OUT_OK], 1);
	c->fn(SN_OK, r, c->arg);
	sn__bank__v1__bank_reply__free_unpacked(r, NULL);
	call_free(c);
}

static void
on_try(sn_err err, const uint8_t *reply, size_t len, uint64_t latency_us,
    void *arg)
{
	call *c = arg;
	(void) latency_us;
	switch (err) {
	case SN_OK:
		on_reply(c, reply, len);
		return;
	case SN_ECLOSED:
		c->fn(SN_ECLOSED, NULL, c->arg);
		call_free(c);
		return;
	case SN_ETIMEDOUT:
		try_failed(c, OUT_TIMEOUT, err);
		return;
	default:
		try_failed(c, OUT_UNREACHABLE, err);
		return;
	}
}

sn_err
disbursement_bank_open(disbursement_bank **out, sn_loop *loop, sn_metrics *m,
    const disbursement_bank_config *cfg)
{
	disbursement_bank *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return SN_ENOMEM;
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
	sn_err err = sn_reqc_open(&b->reqc, loop, cfg->url, REPLY_MAX);
	if (err != SN_OK) {
		sn_log(SN_LOG_ERROR, "bank client failed", "url", cfg->url,
		    "error", sn_strerror(err), NULL);
		free(b);
		return err;
	}
	*out = b;
	return SN_OK;
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
	c->owner = b;
	c->kind  = req->body_case == SN__BANK__V1__BANK_REQUEST__BODY_BATCH
	     ? KIND_BATCH
	     : KIND_QUERY;
	c->fn    = fn;
	c->arg   = arg;
	b->nlive++;
	sn_err err = SN_ENOMEM;
	c->req_len = sn__bank__v1__bank_request__get_packed_size(req);
	if ((c->req = malloc(c->req_len ? c->req_len : 1)) == NULL)
		goto fail;
	sn__bank__v1__bank_request__pack(req, c->req);
	if ((err = start_try(c, 0)) != SN_OK)
		goto fail;
	return SN_OK;

fail:
	call_free(c);
	return err;
}

size_t
disbursement_bank_inflight(const disbursement_bank *b)
{
	return b->nlive;
}

void
disbursement_bank_close(disbursement_bank *b)
{
	if (b == NULL)
		return;
	b->closing = true;
	/* Runs on_try with SN_ECLOSED for every call, now. */
	sn_reqc_close(b->reqc);
	free(b);
}
