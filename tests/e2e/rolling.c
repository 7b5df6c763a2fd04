/*
 * rolling.c - rolling updates lose no request (issue 16, item 5).
 *
 * Every service binary the suite starts (the eight services, agency-sim,
 * bank-sim and bank-gateway) gets NCONN concurrent requests around a
 * SIGTERM: half on keep-alive connections that already had an answer,
 * half on fresh ones (connected, some still waiting in the listen
 * backlog), a cheap GET and, where the service has one, a keyed POST.
 * Every connection is silent for IDLE_US, longer than a draining
 * server's idle limit, and sends its request (a fresh one its TLS
 * handshake first) at the moment of the signal.
 * Meanwhile a prober connects again and again until the process is gone.
 *
 * Required, per service: every request on a connection the kernel
 * accepted gets a whole HTTP answer (any status; 503 is fine) and never
 * a reset or an end of stream without one; once a connect is refused
 * (the listening socket drops SYNs or is closed), no later connect
 * succeeds; the
 * process exits 0 within EXIT_MS. The counts answered / reset are printed
 * per service.
 */
#define _GNU_SOURCE /* strcasestr, usleep */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

#define NCONN 16
#define IO_MS 20000
/* A draining server drops SYNs for a tenth of a second before it closes
 * its port (sn_http_quiesce): such a connect would be refused at the
 * SYN's retry a second later. The prober does not wait for it: a connect
 * that has not completed in PROBE_CONNECT_MS counts as refused (the
 * client has no connection). */
#define PROBE_CONNECT_MS 100
#define EXIT_MS 15000
#define IDLE_US 1500000

typedef struct target {
	const char *name;
	int         port;
	bool        tls;
	const char *post;  /* a keyed POST path, or NULL */
	const char *role;  /* its token's role (NULL: public) */
	const char *juris; /* its token's jurisdiction */
	char       *token;
	th_proc    *proc;
} target;

typedef struct conn {
	const target      *tg;
	int                i;
	pthread_barrier_t *go;
	int                fd;
	th_tls            *tls;
	int                result; /* 1 answered, 0 reset/EOF, -1 refused */
	int                status;
	char               why[96];
} conn;

