/*
 * rules.c - approval's pure policy. See rules.h for the contract; the
 * comments here say why, not what.
 */
#include "rules.h"

#include <string.h>

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

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int
num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

bool
approval_rules_date_valid(const char *s)
{
	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-'
	    || !digits(s, 4) || !digits(s + 5, 2) || !digits(s + 8, 2))
		return false;
	int              y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
	static const int mdays[]
	    = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int  max  = mdays[m - 1] + (m == 2 && leap ? 1 : 0);
	return d <= max;
}

sn_err
approval_rules_next_month(const char *date, char buf[8])
{
	if (!approval_rules_date_valid(date))
		return SN_EINVAL;
	int y = num(date, 4), m = num(date + 5, 2) + 1;
	if (m == 13) {
		m = 1;
		y++;
	}
	if (y > 9999)
		return SN_ERANGE;
	buf[0] = (char) ('0' + y / 1000);
	buf[1] = (char) ('0' + y / 100 % 10);
	buf[2] = (char) ('0' + y / 10 % 10);
	buf[3] = (char) ('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char) ('0' + m / 10);
	buf[6] = (char) ('0' + m % 10);
	buf[7] = '\0';
	return SN_OK;
}

static const char *const cat_names[] = { "", "tekun", "dibao", "expenditure",
	"low_income", "emergency", "none" };

const char *
approval_rules_category_name(approval_category c)
{
	if ((unsigned) c < sizeof(cat_names) / sizeof(cat_names[0]))
		return cat_names[c];
	return "";
}

approval_category
approval_rules_category_parse(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return APPROVAL_CAT_UNSPECIFIED;
	for (unsigned i = 1; i < sizeof(cat_names) / sizeof(cat_names[0]); i++)
		if (strcmp(cat_names[i], s) == 0)
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
