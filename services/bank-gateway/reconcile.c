/*
 * bank-gateway/reconcile.c - see reconcile.h.
 *
 * A run's life: queued -> run_start -> (HTTPS) fetch_next / on_camt per
 * account -> run_tx: statements stored, settled payments and entries
 * read (copied: the rows die with their callback), recon_run, the report
 * stored -> run_end. One run_ctx owns everything on the way and run_end
 * frees it and starts the next.
 */
#include "reconcile.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon.h"
#include "sn/clock.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "store.h"

/* The run id recon.h is given for a payment outside any run (it wants
 * one), shown as "" again. */
#define NO_RUN "-"

enum { RES_BALANCED, RES_UNBALANCED, RES_FAILED, NRES };

typedef struct run_ctx run_ctx;

struct bank_gateway_reconciler {
	sn_service                    *svc;
	sn_db                         *db;
	bank_gateway_bank             *bank;
	bank_gateway_reconciler_config cfg;
	const char                   **accounts; /* each account once */
	size_t                         n_accounts;
	run_ctx                       *head, *tail; /* queued runs */
	run_ctx                       *running;
	size_t                         timer_runs; /* queued or running */
	uv_timer_t                     timer;
	bool                           timer_open;
	bool                           timer_closed;
	bool                           stopping;
	bool                           closing; /* freed once idle */
	sn_counter                    *c_res[NRES];
};

/* A statement fetched for the run. */
typedef struct fetched {
	const char           *account;
	char                 *doc;
	size_t                len;
	bank_gateway_camt054 *camt;
} fetched;

struct run_ctx {
	bank_gateway_reconciler *r;
	sn_date                  day;
	sn_http_req             *req; /* NULL: the timer's */
	fetched                 *stmts;
	size_t                   n_stmts; /* fetched so far */
	/* The settled payments, copied. */
	bank_gateway_recon_payment *pay;
	char (*pay_e2e)[BANK_GATEWAY_ISO_ID_MAX];
	char (*pay_run)[160];
	size_t                  n_pay;
	bool                    balanced;
	bool                    stored; /* the report was queued */
	bank_gateway_store_slot slot;
	json_t                 *summary;
	run_ctx                *next;
};

static void run_start(bank_gateway_reconciler *r);
static void maybe_free(bank_gateway_reconciler *r);

/* ---- the end of a run ----------------------------------------------------
 */

static void
run_free(run_ctx *c)
{
	for (size_t i = 0; i < c->n_stmts; i++) {
		free(c->stmts[i].doc);
		bank_gateway_camt054_free(c->stmts[i].camt);
	}
	free(c->stmts);
	free(c->pay);
	free(c->pay_e2e);
	free(c->pay_run);
	json_decref(c->summary);
	free(c);
}

static void
run_end(run_ctx *c, bool ok)
{
	bank_gateway_reconciler *r = c->r;
	char                     d[SN_DATE_STRLEN];
	sn_date_format(c->day, d);
	sn_counter_add(r->c_res[!ok          ? RES_FAILED
	                       : c->balanced ? RES_BALANCED
	                                     : RES_UNBALANCED],
	    1);
	if (ok)
		sn_log(c->balanced ? SN_LOG_INFO : SN_LOG_WARN, "reconciled",
		    "date", d, "balanced", c->balanced ? "true" : "false",
		    NULL);
	if (c->req == NULL)
		r->timer_runs--;
	r->running = NULL;
	run_free(c);
	if (r->closing)
		maybe_free(r);
	else
		run_start(r);
}

/* A run that ends before its transaction: the request answered. */
static void
run_fail(run_ctx *c, unsigned status, const char *code, const char *why)
{
	char d[SN_DATE_STRLEN];
	sn_log(SN_LOG_WARN, "reconciliation failed", "date",
	    sn_date_format(c->day, d), "error", why, NULL);
	if (c->req != NULL)
		sn_http_reply_error(c->req, status, code, why, NULL);
	run_end(c, false);
}

/* ---- the report ------------------------------------------------------- */

