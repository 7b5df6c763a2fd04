/*
 * agency-sim/server.c - see server.h.
 */
#include "server.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <uv.h>

#include "rules.h"
#include "sn/agency/v1/agency.pb-c.h"
#include "sn/clock.h"
#include "sn/listen.h"
#include "sn/log.h"
#include "sn/loop.h"
#include "sn/tls.h"

#define MAX_IDS AGENCY_SIM_MAX_IDS
#define REQUEST_MAX (1u << 20)
#define NOUT AGENCY_SIM_NOUTCOMES

enum wstate { W_RECV, W_WAIT, W_SEND };

typedef struct worker worker;
struct agency;

struct worker {
	struct agency *ag;
	nng_ctx        ctx;
	nng_aio       *aio;
	enum wstate    state;
	nng_msg       *reply;
};

struct agency {
	agency_sim_server       *srv;
	int                      index;
	agency_sim_agency_config cfg;
	nng_socket               sock;
	bool                     open;
	sn_listen               *listen; /* keeps sock accepting */
	worker                  *workers;
	int                      nalloc;   /* entries of workers */
	int                      nworkers; /* started */
	atomic_long              inflight, max;
	sn_counter              *count[NOUT];
	sn_gauge                *g_inflight, *g_max;
};

struct agency_sim_server {
	struct agency             agencies[AGENCY_SIM_NAGENCIES];
	const agency_sim_fixture *fixture;
	agency_sim_overlay       *overlay;
	atomic_bool               closing;
	atomic_long               inflight, max;
	sn_gauge                 *g_inflight, *g_max;
	uv_mutex_t                max_lock;
};

static void
raise_max(atomic_long *max, long cur, sn_gauge *g, uv_mutex_t *lock)
{
	long m = atomic_load(max);
	if (cur <= m)
		return;
	uv_mutex_lock(lock);
	if (cur > atomic_load(max)) {
		atomic_store(max, cur);
		sn_gauge_set(g, cur);
	}
	uv_mutex_unlock(lock);
}

static void
begin_request(struct agency *ag)
{
	agency_sim_server *s   = ag->srv;
	long               cur = atomic_fetch_add(&ag->inflight, 1) + 1;
	long               all = atomic_fetch_add(&s->inflight, 1) + 1;
	sn_gauge_set(ag->g_inflight, cur);
	sn_gauge_set(s->g_inflight, all);
	raise_max(&ag->max, cur, ag->g_max, &s->max_lock);
	raise_max(&s->max, all, s->g_max, &s->max_lock);
}

static void
end_request(struct agency *ag)
{
	agency_sim_server *s = ag->srv;
	sn_gauge_set(ag->g_inflight, atomic_fetch_sub(&ag->inflight, 1) - 1);
	sn_gauge_set(s->g_inflight, atomic_fetch_sub(&s->inflight, 1) - 1);
}

static void
fill(int agency, const agency_sim_record *r, Sn__Agency__V1__PersonRecord *p)
{
	switch (agency) {
	case 0:
		p->registered = r->registered;
		p->alive      = r->alive;
		break;
	case 1:
		p->wages_fen                = r->wages_fen;
		p->pension_fen              = r->pension_fen;
		p->unemployment_benefit_fen = r->unemployment_fen;
		p->social_insurance         = r->social_insurance;
		break;
	case 2:
		p->homes = r->homes;
		break;
	case 3:
		p->vehicles        = r->vehicles;
		p->exempt_vehicles = r->exempt_vehicles;
		break;
	case 4:
		p->businesses           = r->businesses;
		p->business_capital_fen = r->business_capital_fen;
		break;
	case 5:
		p->taxed_income_fen = r->taxed_income_fen;
		break;
	case 6:
		p->deposits_fen         = r->deposits_fen;
		p->financial_assets_fen = r->financial_assets_fen;
		break;
	case 7:
		p->provident_fund_balance_fen = r->pf_balance_fen;
		p->provident_fund_monthly_fen = r->pf_monthly_fen;
		break;
	default:
		break;
	}
}

/*
 * Now as RFC 3339 UTC in whole seconds, "2026-12-02T13:55:39Z", the form
 * the agencies answer in: the district clock's stamp (sn_clock_stamp,
 * shifted in tests) without its milliseconds.
 */
static void
stamp_seconds(char out[21])
{
	char full[SN_CLOCK_STAMPLEN];
	sn_clock_stamp(full);
	memcpy(out, full, 19);
	out[19] = 'Z';
	out[20] = '\0';
}

static Sn__Agency__V1__ReplyStatus
wire_status(agency_sim_outcome o)
{
	switch (o) {
	case AGENCY_SIM_OUT_OK:
		return SN__AGENCY__V1__REPLY_STATUS__REPLY_OK;
	case AGENCY_SIM_OUT_NO_CONSENT:
		return SN__AGENCY__V1__REPLY_STATUS__REPLY_NO_CONSENT;
	case AGENCY_SIM_OUT_ERROR:
	case AGENCY_SIM_OUT_DROPPED:
	case AGENCY_SIM_OUT_MALFORMED:
	case AGENCY_SIM_NOUTCOMES:
		break;
	}
	return SN__AGENCY__V1__REPLY_STATUS__REPLY_ERROR;
}

