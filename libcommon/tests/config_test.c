#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sn/config.h"

static void
test_parse_int(void **state)
{
	static const struct {
		const char *text;
		int64_t     min, max;
		sn_err      err;
		int64_t     want;
	} cases[] = {
		{ "0", 0, 10, SN_OK, 0 },
		{ "10", 0, 10, SN_OK, 10 },
		{ "-1", -5, 5, SN_OK, -1 },
		{ "007", 0, 10, SN_OK, 7 },
		{ "-0", 0, 0, SN_OK, 0 },
		{ "8080", 1, 65535, SN_OK, 8080 },
		{ "65535", 1, 65535, SN_OK, 65535 },
		{ "0", 1, 65535, SN_ERANGE, 0 },
		{ "65536", 1, 65535, SN_ERANGE, 0 },
		{ "-6", -5, 5, SN_ERANGE, 0 },
		{ "9223372036854775807", INT64_MIN, INT64_MAX, SN_OK,
		    INT64_MAX },
		{ "-9223372036854775808", INT64_MIN, INT64_MAX, SN_OK,
		    INT64_MIN },
		{ "9223372036854775808", INT64_MIN, INT64_MAX, SN_ERANGE, 0 },
		{ "-9223372036854775809", INT64_MIN, INT64_MAX, SN_ERANGE, 0 },
		{ "99999999999999999999", INT64_MIN, INT64_MAX, SN_ERANGE, 0 },
		{ "99999999999999999999x", INT64_MIN, INT64_MAX, SN_EINVAL,
		    0 },
		{ "80x", 1, 65535, SN_EINVAL, 0 },
		{ " 80", 1, 65535, SN_EINVAL, 0 },
		{ "80 ", 1, 65535, SN_EINVAL, 0 },
		{ "80\n", 1, 65535, SN_EINVAL, 0 },
		{ "+80", 1, 65535, SN_EINVAL, 0 },
		{ "--80", -100, 100, SN_EINVAL, 0 },
		{ "0x10", 0, 100, SN_EINVAL, 0 },
		{ "1e3", 0, 10000, SN_EINVAL, 0 },
		{ "1.0", 0, 10, SN_EINVAL, 0 },
		{ "", 0, 10, SN_EINVAL, 0 },
		{ "-", 0, 10, SN_EINVAL, 0 },
		{ NULL, 0, 10, SN_EINVAL, 0 },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t out  = 777;
		int64_t want = cases[i].err == SN_OK ? cases[i].want : 777;
		sn_err  err  = sn_config_parse_int(
		      cases[i].text, cases[i].min, cases[i].max, &out);

		if (err != cases[i].err || out != want)
			fail_msg("case %zu (\"%s\"): err %d out %lld", i,
			    cases[i].text != NULL ? cases[i].text : "(null)",
			    (int) err, (long long) out);
	}
}

static void
test_parse_bool(void **state)
{
	static const struct {
		const char *text;
		sn_err      err;
		bool        want;
	} cases[] = {
		{ "1", SN_OK, true },
		{ "true", SN_OK, true },
		{ "yes", SN_OK, true },
		{ "on", SN_OK, true },
		{ "0", SN_OK, false },
		{ "false", SN_OK, false },
		{ "no", SN_OK, false },
		{ "off", SN_OK, false },
		{ "", SN_EINVAL, false },
		{ "2", SN_EINVAL, false },
		{ "y", SN_EINVAL, false },
		{ "truee", SN_EINVAL, false },
		{ " true", SN_EINVAL, false },
		{ "true ", SN_EINVAL, false },
		{ NULL, SN_EINVAL, false },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool   out = !cases[i].want;
		sn_err err = sn_config_parse_bool(cases[i].text, &out);

		if (err != cases[i].err
		    || (err == SN_OK && out != cases[i].want))
			fail_msg("case %zu (\"%s\"): err %d", i,
			    cases[i].text != NULL ? cases[i].text : "(null)",
			    (int) err);
	}
}

