/*
 * bank_gateway.hostile: documents from outside that must be refused
 * cleanly (iso20022.h): entity expansion, external entities and DTDs,
 * documents that are not XML, not well-formed, too big or not ours.
 * Refused means SN_EPROTO with a reason, nothing read, nothing fetched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "camt054.h"
#include "kit.h"
#include "pain002.h"

#define NS "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
#define BODY(msgid)                                                           \
	"<Document xmlns=\"" NS "\"><CstmrPmtStsRpt><GrpHdr><MsgId>" msgid    \
	"</MsgId><CreDtTm>2027-01-05T10:00:00+08:00</CreDtTm></GrpHdr>"       \
	"<OrgnlGrpInfAndSts><OrgnlMsgId>R</OrgnlMsgId>"                       \
	"<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>"    \
	"</CstmrPmtStsRpt></Document>"

static const struct {
	const char *name;
	const char *xml;
	const char *why_has;
} cases[] = {
	{ "plain, for contrast", BODY("OK"), NULL },
	{ "billion laughs",
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE Document [\n"
	    "<!ENTITY a "
	    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
	    "<!ENTITY b "
	    "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	    "<!ENTITY c "
	    "\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	    "<!ENTITY d "
	    "\"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	    "<!ENTITY e "
	    "\"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	    "<!ENTITY f "
	    "\"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	    "]>\n" BODY("&f;"),
	    "DOCTYPE" },
	{ "external entity (XXE)",
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE Document [\n"
	    "<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n" BODY("&x;"),
	    "DOCTYPE" },
	{ "parameter entity",
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE Document [\n"
	    "<!ENTITY % p SYSTEM \"http://127.0.0.1:9/evil.dtd\"> "
	    "%p;]>\n" BODY("P"),
	    "DOCTYPE" },
	{ "external DTD",
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE Document SYSTEM \"http://127.0.0.1:9/x.dtd\">\n" BODY(
	        "D"),
	    "DOCTYPE" },
	{ "undeclared entity", BODY("&x;"), "not well-formed" },
	{ "XInclude is not processed",
	    "<Document xmlns=\"" NS "\" "
	    "xmlns:xi=\"http://www.w3.org/2001/XInclude\"><CstmrPmtStsRpt>"
	    "<xi:include href=\"file:///etc/passwd\" parse=\"text\"/>"
	    "</CstmrPmtStsRpt></Document>",
	    "not a valid" },
	{ "truncated", "<Document xmlns=\"" NS "\"><CstmrPmtStsRpt><GrpHdr>",
	    "not well-formed" },
	{ "not XML", "{\"status\": \"ACSC\"}", "not well-formed" },
	{ "no namespace", "<Document><CstmrPmtStsRpt/></Document>",
	    "not a valid" },
	{ "another namespace",
	    "<Document xmlns=\"urn:example\"><CstmrPmtStsRpt/></Document>",
	    "not a valid" },
	{ "bad UTF-8", BODY("\xc3\x28"), "not well-formed" },
	{ "control character", BODY("a&#1;b"), "not well-formed" },
};

static void
refused_cleanly(void **state)
{
	bank_gateway_iso_schema *s = *state;
	size_t                   i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char                  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
		bank_gateway_pain002 *r                             = NULL;
		sn_err                err;

		err = bank_gateway_pain002_read(
		    s, cases[i].xml, strlen(cases[i].xml), &r, why);
		print_message("%s: %s\n", cases[i].name, why);
		if (cases[i].why_has == NULL) {
			assert_int_equal(err, SN_OK);
			assert_string_equal(r->msg_id, "OK");
			bank_gateway_pain002_free(r);
			continue;
		}
		assert_int_equal(err, SN_EPROTO);
		assert_null(r);
		assert_non_null(strstr(why, cases[i].why_has));
		assert_null(strstr(why, "root:"));
	}
}

/* Sizes: nothing is read past the limit, and nothing empty. */
static void
sizes(void **state)
{
	char                  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	bank_gateway_pain002 *r                             = NULL;
	static const char     tiny[]                        = "<a/>";

	assert_int_equal(bank_gateway_pain002_read(*state, tiny,
	                     BANK_GATEWAY_ISO_MAX_BYTES + 1, &r, why),
	    SN_EPROTO);
	assert_non_null(strstr(why, "over the limit"));
	assert_int_equal(
	    bank_gateway_pain002_read(*state, tiny, 0, &r, why), SN_EPROTO);
	assert_int_equal(
	    bank_gateway_pain002_read(*state, NULL, 10, &r, why), SN_EPROTO);
	assert_null(r);
}

/* A schema is only for its own message. */
static void
wrong_schema(void **state)
{
	char                  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	bank_gateway_camt054 *n                             = NULL;
	static const char     doc[]                         = BODY("X");

	assert_int_equal(
	    bank_gateway_camt054_read(*state, doc, strlen(doc), &n, why),
	    SN_EINVAL);
	assert_null(n);
}

static void
missing_schema(void **state)
{
	char                     why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	bank_gateway_iso_schema *s                             = NULL;

	(void) state;
	assert_int_equal(bank_gateway_iso_schema_open(BG_DATA_DIR "/none",
	                     BANK_GATEWAY_PAIN001, &s, why),
	    SN_EIO);
	assert_null(s);
	/* A folder without the XSD. */
	assert_int_equal(bank_gateway_iso_schema_open(
	                     BG_DATA_DIR, BANK_GATEWAY_PAIN001, &s, why),
	    SN_EIO);
}

static int
setup(void **state)
{
	*state = kit_schema(BANK_GATEWAY_PAIN002);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused_cleanly),
		cmocka_unit_test(sizes),
		cmocka_unit_test(wrong_schema),
		cmocka_unit_test(missing_schema),
	};
	return cmocka_run_group_tests(tests, setup, kit_schema_teardown);
}
