/*
 * link.c - see link.h.
 *
 * One exchange at a time: a timer tick (every poll_ms) finds the link
 * idle, delivers the queue's head rows while the platform takes them,
 * then reads the tips after the cursor, page after page, and goes idle.
 * A failure ends the turn; the next tick starts again from the tables,
 * which hold everything: no state of the exchange lives only in memory.
 */
#include "link.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grievances.h"
#include "sn/clock.h"
#include "sn/config.h"
#include "sn/httpc.h"
#include "sn/log.h"
#include "sn/supervision/v1/supervision.pb-c.h"

#define KEYLEN 32
#define TIPS_PAGE 100
/* Queue rows delivered per read of the queue (and per recording of
 * those delivered): SN_SUPERVISION_LINK_PAGE, at most LINK_PAGE_MAX. */
#define LINK_PAGE_MAX 200
/* A tick reads a queue it knows empty again every so many ticks anyway
 * (rows another process queued, a commit hook that could not be set). */
#define EMPTY_RECHECK_TICKS 10
#define TIPS_IDLE_MAX 3
#define CASE_ID_MAX 128

struct supervision_link {
	supervision *s;
	sn_httpc    *http;
	char        *base;   /* scheme://host[:port], no trailing '/' */
	char        *prefix; /* the base URL's path, "" or "/x" */
	uint8_t      key[KEYLEN];
	char         key_id[64];
	uint32_t     poll_ms, retry_max_ms, timeout_ms, page;
	bool         on, busy, stopping;
	/* The queue was read empty, and nothing was queued since; gen
	 * counts queueings (before and at their commit). */
	bool     queue_empty;
	uint64_t gen, gen_read;
	uint32_t ticks;
	uint32_t tips_idle; /* empty tips answers in a row, at most 3 */
	/* The tips cursor as this process last read or moved it. */
	bool        after_known;
	int64_t     after;
	sn_counter *delivered, *failed, *refused, *tips, *tips_skipped;
	sn_gauge   *pending;
};

static struct supervision_link L;

/* ---- the queue --------------------------------------------------------- */

static bool
case_id_ok(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;
	if (n == 0 || n > CASE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		        || (c >= '0' && c <= '9') || c == '-' || c == '_'
		        || c == '.' || c == ':'))
			return false;
	}
	return true;
}

static void
queued_committed(void *arg)
{
	(void) arg;
	L.queue_empty = false;
	L.gen++;
}

sn_err
supervision_link_queue(supervision *s, sn_tx *tx, const char *what,
    const char *case_id, json_t *body)
{
	(void) s;
	if ((strcmp(what, "case") != 0 && strcmp(what, "outcome") != 0)
	    || !case_id_ok(case_id) || !json_is_object(body)) {
		json_decref(body);
		return SN_EINVAL;
	}
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return SN_ENOMEM;
	/* A tick reads the queue again: now, and once this commits (a read
	 * that began before the commit cannot have seen the row). */
	L.queue_empty = false;
	L.gen++;
	(void) sn_tx_on_commit(tx, queued_committed, NULL);
	const char *vals[] = { what, case_id, text };
	sn_err      err    = sn_tx_query(tx,
	            "INSERT INTO link_outbound (what, case_id, body)"
	                    " VALUES ($1, $2, $3::jsonb)",
	            3, vals, NULL, NULL);
	free(text);
	return err;
}

/* alert.raised of supervision's own stream: the alert as a case, and its
 * closing as the case's outcome. */
