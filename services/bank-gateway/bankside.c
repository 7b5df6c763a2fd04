/*
 * bankside.c - the bank's side of the three messages (bankside.h).
 */
#include "bankside.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "isoxml.h"
#include "sn/input.h"

/* --- reading ---------------------------------------------------------- */

/* isoxml_text, refusing what the bank could not write back: a control
 * character (XML allows tab, line feed, carriage return, DEL and C1 in
 * any Max35Text or Max140Text; the bank echoes identifiers, and its
 * writers take none: isoxml_text_ok), SN_EPROTO naming the element and
 * its line. */
static sn_err
text_of(xmlNodePtr n, const char *path, char *buf, size_t len, char *why)
{
	sn_err err = isoxml_text(n, path, buf, len, why);

	if (err == SN_OK && !isoxml_text_ok(buf)) {
		isoxml_why(why,
		    "line %ld: %s holds a control character, which the bank "
		    "does not take",
		    xmlGetLineNo(isoxml_path(n, path)), path);
		return SN_EPROTO;
	}
	return err;
}

/* Set by refuse_dtd through the parser context's _private. */
typedef struct peek_state {
	bool dtd;
} peek_state;

/* SAX: a DOCTYPE; stops the parse before its internal subset is read
 * (as iso20022.c does for every document it reads). */
static void
refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
	xmlParserCtxtPtr pc = ctx;
	peek_state      *st = pc->_private;

	(void) name;
	(void) external_id;
	(void) system_id;
	st->dtd = true;
	xmlStopParser(pc);
}

/*
 * The GrpHdr/MsgId of a document refused by isoxml_read, when it is
 * still well-formed without a DTD; "" otherwise. Parsed with the same
 * safety (no network, no DTD, no substitution), not validated: only that
 * one field is taken, and only when it is a Max35Text.
 */
static void
peek_msg_id(const char *xml, size_t len, char msg_id[BANK_GATEWAY_ISO_ID_MAX])
{
	xmlParserCtxtPtr pc;
	peek_state       st = { .dtd = false };
	xmlDocPtr        d;
	xmlNodePtr       root, hdr;

	msg_id[0] = '\0';
	if (xml == NULL || len == 0 || len > BANK_GATEWAY_ISO_MAX_BYTES
	    || len > (size_t) INT32_MAX || (pc = xmlNewParserCtxt()) == NULL) {
		return;
	}
	pc->sax->internalSubset = refuse_dtd;
	pc->_private            = &st;
	d = xmlCtxtReadMemory(pc, xml, (int) len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlFreeParserCtxt(pc);
	if (d == NULL || st.dtd || d->intSubset != NULL) {
		xmlFreeDoc(d);
		return;
	}
	root = xmlDocGetRootElement(d);
	hdr  = root != NULL && xmlStrEqual(root->name, BAD_CAST "Document")
	     ? isoxml_path(root, "CstmrCdtTrfInitn/GrpHdr")
	     : NULL;
	if (text_of(hdr, "MsgId", msg_id, BANK_GATEWAY_ISO_ID_MAX, NULL)
	        != SN_OK
	    || sn_utf8_chars(msg_id) > 35) {
		msg_id[0] = '\0';
	}
	xmlFreeDoc(d);
}

/* Units of 1e-5 yuan: every ISO amount (5 decimals at most) is a whole
 * number of them, and a fen is 1000. */
#define UNITS_PER_FEN 1000

static bool
xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * An xs:decimal (whitespace collapsed) in units of 1e-5 yuan, exactly:
 * false when it has a non-zero digit past the fifth decimal, overflows
 * int64 or is not a decimal.
 */
static bool
dec_units(const char *text, int64_t *out)
{
	const char *p      = text;
	bool        neg    = false;
	int64_t     v      = 0;
	int         digits = 0, decimals = 0;

	while (xml_space(*p)) {
		p++;
	}
	if (*p == '+' || *p == '-') {
		neg = *p++ == '-';
	}
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (v > (INT64_MAX - (*p - '0')) / 10) {
			return false;
		}
		v = v * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (decimals >= 5) {
				if (*p != '0') {
					return false;
				}
				continue;
			}
			if (v > (INT64_MAX - (*p - '0')) / 10) {
				return false;
			}
			v = v * 10 + (*p - '0');
			decimals++;
		}
	}
	while (xml_space(*p)) {
		p++;
	}
	if (digits == 0 || *p != '\0') {
		return false;
	}
	for (; decimals < 5; decimals++) {
		if (v > INT64_MAX / 10) {
			return false;
		}
		v *= 10;
	}
	*out = neg ? -v : v;
	return true;
}

