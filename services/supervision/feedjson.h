/*
 * feedjson.h - one event of supervision's log as a hub sees it: a
 * CloudEvents 1.0 item (JSON format) whose data is pseudonymised for
 * that hub (issue 12 item 8; docs/feed.md is the contract).
 *
 * The rules, one for every event type, by field name alone
 * (supervision_pbjson_kind, pbjson.h):
 *   - PERSON and ACCOUNT fields (identity and account numbers, single or
 *     repeated): the value, opened if sealed (sn/seal.h, columns
 *     SUPERVISION_PERSON_COLUMN / SUPERVISION_ACCOUNT_COLUMN), becomes
 *     "hmac-sha256:" and the lower-case hex HMAC-SHA256 of "person:" or
 *     "account:" and the value under the hub's key; "" stays "";
 *   - NAME and ADDRESS fields are dropped (the member is absent);
 *   - everything else is kept (amounts, codes, division codes, dates),
 *     except that a resident identity number standing alone inside any
 *     other string (GB 11643, valid check character, not touching a
 *     letter or digit on either side: an id in free text or in a JSON
 *     evidence string) is replaced by its pseudonym too.
 * The hub's key is HMAC-SHA256 of "sn.feed.hub.v1:" and the hub's name
 * under the feed's master key (SN_SUPERVISION_FEED_KEY): two hubs get
 * different pseudonyms for one person, one hub always the same one, and
 * no hub can compute them (the key never leaves supervision).
 *
 * Pure apart from allocation; any thread.
 */
#ifndef SUPERVISION_FEEDJSON_H
#define SUPERVISION_FEEDJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pbjson.h"
#include "sn/err.h"
#include "sn/seal.h"

#define SUPERVISION_FEED_KEY_BYTES 32
/* "hmac-sha256:" and 64 hex digits, without the NUL. */
#define SUPERVISION_FEED_PSEUDONYM_LEN 76
/* Every type is "cn.safetynet.<topic>.v<schema version>". */
#define SUPERVISION_FEED_TYPE_PREFIX "cn.safetynet."
/* A type's dataschema is this and "<type>.json", the name of its file
 * in docs/feed/schemas/ and the schema's $id. */
#define SUPERVISION_FEED_SCHEMA_BASE "https://safetynet.invalid/feed/schemas/"

/* One row of the event log (schema/001_events.sql), borrowed. */
typedef struct supervision_feed_row {
	int64_t     pos;      /* the feed's cursor */
	const char *event_id; /* uuid */
	const char *source;   /* the publisher, "intake" */
	const char *type;     /* the topic, "application.submitted" */
	const char *subject;  /* "" when none */
	const char *time;     /* RFC 3339 */
	int64_t     schema_version;
	const char *data; /* events.data as JSON text */
} supervision_feed_row;

/* out = HMAC-SHA256 of label and name under key: the one derivation
 * of the feed's keys and secrets, each with a label of its own. */
void supervision_feedjson_derive(const uint8_t key[SUPERVISION_FEED_KEY_BYTES],
    const char *label, const char *name,
    uint8_t out[SUPERVISION_FEED_KEY_BYTES]);

/* The key of hub under master: label "sn.feed.hub.v1:". */
void supervision_feedjson_hub_key(
    const uint8_t master[SUPERVISION_FEED_KEY_BYTES], const char *hub,
    uint8_t out[SUPERVISION_FEED_KEY_BYTES]);

/* The pseudonym of plain (kind PERSON or ACCOUNT) under a hub's key. */
void supervision_feedjson_pseudonym(
    const uint8_t            key[SUPERVISION_FEED_KEY_BYTES],
    supervision_pbjson_class kind, const char *plain,
    char out[SUPERVISION_FEED_PSEUDONYM_LEN + 1]);

/*
 * Pseudonymises data (an event's body as events.data holds it) in place
 * by the rules above. seal opens sealed values (NULL: values are taken
 * as they are). SN_EPROTO for a sealed value that does not open (logged:
 * the keyring does not hold its key), SN_ENOMEM.
 */
sn_err supervision_feedjson_data(json_t *data,
    const uint8_t key[SUPERVISION_FEED_KEY_BYTES], const sn_seal *seal);

/*
 * *out = the CloudEvent of row for the hub whose key is key (a new
 * reference): specversion, id, source "/safetynet/<publisher>", type,
 * subject (absent when empty), time, datacontenttype, dataschema, the
 * extension snpos (the position as a decimal string) and data. An event
 * of a type this version does not know (its body kept undecoded) has no
 * data, datacontenttype nor dataschema: its bytes could hold personal
 * data that cannot be pseudonymised. Errors as supervision_feedjson_data,
 * and SN_EPROTO for data that is not JSON.
 */
sn_err supervision_feedjson_item(const supervision_feed_row *row,
    const uint8_t key[SUPERVISION_FEED_KEY_BYTES], const sn_seal *seal,
    json_t **out);

/* The CloudEvents type of topic at version into buf (cap bytes); false
 * if it does not fit. */
bool supervision_feedjson_type(
    const char *topic, int64_t version, char *buf, size_t cap);

#endif /* SUPERVISION_FEEDJSON_H */
