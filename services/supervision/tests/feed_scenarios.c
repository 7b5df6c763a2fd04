/*
 * The hub feed's integration tests (feed.h, feedpush.h, docs/feed.md):
 * the real supervision binary, a real PostgreSQL (SN_TEST_DB_URL), real
 * NNG sockets, through tests/support/harness.h. Events come from
 * sn-inject running as intake (POST /publish; in validate, services'
 * types from sn-inject running as services, with an identity number in
 * a referral's note that the feed must pseudonymise), with protobuf bodies
 * whose every field is filled by reflection (fill_message), so that
 * every field of every type travels through the feed.
 *
 *   supervision_feed_scenarios pages | long_poll | expired | pseudonyms |
 *       validate | webhook | follow_kill
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "events.h"
#include "harness.h"
#include "kit.h"
#include "pbjson.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/auth.h"
#include "sn/idnum.h"
#include "sn/services/v1/services.pb-c.h"

#ifndef SN_SUPERVISION_BIN
#define SN_SUPERVISION_BIN "supervision"
#endif
#ifndef SN_INJECT_BIN
#define SN_INJECT_BIN "sn-inject"
#endif
#ifndef SN_FOLLOW_BIN
#define SN_FOLLOW_BIN "sn-follow"
#endif
#ifndef SN_SOURCE_DIR
#define SN_SOURCE_DIR "."
#endif

/* tests/support/defaults.c's SN_SUPERVISION_FEED_KEY: the tests check
 * the documented derivation of the pseudonyms against it. */
#define FEED_KEY_HEX                                                          \
	"9e3779b97f4a7c15f39cc0605cedc8341082276bf3a27251f86c6a11d0c18e95"

th                 T;
static int         port;        /* supervision */
static int         inject_port; /* sn-inject as intake */
static const char *schema;      /* supervision's */
static char       *hub_a, *hub_b, *supervisor, *inspector, *admin;
static th_proc    *sup_proc;

/* ---- helpers -------------------------------------------------------- */

static void
expect_status(answer a, int status, const char *code, const char *what)
{
	TH_CHECK(&T, a.status == status, "%s: status %d, want %d (%s)", what,
	    a.status, status, a.raw != NULL ? a.raw : "");
	if (code != NULL)
		TH_CHECK(&T, strcmp(err_code(&a), code) == 0,
		    "%s: code %s, want %s", what, err_code(&a), code);
}

/* Starts sn-inject as intake and supervision (extra: more settings,
 * NULL-ended, or NULL). */
static void
start(const char *const *extra)
{
	static char inj_env[32];

	publishers();
	inject_port = th_free_port();
	snprintf(inj_env, sizeof(inj_env), "SN_HTTP_PORT=%d", inject_port);
	const char *inj_argv[] = { SN_INJECT_BIN, "--name", "intake", NULL };
	const char *inj[]      = { inj_env, NULL };
	th_spawn(&T, "intake", SN_INJECT_BIN, inj_argv, inj);
	TH_CHECK(&T, th_wait_ready(&T, inject_port, 30000),
	    "sn-inject did not get ready");

	sup_proc   = start_supervision(NULL, extra);
	port       = sup_port;
	schema     = S;
	hub_a      = token("hub-a", "hub", "220103");
	hub_b      = token("hub-b", "hub", "220103");
	supervisor = token("sup-1", "supervisor", "220103");
	inspector  = token("insp-1", "inspector", "220103");
	admin      = token("admin-1", "district_admin", "220103");
}

/* sn-inject as services (feed_validate only; 0 when not started): its
 * types come from their own publisher there. */
static int services_port;

static void
start_services_injector(void)
{
	static char env[32];

	services_port = th_free_port();
	snprintf(env, sizeof(env), "SN_HTTP_PORT=%d", services_port);
	const char *argv[] = { SN_INJECT_BIN, "--name", "services", NULL };
	const char *envp[] = { env, NULL };
	th_spawn(&T, "services", SN_INJECT_BIN, argv, envp);
	TH_CHECK(&T, th_wait_ready(&T, services_port, 30000),
	    "sn-inject as services did not get ready");
}

/* Publishes m as an event of topic through sn-inject on port. */
static void
publish_to(
    int to, const char *topic, const char *subject, const ProtobufCMessage *m)
{
	char   *hex = th_hex(m);
	json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "type", topic, "subject",
	    subject, "actor", "test", "data_hex", hex);
	char   *txt = json_dumps(b, JSON_COMPACT);
	int     st
	    = th_http(&T, to, "POST", "/publish", NULL, new_key(), txt, NULL);

	TH_CHECK(&T, st == 201, "POST /publish %s answered %d", topic, st);
	free(txt);
	json_decref(b);
	free(hex);
}

/* Publishes m as an event of topic through sn-inject (intake's stream). */
static void
publish(const char *topic, const char *subject, const ProtobufCMessage *m)
{
	publish_to(inject_port, topic, subject, m);
}

static int64_t
events_count(void)
{
	return th_int(&T, "SELECT count(*) FROM %s.events", schema);
}

/* Waits until the log holds at least n events: supervision's own
 * modules may add theirs (an anomaly rule's alert.raised, say). */
static void
wait_events(int64_t n)
{
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 30000,
	        "SELECT (count(*) >= %lld)::int FROM %s.events", (long long) n,
	        schema),
	    "supervision holds %lld events, want %lld",
	    (long long) events_count(), (long long) n);
}

/* ---- every field filled, by reflection
 * -------------------------------------- */

/* What the filler put in personal fields: none may reach a feed body. */
static char secrets[4096][40];
static int  nsecrets;
static int  seed;

static void
remember(const char *s)
{
	size_t n = strlen(s);

	TH_CHECK(&T, n < sizeof(secrets[0]) && nsecrets < 4096,
	    "too many or too long secrets");
	memcpy(secrets[nsecrets++], s, n + 1);
}

/* Allocations of one filled message, freed together. */
static void *arena[8192];
static int   narena;

static void *
alloc(size_t n)
{
	void *p = calloc(1, n + 1);

	TH_CHECK(&T, p != NULL && narena < 8192, "out of memory");
	arena[narena++] = p;
	return p;
}

static void
arena_free(void)
{
	while (narena > 0)
		free(arena[--narena]);
}

static char *
sdup(const char *s)
{
	char *p = alloc(strlen(s));

	memcpy(p, s, strlen(s) + 1);
	return p;
}

/* A valid identity number of the seed n. */
static void
person(int n, char out[19])
{
	char buf[32];

	snprintf(buf, sizeof(buf), "220103%04d%02d%02d%03d", 1940 + n % 70,
	    1 + n % 12, 1 + n % 28, (n * 7 + 13) % 1000);
	memcpy(out, buf, 17);
	out[17] = sn_idnum_check_char(out);
	out[18] = '\0';
}