static json_t *
kinds_json(const bank_gateway_recon_sum *s)
{
	json_t *o = json_object();
	for (int k = 0; o != NULL && k < BANK_GATEWAY_RECON_KINDS; k++)
		json_object_set_new(o,
		    bank_gateway_recon_kind_name((bank_gateway_recon_kind) k),
		    json_pack("{s:I, s:I, s:I}", "count",
		        (json_int_t) s->count[k], "expected_fen",
		        (json_int_t) s->expected[k], "booked_fen",
		        (json_int_t) s->booked[k]));
	return o;
}

static const char *
shown_run(const char *run_id)
{
	return strcmp(run_id, NO_RUN) == 0 ? "" : run_id;
}

static json_t *
run_json(const bank_gateway_recon_by_run *run)
{
	return json_pack("{s:s, s:b, s:I, s:I, s:I, s:o}", "run_id",
	    shown_run(run->run_id), "balanced",
	    bank_gateway_recon_balanced(&run->sum), "expected_fen",
	    (json_int_t) run->sum.expected_total, "booked_fen",
	    (json_int_t) run->sum.booked_total, "difference_fen",
	    (json_int_t) run->sum.difference, "kinds", kinds_json(&run->sum));
}

static json_t *
summary_json(const run_ctx *c, const bank_gateway_recon *rec,
    const bank_gateway_statement_row *st, size_t ns, size_t n_entries,
    const char *stamp)
{
	char    d[SN_DATE_STRLEN];
	json_t *runs = json_array(), *accts = json_array();
	for (size_t i = 0; runs != NULL && i < rec->n_runs; i++)
		json_array_append_new(runs, run_json(&rec->runs[i]));
	for (size_t i = 0; accts != NULL && i < ns; i++) {
		const bank_gateway_fund *f = bank_gateway_funds_by_account(
		    c->r->cfg.funds, st[i].account);
		json_array_append_new(accts,
		    json_pack("{s:s, s:s, s:s, s:s, s:s}", "account",
		        st[i].account, "fund", f != NULL ? f->fund : "",
		        "camt_msg_id", st[i].camt_msg_id, "fetched_at",
		        st[i].fetched_at, "source", st[i].source));
	}
	return json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, "
	                 "s:o, s:o, s:o}",
	    "date", sn_date_format(c->day, d), "reconciled_at", stamp,
	    "balanced", bank_gateway_recon_balanced(&rec->total), "payments",
	    (json_int_t) c->n_pay, "entries", (json_int_t) n_entries,
	    "skipped", (json_int_t) rec->skipped, "expected_fen",
	    (json_int_t) rec->total.expected_total, "booked_fen",
	    (json_int_t) rec->total.booked_total, "difference_fen",
	    (json_int_t) rec->total.difference, "kinds",
	    kinds_json(&rec->total), "runs", runs, "accounts", accts);
}

/* Queues the report of rec on tx; SN_OK or the error. */
static sn_err
store_result(run_ctx *c, sn_tx *tx, const bank_gateway_recon *rec,
    const bank_gateway_statement_row *st, size_t ns, size_t n_entries)
{
	char                  stamp[SN_CLOCK_STAMPLEN];
	bank_gateway_item_in *it
	    = calloc(rec->n_items ? rec->n_items : 1, sizeof(*it));
	bank_gateway_run_in *rn
	    = calloc(rec->n_runs ? rec->n_runs : 1, sizeof(*rn));
	char **texts = calloc(rec->n_runs ? rec->n_runs : 1, sizeof(*texts));
	sn_err err   = SN_ENOMEM;
	char  *sum   = NULL;
	if (it == NULL || rn == NULL || texts == NULL)
		goto out;
	sn_clock_stamp(stamp);
	for (size_t i = 0; i < rec->n_items; i++) {
		const bank_gateway_recon_item *x = &rec->items[i];
		it[i]                            = (bank_gateway_item_in) {
			                           .kind          = bank_gateway_recon_kind_name(x->kind),
			                           .end_to_end_id = x->end_to_end_id,
			                           .run_id        = x->payment != NULL
			                                      ? shown_run(x->payment->run_id)
			                                      : "",
			                           .expected_fen  = x->expected,
			                           .booked_fen    = x->booked,
			                           .difference_fen = x->difference,
			                           .n_entries      = (int64_t) x->n_entries,
			                           .account        = x->entry ? x->entry->account : "",
			                           .bank_ref       = x->entry ? x->entry->bank_ref : "",
			                           .msg_id         = x->entry ? x->entry->msg_id : "",
		};
	}
	for (size_t i = 0; i < rec->n_runs; i++) {
		json_t *j = run_json(&rec->runs[i]);
		texts[i]  = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (texts[i] == NULL)
			goto out;
		rn[i] = (bank_gateway_run_in) {
			.run_id = shown_run(rec->runs[i].run_id),
			.balanced
			= bank_gateway_recon_balanced(&rec->runs[i].sum),
			.summary = texts[i],
		};
	}
	c->summary = summary_json(c, rec, st, ns, n_entries, stamp);
	if (c->summary == NULL
	    || (sum = json_dumps(c->summary, JSON_COMPACT)) == NULL)
		goto out;
	c->balanced = bank_gateway_recon_balanced(&rec->total);
	err = bank_gateway_store_reconciliation(tx, c->day, stamp, c->balanced,
	    sum, it, rec->n_items, rn, rec->n_runs);
out:
	for (size_t i = 0; texts != NULL && i < rec->n_runs; i++)
		free(texts[i]);
	free(texts);
	free(it);
	free(rn);
	free(sum);
	return err;
}

