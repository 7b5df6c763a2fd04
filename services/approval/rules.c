/*
 * rules.c - approval's pure policy. See rules.h for the contract; the
 * comments here say why, not what.
 */
#include "rules.h"

#include <stdio.h>
#include <string.h>

#include "sn/input.h"

approval_tier
approval_rules_tier(approval_category c)
{
	switch (c) {
	case APPROVAL_CAT_TEKUN:
	case APPROVAL_CAT_DIBAO:
		return APPROVAL_TIER_CORE;
	case APPROVAL_CAT_EXPENDITURE:
	case APPROVAL_CAT_LOW_INCOME:
		return APPROVAL_TIER_EDGE;
	case APPROVAL_CAT_EMERGENCY:
		return APPROVAL_TIER_UNIVERSAL;
	case APPROVAL_CAT_UNSPECIFIED:
	case APPROVAL_CAT_NONE:
		break;
	}
	return APPROVAL_TIER_UNSPECIFIED;
}

static sn_fen
care_standard(const approval_policy *p, approval_self_care c)
{
	switch (c) {
	case APPROVAL_CARE_PARTIALLY_ABLE:
		return p->care_partially_able_fen;
	case APPROVAL_CARE_UNABLE:
		return p->care_unable_fen;
	case APPROVAL_CARE_UNSPECIFIED:
	case APPROVAL_CARE_ABLE:
		break;
	}
	return p->care_able_fen;
}

static bool
household_valid(const approval_household *h)
{
	if (h->registration != APPROVAL_REG_URBAN
	    && h->registration != APPROVAL_REG_RURAL)
		return false;
	if (h->nmembers < 1 || h->nmembers > APPROVAL_MAX_MEMBERS
	    || h->members == NULL)
		return false;
	/* G and D may not be negative; C may be (D above G). */
	return h->declared_wages_fen >= 0 && h->declared_medical_fen >= 0
	    && h->declared_education_fen >= 0 && h->declared_housing_fen >= 0
	    && h->gross_income_fen >= 0 && h->income_per_member_fen >= 0
	    && h->rigid_expenditure_per_member_fen >= 0
	    && h->financial_assets_per_member_fen >= 0 && h->homes >= 0
	    && h->vehicles >= 0 && h->business_capital_fen >= 0;
}

static sn_err
tekun_amount(
    const approval_policy *p, const approval_household *h, sn_fen *out)
{
	sn_fen basic = h->registration == APPROVAL_REG_URBAN
	    ? p->urban_basic_fen
	    : p->rural_basic_fen;
	sn_fen sum   = 0;
	for (size_t i = 0; i < h->nmembers; i++) {
		sn_fen one;
		sn_err err = sn_fen_add(
		    basic, care_standard(p, h->members[i].self_care), &one);
		if (err == SN_OK)
			err = sn_fen_add(sum, one, &sum);
		if (err != SN_OK)
			return err;
	}
	*out = sum;
	return SN_OK;
}

static sn_err
dibao_amount(sn_fen s, sn_fen g, size_t n, sn_fen *out)
{
	if (g >= s) {
		*out = 0;
		return SN_OK;
	}
	sn_fen gap, total;
	sn_err err = sn_fen_sub(s, g, &gap);
	if (err == SN_OK)
		err = sn_fen_mul(gap, (int64_t) n, &total);
	if (err == SN_OK)
		err = sn_fen_ceil_yuan(total, out);
	return err;
}

sn_err
approval_rules_classify(const approval_policy *p, const approval_household *h,
    approval_result *out)
{
	if (p == NULL || h == NULL || out == NULL || !household_valid(h))
		return SN_EINVAL;
	approval_result r = { 0 };
	sn_err          err;
	sn_fen s = h->registration == APPROVAL_REG_URBAN ? p->urban_min_fen
	                                                 : p->rural_min_fen;
	sn_fen g = h->income_per_member_fen;
	r.standard_fen = s;
	if ((err = sn_fen_sub(g, h->rigid_expenditure_per_member_fen,
	         &r.net_per_member_fen))
	    != SN_OK)
		return err;
	sn_fen c = r.net_per_member_fen;

	if ((err = sn_fen_mul(s, p->asset_multiple, &r.asset_limit_fen))
	    != SN_OK)
		return err;
	if (h->financial_assets_per_member_fen > r.asset_limit_fen)
		r.asset_failures |= APPROVAL_ASSET_FINANCIAL;
	if (h->homes > p->max_homes)
		r.asset_failures |= APPROVAL_ASSET_HOMES;
	if (h->vehicles > 0)
		r.asset_failures |= APPROVAL_ASSET_VEHICLE;
	if (h->business_capital_fen > p->business_capital_limit_fen)
		r.asset_failures |= APPROVAL_ASSET_BUSINESS;
	r.assets_pass = r.asset_failures == 0;

	if ((err = tekun_amount(p, h, &r.tekun_amount_fen)) != SN_OK)
		return err;
	if ((err = dibao_amount(s, g, h->nmembers, &r.dibao_amount_fen))
	    != SN_OK)
		return err;

	bool all_unable = true, someone_works = false;
	for (size_t i = 0; i < h->nmembers; i++) {
		approval_labour l = h->members[i].labour;
		if (l != APPROVAL_LABOUR_NONE)
			all_unable = false;
		if (l == APPROVAL_LABOUR_FULL || l == APPROVAL_LABOUR_PARTIAL)
			someone_works = true;
	}

	/* 100 C <= factor S, both sides checked for overflow. */
	sn_fen c100, factor_s;
	if ((err = sn_fen_mul(c, 100, &c100)) != SN_OK
	    || (err = sn_fen_mul(s, p->low_income_factor_percent, &factor_s))
	        != SN_OK)
		return err;

	if (all_unable && h->gross_income_fen == 0 && !h->has_able_supporter
	    && r.assets_pass) {
		r.category           = APPROVAL_CAT_TEKUN;
		r.monthly_amount_fen = r.tekun_amount_fen;
	} else if (g < s && r.assets_pass) {
		r.category           = APPROVAL_CAT_DIBAO;
		r.monthly_amount_fen = r.dibao_amount_fen;
	} else if (g >= s && c < s) {
		r.category = APPROVAL_CAT_EXPENDITURE;
	} else if (c100 <= factor_s && r.assets_pass) {
		r.category = APPROVAL_CAT_LOW_INCOME;
	} else {
		r.category = APPROVAL_CAT_NONE;
	}
	r.tier = approval_rules_tier(r.category);

	if (r.category != APPROVAL_CAT_NONE) {
		if (h->declared_medical_fen > 0)
			r.referrals |= APPROVAL_REF_MEDICAL;
		if (h->declared_education_fen > 0)
			r.referrals |= APPROVAL_REF_EDUCATION;
		if (h->declared_housing_fen > 0)
			r.referrals |= APPROVAL_REF_HOUSING;
		if (someone_works && h->declared_wages_fen == 0)
			r.referrals |= APPROVAL_REF_EMPLOYMENT;
	}
	*out = r;
	return SN_OK;
}

