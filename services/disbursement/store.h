/*
 * store.h - every SQL statement of disbursement (the tables, and the SQL
 * functions that encode the payment events as protobuf, are in
 * schema/001_init.sql).
 *
 * Functions taking an sn_tx queue their statement on it (sn/db.h: sent at
 * once in the pipeline, results in order; cb may be NULL); those taking
 * an sn_db run a one-statement read of their own whose done callback
 * always runs exactly once. All of them are for the loop thread. Strings
 * and arrays passed in are copied or sent before the call returns.
 *
 * Events. Statements that create, settle or fail payments insert their
 * payment.scheduled / payment.settled / payment.failed rows into the
 * outbox themselves (INSERT ... SELECT over the rows they wrote, payloads
 * encoded by the schema's pb_* functions), so that one statement handles
 * a chunk of a run or a whole batch reply. The relay picks such rows up
 * on its poll (SN_BUS_RELAY_POLL_MS), as it does rows of any process.
 *
 * Result shapes are written on each function: "row (a, b, c)" means the
 * callback gets those columns in that order, as text.
 */
#ifndef DISBURSEMENT_STORE_H
#define DISBURSEMENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/db.h"
#include "sn/err.h"

/* ---- payees (approval's events) ----------------------------------------- */

/* A payee as an event describes it; strings borrowed, never NULL except
 * until_month (NULL: open). */
typedef struct disbursement_payee_row {
	const char *application_id;
	const char *beneficiary_id; /* "" from application.decided */
	const char *status;         /* active, gradual_exit, exited */
	const char *fund;           /* dibao or tekun */
	int64_t     monthly_fen;
	const char *district_code, *township_code, *village_code;
	const char *bank_code, *account_number, *account_name;
	const char *from_month;
	const char *until_month;
	const char *decided_by; /* "" keeps the one recorded */
} disbursement_payee_row;

/* application.decided: inserts the payee, or only records decided_by
 * when it exists (the register, beneficiary.changed, has the rest). */
sn_err disbursement_store_payee_decided(
    sn_tx *tx, const disbursement_payee_row *p);

/* beneficiary.changed: inserts or updates the payee whole. */
sn_err disbursement_store_payee_changed(
    sn_tx *tx, const disbursement_payee_row *p);

/* The household left the benefit funds (another category): exited. */
sn_err disbursement_store_payee_exit(sn_tx *tx, const char *application_id);

/* ---- emergency payments ------------------------------------------------- */

typedef struct disbursement_grant_row {
	const char *grant_id;
	int64_t     amount_fen;
	const char *township_code;
	const char *bank_code, *account_number, *account_name;
	int         year; /* of the grant (the budget year drawn on) */
	const char *actor;
} disbursement_grant_row;

/*
 * emergency.granted: a payment "ready" at once from the emergency fund,
 * its draw on the emergency budget and payment.scheduled; nothing for a
 * grant already paid (UNIQUE grant_id). cb: row (created: 0 or 1).
 */
sn_err disbursement_store_grant_payment(sn_tx *tx,
    const disbursement_grant_row *g, sn_query_fn cb, void *arg);

/* ---- budgets ------------------------------------------------------------ */

/* Adds amount to fund's year. cb: row (fund, year, allocated_fen,
 * drawn_fen, allocation_id). */
sn_err disbursement_store_allocate(sn_tx *tx, const char *fund, int year,
    int64_t amount, const char *actor, sn_query_fn cb, void *arg);

/* Year-end settlement figures of fund's year. done: row (allocated_fen,
 * drawn_fen, paid_fen, returned_fen, in_flight_fen, paid_count,
 * returned_count, in_flight_count); allocated NULL when no budget. */
void disbursement_store_settlement(sn_db *db, const char *fund, int year,
    sn_db_query_fn done, void *arg);

/* ---- runs --------------------------------------------------------------- */

/* A new run "building" for period, unless a live one exists. cb: row
 * (id, created_at) or no row. */
sn_err disbursement_store_run_create(sn_tx *tx, const char *period,
    const char *actor, sn_query_fn cb, void *arg);

/* The live run of period. cb: row (id, status) or no row. */
sn_err disbursement_store_run_of_period(
    sn_tx *tx, const char *period, sn_query_fn cb, void *arg);

/* Locks run id. cb: row (status, period, created_by, built_upto,
 * payments, total_fen) or no row. */
sn_err disbursement_store_run_lock(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg);

/* True if user decided the case of any payee run id pays. cb: row
 * ("t" or "f"). */
sn_err disbursement_store_run_decided_by(sn_tx *tx, const char *id,
    const char *user, sn_query_fn cb, void *arg);

/* awaiting_approval → approved. cb: row (period, payments, total_fen). */
sn_err disbursement_store_run_approve(sn_tx *tx, const char *id,
    const char *user, const char *reason, sn_query_fn cb, void *arg);

/* awaiting_approval → rejected: deletes its planned payments and gives
 * their budget back. cb: row (period, payments, total_fen, deleted). */
sn_err disbursement_store_run_reject(sn_tx *tx, const char *id,
    const char *user, const char *reason, sn_query_fn cb, void *arg);

/* The oldest run still building. done: row (id, period, built_upto,
 * created_by) or no row. */
void disbursement_store_run_building(
    sn_db *db, sn_db_query_fn done, void *arg);

/* What is left of the benefit funds' budgets for year, locked until the
 * transaction ends. cb: rows (fund, room_fen). */
sn_err disbursement_store_budget_room(
    sn_tx *tx, int year, sn_query_fn cb, void *arg);

