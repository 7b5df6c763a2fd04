/*
 * bank-sim/store.h - every SQL statement of bank-sim (the tables are in
 * schema/001_init.sql).
 *
 * Functions taking an sn_tx queue their statement on it (sn/db.h: sent
 * at once in the pipeline, results in order; cb may be NULL); those
 * taking an sn_db run a one-statement read or update of their own whose
 * done callback runs exactly once. All are for the loop thread. Strings
 * passed in are copied or sent before the call returns. Lists travel as
 * PostgreSQL array literals built here, so one statement handles a
 * whole batch.
 *
 * Result shapes are written on each function: "row (a, b)" means the
 * callback gets those columns in that order, as text.
 */
#ifndef BANK_SIM_STORE_H
#define BANK_SIM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/db.h"
#include "sn/err.h"

/* Claims batch_id for a new batch. cb: row (batch_id) if it was new;
 * no row if the batch_id was taken before (nothing written). */
sn_err bank_sim_store_claim_batch(sn_tx *tx, const char *batch_id,
    const char *debtor_account, int64_t count, int64_t control_sum_fen,
    sn_query_fn cb, void *arg);

/* The stored batch batch_id. cb: row (count, control_sum_fen), or no
 * row. */
sn_err bank_sim_store_batch(
    sn_tx *tx, const char *batch_id, sn_query_fn cb, void *arg);

/*
 * Stores the n instructions of batch batch_id with their decisions
 * (dec[i] for ins[i]), each unless its end-to-end id is stored already
 * (INSERT ... ON CONFLICT DO NOTHING; within the batch the first
 * occurrence wins). ACCEPTED ones fall due settle_ms after now; SETTLED
 * ones are settled now. cb: row (inserted), the number of rows written.
 * SN_ENOMEM if the literals cannot be built (nothing queued).
 */
sn_err bank_sim_store_instructions(sn_tx *tx, const char *batch_id,
    const bank_sim_instr *ins, const bank_sim_decision *dec, size_t n,
    uint32_t settle_ms, sn_query_fn cb, void *arg);

/*
 * The stored statuses of the n end-to-end ids, one row per id in the
 * order given: row (status, reason_code, reason, settled_at RFC 3339),
 * all NULL for an id never received. The tx form sees the
 * transaction's own writes; the db form is a read of its own (done gets
 * the result, NULL on error).
 */
sn_err bank_sim_store_statuses_tx(
    sn_tx *tx, const char *const *ids, size_t n, sn_query_fn cb, void *arg);
sn_err bank_sim_store_statuses(sn_db *db, const char *const *ids, size_t n,
    sn_db_query_fn done, void *arg);

/* Adds n to the counter name ("duplicate_instructions",
 * "repeated_batches"). */
sn_err bank_sim_store_count(sn_tx *tx, const char *name, int64_t n);

/* Settles every ACCEPTED instruction that has fallen due. done: row
 * (settled). */
void bank_sim_store_settle_due(sn_db *db, sn_db_query_fn done, void *arg);

/* The settled credits of account_number, at most limit of them, oldest
 * first. done: row (json text) of {"account_number", "count",
 * "total_fen", "credits": [...], "truncated"}. */
void bank_sim_store_credits(sn_db *db, const char *account_number, int limit,
    sn_db_query_fn done, void *arg);

/* The bank's figures. done: row (json text) of {"instructions",
 * "by_status": {...}, "settled_fen", "accepted_fen", "rejected_fen",
 * "rejected_by_reason": {...}, "batches", "duplicate_instructions",
 * "repeated_batches"}. */
void bank_sim_store_stats(sn_db *db, sn_db_query_fn done, void *arg);

#endif /* BANK_SIM_STORE_H */