/* The Othr/Id of an account, else its IBAN. */
static sn_err
read_account(xmlNodePtr acct, char *buf, size_t len, char *why)
{
	sn_err err = text_of(acct, "Id/Othr/Id", buf, len, why);

	if (err == SN_OK && buf[0] == '\0') {
		err = text_of(acct, "Id/IBAN", buf, len, why);
	}
	return err;
}

/* A tx's amount: InstdAmt, else EqvtAmt/Amt (counted in the control
 * sum only). *units is its value in 1e-5 yuan; false when it has none
 * that fits. */
static bool
tx_amount(xmlNodePtr n, bank_gateway_bankside_tx *t, int64_t *units)
{
	xmlNodePtr a = isoxml_path(n, "Amt/InstdAmt");
	char       text[64];
	xmlChar   *ccy;

	t->amount       = 0;
	t->amount_exact = false;
	if (a == NULL) {
		a = isoxml_path(n, "Amt/EqvtAmt/Amt");
		return a != NULL
		    && isoxml_token(
		           n, "Amt/EqvtAmt/Amt", text, sizeof text, NULL)
		    == SN_OK
		    && dec_units(text, units);
	}
	if ((ccy = xmlGetProp(a, BAD_CAST "Ccy")) != NULL) {
		snprintf(
		    t->currency, sizeof t->currency, "%s", (const char *) ccy);
		xmlFree(ccy);
	}
	if (isoxml_token(n, "Amt/InstdAmt", text, sizeof text, NULL) != SN_OK
	    || !dec_units(text, units)) {
		return false;
	}
	if (*units >= 0 && *units % UNITS_PER_FEN == 0) {
		t->amount       = *units / UNITS_PER_FEN;
		t->amount_exact = true;
	}
	return true;
}

static sn_err
read_tx(xmlNodePtr n, size_t pmtinf, bank_gateway_bankside_tx *t,
    int64_t *units, bool *units_ok, char *why)
{
	sn_err err;

	t->pmtinf = pmtinf;
	if ((err = text_of(
	         n, "PmtId/InstrId", t->instr_id, sizeof t->instr_id, why))
	        != SN_OK
	    || (err = text_of(n, "PmtId/EndToEndId", t->end_to_end_id,
	            sizeof t->end_to_end_id, why))
	        != SN_OK
	    || (err = text_of(n, "Cdtr/Nm", t->creditor_name,
	            sizeof t->creditor_name, why))
	        != SN_OK
	    || (err = read_account(isoxml_child(n, "CdtrAcct"),
	            t->creditor_account, sizeof t->creditor_account, why))
	        != SN_OK
	    || (err = text_of(n, "RmtInf/Ustrd", t->remittance,
	            sizeof t->remittance, why))
	        != SN_OK) {
		return err;
	}
	*units_ok = tx_amount(n, t, units);
	return SN_OK;
}

/* The sums of a level, for its totals check. */
typedef struct totals {
	size_t  n;
	int64_t units;    /* sum of the amounts, 1e-5 yuan */
	bool    units_ok; /* every amount read and the sum fits */
} totals;

static void
totals_add(totals *t, int64_t units, bool ok)
{
	t->n++;
	if (!ok || units < 0 || t->units > INT64_MAX - units) {
		t->units_ok = false;
		return;
	}
	t->units += units;
}

