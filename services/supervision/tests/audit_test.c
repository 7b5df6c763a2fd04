/*
 * supervision.audit: the audit chain's pure parts - the canonical bytes
 * and the hash against bytes and digests made by another implementation
 * (Python's json.dumps(r, sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False) and hashlib.sha256), the normalised times, and the
 * verification walk over a chain broken one way at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "audit.h"

/* A refusal with every kind of escape in its subject. */
static supervision_audit_record
fixture(void)
{
	supervision_audit_record r = { .n = 7,
		.service                  = "approval",
		.user_id                  = "dist-1",
		.role                     = "district_officer",
		.jurisdiction             = "220103",
		.actor_index              = "",
		.method                   = "POST",
		.route                    = "/cases/{id}/decide",
		.subject         = "c-\"1\"\\ \xe5\xbc\xa0\n\t\x01\x7f",
		.request_id      = "req.1",
		.idempotency_key = "k 1",
		.status          = 403,
		.outcome_code    = "segregation_of_duties",
		.at              = "2026-12-02T13:55:39.123000Z",
		.event_id        = "0b8e5f7e-8d1a-4c53-9d7e-1b2c3d4e5f60",
		.source          = "approval",
		.sequence        = 42 };
	return r;
}

static const char FIXTURE_BYTES[]
    = "{\"actor_index\":\"\",\"at\":\"2026-12-02T13:55:39.123000Z\","
      "\"event_id\":\"0b8e5f7e-8d1a-4c53-9d7e-1b2c3d4e5f60\","
      "\"idempotency_key\":\"k 1\",\"jurisdiction\":\"220103\","
      "\"method\":\"POST\",\"n\":7,"
      "\"outcome_code\":\"segregation_of_duties\","
      "\"request_id\":\"req.1\",\"role\":\"district_officer\","
      "\"route\":\"/cases/{id}/decide\",\"sequence\":42,"
      "\"service\":\"approval\",\"source\":\"approval\",\"status\":403,"
      "\"subject\":\"c-\\\"1\\\"\\\\ \xe5\xbc\xa0\\n\\t\\u0001\x7f\","
      "\"user_id\":\"dist-1\"}";
/* SHA-256(32 zero bytes || FIXTURE_BYTES). */
static const char FIXTURE_HASH[]
    = "b18671d8a58543371e6cd5834108cd9acf371aaa0f8f45391a62f70501fd334d";
/* The next record (n 8, 201, subject c-2) chained on it. */
static const char NEXT_HASH[]
    = "cc465dda7d7c307212db085ff2005fe4a020f6c5d2287e162dcae0d527863a72";

static void
hex(const uint8_t h[SUPERVISION_AUDIT_HASHLEN], char out[65])
{
	sodium_bin2hex(out, 65, h, SUPERVISION_AUDIT_HASHLEN);
}

static void
test_canonical_bytes(void **state)
{
	supervision_audit_record r = fixture();
	char                     buf[1024];
	size_t                   len = 0;
	(void) state;
	assert_int_equal(
	    supervision_audit_canonical(&r, buf, sizeof(buf), &len), SN_OK);
	assert_string_equal(buf, FIXTURE_BYTES);
	assert_int_equal(len, strlen(FIXTURE_BYTES));
}

static void
test_hash_chain(void **state)
{
	supervision_audit_record r              = fixture();
	uint8_t zero[SUPERVISION_AUDIT_HASHLEN] = { 0 }, h1[32], h2[32];
	char    buf[1024], x[65];
	size_t  len;
	(void) state;
	assert_int_equal(
	    supervision_audit_canonical(&r, buf, sizeof(buf), &len), SN_OK);
	supervision_audit_hash(zero, buf, len, h1);
	hex(h1, x);
	assert_string_equal(x, FIXTURE_HASH);
	r.n            = 8;
	r.status       = 201;
	r.outcome_code = "";
	r.subject      = "c-2";
	assert_int_equal(
	    supervision_audit_canonical(&r, buf, sizeof(buf), &len), SN_OK);
	supervision_audit_hash(h1, buf, len, h2);
	hex(h2, x);
	assert_string_equal(x, NEXT_HASH);
	/* The same bytes after another previous hash give another hash. */
	supervision_audit_hash(zero, buf, len, h1);
	assert_memory_not_equal(h1, h2, SUPERVISION_AUDIT_HASHLEN);
}