static void
test_parse_url(void **state)
{
	static const struct {
		const char *text;
		sn_err      err;
	} cases[] = {
		{ "ipc:///tmp/sn/bus.sock", SN_OK },
		{ "ipc://relative.sock", SN_OK },
		{ "inproc://bus", SN_OK },
		{ "tcp://127.0.0.1:7000", SN_OK },
		{ "tcp://localhost:1", SN_OK },
		{ "tcp://agency-1.example.cn:65535", SN_OK },
		{ "tcp://[::1]:7000", SN_OK },
		{ "tcp://[fe80::1:2]:7000", SN_OK },
		{ "tcp://*:7000", SN_OK },
		{ "tls+tcp://bank.example:443", SN_OK },
		{ "tls+tcp://[::1]:443", SN_OK },
		{ "ipc://", SN_EINVAL },
		{ "inproc://", SN_EINVAL },
		{ "tcp://", SN_EINVAL },
		{ "tcp://host", SN_EINVAL },
		{ "tcp://host:", SN_EINVAL },
		{ "tcp://:7000", SN_EINVAL },
		{ "tcp://host:0", SN_ERANGE },
		{ "tcp://host:65536", SN_ERANGE },
		{ "tcp://host:99999999999999999999999", SN_ERANGE },
		{ "tcp://host:-1", SN_EINVAL },
		{ "tcp://host:80x", SN_EINVAL },
		{ "tcp://host:80/path", SN_EINVAL },
		{ "tcp://host:80:81", SN_EINVAL },
		{ "tcp://user@host:80", SN_EINVAL },
		{ "tcp://::1:7000", SN_EINVAL },
		{ "tcp://[::1:7000", SN_EINVAL },
		{ "tcp://[]:7000", SN_EINVAL },
		{ "tcp://[::1]7000", SN_EINVAL },
		{ "tcp://[::g]:7000", SN_EINVAL },
		{ "tls+tcp://host", SN_EINVAL },
		{ "tcp://host:80 ", SN_EINVAL },
		{ "ipc:///tmp/a b", SN_EINVAL },
		{ "ipc:///tmp/a\nb", SN_EINVAL },
		{ "TCP://host:80", SN_EINVAL },
		{ "http://host:80", SN_EINVAL },
		{ "ws://host:80", SN_EINVAL },
		{ "tcp:/host:80", SN_EINVAL },
		{ "host:80", SN_EINVAL },
		{ "", SN_EINVAL },
		{ NULL, SN_EINVAL },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sn_err err = sn_config_parse_url(cases[i].text);

		if (err != cases[i].err)
			fail_msg("case %zu (\"%s\"): err %d", i,
			    cases[i].text != NULL ? cases[i].text : "(null)",
			    (int) err);
	}
}

static void
test_parse_partition(void **state)
{
	static const struct {
		const char *text;
		sn_err      err;
		uint32_t    index, count;
	} cases[] = {
		{ "0/1", SN_OK, 0, 1 },
		{ "3/4", SN_OK, 3, 4 },
		{ "0/1024", SN_OK, 0, 1024 },
		{ "1023/1024", SN_OK, 1023, 1024 },
		{ "4/4", SN_ERANGE, 0, 0 },
		{ "0/0", SN_ERANGE, 0, 0 },
		{ "0/1025", SN_ERANGE, 0, 0 },
		{ "99999999999999999999/2", SN_ERANGE, 0, 0 },
		{ "", SN_EINVAL, 0, 0 },
		{ "1", SN_EINVAL, 0, 0 },
		{ "1/", SN_EINVAL, 0, 0 },
		{ "/2", SN_EINVAL, 0, 0 },
		{ "a/b", SN_EINVAL, 0, 0 },
		{ "-1/2", SN_EINVAL, 0, 0 },
		{ "1/-2", SN_EINVAL, 0, 0 },
		{ "1/2/3", SN_EINVAL, 0, 0 },
		{ " 1/2", SN_EINVAL, 0, 0 },
		{ "1 /2", SN_EINVAL, 0, 0 },
		{ "1/2 ", SN_EINVAL, 0, 0 },
		{ NULL, SN_EINVAL, 0, 0 },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t index = 777, count = 777;
		sn_err   err
		    = sn_config_parse_partition(cases[i].text, &index, &count);

		if (err != cases[i].err
		    || (err == SN_OK
		        && (index != cases[i].index
		            || count != cases[i].count)))
			fail_msg("case %zu (\"%s\"): err %d %u/%u", i,
			    cases[i].text != NULL ? cases[i].text : "(null)",
			    (int) err, index, count);
	}
}

