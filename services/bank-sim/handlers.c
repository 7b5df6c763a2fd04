/*
 * bank-sim/handlers.c - see handlers.h: the wiring of the book, its
 * settlement timer, the simulator's own HTTP routes and the ISO 20022
 * side (iso.c, which does the bank's work).
 */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "faults.h"
#include "iso.h"
#include "rules.h"
#include "sn/clock.h"
#include "sn/log.h"
#include "sn/page.h"
#include "store.h"

struct bank_sim {
	sn_service        *svc;
	sn_db             *db;
	bank_sim_config    cfg;
	bank_sim_accounts *accounts;
	uv_timer_t         settle_timer;
	bool               timer_open;
	bool               settling;
	bool               stopping;
	bank_sim_faults    faults;
	char               seed[24]; /* cfg.seed as text */
	bank_sim_iso      *iso;
	sn_counter        *c_settled;
};

/* The book's terms now. */
static bank_sim_terms
terms(const bank_sim *b)
{
	return (bank_sim_terms) { sn_clock_now_ms(), b->cfg.settle_ms, b->seed,
		b->cfg.omit_pct };
}

/* ---- settlement --------------------------------------------------------- */

static void
settle_done(sn_err err, int64_t settled, void *arg)
{
	bank_sim *b = arg;
	b->settling = false;
	if (err == SN_OK && settled > 0)
		sn_counter_add(b->c_settled, (uint64_t) settled);
}

static void
on_settle_tick(uv_timer_t *t)
{
	bank_sim *b = t->data;
	if (b->settling || b->stopping || !sn_db_ready(b->db))
		return;
	bank_sim_terms terms_now = terms(b);
	b->settling
	    = bank_sim_store_settle_due(b->db, &terms_now, settle_done, b)
	    == SN_OK;
}

/* ---- HTTP --------------------------------------------------------------- */

/* The document read, or NULL after answering 503. */
static json_t *
json_doc(sn_http_req *req, sn_err err, const char *doc)
{
	json_t *j
	    = err == SN_OK && doc != NULL ? json_loads(doc, 0, NULL) : NULL;
	if (j == NULL)
		sn_http_reply_error(req, 503, "unavailable",
		    "the bank's records cannot be read now", NULL);
	return j;
}

/* A page of credits (sn/page.h): {items, next} with the account's
 * number, count and total. */
static void
credits_done(sn_err err, const char *doc, void *arg)
{
	json_t *j = json_doc(arg, err, doc);
	if (j == NULL)
		return;
	json_t *items = json_incref(json_object_get(j, "items"));
	json_t *page
	    = sn_page_answer(items, json_is_true(json_object_get(j, "more")),
	        (int64_t) json_integer_value(json_object_get(j, "last")));
	if (page != NULL) {
		json_object_set(page, "account_number",
		    json_object_get(j, "account_number"));
		json_object_set(page, "count", json_object_get(j, "count"));
		json_object_set(
		    page, "total_fen", json_object_get(j, "total_fen"));
	}
	json_decref(j);
	if (page == NULL)
		sn_http_reply_error(
		    arg, 503, "unavailable", "out of memory", NULL);
	else
		sn_http_reply_json(arg, 200, page);
}

void
bank_sim_http_credits(sn_http_req *req, void *arg)
{
	bank_sim   *b    = arg;
	const char *acct = sn_http_param(req, "account_number");
	sn_page     page;
	sn_problem  why;
	if (acct == NULL || strlen(acct) > BANK_SIM_TEXT_MAX
	    || !bank_sim_rules_utf8(acct, strlen(acct))) {
		sn_http_reply_error(req, 422, "invalid_account_number",
		    "the account number is too long or not UTF-8",
		    "account_number");
		return;
	}
	sn_problem_clear(&why);
	if (!sn_page_query(req, &page, &why)) {
		sn_http_problem(req, &why);
		return;
	}
	if (bank_sim_store_credits(b->db, acct, &page, credits_done, req)
	    != SN_OK)
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
}

typedef struct stats_ctx {
	bank_sim    *b;
	sn_http_req *req;
} stats_ctx;

static void
stats_done(sn_err err, const char *doc, void *arg)
{
	stats_ctx *s = arg;
	json_t    *j = json_doc(s->req, err, doc);
	if (j != NULL) {
		json_t *process = json_object();
		bank_sim_iso_stats(s->b->iso, process);
		json_object_set_new(j, "process", process);
		sn_http_reply_json(s->req, 200, j);
	}
	free(s);
}

