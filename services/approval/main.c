/*
 * approval: cases, the 15-day clock, classification, the review, confirm
 * and file steps, the beneficiary register and policy standards (issue 3).
 * Events, routes and behaviour: handlers.h. Wiring only: its own settings
 * (below, and `approval --help`), the route table, sn_service_main.
 */
#include "handlers.h"
#include "sn/config.h"

static const sn_setting_doc settings[] = {
	{ "SN_CASE_DEADLINE_DAYS",
	    "days from acceptance to the confirmation deadline, 1-365 "
	    "(default 15)" },
	{ "SN_APPROVAL_OVERDUE_CHECK_MS",
	    "period of the overdue clock and of the stage gauges, "
	    "10-3600000 (default 60000)" },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	static const char *const follows[]
	    = { "intake", "verification", "investigation", NULL };
	approval_config cfg = { 0 };
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1] == '-')
			goto run; /* --help, --probe ... need no settings */
	cfg.deadline_days = sn_config_int("SN_CASE_DEADLINE_DAYS", 15, 1, 365);
	cfg.overdue_check_ms = sn_config_int(
	    "SN_APPROVAL_OVERDUE_CHECK_MS", 60000, 10, 3600000);
run:;
	sn_service_def def = { .name = "approval",
		.publishes           = true,
		.needs_auth          = true,
		.follows             = follows,
		.setup               = approval_setup,
		.arg                 = &cfg,
		.routes              = approval_routes,
		.nroutes             = approval_nroutes,
		.settings            = settings };
	return sn_service_main(argc, argv, &def);
}
