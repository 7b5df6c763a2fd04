/*
 * intake/rules.h - what intake decides, as pure functions: no I/O, no
 * clock, no allocation, no logging. "Today" (the district's, sn/clock.h)
 * and the caller's principal come in as arguments; what the database
 * holds comes in as the rows of intake/store.h, declared here.
 *
 * An intake_app is the application as the clerk sent it, decoded from
 * JSON by intake/codec.h. Its strings are borrowed from the decoded
 * document and live as long as it; the identity numbers are copied (and
 * normalised: a lowercase 'x' check character becomes 'X').
 *
 * Refusals are an sn_problem (sn/problem.h): the HTTP status, a stable
 * error code, a message and the offending field in the request's own
 * terms ("members[2].id_number", "household.village_code"). The codes of
 * intake_rules_validate:
 *   422 invalid_field        a required field missing or empty
 *   422 invalid_value        not one of the allowed words, or out of range
 *   422 too_long             a string over its limit (bytes)
 *   422 invalid_money        negative fen, or sums that overflow
 *   422 invalid_date         not a real YYYY-MM-DD date from 1900 on, or
 *                            after today
 *   422 invalid_code         a division code of the wrong shape
 *   422 invalid_id_number    not a valid GB 11643 number (as of today)
 *   422 birth_date_mismatch  birth_date differs from the id number's
 *   422 duplicate_member     the same person twice (field: the second)
 *   422 members_required     no members, or more than INTAKE_MEMBERS_MAX
 *   422 applicant_first      the first member's relation is not "self",
 *                            or another member's is
 *   422 consent_required     no signed consent: no agency may be asked
 *   403 codes_do_not_nest    village not inside township inside district
 *   403 outside_jurisdiction the household's village is outside the
 *                            caller's jurisdiction
 * (the JSON's shapes and types are intake/codec.h's). The decisions on
 * an application already stored (intake_rules_draft_submit,
 * intake_rules_withdraw, intake_rules_holder) and on a query
 * (intake_rules_list_query) give the codes they name.
 */
#ifndef INTAKE_RULES_H
#define INTAKE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/agency/v1/agency.pb-c.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/assist/v1/household.pb-c.h"
#include "sn/auth.h"
#include "sn/date.h"
#include "sn/page.h"
#include "sn/problem.h"

/* Most members one application may name. */
#define INTAKE_MEMBERS_MAX 30

/* Longest strings accepted, in bytes (UTF-8). */
#define INTAKE_NAME_MAX 100
#define INTAKE_RELATION_MAX 32
#define INTAKE_ADDRESS_MAX 300
#define INTAKE_REFERENCE_MAX 64
#define INTAKE_BANK_CODE_MAX 32
#define INTAKE_ACCOUNT_NAME_MAX 100
#define INTAKE_REASON_MAX 500

typedef struct intake_member {
	char                           id_number[19];
	const char                    *name;
	const char                    *relation;
	const char                    *birth_date; /* as sent: YYYY-MM-DD */
	Sn__Assist__V1__LabourCapacity labour_capacity;
	int64_t                        disability_grade;
	Sn__Assist__V1__SelfCare       self_care;
} intake_member;

typedef struct intake_app {
	Sn__Assist__V1__Registration registration;
	const char                  *district_code;
	const char                  *township_code;
	const char                  *village_code;
	const char                  *address;
	bool                         has_able_supporter;
	intake_member                members[INTAKE_MEMBERS_MAX];
	size_t                       nmembers;
	int64_t wages_fen, business_fen, pensions_fen, other_fen;
	int64_t agricultural_fen, support_fen; /* issue 10; absent: 0 */
	int64_t medical_fen, education_fen, housing_fen, employment_costs_fen;
	bool    has_consent; /* a consent object was sent */
	const char              *consent_reference;
	const char              *consent_signed_date; /* as sent: YYYY-MM-DD */
	const char              *bank_code;
	const char              *account_number;
	const char              *account_name;
	Sn__Assist__V1__Category requested_category; /* UNSPECIFIED: none */
} intake_app;

