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
#include <stdint.h>

#include "sn/date.h"
#include "sn/problem.h"

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

/* ---- notices (POST /notices, notices.h) ----------------------------- */

#define AGENCY_SIM_NOTE_MAX 2000
/* The largest monthly wage a notice may state: 10,000,000 yuan. */
#define AGENCY_SIM_WAGE_MAX_FEN INT64_C(1000000000)

/* A notice as the request states it (strings borrowed; NULL: absent). */
typedef struct agency_sim_notice_in {
	const char *kind;      /* "death" or "new_job" */
	const char *id_number; /* GB 11643, check character upper-case */
	sn_date     effective_date;
	bool        has_wage; /* monthly_wage_fen given */
	int64_t     monthly_wage_fen;
} agency_sim_notice_in;

/* What the notice is: protocol values of sn/agency/v1/agency.proto. */
typedef struct agency_sim_notice_what {
	int kind;   /* NoticeKind: 1 NOTICE_DEATH, 2 NOTICE_NEW_JOB */
	int agency; /* Agency: 1 PUBLIC_SECURITY (a death), 2
	               HUMAN_RESOURCES (a new job) */
} agency_sim_notice_what;

/*
 * Checks a notice against the district's today (all 422): kind "death"
 * or "new_job" (invalid_kind, field kind); id_number a valid identity
 * number born by today (invalid_id_number); effective_date not after
 * today (future_date); a new job's monthly_wage_fen present
 * (missing_field) and 1..AGENCY_SIM_WAGE_MAX_FEN (out_of_range), a
 * death's absent (not_for_kind). True with *out filled, or false with p.
 */
bool agency_sim_rules_notice(const agency_sim_notice_in *in, sn_date today,
    agency_sim_notice_what *out, sn_problem *p);

/* "death", "new_job" for a NoticeKind value; NULL for another. */
const char *agency_sim_notice_kind_name(int kind);

#endif /* AGENCY_SIM_RULES_H */