static void
test_getters(void **state)
{
	uint32_t index, count;

	(void) state;
	unsetenv("SN_T_STR");
	assert_string_equal(sn_config_str("SN_T_STR", "dflt"), "dflt");
	setenv("SN_T_STR", "", 1);
	assert_string_equal(sn_config_str("SN_T_STR", "dflt"), "dflt");
	setenv("SN_T_STR", "value", 1);
	assert_string_equal(sn_config_str("SN_T_STR", "dflt"), "value");
	assert_string_equal(sn_config_str("SN_T_STR", NULL), "value");

	unsetenv("SN_T_INT");
	assert_int_equal(sn_config_int("SN_T_INT", 8080, 1, 65535), 8080);
	setenv("SN_T_INT", "", 1);
	assert_int_equal(sn_config_int("SN_T_INT", 8080, 1, 65535), 8080);
	setenv("SN_T_INT", "9090", 1);
	assert_int_equal(sn_config_int("SN_T_INT", 8080, 1, 65535), 9090);
	assert_int_equal(sn_config_int_req("SN_T_INT", 1, 65535), 9090);
	setenv("SN_T_INT", "-3", 1);
	assert_true(sn_config_int("SN_T_INT", 0, -10, 10) == -3);

	unsetenv("SN_T_BOOL");
	assert_true(sn_config_bool("SN_T_BOOL", true));
	assert_false(sn_config_bool("SN_T_BOOL", false));
	setenv("SN_T_BOOL", "off", 1);
	assert_false(sn_config_bool("SN_T_BOOL", true));
	setenv("SN_T_BOOL", "yes", 1);
	assert_true(sn_config_bool("SN_T_BOOL", false));

	unsetenv("SN_T_URL");
	assert_string_equal(
	    sn_config_url("SN_T_URL", "inproc://x"), "inproc://x");
	setenv("SN_T_URL", "tcp://[::1]:7000", 1);
	assert_string_equal(
	    sn_config_url("SN_T_URL", NULL), "tcp://[::1]:7000");

	unsetenv("SN_T_PART");
	index = count = 777;
	sn_config_partition("SN_T_PART", &index, &count);
	assert_int_equal(index, 0);
	assert_int_equal(count, 1);
	setenv("SN_T_PART", "", 1);
	sn_config_partition("SN_T_PART", &index, &count);
	assert_int_equal(index, 0);
	assert_int_equal(count, 1);
	setenv("SN_T_PART", "2/3", 1);
	sn_config_partition("SN_T_PART", &index, &count);
	assert_int_equal(index, 2);
	assert_int_equal(count, 3);
}

enum getter { G_STR, G_INT, G_INT_REQ, G_BOOL, G_URL, G_PART, G_FAIL };

/*
 * Runs one getter in a child with name set to value (NULL: unset) and
 * stderr on a pipe; returns the child's exit status and what it wrote.
 */
