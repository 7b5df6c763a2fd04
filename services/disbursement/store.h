/*
 * store.h - every SQL statement of disbursement, and the rows it reads
 * (the tables are in schema/NNN_*.sql). Nothing outside store.c sees a
 * PGresult: results are read by column name through sn_rows (sn/db.h)
 * into the row structs below, and a column missing or of the wrong type
 * is an error naming the column (logged by sn_rows), never a silent 0.
 *
 * Statements on a transaction. Functions taking an sn_tx queue their
 * statement on it (sent at once in the pipeline, results in order). Those
 * that answer take a callback struct (fn and arg) that the caller keeps
 * alive until fn has run or the transaction has ended, usually embedded
 * in the context of the transaction: sn_tx runs no callback after a
 * failed statement, so the store allocates nothing per statement that a
 * failure could leak. fn runs once, with SN_OK and the row(s), or with an
 * error (SN_EPROTO: the result did not fit its row; SN_ENOMEM) and no
 * rows; the caller then ends the transaction. Rows and their strings are
 * borrowed for the call of fn only.
 *
 * Reads outside a transaction (functions taking an sn_db) call their fn
 * exactly once, never from inside the call, with the row or an error
 * (the database's included).
 *
 * Events are not the store's: statements that create, settle or fail
 * payments hand their rows back (disbursement_payment) and the caller
 * encodes and appends the events (events.h, sn_bus_append*).
 *
 * Parameters are copied or sent before a function returns. Everything
 * here is for the loop thread.
 */
#ifndef DISBURSEMENT_STORE_H
#define DISBURSEMENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/date.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/page.h"
#include "sn/sealdb.h"

/* ---- sealed account numbers (issue 11) ------------------------------- */

/* Every account number the service keeps is stored sealed under the
 * service's sealer (sn_seal_default()) with this associated data (one for
 * every table: SQL copies accounts between them), the payee's with a
 * blind index; the store seals what it writes and opens what it reads
 * (rows and documents alike): callers see clear values. Rows an older
 * version wrote in clear are sealed at start-up from
 * disbursement_sealed_columns (sn_service_def's seal_columns). */
#define DISBURSEMENT_SEALED_ACCOUNT "disbursement.account_number"
extern const sn_sealdb_column disbursement_sealed_columns[];
#define DISBURSEMENT_SEALED_NCOLUMNS 5

/* ---- rows --------------------------------------------------------------- */

/* A payment run. */
typedef struct disbursement_run {
	const char             *id;
	sn_month                period;
	disbursement_run_status status;
	const char             *created_by;
	const char             *created_at; /* RFC 3339 UTC */
	int64_t                 built_upto; /* last payee id built */
	int64_t                 payments, total_fen;
} disbursement_run;

/*
 * A payment as its events (events.h) and the bank need it. NULL strings:
 * grant_id for a monthly payment; beneficiary_id, period and run_id for
 * an emergency one; reason_code, reason and settled_at until the bank
 * says; doc unless the statement says it answers the JSON document.
 */
typedef struct disbursement_payment {
	const char                 *id;
	const char                 *e2e_id;
	disbursement_payment_status status;
	disbursement_fund           fund;
	int64_t                     amount_fen;
	int32_t                     attempt;
	const char *township_code, *bank_code, *account_number, *account_name;
	const char *grant_id, *beneficiary_id, *period, *run_id;
	const char *reason_code, *reason, *settled_at;
	const char *doc;        /* the payment as JSON (GET /payments/{id}) */
	int32_t     instalment; /* of transitional aid; 0 otherwise */
	/* Whether each nullable column was not NULL (sn_rows fills them;
	 * the strings above are NULL when these are false). */
	bool has_grant_id, has_beneficiary_id, has_period, has_run_id;
	bool has_reason_code, has_reason, has_settled_at;
} disbursement_payment;

/* A budget after an allocation. */
typedef struct disbursement_budget {
	disbursement_fund fund;
	int32_t           year;
	int64_t           allocated_fen, drawn_fen;
	int64_t           allocation_id;
} disbursement_budget;