static int
tcp_connect(int port, int connect_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TH_CHECK(&T, fd >= 0, "socket: %s", strerror(errno));
	struct sockaddr_in a
	    = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* SO_SNDTIMEO bounds connect() too (Linux), then the writes. */
	struct timeval tc = { connect_ms / 1000, (connect_ms % 1000) * 1000 };
	struct timeval tv = { IO_MS / 1000, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tc, sizeof(tc));
	if (connect(fd, (struct sockaddr *) &a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static bool
c_write(conn *c, const char *p, size_t n)
{
	return c->tls != NULL ? th_tls_write(c->tls, p, n)
	                      : th_send_all(c->fd, p, n);
}

static long
c_read(conn *c, char *p, size_t n)
{
	if (c->tls != NULL)
		return th_tls_read(c->tls, p, n);
	long r = recv(c->fd, p, n, 0);
	return r;
}

/* Reads one whole answer (headers and Content-Length bytes): its status,
 * or -1 with c->why said. */
static int
read_answer(conn *c)
{
	char   buf[16384];
	size_t have = 0;
	char  *eoh  = NULL;
	while (eoh == NULL) {
		if (have + 1 >= sizeof(buf)) {
			snprintf(c->why, sizeof(c->why), "headers too long");
			return -1;
		}
		long r = c_read(c, buf + have, sizeof(buf) - 1 - have);
		if (r <= 0) {
			snprintf(c->why, sizeof(c->why), "%s after %zu bytes",
			    r == 0 ? "end of stream" : "reset/error", have);
			return -1;
		}
		have += (size_t) r;
		buf[have] = '\0';
		eoh       = strstr(buf, "\r\n\r\n");
	}
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
		snprintf(c->why, sizeof(c->why), "not HTTP");
		return -1;
	}
	size_t      clen = 0;
	const char *cl   = strcasestr(buf, "\r\nContent-Length:");
	if (cl != NULL && cl < eoh)
		clen = strtoul(cl + 17, NULL, 10);
	size_t body = have - (size_t) (eoh + 4 - buf);
	while (body < clen) {
		long r = c_read(c, buf, sizeof(buf));
		if (r <= 0) {
			snprintf(c->why, sizeof(c->why),
			    "%s in the body (%zu of %zu)",
			    r == 0 ? "end of stream" : "reset/error", body,
			    clen);
			return -1;
		}
		body += (size_t) r;
	}
	return status;
}

static bool
send_request(conn *c, bool post)
{
	char req[4096];
	int  n;
	if (post) {
		char auth[2048] = "";
		if (c->tg->token != NULL)
			snprintf(auth, sizeof(auth),
			    "Authorization: Bearer %s\r\n", c->tg->token);
		n = snprintf(req, sizeof(req),
		    "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
		    "Idempotency-Key: rolling-%d-%d\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: 2\r\n\r\n{}",
		    c->tg->post, auth, getpid(), c->i);
	} else
		n = snprintf(req, sizeof(req),
		    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	return c_write(c, req, (size_t) n);
}

static void *
conn_main(void *arg)
{
	conn *c         = arg;
	bool  keepalive = c->i % 2 == 0;
	bool  post      = c->tg->post != NULL && c->i % 4 >= 2;
	c->result       = 0;
	c->fd           = tcp_connect(c->tg->port, IO_MS);
	if (c->fd < 0) {
		c->result = -1;
		pthread_barrier_wait(c->go);
		return NULL;
	}
	if (keepalive) {
		/* a connection in use: one answer already had */
		if (c->tg->tls
		    && (c->tls = th_tls_client(c->fd, th_client_ca())) == NULL)
			th_fail(&T, "%s: TLS handshake before the signal",
			    c->tg->name);
		if (!send_request(c, false) || read_answer(c) < 0)
			th_fail(&T, "%s: first answer before the signal: %s",
			    c->tg->name, c->why);
	}
	pthread_barrier_wait(c->go);
	usleep(IDLE_US - 500);
	if (!keepalive && c->tg->tls
	    && (c->tls = th_tls_client(c->fd, th_client_ca())) == NULL) {
		snprintf(c->why, sizeof(c->why), "TLS handshake failed");
		return NULL;
	}
	if (!send_request(c, post)) {
		snprintf(c->why, sizeof(c->why), "send failed");
		return NULL;
	}
	c->status = read_answer(c);
	if (c->status > 0)
		c->result = 1;
	return NULL;
}

typedef struct prober {
	const target *tg;
	atomic_bool   stop;
	int           accepted, answered, refused;
	int           accepted_after_refused;
	char          why[96];
} prober;

/* Connects every few milliseconds until told to stop: each connection
 * accepted asks GET /healthz and must be answered; once one is refused,
 * none may be accepted again. */
static void *
prober_main(void *arg)
{
	prober *p = arg;
	while (!atomic_load(&p->stop)) {
		conn c = { .tg = p->tg, .i = -1 };
		c.fd   = tcp_connect(p->tg->port, PROBE_CONNECT_MS);
		if (c.fd < 0) {
			p->refused++;
			usleep(2000);
			continue;
		}
		p->accepted++;
		if (p->refused > 0)
			p->accepted_after_refused++;
		bool ok = !p->tg->tls
		    || (c.tls = th_tls_client(c.fd, th_client_ca())) != NULL;
		if (!ok)
			snprintf(c.why, sizeof(c.why), "TLS handshake failed");
		else if (!send_request(&c, false))
			snprintf(c.why, sizeof(c.why), "send failed");
		else if (read_answer(&c) > 0)
			p->answered++;
		if (c.why[0] != '\0' && p->why[0] == '\0')
			snprintf(p->why, sizeof(p->why), "%s", c.why);
		th_tls_close(c.tls);
		close(c.fd);
		usleep(2000);
	}
	return NULL;
}

typedef struct tally {
	int answered, reset, refused, probe_acc, probe_ans, late;
	int exit_ok;
} tally;

static tally
roll(target *tg)
{
	static conn       cs[NCONN];
	static pthread_t  thr[NCONN];
	pthread_barrier_t go;
	tally             r = { 0 };
	pthread_barrier_init(&go, NULL, NCONN + 1);
	for (int i = 0; i < NCONN; i++) {
		cs[i] = (conn) { .tg = tg, .i = i, .go = &go, .fd = -1 };
		TH_CHECK(&T,
		    pthread_create(&thr[i], NULL, conn_main, &cs[i]) == 0,
		    "pthread_create");
	}
	pthread_barrier_wait(&go);
	/* the fresh connections were accepted and have said nothing yet:
	 * silent longer than a draining server's idle limit (1 s) before
	 * the signal, as a client's connection may be; then their requests
	 * go, and the signal */
	usleep(IDLE_US);
	kill(tg->proc->pid, SIGTERM);
	prober    pr = { .tg = tg };
	pthread_t pth;
	TH_CHECK(&T, pthread_create(&pth, NULL, prober_main, &pr) == 0,
	    "pthread_create");
	for (int i = 0; i < NCONN; i++) {
		pthread_join(thr[i], NULL);
		if (cs[i].result == 1)
			r.answered++;
		else if (cs[i].result == -1)
			r.refused++;
		else {
			r.reset++;
			fprintf(stderr,
			    "%s: connection %d (%s, %s) not answered: %s\n",
			    tg->name, i, i % 2 == 0 ? "keep-alive" : "fresh",
			    tg->post != NULL && i % 4 >= 2 ? "POST" : "GET",
			    cs[i].why);
		}
		th_tls_close(cs[i].tls);
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	}
	int st = th_wait_exit(&T, tg->proc, EXIT_MS);
	atomic_store(&pr.stop, true);
	pthread_join(pth, NULL);
	pthread_barrier_destroy(&go);
	r.exit_ok   = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	r.probe_acc = pr.accepted;
	r.probe_ans = pr.answered;
	r.late      = pr.accepted_after_refused;
	if (pr.why[0] != '\0')
		fprintf(stderr, "%s: prober: %s\n", tg->name, pr.why);
	printf("rolling %-14s answered %2d reset %2d refused %2d | after "
	       "SIGTERM: accepted %d answered %d, accepted after a refusal "
	       "%d | exit %s\n",
	    tg->name, r.answered, r.reset, r.refused, r.probe_acc, r.probe_ans,
	    r.late,
	    r.exit_ok    ? "0"
	        : st < 0 ? "none in 15 s"
	                 : "not 0");
	fflush(stdout);
	return r;
}

static void
sigterm_all(void)
{
	static const char *const names[]
	    = { "intake", "verification", "investigation", "approval",
		      "disbursement", "emergency", "supervision", "services" };
	e2e_setup();
	const int ports[] = { P_INTAKE, P_VERIF, P_INVEST, P_APPROVAL, P_DISB,
		P_EMERG, P_SUPER, P_SERVICES };
	json_t   *fx      = json_object();
	e2e_fixture_write(fx);
	json_decref(fx);
	e2e_start_agency_sim(NULL);
	e2e_start_bank(NULL);
	e2e_start_services(
	    names, ports, sizeof(names) / sizeof(names[0]), NULL);
	signal(SIGPIPE, SIG_IGN);

	target tg[] = {
		{ "intake", P_INTAKE, true, "/applications", "clerk",
		    E2E_TOWNSHIP, NULL, NULL },
		{ "verification", P_VERIF, true, NULL, NULL, NULL, NULL,
		    NULL },
		{ "investigation", P_INVEST, true, NULL, NULL, NULL, NULL,
		    NULL },
		{ "approval", P_APPROVAL, true, "/policy", "district_admin",
		    E2E_DISTRICT, NULL, NULL },
		{ "disbursement", P_DISB, true, "/budgets", "finance",
		    E2E_DISTRICT, NULL, NULL },
		{ "emergency", P_EMERG, true, NULL, NULL, NULL, NULL, NULL },
		{ "supervision", P_SUPER, true, NULL, NULL, NULL, NULL, NULL },
		{ "services", P_SERVICES, true, NULL, NULL, NULL, NULL, NULL },
		{ "agency-sim", P_AGENCY, true, "/notices", NULL, NULL, NULL,
		    NULL },
		{ "bank-sim", e2e_port("bank-sim"), true,
		    "/accounts/6217000000000000077/entries", NULL, NULL, NULL,
		    NULL },
		{ "bank-gateway", e2e_port("bank-gateway"), true, NULL, NULL,
		    NULL, NULL, NULL },
	};
	size_t n   = sizeof(tg) / sizeof(tg[0]);
	tally  sum = { 0 };
	int    bad = 0;
	for (size_t i = 0; i < n; i++) {
		tg[i].proc = e2e_proc(tg[i].name);
		TH_CHECK(&T, tg[i].proc != NULL && tg[i].proc->pid > 0,
		    "%s is not running", tg[i].name);
		if (tg[i].role != NULL)
			tg[i].token = e2e_token(
			    "roller", tg[i].role, tg[i].juris, NULL);
		tally r = roll(&tg[i]);
		free(tg[i].token);
		sum.answered += r.answered;
		sum.reset += r.reset;
		sum.refused += r.refused;
		sum.probe_acc += r.probe_acc;
		sum.probe_ans += r.probe_ans;
		sum.late += r.late;
		if (r.reset > 0 || r.refused > 0 || r.probe_ans != r.probe_acc
		    || r.late > 0 || !r.exit_ok)
			bad++;
	}
	printf("rolling all: %zu services, answered %d of %d, reset %d; "
	       "after SIGTERM accepted %d answered %d, accepted after a "
	       "refusal %d; %d services failed\n",
	    n, sum.answered, (int) n * NCONN, sum.reset, sum.probe_acc,
	    sum.probe_ans, sum.late, bad);
	TH_CHECK(&T, bad == 0,
	    "%d of %zu services lost requests around SIGTERM (reset %d, "
	    "probes unanswered %d, accepted after a refusal %d)",
	    bad, n, sum.reset, sum.probe_acc - sum.probe_ans, sum.late);
}

int
main(int argc, char **argv)
{
	static const th_scenario scenarios[] = {
		{ "sigterm_all", sigterm_all },
	};
	return th_main(&T, argc, argv, scenarios,
	    sizeof(scenarios) / sizeof(scenarios[0]), e2e_done);
}