sn_err
approval_rules_exit(sn_fen s, sn_fen c, approval_exit *out)
{
	sn_fen two_s;
	sn_err err = sn_fen_mul(s, 2, &two_s);
	if (err != SN_OK)
		return err;
	if (c <= s)
		*out = APPROVAL_EXIT_STAYS;
	else if (c < two_s)
		*out = APPROVAL_EXIT_GRADUAL;
	else
		*out = APPROVAL_EXIT_END_OF_MONTH;
	return SN_OK;
}

sn_err
approval_rules_ratio(sn_fen urban, sn_fen rural, char buf[32])
{
	if (rural <= 0 || urban < 0)
		return SN_EINVAL;
	/* hundredths = round(100 urban / rural) = (200 urban + rural) /
	 * (2 rural), in integers. */
	sn_fen u200, num, den;
	sn_err err = sn_fen_mul(urban, 200, &u200);
	if (err == SN_OK)
		err = sn_fen_add(u200, rural, &num);
	if (err == SN_OK)
		err = sn_fen_mul(rural, 2, &den);
	if (err != SN_OK)
		return err;
	int64_t h = num / den;
	/* Written by hand: snprintf is I/O-free but this stays obviously
	 * allocation- and locale-free. */
	char    digits[24];
	int     n     = 0;
	int64_t whole = h / 100;
	do {
		digits[n++] = (char) ('0' + whole % 10);
		whole /= 10;
	} while (whole > 0);
	int k = 0;
	while (n > 0)
		buf[k++] = digits[--n];
	buf[k++] = '.';
	buf[k++] = (char) ('0' + (h % 100) / 10);
	buf[k++] = (char) ('0' + h % 10);
	buf[k]   = '\0';
	return SN_OK;
}

const char *
approval_rules_duty_check(const approval_duty *d)
{
	for (size_t i = 0; i < d->nactors; i++)
		if (strcmp(d->actors[i], d->user) == 0)
			return "already_acted";
	if (d->taken_in_by != NULL && strcmp(d->taken_in_by, d->user) == 0)
		return "took_in_application";
	for (size_t i = 0; i < d->ninvestigators; i++)
		if (strcmp(d->investigators[i], d->user) == 0)
			return "visited_home";
	if (d->id_number != NULL && d->id_number[0] != '\0')
		for (size_t i = 0; i < d->nmembers; i++)
			if (strcmp(d->member_ids[i], d->id_number) == 0)
				return "household_member";
	return NULL;
}

/* ---- the join ---------------------------------------------------------- */

bool
approval_rules_hold_needed(
    approval_stage stage, const char *old_reason, const char *reason)
{
	return !(stage == APPROVAL_STAGE_HELD && old_reason != NULL
	    && strcmp(old_reason, reason) == 0);
}

static void
join_hold(const approval_join_state *s, approval_join *out)
{
	out->action = approval_rules_hold_needed(
	                  s->stage, s->stage_reason, out->reason)
	    ? APPROVAL_JOIN_HOLD
	    : APPROVAL_JOIN_WAIT;
}

void
approval_rules_join(const approval_join_state *s, approval_join *out)
{
	out->action    = APPROVAL_JOIN_WAIT;
	out->reason[0] = '\0';
	if (!s->has_verification)
		return;
	if (!s->verification_complete) {
		snprintf(out->reason, sizeof(out->reason),
		    "verification incomplete: no answer from %s",
		    s->missing != NULL ? s->missing : "");
		join_hold(s, out);
	} else if (!s->investigation_in) {
		if (s->stage == APPROVAL_STAGE_HELD)
			out->action = APPROVAL_JOIN_RELEASE;
	} else if (!s->has_policy) {
		snprintf(out->reason, sizeof(out->reason), "%s",
		    "no policy version in force on the accepted date");
		join_hold(s, out);
	} else {
		out->action = APPROVAL_JOIN_CLASSIFY;
	}
}

