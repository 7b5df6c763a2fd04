#include "audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "sn/clock.h"
#include "sn/config.h"
#include "sn/date.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/page.h"
#include "sn/supervision/v1/supervision.pb-c.h"

/* Rows per page of verification's read: memory stays flat however long
 * the chain is. */
#define VERIFY_PAGE 1000
#define VERIFY_PAGE_STR "1000"
/* Room for most records on the stack; a longer one is malloc'd. */
#define CANON_STACK 2048
/* "\x" and 64 hex digits and the NUL: a hash as a bytea text parameter. */
#define BYTEA_HEXLEN (2 + 2 * SUPERVISION_AUDIT_HASHLEN + 1)

typedef struct supervision_audit {
	supervision *s;
	bool         anchoring; /* the timer's transaction is running */
	bool         verifying; /* one verification at a time */
	char         stamp[SN_CLOCK_STAMPLEN]; /* the timer's anchored_at */
	char         day[SN_DATE_STRLEN];      /* the timer's day */
	sn_counter  *checks;  /* the timer's checks committed */
	sn_counter  *anchors; /* anchors made (daily and requested) */
	sn_counter  *verified_ok, *verified_broken;
} supervision_audit;

static supervision_audit A;

/* ---- canonical bytes (pure) ------------------------------------------ */

typedef struct cbuf {
	char  *buf;
	size_t cap, len;
} cbuf;

static void
put(cbuf *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void
puts_raw(cbuf *o, const char *s)
{
	while (*s != '\0')
		put(o, *s++);
}

/* A JSON string as RFC 8785 writes one; false if s is not UTF-8. */
static bool
put_str(cbuf *o, const char *s)
{
	static const char    hex[] = "0123456789abcdef";
	const unsigned char *p     = (const unsigned char *) s;

	put(o, '"');
	while (*p != '\0') {
		size_t n = sn_utf8_seq(p);
		if (n == 0)
			return false;
		if (n > 1) {
			for (size_t i = 0; i < n; i++)
				put(o, (char) p[i]);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':
			puts_raw(o, "\\\"");
			break;
		case '\\':
			puts_raw(o, "\\\\");
			break;
		case '\b':
			puts_raw(o, "\\b");
			break;
		case '\f':
			puts_raw(o, "\\f");
			break;
		case '\n':
			puts_raw(o, "\\n");
			break;
		case '\r':
			puts_raw(o, "\\r");
			break;
		case '\t':
			puts_raw(o, "\\t");
			break;
		default:
			if (*p < 0x20) {
				puts_raw(o, "\\u00");
				put(o, hex[*p >> 4]);
				put(o, hex[*p & 0xf]);
			} else
				put(o, (char) *p);
		}
		p++;
	}
	put(o, '"');
	return true;
}

static void
put_int(cbuf *o, int64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%lld", (long long) v);
	puts_raw(o, b);
}

sn_err
supervision_audit_canonical(
    const supervision_audit_record *r, char *buf, size_t cap, size_t *len)
{
	/* Members in byte order of their names (all ASCII). */
	const struct {
		const char *name;
		const char *s; /* NULL: the integer */
		int64_t     i;
	} m[] = {
		{ "actor_index", r->actor_index, 0 },
		{ "at", r->at, 0 },
		{ "event_id", r->event_id, 0 },
		{ "idempotency_key", r->idempotency_key, 0 },
		{ "jurisdiction", r->jurisdiction, 0 },
		{ "method", r->method, 0 },
		{ "n", NULL, r->n },
		{ "outcome_code", r->outcome_code, 0 },
		{ "request_id", r->request_id, 0 },
		{ "role", r->role, 0 },
		{ "route", r->route, 0 },
		{ "sequence", NULL, r->sequence },
		{ "service", r->service, 0 },
		{ "source", r->source, 0 },
		{ "status", NULL, r->status },
		{ "subject", r->subject, 0 },
		{ "user_id", r->user_id, 0 },
	};
	static const bool is_int[]
	    = { false, false, false, false, false, false, true, false, false,
		      false, false, true, false, false, true, false, false };
	cbuf o = { buf, cap, 0 };

	put(&o, '{');
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (i > 0)
			put(&o, ',');
		put_str(&o, m[i].name);
		put(&o, ':');
		if (is_int[i])
			put_int(&o, m[i].i);
		else if (m[i].s == NULL || !put_str(&o, m[i].s))
			return SN_EINVAL;
	}
	put(&o, '}');
	*len = o.len;
	if (o.len >= cap)
		return SN_ERANGE;
	buf[o.len] = '\0';
	return SN_OK;
}

void
supervision_audit_hash(const uint8_t prev[SUPERVISION_AUDIT_HASHLEN],
    const char *bytes, size_t len, uint8_t out_hash[SUPERVISION_AUDIT_HASHLEN])
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, prev, SUPERVISION_AUDIT_HASHLEN);
	crypto_hash_sha256_update(&st, (const unsigned char *) bytes, len);
	crypto_hash_sha256_final(&st, out_hash);
}

/* The canonical bytes of r, on the stack when they fit (*heap NULL) or
 * malloc'd (*heap, to free). NULL on SN_EINVAL or no memory. */