/* ---- the transaction ------------------------------------------------------
 */

static void
tx_fail(run_ctx *c, sn_tx *tx, sn_err err)
{
	if (c->req != NULL)
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the reconciliation could not be stored", NULL);
	else
		sn_tx_rollback(tx, err);
}

static void
got_entries(sn_tx *tx, const bank_gateway_statement_row *st, size_t ns,
    const bank_gateway_camt054_entry *e, size_t n, void *arg)
{
	run_ctx            *c                             = arg;
	bank_gateway_recon *rec                           = NULL;
	char                why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	sn_err err = bank_gateway_recon_run(c->pay, c->n_pay, e, n, &rec, why);
	if (err != SN_OK) {
		char d[SN_DATE_STRLEN];
		sn_log(SN_LOG_ERROR, "reconciliation refused its input",
		    "date", sn_date_format(c->day, d), "error", why, NULL);
		tx_fail(c, tx, err);
		return;
	}
	err = store_result(c, tx, rec, st, ns, n);
	bank_gateway_recon_free(rec);
	if (err != SN_OK) {
		tx_fail(c, tx, err);
		return;
	}
	c->stored = true;
	if (c->req != NULL)
		sn_http_tx_reply(c->req, tx, 200, json_incref(c->summary));
	else
		sn_tx_commit(tx);
}

static void
got_settled(
    sn_tx *tx, const bank_gateway_settled_row *rows, size_t n, void *arg)
{
	run_ctx *c = arg;
	size_t   k = n ? n : 1;
	if ((c->pay = calloc(k, sizeof(*c->pay))) == NULL
	    || (c->pay_e2e = calloc(k, sizeof(*c->pay_e2e))) == NULL
	    || (c->pay_run = calloc(k, sizeof(*c->pay_run))) == NULL) {
		tx_fail(c, tx, SN_ENOMEM);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(c->pay_e2e[i], sizeof c->pay_e2e[i], "%s",
		    rows[i].end_to_end_id);
		snprintf(c->pay_run[i], sizeof c->pay_run[i], "%s",
		    rows[i].run_id[0] != '\0' ? rows[i].run_id : NO_RUN);
		c->pay[i] = (bank_gateway_recon_payment) {
			.end_to_end_id = c->pay_e2e[i],
			.amount        = rows[i].amount_fen,
			.run_id        = c->pay_run[i],
			.day           = rows[i].settled_day,
		};
	}
	c->n_pay = n;
	sn_err err
	    = bank_gateway_store_entries(tx, c->day, &c->slot, got_entries, c);
	if (err != SN_OK)
		tx_fail(c, tx, err);
}

static void
run_begin(run_ctx *c, sn_tx *tx)
{
	sn_err err = SN_OK;
	for (size_t i = 0; err == SN_OK && i < c->n_stmts; i++) {
		const fetched *f = &c->stmts[i];
		err = bank_gateway_store_statement(tx, f->account, c->day,
		    f->camt->msg_id, "https", f->doc, f->len, f->camt->entries,
		    f->camt->n_entries);
	}
	if (err == SN_OK)
		err = bank_gateway_store_settled(
		    tx, c->day, &c->slot, got_settled, c);
	if (err != SN_OK)
		tx_fail(c, tx, err);
}

