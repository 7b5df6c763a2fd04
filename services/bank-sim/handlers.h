/*
 * bank-sim/handlers.h - the simulated bank: the bank protocol in
 * (sn/bank/v1/bank.proto over NNG req/rep), its records, the settlement
 * timer, and a small HTTP API for the tests.
 *
 * A BatchRequest:
 *   - is refused whole (accepted = false, error says why, nothing
 *     stored) when its count or control sum does not match its
 *     instructions, when it is empty, when an end-to-end id is empty or
 *     over 35 bytes, when a text is over 256 bytes or not UTF-8, or when
 *     its batch_id was taken before by a batch of another count or
 *     control sum;
 *   - otherwise is stored in one transaction: the batch, and one row per
 *     end-to-end id not seen before (INSERT ... ON CONFLICT DO NOTHING),
 *     with its fate (rules.h: invalid_amount, no_such_account,
 *     closed_account, name_mismatch, or SETTLED at once when
 *     SN_BANK_SIM_SETTLE_MS is 0, else ACCEPTED and settled by the
 *     timer once the delay has passed). The reply is then read back
 *     from the stored rows, one StatusReport per instruction in order:
 *     a repeated end-to-end id (in a later batch, in a repeat of the
 *     same batch_id, or twice in one batch) gets its first row's
 *     status, now, and is never stored or paid again; each one is
 *     counted in the counter duplicate_instructions.
 * A StatusQuery is answered from the stored rows: the current status,
 * UNKNOWN for an id never received.
 * Whatever is stored commits before any reply is sent, so a lost reply
 * never loses a payment. A request that cannot be decoded gets a
 * BatchReply refusing it ("malformed request"). A transaction that fails
 * (database down, ...) gets no reply: the client times out and asks
 * again.
 *
 * Misbehaviour for the tests (faults.h, shared with the ISO 20022 side):
 * drawn per request from a splitmix64 generator seeded by
 * SN_BANK_SIM_SEED, the reply is withheld (DROP_PERCENT) or sent
 * TIMEOUT_MS late (TIMEOUT_PERCENT), after the work is committed; with
 * CRASH_AFTER = N the process _exits with status 1 right after
 * committing the N-th new batch or ISO message it stored since it
 * started, before replying (repeats do not count).
 *
 * The book is shared with the ISO 20022 interface (iso.h): one row per
 * end-to-end id whichever protocol brought it, stored with the batch's
 * debtor_account, the ISO reason code beside the protocol's, and
 * settled on the district's clock (sn/clock.h), each settled row drawn
 * once into or out of the statements (SN_BANK_SIM_STATEMENT_OMIT_PERCENT).
 * The fixture's account states (accounts.h) reject with closed_account,
 * blocked_account, holder_deceased; its debtor balances apply to ISO
 * messages only (the bank protocol's debtor_account is not a fixture
 * account).
 *
 * HTTP (public, no token; a simulator):
 *   GET /accounts/{account_number}/credits?limit=&cursor=  the settled
 *       credits of the account in the order they settled, paged
 *       (sn/page.h, issue 10): {items, next, account_number, count,
 *       total_fen}, count and total_fen over every credit, each item
 *       saying whether the statements show it (in_statement); limit
 *       1..1000 (default 100), else 422 invalid_query
 *   GET /stats  counts by status, settled/accepted/rejected fen,
 *       rejections by reason, batches, duplicate instructions and
 *       repeated batches (kept in the database), ISO messages and
 *       foreign entries, and this process's "process" counters (refused
 *       batches, dropped and delayed replies, malformed requests, failed
 *       transactions, and the ISO side's: iso.h)
 *
 * Metrics (besides sn/service.h's):
 *   sn_bank_sim_requests_total{kind}       batch, query, malformed
 *   sn_bank_sim_batches_total{outcome}     stored, repeated, refused,
 *                                          failed
 *   sn_bank_sim_instructions_total{outcome} stored, duplicate
 *   sn_bank_sim_replies_total{act}         sent, dropped, delayed
 *   sn_bank_sim_settled_total              settled by the timer
 *   sn_bank_sim_inflight                   requests being worked on
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
	const char *url;         /* SN_BANK_URL, borrowed during open */
	int         contexts;    /* requests served at once */
	size_t      max_request; /* largest request in bytes */
	const char *fixture;     /* path, or NULL for none */
	bool        open_all;    /* unknown accounts exist */
	uint32_t    settle_ms;   /* 0: settle at once */
	uint32_t    drop_pct;    /* replies withheld, percent */
	uint32_t    timeout_pct; /* replies delayed, percent */
	uint32_t    timeout_ms;  /* the delay */
	uint32_t    crash_after; /* 0: never */
	uint64_t    seed;        /* of the misbehaviour generator */
	/* ISO 20022 (iso.h): */
	uint32_t    omit_pct;     /* settled rows left out of statements */
	uint32_t    drop_hold_ms; /* how long a withheld HTTP answer is held */
	const char *xsd_dir;      /* the XSDs, borrowed during open */
} bank_sim_config;

typedef struct bank_sim bank_sim;

/* Loads the fixture, listens and starts the settlement timer. The config
 * is copied. */
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

/* Takes no new requests and stops the timer (shutdown has begun). */
void bank_sim_stop(bank_sim *b);

/* Closes everything and frees b later. NULL: no-op. */
void bank_sim_close(bank_sim *b);

#endif /* BANK_SIM_HANDLERS_H */
