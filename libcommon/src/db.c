/*
 * PostgreSQL on the loop.
 *
 * Each connection is in libpq's pipeline mode for its whole life. What we
 * have sent and not yet read back is a FIFO of entries, one per protocol
 * step (BEGIN, PREPARE, a query, COMMIT, ROLLBACK, a sync point) plus
 * barriers that cost nothing on the wire; results are matched to the head
 * of the FIFO as they arrive. A query's results end with a NULL from
 * PQgetResult; a sync point's result is PGRES_PIPELINE_SYNC alone.
 *
 * A transaction is BEGIN, the caller's queries, then COMMIT and a sync.
 * The server discards everything after an error until the next sync, and
 * a transaction opened with BEGIN stays aborted across it, so a failure
 * appends sync, ROLLBACK, sync, and the transaction ends at that last
 * sync. COMMIT is sent as soon as commit was asked for and no query with
 * a callback is outstanding (a callback could still add queries).
 *
 * User callbacks may queue queries, commit, roll back or open new
 * transactions, but a failed send only marks the connection broken; it is
 * torn down from the outer processing loop, never underneath a callback.
 *
 * Request ids (sn/log.h): a transaction keeps the id set when it was
 * asked for, an entry the id set when it was queued, and each callback
 * runs with its own set again (the thread's put back after), so that a
 * request's lines keep naming it across its queries.
 */
#include "sn/db.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/hash.h"
#include "sn/log.h"

#define MAX_POOL 64
#define MAX_STMTS 256
/* Prepared statements are planned again after 1 s, 2 s, 4 s, ... and then
 * every 5 minutes (struct stmt). */
#define REPLAN_FIRST_MS 1000u
#define REPLAN_MAX_MS 300000u
#define MAX_ON_COMMIT 4
#define MAX_BEFORE_COMMIT 4
#define MAX_ON_END 4
#define MAX_ON_UNDO 2
#define MAX_SLOTS 4
/* Savepoints open at once in one transaction (sn_tx_savepoint). */
#define MAX_SAVEPOINTS 8
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

enum ent_kind {
	ENT_SETUP,
	ENT_BEGIN,
	ENT_PREPARE,
	ENT_QUERY,
	ENT_THEN,
	ENT_COMMIT,
	ENT_ROLLBACK,
	ENT_SYNC,
};

/* A statement prepared on one connection. It is prepared again (its old
 * name deallocated) once replan_at has passed, every period: PostgreSQL
 * keeps a statement's generic plan for as long as the statement lives,
 * and one chosen while a table was nearly empty stayed while the table
 * grew: in the application-path benchmark the relay's numbering kept a
 * hash join over a sequential scan of the whole outbox for its 3,000
 * applications (auto_explain), an index scan by key once prepared again.
 * Prepared again, a statement is planned for the tables' size now (the
 * planner scales their last statistics to their pages now). The period
 * doubles from sn_db_config.replan_ms to
 * REPLAN_MAX_MS, so a new service adapts quickly as its tables fill and
 * a settled one plans each statement again every few minutes. */
struct stmt {
	char        *sql;
	uint64_t     hash;
	bool         ready;
	unsigned     id;
	uint64_t     replan_at; /* loop time, ms */
	uint32_t     period_ms;
	struct stmt *next;
};

struct ent {
	enum ent_kind kind;
	sn_tx        *tx;
	sn_query_fn   cb;
	sn_tx_then_fn then;
	void         *arg;
	struct stmt  *stmt;   /* ENT_PREPARE */
	bool          got;    /* a result arrived; the NULL after it ends it */
	bool          waited; /* counted in its tx's pending_cb */
	struct ent   *next;
	/* ENT_QUERY, ENT_THEN: the request id when queued ("": none). */
	char rid[SN_LOG_REQUEST_ID_MAX + 1];
};

enum conn_state {
	CONN_UNUSED, /* never started: the pool opens connections on demand */
	CONN_DOWN,
	CONN_CONNECTING,
	CONN_SETUP,
	CONN_IDLE,
	CONN_BUSY,
};

struct pollh {
	uv_poll_t    h;
	struct conn *c;
};

struct conn {
	sn_db          *db;
	int             index;
	PGconn         *pg;
	enum conn_state state;
	struct pollh   *poll;
	int             fd;
	int             events;
	uv_timer_t      retry;
	uint32_t        backoff_ms;
	bool            broken;
	bool            recycle; /* replace once idle (sn_tx_recycle) */
	bool            dirty;   /* sent since the last flush request */
	bool            in_process;
	struct ent     *head, *tail;
	sn_tx          *tx;
	struct stmt    *stmts;
	unsigned        nstmts;
	unsigned        next_stmt_id;
	/* plan_cache_mode as the statements sent last left it
	 * (SN_SQL_GENERIC): PLAN_UNKNOWN after a transaction failed, which
	 * undoes a SET. */
	enum plan_mode { PLAN_UNKNOWN, PLAN_AUTO, PLAN_GENERIC } plan_mode;
};

/* A transaction's hooks of one kind: at most HOOKS_MAX, each once. */
#define HOOKS_MAX 4
typedef void (*hook_fn)(void);
struct hooks {
	hook_fn fn[HOOKS_MAX];
	void   *arg[HOOKS_MAX];
	int     n;
};

static sn_err
hooks_add(struct hooks *h, int max, hook_fn fn, void *arg)
{
	for (int i = 0; i < h->n; i++)
		if (h->fn[i] == fn && h->arg[i] == arg)
			return SN_OK;
	if (h->n == max)
		return SN_ERANGE;
	h->fn[h->n]  = fn;
	h->arg[h->n] = arg;
	h->n++;
	return SN_OK;
}

struct sn_tx {
	sn_db         *db;
	struct conn   *c;
	sn_tx_begin_fn begin;
	sn_tx_done_fn  done;
	void          *arg;
	size_t         pending; /* entries not yet answered */
	size_t      pending_cb; /* of which have a callback or are barriers */
	size_t      sent;       /* statements sent after BEGIN */
	bool        commit_asked;
	bool        committing;
	bool        failed;
	bool        recovering;
	bool        recycle; /* sn_tx_recycle */
	sn_err      err;
	struct ent *final_sync;
	/* sn_tx_on_commit, sn_tx_before_commit and sn_tx_on_end: each
	 * kept as a plain function pointer, called as its own type. */
	struct hooks on_commit, before, on_end, on_undo;
	/* sn_tx_slot: state of its callers', freed at the end. */
	struct slot {
		const void *key;
		void       *data;
		void (*fini)(void *slot);
	} slots[MAX_SLOTS];
	int nslots;
	/* Savepoints taken so far (their serials count from 1), and the
	 * serials of those still open, innermost last. */
	unsigned sp_taken;
	unsigned sp_open[MAX_SAVEPOINTS];
	int      sp_depth;
	sn_tx   *next;
	/* The request id when sn_db_tx was called ("": none). */
	char rid[SN_LOG_REQUEST_ID_MAX + 1];
};

