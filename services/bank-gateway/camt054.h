/*
 * camt054.h - reading a camt.054.001.08 bank-to-customer debit/credit
 * notification (issue 14): the entries booked on the fund's account,
 * one row per transaction the bank names, for reconciliation by
 * EndToEndId.
 *
 * Read safely and validated against the official XSD first
 * (iso20022.h). Amounts are exact fen: an amount with a fraction of a
 * fen is refused, never rounded.
 */
#ifndef BANK_GATEWAY_CAMT054_H
#define BANK_GATEWAY_CAMT054_H

#include <stdbool.h>
#include <stddef.h>

#include "iso20022.h"

/*
 * One transaction of an entry (Ntry/NtryDtls/TxDtls), or the entry
 * itself when it has no TxDtls (then end_to_end_id is "": an entry no
 * payment of ours can claim).
 */
typedef struct bank_gateway_camt054_entry {
	char account[BANK_GATEWAY_ISO_ID_MAX];     /* Ntfctn/Acct/Id/Othr/Id
	                                              (or IBAN) */
	char   entry_ref[BANK_GATEWAY_ISO_ID_MAX]; /* Ntry/NtryRef */
	char   bank_ref[BANK_GATEWAY_ISO_ID_MAX];  /* Ntry/AcctSvcrRef */
	char   end_to_end_id[BANK_GATEWAY_ISO_ID_MAX]; /* Refs/EndToEndId */
	char   msg_id[BANK_GATEWAY_ISO_ID_MAX]; /* Refs/MsgId: our pain.001 */
	sn_fen amount; /* TxDtls/Amt, else the entry's Amt when it has a
	                  single transaction */
	char currency[BANK_GATEWAY_ISO_CODE_MAX];     /* of that amount */
	bool debit;                                   /* CdtDbtInd DBIT */
	bool reversal;                                /* Ntry/RvslInd true */
	char status[BANK_GATEWAY_ISO_CODE_MAX];       /* Ntry/Sts/Cd: BOOK,
	                                                 PDNG, INFO */
	char booking_date[BANK_GATEWAY_ISO_DATE_MAX]; /* BookgDt/Dt, or
	                                                 DtTm; "" if none */
} bank_gateway_camt054_entry;

typedef struct bank_gateway_camt054 {
	char msg_id[BANK_GATEWAY_ISO_ID_MAX];    /* GrpHdr/MsgId */
	char created[BANK_GATEWAY_ISO_DATE_MAX]; /* GrpHdr/CreDtTm */
	bank_gateway_camt054_entry *entries;     /* in document order */
	size_t                      n_entries;
} bank_gateway_camt054;

/*
 * Reads xml (len bytes) against s (a BANK_GATEWAY_CAMT054 schema). On
 * SN_OK *out is the caller's (bank_gateway_camt054_free). SN_EPROTO: not
 * well-formed, a DTD, not valid, an amount not exact in fen, or an entry
 * of several transactions with one lacking its own amount (why says
 * which); SN_ENOMEM.
 */
sn_err bank_gateway_camt054_read(const bank_gateway_iso_schema *s,
    const char *xml, size_t len, bank_gateway_camt054 **out, char *why);

/* Frees n; NULL is fine. */
void bank_gateway_camt054_free(bank_gateway_camt054 *n);

#endif /* BANK_GATEWAY_CAMT054_H */
