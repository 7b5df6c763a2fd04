/*
 * verification/store.h - every SQL statement of verification, and the
 * rows they read turned into structs (schema/001_init.sql).
 *
 * Queries are queued on the caller's transaction (sn_tx) or run alone on
 * the pool (sn_db_query); everything runs on the loop thread. Strings
 * passed in are copied by libcommon before the call returns.
 */
#ifndef VERIFICATION_STORE_H
#define VERIFICATION_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/db.h"
#include "sn/err.h"

/* A new check, as the event handlers record it. */
typedef struct verification_check_new {
	const char *source_event;
	const char *kind; /* "application" or "review" */
	const char *application_id;
	const char *review_id;
	const char *consent_reference;
	const char *const *ids;
	int                members;
	bool               has_declaration;
	verification_declared declared;
	const char *district_code, *township_code, *village_code;
	/* "pending", or "incomplete" with attempt 1 for a check that is never
	 * asked (no consent). */
	const char *status;
	int         attempt;
	const char *reason;
} verification_check_new;

/* Queues the INSERT (a repeat of the same source event does nothing). */
sn_err verification_store_check_insert(sn_tx *tx,
    const verification_check_new *c);

/* Queues the outcome row of a check never asked (no consent), by its
 * source event: INCOMPLETE with every agency missing, published. */
sn_err verification_store_outcome_unasked(sn_tx *tx,
    const char *source_event);

/* A check due for a round, as the scan reads it. Owned by the array the
 * scan callback gets; ids point into it. */
typedef struct verification_due {
	int64_t  check_id;
	char     application_id[128];
	char     consent[128];
	int      members;
	char    *ids[VERIFICATION_MAX_MEMBERS];
	bool     has_declaration;
	verification_declared declared;
	int      attempt;                          /* rounds finished */
	bool     answered[VERIFICATION_NAGENCIES]; /* an OK answer stored */
	char     idbuf[VERIFICATION_MAX_MEMBERS * 20];
} verification_due;

/*
 * Reads up to limit checks due for a round (pending, or incomplete and
 * past next_round_at), oldest first. done gets SN_OK and the rows (n of
 * them, borrowed during the call), or an error and none.
 */
typedef void (*verification_due_fn)(sn_err err,
    const verification_due *rows, size_t n, void *arg);
void verification_store_scan(sn_db *db, int limit, verification_due_fn done,
    void *arg);

/* One agency's final answer in a round. */
typedef struct verification_answer_row {
	int64_t        check_id;
	int            agency;
	int            attempt;
	const char    *outcome;
	uint32_t       tries;
	uint64_t       latency_ms;
	const char    *agency_answered_at;
	const char    *error;
	const uint8_t *reply; /* NULL: SQL NULL */
	size_t         reply_len;
	const char    *records_json;
} verification_answer_row;

sn_err verification_store_answer_put(sn_tx *tx,
    const verification_answer_row *a);

/*
 * Queues the read of the latest OK reply per agency of check_id; cb gets
 * the result: column 0 the agency name, column 1 the reply bytes (binary
 * results).
 */
sn_err verification_store_ok_replies(sn_tx *tx, int64_t check_id,
    sn_query_fn cb, void *arg);

/*
 * Queues the move of check_id from prev_attempt to attempt with status;
 * retry_ms >= 0 sets next_round_at to now + retry_ms, -1 clears it. cb's
 * result says how many rows moved (PQcmdTuples): 0 means another round
 * got there first.
 */
sn_err verification_store_check_finish(sn_tx *tx, int64_t check_id,
    const char *status, int attempt, int prev_attempt, int64_t retry_ms,
    sn_query_fn cb, void *arg);

/* Queues the outcome row of a round. missing is a PostgreSQL array
 * literal; facts_json NULL stores SQL NULL. */
sn_err verification_store_outcome_put(sn_tx *tx, int64_t check_id,
    int attempt, const char *status, const char *missing,
    const char *facts_json, const char *discrepancies_json, bool published);

/*
 * Reads the latest check of application_id as one JSON document (see
 * proto/openapi.yaml, CheckView) and its village code. done gets SN_OK with
 * json NULL when there is none.
 */
typedef void (*verification_view_fn)(sn_err err, const char *json,
    const char *village_code, void *arg);
void verification_store_view(sn_db *db, const char *application_id,
    verification_view_fn done, void *arg);

/* Writes ids as a PostgreSQL text[] literal into buf ("{a,b}"). Ids are
 * identity numbers (digits and X), which need no quoting. */
sn_err verification_store_array(const char *const *items, size_t n,
    char *buf, size_t cap);

#endif /* VERIFICATION_STORE_H */
