/*
 * district.c - the main job's driver (sn-district) against the real
 * services while one of them is killed (issue 10, item 11).
 *
 * district_restart: sn-district submits a small district; when intake has
 * taken in a quarter of it, intake is killed with SIGKILL and started
 * again. The driver must ride through: every call has a timeout and is
 * retried with the same Idempotency-Key, so that no household is
 * abandoned and none is taken in twice.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "e2e.h"

#define HOUSEHOLDS 160

static void
district_restart(void)
{
	char sizes[3][16];
	snprintf(sizes[0], sizeof(sizes[0]), "%d", HOUSEHOLDS);
	snprintf(sizes[1], sizeof(sizes[1]), "%d", 1);
	snprintf(sizes[2], sizeof(sizes[2]), "%d", 4);
	e2e_setup();

	/* The agencies' records of the district the driver generates. */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	    "'%s' --households %s --townships %s --villages %s --fixture "
	    "'%s' >/dev/null",
	    SN_DISTRICT, sizes[0], sizes[1], sizes[2], e2e_fixture_path());
	TH_CHECK(&T, system(cmd) == 0, "sn-district --fixture failed");
	e2e_start_agency_sim(NULL);
	static const char *const names[]
	    = { "intake", "verification", "investigation", "approval" };
	const int ports[] = { P_INTAKE, P_VERIF, P_INVEST, P_APPROVAL };
	e2e_start_services(names, ports, 4, NULL);

	/* HTTPS, trusting the test's CA as the test's own calls do */
	char env[6][512];
	snprintf(env[0], sizeof(env[0]), "SN_TOKEN_SIGNING_KEY=%s",
	    e2e_token_key());
	snprintf(env[1], sizeof(env[1]),
	    "SN_INTAKE_HTTP_URL=https://127.0.0.1:%d", P_INTAKE);
	snprintf(env[2], sizeof(env[2]),
	    "SN_INVESTIGATION_HTTP_URL=https://127.0.0.1:%d", P_INVEST);
	snprintf(env[3], sizeof(env[3]),
	    "SN_APPROVAL_HTTP_URL=https://127.0.0.1:%d", P_APPROVAL);
	snprintf(env[4], sizeof(env[4]), "SN_HTTP_TIMEOUT_MS=%d", 3000);
	snprintf(
	    env[5], sizeof(env[5]), "SN_CLIENT_CA_FILE=%s", th_client_ca());
	const char *envp[]
	    = { env[0], env[1], env[2], env[3], env[4], env[5], NULL };
	const char *argv[] = { SN_DISTRICT, "--households", sizes[0],
		"--townships", sizes[1], "--villages", sizes[2], "--workers",
		"4", "--deadline", "200", NULL };
	th_proc    *drv = th_spawn(&T, "sn-district", SN_DISTRICT, argv, envp);

	/* A quarter taken in, then intake dies mid-stream. */
	const char *intake = th_schema(&T, "intake");
	TH_CHECK(&T,
	    th_wait_int(&T, 1, E2E_WAIT_MS,
	        "SELECT (count(*) >= %d)::int FROM %s.application",
	        HOUSEHOLDS / 4, intake),
	    "intake never took in a quarter of the district");
	int64_t before
	    = th_int(&T, "SELECT count(*) FROM %s.application", intake);
	TH_CHECK(&T, before < HOUSEHOLDS,
	    "the whole district was in before the kill (%lld): make it "
	    "larger",
	    (long long) before);
	e2e_kill_restart("intake");

	int st = th_wait_exit(&T, drv, 240000);
	TH_CHECK(&T, st >= 0, "sn-district did not finish in 240 s");
	TH_CHECK(&T, WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "sn-district ended with status %d after intake's restart (see "
	    "sn-district's log: refused or undecided households)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	/* Nothing taken in twice: one application per household. */
	TH_CHECK(&T,
	    th_int(&T, "SELECT count(*) FROM %s.application", intake)
	        == HOUSEHOLDS,
	    "intake holds %lld applications for %d households",
	    (long long) th_int(
	        &T, "SELECT count(*) FROM %s.application", intake),
	    HOUSEHOLDS);
	printf("district_restart: %d households decided across a SIGKILL of "
	       "intake after %lld were taken in\n",
	    HOUSEHOLDS, (long long) before);
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "district_restart", district_restart },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), e2e_done);
}
