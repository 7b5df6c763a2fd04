/*
 * The reliable bus: outbox, relay, replay server, heartbeat, and the
 * followers' streams with their cursors.
 *
 * Ownership. The bus owns its sockets, timers and streams. A queued event
 * (struct qev) is one allocation holding its strings and data, owned by
 * its stream's queue until the batch that applied it commits. The relay's
 * frames are owned by the bus between its commit and their sending; the
 * frames of a transaction numbering its own events (struct numbered) by
 * that transaction's numbered state, freed when the transaction ends.
 */
#include "sn/bus.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "sn/bus/v1/bus.pb-c.h"
#include "sn/listen.h"
#include "sn/log.h"
#include "sn/tls.h"
#include "sn/uuid.h"

#define HEARTBEAT_TOPIC "bus.heartbeat"
#define REPLAY_MAX 1000u
/* What the reorder buffer of a stream may hold, in bytes of events. */
#define REORDER_MAX_BYTES (48u << 20)
#define REPLAY_MAX_BYTES (32u << 20)
#define REPLAY_TIMEOUT_MS 3000u
#define MSG_MAX (64u << 20)
#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 5000u
#define HALT_POLL_MS 1500u
/* The relay poll backs off to this many times relay_poll_ms (50 ms to
 * 3.2 s by default) while its passes find nothing: rows of this process
 * wake the relay anyway, so the poll is only for rows another process of
 * the same publisher committed and did not number (it died, or its pass
 * failed). Each poll is a transaction, in every publishing service. */
#define RELAY_POLL_MAX 64u
/* A batch of events no handler of this follower takes (they only move
 * the cursor) waits this many times apply_wait_ms to fill. */
#define IDLE_WAIT_X 20u
/* Such a batch is passed over in memory (stream_pass_over), without a
 * transaction: its cursor row is written with the next batch applied, or
 * by a transaction of its own once the row has been behind for this
 * long. A follower that takes one topic of a busy publisher wrote its
 * cursor about ten times a second for the others (an eighth of the
 * application path's transactions); now once a second at most. A crash
 * meanwhile costs a replay of those events, which change nothing. */
#define IDLE_STORE_MS 1000u
#define DISTRUST_MIN_MS 1000u
#define DISTRUST_MAX_MS 60000u
/* A stream whose SUB socket hears nothing (not even a heartbeat) for
 * SILENT_BEATS heartbeat periods, and at least SILENT_MIN_MS, is silent:
 * see streams_silence. */
#define SILENT_BEATS 5u
#define SILENT_MIN_MS 5000u
/* A redial whose close has not returned by then is stuck for good. */
#define REDIAL_STUCK_MS 10000u

extern const char sn_bus_sql_001[];
extern const char sn_bus_sql_002[];
extern const char sn_bus_sql_003[];
extern const char sn_bus_sql_004[];
extern const char sn_bus_sql_005[];
extern const char sn_bus_sql_006[];

const sn_migration sn_bus_migrations[] = {
	{ "bus/001_outbox", sn_bus_sql_001 },
	{ "bus/002_epoch", sn_bus_sql_002 },
	{ "bus/003_request_id", sn_bus_sql_003 },
	{ "bus/004_cheaper_append", sn_bus_sql_004 },
	{ "bus/005_no_primary_key", sn_bus_sql_005 },
	{ "bus/006_vacuum_by_count", sn_bus_sql_006 },
};
const size_t sn_bus_nmigrations
    = sizeof(sn_bus_migrations) / sizeof(sn_bus_migrations[0]);

/* The outbox's lock, held to the end of the transaction by whoever
 * numbers its rows (a relay pass, a transaction numbering its own events
 * at its commit, another process of the same publisher): advisory locks
 * are database-wide, hence the schema and publisher in its key. The
 * numbering statement comes after it, so that its snapshot sees every
 * numbering before. Waited for: the holders hold it for one statement
 * and a commit. Its scan of outbox_unassigned is to be a plain index
 * scan, set here for the rest of the transaction: the planner otherwise
 * takes a bitmap scan, which never marks the entries of rows already
 * numbered (dead in that partial index) as dead, so until vacuum every
 * pass visited the heap page of every row relayed since: 3,362 pages a
 * pass in approval at 3,000 applications. An index scan marks them the
 * first time and steps over them after. */
static const char SQL_LOCK[]
    = "SELECT true AS locked FROM (SELECT pg_advisory_xact_lock("
      "hashtext('sn.relay.' || current_schema() || '.' || $1))) l,"
      " set_config('enable_bitmapscan', 'off', true)";

/* Events numbered at their own transaction's commit (struct numbered):
 * under the outbox's lock (SQL_LOCK, an earlier statement of the same
 * transaction), the rows still unnumbered that this transaction sees
 * (its own sn_bus_append rows among them) are numbered first, as a relay
 * pass would, then the events are inserted with the sequences after
 * them: each row written once, where the relay inserts it unnumbered and
 * updates it. When more than $9 rows wait unnumbered, $9 of them are
 * numbered and the events inserted unnumbered behind them, for the relay
 * (a numbering transaction must not take the backlog of a large writer
 * on). A relay pass is this statement with no events. The rows are
 * updated by their place in the heap (ctid), read in the same statement
 * under the lock, which no other writer of unnumbered rows takes: by the
 * primary key each row cost four more buffers to find again (12,000 a
 * pass of 1,000 became 9,400). Returns every row numbered before the
 * events (own 0), and for the events, if numbered, one row: the first
 * one's sequence, their time, the epoch and their count (own), the rest
 * empty. The transaction has them (struct numbered's arrays): returned
 * row by row, they were put in a tuple store, appended, and sent back,
 * all under the lock (issue 15). $1..$7 the events' arrays, $8 the
 * publisher, $9 the most rows to number before them. */
static const char SQL_NUMBER[]
    = "WITH batch AS ("
      "  SELECT ctid AS tid, row_number() OVER (ORDER BY id) AS rn"
      "  FROM outbox WHERE seq IS NULL ORDER BY id LIMIT $9::int8 + 1),"
      " e AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
      "  $4::int[], $5::bytea[], $6::uuid[], $7::text[]) WITH ORDINALITY"
      "  AS e(topic, subject, actor, schema_version, data, event_id,"
      "  request_id, ord)),"
      " k AS (SELECT least(n, $9::int8) AS nb,"
      "  CASE WHEN n <= $9::int8 THEN (SELECT count(*) FROM e) ELSE 0 END"
      "  AS ne FROM (SELECT count(*) AS n FROM batch) c),"
      " bump AS ("
      "  INSERT INTO bus_publisher AS p (name, last_seq)"
      "  SELECT $8, k.nb + k.ne FROM k WHERE k.nb + k.ne > 0"
      "  ON CONFLICT (name) DO UPDATE SET last_seq = p.last_seq + "
      "EXCLUDED.last_seq"
      "  RETURNING p.last_seq - (SELECT nb + ne FROM k) AS base, p.epoch),"
      " up AS ("
      "  UPDATE outbox o SET seq = bump.base + batch.rn, published_at = now()"
      "  FROM batch, bump, k WHERE o.ctid = batch.tid AND batch.rn <= k.nb"
      "  RETURNING o.seq, o.event_id, o.topic, o.subject, o.actor,"
      "  o.schema_version, o.data, o.created_at, o.request_id),"
      " ins AS ("
      "  INSERT INTO outbox (topic, subject, actor, schema_version, data,"
      "  event_id, request_id, seq, published_at)"
      "  SELECT e.topic, e.subject, e.actor, e.schema_version, e.data,"
      "  e.event_id, e.request_id,"
      "  CASE WHEN k.ne > 0 THEN bump.base + k.nb + e.ord END,"
      "  CASE WHEN k.ne > 0 THEN now() END"
      "  FROM e CROSS JOIN k LEFT JOIN bump ON true ORDER BY e.ord)"
      " SELECT r.seq, r.event_id::text, r.topic, r.subject, r.actor,"
      " r.schema_version, r.data,"
      " (extract(epoch FROM r.created_at) * 1000000)::int8 AS created_us,"
      " (SELECT epoch::text FROM bump) AS epoch, r.request_id, 0::int8 AS own"
      " FROM up r"
      " UNION ALL SELECT bump.base + k.nb + 1, '', '', '', '', 0, '',"
      " (extract(epoch FROM now()) * 1000000)::int8, bump.epoch::text, '',"
      " k.ne FROM bump, k WHERE k.ne > 0";

static const char SQL_REPLAY[]
    = "SELECT seq, event_id::text, topic, subject, actor, schema_version,"
      " data, (extract(epoch FROM created_at) * 1000000)::int8 AS created_us,"
      " (SELECT epoch::text FROM bus_publisher WHERE name = $4) AS epoch,"
      " request_id, 0::int8 AS own"
      " FROM outbox WHERE seq >= $1 AND ($3 = '' OR starts_with(topic, $3))"
      " ORDER BY seq LIMIT $2";

/* The head, and the epoch: the publisher's row is made here if it has
 * none yet (its epoch with it), so that a heartbeat or a replay answer
 * never goes out without one. (The SELECT does not see the INSERT's row:
 * exactly one of the two gives it.) */
static const char SQL_HEAD[]
    = "WITH ins AS (INSERT INTO bus_publisher (name) VALUES ($1)"
      "  ON CONFLICT (name) DO NOTHING RETURNING last_seq, epoch)"
      " SELECT h.last_seq::int8 AS latest, h.epoch::text AS epoch,"
      " coalesce((SELECT min(seq) FROM outbox WHERE seq IS NOT NULL),"
      " 0)::int8 AS oldest FROM (SELECT last_seq, epoch FROM ins UNION ALL"
      " SELECT last_seq, epoch FROM bus_publisher WHERE name = $1) h";

/* The publisher's row, if it has none, in a statement of its own: a
 * row a concurrent relay inserts is then committed before SQL_HEAD's
 * snapshot (read committed), which therefore always finds one. */
static const char SQL_PUB_ENSURE[]
    = "INSERT INTO bus_publisher (name) VALUES ($1)"
      " ON CONFLICT (name) DO NOTHING";

/* The event's id is made here, not by the column's default:
 * gen_random_uuid() was a third of the statement's time. It is a version
 * 7 uuid (sn_uuid_v7: time first), so that a follower keeping events by
 * id (supervision's events.event_id, unique) takes them at the right
 * edge of its index, not on a random leaf. */
static const char SQL_APPEND[]
    = "INSERT INTO outbox (topic, subject, actor, schema_version, data,"
      " request_id, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/* A transaction's own events at its commit (struct deferred), each with
 * the request id it was appended under; in the arrays' order. */
static const char SQL_APPEND_EACH[]
    = "INSERT INTO outbox (topic, subject, actor, schema_version, data,"
      " event_id, request_id) SELECT * FROM unnest($1::text[],"
      " $2::text[], $3::text[], $4::int[], $5::bytea[], $6::uuid[],"
      " $7::text[])";

/* Many events in one statement (arrays as parameters, sn/db.h); the rows
 * keep the arrays' order, so their ids (and so their sequences) follow
 * it. */
static const char SQL_APPEND_MANY[]
    = "INSERT INTO outbox (topic, subject, actor, schema_version, data,"
      " event_id, request_id) SELECT e.*, $7 FROM unnest($1::text[],"
      " $2::text[], $3::text[], $4::int[], $5::bytea[], $6::uuid[]) AS e";

static const char SQL_CURSOR_GET[]
    = "SELECT last_seq, epoch::text AS epoch, halted_reason,"
      " to_char(halted_at AT TIME ZONE 'UTC',"
      " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS halted_at"
      " FROM bus_cursor WHERE publisher = $1 AND part = $2";

/* The epoch of the stream, adopted from its first replay answer and
 * kept: never replaced once set (sn-bus resync clears it). */
static const char SQL_EPOCH_ADOPT[]
    = "INSERT INTO bus_cursor AS c (publisher, part, last_seq, epoch)"
      " VALUES ($1, $2, $3, $4::uuid)"
      " ON CONFLICT (publisher, part) DO UPDATE SET epoch = EXCLUDED.epoch,"
      " updated_at = now() WHERE c.epoch IS NULL";

/* Records a halt, so that a restart does not silently resume. */
static const char SQL_HALT[]
    = "INSERT INTO bus_cursor AS c (publisher, part, last_seq, epoch,"
      " halted_reason, halted_at)"
      " VALUES ($1, $2, $3, NULLIF($4, '')::uuid, $5, now())"
      " ON CONFLICT (publisher, part) DO UPDATE"
      " SET halted_reason = EXCLUDED.halted_reason, halted_at = now(),"
      " updated_at = now() WHERE c.halted_reason IS NULL";

/* Moves the cursor from exactly where we think it is; no row back means
 * another instance moved it, and the batch must not commit. */
static const char SQL_CURSOR_SET[]
    = "INSERT INTO bus_cursor AS c (publisher, part, last_seq, epoch)"
      " SELECT $1, $2, $3, $5::uuid WHERE $4::int8 = 0"
      "   OR EXISTS (SELECT 1 FROM bus_cursor"
      "              WHERE publisher = $1 AND part = $2)"
      " ON CONFLICT (publisher, part) DO UPDATE"
      "   SET last_seq = EXCLUDED.last_seq, epoch = EXCLUDED.epoch,"
      "   updated_at = now()"
      "   WHERE c.last_seq = $4::int8 AND c.halted_reason IS NULL"
      "   AND (c.epoch IS NULL OR c.epoch = EXCLUDED.epoch)"
      " RETURNING 1";

/* The rows before the first one still kept by age, found by walking
 * outbox_seq from the oldest: bus/004 dropped the index on created_at,
 * which each relay pass wrote one entry of per row, and bus/005 the
 * primary key, which each append did. A row older than one before it
 * waits for that one. */
static const char SQL_RETENTION[]
    = "DELETE FROM outbox WHERE seq IS NOT NULL"
      " AND created_at < now() - make_interval(days => $1::int)"
      " AND seq < (SELECT last_seq FROM bus_publisher WHERE name = $2)"
      " AND seq < coalesce((SELECT seq FROM outbox WHERE seq IS NOT NULL"
      " AND created_at >= now() - make_interval(days => $1::int)"
      " ORDER BY seq LIMIT 1), 9223372036854775807)";

static const char SQL_BACKLOG[]
    = "SELECT count(*) AS n FROM outbox WHERE seq IS NULL";

/* The small reads' rows. */
typedef struct head_row {
	int64_t     latest, oldest;
	const char *epoch;
} head_row;
static const sn_col head_cols[] = {
	SN_COL(head_row, latest, SN_COL_I64),
	SN_COL(head_row, oldest, SN_COL_I64),
	SN_COL(head_row, epoch, SN_COL_TEXT),
};

typedef struct count_row {
	int64_t n;
} count_row;
static const sn_col count_cols[] = { SN_COL(count_row, n, SN_COL_I64) };

typedef struct cursor_row {
	int64_t     last_seq;
	const char *epoch, *halted_reason, *halted_at;
	bool        has_epoch, has_halt, has_at;
} cursor_row;
static const sn_col cursor_cols[] = {
	SN_COL(cursor_row, last_seq, SN_COL_I64),
	SN_COL_OPT(cursor_row, epoch, SN_COL_TEXT, has_epoch),
	SN_COL_OPT(cursor_row, halted_reason, SN_COL_TEXT, has_halt),
	SN_COL_OPT(cursor_row, halted_at, SN_COL_TEXT, has_at),
};

enum { SEEN_IDS = 64 };

struct qev {
	struct qev *next;
	size_t      size; /* bytes allocated */
	sn_event    ev;
	char        buf[]; /* the strings and data ev points into */
};

struct handler {
	char                             *topic;
	sn_bus_handler_fn                 fn;
	const ProtobufCMessageDescriptor *desc; /* set: mfn takes it decoded */
	sn_bus_msg_fn                     mfn;
	void                             *arg;
	struct handler                   *next;
};

/* A message decoded for a handler, kept until its batch's transaction
 * ends (sn_bus_msg_fn: the handler's queries may still read it). */
struct decoded {
	struct decoded   *next;
	ProtobufCMessage *msg;
};

/* Marks of the known head kept per stream: past it the newest mark grows
 * in place, so ages of events known after it read a little old. */
#define HEADMARKS 64

struct headmark {
	uint64_t seq, ms;
};

