/*
 * reps: a REP server on the loop, called by sn_reqc on the same loop over
 * ipc:// in a temporary folder. Many calls on few contexts are each
 * answered with their own bytes, whether the handler replies at once or
 * later from a timer; a delayed reply arrives no sooner than its delay
 * and not at all within a shorter deadline; a dropped request is never
 * answered and its context serves the next; after sn_reps_stop no
 * request reaches the handler; closing with a delayed reply pending
 * discards it (the sanitize build checks nothing is left), also while
 * other delayed replies are waking. A call made under a request id
 * reaches the handler with the id set and the caller's bytes as they
 * were; one made under none, with none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sn/log.h"
#include "sn/loop.h"
#include "sn/reps.h"
#include "sn/reqc.h"

#define NCALLS 200
#define NCTX 4

static char dir[64];
static char url[128];

static int
setup(void **state)
{
	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/reps_test.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(url, sizeof(url), "ipc://%s/rep", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* What the handler does with a request. */
enum rmode { M_ECHO, M_HOLD, M_DELAY, M_DROP_FIRST };

/* The server and client of one test, and what the handler saw. */
typedef struct fixture {
	sn_loop     *loop;
	sn_reps     *srv;
	sn_reqc     *cli;
	uv_timer_t   timer;
	sn_reps_req *held[NCTX];
	uint8_t      held_body[NCTX][sizeof(uint32_t)];
	int          nheld;
	int          handled;
	int          done;
	size_t       max_busy;
	sn_err       err[NCALLS];
	uint64_t     latency_us[NCALLS];
	uint32_t     delay_ms; /* reply_after's delay */
	bool         close_after_reply;
	int          finish_after; /* on_delayed: calls ended, then close */
	enum rmode   mode;
	/* The request id the handler ran with, by the call's number ("-":
	 * none; the first two calls only). */
	char rid[2][SN_LOG_REQUEST_ID_MAX + 1];
} fixture;

static fixture F;

/* Closes the server, then the client, from a timer of the loop's own:
 * never from inside one of the client's callbacks, where nng_close of
 * its socket was seen to wait for good (nng 1.5.2, both ends in one
 * process). */
static void
on_finish(uv_timer_t *t)
{
	sn_reps_close(F.srv);
	sn_reqc_close(F.cli);
	uv_close((uv_handle_t *) t, NULL);
}

static void
finish(void)
{
	uv_timer_start(&F.timer, on_finish, 0, 0);
}

/* Answers the held requests later, on the loop, from a timer. */
static void
on_release(uv_timer_t *t)
{
	(void) t;
	for (int i = 0; i < F.nheld; i++)
		sn_reps_reply(F.held[i], F.held_body[i], sizeof(uint32_t));
	F.nheld = 0;
}

/* Closing while a delayed reply waits: the reply is discarded, the loop
 * ends, the client's call ends with SN_ECLOSED. */
static void
on_close_now(uv_timer_t *t)
{
	(void) t;
	assert_int_equal(F.handled, 1);
	assert_int_equal(sn_reps_busy(F.srv), 0); /* ended by reply_after */
	finish();
}

static void
on_request(sn_reps_req *req, const uint8_t *body, size_t len, void *arg)
{
	assert_ptr_equal(arg, &F);
	assert_int_equal(len, sizeof(uint32_t));
	uint32_t k;
	memcpy(&k, body, sizeof(k));
	if (k < 2)
		snprintf(F.rid[k], sizeof(F.rid[k]), "%s",
		    sn_log_request_id() ? sn_log_request_id() : "-");
	size_t busy = sn_reps_busy(F.srv);
	assert_true(busy >= 1 && busy <= NCTX);
	if (busy > F.max_busy)
		F.max_busy = busy;
	int n = F.handled++;
	switch (F.mode) {
	case M_ECHO:
		sn_reps_reply(req, body, len);
		break;
	case M_HOLD:
		/* Held until every context holds one (or the last came): the
		 * body is borrowed until the request ends, so it is still
		 * there when the timer answers. */
		assert_true(F.nheld < NCTX);
		memcpy(F.held_body[F.nheld], body, len);
		F.held[F.nheld++] = req;
		if (F.nheld == NCTX || F.handled == NCALLS)
			uv_timer_start(&F.timer, on_release, 0, 0);
		break;
	case M_DELAY:
		sn_reps_reply_after(req, body, len, F.delay_ms);
		if (F.close_after_reply)
			uv_timer_start(&F.timer, on_close_now, 0, 0);
		break;
	case M_DROP_FIRST:
		if (n == 0)
			sn_reps_drop(req);
		else
			sn_reps_reply(req, body, len);
		break;
	}
}

