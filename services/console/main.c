/*
 * console: the staff console's one origin (issue 17; console.h). Serves
 * the web application (console/web) and forwards /api/<service>/<path>
 * to the services named in SN_CONSOLE_SERVICES whose
 * SN_<SERVICE>_HTTP_URL is set. Runs on sn_service_main for /healthz,
 * /readyz, /metrics; it has no tables of its own (sn_service_main still
 * gives it a schema with the built-in ones). Wiring only.
 */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "sn/config.h"
#include "sn/service.h"

#ifndef SN_CONSOLE_ROOT_DEFAULT
#define SN_CONSOLE_ROOT_DEFAULT "console/web"
#endif

#define API (SN_HTTP_PUBLIC | SN_HTTP_RAW_BODY | SN_HTTP_REST)

/* Every service checks its own tokens: the console's routes are public
 * and pass the Authorization header on. */
static const sn_http_route_def routes[] = {
	{ "GET", "/", SN_HTTP_PUBLIC, NULL, console_file },
	{ "GET", "/{file}", SN_HTTP_PUBLIC | SN_HTTP_REST, NULL,
	    console_file },
	{ "GET", "/api/{service}/{path}", API, NULL, console_forward },
	{ "POST", "/api/{service}/{path}", API, NULL, console_forward },
	{ "PUT", "/api/{service}/{path}", API, NULL, console_forward },
	{ "PATCH", "/api/{service}/{path}", API, NULL, console_forward },
	{ "DELETE", "/api/{service}/{path}", API, NULL, console_forward },
};

static const sn_setting_doc settings[] = {
	{ "SN_CONSOLE_ROOT",
	    "folder of the web application (default: console/web of the "
	    "source tree)" },
	{ "SN_CONSOLE_SERVICES",
	    "services /api/<name>/ may reach, comma-separated (default: "
	    "identity,intake,verification,investigation,approval,emergency,"
	    "disbursement,bank-gateway,supervision,services); each needs "
	    "SN_<NAME>_HTTP_URL, else it is left out" },
	{ "SN_<NAME>_HTTP_URL", "a service's API, http:// or https://" },
	{ "SN_CONSOLE_TIMEOUT_MS",
	    "one forwarded request's limit, 100-600000 (default 30000)" },
	{ NULL, NULL },
};

static console_config cfg;
static console       *con;

static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	sn_err err = console_open(&con, svc, &cfg);
	if (err != SN_OK)
		return err;
	sn_service_set_route_arg(svc, con);
	return SN_OK;
}

static void
teardown(sn_service *svc, void *arg)
{
	(void) svc;
	(void) arg;
	console_close(con);
	con = NULL;
}

static void
read_settings(void)
{
	const char *list = sn_config_str("SN_CONSOLE_SERVICES",
	    "identity,intake,verification,investigation,approval,emergency,"
	    "disbursement,bank-gateway,supervision,services");
	char        name[32], key[64];
	const char *p = list;

	cfg.root = sn_config_str("SN_CONSOLE_ROOT", SN_CONSOLE_ROOT_DEFAULT);
	cfg.timeout_ms = (uint32_t) sn_config_int(
	    "SN_CONSOLE_TIMEOUT_MS", 30000, 100, 600000);
	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t      n = e != NULL ? (size_t) (e - p) : strlen(p);

		if (n == 0 || n >= sizeof(name))
			sn_config_fail("SN_CONSOLE_SERVICES",
			    "names of 1-31 characters, comma-separated", list);
		memcpy(name, p, n);
		name[n]  = '\0';
		size_t k = (size_t) snprintf(key, sizeof(key), "SN_");
		for (size_t i = 0; i < n; i++) {
			char ch = name[i];
			if (ch == '-')
				ch = '_';
			else if (ch >= 'a' && ch <= 'z')
				ch = (char) (ch - 'a' + 'A');
			else if (!((ch >= 'A' && ch <= 'Z')
			             || (ch >= '0' && ch <= '9') || ch == '_'))
				sn_config_fail("SN_CONSOLE_SERVICES",
				    "names of a-z 0-9 - _", list);
			key[k++] = ch;
		}
		snprintf(key + k, sizeof(key) - k, "_HTTP_URL");
		const char *url = sn_config_str(key, "");
		if (url[0] != '\0') {
			size_t ul = strlen(url);
			if ((strncmp(url, "http://", 7) != 0
			        && strncmp(url, "https://", 8) != 0)
			    || ul >= sizeof(cfg.peers[0].url))
				sn_config_fail(
				    key, "an http:// or https:// URL", url);
			if (cfg.npeers == CONSOLE_MAX_PEERS)
				sn_config_fail("SN_CONSOLE_SERVICES",
				    "at most 32 services", list);
			console_peer *pe = &cfg.peers[cfg.npeers++];
			snprintf(pe->name, sizeof(pe->name), "%s", name);
			while (ul > 0 && url[ul - 1] == '/')
				ul--;
			memcpy(pe->url, url, ul);
			pe->url[ul] = '\0';
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

int
main(int argc, char **argv)
{
	static const sn_service_def def = { .openapi = sn_openapi_document,
		.name                                = "console",
		.setup                               = setup,
		.teardown                            = teardown,
		.routes                              = routes,
		.nroutes       = sizeof(routes) / sizeof(routes[0]),
		.settings      = settings,
		.read_settings = read_settings };
	return sn_service_main(argc, argv, &def);
}
