#include "feed.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/config.h"
#include "sn/log.h"
#include "sn/problem.h"

#define WAIT_MAX_S 30
#define LIMIT_DEFAULT 100
#define LIMIT_MAX 1000
#define TICK_MS 100
#define HEAD_POLL_MS 1000

typedef struct poll_req         poll_req;
typedef struct supervision_feed supervision_feed;

struct supervision_feed {
	supervision *s;
	uint8_t      master[SUPERVISION_FEED_KEY_BYTES];
	int64_t      retention_days;
	bool         stopping;
	/* The apply transaction whose commit will wake the waiters (one
	 * sn_tx_on_commit per transaction). If that transaction rolls back
	 * the pointer stays, and a later transaction at the same address
	 * wakes nobody: the head poll catches that. */
	sn_tx    *hooked;
	poll_req *waiters; /* held GET /feed requests, a doubly linked list */
	size_t    nwaiting;
	int64_t   known_head; /* -1: not polled yet */
	uint64_t  last_poll_ms;
	bool      polling, horizon_running;
	void (*listener)(void *arg);
	void       *listener_arg;
	sn_gauge   *g_waiting;
	sn_counter *c_items;
	sn_counter *c_expired;
};

/* A held GET /feed: owns its page context until answered. */
struct poll_req {
	supervision *s;
	sn_http_req *req;
	int64_t      after, limit;
	uint64_t     deadline_ms; /* 0: no wait */
	uint8_t      key[SUPERVISION_FEED_KEY_BYTES];
	json_t      *empty; /* the empty page to answer when the wait ends */
	poll_req    *prev, *next;
};

/* ---- settings ----------------------------------------------------------- */

static void
read_master(uint8_t out[SUPERVISION_FEED_KEY_BYTES])
{
	const char *hex = sn_config_str("SN_SUPERVISION_FEED_KEY", NULL);
	size_t      len = 0;

	if (strlen(hex) != 2 * SUPERVISION_FEED_KEY_BYTES
	    || sodium_hex2bin(out, SUPERVISION_FEED_KEY_BYTES, hex,
	           strlen(hex), NULL, &len, NULL)
	        != 0
	    || len != SUPERVISION_FEED_KEY_BYTES)
		sn_config_fail(
		    "SN_SUPERVISION_FEED_KEY", "64 hex digits", "(not shown)");
}

bool
supervision_feed_hub_name_valid(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		        || (c >= '0' && c <= '9') || c == '.' || c == '_'
		        || c == '@' || c == '-'))
			return false;
	}
	return true;
}

void
supervision_feed_hub_key(const supervision *s, const char *hub,
    uint8_t out[SUPERVISION_FEED_KEY_BYTES])
{
	supervision_feedjson_hub_key(s->feed->master, hub, out);
}

void
supervision_feed_webhook_secret(const supervision *s, const char *hub,
    uint8_t out[SUPERVISION_FEED_KEY_BYTES])
{
	supervision_feedjson_derive(
	    s->feed->master, "sn.feed.webhook.v1:", hub, out);
}

/* ---- reading a page ----------------------------------------------------- */

/* One statement, so that the head, the horizon and the rows come from
 * one snapshot: a position at or below the head is committed, and so is
 * every one below it (events.h), so the page has no gap. */
static const char SQL_PAGE[]
    = "SELECT m.head, m.horizon, m.epoch, e.pos, e.event_id, e.source, "
      "e.type, e.subject, e.time, e.schema_version, e.data "
      "FROM (SELECT h.pos AS head, f.horizon, f.epoch::text AS epoch "
      "      FROM events_head h, feed_state f WHERE h.one AND f.one) m "
      "LEFT JOIN LATERAL (SELECT pos, event_id::text AS event_id, source, "
      "  type, subject, "
      "  to_char(time AT TIME ZONE 'UTC', "
      "          'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS time, "
      "  schema_version, data::text AS data "
      "  FROM events WHERE pos > $1::bigint ORDER BY pos "
      "  LIMIT $2::int) e ON true "
      "ORDER BY e.pos";