struct stream {
	sn_bus      *bus;
	char        *name;
	char        *pub_url;
	char        *replay_url;
	nng_socket   sub;
	nng_socket   req;
	sn_nngwatch *wsub;
	sn_nngwatch *wreq;
	uv_timer_t   timer;  /* apply retry */
	uv_timer_t   rtimer; /* replay timeout or retry */
	bool         loaded;
	bool         loading;
	bool         applying;
	bool         waited; /* the apply_wait_ms of the next batch is over */
	bool         store_armed; /* timer: the cursor row's write is due */
	bool         passing;     /* the batch is passed over (no tx) */
	bool         replay_inflight;
	bool         probe; /* ask once to learn the head */
	/* Every event up to committed is applied (or passed over: no
	 * handler takes it); stored is the cursor row's last_seq, as last
	 * read or written, behind committed only by events passed over,
	 * since stored_behind_ms (IDLE_STORE_MS). */
	uint64_t committed;
	uint64_t stored;
	uint64_t stored_behind_ms;
	uint64_t queued_to;
	/* queued_to when the replay request in flight was sent: every
	 * event up to it was committed by the publisher before that request
	 * reached it, so an honest answer's head is never below it. */
	uint64_t    asked_at;
	uint64_t    known_head;
	struct qev *qhead, *qtail;
	size_t      qlen;
	/* The reorder buffer: live events that came after a gap, held while
	 * replay fills it. held[seq % reorder_max] for queued_to + 1 < seq
	 * <= queued_to + reorder_max; allocated at the first gap. */
	struct qev **held;
	size_t       nheld;
	size_t       held_bytes;
	uint32_t     backoff_ms;
	/* the batch being applied */
	sn_tx      *tx;
	struct qev *cur;
	size_t      batch_n;
	uint64_t    batch_last;
	bool        lost_logged;
	/* Authenticity (design section 2 item 7). epoch is the stream's
	 * ("" until the first replay answer gives it); a halted stream
	 * applies and asks for nothing until an operator clears the halt
	 * in its cursor row, which is re-read every HALT_POLL_MS. */
	char     epoch[40];
	bool     halted;
	bool     halt_recorded;
	bool     ever_loaded; /* its cursor row was read once */
	char     halt_reason[256];
	uint64_t stop_before; /* an event that could not be applied */
	char     stop_reason[256];
	bool     undecodable; /* set by apply_decoded */
	/* Claims of the stream's head (heartbeats, live sequences) not yet
	 * confirmed by replay; distrusted for a growing time after replay
	 * contradicted one. */
	uint64_t claim, claim_sent;
	bool     behind, behind_sent;
	bool     suspect, suspect_sent; /* a heartbeat of another epoch */
	uint64_t distrust_until;
	uint32_t distrust_ms;
	/* What operators watch (stream_watch): when the cursor last moved,
	 * and marks of when the known head (the larger of known_head and
	 * queued_to) grew: marks[i].seq first known at marks[i].ms, the
	 * oldest first, those at or below committed dropped. The oldest
	 * unapplied event, committed + 1, was first known at marks[0].ms. */
	uint64_t        applied_ms;
	struct headmark marks[HEADMARKS];
	size_t          nmarks;
	sn_gauge       *g_lag, *g_age;
	/* The ids of the last SEEN_IDS events queued, by sequence: an event
	 * that comes again with another id under a number already taken
	 * (a publisher restored from a backup that kept its epoch and wrote
	 * past our cursor) halts the stream instead of being skipped. */
	struct {
		uint64_t seq;
		char     id[40];
	} seen[SEEN_IDS];
	/* What still refers to the stream: its two timers until closed, and
	 * its cursor read while in flight. Each holds one of the bus's
	 * open_handles too; the last one frees the stream (stream_unref). */
	int             open;
	struct handler *handlers;
	struct decoded *decoded; /* of the batch being applied */
	/* Silence (streams_silence): the dialers, when each socket last
	 * showed the publisher there (a message on SUB, an answer on REQ),
	 * since when a replay request has gone unanswered (0: none waits),
	 * and when each socket was last dialed. */
	nng_dialer sub_dialer, req_dialer;
	uint64_t   sub_heard_ms, answer_ms, req_waiting_ms;
	uint64_t   sub_dialed_ms, req_dialed_ms;
	bool       silent; /* logged: the SUB socket is silent */
	bool       deaf;   /* failpoint sub.deaf, until a redial */
	/* The sub watch paused while the events held reach the byte budget
	 * (hold_over): what comes waits in its inbox, read again once an
	 * apply makes room (inbox_resume). */
	bool           inbox_paused;
	bool           stuck;     /* a redial never finished: NNG is stuck */
	struct redial *redial[2]; /* in flight: [0] SUB, [1] REQ */
	sn_counter    *c_consumed, *c_replayed, *c_skipped, *c_gaps;
	sn_counter    *c_unheld; /* live events past the reorder buffer */
	sn_counter    *c_alarms, *c_unconfirmed, *c_foreign_hb;
	sn_counter    *c_redials;
	sn_gauge      *g_halted, *g_stuck;
	/* apply_serial: asked for the lane while another stream held it;
	 * yield: its batch just ended, so a stream that asked goes first. */
	bool           lane_wanted, yield;
	struct stream *next;
};

struct frame {
	uint64_t seq;
	nng_msg *msg;
};

/* Numbered events as PUB messages, between their commit and sending. */
struct frameset {
	struct frame *v;
	size_t        n, cap;
};

struct sn_bus {
	sn_loop      *loop;
	sn_db        *db;
	sn_metrics   *metrics;
	sn_bus_config cfg;
	char         *publisher;
	char          part[24];
	bool          publishes;
	nng_socket    pub;
	atomic_int    followers; /* PUB pipes: pub_pipe_event */
	nng_socket    rep;
	sn_listen    *lpub, *lrep; /* keep pub and rep accepting */
	sn_nngwatch  *wrep;
	uv_timer_t    heartbeat;
	uv_timer_t    relay_timer;
	uv_timer_t    relay_delay; /* relay_wait_ms after a wake */
	uv_timer_t    retention;
	int           open_handles;
	bool          closing;
	bool          draining;
	void (*drain_done)(void *);
	void *drain_arg;
	/* relay */
	bool            relay_running;
	bool            relay_again;
	uint64_t        published; /* highest sequence assigned */
	bool            head_loaded;
	struct frameset frames; /* the relay pass's */
	/* Transactions numbering their own events at commit (struct
	 * numbered), in flight. */
	struct numbered *numbering;
	/* Transactions whose events wait for their commit (struct
	 * deferred), in flight. */
	struct deferred *deferring;
	uint32_t         relay_backoff_ms;
	uint64_t         relay_not_before;
	/* The poll: every poll_ms after the last pass, doubling (up to
	 * RELAY_POLL_MAX times relay_poll_ms) while passes find nothing,
	 * back to relay_poll_ms when a poll (not a pass this process's own
	 * commit woke) finds rows. */
	uint32_t poll_ms;
	uint64_t poll_at;
	bool     poll_due;    /* the poll timer asked for the next pass */
	bool     pass_polled; /* the running pass is a poll */
	/* replay server */
	nng_msg                    *rep_req;
	Sn__Bus__V1__ReplayRequest *rreq;
	uint64_t                    rep_latest, rep_oldest;
	char     epoch[40]; /* this publisher's, once its head is loaded */
	uint32_t hb_ticks;
	struct stream *streams;
	unsigned       applying; /* streams with an apply transaction */
	sn_counter    *c_published, *c_malformed, *c_replay_served;
	sn_counter    *c_replay_requests;
	sn_counter    *c_replay_unseen; /* found by rep_backstop alone */
	uint64_t       rep_reads;       /* requests read from rep */
	bool           rep_unwatched;   /* failpoint replay.unwatched */
	sn_gauge      *g_backlog;
	/* The bytes of events held over the streams, queued and in reorder
	 * buffers (qev sizes; bounded by cfg.queue_bytes), and the most
	 * held at once. */
	size_t queued_bytes, held_bytes, held_max;
	/* The live messages received, on NNG's threads, while the loop was
	 * busy and not yet read (the streams' buffered watches,
	 * sn_nngwatch_open_buffered), bounded by cfg.queue_bytes too; the
	 * most held at once and those dropped, as metrics (bus_render). */
	sn_inbox_budget inbox;
	sn_gauge       *g_held_max, *g_inbox_max;
	sn_counter     *c_inbox_dropped;
	uint64_t        inbox_dropped_told;
	bool            render_hooked; /* bus_render is registered */
};

static void stream_maybe_apply(struct stream *st);
static void stream_maybe_replay(struct stream *st);
static void streams_silence(sn_bus *bus);
static void relay_kick(sn_bus *bus);
static void drain_check(sn_bus *bus);
static bool failpoint(const char *name);

/* ---- helpers ------------------------------------------------------------ */

static uint32_t
hash32(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char) *s;
		h *= 16777619u;
	}
	return h;
}

static void
format_time(int64_t us, char out[40])
{
	time_t    secs = (time_t) (us / 1000000);
	long      frac = (long) (us % 1000000);
	struct tm tm;
	if (frac < 0) {
		frac += 1000000;
		secs -= 1;
	}
	gmtime_r(&secs, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%06ldZ", frac % 1000000);
}

static void
handle_closed(uv_handle_t *h)
{
	sn_bus *bus = h->data;
	if (--bus->open_handles == 0)
		free(bus);
}

/* A redial in flight (stream_redial): closing a dialer waits for NNG's
 * cleanup thread, which nng 1.5.2 can leave stuck for good (nng #1813),
 * so the close and the new dial run on a thread of their own and the loop
 * only reads the outcome. Freed by the last of the thread and the stream. */
struct redial {
	atomic_int  refs;
	atomic_bool done;
	nng_socket  sock;
	nng_dialer  old, d;
	int         rv;
	char       *url, *peer;
	uint64_t    started_ms;
};

static void
redial_unref(struct redial *r)
{
	if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
		free(r->url);
		free(r->peer);
		free(r);
	}
}

static void
stream_unref(struct stream *st)
{
	sn_bus *bus = st->bus;
	if (--st->open == 0) {
		redial_unref(st->redial[0]);
		redial_unref(st->redial[1]);
		free(st->name);
		free(st->pub_url);
		free(st->replay_url);
		free(st);
	}
	if (--bus->open_handles == 0)
		free(bus);
}

static void
stream_timer_closed(uv_handle_t *h)
{
	stream_unref(h->data);
}

/* A row of SQL_NUMBER or SQL_REPLAY (binary results). */
typedef struct outbox_row {
	int64_t     seq;
	const char *event_id, *topic, *subject, *actor;
	int32_t     schema_version;
	sn_bytes    data;
	int64_t     created_us;
	const char *epoch;
	const char *request_id;
	int64_t     own; /* SQL_NUMBER's row for the events: their count */
} outbox_row;

static const sn_col outbox_cols[] = {
	SN_COL(outbox_row, seq, SN_COL_I64),
	SN_COL(outbox_row, event_id, SN_COL_TEXT),
	SN_COL(outbox_row, topic, SN_COL_TEXT),
	SN_COL(outbox_row, subject, SN_COL_TEXT),
	SN_COL(outbox_row, actor, SN_COL_TEXT),
	SN_COL(outbox_row, schema_version, SN_COL_I32),
	SN_COL(outbox_row, data, SN_COL_BYTES),
	SN_COL(outbox_row, created_us, SN_COL_I64),
	SN_COL(outbox_row, epoch, SN_COL_TEXT),
	SN_COL(outbox_row, request_id, SN_COL_TEXT),
	SN_COL(outbox_row, own, SN_COL_I64),
};

/* Fills an Envelope from r (a row of SQL_NUMBER or SQL_REPLAY). Strings
 * point into the result; valid while it is. */
static void
row_envelope(const outbox_row *r, const char *source,
    Sn__Bus__V1__Envelope *env, char timebuf[40])
{
	sn__bus__v1__envelope__init(env);
	env->source         = (char *) source;
	env->sequence       = (uint64_t) r->seq;
	env->id             = (char *) r->event_id;
	env->type           = (char *) r->topic;
	env->subject        = (char *) r->subject;
	env->actor          = (char *) r->actor;
	env->schema_version = (uint32_t) r->schema_version;
	env->data.data      = (uint8_t *) r->data.data;
	env->data.len       = r->data.len;
	env->time_unix_us   = r->created_us;
	env->epoch          = (char *) r->epoch;
	env->request_id     = (char *) r->request_id;
	format_time(env->time_unix_us, timebuf);
	env->time = timebuf;
}

/* "<topic>\0<Envelope>" as an NNG message. */
static nng_msg *
frame_new(const char *topic, const ProtobufCMessage *m)
{
	size_t   tlen = strlen(topic) + 1;
	size_t   plen = protobuf_c_message_get_packed_size(m);
	nng_msg *msg;
	if (nng_msg_alloc(&msg, tlen + plen) != 0)
		return NULL;
	uint8_t *body = nng_msg_body(msg);
	memcpy(body, topic, tlen);
	protobuf_c_message_pack(m, body + tlen);
	return msg;
}

/* Gives the PUB socket a copy of frame (ours, left to the caller) and
 * returns nng_sendmsg's result. Every message PUB is given is allocated
 * here and nowhere else, and is NNG's once this returns (or already
 * freed): LeakSanitizer may be told about this function and about no
 * allocation of ours (tests/support/lsan.supp).
 *
 * That is because nng 1.5.2 (Debian 12's) loses a message given to a
 * pipe that is closing: pub0_pipe_close closes the pipe's send aio before
 * it takes the socket's lock and leaves the pipe list, so a send in that
 * window reaches ipc_pipe_send (or tcptran_pipe_send) on a stopped aio,
 * whose nni_aio_begin fails and returns without freeing it (nng issue
 * #1713, fixed in 1.6.0 by 759a2e9d). One message per subscriber
 * disconnect that races a send; nothing in our code can close that
 * window (NNG runs the pipe close on its own threads, before any pipe
 * event). */
__attribute__((noinline)) static int
bus_pub_handoff(nng_socket pub, const nng_msg *frame)
{
	nng_msg *copy;
	int      rv = nng_msg_dup(&copy, frame);
	if (rv != 0)
		return rv;
	rv = nng_sendmsg(pub, copy, NNG_FLAG_NONBLOCK);
	if (rv != 0)
		nng_msg_free(copy);
	return rv;
}

/* ---- publishing: append and relay --------------------------------------- */

static void
on_relay_delay(uv_timer_t *t)
{
	relay_kick(t->data);
}

/* After a commit that appended: a pass, relay_wait_ms later so that the
 * commits meanwhile are numbered and sent in the same pass. */
static void
relay_wake(void *arg)
{
	sn_bus *bus = arg;
	if (bus->cfg.relay_wait_ms == 0 || bus->draining || bus->closing)
		relay_kick(bus);
	else if (!uv_is_active((uv_handle_t *) &bus->relay_delay))
		uv_timer_start(&bus->relay_delay, on_relay_delay,
		    bus->cfg.relay_wait_ms, 0);
}

static void
frameset_clear(struct frameset *f)
{
	for (size_t i = 0; i < f->n; i++)
		nng_msg_free(f->v[i].msg);
	f->n = 0;
}

static void
frameset_free(struct frameset *f)
{
	frameset_clear(f);
	free(f->v);
	f->v   = NULL;
	f->cap = 0;
}

static int
cmp_frame(const void *a, const void *b)
{
	uint64_t x = ((const struct frame *) a)->seq;
	uint64_t y = ((const struct frame *) b)->seq;
	return x < y ? -1 : x > y;
}

/* Room in f for n more frames. */
static sn_err
frameset_room(struct frameset *f, size_t n)
{
	if (f->n + n <= f->cap)
		return SN_OK;
	struct frame *nf = realloc(f->v, (f->n + n) * sizeof(*nf));
	if (nf == NULL)
		return SN_ENOMEM;
	f->v   = nf;
	f->cap = f->n + n;
	return SN_OK;
}

/* env as the PUB message of its sequence, added to f. */
static sn_err
frameset_add(struct frameset *f, Sn__Bus__V1__Envelope *env)
{
	sn_err err = frameset_room(f, 1);
	if (err != SN_OK)
		return err;
	nng_msg *msg = frame_new(env->type, &env->base);
	if (msg == NULL)
		return SN_ENOMEM;
	f->v[f->n].seq = env->sequence;
	f->v[f->n].msg = msg;
	f->n++;
	return SN_OK;
}

/* The events of the arrays a (events_arrays', as sent) as PUB messages
 * added to f, numbered as r (SQL_NUMBER's row for them) says. */
static sn_err
frameset_own(
    sn_bus *bus, struct frameset *f, const sn_pgarray *a, const outbox_row *r)
{
	size_t pos[7] = { 0 };
	char  *buf    = NULL;
	size_t cap    = 0;
	if ((size_t) r->own != a[0].n)
		return SN_EPROTO;
	sn_err err = frameset_room(f, (size_t) r->own);
	for (int64_t i = 0; err == SN_OK && i < r->own; i++) {
		const char *p[7];
		int32_t     len[7];
		size_t      need = 4;
		for (int k = 0; k < 7 && err == SN_OK; k++)
			if (!sn_pgarray_next(&a[k], &pos[k], &p[k], &len[k])
			    || len[k] < 0)
				err = SN_EPROTO;
		if (err != SN_OK || len[3] != 4 || len[5] != 16) {
			err = SN_EPROTO;
			break;
		}
		/* The four strings, each with its NUL, in buf. */
		static const int str[4] = { 0, 1, 2, 6 };
		for (int k = 0; k < 4; k++)
			need += (size_t) len[str[k]];
		if (need > cap) {
			char *nb = realloc(buf, need);
			if (nb == NULL) {
				err = SN_ENOMEM;
				break;
			}
			buf = nb;
			cap = need;
		}
		char *s[4], *at = buf;
		for (int k = 0; k < 4; k++) {
			s[k] = at;
			memcpy(at, p[str[k]], (size_t) len[str[k]]);
			at += len[str[k]];
			*at++ = '\0';
		}
		const uint8_t        *v = (const uint8_t *) p[3];
		sn_uuid               id;
		char                  idtext[SN_UUID_STRLEN], tb[40];
		Sn__Bus__V1__Envelope env;
		memcpy(id.b, p[5], sizeof(id.b));
		outbox_row e = { .seq   = r->seq + i,
			.event_id       = sn_uuid_format(&id, idtext),
			.topic          = s[0],
			.subject        = s[1],
			.actor          = s[2],
			.schema_version = (int32_t) ((uint32_t) v[0] << 24
			    | (uint32_t) v[1] << 16 | (uint32_t) v[2] << 8
			    | v[3]),
			.data = { (const uint8_t *) p[4], (size_t) len[4] },
			.created_us = r->created_us,
			.epoch      = r->epoch,
			.request_id = s[3] };
		row_envelope(&e, bus->publisher, &env, tb);
		err = frameset_add(f, &env);
	}
	free(buf);
	return err;
}

/* Adds the rows of res (SQL_NUMBER) to f as PUB messages of bus's
 * stream: those numbered before the events, and the events of the
 * arrays own (NULL for a relay pass, which has none) if numbered, their
 * count in *nown. */
static sn_err
frameset_read(sn_bus *bus, struct frameset *f, PGresult *res,
    const sn_pgarray *own, size_t *nown)
{
	sn_rows rows;
	*nown = 0;
	if (sn_rows_open(&rows, res, outbox_cols, SN_NCOLS(outbox_cols))
	    != SN_OK)
		return SN_EPROTO;
	size_t n   = (size_t) sn_rows_count(&rows);
	sn_err err = frameset_room(f, n);
	for (size_t i = 0; i < n && err == SN_OK; i++) {
		Sn__Bus__V1__Envelope env;
		char                  tb[40];
		outbox_row            r;
		if ((err = sn_rows_read(&rows, (int) i, &r)) != SN_OK)
			break;
		if (r.own > 0 && own != NULL) {
			err = frameset_own(bus, f, own, &r);
			*nown += (size_t) r.own;
		} else if (r.own > 0)
			err = SN_EPROTO;
		else {
			row_envelope(&r, bus->publisher, &env, tb);
			err = frameset_add(f, &env);
		}
	}
	return err;
}

/* Gives f's messages to PUB in sequence order (committed: PUB never
 * blocks, and a slow subscriber that loses one gets it back by replay)
 * and empties f. */
static void
frameset_send(sn_bus *bus, struct frameset *f)
{
	size_t n = f->n;
	if (n > 1)
		qsort(f->v, n, sizeof(*f->v), cmp_frame);
	for (size_t i = 0; i < n; i++) {
		(void) bus_pub_handoff(bus->pub, f->v[i].msg);
		nng_msg_free(f->v[i].msg);
		if (f->v[i].seq > bus->published)
			bus->published = f->v[i].seq;
	}
	f->n = 0;
	if (n > 0)
		sn_counter_add(bus->c_published, n);
}

