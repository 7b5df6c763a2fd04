/*
 * sn-testsub: a small follower built on libcommon, for the bus tests, the
 * bus demo and the benchmark.
 *
 *   sn-testsub --name NAME --follow P1[,P2...] [--slow-us N] [--stall-ms N]
 *              [--stats-file F] [--decoded] [--serial]
 *              [--lane-check] [--other-noop]
 *
 * Runs as service NAME and follows the given publishers. Every
 * "test.event" inserts one row into its effects table (publisher,
 * sequence, subject), in the transaction that moves its cursor; other
 * types only move the cursor. --slow-us makes it slow on purpose: the
 * loop sleeps that long per event applied, so that NNG drops what it
 * cannot queue. --stall-ms holds the loop that long once, at the first
 * event applied: a burst then overruns NNG's receive buffer for certain,
 * whatever the machine's speed, so that there is a gap to recover. At
 * shutdown the metrics registry is written to the stats
 * file, so that a test can read the replay counters.
 *
 * --decoded takes "test.event" through an event table (sn_bus_on_table)
 * as a Heartbeat, and records subject "hb<latest_sequence>" from the
 * decoded message instead of the event's own subject: events that do not
 * decode are passed over by the bus.
 *
 * --serial sets sn_bus_config.apply_serial (the streams take turns at
 * applying). --lane-check makes every "test.event" record subject
 * "overlap" instead of its own when another apply transaction of this
 * process held the lane's advisory lock at the time (SQL_EFFECT_LANE).
 *
 * --other-noop takes "test.other" with a handler that writes nothing (as
 * a service's handler does with an event not meant for it): the batch's
 * transaction changes nothing, and the bus passes it over.
 *
 * SN_FAILPOINT=teardown.hang makes the teardown never return, as NNG's
 * closing does when nng 1.5.2's reaper is stuck (see service.c): the
 * service must end all the same. teardown.nng_abort calls abort() in the
 * teardown on a thread named as NNG names its own ("nng:..."), as nng
 * 1.5.2's reaper does when it panics (see service.c): the service must
 * end with status 0, saying so. teardown.abort calls abort() on the
 * loop's thread: that must still abort. teardown.nng_freed reads freed
 * memory on such a thread first: in a sanitizer build the report must
 * still end the process with a failure.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "sn/bus/v1/bus.pb-c.h"
#include "sn/log.h"
#include "sn/service.h"

#ifndef SN_TESTSUB_SCHEMA_DIR
#define SN_TESTSUB_SCHEMA_DIR "tests/bus/schema"
#endif

struct sub {
	long        slow_us;
	long        stall_ms;
	bool        stalled;
	const char *stats_file;
	bool        decoded;
	bool        serial, lane_check, other_noop;
	char       *follow[17];
};

static const char SQL_EFFECT[]
    = "INSERT INTO effects (publisher, seq, subject) VALUES ($1, $2, $3)";

/* The lane's advisory lock, taken by every apply transaction of a
 * --lane-check follower at its first event and held to its end: a
 * transaction that cannot have it runs beside another one. */
static const char SQL_EFFECT_LANE[]
    = "INSERT INTO effects (publisher, seq, subject) VALUES ($1, $2,"
      " CASE WHEN pg_try_advisory_xact_lock(hashtext('testsub.lane'))"
      " THEN $3 ELSE 'overlap' END)";

static sn_err
on_event(sn_tx *tx, const sn_event *ev, void *arg)
{
	struct sub *s = arg;
	char        seq[24];
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long) ev->sequence);
	const char *v[3] = { ev->source, seq, ev->subject };
	if (s->stall_ms > 0 && !s->stalled) {
		struct timespec ts = { .tv_sec = s->stall_ms / 1000,
			.tv_nsec = (s->stall_ms % 1000) * 1000000 };
		s->stalled         = true;
		nanosleep(&ts, NULL);
	}
	if (s->slow_us > 0) {
		struct timespec ts = { .tv_sec = s->slow_us / 1000000,
			.tv_nsec = (s->slow_us % 1000000) * 1000 };
		nanosleep(&ts, NULL);
	}
	return sn_tx_query(tx, s->lane_check ? SQL_EFFECT_LANE : SQL_EFFECT, 3,
	    v, NULL, NULL);
}

static sn_err
on_other(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) tx;
	(void) ev;
	(void) arg;
	return SN_OK;
}

static sn_err
on_heartbeat(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Bus__V1__Heartbeat *hb
	    = (const Sn__Bus__V1__Heartbeat *) msg;
	char seq[24], subject[32];
	(void) arg;
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long) ev->sequence);
	snprintf(subject, sizeof(subject), "hb%llu",
	    (unsigned long long) hb->latest_sequence);
	const char *v[3] = { ev->source, seq, subject };
	return sn_tx_query(tx, SQL_EFFECT, 3, v, NULL, NULL);
}

