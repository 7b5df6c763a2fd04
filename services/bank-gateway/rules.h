/*
 * rules.h - bank-gateway's pure decisions (issue 14): whether a batch
 * adds up, the identifiers and remittance text of the pain.001 it
 * becomes, and what a stored transaction tells disbursement.
 *
 * Pure: no I/O, clock, allocation or logging; any thread. Strings in are
 * borrowed for the call. Tested by tables (tests/rules_test.c).
 */
#ifndef BANK_GATEWAY_RULES_H
#define BANK_GATEWAY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iso20022.h"
#include "reasons.h"
#include "sn/money.h"

/* Room for a refusal, NUL included. */
#define BANK_GATEWAY_RULES_WHY_MAX 256

/*
 * Whether a batch's declared count and control sum match its n
 * instructions' amounts (amounts[i]); false with why (cap bytes) saying
 * which does not, or that the batch is empty. The amounts themselves
 * (positive) are the XSD's and pain001.h's to judge.
 */
bool bank_gateway_rules_totals(int64_t count, sn_fen control_sum,
    const sn_fen *amounts, size_t n, char *why, size_t cap);

/*
 * The remittance text of a payment of period ("YYYY-MM", "" for none)
 * for purpose: "2027年1月 最低生活保障金", or purpose alone when period
 * is "". SN_EINVAL for a period that is not a real month; SN_ERANGE when
 * it does not fit cap bytes.
 */
sn_err bank_gateway_rules_remittance(
    const char *period, const char *purpose, char *buf, size_t cap);

/*
 * The InstrId of the pos-th transaction (from 1) of message msg_id:
 * "<msg_id>-<pos>" when that fits a Max35Text, else "<pos>" (unique
 * within the message either way, which is all InstrId promises).
 */
void bank_gateway_rules_instr_id(
    const char *msg_id, size_t pos, char out[BANK_GATEWAY_ISO_ID_MAX]);

/* The PmtInfId of the message's one payment information block:
 * "<msg_id>-P1", or "P1" when that would not fit. */
void bank_gateway_rules_pmt_inf_id(
    const char *msg_id, char out[BANK_GATEWAY_ISO_ID_MAX]);

/*
 * What the gateway stores of a transaction: nothing heard yet (NONE),
 * or the outcome of its latest status (reasons.h). PAID, REJECTED and
 * RETRY are final for that message's transaction: a later report never
 * moves it (a retried payment is a new transaction in a new message).
 */
typedef enum bank_gateway_state {
	BANK_GATEWAY_STATE_NONE = 0, /* sent, or to be, no status yet */
	BANK_GATEWAY_STATE_PENDING,
	BANK_GATEWAY_STATE_PAID,
	BANK_GATEWAY_STATE_REJECTED,
	BANK_GATEWAY_STATE_RETRY,
} bank_gateway_state;

/* "none", "pending", "paid", "rejected", "retry": the stored names; the
 * array is NULL-ended, indexed by bank_gateway_state. */
extern const char *const bank_gateway_state_names[];

/* The state a verdict leads to. */
bank_gateway_state bank_gateway_rules_state(bank_gateway_outcome o);

/* Whether a transaction in state from takes a new status leading to to:
 * only NONE and PENDING move, and never back to NONE. */
bool bank_gateway_rules_moves(bank_gateway_state from, bank_gateway_state to);

/* The status disbursement is told (bank.proto InstructionStatus). */
typedef enum bank_gateway_wire {
	BANK_GATEWAY_WIRE_ACCEPTED = 1,
	BANK_GATEWAY_WIRE_SETTLED  = 2,
	BANK_GATEWAY_WIRE_REJECTED = 3,
	BANK_GATEWAY_WIRE_UNKNOWN  = 4,
	BANK_GATEWAY_WIRE_RETRY    = 5,
} bank_gateway_wire;

/* NONE and PENDING are ACCEPTED (ask later), PAID SETTLED, REJECTED
 * REJECTED, RETRY RETRY. */
bank_gateway_wire bank_gateway_rules_wire(bank_gateway_state s);

/* Whose file the bank holds under a MsgId it answered DU01 for. */
typedef enum bank_gateway_held {
	BANK_GATEWAY_HELD_OURS = 0, /* our earlier try: its report answers
	                               the batch */
	BANK_GATEWAY_HELD_OTHERS,   /* another document under the same
	                               MsgId: nothing of ours is at the bank
	                               under it, the batch is refused */
	BANK_GATEWAY_HELD_UNCLEAR,  /* no reply: a person must look */
} bank_gateway_held;

/* The order of ids below: qsort an array of const char * with it. */
int bank_gateway_rules_id_cmp(const void *a, const void *b);

/*
 * Judged by the end-to-end ids the bank's report of that MsgId names
 * (named, m; duplicates allowed) against the batch's own (ours, n,
 * sorted with bank_gateway_rules_id_cmp): ours when every id named is one of
 * ours, another's when none is, unclear when the report names none at all or
 * both kinds (part of ours may be at the bank under it: refusing would send
 * them again).
 */
bank_gateway_held bank_gateway_rules_held(
    const char *const *ours, size_t n, const char *const *named, size_t m);

#endif /* BANK_GATEWAY_RULES_H */
