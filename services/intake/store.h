/*
 * intake/store.h - every SQL statement of intake, over the tables of
 * schema/001_init.sql and 002_referral_drafts.sql (in the service's own
 * schema), and the rows they read as structs: no caller sees a PGresult.
 *
 * The intake_store_q* functions queue statements on a transaction the
 * caller owns (sn/db.h) and return what sn_tx_query returns. The others
 * run one statement outside any transaction (sn_db_query). Everything
 * runs on the loop thread. Parameters are copied when queued: callers may
 * pass stack buffers. Lists of persons go to SQL as one array parameter
 * (sn_pgarray).
 *
 * Reads call back exactly once with an sn_err and a const row that is
 * borrowed for the call only (its strings too): SN_OK and the row;
 * SN_ENOTFOUND and NULL where a read may find nothing (said below);
 * SN_EPROTO and NULL when a column is missing or of the wrong shape
 * (logged by sn_rows, naming the column); another error and NULL when the
 * database failed. A read queued on a transaction whose transaction fails
 * first never calls back, so it hands its row through a slot (fn and arg)
 * that the caller embeds in a context outliving the transaction
 * (sn_http_tx_with_end frees it): the store allocates nothing for it.
 */
#ifndef INTAKE_STORE_H
#define INTAKE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"
#include "sn/date.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/page.h"
#include "sn/sealdb.h"

/*
 * Sealed columns (issue 11, schema/007_sealed.sql): the associated data
 * each is sealed under, and the names the blind indexes are taken under
 * (one per kind of value, so that the tables join by it). Every read of
 * a document built in SQL opens its sealed values before it is handed
 * on; lists of persons go to SQL as their indexes.
 */
#define INTAKE_AD_MEMBER "intake.member.id_number"
#define INTAKE_AD_ACCOUNT "intake.application.payee_account_number"
#define INTAKE_AD_CHANGE "intake.household_change.member_id_number"
#define INTAKE_AD_NOTICE "intake.agency_notice.id_number"
#define INTAKE_AD_CHANGE_DETAILS "intake.household_change.details.id_number"
#define INTAKE_IX_ID "intake.id_number"
#define INTAKE_IX_ACCOUNT "intake.account_number"

typedef sn_sealdb_key intake_sealed_key;

/* What an older version left in clear, sealed at start-up (main.c). */
extern const sn_sealdb_column   intake_store_seal_columns[];
extern const size_t             intake_store_nseal_columns;
extern const sn_sealdb_document intake_store_seal_documents[];
extern const size_t             intake_store_nseal_documents;

/* ---- reads outside a transaction ------------------------------------ */

/* One application as GET /applications/{id} shows it. */
typedef struct intake_view {
	const char *json;         /* the document, as text */
	const char *village_code; /* for the jurisdiction check */
} intake_view;

/* Application id; SN_ENOTFOUND when there is none. */
typedef void (*intake_store_view_fn)(
    void *arg, sn_err err, const intake_view *view);
void intake_store_get(
    sn_db *db, const char *id, intake_store_view_fn done, void *arg);

/* One application listed: its key (sn/page.h) and its document as GET
 * /applications/{id} shows it (text). */
typedef struct intake_list_row {
	int64_t     key;
	const char *doc;
} intake_list_row;

/*
 * The applications q names (intake_rules_list_query) within jurisdiction
 * juris (a division code prefix), in the order of their key, after
 * q->page.after: at most q->page.limit rows, and more says whether there
 * are others after them. rows is NULL when err is not SN_OK.
 */
typedef void (*intake_store_list_fn)(
    void *arg, sn_err err, const intake_list_row *rows, size_t n, bool more);
void intake_store_list(sn_db *db, const intake_list_query *q,
    const char *juris, intake_store_list_fn done, void *arg);

/* ---- reads on a transaction ----------------------------------------- */

/* The outcome of a submission, read after its claims. */
typedef struct intake_outcome {
	const char *application_id;
	sn_date     accepted_date;
	sn_date     deadline_date;
	bool        has_referral_id; /* false: not from a referral */
	const char *referral_id;
	bool        has_holder; /* true: someone else holds a person (the
	                         * submission lost a race to another) */
	intake_holder holder;
} intake_outcome;

/*
 * The holder of any member of app other than application except (NULL:
 * any holder): the first such person in the members' order, or NULL
 * (with SN_OK) when nobody holds them. Read in the submission's own
 * transaction, after sn_http_tx claimed its Idempotency-Key: a repeat of
 * a request that committed never gets here (its answer is replayed), so
 * its own claims never refuse it.
 */
typedef struct intake_store_holder_slot {
	void (*fn)(
	    sn_tx *tx, sn_err err, const intake_holder *holder, void *arg);
	void *arg;
} intake_store_holder_slot;

sn_err intake_store_qholders(sn_tx *tx, const intake_app *app,
    const char *except, intake_store_holder_slot *slot);

typedef struct intake_store_outcome_slot {
	void (*fn)(sn_tx *tx, sn_err err, const intake_outcome *o, void *arg);
	void *arg;
} intake_store_outcome_slot;

