/*
 * verification/agencies.c - see agencies.h.
 *
 * A call's life: start_try (loop) -> nng_ctx_send -> on_aio (NNG thread:
 * record, queue, wake) -> on_async (loop) -> nng_ctx_recv -> on_aio ->
 * on_async -> done, or try_failed -> nng_sleep_aio -> on_aio -> on_async
 * -> start_try again. The backoff sleeps on an aio of its own: nng 1.5.2
 * leaves an aio's sleep state behind, and a later receive timing out on
 * the same aio then completes with 0 and no message. The NNG callback never starts an operation, so
 * stopping an aio (nng_aio_stop) never races with a new one.
 */
#include "agencies.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/protocol/reqrep0/req.h>

#include "sn/agency/v1/agency.pb-c.h"
#include "sn/log.h"

#define BACKOFF_MAX_MS 30000u
#define REPLY_MAX      (4u << 20)

enum call_state { ST_SEND, ST_RECV, ST_SLEEP };

typedef struct call call;

struct verification_agencies {
	uv_loop_t    *uv;
	uv_async_t    async;
	uv_mutex_t    qlock;
	call         *qhead, *qtail; /* completions for the loop (qlock) */
	call         *live;          /* every call (loop thread) */
	size_t        nlive;
	bool          closing;
	nng_socket    socks[VERIFICATION_NAGENCIES];
	bool          open[VERIFICATION_NAGENCIES];
	uint32_t      timeout_ms, retries, backoff_ms;
	sn_counter   *requests[VERIFICATION_NAGENCIES][VERIFICATION_NOUTCOMES];
	sn_histogram *latency[VERIFICATION_NAGENCIES];
};

struct call {
	verification_agencies *owner;
	call                  *prev, *next; /* live list */
	call                  *qnext;       /* completion queue */
	int                    agency;
	nng_ctx                ctx;
	nng_aio               *aio;
	nng_aio               *sleep_aio; /* backoff only */
	enum call_state        state;
	uint32_t               tries;
	uint64_t               t0, deadline;
	/* Written by the NNG callback, read by the loop after dequeuing. */
	int      rv;
	nng_msg *msg;
	uint64_t done_ms;
	/* The request, packed once. */
	uint8_t *req;
	size_t   req_len;
	char   **ids;
	size_t   nids;
	char     request_id[128];
	verification_answer_fn fn;
	void                  *arg;
};

static const char *const outcome_names[VERIFICATION_NOUTCOMES] = {
	"ok", "error", "timeout", "no_consent", "malformed", "unreachable",
};

const char *
verification_outcome_name(int outcome)
{
	if (outcome < 0 || outcome >= VERIFICATION_NOUTCOMES)
		return NULL;
	return outcome_names[outcome];
}

/* ---- NNG thread --------------------------------------------------------- */

static void
on_aio(void *arg)
{
	call                  *c = arg;
	verification_agencies *a = c->owner;
	if (c->state == ST_SLEEP) {
		c->rv  = nng_aio_result(c->sleep_aio);
		c->msg = NULL;
		goto queue;
	}
	c->rv  = nng_aio_result(c->aio);
	c->msg = NULL;
	/* A received reply, or a request that was not sent: ours to free. */
	if ((c->state == ST_RECV && c->rv == 0) ||
	    (c->state == ST_SEND && c->rv != 0))
		c->msg = nng_aio_get_msg(c->aio);
	nng_aio_set_msg(c->aio, NULL);
	/* Never "received nothing successfully". */
	if (c->state == ST_RECV && c->rv == 0 && c->msg == NULL)
		c->rv = NNG_ETIMEDOUT;
queue:
	c->done_ms = sn_now_ms();
	c->qnext   = NULL;
	uv_mutex_lock(&a->qlock);
	if (a->qtail != NULL)
		a->qtail->qnext = c;
	else
		a->qhead = c;
	a->qtail = c;
	uv_mutex_unlock(&a->qlock);
	uv_async_send(&a->async);
}

/* ---- loop thread -------------------------------------------------------- */

