/*
 * supervision.h - what every module of the supervision service shares
 * (issue 12; design section 1): the service's state, the event as the
 * modules see it, and each module's entry points.
 *
 * Supervision follows every publisher's stream (it is the reference
 * follower), its own included, and owns the cross-programme view: the
 * log of every event (events.h; the household chain and the hub feed
 * read it), the audit hash chain, grievances, the 12388 link, anomaly
 * alerts and statistics. One instance: the feed is one total order, so
 * SN_PARTITION is not supported.
 *
 * Modules. Each module is a .c/.h pair named supervision_<module>_*, with
 * its own tables (its own numbered migrations in schema/) and its SQL in
 * its own file (a store.c per module would only move the strings away
 * from the one function that uses each). A module may have
 *   - a setup (timers, clients), run once from the service's setup;
 *   - an on_event hook, run for every event of every stream inside the
 *     apply transaction, after the event's row is in `events`: it queues
 *     its SQL on tx (reading first is allowed: queue a query with a
 *     callback; sn/bus.h waits for it before the next event). An error
 *     rolls the batch back and retries it; SN_EPROTO halts the stream
 *     (a malformed event), so return it only for that.
 *   - routes, listed in main.c's table with the supervision * as arg.
 * modules.c lists the hooks.
 *
 * Everything runs on the loop thread.
 */
#ifndef SUPERVISION_H
#define SUPERVISION_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "sn/bus.h"
#include "sn/db.h"
#include "sn/err.h"
#include "sn/http.h"
#include "sn/metrics.h"
#include "sn/seal.h"
#include "sn/service.h"

typedef struct supervision {
	sn_service    *svc;
	sn_db         *db;
	sn_bus        *bus;
	sn_http       *http;
	sn_metrics    *metrics;
	const sn_seal *seal; /* identity and account numbers at rest */
	/* Module state hangs off here; each module owns its pointer. */
	struct supervision_audit   *audit;
	struct supervision_feed    *feed;
	struct supervision_link    *link;
	struct supervision_anomaly *anomaly;
} supervision;

/*
 * One event as the modules see it, borrowed for the hook's call (and the
 * callbacks it queues, until the apply transaction ends).
 */
typedef struct supervision_event {
	const sn_event *ev; /* the envelope (source, sequence, ...) */
	const ProtobufCMessage
	    *msg; /* decoded; NULL for a type unknown here */
	/* The blind indexes (sn_seal_index, column SUPERVISION_PERSON_COLUMN)
	 * of every resident identity number the event carries, as a
	 * PostgreSQL text[] literal ("{}" when none). */
	const char *persons;
} supervision_event;

/* The column name the blind indexes and sealed values of identity and
 * account numbers are made under, everywhere in supervision. */
#define SUPERVISION_PERSON_COLUMN "supervision.person"
#define SUPERVISION_ACCOUNT_COLUMN "supervision.account"

typedef sn_err (*supervision_event_fn)(
    supervision *s, sn_tx *tx, const supervision_event *e);

typedef struct supervision_module {
	const char *name;
	sn_err (*setup)(supervision *s);  /* NULL: none */
	supervision_event_fn on_event;    /* NULL: none */
	void (*teardown)(supervision *s); /* NULL: none */
} supervision_module;

/* modules.c: every module, in the order their hooks run. */
extern const supervision_module supervision_modules[];
extern const size_t             supervision_nmodules;

#endif /* SUPERVISION_H */
