/*
 * enrol.h - matching households to service projects, the places given
 * in them, the sessions partners deliver, and the figures (issue 13
 * items 4 and 5).
 *
 * A household is what schema 001 holds (its category, township, members
 * with birth dates, needs per member and for the household as a whole,
 * member 0); match.h decides eligibility and order on the district's
 * day (sn/clock.h). A household whose application was refused, or that
 * has left the register (standing exited), is in no category: eligible
 * for nothing. A household is named by its id, or its application's or
 * emergency referral's id.
 *
 * Staff see a household within their jurisdiction: its village, else
 * township, else district code lies within the caller's (sn_auth_within);
 * any other household answers 404 like an unknown one. The same judges
 * its enrolments: staff who may enrol a member of a household list,
 * read, end and count its enrolments (a village's clerk those of the
 * village's households, a township's or the district's every one below).
 *
 * Routes (main.c), arg the services:
 *   GET  /households/{id}/matches  (clerk, township_officer,
 *        district_officer, district_admin) ?on=YYYY-MM-DD (default
 *        today): the eligible projects best first, each {project, why:
 *        {category, needs_met, members}, left, enrolled: the members
 *        enrolled in it now}. A project a member is enrolled in is
 *        listed (and marked) while it is eligible.
 *   POST /enrolments {household_id, member, project_code} (clerk,
 *        township_officer, district_officer): the member's eligibility
 *        is judged again today (409 project_closed, 409
 *        project_not_running, 409 not_eligible naming the rule in its
 *        message, 422 unknown_member, 404 household or project unknown);
 *        409 already_enrolled when the member holds an active place in
 *        the project; then one conditional UPDATE takes a place (taken
 *        + 1 while below capacity and not closed), in the transaction of
 *        the enrolment row and its enrolment.changed ENROLLED: when none
 *        is left, 409 project_full and nothing changed. 201 with the
 *        enrolment.
 *   POST /enrolments/{id}/sessions {date, outcome?, note?} (partner; the
 *        token's unit must be the project's partner, else 403
 *        not_your_project): date not after today nor before the
 *        enrolment; sessions + 1, a session row and enrolment.changed
 *        SESSION; 409 enrolment_ended.
 *   POST /enrolments/{id}/end {outcome, note?} (the partner as above, or
 *        clerk, township_officer, district_officer within jurisdiction):
 *        the place is freed (taken - 1) with enrolment.changed ENDED; 409
 *        enrolment_ended the second time. Outcomes: completed, employed,
 *        improved, withdrew, moved, no_longer_eligible, deceased, other.
 *   GET  /enrolments (filters project, household, status; paged) and GET
 *        /enrolments/{id} (with its sessions): staff within
 *        jurisdiction; a partner only its projects' enrolments.
 * A partner token naming no unit is refused on every route (403
 * no_unit, services_unit).
 *   GET  /statistics/enrolments?from=&to= (staff; default the year to
 *        today): within the caller's jurisdiction, enrolments given
 *        (enrolled in the days), ended (in the days) and active (at the
 *        end of to), and sessions held in the days, in total, by domain,
 *        by township and by domain and township.
 *
 * Loop thread only.
 */
#ifndef SERVICES_ENROL_H
#define SERVICES_ENROL_H

#include "services.h"
#include "sn/http.h"

/* The routes; arg is the services. */
void services_enrol_matches(sn_http_req *req, void *arg);
void services_enrol_post(sn_http_req *req, void *arg);
void services_enrol_session(sn_http_req *req, void *arg);
void services_enrol_end(sn_http_req *req, void *arg);
void services_enrol_list(sn_http_req *req, void *arg);
void services_enrol_get(sn_http_req *req, void *arg);
void services_enrol_figures(sn_http_req *req, void *arg);

/*
 * The "enrolments" section of a household's own answer (GET
 * /households/{id}, households.h): $1 the household id; one row whose
 * column json is [{id, project_code, project_name_zh, project_name_en,
 * domain, partner, member, status, sessions, last_session, outcome,
 * enrolled_on, ended_on}], oldest first.
 */
extern const char services_enrol_household_sql[];

#endif /* SERVICES_ENROL_H */
