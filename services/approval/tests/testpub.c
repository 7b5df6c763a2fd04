/*
 * approval-testpub: a tiny generic publisher for approval's integration
 * tests.
 *
 *   approval-testpub --name NAME
 *
 * Runs as service NAME (settings of sn/service.h; its publisher name is
 * NAME, so three of them stand in for "intake", "verification" and
 * "investigation") and serves one route:
 *   POST /publish {"type", "subject", "actor", "data_hex"}  (public,
 *        Idempotency-Key required)
 * which appends the event (data_hex: the event's protobuf, built by the
 * test, in hex) to its outbox in one transaction and answers 201. The bus
 * then publishes it like any other event. Its migrations folder is empty
 * (tests/pub_schema) so that it never applies a real service's schema.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/service.h"

#ifndef APPROVAL_TESTPUB_SCHEMA_DIR
#define APPROVAL_TESTPUB_SCHEMA_DIR "services/approval/tests/pub_schema"
#endif

static sn_service *svc_g;

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
publish_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	(void) arg;
	json_t     *b   = sn_http_json(req);
	const char *hex = json_string_value(json_object_get(b, "data_hex"));
	size_t      n   = strlen(hex) / 2;
	uint8_t    *buf = malloc(n + 1);
	if (buf == NULL) {
		sn_http_tx_fail(
		    req, tx, 503, "unavailable", "no memory", NULL);
		return;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t) (hexval(hex[2 * i]) << 4
		    | hexval(hex[2 * i + 1]));
	sn_event_out ev  = { .type
		 = json_string_value(json_object_get(b, "type")),
		 .subject = json_string_value(json_object_get(b, "subject")),
		 .actor   = json_string_value(json_object_get(b, "actor")),
		 .schema_version = 1,
		 .data           = buf,
		 .len            = n };
	sn_err       err = sn_bus_append(sn_service_bus(svc_g), tx, &ev);
	free(buf);
	if (err != SN_OK) {
		sn_http_tx_fail(
		    req, tx, 503, "unavailable", sn_strerror(err), NULL);
		return;
	}
	sn_http_tx_reply(req, tx, 201, json_pack("{s:b}", "appended", 1));
}

static void
on_publish(sn_http_req *req, void *arg)
{
	(void) arg;
	json_t     *b      = sn_http_json(req);
	const char *keys[] = { "type", "subject", "actor", "data_hex" };
	for (int i = 0; i < 4; i++) {
		if (!json_is_string(json_object_get(b, keys[i]))) {
			sn_http_reply_error(req, 400, "invalid_field",
			    "a string is expected", keys[i]);
			return;
		}
	}
	const char *hex = json_string_value(json_object_get(b, "data_hex"));
	size_t      len = strlen(hex);
	for (size_t i = 0; i < len; i++)
		if (hexval(hex[i]) < 0) {
			sn_http_reply_error(req, 400, "invalid_field",
			    "lower-case hex expected", "data_hex");
			return;
		}
	if (len % 2 != 0) {
		sn_http_reply_error(req, 400, "invalid_field",
		    "an even number of hex digits expected", "data_hex");
		return;
	}
	sn_http_tx(req, publish_begin, NULL);
}

static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	svc_g = svc;
	return sn_http_route(sn_service_http(svc), "POST", "/publish",
	    SN_HTTP_PUBLIC | SN_HTTP_IDEMPOTENT, NULL, on_publish, NULL);
}

int
main(int argc, char **argv)
{
	const char *name = "testpub";
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
	sn_service_def def = { .name = name,
		.publishes           = true,
		.setup               = setup,
		.schema_dir          = APPROVAL_TESTPUB_SCHEMA_DIR };
	return sn_service_main(argc, argv, &def);
}
