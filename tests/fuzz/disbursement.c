/*
 * fuzz_disbursement: the bodies of disbursement's POST /budgets, POST
 * /runs and POST /runs/{id}/decision. Its handlers read them in static
 * functions that take the request itself (alloc_parse, run_parse,
 * approval_parse in services/disbursement/handlers.c), so this harness
 * reads each body the same way - the same members, the same sn/input.h
 * calls - and hands the values to the same public rules. The first input
 * byte picks the body. Every refusal is a 4xx with a code; what is
 * accepted is within the rules' bounds: a known fund, a year of
 * 2000..9999 and 0 < amount <= DISBURSEMENT_AMOUNT_MAX; a period at most
 * a month from the district's; an approval's decision named and its step
 * the one named.
 */
#include <jansson.h>

#include "disbursement/rules.h"
#include "fuzz.h"
#include "sn/input.h"

static const sn_principal FINANCE = { "fin1", "finance", "220103", "" };
static const sn_principal APPROVER
    = { "fin2", "finance_approver", "220103", "" };

static void
budget(const json_t *b)
{
	static const char *const keys[]
	    = { "fund", "year", "amount_fen", NULL };
	const char *fund = NULL;
	int64_t     year = 0, amount = 0;
	sn_problem  why;
	sn_problem_clear(&why);
	if (!(sn_in_only(b, keys, "", &why)
	        && sn_in_str(b, "fund", "", 0, 0, &fund, &why)
	        && sn_in_i64(
	            b, "year", "", 0, INT64_MIN, INT64_MAX, &year, &why)
	        && sn_in_i64(b, "amount_fen", "", 0, INT64_MIN, INT64_MAX,
	            &amount, &why)
	        && disbursement_rules_allocation(
	            &FINANCE, fund, year, amount, &why))) {
		FUZZ_REFUSED(&why);
		return;
	}
	FUZZ_CHECK(
	    disbursement_rules_fund_parse(fund) != DISBURSEMENT_FUND_NONE);
	FUZZ_CHECK(year >= 2000 && year <= 9999);
	FUZZ_CHECK(amount > 0 && amount <= DISBURSEMENT_AMOUNT_MAX);
}

static void
run(const json_t *b)
{
	static const char *const keys[] = { "period", NULL };
	const char              *period = NULL;
	sn_month                 m, current = { 2026, 12 };
	sn_problem               why;
	sn_problem_clear(&why);
	if (!(disbursement_rules_run_create(&FINANCE, &why)
	        && sn_in_only(b, keys, "", &why)
	        && sn_in_str(b, "period", "", 0, 0, &period, &why))) {
		FUZZ_REFUSED(&why);
		return;
	}
	if (period == NULL || sn_month_parse(period, &m) != SN_OK
	    || !disbursement_rules_period_ok(m))
		return; /* 422 invalid_period */
	if (!disbursement_rules_run_period(m, current, false, &why)) {
		FUZZ_REFUSED(&why);
		return;
	}
	int32_t ahead = sn_month_diff(current, m);
	FUZZ_CHECK(ahead >= -1 && ahead <= 1);
}

static void
decision(const json_t *b)
{
	static const char *const keys[] = { "decision", "reason", NULL };
	const char              *d = NULL, *reason = NULL;
	sn_problem               why;
	sn_problem_clear(&why);
	disbursement_run_view v
	    = { .status           = DISBURSEMENT_RUN_AWAITING_APPROVAL,
		      .created_by = "fin1",
		      .approver_decided_a_case = false };
	disbursement_run_step step = DISBURSEMENT_RUN_BUILT;
	if (!(sn_in_only(b, keys, "", &why)
	        && sn_in_str(b, "decision", "", 0, 0, &d, &why)
	        && sn_in_str(
	            b, "reason", "", SN_IN_MULTILINE, 0, &reason, &why)
	        && disbursement_rules_approval(
	            &APPROVER, &v, d, &step, &why))) {
		FUZZ_REFUSED(&why);
		return;
	}
	FUZZ_CHECK(d != NULL);
	FUZZ_CHECK(
	    (strcmp(d, "approve") == 0 && step == DISBURSEMENT_RUN_APPROVE)
	    || (strcmp(d, "reject") == 0 && step == DISBURSEMENT_RUN_REJECT));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	json_t *b = fuzz_body(data + 1, size - 1);
	if (b == NULL)
		return 0;
	switch (data[0] % 3) {
	case 0:
		budget(b);
		break;
	case 1:
		run(b);
		break;
	default:
		decision(b);
		break;
	}
	json_decref(b);
	return 0;
}