struct sn_db {
	sn_loop    *loop;
	char       *conninfo;
	char       *schema;
	char       *name;
	bool        generic_plans;
	uint32_t    replan_ms;
	int         npool;
	struct conn conns[MAX_POOL];
	sn_tx      *wait_head, *wait_tail;
	size_t      nwait; /* transactions in the wait list */
	size_t      nbusy;
	uv_timer_t  kick;
	bool        closing;
	int         open_handles;
};

static void conn_start(struct conn *c);
static void conn_process(struct conn *c);
static void conn_reset(struct conn *c, const char *why);
static void dispatch(sn_db *db);
static void on_kick(uv_timer_t *t);
static void handle_gone(sn_db *db);

/* ---- small helpers ---------------------------------------------------- */

static sn_err
map_sqlstate(const char *state)
{
	if (state == NULL)
		return SN_EDB;
	if (strcmp(state, "23505") == 0)
		return SN_ECONFLICT;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return SN_EBUSY;
	return SN_EDB;
}

static void
quiet_notice(void *arg, const char *msg)
{
	(void) arg;
	(void) msg;
}

/* ---- the FIFO of what was sent ---------------------------------------- */

/* The calling thread's request id into out ("" for none). */
static void
rid_keep(char out[SN_LOG_REQUEST_ID_MAX + 1])
{
	snprintf(
	    out, SN_LOG_REQUEST_ID_MAX + 1, "%s", sn_log_request_id_text());
}

static struct ent *
ent_push(struct conn *c, enum ent_kind kind, sn_tx *tx)
{
	struct ent *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->kind = kind;
	e->tx   = tx;
	if (tx != NULL && kind == ENT_QUERY)
		tx->sent++;
	if (c->tail != NULL)
		c->tail->next = e;
	else
		c->head = e;
	c->tail = e;
	if (tx != NULL)
		tx->pending++;
	return e;
}

static struct ent *
ent_pop(struct conn *c)
{
	struct ent *e = c->head;
	c->head       = e->next;
	if (c->head == NULL)
		c->tail = NULL;
	if (e->tx != NULL) {
		e->tx->pending--;
		if (e->waited)
			e->tx->pending_cb--;
	}
	return e;
}

/* ---- statements cache ------------------------------------------------- */

static struct stmt *
stmt_find(struct conn *c, const char *sql, uint64_t h)
{
	for (struct stmt *s = c->stmts; s != NULL; s = s->next)
		if (s->hash == h && strcmp(s->sql, sql) == 0)
			return s;
	return NULL;
}

static void
stmt_forget(struct conn *c, struct stmt *dead)
{
	for (struct stmt **p = &c->stmts; *p != NULL; p = &(*p)->next) {
		if (*p == dead) {
			*p = dead->next;
			free(dead->sql);
			free(dead);
			c->nstmts--;
			return;
		}
	}
}

static void
stmts_clear(struct conn *c)
{
	while (c->stmts != NULL) {
		struct stmt *s = c->stmts;
		c->stmts       = s->next;
		free(s->sql);
		free(s);
	}
	c->nstmts = 0;
}

/* ---- polling ------------------------------------------------------------ */

static void on_poll(uv_poll_t *h, int status, int events);

static void
on_poll_closed(uv_handle_t *h)
{
	struct pollh *p  = h->data;
	sn_db        *db = p->c->db;
	free(p);
	handle_gone(db);
}

static void
poll_drop(struct conn *c)
{
	if (c->poll != NULL) {
		uv_poll_stop(&c->poll->h);
		uv_close((uv_handle_t *) &c->poll->h, on_poll_closed);
		c->poll = NULL;
	}
	c->fd     = -1;
	c->events = 0;
}

/* Watches the connection's current socket for events; libpq may change
 * the socket while connecting, and then the poll handle is replaced. */
static void
poll_set(struct conn *c, int events)
{
	int fd = PQsocket(c->pg);
	if (fd < 0) {
		poll_drop(c);
		return;
	}
	if (c->poll != NULL && c->fd != fd)
		poll_drop(c);
	if (c->poll == NULL) {
		struct pollh *p = calloc(1, sizeof(*p));
		if (p == NULL)
			return;
		p->c = c;
		if (uv_poll_init(sn_loop_uv(c->db->loop), &p->h, fd) != 0) {
			free(p);
			return;
		}
		p->h.data = p;
		c->db->open_handles++;
		c->poll   = p;
		c->fd     = fd;
		c->events = 0;
	}
	if (events != c->events) {
		uv_poll_start(&c->poll->h, events, on_poll);
		c->events = events;
	}
}

/* ---- transactions end here -------------------------------------------- */

static void
tx_finish(struct conn *c, sn_tx *tx)
{
	sn_err err = tx->failed ? tx->err : SN_OK;
	if (c != NULL) {
		c->tx = NULL;
		if (c->state == CONN_BUSY)
			c->state = CONN_IDLE;
		if (tx->recycle && c->state == CONN_IDLE) {
			c->recycle = true;
			uv_timer_start(&c->db->kick, on_kick, 0, 0);
		}
	}
	tx->db->nbusy--;
	/* The hooks wake shared work (the relay, a service's queue) that
	 * serves every request: they run with no request id. */
	char prev[SN_LOG_REQUEST_ID_MAX + 1];
	sn_log_swap_request_id(NULL, prev);
	if (err == SN_OK)
		for (int i = 0; i < tx->on_commit.n; i++)
			((void (*)(void *)) tx->on_commit.fn[i])(
			    tx->on_commit.arg[i]);
	for (int i = 0; i < tx->on_end.n; i++)
		((void (*)(sn_err, void *)) tx->on_end.fn[i])(
		    err, tx->on_end.arg[i]);
	for (int i = 0; i < tx->nslots; i++) {
		if (tx->slots[i].fini != NULL)
			tx->slots[i].fini(tx->slots[i].data);
		free(tx->slots[i].data);
	}
	sn_log_set_request_id(tx->rid);
	tx->done(err, tx->arg);
	sn_log_set_request_id(prev);
	free(tx);
}

