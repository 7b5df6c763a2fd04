/*
 * pain001.c - writing pain.001.001.09 (pain001.h).
 */
#include "pain001.h"

#include <stdio.h>
#include <string.h>

#include "isoxml.h"

/* The count and sum of a fund's payments; every amount positive. */
static sn_err
fund_totals(const bank_gateway_pain001_fund *f, sn_fen *sum, char *why)
{
	size_t i;

	*sum = 0;
	if (f->txs == NULL || f->n_txs == 0) {
		isoxml_why(why, "fund %s has no payment",
		    f->pmt_inf_id != NULL ? f->pmt_inf_id : "(no PmtInfId)");
		return SN_EINVAL;
	}
	for (i = 0; i < f->n_txs; i++) {
		if (f->txs[i].amount <= 0) {
			isoxml_why(why,
			    "payment %zu of %s: amount %lld fen is "
			    "not positive",
			    i,
			    f->pmt_inf_id != NULL ? f->pmt_inf_id
			                          : "(no PmtInfId)",
			    (long long) f->txs[i].amount);
			return SN_EINVAL;
		}
		if (sn_fen_add(*sum, f->txs[i].amount, sum) != SN_OK) {
			isoxml_why(why, "control sum overflows");
			return SN_ERANGE;
		}
	}
	return SN_OK;
}

/* Fields a document cannot go without (the XSD would say so too, but
 * less plainly). */
static sn_err
required(const char *v, const char *field, char *why)
{
	if (v == NULL) {
		isoxml_why(why, "%s is missing", field);
		return SN_EINVAL;
	}
	return SN_OK;
}

static sn_err
check_fund(const bank_gateway_pain001_fund *f, char *why)
{
	size_t i;
	sn_err err;

	if ((err = required(f->pmt_inf_id, "PmtInfId", why)) != SN_OK
	    || (err = required(f->debtor_name, "Dbtr/Nm", why)) != SN_OK
	    || (err = required(f->debtor_account, "DbtrAcct", why)) != SN_OK
	    || (err = required(f->debtor_agent, "DbtrAgt", why)) != SN_OK
	    || (err = required(f->currency, "Ccy", why)) != SN_OK
	    || (err = required(f->execution_date, "ReqdExctnDt", why))
	        != SN_OK) {
		return err;
	}
	for (i = 0; i < f->n_txs && f->txs != NULL; i++) {
		const bank_gateway_pain001_tx *t = &f->txs[i];

		if ((err = required(t->instr_id, "InstrId", why)) != SN_OK
		    || (err = required(t->end_to_end_id, "EndToEndId", why))
		        != SN_OK
		    || (err = required(t->creditor_name, "Cdtr/Nm", why))
		        != SN_OK
		    || (err = required(t->creditor_account, "CdtrAcct", why))
		        != SN_OK) {
			return err;
		}
	}
	return SN_OK;
}

static void
add_tx(isoxml_writer *w, xmlNodePtr pmt, const bank_gateway_pain001_tx *t,
    const char *ccy)
{
	xmlNodePtr tx = isoxml_add(w, pmt, "CdtTrfTxInf", NULL, "CdtTrfTxInf");
	xmlNodePtr pid = isoxml_add(w, tx, "PmtId", NULL, "PmtId");

	isoxml_add(w, pid, "InstrId", t->instr_id, "InstrId");
	isoxml_add(w, pid, "EndToEndId", t->end_to_end_id, "EndToEndId");
	isoxml_add_amount(w, isoxml_add(w, tx, "Amt", NULL, "Amt"), "InstdAmt",
	    t->amount, ccy);
	isoxml_add(w, isoxml_add(w, tx, "Cdtr", NULL, "Cdtr"), "Nm",
	    t->creditor_name, "Cdtr/Nm");
	isoxml_add_account(
	    w, tx, "CdtrAcct", t->creditor_account, NULL, "CdtrAcct");
	if (t->remittance != NULL) {
		isoxml_add(w, isoxml_add(w, tx, "RmtInf", NULL, "RmtInf"),
		    "Ustrd", t->remittance, "RmtInf/Ustrd");
	}
}

