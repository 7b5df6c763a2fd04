/*
 * loop: SIGTERM/SIGINT start a shutdown that runs the stop callbacks in
 * order; the loop ends when their handles are closed; a drain that never
 * ends is cut by the hard deadline with exit status 0; NNG sockets come
 * onto the loop through their receive descriptor and are drained.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "sn/log.h"
#include "sn/loop.h"

struct stopper {
	uv_timer_t timer;
	int        order[4];
	int        n;
};

static struct stopper S;

static void
stop_first(void *arg)
{
	struct stopper *s = arg;
	s->order[s->n++]  = 1;
}

static void
stop_second(void *arg)
{
	struct stopper *s = arg;
	s->order[s->n++]  = 2;
	/* What a service does: close its handles, and the loop ends. */
	uv_close((uv_handle_t *) &s->timer, NULL);
}

static void
on_tick(uv_timer_t *t)
{
	(void) t;
	raise(SIGTERM);
}

static void
test_sigterm_drains(void **state)
{
	(void) state;
	sn_loop *loop;
	assert_int_equal(sn_loop_open(&loop, 5000), SN_OK);
	memset(&S, 0, sizeof(S));
	uv_timer_init(sn_loop_uv(loop), &S.timer);
	uv_timer_start(&S.timer, on_tick, 10, 10);
	assert_int_equal(sn_loop_on_stop(loop, stop_first, &S), SN_OK);
	assert_int_equal(sn_loop_on_stop(loop, stop_second, &S), SN_OK);
	assert_false(sn_loop_stopping(loop));
	assert_int_equal(sn_loop_run(loop), 0);
	assert_true(sn_loop_stopping(loop));
	assert_int_equal(S.n, 2);
	assert_int_equal(S.order[0], 1);
	assert_int_equal(S.order[1], 2);
	sn_loop_close(loop);
}

static void
ignore_stop(void *arg)
{
	(void) arg; /* leaves its timer running: the drain never ends */
}

static void
test_deadline_exits_zero(void **state)
{
	(void) state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sn_log_init("loop_test", SN_LOG_ERROR);
		sn_loop *loop;
		if (sn_loop_open(&loop, 200) != SN_OK)
			_exit(3);
		memset(&S, 0, sizeof(S));
		uv_timer_init(sn_loop_uv(loop), &S.timer);
		uv_timer_start(&S.timer, on_tick, 10, 10);
		sn_loop_on_stop(loop, ignore_stop, NULL);
		sn_loop_run(loop);
		_exit(4); /* never: the deadline exits first */
	}
	uint64_t t0 = sn_now_ms();
	int      st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	uint64_t took = sn_now_ms() - t0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(took >= 200);
	assert_true(took < 5000);
}

struct drain {
	int          got;
	int          want;
	sn_nngwatch *w;
};

static void
on_readable(nng_socket s, void *arg)
{
	struct drain *d = arg;
	nng_msg      *m;
	while (nng_recvmsg(s, &m, NNG_FLAG_NONBLOCK) == 0) {
		uint32_t v;
		assert_int_equal(nng_msg_trim_u32(m, &v), 0);
		assert_int_equal(v, (uint32_t) d->got); /* in order */
		d->got++;
		nng_msg_free(m);
	}
	if (d->got == d->want)
		sn_nngwatch_close(d->w, true);
}

static void
test_nngwatch_drains(void **state)
{
	(void) state;
	nng_socket a, b;
	assert_int_equal(nng_pair1_open(&a), 0);
	assert_int_equal(nng_pair1_open(&b), 0);
	assert_int_equal(sn_nng_setup(a, 1024, 1024), SN_OK);
	assert_int_equal(sn_nng_setup(b, 1024, 1024), SN_OK);
	assert_int_equal(nng_listen(a, "inproc://loop_test", NULL, 0), 0);
	assert_int_equal(nng_dial(b, "inproc://loop_test", NULL, 0), 0);
	sn_loop *loop;
	assert_int_equal(sn_loop_open(&loop, 0), SN_OK);
	struct drain d = { .want = 500 };
	assert_int_equal(
	    sn_nngwatch_open(&d.w, loop, a, on_readable, &d), SN_OK);
	for (uint32_t i = 0; i < 500; i++) {
		nng_msg *m;
		assert_int_equal(nng_msg_alloc(&m, 0), 0);
		nng_msg_append_u32(m, i);
		assert_int_equal(nng_sendmsg(b, m, 0), 0);
	}
	/* The watch closes itself (and the socket) after the 500th. */
	assert_int_equal(sn_loop_run(loop), 0);
	assert_int_equal(d.got, 500);
	sn_loop_close(loop);
	nng_close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigterm_drains),
		cmocka_unit_test(test_deadline_exits_zero),
		cmocka_unit_test(test_nngwatch_drains),
	};
	sn_log_init("loop_test", SN_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
