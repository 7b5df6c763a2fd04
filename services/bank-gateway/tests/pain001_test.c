/*
 * bank_gateway.pain001: a batch written as pain.001.001.09 validates
 * against the official XSD and says what the structs say; a broken
 * document, or a batch that would make one, is refused with libxml2's
 * reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kit.h"
#include "pain001.h"

#define REMIT "2027年1月 最低生活保障金"

static const bank_gateway_pain001_tx dibao_txs[] = {
	{ "RUN-202701-0001-000001", "E2E-202701-000001", 83000, "张三",
	    "6217000000000000001", REMIT },
	{ "RUN-202701-0001-000002", "E2E-202701-000002", 33333, "李四",
	    "6217000000000000002", REMIT },
	{ "RUN-202701-0001-000003", "E2E-202701-000003", 1, "王五 & 赵六 <户>",
	    "6217000000000000003", NULL },
};

static const bank_gateway_pain001_tx tekun_txs[] = {
	{ "RUN-202701-0001-000004", "E2E-202701-000004", 123456, "陈七",
	    "6217000000000000004", "2027年1月 特困人员供养金" },
};

static bank_gateway_pain001_fund funds[] = {
	{ "RUN-202701-0001-dibao", "示例区民政局（低保资金）",
	    "110000000000000000001", "102100000001", "CNY", "SSBE",
	    "2027-01-05", true, dibao_txs, 3 },
	{ "RUN-202701-0001-tekun", "示例区民政局（特困资金）",
	    "110000000000000000002", "103100000002", "CNY", NULL, "2027-01-06",
	    false, tekun_txs, 1 },
};

static bank_gateway_pain001_batch
batch(void)
{
	bank_gateway_pain001_batch b = {
		"RUN-202701-0001",
		1798767000, /* 2027-01-01T09:30:00+08:00 */
		"示例区民政局",
		funds,
		2,
	};
	return b;
}

static int
setup(void **state)
{
	*state = kit_schema(BANK_GATEWAY_PAIN001);
	return 0;
}

#define AT(path) kit_xpath(xml, len, BANK_GATEWAY_PAIN001, path, v, sizeof v)

