/*
 * rules.h - approval's pure policy (design section 6): classification into
 * the five categories and three tiers, the monthly amount, referrals to
 * special assistance, the gradual exit of a periodic review, segregation
 * of duties, the urban/rural ratio and date checks.
 *
 * Pure functions: no I/O, clock, malloc or log; callable from any thread.
 * Money is integer fen (sn_fen) and every product or sum is checked for
 * overflow (SN_ERANGE). The enums below carry the same numbers as their
 * protobuf counterparts in sn/assist/v1 (checked at compile time in
 * handlers.c), so values cross the boundary by a plain cast.
 */
#ifndef APPROVAL_RULES_H
#define APPROVAL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"
#include "sn/money.h"

typedef enum approval_registration {
	APPROVAL_REG_UNSPECIFIED = 0,
	APPROVAL_REG_URBAN       = 1,
	APPROVAL_REG_RURAL       = 2,
} approval_registration;

typedef enum approval_labour {
	APPROVAL_LABOUR_UNSPECIFIED = 0,
	APPROVAL_LABOUR_FULL        = 1,
	APPROVAL_LABOUR_PARTIAL     = 2,
	APPROVAL_LABOUR_NONE        = 3,
} approval_labour;

typedef enum approval_self_care {
	APPROVAL_CARE_UNSPECIFIED    = 0, /* read as able */
	APPROVAL_CARE_ABLE           = 1,
	APPROVAL_CARE_PARTIALLY_ABLE = 2,
	APPROVAL_CARE_UNABLE         = 3,
} approval_self_care;

typedef enum approval_category {
	APPROVAL_CAT_UNSPECIFIED = 0,
	APPROVAL_CAT_TEKUN       = 1,
	APPROVAL_CAT_DIBAO       = 2,
	APPROVAL_CAT_EXPENDITURE = 3,
	APPROVAL_CAT_LOW_INCOME  = 4,
	APPROVAL_CAT_EMERGENCY   = 5,
	APPROVAL_CAT_NONE        = 6,
} approval_category;

typedef enum approval_tier {
	APPROVAL_TIER_UNSPECIFIED = 0,
	APPROVAL_TIER_CORE        = 1,
	APPROVAL_TIER_EDGE        = 2,
	APPROVAL_TIER_UNIVERSAL   = 3,
} approval_tier;

/* Referral bits; bit (1 << r) for the protobuf Referral value r. */
#define APPROVAL_REF_MEDICAL (1u << 1)
#define APPROVAL_REF_HOUSING (1u << 2)
#define APPROVAL_REF_EDUCATION (1u << 3)
#define APPROVAL_REF_EMPLOYMENT (1u << 4)

/* Asset test failures, bits of approval_result.asset_failures. */
#define APPROVAL_ASSET_FINANCIAL (1u << 0)
#define APPROVAL_ASSET_HOMES (1u << 1)
#define APPROVAL_ASSET_VEHICLE (1u << 2)
#define APPROVAL_ASSET_BUSINESS (1u << 3)

/* One policy version (the policy_version table). All fen per person per
 * month; factor in percent; multiple is of S. */
typedef struct approval_policy {
	char    version[32];
	sn_fen  urban_min_fen;   /* 低保标准, urban */
	sn_fen  rural_min_fen;   /* 低保标准, rural */
	sn_fen  urban_basic_fen; /* 特困 basic living standard, urban */
	sn_fen  rural_basic_fen;
	sn_fen  care_able_fen; /* care standards, urban = rural */
	sn_fen  care_partially_able_fen;
	sn_fen  care_unable_fen;
	int64_t low_income_factor_percent; /* 150 */
	int64_t asset_multiple;            /* 24: financial assets <= 24 S */
	int64_t max_homes;                 /* 1 */
	sn_fen  business_capital_limit_fen;
} approval_policy;

typedef struct approval_member {
	approval_labour    labour;
	approval_self_care self_care;
} approval_member;

#define APPROVAL_MAX_MEMBERS 64

/* What classification reads: the household, its declaration, and the
 * verified facts (HouseholdFacts). members is borrowed. */
typedef struct approval_household {
	approval_registration  registration;
	bool                   has_able_supporter;
	size_t                 nmembers; /* 1..APPROVAL_MAX_MEMBERS */
	const approval_member *members;
	/* declared, whole household, monthly */
	sn_fen declared_wages_fen;
	sn_fen declared_medical_fen;
	sn_fen declared_education_fen;
	sn_fen declared_housing_fen;
	/* verified facts */
	sn_fen  gross_income_fen;                 /* whole household */
	sn_fen  income_per_member_fen;            /* G */
	sn_fen  rigid_expenditure_per_member_fen; /* D */
	sn_fen  financial_assets_per_member_fen;
	int64_t homes;
	int64_t vehicles; /* not counting exempt ones */
	sn_fen  business_capital_fen;
} approval_household;

