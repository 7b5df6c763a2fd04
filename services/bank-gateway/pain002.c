/*
 * pain002.c - reading pain.002.001.10 (pain002.h).
 */
#include "pain002.h"

#include <stdlib.h>
#include <string.h>

#include "isoxml.h"

static sn_err
read_reason(xmlNodePtr level, bank_gateway_pain002_reason *r, char *why)
{
	xmlNodePtr i = isoxml_child(level, "StsRsnInf");
	sn_err     err;

	if ((err = isoxml_text(i, "Rsn/Cd", r->code, sizeof r->code, why))
	        != SN_OK
	    || (err = isoxml_text(i, "Rsn/Prtry", r->proprietary,
	            sizeof r->proprietary, why))
	        != SN_OK) {
		return err;
	}
	return isoxml_text(i, "AddtlInf", r->info, sizeof r->info, why);
}

static sn_err
read_tx(xmlNodePtr n, const bank_gateway_pain002 *r, size_t pmtinf,
    bank_gateway_pain002_tx *t, char *why)
{
	const bank_gateway_pain002_pmtinf *p = &r->pmtinfs[pmtinf];
	sn_err                             err;

	t->pmtinf = pmtinf;
	if ((err = isoxml_text(
	         n, "OrgnlInstrId", t->instr_id, sizeof t->instr_id, why))
	        != SN_OK
	    || (err = isoxml_text(n, "OrgnlEndToEndId", t->end_to_end_id,
	            sizeof t->end_to_end_id, why))
	        != SN_OK
	    || (err
	           = isoxml_text(n, "TxSts", t->status, sizeof t->status, why))
	        != SN_OK
	    || (err = read_reason(n, &t->reason, why)) != SN_OK) {
		return err;
	}
	if (t->status[0] != '\0') {
		return SN_OK;
	}
	t->inherited = true;
	memcpy(t->status, p->status[0] != '\0' ? p->status : r->group_status,
	    sizeof t->status);
	if (t->reason.code[0] == '\0' && t->reason.proprietary[0] == '\0') {
		t->reason = p->status[0] != '\0' ? p->reason : r->group_reason;
	}
	return SN_OK;
}

static sn_err
read_pmtinf(xmlNodePtr n, bank_gateway_pain002 *r, char *why)
{
	bank_gateway_pain002_pmtinf *p = &r->pmtinfs[r->n_pmtinfs];
	xmlNodePtr                   t;
	sn_err                       err;

	if ((err = isoxml_text(
	         n, "OrgnlPmtInfId", p->pmt_inf_id, sizeof p->pmt_inf_id, why))
	        != SN_OK
	    || (err = isoxml_text(
	            n, "PmtInfSts", p->status, sizeof p->status, why))
	        != SN_OK
	    || (err = read_reason(n, &p->reason, why)) != SN_OK) {
		return err;
	}
	r->n_pmtinfs++;
	for (t = isoxml_child(n, "TxInfAndSts"); t != NULL;
	     t = isoxml_next(t)) {
		err = read_tx(t, r, r->n_pmtinfs - 1, &r->txs[r->n_txs], why);
		if (err != SN_OK) {
			return err;
		}
		r->n_txs++;
	}
	return SN_OK;
}

static sn_err
read_report(xmlNodePtr rpt, bank_gateway_pain002 *r, char *why)
{
	xmlNodePtr grp = isoxml_child(rpt, "OrgnlGrpInfAndSts");
	xmlNodePtr p;
	size_t     n_txs = 0;
	sn_err     err;

	if ((err = isoxml_text(
	         rpt, "GrpHdr/MsgId", r->msg_id, sizeof r->msg_id, why))
	        != SN_OK
	    || (err = isoxml_token(
	            rpt, "GrpHdr/CreDtTm", r->created, sizeof r->created, why))
	        != SN_OK
	    || (err = isoxml_text(grp, "OrgnlMsgId", r->orgnl_msg_id,
	            sizeof r->orgnl_msg_id, why))
	        != SN_OK
	    || (err = isoxml_text(grp, "OrgnlMsgNmId", r->orgnl_msg_name,
	            sizeof r->orgnl_msg_name, why))
	        != SN_OK
	    || (err = isoxml_text(grp, "GrpSts", r->group_status,
	            sizeof r->group_status, why))
	        != SN_OK
	    || (err = read_reason(grp, &r->group_reason, why)) != SN_OK) {
		return err;
	}
	p = isoxml_child(rpt, "OrgnlPmtInfAndSts");
	for (xmlNodePtr q = p; q != NULL; q = isoxml_next(q)) {
		n_txs += isoxml_count(isoxml_child(q, "TxInfAndSts"));
	}
	r->pmtinfs = calloc(isoxml_count(p) + 1, sizeof *r->pmtinfs);
	r->txs     = calloc(n_txs + 1, sizeof *r->txs);
	if (r->pmtinfs == NULL || r->txs == NULL) {
		return SN_ENOMEM;
	}
	for (; p != NULL; p = isoxml_next(p)) {
		if ((err = read_pmtinf(p, r, why)) != SN_OK) {
			return err;
		}
	}
	return SN_OK;
}

sn_err
bank_gateway_pain002_read(const bank_gateway_iso_schema *s, const char *xml,
    size_t len, bank_gateway_pain002 **out, char *why)
{
	bank_gateway_pain002 *r;
	xmlDocPtr             doc;
	sn_err                err;

	if (bank_gateway_iso_schema_msg(s) != BANK_GATEWAY_PAIN002) {
		isoxml_why(why, "not the pain.002 schema");
		return SN_EINVAL;
	}
	if ((err = isoxml_read(s, xml, len, &doc, why)) != SN_OK) {
		return err;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		xmlFreeDoc(doc);
		return SN_ENOMEM;
	}
	err = read_report(
	    isoxml_child(xmlDocGetRootElement(doc), "CstmrPmtStsRpt"), r, why);
	xmlFreeDoc(doc);
	if (err != SN_OK) {
		bank_gateway_pain002_free(r);
		return err;
	}
	*out = r;
	return SN_OK;
}

void
bank_gateway_pain002_free(bank_gateway_pain002 *r)
{
	if (r == NULL) {
		return;
	}
	free(r->pmtinfs);
	free(r->txs);
	free(r);
}
