/*
 * rules.c - the pure rules of investigation; see rules.h.
 */
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/date.h"
#include "sn/idnum.h"

/* A 422 refusal of field; message is a plain sentence. */
static bool
fail(sn_problem *why, const char *code, const char *message, const char *field)
{
	return sn_problem_set(why, 422, code, field, "%s", message);
}

/* The same for array[i] or array[i].member (member NULL). */
static bool
fail_at(sn_problem *why, const char *code, const char *message,
    const char *array, size_t i, const char *member)
{
	char field[64];
	if (member != NULL)
		snprintf(field, sizeof(field), "%s[%zu].%s", array, i, member);
	else
		snprintf(field, sizeof(field), "%s[%zu]", array, i);
	return fail(why, code, message, field);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return s[n] == '\0';
}

static bool
str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static bool
idnum_ok(const char *s, int today)
{
	return s != NULL && sn_idnum_parse(s, strlen(s), today, NULL) == SN_OK;
}

bool
investigation_rules_date_parse(const char *s, sn_date *out)
{
	sn_date d;
	if (s == NULL || sn_date_parse(s, &d) != SN_OK || d.year < 1900)
		return false;
	*out = d;
	return true;
}

bool
investigation_rules_date_valid(const char *s)
{
	sn_date d;
	return investigation_rules_date_parse(s, &d);
}

