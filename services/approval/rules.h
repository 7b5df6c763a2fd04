/*
 * rules.h - approval's pure policy (design section 6): classification into
 * the five categories and three tiers, the monthly amount, referrals to
 * special assistance, the gradual exit of a periodic review, the join of
 * a case's three inputs, the steps (who may review, confirm and file,
 * segregation of duties, the next stage, approve or reject, the
 * township's overrides), policy versions, the urban/rural ratio, the
 * register over time (review outcomes, death and moves, review dates,
 * re-rating, the ratio check of a new version, price linkage, standards
 * proposals) and dates.
 *
 * Pure functions: no I/O, clock, malloc or log; callable from any thread.
 * "Today" is always a parameter (the caller reads sn/clock.h). Money is
 * integer fen (sn_fen) and every product or sum is checked for overflow
 * (SN_ERANGE). The enums below carry the same numbers as their protobuf
 * counterparts in sn/assist/v1 (checked at compile time in handlers.c),
 * so values cross the boundary by a plain cast. A refusal is an
 * sn_problem (sn/problem.h) with the status and code the client sees.
 */
#ifndef APPROVAL_RULES_H
#define APPROVAL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/auth.h"
#include "sn/date.h"
#include "sn/err.h"
#include "sn/money.h"
#include "sn/problem.h"

/* The stages of a case (sn.assist.v1.Stage). */
typedef enum approval_stage {
	APPROVAL_STAGE_UNSPECIFIED      = 0,
	APPROVAL_STAGE_GATHERING        = 1, /* waiting for its inputs */
	APPROVAL_STAGE_HELD             = 2, /* verification incomplete */
	APPROVAL_STAGE_VILLAGE_REVIEW   = 3,
	APPROVAL_STAGE_TOWNSHIP_CONFIRM = 4,
	APPROVAL_STAGE_DISTRICT_FILING  = 5,
	APPROVAL_STAGE_FILED            = 6,
	APPROVAL_STAGE_REJECTED         = 7,
	APPROVAL_STAGE_RETURNED         = 8,
	APPROVAL_STAGE_WITHDRAWN        = 9,
} approval_stage;

#define APPROVAL_NSTAGES 10

/*
 * The stages' names as stored and shown ("GATHERING", ...), indexed by
 * approval_stage, [0] "" and NULL-ended: the names table of sn_rows
 * (SN_COL_ENUMOF) and of JSON.
 */
extern const char *const approval_stage_names[APPROVAL_NSTAGES + 1];

/* The name of s; "" for UNSPECIFIED or a value out of range. */
const char *approval_rules_stage_name(approval_stage s);
/* The stage named s; UNSPECIFIED for NULL or an unknown name. */
approval_stage approval_rules_stage_parse(const char *s);

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

/* "", "tekun", "dibao", "expenditure", "low_income", "emergency", "none",
 * NULL: indexed by approval_category, as stored (sn_rows names table). */
extern const char *const approval_category_names[];

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

/* The register's policy figures (of a policy version; defaults below). */
typedef struct approval_register_policy {
	int32_t review_months_dibao_stable;   /* members cannot work, stable
	                                       * income: 12 */
	int32_t review_months_dibao;          /* other dibao: 6 */
	int32_t review_months_tekun;          /* 12 */
	int32_t review_months_edge;           /* low_income, expenditure: 12 */
	int64_t cpi_threshold_permille;       /* 35: CPI >= 3.5 % y/y */
	int64_t food_cpi_threshold_permille;  /* 60: food CPI >= 6.0 % */
	sn_fen  price_subsidy_per_person_fen; /* per person per month */
} approval_register_policy;

/* The defaults of design section 6. The price subsidy per person is not
 * in the design: 5000 fen (50 yuan) stands until a version sets it. */
#define APPROVAL_REGISTER_POLICY_DEFAULT                                      \
	{                                                                     \
		.review_months_dibao_stable = 12, .review_months_dibao = 6,   \
		.review_months_tekun = 12, .review_months_edge = 12,          \
		.cpi_threshold_permille       = 35,                           \
		.food_cpi_threshold_permille  = 60,                           \
		.price_subsidy_per_person_fen = 5000                          \
	}