static void
call_free(call *c)
{
	verification_agencies *a = c->owner;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		a->live = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	a->nlive--;
	if (c->aio != NULL)
		nng_aio_free(c->aio); /* waits for a callback still running */
	if (c->sleep_aio != NULL)
		nng_aio_free(c->sleep_aio);
	nng_ctx_close(c->ctx);
	if (c->msg != NULL)
		nng_msg_free(c->msg);
	for (size_t i = 0; i < c->nids; i++)
		free(c->ids[i]);
	free(c->ids);
	free(c->req);
	free(c);
}

static void
count(verification_agencies *a, call *c, verification_outcome o,
    bool timed)
{
	sn_counter_add(a->requests[c->agency][o], 1);
	if (timed)
		sn_histogram_observe(a->latency[c->agency],
		    (double) (c->done_ms - c->t0) / 1000.0);
}

static void
finish(call *c, verification_outcome o, const char *error,
    const char *answered_at, const uint8_t *reply, size_t reply_len,
    const verification_person *persons)
{
	verification_answer ans = { .agency = c->agency,
		.outcome = o,
		.tries = c->tries,
		.latency_ms = c->done_ms >= c->t0 ? c->done_ms - c->t0 : 0,
		.error = error != NULL ? error : "",
		.answered_at = answered_at != NULL ? answered_at : "",
		.reply = reply,
		.reply_len = reply_len,
		.persons = persons,
		.npersons = persons != NULL ? c->nids : 0 };
	c->fn(&ans, c->arg);
}

static void
start_try(call *c)
{
	verification_agencies *a = c->owner;
	nng_msg               *msg;
	c->tries++;
	c->t0       = sn_now_ms();
	c->deadline = c->t0 + a->timeout_ms;
	if (nng_msg_alloc(&msg, 0) != 0)
		abort(); /* out of memory */
	if (nng_msg_append(msg, c->req, c->req_len) != 0)
		abort();
	c->state = ST_SEND;
	nng_aio_set_msg(c->aio, msg);
	nng_aio_set_timeout(c->aio, (nng_duration) a->timeout_ms);
	nng_ctx_send(c->ctx, c->aio);
}

static void
try_failed(call *c, verification_outcome o, const char *why)
{
	verification_agencies *a = c->owner;
	count(a, c, o, true);
	if (c->tries <= a->retries) {
		uint32_t shift = c->tries - 1 < 16 ? c->tries - 1 : 16;
		uint64_t ms    = (uint64_t) a->backoff_ms << shift;
		if (ms > BACKOFF_MAX_MS)
			ms = BACKOFF_MAX_MS;
		c->state = ST_SLEEP;
		nng_sleep_aio((nng_duration) ms, c->sleep_aio);
		return;
	}
	finish(c, o, why, NULL, NULL, 0, NULL);
	call_free(c);
}

static void
on_reply(call *c)
{
	verification_agencies *a   = c->owner;
	nng_msg               *msg = c->msg; /* ours; c may be freed below */
	size_t                 len = nng_msg_len(msg);
	const uint8_t         *buf = nng_msg_body(msg);
	c->msg                     = NULL;
	Sn__Agency__V1__AgencyReply *r =
	    sn__agency__v1__agency_reply__unpack(NULL, len, buf);
	if (r == NULL || strcmp(r->request_id, c->request_id) != 0 ||
	    (int) r->agency != c->agency + 1) {
		if (r != NULL)
			sn__agency__v1__agency_reply__free_unpacked(r, NULL);
		try_failed(c, VERIFICATION_OUTCOME_MALFORMED,
		    "malformed reply");
		nng_msg_free(msg);
		return;
	}
	switch (r->status) {
	case SN__AGENCY__V1__REPLY_STATUS__REPLY_OK: {
		verification_person persons[VERIFICATION_MAX_MEMBERS];
		memset(persons, 0, sizeof(persons));
		if (verification_agencies_decode(c->agency,
		        (const char *const *) c->ids, c->nids, buf, len,
		        persons) != SN_OK) {
			try_failed(c, VERIFICATION_OUTCOME_MALFORMED,
			    "reply records do not match the request");
			break;
		}
		count(a, c, VERIFICATION_OUTCOME_OK, true);
		finish(c, VERIFICATION_OUTCOME_OK, "", r->answered_at, buf,
		    len, persons);
		call_free(c);
		break;
	}
	case SN__AGENCY__V1__REPLY_STATUS__REPLY_NO_CONSENT:
		count(a, c, VERIFICATION_OUTCOME_NO_CONSENT, true);
		finish(c, VERIFICATION_OUTCOME_NO_CONSENT, r->error,
		    r->answered_at, buf, len, NULL);
		call_free(c);
		break;
	case SN__AGENCY__V1__REPLY_STATUS__REPLY_ERROR:
		try_failed(c, VERIFICATION_OUTCOME_ERROR,
		    r->error[0] ? r->error : "agency error");
		break;
	default:
		try_failed(c, VERIFICATION_OUTCOME_MALFORMED,
		    "reply without a status");
		break;
	}
	sn__agency__v1__agency_reply__free_unpacked(r, NULL);
	nng_msg_free(msg);
}