static void
http_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	(void) req;
	run_begin(arg, tx);
}

static void
http_end(void *arg)
{
	run_ctx *c = arg;
	run_end(c, c->stored);
}

static void
db_begin(sn_tx *tx, void *arg)
{
	run_begin(arg, tx);
}

static void
db_done(sn_err err, void *arg)
{
	run_ctx *c = arg;
	if (err != SN_OK) {
		char d[SN_DATE_STRLEN];
		sn_log(SN_LOG_WARN, "reconciliation not stored", "date",
		    sn_date_format(c->day, d), "error", sn_strerror(err),
		    NULL);
	}
	run_end(c, err == SN_OK);
}

static void
run_tx(run_ctx *c)
{
	if (c->req != NULL)
		sn_http_tx_with_end(c->req, http_begin, http_end, c);
	else
		sn_db_tx(c->r->db, db_begin, db_done, c);
}

/* ---- the statements -------------------------------------------------------
 */

static void fetch_next(run_ctx *c);

static void
on_camt(const bank_gateway_bank_answer *a, void *arg)
{
	run_ctx    *c    = arg;
	fetched    *f    = &c->stmts[c->n_stmts];
	const char *acct = c->r->accounts[c->n_stmts];
	char        why[BANK_GATEWAY_ISO_WHY_MAX + 200];
	char        inner[BANK_GATEWAY_ISO_WHY_MAX] = "";
	if (c->r->cfg.answered != NULL)
		c->r->cfg.answered(a, c->r->cfg.answered_arg);
	if (a->err != SN_OK || a->status != 200) {
		if (a->err != SN_OK)
			snprintf(why, sizeof why,
			    "the statement of account %s was not fetched: %s",
			    acct, a->error);
		else
			snprintf(why, sizeof why,
			    "the statement of account %s was not fetched: "
			    "HTTP %ld",
			    acct, a->status);
		run_fail(c, 502, "bank_unavailable", why);
		return;
	}
	if (bank_gateway_camt054_read(
	        c->r->cfg.camt054, a->body, a->len, &f->camt, inner)
	    != SN_OK) {
		snprintf(why, sizeof why,
		    "the statement of account %s does not read: %s", acct,
		    inner);
		run_fail(c, 502, "bank_unavailable", why);
		return;
	}
	for (size_t i = 0; i < f->camt->n_entries; i++)
		if (strcmp(f->camt->entries[i].account, acct) != 0) {
			snprintf(why, sizeof why,
			    "the statement asked for account %s names "
			    "account %s",
			    acct, f->camt->entries[i].account);
			bank_gateway_camt054_free(f->camt);
			f->camt = NULL;
			run_fail(c, 502, "bank_unavailable", why);
			return;
		}
	if ((f->doc = malloc(a->len + 1)) == NULL) {
		bank_gateway_camt054_free(f->camt);
		f->camt = NULL;
		run_fail(c, 503, "unavailable", "out of memory");
		return;
	}
	memcpy(f->doc, a->body, a->len);
	f->len     = a->len;
	f->account = acct;
	c->n_stmts++;
	fetch_next(c);
}

static void
fetch_next(run_ctx *c)
{
	bank_gateway_reconciler *r = c->r;
	if (r->closing) {
		run_fail(c, 503, "unavailable", "the service is stopping");
		return;
	}
	if (bank_gateway_bank_is_drop(r->bank)
	    || c->n_stmts == r->n_accounts) {
		run_tx(c);
		return;
	}
	sn_err err = bank_gateway_bank_get_camt054(
	    r->bank, r->accounts[c->n_stmts], c->day, on_camt, c);
	if (err != SN_OK)
		run_fail(c, 503, "unavailable", sn_strerror(err));
}

/* ---- the queue -------------------------------------------------------- */

static void
run_start(bank_gateway_reconciler *r)
{
	run_ctx *c = r->head;
	if (r->running != NULL || c == NULL)
		return;
	r->head = c->next;
	if (r->head == NULL)
		r->tail = NULL;
	c->next    = NULL;
	r->running = c;
	if ((c->stmts
	        = calloc(r->n_accounts ? r->n_accounts : 1, sizeof(*c->stmts)))
	    == NULL) {
		run_fail(c, 503, "unavailable", "out of memory");
		return;
	}
	fetch_next(c);
}

