/*
 * rules.h - the emergency service's pure rules (design section 6,
 * "救急难"): what a grant request must hold, whether it is made at once
 * or waits for the district, whether a fund can pay it, who may approve
 * it and when, what a referral must say and who may make it, which year
 * a fund may be settled for, and what a payment's outcome does to a
 * grant.
 *
 * Pure functions: no I/O, no clock, no allocation, no logging; callable
 * from any thread. Strings are borrowed for the call. A refusal is
 * described in an sn_problem (sn/problem.h): HTTP status, stable code,
 * message and the field at fault. The handlers parse, call these, store
 * and answer (handlers.h).
 */
#ifndef EMERGENCY_RULES_H
#define EMERGENCY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/auth.h"
#include "sn/date.h"
#include "sn/money.h"
#include "sn/problem.h"

/* Default per-grant limit: 3,000 yuan (SN_EMERGENCY_GRANT_LIMIT_FEN). */
#define EMERGENCY_GRANT_LIMIT_DEFAULT 300000
/* Largest single grant even with the district's approval: 1,000,000
 * yuan. A sanity bound, not policy. */
#define EMERGENCY_AMOUNT_MAX 100000000
/* Largest single allocation into a fund: 10,000,000,000 yuan. */
#define EMERGENCY_ALLOCATION_MAX 1000000000000
#define EMERGENCY_HOUSEHOLD_MAX 20
/* The rolling window grants add up in, days (SN_EMERGENCY_WINDOW_DAYS). */
#define EMERGENCY_WINDOW_DAYS_DEFAULT 30
#define EMERGENCY_WINDOW_DAYS_MAX 366
/* Transitional aid's most instalments (SN_EMERGENCY_INSTALMENTS_MAX),
 * and the bound of that setting. */
#define EMERGENCY_INSTALMENTS_DEFAULT 6
#define EMERGENCY_INSTALMENTS_LIMIT 24
#define EMERGENCY_NAME_MAX 64
#define EMERGENCY_DESCRIPTION_MAX 500
#define EMERGENCY_NOTE_MAX 500
#define EMERGENCY_DEPARTMENT_MAX 100
/* The first year a fund may be settled for, and figures asked for. */
#define EMERGENCY_FIRST_YEAR 2000

/* ---- the vocabulary ------------------------------------------------------
 *
 * Each enum has its API names in a table indexed by the enum's value and
 * NULL-ended, as sn_rows reads enum columns (SN_COL_ENUMOF, sn/db.h);
 * "" stands for a value that has no name.
 */

typedef enum emergency_cause {
	EMERGENCY_CAUSE_NONE = 0,
	EMERGENCY_CAUSE_ACCIDENT,
	EMERGENCY_CAUSE_MAJOR_ILLNESS,
	EMERGENCY_CAUSE_DISASTER,
	EMERGENCY_CAUSE_FIRE,
	EMERGENCY_CAUSE_OTHER,
} emergency_cause;

/* "", "accident", "major_illness", "disaster", "fire", "other", NULL. */
extern const char *const emergency_cause_names[];

typedef enum emergency_referral_kind {
	EMERGENCY_REFERRAL_NONE = 0,
	EMERGENCY_REFERRAL_MEDICAL,
	EMERGENCY_REFERRAL_HOUSING,
	EMERGENCY_REFERRAL_EDUCATION,
	EMERGENCY_REFERRAL_EMPLOYMENT,
	EMERGENCY_REFERRAL_DIBAO,
	EMERGENCY_REFERRAL_TEKUN,
} emergency_referral_kind;

/* "", "medical", "housing", "education", "employment", "dibao", "tekun",
 * NULL. */
extern const char *const emergency_referral_names[];

/*
 * A grant's life: awaiting_approval (above the limit, nothing debited) →
 * granted (debited, emergency.granted published) or rejected; granted →
 * paid (payment.settled) or payment_failed (payment.failed: the fund
 * credited back once).
 */
typedef enum emergency_grant_status {
	EMERGENCY_GRANT_AWAITING = 0,
	EMERGENCY_GRANT_GRANTED,
	EMERGENCY_GRANT_REJECTED,
	EMERGENCY_GRANT_PAID,
	EMERGENCY_GRANT_PAYMENT_FAILED,
} emergency_grant_status;

#define EMERGENCY_NSTATUS 5

/* "awaiting_approval", "granted", "rejected", "paid", "payment_failed",
 * NULL. */
extern const char *const emergency_status_names[];

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

/* A status by its API name; false for anything else ("all" included). */
bool emergency_rules_status_parse(const char *s, emergency_grant_status *out);
/* The API name of s; NULL for junk. */
const char *emergency_rules_status_name(emergency_grant_status s);

