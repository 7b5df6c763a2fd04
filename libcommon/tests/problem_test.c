#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sn/problem.h"

/* The compact JSON of p's body, for comparing whole. */
static void
assert_body(const sn_problem *p, const char *want)
{
	json_t *j = sn_problem_json(p);
	char   *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
	json_decref(j);
}

static void
test_set(void **state)
{
	sn_problem p;

	(void) state;
	sn_problem_clear(&p);
	assert_false(sn_problem_is_set(&p));
	assert_false(sn_problem_set(&p, 422, "too_long", "members[2].name",
	    "must be at most %d characters", 40));
	assert_true(sn_problem_is_set(&p));
	assert_int_equal(p.status, 422);
	assert_string_equal(p.code, "too_long");
	assert_string_equal(p.field, "members[2].name");
	assert_string_equal(p.message, "must be at most 40 characters");
	assert_body(&p,
	    "{\"error\":{\"code\":\"too_long\",\"message\":\"must be at most "
	    "40 characters\",\"field\":\"members[2].name\"}}");
}

static void
test_first_wins(void **state)
{
	sn_problem p;

	(void) state;
	sn_problem_clear(&p);
	sn_problem_set(&p, 422, "missing_field", "name", "is required");
	assert_false(
	    sn_problem_set(&p, 409, "conflict", "other", "a second problem"));
	assert_int_equal(p.status, 422);
	assert_string_equal(p.code, "missing_field");
	assert_string_equal(p.field, "name");
	assert_string_equal(p.message, "is required");

	/* Cleared, it takes a new one. */
	sn_problem_clear(&p);
	assert_false(sn_problem_is_set(&p));
	sn_problem_set(&p, 409, "conflict", NULL, NULL);
	assert_int_equal(p.status, 409);
	assert_string_equal(p.code, "conflict");
}

static void
test_nulls(void **state)
{
	sn_problem p;

	(void) state;
	sn_problem_clear(&p);
	sn_problem_set(&p, 404, "not_found", NULL, NULL);
	assert_string_equal(p.field, "");
	assert_string_equal(p.message, "");
	assert_body(&p,
	    "{\"error\":{\"code\":\"not_found\",\"message\":null,"
	    "\"field\":null}}");

	sn_problem_clear(&p);
	sn_problem_set(&p, 404, "not_found", "", "%s", "");
	assert_body(&p,
	    "{\"error\":{\"code\":\"not_found\",\"message\":null,"
	    "\"field\":null}}");

	/* A cleared problem still makes a body, all null. */
	sn_problem_clear(&p);
	assert_body(
	    &p, "{\"error\":{\"code\":null,\"message\":null,\"field\":null}}");

	/* NULL is harmless. */
	assert_false(sn_problem_is_set(NULL));
	assert_false(sn_problem_set(NULL, 422, "x", NULL, NULL));
	sn_problem_clear(NULL);
}

/* The body must always be made, so it is checked after each case. */
static void
assert_json_ok(const sn_problem *p)
{
	json_t *j = sn_problem_json(p);

	assert_non_null(j);
	json_decref(j);
}

static void
test_truncation(void **state)
{
	char       long_text[400];
	sn_problem p;

	(void) state;
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	sn_problem_clear(&p);
	sn_problem_set(
	    &p, 422, "too_long", long_text, "%s: %s", "value", long_text);
	assert_int_equal(strlen(p.field), sizeof(p.field) - 1);
	assert_int_equal(strlen(p.message), sizeof(p.message) - 1);
	assert_memory_equal(p.message, "value: xxx", 10);
	assert_memory_equal(p.field, long_text, sizeof(p.field) - 1);
	assert_json_ok(&p);
}

/*
 * 100 three-byte characters do not fit 191 bytes: the cut falls inside
 * the 64th, which is dropped whole rather than left half written.
 */
static void
test_truncation_utf8(void **state)
{
	char       text[301];
	sn_problem p;

	(void) state;
	for (size_t i = 0; i < 100; i++)
		memcpy(text + 3 * i, "\xe5\x90\x8d", 3); /* U+540D */
	text[300] = '\0';
	sn_problem_clear(&p);
	sn_problem_set(&p, 422, "too_long", text, "%s", text);
	assert_int_equal(strlen(p.message), 63 * 3);
	assert_memory_equal(p.message, text, 63 * 3);
	assert_int_equal(strlen(p.field), 31 * 3);
	assert_memory_equal(p.field, text, 31 * 3);
	assert_json_ok(&p);
}

/* A caller that formats raw bytes still gets a body: bad bytes are '?'. */
static void
test_bad_bytes(void **state)
{
	sn_problem p;

	(void) state;
	sn_problem_clear(&p);
	sn_problem_set(&p, 422, "invalid_characters",
	    "a\xff"
	    "b",
	    "got \xc0\xaf and \xed\xa0\x80 and \xe5\x90\x8d");
	assert_string_equal(p.field, "a?b");
	assert_string_equal(p.message, "got ?? and ??? and \xe5\x90\x8d");
	assert_json_ok(&p);

	/* Control characters are valid UTF-8 and escaped by JSON. */
	sn_problem_clear(&p);
	sn_problem_set(&p, 422, "x", "a\x01", NULL);
	assert_body(&p,
	    "{\"error\":{\"code\":\"x\",\"message\":null,"
	    "\"field\":\"a\\u0001\"}}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_first_wins),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_truncation_utf8),
		cmocka_unit_test(test_bad_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
