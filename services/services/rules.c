/*
 * rules.c - the referrals' pure decisions; see rules.h.
 */
#include "rules.h"

#include <string.h>

#include "match.h"
#include "sn/input.h"

/* ---- names -------------------------------------------------------------- */

static const char *const type_names[SERVICES_NTYPES]
    = { NULL, "medical", "housing", "education", "employment", "other" };

const char *
services_rules_type_name(services_type t)
{
	return (unsigned) t < SERVICES_NTYPES ? type_names[t] : NULL;
}

services_type
services_rules_type_parse(const char *name)
{
	for (int t = 1; name != NULL && t < SERVICES_NTYPES; t++)
		if (strcmp(name, type_names[t]) == 0)
			return (services_type) t;
	return SERVICES_TYPE_NONE;
}

services_type
services_rules_type_of_label(int referral)
{
	return referral >= 1 && referral <= 4 ? (services_type) referral
	                                      : SERVICES_TYPE_NONE;
}

services_type
services_rules_type_of_emergency(int kind)
{
	return services_rules_type_of_label(kind);
}

static const char *const labour_names[]
    = { "", "full", "partial", "none", NULL };
static const char *const care_names[]
    = { "", "able", "partially_able", "unable", NULL };
static const char *const cause_names[]
    = { "", "accident", "major_illness", "disaster", "fire", "other", NULL };

