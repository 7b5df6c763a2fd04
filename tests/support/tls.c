/*
 * tls.c - the harness's TLS side (see harness.h): HTTPS for th_http when
 * SN_CLIENT_CA_FILE names a CA (OpenSSL), and certificates made for one
 * test with libcrypto in this process (not two openssl commands and a
 * shell per certificate, which an end-to-end test making one per service
 * paid for in CPU beside every other test).
 *
 * One client SSL_CTX per process, made on first use under a mutex: the
 * benchmark client calls th_http_within from many threads, and an
 * SSL_CTX is safe to share once it is set up.
 */
#include "harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct th_tls {
	SSL *ssl;
};

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX        *ctx_cached;
static char            ctx_ca[512];

const char *
th_client_ca(void)
{
	const char *ca = getenv("SN_CLIENT_CA_FILE");
	return ca != NULL && ca[0] != '\0' ? ca : NULL;
}

static SSL_CTX *
client_ctx(const char *ca_file)
{
	pthread_mutex_lock(&ctx_lock);
	if (ctx_cached != NULL && strcmp(ctx_ca, ca_file) != 0) {
		/* another CA than the cached one: a test's own, made per
		 * call (rare; never the benchmark's path) */
		pthread_mutex_unlock(&ctx_lock);
		SSL_CTX *c = SSL_CTX_new(TLS_client_method());
		if (c != NULL
		    && SSL_CTX_load_verify_locations(c, ca_file, NULL) != 1) {
			SSL_CTX_free(c);
			return NULL;
		}
		if (c != NULL) {
			SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
			SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
		}
		return c;
	}
	if (ctx_cached == NULL) {
		SSL_CTX *c = SSL_CTX_new(TLS_client_method());
		if (c != NULL
		    && SSL_CTX_load_verify_locations(c, ca_file, NULL) == 1) {
			SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
			SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
			ctx_cached = c;
			snprintf(ctx_ca, sizeof(ctx_ca), "%s", ca_file);
		} else {
			fprintf(
			    stderr, "th_tls: cannot load CA %s\n", ca_file);
			SSL_CTX_free(c);
		}
	}
	if (ctx_cached != NULL)
		SSL_CTX_up_ref(ctx_cached);
	SSL_CTX *c = ctx_cached;
	pthread_mutex_unlock(&ctx_lock);
	return c;
}

th_tls *
th_tls_client(int fd, const char *ca_file)
{
	SSL_CTX *c = client_ctx(ca_file);
	if (c == NULL)
		return NULL;
	/* The request follows the client's Finished at once: with Nagle it
	 * would wait for the server's delayed ACK (about 50 ms a call). */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	SSL *ssl = SSL_new(c);
	SSL_CTX_free(c); /* the SSL holds its own reference */
	if (ssl == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
		ERR_clear_error();
		SSL_free(ssl);
		return NULL;
	}
	th_tls *s = malloc(sizeof(*s));
	s->ssl    = ssl;
	return s;
}

bool
th_tls_write(th_tls *s, const void *p, size_t n)
{
	while (n > 0) {
		int w = SSL_write(
		    s->ssl, p, n > INT32_MAX ? INT32_MAX : (int) n);
		if (w <= 0)
			return false;
		p = (const char *) p + w;
		n -= (size_t) w;
	}
	return true;
}

long
th_tls_read(th_tls *s, void *p, size_t n)
{
	int r = SSL_read(s->ssl, p, n > INT32_MAX ? INT32_MAX : (int) n);
	if (r > 0)
		return r;
	int e = SSL_get_error(s->ssl, r);
	ERR_clear_error();
	/* the end of the stream, with or without close_notify (the
	 * contexts ignore an unexpected EOF); a reset or a timeout is -1 */
	return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

void
th_tls_close(th_tls *s)
{
	if (s == NULL)
		return;
	SSL_shutdown(s->ssl);
	SSL_free(s->ssl);
	ERR_clear_error();
	free(s);
}

/* A fresh P-256 key; the test fails if OpenSSL cannot make one. */
static EVP_PKEY *
new_key(th *t)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	if (k == NULL)
		th_fail(t, "EVP_EC_gen(P-256) failed");
	return k;
}

/* Adds extension nid with value v (openssl.cnf's syntax), issued by
 * issuer (x itself for a self-signed certificate). */