/* Year-end settlement figures of a fund's year. */
typedef struct disbursement_settlement {
	bool    has_budget; /* false: nothing allocated, figures 0 */
	int64_t allocated_fen, drawn_fen;
	int64_t paid_fen, returned_fen, in_flight_fen;
	int64_t paid_count, returned_count, in_flight_count;
} disbursement_settlement;

/* A run's plan: the run and the plan rows as JSON, and their sums. */
typedef struct disbursement_plan {
	const char *run_doc;  /* the run as GET /runs/{id} answers it */
	const char *rows_doc; /* [{fund, township_code, payments,
	                       * total_fen, back_payments, back_fen,
	                       * category (price subsidy rows, else null),
	                       * persons}] */
	/* {back_payments, back_fen, recoveries, recovery_fen, netted_fen} */
	const char *corrections_doc;
	/* The price subsidy lines per category, in category order:
	 * [{category, payments, persons, total_fen}] */
	const char *subsidy_doc;
	int64_t     payments, total_fen;
} disbursement_plan;

/* A run's reconciliation figures. */
typedef struct disbursement_recon {
	disbursement_run_status status;
	int32_t                 year; /* of its payments' budget */
	disbursement_recon_in   in;   /* in.sending is not the store's */
	int64_t                 instructions_sent;
	int64_t                 short_count, short_fen;
	/* The price subsidy per category: [{category, planned: {payments,
	 * persons, total_fen}, settled: {...}}], in category order. */
	const char *subsidy_doc;
} disbursement_recon;

/* One instruction to send, as a claim hands it out. */
typedef struct disbursement_instruction {
	const char *e2e_id;
	int64_t     amount_fen;
	const char *bank_code, *account_number, *account_name;
	const char *period; /* NULL: an emergency payment */
	const char *run_id; /* NULL: an emergency payment (no run) */
	bool        has_period, has_run_id;
} disbursement_instruction;

/* Where a payment the bank answered for stands: its index among the
 * ids given (0-based), its status, how often the bank said RETRY and
 * the batch it was last claimed under ("" for none). */
typedef struct disbursement_answered {
	int64_t                     idx;
	disbursement_payment_status status;
	int32_t                     retries;
	const char                 *batch_id;
} disbursement_answered;

/* The bank's word on one instruction, to apply (strings "" for none). */
typedef struct disbursement_answer {
	const char                 *e2e_id;
	disbursement_payment_status to; /* from disbursement_rules_... */
	/* reason_code: the ISO 20022 code; reason: Chinese; reason_en */
	const char *reason_code, *reason, *reason_en, *settled_at;
	/* The bank said RETRY: retries goes up by one and the payment is
	 * not claimed again for delay_ms. */
	bool     retry;
	uint64_t delay_ms;
	/* The batch the payment is sent under when the answer comes ("" when
	 * it is not sent): it counts one payment fewer sent once the answer
	 * moves it (migration 018). */
	const char *from_batch;
} disbursement_answer;

/* ---- callbacks ---------------------------------------------------------- */

/* run NULL: no such row. */
typedef void (*disbursement_run_fn)(
    sn_tx *tx, sn_err err, const disbursement_run *run, void *arg);
typedef struct disbursement_run_cb {
	disbursement_run_fn fn;
	void               *arg;
} disbursement_run_cb;

typedef void (*disbursement_runs_fn)(
    sn_tx *tx, sn_err err, const disbursement_run *runs, size_t n, void *arg);
typedef struct disbursement_runs_cb {
	disbursement_runs_fn fn;
	void                *arg;
} disbursement_runs_cb;

/* p NULL: no such row. */
typedef void (*disbursement_payment_fn)(
    sn_tx *tx, sn_err err, const disbursement_payment *p, void *arg);
typedef struct disbursement_payment_cb {
	disbursement_payment_fn fn;
	void                   *arg;
} disbursement_payment_cb;

typedef void (*disbursement_payments_fn)(sn_tx *tx, sn_err err,
    const disbursement_payment *ps, size_t n, void *arg);
typedef struct disbursement_payments_cb {
	disbursement_payments_fn fn;
	void                    *arg;
} disbursement_payments_cb;

