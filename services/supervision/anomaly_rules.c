#include "anomaly_rules.h"

#include <math.h>
#include <string.h>

const char *const anomaly_rules_names[] = { ANOMALY_SHARED_ACCOUNT,
	ANOMALY_PAID_AFTER_DEATH, ANOMALY_RELATIVE_CONFLICT,
	ANOMALY_GRANTS_UNDER_LIMIT, ANOMALY_FAST_OR_ODD_HOURS,
	ANOMALY_TOWNSHIP_OUTLIER, ANOMALY_OVERDUE, NULL };

bool
anomaly_rules_rule_valid(const char *s)
{
	for (size_t i = 0; s != NULL && anomaly_rules_names[i] != NULL; i++)
		if (strcmp(anomaly_rules_names[i], s) == 0)
			return true;
	return false;
}

const char *
anomaly_rules_severity_name(anomaly_severity s)
{
	switch (s) {
	case ANOMALY_LOW:
		return "low";
	case ANOMALY_MEDIUM:
		return "medium";
	case ANOMALY_HIGH:
		return "high";
	}
	return "";
}

static bool
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* ---- 1. shared_account ------------------------------------------------ */

anomaly_verdict
anomaly_rules_shared_account(
    const char *const *households, size_t n, size_t *distinct)
{
	size_t d        = 0;
	bool   unlinked = false;

	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		if (empty(households[i])) {
			unlinked = true;
			continue;
		}
		for (size_t j = 0; j < i && !seen; j++)
			seen = !empty(households[j])
			    && strcmp(households[j], households[i]) == 0;
		if (!seen)
			d++;
	}
	*distinct = d;
	if (d >= 2)
		return ANOMALY_RAISE;
	return unlinked ? ANOMALY_WAIT : ANOMALY_NONE;
}

/* ---- 2. paid_after_death ---------------------------------------------- */

/* The reported death of person, the earliest if reported twice; SIZE_MAX
 * when none. */
static size_t
death_of(const anomaly_death *d, size_t nd, const char *person)
{
	size_t at = SIZE_MAX;

	for (size_t i = 0; i < nd; i++)
		if (!empty(d[i].person) && strcmp(d[i].person, person) == 0
		    && (at == SIZE_MAX
		        || sn_date_cmp(d[i].date, d[at].date) < 0))
			at = i;
	return at;
}

/* The end (as anomaly_rules_household_end) and the death deciding it. */
static bool
household_end(const anomaly_death *d, size_t nd, const char *const *members,
    size_t nm, sn_month *end, size_t *which)
{
	size_t best = SIZE_MAX, last = SIZE_MAX;

	for (size_t i = 0; i < nd; i++)
		if (empty(d[i].person)
		    && (best == SIZE_MAX
		        || sn_date_cmp(d[i].date, d[best].date) < 0))
			best = i;
	for (size_t i = 0; i < nm; i++) {
		size_t k = death_of(d, nd, members[i]);

		if (k == SIZE_MAX) {
			last = SIZE_MAX;
			break;
		}
		if (last == SIZE_MAX
		    || sn_date_cmp(d[k].date, d[last].date) > 0)
			last = k;
	}
	if (last != SIZE_MAX
	    && (best == SIZE_MAX
	        || sn_month_cmp(sn_date_month(d[last].date),
	               sn_date_month(d[best].date))
	            < 0))
		best = last;
	if (best == SIZE_MAX)
		return false;
	*end   = sn_date_month(d[best].date);
	*which = best;
	return true;
}

bool
anomaly_rules_household_end(const anomaly_death *d, size_t nd,
    const char *const *members, size_t nm, sn_month *end)
{
	size_t which;

	return household_end(d, nd, members, nm, end, &which);
}

bool
anomaly_rules_paid_after_death(const anomaly_death *d, size_t nd,
    const char *const *members, size_t nm, const anomaly_payment *p,
    size_t *which)
{
	sn_month end;
	size_t   k;

	*which = SIZE_MAX;
	if (p->monthly) {
		if (!household_end(d, nd, members, nm, &end, &k)
		    || sn_month_cmp(p->period, end) <= 0)
			return false;
		*which = k;
		return true;
	}
	if (empty(p->person))
		return false;
	k = death_of(d, nd, p->person);
	if (k == SIZE_MAX || sn_date_cmp(d[k].date, p->date) >= 0)
		return false;
	*which = k;
	return true;
}