static int
run_child(enum getter g, const char *name, const char *value, char *err,
    size_t errsize)
{
	int     fds[2];
	pid_t   pid;
	int     status;
	size_t  len = 0;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint32_t i, c;

		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		if (value != NULL)
			setenv(name, value, 1);
		else
			unsetenv(name);
		switch (g) {
		case G_STR:
			(void) sn_config_str(name, NULL);
			break;
		case G_INT:
			(void) sn_config_int(name, 8080, 1, 65535);
			break;
		case G_INT_REQ:
			(void) sn_config_int_req(name, 1, 65535);
			break;
		case G_BOOL:
			(void) sn_config_bool(name, false);
			break;
		case G_URL:
			(void) sn_config_url(name, NULL);
			break;
		case G_PART:
			sn_config_partition(name, &i, &c);
			break;
		case G_FAIL:
			sn_config_fail(name, "nothing", value);
		}
		_exit(0); /* the getter accepted the value */
	}
	close(fds[1]);
	while (len + 1 < errsize
	    && (n = read(fds[0], err + len, errsize - 1 - len)) > 0)
		len += (size_t) n;
	err[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_bad_values_exit_2(void **state)
{
	static const struct {
		enum getter g;
		const char *value;
		const char *want;
	} cases[] = {
		{ G_INT, "80x",
		    "safetynet: SN_T_X: expected an integer from 1 to 65535, "
		    "got \"80x\"\n" },
		{ G_INT, "0",
		    "safetynet: SN_T_X: expected an integer from 1 to 65535, "
		    "got \"0\"\n" },
		{ G_INT_REQ, NULL,
		    "safetynet: SN_T_X: expected an integer from 1 to 65535, "
		    "got \"\"\n" },
		{ G_INT_REQ, "",
		    "safetynet: SN_T_X: expected an integer from 1 to 65535, "
		    "got \"\"\n" },
		{ G_STR, NULL,
		    "safetynet: SN_T_X: expected a non-empty value, got "
		    "\"\"\n" },
		{ G_BOOL, "maybe",
		    "safetynet: SN_T_X: expected one of 1, true, yes, on, 0, "
		    "false, no, off, got \"maybe\"\n" },
		{ G_URL, "tcp://host",
		    "safetynet: SN_T_X: expected an NNG URL (ipc://path, "
		    "inproc://name, tcp://host:port or tls+tcp://host:port), "
		    "got \"tcp://host\"\n" },
		{ G_URL, NULL,
		    "safetynet: SN_T_X: expected an NNG URL (ipc://path, "
		    "inproc://name, tcp://host:port or tls+tcp://host:port), "
		    "got \"\"\n" },
		{ G_PART, "4/4",
		    "safetynet: SN_T_X: expected i/N with 0 <= i < N <= 1024, "
		    "got \"4/4\"\n" },
		/* Still one line: control characters and quotes escaped. */
		{ G_INT, "8\n0\"\\",
		    "safetynet: SN_T_X: expected an integer from 1 to 65535, "
		    "got \"8\\x0a0\\\"\\\\\"\n" },
		{ G_FAIL, "x",
		    "safetynet: SN_T_X: expected nothing, got \"x\"\n" },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[1024];
		int  code = run_child(
		     cases[i].g, "SN_T_X", cases[i].value, err, sizeof(err));

		if (code != 2 || strcmp(err, cases[i].want) != 0)
			fail_msg(
			    "case %zu: exit %d, stderr \"%s\"", i, code, err);
	}
}

static void
test_good_values_do_not_exit(void **state)
{
	char err[256];

	(void) state;
	assert_int_equal(
	    run_child(G_INT, "SN_T_X", "80", err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(
	    run_child(G_INT, "SN_T_X", NULL, err, sizeof(err)), 0);
	assert_int_equal(run_child(G_STR, "SN_T_X", "v", err, sizeof(err)), 0);
	assert_int_equal(
	    run_child(G_PART, "SN_T_X", NULL, err, sizeof(err)), 0);
}

/* A setting given as <NAME>_FILE: the file's text without its trailing
 * newline; an unreadable file, or both forms at once, exit 2. */
static void
test_file_settings(void **state)
{
	char  path[] = "/tmp/sn-config-test-XXXXXX";
	int   fd     = mkstemp(path);
	FILE *f      = fdopen(fd, "w");

	(void) state;
	assert_non_null(f);
	fputs("s3cret value\n", f);
	fclose(f);
	unsetenv("SN_T_SECRET");
	setenv("SN_T_SECRET_FILE", path, 1);
	assert_string_equal(
	    sn_config_str("SN_T_SECRET", NULL), "s3cret value");
	/* read once: the same pointer the second time */
	assert_ptr_equal(sn_config_str("SN_T_SECRET", NULL),
	    sn_config_str("SN_T_SECRET", NULL));
	unlink(path);
	unsetenv("SN_T_SECRET_FILE");

	char err[512];
	setenv("SN_T_X_FILE", "/nonexistent/sn-secret", 1);
	assert_int_equal(
	    run_child(G_STR, "SN_T_X", NULL, err, sizeof(err)), 2);
	assert_string_equal(err,
	    "safetynet: SN_T_X_FILE: expected a readable file, got "
	    "\"/nonexistent/sn-secret\"\n");
	assert_int_equal(run_child(G_STR, "SN_T_X", "v", err, sizeof(err)), 2);
	assert_string_equal(err,
	    "safetynet: SN_T_X: expected either the value or a _FILE, not "
	    "both, got \"(both set)\"\n");
	unsetenv("SN_T_X_FILE");
}

static void
test_long_value_stays_one_line(void **state)
{
	char value[4096];
	char err[2048];

	(void) state;
	memset(value, 'a', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	assert_int_equal(
	    run_child(G_BOOL, "SN_T_X", value, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "SN_T_X"));
	assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
	assert_non_null(strstr(err, "...\"\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_url),
		cmocka_unit_test(test_parse_partition),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_bad_values_exit_2),
		cmocka_unit_test(test_good_values_do_not_exit),
		cmocka_unit_test(test_long_value_stays_one_line),
		cmocka_unit_test(test_file_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
