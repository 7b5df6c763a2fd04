/*
 * handlers.h - what comes into identity: the login, refresh and logout of
 * every user, the public key, and the district administrator's user
 * administration. identity follows no stream.
 *
 * Event published: user.changed (sn.identity.v1 UserChanged; subject the
 * user id; actor the administrator's user name, "system" for the
 * bootstrap administrator), in the transaction of the change.
 *
 * HTTP API. Public (no bearer token):
 *   POST /login {username, password} -> 200 {access_token, token_type
 *        "Bearer", expires_in, refresh_token}. An unknown user and a wrong
 *        password answer the same 401 invalid_credentials after the same
 *        work (an unknown name is checked against a dummy argon2id hash).
 *        The max_failures-th failure in a row locks the account for
 *        lock_s; while locked every attempt is 423 account_locked, the
 *        right password too. A disabled account with the right password
 *        is 403 account_disabled. Every attempt is a row of login_events.
 *        503 starting until the bootstrap administrator is in (at the
 *        first start, within a second of the database being up).
 *   POST /token/refresh {refresh_token} -> 200, a new pair. Each refresh
 *        token is used once; one presented again (used or revoked)
 *        revokes its family (every token descending from that login):
 *        401 refresh_token_reused. 401 invalid_refresh_token,
 *        refresh_token_expired, account_disabled; 423 account_locked.
 *   POST /logout {refresh_token} -> 204; revokes the token's family
 *        (an unknown token is 204 too).
 *   GET  /.well-known/jwks.json -> {"keys": [the public key as a JWK]}.
 * Login, refresh and logout take no Idempotency-Key: a stored answer
 * would hand the same tokens to whoever repeats the request.
 *
 * District administrators (role district_admin; a user is visible and
 * changeable only when its jurisdiction lies within the caller's):
 *   POST  /users (Idempotency-Key) -> 201 the user; 409 user_exists
 *   GET   /users[?username=U][&limit][&cursor] -> a page (sn/page.h)
 *   GET   /users/{id}
 *   PATCH /users/{id} (Idempotency-Key) {display_name, role,
 *         jurisdiction, disabled, password, unlock} -> 200 the user
 *   GET   /users/{id}/changes -> a page of the recorded changes
 * A change of password or disabling revokes the user's refresh tokens.
 *
 * Metrics: sn_identity_logins_total{outcome="ok|failed|locked"} (locked:
 * refused while locked, or locked by this failure),
 * sn_identity_refresh_total{outcome="ok|reused|refused"}.
 *
 * Everything runs on the service's loop thread.
 */
#ifndef IDENTITY_HANDLERS_H
#define IDENTITY_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"
#include "sn/auth.h"
#include "sn/metrics.h"
#include "sn/service.h"

/* Settings, read by main.c (SN_IDENTITY_*). Strings are borrowed from
 * the environment and outlive the service. */
typedef struct identity_config {
	identity_lockout lockout;
	int64_t          token_ttl_s;   /* access tokens */
	int64_t          refresh_ttl_s; /* refresh tokens */
	int64_t          audit_days;    /* login_events kept this long */
	uint64_t         purge_ms;      /* the purge's period */
	const char      *signing_pem;   /* the ES256 private key */
	/* The bootstrap administrator, created when the table is empty;
	 * admin_hash NULL: there are users already. */
	const char *admin_user;
	const char *admin_juris;
	const char *admin_hash; /* argon2id of the administrator's password */
} identity_config;

/*
 * The service's state. The caller provides the storage (main.c keeps it
 * static) and it must outlive sn_service_main: database and hashing
 * callbacks still in flight at shutdown come back to it.
 */
typedef struct identity {
	sn_service     *svc;
	identity_config cfg;
	sn_auth        *signer;       /* issues the access tokens */
	char           *jwks;         /* {"keys":[...]} text */
	sn_counter     *logins[3];    /* ok, failed, locked */
	sn_counter     *refresh[3];   /* ok, reused, refused */
	bool            bootstrapped; /* the administrator exists */
	bool            booting;      /* its transaction is running */
	bool            purging;      /* the hourly purge is running */
} identity;

/* The HTTP API above as a route table, for sn_service_def.routes; the
 * handlers' arg is the identity (set by identity_init). */
#define IDENTITY_NROUTES 9
extern const sn_http_route_def identity_routes[IDENTITY_NROUTES];

/*
 * Opens the signer on cfg->signing_pem and the JWKS, the metrics, makes
 * id the routes' arg and, when cfg->admin_hash is set, starts the
 * bootstrap (tried every 200 ms until the administrator is in), and
 * the hourly purge of expired refresh tokens and of login_events older
 * than cfg->audit_days (every cfg->purge_ms). Call
 * from the service's setup. SN_EINVAL for a key that is not a P-256
 * private key; SN_ENOMEM.
 */
sn_err identity_init(
    identity *id, sn_service *svc, const identity_config *cfg);

/* Frees what identity_init made. From the service's teardown. */
void identity_fini(identity *id);

#endif /* IDENTITY_HANDLERS_H */
