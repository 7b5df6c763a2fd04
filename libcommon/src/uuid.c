#include "sn/uuid.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <sodium.h>

#include "sn/loop.h"

/* Offsets of the four hyphens in "8-4-4-4-12". */
static bool
is_hyphen_at(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

sn_err
sn_uuid_parse(const char *s, sn_uuid *out)
{
	sn_uuid u;
	size_t  n = 0;

	if (s == NULL)
		return SN_EINVAL;
	/* The walk stops at the first bad byte, a short string's NUL
	 * included, so nothing past the end is read. */
	for (size_t i = 0; i < 36; i++) {
		int hi, lo;

		if (is_hyphen_at(i)) {
			if (s[i] != '-')
				return SN_EINVAL;
			continue;
		}
		if ((hi = hex_value(s[i])) < 0
		    || (lo = hex_value(s[i + 1])) < 0)
			return SN_EINVAL;
		u.b[n++] = (uint8_t) (hi << 4 | lo);
		i++;
	}
	if (s[36] != '\0')
		return SN_EINVAL;
	if (out != NULL)
		*out = u;
	return SN_OK;
}

bool
sn_uuid_valid(const char *s)
{
	return sn_uuid_parse(s, NULL) == SN_OK;
}

char *
sn_uuid_format(const sn_uuid *u, char buf[SN_UUID_STRLEN])
{
	static const char digits[] = "0123456789abcdef";
	size_t            n        = 0;

	for (size_t i = 0; i < 36; i++) {
		if (is_hyphen_at(i)) {
			buf[i] = '-';
			continue;
		}
		buf[i++] = digits[u->b[n] >> 4];
		buf[i]   = digits[u->b[n++] & 0x0f];
	}
	buf[36] = '\0';
	return buf;
}

/* For kernels older than getrandom(2) (Linux 3.17). */
static sn_err
read_urandom(uint8_t *p, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return SN_EIO;
	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return SN_EIO;
		}
		p += n;
		len -= (size_t) n;
	}
	close(fd);
	return SN_OK;
}

static sn_err
random_bytes(uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOSYS)
				return read_urandom(p, len);
			return SN_EIO;
		}
		p += n;
		len -= (size_t) n;
	}
	return SN_OK;
}

/*
 * An id's random bits come from a buffer that one getrandom(2) call fills
 * for many ids: a call per id was 18 % of disbursement's CPU while it
 * built a run (issue 15). The bytes are the kernel's either way. The
 * buffer is per thread; a child made by fork(2) empties the one it
 * inherited (pthread_atfork), so that parent and child never hand out
 * the same bytes; the bytes handed out are wiped from it. Without the
 * fork handler (its registration failed) every id asks the kernel.
 */
enum { POOL_BYTES = 512 };

static _Thread_local uint8_t pool[POOL_BYTES];
static _Thread_local size_t  pool_left;
static pthread_once_t        pool_once = PTHREAD_ONCE_INIT;
static bool                  pool_safe;

static void
pool_forked(void)
{
	sodium_memzero(pool, sizeof(pool));
	pool_left = 0;
}

static void
pool_init(void)
{
	pool_safe = pthread_atfork(NULL, NULL, pool_forked) == 0;
}

static sn_err
id_bytes(uint8_t *p, size_t len)
{
	if (pthread_once(&pool_once, pool_init) != 0 || !pool_safe
	    || len > POOL_BYTES)
		return random_bytes(p, len);
	if (pool_left < len) {
		sn_err err = random_bytes(pool, POOL_BYTES);
		if (err != SN_OK)
			return err;
		pool_left = POOL_BYTES;
	}
	uint8_t *from = pool + (POOL_BYTES - pool_left);
	memcpy(p, from, len);
	sodium_memzero(from, len);
	pool_left -= len;
	return SN_OK;
}

/* RFC 9562: the version in the high nibble of byte 6, variant 10 in the
 * two high bits of byte 8. */
static void
stamp(sn_uuid *u, unsigned version)
{
	u->b[6] = (uint8_t) ((u->b[6] & 0x0f) | version << 4);
	u->b[8] = (uint8_t) ((u->b[8] & 0x3f) | 0x80);
}

sn_err
sn_uuid_v4(sn_uuid *out)
{
	sn_uuid u;
	sn_err  err;

	/* The 122 bits other than version and variant random. */
	if ((err = id_bytes(u.b, sizeof(u.b))) != SN_OK)
		return err;
	stamp(&u, 4);
	*out = u;
	return SN_OK;
}

sn_err
sn_uuid_v7(sn_uuid *out)
{
	sn_uuid u;
	sn_err  err;

	/* The wall clock's milliseconds (not sn_clock's, which a test may
	 * shift) in the first 48 bits, the rest random. */
	if ((err = id_bytes(u.b + 6, sizeof(u.b) - 6)) != SN_OK)
		return err;
	uint64_t ms = (uint64_t) sn_wall_us() / 1000u;
	for (int i = 5; i >= 0; i--, ms >>= 8)
		u.b[i] = (uint8_t) (ms & 0xff);
	stamp(&u, 7);
	*out = u;
	return SN_OK;
}

bool
sn_uuid_equal(const sn_uuid *a, const sn_uuid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}
