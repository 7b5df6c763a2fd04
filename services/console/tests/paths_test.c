/*
 * The console's pure rules (console.h): which relative paths may be
 * served, and the Content-Type of a file name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "console.h"

static void
test_path_ok(void **state)
{
	static const char *const good[]
	    = { "index.html", "js/app.mjs", "vendor/preact.mjs", "a/b/c/d.css",
		      "x..y.js", "dir/file.v2.js" };
	static const char *const bad[]
	    = { "", "/", "/etc/passwd", "../x", "js/../../x", "..", ".",
		      "./index.html", "js/./app.mjs", ".hidden", "js/.env",
		      "a//b", "js/", "a\\b", "a/\x01b", "a/b\x7f" };

	(void) state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!console_path_ok(good[i]))
			fail_msg("refused: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (console_path_ok(bad[i]))
			fail_msg("allowed: %s", bad[i]);
	assert_false(console_path_ok(NULL));
}

static void
test_content_type(void **state)
{
	(void) state;
	assert_string_equal(
	    console_content_type("index.html"), "text/html; charset=utf-8");
	assert_string_equal(console_content_type("js/app.mjs"),
	    "text/javascript; charset=utf-8");
	assert_string_equal(
	    console_content_type("a.css"), "text/css; charset=utf-8");
	assert_string_equal(console_content_type("i.svg"), "image/svg+xml");
	assert_string_equal(console_content_type("f.woff2"), "font/woff2");
	assert_string_equal(
	    console_content_type("README"), "application/octet-stream");
	assert_string_equal(
	    console_content_type(".js"), "application/octet-stream");
	assert_string_equal(
	    console_content_type("x.html.gz"), "application/octet-stream");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_ok),
		cmocka_unit_test(test_content_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
