/*
 * feed.h - the hub feed (issue 12 item 8): supervision's event log as
 * CloudEvents 1.0 a hub in any language can follow losslessly. The
 * contract for hubs is docs/feed.md; the JSON of one item and the
 * pseudonymisation are feedjson.h, the schemas feedschema.h, the webhook
 * push feedpush.h.
 *
 * GET /feed?after=&limit=&wait=&hub= (roles hub, supervisor): the events
 * whose position (events.pos, dense and in commit order) is above after,
 * in order, at most limit (1..1000, default 100), as
 *   {"events": [CloudEvent...], "next_cursor": "<pos>",
 *    "oldest_cursor": "<pos>", "feed_epoch": "<uuid>"}
 * next_cursor being the last item's position (after itself when none).
 * When nothing lies above after and wait (seconds, 0..30, default 0) is
 * given, the request is held until events commit (the apply transaction
 * that inserted them wakes it: sn_tx_on_commit, with a poll of the head
 * each second as a safety net) or the wait runs out (an empty page).
 * A cursor below the retention horizon is 410 cursor_expired naming
 * oldest_cursor; one beyond the log's head is 409 cursor_ahead (a log
 * restored or recreated: see feed_epoch). A hub's pseudonyms are under
 * the key of its own name (the token's subject); a supervisor sees the
 * feed as the hub named by hub= (default: its own name), to inspect it.
 *
 * Retention: events are served for at least SN_SUPERVISION_FEED_RETENTION_
 * DAYS (default 400) after supervision took them in; a job every
 * SN_SUPERVISION_FEED_HORIZON_MS moves the horizon (feed_state) past the
 * older ones. The event log itself is not deleted here (the household
 * chain reads it).
 *
 * Settings (read in setup, sn/config.h):
 *   SN_SUPERVISION_FEED_KEY            the master key of the hubs'
 *                                      pseudonyms, 64 hex (required; give
 *                                      it as SN_SUPERVISION_FEED_KEY_FILE)
 *   SN_SUPERVISION_FEED_RETENTION_DAYS 1..36500, default 400
 *   SN_SUPERVISION_FEED_HORIZON_MS     100..86400000, default 3600000
 * and feedpush.h's.
 *
 * Everything runs on the loop thread.
 */
#ifndef SUPERVISION_FEED_H
#define SUPERVISION_FEED_H

#include <stdint.h>

#include "feedjson.h"
#include "sn/http.h"
#include "supervision.h"

/* The module's hooks (modules.c). */
sn_err supervision_feed_setup(supervision *s);
sn_err supervision_feed_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e);
void supervision_feed_teardown(supervision *s);

/* GET /feed (main.c's route table; arg is the supervision). */
void supervision_feed_get(sn_http_req *req, void *arg);

/* The key of hub's pseudonyms (feedjson.h), for the pusher. */
void supervision_feed_hub_key(const supervision *s, const char *hub,
    uint8_t out[SUPERVISION_FEED_KEY_BYTES]);

/* The secret hub's webhook POSTs are signed with (feedpush.h), made
 * from the master key: the same for the same name, so that a hub
 * registered again keeps it. */
void supervision_feed_webhook_secret(const supervision *s, const char *hub,
    uint8_t out[SUPERVISION_FEED_KEY_BYTES]);

/* True if name may name a hub: 1..63 of A-Z a-z 0-9 . _ @ - (a user
 * name, sn/auth.h). */
bool supervision_feed_hub_name_valid(const char *name);

/* Reads one page of the feed for the hub whose key is given: the items
 * above after, at most limit. done gets SN_OK and the page, or an error
 * (SN_EDB, SN_EPROTO, SN_ENOMEM); *page is the caller's to decref. The
 * page holds "events", "next_cursor", "oldest_cursor", "feed_epoch";
 * expired is set when after lies below the horizon (events empty), ahead
 * when it lies beyond the head. */
typedef struct supervision_feed_page {
	json_t *page;
	int64_t head;
	int64_t oldest; /* the oldest cursor: horizon - 1 */
	int64_t last;   /* next_cursor */
	size_t  n;      /* items */
	bool    expired, ahead;
} supervision_feed_page;
typedef void (*supervision_feed_page_fn)(
    sn_err err, supervision_feed_page *page, void *arg);
void supervision_feed_read(supervision *s, int64_t after, int64_t limit,
    const uint8_t            key[SUPERVISION_FEED_KEY_BYTES],
    supervision_feed_page_fn done, void *arg);

/* Runs fn(arg) whenever events may have committed (after each apply
 * transaction that inserted some, and when the head poll sees them). One
 * listener: the pusher. */
void supervision_feed_listen(supervision *s, void (*fn)(void *arg), void *arg);

#endif /* SUPERVISION_FEED_H */
