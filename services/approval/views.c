/*
 * views.c - approval's JSON documents. See views.h.
 */
#include "views.h"

#include "register_rules.h"

#include <string.h>

#include "sn/assist.h"

static char *
dump(json_t *j)
{
	if (j == NULL)
		return NULL;
	char *s
	    = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(j);
	return s;
}

static json_t *
household_json(const Sn__Assist__V1__Household *h)
{
	if (h == NULL)
		return json_null();
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "registration",
	    sn_assist_or(
	        sn_assist_registration_name((int) h->registration), ""),
	    "district_code", h->district_code, "township_code",
	    h->township_code, "village_code", h->village_code, "address",
	    h->address, "has_able_supporter", h->has_able_supporter);
}

static json_t *
members_json(const Sn__Assist__V1__ApplicationSubmitted *s)
{
	json_t *members = json_array();
	for (size_t i = 0; i < s->n_members; i++) {
		const Sn__Assist__V1__Member *m = s->members[i];
		json_array_append_new(members,
		    json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "id_number",
		        m->id_number, "name", m->name, "relation", m->relation,
		        "birth_date", m->birth_date, "labour_capacity",
		        sn_assist_or(
		            sn_assist_labour_name((int) m->labour_capacity),
		            ""),
		        "disability_grade", (int) m->disability_grade,
		        "self_care",
		        sn_assist_or(
		            sn_assist_self_care_name((int) m->self_care),
		            "")));
	}
	return members;
}

static json_t *
income_json(const Sn__Assist__V1__Income *in)
{
	if (in == NULL)
		return json_null();
	return json_pack("{s:I,s:I,s:I,s:I}", "wages_fen",
	    (json_int_t) in->wages_fen, "business_fen",
	    (json_int_t) in->business_fen, "pensions_fen",
	    (json_int_t) in->pensions_fen, "other_fen",
	    (json_int_t) in->other_fen);
}

static json_t *
expenditure_json(const Sn__Assist__V1__Expenditure *ex)
{
	if (ex == NULL)
		return json_null();
	return json_pack("{s:I,s:I,s:I,s:I}", "medical_fen",
	    (json_int_t) ex->medical_fen, "education_fen",
	    (json_int_t) ex->education_fen, "housing_fen",
	    (json_int_t) ex->housing_fen, "employment_costs_fen",
	    (json_int_t) ex->employment_costs_fen);
}

char *
approval_views_submitted(const Sn__Assist__V1__ApplicationSubmitted *s)
{
	json_t *payee = json_null(), *consent = json_null();
	if (s->payee != NULL)
		payee = json_pack("{s:s,s:s,s:s}", "bank_code",
		    s->payee->bank_code, "account_number",
		    s->payee->account_number, "account_name",
		    s->payee->account_name);
	if (s->consent != NULL)
		consent = json_pack("{s:s,s:s}", "reference",
		    s->consent->reference, "signed_date",
		    s->consent->signed_date);
	return dump(json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:s}",
	    "accepted_date", s->accepted_date, "deadline_date_declared",
	    s->deadline_date, "household", household_json(s->household),
	    "members", members_json(s), "declared_income",
	    income_json(s->declared_income), "declared_expenditure",
	    expenditure_json(s->declared_expenditure), "payee", payee,
	    "consent", consent, "requested_category",
	    approval_rules_category_name(
	        (approval_category) s->requested_category),
	    "taken_in_by", s->taken_in_by, "referral_id", s->referral_id));
}

char *
approval_views_facts(const Sn__Assist__V1__HouseholdFacts *f)
{
	if (f == NULL)
		return dump(json_null());
	return dump(json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:i,s:I,"
	                      "s:i,s:b}",
	    "members", (int) f->members, "gross_income_fen",
	    (json_int_t) f->gross_income_fen, "income_per_member_fen",
	    (json_int_t) f->income_per_member_fen,
	    "rigid_expenditure_per_member_fen",
	    (json_int_t) f->rigid_expenditure_per_member_fen,
	    "net_per_member_fen", (json_int_t) f->net_per_member_fen,
	    "financial_assets_fen", (json_int_t) f->financial_assets_fen,
	    "financial_assets_per_member_fen",
	    (json_int_t) f->financial_assets_per_member_fen, "homes",
	    (int) f->homes, "vehicles", (int) f->vehicles, "exempt_vehicles",
	    (int) f->exempt_vehicles, "business_capital_fen",
	    (json_int_t) f->business_capital_fen, "deceased_members",
	    (int) f->deceased_members, "all_registered", f->all_registered));
}

char *
approval_views_report(const Sn__Assist__V1__InvestigationCompleted *r)
{
	static const char *const recs[]
	    = { "", "approve", "reject", "further_review" };
	json_t *invj = json_array(), *pres = json_array(),
	       *contra = json_array();
	for (size_t i = 0; i < r->n_investigators; i++)
		json_array_append_new(invj, json_string(r->investigators[i]));
	for (size_t i = 0; i < r->n_members; i++)
		json_array_append_new(pres,
		    json_pack("{s:s,s:b}", "id_number",
		        r->members[i]->id_number, "present",
		        r->members[i]->present));
	for (size_t i = 0; i < r->n_contradictions; i++)
		json_array_append_new(
		    contra, json_string(r->contradictions[i]));
	return dump(json_pack("{s:s,s:o,s:s,s:o,s:s,s:s,s:o,s:s,s:s}",
	    "task_id", r->task_id, "investigators", invj, "visit_date",
	    r->visit_date, "members", pres, "living_conditions",
	    r->living_conditions, "housing_condition", r->housing_condition,
	    "contradictions", contra, "recommendation",
	    (unsigned) r->recommendation < 4 ? recs[r->recommendation] : "",
	    "submitted_by", r->submitted_by));
}