static const char *
canonical(const supervision_audit_record *r, char stack[CANON_STACK],
    char **heap, size_t *len, sn_err *err)
{
	*heap = NULL;
	*err  = supervision_audit_canonical(r, stack, CANON_STACK, len);
	if (*err == SN_OK)
		return stack;
	if (*err != SN_ERANGE)
		return NULL;
	if ((*heap = malloc(*len + 1)) == NULL) {
		*err = SN_ENOMEM;
		return NULL;
	}
	*err = supervision_audit_canonical(r, *heap, *len + 1, len);
	return *err == SN_OK ? *heap : NULL;
}

/* ---- times (pure) ---------------------------------------------------- */

/* n digits at s as an integer; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

sn_err
supervision_audit_at(const char *in, char o[SUPERVISION_AUDIT_ATLEN])
{
	char    date[SN_DATE_STRLEN];
	sn_date d;
	int     hh, mi, ss, frac = 0, nfrac = 0, off = 0;

	if (in == NULL || strlen(in) < 20)
		return SN_EINVAL;
	memcpy(date, in, 10);
	date[10] = '\0';
	if (sn_date_parse(date, &d) != SN_OK
	    || (in[10] != 'T' && in[10] != 't') || in[13] != ':'
	    || in[16] != ':')
		return SN_EINVAL;
	hh = digits(in + 11, 2);
	mi = digits(in + 14, 2);
	ss = digits(in + 17, 2);
	if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59)
		return SN_EINVAL;
	const char *p = in + 19;
	if (*p == '.') {
		p++;
		while (p[nfrac] >= '0' && p[nfrac] <= '9') {
			if (nfrac == 6)
				return SN_EINVAL;
			frac = frac * 10 + (p[nfrac] - '0');
			nfrac++;
		}
		if (nfrac == 0)
			return SN_EINVAL;
		p += nfrac;
		for (int i = nfrac; i < 6; i++)
			frac *= 10;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		off = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh = digits(p + 1, 2), om = digits(p + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return SN_EINVAL;
		off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
	} else
		return SN_EINVAL;
	int64_t t = sn_date_to_days(d) * 86400 + hh * 3600 + mi * 60 + ss
	    - (int64_t) off * 60;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t sec  = t - days * 86400;
	sn_date u    = sn_date_from_days(days);
	if (u.year < 1 || u.year > 9999)
		return SN_EINVAL;
	char tmp[64];
	int  len
	    = snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	        (int) u.year, (int) u.month, (int) u.day, (int) (sec / 3600),
	        (int) (sec / 60 % 60), (int) (sec % 60), frac);
	if (len != SUPERVISION_AUDIT_ATLEN - 1)
		return SN_EINVAL;
	memcpy(o, tmp, SUPERVISION_AUDIT_ATLEN);
	return SN_OK;
}

/* ---- verification (pure) --------------------------------------------- */

const char *
supervision_audit_break_code(supervision_audit_break b)
{
	switch (b) {
	case SUPERVISION_AUDIT_INTACT:
		return "";
	case SUPERVISION_AUDIT_MISSING:
		return "missing";
	case SUPERVISION_AUDIT_PREV_MISMATCH:
		return "prev_hash_mismatch";
	case SUPERVISION_AUDIT_HASH_MISMATCH:
		return "hash_mismatch";
	case SUPERVISION_AUDIT_COLUMNS_MISMATCH:
		return "columns_mismatch";
	case SUPERVISION_AUDIT_BEYOND_HEAD:
		return "beyond_head";
	case SUPERVISION_AUDIT_HEAD_MISMATCH:
		return "head_mismatch";
	}
	return "";
}

void
supervision_audit_walk_init(supervision_audit_walk *w, int64_t head_n,
    const uint8_t head_hash[SUPERVISION_AUDIT_HASHLEN])
{
	memset(w, 0, sizeof(*w));
	w->head_n = head_n;
	memcpy(w->head_hash, head_hash, SUPERVISION_AUDIT_HASHLEN);
}

static bool
walk_break(supervision_audit_walk *w, supervision_audit_break b, int64_t n)
{
	w->broken       = b;
	w->first_broken = n;
	return false;
}

bool
supervision_audit_walk_row(
    supervision_audit_walk *w, const supervision_audit_row *row)
{
	int64_t want = w->checked + 1;
	uint8_t h[SUPERVISION_AUDIT_HASHLEN];

	if (w->broken != SUPERVISION_AUDIT_INTACT)
		return false;
	if (row->rec.n != want || want > w->head_n)
		return want <= w->head_n
		    ? walk_break(w, SUPERVISION_AUDIT_MISSING, want)
		    : walk_break(w, SUPERVISION_AUDIT_BEYOND_HEAD, row->rec.n);
	if (row->prev_len != SUPERVISION_AUDIT_HASHLEN
	    || memcmp(row->prev_hash, w->prev, SUPERVISION_AUDIT_HASHLEN) != 0)
		return walk_break(w, SUPERVISION_AUDIT_PREV_MISMATCH, want);
	supervision_audit_hash(
	    row->prev_hash, row->record, row->record_len, h);
	if (row->hash_len != SUPERVISION_AUDIT_HASHLEN
	    || memcmp(row->hash, h, SUPERVISION_AUDIT_HASHLEN) != 0)
		return walk_break(w, SUPERVISION_AUDIT_HASH_MISMATCH, want);

	char        stack[CANON_STACK], *heap;
	size_t      len;
	sn_err      err;
	const char *c    = canonical(&row->rec, stack, &heap, &len, &err);
	bool        same = c != NULL && len == row->record_len
	    && memcmp(c, row->record, len) == 0;
	free(heap);
	if (!same)
		return walk_break(w, SUPERVISION_AUDIT_COLUMNS_MISMATCH, want);
	memcpy(w->prev, h, SUPERVISION_AUDIT_HASHLEN);
	w->checked++;
	return true;
}