/* Marks the connection for teardown, which the kick timer does: never
 * underneath a caller that still holds its tx. */
static void
conn_broken(struct conn *c)
{
	c->broken = true;
	uv_timer_start(&c->db->kick, on_kick, 0, 0);
}

static void
conn_send_failed(struct conn *c)
{
	sn_log(SN_LOG_WARN, "database send failed", "error",
	    PQerrorMessage(c->pg), NULL);
	conn_broken(c);
}

static struct ent *
send_sync(struct conn *c, sn_tx *tx)
{
	if (PQpipelineSync(c->pg) != 1) {
		conn_send_failed(c);
		return NULL;
	}
	return ent_push(c, ENT_SYNC, tx);
}

static void
send_simple(struct conn *c, sn_tx *tx, enum ent_kind kind, const char *sql)
{
	if (PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0) != 1) {
		conn_send_failed(c);
		return;
	}
	ent_push(c, kind, tx);
	c->dirty = true;
}

static void
tx_fail(sn_tx *tx, sn_err err)
{
	struct conn *c = tx->c;
	if (tx->failed)
		return;
	tx->failed = true;
	tx->err    = err == SN_OK ? SN_ECLOSED : err;
	if (c != NULL) /* its rollback undoes a SET of plan_cache_mode */
		c->plan_mode = PLAN_UNKNOWN;
	if (c == NULL || c->broken || tx->recovering)
		return;
	tx->recovering = true;
	/* Skip to a sync, then end the explicit transaction block. */
	send_sync(c, NULL);
	send_simple(c, tx, ENT_ROLLBACK, "ROLLBACK");
	struct ent *fin = send_sync(c, tx);
	if (fin != NULL)
		tx->final_sync = fin;
}

static void
tx_maybe_commit(sn_tx *tx)
{
	struct conn *c = tx->c;
	if (!tx->commit_asked || tx->committing || tx->failed
	    || tx->pending_cb > 0 || c == NULL || c->broken)
		return;
	/* The last statements, queued by the hooks (which may wait for
	 * their results: this runs again after each callback). */
	while (tx->before.n > 0 && !tx->failed) {
		int i = --tx->before.n;
		((void (*)(sn_tx *, void *)) tx->before.fn[i])(
		    tx, tx->before.arg[i]);
	}
	if (tx->failed || tx->pending_cb > 0 || c->broken)
		return;
	tx->committing = true;
	send_simple(c, tx, ENT_COMMIT, "COMMIT");
	struct ent *fin = send_sync(c, tx);
	if (fin != NULL)
		tx->final_sync = fin;
}

/* ---- connection life -------------------------------------------------- */

static void
on_retry(uv_timer_t *t)
{
	conn_start(t->data);
}

/* The teardown conn_reset and conn_recycle share: the socket's poll, the
 * queued entries, the prepared statements' names and libpq's connection
 * go; the connection is down and clean. Its transaction is the caller's. */
static void
conn_close(struct conn *c)
{
	poll_drop(c);
	while (c->head != NULL)
		free(ent_pop(c));
	stmts_clear(c);
	if (c->pg != NULL) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	c->state   = CONN_DOWN;
	c->broken  = false;
	c->recycle = false;
	c->dirty   = false;
}

/* Tears the connection down: the running transaction fails, and a new
 * connection is attempted after a backoff. */
static void
conn_reset(struct conn *c, const char *why)
{
	sn_db *db = c->db;
	if (c->pg != NULL && !db->closing)
		sn_log(SN_LOG_WARN, "database connection lost", "why", why,
		    "error", PQerrorMessage(c->pg), NULL);
	conn_close(c);
	sn_tx *tx = c->tx;
	if (tx != NULL) {
		tx->c      = NULL;
		tx->failed = true;
		if (tx->err == SN_OK)
			tx->err = db->closing ? SN_ECLOSED : SN_EDB;
		tx_finish(c, tx);
	}
	if (db->closing)
		return;
	c->backoff_ms
	    = c->backoff_ms == 0 ? BACKOFF_MIN_MS : c->backoff_ms * 2;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	uv_timer_start(&c->retry, on_retry, c->backoff_ms, 0);
}

static void
conn_flush(struct conn *c)
{
	if (c->pg == NULL || c->broken)
		return;
	if (c->dirty) {
		if (PQsendFlushRequest(c->pg) != 1) {
			conn_send_failed(c);
			return;
		}
		c->dirty = false;
	}
	int rv = PQflush(c->pg);
	if (rv < 0) {
		conn_send_failed(c);
		return;
	}
	poll_set(c, UV_READABLE | (rv == 1 ? UV_WRITABLE : 0));
}

static void
conn_ready(struct conn *c)
{
	c->state      = CONN_IDLE;
	c->backoff_ms = 0;
	uv_timer_start(&c->db->kick, on_kick, 0, 0);
}

/* While connecting, libpq may close its socket and open another: the
 * next host of a multi-host string (a standby refused by
 * target_session_attrs=read-write, a member that is down), or the same
 * host again without SSL. The new socket usually gets the same number,
 * and epoll forgets a closed socket, so the old poll handle would watch
 * nothing and the connection would hang after a failover. Each step
 * therefore watches libpq's socket with a new handle. */
static void
conn_connect_wait(struct conn *c, int events)
{
	poll_drop(c);
	poll_set(c, events);
}

/* Sends set_config(name, value) for the connection's life, in its setup;
 * false if it could not be sent. */
static bool
setup_set(struct conn *c, const char *name, const char *value)
{
	const char *v[2] = { name, value };
	if (PQsendQueryParams(c->pg, "SELECT set_config($1, $2, false)", 2,
	        NULL, v, NULL, NULL, 0)
	    != 1)
		return false;
	ent_push(c, ENT_SETUP, NULL);
	return true;
}

