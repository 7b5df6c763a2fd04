/*
 * verification/store.h - every SQL statement of verification, and the
 * rows they read turned into structs (schema/001_init.sql).
 *
 * Queries are queued on the caller's transaction (sn_tx) or run alone on
 * the pool (sn_db_query); everything runs on the loop thread. Strings
 * passed in are copied by libcommon before the call returns. Results are
 * read only here, through sn_rows (columns by name): a column missing or
 * of the wrong type is SN_EPROTO, logged naming the column, never a
 * silent zero. Rows handed to callbacks are borrowed for the call only.
 */
#ifndef VERIFICATION_STORE_H
#define VERIFICATION_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agencies.h"
#include "rules.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/log.h"
#include "sn/sealdb.h"

/* A check's persons are stored sealed (issue 11, schema/005_sealed.sql):
 * their comma-separated list under this associated data. */
#define VERIFICATION_AD_IDS "verification.checks.id_numbers"
/* Each person an agency's records name (answers.records, jsonb) is
 * sealed under this; GET /checks opens them. */
#define VERIFICATION_AD_RECORDS "verification.answers.records.id_number"

/* What an older version left in clear, sealed at start-up (main.c). */
#define VERIFICATION_NSEAL_COLUMNS 1
extern const sn_sealdb_column
    verification_store_seal_columns[VERIFICATION_NSEAL_COLUMNS];
#define VERIFICATION_NSEAL_DOCUMENTS 1
extern const sn_sealdb_document
    verification_store_seal_documents[VERIFICATION_NSEAL_DOCUMENTS];

/* What caused a check (checks.kind). */
typedef enum verification_check_kind {
	VERIFICATION_KIND_APPLICATION = 0, /* application.submitted */
	VERIFICATION_KIND_REVIEW,          /* review.requested */
} verification_check_kind;

/* A new check, as the event handlers record it. */
typedef struct verification_check_new {
	const char             *source_event;
	verification_check_kind kind;
	const char             *application_id;
	const char             *review_id; /* "" for an application */
	const char             *consent_reference;
	const char *const      *ids; /* members entries */
	int                     members;
	bool                    has_declaration; /* income declared */
	bool                    has_expenditure; /* expenditure declared */
	verification_declared   declared;
	const char             *district_code, *township_code, *village_code;
	/* PENDING with attempt 0, or INCOMPLETE with attempt 1 for a check
	 * that is never asked (no consent; verification_rules_admit). */
	verification_status status;
	int                 attempt;
	const char         *reason;
	int                 revision; /* 1.., the application's (issue 10) */
	/* YYYY-MM-DD from the event, "" when it has none */
	const char *accepted_date, *deadline_date;
} verification_check_new;

/* Queues the INSERT (a repeat of the same source event, or a second
 * application check of the same revision, does nothing). */
sn_err verification_store_check_insert(
    sn_tx *tx, const verification_check_new *c);

/* Queues the outcome row of a check never asked (no consent), by its
 * source event: INCOMPLETE with every agency missing, published. */
sn_err verification_store_outcome_unasked(sn_tx *tx, const char *source_event);

/* A check due for a round, as the scan reads it. Owned by the array the
 * scan callback gets; ids point into idbuf (a copy must re-point them). */
typedef struct verification_due {
	int64_t               check_id;
	char                  application_id[128];
	char                  review_id[128]; /* "" for an application */
	char                  consent[128];
	int                   members;
	char                 *ids[VERIFICATION_MAX_MEMBERS];
	bool                  has_declaration, has_expenditure;
	verification_declared declared;
	int                   attempt;  /* rounds finished */
	int                   revision; /* the application's */
	bool requested; /* an officer asked (retry_requested) */
	bool answered[VERIFICATION_NAGENCIES]; /* an OK answer stored */
	/* the request id of the work that asked for the check ("" none) */
	char request_id[SN_LOG_REQUEST_ID_MAX + 1];
	char idbuf[VERIFICATION_MAX_MEMBERS * 20];
} verification_due;

/*
 * Reads up to limit checks due for a round (pending, or incomplete and
 * past next_round_at), oldest first, but for the nskip checks of skip
 * (the rounds in flight, still pending in the table). done gets SN_OK
 * and the rows (n of them, borrowed during the call), or an error and
 * none. A row whose member list does not match its member count is
 * logged and left out.
 */
typedef void (*verification_due_fn)(
    sn_err err, const verification_due *rows, size_t n, void *arg);
void verification_store_scan(sn_db *db, int limit, const int64_t *skip,
    size_t nskip, verification_due_fn done, void *arg);

/* One agency's final answer in a round. */
typedef struct verification_answer_row {
	int64_t              check_id;
	verification_agency  agency;
	int                  attempt;
	verification_outcome outcome;
	uint32_t             tries;
	uint64_t             latency_ms;
	const char          *agency_answered_at;
	const char          *error;
	const uint8_t       *reply; /* NULL: SQL NULL */
	size_t               reply_len;
	const char          *records_json;
} verification_answer_row;

/* The n answers of one round (one check and attempt) in one statement;
 * SN_EINVAL if the rows name different checks or attempts. */
sn_err verification_store_answers_put(
    sn_tx *tx, const verification_answer_row *rows, size_t n);

/* The latest OK reply of one agency: the AgencyReply protobuf as stored,
 * borrowed for the callback. */
typedef struct verification_ok_reply {
	verification_agency agency;
	const uint8_t      *reply;
	size_t              len;
} verification_ok_reply;

