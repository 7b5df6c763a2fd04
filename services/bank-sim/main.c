/*
 * bank-sim: the simulator of the bank that holds the recipients'
 * one-card accounts (issue 5), for the local run and the tests. It
 * speaks ISO 20022 on its HTTP(S) port (issue 14, iso.h) as a bank does
 * to bank-gateway, which a real bank replaces through the gateway's
 * SN_BANK_ISO_URL alone. Runs on sn_service_main (no publishing, no
 * following) for /healthz, /readyz, /metrics and its own schema (default
 * bank_sim). Wiring only; see handlers.h for what it does.
 *
 * Settings: the table below (besides sn/service.h's; `bank-sim --help`
 * prints them all); a bad or missing one exits 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers.h"
#include "sn/clock.h"
#include "sn/config.h"
#include "sn/loop.h"
#include "sn/service.h"

/* The ISO 20022 routes are bank-gateway's: a client certificate of
 * SN_HTTP_CLIENT_CA_FILE, no token (sn/http.h); they refuse every request
 * without that setting on HTTPS. The pain.001 body is XML, taken as bytes
 * (SN_HTTP_RAW_BODY). The rest is the simulator's own, public. */
#define ISO_ACCESS SN_HTTP_CLIENT_CERT

static const sn_http_route_def routes[] = {
	{ "GET", "/accounts/{account_number}/credits", SN_HTTP_PUBLIC, NULL,
	    bank_sim_http_credits },
	{ "POST", "/accounts/{account}/entries", SN_HTTP_PUBLIC, NULL,
	    bank_sim_http_entries },
	{ "GET", "/stats", SN_HTTP_PUBLIC, NULL, bank_sim_http_stats },
	{ "POST", "/iso20022/pain.001", ISO_ACCESS | SN_HTTP_RAW_BODY, NULL,
	    bank_sim_http_pain001 },
	{ "GET", "/iso20022/pain.002/{msg_id}", ISO_ACCESS, NULL,
	    bank_sim_http_pain002 },
	{ "GET", "/iso20022/camt.054", ISO_ACCESS, NULL,
	    bank_sim_http_camt054 },
};

static const sn_setting_doc settings[] = {
	{ "SN_BANK_SIM_FIXTURE", "JSON file of accounts; unset: none" },
	{ "SN_BANK_SIM_OPEN_ALL",
	    "1: an account the fixture does not name "
	    "exists; 0: no_such_account (default 1)" },
	{ "SN_BANK_SIM_SETTLE_MS",
	    "0: settled at once; > 0: accepted, "
	    "settled that long after (default 0)" },
	{ "SN_BANK_SIM_DROP_PERCENT",
	    "pain.001 answers withheld, 0-100 (default 0)" },
	{ "SN_BANK_SIM_TIMEOUT_PERCENT",
	    "pain.001 answers delayed, 0-100 minus "
	    "DROP_PERCENT (default 0)" },
	{ "SN_BANK_SIM_TIMEOUT_MS", "the delay, 1-600000 (default 5000)" },
	{ "SN_BANK_SIM_CRASH_AFTER",
	    "N > 0: exit 1 after committing the N-th "
	    "new pain.001, before answering it (default 0: never)" },
	{ "SN_BANK_SIM_SEED",
	    "seed of the drop/delay dice (default 0: from "
	    "the clock and the pid)" },
	{ "SN_BANK_SIM_MAX_REQUEST_BYTES",
	    "largest pain.001 body, bytes, 1024-67108864 (default 67108864; "
	    "sets SN_HTTP_MAX_BODY unless that is set)" },
	{ "SN_BANK_SIM_STATEMENT_OMIT_PERCENT",
	    "settled payments left out of the camt.054 statements, 0-100, "
	    "drawn once per payment (default 0)" },
	{ "SN_BANK_SIM_DROP_HOLD_MS",
	    "how long a withheld HTTP answer is held before a 503, "
	    "1-86400000 (default 600000: longer than clients wait)" },
	{ "SN_BANK_SIM_XSD_DIR",
	    "folder of the ISO 20022 XSDs (default the tree's "
	    "services/bank-gateway/xsd)" },
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
	cfg.max_request = (size_t) sn_config_int(
	    "SN_BANK_SIM_MAX_REQUEST_BYTES", 64 << 20, 1024, 64 << 20);
	cfg.omit_pct = (uint32_t) sn_config_int(
	    "SN_BANK_SIM_STATEMENT_OMIT_PERCENT", 0, 0, 100);
	cfg.drop_hold_ms = (uint32_t) sn_config_int(
	    "SN_BANK_SIM_DROP_HOLD_MS", 600000, 1, 86400000);
	cfg.xsd_dir = sn_config_str("SN_BANK_SIM_XSD_DIR", BANK_SIM_XSD_DIR);
	/* sn_http takes bodies as large as a pain.001 may be (its default
	 * is 1 MiB), unless the service setting says otherwise. */
	if (getenv("SN_HTTP_MAX_BODY") == NULL
	    && getenv("SN_HTTP_MAX_BODY_FILE") == NULL) {
		char max[24];
		snprintf(max, sizeof(max), "%zu", cfg.max_request);
		setenv("SN_HTTP_MAX_BODY", max, 1);
	}
}

int
main(int argc, char **argv)
{
	static const sn_service_def def = { .openapi = sn_openapi_document,
		.name                                = "bank-sim",
		.setup                               = setup,
		.teardown                            = teardown,
		.routes                              = routes,
		.nroutes       = sizeof(routes) / sizeof(routes[0]),
		.settings      = settings,
		.read_settings = read_settings };
	return sn_service_main(argc, argv, &def);
}
