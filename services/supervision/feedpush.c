#include "feedpush.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "sn/config.h"
#include "sn/httpc.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"

#define TICK_MS 100
#define RESCAN_MS 5000
#define URL_MAX 2048

typedef struct push push;

/* One per process (static storage, as the feed's): the pool's callbacks
 * may run into it until the pool has closed, after the teardown. */
static struct pusher {
	supervision *s;
	sn_httpc    *http;
	int64_t      batch, timeout_ms, retry_min_ms, retry_max_ms;
	bool         stopping, scanning, dirty;
	uint64_t     next_scan_ms;
	push        *inflight; /* one push per hub at a time */
	sn_counter  *c_ok, *c_failed, *c_events;
} P;

/* One POST to one hub, from reading its batch to recording the outcome;
 * owned by the pusher's inflight list until recorded. */
struct push {
	char    name[64];
	char   *url;
	int64_t from, last;
	int64_t failures;
	size_t  n;
	long    status;
	char    error[200];
	push   *next;
};

/* ---- the hubs' table ------------------------------------------------------
 */

static const char SQL_PUT[]
    = "INSERT INTO feed_hubs (name, url, enabled, cursor) "
      "VALUES ($1, $2, $3::boolean, COALESCE($4::bigint, 0)) "
      "ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url, "
      "  enabled = EXCLUDED.enabled, "
      "  cursor = COALESCE($4::bigint, feed_hubs.cursor), "
      "  failures = 0, next_attempt = now(), last_error = '', "
      "  updated_at = now() "
      "RETURNING (xmax = 0) AS created, id, name, url, enabled, cursor, "
      "  failures, last_status, last_error, delivered, "
      "  to_char(next_attempt AT TIME ZONE 'UTC', "
      "          'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS next_attempt";

static const char SQL_LIST[]
    = "SELECT false AS created, id, name, url, enabled, cursor, failures, "
      "  last_status, last_error, delivered, "
      "  to_char(next_attempt AT TIME ZONE 'UTC', "
      "          'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS next_attempt "
      "FROM feed_hubs WHERE id > $1::bigint ORDER BY id LIMIT $2::int";

typedef struct hub_row {
	bool        created;
	int64_t     id;
	const char *name, *url, *last_error, *next_attempt;
	bool        enabled;
	int64_t     cursor, failures, last_status, delivered;
} hub_row;

static const sn_col hub_cols[] = {
	SN_COL(hub_row, created, SN_COL_BOOL),
	SN_COL(hub_row, id, SN_COL_I64),
	SN_COL(hub_row, name, SN_COL_TEXT),
	SN_COL(hub_row, url, SN_COL_TEXT),
	SN_COL(hub_row, enabled, SN_COL_BOOL),
	SN_COL(hub_row, cursor, SN_COL_I64),
	SN_COL(hub_row, failures, SN_COL_I64),
	SN_COL(hub_row, last_status, SN_COL_I64),
	SN_COL(hub_row, last_error, SN_COL_TEXT),
	SN_COL(hub_row, delivered, SN_COL_I64),
	SN_COL(hub_row, next_attempt, SN_COL_TEXT),
};

static json_t *
hub_json(const hub_row *h)
{
	char cursor[24];

	snprintf(cursor, sizeof(cursor), "%lld", (long long) h->cursor);
	return json_pack("{s:s, s:s, s:b, s:s, s:I, s:I, s:s, s:I, s:s}",
	    "name", h->name, "url", h->url, "enabled", h->enabled, "cursor",
	    cursor, "failures", (json_int_t) h->failures, "last_status",
	    (json_int_t) h->last_status, "last_error", h->last_error,
	    "delivered", (json_int_t) h->delivered, "next_attempt",
	    h->next_attempt);
}