static void
conn_connect_step(struct conn *c)
{
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		conn_connect_wait(c, UV_READABLE);
		return;
	case PGRES_POLLING_WRITING:
		conn_connect_wait(c, UV_WRITABLE);
		return;
	case PGRES_POLLING_OK:
		break;
	default:
		conn_reset(c, "connect failed");
		return;
	}
	PQsetNoticeProcessor(c->pg, quiet_notice, NULL);
	if (PQsetnonblocking(c->pg, 1) != 0
	    || PQenterPipelineMode(c->pg) != 1) {
		conn_reset(c, "pipeline mode refused");
		return;
	}
	c->state     = CONN_SETUP;
	c->plan_mode = c->db->generic_plans ? PLAN_GENERIC : PLAN_AUTO;
	/* No parallel workers: a service's statements are short, and a
	 * worker's start (a process, about 30 ms here) cost more than the
	 * statement (bank-sim's status report of 500 rows, 1 ms of work,
	 * took 36 ms when its generic plan went parallel). No JIT either,
	 * for the same reason: a statement whose estimate passed
	 * jit_above_cost was compiled at each execution, about 25 ms
	 * (disbursement's build chunk reads, 10 to 60 ms of work, spent
	 * 0.45 s of their 0.94 s compiling at 100,000 payees). */
	if ((c->db->schema != NULL
	        && !setup_set(c, "search_path", c->db->schema))
	    || !setup_set(c, "max_parallel_workers_per_gather", "0")
	    || !setup_set(c, "jit", "off")
	    || !setup_set(c, "plan_cache_mode",
	        c->db->generic_plans ? "force_generic_plan" : "auto")) {
		conn_reset(c, "setup send failed");
		return;
	}
	send_sync(c, NULL);
	conn_flush(c);
	if (c->broken)
		conn_reset(c, "setup flush failed");
}

static void
conn_start(struct conn *c)
{
	sn_db      *db     = c->db;
	const char *keys[] = { "dbname", "application_name", NULL };
	const char *vals[] = { db->conninfo, db->name, NULL };
	c->pg              = PQconnectStartParams(keys, vals, 1);
	if (c->pg == NULL) {
		conn_reset(c, "out of memory");
		return;
	}
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		conn_reset(c, "bad connection string");
		return;
	}
	c->state = CONN_CONNECTING;
	poll_set(c, UV_WRITABLE);
}

/* ---- results ---------------------------------------------------------- */

static void
handle_result_as(struct conn *c, struct ent *e, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	sn_tx         *tx = e->tx;

	if (st == PGRES_PIPELINE_ABORTED) {
		if (e->kind == ENT_PREPARE)
			stmt_forget(c, e->stmt);
		return;
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (e->kind == ENT_PREPARE)
			stmt_forget(c, e->stmt);
		if (e->kind == ENT_SETUP || tx == NULL) {
			sn_log(SN_LOG_ERROR, "database setup failed",
			    "sqlstate", state, "error",
			    PQresultErrorMessage(res), NULL);
			c->broken = true;
			return;
		}
		sn_err err = map_sqlstate(state);
		/* A conflict is often the expected answer (a repeat); say it
		 * quietly, and everything else loudly. */
		sn_log(err == SN_ECONFLICT ? SN_LOG_DEBUG : SN_LOG_WARN,
		    "statement failed", "sqlstate", state, "error",
		    PQresultErrorMessage(res), NULL);
		tx_fail(tx, err);
		return;
	}
	switch (e->kind) {
	case ENT_PREPARE:
		e->stmt->ready = true;
		break;
	case ENT_QUERY:
		if (e->cb != NULL && tx != NULL && !tx->failed)
			e->cb(tx, res, e->arg);
		break;
	default:
		break;
	}
}

/* handle_result_as with the entry's request id set (its failure's line
 * and its callback name the request that queued it). */
static void
handle_result(struct conn *c, struct ent *e, PGresult *res)
{
	char prev[SN_LOG_REQUEST_ID_MAX + 1];
	sn_log_swap_request_id(e->rid, prev);
	handle_result_as(c, e, res);
	sn_log_set_request_id(prev);
}

static void
conn_process(struct conn *c)
{
	if (c->in_process)
		return;
	c->in_process = true;
	for (;;) {
		if (c->broken)
			break;
		struct ent *e = c->head;
		if (e == NULL)
			break;
		if (e->kind == ENT_THEN) {
			ent_pop(c);
			if (e->tx != NULL && !e->tx->failed) {
				char prev[SN_LOG_REQUEST_ID_MAX + 1];
				sn_log_swap_request_id(e->rid, prev);
				e->then(e->tx, e->arg);
				sn_log_set_request_id(prev);
			}
			if (e->tx != NULL)
				tx_maybe_commit(e->tx);
			free(e);
			continue;
		}
		if (PQisBusy(c->pg))
			break;
		PGresult *res = PQgetResult(c->pg);
		if (res == NULL) {
			if (!e->got)
				break; /* nothing for the head yet */
			ent_pop(c);
			sn_tx *tx = e->tx;
			free(e);
			if (tx != NULL)
				tx_maybe_commit(tx);
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			/* Everything before the sync point is over, whether
			 * or not libpq said so with a NULL (after an error it
			 * does not, and it skips aborted queries). */
			while (c->head != NULL && c->head->kind != ENT_SYNC) {
				struct ent *gone = ent_pop(c);
				if (gone->kind == ENT_PREPARE && !gone->got)
					stmt_forget(c, gone->stmt);
				free(gone);
			}
			if (c->head == NULL) {
				sn_log(SN_LOG_ERROR, "pipeline out of step",
				    NULL);
				c->broken = true;
				break;
			}
			e          = ent_pop(c);
			sn_tx *tx  = e->tx;
			bool   fin = tx != NULL && tx->final_sync == e;
			free(e);
			if (c->state == CONN_SETUP && c->head == NULL) {
				conn_ready(c);
			} else if (fin) {
				tx_finish(c, tx);
				uv_timer_start(&c->db->kick, on_kick, 0, 0);
			}
			continue;
		}
		if (e->got) {
			/* A result for the next entry: this one ended without
			 * its NULL. */
			ent_pop(c);
			sn_tx *tx = e->tx;
			free(e);
			if (tx != NULL)
				tx_maybe_commit(tx);
			e = c->head;
			while (e != NULL && e->kind == ENT_THEN) {
				/* Only a failed tx can be here: drop it. */
				ent_pop(c);
				free(e);
				e = c->head;
			}
			if (e == NULL) {
				PQclear(res);
				sn_log(SN_LOG_ERROR, "pipeline out of step",
				    NULL);
				c->broken = true;
				break;
			}
		}
		e->got = true;
		handle_result(c, e, res);
		PQclear(res);
	}
	c->in_process = false;
	if (c->broken) {
		conn_reset(c, "protocol failure");
		return;
	}
	conn_flush(c);
	if (c->broken)
		conn_reset(c, "flush failed");
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct pollh *p = h->data;
	struct conn  *c = p->c;
	(void) status;
	if (c->state == CONN_CONNECTING) {
		conn_connect_step(c);
		return;
	}
	if (c->pg == NULL)
		return;
	if (events & UV_WRITABLE) {
		conn_flush(c);
		if (c->broken) {
			conn_reset(c, "flush failed");
			return;
		}
	}
	if ((events & UV_READABLE) || status < 0) {
		if (PQconsumeInput(c->pg) != 1
		    || PQstatus(c->pg) == CONNECTION_BAD) {
			conn_reset(c, "read failed");
			return;
		}
	}
	conn_process(c);
}

