/*
 * store.h - every SQL statement of identity, and its rows turned into
 * structs (schema/001_init.sql holds the tables, 002_unit.sql the unit
 * and the user_doc view that renders a user as the API shows it).
 *
 * Functions taking an sn_tx queue their statement on it (sn/db.h: sent at
 * once, results in order); those taking an sn_db run a read of their
 * own whose done callback always runs exactly once. All of them are for
 * the loop thread, except identity_store_user_count, which blocks and is
 * for setup only. Strings passed in are copied or sent before the call
 * returns. Rows handed to a callback are borrowed for the call only.
 *
 * An operation struct (done and arg) given with a query is read when its
 * result comes: the caller embeds it in a context that outlives the
 * transaction (sn_http_tx_with_end frees it after).
 *
 * Times the rules compare are Unix seconds from the service's clock.
 */
#ifndef IDENTITY_STORE_H
#define IDENTITY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/page.h"

/* The users in the schema, read once with a connection of its own (for
 * the bootstrap decision at start-up). SN_EDB, logged. */
sn_err identity_store_user_count(
    const char *conninfo, const char *schema, int64_t *n);

/* A user row as a login, a refresh and a change see it. */
typedef struct identity_user_row {
	char        id[37];
	const char *username;
	const char *display_name;
	const char *kind;
	const char *role;
	const char *jurisdiction;
	const char *unit; /* NULL when none */
	bool        has_unit;
	const char *id_number_sealed; /* NULL for service accounts */
	bool        has_id_number_sealed;
	const char *password_hash;
	int32_t     failed_logins;
	bool        has_locked_until;
	int64_t     locked_until_s;
	const char *locked_until; /* RFC 3339; NULL when not set */
	bool        has_locked_until_text;
	bool        disabled;
} identity_user_row;

/* done gets the row, or NULL when there is none (err SN_OK), or an error
 * and NULL. */
typedef void (*identity_user_fn)(
    sn_err err, const identity_user_row *u, void *arg);
typedef struct identity_user_op {
	void (*done)(
	    sn_tx *tx, sn_err err, const identity_user_row *u, void *arg);
	void *arg;
} identity_user_op;

/* The user named username, a read of its own (the login's first look). */
void identity_store_user_by_name(
    sn_db *db, const char *username, identity_user_fn done, void *arg);

/* The user id (a valid uuid) or named username (id NULL), locked until
 * the transaction ends. */
sn_err identity_store_user_lock(
    sn_tx *tx, const char *id, const char *username, identity_user_op *op);

/* What a login attempt leaves on the account; new_hash NULL keeps the
 * password hash. */
sn_err identity_store_login_write(sn_tx *tx, const char *id,
    const identity_login_result *r, const char *new_hash);

/* One row of login_events; user_id and username may be NULL. */
sn_err identity_store_login_event(
    sn_tx *tx, const char *user_id, const char *username, const char *outcome);

/* ---- refresh tokens ----------------------------------------------------- */

/* A new refresh token (its SHA-256 in hex) of family for user_id. */
sn_err identity_store_refresh_insert(sn_tx *tx, const char *hash_hex,
    const char *family, const char *user_id, int64_t issued_s,
    int64_t expires_s);

typedef struct identity_refresh_row {
	char              family[37];
	bool              used;
	bool              revoked;
	int64_t           expires_s;
	identity_user_row user;
} identity_refresh_row;

typedef struct identity_refresh_op {
	void (*done)(
	    sn_tx *tx, sn_err err, const identity_refresh_row *r, void *arg);
	void *arg;
} identity_refresh_op;

/* The token of hash_hex with its user, locked; NULL when unknown. */
sn_err identity_store_refresh_get(
    sn_tx *tx, const char *hash_hex, identity_refresh_op *op);

/* Marks the token used at now_s. */
sn_err identity_store_refresh_use(
    sn_tx *tx, const char *hash_hex, int64_t now_s);

/* Revokes every unrevoked token of family (uuid) at now_s. */
sn_err identity_store_family_revoke(
    sn_tx *tx, const char *family, int64_t now_s);

/* Revokes the family of the token of hash_hex, if there is one. */
sn_err identity_store_token_family_revoke(
    sn_tx *tx, const char *hash_hex, int64_t now_s);

/* Revokes every live token of user_id (disabled, password reset). */
sn_err identity_store_user_tokens_revoke(
    sn_tx *tx, const char *user_id, int64_t now_s);

/* ---- users ---------------------------------------------------------------
 */

/* A user to insert; strings borrowed. */
typedef struct identity_user_new {
	const char *id;
	const char *username;
	const char *display_name;
	const char *kind;
	const char *role;
	const char *jurisdiction;
	const char *unit;             /* NULL: none */
	const char *id_number_sealed; /* NULL: none */
	const char *id_number_index;  /* NULL: none */
	const char *password_hash;
	const char *created_by;
	bool        only_if_none; /* the bootstrap: only into an empty table */
} identity_user_new;

/* done gets inserted false when the user name or identity number is
 * taken (or, with only_if_none, any user exists): nothing was written. */
typedef struct identity_insert_op {
	void (*done)(sn_tx *tx, bool inserted, void *arg);
	void *arg;
} identity_insert_op;

sn_err identity_store_user_insert(
    sn_tx *tx, const identity_user_new *u, identity_insert_op *op);

/* Applies a checked patch to user id (NULL members unchanged; the unit
 * as has_unit says; unlock clears the failure count and the lock). */
sn_err identity_store_user_update(
    sn_tx *tx, const char *id, const identity_patch *p, const char *new_hash);

/* Records n changes of user id made by changed_by (one statement). */
sn_err identity_store_changes_insert(sn_tx *tx, const char *id,
    const char *changed_by, const identity_change *ch, size_t n);

/* done gets the user's JSON document (user_doc), or NULL when there is
 * none (err SN_OK), or an error and NULL. */
typedef struct identity_doc_op {
	void (*done)(sn_tx *tx, sn_err err, const char *doc, void *arg);
	void *arg;
} identity_doc_op;

sn_err identity_store_user_doc_tx(
    sn_tx *tx, const char *id, identity_doc_op *op);

typedef void (*identity_doc_fn)(sn_err err, const char *doc, void *arg);
void identity_store_user_doc(
    sn_db *db, const char *id, identity_doc_fn done, void *arg);

/* A page (sn/page.h): a JSON array of documents, whether more follow,
 * and the key of the page's last item (0 when empty). For changes,
 * juris is the user's jurisdiction (NULL: no such user). */
typedef struct identity_page {
	const char *items_json;
	bool        more;
	int64_t     last;
	const char *juris;
} identity_page;

typedef void (*identity_page_fn)(
    sn_err err, const identity_page *page, void *arg);

/* The users whose jurisdiction lies within juris (a prefix), optionally
 * only the one named username, in the order they were created. */
void identity_store_users(sn_db *db, const char *juris, const char *username,
    const sn_page *pg, identity_page_fn done, void *arg);

/* The recorded changes of user id, oldest first. */
void identity_store_changes(sn_db *db, const char *id, const sn_page *pg,
    identity_page_fn done, void *arg);

/* ---- housekeeping ----------------------------------------------------------
 */

/*
 * Deletes refresh tokens a day past their expiry (refused anyway) and
 * login_events older than days, in one statement of its own; done gets
 * the outcome (SN_OK or the error, logged by sn/db.h).
 */
typedef void (*identity_purge_fn)(sn_err err, void *arg);
void identity_store_purge(
    sn_db *db, int64_t days, identity_purge_fn done, void *arg);

#endif /* IDENTITY_STORE_H */