/*
 * Checks everything about app that needs neither the database nor the
 * network: identity numbers and birth dates (as of today), duplicates,
 * relations, division codes, the caller's jurisdiction, money, dates,
 * consent and the payee account. Returns true if it passes; otherwise
 * fills p with the first problem found (in the order of the request's
 * fields) and returns false.
 */
bool intake_rules_validate(const intake_app *app, sn_date today,
    const sn_principal *caller, sn_problem *p);

/*
 * The payee of app (bank_code, account_number, account_name) alone, as
 * intake_rules_validate checks it (payee.changed, issue 10).
 */
bool intake_rules_payee(const intake_app *app, sn_problem *p);

/* ---- what the store reads ------------------------------------------- */

/* An application's status (the column application.status). */
typedef enum intake_status {
	INTAKE_STATUS_DRAFT,
	INTAKE_STATUS_OPEN,
	INTAKE_STATUS_WITHDRAWN,
	INTAKE_STATUS_DECIDED_APPROVED,
	INTAKE_STATUS_DECIDED_REJECTED,
	INTAKE_STATUS_RETURNED, /* approval returned it: amend, resubmit */
} intake_status;

/* The statuses' words, indexed by intake_status, NULL-ended. */
extern const char *const intake_status_names[];

/* The declared income's keys in the API, in Income's field order (wages,
 * business, pensions, other, agricultural, support), NULL-ended. */
extern const char *const intake_income_keys[];

/*
 * An application as a change to it sees it, locked (intake/store.h reads
 * it). Strings are borrowed from whoever filled it in.
 */
typedef struct intake_current {
	intake_status            status;
	const char              *village_code;
	bool                     has_referral_id; /* false: not a referral's */
	const char              *referral_id;
	bool                     has_applicant; /* false: no member yet */
	const char              *applicant_id_number; /* member 0 */
	bool                     has_category; /* false: none requested */
	Sn__Assist__V1__Category category;
} intake_current;

/* Why a person may not be in another application. */
typedef enum intake_holder_kind {
	INTAKE_HELD_OPEN,        /* by an open application */
	INTAKE_HELD_BENEFICIARY, /* by an approved application, or an active
	                          * beneficiary household */
} intake_holder_kind;

/* Who holds a person of an application (the first, in the members'
 * order). Strings borrowed. */
typedef struct intake_holder {
	int32_t            pos; /* 1-based position of the person */
	const char        *application_id;
	intake_holder_kind kind;
	const char        *beneficiary_id; /* "" for an application */
} intake_holder;

/* What beneficiary.changed says of a household's members. */
typedef enum intake_hold {
	INTAKE_HOLD_ACTIVE,       /* held by the register */
	INTAKE_HOLD_GRADUAL_EXIT, /* held by the register */
	INTAKE_HOLD_EXITED,       /* free */
	INTAKE_HOLD_SUSPENDED,    /* held by the register, paid nothing */
} intake_hold;

/* ---- decisions on what is stored ------------------------------------ */

/*
 * The 409 for a person held by h: person_in_open_application or
 * person_in_beneficiary_household, the field members[i].id_number of the
 * person. raced: found inside the submission's transaction (it lost a
 * race, its claims read back) rather than by the check before them;
 * only the message differs.
 */
void intake_rules_holder(const intake_holder *h, bool raced, sn_problem *p);

/*
 * May who submit app to complete draft? 403 outside_jurisdiction (the
 * draft's village), 409 not_draft (any other status), 422
 * referred_person_missing (field "members": the person the referral names
 * must stay a member, so that the chain grant -> referral -> application
 * -> decision holds for them). On true, *category is the category to
 * store: app's, or the draft's when app names none.
 */
