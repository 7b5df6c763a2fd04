/*
 * verification-inject: a tiny publisher for the integration tests.
 *
 *   verification-inject --name PUBLISHER --events FILE
 *
 * Runs as service PUBLISHER (e.g. "intake"; settings of sn/service.h),
 * appends every event of FILE to its outbox in one transaction at start,
 * then serves replay and heartbeats until SIGTERM. FILE holds records of
 *   topic NUL subject NUL length(4 bytes, big-endian) protobuf
 * which the test builds from the real generated messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/log.h"
#include "sn/service.h"

static uint8_t *data;
static size_t   len;
static sn_service *service;

static void
append_begin(sn_tx *tx, void *arg)
{
	(void) arg;
	size_t off = 0;
	while (off < len) {
		const char *topic = (const char *) data + off;
		size_t      tl    = strnlen(topic, len - off);
		const char *subj  = topic + tl + 1;
		size_t      sl    = strnlen(subj, len - off - tl - 1);
		off += tl + sl + 2;
		if (off + 4 > len)
			break;
		size_t n = (size_t) data[off] << 24 | (size_t) data[off + 1] << 16 |
		    (size_t) data[off + 2] << 8 | data[off + 3];
		off += 4;
		if (off + n > len)
			break;
		sn_event_out ev = { .type = topic, .subject = subj,
			.actor = "test", .schema_version = 1,
			.data = data + off, .len = n };
		off += n;
		if (sn_bus_append(sn_service_bus(service), tx, &ev) != SN_OK) {
			sn_tx_rollback(tx, SN_EINVAL);
			return;
		}
	}
	sn_tx_commit(tx);
}

static void
append_done(sn_err err, void *arg)
{
	(void) arg;
	sn_log(err == SN_OK ? SN_LOG_INFO : SN_LOG_ERROR, "events appended",
	    "error", sn_strerror(err), NULL);
}

static sn_err
setup(sn_service *svc, void *arg)
{
	(void) arg;
	service = svc;
	sn_db_tx(sn_service_db(svc), append_begin, append_done, NULL);
	return SN_OK;
}

int
main(int argc, char **argv)
{
	const char *name = "intake", *file = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--events") == 0)
			file = argv[i + 1];
	}
	if (file != NULL) {
		FILE *f = fopen(file, "rb");
		if (f == NULL) {
			fprintf(stderr, "verification-inject: cannot open %s\n",
			    file);
			return 2;
		}
		fseek(f, 0, SEEK_END);
		long size = ftell(f);
		fseek(f, 0, SEEK_SET);
		data = malloc(size > 0 ? (size_t) size : 1);
		len  = data != NULL ? fread(data, 1, (size_t) size, f) : 0;
		fclose(f);
	}
	/* schema_dir "": no migrations but the bus's (never intake's own). */
	sn_service_def def = { .name = name, .publishes = true,
		.setup = setup, .schema_dir = "" };
	int rc = sn_service_main(argc, argv, &def);
	free(data);
	return rc;
}