static void
open_fixture(int contexts, enum rmode mode)
{
	memset(&F, 0, sizeof(F));
	F.mode         = mode;
	F.finish_after = 2;
	assert_int_equal(sn_loop_open(&F.loop, 5000), SN_OK);
	assert_int_equal(uv_timer_init(sn_loop_uv(F.loop), &F.timer), 0);
	assert_int_equal(
	    sn_reps_open(&F.srv, F.loop, url, contexts, 1024, on_request, &F),
	    SN_OK);
	assert_int_equal(sn_reqc_open(&F.cli, F.loop, url, 1024), SN_OK);
}

static void
close_fixture(void)
{
	assert_int_equal(sn_loop_run(F.loop), 0);
	sn_loop_close(F.loop);
}

static void
on_reply(sn_err err, const uint8_t *reply, size_t len, uint64_t latency_us,
    void *arg)
{
	uint32_t n = (uint32_t) (uintptr_t) arg;
	F.err[n]   = err;
	if (err == SN_OK) {
		uint32_t got;
		assert_int_equal(len, sizeof(got));
		memcpy(&got, reply, sizeof(got));
		assert_int_equal(got, n); /* its own bytes */
	}
	F.latency_us[n] = latency_us;
	F.done++;
}

/* Calls with the 4 bytes of n, which the server echoes; fn gets n as
 * arg. */
static void
call(uint32_t n, uint32_t timeout_ms, sn_reqc_fn fn)
{
	assert_int_equal(sn_reqc_call(F.cli, &n, sizeof(n), timeout_ms, fn,
	                     (void *) (uintptr_t) n),
	    SN_OK);
}

/* ---- many calls, few contexts ------------------------------------------- */

static void
on_many(sn_err err, const uint8_t *reply, size_t len, uint64_t latency_us,
    void *arg)
{
	on_reply(err, reply, len, latency_us, arg);
	if (F.done == NCALLS)
		finish();
}

static void
many(enum rmode mode)
{
	open_fixture(NCTX, mode);
	for (uint32_t i = 0; i < NCALLS; i++)
		call(i, 10000, on_many);
	close_fixture();
	assert_int_equal(F.done, NCALLS);
	assert_int_equal(F.handled, NCALLS);
	for (int i = 0; i < NCALLS; i++)
		assert_int_equal(F.err[i], SN_OK);
	/* Held requests: every context served one side by side. */
	if (mode == M_HOLD)
		assert_int_equal(F.max_busy, NCTX);
}

static void
test_many_at_once(void **state)
{
	(void) state;
	many(M_ECHO);
}

static void
test_many_answered_later(void **state)
{
	(void) state;
	many(M_HOLD);
}

/* ---- delayed replies ---------------------------------------------------- */

static void
on_delayed(sn_err err, const uint8_t *reply, size_t len, uint64_t latency_us,
    void *arg)
{
	on_reply(err, reply, len, latency_us, arg);
	if (F.done == F.finish_after)
		finish();
}

static void
test_reply_after_delay(void **state)
{
	(void) state;
	open_fixture(NCTX, M_DELAY);
	F.delay_ms = 300;
	call(0, 10000, on_delayed);
	/* a deadline shorter than the delay: no reply within it */
	call(1, 100, on_delayed);
	close_fixture();
	assert_int_equal(F.handled, 2);
	assert_int_equal(F.err[0], SN_OK);
	/* Not before its delay (NNG's clock counts whole milliseconds). */
	assert_true(F.latency_us[0] >= 299 * 1000);
	assert_int_equal(F.err[1], SN_ETIMEDOUT);
	assert_int_equal(sn_reps_busy(NULL), 0);
}

static void
test_close_with_delayed_reply(void **state)
{
	(void) state;
	open_fixture(1, M_DELAY);
	F.delay_ms          = 60000;
	F.close_after_reply = true;
	call(0, 60000, on_reply);
	close_fixture();
	assert_int_equal(F.done, 1);
	assert_int_equal(F.err[0], SN_ECLOSED);
}

