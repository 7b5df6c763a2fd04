/*
 * store.h - every SQL statement of the emergency service, and the rows it
 * reads (the tables, the ledger's append-only triggers and the grant_json
 * renderer are in schema/001_init.sql).
 *
 * Results come back as the typed rows below, read by column name through
 * sn_rows (sn/db.h): a column missing from a result or of the wrong type
 * is SN_EPROTO (logged, naming the column), never a silent 0. NULLs are
 * explicit: a has_ flag beside the member. Strings in a row are borrowed
 * from the result: valid during the callback only. A callback's row is
 * NULL (with SN_OK) where a function says "or no row".
 *
 * Functions taking an sn_tx queue their statement on it (sn/db.h: sent at
 * once in the pipeline, results in order). Those that answer take an
 * emergency_call, storage of the caller's that remembers the callback and
 * its argument until the answer; the caller keeps it valid until the
 * transaction ends (the answer never comes when the transaction fails
 * first), typically in the request's context. One call may serve one
 * store function after another: it is free again once its callback has
 * started. They return SN_OK, or an error when the statement could not be
 * queued (nothing then comes back).
 *
 * Functions taking an sn_db run a one-statement read of their own; their
 * callback runs exactly once, never from inside the call.
 *
 * Everything is for the loop thread. Strings passed in are copied or sent
 * before the call returns. Money is int64 fen; dates are the district's
 * (sn/clock.h), turned into instants here.
 */
#ifndef EMERGENCY_STORE_H
#define EMERGENCY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rules.h"
#include "sn/date.h"
#include "sn/db.h"
#include "sn/err.h"

/* ---- rows ------------------------------------------------------------- */

/* A grant as stored (table grants). */
typedef struct emergency_grant {
	const char            *id;
	emergency_grant_status status;
	const char            *township_code;
	const char            *village_code;
	const char            *id_number;
	const char            *name;
	emergency_cause        cause;
	const char            *description;
	int32_t                household_size;
	int64_t                amount_fen;
	const char            *bank_code;
	const char            *account_number;
	const char            *account_name;
	const char            *granted_by;
	bool                   has_approved_by; /* false: no approval */
	const char            *approved_by;
	bool                   has_granted_at; /* false: not debited */
	const char            *granted_at;     /* RFC 3339 UTC, ms */
	/* The grant as the API shows it, sealed values opened; NULL for a row
	 * read without it (the due instalments). Borrowed for the callback:
	 * json_incref to keep it. */
	json_t     *doc;
	const char *doc_sealed;  /* store.c's own: the text as read */
	int32_t     instalments; /* 0: paid at once */
	bool        has_monthly; /* false: paid at once */
	int64_t     monthly_fen; /* each instalment */
} emergency_grant;

/* Issue 10: the grants to the same person or household in the window. */
typedef struct emergency_window {
	int64_t     sum_fen; /* less what was credited back */
	const char *grants;  /* their ids, a PostgreSQL uuid[] literal */
} emergency_window;

/* A due instalment of a transitional grant, just marked published. */
typedef struct emergency_due {
	int32_t instalment;
} emergency_due;

/* A fund's ledger row just written. */
typedef struct emergency_movement {
	const char *ledger_entry_id;
	int64_t     balance_after_fen;
	const char *created_at; /* RFC 3339 UTC, ms */
} emergency_movement;

/* A township's fund, locked. */
typedef struct emergency_fund {
	int64_t balance_fen;
} emergency_fund;

/* A referral just recorded. */
typedef struct emergency_referral {
	const char *id;
	const char *created_at;
} emergency_referral;

/* The reversal of a failed payment: its ledger row. */
typedef struct emergency_reversal {
	const char *ledger_entry_id;
	const char *township_code;
	int64_t     amount_fen; /* credited back, > 0 */
	int64_t     balance_after_fen;
	const char *grant_id;
	const char *actor;
} emergency_reversal;

/* A fund's year-end settlement. */
typedef struct emergency_settlement {
	const char *report; /* the report as the API shows it (JSON) */
	const char *ledger_entry_id;
	int64_t     balance_after_fen;
} emergency_settlement;

/* ---- answers in a transaction ----------------------------------------- */

typedef void (*emergency_grant_fn)(
    sn_tx *tx, void *arg, sn_err err, const emergency_grant *g);
/* A debit: the grant and its ledger row, both or neither. */
typedef void (*emergency_debit_fn)(sn_tx *tx, void *arg, sn_err err,
    const emergency_grant *g, const emergency_movement *m);
typedef void (*emergency_movement_fn)(
    sn_tx *tx, void *arg, sn_err err, const emergency_movement *m);
typedef void (*emergency_fund_fn)(
    sn_tx *tx, void *arg, sn_err err, const emergency_fund *f);
