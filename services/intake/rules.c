#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/assist.h"
#include "sn/idnum.h"
#include "sn/input.h"
#include "sn/money.h"
#include "sn/page.h"
#include "sn/uuid.h"

/* Records a problem whose field is a printf format; returns false. */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static bool
refuse(sn_problem *p, unsigned status, const char *code, const char *message,
    const char *field_fmt, ...)
{
	char    field[sizeof(p->field)];
	va_list ap;

	va_start(ap, field_fmt);
	vsnprintf(field, sizeof(field), field_fmt, ap);
	va_end(ap);
	return sn_problem_set(p, status, code, field, "%s", message);
}

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A YYYY-MM-DD date from 1900-01-01 to today. */
static bool
past_date(const char *s, sn_date today, sn_date *out)
{
	return s != NULL && sn_date_parse(s, out) == SN_OK && out->year >= 1900
	    && sn_date_cmp(*out, today) <= 0;
}

/* ---- enums ---------------------------------------------------------- */

const char *const intake_income_keys[] = { "wages_fen", "business_fen",
	"pensions_fen", "other_fen", "agricultural_fen", "support_fen", NULL };

const char *const intake_status_names[] = { "draft", "open", "withdrawn",
	"decided_approved", "decided_rejected", "returned", NULL };

/* The value whose sn/assist.h name is s (names run from 1 to a NULL). */
static bool
parse_name(const char *s, const char *(*name)(int), int *out)
{
	for (int v = 1; s != NULL && name(v) != NULL; v++)
		if (strcmp(name(v), s) == 0) {
			*out = v;
			return true;
		}
	return false;
}

bool
intake_rules_registration_parse(
    const char *s, Sn__Assist__V1__Registration *out)
{
	int v;
	if (!parse_name(s, sn_assist_registration_name, &v))
		return false;
	*out = (Sn__Assist__V1__Registration) v;
	return true;
}

bool
intake_rules_labour_parse(const char *s, Sn__Assist__V1__LabourCapacity *out)
{
	int v;
	if (!parse_name(s, sn_assist_labour_name, &v))
		return false;
	*out = (Sn__Assist__V1__LabourCapacity) v;
	return true;
}

bool
intake_rules_self_care_parse(const char *s, Sn__Assist__V1__SelfCare *out)
{
	int v;
	if (!parse_name(s, sn_assist_self_care_name, &v))
		return false;
	*out = (Sn__Assist__V1__SelfCare) v;
	return true;
}

bool
intake_rules_category_parse(const char *s, Sn__Assist__V1__Category *out)
{
	int v = s != NULL ? sn_assist_category_parse(s) : 0;
	if (v < SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN
	    || v > SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME)
		return false;
	*out = (Sn__Assist__V1__Category) v;
	return true;
}

/* ---- validation ----------------------------------------------------- */

/* A required string of 1..max bytes. */
static bool
text(sn_problem *p, const char *s, size_t max, const char *field)
{
	if (s == NULL || s[0] == '\0')
		return sn_problem_set(p, 422, "invalid_field", field,
		    "a non-empty string is required");
	if (strlen(s) > max)
		return sn_problem_set(
		    p, 422, "too_long", field, "the string is too long");
	return true;
}

static bool
code_shape(sn_problem *p, const char *s, size_t n, const char *field)
{
	if (s == NULL || strlen(s) != n || !digits(s, n))
		return sn_problem_set(p, 422, "invalid_code", field,
		    "a division code of the right number of digits is "
		    "required");
	return true;
}

static bool
check_household(const intake_app *a, const sn_principal *caller, sn_problem *p)
{
	if (!code_shape(p, a->district_code, 6, "household.district_code")
	    || !code_shape(p, a->township_code, 9, "household.township_code")
	    || !code_shape(p, a->village_code, 12, "household.village_code"))
		return false;
	if (strncmp(a->township_code, a->district_code, 6) != 0)
		return sn_problem_set(p, 403, "codes_do_not_nest",
		    "household.township_code",
		    "the township is not in the district");
	if (strncmp(a->village_code, a->township_code, 9) != 0)
		return sn_problem_set(p, 403, "codes_do_not_nest",
		    "household.village_code",
		    "the village is not in the township");
	if (!sn_auth_within(caller, a->village_code))
		return sn_problem_set(p, 403, "outside_jurisdiction",
		    "household.village_code",
		    "the household lives outside your jurisdiction");
	return text(p, a->address, INTAKE_ADDRESS_MAX, "household.address");
}

