/*
 * verification/agencies.c - see agencies.h.
 *
 * The transport is sn_reqc (one client per agency), and the tries with
 * their backoff are sn_reqc_call_retry's; each try's end comes back on
 * the loop thread. What is left here is judging a try: which outcome it
 * had, whether it is worth another, what to count and what to answer. A
 * call belongs to its pending sn_reqc retry until on_try says DONE, so
 * closing the clients frees every call (SN_ECLOSED, in on_try).
 */
#include "agencies.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/agency/v1/agency.pb-c.h"
#include "sn/log.h"
#include "sn/reqc.h"

#define BACKOFF_MAX_MS 30000u
#define REPLY_MAX (4u << 20)

typedef struct call call;

struct verification_agencies {
	sn_reqc      *reqc[VERIFICATION_NAGENCIES];
	size_t        nlive;
	call         *calls; /* live calls, for verification_agencies_cancel */
	bool          closing;
	sn_reqc_retry policy;
	sn_counter   *requests[VERIFICATION_NAGENCIES][VERIFICATION_NOUTCOMES];
	sn_histogram *latency[VERIFICATION_NAGENCIES];
};

struct call {
	verification_agencies *owner;
	call                  *prev, *next;
	bool                   cancelled; /* no further try */
	int                    agency;
	uint32_t               tries;      /* of the last try judged */
	uint64_t               latency_us; /* of the last try */
	char                 **ids;
	size_t                 nids;
	char                   request_id[128];
	verification_answer_fn fn;
	void                  *arg;
	/* The last try's failure, which stands when a retry cannot be sent. */
	verification_outcome last;
	char                 last_why[256];
};

static const char *const outcome_names[VERIFICATION_NOUTCOMES] = {
	"ok",
	"error",
	"timeout",
	"no_consent",
	"malformed",
	"unreachable",
};

const char *
verification_outcome_name(int outcome)
{
	if (outcome < 0 || outcome >= VERIFICATION_NOUTCOMES)
		return NULL;
	return outcome_names[outcome];
}

static void
call_free(call *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->owner->calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->owner->nlive--;
	for (size_t i = 0; i < c->nids; i++)
		free(c->ids[i]);
	free(c->ids);
	free(c);
}

static void
count(verification_agencies *a, call *c, verification_outcome o)
{
	sn_counter_add(a->requests[c->agency][o], 1);
	sn_histogram_observe(
	    a->latency[c->agency], (double) c->latency_us / 1e6);
}

/* Gives the final answer and frees the call. */
static sn_reqc_verdict
finish(call *c, verification_outcome o, const char *error,
    const char *answered_at, const uint8_t *reply, size_t reply_len,
    const verification_person *persons)
{
	verification_answer ans = { .agency = c->agency,
		.outcome                    = o,
		.tries                      = c->tries,
		.latency_ms                 = c->latency_us / 1000u,
		.error                      = error != NULL ? error : "",
		.answered_at = answered_at != NULL ? answered_at : "",
		.reply       = reply,
		.reply_len   = reply_len,
		.persons     = persons,
		.npersons    = persons != NULL ? c->nids : 0 };
	c->fn(&ans, c->arg);
	call_free(c);
	return SN_REQC_DONE;
}

/* A try that failed: counted, then retried unless it was the last. */
static sn_reqc_verdict
try_failed(call *c, bool final, verification_outcome o, const char *why)
{
	count(c->owner, c, o);
	if (final)
		return finish(c, o, why, NULL, NULL, 0, NULL);
	c->last = o;
	snprintf(c->last_why, sizeof(c->last_why), "%s", why);
	return SN_REQC_RETRY;
}

