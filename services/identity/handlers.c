/*
 * handlers.c - logins, tokens and the bootstrap administrator of
 * identity; see handlers.h. The administrators' user API is in users.c.
 */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "pwhash.h"
#include "sn/clock.h"
#include "sn/identity/v1/identity.pb-c.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/seal.h"
#include "sn/uuid.h"
#include "store.h"
#include "users.h"

enum { OUT_OK = 0, OUT_FAILED, OUT_LOCKED };
enum { REF_OK = 0, REF_REUSED, REF_REFUSED };

/* ---- small helpers --------------------------------------------------------
 */

static void
count(void *arg)
{
	sn_counter_add(arg, 1);
}

/* Answers an error and commits what the transaction wrote (a failure
 * counted, a family revoked). */
static void
tx_refuse(sn_http_req *req, sn_tx *tx, unsigned status, const char *code,
    const char *message)
{
	sn_problem p;
	sn_problem_clear(&p);
	sn_problem_set(&p, status, code, NULL, "%s", message);
	json_t *body = sn_problem_json(&p);
	if (body == NULL)
		abort();
	sn_http_tx_reply(req, tx, status, body);
}

/* The claims of u's tokens; false if its identity number does not open. */
static bool
principal_of(const identity_user_row *u, sn_principal *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->user, sizeof(p->user), "%s", u->username);
	snprintf(p->role, sizeof(p->role), "%s", u->role);
	snprintf(p->juris, sizeof(p->juris), "%s", u->jurisdiction);
	/* Claim "unit" (issue 13): sn_auth_issue writes it when set. */
	if (u->unit != NULL)
		snprintf(p->unit, sizeof(p->unit), "%s", u->unit);
	if (u->id_number_sealed == NULL)
		return true;
	char *idn = NULL;
	if (sn_seal_open_text(sn_seal_default(), IDENTITY_IDN_COLUMN,
	        u->id_number_sealed, &idn)
	    != SN_OK)
		return false;
	snprintf(p->id_number, sizeof(p->id_number), "%s", idn);
	sodium_memzero(idn, strlen(idn));
	free(idn);
	return true;
}

/*
 * A new access token for u and a new refresh token of family (stored on
 * tx as its hash): the answer's body, or NULL when signing fails.
 */
