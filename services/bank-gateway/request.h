/*
 * bank-gateway/request.h - disbursement's BankRequest as the gateway
 * reads it (sn/bank/v1/bank.proto, issue 14): decoded, a BatchRequest
 * judged before anything is stored or sent, and the pain.001 a taken
 * batch becomes. gateway.c does the I/O around these (the store, the
 * bank, the replies); tests/fuzz/bank.c feeds them any bytes.
 *
 * No I/O, clock or logging: the day and the time a document is made are
 * the caller's. Allocation only for what is handed back (the message,
 * the document) and for scratch room freed before returning. Any
 * thread; strings in are borrowed for the call.
 */
#ifndef BANK_GATEWAY_REQUEST_H
#define BANK_GATEWAY_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "funds.h"
#include "iso20022.h"
#include "sn/bank/v1/bank.pb-c.h"
#include "sn/date.h"
#include "sn/err.h"

/* A run_id is at most this many bytes. */
#define BANK_GATEWAY_REQUEST_RUN_ID_MAX 128
/* Room for a transaction's remittance text (RmtInf/Ustrd: at most 140
 * characters of UTF-8), NUL included. */
#define BANK_GATEWAY_REQUEST_REMIT_MAX 600

/* What a request asks. */
typedef enum bank_gateway_request_kind {
	BANK_GATEWAY_REQUEST_MALFORMED = 0, /* does not decode, or no body:
	                                       BatchReply accepted = false
	                                       "malformed request" */
	BANK_GATEWAY_REQUEST_BATCH,
	BANK_GATEWAY_REQUEST_QUERY,
	BANK_GATEWAY_REQUEST_FUNDS,
} bank_gateway_request_kind;

/*
 * Decodes len bytes of body. Anything but MALFORMED sets *out, the
 * caller's (sn__bank__v1__bank_request__free_unpacked), whose body for
 * that kind is not NULL; MALFORMED leaves *out NULL. (Out of memory
 * while decoding reads as MALFORMED, as protobuf-c does not tell.)
 */
bank_gateway_request_kind bank_gateway_request_decode(
    const uint8_t *body, size_t len, Sn__Bank__V1__BankRequest **out);

/* Whether a batch may become a message. */
typedef enum bank_gateway_request_verdict {
	BANK_GATEWAY_REQUEST_TAKEN = 0,    /* its pain.001 is built next */
	BANK_GATEWAY_REQUEST_REFUSED,      /* refused whole, nothing stored */
	BANK_GATEWAY_REQUEST_UNCONFIGURED, /* its fund has no account: refused
	                                      and recorded, nothing sent */
} bank_gateway_request_verdict;

/*
 * Judges batch b against the fund accounts funds, in this order (the
 * first that fails is the answer): the batch_id (1 to 35 of A-Z a-z 0-9
 * . _ -, not starting with '.': it is the MsgId and a file name), the
 * fund (configured), then bank_gateway_rules_totals (not empty, count
 * and control sum match), and per instruction its period ("YYYY-MM" or
 * "", with the fund's purpose a remittance that fits) and its run_id (at
 * most BANK_GATEWAY_REQUEST_RUN_ID_MAX bytes). Amounts, ids and names
 * are left to the pain.001's validation (bank_gateway_request_pain001).
 *
 * TAKEN sets *fund (the fund's account, borrowed from funds). Otherwise
 * *fund is NULL and why (cap bytes) is the BatchReply.error: "fund <f>
 * has no account configured" for UNCONFIGURED ("(none)" for an empty
 * fund). Out of memory is REFUSED "out of memory".
 */
bank_gateway_request_verdict bank_gateway_request_judge(
    const Sn__Bank__V1__BatchRequest *b, const bank_gateway_funds *funds,
    const bank_gateway_fund **fund, char *why, size_t cap);

/*
 * The pain.001 of a batch b judged TAKEN for fund f (gateway.h says what
 * it holds): MsgId b->batch_id, CreDtTm created (Unix seconds), the
 * initiator's name, one PmtInf executed on day, per instruction its
 * InstrId (bank_gateway_rules_instr_id) and remittance text
 * (bank_gateway_rules_remittance), written into instr and remit, which
 * have room for b->n_instructions each (the store keeps them with the
 * transactions). Validated against s (a BANK_GATEWAY_PAIN001 schema).
 *
 * SN_OK: *doc (malloc'd, NUL-terminated, the caller's) and *len.
 * SN_ENOMEM. Any other error: the document does not validate (a
 * non-positive amount, an EndToEndId over 35 characters, a control
 * character in a name, ...): why (BANK_GATEWAY_ISO_WHY_MAX bytes) says
 * which, nothing is returned, and the batch is refused, never sent.
 */
sn_err bank_gateway_request_pain001(const bank_gateway_iso_schema *s,
    const Sn__Bank__V1__BatchRequest *b, const bank_gateway_fund *f,
    const char *initiator, sn_date day, int64_t created,
    char (*instr)[BANK_GATEWAY_ISO_ID_MAX],
    char (*remit)[BANK_GATEWAY_REQUEST_REMIT_MAX], char **doc, size_t *len,
    char *why);

#endif /* BANK_GATEWAY_REQUEST_H */
