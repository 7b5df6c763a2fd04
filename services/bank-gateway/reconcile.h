/*
 * bank-gateway/reconcile.h - the day's reconciliation of the payments
 * the bank settled with its camt.054 debit notifications (issue 14).
 *
 * A run for day D:
 *   1. HTTPS: for every configured fund account (each account once),
 *      GET <base>/camt.054?account=&date=D within the statement
 *      deadline (bank.h), read and validated (camt054.h). Any account
 *      that cannot be fetched or read fails the whole run: nothing is
 *      stored, so no report claims a balance without every statement.
 *      Drop folder: no fetch; the statements are those the bank left in
 *      in/ (bank_gateway_reconciler_take).
 *   2. In one transaction: the fetched statements stored (a fetch again
 *      replaces that account-day's entries: idempotent); the payments
 *      of D and every entry stored for D read; bank_gateway_recon_run
 *      (recon.h) matches them by EndToEndId; the day's report replaces
 *      the last: the summary, every item, and the totals per run.
 *      The payments of D (the settlements table: each end-to-end id
 *      once) are those the bank booked on D by its statement, and those
 *      the gateway learned settled on D (the district's day) that no
 *      other day's stored statement books: a payment settled at the
 *      bank just before midnight and learned of after it is reconciled
 *      on the bank's day, not reported missing on one day and
 *      unmatched on the other.
 * Runs come from a timer (every period_ms, for yesterday and then
 * today, the district's days; none when 0) and from POST
 * /reconciliations. One run at a time: a request while one runs waits
 * for it to end, then runs its own.
 *
 * The summary (GET /reconciliations?date=D, and POST's answer):
 *   {"date", "reconciled_at", "balanced", "payments", "entries",
 *    "skipped", "expected_fen", "booked_fen", "difference_fen",
 *    "kinds": {"matched": {"count", "expected_fen", "booked_fen"},
 *              "missing_entry": ..., "unmatched_entry": ...,
 *              "amount_mismatch": ..., "duplicate": ..., "reversed": ...},
 *    "runs": [{"run_id", "balanced", "expected_fen", "booked_fen",
 *              "difference_fen", "kinds": {...}}, ...],
 *    "accounts": [{"account", "fund", "camt_msg_id", "fetched_at",
 *                  "source"}, ...]}
 * balanced: nothing but matched items. A payment outside any run
 * (run_id "") is counted under run_id "".
 *
 * HTTP (finance roles, as disbursement's):
 *   POST /reconciliations {"date": "YYYY-MM-DD"}  (finance; Idempotency-
 *       Key) runs it now: 200 with the summary; 422 for a bad body or a
 *       day after today; 502 bank_unavailable when a statement cannot
 *       be fetched or read (nothing stored); 503 when the database
 *       fails.
 *   GET /reconciliations?date=  (finance, finance_approver) the stored
 *       summary; 404 not_found when the day was never reconciled; 422
 *       invalid_query for a missing or bad date.
 *   GET /reconciliations/{date}/items?kind=&limit=&cursor=  (same
 *       roles) the items, paged (sn/page.h), of one kind or all; 404,
 *       422 likewise.
 *
 * Metrics: sn_bank_gateway_reconciliations_total{result} balanced,
 * unbalanced, failed.
 *
 * Threads: every function here is for the loop thread only.
 */
#ifndef BANK_GATEWAY_RECONCILE_H
#define BANK_GATEWAY_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "camt054.h"
#include "funds.h"
#include "sn/err.h"
#include "sn/service.h"

typedef struct bank_gateway_reconciler bank_gateway_reconciler;

typedef struct bank_gateway_reconciler_config {
	/* Borrowed; must outlive the reconciler. */
	const bank_gateway_funds      *funds;
	const bank_gateway_iso_schema *camt054;
	uint32_t                       period_ms; /* 0: no timer */
	/* Told of every camt.054 answer (or its failure) before it is
	 * judged, on the loop thread: the gateway counts the call. NULL:
	 * nobody. */
	bank_gateway_bank_fn answered;
	void                *answered_arg;
} bank_gateway_reconciler_config;

/* Opens it on svc's loop and database, fetching through bank (borrowed,
 * must outlive it), and starts the timer. */
sn_err bank_gateway_reconciler_open(bank_gateway_reconciler **out,
    sn_service *svc, bank_gateway_bank *bank,
    const bank_gateway_reconciler_config *cfg);

/*
 * The drop folder: a camt.054 file (doc, len bytes, borrowed until done
 * runs; read as n, which the reconciler owns from the call on, error or
 * not) stored as the statement of each account and booking day among
 * its entries (replacing what was stored for that account and day).
 * done(err, arg) runs exactly once, later, unless an error is returned
 * (nothing queued). A file without entries stores nothing and is fine.
 */
sn_err bank_gateway_reconciler_take(bank_gateway_reconciler *r,
    const char *doc, size_t len, bank_gateway_camt054 *n,
    void (*done)(sn_err err, void *arg), void *arg);

/* The HTTP handlers (main.c's route table; arg: the reconciler). */
void bank_gateway_http_reconcile(sn_http_req *req, void *arg);
void bank_gateway_http_reconciliation(sn_http_req *req, void *arg);
void bank_gateway_http_items(sn_http_req *req, void *arg);

/* Stops the timer; runs in flight finish. NULL: no-op. */
void bank_gateway_reconciler_stop(bank_gateway_reconciler *r);

/* Drops the queued runs (their requests answered 503) and frees r once
 * its timer is closed and the run in flight has ended: call it before
 * closing the bank link, whose closing ends that run's fetch. NULL:
 * no-op. */
void bank_gateway_reconciler_close(bank_gateway_reconciler *r);

#endif /* BANK_GATEWAY_RECONCILE_H */
