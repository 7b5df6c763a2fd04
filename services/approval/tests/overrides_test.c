/*
 * approval.overrides: issue 10's township controls (discrepancies seen,
 * an override's reason code and note), the district's review at filing
 * and the policy's override reasons, as tables (overrides.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "overrides.h"

#define T true
#define F false
#define NONE APPROVAL_CAT_NONE
#define DIBAO APPROVAL_CAT_DIBAO
#define UNSPEC APPROVAL_CAT_UNSPECIFIED

static const char *const codes[]
    = { "serious_illness_costs", "other_documented" };

static void
test_township_table(void **state)
{
	(void) state;
	static const struct {
		bool              approve;
		approval_category computed, chosen;
		int64_t           disc;
		bool              seen;
		const char       *code, *note;
		unsigned          status; /* 0: accepted */
		const char       *err, *field;
		bool              override;
	} t[] = {
		/* discrepancies must have been seen, approve or reject */
		{ T, DIBAO, UNSPEC, 2, F, "", "", 422,
		    "discrepancies_not_seen", "discrepancies_seen", F },
		{ F, DIBAO, UNSPEC, 1, F, "", "", 422,
		    "discrepancies_not_seen", "discrepancies_seen", F },
		{ T, DIBAO, UNSPEC, 2, T, "", "", 0, NULL, NULL, F },
		/* seen on a case without any: accepted, ignored */
		{ T, DIBAO, UNSPEC, 0, T, "", "", 0, NULL, NULL, F },
		{ T, DIBAO, UNSPEC, 0, F, "", "", 0, NULL, NULL, F },
		/* an override needs a listed code and a note */
		{ T, NONE, DIBAO, 0, F, "", "why", 422,
		    "invalid_override_reason", "override_reason_code", F },
		{ T, NONE, DIBAO, 0, F, "rich_friends", "why", 422,
		    "invalid_override_reason", "override_reason_code", F },
		{ T, NONE, DIBAO, 0, F, "Serious_illness_costs", "why", 422,
		    "invalid_override_reason", "override_reason_code", F },
		{ T, NONE, DIBAO, 0, F, "serious_illness_costs", "", 422,
		    "override_note_required", "override_note", F },
		{ T, NONE, DIBAO, 0, F, "serious_illness_costs", " \n\t", 422,
		    "override_note_required", "override_note", F },
		{ T, NONE, DIBAO, 0, F, "other_documented", "bills", 0, NULL,
		    NULL, T },
		/* discrepancies come first */
		{ T, NONE, DIBAO, 3, F, "other_documented", "bills", 422,
		    "discrepancies_not_seen", "discrepancies_seen", F },
		/* not overrides: members ignored */
		{ F, NONE, DIBAO, 0, F, "", "", 0, NULL, NULL, F },
		{ T, NONE, UNSPEC, 0, F, "", "", 0, NULL, NULL, F },
		{ T, NONE, NONE, 0, F, "", "", 0, NULL, NULL, F },
		{ T, DIBAO, APPROVAL_CAT_TEKUN, 0, F, "nonsense", "", 0, NULL,
		    NULL, F },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_township_check   c = { .approve = t[i].approve,
			  .computed                      = t[i].computed,
			  .chosen                        = t[i].chosen,
			  .discrepancies                 = t[i].disc,
			  .codes                         = codes,
			  .ncodes                        = 2 };
		approval_override_request r
		    = { .discrepancies_seen         = t[i].seen,
			      .override_reason_code = t[i].code,
			      .override_note        = t[i].note };
		bool       ov = !t[i].override;
		sn_problem p;
		sn_problem_clear(&p);
		bool ok = approval_overrides_township(&c, &r, &ov, &p);
		printf("row %zu\n", i);
		assert_int_equal(ok, t[i].status == 0);
		if (ok) {
			assert_int_equal(ov, t[i].override);
			continue;
		}
		assert_int_equal(p.status, t[i].status);
		assert_string_equal(p.code, t[i].err);
		assert_string_equal(p.field, t[i].field);
	}
}

