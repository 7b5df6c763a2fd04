/*
 * bank_gateway.bankside: the bank's side of the messages. A pain.001
 * written by pain001.c is read back field for field, its totals checked
 * (AM18, AM16) and a refused document's MsgId peeked only when that is
 * safe; a pain.002 and a camt.054 written here validate and are read by
 * the customer's readers (pain002.c, camt054.c) as written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bankside.h"
#include "camt054.h"
#include "kit.h"
#include "pain001.h"
#include "pain002.h"

#define REMIT "2027年1月 最低生活保障金"

static const bank_gateway_pain001_tx dibao_txs[] = {
	{ "RUN-1-000001", "E2E-000001", 83000, "张三", "6217000000000000001",
	    REMIT },
	{ "RUN-1-000002", "E2E-000002", 33333, "王五 & 赵六 <户>",
	    "6217000000000000002", NULL },
};

static const bank_gateway_pain001_tx tekun_txs[] = {
	{ "RUN-1-000003", "E2E-000003", 123456, "陈七", "6217000000000000003",
	    "2027年1月 特困人员供养金" },
};

static const bank_gateway_pain001_fund funds[] = {
	{ "RUN-1-dibao", "示例区民政局（低保资金）", "110000000000000000001",
	    "102100000001", "CNY", "SSBE", "2027-01-05", true, dibao_txs, 2 },
	{ "RUN-1-tekun", "示例区民政局（特困资金）", "110000000000000000002",
	    "103100000002", "CNY", NULL, "2027-01-06", false, tekun_txs, 1 },
};

typedef struct schemas {
	bank_gateway_iso_schema *pain001, *pain002, *camt054;
} schemas;

static int
setup(void **state)
{
	schemas *s = calloc(1, sizeof *s);

	s->pain001 = kit_schema(BANK_GATEWAY_PAIN001);
	s->pain002 = kit_schema(BANK_GATEWAY_PAIN002);
	s->camt054 = kit_schema(BANK_GATEWAY_CAMT054);
	*state     = s;
	return 0;
}

static int
teardown(void **state)
{
	schemas *s = *state;

	bank_gateway_iso_schema_close(s->pain001);
	bank_gateway_iso_schema_close(s->pain002);
	bank_gateway_iso_schema_close(s->camt054);
	free(s);
	return 0;
}

/* The batch above as a pain.001 document (the caller frees it). */
static char *
written_batch(schemas *s, size_t *len)
{
	bank_gateway_pain001_batch b
	    = { "RUN-1", 1798767000, "示例区民政局", funds, 2 };
	char  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	char *xml                           = NULL;

	if (bank_gateway_pain001_write(s->pain001, &b, &xml, len, why)
	    != SN_OK) {
		fail_msg("pain001_write: %s", why);
	}
	return xml;
}

/* xml with the first `from` replaced by `to` (freed by the caller). */
static char *
replaced(const char *xml, const char *from, const char *to, size_t *len)
{
	const char *at = strstr(xml, from);
	size_t      n;
	char       *out;

	assert_non_null(at);
	n = strlen(xml) - strlen(from) + strlen(to);
	assert_non_null(out = malloc(n + 1));
	memcpy(out, xml, (size_t) (at - xml));
	strcpy(out + (at - xml), to);
	strcat(out, at + strlen(from));
	*len = n;
	return out;
}

