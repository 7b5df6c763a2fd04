/*
 * sn_rows and sn_pgarray (sn/db.h) against real PostgreSQL results
 * (SN_TEST_DB_URL): columns by name, types checked, NULLs explicit, text
 * and binary formats, and arrays that survive any string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sn/db.h"
#include "sn/uuid.h"

static PGconn *pg;

typedef enum { COLOUR_NONE, COLOUR_RED, COLOUR_GREEN } colour;
static const char *const colour_names[] = { "", "red", "green", NULL };

typedef struct row {
	const char *name;
	int64_t     fen;
	int32_t     count;
	bool        ok;
	sn_date     day;
	sn_month    month;
	sn_bytes    blob;
	int         colour;
	bool        has_note;
	const char *note;
	char        code[7];
} row;

static const sn_col cols[] = {
	SN_COL(row, name, SN_COL_TEXT),
	SN_COL(row, fen, SN_COL_I64),
	SN_COL(row, count, SN_COL_I32),
	SN_COL(row, ok, SN_COL_BOOL),
	SN_COL(row, day, SN_COL_DATE),
	SN_COL(row, month, SN_COL_MONTH),
	SN_COL(row, blob, SN_COL_BYTES),
	SN_COL_ENUMOF(row, colour, colour_names),
	SN_COL_OPT(row, note, SN_COL_TEXT, has_note),
	SN_COL(row, code, SN_COL_CHARS),
};

static const char SELECT_ROWS[]
    = "SELECT * FROM (VALUES"
      " ('a', 9007199254740993::int8, 7, true, '2024-02-29'::date,"
      "  '2026-12', '\\x00ff10'::bytea, 'green', NULL, '110105'),"
      " ('b', -1::int8, 0, false, '1999-12-31'::date,"
      "  '2027-01', ''::bytea, 'red', 'n', '')"
      ") AS t(name, fen, count, ok, day, month, blob, colour, note, code)"
      " ORDER BY name";

static PGresult *
q(const char *sql, int binary)
{
	PGresult *r = PQexecParams(pg, sql, 0, NULL, NULL, NULL, NULL, binary);
	if (PQresultStatus(r) != PGRES_TUPLES_OK
	    && PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	return r;
}

static void
check_rows(int binary)
{
	PGresult *r = q(SELECT_ROWS, binary);
	sn_rows   rows;
	assert_int_equal(sn_rows_open(&rows, r, cols, SN_NCOLS(cols)), SN_OK);
	assert_int_equal(sn_rows_count(&rows), 2);
	row a, b;
	assert_int_equal(sn_rows_read(&rows, 0, &a), SN_OK);
	assert_int_equal(sn_rows_read(&rows, 1, &b), SN_OK);
	assert_string_equal(a.name, "a");
	assert_true(a.fen == INT64_C(9007199254740993));
	assert_int_equal(a.count, 7);
	assert_true(a.ok);
	assert_int_equal(sn_date_yyyymmdd(a.day), 20240229);
	assert_int_equal(a.month.year, 2026);
	assert_int_equal(a.month.month, 12);
	assert_int_equal(a.blob.len, 3);
	assert_memory_equal(a.blob.data, "\x00\xff\x10", 3);
	assert_int_equal(a.colour, COLOUR_GREEN);
	assert_false(a.has_note);
	assert_null(a.note);
	assert_string_equal(a.code, "110105");
	assert_true(b.fen == -1);
	assert_false(b.ok);
	assert_int_equal(sn_date_yyyymmdd(b.day), 19991231);
	assert_int_equal(b.blob.len, 0);
	assert_int_equal(b.colour, COLOUR_RED);
	assert_true(b.has_note);
	assert_string_equal(b.note, "n");
	assert_int_equal(sn_rows_read(&rows, 2, &b), SN_ERANGE);
	sn_rows_close(&rows);
	sn_rows_close(&rows); /* twice is harmless */
	PQclear(r);
}

static void
test_text_format(void **state)
{
	(void) state;
	check_rows(0);
}

static void
test_binary_format(void **state)
{
	(void) state;
	check_rows(1);
}

/* Each case breaks one thing; the reader refuses it naming the column
 * (the log line) and never fills in a silent 0. */