/* Application id's outcome, and the holder of any of app's members other
 * than itself. SN_ENOTFOUND when the application is not there. */
sn_err intake_store_qoutcome(sn_tx *tx, const intake_app *app, const char *id,
    intake_store_outcome_slot *slot);

typedef struct intake_store_current_slot {
	void (*fn)(sn_tx *tx, sn_err err, const intake_current *c, void *arg);
	void *arg;
} intake_store_current_slot;

/* Locks application id (FOR UPDATE) and reads it; SN_ENOTFOUND when there
 * is none. */
sn_err intake_store_qlock(
    sn_tx *tx, const char *id, intake_store_current_slot *slot);

/* An application as stored, for application.resubmitted: body is the
 * JSON of POST /applications (intake_codec_decode reads it). */
typedef struct intake_stored {
	const char *body;
	const char *accepted_date, *deadline_date; /* YYYY-MM-DD */
	const char *taken_in_by;
	const char *referral_id; /* "" when none */
	int32_t     revision;
} intake_stored;

typedef struct intake_store_stored_slot {
	void (*fn)(sn_tx *tx, sn_err err, const intake_stored *a, void *arg);
	void *arg;
} intake_store_stored_slot;

/* Application id as stored; SN_ENOTFOUND when there is none. */
sn_err intake_store_qstored(
    sn_tx *tx, const char *id, intake_store_stored_slot *slot);

/* ---- writes --------------------------------------------------------- */

/* Inserts the application row and its members (status open). */
sn_err intake_store_qinsert(sn_tx *tx, const intake_app *app, const char *id,
    sn_date accepted, sn_date deadline, const char *taken_in_by);

/*
 * Claims every member of app for application id, leaving out those
 * someone else holds (a concurrent claim is waited for first, so that a
 * later intake_store_qoutcome sees the winner).
 */
sn_err intake_store_qclaim(sn_tx *tx, const intake_app *app, const char *id);

/*
 * Opens a draft application id from a referral (status draft, the
 * referred person its one member with relation "self"), unless one
 * exists for d->referral_id already: then nothing changes. No claims.
 */
sn_err intake_store_qdraft(sn_tx *tx, const intake_draft *d, const char *id);

/*
 * Completes draft id with app as a clerk submitted it: the application's
 * columns and members become app's, its status open, with the dates and
 * the clerk; the referral columns stay, and so does the requested
 * category when app names none. Changes nothing unless id is a draft
 * (the caller has locked it and checked). Claims are the caller's
 * (intake_store_qclaim), as for a new application.
 */
sn_err intake_store_qcomplete(sn_tx *tx, const intake_app *app, const char *id,
    sn_date accepted, sn_date deadline, const char *taken_in_by);

/* Marks an open application withdrawn and frees its members. */
sn_err intake_store_qwithdraw(
    sn_tx *tx, const char *id, const char *reason, const char *by);

/* approval's decision, as application.decided says it. */
typedef struct intake_store_decision {
	const char *application_id, *case_id, *decided_by;
	bool        approved;
	const char *category; /* sn/assist.h's word; NULL or "": none */
	bool        edge;     /* intake_rules_edge */
} intake_store_decision;

/*
 * Records approval's decision on an open (or returned) application;
 * when rejected, frees its members (an approved one keeps them until
 * the beneficiary register takes over; an edge-tier one holds them
 * against no new application, whose claims take them over).
 */
sn_err intake_store_qdecided(sn_tx *tx, const intake_store_decision *d);

/* approval returned application id (case.stage_changed to RETURNED): an
 * open application becomes returned, by and reason kept, with an entry
 * in its history; anything else (a repeat too) changes nothing. */
sn_err intake_store_qreturned(
    sn_tx *tx, const char *id, const char *by, const char *reason);

/*
 * Amends returned application id to app: its columns but the dates and
 * the clerk who took it in, and its members, are replaced; its claims
 * end (the caller claims app's persons again, intake_store_qclaim); an
 * "amended" entry by by goes into its history. Changes nothing unless
 * the application is returned (the caller has locked and checked it).
 */
sn_err intake_store_qamend(
    sn_tx *tx, const intake_app *app, const char *id, const char *by);

/* Resubmits returned application id: status open, revision + 1, a
 * "resubmitted" entry with by and amendment. Nothing unless returned. */
sn_err intake_store_qresubmit(
    sn_tx *tx, const char *id, const char *by, const char *amendment);

/* A payee corrected (disbursement's payee.changed). Strings borrowed. */
typedef struct intake_store_payee {
	const char *application_id;
	const char *bank_code, *account_number, *account_name;
	const char *actor;        /* the checker who confirmed it */
	const char *details_json; /* {payment_id, requested_by, ...} */
} intake_store_payee;

/* Makes py the payee of its application (not a draft), the old payee
 * kept in the history; the same payee again, or an application intake
 * does not have, changes nothing. */
