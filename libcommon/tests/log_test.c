#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sn/log.h"

/*
 * stdout is swapped for a pipe while the code under test writes, and put
 * back before any assertion, so that cmocka's own messages never land in
 * the capture. A pipe rather than a file because a write to a pipe is
 * only atomic up to PIPE_BUF: that is where interleaving would show.
 */
struct capture {
	int       saved;
	int       rd, wr;
	pthread_t reader;
	char     *text;
	size_t    len;
	size_t    cap;
};

static void *
drain(void *arg)
{
	struct capture *c = arg;
	ssize_t         n;

	for (;;) {
		if (c->cap - c->len < 4096) {
			c->cap  = c->cap * 2 + 4096;
			c->text = realloc(c->text, c->cap);
			if (c->text == NULL)
				abort();
		}
		n = read(c->rd, c->text + c->len, c->cap - c->len - 1);
		if (n <= 0)
			break;
		c->len += (size_t) n;
	}
	c->text[c->len] = '\0';
	return NULL;
}

static void
capture_begin(struct capture *c)
{
	int fds[2];

	memset(c, 0, sizeof(*c));
	fflush(stdout);
	assert_int_equal(pipe(fds), 0);
	c->rd    = fds[0];
	c->wr    = fds[1];
	c->saved = dup(STDOUT_FILENO);
	assert_true(c->saved >= 0);
	assert_int_equal(pthread_create(&c->reader, NULL, drain, c), 0);
	assert_true(dup2(c->wr, STDOUT_FILENO) >= 0);
}

/* Returns what was written, malloc'd and NUL-terminated. */
static char *
capture_end(struct capture *c)
{
	/* The reader sees end of file once both write ends are closed. */
	assert_true(dup2(c->saved, STDOUT_FILENO) >= 0);
	close(c->saved);
	close(c->wr);
	pthread_join(c->reader, NULL);
	close(c->rd);
	return c->text;
}

/* Splits text into lines, parses each, and returns them as an array. */
static json_t *
parse_lines(const char *text)
{
	json_t     *lines = json_array();
	const char *p     = text;

	while (*p != '\0') {
		const char  *nl = strchr(p, '\n');
		json_error_t jerr;
		json_t      *line;

		assert_non_null(nl); /* every line ends with a newline */
		line = json_loadb(p, (size_t) (nl - p), 0, &jerr);
		if (line == NULL)
			fail_msg("line \"%.*s...\": %s",
			    nl - p < 120 ? (int) (nl - p) : 120, p, jerr.text);
		assert_true(json_is_object(line));
		json_array_append_new(lines, line);
		p = nl + 1;
	}
	return lines;
}

/* Ends c and returns its one line (the test fails on any other count):
 * a reference the caller releases. */
static json_t *
only_line(struct capture *c)
{
	char   *text  = capture_end(c);
	json_t *lines = parse_lines(text);
	assert_int_equal(json_array_size(lines), 1);
	json_t *line = json_incref(json_array_get(lines, 0));
	json_decref(lines);
	free(text);
	return line;
}

static const char *
str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void
check_time(const char *t)
{
	/* "2026-11-29T02:33:22.123Z" */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	char              now[32];
	struct tm         tm;
	time_t            secs = time(NULL);

	assert_non_null(t);
	assert_int_equal(strlen(t), strlen(shape));
	for (size_t i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? !is_digit(t[i]) : t[i] != shape[i])
			fail_msg("time \"%s\" is not RFC 3339 UTC with ms", t);
	}
	/* UTC, not local time: the date matches gmtime's, give or take a
	 * midnight between the two clocks. */
	gmtime_r(&secs, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d", &tm);
	if (strncmp(t, now, 10) != 0) {
		secs -= 5;
		gmtime_r(&secs, &tm);
		strftime(now, sizeof(now), "%Y-%m-%d", &tm);
		assert_memory_equal(t, now, 10);
	}
}

