/*
 * httpc_test.c - sn/httpc.h against real servers on 127.0.0.1: sn_http
 * itself over HTTPS with a test CA (certificates made with the openssl
 * command in a temporary folder), on the same loop as the client, and
 * `openssl s_server` demanding a client certificate for mutual TLS.
 *
 * Asserts: GET and PUT with headers and a JSON body reach the handler
 * and the answer (status, body) comes back; the certificate's name is
 * verified (a peer_name the certificate does not carry is SN_EAUTH, and
 * so is a server of another CA); a closed port is SN_EIO; a server that
 * never answers is SN_ETIMEDOUT within the request's timeout; a larger
 * answer than max_answer is SN_EPROTO; closing with requests in flight
 * ends each once with SN_ECLOSED and the loop closes with no handle
 * left; the client certificate is presented (s_server with -Verify
 * answers us, and refuses a client without one). And sn_http's
 * client-certificate routes (SN_HTTP_CLIENT_CERT) as sn_httpc meets
 * them: with a client CA, the certificate of that CA is answered 200,
 * none and one of another CA 403 client_certificate_required, while a
 * public route answers all three and a token route still wants its
 * token; without a client CA the route refuses even that certificate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sn/http.h"
#include "sn/httpc.h"
#include "sn/log.h"
#include "sn/loop.h"

static char dir[] = "/tmp/sn-httpc-test-XXXXXX";

static sn_loop     *loop;
static sn_http     *http;
static sn_http     *cert_http; /* test_http_client_cert_routes's */
static uint16_t     port;
static sn_http_req *hung[16]; /* unanswered; answered at teardown */
static int          nhung;

static void
sh(const char *cmd)
{
	char full[2048];
	snprintf(
	    full, sizeof(full), "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
	assert_int_equal(system(full), 0);
}

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

static char *
path(const char *file)
{
	static char p[4][256];
	static int  i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, file);
	return p[i];
}

static char *
slurp(const char *file)
{
	FILE *f = fopen(path(file), "r");
	assert_non_null(f);
	char  *buf = calloc(1, 65536);
	size_t n   = fread(buf, 1, 65535, f);
	assert_true(n > 0);
	fclose(f);
	return buf;
}

/* ---- the server (same loop) ----------------------------------------- */

static void
on_echo(sn_http_req *req, void *arg)
{
	(void) arg;
	sn_http_reply_json(req, 201,
	    json_pack("{s:s, s:O?, s:s?}", "method", sn_http_method(req),
	        "got", sn_http_json(req), "sig",
	        sn_http_header(req, "X-Signature")));
}

static void
on_big(sn_http_req *req, void *arg)
{
	char big[4096];
	(void) arg;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sn_http_reply_json(req, 200, json_pack("{s:s}", "big", big));
}

static void
on_hang(sn_http_req *req, void *arg)
{
	(void) arg;
	assert_true(nhung < 16);
	hung[nhung++] = req;
}

static void
answer_hung(void)
{
	while (nhung > 0)
		sn_http_reply_json(hung[--nhung], 200, json_pack("{}"));
}

