/*
 * db against a real PostgreSQL (SN_TEST_DB_URL): pipelined transactions,
 * callbacks and barriers, failures that roll back without losing the
 * connection, the prepared statement cache, reconnection, a pool that
 * opens a connection only for a transaction that waits, migrations,
 * SN_SQL_UUID_OF's look-ups by index, and request ids: a transaction's
 * callbacks run with the id set when it was asked for, a query's
 * callback and a barrier with the id set when they were queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sn/db.h"
#include "sn/log.h"

static char     schema[64];
static char     conninfo[512];
static PGconn  *admin;
static sn_loop *loop;
static sn_db   *db;

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

/* sql's first row's column "count" (every caller counts). */
static int64_t
admin_int(const char *sql)
{
	PGresult *r = PQexec(admin, sql);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	int64_t v = col_i64(r, "count");
	PQclear(r);
	return v;
}

static void
admin_exec(const char *sql)
{
	PGresult *r = PQexec(admin, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

/* Runs the loop until *flag is set (every test bounds itself). */
static void
run_until(const bool *flag)
{
	for (int i = 0; i < 100000 && !*flag; i++)
		uv_run(sn_loop_uv(loop), UV_RUN_ONCE);
	assert_true(*flag);
}

struct result {
	bool    done;
	sn_err  err;
	int     rows;
	int64_t value;
	int     pid;
};

static void
on_done(sn_err err, void *arg)
{
	struct result *r = arg;
	r->err           = err;
	r->done          = true;
}

/* --- one transaction, many pipelined inserts ---------------------------- */

static void
insert_many(sn_tx *tx, void *arg)
{
	(void) arg;
	for (int i = 1; i <= 1000; i++) {
		char        v[16];
		const char *p[1] = { v };
		snprintf(v, sizeof(v), "%d", i);
		assert_int_equal(
		    sn_tx_query(tx, "INSERT INTO nums (n) VALUES ($1)", 1, p,
		        NULL, NULL),
		    SN_OK);
	}
	sn_tx_commit(tx);
}

static void
test_commit(void **state)
{
	(void) state;
	struct result r = { 0 };
	sn_db_tx(db, insert_many, on_done, &r);
	assert_false(r.done); /* never from inside sn_db_tx */
	run_until(&r.done);
	assert_int_equal(r.err, SN_OK);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.nums", schema);
	assert_int_equal(admin_int(sql), 1000);
}

/* --- read, then write from the callback, then a barrier ------------------ */

static void
barrier(sn_tx *tx, void *arg)
{
	struct result *r = arg;
	(void) tx;
	r->rows++; /* runs after the write the callback queued */
}

static void
got_sum(sn_tx *tx, PGresult *res, void *arg)
{
	struct result *r = arg;
	r->value         = col_i64(res, "sum");
	char        v[32];
	const char *p[1] = { v };
	snprintf(v, sizeof(v), "%lld", (long long) r->value);
	assert_int_equal(sn_tx_query(tx, "INSERT INTO nums (n) VALUES ($1)", 1,
	                     p, NULL, NULL),
	    SN_OK);
	assert_int_equal(sn_tx_then(tx, barrier, r), SN_OK);
	sn_tx_commit(tx);
}

static void
read_then_write(sn_tx *tx, void *arg)
{
	assert_int_equal(
	    sn_tx_query(tx,
	        "SELECT sum(n)::int8 AS sum FROM nums WHERE n <= 1000", 0,
	        NULL, got_sum, arg),
	    SN_OK);
	/* Commit asked now: it must wait for the callback's write. */
	sn_tx_commit(tx);
}

static void
test_callbacks(void **state)
{
	(void) state;
	struct result r = { 0 };
	sn_db_tx(db, read_then_write, on_done, &r);
	run_until(&r.done);
	assert_int_equal(r.err, SN_OK);
	assert_int_equal(r.value, 500500);
	assert_int_equal(r.rows, 1);
	char sql[128];
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM %s.nums WHERE n = 500500", schema);
	assert_int_equal(admin_int(sql), 1);
}

/* --- request ids: each continuation runs with the id it was queued under - */

/* What each step saw ("-" for none). */
struct rids {
	bool done;
	char begin[80], cb1[80], cb2[80], then[80], fin[80];
};

static void
rid_copy(char out[80])
{
	const char *rid = sn_log_request_id();
	snprintf(out, 80, "%s", rid != NULL ? rid : "-");
}

static void
rid_then(sn_tx *tx, void *arg)
{
	struct rids *r = arg;
	rid_copy(r->then);
	sn_tx_commit(tx);
}

static void
rid_cb1(sn_tx *tx, PGresult *res, void *arg)
{
	struct rids *r = arg;
	(void) res;
	(void) tx;
	rid_copy(r->cb1);
}

static void
rid_cb2(sn_tx *tx, PGresult *res, void *arg)
{
	struct rids *r = arg;
	(void) res;
	rid_copy(r->cb2);
	/* Queued here: under the id this callback runs with (rid-2). */
	assert_int_equal(sn_tx_then(tx, rid_then, r), SN_OK);
}

static void
rid_begin(sn_tx *tx, void *arg)
{
	struct rids *r = arg;
	rid_copy(r->begin);
	assert_int_equal(
	    sn_tx_query(tx, "SELECT 1", 0, NULL, rid_cb1, r), SN_OK);
	/* One transaction may work for several requests (the bus applies
	 * many events in one): a query keeps the id set when queued. */
	sn_log_set_request_id("rid-2");
	assert_int_equal(
	    sn_tx_query(tx, "SELECT 2", 0, NULL, rid_cb2, r), SN_OK);
	sn_log_set_request_id("rid-1");
}

static void
rid_done(sn_err err, void *arg)
{
	struct rids *r = arg;
	assert_int_equal(err, SN_OK);
	rid_copy(r->fin);
	r->done = true;
}

static void
test_request_ids(void **state)
{
	(void) state;
	struct rids r = { 0 };
	sn_log_set_request_id("rid-1");
	sn_db_tx(db, rid_begin, rid_done, &r);
	sn_log_set_request_id(NULL);
	run_until(&r.done);
	assert_string_equal(r.begin, "rid-1");
	assert_string_equal(r.cb1, "rid-1");
	assert_string_equal(r.cb2, "rid-2");
	assert_string_equal(r.then, "rid-2");
	assert_string_equal(r.fin, "rid-1");
	/* Put back after each: the loop's own id is none again. */
	assert_null(sn_log_request_id());
}

/* --- a failing statement rolls back and keeps the connection ------------- */

static void
got_pid(sn_tx *tx, PGresult *res, void *arg)
{
	struct result *r = arg;
	r->pid           = (int) col_i64(res, "pg_backend_pid");
	sn_tx_commit(tx);
}

static void
ask_pid(sn_tx *tx, void *arg)
{
	sn_tx_query(tx, "SELECT pg_backend_pid()", 0, NULL, got_pid, arg);
}

static int
backend_pid(void)
{
	struct result r = { 0 };
	sn_db_tx(db, ask_pid, on_done, &r);
	run_until(&r.done);
	assert_int_equal(r.err, SN_OK);
	return r.pid;
}

static void
never(sn_tx *tx, PGresult *res, void *arg)
{
	(void) tx;
	(void) res;
	(void) arg;
	fail_msg("a callback after the failed statement ran");
}

static void
dup_key(sn_tx *tx, void *arg)
{
	(void) arg;
	const char *a[1] = { "7" };
	sn_tx_query(tx, "INSERT INTO uniq (k) VALUES ($1)", 1, a, NULL, NULL);
	sn_tx_query(tx, "INSERT INTO uniq (k) VALUES ($1)", 1, a, NULL, NULL);
	sn_tx_query(tx, "SELECT 1", 0, NULL, never, NULL);
	sn_tx_commit(tx);
}

static void
test_failure_keeps_connection(void **state)
{
	(void) state;
	int           before = backend_pid();
	struct result r      = { 0 };
	sn_db_tx(db, dup_key, on_done, &r);
	run_until(&r.done);
	assert_int_equal(r.err, SN_ECONFLICT);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.uniq", schema);
	assert_int_equal(admin_int(sql), 0); /* the first insert rolled back */
	assert_int_equal(backend_pid(), before);
	/* The same statements work afterwards: nothing stale is cached. */
	struct result r2 = { 0 };
	sn_db_tx(db, insert_many, on_done, &r2);
	run_until(&r2.done);
	assert_int_equal(r2.err, SN_OK);
}

static void
roll_back(sn_tx *tx, void *arg)
{
	(void) arg;
	const char *a[1] = { "8" };
	sn_tx_query(tx, "INSERT INTO uniq (k) VALUES ($1)", 1, a, NULL, NULL);
	sn_tx_rollback(tx, SN_EINVAL);
}

static void
test_rollback(void **state)
{
	(void) state;
	struct result r = { 0 };
	sn_db_tx(db, roll_back, on_done, &r);
	run_until(&r.done);
	assert_int_equal(r.err, SN_EINVAL);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.uniq", schema);
	assert_int_equal(admin_int(sql), 0);
}

/* --- sn_tx_untouched: nothing sent, no hook ----------------------------- */

struct touched {
	struct result r;
	bool          begun, hooked, read;
};

static void
nothing_hook(void *arg)
{
	(void) arg;
}

static void
touch_by_hook(sn_tx *tx, void *arg)
{
	struct touched *t = arg;
	t->begun          = !sn_tx_untouched(tx); /* BEGIN alone */
	assert_int_equal(sn_tx_on_commit(tx, nothing_hook, NULL), SN_OK);
	t->hooked = !sn_tx_untouched(tx);
	sn_tx_commit(tx);
}

static void
touch_by_read(sn_tx *tx, void *arg)
{
	struct touched *t = arg;
	assert_int_equal(
	    sn_tx_query(tx, "SELECT 1", 0, NULL, NULL, NULL), SN_OK);
	t->read = !sn_tx_untouched(tx); /* a statement, even a read */
	sn_tx_commit(tx);
}

static void
test_untouched(void **state)
{
	(void) state;
	struct touched a = { 0 }, b = { 0 };
	sn_db_tx(db, touch_by_hook, on_done, &a); /* r first */
	run_until(&a.r.done);
	assert_int_equal(a.r.err, SN_OK);
	assert_false(a.begun);
	assert_true(a.hooked);
	sn_db_tx(db, touch_by_read, on_done, &b);
	run_until(&b.r.done);
	assert_int_equal(b.r.err, SN_OK);
	assert_true(b.read);
}

/* --- sn_tx_slot: state beside a transaction, freed at its end ---------- */

static const char slot_a, slot_b, slot_keys[3];

struct slots {
	struct result r;
	bool          rollback;
	int           fini_seen, end_seen; /* in the order they ran: 1, 2 */
	int           order;
	bool          zeroed, same, distinct, missing, full;
};

static void
slot_fini(void *slot)
{
	struct slots *t = *(struct slots **) slot;
	t->fini_seen    = ++t->order;
}

static void
slot_end(sn_err err, void *arg)
{
	struct slots *t = arg;
	(void) err;
	t->end_seen = ++t->order;
}

static void
slot_begin(sn_tx *tx, void *arg)
{
	struct slots  *t = arg;
	struct slots **a
	    = sn_tx_slot(tx, &slot_a, sizeof(struct slots *), slot_fini);
	t->zeroed = a != NULL && *a == NULL;
	*a        = t;
	t->same   = sn_tx_slot(tx, &slot_a, 1, NULL) == a
	    && sn_tx_slot_get(tx, &slot_a) == a;
	t->missing  = sn_tx_slot_get(tx, &slot_b) == NULL;
	void *b     = sn_tx_slot(tx, &slot_b, 64, NULL);
	t->distinct = b != NULL && b != (void *) a;
	for (int i = 0; i < 2; i++)
		assert_non_null(sn_tx_slot(tx, &slot_keys[i], 8, NULL));
	t->full = sn_tx_slot(tx, &slot_keys[2], 8, NULL) == NULL; /* a fifth */
	assert_int_equal(sn_tx_on_end(tx, slot_end, t), SN_OK);
	if (t->rollback)
		sn_tx_rollback(tx, SN_EINVAL);
	else
		sn_tx_commit(tx);
}

static void
test_slots(void **state)
{
	(void) state;
	for (int rb = 0; rb < 2; rb++) {
		struct slots t = { .rollback = rb == 1 };
		sn_db_tx(db, slot_begin, on_done, &t);
		run_until(&t.r.done);
		assert_int_equal(t.r.err, rb ? SN_EINVAL : SN_OK);
		assert_true(t.zeroed);
		assert_true(t.same);
		assert_true(t.missing);
		assert_true(t.distinct);
		assert_true(t.full);
		/* The end hooks first, then the slot's fini, once. */
		assert_int_equal(t.end_seen, 1);
		assert_int_equal(t.fini_seen, 2);
		assert_int_equal(t.order, 2);
	}
}

/* --- the last statements: sn_tx_before_commit, sn_tx_on_end -------------- */

struct hooks {
	int           step;            /* counts what ran, in order */
	int           hook_at, end_at; /* the step each ran at (0: never) */
	int64_t       seen; /* the hook's count of the caller's rows */
	sn_err        end_err;
	bool          rollback;
	struct result r;
};

static void
hook_counted(sn_tx *tx, PGresult *res, void *arg)
{
	struct hooks *h = arg;
	h->seen         = col_i64(res, "count");
	/* Queued from the hook's own callback: still before COMMIT. */
	sn_tx_query(
	    tx, "INSERT INTO nums (n) VALUES (5003)", 0, NULL, NULL, NULL);
}

static void
last_hook(sn_tx *tx, void *arg)
{
	struct hooks *h = arg;
	h->hook_at      = ++h->step;
	sn_tx_query(tx, "SELECT count(*) FROM nums WHERE n IN (5001, 5002)", 0,
	    NULL, hook_counted, h);
}

static void
end_hook(sn_err err, void *arg)
{
	struct hooks *h = arg;
	h->end_at       = ++h->step;
	h->end_err      = err;
}

static void
caller_read(sn_tx *tx, PGresult *res, void *arg)
{
	(void) res;
	(void) arg;
	sn_tx_query(
	    tx, "INSERT INTO nums (n) VALUES (5002)", 0, NULL, NULL, NULL);
}

static void
hooked(sn_tx *tx, void *arg)
{
	struct hooks *h = arg;
	assert_int_equal(sn_tx_before_commit(tx, last_hook, h), SN_OK);
	assert_int_equal(sn_tx_on_end(tx, end_hook, h), SN_OK);
	/* Registered twice: once. */
	assert_int_equal(sn_tx_before_commit(tx, last_hook, h), SN_OK);
	sn_tx_query(
	    tx, "INSERT INTO nums (n) VALUES (5001)", 0, NULL, NULL, NULL);
	sn_tx_query(tx, "SELECT 1", 0, NULL, caller_read, h);
	if (h->rollback)
		sn_tx_rollback(tx, SN_EINVAL);
	else
		sn_tx_commit(tx);
}

static void
hooks_done(sn_err err, void *arg)
{
	struct hooks *h = arg;
	h->r.err        = err;
	h->r.rows       = ++h->step;
	h->r.done       = true;
}

/* The hook runs once COMMIT is due, after every statement the caller and
 * its callbacks queued (it sees both rows), and what it and its own
 * callback queue commit with the rest; the end hook runs once, before
 * done, with the outcome. A transaction that rolls back never runs the
 * hook; its end hook gets the error. */
static void
test_before_commit(void **state)
{
	(void) state;
	struct hooks h = { 0 };
	sn_db_tx(db, hooked, hooks_done, &h);
	run_until(&h.r.done);
	assert_int_equal(h.r.err, SN_OK);
	assert_int_equal(h.seen, 2);
	assert_int_equal(h.hook_at, 1);
	assert_int_equal(h.end_at, 2);
	assert_int_equal(h.end_err, SN_OK);
	assert_int_equal(h.r.rows, 3);
	char sql[128];
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM %s.nums WHERE n BETWEEN 5001 AND 5003",
	    schema);
	assert_int_equal(admin_int(sql), 3);

	struct hooks back = { .rollback = true };
	sn_db_tx(db, hooked, hooks_done, &back);
	run_until(&back.r.done);
	assert_int_equal(back.r.err, SN_EINVAL);
	assert_int_equal(back.hook_at, 0);
	assert_int_equal(back.end_at, 1);
	assert_int_equal(back.end_err, SN_EINVAL);
	assert_int_equal(admin_int(sql), 3);
	snprintf(
	    sql, sizeof(sql), "DELETE FROM %s.nums WHERE n > 5000", schema);
	admin_exec(sql);
}

/* --- a statement whose callback the COMMIT does not wait for ----------- */

struct unwaited {
	struct result r;
	const char   *sql; /* the unwaited statement */
	size_t  waiting;   /* sn_tx_waiting once it and the commit queued */
	int     cb_at, end_at, step;
	int64_t got;
};

static void
unwaited_read(sn_tx *tx, PGresult *res, void *arg)
{
	struct unwaited *u = arg;
	(void) tx;
	u->cb_at = ++u->step;
	u->got   = col_i64(res, "n");
}

static void
unwaited_end(sn_err err, void *arg)
{
	struct unwaited *u = arg;
	(void) err;
	u->end_at = ++u->step;
}

static void
unwaited_begin(sn_tx *tx, void *arg)
{
	struct unwaited *u = arg;
	assert_int_equal(sn_tx_on_end(tx, unwaited_end, u), SN_OK);
	sn_tx_query(
	    tx, "INSERT INTO nums (n) VALUES (6001)", 0, NULL, NULL, NULL);
	assert_int_equal(sn_tx_query_bin_unwaited(tx, u->sql, 0, NULL, NULL,
	                     NULL, 0, unwaited_read, u),
	    SN_OK);
	sn_tx_commit(tx);
	u->waiting = sn_tx_waiting(tx);
}

static void
unwaited_done(sn_err err, void *arg)
{
	struct unwaited *u = arg;
	u->r.err           = err;
	u->r.done          = true;
}

/* Nothing waits for an unwaited statement's callback: the COMMIT is
 * queued with it (sn_tx_waiting 0 once committed), the callback runs
 * with its rows before the transaction ends, and both rows commit. A
 * failing one fails the transaction all the same: nothing commits and
 * its callback does not run. */
static void
test_unwaited(void **state)
{
	(void) state;
	struct unwaited u = { .sql = "INSERT INTO nums (n) VALUES (6002)"
		                     " RETURNING n" };
	sn_db_tx(db, unwaited_begin, unwaited_done, &u);
	run_until(&u.r.done);
	assert_int_equal(u.r.err, SN_OK);
	assert_int_equal(u.waiting, 0);
	assert_int_equal(u.got, 6002);
	assert_int_equal(u.cb_at, 1);
	assert_int_equal(u.end_at, 2);
	char sql[128];
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM %s.nums WHERE n BETWEEN 6001 AND 6003",
	    schema);
	assert_int_equal(admin_int(sql), 2);

	struct unwaited bad = { .sql = "INSERT INTO nums (n) VALUES (6003 / 0)"
		                       " RETURNING n" };
	sn_db_tx(db, unwaited_begin, unwaited_done, &bad);
	run_until(&bad.r.done);
	assert_int_not_equal(bad.r.err, SN_OK);
	assert_int_equal(bad.cb_at, 0);
	assert_int_equal(bad.end_at, 1);
	assert_int_equal(admin_int(sql), 2);
	snprintf(
	    sql, sizeof(sql), "DELETE FROM %s.nums WHERE n > 6000", schema);
	admin_exec(sql);
}

