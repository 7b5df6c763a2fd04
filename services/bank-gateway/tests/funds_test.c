/*
 * bank_gateway.funds: the fund accounts file (funds.h): the tree's seed
 * reads with its four funds, and each way a file can be wrong is refused
 * with a reason naming the member.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "funds.h"

/* A file of one fund whose member key (NULL: none changed) is replaced
 * by the JSON text value (NULL: the member left out). */
static void
one(char *buf, size_t cap, const char *key, const char *value)
{
	static const char *const keys[] = { "fund", "account", "account_name",
		"agent", "currency", "purpose", "category_purpose" };
	static const char *const values[] = { "\"dibao\"",
		"\"1202020109900012345\"",
		"\"某某区民政局最低生活保障资金专户\"", "\"102100099996\"",
		"\"CNY\"", "\"最低生活保障金\"", "\"SSBE\"" };
	size_t                   at       = (size_t) snprintf(
	                            buf, cap, "{\"initiator\": \"某某区民政局\", \"funds\": [{");
	bool first = true;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = values[i];
		if (key != NULL && strcmp(key, keys[i]) == 0)
			v = value;
		if (v == NULL)
			continue;
		at += (size_t) snprintf(buf + at, cap - at, "%s\"%s\": %s",
		    first ? "" : ", ", keys[i], v);
		first = false;
	}
	if (key != NULL && value != NULL && strcmp(key, "extra") == 0)
		at += (size_t) snprintf(
		    buf + at, cap - at, ", \"extra\": %s", value);
	snprintf(buf + at, cap - at, "}]}");
}

static void
seed(void **state)
{
	bank_gateway_funds *f                               = NULL;
	char                why[BANK_GATEWAY_FUNDS_WHY_MAX] = "";
	(void) state;
	assert_int_equal(
	    bank_gateway_funds_load(BG_SEED_DIR "/funds.json", &f, why),
	    SN_OK);
	assert_int_equal(bank_gateway_funds_count(f), 4);
	assert_string_equal(bank_gateway_funds_initiator(f), "某某区民政局");
	static const char *const names[]
	    = { "dibao", "tekun", "emergency", "price_subsidy" };
	static const char *const purposes[] = { "最低生活保障金",
		"特困人员救助供养金", "临时救助金", "价格临时补贴" };
	for (int i = 0; i < 4; i++) {
		const bank_gateway_fund *x
		    = bank_gateway_funds_find(f, names[i]);
		assert_non_null(x);
		assert_string_equal(x->purpose, purposes[i]);
		assert_string_equal(x->currency, "CNY");
		assert_ptr_equal(
		    bank_gateway_funds_by_account(f, x->account), x);
		assert_non_null(strstr(x->account_name, "某某区民政局"));
		assert_int_equal(strlen(x->agent), 12);
	}
	assert_null(bank_gateway_funds_find(f, "housing"));
	assert_null(bank_gateway_funds_find(f, ""));
	assert_null(bank_gateway_funds_find(f, NULL));
	bank_gateway_funds_free(f);
}

static void
good(void **state)
{
	char                buf[2048];
	bank_gateway_funds *f                               = NULL;
	char                why[BANK_GATEWAY_FUNDS_WHY_MAX] = "";
	(void) state;
	one(buf, sizeof buf, NULL, NULL);
	assert_int_equal(
	    bank_gateway_funds_parse(buf, strlen(buf), &f, why), SN_OK);
	assert_int_equal(bank_gateway_funds_count(f), 1);
	bank_gateway_funds_free(f);
	/* category_purpose is optional */
	one(buf, sizeof buf, "category_purpose", NULL);
	assert_int_equal(
	    bank_gateway_funds_parse(buf, strlen(buf), &f, why), SN_OK);
	assert_string_equal(bank_gateway_funds_at(f, 0)->category_purpose, "");
	bank_gateway_funds_free(f);
	/* an account of exactly 34 characters, a purpose of 128 */
	char acct[64], purpose[1024];
	snprintf(
	    acct, sizeof acct, "\"%s\"", "1234567890123456789012345678901234");
	one(buf, sizeof buf, "account", acct);
	assert_int_equal(
	    bank_gateway_funds_parse(buf, strlen(buf), &f, why), SN_OK);
	bank_gateway_funds_free(f);
	size_t at     = 0;
	purpose[at++] = '"';
	for (int i = 0; i < 128; i++) {
		memcpy(purpose + at, "金", 3);
		at += 3;
	}
	purpose[at++] = '"';
	purpose[at]   = '\0';
	one(buf, sizeof buf, "purpose", purpose);
	assert_int_equal(
	    bank_gateway_funds_parse(buf, strlen(buf), &f, why), SN_OK);
	bank_gateway_funds_free(f);
}

