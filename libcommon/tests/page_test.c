#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sn/page.h"

struct parse_case {
	const char *limit, *cursor;
	bool        ok;
	int64_t     want_limit, want_after;
	const char *field; /* the parameter a refusal names */
};

static void
parse_table(void **state)
{
	(void) state;
	static const struct parse_case cases[] = {
		{ NULL, NULL, true, SN_PAGE_DEFAULT, 0, NULL },
		{ "1", NULL, true, 1, 0, NULL },
		{ "1000", NULL, true, 1000, 0, NULL },
		{ "0", NULL, false, 0, 0, "limit" },
		{ "1001", NULL, false, 0, 0, "limit" },
		{ "-5", NULL, false, 0, 0, "limit" },
		{ "", NULL, false, 0, 0, "limit" },
		{ "12a", NULL, false, 0, 0, "limit" },
		{ "99999999", NULL, false, 0, 0, "limit" },
		{ NULL, "p00000000000000ff", true, SN_PAGE_DEFAULT, 255,
		    NULL },
		{ "7", "p7fffffffffffffff", true, 7, INT64_MAX, NULL },
		{ NULL, "p8000000000000000", false, 0, 0, "cursor" },
		{ NULL, "r00000000000000ff", false, 0, 0, "cursor" },
		{ NULL, "p00000000000000fF", false, 0, 0, "cursor" },
		{ NULL, "p00ff", false, 0, 0, "cursor" },
		{ NULL, "", false, 0, 0, "cursor" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c    = &cases[i];
		sn_page                  p    = { .limit = -1, .after = -1 };
		sn_problem               prob = { 0 };
		bool ok = sn_page_parse(c->limit, c->cursor, &p, &prob);
		assert_int_equal(ok, c->ok);
		if (ok) {
			assert_int_equal(p.limit, c->want_limit);
			assert_int_equal(p.after, c->want_after);
			assert_int_equal(prob.status, 0);
		} else {
			assert_int_equal(p.limit, -1); /* untouched */
			assert_int_equal(prob.status, 422);
			assert_string_equal(prob.code, "invalid_query");
			assert_string_equal(prob.field, c->field);
		}
	}
}

/* A cursor this module writes is read back as the same key. */
static void
cursor_round_trip(void **state)
{
	(void) state;
	static const int64_t keys[] = { 0, 1, 4096, 1234567890123, INT64_MAX };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char       buf[SN_PAGE_CURSOR_STRLEN];
		sn_page    p;
		sn_problem prob = { 0 };
		assert_true(sn_page_parse(
		    NULL, sn_page_cursor(keys[i], buf), &p, &prob));
		assert_int_equal(p.after, keys[i]);
	}
}

static void
answer_shape(void **state)
{
	(void) state;
	json_t *items = json_pack("[i,i]", 1, 2);
	json_t *a     = sn_page_answer(items, true, 42);
	char    want[SN_PAGE_CURSOR_STRLEN];
	assert_non_null(a);
	assert_int_equal(json_array_size(json_object_get(a, "items")), 2);
	assert_string_equal(json_string_value(json_object_get(a, "next")),
	    sn_page_cursor(42, want));
	json_decref(a);

	a = sn_page_answer(NULL, false, 0);
	assert_int_equal(json_array_size(json_object_get(a, "items")), 0);
	assert_true(json_is_null(json_object_get(a, "next")));
	json_decref(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_table),
		cmocka_unit_test(cursor_round_trip),
		cmocka_unit_test(answer_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
