/*
 * rules.h - the emergency service's pure rules (design section 6,
 * "救急难"): what a grant request must hold, whether it is made at once
 * or waits for the district, whether a fund can pay it, who may approve
 * it, and what a referral must say.
 *
 * Pure functions: no I/O, no clock, no allocation, no logging; callable
 * from any thread. Strings are borrowed for the call. A refusal is
 * described in an emergency_problem (HTTP status, error code, message,
 * offending field), whose strings are static or held in the struct.
 */
#ifndef EMERGENCY_RULES_H
#define EMERGENCY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/auth.h"
#include "sn/money.h"

/* Default per-grant limit: 3,000 yuan (SN_EMERGENCY_GRANT_LIMIT_FEN). */
#define EMERGENCY_GRANT_LIMIT_DEFAULT 300000
/* Largest single grant even with the district's approval: 1,000,000
 * yuan. A sanity bound, not policy. */
#define EMERGENCY_AMOUNT_MAX 100000000
/* Largest single allocation into a fund: 10,000,000,000 yuan. */
#define EMERGENCY_ALLOCATION_MAX 1000000000000
#define EMERGENCY_HOUSEHOLD_MAX 20
#define EMERGENCY_NAME_MAX 64
#define EMERGENCY_DESCRIPTION_MAX 500
#define EMERGENCY_NOTE_MAX 500
#define EMERGENCY_DEPARTMENT_MAX 100

typedef enum emergency_cause {
	EMERGENCY_CAUSE_NONE = 0,
	EMERGENCY_CAUSE_ACCIDENT,
	EMERGENCY_CAUSE_MAJOR_ILLNESS,
	EMERGENCY_CAUSE_DISASTER,
	EMERGENCY_CAUSE_FIRE,
	EMERGENCY_CAUSE_OTHER,
} emergency_cause;

typedef enum emergency_referral_kind {
	EMERGENCY_REFERRAL_NONE = 0,
	EMERGENCY_REFERRAL_MEDICAL,
	EMERGENCY_REFERRAL_HOUSING,
	EMERGENCY_REFERRAL_EDUCATION,
	EMERGENCY_REFERRAL_EMPLOYMENT,
	EMERGENCY_REFERRAL_DIBAO,
	EMERGENCY_REFERRAL_TEKUN,
} emergency_referral_kind;

/* Why a request is refused. field is "" when no one field is at fault. */
typedef struct emergency_problem {
	unsigned    status;  /* 403, 409 or 422 */
	const char *code;    /* e.g. "invalid_amount" */
	const char *message; /* one sentence for the user */
	char        field[48];
} emergency_problem;

/* A grant request as the API takes it; strings borrowed, NULL missing. */
typedef struct emergency_grant_req {
	const char *township_code;
	const char *village_code;
	const char *id_number;
	const char *name;
	const char *cause;
	const char *description;
	int64_t     household_size;
	sn_fen      amount_fen;
	const char *bank_code;
	const char *account_number;
	const char *account_name;
} emergency_grant_req;

typedef enum emergency_class {
	EMERGENCY_INVALID = 0,     /* refused: see the problem */
	EMERGENCY_AT_ONCE,         /* within the limit: debit now */
	EMERGENCY_NEEDS_APPROVAL,  /* above the limit: the district decides */
} emergency_class;

/* "accident", "major_illness", "disaster", "fire", "other". */
bool emergency_rules_cause_parse(const char *s, emergency_cause *out);
/* The API name of c; NULL for EMERGENCY_CAUSE_NONE or junk. */
const char *emergency_rules_cause_name(emergency_cause c);

/* "medical", "housing", "education", "employment", "dibao", "tekun". */
bool emergency_rules_referral_parse(
    const char *s, emergency_referral_kind *out);
const char *emergency_rules_referral_name(emergency_referral_kind k);
/* True for the four kinds of special assistance (a department named). */
bool emergency_rules_referral_needs_department(emergency_referral_kind k);

/*
 * Classifies a grant request by officer p (role already checked by the
 * route) against the per-grant limit: every field valid (codes nest, the
 * village inside the township, the township inside p's jurisdiction: 403
 * "outside_jurisdiction"; a valid identity number that is not p's own:
 * 403 "own_grant"; amount 1 .. EMERGENCY_AMOUNT_MAX), then AT_ONCE when
 * amount <= limit, NEEDS_APPROVAL above it. INVALID fills why.
 */
emergency_class emergency_rules_classify(const emergency_grant_req *r,
    const sn_principal *p, sn_fen limit, emergency_problem *why);

/* What a debit of amount from balance would do. */
typedef enum emergency_debit {
	EMERGENCY_DEBIT_OK = 0,       /* *after is the new balance */
	EMERGENCY_DEBIT_INSUFFICIENT, /* amount > balance: refused */
	EMERGENCY_DEBIT_INVALID,      /* amount <= 0 or balance < 0 */
} emergency_debit;

/*
 * The rule the database enforces (UPDATE ... WHERE balance_fen >=
 * amount, CHECK balance_fen >= 0): a debit of exactly the balance
 * leaves 0; one fen more is refused.
 */
emergency_debit emergency_rules_debit(
    sn_fen balance, sn_fen amount, sn_fen *after);

/*
 * An allocation of amount by finance user p into township's fund: p's
 * jurisdiction is a district (6 digits) covering the township (403
 * "outside_jurisdiction"); amount 1 .. EMERGENCY_ALLOCATION_MAX (422
 * "invalid_amount"); township a 9-digit code (422 "invalid_code").
 */
bool emergency_rules_allocation_check(const sn_principal *p,
    const char *township, sn_fen amount, emergency_problem *why);

/*
 * May district approver p decide a grant of township asked by granted_by
 * for the person person_id_number? p's jurisdiction must be a district
 * covering the township (403 "outside_jurisdiction"); p must not be the
 * officer who asked (403 "same_user") nor the person helped (403
 * "own_grant").
 */
bool emergency_rules_approver_check(const sn_principal *p,
    const char *township, const char *granted_by,
    const char *person_id_number, emergency_problem *why);

/* The decision of an approval: "approve" or "reject"; a reject needs a
 * reason of 1..EMERGENCY_NOTE_MAX bytes, an approve takes an optional
 * one. Returns false with why (422) otherwise; *approve says which. */
bool emergency_rules_decision_check(const char *decision, const char *reason,
    bool *approve, emergency_problem *why);

/*
 * A referral: kind parsed; department required (1..EMERGENCY_DEPARTMENT_MAX
 * bytes) for medical, housing, education and employment, optional for
 * dibao and tekun; note optional, at most EMERGENCY_NOTE_MAX bytes.
 */
bool emergency_rules_referral_check(const char *kind, const char *department,
    const char *note, emergency_referral_kind *out, emergency_problem *why);

/* A settlement year: 2000 .. current_year (the district's year now). */
bool emergency_rules_year_valid(int64_t year, int current_year);

/* "YYYY" of 4 digits into *year; false for anything else. */
bool emergency_rules_year_parse(const char *s, int *year);

/* 36-character lowercase or uppercase hex UUID with dashes. */
bool emergency_rules_uuid_valid(const char *s);

/* A 9-digit township code; a 12-digit village code inside a township. */
bool emergency_rules_township_valid(const char *s);
bool emergency_rules_village_in(const char *village, const char *township);

#endif /* EMERGENCY_RULES_H */