static void
reads_what_pain001_wrote(void **state)
{
	schemas                       *s = *state;
	size_t                         len;
	char                          *xml = written_batch(s, &len);
	bank_gateway_bankside_pain001 *d   = NULL;
	char id[BANK_GATEWAY_ISO_ID_MAX], why[BANK_GATEWAY_ISO_WHY_MAX] = "";

	assert_int_equal(bank_gateway_bankside_pain001_read(
	                     s->pain001, xml, len, &d, id, why),
	    SN_OK);
	assert_string_equal(id, "RUN-1");
	assert_string_equal(d->msg_id, "RUN-1");
	assert_string_equal(d->created, "2027-01-01T09:30:00+08:00");
	assert_string_equal(d->initiator, "示例区民政局");
	assert_string_equal(d->totals_code, "");
	assert_int_equal(d->n_pmtinfs, 2);
	assert_int_equal(d->n_txs, 3);
	assert_string_equal(d->pmtinfs[0].pmt_inf_id, "RUN-1-dibao");
	assert_string_equal(
	    d->pmtinfs[0].debtor_name, "示例区民政局（低保资金）");
	assert_string_equal(
	    d->pmtinfs[0].debtor_account, "110000000000000000001");
	assert_string_equal(d->pmtinfs[0].currency, "CNY");
	assert_string_equal(d->pmtinfs[0].execution_date, "2027-01-05");
	assert_int_equal(d->pmtinfs[0].first_tx, 0);
	assert_int_equal(d->pmtinfs[0].n_txs, 2);
	assert_int_equal(d->pmtinfs[1].first_tx, 2);
	assert_int_equal(d->pmtinfs[1].n_txs, 1);
	assert_string_equal(d->txs[0].instr_id, "RUN-1-000001");
	assert_string_equal(d->txs[0].end_to_end_id, "E2E-000001");
	assert_int_equal(d->txs[0].amount, 83000);
	assert_true(d->txs[0].amount_exact);
	assert_string_equal(d->txs[0].currency, "CNY");
	assert_string_equal(d->txs[0].creditor_name, "张三");
	assert_string_equal(d->txs[0].creditor_account, "6217000000000000001");
	assert_string_equal(d->txs[0].remittance, REMIT);
	assert_string_equal(d->txs[1].creditor_name, "王五 & 赵六 <户>");
	assert_string_equal(d->txs[1].remittance, "");
	assert_int_equal(d->txs[1].amount, 33333);
	assert_int_equal(d->txs[2].pmtinf, 1);
	assert_int_equal(d->txs[2].amount, 123456);
	bank_gateway_bankside_pain001_free(d);
	free(xml);
}

static void
reads_the_sample(void **state)
{
	schemas *s = *state;
	size_t   len;
	char    *xml = kit_sample("pain.001.001.09.xml", &len);
	bank_gateway_bankside_pain001 *d                             = NULL;
	char                           why[BANK_GATEWAY_ISO_WHY_MAX] = "";

	assert_int_equal(bank_gateway_bankside_pain001_read(
	                     s->pain001, xml, len, &d, NULL, why),
	    SN_OK);
	assert_string_equal(d->msg_id, "RUN-20240601-0001");
	assert_int_equal(d->n_txs, 1);
	assert_int_equal(d->txs[0].amount, 80000);
	assert_string_equal(d->txs[0].creditor_name, "张三");
	assert_string_equal(d->totals_code, "");
	bank_gateway_bankside_pain001_free(d);
	free(xml);
}

/* The totals code of xml with from replaced by to (the document must
 * still validate). */
static void
totals_of(schemas *s, const char *from, const char *to, const char *code)
{
	size_t                         len, n;
	char                          *xml = written_batch(s, &len);
	char                          *bad = replaced(xml, from, to, &n);
	bank_gateway_bankside_pain001 *d   = NULL;
	char                           why[BANK_GATEWAY_ISO_WHY_MAX] = "";

	if (bank_gateway_bankside_pain001_read(
	        s->pain001, bad, n, &d, NULL, why)
	    != SN_OK) {
		fail_msg("read %s -> %s: %s", from, to, why);
	}
	assert_string_equal(d->totals_code, code);
	if (code[0] != '\0') {
		assert_true(d->totals_why[0] != '\0');
	}
	bank_gateway_bankside_pain001_free(d);
	free(bad);
	free(xml);
}

static void
checks_totals(void **state)
{
	schemas *s = *state;

	/* The group: 3 transactions, 2397.89 yuan. */
	totals_of(s, "<NbOfTxs>3</NbOfTxs>", "<NbOfTxs>4</NbOfTxs>", "AM18");
	totals_of(s, "<CtrlSum>2397.89</CtrlSum>",
	    "<CtrlSum>2397.88</CtrlSum>", "AM16");
	/* Exact to 17 decimals: trailing zeros are the same sum, a last
	 * non-zero digit is not. */
	totals_of(s, "<CtrlSum>2397.89</CtrlSum>",
	    "<CtrlSum>2397.8900000</CtrlSum>", "");
	totals_of(s, "<CtrlSum>2397.89</CtrlSum>",
	    "<CtrlSum>2397.89000000000001</CtrlSum>", "AM16");
	totals_of(s, "<CtrlSum>2397.89</CtrlSum>",
	    "<CtrlSum>-2397.89</CtrlSum>", "AM16");
	/* A block's (dibao: 2 transactions, 1163.33). */
	totals_of(s, "<NbOfTxs>2</NbOfTxs>", "<NbOfTxs>1</NbOfTxs>", "AM18");
	totals_of(s, "<CtrlSum>1163.33</CtrlSum>",
	    "<CtrlSum>1163.30</CtrlSum>", "AM16");
	/* An amount changed under the same totals: both sums are wrong. */
	totals_of(s, ">830.00<", ">830.01<", "AM16");
}