static sn_reqc_verdict
on_reply(call *c, bool final, const uint8_t *buf, size_t len)
{
	verification_agencies       *a = c->owner;
	sn_reqc_verdict              v;
	Sn__Agency__V1__AgencyReply *r
	    = sn__agency__v1__agency_reply__unpack(NULL, len, buf);
	if (r == NULL || strcmp(r->request_id, c->request_id) != 0
	    || (int) r->agency != c->agency + 1) {
		if (r != NULL)
			sn__agency__v1__agency_reply__free_unpacked(r, NULL);
		return try_failed(c, final, VERIFICATION_OUTCOME_MALFORMED,
		    "malformed reply");
	}
	switch (r->status) {
	case SN__AGENCY__V1__REPLY_STATUS__REPLY_OK: {
		verification_person persons[VERIFICATION_MAX_MEMBERS];
		memset(persons, 0, sizeof(persons));
		if (verification_agencies_decode(c->agency,
		        (const char *const *) c->ids, c->nids, buf, len,
		        persons)
		    != SN_OK) {
			v = try_failed(c, final,
			    VERIFICATION_OUTCOME_MALFORMED,
			    "reply records do not match the request");
			break;
		}
		count(a, c, VERIFICATION_OUTCOME_OK);
		v = finish(c, VERIFICATION_OUTCOME_OK, "", r->answered_at, buf,
		    len, persons);
		break;
	}
	case SN__AGENCY__V1__REPLY_STATUS__REPLY_NO_CONSENT:
		count(a, c, VERIFICATION_OUTCOME_NO_CONSENT);
		v = finish(c, VERIFICATION_OUTCOME_NO_CONSENT, r->error,
		    r->answered_at, buf, len, NULL);
		break;
	case SN__AGENCY__V1__REPLY_STATUS__REPLY_ERROR:
		v = try_failed(c, final, VERIFICATION_OUTCOME_ERROR,
		    r->error[0] ? r->error : "agency error");
		break;
	default:
		v = try_failed(c, final, VERIFICATION_OUTCOME_MALFORMED,
		    "reply without a status");
		break;
	}
	sn__agency__v1__agency_reply__free_unpacked(r, NULL);
	return v;
}

/* One try's end, judged (sn_reqc_call_retry runs the tries and waits). */
static sn_reqc_verdict
on_try(const sn_reqc_try *t, void *arg)
{
	call *c = arg;
	if (t->err == SN_ECLOSED) { /* the client is closing: no answer */
		call_free(c);
		return SN_REQC_DONE;
	}
	if (t->tries == c->tries) {
		/* A retry that could not be sent: the last try's answer
		 * stands, with the tries actually made. */
		return finish(c, c->last, c->last_why, NULL, NULL, 0, NULL);
	}
	c->tries      = t->tries;
	c->latency_us = t->latency_us;
	/* A cancelled call's try is its last: a failure is not retried. */
	bool final = t->final || c->cancelled;
	switch (t->err) {
	case SN_OK:
		return on_reply(c, final, t->reply, t->len);
	case SN_ETIMEDOUT:
		return try_failed(c, final, VERIFICATION_OUTCOME_TIMEOUT,
		    sn_strerror(t->err));
	default:
		return try_failed(c, final, VERIFICATION_OUTCOME_UNREACHABLE,
		    sn_strerror(t->err));
	}
}

sn_err
verification_agencies_open(verification_agencies **out, sn_loop *loop,
    sn_metrics *m, const verification_agencies_config *cfg)
{
	verification_agencies *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return SN_ENOMEM;
	a->policy = (sn_reqc_retry) { .timeout_ms = cfg->timeout_ms,
		.retries                          = cfg->retries,
		.backoff_ms                       = cfg->backoff_ms,
		.backoff_max_ms                   = BACKOFF_MAX_MS };
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
		    "Time from request to answer or deadline, per try", labels,
		    sn_metrics_latency_bounds, sn_metrics_latency_nbounds);
		if (a->latency[i] == NULL) {
			free(a);
			return SN_ENOMEM;
		}
	}
	for (int i = 0; i < VERIFICATION_NAGENCIES; i++) {
		sn_err err
		    = sn_reqc_open(&a->reqc[i], loop, cfg->urls[i], REPLY_MAX);
		if (err != SN_OK) {
			sn_log(SN_LOG_ERROR, "agency client failed", "agency",
			    verification_agency_name(i), "url", cfg->urls[i],
			    "error", sn_strerror(err), NULL);
			verification_agencies_close(a);
			return err;
		}
	}
	*out = a;
	return SN_OK;
}

