/*
 * reqc: many calls in flight on one client are all answered and matched
 * to their own args; a peer that never answers ends a call with
 * SN_ETIMEDOUT within its deadline, also after a delay (the nng 1.5.2
 * sleep-then-receive trap); closing with calls pending runs each callback
 * exactly once with SN_ECLOSED. A call made under a request id sends it
 * in a protobuf field before the caller's message: a plain protobuf peer
 * decodes the caller's BankRequest with sn_request_id beside it, and
 * sn_reqc_rid_take finds it; a call under none sends the bytes as they
 * are. The peers are REP sockets over ipc:// in a temporary folder,
 * served from threads of their own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "sn/bank/v1/bank.pb-c.h"
#include "sn/log.h"
#include "sn/loop.h"
#include "sn/reqc.h"

#define NCALLS 300

/* ---- peers -------------------------------------------------------------- */

typedef struct peer {
	nng_socket  sock;
	uv_thread_t thread;
	bool        echo; /* false: receive and never answer */
	int         skip; /* requests left unanswered before echoing */
	char        url[128];
} peer;

static char dir[64];

static void
serve(void *arg)
{
	peer *p = arg;
	for (;;) {
		nng_msg *m;
		if (nng_recvmsg(p->sock, &m, 0) != 0)
			return; /* closed */
		if (!p->echo || p->skip > 0) {
			p->skip--;
			nng_msg_free(m);
			continue;
		}
		if (nng_sendmsg(p->sock, m, 0) != 0)
			nng_msg_free(m);
	}
}

static void
peer_start(peer *p, const char *name, bool echo)
{
	memset(p, 0, sizeof(*p));
	p->echo = echo;
	snprintf(p->url, sizeof(p->url), "ipc://%s/%s", dir, name);
	assert_int_equal(nng_rep0_open(&p->sock), 0);
	assert_int_equal(nng_listen(p->sock, p->url, NULL, 0), 0);
	assert_int_equal(uv_thread_create(&p->thread, serve, p), 0);
}

static void
peer_stop(peer *p)
{
	nng_close(p->sock);
	uv_thread_join(&p->thread);
}

static int
setup(void **state)
{
	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/reqc_test.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void) state;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- many calls in flight ----------------------------------------------- */

typedef struct many {
	sn_reqc *c;
	int      done;
	int      seen[NCALLS];
	size_t   max_inflight;
} many;

typedef struct one {
	many    *m;
	uint32_t n;
} one;

static void
on_echo(sn_err err, const uint8_t *reply, size_t len, uint64_t latency_us,
    void *arg)
{
	one  *o = arg;
	many *m = o->m;
	(void) latency_us;
	assert_int_equal(err, SN_OK);
	assert_int_equal(len, sizeof(uint32_t) + 100);
	uint32_t n;
	memcpy(&n, reply, sizeof(n));
	assert_int_equal(n, o->n); /* matched to its own arg */
	for (size_t i = sizeof(n); i < len; i++)
		assert_int_equal(reply[i], (uint8_t) (n + i));
	m->seen[n]++;
	if (++m->done == NCALLS) {
		assert_int_equal(sn_reqc_inflight(m->c), 0);
		sn_reqc_close(m->c); /* from inside a callback */
	}
}

static void
test_many_in_flight(void **state)
{
	(void) state;
	peer p;
	peer_start(&p, "echo", true);
	sn_loop *loop;
	assert_int_equal(sn_loop_open(&loop, 5000), SN_OK);
	static many m;
	static one  ones[NCALLS];
	memset(&m, 0, sizeof(m));
	assert_int_equal(sn_reqc_open(&m.c, loop, p.url, 1024), SN_OK);
	for (uint32_t i = 0; i < NCALLS; i++) {
		uint8_t req[sizeof(uint32_t) + 100];
		memcpy(req, &i, sizeof(i));
		for (size_t k = sizeof(i); k < sizeof(req); k++)
			req[k] = (uint8_t) (i + k);
		ones[i] = (one) { .m = &m, .n = i };
		/* Half at once, half after a short delay. */
		sn_err err = i % 2 ? sn_reqc_call(m.c, req, sizeof(req), 5000,
		                 on_echo, &ones[i])
		                   : sn_reqc_call_after(m.c, 5, req,
		                       sizeof(req), 5000, on_echo, &ones[i]);
		assert_int_equal(err, SN_OK);
		memset(req, 0xff, sizeof(req)); /* the bytes were copied */
	}
	assert_int_equal(sn_reqc_inflight(m.c), NCALLS);
	assert_int_equal(sn_loop_run(loop), 0);
	assert_int_equal(m.done, NCALLS);
	for (int i = 0; i < NCALLS; i++)
		assert_int_equal(m.seen[i], 1);
	sn_loop_close(loop);
	peer_stop(&p);
}

