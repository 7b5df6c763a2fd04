/*
 * store.h - every SQL statement of approval, queued on a caller's
 * transaction (sn/db.h). Loop thread only. String arguments are borrowed
 * for the call (libpq copies them when the statement is sent). Lists of
 * ids travel as comma-separated text (user ids and identity numbers hold
 * no commas; handlers.c checks). Callbacks get results in text format;
 * the column order of each read is documented on its function.
 *
 * Every function returns what sn_tx_query returns (SN_ECLOSED on a failed
 * tx).
 */
#ifndef APPROVAL_STORE_H
#define APPROVAL_STORE_H

#include "sn/db.h"
#include "sn/err.h"

/* The stored application.submitted (data_hex: its protobuf in hex). */
typedef struct approval_store_submitted {
	const char *application_id;
	const char *data_hex;
	const char *accepted_date;
	const char *district_code, *township_code, *village_code;
	const char *taken_in_by;
	const char *member_ids; /* comma-separated */
	const char *summary_json;
	const char *deadline_days; /* decimal */
} approval_store_submitted;

/* Stores the submission and opens the case in GATHERING (both once). */
sn_err approval_store_put_submitted(
    sn_tx *tx, const approval_store_submitted *s);

/* Withdraws an open case. cb gets 0 or 1 row: 0 old stage, 1 township,
 * 2 case id, 3 actor (echoed). */
sn_err approval_store_withdraw(sn_tx *tx, const char *case_id,
    const char *reason, const char *actor, sn_query_fn cb, void *arg);

/* Replaces the verification of an application (the latest one counts). */
sn_err approval_store_put_verification(sn_tx *tx, const char *app_id,
    const char *complete, const char *missing, const char *attempt,
    const char *data_hex, const char *facts_json);

/* Replaces the investigation of an application. */
sn_err approval_store_put_investigation(sn_tx *tx, const char *app_id,
    const char *investigators, const char *report_json);

/* Takes the transaction-scoped lock of one case: handlers of different
 * streams that join the same case serialise here, so the later one sees
 * what the earlier one wrote. */
sn_err approval_store_lock_case(sn_tx *tx, const char *case_id);

/*
 * The inputs of a case still in GATHERING or HELD (0 rows otherwise, or
 * when it is not submitted yet). Columns:
 *  0 stage, 1 stage_reason, 2 township_code, 3 submitted data hex,
 *  4 verification complete ('t'/'f', NULL if none), 5 missing agencies
 *  (comma-separated), 6 verification data hex, 7 investigation in
 *  ('t'/'f'), 8 policy version (NULL if none in force on the accepted
 *  date), 9..19 urban_min, rural_min, urban_basic, rural_basic,
 *  care_able, care_partially_able, care_unable, low_income_factor_percent,
 *  asset_multiple, max_homes, business_capital_limit (fen / integers),
 *  20 case id.
 */
sn_err approval_store_gather(
    sn_tx *tx, const char *case_id, sn_query_fn cb, void *arg);

/* Sets a case's stage and reason. */
sn_err approval_store_set_stage(
    sn_tx *tx, const char *case_id, const char *stage, const char *reason);

/* The computation of a case; moves it to VILLAGE_REVIEW. */
typedef struct approval_store_computed {
	const char *case_id, *policy_version, *category, *tier;
	const char *amount, *tekun_amount, *dibao_amount; /* decimal fen */
	const char *referrals; /* comma-separated names */
	const char *computation_json;
} approval_store_computed;
sn_err approval_store_set_computed(
    sn_tx *tx, const approval_store_computed *c);

/* Appends to a case's timeline; from, to, detail_json may be NULL. */
sn_err approval_store_timeline(sn_tx *tx, const char *case_id,
    const char *actor, const char *action, const char *from, const char *to,
    const char *reason, const char *detail_json);

/*
 * A case, locked, for a step. Columns:
 *  0 stage, 1 district, 2 township, 3 village, 4 taken_in_by,
 *  5 member ids, 6 investigators, 7 users who acted (all
 *  comma-separated), 8 category, 9 tier, 10 monthly amount,
 *  11 tekun amount, 12 dibao amount, 13 referrals, 14 policy version,
 *  15 submitted data hex, 16 today (YYYY-MM-DD, the database's clock),
 *  17 a fresh uuid (for a beneficiary id).
 */
sn_err approval_store_step_read(
    sn_tx *tx, const char *case_id, sn_query_fn cb, void *arg);

/* Records a refused step (and its timeline entry). */
sn_err approval_store_refusal(sn_tx *tx, const char *case_id, const char *user,
    const char *role, const char *step, const char *code);

/* Records that user acted on the case in step. */
sn_err approval_store_actor(
    sn_tx *tx, const char *case_id, const char *user, const char *step);

/* The township's decision: stage, reason, and what was decided. */
typedef struct approval_store_decision {
	const char *case_id, *stage, *reason, *approved, *category, *tier;
	const char *amount, *decided_by;
} approval_store_decision;
sn_err approval_store_decide(sn_tx *tx, const approval_store_decision *d);

/* District filing: FILED with the spot-check flag ("true"/"false"). */
sn_err approval_store_file(
    sn_tx *tx, const char *case_id, const char *spot_check, const char *note);

/* A household entering the register. */
typedef struct approval_store_beneficiary {
	const char *beneficiary_id, *application_id, *category, *tier;
	const char *amount, *bank_code, *account_number, *account_name;
	const char *from_month, *approved_by;
	const char *district_code, *township_code, *village_code;
	const char *head_id_number, *head_name, *member_ids;
} approval_store_beneficiary;
sn_err approval_store_beneficiary_add(
    sn_tx *tx, const approval_store_beneficiary *b);

/* Marks overdue the unconfirmed cases past their deadline, once. cb gets
 * the rows marked: 0 case id, 1 stage, 2 deadline, 3 township. */
sn_err approval_store_mark_overdue(sn_tx *tx, sn_query_fn cb, void *arg);

/* Counts by stage, plus a row ('overdue', n): 0 name, 1 count. */
sn_err approval_store_counts(sn_tx *tx, sn_query_fn cb, void *arg);

/* Before adding a version: 0 versions so far, 1 effective_from <= today
 * ('t'/'f'), 2 version taken, 3 date taken. */
sn_err approval_store_policy_check(sn_tx *tx, const char *effective_from,
    const char *version, sn_query_fn cb, void *arg);

/* Adds a version; values: version, effective_from, then the eleven
 * figures in approval_policy's order, then created_by. */
sn_err approval_store_policy_add(sn_tx *tx, const char *const values[14]);

/* Reads (outside a transaction): */
/* Every version in effective_from order: 0 version, 1 effective_from,
 * 2..12 the figures, 13 in force today ('t'/'f'). */
void approval_store_policy_list(sn_db *db, sn_db_query_fn done, void *arg);
/* One case as JSON text (column 0), if within juris; 0 rows otherwise. */
void approval_store_case_get(sn_db *db, const char *case_id, const char *juris,
    sn_db_query_fn done, void *arg);
/* Cases as a JSON array text; NULL filters are ignored. overdue is
 * "true"/"false"/NULL. */
void approval_store_case_list(sn_db *db, const char *juris,
    const char *township, const char *stage, const char *category,
    const char *overdue, sn_db_query_fn done, void *arg);
/* The register as a JSON array text. */
void approval_store_beneficiary_list(sn_db *db, const char *juris,
    const char *township, sn_db_query_fn done, void *arg);

#endif /* APPROVAL_STORE_H */