extern const approval_register_policy approval_register_policy_default;

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

/* ---- the join of a case's inputs ------------------------------------- */

/* What has arrived for a case still in GATHERING or HELD. Borrowed. */
typedef struct approval_join_state {
	approval_stage stage;        /* GATHERING or HELD */
	const char    *stage_reason; /* the hold's reason, "" if none */
	bool           has_verification;
	bool           verification_complete;
	const char    *missing; /* agencies that did not answer, as text */
	bool           investigation_in;
	bool has_policy; /* a version in force on the accepted date */
} approval_join_state;

typedef enum approval_join_action {
	APPROVAL_JOIN_WAIT,     /* nothing to do yet */
	APPROVAL_JOIN_HOLD,     /* to HELD with reason */
	APPROVAL_JOIN_RELEASE,  /* HELD back to GATHERING */
	APPROVAL_JOIN_CLASSIFY, /* everything is in: classify */
} approval_join_action;

typedef struct approval_join {
	approval_join_action action;
	char                 reason[512]; /* HOLD: why; "" otherwise */
} approval_join;

/*
 * What the case does with what it has, in this order: no verification
 * yet: WAIT; an incomplete one: HOLD ("verification incomplete: no
 * answer from <missing>"); no investigation yet: RELEASE when HELD (a
 * complete verification releases it), WAIT otherwise; no policy version
 * in force on the accepted date: HOLD; otherwise CLASSIFY. A HOLD with
 * the reason the case is already held for becomes WAIT (held once).
 */
void approval_rules_join(const approval_join_state *s, approval_join *out);

/* True if moving a case at stage (held for old_reason) to HELD for
 * reason changes anything: not when it is held for that reason already. */
bool approval_rules_hold_needed(
    approval_stage stage, const char *old_reason, const char *reason);

/* ---- the three steps ------------------------------------------------- */

typedef enum approval_step {
	APPROVAL_STEP_VILLAGE_REVIEW        = 0, /* 村居审核 */
	APPROVAL_STEP_TOWNSHIP_CONFIRMATION = 1, /* 镇街确认, the decision */
	APPROVAL_STEP_DISTRICT_FILING       = 2, /* 区级备案 */
} approval_step;

/* "village_review", "township_confirmation", "district_filing": as
 * recorded in case_actors and refusals. */
const char *approval_rules_step_name(approval_step s);

/* The stage at which the step acts: VILLAGE_REVIEW, TOWNSHIP_CONFIRM,
 * DISTRICT_FILING. */
approval_stage approval_rules_step_stage(approval_step s);

#define APPROVAL_MAX_LIST 64

/*
 * A case as the steps see it (store.h fills it). Strings and arrays are
 * borrowed from the store's result, valid during its callback only.
 */
typedef struct approval_case {
	const char    *case_id;
	approval_stage stage;
	const char    *district_code, *township_code, *village_code;
	const char    *taken_in_by;
	const char    *member_ids[APPROVAL_MAX_MEMBERS];
	size_t         nmembers;
	const char    *investigators[APPROVAL_MAX_LIST]; /* none: 0 */
	size_t         ninvestigators;
	const char    *actors[APPROVAL_MAX_LIST]; /* users who acted */
	size_t         nactors;
	/* The computation; UNSPECIFIED, 0 and "" before it. */
	approval_category category;
	sn_fen            monthly_amount_fen;
	sn_fen            tekun_amount_fen;
	sn_fen            dibao_amount_fen;
	unsigned          referrals; /* APPROVAL_REF_* bits */
	const char       *policy_version;
	/* A review of a household of the register (case_id = review_id)
	 * rather than an application; both ids "" for an application. */
	bool        is_review;
	const char *review_id, *beneficiary_id;
	/* The register figures of the version in force on the step's day
	 * (the next review date of a household entering the register). */
	approval_register_policy reg;
	/* The application.submitted protobuf as received (the rules do not
	 * read it); for a review, its household's application's. */
	const uint8_t *submitted;
	size_t         submitted_len;
	/* Issue 10: the application's revision (1, then 2, ... after each
	 * resubmission) and why the rules put it in no category ("" when
	 * they did; approval_edge_rule_reason). */
	int32_t     revision;
	const char *rule_reason;
} approval_case;