static bool
ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *
string_for(const char *field)
{
	char buf[160], id[19];

	seed++;
	switch (supervision_pbjson_kind(field)) {
	case SUPERVISION_PBJSON_PERSON:
		person(seed, id);
		remember(id);
		return sdup(id);
	case SUPERVISION_PBJSON_ACCOUNT:
		snprintf(buf, sizeof(buf), "62220202%011d", 30000000 + seed);
		remember(buf);
		return sdup(buf);
	case SUPERVISION_PBJSON_NAME:
		snprintf(buf, sizeof(buf), "姓名%d", seed);
		remember(buf);
		return sdup(buf);
	case SUPERVISION_PBJSON_ADDRESS:
		snprintf(buf, sizeof(buf), "住址%d号", seed);
		remember(buf);
		return sdup(buf);
	default:
		break;
	}
	/* Free text and JSON strings may name a person too: the feed
	 * replaces an identity number standing alone anywhere. */
	size_t n = strlen(field);
	if ((n > 5 && strcmp(field + n - 5, "_json") == 0)
	    || strcmp(field, "note") == 0 || strcmp(field, "summary") == 0) {
		person(seed, id);
		remember(id);
		if (n > 5 && strcmp(field + n - 5, "_json") == 0)
			snprintf(buf, sizeof(buf), "{\"person\":\"%s\"}", id);
		else
			snprintf(buf, sizeof(buf), "见 %s 的记录", id);
		return sdup(buf);
	}
	/* Values of the shape their names promise, as the modules that
	 * read them expect (a time, a date, a division code, an id). */
	if (strcmp(field, "at") == 0 || ends(field, "_at"))
		return sdup("2026-01-02T03:04:05Z");
	if (ends(field, "_date") || strcmp(field, "date") == 0
	    || strcmp(field, "day") == 0 || strcmp(field, "deadline") == 0)
		return sdup("2026-01-02");
	if (ends(field, "_month") || strcmp(field, "month") == 0)
		return sdup("2026-01");
	if (strcmp(field, "district_code") == 0
	    || strcmp(field, "jurisdiction") == 0)
		return sdup("220103");
	if (strcmp(field, "township_code") == 0
	    || strcmp(field, "township") == 0)
		return sdup("220103001");
	if (strcmp(field, "village_code") == 0
	    || strcmp(field, "village") == 0)
		return sdup("220103001002");
	if (ends(field, "_id") || strcmp(field, "id") == 0) {
		snprintf(
		    buf, sizeof(buf), "00000000-0000-4000-8000-%012d", seed);
		return sdup(buf);
	}
	snprintf(buf, sizeof(buf), "%s-%d", field, seed);
	return sdup(buf);
}

static void fill_message(ProtobufCMessage *m, int depth);

static void
fill_value(const ProtobufCFieldDescriptor *f, void *p, int depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		*(int32_t *) p = 1000 + ++seed;
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *) p = (uint32_t) (2000 + ++seed);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		/* beyond a double's exact range: money stays exact */
		*(int64_t *) p = 9007199254740993LL + ++seed;
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *) p = (uint64_t) (5000 + ++seed);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *) p = 1;
		break;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		th_fail(
		    &T, "field %s is a float: no event carries one", f->name);
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;

		*(int *) p = e->values[e->n_values > 1 ? 1 : 0].value;
		break;
	}
	case PROTOBUF_C_TYPE_STRING:
		*(char **) p = string_for(f->name);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;

		b->data = alloc(3);
		memcpy(b->data, "\x01\x02\xff", 3);
		b->len = 3;
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessageDescriptor *d = f->descriptor;
		ProtobufCMessage                 *sub;

		if (depth >= 4)
			break;
		sub = alloc(d->sizeof_message);
		protobuf_c_message_init(d, sub);
		fill_message(sub, depth + 1);
		*(ProtobufCMessage **) p = sub;
		break;
	}
	}
}

/* Every field set (two elements in a repeated one; the first member of
 * each oneof). */
static void
fill_message(ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f    = &d->fields[i];
		char                           *base = (char *) m + f->offset;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t sz  = supervision_pbjson_elem_size(f->type);
			char  *arr = alloc(2 * sz);

			fill_value(f, arr, depth);
			fill_value(f, arr + sz, depth);
			*(size_t *) ((char *) m + f->quantifier_offset) = 2;
			*(char **) base                                 = arr;
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t *c
			    = (uint32_t *) ((char *) m + f->quantifier_offset);

			if (*c != 0)
				continue;
			*c = f->id;
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL
		    && f->quantifier_offset != 0
		    && f->type != PROTOBUF_C_TYPE_STRING
		    && f->type != PROTOBUF_C_TYPE_MESSAGE) {
			*(protobuf_c_boolean *) ((char *) m
			    + f->quantifier_offset)
			    = 1;
		}
		fill_value(f, base, depth);
	}
}

/* Publishes one event of topic with every field filled. */
static void
publish_filled(const char *topic)
{
	const ProtobufCMessageDescriptor *d
	    = supervision_events_descriptor(topic);
	ProtobufCMessage *m;
	char              subject[64];

	TH_CHECK(&T, d != NULL, "no descriptor for %s", topic);
	m = alloc(d->sizeof_message);
	protobuf_c_message_init(d, m);
	fill_message(m, 0);
	snprintf(subject, sizeof(subject), "subject-%d", ++seed);
	/* services' types from services, when it runs */
	publish_to(services_port != 0
	            && strcmp(d->package_name, "sn.services.v1") == 0
	        ? services_port
	        : inject_port,
	    topic, subject, m);
	arena_free();
}

/* A body must hold nothing the filler put in a personal field. */
static void
scan_clean(const char *body, const char *what)
{
	for (int i = 0; i < nsecrets; i++)
		TH_CHECK(&T, strstr(body, secrets[i]) == NULL,
		    "%s holds %s, which it must not", what, secrets[i]);
	TH_CHECK(
	    &T, strstr(body, "sn1.") == NULL, "%s holds a sealed value", what);
	TH_CHECK(&T,
	    strstr(body, "姓名") == NULL && strstr(body, "住址") == NULL,
	    "%s holds a name or an address", what);
}

/* The whole feed from after, in pages of limit, as one array. */
static json_t *
feed_all(const char *tok, const char *extra, int64_t after, int limit)
{
	json_t *all = json_array();
	char    path[256];

	for (;;) {
		snprintf(path, sizeof(path), "/feed?after=%lld&limit=%d%s",
		    (long long) after, limit, extra != NULL ? extra : "");
		answer a = call_raw(port, "GET", path, tok, NULL, NULL);
		expect_status(a, 200, NULL, path);
		json_t *ev = json_object_get(a.body, "events");
		TH_CHECK(&T, json_is_array(ev), "%s: no events", path);
		scan_clean(a.raw, path);
		if (json_array_size(ev) == 0) {
			TH_CHECK(&T,
			    strtoll(jstr(a.body, "next_cursor"), NULL, 10)
			        == after,
			    "%s: an empty page's next_cursor %s", path,
			    jstr(a.body, "next_cursor"));
			answer_free(&a);
			return all;
		}
		json_array_extend(all, ev);
		after = strtoll(jstr(a.body, "next_cursor"), NULL, 10);
		answer_free(&a);
	}
}

/* The events table's ids in position order, up to position n. */
static char *
ids_in_order(size_t n)
{
	return th_text(&T,
	    "SELECT coalesce(string_agg(event_id::text, ',' ORDER BY pos), '')"
	    " FROM %s.events WHERE pos <= %zu",
	    schema, n);
}

/* Checks items against the events table: positions 1, 2, 3 ... with no
 * gap, each with its row's id, and the table holds each of them (it
 * may hold more: events that arrived since). */
static void
check_against_table(json_t *items, const char *what)
{
	char  *ids = ids_in_order(json_array_size(items));
	char  *save, *tok;
	size_t i = 0;

	for (tok = strtok_r(ids, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save), i++) {
		json_t *ev = json_array_get(items, i);
		char    want[24];

		TH_CHECK(
		    &T, ev != NULL, "%s: item %zu is missing", what, i + 1);
		snprintf(want, sizeof(want), "%zu", i + 1);
		TH_CHECK(&T, strcmp(jstr(ev, "snpos"), want) == 0,
		    "%s: item %zu has snpos %s", what, i + 1,
		    jstr(ev, "snpos"));
		TH_CHECK(&T, strcmp(jstr(ev, "id"), tok) == 0,
		    "%s: item %zu has id %s, the table %s", what, i + 1,
		    jstr(ev, "id"), tok);
	}
	TH_CHECK(&T, i == json_array_size(items),
	    "%s: %zu items, the table holds %zu", what, json_array_size(items),
	    i);
	free(ids);
}

/* ---- pages
 * ------------------------------------------------------------------- */

