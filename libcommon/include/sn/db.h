/*
 * sn/db.h - PostgreSQL through libpq, on the loop, without blocking it.
 *
 * An sn_db is a small pool of connections owned by one loop. Work is a
 * transaction: sn_db_tx queues one; when a connection is free, begin runs
 * with an sn_tx, on which the caller queues queries. Queries are sent at
 * once in libpq's pipeline mode (one round trip for many statements);
 * each query's callback runs when its result arrives and may queue more.
 * sn_tx_commit asks for COMMIT after every query queued so far (and any
 * their callbacks queue) has its result; done then runs exactly once with
 * the outcome, and the tx is gone when done returns.
 *
 * A failed statement ends the transaction: the callbacks of the queries
 * after it do not run, the tx is rolled back, and done gets the error
 * (SN_ECONFLICT for a unique violation, SN_EBUSY for a serialization
 * failure or deadlock, SN_EDB otherwise; the SQLSTATE and message are
 * logged here). A lost connection does the same with SN_EDB; if COMMIT
 * had been sent, the outcome is unknown, which is why every consumer in
 * this system is idempotent. The connection is then re-established with
 * backoff (100 ms doubling to 5 s) while sn_db_ready reports false.
 *
 * Statements passed to sn_tx_query and sn_tx_query_bin are prepared once
 * per connection and reused (keyed by the SQL text): pass constant SQL.
 * Dynamic SQL goes through sn_tx_query_once.
 *
 * Everything here runs on the loop thread. Results are borrowed during
 * the callback only.
 */
#ifndef SN_DB_H
#define SN_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"
#include "sn/loop.h"

typedef struct sn_db sn_db;
typedef struct sn_tx sn_tx;

typedef struct sn_db_config {
	const char *conninfo; /* libpq connection string (SN_DB_URL) */
	const char *schema;   /* search_path of every connection; NULL: none */
	int         pool;     /* connections, 1..64 (SN_DB_POOL) */
	const char *name;     /* application_name; NULL: "safetynet" */
} sn_db_config;

/* Runs when a connection is ready for the transaction. Borrowed tx. */
typedef void (*sn_tx_begin_fn)(sn_tx *tx, void *arg);
/* Runs once at the end: SN_OK if COMMIT succeeded. The tx is gone after. */
typedef void (*sn_tx_done_fn)(sn_err err, void *arg);
/* Runs with one query's result (status TUPLES_OK or COMMAND_OK). */
typedef void (*sn_query_fn)(sn_tx *tx, PGresult *res, void *arg);
/* Runs at a barrier (sn_tx_then). */
typedef void (*sn_tx_then_fn)(sn_tx *tx, void *arg);

/*
 * Opens the pool and starts connecting in the background; returns at once.
 * The config's strings are copied.
 */
sn_err sn_db_open(sn_db **out, sn_loop *loop, const sn_db_config *cfg);

/*
 * Closes every connection now and frees the pool when its handles are
 * gone. Transactions still queued or running get done(SN_ECLOSED) before
 * this returns. NULL is a no-op.
 */
void sn_db_close(sn_db *db);

/* True while at least one connection is up. */
bool sn_db_ready(const sn_db *db);

/* Transactions queued or running: 0 means idle (for draining). */
size_t sn_db_busy(const sn_db *db);

/*
 * Queues a transaction. begin runs later, never from inside this call;
 * done always runs exactly once (SN_ECLOSED if the pool closes first).
 */
void sn_db_tx(sn_db *db, sn_tx_begin_fn begin, sn_tx_done_fn done, void *arg);

/*
 * Queues a query with text parameters (values[i] NULL is SQL NULL) and
 * text results. cb may be NULL. Returns SN_ECLOSED on a tx that has
 * failed or is committing, and then queues nothing.
 */
sn_err sn_tx_query(sn_tx *tx, const char *sql, int nparams,
    const char *const *values, sn_query_fn cb, void *arg);

/*
 * The same with per-parameter lengths and formats (1 binary, 0 text; NULL
 * arrays mean all text) and results in binary when result_binary is set.
 */
sn_err sn_tx_query_bin(sn_tx *tx, const char *sql, int nparams,
    const char *const *values, const int *lengths, const int *formats,
    int result_binary, sn_query_fn cb, void *arg);

/* Like sn_tx_query for SQL that is built at run time: never prepared. */
sn_err sn_tx_query_once(sn_tx *tx, const char *sql, int nparams,
    const char *const *values, sn_query_fn cb, void *arg);

/*
 * Runs fn once every query queued before this call has its result (a
 * barrier costing no round trip of its own); at once, from inside this
 * call, when nothing is outstanding. fn may queue more.
 */
sn_err sn_tx_then(sn_tx *tx, sn_tx_then_fn fn, void *arg);

/*
 * Queries with a callback, and barriers, not yet answered: while it is not
 * 0 a callback may still queue more. Plain queries are not counted.
 */
size_t sn_tx_waiting(const sn_tx *tx);

/*
 * Runs fn after a successful COMMIT, before done (for waking the outbox
 * relay). At most 4 per transaction.
 */
sn_err sn_tx_on_commit(sn_tx *tx, void (*fn)(void *arg), void *arg);

/* COMMIT once everything queued has its result. */
void sn_tx_commit(sn_tx *tx);

/* Rolls back; done gets err (SN_OK is turned into SN_ECLOSED). */
void sn_tx_rollback(sn_tx *tx, sn_err err);

/* True if the tx has failed and will be rolled back. */
bool sn_tx_failed(const sn_tx *tx);

/*
 * Runs a one-statement read outside any explicit transaction; done gets
 * the result (NULL on error) and err. For readiness checks and reports.
 */
typedef void (*sn_db_query_fn)(sn_err err, PGresult *res, void *arg);
void sn_db_query(sn_db *db, const char *sql, int nparams,
    const char *const *values, sn_db_query_fn done, void *arg);

/*
 * Migrations, applied once at start-up before the loop runs (this call
 * blocks). Creates schema_migrations in the schema if missing, takes an
 * advisory lock so that concurrent instances apply each migration once,
 * then applies, each in its own transaction and in name order: first the
 * built-in ones given (name, sql pairs such as the bus's tables), then
 * every NNN_*.sql file in dir (NULL: none). Applied names are recorded
 * and skipped next time. SN_EDB on any failure, logged with its SQLSTATE.
 */
typedef struct sn_migration {
	const char *name;
	const char *sql;
} sn_migration;

sn_err sn_db_migrate(const char *conninfo, const char *schema,
    const sn_migration *builtin, size_t nbuiltin, const char *dir);

/* The int64 in a text result cell; 0 for NULL or junk. */
int64_t sn_db_i64(const PGresult *res, int row, int col);

/* The int64 in a binary int8 result cell. */
int64_t sn_db_i64_bin(const PGresult *res, int row, int col);

#endif /* SN_DB_H */
