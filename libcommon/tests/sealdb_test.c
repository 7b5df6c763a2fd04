/*
 * sn_sealdb_run (sn/sealdb.h) against PostgreSQL (SN_TEST_DB_URL): rows an
 * older version wrote in clear are sealed in batches, their index written
 * and their clear value dropped; a second run has nothing to do.
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
#include "sn/sealdb.h"

#define RING                                                                  \
	"t2:"                                                                 \
	"cb3316d0a1fba3eff4aaf518b56aebabbdca30894d2e2d7b28d8b3452ed8f27e\n"  \
	"t1:7a84fd2636dfde32de199e2fa68637e23614f448e2cd3c1e7730585fa8069043"
#define BLIND                                                                 \
	"5f1c0e9a3b7d2468ace0f1357924680bdf13579bace02468fdb97531eca86420"
#define NROWS 1203 /* three batches of 500 and a short one */

static PGconn     *pg;
static const char *url;
static sn_seal    *seal;

static const sn_sealdb_column cols[] = {
	{ .table    = "person",
	    .clear  = "id_number",
	    .sealed = "id_number_sealed",
	    .index  = "id_number_index",
	    .ad     = "test.person.id_number" },
	{ .table    = "person",
	    .clear  = "account",
	    .sealed = "account_sealed",
	    .ad     = "test.person.account" },
	/* a lookup table: the index alone, under the shared index name */
	{ .table      = "claim",
	    .clear    = "id_number",
	    .index    = "id_number_index",
	    .ad       = "test.claim.id_number",
	    .index_ad = "test.id_number" },
	/* a text[] sealed as its comma-separated text */
	{ .table        = "checks",
	    .clear      = "ids",
	    .sealed     = "ids_sealed",
	    .ad         = "test.checks.ids",
	    .clear_text = "array_to_string(ids, ',')" },
};