typedef void (*emergency_referral_fn)(
    sn_tx *tx, void *arg, sn_err err, const emergency_referral *r);
typedef void (*emergency_reversal_fn)(
    sn_tx *tx, void *arg, sn_err err, const emergency_reversal *r);
typedef void (*emergency_settlement_fn)(
    sn_tx *tx, void *arg, sn_err err, const emergency_settlement *s);
typedef void (*emergency_window_fn)(
    sn_tx *tx, void *arg, sn_err err, const emergency_window *w);
/* The due instalments, n of them, each with its grant; n = 0: none. */
typedef void (*emergency_due_fn)(sn_tx *tx, void *arg, sn_err err,
    const emergency_grant *g, const emergency_due *d, size_t n);
typedef void (*emergency_doc_fn)(
    sn_tx *tx, void *arg, sn_err err, json_t *doc);

/* Where an answer goes; the caller's storage, filled by the store. */
typedef struct emergency_call {
	union {
		emergency_grant_fn      grant;
		emergency_debit_fn      debit;
		emergency_movement_fn   movement;
		emergency_fund_fn       fund;
		emergency_referral_fn   referral;
		emergency_reversal_fn   reversal;
		emergency_settlement_fn settlement;
		emergency_window_fn     window;
		emergency_due_fn        due;
		emergency_doc_fn        doc;
	} fn;
	void *arg;
	/* The next grant's of a set (emergency_store_grant_many). */
	struct emergency_call *next;
} emergency_call;

/*
 * Credits township's fund with amount (creating the fund at 0 first),
 * and appends the allocation to the ledger, in one statement. done: the
 * ledger row.
 */
sn_err emergency_store_allocate(sn_tx *tx, const char *township,
    int64_t amount, const char *note, const char *actor, emergency_call *call,
    emergency_movement_fn done, void *arg);

/* Locks township's fund until the transaction ends. done: the fund, or
 * no row when the township has none. */
sn_err emergency_store_lock_fund(sn_tx *tx, const char *township,
    emergency_call *call, emergency_fund_fn done, void *arg);

/* A grant to store; strings borrowed. The store seals the id numbers and
 * the account (sealed.h): rows read back hold them opened. */
typedef struct emergency_new_grant {
	const char        *township_code;
	const char        *village_code;
	const char        *id_number;
	const char        *name;
	emergency_cause    cause;
	const char        *description;
	int64_t            household_size;
	int64_t            amount_fen;
	const char        *bank_code;
	const char        *account_number;
	const char        *account_name;
	const char        *granted_by;
	const char *const *household; /* the members' id numbers */
	size_t             nhousehold;
	emergency_kind     kind;
	int32_t            instalments; /* 0 for a single grant */
	int64_t            monthly_fen; /* 0 for a single grant */
	bool               has_window;  /* waits because of the window */
	int64_t            window_sum_fen;
	const char        *window_grants; /* a uuid[] literal */
} emergency_new_grant;

/*
 * Issue 10: serialises grants to any of people (a text[] literal of the
 * people's blind indexes, emergency_sealed_people: the person and the
 * members) until the transaction ends, so
 * that two grants racing for one person or household read each other's
 * window. No answer.
 */
sn_err emergency_store_lock_people(sn_tx *tx, const char *people);

/*
 * The grants whose person or members overlap people, asked within the
 * last days days (the database's clock), not rejected, each counted less
 * what was credited back. done: the window (always a row).
 */
sn_err emergency_store_window(sn_tx *tx, const char *people, int32_t days,
    emergency_call *call, emergency_window_fn done, void *arg);

/*
 * A transitional grant just debited: writes its schedule, instalment 1
 * in first_month ("YYYY-MM") marked published (its event goes with it),
 * the next ones in the following months. No answer.
 */
sn_err emergency_store_schedule(
    sn_tx *tx, const char *grant_id, const char *first_month);

/* Grant id's document, read inside the transaction (after what it
 * wrote). done: the document with its sealed values opened (borrowed:
 * json_incref to keep it), or NULL when there is no such grant. */
sn_err emergency_store_grant_doc_tx(sn_tx *tx, const char *id,
    emergency_call *call, emergency_doc_fn done, void *arg);

/*
 * The instalments due by month ("YYYY-MM": theirs is not later), at most
 * max, marked published in this transaction (the caller appends their
 * emergency.granted in it: once per instalment ever). done: them.
 */
sn_err emergency_store_due(sn_tx *tx, const char *month, int max,
    emergency_call *call, emergency_due_fn done, void *arg);

/* payment.settled of instalment k of grant id: published → paid, and the
 * grant "paid" once every instalment is. No answer. */
