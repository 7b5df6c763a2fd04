/*
 * referrals.h - special-assistance referrals to the member departments
 * and their answers (issue 13 items 2 and 5).
 *
 * A referral sends a household, or one member of it, to a kind of
 * special assistance of the registry (registry.h). It is made
 *   - by routing (households.h): a decision (source decision), a
 *     review's outcome (review) or an emergency officer's referral
 *     (emergency), once per household and trigger (table routing);
 *   - by a member of staff (source clerk): POST /department-referrals.
 * It waits in the department's queue (status routed) until the department
 * answers through the API: accepted, with what it grants and from when,
 * or declined with a reason; once. One household member has at most one
 * referral of a kind routed or accepted (a unique index): a second is
 * not made (409 for a clerk, skipped by routing). When an application
 * joins two households that each hold one (households.h), both are kept
 * and one is marked duplicate_of the other (schema 004): a duplicate is
 * still in the department's queue, answered like any other, and shown
 * with duplicate_of; the index ignores it. Its deadline is the
 * district day it was routed plus the kind's deadline_days; a scan every
 * SN_SERVICES_OVERDUE_SCAN_MS flags each one still routed after that day,
 * once (overdue_at, referral.overdue). Every change is one transaction
 * with its event (referral.routed, referral.answered, referral.overdue;
 * subject: the referral id).
 *
 * Who sees what. Staff see the referrals of households within their
 * jurisdiction (the household's village, township or district code
 * starts with it); a department user (role department) only its own
 * department's (its token's unit) within its jurisdiction, and answers
 * only those (another department's: 403 not_your_department; outside
 * the jurisdiction: 404 as when reading it). A department token naming
 * no unit is refused (403 no_unit, services_unit).
 *
 * Routes (main.c; arg the services): GET /departments (registry.h), GET
 * and POST /department-referrals, GET /department-referrals/{id}, POST
 * /department-referrals/{id}/answer, GET /statistics/referrals. (Not
 * /referrals: emergency serves that path, and proto/openapi.yaml holds
 * a path once.)
 *
 * Loop thread only.
 */
#ifndef SERVICES_REFERRALS_H
#define SERVICES_REFERRALS_H

#include <stdbool.h>

#include "registry.h"
#include "rules.h"
#include "services.h"
#include "sn/date.h"
#include "sn/http.h"

#define SERVICES_REFER_MAX 8

/* The referrals' part of the service's state (services.h), made by
 * services_referrals_setup. */
struct services_referrals {
	services_registry *registry;
	/* SN_SERVICES_REFER_CATEGORIES, split (borrowed from refer_buf). */
	const char *refer[SERVICES_REFER_MAX];
	size_t      nrefer;
	char        refer_buf[256];
	bool        stored;   /* the registry is in the tables */
	bool        storing;  /* ... being written */
	bool        scanning; /* the overdue scan is running */
	sn_counter *routed, *answered, *overdue;
};

/* Staff roles that read referrals and households. */
#define SERVICES_STAFF_ROLES                                                  \
	"clerk,investigator,village_reviewer,township_officer,"               \
	"emergency_officer,district_officer,district_admin,supervisor,"       \
	"inspector"

/*
 * Loads the registry (SN_EINVAL for a bad seed), splits cfg.refer_categories
 * (SN_EINVAL for a name that is not a category), registers the metrics, the
 * registry's copy into the tables (retried every 5 s until done) and the
 * overdue scan, and the bus handlers (services_households_setup). From the
 * service's setup. What it makes lives as long as the process (callbacks may
 * run until the very end of draining).
 */
sn_err services_referrals_setup(services *s);

/* One routing (households.h): the referrals a trigger makes. */
typedef struct services_routing {
	const char           *household_id;
	const char           *trigger; /* "decision:2", "review:<id>", ... */
	const char           *source;  /* "decision", "review", "emergency" */
	const char           *routed_by; /* the officer; "system" */
	const char           *note;      /* "" */
	const char           *category;  /* shown with the referrals; "" */
	const char           *tier;
	sn_date               today; /* the routed day */
	const services_route *routes;
	size_t                nroutes;
} services_routing;

/*
 * Queues on tx: the trigger's row in routing and, only if it is new, one
 * referral per route not open or accepted already, each with its
 * referral.routed event. Strings are copied before this returns. A
 * failure fails tx.
 */
sn_err services_referrals_route(
    services *s, sn_tx *tx, const services_routing *r);

/* The household view's referrals (households.h sections): $1 the
 * household id, $2 the district day, $3 the caller's department ('':
 * every department's); one row, column "json", a JSON array. */
extern const char services_referrals_household_sql[];

/* The routes. */
void services_referrals_list(sn_http_req *req, void *arg);
void services_referrals_get(sn_http_req *req, void *arg);
void services_referrals_post(sn_http_req *req, void *arg);
void services_referrals_answer(sn_http_req *req, void *arg);
void services_referrals_statistics(sn_http_req *req, void *arg);

#endif /* SERVICES_REFERRALS_H */