sn_err intake_store_qpayee(sn_tx *tx, const intake_store_payee *py);

/*
 * A beneficiary household's members as of beneficiary.changed. hold
 * ACTIVE or GRADUAL_EXIT replaces the household's held members with the n
 * ids and head (NULL: none), or, when there are none of those, with the
 * members of application_id as intake took them in; either way the
 * application's own claims end. EXITED frees them all. tier EDGE: the
 * household's persons are held against no new application; UNSAID: the
 * tier intake last recorded for the household (else core). application_id may
 * be "" (no application of ours).
 */
sn_err intake_store_qbeneficiary(sn_tx *tx, const char *beneficiary_id,
    const char *application_id, intake_hold hold, intake_tier tier,
    const char *const *ids, size_t n, const char *head);

/* ---- beneficiary households and their changes (issue 9) ----------- */

/*
 * Records what beneficiary.changed says of the household: its status
 * (hold), application, and division codes (NULL or "": the application's,
 * when intake has it; a household whose township is known from neither
 * is not recorded, and reads as unknown), its category (NULL: as before)
 * and tier (UNSAID: as before).
 */
sn_err intake_store_qbeneficiary_household(sn_tx *tx,
    const char *beneficiary_id, const char *application_id, intake_hold hold,
    const char *district, const char *township, const char *village,
    const char *category, intake_tier tier);

typedef struct intake_store_household_slot {
	/* h NULL with SN_ENOTFOUND when intake does not know the household;
	 * h borrowed for the call. */
	void (*fn)(
	    sn_tx *tx, sn_err err, const intake_household *h, void *arg);
	void *arg;
} intake_store_household_slot;

/* Locks beneficiary household id (FOR UPDATE) and reads it;
 * member_known says whether member_id ("" for none) is one of its
 * members. */
sn_err intake_store_qhousehold(sn_tx *tx, const char *id,
    const char *member_id, intake_store_household_slot *slot);

/* A change to store; strings borrowed. */
typedef struct intake_store_change {
	const char *change_id, *beneficiary_id, *application_id;
	const char *kind;             /* intake_rules_change_kind_name */
	const char *member_id_number; /* NULL: none */
	const char *effective_date;   /* YYYY-MM-DD */
	const char *note;             /* NULL: "" */
	const char *details_json;     /* {income, expenditure, ...} given */
	const char *reported_by;
	const char *reported_on; /* YYYY-MM-DD */
	const char *agency;      /* an agency's notice: its agency; NULL */
	const char *notice_id;   /* and its id; NULL for a clerk's report */
} intake_store_change;

sn_err intake_store_qchange(sn_tx *tx, const intake_store_change *c);

/* ---- agency notices (notices.h) ------------------------------------ */

/* What intake holds of a notice's person. Strings borrowed. */
typedef struct intake_notice_match {
	bool        seen;  /* the notice_id was taken already */
	bool        found; /* a household on the register holds them */
	const char *beneficiary_id; /* found: the household */
	const char *application_id;
} intake_notice_match;

typedef struct intake_store_match_slot {
	/* m borrowed for the call; err SN_OK or the read's failure. */
	void (*fn)(
	    sn_tx *tx, sn_err err, const intake_notice_match *m, void *arg);
	void *arg;
} intake_store_match_slot;

/*
 * Whether notice_id was taken already, and the household on the register
 * (active, gradual_exit or suspended: not exited) whose members include
 * id_number, locked (FOR UPDATE) as POST /households/{id}/changes locks
 * it; the first by beneficiary id should there be two.
 */
sn_err intake_store_qnotice_match(sn_tx *tx, const char *notice_id,
    const char *id_number, intake_store_match_slot *slot);

/* A notice taken; strings borrowed. */
typedef struct intake_store_notice {
	const char *notice_id, *agency;
	const char *kind; /* "death", "new_job" */
	const char *id_number;
	const char *effective_date; /* YYYY-MM-DD */
	int64_t     monthly_wage_fen;
	const char *beneficiary_id; /* NULL: unmatched */
	const char *change_id;      /* NULL: unmatched */
	const char *received_on;    /* YYYY-MM-DD, the district's day */
} intake_store_notice;

/* Records n (matched when change_id is set); a repeat changes nothing. */
sn_err intake_store_qnotice(sn_tx *tx, const intake_store_notice *n);

/* A household's changes as GET /households/{id}/changes shows them. */
typedef struct intake_changes_view {
	intake_household household;
	const char      *json; /* [change, ...]: one page, oldest first */
	bool             more; /* changes after this page exist */
	int64_t          last; /* the page's last key (0: empty page) */
} intake_changes_view;

typedef void (*intake_store_changes_fn)(
    void *arg, sn_err err, const intake_changes_view *v);
/* One page of household id's changes (sn/page.h: after page->after, at
 * most page->limit); SN_ENOTFOUND when intake does not know it. */
void intake_store_changes(sn_db *db, const char *id, const sn_page *page,
    intake_store_changes_fn done, void *arg);

#endif /* INTAKE_STORE_H */
