/*
 * fuzz_approval: the bodies of approval's steps (POST /cases/{id}/
 * village-review, township-confirmation, district-filing), read as the
 * http module reads bodies and decoded by approval_step_parse for the
 * step the first input byte picks. Every refusal is a 4xx with a code;
 * an accepted body gives texts that are the body's (or "" when absent)
 * and a filing that is a known one.
 */
#include <jansson.h>

#include "approval/handlers.h"
#include "fuzz.h"

/* A string member's value as sent, or "" when absent. */
static const char *
member(const json_t *body, const char *key)
{
	const json_t *v = json_object_get(body, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	json_t *body = fuzz_body(data + 1, size - 1);
	if (body == NULL)
		return 0;
	approval_step             step = (approval_step) (data[0] % 3);
	approval_step_request     r;
	approval_override_request o;
	sn_problem                p;
	memset(&r, 0, sizeof(r));
	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	if (!approval_step_parse(body, step, &r, &o, &p)) {
		FUZZ_CHECK(
		    p.status >= 400 && p.status < 500 && p.code != NULL);
	} else {
		FUZZ_CHECK(r.step == step);
		FUZZ_CHECK(strcmp(r.reason, member(body, "reason")) == 0);
		FUZZ_CHECK(strcmp(r.note, member(body, "note")) == 0);
		FUZZ_CHECK(
		    strcmp(o.override_note, member(body, "override_note"))
		    == 0);
		FUZZ_CHECK(o.filing == APPROVAL_FILING_FILE
		    || step == APPROVAL_STEP_DISTRICT_FILING);
	}
	json_decref(body);
	return 0;
}