/* ---- a grant request -------------------------------------------------- */

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
	/* Issue 10: the other members' id numbers (may be none). */
	const char *household[EMERGENCY_HOUSEHOLD_MAX];
	size_t      nhousehold;
} emergency_grant_req;

typedef enum emergency_class {
	EMERGENCY_INVALID = 0,    /* refused: see the problem */
	EMERGENCY_AT_ONCE,        /* within the limit: debit now */
	EMERGENCY_NEEDS_APPROVAL, /* above the limit: the district decides */
} emergency_class;

/*
 * Classifies a grant request by officer p (role already checked by the
 * route) against the per-grant limit: every field valid (codes nest, the
 * village inside the township, the township inside p's jurisdiction: 403
 * "outside_jurisdiction"; a valid identity number that is not p's own:
 * 403 "own_grant"; amount 1 .. EMERGENCY_AMOUNT_MAX), then AT_ONCE when
 * amount <= limit, NEEDS_APPROVAL above it. INVALID fills why.
 */
emergency_class emergency_rules_classify(const emergency_grant_req *r,
    const sn_principal *p, sn_fen limit, sn_problem *why);

/*
 * Issue 10: the household a request names besides the person. Every id
 * number valid (422 "invalid_id_number", field
 * "household_id_numbers"), none the person's nor repeated (422
 * "invalid_household"), and at most household_size - 1 of them (422
 * "invalid_household"). Called by emergency_rules_classify.
 */
bool emergency_rules_household_check(
    const emergency_grant_req *r, sn_problem *why);

/* A grant's kind: paid at once, or transitional aid (过渡性生活救助) in
 * monthly instalments. */
typedef enum emergency_kind {
	EMERGENCY_KIND_SINGLE = 0,
	EMERGENCY_KIND_TRANSITIONAL,
} emergency_kind;

/* "single", "transitional", NULL. */
extern const char *const emergency_kind_names[];

/* A grant request's kind as the API takes it; has_ false: absent. */
typedef struct emergency_kind_req {
	const char *kind; /* NULL: "single" */
	bool        has_instalments;
	int64_t     instalments;
	bool        has_monthly;
	sn_fen      monthly_fen;
	bool        has_amount;
	sn_fen      amount_fen;
} emergency_kind_req;

/*
 * The kind of a request and the whole amount it asks, *total, which is
 * what the limit, the window and the fund see. single: amount_fen
 * required, no instalments nor monthly_amount_fen (422
 * "invalid_instalments"). transitional: instalments 2..max_instalments
 * (422 "invalid_instalments"), monthly_amount_fen 1..EMERGENCY_AMOUNT_MAX
 * (422 "invalid_amount"), total = instalments x monthly, at most
 * EMERGENCY_AMOUNT_MAX (422 "invalid_amount"); amount_fen optional and, if
 * given, that total (422 "invalid_amount"). Anything else: 422
 * "invalid_kind".
 */
bool emergency_rules_kind(const emergency_kind_req *k, int64_t max_instalments,
    emergency_kind *kind, int32_t *instalments, sn_fen *total,
    sn_problem *why);

/*
 * Issue 10, grant splitting: the grants to the same person or household
 * in the rolling window, earlier (not rejected, less what was credited
 * back) sum to prior; the request asks amount. AT_ONCE when prior +
 * amount <= limit, NEEDS_APPROVAL above it (or on overflow).
 */
emergency_class emergency_rules_window(
    sn_fen limit, sn_fen prior, sn_fen amount);

/* ---- the fund ----------------------------------------------------------- */

/* What a debit of amount from balance would do. */
typedef enum emergency_debit {
	EMERGENCY_DEBIT_OK = 0,       /* *after is the new balance */
	EMERGENCY_DEBIT_INSUFFICIENT, /* amount > balance: refused */
	EMERGENCY_DEBIT_INVALID,      /* amount <= 0 or balance < 0 */
} emergency_debit;

/*
 * The rule the database also enforces (UPDATE ... WHERE balance_fen >=
 * amount, CHECK balance_fen >= 0): a debit of exactly the balance
 * leaves 0; one fen more is refused.
 */
emergency_debit emergency_rules_debit(
    sn_fen balance, sn_fen amount, sn_fen *after);

/*
 * The debit of a grant of amount from a township's fund (has_fund false:
 * the township has none yet, which pays nothing): emergency_rules_debit,
 * and for anything but OK a 409 "insufficient_funds" in why naming the
 * balance and the amount in yuan, with field (NULL: none). The answer
 * also carries balance_fen (0 without a fund) and amount_fen.
 */
emergency_debit emergency_rules_debit_check(bool has_fund, sn_fen balance,
    sn_fen amount, const char *field, sn_fen *after, sn_problem *why);

