/*
 * listen.c - see sn/listen.h.
 *
 * One check is in flight at a time, a probe of its own. The probe frees
 * itself in its handle's close callback and then tells its guard whether
 * it was answered; a guard that stops waiting for it (at the next check,
 * or when it closes) detaches it first (probe->l = NULL).
 */
#include "sn/listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sn/config.h"
#include "sn/log.h"
#include "sn/tls.h"

struct sn_listen {
	sn_loop      *loop;
	nng_socket    sock;
	nng_listener  lst;
	bool          listening;
	char         *url;
	uint8_t       header[8];
	uv_timer_t    timer;
	uint64_t      patience;   /* ms a window has before a dead verdict */
	struct probe *probe;      /* the probe in flight, if any */
	bool          checking;   /* a window was started and not yet judged */
	bool          unanswered; /* and it ended unanswered */
	bool          counted;    /* count0 was read when it started */
	uint64_t      count0;     /* the listener's outcomes then */
	uint64_t      started;    /* and the loop's time (ms) */
	unsigned      probes;     /* probes started since then */
};

struct probe {
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_pipe_t   pipe;
		uv_tcp_t    tcp;
	} h;
	uv_connect_t connect;
	uv_write_t   write;
	sn_listen   *l;   /* NULL once its guard no longer waits for it */
	bool         tls; /* read to the listener's end, not its first bytes */
	bool         answered;
	uint8_t      header[8];
	char         buf[64];
};

/* The probe's end: what it found goes to its guard, if still there. */
static void
on_probe_closed(uv_handle_t *h)
{
	struct probe *p = h->data;
	if (p->l != NULL) {
		p->l->probe      = NULL;
		p->l->unanswered = !p->answered;
	}
	free(p);
}

static void
probe_end(struct probe *p)
{
	if (!uv_is_closing(&p->h.handle))
		uv_close(&p->h.handle, on_probe_closed);
}

static void
on_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
	struct probe *p = h->data;
	(void) want;
	*buf = uv_buf_init(p->buf, sizeof(p->buf));
}

/* Bytes, an end or a reset: a listener that accepted us answered. A TLS
 * listener's probe reads on to the listener's own end: the listener is
 * still writing (its alert) and closing after the failed handshake, and
 * a peer gone meanwhile is what stops nng 1.5.2's listeners (#1518; a TLS
 * listener was stopped so by its own probes under a sanitize pass). */
static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct probe *p = s->data;
	(void) buf;
	if (n == 0)
		return;
	p->answered = true;
	if (n < 0 || !p->tls)
		probe_end(p);
}

static void
on_connected(uv_connect_t *c, int status)
{
	struct probe *p = c->data;
	if (status < 0 || p->l == NULL) {
		probe_end(p);
		return;
	}
	uv_buf_t b = uv_buf_init((char *) p->header, sizeof(p->header));
	/* A failed write leaves the probe unanswered: no callback needed. */
	if (uv_write(&p->write, &p->h.stream, &b, 1, NULL) != 0
	    || uv_read_start(&p->h.stream, on_alloc, on_read) != 0)
		probe_end(p);
}

/* The first child of st named name, or NULL. */
static nng_stat *
child_named(nng_stat *st, const char *name)
{
	nng_stat *c = nng_stat_child(st);
	while (c != NULL && strcmp(nng_stat_name(c), name) != 0)
		c = nng_stat_next(c);
	return c;
}

/* The statistics of the listener whose id is id, under st. Not
 * nng_stat_find_listener: nng 1.5.2's looks for the id at the top of
 * the tree only and below it takes the first node named "listener",
 * whichever listener it is (a replay socket's check read the PUB
 * socket's counts, which its own probes kept moving; nng #1577, fixed
 * in 1.10.0). */
static nng_stat *
find_listener(nng_stat *st, int id)
{
	if (nng_stat_type(st) == NNG_STAT_SCOPE
	    && strcmp(nng_stat_name(st), "listener") == 0) {
		/* an NNG_STAT_ID's value holds the id in its low 32 bits */
		nng_stat *lid = child_named(st, "id");
		return lid != NULL
		        && (uint32_t) nng_stat_value(lid) == (uint32_t) id
		    ? st
		    : NULL;
	}
	nng_stat *found = NULL;
	for (nng_stat *c = nng_stat_child(st); c != NULL && found == NULL;
	     c           = nng_stat_next(c)) {
		found = find_listener(c, id);
	}
	return found;
}

