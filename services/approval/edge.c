/*
 * edge.c - issue 10 (approval-A): the rule a household failed. See
 * edge.h.
 */
#include "edge.h"

#include <stddef.h>

const char *
approval_edge_rule_reason(const approval_policy *p, const approval_result *r)
{
	if (p == NULL || r == NULL || r->category != APPROVAL_CAT_NONE)
		return "";
	/* 100 C > factor S, as approval_rules_classify compares them; a
	 * product that overflows is above any line. */
	sn_fen c100, factor_s;
	if (sn_fen_mul(r->net_per_member_fen, 100, &c100) != SN_OK
	    || sn_fen_mul(
	           r->standard_fen, p->low_income_factor_percent, &factor_s)
	        != SN_OK
	    || c100 > factor_s)
		return "income_above_edge";
	if (r->asset_failures & APPROVAL_ASSET_FINANCIAL)
		return "assets_financial";
	if (r->asset_failures & APPROVAL_ASSET_HOMES)
		return "assets_homes";
	if (r->asset_failures & APPROVAL_ASSET_VEHICLE)
		return "assets_vehicles";
	if (r->asset_failures & APPROVAL_ASSET_BUSINESS)
		return "assets_business";
	return "unclassified";
}

bool
approval_edge_resubmission_valid(int32_t revision, const char *resubmitted_by)
{
	return revision >= 2 && resubmitted_by != NULL
	    && resubmitted_by[0] != '\0';
}
