/*
 * sn-testcert: the smallest service with a client-certificate route, for
 * tests/tls's client_cert scenario (sn/http.h, SN_HTTP_CLIENT_CERT). It
 * runs as service "testcert" through sn_service_main, so that its HTTP
 * server, its TLS settings (SN_TLS_CERT_FILE, SN_TLS_KEY_FILE,
 * SN_HTTP_CLIENT_CA_FILE) and its start-up log are a service's own.
 *
 *   GET /bank/ping   SN_HTTP_CLIENT_CERT: 200 {"bank": "ok"}
 *   GET /staff/ping  any valid bearer token: 200 {"bank": "ok"}
 * besides the built-in public /healthz, /readyz and /metrics.
 */
#include <jansson.h>

#include "sn/service.h"

static void
on_ping(sn_http_req *req, void *arg)
{
	(void) arg;
	sn_http_reply_json(req, 200, json_pack("{s:s}", "bank", "ok"));
}

static const sn_http_route_def routes[] = {
	{ "GET", "/bank/ping", SN_HTTP_CLIENT_CERT, NULL, on_ping },
	{ "GET", "/staff/ping", 0, NULL, on_ping },
};

int
main(int argc, char **argv)
{
	sn_service_def def = { .name = "testcert",
		.needs_auth          = true,
		.routes              = routes,
		.nroutes             = sizeof(routes) / sizeof(routes[0]) };
	return sn_service_main(argc, argv, &def);
}