static json_t *
grant(identity *id, sn_tx *tx, const identity_user_row *u, const char *family)
{
	unsigned char raw[32], h[crypto_hash_sha256_BYTES];
	char          refresh[64], hex[2 * crypto_hash_sha256_BYTES + 1];
	char         *access = NULL;
	sn_principal  p;
	int64_t       now = sn_clock_now_s();

	if (!principal_of(u, &p)
	    || sn_auth_issue(id->signer, &p, id->cfg.token_ttl_s, &access)
	        != SN_OK) {
		sn_log(SN_LOG_ERROR, "cannot issue an access token", "user",
		    u->username, NULL);
		return NULL;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(refresh, sizeof(refresh), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_hash_sha256(
	    h, (const unsigned char *) refresh, strlen(refresh));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	json_t *body = NULL;
	if (identity_store_refresh_insert(
	        tx, hex, family, u->id, now, now + id->cfg.refresh_ttl_s)
	    == SN_OK)
		body = json_pack("{s:s, s:s, s:I, s:s}", "access_token",
		    access, "token_type", "Bearer", "expires_in",
		    (json_int_t) id->cfg.token_ttl_s, "refresh_token",
		    refresh);
	free(access);
	sodium_memzero(refresh, sizeof(refresh));
	return body;
}

/* The SHA-256 (hex) of a refresh token as the client sent it. */
static void
refresh_hash(const char *token, char hex[2 * crypto_hash_sha256_BYTES + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *) token, strlen(token));
	sodium_bin2hex(hex, 2 * crypto_hash_sha256_BYTES + 1, h, sizeof(h));
}

/* ---- POST /login ----------------------------------------------------------
 */

/* One login: made by on_login, freed by login_free (or by the step that
 * fails before the transaction). */
typedef struct login_req {
	sn_http_req     *req;
	identity        *id;
	const char      *username; /* borrowed from the body */
	const char      *password; /* borrowed from the body */
	bool             name_ok;
	bool             exists;
	char             user_id[37];
	char            *hash; /* the hash the password was checked against */
	bool             pw_ok;
	char            *new_hash; /* rehashed under today's parameters */
	identity_user_op lock_op;
} login_req;

static void
login_free(void *arg)
{
	login_req *lr = arg;
	free(lr->hash);
	free(lr->new_hash);
	free(lr);
}

/* The answer to an attempt that did not succeed, committed with what it
 * recorded. */
static void
login_refused(login_req *lr, sn_tx *tx, identity_login_outcome o)
{
	identity *id = lr->id;
	switch (o) {
	case IDENTITY_LOGIN_LOCKED:
	case IDENTITY_LOGIN_LOCKED_NOW:
		sn_tx_on_commit(tx, count, id->logins[OUT_LOCKED]);
		tx_refuse(lr->req, tx, 423, "account_locked",
		    "too many failed logins: the account is locked for a "
		    "while, or until an administrator unlocks it");
		return;
	case IDENTITY_LOGIN_DISABLED:
		sn_tx_on_commit(tx, count, id->logins[OUT_FAILED]);
		tx_refuse(lr->req, tx, 403, "account_disabled",
		    "the account is disabled");
		return;
	default:
		sn_tx_on_commit(tx, count, id->logins[OUT_FAILED]);
		tx_refuse(lr->req, tx, 401, "invalid_credentials",
		    "unknown user name or wrong password");
	}
}

static void
login_locked(sn_tx *tx, sn_err err, const identity_user_row *u, void *arg)
{
	login_req            *lr = arg;
	identity_login_result r;
	if (err != SN_OK) {
		sn_http_tx_fail(lr->req, tx, 503, "unavailable",
		    "the login could not be checked; retry", NULL);
		return;
	}
	identity_login_state st = { .exists = u != NULL };
	if (u != NULL) {
		st.disabled         = u->disabled;
		st.failed_logins    = u->failed_logins;
		st.has_locked_until = u->has_locked_until;
		st.locked_until_s   = u->locked_until_s;
	}
	/* A password changed since it was checked: the check is void. */
	bool ok = lr->pw_ok && u != NULL
	    && strcmp(u->password_hash, lr->hash) == 0;
	identity_rules_login(
	    &st, ok, sn_clock_now_s(), &lr->id->cfg.lockout, &r);
	const char *hash
	    = r.outcome == IDENTITY_LOGIN_OK ? lr->new_hash : NULL;
	if ((r.write
	        && identity_store_login_write(tx, u->id, &r, hash) != SN_OK)
	    || identity_store_login_event(tx, u != NULL ? u->id : NULL,
	           lr->username, identity_rules_login_event(&st, r.outcome))
	        != SN_OK)
		return; /* the transaction has failed: the module answers */
	if (r.outcome != IDENTITY_LOGIN_OK) {
		login_refused(lr, tx, r.outcome);
		return;
	}
	sn_uuid fam;
	char    family[SN_UUID_STRLEN];
	json_t *body = sn_uuid_v4(&fam) == SN_OK
	    ? grant(lr->id, tx, u, sn_uuid_format(&fam, family))
	    : NULL;
	if (body == NULL) {
		sn_http_tx_fail(lr->req, tx, 503, "unavailable",
		    "no token could be issued; retry", NULL);
		return;
	}
	sn_tx_on_commit(tx, count, lr->id->logins[OUT_OK]);
	sn_http_tx_reply(lr->req, tx, 200, body);
}

static void
login_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	login_req *lr = arg;
	(void) req;
	if (!lr->exists) {
		/* Nothing to lock: record the attempt and answer as a wrong
		 * password would. */
		lr->lock_op = (identity_user_op) { login_locked, lr };
		login_locked(tx, SN_OK, NULL, lr);
		return;
	}
	lr->lock_op = (identity_user_op) { login_locked, lr };
	if (identity_store_user_lock(tx, lr->user_id, NULL, &lr->lock_op)
	        != SN_OK
	    && !sn_tx_failed(tx))
		sn_http_tx_fail(lr->req, tx, 503, "unavailable",
		    "the login could not be checked; retry", NULL);
}