/* ---- the pool --------------------------------------------------------- */

/* An idle connection closed and a new one started at once, no backoff
 * and nothing logged: libpq's buffers, grown to the largest statement
 * sent and result read, go with it (sn_tx_recycle). */
static void
conn_recycle(struct conn *c)
{
	conn_close(c);
	conn_start(c);
}

static void
on_kick(uv_timer_t *t)
{
	sn_db *db = t->data;
	for (int i = 0; i < db->npool; i++) {
		struct conn *c = &db->conns[i];
		if (c->broken && !c->in_process)
			conn_reset(c, "send failed");
		else if (c->recycle && c->state == CONN_IDLE && !c->in_process
		    && c->head == NULL && !db->closing)
			conn_recycle(c);
	}
	dispatch(db);
}

/* Opens unused connections while transactions wait for one: one per
 * waiting transaction beyond those already connecting. The pool starts
 * with one connection and grows to SN_DB_POOL only under concurrent
 * work, so a quiet service holds one backend (a backend's start is tens
 * of milliseconds of the server's CPU on a small VM), and never closes
 * one it opened. */
static void
pool_grow(sn_db *db)
{
	size_t coming = 0;
	for (int i = 0; i < db->npool; i++)
		if (db->conns[i].state == CONN_CONNECTING
		    || db->conns[i].state == CONN_SETUP)
			coming++;
	for (int i = 0; i < db->npool && coming < db->nwait; i++) {
		if (db->conns[i].state == CONN_UNUSED) {
			conn_start(&db->conns[i]);
			coming++;
		}
	}
}

static void
dispatch(sn_db *db)
{
	if (db->closing)
		return;
	for (int i = 0; i < db->npool && db->wait_head != NULL; i++) {
		struct conn *c = &db->conns[i];
		if (c->state != CONN_IDLE || c->broken)
			continue;
		sn_tx *tx     = db->wait_head;
		db->wait_head = tx->next;
		if (db->wait_head == NULL)
			db->wait_tail = NULL;
		db->nwait--;
		tx->next      = NULL;
		tx->c         = c;
		c->tx         = tx;
		c->state      = CONN_BUSY;
		c->in_process = true; /* begin's calls do not flush */
		send_simple(c, tx, ENT_BEGIN, "BEGIN");
		if (!c->broken) {
			char prev[SN_LOG_REQUEST_ID_MAX + 1];
			sn_log_swap_request_id(tx->rid, prev);
			tx->begin(tx, tx->arg);
			sn_log_set_request_id(prev);
		}
		c->in_process = false;
		if (c->broken) {
			conn_reset(c, "send failed");
			continue;
		}
		tx_maybe_commit(tx);
		conn_flush(c);
		if (c->broken)
			conn_reset(c, "flush failed");
	}
	pool_grow(db);
}

sn_err
sn_db_open(sn_db **out, sn_loop *loop, const sn_db_config *cfg)
{
	if (cfg->conninfo == NULL || cfg->pool < 1 || cfg->pool > MAX_POOL)
		return SN_EINVAL;
	sn_db *db = calloc(1, sizeof(*db));
	if (db == NULL)
		return SN_ENOMEM;
	db->loop          = loop;
	db->npool         = cfg->pool;
	db->conninfo      = strdup(cfg->conninfo);
	db->schema        = cfg->schema ? strdup(cfg->schema) : NULL;
	db->name          = strdup(cfg->name ? cfg->name : "safetynet");
	db->generic_plans = cfg->generic_plans;
	db->replan_ms = cfg->replan_ms > 0 ? cfg->replan_ms : REPLAN_FIRST_MS;
	if (db->conninfo == NULL || db->name == NULL
	    || (cfg->schema != NULL && db->schema == NULL)) {
		free(db->conninfo);
		free(db->schema);
		free(db->name);
		free(db);
		return SN_ENOMEM;
	}
	uv_timer_init(sn_loop_uv(loop), &db->kick);
	db->kick.data = db;
	db->open_handles++;
	for (int i = 0; i < db->npool; i++) {
		struct conn *c = &db->conns[i];
		c->db          = db;
		c->index       = i;
		c->fd          = -1;
		uv_timer_init(sn_loop_uv(loop), &c->retry);
		c->retry.data = c;
		db->open_handles++;
	}
	conn_start(&db->conns[0]);
	*out = db;
	return SN_OK;
}

static void
handle_gone(sn_db *db)
{
	db->open_handles--;
	if (db->closing && db->open_handles == 0) {
		free(db->conninfo);
		free(db->schema);
		free(db->name);
		free(db);
	}
}

static void
on_kick_closed(uv_handle_t *h)
{
	handle_gone(h->data);
}

static void
on_retry_closed(uv_handle_t *h)
{
	handle_gone(((struct conn *) h->data)->db);
}

void
sn_db_close(sn_db *db)
{
	if (db == NULL)
		return;
	db->closing = true;
	while (db->wait_head != NULL) {
		sn_tx *tx     = db->wait_head;
		db->wait_head = tx->next;
		db->nwait--;
		tx->failed = true;
		tx->err    = SN_ECLOSED;
		tx_finish(NULL, tx);
	}
	db->wait_tail = NULL;
	for (int i = 0; i < db->npool; i++) {
		struct conn *c = &db->conns[i];
		conn_reset(c, "closing");
		uv_timer_stop(&c->retry);
		uv_close((uv_handle_t *) &c->retry, on_retry_closed);
	}
	uv_timer_stop(&db->kick);
	uv_close((uv_handle_t *) &db->kick, on_kick_closed);
}

