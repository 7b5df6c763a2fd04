/*
 * sn/bus.h - the reliable event bus of design section 2.
 *
 * Publishing. A service appends an event to its outbox inside the same
 * transaction as the state change that caused it (sn_bus_append). After
 * the commit the relay wakes (it also polls, for rows written by other
 * processes of the same publisher), gives the rows without a sequence
 * the next dense sequence numbers in one statement under an advisory
 * lock, commits, and only then publishes each row on the PUB socket as
 * "<topic>\0<Envelope>". A row that commits after a higher-numbered one
 * simply gets a later sequence: nothing is skipped. A large batch
 * (sn_bus_append_batch, number_at_append) is numbered by its own
 * transaction instead, as its last statement under the same lock, and
 * published once that transaction commits. The replay endpoint
 * (REP) answers "from sequence N, up to M" out of the outbox; a heartbeat
 * carries the latest sequence every SN_BUS_HEARTBEAT_MS. Rows are kept
 * for the retention period, then deleted.
 *
 * Following. A service follows whole publisher streams. Each stream has
 * a cursor row (per publisher and partition) in the follower's schema.
 * Events are applied in order, in batches: one transaction runs the
 * handler of every event in the batch and moves the cursor past the last,
 * so an event's effects and its cursor commit together. A repeat is
 * skipped; a gap (or a heartbeat ahead of us) sends a replay request.
 * Live events after a gap are held in a bounded reorder buffer (the
 * reorder_max sequences after the queue's last, 48 MiB at most) while
 * replay fetches only what is missing, and join the queue in order once
 * it is filled; what falls outside is dropped and replayed later. So
 * every handler sees every event of the streams it follows exactly once
 * and in order, across crashes, restarts and dropped messages; different
 * publishers' streams are not ordered against each other.
 *
 * Handlers queue their SQL on the transaction they are given and return
 * SN_OK; a handler that must read before it writes queues a query with a
 * callback, and the next event waits for that callback. SN_EPROTO means
 * the event is malformed: the events before it are applied, and then the
 * stream halts (below); it is never passed over. Any other error, or a
 * failed transaction, rolls the batch back and retries it after a
 * backoff.
 *
 * Authenticity (design section 2 item 7). Each publisher has an epoch, a
 * random uuid made with its bus_publisher row, carried in every envelope,
 * heartbeat and replay answer. A stream adopts its publisher's epoch from
 * the first replay answer (asked at start-up) and records it in its
 * cursor row. An event is applied only if its source and epoch are the
 * stream's and it decodes. Anything else halts the stream: an event or
 * replay answer of another epoch (a recreated publisher), a replay answer
 * whose latest sequence is below the cursor (a publisher restored from a
 * backup), a message that does not decode, an event its table handler
 * cannot decode or its handler refuses with SN_EPROTO, events needed that
 * fell out of the publisher's retention. A halt logs an error, sets
 * sn_bus_stream_halted{publisher} to 1, counts sn_bus_alarms_total, makes
 * sn_bus_healthy (so /readyz) false, and is recorded in the cursor row
 * (halted_reason, halted_at), so that a restart does not resume; the
 * cursor never moves past an event that was not applied. The operator's
 * `sn-bus resync` clears the halt and sets the cursor; a halted stream
 * re-reads its row every 1.5 s and, once cleared, replays from there.
 *
 * Heartbeats and live sequences are claims: a heartbeat of another source
 * or epoch is dropped and counted (and makes the stream ask replay, which
 * tells a recreated publisher from a forgery); a claim ahead of the
 * stream (or behind its cursor) is checked by a replay request. When
 * replay's latest sequence contradicts a claim made before the request,
 * replay is trusted, a warning logged and sn_bus_claims_unconfirmed_total
 * counted, and claims are ignored for a growing time (1 s doubling to
 * 60 s), so a forged heartbeat costs a few requests, not a loop.
 *
 * The replay endpoint answers every request: an undecodable one, or one
 * from sequence 0 or beyond 2^63-1, gets `error` set and a warning line.
 *
 * With SN_PARTITION=i/N, only events whose subject hashes to i are handed
 * to handlers; the others just move the cursor.
 *
 * Everything runs on the loop thread.
 */
#ifndef SN_BUS_H
#define SN_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "sn/db.h"
#include "sn/err.h"
#include "sn/loop.h"
#include "sn/metrics.h"

typedef struct sn_bus sn_bus;