/* Types no module of supervision answers with events of its own (an
 * anomaly rule's alert, say), so that the log holds what a test
 * published; feed_validate publishes every type. */
static const char *const topics_mixed[] = { "application.submitted",
	"verification.completed", "application.withdrawn", "payment.scheduled",
	"payee.changed", "application.submitted", "payment.settled",
	"application.withdrawn", "payment.scheduled" };

static void
s_pages(void)
{
	const int n = 25;
	answer    a;

	start(NULL);
	for (int i = 0; i < n; i++)
		publish_filled(topics_mixed[i % 9]);
	wait_events(n);

	/* Pages of 7 from 0: dense, in order, the table's ids. */
	json_t *all = feed_all(hub_a, NULL, 0, 7);
	check_against_table(all, "pages of 7");
	TH_CHECK(&T, json_array_size(all) == (size_t) n && events_count() == n,
	    "%zu items, %lld events in the log, %d published",
	    json_array_size(all), (long long) events_count(), n);
	for (size_t i = 0; i < json_array_size(all); i++) {
		json_t *ev = json_array_get(all, i);
		char   *type, *src;

		type
		    = th_text(&T, "SELECT type FROM %s.events WHERE pos = %zu",
		        schema, i + 1);
		src = th_text(&T,
		    "SELECT '/safetynet/' || source FROM %s.events WHERE pos "
		    "= %zu",
		    schema, i + 1);
		char want[160];
		snprintf(want, sizeof(want), "cn.safetynet.%s.v1", type);
		TH_CHECK(&T, strcmp(jstr(ev, "type"), want) == 0,
		    "item %zu: type %s, want %s", i + 1, jstr(ev, "type"),
		    want);
		TH_CHECK(&T, strcmp(jstr(ev, "source"), src) == 0,
		    "item %zu: source %s, want %s", i + 1, jstr(ev, "source"),
		    src);
		TH_CHECK(&T, strcmp(jstr(ev, "specversion"), "1.0") == 0,
		    "item %zu: specversion", i + 1);
		free(type);
		free(src);
	}
	json_decref(all);

	/* From the middle: the same items. */
	a = call_raw(port, "GET", "/feed?after=10&limit=3", hub_a, NULL, NULL);
	expect_status(a, 200, NULL, "after=10&limit=3");
	json_t *ev = json_object_get(a.body, "events");
	TH_CHECK(&T,
	    json_array_size(ev) == 3
	        && strcmp(jstr(json_array_get(ev, 0), "snpos"), "11") == 0
	        && strcmp(jstr(json_array_get(ev, 2), "snpos"), "13") == 0
	        && strcmp(jstr(a.body, "next_cursor"), "13") == 0,
	    "after=10&limit=3: %s", a.raw);
	TH_CHECK(&T, strcmp(jstr(a.body, "oldest_cursor"), "0") == 0,
	    "oldest_cursor %s, want 0", jstr(a.body, "oldest_cursor"));
	answer_free(&a);

	/* The default page is 100: all 25. */
	a = call_raw(port, "GET", "/feed", hub_a, NULL, NULL);
	expect_status(a, 200, NULL, "no parameters");
	TH_CHECK(&T, json_array_size(json_object_get(a.body, "events")) == 25,
	    "the default page holds %zu",
	    json_array_size(json_object_get(a.body, "events")));
	answer_free(&a);

	/* Refusals. */
	static const char *const bad[][3] = {
		{ "/feed?limit=0", "invalid_query", "limit 0" },
		{ "/feed?limit=1001", "invalid_query", "limit 1001" },
		{ "/feed?after=-1", "invalid_query", "after -1" },
		{ "/feed?after=1x", "invalid_query", "after 1x" },
		{ "/feed?wait=31", "invalid_query", "wait 31" },
		{ "/feed?hub=a%20b", "invalid_query", "hub with a space" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = call_raw(port, "GET", bad[i][0], hub_a, NULL, NULL);
		expect_status(a, 422, bad[i][1], bad[i][2]);
		answer_free(&a);
	}
	a = call_raw(port, "GET", "/feed?after=26", hub_a, NULL, NULL);
	expect_status(a, 409, "cursor_ahead", "a cursor beyond the head");
	TH_CHECK(&T, strcmp(jstr(a.body, "head_cursor"), "25") == 0,
	    "head_cursor %s", jstr(a.body, "head_cursor"));
	answer_free(&a);
	a = call_raw(port, "GET", "/feed", inspector, NULL, NULL);
	expect_status(a, 403, "forbidden", "an inspector");
	answer_free(&a);
	a = call_raw(port, "GET", "/feed", NULL, NULL, NULL);
	expect_status(a, 401, NULL, "no token");
	answer_free(&a);
	a = call_raw(port, "GET", "/feed?hub=hub-b", hub_a, NULL, NULL);
	expect_status(a, 403, "forbidden", "a hub asking as another");
	answer_free(&a);
}

/* ---- long_poll -------------------------------------------------------------
 */

typedef struct held {
	pthread_t th;
	char      path[128];
	answer    a;
} held;

static void *
held_run(void *arg)
{
	held *h = arg;

	h->a.status = th_http_within(
	    &T, port, "GET", h->path, hub_a, NULL, NULL, &h->a.raw, 60000);
	h->a.body = h->a.raw != NULL ? json_loads(h->a.raw, 0, NULL) : NULL;
	return NULL;
}

/* Waits until supervision holds n requests (its gauge). */
static void
wait_held(int64_t n)
{
	uint64_t end = th_now_ms() + 20000;

	while (th_metric_http(&T, port, "sn_supervision_feed_waiting") != n) {
		TH_CHECK(&T, th_now_ms() < end,
		    "supervision never held %lld requests", (long long) n);
		th_sleep_ms(20);
	}
}

static void
s_long_poll(void)
{
	held   h = { 0 };
	answer a;

	start(NULL);
	for (int i = 0; i < 3; i++)
		publish_filled(topics_mixed[i]);
	wait_events(3);

	/* Nothing after 3: the request is held... */
	snprintf(h.path, sizeof(h.path), "/feed?after=3&wait=25");
	pthread_create(&h.th, NULL, held_run, &h);
	wait_held(1);
	TH_CHECK(&T, events_count() == 3, "an event arrived too early");
	/* ...and answered with the event that commits meanwhile. */
	publish_filled("application.withdrawn");
	pthread_join(h.th, NULL);
	expect_status(h.a, 200, NULL, "the held request");
	json_t *ev = json_object_get(h.a.body, "events");
	TH_CHECK(&T,
	    json_array_size(ev) >= 1
	        && strcmp(jstr(json_array_get(ev, 0), "snpos"), "4") == 0
	        && strcmp(jstr(json_array_get(ev, 0), "type"),
	               "cn.safetynet.application.withdrawn.v1")
	            == 0,
	    "the held request answered %s", h.a.raw);
	answer_free(&h.a);
	wait_held(0);

	/* A wait that runs out: an empty page at the same cursor. */
	a = call_raw(port, "GET", "/feed?after=4&wait=1", hub_a, NULL, NULL);
	expect_status(a, 200, NULL, "a wait that runs out");
	TH_CHECK(&T,
	    json_array_size(json_object_get(a.body, "events")) == 0
	        && strcmp(jstr(a.body, "next_cursor"), "4") == 0,
	    "a wait that ran out answered %s", a.raw);
	answer_free(&a);

	/* Two held requests, both woken by one event. */
	held h1 = { 0 }, h2 = { 0 };
	snprintf(h1.path, sizeof(h1.path), "/feed?after=4&wait=25");
	snprintf(h2.path, sizeof(h2.path), "/feed?after=4&wait=25&limit=1");
	pthread_create(&h1.th, NULL, held_run, &h1);
	pthread_create(&h2.th, NULL, held_run, &h2);
	wait_held(2);
	publish_filled("payment.scheduled");
	pthread_join(h1.th, NULL);
	pthread_join(h2.th, NULL);
	expect_status(h1.a, 200, NULL, "held request 1");
	expect_status(h2.a, 200, NULL, "held request 2");
	TH_CHECK(&T,
	    strcmp(
	        jstr(json_array_get(json_object_get(h1.a.body, "events"), 0),
	            "snpos"),
	        "5") == 0
	        && strcmp(jstr(json_array_get(
	                           json_object_get(h2.a.body, "events"), 0),
	                      "snpos"),
	               "5")
	            == 0,
	    "the held requests answered %s and %s", h1.a.raw, h2.a.raw);
	answer_free(&h1.a);
	answer_free(&h2.a);

	/* A shutdown answers a held request at once (an empty page) and
	 * does not wait for it: th_stop wants exit 0 within 15 s, and the
	 * wait is 25 s. */
	held h3 = { 0 };
	snprintf(h3.path, sizeof(h3.path), "/feed?after=5&wait=25");
	pthread_create(&h3.th, NULL, held_run, &h3);
	wait_held(1);
	th_stop(&T, sup_proc);
	pthread_join(h3.th, NULL);
	expect_status(h3.a, 200, NULL, "a request held at shutdown");
	TH_CHECK(&T,
	    json_array_size(json_object_get(h3.a.body, "events")) == 0
	        && strcmp(jstr(h3.a.body, "next_cursor"), "5") == 0,
	    "the request held at shutdown answered %s", h3.a.raw);
	answer_free(&h3.a);
}

/* sn-follow's files for a test: supervision's URL, the hub's token
 * (written by follow_files), the cursor file and the output. */
struct follow_files {
	char url[64], tok[512], cur[512], out[512];
};

static void
follow_files(struct follow_files *ff)
{
	FILE *f;

	snprintf(ff->url, sizeof(ff->url), "http://127.0.0.1:%d", port);
	snprintf(ff->tok, sizeof(ff->tok), "%s/hub.token", T.run_dir);
	snprintf(ff->cur, sizeof(ff->cur), "%s/cursor", T.run_dir);
	snprintf(ff->out, sizeof(ff->out), "%s/feed.jsonl", T.run_dir);
	f = fopen(ff->tok, "w");
	TH_CHECK(&T, f != NULL, "cannot write the token");
	fprintf(f, "%s\n", hub_a);
	fclose(f);
}

/* ---- expired ---------------------------------------------------------------
 */

static void
s_expired(void)
{
	static const char *const env[]
	    = { "SN_SUPERVISION_FEED_HORIZON_MS=200", NULL };
	answer a;

	start(env);
	for (int i = 0; i < 5; i++)
		publish_filled(topics_mixed[i]);
	wait_events(5);
	a = call_raw(port, "GET", "/feed?after=0", hub_a, NULL, NULL);
	expect_status(a, 200, NULL, "before anything expired");
	answer_free(&a);

	/* The first three were taken in more than 400 days ago. */
	th_int(&T,
	    "WITH u AS (UPDATE %s.events SET ingested_at = now() - "
	    "interval '401 days' WHERE pos <= 3 RETURNING 1) "
	    "SELECT count(*) FROM u",
	    schema);
	TH_CHECK(&T,
	    th_wait_int(
	        &T, 4, 20000, "SELECT horizon FROM %s.feed_state", schema),
	    "the horizon did not move to 4");
	static const char *const gone[]
	    = { "/feed?after=0", "/feed?after=2", "/feed?after=1&wait=5" };
	for (size_t i = 0; i < 3; i++) {
		a = call_raw(port, "GET", gone[i], hub_a, NULL, NULL);
		expect_status(a, 410, "cursor_expired", gone[i]);
		TH_CHECK(&T, strcmp(jstr(a.body, "oldest_cursor"), "3") == 0,
		    "%s: oldest_cursor %s, want 3", gone[i],
		    jstr(a.body, "oldest_cursor"));
		TH_CHECK(&T, json_object_get(a.body, "events") == NULL,
		    "%s: a 410 carries events", gone[i]);
		answer_free(&a);
	}
	/* From the oldest cursor on, nothing is skipped. */
	a = call_raw(port, "GET", "/feed?after=3", hub_a, NULL, NULL);
	expect_status(a, 200, NULL, "from the oldest cursor");
	json_t *ev = json_object_get(a.body, "events");
	TH_CHECK(&T,
	    json_array_size(ev) == 2
	        && strcmp(jstr(json_array_get(ev, 0), "snpos"), "4") == 0
	        && strcmp(jstr(a.body, "oldest_cursor"), "3") == 0,
	    "after=3 answered %s", a.raw);
	answer_free(&a);
	TH_CHECK(&T,
	    th_metric_http(&T, port, "sn_supervision_feed_expired_total") == 3,
	    "sn_supervision_feed_expired_total is not 3");

	/* sn-follow with an expired cursor stops with status 3, writing
	 * nothing: the gap is an operator's decision. */
	struct follow_files ff;
	follow_files(&ff);
	FILE *f = fopen(ff.cur, "w");
	TH_CHECK(&T, f != NULL, "cannot write %s", ff.cur);
	fputs("1\n", f);
	fclose(f);
	const char *argv[] = { SN_FOLLOW_BIN, "--url", ff.url, "--cursor-file",
		ff.cur, "--output", ff.out, "--token-file", ff.tok, "--once",
		NULL };
	th_proc    *p      = th_spawn(&T, "follow", SN_FOLLOW_BIN, argv, NULL);
	int         st     = th_wait_exit(&T, p, 30000);
	struct stat sb;
	TH_CHECK(&T, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	    "sn-follow on an expired cursor: status %d, want exit 3", st);
	TH_CHECK(&T, stat(ff.out, &sb) == 0 && sb.st_size == 0,
	    "sn-follow wrote something past an expired cursor");
}

/* ---- pseudonyms
 * -------------------------------------------------------------- */

/* HMAC-SHA256("person:" id) under HMAC-SHA256("sn.feed.hub.v1:" hub)
 * under the master key: docs/feed.md's derivation, written out here. */
static void
pseudonym(const char *hub, const char *id, char out[77])
{
	uint8_t master[32], k[32], mac[32];
	char    label[128], msg[64];

	sodium_hex2bin(master, 32, FEED_KEY_HEX, 64, NULL, NULL, NULL);
	snprintf(label, sizeof(label), "sn.feed.hub.v1:%s", hub);
	crypto_auth_hmacsha256(
	    k, (const unsigned char *) label, strlen(label), master);
	snprintf(msg, sizeof(msg), "person:%s", id);
	crypto_auth_hmacsha256(
	    mac, (const unsigned char *) msg, strlen(msg), k);
	strcpy(out, "hmac-sha256:");
	sodium_bin2hex(out + 12, 65, mac, 32);
}

static void
s_pseudonyms(void)
{
	char                                 p1[19], p2[19];
	Sn__Assist__V1__ApplicationSubmitted app
	    = SN__ASSIST__V1__APPLICATION_SUBMITTED__INIT;
	Sn__Assist__V1__Household    hh = SN__ASSIST__V1__HOUSEHOLD__INIT;
	Sn__Assist__V1__Member       m1 = SN__ASSIST__V1__MEMBER__INIT;
	Sn__Assist__V1__Member       m2 = SN__ASSIST__V1__MEMBER__INIT;
	Sn__Assist__V1__PayeeAccount payee
	    = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	Sn__Assist__V1__Member            *members[] = { &m1, &m2 };
	Sn__Assist__V1__BeneficiaryChanged ben
	    = SN__ASSIST__V1__BENEFICIARY_CHANGED__INIT;
	char *ben_ids[]   = { p1, p2 };
	char *ben_names[] = { "姓名甲", "姓名乙" };

	start(NULL);
	person(101, p1);
	person(202, p2);
	remember(p1);
	remember(p2);
	remember("62220202000012345678");
	hh.township_code     = "220103001";
	hh.village_code      = "220103001002";
	hh.address           = "住址幸福路一号";
	m1.id_number         = p1;
	m1.name              = "姓名甲";
	m2.id_number         = p2;
	m2.name              = "姓名乙";
	payee.bank_code      = "ICBC";
	payee.account_number = "62220202000012345678";
	payee.account_name   = "姓名甲";
	app.application_id   = "app-1";
	app.household        = &hh;
	app.n_members        = 2;
	app.members          = members;
	app.payee            = &payee;
	publish("application.submitted", "app-1", &app.base);
	ben.beneficiary_id      = "ben-1";
	ben.application_id      = "app-1";
	ben.monthly_amount_fen  = 123456;
	ben.head_id_number      = p1;
	ben.head_name           = "姓名甲";
	ben.n_member_id_numbers = 2;
	ben.member_id_numbers   = ben_ids;
	ben.n_member_names      = 2;
	ben.member_names        = ben_names;
	ben.household           = &hh;
	ben.payee               = &payee;
	/* The subject is an identity number: pseudonymised too. */
	publish("beneficiary.changed", p2, &ben.base);
	wait_events(2);

	json_t *a1 = feed_all(hub_a, NULL, 0, 100);
	json_t *a2 = feed_all(hub_a, NULL, 0, 100);
	json_t *b1 = feed_all(hub_b, NULL, 0, 100);
	json_t *s1 = feed_all(supervisor, "&hub=hub-a", 0, 100);
	TH_CHECK(&T, json_array_size(a1) == 2 && json_array_size(b1) == 2,
	    "two items each");

	json_t     *app_a = json_object_get(json_array_get(a1, 0), "data");
	json_t     *ben_a = json_object_get(json_array_get(a1, 1), "data");
	json_t     *app_b = json_object_get(json_array_get(b1, 0), "data");
	const char *pa1   = jstr(
	      json_array_get(json_object_get(app_a, "members"), 0), "id_number");
	const char *pb1 = jstr(
	    json_array_get(json_object_get(app_b, "members"), 0), "id_number");
	char want_a[77], want_b[77], want_subject[77];
	pseudonym("hub-a", p1, want_a);
	pseudonym("hub-b", p1, want_b);
	pseudonym("hub-a", p2, want_subject);
	/* Each hub: HMAC-SHA256 under its own key, as documented. */
	TH_CHECK(&T, strcmp(pa1, want_a) == 0, "hub-a's pseudonym %s, want %s",
	    pa1, want_a);
	TH_CHECK(&T, strcmp(pb1, want_b) == 0, "hub-b's pseudonym %s, want %s",
	    pb1, want_b);
	TH_CHECK(&T, strcmp(pa1, pb1) != 0, "two hubs share a pseudonym");
	/* One hub: the same person, the same pseudonym, in every event. */
	TH_CHECK(&T, strcmp(jstr(ben_a, "head_id_number"), pa1) == 0,
	    "hub-a's pseudonyms of one person differ: %s and %s",
	    jstr(ben_a, "head_id_number"), pa1);
	TH_CHECK(&T, json_equal(a1, a2), "hub-a's feed changed between reads");
	TH_CHECK(&T, json_equal(a1, s1),
	    "a supervisor's hub=hub-a is not hub-a's feed");
	TH_CHECK(&T,
	    strcmp(jstr(json_array_get(a1, 1), "subject"), want_subject) == 0,
	    "the subject %s, want the pseudonym %s",
	    jstr(json_array_get(a1, 1), "subject"), want_subject);
	/* Names and addresses absent; amounts and places kept. */
	TH_CHECK(&T,
	    json_object_get(ben_a, "head_name") == NULL
	        && json_object_get(ben_a, "member_names") == NULL
	        && json_object_get(
	               json_object_get(ben_a, "household"), "address")
	            == NULL
	        && json_object_get(
	               json_object_get(ben_a, "payee"), "account_name")
	            == NULL,
	    "a name or an address reached the feed");
	TH_CHECK(&T,
	    json_integer_value(json_object_get(ben_a, "monthly_amount_fen"))
	            == 123456
	        && strcmp(jstr(json_object_get(ben_a, "household"),
	                      "township_code"),
	               "220103001")
	            == 0
	        && strcmp(jstr(json_object_get(ben_a, "payee"), "bank_code"),
	               "ICBC")
	            == 0,
	    "an amount or a place was lost: %s", json_dumps(ben_a, 0));
	const char *acct
	    = jstr(json_object_get(ben_a, "payee"), "account_number");
	TH_CHECK(&T,
	    strncmp(acct, "hmac-sha256:", 12) == 0 && strlen(acct) == 76,
	    "the account number is %s", acct);
	json_decref(a1);
	json_decref(a2);
	json_decref(b1);
	json_decref(s1);
}

/* ---- validate -------------------------------------------------------------
 */

static int
run(const char *cmd)
{
	int st = system(cmd);

	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
write_lines(const char *path, json_t *items)
{
	FILE   *f = fopen(path, "w");
	size_t  i;
	json_t *ev;

	TH_CHECK(&T, f != NULL, "cannot write %s", path);
	json_array_foreach(items, i, ev)
	{
		json_dumpf(ev, f, JSON_COMPACT);
		fputc('\n', f);
	}
	fclose(f);
}

static int
validate(const char *file, const char *out)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
	    "node %s/tools/api/validate-feed.cjs %s/docs/feed/schemas %s > %s "
	    "2>&1",
	    SN_SOURCE_DIR, SN_SOURCE_DIR, file, out);
	return run(cmd);
}

