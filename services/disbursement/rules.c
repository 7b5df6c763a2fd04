/*
 * rules.c - the pure policy of disbursement; see rules.h.
 */
#include "rules.h"

#include <string.h>

const char *const disbursement_fund_names[]
    = { "", "dibao", "tekun", "emergency", "price_subsidy", NULL };
const char *const disbursement_run_status_names[]
    = { "", "building", "awaiting_approval", "approved", "rejected", "sending",
	      "completed", NULL };
const char *const disbursement_payment_status_names[] = { "", "planned",
	"ready", "sent", "accepted", "settled", "rejected", NULL };
const char *const disbursement_standing_names[]
    = { "active", "gradual_exit", "exited", "suspended", NULL };

/* names[i] for 0 < i < n, else NULL. */
static const char *
name_of(const char *const *names, int n, int i)
{
	return i > 0 && i < n ? names[i] : NULL;
}

const char *
disbursement_rules_fund_name(disbursement_fund f)
{
	return name_of(disbursement_fund_names, DISBURSEMENT_NFUNDS, (int) f);
}

const char *
disbursement_rules_run_status_name(disbursement_run_status s)
{
	return name_of(disbursement_run_status_names,
	    DISBURSEMENT_RUN_COMPLETED + 1, (int) s);
}

const char *
disbursement_rules_payment_status_name(disbursement_payment_status s)
{
	return name_of(disbursement_payment_status_names,
	    DISBURSEMENT_NPAYMENT_STATUSES, (int) s);
}

const char *
disbursement_rules_standing_name(disbursement_standing s)
{
	return (int) s >= 0 && s <= DISBURSEMENT_SUSPENDED
	    ? disbursement_standing_names[s]
	    : NULL;
}