typedef struct sn_bus_config {
	/* This service's publisher name; NULL when it publishes nothing. */
	const char *publisher;
	const char *pub_url;       /* where the PUB socket listens */
	const char *replay_url;    /* where the replay REP socket listens */
	uint32_t    heartbeat_ms;  /* 0: 1000 */
	uint32_t    relay_batch;   /* rows per relay pass; 0: 1000 */
	uint32_t    relay_poll_ms; /* 0: 50 */
	/* A commit that appended starts a relay pass this much later, so
	 * that the commits meanwhile share it; 0: at once. */
	uint32_t relay_wait_ms;
	/* An sn_bus_append_batch of at least this many events (and at most
	 * relay_batch), or a transaction that appended as many with
	 * sn_bus_append (at most relay_batch after its first 8), numbers them
	 * in its own transaction, as its last
	 * statements (after the rows still unnumbered that it sees),
	 * holding the outbox's lock from there to its commit, and sends
	 * them once it commits: each row is written once, where the relay
	 * would insert it unnumbered and update it. The events the same
	 * transaction appends after go with them. The transactions that do
	 * so commit one at a time, which suits a few large writers, not
	 * many small ones (those keep the relay and share its passes and
	 * their commits). 0: never. */
	uint32_t number_at_append;
	uint32_t retention_days; /* 0: 30 */
	/* The first retention pass after start (then hourly); 0: 60000. */
	uint32_t retention_first_ms;
	uint32_t apply_batch; /* events per apply tx; 0: 500 */
	/* When fewer than apply_batch events are queued, wait this long
	 * for more before applying them (once per batch), so that a batch
	 * fills while events trickle in; twenty times as long when no
	 * handler takes any of them (the batch only moves the cursor);
	 * 0: apply at once. */
	uint32_t apply_wait_ms;
	/* At most one apply transaction at a time over all the streams
	 * followed, which take turns: for a service whose handlers all
	 * write one row (supervision's events_head), so that a stream waits
	 * for it here and not inside PostgreSQL, where a transaction waiting
	 * on the row lock keeps every dead row of the database from being
	 * pruned until it ends. */
	bool     apply_serial;
	uint32_t queue_max; /* events queued per stream; 0: 20000 */
	/* Bytes of events held over all the streams followed, queued and
	 * in reorder buffers; past it live events are dropped and replayed
	 * later, and no replay is asked for while the queues alone reach
	 * it; 0: 32 MiB. */
	uint32_t queue_bytes;
	/* Live events held per stream after a gap while replay fills it
	 * (the reorder buffer's window, in sequences; at most 48 MiB of
	 * events are held whatever it is); 0: 262144. */
	uint32_t reorder_max;
	uint32_t part_index; /* SN_PARTITION i */
	uint32_t part_count; /* SN_PARTITION N; 0 means 1 */
	/* A followed stream with events known and none applied for longer
	 * than this makes sn_bus_healthy false ("stalled"); 0: never. */
	uint32_t stall_ms;
} sn_bus_config;

/* An event as a handler sees it. Borrowed for the handler's call only. */
typedef struct sn_event {
	const char    *source;
	uint64_t       sequence;
	const char    *id;
	const char    *type;
	const char    *subject;
	const char    *time;
	const char    *actor;
	uint32_t       schema_version;
	const uint8_t *data;
	size_t         len;
	/* The request id its publisher was handling when it appended it
	 * (Envelope.request_id), "" when none. The bus sets it as the
	 * thread's (sn_log_set_request_id) around the handler, and clears it
	 * after: the handler's log lines, its queries' callbacks and the
	 * events it appends carry it. */
	const char *request_id;
} sn_event;

/* An event to append to the outbox. Copied by sn_bus_append. */
typedef struct sn_event_out {
	const char    *type;    /* topic, e.g. "application.submitted" */
	const char    *subject; /* application or case id */
	const char    *actor;   /* user id, or "system" */
	uint32_t       schema_version;
	const uint8_t *data; /* the event's protobuf, serialized */
	size_t         len;
} sn_event_out;

typedef sn_err (*sn_bus_handler_fn)(sn_tx *tx, const sn_event *ev, void *arg);

/* The outbox, publisher and cursor tables, for sn_db_migrate. */
extern const sn_migration sn_bus_migrations[];
extern const size_t       sn_bus_nmigrations;

/*
 * Opens the bus on the loop and the pool: listens on pub_url and
 * replay_url if this service publishes, and starts the relay, the
 * heartbeat and the retention timers. Streams are added by sn_bus_follow.
 * The metrics registry is borrowed and must outlive the bus.
 */
sn_err sn_bus_open(sn_bus **out, sn_loop *loop, sn_db *db, sn_metrics *m,
    const sn_bus_config *cfg);

/*
 * Follows the stream of publisher, whose PUB socket is at pub_url and
 * replay endpoint at replay_url (dialled; NNG reconnects by itself). The
 * stream starts from the cursor stored in the database. Add handlers with
 * sn_bus_on before the loop runs.
 */
sn_err sn_bus_follow(sn_bus *bus, const char *publisher, const char *pub_url,
    const char *replay_url);