static sn_err
run_queue(bank_gateway_reconciler *r, sn_date day, sn_http_req *req)
{
	run_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SN_ENOMEM;
	c->r   = r;
	c->day = day;
	c->req = req;
	if (req == NULL)
		r->timer_runs++;
	if (r->tail != NULL)
		r->tail->next = c;
	else
		r->head = c;
	r->tail = c;
	run_start(r);
	return SN_OK;
}

static void
on_tick(uv_timer_t *t)
{
	bank_gateway_reconciler *r = t->data;
	if (r->stopping || r->timer_runs > 0 || !sn_db_ready(r->db))
		return;
	sn_date today = sn_clock_today();
	run_queue(r, sn_date_add_days(today, -1), NULL);
	run_queue(r, today, NULL);
}

/* ---- the drop folder's statements ----------------------------------------
 */

typedef struct take_ctx {
	bank_gateway_reconciler *r;
	const char              *doc;
	size_t                   len;
	bank_gateway_camt054    *n;
	void (*done)(sn_err err, void *arg);
	void *arg;
} take_ctx;

/* The booking day of e; false when it has none that reads. */
static bool
entry_day(const bank_gateway_camt054_entry *e, sn_date *day)
{
	char d[SN_DATE_STRLEN];
	if (strlen(e->booking_date) < 10)
		return false;
	memcpy(d, e->booking_date, 10);
	d[10] = '\0';
	return sn_date_parse(d, day) == SN_OK;
}

/* An entry with its booking day, and its place in the notification. */
typedef struct dated {
	const bank_gateway_camt054_entry *e;
	sn_date                           day;
	size_t                            i;
} dated;

/* By account, then day: the entries of one statement together. */
static int
same_statement(const dated *x, const dated *y)
{
	int c = strcmp(x->e->account, y->e->account);
	return c != 0 ? c : sn_date_cmp(x->day, y->day);
}

/* By statement, and within one in the notification's order. */
static int
dated_cmp(const void *a, const void *b)
{
	const dated *x = a, *y = b;
	int          c = same_statement(x, y);
	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

static void
take_begin(sn_tx *tx, void *arg)
{
	take_ctx                   *t = arg;
	const bank_gateway_camt054 *n = t->n;
	size_t                      m = n->n_entries, k = 0;
	dated                      *d = calloc(m ? m : 1, sizeof(*d));
	bank_gateway_camt054_entry *g = calloc(m ? m : 1, sizeof(*g));
	sn_err err = d != NULL && g != NULL ? SN_OK : SN_ENOMEM;
	/* One statement per account and booking day among the entries:
	 * sorted by both, each statement's entries are one run. */
	for (size_t i = 0; err == SN_OK && i < m; i++)
		if (entry_day(&n->entries[i], &d[k].day)) {
			d[k].e = &n->entries[i];
			d[k].i = i;
			k++;
		}
	if (err == SN_OK)
		qsort(d, k, sizeof(*d), dated_cmp);
	for (size_t i = 0, j; err == SN_OK && i < k; i = j) {
		for (j = i; j < k && same_statement(&d[i], &d[j]) == 0; j++)
			g[j - i] = *d[j].e;
		err = bank_gateway_store_statement(tx, d[i].e->account,
		    d[i].day, n->msg_id, "drop", t->doc, t->len, g, j - i);
	}
	free(g);
	free(d);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
	else
		sn_tx_commit(tx);
}

static void
take_done(sn_err err, void *arg)
{
	take_ctx *t = arg;
	t->done(err, t->arg);
	bank_gateway_camt054_free(t->n);
	free(t);
}

sn_err
bank_gateway_reconciler_take(bank_gateway_reconciler *r, const char *doc,
    size_t len, bank_gateway_camt054 *n, void (*done)(sn_err err, void *arg),
    void *arg)
{
	take_ctx *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		bank_gateway_camt054_free(n);
		return SN_ENOMEM;
	}
	if (n->n_entries == 0)
		sn_log(SN_LOG_INFO,
		    "a camt.054 without entries: nothing stored", "msg_id",
		    n->msg_id, NULL);
	*t = (take_ctx) { r, doc, len, n, done, arg };
	sn_db_tx(r->db, take_begin, take_done, t);
	return SN_OK;
}