/* --- a lost connection fails the tx and comes back ----------------------- */

static void
sleepy(sn_tx *tx, void *arg)
{
	sn_tx_query(tx, "SELECT pg_sleep(5)", 0, NULL, NULL, arg);
	sn_tx_commit(tx);
}

static void
test_reconnect(void **state)
{
	(void) state;
	int           pid = backend_pid();
	struct result r   = { 0 };
	sn_db_tx(db, sleepy, on_done, &r);
	for (int i = 0; i < 5; i++)
		uv_run(sn_loop_uv(loop), UV_RUN_NOWAIT);
	char sql[128];
	snprintf(sql, sizeof(sql),
	    "SELECT pg_terminate_backend(%d)::int AS count", pid);
	assert_int_equal(admin_int(sql), 1);
	run_until(&r.done);
	assert_int_equal(r.err, SN_EDB);
	/* The pool reconnects by itself; the next transaction succeeds. */
	int again = backend_pid();
	assert_int_not_equal(again, pid);
	assert_true(sn_db_ready(db));
}

/* --- a recycled connection is replaced once its transaction ends --------- */

static void
ask_pid_recycle(sn_tx *tx, void *arg)
{
	sn_tx_recycle(tx);
	ask_pid(tx, arg);
}

static void
test_recycle(void **state)
{
	(void) state;
	int           before = backend_pid();
	struct result r      = { 0 };
	sn_db_tx(db, ask_pid_recycle, on_done, &r);
	run_until(&r.done);
	assert_int_equal(r.err, SN_OK);
	assert_int_equal(r.pid, before); /* it ran on the old connection */
	int after = backend_pid();
	assert_int_not_equal(after, before);
	assert_int_equal(backend_pid(), after); /* replaced once, not again */
	assert_true(sn_db_ready(db));
}

