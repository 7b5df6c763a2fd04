/*
 * rules.h - the pure policy of disbursement (issue 5): which payee is due
 * a payment for a period, what a run builds within the budget, who may
 * approve a run (segregation of duties, design section 6), what a budget
 * allocation may be, and what a reconciliation finds.
 *
 * No I/O, no clock, no allocation, no logging: structs in, decision out.
 * Callable from any thread. A refusal is described in a
 * disbursement_problem (HTTP status, error code, message, field) whose
 * strings are static.
 */
#ifndef DISBURSEMENT_RULES_H
#define DISBURSEMENT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/auth.h"

/* The budgets payments draw on (sn.pay.v1.Fund, same numbers). */
typedef enum disbursement_fund {
	DISBURSEMENT_FUND_NONE      = 0,
	DISBURSEMENT_FUND_DIBAO     = 1,
	DISBURSEMENT_FUND_TEKUN     = 2,
	DISBURSEMENT_FUND_EMERGENCY = 3,
} disbursement_fund;
#define DISBURSEMENT_NFUNDS 4

/* Largest single amount and largest allocation, in fen (10^12 yuan). */
#define DISBURSEMENT_AMOUNT_MAX INT64_C(100000000000000)

typedef struct disbursement_problem {
	unsigned    status;  /* 403, 404, 409 or 422 */
	const char *code;    /* e.g. "same_user" */
	const char *message; /* one sentence */
	const char *field;   /* NULL: none */
} disbursement_problem;

/* "dibao", "tekun", "emergency"; NULL for NONE or out of range. */
const char *disbursement_rules_fund_name(disbursement_fund f);
/* The fund named; NONE for anything else (NULL too). */
disbursement_fund disbursement_rules_fund_parse(const char *name);

/*
 * The fund of a monthly benefit from approval's category
 * (sn.assist.v1.Category: 1 tekun, 2 dibao); NONE for every category
 * that is not paid monthly.
 */
disbursement_fund disbursement_rules_fund_of_category(int category);

/* "YYYY-MM" with month 01..12 and year 2000..9999; fills year, month. */
bool disbursement_rules_period_parse(const char *text, int *year, int *month);

/* A beneficiary's standing, as the register reports it. */
typedef enum disbursement_standing {
	DISBURSEMENT_ACTIVE = 0,
	DISBURSEMENT_GRADUAL_EXIT,
	DISBURSEMENT_EXITED,
} disbursement_standing;

/* One payee as a run sees it; strings borrowed. */
typedef struct disbursement_payee {
	int64_t               id;
	disbursement_fund     fund;
	disbursement_standing standing;
	int64_t               monthly_fen;
	const char           *from_month;  /* YYYY-MM */
	const char           *until_month; /* YYYY-MM, NULL or "": open */
	const char           *account_number;
	bool                  already_paid; /* has a payment for the period */
} disbursement_payee;

/*
 * True if p is due a payment for period: a benefit fund, not exited, an
 * amount above 0, an account, from_month <= period <= until_month (when
 * set), and no payment for the period yet.
 */
bool disbursement_rules_due(const disbursement_payee *p, const char *period);

/* What a run does with one payee of a chunk. */
typedef enum disbursement_take {
	DISBURSEMENT_SKIP = 0, /* not due */
	DISBURSEMENT_PAY,      /* a payment is created */
	DISBURSEMENT_SHORT,    /* due, but its fund's budget is spent */
} disbursement_take;

/* The totals of one chunk decided by disbursement_rules_build. */
typedef struct disbursement_chunk {
	int64_t pay_count, pay_fen;
	int64_t short_count, short_fen;
	int64_t drawn_fen[DISBURSEMENT_NFUNDS]; /* per fund */
} disbursement_chunk;