/* The records of the ids asked, into recs and ptrs (n <= MAX_IDS). */
static void
records(struct agency *ag, const Sn__Agency__V1__AgencyRequest *rq,
    Sn__Agency__V1__PersonRecord *recs, Sn__Agency__V1__PersonRecord **ptrs)
{
	for (size_t i = 0; i < rq->n_id_numbers; i++) {
		agency_sim_record r;
		agency_sim_record_get(ag->srv->fixture, rq->id_numbers[i], &r);
		agency_sim_overlay_apply(
		    ag->srv->overlay, rq->id_numbers[i], &r);
		sn__agency__v1__person_record__init(&recs[i]);
		recs[i].id_number = rq->id_numbers[i];
		fill(ag->index, &r, &recs[i]);
		ptrs[i] = &recs[i];
	}
}

/* The answer to one request, or NULL to drop it (down). */
static nng_msg *
answer(struct agency *ag, nng_msg *req)
{
	Sn__Agency__V1__AgencyRequest *rq
	    = sn__agency__v1__agency_request__unpack(
	        NULL, nng_msg_len(req), nng_msg_body(req));
	Sn__Agency__V1__AgencyReply   rp = SN__AGENCY__V1__AGENCY_REPLY__INIT;
	Sn__Agency__V1__PersonRecord  recs[MAX_IDS];
	Sn__Agency__V1__PersonRecord *ptrs[MAX_IDS];
	char                          when[21];
	agency_sim_ask                ask = { .decoded = rq != NULL,
		               .n_ids = rq != NULL ? rq->n_id_numbers : 0,
		               .consent = rq != NULL ? rq->consent_reference : "",
		               .agency = rq != NULL ? (int) rq->agency : 0 };
	agency_sim_answer             a   = agency_sim_rules_answer(
	                  &ask, ag->index, ag->cfg.down, ag->cfg.fail);
	nng_msg *msg = NULL;
	if (a.outcome == AGENCY_SIM_OUT_DROPPED)
		goto out;
	if (a.outcome == AGENCY_SIM_OUT_MALFORMED) {
		char len[24];
		snprintf(len, sizeof(len), "%zu", nng_msg_len(req));
		sn_log(SN_LOG_WARN, "malformed request; answered REPLY_ERROR",
		    "agency", agency_sim_agency_name(ag->index), "bytes", len,
		    NULL);
	}
	stamp_seconds(when);
	rp.agency      = (Sn__Agency__V1__Agency) (ag->index + 1);
	rp.answered_at = when;
	rp.status      = wire_status(a.outcome);
	if (a.outcome != AGENCY_SIM_OUT_OK)
		rp.error = (char *) a.error;
	if (a.outcome != AGENCY_SIM_OUT_MALFORMED)
		rp.request_id = rq->request_id;
	if (a.outcome == AGENCY_SIM_OUT_OK) {
		records(ag, rq, recs, ptrs);
		rp.n_records = rq->n_id_numbers;
		rp.records   = ptrs;
	}
	size_t len = sn__agency__v1__agency_reply__get_packed_size(&rp);
	if (nng_msg_alloc(&msg, len) != 0)
		abort();
	sn__agency__v1__agency_reply__pack(&rp, nng_msg_body(msg));
out:
	if (rq != NULL)
		sn__agency__v1__agency_request__free_unpacked(rq, NULL);
	sn_counter_add(ag->count[a.outcome], 1);
	return msg;
}

static void
start_recv(worker *w)
{
	if (atomic_load(&w->ag->srv->closing))
		return;
	w->state = W_RECV;
	nng_ctx_recv(w->ctx, w->aio);
}

static void
start_send(worker *w)
{
	w->state = W_SEND;
	nng_aio_set_msg(w->aio, w->reply);
	w->reply = NULL;
	nng_ctx_send(w->ctx, w->aio);
}

/* NNG thread. Never starts an operation once closing. */
static void
on_aio(void *arg)
{
	worker        *w       = arg;
	struct agency *ag      = w->ag;
	int            rv      = nng_aio_result(w->aio);
	bool           closing = atomic_load(&ag->srv->closing);
	switch (w->state) {
	case W_RECV: {
		if (rv != 0) {
			if (!closing && rv != NNG_ECLOSED
			    && rv != NNG_ECANCELED)
				start_recv(w);
			return;
		}
		nng_msg *req = nng_aio_get_msg(w->aio);
		nng_aio_set_msg(w->aio, NULL);
		begin_request(ag);
		w->reply = answer(ag, req);
		nng_msg_free(req);
		if (w->reply == NULL) { /* down: never answered */
			end_request(ag);
			start_recv(w);
			return;
		}
		if (closing) {
			nng_msg_free(w->reply);
			w->reply = NULL;
			end_request(ag);
			return;
		}
		if (ag->cfg.slow_ms > 0) {
			w->state = W_WAIT;
			nng_sleep_aio((nng_duration) ag->cfg.slow_ms, w->aio);
			return;
		}
		start_send(w);
		return;
	}
	case W_WAIT:
		if (rv != 0 || closing) {
			nng_msg_free(w->reply);
			w->reply = NULL;
			end_request(ag);
			return;
		}
		start_send(w);
		return;
	case W_SEND:
		end_request(ag);
		if (rv != 0) {
			nng_msg *m = nng_aio_get_msg(w->aio);
			nng_aio_set_msg(w->aio, NULL);
			if (m != NULL)
				nng_msg_free(m);
			if (closing || rv == NNG_ECLOSED
			    || rv == NNG_ECANCELED)
				return;
		}
		start_recv(w);
		return;
	}
}

