/*
 * store.h - every SQL statement of approval, and the rows it reads.
 *
 * Writes are queued on a caller's transaction (sn/db.h) and return what
 * sn_tx_query returns (SN_ECLOSED on a failed tx). Reads call back with a
 * const typed row read through sn_rows (columns by name; a missing or
 * mistyped column is SN_EPROTO, logged naming the column): a handler
 * never sees a PGresult. Rows, and every string, array and byte in them,
 * are borrowed from the result: valid during the callback only.
 *
 * A read on a transaction takes a request, {cb, arg}, that the caller
 * owns (embedded in the context the callback needs, or static) and that
 * must stay until the callback has run or the transaction has ended: the
 * store only reads it, so nothing is allocated that a failed transaction
 * (whose pending callbacks never run) could leak. The callback may queue
 * more on the tx.
 *
 * Parameters are typed (enums, sn_date, sn_fen, arrays of strings) and
 * borrowed for the call: libpq copies them when the statement is queued.
 * Lists travel as PostgreSQL arrays (sn_pgarray), so any string is safe in
 * them. Policy dates ("today") are parameters read from the district's
 * clock by the caller (sn/clock.h): no SQL here uses current_date.
 *
 * Loop thread only.
 */
#ifndef APPROVAL_STORE_H
#define APPROVAL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "register_rules.h"
#include "rules.h"
#include "sn/date.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/sealdb.h"

/* ---- sealed columns (issue 11) ----------------------------------------- */

/* The register's head_id_number and account_number are stored sealed
 * under the service's sealer (sn_seal_default()), these names their
 * associated data; the store seals what it writes and opens what it reads
 * (rows and documents alike): callers see clear values. Rows an older
 * version wrote in clear are sealed at start-up from
 * approval_sealed_columns (sn_service_def's seal_columns). */
#define APPROVAL_SEALED_HEAD "approval.beneficiaries.head_id_number"
#define APPROVAL_SEALED_ACCOUNT "approval.beneficiaries.account_number"
extern const sn_sealdb_column approval_sealed_columns[];
extern const size_t           approval_sealed_ncolumns;

/* ---- the three upstream streams ---------------------------------------- */

/* A stored application.submitted. */
typedef struct approval_submission {
	const char        *application_id;
	const uint8_t     *data; /* the event's protobuf */
	size_t             len;
	sn_date            accepted;
	sn_date            deadline; /* sn_clock_deadline of accepted */
	const char        *district_code, *township_code, *village_code;
	const char        *taken_in_by;
	const char *const *member_ids; /* nmembers id numbers */
	size_t             nmembers;
	const char        *summary_json; /* shown by GET /cases/{id} */
} approval_submission;

/* Stores the submission and opens its case in GATHERING (both once: a
 * repeat does nothing). */
sn_err approval_store_put_submitted(sn_tx *tx, const approval_submission *s);

/* A withdrawn case. */
typedef struct approval_withdrawal {
	const char    *case_id;
	approval_stage from; /* the stage it was withdrawn from */
	const char    *township_code;
	const char    *actor; /* as given to approval_store_withdraw */
} approval_withdrawal;

/* err SN_OK with the row; SN_ENOTFOUND (w NULL) when no open case has the
 * id; SN_EPROTO (w NULL) for a row that does not read. */
typedef void (*approval_withdrawn_fn)(
    sn_tx *tx, sn_err err, const approval_withdrawal *w, void *arg);

typedef struct approval_withdrawn_req {
	approval_withdrawn_fn cb;
	void                 *arg;
} approval_withdrawn_req;

/* Withdraws an open case (GATHERING, HELD, VILLAGE_REVIEW,
 * TOWNSHIP_CONFIRM or RETURNED) with reason, then calls req->cb. actor
 * comes back in the row, so that the callback needs no context. */
sn_err approval_store_withdraw(sn_tx *tx, const char *case_id,
    const char *reason, const char *actor, const approval_withdrawn_req *req);

/* A verification.completed, replacing any earlier one (the latest
 * counts) of the same or an older revision (issue 10: an answer of an
 * older revision than the one stored is dropped). */
typedef struct approval_verification {
	const char        *application_id;
	bool               complete;
	const char *const *missing; /* agencies without an answer */
	size_t             nmissing;
	int64_t            attempt;
	const uint8_t     *data; /* the event's protobuf */
	size_t             len;
	const char        *facts_json;
	int32_t            revision; /* issue 10: of the application; 0
	                              * reads as 1 (a review's: ignored) */
} approval_verification;