/*
 * Checks the NbOfTxs and CtrlSum under level (when given) against t;
 * on the first mismatch of the document sets d->totals_code and _why.
 */
static void
check_totals(bank_gateway_bankside_pain001 *d, xmlNodePtr level,
    const char *where, const totals *t)
{
	char    text[64];
	int64_t declared;

	if (d->totals_code[0] != '\0') {
		return;
	}
	if (isoxml_token(level, "NbOfTxs", text, sizeof text, NULL) == SN_OK
	    && text[0] != '\0' && strtoull(text, NULL, 10) != t->n) {
		snprintf(d->totals_code, sizeof d->totals_code, "AM18");
		isoxml_why(d->totals_why,
		    "%s NbOfTxs is %s but it holds %zu transactions", where,
		    text, t->n);
		return;
	}
	if (isoxml_child(level, "CtrlSum") == NULL) {
		return;
	}
	if (isoxml_token(level, "CtrlSum", text, sizeof text, NULL) != SN_OK
	    || !t->units_ok || !dec_units(text, &declared)
	    || declared != t->units) {
		snprintf(d->totals_code, sizeof d->totals_code, "AM16");
		isoxml_why(d->totals_why,
		    "%s CtrlSum %s is not the sum of its amounts", where,
		    text);
	}
}

static sn_err
read_pmtinf(xmlNodePtr n, bank_gateway_bankside_pain001 *d, char *why)
{
	bank_gateway_bankside_pmtinf *p   = &d->pmtinfs[d->n_pmtinfs];
	totals                        own = { .units_ok = true };
	xmlNodePtr                    t;
	char                          where[BANK_GATEWAY_ISO_ID_MAX + 16];
	sn_err                        err;

	if ((err = text_of(
	         n, "PmtInfId", p->pmt_inf_id, sizeof p->pmt_inf_id, why))
	        != SN_OK
	    || (err = text_of(
	            n, "Dbtr/Nm", p->debtor_name, sizeof p->debtor_name, why))
	        != SN_OK
	    || (err = read_account(isoxml_child(n, "DbtrAcct"),
	            p->debtor_account, sizeof p->debtor_account, why))
	        != SN_OK
	    || (err = text_of(
	            n, "DbtrAcct/Ccy", p->currency, sizeof p->currency, why))
	        != SN_OK
	    || (err = isoxml_token(n, "ReqdExctnDt/Dt", p->execution_date,
	            sizeof p->execution_date, why))
	        != SN_OK
	    || (p->execution_date[0] == '\0'
	        && (err = isoxml_token(n, "ReqdExctnDt/DtTm",
	                p->execution_date, sizeof p->execution_date, why))
	            != SN_OK)) {
		return err;
	}
	p->first_tx = d->n_txs;
	for (t = isoxml_child(n, "CdtTrfTxInf"); t != NULL;
	     t = isoxml_next(t)) {
		int64_t units = 0;
		bool    ok    = false;

		if ((err = read_tx(
		         t, d->n_pmtinfs, &d->txs[d->n_txs], &units, &ok, why))
		    != SN_OK) {
			return err;
		}
		d->n_txs++;
		p->n_txs++;
		totals_add(&own, units, ok);
	}
	d->n_pmtinfs++;
	snprintf(where, sizeof where, "PmtInf %s", p->pmt_inf_id);
	check_totals(d, n, where, &own);
	return SN_OK;
}