typedef void (*disbursement_budget_fn)(
    sn_tx *tx, sn_err err, const disbursement_budget *b, void *arg);
typedef struct disbursement_budget_cb {
	disbursement_budget_fn fn;
	void                  *arg;
} disbursement_budget_cb;

typedef void (*disbursement_flag_fn)(
    sn_tx *tx, sn_err err, bool flag, void *arg);
typedef struct disbursement_flag_cb {
	disbursement_flag_fn fn;
	void                *arg;
} disbursement_flag_cb;

/* room[f]: allocated - drawn of fund f (0 without a budget). */
typedef void (*disbursement_room_fn)(
    sn_tx *tx, sn_err err, const int64_t room[DISBURSEMENT_NFUNDS], void *arg);
typedef struct disbursement_room_cb {
	disbursement_room_fn fn;
	void                *arg;
} disbursement_room_cb;

typedef void (*disbursement_payees_fn)(sn_tx *tx, sn_err err,
    const disbursement_payee *payees, size_t n, void *arg);
typedef struct disbursement_payees_cb {
	disbursement_payees_fn fn;
	void                  *arg;
} disbursement_payees_cb;

typedef void (*disbursement_instructions_fn)(sn_tx *tx, sn_err err,
    const disbursement_instruction *in, size_t n, void *arg);
typedef struct disbursement_instructions_cb {
	disbursement_instructions_fn fn;
	void                        *arg;
} disbursement_instructions_cb;

typedef void (*disbursement_answered_fn)(sn_tx *tx, sn_err err,
    const disbursement_answered *a, size_t n, void *arg);
typedef struct disbursement_answered_cb {
	disbursement_answered_fn fn;
	void                    *arg;
} disbursement_answered_cb;

/* Reads outside a transaction. */
typedef void (*disbursement_run_read_fn)(
    sn_err err, const disbursement_run *run, void *arg);
typedef void (*disbursement_doc_read_fn)(
    sn_err err, const char *doc, void *arg);
typedef void (*disbursement_payment_read_fn)(
    sn_err err, const disbursement_payment *p, void *arg);
typedef void (*disbursement_settlement_read_fn)(
    sn_err err, const disbursement_settlement *s, void *arg);
typedef void (*disbursement_plan_read_fn)(
    sn_err err, const disbursement_plan *p, void *arg);
typedef void (*disbursement_recon_read_fn)(
    sn_err err, const disbursement_recon *r, void *arg);
typedef void (*disbursement_ids_read_fn)(
    sn_err err, const char *const *ids, size_t n, void *arg);

/* ---- payees (approval's events) ----------------------------------------- */

/* A payee as an event describes it; strings borrowed, never NULL. */
typedef struct disbursement_payee_in {
	const char           *application_id;
	const char           *beneficiary_id; /* "" from application.decided */
	disbursement_standing standing;
	/* dibao or tekun; NONE for a low-income household, paid the price
	 * subsidy alone (the fund it had, if any, stays the payee's) */
	disbursement_fund fund;
	int64_t           monthly_fen;
	const char       *district_code, *township_code, *village_code;
	const char       *bank_code, *account_number, *account_name;
	sn_month          from_month;
	bool              has_until; /* false: open */
	sn_month          until_month;
	const char       *decided_by; /* "" keeps the one recorded */
	/* Issue 9: the first month the change applies to (has_first false:
	 * an event without one restates the whole history from from_month),
	 * the persons in the household (0: unknown) and the cause
	 * (sn.assist.v1.ChangeCause). */
	bool     has_first;
	sn_month first_month;
	int32_t  members;
	int32_t  cause;
	int64_t  old_fen; /* the amount before first_month (0: none) */
	/* The category from first_month on (sn.assist.v1.Category): the
	 * price subsidy goes by it. */
	int32_t category;
	/* Issue 10: the household's members' names, a PostgreSQL text[]
	 * literal (sn_pgarray); NULL or "{}" keeps the names recorded. */
	const char *member_names;
} disbursement_payee_in;

/* application.decided: inserts the payee, or only records decided_by
 * when it exists (the register, beneficiary.changed, has the rest); its
 * months from from_month when it has none yet. */
