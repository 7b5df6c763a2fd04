/*
 * services.h - what every module of the services service shares (issue
 * 13; design section 1, "资源+服务"): the service's state and each
 * module's entry points.
 *
 * The service follows intake (the household's facts: members, declared
 * income and expenditure), approval (decisions, the register, reviews)
 * and emergency (its referrals), and owns
 *   - households: what it learned of each household (schema 001), the
 *     needs derived from the facts or noted by staff;
 *   - referrals (referrals.h): the registry of the leading group's member
 *     departments and the kinds of special assistance each grants (seed
 *     data, seed/departments.json), referrals made from decisions,
 *     reviews, emergency referrals and clerks, the departments' answers,
 *     overdue flags;
 *   - the catalogue (catalogue.h): service projects (seed data,
 *     seed/projects.json; staff add, edit and close), matching,
 *     enrolments with their capacity, sessions and outcomes;
 *   - figures of both.
 * It publishes referral.routed, referral.answered, referral.overdue,
 * enrolment.changed and project.changed (proto/sn/services/v1).
 *
 * A household is named by its household_id: the application id intake
 * gave it, or for a person an emergency officer referred before any
 * application, the emergency referral's id (the two are joined when that
 * person's application names the referral). Members are named by their
 * place (1 = the applicant); the service keeps no identity numbers.
 *
 * Modules. Each module is a .c/.h pair named services_<module>_*, with
 * its own tables (its own numbered migrations in schema/) and its SQL in
 * its own file. A module has a setup (seed loading, bus handlers, timers)
 * run once from the service's setup, and routes listed in main.c's table
 * with the services * as arg.
 *
 * Everything runs on the loop thread.
 */
#ifndef SERVICES_H
#define SERVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "sn/auth.h"
#include "sn/bus.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/http.h"
#include "sn/metrics.h"
#include "sn/problem.h"
#include "sn/service.h"

typedef struct services_config {
	const char *seed_dir; /* departments.json and projects.json */
	/* Categories ("expenditure,low_income") whose decisions route the
	 * kinds with a route automatically (SN_SERVICES_REFER_CATEGORIES). */
	const char *refer_categories;
	uint32_t
	    overdue_scan_ms; /* how often overdue referrals are looked for */
} services_config;

typedef struct services {
	sn_service     *svc;
	sn_db          *db;
	sn_bus         *bus;
	sn_http        *http;
	sn_metrics     *metrics;
	services_config cfg;
	/* Module state hangs off here; each module owns its pointer. */
	struct services_referrals *referrals;
	struct services_catalogue *catalogue;
} services;

/*
 * The unit a user of role acts for ("department", "partner": roles that
 * act only for their unit): *unit is the token's unit for such a user,
 * "" for any other role. false, with 403 no_unit in p, for such a user
 * whose token names no unit (identity allows accounts made before units
 * were; they are refused here, never shown everything or nothing).
 * *unit borrows from who.
 */
bool services_unit(const sn_principal *who, const char *role,
    const char **unit, sn_problem *p);

/*
 * Runs begin in the request's transaction (sn_http_tx_with_end) with a
 * heap copy of the size bytes at ctx, freed when the transaction ends
 * (so ctx may live on the caller's stack, and must hold no pointer into
 * itself); answers 503 when out of memory.
 */
void services_tx_copy(
    sn_http_req *req, sn_http_tx_fn begin, const void *ctx, size_t size);

#endif /* SERVICES_H */