static int
index_of(const char *s, const char *const *names)
{
	for (int i = 1; s != NULL && names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return 0;
}

/* names[i], "" when i is past the NULL-ended table's end. */
static const char *
name_at(const char *const *names, unsigned i)
{
	for (unsigned k = 0; names[k] != NULL; k++)
		if (k == i)
			return names[k];
	return "";
}

const char *
services_rules_labour_name(services_labour l)
{
	return name_at(labour_names, (unsigned) l);
}

services_labour
services_rules_labour_parse(const char *s)
{
	return (services_labour) index_of(s, labour_names);
}

const char *
services_rules_care_name(services_care c)
{
	return name_at(care_names, (unsigned) c);
}

services_care
services_rules_care_parse(const char *s)
{
	return (services_care) index_of(s, care_names);
}

const char *
services_rules_cause_name(services_cause c)
{
	return name_at(cause_names, (unsigned) c);
}

services_cause
services_rules_cause_parse(const char *s)
{
	return (services_cause) index_of(s, cause_names);
}

bool
services_rules_code_valid(const char *s)
{
	size_t n = 0;
	if (s == NULL || s[0] < 'a' || s[0] > 'z')
		return false;
	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z')
		        || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return false;
	return n < SERVICES_CODE_LEN;
}

/* ---- needs -------------------------------------------------------------- */

const char *
services_rules_cause_need(services_cause c)
{
	if (c == SERVICES_CAUSE_MAJOR_ILLNESS)
		return "major_illness";
	if (c == SERVICES_CAUSE_DISASTER || c == SERVICES_CAUSE_FIRE)
		return "disaster";
	return NULL;
}

typedef struct needs_out {
	services_need *v;
	size_t         n, cap;
} needs_out;

static void
add(needs_out *o, int32_t member, const char *need)
{
	if (o->n < o->cap)
		o->v[o->n++] = (services_need) { member, need };
}

static int32_t
age_of(const services_member_facts *m, sn_date asof)
{
	return m->has_birth ? services_match_age(m->birth, asof) : -1;
}

/* Ages counted: adults (18+), children (under 18), elderly (60+), and
 * whether every member's age is known. */
typedef struct ages {
	size_t adults, children, elderly;
	bool   all_known;
} ages;

static ages
count_ages(const services_facts *f, sn_date asof)
{
	ages a = { 0, 0, 0, true };
	for (size_t i = 0; i < f->nmembers; i++) {
		int32_t y = age_of(&f->members[i], asof);
		if (y < 0) {
			a.all_known = false;
			continue;
		}
		a.adults += y >= 18;
		a.children += y < 18;
		a.elderly += y >= 60;
	}
	return a;
}

static void
household_needs(const services_facts *f, sn_date asof, needs_out *o)
{
	ages a = count_ages(f, asof);
	if (f->medical_fen > 0)
		add(o, 0, "medical_costs");
	if (f->housing_fen > 0)
		add(o, 0, "housing_costs");
	if (f->education_fen > 0)
		add(o, 0, "education_costs");
	if (a.all_known && a.children > 0 && a.adults == 1)
		add(o, 0, "single_parent");
	if (services_rules_cause_need(f->cause) != NULL)
		add(o, 0, services_rules_cause_need(f->cause));
}

static void
member_needs(const services_facts *f, size_t i, sn_date asof, bool all_old,
    needs_out *o)
{
	const services_member_facts *m     = &f->members[i];
	int32_t                      place = (int32_t) i + 1;
	int32_t                      y     = age_of(m, asof);
	bool no_pay = f->wages_fen == 0 && f->business_fen == 0;
	bool able   = m->labour == SERVICES_LABOUR_FULL
	    || m->labour == SERVICES_LABOUR_PARTIAL;

	if (y >= 6 && y <= 18)
		add(o, place, "school_age_child");
	if (y >= 3 && y <= 5)
		add(o, place, "preschool_child");
	if (y >= 16 && y <= 59 && able && no_pay)
		add(o, place, "unemployed_working_age");
	if (all_old)
		add(o, place, "elderly_alone");
	if (m->self_care == SERVICES_CARE_PARTIAL
	    || m->self_care == SERVICES_CARE_UNABLE)
		add(o, place, "self_care_limited");
	if (m->disability_grade >= 1 && m->disability_grade <= 4)
		add(o, place, "disability");
	if (m->disability_grade >= 1 && m->disability_grade <= 2)
		add(o, place, "severe_disability");
}

size_t
services_rules_needs(
    const services_facts *f, sn_date asof, services_need *out, size_t cap)
{
	needs_out o       = { out, 0, cap };
	size_t    n       = f->nmembers < SERVICES_MEMBERS_MAX ? f->nmembers
	                                                       : SERVICES_MEMBERS_MAX;
	ages      a       = count_ages(f, asof);
	bool      all_old = n > 0 && a.all_known && a.elderly == f->nmembers;

	household_needs(f, asof, &o);
	for (size_t i = 0; i < n; i++)
		member_needs(f, i, asof, all_old, &o);
	return o.n;
}

/* ---- routing ------------------------------------------------------------ */

bool
services_rules_in_list(const char *v, const char *const *list, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		if (list[i] != NULL && strcmp(v, list[i]) == 0)
			return true;
	return false;
}

/* The needs of k's route that member has (member 0: any member, the
 * household's included; else that member's and the household's). */
size_t
services_rules_kind_needs(const services_route_in *in,
    const services_kind_def *k, int32_t member, const char **out)
{
	size_t n = 0;
	for (size_t r = 0; r < k->route.nneeds; r++) {
		const char *want = k->route.needs[r];
		bool        has  = false;
		for (size_t i = 0; i < in->nneeds && !has; i++)
			has = strcmp(in->needs[i].need, want) == 0
			    && (member == 0 || in->needs[i].member == 0
			        || in->needs[i].member == member);
		if (has && n < SERVICES_ROUTE_NEEDS_MAX)
			out[n++] = want;
	}
	return n;
}

static size_t
push(services_route *out, size_t n, size_t cap, const services_kind_def *k,
    int32_t member, const char *const *needs, size_t nneeds)
{
	if (n >= cap)
		return n;
	out[n].kind   = k;
	out[n].member = member;
	out[n].nneeds = nneeds;
	for (size_t i = 0; i < nneeds; i++)
		out[n].needs[i] = needs[i];
	return n + 1;
}

static size_t
route_kind(const services_route_in *in, const services_kind_def *k,
    services_route *out, size_t n, size_t cap)
{
	const char *needs[SERVICES_ROUTE_NEEDS_MAX];
	size_t      m;

	if (!k->route.per_member) {
		if ((m = services_rules_kind_needs(in, k, 0, needs)) > 0)
			n = push(out, n, cap, k, 0, needs, m);
		return n;
	}
	for (size_t i = 0; i < in->nmembers; i++) {
		int32_t y = in->ages[i];
		if (y < 0 || y < k->route.min_age || y > k->route.max_age)
			continue;
		if ((m = services_rules_kind_needs(
		         in, k, (int32_t) i + 1, needs))
		    > 0)
			n = push(out, n, cap, k, (int32_t) i + 1, needs, m);
	}
	return n;
}

size_t
services_rules_route(
    const services_route_in *in, services_route *out, size_t cap)
{
	size_t   n       = 0;
	unsigned covered = 0;

	if (!services_rules_in_list(in->category, in->refer, in->nrefer))
		return 0;
	for (size_t i = 0; i < in->nkinds; i++) {
		const services_kind_def *k = &in->kinds[i];
		if (!k->has_route
		    || !services_rules_in_list(in->category,
		        k->route.categories, k->route.ncategories))
			continue;
		size_t before = n;
		n             = route_kind(in, k, out, n, cap);
		if (n > before)
			covered |= 1u << k->type;
	}
	for (int t = 1; t < SERVICES_NTYPES; t++) {
		const services_kind_def *d = in->defaults[t];
		if ((in->labels & (1u << t)) == 0 || (covered & (1u << t)) != 0
		    || d == NULL)
			continue;
		n = push(out, n, cap, d, 0, NULL, 0);
	}
	return n;
}

/* ---- answers ------------------------------------------------------------ */

#define GRANT_MAX 500
#define REASON_MAX 2000

static const char *const amount_pers[]
    = { "", "month", "once", "term", "year", NULL };

static bool
read_accepted(const json_t *b, services_answer *a, sn_problem *p)
{
	static const char *const keys[] = { "outcome", "grant", "amount_fen",
		"amount_per", "from_date", "note", NULL };
	a->amount_per                   = "";
	a->amount_fen                   = 0;
	if (!sn_in_only(b, keys, "", p)
	    || !sn_in_str(b, "grant", "", SN_IN_REQUIRED | SN_IN_NONEMPTY,
	        GRANT_MAX, &a->grant, p)
	    || !sn_in_i64(b, "amount_fen", "", SN_IN_REQUIRED, 0,
	        INT64_C(100000000000), &a->amount_fen, p)
	    || !sn_in_str(b, "amount_per", "", 0, 8, &a->amount_per, p)
	    || !sn_in_date(
	        b, "from_date", "", SN_IN_REQUIRED, &a->from_date, p))
		return false;
	for (int i = 0; amount_pers[i] != NULL; i++)
		if (strcmp(a->amount_per, amount_pers[i]) == 0)
			return true;
	return sn_problem_set(p, 422, "invalid_amount_per", "amount_per",
	    "\"month\", \"once\", \"term\", \"year\" or \"\"");
}

static bool
read_declined(const json_t *b, services_answer *a, sn_problem *p)
{
	static const char *const keys[]
	    = { "outcome", "reason_code", "reason", "note", NULL };
	if (!sn_in_only(b, keys, "", p)
	    || !sn_in_str(b, "reason_code", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY, SERVICES_CODE_LEN - 1,
	        &a->reason_code, p)
	    || !sn_in_str(b, "reason", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY | SN_IN_MULTILINE, REASON_MAX,
	        &a->reason, p))
		return false;
	if (!services_rules_code_valid(a->reason_code))
		return sn_problem_set(p, 422, "invalid_reason_code",
		    "reason_code",
		    "a code: a-z, 0-9 and _, starting with a letter");
	return true;
}

bool
services_rules_answer_read(
    const json_t *body, services_answer *a, sn_problem *p)
{
	const char *outcome = NULL;
	memset(a, 0, sizeof(*a));
	a->note = "";
	if (!json_is_object(body))
		return sn_problem_set(
		    p, 422, "invalid_type", NULL, "the body is a JSON object");
	if (!sn_in_str(body, "outcome", "", SN_IN_REQUIRED | SN_IN_NONEMPTY,
	        16, &outcome, p)
	    || !sn_in_str(
	        body, "note", "", SN_IN_MULTILINE, REASON_MAX, &a->note, p))
		return false;
	if (strcmp(outcome, "accepted") == 0) {
		a->outcome = SERVICES_OUTCOME_ACCEPTED;
		return read_accepted(body, a, p);
	}
	if (strcmp(outcome, "declined") == 0) {
		a->outcome = SERVICES_OUTCOME_DECLINED;
		return read_declined(body, a, p);
	}
	return sn_problem_set(p, 422, "invalid_outcome", "outcome",
	    "\"accepted\" or \"declined\"");
}

bool
services_rules_may_answer(const char *unit, const char *department,
    const char *status, sn_problem *p)
{
	if (unit == NULL || unit[0] == '\0' || strcmp(unit, department) != 0)
		return sn_problem_set(p, 403, "not_your_department", NULL,
		    "the referral is %s's to answer", department);
	if (strcmp(status, "routed") != 0)
		return sn_problem_set(p, 409, "already_answered", NULL,
		    "the referral was answered already (%s)", status);
	return true;
}

bool
services_rules_late(sn_date answered, sn_date deadline)
{
	return sn_date_cmp(answered, deadline) > 0;
}