/* services' five types came from services, and the identity number in
 * a referral's note (id) is a pseudonym there. */
static void
check_services_items(json_t *all, const char *id)
{
	size_t  i, n = 0;
	json_t *ev;

	json_array_foreach(all, i, ev)
	{
		if (strcmp(jstr(ev, "source"), "/safetynet/services") != 0)
			continue;
		if (strncmp(jstr(ev, "type"), "cn.safetynet.test.", 18) == 0)
			continue;
		n++;
		if (strcmp(jstr(ev, "subject"), "ref-note") != 0)
			continue;
		const char *note = jstr(json_object_get(ev, "data"), "note");
		TH_CHECK(&T,
		    strstr(note, id) == NULL
		        && strncmp(note, "for hmac-sha256:", 16) == 0,
		    "the referral's note in the feed: %s", note);
	}
	TH_CHECK(&T, n == 6,
	    "%zu items from services, want its five types and the note", n);
}

static void
s_validate(void)
{
	char        file[512], out[512], bad[512];
	const char *topic;
	size_t      ntopics = 0;
	struct stat st;
	char        ajv[512];

	snprintf(ajv, sizeof(ajv),
	    "%s/tools/api/node_modules/ajv/package.json", SN_SOURCE_DIR);
	TH_CHECK(&T, stat(ajv, &st) == 0,
	    "Ajv is not installed: run npm ci in tools/api "
	    "(deploy/local/contract does)");
	start(NULL);
	start_services_injector();
	/* One event of every type this version knows, every field set. */
	for (size_t i = 0; (topic = supervision_events_topic(i)) != NULL;
	     i++) {
		publish_filled(topic);
		ntopics++;
	}
	/* services' free text is scrubbed like any other's */
	char id[19], note[96];
	{
		Sn__Services__V1__ReferralRouted r
		    = SN__SERVICES__V1__REFERRAL_ROUTED__INIT;
		r.referral_id = "ref-note";
		r.department  = "medical_insurance";
		snprintf(
		    note, sizeof(note), "for %s, in hospital", idn(id, 7));
		r.note = note;
		publish_to(
		    services_port, "referral.routed", "ref-note", &r.base);
	}
	/* And a type it does not know: an item without data. */
	{
		Sn__Assist__V1__ApplicationWithdrawn w
		    = SN__ASSIST__V1__APPLICATION_WITHDRAWN__INIT;
		w.application_id = "app-x";
		publish("thing.happened", "app-x", &w.base);
	}
	/* The last one published: intake's stream is applied in order, so
	 * every other one is in the log before it. Supervision's modules may
	 * add events of their own (case.overdue raises an alert). */
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.events WHERE type = 'thing.happened'",
	        schema),
	    "the last event published did not arrive");
	TH_CHECK(&T,
	    th_wait_int(&T, 1, 30000,
	        "SELECT count(*) FROM %s.events WHERE subject = 'ref-note'",
	        schema),
	    "services' last event did not arrive");
	json_t *all = feed_all(hub_a, NULL, 0, 10);
	check_against_table(all, "every type");
	check_services_items(all, id);
	json_t *unknown = NULL;
	for (size_t i = 0; i < json_array_size(all); i++)
		if (strcmp(jstr(json_array_get(all, i), "type"),
		        "cn.safetynet.thing.happened.v1")
		    == 0)
			unknown = json_array_get(all, i);
	TH_CHECK(&T,
	    unknown != NULL && json_object_get(unknown, "data") == NULL
	        && json_object_get(unknown, "dataschema") == NULL,
	    "the unknown type's item: %s",
	    unknown != NULL ? json_dumps(unknown, 0) : "(none)");

	snprintf(file, sizeof(file), "%s/feed.jsonl", T.run_dir);
	snprintf(out, sizeof(out), "%s/validate.out", T.run_dir);
	write_lines(file, all);
	int   rc   = validate(file, out);
	char *text = NULL;
	{
		FILE       *f = fopen(out, "r");
		static char buf[16384];
		size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		buf[n]   = '\0';
		if (f != NULL)
			fclose(f);
		text = buf;
	}
	TH_CHECK(&T, rc == 0, "the feed's items fail their schemas: %s", text);
	char want[128];
	snprintf(want, sizeof(want), "%zu of %zu items valid, %zu types",
	    json_array_size(all), json_array_size(all), ntopics);
	TH_CHECK(&T, strstr(text, want) != NULL,
	    "the validator said %s, want %s", text, want);

	/* The validator catches drift: a member the schema does not name,
	 * and an identity number in clear. */
	json_t *copy = json_deep_copy(all);
	json_object_set_new(json_object_get(json_array_get(copy, 0), "data"),
	    "head_name", json_string("x"));
	snprintf(bad, sizeof(bad), "%s/bad1.jsonl", T.run_dir);
	write_lines(bad, copy);
	TH_CHECK(&T, validate(bad, out) == 1,
	    "an extra member in data passed the schemas");
	json_decref(copy);
	copy = json_deep_copy(all);
	for (size_t i = 0; i < json_array_size(copy); i++) {
		json_t *d = json_object_get(json_array_get(copy, i), "data");
		if (json_object_get(d, "head_id_number") != NULL) {
			json_object_set_new(
			    d, "head_id_number", json_string(secrets[0]));
			break;
		}
	}
	snprintf(bad, sizeof(bad), "%s/bad2.jsonl", T.run_dir);
	write_lines(bad, copy);
	TH_CHECK(&T, validate(bad, out) == 1,
	    "an identity number in clear passed the schemas");
	json_decref(copy);
	json_decref(all);
}

