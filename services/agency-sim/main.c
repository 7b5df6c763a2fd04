/*
 * agency-sim: one process that answers as all eight agencies over the
 * agency protocol (sn/agency/v1/agency.proto, NNG req/rep), for the local
 * run and the tests. A real agency adapter replaces it by its URL alone.
 * Runs on sn_service_main for /healthz, /readyz and /metrics and its own
 * schema (default agency_sim); see server.h for the answers and the
 * metrics, records.h for the records. It publishes as "agency-sim"
 * (SN_AGENCY_SIM_PUB_URL, SN_AGENCY_SIM_REPLAY_URL, both required) the
 * agencies' notices (agency.notice, notices.h: POST /notices) and follows
 * nobody.
 *
 * Settings: describe_settings below (besides sn/service.h's;
 * `agency-sim --help` prints them all); a bad or missing one exits 2.
 * <AGENCY> in their names is PUBLIC_SECURITY, HUMAN_RESOURCES, HOUSING,
 * VEHICLES, MARKET, TAX, BANKS or PROVIDENT_FUND.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notices.h"
#include "records.h"
#include "server.h"
#include "sn/config.h"
#include "sn/log.h"
#include "sn/service.h"

static agency_sim_config   cfg;
static agency_sim_fixture *fixture;
static agency_sim_server  *server;
static agency_sim_overlay *overlay;
static agency_sim_notices *notices;
static const char         *fixture_path;

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, len = 0;
	char  *buf = malloc(cap);
	size_t n;
	while (
	    buf != NULL && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			char *bigger = realloc(buf, cap * 2);
			if (bigger == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	if (fixture_path != NULL) {
		char *text = read_file(fixture_path);
		char  err[256];
		if (text == NULL) {
			sn_log(SN_LOG_ERROR, "cannot read the fixture", "path",
			    fixture_path, NULL);
			return SN_EIO;
		}
		sn_err e = agency_sim_fixture_parse(
		    text, &fixture, err, sizeof(err));
		free(text);
		/* The parse's JSON tree is gone, but glibc kept its heap:
		 * 139 MiB resident while idle with the 30,000 households'
		 * records, which the entries themselves need a fraction of.
		 * Hand it back. */
		(void) malloc_trim(0);
		if (e != SN_OK) {
			sn_log(SN_LOG_ERROR, "bad fixture", "path",
			    fixture_path, "error", err, NULL);
			return e;
		}
		char n[24];
		snprintf(
		    n, sizeof(n), "%zu", agency_sim_fixture_count(fixture));
		sn_log(SN_LOG_INFO, "fixture loaded", "records", n, NULL);
	}
	overlay = agency_sim_overlay_new();
	if (overlay == NULL) {
		agency_sim_fixture_free(fixture);
		fixture = NULL;
		return SN_ENOMEM;
	}
	cfg.fixture = fixture;
	cfg.overlay = overlay;
	sn_err e    = agency_sim_notices_open(&notices, svc, overlay);
	if (e == SN_OK)
		e = agency_sim_server_open(&server, sn_service_loop(svc),
		    sn_service_metrics(svc), &cfg);
	if (e == SN_OK)
		sn_service_set_route_arg(svc, notices);
	else {
		agency_sim_fixture_free(fixture);
		fixture = NULL;
	}
	return e;
}

static void
teardown(sn_service *svc, void *arg)
{
	(void) svc;
	(void) arg;
	agency_sim_server_close(server);
	server = NULL;
	agency_sim_fixture_free(fixture);
	fixture = NULL;
	/* notices and overlay stay until every handle is closed: a
	 * transaction or a timer may still call them (main frees them). */
}

static const sn_http_route_def routes[] = {
	{ "POST", "/notices", SN_HTTP_PUBLIC | SN_HTTP_IDEMPOTENT, NULL,
	    agency_sim_notices_post },
	{ "GET", "/notices", SN_HTTP_PUBLIC, NULL, agency_sim_notices_list },
};

/* The settings for --help: four per agency, then the simulator's own;
 * filled by main before anything reads them. */
static char           names[AGENCY_SIM_NAGENCIES][4][64];
static sn_setting_doc settings[AGENCY_SIM_NAGENCIES * 4 + 3];

static void
describe_settings(void)
{
	static const char *const pre[4]
	    = { "SN_AGENCY_", "SN_AGENCY_SIM_SLOW_MS_", "SN_AGENCY_SIM_FAIL_",
		      "SN_AGENCY_SIM_DOWN_" };
	static const char *const doc[4] = {
		"where this agency listens (required)",
		"delay before each answer, ms, 0-600000 (default 0)",
		"1: answer REPLY_ERROR (default 0)",
		"1: never answer (default 0)",
	};
	size_t n = 0;
	for (int i = 0; i < AGENCY_SIM_NAGENCIES; i++)
		for (int k = 0; k < 4; k++) {
			snprintf(names[i][k], sizeof(names[i][k]), "%s%s%s",
			    pre[k], agency_sim_agency_env(i),
			    k == 0 ? "_URL" : "");
			settings[n++]
			    = (sn_setting_doc) { names[i][k], doc[k] };
		}
	settings[n++] = (sn_setting_doc) { "SN_AGENCY_SIM_FIXTURE",
		"JSON file of exact records by identity number (optional)" };
	settings[n++] = (sn_setting_doc) { "SN_AGENCY_SIM_CONTEXTS",
		"requests served at once per agency, 1-4096 (default 256)" };
	settings[n]   = (sn_setting_doc) { NULL, NULL };
}

static void
read_settings(void)
{
	for (int i = 0; i < AGENCY_SIM_NAGENCIES; i++) {
		cfg.agencies[i].url = sn_config_url(names[i][0], NULL);
		cfg.agencies[i].slow_ms
		    = (uint32_t) sn_config_int(names[i][1], 0, 0, 600000);
		cfg.agencies[i].fail = sn_config_bool(names[i][2], false);
		cfg.agencies[i].down = sn_config_bool(names[i][3], false);
	}
	cfg.contexts
	    = (int) sn_config_int("SN_AGENCY_SIM_CONTEXTS", 256, 1, 4096);
	fixture_path = sn_config_str("SN_AGENCY_SIM_FIXTURE", "");
	if (fixture_path[0] == '\0')
		fixture_path = NULL;
}

int
main(int argc, char **argv)
{
	static const sn_service_def def = { .openapi = sn_openapi_document,
		.name                                = "agency-sim",
		.publishes                           = true,
		.setup                               = setup,
		.teardown                            = teardown,
		.routes                              = routes,
		.nroutes       = sizeof(routes) / sizeof(routes[0]),
		.settings      = settings,
		.read_settings = read_settings };
	describe_settings();
	int status = sn_service_main(argc, argv, &def);
	agency_sim_notices_close(notices);
	agency_sim_overlay_free(overlay);
	return status;
}
