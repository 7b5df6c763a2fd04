/*
 * The tables follow the enums' numbering in proto/sn/assist/v1/
 * household.proto; a test checks them against the generated values.
 */
#include "sn/assist.h"

#include <stddef.h>
#include <string.h>

static const char *const categories[] = { NULL, "tekun", "dibao",
	"expenditure", "low_income", "emergency", "none" };
static const char *const tiers[]      = { NULL, "core", "edge", "universal" };
static const char *const registrations[] = { NULL, "urban", "rural" };
static const char *const labours[]       = { NULL, "full", "partial", "none" };
static const char *const self_cares[]
    = { NULL, "able", "partially_able", "unable" };
static const char *const referrals[]
    = { NULL, "medical", "housing", "education", "employment" };

#define NAME(table, v)                                                        \
	((v) > 0 && (size_t) (v) < sizeof(table) / sizeof((table)[0])         \
	        ? (table)[(v)]                                                \
	        : NULL)

static int
parse(const char *const *table, size_t n, const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (strcmp(table[i], name) == 0)
			return (int) i;
	return 0;
}

const char *
sn_assist_category_name(int category)
{
	return NAME(categories, category);
}

int
sn_assist_category_parse(const char *name)
{
	return parse(
	    categories, sizeof(categories) / sizeof(categories[0]), name);
}

const char *
sn_assist_tier_name(int tier)
{
	return NAME(tiers, tier);
}

const char *
sn_assist_registration_name(int registration)
{
	return NAME(registrations, registration);
}

const char *
sn_assist_labour_name(int labour_capacity)
{
	return NAME(labours, labour_capacity);
}

const char *
sn_assist_self_care_name(int self_care)
{
	return NAME(self_cares, self_care);
}

const char *
sn_assist_referral_name(int referral)
{
	return NAME(referrals, referral);
}

int
sn_assist_referral_parse(const char *name)
{
	return parse(
	    referrals, sizeof(referrals) / sizeof(referrals[0]), name);
}