/* ---- webhook
 * ---------------------------------------------------------------- */

#define FAILS 3
#define MAX_POSTS 64

typedef struct post {
	int   status; /* what the hub answered */
	char  id[128], ts[32], sig[128], next[32], ctype[96];
	char *body;
} post;

static struct hubsrv {
	int             fd, port;
	pthread_t       th;
	pthread_mutex_t mu;
	post            posts[MAX_POSTS];
	int             n;
	volatile int    stop;
} H;

static void
header(const char *head, const char *name, char *out, size_t cap)
{
	const char *p = head;
	size_t      n = strlen(name);

	out[0] = '\0';
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r\n");
			snprintf(out, cap, "%.*s", (int) len, v);
			return;
		}
	}
}

/* A hub: answers 503 to the first FAILS POSTs, 200 after. */
static void *
hub_run(void *arg)
{
	(void) arg;
	while (!H.stop) {
		int c = accept(H.fd, NULL, NULL);
		if (c < 0)
			continue;
		char  *buf  = malloc(1 << 22);
		size_t len  = 0;
		char  *end  = NULL;
		long   clen = -1;
		while (len < (1 << 22) - 1) {
			ssize_t r = read(c, buf + len, (1 << 22) - 1 - len);
			if (r <= 0)
				break;
			len += (size_t) r;
			buf[len] = '\0';
			if (end == NULL
			    && (end = strstr(buf, "\r\n\r\n")) != NULL) {
				char cl[32];
				*end = '\0';
				header(buf, "Content-Length", cl, sizeof(cl));
				clen = atol(cl);
				*end = '\r';
			}
			if (end != NULL
			    && (long) (len - (size_t) (end + 4 - buf)) >= clen)
				break;
		}
		pthread_mutex_lock(&H.mu);
		if (end != NULL && H.n < MAX_POSTS) {
			post *p = &H.posts[H.n];
			*end    = '\0';
			header(buf, "webhook-id", p->id, sizeof(p->id));
			header(buf, "webhook-timestamp", p->ts, sizeof(p->ts));
			header(
			    buf, "webhook-signature", p->sig, sizeof(p->sig));
			header(buf, "SN-Feed-Next-Cursor", p->next,
			    sizeof(p->next));
			header(
			    buf, "Content-Type", p->ctype, sizeof(p->ctype));
			p->body   = strdup(end + 4);
			p->status = H.n < FAILS ? 503 : 200;
			H.n++;
			const char *ans = p->status == 200
			    ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
			      "Connection: close\r\n\r\n"
			    : "HTTP/1.1 503 Service Unavailable\r\n"
			      "Content-Length: 0\r\nConnection: close\r\n\r\n";
			if (write(c, ans, strlen(ans)) < 0)
				p->status = 0;
		}
		pthread_mutex_unlock(&H.mu);
		free(buf);
		close(c);
	}
	return NULL;
}

