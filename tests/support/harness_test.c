/*
 * harness_test.c - the harness's reading of a LeakSanitizer report
 * (th_leak_is_nng_lost_pipe): the one NNG defect th_stop tolerates is
 * recognised (a listener's pipe or a dialer's), and a report with a leak
 * of ours, or without the endpoint the lost pipe holds, is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"

#ifndef TH_DATA_DIR
#error "TH_DATA_DIR names tests/support/data"
#endif

static void
nng_lost_pipe_is_recognised(void **state)
{
	(void) state;
	assert_true(
	    th_leak_is_nng_lost_pipe(TH_DATA_DIR "/lsan_nng_lost_pipe.txt"));
}

/* The same defect when the lost pipe and its listener's endpoint only
 * hold each other: no direct leak (intake.approval_events, 12-04). */
static void
nng_lost_pipe_cycle_is_recognised(void **state)
{
	(void) state;
	assert_true(th_leak_is_nng_lost_pipe(
	    TH_DATA_DIR "/lsan_nng_lost_pipe_cycle.txt"));
}

/* The same defect on the dialing side: the lost pipe holds the endpoint
 * sn_nng_dialer made (verification.agency_down, CI of 12-07). */
static void
nng_lost_dialer_pipe_is_recognised(void **state)
{
	(void) state;
	assert_true(th_leak_is_nng_lost_pipe(
	    TH_DATA_DIR "/lsan_nng_lost_dialer_pipe.txt"));
}

/* That report with one more indirect leak allocated by our code. */
static void
a_cycle_with_ours_is_a_leak(void **state)
{
	(void) state;
	assert_false(
	    th_leak_is_nng_lost_pipe(TH_DATA_DIR "/lsan_cycle_with_ours.txt"));
}

static void
a_frame_of_ours_is_a_leak(void **state)
{
	(void) state;
	assert_false(th_leak_is_nng_lost_pipe(
	    TH_DATA_DIR "/lsan_ours_on_nng_thread.txt"));
}

static void
no_listener_held_is_a_leak(void **state)
{
	(void) state;
	assert_false(
	    th_leak_is_nng_lost_pipe(TH_DATA_DIR "/lsan_no_listener.txt"));
}

static void
no_report_or_no_file(void **state)
{
	(void) state;
	/* A source file is a log with no report in it. */
	assert_false(th_leak_is_nng_lost_pipe(TH_DATA_DIR "/../harness.h"));
	assert_false(th_leak_is_nng_lost_pipe(TH_DATA_DIR "/no-such.txt"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nng_lost_pipe_is_recognised),
		cmocka_unit_test(nng_lost_pipe_cycle_is_recognised),
		cmocka_unit_test(nng_lost_dialer_pipe_is_recognised),
		cmocka_unit_test(a_cycle_with_ours_is_a_leak),
		cmocka_unit_test(a_frame_of_ours_is_a_leak),
		cmocka_unit_test(no_listener_held_is_a_leak),
		cmocka_unit_test(no_report_or_no_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
