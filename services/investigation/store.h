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
 */
#ifndef INVESTIGATION_STORE_H
#define INVESTIGATION_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/db.h"
#include "sn/err.h"

/*
 * A task to open. NULL strings are SQL NULL. members_json is a JSON array
 * of objects with id_number, name, relation, birth_date, labour_capacity,
 * disability_grade and self_care, the applicant first.
 */
typedef struct investigation_new_task {
	const char *kind;      /* "application" or "review" */
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
	const char *accepted_date;  /* YYYY-MM-DD or NULL */
	const char *deadline_date;  /* YYYY-MM-DD or NULL */
	const char *not_before;     /* YYYY-MM-DD: no visit before it */
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
typedef struct investigation_task_row {
	char   status[16];
	char   village_code[16];
	char   application_id[128];
	char   applicant_id[24];
	char   not_before[12];
	char   member_ids[INVESTIGATION_MAX_MEMBERS][24];
	size_t nmembers;
} investigation_task_row;

/*
 * Queues the read of task id (a valid uuid) for the report check, locking
 * the task until the transaction ends: cb gets its rows, to be turned
 * into a struct by investigation_store_task_row_parse.
 */
sn_err investigation_store_task_row(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg);

/* Fills row from such a result; false when it has no row (no task). */
bool investigation_store_task_row_parse(
    const PGresult *res, investigation_task_row *row);

/* A report to store; strings borrowed. */
typedef struct investigation_new_report {
	const char *task_id;
	const char *submitted_by;
	const char *investigator[2];
	const char *investigator_idn[2];
	const char *visit_date;
	const char *members_json; /* [{"id_number", "present"}] */
	const char *living_conditions;
	const char *housing_condition;
	const char *contradictions_json; /* ["..."] */
	const char *recommendation;
} investigation_new_report;

/*
 * Closes the task if it is still open and stores its report, in one
 * statement; cb gets a result with one row (the task closed) or none
 * (it was no longer open: nothing was written).
 */
sn_err investigation_store_close_task(
    sn_tx *tx, const investigation_new_report *r, sn_query_fn cb, void *arg);

/* Queues the read of task id as the API shows it: cb gets one row with
 * one column, the JSON document, or no row. */
sn_err investigation_store_task_doc_tx(
    sn_tx *tx, const char *id, sn_query_fn cb, void *arg);

/* The same, as a read of its own. */
void investigation_store_task_doc(
    sn_db *db, const char *id, sn_db_query_fn done, void *arg);

/*
 * Lists tasks of a village (by_village) or a township, status "open",
 * "closed", "cancelled" or "all", oldest first, at most limit: done gets
 * one row with one column, a JSON array of task documents, and a second
 * column true when more tasks matched than limit.
 */
void investigation_store_list(sn_db *db, bool by_village, const char *code,
    const char *status, int limit, sn_db_query_fn done, void *arg);

/* Open tasks per township: rows (township_code, count). */
void investigation_store_open_counts(
    sn_db *db, sn_db_query_fn done, void *arg);

#endif /* INVESTIGATION_STORE_H */