static void
test_line_shape(void **state)
{
	struct capture c;
	char          *text;
	json_t        *lines, *line;
	const char    *keys[16];
	size_t         nkeys = 0;
	void          *it;

	(void) state;
	sn_log_init("approval", SN_LOG_DEBUG);
	capture_begin(&c);
	sn_log(SN_LOG_INFO, "started", "port", "8080", "peer",
	    (const char *) NULL, (const char *) NULL);
	text = capture_end(&c);

	lines = parse_lines(text);
	assert_int_equal(json_array_size(lines), 1);
	line = json_array_get(lines, 0);
	check_time(str(line, "time"));
	assert_string_equal(str(line, "level"), "info");
	assert_string_equal(str(line, "service"), "approval");
	assert_string_equal(str(line, "version"), sn_version);
	assert_string_equal(str(line, "msg"), "started");
	assert_string_equal(str(line, "port"), "8080");
	assert_true(json_is_null(json_object_get(line, "peer")));
	assert_int_equal(json_object_size(line), 7);

	/* The fixed fields come first, in this order. */
	for (it = json_object_iter(line); it != NULL && nkeys < 16;
	     it = json_object_iter_next(line, it))
		keys[nkeys++] = json_object_iter_key(it);
	assert_int_equal(nkeys, 7);
	assert_string_equal(keys[0], "time");
	assert_string_equal(keys[1], "level");
	assert_string_equal(keys[2], "service");
	assert_string_equal(keys[3], "version");
	assert_string_equal(keys[4], "msg");

	/* Compact: no space anywhere outside the values. */
	assert_null(strstr(text, "\": "));
	assert_null(strstr(text, ", \""));
	json_decref(lines);
	free(text);
}

static void
test_levels(void **state)
{
	struct capture c;
	char          *text;
	json_t        *lines;

	(void) state;
	sn_log_init("approval", SN_LOG_WARN);
	capture_begin(&c);
	sn_log(SN_LOG_DEBUG, "d", (const char *) NULL);
	sn_log(SN_LOG_INFO, "i", (const char *) NULL);
	sn_log(SN_LOG_WARN, "w", (const char *) NULL);
	sn_log(SN_LOG_ERROR, "e", (const char *) NULL);
	sn_logj(SN_LOG_INFO, "ij", json_pack("{s:i}", "n", 1));
	sn_logj(SN_LOG_ERROR, "ej", json_pack("{s:i}", "n", 2));
	text = capture_end(&c);
	assert_false(sn_log_enabled(SN_LOG_INFO));
	assert_true(sn_log_enabled(SN_LOG_WARN));
	sn_log_init("approval", SN_LOG_DEBUG);
	assert_true(sn_log_enabled(SN_LOG_DEBUG));

	lines = parse_lines(text);
	assert_int_equal(json_array_size(lines), 3);
	assert_string_equal(str(json_array_get(lines, 0), "level"), "warn");
	assert_string_equal(str(json_array_get(lines, 0), "msg"), "w");
	assert_string_equal(str(json_array_get(lines, 1), "level"), "error");
	assert_string_equal(str(json_array_get(lines, 2), "msg"), "ej");
	json_decref(lines);
	free(text);
}

static void
test_level_parse(void **state)
{
	(void) state;
	assert_int_equal(sn_log_level_parse("debug"), SN_LOG_DEBUG);
	assert_int_equal(sn_log_level_parse("info"), SN_LOG_INFO);
	assert_int_equal(sn_log_level_parse("warn"), SN_LOG_WARN);
	assert_int_equal(sn_log_level_parse("error"), SN_LOG_ERROR);
	assert_int_equal(sn_log_level_parse("INFO"), -1);
	assert_int_equal(sn_log_level_parse("warning"), -1);
	assert_int_equal(sn_log_level_parse(""), -1);
	assert_int_equal(sn_log_level_parse(NULL), -1);
}

/* The request id: swapped in and put back; what a peer may send. */
static void
test_request_id_swap(void **state)
{
	char prev[SN_LOG_REQUEST_ID_MAX + 1];
	(void) state;
	sn_log_set_request_id("outer-1");
	sn_log_swap_request_id("inner.2", prev);
	assert_string_equal(sn_log_request_id(), "inner.2");
	assert_string_equal(prev, "outer-1");
	sn_log_set_request_id(prev);
	assert_string_equal(sn_log_request_id(), "outer-1");
	sn_log_swap_request_id(NULL, prev);
	assert_null(sn_log_request_id());
	sn_log_set_request_id(prev);
	sn_log_swap_request_id("", prev);
	assert_string_equal(prev, "outer-1");
	assert_null(sn_log_request_id());
	assert_true(sn_log_request_id_valid("ops-rid-7f3a.1", 14));
	assert_true(sn_log_request_id_valid("a b", 1)); /* only "a" */
	assert_false(sn_log_request_id_valid("a b", 3));
	assert_false(sn_log_request_id_valid("", 0));
	assert_false(sn_log_request_id_valid("\xe4\xb8\xad", 3));
	char long_id[SN_LOG_REQUEST_ID_MAX + 2];
	memset(long_id, 'x', sizeof(long_id));
	assert_true(sn_log_request_id_valid(long_id, SN_LOG_REQUEST_ID_MAX));
	assert_false(
	    sn_log_request_id_valid(long_id, SN_LOG_REQUEST_ID_MAX + 1));
}