/* n digits at s as a number; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool
investigation_rules_stamp_unix(const char *s, int64_t *out)
{
	char    date[SN_DATE_STRLEN];
	sn_date d;
	if (s == NULL || strlen(s) < 20)
		return false;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (sn_date_parse(date, &d) != SN_OK
	    || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':'
	    || s[16] != ':')
		return false;
	int h = digits(s + 11, 2), m = digits(s + 14, 2),
	    sec = digits(s + 17, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
		return false;
	const char *p = s + 19;
	if (*p == '.') {
		if (!is_digit(p[1]))
			return false;
		for (p++; is_digit(*p); p++)
			;
	}
	int64_t off = 0;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh = digits(p + 1, 2), om = digits(p + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return false;
		off = (int64_t) (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
	} else {
		return false;
	}
	*out = sn_date_to_days(d) * 86400 + h * 3600 + m * 60 + sec - off;
	return true;
}

bool
investigation_rules_user_valid(const char *s)
{
	if (s == NULL)
		return false;
	size_t n = strlen(s);
	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!is_digit(c) && !(c >= 'a' && c <= 'z')
		    && !(c >= 'A' && c <= 'Z') && c != '.' && c != '_'
		    && c != '@' && c != '-')
			return false;
	}
	return true;
}

bool
investigation_rules_codes_valid(
    const char *district, const char *township, const char *village)
{
	return district != NULL && township != NULL && village != NULL
	    && all_digits(district, 6) && all_digits(township, 9)
	    && all_digits(village, 12) && strncmp(township, district, 6) == 0
	    && strncmp(village, township, 9) == 0;
}

bool
investigation_rules_members_valid(const char *const *ids, size_t n)
{
	if (ids == NULL || n < 1 || n > INVESTIGATION_MAX_MEMBERS)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!idnum_ok(ids[i], 0))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				return false;
	}
	return true;
}

investigation_recommendation
investigation_rules_recommendation(const char *s)
{
	if (str_eq(s, "approve"))
		return INVESTIGATION_REC_APPROVE;
	if (str_eq(s, "reject"))
		return INVESTIGATION_REC_REJECT;
	if (str_eq(s, "further_review"))
		return INVESTIGATION_REC_FURTHER_REVIEW;
	return INVESTIGATION_REC_NONE;
}

static bool
check_investigators(const investigation_report *r,
    const investigation_report_ctx *ctx, int today, sn_problem *why)
{
	if (r->ninvestigators != 2)
		return fail(why, "two_investigators_required",
		    "a home visit is made and reported by exactly two "
		    "investigators",
		    "investigators");
	for (size_t i = 0; i < 2; i++) {
		const investigation_investigator *v = &r->investigators[i];
		if (!investigation_rules_user_valid(v->user_id))
			return fail_at(why, "invalid_user_id", "not a user id",
			    "investigators", i, "user_id");
		if (!idnum_ok(v->id_number, today))
			return fail_at(why, "invalid_id_number",
			    "not a valid resident identity number",
			    "investigators", i, "id_number");
	}
	const investigation_investigator *a = &r->investigators[0];
	const investigation_investigator *b = &r->investigators[1];
	if (strcmp(a->user_id, b->user_id) == 0)
		return fail_at(why, "same_investigator",
		    "the two investigators must be different users",
		    "investigators", 1, "user_id");
	if (strcmp(a->id_number, b->id_number) == 0)
		return fail_at(why, "same_investigator_id_number",
		    "the two investigators must be different people "
		    "(the same identity number is given twice)",
		    "investigators", 1, "id_number");

	size_t me = 2;
	for (size_t i = 0; i < 2; i++)
		if (str_eq(r->investigators[i].user_id, ctx->caller_user))
			me = i;
	if (me == 2)
		return fail(why, "caller_not_investigator",
		    "the report must be submitted by one of its two "
		    "investigators",
		    "investigators");
	if (ctx->caller_id_number != NULL && ctx->caller_id_number[0] != '\0'
	    && strcmp(ctx->caller_id_number, r->investigators[me].id_number)
	        != 0)
		return fail_at(why, "id_number_mismatch",
		    "the identity number given for the caller is not the "
		    "caller's own",
		    "investigators", me, "id_number");

	for (size_t i = 0; i < 2; i++) {
		const char *idn = r->investigators[i].id_number;
		if (str_eq(idn, ctx->applicant_id))
			return fail_at(why, "investigator_is_applicant",
			    "an investigator may not be the applicant",
			    "investigators", i, "id_number");
		for (size_t k = 0; k < ctx->nmembers; k++)
			if (str_eq(idn, ctx->member_ids[k]))
				return fail_at(why,
				    "investigator_is_household_member",
				    "an investigator may not be a member of "
				    "the household visited",
				    "investigators", i, "id_number");
	}
	return true;
}

static bool
check_visit_date(const investigation_report *r,
    const investigation_report_ctx *ctx, sn_problem *why)
{
	sn_date visit;
	if (!investigation_rules_date_parse(r->visit_date, &visit))
		return fail(why, "invalid_date",
		    "the visit date must be a real date written YYYY-MM-DD",
		    "visit_date");
	if (sn_date_cmp(visit, ctx->today) > 0)
		return fail(why, "visit_date_in_future",
		    "the visit date is after today", "visit_date");
	if (sn_date_cmp(visit, ctx->not_before) < 0)
		return fail(why, "visit_date_before_application",
		    "the visit date is before the application was accepted",
		    "visit_date");
	return true;
}

static bool
check_members(const investigation_report *r,
    const investigation_report_ctx *ctx, sn_problem *why)
{
	for (size_t i = 0; i < r->nmembers; i++) {
		const char *idn   = r->members[i].id_number;
		bool        known = false;
		for (size_t k = 0; k < ctx->nmembers && !known; k++)
			known = str_eq(idn, ctx->member_ids[k]);
		if (!known)
			return fail_at(why, "unknown_member",
			    "this person is not a member of the household",
			    "members", i, "id_number");
		for (size_t j = 0; j < i; j++)
			if (str_eq(idn, r->members[j].id_number))
				return fail_at(why, "duplicate_member",
				    "this member is listed twice", "members",
				    i, "id_number");
	}
	/* Every listed one is known and none twice: a shortfall in number
	 * means someone is missing. */
	if (r->nmembers != ctx->nmembers)
		return fail(why, "member_missing",
		    "every member of the household must be listed, present "
		    "or not",
		    "members");
	return true;
}

