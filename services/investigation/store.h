/*
 * store.h - every SQL statement of investigation, and its rows turned
 * into structs (schema/001_init.sql holds the tables and the task_doc
 * view that renders a task as the API shows it).
 *
 * Functions taking an sn_tx queue their statement on it (sn/db.h: sent at
 * once, results in order); those taking an sn_db run a one-statement read
 * of their own whose done callback always runs exactly once. All of them
 * are for the loop thread. Strings passed in are copied or sent before
 * the call returns.
 *
 * Results are read here only, through sn_rows (columns by name): a column
 * missing or of the wrong type is SN_EPROTO, logged naming the column.
 * Rows handed to a callback are borrowed for the call only.
 *
 * A query on a transaction whose callback needs a context takes an
 * operation struct the caller embeds in that context (done and arg): the
 * store reads it when the result comes, so it must stay until then or
 * until the transaction ends (sn_http_tx_with_end frees it after both).
 */
#ifndef INVESTIGATION_STORE_H
#define INVESTIGATION_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/date.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/sealdb.h"

/*
 * Sealed id numbers (issue 11, schema/003_sealed.sql): the associated
 * data of each place one is stored, and the one name their blind indexes
 * are taken under. Task documents show the sealed values; every read here
 * opens them before handing a document on.
 */
#define INVESTIGATION_AD_APPLICANT "investigation.task.applicant_id_number"
#define INVESTIGATION_AD_MEMBER "investigation.task_member.id_number"
#define INVESTIGATION_AD_INVESTIGATOR1 "investigation.report.investigator1_idn"
#define INVESTIGATION_AD_INVESTIGATOR2 "investigation.report.investigator2_idn"
#define INVESTIGATION_AD_REPORT_MEMBERS                                       \
	"investigation.report.members.id_number"
#define INVESTIGATION_IX_ID "investigation.id_number"

/* What an older version left in clear, sealed at start-up (main.c). */
#define INVESTIGATION_NSEAL_COLUMNS 4
extern const sn_sealdb_column
    investigation_store_seal_columns[INVESTIGATION_NSEAL_COLUMNS];
#define INVESTIGATION_NSEAL_DOCUMENTS 1
extern const sn_sealdb_document
    investigation_store_seal_documents[INVESTIGATION_NSEAL_DOCUMENTS];

/* What a task is for (task.kind). */
typedef enum investigation_task_kind {
	INVESTIGATION_KIND_APPLICATION = 0, /* application.submitted */
	INVESTIGATION_KIND_REVIEW,          /* review.requested */
} investigation_task_kind;

/*
 * A task to open. NULL strings are SQL NULL. members_json is a JSON array
 * of objects with id_number, name, relation, birth_date, labour_capacity,
 * disability_grade and self_care, the applicant first.
 */
typedef struct investigation_new_task {
	investigation_task_kind kind;
	const char *origin_id; /* the application id, or the review id */
	const char *application_id;
	const char *review_id;
	const char *registration; /* "urban", "rural" or "unspecified" */
	const char *district_code;
	const char *township_code;
	const char *village_code;
	const char *address;
	bool        has_able_supporter;
	const char *applicant_id_number;
	sn_date     not_before; /* the visit may not be dated before it */
	bool        has_accepted_date;
	sn_date     accepted_date;
	bool        has_deadline_date;
	sn_date     deadline_date;
	/* Declared monthly figures in fen; ignored unless has_declared. */
	bool    has_declared;
	int64_t wages_fen, business_fen, pensions_fen, other_income_fen;
	int64_t medical_fen, education_fen, housing_fen, employment_costs_fen;
	const char *requested_category; /* NULL: none */
	const char *taken_in_by;
	const char *reason;
	const char *source_event; /* the event's id (uuid) or NULL */
	const char *members_json;
} investigation_new_task;

/*
 * Opens the task unless one of the same kind and origin exists (then
 * nothing happens): one statement inserting the task and its members.
 */