static json_t *
assets_json(const approval_policy *p, const approval_household *h,
    const approval_result *r)
{
	static const char *const fn[]
	    = { "financial_assets", "homes", "vehicle", "business_capital" };
	json_t *fails = json_array();
	for (int i = 0; i < 4; i++)
		if (r->asset_failures & (1u << i))
			json_array_append_new(fails, json_string(fn[i]));
	return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "pass",
	    r->assets_pass, "financial_assets_per_member_fen",
	    (json_int_t) h->financial_assets_per_member_fen,
	    "financial_assets_limit_fen", (json_int_t) r->asset_limit_fen,
	    "homes", (json_int_t) h->homes, "max_homes",
	    (json_int_t) p->max_homes, "vehicles", (json_int_t) h->vehicles,
	    "business_capital_fen", (json_int_t) h->business_capital_fen,
	    "business_capital_limit_fen",
	    (json_int_t) p->business_capital_limit_fen, "failures", fails);
}

char *
approval_views_computation(const approval_policy *p,
    const approval_household *h, const approval_result *r)
{
	json_t *refs = json_array();
	for (int i = 1; i < 5; i++)
		if (r->referrals & (1u << i))
			json_array_append_new(
			    refs, json_string(sn_assist_referral_name(i)));
	return dump(json_pack("{s:s,s:s,s:i,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:o,"
	                      "s:s,s:s,s:I,s:I,s:I,s:o}",
	    "policy_version", p->version, "registration",
	    sn_assist_or(
	        sn_assist_registration_name((int) h->registration), ""),
	    "members", (int) h->nmembers, "has_able_supporter",
	    h->has_able_supporter, "standard_fen",
	    (json_int_t) r->standard_fen, "gross_income_fen",
	    (json_int_t) h->gross_income_fen, "income_per_member_fen",
	    (json_int_t) h->income_per_member_fen,
	    "rigid_expenditure_per_member_fen",
	    (json_int_t) h->rigid_expenditure_per_member_fen,
	    "net_per_member_fen", (json_int_t) r->net_per_member_fen,
	    "low_income_factor_percent",
	    (json_int_t) p->low_income_factor_percent, "assets",
	    assets_json(p, h, r), "category",
	    approval_rules_category_name(r->category), "tier",
	    approval_rules_tier_name(r->tier), "monthly_amount_fen",
	    (json_int_t) r->monthly_amount_fen, "tekun_amount_fen",
	    (json_int_t) r->tekun_amount_fen, "dibao_amount_fen",
	    (json_int_t) r->dibao_amount_fen, "referrals", refs));
}

/* "YYYY-MM", or "" for no month. */
static const char *
month_or_empty(sn_month m, char buf[SN_MONTH_STRLEN])
{
	if (!sn_month_valid(m))
		return "";
	return sn_month_format(m, buf);
}

char *
approval_views_review_outcome(const approval_change *c, const char *version,
    sn_month decided, const char *review_kind)
{
	char first[SN_MONTH_STRLEN], until[SN_MONTH_STRLEN];
	char on[SN_MONTH_STRLEN];
	return dump(json_pack("{s:s,s:s,s:b,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:I,"
	                      "s:I,s:s,s:s,s:s}",
	    "outcome", approval_rules_outcome_name(c->outcome), "cause",
	    approval_register_cause_name(c->cause), "changed", c->changed,
	    "old_amount_fen", (json_int_t) c->old_amount_fen, "amount_fen",
	    (json_int_t) c->amount_fen, "category",
	    approval_rules_category_name(c->category), "tier",
	    approval_rules_tier_name(c->tier), "status",
	    approval_register_status_name(c->standing), "first_month",
	    month_or_empty(c->first_month, first), "until_month",
	    month_or_empty(c->until_month, until), "standard_fen",
	    (json_int_t) c->standard_fen, "net_per_member_fen",
	    (json_int_t) c->net_per_member_fen, "decided_month",
	    month_or_empty(decided, on), "policy_version", version,
	    "review_kind", review_kind));
}

static json_t *
version_json(const approval_policy_version *pv)
{
	char    day[SN_DATE_STRLEN];
	json_t *v = json_pack("{s:s,s:s}", "version", pv->policy.version,
	    "effective_from", sn_date_format(pv->effective_from, day));
	for (size_t i = 0; v != NULL && i < APPROVAL_POLICY_NFIELDS; i++) {
		int64_t x;
		memcpy(&x,
		    (const char *) &pv->policy
		        + approval_policy_fields[i].offset,
		    sizeof(x));
		json_object_set_new(
		    v, approval_policy_fields[i].name, json_integer(x));
	}
	for (size_t i = 0; v != NULL && i < APPROVAL_REGISTER_NFIELDS; i++)
		json_object_set_new(v, approval_register_fields[i].name,
		    json_integer(approval_register_field_get(
		        &pv->reg, &approval_register_fields[i])));
	return v;
}

json_t *
approval_views_policies(
    const approval_policy_version *v, size_t n, ptrdiff_t in_force)
{
	json_t *versions = json_array();
	json_t *name = json_null(), *ratio = json_null();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(versions, version_json(&v[i]));
	if (in_force >= 0 && (size_t) in_force < n) {
		const approval_policy *p = &v[in_force].policy;
		char                   buf[32];
		json_decref(name);
		name = json_string(p->version);
		if (approval_rules_ratio(
		        p->urban_min_fen, p->rural_min_fen, buf)
		    == SN_OK) {
			json_decref(ratio);
			ratio = json_string(buf);
		}
	}
	return json_pack("{s:o,s:o,s:o}", "versions", versions, "in_force",
	    name, "urban_rural_ratio", ratio);
}
