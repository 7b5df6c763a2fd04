/*
 * sn/db.h - PostgreSQL through libpq, on the loop, without blocking it.
 *
 * An sn_db is a small pool of connections owned by one loop: one
 * connection at first, more (up to the configured size) only while
 * transactions wait for one, none closed for being idle. Work is a
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

#include "sn/date.h"
#include "sn/err.h"
#include "sn/loop.h"

typedef struct sn_db sn_db;
typedef struct sn_tx sn_tx;

typedef struct sn_db_config {
	const char *conninfo; /* libpq connection string (SN_DB_URL) */
	const char *schema;   /* search_path of every connection; NULL: none */
	int         pool;     /* connections, 1..64 (SN_DB_POOL) */
	const char *name;     /* application_name; NULL: "safetynet" */
	/*
	 * Every prepared statement runs its generic plan (plan_cache_mode
	 * force_generic_plan), planned once per connection. PostgreSQL's
	 * default plans a statement anew on every execution whenever the
	 * generic plan's estimate is worse than the custom plans' (an array
	 * parameter of unknown length is enough), which can cost more than the
	 * execution. For a service whose statements all have good generic
	 * plans: look at EXPLAIN EXECUTE under force_generic_plan first.
	 */
	bool generic_plans;
	/*
	 * A prepared statement is prepared again (planned for the tables as
	 * they are now) this long after it was first, then after twice that,
	 * and so on up to every 5 minutes. 0: 1000 ms.
	 */
	uint32_t replan_ms;
} sn_db_config;

/*
 * A statement whose text begins with SN_SQL_GENERIC runs its generic
 * plan (plan_cache_mode force_generic_plan while it runs, the
 * connection's own mode again for the statements after it), whatever
 * sn_db_config.generic_plans says: for a statement that PostgreSQL's
 * default would plan anew on every execution and whose planning costs
 * more than its run (an array parameter of unknown length, and a large
 * inlined expression to plan), where the generic plan is as good. The
 * setting goes with the statement in the same pipeline (no round trip),
 * only when it changes. Look at EXPLAIN EXECUTE under force_generic_plan
 * first.
 */
#define SN_SQL_GENERIC "/* sn:generic */ "

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

/*
 * sn_tx_query_bin whose cb the transaction does not wait for: its COMMIT
 * (sn_tx_commit, before-commit hooks included) may be sent right behind
 * the statement, so cb can run while the transaction is committing and
 * must neither queue statements nor roll back; it runs before the
 * COMMIT's answer, and only if the statement succeeded (its failure
 * fails the transaction, COMMIT or not). For a last statement whose
 * result matters only once committed (the bus's numbering at commit:
 * its lock is then held for one statement and a commit, not also for the
 * round trip of its result).
 */