sn_err disbursement_store_payee_decided(
    sn_tx *tx, const disbursement_payee_in *p);

/* beneficiary.changed: inserts or updates the payee whole, and its
 * months (payee_month) from first_month on: the row of first_month is
 * set and every later one goes (without a first month, every row goes
 * and one from from_month stands for the whole history). */
sn_err disbursement_store_payee_changed(
    sn_tx *tx, const disbursement_payee_in *p);

/* The household left the benefit funds (another category): exited, from
 * first (NULL: from its first month, its whole history). */
sn_err disbursement_store_payee_exit(
    sn_tx *tx, const char *application_id, const sn_month *first);

/* price_subsidy.decided: the month's subsidy, replacing one recorded. */
typedef struct disbursement_subsidy_in {
	sn_month       month;
	bool           applies;
	int64_t        per_person_fen;
	const int32_t *categories; /* sn.assist.v1.Category */
	size_t         ncategories;
	const char    *policy_version, *decided_by;
} disbursement_subsidy_in;

sn_err disbursement_store_price_subsidy(
    sn_tx *tx, const disbursement_subsidy_in *s);

/* ---- emergency payments ------------------------------------------------- */

typedef struct disbursement_grant_in {
	const char *grant_id;
	int64_t     amount_fen;
	const char *township_code;
	const char *bank_code, *account_number, *account_name;
	int32_t     year;       /* of the grant (the budget year drawn on) */
	int32_t     instalment; /* 1..n of transitional aid; 0: paid at once */
} disbursement_grant_in;

/*
 * emergency.granted: a payment "ready" at once from the emergency fund
 * and its draw on the emergency budget; nothing for a grant (and
 * instalment) already paid (UNIQUE grant_id, instalment). cb: the new
 * payment, or NULL.
 */
sn_err disbursement_store_grant_payment(sn_tx *tx,
    const disbursement_grant_in *g, const disbursement_payment_cb *cb);

/* ---- budgets ------------------------------------------------------------ */

/* Adds amount to fund's year. cb: the budget after it. */
sn_err disbursement_store_allocate(sn_tx *tx, disbursement_fund fund,
    int32_t year, int64_t amount, const char *actor,
    const disbursement_budget_cb *cb);

/* Year-end settlement figures of fund's year. */
void disbursement_store_settlement(sn_db *db, disbursement_fund fund,
    int32_t year, disbursement_settlement_read_fn fn, void *arg);

/* What is left of the benefit funds' budgets for year, locked until the
 * transaction ends. */
sn_err disbursement_store_budget_room(
    sn_tx *tx, int32_t year, const disbursement_room_cb *cb);

/* ---- runs --------------------------------------------------------------- */

/* A new run "building" for period, unless a live one exists. cb: the
 * run, or NULL when the period has a live run. */
sn_err disbursement_store_run_create(sn_tx *tx, sn_month period,
    const char *actor, const disbursement_run_cb *cb);

/* The live run of period. cb: the run or NULL. */
sn_err disbursement_store_run_of_period(
    sn_tx *tx, sn_month period, const disbursement_run_cb *cb);

/* Locks run id (a canonical uuid). cb: the run or NULL. */
sn_err disbursement_store_run_lock(
    sn_tx *tx, const char *id, const disbursement_run_cb *cb);

/* True if user decided the case of any payee run id pays. */
sn_err disbursement_store_run_decided_by(sn_tx *tx, const char *id,
    const char *user, const disbursement_flag_cb *cb);

/*
 * A decision on run id in status from: it moves to `to` (approved or
 * rejected, from disbursement_rules_run_next) with who decided and why
 * (reason NULL: none). Rejecting deletes its planned payments and gives
 * their budget back. cb: the run after it, or NULL when it was not in
 * status from.
 */
sn_err disbursement_store_run_decide(sn_tx *tx, const char *id,
    disbursement_run_status from, disbursement_run_status to, const char *user,
    const char *reason, const disbursement_run_cb *cb);

/* The oldest run still building, or NULL. */
void disbursement_store_run_building(
    sn_db *db, disbursement_run_read_fn fn, void *arg);

