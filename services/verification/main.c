/*
 * verification: the economic check of a household (家庭经济状况核对).
 * Wiring only; see handlers.h for what it does and the settings below.
 * Follows intake and approval (SN_INTAKE_*_URL, SN_APPROVAL_*_URL);
 * publishes as "verification" (SN_VERIFICATION_*_URL); needs
 * SN_TOKEN_PUBLIC_KEY for its API. A bad or missing setting exits 2.
 */
#include <stdio.h>

#include "handlers.h"
#include "sn/config.h"
#include "sn/service.h"
#include "store.h"

static const sn_setting_doc settings[] = {
	{ "SN_AGENCY_PUBLIC_SECURITY_URL",
	    "NNG URL of the public security adapter (required)" },
	{ "SN_AGENCY_HUMAN_RESOURCES_URL",
	    "NNG URL of the human resources adapter (required)" },
	{ "SN_AGENCY_HOUSING_URL",
	    "NNG URL of the housing adapter (required)" },
	{ "SN_AGENCY_VEHICLES_URL",
	    "NNG URL of the vehicles adapter (required)" },
	{ "SN_AGENCY_MARKET_URL",
	    "NNG URL of the market regulation adapter (required)" },
	{ "SN_AGENCY_TAX_URL", "NNG URL of the tax adapter (required)" },
	{ "SN_AGENCY_BANKS_URL", "NNG URL of the banks' adapter (required)" },
	{ "SN_AGENCY_PROVIDENT_FUND_URL",
	    "NNG URL of the provident fund adapter (required)" },
	{ "SN_VERIFICATION_AGENCY_TIMEOUT_MS",
	    "deadline of one try, 1-600000 (default 2000)" },
	{ "SN_VERIFICATION_AGENCY_RETRIES",
	    "tries after the first, 0-20 (default 3)" },
	{ "SN_VERIFICATION_AGENCY_BACKOFF_MS",
	    "wait before the first retry, doubling, 0-60000 (default 200)" },
	{ "SN_VERIFICATION_RETRY_MS",
	    "when an incomplete check's missing agencies are asked again, "
	    "10-86400000 (default 60000)" },
	{ "SN_VERIFICATION_MAX_ATTEMPTS",
	    "rounds per check at most, 1-1000 (default 10)" },
	{ "SN_VERIFICATION_MAX_ROUNDS",
	    "checks asked at the same time, 1-10000 (default 256)" },
	{ "SN_VERIFICATION_SCAN_MS",
	    "how often due checks are looked for, 10-600000 (default 1000)" },
	{ NULL, NULL },
};

static verification_config cfg;
static verification       *ver;

static void
on_stop(void *arg)
{
	(void) arg;
	verification_stop(ver);
}

static void read_config(void);

/* Reads the settings (here, so that --help, --version, --routes and
 * --probe need none) and opens verification. */
static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	read_config();
	sn_err err = verification_open(&ver, svc, &cfg);
	if (err != SN_OK)
		return err;
	return sn_loop_on_stop(sn_service_loop(svc), on_stop, NULL);
}

static void
teardown(sn_service *svc, void *arg)
{
	(void) svc;
	(void) arg;
	verification_close(ver);
	ver = NULL;
}

static void
read_config(void)
{
	static char names[VERIFICATION_NAGENCIES][64];
	for (int i = 0; i < VERIFICATION_NAGENCIES; i++) {
		snprintf(names[i], sizeof(names[i]), "SN_AGENCY_%s_URL",
		    verification_agency_env(i));
		cfg.agencies.urls[i] = sn_config_url(names[i], NULL);
	}
	cfg.agencies.timeout_ms = (uint32_t) sn_config_int(
	    "SN_VERIFICATION_AGENCY_TIMEOUT_MS", 2000, 1, 600000);
	cfg.agencies.retries = (uint32_t) sn_config_int(
	    "SN_VERIFICATION_AGENCY_RETRIES", 3, 0, 20);
	cfg.agencies.backoff_ms = (uint32_t) sn_config_int(
	    "SN_VERIFICATION_AGENCY_BACKOFF_MS", 200, 0, 60000);
	cfg.retry_ms
	    = sn_config_int("SN_VERIFICATION_RETRY_MS", 60000, 10, 86400000);
	cfg.max_attempts
	    = (int) sn_config_int("SN_VERIFICATION_MAX_ATTEMPTS", 10, 1, 1000);
	cfg.max_rounds
	    = (int) sn_config_int("SN_VERIFICATION_MAX_ROUNDS", 256, 1, 10000);
	cfg.scan_ms
	    = sn_config_int("SN_VERIFICATION_SCAN_MS", 1000, 10, 600000);
}

int
main(int argc, char **argv)
{
	static const char *const    follows[] = { "intake", "approval", NULL };
	static const sn_service_def def = { .openapi = sn_openapi_document,
		.name                                = "verification",
		.publishes                           = true,
		.needs_auth                          = true,
		.needs_seal                          = true,
		.follows                             = follows,
		.setup                               = setup,
		.teardown                            = teardown,
		.routes                              = verification_routes,
		.nroutes                             = VERIFICATION_NROUTES,
		.settings                            = settings,
		.seal_columns    = verification_store_seal_columns,
		.nseal_columns   = VERIFICATION_NSEAL_COLUMNS,
		.seal_documents  = verification_store_seal_documents,
		.nseal_documents = VERIFICATION_NSEAL_DOCUMENTS };
	return sn_service_main(argc, argv, &def);
}
