/*
 * investigation-testpub: stands in for intake or approval in the
 * integration tests. Runs as service NAME (settings of sn/service.h),
 * appends the given events to its outbox in one transaction at start-up
 * (retried until it commits), then serves replay and heartbeats until
 * SIGTERM.
 *
 *   investigation-testpub --name NAME [--event TYPE SUBJECT FILE]...
 *
 * FILE holds the event's protobuf as the test built it; the actor is
 * "system".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/log.h"
#include "sn/service.h"

#define MAX_EVENTS 16

struct pub {
	sn_service *svc;
	size_t      n;
	const char *type[MAX_EVENTS];
	const char *subject[MAX_EVENTS];
	uint8_t    *data[MAX_EVENTS];
	size_t      len[MAX_EVENTS];
};

static void append_begin(sn_tx *tx, void *arg);

static void
append_done(sn_err err, void *arg)
{
	struct pub *p = arg;
	if (err == SN_OK) {
		sn_log(SN_LOG_INFO, "events appended", NULL);
		return;
	}
	if (sn_loop_stopping(sn_service_loop(p->svc)))
		return;
	sn_log(SN_LOG_WARN, "append failed; retrying", "error",
	    sn_strerror(err), NULL);
	sn_db_tx(sn_service_db(p->svc), append_begin, append_done, p);
}

static void
append_begin(sn_tx *tx, void *arg)
{
	struct pub *p = arg;
	for (size_t i = 0; i < p->n; i++) {
		sn_event_out ev = { .type = p->type[i],
			.subject          = p->subject[i],
			.actor            = "system",
			.schema_version   = 1,
			.data             = p->data[i],
			.len              = p->len[i] };
		sn_err err = sn_bus_append(sn_service_bus(p->svc), tx, &ev);
		if (err != SN_OK) {
			sn_tx_rollback(tx, err);
			return;
		}
	}
	sn_tx_commit(tx);
}

static sn_err
setup(sn_service *svc, void *arg)
{
	struct pub *p = arg;
	p->svc        = svc;
	if (p->n > 0)
		sn_db_tx(sn_service_db(svc), append_begin, append_done, p);
	return SN_OK;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	uint8_t *buf = NULL;
	size_t   cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			cap         = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*len = n;
	return buf;
}

int
main(int argc, char **argv)
{
	struct pub  p    = { 0 };
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--probe") == 0) {
			sn_service_def probe = { .name = "testpub" };
			return sn_service_main(argc, argv, &probe);
		}
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
			name = argv[++i];
		} else if (strcmp(argv[i], "--event") == 0 && i + 3 < argc
		    && p.n < MAX_EVENTS) {
			p.type[p.n]    = argv[i + 1];
			p.subject[p.n] = argv[i + 2];
			p.data[p.n]    = slurp(argv[i + 3], &p.len[p.n]);
			if (p.data[p.n] == NULL) {
				fprintf(stderr, "testpub: cannot read %s\n",
				    argv[i + 3]);
				return 2;
			}
			p.n++;
			i += 3;
		} else {
			fprintf(stderr,
			    "usage: investigation-testpub --name "
			    "NAME [--event TYPE SUBJECT FILE]...\n");
			return 2;
		}
	}
	if (name == NULL) {
		fprintf(stderr, "testpub: --name is required\n");
		return 2;
	}
	sn_service_def def = { .name = name,
		.publishes           = true,
		.setup               = setup,
		.arg                 = &p,
		.schema_dir          = "" }; /* no migrations */
	int            rc  = sn_service_main(argc, argv, &def);
	for (size_t i = 0; i < p.n; i++)
		free(p.data[i]);
	return rc;
}
