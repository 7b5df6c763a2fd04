/*
 * Idempotency-Key against a real PostgreSQL (SN_TEST_DB_URL, a superuser
 * conninfo): a schema of its own, the http migrations, a handler that
 * inserts one row per effect, and a client on the test thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sn/auth.h"
#include "sn/db.h"
#include "sn/http.h"
#include "sn/log.h"
#include "sn/loop.h"

#include "keys.h" /* KEY signs, KEY2 is another key */
#define NCONC 20

/* A server under test: its schema, its pool, its port. */
struct front {
	sn_db      *db;
	sn_http    *http;
	sn_metrics *metrics;
	uint16_t    port;
	char        schema[64];
};

/* Two on one loop: main (four pooled connections) and counted, whose
 * metrics count its statements on http_idempotency. */
struct server {
	sn_loop     *loop;
	struct front main, counted;
	sn_auth     *auth;
	uv_async_t   stop;
	uv_async_t   purge; /* runs sn_http_purge on the loop */
	pthread_t    thread;
	PGconn      *pg; /* the test's own, blocking */
	bool         up;
};

/* The single row's integer column name, read as a store reads it. */
static int64_t
col_i64(const PGresult *res, const char *name)
{
	typedef struct one {
		int64_t v;
	} one;
	const sn_col c = { name, SN_COL_I64, offsetof(one, v), sizeof(int64_t),
		SN_COL_NOT_NULL, NULL };
	one          o = { 0 };
	assert_int_equal(sn_rows_one(res, &c, 1, &o), SN_OK);
	return o.v;
}

static struct server srv;

/* One sn_http_purge asked for by the test thread and answered on the
 * loop: days in, err and deleted out, done under the mutex. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	uint32_t        days;
	bool            done;
	sn_err          err;
	long            deleted;
} purge = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false,
	SN_OK, -1 };

/* Handler calls that reached sn_http_tx, and the end callbacks run: one
 * end for each, however the transaction ended. */
static _Atomic int tx_calls, tx_ends;

struct grant_ctx {
	int magic;
};

static void
grant_end(void *arg)
{
	struct grant_ctx *c = arg;
	assert_int_equal(c->magic, 0x6a7);
	free(c);
	tx_ends++;
}

/* ---- the service under test (loop thread) -------------------------- */

static void
grant_inserted(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req  = arg;
	json_t      *body = sn_http_json(req);

	sn_http_tx_reply(req, tx, 201,
	    json_pack("{s:I, s:I, s:O}", "id", (json_int_t) col_i64(res, "id"),
	        "amount", json_integer_value(json_object_get(body, "amount")),
	        "ref", json_object_get(body, "ref")));
}

static void
grant_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	json_t    *body = sn_http_json(req);
	json_int_t amount
	    = json_integer_value(json_object_get(body, "amount"));
	char        amount_s[32];
	const char *values[3];

	(void) arg;
	if (amount < 0) {
		/* A refusal found inside the transaction: nothing stored. */
		sn_http_tx_fail(req, tx, 422, "negative_amount",
		    "amount must not be negative", "amount");
		return;
	}
	snprintf(amount_s, sizeof(amount_s), "%" JSON_INTEGER_FORMAT, amount);
	values[0] = sn_http_idempotency_key(req);
	values[1] = amount_s;
	values[2] = json_string_value(json_object_get(body, "ref"));
	if (sn_tx_query(tx,
	        "INSERT INTO effects (key, amount, ref) VALUES ($1, $2, $3) "
	        "RETURNING id",
	        3, values, grant_inserted, req)
	    != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable", NULL, NULL);
}

static void
on_grant(sn_http_req *req, void *arg)
{
	json_t *body = sn_http_json(req);

	(void) arg;
	if (!json_is_integer(json_object_get(body, "amount"))) {
		sn_http_reply_error(
		    req, 400, "invalid", "amount is required", "amount");
		return;
	}
	struct grant_ctx *c = malloc(sizeof(*c));
	assert_non_null(c);
	c->magic = 0x6a7;
	tx_calls++;
	sn_http_tx_with_end(req, grant_begin, grant_end, c);
}

