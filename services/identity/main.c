/*
 * identity - the district's users, their logins and the ES256 tokens
 * every other service verifies; see handlers.h for the API. Wiring only.
 *
 * Settings: those of sn/service.h (it publishes as "identity", follows
 * nothing; SN_TOKEN_PUBLIC_KEY verifies the administrators' tokens like
 * every service's; SN_SEAL_KEYS and SN_BLIND_KEY are required: staff
 * identity numbers are sealed), and the table below. Every setting may
 * be given as NAME_FILE (sn/config.h): the signing key and the
 * administrator's password should be.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "handlers.h"
#include "pwhash.h"
#include "sn/config.h"
#include "sn/log.h"
#include "store.h"

static const sn_setting_doc settings[] = {
	{ "SN_IDENTITY_SIGNING_KEY",
	    "the ES256 (P-256) private key, PEM (PKCS#8 or SEC1), that signs "
	    "access tokens (required; give it as "
	    "SN_IDENTITY_SIGNING_KEY_FILE)" },
	{ "SN_IDENTITY_TOKEN_TTL_S",
	    "access token lifetime in seconds, 1-86400 (default 900)" },
	{ "SN_IDENTITY_REFRESH_TTL_S",
	    "refresh token lifetime in seconds, 60-2592000 (default 28800)" },
	{ "SN_IDENTITY_AUDIT_DAYS",
	    "days login_events (every login and refresh attempt) are kept, "
	    "1-3650 (default 365); refresh tokens go a day after expiry" },
	{ "SN_IDENTITY_PURGE_MS",
	    "how often expired refresh tokens and old login_events are "
	    "deleted, 100-86400000 ms (default 3600000)" },
	{ "SN_IDENTITY_LOCKOUT_FAILURES",
	    "failed logins in a row that lock an account, 1-100 (default 5)" },
	{ "SN_IDENTITY_LOCKOUT_S",
	    "how long a locked account stays locked, seconds, 1-604800 "
	    "(default 900)" },
	{ "SN_IDENTITY_ADMIN_USER",
	    "the district administrator created at the first start, when "
	    "there is no user (default admin)" },
	{ "SN_IDENTITY_ADMIN_PASSWORD",
	    "that administrator's password, at least 12 bytes (required when "
	    "there is no user; give it as SN_IDENTITY_ADMIN_PASSWORD_FILE)" },
	{ "SN_IDENTITY_ADMIN_JURIS",
	    "that administrator's jurisdiction, a division code (default "
	    "220103)" },
	{ NULL, NULL },
};

static identity        ident;
static identity_config cfg;
static char            admin_hash[IDENTITY_PWHASH_MAX];

/* The bootstrap administrator: only when the table of users is empty. */
static sn_err
bootstrap_settings(void)
{
	int64_t     users  = 0;
	const char *schema = sn_config_str("SN_DB_SCHEMA", "identity");
	cfg.admin_user     = sn_config_str("SN_IDENTITY_ADMIN_USER", "admin");
	cfg.admin_juris = sn_config_str("SN_IDENTITY_ADMIN_JURIS", "220103");
	if (!identity_rules_username_valid(cfg.admin_user))
		sn_config_fail("SN_IDENTITY_ADMIN_USER",
		    "1 to 63 of A-Z a-z 0-9 . _ @ -", cfg.admin_user);
	if (!sn_auth_juris_valid(cfg.admin_juris))
		sn_config_fail("SN_IDENTITY_ADMIN_JURIS",
		    "a division code of 6, 9 or 12 digits", cfg.admin_juris);
	if (identity_store_user_count(
	        sn_config_str("SN_DB_URL", NULL), schema, &users)
	    != SN_OK)
		return SN_EDB;
	if (users > 0)
		return SN_OK;
	const char *pw = sn_config_str("SN_IDENTITY_ADMIN_PASSWORD", NULL);
	sn_problem  why;
	sn_problem_clear(&why);
	if (!identity_rules_password_ok(pw, cfg.admin_user, &why))
		sn_config_fail(
		    "SN_IDENTITY_ADMIN_PASSWORD", why.message, "(hidden)");
	if (identity_pwhash_now(pw, admin_hash) != SN_OK)
		return SN_ENOMEM;
	cfg.admin_hash = admin_hash;
	return SN_OK;
}

/* The tokens identity signs must verify where every service verifies
 * them: its own SN_TOKEN_PUBLIC_KEY, the public half of the signing key. */
static void
same_key(const sn_auth *signer)
{
	const char *pub  = sn_config_str("SN_TOKEN_PUBLIC_KEY", "");
	sn_auth    *a    = NULL;
	bool        same = pub[0] != '\0' && sn_auth_open(&a, pub) == SN_OK
	    && strcmp(sn_auth_kid(a), sn_auth_kid(signer)) == 0;
	sn_auth_close(a);
	if (!same)
		sn_config_fail("SN_IDENTITY_SIGNING_KEY",
		    "the private half of SN_TOKEN_PUBLIC_KEY", "(hidden)");
}

static sn_err
setup(sn_service *svc, void *arg)
{
	sn_err err;
	(void) arg;
	cfg.signing_pem = sn_config_str("SN_IDENTITY_SIGNING_KEY", NULL);
	cfg.token_ttl_s
	    = sn_config_int("SN_IDENTITY_TOKEN_TTL_S", 900, 1, 86400);
	cfg.refresh_ttl_s
	    = sn_config_int("SN_IDENTITY_REFRESH_TTL_S", 28800, 60, 2592000);
	cfg.audit_days = sn_config_int("SN_IDENTITY_AUDIT_DAYS", 365, 1, 3650);
	cfg.purge_ms   = (uint64_t) sn_config_int(
	      "SN_IDENTITY_PURGE_MS", 3600000, 100, 86400000);
	cfg.lockout.max_failures = (int32_t) sn_config_int(
	    "SN_IDENTITY_LOCKOUT_FAILURES", 5, 1, 100);
	cfg.lockout.lock_s
	    = sn_config_int("SN_IDENTITY_LOCKOUT_S", 900, 1, 604800);
	if (identity_pwhash_init(sn_service_metrics(svc)) != SN_OK
	    || (err = bootstrap_settings()) != SN_OK)
		return SN_ENOMEM;
	err = identity_init(&ident, svc, &cfg);
	if (err == SN_EINVAL)
		sn_config_fail("SN_IDENTITY_SIGNING_KEY",
		    "an ES256 (P-256) private key in PEM", "(hidden)");
	if (err == SN_OK)
		same_key(ident.signer);
	return err;
}

static void
teardown(sn_service *svc, void *arg)
{
	(void) svc;
	(void) arg;
	identity_fini(&ident);
	sodium_memzero(admin_hash, sizeof(admin_hash));
}

int
main(int argc, char **argv)
{
	static const sn_service_def def = { .openapi = sn_openapi_document,
		.name                                = "identity",
		.publishes                           = true,
		.needs_auth                          = true,
		.needs_seal                          = true,
		.setup                               = setup,
		.teardown                            = teardown,
		.routes                              = identity_routes,
		.nroutes                             = IDENTITY_NROUTES,
		.settings                            = settings };
	return sn_service_main(argc, argv, &def);
}