bool intake_rules_draft_submit(const intake_current *draft,
    const sn_principal *who, const intake_app *app,
    Sn__Assist__V1__Category *category, sn_problem *p);

/* May who withdraw c? 403 outside_jurisdiction, 409 not_open. */
bool intake_rules_withdraw(
    const intake_current *c, const sn_principal *who, sn_problem *p);

/*
 * May who amend (PUT /applications/{id}) or resubmit c? 403
 * outside_jurisdiction, 409 not_returned (any status but returned).
 */
bool intake_rules_amend(
    const intake_current *c, const sn_principal *who, sn_problem *p);

/* A resubmission's amendment: 1..INTAKE_NOTE_MAX bytes. */
bool intake_rules_amendment_valid(const char *amendment);

/* GET /applications: the query's parameters as sent (NULL: absent). */
typedef struct intake_list_params {
	const char *status, *township, *taken_in_by, *limit, *cursor;
} intake_list_params;

/* What to list. Strings borrowed from the params or the principal. */
typedef struct intake_list_query {
	const char *status;      /* a status word, "decided"; NULL: any */
	const char *township;    /* NULL: the caller's jurisdiction */
	const char *taken_in_by; /* a user id ("me" resolved); NULL: any */
	sn_page     page;
} intake_list_query;

/*
 * GET /applications?[status=][&township=][&taken_in_by=][&limit=]
 * [&cursor=]: status a status word or "decided" (422 invalid_value);
 * township 9 digits (422 invalid_code) within who's jurisdiction (403
 * outside_jurisdiction); taken_in_by "me" (who) or a user id, another's
 * only for roles other than clerk (403 forbidden); limit and cursor as
 * sn/page.h (422 invalid_query); none of status, township, taken_in_by
 * given is 422 invalid_query (field taken_in_by). The rows are always
 * those within who's jurisdiction.
 */
bool intake_rules_list_query(const intake_list_params *in,
    const sn_principal *who, intake_list_query *q, sn_problem *p);

/*
 * Whether a household of category and tier (application.decided,
 * beneficiary.changed) is of the edge tier, whose persons may apply again
 * at any time: tier EDGE, or, the tier unsaid, category low_income or
 * expenditure. Core households (tekun, dibao) hold their persons.
 */
bool intake_rules_edge(
    Sn__Assist__V1__Category category, Sn__Assist__V1__Tier tier);

/* What an event says of a household's tier. */
typedef enum intake_tier {
	INTAKE_TIER_UNSAID, /* neither category nor tier said: as before */
	INTAKE_TIER_CORE,
	INTAKE_TIER_EDGE,
} intake_tier;

/* The tier category and tier say (intake_rules_edge), or UNSAID when
 * both are UNSPECIFIED (an event that does not restate them). */
intake_tier intake_rules_tier(
    Sn__Assist__V1__Category category, Sn__Assist__V1__Tier tier);

/*
 * What beneficiary.changed b means for the register: false when it is
 * malformed (an unknown status, an empty or over-long beneficiary id, a
 * malformed application id or identity number). On true, *hold is the
 * members' new state and *head the head's identity number when it is not
 * among the member_id_numbers already (NULL otherwise); the persons held
 * are the member_id_numbers and *head.
 */
bool intake_rules_beneficiary(const Sn__Assist__V1__BeneficiaryChanged *b,
    intake_hold *hold, const char **head);

/* ---- referrals ------------------------------------------------------ */

/*
 * A draft application opened from an emergency referral (referral.created
 * of kind dibao or tekun, issue 4), as intake_rules_referral reads it.
 * Pointers are borrowed from the ReferralCreated and live as long as it;
 * the arrays are filled in. The payee pointers are NULL when the referral
 * names no payee.
 */
#define INTAKE_REFERRAL_ID_MAX 64 /* referral_id, grant_id, created_by */
#define INTAKE_REFERRAL_NOTE_MAX 2000
#define INTAKE_HOUSEHOLD_SIZE_MAX 100