/* The events' columns as binary arrays a[0..5] (and each one's request
 * id in a[6] when na is 7), in SQL_APPEND_MANY's, SQL_APPEND_EACH's and
 * SQL_NUMBER's order and of their types: made here, filled by
 * events_arrays and deferred_flush. Binary, the numbering statement's
 * parameters are copied by the server rather than parsed (issue 15). */
static void
events_arrays_init(sn_pgarray *a, int na)
{
	static const uint32_t elem[7] = { SN_PG_TEXT, SN_PG_TEXT, SN_PG_TEXT,
		SN_PG_INT4, SN_PG_BYTEA, SN_PG_UUID, SN_PG_TEXT };
	for (int k = 0; k < na; k++)
		sn_pgarray_init_bin(&a[k], elem[k]);
}

static void
events_arrays_fini(sn_pgarray *a, int na)
{
	for (int k = 0; k < na; k++)
		sn_pgarray_fini(&a[k]);
}

/* v[k], len[k]: the parameters (format 1) of the arrays a[0..na-1]. */
static sn_err
arrays_params(sn_pgarray *a, int na, const char **v, int *len)
{
	for (int k = 0; k < na; k++)
		if ((v[k] = sn_pgarray_bin(&a[k], &len[k])) == NULL)
			return SN_ENOMEM;
	return SN_OK;
}

/* ev with its id and request id (rid, when na is 7), added to the
 * arrays a (events_arrays_init's na). */
static void
event_add(sn_pgarray *a, int na, const sn_event_out *ev, const sn_uuid *id,
    const char *rid)
{
	sn_pgarray_add(&a[0], ev->type);
	sn_pgarray_add(&a[1], ev->subject ? ev->subject : "");
	sn_pgarray_add(&a[2], ev->actor ? ev->actor : "system");
	sn_pgarray_add_i64(&a[3], ev->schema_version);
	sn_pgarray_add_bytes(&a[4], ev->data, ev->len);
	sn_pgarray_add_bytes(&a[5], id->b, sizeof(id->b));
	if (na > 6)
		sn_pgarray_add(&a[6], rid);
}

/* The events evs, each with a new id and the request id in hand, added
 * to the arrays a (events_arrays_init's na). */
static sn_err
events_arrays(sn_pgarray *a, int na, const sn_event_out *evs, size_t n)
{
	sn_err err = SN_OK;
	for (size_t i = 0; i < n && err == SN_OK; i++) {
		const sn_event_out *ev = &evs[i];
		sn_uuid             id;
		if (ev->type == NULL || ev->type[0] == '\0')
			err = SN_EINVAL;
		else if (ev->len > MSG_MAX / 2)
			err = SN_ERANGE;
		else if ((err = sn_uuid_v7(&id)) == SN_OK)
			event_add(a, na, ev, &id, sn_log_request_id_text());
	}
	return err;
}

/*
 * A transaction's events kept for its commit in arrays (several
 * sn_bus_append and sn_bus_append_batch calls add to them), then the PUB
 * messages of every row the commit numbered, sent once it committed.
 * Made by sn_bus_append_batch, it numbers them at the commit; made by
 * sn_bus_append (collecting: the transaction's first SENT_AT_ONCE events
 * are inserted at once, counted in before), it numbers them there if the
 * transaction appended number_at_append or more in all
 * (numbers_at_commit), else inserts them unnumbered in one statement for
 * the relay. A collecting transaction that has taken a savepoint collects
 * no more (closed): its later events are deferred (struct deferred), so
 * that undoing the savepoint drops those, and what it collected, all
 * before the savepoint, goes in unnumbered ahead of them
 * (collected_flush), never inside a savepoint that could be undone.
 * Freed when the transaction ends, committed or not.
 */
struct numbered {
	struct numbered *next;
	sn_bus          *bus;
	sn_tx           *tx;
	sn_pgarray       a[7];
	size_t           n;      /* events in a */
	size_t           own;    /* of them numbered (SQL_NUMBER) */
	size_t           before; /* rows tx inserted before or beside a */
	bool             collecting, closed;
	struct frameset  frames;
};

/* The events a transaction appends one by one that are queued at once,
 * before it collects the rest (struct numbered): a request's few. Sent in
 * one statement of arrays, 3 events a transaction ran 9 % slower than as
 * pipelined one-row INSERTs (sn-busbench --tx-events 3, five alternated
 * pairs; 10 and 30 a transaction about even). */
#define SENT_AT_ONCE 8u

/* Whether a transaction that appended total events, n of them kept for
 * its commit, numbers them there (sn_bus_config.number_at_append). */
static bool
numbers_at_commit(const sn_bus *bus, size_t total, size_t n)
{
	return bus->cfg.number_at_append > 0
	    && total >= bus->cfg.number_at_append && n <= bus->cfg.relay_batch;
}

/* Queues the outbox's lock and SQL_NUMBER with the events' arrays a
 * (events_arrays' seven; all empty for a relay pass), cb getting its
 * rows: one round trip, the lock's result unread (it waits or fails).
 * With wait false the transaction does not wait for cb before its COMMIT
 * (sn_tx_query_bin_unwaited), so that the lock is held for the statement
 * and the commit alone. */
static sn_err
number_queue(sn_bus *bus, sn_tx *tx, sn_pgarray a[7], bool wait,
    sn_query_fn cb, void *arg)
{
	static const int fmt[9] = { 1, 1, 1, 1, 1, 1, 1, 0, 0 };
	const char      *lv[1]  = { bus->publisher };
	const char      *v[9];
	int              len[9] = { 0 };
	char             lim[16];
	snprintf(lim, sizeof(lim), "%u", bus->cfg.relay_batch);
	v[7]       = bus->publisher;
	v[8]       = lim;
	sn_err err = arrays_params(a, 7, v, len);
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_LOCK, 1, lv, NULL, NULL);
	if (err == SN_OK && wait)
		err = sn_tx_query_bin(
		    tx, SQL_NUMBER, 9, v, len, fmt, 1, cb, arg);
	else if (err == SN_OK)
		err = sn_tx_query_bin_unwaited(
		    tx, SQL_NUMBER, 9, v, len, fmt, 1, cb, arg);
	return err;
}

/* The rows a transaction numbered at its commit, read while the COMMIT
 * is on its way (number_queue without waiting): a failure here cannot
 * undo it, so the rows' frames are dropped and the followers get them
 * by replay, as after a SIGKILL between the commit and the sending
 * (failpoint number.after_commit); the relay is woken for the rest. */
static void
numbered_rows(sn_tx *tx, PGresult *res, void *arg)
{
	struct numbered *nb = arg;
	(void) tx;
	if (nb->bus == NULL) /* closed meanwhile: nothing is sent */
		return;
	sn_err err = frameset_read(nb->bus, &nb->frames, res, nb->a, &nb->own);
	if (err != SN_OK) {
		sn_log(SN_LOG_WARN,
		    "events numbered at commit not sent; followers replay "
		    "them",
		    "error", sn_strerror(err), NULL);
		frameset_clear(&nb->frames);
		nb->own = 0;
	}
}

/* The events of the arrays a, inserted unnumbered in one statement
 * (SQL_APPEND_EACH), queued on tx. */
static sn_err
append_each(sn_tx *tx, sn_pgarray a[7])
{
	static const int fmt[7] = { 1, 1, 1, 1, 1, 1, 1 };
	const char      *v[7];
	int              len[7];
	sn_err           err = arrays_params(a, 7, v, len);
	if (err == SN_OK)
		err = sn_tx_query_bin(
		    tx, SQL_APPEND_EACH, 7, v, len, fmt, 0, NULL, NULL);
	return err;
}

/* The transaction's last statements: the outbox's lock, then the rows
 * it sees unnumbered and its own events, numbered (SQL_NUMBER); or, for
 * a collecting transaction that appended fewer than number_at_append
 * events (or whose bus closed meanwhile), its events inserted unnumbered
 * (SQL_APPEND_EACH), for the relay (numbered_end wakes it). */
