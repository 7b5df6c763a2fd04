/*
 * views.h - approval's JSON documents: the stored summaries of the
 * upstream events (shown by GET /cases/{id}), the computation of a case,
 * and the answer of GET /policy.
 *
 * Pure presentation: no I/O, no clock. Functions returning char * give
 * compact JSON text with sorted keys, malloc'd (the caller frees it), or
 * NULL when out of memory. Arguments are borrowed for the call.
 */
#ifndef APPROVAL_VIEWS_H
#define APPROVAL_VIEWS_H

#include <jansson.h>
#include <stddef.h>

#include "rules.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"

/* The application as received: household, members, declarations, payee,
 * consent, requested category. */
char *approval_views_submitted(const Sn__Assist__V1__ApplicationSubmitted *s);

/* The verified facts; "null" when f is NULL (an incomplete check). */
char *approval_views_facts(const Sn__Assist__V1__HouseholdFacts *f);

/* The home visit's report. */
char *approval_views_report(const Sn__Assist__V1__InvestigationCompleted *r);

/* The computation of a case: policy p, household h, result r. */
char *approval_views_computation(const approval_policy *p,
    const approval_household *h, const approval_result *r);

/*
 * A review case's outcome (GET /cases/{id} review_outcome): outcome and
 * cause names, changed, old and new amount, category, tier, status, first
 * and until month ("" when none), S and C, the decided month and the
 * policy version, review_kind and change_kind as given.
 */
char *approval_views_review_outcome(const approval_change *c,
    const char *version, sn_month decided, const char *review_kind);

/*
 * GET /policy's answer: {"versions": [...], "in_force": name or null,
 * "urban_rural_ratio": "1.32" or null} for the n versions of v (in
 * effective_from order), in_force the index of the version in force
 * (approval_rules_in_force; -1: none). A new reference; NULL without
 * memory.
 */
json_t *approval_views_policies(
    const approval_policy_version *v, size_t n, ptrdiff_t in_force);

#endif /* APPROVAL_VIEWS_H */