static int
setup(void **state)
{
	(void) state;
	if (mkdtemp(dir) == NULL)
		return -1;
	make_ca("ca");
	make_ca("rogue");
	make_cert("ca", "sim");
	make_cert("ca", "client");
	make_cert("rogue", "impostor");

	char          *cert = slurp("sim.pem"), *key = slurp("sim.key");
	sn_http_config cfg = { .tls_cert_pem = cert, .tls_key_pem = key };
	if (sn_loop_open(&loop, 0) != SN_OK
	    || sn_http_open(&http, loop, &cfg) != SN_OK)
		return -1;
	free(cert);
	free(key);
	port = sn_http_port(http);
	if (sn_http_route(
	        http, "PUT", "/echo/{id}", SN_HTTP_PUBLIC, NULL, on_echo, NULL)
	        != SN_OK
	    || sn_http_route(
	           http, "GET", "/echo", SN_HTTP_PUBLIC, NULL, on_echo, NULL)
	        != SN_OK
	    || sn_http_route(
	           http, "GET", "/big", SN_HTTP_PUBLIC, NULL, on_big, NULL)
	        != SN_OK
	    || sn_http_route(
	           http, "GET", "/hang", SN_HTTP_PUBLIC, NULL, on_hang, NULL)
	        != SN_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	sn_http_close(http);
	sn_http_close(cert_http); /* still open when its test failed */
	answer_hung();
	sn_loop_run(loop);
	/* sn_loop_close asserts nothing; every handle of ours is closed */
	sn_loop_close(loop);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the client ----------------------------------------------------- */

struct got {
	int    calls;
	sn_err err;
	long   status;
	char   body[8192];
	char   error[256];
};

static void
on_answer(const sn_httpc_answer *a, void *arg)
{
	struct got *g = arg;
	g->calls++;
	g->err    = a->err;
	g->status = a->status;
	snprintf(g->body, sizeof(g->body), "%s", a->body);
	snprintf(g->error, sizeof(g->error), "%s", a->error);
}

static void
run_until(struct got *g)
{
	while (g->calls == 0)
		uv_run(sn_loop_uv(loop), UV_RUN_ONCE);
}

static sn_httpc *
client(const char *ca, const char *cert)
{
	sn_httpc       *c;
	sn_httpc_config cfg = { .ca_file = path(ca),
		.cert_file               = cert ? path(cert) : "",
		.key_file                = "" };
	char            key[64];
	if (cert != NULL) {
		snprintf(key, sizeof(key), "%.*s.key",
		    (int) (strlen(cert) - 4), cert);
		cfg.key_file = path(key);
	}
	assert_int_equal(sn_httpc_open(&c, loop, &cfg), SN_OK);
	return c;
}

static void
close_client(sn_httpc *c)
{
	sn_httpc_close(c);
	/* the client's handles close on the next turns of the loop */
	for (int i = 0; i < 4; i++)
		uv_run(sn_loop_uv(loop), UV_RUN_NOWAIT);
}

static void
get(sn_httpc *c, const char *url, const char *peer, uint32_t timeout_ms,
    struct got *g)
{
	sn_httpc_request r
	    = { .url = url, .peer_name = peer, .timeout_ms = timeout_ms };
	memset(g, 0, sizeof(*g));
	assert_int_equal(sn_httpc_send(c, &r, on_answer, g), SN_OK);
	run_until(g);
	assert_int_equal(g->calls, 1);
}

static void
test_get_put(void **state)
{
	(void) state;
	sn_httpc  *c = client("ca.pem", NULL);
	char       url[128];
	struct got g;

	snprintf(url, sizeof(url), "https://127.0.0.1:%u/echo", port);
	get(c, url, "sim", 0, &g);
	assert_int_equal(g.err, SN_OK);
	assert_int_equal(g.status, 201);
	json_error_t je;
	json_t      *j = json_loads(g.body, 0, &je);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(j, "method")), "GET");
	json_decref(j);

	/* PUT with a JSON body and a header; two at once */
	static const char body[] = "{\"n\": 42, \"text\": \"\xe5\x90\x8d\"}";
	const char       *hdrs[] = { "X-Signature: abc", "Accept: */*" };
	struct got        g2[2]  = { { 0 }, { 0 } };
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/echo/7", port);
	sn_httpc_request r = { .method = "PUT",
		.url                   = url,
		.headers               = hdrs,
		.n_headers             = 2,
		.body                  = body,
		.body_len              = sizeof(body) - 1,
		.peer_name             = "sim" };
	assert_int_equal(sn_httpc_send(c, &r, on_answer, &g2[0]), SN_OK);
	assert_int_equal(sn_httpc_send(c, &r, on_answer, &g2[1]), SN_OK);
	assert_int_equal(sn_httpc_inflight(c), 2);
	run_until(&g2[0]);
	run_until(&g2[1]);
	assert_int_equal(sn_httpc_inflight(c), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(g2[i].calls, 1);
		assert_int_equal(g2[i].err, SN_OK);
		assert_int_equal(g2[i].status, 201);
		j = json_loads(g2[i].body, 0, &je);
		assert_non_null(j);
		assert_string_equal(
		    json_string_value(json_object_get(j, "method")), "PUT");
		assert_string_equal(
		    json_string_value(json_object_get(j, "sig")), "abc");
		json_t *got = json_object_get(j, "got");
		assert_int_equal(
		    json_integer_value(json_object_get(got, "n")), 42);
		assert_string_equal(
		    json_string_value(json_object_get(got, "text")),
		    "\xe5\x90\x8d");
		json_decref(j);
	}

	/* a header line with a newline is refused before anything goes */
	const char *evil[] = { "X-A: 1\r\nX-B: 2" };
	r.headers          = evil;
	r.n_headers        = 1;
	assert_int_equal(sn_httpc_send(c, &r, on_answer, &g), SN_EINVAL);
	close_client(c);
}

static void
test_names_and_cas(void **state)
{
	(void) state;
	sn_httpc  *c = client("ca.pem", NULL);
	char       url[128];
	struct got g;

	/* the certificate names "sim", not "intake" nor "127.0.0.1" */
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/echo", port);
	get(c, url, "intake", 0, &g);
	assert_int_equal(g.err, SN_EAUTH);
	assert_int_equal(g.status, 0);
	get(c, url, NULL, 0, &g);
	assert_int_equal(g.err, SN_EAUTH);
	close_client(c);

	/* a client that trusts another CA refuses the server */
	c = client("rogue.pem", NULL);
	get(c, url, "sim", 0, &g);
	assert_int_equal(g.err, SN_EAUTH);
	close_client(c);
}