sn_err approval_store_put_verification(
    sn_tx *tx, const approval_verification *v);

/* Replaces the investigation of an application. */
sn_err approval_store_put_investigation(sn_tx *tx, const char *app_id,
    const char *const *investigators, size_t ninvestigators,
    const char *report_json);

/* Takes the transaction-scoped lock of one case: handlers of different
 * streams that join the same case serialise here, so the later one sees
 * what the earlier one wrote. */
sn_err approval_store_lock_case(sn_tx *tx, const char *case_id);

/* ---- the join ------------------------------------------------------------
 */

/* What a case in GATHERING or HELD has. */
typedef struct approval_inputs {
	const char    *case_id;
	approval_stage stage; /* GATHERING or HELD */
	const char    *stage_reason;
	const char    *township_code;
	sn_bytes       submitted; /* the application.submitted protobuf */
	/* has_verification false: none yet (the three below unset). */
	bool        has_verification;
	bool        verification_complete;
	sn_bytes    verification; /* the verification.completed protobuf */
	const char *missing;      /* agencies without an answer, "a,b" */
	bool        investigation_in;
	/* has_policy false: no version in force on the accepted date
	 * (policy unset). */
	bool            has_policy;
	approval_policy policy;
} approval_inputs;

/* err SN_OK with the row; SN_ENOTFOUND (in NULL) when the case is not
 * submitted yet or is past GATHERING and HELD; SN_EPROTO (in NULL). */
typedef void (*approval_inputs_fn)(
    sn_tx *tx, sn_err err, const approval_inputs *in, void *arg);

typedef struct approval_inputs_req {
	approval_inputs_fn cb;
	void              *arg;
} approval_inputs_req;

/* Reads the inputs of a case, with the policy version in force on its
 * accepted date. */
sn_err approval_store_inputs(
    sn_tx *tx, const char *case_id, const approval_inputs_req *req);

/* Sets a case's stage and reason. */
sn_err approval_store_set_stage(
    sn_tx *tx, const char *case_id, approval_stage stage, const char *reason);

/* Stores a case's computation under policy version and moves it to
 * VILLAGE_REVIEW. */
sn_err approval_store_set_computed(sn_tx *tx, const char *case_id,
    const char *version, const approval_result *r,
    const char *computation_json);

/* Appends to a case's timeline. from and to UNSPECIFIED are NULL (no
 * stage change); reason NULL is ""; detail_json may be NULL. */
sn_err approval_store_timeline(sn_tx *tx, const char *case_id,
    const char *actor, const char *action, approval_stage from,
    approval_stage to, const char *reason, const char *detail_json);

/* ---- the steps -----------------------------------------------------------
 */

/* err SN_OK with the case; SN_ENOTFOUND (c NULL) for no such case;
 * SN_EPROTO (c NULL) for a row that does not read, a referral of an
 * unknown name, or a list longer than approval_case holds. */
typedef void (*approval_case_fn)(
    sn_tx *tx, sn_err err, const approval_case *c, void *arg);

typedef struct approval_case_req {
	approval_case_fn cb;
	void            *arg;
} approval_case_req;

/* Reads a case for a step, locked (FOR UPDATE) until the transaction
 * ends: its stage, codes, the people of its segregation of duties and
 * its computation, and the register figures of the version in force on
 * today (the compiled defaults when none is). */
sn_err approval_store_case_step(sn_tx *tx, const char *case_id, sn_date today,
    const approval_case_req *req);

/* Records a refused step with its code (and its timeline entry). */
sn_err approval_store_refusal(sn_tx *tx, const char *case_id, const char *user,
    const char *role, approval_step step, const char *code);

/* Records that user acted on the case in step. */
sn_err approval_store_actor(
    sn_tx *tx, const char *case_id, const char *user, approval_step step);

/* The township's decision: stage d->to, reason, what was decided, by
 * whom. */
sn_err approval_store_decide(sn_tx *tx, const char *case_id,
    const approval_decision *d, const char *reason, const char *decided_by);

/* District filing: FILED, with the spot-check flag and the note. */
sn_err approval_store_file(
    sn_tx *tx, const char *case_id, bool spot_check, const char *note);

/* A household entering the register (status ACTIVE), with its history
 * row (cause decision, old amount 0, first month from_month, actor
 * approved_by). */