static void
numbered_commit(sn_tx *tx, void *arg)
{
	struct numbered *nb  = arg;
	sn_bus          *bus = nb->bus;
	if (nb->n == 0) /* collected nothing, or inserted it already */
		return;
	if (bus == NULL && !nb->collecting) { /* closed meanwhile */
		sn_tx_rollback(tx, SN_ECLOSED);
		return;
	}
	sn_err err;
	if (bus != NULL && !nb->closed
	    && (!nb->collecting
	        || numbers_at_commit(bus, nb->before + nb->n, nb->n)))
		err = number_queue(bus, tx, nb->a, false, numbered_rows, nb);
	else
		err = append_each(tx, nb->a);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

/* What a closed collecting transaction collected (nb; NULL: nothing),
 * inserted now, unnumbered and in order: before the events it deferred
 * since (deferred_flush) or a batch it appends (sn_bus_append_batch). */
static sn_err
collected_flush(struct numbered *nb)
{
	if (nb == NULL || nb->n == 0)
		return SN_OK;
	sn_err err = append_each(nb->tx, nb->a);
	events_arrays_fini(nb->a, 7);
	events_arrays_init(nb->a, 7);
	nb->before += nb->n;
	nb->n = 0;
	if (err == SN_OK)
		err = sn_tx_on_commit(nb->tx, relay_wake, nb->bus);
	return err;
}

static void
numbered_free(struct numbered *nb)
{
	frameset_free(&nb->frames);
	events_arrays_fini(nb->a, 7);
	free(nb);
}

static void
numbered_end(sn_err err, void *arg)
{
	struct numbered *nb  = arg;
	sn_bus          *bus = nb->bus;
	if (bus == NULL) { /* closed meanwhile (sn_bus_close) */
		numbered_free(nb);
		return;
	}
	struct numbered **pp = &bus->numbering;
	while (*pp != nb)
		pp = &(*pp)->next;
	*pp = nb->next;
	if (err == SN_OK && nb->frames.n > 0) {
		if (failpoint("number.after_commit")) {
			sn_log(SN_LOG_WARN,
			    "failpoint number.after_commit: SIGKILL", NULL);
			raise(SIGKILL);
		}
		if (!bus->closing)
			frameset_send(bus, &nb->frames);
	}
	/* Left unnumbered behind a backlog: the relay's. */
	if (err == SN_OK && nb->own < nb->n)
		relay_wake(bus);
	numbered_free(nb);
	drain_check(bus);
}

/* tx's numbered state, if it keeps its events for its commit. */
static struct numbered *
numbered_find(sn_bus *bus, sn_tx *tx)
{
	for (struct numbered *nb = bus->numbering; nb != NULL; nb = nb->next)
		if (nb->tx == tx && !nb->closed)
			return nb;
	return NULL;
}

/* Makes tx's numbered state, with its hooks. */
static struct numbered *
numbered_of(sn_bus *bus, sn_tx *tx, bool collecting)
{
	struct numbered *nb = calloc(1, sizeof(*nb));
	if (nb == NULL)
		return NULL;
	nb->bus        = bus;
	nb->tx         = tx;
	nb->collecting = collecting;
	events_arrays_init(nb->a, 7);
	if (sn_tx_on_end(tx, numbered_end, nb) != SN_OK) {
		free(nb);
		return NULL;
	}
	nb->next       = bus->numbering;
	bus->numbering = nb;
	/* Failing, the caller rolls back, and numbered_end frees it. */
	if (sn_tx_before_commit(tx, numbered_commit, nb) != SN_OK)
		return NULL;
	return nb;
}

/* The binary one-row INSERT of ev with its request id and event id,
 * queued on tx. */
static sn_err
insert_one(
    sn_tx *tx, const sn_event_out *ev, const char *rid, const sn_uuid *id)
{
	char ver[16];
	snprintf(ver, sizeof(ver), "%u", ev->schema_version);
	const char *values[7]  = { ev->type, ev->subject ? ev->subject : "",
                ev->actor ? ev->actor : "system", ver,
                ev->data != NULL ? (const char *) ev->data : "", rid,
		 (const char *) id->b };
	int         lengths[7] = { 0, 0, 0, 0, (int) ev->len, 0, 16 };
	int         formats[7] = { 0, 0, 0, 0, 1, 0, 1 };
	return sn_tx_query_bin(
	    tx, SQL_APPEND, 7, values, lengths, formats, 0, NULL, NULL);
}

/*
 * A transaction's events, kept here until it commits and then inserted
 * in one statement (sn_bus_append): a grant's three events were three
 * statements, in a group commit of ten grants thirty (issue 15). Each
 * event remembers the savepoints its transaction had taken when it was
 * appended, so that undoing a savepoint drops the events appended since
 * (a refused member of a group commit appends nothing).
 */
struct deferred_ev {
	const char *type, *subject, *actor; /* in the same block */
	uint8_t    *data;
	size_t      len;
	uint32_t    schema_version;
	unsigned    serial; /* sn_tx_savepoints_taken when appended */
	sn_uuid     id;
	char        rid[SN_LOG_REQUEST_ID_MAX + 1];
};

struct deferred {
	struct deferred     *next;
	sn_bus              *bus; /* NULL once it closed */
	sn_tx               *tx;
	struct deferred_ev **v;
	size_t               n, cap;
	/* The transaction's closed collecting state, whose events go in
	 * ahead of these (NULL: none). */
	struct numbered *collected;
};

static void
deferred_drop(struct deferred *d, size_t keep)
{
	while (d->n > keep)
		free(d->v[--d->n]);
}

/* Queues the INSERT of d's events on d->tx (nothing if none), after
 * those the transaction collected before its savepoint, and the relay's
 * wake at the commit. */
static sn_err
deferred_flush(struct deferred *d)
{
	sn_tx *tx  = d->tx;
	sn_err err = collected_flush(d->collected);
	if (err != SN_OK || d->n == 0)
		return err;
	sn_pgarray a[7];
	events_arrays_init(a, 7);
	for (size_t i = 0; i < d->n; i++) {
		const struct deferred_ev *e  = d->v[i];
		const sn_event_out        ev = { .type = e->type,
			       .subject                = e->subject,
			       .actor                  = e->actor,
			       .schema_version         = e->schema_version,
			       .data                   = e->data,
			       .len                    = e->len };
		if (d->n == 1)
			err = insert_one(tx, &ev, e->rid, &e->id);
		else
			event_add(a, 7, &ev, &e->id, e->rid);
	}
	if (d->n > 1)
		err = append_each(tx, a);
	events_arrays_fini(a, 7);
	deferred_drop(d, 0);
	if (err == SN_OK && d->bus != NULL)
		err = sn_tx_on_commit(tx, relay_wake, d->bus);
	return err;
}

/* sn_tx_before_commit: the events, the transaction's last statement. */
static void
deferred_commit(sn_tx *tx, void *arg)
{
	sn_err err = deferred_flush(arg);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

/* sn_tx_on_undo: the events appended since the savepoint go. */
static void
deferred_undo(sn_tx *tx, unsigned serial, void *arg)
{
	struct deferred *d    = arg;
	size_t           keep = d->n;
	(void) tx;
	while (keep > 0 && d->v[keep - 1]->serial >= serial)
		keep--;
	deferred_drop(d, keep);
}

static void
deferred_end(sn_err err, void *arg)
{
	struct deferred *d = arg;
	(void) err;
	if (d->bus != NULL) {
		struct deferred **pp = &d->bus->deferring;
		while (*pp != d)
			pp = &(*pp)->next;
		*pp = d->next;
	}
	deferred_drop(d, 0);
	free(d->v);
	free(d);
}

static struct deferred *
deferred_find(sn_bus *bus, sn_tx *tx)
{
	for (struct deferred *d = bus->deferring; d != NULL; d = d->next)
		if (d->tx == tx)
			return d;
	return NULL;
}

/* Makes tx's deferred events (it has none yet), with their hooks. */
static struct deferred *
deferred_of(sn_bus *bus, sn_tx *tx)
{
	struct deferred *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->bus = bus;
	d->tx  = tx;
	if (sn_tx_on_end(tx, deferred_end, d) != SN_OK) {
		free(d);
		return NULL;
	}
	d->next        = bus->deferring;
	bus->deferring = d;
	/* Failing, the caller rolls back, and deferred_end frees it. */
	if (sn_tx_before_commit(tx, deferred_commit, d) != SN_OK
	    || sn_tx_on_undo(tx, deferred_undo, d) != SN_OK)
		return NULL;
	return d;
}

static sn_err
deferred_add(struct deferred *d, const sn_event_out *ev, unsigned serial)
{
	const char *subject = ev->subject ? ev->subject : "";
	const char *actor   = ev->actor ? ev->actor : "system";
	size_t      lt = strlen(ev->type) + 1, ls = strlen(subject) + 1,
	       la = strlen(actor) + 1;
	if (d->n == d->cap) {
		size_t               cap = d->cap ? d->cap * 2 : 8;
		struct deferred_ev **v   = realloc(d->v, cap * sizeof(*v));
		if (v == NULL)
			return SN_ENOMEM;
		d->v   = v;
		d->cap = cap;
	}
	struct deferred_ev *e = malloc(sizeof(*e) + lt + ls + la + ev->len);
	if (e == NULL)
		return SN_ENOMEM;
	char  *p   = (char *) (e + 1);
	sn_err err = sn_uuid_v7(&e->id);
	if (err != SN_OK) {
		free(e);
		return err;
	}
	e->type    = memcpy(p, ev->type, lt);
	e->subject = memcpy(p + lt, subject, ls);
	e->actor   = memcpy(p + lt + ls, actor, la);
	e->data    = (uint8_t *) p + lt + ls + la;
	if (ev->len > 0)
		memcpy(e->data, ev->data, ev->len);
	e->len            = ev->len;
	e->schema_version = ev->schema_version;
	e->serial         = serial;
	snprintf(e->rid, sizeof(e->rid), "%s", sn_log_request_id_text());
	d->v[d->n++] = e;
	return SN_OK;
}

/* Events tx appended and kept for its commit, queued now: a statement
 * appending in another way comes after them. */
static sn_err
deferred_flush_now(sn_bus *bus, sn_tx *tx)
{
	struct deferred *d = deferred_find(bus, tx);
	return d != NULL ? deferred_flush(d) : SN_OK;
}

/* ev's outbox INSERT, queued on tx now and the relay woken at the
 * commit. */
static sn_err
append_now(sn_bus *bus, sn_tx *tx, const sn_event_out *ev)
{
	sn_uuid id;
	sn_err  err = sn_uuid_v7(&id);
	if (err == SN_OK)
		err = insert_one(tx, ev, sn_log_request_id_text(), &id);
	if (err != SN_OK)
		return err;
	return sn_tx_on_commit(tx, relay_wake, bus);
}

sn_err
sn_bus_append(sn_bus *bus, sn_tx *tx, const sn_event_out *ev)
{
	if (!bus->publishes || ev->type == NULL || ev->type[0] == '\0')
		return SN_EINVAL;
	if (ev->len > MSG_MAX / 2)
		return SN_ERANGE;
	/* In a transaction keeping its events in arrays for its commit
	 * (struct numbered): with them, in the order appended; a collecting
	 * one that has taken a savepoint since stops collecting. */
	struct numbered *nb     = numbered_find(bus, tx);
	struct numbered *closed = NULL;
	unsigned         taken  = sn_tx_savepoints_taken(tx);
	if (nb != NULL && nb->collecting && taken > 0) {
		nb->closed = true;
		closed     = nb;
		nb         = NULL;
	}
	if (nb == NULL) {
		/* In a transaction that took a savepoint (a group commit's
		 * members), kept until it commits and inserted together, so
		 * that undoing a savepoint drops them. */
		struct deferred *d = deferred_find(bus, tx);
		if (d != NULL || taken > 0) {
			if (d == NULL && (d = deferred_of(bus, tx)) == NULL)
				return SN_ENOMEM;
			/* d is new then: a collector closes once. */
			if (closed != NULL)
				d->collected = closed;
			return deferred_add(d, ev, taken);
		}
		/* Otherwise collected (struct numbered), so that a transaction
		 * appending many one by one writes them in one statement at
		 * its commit, numbered there when they are number_at_append or
		 * more in all, as a batch of as many would be (issue 15). */
		if (bus->cfg.number_at_append > 0
		    && (nb = numbered_of(bus, tx, true)) == NULL)
			return SN_ENOMEM;
	}
	/* But for its first SENT_AT_ONCE events, queued now. */
	if (nb == NULL
	    || (nb->collecting && nb->n == 0 && nb->before < SENT_AT_ONCE)) {
		if (nb != NULL)
			nb->before++;
		return append_now(bus, tx, ev);
	}
	nb->n++;
	return events_arrays(nb->a, 7, ev, 1);
}

sn_err
sn_bus_append_msg(sn_bus *bus, sn_tx *tx, const char *topic,
    const char *subject, const char *actor, const ProtobufCMessage *msg)
{
	size_t   len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return SN_ENOMEM;
	protobuf_c_message_pack(msg, buf);
	sn_event_out ev = { .type = topic,
		.subject          = subject,
		.actor            = actor,
		.schema_version   = 1,
		.data             = buf,
		.len              = len };
	/* libpq copies the parameters when the statement is queued. */
	sn_err err = sn_bus_append(bus, tx, &ev);
	free(buf);
	return err;
}

sn_err
sn_bus_append_batch(sn_bus *bus, sn_tx *tx, const sn_event_out *evs, size_t n)
{
	if (!bus->publishes)
		return SN_EINVAL;
	if (n == 0)
		return SN_OK;
	/* The events tx appended one by one first, in their order. */
	sn_err ferr = deferred_flush_now(bus, tx);
	if (ferr != SN_OK)
		return ferr;
	/* A transaction that numbers its events at its commit numbers all
	 * it appends from then on, in the order appended; it starts to at a
	 * batch of number_at_append events up to a relay pass's. A larger
	 * batch is the relay's, numbered and sent a pass at a time beside
	 * the writer's next work: a payment run's build chunk (19,000
	 * events) numbered at its commit made the build 1.6 s longer at
	 * 100,000 payees, its one connection doing the relay's work. A
	 * transaction collecting the events it appended one by one adds the
	 * batch to them, and its commit decides (numbered_commit). */
	struct numbered *nb = numbered_find(bus, tx);
	if (nb != NULL && nb->collecting && sn_tx_savepoints_taken(tx) > 0) {
		nb->closed = true;
		if ((ferr = collected_flush(nb)) != SN_OK)
			return ferr;
		nb = NULL;
	}
	if (nb == NULL && numbers_at_commit(bus, n, n)
	    && (nb = numbered_of(bus, tx, false)) == NULL)
		return SN_ENOMEM;
	if (nb != NULL) {
		nb->n += n;
		return events_arrays(nb->a, 7, evs, n);
	}
	static const int fmt[7] = { 1, 1, 1, 1, 1, 1, 0 };
	sn_pgarray       a[6];
	const char      *v[7];
	int              len[7] = { 0 };
	events_arrays_init(a, 6);
	sn_err err = events_arrays(a, 6, evs, n);
	if (err == SN_OK)
		err = arrays_params(a, 6, v, len);
	v[6] = sn_log_request_id_text();
	if (err == SN_OK)
		err = sn_tx_query_bin(
		    tx, SQL_APPEND_MANY, 7, v, len, fmt, 0, NULL, NULL);
	events_arrays_fini(a, 6);
	if (err != SN_OK)
		return err;
	return sn_tx_on_commit(tx, relay_wake, bus);
}

static void
relay_rows(sn_tx *tx, PGresult *res, void *arg)
{
	sn_bus *bus = arg;
	size_t  own;
	sn_err  err = frameset_read(bus, &bus->frames, res, NULL, &own);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
relay_begin(sn_tx *tx, void *arg)
{
	sn_bus    *bus = arg;
	sn_pgarray none[7];
	events_arrays_init(none, 7);
	sn_err err = number_queue(bus, tx, none, true, relay_rows, bus);
	events_arrays_fini(none, 7);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
	else
		sn_tx_commit(tx);
}

static bool
failpoint(const char *name)
{
	const char *fp = getenv("SN_FAILPOINT");
	return fp != NULL && strcmp(fp, name) == 0;
}

static void
relay_done(sn_err err, void *arg)
{
	sn_bus *bus        = arg;
	bus->relay_running = false;
	if (err != SN_OK) {
		frameset_clear(&bus->frames);
		if (err != SN_EBUSY && err != SN_ECLOSED)
			sn_log(SN_LOG_WARN, "relay pass failed", "error",
			    sn_strerror(err), NULL);
		bus->relay_backoff_ms = bus->relay_backoff_ms
		    ? bus->relay_backoff_ms * 2
		    : BACKOFF_MIN_MS;
		if (bus->relay_backoff_ms > BACKOFF_MAX_MS)
			bus->relay_backoff_ms = BACKOFF_MAX_MS;
		bus->relay_not_before = sn_now_ms() + bus->relay_backoff_ms;
		drain_check(bus);
		return;
	}
	bus->relay_backoff_ms = 0;
	size_t n              = bus->frames.n;
	/* A pass this process's own commit woke finding rows is no news of
	 * another process: the poll's back-off stays. */
	if (n > 0 && bus->pass_polled)
		bus->poll_ms = bus->cfg.relay_poll_ms;
	else if (n == 0
	    && bus->poll_ms < bus->cfg.relay_poll_ms * RELAY_POLL_MAX)
		bus->poll_ms *= 2;
	bus->poll_at = sn_now_ms() + bus->poll_ms;
	if (n > 0 && failpoint("relay.after_commit")) {
		sn_log(SN_LOG_WARN, "failpoint relay.after_commit: SIGKILL",
		    NULL);
		raise(SIGKILL);
	}
	frameset_send(bus, &bus->frames);
	if (n == bus->cfg.relay_batch || bus->relay_again) {
		bus->relay_again = false;
		relay_kick(bus);
	}
	drain_check(bus);
}

static void
relay_kick(sn_bus *bus)
{
	if (bus->closing || !bus->publishes)
		return;
	if (bus->relay_running) {
		bus->relay_again = true;
		return;
	}
	bus->relay_running = true;
	bus->pass_polled   = bus->poll_due;
	bus->poll_due      = false;
	sn_db_tx(bus->db, relay_begin, relay_done, bus);
}

static void
on_relay_timer(uv_timer_t *t)
{
	sn_bus  *bus = t->data;
	uint64_t now = sn_now_ms();
	if (now < bus->relay_not_before || now < bus->poll_at)
		return;
	bus->poll_due = true;
	relay_kick(bus);
}

/* ---- heartbeat, head, retention ---------------------------------------- */

static void
head_loaded(sn_err err, PGresult *res, void *arg)
{
	sn_bus  *bus = arg;
	head_row h;
	if (err != SN_OK || res == NULL
	    || sn_rows_one(res, head_cols, SN_NCOLS(head_cols), &h) != SN_OK)
		return;
	uint64_t last = (uint64_t) h.latest;
	if (last > bus->published)
		bus->published = last;
	snprintf(bus->epoch, sizeof(bus->epoch), "%s", h.epoch);
	bus->head_loaded = true;
}

static void
backlog_loaded(sn_err err, PGresult *res, void *arg)
{
	sn_bus   *bus = arg;
	count_row c;
	if (err == SN_OK && res != NULL
	    && sn_rows_one(res, count_cols, SN_NCOLS(count_cols), &c) == SN_OK)
		sn_gauge_set(bus->g_backlog, c.n);
}

static void
heartbeat_send(sn_bus *bus)
{
	const char *v[1] = { bus->publisher };
	if (!bus->head_loaded) {
		/* Sequences assigned before a crash were perhaps never sent:
		 * the heartbeat must announce them all the same. */
		sn_db_query(bus->db, SQL_HEAD, 1, v, head_loaded, bus);
		return;
	}
	if (++bus->hb_ticks % 5 == 0) {
		sn_db_query(
		    bus->db, SQL_BACKLOG, 0, NULL, backlog_loaded, bus);
		/* Another process of this publisher (a second pod) numbers
		 * sequences too: announce its head as well, a few beats
		 * late at most. */
		sn_db_query(bus->db, SQL_HEAD, 1, v, head_loaded, bus);
	}
	Sn__Bus__V1__Heartbeat hb = SN__BUS__V1__HEARTBEAT__INIT;
	hb.latest_sequence        = bus->published;
	uint8_t               buf[32];
	size_t                hlen = sn__bus__v1__heartbeat__pack(&hb, buf);
	Sn__Bus__V1__Envelope env  = SN__BUS__V1__ENVELOPE__INIT;
	char                  tb[40];
	env.source       = bus->publisher;
	env.epoch        = bus->epoch;
	env.type         = (char *) HEARTBEAT_TOPIC;
	env.actor        = (char *) "system";
	env.time_unix_us = sn_wall_us();
	format_time(env.time_unix_us, tb);
	env.time           = tb;
	env.schema_version = 1;
	env.data.data      = buf;
	env.data.len       = hlen;
	nng_msg *msg       = frame_new(HEARTBEAT_TOPIC, &env.base);
	if (msg != NULL) {
		(void) bus_pub_handoff(bus->pub, msg);
		nng_msg_free(msg);
	}
}

static void rep_backstop(sn_bus *bus);

/* Every heartbeat period, on a publisher and on a follower alike. */
static void
on_heartbeat(uv_timer_t *t)
{
	sn_bus *bus = t->data;
	streams_silence(bus);
	if (bus->publishes) {
		heartbeat_send(bus);
		rep_backstop(bus);
	}
}

static void
retention_done(sn_err err, PGresult *res, void *arg)
{
	(void) arg;
	if (err == SN_OK && res != NULL && atoi(PQcmdTuples(res)) > 0)
		sn_log(SN_LOG_INFO, "outbox retention", "deleted",
		    PQcmdTuples(res), NULL);
}

static void
on_retention(uv_timer_t *t)
{
	sn_bus *bus = t->data;
	char    days[16];
	snprintf(days, sizeof(days), "%u", bus->cfg.retention_days);
	const char *v[2] = { days, bus->publisher };
	sn_db_query(bus->db, SQL_RETENTION, 2, v, retention_done, bus);
}

/* ---- replay server ------------------------------------------------------ */

static void rep_ready(nng_socket sock, void *arg);

/* How long sending an answer may wait for the requester's pipe. */
#define REP_SEND_MS 100

/*
 * Answers the request msg (ours, reused for the answer) with reply. Not
 * NNG_FLAG_NONBLOCK: REP refuses a non-blocking send while the pipe's
 * previous send has not completed in NNG's thread, and a requester that
 * got that answer may already have asked again (seen under load: the
 * answer to the next request was dropped, and the requester waited for
 * its resend time). The wait is for NNG's own completion, at most
 * REP_SEND_MS (the socket's send timeout).
 */
static void
rep_put(sn_bus *bus, nng_msg *msg, const Sn__Bus__V1__ReplayReply *reply)
{
	size_t len = sn__bus__v1__replay_reply__get_packed_size(reply);
	int    rv;
	nng_msg_clear(msg);
	if ((rv = nng_msg_realloc(msg, len)) == 0) {
		sn__bus__v1__replay_reply__pack(reply, nng_msg_body(msg));
		rv = nng_sendmsg(bus->rep, msg, 0);
	}
	if (rv != 0) {
		sn_log(SN_LOG_WARN, "replay answer not sent", "publisher",
		    bus->publisher, "error", nng_strerror(rv), NULL);
		nng_msg_free(msg);
	}
}

static void
rep_send(sn_bus *bus, Sn__Bus__V1__ReplayReply *reply)
{
	nng_msg *msg = bus->rep_req;
	bus->rep_req = NULL;
	rep_put(bus, msg, reply);
	if (bus->rreq != NULL) {
		sn__bus__v1__replay_request__free_unpacked(bus->rreq, NULL);
		bus->rreq = NULL;
	}
	if (!bus->closing && !bus->rep_unwatched) {
		sn_nngwatch_resume(bus->wrep);
		rep_ready(bus->rep, bus);
	}
}

static void
replay_rows(sn_tx *tx, PGresult *res, void *arg)
{
	sn_bus *bus = arg;
	sn_rows rows;
	(void) tx;
	Sn__Bus__V1__ReplayReply reply = SN__BUS__V1__REPLAY_REPLY__INIT;
	int                      n     = 0;
	if (sn_rows_open(&rows, res, outbox_cols, SN_NCOLS(outbox_cols))
	    == SN_OK)
		n = sn_rows_count(&rows);
	Sn__Bus__V1__Envelope *envs
	    = calloc((size_t) (n ? n : 1), sizeof(*envs));
	Sn__Bus__V1__Envelope **ptrs
	    = calloc((size_t) (n ? n : 1), sizeof(*ptrs));
	char(*times)[40] = calloc((size_t) (n ? n : 1), 40);
	if (envs == NULL || ptrs == NULL || times == NULL) {
		reply.error = (char *) "out of memory";
		n           = 0;
	}
	size_t bytes = 0;
	int    kept  = 0;
	for (int i = 0; i < n; i++) {
		outbox_row r;
		if (sn_rows_read(&rows, i, &r) != SN_OK)
			break;
		row_envelope(&r, bus->publisher, &envs[i], times[i]);
		bytes += envs[i].data.len + 128;
		if (kept > 0 && bytes > REPLAY_MAX_BYTES)
			break;
		ptrs[kept++] = &envs[i];
	}
	reply.n_events        = (size_t) kept;
	reply.events          = ptrs;
	reply.latest_sequence = bus->rep_latest;
	reply.oldest_sequence = bus->rep_oldest;
	reply.epoch           = bus->epoch;
	if (kept > 0 && (uint32_t) kept == bus->rreq->max_count)
		reply.scanned_to = envs[kept - 1].sequence;
	else if (kept > 0 && kept < n)
		reply.scanned_to = envs[kept - 1].sequence;
	else
		reply.scanned_to = bus->rep_latest;
	sn_counter_add(bus->c_replay_served, (uint64_t) kept);
	rep_send(bus, &reply);
	free(envs);
	free(ptrs);
	free(times);
}

static void
replay_head(sn_tx *tx, PGresult *res, void *arg)
{
	sn_bus  *bus = arg;
	head_row h;
	if (sn_rows_one(res, head_cols, SN_NCOLS(head_cols), &h) != SN_OK) {
		sn_tx_rollback(tx, SN_EPROTO);
		return;
	}
	bus->rep_latest = (uint64_t) h.latest;
	bus->rep_oldest = (uint64_t) h.oldest;
	snprintf(bus->epoch, sizeof(bus->epoch), "%s", h.epoch);
	if (bus->rep_latest > bus->published)
		bus->published = bus->rep_latest;
}

static void
replay_begin(sn_tx *tx, void *arg)
{
	sn_bus  *bus = arg;
	char     from[24], max[16];
	uint32_t m = bus->rreq->max_count;
	if (m == 0 || m > REPLAY_MAX)
		m = REPLAY_MAX;
	bus->rreq->max_count = m;
	snprintf(from, sizeof(from), "%llu",
	    (unsigned long long) bus->rreq->from_sequence);
	snprintf(max, sizeof(max), "%u", m);
	const char *hv[1] = { bus->publisher };
	const char *rv[4] = { from, max,
		bus->rreq->topic_prefix ? bus->rreq->topic_prefix : "",
		bus->publisher };
	/* Head first, so that latest_sequence is never below the events. */
	if (sn_tx_query(tx, SQL_PUB_ENSURE, 1, hv, NULL, NULL) != SN_OK
	    || sn_tx_query(tx, SQL_HEAD, 1, hv, replay_head, bus) != SN_OK
	    || sn_tx_query_bin(
	           tx, SQL_REPLAY, 4, rv, NULL, NULL, 1, replay_rows, bus)
	        != SN_OK) {
		sn_tx_rollback(tx, SN_EDB);
		return;
	}
	sn_tx_commit(tx);
}

static void
replay_done(sn_err err, void *arg)
{
	sn_bus *bus = arg;
	if (err == SN_OK || bus->rep_req == NULL)
		return;
	Sn__Bus__V1__ReplayReply reply = SN__BUS__V1__REPLAY_REPLY__INIT;
	reply.error = (char *) "publisher database unavailable";
	rep_send(bus, &reply);
}

/* Answers the request msg (ours) at once with error why: REP must
 * answer every request, or the REQ peer waits for its resend time. */
static void
rep_refuse(sn_bus *bus, nng_msg *msg, const char *why)
{
	Sn__Bus__V1__ReplayReply reply = SN__BUS__V1__REPLAY_REPLY__INIT;
	reply.error                    = (char *) why;
	reply.epoch                    = bus->epoch;
	sn_log(SN_LOG_WARN, "replay request refused", "publisher",
	    bus->publisher, "error", why, NULL);
	sn_counter_add(bus->c_malformed, 1);
	rep_put(bus, msg, &reply);
}

static void
rep_ready(nng_socket sock, void *arg)
{
	sn_bus *bus = arg;
	while (bus->rep_req == NULL && !bus->closing) {
		nng_msg *msg;
		int      rv = nng_recvmsg(sock, &msg, NNG_FLAG_NONBLOCK);
		if (rv != 0)
			return;
		sn_counter_add(bus->c_replay_requests, 1);
		bus->rep_reads++;
		Sn__Bus__V1__ReplayRequest *rq
		    = sn__bus__v1__replay_request__unpack(
		        NULL, nng_msg_len(msg), nng_msg_body(msg));
		if (rq == NULL || rq->from_sequence == 0
		    || rq->from_sequence > (uint64_t) INT64_MAX) {
			rep_refuse(bus, msg,
			    rq == NULL ? "malformed request"
			               : "from_sequence out of range");
			if (rq != NULL)
				sn__bus__v1__replay_request__free_unpacked(
				    rq, NULL);
			continue;
		}
		/* A REP socket serves one request at a time: hold further
		 * ones in NNG until this one is answered. */
		bus->rep_req = msg;
		bus->rreq    = rq;
		sn_nngwatch_pause(bus->wrep);
		sn_db_tx(bus->db, replay_begin, replay_done, bus);
	}
}

/*
 * Once a beat, reads the replay socket whatever its descriptor says, so
 * that a lost wake-up cannot leave requests unanswered: a publisher once
 * read no request for 60 s while its followers asked every 10 s, its
 * listener accepting (a loop of follower SIGKILLs, 12-05), and NNG's
 * receive descriptor has lost wake-ups before (nng #1368). A request
 * found while the descriptor showed nothing is counted
 * (sn_bus_replay_unseen_total) and logged, so that we learn whether that
 * was the cause.
 */
static void
rep_backstop(sn_bus *bus)
{
	if (bus->rep_req != NULL || bus->closing)
		return;
	bool     shown  = sn_nngwatch_signalled(bus->wrep);
	uint64_t before = bus->rep_reads;
	rep_ready(bus->rep, bus);
	if (!shown && bus->rep_reads != before) {
		sn_counter_add(bus->c_replay_unseen, 1);
		sn_log(SN_LOG_WARN,
		    "a replay request waited unseen by the socket's "
		    "descriptor;"
		    " read by the heartbeat",
		    "publisher", bus->publisher, NULL);
	}
}

/* ---- following: halts and claims --------------------------------------
 */

static void queue_clear(struct stream *st);
static void held_clear(struct stream *st);
static void on_apply_retry(uv_timer_t *t);

static void
halt_recorded(sn_err err, PGresult *res, void *arg)
{
	struct stream *st = arg;
	(void) res;
	if (st->bus->closing) {
		stream_unref(st);
		return;
	}
	stream_unref(st); /* the timers still hold it */
	if (err != SN_OK)
		sn_log(SN_LOG_WARN, "cannot record the halt; will retry",
		    "publisher", st->name, "error", sn_strerror(err), NULL);
	else
		st->halt_recorded = true;
	uv_timer_start(
	    &st->timer, on_apply_retry, err == SN_OK ? HALT_POLL_MS : 1000, 0);
}

static void
halt_record(struct stream *st)
{
	char seq[24];
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long) st->stored);
	const char *v[5]
	    = { st->name, st->bus->part, seq, st->epoch, st->halt_reason };
	st->open++;
	st->bus->open_handles++;
	sn_db_query(st->bus->db, SQL_HALT, 5, v, halt_recorded, st);
}

/* What a halt does once no batch is in flight: drop what is queued (it
 * is asked for again after a resync) and record why. */
static void
halt_settle(struct stream *st)
{
	queue_clear(st);
	st->queued_to   = st->committed;
	st->stop_before = 0;
	uv_timer_stop(&st->rtimer);
	st->replay_inflight = false;
	halt_record(st);
}

/* Stops the stream with an alarm: an error line, sn_bus_stream_halted 1
 * and sn_bus_alarms_total, /readyz degraded (sn_bus_healthy), and the
 * reason in the cursor row. Nothing more is applied or asked for. */
static void
stream_halt(struct stream *st, const char *reason)
{
	if (st->halted)
		return;
	char cur[24];
	snprintf(cur, sizeof(cur), "%llu", (unsigned long long) st->committed);
	st->halted        = true;
	st->halt_recorded = false;
	snprintf(st->halt_reason, sizeof(st->halt_reason), "%s", reason);
	sn_log(SN_LOG_ERROR, "bus stream halted; resolve with sn-bus",
	    "publisher", st->name, "reason", reason, "cursor", cur, NULL);
	sn_gauge_set(st->g_halted, 1);
	sn_counter_add(st->c_alarms, 1);
	if (!st->applying)
		halt_settle(st);
}

/* The head the stream knows of: claimed, answered or queued. */
static uint64_t
stream_head(const struct stream *st)
{
	return st->known_head > st->queued_to ? st->known_head : st->queued_to;
}

/* Keeps the head marks and the lag gauge in step with the known head and
 * the cursor; called wherever either moves. */
static void
stream_watch(struct stream *st)
{
	uint64_t head = stream_head(st);
	size_t   drop = 0;

	while (drop < st->nmarks && st->marks[drop].seq <= st->committed)
		drop++;
	if (drop > 0) {
		st->nmarks -= drop;
		memmove(st->marks, st->marks + drop,
		    st->nmarks * sizeof(st->marks[0]));
	}
	/* A head replay contradicted: no mark above it. */
	while (st->nmarks > 0 && st->marks[st->nmarks - 1].seq > head) {
		if (st->nmarks >= 2 && st->marks[st->nmarks - 2].seq >= head)
			st->nmarks--;
		else {
			st->marks[st->nmarks - 1].seq = head;
			break;
		}
	}
	if (head > st->committed
	    && (st->nmarks == 0 || head > st->marks[st->nmarks - 1].seq)) {
		if (st->nmarks == HEADMARKS)
			st->marks[st->nmarks - 1].seq = head;
		else
			st->marks[st->nmarks++]
			    = (struct headmark) { head, sn_now_ms() };
	}
	sn_gauge_set(st->g_lag,
	    head > st->committed ? (int64_t) (head - st->committed) : 0);
}

/* Milliseconds since the oldest event known and not applied was first
 * known; 0 when every known event is applied. */
static uint64_t
stream_unapplied_ms(const struct stream *st, uint64_t now)
{
	if (stream_head(st) <= st->committed || st->nmarks == 0
	    || now < st->marks[0].ms)
		return 0;
	return now - st->marks[0].ms;
}

/* Whether the stream has events known and none applied for longer than
 * the stall threshold: the oldest unapplied event is older than it and
 * the cursor has not moved within it. */
static bool
stream_stalled(const struct stream *st, uint64_t now, uint64_t *idle_ms)
{
	uint64_t age = stream_unapplied_ms(st, now);
	uint64_t idle
	    = now - st->applied_ms < age ? now - st->applied_ms : age;
	*idle_ms = idle;
	return st->bus->cfg.stall_ms > 0 && age > 0
	    && idle > st->bus->cfg.stall_ms;
}

/* The inboxes' figures (kept on NNG's threads) into the metrics: at each
 * render, and at the close (a registry rendered after it still has
 * them). */
static void
inbox_tell(sn_bus *bus)
{
	sn_gauge_set(
	    bus->g_inbox_max, (int64_t) atomic_load(&bus->inbox.msgs_max));
	uint64_t dropped = atomic_load(&bus->inbox.dropped);
	sn_counter_add(
	    bus->c_inbox_dropped, dropped - bus->inbox_dropped_told);
	bus->inbox_dropped_told = dropped;
}

/* sn_metrics_on_render: the ages, which grow with time alone, and the
 * inboxes' figures. */
static void
bus_render(void *arg)
{
	sn_bus  *bus = arg;
	uint64_t now = sn_now_ms();
	for (struct stream *st = bus->streams; st != NULL; st = st->next)
		sn_gauge_set(st->g_age,
		    (int64_t) (stream_unapplied_ms(st, now) / 1000));
	inbox_tell(bus);
}

/* A heartbeat or a live event says the stream's head is at seq (or, when
 * behind, that the publisher is below our cursor): worth a replay
 * request, unless replay lately contradicted such a claim. */
static void
stream_claim(struct stream *st, uint64_t seq)
{
	if (sn_now_ms() < st->distrust_until)
		return;
	if (seq < st->committed) {
		st->behind = true;
		st->probe  = true;
		return;
	}
	if (seq > st->claim)
		st->claim = seq;
	if (seq > st->known_head)
		st->known_head = seq;
	stream_watch(st);
}

/* Replay answered that the head is latest: a claim made before the
 * request went out must be at most that (the publisher had published it
 * before it answered), and a publisher said to be behind must be. */
static void
claims_check(struct stream *st, uint64_t latest)
{
	bool bad = st->claim_sent > latest || st->suspect_sent
	    || (st->behind_sent && latest >= st->committed);
	if (bad) {
		char c[24], l[24];
		snprintf(c, sizeof(c), "%llu",
		    (unsigned long long) (st->behind_sent ? 0
		                                          : st->claim_sent));
		snprintf(l, sizeof(l), "%llu", (unsigned long long) latest);
		st->distrust_ms    = st->distrust_ms
		       ? (st->distrust_ms * 2 > DISTRUST_MAX_MS
		               ? DISTRUST_MAX_MS
		               : st->distrust_ms * 2)
		       : DISTRUST_MIN_MS;
		st->distrust_until = sn_now_ms() + st->distrust_ms;
		sn_log(SN_LOG_WARN,
		    "a heartbeat or live sequence was not confirmed by replay;"
		    " trusting replay and backing off",
		    "publisher", st->name, "claimed", c, "latest", l, NULL);
		sn_counter_add(st->c_unconfirmed, 1);
		held_clear(st); /* what the false claims came with */
	} else if (st->claim_sent > 0 && sn_now_ms() >= st->distrust_until) {
		st->distrust_ms = 0;
	}
	st->claim_sent   = 0;
	st->behind_sent  = false;
	st->suspect_sent = false;
	st->known_head   = latest > st->claim ? latest : st->claim;
	stream_watch(st);
}

/* Whether env belongs to the stream: its source and epoch. Halts the
 * stream (and says false) when it does not. */
static bool
stream_authentic(struct stream *st, const Sn__Bus__V1__Envelope *env)
{
	char why[256];
	if (env->source == NULL || strcmp(env->source, st->name) != 0)
		snprintf(why, sizeof(why), "an event of source \"%.60s\"",
		    env->source ? env->source : "");
	else if (env->epoch == NULL || strcmp(env->epoch, st->epoch) != 0)
		snprintf(why, sizeof(why),
		    "an event of another epoch (%.40s, the stream's is %s):"
		    " publisher recreated?",
		    env->epoch ? env->epoch : "", st->epoch);
	else
		return true;
	stream_halt(st, why);
	return false;
}

static void
epoch_adopted(sn_err err, PGresult *res, void *arg)
{
	struct stream *st = arg;
	(void) res;
	if (!st->bus->closing && err != SN_OK)
		sn_log(SN_LOG_WARN, "cannot record the stream's epoch",
		    "publisher", st->name, "error", sn_strerror(err), NULL);
	stream_unref(st);
}

/* The first replay answer gives the stream its epoch. */
static void
epoch_adopt(struct stream *st, const char *epoch)
{
	char seq[24];
	snprintf(st->epoch, sizeof(st->epoch), "%s", epoch);
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long) st->stored);
	sn_log(SN_LOG_INFO, "stream epoch adopted", "publisher", st->name,
	    "epoch", st->epoch, NULL);
	const char *v[4] = { st->name, st->bus->part, seq, st->epoch };
	st->open++;
	st->bus->open_handles++;
	sn_db_query(st->bus->db, SQL_EPOCH_ADOPT, 4, v, epoch_adopted, st);
}