void
supervision_audit_walk_end(supervision_audit_walk *w)
{
	if (w->broken != SUPERVISION_AUDIT_INTACT)
		return;
	if (w->checked < w->head_n)
		walk_break(w, SUPERVISION_AUDIT_MISSING, w->checked + 1);
	else if (memcmp(w->prev, w->head_hash, SUPERVISION_AUDIT_HASHLEN) != 0)
		walk_break(w, SUPERVISION_AUDIT_HEAD_MISMATCH, w->head_n);
}

/* ---- appending --------------------------------------------------------- */

/* The head, and the record's members echoed back (the envelope is only
 * borrowed for the hook's call; the result lives through the callback). */
static const char SQL_HEAD[]
    = "SELECT h.n + 1 AS n, h.hash AS prev_hash, $1::text AS event_id,"
      " $2::text AS source, $3::bigint AS sequence, $4::text AS service,"
      " $5::text AS user_id, $6::text AS role, $7::text AS jurisdiction,"
      " $8::text AS actor_index, $9::text AS method, $10::text AS route,"
      " $11::text AS subject, $12::text AS request_id,"
      " $13::text AS idempotency_key, $14::bigint AS status,"
      " $15::text AS outcome_code, $16::text AS at"
      " FROM audit_head h WHERE h.one FOR UPDATE";

static const char SQL_APPEND[]
    = "INSERT INTO audit_chain (n, service, user_id, role, jurisdiction,"
      " actor_index, method, route, subject, request_id, idempotency_key,"
      " status, outcome_code, at, event_id, source, sequence, record,"
      " prev_hash, hash) VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8,"
      " $9, $10, $11, $12::bigint, $13, $14::timestamptz, $15, $16,"
      " $17::bigint, $18, $19::bytea, $20::bytea)";

static const char SQL_MOVE_HEAD[]
    = "UPDATE audit_head SET n = $1::bigint, hash = $2::bytea WHERE one";

/* The columns of a record, as SQL_HEAD and the verification's page
 * read them. */
typedef struct rec_row {
	supervision_audit_record r;
	const char              *record;
	sn_bytes                 prev_hash, hash;
} rec_row;

#define REC_COLS                                                              \
	SN_COL_AS(rec_row, r.n, "n", SN_COL_I64),                             \
	    SN_COL_AS(rec_row, r.service, "service", SN_COL_TEXT),            \
	    SN_COL_AS(rec_row, r.user_id, "user_id", SN_COL_TEXT),            \
	    SN_COL_AS(rec_row, r.role, "role", SN_COL_TEXT),                  \
	    SN_COL_AS(rec_row, r.jurisdiction, "jurisdiction", SN_COL_TEXT),  \
	    SN_COL_AS(rec_row, r.actor_index, "actor_index", SN_COL_TEXT),    \
	    SN_COL_AS(rec_row, r.method, "method", SN_COL_TEXT),              \
	    SN_COL_AS(rec_row, r.route, "route", SN_COL_TEXT),                \
	    SN_COL_AS(rec_row, r.subject, "subject", SN_COL_TEXT),            \
	    SN_COL_AS(rec_row, r.request_id, "request_id", SN_COL_TEXT),      \
	    SN_COL_AS(                                                        \
	        rec_row, r.idempotency_key, "idempotency_key", SN_COL_TEXT),  \
	    SN_COL_AS(rec_row, r.status, "status", SN_COL_I64),               \
	    SN_COL_AS(rec_row, r.outcome_code, "outcome_code", SN_COL_TEXT),  \
	    SN_COL_AS(rec_row, r.at, "at", SN_COL_TEXT),                      \
	    SN_COL_AS(rec_row, r.event_id, "event_id", SN_COL_TEXT),          \
	    SN_COL_AS(rec_row, r.source, "source", SN_COL_TEXT),              \
	    SN_COL_AS(rec_row, r.sequence, "sequence", SN_COL_I64),           \
	    SN_COL_AS(rec_row, prev_hash, "prev_hash", SN_COL_BYTES)

static const sn_col head_cols[] = { REC_COLS };
static const sn_col page_cols[]
    = { REC_COLS, SN_COL_AS(rec_row, record, "record", SN_COL_TEXT),
	      SN_COL_AS(rec_row, hash, "hash", SN_COL_BYTES) };