sn_err
supervision_link_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e)
{
	const Sn__Supervision__V1__AlertRaised *a;
	char                                    id[CASE_ID_MAX + 8];
	json_error_t                            je;
	sn_err                                  err;

	if (e->msg == NULL || strcmp(e->ev->type, "alert.raised") != 0
	    || strcmp(e->ev->source, "supervision") != 0)
		return SN_OK;
	a = (const Sn__Supervision__V1__AlertRaised *) e->msg;
	snprintf(id, sizeof(id), "alert-%s", a->alert_id);
	if (!case_id_ok(id)) {
		sn_log(SN_LOG_ERROR,
		    "link: an alert id the platform cannot take", "event",
		    e->ev->id, NULL);
		return SN_OK; /* reported in the log; the stream goes on */
	}
	json_t *evidence = a->evidence_json[0] != '\0'
	    ? json_loads(a->evidence_json, 0, &je)
	    : json_object();
	if (evidence == NULL)
		evidence = json_string(a->evidence_json);
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, "
	                      "s:s, s:s, s:s, s:s}",
	    "kind", "alert", "rule", a->rule, "subject", a->subject,
	    "township_code", a->township_code, "state", a->state, "assignee",
	    a->assignee, "summary", a->summary, "evidence", evidence,
	    "severity", a->severity, "period", a->period, "household_id",
	    a->household_id, "at", a->at, "event_id", e->ev->id);
	if (c == NULL)
		return SN_ENOMEM;
	if ((err = supervision_link_queue(s, tx, "case", id, c)) != SN_OK)
		return err;
	if (strcmp(a->state, "closed") != 0)
		return SN_OK;
	json_t *o = json_pack("{s:s, s:s, s:s}", "outcome", "closed", "note",
	    a->note, "decided_at", a->at);
	if (o == NULL)
		return SN_ENOMEM;
	return supervision_link_queue(s, tx, "outcome", id, o);
}

/* ---- signing (the platform's protocol) -----------------------------------
 */

/* The four signature headers of a request, "Name: value" lines in h. */
typedef struct sig_headers {
	char key_id[96], ts[48], nonce[48], sig[96];
} sig_headers;

static void
sign(const char *method, const char *target, const char *body, size_t body_len,
    sig_headers *out)
{
	uint8_t                      digest[crypto_hash_sha256_BYTES];
	char                         hex[2 * crypto_hash_sha256_BYTES + 1];
	uint8_t                      mac[crypto_auth_hmacsha256_BYTES];
	char                         machex[2 * sizeof(mac) + 1];
	uint8_t                      rnd[16];
	char                         nonce[2 * sizeof(rnd) + 1], ts[24];
	crypto_auth_hmacsha256_state st;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(nonce, sizeof(nonce), rnd, sizeof(rnd));
	snprintf(ts, sizeof(ts), "%" PRId64, sn_clock_now_s());
	crypto_hash_sha256(
	    digest, (const uint8_t *) (body ? body : ""), body ? body_len : 0);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	crypto_auth_hmacsha256_init(&st, L.key, sizeof(L.key));
	const char *parts[] = { method, target, ts, nonce, hex };
	for (size_t i = 0; i < 5; i++) {
		if (i > 0)
			crypto_auth_hmacsha256_update(
			    &st, (const uint8_t *) "\n", 1);
		crypto_auth_hmacsha256_update(
		    &st, (const uint8_t *) parts[i], strlen(parts[i]));
	}
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(machex, sizeof(machex), mac, sizeof(mac));
	snprintf(out->key_id, sizeof(out->key_id), "X-Key-Id: %s", L.key_id);
	snprintf(out->ts, sizeof(out->ts), "X-Timestamp: %s", ts);
	snprintf(out->nonce, sizeof(out->nonce), "X-Nonce: %s", nonce);
	snprintf(out->sig, sizeof(out->sig), "X-Signature: %s", machex);
}

/* Sends a signed request for target (path under the base URL, with its
 * canonical query). */