/* Checks a replay answer's epoch and head; false when the stream halts. */
static bool
reply_authentic(struct stream *st, const Sn__Bus__V1__ReplayReply *r)
{
	char why[256];
	if (r->epoch == NULL || r->epoch[0] == '\0') {
		stream_halt(st, "a replay answer without an epoch");
		return false;
	}
	if (st->epoch[0] == '\0')
		epoch_adopt(st, r->epoch);
	else if (strcmp(r->epoch, st->epoch) != 0) {
		snprintf(why, sizeof(why),
		    "replay answers with another epoch (%.40s, the stream's "
		    "is %s): publisher recreated?",
		    r->epoch, st->epoch);
		stream_halt(st, why);
		return false;
	}
	/* Against what we had when we asked, not the cursor now: live
	 * events committed after the answer's snapshot may have moved the
	 * cursor past its head in the meantime (seen in e2e.half_year: a
	 * restarted publisher's first events overtook its answer). */
	if (r->latest_sequence < st->asked_at) {
		snprintf(why, sizeof(why),
		    "the publisher's latest sequence %llu is below our cursor "
		    "%llu: restored from a backup?",
		    (unsigned long long) r->latest_sequence,
		    (unsigned long long) st->asked_at);
		stream_halt(st, why);
		return false;
	}
	return true;
}

/* ---- following ------------------------------------------------------------
 */

static struct qev *
qev_new(const Sn__Bus__V1__Envelope *env)
{
	const char *strs[7] = { env->source, env->id, env->type, env->subject,
		env->time, env->actor, env->request_id };
	size_t      need    = env->data.len;
	for (int i = 0; i < 7; i++)
		need += (strs[i] ? strlen(strs[i]) : 0) + 1;
	struct qev *q = malloc(sizeof(*q) + need);
	if (q == NULL)
		return NULL;
	q->size       = sizeof(*q) + need;
	char       *p = q->buf;
	const char *out[7];
	for (int i = 0; i < 7; i++) {
		size_t l = strs[i] ? strlen(strs[i]) : 0;
		if (l)
			memcpy(p, strs[i], l);
		p[l]   = '\0';
		out[i] = p;
		p += l + 1;
	}
	if (env->data.len)
		memcpy(p, env->data.data, env->data.len);
	q->next              = NULL;
	q->ev.source         = out[0];
	q->ev.id             = out[1];
	q->ev.type           = out[2];
	q->ev.subject        = out[3];
	q->ev.time           = out[4];
	q->ev.actor          = out[5];
	q->ev.request_id     = out[6];
	q->ev.sequence       = env->sequence;
	q->ev.schema_version = env->schema_version;
	q->ev.data           = (const uint8_t *) p;
	q->ev.len            = env->data.len;
	return q;
}

static void
held_clear(struct stream *st)
{
	if (st->held != NULL) {
		for (uint32_t i = 0; i < st->bus->cfg.reorder_max; i++)
			free(st->held[i]);
		free(st->held);
		st->held = NULL;
	}
	st->bus->held_bytes -= st->held_bytes;
	st->nheld      = 0;
	st->held_bytes = 0;
}

static struct qev **
held_slot(struct stream *st, uint64_t seq)
{
	return &st->held[seq % st->bus->cfg.reorder_max];
}

/* cfg.queue_bytes bounds the bytes of events held over all the streams,
 * whose queues are bounded each only by a count (cfg.queue_max): a
 * follower of many streams behind on all of them held 134 MiB in
 * supervision at 30,000 households. An event refused for it is dropped
 * and replayed later, as one NNG dropped. */

/* The queues alone reach the budget: no event joins a queue, and no
 * replay is asked for, until applying frees some (the queues always
 * drain, so a reorder buffer waiting for replay never blocks this). */
static bool
queue_over(const sn_bus *bus)
{
	return bus->queued_bytes >= bus->cfg.queue_bytes;
}

/* The queues and reorder buffers together reach it: nothing more is
 * held after a gap. */
static bool
hold_over(const sn_bus *bus)
{
	return bus->queued_bytes + bus->held_bytes >= bus->cfg.queue_bytes;
}

static void
held_mark(sn_bus *bus)
{
	size_t all = bus->queued_bytes + bus->held_bytes;
	if (all > bus->held_max) {
		bus->held_max = all;
		sn_gauge_set(bus->g_held_max, (int64_t) all);
	}
}

/* Appends q, the next event, to the queue; a copy of it held after a gap
 * (replay answered first) is dropped. */
static void
queue_push(struct stream *st, struct qev *q)
{
	if (st->qtail != NULL)
		st->qtail->next = q;
	else
		st->qhead = q;
	st->qtail = q;
	st->qlen++;
	st->bus->queued_bytes += q->size;
	st->queued_to                           = q->ev.sequence;
	st->seen[q->ev.sequence % SEEN_IDS].seq = q->ev.sequence;
	snprintf(st->seen[q->ev.sequence % SEEN_IDS].id,
	    sizeof(st->seen[0].id), "%s", q->ev.id ? q->ev.id : "");
	stream_watch(st);
	if (st->nheld > 0) {
		struct qev **h = held_slot(st, q->ev.sequence);
		if (*h != NULL) {
			st->held_bytes -= (*h)->size;
			st->bus->held_bytes -= (*h)->size;
			free(*h);
			*h = NULL;
			st->nheld--;
		}
	}
	held_mark(st->bus);
}

/* Moves the held events that now follow the queue onto it, while the
 * queue has room. */
static void
held_drain(struct stream *st)
{
	while (st->nheld > 0 && st->qlen < st->bus->cfg.queue_max) {
		struct qev **h = held_slot(st, st->queued_to + 1);
		struct qev  *q = *h;
		if (q == NULL || q->ev.sequence != st->queued_to + 1)
			break;
		*h = NULL;
		st->nheld--;
		st->held_bytes -= q->size;
		st->bus->held_bytes -= q->size;
		queue_push(st, q);
	}
	if (st->nheld == 0 && st->held != NULL) {
		free(st->held); /* allocated again at the next gap */
		st->held = NULL;
	}
}

/* The run of missing sequences after the queue, up to max: what replay
 * is asked for, so that it does not send again what is held. */
static uint32_t
held_gap(struct stream *st, uint32_t max)
{
	if (st->nheld == 0)
		return max;
	uint32_t n = 0;
	while (n < max && *held_slot(st, st->queued_to + 1 + n) == NULL)
		n++;
	return n;
}

/* Holds a live event that came after a gap (or while the queue is full)
 * in the reorder buffer, if it is in its window; says whether it did. */
static bool
stream_hold(struct stream *st, const Sn__Bus__V1__Envelope *env)
{
	uint32_t win = st->bus->cfg.reorder_max;
	if (env->sequence <= st->queued_to)
		return false;
	if (env->sequence - st->queued_to > win
	    || st->held_bytes >= REORDER_MAX_BYTES || hold_over(st->bus))
		goto unheld;
	if (st->held == NULL) {
		st->held = calloc(win, sizeof(*st->held));
		if (st->held == NULL)
			goto unheld;
	}
	struct qev **h = held_slot(st, env->sequence);
	if (*h != NULL) {
		sn_counter_add(st->c_skipped, 1);
		return false;
	}
	if ((*h = qev_new(env)) == NULL)
		goto unheld;
	st->nheld++;
	st->held_bytes += (*h)->size;
	st->bus->held_bytes += (*h)->size;
	held_mark(st->bus);
	return true;
unheld: /* dropped: replay brings it */
	sn_counter_add(st->c_unheld, 1);
	return false;
}

/* Whether a repeat (env's sequence already queued) is the event we had
 * under that number, as far as we remember; halts the stream when not. */
