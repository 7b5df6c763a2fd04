/*
 * rules.c - the pure policy of disbursement; see rules.h.
 */
#include "rules.h"

#include <string.h>

static const char *const fund_names[DISBURSEMENT_NFUNDS]
    = { NULL, "dibao", "tekun", "emergency" };

const char *
disbursement_rules_fund_name(disbursement_fund f)
{
	if ((int) f <= 0 || (int) f >= DISBURSEMENT_NFUNDS)
		return NULL;
	return fund_names[f];
}

disbursement_fund
disbursement_rules_fund_parse(const char *name)
{
	if (name == NULL)
		return DISBURSEMENT_FUND_NONE;
	for (int f = 1; f < DISBURSEMENT_NFUNDS; f++)
		if (strcmp(name, fund_names[f]) == 0)
			return (disbursement_fund) f;
	return DISBURSEMENT_FUND_NONE;
}

disbursement_fund
disbursement_rules_fund_of_category(int category)
{
	switch (category) {
	case 1:
		return DISBURSEMENT_FUND_TEKUN;
	case 2:
		return DISBURSEMENT_FUND_DIBAO;
	default:
		return DISBURSEMENT_FUND_NONE;
	}
}

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
disbursement_rules_period_parse(const char *text, int *year, int *month)
{
	if (text == NULL || strlen(text) != 7 || text[4] != '-'
	    || !digits(text, 4) || !digits(text + 5, 2))
		return false;
	int y = (text[0] - '0') * 1000 + (text[1] - '0') * 100
	    + (text[2] - '0') * 10 + (text[3] - '0');
	int m = (text[5] - '0') * 10 + (text[6] - '0');
	if (y < 2000 || m < 1 || m > 12)
		return false;
	if (year != NULL)
		*year = y;
	if (month != NULL)
		*month = m;
	return true;
}

bool
disbursement_rules_due(const disbursement_payee *p, const char *period)
{
	if (p == NULL || !disbursement_rules_period_parse(period, NULL, NULL))
		return false;
	if (p->fund != DISBURSEMENT_FUND_DIBAO
	    && p->fund != DISBURSEMENT_FUND_TEKUN)
		return false;
	if (p->standing == DISBURSEMENT_EXITED || p->monthly_fen <= 0
	    || p->already_paid)
		return false;
	if (p->account_number == NULL || p->account_number[0] == '\0')
		return false;
	/* YYYY-MM strings compare as the months they name. */
	if (!disbursement_rules_period_parse(p->from_month, NULL, NULL)
	    || strcmp(p->from_month, period) > 0)
		return false;
	if (p->until_month != NULL && p->until_month[0] != '\0'
	    && strcmp(p->until_month, period) < 0)
		return false;
	return true;
}

void
disbursement_rules_build(const disbursement_payee *payees, size_t n,
    const char *period, const int64_t room[DISBURSEMENT_NFUNDS],
    disbursement_take *take, disbursement_chunk *out)
{
	int64_t left[DISBURSEMENT_NFUNDS];
	memset(out, 0, sizeof(*out));
	for (int f = 0; f < DISBURSEMENT_NFUNDS; f++)
		left[f] = room[f] > 0 ? room[f] : 0;
	for (size_t i = 0; i < n; i++) {
		const disbursement_payee *p = &payees[i];
		if (!disbursement_rules_due(p, period)) {
			take[i] = DISBURSEMENT_SKIP;
			continue;
		}
		if (p->monthly_fen <= left[p->fund]) {
			take[i] = DISBURSEMENT_PAY;
			left[p->fund] -= p->monthly_fen;
			out->drawn_fen[p->fund] += p->monthly_fen;
			out->pay_count++;
			out->pay_fen += p->monthly_fen;
		} else {
			take[i] = DISBURSEMENT_SHORT;
			out->short_count++;
			out->short_fen += p->monthly_fen;
		}
	}
}

static bool
fail(disbursement_problem *why, unsigned status, const char *code,
    const char *message, const char *field)
{
	why->status  = status;
	why->code    = code;
	why->message = message;
	why->field   = field;
	return false;
}

static bool
district(const sn_principal *p)
{
	return strlen(p->juris) == 6;
}

