/*
 * overrides.c - the township's controls and the district's review of an
 * override (issue 10, approval-B). See overrides.h.
 */
#include "overrides.h"

#include <string.h>

static const char *const filing_names[] = { "file", "return", "reject" };

const char *
approval_overrides_filing_name(approval_filing f)
{
	return (unsigned) f < 3 ? filing_names[f] : NULL;
}

bool
approval_overrides_filing_parse(
    const char *decision, approval_filing *out, sn_problem *prob)
{
	const char *d = decision != NULL ? decision : "";
	if (d[0] == '\0') {
		*out = APPROVAL_FILING_FILE;
		return true;
	}
	for (int i = 0; i < 3; i++)
		if (strcmp(d, filing_names[i]) == 0) {
			*out = (approval_filing) i;
			return true;
		}
	return sn_problem_set(prob, 400, "invalid_field", "decision",
	    "decision is \"file\", \"return\" or \"reject\"");
}

/* True if s has a character other than a space, tab or line break. */
static bool
written(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return true;
	return false;
}

static bool
listed(const char *code, const char *const *codes, size_t n)
{
	for (size_t i = 0; code != NULL && i < n; i++)
		if (codes[i] != NULL && strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

bool
approval_overrides_township(const approval_township_check *c,
    const approval_override_request *r, bool *is_override, sn_problem *prob)
{
	if (c->discrepancies > 0 && !r->discrepancies_seen)
		return sn_problem_set(prob, 422, "discrepancies_not_seen",
		    "discrepancies_seen",
		    "the case has %lld discrepancies between declared and "
		    "reported income: confirm with \"discrepancies_seen\": "
		    "true once they were read",
		    (long long) c->discrepancies);
	*is_override = c->approve && c->computed == APPROVAL_CAT_NONE
	    && c->chosen != APPROVAL_CAT_UNSPECIFIED
	    && c->chosen != APPROVAL_CAT_NONE;
	if (!*is_override)
		return true;
	if (!listed(r->override_reason_code, c->codes, c->ncodes))
		return sn_problem_set(prob, 422, "invalid_override_reason",
		    "override_reason_code",
		    "approving a household the rules put in no category "
		    "needs an override_reason_code from the policy's list");
	if (!written(r->override_note))
		return sn_problem_set(prob, 422, "override_note_required",
		    "override_note",
		    "approving a household the rules put in no category "
		    "needs an override_note");
	return true;
}

bool
approval_overrides_filing(bool district_review, approval_filing f,
    const char *reason, approval_stage *to, sn_problem *prob)
{
	if (!district_review && f != APPROVAL_FILING_FILE)
		return sn_problem_set(prob, 422, "not_under_review",
		    "decision",
		    "only an override under the district's review may be "
		    "returned or rejected: this case is filed");
	if (f != APPROVAL_FILING_FILE && !written(reason))
		return sn_problem_set(prob, 422, "reason_required", "reason",
		    "a return or a rejection needs a reason");
	*to = f == APPROVAL_FILING_RETURN ? APPROVAL_STAGE_RETURNED
	    : f == APPROVAL_FILING_REJECT ? APPROVAL_STAGE_REJECTED
	                                  : APPROVAL_STAGE_FILED;
	return true;
}

static bool
code_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	if (n < 1 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z')
		        || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static bool
reason_ok(const json_t *o)
{
	const char *label = json_string_value(json_object_get(o, "label"));
	return json_is_object(o) && json_object_size(o) == 2
	    && code_ok(json_string_value(json_object_get(o, "code")))
	    && label != NULL && strlen(label) >= 1 && strlen(label) <= 200;
}

bool
approval_overrides_reasons_valid(const json_t *a, sn_problem *prob)
{
	size_t n = json_array_size(a);
	if (!json_is_array(a) || n < 1 || n > APPROVAL_OVERRIDE_MAX)
		return sn_problem_set(prob, 422, "invalid_field",
		    "override_reasons",
		    "override_reasons is an array of 1 to %d {code, label}",
		    APPROVAL_OVERRIDE_MAX);
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(a, i);
		if (!reason_ok(o))
			return sn_problem_set(prob, 422, "invalid_field",
			    "override_reasons",
			    "override_reasons[%zu] is {code: 1 to 40 of a-z "
			    "0-9 _, label: 1 to 200 bytes}",
			    i);
		const char *code
		    = json_string_value(json_object_get(o, "code"));
		for (size_t j = 0; j < i; j++)
			if (strcmp(code,
			        json_string_value(json_object_get(
			            json_array_get(a, j), "code")))
			    == 0)
				return sn_problem_set(prob, 422,
				    "invalid_field", "override_reasons",
				    "override_reasons: code %s is given "
				    "twice",
				    code);
	}
	return true;
}

size_t
approval_overrides_codes(const json_t *a, const char **codes, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < json_array_size(a) && n < max; i++) {
		const char *code = json_string_value(
		    json_object_get(json_array_get(a, i), "code"));
		if (code != NULL)
			codes[n++] = code;
	}
	return n;
}