/* ---- the steps ---------------------------------------------------------- */

static const struct {
	const char    *name;
	approval_stage at;
	approval_stage yes, no;
	const char    *yes_action, *no_action;
} step_table[] = {
	[APPROVAL_STEP_VILLAGE_REVIEW] = { "village_review",
	    APPROVAL_STAGE_VILLAGE_REVIEW, APPROVAL_STAGE_TOWNSHIP_CONFIRM,
	    APPROVAL_STAGE_RETURNED, "village_passed", "village_returned" },
	[APPROVAL_STEP_TOWNSHIP_CONFIRMATION]
	= { "township_confirmation", APPROVAL_STAGE_TOWNSHIP_CONFIRM,
	    APPROVAL_STAGE_DISTRICT_FILING, APPROVAL_STAGE_REJECTED,
	    "township_approved", "township_rejected" },
	[APPROVAL_STEP_DISTRICT_FILING] = { "district_filing",
	    APPROVAL_STAGE_DISTRICT_FILING, APPROVAL_STAGE_FILED,
	    APPROVAL_STAGE_FILED, "district_filed", "district_filed" },
};

#define NSTEPS (sizeof(step_table) / sizeof(step_table[0]))

const char *
approval_rules_step_name(approval_step s)
{
	return (size_t) s < NSTEPS ? step_table[s].name : "";
}

approval_stage
approval_rules_step_stage(approval_step s)
{
	return (size_t) s < NSTEPS ? step_table[s].at
	                           : APPROVAL_STAGE_UNSPECIFIED;
}

approval_stage
approval_rules_next_stage(approval_step step, bool yes)
{
	if ((size_t) step >= NSTEPS)
		return APPROVAL_STAGE_UNSPECIFIED;
	return yes ? step_table[step].yes : step_table[step].no;
}

const char *
approval_rules_step_action(approval_step step, bool yes)
{
	if ((size_t) step >= NSTEPS)
		return "";
	return yes ? step_table[step].yes_action : step_table[step].no_action;
}

approval_stage
approval_rules_request_stage(const approval_step_request *r)
{
	if (r->returned && r->step == APPROVAL_STEP_TOWNSHIP_CONFIRMATION)
		return APPROVAL_STAGE_RETURNED;
	return approval_rules_next_stage(r->step, r->yes);
}

const char *
approval_rules_request_action(const approval_step_request *r)
{
	if (r->returned && r->step == APPROVAL_STEP_TOWNSHIP_CONFIRMATION)
		return "township_returned";
	return approval_rules_step_action(r->step, r->yes);
}

/* The division code a step's actor must reach: each level acts on its
 * own level's code. */
static const char *
step_scope(approval_step step, const approval_case *c)
{
	switch (step) {
	case APPROVAL_STEP_VILLAGE_REVIEW:
		return c->village_code;
	case APPROVAL_STEP_TOWNSHIP_CONFIRMATION:
		return c->township_code;
	case APPROVAL_STEP_DISTRICT_FILING:
		break;
	}
	return c->district_code;
}

bool
approval_rules_may_act(approval_step step, const sn_principal *p,
    const approval_case *c, sn_problem *prob)
{
	if (!sn_auth_within(p, step_scope(step, c)))
		return sn_problem_set(prob, 403, "outside_jurisdiction", NULL,
		    "the case is outside your jurisdiction");
	approval_duty d   = { .user = p->user,
		  .id_number        = p->id_number,
		  .taken_in_by      = c->taken_in_by,
		  .actors           = c->actors,
		  .nactors          = c->nactors,
		  .investigators    = c->investigators,
		  .ninvestigators   = c->ninvestigators,
		  .member_ids       = c->member_ids,
		  .nmembers         = c->nmembers };
	const char   *why = approval_rules_duty_check(&d);
	if (why != NULL)
		return sn_problem_set(prob, 403, why, NULL,
		    "segregation of duties: you may not act on this case "
		    "(%s)",
		    why);
	approval_stage at = approval_rules_step_stage(step);
	if (c->stage != at)
		return sn_problem_set(prob, 409, "wrong_stage", NULL,
		    "the case is at stage %s, not %s",
		    approval_rules_stage_name(c->stage),
		    approval_rules_stage_name(at));
	return true;
}

static bool
township_category_ok(approval_category c)
{
	return c == APPROVAL_CAT_UNSPECIFIED || c == APPROVAL_CAT_TEKUN
	    || c == APPROVAL_CAT_DIBAO || c == APPROVAL_CAT_EXPENDITURE
	    || c == APPROVAL_CAT_LOW_INCOME;
}

