/*
 * intake/notices.h - agencies' notices (issue 9): intake follows the
 * publisher "agency-sim" (SN_AGENCY_SIM_PUB_URL, SN_AGENCY_SIM_REPLAY_URL;
 * a real agency's adapter publishes the same stream) and takes its
 * agency.notice (sn.agency.v1.AgencyNotice) as a change of circumstances
 * of the beneficiary household the person belongs to, which opens an
 * unscheduled review in approval.
 *
 * For each notice, once per notice_id (the bus applies each event once;
 * a notice_id seen before, under another event, changes nothing):
 *   - a malformed notice (intake_rules_notice) is SN_EPROTO: logged,
 *     counted and passed over by the bus;
 *   - the household on the register (active, gradual_exit, suspended;
 *     not exited) whose members include id_number is locked and the
 *     change recorded as a clerk's is (intake_changes_record, changes.h):
 *     a death as CHANGE_KIND_DEATH of that member, a new job as
 *     CHANGE_KIND_INCOME with the wage as the declared wages, reported_by
 *     "agency:<AGENCY>", agency and notice_id set, reported_on the
 *     district's today; household.change_reported goes into the outbox
 *     in the same transaction as the cursor's move. The notice is kept
 *     in agency_notice as matched, with the change's id;
 *   - no such household (nobody held, or only an exited household): the
 *     notice is kept as unmatched, with a log line; nothing is published.
 * A notice applied before the beneficiary.changed that puts its person's
 * household on the register (another publisher's stream, not ordered
 * against this one) is unmatched for good.
 *
 * Metrics: sn_intake_agency_notices_total{outcome} with outcome matched,
 * unmatched, repeat (a notice_id seen before) or malformed; counted when
 * the notice's effects are queued, so a batch retried after a failure
 * counts its notices again.
 *
 * Loop thread only.
 */
#ifndef INTAKE_NOTICES_H
#define INTAKE_NOTICES_H

#include <protobuf-c/protobuf-c.h>

#include "sn/bus.h"
#include "sn/service.h"

typedef struct intake_notices intake_notices;

/* For the service's setup: the state of the notice in flight and the
 * counters; free with intake_notices_free after the loop has stopped. */
intake_notices *intake_notices_new(sn_service *svc);
void            intake_notices_free(intake_notices *ns);

/*
 * The bus handler of agency-sim's agency.notice (an sn_bus_topic row);
 * arg is the intake_notices. The stream applies one event at a time, so
 * one notice is in flight at most: its state lives in ns until the
 * match's callback has queued its effects.
 */
sn_err intake_notices_apply(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg);

#endif /* INTAKE_NOTICES_H */
