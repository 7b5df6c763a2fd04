/*
 * The bus carries the request id (issue 16 item 4), against a real
 * PostgreSQL (SN_TEST_DB_URL) and real NNG sockets over ipc:// in one
 * process: a publisher that follows its own stream, and later a second
 * follower that gets the same events through replay.
 *
 * An event appended while request id R is set records R in its outbox
 * row; its follower's handler runs with R set (so its lines name R), the
 * callback of a query the handler queued runs with R again, and the
 * events the handler (or that callback) appends record R in turn. An
 * event appended with no request id is handled with none, and nothing is
 * left set once the handlers are over.
 *
 * Retention (a publisher of its own, schema c): numbered rows older than
 * the retention period are deleted up to the first row still kept by
 * age; an aged row after a fresh one waits for it, and the publisher's
 * last sequence stays.
 *
 * A transaction's events wait for its commit and go in one statement, in
 * order, each with its own request id; those appended after a savepoint
 * that is undone are left out. Without a savepoint, a transaction's
 * first 8 events go at once and the rest at its commit, numbered there
 * when they are 100 or more; those reach a follower live, each as its
 * row was stored, though the numbering sends none of their columns back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sn/bus.h"
#include "sn/log.h"
#include "sn/tls.h"

#define RID "rid-bus.7f3a"

static char        dir[64];
static char        pub_url[128], rep_url[128];
static char        conninfo[512];
static char        schema_a[64], schema_b[64], schema_c[64];
static PGconn     *admin;
static sn_loop    *loop;
static sn_metrics *metrics;
static sn_db      *db_a, *db_b, *db_c;
static sn_bus     *bus_a, *bus_b, *bus_c;

/* What a handler saw: the request id set (a copy; "-" for none), and
 * the event's own (want, checked). */
struct seen {
	const char *want;
	bool        done;
	char        rid[SN_LOG_REQUEST_ID_MAX + 1];
};
static struct seen first = { .want = RID }, first_cb = { .want = RID },
                   second = { .want = RID }, third = { .want = RID },
                   plain = { .want = "" }, replayed = { .want = RID };

static void
see(struct seen *s)
{
	const char *rid = sn_log_request_id();
	snprintf(s->rid, sizeof(s->rid), "%s", rid != NULL ? rid : "-");
	s->done = true;
}

/* Runs sql (printf-style) as the admin; fails the test unless its
 * status is want. The result is the caller's. */
