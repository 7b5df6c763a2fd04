/*
 * reasons.c - the status and reason code table (reasons.h).
 */
#include "reasons.h"

#include <stddef.h>
#include <string.h>

const char *
bank_gateway_outcome_name(bank_gateway_outcome o)
{
	switch (o) {
	case BANK_GATEWAY_PAID:
		return "paid";
	case BANK_GATEWAY_REJECTED:
		return "rejected";
	case BANK_GATEWAY_RETRY:
		return "retry";
	case BANK_GATEWAY_PENDING:
		break;
	}
	return "pending";
}

typedef struct status_row {
	const char          *code;
	bank_gateway_outcome outcome;
} status_row;

/* ExternalPaymentTransactionStatus1Code (and the group codes a status
 * may be inherited from). RJCT is judged by its reason. */
static const status_row statuses[] = {
	{ "ACSC", BANK_GATEWAY_PAID },    /* settlement completed */
	{ "ACCC", BANK_GATEWAY_PAID },    /* credited to the creditor */
	{ "ACCP", BANK_GATEWAY_PENDING }, /* technical and profile checks */
	{ "ACTC", BANK_GATEWAY_PENDING }, /* technical checks only */
	{ "ACSP", BANK_GATEWAY_PENDING }, /* settlement in process */
	{ "ACWC", BANK_GATEWAY_PENDING }, /* accepted with change */
	{ "ACWP", BANK_GATEWAY_PENDING }, /* accepted without posting */
	{ "ACFC", BANK_GATEWAY_PENDING }, /* funds checked */
	{ "PATC", BANK_GATEWAY_PENDING }, /* partially accepted */
	{ "PDNG", BANK_GATEWAY_PENDING }, /* pending */
	{ "RCVD", BANK_GATEWAY_PENDING }, /* received */
	{ "PART", BANK_GATEWAY_PENDING }, /* group: some accepted */
};

typedef struct reason_row {
	const char          *code;
	bank_gateway_outcome outcome;
	const char          *zh;
	const char          *en;
} reason_row;

/* ExternalStatusReason1Code: the codes a bank answers a benefit payment
 * with, and what each asks of whom. */
static const reason_row reasons[] = {
	{ "AC01", BANK_GATEWAY_REJECTED,
	    "收款账号有误：请核对收款人的一卡通账号后重新登记",
	    "Wrong account number: check the recipient's one-card account "
	    "number and record it again" },
	{ "AC03", BANK_GATEWAY_REJECTED,
	    "收款账号无效：请核对收款人的一卡通账号后重新登记",
	    "Invalid creditor account number: check the recipient's one-card "
	    "account number and record it again" },
	{ "AC04", BANK_GATEWAY_REJECTED,
	    "收款账户已销户：请收款人提供新的一卡通账户",
	    "Account closed: ask the recipient for a new one-card account" },
	{ "AC06", BANK_GATEWAY_REJECTED,
	    "收款账户已冻结：请收款人到开户银行解除冻结，或提供其他账户",
	    "Account blocked: the recipient has the bank unblock it, or gives "
	    "another account" },
	{ "AG01", BANK_GATEWAY_REJECTED,
	    "该账户不能接收此类款项：请收款人提供可以入账的一卡通账户",
	    "The account may not receive this payment: ask the recipient for "
	    "an account that can" },
	{ "AM02", BANK_GATEWAY_REJECTED,
	    "金额超过该账户允许的上限：请收款人向开户银行申请调整",
	    "Amount over the account's limit: the recipient asks the bank to "
	    "raise it" },
	{ "BE01", BANK_GATEWAY_REJECTED,
	    "户名与账号不符：请核对收款人姓名与一卡通账户户名",
	    "Name does not match the account: check the recipient's name "
	    "against the account holder's" },
	{ "MD07", BANK_GATEWAY_REJECTED,
	    "银行记录收款人已死亡：请核实后办理停发或变更",
	    "The bank records the recipient as deceased: verify, then stop or "
	    "change the benefit" },
	{ "RC01", BANK_GATEWAY_REJECTED,
	    "开户银行代码有误：请核对收款人的开户银行",
	    "Wrong bank identifier: check the recipient's bank" },
	{ "AM04", BANK_GATEWAY_RETRY,
	    "资金账户余额不足：财务补足后重新发送，乡镇无需处理",
	    "The fund's account was short of money: sent again once finance "
	    "tops it up; nothing for the township to do" },
	{ "TM01", BANK_GATEWAY_RETRY,
	    "已过银行当日截止时间：下一工作日重新发送，乡镇无需处理",
	    "After the bank's cut-off time: sent again the next working day; "
	    "nothing for the township to do" },
	{ "FF01", BANK_GATEWAY_RETRY,
	    "银行拒收文件（格式错误）：技术人员修正后重新发送，乡镇无需处理",
	    "The bank refused the file (format): sent again once it is fixed; "
	    "nothing for the township to do" },
	{ "AM05", BANK_GATEWAY_PENDING,
	    "银行认为重复付款：以银行对账单为准，请勿重新登记",
	    "The bank saw a duplicate: the bank statement decides; do not "
	    "record it again" },
};

static const reason_row unknown_reason = { "", BANK_GATEWAY_REJECTED,
	"银行退回，原因代码不在对照表中：请财务与银行核实",
	"Returned by the bank with a reason code not in our table: finance "
	"checks with the bank" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

bank_gateway_verdict
bank_gateway_reasons_judge(const char *status, const char *reason)
{
	bank_gateway_verdict v = { BANK_GATEWAY_PENDING, NULL, NULL };
	const reason_row    *r = &unknown_reason;
	size_t               i;

	if (status == NULL) {
		return v;
	}
	if (strcmp(status, "RJCT") != 0) {
		for (i = 0; i < COUNT(statuses); i++) {
			if (strcmp(status, statuses[i].code) == 0) {
				v.outcome = statuses[i].outcome;
			}
		}
		return v;
	}
	for (i = 0; reason != NULL && i < COUNT(reasons); i++) {
		if (strcmp(reason, reasons[i].code) == 0) {
			r = &reasons[i];
		}
	}
	v.outcome = r->outcome;
	v.zh      = r->zh;
	v.en      = r->en;
	return v;
}
