/*
 * bank_gateway.pain002: status reports read into structs (pain002.h):
 * the shared sample, and a report whose transactions inherit their
 * block's or group's status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kit.h"
#include "pain002.h"
#include "reasons.h"

static int
setup(void **state)
{
	*state = kit_schema(BANK_GATEWAY_PAIN002);
	return 0;
}

static void
reads_sample(void **state)
{
	char                  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	size_t                len;
	char                 *xml = kit_sample("pain.002.001.10.xml", &len);
	bank_gateway_pain002 *r   = NULL;
	bank_gateway_verdict  v;

	assert_int_equal(
	    bank_gateway_pain002_read(*state, xml, len, &r, why), SN_OK);
	assert_string_equal(r->msg_id, "STS-20240603-0001");
	assert_string_equal(r->created, "2024-06-03T10:15:00+08:00");
	assert_string_equal(r->orgnl_msg_id, "RUN-20240601-0001");
	assert_string_equal(r->orgnl_msg_name, "pain.001.001.09");
	assert_string_equal(r->group_status, "RJCT");
	assert_string_equal(r->group_reason.code, "");
	assert_int_equal(r->n_pmtinfs, 1);
	assert_string_equal(r->pmtinfs[0].pmt_inf_id, "RUN-20240601-0001-P1");
	assert_string_equal(r->pmtinfs[0].status, "");
	assert_int_equal(r->n_txs, 1);
	assert_int_equal(r->txs[0].pmtinf, 0);
	assert_string_equal(r->txs[0].instr_id, "RUN-20240601-0001-000001");
	assert_string_equal(r->txs[0].end_to_end_id, "E2E-20240601-000001");
	assert_string_equal(r->txs[0].status, "RJCT");
	assert_false(r->txs[0].inherited);
	assert_string_equal(r->txs[0].reason.code, "AC04");
	assert_string_equal(r->txs[0].reason.info, "Account closed");
	v = bank_gateway_reasons_judge(
	    r->txs[0].status, r->txs[0].reason.code);
	assert_int_equal(v.outcome, BANK_GATEWAY_REJECTED);
	bank_gateway_pain002_free(r);
	free(xml);
}

static const char levels[]
    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.10\">"
      "<CstmrPmtStsRpt><GrpHdr><MsgId>STS-2</MsgId>"
      "<CreDtTm>2027-01-05T10:00:00+08:00</CreDtTm></GrpHdr>"
      "<OrgnlGrpInfAndSts><OrgnlMsgId>RUN-202701-0001</OrgnlMsgId>"
      "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>PART</GrpSts>"
      "</OrgnlGrpInfAndSts>"
      "<OrgnlPmtInfAndSts><OrgnlPmtInfId>P-dibao</OrgnlPmtInfId>"
      "<TxInfAndSts><OrgnlEndToEndId>E2E-1</OrgnlEndToEndId>"
      "<TxSts>ACSC</TxSts></TxInfAndSts>"
      "<TxInfAndSts><OrgnlEndToEndId>E2E-2</OrgnlEndToEndId>"
      "<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>BE01</Cd></Rsn>"
      "<AddtlInf>户名不符</AddtlInf></StsRsnInf></TxInfAndSts>"
      "<TxInfAndSts><OrgnlEndToEndId>E2E-3</OrgnlEndToEndId>"
      "<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Prtry>BANK-77</Prtry></Rsn>"
      "</StsRsnInf></TxInfAndSts>"
      "</OrgnlPmtInfAndSts>"
      "<OrgnlPmtInfAndSts><OrgnlPmtInfId>P-tekun</OrgnlPmtInfId>"
      "<PmtInfSts>RJCT</PmtInfSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn>"
      "</StsRsnInf>"
      "<TxInfAndSts><OrgnlEndToEndId>E2E-4</OrgnlEndToEndId></TxInfAndSts>"
      "</OrgnlPmtInfAndSts>"
      "<OrgnlPmtInfAndSts><OrgnlPmtInfId>P-linshi</OrgnlPmtInfId>"
      "</OrgnlPmtInfAndSts>"
      "</CstmrPmtStsRpt></Document>\n";

static void
reads_levels(void **state)
{
	char                  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	bank_gateway_pain002 *r                             = NULL;

	assert_int_equal(
	    bank_gateway_pain002_read(*state, levels, strlen(levels), &r, why),
	    SN_OK);
	assert_string_equal(r->group_status, "PART");
	assert_int_equal(r->n_pmtinfs, 3);
	assert_int_equal(r->n_txs, 4);
	assert_string_equal(r->txs[0].end_to_end_id, "E2E-1");
	assert_string_equal(r->txs[0].instr_id, "");
	assert_string_equal(r->txs[0].status, "ACSC");
	assert_int_equal(
	    bank_gateway_reasons_judge(r->txs[0].status, "").outcome,
	    BANK_GATEWAY_PAID);
	assert_string_equal(r->txs[1].reason.code, "BE01");
	assert_string_equal(r->txs[1].reason.info, "户名不符");
	assert_string_equal(r->txs[2].reason.code, "");
	assert_string_equal(r->txs[2].reason.proprietary, "BANK-77");
	/* E2E-4 has no TxSts: its block's RJCT and AM04. */
	assert_int_equal(r->txs[3].pmtinf, 1);
	assert_string_equal(r->pmtinfs[1].pmt_inf_id, "P-tekun");
	assert_string_equal(r->txs[3].end_to_end_id, "E2E-4");
	assert_true(r->txs[3].inherited);
	assert_string_equal(r->txs[3].status, "RJCT");
	assert_string_equal(r->txs[3].reason.code, "AM04");
	assert_int_equal(
	    bank_gateway_reasons_judge(r->txs[3].status, r->txs[3].reason.code)
	        .outcome,
	    BANK_GATEWAY_RETRY);
	assert_string_equal(r->pmtinfs[2].pmt_inf_id, "P-linshi");
	bank_gateway_pain002_free(r);
}

/* Another message, or an invalid report, is refused whole. */
static void
refuses_other_documents(void **state)
{
	char                  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	size_t                len;
	char                 *xml = kit_sample("pain.001.001.09.xml", &len);
	bank_gateway_pain002 *r   = NULL;
	char                 *bad;

	assert_int_equal(
	    bank_gateway_pain002_read(*state, xml, len, &r, why), SN_EPROTO);
	print_message("%s\n", why);
	assert_null(r);
	free(xml);
	/* Well-formed, but an empty MsgId (Max35Text: at least one). */
	bad = strdup(levels);
	memcpy(
	    strstr(bad, "<MsgId>STS-2</MsgId>"), "<MsgId></MsgId>     ", 20);
	assert_int_equal(
	    bank_gateway_pain002_read(*state, bad, strlen(bad), &r, why),
	    SN_EPROTO);
	print_message("%s\n", why);
	assert_non_null(strstr(why, "MsgId"));
	assert_null(r);
	free(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_sample),
		cmocka_unit_test(reads_levels),
		cmocka_unit_test(refuses_other_documents),
	};
	return cmocka_run_group_tests(tests, setup, kit_schema_teardown);
}
