/*
 * reasons.h - what a pain.002 status and ISO external reason code mean
 * for disbursement (issue 14): paid, rejected with a reason a township
 * can act on, retry later, or not decided yet.
 *
 * Pure: no I/O, clock, allocation or logging; any thread. The texts are
 * static; strings in are borrowed for the call. Tested by a table
 * (tests/reasons_test.c).
 */
#ifndef BANK_GATEWAY_REASONS_H
#define BANK_GATEWAY_REASONS_H

#include <stdbool.h>

typedef enum bank_gateway_outcome {
	BANK_GATEWAY_PENDING = 0, /* accepted or in progress: wait for a
	                             final status or the statement */
	BANK_GATEWAY_PAID,        /* settled: the money left the fund's
	                             account for the recipient's */
	BANK_GATEWAY_REJECTED,    /* refused for the recipient's account or
	                             person: someone must act (zh/en say
	                             what) before the payee is paid */
	BANK_GATEWAY_RETRY,       /* refused for a reason on our or the
	                             bank's side: send again later, same
	                             EndToEndId, nothing for the township */
} bank_gateway_outcome;

/* "pending", "paid", "rejected", "retry". */
const char *bank_gateway_outcome_name(bank_gateway_outcome o);

typedef struct bank_gateway_verdict {
	bank_gateway_outcome outcome;
	const char          *zh; /* what to do, in Chinese; NULL when paid
	                            or pending without a reason */
	const char *en;          /* the same in English */
} bank_gateway_verdict;

/*
 * The verdict on a transaction status (ExternalPaymentTransactionStatus1
 * code: ACSC, ACCC paid; ACCP, ACTC, ACSP, ACWC, ACWP, ACFC, PATC, PDNG,
 * RCVD, PART pending; RJCT by reason) and, for RJCT, its reason code
 * (ExternalStatusReason1Code; NULL or "" when the bank gave none):
 * rejected, the township or finance acting, for AC01, AC03, AC04, AC06,
 * AG01, AM02, AM12, BE01, MD07, RC01; retry for AM04, TM01 and the
 * file's faults FF01, AM16, AM18; pending for AM05 and DU01 (the bank
 * has it already: its statement or its report of the original
 * decides). An unknown status is pending (nothing is decided on a code
 * we do not know); an RJCT with a reason not in the table is rejected
 * with a text saying so (finance checks with the bank, the code shown
 * beside it).
 */
bank_gateway_verdict bank_gateway_reasons_judge(
    const char *status, const char *reason);

/* What a report refusing the whole file says of the batch. */
typedef struct bank_gateway_file_verdict {
	bool refused;   /* true: nothing of the file is at the bank; the
	                   batch is refused (a repeat too, unsent). false
	                   (DU01): the bank holds a file under this MsgId,
	                   most likely ours: ask for its report of it */
	const char *zh; /* what it means and who acts, never NULL */
	const char *en;
} bank_gateway_file_verdict;

/*
 * The verdict on a pain.002 whose GrpSts is RJCT and which names no
 * transaction, by its group reason code (NULL or "" when none): FF01,
 * AM16, AM18 and any other code refuse the batch (technical staff or
 * finance act; nothing for the township); DU01 does not (reasons.c says
 * why).
 */
bank_gateway_file_verdict bank_gateway_reasons_file(const char *reason);

#endif /* BANK_GATEWAY_REASONS_H */