bool
approval_rules_step_request(approval_step step, const char *decision,
    const char *category, approval_step_request *r, sn_problem *prob)
{
	const char *dec    = decision != NULL ? decision : "";
	const char *reason = r->reason != NULL ? r->reason : "";
	r->step            = step;
	r->yes             = true;
	r->category        = APPROVAL_CAT_UNSPECIFIED;
	r->returned        = false;
	switch (step) {
	case APPROVAL_STEP_VILLAGE_REVIEW:
		if (strcmp(dec, "pass") != 0 && strcmp(dec, "return") != 0)
			return sn_problem_set(prob, 400, "invalid_field",
			    "decision", "decision is \"pass\" or \"return\"");
		r->yes = strcmp(dec, "pass") == 0;
		if (!r->yes && reason[0] == '\0')
			return sn_problem_set(prob, 422, "reason_required",
			    "reason", "a return needs a reason");
		return true;
	case APPROVAL_STEP_TOWNSHIP_CONFIRMATION: {
		if (strcmp(dec, "approve") != 0 && strcmp(dec, "reject") != 0
		    && strcmp(dec, "return") != 0)
			return sn_problem_set(prob, 400, "invalid_field",
			    "decision",
			    "decision is \"approve\", \"reject\" or "
			    "\"return\"");
		r->yes      = strcmp(dec, "approve") == 0;
		r->returned = strcmp(dec, "return") == 0;
		if (!r->yes && reason[0] == '\0')
			return sn_problem_set(prob, 422, "reason_required",
			    "reason",
			    r->returned ? "a return needs a reason"
			                : "a rejection needs a reason");
		const char *cat = category != NULL ? category : "";
		r->category     = approval_rules_category_parse(cat);
		if (cat[0] != '\0'
		    && (r->category == APPROVAL_CAT_UNSPECIFIED
		        || !township_category_ok(r->category)))
			return sn_problem_set(prob, 400, "invalid_field",
			    "category",
			    "category is tekun, dibao, expenditure or "
			    "low_income");
		return true;
	}
	case APPROVAL_STEP_DISTRICT_FILING:
		return true;
	}
	return sn_problem_set(
	    prob, 400, "invalid_field", NULL, "no such step");
}

sn_month
approval_rules_effective_month(sn_date decided)
{
	return sn_month_add(sn_date_month(decided), 1);
}

/* The amount for category cat: the computed one for the computed
 * category, the case's core amount when the township moves the household
 * into tekun or dibao, nothing otherwise. */
static sn_fen
township_amount(const approval_case *c, approval_category cat)
{
	if (cat == c->category)
		return c->monthly_amount_fen;
	if (cat == APPROVAL_CAT_TEKUN)
		return c->tekun_amount_fen;
	if (cat == APPROVAL_CAT_DIBAO)
		return c->dibao_amount_fen;
	return 0;
}

bool
approval_rules_township(const approval_step_request *r, const approval_case *c,
    sn_date today, approval_decision *out, sn_problem *prob)
{
	const char       *reason = r->reason != NULL ? r->reason : "";
	approval_category cat    = c->category;
	if (r->category != APPROVAL_CAT_UNSPECIFIED) {
		cat = r->category;
		if (cat != c->category && reason[0] == '\0')
			return sn_problem_set(prob, 422, "reason_required",
			    "reason",
			    "changing the category needs a written reason");
	}
	if (r->yes
	    && (cat == APPROVAL_CAT_NONE || cat == APPROVAL_CAT_UNSPECIFIED))
		return sn_problem_set(prob, 422, "not_eligible", "category",
		    "the household is in no category: approve needs a "
		    "category");
	approval_decision d = { .approved = r->yes,
		.to       = approval_rules_next_stage(r->step, r->yes),
		.category = cat,
		.tier     = approval_rules_tier(cat),
		.monthly_amount_fen = r->yes ? township_amount(c, cat) : 0,
		.referrals          = r->yes ? c->referrals : 0,
		.effective_month    = approval_rules_effective_month(today) };
	*out                = d;
	return true;
}

/* ---- policy versions ---------------------------------------------------- */

#define PF(member, min)                                                       \
	{                                                                     \
#member, offsetof(approval_policy, member), min               \
	}

const approval_policy_field approval_policy_fields[APPROVAL_POLICY_NFIELDS] = {
	PF(urban_min_fen, 1),
	PF(rural_min_fen, 1),
	PF(urban_basic_fen, 1),
	PF(rural_basic_fen, 1),
	PF(care_able_fen, 0),
	PF(care_partially_able_fen, 0),
	PF(care_unable_fen, 0),
	PF(low_income_factor_percent, 100),
	PF(asset_multiple, 1),
	PF(max_homes, 0),
	PF(business_capital_limit_fen, 0),
};

bool
approval_rules_version_valid(const char *s)
{
	return s != NULL && sn_in_name_ok(s, strlen(s), 31);
}

bool
approval_rules_policy_add(const approval_policy_taken *t, sn_date from,
    sn_date today, sn_problem *prob)
{
	if (t->version_taken)
		return sn_problem_set(prob, 409, "version_exists", "version",
		    "a policy version with this name exists");
	if (t->date_taken)
		return sn_problem_set(prob, 409, "date_taken",
		    "effective_from", "a policy version starts on this date");
	if (t->versions > 0 && sn_date_cmp(from, today) <= 0)
		return sn_problem_set(prob, 409, "policy_in_force",
		    "effective_from",
		    "would change a standard in force: effective_from must "
		    "be after today");
	return true;
}

ptrdiff_t
approval_rules_in_force(
    const approval_policy_version *v, size_t n, sn_date day)
{
	ptrdiff_t best = -1;
	for (size_t i = 0; i < n; i++)
		if (sn_date_cmp(v[i].effective_from, day) <= 0
		    && (best < 0
		        || sn_date_cmp(
		               v[i].effective_from, v[best].effective_from)
		            > 0))
			best = (ptrdiff_t) i;
	return best;
}

/* ---- the register over time ------------------------------------------- */

static const sn_month no_month = { 0, 0 };