static void
test_canonical_small_buffer(void **state)
{
	supervision_audit_record r = fixture();
	char                     small[16], *big;
	size_t                   len = 0, len2 = 0;
	(void) state;
	assert_int_equal(
	    supervision_audit_canonical(&r, small, sizeof(small), &len),
	    SN_ERANGE);
	assert_int_equal(len, strlen(FIXTURE_BYTES));
	big = malloc(len + 1);
	assert_int_equal(
	    supervision_audit_canonical(&r, big, len + 1, &len2), SN_OK);
	assert_string_equal(big, FIXTURE_BYTES);
	free(big);
}

static void
test_canonical_refuses(void **state)
{
	supervision_audit_record r = fixture();
	char                     buf[1024];
	size_t                   len;
	(void) state;
	r.subject = "bad \xc3\x28 utf-8";
	assert_int_equal(
	    supervision_audit_canonical(&r, buf, sizeof(buf), &len),
	    SN_EINVAL);
	r         = fixture();
	r.subject = "\xed\xa0\x80"; /* a surrogate */
	assert_int_equal(
	    supervision_audit_canonical(&r, buf, sizeof(buf), &len),
	    SN_EINVAL);
	r      = fixture();
	r.role = NULL;
	assert_int_equal(
	    supervision_audit_canonical(&r, buf, sizeof(buf), &len),
	    SN_EINVAL);
}

static void
test_at(void **state)
{
	static const struct {
		const char *in, *want; /* want NULL: refused */
	} cases[] = {
		{ "2026-12-02T13:55:39.123Z", "2026-12-02T13:55:39.123000Z" },
		{ "2026-12-02T13:55:39Z", "2026-12-02T13:55:39.000000Z" },
		{ "2026-12-02t13:55:39.5z", "2026-12-02T13:55:39.500000Z" },
		{ "2026-12-02T13:55:39.123456Z",
		    "2026-12-02T13:55:39.123456Z" },
		/* offsets, across a day, a month and a year */
		{ "2026-12-03T07:00:00+08:00", "2026-12-02T23:00:00.000000Z" },
		{ "2027-01-01T02:30:00.1+05:30",
		    "2026-12-31T21:00:00.100000Z" },
		{ "2026-02-28T20:00:00-05:00", "2026-03-01T01:00:00.000000Z" },
		{ "2028-02-28T20:00:00-05:00", "2028-02-29T01:00:00.000000Z" },
		{ "2026-12-02T13:55:39.1234567Z", NULL }, /* beyond micro */
		{ "2026-12-02T13:55:39.Z", NULL },
		{ "2026-12-02T13:55:60Z", NULL }, /* no leap seconds */
		{ "2026-12-02T24:00:00Z", NULL },
		{ "2026-02-29T10:00:00Z", NULL },
		{ "2026-12-02 13:55:39Z", NULL },
		{ "2026-12-02T13:55:39", NULL },
		{ "2026-12-02T13:55:39+0800", NULL },
		{ "2026-12-02T13:55:39Z ", NULL },
		{ "0001-01-01T01:00:00+02:00", NULL }, /* year 0 in UTC */
		{ "", NULL },
	};
	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char   o[SUPERVISION_AUDIT_ATLEN] = "";
		sn_err err = supervision_audit_at(cases[i].in, o);
		if (cases[i].want == NULL) {
			if (err != SN_EINVAL)
				fail_msg("%s: accepted as %s", cases[i].in, o);
		} else {
			if (err != SN_OK)
				fail_msg("%s: refused", cases[i].in);
			assert_string_equal(o, cases[i].want);
		}
	}
	assert_int_equal(
	    supervision_audit_at(NULL, (char[28]) { 0 }), SN_EINVAL);
}

/* ---- the walk ---------------------------------------------------------- */

#define NROWS 4

typedef struct chain {
	supervision_audit_record rec[NROWS];
	char                     subj[NROWS][16];
	char                     bytes[NROWS][1024];
	uint8_t                  prev[NROWS][32], hash[NROWS][32];
	supervision_audit_row    row[NROWS];
} chain;

static void
chain_make(chain *c)
{
	uint8_t prev[32] = { 0 };
	for (int i = 0; i < NROWS; i++) {
		size_t len;
		c->rec[i]   = fixture();
		c->rec[i].n = i + 1;
		snprintf(c->subj[i], sizeof(c->subj[i]), "s-%d", i + 1);
		c->rec[i].subject = c->subj[i];
		assert_int_equal(supervision_audit_canonical(&c->rec[i],
		                     c->bytes[i], sizeof(c->bytes[i]), &len),
		    SN_OK);
		memcpy(c->prev[i], prev, 32);
		supervision_audit_hash(prev, c->bytes[i], len, c->hash[i]);
		memcpy(prev, c->hash[i], 32);
		c->row[i] = (supervision_audit_row) { .rec = c->rec[i],
			.record                            = c->bytes[i],
			.record_len                        = len,
			.prev_hash                         = c->prev[i],
			.prev_len                          = 32,
			.hash                              = c->hash[i],
			.hash_len                          = 32 };
	}
}

