/*
 * store.c - every SQL statement of identity; see store.h.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/log.h"

#define USER_COLS                                                             \
	" u.id, u.username, u.display_name, u.kind, u.role,"                  \
	" u.jurisdiction, u.unit, u.id_number_sealed, u.password_hash,"       \
	" u.failed_logins, extract(epoch FROM u.locked_until)::bigint"        \
	"  AS locked_until_s, utc_text(u.locked_until) AS locked_until,"      \
	" u.disabled"

static const char SQL_USER_BY_NAME[]
    = "SELECT" USER_COLS " FROM users u WHERE u.username = $1";

static const char SQL_USER_LOCK[]
    = "SELECT" USER_COLS " FROM users u"
      " WHERE ($1::uuid IS NOT NULL AND u.id = $1::uuid)"
      "  OR ($1::uuid IS NULL AND u.username = $2) FOR UPDATE";

static const char SQL_LOGIN_WRITE[]
    = "UPDATE users SET failed_logins = $2::int,"
      " locked_until = to_timestamp($3::bigint),"
      " password_hash = coalesce($4, password_hash)"
      " WHERE id = $1::uuid";

static const char SQL_LOGIN_EVENT[]
    = "INSERT INTO login_events (user_id, username, outcome)"
      " VALUES ($1::uuid, $2, $3)";

static const char SQL_REFRESH_INSERT[]
    = "INSERT INTO refresh_tokens (token_hash, family, user_id, issued_at,"
      " expires_at) VALUES ($1, $2::uuid, $3::uuid,"
      " to_timestamp($4::bigint), to_timestamp($5::bigint))";

static const char SQL_REFRESH_GET[]
    = "SELECT r.family, r.used_at IS NOT NULL AS used,"
      " r.revoked_at IS NOT NULL AS revoked,"
      " extract(epoch FROM r.expires_at)::bigint AS expires_s," USER_COLS
      " FROM refresh_tokens r JOIN users u ON u.id = r.user_id"
      " WHERE r.token_hash = $1 FOR UPDATE OF r";

static const char SQL_REFRESH_USE[]
    = "UPDATE refresh_tokens SET used_at = to_timestamp($2::bigint)"
      " WHERE token_hash = $1";

static const char SQL_FAMILY_REVOKE[]
    = "UPDATE refresh_tokens SET revoked_at = to_timestamp($2::bigint)"
      " WHERE family = $1::uuid AND revoked_at IS NULL";

static const char SQL_TOKEN_FAMILY_REVOKE[]
    = "UPDATE refresh_tokens SET revoked_at = to_timestamp($2::bigint)"
      " WHERE revoked_at IS NULL AND family ="
      "  (SELECT family FROM refresh_tokens WHERE token_hash = $1)";

static const char SQL_USER_TOKENS_REVOKE[]
    = "UPDATE refresh_tokens SET revoked_at = to_timestamp($2::bigint)"
      " WHERE user_id = $1::uuid AND revoked_at IS NULL";

static const char SQL_USER_INSERT[]
    = "INSERT INTO users (id, username, display_name, kind, role,"
      " jurisdiction, id_number_sealed, id_number_index, password_hash,"
      " created_by, unit)"
      " SELECT $1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12"
      " WHERE NOT $11::boolean OR NOT EXISTS (SELECT 1 FROM users)"
      " ON CONFLICT DO NOTHING RETURNING id";

static const char SQL_USER_UPDATE[]
    = "UPDATE users SET display_name = coalesce($2, display_name),"
      " role = coalesce($3, role),"
      " jurisdiction = coalesce($4, jurisdiction),"
      " unit = CASE WHEN $8::boolean THEN $9 ELSE unit END,"
      " disabled = coalesce($5::boolean, disabled),"
      " password_hash = coalesce($6, password_hash),"
      " failed_logins = CASE WHEN $7::boolean THEN 0"
      "  ELSE failed_logins END,"
      " locked_until = CASE WHEN $7::boolean THEN NULL"
      "  ELSE locked_until END,"
      " updated_at = now()"
      " WHERE id = $1::uuid";

static const char SQL_CHANGES_INSERT[]
    = "INSERT INTO user_changes (user_id, changed_by, field, old_value,"
      " new_value)"
      " SELECT $1::uuid, $2, f, o, n FROM unnest($3::text[], $4::text[],"
      "  $5::text[]) WITH ORDINALITY AS c(f, o, n, i) ORDER BY i";

static const char SQL_USER_DOC[]
    = "SELECT doc::text AS doc FROM user_doc WHERE id = $1::uuid";

static const char SQL_USERS[]
    = "SELECT coalesce(json_agg(doc ORDER BY list_seq)"
      "  FILTER (WHERE rn <= $4::int), '[]')::text AS items,"
      " count(*) > $4::int AS more,"
      " coalesce(max(list_seq) FILTER (WHERE rn <= $4::int), 0) AS last,"
      " NULL::text AS juris"
      " FROM (SELECT d.doc, d.list_seq,"
      "  row_number() OVER (ORDER BY d.list_seq) AS rn"
      "  FROM user_doc d"
      "  WHERE d.jurisdiction LIKE $1 || '%' AND d.list_seq > $3::bigint"
      "  AND ($2::text IS NULL OR d.username = $2)"
      "  ORDER BY d.list_seq LIMIT $4::int + 1) s";

static const char SQL_CHANGES[]
    = "SELECT coalesce(json_agg(doc ORDER BY seq)"
      "  FILTER (WHERE rn <= $3::int), '[]')::text AS items,"
      " count(*) FILTER (WHERE seq IS NOT NULL) > $3::int AS more,"
      " coalesce(max(seq) FILTER (WHERE rn <= $3::int), 0) AS last,"
      " (SELECT jurisdiction FROM users WHERE id = $1::uuid) AS juris"
      " FROM (SELECT c.seq, json_build_object('seq', c.seq,"
      "   'changed_by', c.changed_by, 'changed_at',"
      "   utc_text(c.changed_at), 'field', c.field,"
      "   'old_value', c.old_value, 'new_value', c.new_value) AS doc,"
      "  row_number() OVER (ORDER BY c.seq) AS rn"
      "  FROM user_changes c WHERE c.user_id = $1::uuid"
      "  AND c.seq > $2::bigint ORDER BY c.seq LIMIT $3::int + 1) s";

static const char SQL_PURGE[]
    = "WITH t AS (DELETE FROM refresh_tokens"
      "  WHERE expires_at < now() - interval '1 day' RETURNING 1),"
      " e AS (DELETE FROM login_events"
      "  WHERE at < now() - make_interval(days => $1::int) RETURNING 1)"
      " SELECT (SELECT count(*) FROM t) + (SELECT count(*) FROM e) AS n";

/* ---- start-up ------------------------------------------------------------
 */