static void
test_failures(void **state)
{
	(void) state;
	sn_httpc       *c     = client("ca.pem", NULL);
	sn_httpc_config small = { .ca_file = path("ca.pem"),
		.cert_file                 = "",
		.key_file                  = "",
		.max_answer                = 1000 };
	sn_httpc       *s;
	char            url[128];
	struct got      g;

	/* a port nobody listens on */
	int                fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t          sl = sizeof(sa);
	sa.sin_addr.s_addr    = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &sl), 0);
	close(fd);
	snprintf(
	    url, sizeof(url), "https://127.0.0.1:%u/echo", ntohs(sa.sin_port));
	get(c, url, "sim", 0, &g);
	assert_int_equal(g.err, SN_EIO);
	assert_true(g.error[0] != '\0');

	/* a server that never answers */
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/hang", port);
	uint64_t t0 = sn_now_ms();
	get(c, url, "sim", 300, &g);
	assert_int_equal(g.err, SN_ETIMEDOUT);
	assert_true(sn_now_ms() - t0 >= 300);

	/* an answer over the limit */
	assert_int_equal(sn_httpc_open(&s, loop, &small), SN_OK);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/big", port);
	get(s, url, "sim", 0, &g);
	assert_int_equal(g.err, SN_EPROTO);
	close_client(s);
	get(c, url, "sim", 0, &g);
	assert_int_equal(g.err, SN_OK);
	assert_true(strlen(g.body) > 4000);
	close_client(c);
}

/* a callback that sends again: refused once the client is closing */
static sn_httpc *closing_c;
static int       resent;

static void
on_closed(const sn_httpc_answer *a, void *arg)
{
	on_answer(a, arg);
	sn_httpc_request r = { .url = "https://127.0.0.1:1/" };
	struct got       g;
	resent = sn_httpc_send(closing_c, &r, on_answer, &g);
}

static void
test_close_in_flight(void **state)
{
	(void) state;
	sn_loop   *l;
	sn_httpc  *c;
	struct got g[3];
	char       url[128];

	/* a loop of its own, to see that nothing stays open */
	assert_int_equal(sn_loop_open(&l, 0), SN_OK);
	sn_httpc_config cfg
	    = { .ca_file = path("ca.pem"), .cert_file = "", .key_file = "" };
	assert_int_equal(sn_httpc_open(&c, l, &cfg), SN_OK);
	closing_c = c;
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/hang", port);
	sn_httpc_request r = { .url = url, .peer_name = "sim" };
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    sn_httpc_send(c, &r, on_closed, &g[i]), SN_OK);
	/* the other loop serves /hang; this one only starts connecting */
	for (int i = 0; i < 20; i++) {
		uv_run(sn_loop_uv(l), UV_RUN_NOWAIT);
		uv_run(sn_loop_uv(loop), UV_RUN_NOWAIT);
	}
	sn_httpc_close(c);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].err, SN_ECLOSED);
	}
	assert_int_equal(resent, SN_ECLOSED);
	sn_httpc_close(c); /* again: a no-op until it is freed */
	uv_run(sn_loop_uv(l), UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_alive(sn_loop_uv(l)), 0);
	sn_loop_close(l);
	/* the hung requests of this test: answer them */
	for (int i = 0; i < 20; i++)
		uv_run(sn_loop_uv(loop), UV_RUN_NOWAIT);
	answer_hung();
}

/* mutual TLS: openssl s_server demands a certificate of our CA */
static void
test_client_cert(void **state)
{
	(void) state;
	int                fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t          sl = sizeof(sa);
	sa.sin_addr.s_addr    = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &sl), 0);
	close(fd);
	unsigned sport = ntohs(sa.sin_port);
	char     portarg[16];
	snprintf(portarg, sizeof(portarg), "%u", sport);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(127);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execlp("openssl", "openssl", "s_server", "-accept", portarg,
		    "-cert", "sim.pem", "-key", "sim.key", "-CAfile", "ca.pem",
		    "-Verify", "1", "-verify_return_error", "-www", "-quiet",
		    (char *) NULL);
		_exit(127);
	}
	/* wait until it listens */
	int up = 0;
	for (int i = 0; i < 200 && !up; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		up = connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
		close(fd);
		if (!up)
			nanosleep(&(struct timespec) { 0, 20000000 }, NULL);
	}
	assert_true(up);

	char       url[128];
	struct got g;
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", sport);
	sn_httpc *c = client("ca.pem", "client.pem");
	get(c, url, "sim", 5000, &g);
	assert_int_equal(g.err, SN_OK);
	assert_int_equal(g.status, 200);
	close_client(c);

	c = client("ca.pem", NULL);
	get(c, url, "sim", 5000, &g);
	assert_int_not_equal(g.err, SN_OK);
	close_client(c);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void
