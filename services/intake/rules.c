#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sn/idnum.h"
#include "sn/money.h"

bool
intake_problem_set(intake_problem *pb, unsigned status, const char *code,
    const char *message, const char *field_fmt, ...)
{
	va_list ap;

	pb->status  = status;
	pb->code    = code;
	pb->message = message;
	va_start(ap, field_fmt);
	vsnprintf(pb->field, sizeof(pb->field), field_fmt, ap);
	va_end(ap);
	return false;
}

/* ---- dates ---------------------------------------------------------- */

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int
num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

bool
intake_rules_parse_date(const char *s, int *out)
{
	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    !digits(s, 4) || !digits(s + 5, 2) || !digits(s + 8, 2))
		return false;
	int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return false;
	*out = y * 10000 + m * 100 + d;
	return true;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long
days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long     era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned) (y - era * 400);
	unsigned doy = (unsigned) ((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d -
	    1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long) doe - 719468;
}

static int
civil_from_days(long z)
{
	z += 719468;
	long     era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned) (z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long     y   = (long) yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp  = (5 * doy + 2) / 153;
	unsigned d   = doy - (153 * mp + 2) / 5 + 1;
	unsigned m   = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	return (int) (y * 10000 + (long) m * 100 + (long) d);
}

int
intake_rules_add_days(int yyyymmdd, int days)
{
	long z = days_from_civil(yyyymmdd / 10000, yyyymmdd / 100 % 100,
	    yyyymmdd % 100);
	return civil_from_days(z + days);
}

char *
intake_rules_format_date(int yyyymmdd, char out[11])
{
	unsigned v = (unsigned) yyyymmdd;
	snprintf(out, 11, "%04u-%02u-%02u", v / 10000 % 10000, v / 100 % 100,
	    v % 100);
	return out;
}