sn_err sn_tx_query_bin_unwaited(sn_tx *tx, const char *sql, int nparams,
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

/*
 * Runs fn once COMMIT is due (asked for, every query answered), before
 * it is sent: fn queues the transaction's last statements, and COMMIT
 * follows their results (and whatever their callbacks queue). For work
 * that must come after everything else the transaction does (the bus
 * numbering its events at the commit, holding the outbox's lock only
 * from there). Not run if the transaction fails first. At most 4, each
 * (fn, arg) once: adding one again does nothing.
 */
sn_err sn_tx_before_commit(
    sn_tx *tx, void (*fn)(sn_tx *tx, void *arg), void *arg);

/*
 * Runs fn when the transaction ends, with its outcome (SN_OK: committed),
 * after the sn_tx_on_commit hooks and before done: for state that lives
 * as long as the transaction. At most 4.
 */
sn_err sn_tx_on_end(sn_tx *tx, void (*fn)(sn_err err, void *arg), void *arg);

/*
 * State kept beside a transaction for as long as it lasts: tx's slot for
 * key (the address of a static of the caller's, one slot each), made
 * zeroed (size bytes) at the first call and the same memory at every
 * later one, whatever size says. When the transaction ends, committed or
 * not, after its sn_tx_on_end hooks, fini(slot) runs (when not NULL) and
 * the slot is freed. NULL when out of memory or past 4 keys: the caller
 * then does without (reads again what it would have kept).
 * sn_tx_slot_get answers the slot for key if made, else NULL.
 */
void *sn_tx_slot(
    sn_tx *tx, const void *key, size_t size, void (*fini)(void *slot));
void *sn_tx_slot_get(const sn_tx *tx, const void *key);

/*
 * Savepoints, for a transaction that undoes a part of itself and goes on
 * (sn_http's group commit: one per member). sn_tx_savepoint queues
 * SAVEPOINT; sn_tx_savepoint_release keeps what was queued since the
 * innermost open one, sn_tx_savepoint_undo undoes it (ROLLBACK TO, then
 * RELEASE) and runs the sn_tx_on_undo hooks at once with its serial.
 * Savepoints nest, at most 8 open (SN_ERANGE); release and undo with
 * none open are SN_EINVAL. Each returns what sn_tx_query would.
 */
sn_err sn_tx_savepoint(sn_tx *tx);
sn_err sn_tx_savepoint_release(sn_tx *tx);
sn_err sn_tx_savepoint_undo(sn_tx *tx);

/*
 * Savepoints taken so far in tx, 0 before the first: the k-th taken has
 * serial k. Undoing the savepoint of serial s undoes everything queued
 * while sn_tx_savepoints_taken was s or more (for state kept beside the
 * transaction, such as events to append at its commit).
 */
unsigned sn_tx_savepoints_taken(const sn_tx *tx);

/* Runs fn whenever a savepoint of tx is undone, with its serial. At
 * most 2. */
sn_err sn_tx_on_undo(
    sn_tx *tx, void (*fn)(sn_tx *tx, unsigned serial, void *arg), void *arg);

/*
 * Closes the transaction's connection once it ends (committed or not)
 * and opens a new one in its place at once: for a transaction that sent
 * or read many megabytes, since libpq's buffers grow to the largest
 * statement sent and the largest result read and never shrink.
 */
void sn_tx_recycle(sn_tx *tx);

/* COMMIT once everything queued has its result. */
void sn_tx_commit(sn_tx *tx);

/* Rolls back; done gets err (SN_OK is turned into SN_ECLOSED). */
void sn_tx_rollback(sn_tx *tx, sn_err err);

/* True if the tx has failed and will be rolled back. */
bool sn_tx_failed(const sn_tx *tx);

/*
 * True if tx has sent no statement since its BEGIN and holds no hook
 * (sn_tx_on_commit, sn_tx_before_commit, sn_tx_on_end, sn_tx_on_undo):
 * committing it would change nothing. The bus rolls back such a batch
 * of events instead of moving its cursor in it (bus.c, IDLE_STORE_MS).
 */
bool sn_tx_untouched(const sn_tx *tx);

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

/* ---- Reading results into structs ------------------------------------
 *
 * The typed store boundary (STYLE.md): a store declares its row struct
 * and a table of its columns; sn_rows looks every column up by name once
 * per result (PQfnumber, as pg_dump does), checks its type, and fills one
 * struct per row. A handler never sees a PGresult.
 *
 *     typedef struct { const char *id; int64_t monthly_fen;
 *                      bool has_decided_on; sn_date decided_on; } case_row;
 *     static const sn_col case_cols[] = {
 *         SN_COL(case_row, id, SN_COL_TEXT),
 *         SN_COL(case_row, monthly_fen, SN_COL_I64),
 *         SN_COL_OPT(case_row, decided_on, SN_COL_DATE, has_decided_on),
 *     };
 *     sn_rows rows;
 *     if (sn_rows_open(&rows, res, case_cols, SN_NCOLS(case_cols))
 *         != SN_OK) ...;   // a missing or mistyped column, logged
 *     for (int i = 0; i < sn_rows_count(&rows); i++) {
 *         case_row c;
 *         if (sn_rows_read(&rows, i, &c) != SN_OK) ...;
 *     }
 *
 * Text and binary result formats are both read (PQfformat per column), so
 * a store may ask for binary results (sn_tx_query_bin) where bytes matter.
 * Strings and bytes are borrowed from the PGresult: valid while the query
 * callback runs, no longer.
 */
typedef enum sn_col_type {
	SN_COL_TEXT,  /* const char *: text, varchar, char, name, json,
	               * jsonb, uuid, date, timestamptz, numeric shown as
	               * text (any type read in text format but bytea) */
	SN_COL_CHARS, /* char[N] in the struct: the text copied; longer than
	               * N-1 bytes is SN_EPROTO */
	SN_COL_I64,   /* int64_t: int2, int4, int8 */
	SN_COL_I32,   /* int32_t: int2, int4 (int8 within range) */
	SN_COL_BOOL,  /* bool: bool */
	SN_COL_DATE,  /* sn_date: date, or text holding YYYY-MM-DD */
	SN_COL_MONTH, /* sn_month: text holding YYYY-MM, or a date (its
	               * month) */
	SN_COL_BYTES, /* sn_bytes: bytea (text "\x.." format is decoded into
	               * scratch memory owned by the sn_rows) */
	SN_COL_ENUM,  /* int: the text's index in the column's names table
	               * (SN_COL_ENUMOF); an unknown name is SN_EPROTO */
} sn_col_type;

/* Borrowed bytes of a bytea column. */
typedef struct sn_bytes {
	const uint8_t *data;
	size_t         len;
} sn_bytes;

typedef struct sn_col {
	const char *name; /* column name in the result */
	sn_col_type type;
	size_t      offset; /* of the value in the row struct */
	size_t      size;   /* of the value (SN_COL_CHARS: capacity) */
	/* Offset of a bool set true when the value is not NULL, or
	 * SN_COL_NOT_NULL: a NULL is then SN_EPROTO naming the column. */
	size_t             has_offset;
	const char *const *names; /* SN_COL_ENUM: NULL-ended; index 0 may
	                           * be "" for "unspecified" */
} sn_col;

/* SQL text: the text x (a parameter or a column) as a uuid when it is
 * spelt as uuid::text spells one (lowercase, hyphened), else NULL. Write
 * `id = SN_SQL_UUID_OF("$2")`, never `id::text = $2`: both find the same
 * row, but the cast of the column hides it from the column's index, and
 * each call read the whole table (intake's register of households grew
 * with the square of a district's run). The CASE keeps the cast from
 * failing on other text; the planner folds neither arm it drops. */
#define SN_SQL_UUID_OF(x)                                                     \
	"CASE WHEN " x                                                        \
	" ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"               \
	"[0-9a-f]{12}$' THEN (" x ")::uuid END"

#define SN_COL_NOT_NULL ((size_t) -1)
#define SN_NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* A column named like the struct member. */
#define SN_COL(T, member, type)                                               \
	{                                                                     \
#member, type, offsetof(T, member),                           \
		    sizeof(((T *) 0)->member), SN_COL_NOT_NULL, NULL          \
	}
/* A column whose name differs from the member's. */
#define SN_COL_AS(T, member, colname, type)                                   \
	{                                                                     \
		colname, type, offsetof(T, member),                           \
		    sizeof(((T *) 0)->member), SN_COL_NOT_NULL, NULL          \
	}
/* A nullable column: has_member (bool) tells whether it was NULL; on
 * NULL the value is zeroed (NULL for strings). */
#define SN_COL_OPT(T, member, type, has_member)                               \
	{                                                                     \
#member, type, offsetof(T, member),                           \
		    sizeof(((T *) 0)->member), offsetof(T, has_member), NULL  \
	}
/* An enum column read from its text name; names is NULL-ended and the
 * member an int-sized enum. */
#define SN_COL_ENUMOF(T, member, names_table)                                 \
	{                                                                     \
#member, SN_COL_ENUM, offsetof(T, member),                    \
		    sizeof(((T *) 0)->member), SN_COL_NOT_NULL, names_table   \
	}

#define SN_ROWS_MAXCOLS 64

typedef struct sn_rows {
	const PGresult *res;
	const sn_col   *cols;
	size_t          ncols;
	int             idx[SN_ROWS_MAXCOLS];
	int             nrows;
	void           *scratch; /* decoded text-format bytea, freed by
	                          * sn_rows_close */
} sn_rows;

/*
 * Looks every column of cols up by name in res and checks that its type
 * fits (SN_EPROTO, logged with the column's name, for a missing column
 * or one of the wrong type; SN_EINVAL for more than SN_ROWS_MAXCOLS).
 * Extra columns in res are ignored. rows borrows res and cols.
 */
sn_err sn_rows_open(
    sn_rows *rows, const PGresult *res, const sn_col *cols, size_t ncols);

/* Rows in the result (0 before a successful sn_rows_open). */
int sn_rows_count(const sn_rows *rows);

/*
 * Fills *out (a struct laid out as cols say) from row i. SN_EPROTO
 * (logged, naming the column) for a NULL in a NOT NULL column or a value
 * that does not parse; SN_ERANGE for an index out of range. Strings are
 * borrowed from the result.
 */
sn_err sn_rows_read(sn_rows *rows, int i, void *out);

/* Frees what sn_rows_read decoded. Safe to call twice, or unopened. */
void sn_rows_close(sn_rows *rows);

/*
 * The one-value case: the single row of res read as cols say. SN_ENOTFOUND
 * for no row, SN_EPROTO for more than one. For reads of one record.
 */
sn_err sn_rows_one(
    const PGresult *res, const sn_col *cols, size_t ncols, void *out);

/*
 * sn_rows_one for a record that may be absent: no row is SN_OK with
 * *found false (out untouched); one row fills out and sets *found.
 */
sn_err sn_rows_opt(const PGresult *res, const sn_col *cols, size_t ncols,
    void *out, bool *found);

/* The number of rows a command affected (UPDATE, DELETE, INSERT). */
int64_t sn_rows_affected(const PGresult *res);

/* ---- Arrays as parameters ---------------------------------------------
 *
 * A list travels to PostgreSQL as one parameter, cast in the SQL
 * ($1::text[], $2::bigint[], $3::bytea[]) and taken apart with unnest.
 *
 * Made with sn_pgarray_init, it is text in array-literal form
 * ('{"a","b"}', sn_pgarray_text): every element is quoted and escaped, so
 * any string is safe (commas included). Made with sn_pgarray_init_bin,
 * it is PostgreSQL's binary array (sn_pgarray_bin), sent with format 1:
 * the server copies the elements instead of parsing them, which for a
 * thousand events' bytes and ids is most of the parameters' cost (the
 * bus's numbering statement, issue 15). Its element type is fixed: the
 * cast in the SQL must name the same one.
 */
typedef struct sn_pgarray {
	char    *buf;
	size_t   len, cap;
	size_t   n;
	uint32_t elem; /* binary: the element type (SN_PG_*); 0: text */
	bool     hasnull;
	bool     failed; /* out of memory, or a value the type cannot hold:
	                  * sn_pgarray_text and sn_pgarray_bin return NULL */
} sn_pgarray;

/* Element types of binary arrays (PostgreSQL's type OIDs). */
enum {
	SN_PG_BYTEA = 17,
	SN_PG_INT8  = 20,
	SN_PG_INT4  = 23,
	SN_PG_TEXT  = 25,
	SN_PG_UUID  = 2950,
};

void sn_pgarray_init(sn_pgarray *a);
/* A binary array of elem (SN_PG_*). */
void sn_pgarray_init_bin(sn_pgarray *a, uint32_t elem);
/* Appends a string element (text arrays of either kind); NULL is SQL
 * NULL. */
void sn_pgarray_add(sn_pgarray *a, const char *s);
/* Appends a number (int8 or int4: one out of int4's range fails the
 * array). */
void sn_pgarray_add_i64(sn_pgarray *a, int64_t v);
/* Appends bytes as a bytea element ("\\x..." hex in text), or in a
 * binary array the element's bytes as they are (a uuid's 16). */
void sn_pgarray_add_bytes(sn_pgarray *a, const void *p, size_t len);
/* The literal, owned by a, valid until the next add or fini; NULL on
 * failure. For sn_pgarray_init's arrays. */
const char *sn_pgarray_text(sn_pgarray *a);
/* The binary array and its length in *len, owned by a, valid until the
 * next add or fini; NULL on failure. For sn_pgarray_init_bin's arrays. */
const char *sn_pgarray_bin(sn_pgarray *a, int *len);
/* A binary array's elements in the order added: *pos 0 for the first;
 * sets *p and *len (-1 for NULL) and says true, or false past the last.
 * What a sent array holds, read back without a copy of its own. */
bool sn_pgarray_next(
    const sn_pgarray *a, size_t *pos, const char **p, int32_t *len);
void sn_pgarray_fini(sn_pgarray *a);

#endif /* SN_DB_H */