static char *
bytea_hex(const uint8_t h[SUPERVISION_AUDIT_HASHLEN], char buf[BYTEA_HEXLEN])
{
	buf[0] = '\\';
	buf[1] = 'x';
	sodium_bin2hex(
	    buf + 2, BYTEA_HEXLEN - 2, h, SUPERVISION_AUDIT_HASHLEN);
	return buf;
}

static char *
i64(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%lld", (long long) v);
	return buf;
}

/*
 * The head as the applying transaction left it. The first record of a
 * transaction reads the head (SQL_HEAD, FOR UPDATE: the row stays locked
 * to the transaction's end); the records after it in the same
 * transaction follow the one before without reading it again, so a
 * batch of staff.acted events is not a round trip each (the next event
 * waits for a read's answer: apply_next in bus.c). Kept in the
 * transaction's sn_tx_slot, so forgotten when it ends, however it ends:
 * a retried batch reads the head again. Supervision's apply transactions
 * take no savepoints; a savepoint undone under held records would need
 * to forget them too (sn_tx_on_undo).
 */
struct held {
	int64_t n;
	uint8_t hash[SUPERVISION_AUDIT_HASHLEN];
};
static const char held_key; /* the transaction's sn_tx_slot */

/* Record r (its n the next one; rec, len: its canonical bytes) after
 * prev: hashed, appended, and the head moved to it, in tx; what tx holds
 * then is r. */
static sn_err
append(sn_tx *tx, const supervision_audit_record *r, const char *rec,
    size_t len, const uint8_t prev[SUPERVISION_AUDIT_HASHLEN])
{
	char    nb[24], st[24], sq[24], ph[BYTEA_HEXLEN], hh[BYTEA_HEXLEN];
	uint8_t hash[SUPERVISION_AUDIT_HASHLEN];
	sn_err  err;
	supervision_audit_hash(prev, rec, len, hash);
	const char *v[] = { i64(nb, r->n), r->service, r->user_id, r->role,
		r->jurisdiction, r->actor_index, r->method, r->route,
		r->subject, r->request_id, r->idempotency_key,
		i64(st, r->status), r->outcome_code, r->at, r->event_id,
		r->source, i64(sq, r->sequence), rec, bytea_hex(prev, ph),
		bytea_hex(hash, hh) };
	const char *h[] = { nb, hh };
	if ((err = sn_tx_query(tx, SQL_APPEND, 20, v, NULL, NULL)) == SN_OK)
		err = sn_tx_query(tx, SQL_MOVE_HEAD, 2, h, NULL, NULL);
	if (err != SN_OK)
		return err;
	/* Held for the next record; without a slot, it reads the head. */
	struct held *held = sn_tx_slot(tx, &held_key, sizeof(*held), NULL);
	if (held != NULL) {
		held->n = r->n;
		memcpy(held->hash, hash, sizeof(hash));
	}
	return SN_OK;
}

/* The head is read and locked: append the record after it. */
static void
head_read(sn_tx *tx, PGresult *res, void *arg)
{
	rec_row     x;
	sn_rows     rows;
	char        stack[CANON_STACK], *heap = NULL;
	size_t      len;
	sn_err      err;
	const char *rec;

	(void) arg;
	if ((err = sn_rows_open(&rows, res, head_cols, SN_NCOLS(head_cols)))
	        == SN_OK
	    && sn_rows_count(&rows) != 1)
		err = SN_EPROTO; /* no head row: the schema is broken */
	if (err == SN_OK && (err = sn_rows_read(&rows, 0, &x)) == SN_OK
	    && x.prev_hash.len != SUPERVISION_AUDIT_HASHLEN)
		err = SN_EPROTO;
	if (err == SN_OK
	    && (rec = canonical(&x.r, stack, &heap, &len, &err)) != NULL)
		err = append(tx, &x.r, rec, len, x.prev_hash.data);
	free(heap);
	sn_rows_close(&rows);
	if (err != SN_OK) {
		sn_log(SN_LOG_ERROR, "supervision: audit record not appended",
		    "error", sn_strerror(err), NULL);
		sn_tx_rollback(tx, err);
	}
}