static sn_err
agency_open(struct agency *ag, sn_loop *loop, sn_metrics *m, int contexts)
{
	char labels[128];
	for (int o = 0; o < NOUT; o++) {
		snprintf(labels, sizeof(labels),
		    "agency=\"%s\",outcome=\"%s\"",
		    agency_sim_agency_name(ag->index),
		    agency_sim_outcome_name((agency_sim_outcome) o));
		ag->count[o] = sn_metrics_counter(m,
		    "sn_agency_sim_requests_total",
		    "Requests received, by how they were answered", labels);
	}
	snprintf(labels, sizeof(labels), "agency=\"%s\"",
	    agency_sim_agency_name(ag->index));
	ag->g_inflight = sn_metrics_gauge(m, "sn_agency_sim_inflight",
	    "Requests received and not yet answered", labels);
	ag->g_max      = sn_metrics_gauge(m, "sn_agency_sim_inflight_max",
	         "Most requests in flight at once", labels);
	if (ag->g_max == NULL || ag->count[NOUT - 1] == NULL)
		return SN_ENOMEM;
	int rv = nng_rep0_open(&ag->sock);
	if (rv != 0)
		goto fail_nng;
	ag->open = true;
	if (sn_nng_setup(ag->sock, REQUEST_MAX, 0) != SN_OK)
		return SN_ENNG;
	if ((rv = sn_listen_open(&ag->listen, loop, ag->sock, ag->cfg.url))
	    != 0)
		goto fail_nng;
	ag->workers = calloc((size_t) contexts, sizeof(worker));
	if (ag->workers == NULL)
		return SN_ENOMEM;
	ag->nalloc = contexts;
	for (int i = 0; i < contexts; i++) {
		worker *w = &ag->workers[i];
		w->ag     = ag;
		if ((rv = nng_ctx_open(&w->ctx, ag->sock)) != 0)
			goto fail_nng;
		if ((rv = nng_aio_alloc(&w->aio, on_aio, w)) != 0)
			goto fail_nng;
		ag->nworkers++;
	}
	for (int i = 0; i < ag->nworkers; i++)
		start_recv(&ag->workers[i]);
	return SN_OK;
fail_nng:
	sn_log(SN_LOG_ERROR, "agency socket failed", "agency",
	    agency_sim_agency_name(ag->index), "url", ag->cfg.url, "error",
	    nng_strerror(rv), NULL);
	return SN_ENNG;
}

sn_err
agency_sim_server_open(agency_sim_server **out, sn_loop *loop, sn_metrics *m,
    const agency_sim_config *cfg)
{
	agency_sim_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SN_ENOMEM;
	if (uv_mutex_init(&s->max_lock) != 0) {
		free(s);
		return SN_EUV;
	}
	s->fixture    = cfg->fixture;
	s->overlay    = cfg->overlay;
	s->g_inflight = sn_metrics_gauge(m, "sn_agency_sim_inflight_all",
	    "Requests in flight over all agencies", NULL);
	s->g_max      = sn_metrics_gauge(m, "sn_agency_sim_inflight_all_max",
	         "Most requests in flight at once over all agencies", NULL);
	for (int i = 0; i < AGENCY_SIM_NAGENCIES; i++) {
		struct agency *ag = &s->agencies[i];
		ag->srv           = s;
		ag->index         = i;
		ag->cfg           = cfg->agencies[i];
		sn_err err        = agency_open(ag, loop, m, cfg->contexts);
		if (err != SN_OK) {
			agency_sim_server_close(s);
			return err;
		}
	}
	*out = s;
	return SN_OK;
}

void
agency_sim_server_close(agency_sim_server *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->closing, true);
	/* Closing a socket closes its contexts: receives end with
	 * NNG_ECLOSED, and no callback starts anything once closing. */
	for (int i = 0; i < AGENCY_SIM_NAGENCIES; i++) {
		sn_listen_close(s->agencies[i].listen);
		if (s->agencies[i].open)
			nng_close(s->agencies[i].sock);
	}
	for (int i = 0; i < AGENCY_SIM_NAGENCIES; i++) {
		struct agency *ag = &s->agencies[i];
		for (int k = 0; k < ag->nalloc; k++) {
			worker *w = &ag->workers[k];
			if (w->aio != NULL)
				nng_aio_free(
				    w->aio); /* waits for its callback */
			if (w->reply != NULL)
				nng_msg_free(w->reply);
		}
		free(ag->workers);
	}
	uv_mutex_destroy(&s->max_lock);
	free(s);
}