typedef struct approval_beneficiary {
	const char        *beneficiary_id;
	const char        *application_id;
	approval_category  category;
	approval_tier      tier;
	sn_fen             monthly_amount_fen;
	const char        *bank_code, *account_number, *account_name;
	sn_month           from_month;
	const char        *approved_by;
	const char        *district_code, *township_code, *village_code;
	const char        *head_id_number, *head_name;
	const char *const *member_ids;
	size_t             nmembers;
	sn_date            next_review;
	const char        *policy_version;
} approval_beneficiary;

sn_err approval_store_beneficiary_add(
    sn_tx *tx, const approval_beneficiary *b);

/* ---- the clock -----------------------------------------------------------
 */

/* A case the clock marked overdue. */
typedef struct approval_overdue {
	const char    *case_id;
	approval_stage stage;
	sn_date        deadline;
	const char    *township_code;
} approval_overdue;

/* Called once per case marked; a non-SN_OK return stops the loop and
 * rolls tx back with that error. */
typedef sn_err (*approval_overdue_fn)(
    sn_tx *tx, const approval_overdue *o, void *arg);

typedef struct approval_overdue_req {
	approval_overdue_fn cb;
	void               *arg;
} approval_overdue_req;

/* Marks overdue, once, the unconfirmed cases (GATHERING, HELD,
 * VILLAGE_REVIEW, TOWNSHIP_CONFIRM) whose deadline is before today, and
 * calls req->cb for each. A row that does not read rolls tx back
 * (SN_EPROTO). */
sn_err approval_store_mark_overdue(
    sn_tx *tx, sn_date today, const approval_overdue_req *req);

/* Cases by stage, and those marked overdue. */
typedef struct approval_counts {
	int64_t by_stage[APPROVAL_NSTAGES]; /* [0] unused */
	int64_t overdue;
} approval_counts;

/* err SN_OK with the counts, or SN_EPROTO (c NULL). */
typedef void (*approval_counts_fn)(
    sn_tx *tx, sn_err err, const approval_counts *c, void *arg);

typedef struct approval_counts_req {
	approval_counts_fn cb;
	void              *arg;
} approval_counts_req;

sn_err approval_store_counts(sn_tx *tx, const approval_counts_req *req);

/* ---- policy versions -----------------------------------------------------
 */

/* err SN_OK with t, or SN_EPROTO (t NULL). */
typedef void (*approval_taken_fn)(
    sn_tx *tx, sn_err err, const approval_policy_taken *t, void *arg);

typedef struct approval_taken_req {
	approval_taken_fn cb;
	void             *arg;
} approval_taken_req;

/* What a version named version starting on from would clash with. */
sn_err approval_store_policy_taken(sn_tx *tx, const char *version,
    sn_date from, sn_date today, const approval_taken_req *req);

/* Adds v (p->version, its figures, from) created by user. */
sn_err approval_store_policy_add(
    sn_tx *tx, const approval_policy_version *v, const char *created_by);

/* ---- reads outside a transaction ----------------------------------------
 *
 * done runs exactly once, later, on the loop thread. err SN_OK with the
 * rows; SN_ENOTFOUND where said; another error (the database did not
 * answer, SN_ENOMEM, SN_EPROTO) with NULL.
 */

/* Every version in effective_from order (n may be 0). */
typedef void (*approval_versions_fn)(
    void *arg, sn_err err, const approval_policy_version *v, size_t n);
void approval_store_policy_list(
    sn_db *db, approval_versions_fn done, void *arg);

/* A JSON document built by the database (text, borrowed). */
typedef void (*approval_json_fn)(void *arg, sn_err err, const char *json);

/* One case as a JSON object, if within juris (a division code prefix);
 * SN_ENOTFOUND otherwise. */
void approval_store_case_get(sn_db *db, const char *case_id, const char *juris,
    approval_json_fn done, void *arg);

/* Filters of the case list; NULL members are ignored. */
typedef struct approval_case_filter {
	const char       *township; /* a township code */
	approval_stage    stage;    /* UNSPECIFIED: any */
	approval_category category; /* UNSPECIFIED: any */
	bool              has_overdue;
	bool              overdue;
	const char       *kind; /* "application" or "review" */
	bool              held; /* issue 10: only HELD cases (stage is
	                         * then HELD or UNSPECIFIED) */
	bool has_override;      /* issue 10: override= given */
	bool override;          /* true: only overrides; false: none */
} approval_case_filter;