/* POST /orders: a grant whose handler first reads the state outside any
 * transaction and refuses a ref already granted (409, unstored), as a
 * service refuses a step already taken: the repeat of a request that
 * succeeded must still get its stored answer. */
static void
order_read(sn_err err, PGresult *res, void *arg)
{
	sn_http_req *req = arg;

	if (err != SN_OK) {
		sn_http_reply_error(req, 503, "unavailable", NULL, NULL);
		return;
	}
	if (col_i64(res, "count") > 0) {
		sn_http_reply_error(req, 409, "ref_taken",
		    "this ref is granted already", "ref");
		return;
	}
	struct grant_ctx *c = malloc(sizeof(*c));
	assert_non_null(c);
	c->magic = 0x6a7;
	tx_calls++;
	sn_http_tx_with_end(req, grant_begin, grant_end, c);
}

static void
on_order(sn_http_req *req, void *arg)
{
	sn_db      *db   = arg;
	json_t     *body = sn_http_json(req);
	const char *v[1];

	v[0] = json_string_value(json_object_get(body, "ref"));
	if (!json_is_integer(json_object_get(body, "amount"))
	    || v[0] == NULL) {
		sn_http_reply_error(
		    req, 400, "invalid", "amount and ref are required", NULL);
		return;
	}
	sn_db_query(db, "SELECT count(*) FROM effects WHERE ref = $1", 1, v,
	    order_read, req);
}

static void
purged(sn_err err, PGresult *res, void *arg)
{
	(void) arg;
	pthread_mutex_lock(&purge.mu);
	purge.err     = err;
	purge.deleted = res != NULL ? (long) col_i64(res, "count") : -1;
	purge.done    = true;
	pthread_cond_signal(&purge.cv);
	pthread_mutex_unlock(&purge.mu);
}

static void
on_purge(uv_async_t *a)
{
	uint32_t days;

	(void) a;
	pthread_mutex_lock(&purge.mu);
	days = purge.days;
	pthread_mutex_unlock(&purge.mu);
	sn_http_purge(srv.main.db, days, purged, NULL);
}

static void
on_stop(uv_async_t *a)
{
	sn_http_close(srv.main.http);
	sn_db_close(srv.main.db);
	sn_http_close(srv.counted.http);
	sn_db_close(srv.counted.db);
	uv_close((uv_handle_t *) &srv.purge, NULL);
	uv_close((uv_handle_t *) a, NULL);
}

static void *
loop_main(void *arg)
{
	(void) arg;
	sn_loop_run(srv.loop);
	return NULL;
}

static bool
exec_ok(const char *sql)
{
	PGresult *r  = PQexec(srv.pg, sql);
	bool      ok = PQresultStatus(r) == PGRES_COMMAND_OK
	    || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(srv.pg));
	PQclear(r);
	return ok;
}

/* A schema named name_PID with the http migrations and effects, and a
 * server on it with pool connections. */
