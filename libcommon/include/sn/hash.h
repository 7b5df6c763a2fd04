/*
 * sn/hash.h - FNV-1a, 64 bits: a fast hash for tables, caches and
 * validators. Not a cryptographic hash: where a value is chosen against
 * us, a collision must cost only time (a slot taken, a check done again).
 */
#ifndef SN_HASH_H
#define SN_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64 of the n bytes at p. */
static inline uint64_t
sn_fnv1a64(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t             h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

#endif