static void
bad(void **state)
{
	static const struct {
		const char *key, *value, *why_has;
	} cases[] = {
		{ "fund", NULL, "funds[0].fund" },
		{ "fund", "\"Dibao\"", "funds[0].fund" },
		{ "fund", "\"1dibao\"", "funds[0].fund" },
		{ "fund", "\"di-bao\"", "funds[0].fund" },
		{ "fund", "\"\"", "funds[0].fund" },
		{ "fund", "7", "funds[0].fund" },
		{ "account", NULL, "funds[0].account" },
		{ "account", "\"12345678901234567890123456789012345\"",
		    "funds[0].account" },
		{ "account", "\"\"", "funds[0].account" },
		{ "account_name", "null", "funds[0].account_name" },
		{ "agent", NULL, "funds[0].agent" },
		{ "agent", "\"1234567890123456789012345678901234567\"",
		    "funds[0].agent" },
		{ "currency", "\"cny\"", "funds[0].currency" },
		{ "currency", "\"CNYX\"", "funds[0].currency" },
		{ "currency", "\"CN\"", "funds[0].currency" },
		{ "purpose", NULL, "funds[0].purpose" },
		{ "purpose", "\"line\\nbreak\"", "funds[0].purpose" },
		{ "category_purpose", "\"SSBEX\"",
		    "funds[0].category_purpose" },
		{ "extra", "1", "funds[0].extra" },
	};
	char                buf[2048];
	bank_gateway_funds *f;
	char                why[BANK_GATEWAY_FUNDS_WHY_MAX];
	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		one(buf, sizeof buf, cases[i].key, cases[i].value);
		f      = (bank_gateway_funds *) 1;
		why[0] = '\0';
		if (bank_gateway_funds_parse(buf, strlen(buf), &f, why)
		    != SN_EINVAL)
			fail_msg(
			    "case %zu (%s) was not refused", i, cases[i].key);
		assert_null(f);
		if (strstr(why, cases[i].why_has) == NULL)
			fail_msg("case %zu: reason \"%s\" does not name %s", i,
			    why, cases[i].why_has);
	}
}

static void
bad_files(void **state)
{
	static const struct {
		const char *json, *why_has;
	} cases[] = {
		{ "", "not JSON" },
		{ "[]", "not a JSON object" },
		{ "{\"funds\": []}", "initiator" },
		{ "{\"initiator\": \"x\"}", "funds" },
		{ "{\"initiator\": \"x\", \"funds\": {}}", "funds" },
		{ "{\"initiator\": \"x\", \"funds\": [1]}", "funds[0]" },
		{ "{\"initiator\": \"x\", \"funds\": [], \"more\": 1}",
		    "more" },
		{ "{\"initiator\": \"x\", \"initiator\": \"y\", \"funds\": "
		  "[]}",
		    "not JSON" },
		{ "{\"initiator\": \"x\", \"funds\": [{\"fund\": \"dibao\","
		  " \"account\": \"1\", \"account_name\": \"a\", \"agent\":"
		  " \"b\", \"currency\": \"CNY\", \"purpose\": \"p\"},"
		  " {\"fund\": \"dibao\", \"account\": \"2\", "
		  "\"account_name\":"
		  " \"a\", \"agent\": \"b\", \"currency\": \"CNY\", "
		  "\"purpose\":"
		  " \"p\"}]}",
		    "named twice" },
	};
	bank_gateway_funds *f;
	char                why[BANK_GATEWAY_FUNDS_WHY_MAX];
	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		why[0] = '\0';
		if (bank_gateway_funds_parse(
		        cases[i].json, strlen(cases[i].json), &f, why)
		    != SN_EINVAL)
			fail_msg("file %zu was not refused", i);
		if (strstr(why, cases[i].why_has) == NULL)
			fail_msg("file %zu: reason \"%s\" does not say %s", i,
			    why, cases[i].why_has);
	}
	why[0] = '\0';
	assert_int_equal(
	    bank_gateway_funds_load("/nonexistent/funds.json", &f, why),
	    SN_EIO);
	assert_non_null(strstr(why, "/nonexistent/funds.json"));
	/* an empty set is a valid file: no fund can pay */
	const char *none = "{\"initiator\": \"x\", \"funds\": []}";
	assert_int_equal(
	    bank_gateway_funds_parse(none, strlen(none), &f, why), SN_OK);
	assert_int_equal(bank_gateway_funds_count(f), 0);
	assert_null(bank_gateway_funds_find(f, "dibao"));
	bank_gateway_funds_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seed),
		cmocka_unit_test(good),
		cmocka_unit_test(bad),
		cmocka_unit_test(bad_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