typedef struct page_row {
	int64_t     head, horizon;
	const char *epoch;
	int64_t     pos;
	const char *event_id, *source, *type, *subject, *time, *data;
	int64_t     schema_version;
	bool has_pos, has_id, has_source, has_type, has_subject, has_time,
	    has_version, has_data;
} page_row;

static const sn_col page_cols[] = {
	SN_COL(page_row, head, SN_COL_I64),
	SN_COL(page_row, horizon, SN_COL_I64),
	SN_COL(page_row, epoch, SN_COL_TEXT),
	SN_COL_OPT(page_row, pos, SN_COL_I64, has_pos),
	SN_COL_OPT(page_row, event_id, SN_COL_TEXT, has_id),
	SN_COL_OPT(page_row, source, SN_COL_TEXT, has_source),
	SN_COL_OPT(page_row, type, SN_COL_TEXT, has_type),
	SN_COL_OPT(page_row, subject, SN_COL_TEXT, has_subject),
	SN_COL_OPT(page_row, time, SN_COL_TEXT, has_time),
	SN_COL_OPT(page_row, schema_version, SN_COL_I64, has_version),
	SN_COL_OPT(page_row, data, SN_COL_TEXT, has_data),
};

typedef struct read_ctx {
	supervision             *s;
	int64_t                  after;
	uint8_t                  key[SUPERVISION_FEED_KEY_BYTES];
	supervision_feed_page_fn done;
	void                    *arg;
} read_ctx;

static json_t *
cursor_json(int64_t pos)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long) pos);
	return json_string(buf);
}

static sn_err
build_page(read_ctx *c, PGresult *res, supervision_feed_page *out)
{
	sn_rows  rows;
	page_row r;
	json_t  *items = json_array();
	sn_err   err;
	int      n;

	if (items == NULL)
		return SN_ENOMEM;
	if ((err = sn_rows_open(&rows, res, page_cols, SN_NCOLS(page_cols)))
	    != SN_OK) {
		json_decref(items);
		return err;
	}
	n         = sn_rows_count(&rows);
	out->last = c->after;
	err       = n > 0 ? SN_OK : SN_EPROTO;
	for (int i = 0; err == SN_OK && i < n; i++) {
		json_t *item;

		if ((err = sn_rows_read(&rows, i, &r)) != SN_OK)
			break;
		if (i == 0) {
			out->head    = r.head;
			out->oldest  = r.horizon - 1;
			out->expired = c->after < out->oldest;
			out->ahead   = c->after > r.head;
			out->page    = json_pack("{s:o, s:s, s:o}",
			       "oldest_cursor", cursor_json(out->oldest),
			       "feed_epoch", r.epoch, "events", json_null());
			if (out->page == NULL) {
				err = SN_ENOMEM;
				break;
			}
			if (out->expired || out->ahead)
				break;
		}
		if (!r.has_pos)
			break; /* nothing above the cursor */
		supervision_feed_row fr = { r.pos, r.event_id, r.source,
			r.type, r.subject, r.time, r.schema_version, r.data };
		if ((err = supervision_feedjson_item(
		         &fr, c->key, c->s->seal, &item))
		    != SN_OK)
			break;
		if (json_array_append_new(items, item) != 0) {
			err = SN_ENOMEM;
			break;
		}
		out->last = r.pos;
	}
	sn_rows_close(&rows);
	if (err == SN_OK) {
		out->n = json_array_size(items);
		if (json_object_set_new(out->page, "events", items) != 0
		    || json_object_set_new(
		           out->page, "next_cursor", cursor_json(out->last))
		        != 0)
			err = SN_ENOMEM;
		items = NULL;
	}
	json_decref(items);
	if (err != SN_OK) {
		json_decref(out->page);
		out->page = NULL;
	}
	return err;
}

static void
on_page(sn_err err, PGresult *res, void *arg)
{
	read_ctx             *c    = arg;
	supervision_feed_page page = { 0 };

	if (err == SN_OK)
		err = build_page(c, res, &page);
	if (err == SN_OK)
		sn_counter_add(c->s->feed->c_items, page.n);
	c->done(err, err == SN_OK ? &page : NULL, c->arg);
	sodium_memzero(c->key, sizeof(c->key));
	free(c);
}