static sn_err
send_signed(const char *method, const char *target, const char *body,
    sn_httpc_fn fn, void *arg)
{
	sig_headers h;
	char        signed_target[512], url[1024];
	size_t      len = body != NULL ? strlen(body) : 0;

	snprintf(
	    signed_target, sizeof(signed_target), "%s%s", L.prefix, target);
	snprintf(url, sizeof(url), "%s%s", L.base, signed_target);
	sign(method, signed_target, body, len, &h);
	const char      *lines[] = { h.key_id, h.ts, h.nonce, h.sig };
	sn_httpc_request r       = { .method = method,
		      .url                   = url,
		      .headers               = lines,
		      .n_headers             = 4,
		      .body                  = body,
		      .body_len              = len,
		      .timeout_ms            = L.timeout_ms };
	return sn_httpc_send(L.http, &r, fn, arg);
}

/* ---- the turn ------------------------------------------------------------
 */

static void idle(void);
static void deliver_next(void);
static void poll_tips(void);

static void
idle(void)
{
	L.busy = false;
}

static void
ignore_result(sn_err err, PGresult *res, void *arg)
{
	(void) res;
	(void) arg;
	if (err != SN_OK && err != SN_ECLOSED)
		sn_log(SN_LOG_WARN, "link: a queue update failed", "error",
		    sn_strerror(err), NULL);
}

typedef struct head_row {
	int64_t     id;
	const char *what;
	const char *case_id;
	const char *body;
	int32_t     attempts;
	bool        due;
	int64_t     pending;
} head_row;

static const sn_col head_cols[] = {
	SN_COL(head_row, id, SN_COL_I64),
	SN_COL(head_row, what, SN_COL_TEXT),
	SN_COL(head_row, case_id, SN_COL_TEXT),
	SN_COL(head_row, body, SN_COL_TEXT),
	SN_COL(head_row, attempts, SN_COL_I32),
	SN_COL(head_row, due, SN_COL_BOOL),
	SN_COL(head_row, pending, SN_COL_I64),
};

/* One queued row of the page being delivered (its own copies). */
typedef struct out_row {
	int64_t id;
	int32_t attempts;
	bool    due, outcome;
	char   *case_id, *body;
} out_row;

/*
 * The queue's head rows, read in one query and delivered in order, one at
 * a time; those the platform acknowledged are recorded together in one
 * UPDATE when the page ends (or the turn stops at a failure or a row not
 * due yet). A crash before that UPDATE sends them again next turn, and the
 * platform takes each repeat once (the version is the row's id).
 */
static struct {
	out_row    rows[LINK_PAGE_MAX];
	size_t     n, next;
	sn_pgarray delivered;
	size_t     ndelivered;
} Q;

static void
page_clear(void)
{
	for (size_t i = 0; i < Q.n; i++) {
		free(Q.rows[i].case_id);
		free(Q.rows[i].body);
	}
	Q.n = Q.next = 0;
	sn_pgarray_fini(&Q.delivered);
	sn_pgarray_init(&Q.delivered);
	Q.ndelivered = 0;
}

static void send_current(void);

/* What follows the recording of the delivered rows. */
typedef enum { AFTER_NEXT_PAGE, AFTER_TIPS, AFTER_SEND } after_save;

static void
delivered_saved(sn_err err, PGresult *res, void *arg)
{
	after_save then = (after_save) (intptr_t) arg;
	(void) res;
	if (L.stopping)
		return;
	if (err != SN_OK) {
		/* delivered, not recorded: the next turn sends them again
		 * and the platform takes each repeat once */
		page_clear();
		idle();
		return;
	}
	switch (then) {
	case AFTER_NEXT_PAGE:
		page_clear();
		deliver_next();
		break;
	case AFTER_TIPS:
		page_clear();
		poll_tips();
		break;
	case AFTER_SEND:
		send_current();
		break;
	}
}

