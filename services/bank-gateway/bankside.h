/*
 * bankside.h - the bank's side of bank-gateway's three ISO 20022
 * messages (issue 14), for bank-sim: reading the pain.001.001.09 a
 * customer sends, and writing the pain.002.001.10 status report and the
 * camt.054.001.08 debit notification the bank answers with. The
 * customer's side is pain001.h, pain002.h and camt054.h; a document
 * written here is read there (the unit tests check both ways).
 *
 * Reading is as safe as iso20022.h says for every document from outside:
 * no network, no DTD (refused before its internal subset is read), no
 * entity substitution, at most BANK_GATEWAY_ISO_MAX_BYTES, and validated
 * against the XSD before any field is read. Writing uses libxml2's tree
 * API (every text escaped by libxml2) and validates the tree against the
 * XSD before the bytes are handed out: a document that does not validate
 * is never returned.
 *
 * Amounts are int64 fen. A pain.001 amount the XSD allows but that is
 * not a whole number of fen ("1.005") is read as such (amount_exact
 * false), not refused: the bank rejects that one transaction (AM12).
 *
 * Errors: sn_err, with a one-line reason in why (BANK_GATEWAY_ISO_WHY_MAX
 * bytes, may be NULL). Threads: as iso20022.h (a schema may be shared;
 * everything else lives on the caller's stack or heap).
 */
#ifndef BANK_GATEWAY_BANKSIDE_H
#define BANK_GATEWAY_BANKSIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iso20022.h"

/* Room for a Max140Text (names, remittance) in UTF-8, NUL included. */
#define BANK_GATEWAY_BANKSIDE_TEXT_MAX 561
/* Room for an AddtlInf (Max105Text) in UTF-8, NUL included. */
#define BANK_GATEWAY_BANKSIDE_INFO_MAX 421

/* --- reading a pain.001.001.09 ------------------------------------------ */

/* One CdtTrfTxInf. Strings are "" when the document leaves them out. */
typedef struct bank_gateway_bankside_tx {
	size_t pmtinf;                                 /* index in pmtinfs */
	char   instr_id[BANK_GATEWAY_ISO_ID_MAX];      /* PmtId/InstrId */
	char   end_to_end_id[BANK_GATEWAY_ISO_ID_MAX]; /* PmtId/EndToEndId */
	/* Amt/InstdAmt in fen when amount_exact; an EqvtAmt (no InstdAmt)
	 * or a fraction of a fen leaves amount 0 and amount_exact false. */
	sn_fen amount;
	bool   amount_exact;
	char   currency[BANK_GATEWAY_ISO_CODE_MAX]; /* InstdAmt/@Ccy */
	char   creditor_name[BANK_GATEWAY_BANKSIDE_TEXT_MAX]; /* Cdtr/Nm */
	/* CdtrAcct/Id/Othr/Id, or its IBAN */
	char creditor_account[BANK_GATEWAY_ISO_ID_MAX];
	char remittance[BANK_GATEWAY_BANKSIDE_TEXT_MAX]; /* first RmtInf/Ustrd
	                                                  */
} bank_gateway_bankside_tx;

/* One PmtInf. */
typedef struct bank_gateway_bankside_pmtinf {
	char pmt_inf_id[BANK_GATEWAY_ISO_ID_MAX];         /* PmtInfId */
	char debtor_name[BANK_GATEWAY_BANKSIDE_TEXT_MAX]; /* Dbtr/Nm */
	char debtor_account[BANK_GATEWAY_ISO_ID_MAX];     /* DbtrAcct Othr
	                                                     or IBAN */
	char currency[BANK_GATEWAY_ISO_CODE_MAX];         /* DbtrAcct/Ccy */
	char execution_date[BANK_GATEWAY_ISO_DATE_MAX];   /* ReqdExctnDt
	                                                     Dt or DtTm */
	size_t first_tx; /* its transactions: txs[first_tx .. + n_txs) */
	size_t n_txs;
} bank_gateway_bankside_pmtinf;