sn_err emergency_store_instalment_paid(sn_tx *tx, const char *id, int32_t k,
    const char *payment_id, const char *settled_at);

/*
 * payment.failed of instalment k of grant id: published → failed, its
 * amount credited back to the fund (a reversal ledger row) and added to
 * the grant's reversed_fen, in one statement. done: the reversal, or no
 * row when nothing was reversed (a repeat, or not published).
 */
sn_err emergency_store_instalment_reverse(sn_tx *tx, const char *id, int32_t k,
    const char *payment_id, const char *reason_code, const char *reason,
    const char *actor, emergency_call *call, emergency_reversal_fn done,
    void *arg);

/*
 * A grant made at once, the fund locked and found to cover it
 * (emergency_rules_debit_check): in one statement, debits the fund (still
 * only if its balance covers the amount), inserts the grant ("granted")
 * and its ledger row. done: the grant and the ledger row, or no row when
 * the fund is missing or short after all (nothing was written).
 */
sn_err emergency_store_grant_now(sn_tx *tx, const emergency_new_grant *g,
    emergency_call *call, emergency_debit_fn done, void *arg);

/*
 * emergency_store_grant_now, also only if the people's window
 * (emergency_store_window, over window_days) with this grant stays within
 * limit_fen: a grant at once in one statement when nothing stands in its
 * way. The people must be locked first (emergency_store_lock_people).
 * done: no row when the fund is missing or short, or the window full
 * (nothing was written).
 */
sn_err emergency_store_grant_within(sn_tx *tx, const emergency_new_grant *g,
    int32_t window_days, int64_t limit_fen, emergency_call *call,
    emergency_debit_fn done, void *arg);

/*
 * emergency_store_grant_within for n single grants to one fund (every
 * gs[i].township_code is gs[0]'s), whose people overlap no other's, in
 * one statement (issue 15): all of them, the fund debited once and each
 * ledger row carrying the balance after it in the order given, or none
 * (the fund missing or short for all, or a window full). The people
 * must be locked first. n is 1..EMERGENCY_MANY_MAX. calls is a list of
 * n (call->next), one a grant, each told once:
 * done runs with each call's argument and its grant when all went
 * through (or an error), and for none when nothing was written.
 */
#define EMERGENCY_MANY_MAX 64 /* grants in one set, at most */
sn_err emergency_store_grant_many(sn_tx *tx, const emergency_new_grant *gs,
    size_t n, int32_t window_days, int64_t limit_fen, emergency_call *calls,
    emergency_debit_fn done);

/* A grant above the limit, stored "awaiting_approval", nothing debited.
 * done: the grant. */
sn_err emergency_store_grant_awaiting(sn_tx *tx, const emergency_new_grant *g,
    emergency_call *call, emergency_grant_fn done, void *arg);

/* Locks grant id (a valid uuid) until the transaction ends. done: the
 * grant, or no row. */
sn_err emergency_store_lock_grant(sn_tx *tx, const char *id,
    emergency_call *call, emergency_grant_fn done, void *arg);

/*
 * Approves awaiting grant id of township for amount: debits the fund if
 * the balance covers it, marks the grant granted by approver, and
 * appends the ledger row, in one statement. done: the grant and the
 * ledger row, or no row when the grant is not awaiting that approval or
 * the fund is missing or short (nothing was written).
 */
sn_err emergency_store_approve(sn_tx *tx, const char *id, const char *township,
    int64_t amount, const char *approver, const char *reason,
    emergency_call *call, emergency_debit_fn done, void *arg);

/* Rejects awaiting grant id. done: the grant, or no row when it is not
 * awaiting approval. */
sn_err emergency_store_reject(sn_tx *tx, const char *id, const char *approver,
    const char *reason, emergency_call *call, emergency_grant_fn done,
    void *arg);

/*
 * Records referral id (a new uuid) of grant grant_id unless one of that
 * kind exists. done: the referral, or no row when one exists already.
 */
sn_err emergency_store_referral(sn_tx *tx, const char *id,
    const char *grant_id, emergency_referral_kind kind, const char *department,
    const char *note, const char *created_by, emergency_call *call,
    emergency_referral_fn done, void *arg);

/* payment.settled: grant id, if still "granted", becomes "paid"
 * (settled_at as the bank reported it, or NULL). No answer. */
sn_err emergency_store_paid(
    sn_tx *tx, const char *id, const char *payment_id, const char *settled_at);

/*
 * payment.failed: grant id, if still "granted", becomes "payment_failed"
 * and its amount goes back into the fund with a reversal ledger row, in
 * one statement; a grant in any other state is left alone, so a repeat
 * reverses nothing. done: the reversal, or no row when nothing was
 * reversed.
 */