static bool
front_open(struct front *f, const char *url, const char *name, int pool)
{
	sn_migration   migs[8];
	size_t         n = 0;
	sn_db_config   dbc;
	sn_http_config cfg;
	char           sql[256];

	snprintf(
	    f->schema, sizeof(f->schema), "%s_%ld", name, (long) getpid());
	snprintf(
	    sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", f->schema);
	if (!exec_ok(sql))
		return false;
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", f->schema);
	if (!exec_ok(sql))
		return false;
	for (size_t i = 0; i < sn_http_nmigrations; i++)
		migs[n++] = sn_http_migrations[i];
	migs[n++] = (sn_migration) { "test/001_effects",
		"CREATE TABLE effects (id bigserial PRIMARY KEY, key text,"
		" amount bigint NOT NULL, ref text UNIQUE)" };
	if (sn_db_migrate(url, f->schema, migs, n, NULL) != SN_OK)
		return false;
	memset(&dbc, 0, sizeof(dbc));
	dbc.conninfo = url;
	dbc.schema   = f->schema;
	dbc.pool     = pool;
	if (sn_db_open(&f->db, srv.loop, &dbc) != SN_OK)
		return false;
	memset(&cfg, 0, sizeof(cfg));
	cfg.auth = srv.auth;
	cfg.db   = f->db;
	if ((f->metrics = sn_metrics_new()) == NULL)
		return false;
	cfg.metrics = f->metrics;
	if (sn_http_open(&f->http, srv.loop, &cfg) != SN_OK)
		return false;
	f->port = sn_http_port(f->http);
	return sn_http_route(f->http, "POST", "/grants", SN_HTTP_IDEMPOTENT,
	           "township", on_grant, NULL)
	    == SN_OK
	    && sn_http_route(f->http, "POST", "/orders", SN_HTTP_IDEMPOTENT,
	           "township", on_order, f->db)
	    == SN_OK;
}

static int
setup(void **state)
{
	const char *url = getenv("SN_TEST_DB_URL");
	char        sql[256];

	(void) state;
	if (url == NULL || url[0] == '\0')
		return 0; /* every test skips */
	srv.pg = PQconnectdb(url);
	if (PQstatus(srv.pg) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s", PQerrorMessage(srv.pg));
		return -1;
	}
	if (sn_loop_open(&srv.loop, 0) != SN_OK
	    || sn_auth_open(&srv.auth, KEY) != SN_OK)
		return -1;
	if (!front_open(&srv.main, url, "httpidem", 4)
	    || !front_open(&srv.counted, url, "httpidem_counted", 1))
		return -1;
	snprintf(sql, sizeof(sql), "SET search_path TO %s", srv.main.schema);
	if (!exec_ok(sql))
		return -1;
	uv_async_init(sn_loop_uv(srv.loop), &srv.stop, on_stop);
	uv_async_init(sn_loop_uv(srv.loop), &srv.purge, on_purge);
	if (pthread_create(&srv.thread, NULL, loop_main, NULL) != 0)
		return -1;
	srv.up = true;
	return 0;
}

static int
teardown(void **state)
{
	char sql[256];

	(void) state;
	if (srv.up) {
		uv_async_send(&srv.stop);
		pthread_join(srv.thread, NULL);
		sn_loop_close(srv.loop);
		sn_metrics_free(srv.main.metrics);
		sn_metrics_free(srv.counted.metrics);
		sn_auth_close(srv.auth);
	}
	if (srv.pg != NULL) {
		const struct front *fs[] = { &srv.main, &srv.counted };

		for (size_t i = 0; i < 2; i++) {
			if (fs[i]->schema[0] == '\0')
				continue;
			snprintf(sql, sizeof(sql),
			    "DROP SCHEMA IF EXISTS %s CASCADE", fs[i]->schema);
			exec_ok(sql);
		}
		PQfinish(srv.pg);
	}
	return 0;
}

#define NEED_DB()                                                             \
	do {                                                                  \
		if (!srv.up)                                                  \
			skip();                                               \
	} while (0)

/* ---- the client ----------------------------------------------------- */

struct resp {
	int   status;
	bool  replay;
	char  raw[16384];
	char *body;
};

static int
dial(uint16_t port)
{
	struct sockaddr_in sa;
	struct timeval     tv = { 10, 0 };
	int                fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family      = AF_INET;
	sa.sin_port        = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static char *
auth_line(const char *user)
{
	sn_principal p;
	char        *t, *line;

	memset(&p, 0, sizeof(p));
	strcpy(p.user, user);
	strcpy(p.role, "township");
	strcpy(p.juris, "220103001");
	assert_int_equal(sn_auth_issue(srv.auth, &p, 300, &t), SN_OK);
	line = malloc(strlen(t) + 32);
	sprintf(line, "Authorization: Bearer %s\r\n", t);
	free(t);
	return line;
}

/* Sends POST path to f; key NULL sends no Idempotency-Key. */
static int
start_post(const struct front *f, const char *path, const char *user,
    const char *key, const char *body)
{
	char  buf[8192];
	char *auth = auth_line(user);
	int   fd   = dial(f->port);
	int   n;

	n = snprintf(buf, sizeof(buf),
	    "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Content-Type: application/json\r\n%s"
	    "Content-Length: %zu\r\n",
	    path, auth, strlen(body));
	if (key != NULL)
		n += snprintf(buf + n, sizeof(buf) - (size_t) n,
		    "Idempotency-Key: %s\r\n", key);
	n += snprintf(buf + n, sizeof(buf) - (size_t) n, "\r\n%s", body);
	free(auth);
	assert_int_equal(send(fd, buf, (size_t) n, MSG_NOSIGNAL), n);
	return fd;
}

static int
start_grant(const char *user, const char *key, const char *body)
{
	return start_post(&srv.main, "/grants", user, key, body);
}

static void
read_resp(int fd, struct resp *r)
{
	size_t  total = 0;
	ssize_t n;
	char   *sep;

	memset(r, 0, sizeof(*r));
	while (total < sizeof(r->raw) - 1
	    && (n = recv(fd, r->raw + total, sizeof(r->raw) - 1 - total, 0))
	        > 0)
		total += (size_t) n;
	r->raw[total] = '\0';
	close(fd);
	assert_int_equal(sscanf(r->raw, "HTTP/1.1 %d", &r->status), 1);
	sep = strstr(r->raw, "\r\n\r\n");
	assert_non_null(sep);
	*sep    = '\0';
	r->body = sep + 4;
	for (char *p = r->raw; (p = strchr(p, '\n')) != NULL; p++)
		if (strncasecmp(p + 1, "Idempotent-Replay: true", 23) == 0)
			r->replay = true;
}

static void
grant(const char *user, const char *key, const char *body, struct resp *r)
{
	read_resp(start_grant(user, key, body), r);
}

static void
order(const char *user, const char *key, const char *body, struct resp *r)
{
	read_resp(start_post(&srv.main, "/orders", user, key, body), r);
}

static long
count_effects(const char *key)
{
	const char *v[1] = { key };
	PGresult   *res  = PQexecParams(srv.pg,
	       "SELECT count(*) FROM effects WHERE key = $1", 1, NULL, v, NULL,
	       NULL, 0);
	long        n;

	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	n = (long) col_i64(res, "count");
	PQclear(res);
	return n;
}

/* Runs sn_http_purge(db, days) on the loop; its deleted count. */
static long
run_purge(uint32_t days)
{
	struct timespec until;

	pthread_mutex_lock(&purge.mu);
	purge.days = days;
	purge.done = false;
	pthread_mutex_unlock(&purge.mu);
	uv_async_send(&srv.purge);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&purge.mu);
	while (!purge.done)
		if (pthread_cond_timedwait(&purge.cv, &purge.mu, &until) != 0)
			break;
	pthread_mutex_unlock(&purge.mu);
	assert_true(purge.done);
	assert_int_equal(purge.err, SN_OK);
	return purge.deleted;
}

/* The test's own connection: rows of http_idempotency matching where. */
static long
count_idem(const char *where)
{
	char      sql[256];
	PGresult *res;
	long      n;

	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM http_idempotency WHERE %s", where);
	res = PQexec(srv.pg, sql);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	n = (long) col_i64(res, "count");
	PQclear(res);
	return n;
}

/*
 * Statements of the counted server that read http_idempotency: look-ups
 * of a key (sn_http_idempotency_lookups_total), claims, whose conflict
 * check reads the key (sn_http_idempotency_claims_total), and the UPDATEs
 * that store an answer (one per answer stored, counted here). The
 * counters move before the answer is sent, so a count taken after an
 * answer covers every statement before it.
 */
static long counted_stored; /* answers the counted server stored */

static long
idem_count(const char *name)
{
	sn_counter *c
	    = sn_metrics_counter(srv.counted.metrics, name, "", NULL);
	assert_non_null(c);
	return (long) sn_counter_get(c);
}

static long
idem_lookups(void)
{
	return idem_count("sn_http_idempotency_lookups_total");
}

static long
idem_reads(void)
{
	return idem_lookups() + idem_count("sn_http_idempotency_claims_total")
	    + counted_stored;
}

static void
counted_post(
    const char *path, const char *key, const char *body, struct resp *r)
{
	read_resp(start_post(&srv.counted, path, "li", key, body), r);
	if (r->status < 300 && !r->replay)
		counted_stored++;
}

static void
assert_code(const struct resp *r, int status, const char *code)
{
	char want[128];

	if (r->status != status)
		fail_msg("want %d, got %d: %s", status, r->status, r->body);
	snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
	assert_non_null(strstr(r->body, want));
}

/* NCONC copies of one keyed POST at once: every one answers 201 with the
 * first's body, all but one replayed, one change made. */
static void
concurrent_same(const char *path, const char *key, const char *body)
{
	struct resp r[NCONC];
	int         fds[NCONC];
	int         replays = 0;

	for (int i = 0; i < NCONC; i++)
		fds[i] = start_post(&srv.main, path, "li", key, body);
	for (int i = 0; i < NCONC; i++) {
		read_resp(fds[i], &r[i]);
		if (r[i].status != 201)
			fail_msg(
			    "request %d: %d %s", i, r[i].status, r[i].body);
		assert_string_equal(r[i].body, r[0].body);
		replays += r[i].replay;
	}
	assert_int_equal(replays, NCONC - 1);
	assert_int_equal(count_effects(key), 1);
}

/* ---- tests ---------------------------------------------------------- */

static void
test_repeat_replays(void **state)
{
	struct resp a, b;

	(void) state;
	NEED_DB();
	grant("li", "k-repeat", "{\"amount\":500,\"ref\":\"r1\"}", &a);
	assert_int_equal(a.status, 201);
	assert_false(a.replay);
	grant("li", "k-repeat", "{\"amount\":500,\"ref\":\"r1\"}", &b);
	assert_int_equal(b.status, 201);
	assert_true(b.replay);
	assert_string_equal(a.body, b.body);
	assert_int_equal(count_effects("k-repeat"), 1);
}

/* A fresh key costs the work's own transaction only: its claim and its
 * stored answer (one read of the key each), no look at the key before
 * (today's first read, in a transaction of its own). */
static void
test_fresh_key_no_lookup(void **state)
{
	enum { N = 10 };
	struct resp r;
	long        before, after, lookups;
	char        key[32], body[64];

	(void) state;
	NEED_DB();
	counted_post(
	    "/grants", "k-c-warm", "{\"amount\":1,\"ref\":\"r-w\"}", &r);
	assert_int_equal(r.status, 201);
	before  = idem_reads();
	lookups = idem_lookups();
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k-c-fresh-%d", i);
		snprintf(body, sizeof(body),
		    "{\"amount\":%d,\"ref\":\"r-c%d\"}", i + 1, i);
		counted_post("/grants", key, body, &r);
		assert_int_equal(r.status, 201);
		assert_false(r.replay);
	}
	after = idem_reads();
	printf("reads of http_idempotency for %d fresh keyed POSTs: %ld "
	       "(%.1f each; 2 are the claim and the stored answer)\n",
	    N, after - before, (double) (after - before) / N);
	assert_int_equal(after - before, 2 * N);
	assert_int_equal(idem_lookups() - lookups, 0);
}