static bool
repeat_same(struct stream *st, const Sn__Bus__V1__Envelope *env)
{
	const char *had = st->seen[env->sequence % SEEN_IDS].id;
	if (st->seen[env->sequence % SEEN_IDS].seq != env->sequence
	    || had[0] == '\0' || env->id == NULL || strcmp(had, env->id) == 0)
		return true;
	char why[256];
	snprintf(why, sizeof(why),
	    "event %llu came again as another event (%.40s, we had %s):"
	    " publisher restored from a backup?",
	    (unsigned long long) env->sequence, env->id, had);
	stream_halt(st, why);
	return false;
}

/* Queues env if it is the next one; says whether it was. */
static bool
stream_offer(struct stream *st, const Sn__Bus__V1__Envelope *env)
{
	if (!st->loaded || st->halted || st->epoch[0] == '\0')
		return false;
	if (!stream_authentic(st, env))
		return false;
	if (env->sequence <= st->queued_to) {
		if (repeat_same(st, env) && env->sequence != st->asked_at)
			sn_counter_add(st->c_skipped, 1);
		return false;
	}
	if (env->sequence != st->queued_to + 1
	    || st->qlen >= st->bus->cfg.queue_max || queue_over(st->bus))
		return false;
	struct qev *q = qev_new(env);
	if (q == NULL)
		return false;
	queue_push(st, q);
	held_drain(st);
	return true;
}

/* A heartbeat counts only from the stream's source and epoch. */
static void
stream_heartbeat(struct stream *st, const Sn__Bus__V1__Envelope *env)
{
	if (!st->loaded || st->halted)
		return;
	if (st->epoch[0] == '\0') {
		/* Replay has not answered yet: it will give the epoch. */
		st->probe = true;
		return;
	}
	if (env->source == NULL || strcmp(env->source, st->name) != 0
	    || env->epoch == NULL || strcmp(env->epoch, st->epoch) != 0) {
		/* Dropped; but a recreated publisher says so only this way
		 * when its events were missed: replay will tell. */
		sn_counter_add(st->c_foreign_hb, 1);
		if (sn_now_ms() >= st->distrust_until) {
			st->suspect = true;
			st->probe   = true;
		}
		return;
	}
	Sn__Bus__V1__Heartbeat *hb = sn__bus__v1__heartbeat__unpack(
	    NULL, env->data.len, env->data.data);
	if (hb == NULL) {
		sn_counter_add(st->bus->c_malformed, 1);
		return;
	}
	if (hb->latest_sequence > st->queued_to
	    || hb->latest_sequence < st->committed)
		stream_claim(st, hb->latest_sequence);
	sn__bus__v1__heartbeat__free_unpacked(hb, NULL);
}

/* The SUB socket heard from the publisher. */
static void
stream_heard(struct stream *st)
{
	st->sub_heard_ms = sn_now_ms();
	if (st->silent) {
		st->silent = false;
		sn_log(SN_LOG_INFO, "the publisher is heard again",
		    "publisher", st->name, NULL);
	}
}

static void *
redial_main(void *arg)
{
	struct redial *r = arg;
	(void) nng_dialer_close(r->old);
	r->rv = sn_nng_dialer(
	    r->sock, r->url, r->peer, NNG_FLAG_NONBLOCK, &r->d);
	atomic_store(&r->done, true);
	redial_unref(r);
	return NULL;
}

/* Gives up the SUB (i 0) or the REQ (i 1) socket's connection to the
 * publisher and dials again, on a thread (struct redial): a dialer whose
 * connection NNG never restores after the peer restarted is otherwise
 * noticed by nothing. */
static void
stream_redial(struct stream *st, int i, uint64_t now)
{
	if (st->redial[i] != NULL)
		return;
	struct redial *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return;
	atomic_init(&r->refs, 2);
	atomic_init(&r->done, false);
	r->sock       = i == 0 ? st->sub : st->req;
	r->old        = i == 0 ? st->sub_dialer : st->req_dialer;
	r->url        = strdup(i == 0 ? st->pub_url : st->replay_url);
	r->peer       = strdup(st->name);
	r->started_ms = now;
	pthread_t      t;
	pthread_attr_t a;
	bool           ok
	    = r->url != NULL && r->peer != NULL && pthread_attr_init(&a) == 0;
	if (ok) {
		(void) pthread_attr_setdetachstate(
		    &a, PTHREAD_CREATE_DETACHED);
		ok = pthread_create(&t, &a, redial_main, r) == 0;
		pthread_attr_destroy(&a);
	}
	if (!ok) {
		redial_unref(r);
		redial_unref(r);
		return;
	}
	st->redial[i] = r;
	if (i == 0) {
		st->sub_dialed_ms = now;
		st->deaf          = false;
	} else {
		st->req_dialed_ms  = now;
		st->req_waiting_ms = now;
	}
	sn_counter_add(st->c_redials, 1);
	sn_log(SN_LOG_WARN,
	    "no word from the publisher on one socket; dialing it again",
	    "publisher", st->name, "socket", i == 0 ? "sub" : "req", "url",
	    r->url, NULL);
}

/* A redial's outcome: its new dialer, or, when its close has not
 * returned in REDIAL_STUCK_MS, NNG stuck in this process: the stream
 * says so (/readyz, sn_bus_nng_stuck) and dials no more. */
static void
redial_settle(struct stream *st, int i, uint64_t now)
{
	struct redial *r = st->redial[i];
	if (r == NULL)
		return;
	if (atomic_load(&r->done)) {
		if (r->rv == 0)
			*(i == 0 ? &st->sub_dialer : &st->req_dialer) = r->d;
		else
			sn_log(SN_LOG_ERROR, "cannot dial the publisher again",
			    "publisher", st->name, "url", r->url, "error",
			    nng_strerror(r->rv), NULL);
		st->redial[i] = NULL;
		redial_unref(r);
	} else if (!st->stuck && now - r->started_ms >= REDIAL_STUCK_MS) {
		st->stuck = true;
		sn_gauge_set(st->g_stuck, 1);
		sn_log(SN_LOG_ERROR,
		    "closing a connection to the publisher has not finished in"
		    " 10 s: NNG is stuck in this process (nng #1813, fixed in"
		    " 1.9); restart the service",
		    "publisher", st->name, NULL);
	}
}

static void
sub_ready(nng_socket sock, void *arg)
{
	(void) sock; /* read through the watch's inbox */
	struct stream *st  = arg;
	sn_bus        *bus = st->bus;
	for (;;) {
		nng_msg *msg;
		if (hold_over(bus) && st->loaded) {
			/* Nothing more could be kept: left in the inbox, not
			 * dropped to be replayed. */
			st->inbox_paused = true;
			sn_nngwatch_pause(st->wsub);
			break;
		}
		if (sn_nngwatch_recv(st->wsub, &msg) != 0)
			break;
		if (st->deaf) {
			nng_msg_free(msg);
			continue;
		}
		stream_heard(st);
		const uint8_t         *body = nng_msg_body(msg);
		size_t                 len  = nng_msg_len(msg);
		const uint8_t         *nul  = memchr(body, 0, len);
		Sn__Bus__V1__Envelope *env  = NULL;
		if (nul != NULL)
			env = sn__bus__v1__envelope__unpack(
			    NULL, len - (size_t) (nul + 1 - body), nul + 1);
		if (env == NULL) {
			sn_counter_add(bus->c_malformed, 1);
			nng_msg_free(msg);
			if (st->loaded && st->epoch[0] != '\0')
				stream_halt(st,
				    "a message on the stream does not decode");
			continue;
		}
		if (strcmp((const char *) body, HEARTBEAT_TOPIC) == 0) {
			stream_heartbeat(st, env);
		} else if (env->sequence > st->queued_to && st->loaded
		    && !st->halted && st->epoch[0] != '\0'
		    && (env->sequence > st->queued_to + 1
		        || st->qlen >= bus->cfg.queue_max
		        || queue_over(bus))) {
			/* After a gap (or with the queue full): held, if the
			 * reorder buffer's window reaches it, while replay
			 * fills the gap; the sequence is a claim of the head
			 * either way. */
			if (stream_authentic(st, env)) {
				if (env->sequence > st->queued_to + 1
				    && (st->nheld == 0
				        || *held_slot(st, env->sequence - 1)
				            == NULL))
					sn_counter_add(st->c_gaps, 1);
				stream_claim(st, env->sequence);
				stream_hold(st, env);
			}
		} else {
			stream_offer(st, env);
		}
		sn__bus__v1__envelope__free_unpacked(env, NULL);
		nng_msg_free(msg);
	}
	stream_maybe_replay(st);
	stream_maybe_apply(st);
}

static void
on_replay_timer(uv_timer_t *t)
{
	struct stream *st = t->data;
	/* No answer in time (publisher down or the reply lost): ask again;
	 * a new request on a REQ socket abandons the old one. */
	st->replay_inflight = false;
	stream_maybe_replay(st);
}

static void
stream_maybe_replay(struct stream *st)
{
	sn_bus *bus = st->bus;
	if (!st->loaded || st->halted || st->replay_inflight || bus->closing
	    || bus->draining)
		return;
	if (!st->probe && st->known_head <= st->queued_to)
		return;
	if (st->qlen >= bus->cfg.queue_max || queue_over(bus))
		return;
	uint32_t room = bus->cfg.queue_max - (uint32_t) st->qlen;
	uint32_t want = held_gap(st, room < REPLAY_MAX ? room : REPLAY_MAX);
	if (want == 0)
		return; /* the next event is held: the queue takes it first */
	/* From the last event queued when we still know its id: the answer
	 * then shows whether the publisher still has it (repeat_same). */
	uint64_t last    = st->queued_to;
	bool     overlap = last > 0 && st->seen[last % SEEN_IDS].seq == last
	    && st->seen[last % SEEN_IDS].id[0] != '\0';
	Sn__Bus__V1__ReplayRequest rq = SN__BUS__V1__REPLAY_REQUEST__INIT;
	rq.from_sequence              = overlap ? last : last + 1;
	rq.max_count                  = want + (overlap ? 1 : 0);
	size_t   len = sn__bus__v1__replay_request__get_packed_size(&rq);
	nng_msg *msg;
	if (nng_msg_alloc(&msg, len) != 0)
		return;
	sn__bus__v1__replay_request__pack(&rq, nng_msg_body(msg));
	int rv = nng_sendmsg(st->req, msg, NNG_FLAG_NONBLOCK);
	if (st->req_waiting_ms == 0)
		st->req_waiting_ms = sn_now_ms();
	if (rv != 0) {
		nng_msg_free(msg);
		/* Not connected yet: try again shortly. */
		uv_timer_start(&st->rtimer, on_replay_timer, 200, 0);
		st->replay_inflight = true;
		return;
	}
	st->probe           = false;
	st->replay_inflight = true;
	st->asked_at        = st->queued_to;
	st->claim_sent      = st->claim;
	st->behind_sent     = st->behind;
	st->claim           = 0;
	st->behind          = false;
	st->suspect_sent    = st->suspect;
	st->suspect         = false;
	uv_timer_start(&st->rtimer, on_replay_timer, REPLAY_TIMEOUT_MS, 0);
}

/*
 * Every heartbeat period: a stream whose SUB socket heard nothing for
 * `quiet` (SILENT_BEATS heartbeats, SILENT_MIN_MS at least) asks replay
 * for the head, so that no event waits on a connection that is gone. A
 * socket is dialed again when the other one shows the publisher is there
 * (replay answered while SUB was silent; heartbeats come while a replay
 * request waits twice `quiet`), or after three `quiet` of both silent;
 * never more often than once per `quiet`.
 */
static void
streams_silence(sn_bus *bus)
{
	uint64_t now   = sn_now_ms();
	uint64_t quiet = (uint64_t) SILENT_BEATS * bus->cfg.heartbeat_ms;
	if (quiet < SILENT_MIN_MS)
		quiet = SILENT_MIN_MS;
	if (bus->closing || bus->draining)
		return;
	for (struct stream *st = bus->streams; st != NULL; st = st->next) {
		redial_settle(st, 0, now);
		redial_settle(st, 1, now);
		if (!st->loaded || st->halted || st->stuck)
			continue;
		/* A watch paused by the budget has messages waiting. */
		if (st->inbox_paused)
			st->sub_heard_ms = now;
		bool sub_quiet = now - st->sub_heard_ms >= quiet;
		bool req_stuck = st->req_waiting_ms != 0
		    && now - st->req_waiting_ms >= 2 * quiet;
		if (sub_quiet) {
			if (!st->silent) {
				char ms[24];
				snprintf(ms, sizeof(ms), "%llu",
				    (unsigned long long) (now
				        - st->sub_heard_ms));
				st->silent = true;
				sn_log(SN_LOG_WARN,
				    "no heartbeat from the publisher; asking"
				    " replay",
				    "publisher", st->name, "silent_ms", ms,
				    NULL);
			}
			st->probe = true;
			stream_maybe_replay(st);
		}
		if (sub_quiet && now - st->sub_dialed_ms >= quiet
		    && (st->answer_ms >= st->sub_heard_ms + quiet
		        || now - st->sub_dialed_ms >= 3 * quiet))
			stream_redial(st, 0, now);
		if (req_stuck && now - st->req_dialed_ms >= quiet
		    && (!sub_quiet || now - st->req_dialed_ms >= 3 * quiet))
			stream_redial(st, 1, now);
	}
}

static void
req_ready(nng_socket sock, void *arg)
{
	struct stream *st = arg;
	for (;;) {
		nng_msg *msg;
		if (nng_recvmsg(sock, &msg, NNG_FLAG_NONBLOCK) != 0)
			break;
		Sn__Bus__V1__ReplayReply *r
		    = sn__bus__v1__replay_reply__unpack(
		        NULL, nng_msg_len(msg), nng_msg_body(msg));
		nng_msg_free(msg);
		if (!st->loaded || st->halted) {
			/* An answer to a request of before the halt or a
			 * reload: the stream asks again when it resumes. */
			if (r != NULL)
				sn__bus__v1__replay_reply__free_unpacked(
				    r, NULL);
			continue;
		}
		uv_timer_stop(&st->rtimer);
		st->replay_inflight = false;
		st->answer_ms       = sn_now_ms();
		st->req_waiting_ms  = 0;
		if (r == NULL) {
			sn_counter_add(st->bus->c_malformed, 1);
			continue;
		}
		if (r->error != NULL && r->error[0] != '\0') {
			sn_log(SN_LOG_WARN, "replay refused", "publisher",
			    st->name, "error", r->error, NULL);
			st->probe           = true; /* ask again */
			st->replay_inflight = true;
			uv_timer_start(&st->rtimer, on_replay_timer, 1000, 0);
			sn__bus__v1__replay_reply__free_unpacked(r, NULL);
			continue;
		}
		if (!reply_authentic(st, r)) {
			sn__bus__v1__replay_reply__free_unpacked(r, NULL);
			continue;
		}
		claims_check(st, r->latest_sequence);
		size_t got = 0;
		for (size_t i = 0; i < r->n_events && !st->halted; i++) {
			if (stream_offer(st, r->events[i]))
				got++;
		}
		sn_counter_add(st->c_replayed, got);
		if (!st->halted && r->n_events == 0
		    && st->known_head > st->queued_to
		    && r->oldest_sequence > st->queued_to + 1)
			stream_halt(st,
			    "events needed are past the publisher's "
			    "retention");
		sn__bus__v1__replay_reply__free_unpacked(r, NULL);
	}
	stream_maybe_replay(st);
	stream_maybe_apply(st);
}

static struct handler *
find_handler(struct stream *st, const char *type)
{
	struct handler *any = NULL;
	for (struct handler *h = st->handlers; h != NULL; h = h->next) {
		if (strcmp(h->topic, type) == 0)
			return h;
		if (h->topic[0] == '\0')
			any = h;
	}
	return any;
}

/* The handler a queued event goes to in this instance: NULL when its
 * subject falls to another partition or no handler takes its type. */
static struct handler *
handler_of(struct stream *st, const struct qev *q)
{
	const sn_bus *bus = st->bus;
	if (bus->cfg.part_count > 1
	    && hash32(q->ev.subject) % bus->cfg.part_count
	        != bus->cfg.part_index)
		return NULL;
	return find_handler(st, q->ev.type);
}

/* Whether a handler of this follower would see any queued event. */
static bool
queue_handled(struct stream *st)
{
	for (struct qev *q = st->qhead; q != NULL; q = q->next)
		if (handler_of(st, q) != NULL)
			return true;
	return false;
}

static void apply_next(sn_tx *tx, void *arg);

static void
decoded_clear(struct stream *st)
{
	while (st->decoded != NULL) {
		struct decoded *d = st->decoded;
		st->decoded       = d->next;
		protobuf_c_message_free_unpacked(d->msg, NULL);
		free(d);
	}
}

/* Decodes the event for a table handler; SN_EPROTO if it does not. */
static sn_err
apply_decoded(
    struct stream *st, sn_tx *tx, struct handler *h, const sn_event *ev)
{
	struct decoded *d = malloc(sizeof(*d));
	if (d == NULL)
		return SN_ENOMEM;
	d->msg = protobuf_c_message_unpack(h->desc, NULL, ev->len, ev->data);
	if (d->msg == NULL) {
		free(d);
		st->undecodable = true;
		return SN_EPROTO;
	}
	d->next     = st->decoded;
	st->decoded = d;
	return h->mfn(tx, ev, d->msg, h->arg);
}

/* A debug line per event handed to a handler (with the request id that
 * appended it, set by the caller). */
static void
applying_log(const struct stream *st, const struct qev *q)
{
	if (!sn_log_enabled(SN_LOG_DEBUG))
		return;
	char seq[24];
	snprintf(
	    seq, sizeof(seq), "%llu", (unsigned long long) q->ev.sequence);
	sn_log(SN_LOG_DEBUG, "applying event", "publisher", st->name,
	    "sequence", seq, "type", q->ev.type, "subject", q->ev.subject,
	    NULL);
}

static void
cursor_checked(sn_tx *tx, PGresult *res, void *arg)
{
	struct stream *st = arg;
	if (sn_rows_affected(res) != 1) {
		sn_log(SN_LOG_ERROR, "cursor moved by someone else; reloading",
		    "publisher", st->name, NULL);
		sn_tx_rollback(tx, SN_ECONFLICT);
		return;
	}
	sn_tx_commit(tx);
}

/* Whether a batch that changes nothing may be passed over without
 * writing the cursor row: not once the row has been behind for
 * IDLE_STORE_MS. */
static bool
pass_due(const struct stream *st, uint64_t now)
{
	return st->committed == st->stored
	    || now - st->stored_behind_ms < IDLE_STORE_MS;
}

