/*
 * bank-gateway - between disbursement and the bank (issue 14):
 * disbursement's requests in (sn/bank/v1/bank.proto over NNG req/rep on
 * SN_BANK_URL), ISO 20022 to the bank (pain.001 out, pain.002 and
 * camt.054 in) over HTTPS with the client certificate, or through a
 * file-drop folder; the fund accounts from a file; the day's
 * reconciliation with the bank's statements. Runs on sn_service_main
 * (no publishing, no following) for /healthz, /readyz, /metrics and its
 * own schema (default bank_gateway). Wiring only: see gateway.h for the
 * requests and reconcile.h for the reconciliation.
 *
 * Settings: the table below (besides sn/service.h's; `bank-gateway
 * --help` prints them all). SN_TLS_CA_FILE, SN_TLS_CERT_FILE and
 * SN_TLS_KEY_FILE are also the bank's CA and the client certificate
 * presented to it (sn/httpc.h). A bad or missing setting, a fund file
 * that does not read, or XSDs that do not compile, exits 2 naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "funds.h"
#include "gateway.h"
#include "iso20022.h"
#include "reconcile.h"
#include "sn/config.h"
#include "sn/loop.h"
#include "sn/service.h"

#ifndef BG_SOURCE_DIR
#define BG_SOURCE_DIR "services/bank-gateway"
#endif

#define FINANCE "finance"
#define READERS "finance,finance_approver"

static const sn_http_route_def routes[] = {
	{ "POST", "/reconciliations", SN_HTTP_IDEMPOTENT, FINANCE,
	    bank_gateway_http_reconcile },
	{ "GET", "/reconciliations", 0, READERS,
	    bank_gateway_http_reconciliation },
	{ "GET", "/reconciliations/{date}/items", 0, READERS,
	    bank_gateway_http_items },
};

static const sn_setting_doc settings[] = {
	{ "SN_BANK_URL",
	    "where the gateway listens (required; the URL disbursement "
	    "dials)" },
	{ "SN_BANK_ISO_URL",
	    "the bank's ISO 20022 base URL, https://host:port/iso20022 "
	    "(exactly one of this and SN_BANK_DROP_DIR)" },
	{ "SN_BANK_ISO_PEER_NAME",
	    "the name the bank's certificate must carry (default the URL's "
	    "host)" },
	{ "SN_BANK_DROP_DIR",
	    "the file-drop folder instead: out/<MsgId>.xml written, in/*.xml "
	    "read" },
	{ "SN_BANK_GATEWAY_FUNDS",
	    "JSON file of the fund accounts (default "
	    "$SN_BANK_GATEWAY_SEED_DIR/funds.json, else the tree's "
	    "seed/funds.json)" },
	{ "SN_BANK_GATEWAY_SEED_DIR",
	    "folder of funds.json when SN_BANK_GATEWAY_FUNDS is unset" },
	{ "SN_BANK_GATEWAY_XSD_DIR",
	    "folder of the official XSDs (default the tree's xsd/)" },
	{ "SN_BANK_GATEWAY_BANK_TIMEOUT_MS",
	    "deadline of a pain.001 POST or a pain.002 GET to the bank, "
	    "100-600000 (default 10000)" },
	{ "SN_BANK_GATEWAY_STATEMENT_TIMEOUT_MS",
	    "deadline of a camt.054 GET (a day's statement of a fund "
	    "account), 100-3600000 (default 300000)" },
	{ "SN_BANK_GATEWAY_RECON_MS",
	    "period of the reconciliation of yesterday and today, "
	    "0-86400000, 0 none (default 3600000)" },
	{ "SN_BANK_GATEWAY_DROP_POLL_MS",
	    "period of reading the drop folder's in/, 10-600000 (default "
	    "1000)" },
	{ "SN_BANK_GATEWAY_CONTEXTS",
	    "requests served at once, 1-4096 (default 64)" },
	{ "SN_BANK_GATEWAY_MAX_REQUEST_BYTES",
	    "largest request, bytes (default 67108864)" },
	{ NULL, NULL },
};

static bank_gateway_config      cfg;
static bank_gateway            *gw;
static bank_gateway_funds      *funds;
static bank_gateway_iso_schema *schemas[3];

static void
on_stop(void *arg)
{
	(void) arg;
	bank_gateway_stop(gw);
}

static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	sn_err err = bank_gateway_open(&gw, svc, &cfg);
	if (err != SN_OK)
		return err;
	sn_service_set_route_arg(svc, bank_gateway_route_arg(gw));
	return sn_loop_on_stop(sn_service_loop(svc), on_stop, NULL);
}

static void
teardown(sn_service *svc, void *arg)
{
	(void) svc;
	(void) arg;
	bank_gateway_close(gw);
	gw = NULL;
}

static const char *
opt(const char *name)
{
	const char *v = sn_config_str(name, "");
	return v[0] != '\0' ? v : NULL;
}

static void
read_settings(void)
{
	static char funds_path[4096];
	char        why[BANK_GATEWAY_ISO_WHY_MAX];

	cfg.url       = sn_config_url("SN_BANK_URL", NULL);
	cfg.iso_url   = opt("SN_BANK_ISO_URL");
	cfg.drop_dir  = opt("SN_BANK_DROP_DIR");
	cfg.peer_name = opt("SN_BANK_ISO_PEER_NAME");
	if ((cfg.iso_url == NULL) == (cfg.drop_dir == NULL))
		sn_config_fail("SN_BANK_ISO_URL",
		    "exactly one of SN_BANK_ISO_URL (an https:// URL) and "
		    "SN_BANK_DROP_DIR",
		    cfg.iso_url != NULL ? "both" : "neither");
	if (cfg.iso_url != NULL && strncmp(cfg.iso_url, "https://", 8) != 0
	    && strncmp(cfg.iso_url, "http://", 7) != 0)
		sn_config_fail("SN_BANK_ISO_URL", "an https:// or http:// URL",
		    cfg.iso_url);
	cfg.bank_timeout_ms = (uint32_t) sn_config_int(
	    "SN_BANK_GATEWAY_BANK_TIMEOUT_MS", 10000, 100, 600000);
	/* A statement of 10,000 entries takes far longer than a pain.001
	 * answer: its own deadline, so that the one for payments can stay
	 * short. */
	cfg.statement_timeout_ms = (uint32_t) sn_config_int(
	    "SN_BANK_GATEWAY_STATEMENT_TIMEOUT_MS", 300000, 100, 3600000);
	cfg.recon_ms = (uint32_t) sn_config_int(
	    "SN_BANK_GATEWAY_RECON_MS", 3600000, 0, 86400000);
	cfg.drop_poll_ms = (uint32_t) sn_config_int(
	    "SN_BANK_GATEWAY_DROP_POLL_MS", 1000, 10, 600000);
	cfg.contexts
	    = (int) sn_config_int("SN_BANK_GATEWAY_CONTEXTS", 64, 1, 4096);
	cfg.max_request = (size_t) sn_config_int(
	    "SN_BANK_GATEWAY_MAX_REQUEST_BYTES", 64 << 20, 1024, 1 << 30);

	const char *seed = opt("SN_BANK_GATEWAY_SEED_DIR");
	snprintf(funds_path, sizeof funds_path, "%s/funds.json",
	    seed != NULL ? seed : BG_SOURCE_DIR "/seed");
	const char *path = sn_config_str("SN_BANK_GATEWAY_FUNDS", funds_path);
	char        fwhy[BANK_GATEWAY_FUNDS_WHY_MAX];
	if (bank_gateway_funds_load(path, &funds, fwhy) != SN_OK)
		sn_config_fail("SN_BANK_GATEWAY_FUNDS",
		    "a file of fund accounts (see funds.h)", fwhy);
	cfg.funds = funds;

	const char *xsd
	    = sn_config_str("SN_BANK_GATEWAY_XSD_DIR", BG_SOURCE_DIR "/xsd");
	bank_gateway_iso_init();
	for (int m = 0; m < 3; m++)
		if (bank_gateway_iso_schema_open(
		        xsd, (bank_gateway_iso_msg) m, &schemas[m], why)
		    != SN_OK)
			sn_config_fail("SN_BANK_GATEWAY_XSD_DIR",
			    "a folder holding the official XSDs", why);
	cfg.pain001 = schemas[BANK_GATEWAY_PAIN001];
	cfg.pain002 = schemas[BANK_GATEWAY_PAIN002];
	cfg.camt054 = schemas[BANK_GATEWAY_CAMT054];
}

int
main(int argc, char **argv)
{
	static const sn_service_def def = { .openapi = sn_openapi_document,
		.name                                = "bank-gateway",
		.needs_auth                          = true,
		.setup                               = setup,
		.teardown                            = teardown,
		.routes                              = routes,
		.nroutes  = sizeof(routes) / sizeof(routes[0]),
		.settings = settings };
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1] == '-')
			return sn_service_main(
			    argc, argv, &def); /* --help... */
	read_settings();
	int rc = sn_service_main(argc, argv, &def);
	for (int m = 0; m < 3; m++)
		bank_gateway_iso_schema_close(schemas[m]);
	bank_gateway_funds_free(funds);
	return rc;
}
