/*
 * grievances.h - complaints about a decision, an amount, a delay or a
 * member of staff's conduct (issue 12 item 3), recorded by a clerk or
 * arriving from the 12388 platform (link.h).
 *
 * A grievance names its subject: a case, a household or a member of
 * staff (kind and id; household_id is filled when the subject is a
 * household, and left for the households module to fill otherwise). The
 * office complained about is taken from the record: a staff member's
 * jurisdiction (their latest user.changed), or the township of the case
 * or household (case.stage_changed, application.submitted); a clerk may
 * name it when the record does not know it. Its deadline is the day of
 * receipt plus SN_SUPERVISION_GRIEVANCE_DAYS (default 15) on the
 * district clock; an unresolved grievance past it is overdue (the field
 * `overdue`, and the gauge sn_supervision_grievances_overdue).
 *
 * Lifecycle: open -> assigned (to an office that is neither the one
 * complained about nor within it) -> resolved (upheld or not upheld,
 * with a note) -> appealed (once, by the complainant through a clerk:
 * the grievance goes to the office above the one that decided, with a
 * new deadline; it may be reassigned only to offices above that one)
 * -> resolved. Every change is a row of grievance_history and a
 * grievance.changed event in supervision's outbox in the same
 * transaction; a grievance about conduct, or one from 12388, is also
 * queued for the platform there (supervision_link_queue_grievance).
 *
 * Routes (main.c): POST /grievances (clerk, supervisor), GET /grievances
 * and GET /grievances/{id} (supervisor, inspector, clerk: the
 * grievances whose office complained about, office assigned or
 * recording clerk's office lie within the caller's jurisdiction, and,
 * for a district's staff, those whose office complained about is
 * unknown), POST
 * /grievances/{id}/assign and /resolve (supervisor), POST
 * /grievances/{id}/appeal (clerk, supervisor). Loop thread only.
 */
#ifndef SUPERVISION_GRIEVANCES_H
#define SUPERVISION_GRIEVANCES_H

#include <stdbool.h>
#include <stdint.h>

#include "sn/date.h"
#include "sn/http.h"
#include "sn/problem.h"
#include "supervision.h"

/* A division code's length and NUL (12 digits a village). */
#define SUPERVISION_OFFICE_LEN 13

/* ---- the rules (pure) -------------------------------------------------- */

typedef enum supervision_grievance_state {
	SUPERVISION_GRIEVANCE_OPEN,
	SUPERVISION_GRIEVANCE_ASSIGNED,
	SUPERVISION_GRIEVANCE_RESOLVED,
	SUPERVISION_GRIEVANCE_APPEALED,
} supervision_grievance_state;

/* What the rules look at. Offices are division codes, "" for none. */
typedef struct supervision_grievance_facts {
	supervision_grievance_state state;
	int32_t                     level; /* 0, or 1 once appealed */
	const char                 *complained_office; /* "" when unknown */
	const char                 *office; /* assigned; "" when open */
	const char *first_office; /* the first instance's, once appealed */
} supervision_grievance_facts;

/* True if office is area or lies within it (a village in its township,
 * a township in its district); both valid division codes. */
bool supervision_grievance_within(const char *office, const char *area);

/* The office above office (a village's township, a township's
 * district) into out; false for a district or an invalid code. */
bool supervision_grievance_parent(
    const char *office, char out[SUPERVISION_OFFICE_LEN]);

/*
 * May g be assigned to office? 422 invalid_office (not a division
 * code), 409 grievance_resolved, 409 office_complained_about (office is
 * the one complained about or within it), 422 appeal_needs_higher_office
 * (appealed: office must lie above the first instance's).
 */
bool supervision_grievance_may_assign(
    const supervision_grievance_facts *g, const char *office, sn_problem *p);

/* May g be resolved with outcome? 422 invalid_outcome (not "upheld" or
 * "not_upheld"), 409 grievance_resolved, 409 not_assigned. */
bool supervision_grievance_may_resolve(
    const supervision_grievance_facts *g, const char *outcome, sn_problem *p);

/* May g be appealed? Then office_out is where it goes (the office above
 * the one that decided). 409 not_resolved, 409 already_appealed, 409
 * no_higher_office (decided by the district itself: an appeal goes to
 * the city, outside this system). */
bool supervision_grievance_may_appeal(const supervision_grievance_facts *g,
    char office_out[SUPERVISION_OFFICE_LEN], sn_problem *p);

/* The deadline of a grievance received on received, days from the
 * policy (sn_clock_deadline). */
sn_date supervision_grievance_deadline(sn_date received, int32_t days);

/* ---- the module -------------------------------------------------------- */

/* Reads SN_SUPERVISION_GRIEVANCE_DAYS and ..._SCAN_MS, registers the
 * overdue gauge and its scan. From the service's setup. */
sn_err supervision_grievances_setup(supervision *s);

/*
 * Records a grievance that came from the 12388 platform's tip tip_id,
 * on tx (the link's, which moves its tip cursor in the same
 * transaction): its subject, category and text as the tip has them,
 * received today. A tip already recorded changes nothing (tip_id is
 * unique). done(tx, arg) runs once the statements are queued and their
 * results in, so the caller may go on with the next tip; a failure fails
 * tx. Borrowed strings, copied.
 */
typedef struct supervision_grievance_tip {
	const char *tip_id;
	const char *subject_kind; /* "case", "household" or "staff" */
	const char *subject_id;
	const char *category; /* "decision", "amount", "delay", "conduct" */
	const char *text;
	const char *reporter;
} supervision_grievance_tip;

sn_err supervision_grievances_from_tip(supervision *s, sn_tx *tx,
    const supervision_grievance_tip *tip, void (*done)(sn_tx *tx, void *arg),
    void                            *arg);

/* The routes; arg is the supervision. */
void supervision_grievances_post(sn_http_req *req, void *arg);
void supervision_grievances_list(sn_http_req *req, void *arg);
void supervision_grievances_get(sn_http_req *req, void *arg);
void supervision_grievances_assign(sn_http_req *req, void *arg);
void supervision_grievances_resolve(sn_http_req *req, void *arg);
void supervision_grievances_appeal(sn_http_req *req, void *arg);

#endif /* SUPERVISION_GRIEVANCES_H */