/* --- the pool opens connections only while transactions wait ---------- */

/* Holds its connection until three of this pool's backends run this
 * block at once (at most 10 s), then asks the backend's pid: three of
 * these at once finish on three backends only if the pool opened three.
 * A fixed sleep did not: under the sanitizers on a loaded machine a
 * connection took longer to open than the sleep, and a freed one was
 * reused (fresh clone of bad6de8). Nor did counting the pool's active
 * backends: a connection still running its setup (search_path) counted,
 * the first block ended at once, and its connection, free again, took
 * the third block before the new one was ready (fresh clone of 297e887,
 * both passes). Each pass reads the activity afresh
 * (pg_stat_clear_snapshot: a transaction otherwise keeps its first); one
 * that sees three stays 0.3 s more, so that the others see them too
 * rather than wait out the 10 s. */
static void
sleepy_pid(sn_tx *tx, void *arg)
{
	sn_tx_query(tx,
	    "DO $$ BEGIN FOR i IN 1..200 LOOP"
	    " PERFORM pg_stat_clear_snapshot();"
	    " IF (SELECT count(*) FROM pg_stat_activity"
	    " WHERE application_name = current_setting('application_name')"
	    " AND state = 'active' AND query = current_query()) >= 3"
	    " THEN PERFORM pg_sleep(0.3); EXIT; END IF;"
	    " PERFORM pg_sleep(0.05); END LOOP; END $$",
	    0, NULL, NULL, NULL);
	ask_pid(tx, arg);
}