static bool
text_ok(const char *s)
{
	if (s == NULL)
		return false;
	size_t n = strlen(s);
	if (n < 1 || n > INVESTIGATION_TEXT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n'
		    && s[i] != '\r')
			return true;
	return false; /* only blanks */
}

bool
investigation_rules_check_report(const investigation_report *r,
    const investigation_report_ctx *ctx, sn_problem *why)
{
	int today = sn_date_yyyymmdd(ctx->today);

	sn_problem_clear(why);
	if (!check_investigators(r, ctx, today, why))
		return false;
	if (!check_visit_date(r, ctx, why))
		return false;
	if (!check_members(r, ctx, why))
		return false;
	if (!text_ok(r->living_conditions))
		return fail(why, "text_required",
		    "describe the living conditions (1 to 4000 bytes)",
		    "living_conditions");
	if (!text_ok(r->housing_condition))
		return fail(why, "text_required",
		    "describe the housing condition (1 to 4000 bytes)",
		    "housing_condition");
	if (r->ncontradictions > INVESTIGATION_MAX_CONTRADICTIONS)
		return fail(why, "too_many", "at most 50 contradictions",
		    "contradictions");
	for (size_t i = 0; i < r->ncontradictions; i++)
		if (!text_ok(r->contradictions[i]))
			return fail_at(why, "text_required",
			    "a contradiction is a non-empty observation of "
			    "at most 4000 bytes",
			    "contradictions", i, NULL);
	if (investigation_rules_recommendation(r->recommendation)
	    == INVESTIGATION_REC_NONE)
		return fail(why, "invalid_recommendation",
		    "the recommendation is approve, reject or further_review",
		    "recommendation");
	return true;
}

bool
investigation_rules_may_report(
    investigation_task_status status, bool within, sn_problem *why)
{
	sn_problem_clear(why);
	if (!within)
		return sn_problem_set(why, 403, "outside_jurisdiction", "id",
		    "the task's village is outside your jurisdiction");
	if (status == INVESTIGATION_TASK_CLOSED)
		return sn_problem_set(why, 409, "task_closed", "id",
		    "the task already has its report");
	if (status != INVESTIGATION_TASK_OPEN)
		return sn_problem_set(why, 409, "task_cancelled", "id",
		    "the application was withdrawn");
	return true;
}

/* The ?status= of a list; false when it names none. */
static bool
list_status(const char *s, investigation_list_status *out)
{
	static const char *const names[]
	    = { "open", "closed", "cancelled", "all" };
	for (int i = 0; i < 4; i++)
		if (s == NULL || strcmp(s, names[i]) == 0) {
			*out = (investigation_list_status) i;
			return true;
		}
	return false;
}

bool
investigation_rules_list_query(const char *village, const char *township,
    const char *status, const char *limit, const char *cursor,
    const sn_principal *who, investigation_list_query *out, sn_problem *why)
{
	investigation_list_query q = { .by_village = village != NULL,
		.code   = village != NULL ? village : township,
		.status = INVESTIGATION_LIST_OPEN };
	const char *field          = village != NULL ? "village" : "township";
	sn_problem_clear(why);
	if ((village == NULL) == (township == NULL))
		return sn_problem_set(why, 400, "code_required", "village",
		    "give exactly one of village or township");
	if (!all_digits(q.code, village != NULL ? 12u : 9u))
		return sn_problem_set(why, 400, "invalid_code", field, "%s",
		    village != NULL ? "a village code is 12 digits"
		                    : "a township code is 9 digits");
	if (!sn_auth_within(who, q.code))
		return sn_problem_set(why, 403, "outside_jurisdiction", field,
		    "that code is outside your jurisdiction");
	if (!list_status(status, &q.status))
		return sn_problem_set(why, 400, "invalid_status", "status",
		    "status is open, closed, cancelled or all");
	if (!sn_page_parse(limit, cursor, &q.page, why))
		return false;
	*out = q;
	return true;
}
