/*
 * verification/handlers.h - what comes into verification and what it
 * does about it: the events it follows, the rounds of agency questions
 * they start, and its HTTP API.
 *
 * Events in (one table, sn_bus_on_table; the bus decodes them):
 *   intake   "application.submitted"   (ApplicationSubmitted)
 *   intake   "application.resubmitted" (ApplicationSubmitted, revision
 *            >= 2; issue 10): a new check of that revision for the
 *            amended household (members, declaration), in the same
 *            transaction as the cancellation of whatever is still pending
 *            or incomplete of older revisions (reason "superseded by
 *            revision N"); a second event of the same revision records
 *            nothing (one application check per revision)
 *   intake   "application.withdrawn"   (ApplicationWithdrawn; issue 10):
 *            every pending or incomplete check of the application is
 *            cancelled (reason "withdrawn"): the scan never picks it
 *            again, and a round already asking when it comes is not
 *            recorded (its transaction finds the check cancelled and
 *            rolls back), so nothing more is published; its calls are
 *            cancelled (verification_agencies_cancel): the try under way
 *            ends and a failed one is not retried. A resubmission does
 *            the same to the rounds of older revisions
 *   approval "review.requested"        (ReviewRequested)
 * Each records a check in the handler's transaction (members' identity
 * numbers, consent reference, declaration, household codes). A check
 * without a consent reference is never asked: it is recorded INCOMPLETE
 * with every agency missing, published at once, and logged (intake
 * refuses such applications, so this is a guard). A review re-checks
 * under the consent on file (ReviewRequested.consent): when there is
 * none, or it was signed more than 12 months before the review's
 * opened_on (the district's today when the event does not say;
 * verification_rules_admit_review), it is likewise INCOMPLETE at once,
 * asking no agency, with the reason on GET /checks. What a review asked
 * is published with its review_id; an application's with "". A review's
 * declared_income, when it carries one, is compared as an application's;
 * its declared_expenditure, when it carries one, is deducted (D), so a
 * change report's new expenditure counts at review.
 *
 * Rounds. After the commit, a scan (also run every SN_VERIFICATION_SCAN_MS
 * and at start, so nothing recorded is forgotten across restarts) picks
 * checks that are pending or whose retry is due, and starts a round for
 * each (at most SN_VERIFICATION_MAX_ROUNDS at once): the agencies without
 * an OK answer yet are asked at the same time (agencies.h). When all
 * have answered or given up, one transaction stores every answer of the
 * round (one row per agency per attempt), computes the facts (rules.h)
 * from the latest OK answer of each agency, records the outcome, moves
 * the check, and publishes "verification.completed":
 *   - round 1, always (COMPLETE, or INCOMPLETE naming missing_agencies,
 *     without facts);
 *   - a later round only when it completes (COMPLETE, attempt = round);
 *     a retry that is still incomplete is recorded but not published
 *     again.
 * An incomplete check is retried after SN_VERIFICATION_RETRY_MS, for at
 * most SN_VERIFICATION_MAX_ATTEMPTS rounds in all. The outcome row's
 * (check, attempt) key makes a round that lost a race roll back.
 *
 * verification.completed carries the check's revision (1 for
 * application.submitted, whose revision 0 reads as 1; 1 for a review).
 *
 * Held checks (issue 10): a check still INCOMPLETE after its last
 * automatic round (SN_VERIFICATION_MAX_ATTEMPTS) that did ask the agencies
 * (verification_rules_held). POST /checks/{id}/retry turns it pending with
 * retry_requested set: the next scan starts a round for its missing
 * agencies, whose outcome is published whatever it is
 * (verification_rules_round_next's requested), then the flag is cleared.
 *
 * HTTP (village_reviewer, township_officer, district_officer,
 * district_admin; only within the caller's jurisdiction, by the
 * household's village code, else 404):
 *   GET  /checks/{application_id}  the latest check of the application
 *        with its status, revision, attempts, facts, discrepancies,
 *        rounds and every agency answer
 *   GET  /checks[?held=true][&township=CODE]  a page of checks (sn/page.h,
 *        keyed by check_id), each with its missing agencies, attempts,
 *        last round's time and the application's deadline
 *   POST /checks/{application_id}/retry  (township_officer; Idempotency-
 *        Key) {application_id} an application or review id: a held check
 *        is asked again now, 202; 409 check_not_held otherwise
 *
 * Metrics (besides agencies.h's): sn_verification_rounds_total{status},
 * sn_verification_rounds_inflight, sn_verification_published_total{status}.
 *
 * Everything runs on the loop thread.
 */
#ifndef VERIFICATION_HANDLERS_H
#define VERIFICATION_HANDLERS_H

#include <stdint.h>

#include "agencies.h"
#include "sn/err.h"
#include "sn/service.h"

typedef struct verification_config {
	verification_agencies_config agencies;
	int64_t                      retry_ms; /* SN_VERIFICATION_RETRY_MS */
	int     max_attempts; /* SN_VERIFICATION_MAX_ATTEMPTS */
	int     max_rounds;   /* SN_VERIFICATION_MAX_ROUNDS */
	int64_t scan_ms;      /* SN_VERIFICATION_SCAN_MS */
} verification_config;

typedef struct verification verification;

/* The HTTP routes (above), for sn_service_def.routes; each handler's arg
 * is the verification (sn_service_set_route_arg). */
#define VERIFICATION_NROUTES 3
extern const sn_http_route_def verification_routes[VERIFICATION_NROUTES];

/*
 * Opens the agency client, registers the event handlers, makes v the
 * routes' arg, and starts the scan timer. cfg is copied. Call from the
 * service's setup; on failure nothing is left open.
 */
sn_err verification_open(
    verification **out, sn_service *svc, const verification_config *cfg);

/* Stops starting rounds (a shutdown started). */
void verification_stop(verification *v);

/* Closes the agency client (rounds in flight are dropped: their checks
 * stay pending and are asked again after a restart), the timer, and
 * frees v once its handles are closed. NULL: no-op. */
void verification_close(verification *v);

#endif /* VERIFICATION_HANDLERS_H */