/* The repeat of a request that succeeded, which its handler now refuses
 * before any transaction (the state it changed is there): the stored
 * answer, not the refusal, at the cost of one look at the key. */
static void
test_refused_repeat_replays(void **state)
{
	struct resp a, b;
	long        reads, lookups;

	(void) state;
	NEED_DB();
	counted_post(
	    "/orders", "k-ord", "{\"amount\":5,\"ref\":\"r-ord\"}", &a);
	assert_int_equal(a.status, 201);
	assert_false(a.replay);
	/* The same ref under another key: the handler's own refusal. */
	counted_post(
	    "/orders", "k-ord-2", "{\"amount\":5,\"ref\":\"r-ord\"}", &b);
	assert_code(&b, 409, "ref_taken");
	assert_false(b.replay);
	reads   = idem_reads();
	lookups = idem_lookups();
	counted_post(
	    "/orders", "k-ord", "{\"amount\":5,\"ref\":\"r-ord\"}", &b);
	assert_int_equal(b.status, 201);
	assert_true(b.replay);
	assert_string_equal(a.body, b.body);
	assert_int_equal(idem_lookups() - lookups, 1);
	/* The refused key stayed free: one look for the repeat's refusal
	 * above, a claim and a store now. */
	counted_post(
	    "/orders", "k-ord-2", "{\"amount\":5,\"ref\":\"r-ord-2\"}", &b);
	assert_int_equal(b.status, 201);
	assert_false(b.replay);
	assert_int_equal(idem_reads() - reads, 1 + 2);
}