bool
sn_db_ready(const sn_db *db)
{
	for (int i = 0; i < db->npool; i++)
		if (db->conns[i].state == CONN_IDLE
		    || db->conns[i].state == CONN_BUSY)
			return true;
	return false;
}

size_t
sn_db_busy(const sn_db *db)
{
	return db->nbusy;
}

void
sn_db_tx(sn_db *db, sn_tx_begin_fn begin, sn_tx_done_fn done, void *arg)
{
	sn_tx *tx = calloc(1, sizeof(*tx));
	if (tx == NULL || db->closing) {
		/* Nowhere to report it but done, and never from inside this
		 * call: a tx-less failure goes through the kick timer path
		 * would need storage, so allocation failure aborts. */
		if (tx == NULL)
			abort();
		free(tx);
		done(SN_ECLOSED, arg);
		return;
	}
	tx->db    = db;
	tx->begin = begin;
	tx->done  = done;
	tx->arg   = arg;
	rid_keep(tx->rid);
	db->nbusy++;
	if (db->wait_tail != NULL)
		db->wait_tail->next = tx;
	else
		db->wait_head = tx;
	db->wait_tail = tx;
	db->nwait++;
	uv_timer_start(&db->kick, on_kick, 0, 0);
}

/* Queues the SET of plan_cache_mode that sql wants (SN_SQL_GENERIC, or
 * the connection's own mode) when the connection is not in it already:
 * a statement of its own in the same pipeline, its result unread. */
static sn_err
plan_mode_for(struct conn *c, sn_tx *tx, const char *sql)
{
	static const char generic[]    = SN_SQL_GENERIC;
	bool              want_generic = c->db->generic_plans
	    || strncmp(sql, generic, sizeof(generic) - 1) == 0;
	enum plan_mode want = want_generic ? PLAN_GENERIC : PLAN_AUTO;
	if (c->plan_mode == want)
		return SN_OK;
	if (PQsendQueryParams(c->pg,
	        want_generic ? "SET plan_cache_mode = force_generic_plan"
	                     : "SET plan_cache_mode = auto",
	        0, NULL, NULL, NULL, NULL, 0)
	    != 1) {
		conn_send_failed(c);
		return SN_EDB;
	}
	if (ent_push(c, ENT_QUERY, tx) == NULL)
		return SN_ENOMEM;
	c->plan_mode = want;
	return SN_OK;
}

static sn_err
tx_send(sn_tx *tx, const char *sql, int nparams, const char *const *values,
    const int *lengths, const int *formats, int result_binary, bool prepare,
    bool wait, sn_query_fn cb, void *arg)
{
	struct conn *c = tx->c;
	if (tx->failed || tx->committing || c == NULL)
		return SN_ECLOSED;
	if (c->broken)
		return SN_EDB;
	sn_err err = plan_mode_for(c, tx, sql);
	if (err != SN_OK)
		return err;
	int ok;
	if (prepare) {
		uint64_t     h      = sn_fnv1a64(sql, strlen(sql));
		struct stmt *s      = stmt_find(c, sql, h);
		uint64_t     now    = uv_now(sn_loop_uv(c->db->loop));
		uint32_t     period = c->db->replan_ms;
		if (s != NULL && s->ready && now >= s->replan_at) {
			/* Due to be planned again: its name goes (a result
			 * without a callback; in a pipeline already failing,
			 * the server keeps it until the connection ends) and
			 * it is prepared anew below under a new one. */
			char dealloc[40];
			snprintf(dealloc, sizeof(dealloc), "DEALLOCATE sn%u",
			    s->id);
			period = s->period_ms < REPLAN_MAX_MS / 2
			    ? s->period_ms * 2
			    : REPLAN_MAX_MS;
			stmt_forget(c, s);
			s = NULL;
			if (PQsendQueryParams(
			        c->pg, dealloc, 0, NULL, NULL, NULL, NULL, 0)
			    != 1) {
				conn_send_failed(c);
				return SN_EDB;
			}
			if (ent_push(c, ENT_QUERY, tx) == NULL)
				return SN_ENOMEM;
		}
		if (s == NULL && c->nstmts < MAX_STMTS) {
			s = calloc(1, sizeof(*s));
			if (s == NULL || (s->sql = strdup(sql)) == NULL) {
				free(s);
				return SN_ENOMEM;
			}
			s->hash      = h;
			s->id        = ++c->next_stmt_id;
			s->period_ms = period;
			s->replan_at = now + period;
			char name[24];
			snprintf(name, sizeof(name), "sn%u", s->id);
			if (PQsendPrepare(c->pg, name, sql, nparams, NULL)
			    != 1) {
				free(s->sql);
				free(s);
				conn_send_failed(c);
				return SN_EDB;
			}
			s->next  = c->stmts;
			c->stmts = s;
			c->nstmts++;
			struct ent *pe = ent_push(c, ENT_PREPARE, tx);
			if (pe == NULL)
				return SN_ENOMEM;
			pe->stmt = s;
		}
		if (s != NULL) {
			char name[24];
			snprintf(name, sizeof(name), "sn%u", s->id);
			ok = PQsendQueryPrepared(c->pg, name, nparams, values,
			    lengths, formats, result_binary);
		} else {
			ok = PQsendQueryParams(c->pg, sql, nparams, NULL,
			    values, lengths, formats, result_binary);
		}
	} else {
		ok = PQsendQueryParams(c->pg, sql, nparams, NULL, values,
		    lengths, formats, result_binary);
	}
	if (ok != 1) {
		conn_send_failed(c);
		return SN_EDB;
	}
	struct ent *e = ent_push(c, ENT_QUERY, tx);
	if (e == NULL)
		return SN_ENOMEM;
	e->cb     = cb;
	e->arg    = arg;
	e->waited = cb != NULL && wait;
	rid_keep(e->rid);
	if (e->waited)
		tx->pending_cb++;
	c->dirty = true;
	if (!c->in_process)
		conn_flush(
		    c); /* nobody else will: we are outside a callback */
	return SN_OK;
}

sn_err
sn_tx_query(sn_tx *tx, const char *sql, int nparams, const char *const *values,
    sn_query_fn cb, void *arg)
{
	return tx_send(
	    tx, sql, nparams, values, NULL, NULL, 0, true, true, cb, arg);
}

