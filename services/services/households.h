/*
 * households.h - what the service learns of each household from the
 * streams it follows, the needs derived from it, the routing of
 * referrals when a decision, a review or an emergency referral comes
 * (issue 13 item 1), and the household view.
 *
 * The streams (handlers registered by services_households_setup):
 *   intake    application.submitted, application.resubmitted: the
 *             household's place, registration, declared income (wages,
 *             business) and expenditure, and members (place 1.. in the
 *             application's order: name, relation, birth date, labour,
 *             disability grade, self-care; no identity numbers), at its
 *             revision (a lower revision than stored changes nothing).
 *             A household is named by the application id, or, when the
 *             application names an emergency referral whose household
 *             exists (an emergency-only one), joins that household;
 *             a household a decision made first for the application
 *             is merged into it (merge_household, schema 004: its
 *             referrals and staff-noted needs move, a referral open
 *             on both marked duplicate_of the one kept, referrals.h).
 *   approval  application.decided: approved, category, tier, decided_by,
 *             the revision decided and its referral label;
 *             beneficiary.changed: standing, category, tier,
 *             beneficiary_id; a review's outcome (cause REVIEW or
 *             CHANGE_REPORT) into a refer category routes again.
 *   emergency emergency.granted: the grant's cause (major illness:
 *             need major_illness; disaster or fire: disaster);
 *             referral.created of special assistance (medical, housing,
 *             education, employment; dibao and tekun are intake's and
 *             only move the cursor): a referral of the department's kind
 *             of that type (registry.h) for the household of the
 *             referral, made when unknown (id = the referral id: its
 *             township, village, size, and member 1 by name).
 * After each change the household's derived needs (source 'facts') are
 * computed again by the rules (rules.h) as of the district's day, and a
 * decision is routed once both its facts (the decided revision or a
 * later one) and the decision are known, whichever came second: the
 * streams of different publishers are not ordered. Each routing happens
 * once per trigger (referrals.h), so a repeated event changes nothing.
 * Until the registry is in the tables every handler answers SN_EBUSY
 * (the bus retries the batch).
 *
 * One instance: a household is joined across streams whose subjects
 * differ (an application id, a grant id), so SN_PARTITION would send
 * the parts of one household to different instances; it is not
 * supported.
 *
 * The per-stream work (reads, then writes) keeps its state in one
 * context per followed publisher. The bus calls a stream's next handler
 * once the statement the previous handler queued has answered, while
 * the refresh that answer started may still be reading: what a handler
 * sets for its refresh is taken by the refresh when it starts, so that
 * events applied in one transaction are each routed for their own
 * trigger (households.c).
 *
 * Routes (main.c; arg the services):
 *   GET /households/{id}  staff (within their jurisdiction) and
 *       department users (their own department's referrals only): the
 *       household by its id, application id or emergency referral id,
 *       with its sections (below).
 *   POST /households/{id}/needs  clerk, investigator, township_officer:
 *       a need noted by staff {need, member} (the vocabulary of
 *       seed/projects.json; member 0 the household).
 *   DELETE /households/{id}/needs/{need}?member=  the same roles: takes
 *       a staff-noted need off (every member's, without member=).
 *
 * Loop thread only.
 */
#ifndef SERVICES_HOUSEHOLDS_H
#define SERVICES_HOUSEHOLDS_H

#include <stdbool.h>
#include <stdint.h>

#include "services.h"
#include "sn/db.h"
#include "sn/http.h"

/* Registers the stream handlers. From services_referrals_setup. */
sn_err services_households_setup(services *s);

/*
 * One section of the household view: the answer's member key and a
 * query of one row whose column "json" is the section's JSON, given the
 * first nparams of ($1 the household id, $2 the district day, $3 the
 * caller's department: '' for staff, the unit for a department or
 * partner user). The table is in households.c: a module adds its row
 * there (the catalogue: the household's enrolments).
 */
typedef struct services_household_section {
	const char *key;
	const char *sql;
	int         nparams;
} services_household_section;

/* A household found by any of its ids (services_households_find_sql:
 * $1 a household, application or emergency referral id): its id, its
 * place (household_place) and how many members it has. */
typedef struct services_household_ref {
	const char *id;
	const char *place;
	int64_t     members;
} services_household_ref;

extern const char services_households_find_sql[];

/* Reads that query's answer: SN_OK with *found; strings borrowed from
 * res. */
sn_err services_households_found(
    const PGresult *res, services_household_ref *out, bool *found);

void services_households_get(sn_http_req *req, void *arg);
void services_households_need_post(sn_http_req *req, void *arg);
void services_households_need_delete(sn_http_req *req, void *arg);

#endif /* SERVICES_HOUSEHOLDS_H */