static bool
check_member(const intake_app *a, size_t i, sn_date today, sn_problem *p)
{
	const intake_member *m = &a->members[i];
	char                 f[48];
	sn_idnum             id;
	sn_date              birth;

	snprintf(f, sizeof(f), "members[%zu].id_number", i);
	if (sn_idnum_parse(m->id_number, strlen(m->id_number),
	        sn_date_yyyymmdd(today), &id)
	    != SN_OK)
		return sn_problem_set(p, 422, "invalid_id_number", f,
		    "not a valid resident identity number");
	for (size_t j = 0; j < i; j++)
		if (strcmp(a->members[j].id_number, m->id_number) == 0)
			return sn_problem_set(p, 422, "duplicate_member", f,
			    "the same person is named twice");
	snprintf(f, sizeof(f), "members[%zu].name", i);
	if (!text(p, m->name, INTAKE_NAME_MAX, f))
		return false;
	snprintf(f, sizeof(f), "members[%zu].relation", i);
	if (!text(p, m->relation, INTAKE_RELATION_MAX, f))
		return false;
	if ((i == 0) != (strcmp(m->relation, "self") == 0))
		return sn_problem_set(p, 422, "applicant_first", f, "%s",
		    i == 0
		        ? "the applicant comes first, with relation \"self\""
		        : "only the applicant has relation \"self\"");
	snprintf(f, sizeof(f), "members[%zu].birth_date", i);
	if (!past_date(m->birth_date, today, &birth))
		return sn_problem_set(p, 422, "invalid_date", f,
		    "a past YYYY-MM-DD date is required");
	if (sn_date_cmp(birth,
	        (sn_date) { id.birth_year, id.birth_month, id.birth_day })
	    != 0)
		return sn_problem_set(p, 422, "birth_date_mismatch", f,
		    "the birth date differs from the identity number's");
	if (m->disability_grade < 0 || m->disability_grade > 4)
		return refuse(p, 422, "invalid_value",
		    "the disability grade is 0 (none) to 4",
		    "members[%zu].disability_grade", i);
	return true;
}

static bool
money(sn_problem *p, const int64_t *v, const char *const *names, int n,
    const char *object)
{
	sn_fen sum = 0;
	for (int i = 0; i < n; i++) {
		if (v[i] < 0)
			return refuse(p, 422, "invalid_money",
			    "amounts are non-negative integer fen", "%s.%s",
			    object, names[i]);
		if (sn_fen_add(sum, v[i], &sum) != SN_OK)
			return refuse(p, 422, "invalid_money",
			    "the amounts are too large", "%s.%s", object,
			    names[i]);
	}
	return true;
}

static bool
check_payee(const intake_app *a, sn_problem *p)
{
	size_t n;

	if (!text(p, a->bank_code, INTAKE_BANK_CODE_MAX, "payee.bank_code"))
		return false;
	for (const char *c = a->bank_code; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z')
		        || (*c >= 'a' && *c <= 'z')))
			return sn_problem_set(p, 422, "invalid_value",
			    "payee.bank_code",
			    "a bank code is letters and digits");
	n = a->account_number != NULL ? strlen(a->account_number) : 0;
	if (n < 8 || n > 32 || !digits(a->account_number, n))
		return sn_problem_set(p, 422, "invalid_value",
		    "payee.account_number",
		    "an account number is 8 to 32 digits");
	return text(
	    p, a->account_name, INTAKE_ACCOUNT_NAME_MAX, "payee.account_name");
}

