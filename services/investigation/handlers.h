/*
 * handlers.h - what comes into investigation (入户调查): events from intake
 * and approval, and the HTTP API of field investigators.
 *
 * Events followed (publisher: topic → effect, in the bus's apply
 * transaction, so each happens exactly once per event):
 *   intake:   application.submitted → opens a home-visit task (kind
 *             "application") for the household's village, at most one
 *             per application; a malformed payload (no id, codes that do
 *             not nest, no members, a bad or repeated identity number,
 *             more than INVESTIGATION_MAX_MEMBERS members) is SN_EPROTO
 *   intake:   application.withdrawn → cancels that application's task if
 *             it is still open (it leaves GET /tasks's open list, GET
 *             /tasks/{id} shows it cancelled, a report is 409
 *             task_cancelled)
 *   intake:   application.resubmitted (issue 10) is not followed: the
 *             visit stands, no task is opened or changed (the bus skips
 *             the topic and advances its cursor)
 *   approval: review.requested → opens a task of kind "review" for the
 *             beneficiary household, at most one per review id
 * Event published: investigation.completed (sn.assist.v1
 * InvestigationCompleted; subject the application id; actor the user who
 * submitted the report), in the transaction that stores the report.
 *
 * HTTP API (role investigator; a task is visible and reportable only when
 * its village code lies within the token's jurisdiction):
 *   GET  /tasks?village=CODE | ?township=CODE [&status=open|closed|
 *        cancelled|all] [&limit=N] [&cursor=C]   a page (sn/page.h) of
 *        the tasks of one village or township (default status open),
 *        in the order they were opened (task.list_seq): {items, next};
 *        a code outside the caller's jurisdiction is 403
 *   GET  /tasks/{id}                 one task, with its report if closed
 *   POST /tasks/{id}/report          (Idempotency-Key) the visit's report,
 *        checked by rules.h; stores it, closes the task and publishes
 *        investigation.completed in one transaction; 201 with the task.
 *        409 when the task is no longer open.
 * Errors are {"error": {"code", "message", "field"}}; a refused request
 * changes nothing.
 *
 * Metrics: sn_investigation_reports_total{recommendation} (reports
 * committed), sn_investigation_open_tasks{township} (open tasks, read
 * from the database every metrics_ms).
 *
 * Everything runs on the service's loop thread.
 */
#ifndef INVESTIGATION_HANDLERS_H
#define INVESTIGATION_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include <jansson.h>

#include "rules.h"
#include "sn/metrics.h"
#include "sn/service.h"

/* Settings, read by main.c (SN_INVESTIGATION_*). Dates ("today", the day
 * of an event) are the district's, from sn/clock.h. */
typedef struct investigation_config {
	uint32_t metrics_ms; /* open-task gauge refresh period */
} investigation_config;

#define INVESTIGATION_MAX_TOWNSHIPS 1024

/*
 * The service's state. The caller provides the storage (main.c keeps it
 * static) and it must outlive sn_service_main: database callbacks still
 * in flight at shutdown come back to it.
 */
typedef struct investigation {
	sn_service          *svc;
	investigation_config cfg;
	sn_counter          *reports[4]; /* by investigation_recommendation */
	bool                 refreshing;
	struct {
		char      code[16];
		sn_gauge *gauge;
	} townships[INVESTIGATION_MAX_TOWNSHIPS];
	size_t ntownships;
} investigation;

/* The HTTP API above as a route table, for sn_service_def.routes; the
 * handlers' arg is the investigation (set by investigation_init). */
#define INVESTIGATION_NROUTES 3
extern const sn_http_route_def investigation_routes[INVESTIGATION_NROUTES];

/*
 * Registers the event handlers (one sn_bus_topic table), makes inv the
 * routes' arg, and starts the periodic metrics refresh
 * (sn_service_every). Call from the service's setup. SN_OK, or the error
 * of the registration that failed.
 */
sn_err investigation_init(
    investigation *inv, sn_service *svc, const investigation_config *cfg);

/*
 * The body of POST /tasks/{id}/report as a report, strings borrowed from
 * body: its shape only (sn/input.h's refusals, 422), the content is
 * investigation_rules_check_report's. Public for tests/fuzz.
 */
bool investigation_decode_report(
    const json_t *body, investigation_report *r, sn_problem *why);

#endif /* INVESTIGATION_HANDLERS_H */
