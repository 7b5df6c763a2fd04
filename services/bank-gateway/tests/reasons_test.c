/*
 * bank_gateway.reasons: pain.002 statuses and ISO reason codes to
 * disbursement's outcomes (reasons.h), and group reason codes to what a
 * refused file means for its batch, as tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reasons.h"

static void
table(void **state)
{
	static const struct {
		const char          *status, *reason;
		bank_gateway_outcome outcome;
		const char          *zh_has; /* in the Chinese text; NULL:
		                                no text */
		const char *en_has;
	} cases[] = {
		{ "ACSC", NULL, BANK_GATEWAY_PAID, NULL, NULL },
		{ "ACCC", "", BANK_GATEWAY_PAID, NULL, NULL },
		/* a reason beside a status other than RJCT changes nothing */
		{ "ACSC", "AC04", BANK_GATEWAY_PAID, NULL, NULL },
		{ "ACCP", NULL, BANK_GATEWAY_PENDING, NULL, NULL },
		{ "ACTC", NULL, BANK_GATEWAY_PENDING, NULL, NULL },
		{ "ACSP", NULL, BANK_GATEWAY_PENDING, NULL, NULL },
		{ "PDNG", NULL, BANK_GATEWAY_PENDING, NULL, NULL },
		{ "RCVD", NULL, BANK_GATEWAY_PENDING, NULL, NULL },
		{ "PART", NULL, BANK_GATEWAY_PENDING, NULL, NULL },
		{ "ZZZZ", NULL, BANK_GATEWAY_PENDING, NULL, NULL },
		{ "", NULL, BANK_GATEWAY_PENDING, NULL, NULL },
		{ NULL, "AC04", BANK_GATEWAY_PENDING, NULL, NULL },
		{ "rjct", "AC04", BANK_GATEWAY_PENDING, NULL, NULL },
		{ "RJCT", "AC01", BANK_GATEWAY_REJECTED, "账号有误",
		    "Wrong account number" },
		{ "RJCT", "AC03", BANK_GATEWAY_REJECTED, "账号无效",
		    "Invalid creditor account" },
		{ "RJCT", "AC04", BANK_GATEWAY_REJECTED, "已销户",
		    "Account closed" },
		{ "RJCT", "AC06", BANK_GATEWAY_REJECTED, "冻结",
		    "Account blocked" },
		{ "RJCT", "AG01", BANK_GATEWAY_REJECTED, "不能接收",
		    "may not receive" },
		{ "RJCT", "AM02", BANK_GATEWAY_REJECTED, "上限", "limit" },
		{ "RJCT", "AM12", BANK_GATEWAY_REJECTED, "金额无效",
		    "Invalid amount" },
		{ "RJCT", "BE01", BANK_GATEWAY_REJECTED, "户名与账号不符",
		    "Name does not match" },
		{ "RJCT", "MD07", BANK_GATEWAY_REJECTED, "死亡", "deceased" },
		{ "RJCT", "RC01", BANK_GATEWAY_REJECTED, "开户银行",
		    "bank identifier" },
		{ "RJCT", "AM04", BANK_GATEWAY_RETRY, "余额不足",
		    "short of money" },
		{ "RJCT", "TM01", BANK_GATEWAY_RETRY, "截止时间", "cut-off" },
		{ "RJCT", "FF01", BANK_GATEWAY_RETRY, "格式", "format" },
		/* a file's faults inherited by its transactions */
		{ "RJCT", "AM16", BANK_GATEWAY_RETRY, "总金额",
		    "control sum" },
		{ "RJCT", "AM18", BANK_GATEWAY_RETRY, "笔数",
		    "number of transactions" },
		{ "RJCT", "AM05", BANK_GATEWAY_PENDING, "对账单",
		    "statement" },
		{ "RJCT", "DU01", BANK_GATEWAY_PENDING, "同一报文标识",
		    "already holds" },
		{ "RJCT", "XX99", BANK_GATEWAY_REJECTED, "不在对照表",
		    "not in our table" },
		{ "RJCT", "", BANK_GATEWAY_REJECTED, "不在对照表",
		    "not in our table" },
		{ "RJCT", NULL, BANK_GATEWAY_REJECTED, "不在对照表",
		    "not in our table" },
		{ "RJCT", "ac04", BANK_GATEWAY_REJECTED, "不在对照表",
		    "not in our table" },
	};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bank_gateway_verdict v = bank_gateway_reasons_judge(
		    cases[i].status, cases[i].reason);

		print_message("%s %s\n",
		    cases[i].status ? cases[i].status : "-",
		    cases[i].reason ? cases[i].reason : "-");
		assert_string_equal(bank_gateway_outcome_name(v.outcome),
		    bank_gateway_outcome_name(cases[i].outcome));
		if (cases[i].zh_has == NULL) {
			assert_null(v.zh);
			assert_null(v.en);
			continue;
		}
		assert_non_null(strstr(v.zh, cases[i].zh_has));
		assert_non_null(strstr(v.en, cases[i].en_has));
	}
}

/* A whole file refused (GrpSts RJCT naming no transaction): refused,
 * but for DU01, with a text for each. */
static void
files(void **state)
{
	static const struct {
		const char *reason;
		bool        refused;
		const char *zh_has, *en_has;
	} cases[] = {
		{ "FF01", true, "格式", "format" },
		{ "AM16", true, "总金额", "control sum" },
		{ "AM18", true, "笔数", "number of transactions" },
		/* the bank holds a file under this MsgId: not refused */
		{ "DU01", false, "同一报文标识", "already holds" },
		{ "XX99", true, "不在对照表", "refused the file" },
		{ "", true, "不在对照表", "refused the file" },
		{ NULL, true, "不在对照表", "refused the file" },
		{ "du01", true, "不在对照表", "refused the file" },
	};
	size_t i;

	(void) state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bank_gateway_file_verdict v
		    = bank_gateway_reasons_file(cases[i].reason);

		print_message("%s\n", cases[i].reason ? cases[i].reason : "-");
		assert_int_equal(v.refused, cases[i].refused);
		assert_non_null(strstr(v.zh, cases[i].zh_has));
		assert_non_null(strstr(v.en, cases[i].en_has));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