static bool
check_consent(const intake_app *a, sn_date today, sn_problem *p)
{
	sn_date signed_on;

	if (!a->has_consent)
		return sn_problem_set(p, 422, "consent_required", "consent",
		    "the signed consent to the economic check is required: "
		    "no agency may be asked without it");
	if (a->consent_reference == NULL || a->consent_reference[0] == '\0')
		return sn_problem_set(p, 422, "consent_required",
		    "consent.reference",
		    "the consent's reference is required: no agency may be "
		    "asked without it");
	if (strlen(a->consent_reference) > INTAKE_REFERENCE_MAX)
		return sn_problem_set(p, 422, "too_long", "consent.reference",
		    "the string is too long");
	if (!past_date(a->consent_signed_date, today, &signed_on))
		return sn_problem_set(p, 422, "invalid_date",
		    "consent.signed_date",
		    "a YYYY-MM-DD date not after today is required");
	return true;
}

bool
intake_rules_validate(const intake_app *a, sn_date today,
    const sn_principal *caller, sn_problem *p)
{
	static const char *const spend[] = { "medical_fen", "education_fen",
		"housing_fen", "employment_costs_fen" };

	sn_problem_clear(p);
	if (sn_assist_registration_name(a->registration) == NULL)
		return sn_problem_set(p, 422, "invalid_value",
		    "household.registration",
		    "registration is \"urban\" or \"rural\"");
	if (!check_household(a, caller, p))
		return false;
	if (a->nmembers == 0 || a->nmembers > INTAKE_MEMBERS_MAX)
		return sn_problem_set(p, 422, "members_required", "members",
		    "one to 30 members, the applicant first");
	for (size_t i = 0; i < a->nmembers; i++)
		if (!check_member(a, i, today, p))
			return false;
	const int64_t in[6] = { a->wages_fen, a->business_fen, a->pensions_fen,
		a->other_fen, a->agricultural_fen, a->support_fen };
	const int64_t out[4] = { a->medical_fen, a->education_fen,
		a->housing_fen, a->employment_costs_fen };
	if (!money(p, in, intake_income_keys, 6, "declared_income")
	    || !money(p, out, spend, 4, "declared_expenditure"))
		return false;
	return check_consent(a, today, p) && check_payee(a, p);
}

bool
intake_rules_payee(const intake_app *app, sn_problem *p)
{
	sn_problem_clear(p);
	return check_payee(app, p);
}

bool
intake_rules_reason_valid(const char *reason)
{
	return reason != NULL && reason[0] != '\0'
	    && strlen(reason) <= INTAKE_REASON_MAX;
}

/* ---- decisions on what is stored ------------------------------------ */

void
intake_rules_holder(const intake_holder *h, bool raced, sn_problem *p)
{
	bool        open = h->kind == INTAKE_HELD_OPEN;
	const char *code = open ? "person_in_open_application"
	                        : "person_in_beneficiary_household";
	char        field[48];

	snprintf(field, sizeof(field), "members[%ld].id_number",
	    h->pos > 0 ? (long) h->pos - 1 : 0L);
	sn_problem_clear(p);
	if (raced)
		sn_problem_set(p, 409, code, field,
		    "the person is already held by application %s",
		    h->application_id);
	else
		sn_problem_set(p, 409, code, field, "%s",
		    open ? "the person is already in another open application"
		         : "the person is in an active beneficiary household");
}

static bool
outside(const intake_current *c, const sn_principal *who, sn_problem *p)
{
	if (sn_auth_within(who, c->village_code))
		return false;
	sn_problem_set(p, 403, "outside_jurisdiction", NULL,
	    "the application is outside your jurisdiction");
	return true;
}

bool
intake_rules_draft_submit(const intake_current *draft, const sn_principal *who,
    const intake_app *app, Sn__Assist__V1__Category *category, sn_problem *p)
{
	sn_problem_clear(p);
	if (outside(draft, who, p))
		return false;
	if (draft->status != INTAKE_STATUS_DRAFT)
		return sn_problem_set(p, 409, "not_draft", NULL,
		    "the application is %s, not a draft",
		    intake_status_names[draft->status]);
	bool found = !draft->has_applicant;
	for (size_t i = 0; i < app->nmembers && !found; i++)
		found = strcmp(app->members[i].id_number,
		            draft->applicant_id_number)
		    == 0;
	if (!found)
		return sn_problem_set(p, 422, "referred_person_missing",
		    "members",
		    "the person the referral names must be a member");
	*category = app->requested_category;
	if (*category == SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED
	    && draft->has_category)
		*category = draft->category;
	return true;
}