disbursement_fund
disbursement_rules_fund_parse(const char *name)
{
	if (name == NULL)
		return DISBURSEMENT_FUND_NONE;
	for (int f = 1; f < DISBURSEMENT_NFUNDS; f++)
		if (strcmp(name, disbursement_fund_names[f]) == 0)
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

bool
disbursement_rules_subsidy_only(int category)
{
	return category == 4; /* CATEGORY_LOW_INCOME */
}

const char *
disbursement_rules_category_name(int category)
{
	switch (category) {
	case 1:
		return "tekun";
	case 2:
		return "dibao";
	case 4:
		return "low_income";
	default:
		return NULL;
	}
}

disbursement_standing
disbursement_rules_standing_of(int beneficiary_status)
{
	switch (beneficiary_status) {
	case 3: /* BENEFICIARY_EXITED */
		return DISBURSEMENT_EXITED;
	case 2: /* BENEFICIARY_GRADUAL_EXIT */
		return DISBURSEMENT_GRADUAL_EXIT;
	case 4: /* BENEFICIARY_SUSPENDED */
		return DISBURSEMENT_SUSPENDED;
	default:
		return DISBURSEMENT_ACTIVE;
	}
}

bool
disbursement_rules_period_ok(sn_month m)
{
	return sn_month_valid(m) && m.year >= 2000;
}

bool
disbursement_rules_period_parse(const char *text, int *year, int *month)
{
	sn_month m;
	if (sn_month_parse(text, &m) != SN_OK
	    || !disbursement_rules_period_ok(m))
		return false;
	if (year != NULL)
		*year = m.year;
	if (month != NULL)
		*month = m.month;
	return true;
}

bool
disbursement_rules_year_parse(const char *text, int32_t *year)
{
	char m[SN_MONTH_STRLEN];
	int  y;
	if (text == NULL || strlen(text) != 4)
		return false;
	memcpy(m, text, 4);
	memcpy(m + 4, "-01", 4);
	if (!disbursement_rules_period_parse(m, &y, NULL))
		return false;
	*year = y;
	return true;
}

disbursement_payment_status
disbursement_rules_payment_status_parse(const char *name)
{
	for (int i = 1; name != NULL && i < DISBURSEMENT_NPAYMENT_STATUSES;
	     i++)
		if (strcmp(name, disbursement_payment_status_names[i]) == 0)
			return (disbursement_payment_status) i;
	return DISBURSEMENT_PAYMENT_NONE;
}

/* ---- how runs and payments move on -------------------------------------- */

disbursement_run_status
disbursement_rules_run_next(
    disbursement_run_status from, disbursement_run_step step)
{
	switch (step) {
	case DISBURSEMENT_RUN_BUILT:
		return from == DISBURSEMENT_RUN_BUILDING
		    ? DISBURSEMENT_RUN_AWAITING_APPROVAL
		    : DISBURSEMENT_RUN_NONE;
	case DISBURSEMENT_RUN_APPROVE:
		return from == DISBURSEMENT_RUN_AWAITING_APPROVAL
		    ? DISBURSEMENT_RUN_APPROVED
		    : DISBURSEMENT_RUN_NONE;
	case DISBURSEMENT_RUN_REJECT:
		return from == DISBURSEMENT_RUN_AWAITING_APPROVAL
		    ? DISBURSEMENT_RUN_REJECTED
		    : DISBURSEMENT_RUN_NONE;
	case DISBURSEMENT_RUN_START:
		return from == DISBURSEMENT_RUN_APPROVED
		    ? DISBURSEMENT_RUN_SENDING
		    : DISBURSEMENT_RUN_NONE;
	case DISBURSEMENT_RUN_COMPLETE:
		return from == DISBURSEMENT_RUN_SENDING
		    ? DISBURSEMENT_RUN_COMPLETED
		    : DISBURSEMENT_RUN_NONE;
	}
	return DISBURSEMENT_RUN_NONE;
}

bool
disbursement_rules_run_sending(disbursement_run_status s)
{
	return s == DISBURSEMENT_RUN_APPROVED || s == DISBURSEMENT_RUN_SENDING
	    || s == DISBURSEMENT_RUN_COMPLETED;
}

/* The bank's word on a payment with the bank (sent or accepted). */
static disbursement_payment_status
answered(disbursement_payment_status from, disbursement_bank_word said)
{
	if (from != DISBURSEMENT_PAYMENT_SENT
	    && from != DISBURSEMENT_PAYMENT_ACCEPTED)
		return DISBURSEMENT_PAYMENT_NONE;
	switch (said) {
	case DISBURSEMENT_BANK_ACCEPTED:
		return DISBURSEMENT_PAYMENT_ACCEPTED;
	case DISBURSEMENT_BANK_SETTLED:
		return DISBURSEMENT_PAYMENT_SETTLED;
	case DISBURSEMENT_BANK_REJECTED:
		return DISBURSEMENT_PAYMENT_REJECTED;
	case DISBURSEMENT_BANK_UNKNOWN:
		/* An UNKNOWN for an instruction the bank once accepted would
		 * be the bank's error: it is never re-sent. */
		return from == DISBURSEMENT_PAYMENT_SENT
		    ? DISBURSEMENT_PAYMENT_READY
		    : DISBURSEMENT_PAYMENT_NONE;
	case DISBURSEMENT_BANK_RETRY:
		/* Not the payee's problem: the same id goes out again. */
		return DISBURSEMENT_PAYMENT_READY;
	case DISBURSEMENT_BANK_NONE:
		break;
	}
	return DISBURSEMENT_PAYMENT_NONE;
}

disbursement_payment_status
disbursement_rules_payment_next(disbursement_payment_status from,
    disbursement_payment_step step, disbursement_bank_word said)
{
	switch (step) {
	case DISBURSEMENT_PAY_CLAIMED:
		return from == DISBURSEMENT_PAYMENT_PLANNED
		        || from == DISBURSEMENT_PAYMENT_READY
		    ? DISBURSEMENT_PAYMENT_SENT
		    : DISBURSEMENT_PAYMENT_NONE;
	case DISBURSEMENT_PAY_REFUSED:
		return from == DISBURSEMENT_PAYMENT_SENT
		    ? DISBURSEMENT_PAYMENT_READY
		    : DISBURSEMENT_PAYMENT_NONE;
	case DISBURSEMENT_PAY_ANSWERED:
		return answered(from, said);
	case DISBURSEMENT_PAY_CORRECTED:
		return from == DISBURSEMENT_PAYMENT_REJECTED
		    ? DISBURSEMENT_PAYMENT_READY
		    : DISBURSEMENT_PAYMENT_NONE;
	}
	return DISBURSEMENT_PAYMENT_NONE;
}

bool
disbursement_rules_payment_final(disbursement_payment_status s)
{
	return s == DISBURSEMENT_PAYMENT_SETTLED
	    || s == DISBURSEMENT_PAYMENT_REJECTED;
}

bool
disbursement_rules_payment_open(disbursement_payment_status s)
{
	return s == DISBURSEMENT_PAYMENT_PLANNED
	    || s == DISBURSEMENT_PAYMENT_READY
	    || s == DISBURSEMENT_PAYMENT_SENT
	    || s == DISBURSEMENT_PAYMENT_ACCEPTED;
}

bool
disbursement_rules_payment_staged(disbursement_payment_status s)
{
	return s == DISBURSEMENT_PAYMENT_READY
	    || s == DISBURSEMENT_PAYMENT_ACCEPTED
	    || s == DISBURSEMENT_PAYMENT_REJECTED;
}

/* ---- building a run ----------------------------------------------------- */

/* On the register for period: neither exited nor suspended, an
 * account, from_month <= period <= until_month (when set). */
static bool
on_register(const disbursement_payee *p, sn_month period)
{
	if (p->standing == DISBURSEMENT_EXITED
	    || p->standing == DISBURSEMENT_SUSPENDED)
		return false;
	if (p->account_number == NULL || p->account_number[0] == '\0')
		return false;
	if (!sn_month_valid(p->from_month)
	    || sn_month_cmp(p->from_month, period) > 0)
		return false;
	return !p->has_until || sn_month_cmp(p->until_month, period) >= 0;
}

bool
disbursement_rules_due(const disbursement_payee *p, sn_month period)
{
	if (p == NULL || !disbursement_rules_period_ok(period))
		return false;
	if (p->fund != DISBURSEMENT_FUND_DIBAO
	    && p->fund != DISBURSEMENT_FUND_TEKUN)
		return false;
	return p->monthly_fen > 0 && !p->already_paid
	    && on_register(p, period);
}

void
disbursement_rules_build(const disbursement_payee *payees, size_t n,
    sn_month period, const int64_t room[DISBURSEMENT_NFUNDS],
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

bool
disbursement_rules_subsidy_due(const disbursement_payee *p, sn_month period)
{
	return p != NULL && disbursement_rules_period_ok(period)
	    && on_register(p, period) && p->subsidy_fen > 0
	    && !p->subsidy_paid;
}

void
disbursement_rules_subsidies(const disbursement_payee *payees, size_t n,
    sn_month period, int64_t room, disbursement_take *sub,
    disbursement_chunk *out)
{
	const int f    = DISBURSEMENT_FUND_PRICE_SUBSIDY;
	int64_t   left = room > 0 ? room : 0;
	for (size_t i = 0; i < n; i++) {
		const disbursement_payee *p = &payees[i];
		sub[i]                      = DISBURSEMENT_SKIP;
		if (!disbursement_rules_subsidy_due(p, period))
			continue;
		if (p->subsidy_fen <= left) {
			sub[i] = DISBURSEMENT_PAY;
			left -= p->subsidy_fen;
			out->drawn_fen[f] += p->subsidy_fen;
			out->pay_count++;
			out->pay_fen += p->subsidy_fen;
		} else {
			sub[i] = DISBURSEMENT_SHORT;
			out->short_count++;
			out->short_fen += p->subsidy_fen;
		}
	}
}

/* ---- corrections (issue 9) ---------------------------------------------- */

int64_t
disbursement_rules_register_fen(const disbursement_past *q)
{
	disbursement_payee p = { .id = q->payee_id,
		.fund                = q->fund,
		.standing            = q->standing,
		.monthly_fen         = q->monthly_fen,
		.from_month          = q->from_month,
		.has_until           = q->has_until,
		.until_month         = q->until_month,
		.account_number      = "-" };
	return disbursement_rules_due(&p, q->month) ? q->monthly_fen : 0;
}

/* The recoveries of payee i's past months into fix; their sum (> 0). */
static int64_t
recoveries(const disbursement_payee *p, const disbursement_past *past,
    size_t npast, disbursement_fix *fix, size_t *nfix)
{
	int64_t owed = 0;
	for (size_t k = 0; k < npast; k++) {
		const disbursement_past *q = &past[k];
		if (q->payee_id != p->id)
			continue;
		int64_t d = disbursement_rules_register_fen(q) - q->paid_fen;
		if (d >= 0)
			continue;
		fix[(*nfix)++] = (disbursement_fix) { p->id, q->fund, q->month,
			d, DISBURSEMENT_PAY };
		owed -= d;
	}
	return owed;
}

/* The back-payments of payee p's past months into fix, within left. */
static void
back_payments(const disbursement_payee *p, const disbursement_past *past,
    size_t npast, int64_t left[DISBURSEMENT_NFUNDS], disbursement_fix *fix,
    size_t *nfix, disbursement_chunk *out)
{
	for (size_t k = 0; k < npast; k++) {
		const disbursement_past *q = &past[k];
		int64_t                  d;
		if (q->payee_id != p->id || (int) q->fund <= 0
		    || q->fund >= DISBURSEMENT_NFUNDS
		    || (d = disbursement_rules_register_fen(q) - q->paid_fen)
		        <= 0)
			continue;
		disbursement_take t = d <= left[q->fund] ? DISBURSEMENT_PAY
		                                         : DISBURSEMENT_SHORT;
		fix[(*nfix)++]
		    = (disbursement_fix) { p->id, q->fund, q->month, d, t };
		if (t == DISBURSEMENT_PAY) {
			left[q->fund] -= d;
			out->drawn_fen[q->fund] += d;
			out->pay_count++;
			out->pay_fen += d;
		} else {
			out->short_count++;
			out->short_fen += d;
		}
	}
}

void
disbursement_rules_corrections(const disbursement_payee *payees, size_t n,
    const disbursement_take *take, const disbursement_past *past, size_t npast,
    const int64_t room[DISBURSEMENT_NFUNDS], disbursement_fix *fix,
    size_t *nfix, int64_t *netted, disbursement_chunk *out)
{
	int64_t left[DISBURSEMENT_NFUNDS];
	*nfix = 0;
	for (size_t i = 0; i < n; i++) {
		const disbursement_payee *p = &payees[i];
		int64_t                   owed
		    = p->owed_fen + recoveries(p, past, npast, fix, nfix);
		netted[i] = 0;
		if (take[i] == DISBURSEMENT_PAY && owed > 0) {
			netted[i]
			    = owed < p->monthly_fen ? owed : p->monthly_fen;
			out->drawn_fen[p->fund] -= netted[i];
			out->pay_fen -= netted[i];
			if (netted[i] == p->monthly_fen)
				out->pay_count--;
		}
	}
	for (int f = 0; f < DISBURSEMENT_NFUNDS; f++) {
		left[f] = room[f] - out->drawn_fen[f];
		if (left[f] < 0)
			left[f] = 0;
	}
	for (size_t i = 0; i < n; i++)
		back_payments(&payees[i], past, npast, left, fix, nfix, out);
}

/* ---- requests ----------------------------------------------------------- */

static bool
district(const sn_principal *p)
{
	return strlen(p->juris) == 6;
}

bool
disbursement_rules_allocation(const sn_principal *p, const char *fund,
    int64_t year, int64_t amount, sn_problem *why)
{
	if (p == NULL || !sn_auth_has_role(p, "finance"))
		return sn_problem_set(why, 403, "forbidden", NULL,
		    "only finance allocates budgets");
	if (!district(p))
		return sn_problem_set(why, 403, "forbidden", NULL,
		    "budgets are allocated by the district");
	if (disbursement_rules_fund_parse(fund) == DISBURSEMENT_FUND_NONE)
		return sn_problem_set(why, 422, "invalid_fund", "fund",
		    "fund is dibao, tekun, emergency or price_subsidy");
	if (year < 2000 || year > 9999)
		return sn_problem_set(
		    why, 422, "invalid_year", "year", "year is 2000 to 9999");
	if (amount <= 0 || amount > DISBURSEMENT_AMOUNT_MAX)
		return sn_problem_set(why, 422, "invalid_amount", "amount_fen",
		    "amount_fen is a positive number of fen");
	return true;
}

bool
disbursement_rules_run_create(const sn_principal *p, sn_problem *why)
{
	if (p == NULL || !district(p))
		return sn_problem_set(why, 403, "forbidden", NULL,
		    "runs are made by the district's finance");
	return true;
}

bool
disbursement_rules_approval(const sn_principal *p,
    const disbursement_run_view *r, const char *decision,
    disbursement_run_step *step, sn_problem *why)
{
	if (p == NULL || !sn_auth_has_role(p, "finance_approver"))
		return sn_problem_set(why, 403, "forbidden", NULL,
		    "only a finance approver decides a run");
	if (!district(p))
		return sn_problem_set(why, 403, "forbidden", NULL,
		    "runs are approved by the district");
	bool approve = decision != NULL && strcmp(decision, "approve") == 0;
	bool reject  = decision != NULL && strcmp(decision, "reject") == 0;
	if (!approve && !reject)
		return sn_problem_set(why, 422, "invalid_decision", "decision",
		    "decision is approve or reject");
	disbursement_run_step s
	    = approve ? DISBURSEMENT_RUN_APPROVE : DISBURSEMENT_RUN_REJECT;
	if (r == NULL || r->status == DISBURSEMENT_RUN_NONE)
		return sn_problem_set(
		    why, 404, "not_found", "id", "no such run");
	if (disbursement_rules_run_next(r->status, s) == DISBURSEMENT_RUN_NONE)
		return sn_problem_set(why, 409, "not_awaiting_approval", NULL,
		    "the run is not awaiting approval");
	if (r->created_by != NULL && strcmp(r->created_by, p->user) == 0)
		return sn_problem_set(why, 403, "same_user", NULL,
		    "the creator of a run may not approve it");
	if (approve && r->approver_decided_a_case)
		return sn_problem_set(why, 403, "approved_a_case", NULL,
		    "the approver decided a case this run pays");
	if (step != NULL)
		*step = s;
	return true;
}

bool
disbursement_rules_correction(const sn_principal *p,
    const disbursement_payment_view *v, disbursement_correction *out,
    sn_problem *why)
{
	if (p == NULL || v == NULL || !v->found || v->township_code == NULL
	    || !sn_auth_within(p, v->township_code))
		return sn_problem_set(
		    why, 404, "not_found", "id", "no such payment");
	if (v->is_grant)
		return sn_problem_set(why, 409, "not_correctable", NULL,
		    "an emergency payment is not corrected here: the grant "
		    "was reversed");
	disbursement_payment_status to = disbursement_rules_payment_next(
	    v->status, DISBURSEMENT_PAY_CORRECTED, DISBURSEMENT_BANK_NONE);
	if (to == DISBURSEMENT_PAYMENT_NONE)
		return sn_problem_set(why, 409, "not_rejected", NULL,
		    "only a rejected payment is corrected");
	if (v->attempt >= DISBURSEMENT_ATTEMPT_MAX)
		return sn_problem_set(why, 409, "too_many_attempts", NULL,
		    "this payment has been corrected too often");
	out->from    = v->status;
	out->to      = to;
	out->attempt = v->attempt + 1;
	return true;
}

bool
disbursement_rules_holder_member(
    const char *holder, const char *const *names, size_t n)
{
	for (size_t i = 0; holder != NULL && i < n; i++)
		if (names[i] != NULL && strcmp(holder, names[i]) == 0)
			return true;
	return false;
}

bool
disbursement_rules_proposal(const sn_principal *p,
    const disbursement_payment_view *v, const char *holder,
    const char *const *names, size_t n, sn_problem *why)
{
	disbursement_correction next;
	if (!disbursement_rules_correction(p, v, &next, why))
		return false;
	if (!disbursement_rules_holder_member(holder, names, n))
		return sn_problem_set(why, 422, "name_not_member",
		    "account_name",
		    "the account holder is not a member of the household");
	return true;
}

bool
disbursement_rules_checker(const sn_principal *p,
    const disbursement_payment_view *v, const disbursement_change_view *c,
    bool confirming, disbursement_correction *out, sn_problem *why)
{
	disbursement_correction next;
	if (p == NULL || v == NULL || c == NULL || !v->found
	    || v->township_code == NULL
	    || !disbursement_rules_payment_visible(p, v->township_code))
		return sn_problem_set(
		    why, 404, "not_found", "id", "no such payment");
	if (!c->pending)
		return sn_problem_set(why, 409, "nothing_pending", NULL,
		    "no account change is pending on this payment");
	if (c->requested_by == NULL || strcmp(c->requested_by, p->user) == 0)
		return sn_problem_set(why, 403, "same_user", NULL,
		    "the account change needs a second user: you proposed it");
	if (!confirming)
		return true;
	if (!disbursement_rules_correction(p, v, &next, why))
		return false;
	if (out != NULL)
		*out = next;
	return true;
}

bool
disbursement_rules_run_period(
    sn_month period, sn_month current, bool completed, sn_problem *why)
{
	sn_month previous = sn_month_add(current, -1);
	if (sn_month_cmp(period, sn_month_add(current, 1)) > 0)
		return sn_problem_set(why, 422, "invalid_period", "period",
		    "a run may be made at most one month ahead");
	if (sn_month_cmp(period, previous) < 0
	    || (sn_month_cmp(period, previous) == 0 && completed))
		return sn_problem_set(why, 422, "invalid_period", "period",
		    "the period is closed: a month before the previous one, "
		    "or "
		    "the previous one once its run completed");
	return true;
}

bool
disbursement_rules_instalment_ok(int32_t k, int32_t n)
{
	if (k == 0 && n == 0)
		return true;
	return k >= 1 && k <= n && n <= DISBURSEMENT_INSTALMENTS_MAX;
}

bool
disbursement_rules_payments_scope(const sn_principal *p, const char *township,
    const char **prefix, sn_problem *why)
{
	if (township != NULL) {
		if (!sn_auth_within(p, township))
			return sn_problem_set(why, 403, "forbidden",
			    "township", "outside your jurisdiction");
		*prefix = township;
		return true;
	}
	/* A district's finance sees every payment (some have no township). */
	*prefix = sn_auth_has_role(p, "township_officer") ? p->juris : "";
	return true;
}

bool
disbursement_rules_payment_visible(
    const sn_principal *p, const char *township_code)
{
	if (p == NULL)
		return false;
	if (!sn_auth_has_role(p, "township_officer"))
		return true;
	return township_code != NULL && sn_auth_within(p, township_code);
}

/* ---- reconciliation ----------------------------------------------------- */

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
	for (int f = DISBURSEMENT_FUND_DIBAO; f < DISBURSEMENT_NFUNDS; f++)
		if (f != DISBURSEMENT_FUND_EMERGENCY
		    && in->drawn_fen[f] > in->allocated_fen[f]) {
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

/* ---- the bank ----------------------------------------------------------- */

disbursement_bank_word
disbursement_rules_bank_word(int status)
{
	return status >= DISBURSEMENT_BANK_ACCEPTED
	        && status <= DISBURSEMENT_BANK_RETRY
	    ? (disbursement_bank_word) status
	    : DISBURSEMENT_BANK_NONE;
}

const char *
disbursement_rules_bank_status(int status)
{
	static const char *const names[]
	    = { NULL, "accepted", "settled", "rejected", "unknown", "retry" };
	return names[disbursement_rules_bank_word(status)];
}

uint64_t
disbursement_rules_retry_delay_ms(
    int32_t retries, uint64_t base_ms, uint64_t max_ms)
{
	uint64_t d = base_ms;
	for (int32_t i = 0; i < retries && d < max_ms; i++)
		d = d > UINT64_MAX / 2 ? UINT64_MAX : 2 * d;
	return d < max_ms ? d : max_ms;
}

uint32_t
disbursement_rules_next_wait_ms(
    bool busy, uint32_t last_ms, uint32_t poll_ms, uint32_t idle_ms)
{
	uint32_t most = idle_ms > poll_ms ? idle_ms : poll_ms;
	if (busy || last_ms < poll_ms)
		return poll_ms;
	return last_ms >= most / 2 ? most : 2 * last_ms;
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

bool
disbursement_rules_funds_configured(const char *const *asked, size_t n,
    const disbursement_fund_account *have, size_t nhave, const char **missing,
    sn_problem *why)
{
	for (size_t i = 0; i < n; i++) {
		bool ok = false;
		for (size_t k = 0; k < nhave && !ok; k++)
			ok = have[k].fund != NULL
			    && strcmp(have[k].fund, asked[i]) == 0
			    && have[k].configured;
		if (ok)
			continue;
		if (missing != NULL)
			*missing = asked[i];
		return sn_problem_set(why, 409, "fund_not_configured", NULL,
		    "fund %s has no account at the bank gateway: the run "
		    "cannot start sending",
		    asked[i]);
	}
	return true;
}
