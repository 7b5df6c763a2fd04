/*
 * handlers.h - what comes into disbursement (issue 5): the HTTP API of
 * finance, finance approvers and township officers, and the events of
 * approval and emergency. The work that goes out on its own (building
 * runs, sending instructions, asking the bank) is payout.h's.
 *
 * HTTP API (every POST/PUT takes an Idempotency-Key and makes its change,
 * its events and its stored answer in one transaction; refused input
 * changes nothing; errors are {"error": {"code", "message", "field"}}):
 *   POST /budgets   finance (district). {fund, year, amount_fen} → 201
 *        {fund, year, allocated_fen, drawn_fen, left_fen, allocation_id};
 *        allocations add up.
 *   GET  /budgets/{fund}/{year}/settlement   finance, finance_approver →
 *        {fund, year, allocated_fen, drawn_fen, paid_fen, returned_fen
 *        (rejected and not re-paid), in_flight_fen, left_fen (allocated
 *        − paid − in flight), uncommitted_fen (allocated − drawn), and
 *        the counts}. 404 "no_budget".
 *   POST /runs   finance (district). {period: "YYYY-MM"} → 202 {id,
 *        period, status "building"}; the run is built in the background
 *        (payout.h) and then awaits approval. 409 "run_exists" (with
 *        error.run_id) when the period has a live run.
 *   GET  /runs/{id}, GET /runs/{id}/plan (用款计划: {run, rows: [{fund,
 *        township_code, payments, total_fen}], payments, total_fen}),
 *        GET /runs/{id}/reconciliation: finance, finance_approver.
 *   POST /runs/{id}/approval   finance_approver (district). {decision:
 *        approve|reject, reason?} → 200 the run. 403 "same_user" (the
 *        creator), 403 "approved_a_case" (approving a run that pays a
 *        case the approver decided), 409 "not_awaiting_approval".
 *        Rejecting deletes the run's payments and gives their budget
 *        back; the period can then be run again.
 *   GET  /payments/{id}   finance, finance_approver, township_officer
 *        (within the payment's township).
 *   GET  /payments?status=rejected&township=T   the same roles; a
 *        township officer sees only his township.
 *   PUT  /payments/{id}/account   township_officer within the payment's
 *        township. {bank_code, account_number, account_name} → 200 the
 *        payment, "ready" under a new end-to-end id (attempt + 1): it
 *        goes out at once, still the same payment (one per payee, fund
 *        and period). 409 "not_rejected"; 409 "not_correctable" for an
 *        emergency payment (emergency has credited its fund back and
 *        grants again).
 *
 * Events followed (applied once, in order, in the bus's transaction):
 *   approval application.decided   an approved tekun/dibao decision with
 *        a monthly amount: the payee (from effective_month), and who
 *        decided it (segregation of duties).
 *   approval beneficiary.changed   the register: the payee's standing,
 *        amount, fund, account and months.
 *   emergency emergency.granted    a payment "ready" at once from the
 *        emergency fund, with ref.grant_id; once per grant.
 * Events published (sn.pay.v1, schema version 1; subject the payment or
 * run id): payment.scheduled, payment.settled, payment.failed (store.h),
 * payment_run.changed (at every status change of a run).
 *
 * Everything runs on the service's loop thread.
 */
#ifndef DISBURSEMENT_HANDLERS_H
#define DISBURSEMENT_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bank.h"
#include "sn/metrics.h"
#include "sn/service.h"

/* Settings, read by main.c (SN_DISBURSEMENT_*, SN_BANK_URL). */
typedef struct disbursement_config {
	const char *bank_url;        /* SN_BANK_URL */
	int         batch;           /* instructions per batch */
	uint32_t    bank_timeout_ms; /* per try */
	uint32_t    bank_retries;    /* tries after the first */
	int         inflight;        /* batches in flight at once */
	uint32_t    poll_ms;         /* sender and status-query period */
	int         build_chunk;     /* payees per build transaction */
	int         utc_offset_min;  /* the district's time: budget years */
} disbursement_config;

/*
 * The service's state. The caller provides the storage (main.c keeps it
 * static); it must outlive sn_service_main.
 */
typedef struct disbursement {
	sn_service         *svc;
	disbursement_config cfg;
	disbursement_bank  *bank;
	char                sender[40]; /* this process, in payment.sender */
	uv_timer_t          timer;
	bool                timer_open;
	bool                stopping;
	int                 inflight;  /* batches with the bank */
	bool                claiming;  /* a claim transaction is running */
	int                 next_fund; /* round robin over the funds */
	bool                querying;  /* a status query is running */
	bool                building;  /* a build transaction is running */
	bool                housekeeping;
	sn_counter         *instr[4];  /* settled, rejected, accepted, unknown */
	sn_counter         *runs_built;
} disbursement;

/*
 * Registers the routes and the event handlers on svc, opens the bank
 * client and starts payout's timer. From the service's setup.
 */
sn_err disbursement_init(
    disbursement *d, sn_service *svc, const disbursement_config *cfg);

/* Stops the timer and closes the bank client (teardown). NULL: no-op. */
void disbursement_fini(disbursement *d);

/*
 * Appends payment_run.changed for run id to tx. From handlers and payout.
 */
sn_err disbursement_run_changed(disbursement *d, sn_tx *tx, const char *id,
    const char *period, const char *status, int64_t payments,
    int64_t total_fen, const char *actor);

#endif /* DISBURSEMENT_HANDLERS_H */