static void
on_completion(call *c)
{
	verification_agencies *a = c->owner;
	switch (c->state) {
	case ST_SEND:
		if (c->rv != 0) {
			if (c->msg != NULL) {
				nng_msg_free(c->msg);
				c->msg = NULL;
			}
			try_failed(c,
			    c->rv == NNG_ETIMEDOUT
			        ? VERIFICATION_OUTCOME_TIMEOUT
			        : VERIFICATION_OUTCOME_UNREACHABLE,
			    nng_strerror(c->rv));
			return;
		}
		uint64_t now = sn_now_ms();
		if (now >= c->deadline) {
			c->done_ms = now;
			try_failed(c, VERIFICATION_OUTCOME_TIMEOUT,
			    "deadline passed");
			return;
		}
		c->state = ST_RECV;
		nng_aio_set_timeout(c->aio, (nng_duration) (c->deadline - now));
		nng_ctx_recv(c->ctx, c->aio);
		return;
	case ST_RECV:
		if (c->rv != 0) {
			try_failed(c,
			    c->rv == NNG_ETIMEDOUT
			        ? VERIFICATION_OUTCOME_TIMEOUT
			        : VERIFICATION_OUTCOME_UNREACHABLE,
			    nng_strerror(c->rv));
			return;
		}
		on_reply(c);
		return;
	case ST_SLEEP:
		start_try(c);
		return;
	}
	(void) a;
}

static void
on_async(uv_async_t *h)
{
	verification_agencies *a = h->data;
	uv_mutex_lock(&a->qlock);
	call *c  = a->qhead;
	a->qhead = a->qtail = NULL;
	uv_mutex_unlock(&a->qlock);
	while (c != NULL && !a->closing) {
		call *next = c->qnext;
		on_completion(c);
		c = next;
	}
}