/* Filters of GET /beneficiaries; NULL, UNSPECIFIED and false: any. */
typedef struct approval_beneficiary_filter {
	const char       *township; /* a township code */
	const char       *village;  /* a village code */
	approval_category category;
	approval_standing status;
	bool              has_review_due;
	sn_date           review_due; /* next review on or before */
	int64_t           after;      /* keyset: rows past this seq */
	int64_t           limit;      /* 1..SN_PAGE_MAX (sn/page.h) */
} approval_beneficiary_filter;

/* One page of the register. */
typedef struct approval_beneficiary_page {
	const char *items_json; /* a JSON array, in seq order */
	bool        more;       /* rows past the last one exist */
	int64_t     last;       /* the last item's seq; 0: no item */
} approval_beneficiary_page;

typedef void (*approval_page_fn)(
    void *arg, sn_err err, const approval_beneficiary_page *p);

/* The register within juris as f filters it: at most f->limit rows past
 * f->after, in seq (insertion) order. */
void approval_store_beneficiary_page(sn_db *db, const char *juris,
    const approval_beneficiary_filter *f, approval_page_fn done, void *arg);

/* One household of the register as a JSON object with its history
 * (oldest first), if within juris; SN_ENOTFOUND otherwise. */
void approval_store_beneficiary_get(sn_db *db, const char *id,
    const char *juris, approval_json_fn done, void *arg);

/* ---- suspension and resumption ------------------------------------------
 */

/* A household of the register as a change to it reads it. */
typedef struct approval_register_row {
	const char       *beneficiary_id, *application_id;
	approval_standing status;
	approval_category category;
	approval_tier     tier;
	sn_fen            monthly_amount_fen;
	const char       *bank_code, *account_number, *account_name;
	sn_month          from_month;
	bool              has_until; /* false: open */
	sn_month          until_month;
	const char       *approved_by;
	const char       *district_code, *township_code, *village_code;
	const char       *head_id_number, *head_name;
	const char       *member_ids[APPROVAL_MAX_MEMBERS];
	size_t            nmembers;
	int64_t           members;
	const char       *policy_version;
	const char       *taken_in_by; /* of its application */
	/* has_submitted false: no application.submitted stored for it. */
	bool     has_submitted;
	sn_bytes submitted; /* the application.submitted protobuf */
	/* has_verification false: no verification.completed stored. */
	bool     has_verification;
	sn_bytes verification; /* its facts at the decision */
} approval_register_row;

/* err SN_OK with the row; SN_ENOTFOUND (r NULL) for no such household
 * within the jurisdiction; SN_EPROTO (r NULL). */
typedef void (*approval_register_fn)(
    sn_tx *tx, sn_err err, const approval_register_row *r, void *arg);

typedef struct approval_register_req {
	approval_register_fn cb;
	void                *arg;
} approval_register_req;

/* Reads household id within juris, locked (FOR UPDATE) until the
 * transaction ends. */
sn_err approval_store_register_lock(sn_tx *tx, const char *id,
    const char *juris, const approval_register_req *req);

/* A change of a household's standing and its history row. */
typedef struct approval_register_write {
	const char       *beneficiary_id;
	approval_standing from, to;
	approval_cause    cause;
	sn_fen            old_amount_fen, new_amount_fen;
	sn_month          first_month;
	const char       *actor;
	const char       *reason;
} approval_register_write;

sn_err approval_store_register_set(
    sn_tx *tx, const approval_register_write *w);

/* Records a refused change of the register (table refusals, keyed by
 * the household's application id; step the action's name). */
sn_err approval_store_register_refusal(sn_tx *tx, const char *application_id,
    const char *user, const char *role, const char *step, const char *code);

/* ---- re-rating -----------------------------------------------------------
 */

/* err SN_OK with v, the version to re-rate the register by; SN_ENOTFOUND
 * (v NULL) when none is due; SN_EPROTO (v NULL). */
typedef void (*approval_due_fn)(
    sn_tx *tx, sn_err err, const approval_policy_version *v, void *arg);

typedef struct approval_due_req {
	approval_due_fn cb;
	void           *arg;
} approval_due_req;

/* The version in force on today, if it has not re-rated the register
 * yet: recorded (policy_rerating) as having done so when it is read, so
 * that it re-rates once. */
sn_err approval_store_rerating_due(
    sn_tx *tx, sn_date today, const approval_due_req *req);

