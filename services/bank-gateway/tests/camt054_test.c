/*
 * bank_gateway.camt054: debit notifications read into entries
 * (camt054.h): the shared sample, an entry of several transactions,
 * an entry with none, and amounts that are not whole fen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "camt054.h"
#include "kit.h"

static int
setup(void **state)
{
	*state = kit_schema(BANK_GATEWAY_CAMT054);
	return 0;
}

static void
reads_sample(void **state)
{
	char                  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	size_t                len;
	char                 *xml = kit_sample("camt.054.001.08.xml", &len);
	bank_gateway_camt054 *n   = NULL;
	const bank_gateway_camt054_entry *e;

	assert_int_equal(
	    bank_gateway_camt054_read(*state, xml, len, &n, why), SN_OK);
	assert_string_equal(n->msg_id, "NTF-20240603-0001");
	assert_string_equal(n->created, "2024-06-03T16:00:00+08:00");
	assert_int_equal(n->n_entries, 1);
	e = &n->entries[0];
	assert_string_equal(e->account, "110000000000000000001");
	assert_string_equal(e->entry_ref, "1");
	assert_string_equal(e->bank_ref, "BANKREF-20240603-000001");
	assert_string_equal(e->end_to_end_id, "E2E-20240601-000001");
	assert_string_equal(e->msg_id, "RUN-20240601-0001");
	assert_true(e->amount == 80000);
	assert_string_equal(e->currency, "CNY");
	assert_true(e->debit);
	assert_false(e->reversal);
	assert_string_equal(e->status, "BOOK");
	assert_string_equal(e->booking_date, "2024-06-03");
	bank_gateway_camt054_free(n);
	free(xml);
}

/* The documents below read as XML, left as written. */
/* clang-format off */
#define HEAD \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\">" \
	"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>NTF-2</MsgId>" \
	"<CreDtTm>2027-01-06T16:00:00+08:00</CreDtTm></GrpHdr>" \
	"<Ntfctn><Id>NTF-2-1</Id>" \
	"<Acct><Id><Othr><Id>110000000000000000001</Id></Othr></Id></Acct>"
#define TAIL "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n"
#define TX(e2e, amt) \
	"<TxDtls><Refs><EndToEndId>" e2e "</EndToEndId></Refs>" amt "</TxDtls>"

/* A batch-booked entry of three payments, then a reversed entry with
 * none; whitespace around the values whose XSD type collapses it (an
 * amount, a boolean). */
static const char batch[] = HEAD
	"<Ntry><NtryRef>7</NtryRef><Amt Ccy=\"CNY\">1234.57</Amt>"
	"<CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
	"<BookgDt><DtTm>2027-01-06T09:00:00+08:00</DtTm></BookgDt>"
	"<BkTxCd/>"
	"<NtryDtls>"
	TX("E2E-1", "<Amt Ccy=\"CNY\">0.01</Amt>")
	TX("E2E-2", "<Amt Ccy=\"CNY\"> 1234.56000 </Amt>")
	"</NtryDtls><NtryDtls>"
	TX("E2E-3", "<Amt Ccy=\"CNY\">0</Amt>")
	"</NtryDtls></Ntry>"
	"<Ntry><Amt Ccy=\"CNY\">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
	"<RvslInd> true </RvslInd><Sts><Cd>BOOK</Cd></Sts>"
	"<BookgDt><Dt>2027-01-06</Dt></BookgDt><BkTxCd/></Ntry>"
	TAIL;

/* Valid by the XSD (five decimals), but not a whole number of fen: the
 * whole notification is refused, never rounded. */
static const char fraction[] = HEAD
	"<Ntry><Amt Ccy=\"CNY\">800.005</Amt>"
	"<CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BkTxCd/></Ntry>"
	TAIL;

/* Several transactions, one without its own amount. */
static const char unsplit[] = HEAD
	"<Ntry><Amt Ccy=\"CNY\">2.00</Amt>"
	"<CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BkTxCd/>"
	"<NtryDtls>"
	TX("E2E-1", "<Amt Ccy=\"CNY\">1.00</Amt>")
	TX("E2E-2", "")
	"</NtryDtls></Ntry>"
	TAIL;
/* clang-format on */

static void
reads_batch_entry(void **state)
{
	char                  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	bank_gateway_camt054 *n                             = NULL;
	sn_err                err;

	err = bank_gateway_camt054_read(*state, batch, strlen(batch), &n, why);
	print_message("%s\n", why);
	assert_int_equal(err, SN_OK);
	assert_int_equal(n->n_entries, 4);
	assert_string_equal(n->entries[0].end_to_end_id, "E2E-1");
	assert_true(n->entries[0].amount == 1);
	assert_string_equal(n->entries[1].end_to_end_id, "E2E-2");
	assert_true(n->entries[1].amount == 123456);
	assert_string_equal(n->entries[2].end_to_end_id, "E2E-3");
	assert_true(n->entries[2].amount == 0);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(n->entries[i].entry_ref, "7");
		assert_true(n->entries[i].debit);
		assert_string_equal(
		    n->entries[i].booking_date, "2027-01-06T09:00:00+08:00");
	}
	assert_string_equal(n->entries[3].end_to_end_id, "");
	assert_true(n->entries[3].amount == 5000);
	assert_false(n->entries[3].debit);
	assert_true(n->entries[3].reversal);
	assert_string_equal(n->entries[3].booking_date, "2027-01-06");
	bank_gateway_camt054_free(n);
}

static void
refuses_inexact(void **state)
{
	char                  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	bank_gateway_camt054 *n                             = NULL;

	assert_int_equal(bank_gateway_camt054_read(
	                     *state, fraction, strlen(fraction), &n, why),
	    SN_EPROTO);
	print_message("%s\n", why);
	assert_non_null(strstr(why, "800.005"));
	assert_null(n);
	assert_int_equal(bank_gateway_camt054_read(
	                     *state, unsplit, strlen(unsplit), &n, why),
	    SN_EPROTO);
	print_message("%s\n", why);
	assert_non_null(strstr(why, "without an amount"));
	assert_null(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_sample),
		cmocka_unit_test(reads_batch_entry),
		cmocka_unit_test(refuses_inexact),
	};
	return cmocka_run_group_tests(tests, setup, kit_schema_teardown);
}
