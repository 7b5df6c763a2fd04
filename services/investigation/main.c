/*
 * investigation - home-visit tasks and reports (入户调查); see handlers.h
 * for the events and the API. Wiring only.
 *
 * Settings: those of sn/service.h (it follows intake and approval and
 * publishes as "investigation"; SN_TOKEN_PUBLIC_KEY is required; its dates are
 * the district clock's, SN_DISTRICT_UTC_OFFSET_MIN), and the table below.
 */
#include "handlers.h"
#include "sn/config.h"
#include "store.h"

static const sn_setting_doc settings[] = {
	{ "SN_INVESTIGATION_METRICS_MS",
	    "how often the open-task gauge is read from the database, "
	    "100-600000 (default 5000)" },
	{ NULL, NULL },
};

static investigation        inv;
static investigation_config cfg;

static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	cfg.metrics_ms = (uint32_t) sn_config_int(
	    "SN_INVESTIGATION_METRICS_MS", 5000, 100, 600000);
	return investigation_init(&inv, svc, &cfg);
}

int
main(int argc, char **argv)
{
	static const char *const    follows[] = { "intake", "approval", NULL };
	static const sn_service_def def = { .openapi = sn_openapi_document,
		.name                                = "investigation",
		.publishes                           = true,
		.needs_auth                          = true,
		.needs_seal                          = true,
		.follows                             = follows,
		.setup                               = setup,
		.routes                              = investigation_routes,
		.nroutes                             = INVESTIGATION_NROUTES,
		.settings                            = settings,
		.seal_columns    = investigation_store_seal_columns,
		.nseal_columns   = INVESTIGATION_NSEAL_COLUMNS,
		.seal_documents  = investigation_store_seal_documents,
		.nseal_documents = INVESTIGATION_NSEAL_DOCUMENTS };
	return sn_service_main(argc, argv, &def);
}
