/*
 * pain001.h - a payment batch as a pain.001.001.09 customer credit
 * transfer initiation (issue 14): one document per batch, one payment
 * information block per fund, one transaction per payment.
 *
 * The document is built with libxml2's tree API (every text escaped by
 * libxml2, no XML by string concatenation) and validated against the
 * official XSD before it is returned: a document that does not validate
 * is never handed out.
 *
 * Amounts are int64 fen; NbOfTxs and CtrlSum (yuan with two decimals)
 * are computed here from the payments, in integers. Strings are borrowed
 * for the call and must be UTF-8 without control characters; their
 * lengths and formats are the XSD's to judge (an EndToEndId over 35
 * characters fails validation, and the reason names it).
 */
#ifndef BANK_GATEWAY_PAIN001_H
#define BANK_GATEWAY_PAIN001_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iso20022.h"

/* One payment: a CdtTrfTxInf. */
typedef struct bank_gateway_pain001_tx {
	const char *instr_id;      /* InstrId: the batch's own reference */
	const char *end_to_end_id; /* EndToEndId: disbursement's, kept across
	                              retries */
	sn_fen      amount;        /* InstdAmt, > 0 */
	const char *creditor_name; /* Cdtr/Nm: the account holder's name */
	const char *creditor_account; /* CdtrAcct/Id/Othr/Id: the one-card
	                                 account number */
	const char *remittance; /* RmtInf/Ustrd: "2027年1月 最低生活保障金";
	                           NULL: none */
} bank_gateway_pain001_tx;

/* One fund's payments: a PmtInf. The debtor fields come from the fund's
 * configuration, never from a constant. */
typedef struct bank_gateway_pain001_fund {
	const char *pmt_inf_id;       /* PmtInfId */
	const char *debtor_name;      /* Dbtr/Nm: the account name */
	const char *debtor_account;   /* DbtrAcct/Id/Othr/Id */
	const char *debtor_agent;     /* DbtrAgt: the bank's CNAPS member id
	                                 (ClrSysMmbId, clearing system CNAPS) */
	const char *currency;         /* "CNY": DbtrAcct/Ccy, every InstdAmt's
	                                 Ccy */
	const char *category_purpose; /* PmtTpInf/CtgyPurp/Cd, e.g. "SSBE"
	                                 (social security benefit); NULL:
	                                 none */
	const char *execution_date;   /* ReqdExctnDt/Dt, "YYYY-MM-DD" */
	bool        batch_booking;    /* BtchBookg: one debit entry for the
	                                 block (true) or one per payment */
	const bank_gateway_pain001_tx *txs;
	size_t                         n_txs; /* at least 1 */
} bank_gateway_pain001_fund;

/* The batch: the GrpHdr and its funds. */
typedef struct bank_gateway_pain001_batch {
	const char *msg_id;         /* MsgId */
	int64_t     created;        /* CreDtTm, Unix seconds, written in
	                               China Standard Time (+08:00) */
	const char *initiator_name; /* InitgPty/Nm: the civil affairs
	                               bureau */
	const bank_gateway_pain001_fund *funds;
	size_t                           n_funds; /* at least 1 */
} bank_gateway_pain001_batch;

/*
 * Writes batch as a pain.001.001.09 document, validated against s (a
 * BANK_GATEWAY_PAIN001 schema). On SN_OK *xml is the UTF-8 document
 * (malloc'd, NUL-terminated, the caller's to free) and *len its length.
 * SN_EINVAL: a field is missing or not text, an amount not positive, or
 * no fund or payment; SN_ERANGE: the control sum overflows; SN_EPROTO:
 * the document does not validate, why holding libxml2's message (which
 * names the element). Nothing is returned on failure.
 */
sn_err bank_gateway_pain001_write(const bank_gateway_iso_schema *s,
    const bank_gateway_pain001_batch *batch, char **xml, size_t *len,
    char *why);

#endif /* BANK_GATEWAY_PAIN001_H */