/*
 * Whether p may take step on c, checked in this order:
 *   403 outside_jurisdiction: the case's village (village review),
 *       township (confirmation) or district (filing) is not within p's
 *       jurisdiction (sn_auth_within);
 *   403 with approval_rules_duty_check's code: segregation of duties;
 *   409 wrong_stage: c is not at the step's stage.
 * True if p may; otherwise false with *prob set. A 403 is a refusal the
 * caller records (table refusals); a 409 is not.
 */
bool approval_rules_may_act(approval_step step, const sn_principal *p,
    const approval_case *c, sn_problem *prob);

/* What a step's body asks, checked by approval_rules_step_request. */
typedef struct approval_step_request {
	approval_step     step;
	bool              yes;      /* pass / approve; filing: true */
	const char       *reason;   /* "" when none; borrowed */
	approval_category category; /* township: UNSPECIFIED keeps the
	                             * computed category */
	bool        spot_check;     /* district filing */
	const char *note;           /* district filing; "" when none */
	/* Issue 10: the township returns the case (decision "return",
	 * yes false): RETURNED, to be amended and resubmitted. */
	bool returned;
} approval_step_request;

/*
 * Checks what the body asks of step before anything is read: decision
 * (NULL as "") is "pass" or "return" for the village review, "approve" or
 * "reject" for the confirmation (400 invalid_field, field decision); a
 * return or a rejection needs a reason (422 reason_required, field
 * reason); the confirmation's category (NULL as "") is "" or one of
 * tekun, dibao, expenditure, low_income (400 invalid_field). The filing
 * asks nothing. Sets r->step, r->yes and r->category; the caller fills
 * reason, spot_check and note first (reason "" when absent).
 */
bool approval_rules_step_request(approval_step step, const char *decision,
    const char *category, approval_step_request *r, sn_problem *prob);

/*
 * The stage after step: the village review passes to TOWNSHIP_CONFIRM or
 * returns (RETURNED); the confirmation approves (DISTRICT_FILING) or
 * rejects (REJECTED); the filing files (FILED, whatever yes says).
 */
approval_stage approval_rules_next_stage(approval_step step, bool yes);

/* The timeline's action for it: "village_passed", "village_returned",
 * "township_approved", "township_rejected", "district_filed". */
const char *approval_rules_step_action(approval_step step, bool yes);

/* Issue 10: the stage and the timeline's action of what r asks: those of
 * approval_rules_next_stage and approval_rules_step_action, but RETURNED
 * and "township_returned" for a township's return (r->returned). */
approval_stage approval_rules_request_stage(const approval_step_request *r);
const char    *approval_rules_request_action(const approval_step_request *r);

/* The township's decision. */
typedef struct approval_decision {
	bool              approved;
	approval_stage    to; /* DISTRICT_FILING or REJECTED */
	approval_category category;
	approval_tier     tier;
	sn_fen            monthly_amount_fen; /* 0 when rejected */
	unsigned          referrals; /* the case's when approved, else 0 */
	sn_month          effective_month; /* the month after today */
} approval_decision;

/*
 * The township's confirmation of c as r asks (design section 6,
 * overrides): the category is the computed one unless r asks another,
 * which needs a written reason (422 reason_required, field reason);
 * approving needs a category other than none (422 not_eligible, field
 * category); the amount is the computed one for the computed category,
 * the case's tekun or dibao amount when the township moves the household
 * there, 0 for another category and for a rejection; the benefit runs
 * from the month after today. True with *out set, or false with *prob.
 */
bool approval_rules_township(const approval_step_request *r,
    const approval_case *c, sn_date today, approval_decision *out,
    sn_problem *prob);

/* The month after the date's month: 2026-11-29 -> 2026-12. */
sn_month approval_rules_effective_month(sn_date decided);

/* ---- policy versions ------------------------------------------------- */

/* One figure of a version: its JSON member and column name, where it is
 * in approval_policy, and its least value (the table's CHECKs). */
