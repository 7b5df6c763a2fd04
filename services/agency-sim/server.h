/*
 * agency-sim/server.h - the eight simulated agencies on NNG REP sockets.
 *
 * Each agency listens on its own URL with `contexts` REP contexts, each
 * one request at a time, so up to that many requests per agency are
 * served at once. Everything happens on NNG's threads in the contexts'
 * aio callbacks (receive, answer, optionally wait, send, receive again);
 * the loop is not involved. The fixture and the settings are read-only
 * after open; counters are atomic.
 *
 * Answers (sn/agency/v1/agency.proto): REPLY_NO_CONSENT when the request
 * has no consent reference; REPLY_ERROR when the agency is set to fail,
 * when the request names another agency, or when it cannot be decoded;
 * otherwise REPLY_OK with one record per id number asked, holding only
 * this agency's fields, as the fixture or the derivation gives it and
 * the agencies' notices have changed it since (the overlay). A "down" agency
 * receives and never answers.
 *
 * Metrics:
 *   sn_agency_sim_requests_total{agency,outcome}  ok, error, no_consent,
 *                                                 dropped, malformed
 *   sn_agency_sim_inflight{agency}, sn_agency_sim_inflight_max{agency}
 *   sn_agency_sim_inflight_all, sn_agency_sim_inflight_all_max
 *     requests received and not yet answered (now / the most seen), per
 *     agency and over all agencies: evidence of concurrent questions.
 */
#ifndef AGENCY_SIM_SERVER_H
#define AGENCY_SIM_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "records.h"
#include "sn/err.h"
#include "sn/loop.h"
#include "sn/metrics.h"

typedef struct agency_sim_agency_config {
	const char *url;     /* borrowed during open */
	uint32_t    slow_ms; /* delay before each answer */
	bool        fail;    /* answer REPLY_ERROR */
	bool        down;    /* never answer */
} agency_sim_agency_config;

typedef struct agency_sim_config {
	agency_sim_agency_config agencies[AGENCY_SIM_NAGENCIES];
	int                      contexts; /* per agency */
	/* Borrowed, must outlive the server; NULL for none. */
	const agency_sim_fixture *fixture;
	/* The notices' changes over the records (records.h); borrowed,
	 * must outlive the server; NULL for none. */
	agency_sim_overlay *overlay;
} agency_sim_config;

typedef struct agency_sim_server agency_sim_server;

/* Listens on every URL (kept accepting on loop: sn/listen.h) and starts
 * serving. The metrics registry is borrowed and must outlive the server.
 * Loop thread. */
sn_err agency_sim_server_open(agency_sim_server **out, sn_loop *loop,
    sn_metrics *m, const agency_sim_config *cfg);

/* Stops serving, waits for the callbacks in flight and frees the
 * server. NULL: no-op. */
void agency_sim_server_close(agency_sim_server *s);

#endif /* AGENCY_SIM_SERVER_H */
