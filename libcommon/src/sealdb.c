/*
 * sealdb.c - sealing at start-up what an older version wrote in clear
 * (sn/sealdb.h). Synchronous, over a connection of its own, as the
 * migrations are: it runs before the loop, before the service is ready.
 */
#include "sn/sealdb.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include <jansson.h>

#include "sn/db.h"
#include "sn/log.h"

typedef struct clear_row {
	const char *tid;
	const char *clear;
} clear_row;

static const sn_col clear_cols[] = {
	SN_COL(clear_row, tid, SN_COL_TEXT),
	SN_COL(clear_row, clear, SN_COL_TEXT),
};

/* The SQL of one column: select a batch, write it back. */
typedef struct col_sql {
	char select[2048];
	char update[768];
} col_sql;

static bool
quote(PGconn *pg, const char *name, char *out, size_t cap)
{
	char *q = PQescapeIdentifier(pg, name, strlen(name));
	bool  ok;

	if (q == NULL)
		return false;
	ok = (size_t) snprintf(out, cap, "%s", q) < cap;
	PQfreemem(q);
	return ok;
}

static bool
build_sql(PGconn *pg, const sn_sealdb_column *c, col_sql *sql)
{
	char t[128], cl[128], se[128] = "", ix[128] = "";
	int  n;

	char set[400];

	if (!quote(pg, c->table, t, sizeof(t))
	    || !quote(pg, c->clear, cl, sizeof(cl))
	    || (c->sealed != NULL && !quote(pg, c->sealed, se, sizeof(se)))
	    || (c->index != NULL && !quote(pg, c->index, ix, sizeof(ix))))
		return false;
	snprintf(set, sizeof(set), "%s%s%s%s%s%s", c->sealed ? se : "",
	    c->sealed ? " = u.s, " : "", c->index ? ix : "",
	    c->index ? " = u.i, " : "", cl, " = NULL");
	n = snprintf(sql->select, sizeof(sql->select),
	    "SELECT ctid::text AS tid, %s AS clear FROM %s"
	    " WHERE %s IS NOT NULL LIMIT %d FOR UPDATE SKIP LOCKED",
	    c->clear_text != NULL ? c->clear_text : cl, t, cl,
	    SN_SEALDB_BATCH);
	if (n < 0 || (size_t) n >= sizeof(sql->select))
		return false;
	/* ctid = ANY: a TID scan, whatever the table's size */
	n = snprintf(sql->update, sizeof(sql->update),
	    "UPDATE %s AS t SET %s"
	    " FROM unnest($1::tid[], $2::text[], $3::text[]) AS u(c, s, i)"
	    " WHERE t.ctid = ANY($1::tid[]) AND t.ctid = u.c",
	    t, set);
	return n >= 0 && (size_t) n < sizeof(sql->update);
}

static bool
exec_ok(PGconn *pg, const char *sql)
{
	PGresult *r  = PQexec(pg, sql);
	bool      ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		sn_log(SN_LOG_ERROR, "sealing: statement failed", "error",
		    PQresultErrorMessage(r), NULL);
	PQclear(r);
	return ok;
}

/* Seals the rows of res into three arrays. */
static sn_err
seal_rows(const sn_seal *s, const sn_sealdb_column *c, const PGresult *res,
    sn_pgarray *tids, sn_pgarray *sealed, sn_pgarray *index)
{
	sn_rows rows;
	sn_err  err
	    = sn_rows_open(&rows, res, clear_cols, SN_NCOLS(clear_cols));

	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows); i++) {
		clear_row r;
		char     *text = NULL;
		char      ix[SN_SEAL_INDEX_HEX + 1];

		if ((err = sn_rows_read(&rows, i, &r)) != SN_OK
		    || (err = sn_seal_text(s, c->ad, r.clear, &text)) != SN_OK)
			break;
		sn_seal_index(
		    s, c->index_ad != NULL ? c->index_ad : c->ad, r.clear, ix);
		sn_pgarray_add(tids, r.tid);
		sn_pgarray_add(sealed, text);
		sn_pgarray_add(index, ix);
		free(text);
	}
	sn_rows_close(&rows);
	return err;
}

