/*
 * bank-sim/iso.h - the simulated bank's ISO 20022 interface over HTTP(S)
 * (issue 14), the only one it speaks, on its book (handlers.h): the
 * fixture's accounts, one row per end-to-end id, the settlement timer
 * and the faults. bank-gateway is its client.
 *
 * Routes (main.c's table; bodies application/xml; charset=utf-8):
 *   POST /iso20022/pain.001  a pain.001.001.09 document; always answered
 *       200 with a pain.002.001.10 status report:
 *       - not well-formed, a DTD, or not valid against the XSD: GrpSts
 *         RJCT, StsRsnInf FF01 with libxml2's reason (105 characters at
 *         most) in AddtlInf, OrgnlMsgId the document's MsgId when it can
 *         be read, else NOTPROVIDED; nothing stored;
 *       - a NbOfTxs or CtrlSum (the group's, or a block's) not matching
 *         the transactions: GrpSts RJCT AM18 (count) or AM16 (sum);
 *         nothing stored;
 *       - a MsgId stored before: with the same document (SHA-256 of the
 *         bytes) the current report of that message (counted as a
 *         repeated batch, nothing stored again); with another document
 *         GrpSts RJCT DU01, nothing stored;
 *       - otherwise judged (rules.h, bank_sim_rules_judge) and stored in
 *         one transaction that commits before the answer is sent; the
 *         report says per transaction ACSC (settled at once,
 *         SN_BANK_SIM_SETTLE_MS 0), ACCP (settled later by the timer) or
 *         RJCT with AM12, AC01, AC04, AC06, MD07, BE01 or AM04 (the
 *         block's debtor account short: every booked transaction of the
 *         block, and PmtInfSts RJCT AM04); an end-to-end id the book
 *         holds as accepted or settled is a duplicate, answered with that
 *         status and never booked again (counted); one held as rejected
 *         is judged anew. GrpSts and PmtInfSts: ACSC all settled, ACCP
 *         none rejected, PART some rejected, RJCT all.
 *       Every answer goes through the dice (faults.h): sent, sent
 *       SN_BANK_SIM_TIMEOUT_MS late, or withheld: sn_http cannot close a
 *       connection unanswered, so a withheld answer is held
 *       SN_BANK_SIM_DROP_HOLD_MS (longer than any client waits) and then
 *       answered 503 "unavailable", never with the report. With
 *       SN_BANK_SIM_CRASH_AFTER = N the process exits 1 right after
 *       committing the N-th new message, before answering.
 *       415 for a body that is not application/xml (or text/xml); 413
 *       over SN_BANK_SIM_MAX_REQUEST_BYTES.
 *   GET /iso20022/pain.002/{msg_id}  the current status report of a
 *       stored message (a new report MsgId each time); 404
 *       unknown_message.
 *   GET /iso20022/camt.054?account=&date=YYYY-MM-DD  a camt.054.001.08
 *       with one Ntfctn for the debtor account: one Ntry per booked
 *       debit of that day in China Standard Time (settled payments shown
 *       in statements, then foreign entries), BOOK, DBIT, CNY, the
 *       bank's AcctSvcrRef and Refs (MsgId, PmtInfId, InstrId,
 *       EndToEndId; a foreign entry only its EndToEndId); none: a
 *       Ntfctn with no Ntry. 400 invalid_query naming account or date.
 *   POST /accounts/{account}/entries  {"end_to_end_id", "amount_fen",
 *       "date"}: books a debit with no payment behind it (a fee, a
 *       foreign payment) on the account: 201 with {"account",
 *       "end_to_end_id", "amount_fen", "date", "bank_ref"}; the same
 *       again 200 with the stored one; another amount or date under the
 *       same id 409 entry_conflict; 422 invalid_entry naming the field.
 *
 * A transaction that fails (database down, ...) is answered 503
 * "unavailable" with nothing stored; the client asks again.
 *
 * Metrics: sn_bank_sim_iso_messages_total{outcome} (stored, repeated,
 * refused, duplicate_msg_id, failed),
 * sn_bank_sim_iso_answers_total{act} (sent, dropped, delayed), and the
 * gauges sn_bank_sim_inflight and sn_bank_sim_inflight_max: the requests
 * being worked on in the database (messages, reports, statements,
 * entries) now and at most at once.
 *
 * Threads: the loop thread only.
 */
#ifndef BANK_SIM_ISO_H
#define BANK_SIM_ISO_H

#include <jansson.h>

#include "accounts.h"
#include "faults.h"
#include "handlers.h"
#include "sn/db.h"
#include "sn/http.h"
#include "sn/loop.h"
#include "sn/metrics.h"

typedef struct bank_sim_iso bank_sim_iso;

/* What the ISO side works with, borrowed for its life (cfg copied). */
typedef struct bank_sim_iso_env {
	sn_loop                 *loop;
	sn_db                   *db;
	sn_metrics              *metrics;
	const bank_sim_config   *cfg;
	const bank_sim_accounts *accounts; /* NULL: none */
	bank_sim_faults         *faults;
	const char              *seed; /* the statement draw's, as text */
} bank_sim_iso_env;

/* Compiles the three XSDs from cfg->xsd_dir. SN_EIO/SN_EINVAL (logged)
 * when they cannot be read. */
sn_err bank_sim_iso_open(bank_sim_iso **out, const bank_sim_iso_env *env);

/* The routes' handlers (see above). */
void bank_sim_iso_pain001(bank_sim_iso *iso, sn_http_req *req);
void bank_sim_iso_pain002(bank_sim_iso *iso, sn_http_req *req);
void bank_sim_iso_camt054(bank_sim_iso *iso, sn_http_req *req);
void bank_sim_iso_entries(bank_sim_iso *iso, sn_http_req *req);

/* Adds this process's ISO counters to process (GET /stats). */
void bank_sim_iso_stats(const bank_sim_iso *iso, json_t *process);

/* Shutdown has begun: every held answer goes out now (a delayed one as
 * it is, a withheld one as the 503). */
void bank_sim_iso_stop(bank_sim_iso *iso);

/* Frees iso once its timers are closed and its transactions are over.
 * NULL: no-op. */
void bank_sim_iso_close(bank_sim_iso *iso);

#endif /* BANK_SIM_ISO_H */