sn_err
supervision_audit_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e)
{
	const Sn__Supervision__V1__StaffActed *m;
	char   at[SUPERVISION_AUDIT_ATLEN], idx[SN_SEAL_INDEX_HEX + 1] = "";
	char   sq[24], st[24], stack[CANON_STACK], *heap;
	size_t len;
	sn_err err;

	if (e->msg == NULL || strcmp(e->ev->type, "staff.acted") != 0)
		return SN_OK;
	m = (const Sn__Supervision__V1__StaffActed *) e->msg;
	if (supervision_audit_at(m->at, at) != SN_OK) {
		sn_log(SN_LOG_ERROR,
		    "supervision: staff.acted with a bad time", "source",
		    e->ev->source, NULL);
		return SN_EINVAL;
	}
	if (m->actor_id_number[0] != '\0')
		sn_seal_index(s->seal, SUPERVISION_PERSON_COLUMN,
		    m->actor_id_number, idx);
	supervision_audit_record r = { .n = 1,
		.service                  = m->service,
		.user_id                  = m->user_id,
		.role                     = m->role,
		.jurisdiction             = m->jurisdiction,
		.actor_index              = idx,
		.method                   = m->method,
		.route                    = m->route,
		.subject                  = m->subject,
		.request_id               = m->request_id,
		.idempotency_key          = m->idempotency_key,
		.status                   = m->status,
		.outcome_code             = m->outcome_code,
		.at                       = at,
		.event_id                 = e->ev->id,
		.source                   = e->ev->source,
		.sequence                 = (int64_t) e->ev->sequence };
	/* A record that cannot be made halts the stream here rather than
	 * fail its transaction again and again. Its n is known when the
	 * transaction holds the head; the head read makes it again else. */
	const struct held *held = sn_tx_slot_get(tx, &held_key);
	if (held != NULL)
		r.n = held->n + 1;
	const char *rec = canonical(&r, stack, &heap, &len, &err);
	if (rec == NULL) {
		sn_log(SN_LOG_ERROR, "supervision: staff.acted is not UTF-8",
		    "source", e->ev->source, NULL);
		return err;
	}
	if (held != NULL) {
		err = append(tx, &r, rec, len, held->hash);
		free(heap);
		return err;
	}
	free(heap);
	const char *v[] = { r.event_id, r.source, i64(sq, r.sequence),
		r.service, r.user_id, r.role, r.jurisdiction, r.actor_index,
		r.method, r.route, r.subject, r.request_id, r.idempotency_key,
		i64(st, r.status), r.outcome_code, r.at };
	return sn_tx_query(tx, SQL_HEAD, 16, v, head_read, NULL);
}

/* ---- anchoring ------------------------------------------------------- */

/* The head as it stands, recorded; a second daily anchor of a day is
 * nothing (no row returned). */
static const char SQL_ANCHOR[]
    = "INSERT INTO audit_anchors (day, daily, records, head_hash,"
      " anchored_at, requested_by)"
      " SELECT $1::date, $2::boolean, h.n, h.hash, $3::timestamptz, $4"
      " FROM audit_head h WHERE h.one"
      " ON CONFLICT (day) WHERE daily DO NOTHING"
      " RETURNING records, encode(head_hash, 'hex') AS head_hash";

typedef struct anchor_row {
	int64_t     records;
	const char *head_hash;
} anchor_row;

static const sn_col anchor_cols[] = {
	SN_COL(anchor_row, records, SN_COL_I64),
	SN_COL(anchor_row, head_hash, SN_COL_TEXT),
};

/* One anchor being made: the timer's (req NULL) or a request's. */
typedef struct anchor_ctx {
	sn_http_req *req;
	char         day[SN_DATE_STRLEN];
	char         stamp[SN_CLOCK_STAMPLEN];
	char         by[64];
} anchor_ctx;

static void
anchor_ctx_fill(anchor_ctx *c, const char *by)
{
	sn_date_format(sn_clock_today(), c->day);
	sn_clock_stamp(c->stamp);
	snprintf(c->by, sizeof(c->by), "%s", by);
}

static sn_err
anchor_queue(sn_tx *tx, const anchor_ctx *c, sn_query_fn cb, void *arg)
{
	const char *v[]
	    = { c->day, c->req == NULL ? "true" : "false", c->stamp, c->by };
	return sn_tx_query(tx, SQL_ANCHOR, 4, v, cb, arg);
}

/* Publishes the anchor of row (through the outbox, in tx). */
static sn_err
anchor_publish(sn_tx *tx, const anchor_ctx *c, const anchor_row *row)
{
	Sn__Supervision__V1__AuditAnchored m
	    = SN__SUPERVISION__V1__AUDIT_ANCHORED__INIT;
	m.records     = (uint64_t) row->records;
	m.head_hash   = (char *) row->head_hash;
	m.day         = (char *) c->day;
	m.anchored_at = (char *) c->stamp;
	sn_err err    = sn_bus_append_msg(
	       A.s->bus, tx, "audit.anchored", c->day, c->by, &m.base);
	if (err == SN_OK)
		sn_counter_add(A.anchors, 1);
	return err;
}

static anchor_ctx timer_ctx;

