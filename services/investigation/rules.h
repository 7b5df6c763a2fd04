/*
 * rules.h - the pure rules of investigation (入户调查): what makes a
 * home-visit report acceptable, who may file one, which tasks a list
 * shows, and the shape checks of the values the service takes in (dates,
 * event times, division codes, the members of an incoming household).
 * Refusals are sn_problem values (sn/problem.h) the handlers answer as
 * they are.
 *
 * Everything here is a pure function: no I/O, no clock ("today" is an
 * argument), no allocation, no log. Strings are borrowed for the call
 * only. Callable from any thread.
 *
 * A report is accepted when (checked in this order; the first failure is
 * the answer):
 *   - there are exactly two investigators, each with a valid user id and
 *     a valid resident identity number, different users with different
 *     identity numbers;
 *   - the caller is one of them (and, when the caller's token carries an
 *     identity number, it is the one listed for the caller);
 *   - neither is the applicant nor any other member of the household
 *     (compared by identity number);
 *   - the visit date is a real YYYY-MM-DD date, not after today and not
 *     before the task's not_before date (the application's acceptance);
 *   - every member of the household is accounted for exactly once
 *     (present or not), and nobody else;
 *   - the living and housing conditions are given (at most
 *     INVESTIGATION_TEXT_MAX bytes), each contradiction is a non-empty
 *     observation (at most INVESTIGATION_TEXT_MAX bytes, at most
 *     INVESTIGATION_MAX_CONTRADICTIONS of them);
 *   - the recommendation is "approve", "reject" or "further_review".
 */
#ifndef INVESTIGATION_RULES_H
#define INVESTIGATION_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/auth.h"
#include "sn/date.h"
#include "sn/page.h"
#include "sn/problem.h"

/* Largest household a task holds (events with more are refused). */
#define INVESTIGATION_MAX_MEMBERS 64
/* Investigators a request may list (only two are accepted). */
#define INVESTIGATION_MAX_INVESTIGATORS 8
#define INVESTIGATION_MAX_CONTRADICTIONS 50
#define INVESTIGATION_TEXT_MAX 4000

/* Where a task stands (task.status). */
typedef enum investigation_task_status {
	INVESTIGATION_TASK_OPEN = 0,
	INVESTIGATION_TASK_CLOSED,    /* its report is in */
	INVESTIGATION_TASK_CANCELLED, /* the application was withdrawn */
} investigation_task_status;

/* Which tasks GET /tasks lists (?status=). */
typedef enum investigation_list_status {
	INVESTIGATION_LIST_OPEN = 0,
	INVESTIGATION_LIST_CLOSED,
	INVESTIGATION_LIST_CANCELLED,
	INVESTIGATION_LIST_ALL,
} investigation_list_status;

typedef enum investigation_recommendation {
	INVESTIGATION_REC_NONE = 0,
	INVESTIGATION_REC_APPROVE,
	INVESTIGATION_REC_REJECT,
	INVESTIGATION_REC_FURTHER_REVIEW,
} investigation_recommendation;

typedef struct investigation_investigator {
	const char *user_id;
	const char *id_number;
} investigation_investigator;

typedef struct investigation_presence {
	const char *id_number;
	bool        present;
} investigation_presence;

/* A report as submitted. Arrays and strings are borrowed. */
typedef struct investigation_report {
	investigation_investigator
	                       investigators[INVESTIGATION_MAX_INVESTIGATORS];
	size_t                 ninvestigators;
	const char            *visit_date;
	investigation_presence members[INVESTIGATION_MAX_MEMBERS];
	size_t                 nmembers;
	const char            *living_conditions;
	const char            *housing_condition;
	const char *contradictions[INVESTIGATION_MAX_CONTRADICTIONS];
	size_t      ncontradictions;
	const char *recommendation;
} investigation_report;

/* What the report is checked against: the task and who calls. */
typedef struct investigation_report_ctx {
	const char
	      *member_ids[INVESTIGATION_MAX_MEMBERS]; /* applicant first */
	size_t nmembers;
	const char *applicant_id; /* the applicant's identity number */
	sn_date     not_before;   /* no visit before it */
	sn_date     today;        /* the district's (sn_clock_today) */
	const char *caller_user;
	const char *caller_id_number; /* "" or NULL when the token has none */
} investigation_report_ctx;

/*
 * True if report may be accepted in ctx; otherwise false with *why (not
 * NULL) holding the refusal: 422, a stable code for programs, a sentence
 * for people, and the offending field in the request's terms
 * ("investigators[1].id_number").
 */
bool investigation_rules_check_report(const investigation_report *report,
    const investigation_report_ctx *ctx, sn_problem *why);

/*
 * True if a report may be filed for a task in status by a caller whose
 * jurisdiction holds the task's village (within); otherwise false with
 * *why: 403 outside_jurisdiction, or 409 task_closed / task_cancelled
 * (field "id").
 */
bool investigation_rules_may_report(
    investigation_task_status status, bool within, sn_problem *why);

/* Which tasks GET /tasks lists. */
typedef struct investigation_list_query {
	bool                      by_village; /* else by township */
	const char               *code;       /* borrowed */
	investigation_list_status status;
	sn_page                   page; /* limit and cursor (sn/page.h) */
} investigation_list_query;

/*
 * GET /tasks's query parameters (each NULL when absent) for caller who:
 * exactly one of village (12 digits) or township (9 digits) within the
 * caller's jurisdiction, status open (the default), closed, cancelled or
 * all, and a page (sn/page.h: limit 1..SN_PAGE_MAX, default
 * SN_PAGE_DEFAULT; cursor a "next" GET /tasks gave). Otherwise false with
 * *why, checked in this order: 400 code_required, 400 invalid_code, 403
 * outside_jurisdiction, 400 invalid_status, 422 invalid_query (limit or
 * cursor).
 */
bool investigation_rules_list_query(const char *village, const char *township,
    const char *status, const char *limit, const char *cursor,
    const sn_principal *who, investigation_list_query *out, sn_problem *why);

/* The recommendation named by s; INVESTIGATION_REC_NONE for anything
 * else (NULL included). */
investigation_recommendation investigation_rules_recommendation(const char *s);

/* True if s is a real calendar date written YYYY-MM-DD (1900-9999). */
bool investigation_rules_date_valid(const char *s);

/* The same, parsed into *out (untouched when false). */
bool investigation_rules_date_parse(const char *s, sn_date *out);

/*
 * The instant an RFC 3339 time names ("2026-12-02T13:55:39.123456Z", an
 * offset "+08:00" instead of Z, any number of fraction digits), in Unix
 * seconds (the fraction dropped). False (out untouched) for anything
 * else, NULL and "" included.
 */
bool investigation_rules_stamp_unix(const char *s, int64_t *out);

/* True if s is a user id as tokens carry them: 1..63 of A-Z a-z 0-9 . _ @ -.
 */
bool investigation_rules_user_valid(const char *s);

/*
 * True if the codes nest: district 6 digits, township 9 digits starting
 * with the district, village 12 digits starting with the township.
 */
bool investigation_rules_codes_valid(
    const char *district, const char *township, const char *village);

/*
 * True if the n identity numbers (n from 1 to INVESTIGATION_MAX_MEMBERS)
 * are valid and all different: a household a task can be opened for.
 */
bool investigation_rules_members_valid(const char *const *ids, size_t n);

#endif /* INVESTIGATION_RULES_H */
