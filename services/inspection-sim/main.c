/*
 * inspection-sim: the simulator of the district discipline-inspection
 * commission's "12388" reporting platform (issue 12; design section 1),
 * for the local run and the tests, replaced by the real platform through
 * supervision's SN_INSPECTION_URL alone. HTTPS + JSON: citizens' tips
 * in, partners' signed requests (sign.h) for the tips and for delivering
 * cases and outcomes (handlers.h). Runs on sn_service_main (no bus) for
 * /healthz, /readyz, /metrics and its own schema (default
 * inspection_sim). Wiring only.
 *
 * Settings: the table below, besides sn/service.h's.
 */
#include <string.h>

#include "handlers.h"
#include "sn/config.h"
#include "sn/loop.h"
#include "sn/service.h"

static const sn_http_route_def routes[] = {
	{ "GET", "/v1/tips", SN_HTTP_PUBLIC, NULL, inspection_sim_tips_get },
	{ "POST", "/v1/tips", SN_HTTP_PUBLIC | SN_HTTP_IDEMPOTENT, NULL,
	    inspection_sim_tips_post },
	{ "GET", "/v1/cases", SN_HTTP_PUBLIC, NULL, inspection_sim_cases_get },
	{ "PUT", "/v1/cases/{id}", SN_HTTP_PUBLIC, NULL,
	    inspection_sim_case_put },
	{ "PUT", "/v1/cases/{id}/outcome", SN_HTTP_PUBLIC, NULL,
	    inspection_sim_outcome_put },
	{ "PUT", "/sim/control", SN_HTTP_PUBLIC, NULL,
	    inspection_sim_control_put },
};

static const sn_setting_doc settings[] = {
	{ "SN_INSPECTION_KEY",
	    "the key partners sign with, 64 hex (required; give it as "
	    "SN_INSPECTION_KEY_FILE)" },
	{ "SN_INSPECTION_KEY_ID", "the key's id (default k1)" },
	{ "SN_INSPECTION_SIM_UNAVAILABLE",
	    "1: the partner API starts answering 503 (PUT /control turns "
	    "it back; default 0)" },
	{ NULL, NULL },
};

static inspection_sim_config cfg;
static inspection_sim       *sim;

static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	sn_err err = inspection_sim_open(&sim, svc, &cfg);
	if (err != SN_OK)
		return err;
	sn_service_set_route_arg(svc, sim);
	return SN_OK;
}

static void
read_settings(void)
{
	const char *key = sn_config_str("SN_INSPECTION_KEY", NULL);
	if (!inspection_sign_key(key, cfg.key))
		sn_config_fail(
		    "SN_INSPECTION_KEY", "64 hex digits", "(hidden)");
	cfg.key_id = sn_config_str("SN_INSPECTION_KEY_ID", "k1");
	if (strlen(cfg.key_id) > 63)
		sn_config_fail("SN_INSPECTION_KEY_ID", "at most 63 characters",
		    cfg.key_id);
	cfg.unavailable
	    = sn_config_bool("SN_INSPECTION_SIM_UNAVAILABLE", false);
}

int
main(int argc, char **argv)
{
	static const sn_service_def def = { .openapi = sn_openapi_document,
		.name                                = "inspection-sim",
		.setup                               = setup,
		.routes                              = routes,
		.nroutes       = sizeof(routes) / sizeof(routes[0]),
		.settings      = settings,
		.read_settings = read_settings };
	int                         rc  = sn_service_main(argc, argv, &def);
	/* after the loop: a transaction ended by the pool's close may still
	 * have counted on it */
	inspection_sim_close(sim);
	return rc;
}