static void
change_init(const approval_entry *e, approval_cause cause, approval_change *c)
{
	bool gradual = e->standing == APPROVAL_STANDING_GRADUAL_EXIT;
	*c = (approval_change) { .outcome = APPROVAL_OUTCOME_UNCHANGED,
		.cause                    = cause,
		.category                 = e->category,
		.tier                     = e->tier,
		.standing                 = e->standing,
		.old_amount_fen           = e->monthly_amount_fen,
		.amount_fen               = e->monthly_amount_fen,
		.until_month = gradual ? e->until_month : no_month };
}

/* Paid until last (its end), nothing after. */
static void
change_exit(approval_change *c, sn_month last)
{
	c->outcome     = APPROVAL_OUTCOME_EXIT;
	c->standing    = APPROVAL_STANDING_EXITED;
	c->amount_fen  = 0;
	c->first_month = sn_month_add(last, 1);
	c->until_month = last;
	c->changed     = true;
}

static void
change_stays(const approval_entry *e, approval_category cat, sn_fen amount,
    sn_month decided, approval_change *c)
{
	c->outcome     = e->standing == APPROVAL_STANDING_GRADUAL_EXIT
	        ? APPROVAL_OUTCOME_RETURNS
	        : APPROVAL_OUTCOME_STAYS;
	c->category    = cat;
	c->tier        = approval_rules_tier(cat);
	c->standing    = APPROVAL_STANDING_ACTIVE;
	c->amount_fen  = amount;
	c->first_month = sn_month_add(decided, 1);
	c->until_month = no_month;
	c->changed     = e->standing != APPROVAL_STANDING_ACTIVE
	    || cat != e->category || c->tier != e->tier
	    || amount != e->monthly_amount_fen;
}

/* (S - max(C, 0)) x members in whole yuan up: income after deductions;
 * a C below zero (deductions above income) pays S, never more. */
static sn_err
review_amount(sn_fen s, sn_fen c, size_t n, sn_fen *out)
{
	return dibao_amount(s, c > 0 ? c : 0, n, out);
}

static sn_err
dibao_table(const approval_result *r, const approval_household *h,
    const approval_entry *e, sn_month decided, approval_change *c)
{
	approval_exit x;
	sn_fen        amount;
	sn_err        err
	    = approval_rules_exit(r->standard_fen, r->net_per_member_fen, &x);
	if (err != SN_OK)
		return err;
	switch (x) {
	case APPROVAL_EXIT_STAYS:
		err = review_amount(r->standard_fen, r->net_per_member_fen,
		    h->nmembers, &amount);
		if (err == SN_OK)
			change_stays(
			    e, APPROVAL_CAT_DIBAO, amount, decided, c);
		return err;
	case APPROVAL_EXIT_GRADUAL:
		if (e->standing == APPROVAL_STANDING_GRADUAL_EXIT)
			return SN_OK; /* its 6 months run on */
		c->outcome     = APPROVAL_OUTCOME_GRADUAL;
		c->standing    = APPROVAL_STANDING_GRADUAL_EXIT;
		c->first_month = sn_month_add(decided, 1);
		c->until_month
		    = sn_month_add(decided, APPROVAL_GRADUAL_EXIT_MONTHS);
		c->changed = true;
		return SN_OK;
	case APPROVAL_EXIT_END_OF_MONTH:
		break;
	}
	change_exit(c, decided);
	return SN_OK;
}

/* Tekun still holds: every member without labour capacity, no income,
 * no legal supporter able to support. */
static bool
tekun_holds(const approval_household *h)
{
	if (h->gross_income_fen != 0 || h->has_able_supporter)
		return false;
	for (size_t i = 0; i < h->nmembers; i++)
		if (h->members[i].labour != APPROVAL_LABOUR_NONE)
			return false;
	return true;
}

static bool
entry_on_register(const approval_entry *e)
{
	return (e->standing == APPROVAL_STANDING_ACTIVE
	           || e->standing == APPROVAL_STANDING_GRADUAL_EXIT)
	    && (e->category == APPROVAL_CAT_TEKUN
	        || e->category == APPROVAL_CAT_DIBAO
	        || e->category == APPROVAL_CAT_LOW_INCOME
	        || e->category == APPROVAL_CAT_EXPENDITURE);
}

static sn_err
review_edge(const approval_result *r, const approval_household *h,
    const approval_entry *e, sn_month decided, approval_change *c)
{
	switch (r->category) {
	case APPROVAL_CAT_DIBAO:
		return dibao_table(r, h, e, decided, c);
	case APPROVAL_CAT_TEKUN:
	case APPROVAL_CAT_EXPENDITURE:
	case APPROVAL_CAT_LOW_INCOME:
		change_stays(
		    e, r->category, r->monthly_amount_fen, decided, c);
		return SN_OK;
	case APPROVAL_CAT_UNSPECIFIED:
	case APPROVAL_CAT_EMERGENCY:
	case APPROVAL_CAT_NONE:
		break;
	}
	change_exit(c, decided);
	return SN_OK;
}

