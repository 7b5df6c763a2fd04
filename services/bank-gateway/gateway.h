/*
 * bank-gateway/gateway.h - between disbursement and the bank (issue 14):
 * disbursement's requests in (sn/bank/v1/bank.proto over NNG req/rep on
 * SN_BANK_URL), ISO 20022 out (bank.h: pain.001 over HTTPS, or a drop
 * folder), the bank's pain.002 statuses judged (reasons.h) and stored.
 *
 * A BatchRequest:
 *   - is refused whole (BatchReply accepted = false, error says why,
 *     nothing stored or sent) when its batch_id is not 1 to 35 of
 *     A-Z a-z 0-9 . _ - (it is the pain.001 MsgId and a file name),
 *     when its fund has no account configured ("fund <f> has no account
 *     configured", also recorded in the refusals table), when its count
 *     or control sum does not match its instructions, when it is empty,
 *     when a period is not "YYYY-MM" or "", or a run_id is over 128
 *     bytes;
 *   - is refused whole when the pain.001 built from it fails our own
 *     validation against the XSD (an EndToEndId over 35 characters, a
 *     non-positive amount, ...): that document is never sent; the
 *     reason is logged, counted and recorded (refusals, kind invalid);
 *   - otherwise becomes one pain.001 (MsgId = batch_id; one PmtInf for
 *     the fund: debtor name, account, agent, currency and category
 *     purpose from its configuration, requested execution date the
 *     district's day, batch booking; per payment InstrId, EndToEndId,
 *     InstdAmt, Cdtr/Nm, CdtrAcct and RmtInf/Ustrd "<YYYY>年<M>月
 *     <purpose>"), stored with its transactions in one transaction
 *     BEFORE anything is sent. A repeated batch_id with the same content
 *     is sent again with the stored bytes (never rebuilt: same MsgId,
 *     same CreDtTm, same everything); with another content it is
 *     refused ("batch_id ... was used for another batch"). A repeat
 *     arriving while the first is still with the bank waits for that
 *     one's answer instead of sending again.
 *   HTTPS: the document is POSTed; the pain.002 answer is read, each
 *   transaction judged (reasons.h) and stored (settlements recorded for
 *   the paid), and the reply is read back from the stored rows: one
 *   StatusReport per instruction, in order - SETTLED (settled_at),
 *   ACCEPTED (pending: ask later), REJECTED or RETRY with the ISO
 *   reason code, the Chinese text of what to do (reason), its English
 *   (reason_en) and the pain.002 status (iso_status). A pain.002 that
 *   refuses the whole file (GrpSts RJCT with no transaction: FF01, AM18,
 *   AM16, any code but DU01) is stored, logged, counted and answered
 *   accepted = false with "the bank refused the file: <code> <text>" (the
 *   code's meaning, reasons.h, when the bank gave no text); a repeat of
 *   that batch gets the same answer without sending again. HTTP 413
 *   (the file is too large for the bank) likewise.
 *   DU01 (duplicate MsgId) is no refusal: the bank holds a file under
 *   this MsgId, most likely our earlier try (reasons.c says why). The
 *   gateway GETs the bank's report of the MsgId and answers from it when
 *   every end-to-end id it names is the batch's; when it names none of
 *   them (another document under the same MsgId) the batch is refused
 *   as above with DU01; otherwise (a mix, no transactions, no report):
 *   no reply. The DU01 and the report are stored (another document's
 *   report is not).
 *   No usable answer (no connection, TLS refused, a timeout, a 5xx or
 *   other 4xx, a pain.002 that does not validate or is for another
 *   message): NO REPLY. Why not "ACCEPTED, ask later": the gateway does
 *   not know whether the bank has the file, and ACCEPTED would say it
 *   does. Silence is what disbursement already reads as "unknown": it
 *   times out and sends the same batch again (bank.h in disbursement),
 *   which the gateway sends again with the same bytes; the bank answers
 *   a MsgId it has with that message's current status and books nothing
 *   again (contract section 2), and takes a message it never got. So a
 *   lost answer loses nothing and pays nothing twice; after its last
 *   try disbursement asks with a StatusQuery, which GETs the bank's
 *   report (UNKNOWN on 404) before anything goes out under a new id.
 *   Drop folder: the document is written to out/<MsgId>.xml and every
 *   instruction answered ACCEPTED (the bank's pain.002 comes back as a
 *   file: ask later); a repeat is answered from the stored statuses
 *   (the file is written again only if it never was).
 * A StatusQuery: per end-to-end id, the status of its latest message
 * that the bank did not refuse: a final one (SETTLED, REJECTED, RETRY)
 * from the store; otherwise (HTTPS) the bank's current pain.002 of that
 * message is fetched (GET, one per message) and stored first, and an id
 * whose message the bank does not know (404) is UNKNOWN, as is an id the
 * gateway never sent. Drop folder: from the store (a message never
 * written: UNKNOWN).
 * A FundQuery: each fund asked, from the configuration (configured
 * false, the other fields "", for a fund without an account).
 * A request that does not decode: BatchReply accepted = false
 * "malformed request".
 *
 * The drop folder's in/ is read every drop_poll_ms: a pain.002 is
 * stored as above (then disbursement's StatusQuery sees it; a DU01
 * there, or fetched by a StatusQuery, refuses nothing and moves
 * nothing), a camt.054 goes to reconciliation (reconcile.h); either is
 * then moved to in/done/, anything else (or a report for a message we
 * never sent) to in/bad/ with an error line.
 *
 * Metrics (besides sn/service.h's):
 *   sn_bank_gateway_requests_total{kind}     batch, query, funds,
 *                                            malformed
 *   sn_bank_gateway_batches_total{outcome}   answered, dropped,
 *       repeated (a batch_id seen before, same content), unconfigured,
 *       refused (the request did not add up), invalid (failed our XSD
 *       validation, never sent), bank_refused, unanswered, failed (not
 *       stored: no reply)
 *   sn_bank_gateway_statuses_total{state}    statuses from the bank:
 *                                            pending, paid, rejected,
 *                                            retry
 *   sn_bank_gateway_bank_requests_total{call,result}  call pain.001,
 *       pain.002, camt.054; result ok (200), not_found (404),
 *       http_error, timeout, unreachable, tls, malformed
 *   sn_bank_gateway_bank_seconds{call}       their latency
 *   sn_bank_gateway_drop_files_total{kind}   pain.002, camt.054, bad
 *
 * Threads: every function here is for the loop thread only.
 */