static void
test_refusals(void **state)
{
	(void) state;
	static const char *const bad[] = {
		/* a column missing */
		"SELECT 'a' AS name",
		/* fen of the wrong type */
		"SELECT 'a' AS name, 'x'::text AS fen, 1 AS count, true AS ok,"
		" '2024-01-01'::date AS day, '2026-12' AS month, ''::bytea AS"
		" blob, 'red' AS colour, NULL AS note, '' AS code",
		/* count too wide for an int32 */
		"SELECT 'a' AS name, 1::int8 AS fen, 4294967296::int8 AS "
		"count,"
		" true AS ok, '2024-01-01'::date AS day, '2026-12' AS month,"
		" ''::bytea AS blob, 'red' AS colour, NULL AS note, '' AS "
		"code",
		/* a NULL where NOT NULL */
		"SELECT NULL::text AS name, 1::int8 AS fen, 1 AS count, true"
		" AS ok, '2024-01-01'::date AS day, '2026-12' AS month,"
		" ''::bytea AS blob, 'red' AS colour, NULL AS note, '' AS "
		"code",
		/* an enum name nobody knows */
		"SELECT 'a' AS name, 1::int8 AS fen, 1 AS count, true AS ok,"
		" '2024-01-01'::date AS day, '2026-12' AS month, ''::bytea AS"
		" blob, 'blue' AS colour, NULL AS note, '' AS code",
		/* a code longer than its char[7] */
		"SELECT 'a' AS name, 1::int8 AS fen, 1 AS count, true AS ok,"
		" '2024-01-01'::date AS day, '2026-12' AS month, ''::bytea AS"
		" blob, 'red' AS colour, NULL AS note, '1101050' AS code",
		/* a month that is not one */
		"SELECT 'a' AS name, 1::int8 AS fen, 1 AS count, true AS ok,"
		" '2024-01-01'::date AS day, '2026-13' AS month, ''::bytea AS"
		" blob, 'red' AS colour, NULL AS note, '' AS code",
		/* a date in text that is not a real day */
		"SELECT 'a' AS name, 1::int8 AS fen, 1 AS count, true AS ok,"
		" '2027-02-29'::text AS day, '2026-12' AS month, ''::bytea AS"
		" blob, 'red' AS colour, NULL AS note, '' AS code",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PGresult *r = q(bad[i], 0);
		row       x;
		memset(&x, 0x5a, sizeof(x));
		sn_rows rows;
		sn_err  err = sn_rows_open(&rows, r, cols, SN_NCOLS(cols));
		if (err == SN_OK) {
			err = sn_rows_read(&rows, 0, &x);
			sn_rows_close(&rows);
		}
		if (err != SN_EPROTO)
			fail_msg("case %zu: %d, not SN_EPROTO", i, (int) err);
		PQclear(r);
	}
}

typedef struct one {
	int64_t n;
} one;
static const sn_col one_cols[] = { SN_COL(one, n, SN_COL_I64) };

static void
test_one(void **state)
{
	(void) state;
	one       o = { 0 };
	PGresult *r = q("SELECT 42::int8 AS n", 0);
	assert_int_equal(sn_rows_one(r, one_cols, 1, &o), SN_OK);
	assert_true(o.n == 42);
	PQclear(r);
	r = q("SELECT 1::int8 AS n WHERE false", 0);
	assert_int_equal(sn_rows_one(r, one_cols, 1, &o), SN_ENOTFOUND);
	PQclear(r);
	r = q("SELECT generate_series(1, 2)::int8 AS n", 0);
	assert_int_equal(sn_rows_one(r, one_cols, 1, &o), SN_EPROTO);
	PQclear(r);
	r = q("CREATE TEMP TABLE t3 AS SELECT generate_series(1, 3) AS x", 0);
	PQclear(r);
	r = q("UPDATE t3 SET x = x + 1 WHERE x > 1", 0);
	assert_true(sn_rows_affected(r) == 2);
	PQclear(r);
}

typedef struct elem {
	bool        has_s;
	const char *s;
} elem;
static const sn_col elem_cols[] = { SN_COL_OPT(elem, s, SN_COL_TEXT, has_s) };