typedef struct bank_gateway_bankside_pain001 {
	char msg_id[BANK_GATEWAY_ISO_ID_MAX];           /* GrpHdr/MsgId */
	char created[BANK_GATEWAY_ISO_DATE_MAX];        /* GrpHdr/CreDtTm */
	char initiator[BANK_GATEWAY_BANKSIDE_TEXT_MAX]; /* InitgPty/Nm */
	/*
	 * The totals as checked: "" when the group's NbOfTxs and CtrlSum
	 * (when given) and every PmtInf's (when given) match its
	 * transactions; else "AM18" (a count does not match) or "AM16" (a
	 * control sum does not), the first found, with totals_why saying
	 * which. Sums are compared exactly (CtrlSum to 17 decimals).
	 */
	char                          totals_code[BANK_GATEWAY_ISO_CODE_MAX];
	char                          totals_why[BANK_GATEWAY_ISO_WHY_MAX];
	bank_gateway_bankside_pmtinf *pmtinfs; /* in document order */
	size_t                        n_pmtinfs;
	bank_gateway_bankside_tx     *txs; /* in document order */
	size_t                        n_txs;
} bank_gateway_bankside_pain001;

/*
 * Reads xml (len bytes) against s (a BANK_GATEWAY_PAIN001 schema). On
 * SN_OK *out is the caller's (bank_gateway_bankside_pain001_free).
 * SN_EPROTO: not well-formed, a DTD, not valid, a field over its room,
 * or a text field (an id, a name, an account, the remittance) holding a
 * control character, which the XSD allows (tab, line feed, DEL, C1) but
 * the bank could not echo in its report (isoxml.h's writers take none;
 * why says which: libxml2's message or the field and line). SN_ENOMEM;
 * SN_EINVAL for another schema.
 *
 * msg_id (may be NULL) is set in every case: the document's GrpHdr/MsgId
 * when a refused document is still well-formed without a DTD and holds
 * one of 1 to 35 characters without a control character, else "" (the
 * status report then names the original message "NOTPROVIDED").
 */
sn_err bank_gateway_bankside_pain001_read(const bank_gateway_iso_schema *s,
    const char *xml, size_t len, bank_gateway_bankside_pain001 **out,
    char msg_id[BANK_GATEWAY_ISO_ID_MAX], char *why);

/* Frees d; NULL is fine. */
void bank_gateway_bankside_pain001_free(bank_gateway_bankside_pain001 *d);

/* --- writing a pain.002.001.10 ------------------------------------------ */

/* A status at one level (GrpSts, PmtInfSts or TxSts) and its first
 * StsRsnInf. Strings borrowed for the call. */
typedef struct bank_gateway_bankside_status {
	const char *status; /* "ACSC", "ACCP", "PART", "RJCT", ...; NULL:
	                       none written at this level */
	const char *reason; /* Rsn/Cd, an ISO external reason code; NULL:
	                       none */
	const char *info;   /* AddtlInf; NULL: none. Cut to its first 105
	                       characters (UTF-8 characters, not bytes). */
} bank_gateway_bankside_status;

/* A TxInfAndSts. */
typedef struct bank_gateway_bankside_report_tx {
	const char *instr_id;      /* OrgnlInstrId; NULL or "": none */
	const char *end_to_end_id; /* OrgnlEndToEndId */
	bank_gateway_bankside_status st;
	const char *bank_ref; /* AcctSvcrRef; NULL or "": none */
} bank_gateway_bankside_report_tx;

/* An OrgnlPmtInfAndSts and its transactions. */
typedef struct bank_gateway_bankside_report_pmtinf {
	const char                            *pmt_inf_id; /* OrgnlPmtInfId */
	bank_gateway_bankside_status           st;
	const bank_gateway_bankside_report_tx *txs;
	size_t                                 n_txs;
} bank_gateway_bankside_report_pmtinf;

