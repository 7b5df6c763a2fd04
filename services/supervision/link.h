/*
 * link.h - the 12388 link (issue 12 item 4): supervision's adapter to
 * the district discipline-inspection commission's reporting platform
 * (inspection-sim stands in for it; its protocol is in proto/openapi.yaml
 * under tag inspection-sim: HTTPS + JSON, every request signed with
 * HMAC-SHA256 under a shared key).
 *
 * Inbound: the platform's tips are read from a stored cursor (table
 * link_tips, the seq of the last tip taken) a page at a time; each tip
 * becomes one grievance of source "12388" (grievances.h) and the cursor
 * moves past the page in the same transaction, so every tip becomes
 * exactly one grievance across crashes and restarts (the grievance's
 * unique tip_id guards a second time).
 *
 * Outbound: what the platform must hear is a row of link_outbound,
 * written in the same transaction as the change it reports
 * (supervision_link_queue): grievances about staff conduct and those
 * that came from the platform, with their outcomes (grievances.c), and
 * every anomaly alert supervision raises, with its closing (this
 * module's on_event hook sees each alert.raised of supervision's own
 * stream). Rows are delivered one at a time in id order (a case before
 * its outcome), each as PUT /v1/cases/{id} or PUT /v1/cases/{id}/outcome
 * carrying version = the row's id, so the platform takes a repeat once;
 * a row is marked delivered only after the platform's 2xx. The queue is
 * read a page at a time (SN_SUPERVISION_LINK_PAGE rows, default 50) and
 * the page's acknowledged rows are marked in one UPDATE when the page
 * ends or stops (a crash before it sends them again: taken once); a
 * queue read empty is not read again until something is queued (or
 * every tenth tick), and the tips cursor is kept as last read or moved.
 * The tips are asked every tick while they come, and after one, two,
 * three empty answers every 2nd, 4th, 8th tick.
 * A failure
 * (no connection, 5xx, 401, 408, 409, 429, a 404 other than
 * no_such_case) waits poll_ms doubling per attempt up to
 * SN_SUPERVISION_LINK_RETRY_MAX_MS and is tried again, the rows behind it
 * waiting; any other 4xx (the platform refuses that row for good) marks
 * the row refused, logs an error, counts
 * sn_supervision_link_refused_total and moves on. Nothing is lost when
 * either side is down: the rows and the cursor are in PostgreSQL.
 *
 * Settings: SN_INSPECTION_URL (the platform's base URL; unset: the link
 * is off, said in a log line, and rows queue until it is set),
 * SN_INSPECTION_KEY (64 hex, as SN_INSPECTION_KEY_FILE),
 * SN_INSPECTION_KEY_ID, SN_SUPERVISION_LINK_POLL_MS,
 * SN_SUPERVISION_LINK_RETRY_MAX_MS, SN_SUPERVISION_LINK_TIMEOUT_MS,
 * SN_SUPERVISION_LINK_PAGE.
 * HTTPS with this service's own certificate (sn/httpc.h: mutual TLS from
 * SN_TLS_*, the platform's name verified).
 *
 * Loop thread only.
 */
#ifndef SUPERVISION_LINK_H
#define SUPERVISION_LINK_H

#include <jansson.h>

#include "supervision.h"

/* Reads the settings and, with SN_INSPECTION_URL set, starts the
 * exchange. From the service's setup. */
sn_err supervision_link_setup(supervision *s);

/* The on_event hook (supervision.h): alert.raised of supervision. */
sn_err supervision_link_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e);

/* Stops the exchange (the HTTP client). */
void supervision_link_teardown(supervision *s);

/*
 * Queues on tx a delivery to the platform: what is "case" or "outcome",
 * case_id the platform's id of the case (1-128 of A-Z a-z 0-9 - _ . :),
 * body a JSON object (stolen) to which the delivery adds "version". It
 * is sent after tx commits, in order. SN_EINVAL for a bad what or id,
 * SN_ENOMEM, SN_ECLOSED (tx failed).
 */
sn_err supervision_link_queue(supervision *s, sn_tx *tx, const char *what,
    const char *case_id, json_t *body);

#endif /* SUPERVISION_LINK_H */