/* ---- HTTP ------------------------------------------------------------- */

void
bank_gateway_http_reconcile(sn_http_req *req, void *arg)
{
	bank_gateway_reconciler *r      = arg;
	static const char *const keys[] = { "date", NULL };
	json_t                  *body   = sn_http_json(req);
	sn_date                  day    = { 0, 0, 0 };
	sn_problem               p;
	sn_problem_clear(&p);
	if (!sn_in_only(body, keys, "", &p)
	    || !sn_in_date(body, "date", "", SN_IN_REQUIRED, &day, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (sn_date_cmp(day, sn_clock_today()) > 0) {
		sn_http_reply_error(req, 422, "date_in_future",
		    "a day after today has no statement yet", "date");
		return;
	}
	if (run_queue(r, day, req) != SN_OK)
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
}

/* The date of a query or path: false after answering 422. */
static bool
date_of(sn_http_req *req, const char *text, const char *field, sn_date *day)
{
	if (text == NULL || sn_date_parse(text, day) != SN_OK) {
		sn_http_reply_error(req, 422, "invalid_query",
		    "date must be YYYY-MM-DD, a real day", field);
		return false;
	}
	return true;
}

static void
summary_done(sn_err err, const char *doc, void *arg)
{
	sn_http_req *req = arg;
	json_t      *j   = NULL;
	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable",
		    "the reconciliations cannot be read now", NULL);
		return;
	}
	if (doc == NULL) {
		sn_http_reply_error(req, 404, "not_found",
		    "that day was never reconciled", "date");
		return;
	}
	if ((j = json_loads(doc, 0, NULL)) == NULL) {
		sn_http_reply_error(req, 503, "unavailable",
		    "a stored report does not read", NULL);
		return;
	}
	sn_http_reply_json(req, 200, j);
}

void
bank_gateway_http_reconciliation(sn_http_req *req, void *arg)
{
	bank_gateway_reconciler *r = arg;
	sn_date                  day;
	if (!date_of(req, sn_http_query(req, "date"), "date", &day))
		return;
	if (bank_gateway_store_reconciliation_get(
	        r->db, day, summary_done, req)
	    != SN_OK)
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
}

typedef struct items_ctx {
	sn_http_req *req;
	char         date[SN_DATE_STRLEN];
	char         kind[32];
} items_ctx;

static void
items_done(sn_err err, const char *doc, void *arg)
{
	items_ctx *x = arg;
	json_t    *j = NULL, *page = NULL;
	if (err != SN_OK
	    || (doc != NULL && (j = json_loads(doc, 0, NULL)) == NULL))
		sn_http_reply_error(x->req, 503, "unavailable",
		    "the reconciliation cannot be read now", NULL);
	else if (doc == NULL)
		sn_http_reply_error(x->req, 404, "not_found",
		    "that day was never reconciled", "date");
	else if ((page
	             = sn_page_answer(json_incref(json_object_get(j, "items")),
	                 json_is_true(json_object_get(j, "more")),
	                 (int64_t) json_integer_value(
	                     json_object_get(j, "last"))))
	    == NULL)
		sn_http_reply_error(
		    x->req, 503, "unavailable", "out of memory", NULL);
	else {
		json_object_set_new(page, "date", json_string(x->date));
		json_object_set_new(page, "kind",
		    x->kind[0] != '\0' ? json_string(x->kind) : json_null());
		sn_http_reply_json(x->req, 200, page);
	}
	json_decref(j);
	free(x);
}

