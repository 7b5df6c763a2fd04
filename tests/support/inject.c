/*
 * sn-inject: publishes given events as any publisher, for tests that need
 * another service's events before (or without) that service.
 *
 *   sn-inject --name PUBLISHER [--events FILE]
 *
 * Runs as service PUBLISHER (its settings are those of sn/service.h:
 * SN_DB_URL, SN_DB_SCHEMA, SN_HTTP_PORT, SN_<PUBLISHER>_PUB_URL and
 * SN_<PUBLISHER>_REPLAY_URL; no migrations of that service are applied,
 * only the bus's own tables). At start it appends every event of FILE to
 * its outbox in one transaction, then serves the stream (relay, replay,
 * heartbeats) until SIGTERM, exiting 0. Each line of FILE is
 *
 *   TOPIC SUBJECT ACTOR HEX
 *
 * separated by single spaces: the topic ("application.decided"), the
 * envelope subject, the actor, and the event's serialized protobuf in
 * hexadecimal ("-" for an empty payload). Empty lines and lines starting
 * with '#' are skipped; a malformed line exits 2 before anything is
 * appended. Running it again with a new FILE continues the same stream
 * (sequences come from the outbox), so a test injects in steps by
 * stopping one instance and starting the next; running it twice with the
 * same FILE appends the events twice.
 *
 * It also serves, while it runs, POST /publish {"type", "subject",
 * "actor", "data_hex"} (public; Idempotency-Key required), which appends
 * one event the same way and answers 201: a test that injects step by step
 * keeps one instance running and posts to it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/log.h"
#include "sn/service.h"

#define MAX_EVENTS 1024

struct event {
	char    *topic, *subject, *actor;
	uint8_t *data;
	size_t   len;
};

struct inject {
	sn_service  *svc;
	struct event ev[MAX_EVENTS];
	size_t       n;
	char        *text;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool unhex(const char *hex, size_t len, uint8_t *out);

static _Noreturn void
bad_line(size_t lineno, const char *why)
{
	fprintf(stderr, "sn-inject: line %zu: %s\n", lineno, why);
	exit(2);
}

/* Splits the file's text in place into events; exits 2 on a bad line. */
static void
parse(struct inject *in)
{
	size_t lineno = 0;
	char  *save   = NULL;
	for (char *line = strtok_r(in->text, "\n", &save); line != NULL;
	     line       = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (in->n == MAX_EVENTS)
			bad_line(lineno, "too many events");
		struct event *e = &in->ev[in->n];
		char         *f[4];
		char         *p = line;
		for (int i = 0; i < 4; i++) {
			f[i] = p;
			p    = i < 3 ? strchr(p, ' ') : NULL;
			if (i < 3) {
				if (p == NULL)
					bad_line(lineno,
					    "want TOPIC SUBJECT ACTOR HEX");
				*p++ = '\0';
			}
		}
		e->topic   = f[0];
		e->subject = f[1];
		e->actor   = f[2];
		if (e->topic[0] == '\0')
			bad_line(lineno, "empty topic");
		size_t hl = strlen(f[3]);
		if (strcmp(f[3], "-") == 0)
			hl = 0;
		if (hl % 2 != 0)
			bad_line(lineno, "odd number of hex digits");
		e->data = malloc(hl / 2 + 1);
		if (e->data == NULL)
			bad_line(lineno, "out of memory");
		if (!unhex(f[3], hl, e->data))
			bad_line(lineno, "not hexadecimal");
		e->len = hl / 2;
		in->n++;
	}
}

static void
append_begin(sn_tx *tx, void *arg)
{
	struct inject *in = arg;
	for (size_t i = 0; i < in->n; i++) {
		sn_event_out ev = { .type = in->ev[i].topic,
			.subject          = in->ev[i].subject,
			.actor            = in->ev[i].actor,
			.schema_version   = 1,
			.data             = in->ev[i].data,
			.len              = in->ev[i].len };
		sn_err err = sn_bus_append(sn_service_bus(in->svc), tx, &ev);
		if (err != SN_OK) {
			sn_tx_rollback(tx, err);
			return;
		}
	}
	sn_tx_commit(tx);
}