static void
writes_valid_batch(void **state)
{
	bank_gateway_iso_schema   *s                             = *state;
	bank_gateway_pain001_batch b                             = batch();
	char                       why[BANK_GATEWAY_ISO_WHY_MAX] = "", v[256];
	char                      *xml                           = NULL;
	size_t                     len                           = 0;

	assert_int_equal(
	    bank_gateway_pain001_write(s, &b, &xml, &len, why), SN_OK);
	/* Read back as a stranger would: parsed and validated anew. */
	assert_int_equal(bank_gateway_iso_validate(s, xml, len, why), SN_OK);
	assert_string_equal(AT("//d:GrpHdr/d:MsgId"), "RUN-202701-0001");
	assert_string_equal(
	    AT("//d:GrpHdr/d:CreDtTm"), "2027-01-01T09:30:00+08:00");
	assert_string_equal(AT("//d:GrpHdr/d:NbOfTxs"), "4");
	/* 830.00 + 333.33 + 0.01 + 1234.56 */
	assert_string_equal(AT("//d:GrpHdr/d:CtrlSum"), "2397.90");
	assert_string_equal(AT("//d:GrpHdr/d:InitgPty/d:Nm"), "示例区民政局");
	assert_int_equal(
	    kit_xpath_count(xml, len, BANK_GATEWAY_PAIN001, "//d:PmtInf"), 2);
	assert_string_equal(AT("//d:PmtInf[1]/d:PmtMtd"), "TRF");
	assert_string_equal(AT("//d:PmtInf[1]/d:BtchBookg"), "true");
	assert_string_equal(AT("//d:PmtInf[2]/d:BtchBookg"), "false");
	assert_string_equal(AT("//d:PmtInf[1]/d:NbOfTxs"), "3");
	assert_string_equal(AT("//d:PmtInf[1]/d:CtrlSum"), "1163.34");
	assert_string_equal(AT("//d:PmtInf[2]/d:CtrlSum"), "1234.56");
	assert_string_equal(
	    AT("//d:PmtInf[1]/d:PmtTpInf/d:CtgyPurp/d:Cd"), "SSBE");
	assert_int_equal(kit_xpath_count(xml, len, BANK_GATEWAY_PAIN001,
	                     "//d:PmtInf[2]/d:PmtTpInf"),
	    0);
	assert_string_equal(
	    AT("//d:PmtInf[1]/d:ReqdExctnDt/d:Dt"), "2027-01-05");
	assert_string_equal(AT("//d:PmtInf[2]/d:DbtrAcct/d:Id/d:Othr/d:Id"),
	    "110000000000000000002");
	assert_string_equal(AT("//d:PmtInf[2]/d:DbtrAcct/d:Ccy"), "CNY");
	assert_string_equal(
	    AT("//d:PmtInf[2]/d:Dbtr/d:Nm"), "示例区民政局（特困资金）");
	assert_string_equal(
	    AT("//d:PmtInf[1]/d:DbtrAgt/d:FinInstnId/d:ClrSysMmbId/d:MmbId"),
	    "102100000001");
	assert_string_equal(
	    AT("//d:PmtInf[1]/d:DbtrAgt//d:ClrSysId/d:Cd"), "CNAPS");
	assert_int_equal(kit_xpath_count(xml, len, BANK_GATEWAY_PAIN001,
	                     "//d:PmtInf[1]/d:CdtTrfTxInf"),
	    3);
	assert_string_equal(AT("//d:CdtTrfTxInf[2]/d:PmtId/d:InstrId"),
	    "RUN-202701-0001-000002");
	assert_string_equal(AT("//d:CdtTrfTxInf[2]/d:PmtId/d:EndToEndId"),
	    "E2E-202701-000002");
	assert_string_equal(
	    AT("//d:CdtTrfTxInf[2]/d:Amt/d:InstdAmt"), "333.33");
	assert_string_equal(
	    AT("//d:CdtTrfTxInf[2]/d:Amt/d:InstdAmt/@Ccy"), "CNY");
	assert_string_equal(AT("//d:CdtTrfTxInf[3]/d:Amt/d:InstdAmt"), "0.01");
	assert_string_equal(AT("//d:CdtTrfTxInf[1]/d:Cdtr/d:Nm"), "张三");
	assert_string_equal(
	    AT("//d:CdtTrfTxInf[1]/d:CdtrAcct/d:Id/d:Othr/d:Id"),
	    "6217000000000000001");
	assert_string_equal(AT("//d:CdtTrfTxInf[1]/d:RmtInf/d:Ustrd"), REMIT);
	/* Markup in a name is text, escaped by libxml2. */
	assert_string_equal(
	    AT("//d:CdtTrfTxInf[3]/d:Cdtr/d:Nm"), "王五 & 赵六 <户>");
	assert_int_equal(kit_xpath_count(xml, len, BANK_GATEWAY_PAIN001,
	                     "//d:CdtTrfTxInf[3]/d:RmtInf"),
	    0);
	free(xml);
}

/* A field the XSD refuses: the document is never handed out, and the
 * reason is libxml2's, naming the element. */
