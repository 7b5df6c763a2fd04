/*
 * bank-sim: the simulator of the bank that holds the recipients'
 * one-card accounts (issue 5), for the local run and the tests. It
 * speaks the bank protocol (sn/bank/v1/bank.proto, NNG req/rep) and is
 * replaced by a real bank adapter through SN_BANK_URL alone. Runs on
 * sn_service_main (no publishing, no following) for /healthz, /readyz,
 * /metrics and its own schema (default bank_sim). Wiring only; see
 * handlers.h for what it does.
 *
 * Settings: the table below (besides sn/service.h's; `bank-sim --help`
 * prints them all); a bad or missing one exits 2.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers.h"
#include "sn/clock.h"
#include "sn/config.h"
#include "sn/loop.h"
#include "sn/service.h"

static const sn_http_route_def routes[] = {
	{ "GET", "/accounts/{account_number}/credits", SN_HTTP_PUBLIC, NULL,
	    bank_sim_http_credits },
	{ "GET", "/stats", SN_HTTP_PUBLIC, NULL, bank_sim_http_stats },
};

static const sn_setting_doc settings[] = {
	{ "SN_BANK_URL",
	    "where the bank listens (required; the URL "
	    "disbursement dials)" },
	{ "SN_BANK_SIM_FIXTURE", "JSON file of accounts; unset: none" },
	{ "SN_BANK_SIM_OPEN_ALL",
	    "1: an account the fixture does not name "
	    "exists; 0: no_such_account (default 1)" },
	{ "SN_BANK_SIM_SETTLE_MS",
	    "0: settled at once; > 0: accepted, "
	    "settled that long after (default 0)" },
	{ "SN_BANK_SIM_DROP_PERCENT", "replies withheld, 0-100 (default 0)" },
	{ "SN_BANK_SIM_TIMEOUT_PERCENT",
	    "replies delayed, 0-100 minus "
	    "DROP_PERCENT (default 0)" },
	{ "SN_BANK_SIM_TIMEOUT_MS", "the delay, 1-600000 (default 5000)" },
	{ "SN_BANK_SIM_CRASH_AFTER",
	    "N > 0: exit 1 after committing the N-th "
	    "new batch (default 0: never)" },
	{ "SN_BANK_SIM_SEED",
	    "seed of the drop/delay dice (default 0: from "
	    "the clock and the pid)" },
	{ "SN_BANK_SIM_CONTEXTS",
	    "requests served at once, 1-4096 (default "
	    "256)" },
	{ "SN_BANK_SIM_MAX_REQUEST_BYTES",
	    "largest request, bytes (default "
	    "67108864)" },
	{ NULL, NULL },
};

static bank_sim_config cfg;
static bank_sim       *bank;

static void
on_stop(void *arg)
{
	(void) arg;
	bank_sim_stop(bank);
}

static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	sn_err err = bank_sim_open(&bank, svc, &cfg);
	if (err != SN_OK)
		return err;
	sn_service_set_route_arg(svc, bank);
	return sn_loop_on_stop(sn_service_loop(svc), on_stop, NULL);
}

static void
teardown(sn_service *svc, void *arg)
{
	(void) svc;
	(void) arg;
	bank_sim_close(bank);
	bank = NULL;
}

static void
read_settings(void)
{
	cfg.url     = sn_config_url("SN_BANK_URL", NULL);
	cfg.fixture = sn_config_str("SN_BANK_SIM_FIXTURE", "");
	if (cfg.fixture[0] == '\0')
		cfg.fixture = NULL;
	cfg.open_all  = sn_config_bool("SN_BANK_SIM_OPEN_ALL", true);
	cfg.settle_ms = (uint32_t) sn_config_int(
	    "SN_BANK_SIM_SETTLE_MS", 0, 0, 86400000);
	cfg.drop_pct
	    = (uint32_t) sn_config_int("SN_BANK_SIM_DROP_PERCENT", 0, 0, 100);
	cfg.timeout_pct = (uint32_t) sn_config_int(
	    "SN_BANK_SIM_TIMEOUT_PERCENT", 0, 0, 100);
	if (cfg.drop_pct + cfg.timeout_pct > 100)
		sn_config_fail("SN_BANK_SIM_TIMEOUT_PERCENT",
		    "at most 100 minus SN_BANK_SIM_DROP_PERCENT",
		    sn_config_str("SN_BANK_SIM_TIMEOUT_PERCENT", ""));
	cfg.timeout_ms = (uint32_t) sn_config_int(
	    "SN_BANK_SIM_TIMEOUT_MS", 5000, 1, 600000);
	cfg.crash_after = (uint32_t) sn_config_int(
	    "SN_BANK_SIM_CRASH_AFTER", 0, 0, 1000000000);
	cfg.seed
	    = (uint64_t) sn_config_int("SN_BANK_SIM_SEED", 0, 0, INT64_MAX);
	if (cfg.seed == 0)
		cfg.seed = (uint64_t) sn_clock_now_ms() * 1000003u
		    ^ (uint64_t) getpid();
	cfg.contexts
	    = (int) sn_config_int("SN_BANK_SIM_CONTEXTS", 256, 1, 4096);
	cfg.max_request = (size_t) sn_config_int(
	    "SN_BANK_SIM_MAX_REQUEST_BYTES", 64 << 20, 1024, 1 << 30);
}

int
main(int argc, char **argv)
{
	static const sn_service_def def = { .openapi = sn_openapi_document,
		.name                                = "bank-sim",
		.setup                               = setup,
		.teardown                            = teardown,
		.routes                              = routes,
		.nroutes  = sizeof(routes) / sizeof(routes[0]),
		.settings = settings };
	bool                        own_settings = true;
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			own_settings
			    = false; /* --help, --probe: none needed */
	if (own_settings)
		read_settings();
	return sn_service_main(argc, argv, &def);
}