static void
append_done(sn_err err, void *arg)
{
	struct inject *in = arg;
	char           n[24];
	if (err != SN_OK) {
		if (sn_loop_stopping(sn_service_loop(in->svc)))
			return;
		sn_log(SN_LOG_WARN, "inject failed; retrying", "error",
		    sn_strerror(err), NULL);
		sn_db_tx(
		    sn_service_db(in->svc), append_begin, append_done, in);
		return;
	}
	snprintf(n, sizeof(n), "%zu", in->n);
	sn_log(SN_LOG_INFO, "events injected", "events", n, NULL);
}

/* Decodes hex (upper or lower case) into out, which holds len / 2 bytes;
 * false for an odd length or a non-hex digit. */
static bool
unhex(const char *hex, size_t len, uint8_t *out)
{
	if (len % 2 != 0)
		return false;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t) (hi * 16 + lo);
	}
	return true;
}

static void
publish_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	struct inject *in  = arg;
	json_t        *b   = sn_http_json(req);
	const char    *hex = json_string_value(json_object_get(b, "data_hex"));
	size_t         n   = strlen(hex) / 2;
	uint8_t       *buf = malloc(n + 1);
	if (buf == NULL) {
		sn_http_tx_fail(
		    req, tx, 503, "unavailable", "no memory", NULL);
		return;
	}
	unhex(hex, 2 * n, buf);
	sn_event_out ev = {
		.type    = json_string_value(json_object_get(b, "type")),
		.subject = json_string_value(json_object_get(b, "subject")),
		.actor   = json_string_value(json_object_get(b, "actor")),
		.schema_version = 1,
		.data           = buf,
		.len            = n,
	};
	sn_err err = sn_bus_append(sn_service_bus(in->svc), tx, &ev);
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
	uint8_t    *tmp = malloc(len / 2 + 1);
	bool        ok  = tmp != NULL && unhex(hex, len, tmp);
	free(tmp);
	if (!ok) {
		sn_http_reply_error(req, 400, "invalid_field",
		    "an even number of hex digits expected", "data_hex");
		return;
	}
	sn_http_tx(req, publish_begin, arg);
}

static sn_err
setup(sn_service *svc, void *arg)
{
	struct inject *in = arg;
	in->svc           = svc;
	if (in->n > 0)
		sn_db_tx(sn_service_db(svc), append_begin, append_done, in);
	return sn_http_route(sn_service_http(svc), "POST", "/publish",
	    SN_HTTP_PUBLIC | SN_HTTP_IDEMPOTENT, NULL, on_publish, in);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, len = 0;
	char  *buf = malloc(cap);
	for (;;) {
		if (buf == NULL)
			break;
		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0) {
			buf[len] = '\0';
			break;
		}
	}
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	static struct inject in;
	const char          *name = NULL, *file = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--probe") == 0) {
			sn_service_def probe = { .name = "sn-inject" };
			return sn_service_main(argc, argv, &probe);
		}
	}
	bool bad = false;
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			bad = true;
		else if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--events") == 0)
			file = argv[i + 1];
		else
			bad = true;
	}
	if (name == NULL || bad) {
		fputs("usage: sn-inject --name PUBLISHER [--events FILE]\n",
		    stderr);
		return 2;
	}
	if (file != NULL) {
		if ((in.text = slurp(file)) == NULL) {
			fprintf(stderr, "sn-inject: cannot read %s\n", file);
			return 2;
		}
		parse(&in);
	}
	/* "" keeps sn_service from applying PUBLISHER's own migrations. */
	sn_service_def def = { .name = name,
		.publishes           = true,
		.schema_dir          = "",
		.setup               = setup,
		.arg                 = &in };
	int            rc  = sn_service_main(argc, argv, &def);
	for (size_t i = 0; i < in.n; i++)
		free(in.ev[i].data);
	free(in.text);
	return rc;
}