on_bank(sn_http_req *req, void *arg)
{
	(void) arg;
	assert_null(sn_http_principal(req));
	sn_http_reply_json(req, 200, json_pack("{s:s}", "bank", "ok"));
}

/* One request to path on sport by a client trusting ca.pem, presenting
 * cert (NULL: none); the status, or -1 when no HTTP answer came. The
 * error code of a refusal in code (cap 64). */
static long
cert_get(unsigned sport, const char *path_, const char *cert, char *code)
{
	char       url[128];
	struct got g;
	sn_httpc  *c = client("ca.pem", cert);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u%s", sport, path_);
	get(c, url, "sim", 5000, &g);
	close_client(c);
	code[0] = '\0';
	if (g.err != SN_OK)
		return -1;
	json_error_t je;
	json_t      *j = json_loads(g.body, 0, &je);
	const char  *v = json_string_value(
	     json_object_get(json_object_get(j, "error"), "code"));
	snprintf(code, 64, "%s", v != NULL ? v : "");
	json_decref(j);
	return g.status;
}

/* A server of sim's certificate with the client CA ca (NULL: none) and
 * the routes /bank (client certificate), /open (public), /staff (a
 * token); its port. */
static sn_http *
cert_server(const char *ca, unsigned *sport)
{
	char          *cert = slurp("sim.pem"), *key = slurp("sim.key");
	char          *ca_pem = ca != NULL ? slurp(ca) : NULL;
	sn_http       *h;
	sn_http_config cfg = { .tls_cert_pem = cert,
		.tls_key_pem                 = key,
		.tls_client_ca_pem           = ca_pem };
	assert_int_equal(sn_http_open(&h, loop, &cfg), SN_OK);
	cert_http = h;
	free(cert);
	free(key);
	free(ca_pem);
	assert_int_equal(sn_http_route(h, "GET", "/bank", SN_HTTP_CLIENT_CERT,
	                     NULL, on_bank, NULL),
	    SN_OK);
	assert_int_equal(sn_http_route(h, "GET", "/open", SN_HTTP_PUBLIC, NULL,
	                     on_bank, NULL),
	    SN_OK);
	assert_int_equal(
	    sn_http_route(h, "GET", "/staff", 0, NULL, on_bank, NULL), SN_OK);
	/* an access level is one: public and client certificate is not */
	assert_int_equal(
	    sn_http_route(h, "GET", "/both",
	        SN_HTTP_PUBLIC | SN_HTTP_CLIENT_CERT, NULL, on_bank, NULL),
	    SN_EINVAL);
	*sport = sn_http_port(h);
	return h;
}

static void
close_server(sn_http *h)
{
	sn_http_close(h);
	cert_http = NULL;
	for (int i = 0; i < 4; i++)
		uv_run(sn_loop_uv(loop), UV_RUN_NOWAIT);
}

static void
test_http_client_cert_routes(void **state)
{
	(void) state;
	unsigned sport;
	char     code[64];
	sn_http *h = cert_server("ca.pem", &sport);

	assert_int_equal(cert_get(sport, "/bank", "client.pem", code), 200);
	assert_int_equal(cert_get(sport, "/bank", NULL, code), 403);
	assert_string_equal(code, "client_certificate_required");
	/* of the rogue CA: the handshake passes (the certificate is asked
	 * for, not required), the route refuses it */
	assert_int_equal(cert_get(sport, "/bank", "impostor.pem", code), 403);
	assert_string_equal(code, "client_certificate_required");
	/* public routes ask nothing of a certificate */
	assert_int_equal(cert_get(sport, "/open", NULL, code), 200);
	assert_int_equal(cert_get(sport, "/open", "impostor.pem", code), 200);
	assert_int_equal(cert_get(sport, "/healthz", NULL, code), 200);
	/* and a certificate is no token */
	assert_int_equal(cert_get(sport, "/staff", "client.pem", code), 401);
	close_server(h);

	/* no client CA: fail closed, even for our CA's certificate */
	h = cert_server(NULL, &sport);
	assert_int_equal(cert_get(sport, "/bank", "client.pem", code), 403);
	assert_string_equal(code, "client_certificate_required");
	assert_int_equal(cert_get(sport, "/open", NULL, code), 200);
	close_server(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_put),
		cmocka_unit_test(test_names_and_cas),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_close_in_flight),
		cmocka_unit_test(test_client_cert),
		cmocka_unit_test(test_http_client_cert_routes),
	};
	signal(SIGPIPE, SIG_IGN);
	sn_log_init("httpc_test", SN_LOG_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
