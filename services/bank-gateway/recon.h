/*
 * recon.h - reconciling our settled payments with the bank's camt.054
 * entries (issue 14): every settled payment is matched to the entries
 * booked under its EndToEndId; what does not match is reported, with
 * totals in fen per run, per day and overall.
 *
 * Pure: no I/O, clock or logging; it allocates only its result. Any
 * thread. Tested by tables (tests/recon_test.c).
 *
 * The rules:
 * - Only entries the bank booked (Sts/Cd BOOK) in CNY count; PDNG and
 *   INFO entries are skipped (counted in skipped). A booked entry in
 *   another currency, or with no EndToEndId, no payment can claim: it is
 *   an unmatched entry on its own (one in another currency adds 0 fen to
 *   the sums: its amount is not in fen; entry->amount still shows it).
 * - What the bank took for one EndToEndId is its net: the debits (DBIT)
 *   minus the credits (CRDT) booked under it. A reversal (RvslInd) is
 *   booked in the direction that undoes the original (a debit reversed
 *   is a CRDT), so the sign of CdtDbtInd alone decides.
 * - For a payment, with n the booked entries of its id and net their
 *   net: n = 0 missing_entry; net = amount matched (a debit reversed and
 *   booked again, or split in parts that add up, is matched); net = 0
 *   with a credit among them reversed (settled, then undone: the payee
 *   has not been paid); two debits or more and net > amount duplicate
 *   (paid more than once); anything else amount_mismatch.
 * - Booked entries whose id no payment has are one unmatched_entry per
 *   id (an entry with no id or in another currency: one per entry).
 *
 * Order: the items by EndToEndId (bytes, as strcmp), then the entries
 * no payment can claim in document order; the runs by run id (strcmp);
 * the days by date, an item with no date last.
 */
#ifndef BANK_GATEWAY_RECON_H
#define BANK_GATEWAY_RECON_H

#include <stdbool.h>
#include <stddef.h>

#include "camt054.h"
#include "sn/date.h"
#include "sn/err.h"
#include "sn/money.h"

/* One payment we settled (pain.002 ACSC/ACCC). Strings are borrowed. */
typedef struct bank_gateway_recon_payment {
	const char *end_to_end_id; /* ours, unique among the payments */
	sn_fen      amount;        /* > 0 */
	const char *run_id;        /* the disbursement run it belongs to */
	sn_date     day;           /* the day it settled */
} bank_gateway_recon_payment;

typedef enum bank_gateway_recon_kind {
	BANK_GATEWAY_RECON_MATCHED = 0, /* the bank took exactly the amount */
	BANK_GATEWAY_RECON_MISSING_ENTRY,   /* settled, no booked entry */
	BANK_GATEWAY_RECON_UNMATCHED_ENTRY, /* booked, no payment of ours */
	BANK_GATEWAY_RECON_AMOUNT_MISMATCH, /* booked, a different amount */
	BANK_GATEWAY_RECON_DUPLICATE,       /* booked more than once */
	BANK_GATEWAY_RECON_REVERSED,        /* booked, then reversed */
	BANK_GATEWAY_RECON_KINDS            /* how many kinds */
} bank_gateway_recon_kind;

/* "matched", "missing_entry", "unmatched_entry", "amount_mismatch",
 * "duplicate", "reversed". */
const char *bank_gateway_recon_kind_name(bank_gateway_recon_kind k);

/* One EndToEndId reconciled (or one entry no payment can claim). */
typedef struct bank_gateway_recon_item {
	bank_gateway_recon_kind kind;
	const char *end_to_end_id; /* borrowed from the input; "" for an
	                              entry without one */
	const bank_gateway_recon_payment *payment; /* NULL: no payment */
	const bank_gateway_camt054_entry *entry;   /* the first booked entry
	                                              of the id in document
	                                              order; NULL: none */
	size_t  n_entries;  /* booked entries counted for this item */
	size_t  n_debits;   /* of which DBIT */
	size_t  n_credits;  /* of which CRDT (reversals and returns) */
	sn_fen  expected;   /* the payment's amount; 0 without one */
	sn_fen  booked;     /* the entries' net (debits - credits) */
	sn_fen  difference; /* booked - expected */
	bool    has_day;    /* false: an entry with no readable date */
	sn_date day;        /* the payment's settlement day, else the first
	                       entry's booking date */
} bank_gateway_recon_item;

/* Totals of a set of items. Every fen sum is overflow-checked. */
typedef struct bank_gateway_recon_sum {
	size_t count[BANK_GATEWAY_RECON_KINDS];    /* items of each kind */
	sn_fen expected[BANK_GATEWAY_RECON_KINDS]; /* their payments' sum */
	sn_fen booked[BANK_GATEWAY_RECON_KINDS];   /* their entries' net */
	sn_fen expected_total;                     /* all payments */
	sn_fen booked_total;                       /* all entries' net */
	sn_fen difference; /* booked_total - expected_total */
} bank_gateway_recon_sum;

typedef struct bank_gateway_recon_by_run {
	const char            *run_id; /* borrowed from the input */
	bank_gateway_recon_sum sum;    /* the items of its payments */
} bank_gateway_recon_by_run;

typedef struct bank_gateway_recon_by_day {
	bool                   has_day; /* false: the items with no date */
	sn_date                day;
	bank_gateway_recon_sum sum;
} bank_gateway_recon_by_day;

/*
 * The result. It borrows the payments, their strings and the entries
 * given to bank_gateway_recon_run: keep them until it is freed.
 */
typedef struct bank_gateway_recon {
	bank_gateway_recon_item   *items;
	size_t                     n_items;
	bank_gateway_recon_by_run *runs; /* unmatched entries are in no run */
	size_t                     n_runs;
	bank_gateway_recon_by_day *days;
	size_t                     n_days;
	bank_gateway_recon_sum     total;
	size_t skipped; /* entries not booked (PDNG, INFO) */
} bank_gateway_recon;

/*
 * Reconciles payments (n_payments) with entries (n_entries, as
 * camt054.h reads them; several notifications may be concatenated).
 * Either array may be empty (NULL with 0). In O((p + e) log(p + e)).
 * On SN_OK *out is the caller's (bank_gateway_recon_free). SN_EINVAL: a
 * payment without an id or run id, with an id longer than a Max35Text
 * allows, an amount not above 0, an invalid day, or an id given twice;
 * an entry with a negative amount. SN_ERANGE: a sum past int64. why
 * (BANK_GATEWAY_ISO_WHY_MAX bytes, may be NULL) says which. SN_ENOMEM.
 */
sn_err bank_gateway_recon_run(const bank_gateway_recon_payment *payments,
    size_t n_payments, const bank_gateway_camt054_entry *entries,
    size_t n_entries, bank_gateway_recon **out, char *why);

/* True when s holds nothing but matched items. */
bool bank_gateway_recon_balanced(const bank_gateway_recon_sum *s);

/* Frees r; NULL is fine. */
void bank_gateway_recon_free(bank_gateway_recon *r);

#endif /* BANK_GATEWAY_RECON_H */
