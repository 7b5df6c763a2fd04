/*
 * tls_test.c - sn_nng_listen / sn_nng_dial (sn/tls.h): URLs other than
 * tls+tcp:// pass through; tls+tcp:// without the three settings, or
 * with a file that is not PEM, is NNG_EINVAL; with certificates (made
 * with the openssl command in a temporary folder), a dialler that names
 * the listener's certificate gets answers, one that names another does
 * not, and neither does a dialler whose certificate is of another CA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "sn/tls.h"

static char dir[] = "/tmp/sn-tls-test-XXXXXX";

static void
sh(const char *cmd)
{
	char full[2048];
	snprintf(
	    full, sizeof(full), "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
	assert_int_equal(system(full), 0);
}

/* CA `ca`: ca.pem/ca.key. */
static void
make_ca(const char *ca)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -days 1 -subj /CN=%s -keyout %s.key -out %s.pem",
	    ca, ca, ca);
	sh(cmd);
}

/* Certificate `name` signed by CA ca: name.pem and name.key with CN and
 * DNS SAN name. */
static void
make_cert(const char *ca, const char *name)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-subj /CN=%s -keyout %s.key -out %s.csr && "
	    "printf 'subjectAltName=DNS:%s\\n' >%s.ext && "
	    "openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key "
	    "-CAcreateserial -days 1 -extfile %s.ext -out %s.pem",
	    name, name, name, name, name, name, ca, ca, name, name);
	sh(cmd);
}

static void
use(const char *cert, const char *ca)
{
	char v[512];
	snprintf(v, sizeof(v), "%s/%s.pem", dir, cert);
	setenv("SN_TLS_CERT_FILE", v, 1);
	snprintf(v, sizeof(v), "%s/%s.key", dir, cert);
	setenv("SN_TLS_KEY_FILE", v, 1);
	snprintf(v, sizeof(v), "%s/%s.pem", dir, ca);
	setenv("SN_TLS_CA_FILE", v, 1);
	sn_tls_shutdown(); /* read again at the next tls+tcp:// */
}

static int
free_port(void)
{
	int                fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr    = htonl(INADDR_LOOPBACK);
	socklen_t len         = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static int
setup(void **state)
{
	(void) state;
	if (mkdtemp(dir) == NULL)
		return -1;
	make_ca("ca");
	make_ca("rogue");
	make_cert("ca", "intake");
	make_cert("ca", "approval");
	make_cert("rogue", "impostor");
	sh("printf 'not a certificate\\n' >junk.pem");
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	sn_tls_shutdown();
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_passthrough(void **state)
{
	(void) state;
	unsetenv("SN_TLS_CERT_FILE");
	unsetenv("SN_TLS_KEY_FILE");
	unsetenv("SN_TLS_CA_FILE");
	sn_tls_shutdown();
	nng_socket rep, req;
	assert_int_equal(nng_rep0_open(&rep), 0);
	assert_int_equal(nng_req0_open(&req), 0);
	assert_int_equal(sn_nng_listen(rep, "inproc://tls-test", NULL), 0);
	assert_int_equal(sn_nng_dial(req, "inproc://tls-test", "x", 0), 0);
	char url[64];
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", free_port());
	assert_int_equal(sn_nng_listen(rep, url, NULL), NNG_EINVAL);
	assert_int_equal(sn_nng_dial(req, url, NULL, 0), NNG_EINVAL);
	nng_close(req);
	nng_close(rep);
}

static void
test_not_pem(void **state)
{
	(void) state;
	use("intake", "junk");
	nng_socket rep;
	assert_int_equal(nng_rep0_open(&rep), 0);
	char url[64];
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", free_port());
	assert_int_equal(sn_nng_listen(rep, url, NULL), NNG_EINVAL);
	nng_close(rep);
}

/* Whether a REQ dialling url as peer_name gets an answer within ms. */
static bool
answered(const char *url, const char *peer_name, int ms)
{
	nng_socket req;
	assert_int_equal(nng_req0_open(&req), 0);
	nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, ms);
	nng_socket_set_ms(req, NNG_OPT_SENDTIMEO, ms);
	nng_socket_set_ms(req, NNG_OPT_REQ_RESENDTIME, 100);
	assert_int_equal(
	    sn_nng_dial(req, url, peer_name, NNG_FLAG_NONBLOCK), 0);
	char  *b  = NULL;
	size_t n  = 0;
	bool   ok = nng_send(req, "hi", 3, 0) == 0
	    && nng_recv(req, &b, &n, NNG_FLAG_ALLOC) == 0;
	if (b != NULL)
		nng_free(b, n);
	nng_close(req);
	return ok;
}

/* A REP answering every request with "yo", on a thread of its own. */
static nng_socket rep;

static void *
serve(void *arg)
{
	(void) arg;
	for (;;) {
		char  *b;
		size_t n;
		if (nng_recv(rep, &b, &n, NNG_FLAG_ALLOC) != 0)
			return NULL;
		nng_free(b, n);
		nng_send(rep, "yo", 3, 0);
	}
}

static void
test_names(void **state)
{
	(void) state;
	use("intake", "ca");
	char url[64];
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", free_port());
	assert_int_equal(nng_rep0_open(&rep), 0);
	assert_int_equal(sn_nng_listen(rep, url, NULL), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, serve, NULL), 0);
	/* the dialler is "intake" too: one certificate per process */
	assert_true(answered(url, "intake", 10000));
	assert_true(answered(url, NULL, 10000));
	assert_false(answered(url, "approval", 1500));
	/* a dialler whose certificate is of another CA, trusting ours */
	use("impostor", "ca");
	assert_false(answered(url, "intake", 1500));
	nng_close(rep);
	pthread_join(th, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passthrough),
		cmocka_unit_test(test_not_pem),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