/* A CstmrPmtStsRpt. */
typedef struct bank_gateway_bankside_report {
	const char *msg_id;       /* GrpHdr/MsgId: this report's own */
	int64_t     created;      /* GrpHdr/CreDtTm, Unix seconds, written in
	                             China Standard Time (+08:00) */
	const char *orgnl_msg_id; /* the pain.001's MsgId, "NOTPROVIDED"
	                             when it could not be read */
	size_t orgnl_nb_of_txs;   /* OrgnlNbOfTxs; 0: not written */
	bool   has_orgnl_ctrl_sum;
	sn_fen orgnl_ctrl_sum; /* OrgnlCtrlSum, when has_ */
	bank_gateway_bankside_status               group; /* GrpSts */
	const bank_gateway_bankside_report_pmtinf *pmtinfs;
	size_t                                     n_pmtinfs; /* may be 0 */
} bank_gateway_bankside_report;

/*
 * Writes r as a pain.002.001.10 document validated against s (a
 * BANK_GATEWAY_PAIN002 schema). On SN_OK *xml is the UTF-8 document
 * (malloc'd, NUL-terminated, the caller's) and *len its length.
 * SN_EINVAL: a field missing or not text; SN_EPROTO: the document does
 * not validate (why names the element). Nothing is returned on failure.
 */
sn_err bank_gateway_bankside_pain002_write(const bank_gateway_iso_schema *s,
    const bank_gateway_bankside_report *r, char **xml, size_t *len, char *why);

/* --- writing a camt.054.001.08 ------------------------------------------ */

/* What an entry is, for its BkTxCd/Domn (domain PMNT). */
typedef enum bank_gateway_bankside_entry_kind {
	BANK_GATEWAY_BANKSIDE_CREDIT_TRANSFER = 0, /* ICDT/DMCT: a payment
	                                              the customer ordered */
	BANK_GATEWAY_BANKSIDE_OTHER_DEBIT,         /* MDOP/OTHR: a debit
	                                              the bank made (a fee,
	                                              a foreign payment) */
} bank_gateway_bankside_entry_kind;

/* One booked debit: a Ntry with one TxDtls (unless every reference is
 * absent). Strings borrowed; NULL or "" leave a field out. */
typedef struct bank_gateway_bankside_entry {
	const char *entry_ref;    /* NtryRef */
	const char *bank_ref;     /* AcctSvcrRef (entry and Refs) */
	sn_fen      amount;       /* Amt, >= 0, in the account's currency */
	const char *booking_date; /* BookgDt/Dt and ValDt/Dt, "YYYY-MM-DD" */
	bank_gateway_bankside_entry_kind kind;
	const char                      *msg_id;        /* Refs/MsgId */
	const char                      *pmt_inf_id;    /* Refs/PmtInfId */
	const char                      *instr_id;      /* Refs/InstrId */
	const char                      *end_to_end_id; /* Refs/EndToEndId */
} bank_gateway_bankside_entry;

/* A BkToCstmrDbtCdtNtfctn with one Ntfctn, for one account. */
typedef struct bank_gateway_bankside_notification {
	const char *msg_id;    /* GrpHdr/MsgId */
	int64_t     created;   /* GrpHdr/CreDtTm and Ntfctn/CreDtTm, Unix
	                          seconds, written +08:00 */
	const char *ntfctn_id; /* Ntfctn/Id */
	const char *account;   /* Acct/Id/Othr/Id */
	const char *currency;  /* Acct/Ccy and every Amt's Ccy, "CNY" */
	const bank_gateway_bankside_entry *entries;
	size_t                             n_entries; /* 0: no Ntry */
} bank_gateway_bankside_notification;

/*
 * Writes n as a camt.054.001.08 document validated against s (a
 * BANK_GATEWAY_CAMT054 schema); as bank_gateway_bankside_pain002_write
 * otherwise (SN_ERANGE for a negative amount).
 */
sn_err bank_gateway_bankside_camt054_write(const bank_gateway_iso_schema *s,
    const bank_gateway_bankside_notification *n, char **xml, size_t *len,
    char *why);

#endif /* BANK_GATEWAY_BANKSIDE_H */