/* Up to limit payees after payee id `after`, in id order, with whether
 * each has a payment for period. cb: rows (id, fund, status,
 * monthly_fen, from_month, until_month or NULL, account_number,
 * paid "t"/"f"). */
sn_err disbursement_store_chunk(sn_tx *tx, const char *period, int64_t after,
    int limit, sn_query_fn cb, void *arg);

/*
 * Creates the payments of run id for the payees ids (n of them; ON
 * CONFLICT (payee, fund, period) DO NOTHING), draws their amounts on the
 * budget, appends their payment.scheduled, and moves the run's
 * built_upto to upto and its shortfall up by short_count / short_fen.
 * cb: row (created, run payments, run total_fen).
 */
sn_err disbursement_store_build(sn_tx *tx, const char *run_id,
    const char *period, int year, const int64_t *ids, size_t n,
    int64_t upto, int64_t short_count, int64_t short_fen, const char *actor,
    sn_query_fn cb, void *arg);

/* Ends the build of run id: writes its plan and moves it to
 * awaiting_approval. cb: row (period, payments, total_fen) or no row
 * when it was not building. */
sn_err disbursement_store_build_end(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg);

/* Approved runs → sending. cb: rows (id, period, payments, total_fen). */
sn_err disbursement_store_runs_start(sn_tx *tx, sn_query_fn cb, void *arg);

/* Sending runs without a payment left to send or answer → completed.
 * cb: rows (id, period, payments, total_fen). */
sn_err disbursement_store_runs_complete(sn_tx *tx, sn_query_fn cb, void *arg);

/* A run as JSON. done: row (json) or no row. */
void disbursement_store_run_doc(
    sn_db *db, const char *id, sn_db_query_fn done, void *arg);

/* The plan of a run. done: row (run json, rows json, payments,
 * total_fen) or no row. */
void disbursement_store_plan(
    sn_db *db, const char *id, sn_db_query_fn done, void *arg);

/*
 * Reconciliation figures of run id. done: row (status, year, plan_count,
 * plan_fen, payments_count, payments_fen, unsent_count, unsent_fen,
 * unknown_count, unknown_fen, settled_count, settled_fen,
 * rejected_count, rejected_fen, replaced_count, run_total_fen,
 * dibao_allocated, dibao_drawn, tekun_allocated, tekun_drawn,
 * instructions_sent, short_count, short_fen) or no row.
 */
void disbursement_store_reconciliation(
    sn_db *db, const char *id, sn_db_query_fn done, void *arg);

/* ---- sending ------------------------------------------------------------ */

/*
 * Claims up to limit payments of fund to send as batch batch_id by this
 * process (sender): "ready" ones first, then "planned" ones of sending
 * runs; they become "sent". cb: rows (e2e_id, amount_fen, bank_code,
 * account_number, account_name, period or NULL).
 */
sn_err disbursement_store_claim(sn_tx *tx, const char *fund, int limit,
    const char *batch_id, const char *sender, sn_query_fn cb, void *arg);

/*
 * Applies the bank's word on n instructions (e2e ids with our status
 * names "accepted", "settled", "rejected", "unknown", reason codes,
 * reasons and settlement times; "" for none) to payments still sent or
 * accepted: settled and rejected are final and append payment.settled /
 * payment.failed; accepted waits for a query; unknown goes back to
 * "ready" under the same e2e id (the bank never had it). cb: row
 * (settled, rejected, accepted, unknown) counts.
 */
sn_err disbursement_store_apply(sn_tx *tx, size_t n,
    const char *const *e2e, const char *const *status,
    const char *const *code, const char *const *reason,
    const char *const *settled_at, sn_query_fn cb, void *arg);

/* A batch the bank refused whole: its payments go back to "ready" under
 * the same ids. */
sn_err disbursement_store_unclaim(sn_tx *tx, const char *batch_id);

/* A batch whose every try failed: its payments stay "sent" with no
 * sender, so that a status query finds out what became of them. */
sn_err disbursement_store_orphan(sn_tx *tx, const char *batch_id);

/* Up to limit instructions to ask the bank about: accepted ones, sent
 * ones no longer in flight in this process (sender) or sent more than
 * stale_ms ago, not checked in the last min_age_ms. done: rows (e2e_id). */
void disbursement_store_to_query(sn_db *db, const char *sender, int limit,
    uint32_t min_age_ms, uint32_t stale_ms, sn_db_query_fn done, void *arg);

/* ---- corrections -------------------------------------------------------- */

/* Locks payment id. cb: row (status, township_code, grant_id or NULL,
 * attempt) or no row. */
sn_err disbursement_store_payment_lock(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg);

/* A rejected payment's new account: the old instruction goes to the
 * history, the payment gets the next e2e id and is "ready"; the payee's
 * account changes too; payment.scheduled. cb: row (payment json). */
sn_err disbursement_store_correct(sn_tx *tx, const char *id,
    const char *bank_code, const char *account_number,
    const char *account_name, const char *actor, sn_query_fn cb, void *arg);

/* A payment as JSON. done: row (json, township_code) or no row. */
void disbursement_store_payment_doc(
    sn_db *db, const char *id, sn_db_query_fn done, void *arg);

/* Payments of status within the division prefix (newest first, at most
 * limit). done: row (json array). */
void disbursement_store_payments(sn_db *db, const char *status,
    const char *prefix, int limit, sn_db_query_fn done, void *arg);

#endif /* DISBURSEMENT_STORE_H */