/*
 * Queues the read of the latest OK reply per agency of check_id (at most
 * one per agency; a row naming no known agency is logged and left out).
 * req->cb runs with the rows (n of them, borrowed during the call), or
 * with SN_EPROTO and none when the result does not read; it may queue
 * more on tx, commit or roll back. req is the caller's (embed it in the
 * context the callback needs) and must stay until the callback has run
 * or the transaction has ended; the store only reads it.
 */
typedef void (*verification_replies_fn)(sn_tx *tx, sn_err err,
    const verification_ok_reply *rows, size_t n, void *arg);
typedef struct verification_replies_req {
	verification_replies_fn cb;
	void                   *arg;
} verification_replies_req;
sn_err verification_store_ok_replies(
    sn_tx *tx, int64_t check_id, verification_replies_req *req);

/*
 * Queues the cancellation of application_id's checks that are still
 * pending or incomplete (no round is started for them again and nothing
 * more is published): all of them when below_revision is 0 (a
 * withdrawal), else its application checks of a revision below it (a
 * resubmission). reason is stored on the check.
 */
sn_err verification_store_checks_cancel(sn_tx *tx, const char *application_id,
    int below_revision, const char *reason);

/* Where a check stands when its round is about to be recorded. */
typedef struct verification_check_state {
	verification_status status;
	int                 attempt;
} verification_check_state;

/*
 * Queues the read of check_id's status and attempt, locking the row until
 * the transaction ends. req->cb runs with the state, or with
 * SN_ENOTFOUND / SN_EPROTO and NULL. req is the caller's (as
 * verification_replies_req).
 */
typedef void (*verification_state_fn)(
    sn_tx *tx, sn_err err, const verification_check_state *st, void *arg);
typedef struct verification_state_req {
	verification_state_fn cb;
	void                 *arg;
} verification_state_req;
sn_err verification_store_check_state(
    sn_tx *tx, int64_t check_id, verification_state_req *req);

/*
 * Queues the move of check_id from prev_attempt to attempt with status
 * (COMPLETE or INCOMPLETE); retry_ms >= 0 sets next_round_at to now +
 * retry_ms, -1 clears it; an officer's request (retry_requested) is
 * cleared. A check that another round completed first, or that was
 * cancelled, is left as it is.
 */
sn_err verification_store_check_finish(sn_tx *tx, int64_t check_id,
    verification_status status, int attempt, int prev_attempt,
    int64_t retry_ms);

/* Queues the outcome row of a round: the missing agencies (nmissing of
 * them), facts_json NULL for SQL NULL (never zeros), the discrepancies
 * as a JSON array. */
sn_err verification_store_outcome_put(sn_tx *tx, int64_t check_id, int attempt,
    verification_status status, const int *missing, int nmissing,
    const char *facts_json, const char *discrepancies_json, bool published);

/* The latest check of an application as the API shows it. */
typedef struct verification_check_doc {
	const char *doc;          /* JSON (proto/openapi.yaml, CheckView) */
	const char *village_code; /* of the household */
} verification_check_doc;

/*
 * Reads the latest check of application_id. done gets SN_OK with the
 * document, SN_OK with NULL when there is none, or an error and NULL.
 */
typedef void (*verification_view_fn)(
    sn_err err, const verification_check_doc *doc, void *arg);
void verification_store_view(sn_db *db, const char *application_id,
    verification_view_fn done, void *arg);

/* A page of checks for GET /checks. */
typedef struct verification_list_query {
	const char *juris;    /* the caller's jurisdiction code */
	const char *township; /* "" for any within juris */
	bool        held;     /* held checks only */
	int64_t     after;    /* check_id of the last listed; 0 none */
	int64_t     limit;    /* 1..SN_PAGE_MAX */
} verification_list_query;

/* One listed check: its key and its JSON (openapi CheckSummary). */
typedef struct verification_list_row {
	int64_t     check_id;
	const char *doc;
} verification_list_row;

/*
 * Reads up to limit + 1 checks after q->after, by check_id: done gets
 * them (n, borrowed during the call) or an error and none.
 */
typedef void (*verification_list_fn)(
    sn_err err, const verification_list_row *rows, size_t n, void *arg);
void verification_store_list(sn_db *db, const verification_list_query *q,
    verification_list_fn done, void *arg);

/* The latest check of an application or review, as a retry reads it. */
typedef struct verification_retry_row {
	int64_t             check_id;
	verification_status status;
	bool                scheduled; /* an automatic round is due */
	bool                asked;     /* recorded asking the agencies */
	int                 attempt;
	char                village_code[16];
	char                application_id[128];
} verification_retry_row;

/*
 * Queues the read of the latest check whose application id or review id
 * is id, locking it. req->cb gets the row, or NULL when there is none
 * (SN_OK), or an error and NULL.
 */
typedef void (*verification_retry_fn)(
    sn_tx *tx, sn_err err, const verification_retry_row *row, void *arg);
typedef struct verification_retry_req {
	verification_retry_fn cb;
	void                 *arg;
} verification_retry_req;
sn_err verification_store_retry_get(
    sn_tx *tx, const char *id, verification_retry_req *req);

/* Queues: check_id is pending again at once, its round requested by
 * user (published whatever it finds). */
sn_err verification_store_retry_mark(
    sn_tx *tx, int64_t check_id, const char *user);

#endif /* VERIFICATION_STORE_H */