/* Up to limit payees after payee id `after`, in id order, as the
 * register says for period (payee_month's row in force: standing,
 * amount, until_month; no row yet: exited), with whether each has a
 * payment for period, and its price subsidy for period. A payee's
 * account_number is "-" when it has one and "" when not: the rules ask
 * only that, and the build copies the sealed account in SQL, so a chunk
 * opens none. */
sn_err disbursement_store_chunk(sn_tx *tx, sn_month period, int64_t after,
    int limit, const disbursement_payees_cb *cb);

/* Up to limit payees after payee id `after` (the chunk's payees), each
 * earlier month with a run approved (or sent) whose register changed
 * after that approval: what the register now says and what was paid.
 * cb: them in payee and month order, valid only during the call. */
typedef void (*disbursement_pasts_fn)(
    sn_tx *tx, sn_err err, const disbursement_past *past, size_t n, void *arg);
typedef struct disbursement_pasts_cb {
	disbursement_pasts_fn fn;
	void                 *arg;
} disbursement_pasts_cb;

sn_err disbursement_store_past(sn_tx *tx, sn_month period, int64_t after,
    int limit, const disbursement_pasts_cb *cb);

/* What a line of a run is. */
typedef enum disbursement_line_kind {
	DISBURSEMENT_LINE_PAYMENT = 0, /* a payment (a back-payment when
	                                * has_corrects) */
	DISBURSEMENT_LINE_RECOVERY,    /* overpaid for corrects: recorded */
	DISBURSEMENT_LINE_NETTING,     /* netted from the period's payment */
} disbursement_line_kind;

/* One line of a run: amount_fen (> 0) to (or from) payee in fund. */
typedef struct disbursement_line {
	int64_t                payee_id;
	disbursement_fund      fund;
	int64_t                amount_fen;
	disbursement_line_kind kind;
	bool                   has_corrects;
	sn_month               corrects; /* the month corrected */
	/* A price subsidy line: the category it pays for
	 * (sn.assist.v1.Category) and its persons; 0 for other lines. */
	int32_t category;
	int32_t persons;
} disbursement_line;

/*
 * Records the recoveries and nettings among lines (n of them) of run id
 * for period (nothing for the payments among them).
 */
sn_err disbursement_store_fixes(sn_tx *tx, const char *run_id, sn_month period,
    const disbursement_line *lines, size_t n);

/*
 * Creates the payments (status planned) of run id, one per payment line
 * (n lines; the others are skipped; ON CONFLICT (payee, fund, period,
 * corrects) DO NOTHING), draws their
 * amounts on the budget of year, and moves the run's built_upto to upto
 * and its shortfall up by short_count / short_fen, in one statement.
 * cb: the payments it created, in payee order (for their events).
 */
sn_err disbursement_store_build(sn_tx *tx, const char *run_id, sn_month period,
    int32_t year, const disbursement_line *lines, size_t n, int64_t upto,
    int64_t short_count, int64_t short_fen,
    const disbursement_payments_cb *cb);

/* Ends the build of run id: writes its plan and moves it from `from`
 * (building) to `to`. cb: the run, or NULL when it was not building. */
sn_err disbursement_store_build_end(sn_tx *tx, const char *id,
    disbursement_run_status from, disbursement_run_status to,
    const disbursement_run_cb *cb);

/* Approved runs → sending (from and to as the rules say). cb: them. */
sn_err disbursement_store_runs_start(sn_tx *tx, disbursement_run_status from,
    disbursement_run_status to, const disbursement_runs_cb *cb);

/* Runs in status from without a payment in an open status (open, n of
 * them: disbursement_rules_payment_open) → to. cb: them. Batches sent
 * over stale_ms ago with none of their payments sent any more are closed
 * on the way. */
sn_err disbursement_store_runs_complete(sn_tx *tx,
    disbursement_run_status from, disbursement_run_status to,
    const disbursement_payment_status *open, size_t nopen, uint32_t stale_ms,
    const disbursement_runs_cb *cb);