/* The accepts and failed accepts NNG has counted for l's listener (its
 * statistics' counters but "pipes"); false if they cannot be read. */
static bool
listener_outcomes(sn_listen *l, uint64_t *out)
{
	nng_stat *all;
	if (nng_stats_get(&all) != 0)
		return false;
	nng_stat *ls = find_listener(all, nng_listener_id(l->lst));
	uint64_t  n  = 0;
	for (nng_stat *c = ls != NULL ? nng_stat_child(ls) : NULL; c != NULL;
	     c           = nng_stat_next(c)) {
		if (nng_stat_type(c) == NNG_STAT_COUNTER
		    && strcmp(nng_stat_name(c), "pipes") != 0)
			n += nng_stat_value(c);
	}
	nng_stats_free(all);
	*out = n;
	return ls != NULL;
}

/* Starts a probe of l's listener at the address it is bound to; false
 * if that address is not one we can connect to. */
static bool
probe_start(sn_listen *l)
{
	nng_sockaddr sa;
	if (nng_listener_get_addr(l->lst, NNG_OPT_LOCADDR, &sa) != 0)
		return false;
	struct probe *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return false;
	p->l   = l;
	p->tls = strncmp(l->url, "tls+", 4) == 0;
	memcpy(p->header, l->header, sizeof(p->header));
	p->h.handle.data = p;
	p->connect.data  = p;
	uv_loop_t *uv    = sn_loop_uv(l->loop);
	int        rv;
	if (sa.s_family == NNG_AF_IPC) {
		uv_pipe_init(uv, &p->h.pipe, 0);
		uv_pipe_connect(
		    &p->connect, &p->h.pipe, sa.s_ipc.sa_path, on_connected);
		rv = 0;
	} else if (sa.s_family == NNG_AF_INET) {
		struct sockaddr_in in = { .sin_family = AF_INET };
		in.sin_port           = sa.s_in.sa_port;
		in.sin_addr.s_addr    = sa.s_in.sa_addr != 0
		       ? sa.s_in.sa_addr
		       : htonl(INADDR_LOOPBACK);
		uv_tcp_init(uv, &p->h.tcp);
		rv = uv_tcp_connect(&p->connect, &p->h.tcp,
		    (const struct sockaddr *) &in, on_connected);
	} else if (sa.s_family == NNG_AF_INET6) {
		static const uint8_t any[16] = { 0 };
		struct sockaddr_in6  in6     = { .sin6_family = AF_INET6 };
		in6.sin6_port                = sa.s_in6.sa_port;
		if (memcmp(sa.s_in6.sa_addr, any, sizeof(any)) == 0)
			in6.sin6_addr = in6addr_loopback;
		else
			memcpy(&in6.sin6_addr, sa.s_in6.sa_addr, 16);
		uv_tcp_init(uv, &p->h.tcp);
		rv = uv_tcp_connect(&p->connect, &p->h.tcp,
		    (const struct sockaddr *) &in6, on_connected);
	} else {
		free(p);
		return false;
	}
	l->probe      = p;
	l->unanswered = false;
	l->probes++;
	if (rv != 0)
		probe_end(p); /* unanswered: judged at the next check */
	return true;
}

/* Stops waiting for the probe in flight, if any: it ends on its own. */
static void
probe_forget(sn_listen *l)
{
	if (l->probe != NULL) {
		l->probe->l = NULL;
		probe_end(l->probe);
		l->probe = NULL;
	}
}

/* why: what the verdict saw (NULL: a failed listen retried). */
static void
listen_again(sn_listen *l, const char *why)
{
	sn_log(SN_LOG_WARN,
	    "listener no longer accepts (nng 1.5.2 after a peer hung up "
	    "while connecting); listening again",
	    "url", l->url, "seen", why ? why : "not listening", NULL);
	if (l->listening)
		nng_listener_close(l->lst);
	int rv       = sn_nng_listen(l->sock, l->url, &l->lst);
	l->listening = rv == 0;
	if (rv != 0)
		sn_log(SN_LOG_ERROR, "cannot listen again; next check retries",
		    "url", l->url, "error", nng_strerror(rv), NULL);
}

/*
 * A listener is alive when NNG counted an outcome for it (an accept, a
 * failed accept) since its window started: its own probes' or anyone's.
 * Without counts, when a probe was answered. It is dead when neither
 * came in the window's patience (twice the check interval, 2 s at
 * least), a window of wall time, not of checks: under a loaded machine
 * a check comes due while the probe's answer waits unread (libuv runs
 * due timers before it polls), and checks every 200 ms judged a starved
 * listener dead twice in a row (bus.listener_starved). A check before
 * then waits for the probe in flight, or starts another if the last one
 * ended. A dead listener of nng 1.5.2 counts nothing, whatever the
 * transport answers (it goes on negotiating with the connections the
 * listener never takes).
 */
