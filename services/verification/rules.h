/*
 * verification/rules.h - the household's economic facts from the
 * agencies' answers (design section 6; issue 3 "verification").
 *
 * Pure: structs in, result out. No I/O, no clock, no allocation, no log;
 * callable from any thread.
 *
 * The facts, per household and per month, in fen:
 *   gross income  per source, the larger of what the household declares
 *                 and what the agencies report (design section 6; issue
 *                 10). The sources and who sees them (the table `sources`
 *                 in rules.c):
 *
 *     source            declared field    reported by
 *     wages             wages_fen         human resources (wages), tax
 *     pensions          pensions_fen      human resources (pension)
 *     business income   business_fen      tax (taxed income); market
 *                                         reports capital, not income
 *     unemployment      (none)            human resources, as reported
 *     other income      other_fen         nobody: as declared
 *     agricultural      agricultural_fen  nobody: as declared
 *     relatives' support support_fen      nobody: as declared
 *
 *                 wages W = max(declared, sum of HR wages); pensions
 *                 P = max(declared, sum of HR pensions); business B =
 *                 declared. Tax's taxed income covers wages, pensions
 *                 and business together: the employment income is
 *                 max(W + P + B, sum over members of max(taxed income,
 *                 wages + pension)), so income tax sees and the
 *                 declaration omits still counts. Then unemployment
 *                 benefit as reported, and other, agricultural and
 *                 support income as declared. The provident fund's
 *                 monthly deposit is not income. A review without a
 *                 declaration (has_declaration false) counts what the
 *                 agencies report.
 *   G             floor(gross / members)
 *   D             floor(declared medical + education + housing +
 *                 employment costs / members): agencies report no
 *                 expenditure; the home visit checks the declaration.
 *   C             G - D (may be negative)
 *   financial assets  deposits + financial assets [banks], household
 *                 total; per member floor(total / members). The
 *                 provident fund balance is NOT counted: it can only be
 *                 drawn for housing or at retirement, so it is not money
 *                 the household can live on (policy's "24 x S" test is
 *                 on liquid assets).
 *   homes, vehicles (non-exempt), exempt vehicles: household totals.
 *   business capital: the largest member's registered capital [market].
 *   deceased members: members public security reports not alive.
 *   all_registered: every member is in the household register.
 *
 * Status: COMPLETE only when all eight agencies answered; otherwise
 * INCOMPLETE naming the missing ones, and NO facts are produced
 * (has_facts false): a missing agency is never read as zero income or
 * zero assets.
 *
 * Discrepancies (declared vs reported, whole household, only from
 * agencies that answered; one entry per field whenever they differ):
 *   wages_fen        declared wages      vs sum of wages (human_resources)
 *   pensions_fen     declared pensions   vs sum of pensions (human_resources)
 *   taxed_income_fen declared wages + business vs sum of taxed income (tax)
 *   business_fen     declared business income vs registered capital
 *                    (market), when one side says "a business" and the
 *                    other says none (market reports capital, not income,
 *                    so only presence is compared).
 */
#ifndef VERIFICATION_RULES_H
#define VERIFICATION_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/date.h"
#include "sn/err.h"

/* The agencies, in the order of the protocol's enum (value = index + 1). */
typedef enum verification_agency {
	VERIFICATION_PUBLIC_SECURITY = 0,
	VERIFICATION_HUMAN_RESOURCES,
	VERIFICATION_HOUSING,
	VERIFICATION_VEHICLES,
	VERIFICATION_MARKET,
	VERIFICATION_TAX,
	VERIFICATION_BANKS,
	VERIFICATION_PROVIDENT_FUND,
	VERIFICATION_NAGENCIES
} verification_agency;

/* Where a check stands (checks.status). */
typedef enum verification_status {
	VERIFICATION_PENDING = 0, /* a round is due */
	VERIFICATION_COMPLETE,    /* every agency answered */
	VERIFICATION_INCOMPLETE,  /* some agency did not: never zeros */
	VERIFICATION_CANCELLED,   /* withdrawn, or a newer revision came */
} verification_status;