/* A run as JSON (doc NULL: no such run). */
void disbursement_store_run_doc(
    sn_db *db, const char *id, disbursement_doc_read_fn fn, void *arg);

/* The plan of a run (NULL: no such run). */
void disbursement_store_plan(
    sn_db *db, const char *id, disbursement_plan_read_fn fn, void *arg);

/* Reconciliation figures of run id (NULL: no such run). */
void disbursement_store_reconciliation(
    sn_db *db, const char *id, disbursement_recon_read_fn fn, void *arg);

/* ---- sending ------------------------------------------------------------ */

/*
 * Claims up to limit payments of fund to send as batch batch_id by this
 * process (sender): "ready" ones first (those whose not_before has
 * passed), then, when planned is true, "planned" ones of sending runs;
 * they become "sent" (disbursement_rules_payment_next, CLAIMED).
 */
sn_err disbursement_store_claim(sn_tx *tx, disbursement_fund fund, int limit,
    bool planned, const char *batch_id, const char *sender,
    const disbursement_instructions_cb *cb);

/* Locks the payments of the n end-to-end ids the bank answered for.
 * cb: for each one found, its index in e2e and its status. */
sn_err disbursement_store_answered(sn_tx *tx, const char *const *e2e, size_t n,
    const disbursement_answered_cb *cb);

/*
 * Applies the bank's word on n instructions locked by
 * disbursement_store_answered: each payment moves to its answer's `to`
 * with the reasons and settlement time; a final status stamps
 * finished_at, and "ready" (the bank never had it, or said RETRY) drops
 * the batch and sender, to be sent again under the same id (after a
 * RETRY: retries + 1, not before delay_ms from now). cb: the payments
 * changed.
 */
sn_err disbursement_store_apply(sn_tx *tx, const disbursement_answer *a,
    size_t n, const disbursement_payments_cb *cb);

/* A batch the bank refused whole (its n end-to-end ids e2e, as claimed):
 * its sent payments go back to "ready" under the same ids, not claimed
 * again for delay_ms (a fund without an account at bank-gateway is
 * refused each time: not at every poll). */
sn_err disbursement_store_unclaim(sn_tx *tx, const char *batch_id,
    const char *const *e2e, size_t n, uint64_t delay_ms);

/* A batch whose every try failed (its n end-to-end ids e2e): its
 * payments stay "sent" with no sender, so that a status query finds out
 * what became of them. */
sn_err disbursement_store_orphan(
    sn_tx *tx, const char *batch_id, const char *const *e2e, size_t n);

/* Up to limit instructions to ask the bank about: accepted ones, sent
 * ones no longer in flight in this process (sender) or sent more than
 * stale_ms ago, not checked in the last min_age_ms. fn: their e2e ids. */
void disbursement_store_to_query(sn_db *db, const char *sender, int limit,
    uint32_t min_age_ms, uint32_t stale_ms, disbursement_ids_read_fn fn,
    void *arg);

/* The funds run id (a canonical uuid) pays, by name, in name order, as
 * its plan has them (none for an unknown run or one still building). */
void disbursement_store_run_funds(
    sn_db *db, const char *id, disbursement_ids_read_fn fn, void *arg);

/* ---- corrections and payments ------------------------------------------- */

/* Locks payment id (a canonical uuid). cb: the payment or NULL. */
sn_err disbursement_store_payment_lock(
    sn_tx *tx, const char *id, const disbursement_payment_cb *cb);

/* A payment's new account (c from disbursement_rules_correction). */
typedef struct disbursement_account_in {
	const char *bank_code, *account_number, *account_name;
} disbursement_account_in;

/*
 * A rejected payment's new account: the old instruction goes to the
 * history, the payment moves to c->to under attempt c->attempt (the
 * next e2e id); the payee's account changes too. cb: the payment after
 * it with its doc, or NULL when it was no longer rejected.
 */
sn_err disbursement_store_correct(sn_tx *tx, const char *id,
    const disbursement_correction *c, const disbursement_account_in *acct,
    const char *actor, const disbursement_payment_cb *cb);

/* ---- account changes (maker-checker, issue 10) -------------------------- */