typedef struct intake_draft {
	const char              *referral_id;
	const char              *grant_id;
	const char              *created_by;
	char                     district_code[7]; /* derived when not sent */
	const char              *township_code;
	const char              *village_code;
	char                     id_number[19]; /* normalised ('x' -> 'X') */
	const char              *name;
	char                     birth_date[SN_DATE_STRLEN]; /* from the id */
	Sn__Assist__V1__Category category;       /* TEKUN or DIBAO */
	int32_t                  household_size; /* 0: not said */
	const char              *bank_code, *account_number, *account_name;
	const char              *referral_note; /* "" when none */
	char                     note[48];      /* "household size: 4" or "" */
} intake_draft;

/* What to do with a referral. */
typedef enum intake_referral_verdict {
	INTAKE_REFERRAL_DRAFT, /* dibao or tekun: open a draft from *out */
	INTAKE_REFERRAL_OTHER, /* another department's: nothing for intake */
	INTAKE_REFERRAL_BAD,   /* malformed: *why says what */
} intake_referral_verdict;

/*
 * Reads a referral into a draft. Kinds medical, housing, education,
 * employment and any kind this build does not know are OTHER. For dibao
 * and tekun it requires: a referral_id of 1..INTAKE_REFERRAL_ID_MAX
 * printable ASCII bytes; a valid identity number (as of today), whose
 * birth date becomes the applicant's; a name of 1..INTAKE_NAME_MAX bytes;
 * a 9-digit township code, a 12-digit village code inside it, and a
 * district code that is the township's first six digits (derived when
 * empty); a household size of 0 (not said) to INTAKE_HOUSEHOLD_SIZE_MAX;
 * and every string valid UTF-8 within its limit and without control
 * characters (sn_in_text_ok; the note may hold TAB, LF and CR): grant_id
 * and created_by INTAKE_REFERRAL_ID_MAX; the payee's bank code
 * INTAKE_BANK_CODE_MAX, account number 32, account name
 * INTAKE_ACCOUNT_NAME_MAX; the note INTAKE_REFERRAL_NOTE_MAX. A payee whose
 * three strings are empty counts as none. The payee is not checked further:
 * the clerk supplies the account on submission, where the rules of POST
 * /applications apply. Anything else, or kind UNSPECIFIED, is BAD with *why a
 * static message. r NULL is BAD.
 */
intake_referral_verdict intake_rules_referral(
    const Sn__Assist__V1__ReferralCreated *r, sn_date today, intake_draft *out,
    const char **why);

/* True if s is NUL-terminated valid UTF-8 (no overlongs, no surrogates).
 * NULL is false. */
bool intake_rules_utf8_valid(const char *s);

/* A withdrawal reason: 1..INTAKE_REASON_MAX bytes. */
bool intake_rules_reason_valid(const char *reason);

/*
 * The API's words for the enums (the names are sn/assist.h's), back to
 * the enums; false when unknown. Only the categories one may apply for
 * parse: tekun, dibao, expenditure, low_income.
 */
bool intake_rules_registration_parse(
    const char *s, Sn__Assist__V1__Registration *out);
bool intake_rules_labour_parse(
    const char *s, Sn__Assist__V1__LabourCapacity *out);
bool intake_rules_self_care_parse(
    const char *s, Sn__Assist__V1__SelfCare *out);
bool intake_rules_category_parse(const char *s, Sn__Assist__V1__Category *out);

/* ---- changes of circumstances (POST /households/{id}/changes) ------ */

#define INTAKE_NOTE_MAX 2000

