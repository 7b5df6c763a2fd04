/*
 * sn-testpub: a small publisher built on libcommon, for the bus tests,
 * the bus demo and the benchmark.
 *
 *   sn-testpub --name NAME [--events N] [--batch B] [--parallel P]
 *              [--other-every K] [--rate EPS] [--proto-batch]
 *              [--bad-every J] [--wait-followers F] [--go-file PATH]
 *
 * Runs as service NAME (its settings are those of sn/service.h) and
 * appends N events of type "test.event" (every K-th one "test.other"),
 * B per transaction, with P transactions in flight at once, at most EPS
 * events per second if given; then keeps serving replay requests and
 * heartbeats until SIGTERM. Subjects are "s<i>", data the bytes of "e<i>".
 * With --wait-followers F it appends nothing until F followers' SUB
 * sockets are connected to its PUB socket, and with --go-file until PATH
 * exists (the test makes it once its follower is ready): a burst meant
 * to reach a follower live, not through replay.
 *
 * --proto-batch appends each transaction's events with one
 * sn_bus_append_batch, and makes each event's data a packed Heartbeat
 * whose latest_sequence is i (a protobuf for sn_bus_on_table followers
 * to decode); with --bad-every J every J-th event's data is a truncated
 * protobuf that does not decode.
 *
 * SN_FAILPOINT=append.after_commit kills the process with SIGKILL right
 * after its first transaction commits, before the relay runs.
 *
 * SN_TESTPUB_HOLD=MS,FOR: once every event is appended, each turn of the
 * loop is held MS ms (a loop busy with synchronous work, or starved of
 * CPU) for FOR ms in all; then "stopped holding the loop", with how many
 * times it was held.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sn/bus/v1/bus.pb-c.h"
#include "sn/log.h"
#include "sn/service.h"

struct pub {
	sn_service *svc;
	long        events;
	long        batch;
	long        parallel;
	long        other_every;
	long        rate;
	bool        proto_batch;
	long        bad_every;
	long        wait_followers;
	const char *go_file;
	long        next;      /* next index to append */
	long        committed; /* appended and committed */
	long        inflight;
	uint64_t    t0;
	uv_timer_t  pace;
	bool        pace_open;
	long        hold_ms, hold_for, held;
	uint64_t    hold_until;
	uv_timer_t  hold;
	bool        hold_open;
};