sn_err
verification_agencies_open(verification_agencies **out, sn_loop *loop,
    sn_metrics *m, const verification_agencies_config *cfg)
{
	verification_agencies *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return SN_ENOMEM;
	a->uv         = sn_loop_uv(loop);
	a->timeout_ms = cfg->timeout_ms;
	a->retries    = cfg->retries;
	a->backoff_ms = cfg->backoff_ms;
	for (int i = 0; i < VERIFICATION_NAGENCIES; i++) {
		char labels[128];
		for (int o = 0; o < VERIFICATION_NOUTCOMES; o++) {
			snprintf(labels, sizeof(labels),
			    "agency=\"%s\",outcome=\"%s\"",
			    verification_agency_name(i), outcome_names[o]);
			a->requests[i][o] = sn_metrics_counter(m,
			    "sn_verification_agency_requests_total",
			    "Requests to agencies (each try), by outcome",
			    labels);
		}
		snprintf(labels, sizeof(labels), "agency=\"%s\"",
		    verification_agency_name(i));
		a->latency[i] = sn_metrics_histogram(m,
		    "sn_verification_agency_request_duration_seconds",
		    "Time from request to answer or deadline, per try",
		    labels, sn_metrics_latency_bounds,
		    sn_metrics_latency_nbounds);
		if (a->latency[i] == NULL) {
			free(a);
			return SN_ENOMEM;
		}
	}
	if (uv_mutex_init(&a->qlock) != 0) {
		free(a);
		return SN_EUV;
	}
	sn_err err = SN_OK;
	for (int i = 0; i < VERIFICATION_NAGENCIES; i++) {
		int rv = nng_req0_open(&a->socks[i]);
		if (rv != 0) {
			sn_log(SN_LOG_ERROR, "agency socket failed", "agency",
			    verification_agency_name(i), "error",
			    nng_strerror(rv), NULL);
			err = SN_ENNG;
			goto fail_socks;
		}
		a->open[i] = true;
		if ((err = sn_nng_setup(a->socks[i], REPLY_MAX, 0)) != SN_OK)
			goto fail_socks;
		/* Our own retries decide; the REQ protocol's resend must not
		 * fire inside a deadline. */
		nng_socket_set_ms(a->socks[i], NNG_OPT_REQ_RESENDTIME,
		    NNG_DURATION_INFINITE);
		nng_socket_set_ms(a->socks[i], NNG_OPT_RECONNMINT, 50);
		nng_socket_set_ms(a->socks[i], NNG_OPT_RECONNMAXT, 2000);
		rv = nng_dial(a->socks[i], cfg->urls[i], NULL,
		    NNG_FLAG_NONBLOCK);
		if (rv != 0) {
			sn_log(SN_LOG_ERROR, "agency dial failed", "agency",
			    verification_agency_name(i), "url", cfg->urls[i],
			    "error", nng_strerror(rv), NULL);
			err = SN_ENNG;
			goto fail_socks;
		}
	}
	if (uv_async_init(a->uv, &a->async, on_async) != 0) {
		err = SN_EUV;
		goto fail_socks;
	}
	a->async.data = a;
	*out          = a;
	return SN_OK;

fail_socks:
	for (int i = 0; i < VERIFICATION_NAGENCIES; i++)
		if (a->open[i])
			nng_close(a->socks[i]);
	uv_mutex_destroy(&a->qlock);
	free(a);
	return err;
}

sn_err
verification_agencies_ask(verification_agencies *a, int agency,
    const char *request_id, const char *consent, const char *const *ids,
    size_t nids, verification_answer_fn fn, void *arg)
{
	if (a->closing)
		return SN_ECLOSED;
	if (agency < 0 || agency >= VERIFICATION_NAGENCIES || consent == NULL ||
	    consent[0] == '\0' || nids == 0 ||
	    nids > VERIFICATION_MAX_MEMBERS || fn == NULL ||
	    strlen(request_id) >= sizeof(((call *) 0)->request_id))
		return SN_EINVAL;
	call *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SN_ENOMEM;
	c->owner  = a;
	c->agency = agency;
	c->fn     = fn;
	c->arg    = arg;
	snprintf(c->request_id, sizeof(c->request_id), "%s", request_id);
	c->ids = calloc(nids, sizeof(char *));
	if (c->ids == NULL)
		goto fail;
	for (size_t i = 0; i < nids; i++) {
		if ((c->ids[i] = strdup(ids[i])) == NULL)
			goto fail;
		c->nids = i + 1;
	}
	Sn__Agency__V1__AgencyRequest req = SN__AGENCY__V1__AGENCY_REQUEST__INIT;
	req.request_id        = c->request_id;
	req.agency            = (Sn__Agency__V1__Agency) (agency + 1);
	req.consent_reference = (char *) consent;
	req.n_id_numbers      = nids;
	req.id_numbers        = c->ids;
	req.requested_by      = (char *) "verification";
	c->req_len = sn__agency__v1__agency_request__get_packed_size(&req);
	if ((c->req = malloc(c->req_len ? c->req_len : 1)) == NULL)
		goto fail;
	sn__agency__v1__agency_request__pack(&req, c->req);
	if (nng_ctx_open(&c->ctx, a->socks[agency]) != 0)
		goto fail;
	if (nng_aio_alloc(&c->aio, on_aio, c) != 0) {
		nng_ctx_close(c->ctx);
		goto fail;
	}
	if (nng_aio_alloc(&c->sleep_aio, on_aio, c) != 0) {
		nng_aio_free(c->aio);
		nng_ctx_close(c->ctx);
		goto fail;
	}
	c->next = a->live;
	if (a->live != NULL)
		a->live->prev = c;
	a->live = c;
	a->nlive++;
	start_try(c);
	return SN_OK;

fail:
	for (size_t i = 0; i < c->nids; i++)
		free(c->ids[i]);
	free(c->ids);
	free(c->req);
	free(c);
	return SN_ENOMEM;
}