static void
exec_ok(const char *sql)
{
	PGresult *r = PQexec(pg, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK
	    && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

typedef struct person {
	int64_t id;
	bool    has_id_number, has_sealed, has_index, has_account,
	    has_account_sealed;
	const char *id_number, *id_number_sealed, *id_number_index;
	const char *account, *account_sealed;
} person;

static const sn_col person_cols[] = {
	SN_COL(person, id, SN_COL_I64),
	SN_COL_OPT(person, id_number, SN_COL_TEXT, has_id_number),
	SN_COL_OPT(person, id_number_sealed, SN_COL_TEXT, has_sealed),
	SN_COL_OPT(person, id_number_index, SN_COL_TEXT, has_index),
	SN_COL_OPT(person, account, SN_COL_TEXT, has_account),
	SN_COL_OPT(person, account_sealed, SN_COL_TEXT, has_account_sealed),
};

static void
check_sealed(const person *p)
{
	char  want[32], ix[SN_SEAL_INDEX_HEX + 1];
	char *plain = NULL;

	assert_false(p->has_id_number);
	assert_true(p->has_sealed);
	assert_true(strncmp(p->id_number_sealed, "sn1.t2.", 7) == 0);
	snprintf(want, sizeof(want), "ID%06lld", (long long) p->id);
	assert_int_equal(sn_seal_open_text(seal, "test.person.id_number",
	                     p->id_number_sealed, &plain),
	    SN_OK);
	assert_string_equal(plain, want);
	free(plain);
	sn_seal_index(seal, "test.person.id_number", want, ix);
	assert_true(p->has_index);
	assert_string_equal(p->id_number_index, ix);
	if (p->id % 2 == 0) { /* an account only on even rows */
		assert_false(p->has_account);
		assert_true(p->has_account_sealed);
		snprintf(want, sizeof(want), "6222%06lld", (long long) p->id);
		assert_int_equal(sn_seal_open_text(seal, "test.person.account",
		                     p->account_sealed, &plain),
		    SN_OK);
		assert_string_equal(plain, want);
		free(plain);
	} else {
		assert_false(p->has_account_sealed);
	}
}

typedef struct claim_row {
	bool        has_id_number;
	const char *id_number, *id_number_index;
} claim_row;

static const sn_col claim_cols[] = {
	SN_COL_OPT(claim_row, id_number, SN_COL_TEXT, has_id_number),
	SN_COL(claim_row, id_number_index, SN_COL_TEXT),
};

static void
check_claim(void)
{
	PGresult *r = PQexec(pg, "SELECT * FROM sealdb_test.claim");
	claim_row c;
	char      ix[SN_SEAL_INDEX_HEX + 1];

	assert_int_equal(
	    sn_rows_one(r, claim_cols, SN_NCOLS(claim_cols), &c), SN_OK);
	assert_false(c.has_id_number);
	sn_seal_index(seal, "test.id_number", "ID000007", ix);
	assert_string_equal(c.id_number_index, ix);
	PQclear(r);
}

typedef struct checks_row {
	bool        has_ids;
	const char *ids, *ids_sealed;
} checks_row;

static const sn_col checks_cols[] = {
	SN_COL_OPT(checks_row, ids, SN_COL_TEXT, has_ids),
	SN_COL(checks_row, ids_sealed, SN_COL_TEXT),
};

static void
check_ids(void)
{
	PGresult  *r = PQexec(pg, "SELECT * FROM sealdb_test.checks");
	checks_row c;
	char      *plain = NULL;

	assert_int_equal(
	    sn_rows_one(r, checks_cols, SN_NCOLS(checks_cols), &c), SN_OK);
	assert_false(c.has_ids);
	assert_int_equal(
	    sn_seal_open_text(seal, "test.checks.ids", c.ids_sealed, &plain),
	    SN_OK);
	assert_string_equal(plain, "ID1,ID2");
	free(plain);
	PQclear(r);
}

static void
test_seals_clear_rows(void **state)
{
	int64_t   n = -1;
	PGresult *r;
	sn_rows   rows;

	(void) state;
	exec_ok("DROP SCHEMA IF EXISTS sealdb_test CASCADE");
	exec_ok("CREATE SCHEMA sealdb_test");
	exec_ok("CREATE TABLE sealdb_test.person (id bigint PRIMARY KEY,"
	        " id_number text, id_number_sealed text, id_number_index text"
	        " UNIQUE, account text, account_sealed text)");
	exec_ok("CREATE TABLE sealdb_test.claim (id_number text,"
	        " id_number_index text UNIQUE)");
	exec_ok("INSERT INTO sealdb_test.claim VALUES ('ID000007', NULL)");
	exec_ok(
	    "CREATE TABLE sealdb_test.checks (ids text[], ids_sealed text)");
	exec_ok("INSERT INTO sealdb_test.checks VALUES ('{ID1,ID2}', NULL)");
	exec_ok("INSERT INTO sealdb_test.person (id, id_number, account)"
	        " SELECT g, 'ID' || lpad(g::text, 6, '0'),"
	        " CASE WHEN g % 2 = 0 THEN '6222' || lpad(g::text, 6, '0') END"
	        " FROM generate_series(1, 1203) g");
	assert_int_equal(
	    sn_sealdb_run(url, "sealdb_test", seal, cols, 4, &n), SN_OK);
	assert_int_equal(n, NROWS + NROWS / 2 + 2);
	check_claim();
	check_ids();
	r = PQexec(pg, "SELECT * FROM sealdb_test.person ORDER BY id");
	assert_int_equal(
	    sn_rows_open(&rows, r, person_cols, SN_NCOLS(person_cols)), SN_OK);
	assert_int_equal(sn_rows_count(&rows), NROWS);
	for (int i = 0; i < sn_rows_count(&rows); i++) {
		person p;

		assert_int_equal(sn_rows_read(&rows, i, &p), SN_OK);
		check_sealed(&p);
	}
	sn_rows_close(&rows);
	PQclear(r);
	/* a second start: nothing left in clear, nothing changed */
	assert_int_equal(
	    sn_sealdb_run(url, "sealdb_test", seal, cols, 2, &n), SN_OK);
	assert_int_equal(n, 0);
	/* a row an old version writes after that is sealed at the next */
	exec_ok("INSERT INTO sealdb_test.person (id, id_number)"
	        " VALUES (5001, 'ID005001')");
	assert_int_equal(
	    sn_sealdb_run(url, "sealdb_test", seal, cols, 2, &n), SN_OK);
	assert_int_equal(n, 1);
	r = PQexec(pg, "SELECT * FROM sealdb_test.person WHERE id = 5001");
	{
		person p;

		assert_int_equal(
		    sn_rows_one(r, person_cols, SN_NCOLS(person_cols), &p),
		    SN_OK);
		check_sealed(&p);
	}
	PQclear(r);
	exec_ok("DROP SCHEMA sealdb_test CASCADE");
}

static void
test_refusals(void **state)
{
	int64_t n = -1;

	(void) state;
	assert_int_equal(
	    sn_sealdb_run(url, "sealdb_test", NULL, cols, 2, &n), SN_EINVAL);
	/* a table that does not exist: the database's refusal */
	assert_int_equal(
	    sn_sealdb_run(url, "sealdb_missing", seal, cols, 1, &n), SN_EDB);
	assert_int_equal(n, 0);
	assert_int_equal(sn_sealdb_run("dbname=sealdb_no_such_database", NULL,
	                     seal, cols, 1, &n),
	    SN_EDB);
}

static void
test_open_json(void **state)
{
	static const sn_sealdb_key keys[] = {
		{ "id_number", "test.person.id_number" },
		{ "account_number", "test.person.account" },
	};
	char *a = NULL, *b = NULL, *doc, *out = NULL;
	int   len;

	(void) state;
	assert_int_equal(
	    sn_seal_text(seal, "test.person.id_number", "ID1", &a), SN_OK);
	assert_int_equal(
	    sn_seal_text(seal, "test.person.account", "6222", &b), SN_OK);
	len = snprintf(NULL, 0,
	    "{\"members\": [{\"id_number\": \"%s\"}, {\"id_number\": "
	    "\"OLD\"}], \"payee\": {\"account_number\": \"%s\"}, "
	    "\"n\": 1}",
	    a, b);
	doc = malloc((size_t) len + 1);
	snprintf(doc, (size_t) len + 1,
	    "{\"members\": [{\"id_number\": \"%s\"}, {\"id_number\": "
	    "\"OLD\"}], \"payee\": {\"account_number\": \"%s\"}, "
	    "\"n\": 1}",
	    a, b);
	assert_int_equal(sn_sealdb_open_json(seal, doc, keys, 2, &out), SN_OK);
	assert_string_equal(out,
	    "{\"members\":[{\"id_number\":\"ID1\"},{\"id_number\":"
	    "\"OLD\"}],\"payee\":{\"account_number\":\"6222\"},\"n\":1}");
	free(out);
	/* under the wrong key's name: does not open, refused */
	free(doc);
	len = snprintf(NULL, 0, "{\"account_number\": \"%s\"}", a);
	doc = malloc((size_t) len + 1);
	snprintf(doc, (size_t) len + 1, "{\"account_number\": \"%s\"}", a);
	assert_int_equal(
	    sn_sealdb_open_json(seal, doc, keys, 2, &out), SN_EINVAL);
	assert_null(out);
	assert_int_equal(
	    sn_sealdb_open_json(seal, "{nope", keys, 2, &out), SN_EPROTO);
	/* sealing a stored document, one key from two places: the first ad
	 * seals, and either opens */
	{
		static const sn_sealdb_key two[] = {
			{ "id_number", "test.report.members" },
			{ "id_number", "test.person.id_number" },
		};
		char *sealed = NULL;

		assert_int_equal(
		    sn_sealdb_seal_json(seal,
		        "[{\"id_number\":\"ID9\",\"present\":true}]", two, 2,
		        &sealed),
		    SN_OK);
		assert_null(strstr(sealed, "ID9"));
		assert_non_null(strstr(sealed, "\"sn1.t2."));
		assert_int_equal(
		    sn_sealdb_open_json(seal, sealed, two, 2, &out), SN_OK);
		assert_string_equal(
		    out, "[{\"id_number\":\"ID9\",\"present\":true}]");
		free(out);
		/* only the first ad seals: opened under the second alone, no
		 */
		assert_int_equal(
		    sn_sealdb_open_json(seal, sealed, &two[1], 1, &out),
		    SN_EINVAL);
		free(sealed);
	}
	free(doc);
	free(a);
	free(b);
}

typedef struct doc_row {
	const char *d;
} doc_row;

static const sn_col doc_cols[] = {
	SN_COL(doc_row, d, SN_COL_TEXT),
};

static void
test_documents(void **state)
{
	static const sn_sealdb_key keys[] = {
		{ "id_number", "test.report.members" },
	};
	static const sn_sealdb_document docs[] = {
		{ .table    = "report",
		    .column = "members",
		    .keys   = keys,
		    .nkeys  = 1 },
	};
	int64_t   n = -1;
	PGresult *r;
	doc_row   row;
	char     *opened = NULL;

	(void) state;
	exec_ok("DROP SCHEMA IF EXISTS sealdb_docs CASCADE");
	exec_ok("CREATE SCHEMA sealdb_docs");
	exec_ok("CREATE TABLE sealdb_docs.report (id int, members jsonb)");
	exec_ok("INSERT INTO sealdb_docs.report VALUES"
	        " (1, '[{\"id_number\": \"ID1\", \"present\": true},"
	        "  {\"id_number\": \"ID2\", \"present\": false}]'),"
	        " (2, '[{\"id_number\": \"sn1.t2.x\"}]'),"
	        " (3, '{\"other\": \"ID3\"}')");
	assert_int_equal(
	    sn_sealdb_run_documents(url, "sealdb_docs", seal, docs, 1, &n),
	    SN_OK);
	assert_int_equal(n, 1);
	r = PQexec(pg,
	    "SELECT members::text AS d FROM sealdb_docs.report"
	    " ORDER BY id");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	{
		sn_rows rows;
		assert_int_equal(
		    sn_rows_open(&rows, r, doc_cols, SN_NCOLS(doc_cols)),
		    SN_OK);
		assert_int_equal(sn_rows_read(&rows, 0, &row), SN_OK);
		assert_null(strstr(row.d, "ID1"));
		assert_null(strstr(row.d, "ID2"));
		assert_int_equal(
		    sn_sealdb_open_json(seal, row.d, keys, 1, &opened), SN_OK);
		assert_non_null(strstr(opened, "\"ID1\""));
		assert_non_null(strstr(opened, "\"ID2\""));
		free(opened);
		/* sealed already, and no such key: untouched */
		assert_int_equal(sn_rows_read(&rows, 1, &row), SN_OK);
		assert_string_equal(row.d, "[{\"id_number\": \"sn1.t2.x\"}]");
		assert_int_equal(sn_rows_read(&rows, 2, &row), SN_OK);
		assert_string_equal(row.d, "{\"other\": \"ID3\"}");
		sn_rows_close(&rows);
	}
	PQclear(r);
	assert_int_equal(
	    sn_sealdb_run_documents(url, "sealdb_docs", seal, docs, 1, &n),
	    SN_OK);
	assert_int_equal(n, 0);
	exec_ok("DROP SCHEMA sealdb_docs CASCADE");
}

static int
setup(void **state)
{
	(void) state;
	url = getenv("SN_TEST_DB_URL");
	if (url == NULL)
		fail_msg("SN_TEST_DB_URL is not set (run through "
		         "deploy/local/test)");
	pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(pg));
	if (sn_seal_open(&seal, RING, BLIND) != SN_OK)
		fail_msg("sn_seal_open");
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	sn_seal_close(seal);
	PQfinish(pg);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seals_clear_rows),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_open_json),
		cmocka_unit_test(test_documents),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