/* Each turn of the loop held hold_ms, until hold_until. */
static void
on_hold(uv_timer_t *t)
{
	struct pub *p = t->data;
	if (sn_now_ms() >= p->hold_until) {
		char n[24];
		snprintf(n, sizeof(n), "%ld", p->held);
		sn_log(
		    SN_LOG_INFO, "stopped holding the loop", "times", n, NULL);
		uv_timer_stop(t);
		return;
	}
	struct timespec ts = { .tv_sec = p->hold_ms / 1000,
		.tv_nsec               = (p->hold_ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
	p->held++;
}

static void
hold_start(struct pub *p)
{
	const char *h = getenv("SN_TESTPUB_HOLD");
	if (h == NULL || !p->hold_open)
		return;
	if (sscanf(h, "%ld,%ld", &p->hold_ms, &p->hold_for) != 2
	    || p->hold_ms < 1 || p->hold_for < 1) {
		fprintf(stderr, "sn-testpub: SN_TESTPUB_HOLD is MS,FOR\n");
		exit(2);
	}
	sn_log(SN_LOG_INFO, "holding the loop", "hold", h, NULL);
	p->hold_until = sn_now_ms() + (uint64_t) p->hold_for;
	uv_timer_start(&p->hold, on_hold, 1, 1);
}

static void produce(struct pub *p);
static void chunk_begin(sn_tx *tx, void *arg);

struct chunk {
	struct pub *p;
	long        from, to;
};

static void
append_done(sn_err err, void *arg)
{
	struct chunk *c = arg;
	struct pub   *p = c->p;
	p->inflight--;
	if (err != SN_OK) {
		/* Nothing of the chunk committed: append it again. */
		sn_log(SN_LOG_WARN, "append failed; retrying", "error",
		    sn_strerror(err), NULL);
		struct chunk *again = malloc(sizeof(*again));
		if (again == NULL)
			abort();
		*again = *c;
		free(c);
		p->inflight++;
		sn_db_tx(
		    sn_service_db(p->svc), chunk_begin, append_done, again);
		return;
	} else {
		const char *fp = getenv("SN_FAILPOINT");
		if (fp != NULL && strcmp(fp, "append.after_commit") == 0) {
			sn_log(SN_LOG_WARN,
			    "failpoint append.after_commit: SIGKILL", NULL);
			raise(SIGKILL);
		}
		p->committed += c->to - c->from;
		if (p->committed == p->events) {
			char n[24], ms[24];
			snprintf(n, sizeof(n), "%ld", p->committed);
			snprintf(ms, sizeof(ms), "%llu",
			    (unsigned long long) (sn_now_ms() - p->t0));
			sn_log(SN_LOG_INFO, "all events appended", "events", n,
			    "ms", ms, NULL);
			hold_start(p);
		}
	}
	free(c);
	produce(p);
}

/* The chunk as protobuf data, appended with one sn_bus_append_batch. */
static void
chunk_batch(sn_tx *tx, struct chunk *c)
{
	struct pub   *p     = c->p;
	size_t        n     = (size_t) (c->to - c->from);
	sn_event_out *evs   = calloc(n, sizeof(*evs));
	char(*subjects)[32] = calloc(n, 32);
	uint8_t(*data)[16]  = calloc(n, 16);
	if (evs == NULL || subjects == NULL || data == NULL)
		abort();
	for (size_t k = 0; k < n; k++) {
		long i = c->from + (long) k + 1;
		snprintf(subjects[k], 32, "s%ld", i);
		Sn__Bus__V1__Heartbeat hb = SN__BUS__V1__HEARTBEAT__INIT;
		hb.latest_sequence        = (uint64_t) i;
		size_t len = sn__bus__v1__heartbeat__pack(&hb, data[k]);
		if (p->bad_every > 0 && i % p->bad_every == 0) {
			data[k][0] = 0x08; /* field 1, varint: and no value */
			len        = 1;
		}
		bool other = p->other_every > 0 && i % p->other_every == 0;
		evs[k]     = (sn_event_out) { .type
			    = other ? "test.other" : "test.event",
			    .subject        = subjects[k],
			    .actor          = "testpub",
			    .schema_version = 1,
			    .data           = data[k],
			    .len            = len };
	}
	sn_err err = sn_bus_append_batch(sn_service_bus(p->svc), tx, evs, n);
	free(evs);
	free(subjects);
	free(data);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
	else
		sn_tx_commit(tx);
}

static void
chunk_begin(sn_tx *tx, void *arg)
{
	struct chunk *c = arg;
	struct pub   *p = c->p;
	if (p->proto_batch) {
		chunk_batch(tx, c);
		return;
	}
	for (long i = c->from; i < c->to; i++) {
		char subject[32], data[32];
		snprintf(subject, sizeof(subject), "s%ld", i + 1);
		int  dlen = snprintf(data, sizeof(data), "e%ld", i + 1);
		bool other
		    = p->other_every > 0 && (i + 1) % p->other_every == 0;
		sn_event_out ev
		    = { .type          = other ? "test.other" : "test.event",
			      .subject = subject,
			      .actor   = "testpub",
			      .schema_version = 1,
			      .data           = (const uint8_t *) data,
			      .len            = (size_t) dlen };
		sn_err err = sn_bus_append(sn_service_bus(p->svc), tx, &ev);
		if (err != SN_OK) {
			sn_tx_rollback(tx, err);
			return;
		}
	}
	sn_tx_commit(tx);
}

static void
on_pace(uv_timer_t *t)
{
	produce(t->data);
}

static void
produce(struct pub *p)
{
	if (sn_loop_stopping(sn_service_loop(p->svc)))
		return;
	if (p->wait_followers > 0 || p->go_file != NULL) {
		if (sn_bus_followers(sn_service_bus(p->svc))
		        < (size_t) p->wait_followers
		    || (p->go_file != NULL && access(p->go_file, F_OK) != 0)) {
			uv_timer_start(&p->pace, on_pace, 5, 0);
			return;
		}
		p->wait_followers = 0;
		p->go_file        = NULL;
		p->t0             = sn_now_ms();
		sn_log(SN_LOG_INFO, "followers ready: appending", NULL);
	}
	while (p->inflight < p->parallel && p->next < p->events) {
		if (p->rate > 0) {
			/* Events allowed so far at the given rate. */
			uint64_t el  = sn_now_ms() - p->t0;
			long allowed = (long) (el * (uint64_t) p->rate / 1000u)
			    + p->batch;
			if (p->next >= allowed) {
				uv_timer_start(&p->pace, on_pace, 5, 0);
				return;
			}
		}
		struct chunk *c = malloc(sizeof(*c));
		if (c == NULL)
			abort();
		c->p    = p;
		c->from = p->next;
		c->to   = p->next + p->batch < p->events ? p->next + p->batch
		                                         : p->events;
		p->next = c->to;
		p->inflight++;
		sn_db_tx(sn_service_db(p->svc), chunk_begin, append_done, c);
	}
}

static sn_err
setup(sn_service *svc, void *arg)
{
	struct pub *p = arg;
	p->svc        = svc;
	p->t0         = sn_now_ms();
	uv_timer_init(sn_loop_uv(sn_service_loop(svc)), &p->pace);
	p->pace.data = p;
	p->pace_open = true;
	uv_timer_init(sn_loop_uv(sn_service_loop(svc)), &p->hold);
	p->hold.data = p;
	p->hold_open = true;
	produce(p);
	return SN_OK;
}

static void
teardown(sn_service *svc, void *arg)
{
	struct pub *p = arg;
	(void) svc;
	if (p->pace_open)
		uv_close((uv_handle_t *) &p->pace, NULL);
	if (p->hold_open)
		uv_close((uv_handle_t *) &p->hold, NULL);
}

static long
num_arg(const char *s, const char *flag)
{
	char *end;
	long  v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0) {
		fprintf(stderr, "sn-testpub: %s takes a whole number\n", flag);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct pub  p    = { .batch = 500, .parallel = 1 };
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--probe") == 0)
			continue;
		if (strcmp(a, "--proto-batch") == 0) {
			p.proto_batch = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "sn-testpub: %s needs a value\n", a);
			return 2;
		}
		const char *v = argv[++i];
		if (strcmp(a, "--name") == 0)
			name = v;
		else if (strcmp(a, "--events") == 0)
			p.events = num_arg(v, a);
		else if (strcmp(a, "--batch") == 0)
			p.batch = num_arg(v, a);
		else if (strcmp(a, "--parallel") == 0)
			p.parallel = num_arg(v, a);
		else if (strcmp(a, "--other-every") == 0)
			p.other_every = num_arg(v, a);
		else if (strcmp(a, "--rate") == 0)
			p.rate = num_arg(v, a);
		else if (strcmp(a, "--bad-every") == 0)
			p.bad_every = num_arg(v, a);
		else if (strcmp(a, "--wait-followers") == 0)
			p.wait_followers = num_arg(v, a);
		else if (strcmp(a, "--go-file") == 0)
			p.go_file = v;
		else {
			fprintf(stderr, "sn-testpub: unknown option %s\n", a);
			return 2;
		}
	}
	if (name == NULL)
		name = "testpub";
	if (p.batch < 1)
		p.batch = 1;
	if (p.parallel < 1)
		p.parallel = 1;
	sn_service_def def = { .name = name,
		.publishes           = true,
		.setup               = setup,
		.teardown            = teardown,
		.arg                 = &p,
		.schema_dir          = NULL };
	return sn_service_main(argc, argv, &def);
}
