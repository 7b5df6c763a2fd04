/*
 * intake/handlers.h - what comes into intake: the clerks' HTTP requests,
 * approval's events and emergency's referrals.
 *
 * HTTP (bearer token required; errors {"error": {code, message, field}};
 * see proto/openapi.yaml):
 *   POST /applications                 role clerk, idempotent. Takes in an
 *       application for a household inside the clerk's jurisdiction;
 *       201 {application_id, accepted_date, deadline_date}: the
 *       district's today (sn_clock_today) and sn_clock_deadline of it.
 *       The checks of intake/codec.h (unknown members, nulls, control
 *       characters, JSON types) and intake/rules.h give 422/403 before
 *       any transaction; a person
 *       already held gives 409 "person_in_open_application" (an open
 *       application) or "person_in_beneficiary_household" (an approved
 *       application or an active beneficiary household), with the
 *       holder's "application_id" (and "beneficiary_id" when known) added
 *       to the error object. Persons are claimed in the same transaction
 *       under a unique key, so two concurrent submissions sharing a person
 *       cannot both succeed; the one that loses such a race gets the same
 *       409 with the holder's "application_id" (intake_rules_holder).
 *       Publishes application.submitted (ApplicationSubmitted, revision 1)
 *       in the same transaction; envelope subject the application id,
 *       actor the clerk. The declared income takes agricultural_fen and
 *       support_fen too (issue 10; absent: 0).
 *   POST /applications/{id}/withdraw   role clerk, idempotent, body
 *       {"reason"} and nothing else (intake_codec_withdrawal: 422
 *       unknown_field, invalid_type, invalid_characters, invalid_field):
 *       200 {application_id, status: "withdrawn"}; 404 not_found, 403
 *       outside_jurisdiction, 409 not_open (intake_rules_withdraw). Frees
 *       the members; publishes application.withdrawn.
 *   GET /applications/{id}             any staff role, within its
 *       jurisdiction: the application with its status ("draft", "open"
 *       (submitted or resubmitted), "returned", "withdrawn",
 *       "decided_approved", "decided_rejected"), its revision, returned
 *       (who returned it and why, while returned), decision (approved,
 *       category, tier, case, who), history (returned, amended,
 *       resubmitted, payee_changed with the old payee; oldest first), its
 *       referral_id and referral (null unless it came from an emergency
 *       referral) and note. A draft's fields not yet filled in are null.
 *       Identity numbers are shown in full (only logs mask them).
 *   GET /applications?[status=][&township=][&taken_in_by=][&limit=]
 *       [&cursor=]   roles INTAKE_LIST_ROLES: one page (sn/page.h) of the
 *       applications within the caller's jurisdiction that the filters
 *       name, in the order taken in, each as GET /{id} shows it:
 *       {items, next}. taken_in_by=me lists the caller's own; a clerk may
 *       name no one else (403 forbidden). intake_rules_list_query gives
 *       the 4xx.
 *   PUT /applications/{id}             role clerk, idempotent (issue 10):
 *       amends a returned application with the full body of POST
 *       /applications (the same decoding, rules, 4xx and 409 for a
 *       person held elsewhere, before any transaction), keeping its dates
 *       and taker; 200 {application_id, accepted_date, deadline_date,
 *       status: "returned"}. 404 not_found, 403 outside_jurisdiction, 409
 *       not_returned (intake_rules_amend). Publishes nothing.
 *   POST /applications/{id}/resubmit   role clerk, idempotent (issue 10),
 *       body {"amendment"} (intake_codec_resubmission): a returned
 *       application goes back to "open" with revision + 1, and
 *       application.resubmitted (ApplicationSubmitted: the stored
 *       household, members, figures and payee, the first dates, revision,
 *       resubmitted_by, amendment) in the same transaction; 200
 *       {application_id, status: "open", revision}; 404, 403, 409
 *       not_returned as PUT.
 *   POST /applications/{id}/submit     role clerk, idempotent: completes a
 *       draft with the full application body of POST /applications (the
 *       same decoding, rules and 4xx before any transaction, and the same
 *       409 for a person held elsewhere, checked in that order before
 *       the draft itself); a body without requested_category keeps the
 *       draft's (dibao or tekun). 200 {application_id (the draft's),
 *       accepted_date, deadline_date, referral_id}; the application is
 *       then "open", claims its persons and publishes
 *       application.submitted with referral_id set, in one transaction.
 *       404 not_found; 403 outside_jurisdiction (the draft's village);
 *       409 not_draft (already submitted, or never a draft); 422
 *       referred_person_missing (field "members": the person the
 *       referral names must stay a member, so that the chain grant ->
 *       referral -> application -> decision holds for them).
 *
 * Events followed (publisher "approval"):
 *   application.decided   marks an open (or returned) application
 *                         decided, with its category and tier; a
 *                         rejection frees its members, an approval keeps
 *                         them held, except an edge-tier one
 *                         (intake_rules_edge), whose persons a new
 *                         application may claim.
 *   case.stage_changed    to RETURNED, for an application's case (case_id
 *                         == application_id, one of intake's): an open
 *                         application becomes "returned" with the actor
 *                         and reason (a repeat changes nothing); other
 *                         stages and reviews' cases are passed over.
 *   beneficiary.changed   ACTIVE, GRADUAL_EXIT or SUSPENDED: the
 *                         household's members (member_id_numbers and
 *                         head_id_number, or when both are empty the
 *                         members of its application) are held by the
 *                         register; EXITED frees them. The household's
 *                         status and division codes (the event's, or its
 *                         application's) are kept for its changes of
 *                         circumstances (changes.h). An edge-tier
 *                         household's members hold nobody against a new
 *                         application; REPLACED arrives as EXITED and
 *                         ends the old standing like any exit.
 *
 * Events followed (publisher "emergency"):
 *   referral.created      kind DIBAO or TEKUN: opens a draft application
 *                         (status "draft") prefilled from the referral:
 *                         the household's district, township and village
 *                         codes; the person as the one member (id number,
 *                         name, relation "self", birth date from the id
 *                         number); the payee; the requested category; the
 *                         referral id, grant id, household size (also as
 *                         the note "household size: N"), the referral's
 *                         note and its author. One draft per referral id:
 *                         a repeat changes nothing. A draft claims nobody
 *                         and publishes nothing. Other kinds (medical,
 *                         housing, education, employment) are another
 *                         department's and are passed over. A referral
 *                         that breaks intake_rules_referral (rules.h) is
 *                         SN_EPROTO.
 * Events followed (publisher "agency-sim"):
 *   agency.notice         an agency's notice of a death or a new job:
 *                         the change of the beneficiary household the
 *                         person belongs to, reported as a clerk's is
 *                         (notices.h), or kept as unmatched.
 *
 * Events followed (publisher "disbursement"):
 *   payee.changed         a corrected payee: the application named
 *                         (application_id) gets it, the old payee kept in
 *                         its history; the same payee again, a grant's
 *                         (no application id) or an application intake
 *                         does not have changes nothing. A malformed
 *                         account is SN_EPROTO.
 *
 * A payload that does not decode, or names a malformed application id,
 * is SN_EPROTO (logged, counted, skipped).
 *
 * Everything runs on the service's loop.
 */
