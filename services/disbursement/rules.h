/*
 * rules.h - the pure policy of disbursement (issue 5) and its vocabulary:
 * the funds, the statuses of runs and payments and how they may move on,
 * which payee is due a payment for a period, what a run builds within
 * the budget, who may approve a run (segregation of duties, design
 * section 6), what a budget allocation may be, what a correction may do,
 * who sees which payments, and what a reconciliation finds.
 *
 * No I/O, no clock, no allocation, no logging: structs in, decision out.
 * Callable from any thread. A refusal is an sn_problem (sn/problem.h):
 * a validator returns false with why filled (why must be empty on entry,
 * sn_problem_clear, since only the first problem counts).
 */
#ifndef DISBURSEMENT_RULES_H
#define DISBURSEMENT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/auth.h"
#include "sn/date.h"
#include "sn/problem.h"

/* ---- vocabulary --------------------------------------------------------- */

/* The budgets payments draw on (sn.pay.v1.Fund, same numbers). */
typedef enum disbursement_fund {
	DISBURSEMENT_FUND_NONE      = 0,
	DISBURSEMENT_FUND_DIBAO     = 1,
	DISBURSEMENT_FUND_TEKUN     = 2,
	DISBURSEMENT_FUND_EMERGENCY = 3,
	/* Issue 9: the month's price subsidy (物价补贴), a line of its own
	 * in the month's run with a budget of its own. */
	DISBURSEMENT_FUND_PRICE_SUBSIDY = 4,
} disbursement_fund;
#define DISBURSEMENT_NFUNDS 5

/* A run's status (sn.pay.v1.RunStatus, same numbers). */
typedef enum disbursement_run_status {
	DISBURSEMENT_RUN_NONE              = 0, /* no run */
	DISBURSEMENT_RUN_BUILDING          = 1,
	DISBURSEMENT_RUN_AWAITING_APPROVAL = 2,
	DISBURSEMENT_RUN_APPROVED          = 3,
	DISBURSEMENT_RUN_REJECTED          = 4,
	DISBURSEMENT_RUN_SENDING           = 5,
	DISBURSEMENT_RUN_COMPLETED         = 6,
} disbursement_run_status;

/*
 * A payment's status (schema/001_init.sql says what each means):
 * planned (in a run not yet approved), ready (to be sent), sent (with the
 * bank client, fate unknown), accepted (the bank took it), settled
 * (credited: final), rejected (refused: held for correction).
 */
typedef enum disbursement_payment_status {
	DISBURSEMENT_PAYMENT_NONE = 0, /* no payment, or no change */
	DISBURSEMENT_PAYMENT_PLANNED,
	DISBURSEMENT_PAYMENT_READY,
	DISBURSEMENT_PAYMENT_SENT,
	DISBURSEMENT_PAYMENT_ACCEPTED,
	DISBURSEMENT_PAYMENT_SETTLED,
	DISBURSEMENT_PAYMENT_REJECTED,
} disbursement_payment_status;
#define DISBURSEMENT_NPAYMENT_STATUSES 7

/* A beneficiary's standing, as the register reports it for a month. */
typedef enum disbursement_standing {
	DISBURSEMENT_ACTIVE = 0,
	DISBURSEMENT_GRADUAL_EXIT,
	DISBURSEMENT_EXITED,
	DISBURSEMENT_SUSPENDED, /* kept on the register, paid nothing */
} disbursement_standing;

/* The bank's word on one instruction (sn.bank.v1.InstructionStatus, same
 * numbers). */
typedef enum disbursement_bank_word {
	DISBURSEMENT_BANK_NONE     = 0,
	DISBURSEMENT_BANK_ACCEPTED = 1,
	DISBURSEMENT_BANK_SETTLED  = 2,
	DISBURSEMENT_BANK_REJECTED = 3,
	DISBURSEMENT_BANK_UNKNOWN  = 4, /* the bank never had the id */
	/* Refused for a reason that is not the payee's (issue 14: the
	 * fund's account short of money, AM04): sent again later under the
	 * same end-to-end id. */
	DISBURSEMENT_BANK_RETRY = 5,
} disbursement_bank_word;

/*
 * The names of the enums above as the schema stores them, indexed by
 * value and NULL-ended (for sn_rows' SN_COL_ENUMOF): "" for the NONE
 * values, which the schema never stores.
 */
extern const char *const disbursement_fund_names[];
extern const char *const disbursement_run_status_names[];
extern const char *const disbursement_payment_status_names[];
extern const char *const disbursement_standing_names[];