sn_err
approval_rules_review(const approval_policy *p, const approval_household *h,
    const approval_entry *e, sn_month decided, approval_cause cause,
    approval_change *out)
{
	if (e == NULL || out == NULL || !entry_on_register(e)
	    || !sn_month_valid(decided))
		return SN_EINVAL;
	approval_result r;
	approval_change c;
	sn_err          err = approval_rules_classify(p, h, &r);
	if (err != SN_OK)
		return err;
	change_init(e, cause, &c);
	c.standard_fen       = r.standard_fen;
	c.net_per_member_fen = r.net_per_member_fen;
	if (e->category == APPROVAL_CAT_TEKUN && tekun_holds(h))
		change_stays(
		    e, APPROVAL_CAT_TEKUN, r.tekun_amount_fen, decided, &c);
	else if (e->category == APPROVAL_CAT_TEKUN
	    || e->category == APPROVAL_CAT_DIBAO)
		err = dibao_table(&r, h, e, decided, &c);
	else
		err = review_edge(&r, h, e, decided, &c);
	if (err != SN_OK)
		return err;
	if (c.outcome == APPROVAL_OUTCOME_EXIT
	    && (cause == APPROVAL_CAUSE_REVIEW
	        || cause == APPROVAL_CAUSE_CHANGE_REPORT))
		c.cause = APPROVAL_CAUSE_EXIT;
	*out = c;
	return SN_OK;
}

sn_err
approval_rules_death(const approval_policy *p, const approval_household *after,
    const approval_entry *e, sn_month died, approval_change *out)
{
	if (e == NULL || out == NULL || e->standing == APPROVAL_STANDING_EXITED
	    || !sn_month_valid(died))
		return SN_EINVAL;
	if (after != NULL && after->nmembers > 0)
		return approval_rules_review(
		    p, after, e, died, APPROVAL_CAUSE_DEATH, out);
	change_init(e, APPROVAL_CAUSE_DEATH, out);
	change_exit(out, died);
	return SN_OK;
}

sn_err
approval_rules_moved(
    const approval_entry *e, sn_month moved, approval_change *out)
{
	if (e == NULL || out == NULL || e->standing == APPROVAL_STANDING_EXITED
	    || !sn_month_valid(moved))
		return SN_EINVAL;
	change_init(e, APPROVAL_CAUSE_MOVED, out);
	change_exit(out, moved);
	return SN_OK;
}

void
approval_rules_gradual_end(
    const approval_entry *e, sn_month now, approval_change *out)
{
	change_init(e, APPROVAL_CAUSE_EXIT, out);
	if (e->standing == APPROVAL_STANDING_GRADUAL_EXIT
	    && sn_month_cmp(now, e->until_month) > 0)
		change_exit(out, e->until_month);
}

const approval_register_policy approval_register_policy_default
    = APPROVAL_REGISTER_POLICY_DEFAULT;

#define RF(m, is32, lo, hi)                                                   \
	{                                                                     \
#m, offsetof(approval_register_policy, m), is32, lo, hi       \
	}

const approval_register_field
    approval_register_fields[APPROVAL_REGISTER_NFIELDS]
    = {
	      RF(review_months_dibao_stable, true, 1, 120),
	      RF(review_months_dibao, true, 1, 120),
	      RF(review_months_tekun, true, 1, 120),
	      RF(review_months_edge, true, 1, 120),
	      RF(price_subsidy_per_person_fen, false, 0, INT64_MAX / 1000),
	      RF(cpi_threshold_permille, false, 0, 100000),
	      RF(food_cpi_threshold_permille, false, 0, 100000),
      };

int64_t
approval_register_field_get(
    const approval_register_policy *rp, const approval_register_field *f)
{
	const char *p = (const char *) rp + f->offset;
	if (f->is32) {
		int32_t x;
		memcpy(&x, p, sizeof(x));
		return x;
	}
	int64_t x;
	memcpy(&x, p, sizeof(x));
	return x;
}

void
approval_register_field_set(
    approval_register_policy *rp, const approval_register_field *f, int64_t v)
{
	char *p = (char *) rp + f->offset;
	if (f->is32) {
		int32_t x = (int32_t) v;
		memcpy(p, &x, sizeof(x));
		return;
	}
	memcpy(p, &v, sizeof(v));
}

bool
approval_rules_income_stable(const approval_income *inc)
{
	return inc->wages_fen == 0 && inc->business_fen == 0;
}

static bool
none_can_work(const approval_member *m, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (m[i].labour != APPROVAL_LABOUR_NONE)
			return false;
	return true;
}

sn_err
approval_rules_next_review(const approval_register_policy *rp,
    const approval_entry *e, const approval_member *members, size_t n,
    const approval_income *inc, sn_date decided, sn_date *out)
{
	if (rp == NULL || e == NULL || out == NULL
	    || (n > 0 && members == NULL) || !sn_date_valid(decided)
	    || e->standing == APPROVAL_STANDING_EXITED)
		return SN_EINVAL;
	if (e->standing == APPROVAL_STANDING_GRADUAL_EXIT) {
		if (!sn_month_valid(e->until_month))
			return SN_EINVAL;
		*out = sn_month_last(e->until_month);
		return SN_OK;
	}
	int32_t months;
	switch (e->category) {
	case APPROVAL_CAT_TEKUN:
		months = rp->review_months_tekun;
		break;
	case APPROVAL_CAT_DIBAO:
		months = none_can_work(members, n) && inc != NULL
		        && approval_rules_income_stable(inc)
		    ? rp->review_months_dibao_stable
		    : rp->review_months_dibao;
		break;
	case APPROVAL_CAT_LOW_INCOME:
	case APPROVAL_CAT_EXPENDITURE:
		months = rp->review_months_edge;
		break;
	case APPROVAL_CAT_UNSPECIFIED:
	case APPROVAL_CAT_EMERGENCY:
	case APPROVAL_CAT_NONE:
	default:
		return SN_EINVAL;
	}
	if (months < 1)
		return SN_EINVAL;
	*out = sn_date_add_months(decided, months);
	return SN_OK;
}