void
supervision_feed_read(supervision *s, int64_t after, int64_t limit,
    const uint8_t            key[SUPERVISION_FEED_KEY_BYTES],
    supervision_feed_page_fn done, void *arg)
{
	read_ctx *c = calloc(1, sizeof(*c));
	char      a[24], l[24];

	if (c == NULL) {
		done(SN_ENOMEM, NULL, arg);
		return;
	}
	c->s     = s;
	c->after = after;
	memcpy(c->key, key, sizeof(c->key));
	c->done = done;
	c->arg  = arg;
	snprintf(a, sizeof(a), "%lld", (long long) after);
	snprintf(l, sizeof(l), "%lld", (long long) limit);
	const char *v[2] = { a, l };
	sn_db_query(s->db, SQL_PAGE, 2, v, on_page, c);
}

/* ---- GET /feed ---------------------------------------------------------- */

static void
unlist(supervision_feed *f, poll_req *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		f->waiters = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	f->nwaiting--;
	sn_gauge_set(f->g_waiting, (int64_t) f->nwaiting);
}

static void
list(supervision_feed *f, poll_req *p)
{
	p->prev = NULL;
	p->next = f->waiters;
	if (f->waiters != NULL)
		f->waiters->prev = p;
	f->waiters = p;
	f->nwaiting++;
	sn_gauge_set(f->g_waiting, (int64_t) f->nwaiting);
}

static void
poll_free(poll_req *p)
{
	json_decref(p->empty);
	sodium_memzero(p->key, sizeof(p->key));
	free(p);
}

/* Answers a held request with its empty page. */
static void
answer_empty(poll_req *p)
{
	sn_http_reply_json(p->req, 200, p->empty);
	p->empty = NULL;
	poll_free(p);
}

static void
on_poll_page(sn_err err, supervision_feed_page *page, void *arg)
{
	poll_req         *p = arg;
	supervision_feed *f = p->s->feed;
	char              msg[96];

	if (err != SN_OK) {
		sn_http_reply_error(p->req, 503, "unavailable",
		    "the feed cannot be read now", NULL);
		poll_free(p);
		return;
	}
	if (page->expired) {
		json_t *body;

		sn_counter_add(f->c_expired, 1);
		snprintf(msg, sizeof(msg),
		    "events up to %lld are past the retention; resume from "
		    "oldest_cursor",
		    (long long) page->oldest);
		body = json_pack("{s:{s:s, s:s, s:s}, s:o}", "error", "code",
		    "cursor_expired", "message", msg, "field", "after",
		    "oldest_cursor", cursor_json(page->oldest));
		json_decref(page->page);
		sn_http_reply_json(p->req, 410, body);
		poll_free(p);
		return;
	}
	if (page->ahead) {
		json_t *body;

		snprintf(msg, sizeof(msg),
		    "the feed's head is %lld: this cursor is not of this feed "
		    "(compare feed_epoch)",
		    (long long) page->head);
		body = json_pack("{s:{s:s, s:s, s:s}, s:o}", "error", "code",
		    "cursor_ahead", "message", msg, "field", "after",
		    "head_cursor", cursor_json(page->head));
		json_decref(page->page);
		sn_http_reply_json(p->req, 409, body);
		poll_free(p);
		return;
	}
	if (page->head > f->known_head)
		f->known_head = page->head;
	if (page->n > 0 || p->deadline_ms == 0 || f->stopping
	    || sn_now_ms() >= p->deadline_ms) {
		sn_http_reply_json(p->req, 200, page->page);
		poll_free(p);
		return;
	}
	json_decref(p->empty);
	p->empty = page->page;
	list(f, p);
}

