/*
 * bank.c - see bank.h.
 */
#include "bank.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *
th_bank_kept(th *t, th_bank *b, const char *fmt, ...)
{
	int n = (int) (sizeof(b->pool) / sizeof(b->pool[0]));
	TH_CHECK(t, b->npool < n, "th_bank: too many settings");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->pool[b->npool], sizeof(b->pool[0]), fmt, ap);
	va_end(ap);
	return b->pool[b->npool++];
}

void
th_bank_certs(th *t, const th_bank *b)
{
	TH_CHECK(t, b->ca != NULL, "th_bank: the CA is the caller's");
	th_tls_make_cert(t, b->ca, "bank-sim", "bank-sim");
	th_tls_make_cert(t, b->ca, "bank-gateway", "bank-gateway");
}

/* The caller's settings go before ours: of two equal keys in an
 * environment, getenv finds the first. */
static int
add_extra(const char **env, int n, const char *const *extra, int cap)
{
	for (int i = 0; i < 16 && extra[i] != NULL; i++) {
		if (n >= cap - 1)
			break;
		env[n++] = extra[i];
	}
	return n;
}

/* Whether settings (NULL-ended, at most 16) set key ("NAME="). */
static bool
sets(const char *const *settings, const char *key)
{
	for (int i = 0; i < 16 && settings[i] != NULL; i++)
		if (strncmp(settings[i], key, strlen(key)) == 0)
			return true;
	return false;
}

static int
add_tls(th *t, th_bank *b, const char **env, int n, const char *name)
{
	env[n++] = th_bank_kept(
	    t, b, "SN_TLS_CERT_FILE=%s/%s.pem", t->run_dir, name);
	env[n++] = th_bank_kept(
	    t, b, "SN_TLS_KEY_FILE=%s/%s.key", t->run_dir, name);
	env[n++] = th_bank_kept(
	    t, b, "SN_TLS_CA_FILE=%s/%s-ca.pem", t->run_dir, b->ca);
	return n;
}

/* Spawns name (bin) with env and waits for its HTTPS /readyz on port. */
static th_proc *
spawn_ready(
    th *t, const char *name, const char *bin, const char **env, int port)
{
	const char *argv[] = { bin, NULL };
	th_proc    *p      = th_spawn(t, name, bin, argv, env);
	TH_CHECK(t, th_wait_ready(t, port, 30000),
	    "%s is not ready over HTTPS", name);
	return p;
}

void
th_bank_start_sim(th *t, th_bank *b)
{
	TH_CHECK(t, b->sim_bin != NULL && b->ca != NULL,
	    "th_bank: bank-sim's binary and the CA are the caller's");
	if (b->sim_port == 0)
		b->sim_port = th_free_port();
	const char *env[48];
	int         n = add_extra(env, 0, b->sim_env, 40);
	n             = add_tls(t, b, env, n, "bank-sim");
	env[n++]      = th_bank_kept(t, b, "SN_HTTP_PORT=%d", b->sim_port);
	env[n++]      = th_bank_kept(
	         t, b, "SN_HTTP_CLIENT_CA_FILE=%s/%s-ca.pem", t->run_dir, b->ca);
	env[n] = NULL;
	b->sim = spawn_ready(t, "bank-sim", b->sim_bin, env, b->sim_port);
}

void
th_bank_start_gateway(th *t, th_bank *b)
{
	TH_CHECK(t, b->gw_bin != NULL && b->gw_bin[0] != '\0',
	    "th_bank: this test was built without bank-gateway");
	/* With a drop folder the gateway does not call bank-sim. */
	bool drop = sets(b->gw_env, "SN_BANK_DROP_DIR=");
	TH_CHECK(t, drop || b->sim_port != 0, "th_bank: start bank-sim first");
	if (b->gw_port == 0)
		b->gw_port = th_free_port();
	if (b->url[0] == '\0')
		snprintf(
		    b->url, sizeof(b->url), "ipc://%s/bank.ipc", t->run_dir);
	const char *env[48];
	int         n = add_extra(env, 0, b->gw_env, 40);
	n             = add_tls(t, b, env, n, "bank-gateway");
	env[n++]      = th_bank_kept(t, b, "SN_HTTP_PORT=%d", b->gw_port);
	env[n++]      = th_bank_kept(t, b, "SN_BANK_URL=%s", b->url);
	if (!drop) {
		env[n++] = th_bank_kept(t, b,
		    "SN_BANK_ISO_URL=https://127.0.0.1:%d/iso20022",
		    b->sim_port);
		env[n++] = "SN_BANK_ISO_PEER_NAME=bank-sim";
	}
	env[n++] = "SN_BANK_GATEWAY_RECON_MS=0";
	env[n++] = "SN_BANK_GATEWAY_BANK_TIMEOUT_MS=5000";
	env[n]   = NULL;
	b->gw    = spawn_ready(t, "bank-gateway", b->gw_bin, env, b->gw_port);
}

void
th_bank_start(th *t, th_bank *b)
{
	th_bank_start_sim(t, b);
	th_bank_start_gateway(t, b);
}
