/*
 * bankside_test.c - the bank's side of the messages (bankside.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "bankside.h"

static void
test_version(void **state)
{
	(void) state;
	assert_int_equal(bank_gateway_bankside_version(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