typedef struct count_row {
	int64_t n;
} count_row;

static const sn_col count_cols[] = { SN_COL(count_row, n, SN_COL_I64) };

sn_err
identity_store_user_count(const char *conninfo, const char *schema, int64_t *n)
{
	PGconn   *c   = PQconnectdb(conninfo);
	PGresult *set = NULL, *res = NULL;
	sn_err    err = SN_EDB;
	count_row row;
	if (PQstatus(c) != CONNECTION_OK) {
		sn_log(SN_LOG_ERROR, "cannot connect to count users", "error",
		    PQerrorMessage(c), NULL);
		goto out;
	}
	const char *v[1] = { schema };
	set = PQexecParams(c, "SELECT set_config('search_path', $1, false)", 1,
	    NULL, v, NULL, NULL, 0);
	res = PQexec(c, "SELECT count(*) AS n FROM users");
	if (PQresultStatus(set) != PGRES_TUPLES_OK
	    || PQresultStatus(res) != PGRES_TUPLES_OK) {
		sn_log(SN_LOG_ERROR, "cannot count users", "error",
		    PQerrorMessage(c), NULL);
		goto out;
	}
	if ((err = sn_rows_one(res, count_cols, SN_NCOLS(count_cols), &row))
	    == SN_OK)
		*n = row.n;
out:
	PQclear(set);
	PQclear(res);
	PQfinish(c);
	return err;
}

/* ---- users as logins see them --------------------------------------------
 */

static const sn_col user_cols[] = {
	SN_COL(identity_user_row, id, SN_COL_CHARS),
	SN_COL(identity_user_row, username, SN_COL_TEXT),
	SN_COL(identity_user_row, display_name, SN_COL_TEXT),
	SN_COL(identity_user_row, kind, SN_COL_TEXT),
	SN_COL(identity_user_row, role, SN_COL_TEXT),
	SN_COL(identity_user_row, jurisdiction, SN_COL_TEXT),
	SN_COL_OPT(identity_user_row, unit, SN_COL_TEXT, has_unit),
	SN_COL_OPT(identity_user_row, id_number_sealed, SN_COL_TEXT,
	    has_id_number_sealed),
	SN_COL(identity_user_row, password_hash, SN_COL_TEXT),
	SN_COL(identity_user_row, failed_logins, SN_COL_I32),
	SN_COL_OPT(
	    identity_user_row, locked_until_s, SN_COL_I64, has_locked_until),
	SN_COL_OPT(identity_user_row, locked_until, SN_COL_TEXT,
	    has_locked_until_text),
	SN_COL(identity_user_row, disabled, SN_COL_BOOL),
};

