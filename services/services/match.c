/*
 * match.c - eligibility and ranking of service projects; see match.h.
 */
#include "match.h"

#include <stdlib.h>
#include <string.h>

const char *const services_match_domains[]
    = { "living", "employment", "education", "medical", "disability",
	      "mental_care", "social_integration", NULL };

int32_t
services_match_age(sn_date birth, sn_date on)
{
	int32_t age;
	if (sn_date_cmp(birth, on) > 0)
		return -1;
	age = on.year - birth.year;
	if (on.month < birth.month
	    || (on.month == birth.month && on.day < birth.day))
		age--;
	return age;
}

int
services_match_domain_rank(const char *domain)
{
	for (int i = 0; services_match_domains[i] != NULL; i++)
		if (domain != NULL
		    && strcmp(domain, services_match_domains[i]) == 0)
			return i;
	return 7;
}

static bool
in(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return true;
	return false;
}

/* Any of the project's needs in set? */
static bool
meets(const services_match_project *p, const char *const *set, size_t n)
{
	for (size_t i = 0; i < p->nneeds; i++)
		if (in(p->needs[i], set, n))
			return true;
	return false;
}

static bool
age_fits(const services_match_project *p, const services_match_member *m,
    sn_date on)
{
	int32_t age;
	if (!p->has_min_age && !p->has_max_age)
		return true;
	if (!m->has_birth || (age = services_match_age(m->birth, on)) < 0)
		return false;
	return (!p->has_min_age || age >= p->min_age)
	    && (!p->has_max_age || age <= p->max_age);
}

/* Rules 1-4: the project and the household as a whole. */
static const char *
household_rule(const services_match_household *h,
    const services_match_project *p, sn_date on)
{
	if (p->closed)
		return "closed";
	if (sn_date_cmp(on, p->from) < 0)
		return "not_started";
	if (sn_date_cmp(on, p->to) > 0)
		return "ended";
	if (h->township == NULL || h->township[0] == '\0'
	    || !in(h->township, p->townships, p->ntownships))
		return "township";
	if (h->category == NULL || h->category[0] == '\0'
	    || !in(h->category, p->categories, p->ncategories))
		return "category";
	return NULL;
}

/* Rules 5-6 for member m; "age", "needs" or NULL. */
static const char *
member_rule(const services_match_household *h, const services_match_project *p,
    const services_match_member *m, sn_date on)
{
	if (!age_fits(p, m, on))
		return "age";
	if (p->nneeds > 0 && !meets(p, h->needs, h->nneeds)
	    && !meets(p, m->needs, m->nneeds))
		return "needs";
	return NULL;
}

/* The project's needs met by the household or an eligible member. */
static void
needs_met(const services_match_household *h, const services_match_project *p,
    services_match_why *why)
{
	why->nneeds_met = 0;
	for (size_t i = 0; i < p->nneeds; i++) {
		bool met = in(p->needs[i], h->needs, h->nneeds);
		for (size_t k = 0; !met && k < why->nmembers; k++)
			for (size_t j = 0; j < h->nmembers; j++)
				if (h->members[j].member == why->members[k]
				    && in(p->needs[i], h->members[j].needs,
				        h->members[j].nneeds))
					met = true;
		if (met && why->nneeds_met < SERVICES_MATCH_PNEEDS_MAX)
			why->needs_met[why->nneeds_met++] = p->needs[i];
	}
}

static void
why_init(const services_match_project *p, services_match_why *why)
{
	memset(why, 0, sizeof(*why));
	why->places_left = p->capacity > p->taken ? p->capacity - p->taken : 0;
}

/* Rules 5-6 over the members (all of them, or the one named when member
 * is not 0); the eligible ones into why. */
static bool
members_pass(const services_match_household *h,
    const services_match_project *p, sn_date on, int32_t member,
    services_match_why *why)
{
	const char *first = member != 0 ? "member" : "age";
	bool        seen  = false;

	for (size_t i = 0; i < h->nmembers; i++) {
		const services_match_member *m = &h->members[i];
		if (member != 0 && m->member != member)
			continue;
		const char *r = member_rule(h, p, m, on);
		if (r == NULL) {
			if (why->nmembers < SERVICES_MATCH_MEMBERS_MAX)
				why->members[why->nmembers++] = m->member;
			continue;
		}
		/* "needs" (an age fits) says more than "age". */
		if (!seen || strcmp(r, "needs") == 0)
			first = r;
		seen = true;
	}
	if (why->nmembers == 0) {
		why->rule = first;
		return false;
	}
	needs_met(h, p, why);
	return true;
}

bool
services_match_eligible(const services_match_household *h,
    const services_match_project *p, sn_date on, services_match_why *why)
{
	why_init(p, why);
	if ((why->rule = household_rule(h, p, on)) != NULL)
		return false;
	return members_pass(h, p, on, 0, why);
}

bool
services_match_member_eligible(const services_match_household *h,
    const services_match_project *p, sn_date on, int32_t member,
    services_match_why *why)
{
	why_init(p, why);
	if (member < 1) {
		why->rule = "member";
		return false;
	}
	if ((why->rule = household_rule(h, p, on)) != NULL)
		return false;
	return members_pass(h, p, on, member, why);
}

int
services_match_cmp(
    const services_match_ranked *a, const services_match_ranked *b)
{
	int da, db;
	if (a->why.nneeds_met != b->why.nneeds_met)
		return a->why.nneeds_met > b->why.nneeds_met ? -1 : 1;
	if (a->why.places_left != b->why.places_left)
		return a->why.places_left > b->why.places_left ? -1 : 1;
	da = services_match_domain_rank(a->project->domain);
	db = services_match_domain_rank(b->project->domain);
	if (da != db)
		return da < db ? -1 : 1;
	return strcmp(a->project->code, b->project->code);
}

static int
cmp_void(const void *a, const void *b)
{
	return services_match_cmp(a, b);
}

void
services_match_rank(services_match_ranked *r, size_t n)
{
	if (n > 1)
		qsort(r, n, sizeof(*r), cmp_void);
}

size_t
services_match_split(char *s, const char **out, size_t max)
{
	size_t n = 0;
	if (s == NULL || s[0] == '\0')
		return 0;
	for (char *p = s;;) {
		char *c = strchr(p, ',');
		if (c != NULL)
			*c = '\0';
		if (n < max)
			out[n] = p;
		n++;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return n > max ? max + 1 : n;
}