/* "whsec_" and the secret in base64, as Standard Webhooks write it. */
static void
secret_text(const char *hub, char *out, size_t cap)
{
	uint8_t k[SUPERVISION_FEED_KEY_BYTES];

	supervision_feed_webhook_secret(P.s, hub, k);
	memcpy(out, "whsec_", 6);
	sodium_bin2base64(
	    out + 6, cap - 6, k, sizeof(k), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(k, sizeof(k));
}

static void
put_saved(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;
	hub_row      h;
	json_t      *body;
	char         secret[80];

	if (sn_rows_one(res, hub_cols, SN_NCOLS(hub_cols), &h) != SN_OK) {
		sn_http_tx_fail(req, tx, 503, "unavailable",
		    "the hub could not be read back", NULL);
		return;
	}
	secret_text(h.name, secret, sizeof(secret));
	body = hub_json(&h);
	json_object_set_new(body, "signing_secret", json_string(secret));
	sodium_memzero(secret, sizeof(secret));
	P.dirty = true;
	sn_http_tx_reply(req, tx, h.created ? 201 : 200, body);
}

typedef struct put_ctx {
	char    name[64];
	char    url[URL_MAX + 1];
	bool    enabled;
	bool    has_cursor;
	int64_t cursor;
} put_ctx;

static void
put_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	put_ctx *c = arg;
	char     cursor[24];

	snprintf(cursor, sizeof(cursor), "%lld", (long long) c->cursor);
	const char *v[4] = { c->name, c->url, c->enabled ? "true" : "false",
		c->has_cursor ? cursor : NULL };
	if (sn_tx_query(tx, SQL_PUT, 4, v, put_saved, req) != SN_OK)
		sn_http_tx_fail(req, tx, 503, "unavailable", NULL, NULL);
}

static bool
url_ok(const char *u)
{
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return false;
	for (const char *p = u; *p; p++)
		if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f)
			return false;
	return strlen(u) > 8;
}

void
supervision_feedpush_put(sn_http_req *req, void *arg)
{
	static const char *const keys[] = { "url", "enabled", "cursor", NULL };
	json_t                  *b      = sn_http_json(req);
	const char              *name   = sn_http_param(req, "name");
	const char              *url = NULL, *cursor = NULL;
	bool                     enabled = true;
	sn_problem               p;
	put_ctx                 *c;

	(void) arg;
	sn_problem_clear(&p);
	if (!supervision_feed_hub_name_valid(name))
		sn_problem_set(&p, 422, "invalid_name", "name",
		    "a hub's service account: 1-63 of A-Z a-z 0-9 . _ @ -");
	else if (sn_in_only(b, keys, "", &p)
	    && sn_in_str(b, "url", "", SN_IN_REQUIRED | SN_IN_NONEMPTY,
	        URL_MAX, &url, &p)
	    && sn_in_bool(b, "enabled", "", 0, &enabled, &p)
	    && sn_in_str(b, "cursor", "", SN_IN_NULLABLE, 19, &cursor, &p)) {
		if (!url_ok(url))
			sn_problem_set(&p, 422, "invalid_url", "url",
			    "an http:// or https:// URL without spaces");
	}
	if (!sn_problem_is_set(&p) && cursor != NULL) {
		int64_t v = 0;

		for (const char *q = cursor; *q; q++)
			if (*q < '0' || *q > '9'
			    || v > (INT64_MAX - (*q - '0')) / 10) {
				v = -1;
				break;
			} else
				v = v * 10 + (*q - '0');
		if (v < 0 || cursor[0] == '\0')
			sn_problem_set(&p, 422, "invalid_cursor", "cursor",
			    "a feed cursor: a position as decimal digits");
	}
	if (sn_problem_is_set(&p)) {
		sn_http_problem(req, &p);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->url, sizeof(c->url), "%s", url);
	c->enabled    = enabled;
	c->has_cursor = cursor != NULL;
	if (cursor != NULL)
		c->cursor = strtoll(cursor, NULL, 10);
	sn_http_tx_with_end(req, put_begin, free, c);
}

typedef struct list_ctx {
	sn_http_req *req;
	sn_page      page;
} list_ctx;

static void
on_list(sn_err err, PGresult *res, void *arg)
{
	list_ctx *c = arg;
	sn_rows   rows;
	hub_row   h;
	json_t   *items;
	int       n;
	int64_t   last = 0;

	if (err != SN_OK
	    || sn_rows_open(&rows, res, hub_cols, SN_NCOLS(hub_cols))
	        != SN_OK) {
		sn_http_reply_error(c->req, 503, "unavailable", NULL, NULL);
		free(c);
		return;
	}
	items = json_array();
	n     = sn_rows_count(&rows);
	for (int i = 0; i < n && i < c->page.limit && items != NULL; i++) {
		if (sn_rows_read(&rows, i, &h) != SN_OK) {
			json_decref(items);
			items = NULL;
			break;
		}
		json_array_append_new(items, hub_json(&h));
		last = h.id;
	}
	sn_rows_close(&rows);
	if (items == NULL) {
		sn_http_reply_error(c->req, 503, "unavailable", NULL, NULL);
		free(c);
		return;
	}
	sn_http_reply_json(
	    c->req, 200, sn_page_answer(items, n > c->page.limit, last));
	free(c);
}

