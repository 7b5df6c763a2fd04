/*
 * pain002.h - reading a pain.002.001.10 customer payment status report
 * (issue 14): the group's status, each payment information block's, and
 * each transaction's with its original end-to-end id and reason.
 *
 * The document is read safely and validated against the official XSD
 * before any field is taken (iso20022.h). What a status and reason mean
 * for disbursement is reasons.h's to say.
 */
#ifndef BANK_GATEWAY_PAIN002_H
#define BANK_GATEWAY_PAIN002_H

#include <stdbool.h>
#include <stddef.h>

#include "iso20022.h"

/* The first StsRsnInf of a level: Rsn/Cd (an ISO external code) or
 * Rsn/Prtry, and the first AddtlInf; each "" when absent. */
typedef struct bank_gateway_pain002_reason {
	char code[BANK_GATEWAY_ISO_CODE_MAX];
	char proprietary[BANK_GATEWAY_ISO_ID_MAX];
	char info[424]; /* Max105Text in UTF-8 */
} bank_gateway_pain002_reason;

/* A TxInfAndSts. */
typedef struct bank_gateway_pain002_tx {
	size_t pmtinf; /* index in bank_gateway_pain002.pmtinfs */
	char   instr_id[BANK_GATEWAY_ISO_ID_MAX];      /* OrgnlInstrId */
	char   end_to_end_id[BANK_GATEWAY_ISO_ID_MAX]; /* OrgnlEndToEndId */
	/* TxSts; when the bank gave none, the block's PmtInfSts, else the
	 * group's GrpSts ("" when none of the three is there), and the
	 * reason with it. */
	char                        status[BANK_GATEWAY_ISO_CODE_MAX];
	bool                        inherited; /* status from a level above */
	bank_gateway_pain002_reason reason;
} bank_gateway_pain002_tx;

/* An OrgnlPmtInfAndSts. */
typedef struct bank_gateway_pain002_pmtinf {
	char pmt_inf_id[BANK_GATEWAY_ISO_ID_MAX]; /* OrgnlPmtInfId */
	char status[BANK_GATEWAY_ISO_CODE_MAX];   /* PmtInfSts, "" if none */
	bank_gateway_pain002_reason reason;
} bank_gateway_pain002_pmtinf;

typedef struct bank_gateway_pain002 {
	char msg_id[BANK_GATEWAY_ISO_ID_MAX];         /* GrpHdr/MsgId */
	char created[BANK_GATEWAY_ISO_DATE_MAX];      /* GrpHdr/CreDtTm */
	char orgnl_msg_id[BANK_GATEWAY_ISO_ID_MAX];   /* our pain.001 MsgId */
	char orgnl_msg_name[BANK_GATEWAY_ISO_ID_MAX]; /* "pain.001.001.09" */
	char group_status[BANK_GATEWAY_ISO_CODE_MAX]; /* GrpSts, "" if none */
	bank_gateway_pain002_reason  group_reason;
	bank_gateway_pain002_pmtinf *pmtinfs;
	size_t                       n_pmtinfs;
	bank_gateway_pain002_tx     *txs; /* in document order */
	size_t                       n_txs;
} bank_gateway_pain002;

/*
 * Reads xml (len bytes) against s (a BANK_GATEWAY_PAIN002 schema). On
 * SN_OK *out is the caller's (bank_gateway_pain002_free). SN_EPROTO: not
 * well-formed, a DTD, not valid, or a field too long (why says which);
 * SN_ENOMEM.
 */
sn_err bank_gateway_pain002_read(const bank_gateway_iso_schema *s,
    const char *xml, size_t len, bank_gateway_pain002 **out, char *why);

/* Frees r; NULL is fine. */
void bank_gateway_pain002_free(bank_gateway_pain002 *r);

#endif /* BANK_GATEWAY_PAIN002_H */