/* The row of res, or none; *found says which. */
static sn_err
user_read(const PGresult *res, identity_user_row *u, bool *found)
{
	memset(u, 0, sizeof(*u));
	return sn_rows_opt(res, user_cols, SN_NCOLS(user_cols), u, found);
}

struct read_ctx {
	union {
		identity_purge_fn purge;
		identity_user_fn  user;
		identity_doc_fn   doc;
		identity_page_fn  page;
	} done;
	void *arg;
};

static struct read_ctx *
read_ctx_new(void *arg)
{
	struct read_ctx *c = malloc(sizeof(*c));
	if (c == NULL)
		abort();
	c->arg = arg;
	return c;
}

static void
on_user(sn_err err, PGresult *res, void *arg)
{
	struct read_ctx  *c = arg;
	identity_user_row u;
	bool              found = false;
	if (err == SN_OK)
		err = res != NULL ? user_read(res, &u, &found) : SN_EDB;
	c->done.user(err, err == SN_OK && found ? &u : NULL, c->arg);
	free(c);
}

void
identity_store_user_by_name(
    sn_db *db, const char *username, identity_user_fn done, void *arg)
{
	struct read_ctx *c    = read_ctx_new(arg);
	const char      *v[1] = { username };
	c->done.user          = done;
	sn_db_query(db, SQL_USER_BY_NAME, 1, v, on_user, c);
}

static void
on_user_tx(sn_tx *tx, PGresult *res, void *arg)
{
	identity_user_op *op = arg;
	identity_user_row u;
	bool              found = false;
	sn_err            err   = user_read(res, &u, &found);
	op->done(tx, err, err == SN_OK && found ? &u : NULL, op->arg);
}

sn_err
identity_store_user_lock(
    sn_tx *tx, const char *id, const char *username, identity_user_op *op)
{
	const char *v[2] = { id, username };
	return sn_tx_query(tx, SQL_USER_LOCK, 2, v, on_user_tx, op);
}

sn_err
identity_store_login_write(sn_tx *tx, const char *id,
    const identity_login_result *r, const char *new_hash)
{
	char        failed[16], until[24];
	const char *v[4]
	    = { id, failed, r->has_locked_until ? until : NULL, new_hash };
	snprintf(failed, sizeof(failed), "%" PRId32, r->failed_logins);
	snprintf(until, sizeof(until), "%" PRId64, r->locked_until_s);
	return sn_tx_query(tx, SQL_LOGIN_WRITE, 4, v, NULL, NULL);
}

sn_err
identity_store_login_event(
    sn_tx *tx, const char *user_id, const char *username, const char *outcome)
{
	const char *v[3] = { user_id, username, outcome };
	return sn_tx_query(tx, SQL_LOGIN_EVENT, 3, v, NULL, NULL);
}

/* ---- refresh tokens -------------------------------------------------------
 */

sn_err
identity_store_refresh_insert(sn_tx *tx, const char *hash_hex,
    const char *family, const char *user_id, int64_t issued_s,
    int64_t expires_s)
{
	char        iss[24], exp[24];
	const char *v[5] = { hash_hex, family, user_id, iss, exp };
	snprintf(iss, sizeof(iss), "%" PRId64, issued_s);
	snprintf(exp, sizeof(exp), "%" PRId64, expires_s);
	return sn_tx_query(tx, SQL_REFRESH_INSERT, 5, v, NULL, NULL);
}

/* The token's own columns; the user's are read with user_cols. */
typedef struct refresh_cols_row {
	char    family[37];
	bool    used;
	bool    revoked;
	int64_t expires_s;
} refresh_cols_row;

static const sn_col refresh_cols[] = {
	SN_COL(refresh_cols_row, family, SN_COL_CHARS),
	SN_COL(refresh_cols_row, used, SN_COL_BOOL),
	SN_COL(refresh_cols_row, revoked, SN_COL_BOOL),
	SN_COL(refresh_cols_row, expires_s, SN_COL_I64),
};

