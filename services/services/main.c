/*
 * services - special-assistance referrals to the leading group's member
 * departments and the catalogue of service projects ("资源+服务", issue
 * 13); see services.h. Wiring only.
 *
 * Settings: those of sn/service.h (it publishes as "services" and follows
 * "intake", "approval" and "emergency"; SN_TOKEN_PUBLIC_KEY is required;
 * the district's days come from SN_DISTRICT_UTC_OFFSET_MIN through
 * sn/clock.h), and the table below.
 */
#include <string.h>

#include "catalogue.h"
#include "enrol.h"
#include "households.h"
#include "referrals.h"
#include "registry.h"
#include "services.h"
#include "sn/config.h"
#include "sn/log.h"

#ifndef SERVICES_SEED_DIR
#define SERVICES_SEED_DIR "seed"
#endif

static const sn_setting_doc settings[] = {
	{ "SN_SERVICES_SEED_DIR",
	    "folder of departments.json and projects.json, the registry and "
	    "catalogue loaded at start (default: the source tree's "
	    "services/services/seed)" },
	{ "SN_SERVICES_REFER_CATEGORIES",
	    "categories whose decisions are referred to special assistance "
	    "automatically, comma-separated (default expenditure,low_income: "
	    "the edge tier)" },
	{ "SN_SERVICES_OVERDUE_SCAN_MS",
	    "how often referrals past their deadline are looked for, ms, "
	    "50-86400000 (default 60000)" },
	{ NULL, NULL },
};

static services srv;

/* Staff who change the catalogue, who enrol, who read households and
 * enrolments. */
#define CATALOGUE_EDITORS "district_officer,district_admin"
#define ENROLERS "clerk,township_officer,district_officer"
#define HOUSEHOLD_READERS ENROLERS ",district_admin"
#define ENROLMENT_READERS HOUSEHOLD_READERS ",supervisor"

/* Who reads referrals and households (staff within their jurisdiction,
 * department users their own department's), who refers, who notes
 * needs. */
#define REFERRAL_READERS SERVICES_STAFF_ROLES ",department"
#define REFERRERS "clerk,township_officer,emergency_officer,district_officer"
#define NEED_NOTERS "clerk,investigator,township_officer"

static const sn_http_route_def routes[] = {
	{ "POST", "/projects", SN_HTTP_IDEMPOTENT, CATALOGUE_EDITORS,
	    services_catalogue_post },
	{ "GET", "/projects", 0, NULL, services_catalogue_list },
	{ "GET", "/projects/{code}", 0, NULL, services_catalogue_get },
	{ "PUT", "/projects/{code}", SN_HTTP_IDEMPOTENT, CATALOGUE_EDITORS,
	    services_catalogue_put },
	{ "POST", "/projects/{code}/closure", SN_HTTP_IDEMPOTENT,
	    CATALOGUE_EDITORS, services_catalogue_close },
	{ "GET", "/households/{id}/matches", 0, HOUSEHOLD_READERS,
	    services_enrol_matches },
	{ "POST", "/enrolments", SN_HTTP_IDEMPOTENT, ENROLERS,
	    services_enrol_post },
	{ "GET", "/enrolments", 0, ENROLMENT_READERS ",partner",
	    services_enrol_list },
	{ "GET", "/enrolments/{id}", 0, ENROLMENT_READERS ",partner",
	    services_enrol_get },
	{ "POST", "/enrolments/{id}/sessions", SN_HTTP_IDEMPOTENT, "partner",
	    services_enrol_session },
	{ "POST", "/enrolments/{id}/end", SN_HTTP_IDEMPOTENT,
	    ENROLERS ",partner", services_enrol_end },
	{ "GET", "/statistics/enrolments", 0, ENROLMENT_READERS,
	    services_enrol_figures },
	/* Referrals (referrals.h, households.h). */
	{ "GET", "/departments", 0, NULL, services_registry_get },
	{ "GET", "/department-referrals", 0, REFERRAL_READERS,
	    services_referrals_list },
	{ "POST", "/department-referrals", SN_HTTP_IDEMPOTENT, REFERRERS,
	    services_referrals_post },
	{ "GET", "/department-referrals/{id}", 0, REFERRAL_READERS,
	    services_referrals_get },
	{ "POST", "/department-referrals/{id}/answer", SN_HTTP_IDEMPOTENT,
	    "department", services_referrals_answer },
	{ "GET", "/statistics/referrals", 0, REFERRAL_READERS,
	    services_referrals_statistics },
	{ "GET", "/households/{id}", 0, REFERRAL_READERS,
	    services_households_get },
	{ "POST", "/households/{id}/needs", SN_HTTP_IDEMPOTENT, NEED_NOTERS,
	    services_households_need_post },
	{ "DELETE", "/households/{id}/needs/{need}", SN_HTTP_IDEMPOTENT,
	    NEED_NOTERS, services_households_need_delete },
	{ NULL, NULL, 0, NULL, NULL },
};

static sn_err
setup(sn_service *svc, void *arg)
{
	sn_err err;

	(void) arg;
	srv.svc     = svc;
	srv.db      = sn_service_db(svc);
	srv.bus     = sn_service_bus(svc);
	srv.http    = sn_service_http(svc);
	srv.metrics = sn_service_metrics(svc);
	srv.cfg.seed_dir
	    = sn_config_str("SN_SERVICES_SEED_DIR", SERVICES_SEED_DIR);
	srv.cfg.refer_categories = sn_config_str(
	    "SN_SERVICES_REFER_CATEGORIES", "expenditure,low_income");
	srv.cfg.overdue_scan_ms = (uint32_t) sn_config_int(
	    "SN_SERVICES_OVERDUE_SCAN_MS", 60000, 50, 86400000);
	sn_service_set_route_arg(svc, &srv);
	if ((err = services_referrals_setup(&srv)) != SN_OK)
		return err;
	if ((err = services_catalogue_setup(&srv)) != SN_OK)
		return err;
	return SN_OK;
}

static void
teardown(sn_service *svc, void *arg)
{
	(void) svc;
	(void) arg;
	services_catalogue_teardown(&srv);
}

int
main(int argc, char **argv)
{
	static const char *const follows[]
	    = { "intake", "approval", "emergency", NULL };
	const sn_service_def def = { .openapi = sn_openapi_document,
		.name                         = "services",
		.publishes                    = true,
		.needs_auth                   = true,
		.follows                      = follows,
		.setup                        = setup,
		.teardown                     = teardown,
		.arg                          = &srv,
		.routes                       = routes,
		.nroutes  = sizeof(routes) / sizeof(routes[0]) - 1,
		.settings = settings };
	return sn_service_main(argc, argv, &def);
}
