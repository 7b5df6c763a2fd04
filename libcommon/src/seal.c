/*
 * seal.c - personal data sealed at rest (sn/seal.h).
 *
 * The keys live in one sodium_malloc'd block (guarded pages, locked where
 * the system allows, wiped by sodium_free); the sn_seal itself holds only
 * pointers into it and is never written after sn_seal_open, so every
 * function may run on any thread.
 */
#include "sn/seal.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SEAL_PREFIX "sn1."
#define KID_MAX 16
#define KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define INDEX_BYTES 32
#define KEYS_MAX 64

_Static_assert(KEY_BYTES == 32, "XChaCha20-Poly1305 keys are 32 bytes");
_Static_assert(SN_SEAL_INDEX_HEX == 2 * INDEX_BYTES, "index is 32 bytes");

typedef struct seal_key {
	char          kid[KID_MAX + 1];
	unsigned char key[KEY_BYTES];
} seal_key;

/* The secret block: the blind key, then the keyring. */
typedef struct seal_secret {
	unsigned char blind[INDEX_BYTES];
	size_t        nkeys;
	seal_key      keys[KEYS_MAX];
} seal_secret;

struct sn_seal {
	seal_secret *secret; /* sodium_malloc'd */
};

static _Atomic(const sn_seal *) default_seal;

const sn_seal *
sn_seal_default(void)
{
	return atomic_load(&default_seal);
}

void
sn_seal_set_default(const sn_seal *s)
{
	atomic_store(&default_seal, s);
}

static bool
sodium_ready(void)
{
	/* sodium_init is itself thread-safe and idempotent (0 or 1). */
	return sodium_init() >= 0;
}

static bool
kid_valid(const char *kid, size_t len)
{
	if (len == 0 || len > KID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = kid[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		        || c == '-'))
			return false;
	}
	return true;
}

/* Exactly 64 hex characters (len of them at hex) into 32 bytes. */
static bool
hex_key(const char *hex, size_t len, unsigned char out[32])
{
	size_t      n   = 0;
	const char *end = NULL;

	if (len != 64)
		return false;
	if (sodium_hex2bin(out, 32, hex, len, NULL, &n, &end) != 0 || n != 32
	    || end != hex + len)
		return false;
	return true;
}

/* One line "<kid>:<64 hex>" of len bytes (no newline) into k. */
static bool
parse_line(const char *line, size_t len, seal_key *k)
{
	const char *colon = memchr(line, ':', len);
	size_t      klen;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (colon == NULL)
		return false;
	klen = (size_t) (colon - line);
	if (!kid_valid(line, klen))
		return false;
	memcpy(k->kid, line, klen);
	k->kid[klen] = '\0';
	return hex_key(colon + 1, len - klen - 1, k->key);
}

