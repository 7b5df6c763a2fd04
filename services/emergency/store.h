/*
 * store.h - every SQL statement of the emergency service (the tables,
 * the ledger's append-only triggers and the grant_json renderer are in
 * schema/001_init.sql).
 *
 * Functions taking an sn_tx queue their statement on it (sn/db.h: sent
 * at once in the pipeline, results in order; cb may be NULL); those
 * taking an sn_db run a one-statement read of their own whose done
 * callback always runs exactly once. All of them are for the loop
 * thread. Strings passed in are copied or sent before the call returns.
 * Money is passed as int64 fen and rendered here.
 *
 * Result shapes are written on each function: "row (a, b, c)" means the
 * callback gets those columns in that order, as text.
 */
#ifndef EMERGENCY_STORE_H
#define EMERGENCY_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "sn/db.h"
#include "sn/err.h"

/*
 * Credits township's fund with amount (creating the fund at 0 first),
 * and appends the allocation to the ledger, in one statement.
 * cb: row (ledger_entry_id, balance_after_fen, created_at).
 */
sn_err emergency_store_allocate(sn_tx *tx, const char *township,
    int64_t amount, const char *note, const char *actor, sn_query_fn cb,
    void *arg);

/* A grant as stored; strings borrowed. */
typedef struct emergency_new_grant {
	const char *township_code;
	const char *village_code;
	const char *id_number;
	const char *name;
	const char *cause;
	const char *description;
	int64_t     household_size;
	int64_t     amount_fen;
	const char *bank_code;
	const char *account_number;
	const char *account_name;
	const char *granted_by;
} emergency_new_grant;

/*
 * A grant made at once: in one statement, debits the fund only if its
 * balance covers the amount (UPDATE ... WHERE balance_fen >= amount),
 * and then inserts the grant (status "granted") and its ledger row.
 * cb: row (grant_id, balance_after_fen, ledger_entry_id, grant_json),
 * or no row when the fund is missing or short (nothing was written).
 */
sn_err emergency_store_grant_now(sn_tx *tx, const emergency_new_grant *g,
    sn_query_fn cb, void *arg);

/* A grant above the limit, stored "awaiting_approval", nothing debited.
 * cb: row (grant_id, grant_json). */
sn_err emergency_store_grant_awaiting(sn_tx *tx, const emergency_new_grant *g,
    sn_query_fn cb, void *arg);

/* The balance of township's fund now, and amount handed back (so that a
 * callback holding only the request can name both). cb: row
 * (balance_fen or NULL when there is no fund, amount_fen). */
sn_err emergency_store_balance(sn_tx *tx, const char *township,
    int64_t amount, sn_query_fn cb, void *arg);

/* The same for the fund of grant id: row (balance_fen or NULL,
 * the grant's amount_fen). */
sn_err emergency_store_grant_balance(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg);

/*
 * Locks grant id (a valid uuid) until the transaction ends. cb: row
 * (status, township_code, village_code, granted_by, id_number, name,
 * household_size, amount_fen, bank_code, account_number, account_name),
 * or no row.
 */
sn_err emergency_store_lock_grant(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg);

/*
 * Approves awaiting grant id of township for amount: debits the fund if
 * the balance covers it, marks the grant granted by approver, and
 * appends the ledger row, in one statement. cb: row (grant_id,
 * balance_after_fen, ledger_entry_id, grant_json), or no row when the
 * fund is missing or short (nothing was written).
 */
sn_err emergency_store_approve(sn_tx *tx, const char *id,
    const char *township, int64_t amount, const char *approver,
    const char *reason, sn_query_fn cb, void *arg);

/* Rejects awaiting grant id. cb: row (grant_json). */
sn_err emergency_store_reject(sn_tx *tx, const char *id,
    const char *approver, const char *reason, sn_query_fn cb, void *arg);

/*
 * Records referral id (a new uuid) of grant grant_id unless one of that
 * kind exists. cb: row (referral_id, created_at), or no row when it
 * exists already.
 */
sn_err emergency_store_referral(sn_tx *tx, const char *id,
    const char *grant_id, const char *kind, const char *department,
    const char *note, const char *created_by, sn_query_fn cb, void *arg);