/* Strings that break hand-joined lists come back as they went. */
static void
test_pgarray_text(void **state)
{
	(void) state;
	static const char *const in[]
	    = { "plain", "a,b", "\"quoted\"", "back\\slash", "{braces}", "",
		      "NULL", "  spaced ", "张三", NULL };
	size_t     n = sizeof(in) / sizeof(in[0]);
	sn_pgarray a;
	sn_pgarray_init(&a);
	for (size_t i = 0; i < n; i++)
		sn_pgarray_add(&a, in[i]);
	const char *v[1] = { sn_pgarray_text(&a) };
	assert_non_null(v[0]);
	PGresult *r = PQexecParams(pg,
	    "SELECT s FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i)"
	    " ORDER BY i",
	    1, NULL, v, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	sn_rows rows;
	assert_int_equal(sn_rows_open(&rows, r, elem_cols, 1), SN_OK);
	assert_int_equal(sn_rows_count(&rows), (int) n);
	for (size_t i = 0; i < n; i++) {
		elem e;
		assert_int_equal(sn_rows_read(&rows, (int) i, &e), SN_OK);
		if (in[i] == NULL) {
			assert_false(e.has_s);
		} else {
			assert_true(e.has_s);
			assert_string_equal(e.s, in[i]);
		}
	}
	sn_rows_close(&rows);
	PQclear(r);
	sn_pgarray_fini(&a);
}

typedef struct pair {
	int64_t  v;
	sn_bytes b;
} pair;
static const sn_col pair_cols[] = {
	SN_COL(pair, v, SN_COL_I64),
	SN_COL(pair, b, SN_COL_BYTES),
};

static void
test_pgarray_numbers_and_bytes(void **state)
{
	(void) state;
	sn_pgarray ints, bytes;
	sn_pgarray_init(&ints);
	sn_pgarray_init(&bytes);
	static const uint8_t blob[] = { 0, 1, '"', '\\', ',', 0xff };
	sn_pgarray_add_i64(&ints, INT64_MIN);
	sn_pgarray_add_bytes(&bytes, blob, sizeof(blob));
	sn_pgarray_add_i64(&ints, 0);
	sn_pgarray_add_bytes(&bytes, blob, 0);
	const char *v[2] = { sn_pgarray_text(&ints), sn_pgarray_text(&bytes) };
	/* Both formats: text-format bytea is decoded into the rows' scratch
	 * memory, freed by sn_rows_close (the sanitizer build checks). */
	for (int fmt = 0; fmt <= 1; fmt++) {
		PGresult *r = PQexecParams(pg,
		    "SELECT v, b FROM unnest($1::int8[], $2::bytea[])"
		    " WITH ORDINALITY AS u(v, b, i) ORDER BY i",
		    2, NULL, v, NULL, NULL, fmt);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		sn_rows rows;
		pair    p0, p1;
		assert_int_equal(sn_rows_open(&rows, r, pair_cols, 2), SN_OK);
		assert_int_equal(sn_rows_count(&rows), 2);
		assert_int_equal(sn_rows_read(&rows, 0, &p0), SN_OK);
		assert_int_equal(sn_rows_read(&rows, 1, &p1), SN_OK);
		assert_true(p0.v == INT64_MIN);
		assert_int_equal(p0.b.len, sizeof(blob));
		assert_memory_equal(p0.b.data, blob, sizeof(blob));
		assert_true(p1.v == 0);
		assert_int_equal(p1.b.len, 0);
		sn_rows_close(&rows);
		PQclear(r);
	}
	sn_pgarray_fini(&ints);
	sn_pgarray_fini(&bytes);

	sn_pgarray empty;
	sn_pgarray_init(&empty);
	const char *e[1] = { sn_pgarray_text(&empty) };
	assert_string_equal(e[0], "{}");
	PGresult *r
	    = PQexecParams(pg, "SELECT count(*) AS n FROM unnest($1::text[])",
	        1, NULL, e, NULL, NULL, 0);
	one o;
	assert_int_equal(sn_rows_one(r, one_cols, 1, &o), SN_OK);
	assert_true(o.n == 0);
	PQclear(r);
	sn_pgarray_fini(&empty);
}

typedef struct binrow {
	bool        has_s;
	const char *s;
	int64_t     i4, i8;
	sn_bytes    b;
	const char *u;
} binrow;
static const sn_col binrow_cols[] = {
	SN_COL_OPT(binrow, s, SN_COL_TEXT, has_s),
	SN_COL(binrow, i4, SN_COL_I64),
	SN_COL(binrow, i8, SN_COL_I64),
	SN_COL(binrow, b, SN_COL_BYTES),
	SN_COL(binrow, u, SN_COL_TEXT),
};

/* Binary arrays (format 1) of each element type come back as they went:
 * strings with NULL among them, both ends of int4 and int8, bytes with
 * quotes and NULs, uuids; an empty one is an empty array; a value its
 * type cannot hold fails the array, as does text asked of it. */
static void
test_pgarray_binary(void **state)
{
	(void) state;
	static const char *const in[]
	    = { "a,b", "\"quoted\"", NULL, "back\\slash", "", "张三" };
	static const int64_t i4[]   = { INT32_MIN, -1, 0, 1, 7, INT32_MAX };
	static const int64_t i8[]   = { INT64_MIN, -1, 0, 1, 7, INT64_MAX };
	static const uint8_t blob[] = { 0, 1, '"', '\\', ',', 0xff };
	sn_pgarray           a[5];
	sn_pgarray_init_bin(&a[0], SN_PG_TEXT);
	sn_pgarray_init_bin(&a[1], SN_PG_INT4);
	sn_pgarray_init_bin(&a[2], SN_PG_INT8);
	sn_pgarray_init_bin(&a[3], SN_PG_BYTEA);
	sn_pgarray_init_bin(&a[4], SN_PG_UUID);
	for (size_t i = 0; i < 6; i++) {
		uint8_t u[16];
		for (int k = 0; k < 16; k++)
			u[k] = (uint8_t) (i * 16 + (size_t) k);
		sn_pgarray_add(&a[0], in[i]);
		sn_pgarray_add_i64(&a[1], i4[i]);
		sn_pgarray_add_i64(&a[2], i8[i]);
		sn_pgarray_add_bytes(&a[3], blob, i);
		sn_pgarray_add_bytes(&a[4], u, sizeof(u));
	}
	const char *v[5];
	int         len[5], fmt[5] = { 1, 1, 1, 1, 1 };
	for (int k = 0; k < 5; k++) {
		v[k] = sn_pgarray_bin(&a[k], &len[k]);
		assert_non_null(v[k]);
		assert_null(sn_pgarray_text(&a[k]));
	}
	PGresult *r = PQexecParams(pg,
	    "SELECT s, i4::int8 AS i4, i8, b, u::text AS u FROM unnest("
	    "$1::text[], $2::int4[], $3::int8[], $4::bytea[], $5::uuid[])"
	    " WITH ORDINALITY AS x(s, i4, i8, b, u, i) ORDER BY i",
	    5, NULL, v, len, fmt, 1);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	sn_rows rows;
	assert_int_equal(sn_rows_open(&rows, r, binrow_cols, 5), SN_OK);
	assert_int_equal(sn_rows_count(&rows), 6);
	for (size_t i = 0; i < 6; i++) {
		binrow x;
		char   want[SN_UUID_STRLEN];
		assert_int_equal(sn_rows_read(&rows, (int) i, &x), SN_OK);
		assert_int_equal(x.has_s, in[i] != NULL);
		if (in[i] != NULL)
			assert_string_equal(x.s, in[i]);
		assert_true(x.i4 == i4[i]);
		assert_true(x.i8 == i8[i]);
		assert_int_equal(x.b.len, i);
		assert_memory_equal(x.b.data, blob, i);
		sn_uuid u;
		for (int k = 0; k < 16; k++)
			u.b[k] = (uint8_t) (i * 16 + (size_t) k);
		assert_string_equal(x.u, sn_uuid_format(&u, want));
	}
	sn_rows_close(&rows);
	PQclear(r);
	for (int k = 0; k < 5; k++)
		sn_pgarray_fini(&a[k]);

	sn_pgarray empty;
	int        elen;
	sn_pgarray_init_bin(&empty, SN_PG_UUID);
	const char *e[1] = { sn_pgarray_bin(&empty, &elen) };
	assert_non_null(e[0]);
	r = PQexecParams(pg, "SELECT count(*) AS n FROM unnest($1::uuid[])", 1,
	    NULL, e, &elen, fmt, 0);
	one o;
	assert_int_equal(sn_rows_one(r, one_cols, 1, &o), SN_OK);
	assert_true(o.n == 0);
	PQclear(r);
	sn_pgarray_fini(&empty);

	sn_pgarray bad;
	sn_pgarray_init_bin(&bad, SN_PG_INT4);
	sn_pgarray_add_i64(&bad, 1);
	sn_pgarray_add_i64(&bad, (int64_t) INT32_MAX + 1);
	assert_null(sn_pgarray_bin(&bad, &elen));
	sn_pgarray_fini(&bad);
	sn_pgarray_init_bin(&bad, SN_PG_UUID);
	sn_pgarray_add_bytes(&bad, blob, sizeof(blob));
	assert_null(sn_pgarray_bin(&bad, &elen));
	sn_pgarray_fini(&bad);
	sn_pgarray_init_bin(&bad, SN_PG_INT8);
	sn_pgarray_add(&bad, "7");
	assert_null(sn_pgarray_bin(&bad, &elen));
	sn_pgarray_fini(&bad);
}

static int
setup(void **state)
{
	(void) state;
	const char *url = getenv("SN_TEST_DB_URL");
	if (url == NULL)
		fail_msg("SN_TEST_DB_URL is not set (run through "
		         "deploy/local/test)");
	pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(pg));
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	PQfinish(pg);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_format),
		cmocka_unit_test(test_binary_format),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_one),
		cmocka_unit_test(test_pgarray_text),
		cmocka_unit_test(test_pgarray_numbers_and_bytes),
		cmocka_unit_test(test_pgarray_binary),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