/* The version in force on day, to req->cb: SN_ENOTFOUND (v NULL) when
 * none is. */
sn_err approval_store_policy_at(
    sn_tx *tx, sn_date day, const approval_due_req *req);

/* Called once per household; a non-SN_OK return rolls tx back. */
typedef sn_err (*approval_rerate_fn)(
    sn_tx *tx, const approval_register_row *r, void *arg);

typedef struct approval_rerate_req {
	approval_rerate_fn cb;
	void              *arg;
} approval_rerate_req;

/* The ACTIVE households rated under a version older than one starting on
 * from (locked, in register order), each to req->cb. A row that does not
 * read rolls tx back (SN_EPROTO). */
sn_err approval_store_rerating_rows(
    sn_tx *tx, sn_date from, const approval_rerate_req *req);

/* A re-rated household: its amount and version, and its history row
 * (cause rerating, ACTIVE to ACTIVE, actor system). */
sn_err approval_store_rerate_set(sn_tx *tx, const char *beneficiary_id,
    sn_fen old_amount_fen, sn_fen new_amount_fen, sn_month first_month,
    const char *version);

/* ---- price linkage -------------------------------------------------------
 */

/* A month's indices and what they decided. */
typedef struct approval_price_index {
	sn_month    month;
	int64_t     cpi_permille, food_cpi_permille;
	bool        applies;
	sn_fen      per_person_fen;
	const char *decided_by;
} approval_price_index;

/* What the month holds after an add: inserted true when this add stored
 * it; otherwise the indices stored before. policy_version: the version in
 * force on the month's first day ("" when none). */
typedef struct approval_price_stored {
	bool        inserted;
	int64_t     cpi_permille, food_cpi_permille;
	const char *policy_version;
} approval_price_stored;

typedef void (*approval_price_fn)(
    sn_tx *tx, sn_err err, const approval_price_stored *p, void *arg);

typedef struct approval_price_req {
	approval_price_fn cb;
	void             *arg;
} approval_price_req;

/* Stores p unless its month has indices already (once per month). */
sn_err approval_store_price_add(
    sn_tx *tx, const approval_price_index *p, const approval_price_req *req);

/* ---- reviews (issue 9: the periodic review, a reported change) ---------
 */

/* A review just opened: its household and what review.requested needs. */
typedef struct approval_review_opened {
	const char *review_id, *beneficiary_id, *application_id;
	const char *township_code; /* the household's */
	const char *member_ids;    /* its members now, "a,b" */
	/* has_submitted false: no application.submitted stored for it. */
	bool     has_submitted;
	sn_bytes submitted; /* the application.submitted protobuf */
	/* has_change: a change_report review, change its event's protobuf. */
	bool     has_change;
	sn_bytes change;
} approval_review_opened;

/* Called once per review opened; a non-SN_OK return rolls tx back. */
typedef sn_err (*approval_review_fn)(
    sn_tx *tx, const approval_review_opened *r, void *arg);

typedef struct approval_review_req {
	approval_review_fn cb;
	void              *arg;
} approval_review_req;

/* Opens a periodic review (opened on today, due by deadline) for at most
 * limit ACTIVE or GRADUAL_EXIT households whose review date is today or
 * before and that have no open review (not a gradual exit that has
 * ended: the same tick exits it, approval_store_gradual_due) (oldest review
 * date first; rows locked by another transaction are left to the next tick),
 * each to req->cb. */
sn_err approval_store_reviews_due(sn_tx *tx, sn_date today, sn_date deadline,
    int64_t limit, const approval_review_req *req);

/* A reported change of a household (its event's protobuf, data, len),
 * once per change_id: it opens a change_report review (agency_notice
 * when agency is true; opened on today,
 * due by deadline; to req->cb) unless the household has one open, on
 * which it is then recorded; nothing for a household not in the register
 * or exited, or a change_id seen before. */
sn_err approval_store_review_change(sn_tx *tx, const char *change_id,
    const char *beneficiary_id, bool agency, const uint8_t *data, size_t len,
    sn_date today, sn_date deadline, const approval_review_req *req);

/* ---- review cases (issue 9: a review is a case) ----------------------
 */

