/*
 * rules.c - the emergency service's pure rules; see rules.h.
 */
#include "rules.h"

#include <stdio.h>
#include <string.h>

#include "sn/idnum.h"

static const char *const cause_names[] = { NULL, "accident",
	"major_illness", "disaster", "fire", "other" };

static const char *const referral_names[] = { NULL, "medical", "housing",
	"education", "employment", "dibao", "tekun" };

static bool
refuse(emergency_problem *why, unsigned status, const char *code,
    const char *message, const char *field)
{
	why->status  = status;
	why->code    = code;
	why->message = message;
	snprintf(why->field, sizeof(why->field), "%s", field ? field : "");
	return false;
}

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

bool
emergency_rules_cause_parse(const char *s, emergency_cause *out)
{
	for (int i = 1; s != NULL && i <= EMERGENCY_CAUSE_OTHER; i++) {
		if (strcmp(s, cause_names[i]) == 0) {
			*out = (emergency_cause) i;
			return true;
		}
	}
	return false;
}

const char *
emergency_rules_cause_name(emergency_cause c)
{
	return c > EMERGENCY_CAUSE_NONE && c <= EMERGENCY_CAUSE_OTHER
	    ? cause_names[c]
	    : NULL;
}

bool
emergency_rules_referral_parse(const char *s, emergency_referral_kind *out)
{
	for (int i = 1; s != NULL && i <= EMERGENCY_REFERRAL_TEKUN; i++) {
		if (strcmp(s, referral_names[i]) == 0) {
			*out = (emergency_referral_kind) i;
			return true;
		}
	}
	return false;
}

const char *
emergency_rules_referral_name(emergency_referral_kind k)
{
	return k > EMERGENCY_REFERRAL_NONE && k <= EMERGENCY_REFERRAL_TEKUN
	    ? referral_names[k]
	    : NULL;
}

bool
emergency_rules_referral_needs_department(emergency_referral_kind k)
{
	return k >= EMERGENCY_REFERRAL_MEDICAL
	    && k <= EMERGENCY_REFERRAL_EMPLOYMENT;
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

emergency_class
emergency_rules_classify(const emergency_grant_req *r, const sn_principal *p,
    sn_fen limit, emergency_problem *why)
{
	emergency_cause c;

	if (!emergency_rules_township_valid(r->township_code)) {
		refuse(why, 422, "invalid_code",
		    "township_code is a 9-digit division code",
		    "township_code");
		return EMERGENCY_INVALID;
	}
	if (!digits(r->village_code, 12)) {
		refuse(why, 422, "invalid_code",
		    "village_code is a 12-digit division code", "village_code");
		return EMERGENCY_INVALID;
	}
	if (!emergency_rules_village_in(r->village_code, r->township_code)) {
		refuse(why, 422, "codes_do_not_nest",
		    "the village is not in the township", "village_code");
		return EMERGENCY_INVALID;
	}
	if (!sn_auth_within(p, r->township_code)) {
		refuse(why, 403, "outside_jurisdiction",
		    "the township is outside your jurisdiction",
		    "township_code");
		return EMERGENCY_INVALID;
	}
	if (r->id_number == NULL || !sn_idnum_valid(r->id_number)) {
		refuse(why, 422, "invalid_id_number",
		    "not a valid resident identity number", "person.id_number");
		return EMERGENCY_INVALID;
	}
	if (p->id_number[0] != '\0'
	    && strcmp(p->id_number, r->id_number) == 0) {
		refuse(why, 403, "own_grant",
		    "an officer may not grant help to themselves",
		    "person.id_number");
		return EMERGENCY_INVALID;
	}
	if (!text_ok(r->name, EMERGENCY_NAME_MAX)) {
		refuse(why, 422, "invalid_name",
		    "the person's name is required, at most 64 bytes",
		    "person.name");
		return EMERGENCY_INVALID;
	}
	if (!emergency_rules_cause_parse(r->cause, &c)) {
		refuse(why, 422, "invalid_cause",
		    "cause is accident, major_illness, disaster, fire or other",
		    "cause");
		return EMERGENCY_INVALID;
	}
	if (!text_ok(r->description, EMERGENCY_DESCRIPTION_MAX)) {
		refuse(why, 422, "invalid_description",
		    "a short description is required, at most 500 bytes",
		    "description");
		return EMERGENCY_INVALID;
	}
	if (r->household_size < 1
	    || r->household_size > EMERGENCY_HOUSEHOLD_MAX) {
		refuse(why, 422, "invalid_household_size",
		    "household_size is a whole number from 1 to 20",
		    "household_size");
		return EMERGENCY_INVALID;
	}
	if (r->amount_fen <= 0 || r->amount_fen > EMERGENCY_AMOUNT_MAX) {
		refuse(why, 422, "invalid_amount",
		    "amount_fen is a whole number of fen from 1 to 100000000",
		    "amount_fen");
		return EMERGENCY_INVALID;
	}
	if (r->bank_code == NULL || strlen(r->bank_code) < 1
	    || strlen(r->bank_code) > 16) {
		refuse(why, 422, "invalid_payee",
		    "payee.bank_code is 1 to 16 characters", "payee.bank_code");
		return EMERGENCY_INVALID;
	}
	for (const char *s = r->bank_code; *s; s++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')
		        || (*s >= '0' && *s <= '9'))) {
			refuse(why, 422, "invalid_payee",
			    "payee.bank_code is letters and digits",
			    "payee.bank_code");
			return EMERGENCY_INVALID;
		}
	}
	size_t an = r->account_number ? strlen(r->account_number) : 0;
	if (an < 8 || an > 32 || !digits(r->account_number, an)) {
		refuse(why, 422, "invalid_payee",
		    "payee.account_number is 8 to 32 digits",
		    "payee.account_number");
		return EMERGENCY_INVALID;
	}
	if (!text_ok(r->account_name, EMERGENCY_NAME_MAX)) {
		refuse(why, 422, "invalid_payee",
		    "payee.account_name is required, at most 64 bytes",
		    "payee.account_name");
		return EMERGENCY_INVALID;
	}
	return r->amount_fen <= limit ? EMERGENCY_AT_ONCE
	                              : EMERGENCY_NEEDS_APPROVAL;
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

