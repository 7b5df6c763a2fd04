#include "sn/http.h"

#include <arpa/inet.h>
#include <asm/socket.h> /* SO_ATTACH_FILTER (glibc shows it to __USE_MISC only) */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sn/log.h"
#include "sn/uuid.h"

#define MAX_BODY_DEFAULT (1024 * 1024)
#define TIMEOUT_DEFAULT 30
#define MAX_SEGS 32
#define MAX_PARAMS 8
#define IDEM_KEY_MAX 128

#define CT_JSON "application/json"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

const sn_migration sn_http_migrations[] = {
	{ "http/001_idempotency",
	    "CREATE TABLE http_idempotency (\n"
	    "  principal    text NOT NULL,\n"
	    "  key          text NOT NULL,\n"
	    "  method       text NOT NULL,\n"
	    "  route        text NOT NULL,\n"
	    "  request_hash text NOT NULL,\n"
	    "  status       int,\n"
	    "  body         text,\n"
	    "  created_at   timestamptz NOT NULL DEFAULT now(),\n"
	    "  PRIMARY KEY (principal, key)\n"
	    ");\n"
	    "CREATE INDEX http_idempotency_created_at\n"
	    "  ON http_idempotency (created_at);\n" },
};
const size_t sn_http_nmigrations
    = sizeof(sn_http_migrations) / sizeof(sn_http_migrations[0]);

static const char SQL_LOOKUP[]
    = "SELECT request_hash, status, body FROM http_idempotency "
      "WHERE principal = $1 AND key = $2";
static const char SQL_CLAIM[]
    = "INSERT INTO http_idempotency "
      "(principal, key, method, route, request_hash) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1";
static const char SQL_STORE[]
    = "UPDATE http_idempotency SET status = $3, body = $4 "
      "WHERE principal = $1 AND key = $2";
/* The answers of a group commit's kept members, at its COMMIT. */
/* The claims of a group's batch (sn_http_groups_batch) with their
 * answers, in one statement: a key claimed already, or twice in the
 * batch, is one row fewer. */
static const char SQL_CLAIM_MANY[]
    = "INSERT INTO http_idempotency (principal, key, method, route,"
      " request_hash, status, body) SELECT * FROM unnest($1::text[],"
      " $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],"
      " $7::text[]) ON CONFLICT DO NOTHING";
static const char SQL_STORE_MANY[]
    = "UPDATE http_idempotency h SET status = a.status, body = a.body"
      " FROM unnest($1::text[], $2::text[], $3::int[], $4::text[])"
      " AS a (principal, key, status, body)"
      " WHERE h.principal = a.principal AND h.key = a.key";
/* Counted in SQL so that the answer is a result of its own, which can
 * outlive the statement (PQcopyResult) until COMMIT has succeeded. */
static const char SQL_PURGE[]
    = "WITH gone AS (DELETE FROM http_idempotency "
      "WHERE created_at < now() - make_interval(days => $1::int) "
      "RETURNING 1) SELECT count(*) FROM gone";

struct route {
	char           *method;
	char           *pattern;
	char           *roles; /* NULL: any valid token */
	unsigned        flags;
	unsigned        literals; /* literal segments: more is more specific */
	sn_http_handler fn;
	void           *arg;
	sn_histogram   *hist;
};

/* One open connection (MHD_OPTION_NOTIFY_CONNECTION), for the drain:
 * active while a request of it is in libmicrohttpd's hands. */
struct conn_node {
	struct MHD_Connection *conn;
	struct conn_node      *prev, *next;
	bool                   active;
};

struct sn_http {
	sn_loop           *loop;
	uv_poll_t          poll;
	uv_timer_t         timer;
	int                nhandles;
	struct MHD_Daemon *mhd;
	uint16_t           port;
	size_t             max_body;
	sn_auth           *auth;
	sn_metrics        *metrics;
	sn_db             *db;
	struct route      *routes;
	size_t             nroutes;
	size_t             caproutes;
	sn_histogram      *unmatched_hist;
	sn_http_ready_fn   ready;
	void              *ready_arg;
	size_t             nreqs; /* allocated reqs */
	size_t             busy;  /* reqs whose answer is owed */
	sn_http_req       *suspended;
	bool               closing;
	bool               in_run;
	bool               stop_pending;
	bool               kick;
	unsigned           zeros; /* runs in a row told "again at once" */
	char              *tls_cert, *tls_key; /* HTTPS; MHD borrows them */
	char              *tls_client_ca; /* HTTPS client CA; MHD borrows */
	sn_http_audit_fn   audit;
	void              *audit_arg;
	sn_counter        *audit_lost;
	struct conn_node  *conns; /* open connections */
	size_t             nconns;
	size_t             adopting; /* taken from the backlog, not started */
	bool               quiesced; /* sn_http_quiesce: no listening */
	int                lfd; /* the listening socket in its grace, or -1 */
	uv_timer_t         grace; /* closes lfd (DRAIN_GRACE_MS) */
	unsigned           timeout_s;
	char              *headers; /* sn_http_set_headers: "Name: value\n" */
	/* Statements on http_idempotency: look-ups of a key (before the
	 * work, or after a lost claim) and claims. NULL: no metrics. */
	sn_counter *idem_lookups, *idem_claims;
	sn_gauge   *g_ready; /* sn_ready, refreshed by ready_render */
};

enum tx_stage {
	TX_NONE,
	TX_WAIT,       /* queued, begin not called yet */
	TX_RUNNING,    /* begin called */
	TX_CLAIM_LOST, /* a duplicate committed first: replay */
	TX_COMMITTING, /* sn_http_tx_reply: answer stashed */
	TX_FAILING,    /* sn_http_tx_fail: answer stashed */
};

struct answer {
	unsigned    status;
	char       *body; /* malloc'd or NULL */
	size_t      len;
	const char *ctype;
	char       *allow; /* 405 */
	bool        replay;
	bool        challenge; /* 401: WWW-Authenticate */
	char       *extra;     /* "Name: value\n" lines (sn_http_reply_with) */
};

struct sn_http_req {
	sn_http               *h;
	struct MHD_Connection *conn; /* NULL once libmicrohttpd is done */
	struct route          *route;
	char                  *method;
	char                  *path;
	char                  *segbuf;
	char                  *segs[MAX_SEGS];
	size_t                 nsegs;
	const char            *pnames[MAX_PARAMS];
	size_t                 pnamelen[MAX_PARAMS];
	const char            *pvals[MAX_PARAMS];
	size_t                 nparams;
	char                  *body;
	size_t                 bodylen;
	size_t                 bodycap;
	bool                   has_body;
	bool                   too_big;
	json_t                *json;
	sn_principal           principal;
	bool                   has_principal;
	char                   idem_key[IDEM_KEY_MAX + 1];
	bool                   has_idem;
	bool     idem_known; /* claimed by its tx, or looked up */
	char     hash[65];
	uint64_t start_ns;
	char     request_id[SN_LOG_REQUEST_ID_MAX + 1];

	/* Lifetime: freed when both refs are gone. */
	bool mhd_ref;   /* until libmicrohttpd's completion callback */
	bool app_ref;   /* from dispatch until the answer */
	bool audit_ref; /* while the audit transaction of a refusal runs */

	bool          audited;       /* its record is written (or queued) */
	bool          audit_pending; /* the answer waits for its record */
	struct answer pending;

	bool          dispatched;
	bool          in_ahc;
	bool          suspended;
	bool          answered;
	bool          queued;
	struct answer ans;

	enum tx_stage tx_stage;
	sn_http_tx_fn tx_begin;
	void (*tx_end)(void *arg);
	void         *tx_arg;
	struct answer stash;
	/* An unstored answer on a keyed route, held while the key is looked
	 * up (see answer_set). */
	struct answer held;

	/* Group commit (sn_http_group_tx): the group whose transaction it
	 * is in, the next in a group's queue, its on-commit work. */
	struct group *group;
	sn_http_req  *gnext;
	void (*gcommit)(void *arg);
	void *gcommit_arg;
	/* A member's key turned out claimed already (group_claimed), while
	 * its begin ran beside the claim. */
	bool claim_lost;
	/* Taken by its group's batch (batch_start): answered there, kept or
	 * undone with the batch as a whole (batch_end); kept, its answer is
	 * stored with its claim. */
	bool in_batch;

	sn_http_req *next, *prev; /* h->suspended */
};

/* ---- SHA-256 (FIPS 180-4), for request fingerprints ---------------- */

typedef struct sha256 {
	uint32_t h[8];
	uint64_t n;
	uint8_t  buf[64];
	size_t   used;
} sha256;

static const uint32_t K256[64] = { 0x428a2f98, 0x71374491, 0xb5c0fbcf,
	0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
	0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
	0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
	0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
	0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c,
	0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee,
	0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2 };

static uint32_t
ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void
sha256_block(sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t) p[4 * i] << 24
		    | (uint32_t) p[4 * i + 1] << 16
		    | (uint32_t) p[4 * i + 2] << 8 | (uint32_t) p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18)
		    ^ (w[i - 15] >> 3);
		uint32_t s1
		    = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a  = s->h[0];
	b  = s->h[1];
	c  = s->h[2];
	d  = s->h[3];
	e  = s->h[4];
	f  = s->h[5];
	g  = s->h[6];
	hh = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25))
		    + ((e & f) ^ (~e & g)) + K256[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22))
		    + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g  = f;
		f  = e;
		e  = d + t1;
		d  = c;
		c  = b;
		b  = a;
		a  = t1 + t2;
	}
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
	s->h[5] += f;
	s->h[6] += g;
	s->h[7] += hh;
}

static void
sha256_init(sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
		0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->n    = 0;
	s->used = 0;
}

static void
sha256_update(sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->n += len;
	while (len > 0) {
		size_t take = 64 - s->used < len ? 64 - s->used : len;

		memcpy(s->buf + s->used, p, take);
		s->used += take;
		p += take;
		len -= take;
		if (s->used == 64) {
			sha256_block(s, s->buf);
			s->used = 0;
		}
	}
}

static void
sha256_hex(sha256 *s, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t          bits  = s->n * 8;
	uint8_t           pad   = 0x80;
	uint8_t           len[8];

	sha256_update(s, &pad, 1);
	pad = 0;
	while (s->used != 56)
		sha256_update(s, &pad, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t) (bits >> (56 - 8 * i));
	sha256_update(s, len, 8);
	for (int i = 0; i < 32; i++) {
		uint8_t b = (uint8_t) (s->h[i / 4] >> (24 - 8 * (i % 4)));

		out[2 * i]     = hex[b >> 4];
		out[2 * i + 1] = hex[b & 0xf];
	}
	out[64] = '\0';
}

/* ---- the loop side -------------------------------------------------- */

static void run(sn_http *h);
static void stop(sn_http *h);
static void conn_active(sn_http *h, struct MHD_Connection *conn, bool on);
static void on_connection(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode toe);

static void
http_maybe_free(sn_http *h)
{
	if (!h->closing || h->nhandles > 0 || h->nreqs > 0)
		return;
	for (size_t i = 0; i < h->nroutes; i++) {
		free(h->routes[i].method);
		free(h->routes[i].pattern);
		free(h->routes[i].roles);
	}
	free(h->routes);
	free(h->headers);
	free(h->tls_cert);
	free(h->tls_key);
	free(h->tls_client_ca);
	free(h);
}

static void
on_handle_closed(uv_handle_t *handle)
{
	sn_http *h = handle->data;

	h->nhandles--;
	http_maybe_free(h);
}

