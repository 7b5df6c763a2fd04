/*
 * emergency - the emergency fast-response fund ("救急难", issue 4):
 * township reserve funds, emergency grants, referrals. See handlers.h for
 * the API and the events.
 *
 * Settings: those of sn/service.h (it publishes as "emergency" and
 * follows "disbursement", "intake" and "approval"; SN_TOKEN_PUBLIC_KEY is
 * required; the district's days, months and years come from
 * SN_DISTRICT_UTC_OFFSET_MIN through sn/clock.h), and the two below.
 */
#include "handlers.h"
#include "rules.h"
#include "sealed.h"
#include "sn/config.h"

static emergency em;

static const sn_setting_doc settings[] = {
	{ "SN_EMERGENCY_GRANT_LIMIT_FEN",
	    "per-grant limit of every township's fund, fen: grants above it "
	    "wait for a district approver (default 300000; 1..100000000)" },
	{ "SN_EMERGENCY_WINDOW_DAYS",
	    "rolling window, days, in which grants to one person or household "
	    "add up against the per-grant limit (default 30; 1..366)" },
	{ "SN_EMERGENCY_INSTALMENTS_MAX",
	    "most monthly instalments of transitional aid (default 6; "
	    "2..24)" },
	{ "SN_EMERGENCY_INSTALMENT_MS",
	    "how often instalments that fell due are published, ms (default "
	    "60000; 100..3600000)" },
	{ "SN_EMERGENCY_METRICS_MS",
	    "how often the balance and status gauges are read from the "
	    "database, ms (default 5000; 100..600000)" },
	{ NULL, NULL },
};

/* Reads the settings here rather than before sn_service_main, so that
 * --help and --version need none. */
static sn_err
setup(sn_service *svc, void *arg)
{
	emergency_config cfg;
	cfg.grant_limit_fen = sn_config_int("SN_EMERGENCY_GRANT_LIMIT_FEN",
	    EMERGENCY_GRANT_LIMIT_DEFAULT, 1, EMERGENCY_AMOUNT_MAX);
	cfg.window_days = (int32_t) sn_config_int("SN_EMERGENCY_WINDOW_DAYS",
	    EMERGENCY_WINDOW_DAYS_DEFAULT, 1, EMERGENCY_WINDOW_DAYS_MAX);
	cfg.instalments_max = sn_config_int("SN_EMERGENCY_INSTALMENTS_MAX",
	    EMERGENCY_INSTALMENTS_DEFAULT, 2, EMERGENCY_INSTALMENTS_LIMIT);
	cfg.metrics_ms      = (uint32_t) sn_config_int(
	         "SN_EMERGENCY_METRICS_MS", 5000, 100, 600000);
	cfg.instalment_ms = (uint32_t) sn_config_int(
	    "SN_EMERGENCY_INSTALMENT_MS", 60000, 100, 3600000);
	return emergency_init(arg, svc, &cfg);
}

static void
teardown(sn_service *svc, void *arg)
{
	(void) svc;
	emergency_fini(arg);
}

int
main(int argc, char **argv)
{
	static const char *const follows[]
	    = { "disbursement", "intake", "approval", NULL };
	const sn_service_def def = { .openapi = sn_openapi_document,
		.name                         = "emergency",
		.publishes                    = true,
		.needs_auth                   = true,
		.needs_seal                   = true,
		/* The grant's statements replanned on every execution (an
		 * array of the people's blind indexes); their generic plans
		 * were read with auto_explain: index scans (issue 15). */
		.generic_plans = true,
		.seal_columns  = emergency_sealed_columns,
		.nseal_columns = emergency_sealed_ncolumns,
		.follows       = follows,
		.setup         = setup,
		.teardown      = teardown,
		.arg           = &em,
		.routes        = emergency_routes,
		.nroutes       = emergency_nroutes,
		.settings      = settings };
	return sn_service_main(argc, argv, &def);
}
