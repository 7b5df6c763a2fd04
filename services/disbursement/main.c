/*
 * disbursement - payments to recipients' one-card bank accounts (issue
 * 5): payees, budgets, monthly payment runs with finance approval, the
 * bank, reconciliation. See handlers.h for the API and the events, and
 * payout.h for what it does on its own.
 *
 * Settings: those of sn/service.h (it publishes as "disbursement" and
 * follows "approval" and "emergency"; SN_TOKEN_PUBLIC_KEY is required; the
 * district's day and year come from SN_DISTRICT_UTC_OFFSET_MIN through
 * sn/clock.h), and its own in `settings` below (`disbursement --help`).
 */
#include "handlers.h"
#include "sn/config.h"
#include "store.h"

static disbursement        dis;
static disbursement_config cfg;

static const sn_setting_doc settings[] = {
	{ "SN_BANK_URL",
	    "the bank adapter's req/rep URL (required; bank-gateway's "
	    "SN_BANK_URL)" },
	{ "SN_DISBURSEMENT_BATCH",
	    "instructions per batch (default 500; "
	    "1..10000)" },
	{ "SN_DISBURSEMENT_BANK_TIMEOUT_MS",
	    "deadline of one try (default "
	    "2000; 50..600000)" },
	{ "SN_DISBURSEMENT_BANK_RETRIES",
	    "tries after the first, with the "
	    "same ids (default 5; 0..100)" },
	{ "SN_DISBURSEMENT_INFLIGHT",
	    "batches with the bank at once (default "
	    "4; 1..64)" },
	{ "SN_DISBURSEMENT_POLL_MS",
	    "period of the sender, the status queries "
	    "and the run status pass (default 200; "
	    "10..60000)" },
	{ "SN_DISBURSEMENT_IDLE_MS",
	    "longest wait between passes while they find nothing to do: "
	    "the wait doubles from SN_DISBURSEMENT_POLL_MS up to it, and "
	    "what this process starts or hears of (an approval, a grant, a "
	    "bank's answer) wakes it at once (default 5000; 10..600000)" },
	{ "SN_DISBURSEMENT_BUILD_CHUNK",
	    "payees per build transaction (default 10000; 100..1000000): "
	    "the most disbursement holds while building grows with it" },
	{ "SN_DISBURSEMENT_RETRY_MS",
	    "wait before a payment the bank told to retry (RETRY: the "
	    "fund's account short) goes out again under the same id, "
	    "doubling per retry; also after a batch refused whole (default "
	    "60000; 10..86400000)" },
	{ "SN_DISBURSEMENT_RETRY_MAX_MS",
	    "longest of those waits (default 3600000; 10..86400000)" },
	{ NULL, NULL },
};

static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	return disbursement_init(&dis, svc, &cfg);
}

static void
teardown(sn_service *svc, void *arg)
{
	(void) svc;
	(void) arg;
	disbursement_fini(&dis);
}

int
main(int argc, char **argv)
{
	static const char *const follows[] = { "approval", "emergency", NULL };
	static const sn_service_def def    = { .openapi = sn_openapi_document,
		   .name                                = "disbursement",
		   .publishes                           = true,
		   .needs_auth                          = true,
		   .needs_seal                          = true,
		   .seal_columns  = disbursement_sealed_columns,
		   .nseal_columns = DISBURSEMENT_SEALED_NCOLUMNS,
		   .follows       = follows,
		   .setup         = setup,
		   .teardown      = teardown,
		   .routes        = disbursement_routes,
		   .nroutes       = DISBURSEMENT_NROUTES,
		   .settings      = settings };

	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1] == '-')
			return sn_service_main(
			    argc, argv, &def); /* --help... */
	cfg.bank_url = sn_config_url("SN_BANK_URL", NULL);
	cfg.batch
	    = (int) sn_config_int("SN_DISBURSEMENT_BATCH", 500, 1, 10000);
	cfg.bank_timeout_ms = (uint32_t) sn_config_int(
	    "SN_DISBURSEMENT_BANK_TIMEOUT_MS", 2000, 50, 600000);
	cfg.bank_retries = (uint32_t) sn_config_int(
	    "SN_DISBURSEMENT_BANK_RETRIES", 5, 0, 100);
	cfg.inflight
	    = (int) sn_config_int("SN_DISBURSEMENT_INFLIGHT", 4, 1, 64);
	cfg.poll_ms = (uint32_t) sn_config_int(
	    "SN_DISBURSEMENT_POLL_MS", 200, 10, 60000);
	cfg.idle_ms = (uint32_t) sn_config_int(
	    "SN_DISBURSEMENT_IDLE_MS", 5000, 10, 600000);
	cfg.build_chunk = (int) sn_config_int(
	    "SN_DISBURSEMENT_BUILD_CHUNK", 10000, 100, 1000000);
	cfg.retry_ms = (uint64_t) sn_config_int(
	    "SN_DISBURSEMENT_RETRY_MS", 60000, 10, 86400000);
	cfg.retry_max_ms = (uint64_t) sn_config_int(
	    "SN_DISBURSEMENT_RETRY_MAX_MS", 3600000, 10, 86400000);
	return sn_service_main(argc, argv, &def);
}
