/*
 * agency-sim/rules.h - how a simulated agency answers a request: the
 * decision, apart from the records (records.h) and the sockets
 * (server.h).
 *
 * Pure functions: no I/O, no clock, no allocation, no logging; callable
 * from any thread (the server calls them on NNG's). Strings returned are
 * static.
 */
#ifndef AGENCY_SIM_RULES_H
#define AGENCY_SIM_RULES_H

#include <stdbool.h>
#include <stddef.h>

/* The most id numbers one request may ask about. */
#define AGENCY_SIM_MAX_IDS 256

/* How a request was answered; also the metric's outcome label. */
typedef enum agency_sim_outcome {
	AGENCY_SIM_OUT_OK = 0,     /* REPLY_OK, one record per id */
	AGENCY_SIM_OUT_ERROR,      /* REPLY_ERROR */
	AGENCY_SIM_OUT_NO_CONSENT, /* REPLY_NO_CONSENT */
	AGENCY_SIM_OUT_DROPPED,    /* never answered (the agency is down) */
	AGENCY_SIM_OUT_MALFORMED,  /* REPLY_ERROR: cannot be taken at all */
	AGENCY_SIM_NOUTCOMES
} agency_sim_outcome;

/* A request as the rules see it. */
typedef struct agency_sim_ask {
	bool        decoded; /* false: the bytes did not decode */
	size_t      n_ids;   /* id numbers asked about */
	const char *consent; /* the consent reference, "" for none */
	int         agency;  /* the agency named, protocol value (1..8) */
} agency_sim_ask;

typedef struct agency_sim_answer {
	agency_sim_outcome outcome;
	const char        *error; /* AgencyReply.error; "" unless refused */
} agency_sim_answer;

/*
 * The answer of the agency at index (protocol value - 1) to ask, in this
 * order: a down agency drops everything; a request that does not decode
 * or asks about more than AGENCY_SIM_MAX_IDS numbers is malformed; then
 * no consent reference, a request naming another agency, and an agency
 * set to fail are refused; anything else is answered.
 */
agency_sim_answer agency_sim_rules_answer(
    const agency_sim_ask *ask, int index, bool down, bool fail);

/* "ok", "error", "no_consent", "dropped", "malformed". */
const char *agency_sim_outcome_name(agency_sim_outcome o);

#endif /* AGENCY_SIM_RULES_H */