static void
on_refresh(sn_tx *tx, PGresult *res, void *arg)
{
	identity_refresh_op *op = arg;
	identity_refresh_row r;
	refresh_cols_row     t;
	bool                 found = false;
	sn_err               err   = user_read(res, &r.user, &found);
	if (err == SN_OK && found)
		err = sn_rows_one(
		    res, refresh_cols, SN_NCOLS(refresh_cols), &t);
	if (err == SN_OK && found) {
		memcpy(r.family, t.family, sizeof(r.family));
		r.used      = t.used;
		r.revoked   = t.revoked;
		r.expires_s = t.expires_s;
	}
	op->done(tx, err, err == SN_OK && found ? &r : NULL, op->arg);
}

sn_err
identity_store_refresh_get(
    sn_tx *tx, const char *hash_hex, identity_refresh_op *op)
{
	const char *v[1] = { hash_hex };
	return sn_tx_query(tx, SQL_REFRESH_GET, 1, v, on_refresh, op);
}

static sn_err
two_params(sn_tx *tx, const char *sql, const char *a, int64_t now_s)
{
	char        now[24];
	const char *v[2] = { a, now };
	snprintf(now, sizeof(now), "%" PRId64, now_s);
	return sn_tx_query(tx, sql, 2, v, NULL, NULL);
}

sn_err
identity_store_refresh_use(sn_tx *tx, const char *hash_hex, int64_t now_s)
{
	return two_params(tx, SQL_REFRESH_USE, hash_hex, now_s);
}

sn_err
identity_store_family_revoke(sn_tx *tx, const char *family, int64_t now_s)
{
	return two_params(tx, SQL_FAMILY_REVOKE, family, now_s);
}

sn_err
identity_store_token_family_revoke(
    sn_tx *tx, const char *hash_hex, int64_t now_s)
{
	return two_params(tx, SQL_TOKEN_FAMILY_REVOKE, hash_hex, now_s);
}

sn_err
identity_store_user_tokens_revoke(
    sn_tx *tx, const char *user_id, int64_t now_s)
{
	return two_params(tx, SQL_USER_TOKENS_REVOKE, user_id, now_s);
}

/* ---- users ---------------------------------------------------------------
 */

static void
on_insert(sn_tx *tx, PGresult *res, void *arg)
{
	identity_insert_op *op = arg;
	op->done(tx, PQntuples(res) == 1, op->arg);
}

sn_err
identity_store_user_insert(
    sn_tx *tx, const identity_user_new *u, identity_insert_op *op)
{
	const char *v[12] = { u->id, u->username, u->display_name, u->kind,
		u->role, u->jurisdiction, u->id_number_sealed,
		u->id_number_index, u->password_hash, u->created_by,
		u->only_if_none ? "true" : "false", u->unit };
	return sn_tx_query(tx, SQL_USER_INSERT, 12, v, on_insert, op);
}

sn_err
identity_store_user_update(
    sn_tx *tx, const char *id, const identity_patch *p, const char *new_hash)
{
	const char *v[9] = { id, p->display_name, p->role, p->jurisdiction,
		p->has_disabled ? (p->disabled ? "true" : "false") : NULL,
		new_hash, p->unlock ? "true" : "false",
		p->has_unit ? "true" : "false", p->unit };
	return sn_tx_query(tx, SQL_USER_UPDATE, 9, v, NULL, NULL);
}

sn_err
identity_store_changes_insert(sn_tx *tx, const char *id,
    const char *changed_by, const identity_change *ch, size_t n)
{
	sn_pgarray f, o, nv;
	sn_pgarray_init(&f);
	sn_pgarray_init(&o);
	sn_pgarray_init(&nv);
	for (size_t i = 0; i < n; i++) {
		sn_pgarray_add(&f, ch[i].field);
		sn_pgarray_add(&o, ch[i].old_value);
		sn_pgarray_add(&nv, ch[i].new_value);
	}
	const char *v[5] = { id, changed_by, sn_pgarray_text(&f),
		sn_pgarray_text(&o), sn_pgarray_text(&nv) };
	sn_err      err  = v[2] == NULL || v[3] == NULL || v[4] == NULL
	          ? SN_ENOMEM
	          : sn_tx_query(tx, SQL_CHANGES_INSERT, 5, v, NULL, NULL);
	sn_pgarray_fini(&f);
	sn_pgarray_fini(&o);
	sn_pgarray_fini(&nv);
	return err;
}

typedef struct doc_row {
	const char *doc;
} doc_row;

static const sn_col doc_cols[] = { SN_COL(doc_row, doc, SN_COL_TEXT) };

static sn_err
doc_read(const PGresult *res, const char **doc)
{
	doc_row d     = { NULL };
	bool    found = false;
	sn_err  err
	    = sn_rows_opt(res, doc_cols, SN_NCOLS(doc_cols), &d, &found);
	*doc = err == SN_OK && found ? d.doc : NULL;
	return err;
}