/* Largest single amount and largest allocation, in fen (10^12 yuan). */
#define DISBURSEMENT_AMOUNT_MAX INT64_C(100000000000000)

/* The highest attempt (end-to-end id suffix) of one payment. */
#define DISBURSEMENT_ATTEMPT_MAX 99

/* "dibao", "tekun", "emergency", "price_subsidy"; NULL for NONE or out
 * of range. */
const char *disbursement_rules_fund_name(disbursement_fund f);
/* The fund named; NONE for anything else (NULL too). */
disbursement_fund disbursement_rules_fund_parse(const char *name);
/* The name of a run or payment status; NULL for NONE or out of range. */
const char *disbursement_rules_run_status_name(disbursement_run_status s);
const char *disbursement_rules_payment_status_name(
    disbursement_payment_status s);
const char *disbursement_rules_standing_name(disbursement_standing s);

/*
 * The fund of a monthly benefit from approval's category
 * (sn.assist.v1.Category: 1 tekun, 2 dibao); NONE for every category
 * that is not paid monthly.
 */
disbursement_fund disbursement_rules_fund_of_category(int category);

/*
 * True for a category paid the price subsidy alone, never a benefit
 * (sn.assist.v1.Category 4, low_income: a payee of the subsidy only).
 */
bool disbursement_rules_subsidy_only(int category);

/* The name of a category a price subsidy line is paid for ("tekun",
 * "dibao", "low_income"); NULL for any other. */
const char *disbursement_rules_category_name(int category);

/* The standing of a beneficiary from the register's status
 * (sn.assist.v1.BeneficiaryStatus): exited, gradual exit, suspended,
 * else active. */
disbursement_standing disbursement_rules_standing_of(int beneficiary_status);

/* A payment period: a valid month of a year 2000..9999. */
bool disbursement_rules_period_ok(sn_month m);

/* "YYYY-MM" with month 01..12 and year 2000..9999; fills year, month. */
bool disbursement_rules_period_parse(const char *text, int *year, int *month);

/* "YYYY", a budget year 2000..9999 (NULL: false). */
bool disbursement_rules_year_parse(const char *text, int32_t *year);

/* The payment status named (a query's ?status=); NONE for any other. */
disbursement_payment_status disbursement_rules_payment_status_parse(
    const char *name);

/* ---- how runs and payments move on -------------------------------------- */

/* What happens to a run. */
typedef enum disbursement_run_step {
	DISBURSEMENT_RUN_BUILT,    /* its last chunk is built: the plan */
	DISBURSEMENT_RUN_APPROVE,  /* finance approves the plan */
	DISBURSEMENT_RUN_REJECT,   /* finance rejects it */
	DISBURSEMENT_RUN_START,    /* the sender takes the approved run */
	DISBURSEMENT_RUN_COMPLETE, /* nothing left to send or answer */
} disbursement_run_step;

/*
 * The status a run in status `from` moves to by step: building → built →
 * awaiting_approval → approve → approved / reject → rejected; approved →
 * start → sending → complete → completed. NONE when the step does not
 * apply to a run in that status.
 */
disbursement_run_status disbursement_rules_run_next(
    disbursement_run_status from, disbursement_run_step step);

/* True for a run whose instructions go out or went out (approved,
 * sending, completed). */
bool disbursement_rules_run_sending(disbursement_run_status s);

/* What happens to a payment. */
typedef enum disbursement_payment_step {
	DISBURSEMENT_PAY_CLAIMED,   /* taken into a batch for the bank */
	DISBURSEMENT_PAY_REFUSED,   /* the bank refused the whole batch */
	DISBURSEMENT_PAY_ANSWERED,  /* the bank's word (given apart) */
	DISBURSEMENT_PAY_CORRECTED, /* a rejected account corrected */
} disbursement_payment_step;

/*
 * The status a payment in status `from` moves to by step; for ANSWERED,
 * said is the bank's word (ignored otherwise). NONE: no change.
 *   planned (of a sending run), ready -- claimed -> sent
 *   sent -- refused -> ready (the same end-to-end id)
 *   sent, accepted -- accepted / settled / rejected -> that status
 *   sent -- unknown -> ready (the same id: the bank never had it)
 *   accepted -- unknown -> no change (the bank's error: never re-sent)
 *   sent, accepted -- retry -> ready (the same id, later: see
 *       disbursement_rules_retry_delay_ms)
 *   rejected -- corrected -> ready (under the next end-to-end id)
 * settled is final; nothing else moves.
 */
