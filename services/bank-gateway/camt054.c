/*
 * camt054.c - reading camt.054.001.08 (camt054.h).
 */
#include "camt054.h"

#include <stdlib.h>
#include <string.h>

#include "isoxml.h"

/* The TxDtls of an entry, over all its NtryDtls. */
static size_t
tx_count(xmlNodePtr ntry)
{
	xmlNodePtr d, t;
	size_t     n = 0;

	for (d = isoxml_child(ntry, "NtryDtls"); d != NULL;
	     d = isoxml_next(d)) {
		for (t = isoxml_child(d, "TxDtls"); t != NULL;
		     t = isoxml_next(t)) {
			n++;
		}
	}
	return n;
}

/* The amount at path under n and its Ccy. */
static sn_err
amount(
    xmlNodePtr n, const char *path, bank_gateway_camt054_entry *e, char *why)
{
	xmlNodePtr a = isoxml_path(n, path);
	xmlChar   *ccy;
	sn_err     err;

	if ((err = isoxml_amount(n, path, &e->amount, why)) != SN_OK) {
		return err;
	}
	if ((ccy = xmlGetProp(a, BAD_CAST "Ccy")) == NULL) {
		return SN_ENOMEM; /* mandatory: the XSD saw it */
	}
	/* The XSD's pattern: three capitals. */
	strncpy(e->currency, (const char *) ccy, sizeof e->currency - 1);
	xmlFree(ccy);
	return SN_OK;
}

/* The fields every row of an entry shares. */
static sn_err
read_entry(xmlNodePtr ntfctn, xmlNodePtr ntry, bank_gateway_camt054_entry *e,
    char *why)
{
	char   ind[8], rvsl[8];
	sn_err err;

	if ((err = isoxml_text(ntfctn, "Acct/Id/Othr/Id", e->account,
	         sizeof e->account, why))
	        != SN_OK
	    || (e->account[0] == '\0'
	        && (err = isoxml_text(ntfctn, "Acct/Id/IBAN", e->account,
	                sizeof e->account, why))
	            != SN_OK)
	    || (err = isoxml_text(
	            ntry, "NtryRef", e->entry_ref, sizeof e->entry_ref, why))
	        != SN_OK
	    || (err = isoxml_text(
	            ntry, "AcctSvcrRef", e->bank_ref, sizeof e->bank_ref, why))
	        != SN_OK
	    || (err = isoxml_text(ntry, "CdtDbtInd", ind, sizeof ind, why))
	        != SN_OK
	    || (err = isoxml_token(ntry, "RvslInd", rvsl, sizeof rvsl, why))
	        != SN_OK
	    || (err = isoxml_text(
	            ntry, "Sts/Cd", e->status, sizeof e->status, why))
	        != SN_OK
	    || (err = isoxml_token(ntry, "BookgDt/Dt", e->booking_date,
	            sizeof e->booking_date, why))
	        != SN_OK
	    || (e->booking_date[0] == '\0'
	        && (err = isoxml_token(ntry, "BookgDt/DtTm", e->booking_date,
	                sizeof e->booking_date, why))
	            != SN_OK)) {
		return err;
	}
	e->debit    = strcmp(ind, "DBIT") == 0;
	e->reversal = strcmp(rvsl, "true") == 0 || strcmp(rvsl, "1") == 0;
	return amount(ntry, "Amt", e, why);
}

/* An entry's k transactions (one row when k is 0) into rows[0..]. */
static sn_err
read_rows(xmlNodePtr ntfctn, xmlNodePtr ntry, size_t k,
    bank_gateway_camt054_entry *rows, char *why)
{
	bank_gateway_camt054_entry base = { .amount = 0 };
	xmlNodePtr                 d, t;
	size_t                     i = 0;
	sn_err                     err;

	if ((err = read_entry(ntfctn, ntry, &base, why)) != SN_OK) {
		return err;
	}
	rows[0] = base;
	for (d = isoxml_child(ntry, "NtryDtls"); d != NULL;
	     d = isoxml_next(d)) {
		for (t = isoxml_child(d, "TxDtls"); t != NULL;
		     t = isoxml_next(t), i++) {
			bank_gateway_camt054_entry *e = &rows[i];

			*e = base;
			if ((err = isoxml_text(t, "Refs/EndToEndId",
			         e->end_to_end_id, sizeof e->end_to_end_id,
			         why))
			        != SN_OK
			    || (err = isoxml_text(t, "Refs/MsgId", e->msg_id,
			            sizeof e->msg_id, why))
			        != SN_OK) {
				return err;
			}
			if (isoxml_child(t, "Amt") != NULL) {
				err = amount(t, "Amt", e, why);
			} else if (k > 1) {
				isoxml_why(why,
				    "line %ld: an entry of %zu "
				    "transactions has one without an "
				    "amount",
				    xmlGetLineNo(t), k);
				err = SN_EPROTO;
			}
			if (err != SN_OK) {
				return err;
			}
		}
	}
	return SN_OK;
}

static sn_err
read_notification(xmlNodePtr root, bank_gateway_camt054 *r, char *why)
{
	xmlNodePtr n, e;
	size_t     rows = 0, k;
	sn_err     err;

	if ((err = isoxml_text(
	         root, "GrpHdr/MsgId", r->msg_id, sizeof r->msg_id, why))
	        != SN_OK
	    || (err = isoxml_token(root, "GrpHdr/CreDtTm", r->created,
	            sizeof r->created, why))
	        != SN_OK) {
		return err;
	}
	for (n = isoxml_child(root, "Ntfctn"); n != NULL; n = isoxml_next(n)) {
		for (e = isoxml_child(n, "Ntry"); e != NULL;
		     e = isoxml_next(e)) {
			k = tx_count(e);
			rows += k > 0 ? k : 1;
		}
	}
	if ((r->entries = calloc(rows + 1, sizeof *r->entries)) == NULL) {
		return SN_ENOMEM;
	}
	for (n = isoxml_child(root, "Ntfctn"); n != NULL; n = isoxml_next(n)) {
		for (e = isoxml_child(n, "Ntry"); e != NULL;
		     e = isoxml_next(e)) {
			k   = tx_count(e);
			err = read_rows(
			    n, e, k, &r->entries[r->n_entries], why);
			if (err != SN_OK) {
				return err;
			}
			r->n_entries += k > 0 ? k : 1;
		}
	}
	return SN_OK;
}

sn_err
bank_gateway_camt054_read(const bank_gateway_iso_schema *s, const char *xml,
    size_t len, bank_gateway_camt054 **out, char *why)
{
	bank_gateway_camt054 *r;
	xmlDocPtr             doc;
	sn_err                err;

	if (bank_gateway_iso_schema_msg(s) != BANK_GATEWAY_CAMT054) {
		isoxml_why(why, "not the camt.054 schema");
		return SN_EINVAL;
	}
	if ((err = isoxml_read(s, xml, len, &doc, why)) != SN_OK) {
		return err;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		xmlFreeDoc(doc);
		return SN_ENOMEM;
	}
	err = read_notification(
	    isoxml_child(xmlDocGetRootElement(doc), "BkToCstmrDbtCdtNtfctn"),
	    r, why);
	xmlFreeDoc(doc);
	if (err != SN_OK) {
		bank_gateway_camt054_free(r);
		return err;
	}
	*out = r;
	return SN_OK;
}

void
bank_gateway_camt054_free(bank_gateway_camt054 *n)
{
	if (n == NULL) {
		return;
	}
	free(n->entries);
	free(n);
}