/* The amount of an active entry's category under the result r. */
static sn_err
rerated_amount(const approval_result *r, const approval_household *h,
    approval_category cat, sn_fen *out)
{
	switch (cat) {
	case APPROVAL_CAT_TEKUN:
		*out = r->tekun_amount_fen;
		return SN_OK;
	case APPROVAL_CAT_DIBAO:
		return review_amount(
		    r->standard_fen, r->net_per_member_fen, h->nmembers, out);
	case APPROVAL_CAT_LOW_INCOME:
	case APPROVAL_CAT_EXPENDITURE:
		*out = 0;
		return SN_OK;
	case APPROVAL_CAT_UNSPECIFIED:
	case APPROVAL_CAT_EMERGENCY:
	case APPROVAL_CAT_NONE:
		break;
	}
	return SN_EINVAL;
}

sn_err
approval_rules_rerate(const approval_policy *p, const approval_household *h,
    const approval_entry *e, sn_month from, approval_change *out)
{
	if (e == NULL || out == NULL || !sn_month_valid(from))
		return SN_EINVAL;
	approval_result r;
	approval_change c;
	sn_fen          amount;
	sn_err          err = approval_rules_classify(p, h, &r);
	if (err != SN_OK)
		return err;
	change_init(e, APPROVAL_CAUSE_RERATING, &c);
	c.standard_fen       = r.standard_fen;
	c.net_per_member_fen = r.net_per_member_fen;
	if (e->standing == APPROVAL_STANDING_ACTIVE) {
		if ((err = rerated_amount(&r, h, e->category, &amount))
		    != SN_OK)
			return err;
		if (amount != e->monthly_amount_fen) {
			c.outcome     = APPROVAL_OUTCOME_RERATED;
			c.amount_fen  = amount;
			c.first_month = from;
			c.changed     = true;
		}
	}
	*out = c;
	return SN_OK;
}

sn_err
approval_rules_ratio_permille(sn_fen urban, sn_fen rural, int64_t *out)
{
	if (urban <= 0 || rural <= 0 || out == NULL)
		return SN_EINVAL;
	/* round(1000 urban / rural) = (2000 urban + rural) / (2 rural) */
	sn_fen num, den;
	sn_err err = sn_fen_mul(urban, 2000, &num);
	if (err == SN_OK)
		err = sn_fen_add(num, rural, &num);
	if (err == SN_OK)
		err = sn_fen_mul(rural, 2, &den);
	if (err == SN_OK)
		*out = num / den;
	return err;
}

bool
approval_rules_ratio_check(sn_fen urban, sn_fen rural,
    const approval_policy *prev, bool forced, const char *reason,
    int64_t *ratio, sn_problem *prob)
{
	if (urban <= 0)
		return sn_problem_set(prob, 422, "missing_field",
		    "urban_min_fen",
		    "urban and rural standards are set together: state "
		    "urban_min_fen");
	if (rural <= 0)
		return sn_problem_set(prob, 422, "missing_field",
		    "rural_min_fen",
		    "urban and rural standards are set together: state "
		    "rural_min_fen");
	if (approval_rules_ratio_permille(urban, rural, ratio) != SN_OK)
		return sn_problem_set(prob, 422, "out_of_range",
		    "urban_min_fen", "the standards are out of range");
	int64_t before;
	if (prev == NULL
	    || approval_rules_ratio_permille(
	           prev->urban_min_fen, prev->rural_min_fen, &before)
	        != SN_OK
	    || *ratio <= before)
		return true;
	if (!forced)
		return sn_problem_set(prob, 409, "ratio_rises",
		    "rural_min_fen",
		    "the urban/rural ratio would rise from %lld to %lld per "
		    "mille: adjust both or force with a reason",
		    (long long) before, (long long) *ratio);
	if (reason == NULL || reason[0] == '\0')
		return sn_problem_set(prob, 422, "reason_required", "reason",
		    "forcing a rising urban/rural ratio needs a reason");
	return true;
}

void
approval_rules_price_linkage(const approval_register_policy *rp,
    int64_t cpi_permille, int64_t food_cpi_permille,
    approval_price_subsidy *out)
{
	bool applies = cpi_permille >= rp->cpi_threshold_permille
	    || food_cpi_permille >= rp->food_cpi_threshold_permille;
	*out = (approval_price_subsidy) { .applies = applies,
		.per_person_fen
		= applies ? rp->price_subsidy_per_person_fen : 0,
		.categories = applies
		    ? (1u << APPROVAL_CAT_DIBAO) | (1u << APPROVAL_CAT_TEKUN)
		        | (1u << APPROVAL_CAT_LOW_INCOME)
		    : 0u };
}

sn_err
approval_rules_price_amount(const approval_price_subsidy *s,
    approval_category c, size_t n, sn_fen *out)
{
	if ((unsigned) c >= 32 || !s->applies
	    || (s->categories & (1u << (unsigned) c)) == 0) {
		*out = 0;
		return SN_OK;
	}
	return sn_fen_mul(s->per_person_fen, (int64_t) n, out);
}

