/*
 * edge.h - issue 10 (approval-A): why the rules put a household in no
 * category, as one stable code (ApplicationDecided.rule_reason, the
 * case's rule_reason and its computation's), and a resubmission's checks.
 *
 * Pure functions: no I/O, clock, malloc or log; any thread.
 */
#ifndef APPROVAL_EDGE_H
#define APPROVAL_EDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"

/*
 * The rule a household classified NONE (r, by approval_rules_classify
 * under p) failed, the first of:
 *   "income_above_edge"  C above the low-income line (factor x S), so no
 *                        category whatever its assets;
 *   "assets_financial"   financial assets per member above the limit;
 *   "assets_homes"       more homes than the policy allows;
 *   "assets_vehicles"    a registered vehicle;
 *   "assets_business"    business capital above the limit;
 *   "unclassified"       none of these (cannot happen with the rules of
 *                        design section 6).
 * "" when r's category is not NONE. A static string.
 */
const char *approval_edge_rule_reason(
    const approval_policy *p, const approval_result *r);

/* A resubmission's revision as the event carries it (0 reads as 1):
 * true when it can be one (2 or more, with the clerk who resubmitted
 * named). */
bool approval_edge_resubmission_valid(
    int32_t revision, const char *resubmitted_by);

#endif /* APPROVAL_EDGE_H */