static void
on_timer(uv_timer_t *t)
{
	run(t->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	sn_http *h = p->data;

	(void) events;
	if (status < 0)
		sn_log(SN_LOG_WARN, "http poll failed", "error",
		    uv_strerror(status), NULL);
	run(h);
}

/* Asks for an MHD_run soon: after a resume, libmicrohttpd only moves on
 * when it runs again. */
static void
kick(sn_http *h)
{
	if (h->closing || h->mhd == NULL)
		return;
	if (h->in_run)
		h->kick = true;
	else
		uv_timer_start(&h->timer, on_timer, 0, 0);
}

static void
run(sn_http *h)
{
	MHD_UNSIGNED_LONG_LONG to;

	if (h->mhd == NULL)
		return;
	h->in_run = true;
	h->kick   = false;
	MHD_run(h->mhd);
	h->in_run = false;
	if (h->stop_pending) {
		stop(h);
		return;
	}
	if (h->kick)
		to = 0;
	else if (MHD_get_timeout(h->mhd, &to) != MHD_YES) {
		h->zeros = 0;
		uv_timer_stop(&h->timer);
		return;
	}
	/* libuv 1.44 runs a timer re-armed at 0 from its own callback again
	 * at once, before any I/O; libmicrohttpd answers 0 all the while a
	 * TLS handshake waits for its client's hello, so one silent client
	 * held the whole loop (bus, database, other clients) until its
	 * connection timed out. After 8 immediate runs in a row, 1 ms. */
	if (to > 0)
		h->zeros = 0;
	else if (++h->zeros > 8)
		to = 1;
	uv_timer_start(&h->timer, on_timer, (uint64_t) to, 0);
}

/* ---- requests ------------------------------------------------------- */

static void
answer_fini(struct answer *a)
{
	free(a->body);
	free(a->allow);
	free(a->extra);
	memset(a, 0, sizeof(*a));
}

static void
req_maybe_free(sn_http_req *req)
{
	sn_http *h = req->h;

	if (req->mhd_ref || req->app_ref || req->audit_ref)
		return;
	answer_fini(&req->ans);
	answer_fini(&req->stash);
	answer_fini(&req->held);
	answer_fini(&req->pending);
	json_decref(req->json);
	free(req->body);
	free(req->segbuf);
	free(req->path);
	free(req->method);
	free(req);
	h->nreqs--;
	http_maybe_free(h);
}

static void
unlink_suspended(sn_http_req *req)
{
	sn_http *h = req->h;

	if (!req->suspended)
		return;
	if (req->prev != NULL)
		req->prev->next = req->next;
	else
		h->suspended = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	req->next = req->prev = NULL;
	req->suspended        = false;
}

static bool audit_defer(sn_http_req *req, struct answer *a);
static void lookup(sn_http_req *req);

/* Sends a: gives the req back and gets it onto the wire (queued by the
 * access handler, which runs again after a resume), or discards it when
 * the connection is gone; a staff member's change waits for its audit
 * record first. */
static void
answer_send(sn_http_req *req, struct answer *a)
{
	sn_http *h = req->h;

	assert(!req->answered);
	if (audit_defer(req, a))
		return;
	req->answered = true;
	req->ans      = *a;
	memset(a, 0, sizeof(*a));
	if (req->app_ref) {
		req->app_ref = false;
		h->busy--;
	}
	if (req->conn == NULL) {
		req_maybe_free(req);
		return;
	}
	if (req->in_ahc)
		return;
	if (req->suspended) {
		unlink_suspended(req);
		MHD_resume_connection(req->conn);
		kick(h);
	}
}

/*
 * The one way an answer leaves. On a keyed route the handler runs without
 * a look at the key first: its transaction's claim finds a repeat. An
 * answer given without that claim (a refusal before or outside
 * sn_http_tx, an answer not stored) may be the answer to a repeat, so the
 * key is looked up now, and a stored answer is replayed (or the key's
 * reuse refused) in its place; see lookup_done.
 */
static void
answer_set(sn_http_req *req, struct answer *a)
{
	if (req->has_idem && req->app_ref && !req->idem_known && !a->replay
	    && req->conn != NULL) {
		assert(req->held.status == 0);
		req->held = *a;
		memset(a, 0, sizeof(*a));
		lookup(req);
		return;
	}
	answer_send(req, a);
}

static void
answer_raw(sn_http_req *req, unsigned status, char *body, size_t len,
    const char *ctype)
{
	struct answer a = { 0 };

	a.status = status;
	a.body   = body;
	a.len    = len;
	a.ctype  = ctype;
	answer_set(req, &a);
}

/* The error body; falls back to a body-less 500 when out of memory. */
static void
make_error(struct answer *a, unsigned status, const char *code,
    const char *message, const char *field)
{
	json_t *j = json_pack("{s:{s:s, s:s?, s:s?}}", "error", "code",
	    code != NULL ? code : "error", "message", message, "field", field);

	memset(a, 0, sizeof(*a));
	a->status = status;
	a->ctype  = CT_JSON;
	if (j != NULL)
		a->body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (a->body == NULL) {
		sn_log(SN_LOG_ERROR, "http: out of memory for an error", NULL);
		a->status = 500;
	} else {
		a->len = strlen(a->body);
	}
}

static void
answer_error(sn_http_req *req, unsigned status, const char *code,
    const char *message, const char *field)
{
	struct answer a;

	make_error(&a, status, code, message, field);
	answer_set(req, &a);
}

static bool
make_json(struct answer *a, unsigned status, json_t *body)
{
	memset(a, 0, sizeof(*a));
	a->status = status;
	a->ctype  = CT_JSON;
	if (body == NULL)
		return true;
	a->body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (a->body == NULL) {
		sn_log(SN_LOG_ERROR, "http: cannot encode an answer", NULL);
		make_error(
		    a, 500, "internal", "cannot encode the answer", NULL);
		return false;
	}
	a->len = strlen(a->body);
	return true;
}

void
sn_http_reply_json(sn_http_req *req, unsigned status, json_t *body)
{
	struct answer a;

	assert(req->tx_stage == TX_NONE);
	make_json(&a, status, body);
	answer_set(req, &a);
}

void
sn_http_reply_error(sn_http_req *req, unsigned status, const char *code,
    const char *message, const char *field)
{
	assert(req->tx_stage == TX_NONE);
	answer_error(req, status, code, message, field);
}

void
sn_http_reply_text(sn_http_req *req, unsigned status, const char *ctype,
    const char *body, size_t len)
{
	char *copy = malloc(len + 1);

	assert(req->tx_stage == TX_NONE);
	if (copy == NULL) {
		answer_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	memcpy(copy, body, len);
	copy[len] = '\0';
	answer_raw(req, status, copy, len, ctype);
}

static bool
is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	    || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
	    || c == '~';
}

/* The query string rebuilt (sn_http_query_string). */
struct query_buf {
	char  *buf;
	size_t cap, len;
};

static void
query_put(struct query_buf *q, const char *s, bool escape)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char) *s;

		if (!escape || is_unreserved(c)) {
			if (q->len + 1 < q->cap)
				q->buf[q->len] = (char) c;
			q->len++;
		} else {
			if (q->len + 3 < q->cap) {
				q->buf[q->len]     = '%';
				q->buf[q->len + 1] = hex[c >> 4];
				q->buf[q->len + 2] = hex[c & 15];
			}
			q->len += 3;
		}
	}
}

/* Adds each "Name: value" line of lines (NULL: none) to resp; false when
 * lines is NULL. */
static bool
add_lines(struct MHD_Response *resp, const char *lines)
{
	char        name[128];
	const char *p = lines;

	if (lines == NULL)
		return false;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		const char *c  = strchr(p, ':');
		size_t      len;

		if (nl == NULL)
			nl = p + strlen(p);
		if (c != NULL && c < nl && (len = (size_t) (c - p)) > 0
		    && len < sizeof(name)) {
			char *v;

			memcpy(name, p, len);
			name[len] = '\0';
			for (c++; *c == ' '; c++)
				;
			if ((v = strndup(c, (size_t) (nl - c))) != NULL) {
				MHD_add_response_header(resp, name, v);
				free(v);
			}
		}
		p = *nl == '\n' ? nl + 1 : nl;
	}
	return true;
}

/* Joins n header lines into "Name: value\n" text; NULL when one holds a
 * CR or LF or has no colon, or without memory. */
static char *
join_lines(const char *const *lines, size_t n)
{
	size_t total = 1;
	char  *out, *w;

	for (size_t i = 0; i < n; i++) {
		if (lines[i] == NULL || strpbrk(lines[i], "\r\n") != NULL
		    || strchr(lines[i], ':') == NULL)
			return NULL;
		total += strlen(lines[i]) + 1;
	}
	if ((out = malloc(total)) == NULL)
		return NULL;
	w = out;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);

		memcpy(w, lines[i], l);
		w += l;
		*w++ = '\n';
	}
	*w = '\0';
	return out;
}

void
sn_http_reply_with(sn_http_req *req, unsigned status, const char *ctype,
    const char *body, size_t len, const char *const *headers, size_t n)
{
	struct answer a = { 0 };

	assert(req->tx_stage == TX_NONE);
	if ((a.extra = join_lines(headers, n)) == NULL && n > 0) {
		answer_error(req, 500, "internal", "bad answer headers", NULL);
		return;
	}
	if (body != NULL && (a.body = malloc(len + 1)) == NULL) {
		free(a.extra);
		answer_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	if (body != NULL) {
		memcpy(a.body, body, len);
		a.body[len] = '\0';
		a.len       = len;
	}
	a.status = status;
	a.ctype  = ctype;
	answer_set(req, &a);
}

sn_err
sn_http_set_headers(sn_http *h, const char *const *lines, size_t n)
{
	char *j = join_lines(lines, n);

	if (j == NULL)
		return n > 0 ? SN_EINVAL : SN_OK;
	free(h->headers);
	h->headers = j;
	return SN_OK;
}

static enum MHD_Result
query_one(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_buf *q = cls;

	(void) kind;
	if (q->len > 0)
		query_put(q, "&", false);
	query_put(q, key, true);
	if (value != NULL) {
		query_put(q, "=", false);
		query_put(q, value, true);
	}
	return MHD_YES;
}

size_t
sn_http_query_string(const sn_http_req *req, char *buf, size_t cap)
{
	struct query_buf q = { .buf = buf, .cap = cap };

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	if (req->conn == NULL)
		return 0;
	MHD_get_connection_values(
	    req->conn, MHD_GET_ARGUMENT_KIND, query_one, &q);
	if (q.len >= cap) {
		buf[0] = '\0';
		return q.len;
	}
	buf[q.len] = '\0';
	return q.len;
}

/* Queues the answer with libmicrohttpd, once. Access handler only. */
static enum MHD_Result
queue(sn_http_req *req)
{
	struct MHD_Response *resp;
	struct answer       *a = &req->ans;
	enum MHD_Result      r;

	if (req->queued)
		return MHD_YES;
	if (a->body != NULL) {
		resp = MHD_create_response_from_buffer(
		    a->len, a->body, MHD_RESPMEM_MUST_FREE);
		if (resp != NULL)
			a->body = NULL; /* libmicrohttpd frees it now */
	} else {
		resp = MHD_create_response_from_buffer(
		    0, (void *) "", MHD_RESPMEM_PERSISTENT);
	}
	if (resp == NULL) {
		sn_log(SN_LOG_ERROR, "http: cannot create a response", NULL);
		return MHD_NO;
	}
	if (a->ctype != NULL && a->len > 0)
		MHD_add_response_header(resp, "Content-Type", a->ctype);
	if (a->allow != NULL)
		MHD_add_response_header(resp, "Allow", a->allow);
	if (a->replay)
		MHD_add_response_header(resp, "Idempotent-Replay", "true");
	if (a->challenge)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
	if (!add_lines(resp, a->extra) || a->extra == NULL
	    || strstr(a->extra, "Cache-Control:") == NULL)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	add_lines(resp, req->h->headers);
	if (req->request_id[0] != '\0')
		MHD_add_response_header(resp, "X-Request-Id", req->request_id);
	if (req->h->quiesced) /* draining: no next request here */
		MHD_add_response_header(resp, "Connection", "close");
	r = MHD_queue_response(req->conn, a->status, resp);
	MHD_destroy_response(resp);
	if (r != MHD_YES) {
		sn_log(SN_LOG_ERROR, "http: cannot queue a response", NULL);
		return MHD_NO;
	}
	req->queued = true;
	return MHD_YES;
}

/* ---- routing -------------------------------------------------------- */

static bool
is_literal_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	    || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
	    || c == '~';
}