/* A key reused for a different request that its handler refuses before
 * any transaction: 422, from a refusal after a state read and from a
 * validation error alike. */
static void
test_reused_refused_before_tx(void **state)
{
	struct resp r;

	(void) state;
	NEED_DB();
	order("li", "k-ord-r", "{\"amount\":1,\"ref\":\"r-ord-r\"}", &r);
	assert_int_equal(r.status, 201);
	/* Same ref, another amount: the handler would say ref_taken. */
	order("li", "k-ord-r", "{\"amount\":2,\"ref\":\"r-ord-r\"}", &r);
	assert_code(&r, 422, "idempotency_key_reused");
	assert_false(r.replay);
	/* Invalid body: the handler would say invalid. */
	order("li", "k-ord-r", "{\"amount\":2}", &r);
	assert_code(&r, 422, "idempotency_key_reused");
	assert_int_equal(count_effects("k-ord-r"), 1);
}

/* Duplicates at once on a route that reads the state first: those that
 * read before the first committed lose the claim inside the transaction,
 * those that read after refuse before it; every one answers as the first
 * did, and one change is made. */
static void
test_concurrent_refused(void **state)
{
	(void) state;
	NEED_DB();
	concurrent_same(
	    "/orders", "k-ord-conc", "{\"amount\":9,\"ref\":\"r-ord-conc\"}");
	assert_int_equal(tx_ends, tx_calls);
}