/* What opened a review (sn.assist.v1.ReviewKind, same numbers). */
typedef enum approval_review_kind {
	APPROVAL_REVIEW_UNSPECIFIED   = 0,
	APPROVAL_REVIEW_PERIODIC      = 1,
	APPROVAL_REVIEW_CHANGE_REPORT = 2,
	APPROVAL_REVIEW_AGENCY_NOTICE = 3,
} approval_review_kind;

/* "", "periodic", "change_report", "agency_notice", NULL: as stored in
 * reviews.kind, indexed by approval_review_kind. */
extern const char *const approval_review_kind_names[];

/* A review's verification.completed (v->application_id the household's
 * application), replacing any earlier one of the review: the
 * application's own rows are never touched. */
sn_err approval_store_put_review_verification(
    sn_tx *tx, const char *review_id, const approval_verification *v);

/* A review's investigation.completed, replacing any earlier one. */
sn_err approval_store_put_review_investigation(sn_tx *tx,
    const char *review_id, const char *app_id,
    const char *const *investigators, size_t ninvestigators,
    const char *report_json);

/* Opens the case of review review_id of household bid (once): kind
 * review, GATHERING, accepted on opened, due by deadline, the
 * household's district, township and village. */
sn_err approval_store_review_case_open(sn_tx *tx, const char *review_id,
    const char *bid, sn_date opened, sn_date deadline);

/* What a review case has, with its household as the register holds it. */
typedef struct approval_review_inputs {
	const char          *case_id; /* = the review id */
	approval_stage       stage;
	const char          *stage_reason;
	approval_review_kind kind;
	bool                 open; /* the review is open */
	sn_date              opened_on;
	/* The household (reg.verification: none; reg.submitted: its
	 * application's). */
	approval_register_row reg;
	/* has_change: the latest change recorded on the review, its
	 * household.change_reported protobuf. */
	bool     has_change;
	sn_bytes change;
	/* The review's own verification; has_verification false: none. */
	bool        has_verification;
	bool        verification_complete;
	sn_bytes    verification;
	const char *missing; /* "a,b" */
	bool        investigation_in;
	/* has_policy false: no version in force on the day asked. */
	bool                    has_policy;
	approval_policy_version policy;
} approval_review_inputs;

/* err SN_OK with the row; SN_ENOTFOUND (in NULL) when no review case has
 * the id at one of the stages asked; SN_EPROTO (in NULL). */
typedef void (*approval_review_inputs_fn)(
    sn_tx *tx, sn_err err, const approval_review_inputs *in, void *arg);

typedef struct approval_review_inputs_req {
	approval_review_inputs_fn cb;
	void                     *arg;
} approval_review_inputs_req;

/* Reads review case case_id if at one of the n stages, with the policy
 * version in force on today, locking the case and its household (FOR
 * UPDATE) until the transaction ends. */
sn_err approval_store_review_inputs(sn_tx *tx, const char *case_id,
    const approval_stage *stages, size_t n, sn_date today,
    const approval_review_inputs_req *req);

/* A review's outcome applied to the register: the household's row
 * (standing, category, tier, amount, until month, next review date,
 * members, the version of its amount) and, when changed, its history
 * row (cause, review_id, actor, reason). has_next false keeps the next
 * review date. */
typedef struct approval_review_apply {
	const char        *beneficiary_id, *review_id;
	bool               changed;
	approval_standing  from, to;
	approval_cause     cause;
	approval_category  category;
	approval_tier      tier;
	sn_fen             old_amount_fen, new_amount_fen;
	sn_month           first_month;
	bool               has_until;
	sn_month           until_month;
	bool               has_next;
	sn_date            next_review;
	const char *const *member_ids;
	size_t             nmembers;
	const char        *policy_version;
	const char        *actor, *reason;
} approval_review_apply;

sn_err approval_store_review_apply(sn_tx *tx, const approval_review_apply *a);

/* Closes review review_id with reason and outcome ("" for a rejection);
 * has_next: the household's next review date moves to next. */
sn_err approval_store_review_close(sn_tx *tx, const char *review_id,
    const char *bid, const char *reason, const char *outcome, bool has_next,
    sn_date next);

/* Stores a review case's outcome (the computation, recomputed at the
 * confirmation). */
sn_err approval_store_review_computed(
    sn_tx *tx, const char *case_id, const char *computation_json);

/* Its callback is called once per household whose gradual exit has
 * ended (r->verification unset); a non-SN_OK return rolls tx back. */
typedef approval_rerate_req approval_gradual_req;

/* The GRADUAL_EXIT households whose until month is before month (locked,
 * in register order), each to req->cb. */