disbursement_payment_status disbursement_rules_payment_next(
    disbursement_payment_status from, disbursement_payment_step step,
    disbursement_bank_word said);

/* True for settled and rejected: the bank's last word on an id. */
bool disbursement_rules_payment_final(disbursement_payment_status s);

/* True while a payment of a run is still to send or to answer (planned,
 * ready, sent, accepted): its run is not complete. */
bool disbursement_rules_payment_open(disbursement_payment_status s);

/* True for the statuses a payment holds for a while and few payments
 * hold (ready, accepted, rejected): payment's stage column, which its
 * indexes name instead of status, is the status for these and NULL for
 * the others (migration 017; the two must agree). */
bool disbursement_rules_payment_staged(disbursement_payment_status s);

/* ---- building a run ----------------------------------------------------- */

/* One payee as a run sees it; strings borrowed. */
typedef struct disbursement_payee {
	int64_t               id;
	disbursement_fund     fund;
	disbursement_standing standing;
	int64_t               monthly_fen;
	sn_month              from_month;
	bool                  has_until; /* false: open */
	sn_month              until_month;
	const char           *account_number;
	bool                  already_paid; /* has a payment for the period */
	/* The month's price subsidy due to it (per person × members when its
	 * category is listed and the month's subsidy applies; 0: none), and
	 * whether it has its subsidy line for the period already. */
	int64_t subsidy_fen;
	bool    subsidy_paid;
	/* The month's category (sn.assist.v1.Category) and persons, which
	 * its subsidy line records. */
	int32_t category;
	int32_t members;
	/* What is still to recover from it (recoveries found in earlier
	 * runs less what was netted since): netted against this run's
	 * payment. */
	int64_t owed_fen;
} disbursement_payee;

/*
 * True if p is due a payment for period: a benefit fund, neither exited
 * nor suspended, an amount above 0, an account, from_month <= period <=
 * until_month (when set), and no payment for the period yet.
 */
bool disbursement_rules_due(const disbursement_payee *p, sn_month period);

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
    sn_month period, const int64_t room[DISBURSEMENT_NFUNDS],
    disbursement_take *take, disbursement_chunk *out);

/*
 * True if p is due its price subsidy line for period, whatever its
 * benefit (a low-income payee has none; a benefit short of budget does
 * not decide the subsidy): neither exited nor suspended, an account,
 * from_month <= period <= until_month (when set), a subsidy_fen above 0
 * and no subsidy line for the period yet.
 */
bool disbursement_rules_subsidy_due(
    const disbursement_payee *p, sn_month period);

/*
 * The price subsidy lines of a chunk: a payee due its subsidy for period
 * (disbursement_rules_subsidy_due) gets one when it fits in what is left
 * of room (the price subsidy fund's) after the ones before it; otherwise
 * SHORT. Writes sub[i] and adds to out (pay_*, short_*,
 * drawn_fen[PRICE_SUBSIDY]).
 */
void disbursement_rules_subsidies(const disbursement_payee *payees, size_t n,
    sn_month period, int64_t room, disbursement_take *sub,
    disbursement_chunk *out);

/* ---- corrections (issue 9) ---------------------------------------------- */

/*
 * An earlier month of a payee whose register changed after that month's
 * run was approved: what the register now says for it and what was paid
 * for it (its line, plus what was netted from it, plus back-payments for
 * it, less recoveries for it).
 */
typedef struct disbursement_past {
	int64_t               payee_id;
	disbursement_fund     fund;
	sn_month              month; /* the month corrected */
	disbursement_standing standing;
	int64_t               monthly_fen;
	sn_month              from_month;
	bool                  has_until;
	sn_month              until_month;
	int64_t               paid_fen;
} disbursement_past;

/* What the register says is due for q's month (its amount when the
 * payee was due then, as disbursement_rules_due says; else 0). */
int64_t disbursement_rules_register_fen(const disbursement_past *q);

/* One correction line of a run: keyed by payee, fund, the run's period
 * and the month corrected. */
typedef struct disbursement_fix {
	int64_t           payee_id;
	disbursement_fund fund;
	sn_month          month;      /* the month corrected */
	int64_t           amount_fen; /* > 0 back-payment, < 0 recovery */
	disbursement_take take;       /* back-payment: PAY or SHORT (then found
	                               * again by the next run); recovery: PAY */
} disbursement_fix;