sn_err emergency_store_reverse(sn_tx *tx, const char *id,
    const char *payment_id, const char *reason_code, const char *reason,
    const char *actor, emergency_call *call, emergency_reversal_fn done,
    void *arg);

/* intake's application.submitted carrying a referral id (accepted_date
 * and event_time NULL when unknown). No answer. */
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

/*
 * Settles township's fund (locked) for year, the district's days from
 * first up to but not including end: computes the year's report from the
 * ledger, appends a settlement ledger row (amount 0, the balance now) and
 * stores the report, unless the year is settled already. done: the
 * settlement, or no row when it was settled already.
 */
sn_err emergency_store_settle(sn_tx *tx, const char *township, int year,
    sn_date first, sn_date end, const char *actor, emergency_call *call,
    emergency_settlement_fn done, void *arg);

/* The stored settlement of township and year. done: it, or no row. */
sn_err emergency_store_settlement(sn_tx *tx, const char *township, int year,
    emergency_call *call, emergency_settlement_fn done, void *arg);

/* ---- reads outside a transaction --------------------------------------- */

/* One grant's document and township. */
typedef struct emergency_grant_doc {
	const char *doc; /* JSON */
	const char *township_code;
} emergency_grant_doc;

/* done: the grant, or no row. */
void emergency_store_grant_doc(sn_db *db, const char *id,
    void (*done)(void *arg, sn_err err, const emergency_grant_doc *d),
    void *arg);

/* A page of a list (sn/page.h). */
typedef struct emergency_grant_page {
	const char *items; /* JSON array of the page's documents */
	bool        more;  /* a row beyond the page exists */
	int64_t     last;  /* the key of the page's last row (0: none) */
} emergency_grant_page;

/*
 * Grants of status (all: any) whose township code starts with prefix,
 * in the order they were asked (list_seq), those after key after, at
 * most limit. done: the page.
 */
void emergency_store_list_grants(sn_db *db, bool all,
    emergency_grant_status status, const char *prefix, int64_t limit,
    int64_t after,
    void (*done)(void *arg, sn_err err, const emergency_grant_page *p),
    void *arg);

/* A JSON document read whole. */
typedef void (*emergency_json_fn)(void *arg, sn_err err, const char *json);

/*
 * A page of the funds whose township starts with prefix (in the order
 * they were created), with their movements so far, grant_limit and
 * window_days. done: a page of {township_code, balance_fen,
 * grant_limit_fen, window_days, allocated_fen, granted_fen,
 * reversed_fen, awaiting_approval, updated_at}.
 */
void emergency_store_funds(sn_db *db, const char *prefix, int64_t grant_limit,
    int32_t window_days, int64_t limit, int64_t after,
    void (*done)(void *arg, sn_err err, const emergency_grant_page *p),
    void *arg);

/* A page of township's ledger rows (by seq). done: the page. */
void emergency_store_ledger(sn_db *db, const char *township, int64_t limit,
    int64_t after,
    void (*done)(void *arg, sn_err err, const emergency_grant_page *p),
    void *arg);

/* A page of the referrals of grants in townships starting with prefix
 * (by list_seq). done: the page. */
void emergency_store_referrals(sn_db *db, const char *prefix, int64_t limit,
    int64_t after,
    void (*done)(void *arg, sn_err err, const emergency_grant_page *p),
    void *arg);

/* The year's figures. */
typedef struct emergency_figures {
	int         year;
	const char *rows; /* JSON array of {township_code, cause, month,
	                   * person_times, persons, amount_fen,
	                   * reversed_fen} */
	int64_t person_times;
	int64_t amount_fen;
} emergency_figures;

/*
 * Grants made in year (by the district's months) in townships starting
 * with prefix, by township, cause and month. done: the figures.
 */
void emergency_store_figures(sn_db *db, const char *prefix, int year,
    void (*done)(void *arg, sn_err err, const emergency_figures *f),
    void *arg);

/* Every grant to id_number in townships starting with prefix, with its
 * payment, referrals, their applications and decisions. done: a JSON
 * array. */
void emergency_store_chain(sn_db *db, const char *id_number,
    const char *prefix, emergency_json_fn done, void *arg);

/* One fund's balance. */
typedef struct emergency_balance {
	const char *township_code;
	int64_t     balance_fen;
} emergency_balance;

/* Every fund's balance. done: n rows (NULL when err). */
void emergency_store_balances(sn_db *db,
    void (*done)(
        void *arg, sn_err err, const emergency_balance *rows, size_t n),
    void *arg);

/* How many grants are in each status: done: count[status] for every
 * status (zeros when err). */
void emergency_store_status_counts(sn_db *db,
    void (*done)(
        void *arg, sn_err err, const int64_t count[EMERGENCY_NSTATUS]),
    void *arg);

#endif /* EMERGENCY_STORE_H */