static void
apply_next(sn_tx *tx, void *arg)
{
	struct stream *st  = arg;
	sn_bus        *bus = st->bus;
	while (st->cur != NULL && st->batch_n < bus->cfg.apply_batch) {
		struct qev *q = st->cur;
		if (st->stop_before != 0 && q->ev.sequence >= st->stop_before)
			break;
		st->cur = q->next;
		st->batch_n++;
		st->batch_last    = q->ev.sequence;
		struct handler *h = handler_of(st, q);
		if (h == NULL)
			continue;
		st->undecodable = false;
		/* The handler works for the request that appended the event:
		 * its lines, its queries' callbacks (sn_db keeps the id) and
		 * the events it appends name it. */
		char prev[SN_LOG_REQUEST_ID_MAX + 1];
		sn_log_swap_request_id(q->ev.request_id, prev);
		applying_log(st, q);
		sn_err err = h->desc != NULL ? apply_decoded(st, tx, h, &q->ev)
		                             : h->fn(tx, &q->ev, h->arg);
		sn_log_set_request_id(prev);
		if (err == SN_EPROTO) {
			/* Never passed over: the batch is applied again up
			 * to this event, and then the stream halts. */
			snprintf(st->stop_reason, sizeof(st->stop_reason),
			    "event %llu (%.80s) %s",
			    (unsigned long long) q->ev.sequence, q->ev.type,
			    st->undecodable ? "does not decode"
			                    : "was refused as malformed");
			st->stop_before = q->ev.sequence;
			sn_counter_add(bus->c_malformed, 1);
			sn_tx_rollback(tx, SN_EPROTO);
			return;
		} else if (err != SN_OK) {
			sn_tx_rollback(tx, err);
			return;
		}
		if (sn_tx_failed(tx))
			return;
		if (sn_tx_waiting(tx) > 0) {
			/* The handler reads before it writes: the next
			 * event waits for its answer. */
			sn_tx_then(tx, apply_next, st);
			return;
		}
	}
	if (st->batch_n > 0 && sn_tx_untouched(tx)
	    && pass_due(st, sn_now_ms())) {
		/* Its handlers wrote nothing: passed over as a batch no
		 * handler takes, the transaction rolled back, not committed
		 * for the cursor alone (apply_done takes it as applied). */
		st->passing = true;
		sn_tx_rollback(tx, SN_ECLOSED);
		return;
	}
	char last[24], prev[24];
	snprintf(
	    last, sizeof(last), "%llu", (unsigned long long) st->batch_last);
	snprintf(prev, sizeof(prev), "%llu", (unsigned long long) st->stored);
	const char *v[5] = { st->name, bus->part, last, prev, st->epoch };
	if (sn_tx_query(tx, SQL_CURSOR_SET, 5, v, cursor_checked, st) != SN_OK)
		sn_tx_rollback(tx, SN_EDB);
}

static void
apply_begin(sn_tx *tx, void *arg)
{
	struct stream *st = arg;
	st->tx            = tx;
	st->cur           = st->qhead;
	st->batch_n       = 0;
	st->batch_last    = st->committed;
	apply_next(tx, st);
}

static void stream_load(struct stream *st);

/* The stream's retry timer: a cursor that could not be read is read
 * again; a batch that could not be applied is applied again. */
static void
on_apply_retry(uv_timer_t *t)
{
	struct stream *st = t->data;
	if (st->halted && !st->halt_recorded) {
		halt_record(st);
		return;
	}
	if (st->halted) {
		/* Has an operator cleared the halt? */
		st->loaded = false;
		stream_load(st);
		return;
	}
	if (!st->loaded)
		stream_load(st);
	else
		stream_maybe_apply(st);
}

static void
queue_clear(struct stream *st)
{
	while (st->qhead != NULL) {
		struct qev *q = st->qhead;
		st->qhead     = q->next;
		st->bus->queued_bytes -= q->size;
		free(q);
	}
	st->qtail = NULL;
	st->qlen  = 0;
	held_clear(st);
}

/* apply_serial: whether stream a goes before b for the lane: the one
 * whose oldest queued event is older (the envelopes' times, each its
 * outbox row's, one format: they compare as text); one with nothing
 * queued (its cursor row due) before either. */
static bool
lane_before(const struct stream *a, const struct stream *b)
{
	if (a->qhead == NULL || b->qhead == NULL)
		return a->qhead == NULL && b->qhead != NULL;
	return strcmp(a->qhead->ev.time, b->qhead->ev.time) < 0;
}

/* The most streams lane_pass orders at once (a follower follows a
 * dozen publishers at most); those past it ask again at the next. */
#define LANE_MAX 64

/*
 * apply_serial: the lane is free; it is offered to the streams that
 * asked for it, oldest first (lane_before; ties: the streams after
 * `after` first, `after` itself last). The streams are then applied in
 * about the order their events happened, whatever their volumes: taking
 * turns instead, a thin stream (verification's answers) kept up while a
 * thick one (intake's submissions) fell behind, and a follower that
 * joins one stream's events to another's (supervision's households,
 * linked by application.submitted) met the answer before the
 * submission, and wrote it twice.
 */
static void
lane_pass(sn_bus *bus, struct stream *after)
{
	struct stream *want[LANE_MAX];
	size_t         n = 0;
	struct stream *first
	    = after->next != NULL ? after->next : bus->streams;
	struct stream *st = first;
	do {
		if (st->lane_wanted && n < LANE_MAX) {
			size_t i = n++;
			for (; i > 0 && lane_before(st, want[i - 1]); i--)
				want[i] = want[i - 1];
			want[i] = st;
		}
		st = st->next != NULL ? st->next : bus->streams;
	} while (st != first);
	for (size_t i = 0; i < n && bus->applying == 0; i++)
		if (want[i]->lane_wanted)
			stream_maybe_apply(want[i]);
}

/* apply_serial: true if another stream asked for the lane. */
static bool
lane_asked(const sn_bus *bus, const struct stream *self)
{
	for (const struct stream *st = bus->streams; st != NULL; st = st->next)
		if (st != self && st->lane_wanted)
			return true;
	return false;
}

/* An apply made room under the byte budget: the sub watches paused by it
 * read their inboxes again. */
static void
inbox_resume(sn_bus *bus)
{
	if (bus->closing || bus->draining || hold_over(bus))
		return;
	for (struct stream *st = bus->streams; st != NULL; st = st->next)
		if (st->inbox_paused) {
			st->inbox_paused = false;
			sn_nngwatch_resume(st->wsub);
		}
}

static void
apply_done(sn_err err, void *arg)
{
	struct stream *st  = arg;
	sn_bus        *bus = st->bus;
	/* Passed over: no transaction, or one rolled back unchanged. */
	bool passed = st->passing;
	if (passed)
		err = SN_OK;
	st->applying = false;
	st->passing  = false;
	st->tx       = NULL;
	bus->applying--;
	st->yield = bus->cfg.apply_serial;
	decoded_clear(st);
	/* Closing, sn_bus_close has emptied the queue already. */
	if (err == SN_OK && !bus->closing) {
		for (size_t i = 0; i < st->batch_n; i++) {
			struct qev *q = st->qhead;
			st->qhead     = q->next;
			bus->queued_bytes -= q->size;
			free(q);
		}
		if (st->qhead == NULL)
			st->qtail = NULL;
		st->qlen -= st->batch_n;
		if (st->committed == st->stored)
			st->stored_behind_ms = sn_now_ms();
		st->committed = st->batch_last;
		if (!passed) /* the transaction wrote the row */
			st->stored = st->batch_last;
		inbox_resume(bus);
		sn_counter_add(st->c_consumed, st->batch_n);
		st->backoff_ms = 0;
		if (st->batch_n > 0)
			st->applied_ms = sn_now_ms();
		stream_watch(st);
	}
	if (bus->closing) {
		/* nothing more */
	} else if (st->halted) {
		halt_settle(st);
	} else if (err == SN_OK || err == SN_EPROTO) {
		held_drain(st);
		stream_maybe_replay(st);
		stream_maybe_apply(st);
	} else if (err == SN_ECONFLICT) {
		/* Another instance moved the cursor (cursor_checked said so),
		 * or a handler's statement met a unique key (SQLSTATE 23505,
		 * which db.c logs only at debug): read the cursor again and
		 * apply from there, backing off as below, so that a conflict
		 * that repeats on every attempt is said and is not a busy
		 * loop against the database. */
		queue_clear(st);
		st->loaded     = false;
		st->backoff_ms = st->backoff_ms ? st->backoff_ms * 2 : 0;
		if (st->backoff_ms > BACKOFF_MAX_MS)
			st->backoff_ms = BACKOFF_MAX_MS;
		if (st->backoff_ms == 0) {
			st->backoff_ms = BACKOFF_MIN_MS;
			stream_load(st);
		} else {
			sn_log(SN_LOG_WARN,
			    "applying events met a conflict again; reloading "
			    "the cursor after a pause",
			    "publisher", st->name, NULL);
			uv_timer_start(
			    &st->timer, on_apply_retry, st->backoff_ms, 0);
		}
	} else {
		st->backoff_ms
		    = st->backoff_ms ? st->backoff_ms * 2 : BACKOFF_MIN_MS;
		if (st->backoff_ms > BACKOFF_MAX_MS)
			st->backoff_ms = BACKOFF_MAX_MS;
		if (err != SN_ECLOSED)
			sn_log(SN_LOG_WARN,
			    "applying events failed; will retry", "publisher",
			    st->name, "error", sn_strerror(err), NULL);
		uv_timer_start(&st->timer, on_apply_retry, st->backoff_ms, 0);
	}
	st->yield = false;
	if (bus->cfg.apply_serial && !bus->closing)
		lane_pass(bus, st);
	drain_check(bus);
}

/* A batch of events no handler takes, passed over without a
 * transaction while the cursor row has been behind for less than
 * IDLE_STORE_MS; false when it is due, and the batch's transaction is
 * to write it. */
static bool
stream_pass_over(struct stream *st, uint64_t now)
{
	sn_bus *bus = st->bus;
	if (!pass_due(st, now))
		return false;
	st->batch_n         = 0;
	st->batch_last      = st->committed;
	const struct qev *q = st->qhead;
	for (; q != NULL && st->batch_n < bus->cfg.apply_batch; q = q->next) {
		if (st->stop_before != 0 && q->ev.sequence >= st->stop_before)
			break;
		st->batch_n++;
		st->batch_last = q->ev.sequence;
	}
	st->waited      = false;
	st->lane_wanted = false; /* no transaction: no lane */
	st->applying    = true;
	st->passing     = true;
	bus->applying++;
	apply_done(SN_OK, st);
	return true;
}

static void
stream_maybe_apply(struct stream *st)
{
	sn_bus *bus = st->bus;
	if (st->store_armed
	    && (st->qlen > 0 || !uv_is_active((uv_handle_t *) &st->timer))) {
		/* Events came (their batch writes the row), or it is due. */
		uv_timer_stop(&st->timer);
		st->store_armed = false;
	}
	/* Nothing queued, and events passed over: their cursor row. */
	bool store = st->qlen == 0 && st->committed > st->stored;
	if (st->applying || st->halted || (st->qlen == 0 && !store)
	    || bus->closing || bus->draining
	    || uv_is_active((uv_handle_t *) &st->timer))
		return;
	uint64_t now = sn_now_ms();
	if (store && now - st->stored_behind_ms < IDLE_STORE_MS) {
		st->store_armed = true;
		uv_timer_start(&st->timer, on_apply_retry,
		    IDLE_STORE_MS - (now - st->stored_behind_ms), 0);
		return;
	}
	if (!store && st->stop_before != 0
	    && st->qhead->ev.sequence >= st->stop_before) {
		stream_halt(st, st->stop_reason);
		return;
	}
	bool handled = store || queue_handled(st);
	if (!store && bus->cfg.apply_wait_ms > 0
	    && st->qlen < bus->cfg.apply_batch && !st->waited) {
		/* Let the batch fill: on_apply_retry applies when it ends. A
		 * batch that would only move the cursor waits longer. */
		st->waited = true;
		uv_timer_start(&st->timer, on_apply_retry,
		    handled ? bus->cfg.apply_wait_ms
		            : bus->cfg.apply_wait_ms * IDLE_WAIT_X,
		    0);
		return;
	}
	if (!handled && stream_pass_over(st, now))
		return;
	if (bus->cfg.apply_serial
	    && (bus->applying > 0 || (st->yield && lane_asked(bus, st)))) {
		st->lane_wanted = true; /* lane_pass offers it when free */
		return;
	}
	st->lane_wanted = false;
	st->waited      = false;
	st->applying    = true;
	bus->applying++;
	sn_db_tx(bus->db, apply_begin, apply_done, st);
}

static void
cursor_loaded(sn_err err, PGresult *res, void *arg)
{
	struct stream *st = arg;
	st->loading       = false;
	if (st->bus->closing) { /* closed while it was read */
		stream_unref(st);
		return;
	}
	stream_unref(st); /* the timers still hold it */
	if (err != SN_OK || res == NULL) {
		/* The database is not there yet; the retry timer reads the
		 * cursor again (until it does, nothing of the stream is
		 * applied or asked for). */
		sn_log(SN_LOG_WARN, "cannot read the cursor; will retry",
		    "publisher", st->name, "error", sn_strerror(err), NULL);
		uv_timer_start(&st->timer, on_apply_retry, 500, 0);
		return;
	}
	cursor_row c = { 0 };
	sn_err rerr = sn_rows_one(res, cursor_cols, SN_NCOLS(cursor_cols), &c);
	if (rerr != SN_OK && rerr != SN_ENOTFOUND) {
		uv_timer_start(&st->timer, on_apply_retry, 500, 0);
		return;
	}
	st->loaded      = true;
	st->ever_loaded = true;
	if (c.has_halt) {
		/* Halted, by us or before a restart: wait for the operator. */
		if (!st->halted)
			sn_log(SN_LOG_ERROR,
			    "bus stream halted; resolve with sn-bus",
			    "publisher", st->name, "reason", c.halted_reason,
			    "since", c.has_at ? c.halted_at : "", NULL);
		if (!st->halted)
			sn_counter_add(st->c_alarms, 1);
		st->halted        = true;
		st->halt_recorded = true;
		snprintf(st->halt_reason, sizeof(st->halt_reason), "%s",
		    c.halted_reason);
		sn_gauge_set(st->g_halted, 1);
		uv_timer_start(&st->timer, on_apply_retry, HALT_POLL_MS, 0);
		return;
	}
	if (st->halted)
		sn_log(SN_LOG_INFO, "bus stream resumed", "publisher",
		    st->name, NULL);
	st->halted    = false;
	st->committed = rerr == SN_OK ? (uint64_t) c.last_seq : 0;
	st->stored    = st->committed;
	st->queued_to = st->committed;
	memset(st->seen, 0, sizeof(st->seen)); /* the cursor's row changed */
	snprintf(
	    st->epoch, sizeof(st->epoch), "%s", c.has_epoch ? c.epoch : "");
	st->stop_before = 0;
	st->claim = st->claim_sent = 0;
	st->behind = st->behind_sent = false;
	st->suspect = st->suspect_sent = false;
	st->known_head                 = st->committed;
	st->nmarks                     = 0;
	stream_watch(st);
	st->distrust_until = 0;
	st->distrust_ms    = 0;
	sn_gauge_set(st->g_halted, 0);
	st->probe = true;
	/* A request of before the reload is abandoned by the next one. */
	st->replay_inflight = false;
	uv_timer_stop(&st->rtimer);
	stream_maybe_replay(st);
}

static void
stream_load(struct stream *st)
{
	if (st->loading || st->bus->closing)
		return;
	st->loading = true;
	st->open++;
	st->bus->open_handles++;
	const char *v[2] = { st->name, st->bus->part };
	sn_db_query(st->bus->db, SQL_CURSOR_GET, 2, v, cursor_loaded, st);
}

/* ---- public ---------------------------------------------------------------
 */

static sn_err
nng_fail(const char *what, int rv)
{
	sn_log(SN_LOG_ERROR, "bus socket failed", "step", what, "error",
	    nng_strerror(rv), NULL);
	return SN_ENNG;
}

/* On one of NNG's threads: a follower's SUB connected to the PUB socket,
 * or its connection went. */
