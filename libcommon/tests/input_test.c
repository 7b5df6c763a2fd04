#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "sn/input.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* What an out-parameter holds until a function that passed writes it. */
static const char untouched[] = "untouched";

static json_t *
load(const char *text)
{
	json_error_t err;
	/* JSON_ALLOW_NUL only so that "\u0000" can be tested at all: the
	 * http module loads without it. */
	json_t *j
	    = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);

	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, err.text);
	return j;
}

/* p holds a 422 with code and field ("" for none). */
static void
assert_problem(const sn_problem *p, const char *code, const char *field)
{
	if (!sn_problem_is_set(p))
		fail_msg("no problem; wanted %s on \"%s\"", code, field);
	assert_int_equal(p->status, 422);
	assert_string_equal(p->code, code);
	assert_string_equal(p->field, field);
	assert_true(p->message[0] != '\0');
}

/* sn_in_str on {"v": <value>} at top level. */
struct str_case {
	const char *json;
	unsigned    flags;
	size_t      max;
	const char *code; /* NULL: passes */
	const char *want; /* on a pass: the string, or NULL for absent */
};

static void
run_str(const struct str_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t     *o   = load(cases[i].json);
		const char *out = untouched;
		sn_problem  p;
		bool        ok;

		sn_problem_clear(&p);
		ok = sn_in_str(
		    o, "v", "", cases[i].flags, cases[i].max, &out, &p);
		if (cases[i].code == NULL) {
			if (!ok || sn_problem_is_set(&p))
				fail_msg("case %zu %s refused: %s", i,
				    cases[i].json, p.code);
			if (cases[i].want == NULL)
				assert_ptr_equal(out, untouched);
			else
				assert_string_equal(out, cases[i].want);
		} else {
			if (ok)
				fail_msg(
				    "case %zu %s accepted", i, cases[i].json);
			assert_problem(&p, cases[i].code, "v");
			assert_ptr_equal(out, untouched);
		}
		json_decref(o);
	}
}