/* ---- the request id on the wire ------------------------------------------
 */

typedef struct wire {
	int     done;
	uint8_t got[2][256]; /* what the echo peer got (and sent back) */
	size_t  len[2];
	char    rid[2][SN_LOG_REQUEST_ID_MAX + 1]; /* set in the callback */
} wire;

static wire W;

static void
on_wire(sn_err err, const uint8_t *reply, size_t len, uint64_t latency_us,
    void *arg)
{
	(void) latency_us;
	int k = (int) (intptr_t) arg;
	assert_int_equal(err, SN_OK);
	assert_true(len <= sizeof(W.got[k]));
	memcpy(W.got[k], reply, len);
	W.len[k] = len;
	snprintf(W.rid[k], sizeof(W.rid[k]), "%s",
	    sn_log_request_id() ? sn_log_request_id() : "-");
	W.done++;
}

static void
test_request_id_on_the_wire(void **state)
{
	(void) state;
	peer p;
	peer_start(&p, "wire", true);
	sn_loop *loop;
	sn_reqc *c;
	assert_int_equal(sn_loop_open(&loop, 5000), SN_OK);
	assert_int_equal(sn_reqc_open(&c, loop, p.url, 1024), SN_OK);
	memset(&W, 0, sizeof(W));
	char                     *funds[] = { "dibao" };
	Sn__Bank__V1__FundQuery   fq      = SN__BANK__V1__FUND_QUERY__INIT;
	Sn__Bank__V1__BankRequest rq      = SN__BANK__V1__BANK_REQUEST__INIT;
	fq.n_funds                        = 1;
	fq.funds                          = funds;
	rq.body_case = SN__BANK__V1__BANK_REQUEST__BODY_FUNDS;
	rq.funds     = &fq;
	uint8_t buf[128];
	size_t  len = sn__bank__v1__bank_request__pack(&rq, buf);
	sn_log_set_request_id("rid-reqc.7");
	assert_int_equal(
	    sn_reqc_call(c, buf, len, 5000, on_wire, (void *) 0), SN_OK);
	sn_log_set_request_id(NULL);
	assert_int_equal(
	    sn_reqc_call(c, buf, len, 5000, on_wire, (void *) 1), SN_OK);
	while (W.done < 2)
		uv_run(sn_loop_uv(loop), UV_RUN_ONCE);
	sn_reqc_close(c);
	assert_int_equal(sn_loop_run(loop), 0);
	sn_loop_close(loop);
	peer_stop(&p);

	/* Under an id: the field, then the caller's bytes unchanged. */
	char   rid[SN_LOG_REQUEST_ID_MAX + 1];
	size_t skip = sn_reqc_rid_take(W.got[0], W.len[0], rid);
	assert_int_equal(skip, 5 + 1 + strlen("rid-reqc.7"));
	assert_string_equal(rid, "rid-reqc.7");
	assert_int_equal(W.len[0], skip + len);
	assert_memory_equal(W.got[0] + skip, buf, len);
	/* A protobuf peer decodes the caller's message and the id. */
	Sn__Bank__V1__BankRequest *d
	    = sn__bank__v1__bank_request__unpack(NULL, W.len[0], W.got[0]);
	assert_non_null(d);
	assert_int_equal(d->body_case, SN__BANK__V1__BANK_REQUEST__BODY_FUNDS);
	assert_int_equal(d->funds->n_funds, 1);
	assert_string_equal(d->funds->funds[0], "dibao");
	assert_string_equal(d->sn_request_id, "rid-reqc.7");
	sn__bank__v1__bank_request__free_unpacked(d, NULL);
	/* Under none: the caller's bytes as they are. */
	assert_int_equal(W.len[1], len);
	assert_memory_equal(W.got[1], buf, len);
	assert_int_equal(sn_reqc_rid_take(W.got[1], W.len[1], rid), 0);
	assert_string_equal(rid, "");
	/* The callbacks ran with the call's id again. */
	assert_string_equal(W.rid[0], "rid-reqc.7");
	assert_string_equal(W.rid[1], "-");
	/* A field of ours with an id that is not sane is taken off, not
	 * set; one whose length runs past the end is not ours. */
	uint8_t bad[] = { 0xfa, 0xff, 0xff, 0xff, 0x0f, 2, 'a', ' ' };
	assert_int_equal(sn_reqc_rid_take(bad, sizeof(bad), rid), 8);
	assert_string_equal(rid, "");
	assert_int_equal(sn_reqc_rid_take(bad, sizeof(bad) - 1, rid), 0);
}