/* Closing just as the other contexts' delays end: each round's first
 * reply closes the server while its other replies wake on NNG's threads
 * (a send they start must not meet nng_close: nng 1.5.2 panicked on a
 * destroyed mutex, in 4 runs of 30 of this test before the close
 * stopped every operation first). */
#define CLOSE_ROUNDS 100

static void
test_close_as_delays_end(void **state)
{
	(void) state;
	for (int round = 0; round < CLOSE_ROUNDS; round++) {
		open_fixture(NCTX, M_DELAY);
		F.delay_ms     = 2;
		F.finish_after = 1;
		for (uint32_t i = 0; i < NCTX; i++)
			call(i, 10000, on_delayed);
		close_fixture();
		/* The first reply came back; the rest came back too or
		 * ended with the client. */
		int ok = 0;
		for (int i = 0; i < NCTX; i++)
			ok += F.err[i] == SN_OK;
		assert_true(ok >= 1);
		assert_int_equal(F.done, NCTX);
	}
}

/* ---- drop and stop ------------------------------------------------------ */

static void
on_dropped(sn_err err, const uint8_t *reply, size_t len, uint64_t latency_us,
    void *arg)
{
	on_reply(err, reply, len, latency_us, arg);
	if (F.done == 1)
		call(1, 10000,
		    on_dropped); /* the only context, after the drop */
	else
		finish();
}

static void
test_drop_then_next(void **state)
{
	(void) state;
	open_fixture(1, M_DROP_FIRST);
	call(0, 200, on_dropped);
	close_fixture();
	assert_int_equal(F.handled, 2);
	assert_int_equal(F.err[0], SN_ETIMEDOUT);
	assert_int_equal(F.err[1], SN_OK);
}

static void
on_after_stop(sn_err err, const uint8_t *reply, size_t len,
    uint64_t latency_us, void *arg)
{
	on_reply(err, reply, len, latency_us, arg);
	if (F.done == 1) {
		sn_reps_stop(F.srv);
		call(1, 300, on_after_stop);
	} else {
		finish();
	}
}

static void
test_stop_takes_nothing_new(void **state)
{
	(void) state;
	open_fixture(NCTX, M_ECHO);
	call(0, 10000, on_after_stop);
	close_fixture();
	assert_int_equal(F.err[0], SN_OK);
	assert_int_equal(F.err[1], SN_ETIMEDOUT);
	assert_int_equal(F.handled, 1);
}

/* ---- the request id ---------------------------------------------------- */

static void
test_request_id(void **state)
{
	(void) state;
	open_fixture(NCTX, M_ECHO);
	sn_log_set_request_id("rid-reps.1");
	call(0, 10000, on_delayed);
	sn_log_set_request_id(NULL);
	call(1, 10000, on_delayed);
	close_fixture();
	assert_int_equal(F.err[0], SN_OK); /* on_reply: its own 4 bytes */
	assert_int_equal(F.err[1], SN_OK);
	/* on_request saw 4 bytes each: the id's field was taken off. */
	assert_string_equal(F.rid[0], "rid-reps.1");
	assert_string_equal(F.rid[1], "-");
	assert_null(sn_log_request_id());
}

static void
test_bad_arguments(void **state)
{
	(void) state;
	sn_loop *loop;
	sn_reps *s = NULL;
	assert_int_equal(sn_loop_open(&loop, 5000), SN_OK);
	assert_int_equal(
	    sn_reps_open(&s, loop, url, 0, 1024, on_request, NULL), SN_EINVAL);
	assert_int_equal(
	    sn_reps_open(&s, loop, url, 1, 1024, NULL, NULL), SN_EINVAL);
	assert_int_equal(
	    sn_reps_open(&s, loop, "nope://x", 1, 1024, on_request, NULL),
	    SN_ENNG);
	assert_null(s);
	sn_reps_stop(NULL);
	sn_reps_close(NULL);
	assert_int_equal(sn_loop_run(loop), 0);
	sn_loop_close(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_at_once),
		cmocka_unit_test(test_many_answered_later),
		cmocka_unit_test(test_reply_after_delay),
		cmocka_unit_test(test_close_with_delayed_reply),
		cmocka_unit_test(test_close_as_delays_end),
		cmocka_unit_test(test_drop_then_next),
		cmocka_unit_test(test_stop_takes_nothing_new),
		cmocka_unit_test(test_request_id),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
