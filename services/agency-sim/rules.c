/*
 * agency-sim/rules.c - see rules.h.
 */
#include "rules.h"

agency_sim_answer
agency_sim_rules_answer(
    const agency_sim_ask *ask, int index, bool down, bool fail)
{
	if (down)
		return (agency_sim_answer) { AGENCY_SIM_OUT_DROPPED, "" };
	if (!ask->decoded || ask->n_ids > AGENCY_SIM_MAX_IDS)
		return (agency_sim_answer) { AGENCY_SIM_OUT_MALFORMED,
			"malformed request" };
	if (ask->consent == NULL || ask->consent[0] == '\0')
		return (agency_sim_answer) { AGENCY_SIM_OUT_NO_CONSENT,
			"no consent reference" };
	if (ask->agency != index + 1)
		return (agency_sim_answer) { AGENCY_SIM_OUT_ERROR,
			"request names another agency" };
	if (fail)
		return (agency_sim_answer) { AGENCY_SIM_OUT_ERROR,
			"simulated failure" };
	return (agency_sim_answer) { AGENCY_SIM_OUT_OK, "" };
}

const char *
agency_sim_outcome_name(agency_sim_outcome o)
{
	switch (o) {
	case AGENCY_SIM_OUT_OK:
		return "ok";
	case AGENCY_SIM_OUT_ERROR:
		return "error";
	case AGENCY_SIM_OUT_NO_CONSENT:
		return "no_consent";
	case AGENCY_SIM_OUT_DROPPED:
		return "dropped";
	case AGENCY_SIM_OUT_MALFORMED:
		return "malformed";
	case AGENCY_SIM_NOUTCOMES:
		break;
	}
	return "unknown";
}
