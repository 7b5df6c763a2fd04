/*
 * agency-sim/store.h - every SQL string of agency-sim: its notices
 * (schema/001_notices.sql). Rows come back as const structs borrowed for
 * the callback only.
 *
 * Loop thread only.
 */
#ifndef AGENCY_SIM_STORE_H
#define AGENCY_SIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/db.h"
#include "sn/err.h"

/* A notice as stored; strings borrowed. */
typedef struct agency_sim_notice_row {
	const char *notice_id;      /* uuid */
	const char *agency;         /* "PUBLIC_SECURITY", "HUMAN_RESOURCES" */
	const char *kind;           /* "death", "new_job" */
	const char *id_number;      /* the person */
	const char *effective_date; /* YYYY-MM-DD */
	int64_t     monthly_wage_fen; /* 0 for a death */
	const char *note;             /* "" for none */
	const char *issued_at;        /* RFC 3339 UTC with milliseconds */
	int64_t     list_seq;         /* the paging key (sn/page.h) */
} agency_sim_notice_row;

/* Queues the INSERT of n on tx (no callback: a failure fails tx). */
sn_err agency_sim_store_qnotice(sn_tx *tx, const agency_sim_notice_row *n);

/* rows[0..n) in the order of issue; more: there were more than asked. */
typedef void (*agency_sim_store_notices_fn)(void *arg, sn_err err,
    const agency_sim_notice_row *rows, size_t n, bool more);

/*
 * The notices in the order of issue: those of id_number (NULL:
 * everyone's) whose list_seq is above after, at most limit of them (0:
 * all). done runs once on the loop: later, or at once with SN_ENOMEM when
 * the call cannot be queued.
 */
void agency_sim_store_notices(sn_db *db, const char *id_number, int64_t after,
    uint32_t limit, agency_sim_store_notices_fn done, void *arg);

#endif /* AGENCY_SIM_STORE_H */