/* Records the rows delivered so far (one statement), then goes on. */
static void
save_delivered(after_save then)
{
	if (Q.ndelivered == 0) {
		delivered_saved(SN_OK, NULL, (void *) (intptr_t) then);
		return;
	}
	const char *vals[] = { sn_pgarray_text(&Q.delivered) };
	if (vals[0] == NULL) {
		page_clear();
		idle();
		return;
	}
	sn_db_query(L.s->db,
	    "UPDATE link_outbound SET delivered_at = now(),"
	    " attempts = attempts + 1, last_error = ''"
	    " WHERE id = ANY ($1::bigint[])",
	    1, vals, delivered_saved, (void *) (intptr_t) then);
	sn_pgarray_fini(&Q.delivered);
	sn_pgarray_init(&Q.delivered);
	Q.ndelivered = 0;
}

static bool
retryable(long status, const char *code)
{
	if (status >= 500 || status == 401 || status == 408 || status == 409
	    || status == 429)
		return true;
	if (status == 404)
		return code == NULL || strcmp(code, "no_such_case") != 0;
	return status < 400; /* 1xx, 3xx: nothing we follow */
}

static void
on_delivered(const sn_httpc_answer *a, void *arg)
{
	out_row *d = arg;
	char     id[24], why[256], wait[24];

	if (a->err == SN_ECLOSED || L.stopping)
		return;
	snprintf(id, sizeof(id), "%" PRId64, d->id);
	if (a->err == SN_OK && a->status >= 200 && a->status < 300) {
		sn_counter_add(L.delivered, 1);
		sn_pgarray_add_i64(&Q.delivered, d->id);
		Q.ndelivered++;
		Q.next++;
		send_current();
		return;
	}
	const char *code = NULL;
	json_t     *j    = a->err == SN_OK ? sn_httpc_answer_json(a) : NULL;
	if (j != NULL)
		code = json_string_value(
		    json_object_get(json_object_get(j, "error"), "code"));
	if (a->err == SN_OK)
		snprintf(why, sizeof(why), "HTTP %ld %s", a->status,
		    code != NULL ? code : "");
	else
		snprintf(
		    why, sizeof(why), "%s: %s", sn_strerror(a->err), a->error);
	if (a->err == SN_OK && !retryable(a->status, code)) {
		sn_counter_add(L.refused, 1);
		sn_log(SN_LOG_ERROR,
		    "link: the platform refused a delivery for good", "row",
		    id, "reason", why, NULL);
		json_decref(j);
		Q.next++;
		const char *vals[] = { id, why };
		sn_db_query(L.s->db,
		    "UPDATE link_outbound SET refused_at = now(),"
		    " attempts = attempts + 1, last_error = $2"
		    " WHERE id = $1::bigint",
		    2, vals, delivered_saved, (void *) (intptr_t) AFTER_SEND);
		return;
	}
	json_decref(j);
	sn_counter_add(L.failed, 1);
	uint32_t shift
	    = (uint32_t) (d->attempts + 1 < 16 ? d->attempts + 1 : 16);
	uint64_t ms = (uint64_t) L.poll_ms << shift;
	if (ms > L.retry_max_ms)
		ms = L.retry_max_ms;
	snprintf(wait, sizeof(wait), "%" PRIu64, ms);
	sn_log(SN_LOG_WARN, "link: a delivery failed; retrying", "row", id,
	    "reason", why, "retry_ms", wait, NULL);
	const char *vals[] = { id, why, wait };
	sn_db_query(L.s->db,
	    "UPDATE link_outbound SET attempts = attempts + 1,"
	    " last_error = $2, next_at = now() + make_interval(secs =>"
	    " $3::bigint / 1000.0) WHERE id = $1::bigint",
	    3, vals, ignore_result, NULL);
	/* the queue waits; the tips need not */
	save_delivered(AFTER_TIPS);
}

/* Sends the page's next row; at the page's end, or at a row not due yet
 * (the queue waits for it), records what was delivered. */
