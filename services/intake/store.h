/*
 * intake/store.h - every SQL statement of intake, over the tables of
 * schema/001_init.sql (in the service's own schema).
 *
 * The intake_store_q* functions queue statements on a transaction the
 * caller owns (sn/db.h): they return what sn_tx_query returns, and their
 * callbacks run on the loop thread with results borrowed for the call.
 * The others run one statement outside any transaction (sn_db_query).
 * Parameter strings are copied when queued: callers may pass stack
 * buffers.
 *
 * Person lists are PostgreSQL text-array literals built by
 * intake_store_id_array from valid identity numbers (digits and 'X' only,
 * so no quoting is needed).
 *
 * "Holders" are the rows that keep a person from applying again. A
 * holder result has the columns 0 pos (1-based position of the person in
 * the ids array), 1 application_id, 2 kind ("open" for an open
 * application; "beneficiary" for an approved application or an active
 * beneficiary household), 3 beneficiary_id ("" for applications); at
 * most one row, the first person in the array's order.
 */
#ifndef INTAKE_STORE_H
#define INTAKE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"
#include "sn/db.h"
#include "sn/err.h"

/* "{id1,id2,...}" malloc'd (the caller frees it); NULL when out of
 * memory. */
char *intake_store_id_array(const char *const *ids, size_t n);

/*
 * The holder of any of ids other than application except (NULL: any
 * holder), outside a transaction (the early check); no row either when
 * the request's Idempotency-Key (key of principal, the user) has already
 * been used, so that a repeat is replayed, not refused.
 */
void intake_store_holders(sn_db *db, const char *ids, const char *except,
    const char *principal, const char *key, sn_db_query_fn done, void *arg);

/*
 * The outcome of a submission, queued after its claims: one row with
 * 0 application_id, 1 accepted_date, 2 deadline_date (of application id),
 * then the holder columns 3..6 of the first person of ids held by anyone
 * else (SQL NULL when nobody is), then 7 its referral_id (NULL: none).
 */
sn_err intake_store_qoutcome(sn_tx *tx, const char *ids, const char *id,
    sn_query_fn cb, void *arg);

/* Inserts the application row and its members (status open). */
sn_err intake_store_qinsert(sn_tx *tx, const intake_app *app, const char *id,
    const char *accepted_date, const char *deadline_date,
    const char *taken_in_by);

/*
 * Claims every person of ids for application id, leaving out those
 * someone else holds (a concurrent claim is waited for first, so a later
 * intake_store_qoutcome sees the winner).
 */
sn_err intake_store_qclaim(sn_tx *tx, const char *ids, const char *id);

/*
 * Locks the application: one row (0 status, 1 village_code, 2 referral_id
 * (NULL: none), 3 the id number of its first member, 4 the requested
 * category (NULL: none)), or none.
 */
sn_err intake_store_qlock(sn_tx *tx, const char *id, sn_query_fn cb,
    void *arg);

/*
 * Opens a draft application id from a referral (status "draft", the
 * referred person its one member with relation "self"), unless one
 * exists for d->referral_id already: then nothing changes. No claims.
 */
sn_err intake_store_qdraft(sn_tx *tx, const intake_draft *d, const char *id);

/*
 * Completes draft id with app as a clerk submitted it: the application's
 * columns and members become app's, its status "open", with the dates
 * and the clerk; the referral columns stay, and so does the requested
 * category when app names none. Changes nothing unless id is a draft
 * (the caller has locked it and checked). Claims are the caller's
 * (intake_store_qclaim), as for a new application.
 */
sn_err intake_store_qcomplete(sn_tx *tx, const intake_app *app,
    const char *id, const char *accepted_date, const char *deadline_date,
    const char *taken_in_by);

/* Marks it withdrawn and frees its members. */
sn_err intake_store_qwithdraw(sn_tx *tx, const char *id, const char *reason,
    const char *by);

/*
 * Records approval's decision on an open application; when rejected,
 * frees its members (an approved one keeps them until the beneficiary
 * register takes over).
 */
sn_err intake_store_qdecided(sn_tx *tx, const char *id, bool approved,
    const char *case_id, const char *by);

/*
 * A beneficiary household's members as of beneficiary.changed. status
 * "active" or "gradual_exit" replaces the household's held members with
 * ids (or, when ids is NULL, with the members of application_id as intake
 * took them in) and ends the application's own claims; status NULL (exited)
 * frees them all. application_id may be "" (no application of ours).
 */
sn_err intake_store_qbeneficiary(sn_tx *tx, const char *beneficiary_id,
    const char *application_id, const char *status, const char *ids);

/* One application as the JSON of GET /applications/{id} (column 0, text)
 * and its village code (column 1); no row if there is none. */
void intake_store_get(sn_db *db, const char *id, sn_db_query_fn done,
    void *arg);

/*
 * The drafts of township (9 digits), oldest first, at most limit + 1 of
 * them (so the caller sees whether there are more): one row each, the
 * JSON of GET /applications/{id} as text in column 0.
 */
void intake_store_drafts(sn_db *db, const char *township, const char *limit,
    sn_db_query_fn done, void *arg);

#endif /* INTAKE_STORE_H */