static void
amount_not_in_fen(void **state)
{
	schemas                       *s = *state;
	size_t                         len, n;
	char                          *xml = written_batch(s, &len);
	char                          *bad;
	bank_gateway_bankside_pain001 *d                             = NULL;
	char                           why[BANK_GATEWAY_ISO_WHY_MAX] = "";

	/* 830.00 -> 830.005 and the sums with it: the totals match, the
	 * amount is not a whole fen. */
	char *a = replaced(xml, ">830.00<", ">830.005<", &n);
	char *b = replaced(a, "<CtrlSum>2397.89</CtrlSum>",
	    "<CtrlSum>2397.895</CtrlSum>", &n);
	bad     = replaced(b, "<CtrlSum>1163.33</CtrlSum>",
	        "<CtrlSum>1163.335</CtrlSum>", &n);
	assert_int_equal(bank_gateway_bankside_pain001_read(
	                     s->pain001, bad, n, &d, NULL, why),
	    SN_OK);
	assert_string_equal(d->totals_code, "");
	assert_false(d->txs[0].amount_exact);
	assert_int_equal(d->txs[0].amount, 0);
	assert_true(d->txs[1].amount_exact);
	bank_gateway_bankside_pain001_free(d);
	free(a);
	free(b);
	free(bad);
	free(xml);
}

/* A refused document: SN_EPROTO, why set, and the MsgId peeked. */
static void
refused(schemas *s, const char *xml, const char *want_id)
{
	bank_gateway_bankside_pain001 *d                           = NULL;
	char                           id[BANK_GATEWAY_ISO_ID_MAX] = "x",
	     why[BANK_GATEWAY_ISO_WHY_MAX]                         = "";

	assert_int_equal(bank_gateway_bankside_pain001_read(
	                     s->pain001, xml, strlen(xml), &d, id, why),
	    SN_EPROTO);
	assert_null(d);
	assert_true(why[0] != '\0');
	assert_string_equal(id, want_id);
}

static void
refuses_bad_documents(void **state)
{
	schemas *s = *state;
	size_t   len, n;
	char    *xml = written_batch(s, &len);
	char    *bad;

	/* Valid XML, not valid pain.001: the MsgId is still named. */
	bad = replaced(
	    xml, "<PmtMtd>TRF</PmtMtd>", "<PmtMtd>XXX</PmtMtd>", &n);
	refused(s, bad, "RUN-1");
	free(bad);
	/* Not well-formed: nothing named. */
	bad = replaced(xml, "</GrpHdr>", "</GrpHdrX>", &n);
	refused(s, bad, "");
	free(bad);
	/* A MsgId over 35 characters is not one. */
	bad = replaced(xml, "<MsgId>RUN-1</MsgId>",
	    "<MsgId>RUN-1-0123456789-0123456789-0123456789</MsgId>", &n);
	refused(s, bad, "");
	free(bad);
	/* A DTD, even a harmless one: refused before anything is read. */
	bad = replaced(xml, "<Document",
	    "<!DOCTYPE Document [<!ENTITY e \"RUN-9\">]>\n<Document", &n);
	refused(s, bad, "");
	free(bad);
	/* Control characters the XSD allows in a Max35Text: refused (the
	 * report could not echo them), the MsgId named when it is clean. */
	bad = replaced(xml, "<EndToEndId>E2E-000002</EndToEndId>",
	    "<EndToEndId>E2E&#9;000002</EndToEndId>", &n);
	refused(s, bad, "RUN-1");
	free(bad);
	bad = replaced(xml, "<Nm>王五 &amp; 赵六 &lt;户&gt;</Nm>",
	    "<Nm>王五\x7f</Nm>", &n);
	refused(s, bad, "RUN-1");
	free(bad);
	/* NEL, a C1 control character */
	bad = replaced(xml, "<Nm>王五 &amp; 赵六 &lt;户&gt;</Nm>",
	    "<Nm>王五\xc2\x85</Nm>", &n);
	refused(s, bad, "RUN-1");
	free(bad);
	bad = replaced(
	    xml, "<MsgId>RUN-1</MsgId>", "<MsgId>RUN\r1</MsgId>", &n);
	refused(s, bad, "");
	free(bad);
	refused(s, "", "");
	refused(s, "<a>not a payment</a>", "");
	free(xml);
}