/* payment.settled: grant id, if "granted", becomes "paid". cb: row
 * (grant_id, status before), or no row when there is no such grant. */
sn_err emergency_store_paid(sn_tx *tx, const char *id, const char *payment_id,
    const char *settled_at, sn_query_fn cb, void *arg);

/*
 * payment.failed: grant id, if "granted", becomes "payment_failed" and
 * its amount goes back into the fund with a reversal ledger row, in one
 * statement; a grant in any other state is left alone, so a repeated
 * failure reverses nothing. cb: row (ledger_entry_id, township_code,
 * amount_fen, balance_after_fen, grant_id, actor) when reversed, no row
 * otherwise.
 */
sn_err emergency_store_reverse(sn_tx *tx, const char *id,
    const char *payment_id, const char *reason_code, const char *reason,
    const char *actor, sn_query_fn cb, void *arg);

/* intake's application.submitted carrying a referral id. */
sn_err emergency_store_application(sn_tx *tx, const char *application_id,
    const char *referral_id, const char *taken_in_by,
    const char *accepted_date, const char *event_time);

/* intake's application.withdrawn (ignored for unknown applications). */
sn_err emergency_store_withdrawn(sn_tx *tx, const char *application_id,
    const char *reason, const char *event_time);

/* approval's application.decided; the latest decision wins. */
typedef struct emergency_decision {
	const char *application_id;
	const char *case_id;
	bool        approved;
	const char *category; /* NULL: unspecified */
	int64_t     monthly_amount_fen;
	const char *effective_month;
	const char *decided_by;
	const char *reason;
	const char *event_time; /* RFC 3339 or NULL: now */
} emergency_decision;
sn_err emergency_store_decision(sn_tx *tx, const emergency_decision *d);

/* Locks township's fund. cb: row (balance_fen), or no row. */
sn_err emergency_store_lock_fund(
    sn_tx *tx, const char *township, sn_query_fn cb, void *arg);

/*
 * Settles township's fund for year (the district's calendar year, UTC
 * offset in minutes): computes the year's report from the ledger,
 * appends a settlement ledger row (amount 0, the balance now) and stores
 * the report, unless the year is settled already. cb: row (report JSON,
 * ledger_entry_id, balance_after_fen), or no row when settled already.
 */
sn_err emergency_store_settle(sn_tx *tx, const char *township, int year,
    int utc_offset_min, const char *actor, sn_query_fn cb, void *arg);

/* The stored settlement report of township and year. cb: row (JSON). */
sn_err emergency_store_settlement(sn_tx *tx, const char *township,
    int year, sn_query_fn cb, void *arg);

/* One grant. done: row (grant_json, township_code), or no row. */
void emergency_store_grant_doc(
    sn_db *db, const char *id, sn_db_query_fn done, void *arg);

/*
 * Grants of status ("all" for any) whose township code starts with
 * prefix, oldest first, at most limit. done: row (JSON array, true when
 * more matched).
 */
void emergency_store_list_grants(sn_db *db, const char *status,
    const char *prefix, int limit, sn_db_query_fn done, void *arg);

/* Funds whose township starts with prefix, with their year-to-date
 * movements. done: row (JSON array). */
void emergency_store_funds(sn_db *db, const char *prefix,
    int64_t grant_limit, sn_db_query_fn done, void *arg);

/*
 * Grants made in year (district calendar) in townships starting with
 * prefix, by township, cause and month. done: row (JSON array of
 * {township_code, cause, month, person_times, persons, amount_fen,
 * reversed_fen}, total person-times, total amount_fen).
 */
void emergency_store_figures(sn_db *db, const char *prefix, int year,
    int utc_offset_min, sn_db_query_fn done, void *arg);

/* Every grant to id_number in townships starting with prefix, with its
 * payment, referrals, their applications and decisions. done: row (JSON
 * array). */
void emergency_store_chain(sn_db *db, const char *id_number,
    const char *prefix, sn_db_query_fn done, void *arg);

/* Every fund's balance. done: rows (township_code, balance_fen). */
void emergency_store_balances(sn_db *db, sn_db_query_fn done, void *arg);

/* Grants per status. done: rows (status, count). */
void emergency_store_status_counts(sn_db *db, sn_db_query_fn done, void *arg);

#endif /* EMERGENCY_STORE_H */
