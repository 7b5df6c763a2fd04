/*
 * sign.h - the 12388 platform's request signatures, as the inspection
 * simulator checks them (proto/openapi.yaml, tag inspection-sim).
 *
 * A partner (supervision) signs every request with a key shared out of
 * band (SN_INSPECTION_KEY, 64 hex digits, given as
 * SN_INSPECTION_KEY_FILE) and named by a key id (SN_INSPECTION_KEY_ID).
 * Four headers carry the signature:
 *   X-Key-Id      the key's id
 *   X-Timestamp   Unix seconds when the request was signed
 *   X-Nonce       16-64 of A-Z a-z 0-9 - _, never used twice with a key
 *   X-Signature   lowercase hex HMAC-SHA256 under the key of
 *                   METHOD "\n" TARGET "\n" TIMESTAMP "\n" NONCE "\n"
 *                   hex(SHA-256(body))
 *                 where TARGET is the path, then, when the request has
 *                 query parameters, "?" and the parameters sorted by
 *                 name as name=value joined by "&" (values decoded), and
 *                 body is the exact bytes sent ("" when none).
 * The platform refuses (401) an unknown key id, a malformed or wrong
 * signature, a timestamp more than INSPECTION_SIGN_SKEW_S from its clock,
 * and a nonce it has seen with the key (it remembers nonces for twice the
 * skew, longer than a timestamp stays acceptable).
 *
 * Pure (libsodium); any thread.
 */
#ifndef INSPECTION_SIGN_H
#define INSPECTION_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/problem.h"

#define INSPECTION_SIGN_KEYLEN 32
#define INSPECTION_SIGN_HEXLEN 65 /* 64 hex digits and the NUL */
#define INSPECTION_SIGN_SKEW_S 300

/* Parses 64 hex digits into key; false for anything else. */
bool inspection_sign_key(const char *hex, uint8_t key[INSPECTION_SIGN_KEYLEN]);

/* True if nonce is 16-64 of A-Z a-z 0-9 - _. */
bool inspection_sign_nonce_ok(const char *nonce);

/* The signature of a request, lowercase hex into out. */
void inspection_sign(const uint8_t key[INSPECTION_SIGN_KEYLEN],
    const char *method, const char *target, const char *timestamp,
    const char *nonce, const void *body, size_t body_len,
    char out[INSPECTION_SIGN_HEXLEN]);

/* The headers of a request, as received (NULL when absent). */
typedef struct inspection_sign_headers {
	const char *key_id;
	const char *timestamp;
	const char *nonce;
	const char *signature;
} inspection_sign_headers;

/*
 * Checks a request's headers against the key (key_id its id) at now_s.
 * True if it is signed right and fresh; else false with p set: 401
 * "signature_missing", "unknown_key", "bad_timestamp", "stale_timestamp",
 * "bad_nonce" or "bad_signature". Whether the nonce is new is the
 * caller's to check (it needs the store).
 */
bool inspection_sign_check(const uint8_t key[INSPECTION_SIGN_KEYLEN],
    const char *key_id, int64_t now_s, const char *method, const char *target,
    const void *body, size_t body_len, const inspection_sign_headers *h,
    sn_problem *p);

#endif /* INSPECTION_SIGN_H */
