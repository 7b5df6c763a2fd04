#include "sign.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
inspection_sign_key(const char *hex, uint8_t key[INSPECTION_SIGN_KEYLEN])
{
	size_t n = 0;
	if (hex == NULL || strlen(hex) != 2 * INSPECTION_SIGN_KEYLEN)
		return false;
	return sodium_hex2bin(key, INSPECTION_SIGN_KEYLEN, hex, strlen(hex),
	           NULL, &n, NULL)
	    == 0
	    && n == INSPECTION_SIGN_KEYLEN;
}

bool
inspection_sign_nonce_ok(const char *nonce)
{
	size_t n = nonce != NULL ? strlen(nonce) : 0;
	if (n < 16 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = nonce[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		        || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

void
inspection_sign(const uint8_t key[INSPECTION_SIGN_KEYLEN], const char *method,
    const char *target, const char *timestamp, const char *nonce,
    const void *body, size_t body_len, char out[INSPECTION_SIGN_HEXLEN])
{
	uint8_t                      digest[crypto_hash_sha256_BYTES];
	char                         hex[2 * crypto_hash_sha256_BYTES + 1];
	uint8_t                      mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	static const unsigned char   nl = '\n';

	crypto_hash_sha256(digest, body != NULL ? body : (const void *) "",
	    body != NULL ? body_len : 0);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	crypto_auth_hmacsha256_init(&st, key, INSPECTION_SIGN_KEYLEN);
	const char *parts[] = { method, target, timestamp, nonce, hex };
	for (size_t i = 0; i < 5; i++) {
		if (i > 0)
			crypto_auth_hmacsha256_update(&st, &nl, 1);
		crypto_auth_hmacsha256_update(
		    &st, (const unsigned char *) parts[i], strlen(parts[i]));
	}
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, INSPECTION_SIGN_HEXLEN, mac, sizeof(mac));
}

static bool
digits(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
inspection_sign_check(const uint8_t key[INSPECTION_SIGN_KEYLEN],
    const char *key_id, int64_t now_s, const char *method, const char *target,
    const void *body, size_t body_len, const inspection_sign_headers *h,
    sn_problem *p)
{
	char want[INSPECTION_SIGN_HEXLEN];

	if (h->key_id == NULL || h->timestamp == NULL || h->nonce == NULL
	    || h->signature == NULL)
		return sn_problem_set(p, 401, "signature_missing", NULL,
		    "X-Key-Id, X-Timestamp, X-Nonce and X-Signature are "
		    "required");
	if (strcmp(h->key_id, key_id) != 0)
		return sn_problem_set(
		    p, 401, "unknown_key", "X-Key-Id", "no such key");
	if (!digits(h->timestamp, 12))
		return sn_problem_set(p, 401, "bad_timestamp", "X-Timestamp",
		    "Unix seconds expected");
	int64_t ts = strtoll(h->timestamp, NULL, 10);
	if (ts > now_s + INSPECTION_SIGN_SKEW_S
	    || ts < now_s - INSPECTION_SIGN_SKEW_S)
		return sn_problem_set(p, 401, "stale_timestamp", "X-Timestamp",
		    "more than %d s from the platform's clock",
		    INSPECTION_SIGN_SKEW_S);
	if (!inspection_sign_nonce_ok(h->nonce))
		return sn_problem_set(p, 401, "bad_nonce", "X-Nonce",
		    "16-64 of A-Z a-z 0-9 - _ expected");
	inspection_sign(
	    key, method, target, h->timestamp, h->nonce, body, body_len, want);
	if (strlen(h->signature) != INSPECTION_SIGN_HEXLEN - 1
	    || sodium_memcmp(want, h->signature, INSPECTION_SIGN_HEXLEN - 1)
	        != 0)
		return sn_problem_set(p, 401, "bad_signature", "X-Signature",
		    "the signature does not match the request");
	return true;
}
