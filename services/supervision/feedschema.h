/*
 * feedschema.h - the JSON Schemas (draft 2020-12) of the hub feed,
 * generated from the protobuf descriptors of every event type
 * supervision knows (events.h) and the feed's rules (feedjson.h), so
 * that the schemas in docs/feed/schemas/ cannot drift from what the feed
 * sends: `supervision --feed-schemas DIR` writes them, and the test
 * supervision.feed_schemas compares DIR with the committed files.
 *
 * Per type: an object with every field the feed keeps (each required:
 * pbjson.h writes every field), additionalProperties false; integers as
 * integers (64-bit exact, money in fen), enums by name, bytes as base64
 * strings, nested messages as objects (null when unset, and every member
 * of a oneof but the one set is null); identity and account numbers as
 * "hmac-sha256:<64 hex>" or ""; names and addresses absent. Plus
 * cloudevent.json, the attributes of every item.
 *
 * Pure apart from allocation and, in _write, the files; any thread.
 */
#ifndef SUPERVISION_FEEDSCHEMA_H
#define SUPERVISION_FEEDSCHEMA_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "sn/err.h"

/* The schema of the data of events of topic (message desc) at version:
 * a new reference, NULL on allocation failure or for a message with a
 * float or double field (no event carries one: money is never a float). */
json_t *supervision_feedschema_type(const char *topic, int64_t version,
    const ProtobufCMessageDescriptor *desc);

/* The schema of one feed item's attributes (cloudevent.json). */
json_t *supervision_feedschema_envelope(void);

/*
 * Writes into dir (which must exist) cloudevent.json and
 * "<type>.json" for every topic events.h knows at version 1, each
 * indented by two spaces with a final newline. 0 on success; 1 with a
 * line on stderr otherwise. For `supervision --feed-schemas DIR`.
 */
int supervision_feedschema_write(const char *dir);

#endif /* SUPERVISION_FEEDSCHEMA_H */