bool
intake_rules_uuid_valid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		               (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

/* ---- enums ---------------------------------------------------------- */

const char *const intake_status_names[] = { "draft", "open", "withdrawn",
	"decided_approved", "decided_rejected", NULL };

#define NAME_TABLE(fn, type, ...)                                             \
	static const struct {                                                 \
		type        v;                                                \
		const char *s;                                                \
	} fn##_tab[] = { __VA_ARGS__ };                                       \
	const char *intake_rules_##fn##_name(type v)                          \
	{                                                                     \
		for (size_t i = 0; i < sizeof(fn##_tab) / sizeof(fn##_tab[0]); \
		     i++)                                                     \
			if (fn##_tab[i].v == v)                               \
				return fn##_tab[i].s;                         \
		return NULL;                                                  \
	}

NAME_TABLE(registration, Sn__Assist__V1__Registration,
    { SN__ASSIST__V1__REGISTRATION__REGISTRATION_URBAN, "urban" },
    { SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL, "rural" })
NAME_TABLE(labour, Sn__Assist__V1__LabourCapacity,
    { SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_FULL, "full" },
    { SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_PARTIAL, "partial" },
    { SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_NONE, "none" })
NAME_TABLE(self_care, Sn__Assist__V1__SelfCare,
    { SN__ASSIST__V1__SELF_CARE__SELF_CARE_ABLE, "able" },
    { SN__ASSIST__V1__SELF_CARE__SELF_CARE_PARTIALLY_ABLE, "partially_able" },
    { SN__ASSIST__V1__SELF_CARE__SELF_CARE_UNABLE, "unable" })
NAME_TABLE(category, Sn__Assist__V1__Category,
    { SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN, "tekun" },
    { SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO, "dibao" },
    { SN__ASSIST__V1__CATEGORY__CATEGORY_EXPENDITURE, "expenditure" },
    { SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME, "low_income" })

#define PARSE_FN(fn, type)                                                    \
	bool intake_rules_##fn##_parse(const char *s, type *out)              \
	{                                                                     \
		for (size_t i = 0; s != NULL &&                               \
		     i < sizeof(fn##_tab) / sizeof(fn##_tab[0]);              \
		     i++)                                                     \
			if (strcmp(fn##_tab[i].s, s) == 0) {                  \
				*out = fn##_tab[i].v;                         \
				return true;                                  \
			}                                                     \
		return false;                                                 \
	}

PARSE_FN(registration, Sn__Assist__V1__Registration)
PARSE_FN(labour, Sn__Assist__V1__LabourCapacity)
PARSE_FN(self_care, Sn__Assist__V1__SelfCare)
PARSE_FN(category, Sn__Assist__V1__Category)

/* ---- validation ----------------------------------------------------- */

/* A required string of 1..max bytes. */
static bool
text(intake_problem *pb, const char *s, size_t max, const char *field)
{
	if (s == NULL || s[0] == '\0')
		return intake_problem_set(pb, 422, "invalid_field",
		    "a non-empty string is required", "%s", field);
	if (strlen(s) > max)
		return intake_problem_set(
		    pb, 422, "too_long", "the string is too long", "%s", field);
	return true;
}

static bool
code_shape(intake_problem *pb, const char *s, size_t n, const char *field)
{
	if (s == NULL || strlen(s) != n || !digits(s, n))
		return intake_problem_set(pb, 422, "invalid_code",
		    "a division code of the right number of digits is "
		    "required",
		    "%s", field);
	return true;
}

static bool
check_household(const intake_app *a, const sn_principal *caller,
    intake_problem *pb)
{
	if (!code_shape(pb, a->district_code, 6, "household.district_code") ||
	    !code_shape(pb, a->township_code, 9, "household.township_code") ||
	    !code_shape(pb, a->village_code, 12, "household.village_code"))
		return false;
	if (strncmp(a->township_code, a->district_code, 6) != 0)
		return intake_problem_set(pb, 403, "codes_do_not_nest",
		    "the township is not in the district",
		    "household.township_code");
	if (strncmp(a->village_code, a->township_code, 9) != 0)
		return intake_problem_set(pb, 403, "codes_do_not_nest",
		    "the village is not in the township",
		    "household.village_code");
	if (!sn_auth_within(caller, a->village_code))
		return intake_problem_set(pb, 403, "outside_jurisdiction",
		    "the household lives outside your jurisdiction",
		    "household.village_code");
	return text(pb, a->address, INTAKE_ADDRESS_MAX, "household.address");
}

static bool
check_member(const intake_app *a, size_t i, int today, intake_problem *pb)
{
	const intake_member *m = &a->members[i];
	char                 f[48];
	sn_idnum             id;
	int                  birth;

	snprintf(f, sizeof(f), "members[%zu].id_number", i);
	if (sn_idnum_parse(m->id_number, strlen(m->id_number), today, &id) !=
	    SN_OK)
		return intake_problem_set(pb, 422, "invalid_id_number",
		    "not a valid resident identity number", "%s", f);
	for (size_t j = 0; j < i; j++)
		if (strcmp(a->members[j].id_number, m->id_number) == 0)
			return intake_problem_set(pb, 422, "duplicate_member",
			    "the same person is named twice", "%s", f);
	snprintf(f, sizeof(f), "members[%zu].name", i);
	if (!text(pb, m->name, INTAKE_NAME_MAX, f))
		return false;
	snprintf(f, sizeof(f), "members[%zu].relation", i);
	if (!text(pb, m->relation, INTAKE_RELATION_MAX, f))
		return false;
	if ((i == 0) != (strcmp(m->relation, "self") == 0))
		return intake_problem_set(pb, 422, "applicant_first",
		    i == 0 ? "the applicant comes first, with relation \"self\""
		           : "only the applicant has relation \"self\"",
		    "%s", f);
	snprintf(f, sizeof(f), "members[%zu].birth_date", i);
	if (!intake_rules_parse_date(m->birth_date, &birth) || birth > today)
		return intake_problem_set(pb, 422, "invalid_date",
		    "a past YYYY-MM-DD date is required", "%s", f);
	if (birth != id.birth_year * 10000 + id.birth_month * 100 +
	        id.birth_day)
		return intake_problem_set(pb, 422, "birth_date_mismatch",
		    "the birth date differs from the identity number's", "%s",
		    f);
	if (m->disability_grade < 0 || m->disability_grade > 4)
		return intake_problem_set(pb, 422, "invalid_value",
		    "the disability grade is 0 (none) to 4",
		    "members[%zu].disability_grade", i);
	return true;
}

static bool
money(intake_problem *pb, const int64_t *v, const char *const *names,
    const char *object)
{
	sn_fen sum = 0;
	for (int i = 0; i < 4; i++) {
		if (v[i] < 0)
			return intake_problem_set(pb, 422, "invalid_money",
			    "amounts are non-negative integer fen", "%s.%s",
			    object, names[i]);
		if (sn_fen_add(sum, v[i], &sum) != SN_OK)
			return intake_problem_set(pb, 422, "invalid_money",
			    "the amounts are too large", "%s.%s", object,
			    names[i]);
	}
	return true;
}

static bool
check_payee(const intake_app *a, intake_problem *pb)
{
	size_t n;

	if (!text(pb, a->bank_code, INTAKE_BANK_CODE_MAX, "payee.bank_code"))
		return false;
	for (const char *p = a->bank_code; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= 'a' && *p <= 'z')))
			return intake_problem_set(pb, 422, "invalid_value",
			    "a bank code is letters and digits",
			    "payee.bank_code");
	n = a->account_number != NULL ? strlen(a->account_number) : 0;
	if (n < 8 || n > 32 || !digits(a->account_number, n))
		return intake_problem_set(pb, 422, "invalid_value",
		    "an account number is 8 to 32 digits",
		    "payee.account_number");
	return text(pb, a->account_name, INTAKE_ACCOUNT_NAME_MAX,
	    "payee.account_name");
}

bool
intake_rules_validate(const intake_app *a, int today,
    const sn_principal *caller, intake_problem *pb)
{
	static const char *const income[] = { "wages_fen", "business_fen",
		"pensions_fen", "other_fen" };
	static const char *const spend[]  = { "medical_fen", "education_fen",
		 "housing_fen", "employment_costs_fen" };
	int                      signed_on;

	memset(pb, 0, sizeof(*pb));
	if (intake_rules_registration_name(a->registration) == NULL)
		return intake_problem_set(pb, 422, "invalid_value",
		    "registration is \"urban\" or \"rural\"",
		    "household.registration");
	if (!check_household(a, caller, pb))
		return false;
	if (a->nmembers == 0 || a->nmembers > INTAKE_MEMBERS_MAX)
		return intake_problem_set(pb, 422, "members_required",
		    "one to 30 members, the applicant first", "members");
	for (size_t i = 0; i < a->nmembers; i++)
		if (!check_member(a, i, today, pb))
			return false;
	const int64_t in[4]  = { a->wages_fen, a->business_fen,
		 a->pensions_fen, a->other_fen };
	const int64_t out[4] = { a->medical_fen, a->education_fen,
		a->housing_fen, a->employment_costs_fen };
	if (!money(pb, in, income, "declared_income") ||
	    !money(pb, out, spend, "declared_expenditure"))
		return false;
	if (!a->has_consent)
		return intake_problem_set(pb, 422, "consent_required",
		    "the signed consent to the economic check is required: "
		    "no agency may be asked without it",
		    "consent");
	if (a->consent_reference == NULL || a->consent_reference[0] == '\0')
		return intake_problem_set(pb, 422, "consent_required",
		    "the consent's reference is required: no agency may be "
		    "asked without it",
		    "consent.reference");
	if (strlen(a->consent_reference) > INTAKE_REFERENCE_MAX)
		return intake_problem_set(pb, 422, "too_long",
		    "the string is too long", "consent.reference");
	if (!intake_rules_parse_date(a->consent_signed_date, &signed_on) ||
	    signed_on > today)
		return intake_problem_set(pb, 422, "invalid_date",
		    "a YYYY-MM-DD date not after today is required",
		    "consent.signed_date");
	return check_payee(a, pb);
}

bool
intake_rules_reason_valid(const char *reason)
{
	return reason != NULL && reason[0] != '\0' &&
	    strlen(reason) <= INTAKE_REASON_MAX;
}

/* ---- referrals ------------------------------------------------------ */

bool
intake_rules_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	if (s == NULL)
		return false;
	while (*p != '\0') {
		unsigned c = *p++;
		unsigned n, min, cp;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1, min = 0x80, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, min = 0x800, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned i = 0; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n;
	}
	return true;
}

/* Valid UTF-8 of at most max bytes; empty allowed. */
static bool
utf8_upto(const char *s, size_t max)
{
	return intake_rules_utf8_valid(s) && strlen(s) <= max;
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

intake_referral_verdict
intake_rules_referral(const Sn__Assist__V1__ReferralCreated *r, int today,
    intake_draft *out, const char **why)
{
	sn_idnum id;

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
	if (!utf8_upto(r->grant_id, INTAKE_REFERRAL_ID_MAX) ||
	    !utf8_upto(r->created_by, INTAKE_REFERRAL_ID_MAX))
		return bad(why, "grant_id or created_by is too long or not "
		                "UTF-8");
	out->grant_id   = r->grant_id;
	out->created_by = r->created_by;

	if (r->id_number == NULL || strlen(r->id_number) != 18)
		return bad(why, "not a valid identity number");
	memcpy(out->id_number, r->id_number, 19);
	if (out->id_number[17] == 'x')
		out->id_number[17] = 'X';
	if (sn_idnum_parse(out->id_number, 18, today, &id) != SN_OK)
		return bad(why, "not a valid identity number");
	intake_rules_format_date(
	    id.birth_year * 10000 + id.birth_month * 100 + id.birth_day,
	    out->birth_date);
	if (r->name == NULL || r->name[0] == '\0' ||
	    !utf8_upto(r->name, INTAKE_NAME_MAX))
		return bad(why, "the name is empty, too long or not UTF-8");
	out->name = r->name;

	const char *t = r->township_code, *v = r->village_code;
	const char *d = r->district_code;
	if (t == NULL || strlen(t) != 9 || !digits(t, 9))
		return bad(why, "township_code is not 9 digits");
	if (v == NULL || strlen(v) != 12 || !digits(v, 12) ||
	    strncmp(v, t, 9) != 0)
		return bad(why, "village_code is not 12 digits inside the "
		                "township");
	if (d != NULL && d[0] != '\0' &&
	    (strlen(d) != 6 || strncmp(d, t, 6) != 0))
		return bad(why,
		    "district_code is not the township's district");
	memcpy(out->district_code, t, 6);
	out->district_code[6] = '\0';
	out->township_code    = t;
	out->village_code     = v;

	if (r->household_size < 0 ||
	    r->household_size > INTAKE_HOUSEHOLD_SIZE_MAX)
		return bad(why, "household_size is out of range");
	out->household_size = r->household_size;
	if (r->household_size > 0)
		snprintf(out->note, sizeof(out->note), "household size: %d",
		    (int) r->household_size);

	const Sn__Assist__V1__PayeeAccount *py = r->payee;
	if (py != NULL &&
	    !(py->bank_code[0] == '\0' && py->account_number[0] == '\0' &&
	        py->account_name[0] == '\0')) {
		if (!utf8_upto(py->bank_code, INTAKE_BANK_CODE_MAX) ||
		    !utf8_upto(py->account_number, 32) ||
		    !utf8_upto(py->account_name, INTAKE_ACCOUNT_NAME_MAX))
			return bad(why, "the payee's strings are too long or "
			                "not UTF-8");
		out->bank_code      = py->bank_code;
		out->account_number = py->account_number;
		out->account_name   = py->account_name;
	}
	if (!utf8_upto(r->note, INTAKE_REFERRAL_NOTE_MAX))
		return bad(why, "the note is too long or not UTF-8");
	out->referral_note = r->note;
	return INTAKE_REFERRAL_DRAFT;
}