static void
test_logj(void **state)
{
	struct capture c;
	char          *text;
	json_t        *lines, *line;

	(void) state;
	sn_log_init("disbursement", SN_LOG_DEBUG);
	capture_begin(&c);
	sn_logj(SN_LOG_WARN, "paid",
	    json_pack("{s:I,s:b,s:s,s:s}", "amount_fen", (json_int_t) 8300000,
	        "retry", 1, "level", "forged", "time", "forged"));
	sn_logj(SN_LOG_INFO, "no fields", NULL);
	sn_logj(SN_LOG_INFO, "not an object", json_integer(5));
	sn_log(SN_LOG_INFO, NULL, (const char *) NULL);
	text = capture_end(&c);

	lines = parse_lines(text);
	assert_int_equal(json_array_size(lines), 4);
	line = json_array_get(lines, 0);
	assert_string_equal(str(line, "service"), "disbursement");
	assert_string_equal(str(line, "level"), "warn");
	assert_true(json_integer_value(json_object_get(line, "amount_fen"))
	    == 8300000);
	assert_true(json_is_true(json_object_get(line, "retry")));
	/* A caller's field cannot overwrite a fixed one. */
	assert_string_equal(str(line, "_level"), "forged");
	assert_string_equal(str(line, "_time"), "forged");
	check_time(str(line, "time"));

	line = json_array_get(lines, 1);
	assert_string_equal(str(line, "msg"), "no fields");
	assert_int_equal(json_object_size(line), 5);
	line = json_array_get(lines, 2);
	assert_int_equal(
	    json_integer_value(json_object_get(line, "fields")), 5);
	line = json_array_get(lines, 3);
	assert_true(json_is_null(json_object_get(line, "msg")));
	json_decref(lines);
	free(text);
}

/* A line prepared now and written later (from a signal handler) is the
 * line sn_log would write, with its time of preparing; one that does not
 * fit is not prepared at all. */
static void
test_prepared_line(void **state)
{
	struct capture c;
	char           buf[256], tiny[16];
	json_t        *line;

	(void) state;
	sn_log_init("intake", SN_LOG_INFO);
	size_t len = sn_log_prepare(SN_LOG_WARN, "later", buf, sizeof(buf));
	assert_true(len > 0 && len < sizeof(buf));
	assert_int_equal(strlen(buf), len);
	assert_int_equal(buf[len - 1], '\n');
	assert_int_equal(sn_log_prepare(SN_LOG_WARN, "later", tiny, 16), 0);
	capture_begin(&c);
	sn_log_write_prepared(buf, len);
	line = only_line(&c);
	assert_string_equal(str(line, "service"), "intake");
	assert_string_equal(str(line, "level"), "warn");
	assert_string_equal(str(line, "msg"), "later");
	check_time(str(line, "time"));
	json_decref(line);
}

static void
test_bad_utf8_still_logged(void **state)
{
	struct capture c;
	json_t        *line;

	(void) state;
	capture_begin(&c);
	sn_log(SN_LOG_ERROR, "bad \xC3 byte", "name", "Zh\xC3(ng", "ok",
	    "\xe5\xbc\xa0", (const char *) NULL);
	line = only_line(&c);
	assert_string_equal(str(line, "msg"), "bad ? byte");
	assert_string_equal(str(line, "name"), "Zh?(ng");
	assert_string_equal(str(line, "ok"), "\xe5\xbc\xa0");
	json_decref(line);
}

#define NTHREADS 4
#define NLINES 200
#define BIG 6000 /* longer than PIPE_BUF, so one write is not enough */

