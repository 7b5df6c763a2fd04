/*
 * bank-sim/store.h - the SQL of bank-sim's book (the tables are in
 * schema/; store_iso.h has the ISO 20022 side's statements), and with
 * store_iso.c the only code that reads their results: the callers get
 * typed rows, never a PGresult.
 *
 * Functions taking an sn_tx queue their statement on it (sn/db.h: sent
 * at once in the pipeline, results in order). Their callback, when one
 * is given, is kept in a bank_sim_store_slot the caller provides and
 * runs with the typed result once it arrives; it never runs when the
 * transaction fails first, and a result of the wrong shape (a missing
 * or mistyped column, logged naming it) rolls the transaction back with
 * SN_EPROTO instead of running it. Functions taking an sn_db run a
 * one-statement read or update of their own whose callback runs exactly
 * once, with the error or the typed result. All are for the loop thread.
 * Strings passed in are copied or sent before the call returns; rows
 * handed to a callback, and their strings, are borrowed for the call.
 * Lists travel as PostgreSQL arrays (sn_pgarray), so one statement
 * handles a whole batch.
 */
#ifndef BANK_SIM_STORE_H
#define BANK_SIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/page.h"

/* An end-to-end id's status in the book: BANK_SIM_UNKNOWN for an id
 * never received. */
typedef struct bank_sim_status_row {
	bank_sim_status status;
} bank_sim_status_row;

/* Callbacks of the tx forms; tx is the transaction, still open. */
/* is_new: the batch_id was free and is now this batch's. */
typedef void (*bank_sim_claimed_fn)(sn_tx *tx, bool is_new, void *arg);
/* inserted: the rows written. */
typedef void (*bank_sim_inserted_fn)(sn_tx *tx, int64_t inserted, void *arg);
/* rows: n of them, one per id asked, in the order asked. */
typedef void (*bank_sim_statuses_fn)(
    sn_tx *tx, const bank_sim_status_row *rows, size_t n, void *arg);

/*
 * Where a tx form keeps its callback until the result arrives: storage
 * the caller owns (embedded in its context), one per query in flight,
 * which must outlive the transaction. Filled by the store; nothing in
 * it is to be freed.
 */
typedef struct bank_sim_store_slot {
	void (*fn)(void); /* one of the callback types above */
	void *arg;
} bank_sim_store_slot;

/*
 * The book's terms for the rows a statement settles: the time it is
 * (sn_clock_now_ms: settled_at and settle_due_at follow the district's
 * clock, so that a test clock moves the statements' booking days), the
 * delay before an accepted row falls due, and the draw of the rows left
 * out of statements (bank_sim_in_statement in the schema: omit_pct of
 * the ids, by the seed). Strings borrowed for the call.
 */
typedef struct bank_sim_terms {
	int64_t     now_ms;
	uint32_t    settle_ms;
	const char *seed;     /* SN_BANK_SIM_SEED as text */
	uint32_t    omit_pct; /* SN_BANK_SIM_STATEMENT_OMIT_PERCENT */
} bank_sim_terms;

/* ---- the plumbing store_iso.c shares ------------------------------------ */

/* The statuses' names by bank_sim_status, "unknown" first (the SQL
 * answers 'unknown' for an id never received), NULL-ended: the table of
 * SN_COL_ENUMOF for a status column. */
extern const char *const bank_sim_store_status_names[];

/* Keeps fn (one of the callback types above) and arg in slot. */
void bank_sim_store_slot_set(
    bank_sim_store_slot *slot, void (*fn)(void), void *arg);

/* The sn_query_fn of a tx form whose SQL answers one row with an
 * integer column "n": passes n to the bank_sim_inserted_fn kept in the
 * slot arg; rolls the transaction back (SN_EPROTO) on another shape. */
void bank_sim_store_count_read(sn_tx *tx, PGresult *res, void *arg);

