/*
 * agency-sim.rules: how an agency answers a request, one row per case;
 * each row breaks one thing of a request that is answered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"

static void
answer_table(void **state)
{
	(void) state;
	static const struct {
		bool               decoded;
		size_t             n_ids;
		const char        *consent;
		int                agency; /* named in the request */
		int                index;  /* of the agency answering */
		bool               down, fail;
		agency_sim_outcome outcome;
		const char        *error;
	} cases[] = {
		{ true, 3, "C-1", 2, 1, false, false, AGENCY_SIM_OUT_OK, "" },
		{ true, 0, "C-1", 8, 7, false, false, AGENCY_SIM_OUT_OK, "" },
		{ true, AGENCY_SIM_MAX_IDS, "C-1", 1, 0, false, false,
		    AGENCY_SIM_OUT_OK, "" },
		{ true, 3, "C-1", 2, 1, true, false, AGENCY_SIM_OUT_DROPPED,
		    "" },
		{ false, 0, "", 0, 1, true, false, AGENCY_SIM_OUT_DROPPED,
		    "" },
		{ false, 0, "", 0, 1, false, false, AGENCY_SIM_OUT_MALFORMED,
		    "malformed request" },
		{ true, AGENCY_SIM_MAX_IDS + 1, "C-1", 2, 1, false, false,
		    AGENCY_SIM_OUT_MALFORMED, "malformed request" },
		{ true, 3, "", 2, 1, false, false, AGENCY_SIM_OUT_NO_CONSENT,
		    "no consent reference" },
		{ true, 3, "", 3, 1, false, true, AGENCY_SIM_OUT_NO_CONSENT,
		    "no consent reference" },
		{ true, 3, "C-1", 3, 1, false, false, AGENCY_SIM_OUT_ERROR,
		    "request names another agency" },
		{ true, 3, "C-1", 0, 0, false, false, AGENCY_SIM_OUT_ERROR,
		    "request names another agency" },
		{ true, 3, "C-1", 3, 1, false, true, AGENCY_SIM_OUT_ERROR,
		    "request names another agency" },
		{ true, 3, "C-1", 2, 1, false, true, AGENCY_SIM_OUT_ERROR,
		    "simulated failure" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		agency_sim_ask    ask = { .decoded = cases[i].decoded,
			   .n_ids                  = cases[i].n_ids,
			   .consent                = cases[i].consent,
			   .agency                 = cases[i].agency };
		agency_sim_answer a   = agency_sim_rules_answer(
		      &ask, cases[i].index, cases[i].down, cases[i].fail);
		assert_int_equal(a.outcome, cases[i].outcome);
		assert_string_equal(a.error, cases[i].error);
	}
}

static void
outcome_names(void **state)
{
	(void) state;
	static const char *const want[AGENCY_SIM_NOUTCOMES]
	    = { "ok", "error", "no_consent", "dropped", "malformed" };
	for (int o = 0; o < AGENCY_SIM_NOUTCOMES; o++)
		assert_string_equal(
		    agency_sim_outcome_name((agency_sim_outcome) o), want[o]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answer_table),
		cmocka_unit_test(outcome_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
