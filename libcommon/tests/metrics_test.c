#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sn/metrics.h"

static void
test_empty(void **state)
{
	sn_metrics *m = sn_metrics_new();
	char       *text;

	(void) state;
	assert_non_null(m);
	text = sn_metrics_render(m);
	assert_string_equal(text, "");
	free(text);
	sn_metrics_free(m);
	sn_metrics_free(NULL);
}

static void
test_render(void **state)
{
	static const double bounds[] = { 0.125, 1 };
	static const char   want[]
	    = "# HELP sn_http_requests_total HTTP requests handled.\n"
	      "# TYPE sn_http_requests_total counter\n"
	      "sn_http_requests_total{route=\"/cases\",status=\"200\"} 3\n"
	      "sn_http_requests_total{route=\"/cases\",status=\"500\"} 1\n"
	      "# HELP sn_outbox_pending Events in the outbox\\\\not "
	      "yet\\nsent\n"
	      "# TYPE sn_outbox_pending gauge\n"
	      "sn_outbox_pending -2\n"
	      "# HELP sn_http_request_duration_seconds Latency.\n"
	      "# TYPE sn_http_request_duration_seconds histogram\n"
	      "sn_http_request_duration_seconds_bucket"
	      "{route=\"/cases\",le=\"0.125\"} 2\n"
	      "sn_http_request_duration_seconds_bucket"
	      "{route=\"/cases\",le=\"1\"} 3\n"
	      "sn_http_request_duration_seconds_bucket"
	      "{route=\"/cases\",le=\"+Inf\"} 4\n"
	      "sn_http_request_duration_seconds_sum{route=\"/cases\"} 2.6875\n"
	      "sn_http_request_duration_seconds_count{route=\"/cases\"} 4\n"
	      "sn_http_request_duration_seconds_bucket{le=\"0.125\"} 0\n"
	      "sn_http_request_duration_seconds_bucket{le=\"1\"} 0\n"
	      "sn_http_request_duration_seconds_bucket{le=\"+Inf\"} 0\n"
	      "sn_http_request_duration_seconds_sum 0\n"
	      "sn_http_request_duration_seconds_count 0\n"
	      "# HELP sn_up\n"
	      "# TYPE sn_up gauge\n"
	      "sn_up 1\n";
	sn_metrics   *m = sn_metrics_new();
	sn_counter   *ok, *failed;
	sn_gauge     *pending, *up;
	sn_histogram *h, *idle;
	char         *text;

	(void) state;
	/* Created interleaved; rendered grouped by name, in first-use
	 * order. */
	ok = sn_metrics_counter(m, "sn_http_requests_total",
	    "HTTP requests handled.", "route=\"/cases\",status=\"200\"");

	pending = sn_metrics_gauge(m, "sn_outbox_pending",
	    "Events in the outbox\\not yet\nsent", NULL);

	h = sn_metrics_histogram(m, "sn_http_request_duration_seconds",
	    "Latency.", "route=\"/cases\"", bounds, 2);

	failed = sn_metrics_counter(m, "sn_http_requests_total",
	    "a second help is ignored", "route=\"/cases\",status=\"500\"");

	idle = sn_metrics_histogram(
	    m, "sn_http_request_duration_seconds", "Latency.", "", bounds, 2);

	up = sn_metrics_gauge(m, "sn_up", NULL, NULL);
	assert_non_null(ok);
	assert_non_null(failed);
	assert_non_null(pending);
	assert_non_null(h);
	assert_non_null(idle);
	assert_non_null(up);

	sn_counter_add(ok, 2);
	sn_counter_add(ok, 1);
	sn_counter_add(failed, 1);
	sn_gauge_set(pending, 5);
	sn_gauge_add(pending, -7);
	sn_gauge_set(up, 1);
	/* Exactly representable, so the sum is exact; 0.125 is on a bound
	 * and belongs to it (le is "less than or equal"). */
	sn_histogram_observe(h, 0.0625);
	sn_histogram_observe(h, 0.125);
	sn_histogram_observe(h, 0.5);
	sn_histogram_observe(h, 2);
	sn_histogram_observe(h, NAN); /* ignored */

	assert_int_equal(sn_counter_get(ok), 3);
	assert_true(sn_gauge_get(pending) == -2);
	text = sn_metrics_render(m);
	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);
	sn_metrics_free(m);
}

static void
test_same_series_same_pointer(void **state)
{
	sn_metrics *m = sn_metrics_new();

	(void) state;
	assert_ptr_equal(sn_metrics_counter(m, "a_total", "A.", "x=\"1\""),
	    sn_metrics_counter(m, "a_total", "A.", "x=\"1\""));
	assert_ptr_not_equal(sn_metrics_counter(m, "a_total", "A.", "x=\"1\""),
	    sn_metrics_counter(m, "a_total", "A.", "x=\"2\""));
	/* NULL and "" are both "no labels". */
	assert_ptr_equal(sn_metrics_gauge(m, "b", "B.", NULL),
	    sn_metrics_gauge(m, "b", "B.", ""));
	assert_ptr_equal(
	    sn_metrics_histogram(m, "c", "C.", NULL, sn_metrics_latency_bounds,
	        sn_metrics_latency_nbounds),
	    sn_metrics_histogram(m, "c", "C.", NULL, sn_metrics_latency_bounds,
	        sn_metrics_latency_nbounds));
	sn_metrics_free(m);
}

