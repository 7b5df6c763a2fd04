/*
 * tls.c - the harness's TLS side (see harness.h): HTTPS for th_http when
 * SN_CLIENT_CA_FILE names a CA (OpenSSL), and certificates made for one
 * test with the openssl command.
 *
 * One client SSL_CTX per process, made on first use under a mutex: the
 * benchmark client calls th_http_within from many threads, and an
 * SSL_CTX is safe to share once it is set up.
 */
#include "harness.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

/* Runs the shell command cmd (output to log); the test fails if it does. */
static void
run_cmd(th *t, const char *cmd)
{
	int rc = system(cmd);
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0)
		th_fail(t, "openssl failed (%d): %s", rc, cmd);
}

void
th_tls_make_ca(th *t, const char *ca)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
	    "-subj '/CN=%s' -keyout %s-ca.key -out %s-ca.pem "
	    ">>openssl.log 2>&1",
	    t->run_dir, ca, ca, ca);
	run_cmd(t, cmd);
}

void
th_tls_make_cert(th *t, const char *ca, const char *name, const char *file)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && openssl req -newkey ec "
	    "-pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=%s' "
	    "-keyout %s.key -out %s.csr >>openssl.log 2>&1 && "
	    "printf 'subjectAltName=DNS:%s\\n' >%s.ext && "
	    "openssl x509 -req -in %s.csr -CA %s-ca.pem -CAkey %s-ca.key "
	    "-CAcreateserial -days 2 -extfile %s.ext -out %s.pem "
	    ">>openssl.log 2>&1",
	    t->run_dir, name, file, file, name, file, file, ca, ca, file,
	    file);
	run_cmd(t, cmd);
}