sn_err investigation_store_open_task(
    sn_tx *tx, const investigation_new_task *t);

/* Cancels the open application task of application_id, if any. */
sn_err investigation_store_cancel_task(
    sn_tx *tx, const char *application_id, const char *reason);

/* A task as the report check needs it. */
typedef struct investigation_task {
	investigation_task_status status;
	char                      village_code[16];
	char                      application_id[128];
	char                      review_id[128]; /* "" for an application */
	char                      applicant_id[24];
	sn_date                   not_before;
	char   member_ids[INVESTIGATION_MAX_MEMBERS][24]; /* applicant first */
	size_t nmembers;
} investigation_task;

/* done gets the task, or NULL when there is none (err SN_OK), or an
 * error (SN_EPROTO: the result does not read) and NULL. */
typedef struct investigation_task_op {
	void (*done)(
	    sn_tx *tx, sn_err err, const investigation_task *t, void *arg);
	void *arg;
} investigation_task_op;

/*
 * Queues the read of task id (a valid uuid) for the report check, locking
 * the task until the transaction ends; op->done runs with it.
 */
sn_err investigation_store_task(
    sn_tx *tx, const char *id, investigation_task_op *op);

/* A report to store; strings borrowed. */
typedef struct investigation_new_report {
	const char *task_id;
	const char *submitted_by;
	const char *investigator[2];
	const char *investigator_idn[2];
	sn_date     visit_date;
	const char *members_json; /* [{"id_number", "present"}] */
	const char *living_conditions;
	const char *housing_condition;
	const char *contradictions_json;             /* ["..."] */
	investigation_recommendation recommendation; /* not NONE */
} investigation_new_report;

/* done gets closed true when the task was open and is now closed with
 * the report, false when it was no longer open (nothing was written). */
typedef struct investigation_close_op {
	void (*done)(sn_tx *tx, bool closed, void *arg);
	void *arg;
} investigation_close_op;

/* Closes the task if it is still open and stores its report, in one
 * statement; op->done says which. */
sn_err investigation_store_close_task(
    sn_tx *tx, const investigation_new_report *r, investigation_close_op *op);

/* done gets the task's JSON document (as the API shows it), or NULL when
 * there is no such task (err SN_OK), or an error and NULL. */
typedef struct investigation_doc_op {
	void (*done)(sn_tx *tx, sn_err err, const char *doc, void *arg);
	void *arg;
} investigation_doc_op;

/* Queues the read of task id as the API shows it. */
sn_err investigation_store_task_doc_tx(
    sn_tx *tx, const char *id, investigation_doc_op *op);

/* The same, as a read of its own. */
typedef void (*investigation_doc_fn)(sn_err err, const char *doc, void *arg);
void investigation_store_task_doc(
    sn_db *db, const char *id, investigation_doc_fn done, void *arg);

/* A page of tasks (sn/page.h): a JSON array of at most q->page.limit task
 * documents in the order they were opened (task.list_seq) after the
 * cursor's, whether more follow, and the list_seq of the page's last
 * task (0 when the page is empty). */
typedef struct investigation_task_page {
	const char *tasks_json;
	bool        more;
	int64_t     last;
} investigation_task_page;

/* Lists the tasks q asks for (investigation_rules_list_query). */
typedef void (*investigation_page_fn)(
    sn_err err, const investigation_task_page *page, void *arg);
void investigation_store_list(sn_db *db, const investigation_list_query *q,
    investigation_page_fn done, void *arg);

/* Open tasks of one township. */
typedef struct investigation_open_count {
	const char *township_code;
	int64_t     open;
} investigation_open_count;

/* Open tasks per township: done gets n rows, or an error and none. */
typedef void (*investigation_counts_fn)(
    sn_err err, const investigation_open_count *rows, size_t n, void *arg);
void investigation_store_open_counts(
    sn_db *db, investigation_counts_fn done, void *arg);

#endif /* INVESTIGATION_STORE_H */
