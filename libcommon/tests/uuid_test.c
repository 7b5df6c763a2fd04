#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sn/clock.h"
#include "sn/uuid.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const sn_uuid sample = { { 0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12,
    0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00 } };

static void
test_parse_good(void **state)
{
	static const char *const good[] = {
		"123e4567-e89b-12d3-a456-426614174000",
		"123E4567-E89B-12D3-A456-426614174000",
		"123e4567-E89b-12D3-a456-426614174000",
	};

	(void) state;
	for (size_t i = 0; i < N(good); i++) {
		sn_uuid u;

		memset(&u, 0, sizeof(u));
		assert_int_equal(sn_uuid_parse(good[i], &u), SN_OK);
		assert_true(sn_uuid_equal(&u, &sample));
		assert_true(sn_uuid_valid(good[i]));
		/* out may be NULL to validate only. */
		assert_int_equal(sn_uuid_parse(good[i], NULL), SN_OK);
	}
	assert_true(sn_uuid_valid("00000000-0000-0000-0000-000000000000"));
	assert_true(sn_uuid_valid("ffffffff-ffff-ffff-ffff-ffffffffffff"));
}

static void
test_parse_refused(void **state)
{
	static const char *const bad[] = {
		"{123e4567-e89b-12d3-a456-426614174000}",
		"123e4567e89b12d3a456426614174000",
		" 123e4567-e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3-a456-426614174000 ",
		"123e4567-e89b-12d3-a456-4266141740000",
		"123e4567-e89b-12d3-a456-42661417400",
		"123e4567-e89b-12d3-a456-42661417400g",
		"123e4567 e89b 12d3 a456 426614174000",
		"123e456-7e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3-a4564-26614174000",
		"urn:uuid:123e4567-e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3-a456_426614174000",
		"+23e4567-e89b-12d3-a456-426614174000",
		"",
	};

	(void) state;
	for (size_t i = 0; i < N(bad); i++) {
		sn_uuid u;

		memset(&u, 0x5a, sizeof(u));
		if (sn_uuid_parse(bad[i], &u) != SN_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		for (size_t j = 0; j < sizeof(u.b); j++)
			assert_int_equal(u.b[j], 0x5a);
		assert_false(sn_uuid_valid(bad[i]));
	}
	assert_int_equal(sn_uuid_parse(NULL, NULL), SN_EINVAL);
	assert_false(sn_uuid_valid(NULL));
}

static void
test_format(void **state)
{
	char    buf[SN_UUID_STRLEN];
	sn_uuid back;

	(void) state;
	assert_ptr_equal(sn_uuid_format(&sample, buf), buf);
	assert_string_equal(buf, "123e4567-e89b-12d3-a456-426614174000");
	assert_int_equal(sn_uuid_parse(buf, &back), SN_OK);
	assert_true(sn_uuid_equal(&back, &sample));
}

static void
test_equal(void **state)
{
	sn_uuid other = sample;

	(void) state;
	assert_true(sn_uuid_equal(&sample, &other));
	other.b[15] ^= 1;
	assert_false(sn_uuid_equal(&sample, &other));
}

static int
cmp_uuid(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(sn_uuid));
}

#define MANY 1000

/*
 * The ids' version (the high nibble of byte 6) and variant (10) are
 * fixed; every other bit from byte `from` on is seen both set and clear
 * over the draws (a fair source misses one of a thousand with probability
 * about 2^-990); and no two are the same. Sorts all.
 */
static void
check_drawn(sn_uuid *all, unsigned version, size_t from)
{
	uint8_t ones[16] = { 0 }, zeros[16] = { 0 };

	for (size_t i = 0; i < MANY; i++) {
		char buf[SN_UUID_STRLEN];

		assert_int_equal(all[i].b[6] >> 4, version);
		assert_int_equal(all[i].b[8] >> 6, 2);
		sn_uuid_format(&all[i], buf);
		assert_true(sn_uuid_valid(buf));
		assert_int_equal(buf[14], "0123456789abcdef"[version]);
		assert_non_null(strchr("89ab", buf[19]));
		for (size_t j = from; j < 16; j++) {
			ones[j] |= all[i].b[j];
			zeros[j] |= (uint8_t) ~all[i].b[j];
		}
	}
	for (size_t j = from; j < 16; j++) {
		uint8_t random = j == 6 ? 0x0f : j == 8 ? 0x3f : 0xff;

		assert_int_equal(ones[j] & random, random);
		assert_int_equal(zeros[j] & random, random);
	}
	qsort(all, MANY, sizeof(*all), cmp_uuid);
	for (size_t i = 1; i < MANY; i++)
		assert_false(sn_uuid_equal(&all[i - 1], &all[i]));
}

/* Version 4: the 122 bits other than version and variant random. */
static void
test_v4(void **state)
{
	sn_uuid *all = calloc(MANY, sizeof(*all));

	(void) state;
	assert_non_null(all);
	for (size_t i = 0; i < MANY; i++)
		assert_int_equal(sn_uuid_v4(&all[i]), SN_OK);
	check_drawn(all, 4, 0);
	free(all);
}

/*
 * Version 7: the first 48 bits are the milliseconds of the call (between
 * the clock read before and after) and never go back from one id to the
 * next; the 74 bits after them other than version and variant random.
 */
static void
test_v7(void **state)
{
	sn_uuid *all  = calloc(MANY, sizeof(*all));
	uint64_t last = 0;

	(void) state;
	assert_non_null(all);
	for (size_t i = 0; i < MANY; i++) {
		uint64_t before = (uint64_t) sn_clock_now_ms(), t = 0;

		assert_int_equal(sn_uuid_v7(&all[i]), SN_OK);
		uint64_t after = (uint64_t) sn_clock_now_ms();
		for (size_t j = 0; j < 6; j++)
			t = t << 8 | all[i].b[j];
		assert_in_range(t, before, after);
		assert_true(t >= last);
		last = t;
	}
	check_drawn(all, 7, 6);
	free(all);
}

/*
 * Ids drawn from a buffer of random bytes (uuid.c): a child made by fork
 * while the buffer still holds bytes draws none of the ids its parent
 * draws next. Each side draws FORKED ids after the fork; the child sends
 * its own through a pipe; no id is on both sides.
 */
static void
test_fork(void **state)
{
	enum { FORKED = 64 };
	sn_uuid first, mine[FORKED], theirs[FORKED];
	int     fd[2];

	(void) state;
	assert_int_equal(sn_uuid_v4(&first), SN_OK); /* the buffer filled */
	assert_int_equal(pipe(fd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		for (size_t i = 0; i < FORKED; i++)
			if (sn_uuid_v4(&mine[i]) != SN_OK)
				_exit(1);
		_exit(
		    write(fd[1], mine, sizeof(mine)) == (ssize_t) sizeof(mine)
		        ? 0
		        : 1);
	}
	close(fd[1]);
	for (size_t i = 0; i < FORKED; i++)
		assert_int_equal(sn_uuid_v4(&mine[i]), SN_OK);
	size_t got = 0;
	while (got < sizeof(theirs)) {
		ssize_t n = read(
		    fd[0], (uint8_t *) theirs + got, sizeof(theirs) - got);
		if (n <= 0)
			break;
		got += (size_t) n;
	}
	close(fd[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(got, sizeof(theirs));
	for (size_t i = 0; i < FORKED; i++)
		for (size_t j = 0; j < FORKED; j++)
			assert_false(sn_uuid_equal(&mine[i], &theirs[j]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v7),
		cmocka_unit_test(test_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