/* One batch in one transaction; *done counts its rows (0: none left). */
static sn_err
one_batch(PGconn *pg, const sn_seal *s, const sn_sealdb_column *c,
    const col_sql *sql, int *done)
{
	sn_pgarray tids, sealed, index;
	PGresult  *r;
	sn_err     err = SN_EDB;

	*done = 0;
	if (!exec_ok(pg, "BEGIN"))
		return SN_EDB;
	sn_pgarray_init(&tids);
	sn_pgarray_init(&sealed);
	sn_pgarray_init(&index);
	r = PQexec(pg, sql->select);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		sn_log(SN_LOG_ERROR, "sealing: select failed", "table",
		    c->table, "error", PQresultErrorMessage(r), NULL);
		goto out;
	}
	err = seal_rows(s, c, r, &tids, &sealed, &index);
	if (err != SN_OK || tids.n == 0)
		goto out;
	PQclear(r);
	const char *v[3] = { sn_pgarray_text(&tids), sn_pgarray_text(&sealed),
		sn_pgarray_text(&index) };
	err              = v[0] && v[1] && v[2] ? SN_EDB : SN_ENOMEM;
	r                = err == SN_ENOMEM
	                   ? NULL
	                   : PQexecParams(pg, sql->update, 3, NULL, v, NULL, NULL, 0);
	if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK
	    && sn_rows_affected(r) == (int64_t) tids.n) {
		err   = SN_OK;
		*done = (int) tids.n;
	} else if (r != NULL)
		sn_log(SN_LOG_ERROR, "sealing: update failed", "table",
		    c->table, "error", PQresultErrorMessage(r), NULL);
out:
	PQclear(r);
	sn_pgarray_fini(&tids);
	sn_pgarray_fini(&sealed);
	sn_pgarray_fini(&index);
	if (!exec_ok(pg, err == SN_OK ? "COMMIT" : "ROLLBACK") && err == SN_OK)
		err = SN_EDB;
	return err;
}

static sn_err
seal_column(
    PGconn *pg, const sn_seal *s, const sn_sealdb_column *c, int64_t *count)
{
	col_sql sql;
	int     done = 0;
	sn_err  err;
	char    buf[24];

	*count = 0;
	if (!build_sql(pg, c, &sql))
		return SN_EINVAL;
	do {
		err = one_batch(pg, s, c, &sql, &done);
		*count += done;
	} while (err == SN_OK && done > 0);
	if (*count > 0) {
		snprintf(buf, sizeof(buf), "%" PRId64, *count);
		sn_log(SN_LOG_INFO, "sealed rows written in clear", "table",
		    c->table, "column", c->clear, "rows", buf, NULL);
	}
	return err;
}

sn_err
sn_sealdb_run(const char *conninfo, const char *schema, const sn_seal *s,
    const sn_sealdb_column *cols, size_t n, int64_t *sealed)
{
	PGconn *pg;
	sn_err  err   = SN_OK;
	int64_t total = 0;

	if (sealed != NULL)
		*sealed = 0;
	if (s == NULL || (n > 0 && cols == NULL))
		return SN_EINVAL;
	if (n == 0)
		return SN_OK;
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		sn_log(SN_LOG_ERROR, "sealing: cannot connect", "error",
		    PQerrorMessage(pg), NULL);
		PQfinish(pg);
		return SN_EDB;
	}
	if (schema != NULL) {
		const char *v[1] = { schema };
		PGresult   *r    = PQexecParams(pg,
		         "SELECT set_config('search_path', $1, false)", 1, NULL, v,
		         NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			err = SN_EDB;
		PQclear(r);
	}
	for (size_t i = 0; i < n && err == SN_OK; i++) {
		int64_t count = 0;

		err = seal_column(pg, s, &cols[i], &count);
		total += count;
	}
	PQfinish(pg);
	if (sealed != NULL)
		*sealed = total;
	return err;
}

/* ---- documents built in SQL ------------------------------------------ */

static sn_err open_value(const sn_seal *s, json_t *v,
    const sn_sealdb_key *keys, size_t n, bool seal);

/* Opens (or, sealing, seals) the member key of obj if keys name it. A
 * key may be listed with several ads: opening, the first that opens wins
 * (one key name, several columns); sealing, the first is used. */