static void
login_verified(bool ok, const char *new_hash, void *arg)
{
	login_req *lr = arg;
	lr->pw_ok     = ok;
	if (new_hash != NULL && (lr->new_hash = strdup(new_hash)) == NULL)
		abort();
	sn_http_tx_with_end(lr->req, login_begin, login_free, lr);
}

static void
login_found(sn_err err, const identity_user_row *u, void *arg)
{
	login_req *lr = arg;
	if (err != SN_OK) {
		sn_http_reply_error(lr->req, 503, "unavailable",
		    "the login could not be checked; retry", NULL);
		login_free(lr);
		return;
	}
	if (u != NULL) {
		lr->exists = true;
		memcpy(lr->user_id, u->id, sizeof(lr->user_id));
		if ((lr->hash = strdup(u->password_hash)) == NULL)
			abort();
	}
	/* An unknown name is checked against the dummy hash: the same work. */
	if (identity_pwhash_verify(sn_loop_uv(sn_service_loop(lr->id->svc)),
	        lr->hash, lr->password, login_verified, lr)
	    != SN_OK) {
		sn_http_reply_error(
		    lr->req, 503, "unavailable", "out of memory", NULL);
		login_free(lr);
	}
}

static void
on_login(sn_http_req *req, void *arg)
{
	static const char *const keys[] = { "username", "password", NULL };
	const json_t            *body   = sn_http_json(req);
	sn_problem               why;
	login_req               *lr = calloc(1, sizeof(*lr));

	if (lr == NULL)
		abort();
	sn_problem_clear(&why);
	if (!sn_in_only(body, keys, "", &why)
	    || !sn_in_str(
	        body, "username", "", SN_IN_REQUIRED, 256, &lr->username, &why)
	    || !json_is_string(json_object_get(body, "password"))) {
		free(lr);
		if (!sn_problem_is_set(&why))
			sn_problem_set(&why, 422, "invalid_type", "password",
			    "the password is a string");
		sn_http_problem(req, &why);
		return;
	}
	if (!((identity *) arg)->bootstrapped) {
		/* Ready means the database answers; the administrator's
		 * transaction follows within a second of that. */
		free(lr);
		sn_http_reply_error(req, 503, "starting",
		    "identity is creating its district administrator; retry "
		    "in "
		    "a second",
		    NULL);
		return;
	}
	lr->req      = req;
	lr->id       = arg;
	lr->password = json_string_value(json_object_get(body, "password"));
	lr->name_ok  = identity_rules_username_valid(lr->username);
	if (!lr->name_ok) {
		lr->username = NULL; /* never recorded as typed */
		login_found(SN_OK, NULL, lr);
		return;
	}
	identity_store_user_by_name(
	    sn_service_db(lr->id->svc), lr->username, login_found, lr);
}

/* ---- POST /token/refresh and POST /logout ---------------------------------
 */

typedef struct refresh_req {
	sn_http_req        *req;
	identity           *id;
	char                hash[2 * crypto_hash_sha256_BYTES + 1];
	identity_refresh_op op;
} refresh_req;

