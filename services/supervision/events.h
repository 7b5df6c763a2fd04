/*
 * events.h - supervision's event log: every event of every followed
 * stream, its own included, in one dense order.
 *
 * Each event is applied once (sn/bus.h) into `events`: its envelope, its
 * body as JSON (pbjson.h: identity and account numbers sealed, their
 * blind indexes in `persons`) and its position `pos`, 1, 2, 3 ... with no
 * gap, given in the applying transaction by bumping one counter row, so
 * that positions follow commit order across the streams (the rule of
 * design section 2 item 2: a row that commits after a higher-numbered one
 * is never skipped by a reader of positions). Then every module's
 * on_event hook runs in the same transaction (supervision.h).
 *
 * An event of a type this version does not know is kept with its body
 * as base64 (data {"undecoded": "..."}) and handed to the modules with
 * msg NULL: a newer publisher does not stop supervision. A known type
 * that does not decode halts its stream (sn/bus.h).
 */
#ifndef SUPERVISION_EVENTS_H
#define SUPERVISION_EVENTS_H

#include <protobuf-c/protobuf-c.h>

#include "supervision.h"

/* The publishers supervision follows, NULL-ended: every service that
 * publishes, supervision itself included. */
extern const char *const supervision_publishers[];

/* The message of a topic, or NULL for a type this version does not know. */
const ProtobufCMessageDescriptor *supervision_events_descriptor(
    const char *topic);

/* The i-th topic this version knows (0, 1, ...), NULL past the last:
 * for the hub feed's JSON Schemas (feedschema.h). */
const char *supervision_events_topic(size_t i);

/* Adds the handlers of every followed stream. From the service's setup. */
sn_err supervision_events_follow(supervision *s);

#endif /* SUPERVISION_EVENTS_H */