static sn_err
open_member(const sn_seal *s, json_t *obj, const char *key, json_t *v,
    const sn_sealdb_key *keys, size_t n, bool seal)
{
	const char *text  = json_string_value(v);
	bool        named = false;
	char       *out   = NULL;
	sn_err      err   = SN_EINVAL;

	for (size_t i = 0; i < n && text != NULL && out == NULL; i++) {
		if (strcmp(keys[i].key, key) != 0)
			continue;
		named = true;
		if (seal && strncmp(text, "sn1.", 4) == 0)
			return SN_OK; /* sealed already */
		if (seal)
			err = sn_seal_text(s, keys[i].ad, text, &out);
		else if (strncmp(text, "sn1.", 4) != 0)
			return SN_OK; /* clear, as an older version wrote it */
		else if (sn_seal_open_text(s, keys[i].ad, text, &out) == SN_OK)
			err = SN_OK;
	}
	if (!named)
		return open_value(s, v, keys, n, seal);
	if (out == NULL && text != NULL) {
		sn_log(SN_LOG_ERROR,
		    seal ? "a value cannot be sealed"
		         : "a sealed value does not open",
		    "key", key, NULL);
		return err;
	}
	if (out != NULL
	    && json_object_set_new(obj, key, json_string(out)) != 0)
		err = SN_ENOMEM;
	free(out);
	return text == NULL ? SN_OK : err;
}

static sn_err
open_value(const sn_seal *s, json_t *v, const sn_sealdb_key *keys, size_t n,
    bool seal)
{
	sn_err err = SN_OK;

	if (json_is_object(v)) {
		const char *key;
		json_t     *m;
		void       *tmp;

		json_object_foreach_safe(v, tmp, key, m)
		{
			if ((err = open_member(s, v, key, m, keys, n, seal))
			    != SN_OK)
				break;
		}
	} else if (json_is_array(v)) {
		size_t  i;
		json_t *m;

		json_array_foreach(v, i, m)
		{
			if ((err = open_value(s, m, keys, n, seal)) != SN_OK)
				break;
		}
	}
	return err;
}

static sn_err
walk_json(const sn_seal *s, const char *json, const sn_sealdb_key *keys,
    size_t n, bool seal, char **out)
{
	json_t *doc;
	sn_err  err;

	*out = NULL;
	if (s == NULL || json == NULL)
		return SN_EINVAL;
	doc = json_loads(json, JSON_DECODE_ANY, NULL);
	if (doc == NULL)
		return SN_EPROTO;
	err = open_value(s, doc, keys, n, seal);
	if (err == SN_OK) {
		*out = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
		err  = *out != NULL ? SN_OK : SN_ENOMEM;
	}
	json_decref(doc);
	return err;
}

sn_err
sn_sealdb_open_json(const sn_seal *s, const char *json,
    const sn_sealdb_key *keys, size_t n, char **out)
{
	return walk_json(s, json, keys, n, false, out);
}

sn_err
sn_sealdb_seal_json(const sn_seal *s, const char *json,
    const sn_sealdb_key *keys, size_t n, char **out)
{
	return walk_json(s, json, keys, n, true, out);
}

/* ---- documents in clear at start-up ---------------------------------- */

/* The connection sealing runs on, its search_path set; NULL (logged) on
 * failure. */
static PGconn *
connect_to(const char *conninfo, const char *schema)
{
	PGconn *pg = PQconnectdb(conninfo);

	if (PQstatus(pg) != CONNECTION_OK) {
		sn_log(SN_LOG_ERROR, "sealing: cannot connect", "error",
		    PQerrorMessage(pg), NULL);
		PQfinish(pg);
		return NULL;
	}
	if (schema != NULL) {
		const char *v[1] = { schema };
		PGresult   *r    = PQexecParams(pg,
		         "SELECT set_config('search_path', $1, false)", 1, NULL, v,
		         NULL, NULL, 0);
		bool        ok   = PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
		if (!ok) {
			PQfinish(pg);
			return NULL;
		}
	}
	return pg;
}

/* The statements of one document column: select a batch of documents
 * that still hold a clear value of a key, write them back. */
static bool
doc_sql(PGconn *pg, const sn_sealdb_document *d, col_sql *sql)
{
	char   t[128], c[128], cond[1024] = "";
	size_t len = 0;

	if (!quote(pg, d->table, t, sizeof(t))
	    || !quote(pg, d->column, c, sizeof(c)) || d->nkeys == 0)
		return false;
	for (size_t i = 0; i < d->nkeys; i++) {
		/* key names are the program's, [a-z_]: safe in a jsonpath */
		if (strspn(d->keys[i].key, "abcdefghijklmnopqrstuvwxyz_")
		    != strlen(d->keys[i].key))
			return false;
		len += (size_t) snprintf(cond + len, sizeof(cond) - len,
		    "%sjsonb_path_exists(%s, 'lax $.**.%s ? (@.type() =="
		    " \"string\" && !(@ starts with \"sn1.\"))')",
		    i > 0 ? " OR " : "", c, d->keys[i].key);
		if (len >= sizeof(cond))
			return false;
	}
	return (size_t) snprintf(sql->select, sizeof(sql->select),
	           "SELECT ctid::text AS tid, %s::text AS clear FROM %s"
	           " WHERE %s LIMIT %d FOR UPDATE SKIP LOCKED",
	           c, t, cond, SN_SEALDB_BATCH)
	    < sizeof(sql->select)
	    && (size_t) snprintf(sql->update, sizeof(sql->update),
	           "UPDATE %s AS t SET %s = u.s::jsonb"
	           " FROM unnest($1::tid[], $2::text[]) AS u(c, s)"
	           " WHERE t.ctid = ANY($1::tid[]) AND t.ctid = u.c",
	           t, c)
	    < sizeof(sql->update);
}