bool
disbursement_rules_allocation(const sn_principal *p, const char *fund,
    int64_t year, int64_t amount, disbursement_problem *why)
{
	if (p == NULL || !sn_auth_has_role(p, "finance"))
		return fail(why, 403, "forbidden",
		    "only finance allocates budgets", NULL);
	if (!district(p))
		return fail(why, 403, "forbidden",
		    "budgets are allocated by the district", NULL);
	if (disbursement_rules_fund_parse(fund) == DISBURSEMENT_FUND_NONE)
		return fail(why, 422, "invalid_fund",
		    "fund is dibao, tekun or emergency", "fund");
	if (year < 2000 || year > 9999)
		return fail(why, 422, "invalid_year", "year is 2000 to 9999",
		    "year");
	if (amount <= 0 || amount > DISBURSEMENT_AMOUNT_MAX)
		return fail(why, 422, "invalid_amount",
		    "amount_fen is a positive number of fen", "amount_fen");
	return true;
}

bool
disbursement_rules_approval(const sn_principal *p,
    const disbursement_run_view *r, const char *decision,
    disbursement_problem *why)
{
	if (p == NULL || !sn_auth_has_role(p, "finance_approver"))
		return fail(why, 403, "forbidden",
		    "only a finance approver decides a run", NULL);
	if (!district(p))
		return fail(why, 403, "forbidden",
		    "runs are approved by the district", NULL);
	bool approve = decision != NULL && strcmp(decision, "approve") == 0;
	bool reject  = decision != NULL && strcmp(decision, "reject") == 0;
	if (!approve && !reject)
		return fail(why, 422, "invalid_decision",
		    "decision is approve or reject", "decision");
	if (r == NULL || r->status == NULL)
		return fail(why, 404, "not_found", "no such run", "id");
	if (strcmp(r->status, "awaiting_approval") != 0)
		return fail(why, 409, "not_awaiting_approval",
		    "the run is not awaiting approval", NULL);
	if (r->created_by != NULL && strcmp(r->created_by, p->user) == 0)
		return fail(why, 403, "same_user",
		    "the creator of a run may not approve it", NULL);
	if (approve && r->approver_decided_a_case)
		return fail(why, 403, "approved_a_case",
		    "the approver decided a case this run pays", NULL);
	return true;
}

static void
add(disbursement_finding *out, size_t *n, const char *code, const char *msg)
{
	if (*n < DISBURSEMENT_MAX_FINDINGS) {
		out[*n].code    = code;
		out[*n].message = msg;
		(*n)++;
	}
}

size_t
disbursement_rules_reconcile(const disbursement_recon_in *in,
    disbursement_finding out[DISBURSEMENT_MAX_FINDINGS])
{
	size_t n = 0;
	if (in->payments_count != in->plan_count)
		add(out, &n, "count_differs",
		    "the run's payments differ in number from its plan");
	if (in->payments_fen != in->plan_fen)
		add(out, &n, "total_differs",
		    "the run's payments differ in amount from its plan");
	if (in->run_total_fen != in->plan_fen)
		add(out, &n, "run_total_differs",
		    "the run's recorded total differs from its plan");
	if (in->unsent_count + in->unknown_count + in->settled_count
	        + in->rejected_count
	    != in->payments_count)
		add(out, &n, "status_count_differs",
		    "payments by status do not add up to the payments");
	if (in->unsent_fen + in->unknown_fen + in->settled_fen
	        + in->rejected_fen
	    != in->payments_fen)
		add(out, &n, "status_total_differs",
		    "amounts by status do not add up to the payments");
	for (int f = DISBURSEMENT_FUND_DIBAO; f <= DISBURSEMENT_FUND_TEKUN; f++)
		if (in->drawn_fen[f] > in->allocated_fen[f]) {
			add(out, &n, "over_budget",
			    "a fund has drawn beyond its allocation");
			break;
		}
	if (in->sending && in->unknown_count > 0)
		add(out, &n, "unknown_instructions",
		    "the bank has not given a final status for every "
		    "instruction");
	if (in->sending && in->unsent_count > 0)
		add(out, &n, "unsent_payments",
		    "payments of the approved run are not sent yet");
	return n;
}

const char *
disbursement_rules_bank_status(int status)
{
	switch (status) {
	case 1:
		return "accepted";
	case 2:
		return "settled";
	case 3:
		return "rejected";
	case 4:
		return "unknown";
	default:
		return NULL;
	}
}

bool
disbursement_rules_control_sum(const int64_t *amounts, size_t n, int64_t *sum)
{
	int64_t s = 0;
	for (size_t i = 0; i < n; i++) {
		if (amounts[i] <= 0 || amounts[i] > INT64_MAX - s)
			return false;
		s += amounts[i];
	}
	*sum = s;
	return true;
}