/* ---- 3. relative_conflict --------------------------------------------- */

const char *
anomaly_rules_relation_name(anomaly_relation r)
{
	switch (r) {
	case ANOMALY_REL_MEMBER:
		return "member";
	case ANOMALY_REL_ADDRESS:
		return "same_address";
	case ANOMALY_REL_NONE:
		break;
	}
	return "";
}

static bool
ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
	    || c == '\v';
}

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/* The next character of s that is not white space, from *i on. */
static char
next_char(const char *s, size_t *i)
{
	while (ascii_space(s[*i]))
		(*i)++;
	return s[*i] != '\0' ? ascii_lower(s[(*i)++]) : '\0';
}

bool
anomaly_rules_same_address(const char *a, const char *b)
{
	size_t i = 0, j = 0;
	char   x, y;

	if (a == NULL || b == NULL)
		return false;
	x = next_char(a, &i);
	y = next_char(b, &j);
	if (x == '\0' || y == '\0')
		return false;
	while (x == y && x != '\0') {
		x = next_char(a, &i);
		y = next_char(b, &j);
	}
	return x == y;
}

anomaly_verdict
anomaly_rules_relative(const anomaly_act *a, anomaly_relation *rel,
    bool *attempt, anomaly_severity *sev)
{
	*rel = ANOMALY_REL_NONE;
	if (empty(a->household))
		return ANOMALY_WAIT;
	if (empty(a->actor_household))
		return ANOMALY_NONE;
	if (strcmp(a->actor_household, a->household) == 0)
		*rel = ANOMALY_REL_MEMBER;
	else if (anomaly_rules_same_address(a->address, a->actor_address))
		*rel = ANOMALY_REL_ADDRESS;
	else
		return ANOMALY_NONE;
	*attempt = a->status >= 400;
	*sev     = *attempt ? ANOMALY_MEDIUM : ANOMALY_HIGH;
	return ANOMALY_RAISE;
}

/* ---- 4. grants_under_limit -------------------------------------------- */

bool
anomaly_rules_under_limit(const anomaly_grant *g, const anomaly_limit *l)
{
	/* amount * 100 >= limit * percent, in integers: both sides are at
	 * most 100 * a grant's bound, far from overflowing. */
	return !g->approved && g->amount_fen > 0 && l->limit_fen > 0
	    && g->amount_fen <= l->limit_fen && l->percent >= 1
	    && l->percent <= 100
	    && g->amount_fen * 100 >= l->limit_fen * (int64_t) l->percent;
}

anomaly_verdict
anomaly_rules_grants(const anomaly_grant *g, size_t n, const anomaly_limit *l,
    bool *pick, size_t *picked)
{
	size_t k = 0;

	*picked = 0;
	for (size_t i = 0; i < n; i++)
		pick[i] = false;
	if (n == 0 || l->count < 2 || l->days < 1)
		return ANOMALY_NONE;
	for (size_t i = 0; i < n; i++) {
		int64_t age = sn_date_diff_days(g[i].day, g[n - 1].day);

		if (age >= 0 && age < l->days
		    && anomaly_rules_under_limit(&g[i], l)) {
			pick[i] = true;
			k++;
		}
	}
	if (k < (size_t) l->count) {
		for (size_t i = 0; i < n; i++)
			pick[i] = false;
		return ANOMALY_NONE;
	}
	*picked = k;
	return ANOMALY_RAISE;
}

/* ---- 5. fast_or_odd_hours --------------------------------------------- */

int32_t
anomaly_rules_local_minute(int64_t t, int32_t offset_min)
{
	int64_t m = (t / 60 - (t % 60 < 0 ? 1 : 0)) + offset_min;

	m %= 1440;
	return (int32_t) (m < 0 ? m + 1440 : m);
}

bool
anomaly_rules_odd_minute(int32_t m, int32_t from_h, int32_t to_h)
{
	int32_t from = from_h * 60, to = to_h * 60;

	if (from == to)
		return false;
	if (from < to)
		return m >= from && m < to;
	return m >= from || m < to;
}