static void
refuses_what_the_xsd_refuses(void **state)
{
	static const struct {
		int         tx; /* which field of dibao's first payment */
		const char *value;
		const char *why_has;
	} cases[] = {
		{ 0, "E2E-2027-01-0000000000000000000000001", "EndToEndId" },
		{ 1, "", "Nm" },
		{ 2, "", "Id" },
		{ 3, "2027-13-45", "Dt" },
	};
	bank_gateway_iso_schema *s = *state;
	size_t                   i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bank_gateway_pain001_tx    t = dibao_txs[0];
		bank_gateway_pain001_fund  f = funds[0];
		bank_gateway_pain001_batch b = batch();
		char                       why[BANK_GATEWAY_ISO_WHY_MAX] = "";
		char                      *xml = NULL;
		size_t                     len = 0;

		if (cases[i].tx == 0) {
			t.end_to_end_id = cases[i].value;
		} else if (cases[i].tx == 1) {
			t.creditor_name = cases[i].value;
		} else if (cases[i].tx == 2) {
			t.creditor_account = cases[i].value;
		} else {
			f.execution_date = cases[i].value;
		}
		f.txs     = &t;
		f.n_txs   = 1;
		b.funds   = &f;
		b.n_funds = 1;
		assert_int_equal(
		    bank_gateway_pain001_write(s, &b, &xml, &len, why),
		    SN_EPROTO);
		print_message("%s\n", why);
		assert_null(xml);
		assert_non_null(strstr(why, "not a valid pain.001.001.09"));
		assert_non_null(strstr(why, cases[i].why_has));
	}
}

/* In a batch of many, the reason says which payment. */
static void
names_the_payment(void **state)
{
	bank_gateway_pain001_tx t[3]
	    = { dibao_txs[0], dibao_txs[1], dibao_txs[2] };
	bank_gateway_pain001_fund  f[2] = { funds[0], funds[1] };
	bank_gateway_pain001_batch b    = batch();
	char                       why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	char                      *xml                           = NULL;
	size_t                     len                           = 0;

	t[1].end_to_end_id = "E2E-这个编号太长了-这个编号太长了-"
	                     "这个编号太长了-这个编号太长了-36";
	f[0].txs           = t;
	b.funds            = f;
	assert_int_equal(
	    bank_gateway_pain001_write(*state, &b, &xml, &len, why),
	    SN_EPROTO);
	print_message("%s\n", why);
	assert_non_null(
	    strstr(why, "/PmtInf[1]/CdtTrfTxInf[2]/PmtId/EndToEndId"));
	assert_null(xml);
}

/* A batch of one block (dibao's) holding one payment (its first), for
 * a test to break one field of. */
typedef struct one_tx {
	bank_gateway_pain001_tx    t;
	bank_gateway_pain001_fund  f;
	bank_gateway_pain001_batch b;
} one_tx;

static void
one_tx_init(one_tx *o)
{
	o->t         = dibao_txs[0];
	o->f         = funds[0];
	o->b         = batch();
	o->f.txs     = &o->t;
	o->f.n_txs   = 1;
	o->b.funds   = &o->f;
	o->b.n_funds = 1;
}

/*
 * Text XML 1.0's Char production forbids, and control characters it
 * allows (tab, line feed, DEL, C1), in every kind of field: refused,
 * naming the field, nothing written. Characters next to them that are
 * allowed (U+FFFD, U+E000, U+10000, U+10FFFF) are written.
 */
static void
refuses_text_xml_forbids(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "a\xef\xbf\xbe", "U+FFFE" },
		{ "a\xef\xbf\xbf", "U+FFFF" },
		{ "a\xf4\x90\x80\x80", "U+110000" },
		{ "a\xf7\xbf\xbf\xbf", "U+1FFFFF" },
		{ "a\xed\xa0\x80", "a surrogate" },
		{ "a\xc0\xaf", "an overlong /" },
		{ "a\x01", "U+0001" },
		{ "a\tb", "a tab" },
		{ "a\nb", "a line feed" },
		{ "a\x7f", "DEL" },
		{ "a\xc2\x85", "NEL (C1)" },
	};
	bank_gateway_iso_schema *s = *state;
	char                     why[BANK_GATEWAY_ISO_WHY_MAX];
	char                    *xml = NULL;
	size_t                   len = 0;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		for (int field = 0; field < 4; field++) {
			one_tx o;

			one_tx_init(&o);
			switch (field) {
			case 0:
				o.t.creditor_name = bad[i].text;
				break;
			case 1:
				o.t.remittance = bad[i].text;
				break;
			case 2:
				o.t.end_to_end_id = bad[i].text;
				break;
			default:
				o.b.initiator_name = bad[i].text;
				break;
			}
			why[0] = '\0';
			print_message("%s in field %d\n", bad[i].why, field);
			assert_int_equal(bank_gateway_pain001_write(
			                     s, &o.b, &xml, &len, why),
			    SN_EINVAL);
			assert_non_null(strstr(why, "XML allows"));
			assert_null(xml);
		}
	}
	{
		one_tx o;

		one_tx_init(&o);
		o.t.creditor_name = "\xef\xbf\xbd\xee\x80\x80"
		                    "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
		assert_int_equal(
		    bank_gateway_pain001_write(s, &o.b, &xml, &len, why),
		    SN_OK);
		assert_non_null(strstr(xml, o.t.creditor_name));
		free(xml);
	}
}

