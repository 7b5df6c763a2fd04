/*
 * sn/uuid.h - UUIDs as 16 bytes, and their canonical text form
 * ("8-4-4-4-12" hexadecimal, 36 characters). The one validator of ids
 * that arrive in paths, bodies and events. Pure; any thread.
 */
#ifndef SN_UUID_H
#define SN_UUID_H

#include <stdbool.h>
#include <stdint.h>

#include "sn/err.h"

typedef struct sn_uuid {
	uint8_t b[16];
} sn_uuid;

#define SN_UUID_STRLEN 37 /* 36 characters and the NUL */

/*
 * Parses the canonical form, either case; SN_EINVAL (out untouched) for
 * anything else (braces, no hyphens, 32 digits, spaces). out may be NULL
 * to validate only.
 */
sn_err sn_uuid_parse(const char *s, sn_uuid *out);

/* True if s is a canonical UUID. NULL is false. */
bool sn_uuid_valid(const char *s);

/* Writes the lower-case canonical form; returns buf. */
char *sn_uuid_format(const sn_uuid *u, char buf[SN_UUID_STRLEN]);

/* A new random (version 4) UUID from the system's random source. */
sn_err sn_uuid_v4(sn_uuid *out);

/*
 * A new time-ordered (version 7) UUID: the Unix time in milliseconds
 * (CLOCK_REALTIME) in the first 48 bits, then 74 random bits. Ids made
 * later sort after (to the millisecond), so an index keyed by them takes
 * new entries at its right edge instead of on random leaves.
 */
sn_err sn_uuid_v7(sn_uuid *out);

bool sn_uuid_equal(const sn_uuid *a, const sn_uuid *b);

#endif /* SN_UUID_H */
