/*
 * intake/rules.h - what makes an application acceptable, as pure
 * functions: no I/O, no clock, no allocation, no logging. "Today" and the
 * caller's principal come in as arguments.
 *
 * An intake_app is the application as the clerk sent it, decoded from
 * JSON by intake/codec.h. Its strings are borrowed from the decoded
 * document and live as long as it; the identity numbers are copied (and
 * normalised: a lowercase 'x' check character becomes 'X').
 *
 * Refusals are an intake_problem: the HTTP status, a stable error code, a
 * message and the offending field in the request's own terms
 * ("members[2].id_number", "household.village_code"). The codes:
 *   422 invalid_field        wrong JSON type, or a required field missing
 *   422 unknown_field        a key the API does not know (typos in money
 *                            fields would otherwise read as zero)
 *   422 invalid_value        not one of the allowed words, or out of range
 *   422 too_long             a string over its limit
 *   422 invalid_money        negative or non-integer fen, or sums that
 *                            overflow
 *   422 invalid_date         not a real YYYY-MM-DD date, or in the future
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
 * (409 person_in_open_application / person_in_beneficiary_household need
 * the database and are decided by the handlers.)
 */
#ifndef INTAKE_RULES_H
#define INTAKE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/assist/v1/household.pb-c.h"
#include "sn/auth.h"

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
	const char                    *birth_date;
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
	int64_t                      wages_fen, business_fen, pensions_fen,
	    other_fen;
	int64_t medical_fen, education_fen, housing_fen, employment_costs_fen;
	bool    has_consent; /* a consent object was sent */
	const char *consent_reference;
	const char *consent_signed_date;
	const char *bank_code;
	const char *account_number;
	const char *account_name;
	Sn__Assist__V1__Category requested_category; /* UNSPECIFIED: none */
} intake_app;

typedef struct intake_problem {
	unsigned    status;  /* 0: no problem */
	const char *code;    /* static */
	const char *message; /* static */
	char        field[64];
} intake_problem;

/* An application's status (the column application.status). */
typedef enum intake_status {
	INTAKE_STATUS_DRAFT,
	INTAKE_STATUS_OPEN,
	INTAKE_STATUS_WITHDRAWN,
	INTAKE_STATUS_DECIDED_APPROVED,
	INTAKE_STATUS_DECIDED_REJECTED,
} intake_status;

/* The statuses' words, indexed by intake_status, NULL-ended. */
extern const char *const intake_status_names[];

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
	bool                     has_category;  /* false: none requested */
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
} intake_hold;

/* Records a problem; field is a printf format. Returns false. */
bool intake_problem_set(intake_problem *pb, unsigned status,
    const char *code, const char *message, const char *field_fmt, ...);

/*
 * Checks everything about app that needs neither the database nor the
 * network: identity numbers and birth dates (as of today_yyyymmdd, e.g.
 * 20261129), duplicates, relations, division codes, the caller's
 * jurisdiction, money, dates, consent and the payee account. Returns true
 * if it passes; otherwise fills pb with the first problem found (in the
 * order of the request's fields) and returns false.
 */
bool intake_rules_validate(const intake_app *app, int today_yyyymmdd,
    const sn_principal *caller, intake_problem *pb);

/*
 * A draft application opened from an emergency referral (referral.created
 * of kind dibao or tekun, issue 4), as intake_rules_referral reads it.
 * Pointers are borrowed from the ReferralCreated and live as long as it;
 * the arrays are filled in. The payee pointers are NULL when the referral
 * names no payee.
 */
#define INTAKE_REFERRAL_ID_MAX 64   /* referral_id, grant_id, created_by */
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
	char                     birth_date[11]; /* from the id number */
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
 * printable ASCII bytes; a valid identity number (as of today_yyyymmdd),
 * whose birth date becomes the applicant's; a name of
 * 1..INTAKE_NAME_MAX bytes; a 9-digit township code, a 12-digit village
 * code inside it, and a district code that is the township's first six
 * digits (derived when empty); a household size of 0 (not said) to
 * INTAKE_HOUSEHOLD_SIZE_MAX; and every string valid UTF-8 within its
 * limit (grant_id and created_by INTAKE_REFERRAL_ID_MAX; the payee's
 * bank code INTAKE_BANK_CODE_MAX, account number 32, account name
 * INTAKE_ACCOUNT_NAME_MAX; the note INTAKE_REFERRAL_NOTE_MAX). A payee
 * whose three strings are empty counts as none. The payee is not checked
 * further: the clerk supplies the account on submission, where the rules
 * of POST /applications apply. Anything else, or kind UNSPECIFIED, is
 * BAD with *why a static message. r NULL is BAD.
 */
intake_referral_verdict intake_rules_referral(
    const Sn__Assist__V1__ReferralCreated *r, int today_yyyymmdd,
    intake_draft *out, const char **why);

/* True if s is NUL-terminated valid UTF-8 (no overlongs, no surrogates).
 * NULL is false. */
bool intake_rules_utf8_valid(const char *s);

/* A withdrawal reason: 1..INTAKE_REASON_MAX bytes. */
bool intake_rules_reason_valid(const char *reason);

/*
 * "YYYY-MM-DD" of a real calendar date (1900-01-01 .. 9999-12-31) as
 * yyyymmdd in *out. False for anything else.
 */
bool intake_rules_parse_date(const char *s, int *out);

/* yyyymmdd plus days (may be negative) as yyyymmdd. */
int intake_rules_add_days(int yyyymmdd, int days);

/* yyyymmdd as "YYYY-MM-DD" into out (11 bytes). Returns out. */
char *intake_rules_format_date(int yyyymmdd, char out[11]);

/* True for a canonical UUID (8-4-4-4-12 hex digits, any case). */
bool intake_rules_uuid_valid(const char *s);

/* The API's words for the enums, and back. NULL / false when unknown. */
const char *intake_rules_registration_name(Sn__Assist__V1__Registration r);
const char *intake_rules_labour_name(Sn__Assist__V1__LabourCapacity l);
const char *intake_rules_self_care_name(Sn__Assist__V1__SelfCare s);
const char *intake_rules_category_name(Sn__Assist__V1__Category c);
bool intake_rules_registration_parse(const char *s,
    Sn__Assist__V1__Registration *out);
bool intake_rules_labour_parse(const char *s,
    Sn__Assist__V1__LabourCapacity *out);
bool intake_rules_self_care_parse(const char *s, Sn__Assist__V1__SelfCare *out);
/* Only the categories one may apply for: tekun, dibao, expenditure,
 * low_income. */
bool intake_rules_category_parse(const char *s, Sn__Assist__V1__Category *out);

#endif /* INTAKE_RULES_H */