static void
send_current(void)
{
	char target[CASE_ID_MAX + 32];

	if (Q.next == Q.n) {
		save_delivered(Q.n == L.page ? AFTER_NEXT_PAGE : AFTER_TIPS);
		return;
	}
	out_row *r = &Q.rows[Q.next];
	if (!r->due) {
		save_delivered(AFTER_TIPS);
		return;
	}
	json_t *body = json_loads(r->body, 0, NULL);
	char   *text = NULL;
	if (body != NULL) {
		json_object_set_new(body, "version", json_integer(r->id));
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
	}
	if (text == NULL) {
		save_delivered(AFTER_TIPS);
		return;
	}
	snprintf(target, sizeof(target),
	    r->outcome ? "/v1/cases/%s/outcome" : "/v1/cases/%s", r->case_id);
	sn_err err = send_signed("PUT", target, text, on_delivered, r);
	free(text);
	if (err != SN_OK)
		save_delivered(AFTER_TIPS);
}

static void
got_head(sn_err err, PGresult *res, void *arg)
{
	sn_rows rows;

	(void) arg;
	page_clear();
	if (L.stopping)
		return;
	if (err == SN_OK)
		err = sn_rows_open(&rows, res, head_cols, SN_NCOLS(head_cols));
	if (err != SN_OK) {
		idle();
		return;
	}
	int n = sn_rows_count(&rows);
	for (int i = 0; i < n && i < (int) L.page; i++) {
		head_row h;
		if (sn_rows_read(&rows, i, &h) != SN_OK)
			break;
		out_row *o  = &Q.rows[Q.n];
		o->id       = h.id;
		o->attempts = h.attempts;
		o->due      = h.due;
		o->outcome  = strcmp(h.what, "outcome") == 0;
		o->case_id  = strdup(h.case_id);
		o->body     = strdup(h.body);
		if (o->case_id == NULL || o->body == NULL)
			abort();
		Q.n++;
		if (i == 0)
			sn_gauge_set(L.pending, h.pending);
	}
	sn_rows_close(&rows);
	if (Q.n == 0) {
		sn_gauge_set(L.pending, 0);
		L.queue_empty = L.gen == L.gen_read;
		poll_tips();
		return;
	}
	send_current();
}

static void
deliver_next(void)
{
	char lim[16];
	snprintf(lim, sizeof(lim), "%u", L.page);
	const char *vals[] = { lim };
	L.gen_read         = L.gen;
	sn_db_query(L.s->db,
	    "SELECT id, what, case_id, body::text AS body, attempts,"
	    " next_at <= now() AS due, (SELECT count(*) FROM link_outbound"
	    "  WHERE delivered_at IS NULL AND refused_at IS NULL) AS pending"
	    " FROM link_outbound WHERE delivered_at IS NULL"
	    " AND refused_at IS NULL ORDER BY id LIMIT $1::int",
	    1, vals, got_head, NULL);
}

/* ---- tips -------------------------------------------------------------- */

typedef struct page {
	json_t *items; /* the tips to record, in seq order */
	size_t  next;  /* the index of the tip being recorded */
	int64_t after, last;
	size_t  got; /* items the platform answered, kept or skipped */
} page;

static void tip_step(sn_tx *tx, void *arg);

static void
cursor_moved(sn_tx *tx, PGresult *res, void *arg)
{
	(void) arg;
	if (sn_rows_affected(res) != 1) {
		sn_log(SN_LOG_ERROR, "link: the tips cursor moved under us",
		    NULL);
		sn_tx_rollback(tx, SN_ECONFLICT);
		return;
	}
	sn_tx_commit(tx);
}