static void
add_ext(th *t, X509 *x, X509 *issuer, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
	if (e == NULL || X509_add_ext(x, e, -1) != 1)
		th_fail(t, "certificate extension %d '%s' refused", nid, v);
	X509_EXTENSION_free(e);
}

/* A certificate for key with common name cn, valid from now for two days,
 * signed by ca_key as issuer (NULL: itself). Not yet signed extensions:
 * the caller's. */
static X509 *
new_cert(th *t, EVP_PKEY *key, const char *cn, X509 *issuer)
{
	static long serial;
	X509       *x = X509_new();
	if (x == NULL || X509_set_version(x, 2) != 1)
		th_fail(t, "X509_new failed");
	ASN1_INTEGER_set(
	    X509_get_serialNumber(x), ((long) getpid() << 16) + ++serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 2 * 86400L);
	X509_NAME *n = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(
	        n, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0)
	        != 1
	    || X509_set_issuer_name(
	           x, X509_get_subject_name(issuer ? issuer : x))
	        != 1
	    || X509_set_pubkey(x, key) != 1)
		th_fail(t, "certificate fields for %s refused", cn);
	return x;
}

/* Writes key (PKCS#8 PEM, mode 0600 as openssl writes it) and cert to
 * <run_dir>/<base>.key and <run_dir>/<base>.pem. */
static void
write_pair(
    th *t, const char *key_file, const char *pem_file, EVP_PKEY *key, X509 *x)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", t->run_dir, key_file);
	int   fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FILE *f  = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL
	    || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1)
		th_fail(t, "cannot write %s", path);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s", t->run_dir, pem_file);
	f = fopen(path, "w");
	if (f == NULL || PEM_write_X509(f, x) != 1)
		th_fail(t, "cannot write %s", path);
	fclose(f);
}

/* Reads <run_dir>/<name> as a PEM key (is_key) or certificate. */
static void *
read_pem(th *t, const char *name, bool is_key)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", t->run_dir, name);
	FILE *f = fopen(path, "r");
	void *v = NULL;
	if (f != NULL) {
		v = is_key ? (void *) PEM_read_PrivateKey(f, NULL, NULL, NULL)
		           : (void *) PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (v == NULL)
		th_fail(t, "cannot read %s", path);
	return v;
}

void
th_tls_make_ca(th *t, const char *ca)
{
	EVP_PKEY *key = new_key(t);
	X509     *x   = new_cert(t, key, ca, NULL);
	/* As openssl req -x509 makes it (openssl.cnf's v3_ca). */
	add_ext(t, x, x, NID_subject_key_identifier, "hash");
	add_ext(t, x, x, NID_authority_key_identifier, "keyid:always");
	add_ext(t, x, x, NID_basic_constraints, "critical,CA:TRUE");
	if (X509_sign(x, key, EVP_sha256()) == 0)
		th_fail(t, "cannot sign CA %s", ca);
	char k[256], p[256];
	snprintf(k, sizeof(k), "%s-ca.key", ca);
	snprintf(p, sizeof(p), "%s-ca.pem", ca);
	write_pair(t, k, p, key, x);
	X509_free(x);
	EVP_PKEY_free(key);
}

void
th_tls_make_cert(th *t, const char *ca, const char *name, const char *file)
{
	char k[256], p[256], san[300];
	snprintf(k, sizeof(k), "%s-ca.key", ca);
	snprintf(p, sizeof(p), "%s-ca.pem", ca);
	EVP_PKEY *ca_key  = read_pem(t, k, true);
	X509     *ca_cert = read_pem(t, p, false);
	EVP_PKEY *key     = new_key(t);
	X509     *x       = new_cert(t, key, name, ca_cert);
	snprintf(san, sizeof(san), "DNS:%s", name);
	add_ext(t, x, ca_cert, NID_subject_alt_name, san);
	add_ext(t, x, ca_cert, NID_subject_key_identifier, "hash");
	add_ext(t, x, ca_cert, NID_authority_key_identifier, "keyid:always");
	if (X509_sign(x, ca_key, EVP_sha256()) == 0)
		th_fail(t, "cannot sign %s with CA %s", name, ca);
	snprintf(k, sizeof(k), "%s.key", file);
	snprintf(p, sizeof(p), "%s.pem", file);
	write_pair(t, k, p, key, x);
	X509_free(x);
	EVP_PKEY_free(key);
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
}
