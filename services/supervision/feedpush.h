/*
 * feedpush.h - the hub feed pushed by webhook (issue 12 item 8;
 * docs/feed.md): hubs registered in feed_hubs get every event POSTed,
 * in order, from their cursor.
 *
 * PUT /hubs/{name} (role district_admin, Idempotency-Key) registers or
 * changes a hub: {"url": "https://...", "enabled": true, "cursor": "0"}
 * (cursor optional: where to start or restart; a new hub starts at 0,
 * the oldest kept event). name is the hub's service account, so that
 * its pseudonyms are those GET /feed gives it. The answer carries the
 * hub and its signing_secret ("whsec_" and base64 of 32 bytes, derived
 * from the feed's master key: the same at every PUT). GET /hubs (roles
 * district_admin, supervisor) lists them with their delivery state.
 *
 * The pusher, on the loop: for each enabled hub whose cursor is below
 * the log's head and whose next attempt is due, one POST at a time per
 * hub of the next SN_SUPERVISION_FEED_PUSH_BATCH items above its cursor,
 * Content-Type application/cloudevents-batch+json (a JSON array of the
 * same CloudEvents GET /feed answers, pseudonymised for that hub),
 * signed as Standard Webhooks sign (headers webhook-id,
 * webhook-timestamp, webhook-signature "v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>"), with the header SN-Feed-Next-Cursor. A 2xx moves
 * the hub's cursor to the batch's last position (only if nobody moved it
 * meanwhile); anything else (another status, a timeout, no connection,
 * an expired cursor) counts a failure and waits
 * SN_SUPERVISION_FEED_RETRY_MIN_MS doubling per failure up to
 * SN_SUPERVISION_FEED_RETRY_MAX_MS, and the same events go again: at
 * least once, the same ids, in order. It wakes when events commit
 * (supervision_feed_listen), when a hub is registered, and when a retry
 * is due.
 *
 * Settings: SN_SUPERVISION_FEED_PUSH_BATCH (1..1000, default 100),
 * SN_SUPERVISION_FEED_PUSH_TIMEOUT_MS (100..120000, default 10000),
 * SN_SUPERVISION_FEED_RETRY_MIN_MS (10..3600000, default 1000),
 * SN_SUPERVISION_FEED_RETRY_MAX_MS (10..86400000, default 300000); the
 * CA of https:// hubs is SN_TLS_CA_FILE, else the system's (sn/httpc.h).
 *
 * Everything runs on the loop thread.
 */
#ifndef SUPERVISION_FEEDPUSH_H
#define SUPERVISION_FEEDPUSH_H

#include "sn/http.h"
#include "supervision.h"

/* The module's hooks (modules.c); setup runs after the feed's. */
sn_err supervision_feedpush_setup(supervision *s);
void   supervision_feedpush_teardown(supervision *s);

/* GET /hubs and PUT /hubs/{name} (main.c's route table). */
void supervision_feedpush_list(sn_http_req *req, void *arg);
void supervision_feedpush_put(sn_http_req *req, void *arg);

#endif /* SUPERVISION_FEEDPUSH_H */
