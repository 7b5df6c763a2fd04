/*
 * client_test - the main job's login (client.c) against the real identity
 * binary and PostgreSQL: the district administrator logs in, a staff user
 * and a department's service account are created and log in, and a staff
 * member's calls go on past its access token's lifetime (4 s) because
 * client_call refreshes it (identity's login_events count the refreshes).
 * Without the refresh every call after 4 s would be 401. Then a second
 * client (a later run of the driver) finds the users already there and
 * gives them new passwords (PATCH) to log in with. A service account
 * issued with a unit (client_issue_unit) is created with it, carries it
 * in its token, and is moved to another unit by the later run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "harness.h"
#include "sn/auth.h"

#define ADMIN_PW "client-test-admin-password"

static th T;

/* The unit claim of s's token (verified with the test key). */
static const char *
token_unit(const struct staff *s)
{
	static sn_principal p;
	sn_auth            *auth = NULL;
	char                bearer[2100];
	snprintf(bearer, sizeof(bearer), "Bearer %s", s->token);
	TH_CHECK(&T, sn_auth_open(&auth, th_token_public_pem) == SN_OK,
	    "the test key");
	TH_CHECK(&T, sn_auth_verify(auth, bearer, &p) == SN_OK,
	    "%s's token does not verify", s->user);
	sn_auth_close(auth);
	return p.unit;
}

int
main(void)
{
	char        port_env[32], url[64], sign[512];
	const char *argv[] = { IDENTITY_BIN, NULL };
	int         port   = th_free_port();

	th_init(&T, "client");
	th_publisher(&T, "identity");
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", port);
	snprintf(sign, sizeof(sign), "SN_IDENTITY_SIGNING_KEY=%s",
	    th_token_private_pem);
	const char *env[]
	    = { port_env, sign, "SN_IDENTITY_ADMIN_PASSWORD=" ADMIN_PW,
		      "SN_IDENTITY_TOKEN_TTL_S=4", NULL };
	th_spawn(&T, "identity", IDENTITY_BIN, argv, env);
	TH_CHECK(&T, th_wait_ready(&T, port, 30000), "identity is not ready");
	const char *schema = th_schema(&T, "identity");

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	setenv("SN_IDENTITY_HTTP_URL", url, 1);
	setenv("SN_IDENTITY_ADMIN_PASSWORD", ADMIN_PW, 1);
	unsetenv("SN_TOKEN_SIGNING_KEY");
	TH_CHECK(&T, client_open("client_test"), "client_open");

	struct staff ops, dept, med;
	client_issue(&ops, "ops-1", "district_admin", CLIENT_DISTRICT, NULL);
	client_issue(&dept, "dept-1", "department", CLIENT_DISTRICT, NULL);
	/* Each token read as soon as it is issued: it lives 4 s, and an
	 * issue (a user made, a password hashed, a login) can take that
	 * long on a loaded machine. */
	TH_CHECK(&T, strlen(ops.token) > 100 && strlen(dept.token) > 100,
	    "no access tokens");
	TH_CHECK(&T, strcmp(token_unit(&dept), "dept-1") == 0,
	    "dept-1's unit is %s", token_unit(&dept));
	client_issue_unit(&med, "dept-medical", "department", CLIENT_DISTRICT,
	    "medical_insurance");
	TH_CHECK(&T, strcmp(token_unit(&med), "medical_insurance") == 0,
	    "dept-medical's unit is %s", token_unit(&med));
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.users WHERE (username, kind) IN "
	        "(('ops-1', 'staff'), ('dept-1', 'service'))",
	        schema)
	        == 2,
	    "the staff user and the service account were not created");

	/* Ten seconds of calls with 4-second access tokens. */
	uint64_t end   = th_now_ms() + 10000;
	int      calls = 0;
	while (th_now_ms() < end) {
		int st = client_call(
		    port, "GET", "/users?limit=1", &ops, NULL, NULL);
		TH_CHECK(&T, st == 200, "call %d at %llu ms: %d", calls,
		    (unsigned long long) (th_now_ms() + 10000 - end), st);
		calls++;
		th_sleep_ms(500);
	}
	int64_t refreshed = th_int(&T,
	    "SELECT count(*) FROM %s.login_events WHERE username = 'ops-1' "
	    "AND outcome = 'refresh_ok'",
	    schema);
	TH_CHECK(&T, refreshed >= 2, "%lld refreshes in 10 s of 4 s tokens",
	    (long long) refreshed);
	printf("ok: %d calls over 10 s with 4 s tokens, %lld refreshes\n",
	    calls, (long long) refreshed);
	client_close();

	/* A later run: the users exist; each gets a new password. */
	TH_CHECK(&T, client_open("client_test"), "client_open again");
	client_issue(&ops, "ops-1", "district_admin", CLIENT_DISTRICT, NULL);
	client_issue(&dept, "dept-1", "department", CLIENT_DISTRICT, NULL);
	client_issue_unit(
	    &med, "dept-medical", "department", CLIENT_DISTRICT, "health");
	TH_CHECK(&T, strcmp(token_unit(&med), "health") == 0,
	    "dept-medical's unit after the move is %s", token_unit(&med));
	TH_CHECK(&T,
	    client_call(port, "GET", "/users?limit=1", &ops, NULL, NULL)
	        == 200,
	    "ops-1 after its password was reset");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.users WHERE username = "
	        "'dept-medical' AND unit = 'health'",
	        schema)
	        == 1,
	    "dept-medical was not moved to unit health");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.login_events WHERE username IN "
	        "('ops-1', 'dept-1') AND outcome = 'ok'",
	        schema)
	        == 4,
	    "two logins each expected");
	printf("ok: a second run reset the passwords and logged in again\n");
	client_close();
	th_fini(&T);
	return 0;
}
