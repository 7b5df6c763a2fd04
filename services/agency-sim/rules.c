/*
 * agency-sim/rules.c - see rules.h.
 */
#include "rules.h"

#include <string.h>

#include "sn/idnum.h"

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

const char *
agency_sim_notice_kind_name(int kind)
{
	switch (kind) {
	case 1:
		return "death";
	case 2:
		return "new_job";
	default:
		return NULL;
	}
}

bool
agency_sim_rules_notice(const agency_sim_notice_in *in, sn_date today,
    agency_sim_notice_what *out, sn_problem *p)
{
	agency_sim_notice_what w = { 0, 0 };
	if (in->kind != NULL && strcmp(in->kind, "death") == 0)
		w = (agency_sim_notice_what) { 1, 1 };
	else if (in->kind != NULL && strcmp(in->kind, "new_job") == 0)
		w = (agency_sim_notice_what) { 2, 2 };
	else
		return sn_problem_set(p, 422, "invalid_kind", "kind",
		    "kind is death or new_job");
	if (in->id_number == NULL
	    || sn_idnum_parse(in->id_number, strlen(in->id_number),
	           (int) sn_date_yyyymmdd(today), NULL)
	        != SN_OK)
		return sn_problem_set(p, 422, "invalid_id_number", "id_number",
		    "not a valid resident identity number");
	if (sn_date_cmp(in->effective_date, today) > 0)
		return sn_problem_set(p, 422, "future_date", "effective_date",
		    "effective_date is after today");
	if (w.kind == 1 && in->has_wage)
		return sn_problem_set(p, 422, "not_for_kind",
		    "monthly_wage_fen", "a death states no wage");
	if (w.kind == 2 && !in->has_wage)
		return sn_problem_set(p, 422, "missing_field",
		    "monthly_wage_fen", "a new job states its monthly wage");
	if (w.kind == 2
	    && (in->monthly_wage_fen < 1
	        || in->monthly_wage_fen > AGENCY_SIM_WAGE_MAX_FEN))
		return sn_problem_set(p, 422, "out_of_range",
		    "monthly_wage_fen", "a monthly wage of 1 fen to %lld fen",
		    (long long) AGENCY_SIM_WAGE_MAX_FEN);
	*out = w;
	return true;
}