static sn_err
read_document(xmlNodePtr root, bank_gateway_bankside_pain001 *d, char *why)
{
	xmlNodePtr hdr = isoxml_child(root, "GrpHdr");
	xmlNodePtr p;
	totals     group = { .units_ok = true };
	size_t     n_txs = 0;
	sn_err     err;

	if ((err = text_of(hdr, "MsgId", d->msg_id, sizeof d->msg_id, why))
	        != SN_OK
	    || (err = isoxml_token(
	            hdr, "CreDtTm", d->created, sizeof d->created, why))
	        != SN_OK
	    || (err = text_of(hdr, "InitgPty/Nm", d->initiator,
	            sizeof d->initiator, why))
	        != SN_OK) {
		return err;
	}
	p = isoxml_child(root, "PmtInf");
	for (xmlNodePtr q = p; q != NULL; q = isoxml_next(q)) {
		n_txs += isoxml_count(isoxml_child(q, "CdtTrfTxInf"));
	}
	d->pmtinfs = calloc(isoxml_count(p) + 1, sizeof *d->pmtinfs);
	d->txs     = calloc(n_txs + 1, sizeof *d->txs);
	if (d->pmtinfs == NULL || d->txs == NULL) {
		return SN_ENOMEM;
	}
	/* The group's totals first: a wrong group count is the first
	 * mismatch named even when a block's is wrong too. */
	for (xmlNodePtr q = p; q != NULL; q = isoxml_next(q)) {
		for (xmlNodePtr t = isoxml_child(q, "CdtTrfTxInf"); t != NULL;
		     t            = isoxml_next(t)) {
			bank_gateway_bankside_tx scratch = { .pmtinf = 0 };
			int64_t                  units   = 0;
			/* Read before it is added: the order in which a
			 * call's arguments are evaluated is unspecified
			 * (clang read units before tx_amount set it). */
			bool ok = tx_amount(t, &scratch, &units);

			totals_add(&group, units, ok);
		}
	}
	check_totals(d, hdr, "GrpHdr", &group);
	for (; p != NULL; p = isoxml_next(p)) {
		if ((err = read_pmtinf(p, d, why)) != SN_OK) {
			return err;
		}
	}
	return SN_OK;
}

sn_err
bank_gateway_bankside_pain001_read(const bank_gateway_iso_schema *s,
    const char *xml, size_t len, bank_gateway_bankside_pain001 **out,
    char msg_id[BANK_GATEWAY_ISO_ID_MAX], char *why)
{
	bank_gateway_bankside_pain001 *d;
	xmlDocPtr                      doc;
	sn_err                         err;

	if (msg_id != NULL) {
		msg_id[0] = '\0';
	}
	if (bank_gateway_iso_schema_msg(s) != BANK_GATEWAY_PAIN001) {
		isoxml_why(why, "not the pain.001 schema");
		return SN_EINVAL;
	}
	if ((err = isoxml_read(s, xml, len, &doc, why)) != SN_OK) {
		if (msg_id != NULL && err == SN_EPROTO) {
			peek_msg_id(xml, len, msg_id);
		}
		return err;
	}
	if ((d = calloc(1, sizeof *d)) == NULL) {
		xmlFreeDoc(doc);
		return SN_ENOMEM;
	}
	err = read_document(
	    isoxml_child(xmlDocGetRootElement(doc), "CstmrCdtTrfInitn"), d,
	    why);
	xmlFreeDoc(doc);
	if (err != SN_OK) {
		bank_gateway_bankside_pain001_free(d);
		if (msg_id != NULL && err == SN_EPROTO) {
			peek_msg_id(xml, len, msg_id);
		}
		return err;
	}
	if (msg_id != NULL) {
		memcpy(msg_id, d->msg_id, sizeof d->msg_id);
	}
	*out = d;
	return SN_OK;
}

void
bank_gateway_bankside_pain001_free(bank_gateway_bankside_pain001 *d)
{
	if (d == NULL) {
		return;
	}
	free(d->pmtinfs);
	free(d->txs);
	free(d);
}

/* --- writing ---------------------------------------------------------- */

static bool
given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/*
 * info as an AddtlInf: its first 105 characters, each control character
 * a space and each byte that does not start a character the writers
 * take (isoxml_char) '?', so that a reason from anywhere (libxml2's
 * message quoting a hostile document's bytes) can always be written, and
 * read back.
 */
