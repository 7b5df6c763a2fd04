/*
 * approval: cases, the 15-day clock, classification, the review, confirm
 * and file steps, the beneficiary register and policy standards (issue 3).
 * Events, routes and behaviour: handlers.h. Wiring only: its own settings
 * (below, and `approval --help`), the route table, sn_service_main.
 */
#include "handlers.h"
#include "sn/config.h"
#include "store.h"

static const sn_setting_doc settings[] = {
	{ "SN_CASE_DEADLINE_DAYS",
	    "days from acceptance to the confirmation deadline, 1-365 "
	    "(default 15)" },
	{ "SN_APPROVAL_OVERDUE_CHECK_MS",
	    "period of the overdue clock, of the re-rating check and of "
	    "the stage gauges, "
	    "10-3600000 (default 60000)" },
	{ NULL, NULL },
};

static approval_config cfg;

/* Reads the settings (here, so that --help, --version, --routes and
 * --probe, which sn_service_main answers before setup, need none; a bad
 * one exits 2) and sets approval up. */
static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	cfg.deadline_days = sn_config_int("SN_CASE_DEADLINE_DAYS", 15, 1, 365);
	cfg.overdue_check_ms = sn_config_int(
	    "SN_APPROVAL_OVERDUE_CHECK_MS", 60000, 10, 3600000);
	return approval_setup(svc, &cfg);
}

int
main(int argc, char **argv)
{
	static const char *const follows[]
	    = { "intake", "verification", "investigation", "disbursement",
		      NULL }; /* disbursement: issue 10, payments seen */
	sn_service_def def = { .openapi = sn_openapi_document,
		.name                   = "approval",
		.publishes              = true,
		.needs_auth             = true,
		.needs_seal             = true,
		.seal_columns           = approval_sealed_columns,
		.nseal_columns          = approval_sealed_ncolumns,
		.follows                = follows,
		.setup                  = setup,
		.routes                 = approval_routes,
		.nroutes                = approval_nroutes,
		.settings               = settings };
	return sn_service_main(argc, argv, &def);
}