typedef struct approval_result {
	approval_category category; /* APPROVAL_CAT_NONE: not eligible */
	approval_tier     tier;     /* UNSPECIFIED with NONE */
	sn_fen            monthly_amount_fen;
	unsigned          referrals;          /* APPROVAL_REF_* bits */
	sn_fen            standard_fen;       /* S */
	sn_fen            net_per_member_fen; /* C = G - D */
	bool              assets_pass;
	unsigned          asset_failures;  /* APPROVAL_ASSET_* bits */
	sn_fen            asset_limit_fen; /* asset_multiple x S */
	/* What each core category would pay, whatever the category: the
	 * township may change the category (with a written reason). */
	sn_fen tekun_amount_fen;
	sn_fen dibao_amount_fen;
} approval_result;

/*
 * Classifies h under p into *out (design section 6, in this order):
 *   tekun (core): every member labour NONE, gross income 0, no able
 *     supporter, assets pass; amount = sum over members of (basic living
 *     standard for the registration + care standard by self-care);
 *   dibao (core): G < S, assets pass; amount = (S - G) x members rounded
 *     up to whole yuan;
 *   expenditure (edge): G >= S and C < S; amount 0;
 *   low_income (edge): 100 C <= factor x S, assets pass; amount 0;
 *   otherwise NONE.
 * Assets pass: financial assets per member <= multiple x S, homes <=
 * max_homes, no non-exempt vehicle, business capital <= limit.
 * Referrals (every category but NONE): MEDICAL, EDUCATION, HOUSING when
 * that declared expenditure is > 0; EMPLOYMENT when a member has FULL or
 * PARTIAL labour capacity and declared wages are 0.
 * SN_EINVAL for a registration other than urban/rural, no members or
 * too many, or a negative figure; SN_ERANGE on overflow. *out is written
 * only on SN_OK.
 */
sn_err approval_rules_classify(const approval_policy *p,
    const approval_household *h, approval_result *out);

/* The tier of a category: tekun and dibao core, expenditure and
 * low_income edge, emergency universal, others UNSPECIFIED. */
approval_tier approval_rules_tier(approval_category c);

/* What a periodic review does to a dibao household (gradual exit). */
typedef enum approval_exit {
	APPROVAL_EXIT_STAYS = 0,    /* C <= S */
	APPROVAL_EXIT_GRADUAL,      /* S < C < 2S: keep 6 months, then exit */
	APPROVAL_EXIT_END_OF_MONTH, /* C >= 2S */
} approval_exit;

#define APPROVAL_GRADUAL_EXIT_MONTHS 6

/* The gradual-exit rule for standard s and net income per member c.
 * SN_ERANGE if 2s overflows. */
sn_err approval_rules_exit(sn_fen s, sn_fen c, approval_exit *out);

/*
 * The urban/rural ratio with two decimals, rounded half up, computed with
 * integers: 83000 / 63000 -> "1.32". buf holds at least 32 bytes.
 * SN_EINVAL when rural <= 0 or urban < 0; SN_ERANGE on overflow.
 */
sn_err approval_rules_ratio(sn_fen urban, sn_fen rural, char buf[32]);

/* Segregation of duties: what a user brings to a step on a case. All
 * strings borrowed; arrays of n strings. */
typedef struct approval_duty {
	const char        *user;      /* principal user */
	const char        *id_number; /* principal's own id number, or "" */
	const char        *taken_in_by;
	const char *const *actors; /* users who already acted */
	size_t             nactors;
	const char *const *investigators;
	size_t             ninvestigators;
	const char *const *member_ids;
	size_t             nmembers;
} approval_duty;

/*
 * NULL if the user may act; otherwise the refusal code, checked in this
 * order: "already_acted", "took_in_application", "visited_home",
 * "household_member". A static string.
 */
const char *approval_rules_duty_check(const approval_duty *d);

/* True for "YYYY-MM-DD" naming a real calendar date (years 1900-9999). */
bool approval_rules_date_valid(const char *s);

/* The month after the date's month: "2026-11-29" -> "2026-12" (buf of at
 * least 8 bytes). SN_EINVAL for an invalid date. */
sn_err approval_rules_next_month(const char *date, char buf[8]);

/* Names: "tekun", "dibao", "expenditure", "low_income", "emergency",
 * "none"; "" for UNSPECIFIED. Parse returns UNSPECIFIED for unknown. */
const char       *approval_rules_category_name(approval_category c);
approval_category approval_rules_category_parse(const char *s);
/* "core", "edge", "universal"; "" for UNSPECIFIED. */
const char *approval_rules_tier_name(approval_tier t);

#endif /* APPROVAL_RULES_H */