static void
test_str(void **state)
{
	static const struct str_case cases[] = {
		{ "{\"v\": \"Wang Fang\"}", 0, 0, NULL, "Wang Fang" },
		{ "{\"v\": \"\"}", 0, 0, NULL, "" },
		{ "{\"v\": \"\"}", SN_IN_NONEMPTY, 0, "missing_field", NULL },
		{ "{}", 0, 0, NULL, NULL },
		{ "{}", SN_IN_REQUIRED, 0, "missing_field", NULL },
		{ "{\"v\": 5}", 0, 0, "invalid_type", NULL },
		{ "{\"v\": true}", 0, 0, "invalid_type", NULL },
		{ "{\"v\": [\"a\"]}", 0, 0, "invalid_type", NULL },
		{ "{\"v\": {}}", 0, 0, "invalid_type", NULL },
		/* null */
		{ "{\"v\": null}", 0, 0, "invalid_type", NULL },
		{ "{\"v\": null}", SN_IN_REQUIRED, 0, "invalid_type", NULL },
		{ "{\"v\": null}", SN_IN_NULLABLE, 0, NULL, NULL },
		{ "{\"v\": null}", SN_IN_NULLABLE | SN_IN_REQUIRED, 0,
		    "missing_field", NULL },
		/* control characters */
		{ "{\"v\": \"Wang\\u0001Fang\"}", 0, 0, "invalid_characters",
		    NULL },
		{ "{\"v\": \"a\\nb\"}", 0, 0, "invalid_characters", NULL },
		{ "{\"v\": \"a\\nb\"}", SN_IN_MULTILINE, 0, NULL, "a\nb" },
		{ "{\"v\": \"a\\tb\\r\\n\"}", 0, 0, "invalid_characters",
		    NULL },
		{ "{\"v\": \"a\\tb\\r\\n\"}", SN_IN_MULTILINE, 0, NULL,
		    "a\tb\r\n" },
		{ "{\"v\": \"a\\u000bb\"}", SN_IN_MULTILINE, 0,
		    "invalid_characters", NULL },
		{ "{\"v\": \"a\\u001fb\"}", SN_IN_MULTILINE, 0,
		    "invalid_characters", NULL },
		{ "{\"v\": \"a\\u007fb\"}", SN_IN_MULTILINE, 0,
		    "invalid_characters", NULL },
		{ "{\"v\": \"a\\u0085b\"}", SN_IN_MULTILINE, 0,
		    "invalid_characters", NULL },
		{ "{\"v\": \"a\\u0080b\"}", 0, 0, "invalid_characters", NULL },
		{ "{\"v\": \"a\\u009fb\"}", 0, 0, "invalid_characters", NULL },
		{ "{\"v\": \"a\\u00a0b\"}", 0, 0, NULL,
		    "a\xc2\xa0"
		    "b" },
		/* A NUL inside the string must not hide what follows it. */
		{ "{\"v\": \"ok\\u0000\\u0001\"}", 0, 0, "invalid_characters",
		    NULL },
		{ "{\"v\": \"\\u0000\"}", SN_IN_NONEMPTY, 0,
		    "invalid_characters", NULL },
		/* length in code points, not bytes */
		{ "{\"v\": \"\\u738b\\u82b3\\u82b3\"}", 0, 3, NULL,
		    "\xe7\x8e\x8b\xe8\x8a\xb3\xe8\x8a\xb3" },
		{ "{\"v\": \"\\u738b\\u82b3\\u82b3\\u82b3\"}", 0, 3,
		    "too_long", NULL },
		{ "{\"v\": \"abc\"}", 0, 3, NULL, "abc" },
		{ "{\"v\": \"abcd\"}", 0, 3, "too_long", NULL },
		{ "{\"v\": \"\\ud83d\\ude00\\ud83d\\ude00\"}", 0, 2, NULL,
		    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80" },
		{ "{\"v\": \"abcdefghijklmnopqrstuvwxyz\"}", 0, 0, NULL,
		    "abcdefghijklmnopqrstuvwxyz" },
	};

	(void) state;
	run_str(cases, N(cases));
}

/* The field names the member under its prefix. */
static void
test_field_prefix(void **state)
{
	json_t     *o   = load("{\"name\": \"a\\u0001\"}");
	const char *out = untouched;
	sn_problem  p;

	(void) state;
	sn_problem_clear(&p);
	assert_false(sn_in_str(o, "name", "members[2].", 0, 0, &out, &p));
	assert_problem(&p, "invalid_characters", "members[2].name");

	sn_problem_clear(&p);
	assert_false(
	    sn_in_str(o, "idnum", "members[2].", SN_IN_REQUIRED, 0, &out, &p));
	assert_problem(&p, "missing_field", "members[2].idnum");
	assert_ptr_equal(out, untouched);
	json_decref(o);
}

/* Only the first refusal is kept; a later pass leaves it alone. */
static void
test_first_problem_wins(void **state)
{
	json_t     *o = load("{\"a\": 1, \"b\": \"x\"}");
	const char *s = untouched;
	int64_t     n = 0;
	sn_problem  p;

	(void) state;
	sn_problem_clear(&p);
	assert_false(sn_in_str(o, "a", "", 0, 0, &s, &p));
	assert_false(sn_in_i64(o, "b", "", 0, 0, 10, &n, &p));
	assert_true(sn_in_str(o, "b", "", 0, 0, &s, &p));
	assert_problem(&p, "invalid_type", "a");
	assert_string_equal(s, "x");
	json_decref(o);
}

static void
test_only(void **state)
{
	static const char *const keys[] = { "name", "idnum", NULL };
	static const char *const none[] = { NULL };
	json_t                  *o;
	sn_problem               p;

	(void) state;
	o = load("{\"name\": \"a\", \"idnum\": \"b\"}");
	sn_problem_clear(&p);
	assert_true(sn_in_only(o, keys, "", &p));
	assert_false(sn_problem_is_set(&p));
	json_decref(o);

	o = load("{}");
	assert_true(sn_in_only(o, none, "", &p));
	assert_false(sn_problem_is_set(&p));
	json_decref(o);

	/* The first stranger, in the body's order. */
	o = load("{\"name\": \"a\", \"zz\": 1, \"yy\": 2}");
	assert_false(sn_in_only(o, keys, "", &p));
	assert_problem(&p, "unknown_field", "zz");
	sn_problem_clear(&p);
	assert_false(sn_in_only(o, keys, "members[2].", &p));
	assert_problem(&p, "unknown_field", "members[2].zz");
	json_decref(o);

	/* A near miss is a stranger. */
	o = load("{\"Name\": \"a\"}");
	sn_problem_clear(&p);
	assert_false(sn_in_only(o, keys, "", &p));
	assert_problem(&p, "unknown_field", "Name");
	json_decref(o);
}

static void
test_only_not_object(void **state)
{
	static const char *const keys[] = { "name", NULL };
	json_t                  *a      = load("[1, 2]");
	json_t                  *s      = json_string("x");
	sn_problem               p;

	(void) state;
	sn_problem_clear(&p);
	assert_false(sn_in_only(a, keys, "members[2].", &p));
	assert_problem(&p, "invalid_type", "members[2]");

	sn_problem_clear(&p);
	assert_false(sn_in_only(s, keys, "", &p));
	assert_problem(&p, "invalid_type", "");

	sn_problem_clear(&p);
	assert_false(sn_in_only(NULL, keys, "address.", &p));
	assert_problem(&p, "invalid_type", "address");

	/* The other functions give the same answer for a non-object. */
	{
		const char *out = untouched;

		sn_problem_clear(&p);
		assert_false(
		    sn_in_str(a, "name", "members[2].", 0, 0, &out, &p));
		assert_problem(&p, "invalid_type", "members[2]");
		assert_ptr_equal(out, untouched);
	}
	json_decref(a);
	json_decref(s);
}

/*
 * A stranger's name is the client's text: its control characters are
 * not echoed, and a NUL in it cannot make it pass for a known name.
 */
static void
test_only_hostile_keys(void **state)
{
	static const char *const keys[] = { "name", NULL };
	json_t                  *o      = json_object();
	sn_problem               p;

	(void) state;
	assert_int_equal(
	    json_object_setn_new(o, "name\0x", 6, json_string("a")), 0);
	sn_problem_clear(&p);
	assert_false(sn_in_only(o, keys, "", &p));
	assert_problem(&p, "unknown_field", "name?x");
	json_decref(o);

	o = json_object();
	assert_int_equal(
	    json_object_set_new(o, "a\x01\x7f\xc2\x85z", json_true()), 0);
	sn_problem_clear(&p);
	assert_false(sn_in_only(o, keys, "", &p));
	assert_problem(&p, "unknown_field", "a???z");
	json_decref(o);
}

static void
test_i64(void **state)
{
	static const struct {
		const char *json;
		unsigned    flags;
		int64_t     min, max;
		const char *code; /* NULL: passes */
		int64_t     want; /* on a pass; 777 for absent */
	} cases[] = {
		{ "{\"v\": 5}", 0, 0, 10, NULL, 5 },
		{ "{\"v\": 0}", 0, 0, 10, NULL, 0 },
		{ "{\"v\": 10}", 0, 0, 10, NULL, 10 },
		{ "{\"v\": -1}", 0, 0, 10, "out_of_range", 0 },
		{ "{\"v\": 11}", 0, 0, 10, "out_of_range", 0 },
		{ "{\"v\": -5}", 0, -10, -1, NULL, -5 },
		/* 2^53 + 1 is where a double would have lost it. */
		{ "{\"v\": 9007199254740993}", 0, 0, INT64_MAX, NULL,
		    9007199254740993LL },
		{ "{\"v\": 9223372036854775807}", 0, INT64_MIN, INT64_MAX,
		    NULL, INT64_MAX },
		{ "{\"v\": -9223372036854775808}", 0, INT64_MIN, INT64_MAX,
		    NULL, INT64_MIN },
		{ "{\"v\": 3.0}", 0, 0, 10, "invalid_type", 0 },
		{ "{\"v\": 2.5}", 0, 0, 10, "invalid_type", 0 },
		{ "{\"v\": 1e2}", 0, 0, 1000, "invalid_type", 0 },
		{ "{\"v\": \"5\"}", 0, 0, 10, "invalid_type", 0 },
		{ "{\"v\": true}", 0, 0, 10, "invalid_type", 0 },
		{ "{\"v\": null}", 0, 0, 10, "invalid_type", 0 },
		{ "{\"v\": null}", SN_IN_NULLABLE, 0, 10, NULL, 777 },
		{ "{\"v\": null}", SN_IN_NULLABLE | SN_IN_REQUIRED, 0, 10,
		    "missing_field", 0 },
		{ "{}", 0, 0, 10, NULL, 777 },
		{ "{}", SN_IN_REQUIRED, 0, 10, "missing_field", 0 },
	};

	(void) state;
	for (size_t i = 0; i < N(cases); i++) {
		json_t    *o   = load(cases[i].json);
		int64_t    out = 777;
		sn_problem p;
		bool       ok;

		sn_problem_clear(&p);
		ok = sn_in_i64(o, "v", "", cases[i].flags, cases[i].min,
		    cases[i].max, &out, &p);
		if (cases[i].code == NULL) {
			if (!ok)
				fail_msg("case %zu refused: %s", i, p.code);
			assert_false(sn_problem_is_set(&p));
			assert_true(out == cases[i].want);
		} else {
			if (ok)
				fail_msg("case %zu accepted", i);
			assert_problem(&p, cases[i].code, "v");
			assert_int_equal(out, 777);
		}
		json_decref(o);
	}
}

static void
test_bool(void **state)
{
	json_t    *o = load("{\"t\": true, \"f\": false, \"s\": \"true\", "
	                       "\"n\": 1, \"z\": null}");
	bool       out;
	sn_problem p;

	(void) state;
	sn_problem_clear(&p);
	out = false;
	assert_true(sn_in_bool(o, "t", "", 0, &out, &p));
	assert_true(out);
	assert_true(sn_in_bool(o, "f", "", 0, &out, &p));
	assert_false(out);
	assert_false(sn_problem_is_set(&p));

	/* absent, and null as absent, leave it alone */
	out = true;
	assert_true(sn_in_bool(o, "absent", "", 0, &out, &p));
	assert_true(sn_in_bool(o, "z", "", SN_IN_NULLABLE, &out, &p));
	assert_true(out);

	assert_false(sn_in_bool(o, "s", "", 0, &out, &p));
	assert_problem(&p, "invalid_type", "s");
	sn_problem_clear(&p);
	assert_false(sn_in_bool(o, "n", "", 0, &out, &p));
	assert_problem(&p, "invalid_type", "n");
	sn_problem_clear(&p);
	assert_false(sn_in_bool(o, "z", "", 0, &out, &p));
	assert_problem(&p, "invalid_type", "z");
	sn_problem_clear(&p);
	assert_false(sn_in_bool(o, "absent", "", SN_IN_REQUIRED, &out, &p));
	assert_problem(&p, "missing_field", "absent");
	assert_true(out);
	json_decref(o);
}

static void
test_date(void **state)
{
	static const struct {
		const char *json;
		unsigned    flags;
		const char *code; /* NULL: passes */
	} bad[] = {
		{ "{\"v\": \"2027-02-29\"}", 0, "invalid_date" },
		{ "{\"v\": \"2026-1-01\"}", 0, "invalid_date" },
		{ "{\"v\": \"2026-01-01 \"}", 0, "invalid_date" },
		{ "{\"v\": \"2026-01-01\\u0000x\"}", 0, "invalid_date" },
		{ "{\"v\": \"\"}", 0, "invalid_date" },
		{ "{\"v\": \"\"}", SN_IN_NONEMPTY, "missing_field" },
		{ "{\"v\": 20260101}", 0, "invalid_type" },
		{ "{\"v\": null}", 0, "invalid_type" },
		{ "{}", SN_IN_REQUIRED, "missing_field" },
	};
	json_t    *o = load("{\"d\": \"2024-02-29\"}");
	sn_date    out;
	sn_problem p;

	(void) state;
	sn_problem_clear(&p);
	assert_true(sn_in_date(o, "d", "", SN_IN_REQUIRED, &out, &p));
	assert_int_equal(sn_date_yyyymmdd(out), 20240229);
	json_decref(o);

	for (size_t i = 0; i < N(bad); i++) {
		sn_date keep = { 7, 7, 7 };

		o   = load(bad[i].json);
		out = keep;
		sn_problem_clear(&p);
		if (sn_in_date(o, "v", "", bad[i].flags, &out, &p))
			fail_msg("case %zu accepted", i);
		assert_problem(&p, bad[i].code, "v");
		assert_int_equal(sn_date_cmp(out, keep), 0);
		json_decref(o);
	}
}

static void
test_month(void **state)
{
	json_t    *o = load("{\"m\": \"2026-12\", \"bad\": \"2026-13\", "
	                       "\"day\": \"2026-12-01\", \"n\": 202612}");
	sn_month   out;
	sn_problem p;

	(void) state;
	sn_problem_clear(&p);
	assert_true(sn_in_month(o, "m", "", 0, &out, &p));
	assert_int_equal(out.year, 2026);
	assert_int_equal(out.month, 12);

	out.year = out.month = 7;
	assert_false(sn_in_month(o, "bad", "", 0, &out, &p));
	assert_problem(&p, "invalid_month", "bad");
	sn_problem_clear(&p);
	assert_false(sn_in_month(o, "day", "", 0, &out, &p));
	assert_problem(&p, "invalid_month", "day");
	sn_problem_clear(&p);
	assert_false(sn_in_month(o, "n", "", 0, &out, &p));
	assert_problem(&p, "invalid_type", "n");
	assert_int_equal(out.year, 7);
	assert_int_equal(out.month, 7);
	json_decref(o);
}

static void
test_uuid(void **state)
{
	json_t *o
	    = load("{\"id\": \"123E4567-e89b-12d3-a456-426614174000\", "
	           "\"braced\": \"{123e4567-e89b-12d3-a456-426614174000}\", "
	           "\"n\": 5}");
	const char *out = untouched;
	sn_problem  p;

	(void) state;
	sn_problem_clear(&p);
	assert_true(sn_in_uuid(o, "id", "", SN_IN_REQUIRED, &out, &p));
	/* Borrowed from the JSON, not copied. */
	assert_ptr_equal(out, json_string_value(json_object_get(o, "id")));

	out = untouched;
	assert_false(sn_in_uuid(o, "braced", "", 0, &out, &p));
	assert_problem(&p, "invalid_uuid", "braced");
	sn_problem_clear(&p);
	assert_false(sn_in_uuid(o, "n", "", 0, &out, &p));
	assert_problem(&p, "invalid_type", "n");
	sn_problem_clear(&p);
	assert_false(sn_in_uuid(o, "absent", "x.", SN_IN_REQUIRED, &out, &p));
	assert_problem(&p, "missing_field", "x.absent");
	assert_ptr_equal(out, untouched);
	json_decref(o);
}

static void
test_object_array(void **state)
{
	json_t *o
	    = load("{\"obj\": {\"a\": 1}, \"arr\": [1, 2], \"z\": null}");
	const json_t *keep = json_null();
	const json_t *out  = keep;
	sn_problem    p;

	(void) state;
	sn_problem_clear(&p);
	assert_true(sn_in_object(o, "obj", "", 0, &out, &p));
	assert_ptr_equal(out, json_object_get(o, "obj"));
	assert_true(sn_in_array(o, "arr", "", 0, &out, &p));
	assert_ptr_equal(out, json_object_get(o, "arr"));

	out = keep;
	assert_true(sn_in_object(o, "z", "", SN_IN_NULLABLE, &out, &p));
	assert_true(sn_in_array(o, "absent", "", 0, &out, &p));
	assert_ptr_equal(out, keep);

	assert_false(sn_in_object(o, "arr", "", 0, &out, &p));
	assert_problem(&p, "invalid_type", "arr");
	sn_problem_clear(&p);
	assert_false(sn_in_array(o, "obj", "", 0, &out, &p));
	assert_problem(&p, "invalid_type", "obj");
	sn_problem_clear(&p);
	assert_false(sn_in_object(o, "z", "", 0, &out, &p));
	assert_problem(&p, "invalid_type", "z");
	sn_problem_clear(&p);
	assert_false(sn_in_array(o, "absent", "", SN_IN_REQUIRED, &out, &p));
	assert_problem(&p, "missing_field", "absent");
	assert_ptr_equal(out, keep);
	json_decref(o);
}

static void
test_text_ok(void **state)
{
	static const struct {
		const char *s;
		bool        single, multi;
	} cases[] = {
		{ "", true, true }, { "plain", true, true },
		{ "\xe7\x8e\x8b\xe8\x8a\xb3", true, true }, /* U+738B U+82B3 */
		{ "\xf0\x9f\x98\x80", true, true },         /* U+1F600 */
		{ "\xc2\xa0", true, true },                 /* U+00A0 */
		{ "\xf4\x8f\xbf\xbf", true, true },         /* U+10FFFF */
		{ "a\tb", false, true }, { "a\nb", false, true },
		{ "a\rb", false, true }, { "a\x01", false, false },
		{ "\x1b[31m", false, false }, { "a\x7f", false, false },
		{ "a\xc2\x80", false, false }, /* U+0080 */
		{ "a\xc2\x9f", false, false }, /* U+009F */
		{ "\xff", false, false },
		{ "\xc0\xaf", false, false },         /* overlong */
		{ "\xe0\x80\xaf", false, false },     /* overlong */
		{ "\xed\xa0\x80", false, false },     /* surrogate */
		{ "\xf4\x90\x80\x80", false, false }, /* > U+10FFFF */
		{ "\xe7\x8e", false, false },         /* cut short */
		{ "\x80", false, false },             /* stray */
	};

	(void) state;
	for (size_t i = 0; i < N(cases); i++) {
		if (sn_in_text_ok(cases[i].s, false) != cases[i].single
		    || sn_in_text_ok(cases[i].s, true) != cases[i].multi)
			fail_msg("case %zu", i);
	}
	assert_false(sn_in_text_ok(NULL, false));
}

static void
test_check_text(void **state)
{
	sn_problem p;

	(void) state;
	sn_problem_clear(&p);
	assert_true(sn_in_check_text("township-3", "township", 400, 20, &p));
	assert_true(sn_in_check_text(NULL, "township", 400, 20, &p));
	assert_true(
	    sn_in_check_text("\xe7\x8e\x8b\xe8\x8a\xb3", "q", 400, 2, &p));
	assert_false(sn_problem_is_set(&p));

	assert_false(sn_in_check_text("a\nb", "q", 400, 0, &p));
	assert_int_equal(p.status, 400);
	assert_string_equal(p.code, "invalid_characters");
	assert_string_equal(p.field, "q");

	sn_problem_clear(&p);
	assert_false(sn_in_check_text("abc", "q", 422, 2, &p));
	assert_int_equal(p.status, 422);
	assert_string_equal(p.code, "too_long");
	assert_string_equal(p.field, "q");

	sn_problem_clear(&p);
	assert_false(sn_in_check_text("\xc2\x85", NULL, 400, 0, &p));
	assert_string_equal(p.code, "invalid_characters");
	assert_string_equal(p.field, "");
}

/* Characters, not bytes: 1-, 2-, 3- and 4-byte sequences count one. */
static void
test_utf8_chars(void **state)
{
	(void) state;
	assert_int_equal(sn_utf8_chars(""), 0);
	assert_int_equal(sn_utf8_chars("abc"), 3);
	assert_int_equal(sn_utf8_chars("\xe7\x8e\x8b\xe8\x8a\xb3"), 2);
	assert_int_equal(sn_utf8_chars("a\xc3\xa9\xf0\x9f\x98\x80z"), 4);
}

/* Names: 1 to max characters of [A-Za-z0-9._-], counted by n. */
static void
test_name_ok(void **state)
{
	(void) state;
	assert_true(sn_in_name_ok("2027-01", 7, 31));
	assert_true(sn_in_name_ok("B.a_Z-9", 7, 7));
	assert_false(sn_in_name_ok("B.a_Z-9", 7, 6)); /* over max */
	assert_false(sn_in_name_ok("", 0, 31));
	assert_false(sn_in_name_ok(NULL, 3, 31));
	assert_false(sn_in_name_ok("a b", 3, 31));
	assert_true(sn_in_name_ok("a b", 1, 31)); /* only "a" */
	assert_false(sn_in_name_ok("a/b", 3, 31));
	assert_false(sn_in_name_ok("\xe4\xb8\xad", 3, 31));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_field_prefix),
		cmocka_unit_test(test_first_problem_wins),
		cmocka_unit_test(test_only),
		cmocka_unit_test(test_only_not_object),
		cmocka_unit_test(test_only_hostile_keys),
		cmocka_unit_test(test_i64),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_month),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_object_array),
		cmocka_unit_test(test_text_ok),
		cmocka_unit_test(test_name_ok),
		cmocka_unit_test(test_check_text),
		cmocka_unit_test(test_utf8_chars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