static void
pain002_round_trip(void **state)
{
	schemas *s                             = *state;
	char     why[BANK_GATEWAY_ISO_WHY_MAX] = "", longinfo[600] = "";
	const bank_gateway_bankside_report_tx txs1[] = {
		{ "RUN-1-000001", "E2E-000001", { "ACSC", NULL, NULL },
		    "BS-000001" },
		{ "RUN-1-000002", "E2E-000002",
		    { "RJCT", "AC04", "账户已销户 closed" }, NULL },
	};
	char                                  badinfo[64];
	const bank_gateway_bankside_report_tx txs2[] = {
		{ NULL, "E2E-000003", { "RJCT", "AM04", longinfo }, NULL },
		{ NULL, "E2E-000004", { "RJCT", "FF01", badinfo }, NULL },
	};
	const bank_gateway_bankside_report_pmtinf p[] = {
		{ "RUN-1-dibao", { "PART", NULL, NULL }, txs1, 2 },
		{ "RUN-1-tekun", { "RJCT", "AM04", "fund short" }, txs2, 2 },
	};
	bank_gateway_bankside_report r   = { "STS-1", 1798767000, "RUN-1", 3,
		  true, 239789, { "PART", NULL, NULL }, p, 2 };
	bank_gateway_pain002        *rd  = NULL;
	char                        *xml = NULL;
	size_t                       len = 0;

	/* 120 characters of three bytes each, a control character and a
	 * broken byte among them: cut to 105 characters, cleaned. */
	for (int i = 0; i < 120; i++) {
		strcat(longinfo, i == 3 ? "\n" : i == 5 ? "\xff" : "资");
	}
	/* Above U+10FFFF (F4 B7 ..), U+FFFF, a surrogate, U+FFFE: one '?'
	 * per byte, none of them a character XML allows; NEL (C1) a
	 * space. */
	strcpy(badinfo,
	    "a\xf4\xb7\xb7\xb7"
	    "b\xef\xbf\xbf"
	    "c\xed\xa0\x80"
	    "d\xc2\x85"
	    "e\xef\xbf\xbe"
	    "f");
	assert_int_equal(bank_gateway_bankside_pain002_write(
	                     s->pain002, &r, &xml, &len, why),
	    SN_OK);
	assert_int_equal(
	    bank_gateway_pain002_read(s->pain002, xml, len, &rd, why), SN_OK);
	assert_string_equal(rd->msg_id, "STS-1");
	assert_string_equal(rd->created, "2027-01-01T09:30:00+08:00");
	assert_string_equal(rd->orgnl_msg_id, "RUN-1");
	assert_string_equal(rd->orgnl_msg_name, "pain.001.001.09");
	assert_string_equal(rd->group_status, "PART");
	assert_int_equal(rd->n_pmtinfs, 2);
	assert_string_equal(rd->pmtinfs[1].pmt_inf_id, "RUN-1-tekun");
	assert_string_equal(rd->pmtinfs[1].status, "RJCT");
	assert_string_equal(rd->pmtinfs[1].reason.code, "AM04");
	assert_int_equal(rd->n_txs, 4);
	assert_string_equal(rd->txs[3].reason.info, "a????b???c???d e???f");
	assert_string_equal(rd->txs[0].end_to_end_id, "E2E-000001");
	assert_string_equal(rd->txs[0].instr_id, "RUN-1-000001");
	assert_string_equal(rd->txs[0].status, "ACSC");
	assert_false(rd->txs[0].inherited);
	assert_string_equal(rd->txs[1].status, "RJCT");
	assert_string_equal(rd->txs[1].reason.code, "AC04");
	assert_string_equal(rd->txs[1].reason.info, "账户已销户 closed");
	assert_int_equal(rd->txs[2].pmtinf, 1);
	assert_string_equal(rd->txs[2].instr_id, "");
	assert_string_equal(rd->txs[2].reason.code, "AM04");
	assert_true(strncmp(rd->txs[2].reason.info, "资资资 资?", 13) == 0);
	/* 105 characters: 103 of three bytes, a space and a '?'. */
	assert_int_equal(strlen(rd->txs[2].reason.info), 103 * 3 + 2);
	{
		char v[64];

		assert_string_equal(
		    kit_xpath(xml, len, BANK_GATEWAY_PAIN002,
		        "//d:OrgnlGrpInfAndSts/d:OrgnlCtrlSum", v, sizeof v),
		    "2397.89");
		assert_string_equal(
		    kit_xpath(xml, len, BANK_GATEWAY_PAIN002,
		        "//d:TxInfAndSts[1]/d:AcctSvcrRef", v, sizeof v),
		    "BS-000001");
	}
	bank_gateway_pain002_free(rd);
	free(xml);
}