void
bank_sim_http_stats(sn_http_req *req, void *arg)
{
	stats_ctx *s = malloc(sizeof(*s));
	if (s == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	s->b   = arg;
	s->req = req;
	if (bank_sim_store_stats(s->b->db, stats_done, s) != SN_OK) {
		free(s);
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
	}
}

void
bank_sim_http_pain001(sn_http_req *req, void *arg)
{
	bank_sim_iso_pain001(((bank_sim *) arg)->iso, req);
}

void
bank_sim_http_pain002(sn_http_req *req, void *arg)
{
	bank_sim_iso_pain002(((bank_sim *) arg)->iso, req);
}

void
bank_sim_http_camt054(sn_http_req *req, void *arg)
{
	bank_sim_iso_camt054(((bank_sim *) arg)->iso, req);
}

void
bank_sim_http_entries(sn_http_req *req, void *arg)
{
	bank_sim_iso_entries(((bank_sim *) arg)->iso, req);
}

/* ---- lifecycle ---------------------------------------------------------- */

sn_err
bank_sim_open(bank_sim **out, sn_service *svc, const bank_sim_config *cfg)
{
	bank_sim *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return SN_ENOMEM;
	b->svc         = svc;
	b->db          = sn_service_db(svc);
	b->cfg         = *cfg;
	b->faults      = (bank_sim_faults) { .rng = cfg->seed,
		     .drop_pct                    = cfg->drop_pct,
		     .timeout_pct                 = cfg->timeout_pct,
		     .crash_after                 = cfg->crash_after };
	b->cfg.fixture = NULL;
	b->cfg.xsd_dir = NULL;
	snprintf(b->seed, sizeof(b->seed), "%" PRIu64, cfg->seed);
	sn_err err   = SN_ENOMEM;
	b->c_settled = sn_metrics_counter(sn_service_metrics(svc),
	    "sn_bank_sim_settled_total",
	    "Accepted instructions settled by the timer", NULL);
	if (b->c_settled == NULL)
		goto fail;
	if (cfg->fixture != NULL) {
		char why[256];
		err = bank_sim_accounts_load(
		    cfg->fixture, &b->accounts, why, sizeof(why));
		if (err != SN_OK) {
			sn_log(SN_LOG_ERROR, "bad fixture", "path",
			    cfg->fixture, "error", why, NULL);
			goto fail;
		}
	}
	char nacc[24];
	snprintf(
	    nacc, sizeof(nacc), "%zu", bank_sim_accounts_count(b->accounts));
	sn_log(SN_LOG_INFO, "accounts loaded", "fixture_accounts", nacc,
	    "open_all", cfg->open_all ? "true" : "false", "seed", b->seed,
	    NULL);
	bank_sim_iso_env env
	    = { sn_service_loop(svc), b->db, sn_service_metrics(svc), cfg,
		      b->accounts, &b->faults, b->seed };
	if ((err = bank_sim_iso_open(&b->iso, &env)) != SN_OK)
		goto fail;
	uv_loop_t *uv = sn_loop_uv(sn_service_loop(svc));
	if (uv_timer_init(uv, &b->settle_timer) != 0) {
		err = SN_EUV;
		goto fail;
	}
	b->settle_timer.data = b;
	b->timer_open        = true;
	uint64_t tick        = bank_sim_rules_settle_tick_ms(cfg->settle_ms);
	uv_timer_start(&b->settle_timer, on_settle_tick, tick, tick);
	*out = b;
	return SN_OK;
fail:
	bank_sim_close(b);
	return err;
}

void
bank_sim_stop(bank_sim *b)
{
	if (b == NULL)
		return;
	b->stopping = true;
	bank_sim_iso_stop(b->iso);
	if (b->timer_open)
		uv_timer_stop(&b->settle_timer);
}

static void
on_timer_closed(uv_handle_t *h)
{
	bank_sim *b = h->data;
	bank_sim_accounts_free(b->accounts);
	free(b);
}

void
bank_sim_close(bank_sim *b)
{
	if (b == NULL)
		return;
	b->stopping = true;
	bank_sim_iso_close(b->iso);
	b->iso = NULL;
	if (b->timer_open) {
		uv_close((uv_handle_t *) &b->settle_timer, on_timer_closed);
		return;
	}
	bank_sim_accounts_free(b->accounts);
	free(b);
}