sn_err approval_store_gradual_due(
    sn_tx *tx, sn_month month, const approval_gradual_req *req);

/* ---- issue 10, approval-A: resubmission, edge households, payments --- */

/* An application.resubmitted to apply to its case. */
typedef struct approval_resubmission {
	const char        *application_id;
	int32_t            revision; /* >= 2 */
	const uint8_t     *data;     /* the event's protobuf */
	size_t             len;
	const char        *summary_json; /* approval_views_submitted */
	const char *const *member_ids;
	size_t             nmembers;
	const char        *resubmitted_by, *amendment;
} approval_resubmission;

/* What approval_store_resubmit did. */
typedef enum approval_resubmit_outcome {
	APPROVAL_RESUBMIT_APPLIED = 1, /* RETURNED -> GATHERING */
	APPROVAL_RESUBMIT_IGNORED = 2, /* recorded; the case was not
	                                * RETURNED (or no such case, or an
	                                * older revision) */
	APPROVAL_RESUBMIT_REPEAT = 3,  /* this revision was seen before */
} approval_resubmit_outcome;

typedef struct approval_resubmitted {
	const char               *case_id;
	approval_resubmit_outcome outcome;
	const char               *reason;        /* IGNORED: why */
	approval_stage            from;          /* the case's stage before */
	const char               *township_code; /* "" for no case */
	const char               *actor, *amendment; /* as given */
} approval_resubmitted;

/* err SN_OK with the row, or SN_EPROTO (r NULL). */
typedef void (*approval_resubmitted_fn)(
    sn_tx *tx, sn_err err, const approval_resubmitted *r, void *arg);

typedef struct approval_resubmit_req {
	approval_resubmitted_fn cb;
	void                   *arg;
} approval_resubmit_req;

/*
 * Applies a resubmission once per (application, revision), recorded in
 * table resubmissions either way. A case (kind application) in RETURNED
 * at an older revision: its current submission moves to
 * submitted_history, the amended one (data, summary, members) replaces
 * it, the case goes to GATHERING at the new revision (deadline kept),
 * the verification of an older revision is dropped, the earlier round's
 * actors move to case_actors_earlier and resubmitted_by becomes an actor
 * of the new round (step 'resubmission'). Otherwise nothing but the
 * record (IGNORED). Then req->cb.
 */
sn_err approval_store_resubmit(sn_tx *tx, const approval_resubmission *r,
    const approval_resubmit_req *req);

/* Why the rules put the case in no category ("" when they did), kept
 * on the case and in its computation (member rule_reason). */
sn_err approval_store_rule_reason(
    sn_tx *tx, const char *case_id, const char *rule_reason);

/* The households of tier edge in the register (ACTIVE, GRADUAL_EXIT or
 * SUSPENDED) of which one of the n member_ids is a member, but for the
 * household of application case_id (locked, in register order), each to
 * req->cb (r->verification unset). */
sn_err approval_store_edge_rows(sn_tx *tx, const char *const *member_ids,
    size_t n, const char *case_id, const approval_rerate_req *req);

/* Ends household w->beneficiary_id as w says (its standing, history
 * row) with until_month: the last month it is valid for. */
sn_err approval_store_register_end(
    sn_tx *tx, const approval_register_write *w, sn_month until_month);

/* A payment.failed of a household's payment (once per payment id: a
 * repeat replaces the row): becomes the household's last failure. A
 * household not in the register: nothing. */
typedef struct approval_payment_failure {
	const char *payment_id, *beneficiary_id, *period;
	const char *reason_code, *reason;
	const char *failed_at; /* the event's time, RFC 3339 */
} approval_payment_failure;

sn_err approval_store_payment_failed(
    sn_tx *tx, const approval_payment_failure *f);

/* A payee.changed (once per beneficiary and changed_at): the register's
 * payee replaced, a history row (cause 'payee', standing and amount
 * unchanged, actor confirmed_by, reason naming requested_by), the last
 * failure cleared. A household not in the register: nothing. */
typedef struct approval_payee_change {
	const char *beneficiary_id, *changed_at, *payment_id;
	const char *bank_code, *account_number, *account_name;
	const char *requested_by, *confirmed_by;
} approval_payee_change;

sn_err approval_store_payee_changed(sn_tx *tx, const approval_payee_change *p);

/* ---- issue 10 (approval-B): discrepancies, overrides, paging -------- */