sn_err
sn_tx_query_bin(sn_tx *tx, const char *sql, int nparams,
    const char *const *values, const int *lengths, const int *formats,
    int result_binary, sn_query_fn cb, void *arg)
{
	return tx_send(tx, sql, nparams, values, lengths, formats,
	    result_binary, true, true, cb, arg);
}

sn_err
sn_tx_query_bin_unwaited(sn_tx *tx, const char *sql, int nparams,
    const char *const *values, const int *lengths, const int *formats,
    int result_binary, sn_query_fn cb, void *arg)
{
	return tx_send(tx, sql, nparams, values, lengths, formats,
	    result_binary, true, false, cb, arg);
}

sn_err
sn_tx_query_once(sn_tx *tx, const char *sql, int nparams,
    const char *const *values, sn_query_fn cb, void *arg)
{
	return tx_send(
	    tx, sql, nparams, values, NULL, NULL, 0, false, true, cb, arg);
}

sn_err
sn_tx_then(sn_tx *tx, sn_tx_then_fn fn, void *arg)
{
	struct conn *c = tx->c;
	if (tx->failed || tx->committing || c == NULL)
		return SN_ECLOSED;
	if (c->head == NULL) {
		fn(tx, arg);
		return SN_OK;
	}
	struct ent *e = ent_push(c, ENT_THEN, tx);
	if (e == NULL)
		return SN_ENOMEM;
	e->then   = fn;
	e->arg    = arg;
	e->waited = true;
	rid_keep(e->rid);
	tx->pending_cb++;
	return SN_OK;
}

size_t
sn_tx_waiting(const sn_tx *tx)
{
	return tx->pending_cb;
}

sn_err
sn_tx_on_commit(sn_tx *tx, void (*fn)(void *arg), void *arg)
{
	return hooks_add(&tx->on_commit, MAX_ON_COMMIT, (hook_fn) fn, arg);
}

sn_err
sn_tx_before_commit(sn_tx *tx, void (*fn)(sn_tx *tx, void *arg), void *arg)
{
	return hooks_add(&tx->before, MAX_BEFORE_COMMIT, (hook_fn) fn, arg);
}

sn_err
sn_tx_on_end(sn_tx *tx, void (*fn)(sn_err err, void *arg), void *arg)
{
	return hooks_add(&tx->on_end, MAX_ON_END, (hook_fn) fn, arg);
}

sn_err
sn_tx_on_undo(
    sn_tx *tx, void (*fn)(sn_tx *tx, unsigned serial, void *arg), void *arg)
{
	return hooks_add(&tx->on_undo, MAX_ON_UNDO, (hook_fn) fn, arg);
}

/* One name serves every savepoint: PostgreSQL's ROLLBACK TO and RELEASE
 * name the newest of that name, the innermost open one. */
static const char SQL_SAVEPOINT[]   = "SAVEPOINT sn_sp";
static const char SQL_SP_RELEASE[]  = "RELEASE SAVEPOINT sn_sp";
static const char SQL_SP_ROLLBACK[] = "ROLLBACK TO SAVEPOINT sn_sp";

sn_err
sn_tx_savepoint(sn_tx *tx)
{
	if (tx->sp_depth == MAX_SAVEPOINTS)
		return SN_ERANGE;
	sn_err err = sn_tx_query(tx, SQL_SAVEPOINT, 0, NULL, NULL, NULL);
	if (err != SN_OK)
		return err;
	tx->sp_open[tx->sp_depth++] = ++tx->sp_taken;
	return SN_OK;
}

/* Ends the innermost open savepoint: kept, or undone (and the undo
 * hooks told). */
static sn_err
savepoint_end(sn_tx *tx, bool undo)
{
	if (tx->sp_depth == 0)
		return SN_EINVAL;
	sn_err err = undo
	    ? sn_tx_query(tx, SQL_SP_ROLLBACK, 0, NULL, NULL, NULL)
	    : SN_OK;
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_SP_RELEASE, 0, NULL, NULL, NULL);
	if (err != SN_OK)
		return err;
	unsigned serial = tx->sp_open[--tx->sp_depth];
	for (int i = 0; undo && i < tx->on_undo.n; i++)
		((void (*)(sn_tx *, unsigned, void *)) tx->on_undo.fn[i])(
		    tx, serial, tx->on_undo.arg[i]);
	return SN_OK;
}

sn_err
sn_tx_savepoint_release(sn_tx *tx)
{
	return savepoint_end(tx, false);
}

sn_err
sn_tx_savepoint_undo(sn_tx *tx)
{
	return savepoint_end(tx, true);
}

unsigned
sn_tx_savepoints_taken(const sn_tx *tx)
{
	return tx->sp_taken;
}

void
sn_tx_recycle(sn_tx *tx)
{
	tx->recycle = true;
}

void
sn_tx_commit(sn_tx *tx)
{
	tx->commit_asked = true;
	tx_maybe_commit(tx);
	/* Asked from outside a callback (a timer, another tx's done):
	 * nobody else will flush for us. */
	if (tx->c != NULL && !tx->c->in_process)
		conn_flush(tx->c);
}

void
sn_tx_rollback(sn_tx *tx, sn_err err)
{
	tx_fail(tx, err);
	if (tx->c != NULL && !tx->c->in_process)
		conn_flush(tx->c);
}

void *
sn_tx_slot_get(const sn_tx *tx, const void *key)
{
	for (int i = 0; i < tx->nslots; i++)
		if (tx->slots[i].key == key)
			return tx->slots[i].data;
	return NULL;
}

void *
sn_tx_slot(sn_tx *tx, const void *key, size_t size, void (*fini)(void *slot))
{
	void *d = sn_tx_slot_get(tx, key);
	if (d != NULL || tx->nslots == MAX_SLOTS)
		return d;
	if ((d = calloc(1, size > 0 ? size : 1)) == NULL)
		return NULL;
	tx->slots[tx->nslots++] = (struct slot) { key, d, fini };
	return d;
}

bool
sn_tx_failed(const sn_tx *tx)
{
	return tx->failed;
}

bool
sn_tx_untouched(const sn_tx *tx)
{
	return tx->sent == 0 && tx->on_commit.n == 0 && tx->before.n == 0
	    && tx->on_end.n == 0 && tx->on_undo.n == 0 && !tx->failed;
}