static void
hub_start(void)
{
	struct sockaddr_in sa  = { .sin_family = AF_INET };
	int                one = 1;
	struct timeval     tv  = { 0, 200000 };

	H.port             = th_free_port();
	sa.sin_port        = htons((uint16_t) H.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	H.fd               = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(H.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(H.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	TH_CHECK(&T,
	    bind(H.fd, (struct sockaddr *) &sa, sizeof(sa)) == 0
	        && listen(H.fd, 16) == 0,
	    "the test hub cannot listen");
	pthread_mutex_init(&H.mu, NULL);
	pthread_create(&H.th, NULL, hub_run, NULL);
}

static void
hub_stop(void)
{
	H.stop = 1;
	pthread_join(H.th, NULL);
	close(H.fd);
}

static void
s_webhook(void)
{
	static const char *const env[] = { "SN_SUPERVISION_FEED_PUSH_BATCH=7",
		"SN_SUPERVISION_FEED_RETRY_MIN_MS=50",
		"SN_SUPERVISION_FEED_RETRY_MAX_MS=200", NULL };
	const int                n     = 30;
	char                     body[256];
	answer                   a;

	start(env);
	hub_start();
	for (int i = 0; i < n; i++)
		publish_filled(topics_mixed[i % 9]);
	wait_events(n);

	/* Registration: district_admin only, a valid URL. */
	snprintf(body, sizeof(body), "{\"url\":\"http://127.0.0.1:%d/hook\"}",
	    H.port);
	a = call_raw(port, "PUT", "/hubs/hub-a", supervisor, new_key(), body);
	expect_status(a, 403, "forbidden", "a supervisor registering");
	answer_free(&a);
	a = call_raw(port, "PUT", "/hubs/hub-a", admin, new_key(),
	    "{\"url\":\"ftp://x\"}");
	expect_status(a, 422, "invalid_url", "an ftp URL");
	answer_free(&a);
	a = call_raw(port, "PUT", "/hubs/hub-a", admin, NULL, body);
	expect_status(a, 400, "idempotency_key_required", "no key");
	answer_free(&a);
	a = call_raw(port, "PUT", "/hubs/hub-a", admin, new_key(), body);
	expect_status(a, 201, NULL, "registering hub-a");
	char secret[128];
	snprintf(secret, sizeof(secret), "%s", jstr(a.body, "signing_secret"));
	TH_CHECK(&T, strncmp(secret, "whsec_", 6) == 0, "signing_secret %s",
	    secret);
	answer_free(&a);

	/* The four PUTs were staff actions: supervision's own stream
	 * carries their records (staff.acted) into the log too. */
	TH_CHECK(&T,
	    th_wait_int(&T, 4, 30000,
	        "SELECT count(*) FROM %s.events WHERE type = 'staff.acted'",
	        schema),
	    "the PUTs' staff.acted records did not arrive");
	int64_t total = events_count();

	/* Every event reaches the hub; the cursor moves to the head. */
	if (!th_wait_int(&T, total, 30000,
	        "SELECT cursor FROM %s.feed_hubs WHERE name = 'hub-a'",
	        schema)) {
		a = call_raw(port, "GET", "/hubs", supervisor, NULL, NULL);
		th_fail(&T,
		    "hub-a's cursor did not reach %lld after %d POSTs: %s",
		    (long long) total, H.n, a.raw);
	}

	uint8_t key[32];
	size_t  klen = 0;
	TH_CHECK(&T,
	    sodium_base642bin(key, sizeof(key), secret + 6, strlen(secret + 6),
	        NULL, &klen, NULL, sodium_base64_VARIANT_ORIGINAL)
	            == 0
	        && klen == 32,
	    "the secret is not base64 of 32 bytes");
	json_t *acked          = json_array();
	int64_t cursor         = 0; /* the hub's, as it acknowledged */
	char    prev_ids[4096] = "";
	pthread_mutex_lock(&H.mu);
	int posts = H.n;
	pthread_mutex_unlock(&H.mu);
	TH_CHECK(&T, posts >= FAILS + (int) (total + 6) / 7, "only %d POSTs",
	    posts);
	for (int i = 0; i < posts; i++) {
		post   *p         = &H.posts[i];
		json_t *ev        = json_loads(p->body, 0, NULL);
		char    ids[4096] = "";
		size_t  k;
		json_t *e;

		TH_CHECK(&T, json_is_array(ev) && json_array_size(ev) > 0,
		    "POST %d is not a batch: %.200s", i, p->body);
		TH_CHECK(&T,
		    strcmp(p->ctype, "application/cloudevents-batch+json")
		        == 0,
		    "POST %d: Content-Type %s", i, p->ctype);
		/* The cursor moved only after a 2xx: each POST starts right
		 * after the last batch acknowledged. */
		TH_CHECK(&T,
		    strtoll(jstr(json_array_get(ev, 0), "snpos"), NULL, 10)
		        == cursor + 1,
		    "POST %d starts at %s, the hub acknowledged %lld", i,
		    jstr(json_array_get(ev, 0), "snpos"), (long long) cursor);
		json_array_foreach(ev, k, e)
		{
			strncat(
			    ids, jstr(e, "id"), sizeof(ids) - strlen(ids) - 2);
			strcat(ids, ",");
		}
		/* A retry carries the same events, the same ids. */
		if (i > 0 && H.posts[i - 1].status != 200)
			TH_CHECK(&T, strcmp(ids, prev_ids) == 0,
			    "POST %d, a retry, carries other ids", i);
		snprintf(prev_ids, sizeof(prev_ids), "%s", ids);
		/* Signed as Standard Webhooks sign: id.timestamp.body. */
		uint8_t                      mac[32];
		char                         b64[64], want[80];
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, key, 32);
		crypto_auth_hmacsha256_update(
		    &st, (const unsigned char *) p->id, strlen(p->id));
		crypto_auth_hmacsha256_update(
		    &st, (const unsigned char *) ".", 1);
		crypto_auth_hmacsha256_update(
		    &st, (const unsigned char *) p->ts, strlen(p->ts));
		crypto_auth_hmacsha256_update(
		    &st, (const unsigned char *) ".", 1);
		crypto_auth_hmacsha256_update(
		    &st, (const unsigned char *) p->body, strlen(p->body));
		crypto_auth_hmacsha256_final(&st, mac);
		sodium_bin2base64(
		    b64, sizeof(b64), mac, 32, sodium_base64_VARIANT_ORIGINAL);
		snprintf(want, sizeof(want), "v1,%s", b64);
		TH_CHECK(&T, strcmp(p->sig, want) == 0,
		    "POST %d: signature %s, want %s", i, p->sig, want);
		TH_CHECK(&T,
		    strcmp(p->next,
		        jstr(json_array_get(ev, json_array_size(ev) - 1),
		            "snpos"))
		        == 0,
		    "POST %d: SN-Feed-Next-Cursor %s", i, p->next);
		scan_clean(p->body, "a webhook POST");
		if (p->status == 200) {
			json_array_extend(acked, ev);
			cursor = strtoll(p->next, NULL, 10);
		}
		json_decref(ev);
	}
	TH_CHECK(&T, H.posts[0].status == 503 && H.posts[FAILS].status == 200,
	    "the hub's answers were not %d failures then successes", FAILS);
	/* Every event acknowledged exactly once, in order: the table's. */
	check_against_table(acked, "the events acknowledged by webhook");
	/* The same items as GET /feed gives hub-a: its pseudonyms. */
	json_t *pulled = feed_all(hub_a, NULL, 0, 100);
	TH_CHECK(&T, json_equal(pulled, acked),
	    "the pushed items differ from hub-a's GET /feed");
	json_decref(pulled);
	json_decref(acked);

	a = call_raw(port, "GET", "/hubs", supervisor, NULL, NULL);
	expect_status(a, 200, NULL, "GET /hubs");
	json_t *h = json_array_get(json_object_get(a.body, "items"), 0);
	char    want[24];
	snprintf(want, sizeof(want), "%lld", (long long) total);
	TH_CHECK(&T,
	    strcmp(jstr(h, "cursor"), want) == 0
	        && json_integer_value(json_object_get(h, "failures")) == 0
	        && json_integer_value(json_object_get(h, "delivered")) == total
	        && json_object_get(h, "signing_secret") == NULL,
	    "GET /hubs answered %s", a.raw);
	answer_free(&a);
	TH_CHECK(&T,
	    th_metric_http(&T, port,
	        "sn_supervision_feed_pushes_total{outcome=\"failed\"}")
	        == FAILS,
	    "the failed pushes were not counted");
	hub_stop();
	for (int i = 0; i < H.n; i++)
		free(H.posts[i].body);
}

/* ---- follow_kill
 * -------------------------------------------------------------- */

static volatile int publishing;
static int          published;

/* Publishes the k-th application.withdrawn; true when it was taken. */
static bool
publish_withdrawn(int k)
{
	Sn__Assist__V1__ApplicationWithdrawn w
	    = SN__ASSIST__V1__APPLICATION_WITHDRAWN__INIT;
	char id[32], hex[256], json[512], key[64];
	snprintf(id, sizeof(id), "app-%d", k);
	w.application_id = id;
	w.reason         = "test";
	char *h          = th_hex(&w.base);
	snprintf(hex, sizeof(hex), "%s", h);
	free(h);
	snprintf(json, sizeof(json),
	    "{\"type\":\"application.withdrawn\",\"subject\":\"%s\","
	    "\"actor\":\"t\",\"data_hex\":\"%s\"}",
	    id, hex);
	snprintf(key, sizeof(key), "pub-%d-%d", (int) getpid(), k);
	return th_http(
	           &T, inject_port, "POST", "/publish", NULL, key, json, NULL)
	    == 201;
}

static void *
publisher_run(void *arg)
{
	(void) arg;
	while (publishing) {
		if (publish_withdrawn(published + 1))
			published++;
		th_sleep_ms(10);
	}
	return NULL;
}

static long
lines_of(const char *path)
{
	FILE *f = fopen(path, "r");
	long  n = 0;
	int   c;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void
s_follow_kill(void)
{
	struct follow_files ff;
	pthread_t           pub;
	FILE               *f;
	unsigned            rnd = (unsigned) getpid();

	start(NULL);
	follow_files(&ff);
	const char *argv[] = { SN_FOLLOW_BIN, "--url", ff.url, "--cursor-file",
		ff.cur, "--output", ff.out, "--token-file", ff.tok, "--limit",
		"7", "--wait", "2", NULL };

	uint64_t t0 = th_now_ms();
	publishing  = 1;
	pthread_create(&pub, NULL, publisher_run, NULL);
	for (int k = 0; k < 20; k++) {
		long     before = lines_of(ff.out);
		th_proc *p = th_spawn(&T, "follow", SN_FOLLOW_BIN, argv, NULL);
		uint64_t end = th_now_ms() + 20000;

		/* Killed mid-stream: once it has written something. */
		while (lines_of(ff.out) <= before) {
			TH_CHECK(&T, th_now_ms() < end,
			    "sn-follow run %d wrote nothing", k + 1);
			TH_CHECK(
			    &T, th_alive(p), "sn-follow run %d exited", k + 1);
			th_sleep_ms(5);
		}
		rnd = rnd * 1103515245u + 12345u;
		th_sleep_ms((int) (rnd >> 16) % 40);
		th_kill(&T, p, SIGKILL);
		/* Crashes at the worst moments, made by hand: every third
		 * run's output ends with half a line (a write cut short),
		 * every fourth one's cursor file lags the output (killed
		 * between the output's fsync and the cursor's rename). */
		if (k % 3 == 1 && (f = fopen(ff.out, "a")) != NULL) {
			fputs("{\"specversion\":\"1.0\",\"id\":\"cut", f);
			fclose(f);
		}
		if (k % 4 == 2 && (f = fopen(ff.cur, "r")) != NULL) {
			long long c      = 0;
			char      ep[64] = "";
			if (fscanf(f, "%lld %63s", &c, ep) < 1)
				c = 0;
			fclose(f);
			if ((f = fopen(ff.cur, "w")) != NULL) {
				fprintf(f, "%lld %s\n", c > 5 ? c - 5 : 0, ep);
				fclose(f);
			}
		}
	}
	publishing = 0;
	pthread_join(pub, NULL);
	printf("follow_kill: 20 kills in %llu ms, %d events published\n",
	    (unsigned long long) (th_now_ms() - t0), published);
	wait_events(published);

	/* The last run catches up and exits (--once), in big pages: each
	 * page costs three fsyncs. */
	const char *argv_once[] = { SN_FOLLOW_BIN, "--url", ff.url,
		"--cursor-file", ff.cur, "--output", ff.out, "--token-file",
		ff.tok, "--limit", "1000", "--wait", "0", "--once", NULL };
	th_proc    *p = th_spawn(&T, "follow", SN_FOLLOW_BIN, argv_once, NULL);
	int         st = th_wait_exit(&T, p, 60000);
	TH_CHECK(&T, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the last sn-follow did not exit 0 (%d)", st);

	/* Every event once, in order, as the table holds them. */
	json_t *items = json_array();
	f             = fopen(ff.out, "r");
	TH_CHECK(&T, f != NULL, "no output");
	char  *line = NULL;
	size_t cap  = 0;
	long   no   = 0;
	while (getline(&line, &cap, f) > 0) {
		json_t *ev = json_loads(line, 0, NULL);
		no++;
		TH_CHECK(&T, ev != NULL, "output line %ld is not JSON: %.80s",
		    no, line);
		json_array_append_new(items, ev);
	}
	free(line);
	fclose(f);
	TH_CHECK(&T,
	    (int64_t) json_array_size(items) == published
	        && events_count() == published,
	    "the output holds %zu lines, the log %lld events, %d were "
	    "published",
	    json_array_size(items), (long long) events_count(), published);
	check_against_table(items, "sn-follow's output");
	json_decref(items);
	long long cv = -1;
	f            = fopen(ff.cur, "r");
	TH_CHECK(&T, f != NULL && fscanf(f, "%lld", &cv) == 1, "no cursor");
	fclose(f);
	TH_CHECK(&T, cv == published, "the cursor file says %lld, want %d", cv,
	    published);
}

/*
 * A crash between the output's fsync and the cursor file's rename
 * leaves the file behind the output. A restart takes the output's last
 * position as its cursor, and wrote it to the file only with the next
 * page it took: caught up already (--once, nothing new), it exited with
 * the file still behind (follow_kill failed so once in a fresh clone's
 * suite: the file said 81 of 82). Here 12 events are followed to the
 * end, the file is put 5 behind with its epoch, and a second --once run
 * with nothing new must leave the output as it was and the file at 12.
 */
static void
s_follow_cursor_behind(void)
{
	enum { N = 12 };
	struct follow_files ff;
	char                ep[64] = "";
	FILE               *f;

	start(NULL);
	follow_files(&ff);
	for (int i = 0; i < N; i++)
		TH_CHECK(
		    &T, publish_withdrawn(i + 1), "event %d not taken", i + 1);
	wait_events(N);
	const char *argv[] = { SN_FOLLOW_BIN, "--url", ff.url, "--cursor-file",
		ff.cur, "--output", ff.out, "--token-file", ff.tok, "--limit",
		"5", "--wait", "0", "--once", NULL };
	long long   c      = -1;
	for (int run = 0; run < 2; run++) {
		th_proc *p = th_spawn(&T, "follow", SN_FOLLOW_BIN, argv, NULL);
		int      st = th_wait_exit(&T, p, 30000);
		TH_CHECK(&T, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "sn-follow run %d did not exit 0 (%d)", run + 1, st);
		TH_CHECK(&T, lines_of(ff.out) == N,
		    "run %d: the output holds %ld"
		    " lines, want %d",
		    run + 1, lines_of(ff.out), N);
		f = fopen(ff.cur, "r");
		TH_CHECK(&T, f != NULL && fscanf(f, "%lld %63s", &c, ep) == 2,
		    "run %d: no cursor", run + 1);
		fclose(f);
		TH_CHECK(&T, c == N,
		    "run %d: the cursor file says %lld, want %d", run + 1, c,
		    N);
		if (run == 0) { /* as a crash before the rename leaves it */
			f = fopen(ff.cur, "w");
			TH_CHECK(&T, f != NULL, "cannot rewrite the cursor");
			fprintf(f, "%d %s\n", N - 5, ep);
			fclose(f);
		}
	}
	printf("follow_cursor_behind: the file put 5 behind the output's %d"
	       " lines is at %lld after a run with nothing new\n",
	    N, c);
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "pages", s_pages },
		{ "long_poll", s_long_poll },
		{ "expired", s_expired },
		{ "pseudonyms", s_pseudonyms },
		{ "validate", s_validate },
		{ "webhook", s_webhook },
		{ "follow_kill", s_follow_kill },
		{ "follow_cursor_behind", s_follow_cursor_behind },
	};

	if (sodium_init() < 0)
		return 1;
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), NULL);
}