sn_err
approval_rules_propose(sn_fen consumption_fen, int64_t share_permille,
    sn_fen cur_urban, sn_fen cur_rural, sn_fen *urban, sn_fen *rural)
{
	if (consumption_fen <= 0 || share_permille < 1 || share_permille > 1000
	    || cur_urban <= 0 || cur_rural <= 0 || urban == NULL
	    || rural == NULL)
		return SN_EINVAL;
	sn_fen u, r;
	sn_err err = sn_fen_mul(consumption_fen, share_permille, &u);
	if (err == SN_OK)
		err = sn_fen_div_ceil(u, 1000, &u);
	if (err == SN_OK)
		err = sn_fen_ceil_yuan(u, &u);
	if (err == SN_OK)
		err = sn_fen_mul(u, cur_rural, &r);
	if (err == SN_OK)
		err = sn_fen_div_ceil(r, cur_urban, &r);
	if (err == SN_OK)
		err = sn_fen_ceil_yuan(r, &r);
	if (err != SN_OK)
		return err;
	*urban = u;
	*rural = r;
	return SN_OK;
}

/* ---- dates and names ---------------------------------------------------- */

bool
approval_rules_date_parse(const char *s, sn_date *out)
{
	sn_date d;
	if (s == NULL || sn_date_parse(s, &d) != SN_OK || d.year < 1900)
		return false;
	*out = d;
	return true;
}

const char *const approval_stage_names[APPROVAL_NSTAGES + 1]
    = { "", "GATHERING", "HELD", "VILLAGE_REVIEW", "TOWNSHIP_CONFIRM",
	      "DISTRICT_FILING", "FILED", "REJECTED", "RETURNED", "WITHDRAWN",
	      NULL };

const char *
approval_rules_stage_name(approval_stage s)
{
	if ((unsigned) s < APPROVAL_NSTAGES)
		return approval_stage_names[s];
	return "";
}

approval_stage
approval_rules_stage_parse(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return APPROVAL_STAGE_UNSPECIFIED;
	for (unsigned i = 1; i < APPROVAL_NSTAGES; i++)
		if (strcmp(approval_stage_names[i], s) == 0)
			return (approval_stage) i;
	return APPROVAL_STAGE_UNSPECIFIED;
}

const char *const approval_category_names[] = { "", "tekun", "dibao",
	"expenditure", "low_income", "emergency", "none", NULL };

#define NCATS (sizeof(approval_category_names) / sizeof(char *) - 1)

const char *
approval_rules_category_name(approval_category c)
{
	if ((unsigned) c < NCATS)
		return approval_category_names[c];
	return "";
}

approval_category
approval_rules_category_parse(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return APPROVAL_CAT_UNSPECIFIED;
	for (unsigned i = 1; i < NCATS; i++)
		if (strcmp(approval_category_names[i], s) == 0)
			return (approval_category) i;
	return APPROVAL_CAT_UNSPECIFIED;
}

const char *
approval_rules_tier_name(approval_tier t)
{
	switch (t) {
	case APPROVAL_TIER_CORE:
		return "core";
	case APPROVAL_TIER_EDGE:
		return "edge";
	case APPROVAL_TIER_UNIVERSAL:
		return "universal";
	case APPROVAL_TIER_UNSPECIFIED:
		break;
	}
	return "";
}

/* ---- a review as a case ------------------------------------------------ */

const char *
approval_rules_outcome_name(approval_outcome o)
{
	switch (o) {
	case APPROVAL_OUTCOME_UNCHANGED:
		return "unchanged";
	case APPROVAL_OUTCOME_STAYS:
		return "stays";
	case APPROVAL_OUTCOME_RETURNS:
		return "returns";
	case APPROVAL_OUTCOME_GRADUAL:
		return "gradual_exit";
	case APPROVAL_OUTCOME_EXIT:
		return "exit";
	case APPROVAL_OUTCOME_RERATED:
		return "rerated";
	}
	return "";
}

sn_err
approval_rules_review_case(const approval_policy *p,
    const approval_household *h, const approval_entry *e, sn_month decided,
    bool scheduled, approval_change_kind kind, approval_change *out)
{
	switch (kind) {
	case APPROVAL_CHANGE_DEATH:
		return approval_rules_death(p, h, e, decided, out);
	case APPROVAL_CHANGE_MOVED_OUT:
		return approval_rules_moved(e, decided, out);
	case APPROVAL_CHANGE_NONE:
	case APPROVAL_CHANGE_MEMBERS:
	case APPROVAL_CHANGE_INCOME:
	case APPROVAL_CHANGE_EXPENDITURE:
	case APPROVAL_CHANGE_ADDRESS:
		break;
	}
	return approval_rules_review(p, h, e, decided,
	    scheduled ? APPROVAL_CAUSE_REVIEW : APPROVAL_CAUSE_CHANGE_REPORT,
	    out);
}

void
approval_rules_review_hold_reason(bool has_signed, sn_date signed_on,
    sn_date opened, const char *missing, char out[512])
{
	char on[SN_DATE_STRLEN];
	if (!has_signed) {
		snprintf(out, 512,
		    "verification incomplete: no consent with a signed date "
		    "on file, so no agency was asked; a new consent is "
		    "needed");
		return;
	}
	if (sn_date_cmp(
	        opened, sn_date_add_months(signed_on, APPROVAL_CONSENT_MONTHS))
	    > 0) {
		snprintf(out, 512,
		    "verification incomplete: the consent on file (signed "
		    "%s) expired before the review opened, so no agency was "
		    "asked; a new consent is needed",
		    sn_date_format(signed_on, on));
		return;
	}
	snprintf(out, 512, "verification incomplete: no answer from %s",
	    missing != NULL && missing[0] != '\0' ? missing : "any agency");
}