/* The discrepancies (json, a JSON array of {field, declared_fen,
 * reported_fen, agency}) of the verification.completed whose protobuf is
 * data: set on the row of the application (review_id NULL) or of the
 * review only if that row holds this very answer, so that an answer the
 * store did not keep (an older revision's) leaves the row as it is. */
sn_err approval_store_put_discrepancies(sn_tx *tx, const char *application_id,
    const char *review_id, const uint8_t *data, size_t len, const char *json);

/* What the township's confirmation and the district's filing check,
 * beside approval_case. Strings borrowed from the result. */
typedef struct approval_casework {
	int64_t     discrepancies;   /* of the case's current verification */
	bool        district_review; /* an override awaiting the district */
	const char *override_reason_code; /* "" when none */
	const char *override_note;        /* "" when none */
	const char *decided_by; /* the township's decider; "" when none */
	/* The override reasons of the version in force on the day asked, a
	 * JSON array [{code, label}] ("[]" when none is in force). */
	const char *override_reasons;
} approval_casework;

/* err SN_OK with the row; SN_ENOTFOUND (w NULL) for no such case;
 * SN_EPROTO (w NULL). */
typedef void (*approval_casework_fn)(
    sn_tx *tx, sn_err err, const approval_casework *w, void *arg);

typedef struct approval_casework_req {
	approval_casework_fn cb;
	void                *arg;
} approval_casework_req;

/* Reads what a step checks of case_id, locking the case (FOR UPDATE)
 * until the transaction ends, with the override reasons in force on
 * today. */
sn_err approval_store_casework(sn_tx *tx, const char *case_id, sn_date today,
    const approval_casework_req *req);

/* The township approved case_id as an override: its reason code and
 * note, and the mark that the district reviews it at filing. */
sn_err approval_store_override(
    sn_tx *tx, const char *case_id, const char *code, const char *note);

/* The district's review of an override at filing: stage to (FILED,
 * RETURNED or REJECTED) with reason, the outcome ("file", "return",
 * "reject") and who reviewed; the mark is cleared. A return also clears
 * the override (a resubmitted case is confirmed anew); a rejection
 * records decided_approved false. */
sn_err approval_store_district_review(sn_tx *tx, const char *case_id,
    const char *outcome, approval_stage to, const char *reason, const char *by,
    bool spot_check);

/* One page of a list (sn/page.h): the JSON array of its items in key
 * order, whether rows past the last exist, the last item's key (0: no
 * item). The type of approval_beneficiary_page, for every list. */
typedef approval_beneficiary_page approval_page;

/* The cases within juris as f filters them (override: has_override),
 * at most limit past key after, in list_seq (opening) order; each item
 * counts its discrepancies. */
void approval_store_case_page(sn_db *db, const char *juris,
    const approval_case_filter *f, int64_t after, int64_t limit,
    approval_page_fn done, void *arg);

/* The reviews within juris (status "open"/"closed", township: NULL for
 * any), at most limit past key after, in list_seq (opening) order. */
void approval_store_review_page(sn_db *db, const char *juris,
    const char *status, const char *township, int64_t after, int64_t limit,
    approval_page_fn done, void *arg);

/* The months' price indices, at most limit past key after, in the order
 * they were stored. */
void approval_store_price_page(
    sn_db *db, int64_t after, int64_t limit, approval_page_fn done, void *arg);

/* Overrides so far by reason code (the township's overrides, whatever
 * the district did with them), for the metrics. */
typedef struct approval_override_count {
	const char *code;
	int64_t     n;
} approval_override_count;

/* err SN_OK with n rows (n may be 0; at most APPROVAL_OVERRIDE_COUNTS
 * codes, the first in code order), or SN_EPROTO (v NULL). */
#define APPROVAL_OVERRIDE_COUNTS 64
typedef void (*approval_override_counts_fn)(sn_tx *tx, sn_err err,
    const approval_override_count *v, size_t n, void *arg);

typedef struct approval_override_counts_req {
	approval_override_counts_fn cb;
	void                       *arg;
} approval_override_counts_req;

sn_err approval_store_override_counts(
    sn_tx *tx, const approval_override_counts_req *req);

/* Every version's override reasons: a JSON object {version: [{code,
 * label}]}. */
void approval_store_override_reasons(
    sn_db *db, approval_json_fn done, void *arg);

#endif /* APPROVAL_STORE_H */