void
supervision_feedpush_list(sn_http_req *req, void *arg)
{
	supervision *s = arg;
	list_ctx    *c = calloc(1, sizeof(*c));
	sn_problem   p;
	char         after[24], limit[24];

	if (c == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	if (!sn_page_query(req, &c->page, &p)) {
		free(c);
		sn_http_problem(req, &p);
		return;
	}
	c->req = req;
	snprintf(after, sizeof(after), "%lld", (long long) c->page.after);
	snprintf(limit, sizeof(limit), "%lld", (long long) c->page.limit + 1);
	const char *v[2] = { after, limit };
	sn_db_query(s->db, SQL_LIST, 2, v, on_list, c);
}

/* ---- the pusher ------------------------------------------------------------
 */

static void
push_free(push *p)
{
	free(p->url);
	free(p);
}

static void
unlist(push *p)
{
	for (push **q = &P.inflight; *q != NULL; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			return;
		}
}

static bool
in_flight(const char *name)
{
	for (push *p = P.inflight; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			return true;
	return false;
}

static const char SQL_OK[]
    = "UPDATE feed_hubs SET cursor = $3::bigint, failures = 0, "
      "  next_attempt = now(), last_status = $4::int, last_error = '', "
      "  delivered = delivered + $5::bigint "
      "WHERE name = $1 AND cursor = $2::bigint";

static const char SQL_FAIL[]
    = "UPDATE feed_hubs SET failures = failures + 1, "
      "  next_attempt = now() + make_interval(secs => $3::bigint / 1000.0), "
      "  last_status = $4::int, last_error = $5 "
      "WHERE name = $1 AND cursor = $2::bigint";

/* The wait before the next try after the failures-th failure in a row. */
static int64_t
backoff_ms(int64_t failures)
{
	int64_t ms = P.retry_min_ms;

	for (int64_t i = 1; i < failures && ms < P.retry_max_ms; i++)
		ms *= 2;
	return ms < P.retry_max_ms ? ms : P.retry_max_ms;
}

static void
record_begin(sn_tx *tx, void *arg)
{
	push *p = arg;
	char  from[24], last[24], status[24], n[24], wait[24];

	snprintf(from, sizeof(from), "%lld", (long long) p->from);
	snprintf(last, sizeof(last), "%lld", (long long) p->last);
	snprintf(status, sizeof(status), "%ld", p->status);
	snprintf(n, sizeof(n), "%zu", p->n);
	snprintf(wait, sizeof(wait), "%lld",
	    (long long) backoff_ms(p->failures + 1));
	if (p->error[0] == '\0') {
		const char *v[5] = { p->name, from, last, status, n };
		if (sn_tx_query(tx, SQL_OK, 5, v, NULL, NULL) != SN_OK) {
			sn_tx_rollback(tx, SN_EDB);
			return;
		}
	} else {
		const char *v[5] = { p->name, from, wait, status, p->error };
		if (sn_tx_query(tx, SQL_FAIL, 5, v, NULL, NULL) != SN_OK) {
			sn_tx_rollback(tx, SN_EDB);
			return;
		}
	}
	sn_tx_commit(tx);
}

static void
record_done(sn_err err, void *arg)
{
	push *p = arg;

	if (err != SN_OK)
		sn_log(SN_LOG_WARN, "feed push: the outcome was not recorded",
		    "hub", p->name, "error", sn_strerror(err), NULL);
	unlist(p);
	push_free(p);
	P.dirty = true;
}

/* Records a failure (error set) or a success, then frees p. */
static void
record(push *p)
{
	if (p->error[0] != '\0') {
		char st[24];

		snprintf(st, sizeof(st), "%ld", p->status);
		sn_counter_add(P.c_failed, 1);
		sn_log(SN_LOG_WARN, "feed push failed; it will be retried",
		    "hub", p->name, "status", st, "error", p->error, NULL);
	} else {
		sn_counter_add(P.c_ok, 1);
		sn_counter_add(P.c_events, p->n);
	}
	sn_db_tx(P.s->db, record_begin, record_done, p);
}

static void
on_answer(const sn_httpc_answer *a, void *arg)
{
	push *p = arg;

	p->status = a->status;
	if (a->err != SN_OK)
		snprintf(p->error, sizeof(p->error), "%s: %s",
		    sn_strerror(a->err), a->error != NULL ? a->error : "");
	else if (a->status < 200 || a->status > 299)
		snprintf(
		    p->error, sizeof(p->error), "answered %ld", a->status);
	if (a->err == SN_ECLOSED) {
		/* Closing: nothing is recorded; the same batch goes again
		 * after the restart. */
		unlist(p);
		push_free(p);
		return;
	}
	record(p);
}

/* Sends the batch, signed as Standard Webhooks sign. */
static void
send_batch(push *p, json_t *events, const char *epoch)
{
	char    id[128], ts[24], next[64], sig[128], hid[160], hts[48];
	char   *body = json_dumps(events, JSON_COMPACT);
	uint8_t secret[SUPERVISION_FEED_KEY_BYTES];
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	char    b64[sodium_base64_ENCODED_LEN(
	       crypto_auth_hmacsha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	crypto_auth_hmacsha256_state st;
	sn_err                       err;

	if (body == NULL) {
		snprintf(p->error, sizeof(p->error), "out of memory");
		record(p);
		return;
	}
	/* The id names the batch's first event: a retry that carries more
	 * events after it keeps the id (hubs dedupe by the events' ids). */
	snprintf(id, sizeof(id), "%s-%lld", epoch, (long long) (p->from + 1));
	snprintf(ts, sizeof(ts), "%lld", (long long) (sn_wall_us() / 1000000));
	supervision_feed_webhook_secret(P.s, p->name, secret);
	crypto_auth_hmacsha256_init(&st, secret, sizeof(secret));
	crypto_auth_hmacsha256_update(
	    &st, (const unsigned char *) id, strlen(id));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *) ".", 1);
	crypto_auth_hmacsha256_update(
	    &st, (const unsigned char *) ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *) ".", 1);
	crypto_auth_hmacsha256_update(
	    &st, (const unsigned char *) body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(secret, sizeof(secret));
	sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(hid, sizeof(hid), "webhook-id: %s", id);
	snprintf(hts, sizeof(hts), "webhook-timestamp: %s", ts);
	snprintf(sig, sizeof(sig), "webhook-signature: v1,%s", b64);
	snprintf(next, sizeof(next), "SN-Feed-Next-Cursor: %lld",
	    (long long) p->last);
	const char      *headers[] = { hid, hts, sig, next };
	sn_httpc_request r         = {
		        .method       = "POST",
		        .url          = p->url,
		        .headers      = headers,
		        .n_headers    = 4,
		        .body         = body,
		        .body_len     = strlen(body),
		        .content_type = "application/cloudevents-batch+json",
		        .timeout_ms   = (uint32_t) P.timeout_ms,
	};
	err = sn_httpc_send(P.http, &r, on_answer, p);
	free(body);
	if (err != SN_OK) {
		snprintf(p->error, sizeof(p->error), "not sent: %s",
		    sn_strerror(err));
		record(p);
	}
}

static void
on_batch(sn_err err, supervision_feed_page *page, void *arg)
{
	push *p = arg;

	if (err != SN_OK) {
		snprintf(p->error, sizeof(p->error),
		    "the feed was not read: %s", sn_strerror(err));
		record(p);
		return;
	}
	if (page->expired)
		snprintf(p->error, sizeof(p->error),
		    "cursor_expired: the oldest cursor is %lld",
		    (long long) page->oldest);
	else if (page->ahead)
		snprintf(p->error, sizeof(p->error),
		    "cursor_ahead: the feed's head is %lld",
		    (long long) page->head);
	if (p->error[0] != '\0' || page->n == 0 || P.stopping) {
		json_decref(page->page);
		if (p->error[0] != '\0') {
			record(p);
		} else {
			unlist(p);
			push_free(p);
		}
		return;
	}
	p->n    = page->n;
	p->last = page->last;
	send_batch(p, json_object_get(page->page, "events"),
	    json_string_value(json_object_get(page->page, "feed_epoch")));
	json_decref(page->page);
}

static void
start(const char *name, const char *url, int64_t cursor, int64_t failures)
{
	push   *p = calloc(1, sizeof(*p));
	uint8_t key[SUPERVISION_FEED_KEY_BYTES];

	if (p == NULL || (p->url = strdup(url)) == NULL) {
		free(p);
		return;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->from     = cursor;
	p->last     = cursor;
	p->failures = failures;
	p->next     = P.inflight;
	P.inflight  = p;
	supervision_feed_hub_key(P.s, name, key);
	supervision_feed_read(P.s, cursor, P.batch, key, on_batch, p);
	sodium_memzero(key, sizeof(key));
}

static const char SQL_DUE[]
    = "SELECT name, url, cursor, failures, "
      "  GREATEST(0, ceil(extract(epoch FROM next_attempt - now()) "
      "    * 1000))::bigint AS wait_ms "
      "FROM feed_hubs "
      "WHERE enabled AND cursor < (SELECT pos FROM events_head WHERE one) "
      "ORDER BY name";

typedef struct due_row {
	const char *name, *url;
	int64_t     cursor, failures, wait_ms;
} due_row;

static const sn_col due_cols[] = {
	SN_COL(due_row, name, SN_COL_TEXT),
	SN_COL(due_row, url, SN_COL_TEXT),
	SN_COL(due_row, cursor, SN_COL_I64),
	SN_COL(due_row, failures, SN_COL_I64),
	SN_COL(due_row, wait_ms, SN_COL_I64),
};

static void
on_due(sn_err err, PGresult *res, void *arg)
{
	sn_rows  rows;
	due_row  d;
	uint64_t now = sn_now_ms();

	(void) arg;
	P.scanning = false;
	if (err != SN_OK || P.stopping
	    || sn_rows_open(&rows, res, due_cols, SN_NCOLS(due_cols)) != SN_OK)
		return;
	for (int i = 0; i < sn_rows_count(&rows); i++) {
		if (sn_rows_read(&rows, i, &d) != SN_OK)
			break;
		if (in_flight(d.name))
			continue;
		if (d.wait_ms > 0) {
			if (now + (uint64_t) d.wait_ms < P.next_scan_ms)
				P.next_scan_ms = now + (uint64_t) d.wait_ms;
			continue;
		}
		start(d.name, d.url, d.cursor, d.failures);
	}
	sn_rows_close(&rows);
}

static void
tick(void *arg)
{
	uint64_t now = sn_now_ms();

	(void) arg;
	if (P.stopping || P.scanning || !sn_db_ready(P.s->db)
	    || (!P.dirty && now < P.next_scan_ms))
		return;
	P.dirty        = false;
	P.scanning     = true;
	P.next_scan_ms = now + RESCAN_MS;
	sn_db_query(P.s->db, SQL_DUE, 0, NULL, on_due, NULL);
}

static void
wake(void *arg)
{
	(void) arg;
	P.dirty = true;
}

static void
on_stop(void *arg)
{
	(void) arg;
	P.stopping = true;
	/* The POSTs in flight end now (SN_ECLOSED, nothing recorded). */
	sn_httpc_close(P.http);
	P.http = NULL;
}

sn_err
supervision_feedpush_setup(supervision *s)
{
	sn_err err;

	P.s = s;
	P.batch
	    = sn_config_int("SN_SUPERVISION_FEED_PUSH_BATCH", 100, 1, 1000);
	P.timeout_ms = sn_config_int(
	    "SN_SUPERVISION_FEED_PUSH_TIMEOUT_MS", 10000, 100, 120000);
	P.retry_min_ms = sn_config_int(
	    "SN_SUPERVISION_FEED_RETRY_MIN_MS", 1000, 10, 3600000);
	P.retry_max_ms = sn_config_int(
	    "SN_SUPERVISION_FEED_RETRY_MAX_MS", 300000, 10, 86400000);
	if (P.retry_max_ms < P.retry_min_ms)
		P.retry_max_ms = P.retry_min_ms;
	P.dirty    = true;
	P.c_ok     = sn_metrics_counter(s->metrics,
	        "sn_supervision_feed_pushes_total",
	        "webhook POSTs to hubs, by outcome", "outcome=\"ok\"");
	P.c_failed = sn_metrics_counter(s->metrics,
	    "sn_supervision_feed_pushes_total",
	    "webhook POSTs to hubs, by outcome", "outcome=\"failed\"");
	P.c_events = sn_metrics_counter(s->metrics,
	    "sn_supervision_feed_pushed_events_total",
	    "events hubs acknowledged by webhook", NULL);
	if ((err = sn_httpc_open(&P.http, sn_service_loop(s->svc), NULL))
	    != SN_OK)
		return err;
	supervision_feed_listen(s, wake, NULL);
	if ((err = sn_loop_on_stop(sn_service_loop(s->svc), on_stop, NULL))
	        != SN_OK
	    || (err = sn_service_every(s->svc, TICK_MS, TICK_MS, tick, NULL))
	        != SN_OK)
		return err;
	return SN_OK;
}

void
supervision_feedpush_teardown(supervision *s)
{
	(void) s;
	P.stopping = true;
	sn_httpc_close(P.http);
	P.http = NULL;
}