/* Parses a non-negative decimal of at most max; false if malformed. */
static bool
parse_num(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (s == NULL || s[0] == '\0' || strlen(s) > 19)
		return false;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		if (v > (INT64_MAX - (*c - '0')) / 10)
			return false;
		v = v * 10 + (*c - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

void
supervision_feed_get(sn_http_req *req, void *arg)
{
	supervision        *s     = arg;
	const sn_principal *who   = sn_http_principal(req);
	const char         *after = sn_http_query(req, "after");
	const char         *limit = sn_http_query(req, "limit");
	const char         *wait  = sn_http_query(req, "wait");
	const char         *hub   = sn_http_query(req, "hub");
	sn_problem          prob;
	int64_t             a = 0, l = LIMIT_DEFAULT, w = 0;
	poll_req           *p;

	sn_problem_clear(&prob);
	if (after != NULL && !parse_num(after, INT64_MAX, &a))
		sn_problem_set(&prob, 422, "invalid_query", "after",
		    "a cursor: a position, 0 or a next_cursor given");
	else if (limit != NULL && (!parse_num(limit, LIMIT_MAX, &l) || l < 1))
		sn_problem_set(&prob, 422, "invalid_query", "limit", "1 to %d",
		    LIMIT_MAX);
	else if (wait != NULL && !parse_num(wait, WAIT_MAX_S, &w))
		sn_problem_set(&prob, 422, "invalid_query", "wait",
		    "0 to %d seconds", WAIT_MAX_S);
	else if (hub != NULL && !supervision_feed_hub_name_valid(hub))
		sn_problem_set(&prob, 422, "invalid_query", "hub",
		    "a hub's name: 1-63 of A-Z a-z 0-9 . _ @ -");
	else if (hub != NULL && !sn_auth_has_role(who, "supervisor")
	    && strcmp(hub, who->user) != 0)
		sn_problem_set(&prob, 403, "forbidden", "hub",
		    "a hub reads its own feed only");
	if (sn_problem_is_set(&prob)) {
		sn_http_problem(req, &prob);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	p->s     = s;
	p->req   = req;
	p->after = a;
	p->limit = l;
	if (w > 0 && !s->feed->stopping)
		p->deadline_ms = sn_now_ms() + (uint64_t) w * 1000;
	supervision_feed_hub_key(s, hub != NULL ? hub : who->user, p->key);
	supervision_feed_read(s, a, l, p->key, on_poll_page, p);
}

/* ---- waking ------------------------------------------------------------- */

/* Events may have committed: every held request reads again. */
static void
notify(supervision_feed *f)
{
	poll_req *p = f->waiters;

	f->waiters  = NULL;
	f->nwaiting = 0;
	sn_gauge_set(f->g_waiting, 0);
	while (p != NULL) {
		poll_req *next = p->next;

		p->prev = p->next = NULL;
		supervision_feed_read(
		    f->s, p->after, p->limit, p->key, on_poll_page, p);
		p = next;
	}
	if (f->listener != NULL)
		f->listener(f->listener_arg);
}

void
supervision_feed_listen(supervision *s, void (*fn)(void *arg), void *arg)
{
	s->feed->listener     = fn;
	s->feed->listener_arg = arg;
}

static void
committed(void *arg)
{
	supervision_feed *f = arg;

	f->hooked = NULL;
	notify(f);
}

sn_err
supervision_feed_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e)
{
	supervision_feed *f = s->feed;

	(void) e;
	if (f->hooked != tx && sn_tx_on_commit(tx, committed, f) == SN_OK)
		f->hooked = tx;
	return SN_OK;
}

typedef struct head_row {
	int64_t pos;
} head_row;

static void
on_head(sn_err err, PGresult *res, void *arg)
{
	supervision_feed   *f      = arg;
	static const sn_col cols[] = { SN_COL(head_row, pos, SN_COL_I64) };
	head_row            h      = { 0 };

	f->polling = false;
	if (err != SN_OK
	    || sn_rows_one(res, cols, SN_NCOLS(cols), &h) != SN_OK)
		return;
	if (h.pos > f->known_head) {
		bool first    = f->known_head < 0;
		f->known_head = h.pos;
		if (!first)
			notify(f);
	}
}

/* Every TICK_MS: ends the waits that ran out, and polls the head while
 * someone waits or listens (the safety net under the commit hook). */
static void
tick(void *arg)
{
	supervision_feed *f   = arg;
	uint64_t          now = sn_now_ms();
	poll_req         *p   = f->waiters;

	while (p != NULL) {
		poll_req *next = p->next;

		if (now >= p->deadline_ms) {
			unlist(f, p);
			answer_empty(p);
		}
		p = next;
	}
	if (f->stopping || f->polling || !sn_db_ready(f->s->db)
	    || (f->nwaiting == 0 && f->listener == NULL)
	    || sn_now_ms() - f->last_poll_ms < HEAD_POLL_MS)
		return;
	f->polling      = true;
	f->last_poll_ms = sn_now_ms();
	sn_db_query(f->s->db, "SELECT pos FROM events_head WHERE one", 0, NULL,
	    on_head, f);
}

/* ---- retention ------------------------------------------------------------
 */

/* The horizon moves to the first position, in order, whose event was
 * taken in within the retention (or past the head when none is): the
 * pkey scan from the old horizon stops at once, since positions follow
 * commit order. It never moves back. */
static const char SQL_HORIZON[]
    = "UPDATE feed_state SET horizon = GREATEST(horizon, COALESCE("
      "  (SELECT pos FROM events WHERE pos >= feed_state.horizon"
      "     AND ingested_at >= now() - make_interval(days => $1::int)"
      "   ORDER BY pos LIMIT 1),"
      "  (SELECT pos + 1 FROM events_head WHERE one)))";

static void
horizon_begin(sn_tx *tx, void *arg)
{
	supervision_feed *f = arg;
	char              d[24];

	snprintf(d, sizeof(d), "%lld", (long long) f->retention_days);
	const char *v[1] = { d };
	if (sn_tx_query(tx, SQL_HORIZON, 1, v, NULL, NULL) != SN_OK) {
		sn_tx_rollback(tx, SN_EDB);
		return;
	}
	sn_tx_commit(tx);
}

static void
horizon_done(sn_err err, void *arg)
{
	supervision_feed *f = arg;

	f->horizon_running = false;
	if (err != SN_OK)
		sn_log(SN_LOG_WARN, "feed: the retention horizon did not move",
		    "error", sn_strerror(err), NULL);
}

static void
horizon_tick(void *arg)
{
	supervision_feed *f = arg;

	if (f->stopping || f->horizon_running || !sn_db_ready(f->s->db))
		return;
	f->horizon_running = true;
	sn_db_tx(f->s->db, horizon_begin, horizon_done, f);
}

/* ---- life -----------------------------------------------------------------
 */

static void
on_stop(void *arg)
{
	supervision_feed *f = arg;

	f->stopping = true;
	while (f->waiters != NULL) {
		poll_req *p = f->waiters;

		unlist(f, p);
		answer_empty(p);
	}
}

/* One feed per process, in static storage: the pool's callbacks may run
 * into it until the pool has closed, after the teardown. */
static supervision_feed the_feed;

sn_err
supervision_feed_setup(supervision *s)
{
	supervision_feed *f = &the_feed;
	int64_t           horizon_ms;
	sn_err            err;

	s->feed           = f;
	f->s              = s;
	f->known_head     = -1;
	f->retention_days = sn_config_int(
	    "SN_SUPERVISION_FEED_RETENTION_DAYS", 400, 1, 36500);
	horizon_ms = sn_config_int(
	    "SN_SUPERVISION_FEED_HORIZON_MS", 3600000, 100, 86400000);
	read_master(f->master);
	f->g_waiting
	    = sn_metrics_gauge(s->metrics, "sn_supervision_feed_waiting",
	        "GET /feed requests held until events arrive", NULL);
	f->c_items
	    = sn_metrics_counter(s->metrics, "sn_supervision_feed_items_total",
	        "CloudEvents answered by GET /feed", NULL);
	f->c_expired = sn_metrics_counter(s->metrics,
	    "sn_supervision_feed_expired_total",
	    "GET /feed answered 410: a cursor past the retention", NULL);
	if ((err = sn_loop_on_stop(sn_service_loop(s->svc), on_stop, f))
	        != SN_OK
	    || (err = sn_service_every(s->svc, TICK_MS, TICK_MS, tick, f))
	        != SN_OK
	    || (err = sn_service_every(
	            s->svc, 1000, (uint64_t) horizon_ms, horizon_tick, f))
	        != SN_OK)
		return err;
	return SN_OK;
}

void
supervision_feed_teardown(supervision *s)
{
	supervision_feed *f = s->feed;

	if (f == NULL)
		return;
	on_stop(f);
	sodium_memzero(f->master, sizeof(f->master));
}