/*
 * Decides a chunk of a run: payees in id order; room[f] is what is left
 * of fund f's budget for the period's year (allocated - drawn; a fund
 * with no budget has room 0). A due payee is paid when its amount still
 * fits in what is left of its fund's room after the payees before it;
 * otherwise it is SHORT (a later, smaller one may still fit). Writes
 * take[i] for each payee and the totals to out; room is not modified.
 */
void disbursement_rules_build(const disbursement_payee *payees, size_t n,
    const char *period, const int64_t room[DISBURSEMENT_NFUNDS],
    disbursement_take *take, disbursement_chunk *out);

/*
 * An allocation of amount to fund for year by p: role finance with a
 * district jurisdiction (6 digits); a fund by name; year 2000..9999;
 * 0 < amount <= DISBURSEMENT_AMOUNT_MAX. False with why filled.
 */
bool disbursement_rules_allocation(const sn_principal *p, const char *fund,
    int64_t year, int64_t amount, disbursement_problem *why);

/* A run as its approver sees it. */
typedef struct disbursement_run_view {
	const char *status;     /* run status */
	const char *created_by; /* the finance user who created it */
	/* True if the approver decided (approved) the case of any household
	 * this run pays. */
	bool approver_decided_a_case;
} disbursement_run_view;

/*
 * May p approve or reject run r (decision "approve" or "reject")? Role
 * finance_approver, district jurisdiction; the decision named; the run
 * awaiting approval (409 "not_awaiting_approval"); p is not its creator
 * (403 "same_user") and decided none of the cases it pays (403
 * "approved_a_case"; only for approving: rejecting pays nobody).
 */
bool disbursement_rules_approval(const sn_principal *p,
    const disbursement_run_view *r, const char *decision,
    disbursement_problem *why);

/* A run's figures for reconciliation (counts and fen). */
typedef struct disbursement_recon_in {
	int64_t plan_count, plan_fen;         /* the plan (run_plan sums) */
	int64_t payments_count, payments_fen; /* its payments now */
	int64_t unsent_count, unsent_fen;     /* planned or ready */
	int64_t unknown_count, unknown_fen;   /* sent or accepted */
	int64_t settled_count, settled_fen;
	int64_t rejected_count, rejected_fen; /* held for correction */
	int64_t replaced_count;               /* rejected ids corrected */
	int64_t run_total_fen;                /* what the run row says */
	/* Budget of the run's year, per fund: allocated and drawn. */
	int64_t allocated_fen[DISBURSEMENT_NFUNDS];
	int64_t drawn_fen[DISBURSEMENT_NFUNDS];
	bool    sending; /* approved: instructions are going out */
} disbursement_recon_in;

#define DISBURSEMENT_MAX_FINDINGS 8

/* A finding: a code and a sentence, both static. */
typedef struct disbursement_finding {
	const char *code;
	const char *message;
} disbursement_finding;

/*
 * Compares a run's payments with its plan and the budget: the payments
 * must match the plan in count and fen, every one must be unsent,
 * unknown, settled or rejected, the run row's total must match the plan,
 * and no fund may have drawn beyond its allocation (emergency aside).
 * Instructions still unknown once the run is sending are a finding too
 * (the run is not reconciled until the bank has answered every one).
 * Returns the number of findings written to out (at most
 * DISBURSEMENT_MAX_FINDINGS); 0 means the run balances.
 */
size_t disbursement_rules_reconcile(const disbursement_recon_in *in,
    disbursement_finding out[DISBURSEMENT_MAX_FINDINGS]);

/* The bank's word (sn.bank.v1.InstructionStatus) as our status name:
 * "accepted", "settled", "rejected", "unknown"; NULL otherwise. */
const char *disbursement_rules_bank_status(int status);

/*
 * A batch's count and control sum over n amounts; false if an amount is
 * not positive or the sum overflows.
 */
bool disbursement_rules_control_sum(const int64_t *amounts, size_t n,
    int64_t *sum);

#endif /* DISBURSEMENT_RULES_H */