static void *
writer(void *arg)
{
	char  *big = malloc(BIG + 1);
	char   n[16];
	size_t id = (size_t) arg;

	memset(big, (int) ('a' + id), BIG);
	big[BIG] = '\0';
	for (int i = 0; i < NLINES; i++) {
		(void) snprintf(n, sizeof(n), "%d", i);
		sn_log(SN_LOG_INFO, "burst", "i", n, "big", big,
		    (const char *) NULL);
	}
	free(big);
	return NULL;
}

static void
test_threads_do_not_interleave(void **state)
{
	struct capture c;
	pthread_t      t[NTHREADS];
	char          *text;
	json_t        *lines;
	int            seen[NTHREADS] = { 0 };

	(void) state;
	capture_begin(&c);
	for (size_t i = 0; i < NTHREADS; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, writer, (void *) i), 0);
	for (size_t i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	text = capture_end(&c);

	lines = parse_lines(text);
	assert_int_equal(json_array_size(lines), NTHREADS * NLINES);
	for (size_t i = 0; i < json_array_size(lines); i++) {
		const char *big = str(json_array_get(lines, i), "big");
		int         who;

		assert_non_null(big);
		assert_int_equal(strlen(big), BIG);
		who = big[0] - 'a';
		assert_true(who >= 0 && who < NTHREADS);
		assert_int_equal(strspn(big, (char[]) { big[0], '\0' }), BIG);
		seen[who]++;
	}
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(seen[i], NLINES);
	json_decref(lines);
	free(text);
}

static void
test_mask_idnum(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "22010319800101123X", "220103********123X" },
		{ "440524198001010013", "440524********0013" },
		{ "22010319800101123", "*****************" },     /* 17 */
		{ "22010319800101123X0", "*******************" }, /* 19 */
		{ "123", "***" },
		{ "1", "*" },
		{ "", "" },
		{ NULL, "(null)" },
		/* 18 bytes with non-ASCII in the kept parts. */
		{ "\xe5\xbc\xa0"
		  "103198001011\xe5\xbc\xa0",
		    "???103********1???" },
	};
	char buf[SN_LOG_MASK_MAX];
	char in[200];
	char want[SN_LOG_MASK_MAX];

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'Z', sizeof(buf));
		assert_ptr_equal(sn_log_mask_idnum(cases[i].in, buf), buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf,
			    cases[i].want);
	}

	/* Longer than the buffer: as many '*' as fit. */
	memset(in, '7', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	memset(want, '*', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	assert_string_equal(sn_log_mask_idnum(in, buf), want);
}

static void
test_mask_account(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "6222021234567890123", "***************0123" },
		{ "12345", "*2345" },
		{ "1234", "****" }, /* shown whole would leak it whole */
		{ "12", "**" },
		{ "", "" },
		{ NULL, "(null)" },
		{ "6222 0212 3456 7890", "***************7890" },
		{ "62220212345\xe5\xbc\xa0", "**********5???" },
	};
	char buf[SN_LOG_MASK_MAX];
	char in[200];
	char want[SN_LOG_MASK_MAX];

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'Z', sizeof(buf));
		assert_ptr_equal(sn_log_mask_account(cases[i].in, buf), buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf,
			    cases[i].want);
	}

	/* At most SN_LOG_MASK_MAX - 5 stars, then the last four. */
	memset(in, '9', sizeof(in) - 1);
	in[sizeof(in) - 5] = '4';
	in[sizeof(in) - 4] = '3';
	in[sizeof(in) - 3] = '2';
	in[sizeof(in) - 2] = '1';
	in[sizeof(in) - 1] = '\0';
	memset(want, '*', SN_LOG_MASK_MAX - 5);
	memcpy(want + SN_LOG_MASK_MAX - 5, "4321", 5);
	assert_string_equal(sn_log_mask_account(in, buf), want);
	assert_int_equal(strlen(buf), SN_LOG_MASK_MAX - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_shape),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test(test_request_id_swap),
		cmocka_unit_test(test_logj),
		cmocka_unit_test(test_bad_utf8_still_logged),
		cmocka_unit_test(test_threads_do_not_interleave),
		cmocka_unit_test(test_prepared_line),
		cmocka_unit_test(test_mask_idnum),
		cmocka_unit_test(test_mask_account),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