static void
refresh_exchange(refresh_req *rr, sn_tx *tx, const identity_refresh_row *r)
{
	json_t *body = NULL;
	if (identity_store_refresh_use(tx, rr->hash, sn_clock_now_s()) == SN_OK
	    && identity_store_login_event(
	           tx, r->user.id, r->user.username, "refresh_ok")
	        == SN_OK)
		body = grant(rr->id, tx, &r->user, r->family);
	if (body == NULL) {
		if (!sn_tx_failed(tx))
			sn_http_tx_fail(rr->req, tx, 503, "unavailable",
			    "no token could be issued; retry", NULL);
		return;
	}
	sn_tx_on_commit(tx, count, rr->id->refresh[REF_OK]);
	sn_http_tx_reply(rr->req, tx, 200, body);
}

static void
on_refresh_row(sn_tx *tx, sn_err err, const identity_refresh_row *r, void *arg)
{
	refresh_req *rr = arg;
	if (err != SN_OK) {
		sn_http_tx_fail(rr->req, tx, 503, "unavailable",
		    "the token could not be checked; retry", NULL);
		return;
	}
	identity_refresh_state st = { .found = r != NULL };
	if (r != NULL) {
		st = (identity_refresh_state) { true, r->used, r->revoked,
			r->expires_s, r->user.disabled,
			r->user.has_locked_until, r->user.locked_until_s };
	}
	int64_t now = sn_clock_now_s();
	switch (identity_rules_refresh(&st, now)) {
	case IDENTITY_REFRESH_OK:
		refresh_exchange(rr, tx, r);
		return;
	case IDENTITY_REFRESH_UNKNOWN:
		sn_http_tx_fail(rr->req, tx, 401, "invalid_refresh_token",
		    "unknown refresh token", "refresh_token");
		return;
	case IDENTITY_REFRESH_EXPIRED:
		sn_http_tx_fail(rr->req, tx, 401, "refresh_token_expired",
		    "the refresh token has expired: log in", "refresh_token");
		return;
	case IDENTITY_REFRESH_LOCKED:
		sn_tx_on_commit(tx, count, rr->id->refresh[REF_REFUSED]);
		tx_refuse(rr->req, tx, 423, "account_locked",
		    "the account is locked");
		return;
	case IDENTITY_REFRESH_REUSED:
		identity_store_family_revoke(tx, r->family, now);
		identity_store_login_event(
		    tx, r->user.id, r->user.username, "refresh_reused");
		sn_log(SN_LOG_WARN,
		    "a used refresh token came again: its "
		    "family is revoked",
		    "user", r->user.username, NULL);
		sn_tx_on_commit(tx, count, rr->id->refresh[REF_REUSED]);
		tx_refuse(rr->req, tx, 401, "refresh_token_reused",
		    "this refresh token was used already: every token of its "
		    "login is revoked; log in");
		return;
	case IDENTITY_REFRESH_DISABLED:
		identity_store_family_revoke(tx, r->family, now);
		identity_store_login_event(
		    tx, r->user.id, r->user.username, "refresh_refused");
		sn_tx_on_commit(tx, count, rr->id->refresh[REF_REFUSED]);
		tx_refuse(rr->req, tx, 401, "account_disabled",
		    "the account is disabled");
		return;
	}
}

static void
refresh_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	refresh_req *rr = arg;
	rr->op          = (identity_refresh_op) { on_refresh_row, rr };
	if (identity_store_refresh_get(tx, rr->hash, &rr->op) != SN_OK
	    && !sn_tx_failed(tx))
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the token could not be checked; retry", NULL);
}

static void
logout_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	refresh_req *rr = arg;
	if (identity_store_token_family_revoke(tx, rr->hash, sn_clock_now_s())
	    == SN_OK)
		sn_http_tx_reply(req, tx, 204, NULL);
}

