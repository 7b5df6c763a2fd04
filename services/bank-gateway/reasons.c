/*
 * reasons.c - the status and reason code table (reasons.h).
 */
#include "reasons.h"

#include <stdbool.h>
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

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct reason_row {
	const char          *code;
	bank_gateway_outcome outcome; /* of a transaction */
	bool                 held;    /* of a whole file: the bank holds
	                                 it, not refused (DU01) */
	const char *zh;
	const char *en;
} reason_row;

/*
 * ExternalStatusReason1Code: the codes a bank answers a benefit payment
 * with, and what each asks of whom. The same text serves a code given
 * for one transaction and for the whole file (GrpSts RJCT naming no
 * transaction: FF01, AM16, AM18, DU01).
 *
 * DU01, "duplicate message id", is the one code that never refuses a
 * batch. The gateway sends a MsgId again on purpose, with the very bytes
 * it stored (gateway.h): a bank that answers every repeated MsgId with
 * DU01 instead of its report, as many do, is saying that it has the
 * file, most likely from the try whose answer was lost. Taking that as
 * a refusal would make disbursement send the payments again in a new
 * batch, and a bank that does not deduplicate end-to-end ids would pay
 * them twice. So at group level DU01 is "held" (the gateway asks the
 * bank for its report of that MsgId and answers from it; only a report
 * naming none of the batch's payments, another document under the same
 * MsgId, refuses it), and for a transaction it is pending: the bank's
 * report of the original decides.
 */
static const reason_row reasons[] = {
	{ "AC01", BANK_GATEWAY_REJECTED, false,
	    "收款账号有误：请核对收款人的一卡通账号后重新登记",
	    "Wrong account number: check the recipient's one-card account "
	    "number and record it again" },
	{ "AC03", BANK_GATEWAY_REJECTED, false,
	    "收款账号无效：请核对收款人的一卡通账号后重新登记",
	    "Invalid creditor account number: check the recipient's one-card "
	    "account number and record it again" },
	{ "AC04", BANK_GATEWAY_REJECTED, false,
	    "收款账户已销户：请收款人提供新的一卡通账户",
	    "Account closed: ask the recipient for a new one-card account" },
	{ "AC06", BANK_GATEWAY_REJECTED, false,
	    "收款账户已冻结：请收款人到开户银行解除冻结，或提供其他账户",
	    "Account blocked: the recipient has the bank unblock it, or gives "
	    "another account" },
	{ "AG01", BANK_GATEWAY_REJECTED, false,
	    "该账户不能接收此类款项：请收款人提供可以入账的一卡通账户",
	    "The account may not receive this payment: ask the recipient for "
	    "an account that can" },
	{ "AM02", BANK_GATEWAY_REJECTED, false,
	    "金额超过该账户允许的上限：请收款人向开户银行申请调整",
	    "Amount over the account's limit: the recipient asks the bank to "
	    "raise it" },
	/* Not a positive whole number of fen in CNY: the amount is the
	 * payment plan's, which finance approved. */
	{ "AM12", BANK_GATEWAY_REJECTED, false,
	    "金额无效：请财务核对发放计划中该笔金额（必要时由乡镇核对保障标准"
	    "），"
	    "更正后重新发放",
	    "Invalid amount: finance checks this payment's amount in the plan "
	    "(the township the benefit level behind it, if need be) and pays "
	    "it again once corrected" },
	{ "BE01", BANK_GATEWAY_REJECTED, false,
	    "户名与账号不符：请核对收款人姓名与一卡通账户户名",
	    "Name does not match the account: check the recipient's name "
	    "against the account holder's" },
	{ "MD07", BANK_GATEWAY_REJECTED, false,
	    "银行记录收款人已死亡：请核实后办理停发或变更",
	    "The bank records the recipient as deceased: verify, then stop or "
	    "change the benefit" },
	{ "RC01", BANK_GATEWAY_REJECTED, false,
	    "开户银行代码有误：请核对收款人的开户银行",
	    "Wrong bank identifier: check the recipient's bank" },
	{ "AM04", BANK_GATEWAY_RETRY, false,
	    "资金账户余额不足：财务补足后重新发送，乡镇无需处理",
	    "The fund's account was short of money: sent again once finance "
	    "tops it up; nothing for the township to do" },
	{ "TM01", BANK_GATEWAY_RETRY, false,
	    "已过银行当日截止时间：下一工作日重新发送，乡镇无需处理",
	    "After the bank's cut-off time: sent again the next working day; "
	    "nothing for the township to do" },
	{ "FF01", BANK_GATEWAY_RETRY, false,
	    "银行拒收文件（格式错误）：技术人员修正后重新发送，乡镇无需处理",
	    "The bank refused the file (format): sent again once it is fixed; "
	    "nothing for the township to do" },
	/* The file's totals: computed by the gateway from the amounts, so
	 * the fault is technical, never the recipient's. */
	{ "AM16", BANK_GATEWAY_RETRY, false,
	    "银行拒收文件（总金额与明细不符）：技术人员核查后重新发送，"
	    "乡镇无需处理",
	    "The bank refused the file (its control sum does not match its "
	    "amounts): sent again once checked; nothing for the township to "
	    "do" },
	{ "AM18", BANK_GATEWAY_RETRY, false,
	    "银行拒收文件（笔数与明细不符）：技术人员核查后重新发送，"
	    "乡镇无需处理",
	    "The bank refused the file (its number of transactions does not "
	    "match): sent again once checked; nothing for the township to "
	    "do" },
	{ "AM05", BANK_GATEWAY_PENDING, false,
	    "银行认为重复付款：以银行对账单为准，请勿重新登记",
	    "The bank saw a duplicate: the bank statement decides; do not "
	    "record it again" },
	{ "DU01", BANK_GATEWAY_PENDING, true,
	    "银行已有同一报文标识的文件：以银行对该文件的回执为准，"
	    "请勿重新登记",
	    "The bank already holds a file with this message id: its report "
	    "of that file decides; do not record it again" },
};

static const reason_row unknown_reason = { "", BANK_GATEWAY_REJECTED, false,
	"银行退回，原因代码不在对照表中：请财务与银行核实",
	"Returned by the bank with a reason code not in our table: finance "
	"checks with the bank" };

/* The row of reason (NULL: none), or unknown_reason. */
static const reason_row *
find_reason(const char *reason)
{
	for (size_t i = 0; reason != NULL && i < COUNT(reasons); i++) {
		if (strcmp(reason, reasons[i].code) == 0) {
			return &reasons[i];
		}
	}
	return &unknown_reason;
}

bank_gateway_verdict
bank_gateway_reasons_judge(const char *status, const char *reason)
{
	bank_gateway_verdict v = { BANK_GATEWAY_PENDING, NULL, NULL };
	const reason_row    *r;
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
	r         = find_reason(reason);
	v.outcome = r->outcome;
	v.zh      = r->zh;
	v.en      = r->en;
	return v;
}

bank_gateway_file_verdict
bank_gateway_reasons_file(const char *reason)
{
	const reason_row         *r = find_reason(reason);
	bank_gateway_file_verdict v = { !r->held, r->zh, r->en };

	if (r == &unknown_reason) {
		v.zh = "银行拒收文件，原因代码不在对照表中：请财务与银行核实";
		v.en = "The bank refused the file with a reason code not in "
		       "our table: finance checks with the bank";
	}
	return v;
}
