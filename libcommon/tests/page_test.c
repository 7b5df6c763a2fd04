#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* A result as a list query gives it: rows (no, name) in key order. */
static PGresult *
rows_result(int n, const char *bad_no)
{
	PGresAttDesc attrs[] = {
		{ .name        = "no",
		    .format    = 0,
		    .typid     = 20,
		    .typlen    = 8,
		    .atttypmod = -1 },
		{ .name        = "name",
		    .format    = 0,
		    .typid     = 25,
		    .typlen    = -1,
		    .atttypmod = -1 },
	};
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	assert_non_null(res);
	assert_int_equal(PQsetResultAttrs(res, 2, attrs), 1);
	for (int i = 0; i < n; i++) {
		char no[16], name[16];
		snprintf(no, sizeof(no), "%d", 10 * (i + 1));
		snprintf(name, sizeof(name), "row-%d", i + 1);
		const char *v = i == 1 && bad_no != NULL ? bad_no : no;
		assert_int_equal(
		    PQsetvalue(res, i, 0, (char *) v, (int) strlen(v)), 1);
		assert_int_equal(
		    PQsetvalue(res, i, 1, name, (int) strlen(name)), 1);
	}
	return res;
}

typedef struct named_row {
	int64_t     no;
	const char *name;
} named_row;

static const sn_col named_cols[] = {
	SN_COL(named_row, no, SN_COL_I64),
	SN_COL(named_row, name, SN_COL_TEXT),
};

static json_t *
named_item(const void *row, int64_t *key, void *arg)
{
	const named_row *r = row;
	(*(int *) arg)++;
	*key = r->no;
	return json_string(r->name);
}

static void
rows_paged(void **state)
{
	(void) state;
	named_row r;
	int       calls = 0;
	char      want[SN_PAGE_CURSOR_STRLEN];

	/* limit + 1 rows: limit items, next the last listed key. */
	PGresult *res = rows_result(4, NULL);
	json_t   *a   = sn_page_rows(
	        res, named_cols, SN_NCOLS(named_cols), &r, 3, named_item, &calls);
	assert_non_null(a);
	assert_int_equal(calls, 3);
	assert_int_equal(json_array_size(json_object_get(a, "items")), 3);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(a, "items"), 2)),
	    "row-3");
	assert_string_equal(json_string_value(json_object_get(a, "next")),
	    sn_page_cursor(30, want));
	json_decref(a);

	/* The last page: every row, next null. */
	calls = 0;
	a     = sn_page_rows(
	        res, named_cols, SN_NCOLS(named_cols), &r, 4, named_item, &calls);
	assert_int_equal(calls, 4);
	assert_int_equal(json_array_size(json_object_get(a, "items")), 4);
	assert_true(json_is_null(json_object_get(a, "next")));
	json_decref(a);
	PQclear(res);

	/* A row that does not read is skipped. */
	res = rows_result(3, "ten");
	a   = sn_page_rows(
	      res, named_cols, SN_NCOLS(named_cols), &r, 2, named_item, &calls);
	assert_int_equal(json_array_size(json_object_get(a, "items")), 1);
	assert_string_equal(json_string_value(json_object_get(a, "next")),
	    sn_page_cursor(10, want));
	json_decref(a);
	PQclear(res);

	/* No rows: an empty last page. */
	res = rows_result(0, NULL);
	a   = sn_page_rows(
	      res, named_cols, SN_NCOLS(named_cols), &r, 5, named_item, &calls);
	assert_int_equal(json_array_size(json_object_get(a, "items")), 0);
	assert_true(json_is_null(json_object_get(a, "next")));
	json_decref(a);
	PQclear(res);
}

static void
rows_not_fitting(void **state)
{
	(void) state;
	typedef struct other_row {
		const char *missing;
	} other_row;
	static const sn_col other_cols[] = {
		SN_COL(other_row, missing, SN_COL_TEXT),
	};
	other_row r;
	int       calls = 0;
	PGresult *res   = rows_result(2, NULL);
	assert_null(sn_page_rows(
	    res, other_cols, SN_NCOLS(other_cols), &r, 5, named_item, &calls));
	assert_int_equal(calls, 0);
	PQclear(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_table),
		cmocka_unit_test(cursor_round_trip),
		cmocka_unit_test(answer_shape),
		cmocka_unit_test(rows_paged),
		cmocka_unit_test(rows_not_fitting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