typedef struct approval_policy_field {
	const char *name;
	size_t      offset; /* of an int64_t / sn_fen in approval_policy */
	int64_t     min;
} approval_policy_field;

#define APPROVAL_POLICY_NFIELDS 11
extern const approval_policy_field
    approval_policy_fields[APPROVAL_POLICY_NFIELDS];

/* A version and the day it applies from: approval_policy_version, below
 * (with the register's figures). */
typedef struct approval_policy_version approval_policy_version;

/* True if a version name is 1 to 31 of A-Z a-z 0-9 . _ - */
bool approval_rules_version_valid(const char *s);

/* What is stored already, against a version being added. */
typedef struct approval_policy_taken {
	int64_t versions;      /* versions so far */
	bool    version_taken; /* one has this name */
	bool    date_taken;    /* one starts on this date */
	/* The version before the one being added (the latest starting
	 * before its date), for approval_rules_ratio_check: has_prev false
	 * when there is none. Not read by approval_rules_policy_add. */
	bool   has_prev;
	sn_fen prev_urban_min_fen;
	sn_fen prev_rural_min_fen;
	/* The register figures of the version in force today (the defaults
	 * of a new version's); has_in_force false: none in force. */
	bool                     has_in_force;
	approval_register_policy in_force;
} approval_policy_taken;

/*
 * Whether a version starting on from may be added: 409 version_exists
 * (field version), 409 date_taken (field effective_from), or 409
 * policy_in_force (field effective_from) when versions exist and from is
 * on or before today (a standard in force never changes).
 */
bool approval_rules_policy_add(const approval_policy_taken *t, sn_date from,
    sn_date today, sn_problem *prob);

/* The index of the version in force on day: the latest effective_from on
 * or before it; -1 when none. v is in any order; n may be 0. */
ptrdiff_t approval_rules_in_force(
    const approval_policy_version *v, size_t n, sn_date day);

/* ---- the register over time (design section 6, issue 9) ------------ */

/* A household's standing in the register (sn.assist.v1.BeneficiaryStatus,
 * same numbers). */
typedef enum approval_standing {
	APPROVAL_STANDING_UNSPECIFIED  = 0,
	APPROVAL_STANDING_ACTIVE       = 1,
	APPROVAL_STANDING_GRADUAL_EXIT = 2, /* paid until until_month */
	APPROVAL_STANDING_EXITED       = 3,
	APPROVAL_STANDING_SUSPENDED    = 4, /* kept, paid nothing */
} approval_standing;

/* Why a household's standing changed (sn.assist.v1.ChangeCause, same
 * numbers). */
typedef enum approval_cause {
	APPROVAL_CAUSE_UNSPECIFIED   = 0,
	APPROVAL_CAUSE_DECISION      = 1,
	APPROVAL_CAUSE_REVIEW        = 2,
	APPROVAL_CAUSE_CHANGE_REPORT = 3,
	APPROVAL_CAUSE_RERATING      = 4,
	APPROVAL_CAUSE_EXIT          = 5, /* exit at review, or gradual end */
	APPROVAL_CAUSE_DEATH         = 6,
	APPROVAL_CAUSE_MOVED         = 7, /* moved out of the district */
	APPROVAL_CAUSE_SUSPENSION    = 8,
	APPROVAL_CAUSE_REPLACED      = 9, /* issue 10: a new decision on an
	                                   * edge household replaced it */
} approval_cause;

/* A household's entry in the register, as the rules read it. */
typedef struct approval_entry {
	approval_category category;
	approval_tier     tier;
	sn_fen            monthly_amount_fen;
	approval_standing standing;
	sn_month until_month; /* GRADUAL_EXIT: its last month paid; else
	                       * ignored */
} approval_entry;

/* What a change does. */
typedef enum approval_outcome {
	APPROVAL_OUTCOME_UNCHANGED = 0, /* nothing to publish */
	APPROVAL_OUTCOME_STAYS,         /* active, amount recomputed */
	APPROVAL_OUTCOME_RETURNS,       /* gradual exit back to active */
	APPROVAL_OUTCOME_GRADUAL,       /* 渐退: amount kept until until */
	APPROVAL_OUTCOME_EXIT,          /* paid until until, then exited */
	APPROVAL_OUTCOME_RERATED,       /* a new standard's amount */
} approval_outcome;