static void
clean_info(const char *info, char out[BANK_GATEWAY_BANKSIDE_INFO_MAX])
{
	const unsigned char *p = (const unsigned char *) info;
	size_t               o = 0, chars = 0, k;

	while (*p != '\0' && chars < 105) {
		if ((k = isoxml_char(p)) != 0) {
			memcpy(out + o, p, k);
			o += k;
		} else if ((k = isoxml_control(p)) != 0) {
			out[o++] = ' ';
		} else {
			out[o++] = '?';
			k        = 1;
		}
		p += k;
		chars++;
	}
	out[o] = '\0';
}

/* The status of a level: <name>status</name> then its StsRsnInf. */
static void
add_status(isoxml_writer *w, xmlNodePtr level, const char *name,
    const bank_gateway_bankside_status *st)
{
	char       info[BANK_GATEWAY_BANKSIDE_INFO_MAX];
	xmlNodePtr rsn;

	if (given(st->status)) {
		isoxml_add(w, level, name, st->status, name);
	}
	if (!given(st->reason) && !given(st->info)) {
		return;
	}
	rsn = isoxml_add(w, level, "StsRsnInf", NULL, "StsRsnInf");
	if (given(st->reason)) {
		isoxml_add(w, isoxml_add(w, rsn, "Rsn", NULL, "Rsn"), "Cd",
		    st->reason, "StsRsnInf/Rsn/Cd");
	}
	if (given(st->info)) {
		clean_info(st->info, info);
		isoxml_add(w, rsn, "AddtlInf", info, "StsRsnInf/AddtlInf");
	}
}

static void
add_report_tx(
    isoxml_writer *w, xmlNodePtr pmt, const bank_gateway_bankside_report_tx *t)
{
	xmlNodePtr n = isoxml_add(w, pmt, "TxInfAndSts", NULL, "TxInfAndSts");

	if (given(t->instr_id)) {
		isoxml_add(w, n, "OrgnlInstrId", t->instr_id, "OrgnlInstrId");
	}
	if (given(t->end_to_end_id)) {
		isoxml_add(w, n, "OrgnlEndToEndId", t->end_to_end_id,
		    "OrgnlEndToEndId");
	}
	add_status(w, n, "TxSts", &t->st);
	if (given(t->bank_ref)) {
		isoxml_add(w, n, "AcctSvcrRef", t->bank_ref, "AcctSvcrRef");
	}
}

