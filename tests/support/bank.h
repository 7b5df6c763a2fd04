/*
 * bank.h - the bank as the integration tests meet it (issue 14): bank-sim
 * playing the bank in ISO 20022 over HTTPS, and bank-gateway between it
 * and disbursement. One set-up for every test that pays, so that none
 * talks to the bank in a protocol no bank speaks.
 *
 *   disbursement ──NNG (bank.proto)──▶ bank-gateway ──HTTPS, client cert──▶
 * bank-sim th_bank.url                       /iso20022 on sim_port
 *
 * Certificates: CA `ca` (th_tls_make_ca, made by the caller, who also
 * decides whether the test's own calls trust it: SN_CLIENT_CA_FILE) signs
 * "bank-sim" and "bank-gateway" (th_bank_certs). bank-sim answers its
 * /iso20022 routes only to a client certificate of that CA; the gateway
 * checks bank-sim's certificate by the name "bank-sim". Both serve their
 * own HTTP API over HTTPS with those certificates.
 */
#ifndef SN_TEST_BANK_H
#define SN_TEST_BANK_H

#include "harness.h"

typedef struct th_bank {
	/* set by the caller before th_bank_start */
	const char *sim_bin, *gw_bin;
	const char *ca;          /* the CA's name, e.g. "sn" */
	const char *sim_env[16]; /* more bank-sim settings, NULL-ended:
	                          * they override the defaults below */
	const char *gw_env[16];  /* more bank-gateway settings, likewise */
	/* SN_BANK_URL for disbursement: where the gateway listens. The
	 * caller may set it (a tls+tcp:// URL, or to know it before the
	 * gateway starts); else th_bank_start_gateway makes it ipc:// in
	 * the run folder. Kept across restarts. */
	char url[320];
	/* HTTPS API ports: the caller's when not 0, else picked once */
	int sim_port, gw_port;
	/* set by th_bank_start */
	th_proc *sim, *gw;
	char     pool[64][600]; /* the settings' strings: about six per
	                         * start, so a test may restart bank-sim
	                         * or the gateway several times */
	int npool;
} th_bank;

/* Certificates "bank-sim" and "bank-gateway" signed by CA b->ca. */
void th_bank_certs(th *t, const th_bank *b);

/*
 * bank-sim with its certificate on sim_port (picked once), the client CA,
 * then b->sim_env. Waits for /readyz.
 */
void th_bank_start_sim(th *t, th_bank *b);

/*
 * bank-gateway listening on b->url (the caller's, or ipc in the run
 * folder) and calling
 * bank-sim's /iso20022 with its client certificate; no timed
 * reconciliation (SN_BANK_GATEWAY_RECON_MS=0), a bank request timeout of
 * 5 s; then b->gw_env. Waits for /readyz. When b->gw_env sets
 * SN_BANK_DROP_DIR, the gateway uses that drop folder instead of
 * bank-sim (no SN_BANK_ISO_URL; bank-sim need not run).
 */
void th_bank_start_gateway(th *t, th_bank *b);

/* Both, bank-sim first. */
void th_bank_start(th *t, th_bank *b);

/* A setting kept in b for the test's life ("KEY=VALUE"). */
const char *th_bank_kept(th *t, th_bank *b, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
