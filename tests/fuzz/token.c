/*
 * fuzz_token: the Authorization header every HTTP request brings
 * (sn_auth_verify, sn/auth.h), verified with a P-256 key made at start.
 * The first input byte picks the mode:
 *   even  the rest is the header as sent: it must not verify (nothing
 *         here can sign), and nothing may crash reading it;
 *   odd   the rest names a principal (user, role, jurisdiction and
 *         identity number, separated by NUL bytes) and a byte to change:
 *         the principal is issued a token exactly when it is valid
 *         (sn_auth_principal_valid), the token verifies back to the same
 *         principal, also under a lower-case "bearer", and with any byte
 *         of its header or claims changed it no longer verifies.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fuzz.h"
#include "sn/auth.h"

static sn_auth *
auth(void)
{
	static sn_auth *a;
	if (a != NULL)
		return a;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIO      *b = BIO_new(BIO_s_mem());
	FUZZ_CHECK(k != NULL && b != NULL);
	FUZZ_CHECK(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
	char *pem = NULL;
	long  n   = BIO_get_mem_data(b, &pem);
	char *z   = fuzz_str((const uint8_t *) pem, (size_t) n);
	FUZZ_CHECK(sn_auth_open(&a, z) == SN_OK && sn_auth_can_issue(a));
	free(z);
	BIO_free(b);
	EVP_PKEY_free(k);
	return a;
}

/* The next NUL-separated part of s (at most cap - 1 bytes kept). */
static const char *
part(const char *s, const char *end, char *out, size_t cap)
{
	size_t n = 0;
	while (s < end && *s != '\0') {
		if (n + 1 < cap)
			out[n++] = *s;
		s++;
	}
	out[n] = '\0';
	return s < end ? s + 1 : s;
}

static bool
same(const sn_principal *a, const sn_principal *b)
{
	return strcmp(a->user, b->user) == 0 && strcmp(a->role, b->role) == 0
	    && strcmp(a->juris, b->juris) == 0
	    && strcmp(a->id_number, b->id_number) == 0;
}

static void
verify_as(const char *scheme, const char *token, const sn_principal *want)
{
	size_t n = strlen(scheme) + strlen(token) + 1;
	char  *h = malloc(n);
	FUZZ_CHECK(h != NULL);
	snprintf(h, n, "%s%s", scheme, token);
	sn_principal got;
	memset(&got, 0, sizeof(got));
	FUZZ_CHECK(sn_auth_verify(auth(), h, &got) == SN_OK);
	FUZZ_CHECK(same(&got, want));
	free(h);
}

static void
issued(const uint8_t *data, size_t size)
{
	const char  *s = (const char *) data, *end = s + size;
	sn_principal p;
	memset(&p, 0, sizeof(p));
	s            = part(s, end, p.user, sizeof(p.user));
	s            = part(s, end, p.role, sizeof(p.role));
	s            = part(s, end, p.juris, sizeof(p.juris));
	s            = part(s, end, p.id_number, sizeof(p.id_number));
	char  *token = NULL;
	sn_err err   = sn_auth_issue(auth(), &p, 600, &token);
	FUZZ_CHECK((err == SN_OK) == sn_auth_principal_valid(&p));
	if (err != SN_OK)
		return;
	verify_as("Bearer ", token, &p);
	verify_as("bearer ", token, &p);
	/* A byte of the header or the claims changed: refused. */
	size_t signed_len = (size_t) (strrchr(token, '.') - token);
	size_t at         = s < end ? (size_t) (uint8_t) *s % signed_len : 0;
	char   was        = token[at];
	token[at]         = (char) (was == 'A' ? 'B' : 'A');
	char *h           = malloc(strlen(token) + 8);
	FUZZ_CHECK(h != NULL);
	snprintf(h, strlen(token) + 8, "Bearer %s", token);
	sn_principal got;
	FUZZ_CHECK(sn_auth_verify(auth(), h, &got) == SN_EAUTH);
	free(h);
	free(token);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0) {
		char        *h = fuzz_str(data + 1, size - 1);
		sn_principal got;
		FUZZ_CHECK(sn_auth_verify(auth(), h, &got) == SN_EAUTH);
		free(h);
	} else {
		issued(data + 1, size - 1);
	}
	return 0;
}
