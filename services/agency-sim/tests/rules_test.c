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

/* A notice that passes, and one row per thing broken (issue 9). */
static void
notice_table(void **state)
{
	(void) state;
	const sn_date            today = { 2026, 12, 2 };
	const sn_date            later = { 2026, 12, 3 };
	static const char *const ok_id = "22010319620304121X";
	static const struct {
		const char *kind, *id;
		bool        future, has_wage;
		int64_t     wage;
		const char *code, *field; /* NULL: passes */
		int         want_kind, want_agency;
	} cases[] = {
		{ "death", NULL, false, false, 0, NULL, NULL, 1, 1 },
		{ "new_job", NULL, false, true, 1, NULL, NULL, 2, 2 },
		{ "new_job", NULL, false, true, AGENCY_SIM_WAGE_MAX_FEN, NULL,
		    NULL, 2, 2 },
		{ "divorce", NULL, false, false, 0, "invalid_kind", "kind", 0,
		    0 },
		{ NULL, NULL, false, false, 0, "invalid_kind", "kind", 0, 0 },
		{ "death", "220103196203041219", false, false, 0,
		    "invalid_id_number", "id_number", 0, 0 },
		{ "death", "22010319620304121", false, false, 0,
		    "invalid_id_number", "id_number", 0, 0 },
		{ "death", "220103202701011214", false, false, 0,
		    "invalid_id_number", "id_number", 0, 0 },
		{ "death", NULL, true, false, 0, "future_date",
		    "effective_date", 0, 0 },
		{ "death", NULL, false, true, 100, "not_for_kind",
		    "monthly_wage_fen", 0, 0 },
		{ "new_job", NULL, false, false, 0, "missing_field",
		    "monthly_wage_fen", 0, 0 },
		{ "new_job", NULL, false, true, 0, "out_of_range",
		    "monthly_wage_fen", 0, 0 },
		{ "new_job", NULL, false, true, AGENCY_SIM_WAGE_MAX_FEN + 1,
		    "out_of_range", "monthly_wage_fen", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		agency_sim_notice_in   in = { .kind = cases[i].kind,
			  .id_number      = cases[i].id ? cases[i].id : ok_id,
			  .effective_date = cases[i].future ? later : today,
			  .has_wage       = cases[i].has_wage,
			  .monthly_wage_fen = cases[i].wage };
		agency_sim_notice_what w  = { 0, 0 };
		sn_problem             p;
		sn_problem_clear(&p);
		bool ok = agency_sim_rules_notice(&in, today, &w, &p);
		if (cases[i].code == NULL) {
			assert_true(ok);
			assert_int_equal(w.kind, cases[i].want_kind);
			assert_int_equal(w.agency, cases[i].want_agency);
			continue;
		}
		assert_false(ok);
		assert_int_equal(p.status, 422);
		assert_string_equal(p.code, cases[i].code);
		assert_string_equal(p.field, cases[i].field);
	}
	assert_string_equal(agency_sim_notice_kind_name(1), "death");
	assert_string_equal(agency_sim_notice_kind_name(2), "new_job");
	assert_null(agency_sim_notice_kind_name(3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answer_table),
		cmocka_unit_test(outcome_names),
		cmocka_unit_test(notice_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