bool
intake_rules_withdraw(
    const intake_current *c, const sn_principal *who, sn_problem *p)
{
	sn_problem_clear(p);
	if (outside(c, who, p))
		return false;
	/* open, or returned and not yet amended back (issue 10) */
	if (c->status != INTAKE_STATUS_OPEN
	    && c->status != INTAKE_STATUS_RETURNED)
		return sn_problem_set(p, 409, "not_open", NULL,
		    "the application is %s, not open",
		    intake_status_names[c->status]);
	return true;
}

bool
intake_rules_amend(
    const intake_current *c, const sn_principal *who, sn_problem *p)
{
	sn_problem_clear(p);
	if (outside(c, who, p))
		return false;
	if (c->status != INTAKE_STATUS_RETURNED)
		return sn_problem_set(p, 409, "not_returned", NULL,
		    "the application is %s: only a returned one may be "
		    "amended or resubmitted",
		    intake_status_names[c->status]);
	return true;
}

bool
intake_rules_amendment_valid(const char *amendment)
{
	return amendment != NULL && amendment[0] != '\0'
	    && strlen(amendment) <= INTAKE_NOTE_MAX;
}

/* The list's status filter: an intake_status word, or "decided" for
 * both decided ones. */
static bool
list_status(const char *s, intake_list_query *q, sn_problem *p)
{
	q->status = NULL;
	if (s == NULL)
		return true;
	for (int i = 0; intake_status_names[i] != NULL; i++)
		if (strcmp(s, intake_status_names[i]) == 0) {
			q->status = intake_status_names[i];
			return true;
		}
	if (strcmp(s, "decided") == 0) {
		q->status = "decided";
		return true;
	}
	return sn_problem_set(p, 422, "invalid_value", "status",
	    "status is draft, open, returned, withdrawn, decided, "
	    "decided_approved or decided_rejected");
}

bool
intake_rules_list_query(const intake_list_params *in, const sn_principal *who,
    intake_list_query *q, sn_problem *p)
{
	sn_problem_clear(p);
	memset(q, 0, sizeof(*q));
	if (!list_status(in->status, q, p))
		return false;
	if (in->township != NULL
	    && (strlen(in->township) != 9 || !digits(in->township, 9)))
		return sn_problem_set(p, 422, "invalid_code", "township",
		    "township is a 9-digit division code");
	if (in->taken_in_by != NULL
	    && (in->taken_in_by[0] == '\0' || strlen(in->taken_in_by) > 64))
		return sn_problem_set(p, 422, "invalid_value", "taken_in_by",
		    "taken_in_by is \"me\" or a user id");
	if (!sn_page_parse(in->limit, in->cursor, &q->page, p))
		return false;
	if (in->township != NULL && !sn_auth_within(who, in->township))
		return sn_problem_set(p, 403, "outside_jurisdiction",
		    "township", "the township is outside your jurisdiction");
	q->township    = in->township;
	q->taken_in_by = in->taken_in_by;
	if (q->taken_in_by != NULL && strcmp(q->taken_in_by, "me") == 0)
		q->taken_in_by = who->user;
	/* A clerk lists what they took in; officers may name a clerk. */
	if (q->taken_in_by != NULL && strcmp(who->role, "clerk") == 0
	    && strcmp(q->taken_in_by, who->user) != 0)
		return sn_problem_set(p, 403, "forbidden", "taken_in_by",
		    "a clerk lists only the applications they took in");
	if (q->taken_in_by == NULL && q->township == NULL && q->status == NULL)
		return sn_problem_set(p, 422, "invalid_query", "taken_in_by",
		    "name taken_in_by, township or status");
	return true;
}

