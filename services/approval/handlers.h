/*
 * handlers.h - approval's events and HTTP requests in: decode, store,
 * rules, outbox (issue 3, "## approval").
 *
 * Events consumed (one table for sn_bus_on_table: each handler gets the
 * decoded message, owned by the bus; each applied exactly once, in its
 * stream's order; the three streams in any order against each other, so every
 * input is stored keyed by application id and the case moves when it has
 * what it needs, under a per-case transaction lock):
 *   intake        application.submitted   stores it, opens the case
 *                                         (GATHERING, deadline =
 *                                         sn_clock_deadline(accepted
 *                                         date, SN_CASE_DEADLINE_DAYS))
 *   intake        application.withdrawn   open case -> WITHDRAWN
 *   verification  verification.completed  COMPLETE: facts; INCOMPLETE:
 *                                         the case is HELD, the reason
 *                                         names the missing agencies; a
 *                                         later COMPLETE releases it
 *   investigation investigation.completed the report and investigators
 *   intake        household.change_reported  a change_report review
 *                                         (agency_notice when its agency
 *                                         is set) unless one is open (then
 *                                         the change is recorded on it);
 *                                         once per change_id
 *   intake        application.resubmitted (issue 10) a returned case
 *                                         comes back: RETURNED -> GATHERING
 *                                         at the event's revision (2, 3,
 *                                         ...), the amended submission
 *                                         replacing the stored one (kept in
 *                                         submitted_history), the older
 *                                         revision's verification dropped,
 *                                         the investigation kept, the
 *                                         deadline kept, the earlier
 *                                         round's actors set aside (the
 *                                         resubmitting clerk is an actor);
 *                                         a case not RETURNED: recorded
 *                                         (resubmissions, ignored), logged,
 *                                         counted; once per revision
 *   disbursement  payment.failed, payee.changed (issue 10): payee.h
 * An application's verification.completed counts only when its revision
 * (0 read as 1) is the case's; an older one is never stored over a newer.
 * A verification.completed or investigation.completed with a review_id
 * is a review's answer: stored by review id (never over the
 * application's rows) and joined on the review's case, below.
 * With the submission, a COMPLETE verification and the investigation in
 * (approval_rules_join), the rules (rules.h) classify the household under
 * the policy version in force on the accepted date; the computation is
 * stored and the case moves to VILLAGE_REVIEW.
 *
 * A review is a case (issue 9): each review opened (periodic,
 * change_report, agency_notice) opens a case with case_id = review_id
 * (kind review) in GATHERING with the same deadline, joined as an
 * application's (incomplete verification: HELD, saying so when the
 * consent on file had lapsed; both answers in: the outcome of
 * approval_rules_review_case for this month stored as its computation,
 * VILLAGE_REVIEW). The same three steps; the township's approve
 * recomputes the outcome for its month and applies it to the register in
 * its transaction (row, history, next review date by the version in
 * force, beneficiary.changed when changed), reject leaves the register;
 * the review closes either way. No application.decided for a review. The
 * clock also exits the households whose gradual exit ended before this
 * month (approval_rules_gradual_end).
 *
 * Events published (subject = application id, schema_version 1):
 *   case.stage_changed   every stage change (open, held, computed, steps,
 *                        withdrawal)
 *   application.decided  at the township's confirmation (issue 10: with
 *                        the case's revision, and rule_reason when the
 *                        rules put it in no category, edge.h)
 *   beneficiary.changed  ACTIVE, when the confirmation approves (cause
 *                        DECISION, old amount 0, first_month = from_month,
 *                        members, policy_version); SUSPENDED (amount 0,
 *                        cause SUSPENSION) and back (cause REVIEW) by the
 *                        routes below, first_month the month after today;
 *                        EXITED (cause REPLACED, amount 0, until the
 *                        month before the decision's) for every edge
 *                        household of a member of an application the
 *                        township approves, in its transaction and
 *                        before the new entry's (issue 10); every one
 *                        with member_names beside member_id_numbers
 *   case.overdue         once per case, by the clock
 *   review.requested     a review opened: periodic (the clock, when an
 *                        ACTIVE or GRADUAL_EXIT household's review date
 *                        comes, at most 500 a tick) or change_report
 *                        (with the declared figures); the household,
 *                        members and consent of its submission
 *
 * HTTP (approval_routes; bearer token required on all; POSTs need an
 * Idempotency-Key):
 *   GET  /policy                           any role: versions, the one in
 *                                          force, urban/rural ratio (issue
 *                                          10: each version's override
 *                                          reasons, and those in force)
 *   POST /policy                           district_admin: add a version
 *                                          (issue 10: override_reasons,
 *                                          absent: the previous version's)
 *   GET  /cases?township=&stage=&category=&overdue=&kind=&override=
 *        &held=&limit=&cursor=             within jurisdiction, paged
 *                                          (sn/page.h) in opening order:
 *                                          {items, next, cases (= items,
 *                                          deprecated)}; each item counts
 *                                          its discrepancies
 *   GET  /cases/{id}                       404 outside jurisdiction (the
 *                                          caller learns nothing of it)
 *   Issue 10: GET /cases?held=true lists the HELD cases with their
 *   missing agencies; every case answer carries its clock (held.h:
 *   days_left, clock_running).
 *   POST /cases/{id}/village-review        village_reviewer
 *   POST /cases/{id}/township-confirmation township_officer (issue 10:
 *                                          "return" with a reason:
 *                                          RETURNED, as the village's)
 *   POST /cases/{id}/district-filing       district_officer
 *   GET  /beneficiaries?township=&village=&category=&status=&review_due=
 *        &limit=&cursor=                   within jurisdiction, paged
 *                                          (sn/page.h, in register order):
 *                                          {items, next} and, deprecated
 *                                          for one release, next_cursor
 *                                          (= next) and beneficiaries (=
 *                                          items); 422 invalid_query
 *   GET  /reviews?status=&township=&limit=&cursor=
 *                                          within jurisdiction, paged in
 *                                          opening order: {items, next,
 *                                          reviews (deprecated)}
 *   GET  /price-indices?limit=&cursor=     paged in recording order:
 *                                          {items, next, months
 *                                          (deprecated)}
 * Issue 10, approval-B (overrides.h, discrepancies.h):
 *   - verification.completed's discrepancies are kept on the row of the
 *     answer they came with (a later round or revision replaces them) and
 *     shown by GET /cases/{id} ("discrepancies"); a township confirmation
 *     of a case with any needs "discrepancies_seen": true (else 422
 *     discrepancies_not_seen), recorded on the timeline.
 *   - An approval of a case computed NONE into a category is an override:
 *     a reason code of the policy in force and a note (422
 *     invalid_override_reason, override_note_required); it goes to
 *     DISTRICT_FILING marked for the district's review, with no
 *     application.decided. The district's filing body takes decision
 *     file (agree: application.decided with override_reason_code, note,
 *     district_reviewed_by; the household enters the register), return
 *     (RETURNED) or reject (REJECTED, application.decided not approved),
 *     the last two with a reason; an ordinary case only files (422
 *     not_under_review). Each tick sets approval_overrides{reason} (the
 *     township's overrides so far, by code).
 *   GET  /beneficiaries/{id}               with its history (oldest first);
 *                                          404 outside jurisdiction
 *   POST /beneficiaries/{id}/suspension    township_officer, {reason}
 *   POST /beneficiaries/{id}/resumption    township_officer, {reason}
 * The register (issue 9): a household enters it at the confirmation with
 * its next review date (register_rules.h), a history row (table
 * beneficiary_history, append-only) per change. Suspension and
 * resumption: the same segregation of duties as the steps (not who took
 * the application in, not a household member; 403 recorded in
 * refusals), the change decided by approval_register_act.
 * Bodies (sn/input.h): a member the endpoint does not know is 422
 * unknown_field, null or another JSON type where a string, number or
 * boolean is expected 422 invalid_type, control characters in a string
 * 422 invalid_characters (reason and note may hold line breaks), each
 * naming the field; well-typed values the endpoint refuses stay 400
 * invalid_field. Nothing is stored for a refused body.
 * A step refused for jurisdiction ("outside_jurisdiction") or segregation
 * of duties ("already_acted", "took_in_application", "visited_home",
 * "household_member") answers 403 with that code and is recorded (table
 * refusals and the case timeline) in the transaction that answers
 * (approval_rules_may_act decides; approval_rules_township decides the
 * confirmation). "Today" (the policy in force, a new version's start,
 * the effective month) is the district's (sn/clock.h).
 *
 * The clock: every SN_APPROVAL_OVERDUE_CHECK_MS a transaction marks the
 * unconfirmed cases (GATHERING, HELD, VILLAGE_REVIEW, TOWNSHIP_CONFIRM)
 * whose deadline is before the district's today (sn_clock_today) as
 * overdue (once) and publishes case.overdue, then refreshes the gauges
 * approval_cases{stage="..."} and approval_cases_overdue.
 *
 * Everything runs on the service's loop thread. One approval per process:
 * the state lives in this module (set up by approval_setup).
 */
#ifndef APPROVAL_HANDLERS_H
#define APPROVAL_HANDLERS_H

#include <stdint.h>

#include <jansson.h>

#include "overrides.h"
#include "rules.h"
#include "sn/err.h"
#include "sn/problem.h"
#include "sn/service.h"

typedef struct approval_config {
	int64_t deadline_days;    /* SN_CASE_DEADLINE_DAYS, default 15 */
	int64_t overdue_check_ms; /* SN_APPROVAL_OVERDUE_CHECK_MS, 60000 */
} approval_config;

/* sn_service_def.setup: event handlers, metrics, the clock. arg is an
 * approval_config that must outlive the service. */
sn_err approval_setup(sn_service *svc, void *arg);

/* The HTTP routes above, for sn_service_def.routes (the handlers ignore
 * their arg). */
extern const sn_http_route_def approval_routes[];
extern const size_t            approval_nroutes;

/* The body of a step (POST /cases/{id}/...) into *r and *o; false with
 * *prob. Public for tests/fuzz. */
bool approval_step_parse(const json_t *body, approval_step step,
    approval_step_request *r, approval_override_request *o, sn_problem *prob);

#endif /* APPROVAL_HANDLERS_H */
