/*
 * sn-token - prints a bearer token for local runs and tests.
 *
 *   sn-token --user U --role R --juris CODE [--ttl SECONDS]
 *            [--id-number IDN]
 *
 * For tests and local runs only: signs ES256 with SN_TOKEN_SIGNING_KEY
 * (or SN_TOKEN_SIGNING_KEY_FILE), a P-256 private key in PEM whose public
 * half the services hold as SN_TOKEN_PUBLIC_KEY. Real users get their
 * tokens from the identity service (POST /login). The default ttl is one
 * hour. A bad argument or setting prints one line on stderr and
 * exits 2, like the services' own configuration checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/auth.h"
#include "sn/config.h"
#include "sn/idnum.h"

static _Noreturn void
usage(void)
{
	fputs("usage: sn-token --user U --role R --juris CODE "
	      "[--ttl SECONDS] [--id-number IDN] [--unit UNIT]\n",
	    stderr);
	exit(2);
}

static void
copy_arg(char *dst, size_t cap, const char *flag, const char *v,
    const char *expected)
{
	if (strlen(v) >= cap)
		sn_config_fail(flag, expected, v);
	memcpy(dst, v, strlen(v) + 1);
}

int
main(int argc, char **argv)
{
	sn_principal p;
	sn_auth     *auth;
	const char  *key;
	const char  *user = NULL, *role = NULL, *juris = NULL, *ttl = NULL;
	const char  *idn = NULL, *unit = NULL;
	int64_t      ttl_s = 3600;
	char        *token;
	char         got[32];
	sn_err       err;

	for (int i = 1; i < argc; i++) {
		const char **slot;

		if (strcmp(argv[i], "--user") == 0)
			slot = &user;
		else if (strcmp(argv[i], "--role") == 0)
			slot = &role;
		else if (strcmp(argv[i], "--juris") == 0)
			slot = &juris;
		else if (strcmp(argv[i], "--ttl") == 0)
			slot = &ttl;
		else if (strcmp(argv[i], "--id-number") == 0)
			slot = &idn;
		else if (strcmp(argv[i], "--unit") == 0)
			slot = &unit;
		else
			usage();
		if (i + 1 >= argc)
			usage();
		*slot = argv[++i];
	}
	if (user == NULL || role == NULL || juris == NULL)
		usage();

	memset(&p, 0, sizeof(p));
	copy_arg(p.user, sizeof(p.user), "--user", user,
	    "1 to 63 of A-Z a-z 0-9 . _ @ -");
	copy_arg(p.role, sizeof(p.role), "--role", role,
	    "1 to 31 of A-Z a-z 0-9 _ -");
	copy_arg(p.juris, sizeof(p.juris), "--juris", juris,
	    "a division code of 6, 9 or 12 digits");
	if (!sn_auth_juris_valid(p.juris))
		sn_config_fail(
		    "--juris", "a division code of 6, 9 or 12 digits", juris);
	/* Each field on its own, so that the message names the culprit. */
	{
		sn_principal t
		    = { .user = "u", .role = "r", .juris = "000000" };

		memcpy(t.user, p.user, sizeof(t.user));
		if (!sn_auth_principal_valid(&t))
			sn_config_fail(
			    "--user", "1 to 63 of A-Z a-z 0-9 . _ @ -", user);
		memcpy(t.user, "u", 2);
		memcpy(t.role, p.role, sizeof(t.role));
		if (!sn_auth_principal_valid(&t))
			sn_config_fail(
			    "--role", "1 to 31 of A-Z a-z 0-9 _ -", role);
	}
	if (idn != NULL) {
		copy_arg(p.id_number, sizeof(p.id_number), "--id-number", idn,
		    "a valid 18-character resident identity number");
		if (!sn_idnum_valid(p.id_number))
			sn_config_fail("--id-number",
			    "a valid 18-character resident identity number",
			    idn);
	}
	if (unit != NULL) {
		copy_arg(p.unit, sizeof(p.unit), "--unit", unit,
		    "1 to 47 of a-z 0-9 _ -");
		if (!sn_auth_unit_valid(p.unit))
			sn_config_fail(
			    "--unit", "1 to 47 of a-z 0-9 _ -", unit);
	}
	if (ttl != NULL
	    && sn_config_parse_int(ttl, 1, 366 * 24 * 3600, &ttl_s) != SN_OK)
		sn_config_fail("--ttl", "seconds from 1 to 31622400", ttl);

	key = sn_config_str("SN_TOKEN_SIGNING_KEY", NULL);
	/* Never echo a secret, even a bad one: only its length. */
	snprintf(got, sizeof(got), "%zu bytes", strlen(key));
	if ((err = sn_auth_open(&auth, key)) == SN_EINVAL
	    || (err == SN_OK && !sn_auth_can_issue(auth)))
		sn_config_fail("SN_TOKEN_SIGNING_KEY",
		    "a P-256 private key in PEM (PKCS#8 or SEC1)", got);
	if (err != SN_OK) {
		fprintf(stderr, "sn-token: %s\n", sn_strerror(err));
		return 1;
	}
	err = sn_auth_issue(auth, &p, ttl_s, &token);
	sn_auth_close(auth);
	if (err != SN_OK) {
		fprintf(stderr, "sn-token: %s\n", sn_strerror(err));
		return 1;
	}
	puts(token);
	free(token);
	return 0;
}