static void
test_latency_bounds(void **state)
{
	static const char want[] = "# HELP lat Latency.\n"
	                           "# TYPE lat histogram\n"
	                           "lat_bucket{le=\"0.0005\"} 0\n"
	                           "lat_bucket{le=\"0.001\"} 1\n"
	                           "lat_bucket{le=\"0.0025\"} 1\n"
	                           "lat_bucket{le=\"0.005\"} 1\n"
	                           "lat_bucket{le=\"0.01\"} 1\n"
	                           "lat_bucket{le=\"0.025\"} 1\n"
	                           "lat_bucket{le=\"0.05\"} 1\n"
	                           "lat_bucket{le=\"0.1\"} 1\n"
	                           "lat_bucket{le=\"0.25\"} 1\n"
	                           "lat_bucket{le=\"0.5\"} 1\n"
	                           "lat_bucket{le=\"1\"} 1\n"
	                           "lat_bucket{le=\"2.5\"} 1\n"
	                           "lat_bucket{le=\"5\"} 1\n"
	                           "lat_bucket{le=\"10\"} 1\n"
	                           "lat_bucket{le=\"+Inf\"} 2\n"
	                           "lat_sum 11.00075\n"
	                           "lat_count 2\n";
	sn_metrics       *m      = sn_metrics_new();
	sn_histogram     *h;
	char             *text;

	(void) state;
	assert_int_equal(sn_metrics_latency_nbounds, 14);
	assert_true(sn_metrics_latency_bounds[0] == 0.0005);
	assert_true(sn_metrics_latency_bounds[13] == 10);
	h = sn_metrics_histogram(m, "lat", "Latency.", NULL,
	    sn_metrics_latency_bounds, sn_metrics_latency_nbounds);
	sn_histogram_observe(h, 0.00075);
	sn_histogram_observe(h, 11);
	text = sn_metrics_render(m);
	assert_string_equal(text, want);
	free(text);
	sn_metrics_free(m);
}

/*
 * Reusing a name with another type is a programmer error: an assertion in
 * debug builds, NULL otherwise. Run in a child so the abort is survivable.
 */
static void
test_type_clash(void **state)
{
	pid_t pid;
	int   status;

	(void) state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sn_metrics *m = sn_metrics_new();
		sn_gauge   *g;

		close(STDERR_FILENO); /* the expected assertion message */
		(void) sn_metrics_counter(m, "x", "X.", NULL);
		g = sn_metrics_gauge(m, "x", "X.", "a=\"b\"");
		sn_metrics_free(m);
		_exit(g == NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
#ifdef NDEBUG
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#else
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
#endif
}

#define NTHREADS 4
#define NITER 100000

static void *
hammer(void *arg)
{
	sn_metrics *m = arg;
	/* Each thread looks the series up itself: creation races too. */
	sn_counter   *c = sn_metrics_counter(m, "hits_total", "Hits.", NULL);
	sn_gauge     *g = sn_metrics_gauge(m, "level", "Level.", NULL);
	sn_histogram *h = sn_metrics_histogram(m, "dur", "Duration.", NULL,
	    sn_metrics_latency_bounds, sn_metrics_latency_nbounds);

	for (int i = 0; i < NITER; i++) {
		sn_counter_add(c, 1);
		sn_gauge_add(g, i % 2 == 0 ? 3 : -1);
		sn_histogram_observe(h, 0.5);
	}
	return NULL;
}

static void
test_concurrent_updates(void **state)
{
	sn_metrics *m = sn_metrics_new();
	pthread_t   t[NTHREADS];
	char       *text;

	(void) state;
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, m), 0);
	/* Rendering while the numbers move must be safe too. */
	for (int i = 0; i < 20; i++) {
		text = sn_metrics_render(m);
		assert_non_null(text);
		free(text);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);

	assert_int_equal(
	    sn_counter_get(sn_metrics_counter(m, "hits_total", "", NULL)),
	    NTHREADS * NITER);
	assert_int_equal(sn_gauge_get(sn_metrics_gauge(m, "level", "", NULL)),
	    NTHREADS * NITER);
	text = sn_metrics_render(m);
	assert_non_null(strstr(text, "\nhits_total 400000\n"));
	assert_non_null(strstr(text, "\nlevel 400000\n"));
	assert_non_null(strstr(text, "\ndur_bucket{le=\"0.25\"} 0\n"));
	assert_non_null(strstr(text, "\ndur_bucket{le=\"0.5\"} 400000\n"));
	assert_non_null(strstr(text, "\ndur_bucket{le=\"+Inf\"} 400000\n"));
	assert_non_null(strstr(text, "\ndur_sum 200000\n"));
	assert_non_null(strstr(text, "\ndur_count 400000\n"));
	free(text);
	sn_metrics_free(m);
}

/* A render hook runs before each render and may set and create series;
 * once removed it runs no more. */
static int hook_runs;

static void
hook(void *arg)
{
	sn_metrics *m = arg;
	hook_runs++;
	sn_gauge_set(sn_metrics_gauge(m, "age_seconds", "An age.", NULL),
	    hook_runs * 10);
}

static void
test_render_hook(void **state)
{
	(void) state;
	sn_metrics *m = sn_metrics_new();
	assert_non_null(m);
	assert_int_equal(sn_metrics_on_render(m, hook, m), SN_OK);
	char *a = sn_metrics_render(m);
	assert_non_null(strstr(a, "age_seconds 10\n"));
	char *b = sn_metrics_render(m);
	assert_non_null(strstr(b, "age_seconds 20\n"));
	sn_metrics_on_render_remove(m, hook, m);
	char *c = sn_metrics_render(m);
	assert_non_null(strstr(c, "age_seconds 20\n"));
	assert_int_equal(hook_runs, 2);
	free(a);
	free(b);
	free(c);
	sn_metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_same_series_same_pointer),
		cmocka_unit_test(test_latency_bounds),
		cmocka_unit_test(test_type_clash),
		cmocka_unit_test(test_concurrent_updates),
		cmocka_unit_test(test_render_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
