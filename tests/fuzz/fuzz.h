/*
 * fuzz.h - what every harness of tests/fuzz shares.
 *
 * A harness is one LLVMFuzzerTestOneInput that feeds the bytes to a
 * decoder and, where the decoder has an inverse (parse, format, parse
 * again), asserts that the round trip holds: FUZZ_CHECK aborts with the
 * condition's text, which libFuzzer reports as a crash and saves the
 * input. Anything a sanitizer finds (ASan, UBSan, leaks) is a crash too.
 */
#ifndef SN_FUZZ_H
#define SN_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/http.h"
#include "sn/problem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: round trip broken: %s\n",     \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

/* data[0..size) as a request body, read as the server reads one
 * (sn_http_body_json); NULL when it is not JSON. */
static inline json_t *
fuzz_body(const uint8_t *data, size_t size)
{
	json_error_t err;
	return sn_http_body_json((const char *) data, size, &err);
}

/* A decoder's or a rule's refusal: a 4xx with a code, never anything
 * else. */
#define FUZZ_REFUSED(p)                                                       \
	FUZZ_CHECK(                                                           \
	    (p)->status >= 400 && (p)->status < 500 && (p)->code != NULL)

/* data[0..size) as a NUL-terminated heap string (free it); aborts when
 * out of memory. Embedded NULs stay: C string functions stop at the
 * first. */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif /* SN_FUZZ_H */