static void
pain002_group_refusal(void **state)
{
	schemas                     *s                             = *state;
	char                         why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	bank_gateway_bankside_report r  = { "STS-2", 1798767000, "NOTPROVIDED",
		 0, false, 0,
		 { "RJCT", "FF01",
		     "not well-formed XML: line 1: Start tag expected, '<' not "
		      "found" },
		 NULL, 0 };
	bank_gateway_pain002        *rd = NULL;
	char                        *xml = NULL;
	size_t                       len = 0;

	assert_int_equal(bank_gateway_bankside_pain002_write(
	                     s->pain002, &r, &xml, &len, why),
	    SN_OK);
	assert_int_equal(
	    bank_gateway_pain002_read(s->pain002, xml, len, &rd, why), SN_OK);
	assert_string_equal(rd->orgnl_msg_id, "NOTPROVIDED");
	assert_string_equal(rd->group_status, "RJCT");
	assert_string_equal(rd->group_reason.code, "FF01");
	assert_true(strstr(rd->group_reason.info, "Start tag") != NULL);
	assert_int_equal(rd->n_pmtinfs, 0);
	assert_int_equal(rd->n_txs, 0);
	bank_gateway_pain002_free(rd);
	free(xml);
}

static void
writers_validate_first(void **state)
{
	schemas                     *s                             = *state;
	char                         why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	bank_gateway_bankside_report r   = { "STS-3", 1798767000, "RUN-1", 0,
		  false, 0, { "TOOLONG", NULL, NULL }, NULL, 0 };
	char                        *xml = NULL;
	size_t                       len = 0;

	/* GrpSts is at most four characters: the XSD says so and nothing
	 * is handed out. */
	assert_int_equal(bank_gateway_bankside_pain002_write(
	                     s->pain002, &r, &xml, &len, why),
	    SN_EPROTO);
	assert_null(xml);
	assert_non_null(strstr(why, "GrpSts"));
	/* Wrong schema. */
	r.group.status = "RJCT";
	assert_int_equal(bank_gateway_bankside_pain002_write(
	                     s->camt054, &r, &xml, &len, why),
	    SN_EINVAL);
	assert_null(xml);
}