sn_err
bank_gateway_bankside_pain002_write(const bank_gateway_iso_schema *s,
    const bank_gateway_bankside_report *r, char **xml, size_t *len, char *why)
{
	char          created[BANK_GATEWAY_ISO_DATE_MAX], n[32];
	char          a[BANK_GATEWAY_ISO_AMOUNT_MAX];
	isoxml_writer w;
	xmlNodePtr    root, hdr, grp;
	size_t        i, j;

	if (bank_gateway_iso_schema_msg(s) != BANK_GATEWAY_PAIN002) {
		isoxml_why(why, "not the pain.002 schema");
		return SN_EINVAL;
	}
	if (!given(r->msg_id) || !given(r->orgnl_msg_id)) {
		isoxml_why(why, "MsgId or OrgnlMsgId is missing");
		return SN_EINVAL;
	}
	if (r->has_orgnl_ctrl_sum && r->orgnl_ctrl_sum < 0) {
		isoxml_why(why, "OrgnlCtrlSum is negative");
		return SN_ERANGE;
	}
	if (isoxml_format_cst(r->created, created) != SN_OK) {
		isoxml_why(why, "CreDtTm: %lld is not a time",
		    (long long) r->created);
		return SN_ERANGE;
	}
	root = isoxml_begin(&w, BANK_GATEWAY_PAIN002, "CstmrPmtStsRpt", why);
	hdr  = isoxml_add(&w, root, "GrpHdr", NULL, "GrpHdr");
	isoxml_add(&w, hdr, "MsgId", r->msg_id, "MsgId");
	isoxml_add(&w, hdr, "CreDtTm", created, "CreDtTm");
	grp = isoxml_add(
	    &w, root, "OrgnlGrpInfAndSts", NULL, "OrgnlGrpInfAndSts");
	isoxml_add(&w, grp, "OrgnlMsgId", r->orgnl_msg_id, "OrgnlMsgId");
	isoxml_add(&w, grp, "OrgnlMsgNmId",
	    bank_gateway_iso_msg_name(BANK_GATEWAY_PAIN001), "OrgnlMsgNmId");
	if (r->orgnl_nb_of_txs > 0) {
		snprintf(n, sizeof n, "%zu", r->orgnl_nb_of_txs);
		isoxml_add(&w, grp, "OrgnlNbOfTxs", n, "OrgnlNbOfTxs");
	}
	if (r->has_orgnl_ctrl_sum) {
		bank_gateway_iso_amount_format(r->orgnl_ctrl_sum, a);
		isoxml_add(&w, grp, "OrgnlCtrlSum", a, "OrgnlCtrlSum");
	}
	add_status(&w, grp, "GrpSts", &r->group);
	for (i = 0; i < r->n_pmtinfs; i++) {
		const bank_gateway_bankside_report_pmtinf *p  = &r->pmtinfs[i];
		xmlNodePtr                                 pn = isoxml_add(
		                                    &w, root, "OrgnlPmtInfAndSts", NULL, "OrgnlPmtInfAndSts");

		isoxml_add(&w, pn, "OrgnlPmtInfId",
		    p->pmt_inf_id != NULL ? p->pmt_inf_id : "",
		    "OrgnlPmtInfId");
		add_status(&w, pn, "PmtInfSts", &p->st);
		for (j = 0; j < p->n_txs; j++) {
			add_report_tx(&w, pn, &p->txs[j]);
		}
	}
	return isoxml_end(&w, s, xml, len);
}

static void
add_entry(isoxml_writer *w, xmlNodePtr ntfctn,
    const bank_gateway_bankside_entry *e, const char *ccy)
{
	xmlNodePtr n = isoxml_add(w, ntfctn, "Ntry", NULL, "Ntry");
	xmlNodePtr dom, fmly, tx, refs;
	bool       payment = e->kind == BANK_GATEWAY_BANKSIDE_CREDIT_TRANSFER;

	if (given(e->entry_ref)) {
		isoxml_add(w, n, "NtryRef", e->entry_ref, "NtryRef");
	}
	isoxml_add_amount(w, n, "Amt", e->amount, ccy);
	isoxml_add(w, n, "CdtDbtInd", "DBIT", "CdtDbtInd");
	isoxml_add(
	    w, isoxml_add(w, n, "Sts", NULL, "Sts"), "Cd", "BOOK", "Sts/Cd");
	isoxml_add(w, isoxml_add(w, n, "BookgDt", NULL, "BookgDt"), "Dt",
	    e->booking_date, "BookgDt/Dt");
	isoxml_add(w, isoxml_add(w, n, "ValDt", NULL, "ValDt"), "Dt",
	    e->booking_date, "ValDt/Dt");
	if (given(e->bank_ref)) {
		isoxml_add(w, n, "AcctSvcrRef", e->bank_ref, "AcctSvcrRef");
	}
	dom = isoxml_add(w, isoxml_add(w, n, "BkTxCd", NULL, "BkTxCd"), "Domn",
	    NULL, "BkTxCd/Domn");
	isoxml_add(w, dom, "Cd", "PMNT", "BkTxCd/Domn/Cd");
	fmly = isoxml_add(w, dom, "Fmly", NULL, "BkTxCd/Domn/Fmly");
	isoxml_add(w, fmly, "Cd", payment ? "ICDT" : "MDOP", "Fmly/Cd");
	isoxml_add(
	    w, fmly, "SubFmlyCd", payment ? "DMCT" : "OTHR", "Fmly/SubFmlyCd");
	if (!given(e->msg_id) && !given(e->pmt_inf_id) && !given(e->instr_id)
	    && !given(e->end_to_end_id) && !given(e->bank_ref)) {
		return;
	}
	tx   = isoxml_add(w, isoxml_add(w, n, "NtryDtls", NULL, "NtryDtls"),
	      "TxDtls", NULL, "TxDtls");
	refs = isoxml_add(w, tx, "Refs", NULL, "Refs");
	if (given(e->msg_id)) {
		isoxml_add(w, refs, "MsgId", e->msg_id, "Refs/MsgId");
	}
	if (given(e->bank_ref)) {
		isoxml_add(
		    w, refs, "AcctSvcrRef", e->bank_ref, "Refs/AcctSvcrRef");
	}
	if (given(e->pmt_inf_id)) {
		isoxml_add(
		    w, refs, "PmtInfId", e->pmt_inf_id, "Refs/PmtInfId");
	}
	if (given(e->instr_id)) {
		isoxml_add(w, refs, "InstrId", e->instr_id, "Refs/InstrId");
	}
	if (given(e->end_to_end_id)) {
		isoxml_add(w, refs, "EndToEndId", e->end_to_end_id,
		    "Refs/EndToEndId");
	}
	isoxml_add_amount(w, tx, "Amt", e->amount, ccy);
	isoxml_add(w, tx, "CdtDbtInd", "DBIT", "TxDtls/CdtDbtInd");
}