/* Backends of application_name name, counted by the admin connection. */
static int64_t
backends(const char *name)
{
	char sql[192];
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
	    "'%s'",
	    name);
	return admin_int(sql);
}

static void
test_pool_on_demand(void **state)
{
	(void) state;
	char name[64];
	snprintf(name, sizeof(name), "db_test_pool_%d", (int) getpid());
	sn_db       *p   = NULL;
	sn_db_config cfg = {
		.conninfo = conninfo, .schema = schema, .pool = 4, .name = name
	};
	assert_int_equal(sn_db_open(&p, loop, &cfg), SN_OK);
	for (int i = 0; i < 100000 && !sn_db_ready(p); i++)
		uv_run(sn_loop_uv(loop), UV_RUN_ONCE);
	assert_true(sn_db_ready(p));
	assert_int_equal(backends(name), 1); /* a pool of 4, one at rest */

	/* Three at once: each gets a backend of its own, the fourth is
	 * never opened. */
	struct result r[3] = { { 0 } };
	for (int i = 0; i < 3; i++)
		sn_db_tx(p, sleepy_pid, on_done, &r[i]);
	run_until(&r[0].done);
	run_until(&r[1].done);
	run_until(&r[2].done);
	for (int i = 0; i < 3; i++)
		assert_int_equal(r[i].err, SN_OK);
	assert_int_not_equal(r[0].pid, r[1].pid);
	assert_int_not_equal(r[0].pid, r[2].pid);
	assert_int_not_equal(r[1].pid, r[2].pid);
	assert_int_equal(backends(name), 3);

	/* One at a time reuses what is open. */
	for (int i = 0; i < 3; i++) {
		struct result one = { 0 };
		sn_db_tx(p, ask_pid, on_done, &one);
		run_until(&one.done);
		assert_int_equal(one.err, SN_OK);
	}
	assert_int_equal(backends(name), 3);
	sn_db_close(p);
	/* The backends end as the server reads each close. */
	for (int i = 0; i < 100 && backends(name) > 0; i++)
		PQclear(PQexec(admin, "SELECT pg_sleep(0.02)"));
	assert_int_equal(backends(name), 0);
}