void
bank_gateway_http_items(sn_http_req *req, void *arg)
{
	bank_gateway_reconciler *r = arg;
	sn_date                  day;
	sn_page                  page;
	sn_problem               p;
	const char              *kind = sn_http_query(req, "kind");
	if (!date_of(req, sn_http_param(req, "date"), "date", &day))
		return;
	if (kind != NULL) {
		bool known = false;
		for (int k = 0; k < BANK_GATEWAY_RECON_KINDS; k++)
			known |= strcmp(kind,
			             bank_gateway_recon_kind_name(
			                 (bank_gateway_recon_kind) k))
			    == 0;
		if (!known) {
			sn_http_reply_error(req, 422, "invalid_query",
			    "kind must be matched, missing_entry, "
			    "unmatched_entry, amount_mismatch, duplicate or "
			    "reversed",
			    "kind");
			return;
		}
	}
	sn_problem_clear(&p);
	if (!sn_page_query(req, &page, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	items_ctx *x = calloc(1, sizeof(*x));
	if (x == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	x->req = req;
	sn_date_format(day, x->date);
	snprintf(x->kind, sizeof x->kind, "%s", kind != NULL ? kind : "");
	if (bank_gateway_store_reconciliation_items(
	        r->db, day, kind, &page, items_done, x)
	    != SN_OK) {
		free(x);
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
	}
}

/* ---- lifecycle --------------------------------------------------------- */

sn_err
bank_gateway_reconciler_open(bank_gateway_reconciler **out, sn_service *svc,
    bank_gateway_bank *bank, const bank_gateway_reconciler_config *cfg)
{
	static const char *const results[NRES]
	    = { "balanced", "unbalanced", "failed" };
	bank_gateway_reconciler *r = calloc(1, sizeof(*r));
	size_t                   n = bank_gateway_funds_count(cfg->funds);
	if (r == NULL)
		return SN_ENOMEM;
	r->svc  = svc;
	r->db   = sn_service_db(svc);
	r->bank = bank;
	r->cfg  = *cfg;
	if ((r->accounts = calloc(n ? n : 1, sizeof(*r->accounts))) == NULL) {
		free(r);
		return SN_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const char *a = bank_gateway_funds_at(cfg->funds, i)->account;
		bool        seen = false;
		for (size_t k = 0; k < r->n_accounts && !seen; k++)
			seen = strcmp(r->accounts[k], a) == 0;
		if (!seen)
			r->accounts[r->n_accounts++] = a;
	}
	for (int i = 0; i < NRES; i++) {
		char l[48];
		snprintf(l, sizeof l, "result=\"%s\"", results[i]);
		if ((r->c_res[i] = sn_metrics_counter(sn_service_metrics(svc),
		         "sn_bank_gateway_reconciliations_total",
		         "Reconciliation runs, by result", l))
		    == NULL) {
			free(r->accounts);
			free(r);
			return SN_ENOMEM;
		}
	}
	if (cfg->period_ms > 0) {
		if (uv_timer_init(sn_loop_uv(sn_service_loop(svc)), &r->timer)
		    != 0) {
			free(r->accounts);
			free(r);
			return SN_EUV;
		}
		r->timer.data = r;
		r->timer_open = true;
		uv_timer_start(
		    &r->timer, on_tick, cfg->period_ms, cfg->period_ms);
	}
	*out = r;
	return SN_OK;
}

void
bank_gateway_reconciler_stop(bank_gateway_reconciler *r)
{
	if (r == NULL)
		return;
	r->stopping = true;
	if (r->timer_open)
		uv_timer_stop(&r->timer);
}

/* Frees r once it is closing, runs nothing and its timer is closed. */
static void
maybe_free(bank_gateway_reconciler *r)
{
	if (!r->closing || r->running != NULL
	    || (r->timer_open && !r->timer_closed))
		return;
	free(r->accounts);
	free(r);
}

static void
on_closed(uv_handle_t *h)
{
	bank_gateway_reconciler *r = h->data;
	r->timer_closed            = true;
	maybe_free(r);
}

void
bank_gateway_reconciler_close(bank_gateway_reconciler *r)
{
	if (r == NULL)
		return;
	r->stopping = true;
	r->closing  = true;
	/* Queued runs never started: dropped, their requests answered. */
	while (r->head != NULL) {
		run_ctx *c = r->head;
		r->head    = c->next;
		if (c->req != NULL)
			sn_http_reply_error(c->req, 503, "unavailable",
			    "the service is stopping", NULL);
		else
			r->timer_runs--;
		run_free(c);
	}
	r->tail = NULL;
	if (r->timer_open)
		uv_close((uv_handle_t *) &r->timer, on_closed);
	maybe_free(r);
}