/*
 * Hands events of type topic from publisher to fn; topic "" takes every
 * type the stream carries that has no handler of its own. Events without
 * a handler move the cursor and nothing else.
 */
sn_err sn_bus_on(sn_bus *bus, const char *publisher, const char *topic,
    sn_bus_handler_fn fn, void *arg);

/*
 * A handler of decoded events: msg is the event's protobuf, unpacked with
 * the descriptor its table entry names. The bus owns msg and frees it when
 * the apply transaction ends (committed or not), so the handler and the
 * query callbacks it queues may read it and never free it. Cast it to the
 * message type the table names.
 */
typedef sn_err (*sn_bus_msg_fn)(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg);

/* One row of a service's event table. */
typedef struct sn_bus_topic {
	const char                       *publisher; /* "intake" */
	const char                       *topic; /* "application.submitted" */
	const ProtobufCMessageDescriptor *desc;  /* its message */
	sn_bus_msg_fn                     fn;
} sn_bus_topic;

/*
 * Hands the events of every row of table (n rows) to its fn, decoded, with
 * arg. An event whose body does not decode with the row's descriptor is
 * malformed (as SN_EPROTO from a handler: the stream halts before it)
 * and fn is not called. The publishers must be followed already.
 */
sn_err sn_bus_on_table(
    sn_bus *bus, const sn_bus_topic *table, size_t n, void *arg);

/*
 * Queues the outbox INSERT of ev on tx and wakes the relay when tx
 * commits. Only a transaction's first 8 events are queued at once: the
 * next ones are kept until its commit and inserted in one statement, in
 * order, numbered there (as a batch, sn_bus_append_batch) when the
 * transaction appended number_at_append or more in all. In a transaction
 * that has taken a savepoint (sn_tx_savepoint: a group commit's members)
 * the events are kept until its commit and inserted in one statement, in
 * order; undoing a savepoint drops those appended since. The row records the
 * calling thread's request id (sn_log_request_id; "" when none), which the
 * event carries to its followers. SN_EINVAL when this bus publishes nothing or
 * ev lacks a type.
 */
sn_err sn_bus_append(sn_bus *bus, sn_tx *tx, const sn_event_out *ev);

/*
 * Packs msg and appends it as an event of type topic, subject and actor
 * (schema version 1): sn_bus_append for a protobuf message. SN_ENOMEM.
 */
sn_err sn_bus_append_msg(sn_bus *bus, sn_tx *tx, const char *topic,
    const char *subject, const char *actor, const ProtobufCMessage *msg);

/*
 * Queues the outbox INSERTs of n events on tx as one statement (arrays
 * unnested: one round trip, however many), for set-based work such as
 * a payment run. The same rules as sn_bus_append; n == 0 does nothing.
 * A batch of number_at_append to relay_batch events (sn_bus_config), and
 * every event tx appends after it, is not inserted here but when tx
 * commits, numbered (its last statements; see there).
 */
sn_err sn_bus_append_batch(
    sn_bus *bus, sn_tx *tx, const sn_event_out *evs, size_t n);

/*
 * Starts draining: stops taking events from the streams, lets the apply
 * transactions in flight finish, runs the relay until no row is left
 * without a sequence, and then calls done. Further events are not applied.
 */
void sn_bus_drain(sn_bus *bus, void (*done)(void *arg), void *arg);

/* Closes the sockets and timers now and frees the bus later. NULL: no-op. */
void sn_bus_close(sn_bus *bus);

/* The highest sequence this publisher has published (for tests, metrics). */
uint64_t sn_bus_published(const sn_bus *bus);

/* The followers' SUB connections to this publisher's PUB socket now (for
 * a test that must not publish before its follower listens). Any
 * thread. */
size_t sn_bus_followers(const sn_bus *bus);

/*
 * Whether every followed stream is running: false when one is halted,
 * with "bus stream P halted: REASON" in why (cap bytes, NUL-terminated;
 * why may be NULL), and before a stream's cursor row was first read (it
 * may hold a halt from before a restart), and when one has stalled
 * (events known, none applied for longer than the config's stall_ms:
 * "bus stream P stalled: ..."). For /readyz. NULL bus: true.
 * Loop thread.
 */
bool sn_bus_healthy(const sn_bus *bus, char *why, size_t cap);

/* The committed cursor of a followed stream; 0 if unknown. */
uint64_t sn_bus_cursor(const sn_bus *bus, const char *publisher);

/* Only for tests of crash recovery: if the environment variable
 * SN_FAILPOINT names "relay.after_commit", the relay kills its own process
 * with SIGKILL after committing sequences and before publishing them;
 * "number.after_commit", a transaction that numbered its own events at
 * its commit does so once committed, before they are sent.
 * "replay.unwatched": replay requests are read only by the heartbeat's
 * backstop, never on a wake-up (bus.replay_backstop). */

#endif /* SN_BUS_H */