static void
on_doc_tx(sn_tx *tx, PGresult *res, void *arg)
{
	identity_doc_op *op  = arg;
	const char      *doc = NULL;
	sn_err           err = doc_read(res, &doc);
	op->done(tx, err, doc, op->arg);
}

sn_err
identity_store_user_doc_tx(sn_tx *tx, const char *id, identity_doc_op *op)
{
	const char *v[1] = { id };
	return sn_tx_query(tx, SQL_USER_DOC, 1, v, on_doc_tx, op);
}

static void
on_doc(sn_err err, PGresult *res, void *arg)
{
	struct read_ctx *c   = arg;
	const char      *doc = NULL;
	if (err == SN_OK)
		err = res != NULL ? doc_read(res, &doc) : SN_EDB;
	c->done.doc(err, doc, c->arg);
	free(c);
}

void
identity_store_user_doc(
    sn_db *db, const char *id, identity_doc_fn done, void *arg)
{
	struct read_ctx *c    = read_ctx_new(arg);
	const char      *v[1] = { id };
	c->done.doc           = done;
	sn_db_query(db, SQL_USER_DOC, 1, v, on_doc, c);
}

static const sn_col page_cols[] = {
	SN_COL_AS(identity_page, items_json, "items", SN_COL_TEXT),
	SN_COL(identity_page, more, SN_COL_BOOL),
	SN_COL(identity_page, last, SN_COL_I64),
};

/* juris is nullable: read it apart from the page. */
typedef struct juris_row {
	const char *juris;
	bool        has_juris;
} juris_row;

static const sn_col juris_cols[] = {
	SN_COL_OPT(juris_row, juris, SN_COL_TEXT, has_juris),
};

static void
on_page(sn_err err, PGresult *res, void *arg)
{
	struct read_ctx *c = arg;
	identity_page    p;
	juris_row        j;
	if (err == SN_OK && res == NULL)
		err = SN_EDB;
	if (err == SN_OK)
		err = sn_rows_one(res, page_cols, SN_NCOLS(page_cols), &p);
	if (err == SN_OK)
		err = sn_rows_one(res, juris_cols, SN_NCOLS(juris_cols), &j);
	if (err == SN_OK)
		p.juris = j.has_juris ? j.juris : NULL;
	c->done.page(err, err == SN_OK ? &p : NULL, c->arg);
	free(c);
}

void
identity_store_users(sn_db *db, const char *juris, const char *username,
    const sn_page *pg, identity_page_fn done, void *arg)
{
	struct read_ctx *c = read_ctx_new(arg);
	char             lim[24], after[24];
	const char      *v[4] = { juris, username, after, lim };
	c->done.page          = done;
	snprintf(lim, sizeof(lim), "%" PRId64, pg->limit);
	snprintf(after, sizeof(after), "%" PRId64, pg->after);
	sn_db_query(db, SQL_USERS, 4, v, on_page, c);
}

void
identity_store_changes(sn_db *db, const char *id, const sn_page *pg,
    identity_page_fn done, void *arg)
{
	struct read_ctx *c = read_ctx_new(arg);
	char             lim[24], after[24];
	const char      *v[3] = { id, after, lim };
	c->done.page          = done;
	snprintf(lim, sizeof(lim), "%" PRId64, pg->limit);
	snprintf(after, sizeof(after), "%" PRId64, pg->after);
	sn_db_query(db, SQL_CHANGES, 3, v, on_page, c);
}

static void
on_purge(sn_err err, PGresult *res, void *arg)
{
	struct read_ctx *c = arg;
	count_row        row;
	if (err == SN_OK)
		err = res != NULL
		    ? sn_rows_one(res, count_cols, SN_NCOLS(count_cols), &row)
		    : SN_EDB;
	if (err == SN_OK && row.n > 0) {
		char n[24];
		snprintf(n, sizeof(n), "%" PRId64, row.n);
		sn_log(SN_LOG_INFO,
		    "purged old refresh tokens and login events", "rows", n,
		    NULL);
	}
	c->done.purge(err, c->arg);
	free(c);
}

void
identity_store_purge(
    sn_db *db, int64_t days, identity_purge_fn done, void *arg)
{
	struct read_ctx *c = read_ctx_new(arg);
	char             d[24];
	const char      *v[1] = { d };
	c->done.purge         = done;
	snprintf(d, sizeof(d), "%" PRId64, days);
	sn_db_query(db, SQL_PURGE, 1, v, on_purge, c);
}