/* Largest household handled (members per application). */
#define VERIFICATION_MAX_MEMBERS 64

/* Largest money figure an agency may report for one person, in fen
 * (10^13 fen = 100 billion yuan); larger is a malformed answer. With
 * VERIFICATION_MAX_MEMBERS no sum can overflow. */
#define VERIFICATION_MAX_FEN INT64_C(10000000000000)
/* Largest count (homes, vehicles, businesses) for one person. */
#define VERIFICATION_MAX_COUNT 10000

/* "public_security", ...; NULL for an out-of-range value. */
const char *verification_agency_name(int agency);
/* The agency whose name is name; -1 if none. */
int verification_agency_from_name(const char *name);
/* "PUBLIC_SECURITY", ... (for SN_AGENCY_<X>_URL); NULL if out of range. */
const char *verification_agency_env(int agency);

/* What the agencies say about one member; fields of agencies that did
 * not answer are ignored. */
typedef struct verification_person {
	bool    registered, alive;      /* public security */
	int64_t wages_fen, pension_fen; /* human resources */
	int64_t unemployment_fen;
	bool    social_insurance;
	int32_t homes;                     /* housing */
	int32_t vehicles, exempt_vehicles; /* vehicles */
	int32_t businesses;                /* market */
	int64_t business_capital_fen;
	int64_t taxed_income_fen;               /* tax */
	int64_t deposits_fen, financial_fen;    /* banks */
	int64_t pf_balance_fen, pf_monthly_fen; /* provident fund */
} verification_person;

/* The household's declaration (monthly, whole household, fen). */
typedef struct verification_declared {
	int64_t wages_fen, business_fen, pensions_fen, other_fen;
	int64_t agricultural_fen, support_fen; /* issue 10: nobody reports */
	int64_t medical_fen, education_fen, housing_fen, employment_fen;
} verification_declared;

typedef struct verification_input {
	int members; /* 1..VERIFICATION_MAX_MEMBERS */
	/* false for a review whose event declares no income (a periodic
	 * one): nothing is compared. */
	bool has_declaration;
	/* the rigid expenditure was declared (an application, or a review
	 * carrying declared_expenditure): D is deducted from it. When
	 * neither flag is set D is 0. */
	bool                       has_expenditure;
	verification_declared      declared;
	bool                       answered[VERIFICATION_NAGENCIES];
	const verification_person *persons; /* members entries */
} verification_input;

typedef struct verification_facts {
	int32_t members;
	int64_t gross_income_fen;
	int64_t income_per_member_fen;            /* G */
	int64_t rigid_expenditure_per_member_fen; /* D */
	int64_t net_per_member_fen;               /* C */
	int64_t financial_assets_fen;
	int64_t financial_assets_per_member_fen;
	int32_t homes, vehicles, exempt_vehicles;
	int64_t business_capital_fen;
	int32_t deceased_members;
	bool    all_registered;
} verification_facts;

typedef struct verification_discrepancy {
	const char *field; /* static string */
	int64_t     declared_fen;
	int64_t     reported_fen;
	int         agency; /* verification_agency */
} verification_discrepancy;

#define VERIFICATION_MAX_DISCREPANCIES 8

typedef struct verification_result {
	bool                     complete;
	int                      nmissing;
	int                      missing[VERIFICATION_NAGENCIES];
	bool                     has_facts; /* == complete */
	verification_facts       facts;
	int                      ndiscrepancies;
	verification_discrepancy discrepancies[VERIFICATION_MAX_DISCREPANCIES];
} verification_result;

/* Longest application id and consent reference an event may carry. */
#define VERIFICATION_ID_MAX 127

/* A household as an incoming event (application.submitted,
 * review.requested) names it. Strings borrowed; NULL codes mean the
 * event carries no household. */
typedef struct verification_household_in {
	const char        *application_id;
	const char        *consent_reference; /* "" when none */
	const char        *district_code, *township_code, *village_code;
	const char *const *ids; /* members' identity numbers */
	size_t             nids;
} verification_household_in;