static void
pub_pipe_event(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	sn_bus *bus = arg;
	(void) pipe;
	atomic_fetch_add(&bus->followers, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
}

sn_err
sn_bus_open(sn_bus **out, sn_loop *loop, sn_db *db, sn_metrics *m,
    const sn_bus_config *cfg)
{
	sn_bus *bus = calloc(1, sizeof(*bus));
	if (bus == NULL)
		return SN_ENOMEM;
	atomic_init(&bus->inbox.bytes, 0);
	atomic_init(&bus->inbox.msgs, 0);
	atomic_init(&bus->inbox.msgs_max, 0);
	atomic_init(&bus->inbox.dropped, 0);
	atomic_init(&bus->followers, 0);
	bus->loop    = loop;
	bus->db      = db;
	bus->metrics = m;
	bus->cfg     = *cfg;
	if (!bus->cfg.heartbeat_ms)
		bus->cfg.heartbeat_ms = 1000;
	if (!bus->cfg.relay_batch)
		bus->cfg.relay_batch = 1000;
	if (!bus->cfg.relay_poll_ms)
		bus->cfg.relay_poll_ms = 50;
	if (!bus->cfg.retention_days)
		bus->cfg.retention_days = 30;
	if (!bus->cfg.retention_first_ms)
		bus->cfg.retention_first_ms = 60000;
	if (!bus->cfg.apply_batch)
		bus->cfg.apply_batch = 500;
	if (!bus->cfg.queue_max)
		bus->cfg.queue_max = 20000;
	if (!bus->cfg.reorder_max)
		bus->cfg.reorder_max = 262144;
	if (!bus->cfg.queue_bytes)
		bus->cfg.queue_bytes = 32u << 20;
	bus->inbox.max = bus->cfg.queue_bytes;
	if (!bus->cfg.part_count)
		bus->cfg.part_count = 1;
	snprintf(bus->part, sizeof(bus->part), "%u/%u", bus->cfg.part_index,
	    bus->cfg.part_count);
	bus->c_published
	    = sn_metrics_counter(m, "sn_bus_events_published_total",
	        "Events this service published on its PUB socket.", NULL);
	bus->c_malformed
	    = sn_metrics_counter(m, "sn_bus_events_malformed_total",
	        "Bus messages or events dropped as malformed.", NULL);
	bus->c_replay_served = sn_metrics_counter(m,
	    "sn_bus_replay_served_total",
	    "Events this service sent in answer to replay requests.", NULL);
	bus->c_replay_requests
	    = sn_metrics_counter(m, "sn_bus_replay_requests_total",
	        "Replay requests this service received (answered or refused).",
	        NULL);
	bus->c_replay_unseen = sn_metrics_counter(m,
	    "sn_bus_replay_unseen_total",
	    "Replay requests the heartbeat found waiting while the socket's "
	    "descriptor did not show them (a lost wake-up).",
	    NULL);
	bus->g_backlog       = sn_metrics_gauge(m, "sn_bus_outbox_backlog",
	          "Outbox rows still waiting for a sequence.", NULL);
	bus->g_held_max      = sn_metrics_gauge(m, "sn_bus_held_bytes_max",
	         "The most bytes of followed events held at once, queued and in"
	              " reorder buffers (SN_BUS_QUEUE_BYTES bounds them).",
	         NULL);
	bus->g_inbox_max     = sn_metrics_gauge(m, "sn_bus_inbox_held_max",
	        "The most live events held at once in the followers' inboxes, "
	            "received while the loop was busy (SN_BUS_QUEUE_BYTES bounds "
	            "their bytes).",
	        NULL);
	bus->c_inbox_dropped
	    = sn_metrics_counter(m, "sn_bus_inbox_dropped_total",
	        "Live events dropped because the followers' inboxes held "
	        "SN_BUS_QUEUE_BYTES (replay recovers them).",
	        NULL);
	bus->open_handles = 1; /* the bus itself, dropped by close */
	uv_timer_init(sn_loop_uv(loop), &bus->heartbeat);
	uv_timer_init(sn_loop_uv(loop), &bus->relay_timer);
	uv_timer_init(sn_loop_uv(loop), &bus->relay_delay);
	bus->relay_delay.data = bus;
	uv_timer_init(sn_loop_uv(loop), &bus->retention);
	bus->heartbeat.data = bus->relay_timer.data = bus->retention.data
	    = bus;
	bus->open_handles += 4;
	if (cfg->publisher != NULL) {
		int rv;
		bus->publishes = true;
		bus->publisher = strdup(cfg->publisher);
		if (bus->publisher == NULL)
			goto fail;
		if ((rv = nng_pub0_open(&bus->pub)) != 0) {
			nng_fail("pub open", rv);
			goto fail;
		}
		if (sn_nng_setup(bus->pub, 1 << 16, 8192) != SN_OK
		    || nng_pipe_notify(
		           bus->pub, NNG_PIPE_EV_ADD_POST, pub_pipe_event, bus)
		        != 0
		    || nng_pipe_notify(
		           bus->pub, NNG_PIPE_EV_REM_POST, pub_pipe_event, bus)
		        != 0)
			goto fail_pub;
		if ((rv = sn_listen_open(
		         &bus->lpub, loop, bus->pub, cfg->pub_url))
		    != 0) {
			sn_log(SN_LOG_ERROR, "cannot listen", "url",
			    cfg->pub_url, "error", nng_strerror(rv), NULL);
			goto fail_pub;
		}
		if ((rv = nng_rep0_open(&bus->rep)) != 0) {
			nng_fail("rep open", rv);
			goto fail_pub;
		}
		if (sn_nng_setup(bus->rep, 1 << 16, 0) != SN_OK
		    || nng_socket_set_ms(
		           bus->rep, NNG_OPT_SENDTIMEO, REP_SEND_MS)
		        != 0)
			goto fail_rep;
		if ((rv = sn_listen_open(
		         &bus->lrep, loop, bus->rep, cfg->replay_url))
		    != 0) {
			sn_log(SN_LOG_ERROR, "cannot listen", "url",
			    cfg->replay_url, "error", nng_strerror(rv), NULL);
			goto fail_rep;
		}
		if (sn_nngwatch_open(
		        &bus->wrep, loop, bus->rep, rep_ready, bus)
		    != SN_OK)
			goto fail_rep;
		/* Tests of rep_backstop: no wake-up ever reads a request. */
		if ((bus->rep_unwatched = failpoint("replay.unwatched")))
			sn_nngwatch_pause(bus->wrep);
		uv_timer_start(
		    &bus->heartbeat, on_heartbeat, 0, bus->cfg.heartbeat_ms);
		bus->poll_ms = bus->cfg.relay_poll_ms;
		uv_timer_start(&bus->relay_timer, on_relay_timer,
		    bus->cfg.relay_poll_ms, bus->cfg.relay_poll_ms);
		uv_timer_start(&bus->retention, on_retention,
		    bus->cfg.retention_first_ms, 3600u * 1000u);
	}
	*out = bus;
	return SN_OK;

fail_rep:
	sn_listen_close(bus->lrep);
	nng_close(bus->rep);
fail_pub:
	sn_listen_close(bus->lpub);
	nng_close(bus->pub);
fail:
	bus->publishes = false;
	free(bus->publisher);
	bus->publisher = NULL;
	bus->closing   = true;
	uv_close((uv_handle_t *) &bus->heartbeat, handle_closed);
	uv_close((uv_handle_t *) &bus->relay_timer, handle_closed);
	uv_close((uv_handle_t *) &bus->relay_delay, handle_closed);
	uv_close((uv_handle_t *) &bus->retention, handle_closed);
	bus->open_handles--; /* freed by the last close callback */
	return SN_ENNG;
}

static struct stream *
stream_find(const sn_bus *bus, const char *publisher)
{
	for (struct stream *st = bus->streams; st != NULL; st = st->next)
		if (strcmp(st->name, publisher) == 0)
			return st;
	return NULL;
}

sn_err
sn_bus_follow(sn_bus *bus, const char *publisher, const char *pub_url,
    const char *replay_url)
{
	if (stream_find(bus, publisher) != NULL)
		return SN_ECONFLICT;
	struct stream *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return SN_ENOMEM;
	st->bus        = bus;
	st->name       = strdup(publisher);
	st->pub_url    = strdup(pub_url);
	st->replay_url = strdup(replay_url);
	if (st->name == NULL || st->pub_url == NULL || st->replay_url == NULL)
		goto fail_free;
	int rv;
	if ((rv = nng_sub0_open(&st->sub)) != 0) {
		nng_fail("sub open", rv);
		goto fail_free;
	}
	/* The whole stream: a sequence numbers every topic, so skipping a
	 * topic at the socket would look like loss. */
	if (nng_socket_set(st->sub, NNG_OPT_SUB_SUBSCRIBE, "", 0) != 0
	    || sn_nng_setup(st->sub, MSG_MAX, 0) != SN_OK
	    || nng_socket_set_int(st->sub, NNG_OPT_RECVBUF, 8192) != 0)
		goto fail_sub;
	if ((rv = sn_nng_dialer(st->sub, pub_url, publisher, NNG_FLAG_NONBLOCK,
	         &st->sub_dialer))
	    != 0) {
		sn_log(SN_LOG_ERROR, "cannot dial", "url", pub_url, "error",
		    nng_strerror(rv), NULL);
		goto fail_sub;
	}
	if ((rv = nng_req0_open(&st->req)) != 0) {
		nng_fail("req open", rv);
		goto fail_sub;
	}
	if (sn_nng_setup(st->req, MSG_MAX, 0) != SN_OK
	    || nng_socket_set_ms(
	           st->req, NNG_OPT_REQ_RESENDTIME, REPLAY_TIMEOUT_MS)
	        != 0)
		goto fail_req;
	if ((rv = sn_nng_dialer(st->req, replay_url, publisher,
	         NNG_FLAG_NONBLOCK, &st->req_dialer))
	    != 0) {
		sn_log(SN_LOG_ERROR, "cannot dial", "url", replay_url, "error",
		    nng_strerror(rv), NULL);
		goto fail_req;
	}
	/* Buffered: what comes while the loop applies a batch or is held
	 * up otherwise is kept (up to the byte budget), not dropped by NNG
	 * past its 8192 messages and then replayed. */
	if (sn_nngwatch_open_buffered(
	        &st->wsub, bus->loop, st->sub, &bus->inbox, sub_ready, st)
	    != SN_OK)
		goto fail_req;
	if (sn_nngwatch_open(&st->wreq, bus->loop, st->req, req_ready, st)
	    != SN_OK) {
		sn_nngwatch_close(st->wsub, true);
		nng_close(st->req);
		goto fail_free;
	}
	char labels[160];
	snprintf(labels, sizeof(labels), "publisher=\"%s\"", publisher);
	sn_metrics *m  = bus->metrics;
	st->c_consumed = sn_metrics_counter(m, "sn_bus_events_consumed_total",
	    "Events applied (cursor moved past them), by publisher.", labels);
	st->c_replayed = sn_metrics_counter(m, "sn_bus_events_replayed_total",
	    "Events recovered through replay requests, by publisher.", labels);
	st->c_skipped  = sn_metrics_counter(m, "sn_bus_events_skipped_total",
	     "Events received again and skipped as repeats, by publisher.",
	     labels);
	st->c_gaps     = sn_metrics_counter(m, "sn_bus_gaps_total",
	        "Gaps seen in a live stream, by publisher.", labels);
	st->c_unheld   = sn_metrics_counter(m, "sn_bus_events_unheld_total",
	      "Live events after a gap or a full queue dropped because the "
	        "reorder buffer was full (its window, 48 MiB, or "
	        "SN_BUS_QUEUE_BYTES); replay brings them, by publisher.",
	      labels);
	st->c_alarms   = sn_metrics_counter(m, "sn_bus_alarms_total",
	      "Streams halted (another epoch, a publisher behind our cursor,"
	        " an event that cannot be applied), by publisher.",
	      labels);
	st->c_unconfirmed
	    = sn_metrics_counter(m, "sn_bus_claims_unconfirmed_total",
	        "Heartbeats or live sequences that replay contradicted, by "
	        "publisher.",
	        labels);
	st->c_foreign_hb = sn_metrics_counter(m,
	    "sn_bus_heartbeats_foreign_total",
	    "Heartbeats of another source or epoch, dropped, by publisher.",
	    labels);
	st->g_halted     = sn_metrics_gauge(m, "sn_bus_stream_halted",
	        "1 while the stream is halted (sn-bus streams says why).", labels);
	st->c_redials    = sn_metrics_counter(m, "sn_bus_redials_total",
	       "Connections to the publisher given up and dialed again after "
	          "a silence, by publisher.",
	       labels);
	st->g_stuck      = sn_metrics_gauge(m, "sn_bus_nng_stuck",
	         "1 when a redial to the publisher never finished: NNG is stuck "
	              "in this process and it needs a restart, by publisher.",
	         labels);
	st->g_lag        = sn_metrics_gauge(m, "sn_bus_consumer_lag_events",
	           "Events of the publisher known (announced, answered or queued) "
	                  "and not applied yet.",
	           labels);
	st->g_age = sn_metrics_gauge(m, "sn_bus_oldest_unapplied_age_seconds",
	    "Seconds since the oldest event of the publisher not applied yet "
	    "was first known (0: none waits).",
	    labels);
	if (!bus->render_hooked
	    && sn_metrics_on_render(m, bus_render, bus) == SN_OK)
		bus->render_hooked = true;
	st->sub_heard_ms = st->sub_dialed_ms = st->req_dialed_ms = sn_now_ms();
	st->deaf = failpoint("sub.deaf");
	if (!uv_is_active((uv_handle_t *) &bus->heartbeat))
		uv_timer_start(&bus->heartbeat, on_heartbeat,
		    bus->cfg.heartbeat_ms, bus->cfg.heartbeat_ms);
	uv_timer_init(sn_loop_uv(bus->loop), &st->timer);
	uv_timer_init(sn_loop_uv(bus->loop), &st->rtimer);
	st->timer.data = st->rtimer.data = st;
	st->open                         = 2;
	bus->open_handles += 2;
	st->next     = bus->streams;
	bus->streams = st;
	stream_load(st);
	return SN_OK;

fail_req:
	nng_close(st->req);
fail_sub:
	nng_close(st->sub);
fail_free:
	free(st->name);
	free(st->pub_url);
	free(st->replay_url);
	free(st);
	return SN_ENNG;
}

sn_err
sn_bus_on(sn_bus *bus, const char *publisher, const char *topic,
    sn_bus_handler_fn fn, void *arg)
{
	struct stream *st = stream_find(bus, publisher);
	if (st == NULL)
		return SN_ENOTFOUND;
	struct handler *h = calloc(1, sizeof(*h));
	if (h == NULL || (h->topic = strdup(topic)) == NULL) {
		free(h);
		return SN_ENOMEM;
	}
	h->fn        = fn;
	h->arg       = arg;
	h->next      = st->handlers;
	st->handlers = h;
	return SN_OK;
}

sn_err
sn_bus_on_table(sn_bus *bus, const sn_bus_topic *table, size_t n, void *arg)
{
	for (size_t i = 0; i < n; i++) {
		const sn_bus_topic *t  = &table[i];
		struct stream      *st = stream_find(bus, t->publisher);
		if (st == NULL || t->desc == NULL || t->fn == NULL) {
			sn_log(SN_LOG_ERROR,
			    "bus: an event table row names no followed "
			    "publisher, message or handler",
			    "publisher", t->publisher, "topic", t->topic,
			    NULL);
			return st == NULL ? SN_ENOTFOUND : SN_EINVAL;
		}
		struct handler *h = calloc(1, sizeof(*h));
		if (h == NULL || (h->topic = strdup(t->topic)) == NULL) {
			free(h);
			return SN_ENOMEM;
		}
		h->desc      = t->desc;
		h->mfn       = t->fn;
		h->arg       = arg;
		h->next      = st->handlers;
		st->handlers = h;
	}
	return SN_OK;
}

uint64_t
sn_bus_published(const sn_bus *bus)
{
	return bus->published;
}

size_t
sn_bus_followers(const sn_bus *bus)
{
	int n = atomic_load(&((sn_bus *) bus)->followers);
	return n > 0 ? (size_t) n : 0;
}

bool
sn_bus_healthy(const sn_bus *bus, char *why, size_t cap)
{
	if (bus == NULL)
		return true;
	uint64_t now = sn_now_ms();
	for (const struct stream *st = bus->streams; st != NULL;
	     st                      = st->next) {
		uint64_t idle;
		if (st->stuck) {
			if (why != NULL && cap > 0)
				snprintf(why, cap,
				    "bus stream %s: NNG is stuck in this "
				    "process; restart it",
				    st->name);
			return false;
		}
		if (st->halted || !st->ever_loaded) {
			/* Until its cursor row is read, a stream may be one
			 * halted before a restart. */
			if (why != NULL && cap > 0)
				snprintf(why, cap, "bus stream %s %s%s",
				    st->name,
				    st->halted ? "halted: " : "not loaded yet",
				    st->halted ? st->halt_reason : "");
			return false;
		}
		if (stream_stalled(st, now, &idle)) {
			if (why != NULL && cap > 0)
				snprintf(why, cap,
				    "bus stream %s stalled: %llu events known "
				    "and none applied for %llu ms (SN_BUS_"
				    "STALL_MS %u)",
				    st->name,
				    (unsigned long long) (stream_head(st)
				        - st->committed),
				    (unsigned long long) idle,
				    (unsigned) st->bus->cfg.stall_ms);
			return false;
		}
	}
	return true;
}

uint64_t
sn_bus_cursor(const sn_bus *bus, const char *publisher)
{
	struct stream *st = stream_find(bus, publisher);
	return st ? st->committed : 0;
}

static void
drain_check(sn_bus *bus)
{
	if (!bus->draining || bus->drain_done == NULL)
		return;
	for (struct stream *st = bus->streams; st != NULL; st = st->next)
		if (st->applying)
			return;
	if (bus->relay_running)
		return;
	if (bus->numbering != NULL)
		return;
	if (bus->publishes && (bus->relay_again || bus->frames.n > 0)) {
		bus->relay_again = false;
		relay_kick(bus);
		return;
	}
	void (*done)(void *) = bus->drain_done;
	bus->drain_done      = NULL;
	done(bus->drain_arg);
}

static void
drain_final_pass(sn_bus *bus)
{
	/* One last relay pass picks up whatever committed before the
	 * drain began. */
	if (bus->publishes)
		bus->relay_again = true;
	drain_check(bus);
}

void
sn_bus_drain(sn_bus *bus, void (*done)(void *arg), void *arg)
{
	bus->draining   = true;
	bus->drain_done = done;
	bus->drain_arg  = arg;
	for (struct stream *st = bus->streams; st != NULL; st = st->next) {
		sn_nngwatch_pause(st->wsub);
		uv_timer_stop(&st->timer);
	}
	drain_final_pass(bus);
}

void
sn_bus_close(sn_bus *bus)
{
	if (bus == NULL)
		return;
	bus->closing = true;
	inbox_tell(bus);
	if (bus->render_hooked)
		sn_metrics_on_render_remove(bus->metrics, bus_render, bus);
	frameset_free(&bus->frames);
	/* Transactions still numbering outlive the bus: they end alone. */
	for (struct numbered *nb = bus->numbering; nb != NULL; nb = nb->next)
		nb->bus = NULL;
	bus->numbering = NULL;
	for (struct deferred *d = bus->deferring; d != NULL; d = d->next)
		d->bus = NULL;
	bus->deferring = NULL;
	if (bus->rep_req != NULL) {
		nng_msg_free(bus->rep_req);
		bus->rep_req = NULL;
	}
	if (bus->rreq != NULL) {
		sn__bus__v1__replay_request__free_unpacked(bus->rreq, NULL);
		bus->rreq = NULL;
	}
	while (bus->streams != NULL) {
		struct stream *st = bus->streams;
		bus->streams      = st->next;
		sn_nngwatch_close(st->wsub, true);
		sn_nngwatch_close(st->wreq, true);
		queue_clear(st);
		while (st->handlers != NULL) {
			struct handler *h = st->handlers;
			st->handlers      = h->next;
			free(h->topic);
			free(h);
		}
		/* st goes with its timers and its cursor read, if one is
		 * still in flight (stream_unref). */
		uv_close((uv_handle_t *) &st->timer, stream_timer_closed);
		uv_close((uv_handle_t *) &st->rtimer, stream_timer_closed);
	}
	if (bus->publishes) {
		sn_listen_close(bus->lrep);
		sn_listen_close(bus->lpub);
		sn_nngwatch_close(bus->wrep, true);
		nng_close(bus->pub);
	}
	free(bus->publisher);
	bus->publisher = NULL;
	uv_close((uv_handle_t *) &bus->heartbeat, handle_closed);
	uv_close((uv_handle_t *) &bus->relay_timer, handle_closed);
	uv_close((uv_handle_t *) &bus->relay_delay, handle_closed);
	uv_close((uv_handle_t *) &bus->retention, handle_closed);
	if (--bus->open_handles == 0)
		free(bus);
}