intake_tier
intake_rules_tier(Sn__Assist__V1__Category category, Sn__Assist__V1__Tier tier)
{
	if (category == SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED
	    && tier == SN__ASSIST__V1__TIER__TIER_UNSPECIFIED)
		return INTAKE_TIER_UNSAID;
	return intake_rules_edge(category, tier) ? INTAKE_TIER_EDGE
	                                         : INTAKE_TIER_CORE;
}

bool
intake_rules_edge(Sn__Assist__V1__Category category, Sn__Assist__V1__Tier tier)
{
	if (tier == SN__ASSIST__V1__TIER__TIER_EDGE)
		return true;
	if (tier != SN__ASSIST__V1__TIER__TIER_UNSPECIFIED)
		return false;
	return category == SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME
	    || category == SN__ASSIST__V1__CATEGORY__CATEGORY_EXPENDITURE;
}

bool
intake_rules_beneficiary(const Sn__Assist__V1__BeneficiaryChanged *b,
    intake_hold *hold, const char **head)
{
	if (b == NULL)
		return false;
	switch (b->status) {
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE:
		*hold = INTAKE_HOLD_ACTIVE;
		break;
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_GRADUAL_EXIT:
		*hold = INTAKE_HOLD_GRADUAL_EXIT;
		break;
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED:
		*hold = INTAKE_HOLD_EXITED;
		break;
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_SUSPENDED:
		*hold = INTAKE_HOLD_SUSPENDED;
		break;
	default:
		return false;
	}
	if (b->beneficiary_id[0] == '\0' || strlen(b->beneficiary_id) > 64
	    || (b->application_id[0] != '\0'
	        && !sn_uuid_valid(b->application_id)))
		return false;
	for (size_t i = 0; i < b->n_member_id_numbers; i++)
		if (!sn_idnum_valid(b->member_id_numbers[i]))
			return false;
	*head = NULL;
	if (b->head_id_number[0] == '\0')
		return true;
	if (!sn_idnum_valid(b->head_id_number))
		return false;
	for (size_t i = 0; i < b->n_member_id_numbers; i++)
		if (strcmp(b->member_id_numbers[i], b->head_id_number) == 0)
			return true;
	*head = b->head_id_number;
	return true;
}

/* ---- referrals ------------------------------------------------------ */

bool
intake_rules_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t               n;

	if (s == NULL)
		return false;
	for (; *p != '\0'; p += n)
		if ((n = sn_utf8_seq(p)) == 0)
			return false;
	return true;
}

/* Valid UTF-8 of at most max bytes without control characters
 * (sn/input.h's; multiline allows TAB, LF and CR); empty allowed. */
static bool
text_upto(const char *s, size_t max, bool multiline)
{
	return sn_in_text_ok(s, multiline) && strlen(s) <= max;
}