/* One batch of documents in one transaction; *done counts them. */
static sn_err
doc_batch(PGconn *pg, const sn_seal *s, const sn_sealdb_document *d,
    const col_sql *sql, int *done)
{
	sn_pgarray tids, docs;
	sn_rows    rows;
	PGresult  *r;
	sn_err     err;

	*done = 0;
	if (!exec_ok(pg, "BEGIN"))
		return SN_EDB;
	sn_pgarray_init(&tids);
	sn_pgarray_init(&docs);
	r   = PQexec(pg, sql->select);
	err = PQresultStatus(r) == PGRES_TUPLES_OK
	    ? sn_rows_open(&rows, r, clear_cols, SN_NCOLS(clear_cols))
	    : SN_EDB;
	for (int i = 0; err == SN_OK && i < sn_rows_count(&rows); i++) {
		clear_row row;
		char     *out = NULL;

		if ((err = sn_rows_read(&rows, i, &row)) == SN_OK
		    && (err = sn_sealdb_seal_json(
		            s, row.clear, d->keys, d->nkeys, &out))
		        == SN_OK) {
			sn_pgarray_add(&tids, row.tid);
			sn_pgarray_add(&docs, out);
		}
		free(out);
	}
	if (err != SN_EDB)
		sn_rows_close(&rows);
	else
		sn_log(SN_LOG_ERROR, "sealing: select failed", "table",
		    d->table, "error", PQresultErrorMessage(r), NULL);
	PQclear(r);
	if (err == SN_OK && tids.n > 0) {
		const char *v[2]
		    = { sn_pgarray_text(&tids), sn_pgarray_text(&docs) };
		r   = PQexecParams(pg, sql->update, 2, NULL, v, NULL, NULL, 0);
		err = PQresultStatus(r) == PGRES_COMMAND_OK ? SN_OK : SN_EDB;
		if (err != SN_OK)
			sn_log(SN_LOG_ERROR, "sealing: update failed", "table",
			    d->table, "error", PQresultErrorMessage(r), NULL);
		PQclear(r);
		*done = err == SN_OK ? (int) tids.n : 0;
	}
	sn_pgarray_fini(&tids);
	sn_pgarray_fini(&docs);
	if (!exec_ok(pg, err == SN_OK ? "COMMIT" : "ROLLBACK") && err == SN_OK)
		err = SN_EDB;
	return err;
}

sn_err
sn_sealdb_run_documents(const char *conninfo, const char *schema,
    const sn_seal *s, const sn_sealdb_document *docs, size_t n,
    int64_t *sealed)
{
	PGconn *pg;
	sn_err  err   = SN_OK;
	int64_t total = 0;

	if (sealed != NULL)
		*sealed = 0;
	if (s == NULL || (n > 0 && docs == NULL))
		return SN_EINVAL;
	if (n == 0)
		return SN_OK;
	if ((pg = connect_to(conninfo, schema)) == NULL)
		return SN_EDB;
	for (size_t i = 0; i < n && err == SN_OK; i++) {
		col_sql sql;
		int     done  = 0;
		int64_t count = 0;
		char    buf[24];

		if (!doc_sql(pg, &docs[i], &sql)) {
			err = SN_EINVAL;
			break;
		}
		do {
			err = doc_batch(pg, s, &docs[i], &sql, &done);
			count += done;
		} while (err == SN_OK && done > 0);
		if (count > 0) {
			snprintf(buf, sizeof(buf), "%" PRId64, count);
			sn_log(SN_LOG_INFO,
			    "sealed documents written in clear", "table",
			    docs[i].table, "column", docs[i].column, "rows",
			    buf, NULL);
		}
		total += count;
	}
	PQfinish(pg);
	if (sealed != NULL)
		*sealed = total;
	return err;
}