/* What is wrong before any XML: missing fields, amounts, text. */
static void
refuses_bad_structs(void **state)
{
	bank_gateway_iso_schema *s = *state;
	char                     why[BANK_GATEWAY_ISO_WHY_MAX];
	char                    *xml = NULL;
	size_t                   len = 0;

	for (int k = 0; k < 6; k++) {
		one_tx o;

		one_tx_init(&o);
		switch (k) {
		case 0:
			o.t.amount = 0;
			break;
		case 1:
			o.t.amount = -100;
			break;
		case 2:
			o.t.end_to_end_id = NULL;
			break;
		case 3:
			o.f.debtor_account = NULL;
			break;
		case 4:
			o.t.creditor_name = "张\x01三";
			break;
		default:
			o.t.remittance = "\xff\xfe";
			break;
		}
		why[0] = '\0';
		assert_int_equal(
		    bank_gateway_pain001_write(s, &o.b, &xml, &len, why),
		    SN_EINVAL);
		print_message("%s\n", why);
		assert_true(why[0] != '\0');
		assert_null(xml);
	}
	{
		bank_gateway_pain001_batch b = batch();

		b.n_funds = 0;
		assert_int_equal(
		    bank_gateway_pain001_write(s, &b, &xml, &len, why),
		    SN_EINVAL);
	}
	{
		bank_gateway_pain001_tx big[2]
		    = { dibao_txs[0], dibao_txs[1] };
		bank_gateway_pain001_fund  f = funds[0];
		bank_gateway_pain001_batch b = batch();

		big[0].amount = INT64_MAX;
		f.txs         = big;
		f.n_txs       = 2;
		b.funds       = &f;
		b.n_funds     = 1;
		assert_int_equal(
		    bank_gateway_pain001_write(s, &b, &xml, &len, why),
		    SN_ERANGE);
	}
}

/* The shared sample validates; the same with GrpHdr/NbOfTxs (mandatory)
 * removed does not, and libxml2 says what is missing. */
static void
sample_and_broken_sample(void **state)
{
	bank_gateway_iso_schema *s                             = *state;
	char                     why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	size_t                   len;
	char                    *xml = kit_sample("pain.001.001.09.xml", &len);
	char                    *cut;
	const char              *gone = "<NbOfTxs>1</NbOfTxs>";

	assert_int_equal(bank_gateway_iso_validate(s, xml, len, why), SN_OK);
	assert_non_null(cut = strstr(xml, gone));
	memmove(cut, cut + strlen(gone), strlen(cut + strlen(gone)) + 1);
	len = strlen(xml);
	assert_int_equal(
	    bank_gateway_iso_validate(s, xml, len, why), SN_EPROTO);
	print_message("%s\n", why);
	assert_non_null(strstr(why, "CtrlSum"));
	assert_non_null(strstr(why, "NbOfTxs"));
	free(xml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_valid_batch),
		cmocka_unit_test(refuses_what_the_xsd_refuses),
		cmocka_unit_test(names_the_payment),
		cmocka_unit_test(refuses_text_xml_forbids),
		cmocka_unit_test(refuses_bad_structs),
		cmocka_unit_test(sample_and_broken_sample),
	};
	return cmocka_run_group_tests(tests, setup, kit_schema_teardown);
}