/* Walks rows (n of them) against a head; returns the walk. */
static supervision_audit_walk
walk(const supervision_audit_row *rows, int n, int64_t head_n,
    const uint8_t head_hash[32])
{
	supervision_audit_walk w;
	supervision_audit_walk_init(&w, head_n, head_hash);
	for (int i = 0; i < n; i++)
		if (!supervision_audit_walk_row(&w, &rows[i]))
			break;
	supervision_audit_walk_end(&w);
	return w;
}

static void
expect(supervision_audit_walk w, supervision_audit_break b, int64_t first,
    int64_t checked)
{
	assert_string_equal(supervision_audit_break_code(w.broken),
	    supervision_audit_break_code(b));
	assert_int_equal(w.first_broken, first);
	assert_int_equal(w.checked, checked);
}

static void
test_walk(void **state)
{
	chain                 c;
	supervision_audit_row r[NROWS];
	uint8_t               zero[32] = { 0 };
	char                  edited[1024];
	(void) state;
	chain_make(&c);

	/* intact, and the empty chain */
	expect(walk(c.row, NROWS, NROWS, c.hash[NROWS - 1]),
	    SUPERVISION_AUDIT_INTACT, 0, NROWS);
	expect(walk(c.row, 0, 0, zero), SUPERVISION_AUDIT_INTACT, 0, 0);

	/* record 3's bytes edited (its status) */
	memcpy(r, c.row, sizeof(r));
	snprintf(edited, sizeof(edited), "%s", c.bytes[2]);
	memcpy(strstr(edited, "\"status\":403"), "\"status\":201", 12);
	r[2].record = edited;
	expect(walk(r, NROWS, NROWS, c.hash[NROWS - 1]),
	    SUPERVISION_AUDIT_HASH_MISMATCH, 3, 2);

	/* record 2's column edited, its bytes not */
	memcpy(r, c.row, sizeof(r));
	r[1].rec.status = 201;
	expect(walk(r, NROWS, NROWS, c.hash[NROWS - 1]),
	    SUPERVISION_AUDIT_COLUMNS_MISMATCH, 2, 1);

	/* record 2 deleted */
	supervision_audit_row del[] = { c.row[0], c.row[2], c.row[3] };
	expect(walk(del, 3, NROWS, c.hash[NROWS - 1]),
	    SUPERVISION_AUDIT_MISSING, 2, 1);

	/* records 2 and 3 swapped (their n exchanged) */
	supervision_audit_row sw[]
	    = { c.row[0], c.row[2], c.row[1], c.row[3] };
	sw[1].rec.n = 2;
	sw[2].rec.n = 3;
	expect(walk(sw, NROWS, NROWS, c.hash[NROWS - 1]),
	    SUPERVISION_AUDIT_PREV_MISMATCH, 2, 1);

	/* the last record deleted, the head left */
	expect(walk(c.row, NROWS - 1, NROWS, c.hash[NROWS - 1]),
	    SUPERVISION_AUDIT_MISSING, 4, 3);

	/* the head edited */
	expect(walk(c.row, NROWS, NROWS, c.hash[1]),
	    SUPERVISION_AUDIT_HEAD_MISMATCH, 4, 4);

	/* a record past the head */
	expect(walk(c.row, NROWS, NROWS - 1, c.hash[NROWS - 2]),
	    SUPERVISION_AUDIT_BEYOND_HEAD, 4, 3);

	/* a short hash is a mismatch, not a read past its end */
	memcpy(r, c.row, sizeof(r));
	r[0].hash_len = 31;
	expect(walk(r, NROWS, NROWS, c.hash[NROWS - 1]),
	    SUPERVISION_AUDIT_HASH_MISMATCH, 1, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_bytes),
		cmocka_unit_test(test_hash_chain),
		cmocka_unit_test(test_canonical_small_buffer),
		cmocka_unit_test(test_canonical_refuses),
		cmocka_unit_test(test_at),
		cmocka_unit_test(test_walk),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