/* Checks a pattern; counts its literal segments and parameters. */
static bool
pattern_valid(const char *p, unsigned *literals)
{
	size_t nsegs = 0, nparams = 0;

	*literals = 0;
	if (p == NULL || p[0] != '/')
		return false;
	if (p[1] == '\0')
		return true;
	while (*p == '/') {
		const char *s = ++p;

		while (*p != '\0' && *p != '/')
			p++;
		if (p == s || ++nsegs > MAX_SEGS)
			return false;
		if (*s == '{') {
			if (p - s < 3 || p[-1] != '}'
			    || ++nparams > MAX_PARAMS)
				return false;
			for (const char *c = s + 1; c < p - 1; c++)
				if (!is_literal_char(*c))
					return false;
		} else {
			for (const char *c = s; c < p; c++)
				if (!is_literal_char(*c))
					return false;
			(*literals)++;
		}
	}
	return *p == '\0';
}

/* Splits the request path into req->segs (in a copy of it). */
static bool
split_path(sn_http_req *req)
{
	char *p;

	if ((req->segbuf = strdup(req->path)) == NULL)
		return false;
	p          = req->segbuf;
	req->nsegs = 0;
	if (p[0] != '/' || p[1] == '\0')
		return true;
	while (*p == '/') {
		*p++ = '\0';
		if (req->nsegs == MAX_SEGS) {
			req->nsegs = MAX_SEGS + 1; /* matches nothing */
			return true;
		}
		req->segs[req->nsegs++] = p;
		while (*p != '\0' && *p != '/')
			p++;
	}
	return true;
}

/* Matches req's path against pattern; with capture, records params. */
static bool
match(sn_http_req *req, const char *pattern, bool rest, bool capture)
{
	const char *p = pattern;
	size_t      i = 0;

	if (req->nsegs > MAX_SEGS)
		return false;
	if (capture)
		req->nparams = 0;
	if (p[1] == '\0')
		return req->nsegs == 0;
	while (*p == '/') {
		const char *s = ++p;
		size_t      n;

		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t) (p - s);
		if (i >= req->nsegs)
			return false;
		if (*s == '{') {
			if (req->segs[i][0] == '\0')
				return false;
			if (rest && *p == '\0') {
				/* The last {param} of an SN_HTTP_REST route:
				 * the rest of the path, as received. */
				if (capture) {
					req->pnames[req->nparams]   = s + 1;
					req->pnamelen[req->nparams] = n - 2;
					req->pvals[req->nparams]    = req->path
					    + (req->segs[i] - req->segbuf);
					req->nparams++;
				}
				return true;
			}
			if (capture) {
				req->pnames[req->nparams]   = s + 1;
				req->pnamelen[req->nparams] = n - 2;
				req->pvals[req->nparams]    = req->segs[i];
				req->nparams++;
			}
		} else if (strlen(req->segs[i]) != n
		    || memcmp(req->segs[i], s, n) != 0) {
			return false;
		}
		i++;
	}
	return i == req->nsegs;
}

sn_err
sn_http_route(sn_http *h, const char *method, const char *pattern,
    unsigned flags, const char *roles, sn_http_handler fn, void *arg)
{
	struct route r = { 0 };
	size_t       mlen;

	if (h == NULL || method == NULL || fn == NULL
	    || !pattern_valid(pattern, &r.literals)
	    || (mlen = strlen(method)) == 0 || mlen > 16
	    || ((flags & SN_HTTP_IDEMPOTENT) && h->db == NULL)
	    || ((flags & SN_HTTP_PUBLIC) && (flags & SN_HTTP_CLIENT_CERT)))
		return SN_EINVAL;
	for (size_t i = 0; i < mlen; i++)
		if (method[i] < 'A' || method[i] > 'Z')
			return SN_EINVAL;
	for (size_t i = 0; i < h->nroutes; i++)
		if (strcmp(h->routes[i].method, method) == 0
		    && strcmp(h->routes[i].pattern, pattern) == 0)
			return SN_EINVAL;
	if (h->nroutes == h->caproutes) {
		size_t        cap = h->caproutes ? 2 * h->caproutes : 16;
		struct route *n   = realloc(h->routes, cap * sizeof(*n));

		if (n == NULL)
			return SN_ENOMEM;
		h->routes    = n;
		h->caproutes = cap;
	}
	r.flags         = flags;
	r.fn            = fn;
	r.arg           = arg;
	r.method        = strdup(method);
	r.pattern       = strdup(pattern);
	bool with_roles = roles != NULL
	    && !(flags & (SN_HTTP_PUBLIC | SN_HTTP_CLIENT_CERT));
	r.roles = with_roles ? strdup(roles) : NULL;
	if (r.method == NULL || r.pattern == NULL
	    || (with_roles && r.roles == NULL)) {
		free(r.method);
		free(r.pattern);
		free(r.roles);
		return SN_ENOMEM;
	}
	if (h->metrics != NULL) {
		char labels[512];

		snprintf(labels, sizeof(labels), "route=\"%s\"", pattern);
		r.hist = sn_metrics_histogram(h->metrics,
		    "sn_http_request_duration_seconds",
		    "Time from a request's headers to its answer.", labels,
		    sn_metrics_latency_bounds, sn_metrics_latency_nbounds);
	}
	h->routes[h->nroutes++] = r;
	if ((flags & SN_HTTP_CLIENT_CERT) && h->tls_client_ca == NULL)
		sn_log(SN_LOG_WARN,
		    "http: this route refuses every request: it needs a "
		    "client certificate and the server has no client CA "
		    "(SN_HTTP_CLIENT_CA_FILE, over HTTPS)",
		    "method", method, "route", pattern, NULL);
	return SN_OK;
}

sn_err
sn_http_routes(sn_http *h, const sn_http_route_def *table, size_t n, void *arg)
{
	for (size_t i = 0; i < n; i++) {
		const sn_http_route_def *d   = &table[i];
		sn_err                   err = sn_http_route(
		                      h, d->method, d->pattern, d->flags, d->roles, d->fn, arg);

		if (err != SN_OK) {
			sn_log(SN_LOG_ERROR, "http: cannot add a route",
			    "method", d->method, "pattern", d->pattern,
			    "error", sn_strerror(err), NULL);
			return err;
		}
	}
	return SN_OK;
}

/* ---- accessors ------------------------------------------------------ */

const char *
sn_http_method(const sn_http_req *req)
{
	return req->method;
}

const char *
sn_http_path(const sn_http_req *req)
{
	return req->path;
}

const char *
sn_http_route_pattern(const sn_http_req *req)
{
	return req->route != NULL ? req->route->pattern : NULL;
}

const char *
sn_http_param(const sn_http_req *req, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < req->nparams; i++)
		if (req->pnamelen[i] == n
		    && memcmp(req->pnames[i], name, n) == 0)
			return req->pvals[i];
	return NULL;
}