/*
 * An allocation of amount by finance user p into township's fund: p's
 * jurisdiction is a district (6 digits) covering the township (403
 * "outside_jurisdiction"); amount 1 .. EMERGENCY_ALLOCATION_MAX (422
 * "invalid_amount"); township a 9-digit code (422 "invalid_code").
 */
bool emergency_rules_allocation_check(const sn_principal *p,
    const char *township, sn_fen amount, sn_problem *why);

/*
 * May finance user p settle township's fund? township a 9-digit code
 * (422 "invalid_code", field "township"); p's jurisdiction a district
 * covering it (403 "outside_jurisdiction").
 */
bool emergency_rules_settlement_check(
    const sn_principal *p, const char *township, sn_problem *why);

/* A settlement year: EMERGENCY_FIRST_YEAR .. today's year (the
 * district's). */
bool emergency_rules_year_valid(int64_t year, int current_year);

/* The same as a refusal: 422 "invalid_year", field "year". */
bool emergency_rules_settlement_year(
    int64_t year, sn_date today, sn_problem *why);

/* ---- approval ----------------------------------------------------------- */

/*
 * May district approver p decide a grant of township asked by granted_by
 * for the person person_id_number? p's jurisdiction must be a district
 * covering the township (403 "outside_jurisdiction"); p must not be the
 * officer who asked (403 "same_user") nor the person helped (403
 * "own_grant").
 */
bool emergency_rules_approver_check(const sn_principal *p,
    const char *township, const char *granted_by, const char *person_id_number,
    sn_problem *why);

/* The facts of a grant an approval step looks at; strings borrowed. */
typedef struct emergency_grant_facts {
	emergency_grant_status status;
	const char            *township_code;
	const char            *granted_by;
	const char            *id_number;
} emergency_grant_facts;

/*
 * May p decide grant g now? emergency_rules_approver_check, then the
 * grant must be awaiting approval (409 "not_awaiting_approval", naming
 * its status).
 */
bool emergency_rules_approval_check(
    const sn_principal *p, const emergency_grant_facts *g, sn_problem *why);

/* The decision of an approval: "approve" or "reject"; a reject needs a
 * reason of 1..EMERGENCY_NOTE_MAX bytes, an approve takes an optional
 * one. Returns false with why (422) otherwise; *approve says which. */
bool emergency_rules_decision_check(
    const char *decision, const char *reason, bool *approve, sn_problem *why);

/* ---- referrals ---------------------------------------------------------- */

/*
 * A referral: kind parsed; department required (1..EMERGENCY_DEPARTMENT_MAX
 * bytes) for medical, housing, education and employment, optional for
 * dibao and tekun; note optional, at most EMERGENCY_NOTE_MAX bytes.
 */
bool emergency_rules_referral_check(const char *kind, const char *department,
    const char *note, emergency_referral_kind *out, sn_problem *why);

/* May officer p refer a grant of township? Only within p's jurisdiction
 * (403 "outside_jurisdiction", field "id"). */
bool emergency_rules_referral_allowed(
    const sn_principal *p, const char *township, sn_problem *why);

/* ---- payment outcomes --------------------------------------------------- */

typedef enum emergency_payment_event {
	EMERGENCY_PAYMENT_SETTLED = 0, /* disbursement's payment.settled */
	EMERGENCY_PAYMENT_FAILED,      /* disbursement's payment.failed */
} emergency_payment_event;

typedef enum emergency_payment_action {
	EMERGENCY_PAY_MARK_PAID = 0, /* granted → paid */
	EMERGENCY_PAY_REVERSE,       /* granted → payment_failed, and the
	                              * amount credited back to the fund */
	EMERGENCY_PAY_IGNORE,        /* nothing to do (a repeat) */
	EMERGENCY_PAY_IGNORE_NOTE,   /* nothing to do; worth a log line */
	EMERGENCY_PAY_IGNORE_ALERT,  /* nothing to do, but money went out
	                              * that the fund has been credited back
	                              * with: finance must look */
} emergency_payment_action;

/*
 * What a payment outcome does to a grant in status (found false: no such
 * grant). Only a granted grant moves, so a failure reverses at most once
 * whatever event ids its repeats carry, and a settlement after the
 * reversal changes nothing but is an alert.
 */
emergency_payment_action emergency_rules_payment(
    emergency_payment_event ev, bool found, emergency_grant_status status);

/* ---- small parsers --------------------------------------------------------
 */

/* "YYYY" of 4 digits into *year; false for anything else. */
bool emergency_rules_year_parse(const char *s, int *year);

/* A 9-digit township code; a 12-digit village code inside a township. */
bool emergency_rules_township_valid(const char *s);
bool emergency_rules_village_in(const char *village, const char *township);

#endif /* EMERGENCY_RULES_H */