static void
on_check(uv_timer_t *t)
{
	sn_listen *l        = t->data;
	uint64_t   now      = 0;
	bool       counted  = listener_outcomes(l, &now);
	bool       again    = !l->listening; /* a failed listen, retried */
	char       why[128] = "";
	if (l->listening && l->checking) {
		bool alive = l->counted && counted
		    ? now != l->count0
		    : l->probe == NULL && !l->unanswered;
		if (!alive && uv_now(t->loop) - l->started < l->patience) {
			/* No verdict yet. A probe that ended with nothing
			 * counted is followed by another: NNG's TLS transport
			 * negotiates on its own and reports a failed handshake
			 * only to a listener waiting for its next connection,
			 * which one in its 100 ms pause after such a failure
			 * is not; the count is lost (a sanitize pass beside a
			 * loaded machine judged an accepting TLS listener
			 * dead so, its one probe answered and not counted). */
			if (l->probe == NULL)
				(void) probe_start(l);
			return;
		}
		if (alive && l->probe != NULL) {
			/* Alive by another's accept while the probe is still
			 * in flight: the probe is not closed under the
			 * listener, which may be writing to it (a peer gone
			 * as NNG writes is what stops nng 1.5.2's listeners,
			 * TLS ones too); it is the next window's probe. */
			l->counted = counted;
			l->count0  = now;
			l->started = uv_now(t->loop);
			l->probes  = 1;
			return;
		}
		if (!alive)
			snprintf(why, sizeof(why),
			    "%u probes, the last %s, outcomes %s %llu then "
			    "%llu, %llu ms",
			    l->probes,
			    l->probe != NULL    ? "in flight"
			        : l->unanswered ? "unanswered"
			                        : "answered",
			    l->counted && counted ? "counted" : "unread",
			    (unsigned long long) l->count0,
			    (unsigned long long) now,
			    (unsigned long long) (uv_now(t->loop)
			        - l->started));
		probe_forget(l);
		l->checking = false;
		again       = !alive;
	}
	if (again) {
		listen_again(l, why[0] ? why : NULL);
		/* A new listener: its own outcomes are the base. */
		counted = l->listening && listener_outcomes(l, &now);
	}
	if (l->listening && probe_start(l)) {
		l->checking = true;
		l->counted  = counted;
		l->count0   = now;
		l->started  = uv_now(t->loop);
		l->probes   = 1;
	}
}

int
sn_listen_open(
    sn_listen **out, sn_loop *loop, nng_socket sock, const char *url)
{
	int64_t every
	    = sn_config_int("SN_NNG_LISTEN_CHECK_MS", 5000, 0, 3600000);
	int peer = 0;
	(void) nng_socket_get_int(sock, NNG_OPT_PEER, &peer);
	sn_listen *l = calloc(1, sizeof(*l));
	if (l == NULL || (l->url = strdup(url)) == NULL) {
		free(l);
		return NNG_ENOMEM;
	}
	int rv = sn_nng_listen(sock, url, &l->lst);
	if (rv != 0) {
		free(l->url);
		free(l);
		return rv;
	}
	l->loop      = loop;
	l->sock      = sock;
	l->patience  = (uint64_t) (every * 2 > 2000 ? every * 2 : 2000);
	l->listening = true;
	/* The SP header: "\0SP\0", the protocol we would speak, two zeros. */
	memcpy(l->header, "\0SP\0", 4);
	l->header[4] = (uint8_t) (peer >> 8);
	l->header[5] = (uint8_t) peer;
	uv_timer_init(sn_loop_uv(loop), &l->timer);
	l->timer.data = l;
	if (every > 0)
		uv_timer_start(
		    &l->timer, on_check, (uint64_t) every, (uint64_t) every);
	/* The checks alone must not keep a finished loop running. */
	uv_unref((uv_handle_t *) &l->timer);
	*out = l;
	return 0;
}

static void
on_timer_closed(uv_handle_t *h)
{
	sn_listen *l = h->data;
	free(l->url);
	free(l);
}

void
sn_listen_close(sn_listen *l)
{
	if (l == NULL)
		return;
	probe_forget(l);
	uv_close((uv_handle_t *) &l->timer, on_timer_closed);
}