static bool
printable_ascii(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

static intake_referral_verdict
bad(const char **why, const char *msg)
{
	*why = msg;
	return INTAKE_REFERRAL_BAD;
}

/* The same for the parts of a referral: false. */
static bool
why_not(const char **why, const char *msg)
{
	*why = msg;
	return false;
}

/* The referred person: a valid identity number (as of today), whose
 * birth date becomes theirs, and a name. */
static bool
referral_person(const Sn__Assist__V1__ReferralCreated *r, sn_date today,
    intake_draft *out, const char **why)
{
	sn_idnum id;

	if (r->id_number == NULL || strlen(r->id_number) != 18)
		return why_not(why, "not a valid identity number");
	memcpy(out->id_number, r->id_number, 19);
	if (out->id_number[17] == 'x')
		out->id_number[17] = 'X';
	if (sn_idnum_parse(out->id_number, 18, sn_date_yyyymmdd(today), &id)
	    != SN_OK)
		return why_not(why, "not a valid identity number");
	sn_date_format(
	    (sn_date) { id.birth_year, id.birth_month, id.birth_day },
	    out->birth_date);
	if (r->name == NULL || r->name[0] == '\0'
	    || !text_upto(r->name, INTAKE_NAME_MAX, false))
		return why_not(why,
		    "the name is empty, too long, not UTF-8 or "
		    "holds control characters");
	out->name = r->name;
	return true;
}

/* Where the household lives: township, village inside it, district. */
static bool
referral_place(const Sn__Assist__V1__ReferralCreated *r, intake_draft *out,
    const char **why)
{
	const char *t = r->township_code, *v = r->village_code;
	const char *d = r->district_code;

	if (t == NULL || strlen(t) != 9 || !digits(t, 9))
		return why_not(why, "township_code is not 9 digits");
	if (v == NULL || strlen(v) != 12 || !digits(v, 12)
	    || strncmp(v, t, 9) != 0)
		return why_not(why,
		    "village_code is not 12 digits inside the "
		    "township");
	if (d != NULL && d[0] != '\0'
	    && (strlen(d) != 6 || strncmp(d, t, 6) != 0))
		return why_not(
		    why, "district_code is not the township's district");
	memcpy(out->district_code, t, 6);
	out->district_code[6] = '\0';
	out->township_code    = t;
	out->village_code     = v;
	return true;
}

/* The payee, when the referral names one (three empty strings: none). */
static bool
referral_payee(const Sn__Assist__V1__ReferralCreated *r, intake_draft *out,
    const char **why)
{
	const Sn__Assist__V1__PayeeAccount *py = r->payee;

	if (py == NULL
	    || (py->bank_code[0] == '\0' && py->account_number[0] == '\0'
	        && py->account_name[0] == '\0'))
		return true;
	if (!text_upto(py->bank_code, INTAKE_BANK_CODE_MAX, false)
	    || !text_upto(py->account_number, 32, false)
	    || !text_upto(py->account_name, INTAKE_ACCOUNT_NAME_MAX, false))
		return why_not(why,
		    "the payee's strings are too long, not UTF-8 "
		    "or hold control characters");
	out->bank_code      = py->bank_code;
	out->account_number = py->account_number;
	out->account_name   = py->account_name;
	return true;
}

intake_referral_verdict
intake_rules_referral(const Sn__Assist__V1__ReferralCreated *r, sn_date today,
    intake_draft *out, const char **why)
{
	*why = NULL;
	if (r == NULL)
		return bad(why, "no referral");
	memset(out, 0, sizeof(*out));
	switch (r->kind) {
	case SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO:
		out->category = SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO;
		break;
	case SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_TEKUN:
		out->category = SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN;
		break;
	case SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_UNSPECIFIED:
		return bad(why, "the referral has no kind");
	default:
		return INTAKE_REFERRAL_OTHER;
	}
	if (!printable_ascii(r->referral_id, INTAKE_REFERRAL_ID_MAX))
		return bad(why, "referral_id is not 1 to 64 printable bytes");
	out->referral_id = r->referral_id;
	if (!text_upto(r->grant_id, INTAKE_REFERRAL_ID_MAX, false)
	    || !text_upto(r->created_by, INTAKE_REFERRAL_ID_MAX, false))
		return bad(why,
		    "grant_id or created_by is too long, not UTF-8 "
		    "or holds control characters");
	out->grant_id   = r->grant_id;
	out->created_by = r->created_by;
	if (!referral_person(r, today, out, why)
	    || !referral_place(r, out, why) || !referral_payee(r, out, why))
		return INTAKE_REFERRAL_BAD;
	if (r->household_size < 0
	    || r->household_size > INTAKE_HOUSEHOLD_SIZE_MAX)
		return bad(why, "household_size is out of range");
	out->household_size = r->household_size;
	if (r->household_size > 0)
		snprintf(out->note, sizeof(out->note), "household size: %d",
		    (int) r->household_size);
	if (!text_upto(r->note, INTAKE_REFERRAL_NOTE_MAX, true))
		return bad(why,
		    "the note is too long, not UTF-8 or holds "
		    "control characters");
	out->referral_note = r->note;
	return INTAKE_REFERRAL_DRAFT;
}

/* ---- changes of circumstances --------------------------------------- */

static const char *const change_kinds[] = { NULL, "members", "income",
	"expenditure", "address", "death", "moved_out" };
#define NKINDS (sizeof(change_kinds) / sizeof(change_kinds[0]))

bool
intake_rules_change_kind_parse(const char *s, Sn__Assist__V1__ChangeKind *out)
{
	for (size_t k = 1; s != NULL && k < NKINDS; k++)
		if (strcmp(s, change_kinds[k]) == 0) {
			*out = (Sn__Assist__V1__ChangeKind) k;
			return true;
		}
	return false;
}

const char *
intake_rules_change_kind_name(Sn__Assist__V1__ChangeKind k)
{
	return (size_t) k > 0 && (size_t) k < NKINDS ? change_kinds[k] : NULL;
}

/* Present where the kind needs it, absent where it does not. */
static bool
kind_member(sn_problem *p, bool has, bool needed, bool allowed,
    const char *field, const char *kind)
{
	if (!has && needed)
		return sn_problem_set(p, 422, "missing_field", field,
		    "a %s change needs it", kind);
	if (has && !allowed)
		return sn_problem_set(p, 422, "not_for_kind", field,
		    "not part of a %s change", kind);
	return true;
}

static bool
change_shape(const intake_change *c, sn_problem *p)
{
	Sn__Assist__V1__ChangeKind k    = c->kind;
	const char                *name = intake_rules_change_kind_name(k);
	if (name == NULL)
		return sn_problem_set(p, 422, "invalid_value", "kind",
		    "kind is members, income, expenditure, address, death or "
		    "moved_out");
	bool members = k == SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_MEMBERS;
	bool death   = k == SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH;
	bool income  = k == SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_INCOME;
	bool spend = k == SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_EXPENDITURE;
	bool moved = k == SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_ADDRESS;
	return kind_member(p, c->has_member_id, death, death || members,
	           "member_id_number", name)
	    && kind_member(
	        p, c->has_members, members, members, "members", name)
	    && kind_member(p, c->has_income, income, income, "income", name)
	    && kind_member(
	        p, c->has_expenditure, spend, spend, "expenditure", name)
	    && kind_member(
	        p, c->has_household, moved, moved, "household", name);
}

static bool
change_content(const intake_change *c, sn_date today,
    const sn_principal *caller, sn_problem *p)
{
	static const char *const spend[] = { "medical_fen", "education_fen",
		"housing_fen", "employment_costs_fen" };
	const intake_app        *a       = &c->app;
	sn_idnum                 id;
	if (c->has_member_id
	    && sn_idnum_parse(c->member_id, strlen(c->member_id),
	           sn_date_yyyymmdd(today), &id)
	        != SN_OK)
		return sn_problem_set(p, 422, "invalid_id_number",
		    "member_id_number",
		    "not a valid resident identity number");
	if (c->has_household
	    && sn_assist_registration_name(a->registration) == NULL)
		return sn_problem_set(p, 422, "invalid_value",
		    "household.registration",
		    "registration is \"urban\" or \"rural\"");
	if (c->has_household && !check_household(a, caller, p))
		return false;
	if (c->has_members
	    && (a->nmembers == 0 || a->nmembers > INTAKE_MEMBERS_MAX))
		return sn_problem_set(p, 422, "members_required", "members",
		    "one to 30 members, the head first");
	for (size_t i = 0; c->has_members && i < a->nmembers; i++)
		if (!check_member(a, i, today, p))
			return false;
	const int64_t in[6] = { a->wages_fen, a->business_fen, a->pensions_fen,
		a->other_fen, a->agricultural_fen, a->support_fen };
	const int64_t out[4] = { a->medical_fen, a->education_fen,
		a->housing_fen, a->employment_costs_fen };
	return (!c->has_income
	           || money(p, in, intake_income_keys, 6, "income"))
	    && (!c->has_expenditure || money(p, out, spend, 4, "expenditure"));
}

bool
intake_rules_change(const intake_change *c, sn_date today,
    const sn_principal *caller, sn_problem *p)
{
	sn_date effective;
	sn_problem_clear(p);
	if (!change_shape(c, p))
		return false;
	if (c->effective_date == NULL
	    || sn_date_parse(c->effective_date, &effective) != SN_OK
	    || effective.year < 1900)
		return sn_problem_set(p, 422, "invalid_date", "effective_date",
		    "a YYYY-MM-DD date is required");
	if (sn_date_cmp(effective, today) > 0)
		return sn_problem_set(p, 422, "future_date", "effective_date",
		    "a change is reported once it has happened: the date is "
		    "after the district's today");
	if (c->note != NULL && strlen(c->note) > INTAKE_NOTE_MAX)
		return sn_problem_set(
		    p, 422, "too_long", "note", "the note is too long");
	return change_content(c, today, caller, p);
}

bool
intake_rules_change_access(const intake_household *h, const intake_change *c,
    const sn_principal *caller, bool reading, sn_problem *p)
{
	sn_problem_clear(p);
	if (h == NULL || (!reading && !h->active))
		return sn_problem_set(p, 404, "not_found", NULL,
		    "no such beneficiary household");
	if (!sn_auth_within(
	        caller, reading ? h->village_code : h->township_code))
		return sn_problem_set(p, 403, "outside_jurisdiction", NULL,
		    "the household is outside your jurisdiction");
	if (!reading && c != NULL
	    && c->kind == SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH
	    && !h->member_known)
		return sn_problem_set(p, 422, "not_a_member",
		    "member_id_number",
		    "the person is not a member of the household");
	return true;
}

/* ---- agency notices ------------------------------------------------- */

/* The kind's change, or false for a kind or agency that does not fit. */
static bool
notice_kind(const Sn__Agency__V1__AgencyNotice *n, intake_change *c,
    const char **agency, const char **why)
{
	switch (n->kind) {
	case SN__AGENCY__V1__NOTICE_KIND__NOTICE_DEATH:
		c->kind = SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_DEATH;
		*agency = "PUBLIC_SECURITY";
		if (n->agency
		    != SN__AGENCY__V1__AGENCY__AGENCY_PUBLIC_SECURITY)
			return (*why = "a death not from public security"),
			       false;
		if (n->monthly_wage_fen != 0)
			return (*why = "a death with a wage"), false;
		return true;
	case SN__AGENCY__V1__NOTICE_KIND__NOTICE_NEW_JOB:
		c->kind = SN__ASSIST__V1__CHANGE_KIND__CHANGE_KIND_INCOME;
		*agency = "HUMAN_RESOURCES";
		if (n->agency
		    != SN__AGENCY__V1__AGENCY__AGENCY_HUMAN_RESOURCES)
			return (*why = "a new job not from human resources"),
			       false;
		if (n->monthly_wage_fen <= 0)
			return (*why = "a new job without a wage"), false;
		c->has_income    = true;
		c->app.wages_fen = n->monthly_wage_fen;
		return true;
	default:
		return (*why = "an unknown kind of notice"), false;
	}
}

bool
intake_rules_notice(const Sn__Agency__V1__AgencyNotice *n, intake_change *c,
    const char **agency, const char **why)
{
	sn_date d;

	memset(c, 0, sizeof(*c));
	*why = NULL;
	if (n->notice_id == NULL || n->notice_id[0] == '\0'
	    || strlen(n->notice_id) > INTAKE_NOTICE_ID_MAX
	    || !sn_in_text_ok(n->notice_id, false))
		return (*why = "a malformed notice_id"), false;
	if (!notice_kind(n, c, agency, why))
		return false;
	if (n->id_number == NULL || !sn_idnum_valid(n->id_number))
		return (*why = "a malformed id_number"), false;
	if (n->effective_date == NULL
	    || sn_date_parse(n->effective_date, &d) != SN_OK)
		return (*why = "a malformed effective_date"), false;
	if (n->note == NULL || strlen(n->note) > INTAKE_NOTE_MAX
	    || !sn_in_text_ok(n->note, true))
		return (*why = "a malformed note"), false;
	c->kind_name     = intake_rules_change_kind_name(c->kind);
	c->has_member_id = true;
	memcpy(c->member_id, n->id_number, 18);
	c->member_id[18]  = '\0';
	c->effective_date = n->effective_date;
	c->note           = n->note[0] != '\0' ? n->note : NULL;
	return true;
}