static void
daily_anchored(sn_tx *tx, PGresult *res, void *arg)
{
	anchor_row row;
	bool       found = false;
	sn_err     err   = sn_rows_opt(
	          res, anchor_cols, SN_NCOLS(anchor_cols), &row, &found);
	(void) arg;
	if (err == SN_OK && found) {
		if ((err = anchor_publish(tx, &timer_ctx, &row)) == SN_OK)
			sn_log(SN_LOG_INFO,
			    "supervision: audit chain anchored", "day",
			    timer_ctx.day, "head", row.head_hash, NULL);
	}
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
daily_begin(sn_tx *tx, void *arg)
{
	(void) arg;
	anchor_ctx_fill(&timer_ctx, "system");
	sn_err err = anchor_queue(tx, &timer_ctx, daily_anchored, NULL);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	sn_tx_commit(tx);
}

static void
daily_done(sn_err err, void *arg)
{
	(void) arg;
	A.anchoring = false;
	if (err == SN_OK)
		sn_counter_add(A.checks, 1);
	else if (err != SN_ECLOSED)
		sn_log(SN_LOG_WARN,
		    "supervision: the daily anchor check failed; the next "
		    "retries",
		    "error", sn_strerror(err), NULL);
}

static void
on_anchor_tick(void *arg)
{
	(void) arg;
	if (A.anchoring || !sn_db_ready(A.s->db)
	    || sn_loop_stopping(sn_service_loop(A.s->svc)))
		return;
	A.anchoring = true;
	sn_db_tx(A.s->db, daily_begin, daily_done, NULL);
}

static void
request_anchored(sn_tx *tx, PGresult *res, void *arg)
{
	anchor_ctx *c = arg;
	anchor_row  row;
	sn_err      err
	    = sn_rows_one(res, anchor_cols, SN_NCOLS(anchor_cols), &row);
	if (err == SN_OK)
		err = anchor_publish(tx, c, &row);
	if (err != SN_OK) {
		sn_http_tx_fail(c->req, tx, 503, "unavailable",
		    "the anchor could not be recorded; retry", NULL);
		return;
	}
	sn_http_tx_reply(c->req, tx, 201,
	    json_pack("{s:I, s:s, s:s, s:s}", "records",
	        (json_int_t) row.records, "head_hash", row.head_hash, "day",
	        c->day, "anchored_at", c->stamp));
}

static void
request_begin(sn_http_req *req, sn_tx *tx, void *arg)
{
	anchor_ctx *c = arg;
	(void) req;
	if (anchor_queue(tx, c, request_anchored, c) != SN_OK)
		sn_http_tx_fail(
		    c->req, tx, 503, "unavailable", "out of memory", NULL);
}

void
supervision_audit_anchor(sn_http_req *req, void *arg)
{
	anchor_ctx *c = calloc(1, sizeof(*c));
	(void) arg;
	if (c == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->req = req;
	anchor_ctx_fill(c, sn_http_principal(req)->user);
	sn_http_tx_with_end(req, request_begin, free, c);
}

/* ---- GET /audit/verify ----------------------------------------------- */

typedef struct verify_ctx {
	sn_http_req           *req;
	supervision_audit_walk walk;
	int64_t                last; /* the n of the last row read */
	bool                   finished;
} verify_ctx;

static const char SQL_READ_HEAD[] = "SELECT n, hash FROM audit_head WHERE one";

static const char SQL_PAGE[]
    = "SELECT n, service, user_id, role, jurisdiction, actor_index,"
      " method, route, subject, request_id, idempotency_key, status,"
      " outcome_code,"
      " to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
      " AS at, event_id, source, sequence, record, prev_hash, hash"
      " FROM audit_chain WHERE n > $1::bigint ORDER BY n"
      " LIMIT " VERIFY_PAGE_STR;

typedef struct head_row {
	int64_t  n;
	sn_bytes hash;
} head_row;

static const sn_col head_row_cols[] = {
	SN_COL(head_row, n, SN_COL_I64),
	SN_COL(head_row, hash, SN_COL_BYTES),
};

static void page_read(sn_tx *tx, PGresult *res, void *arg);

static sn_err
page_ask(sn_tx *tx, verify_ctx *c)
{
	char        after[24];
	const char *v[] = { i64(after, c->last) };
	return sn_tx_query(tx, SQL_PAGE, 1, v, page_read, c);
}

static void
verify_finish(sn_tx *tx, verify_ctx *c)
{
	supervision_audit_walk_end(&c->walk);
	c->finished = true;
	sn_tx_commit(tx);
}

static void
page_read(sn_tx *tx, PGresult *res, void *arg)
{
	verify_ctx *c = arg;
	sn_rows     rows;
	sn_err err = sn_rows_open(&rows, res, page_cols, SN_NCOLS(page_cols));
	int    n   = sn_rows_count(&rows);

	for (int i = 0; err == SN_OK && i < n; i++) {
		rec_row x;
		if ((err = sn_rows_read(&rows, i, &x)) != SN_OK)
			break;
		supervision_audit_row row = { .rec = x.r,
			.record                    = x.record,
			.record_len                = strlen(x.record),
			.prev_hash                 = x.prev_hash.data,
			.prev_len                  = x.prev_hash.len,
			.hash                      = x.hash.data,
			.hash_len                  = x.hash.len };
		c->last                   = x.r.n;
		if (!supervision_audit_walk_row(&c->walk, &row))
			break;
	}
	sn_rows_close(&rows);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	if (c->walk.broken != SUPERVISION_AUDIT_INTACT || n < VERIFY_PAGE)
		verify_finish(tx, c);
	else if ((err = page_ask(tx, c)) != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
head_got(sn_tx *tx, PGresult *res, void *arg)
{
	verify_ctx *c = arg;
	head_row    h;
	sn_rows     rows;
	sn_err      err
	    = sn_rows_open(&rows, res, head_row_cols, SN_NCOLS(head_row_cols));
	if (err == SN_OK && sn_rows_count(&rows) != 1)
		err = SN_EPROTO;
	if (err == SN_OK && (err = sn_rows_read(&rows, 0, &h)) == SN_OK
	    && h.hash.len != SUPERVISION_AUDIT_HASHLEN)
		err = SN_EPROTO;
	if (err == SN_OK) {
		supervision_audit_walk_init(&c->walk, h.n, h.hash.data);
		err = page_ask(tx, c);
	}
	sn_rows_close(&rows);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
verify_begin(sn_tx *tx, void *arg)
{
	verify_ctx *c = arg;
	/* One snapshot for the head and every page: the chain as it was
	 * when the head was read, however long the reading takes. */
	sn_err err = sn_tx_query_once(tx,
	    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0,
	    NULL, NULL, NULL);
	if (err == SN_OK)
		err = sn_tx_query(tx, SQL_READ_HEAD, 0, NULL, head_got, c);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
verify_done(sn_err err, void *arg)
{
	verify_ctx                   *c = arg;
	const supervision_audit_walk *w = &c->walk;

	A.verifying = false;
	if (err != SN_OK || !c->finished) {
		sn_http_reply_error(c->req, 503, "unavailable",
		    "the chain could not be read; retry", NULL);
		free(c);
		return;
	}
	json_t *ans;
	if (w->broken == SUPERVISION_AUDIT_INTACT) {
		char hex[2 * SUPERVISION_AUDIT_HASHLEN + 1];
		sodium_bin2hex(
		    hex, sizeof(hex), w->head_hash, SUPERVISION_AUDIT_HASHLEN);
		sn_counter_add(A.verified_ok, 1);
		ans = json_pack("{s:b, s:I, s:s}", "ok", 1, "records",
		    (json_int_t) w->checked, "head", hex);
	} else {
		static const char *const what[] = {
			[SUPERVISION_AUDIT_MISSING] = "missing (deleted?)",
			[SUPERVISION_AUDIT_PREV_MISMATCH]
			= "its prev_hash is not the hash of the record before "
			  "it (reordered, inserted or deleted?)",
			[SUPERVISION_AUDIT_HASH_MISMATCH]
			= "its hash is not SHA-256 of its prev_hash and "
			  "record "
			  "(edited?)",
			[SUPERVISION_AUDIT_COLUMNS_MISMATCH]
			= "its columns differ from its record (edited?)",
			[SUPERVISION_AUDIT_BEYOND_HEAD]
			= "it lies beyond the head (inserted?)",
			[SUPERVISION_AUDIT_HEAD_MISMATCH]
			= "it is the last, but the head holds another hash",
		};
		char msg[160];
		snprintf(msg, sizeof(msg), "record %lld: %s",
		    (long long) w->first_broken, what[w->broken]);
		sn_counter_add(A.verified_broken, 1);
		sn_log(SN_LOG_WARN, "supervision: the audit chain is broken",
		    "reason", supervision_audit_break_code(w->broken),
		    "message", msg, NULL);
		ans = json_pack("{s:b, s:I, s:I, s:s, s:s}", "ok", 0,
		    "records_checked", (json_int_t) w->checked, "first_broken",
		    (json_int_t) w->first_broken, "reason",
		    supervision_audit_break_code(w->broken), "message", msg);
	}
	sn_http_reply_json(c->req, 200, ans);
	free(c);
}

void
supervision_audit_verify(sn_http_req *req, void *arg)
{
	(void) arg;
	if (A.verifying) {
		sn_http_reply_error(req, 429, "verify_running",
		    "a verification is running; retry when it has answered",
		    NULL);
		return;
	}
	verify_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->req      = req;
	A.verifying = true;
	sn_db_tx(A.s->db, verify_begin, verify_done, c);
}

/* ---- GET /audit ------------------------------------------------------ */

static const char SQL_SEARCH[]
    = "SELECT n, service, user_id, role, jurisdiction, actor_index,"
      " method, route, subject, request_id, idempotency_key, status,"
      " outcome_code,"
      " to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
      " AS at, event_id, source, sequence, record, prev_hash, hash"
      " FROM audit_chain WHERE n > $5::bigint"
      " AND ($1::text IS NULL OR subject = $1::text)"
      " AND ($2::text IS NULL OR user_id = $2::text)"
      " AND ($3::timestamptz IS NULL OR at >= $3::timestamptz)"
      " AND ($4::timestamptz IS NULL OR at < $4::timestamptz)"
      " ORDER BY n LIMIT $6::bigint";

static json_t *
hex_json(sn_bytes b)
{
	char hex[2 * SUPERVISION_AUDIT_HASHLEN + 1];
	if (b.len != SUPERVISION_AUDIT_HASHLEN)
		return json_null(); /* cannot be written by the service */
	sodium_bin2hex(hex, sizeof(hex), b.data, b.len);
	return json_string(hex);
}

static json_t *
item_json(const rec_row *x)
{
	const supervision_audit_record *r = &x->r;
	return json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
	                 " s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:s}",
	    "n", (json_int_t) r->n, "hash", hex_json(x->hash), "prev_hash",
	    hex_json(x->prev_hash), "service", r->service, "user_id",
	    r->user_id, "role", r->role, "jurisdiction", r->jurisdiction,
	    "actor_index", r->actor_index, "method", r->method, "route",
	    r->route, "subject", r->subject, "request_id", r->request_id,
	    "idempotency_key", r->idempotency_key, "status",
	    (json_int_t) r->status, "outcome_code", r->outcome_code, "at",
	    r->at, "event_id", r->event_id, "source", r->source, "sequence",
	    (json_int_t) r->sequence, "record", x->record);
}

typedef struct search_ctx {
	sn_http_req *req;
	int64_t      limit;
} search_ctx;

static void
searched(sn_err err, PGresult *res, void *arg)
{
	search_ctx *c = arg;
	sn_rows     rows;
	json_t     *items = json_array();
	int64_t     last  = 0;
	int         n     = 0;

	if (err == SN_OK && items != NULL
	    && (err = sn_rows_open(&rows, res, page_cols, SN_NCOLS(page_cols)))
	        == SN_OK) {
		n = sn_rows_count(&rows);
		for (int i = 0; err == SN_OK && i < n && i < c->limit; i++) {
			rec_row x;
			if ((err = sn_rows_read(&rows, i, &x)) == SN_OK) {
				json_array_append_new(items, item_json(&x));
				last = x.r.n;
			}
		}
		sn_rows_close(&rows);
	}
	json_t *ans = err == SN_OK && items != NULL
	    ? sn_page_answer(items, n > c->limit, last)
	    : NULL;
	if (ans == NULL) {
		if (err == SN_OK)
			json_decref(items);
		sn_http_reply_error(c->req, 503, "unavailable",
		    "the chain could not be read; retry", NULL);
	} else
		sn_http_reply_json(c->req, 200, ans);
	free(c);
}

/* A district day's first instant, or the next day's (end), as RFC 3339
 * UTC. */
static void
day_start(sn_date d, bool end, char out[32])
{
	int64_t t = (sn_date_to_days(d) + (end ? 1 : 0)) * 86400
	    - (int64_t) sn_clock_offset_min() * 60;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t sec  = t - days * 86400;
	sn_date u    = sn_date_from_days(days);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:00Z", (int) u.year,
	    (int) u.month, (int) u.day, (int) (sec / 3600),
	    (int) (sec / 60 % 60));
}

static bool
text_query(
    const sn_http_req *req, const char *name, const char **out, sn_problem *p)
{
	*out = sn_http_query(req, name);
	if (*out == NULL)
		return true;
	if ((*out)[0] == '\0')
		return sn_problem_set(
		    p, 422, "invalid_query", name, "%s is empty", name);
	if (!sn_in_check_text(*out, name, 422, 128, p)) {
		p->code = "invalid_query";
		return false;
	}
	return true;
}

void
supervision_audit_search(sn_http_req *req, void *arg)
{
	const char      *subject, *user;
	supervision_days d;
	sn_page          pg;
	sn_problem       p;
	char             f[32], t[32], after[24], lim[24];

	(void) arg;
	sn_problem_clear(&p);
	if (!text_query(req, "subject", &subject, &p)
	    || !text_query(req, "user", &user, &p)
	    || !supervision_query_days(req, &d, &p)
	    || !sn_page_query(req, &pg, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	search_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory", NULL);
		return;
	}
	c->req   = req;
	c->limit = pg.limit;
	if (d.has_from)
		day_start(d.from, false, f);
	if (d.has_to)
		day_start(d.to, true, t);
	const char *v[]
	    = { subject, user, d.has_from ? f : NULL, d.has_to ? t : NULL,
		      i64(after, pg.after), i64(lim, pg.limit + 1) };
	sn_db_query(A.s->db, SQL_SEARCH, 6, v, searched, c);
}

/* ---- wiring ---------------------------------------------------------- */

sn_err
supervision_audit_setup(supervision *s)
{
	int64_t ms = sn_config_int(
	    "SN_SUPERVISION_ANCHOR_CHECK_MS", 60000, 50, 86400000);

	A.s               = s;
	s->audit          = &A;
	A.checks          = sn_metrics_counter(s->metrics,
	             "sn_supervision_audit_anchor_checks_total",
	             "Checks for the day's anchor of the audit chain that committed",
	             NULL);
	A.anchors         = sn_metrics_counter(s->metrics,
	            "sn_supervision_audit_anchors_total",
	            "Anchors of the audit chain published (daily and requested)",
	            NULL);
	A.verified_ok     = sn_metrics_counter(s->metrics,
	        "sn_supervision_audit_verifications_total",
	        "Verifications of the audit chain by outcome", "result=\"ok\"");
	A.verified_broken = sn_metrics_counter(s->metrics,
	    "sn_supervision_audit_verifications_total",
	    "Verifications of the audit chain by outcome",
	    "result=\"broken\"");
	if (A.checks == NULL || A.anchors == NULL || A.verified_ok == NULL
	    || A.verified_broken == NULL)
		return SN_ENOMEM;
	return sn_service_every(
	    s->svc, (uint64_t) ms, (uint64_t) ms, on_anchor_tick, NULL);
}