/* --- generic plans: planned once per connection ------------------------- */

#define PLANNED "SELECT count(*) FROM nums WHERE n = ANY($1::int[])"

struct plans {
	bool    done;
	sn_err  err;
	int64_t generic, custom;
};

/* One statement's plans on this connection (pg_prepared_statements). */
static void
plans_read(PGresult *res, struct plans *p)
{
	p->generic = col_i64(res, "generic_plans");
	p->custom  = col_i64(res, "custom_plans");
}

static void
got_plans(sn_tx *tx, PGresult *res, void *arg)
{
	plans_read(res, arg);
	sn_tx_commit(tx);
}

static void
plan_seven(sn_tx *tx, void *arg)
{
	const char *v[1] = { "{1,2,3}" };
	const char *q[1] = { PLANNED };
	for (int i = 0; i < 7; i++)
		sn_tx_query(tx, PLANNED, 1, v, NULL, NULL);
	sn_tx_query_once(tx,
	    "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
	    " WHERE statement = $1",
	    1, q, got_plans, arg);
}

static void
plans_done(sn_err err, void *arg)
{
	struct plans *r = arg;
	r->err          = err;
	r->done         = true;
}

static struct plans
plans_of(bool generic)
{
	sn_db       *p   = NULL;
	sn_db_config cfg = { .conninfo = conninfo,
		.schema                = schema,
		.pool                  = 1,
		.generic_plans         = generic };
	struct plans r   = { 0 };
	assert_int_equal(sn_db_open(&p, loop, &cfg), SN_OK);
	sn_db_tx(p, plan_seven, plans_done, &r);
	run_until(&r.done);
	assert_int_equal(r.err, SN_OK);
	sn_db_close(p);
	return r;
}