static void
test_filing_table(void **state)
{
	(void) state;
	static const struct {
		const char    *decision;
		bool           review;
		const char    *reason;
		unsigned       status;
		const char    *err;
		approval_stage to;
	} t[] = {
		{ NULL, F, "", 0, NULL, APPROVAL_STAGE_FILED },
		{ "", F, "", 0, NULL, APPROVAL_STAGE_FILED },
		{ "file", F, "", 0, NULL, APPROVAL_STAGE_FILED },
		{ "return", F, "why", 422, "not_under_review", 0 },
		{ "reject", F, "why", 422, "not_under_review", 0 },
		{ "file", T, "", 0, NULL, APPROVAL_STAGE_FILED },
		{ "return", T, "bills", 0, NULL, APPROVAL_STAGE_RETURNED },
		{ "reject", T, "too rich", 0, NULL, APPROVAL_STAGE_REJECTED },
		{ "return", T, "", 422, "reason_required", 0 },
		{ "reject", T, "  ", 422, "reason_required", 0 },
		{ "pass", T, "why", 400, "invalid_field", 0 },
		{ "File", F, "", 400, "invalid_field", 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		approval_filing f  = APPROVAL_FILING_FILE;
		approval_stage  to = APPROVAL_STAGE_UNSPECIFIED;
		sn_problem      p;
		sn_problem_clear(&p);
		bool ok
		    = approval_overrides_filing_parse(t[i].decision, &f, &p)
		    && approval_overrides_filing(
		        t[i].review, f, t[i].reason, &to, &p);
		printf("row %zu\n", i);
		assert_int_equal(ok, t[i].status == 0);
		if (ok)
			assert_int_equal(to, t[i].to);
		else {
			assert_int_equal(p.status, t[i].status);
			assert_string_equal(p.code, t[i].err);
		}
	}
}

static void
test_reasons_table(void **state)
{
	(void) state;
	static const struct {
		const char *json;
		bool        ok;
	} t[] = {
		{ "[{\"code\":\"a\",\"label\":\"x\"}]", T },
		{ "[{\"code\":\"serious_illness_costs\",\"label\":\"x\"},"
		  "{\"code\":\"b2\",\"label\":\"y\"}]",
		    T },
		{ "[]", F },
		{ "{}", F },
		{ "[{\"code\":\"a\"}]", F },
		{ "[{\"code\":\"a\",\"label\":\"\"}]", F },
		{ "[{\"code\":\"\",\"label\":\"x\"}]", F },
		{ "[{\"code\":\"A\",\"label\":\"x\"}]", F },
		{ "[{\"code\":\"a-b\",\"label\":\"x\"}]", F },
		{ "[{\"code\":7,\"label\":\"x\"}]", F },
		{ "[{\"code\":\"a\",\"label\":\"x\",\"z\":1}]", F },
		{ "[{\"code\":\"a\",\"label\":\"x\"},{\"code\":\"a\","
		  "\"label\":\"y\"}]",
		    F },
		{ "[\"a\"]", F },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t    *a = json_loads(t[i].json, JSON_DECODE_ANY, NULL);
		sn_problem p;
		sn_problem_clear(&p);
		printf("row %zu\n", i);
		assert_non_null(a);
		assert_int_equal(
		    approval_overrides_reasons_valid(a, &p), t[i].ok);
		if (!t[i].ok) {
			assert_int_equal(p.status, 422);
			assert_string_equal(p.field, "override_reasons");
		}
		json_decref(a);
	}
	json_t     *a = json_loads("[{\"code\":\"a\",\"label\":\"x\"},"
	                               "{\"code\":\"b\",\"label\":\"y\"}]",
	        0, NULL);
	const char *c[2];
	assert_int_equal(approval_overrides_codes(a, c, 2), 2);
	assert_string_equal(c[1], "b");
	assert_int_equal(approval_overrides_codes(a, c, 1), 1);
	json_decref(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_township_table),
		cmocka_unit_test(test_filing_table),
		cmocka_unit_test(test_reasons_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
