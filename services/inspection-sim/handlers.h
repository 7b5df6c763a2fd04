/*
 * handlers.h - the simulated 12388 platform's HTTP API (issue 12; the
 * paths under tag inspection-sim in proto/openapi.yaml).
 *
 * Citizens file tips (POST /tips, as the platform's public portal would;
 * Idempotency-Key). Partners, signed (sign.h), read the tips in a dense
 * order (GET /tips?after=N&limit=M: the tips whose seq is above N) and
 * deliver cases and their outcomes (PUT /cases/{id}, PUT
 * /cases/{id}/outcome), each with the partner's version: a version not
 * above the stored one is a repeat and changes nothing, so a delivery
 * retried after a lost answer is taken once. Every signed request's
 * nonce is stored in the transaction that serves it; a second use is
 * 401 "replayed_nonce". GET /cases lists what was delivered (public: a
 * view for tests and the local run). PUT /control turns the partner API
 * to 503 and back, for tests of an unavailable platform; the portal
 * stays up.
 *
 * Loop thread only, like every handler.
 */
#ifndef INSPECTION_HANDLERS_H
#define INSPECTION_HANDLERS_H

#include <stdbool.h>

#include "sign.h"
#include "sn/http.h"
#include "sn/service.h"

typedef struct inspection_sim inspection_sim;

typedef struct inspection_sim_config {
	uint8_t     key[INSPECTION_SIGN_KEYLEN];
	const char *key_id;      /* borrowed; outlives the sim */
	bool        unavailable; /* start answering 503 */
} inspection_sim_config;

/* Opens the sim on the service (metrics, the nonce purge). */
sn_err inspection_sim_open(
    inspection_sim **out, sn_service *svc, const inspection_sim_config *cfg);
/* NULL is a no-op. */
void inspection_sim_close(inspection_sim *s);

/* The routes; arg is the inspection_sim. */
void inspection_sim_tips_get(sn_http_req *req, void *arg);
void inspection_sim_tips_post(sn_http_req *req, void *arg);
void inspection_sim_case_put(sn_http_req *req, void *arg);
void inspection_sim_outcome_put(sn_http_req *req, void *arg);
void inspection_sim_cases_get(sn_http_req *req, void *arg);
void inspection_sim_control_put(sn_http_req *req, void *arg);

#endif /* INSPECTION_HANDLERS_H */