/* The body {refresh_token} as its hash; NULL (answered) when malformed. */
static refresh_req *
refresh_decode(sn_http_req *req, identity *id)
{
	static const char *const keys[] = { "refresh_token", NULL };
	const char              *token  = NULL;
	sn_problem               why;
	sn_problem_clear(&why);
	if (!sn_in_only(sn_http_json(req), keys, "", &why)
	    || !sn_in_str(sn_http_json(req), "refresh_token", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY, 256, &token, &why)) {
		sn_http_problem(req, &why);
		return NULL;
	}
	refresh_req *rr = calloc(1, sizeof(*rr));
	if (rr == NULL)
		abort();
	rr->req = req;
	rr->id  = id;
	refresh_hash(token, rr->hash);
	return rr;
}

static void
on_refresh(sn_http_req *req, void *arg)
{
	refresh_req *rr = refresh_decode(req, arg);
	if (rr != NULL)
		sn_http_tx_with_end(req, refresh_begin, free, rr);
}

static void
on_logout(sn_http_req *req, void *arg)
{
	refresh_req *rr = refresh_decode(req, arg);
	if (rr != NULL)
		sn_http_tx_with_end(req, logout_begin, free, rr);
}

/* ---- GET /.well-known/jwks.json -------------------------------------------
 */

static void
on_jwks(sn_http_req *req, void *arg)
{
	identity *id = arg;
	sn_http_reply_text(
	    req, 200, "application/json", id->jwks, strlen(id->jwks));
}

/* ---- the bootstrap administrator ------------------------------------------
 */

typedef struct boot_ctx {
	identity          *id;
	char               uid[SN_UUID_STRLEN];
	identity_insert_op op;
} boot_ctx;

static void
boot_inserted(sn_tx *tx, bool inserted, void *arg)
{
	boot_ctx       *b    = arg;
	identity       *id   = b->id;
	identity_change ch[] = { { "username", "", id->cfg.admin_user },
		{ "kind", "", "staff" }, { "role", "", "district_admin" },
		{ "jurisdiction", "", id->cfg.admin_juris } };
	if (inserted
	    && (identity_store_changes_insert(tx, b->uid, "system", ch, 4)
	            != SN_OK
	        || identity_users_publish(id, tx, b->uid, "system", true,
	               &(identity_user_view) { id->cfg.admin_user,
	                   id->cfg.admin_user, IDENTITY_KIND_STAFF,
	                   "district_admin", id->cfg.admin_juris, NULL, false,
	                   0, NULL },
	               ch, 4)
	            != SN_OK))
		return;
	if (inserted)
		sn_log(SN_LOG_INFO, "district administrator created", "user",
		    id->cfg.admin_user, NULL);
	sn_tx_commit(tx);
}