__attribute__((format(printf, 2, 3))) static PGresult *
admin_query(ExecStatusType want, const char *fmt, ...)
{
	char    sql[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	PGresult *r = PQexec(admin, sql);
	if (PQresultStatus(r) != want)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	return r;
}

/* The column "count" of the one row of r (freed), read as a store reads
 * it. */
static int64_t
count_of(PGresult *r)
{
	typedef struct one {
		int64_t v;
	} one;
	const sn_col c = { "count", SN_COL_I64, offsetof(one, v),
		sizeof(int64_t), SN_COL_NOT_NULL, NULL };
	one          o = { 0 };
	assert_int_equal(sn_rows_one(r, &c, 1, &o), SN_OK);
	PQclear(r);
	return o.v;
}

static void
run_until(const bool *flag)
{
	for (int i = 0; i < 200000 && !*flag; i++)
		uv_run(sn_loop_uv(loop), UV_RUN_ONCE);
	assert_true(*flag);
}

static sn_err
append(sn_bus *bus, sn_tx *tx, const char *type)
{
	const sn_event_out ev = { .type = type,
		.subject                = "case-1",
		.actor                  = "system",
		.schema_version         = 1,
		.data                   = (const uint8_t *) "x",
		.len                    = 1 };
	return sn_bus_append(bus, tx, &ev);
}

/* ---- the handlers ------------------------------------------------------ */

static void
first_read(sn_tx *tx, PGresult *res, void *arg)
{
	(void) res;
	see(&first_cb);
	/* Appended from the callback: the id db.c set again. */
	if (append(arg, tx, "t.third") != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
}

static sn_err
on_first(sn_tx *tx, const sn_event *ev, void *arg)
{
	assert_string_equal(ev->request_id, RID);
	see(&first);
	sn_err err = append(arg, tx, "t.second");
	if (err == SN_OK)
		err = sn_tx_query(tx, "SELECT 1", 0, NULL, first_read, arg);
	return err;
}

/* The handler of t.second, t.third, t.plain and the replayed t.second:
 * arg is its struct seen. */
static sn_err
on_seen(sn_tx *tx, const sn_event *ev, void *arg)
{
	struct seen *s = arg;
	(void) tx;
	assert_string_equal(ev->request_id, s->want);
	see(s);
	return SN_OK;
}

/* ---- the appends ---------------------------------------------------------
 */

struct appended {
	bool        done;
	sn_err      err;
	const char *type;
	char        begin_rid[SN_LOG_REQUEST_ID_MAX + 1];
};

static void
append_begin(sn_tx *tx, void *arg)
{
	struct appended *a   = arg;
	const char      *rid = sn_log_request_id();
	snprintf(
	    a->begin_rid, sizeof(a->begin_rid), "%s", rid != NULL ? rid : "-");
	if (append(bus_a, tx, a->type) != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
	else
		sn_tx_commit(tx);
}

static void
append_done(sn_err err, void *arg)
{
	struct appended *a = arg;
	a->err             = err;
	a->done            = true;
}

/* ---- the tests -----------------------------------------------------------
 */

static void
test_handlers_carry_request_id(void **state)
{
	(void) state;
	struct appended a1 = { .type = "t.first" };
	struct appended a2 = { .type = "t.plain" };
	/* As an HTTP handler does: the transaction asked for under R runs
	 * its code with R (db.c keeps it), so the append records R. */
	sn_log_set_request_id(RID);
	sn_db_tx(db_a, append_begin, append_done, &a1);
	sn_log_set_request_id(NULL);
	sn_db_tx(db_a, append_begin, append_done, &a2);
	run_until(&a1.done);
	run_until(&a2.done);
	assert_int_equal(a1.err, SN_OK);
	assert_int_equal(a2.err, SN_OK);
	assert_string_equal(a1.begin_rid, RID);
	assert_string_equal(a2.begin_rid, "-");

	run_until(&third.done);
	run_until(&plain.done);
	assert_true(first.done && first_cb.done && second.done);
	assert_string_equal(first.rid, RID);
	assert_string_equal(first_cb.rid, RID);
	assert_string_equal(second.rid, RID);
	assert_string_equal(third.rid, RID);
	assert_string_equal(plain.rid, "-");
	/* Set around each handler and cleared after. */
	assert_null(sn_log_request_id());

	/* The outbox rows: t.first, t.second (from the handler) and
	 * t.third (from its query's callback) carry R; t.plain none. */
	assert_int_equal(count_of(admin_query(PGRES_TUPLES_OK,
	                     "SELECT count(*) FROM %s.outbox"
	                     " WHERE request_id = '" RID "'",
	                     schema_a)),
	    3);
	assert_int_equal(count_of(admin_query(PGRES_TUPLES_OK,
	                     "SELECT count(*) FROM %s.outbox"
	                     " WHERE topic = 't.plain' AND request_id = ''",
	                     schema_a)),
	    1);
	assert_int_equal(count_of(admin_query(PGRES_TUPLES_OK,
	                     "SELECT count(*) FROM %s.outbox", schema_a)),
	    4);
	/* Their ids are time-ordered (version 7, sn_uuid_v7), made now. */
	assert_int_equal(count_of(admin_query(PGRES_TUPLES_OK,
	                     "SELECT count(*) FROM %s.outbox"
	                     " WHERE substr(event_id::text, 15, 1) = '7'"
	                     " AND ('x' || substr(event_id::text, 1, 8)"
	                     " || substr(event_id::text, 10, 4))::bit(48)"
	                     "::bigint BETWEEN floor(extract(epoch FROM"
	                     " created_at) * 1000) - 1000 AND floor(extract("
	                     "epoch FROM clock_timestamp()) * 1000)",
	                     schema_a)),
	    4);
	printf("bus: 3 of 4 outbox rows carry " RID
	       " (the handler's and its callback's appends); "
	       "handlers saw %s, %s, %s, %s; the plain event %s\n",
	    first.rid, first_cb.rid, second.rid, third.rid, plain.rid);
}

/* A second follower, started after the events were published: it gets
 * them from the replay endpoint, whose envelopes carry the id too. */
static void
test_replay_carries_request_id(void **state)
{
	(void) state;
	sn_db_config dc
	    = { .conninfo = conninfo, .schema = schema_b, .pool = 1 };
	assert_int_equal(sn_db_open(&db_b, loop, &dc), SN_OK);
	sn_bus_config bc = { .heartbeat_ms = 100 };
	assert_int_equal(sn_bus_open(&bus_b, loop, db_b, metrics, &bc), SN_OK);
	assert_int_equal(sn_bus_follow(bus_b, "p", pub_url, rep_url), SN_OK);
	assert_int_equal(
	    sn_bus_on(bus_b, "p", "t.second", on_seen, &replayed), SN_OK);
	run_until(&replayed.done);
	assert_string_equal(replayed.rid, RID);
	assert_null(sn_log_request_id());
	printf("bus: replayed t.second handled with %s\n", replayed.rid);
}

/* Six numbered rows of publisher "r", whose last sequence is 6: 1-3 aged
 * (40 days), 4 fresh, 5 and 6 aged again. A retention of 30 days deletes
 * 1-3 and keeps 4-6. */
static void
test_retention(void **state)
{
	(void) state;
	PQclear(admin_query(PGRES_COMMAND_OK,
	    "INSERT INTO %s.bus_publisher (name, last_seq) VALUES ('r', 6)",
	    schema_c));
	for (int seq = 1; seq <= 6; seq++)
		PQclear(admin_query(PGRES_COMMAND_OK,
		    "INSERT INTO %s.outbox (seq, topic, data, created_at,"
		    " published_at) VALUES (%d, 't.old', 'x', now() - "
		    "interval '%d days', now())",
		    schema_c, seq, seq == 4 ? 0 : 40));
	char pub_c[128], rep_c[128];
	snprintf(pub_c, sizeof(pub_c), "ipc://%s/pub-c", dir);
	snprintf(rep_c, sizeof(rep_c), "ipc://%s/replay-c", dir);
	sn_db_config dc
	    = { .conninfo = conninfo, .schema = schema_c, .pool = 1 };
	assert_int_equal(sn_db_open(&db_c, loop, &dc), SN_OK);
	sn_bus_config bc = { .publisher = "r",
		.pub_url                = pub_c,
		.replay_url             = rep_c,
		.heartbeat_ms           = 100,
		.retention_days         = 30,
		.retention_first_ms     = 50 };
	assert_int_equal(sn_bus_open(&bus_c, loop, db_c, metrics, &bc), SN_OK);
	int64_t left = 6;
	for (int i = 0; i < 200000 && left > 3; i++) {
		uv_run(sn_loop_uv(loop), UV_RUN_ONCE);
		if (i % 16 == 0)
			left = count_of(admin_query(PGRES_TUPLES_OK,
			    "SELECT count(*) FROM %s.outbox", schema_c));
	}
	assert_int_equal(left, 3);
	assert_int_equal(count_of(admin_query(PGRES_TUPLES_OK,
	                     "SELECT count(*) FROM %s.outbox WHERE seq IN (4, "
	                     "5, 6)",
	                     schema_c)),
	    3);
	printf("bus: retention kept sequences 4,5,6 of 1-6\n");
}

/* ---- a transaction's events at its commit ---------------------------- */

struct at_commit {
	bool    done;
	sn_err  err;
	int64_t before; /* u.* rows the transaction saw before its commit */
};

static void
at_commit_seen(sn_tx *tx, PGresult *res, void *arg)
{
	struct at_commit *a = arg;
	a->before           = count_of(
	              PQcopyResult(res, PG_COPYRES_TUPLES | PG_COPYRES_ATTRS));
	sn_tx_commit(tx);
}

static void
at_commit_as(sn_tx *tx, const char *rid, const char *type, bool *ok)
{
	sn_log_set_request_id(rid);
	if (append(bus_a, tx, type) != SN_OK)
		*ok = false;
	sn_log_set_request_id(NULL);
}

/* Five events, two of them undone with their savepoints (as a refused
 * member of a group commit is), each under its own request id. */
static void
at_commit_begin(sn_tx *tx, void *arg)
{
	bool ok = true;
	ok      = sn_tx_savepoint(tx) == SN_OK;
	at_commit_as(tx, "rid-u1", "u.one", &ok);
	ok = ok && sn_tx_savepoint_release(tx) == SN_OK;
	ok = ok && sn_tx_savepoint(tx) == SN_OK;
	at_commit_as(tx, "rid-u2", "u.two", &ok);
	ok = ok && sn_tx_savepoint_release(tx) == SN_OK;
	ok = ok && sn_tx_savepoint(tx) == SN_OK;
	at_commit_as(tx, "rid-u3", "u.undone", &ok);
	ok = ok && sn_tx_savepoint_undo(tx) == SN_OK;
	ok = ok && sn_tx_savepoint(tx) == SN_OK
	    && sn_tx_savepoint(tx) == SN_OK;
	at_commit_as(tx, "rid-u4", "u.undone", &ok);
	ok = ok && sn_tx_savepoint_release(tx) == SN_OK
	    && sn_tx_savepoint_undo(tx) == SN_OK;
	ok = ok && sn_tx_savepoint_undo(tx) == SN_EINVAL; /* none open */
	at_commit_as(tx, "rid-u5", "u.five", &ok);
	if (!ok
	    || sn_tx_query(tx,
	           "SELECT count(*) FROM outbox WHERE topic LIKE 'u.%'", 0,
	           NULL, at_commit_seen, arg)
	        != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
}

static void
at_commit_done(sn_err err, void *arg)
{
	struct at_commit *a = arg;
	a->err              = err;
	a->done             = true;
}

/* A transaction's events are inserted at its commit, in one statement
 * and in the order appended, each with the request id it was appended
 * under; the events appended after a savepoint that is undone are not. */
static void
test_events_at_commit(void **state)
{
	(void) state;
	struct at_commit a = { .before = -1 };
	sn_db_tx(db_a, at_commit_begin, at_commit_done, &a);
	run_until(&a.done);
	assert_int_equal(a.err, SN_OK);
	assert_int_equal(a.before, 0);
	typedef struct rows {
		char list[256];
	} rows;
	const sn_col c = SN_COL(rows, list, SN_COL_CHARS);
	rows         o = { "" };
	PGresult    *r = admin_query(PGRES_TUPLES_OK,
	       "SELECT string_agg(topic || '/' || request_id, ',' ORDER BY id)"
	          " AS list FROM %s.outbox WHERE topic LIKE 'u.%%'",
	       schema_a);
	assert_int_equal(sn_rows_one(r, &c, 1, &o), SN_OK);
	PQclear(r);
	assert_string_equal(o.list, "u.one/rid-u1,u.two/rid-u2,u.five/rid-u5");
	printf("bus: none of the transaction's events before its commit; "
	       "after it 3 of 5, in order, the 2 undone left out\n");
}

/* ---- events after a transaction's eighth collected for its commit ---- */

struct collected {
	const char *prefix; /* the events' topics: prefix.1, prefix.2, ... */
	int         n;      /* appended one by one */
	bool        undone; /* then a savepoint, one more undone, one after */
	bool        done;
	sn_err      err;
	int64_t     before; /* prefix.* rows the transaction saw before */
};

static void
collected_seen(sn_tx *tx, PGresult *res, void *arg)
{
	struct collected *c = arg;
	c->before           = count_of(
	              PQcopyResult(res, PG_COPYRES_TUPLES | PG_COPYRES_ATTRS));
	sn_tx_commit(tx);
}

static void
collected_begin(sn_tx *tx, void *arg)
{
	struct collected *c = arg;
	char              type[32], like[32];
	bool              ok = true;
	for (int i = 1; i <= c->n && ok; i++) {
		snprintf(type, sizeof(type), "%s.%d", c->prefix, i);
		ok = append(bus_a, tx, type) == SN_OK;
	}
	if (ok && c->undone) {
		snprintf(type, sizeof(type), "%s.undone", c->prefix);
		ok = sn_tx_savepoint(tx) == SN_OK
		    && append(bus_a, tx, type) == SN_OK
		    && sn_tx_savepoint_undo(tx) == SN_OK;
		snprintf(type, sizeof(type), "%s.after", c->prefix);
		ok = ok && append(bus_a, tx, type) == SN_OK;
	}
	snprintf(like, sizeof(like), "%s.%%", c->prefix);
	const char *v[1] = { like };
	if (!ok
	    || sn_tx_query(tx,
	           "SELECT count(*) FROM outbox WHERE topic LIKE $1", 1, v,
	           collected_seen, c)
	        != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
}

static void
collected_done(sn_err err, void *arg)
{
	struct collected *c = arg;
	c->err              = err;
	c->done             = true;
}

/* Runs c's transaction; its rows, in id order, as "topic,topic,...", and
 * how many the transaction numbered itself (published_at is the
 * transaction's now(), as created_at is; a relay pass's is later). */
static void
collected_run(struct collected *c, char *list, size_t size, int64_t *own)
{
	sn_db_tx(db_a, collected_begin, collected_done, c);
	run_until(&c->done);
	assert_int_equal(c->err, SN_OK);
	typedef struct rows {
		char    list[2048];
		int64_t own;
	} rows;
	const sn_col cols[] = { SN_COL(rows, list, SN_COL_CHARS),
		SN_COL(rows, own, SN_COL_I64) };
	rows         o      = { "", 0 };
	PGresult    *r      = admin_query(PGRES_TUPLES_OK,
	            "SELECT string_agg(topic, ',' ORDER BY id) AS list,"
	                    " count(*) FILTER (WHERE published_at = created_at) AS own"
	                    " FROM %s.outbox WHERE topic LIKE '%s.%%'",
	            schema_a, c->prefix);
	assert_int_equal(sn_rows_one(r, cols, 2, &o), SN_OK);
	PQclear(r);
	snprintf(list, size, "%s", o.list);
	*own = o.own;
}

/* A transaction's first 8 events go at once, the rest at its commit in
 * one statement, in order; 12 are left to the relay, 150 are numbered by
 * that transaction itself (SN_BUS_NUMBER_AT_APPEND, 100). After a savepoint
 * the events collected before it still go at the commit, ahead of those
 * appended after it, and undoing the savepoint leaves out only the event
 * appended inside it (sent at once inside it, the collected ones would be
 * undone with it). */
static void
test_collected_at_commit(void **state)
{
	(void) state;
	char    list[2048], want[2048];
	int64_t own;

	struct collected few = { .prefix = "v", .n = 12 };
	collected_run(&few, list, sizeof(list), &own);
	assert_int_equal(few.before, 8);
	assert_string_equal(list,
	    "v.1,v.2,v.3,v.4,v.5,v.6,v.7,v.8,v.9,v.10,"
	    "v.11,v.12");
	assert_int_equal(own, 0); /* fewer than 100: the relay numbers them */

	struct collected many = { .prefix = "w", .n = 150 };
	collected_run(&many, list, sizeof(list), &own);
	assert_int_equal(many.before, 8);
	size_t at = 0;
	for (int i = 1; i <= 150; i++)
		at += (size_t) snprintf(want + at, sizeof(want) - at, "%sw.%d",
		    i > 1 ? "," : "", i);
	assert_string_equal(list, want);
	assert_int_equal(own, 150);

	struct collected sp = { .prefix = "x", .n = 10, .undone = true };
	collected_run(&sp, list, sizeof(list), &own);
	assert_int_equal(sp.before, 8);
	assert_string_equal(
	    list, "x.1,x.2,x.3,x.4,x.5,x.6,x.7,x.8,x.9,x.10,x.after");
	printf("bus: 12 events one by one, 8 before the commit and all 12 "
	       "after, in order; 150, all numbered by their transaction; a "
	       "savepoint after 10, all 10 kept and the undone one left "
	       "out\n");
}

/* ---- events numbered at commit, as their follower gets them live ---- */

#define LIVE_N 120

/* What the handler of n.e got, event by event, copied. */
struct live_ev {
	uint64_t seq;
	uint32_t schema_version;
	char     id[40], subject[16], actor[16], time[40];
	char     data[16], rid[SN_LOG_REQUEST_ID_MAX + 1];
	size_t   len;
};
static struct live_ev live[LIVE_N];
static int            nlive;
static bool           live_all;

static sn_err
on_live(sn_tx *tx, const sn_event *ev, void *arg)
{
	(void) tx;
	(void) arg;
	if (nlive < LIVE_N && ev->len < sizeof(live[0].data)) {
		struct live_ev *e = &live[nlive++];
		e->seq            = ev->sequence;
		e->schema_version = ev->schema_version;
		snprintf(e->id, sizeof(e->id), "%s", ev->id);
		snprintf(e->subject, sizeof(e->subject), "%s", ev->subject);
		snprintf(e->actor, sizeof(e->actor), "%s", ev->actor);
		snprintf(e->time, sizeof(e->time), "%s", ev->time);
		snprintf(e->rid, sizeof(e->rid), "%s", ev->request_id);
		memcpy(e->data, ev->data, ev->len);
		e->len = ev->len;
	}
	live_all = nlive == LIVE_N;
	return SN_OK;
}

struct live_tx {
	bool   done;
	sn_err err;
};

/* Event i's fields: each differs from the next, bytes 0 and quotes
 * among the data. */
static void
live_begin(sn_tx *tx, void *arg)
{
	(void) arg;
	bool ok = true;
	for (int i = 0; i < LIVE_N && ok; i++) {
		char    subject[16], actor[16];
		uint8_t data[4] = { 0, '"', (uint8_t) i, '\\' };
		snprintf(subject, sizeof(subject), "s-%d", i);
		snprintf(actor, sizeof(actor), "a-%d", i % 7);
		const sn_event_out ev = { .type = "n.e",
			.subject                = subject,
			.actor                  = actor,
			.schema_version         = (uint32_t) (1 + i % 3),
			.data                   = data,
			.len                    = (size_t) (i % 5) };
		ok                    = sn_bus_append(bus_a, tx, &ev) == SN_OK;
	}
	if (ok)
		sn_tx_commit(tx);
	else
		sn_tx_rollback(tx, SN_EDB);
}

static void
live_done(sn_err err, void *arg)
{
	struct live_tx *t = arg;
	t->err            = err;
	t->done           = true;
}

/* The events replayed to bus_a's stream so far (its metrics). */
static int64_t
replayed_so_far(void)
{
	char       *text = sn_metrics_render(metrics);
	const char *name = "sn_bus_events_replayed_total{publisher=\"p\"} ";
	const char *at   = text != NULL ? strstr(text, name) : NULL;
	assert_non_null(at);
	int64_t n = strtoll(at + strlen(name), NULL, 10);
	free(text);
	return n;
}

/* 120 events appended one by one: the first 8 inserted at once, the
 * other 112 inserted at the commit, all 120 numbered there; the 112 by a
 * statement that does not send their columns back (the transaction
 * builds their messages from what it sent). Each reaches its follower as
 * its row was stored: sequence, id, subject, actor, schema version,
 * bytes, request id; and all bear the transaction's time. Most come live:
 * a heartbeat (every 100 ms here) that reads the new head before the
 * commit's messages are out sends the follower to replay for the rest
 * (12 of 120 in a fresh clone's run beside three other tests), but a
 * live path that lost or spoilt the messages would leave all of them to
 * replay, or fail the comparison. */
static void
test_numbered_live(void **state)
{
	(void) state;
	struct live_tx t = { 0 };
	assert_int_equal(sn_bus_on(bus_a, "p", "n.e", on_live, NULL), SN_OK);
	int64_t replayed0 = replayed_so_far();
	sn_log_set_request_id(RID);
	sn_db_tx(db_a, live_begin, live_done, &t);
	sn_log_set_request_id(NULL);
	run_until(&t.done);
	assert_int_equal(t.err, SN_OK);
	run_until(&live_all);
	int64_t by_replay = replayed_so_far() - replayed0;
	assert_true(by_replay < LIVE_N / 2);

	typedef struct row {
		int64_t  seq, own;
		char     id[40], subject[16], actor[16], rid[64];
		int64_t  schema_version;
		sn_bytes data;
	} row;
	const sn_col cols[] = { SN_COL(row, seq, SN_COL_I64),
		SN_COL(row, own, SN_COL_I64), SN_COL(row, id, SN_COL_CHARS),
		SN_COL(row, subject, SN_COL_CHARS),
		SN_COL(row, actor, SN_COL_CHARS),
		SN_COL(row, rid, SN_COL_CHARS),
		SN_COL(row, schema_version, SN_COL_I64),
		SN_COL(row, data, SN_COL_BYTES) };
	PGresult    *r      = admin_query(PGRES_TUPLES_OK,
	            "SELECT seq, (published_at = created_at)::int::int8 AS own,"
	                    " event_id::text AS id, subject, actor, request_id AS rid,"
	                    " schema_version::int8 AS schema_version, data"
	                    " FROM %s.outbox WHERE topic = 'n.e' ORDER BY seq",
	            schema_a);
	sn_rows      rows;
	assert_int_equal(sn_rows_open(&rows, r, cols, 8), SN_OK);
	assert_int_equal(sn_rows_count(&rows), LIVE_N);
	int own = 0;
	for (int i = 0; i < LIVE_N; i++) {
		row             o;
		struct live_ev *e = &live[i];
		char            want[16];
		assert_int_equal(sn_rows_read(&rows, i, &o), SN_OK);
		own += (int) o.own;
		assert_int_equal(e->seq, (uint64_t) o.seq);
		assert_string_equal(e->id, o.id);
		snprintf(want, sizeof(want), "s-%d", i);
		assert_string_equal(e->subject, want);
		assert_string_equal(e->subject, o.subject);
		assert_string_equal(e->actor, o.actor);
		assert_string_equal(e->rid, RID);
		assert_string_equal(e->rid, o.rid);
		assert_int_equal(e->schema_version, (uint32_t) (1 + i % 3));
		assert_int_equal(e->schema_version, o.schema_version);
		assert_int_equal(e->len, (size_t) (i % 5));
		assert_int_equal(e->len, o.data.len);
		assert_memory_equal(e->data, o.data.data, e->len);
		assert_string_equal(e->time, live[0].time);
	}
	sn_rows_close(&rows);
	PQclear(r);
	assert_int_equal(own, LIVE_N); /* every one by the transaction */
	printf("bus: 120 events one by one, numbered at the commit (8 of "
	       "them inserted before): %lld live, each as stored, at %s\n",
	    (long long) (LIVE_N - by_replay), live[0].time);
}

static int
setup(void **state)
{
	(void) state;
	const char *url = getenv("SN_TEST_DB_URL");
	if (url == NULL)
		fail_msg("SN_TEST_DB_URL is not set (run through "
		         "deploy/local/test)");
	snprintf(conninfo, sizeof(conninfo), "%s", url);
	snprintf(schema_a, sizeof(schema_a), "bus_test_%d_a", (int) getpid());
	snprintf(schema_b, sizeof(schema_b), "bus_test_%d_b", (int) getpid());
	snprintf(schema_c, sizeof(schema_c), "bus_test_%d_c", (int) getpid());
	snprintf(dir, sizeof(dir), "/tmp/sn-bus-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(pub_url, sizeof(pub_url), "ipc://%s/pub", dir);
	snprintf(rep_url, sizeof(rep_url), "ipc://%s/replay", dir);
	admin = PQconnectdb(url);
	assert_int_equal(PQstatus(admin), CONNECTION_OK);
	PQclear(admin_query(PGRES_COMMAND_OK, "CREATE SCHEMA %s", schema_a));
	PQclear(admin_query(PGRES_COMMAND_OK, "CREATE SCHEMA %s", schema_b));
	PQclear(admin_query(PGRES_COMMAND_OK, "CREATE SCHEMA %s", schema_c));
	assert_int_equal(sn_db_migrate(conninfo, schema_a, sn_bus_migrations,
	                     sn_bus_nmigrations, NULL),
	    SN_OK);
	assert_int_equal(sn_db_migrate(conninfo, schema_b, sn_bus_migrations,
	                     sn_bus_nmigrations, NULL),
	    SN_OK);
	assert_int_equal(sn_db_migrate(conninfo, schema_c, sn_bus_migrations,
	                     sn_bus_nmigrations, NULL),
	    SN_OK);
	sn_log_init("bus_test", SN_LOG_WARN);
	assert_int_equal(sn_loop_open(&loop, 0), SN_OK);
	assert_non_null(metrics = sn_metrics_new());
	sn_db_config dc = { .conninfo = url, .schema = schema_a, .pool = 2 };
	assert_int_equal(sn_db_open(&db_a, loop, &dc), SN_OK);
	sn_bus_config bc = { .publisher = "p",
		.pub_url                = pub_url,
		.replay_url             = rep_url,
		.heartbeat_ms           = 100,
		.relay_poll_ms          = 20,
		.number_at_append       = 100 };
	assert_int_equal(sn_bus_open(&bus_a, loop, db_a, metrics, &bc), SN_OK);
	/* It follows its own stream (its cursor in the same schema). */
	assert_int_equal(sn_bus_follow(bus_a, "p", pub_url, rep_url), SN_OK);
	assert_int_equal(
	    sn_bus_on(bus_a, "p", "t.first", on_first, bus_a), SN_OK);
	assert_int_equal(
	    sn_bus_on(bus_a, "p", "t.second", on_seen, &second), SN_OK);
	assert_int_equal(
	    sn_bus_on(bus_a, "p", "t.third", on_seen, &third), SN_OK);
	assert_int_equal(
	    sn_bus_on(bus_a, "p", "t.plain", on_seen, &plain), SN_OK);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	sn_bus_close(bus_c);
	sn_bus_close(bus_b);
	sn_bus_close(bus_a);
	sn_db_close(db_c);
	sn_db_close(db_b);
	sn_db_close(db_a);
	sn_loop_close(loop);
	sn_metrics_free(metrics);
	sn_tls_shutdown();
	nng_fini();
	PQclear(
	    admin_query(PGRES_COMMAND_OK, "DROP SCHEMA %s CASCADE", schema_a));
	PQclear(
	    admin_query(PGRES_COMMAND_OK, "DROP SCHEMA %s CASCADE", schema_b));
	PQclear(
	    admin_query(PGRES_COMMAND_OK, "DROP SCHEMA %s CASCADE", schema_c));
	PQfinish(admin);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handlers_carry_request_id),
		cmocka_unit_test(test_replay_carries_request_id),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_events_at_commit),
		cmocka_unit_test(test_collected_at_commit),
		cmocka_unit_test(test_numbered_live),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