sn_err
verification_agencies_ask(verification_agencies *a, int agency,
    const char *request_id, const char *consent, const char *const *ids,
    size_t nids, verification_answer_fn fn, void *arg)
{
	if (a->closing)
		return SN_ECLOSED;
	if (agency < 0 || agency >= VERIFICATION_NAGENCIES || consent == NULL
	    || consent[0] == '\0' || nids == 0
	    || nids > VERIFICATION_MAX_MEMBERS || fn == NULL
	    || strlen(request_id) >= sizeof(((call *) 0)->request_id))
		return SN_EINVAL;
	call *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SN_ENOMEM;
	c->owner  = a;
	c->agency = agency;
	c->fn     = fn;
	c->arg    = arg;
	c->next   = a->calls;
	if (a->calls != NULL)
		a->calls->prev = c;
	a->calls = c;
	a->nlive++;
	snprintf(c->request_id, sizeof(c->request_id), "%s", request_id);
	sn_err err = SN_ENOMEM;
	c->ids     = calloc(nids, sizeof(char *));
	if (c->ids == NULL)
		goto fail;
	for (size_t i = 0; i < nids; i++) {
		if ((c->ids[i] = strdup(ids[i])) == NULL)
			goto fail;
		c->nids = i + 1;
	}
	Sn__Agency__V1__AgencyRequest req
	    = SN__AGENCY__V1__AGENCY_REQUEST__INIT;
	req.request_id        = c->request_id;
	req.agency            = (Sn__Agency__V1__Agency) (agency + 1);
	req.consent_reference = (char *) consent;
	req.n_id_numbers      = nids;
	req.id_numbers        = c->ids;
	req.requested_by      = (char *) "verification";
	size_t   len = sn__agency__v1__agency_request__get_packed_size(&req);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		goto fail;
	sn__agency__v1__agency_request__pack(&req, buf);
	/* The request is copied: the same bytes on every try. */
	err = sn_reqc_call_retry(
	    a->reqc[agency], buf, len, &a->policy, on_try, c);
	free(buf);
	if (err != SN_OK)
		goto fail;
	return SN_OK;

fail:
	call_free(c);
	return err;
}

size_t
verification_agencies_inflight(const verification_agencies *a)
{
	return a->nlive;
}

size_t
verification_agencies_cancel(verification_agencies *a, const void *arg)
{
	size_t n = 0;
	for (call *c = a != NULL ? a->calls : NULL; c != NULL; c = c->next)
		if (c->arg == arg && !c->cancelled) {
			c->cancelled = true;
			n++;
		}
	return n;
}

/* Copies agency's own fields of one record into p. */
static void
take_fields(
    int agency, const Sn__Agency__V1__PersonRecord *r, verification_person *p)
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
verification_agencies_decode(int agency, const char *const *ids, size_t nids,
    const uint8_t *reply, size_t len, verification_person *persons)
{
	if (agency < 0 || agency >= VERIFICATION_NAGENCIES || nids == 0
	    || nids > VERIFICATION_MAX_MEMBERS)
		return SN_EINVAL;
	Sn__Agency__V1__AgencyReply *r
	    = sn__agency__v1__agency_reply__unpack(NULL, len, reply);
	if (r == NULL)
		return SN_EPROTO;
	sn_err err = SN_OK;
	if (r->status != SN__AGENCY__V1__REPLY_STATUS__REPLY_OK
	    || (int) r->agency != agency + 1 || r->n_records != nids) {
		err = SN_EPROTO;
		goto out;
	}
	/* One record per id asked, matched by number (any order). */
	bool seen[VERIFICATION_MAX_MEMBERS] = { false };
	for (size_t i = 0; i < nids; i++) {
		size_t k = 0;
		while (k < nids
		    && (seen[k]
		        || strcmp(r->records[k]->id_number, ids[i]) != 0))
			k++;
		if (k == nids) {
			err = SN_EPROTO;
			goto out;
		}
		seen[k]                 = true;
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

void
verification_agencies_close(verification_agencies *a)
{
	if (a == NULL)
		return;
	a->closing = true;
	/* Each client ends its calls with SN_ECLOSED; on_try frees ours. */
	for (int i = 0; i < VERIFICATION_NAGENCIES; i++)
		sn_reqc_close(a->reqc[i]);
	free(a);
}
