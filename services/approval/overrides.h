/*
 * overrides.h - issue 10 (approval-B): the pure rules of the township's
 * confirmation against a verification's discrepancies and of an override
 * (a township approving a household the rules put in no category), and
 * of the district's review of an override at filing (design section 6,
 * "Overrides").
 *
 * No I/O, clock, malloc or log: the handlers read the case, call these,
 * then write. Strings are borrowed for the call. Any thread.
 */
#ifndef APPROVAL_OVERRIDES_H
#define APPROVAL_OVERRIDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rules.h"
#include "sn/problem.h"

/* What the district decides at filing ("decision" of its body). */
typedef enum approval_filing {
	APPROVAL_FILING_FILE   = 0, /* agree: "file" or absent */
	APPROVAL_FILING_RETURN = 1, /* "return": RETURNED */
	APPROVAL_FILING_REJECT = 2, /* "reject": REJECTED */
} approval_filing;

/* "file", "return", "reject"; NULL for another value. */
const char *approval_overrides_filing_name(approval_filing f);

/* The members of a step's body that issue 10 added. */
typedef struct approval_override_request {
	/* township confirmation */
	bool        discrepancies_seen;   /* false when absent */
	const char *override_reason_code; /* "" when absent */
	const char *override_note;        /* "" when absent */
	/* district filing */
	approval_filing filing;
} approval_override_request;

/* Parses the filing's decision (NULL or "" is file); false with *prob
 * (400 invalid_field, field decision) for another value. */
bool approval_overrides_filing_parse(
    const char *decision, approval_filing *out, sn_problem *prob);

/* What the township's confirmation is checked against. */
typedef struct approval_township_check {
	bool              approve;       /* decision approve */
	approval_category computed;      /* the rules' category */
	approval_category chosen;        /* UNSPECIFIED: the computed one */
	int64_t           discrepancies; /* of the current verification */
	/* The override reason codes of the policy version in force. */
	const char *const *codes;
	size_t             ncodes;
} approval_township_check;

/*
 * The township's confirmation against the two controls, in this
 * order:
 *   422 discrepancies_not_seen (field discrepancies_seen): the case has
 *       discrepancies and the body does not say discrepancies_seen true
 *       (approve and reject alike; ignored on a case without any);
 *   an approval of a household computed NONE into a chosen category is
 *   an override: 422 invalid_override_reason (field
 *   override_reason_code) unless the code is one of codes, then 422
 *   override_note_required (field override_note) for an empty or blank
 *   note.
 * True with *is_override set, or false with *prob. Override members on a
 * confirmation that is not an override are ignored.
 */
bool approval_overrides_township(const approval_township_check *c,
    const approval_override_request *r, bool *is_override, sn_problem *prob);

/*
 * The district's filing: a case under district review (an override) may
 * be filed (FILED), returned (RETURNED) or rejected (REJECTED); a return
 * or rejection needs a reason (422 reason_required, field reason). A case
 * that is not under review may only be filed (422 not_under_review,
 * field decision). True with *to set, or false with *prob.
 */
bool approval_overrides_filing(bool district_review, approval_filing f,
    const char *reason, approval_stage *to, sn_problem *prob);

/*
 * A policy version's override reasons as POST /policy gives them: an
 * array of 1 to APPROVAL_OVERRIDE_MAX objects {code, label} with exactly
 * those members, code 1 to 40 of a-z 0-9 _ and unique, label 1 to 200
 * bytes. False with *prob (422 invalid_field, field override_reasons).
 */
#define APPROVAL_OVERRIDE_MAX 32
bool approval_overrides_reasons_valid(const json_t *a, sn_problem *prob);

/* The codes of a valid reasons array into codes (at most max, borrowed
 * from a); returns how many. Members that are not {code: string} are
 * skipped. */
size_t approval_overrides_codes(
    const json_t *a, const char **codes, size_t max);

#endif /* APPROVAL_OVERRIDES_H */