sn_err
bank_gateway_bankside_camt054_write(const bank_gateway_iso_schema *s,
    const bank_gateway_bankside_notification *n, char **xml, size_t *len,
    char *why)
{
	char          created[BANK_GATEWAY_ISO_DATE_MAX];
	isoxml_writer w;
	xmlNodePtr    root, hdr, nt;
	size_t        i;

	if (bank_gateway_iso_schema_msg(s) != BANK_GATEWAY_CAMT054) {
		isoxml_why(why, "not the camt.054 schema");
		return SN_EINVAL;
	}
	if (!given(n->msg_id) || !given(n->ntfctn_id) || !given(n->account)
	    || !given(n->currency)) {
		isoxml_why(why,
		    "MsgId, Ntfctn/Id, the account or the "
		    "currency is missing");
		return SN_EINVAL;
	}
	for (i = 0; i < n->n_entries; i++) {
		if (n->entries[i].amount < 0) {
			isoxml_why(why, "entry %zu: a negative amount", i);
			return SN_ERANGE;
		}
		if (!given(n->entries[i].booking_date)) {
			isoxml_why(why, "entry %zu: no booking date", i);
			return SN_EINVAL;
		}
	}
	if (isoxml_format_cst(n->created, created) != SN_OK) {
		isoxml_why(why, "CreDtTm: %lld is not a time",
		    (long long) n->created);
		return SN_ERANGE;
	}
	root = isoxml_begin(
	    &w, BANK_GATEWAY_CAMT054, "BkToCstmrDbtCdtNtfctn", why);
	hdr = isoxml_add(&w, root, "GrpHdr", NULL, "GrpHdr");
	isoxml_add(&w, hdr, "MsgId", n->msg_id, "MsgId");
	isoxml_add(&w, hdr, "CreDtTm", created, "CreDtTm");
	nt = isoxml_add(&w, root, "Ntfctn", NULL, "Ntfctn");
	isoxml_add(&w, nt, "Id", n->ntfctn_id, "Ntfctn/Id");
	isoxml_add(&w, nt, "CreDtTm", created, "Ntfctn/CreDtTm");
	isoxml_add_account(&w, nt, "Acct", n->account, n->currency, "Acct");
	for (i = 0; i < n->n_entries; i++) {
		add_entry(&w, nt, &n->entries[i], n->currency);
	}
	return isoxml_end(&w, s, xml, len);
}
