/*
 * bank.c - see bank.h.
 *
 * The transport and the retries are sn_reqc's: a call is one
 * sn_reqc_call_retry with the bytes packed once, so every try sends the
 * very same batch id and end-to-end ids (a retry never makes a new id).
 * What is left here is the judgement of each try (a reply that does not
 * decode, or answers another kind of request, is retried like a lost
 * one), the metrics and the answer. A call is always owned by exactly one
 * pending sn_reqc call, so closing the client ends every call through
 * on_try with SN_ECLOSED.
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
enum kind { KIND_BATCH = 0, KIND_QUERY, KIND_FUNDS, NKIND };

/* A FundQuery is asked while someone waits for the answer. */
#define FUNDS_RETRIES 1u

struct disbursement_bank {
	sn_reqc      *reqc;
	size_t        nlive;
	bool          closing;
	sn_reqc_retry policy, funds_policy;
	sn_counter   *requests[NKIND][NOUT];
};

typedef struct call {
	disbursement_bank   *owner;
	enum kind            kind;
	uint32_t             tries_seen; /* tries judged so far */
	enum outcome         last;       /* of the last try judged */
	disbursement_bank_fn fn;
	void                *arg;
} call;

static const char *const outcome_names[NOUT]
    = { "ok", "timeout", "malformed", "unreachable" };
static const char *const kind_names[NKIND] = { "batch", "query", "funds" };

static void
call_free(call *c)
{
	c->owner->nlive--;
	free(c);
}

/* The caller's answer once no try is left; ends the call. */
static sn_reqc_verdict
finish(call *c, sn_err err, const Sn__Bank__V1__BankReply *reply)
{
	c->fn(err, reply, c->arg);
	call_free(c);
	return SN_REQC_DONE;
}

/* Whether r answers this call's kind of request. A FundQuery is also
 * answered by the refusal of an adapter that does not know it. */
static bool
answers(const call *c, const Sn__Bank__V1__BankReply *r)
{
	switch (c->kind) {
	case KIND_BATCH:
		return r->body_case == SN__BANK__V1__BANK_REPLY__BODY_BATCH
		    && r->batch != NULL;
	case KIND_QUERY:
		return r->body_case == SN__BANK__V1__BANK_REPLY__BODY_STATUS
		    && r->status != NULL;
	case KIND_FUNDS:
		return (r->body_case == SN__BANK__V1__BANK_REPLY__BODY_FUNDS
		           && r->funds != NULL)
		    || (r->body_case == SN__BANK__V1__BANK_REPLY__BODY_BATCH
		        && r->batch != NULL && !r->batch->accepted);
	case NKIND:
		break;
	}
	return false;
}

/* The reply decoded, if it answers this call's kind of request. */
static Sn__Bank__V1__BankReply *
decode(const call *c, const uint8_t *buf, size_t len)
{
	Sn__Bank__V1__BankReply *r
	    = sn__bank__v1__bank_reply__unpack(NULL, len, buf);
	bool ok = r != NULL && answers(c, r);
	if (!ok && r != NULL) {
		sn__bank__v1__bank_reply__free_unpacked(r, NULL);
		r = NULL;
	}
	return r;
}

static sn_reqc_verdict
on_try(const sn_reqc_try *t, void *arg)
{
	call              *c = arg;
	disbursement_bank *b = c->owner;
	if (t->err == SN_ECLOSED)
		return finish(c, SN_ECLOSED, NULL);
	if (t->tries == c->tries_seen) {
		/* The retry could not be sent: the last try's outcome
		 * stands. */
		return finish(
		    c, c->last == OUT_TIMEOUT ? SN_ETIMEDOUT : SN_ENNG, NULL);
	}
	c->tries_seen = t->tries;
	if (t->err == SN_OK) {
		Sn__Bank__V1__BankReply *r = decode(c, t->reply, t->len);
		if (r != NULL) {
			/* A FundQuery refused: an adapter not knowing it */
			bool refused = c->kind == KIND_FUNDS
			    && r->body_case
			        == SN__BANK__V1__BANK_REPLY__BODY_BATCH;
			sn_counter_add(b->requests[c->kind][OUT_OK], 1);
			finish(c, refused ? SN_EPROTO : SN_OK,
			    refused ? NULL : r);
			sn__bank__v1__bank_reply__free_unpacked(r, NULL);
			return SN_REQC_DONE;
		}
		c->last = OUT_MALFORMED;
	} else {
		c->last
		    = t->err == SN_ETIMEDOUT ? OUT_TIMEOUT : OUT_UNREACHABLE;
	}
	sn_counter_add(b->requests[c->kind][c->last], 1);
	if (!t->final)
		return SN_REQC_RETRY;
	sn_log(SN_LOG_WARN, "bank request failed after retries", "kind",
	    kind_names[c->kind], "outcome", outcome_names[c->last], "error",
	    t->err != SN_OK ? sn_strerror(t->err) : NULL, NULL);
	return finish(
	    c, c->last == OUT_TIMEOUT ? SN_ETIMEDOUT : SN_ENNG, NULL);
}

sn_err
disbursement_bank_open(disbursement_bank **out, sn_loop *loop, sn_metrics *m,
    const disbursement_bank_config *cfg)
{
	disbursement_bank *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return SN_ENOMEM;
	b->policy       = (sn_reqc_retry) { .timeout_ms = cfg->timeout_ms,
		      .retries                          = cfg->retries,
		      .backoff_ms                       = cfg->backoff_ms,
		      .backoff_max_ms                   = BACKOFF_MAX_MS };
	b->funds_policy = b->policy;
	b->funds_policy.retries
	    = cfg->retries < FUNDS_RETRIES ? cfg->retries : FUNDS_RETRIES;
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
	enum kind kind;
	switch (req->body_case) {
	case SN__BANK__V1__BANK_REQUEST__BODY_BATCH:
		kind = KIND_BATCH;
		break;
	case SN__BANK__V1__BANK_REQUEST__BODY_QUERY:
		kind = KIND_QUERY;
		break;
	case SN__BANK__V1__BANK_REQUEST__BODY_FUNDS:
		kind = KIND_FUNDS;
		break;
	default:
		return SN_EINVAL;
	}
	if (fn == NULL)
		return SN_EINVAL;
	call *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SN_ENOMEM;
	c->owner = b;
	c->kind  = kind;
	c->fn    = fn;
	c->arg   = arg;
	b->nlive++;
	size_t   len = sn__bank__v1__bank_request__get_packed_size(req);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	sn_err   err = SN_ENOMEM;
	if (buf != NULL) {
		sn__bank__v1__bank_request__pack(req, buf);
		/* sn_reqc copies the bytes: every try sends these. */
		err = sn_reqc_call_retry(b->reqc, buf, len,
		    kind == KIND_FUNDS ? &b->funds_policy : &b->policy, on_try,
		    c);
		free(buf);
	}
	if (err != SN_OK)
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