/* ---- one-statement reads ---------------------------------------------- */

struct oneshot {
	const char    *sql;
	int            nparams;
	char         **values;
	sn_db_query_fn fn;
	void          *arg;
	bool           answered;
};

static void
oneshot_free(struct oneshot *o)
{
	for (int i = 0; i < o->nparams; i++)
		free(o->values[i]);
	free(o->values);
	free(o);
}

static void
oneshot_result(sn_tx *tx, PGresult *res, void *arg)
{
	struct oneshot *o = arg;
	o->answered       = true;
	o->fn(SN_OK, res, o->arg);
	sn_tx_commit(tx);
}

static void
oneshot_begin(sn_tx *tx, void *arg)
{
	struct oneshot *o   = arg;
	sn_err          err = sn_tx_query_once(tx, o->sql, o->nparams,
	             (const char *const *) o->values, oneshot_result, o);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
oneshot_done(sn_err err, void *arg)
{
	struct oneshot *o = arg;
	if (!o->answered)
		o->fn(err == SN_OK ? SN_EDB : err, NULL, o->arg);
	oneshot_free(o);
}

void
sn_db_query(sn_db *db, const char *sql, int nparams, const char *const *values,
    sn_db_query_fn done, void *arg)
{
	struct oneshot *o = calloc(1, sizeof(*o));
	if (o == NULL)
		abort();
	o->sql     = sql;
	o->nparams = nparams;
	o->fn      = done;
	o->arg     = arg;
	o->values
	    = calloc((size_t) (nparams > 0 ? nparams : 1), sizeof(char *));
	if (o->values == NULL)
		abort();
	for (int i = 0; i < nparams; i++)
		o->values[i] = values[i] ? strdup(values[i]) : NULL;
	sn_db_tx(db, oneshot_begin, oneshot_done, o);
}

/* ---- migrations -------------------------------------------------------- */

static sn_err
exec_ok(PGconn *pg, const char *sql, const char *what)
{
	PGresult *r  = PQexec(pg, sql);
	int       st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		sn_log(SN_LOG_ERROR, "migration step failed", "step", what,
		    "sqlstate", PQresultErrorField(r, PG_DIAG_SQLSTATE),
		    "error", PQresultErrorMessage(r), NULL);
		PQclear(r);
		return SN_EDB;
	}
	PQclear(r);
	return SN_OK;
}

static sn_err
apply_one(PGconn *pg, const char *name, const char *sql)
{
	const char *v[1] = { name };
	PGresult   *r    = PQexecParams(pg,
	         "SELECT 1 FROM schema_migrations WHERE name = $1", 1, NULL, v,
	         NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return SN_EDB;
	}
	bool done = PQntuples(r) > 0;
	PQclear(r);
	if (done)
		return SN_OK;
	if (exec_ok(pg, "BEGIN", name) != SN_OK)
		return SN_EDB;
	if (exec_ok(pg, sql, name) != SN_OK)
		goto fail;
	r = PQexecParams(pg,
	    "INSERT INTO schema_migrations (name) VALUES ($1)", 1, NULL, v,
	    NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if (exec_ok(pg, "COMMIT", name) != SN_OK)
		return SN_EDB;
	sn_log(SN_LOG_INFO, "migration applied", "name", name, NULL);
	return SN_OK;
fail:
	exec_ok(pg, "ROLLBACK", name);
	return SN_EDB;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool
is_migration_file(const char *n)
{
	size_t len = strlen(n);
	return len > 8 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0'
	    && n[1] <= '9' && n[2] >= '0' && n[2] <= '9' && n[3] == '_'
	    && strcmp(n + len - 4, ".sql") == 0;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char  *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 4096) {
			cap      = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static sn_err
apply_dir(PGconn *pg, const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		sn_log(SN_LOG_ERROR, "cannot open migrations folder", "dir",
		    dir, NULL);
		return SN_EIO;
	}
	char         **names = NULL;
	size_t         n = 0, cap = 0;
	struct dirent *de;
	sn_err         err = SN_OK;
	while ((de = readdir(d)) != NULL) {
		if (!is_migration_file(de->d_name))
			continue;
		if (n == cap) {
			cap       = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL) {
				err = SN_ENOMEM;
				break;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			err = SN_ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && err == SN_OK; i++) {
		size_t plen = strlen(dir) + strlen(names[i]) + 2;
		char  *path = malloc(plen);
		if (path == NULL) {
			err = SN_ENOMEM;
			break;
		}
		snprintf(path, plen, "%s/%s", dir, names[i]);
		char *sql = read_file(path);
		free(path);
		if (sql == NULL) {
			sn_log(SN_LOG_ERROR, "cannot read migration", "name",
			    names[i], NULL);
			err = SN_EIO;
			break;
		}
		err = apply_one(pg, names[i], sql);
		free(sql);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

sn_err
sn_db_migrate(const char *conninfo, const char *schema,
    const sn_migration *builtin, size_t nbuiltin, const char *dir)
{
	PGconn *pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		sn_log(SN_LOG_ERROR, "cannot connect for migrations", "error",
		    PQerrorMessage(pg), NULL);
		PQfinish(pg);
		return SN_EDB;
	}
	PQsetNoticeProcessor(pg, quiet_notice, NULL);
	sn_err      err  = SN_OK;
	const char *v[1] = { schema ? schema : "" };
	PGresult   *r;
	if (schema != NULL) {
		r = PQexecParams(pg,
		    "SELECT set_config('search_path', $1, false), "
		    "pg_advisory_lock(hashtext('sn.migrate.' || $1))",
		    1, NULL, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			sn_log(SN_LOG_ERROR, "cannot set search_path", "error",
			    PQresultErrorMessage(r), NULL);
			err = SN_EDB;
		}
		PQclear(r);
	}
	if (err == SN_OK)
		err = exec_ok(pg,
		    "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " name text PRIMARY KEY,"
		    " applied_at timestamptz NOT NULL DEFAULT now())",
		    "schema_migrations");
	for (size_t i = 0; i < nbuiltin && err == SN_OK; i++)
		err = apply_one(pg, builtin[i].name, builtin[i].sql);
	if (err == SN_OK && dir != NULL)
		err = apply_dir(pg, dir);
	PQfinish(pg); /* releases the advisory lock */
	return err;
}