/*
 * A payment as an account change sees it, locked (FOR UPDATE), with its
 * payee's household and the change pending on it, if any. NULL strings
 * where the has_ flag is false.
 */
typedef struct disbursement_change {
	const char                 *payment_id;
	disbursement_payment_status status;
	const char                 *township_code;
	const char                 *grant_id;
	int32_t                     attempt;
	/* The household's members' names as a JSON array of strings ("[]":
	 * none known, or an emergency payment). */
	const char *members;
	const char *application_id, *beneficiary_id;
	/* The pending change. */
	int64_t     proposal_id;
	const char *bank_code, *account_number, *account_name, *requested_by;
	bool        has_grant_id, has_application_id, has_beneficiary_id;
	bool        has_pending, has_bank_code, has_account_number;
	bool        has_account_name, has_requested_by;
} disbursement_change;

/* c NULL: no such payment. */
typedef void (*disbursement_change_fn)(
    sn_tx *tx, sn_err err, const disbursement_change *c, void *arg);
typedef struct disbursement_change_cb {
	disbursement_change_fn fn;
	void                  *arg;
} disbursement_change_cb;

/* doc NULL: no row. */
typedef void (*disbursement_doc_fn)(
    sn_tx *tx, sn_err err, const char *doc, void *arg);
typedef struct disbursement_doc_cb {
	disbursement_doc_fn fn;
	void               *arg;
} disbursement_doc_cb;

/* Locks payment id (a canonical uuid). cb: it as a change sees it. */
sn_err disbursement_store_change_target(
    sn_tx *tx, const char *id, const disbursement_change_cb *cb);

/* A new pending account for payment_id proposed by actor; the pending
 * one, if any, is replaced (status "replaced", decided_by actor). cb:
 * the new proposal as JSON. */
sn_err disbursement_store_propose(sn_tx *tx, const char *payment_id,
    const disbursement_account_in *acct, const char *actor,
    const disbursement_doc_cb *cb);

/* The pending proposal_id confirmed or rejected by actor (reason NULL:
 * none). cb (may be NULL): the proposal as JSON, NULL when it was no
 * longer pending. */
sn_err disbursement_store_proposal_decide(sn_tx *tx, int64_t proposal_id,
    bool confirmed, const char *actor, const char *reason,
    const disbursement_doc_cb *cb);

/*
 * After disbursement_store_correct of payment id (a confirmed account
 * change, issue 10): the same payee's other payments in status c->from
 * (held) move to c->to under their next attempt with acct, and its
 * planned or ready ones take acct in place. cb: the held ones moved.
 */
sn_err disbursement_store_correct_held(sn_tx *tx, const char *id,
    const disbursement_correction *c, const disbursement_account_in *acct,
    const char *actor, const disbursement_payments_cb *cb);

/* A payment with its doc (NULL: no such payment). */
void disbursement_store_payment_doc(
    sn_db *db, const char *id, disbursement_payment_read_fn fn, void *arg);

/* ---- paged lists (sn/page.h, issue 10) ---------------------------------- */

/* A page of a list: its items as a JSON array, whether rows follow, and
 * the key of its last item (0: none). */
typedef struct disbursement_page {
	const char *items;
	bool        more;
	int64_t     last;
} disbursement_page;

typedef void (*disbursement_page_read_fn)(
    sn_err err, const disbursement_page *pg, void *arg);

/* Payments of status within the division prefix, as GET /payments/{id}
 * shows each, oldest first (by payment.list_seq). */
void disbursement_store_payments(sn_db *db, disbursement_payment_status status,
    const char *prefix, const sn_page *page, disbursement_page_read_fn fn,
    void *arg);

/* Runs as GET /runs/{id} shows each, oldest first (run.list_seq). */
void disbursement_store_runs(
    sn_db *db, const sn_page *page, disbursement_page_read_fn fn, void *arg);

/* Budgets {fund, year, allocated_fen, drawn_fen, left_fen, updated_at},
 * in the order they were first allocated (budget.list_seq). */
void disbursement_store_budgets(
    sn_db *db, const sn_page *page, disbursement_page_read_fn fn, void *arg);

#endif /* DISBURSEMENT_STORE_H */