bool
emergency_rules_allocation_check(const sn_principal *p, const char *township,
    sn_fen amount, emergency_problem *why)
{
	if (!emergency_rules_township_valid(township))
		return refuse(why, 422, "invalid_code",
		    "the township is a 9-digit division code", "township");
	if (!is_district(p) || !sn_auth_within(p, township))
		return refuse(why, 403, "outside_jurisdiction",
		    "allocations are made by the district covering the "
		    "township",
		    "township");
	if (amount <= 0 || amount > EMERGENCY_ALLOCATION_MAX)
		return refuse(why, 422, "invalid_amount",
		    "amount_fen is a whole number of fen from 1 to "
		    "1000000000000",
		    "amount_fen");
	return true;
}

bool
emergency_rules_approver_check(const sn_principal *p, const char *township,
    const char *granted_by, const char *person_id_number,
    emergency_problem *why)
{
	if (!is_district(p) || !sn_auth_within(p, township))
		return refuse(why, 403, "outside_jurisdiction",
		    "grants are approved by the district covering the "
		    "township",
		    NULL);
	if (granted_by != NULL && strcmp(p->user, granted_by) == 0)
		return refuse(why, 403, "same_user",
		    "the officer who asked for the grant may not approve it",
		    NULL);
	if (p->id_number[0] != '\0' && person_id_number != NULL
	    && strcmp(p->id_number, person_id_number) == 0)
		return refuse(why, 403, "own_grant",
		    "an approver may not decide a grant to themselves", NULL);
	return true;
}

bool
emergency_rules_decision_check(const char *decision, const char *reason,
    bool *approve, emergency_problem *why)
{
	if (decision == NULL
	    || (strcmp(decision, "approve") != 0
	        && strcmp(decision, "reject") != 0))
		return refuse(why, 422, "invalid_decision",
		    "decision is approve or reject", "decision");
	*approve = strcmp(decision, "approve") == 0;
	if (reason != NULL && strlen(reason) > EMERGENCY_NOTE_MAX)
		return refuse(why, 422, "invalid_reason",
		    "reason is at most 500 bytes", "reason");
	if (!*approve && (reason == NULL || reason[0] == '\0'))
		return refuse(why, 422, "reason_required",
		    "a rejection needs a reason", "reason");
	return true;
}

bool
emergency_rules_referral_check(const char *kind, const char *department,
    const char *note, emergency_referral_kind *out, emergency_problem *why)
{
	if (!emergency_rules_referral_parse(kind, out))
		return refuse(why, 422, "invalid_kind",
		    "kind is medical, housing, education, employment, dibao "
		    "or tekun",
		    "kind");
	if (emergency_rules_referral_needs_department(*out)
	    && !text_ok(department, EMERGENCY_DEPARTMENT_MAX))
		return refuse(why, 422, "department_required",
		    "special assistance names the department that takes it "
		    "over (at most 100 bytes)",
		    "department");
	if (department != NULL && strlen(department) > EMERGENCY_DEPARTMENT_MAX)
		return refuse(why, 422, "invalid_department",
		    "department is at most 100 bytes", "department");
	if (note != NULL && strlen(note) > EMERGENCY_NOTE_MAX)
		return refuse(why, 422, "invalid_note",
		    "note is at most 500 bytes", "note");
	return true;
}

bool
emergency_rules_year_valid(int64_t year, int current_year)
{
	return year >= 2000 && year <= current_year;
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

bool
emergency_rules_uuid_valid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
		               || (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}