/*
 * True if the event may open a check: an application id of 1 to
 * VERIFICATION_ID_MAX bytes, a consent reference of at most as many,
 * division codes that nest (district 6 digits, township 9 starting with
 * it, village 12 starting with the township), and 1 to
 * VERIFICATION_MAX_MEMBERS members, each with a valid identity number.
 */
bool verification_rules_household_valid(const verification_household_in *h);

/* True if every declared figure is within 0..VERIFICATION_MAX_FEN. */
bool verification_rules_declared_valid(const verification_declared *d);

/* How a new check starts (verification_rules_admit). */
typedef struct verification_admission {
	bool                ask;     /* the agencies are asked */
	verification_status status;  /* PENDING, or INCOMPLETE unasked */
	int                 attempt; /* 0, or 1 for a check never asked */
	const char         *reason;  /* static; "" when asked */
} verification_admission;

/*
 * No agency is asked without the household's consent: a check without a
 * consent reference is recorded INCOMPLETE at attempt 1 with every agency
 * missing, and published at once; any other check is PENDING.
 */
verification_admission verification_rules_admit(const char *consent_reference);

/* A consent lapses this many months after it was signed. */
#define VERIFICATION_CONSENT_MONTHS 12

/*
 * A review re-checks the household under the consent already on file
 * (ReviewRequested.consent). The consent has expired when it was signed
 * more than VERIFICATION_CONSENT_MONTHS months before the review was
 * opened: signed 2025-03-10, it still covers a review opened on
 * 2026-03-10 and no longer one opened on 2026-03-11 (a day past the end
 * of the month clamps: signed 2024-02-29, it covers up to 2025-02-28).
 * A missing reference, a signed date that is not YYYY-MM-DD, or an
 * expired consent asks no agency: INCOMPLETE at attempt 1 with every
 * agency missing, and the reason says which (never read as zero
 * income); otherwise as verification_rules_admit. signed_date may be
 * NULL (none).
 */
verification_admission verification_rules_admit_review(
    const char *consent_reference, const char *signed_date, sn_date opened_on);

/* What a finished round leads to (verification_rules_round_next). */
typedef struct verification_round_next {
	verification_status status;   /* COMPLETE or INCOMPLETE */
	bool                publish;  /* verification.completed now */
	int64_t             retry_ms; /* next round after this; -1: none */
} verification_round_next;

/*
 * Round attempt (1 for the first) ended complete or not. Round 1 is
 * always published; a later round only when it completes (an incomplete
 * retry is recorded, not published again), or when an officer asked for
 * it (requested: POST /checks/{id}/retry), whose answer is published
 * either way. An incomplete check is asked again after retry_ms while
 * attempt < max_attempts.
 */
verification_round_next verification_rules_round_next(bool complete,
    int attempt, int max_attempts, int64_t retry_ms, bool requested);

/*
 * A check is held when it is INCOMPLETE after its last automatic round
 * (no round scheduled) and it did ask the agencies (asked: a check
 * recorded unasked, for want of a consent, is not held: asking again
 * cannot help). Held checks are listed by GET /checks?held=true and may
 * be asked again by POST /checks/{id}/retry.
 */
bool verification_rules_held(
    verification_status status, bool round_scheduled, bool asked);

/* The revision an application event carries: 0 (an event written before
 * issue 10) reads as 1. */
int verification_rules_revision(int32_t revision);

/*
 * True if an application.resubmitted event's revision may open a check:
 * 2 or more (a resubmission is never the first revision).
 */
bool verification_rules_resubmission_valid(int32_t revision);

/*
 * True if p holds only figures an agency can honestly report: money in
 * 0..VERIFICATION_MAX_FEN, counts in 0..VERIFICATION_MAX_COUNT.
 */
bool verification_rules_person_valid(const verification_person *p);

/*
 * Computes the result. SN_EINVAL when members is out of range, a
 * declared figure is negative or above VERIFICATION_MAX_FEN, or an
 * answered agency's figure fails verification_rules_person_valid; out is
 * then untouched.
 */
sn_err verification_rules_evaluate(
    const verification_input *in, verification_result *out);

#endif /* VERIFICATION_RULES_H */