/*
 * A reported change of a beneficiary household, as the body says it
 * (intake/codec.h reads it). Which members a kind takes:
 *   members      members (the household's members now; the head first,
 *                relation "self"), member_id_number optional (who joined
 *                or left)
 *   income       income {wages_fen, business_fen, pensions_fen, other_fen,
 *                agricultural_fen, support_fen: the last two optional}
 *   expenditure  expenditure {medical_fen, education_fen, housing_fen,
 *                employment_costs_fen}
 *   address      household (as POST /applications': the new address and
 *                division codes)
 *   death        member_id_number (who died)
 *   moved_out    nothing more (the household left the district)
 * effective_date and kind always; note optional. Strings are borrowed
 * from the body; app holds household, members and figures.
 */
typedef struct intake_change {
	Sn__Assist__V1__ChangeKind kind;
	const char                *kind_name;     /* as given */
	bool                       has_member_id; /* member_id_number */
	char                       member_id[19]; /* upper-case X */
	bool                       has_income, has_expenditure;
	bool                       has_household, has_members;
	intake_app                 app;
	const char                *effective_date; /* YYYY-MM-DD */
	const char                *note;           /* NULL: none */
} intake_change;

/* The kind whose word (the API's) is s; false when none. */
bool intake_rules_change_kind_parse(
    const char *s, Sn__Assist__V1__ChangeKind *out);
/* The API's word of kind k; NULL for none. */
const char *intake_rules_change_kind_name(Sn__Assist__V1__ChangeKind k);

/*
 * Checks c on the district's today (all 422 unless said): the kind's
 * required members present (missing_field) and no member of another
 * kind (not_for_kind); effective_date a date (invalid_date) not after
 * today (future_date); member_id_number a valid GB 11643 identity
 * number (invalid_id_number); members as POST /applications checks them;
 * the new household as POST /applications does (403 outside the
 * caller's jurisdiction); figures non-negative fen (invalid_money); a
 * note of at most INTAKE_NOTE_MAX bytes (too_long).
 */
bool intake_rules_change(const intake_change *c, sn_date today,
    const sn_principal *caller, sn_problem *p);

/* A beneficiary household as intake knows it from beneficiary.changed
 * (intake/store.h reads it). Strings borrowed. */
typedef struct intake_household {
	bool active; /* on the register: active, gradual_exit or
	                suspended */
	const char *township_code;
	const char *village_code;
	const char *application_id;
	bool        member_known; /* the change's member is in it */
} intake_household;

/*
 * May caller report c for household h (NULL: unknown)? 404 not_found
 * for a household unknown or no longer an active beneficiary; 403
 * outside_jurisdiction outside the household's township (reading: its
 * village, so that village staff see their households); 422
 * not_a_member (field member_id_number) when a death names someone not
 * in the household. reading: a GET (any status; c NULL).
 */
bool intake_rules_change_access(const intake_household *h,
    const intake_change *c, const sn_principal *caller, bool reading,
    sn_problem *p);

/* ---- agency notices (agency.notice, notices.h) ---------------------- */

#define INTAKE_NOTICE_ID_MAX 64

/*
 * An agency's notice n (agency-sim's agency.notice, or a real agency's
 * adapter's) as the change it reports, into *c: NOTICE_DEATH is a death
 * of member id_number; NOTICE_NEW_JOB an income change, the new monthly
 * wage as the declared wages (income.wages_fen; the other figures 0),
 * with member_id_number naming who took the job. effective_date and note
 * are n's (borrowed). *agency is the agency's name ("PUBLIC_SECURITY",
 * static). False with *why (static) when n is malformed: a notice_id
 * not of 1..INTAKE_NOTICE_ID_MAX printable characters, an unknown kind,
 * an agency that does not report that kind (a death comes from public
 * security, a new job from human resources), an id_number that is not a
 * valid GB 11643 number, an effective_date that is not a date, a new
 * job's wage not positive or a death's not 0, a note that is not text
 * of at most INTAKE_NOTE_MAX bytes.
 */
bool intake_rules_notice(const Sn__Agency__V1__AgencyNotice *n,
    intake_change *c, const char **agency, const char **why);

#endif /* INTAKE_RULES_H */