unsigned
anomaly_rules_fast(
    const anomaly_case_times *t, int32_t decision_min, int32_t steps_min)
{
	unsigned f = 0;

	if (t->ready <= 0)
		return 0;
	if (decision_min > 0 && t->decided >= t->ready
	    && t->decided - t->ready < (int64_t) decision_min * 60)
		f |= ANOMALY_FAST_DECISION;
	if (steps_min > 0 && t->filed >= t->ready && t->decided > 0
	    && t->filed - t->ready < (int64_t) steps_min * 60)
		f |= ANOMALY_FAST_STEPS;
	return f;
}

/* ---- 6. township_outlier ---------------------------------------------- */

anomaly_outlier
anomaly_rules_outlier(anomaly_rate town, anomaly_rate rest,
    const anomaly_outlier_params *p, int32_t *z_x100)
{
	double pt, pr, pp, se, z;

	*z_x100 = 0;
	if (town.n < p->min_cases || rest.n < p->min_cases || town.n <= 0
	    || rest.n <= 0 || town.k < 0 || rest.k < 0 || town.k > town.n
	    || rest.k > rest.n)
		return ANOMALY_OUT_NONE;
	/* Rates are statistics, not money: doubles are fine here. */
	pt = (double) town.k / (double) town.n;
	pr = (double) rest.k / (double) rest.n;
	pp = (double) (town.k + rest.k) / (double) (town.n + rest.n);
	if (pp <= 0.0 || pp >= 1.0)
		return ANOMALY_OUT_NONE;
	se = sqrt(
	    pp * (1.0 - pp) * (1.0 / (double) town.n + 1.0 / (double) rest.n));
	z       = (pt - pr) / se;
	*z_x100 = (int32_t) lround(z * 100.0);
	if (fabs(z) * 10.0 < (double) p->z_tenths)
		return ANOMALY_OUT_NONE;
	return z > 0 ? ANOMALY_OUT_HIGH : ANOMALY_OUT_LOW;
}

/* ---- 7. overdue ------------------------------------------------------- */

bool
anomaly_rules_referral_overdue(sn_date created, int32_t days, sn_date today)
{
	return sn_date_cmp(today, sn_date_add_days(created, days)) > 0;
}

/* ---- an alert's life -------------------------------------------------- */

const char *const anomaly_rules_state_names[]
    = { "open", "assigned", "closed", NULL };

bool
anomaly_rules_state_parse(const char *s, anomaly_state *out)
{
	for (int i = 0; s != NULL && anomaly_rules_state_names[i] != NULL; i++)
		if (strcmp(anomaly_rules_state_names[i], s) == 0) {
			*out = (anomaly_state) i;
			return true;
		}
	return false;
}

bool
anomaly_rules_assign(
    anomaly_state from, const anomaly_assignee *u, sn_problem *p)
{
	if (from == ANOMALY_CLOSED)
		return sn_problem_set(p, 409, "alert_closed", NULL,
		    "the alert is closed; it cannot be assigned");
	if (!u->found || u->kind == NULL || strcmp(u->kind, "staff") != 0)
		return sn_problem_set(p, 422, "unknown_assignee", "assignee",
		    "the assignee is no member of staff identity knows");
	if (u->disabled)
		return sn_problem_set(p, 422, "unknown_assignee", "assignee",
		    "the assignee's account is disabled");
	if (u->role == NULL
	    || (strcmp(u->role, "supervisor") != 0
	        && strcmp(u->role, "inspector") != 0))
		return sn_problem_set(p, 422, "unknown_assignee", "assignee",
		    "an alert is assigned to a supervisor or an inspector");
	return true;
}

bool
anomaly_rules_close(anomaly_state from, const char *note, sn_problem *p)
{
	size_t i = 0;

	if (from == ANOMALY_CLOSED)
		return sn_problem_set(p, 409, "alert_closed", NULL,
		    "the alert is closed already");
	if (note == NULL || next_char(note, &i) == '\0')
		return sn_problem_set(p, 422, "note_required", "note",
		    "closing an alert takes a note saying what was found");
	return true;
}