#ifndef BANK_GATEWAY_GATEWAY_H
#define BANK_GATEWAY_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include "funds.h"
#include "iso20022.h"
#include "sn/err.h"
#include "sn/service.h"

typedef struct bank_gateway_config {
	const char *url;                  /* SN_BANK_URL: the REP socket */
	const char *iso_url;              /* SN_BANK_ISO_URL, or NULL */
	const char *drop_dir;             /* SN_BANK_DROP_DIR, or NULL */
	const char *peer_name;            /* SN_BANK_ISO_PEER_NAME, or NULL */
	uint32_t    bank_timeout_ms;      /* a pain.001 POST, a pain.002 GET */
	uint32_t    statement_timeout_ms; /* a camt.054 GET (bank.h) */
	uint32_t    drop_poll_ms;         /* reading in/ */
	uint32_t    recon_ms;             /* reconciliation period; 0: none */
	int         contexts;             /* requests served at once */
	size_t      max_request;          /* largest request, bytes */
	/* Borrowed; must outlive the gateway. */
	const bank_gateway_funds      *funds;
	const bank_gateway_iso_schema *pain001, *pain002, *camt054;
} bank_gateway_config;

typedef struct bank_gateway bank_gateway;

/* Opens the link to the bank, the reconciliation (reconcile.h), listens
 * on cfg->url and starts the drop folder's timer. The config is copied
 * (its strings must outlive the gateway). */
sn_err bank_gateway_open(
    bank_gateway **out, sn_service *svc, const bank_gateway_config *cfg);

/* The reconciliation's HTTP routes take this as their arg (reconcile.h). */
void *bank_gateway_route_arg(bank_gateway *g);

/* Takes no new requests and stops the timers (shutdown has begun). */
void bank_gateway_stop(bank_gateway *g);

/* Closes everything; g is freed once its handles are closed. NULL:
 * no-op. */
void bank_gateway_close(bank_gateway *g);

#endif /* BANK_GATEWAY_GATEWAY_H */