static void
tip_step(sn_tx *tx, void *arg)
{
	page *p = arg;
	char  a[24], b[24];

	if (p->next == json_array_size(p->items)) {
		snprintf(a, sizeof(a), "%" PRId64, p->after);
		snprintf(b, sizeof(b), "%" PRId64, p->last);
		const char *vals[] = { a, b };
		sn_tx_query(tx,
		    "UPDATE link_tips SET after = $2::bigint"
		    " WHERE after = $1::bigint",
		    2, vals, cursor_moved, p);
		return;
	}
	json_t                   *t   = json_array_get(p->items, p->next++);
	supervision_grievance_tip tip = {
		.tip_id = json_string_value(json_object_get(t, "id")),
		.subject_kind
		= json_string_value(json_object_get(t, "subject_kind")),
		.subject_id
		= json_string_value(json_object_get(t, "subject_id")),
		.category = json_string_value(json_object_get(t, "category")),
		.text     = json_string_value(json_object_get(t, "text")),
		.reporter = json_string_value(json_object_get(t, "reporter")),
	};
	sn_err err
	    = supervision_grievances_from_tip(L.s, tx, &tip, tip_step, p);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
page_begin(sn_tx *tx, void *arg)
{
	tip_step(tx, arg);
}

static void
page_done(sn_err err, void *arg)
{
	page *p    = arg;
	bool  full = p->got == TIPS_PAGE;
	if (err == SN_OK) {
		sn_counter_add(L.tips, json_array_size(p->items));
		L.after       = p->last;
		L.after_known = true;
	} else
		L.after_known = false;
	json_decref(p->items);
	free(p);
	if (L.stopping)
		return;
	if (err != SN_OK) {
		sn_log(SN_LOG_WARN, "link: tips not recorded; retrying",
		    "error", sn_strerror(err), NULL);
		idle();
		return;
	}
	if (full)
		poll_tips();
	else
		idle();
}

static bool
one_of(const char *v, const char *const *set)
{
	for (; v != NULL && *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

/* A tip fit to become a grievance: the kinds, categories and lengths the
 * grievances take. */
static bool
tip_ok(json_t *t)
{
	static const char *const kinds[]
	    = { "case", "household", "staff", NULL };
	static const char *const cats[]
	    = { "decision", "amount", "delay", "conduct", NULL };
	const char *id   = json_string_value(json_object_get(t, "id"));
	const char *subj = json_string_value(json_object_get(t, "subject_id"));
	const char *text = json_string_value(json_object_get(t, "text"));
	const char *rep  = json_string_value(json_object_get(t, "reporter"));
	return id != NULL && strlen(id) <= 64
	    && one_of(
	        json_string_value(json_object_get(t, "subject_kind")), kinds)
	    && one_of(json_string_value(json_object_get(t, "category")), cats)
	    && subj != NULL && subj[0] != '\0' && strlen(subj) <= 64
	    && text != NULL && text[0] != '\0' && strlen(text) <= 16000
	    && (rep == NULL || strlen(rep) <= 800);
}

typedef struct tips_req {
	int64_t after;
} tips_req;

static void
on_tips(const sn_httpc_answer *a, void *arg)
{
	tips_req *q     = arg;
	int64_t   after = q->after;
	free(q);
	if (a->err == SN_ECLOSED || L.stopping)
		return;
	if (a->err != SN_OK || a->status != 200) {
		if (a->err == SN_OK)
			sn_log(SN_LOG_WARN,
			    "link: the platform refused GET tips", "status",
			    a->status >= 500 ? "5xx" : "4xx", NULL);
		idle();
		return;
	}
	json_t *j     = sn_httpc_answer_json(a);
	json_t *items = json_object_get(j, "items");
	page   *p     = calloc(1, sizeof(*p));
	if (!json_is_array(items) || p == NULL
	    || (p->items = json_array()) == NULL) {
		if (j != NULL)
			sn_log(SN_LOG_WARN,
			    "link: a tips answer without items", NULL);
		free(p);
		json_decref(j);
		idle();
		return;
	}
	p->after = p->last = after;
	p->got             = json_array_size(items);
	size_t  i;
	json_t *t;
	json_array_foreach(items, i, t)
	{
		json_t *seq = json_object_get(t, "seq");
		if (!json_is_integer(seq)
		    || json_integer_value(seq) <= p->last) {
			sn_log(SN_LOG_ERROR,
			    "link: a tip out of order; the page is not taken",
			    NULL);
			json_decref(p->items);
			free(p);
			json_decref(j);
			idle();
			return;
		}
		p->last = (int64_t) json_integer_value(seq);
		if (tip_ok(t))
			json_array_append(p->items, t);
		else {
			sn_counter_add(L.tips_skipped, 1);
			sn_log(SN_LOG_ERROR,
			    "link: a tip that cannot be a grievance, skipped",
			    "tip", json_string_value(json_object_get(t, "id")),
			    NULL);
		}
	}
	json_decref(j);
	if (p->last == after) {
		json_decref(p->items);
		free(p);
		if (L.tips_idle < TIPS_IDLE_MAX)
			L.tips_idle++;
		idle();
		return;
	}
	L.tips_idle = 0;
	sn_db_tx(L.s->db, page_begin, page_done, p);
}

typedef struct cursor_row {
	int64_t after;
} cursor_row;

static const sn_col cursor_cols[] = {
	SN_COL(cursor_row, after, SN_COL_I64),
};

static void
get_tips(int64_t after)
{
	char      target[96];
	tips_req *q = malloc(sizeof(*q));
	if (q == NULL) {
		idle();
		return;
	}
	q->after = after;
	snprintf(target, sizeof(target), "/v1/tips?after=%" PRId64 "&limit=%d",
	    after, TIPS_PAGE);
	if (send_signed("GET", target, NULL, on_tips, q) != SN_OK) {
		free(q);
		idle();
	}
}

static void
got_cursor(sn_err err, PGresult *res, void *arg)
{
	cursor_row c;
	(void) arg;
	if (L.stopping)
		return;
	if (err != SN_OK
	    || sn_rows_one(res, cursor_cols, SN_NCOLS(cursor_cols), &c)
	        != SN_OK) {
		idle();
		return;
	}
	L.after       = c.after;
	L.after_known = true;
	get_tips(c.after);
}

/* Only this process moves the cursor (a move checks it did not move
 * under it, and a failed move drops what is known), so the tips are asked
 * from the cursor it knows without reading it each turn. */
static void
poll_tips(void)
{
	/* Tips that stopped coming are asked for less often: every 2nd,
	 * 4th, then 8th tick after one, two, three empty answers. */
	if (L.ticks % (1u << L.tips_idle) != 0) {
		idle();
		return;
	}
	if (L.after_known) {
		get_tips(L.after);
		return;
	}
	sn_db_query(
	    L.s->db, "SELECT after FROM link_tips", 0, NULL, got_cursor, NULL);
}

static void
tick(void *arg)
{
	(void) arg;
	if (!L.on || L.busy || L.stopping)
		return;
	L.busy = true;
	L.ticks++;
	if (L.queue_empty && L.ticks % EMPTY_RECHECK_TICKS != 0)
		poll_tips(); /* nothing queued since the queue was empty */
	else
		deliver_next();
}

/* ---- lifecycle -----------------------------------------------------------
 */

static void
on_stop(void *arg)
{
	(void) arg;
	L.stopping = true;
	sn_httpc_close(L.http);
	L.http = NULL;
}

void
supervision_link_teardown(supervision *s)
{
	(void) s;
	on_stop(NULL);
	page_clear();
	free(L.base);
	free(L.prefix);
	L.base = L.prefix = NULL;
}

/* Splits the base URL into scheme://authority and its path. */
static void
split_url(const char *url)
{
	const char *p     = strstr(url, "://");
	const char *slash = p != NULL ? strchr(p + 3, '/') : NULL;
	size_t      n = slash != NULL ? (size_t) (slash - url) : strlen(url);
	L.base        = strndup(url, n);
	const char *path = slash != NULL ? slash : "";
	size_t      plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	L.prefix = strndup(path, plen);
}

sn_err
supervision_link_setup(supervision *s)
{
	sn_metrics *m = s->metrics;
	sn_err      err;

	memset(&L, 0, sizeof(L));
	L.s       = s;
	L.poll_ms = (uint32_t) sn_config_int(
	    "SN_SUPERVISION_LINK_POLL_MS", 1000, 20, 3600000);
	L.page = (uint32_t) sn_config_int(
	    "SN_SUPERVISION_LINK_PAGE", 50, 1, LINK_PAGE_MAX);
	L.retry_max_ms = (uint32_t) sn_config_int(
	    "SN_SUPERVISION_LINK_RETRY_MAX_MS", 60000, 20, 86400000);
	L.timeout_ms = (uint32_t) sn_config_int(
	    "SN_SUPERVISION_LINK_TIMEOUT_MS", 10000, 100, 600000);
	L.delivered
	    = sn_metrics_counter(m, "sn_supervision_link_delivered_total",
	        "Deliveries the 12388 platform acknowledged", NULL);
	L.failed  = sn_metrics_counter(m, "sn_supervision_link_failed_total",
	     "Delivery attempts that failed and will be retried", NULL);
	L.refused = sn_metrics_counter(m, "sn_supervision_link_refused_total",
	    "Deliveries the 12388 platform refused for good", NULL);
	L.tips    = sn_metrics_counter(m, "sn_supervision_link_tips_total",
	       "Tips taken from the 12388 platform", NULL);
	L.tips_skipped = sn_metrics_counter(m,
	    "sn_supervision_link_tips_skipped_total",
	    "Tips that could not be grievances (malformed), skipped", NULL);
	L.pending      = sn_metrics_gauge(m, "sn_supervision_link_pending",
	         "Deliveries waiting for the 12388 platform", NULL);
	if (L.delivered == NULL || L.failed == NULL || L.refused == NULL
	    || L.tips == NULL || L.tips_skipped == NULL || L.pending == NULL)
		return SN_ENOMEM;

	const char *url = sn_config_str("SN_INSPECTION_URL", "");
	if (url[0] == '\0') {
		sn_log(SN_LOG_INFO,
		    "link: SN_INSPECTION_URL is not set: the 12388 link is "
		    "off "
		    "(deliveries queue until it is on)",
		    NULL);
		return SN_OK;
	}
	if (strncmp(url, "https://", 8) != 0
	    && strncmp(url, "http://", 7) != 0)
		sn_config_fail(
		    "SN_INSPECTION_URL", "an http:// or https:// URL", url);
	size_t      n   = 0;
	const char *key = sn_config_str("SN_INSPECTION_KEY", NULL);
	if (strlen(key) != 2 * KEYLEN
	    || sodium_hex2bin(L.key, KEYLEN, key, strlen(key), NULL, &n, NULL)
	        != 0
	    || n != KEYLEN)
		sn_config_fail(
		    "SN_INSPECTION_KEY", "64 hex digits", "(hidden)");
	const char *kid = sn_config_str("SN_INSPECTION_KEY_ID", "k1");
	if (strlen(kid) >= sizeof(L.key_id))
		sn_config_fail(
		    "SN_INSPECTION_KEY_ID", "at most 63 characters", kid);
	snprintf(L.key_id, sizeof(L.key_id), "%s", kid);
	split_url(url);
	if (L.base == NULL || L.prefix == NULL)
		return SN_ENOMEM;
	if ((err = sn_httpc_open(&L.http, sn_service_loop(s->svc), NULL))
	    != SN_OK)
		return err;
	if ((err = sn_loop_on_stop(sn_service_loop(s->svc), on_stop, NULL))
	    != SN_OK)
		return err;
	L.on = true;
	sn_log(SN_LOG_INFO, "link: the 12388 link is on", "url", url, "key_id",
	    L.key_id, NULL);
	return sn_service_every(s->svc, L.poll_ms, L.poll_ms, tick, NULL);
}