static void
test_generic_plans(void **state)
{
	(void) state;
	/* PostgreSQL's default plans the first five executions each anew,
	 * and here every one after, the generic plan's estimate for an array
	 * of unknown length being worse. */
	struct plans d = plans_of(false);
	assert_true(d.custom >= 5);
	assert_int_equal(d.generic + d.custom, 7);
	/* With generic_plans, none is planned for its values. */
	struct plans g = plans_of(true);
	assert_int_equal(g.custom, 0);
	assert_int_equal(g.generic, 7);
}

/* --- generic plans for one statement (SN_SQL_GENERIC) ------------------- */

#define MARKED SN_SQL_GENERIC PLANNED

struct marked {
	bool         done;
	sn_err       err;
	struct plans m, u; /* the marked statement's plans, the other's */
};

static void
got_marked(sn_tx *tx, PGresult *res, void *arg)
{
	struct marked *r = arg;
	plans_read(res, &r->m);
	(void) tx;
}

static void
got_unmarked(sn_tx *tx, PGresult *res, void *arg)
{
	struct marked *r = arg;
	plans_read(res, &r->u);
	sn_tx_commit(tx);
}

#define PLANS_OF                                                              \
	"SELECT generic_plans, custom_plans FROM pg_prepared_statements"      \
	" WHERE statement = $1"

static void
read_marked(sn_tx *tx, void *arg)
{
	const char *m[1] = { MARKED };
	const char *u[1] = { PLANNED };
	sn_tx_query_once(tx, PLANS_OF, 1, m, got_marked, arg);
	sn_tx_query_once(tx, PLANS_OF, 1, u, got_unmarked, arg);
}

/* The two statements in turn, seven times each. */
static void
marked_and_not(sn_tx *tx, void *arg)
{
	const char *v[1] = { "{1,2,3}" };
	for (int i = 0; i < 7; i++) {
		sn_tx_query(tx, PLANNED, 1, v, NULL, NULL);
		sn_tx_query(tx, MARKED, 1, v, NULL, NULL);
	}
	read_marked(tx, arg);
}

/* The marked statement, then a rollback: the SET before it is undone. */
static void
marked_undone(sn_tx *tx, void *arg)
{
	const char *v[1] = { "{1,2,3}" };
	(void) arg;
	sn_tx_query(tx, MARKED, 1, v, NULL, NULL);
	sn_tx_rollback(tx, SN_EINVAL);
}

static void
marked_once(sn_tx *tx, void *arg)
{
	const char *v[1] = { "{1,2,3}" };
	sn_tx_query(tx, MARKED, 1, v, NULL, NULL);
	read_marked(tx, arg);
}

static void
marked_done(sn_err err, void *arg)
{
	struct marked *r = arg;
	r->err           = err;
	r->done          = true;
}

/* A statement marked SN_SQL_GENERIC runs its generic plan on a
 * connection whose others are planned as PostgreSQL's default does, in
 * the same transaction, and still after a transaction that set the mode
 * and was rolled back (which undid the setting). */
static void
test_generic_statement(void **state)
{
	(void) state;
	sn_db       *p = NULL;
	sn_db_config cfg
	    = { .conninfo = conninfo, .schema = schema, .pool = 1 };
	assert_int_equal(sn_db_open(&p, loop, &cfg), SN_OK);
	struct marked a = { 0 };
	sn_db_tx(p, marked_and_not, marked_done, &a);
	run_until(&a.done);
	assert_int_equal(a.err, SN_OK);
	assert_int_equal(a.m.generic, 7);
	assert_int_equal(a.m.custom, 0);
	assert_true(a.u.custom >= 5);
	assert_int_equal(a.u.generic + a.u.custom, 7);

	struct marked b = { 0 };
	sn_db_tx(p, marked_undone, marked_done, &b);
	run_until(&b.done);
	assert_int_equal(b.err, SN_EINVAL);

	struct marked c = { 0 };
	sn_db_tx(p, marked_once, marked_done, &c);
	run_until(&c.done);
	assert_int_equal(c.err, SN_OK);
	/* The rolled-back execution counted too (a plan was chosen). */
	assert_int_equal(c.m.custom, 0);
	assert_true(c.m.generic >= 8);
	sn_db_close(p);
}

/* --- no parallel workers ------------------------------------------------ */

#define PARALLEL_SQL                                                          \
	"SELECT current_setting('max_parallel_workers_per_gather')::int AS "  \
	"v,"                                                                  \
	" (current_setting('jit') = 'on')::int AS j"

struct setting {
	bool    done;
	sn_err  err;
	int64_t v, j;
};

static void
got_setting(sn_tx *tx, PGresult *res, void *arg)
{
	struct setting *s = arg;
	s->v              = col_i64(res, "v");
	s->j              = col_i64(res, "j");
	sn_tx_commit(tx);
}

static void
ask_parallel(sn_tx *tx, void *arg)
{
	sn_tx_query_once(tx, PARALLEL_SQL, 0, NULL, got_setting, arg);
}

static void
setting_done(sn_err err, void *arg)
{
	struct setting *s = arg;
	s->err            = err;
	s->done           = true;
}

/* A service's connections start no parallel workers (a worker's start
 * cost more than its statements) and compile no statement (JIT: 25 ms a
 * compilation, for a disbursement build chunk's reads of 10 to 60 ms);
 * the server's defaults would. */