const char *
sn_http_query(const sn_http_req *req, const char *name)
{
	if (req->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(
	    req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
sn_http_header(const sn_http_req *req, const char *name)
{
	if (req->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

json_t *
sn_http_json(const sn_http_req *req)
{
	return req->json;
}

const char *
sn_http_body(const sn_http_req *req, size_t *len)
{
	*len = req->bodylen;
	return req->bodylen > 0 ? req->body : NULL;
}

const sn_principal *
sn_http_principal(const sn_http_req *req)
{
	return req->has_principal ? &req->principal : NULL;
}

const char *
sn_http_request_id(const sn_http_req *req)
{
	return req->request_id;
}

const char *
sn_http_idempotency_key(const sn_http_req *req)
{
	return req->has_idem ? req->idem_key : NULL;
}

/* ---- admission: everything decided from the headers ----------------- */

static bool
content_type_json(const char *ct)
{
	size_t n = strlen(CT_JSON);

	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, CT_JSON, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static void
answer_405(sn_http_req *req)
{
	sn_http      *h = req->h;
	struct answer a;
	size_t        len = 0;
	char         *allow;

	make_error(&a, 405, "method_not_allowed",
	    "the path does not take this method", NULL);
	for (size_t i = 0; i < h->nroutes; i++)
		if (match(req, h->routes[i].pattern,
		        h->routes[i].flags & SN_HTTP_REST, false))
			len += strlen(h->routes[i].method) + 2;
	if (a.status == 405 && (allow = malloc(len + 1)) != NULL) {
		allow[0] = '\0';
		for (size_t i = 0; i < h->nroutes; i++) {
			if (!match(req, h->routes[i].pattern,
			        h->routes[i].flags & SN_HTTP_REST, false))
				continue;
			if (allow[0] != '\0')
				strcat(allow, ", ");
			strcat(allow, h->routes[i].method);
		}
		a.allow = allow;
	}
	answer_set(req, &a);
}

/* The caller's X-Request-Id if it is sane, else a new UUID. */
static void
set_request_id(sn_http_req *req)
{
	const char *v = MHD_lookup_connection_value(
	    req->conn, MHD_HEADER_KIND, "X-Request-Id");
	sn_uuid u;

	if (v != NULL && sn_log_request_id_valid(v, strlen(v))) {
		memcpy(req->request_id, v, strlen(v) + 1);
		return;
	}
	if (sn_uuid_v4(&u) == SN_OK)
		sn_uuid_format(&u, req->request_id);
}

enum key_state { KEY_NONE, KEY_OK, KEY_MISSING, KEY_INVALID };

/* The Idempotency-Key of a route that takes one, read before any other
 * check so that every refusal's audit record names the key sent; a
 * missing or bad one is answered only after the token and role checks. */
static enum key_state
take_key(sn_http_req *req, const struct route *r)
{
	const char *v;
	size_t      n;

	if (!(r->flags & SN_HTTP_IDEMPOTENT))
		return KEY_NONE;
	v = MHD_lookup_connection_value(
	    req->conn, MHD_HEADER_KIND, "Idempotency-Key");
	if (v == NULL || v[0] == '\0')
		return KEY_MISSING;
	for (n = 0; v[n] != '\0' && n <= IDEM_KEY_MAX; n++)
		if (v[n] < 0x21 || v[n] > 0x7e)
			break;
	if (n > IDEM_KEY_MAX || v[n] != '\0')
		return KEY_INVALID;
	memcpy(req->idem_key, v, n + 1);
	req->has_idem = true;
	return KEY_OK;
}

/* Whether the client presented a certificate that verifies against the
 * server's client CA (MHD gave GnuTLS that CA as its trust list) for TLS
 * client use; false on a server without one. */
static bool
client_cert_ok(sn_http_req *req, const char **why)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t                s;
	unsigned                        n = 0, status = 0;
	gnutls_typed_vdata_st           purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
		          (unsigned char *) GNUTLS_KP_TLS_WWW_CLIENT, 0 };

	*why = "a client certificate of the trusted CA is required";
	if (req->h->tls_client_ca == NULL) {
		*why = "this server takes no client certificates";
		return false;
	}
	ci = MHD_get_connection_info(
	    req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return false;
	s = (gnutls_session_t) ci->tls_session;
	if (gnutls_certificate_type_get(s) != GNUTLS_CRT_X509
	    || gnutls_certificate_get_peers(s, &n) == NULL || n == 0)
		return false;
	if (gnutls_certificate_verify_peers(s, &purpose, 1, &status)
	        != GNUTLS_E_SUCCESS
	    || status != 0) {
		*why = "the client certificate is not of the trusted CA";
		return false;
	}
	return true;
}

static void
admit(sn_http_req *req)
{
	sn_http      *h          = req->h;
	struct route *best       = NULL;
	bool          path_found = false;
	const char   *v;

	set_request_id(req);
	if (!split_path(req)) {
		answer_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	for (size_t i = 0; i < h->nroutes; i++) {
		struct route *r = &h->routes[i];

		if (!match(req, r->pattern, r->flags & SN_HTTP_REST, false))
			continue;
		path_found = true;
		if (strcmp(r->method, req->method) != 0)
			continue;
		if (best == NULL || r->literals > best->literals)
			best = r;
	}
	if (best == NULL) {
		if (path_found)
			answer_405(req);
		else
			answer_error(
			    req, 404, "not_found", "no such resource", NULL);
		return;
	}
	req->route = best;
	match(req, best->pattern, best->flags & SN_HTTP_REST, true);
	enum key_state key = take_key(req, best);

	if (best->flags & SN_HTTP_CLIENT_CERT) {
		const char *why;

		if (!client_cert_ok(req, &why)) {
			answer_error(req, 403, "client_certificate_required",
			    why, NULL);
			return;
		}
	} else if (!(best->flags & SN_HTTP_PUBLIC)) {
		struct answer a;

		v = MHD_lookup_connection_value(
		    req->conn, MHD_HEADER_KIND, "Authorization");
		if (h->auth == NULL
		    || sn_auth_verify(h->auth, v, &req->principal) != SN_OK) {
			make_error(&a, 401, "unauthorized",
			    v == NULL ? "a bearer token is required"
			              : "the bearer token is not valid",
			    NULL);
			a.challenge = true;
			answer_set(req, &a);
			return;
		}
		req->has_principal = true;
		if (best->roles != NULL
		    && !sn_auth_has_role(&req->principal, best->roles)) {
			answer_error(req, 403, "forbidden",
			    "the role may not do this", NULL);
			return;
		}
	}

	v = MHD_lookup_connection_value(
	    req->conn, MHD_HEADER_KIND, "Content-Length");
	if (v != NULL) {
		char              *end;
		unsigned long long n = strtoull(v, &end, 10);

		if (n > 0)
			req->has_body = true;
		if (n > h->max_body) {
			char msg[96];

			snprintf(msg, sizeof(msg),
			    "the body exceeds %zu bytes", h->max_body);
			answer_error(req, 413, "body_too_large", msg, NULL);
			return;
		}
	}
	if (MHD_lookup_connection_value(
	        req->conn, MHD_HEADER_KIND, "Transfer-Encoding")
	    != NULL)
		req->has_body = true;
	if (req->has_body && !(best->flags & SN_HTTP_RAW_BODY)
	    && !content_type_json(MHD_lookup_connection_value(
	        req->conn, MHD_HEADER_KIND, "Content-Type"))) {
		answer_error(req, 415, "unsupported_media_type",
		    "the body must be application/json", "Content-Type");
		return;
	}

	if (key == KEY_MISSING)
		answer_error(req, 400, "idempotency_key_required",
		    "this call needs an Idempotency-Key header",
		    "Idempotency-Key");
	else if (key == KEY_INVALID)
		answer_error(req, 400, "idempotency_key_invalid",
		    "an Idempotency-Key is 1 to 128 printable ASCII "
		    "characters",
		    "Idempotency-Key");
}

/* ---- the body and dispatch ------------------------------------------ */

static void
take_body(sn_http_req *req, const char *data, size_t len)
{
	size_t max = req->h->max_body;

	req->has_body = true;
	if (req->too_big)
		return;
	if (len > max - req->bodylen) {
		/* Stop buffering; the rest is read and dropped so that the
		 * 413 can be sent at the end. */
		req->too_big = true;
		free(req->body);
		req->body    = NULL;
		req->bodylen = 0;
		return;
	}
	if (req->bodylen + len > req->bodycap) {
		size_t cap = req->bodycap ? req->bodycap : 4096;
		char  *n;

		while (cap < req->bodylen + len)
			cap *= 2;
		if (cap > max)
			cap = max;
		if ((n = realloc(req->body, cap)) == NULL) {
			req->too_big = true; /* answered as 413 below */
			return;
		}
		req->body    = n;
		req->bodycap = cap;
	}
	memcpy(req->body + req->bodylen, data, len);
	req->bodylen += len;
}

static void lookup_done(sn_err err, PGresult *res, void *arg);

static const char *
principal_name(const sn_http_req *req)
{
	return req->has_principal ? req->principal.user : "";
}

static void
lookup(sn_http_req *req)
{
	const char *values[2] = { principal_name(req), req->idem_key };

	if (req->h->idem_lookups != NULL)
		sn_counter_add(req->h->idem_lookups, 1);
	sn_db_query(req->h->db, SQL_LOOKUP, 2, values, lookup_done, req);
}

/* A stored answer (SQL_LOOKUP). */
typedef struct stored {
	const char *request_hash;
	bool        has_status;
	int32_t     status;
	bool        has_body;
	const char *body;
} stored;

static const sn_col stored_cols[] = {
	SN_COL(stored, request_hash, SN_COL_TEXT),
	SN_COL_OPT(stored, status, SN_COL_I32, has_status),
	SN_COL_OPT(stored, body, SN_COL_TEXT, has_body),
};

/*
 * The answer for a key's row res (SQL_LOOKUP) into a: the stored answer
 * replayed for the same request, 422 for another; false, with a left
 * empty, when no row is stored.
 */
static bool
stored_answer(const sn_http_req *req, const PGresult *res, struct answer *a)
{
	stored s;
	sn_err err = sn_rows_one(res, stored_cols, SN_NCOLS(stored_cols), &s);

	memset(a, 0, sizeof(*a));
	if (err == SN_ENOTFOUND)
		return false;
	if (err != SN_OK
	    || (s.has_status && (s.status < 100 || s.status > 599)))
		make_error(a, 500, "internal", "bad stored answer", NULL);
	else if (strcmp(s.request_hash, req->hash) != 0)
		make_error(a, 422, "idempotency_key_reused",
		    "this Idempotency-Key was used for a different request",
		    "Idempotency-Key");
	else if (!s.has_status)
		/* Cannot be seen committed (the answer is stored in the
		 * claiming transaction); kept for safety. */
		make_error(a, 409, "idempotency_key_in_progress",
		    "a request with this Idempotency-Key is in progress",
		    "Idempotency-Key");
	else {
		size_t len = s.has_body ? strlen(s.body) : 0;

		a->status = (unsigned) s.status;
		a->ctype  = CT_JSON;
		a->replay = true;
		if (s.has_body) {
			if ((a->body = malloc(len + 1)) == NULL) {
				make_error(
				    a, 500, "internal", "out of memory", NULL);
				return true;
			}
			memcpy(a->body, s.body, len + 1);
			a->len = len;
		}
	}
	return true;
}

/*
 * The key looked up, before an unstored answer goes out (req->held), or
 * after a claim lost whose transaction could not read the row: a stored
 * answer is replayed (same request) or refused (422); with nothing
 * stored, the held answer goes out as it was.
 */
static void
lookup_done(sn_err err, PGresult *res, void *arg)
{
	sn_http_req  *req = arg;
	struct answer a;

	req->tx_stage   = TX_NONE;
	req->idem_known = true;
	if (err != SN_OK || res == NULL) {
		answer_fini(&req->held);
		answer_error(req, 503, "unavailable",
		    "the database is unavailable; retry with the same key",
		    NULL);
		return;
	}
	if (stored_answer(req, res, &a)) {
		answer_fini(&req->held);
		answer_set(req, &a);
	} else if (req->held.status != 0) {
		answer_set(req, &req->held);
	} else {
		/* Claimed by someone else and gone again (purged): let the
		 * client retry. */
		answer_error(
		    req, 503, "unavailable", "retry with the same key", NULL);
	}
}

/* The request is complete and admitted: from here its answer is owed. */
static void
dispatch(sn_http_req *req)
{
	sn_http *h = req->h;

	req->dispatched = true;
	if (req->too_big) {
		char msg[96];

		snprintf(msg, sizeof(msg), "the body exceeds %zu bytes",
		    h->max_body);
		answer_error(req, 413, "body_too_large", msg, NULL);
		return;
	}
	if (req->route->flags & SN_HTTP_RAW_BODY) {
		/* The handler reads the bytes (sn_http_body) and judges them.
		 */
	} else if (req->bodylen > 0) {
		json_error_t jerr;

		req->json = sn_http_body_json(req->body, req->bodylen, &jerr);
		if (req->json == NULL) {
			char msg[256];

			snprintf(msg, sizeof(msg),
			    "malformed JSON: %s (line %d, column %d)",
			    jerr.text, jerr.line, jerr.column);
			answer_error(req, 400, "invalid_json", msg, NULL);
			return;
		}
	} else if (req->has_body) {
		answer_error(req, 400, "invalid_json",
		    "malformed JSON: empty body", NULL);
		return;
	}
	req->app_ref = true;
	h->busy++;
	if (req->has_idem) {
		sha256 s;

		sha256_init(&s);
		sha256_update(&s, req->method, strlen(req->method) + 1);
		sha256_update(&s, req->path, strlen(req->path) + 1);
		if (req->bodylen > 0)
			sha256_update(&s, req->body, req->bodylen);
		sha256_hex(&s, req->hash);
	}
	sn_log_set_request_id(req->request_id);
	req->route->fn(req, req->route->arg);
	sn_log_set_request_id(NULL);
}

static sn_http_req *
req_new(sn_http *h, struct MHD_Connection *conn, const char *method,
    const char *url)
{
	sn_http_req *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->h        = h;
	req->conn     = conn;
	req->start_ns = uv_hrtime();
	req->method   = strdup(method);
	req->path     = strdup(url);
	req->mhd_ref  = true;
	h->nreqs++;
	if (req->method == NULL || req->path == NULL) {
		req->mhd_ref = false;
		req_maybe_free(req);
		return NULL;
	}
	return req;
}

/* Parks the connection until the answer resumes it (answer_set). */
static void
suspend(sn_http_req *req)
{
	sn_http *h = req->h;

	if (req->suspended)
		return;
	MHD_suspend_connection(req->conn);
	req->suspended = true;
	req->prev      = NULL;
	req->next      = h->suspended;
	if (h->suspended != NULL)
		h->suspended->prev = req;
	h->suspended = req;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	sn_http        *h   = cls;
	sn_http_req    *req = *con_cls;
	enum MHD_Result r   = MHD_YES;

	(void) version;
	if (req == NULL) {
		if ((req = req_new(h, conn, method, url)) == NULL) {
			sn_log(SN_LOG_ERROR, "http: out of memory", NULL);
			return MHD_NO;
		}
		*con_cls    = req;
		req->in_ahc = true;
		conn_active(h, conn, true);
		admit(req);
		goto out;
	}
	req->in_ahc = true;
	if (req->answered) {
		/* An early refusal while the body still arrives: drop it. */
		*upload_data_size = 0;
		goto out;
	}
	if (req->audit_pending) {
		/* A refusal waits for its audit record: drop the body, and
		 * wait suspended once it is all in (the record's end
		 * resumes us). */
		bool last = *upload_data_size == 0;

		*upload_data_size = 0;
		req->in_ahc       = false;
		if (last)
			suspend(req);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		take_body(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		req->in_ahc       = false;
		return MHD_YES;
	}
	if (req->dispatched) {
		req->in_ahc = false;
		return MHD_YES;
	}
	dispatch(req);
	if (!req->answered) {
		req->in_ahc = false;
		suspend(req);
		return MHD_YES;
	}
out:
	req->in_ahc = false;
	if (req->answered)
		r = queue(req);
	return r;
}

static const char *
method_label(const char *m)
{
	static const char *known[]
	    = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return known[i];
	return "OTHER";
}

static void
record(sn_http_req *req)
{
	sn_http    *h      = req->h;
	unsigned    status = req->queued ? req->ans.status : 0;
	const char *route  = req->route ? req->route->pattern : "unmatched";
	const char *method = method_label(req->method);
	uint64_t    ns     = uv_hrtime() - req->start_ns;
	char        st[16], ms[32];

	snprintf(st, sizeof(st), "%u", status);
	snprintf(ms, sizeof(ms), "%.3f", (double) ns / 1e6);
	if (h->metrics != NULL) {
		char          labels[600];
		sn_counter   *c;
		sn_histogram *hist
		    = req->route ? req->route->hist : h->unmatched_hist;

		snprintf(labels, sizeof(labels),
		    "route=\"%s\",method=\"%s\",status=\"%s\"", route, method,
		    st);
		c = sn_metrics_counter(h->metrics, "sn_http_requests_total",
		    "HTTP requests by route, method and status.", labels);
		if (c != NULL)
			sn_counter_add(c, 1);
		if (hist != NULL)
			sn_histogram_observe(hist, (double) ns / 1e9);
	}
	sn_log(status >= 500 || status == 0 ? SN_LOG_WARN : SN_LOG_INFO,
	    "http request", "method", method, "route", route, "status", st,
	    "ms", ms, "user", req->has_principal ? req->principal.user : NULL,
	    "request_id", req->request_id[0] ? req->request_id : NULL, NULL);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	sn_http_req *req = *con_cls;

	(void) toe;
	conn_active(cls, conn, false);
	if (req == NULL)
		return;
	*con_cls = NULL;
	record(req);
	unlink_suspended(req);
	req->conn    = NULL;
	req->mhd_ref = false;
	req_maybe_free(req);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char   line[512];
	size_t n;

	(void) cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	sn_log(SN_LOG_WARN, "libmicrohttpd", "detail", line, NULL);
}
#pragma GCC diagnostic pop

/* ---- the audit of staff actions (issue 12) ----------------------- */

static bool
mutating(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0
	    || strcmp(m, "PATCH") == 0 || strcmp(m, "DELETE") == 0;
}

static bool
audit_wanted(const sn_http_req *req, const struct answer *a)
{
	const sn_http *h = req->h;

	return h->audit != NULL && h->db != NULL && !req->audited
	    && req->has_principal && req->route != NULL
	    && mutating(req->method) && !a->replay && a->status < 500
	    && a->status != 401;
}

/* The answer's body as JSON, or NULL. */
static json_t *
answer_json(const struct answer *a)
{
	if (a->body == NULL || a->len == 0)
		return NULL;
	return json_loadb(a->body, a->len, 0, NULL);
}

/* Queues req's record for answer a on tx; tree is a's body as JSON when
 * the caller has it (NULL: read from a's text, parsing it again: a
 * grant's whole document was a tenth of emergency's CPU; issue 15). */
static sn_err
audit_append(sn_http_req *req, sn_tx *tx, const struct answer *a, json_t *tree)
{
	static const char *const keys[] = { "id", "application_id", "case_id",
		"grant_id", "run_id", "household_id" };
	json_t       *body = tree != NULL ? json_incref(tree) : answer_json(a);
	sn_http_audit rec  = { 0 };
	sn_err        err;

	rec.who             = &req->principal;
	rec.method          = req->method;
	rec.route           = req->route->pattern;
	rec.request_id      = req->request_id;
	rec.idempotency_key = req->has_idem ? req->idem_key : "";
	rec.status          = a->status;
	rec.subject         = req->nparams > 0 ? req->pvals[0] : NULL;
	rec.code            = "";
	for (size_t i = 0; rec.subject == NULL && json_is_object(body)
	     && i < sizeof(keys) / sizeof(keys[0]);
	     i++)
		rec.subject
		    = json_string_value(json_object_get(body, keys[i]));
	if (rec.subject == NULL)
		rec.subject = "";
	if (a->status >= 400) {
		const char *c = json_string_value(
		    json_object_get(json_object_get(body, "error"), "code"));
		rec.code = c != NULL ? c : "error";
	}
	err = req->h->audit(tx, &rec, req->h->audit_arg);
	json_decref(body);
	req->audited = true;
	return err;
}

static void
audit_begin(sn_tx *tx, void *arg)
{
	sn_http_req *req = arg;
	sn_err       err = audit_append(req, tx, &req->pending, NULL);

	if (err != SN_OK)
		sn_tx_rollback(tx, err);
	else
		sn_tx_commit(tx);
}

static void
audit_done(sn_err err, void *arg)
{
	sn_http_req *req = arg;

	if (err != SN_OK) {
		sn_log(SN_LOG_ERROR,
		    "http: the audit record of an answer is lost", "route",
		    req->route->pattern, "request_id", req->request_id, NULL);
		if (req->h->audit_lost != NULL)
			sn_counter_add(req->h->audit_lost, 1);
	}
	req->audited       = true;
	req->audit_pending = false;
	req->audit_ref     = false;
	answer_send(req, &req->pending);
}

/* An answer that needs its record first waits for it: true when a was
 * taken (into req->pending) and the audit transaction started. */
static bool
audit_defer(sn_http_req *req, struct answer *a)
{
	if (!audit_wanted(req, a))
		return false;
	req->pending = *a;
	memset(a, 0, sizeof(*a));
	req->audit_pending = true;
	req->audit_ref     = true;
	sn_db_tx(req->h->db, audit_begin, audit_done, req);
	return true;
}

/* ---- transactions --------------------------------------------------- */

/* The row of a key claimed already, read in the claim's transaction
 * (its own snapshot: the committed row the claim ran into): the answer
 * is kept for tx_done, after the rollback. */
static void
claimed_read(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;

	if (!stored_answer(req, res, &req->stash))
		make_error(&req->stash, 503, "unavailable",
		    "retry with the same key", NULL);
	sn_tx_rollback(tx, SN_ECONFLICT);
}

static void group_ended(sn_http_req *req, sn_tx *tx);

/* Undoes req's change: the whole transaction, or in a group its
 * savepoint only. */
static void
tx_undo(sn_http_req *req, sn_tx *tx, sn_err err)
{
	if (req->in_batch)
		return; /* batch_end undoes the batch: it runs again alone */
	if (req->group != NULL)
		group_ended(req, tx);
	else
		sn_tx_rollback(tx, err);
}

static void
claim_done(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;

	if (sn_rows_affected(res) == 0) {
		/* A repeat, or a duplicate that committed first. */
		const char *values[2] = { principal_name(req), req->idem_key };

		sn_log(SN_LOG_DEBUG,
		    "http: idempotency key claimed already: replaying",
		    "route", req->route->pattern, NULL);
		req->tx_stage   = TX_CLAIM_LOST;
		req->idem_known = true;
		if (req->h->idem_lookups != NULL)
			sn_counter_add(req->h->idem_lookups, 1);
		if (sn_tx_query(tx, SQL_LOOKUP, 2, values, claimed_read, req)
		    != SN_OK)
			sn_tx_rollback(tx, SN_ECONFLICT);
		return;
	}
	req->idem_known = true; /* nothing stored before: no look needed */
	req->tx_stage   = TX_RUNNING;
	sn_log_set_request_id(req->request_id);
	req->tx_begin(req, tx, req->tx_arg);
	sn_log_set_request_id(NULL);
}

/* Queues the claim of req's key on tx (claimed: its answer). */
static sn_err
claim_queue(sn_http_req *req, sn_tx *tx, sn_query_fn claimed)
{
	const char *values[5] = { principal_name(req), req->idem_key,
		req->method, req->route->pattern, req->hash };

	if (req->h->idem_claims != NULL)
		sn_counter_add(req->h->idem_claims, 1);
	return sn_tx_query(tx, SQL_CLAIM, 5, values, claimed, req);
}

/* Claims req's key on tx (claimed: its answer), or begins at once on a
 * route without one. */
static void
claim_key(sn_http_req *req, sn_tx *tx, sn_query_fn claimed)
{
	sn_err err;

	if (!req->has_idem) {
		req->tx_stage = TX_RUNNING;
		sn_log_set_request_id(req->request_id);
		req->tx_begin(req, tx, req->tx_arg);
		sn_log_set_request_id(NULL);
		return;
	}
	if ((err = claim_queue(req, tx, claimed)) != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
tx_begin(sn_tx *tx, void *arg)
{
	claim_key(arg, tx, claim_done);
}

static void
tx_done(sn_err err, void *arg)
{
	sn_http_req  *req   = arg;
	enum tx_stage stage = req->tx_stage;

	if (req->tx_end != NULL) {
		/* The transaction is over, however it ended: the caller's
		 * context goes now, before any answer is sent. */
		void (*end)(void *) = req->tx_end;
		req->tx_end         = NULL;
		end(req->tx_arg);
	}

	switch (stage) {
	case TX_CLAIM_LOST:
		/* Stored already: answer as the first did, read in the
		 * transaction (or now, if that read did not happen). */
		if (req->stash.status != 0) {
			req->tx_stage = TX_NONE;
			answer_set(req, &req->stash);
		} else {
			lookup(req);
		}
		return;
	case TX_COMMITTING:
		req->tx_stage = TX_NONE;
		if (err == SN_OK) {
			answer_set(req, &req->stash);
			return;
		}
		answer_fini(&req->stash);
		answer_error(req, 503, "unavailable",
		    "the change could not be committed; retry", NULL);
		return;
	case TX_FAILING:
		req->tx_stage = TX_NONE;
		answer_set(req, &req->stash);
		return;
	case TX_NONE:
	case TX_WAIT:
	case TX_RUNNING:
		break;
	}
	req->tx_stage = TX_NONE;
	if (err == SN_OK) {
		sn_log(SN_LOG_ERROR,
		    "http: a handler committed without sn_http_tx_reply",
		    "route", req->route->pattern, NULL);
		answer_error(req, 500, "internal", "no answer", NULL);
	} else if (err == SN_ECONFLICT) {
		answer_error(req, 409, "conflict",
		    "the change conflicts with existing data", NULL);
	} else {
		answer_error(req, 503, "unavailable",
		    "the change could not be made; retry", NULL);
	}
}

void
sn_http_tx_with_end(
    sn_http_req *req, sn_http_tx_fn begin, void (*end)(void *arg), void *arg)
{
	assert(req->app_ref && !req->answered && req->tx_stage == TX_NONE);
	if (req->h->db == NULL) {
		sn_log(SN_LOG_ERROR, "http: sn_http_tx without a db", "route",
		    req->route->pattern, NULL);
		if (end != NULL)
			end(arg);
		answer_error(req, 500, "internal", "no database", NULL);
		return;
	}
	req->tx_stage = TX_WAIT;
	req->tx_begin = begin;
	req->tx_end   = end;
	req->tx_arg   = arg;
	sn_db_tx(req->h->db, tx_begin, tx_done, req);
}

void
sn_http_tx(sn_http_req *req, sn_http_tx_fn begin, void *arg)
{
	sn_http_tx_with_end(req, begin, NULL, arg);
}

void
sn_http_tx_reply(sn_http_req *req, sn_tx *tx, unsigned status, json_t *body)
{
	/* Kept past make_json (which lets go of body) for the audit, and
	 * let go of once that is queued. */
	json_t *tree = json_incref(body);
	sn_err  err  = SN_OK;
	bool    made, failed;

	assert(req->tx_stage == TX_RUNNING);
	req->tx_stage = TX_COMMITTING;
	made          = make_json(&req->stash, status, body);
	failed        = sn_tx_failed(tx);
	if (made && !failed && audit_wanted(req, &req->stash))
		err = audit_append(req, tx, &req->stash, tree);
	json_decref(tree);
	if (!made) {
		/* Nothing sensible to store: undo the change. */
		req->tx_stage = TX_FAILING;
		tx_undo(req, tx, SN_ENOMEM);
		return;
	}
	if (failed)
		return; /* done follows with the error */
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	/* A group's members' answers are stored together at its COMMIT
	 * (group_store). */
	if (req->has_idem && req->group == NULL) {
		char        st[16];
		const char *values[4];

		snprintf(st, sizeof(st), "%u", status);
		values[0] = principal_name(req);
		values[1] = req->idem_key;
		values[2] = st;
		values[3] = req->stash.body;
		if (sn_tx_query(tx, SQL_STORE, 4, values, NULL, NULL) != SN_OK)
			return;
	}
	if (req->in_batch)
		return; /* batch_end keeps it, with the others taken */
	if (req->group != NULL)
		group_ended(req, tx);
	else
		sn_tx_commit(tx);
}

void
sn_http_tx_fail(sn_http_req *req, sn_tx *tx, unsigned status, const char *code,
    const char *message, const char *field)
{
	assert(req->tx_stage == TX_RUNNING);
	req->tx_stage = TX_FAILING;
	make_error(&req->stash, status, code, message, field);
	tx_undo(req, tx, SN_ECLOSED);
}

void
sn_http_tx_problem(sn_http_req *req, sn_tx *tx, const sn_problem *p)
{
	sn_http_tx_fail(req, tx, p->status, p->code,
	    p->message[0] != '\0' ? p->message : NULL,
	    p->field[0] != '\0' ? p->field : NULL);
}

void
sn_http_problem(sn_http_req *req, const sn_problem *p)
{
	sn_http_reply_error(req, p->status, p->code,
	    p->message[0] != '\0' ? p->message : NULL,
	    p->field[0] != '\0' ? p->field : NULL);
}

void
sn_http_tx_fail_json(
    sn_http_req *req, sn_tx *tx, unsigned status, json_t *body)
{
	assert(req->tx_stage == TX_RUNNING);
	req->tx_stage = TX_FAILING;
	make_json(&req->stash, status, body);
	tx_undo(req, tx, SN_ECLOSED);
}

/* ---- group commit (sn_http_group_tx) -------------------------------- */

/* The requests of one key: the open transaction's members, and those
 * waiting for the next. Freed once nothing is open or waiting. */
struct group {
	sn_http_groups *gs;
	struct group   *next;
	char           *key;
	sn_http_req    *qhead, *qtail;
	size_t          nwaiting;
	sn_http_req    *members[SN_HTTP_GROUP_MAX];
	size_t          n, cur;
	bool            open;
	bool            commit_sent;
	/* The batch's claims (batch_claims): how many, and whether every
	 * one was free. */
	size_t nclaims;
	bool   claims_free;
	size_t nbatched; /* the members the batch kept */
};

struct sn_http_groups {
	sn_db                 *db;
	size_t                 max;
	sn_http_group_fn       prelude;
	void                  *prelude_arg;
	sn_http_group_take_fn  take;
	sn_http_group_batch_fn batch;
	void                  *batch_arg;
	struct group          *groups; /* open ones */
	bool                   freeing;
	uint64_t               commits, members, batched;
};

static void group_member(struct group *g, sn_tx *tx);

sn_err
sn_http_groups_new(sn_http_groups **out, sn_db *db, size_t max,
    sn_http_group_fn prelude, void *prelude_arg)
{
	sn_http_groups *gs;

	*out = NULL;
	if (db == NULL || max < 1 || max > SN_HTTP_GROUP_MAX)
		return SN_EINVAL;
	if ((gs = calloc(1, sizeof(*gs))) == NULL)
		return SN_ENOMEM;
	gs->db          = db;
	gs->max         = max;
	gs->prelude     = prelude;
	gs->prelude_arg = prelude_arg;
	*out            = gs;
	return SN_OK;
}

void
sn_http_groups_free(sn_http_groups *gs)
{
	if (gs == NULL)
		return;
	gs->freeing = true;
	if (gs->groups == NULL)
		free(gs);
}

void
sn_http_groups_batch(sn_http_groups *gs, sn_http_group_take_fn take,
    sn_http_group_batch_fn batch, void *arg)
{
	gs->take      = take;
	gs->batch     = batch;
	gs->batch_arg = arg;
}

void
sn_http_groups_counts(const sn_http_groups *gs, uint64_t *commits,
    uint64_t *members, uint64_t *batched, size_t *waiting)
{
	*commits = gs->commits;
	*members = gs->members;
	*batched = gs->batched;
	*waiting = 0;
	for (const struct group *g = gs->groups; g != NULL; g = g->next)
		*waiting += g->nwaiting;
}

static struct group *
group_of(sn_http_groups *gs, const char *key)
{
	struct group *g;

	for (g = gs->groups; g != NULL; g = g->next)
		if (strcmp(g->key, key) == 0)
			return g;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	if ((g->key = strdup(key)) == NULL) {
		free(g);
		return NULL;
	}
	g->gs      = gs;
	g->next    = gs->groups;
	gs->groups = g;
	return g;
}

/* Nothing open, nothing waiting: g goes, and gs too if it was freed. */
static void
group_drop(struct group *g)
{
	sn_http_groups *gs = g->gs;
	struct group  **p  = &gs->groups;

	while (*p != g)
		p = &(*p)->next;
	*p = g->next;
	free(g->key);
	free(g);
	if (gs->freeing && gs->groups == NULL)
		free(gs);
}

/* Forgets what a member's begin did (its answer, its on-commit work, its
 * audit record, all undone with it) and sets its stage: replayed
 * (TX_CLAIM_LOST) or run again (TX_WAIT). */
static void
member_forget(sn_http_req *req, enum tx_stage stage)
{
	answer_fini(&req->stash);
	req->tx_stage = stage;
	req->gcommit  = NULL;
	req->audited  = false;
}

/* The member in hand has ended (kept, or undone) and its claim's
 * result is in (sn_tx_then): the next one. A member whose key was
 * claimed already is undone whatever its begin did, and replays the
 * stored answer after the COMMIT. */
static void
group_next(sn_tx *tx, void *arg)
{
	sn_http_req  *req  = arg;
	struct group *g    = req->group;
	bool          undo = req->tx_stage != TX_COMMITTING;

	if (req->claim_lost) {
		member_forget(req, TX_CLAIM_LOST);
		undo = true;
	}
	/* Each member's savepoint is released (kept) or undone before the
	 * next is taken. */
	if ((undo ? sn_tx_savepoint_undo(tx) : sn_tx_savepoint_release(tx))
	    != SN_OK) {
		sn_tx_rollback(tx, SN_EDB); /* done follows */
		return;
	}
	g->cur++;
	group_member(g, tx);
}

/* The member in hand has ended (sn_http_tx_reply, sn_http_tx_fail*):
 * the next one once its claim is known. */
static void
group_ended(sn_http_req *req, sn_tx *tx)
{
	if (sn_tx_then(tx, group_next, req) != SN_OK)
		sn_tx_rollback(tx, SN_EDB); /* done follows */
}

/* A member's claim, answered while its begin's statements follow (or
 * after it ended): a key claimed already (a duplicate committed first,
 * or an earlier member kept it) undoes the member (group_next). */
static void
group_claimed(sn_tx *tx, PGresult *res, void *arg)
{
	sn_http_req *req = arg;

	(void) tx;
	req->claim_lost = sn_rows_affected(res) == 0;
	req->idem_known = true; /* claimed now, or replayed after */
}

/* begin beside the claim, not behind it: a member costs one round trip
 * less (issue 15), and when the key turns out claimed already what
 * begin queued is undone with the member's savepoint. */
static void
group_claim_begin(sn_http_req *req, sn_tx *tx)
{
	sn_err err = SN_OK;

	req->claim_lost = false;
	if (req->has_idem)
		err = claim_queue(req, tx, group_claimed);
	if (err != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	req->tx_stage = TX_RUNNING;
	sn_log_set_request_id(req->request_id);
	req->tx_begin(req, tx, req->tx_arg);
	sn_log_set_request_id(NULL);
}

/* Queues the answers of the members kept (sn_http_tx_reply) for their
 * keys, in one statement: a member's own UPDATE was one statement more
 * per grant (issue 15). */
static sn_err
group_store(struct group *g, sn_tx *tx)
{
	sn_pgarray  a[4];
	const char *v[4];
	size_t      n   = 0;
	sn_err      err = SN_OK;

	for (int k = 0; k < 4; k++)
		sn_pgarray_init(&a[k]);
	for (size_t i = 0; i < g->n; i++) {
		const sn_http_req *req = g->members[i];

		if (req->tx_stage != TX_COMMITTING || !req->has_idem
		    || req->in_batch) /* stored by batch_claims */
			continue;
		sn_pgarray_add(&a[0], principal_name(req));
		sn_pgarray_add(&a[1], req->idem_key);
		sn_pgarray_add_i64(&a[2], req->stash.status);
		sn_pgarray_add(&a[3], req->stash.body);
		n++;
	}
	for (int k = 0; k < 4 && err == SN_OK && n > 0; k++)
		if ((v[k] = sn_pgarray_text(&a[k])) == NULL)
			err = SN_ENOMEM;
	if (err == SN_OK && n > 0)
		err = sn_tx_query(tx, SQL_STORE_MANY, 4, v, NULL, NULL);
	for (int k = 0; k < 4; k++)
		sn_pgarray_fini(&a[k]);
	return err;
}

/* The savepoint of member g->cur, its claim and its begin; or the
 * answers stored and the COMMIT once every member has ended. */
static void
group_member(struct group *g, sn_tx *tx)
{
	sn_http_req *req;
	sn_err       err;

	while (g->cur < g->n && g->members[g->cur]->tx_stage == TX_COMMITTING)
		g->cur++; /* kept by the batch */
	if (g->cur == g->n) {
		if ((err = group_store(g, tx)) != SN_OK) {
			sn_tx_rollback(tx, err);
			return;
		}
		g->commit_sent = true;
		sn_tx_commit(tx);
		return;
	}
	req = g->members[g->cur];
	if ((err = sn_tx_savepoint(tx)) != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	group_claim_begin(req, tx);
}

/* The batch's keys claimed with their answers: each was free, or not
 * (batch_end then undoes the batch). */
static void
batch_claimed(sn_tx *tx, PGresult *res, void *arg)
{
	struct group *g = arg;

	(void) tx;
	g->claims_free = sn_rows_affected(res) == (long) g->nclaims;
}

/* Queues the claims of the members the batch answered, their answers
 * stored with them, in one statement. */
static sn_err
batch_claims(struct group *g, sn_tx *tx)
{
	sn_pgarray  a[7];
	const char *v[7];
	sn_err      err = SN_OK;

	g->nclaims     = 0;
	g->claims_free = true;
	for (int k = 0; k < 7; k++)
		sn_pgarray_init(&a[k]);
	for (size_t i = 0; i < g->n; i++) {
		sn_http_req *req = g->members[i];

		if (!req->in_batch || !req->has_idem)
			continue;
		sn_pgarray_add(&a[0], principal_name(req));
		sn_pgarray_add(&a[1], req->idem_key);
		sn_pgarray_add(&a[2], req->method);
		sn_pgarray_add(&a[3], req->route->pattern);
		sn_pgarray_add(&a[4], req->hash);
		sn_pgarray_add_i64(&a[5], req->stash.status);
		sn_pgarray_add(&a[6], req->stash.body);
		if (req->h->idem_claims != NULL)
			sn_counter_add(req->h->idem_claims, 1);
		g->nclaims++;
	}
	for (int k = 0; k < 7 && err == SN_OK && g->nclaims > 0; k++)
		if ((v[k] = sn_pgarray_text(&a[k])) == NULL)
			err = SN_ENOMEM;
	if (err == SN_OK && g->nclaims > 0)
		err = sn_tx_query(tx, SQL_CLAIM_MANY, 7, v, batch_claimed, g);
	for (int k = 0; k < 7; k++)
		sn_pgarray_fini(&a[k]);
	return err;
}

/* The batch kept (its members answered, stored with their keys: in_batch
 * stays set until the group ends, for group_store), or undone (each goes
 * one by one with the rest); then the members not taken. */
static void
batch_settle(struct group *g, sn_tx *tx, bool keep)
{
	size_t k = 0;

	if ((keep ? sn_tx_savepoint_release(tx) : sn_tx_savepoint_undo(tx))
	    != SN_OK) {
		sn_tx_rollback(tx, SN_EDB); /* done follows */
		return;
	}
	for (size_t i = 0; i < g->n; i++) {
		sn_http_req *req = g->members[i];

		if (!req->in_batch)
			continue;
		k++;
		if (keep) {
			req->idem_known = true;
			continue;
		}
		req->in_batch = false;
		member_forget(req, TX_WAIT);
	}
	g->nbatched = keep ? k : 0;
	group_member(g, tx);
}

/* The batch's claims answered (sn_tx_then): kept if every key was free. */
static void
batch_end(sn_tx *tx, void *arg)
{
	struct group *g = arg;

	batch_settle(g, tx, g->claims_free);
}

/* The batch's statements answered (sn_tx_then): if it answered every
 * member it took with sn_http_tx_reply, their keys are claimed with the
 * answers (a key claimed already undoes the batch, batch_end); else the
 * batch is undone. */
static void
batch_answered(sn_tx *tx, void *arg)
{
	struct group *g   = arg;
	bool          all = true;
	sn_err        err;

	for (size_t i = 0; i < g->n; i++)
		if (g->members[i]->in_batch)
			all = all && g->members[i]->tx_stage == TX_COMMITTING;
	if (!all) {
		batch_settle(g, tx, false);
		return;
	}
	if ((err = batch_claims(g, tx)) != SN_OK
	    || (err = sn_tx_then(tx, batch_end, g)) != SN_OK)
		sn_tx_rollback(tx, err); /* done follows: each runs alone */
}

/* Offers the members to the batch (sn_http_groups_batch): those it takes
 * run in one savepoint, ended by batch_answered. False when it takes
 * none. */
static bool
batch_start(struct group *g, sn_tx *tx, void *const *args)
{
	sn_http_groups *gs                       = g->gs;
	bool            taken[SN_HTTP_GROUP_MAX] = { false };
	sn_err          err;

	if (gs->take == NULL
	    || gs->take(args, g->n, taken, gs->batch_arg) == 0)
		return false;
	for (size_t i = 0; i < g->n; i++)
		if (taken[i]) {
			g->members[i]->in_batch = true;
			g->members[i]->tx_stage = TX_RUNNING;
		}
	if ((err = sn_tx_savepoint(tx)) != SN_OK
	    || (err = gs->batch(tx, args, taken, g->n, gs->batch_arg)) != SN_OK
	    || (err = sn_tx_then(tx, batch_answered, g)) != SN_OK)
		sn_tx_rollback(tx, err); /* done follows: each runs alone */
	return true;
}

static void
group_begin(sn_tx *tx, void *arg)
{
	struct group   *g  = arg;
	sn_http_groups *gs = g->gs;
	void           *args[SN_HTTP_GROUP_MAX];
	sn_err          err;

	for (size_t i = 0; i < g->n; i++)
		args[i] = g->members[i]->tx_arg;
	if (gs->prelude != NULL
	    && (err = gs->prelude(tx, args, g->n, gs->prelude_arg)) != SN_OK) {
		sn_tx_rollback(tx, err);
		return;
	}
	if (!batch_start(g, tx, args))
		group_member(g, tx);
}

/* A member's answer once the group's transaction is over (err its
 * outcome). */
static void
group_answer(sn_http_req *req, sn_err err)
{
	enum tx_stage stage = req->tx_stage;
	void (*fn)(void *)  = req->gcommit;
	void *fn_arg        = req->gcommit_arg;

	req->gcommit = NULL;
	if (err == SN_OK && stage == TX_COMMITTING && fn != NULL)
		fn(fn_arg);
	if (req->tx_end != NULL) {
		void (*end)(void *) = req->tx_end;
		req->tx_end         = NULL;
		end(req->tx_arg);
	}
	if (stage == TX_CLAIM_LOST) {
		lookup(req); /* lookup_done: answer as the first did */
		return;
	}
	req->tx_stage = TX_NONE;
	if (err != SN_OK) {
		answer_fini(&req->stash);
		answer_error(req, 503, "unavailable",
		    "the change could not be committed; retry", NULL);
		return;
	}
	switch (stage) {
	case TX_COMMITTING:
	case TX_FAILING:
		answer_set(req, &req->stash);
		return;
	default:
		sn_log(SN_LOG_ERROR,
		    "http: a grouped handler ended without an answer", "route",
		    req->route->pattern, NULL);
		answer_error(req, 500, "internal", "no answer", NULL);
		return;
	}
}

static void group_done(sn_err err, void *arg);

/* Opens the next transaction of g with what waits. May end it (and free
 * g) before returning when the pool is closing: nothing may touch g
 * after. */
static void
group_start(struct group *g)
{
	g->n           = 0;
	g->cur         = 0;
	g->commit_sent = false;
	g->nbatched    = 0;
	while (g->qhead != NULL && g->n < g->gs->max) {
		sn_http_req *req   = g->qhead;
		g->qhead           = req->gnext;
		req->gnext         = NULL;
		g->members[g->n++] = req;
		g->nwaiting--;
	}
	if (g->qhead == NULL)
		g->qtail = NULL;
	g->open = true;
	sn_db_tx(g->gs->db, group_begin, group_done, g);
}

static void
group_done(sn_err err, void *arg)
{
	struct group   *g  = arg;
	sn_http_groups *gs = g->gs;
	sn_db          *db = gs->db;
	sn_http_req    *m[SN_HTTP_GROUP_MAX];
	size_t          n = g->n;
	/* Failed before its COMMIT: nothing was kept, each runs alone. */
	bool again = err != SN_OK && !g->commit_sent && err != SN_ECLOSED;

	memcpy(m, g->members, n * sizeof(m[0]));
	g->n    = 0;
	g->open = false;
	if (err == SN_OK) {
		gs->commits++;
		gs->members += n;
		gs->batched += g->nbatched;
	}
	if (g->nwaiting > 0)
		group_start(g);
	else
		group_drop(g);
	for (size_t i = 0; i < n; i++) {
		sn_http_req *req = m[i];

		req->group    = NULL;
		req->in_batch = false;
		if (again) {
			member_forget(req, TX_WAIT);
			sn_db_tx(db, tx_begin, tx_done, req);
			continue;
		}
		group_answer(req, err);
	}
}

void
sn_http_group_tx(sn_http_groups *gs, const char *key, sn_http_req *req,
    sn_http_tx_fn begin, void (*end)(void *arg), void *arg)
{
	struct group *g;

	assert(req->app_ref && !req->answered && req->tx_stage == TX_NONE);
	if ((g = group_of(gs, key)) == NULL) {
		if (end != NULL)
			end(arg);
		answer_error(
		    req, 503, "unavailable", "out of memory; retry", NULL);
		return;
	}
	req->tx_stage = TX_WAIT;
	req->tx_begin = begin;
	req->tx_end   = end;
	req->tx_arg   = arg;
	req->group    = g;
	req->gnext    = NULL;
	if (g->qtail != NULL)
		g->qtail->gnext = req;
	else
		g->qhead = req;
	g->qtail = req;
	g->nwaiting++;
	if (!g->open)
		group_start(g);
}

bool
sn_http_tx_grouped(const sn_http_req *req)
{
	return req->group != NULL;
}

sn_err
sn_http_tx_on_commit(
    sn_http_req *req, sn_tx *tx, void (*fn)(void *arg), void *arg)
{
	if (req->group == NULL)
		return sn_tx_on_commit(tx, fn, arg);
	if (req->gcommit != NULL
	    && (req->gcommit != fn || req->gcommit_arg != arg))
		return SN_ERANGE;
	req->gcommit     = fn;
	req->gcommit_arg = arg;
	return SN_OK;
}

/* ---- built-in routes ------------------------------------------------ */

static void
on_healthz(sn_http_req *req, void *arg)
{
	(void) arg;
	sn_http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

json_t *
sn_http_body_json(const char *body, size_t len, json_error_t *err)
{
	return json_loadb(body, len, JSON_REJECT_DUPLICATES, err);
}

/* Whether /readyz would say 200 now; why (cap bytes) says why not. */
static bool
is_ready(sn_http *h, char *why, size_t cap)
{
	bool ready;

	if (h->ready != NULL)
		ready = h->ready(h->ready_arg, why, cap);
	else
		ready = h->db == NULL || sn_db_ready(h->db);
	return ready && !h->closing;
}

/* sn_metrics_on_render: sn_ready as /readyz would answer. */
static void
ready_render(void *arg)
{
	sn_http *h = arg;
	char     why[512];

	sn_gauge_set(h->g_ready, is_ready(h, why, sizeof(why)) ? 1 : 0);
}

static void
on_readyz(sn_http_req *req, void *arg)
{
	sn_http *h = arg;

	char why[512] = "";
	bool ready    = is_ready(h, why, sizeof(why));

	if (!ready)
		sn_http_reply_error(req, 503, "not_ready",
		    !h->closing && why[0] != '\0' ? why
		                                  : "the service is not ready",
		    NULL);
	else
		sn_http_reply_json(
		    req, 200, json_pack("{s:s}", "status", "ready"));
}

static void
on_metrics(sn_http_req *req, void *arg)
{
	sn_http *h    = arg;
	char    *text = sn_metrics_render(h->metrics);

	if (text == NULL) {
		sn_http_reply_error(
		    req, 500, "internal", "out of memory", NULL);
		return;
	}
	answer_raw(req, 200, text, strlen(text), CT_METRICS);
}

/* ---- the server ----------------------------------------------------- */

/* HTTPS when the config gives a certificate: copies it, the key and the
 * client CA into h (libmicrohttpd keeps pointers to them) and adds
 * MHD_USE_TLS. */
static sn_err
tls_options(sn_http *h, const sn_http_config *cfg, unsigned int *flags)
{
	if (cfg->tls_cert_pem == NULL && cfg->tls_key_pem == NULL)
		return SN_OK;
	if (cfg->tls_cert_pem == NULL || cfg->tls_key_pem == NULL) {
		sn_log(SN_LOG_ERROR,
		    "http: HTTPS needs a certificate and a key", NULL);
		return SN_EINVAL;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		sn_log(SN_LOG_ERROR, "http: libmicrohttpd has no TLS", NULL);
		return SN_EINVAL;
	}
	if ((h->tls_cert = strdup(cfg->tls_cert_pem)) == NULL
	    || (h->tls_key = strdup(cfg->tls_key_pem)) == NULL
	    || (cfg->tls_client_ca_pem != NULL
	        && (h->tls_client_ca = strdup(cfg->tls_client_ca_pem))
	            == NULL))
		return SN_ENOMEM;
	*flags |= MHD_USE_TLS;
	return SN_OK;
}

sn_err
sn_http_open(sn_http **out, sn_loop *loop, const sn_http_config *cfg)
{
	sn_http                *h;
	const char             *addr = cfg->addr ? cfg->addr : "127.0.0.1";
	struct sockaddr_storage ss;
	unsigned int            flags
	    = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	char                        port[8];
	int                         rc;
	sn_err                      err;

	*out = NULL;
	memset(&ss, 0, sizeof(ss));
	{
		struct sockaddr_in  *in4 = (struct sockaddr_in *) &ss;
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ss;

		if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
			in4->sin_family = AF_INET;
			in4->sin_port   = htons(cfg->port);
		} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			in6->sin6_port   = htons(cfg->port);
			flags |= MHD_USE_IPv6;
		} else {
			sn_log(SN_LOG_ERROR, "http: not an IP address", "addr",
			    addr, NULL);
			return SN_EINVAL;
		}
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return SN_ENOMEM;
	h->loop      = loop;
	h->max_body  = cfg->max_body ? cfg->max_body : MAX_BODY_DEFAULT;
	h->auth      = cfg->auth;
	h->metrics   = cfg->metrics;
	h->db        = cfg->db;
	h->audit     = cfg->audit;
	h->audit_arg = cfg->audit_arg;
	if (h->metrics != NULL && h->audit != NULL)
		h->audit_lost = sn_metrics_counter(h->metrics,
		    "sn_http_audit_lost_total",
		    "Answers sent without their audit record (the database "
		    "failed).",
		    NULL);
	if (h->metrics != NULL
	    && (h->g_ready = sn_metrics_gauge(h->metrics, "sn_ready",
	            "1 while GET /readyz answers 200 (the database, a halted "
	            "or stalled bus stream), else 0.",
	            NULL))
	        != NULL
	    && sn_metrics_on_render(h->metrics, ready_render, h) != SN_OK)
		h->g_ready = NULL;
	if (h->metrics != NULL) {
		h->idem_lookups = sn_metrics_counter(h->metrics,
		    "sn_http_idempotency_lookups_total",
		    "Look-ups of an Idempotency-Key's stored answer (a"
		    " refused or failed keyed request, a lost claim).",
		    NULL);
		h->idem_claims  = sn_metrics_counter(h->metrics,
		     "sn_http_idempotency_claims_total",
		     "Idempotency-Keys claimed in a keyed request's"
		      " transaction.",
		     NULL);
	}
	if (h->metrics != NULL)
		h->unmatched_hist = sn_metrics_histogram(h->metrics,
		    "sn_http_request_duration_seconds",
		    "Time from a request's headers to its answer.",
		    "route=\"unmatched\"", sn_metrics_latency_bounds,
		    sn_metrics_latency_nbounds);

	h->timeout_s = cfg->timeout_s ? cfg->timeout_s : TIMEOUT_DEFAULT;
	h->lfd       = -1;
	if ((err = tls_options(h, cfg, &flags)) != SN_OK)
		goto fail_free;
	/* The logger goes first, or messages about the options before it
	 * reach stderr as plain text. Without TLS the key options end the
	 * list (MHD_OPTION_END in their place), and without a client CA
	 * the trust option does. With MHD_OPTION_HTTPS_MEM_TRUST,
	 * libmicrohttpd has GnuTLS ask every client for a certificate
	 * (GNUTLS_CERT_REQUEST: optional) and verifies nothing itself:
	 * client_cert_ok does, per route. */
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *) &ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	    h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
	    MHD_OPTION_CONNECTION_TIMEOUT, h->timeout_s,
	    h->tls_cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
	    h->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, h->tls_key,
	    h->tls_client_ca != NULL ? MHD_OPTION_HTTPS_MEM_TRUST
	                             : MHD_OPTION_END,
	    h->tls_client_ca, MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(port, sizeof(port), "%u", (unsigned) cfg->port);
		sn_log(SN_LOG_ERROR, "http: cannot start the server", "addr",
		    addr, "port", port, NULL);
		err = SN_EIO;
		goto fail_free;
	}
	info    = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : cfg->port;
	info    = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		sn_log(SN_LOG_ERROR, "http: no epoll descriptor", NULL);
		err = SN_EIO;
		goto fail_stop;
	}
	if ((rc = uv_poll_init(sn_loop_uv(loop), &h->poll, info->epoll_fd))
	    != 0) {
		sn_log(SN_LOG_ERROR, "http: uv_poll_init", "error",
		    uv_strerror(rc), NULL);
		err = SN_EUV;
		goto fail_stop;
	}
	h->poll.data = h;
	h->nhandles++;
	uv_timer_init(sn_loop_uv(loop), &h->timer);
	h->timer.data = h;
	h->nhandles++;
	uv_timer_init(sn_loop_uv(loop), &h->grace);
	h->grace.data = h;
	h->nhandles++;
	if ((rc = uv_poll_start(&h->poll, UV_READABLE, on_poll)) != 0) {
		sn_log(SN_LOG_ERROR, "http: uv_poll_start", "error",
		    uv_strerror(rc), NULL);
		sn_http_close(h);
		return SN_EUV;
	}
	if ((err = sn_http_route(
	         h, "GET", "/healthz", SN_HTTP_PUBLIC, NULL, on_healthz, h))
	        != SN_OK
	    || (err = sn_http_route(
	            h, "GET", "/readyz", SN_HTTP_PUBLIC, NULL, on_readyz, h))
	        != SN_OK
	    || (h->metrics != NULL
	        && (err = sn_http_route(h, "GET", "/metrics", SN_HTTP_PUBLIC,
	                NULL, on_metrics, h))
	            != SN_OK)) {
		sn_http_close(h);
		return err;
	}
	/* Connections that arrived before the loop runs are picked up by the
	 * poll; the first timeout is set here. */
	kick(h);
	snprintf(port, sizeof(port), "%u", (unsigned) h->port);
	sn_log(SN_LOG_INFO, "http listening", "addr", addr, "port", port,
	    "tls", h->tls_cert != NULL ? "on" : "off", "client_certs",
	    h->tls_client_ca != NULL ? "asked" : "off", NULL);
	*out = h;
	return SN_OK;

fail_stop:
	MHD_stop_daemon(h->mhd);
fail_free:
	if (h->g_ready != NULL)
		sn_metrics_on_render_remove(h->metrics, ready_render, h);
	free(h->tls_cert);
	free(h->tls_key);
	free(h->tls_client_ca);
	free(h);
	return err;
}

/* ---- connections and the drain ------------------------------------ */

/*
 * The drain (issue 16 item 5): sn_http_quiesce makes the listening
 * socket drop new SYNs, takes the connections in its backlog
 * (MHD_add_connection), and DRAIN_GRACE_MS later those that completed
 * their handshake meanwhile, and closes it, so that a client connects
 * to this process either with an answer to come or not at all
 * (connection refused). From then
 * on every answer says "Connection: close", and a connection without a
 * request in progress is closed after DRAIN_IDLE_S of silence counted
 * from the quiesce (a client that sent its request just before, or
 * sends it just after, still has it read and answered).
 * sn_http_conns reaches 0 once every connection has had its answer.
 */
#define DRAIN_IDLE_S 1u

/* How long the listening socket stays open, refusing SYNs, after the
 * quiesce: a handshake's last ACK comes one round trip after the SYN it
 * answers (microseconds on loopback, tens of milliseconds across a
 * district's network). */
#define DRAIN_GRACE_MS 100u

/* Sets n's idle limit, counted from now: libmicrohttpd counts a new
 * limit from the connection's last activity (a keep-alive connection
 * silent for longer than DRAIN_IDLE_S, or one in its TLS handshake,
 * which does not count as activity, would be closed at once, its
 * request on the way) unless the limit was 0 before. */
static void
conn_idle_timeout(sn_http *h, struct conn_node *n)
{
	MHD_set_connection_option(n->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
	MHD_set_connection_option(n->conn, MHD_CONNECTION_OPTION_TIMEOUT,
	    (unsigned int) (h->quiesced && !n->active ? DRAIN_IDLE_S
	                                              : h->timeout_s));
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	sn_http          *h = cls;
	struct conn_node *n = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((n = calloc(1, sizeof(*n))) == NULL)
			return; /* not counted: only the drain misses it */
		n->conn = conn;
		n->next = h->conns;
		if (h->conns != NULL)
			h->conns->prev = n;
		h->conns        = n;
		*socket_context = n;
		h->nconns++;
		if (h->adopting > 0)
			h->adopting--;
		if (h->quiesced)
			conn_idle_timeout(h, n);
		return;
	}
	if (n == NULL)
		return;
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		h->conns = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	*socket_context = NULL;
	h->nconns--;
	free(n);
}

/* A request of conn begins (on) or is done (off). */
static void
conn_active(sn_http *h, struct MHD_Connection *conn, bool on)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
	    conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_node *n = ci != NULL ? ci->socket_context : NULL;

	if (n == NULL || n->active == on)
		return;
	n->active = on;
	if (h->quiesced)
		conn_idle_timeout(h, n);
}

/*
 * A classic BPF program, attached to the listening socket, that drops a
 * segment with SYN and without ACK (the TCP header's flags are byte 13:
 * the kernel runs a TCP socket's filter on the segment from its TCP
 * header on) and keeps every other.
 */
static void
refuse_syn(int fd)
{
	struct sock_filter syn_only[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12), /* SYN | ACK */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
	};
	struct sock_fprog prog = {
		.len    = sizeof(syn_only) / sizeof(syn_only[0]),
		.filter = syn_only,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog))
	    != 0)
		sn_log(SN_LOG_WARN,
		    "http: cannot refuse new connections before the drain",
		    "error", strerror(errno), NULL);
}

/* Hands every connection waiting in lfd's backlog to libmicrohttpd,
 * which starts them at its next run (thread-safe mode): counted until
 * then. The number taken. */
static int
take_backlog(sn_http *h)
{
	int taken = 0;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t               len = sizeof(ss);
		int c = accept(h->lfd, (struct sockaddr *) &ss, &len);

		if (c < 0)
			break; /* EAGAIN: the backlog is empty */
		fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
		fcntl(c, F_SETFD, FD_CLOEXEC);
		if (MHD_add_connection(h->mhd, c, (struct sockaddr *) &ss, len)
		    == MHD_YES)
			taken++;
	}
	h->adopting += (size_t) taken;
	return taken;
}

static void
on_grace(uv_timer_t *t)
{
	sn_http *h = t->data; /* started with lfd, closed by stop() */

	take_backlog(h);
	close(h->lfd);
	h->lfd = -1;
	kick(h);
}

void
sn_http_quiesce(sn_http *h)
{
	MHD_socket fd;
	char       num[16];

	if (h == NULL || h->mhd == NULL || h->quiesced)
		return;
	h->quiesced = true;
	if ((fd = MHD_quiesce_daemon(h->mhd)) == MHD_INVALID_SOCKET) {
		sn_log(SN_LOG_WARN, "http: cannot stop listening", NULL);
		return;
	}
	/* What the kernel accepted for us is ours to answer: the backlog
	 * would be reset by the close, and so would a handshake under way
	 * (its last ACK, coming after the close, meets no socket). So new
	 * SYNs are dropped first (refuse_syn: their clients retry after a
	 * second, find the port closed and are refused), the backlog is
	 * taken, and the listening socket stays open DRAIN_GRACE_MS longer,
	 * for the handshakes already answered to complete; then what they
	 * queued is taken too, and it closes. Closing at once after the
	 * backlog, as before 12-07, reset a connection now and then
	 * (http_test's test_quiesce_never_resets: 3-7 of about 2,350
	 * connections to 100 servers; e2e.rolling_sigterm: 1 run in 23).
	 * Non-blocking whatever libmicrohttpd made it, so that an empty
	 * backlog ends the loop. */
	refuse_syn(fd);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	h->lfd    = fd;
	int taken = take_backlog(h);
	uv_timer_start(&h->grace, on_grace, DRAIN_GRACE_MS, 0);
	for (struct conn_node *n = h->conns; n != NULL; n = n->next)
		conn_idle_timeout(h, n);
	snprintf(num, sizeof(num), "%d", taken);
	sn_log(SN_LOG_INFO, "http stopped listening; draining", "backlog", num,
	    NULL);
	kick(h);
}

size_t
sn_http_conns(const sn_http *h)
{
	/* The listening socket in its grace may still queue one. */
	return h != NULL ? h->nconns + h->adopting + (h->lfd >= 0) : 0;
}

static void
stop(sn_http *h)
{
	struct MHD_Daemon *d = h->mhd;

	h->stop_pending = false;
	h->mhd          = NULL;
	/* libmicrohttpd refuses to stop with suspended connections: resume
	 * them all; their reqs stay owed to their handlers, who may answer
	 * later into the void. */
	while (h->suspended != NULL) {
		sn_http_req *req = h->suspended;

		unlink_suspended(req);
		MHD_resume_connection(req->conn);
	}
	MHD_stop_daemon(d);
	while (h->conns != NULL) { /* told closed or not, they are */
		struct conn_node *n = h->conns;

		h->conns = n->next;
		free(n);
	}
	h->nconns   = 0;
	h->adopting = 0;
	if (h->lfd >= 0) { /* stopped within the grace */
		close(h->lfd);
		h->lfd = -1;
	}
	uv_close((uv_handle_t *) &h->poll, on_handle_closed);
	uv_close((uv_handle_t *) &h->timer, on_handle_closed);
	uv_close((uv_handle_t *) &h->grace, on_handle_closed);
}

void
sn_http_close(sn_http *h)
{
	if (h == NULL || h->closing)
		return;
	h->closing = true;
	if (h->g_ready != NULL)
		sn_metrics_on_render_remove(h->metrics, ready_render, h);
	if (h->in_run) {
		h->stop_pending = true;
		return;
	}
	stop(h);
}

uint16_t
sn_http_port(const sn_http *h)
{
	return h->port;
}

size_t
sn_http_busy(const sn_http *h)
{
	return h->busy;
}

void
sn_http_set_ready(sn_http *h, sn_http_ready_fn fn, void *arg)
{
	h->ready     = fn;
	h->ready_arg = arg;
}

/* ---- purge ---------------------------------------------------------- */

/* One purge; freed by purge_done, which always runs (sn_db_tx). */
struct purge {
	char           days[16];
	sn_db_query_fn done;
	void          *arg;
	PGresult      *res; /* the count, copied: held until COMMIT */
};

static void
purge_counted(sn_tx *tx, PGresult *res, void *arg)
{
	struct purge *p = arg;

	p->res = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
	if (p->res == NULL)
		sn_tx_rollback(tx, SN_ENOMEM);
	else
		sn_tx_commit(tx);
}

static void
purge_begin(sn_tx *tx, void *arg)
{
	struct purge *p    = arg;
	const char   *v[1] = { p->days };
	sn_err        err = sn_tx_query(tx, SQL_PURGE, 1, v, purge_counted, p);

	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static void
purge_done(sn_err err, void *arg)
{
	struct purge *p = arg;

	/* A count is only told once it is committed. */
	if (err == SN_OK && p->res == NULL)
		err = SN_EDB;
	p->done(err, err == SN_OK ? p->res : NULL, p->arg);
	PQclear(p->res);
	free(p);
}

void
sn_http_purge(sn_db *db, uint32_t days, sn_db_query_fn done, void *arg)
{
	struct purge *p = calloc(1, sizeof(*p));

	assert(db != NULL && done != NULL && days >= 1);
	if (p == NULL)
		abort(); /* as sn_db_query does */
	snprintf(p->days, sizeof(p->days), "%" PRIu32, days);
	p->done = done;
	p->arg  = arg;
	sn_db_tx(db, purge_begin, purge_done, p);
}
