/* supervision.feed_unit: the hub feed's pure parts - pseudonyms, one
 * item's JSON, the schemas (feedjson.h, feedschema.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "feedjson.h"
#include "feedschema.h"
#include "pbjson.h"
#include "sn/assist/v1/case.pb-c.h"
#include "supervision.h"

#define KEYRING                                                               \
	"k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define BLIND                                                                 \
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
#define ID1 "220103199001011235"
#define ID2 "220103201001011235"
#define ACCOUNT "6222020200112233445"

static const uint8_t master[32]
    = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	      21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

/* The documented derivation, written out again with libsodium alone. */
static void
expected(const char *hub, const char *kind, const char *plain, char out[77])
{
	uint8_t                      k[32], mac[32];
	crypto_auth_hmacsha256_state st;
	char                         label[128];

	snprintf(label, sizeof(label), "sn.feed.hub.v1:%s", hub);
	crypto_auth_hmacsha256(
	    k, (const unsigned char *) label, strlen(label), master);
	crypto_auth_hmacsha256_init(&st, k, 32);
	crypto_auth_hmacsha256_update(
	    &st, (const unsigned char *) kind, strlen(kind));
	crypto_auth_hmacsha256_update(
	    &st, (const unsigned char *) plain, strlen(plain));
	crypto_auth_hmacsha256_final(&st, mac);
	strcpy(out, "hmac-sha256:");
	sodium_bin2hex(out + 12, 65, mac, 32);
}

static void
test_pseudonyms(void **state)
{
	uint8_t a[32], b[32];
	char    pa[77], pb[77], pa2[77], want[77];

	(void) state;
	supervision_feedjson_hub_key(master, "hub-a", a);
	supervision_feedjson_hub_key(master, "hub-b", b);
	supervision_feedjson_pseudonym(a, SUPERVISION_PBJSON_PERSON, ID1, pa);
	supervision_feedjson_pseudonym(b, SUPERVISION_PBJSON_PERSON, ID1, pb);
	supervision_feedjson_pseudonym(a, SUPERVISION_PBJSON_PERSON, ID1, pa2);
	expected("hub-a", "person:", ID1, want);
	assert_string_equal(pa, want);
	assert_string_equal(pa, pa2);
	assert_string_not_equal(pa, pb);
	/* An account number is pseudonymised apart from a person's. */
	supervision_feedjson_pseudonym(
	    a, SUPERVISION_PBJSON_ACCOUNT, ID1, pa2);
	assert_string_not_equal(pa, pa2);
	expected("hub-a", "account:", ID1, want);
	assert_string_equal(pa2, want);
}

/* A body as events.data holds it: identifiers sealed. */
static json_t *
sealed_body(const sn_seal *s)
{
	char   *id1, *id2, *acct;
	json_t *j;

	assert_int_equal(
	    sn_seal_text(s, SUPERVISION_PERSON_COLUMN, ID1, &id1), SN_OK);
	assert_int_equal(
	    sn_seal_text(s, SUPERVISION_PERSON_COLUMN, ID2, &id2), SN_OK);
	assert_int_equal(
	    sn_seal_text(s, SUPERVISION_ACCOUNT_COLUMN, ACCOUNT, &acct),
	    SN_OK);
	j = json_pack("{s:s, s:s, s:[s,s], s:[s,s], s:I, s:{s:s, s:s, s:s},"
	              " s:{s:s, s:s}, s:s, s:s, s:s, s:n, s:s}",
	    "head_id_number", id1, "head_name", "张三", "member_id_numbers",
	    id1, id2, "member_names", "张三", "张小三", "monthly_amount_fen",
	    (json_int_t) 9007199254740993LL, "payee", "bank_code", "ICBC",
	    "account_number", acct, "account_name", "张三", "household",
	    "township_code", "220103001", "address", "幸福路 1 号",
	    "evidence_json", "{\"id\":\"" ID2 "\"}", "hash",
	    "a220103199001011235b", "digits", "12220103199001011235", "unset",
	    "empty_id_number", "");
	free(id1);
	free(id2);
	free(acct);
	return j;
}