static void
test_key_reused(void **state)
{
	struct resp r;

	(void) state;
	NEED_DB();
	grant("li", "k-reuse", "{\"amount\":1,\"ref\":\"r2\"}", &r);
	assert_int_equal(r.status, 201);
	grant("li", "k-reuse", "{\"amount\":2,\"ref\":\"r2\"}", &r);
	assert_code(&r, 422, "idempotency_key_reused");
	assert_int_equal(count_effects("k-reuse"), 1);
}

static void
test_key_required(void **state)
{
	struct resp r;
	char        longkey[200];

	(void) state;
	NEED_DB();
	grant("li", NULL, "{\"amount\":1}", &r);
	assert_code(&r, 400, "idempotency_key_required");
	memset(longkey, 'k', 129);
	longkey[129] = '\0';
	grant("li", longkey, "{\"amount\":1}", &r);
	assert_code(&r, 400, "idempotency_key_invalid");
	longkey[128] = '\0';
	grant("li", longkey, "{\"amount\":1,\"ref\":\"r-long\"}", &r);
	assert_int_equal(r.status, 201);
}

static void
test_errors_not_stored(void **state)
{
	struct resp r;

	(void) state;
	NEED_DB();
	/* Refused before any transaction: the key stays free. */
	grant("li", "k-fix", "{\"amuont\":5}", &r);
	assert_code(&r, 400, "invalid");
	/* Refused inside the transaction: rolled back, key still free. */
	grant("li", "k-fix", "{\"amount\":-5}", &r);
	assert_code(&r, 422, "negative_amount");
	assert_int_equal(count_effects("k-fix"), 0);
	grant("li", "k-fix", "{\"amount\":5,\"ref\":\"r3\"}", &r);
	assert_int_equal(r.status, 201);
	assert_false(r.replay);
	assert_int_equal(count_effects("k-fix"), 1);
}

static void
test_statement_fails(void **state)
{
	struct resp r;

	(void) state;
	NEED_DB();
	grant("li", "k-ref-a", "{\"amount\":5,\"ref\":\"dup\"}", &r);
	assert_int_equal(r.status, 201);
	/* A unique violation in the handler's own statement. */
	grant("li", "k-ref-b", "{\"amount\":5,\"ref\":\"dup\"}", &r);
	assert_code(&r, 409, "conflict");
	/* Nothing was stored for the key: a corrected retry goes through. */
	grant("li", "k-ref-b", "{\"amount\":5,\"ref\":\"dup2\"}", &r);
	assert_int_equal(r.status, 201);
	assert_int_equal(count_effects("k-ref-b"), 1);
	assert_int_equal(tx_ends, tx_calls); /* the failed one too */
}