/*
 * A change of an entry: the entry after it and when. first_month is the
 * first month the new amount or standing applies to (for an exit, the
 * first month not paid); until_month the last month paid ({0, 0}: open).
 * changed is false when the entry after equals the one before (no
 * beneficiary.changed to publish).
 */
typedef struct approval_change {
	approval_outcome  outcome;
	approval_cause    cause;
	bool              changed;
	approval_category category;
	approval_tier     tier;
	approval_standing standing;
	sn_fen            old_amount_fen;
	sn_fen            amount_fen;
	sn_month          first_month;
	sn_month          until_month;
	sn_fen            standard_fen;       /* S */
	sn_fen            net_per_member_fen; /* C = G - D */
} approval_change;

/*
 * The outcome of a review (periodic: cause REVIEW; unscheduled:
 * CHANGE_REPORT) decided in month decided, from the facts at review h
 * (D = rigid expenditure and employment costs per member, no longer
 * zeroed) under policy p, for entry e (ACTIVE or GRADUAL_EXIT). In this
 * order:
 *   a tekun entry whose members all still lack labour capacity, with no
 *     income and no able supporter: STAYS with the tekun amount; one
 *     that no longer does (a member gained labour capacity, income, a
 *     legal supporter able to support) loses the tekun standing and
 *     goes through the dibao table as dibao;
 *   a low_income or expenditure entry: classify's category; NONE exits,
 *     dibao goes through the dibao table, others STAY (tekun amount, or
 *     0);
 *   the dibao table, C against S:
 *     C <= S: STAYS (RETURNS from GRADUAL_EXIT) from decided + 1, amount
 *       (S - max(C, 0)) x members rounded up to whole yuan;
 *     S < C < 2S: GRADUAL from decided + 1, category and amount kept
 *       (the benefit and its linked support unchanged), until decided +
 *       6 (APPROVAL_GRADUAL_EXIT_MONTHS from the month after: decided
 *       2026-09, last paid 2027-03); a household already in gradual
 *       exit keeps its until month (UNCHANGED);
 *     C >= 2S: EXIT, until decided, cause EXIT.
 * STAYS/RETURNS has changed false when category, amount and standing
 * are those of e. An exit has amount 0, standing EXITED, first month
 * decided + 1. The assets are not tested again (the design's review
 * table reads C only).
 * SN_EINVAL for an entry neither ACTIVE nor GRADUAL_EXIT or a household
 * classify refuses; SN_ERANGE on overflow. *out written only on SN_OK.
 */
sn_err approval_rules_review(const approval_policy *p,
    const approval_household *h, const approval_entry *e, sn_month decided,
    approval_cause cause, approval_change *out);

/*
 * A death in month died. after is the household without the deceased;
 * NULL or no members: the last member died, EXIT until died (the end of
 * the month of death), cause DEATH. Otherwise the remaining members are
 * re-rated from died + 1 as a review would (approval_rules_review), the
 * cause DEATH whatever the outcome.
 */
sn_err approval_rules_death(const approval_policy *p,
    const approval_household *after, const approval_entry *e, sn_month died,
    approval_change *out);

/* A move out of the district in month moved: EXIT until moved, cause
 * MOVED. SN_EINVAL for an entry already EXITED. */
sn_err approval_rules_moved(
    const approval_entry *e, sn_month moved, approval_change *out);

/* A gradual exit whose until month is before month now ends: EXIT, cause
 * EXIT, until kept, first month until + 1. Otherwise UNCHANGED. */
void approval_rules_gradual_end(
    const approval_entry *e, sn_month now, approval_change *out);

/* One register figure of a version (migration 006): its JSON member and
 * column name, where it is in approval_register_policy (an int32_t when
 * is32, else an int64_t / sn_fen), and its bounds (the table's CHECKs). */
typedef struct approval_register_field {
	const char *name;
	size_t      offset;
	bool        is32;
	int64_t     min, max;
} approval_register_field;