/*
 * The rows of res as structs of size bytes, read by cols, into a new
 * array (*out, free it; NULL when there are none), their strings
 * borrowed from res. SN_EPROTO for a result of the wrong shape,
 * SN_ENOMEM.
 */
sn_err bank_sim_store_rows(const PGresult *res, const sn_col *cols,
    size_t ncols, size_t size, void **out, size_t *n);

/* A db form's callback (one of the *_done types) until its result
 * arrives: sn_db_query's done always runs, and frees it there. */
typedef struct bank_sim_store_pending {
	void (*fn)(void);
	void *arg;
} bank_sim_store_pending;

/* A new one holding fn and arg; NULL when out of memory. */
bank_sim_store_pending *bank_sim_store_pending_new(
    void (*fn)(void), void *arg);

/* terms's numbers as text, for a statement's parameters. */
typedef struct bank_sim_terms_text {
	char now[24]; /* now_ms */
	char ms[16];  /* settle_ms */
	char pct[16]; /* omit_pct */
} bank_sim_terms_text;

void bank_sim_terms_text_of(
    const bank_sim_terms *terms, bank_sim_terms_text *t);

/* ---- the book ------------------------------------------------------------
 */

/* Claims batch_id (a pain.001's MsgId: batches holds every MsgId ever
 * taken) for a new message of count transactions summing to
 * control_sum_fen, paid from debtor_account (its first block's); nothing
 * written if it was taken before. */
sn_err bank_sim_store_claim_batch(sn_tx *tx, const char *batch_id,
    const char *debtor_account, int64_t count, int64_t control_sum_fen,
    bank_sim_store_slot *slot, bank_sim_claimed_fn fn, void *arg);

/* The stored statuses of the n end-to-end ids ins[i].end_to_end_id,
 * seeing the transaction's own writes. */
sn_err bank_sim_store_statuses_tx(sn_tx *tx, const bank_sim_instr *ins,
    size_t n, bank_sim_store_slot *slot, bank_sim_statuses_fn fn, void *arg);

/* The counters kept across restarts (table counters). */
typedef enum bank_sim_counter {
	BANK_SIM_COUNT_DUPLICATES, /* transactions whose id was booked */
	BANK_SIM_COUNT_REPEATS,    /* messages whose MsgId was stored */
} bank_sim_counter;

/* Adds n to the counter. */
sn_err bank_sim_store_count(sn_tx *tx, bank_sim_counter which, int64_t n);

/* Callbacks of the db forms: err SN_OK with the result, or the error
 * (and then no result). */
typedef void (*bank_sim_settled_fn)(sn_err err, int64_t settled, void *arg);
/* json: a JSON document, borrowed. */
typedef void (*bank_sim_json_fn)(sn_err err, const char *json, void *arg);

/*
 * The db forms return SN_ENOMEM when the query cannot be started, and
 * then never call done; otherwise done runs exactly once, later.
 */

/* Settles every ACCEPTED instruction that has fallen due by
 * terms->now_ms, drawing whether each is in the statements; done gets
 * how many. */
sn_err bank_sim_store_settle_due(sn_db *db, const bank_sim_terms *terms,
    bank_sim_settled_fn done, void *arg);

/* A page of the settled credits of account_number, in the order they
 * settled (credit_seq, sn/page.h): {"account_number", "count" and
 * "total_fen" (of every credit), "items": [...] (each with
 * "in_statement": whether the debtor's statements show it), "more"
 * (credits follow), "last" (the page's last key)}. */
sn_err bank_sim_store_credits(sn_db *db, const char *account_number,
    const sn_page *page, bank_sim_json_fn done, void *arg);

/* The bank's figures: {"instructions", "by_status": {...},
 * "settled_fen", "accepted_fen", "rejected_fen", "rejected_by_reason":
 * {...}, "batches", "duplicate_instructions", "repeated_batches",
 * "iso_messages", "foreign_entries"}. */
sn_err bank_sim_store_stats(sn_db *db, bank_sim_json_fn done, void *arg);

#endif /* BANK_SIM_STORE_H */
