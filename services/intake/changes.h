/*
 * intake/changes.h - changes of circumstances of beneficiary households
 * (issue 9): a clerk records what a household reported, and intake
 * publishes it for approval, which opens an unscheduled review.
 *
 * intake knows the beneficiary households from approval's
 * beneficiary.changed (handlers.h; intake/store.h's beneficiary_household:
 * status and division codes). The routes (see proto/openapi.yaml):
 *
 *   POST /households/{id}/changes   role clerk, idempotent; id is the
 *       beneficiary id. Body (intake_codec_change, intake_rules_change):
 *       kind (members, income, expenditure, address, death, moved_out),
 *       member_id_number, income, expenditure, household, members,
 *       effective_date (YYYY-MM-DD, not after the district's today), note.
 *       422 for a bad body (before any transaction, so nothing is
 *       stored); then, in one transaction with the household locked: 404
 *       not_found for a household intake does not know as on the register
 *       (active, gradual_exit or suspended; an exited one is refused), 403
 * outside_jurisdiction outside the household's township, 422 not_a_member for
 * a death of someone not in it. 201 {change_id, beneficiary_id,
 * application_id, kind, effective_date, reported_on}: the change is stored and
 *       household.change_reported (HouseholdChangeReported; envelope
 *       subject the beneficiary id, actor the clerk) goes into the outbox
 *       in the same transaction. A repeated Idempotency-Key replays the
 *       answer and publishes nothing more.
 *   GET /households/{id}/changes    any staff role within the household's
 *       village (403 outside, 404 unknown, whatever its status): 200
 *       {beneficiary_id, application_id, active, items: [...], next}:
 *       one page (sn/page.h: limit, cursor; 422 invalid_query), oldest
 *       first: the clerks' and the agencies' (agency and
 *       notice_id set, reported_by "agency:<AGENCY>"; notices.h).
 *
 * Loop thread only; arg is the intake_handlers (handlers.h).
 */
#ifndef INTAKE_CHANGES_H
#define INTAKE_CHANGES_H

#include "codec.h"
#include "rules.h"
#include "sn/bus.h"
#include "sn/http.h"

/*
 * Records change c of a household, whoever reported it (a clerk through
 * POST /households/{id}/changes, an agency's notice through notices.h):
 * queues the household_change row (meta's ids, reporter and day; agency
 * and notice_id when an agency reported it; details_json the figures as
 * given, a JSON object) and appends household.change_reported (envelope
 * subject the beneficiary id, actor meta->reported_by) on tx, the
 * caller's transaction, in which the household is locked. c, meta and
 * details_json are borrowed for the call. SN_OK, or the failure of a
 * queue (tx then fails).
 */
sn_err intake_changes_record(sn_bus *bus, sn_tx *tx, const intake_change *c,
    const intake_change_meta *meta, const char *details_json);

void intake_changes_report(sn_http_req *req, void *arg);
void intake_changes_list(sn_http_req *req, void *arg);

#endif /* INTAKE_CHANGES_H */