#define APPROVAL_REGISTER_NFIELDS 7
extern const approval_register_field
    approval_register_fields[APPROVAL_REGISTER_NFIELDS];

/* Field f of rp as an integer; sets it (in its bounds, checked by the
 * caller). */
int64_t approval_register_field_get(
    const approval_register_policy *rp, const approval_register_field *f);
void approval_register_field_set(
    approval_register_policy *rp, const approval_register_field *f, int64_t v);

/* A policy version: its standards, the day it applies from, and its
 * register figures (review periods, price linkage). */
struct approval_policy_version {
	approval_policy          policy;
	sn_date                  effective_from;
	approval_register_policy reg;
	/* Issue 10: the override reasons a version is added with (a JSON
	 * array [{code, label}], borrowed; NULL: the previous version's).
	 * Only adding reads it: reads leave it NULL. */
	const char *override_reasons_json;
};

/* A household's monthly incomes by source, whole household (Income). */
typedef struct approval_income {
	sn_fen wages_fen;
	sn_fen business_fen;
	sn_fen pensions_fen;
	sn_fen other_fen;
} approval_income;

/* Stable income: no wages and no business income (only pensions and
 * other income, or none). */
bool approval_rules_income_stable(const approval_income *inc);

/*
 * The next review date of an entry decided on decided (sn_date_add_months:
 * a day past the month's end becomes its last day): GRADUAL_EXIT: the
 * last day of its until month; tekun: review_months_tekun; dibao:
 * review_months_dibao_stable when every one of the n members has labour
 * NONE and the income is stable, review_months_dibao otherwise;
 * low_income and expenditure: review_months_edge. SN_EINVAL for another
 * category or standing EXITED.
 */
sn_err approval_rules_next_review(const approval_register_policy *rp,
    const approval_entry *e, const approval_member *members, size_t n,
    const approval_income *inc, sn_date decided, sn_date *out);

/*
 * Re-rating: the version p effective from month from re-rates an ACTIVE
 * entry from the same facts h: tekun the tekun amount, dibao (S -
 * max(C, 0)) x members rounded up to whole yuan (0 when C >= S: a
 * re-rating exits nobody, a review does), low_income and expenditure 0.
 * RERATED (cause RERATING, first month from) or UNCHANGED when the amount
 * is the same; an entry not ACTIVE (gradual exit keeps its amount) is
 * UNCHANGED. SN_EINVAL / SN_ERANGE as classify.
 */
sn_err approval_rules_rerate(const approval_policy *p,
    const approval_household *h, const approval_entry *e, sn_month from,
    approval_change *out);

/* urban / rural in per mille, rounded half up: 83000 / 63000 -> 1317.
 * SN_EINVAL when either is <= 0; SN_ERANGE on overflow. */
sn_err approval_rules_ratio_permille(sn_fen urban, sn_fen rural, int64_t *out);

/*
 * The urban/rural check of a new version (同步调整): urban and rural
 * (0: not stated) must both be stated (422 missing_field, field
 * urban_min_fen or rural_min_fen); *ratio gets their ratio per mille. A
 * ratio above the previous version's (prev NULL: the first version, no
 * comparison), compared per mille as reported, is refused (409
 * ratio_rises, field rural_min_fen) unless forced with a reason (422
 * reason_required, field reason, when forced without one). reason NULL
 * is "". Figures whose ratio overflows: 422 out_of_range; a previous
 * version whose ratio cannot be computed is not compared. True if the
 * version may be added (*ratio set whenever both are stated).
 */
bool approval_rules_ratio_check(sn_fen urban, sn_fen rural,
    const approval_policy *prev, bool forced, const char *reason,
    int64_t *ratio, sn_problem *prob);

/* A month's price linkage (物价上涨挂钩联动). */
typedef struct approval_price_subsidy {
	bool     applies;        /* the condition holds this month */
	sn_fen   per_person_fen; /* 0 when not */
	unsigned categories;     /* bits (1u << category): dibao, tekun,
	                          * low_income; 0 when not */
} approval_price_subsidy;

/*
 * The month's subsidy from that month's indices (year on year, per
 * mille): it applies when cpi >= cpi_threshold or food_cpi >=
 * food_cpi_threshold, and only then; each month stands alone, so it
 * stops the first month the condition no longer holds.
 */
