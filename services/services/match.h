/*
 * match.h - which service projects a household is eligible for, and in
 * what order they are offered (issue 13 item 4): pure functions, no I/O,
 * no clock, no allocation; any thread. Tested by tables
 * (tests/match_test.c).
 *
 * Eligibility. A household is eligible for a project on a date when
 *   1. the project is not closed                            ("closed")
 *   2. the date lies in the project's period      ("not_started", "ended")
 *   3. the household's township is one the project covers   ("township")
 *   4. the household's category is one of the project's    ("category")
 *      (a household not decided yet, category "", or "none" is in none)
 *   5. a member's age in whole years on that date lies in the project's
 *      range (bounds included; no bound: any age; a member whose birth
 *      date is unknown fits only a project without bounds)     ("age")
 *   6. when the project lists needs: that member, or the household as a
 *      whole (need rows of member 0), has one of them          ("needs")
 * The rules are checked in that order and the first that fails names
 * why (services_match_why.rule). A member passing 5 and 6 is an eligible
 * member; the household is eligible when it has one. Places are not a
 * rule: a full project is still listed, with 0 places left, and an
 * enrolment into it is refused as full.
 *
 * Order ("best first", GET /households/{id}/matches):
 *   1. more of the project's needs met (by the household or an eligible
 *      member) first: a project aimed at what the household needs comes
 *      before a general one;
 *   2. then more places left first;
 *   3. then the domain, in the seed's order: living, employment,
 *      education, medical, disability, mental_care, social_integration
 *      (an unknown domain last);
 *   4. then the project code, so that the order is total.
 *
 * Everything here borrows: strings and arrays belong to the caller and
 * must outlive the structs that point at them.
 */
#ifndef SERVICES_MATCH_H
#define SERVICES_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/date.h"

#define SERVICES_MATCH_MEMBERS_MAX 32   /* intake takes at most 30 */
#define SERVICES_MATCH_NEEDS_MAX 24     /* needs of one member */
#define SERVICES_MATCH_CATEGORIES_MAX 8 /* a project's categories */
#define SERVICES_MATCH_PNEEDS_MAX 16    /* a project's needs */
#define SERVICES_MATCH_TOWNSHIPS_MAX 64 /* a project's townships */
#define SERVICES_MATCH_CODE_LEN 49      /* a need or code and its NUL */

/* The seven domains, in the order ranking uses; NULL-ended. */
extern const char *const services_match_domains[];

/* One member, named by place (1 = the applicant). */
typedef struct services_match_member {
	int32_t     member;
	bool        has_birth; /* false: age unknown */
	sn_date     birth;
	const char *needs[SERVICES_MATCH_NEEDS_MAX];
	size_t      nneeds;
} services_match_member;

typedef struct services_match_household {
	const char           *category; /* "" while undecided */
	const char           *township; /* 9 digits; "" unknown */
	services_match_member members[SERVICES_MATCH_MEMBERS_MAX];
	size_t                nmembers;
	const char *needs[SERVICES_MATCH_NEEDS_MAX]; /* the household's */
	size_t      nneeds;
} services_match_household;

typedef struct services_match_project {
	const char *code;
	const char *domain;
	const char *categories[SERVICES_MATCH_CATEGORIES_MAX];
	size_t      ncategories;
	bool        has_min_age, has_max_age; /* false: no bound */
	int32_t     min_age, max_age;
	const char *needs[SERVICES_MATCH_PNEEDS_MAX]; /* none: no need asked */
	size_t      nneeds;
	const char *townships[SERVICES_MATCH_TOWNSHIPS_MAX];
	size_t      ntownships;
	sn_date     from, to; /* the period, both days included */
	bool        closed;
	int32_t     capacity, taken;
} services_match_project;

/* Why a household is (or is not) eligible. */
typedef struct services_match_why {
	/* NULL when eligible; else the first rule failed: "closed",
	 * "not_started", "ended", "township", "category", "age", "needs",
	 * or "member" (services_match_member: no such member). */
	const char *rule;
	/* The project's needs met, in the project's order. */
	const char *needs_met[SERVICES_MATCH_PNEEDS_MAX];
	size_t      nneeds_met;
	/* The eligible members, by place, in the household's order. */
	int32_t members[SERVICES_MATCH_MEMBERS_MAX];
	size_t  nmembers;
	int32_t places_left; /* capacity - taken, never below 0 */
} services_match_why;

/* Age in whole years on on of someone born on birth; -1 when born after
 * on. */
int32_t services_match_age(sn_date birth, sn_date on);

/* The domain's place in services_match_domains; 7 for an unknown one. */
int services_match_domain_rank(const char *domain);

/* Whether h is eligible for p on on (the rules above); why is filled
 * either way (members and needs met only as far as the rules got). */
bool services_match_eligible(const services_match_household *h,
    const services_match_project *p, sn_date on, services_match_why *why);

/* Whether member (a place) of h is eligible for p on on: the same rules
 * for that one member; "member" when h has no such member. */
bool services_match_member_eligible(const services_match_household *h,
    const services_match_project *p, sn_date on, int32_t member,
    services_match_why *why);

/* One eligible project and why, as ranked. */
typedef struct services_match_ranked {
	const services_match_project *project;
	services_match_why            why;
	void *data; /* the caller's (its answer for this project) */
} services_match_ranked;

/* <0 when a comes before b in the order above. */
int services_match_cmp(
    const services_match_ranked *a, const services_match_ranked *b);

/* Sorts r (n of them) best first. */
void services_match_rank(services_match_ranked *r, size_t n);

/*
 * Splits s in place at each ',' into out (at most max pieces; "" gives
 * none). Returns the count, or max + 1 when there were more pieces than
 * fit (out then holds the first max). For lists read from the database
 * as comma-joined text.
 */
size_t services_match_split(char *s, const char **out, size_t max);

#endif /* SERVICES_MATCH_H */