/* ---- deadlines ---------------------------------------------------------- */

typedef struct timed {
	sn_reqc *c;
	int      pending;
	sn_err   err[3];
	uint64_t latency_us[3];
	uint64_t elapsed_ms[3];
	uint64_t t0;
} timed;

static timed T;

static void
on_timed(sn_err err, const uint8_t *reply, size_t len, uint64_t latency_us,
    void *arg)
{
	int i = (int) (intptr_t) arg;
	assert_null(reply);
	assert_int_equal(len, 0);
	T.err[i]        = err;
	T.latency_us[i] = latency_us;
	T.elapsed_ms[i] = sn_now_ms() - T.t0;
	if (--T.pending == 0)
		sn_reqc_close(T.c);
}

static void
test_silent_peer_times_out(void **state)
{
	(void) state;
	peer p;
	peer_start(&p, "silent", false);
	sn_loop *loop;
	assert_int_equal(sn_loop_open(&loop, 5000), SN_OK);
	memset(&T, 0, sizeof(T));
	assert_int_equal(sn_reqc_open(&T.c, loop, p.url, 1024), SN_OK);
	T.t0      = sn_now_ms();
	T.pending = 3;
	assert_int_equal(
	    sn_reqc_call(T.c, "a", 1, 200, on_timed, (void *) (intptr_t) 0),
	    SN_OK);
	/* Sleep, then receive: the receive must time out, not "succeed". */
	assert_int_equal(sn_reqc_call_after(T.c, 100, "b", 1, 200, on_timed,
	                     (void *) (intptr_t) 1),
	    SN_OK);
	/* Nobody listening there at all: the dial waits in the background. */
	sn_reqc *none;
	char     url[160];
	snprintf(url, sizeof(url), "ipc://%s/nobody", dir);
	assert_int_equal(sn_reqc_open(&none, loop, url, 1024), SN_OK);
	sn_reqc_close(none);
	assert_int_equal(
	    sn_reqc_call(T.c, NULL, 0, 300, on_timed, (void *) (intptr_t) 2),
	    SN_OK);
	assert_int_equal(sn_loop_run(loop), 0);
	/* The delay is not in the latency, but it is in the wait. */
	uint64_t lat_ms[3]  = { 200, 200, 300 };
	uint64_t wait_ms[3] = { 200, 300, 300 };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(T.err[i], SN_ETIMEDOUT);
		assert_in_range(T.latency_us[i], (lat_ms[i] - 20) * 1000u,
		    (lat_ms[i] + 500) * 1000u);
		assert_in_range(
		    T.elapsed_ms[i], wait_ms[i] - 20, wait_ms[i] + 500);
	}
	sn_loop_close(loop);
	peer_stop(&p);
}

/* ---- close with calls pending ------------------------------------------- */

typedef struct closing {
	sn_reqc   *c;
	uv_timer_t timer;
	int        calls[64];
	int        closed;
} closing;

static closing C;