size_t
verification_agencies_inflight(const verification_agencies *a)
{
	return a->nlive;
}

/* Copies agency's own fields of one record into p. */
static void
take_fields(int agency, const Sn__Agency__V1__PersonRecord *r,
    verification_person *p)
{
	switch (agency) {
	case VERIFICATION_PUBLIC_SECURITY:
		p->registered = r->registered;
		p->alive      = r->alive;
		break;
	case VERIFICATION_HUMAN_RESOURCES:
		p->wages_fen        = r->wages_fen;
		p->pension_fen      = r->pension_fen;
		p->unemployment_fen = r->unemployment_benefit_fen;
		p->social_insurance = r->social_insurance;
		break;
	case VERIFICATION_HOUSING:
		p->homes = r->homes;
		break;
	case VERIFICATION_VEHICLES:
		p->vehicles        = r->vehicles;
		p->exempt_vehicles = r->exempt_vehicles;
		break;
	case VERIFICATION_MARKET:
		p->businesses           = r->businesses;
		p->business_capital_fen = r->business_capital_fen;
		break;
	case VERIFICATION_TAX:
		p->taxed_income_fen = r->taxed_income_fen;
		break;
	case VERIFICATION_BANKS:
		p->deposits_fen  = r->deposits_fen;
		p->financial_fen = r->financial_assets_fen;
		break;
	case VERIFICATION_PROVIDENT_FUND:
		p->pf_balance_fen = r->provident_fund_balance_fen;
		p->pf_monthly_fen = r->provident_fund_monthly_fen;
		break;
	default:
		break;
	}
}

sn_err
verification_agencies_decode(int agency, const char *const *ids,
    size_t nids, const uint8_t *reply, size_t len,
    verification_person *persons)
{
	if (agency < 0 || agency >= VERIFICATION_NAGENCIES || nids == 0 ||
	    nids > VERIFICATION_MAX_MEMBERS)
		return SN_EINVAL;
	Sn__Agency__V1__AgencyReply *r =
	    sn__agency__v1__agency_reply__unpack(NULL, len, reply);
	if (r == NULL)
		return SN_EPROTO;
	sn_err err = SN_OK;
	if (r->status != SN__AGENCY__V1__REPLY_STATUS__REPLY_OK ||
	    (int) r->agency != agency + 1 || r->n_records != nids) {
		err = SN_EPROTO;
		goto out;
	}
	/* One record per id asked, matched by number (any order). */
	bool seen[VERIFICATION_MAX_MEMBERS] = { false };
	for (size_t i = 0; i < nids; i++) {
		size_t k = 0;
		while (k < nids &&
		    (seen[k] || strcmp(r->records[k]->id_number, ids[i]) != 0))
			k++;
		if (k == nids) {
			err = SN_EPROTO;
			goto out;
		}
		seen[k] = true;
		verification_person tmp = persons[i];
		take_fields(agency, r->records[k], &tmp);
		if (!verification_rules_person_valid(&tmp)) {
			err = SN_EPROTO;
			goto out;
		}
		persons[i] = tmp;
	}
out:
	sn__agency__v1__agency_reply__free_unpacked(r, NULL);
	return err;
}

static void
on_async_closed(uv_handle_t *h)
{
	verification_agencies *a = h->data;
	uv_mutex_destroy(&a->qlock);
	free(a);
}

void
verification_agencies_close(verification_agencies *a)
{
	if (a == NULL)
		return;
	a->closing = true;
	/* After this no callback runs: each either finished (and queued) or
	 * was cancelled and ran (and queued). */
	for (call *c = a->live; c != NULL; c = c->next) {
		nng_aio_stop(c->aio);
		nng_aio_stop(c->sleep_aio);
	}
	uv_mutex_lock(&a->qlock);
	a->qhead = a->qtail = NULL;
	uv_mutex_unlock(&a->qlock);
	while (a->live != NULL)
		call_free(a->live);
	for (int i = 0; i < VERIFICATION_NAGENCIES; i++)
		if (a->open[i])
			nng_close(a->socks[i]);
	uv_close((uv_handle_t *) &a->async, on_async_closed);
}