/* f is checked (batch_totals): its sum is known to fit. */
static void
add_fund(isoxml_writer *w, xmlNodePtr root, const bank_gateway_pain001_fund *f)
{
	char       n[32], a[BANK_GATEWAY_ISO_AMOUNT_MAX];
	xmlNodePtr pmt = isoxml_add(w, root, "PmtInf", NULL, "PmtInf");
	xmlNodePtr agt;
	sn_fen     sum;
	size_t     i;

	fund_totals(f, &sum, NULL);
	snprintf(n, sizeof n, "%zu", f->n_txs);
	bank_gateway_iso_amount_format(sum, a);
	isoxml_add(w, pmt, "PmtInfId", f->pmt_inf_id, "PmtInfId");
	isoxml_add(w, pmt, "PmtMtd", "TRF", "PmtMtd");
	isoxml_add(w, pmt, "BtchBookg", f->batch_booking ? "true" : "false",
	    "BtchBookg");
	isoxml_add(w, pmt, "NbOfTxs", n, "NbOfTxs");
	isoxml_add(w, pmt, "CtrlSum", a, "CtrlSum");
	if (f->category_purpose != NULL) {
		isoxml_add(w,
		    isoxml_add(w,
		        isoxml_add(w, pmt, "PmtTpInf", NULL, "PmtTpInf"),
		        "CtgyPurp", NULL, "CtgyPurp"),
		    "Cd", f->category_purpose, "CtgyPurp/Cd");
	}
	isoxml_add(w, isoxml_add(w, pmt, "ReqdExctnDt", NULL, "ReqdExctnDt"),
	    "Dt", f->execution_date, "ReqdExctnDt");
	isoxml_add(w, isoxml_add(w, pmt, "Dbtr", NULL, "Dbtr"), "Nm",
	    f->debtor_name, "Dbtr/Nm");
	isoxml_add_account(
	    w, pmt, "DbtrAcct", f->debtor_account, f->currency, "DbtrAcct");
	agt = isoxml_add(w,
	    isoxml_add(w, isoxml_add(w, pmt, "DbtrAgt", NULL, "DbtrAgt"),
	        "FinInstnId", NULL, "DbtrAgt"),
	    "ClrSysMmbId", NULL, "DbtrAgt");
	isoxml_add(w, isoxml_add(w, agt, "ClrSysId", NULL, "DbtrAgt"), "Cd",
	    "CNAPS", "DbtrAgt");
	isoxml_add(w, agt, "MmbId", f->debtor_agent, "DbtrAgt");
	for (i = 0; i < f->n_txs; i++) {
		add_tx(w, pmt, &f->txs[i], f->currency);
	}
}

/* Checks the batch and computes the group's count and sum. */
static sn_err
batch_totals(
    const bank_gateway_pain001_batch *b, size_t *count, sn_fen *sum, char *why)
{
	size_t i;
	sn_fen fund;
	sn_err err;

	*count = 0;
	*sum   = 0;
	if ((err = required(b->msg_id, "MsgId", why)) != SN_OK
	    || (err = required(b->initiator_name, "InitgPty/Nm", why))
	        != SN_OK) {
		return err;
	}
	if (b->funds == NULL || b->n_funds == 0) {
		isoxml_why(why, "batch %s has no fund", b->msg_id);
		return SN_EINVAL;
	}
	for (i = 0; i < b->n_funds; i++) {
		if ((err = check_fund(&b->funds[i], why)) != SN_OK
		    || (err = fund_totals(&b->funds[i], &fund, why))
		        != SN_OK) {
			return err;
		}
		*count += b->funds[i].n_txs;
		if (sn_fen_add(*sum, fund, sum) != SN_OK) {
			isoxml_why(why, "control sum overflows");
			return SN_ERANGE;
		}
	}
	return SN_OK;
}

sn_err
bank_gateway_pain001_write(const bank_gateway_iso_schema *s,
    const bank_gateway_pain001_batch *b, char **xml, size_t *len, char *why)
{
	char          created[BANK_GATEWAY_ISO_DATE_MAX], n[32];
	char          a[BANK_GATEWAY_ISO_AMOUNT_MAX];
	sn_fen        sum;
	size_t        count, i;
	isoxml_writer w;
	xmlNodePtr    root, hdr;
	sn_err        err;

	if (bank_gateway_iso_schema_msg(s) != BANK_GATEWAY_PAIN001) {
		isoxml_why(why, "not the pain.001 schema");
		return SN_EINVAL;
	}
	if ((err = batch_totals(b, &count, &sum, why)) != SN_OK) {
		return err;
	}
	if (isoxml_format_cst(b->created, created) != SN_OK) {
		isoxml_why(why, "CreDtTm: %lld is not a time",
		    (long long) b->created);
		return SN_ERANGE;
	}
	snprintf(n, sizeof n, "%zu", count);
	bank_gateway_iso_amount_format(sum, a);
	root = isoxml_begin(&w, BANK_GATEWAY_PAIN001, "CstmrCdtTrfInitn", why);
	hdr  = isoxml_add(&w, root, "GrpHdr", NULL, "GrpHdr");
	isoxml_add(&w, hdr, "MsgId", b->msg_id, "MsgId");
	isoxml_add(&w, hdr, "CreDtTm", created, "CreDtTm");
	isoxml_add(&w, hdr, "NbOfTxs", n, "NbOfTxs");
	isoxml_add(&w, hdr, "CtrlSum", a, "CtrlSum");
	isoxml_add(&w, isoxml_add(&w, hdr, "InitgPty", NULL, "InitgPty"), "Nm",
	    b->initiator_name, "InitgPty/Nm");
	for (i = 0; i < b->n_funds; i++) {
		add_fund(&w, root, &b->funds[i]);
	}
	return isoxml_end(&w, s, xml, len);
}
