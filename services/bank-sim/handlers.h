/*
 * bank-sim/handlers.h - the simulated bank: its book, the settlement
 * timer, the ISO 20022 routes bank-gateway calls (iso.h, issue 14) and a
 * small HTTP API of its own for the tests. It speaks no protocol of ours:
 * the bank protocol over NNG (sn/bank/v1/bank.proto) is disbursement's
 * and bank-gateway's, never a bank's.
 *
 * The book: one row per end-to-end id, ever, stored with its debtor
 * (fund) account, the rules' reason and ISO reason code of a rejection
 * (rules.h), and settled on the district's clock (sn/clock.h): at once
 * when SN_BANK_SIM_SETTLE_MS is 0, else ACCEPTED and settled by the timer
 * once the delay has passed; each settled row is drawn once into or out
 * of the statements (SN_BANK_SIM_STATEMENT_OMIT_PERCENT). The fixture's
 * accounts (accounts.h) reject with closed_account, blocked_account,
 * holder_deceased or name_mismatch, and its debtor balances with
 * insufficient_funds. Whatever is stored commits before any answer is
 * sent, so a lost answer never loses a payment.
 *
 * Misbehaviour for the tests (faults.h): drawn per answer from a
 * splitmix64 generator seeded by SN_BANK_SIM_SEED, the answer is
 * withheld (DROP_PERCENT) or sent TIMEOUT_MS late (TIMEOUT_PERCENT),
 * after the work is committed; with CRASH_AFTER = N the process _exits
 * with status 1 right after committing the N-th new message it stored
 * since it started, before answering (repeats do not count).
 *
 * HTTP (public, no token; a simulator):
 *   GET /accounts/{account_number}/credits?limit=&cursor=  the settled
 *       credits of the account in the order they settled, paged
 *       (sn/page.h, issue 10): {items, next, account_number, count,
 *       total_fen}, count and total_fen over every credit, each item
 *       saying whether the statements show it (in_statement); limit
 *       1..1000 (default 100), else 422 invalid_query
 *   GET /stats  counts by status, settled/accepted/rejected fen,
 *       rejections by reason, batches (MsgIds taken), duplicate
 *       instructions and repeated messages (kept in the database), ISO
 *       messages and foreign entries, and this process's "process"
 *       counters (iso.h: messages by outcome, answers by act)
 *
 * Metrics (besides sn/service.h's and iso.h's):
 *   sn_bank_sim_settled_total              settled by the timer
 *
 * Threads: every function here is for the loop thread only.
 */
#ifndef BANK_SIM_HANDLERS_H
#define BANK_SIM_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"
#include "sn/service.h"

typedef struct bank_sim_config {
	size_t      max_request;  /* largest pain.001 body in bytes */
	const char *fixture;      /* path, or NULL for none */
	bool        open_all;     /* unknown accounts exist */
	uint32_t    settle_ms;    /* 0: settle at once */
	uint32_t    drop_pct;     /* answers withheld, percent */
	uint32_t    timeout_pct;  /* answers delayed, percent */
	uint32_t    timeout_ms;   /* the delay */
	uint32_t    crash_after;  /* 0: never */
	uint64_t    seed;         /* of the misbehaviour generator */
	uint32_t    omit_pct;     /* settled rows left out of statements */
	uint32_t    drop_hold_ms; /* how long a withheld answer is held */
	const char *xsd_dir;      /* the XSDs, borrowed during open */
} bank_sim_config;

typedef struct bank_sim bank_sim;

/* Loads the fixture, reads the XSDs (iso.h) and starts the settlement
 * timer. The config is copied. */
sn_err bank_sim_open(
    bank_sim **out, sn_service *svc, const bank_sim_config *cfg);

/* The HTTP routes' handlers (main.c's route table), arg the bank_sim:
 * GET /accounts/{account_number}/credits and GET /stats, and the ISO
 * 20022 ones (iso.h): POST /iso20022/pain.001, GET
 * /iso20022/pain.002/{msg_id}, GET /iso20022/camt.054 and POST
 * /accounts/{account}/entries. */
void bank_sim_http_credits(sn_http_req *req, void *arg);
void bank_sim_http_stats(sn_http_req *req, void *arg);
void bank_sim_http_pain001(sn_http_req *req, void *arg);
void bank_sim_http_pain002(sn_http_req *req, void *arg);
void bank_sim_http_camt054(sn_http_req *req, void *arg);
void bank_sim_http_entries(sn_http_req *req, void *arg);

/* Sends every held answer and stops the timer (shutdown has begun). */
void bank_sim_stop(bank_sim *b);

/* Closes everything and frees b later. NULL: no-op. */
void bank_sim_close(bank_sim *b);

#endif /* BANK_SIM_HANDLERS_H */