/*
 * The corrections of a chunk, after disbursement_rules_build (take) and
 * before the subsidies: for each past month (past in payee order, npast
 * of them) whose register amount differs from what was paid, a fix
 * (fix[k], *nfix of them, at most npast): a recovery is recorded at
 * once; what a payee owes (owed_fen and its new recoveries) is netted
 * from its payment of this run when it is paid (netted[i], never more
 * than the payment: the rest carries forward); a back-payment is paid
 * from what is left of its fund's room (room less out's drawn plus what
 * was netted), else SHORT. out: drawn, pay and short totals adjusted
 * (a payment netted to nothing is no payment).
 */
void disbursement_rules_corrections(const disbursement_payee *payees, size_t n,
    const disbursement_take *take, const disbursement_past *past, size_t npast,
    const int64_t room[DISBURSEMENT_NFUNDS], disbursement_fix *fix,
    size_t *nfix, int64_t *netted, disbursement_chunk *out);

/* ---- requests ----------------------------------------------------------- */

/*
 * An allocation of amount to fund for year by p: role finance with a
 * district jurisdiction (6 digits); a fund by name; year 2000..9999;
 * 0 < amount <= DISBURSEMENT_AMOUNT_MAX. False with why filled.
 */
bool disbursement_rules_allocation(const sn_principal *p, const char *fund,
    int64_t year, int64_t amount, sn_problem *why);

/* May p make a payment run? Finance of the district (403 otherwise). */
bool disbursement_rules_run_create(const sn_principal *p, sn_problem *why);

/* A run as its approver sees it. */
typedef struct disbursement_run_view {
	disbursement_run_status status;     /* NONE: no such run */
	const char             *created_by; /* the finance user who made it */
	/* True if the approver decided (approved) the case of any household
	 * this run pays. */
	bool approver_decided_a_case;
} disbursement_run_view;

/*
 * May p approve or reject run r (decision "approve" or "reject")? Role
 * finance_approver, district jurisdiction; the decision named; the run
 * exists (404) and awaits approval (409 "not_awaiting_approval"); p is
 * not its creator (403 "same_user") and decided none of the cases it
 * pays (403 "approved_a_case"; only for approving: rejecting pays
 * nobody). On true, *step is APPROVE or REJECT (step may be NULL).
 */
bool disbursement_rules_approval(const sn_principal *p,
    const disbursement_run_view *r, const char *decision,
    disbursement_run_step *step, sn_problem *why);

/*
 * Issue 14: a run starts sending only when every fund it pays has an
 * account at bank-gateway. A fund as the gateway's FundReply describes
 * it (strings borrowed).
 */
typedef struct disbursement_fund_account {
	const char *fund;
	bool        configured;
} disbursement_fund_account;

/*
 * Do the accounts the gateway described (nhave of them, in any order)
 * cover every fund the run pays (asked, n names)? A fund the reply does
 * not name, or names as not configured, is 409 "fund_not_configured"
 * naming it (the first such in asked's order; *missing points at it
 * when missing is not NULL). True when all are configured (or n is 0).
 */
bool disbursement_rules_funds_configured(const char *const *asked, size_t n,
    const disbursement_fund_account *have, size_t nhave, const char **missing,
    sn_problem *why);

/* A payment as a correction sees it. */
typedef struct disbursement_payment_view {
	bool                        found;
	disbursement_payment_status status;
	const char                 *township_code;
	bool                        is_grant; /* an emergency payment */
	int32_t                     attempt;
} disbursement_payment_view;

/* What a correction does: the payment moves from its status to the
 * next one under the next attempt. */
typedef struct disbursement_correction {
	disbursement_payment_status from, to;
	int32_t                     attempt;
} disbursement_correction;

/*
 * May p correct the account of payment v? A payment within p's
 * jurisdiction (404 "not_found" otherwise, as if it did not exist); not
 * an emergency payment (409 "not_correctable": emergency credited its
 * fund back and grants again); rejected (409 "not_rejected"); below
 * DISBURSEMENT_ATTEMPT_MAX (409 "too_many_attempts"). On true, out says
 * what the correction does.
 */
bool disbursement_rules_correction(const sn_principal *p,
    const disbursement_payment_view *v, disbursement_correction *out,
    sn_problem *why);

/* ---- account changes take two people (issue 10) --------------------------
 */

/* Is holder exactly one of the n names of the household's members?
 * False when none is known (n 0) or holder is NULL. */
bool disbursement_rules_holder_member(
    const char *holder, const char *const *names, size_t n);