static void
camt054_round_trip(void **state)
{
	schemas                          *s = *state;
	char                              why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	const bank_gateway_bankside_entry e[]                           = {
		                          { "1", "BS-000001", 83000, "2027-01-05",
		                              BANK_GATEWAY_BANKSIDE_CREDIT_TRANSFER, "RUN-1",
		                              "RUN-1-dibao", "RUN-1-000001", "E2E-000001" },
		                          { "2", "BS-000002", 5, "2027-01-05",
		                              BANK_GATEWAY_BANKSIDE_OTHER_DEBIT, NULL, NULL, NULL,
		                              "FEE-1" },
		                          { "3", NULL, 700, "2027-01-05",
		                              BANK_GATEWAY_BANKSIDE_OTHER_DEBIT, NULL, NULL, NULL,
		                              NULL },
	};
	bank_gateway_bankside_notification n   = { "NTF-1", 1798767000,
		  "NTF-1-1", "110000000000000000001", "CNY", e, 3 };
	bank_gateway_camt054              *rd  = NULL;
	char                              *xml = NULL;
	size_t                             len = 0;
	char                               v[64];

	assert_int_equal(bank_gateway_bankside_camt054_write(
	                     s->camt054, &n, &xml, &len, why),
	    SN_OK);
	assert_int_equal(
	    bank_gateway_camt054_read(s->camt054, xml, len, &rd, why), SN_OK);
	assert_string_equal(rd->msg_id, "NTF-1");
	assert_int_equal(rd->n_entries, 3);
	assert_string_equal(rd->entries[0].account, "110000000000000000001");
	assert_string_equal(rd->entries[0].end_to_end_id, "E2E-000001");
	assert_string_equal(rd->entries[0].msg_id, "RUN-1");
	assert_string_equal(rd->entries[0].bank_ref, "BS-000001");
	assert_string_equal(rd->entries[0].entry_ref, "1");
	assert_int_equal(rd->entries[0].amount, 83000);
	assert_string_equal(rd->entries[0].currency, "CNY");
	assert_true(rd->entries[0].debit);
	assert_false(rd->entries[0].reversal);
	assert_string_equal(rd->entries[0].status, "BOOK");
	assert_string_equal(rd->entries[0].booking_date, "2027-01-05");
	assert_string_equal(rd->entries[1].end_to_end_id, "FEE-1");
	assert_string_equal(rd->entries[1].msg_id, "");
	assert_int_equal(rd->entries[1].amount, 5);
	assert_string_equal(rd->entries[2].end_to_end_id, "");
	assert_int_equal(rd->entries[2].amount, 700);
	assert_string_equal(kit_xpath(xml, len, BANK_GATEWAY_CAMT054,
	                        "//d:Ntry[1]//d:Refs/d:PmtInfId", v, sizeof v),
	    "RUN-1-dibao");
	assert_string_equal(kit_xpath(xml, len, BANK_GATEWAY_CAMT054,
	                        "//d:Ntry[1]//d:Refs/d:InstrId", v, sizeof v),
	    "RUN-1-000001");
	assert_string_equal(
	    kit_xpath(xml, len, BANK_GATEWAY_CAMT054,
	        "//d:Ntry[2]/d:BkTxCd/d:Domn/d:Fmly/d:Cd", v, sizeof v),
	    "MDOP");
	assert_int_equal(kit_xpath_count(xml, len, BANK_GATEWAY_CAMT054,
	                     "//d:Ntry[3]/d:NtryDtls"),
	    0);
	bank_gateway_camt054_free(rd);
	free(xml);
}

static void
camt054_no_entries(void **state)
{
	schemas                           *s = *state;
	char                               why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	bank_gateway_bankside_notification n   = { "NTF-2", 1798767000,
		  "NTF-2-1", "110000000000000000001", "CNY", NULL, 0 };
	bank_gateway_camt054              *rd  = NULL;
	char                              *xml = NULL;
	size_t                             len = 0;

	assert_int_equal(bank_gateway_bankside_camt054_write(
	                     s->camt054, &n, &xml, &len, why),
	    SN_OK);
	assert_int_equal(
	    kit_xpath_count(xml, len, BANK_GATEWAY_CAMT054, "//d:Ntfctn"), 1);
	assert_int_equal(
	    bank_gateway_camt054_read(s->camt054, xml, len, &rd, why), SN_OK);
	assert_int_equal(rd->n_entries, 0);
	bank_gateway_camt054_free(rd);
	free(xml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_what_pain001_wrote),
		cmocka_unit_test(reads_the_sample),
		cmocka_unit_test(checks_totals),
		cmocka_unit_test(amount_not_in_fen),
		cmocka_unit_test(refuses_bad_documents),
		cmocka_unit_test(pain002_round_trip),
		cmocka_unit_test(pain002_group_refusal),
		cmocka_unit_test(writers_validate_first),
		cmocka_unit_test(camt054_round_trip),
		cmocka_unit_test(camt054_no_entries),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