static void
test_no_parallel_workers(void **state)
{
	(void) state;
	PGresult *r = PQexec(admin, PARALLEL_SQL);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_true(col_i64(r, "v") > 0);
	assert_int_equal(col_i64(r, "j"), 1);
	PQclear(r);
	sn_db       *p = NULL;
	sn_db_config cfg
	    = { .conninfo = conninfo, .schema = schema, .pool = 1 };
	struct setting s = { .v = -1, .j = -1 };
	assert_int_equal(sn_db_open(&p, loop, &cfg), SN_OK);
	sn_db_tx(p, ask_parallel, setting_done, &s);
	run_until(&s.done);
	assert_int_equal(s.err, SN_OK);
	assert_int_equal(s.v, 0);
	assert_int_equal(s.j, 0);
	sn_db_close(p);
}

/* --- uuids spelt as text ------------------------------------------------ */

#define UUID_A "0190b6b8-7a1c-7d2e-9f00-00000000000a"

/* The count of rows of uuids `where` finds for the text t, asked as
 * $1 of a statement prepared and planned generically (as a service's
 * statement is after its first executions), with sequential scans off:
 * where must find its row by the index or not at all. plan is the plan
 * (EXPLAIN's JSON). */
static int64_t
uuids_found(const char *where, const char *t, char *plan, size_t size)
{
	char sql[512];
	admin_exec("DEALLOCATE ALL");
	snprintf(sql, sizeof(sql),
	    "PREPARE u(text) AS SELECT count(*) FROM %s.uuids WHERE %s",
	    schema, where);
	admin_exec(sql);
	char *lit = PQescapeLiteral(admin, t, strlen(t));
	assert_non_null(lit);
	snprintf(sql, sizeof(sql),
	    "EXPLAIN (COSTS OFF, FORMAT JSON) EXECUTE u(%s)", lit);
	PGresult *r = PQexec(admin, sql);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	typedef struct one {
		const char *plan;
	} one;
	const sn_col c = { "\"QUERY PLAN\"", SN_COL_TEXT, offsetof(one, plan),
		sizeof(const char *), SN_COL_NOT_NULL, NULL };
	one          o = { NULL }; /* quoted: libpq folds a bare name */
	assert_int_equal(sn_rows_one(r, &c, 1, &o), SN_OK);
	snprintf(plan, size, "%s", o.plan);
	PQclear(r);
	snprintf(sql, sizeof(sql), "EXECUTE u(%s)", lit);
	PQfreemem(lit);
	r = PQexec(admin, sql);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	int64_t n = col_i64(r, "count");
	PQclear(r);
	return n;
}

static void
test_uuid_of(void **state)
{
	(void) state;
	char sql[512], plan[4096];
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE %s.uuids (id uuid PRIMARY KEY);"
	    " INSERT INTO %s.uuids SELECT gen_random_uuid()"
	    "  FROM generate_series(1, 1000);"
	    " INSERT INTO %s.uuids VALUES ('" UUID_A "'); ANALYZE %s.uuids",
	    schema, schema, schema, schema);
	admin_exec(sql);
	admin_exec("SET plan_cache_mode = force_generic_plan;"
	           " SET enable_seqscan = off; SET enable_bitmapscan = off");
	/* The cast of the column: the right row, found by reading them all
	 * (the index walked whole, its every entry filtered). */
	assert_int_equal(
	    uuids_found("id::text = $1", UUID_A, plan, sizeof(plan)), 1);
	assert_null(strstr(plan, "\"Index Cond\""));
	/* The same rows through the primary key, whatever the text. */
	const char *w = "id = " SN_SQL_UUID_OF("$1");
	assert_int_equal(uuids_found(w, UUID_A, plan, sizeof(plan)), 1);
	assert_non_null(strstr(plan, "\"Index Cond\": \"(id = CASE"));
	/* Text that is no uuid, or not as uuid::text spells it (braces,
	 * capitals, no hyphens: the cast would take them, the text
	 * comparison did not), finds nothing and fails nothing. */
	const char *none[] = { "", "nobody", "{" UUID_A "}",
		"0190B6B8-7A1C-7D2E-9F00-00000000000A",
		"0190b6b87a1c7d2e9f0000000000000a", UUID_A "0" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		assert_int_equal(
		    uuids_found(w, none[i], plan, sizeof(plan)), 0);
		assert_int_equal(
		    uuids_found("id::text = $1", none[i], plan, sizeof(plan)),
		    0);
	}
	admin_exec("DEALLOCATE ALL; RESET plan_cache_mode;"
	           " RESET enable_seqscan; RESET enable_bitmapscan");
}

/* --- planned again ------------------------------------------------------- */

#define REPLANNED "SELECT count(*) FROM nums WHERE n = $1::int"

struct prepared {
	bool    done;
	sn_err  err;
	char    name[32];
	int64_t count; /* prepared statements of REPLANNED on the connection */
	int64_t pid;
};

typedef struct prepared_row {
	const char *name;
	int64_t     count, pid;
} prepared_row;

static const sn_col prepared_cols[] = {
	SN_COL(prepared_row, name, SN_COL_TEXT),
	SN_COL(prepared_row, count, SN_COL_I64),
	SN_COL(prepared_row, pid, SN_COL_I64),
};

static void
got_prepared(sn_tx *tx, PGresult *res, void *arg)
{
	struct prepared *r   = arg;
	prepared_row     row = { 0 };
	assert_int_equal(
	    sn_rows_one(res, prepared_cols, SN_NCOLS(prepared_cols), &row),
	    SN_OK);
	snprintf(r->name, sizeof(r->name), "%s", row.name);
	r->count = row.count;
	r->pid   = row.pid;
	sn_tx_commit(tx);
}

