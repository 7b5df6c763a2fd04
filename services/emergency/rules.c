/*
 * rules.c - the emergency service's pure rules; see rules.h.
 */
#include "rules.h"

#include <string.h>

#include "sn/idnum.h"

const char *const emergency_cause_names[]
    = { "", "accident", "major_illness", "disaster", "fire", "other", NULL };

const char *const emergency_referral_names[] = { "", "medical", "housing",
	"education", "employment", "dibao", "tekun", NULL };

const char *const emergency_kind_names[] = { "single", "transitional", NULL };

const char *const emergency_status_names[] = { "awaiting_approval", "granted",
	"rejected", "paid", "payment_failed", NULL };

static bool
digits(const char *s, size_t n)
{
	if (s == NULL || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* 1..max bytes. */
static bool
text_ok(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= max;
}

/* The index of s in names (from 1 when skip_first), or -1. */
static int
name_index(const char *const *names, const char *s, bool skip_first)
{
	for (int i = skip_first ? 1 : 0; s != NULL && names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

bool
emergency_rules_cause_parse(const char *s, emergency_cause *out)
{
	int i = name_index(emergency_cause_names, s, true);
	if (i < 0)
		return false;
	*out = (emergency_cause) i;
	return true;
}

const char *
emergency_rules_cause_name(emergency_cause c)
{
	return c > EMERGENCY_CAUSE_NONE && c <= EMERGENCY_CAUSE_OTHER
	    ? emergency_cause_names[c]
	    : NULL;
}

bool
emergency_rules_referral_parse(const char *s, emergency_referral_kind *out)
{
	int i = name_index(emergency_referral_names, s, true);
	if (i < 0)
		return false;
	*out = (emergency_referral_kind) i;
	return true;
}

const char *
emergency_rules_referral_name(emergency_referral_kind k)
{
	return k > EMERGENCY_REFERRAL_NONE && k <= EMERGENCY_REFERRAL_TEKUN
	    ? emergency_referral_names[k]
	    : NULL;
}

bool
emergency_rules_referral_needs_department(emergency_referral_kind k)
{
	return k >= EMERGENCY_REFERRAL_MEDICAL
	    && k <= EMERGENCY_REFERRAL_EMPLOYMENT;
}

bool
emergency_rules_status_parse(const char *s, emergency_grant_status *out)
{
	int i = name_index(emergency_status_names, s, false);
	if (i < 0)
		return false;
	*out = (emergency_grant_status) i;
	return true;
}

const char *
emergency_rules_status_name(emergency_grant_status s)
{
	return (int) s >= 0 && (int) s < EMERGENCY_NSTATUS
	    ? emergency_status_names[s]
	    : NULL;
}

bool
emergency_rules_township_valid(const char *s)
{
	return digits(s, 9);
}

bool
emergency_rules_village_in(const char *village, const char *township)
{
	return digits(village, 12) && emergency_rules_township_valid(township)
	    && strncmp(village, township, 9) == 0;
}

static bool
is_district(const sn_principal *p)
{
	return strlen(p->juris) == 6;
}

/* The codes and who asks. */
static bool
grant_place(
    const emergency_grant_req *r, const sn_principal *p, sn_problem *why)
{
	if (!emergency_rules_township_valid(r->township_code))
		return sn_problem_set(why, 422, "invalid_code",
		    "township_code",
		    "township_code is a 9-digit division code");
	if (!digits(r->village_code, 12))
		return sn_problem_set(why, 422, "invalid_code", "village_code",
		    "village_code is a 12-digit division code");
	if (!emergency_rules_village_in(r->village_code, r->township_code))
		return sn_problem_set(why, 422, "codes_do_not_nest",
		    "village_code", "the village is not in the township");
	if (!sn_auth_within(p, r->township_code))
		return sn_problem_set(why, 403, "outside_jurisdiction",
		    "township_code",
		    "the township is outside your jurisdiction");
	if (r->id_number == NULL || !sn_idnum_valid(r->id_number))
		return sn_problem_set(why, 422, "invalid_id_number",
		    "person.id_number",
		    "not a valid resident identity number");
	if (p->id_number[0] != '\0' && strcmp(p->id_number, r->id_number) == 0)
		return sn_problem_set(why, 403, "own_grant",
		    "person.id_number",
		    "an officer may not grant help to themselves");
	return true;
}

static bool
bank_code_ok(const char *s)
{
	if (s == NULL || strlen(s) < 1 || strlen(s) > 16)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')
		        || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* The person, the event and the payee. */
static bool
grant_details(const emergency_grant_req *r, sn_problem *why)
{
	emergency_cause c;
	if (!text_ok(r->name, EMERGENCY_NAME_MAX))
		return sn_problem_set(why, 422, "invalid_name", "person.name",
		    "the person's name is required, at most 64 bytes");
	if (!emergency_rules_cause_parse(r->cause, &c))
		return sn_problem_set(why, 422, "invalid_cause", "cause",
		    "cause is accident, major_illness, disaster, fire or "
		    "other");
	if (!text_ok(r->description, EMERGENCY_DESCRIPTION_MAX))
		return sn_problem_set(why, 422, "invalid_description",
		    "description",
		    "a short description is required, at most 500 bytes");
	if (r->household_size < 1
	    || r->household_size > EMERGENCY_HOUSEHOLD_MAX)
		return sn_problem_set(why, 422, "invalid_household_size",
		    "household_size",
		    "household_size is a whole number from 1 to 20");
	if (r->amount_fen <= 0 || r->amount_fen > EMERGENCY_AMOUNT_MAX)
		return sn_problem_set(why, 422, "invalid_amount", "amount_fen",
		    "amount_fen is a whole number of fen from 1 to 100000000");
	if (r->bank_code == NULL || strlen(r->bank_code) < 1
	    || strlen(r->bank_code) > 16)
		return sn_problem_set(why, 422, "invalid_payee",
		    "payee.bank_code",
		    "payee.bank_code is 1 to 16 characters");
	if (!bank_code_ok(r->bank_code))
		return sn_problem_set(why, 422, "invalid_payee",
		    "payee.bank_code",
		    "payee.bank_code is letters and digits");
	size_t an = r->account_number ? strlen(r->account_number) : 0;
	if (an < 8 || an > 32 || !digits(r->account_number, an))
		return sn_problem_set(why, 422, "invalid_payee",
		    "payee.account_number",
		    "payee.account_number is 8 to 32 digits");
	if (!text_ok(r->account_name, EMERGENCY_NAME_MAX))
		return sn_problem_set(why, 422, "invalid_payee",
		    "payee.account_name",
		    "payee.account_name is required, at most 64 bytes");
	return true;
}

emergency_class
emergency_rules_classify(const emergency_grant_req *r, const sn_principal *p,
    sn_fen limit, sn_problem *why)
{
	if (!grant_place(r, p, why) || !grant_details(r, why)
	    || !emergency_rules_household_check(r, why))
		return EMERGENCY_INVALID;
	return r->amount_fen <= limit ? EMERGENCY_AT_ONCE
	                              : EMERGENCY_NEEDS_APPROVAL;
}

bool
emergency_rules_household_check(const emergency_grant_req *r, sn_problem *why)
{
	if ((int64_t) r->nhousehold > r->household_size - 1)
		return sn_problem_set(why, 422, "invalid_household",
		    "household_id_numbers",
		    "household_id_numbers names the other members: at most "
		    "household_size - 1 of them");
	for (size_t i = 0; i < r->nhousehold; i++) {
		const char *m = r->household[i];
		if (m == NULL || !sn_idnum_valid(m))
			return sn_problem_set(why, 422, "invalid_id_number",
			    "household_id_numbers",
			    "household_id_numbers[%zu] is not a valid "
			    "resident identity number",
			    i);
		if (r->id_number != NULL && strcmp(m, r->id_number) == 0)
			return sn_problem_set(why, 422, "invalid_household",
			    "household_id_numbers",
			    "household_id_numbers lists the other members, "
			    "not the person");
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->household[j], m) == 0)
				return sn_problem_set(why, 422,
				    "invalid_household",
				    "household_id_numbers",
				    "household_id_numbers[%zu] is listed "
				    "twice",
				    i);
	}
	return true;
}

static bool
single_kind(const emergency_kind_req *k, sn_fen *total, sn_problem *why)
{
	if (k->has_instalments || k->has_monthly)
		return sn_problem_set(why, 422, "invalid_instalments",
		    k->has_instalments ? "instalments" : "monthly_amount_fen",
		    "instalments and monthly_amount_fen are for "
		    "\"kind\": \"transitional\" only");
	*total = k->has_amount ? k->amount_fen : 0;
	return true;
}

static bool
transitional_kind(const emergency_kind_req *k, int64_t max,
    int32_t *instalments, sn_fen *total, sn_problem *why)
{
	if (!k->has_instalments || k->instalments < 2 || k->instalments > max)
		return sn_problem_set(why, 422, "invalid_instalments",
		    "instalments",
		    "transitional aid is paid in 2 to %lld monthly "
		    "instalments",
		    (long long) max);
	if (!k->has_monthly || k->monthly_fen <= 0
	    || k->monthly_fen > EMERGENCY_AMOUNT_MAX)
		return sn_problem_set(why, 422, "invalid_amount",
		    "monthly_amount_fen",
		    "monthly_amount_fen is a whole number of fen from 1 to "
		    "100000000");
	if (k->monthly_fen > EMERGENCY_AMOUNT_MAX / k->instalments)
		return sn_problem_set(why, 422, "invalid_amount",
		    "monthly_amount_fen",
		    "instalments x monthly_amount_fen is at most 100000000 "
		    "fen");
	sn_fen t = k->monthly_fen * k->instalments;
	if (k->has_amount && k->amount_fen != t)
		return sn_problem_set(why, 422, "invalid_amount", "amount_fen",
		    "amount_fen, when given, is instalments x "
		    "monthly_amount_fen (%lld)",
		    (long long) t);
	*instalments = (int32_t) k->instalments;
	*total       = t;
	return true;
}

bool
emergency_rules_kind(const emergency_kind_req *k, int64_t max_instalments,
    emergency_kind *kind, int32_t *instalments, sn_fen *total, sn_problem *why)
{
	*instalments = 0;
	if (k->kind == NULL || strcmp(k->kind, "single") == 0) {
		*kind = EMERGENCY_KIND_SINGLE;
		return single_kind(k, total, why);
	}
	if (strcmp(k->kind, "transitional") != 0)
		return sn_problem_set(why, 422, "invalid_kind", "kind",
		    "kind is single or transitional");
	*kind = EMERGENCY_KIND_TRANSITIONAL;
	return transitional_kind(k, max_instalments, instalments, total, why);
}

emergency_class
emergency_rules_window(sn_fen limit, sn_fen prior, sn_fen amount)
{
	sn_fen sum;
	if (prior < 0 || amount < 0
	    || sn_fen_add(prior, amount, &sum) != SN_OK)
		return EMERGENCY_NEEDS_APPROVAL;
	return sum <= limit ? EMERGENCY_AT_ONCE : EMERGENCY_NEEDS_APPROVAL;
}

emergency_debit
emergency_rules_debit(sn_fen balance, sn_fen amount, sn_fen *after)
{
	sn_fen left;
	if (amount <= 0 || balance < 0)
		return EMERGENCY_DEBIT_INVALID;
	if (amount > balance)
		return EMERGENCY_DEBIT_INSUFFICIENT;
	if (sn_fen_sub(balance, amount, &left) != SN_OK)
		return EMERGENCY_DEBIT_INVALID;
	*after = left;
	return EMERGENCY_DEBIT_OK;
}

emergency_debit
emergency_rules_debit_check(bool has_fund, sn_fen balance, sn_fen amount,
    const char *field, sn_fen *after, sn_problem *why)
{
	char            b[SN_FEN_FMT_MAX], a[SN_FEN_FMT_MAX];
	emergency_debit d = has_fund
	    ? emergency_rules_debit(balance, amount, after)
	    : EMERGENCY_DEBIT_INSUFFICIENT;
	if (d == EMERGENCY_DEBIT_OK)
		return d;
	if (!has_fund)
		sn_problem_set(why, 409, "insufficient_funds", field,
		    "the township has no reserve fund yet; %s yuan cannot be "
		    "granted",
		    sn_fen_format(amount, a));
	else
		sn_problem_set(why, 409, "insufficient_funds", field,
		    "the reserve fund's balance, %s yuan, does not cover %s "
		    "yuan",
		    sn_fen_format(balance, b), sn_fen_format(amount, a));
	return d;
}

bool
emergency_rules_allocation_check(const sn_principal *p, const char *township,
    sn_fen amount, sn_problem *why)
{
	if (!emergency_rules_township_valid(township))
		return sn_problem_set(why, 422, "invalid_code", "township",
		    "the township is a 9-digit division code");
	if (!is_district(p) || !sn_auth_within(p, township))
		return sn_problem_set(why, 403, "outside_jurisdiction",
		    "township",
		    "allocations are made by the district covering the "
		    "township");
	if (amount <= 0 || amount > EMERGENCY_ALLOCATION_MAX)
		return sn_problem_set(why, 422, "invalid_amount", "amount_fen",
		    "amount_fen is a whole number of fen from 1 to "
		    "1000000000000");
	return true;
}

bool
emergency_rules_settlement_check(
    const sn_principal *p, const char *township, sn_problem *why)
{
	if (!emergency_rules_township_valid(township))
		return sn_problem_set(why, 422, "invalid_code", "township",
		    "the township is a 9-digit division code");
	if (!is_district(p) || !sn_auth_within(p, township))
		return sn_problem_set(why, 403, "outside_jurisdiction",
		    "township",
		    "a fund is settled by the district covering the township");
	return true;
}

bool
emergency_rules_year_valid(int64_t year, int current_year)
{
	return year >= EMERGENCY_FIRST_YEAR && year <= current_year;
}

bool
emergency_rules_settlement_year(int64_t year, sn_date today, sn_problem *why)
{
	if (!emergency_rules_year_valid(year, today.year))
		return sn_problem_set(why, 422, "invalid_year", "year",
		    "year is a whole number from 2000 to this year");
	return true;
}

bool
emergency_rules_approver_check(const sn_principal *p, const char *township,
    const char *granted_by, const char *person_id_number, sn_problem *why)
{
	if (!is_district(p) || !sn_auth_within(p, township))
		return sn_problem_set(why, 403, "outside_jurisdiction", NULL,
		    "grants are approved by the district covering the "
		    "township");
	if (granted_by != NULL && strcmp(p->user, granted_by) == 0)
		return sn_problem_set(why, 403, "same_user", NULL,
		    "the officer who asked for the grant may not approve it");
	if (p->id_number[0] != '\0' && person_id_number != NULL
	    && strcmp(p->id_number, person_id_number) == 0)
		return sn_problem_set(why, 403, "own_grant", NULL,
		    "an approver may not decide a grant to themselves");
	return true;
}

bool
emergency_rules_approval_check(
    const sn_principal *p, const emergency_grant_facts *g, sn_problem *why)
{
	if (!emergency_rules_approver_check(
	        p, g->township_code, g->granted_by, g->id_number, why))
		return false;
	if (g->status != EMERGENCY_GRANT_AWAITING) {
		const char *s = emergency_rules_status_name(g->status);
		return sn_problem_set(why, 409, "not_awaiting_approval", NULL,
		    "the grant is %s, not waiting for approval",
		    s != NULL ? s : "unknown");
	}
	return true;
}

bool
emergency_rules_decision_check(
    const char *decision, const char *reason, bool *approve, sn_problem *why)
{
	if (decision == NULL
	    || (strcmp(decision, "approve") != 0
	        && strcmp(decision, "reject") != 0))
		return sn_problem_set(why, 422, "invalid_decision", "decision",
		    "decision is approve or reject");
	*approve = strcmp(decision, "approve") == 0;
	if (reason != NULL && strlen(reason) > EMERGENCY_NOTE_MAX)
		return sn_problem_set(why, 422, "invalid_reason", "reason",
		    "reason is at most 500 bytes");
	if (!*approve && (reason == NULL || reason[0] == '\0'))
		return sn_problem_set(why, 422, "reason_required", "reason",
		    "a rejection needs a reason");
	return true;
}

bool
emergency_rules_referral_check(const char *kind, const char *department,
    const char *note, emergency_referral_kind *out, sn_problem *why)
{
	if (!emergency_rules_referral_parse(kind, out))
		return sn_problem_set(why, 422, "invalid_kind", "kind",
		    "kind is medical, housing, education, employment, dibao "
		    "or tekun");
	if (emergency_rules_referral_needs_department(*out)
	    && !text_ok(department, EMERGENCY_DEPARTMENT_MAX))
		return sn_problem_set(why, 422, "department_required",
		    "department",
		    "special assistance names the department that takes it "
		    "over (at most 100 bytes)");
	if (department != NULL
	    && strlen(department) > EMERGENCY_DEPARTMENT_MAX)
		return sn_problem_set(why, 422, "invalid_department",
		    "department", "department is at most 100 bytes");
	if (note != NULL && strlen(note) > EMERGENCY_NOTE_MAX)
		return sn_problem_set(why, 422, "invalid_note", "note",
		    "note is at most 500 bytes");
	return true;
}

bool
emergency_rules_referral_allowed(
    const sn_principal *p, const char *township, sn_problem *why)
{
	if (!sn_auth_within(p, township))
		return sn_problem_set(why, 403, "outside_jurisdiction", "id",
		    "the grant's township is outside your jurisdiction");
	return true;
}

emergency_payment_action
emergency_rules_payment(
    emergency_payment_event ev, bool found, emergency_grant_status status)
{
	bool settled = ev == EMERGENCY_PAYMENT_SETTLED;
	if (found && status == EMERGENCY_GRANT_GRANTED)
		return settled ? EMERGENCY_PAY_MARK_PAID
		               : EMERGENCY_PAY_REVERSE;
	if (!settled)
		return EMERGENCY_PAY_IGNORE; /* reversed already, or never paid
		                              */
	if (found && status == EMERGENCY_GRANT_PAYMENT_FAILED)
		return EMERGENCY_PAY_IGNORE_ALERT;
	return EMERGENCY_PAY_IGNORE_NOTE;
}

bool
emergency_rules_year_parse(const char *s, int *year)
{
	if (!digits(s, 4))
		return false;
	*year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
	    + (s[3] - '0');
	return true;
}