static bool
parse_keyring(const char *text, seal_secret *sec)
{
	const char *p = text;

	sec->nkeys = 0;
	while (*p != '\0') {
		const char *nl  = strchr(p, '\n');
		size_t      len = nl != NULL ? (size_t) (nl - p) : strlen(p);

		if (len > 0 && !(len == 1 && p[0] == '\r')) {
			seal_key *k = &sec->keys[sec->nkeys];

			if (sec->nkeys == KEYS_MAX || !parse_line(p, len, k))
				return false;
			for (size_t i = 0; i < sec->nkeys; i++)
				if (strcmp(sec->keys[i].kid, k->kid) == 0)
					return false;
			sec->nkeys++;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return sec->nkeys > 0;
}

sn_err
sn_seal_open(sn_seal **out, const char *keyring, const char *blind_key)
{
	sn_seal     *s;
	seal_secret *sec;

	*out = NULL;
	if (keyring == NULL || blind_key == NULL)
		return SN_EINVAL;
	if (!sodium_ready())
		return SN_ENOMEM;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SN_ENOMEM;
	sec = sodium_malloc(sizeof(*sec));
	if (sec == NULL) {
		free(s);
		return SN_ENOMEM;
	}
	sodium_memzero(sec, sizeof(*sec));
	s->secret = sec;
	if (!parse_keyring(keyring, sec)
	    || !hex_key(blind_key, strlen(blind_key), sec->blind)) {
		sn_seal_close(s);
		return SN_EINVAL;
	}
	sodium_mprotect_readonly(sec);
	*out = s;
	return SN_OK;
}

void
sn_seal_close(sn_seal *s)
{
	if (s == NULL)
		return;
	if (sn_seal_default() == s)
		sn_seal_set_default(NULL);
	sodium_free(s->secret); /* wipes before freeing */
	free(s);
}

sn_err
sn_seal_text(
    const sn_seal *s, const char *column, const char *plain, char **out)
{
	const seal_key *k;
	size_t          plen, blen, kidlen, b64len, pos;
	unsigned char  *buf;
	char           *text;

	if (out != NULL)
		*out = NULL;
	if (s == NULL || column == NULL || plain == NULL || out == NULL)
		return SN_EINVAL;
	k      = &s->secret->keys[0];
	plen   = strlen(plain);
	blen   = NONCE_BYTES + plen + TAG_BYTES;
	kidlen = strlen(k->kid);
	b64len = sodium_base64_ENCODED_LEN(
	    blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	buf = malloc(blen);
	if (buf == NULL)
		return SN_ENOMEM;
	text = malloc(strlen(SEAL_PREFIX) + kidlen + 1 + b64len);
	if (text == NULL) {
		free(buf);
		return SN_ENOMEM;
	}
	randombytes_buf(buf, NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + NONCE_BYTES, NULL,
	    (const unsigned char *) plain, plen,
	    (const unsigned char *) column, strlen(column), NULL, buf, k->key);
	pos = strlen(SEAL_PREFIX);
	memcpy(text, SEAL_PREFIX, pos);
	memcpy(text + pos, k->kid, kidlen);
	pos += kidlen;
	text[pos++] = '.';
	sodium_bin2base64(text + pos, b64len, buf, blen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(buf);
	*out = text;
	return SN_OK;
}

static const seal_key *
find_key(const sn_seal *s, const char *kid, size_t len)
{
	for (size_t i = 0; i < s->secret->nkeys; i++) {
		const seal_key *k = &s->secret->keys[i];

		if (strlen(k->kid) == len && memcmp(k->kid, kid, len) == 0)
			return k;
	}
	return NULL;
}

/* The key and the base64 body of sealed, or NULL when malformed. */
static const seal_key *
split_sealed(const sn_seal *s, const char *sealed, const char **body)
{
	const char *kid, *dot;

	if (strncmp(sealed, SEAL_PREFIX, strlen(SEAL_PREFIX)) != 0)
		return NULL;
	kid = sealed + strlen(SEAL_PREFIX);
	dot = strchr(kid, '.');
	if (dot == NULL || !kid_valid(kid, (size_t) (dot - kid)))
		return NULL;
	*body = dot + 1;
	return find_key(s, kid, (size_t) (dot - kid));
}

sn_err
sn_seal_open_text(
    const sn_seal *s, const char *column, const char *sealed, char **out)
{
	const seal_key    *k;
	const char        *body = NULL, *end = NULL;
	size_t             b64len, cap, blen = 0;
	unsigned long long plen = 0;
	unsigned char     *buf;
	char              *plain;

	if (out != NULL)
		*out = NULL;
	if (s == NULL || column == NULL || sealed == NULL || out == NULL)
		return SN_EINVAL;
	k = split_sealed(s, sealed, &body);
	if (k == NULL)
		return SN_EINVAL;
	b64len = strlen(body);
	cap    = b64len / 4 * 3 + 3;
	buf    = malloc(cap);
	if (buf == NULL)
		return SN_ENOMEM;
	if (sodium_base642bin(buf, cap, body, b64len, NULL, &blen, &end,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING)
	        != 0
	    || end != body + b64len || blen < NONCE_BYTES + TAG_BYTES) {
		free(buf);
		return SN_EINVAL;
	}
	plain = malloc(blen - NONCE_BYTES - TAG_BYTES + 1);
	if (plain == NULL) {
		free(buf);
		return SN_ENOMEM;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *) plain,
	        &plen, NULL, buf + NONCE_BYTES, blen - NONCE_BYTES,
	        (const unsigned char *) column, strlen(column), buf, k->key)
	    != 0) {
		free(buf);
		free(plain);
		return SN_EINVAL;
	}
	free(buf);
	plain[plen] = '\0';
	if (strlen(plain) != (size_t) plen) { /* a NUL inside: not ours */
		free(plain);
		return SN_EINVAL;
	}
	*out = plain;
	return SN_OK;
}

void
sn_seal_index(const sn_seal *s, const char *column, const char *plain,
    char out[SN_SEAL_INDEX_HEX + 1])
{
	crypto_generichash_state st;
	unsigned char            h[INDEX_BYTES];

	crypto_generichash_init(
	    &st, s->secret->blind, INDEX_BYTES, INDEX_BYTES);
	/* "column\0value": the NUL keeps ("ab","c") apart from ("a","bc") */
	crypto_generichash_update(
	    &st, (const unsigned char *) column, strlen(column) + 1);
	crypto_generichash_update(
	    &st, (const unsigned char *) plain, strlen(plain));
	crypto_generichash_final(&st, h, INDEX_BYTES);
	sodium_bin2hex(out, SN_SEAL_INDEX_HEX + 1, h, INDEX_BYTES);
	sodium_memzero(&st, sizeof(st));
}