static void
test_data(void **state)
{
	sn_seal *s = NULL;
	uint8_t  k[32];
	char     p1[77], p2[77], pa[77], buf[128];
	json_t  *j;
	char    *text;

	(void) state;
	assert_int_equal(sn_seal_open(&s, KEYRING, BLIND), SN_OK);
	supervision_feedjson_hub_key(master, "hub-a", k);
	supervision_feedjson_pseudonym(k, SUPERVISION_PBJSON_PERSON, ID1, p1);
	supervision_feedjson_pseudonym(k, SUPERVISION_PBJSON_PERSON, ID2, p2);
	supervision_feedjson_pseudonym(
	    k, SUPERVISION_PBJSON_ACCOUNT, ACCOUNT, pa);
	j = sealed_body(s);
	assert_int_equal(supervision_feedjson_data(j, k, s), SN_OK);
	assert_string_equal(
	    json_string_value(json_object_get(j, "head_id_number")), p1);
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(j, "member_id_numbers"), 1)),
	    p2);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(j, "payee"), "account_number")),
	    pa);
	/* Names and addresses are gone; codes and amounts stay. */
	assert_null(json_object_get(j, "head_name"));
	assert_null(json_object_get(j, "member_names"));
	assert_null(
	    json_object_get(json_object_get(j, "payee"), "account_name"));
	assert_null(
	    json_object_get(json_object_get(j, "household"), "address"));
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(j, "household"), "township_code")),
	    "220103001");
	assert_true(
	    json_integer_value(json_object_get(j, "monthly_amount_fen"))
	    == 9007199254740993LL);
	assert_true(json_is_null(json_object_get(j, "unset")));
	assert_string_equal(
	    json_string_value(json_object_get(j, "empty_id_number")), "");
	/* An id number standing alone in free text is replaced; digits
	 * that only contain one, touching letters or digits, are not. */
	snprintf(buf, sizeof(buf), "{\"id\":\"%s\"}", p2);
	assert_string_equal(
	    json_string_value(json_object_get(j, "evidence_json")), buf);
	assert_string_equal(json_string_value(json_object_get(j, "hash")),
	    "a220103199001011235b");
	assert_string_equal(json_string_value(json_object_get(j, "digits")),
	    "12220103199001011235");
	/* Nothing of the person is left in the text. */
	json_object_del(j, "hash");
	json_object_del(j, "digits");
	text = json_dumps(j, 0);
	assert_null(strstr(text, ID1));
	assert_null(strstr(text, ID2));
	assert_null(strstr(text, ACCOUNT));
	assert_null(strstr(text, "张"));
	assert_null(strstr(text, "sn1."));
	free(text);
	json_decref(j);

	/* A sealed value the keyring cannot open stops the page. */
	j = json_pack("{s:s}", "id_number", "sn1.zz.AAAA");
	assert_int_equal(supervision_feedjson_data(j, k, s), SN_EPROTO);
	json_decref(j);
	sn_seal_close(s);
}

static void
test_item(void **state)
{
	uint8_t              k[32];
	json_t              *ce;
	char                 p1[77];
	supervision_feed_row row = { 42,
		"0b5f0a7e-6a53-4c1e-9d8e-3c8a4f1e2d10", "intake",
		"application.submitted", ID1, "2026-01-02T03:04:05.000000Z", 1,
		"{\"application_id\":\"a-1\"}" };

	(void) state;
	supervision_feedjson_hub_key(master, "hub-a", k);
	supervision_feedjson_pseudonym(k, SUPERVISION_PBJSON_PERSON, ID1, p1);
	assert_int_equal(supervision_feedjson_item(&row, k, NULL, &ce), SN_OK);
	assert_string_equal(
	    json_string_value(json_object_get(ce, "specversion")), "1.0");
	assert_string_equal(json_string_value(json_object_get(ce, "type")),
	    "cn.safetynet.application.submitted.v1");
	assert_string_equal(json_string_value(json_object_get(ce, "source")),
	    "/safetynet/intake");
	assert_string_equal(
	    json_string_value(json_object_get(ce, "snpos")), "42");
	assert_string_equal(
	    json_string_value(json_object_get(ce, "dataschema")),
	    SUPERVISION_FEED_SCHEMA_BASE
	    "cn.safetynet.application.submitted.v1.json");
	/* A subject that is an identity number is a pseudonym too. */
	assert_string_equal(
	    json_string_value(json_object_get(ce, "subject")), p1);
	json_decref(ce);

	/* A type this version does not know: no data at all. */
	row.type    = "thing.happened";
	row.subject = "";
	row.data    = "{\"undecoded\":\"AAEC\"}";
	assert_int_equal(supervision_feedjson_item(&row, k, NULL, &ce), SN_OK);
	assert_null(json_object_get(ce, "data"));
	assert_null(json_object_get(ce, "dataschema"));
	assert_null(json_object_get(ce, "subject"));
	assert_string_equal(json_string_value(json_object_get(ce, "type")),
	    "cn.safetynet.thing.happened.v1");
	json_decref(ce);
}

static void
test_schema(void **state)
{
	json_t *s = supervision_feedschema_type("beneficiary.changed", 1,
	    &sn__assist__v1__beneficiary_changed__descriptor);
	json_t *props, *payee;

	(void) state;
	assert_non_null(s);
	props = json_object_get(s, "properties");
	assert_true(json_is_false(json_object_get(s, "additionalProperties")));
	assert_null(json_object_get(props, "head_name"));
	assert_null(json_object_get(props, "member_names"));
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(props, "head_id_number"), "pattern")),
	    "^(hmac-sha256:[0-9a-f]{64})?$");
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(props, "monthly_amount_fen"), "type")),
	    "integer");
	/* Every field kept is required; nested messages are in $defs. */
	assert_int_equal(json_array_size(json_object_get(s, "required")),
	    json_object_size(props));
	payee = json_object_get(
	    json_object_get(s, "$defs"), "sn.assist.v1.PayeeAccount");
	assert_non_null(payee);
	assert_null(json_object_get(
	    json_object_get(payee, "properties"), "account_name"));
	json_decref(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pseudonyms),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_item),
		cmocka_unit_test(test_schema),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
