/*
 * agency-sim/notices.h - the agencies' notices (issue 9): a death
 * (public security) or a new job (human resources), pushed to whoever
 * follows agency-sim's stream (intake: it reports the change of a
 * beneficiary household), as a real agency's adapter would push them.
 *
 * HTTP, public as every route of the simulators (tests and demos; see
 * proto/openapi.yaml, tag agency-sim):
 *   POST /notices   idempotent. Body {kind: "death" | "new_job",
 *       id_number, effective_date (YYYY-MM-DD), monthly_wage_fen (a new
 *       job's wage per month; not for a death), note (optional)}.
 *       422 as sn/input.h and agency_sim_rules_notice (rules.h) say,
 *       before any transaction: nothing is stored. 201 {notice_id,
 *       agency, kind, id_number, effective_date, monthly_wage_fen, note,
 *       issued_at}: the notice is stored and agency.notice
 *       (sn.agency.v1.AgencyNotice; envelope subject the notice id,
 *       actor "agency:<AGENCY>") goes into the outbox in the same
 *       transaction. Once committed, the agencies answer accordingly
 *       (records.h's overlay): a dead person alive = false, a new job's
 *       wages_fen its wage. A repeated Idempotency-Key replays the
 *       answer and does nothing more.
 *   GET /notices?id_number=&limit=   200 {notices: [...], truncated}:
 *       oldest first, at most limit (1-1000, default 200), those of
 *       id_number when given.
 *
 * The overlay is rebuilt from the stored notices at start; until that is
 * done /readyz answers 503, so a ready agency-sim never answers from
 * records that forget a notice.
 *
 * Metrics: sn_agency_sim_notices_total{kind} notices issued.
 *
 * Loop thread only.
 */
#ifndef AGENCY_SIM_NOTICES_H
#define AGENCY_SIM_NOTICES_H

#include <jansson.h>

#include "records.h"
#include "rules.h"
#include "sn/problem.h"
#include "sn/service.h"

typedef struct agency_sim_notices agency_sim_notices;

/*
 * Starts rebuilding overlay (borrowed, must outlive the notices) from the
 * stored notices, retried every second until it succeeds, and answers
 * /readyz from then on. Call from setup; the route table's handlers take
 * the result as their arg.
 */
sn_err agency_sim_notices_open(
    agency_sim_notices **out, sn_service *svc, agency_sim_overlay *overlay);

/* NULL: no-op. After the loop has stopped. */
void agency_sim_notices_close(agency_sim_notices *n);

void agency_sim_notices_post(sn_http_req *req, void *arg);
void agency_sim_notices_list(sn_http_req *req, void *arg);

/* The body of POST /notices into *in and *note (strings borrowed from
 * body); false with *p. Public for tests/fuzz. */
bool agency_sim_notice_parse(const json_t *body, agency_sim_notice_in *in,
    const char **note, sn_problem *p);

#endif /* AGENCY_SIM_NOTICES_H */