static void
test_scoped_by_principal(void **state)
{
	struct resp a, b;

	(void) state;
	NEED_DB();
	grant("li", "k-shared", "{\"amount\":7,\"ref\":\"r-li\"}", &a);
	grant("wang", "k-shared", "{\"amount\":7,\"ref\":\"r-wang\"}", &b);
	assert_int_equal(a.status, 201);
	assert_int_equal(b.status, 201);
	assert_false(b.replay);
	assert_int_equal(count_effects("k-shared"), 2);
}

static void
test_concurrent(void **state)
{
	(void) state;
	NEED_DB();
	concurrent_same(
	    "/grants", "k-conc", "{\"amount\":9,\"ref\":\"r-conc\"}");
	/* Committed, failed, or lost the key to a duplicate: every
	 * transaction's context was handed back exactly once. */
	assert_true(tx_calls > 0);
	assert_int_equal(tx_ends, tx_calls);
}

static void
test_purge(void **state)
{
	struct resp a, b;
	long        total;

	(void) state;
	NEED_DB();
	grant("li", "k-old-1", "{\"amount\":1,\"ref\":\"r-old-1\"}", &a);
	assert_int_equal(a.status, 201);
	grant("wang", "k-old-2", "{\"amount\":2,\"ref\":\"r-old-2\"}", &a);
	assert_int_equal(a.status, 201);
	grant("li", "k-29", "{\"amount\":3,\"ref\":\"r-29\"}", &a);
	assert_int_equal(a.status, 201);
	grant("li", "k-fresh", "{\"amount\":4,\"ref\":\"r-fresh\"}", &a);
	assert_int_equal(a.status, 201);
	/* Past the 30 days: two answered keys and a claim never answered;
	 * one inside them (29 days) and every other row are kept. */
	assert_true(exec_ok("UPDATE http_idempotency"
	                    " SET created_at = now() - interval '40 days'"
	                    " WHERE key IN ('k-old-1', 'k-old-2')"));
	assert_true(exec_ok(
	    "INSERT INTO http_idempotency"
	    " (principal, key, method, route, request_hash, created_at)"
	    " VALUES ('li', 'k-old-claim', 'POST', '/grants', 'x',"
	    " now() - interval '40 days')"));
	assert_true(exec_ok("UPDATE http_idempotency"
	                    " SET created_at = now() - interval '29 days'"
	                    " WHERE key = 'k-29'"));
	assert_int_equal(count_idem("key LIKE 'k-old-%'"), 3);
	total = count_idem("true");

	assert_int_equal(run_purge(30), 3);
	assert_int_equal(count_idem("key LIKE 'k-old-%'"), 0);
	assert_int_equal(count_idem("true"), total - 3);
	assert_int_equal(count_idem("key = 'k-29'"), 1);
	assert_int_equal(run_purge(30), 0);

	/* A kept key still replays its answer... */
	grant("li", "k-fresh", "{\"amount\":4,\"ref\":\"r-fresh\"}", &b);
	assert_int_equal(b.status, 201);
	assert_true(b.replay);
	assert_string_equal(a.body, b.body);
	assert_int_equal(count_effects("k-fresh"), 1);
	/* ...and a purged one is free again: the handler runs anew. */
	grant("li", "k-old-1", "{\"amount\":1,\"ref\":\"r-old-1b\"}", &b);
	assert_int_equal(b.status, 201);
	assert_false(b.replay);
	assert_int_equal(count_effects("k-old-1"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_key_no_lookup),
		cmocka_unit_test(test_repeat_replays),
		cmocka_unit_test(test_refused_repeat_replays),
		cmocka_unit_test(test_reused_refused_before_tx),
		cmocka_unit_test(test_concurrent_refused),
		cmocka_unit_test(test_key_reused),
		cmocka_unit_test(test_key_required),
		cmocka_unit_test(test_errors_not_stored),
		cmocka_unit_test(test_statement_fails),
		cmocka_unit_test(test_scoped_by_principal),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_purge),
	};

	sn_log_init("httpidem_test", SN_LOG_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