static void
on_closed_call(sn_err err, const uint8_t *reply, size_t len,
    uint64_t latency_us, void *arg)
{
	int i = (int) (intptr_t) arg;
	assert_int_equal(err, SN_ECLOSED);
	assert_null(reply);
	assert_int_equal(len, 0);
	assert_int_equal(latency_us, 0);
	C.calls[i]++;
	C.closed++;
	/* Nothing new starts on a closing client; closing again is a no-op. */
	assert_int_equal(
	    sn_reqc_call(C.c, "x", 1, 100, on_closed_call, arg), SN_ECLOSED);
	sn_reqc_close(C.c);
}

static void
on_timer(uv_timer_t *t)
{
	assert_int_equal(sn_reqc_inflight(C.c), 64);
	sn_reqc_close(C.c);
	assert_int_equal(C.closed, 64); /* all of them, now */
	uv_close((uv_handle_t *) t, NULL);
}

static void
test_close_with_calls_pending(void **state)
{
	(void) state;
	peer p;
	peer_start(&p, "pending", false);
	sn_loop *loop;
	assert_int_equal(sn_loop_open(&loop, 5000), SN_OK);
	memset(&C, 0, sizeof(C));
	assert_int_equal(sn_reqc_open(&C.c, loop, p.url, 1024), SN_OK);
	for (int i = 0; i < 64; i++) {
		/* Some waiting to be sent, some waiting for a reply. */
		uint32_t delay = i % 3 == 0 ? 10000 : 0;
		assert_int_equal(sn_reqc_call_after(C.c, delay, "q", 1, 10000,
		                     on_closed_call, (void *) (intptr_t) i),
		    SN_OK);
	}
	uv_timer_init(sn_loop_uv(loop), &C.timer);
	uv_timer_start(&C.timer, on_timer, 100, 0);
	assert_int_equal(sn_loop_run(loop), 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(C.calls[i], 1);
	sn_loop_close(loop);
	peer_stop(&p);
}

/* ---- retry with backoff ------------------------------------------------ */

typedef struct tried {
	sn_err   err[8];
	uint32_t tries[8];
	bool     final[8];
	int      n;
	uint64_t t0, elapsed_ms;
	sn_reqc *c;
	bool     close_in_backoff;
} tried;

static tried R;

static sn_reqc_verdict
on_try(const sn_reqc_try *t, void *arg)
{
	(void) arg;
	assert_true(R.n < 8);
	R.err[R.n]   = t->err;
	R.tries[R.n] = t->tries;
	R.final[R.n] = t->final;
	R.n++;
	if (t->err == SN_OK) {
		assert_int_equal(t->len, 2);
		assert_memory_equal(t->reply, "hi", 2);
	}
	if (t->err == SN_OK || t->final) {
		R.elapsed_ms = sn_now_ms() - R.t0;
		sn_reqc_close(R.c);
		return SN_REQC_DONE;
	}
	if (R.close_in_backoff && R.n == 1)
		sn_reqc_close(R.c); /* the retry cannot be sent */
	return SN_REQC_RETRY;
}

static void
run_retry(peer *p, const sn_reqc_retry *pol, bool close_in_backoff)
{
	sn_loop *loop;
	assert_int_equal(sn_loop_open(&loop, 5000), SN_OK);
	memset(&R, 0, sizeof(R));
	R.close_in_backoff = close_in_backoff;
	assert_int_equal(sn_reqc_open(&R.c, loop, p->url, 1024), SN_OK);
	R.t0 = sn_now_ms();
	assert_int_equal(
	    sn_reqc_call_retry(R.c, "hi", 2, pol, on_try, NULL), SN_OK);
	assert_int_equal(sn_loop_run(loop), 0);
	sn_loop_close(loop);
}

/* A peer that ignores the first two requests: the third try is answered,
 * after two timeouts and the backoff between them (50 ms, then 100). */
static void
test_retry_until_answered(void **state)
{
	(void) state;
	peer p;
	peer_start(&p, "skip2", true);
	p.skip = 2;
	sn_reqc_retry pol
	    = { .timeout_ms = 150, .retries = 3, .backoff_ms = 50 };
	run_retry(&p, &pol, false);
	assert_int_equal(R.n, 3);
	assert_int_equal(R.err[0], SN_ETIMEDOUT);
	assert_int_equal(R.err[1], SN_ETIMEDOUT);
	assert_int_equal(R.err[2], SN_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(R.tries[i], (uint32_t) i + 1);
		assert_false(R.final[i]);
	}
	/* Two timeouts and two waits at least. */
	assert_true(R.elapsed_ms >= 150 * 2 + 50 + 100);
	peer_stop(&p);
}

/* A silent peer: 1 + retries tries, the last one final, then nothing. */
static void
test_retry_gives_up(void **state)
{
	(void) state;
	peer p;
	peer_start(&p, "silent2", false);
	sn_reqc_retry pol
	    = { .timeout_ms = 60, .retries = 2, .backoff_ms = 10 };
	run_retry(&p, &pol, false);
	assert_int_equal(R.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(R.err[i], SN_ETIMEDOUT);
		assert_int_equal(R.tries[i], (uint32_t) i + 1);
	}
	assert_false(R.final[0]);
	assert_false(R.final[1]);
	assert_true(R.final[2]);
	peer_stop(&p);
}

/* Closed during the backoff: the caller hears SN_ECLOSED, final. */
static void
test_retry_closed(void **state)
{
	(void) state;
	peer p;
	peer_start(&p, "silent3", false);
	sn_reqc_retry pol
	    = { .timeout_ms = 60, .retries = 5, .backoff_ms = 10 };
	run_retry(&p, &pol, true);
	assert_int_equal(R.n, 2);
	assert_int_equal(R.err[0], SN_ETIMEDOUT);
	assert_int_equal(R.err[1], SN_ECLOSED);
	assert_true(R.final[1]);
	peer_stop(&p);
}

/* The schedule itself: the first retry waits backoff_ms (a doubled first
 * wait once slipped past the timing tests above), then doubling, capped. */
static void
test_retry_schedule(void **state)
{
	(void) state;
	sn_reqc_retry         pol    = { .timeout_ms = 100,
		           .retries                  = 9,
		           .backoff_ms               = 50,
		           .backoff_max_ms           = 300 };
	static const uint32_t want[] = { 50, 100, 200, 300, 300 };
	for (uint32_t k = 1; k <= 5; k++)
		assert_int_equal(sn_reqc_retry_delay_ms(&pol, k), want[k - 1]);
	pol.backoff_max_ms = 0; /* the default cap, 30 s */
	assert_int_equal(sn_reqc_retry_delay_ms(&pol, 40), 30000);
}

static void
test_bad_arguments(void **state)
{
	(void) state;
	sn_reqc_close(NULL);
	sn_loop *loop;
	assert_int_equal(sn_loop_open(&loop, 5000), SN_OK);
	sn_reqc *c;
	assert_int_equal(sn_reqc_open(&c, loop, "nonsense", 1024), SN_ENNG);
	char url[160];
	snprintf(url, sizeof(url), "ipc://%s/bad", dir);
	assert_int_equal(sn_reqc_open(&c, loop, url, 1024), SN_OK);
	assert_int_equal(sn_reqc_call(c, "a", 1, 100, NULL, NULL), SN_EINVAL);
	assert_int_equal(
	    sn_reqc_call(c, "a", 1, 0, on_closed_call, NULL), SN_EINVAL);
	assert_int_equal(sn_reqc_inflight(c), 0);
	sn_reqc_close(c);
	assert_int_equal(sn_loop_run(loop), 0);
	sn_loop_close(loop);
}

int
main(void)
{
	sn_log_init("reqc_test", SN_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_in_flight),
		cmocka_unit_test(test_request_id_on_the_wire),
		cmocka_unit_test(test_silent_peer_times_out),
		cmocka_unit_test(test_close_with_calls_pending),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_retry_until_answered),
		cmocka_unit_test(test_retry_gives_up),
		cmocka_unit_test(test_retry_closed),
		cmocka_unit_test(test_retry_schedule),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