#ifndef INTAKE_HANDLERS_H
#define INTAKE_HANDLERS_H

#include <stdint.h>

#include "sn/service.h"

/* Roles allowed to list applications (a clerk only their own or their
 * township's). */
#define INTAKE_LIST_ROLES                                                     \
	"clerk,township_officer,district_officer,district_admin"

/* Roles allowed to read an application. */
#define INTAKE_STAFF_ROLES                                                    \
	"clerk,investigator,village_reviewer,township_officer,"               \
	"district_officer,district_admin"

/*
 * The service's state, embedded by main.c and handed to sn_service as its
 * arg (and so to the routes' handlers). Private to handlers.c; setup
 * reads the settings.
 */
typedef struct intake_handlers {
	int32_t                deadline_days; /* SN_CASE_DEADLINE_DAYS */
	sn_service            *svc;
	struct intake_notices *notices; /* notices.h; main frees it */
} intake_handlers;

/* sn_service_def.setup: reads SN_CASE_DEADLINE_DAYS, follows approval's,
 * emergency's and agency-sim's events (one table, sn_bus_on_table). */
sn_err intake_handlers_setup(sn_service *svc, void *arg);

/* The routes' handlers (main.c's route table; arg: intake_handlers). */
void intake_handlers_submit(sn_http_req *req, void *arg);
void intake_handlers_list(sn_http_req *req, void *arg);
void intake_handlers_submit_draft(sn_http_req *req, void *arg);
void intake_handlers_withdraw(sn_http_req *req, void *arg);
void intake_handlers_get(sn_http_req *req, void *arg);
void intake_handlers_amend(sn_http_req *req, void *arg);
void intake_handlers_resubmit(sn_http_req *req, void *arg);

#endif /* INTAKE_HANDLERS_H */
