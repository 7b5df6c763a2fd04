/*
 * token.c - test tokens (harness.h: th_token), in an object of its own so
 * that only the programs that mint tokens pull in libcommon's sn/auth.h.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "sn/auth.h"

char *
th_token(th *t, const char *user, const char *role, const char *juris,
    const char *idn, const char *unit)
{
	sn_auth     *auth;
	sn_principal p;
	char        *tok = NULL;

	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "%s", role);
	snprintf(p.juris, sizeof(p.juris), "%s", juris);
	if (idn != NULL)
		snprintf(p.id_number, sizeof(p.id_number), "%s", idn);
	if (unit != NULL)
		snprintf(p.unit, sizeof(p.unit), "%s", unit);
	if (sn_auth_open(&auth, th_token_private_pem) != SN_OK
	    || sn_auth_issue(auth, &p, 3600, &tok) != SN_OK)
		th_fail(t, "cannot issue a token");
	sn_auth_close(auth);
	return tok;
}