void approval_rules_price_linkage(const approval_register_policy *rp,
    int64_t cpi_permille, int64_t food_cpi_permille,
    approval_price_subsidy *out);

/* What a household of category c with n members gets from s: per person
 * x n when s applies and lists c, else 0. SN_ERANGE on overflow. */
sn_err approval_rules_price_amount(const approval_price_subsidy *s,
    approval_category c, size_t n, sn_fen *out);

/*
 * A standards proposal: from the average consumption per person per
 * month (fen, urban, the statistics bureau's figure) and a chosen share
 * (per mille, 1..1000):
 *   urban = ceil_yuan(ceil(consumption x share / 1000))
 *   rural = ceil_yuan(ceil(urban x cur_rural / cur_urban))
 * so the current ratio is kept; rounding rural up means the proposed
 * ratio never rises above the current one. SN_EINVAL for a figure <= 0 or
 * a share outside 1..1000; SN_ERANGE on overflow.
 */
sn_err approval_rules_propose(sn_fen consumption_fen, int64_t share_permille,
    sn_fen cur_urban, sn_fen cur_rural, sn_fen *urban, sn_fen *rural);

/* ---- a review as a case (issue 9) ------------------------------------ */

/* "unchanged", "stays", "returns", "gradual_exit", "exit", "rerated"; ""
 * out of range: as GET /cases/{id} shows review_outcome.outcome. */
const char *approval_rules_outcome_name(approval_outcome o);

/* What a reported change was (sn.assist.v1.ChangeKind, same numbers). */
typedef enum approval_change_kind {
	APPROVAL_CHANGE_NONE        = 0, /* a periodic review: no change */
	APPROVAL_CHANGE_MEMBERS     = 1,
	APPROVAL_CHANGE_INCOME      = 2,
	APPROVAL_CHANGE_EXPENDITURE = 3,
	APPROVAL_CHANGE_ADDRESS     = 4,
	APPROVAL_CHANGE_DEATH       = 5,
	APPROVAL_CHANGE_MOVED_OUT   = 6,
} approval_change_kind;

/*
 * The outcome of a review decided in month decided: a death
 * (approval_rules_death, h the household without the deceased: no
 * members when it was the last), a move out of the district
 * (approval_rules_moved), otherwise approval_rules_review with cause
 * REVIEW for a periodic review (scheduled true) and CHANGE_REPORT for an
 * unscheduled one. Errors as those functions.
 */
sn_err approval_rules_review_case(const approval_policy *p,
    const approval_household *h, const approval_entry *e, sn_month decided,
    bool scheduled, approval_change_kind kind, approval_change *out);

/* The months a signed consent lets verification ask the agencies for a
 * review (verification's VERIFICATION_CONSENT_MONTHS). */
#define APPROVAL_CONSENT_MONTHS 12

/*
 * The reason a review case is held for an incomplete verification:
 * when the consent on file (signed on signed, has_signed false: none or
 * no date) had lapsed by the day the review opened, it says so and that
 * a new consent is needed (verification asked no agency); otherwise the
 * join's reason (approval_rules_join). out holds 512 bytes.
 */
void approval_rules_review_hold_reason(bool has_signed, sn_date signed_on,
    sn_date opened, const char *missing, char out[512]);

/* ---- dates and names ------------------------------------------------- */

/* Parses "YYYY-MM-DD" naming a real calendar date of the years 1900-9999
 * (sn_date_parse, and the years this service accepts); false otherwise,
 * *out untouched. */
bool approval_rules_date_parse(const char *s, sn_date *out);

/* Names: "tekun", "dibao", "expenditure", "low_income", "emergency",
 * "none"; "" for UNSPECIFIED. Parse returns UNSPECIFIED for unknown. */
const char       *approval_rules_category_name(approval_category c);
approval_category approval_rules_category_parse(const char *s);
/* "core", "edge", "universal"; "" for UNSPECIFIED. */
const char *approval_rules_tier_name(approval_tier t);

#endif /* APPROVAL_RULES_H */