static sn_err
setup(sn_service *svc, void *arg)
{
	struct sub *s  = arg;
	const char *fp = getenv("SN_FAILPOINT");
	if (fp != NULL && strcmp(fp, "setup.fail") == 0) {
		/* The streams are open and their cursors being read. */
		sn_log(SN_LOG_WARN, "failpoint setup.fail: failing", NULL);
		return SN_EINVAL;
	}
	for (int i = 0; s->decoded && s->follow[i] != NULL; i++) {
		sn_bus_topic t = { s->follow[i], "test.event",
			&sn__bus__v1__heartbeat__descriptor, on_heartbeat };
		sn_err err = sn_bus_on_table(sn_service_bus(svc), &t, 1, s);
		if (err != SN_OK)
			return err;
	}
	for (int i = 0; !s->decoded && s->follow[i] != NULL; i++) {
		sn_err err = sn_bus_on(sn_service_bus(svc), s->follow[i],
		    "test.event", on_event, s);
		if (err == SN_OK && s->other_noop)
			err = sn_bus_on(sn_service_bus(svc), s->follow[i],
			    "test.other", on_other, s);
		if (err != SN_OK)
			return err;
	}
	return SN_OK;
}

/* On a thread named as NNG's reaper: abort(), after a read of freed
 * memory (which a sanitizer reports) when *arg is true. */
static void *
nng_named_abort(void *arg)
{
	(void) prctl(PR_SET_NAME, "nng:reap2", 0, 0, 0);
	if (*(const bool *) arg) {
		char *volatile p = malloc(8);
		free(p);
		volatile char c = p[0];
		(void) c;
	}
	abort();
}

static void
teardown(sn_service *svc, void *arg)
{
	struct sub *s  = arg;
	const char *fp = getenv("SN_FAILPOINT");
	if (fp != NULL && strcmp(fp, "teardown.hang") == 0) {
		sn_log(SN_LOG_WARN, "failpoint teardown.hang: hanging", NULL);
		for (;;)
			sleep(60);
	}
	if (fp != NULL && strcmp(fp, "teardown.abort") == 0) {
		sn_log(SN_LOG_WARN, "failpoint teardown.abort", NULL);
		abort();
	}
	pthread_t   t;
	static bool nng_freed;
	bool nng_abort = fp != NULL && strcmp(fp, "teardown.nng_abort") == 0;
	nng_freed      = fp != NULL && strcmp(fp, "teardown.nng_freed") == 0;
	if ((nng_abort || nng_freed)
	    && pthread_create(&t, NULL, nng_named_abort, &nng_freed) == 0) {
		sn_log(SN_LOG_WARN, "failpoint", "name", fp, NULL);
		for (;;)
			sleep(60);
	}
	if (s->stats_file == NULL)
		return;
	char *text = sn_metrics_render(sn_service_metrics(svc));
	FILE *f    = fopen(s->stats_file, "w");
	if (f != NULL && text != NULL)
		fputs(text, f);
	if (f != NULL)
		fclose(f);
	free(text);
}

int
main(int argc, char **argv)
{
	struct sub  s    = { 0 };
	const char *name = "testsub";
	char       *list = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--probe") == 0) {
			/* The health check needs no stream settings. */
			sn_service_def probe = { .name = name };
			return sn_service_main(argc, argv, &probe);
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--probe") == 0)
			continue;
		if (strcmp(a, "--decoded") == 0) {
			s.decoded = true;
			continue;
		}
		if (strcmp(a, "--serial") == 0) {
			s.serial = true;
			continue;
		}
		if (strcmp(a, "--lane-check") == 0) {
			s.lane_check = true;
			continue;
		}
		if (strcmp(a, "--other-noop") == 0) {
			s.other_noop = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "sn-testsub: %s needs a value\n", a);
			return 2;
		}
		const char *v = argv[++i];
		if (strcmp(a, "--name") == 0)
			name = v;
		else if (strcmp(a, "--follow") == 0)
			list = strdup(v);
		else if (strcmp(a, "--slow-us") == 0)
			s.slow_us = strtol(v, NULL, 10);
		else if (strcmp(a, "--stall-ms") == 0)
			s.stall_ms = strtol(v, NULL, 10);
		else if (strcmp(a, "--stats-file") == 0)
			s.stats_file = v;
		else {
			fprintf(stderr, "sn-testsub: unknown option %s\n", a);
			return 2;
		}
	}
	if (list == NULL) {
		fprintf(stderr, "sn-testsub: --follow is required\n");
		return 2;
	}
	int n = 0;
	for (char *tok = strtok(list, ","); tok != NULL && n < 16;
	     tok       = strtok(NULL, ","))
                s.follow[n++] = tok;
	s.follow[n]        = NULL;
	sn_service_def def = { .name = name,
		.publishes           = false,
		.follows             = (const char *const *) s.follow,
		.schema_dir          = SN_TESTSUB_SCHEMA_DIR,
		.apply_serial        = s.serial,
		.setup               = setup,
		.teardown            = teardown,
		.arg                 = &s };
	int            rc  = sn_service_main(argc, argv, &def);
	free(list);
	return rc;
}