static void
run_replanned(sn_tx *tx, void *arg)
{
	const char *v[1] = { "3" };
	const char *q[1] = { REPLANNED };
	sn_tx_query(tx, REPLANNED, 1, v, NULL, NULL);
	sn_tx_query_once(tx,
	    "SELECT max(name) AS name, count(*) AS count,"
	    " pg_backend_pid() AS pid FROM pg_prepared_statements"
	    " WHERE statement = $1",
	    1, q, got_prepared, arg);
}

static void
prepared_done(sn_err err, void *arg)
{
	struct prepared *r = arg;
	r->err             = err;
	r->done            = true;
}

static struct prepared
prepared_after(sn_db *p)
{
	struct prepared r = { 0 };
	sn_db_tx(p, run_replanned, prepared_done, &r);
	run_until(&r.done);
	assert_int_equal(r.err, SN_OK);
	return r;
}

static void
sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&t, &t) != 0)
		;
}

static void
test_replan(void **state)
{
	(void) state;
	sn_db       *p   = NULL;
	sn_db_config cfg = { .conninfo = conninfo,
		.schema                = schema,
		.pool                  = 1,
		.replan_ms             = 200 };
	assert_int_equal(sn_db_open(&p, loop, &cfg), SN_OK);
	struct prepared a = prepared_after(p);
	assert_int_equal(a.count, 1);
	/* Within the period: the same prepared statement. */
	struct prepared b = prepared_after(p);
	assert_string_equal(b.name, a.name);
	assert_int_equal(b.count, 1);
	/* Past it: prepared again under a new name on the same connection,
	 * the old one deallocated. */
	sleep_ms(250);
	struct prepared c = prepared_after(p);
	assert_int_equal(c.pid, a.pid);
	assert_string_not_equal(c.name, a.name);
	assert_int_equal(c.count, 1);
	/* The period doubled (400 ms): not yet again after 250 ms. */
	sleep_ms(250);
	struct prepared d = prepared_after(p);
	assert_string_equal(d.name, c.name);
	assert_int_equal(d.count, 1);
	sleep_ms(250);
	struct prepared e = prepared_after(p);
	assert_int_equal(e.pid, a.pid);
	assert_string_not_equal(e.name, c.name);
	assert_int_equal(e.count, 1);
	sn_db_close(p);
}

/* --- migrations ---------------------------------------------------------- */

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_migrations(void **state)
{
	(void) state;
	char dir[] = "/tmp/sn-db-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/001_a.sql", dir);
	write_file(path, "CREATE TABLE mig_a (x int);");
	snprintf(path, sizeof(path), "%s/002_b.sql", dir);
	write_file(path,
	    "INSERT INTO mig_a VALUES (1); INSERT INTO mig_a "
	    "VALUES (2);");
	snprintf(path, sizeof(path), "%s/README", dir);
	write_file(path, "not a migration");
	sn_migration builtin[]
	    = { { "builtin/001", "CREATE TABLE mig_b (y int)" } };
	assert_int_equal(
	    sn_db_migrate(conninfo, schema, builtin, 1, dir), SN_OK);
	assert_int_equal(
	    sn_db_migrate(conninfo, schema, builtin, 1, dir), SN_OK);
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.mig_a", schema);
	assert_int_equal(admin_int(sql), 2); /* applied once */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.schema_migrations",
	    schema);
	assert_int_equal(admin_int(sql), 3);

	/* A failing migration is not recorded and changes nothing. */
	snprintf(path, sizeof(path), "%s/003_bad.sql", dir);
	write_file(path, "INSERT INTO mig_a VALUES (3); SELECT no_such_fn();");
	assert_int_equal(
	    sn_db_migrate(conninfo, schema, builtin, 1, dir), SN_EDB);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.mig_a", schema);
	assert_int_equal(admin_int(sql), 2);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.schema_migrations",
	    schema);
	assert_int_equal(admin_int(sql), 3);
	snprintf(sql, sizeof(sql), "rm -rf '%s'", dir);
	assert_int_equal(system(sql), 0);
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
	snprintf(schema, sizeof(schema), "db_test_%d", (int) getpid());
	admin = PQconnectdb(url);
	assert_int_equal(PQstatus(admin), CONNECTION_OK);
	char sql[512];
	snprintf(sql, sizeof(sql),
	    "CREATE SCHEMA %s; CREATE TABLE %s.nums (n bigint);"
	    " CREATE TABLE %s.uniq (k int PRIMARY KEY)",
	    schema, schema, schema);
	admin_exec(sql);
	sn_log_init("db_test", SN_LOG_WARN);
	assert_int_equal(sn_loop_open(&loop, 0), SN_OK);
	sn_db_config cfg = { .conninfo = url, .schema = schema, .pool = 1 };
	assert_int_equal(sn_db_open(&db, loop, &cfg), SN_OK);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	sn_db_close(db);
	sn_loop_close(loop);
	char sql[128];
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", schema);
	admin_exec(sql);
	PQfinish(admin);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit),
		cmocka_unit_test(test_callbacks),
		cmocka_unit_test(test_request_ids),
		cmocka_unit_test(test_failure_keeps_connection),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_untouched),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_before_commit),
		cmocka_unit_test(test_unwaited),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_recycle),
		cmocka_unit_test(test_pool_on_demand),
		cmocka_unit_test(test_generic_plans),
		cmocka_unit_test(test_generic_statement),
		cmocka_unit_test(test_no_parallel_workers),
		cmocka_unit_test(test_uuid_of),
		cmocka_unit_test(test_replan),
		cmocka_unit_test(test_migrations),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