static void
boot_begin(sn_tx *tx, void *arg)
{
	boot_ctx         *b  = arg;
	identity         *id = b->id;
	identity_user_new u  = { .id = b->uid,
		 .username           = id->cfg.admin_user,
		 .display_name       = id->cfg.admin_user,
		 .kind               = "staff",
		 .role               = "district_admin",
		 .jurisdiction       = id->cfg.admin_juris,
		 .password_hash      = id->cfg.admin_hash,
		 .created_by         = "system",
		 .only_if_none       = true };
	b->op                = (identity_insert_op) { boot_inserted, b };
	if (identity_store_user_insert(tx, &u, &b->op) != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
}

static void
boot_done(sn_err err, void *arg)
{
	boot_ctx *b         = arg;
	b->id->booting      = false;
	b->id->bootstrapped = err == SN_OK;
	free(b);
}

static void
boot_tick(void *arg)
{
	identity *id = arg;
	sn_uuid   u;
	if (id->bootstrapped || id->booting
	    || !sn_db_ready(sn_service_db(id->svc)))
		return;
	boot_ctx *b = calloc(1, sizeof(*b));
	if (b == NULL || sn_uuid_v4(&u) != SN_OK) {
		free(b);
		return;
	}
	b->id = id;
	sn_uuid_format(&u, b->uid);
	id->booting = true;
	sn_db_tx(sn_service_db(id->svc), boot_begin, boot_done, b);
}

/* ---- housekeeping ---- */

static void
purged(sn_err err, void *arg)
{
	identity *id = arg;
	(void) err; /* logged by the store; the next hour tries again */
	id->purging = false;
}

static void
purge_tick(void *arg)
{
	identity *id = arg;
	if (id->purging || !sn_db_ready(sn_service_db(id->svc)))
		return;
	id->purging = true;
	identity_store_purge(
	    sn_service_db(id->svc), id->cfg.audit_days, purged, id);
}

/* ---- wiring
 * ----------------------------------------------------------------- */

const sn_http_route_def identity_routes[IDENTITY_NROUTES] = {
	{ "POST", "/login", SN_HTTP_PUBLIC, NULL, on_login },
	{ "POST", "/token/refresh", SN_HTTP_PUBLIC, NULL, on_refresh },
	{ "POST", "/logout", SN_HTTP_PUBLIC, NULL, on_logout },
	{ "GET", "/.well-known/jwks.json", SN_HTTP_PUBLIC, NULL, on_jwks },
	{ "POST", "/users", SN_HTTP_IDEMPOTENT, IDENTITY_ADMIN_ROLE,
	    identity_users_create },
	{ "GET", "/users", 0, IDENTITY_ADMIN_ROLE, identity_users_list },
	{ "GET", "/users/{id}", 0, IDENTITY_ADMIN_ROLE, identity_users_get },
	{ "PATCH", "/users/{id}", SN_HTTP_IDEMPOTENT, IDENTITY_ADMIN_ROLE,
	    identity_users_patch },
	{ "GET", "/users/{id}/changes", 0, IDENTITY_ADMIN_ROLE,
	    identity_users_changes },
};

static sn_err
counters(identity *id)
{
	static const char *const outs[3] = { "ok", "failed", "locked" };
	static const char *const refs[3] = { "ok", "reused", "refused" };
	sn_metrics              *m       = sn_service_metrics(id->svc);
	for (int i = 0; i < 3; i++) {
		char labels[64];
		snprintf(labels, sizeof(labels), "outcome=\"%s\"", outs[i]);
		id->logins[i]
		    = sn_metrics_counter(m, "sn_identity_logins_total",
		        "Login attempts, by outcome", labels);
		snprintf(labels, sizeof(labels), "outcome=\"%s\"", refs[i]);
		id->refresh[i]
		    = sn_metrics_counter(m, "sn_identity_refresh_total",
		        "Refresh token exchanges, by outcome", labels);
		if (id->logins[i] == NULL || id->refresh[i] == NULL)
			return SN_ENOMEM;
	}
	return SN_OK;
}

sn_err
identity_init(identity *id, sn_service *svc, const identity_config *cfg)
{
	memset(id, 0, sizeof(*id));
	id->svc = svc;
	id->cfg = *cfg;
	if (sn_auth_open(&id->signer, cfg->signing_pem) != SN_OK
	    || !sn_auth_can_issue(id->signer))
		return SN_EINVAL;
	const char *jwk = sn_auth_jwk(id->signer);
	size_t      n   = strlen(jwk) + 16;
	if ((id->jwks = malloc(n)) == NULL)
		return SN_ENOMEM;
	snprintf(id->jwks, n, "{\"keys\":[%s]}", jwk);
	sn_err err = counters(id);
	if (err != SN_OK)
		return err;
	sn_service_set_route_arg(svc, id);
	if ((err = sn_service_every(
	         svc, cfg->purge_ms, cfg->purge_ms, purge_tick, id))
	    != SN_OK)
		return err;
	id->bootstrapped = cfg->admin_hash == NULL;
	if (id->bootstrapped)
		return SN_OK;
	return sn_service_every(svc, 0, 200, boot_tick, id);
}

void
identity_fini(identity *id)
{
	sn_auth_close(id->signer);
	id->signer = NULL;
	free(id->jwks);
	id->jwks = NULL;
}