/*
 * May p propose a new account, held by holder, for payment v whose
 * household's members are names (n)? As disbursement_rules_correction
 * (404 "not_found", 409 "not_correctable", "not_rejected",
 * "too_many_attempts"); then the holder is a member (422
 * "name_not_member", field account_name), checked before anything
 * reaches the bank.
 */
bool disbursement_rules_proposal(const sn_principal *p,
    const disbursement_payment_view *v, const char *holder,
    const char *const *names, size_t n, sn_problem *why);

/* The account change pending on a payment, as its checker sees it. */
typedef struct disbursement_change_view {
	bool        pending;      /* false: none */
	const char *requested_by; /* its maker */
} disbursement_change_view;

/*
 * May p (a township officer within the payment's township, or finance)
 * confirm (confirming) or reject the change c pending on payment v? The
 * payment visible to p (404 "not_found"); a change pending (409
 * "nothing_pending"); p not its maker (403 "same_user"). Confirming
 * also needs what disbursement_rules_correction needs (409
 * "not_correctable", "not_rejected", "too_many_attempts") and fills out
 * (may be NULL when rejecting).
 */
bool disbursement_rules_checker(const sn_principal *p,
    const disbursement_payment_view *v, const disbursement_change_view *c,
    bool confirming, disbursement_correction *out, sn_problem *why);

/* ---- runs only for sensible periods (issue 10) -------------------------- */

/*
 * May a run be made for period when the district's month is current?
 * Not more than one month ahead of current, and not for a closed
 * period: a month before the previous one, or the previous one when a
 * run of it completed (completed). 422 "invalid_period" otherwise.
 */
bool disbursement_rules_run_period(
    sn_month period, sn_month current, bool completed, sn_problem *why);

/* ---- transitional aid (issue 10) ---------------------------------------- */

/* Most instalments of one grant. */
#define DISBURSEMENT_INSTALMENTS_MAX 99

/* emergency.granted's instalment k of n: 0 of 0 (a grant paid at once)
 * or 1 <= k <= n <= DISBURSEMENT_INSTALMENTS_MAX. */
bool disbursement_rules_instalment_ok(int32_t k, int32_t n);

/*
 * Which payments p may list: *prefix is the division prefix of the
 * payments' township ("" for all). A township officer sees his
 * jurisdiction; finance of the district sees every payment (some have no
 * township); township (may be NULL) narrows it, and must be within p's
 * jurisdiction (403 "forbidden"). prefix points into p or township.
 */
bool disbursement_rules_payments_scope(const sn_principal *p,
    const char *township, const char **prefix, sn_problem *why);

/* May p see a payment of township_code? A township officer only within
 * his jurisdiction; finance and its approvers every payment. */
bool disbursement_rules_payment_visible(
    const sn_principal *p, const char *township_code);

/* ---- reconciliation ----------------------------------------------------- */

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

/* ---- the bank ----------------------------------------------------------- */

/* The bank's word from sn.bank.v1.InstructionStatus; NONE otherwise. */
disbursement_bank_word disbursement_rules_bank_word(int status);

/* The bank's word (sn.bank.v1.InstructionStatus) as a name: "accepted",
 * "settled", "rejected", "unknown", "retry"; NULL otherwise. */
const char *disbursement_rules_bank_status(int status);

/*
 * The sender's wait before its next pass (payout.h): poll_ms after a pass
 * that found work, or while batches are with the bank (busy); else twice
 * the last wait, at most idle_ms and never below poll_ms (idle_ms below
 * poll_ms: poll_ms). A disbursement with nothing to do asks the database
 * every idle_ms, not every poll_ms.
 */
uint32_t disbursement_rules_next_wait_ms(
    bool busy, uint32_t last_ms, uint32_t poll_ms, uint32_t idle_ms);

/*
 * How long a payment the bank told to retry (RETRY) waits before it is
 * claimed again, when the bank has said so `retries` times before: base_ms
 * doubled per earlier retry, at most max_ms (and never below base_ms nor
 * above max_ms when they are the wrong way round: max_ms wins).
 */
uint64_t disbursement_rules_retry_delay_ms(
    int32_t retries, uint64_t base_ms, uint64_t max_ms);

/*
 * A batch's count and control sum over n amounts; false if an amount is
 * not positive or the sum overflows.
 */
bool disbursement_rules_control_sum(
    const int64_t *amounts, size_t n, int64_t *sum);

#endif /* DISBURSEMENT_RULES_H */
