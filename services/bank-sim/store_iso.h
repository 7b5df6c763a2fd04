/*
 * bank-sim/store_iso.h - the SQL of bank-sim's ISO 20022 side (issue
 * 14; tables in schema/003_iso20022.sql), on the book (store.h): a
 * pain.001 claims its MsgId in batches, its transactions become rows of
 * instructions, and the document's own blocks and transactions are kept
 * beside them so that its status report can be answered again, now or
 * later.
 *
 * The conventions are store.h's: tx forms queue on an sn_tx with a
 * callback kept in a bank_sim_store_slot, db forms run a statement of
 * their own whose done runs exactly once (or SN_ENOMEM and never), rows
 * and their strings are borrowed for the callback's call, lists travel
 * as arrays. Loop thread only.
 */
#ifndef BANK_SIM_STORE_ISO_H
#define BANK_SIM_STORE_ISO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sn/db.h"
#include "sn/err.h"
#include "store.h"

/* sha256: the stored document's hash (64 hex), NULL when msg_id is not
 * a stored ISO message (a batch of the bank protocol bank-sim spoke
 * before issue 14 holds it). */
typedef void (*bank_sim_iso_message_fn)(
    sn_tx *tx, const char *sha256, void *arg);

/* The ISO message that claimed msg_id before (bank_sim_store_claim_batch
 * said it was taken). */
sn_err bank_sim_store_iso_message(sn_tx *tx, const char *msg_id,
    bank_sim_store_slot *slot, bank_sim_iso_message_fn fn, void *arg);

/*
 * Takes the n debtor accounts' locks for the transaction (advisory, in
 * name order): two messages paying from one account are judged one after
 * the other, each seeing what the other booked. No callback.
 */
sn_err bank_sim_store_iso_lock(
    sn_tx *tx, const char *const *debtors, size_t n);

/* used[i]: what debtors[i] has paid or committed (accepted and settled
 * rows, foreign entries), fen. */
typedef void (*bank_sim_iso_used_fn)(
    sn_tx *tx, const int64_t *used, size_t n, void *arg);

/* What the n debtor accounts have paid, in their order. */
sn_err bank_sim_store_iso_used(sn_tx *tx, const char *const *debtors, size_t n,
    bank_sim_store_slot *slot, bank_sim_iso_used_fn fn, void *arg);

/* A judged pain.001 to store. */
typedef struct bank_sim_iso_record {
	const char *msg_id;  /* GrpHdr/MsgId (claimed) */
	const char *sha256;  /* of the document's bytes, 64 hex */
	const char *created; /* GrpHdr/CreDtTm */
	/* n transactions in document order, their verdicts and InstrIds
	 * ("" when absent); txs[i].block indexes the blocks. */
	const bank_sim_iso_tx      *txs;
	const bank_sim_iso_verdict *verdicts;
	const char *const          *instr_ids;
	size_t                      n;
	/* nblocks PmtInfs: ids, debtor accounts and judgements. */
	const char *const        *pmt_inf_ids;
	const char *const        *debtors;
	const bank_sim_iso_block *blocks;
	size_t                    nblocks;
} bank_sim_iso_record;

/*
 * Stores r: the message, its blocks and transactions, and the booked
 * transactions in the book: a new end-to-end id inserted, one the book
 * holds as rejected taken over by this message and judged anew (never
 * one the book holds otherwise: a concurrent message that booked it
 * first wins, and this one's transaction is then not booked). fn gets
 * how many rows of the book were written. SN_ENOMEM: nothing queued.
 */
sn_err bank_sim_store_iso_write(sn_tx *tx, const bank_sim_iso_record *r,
    const bank_sim_terms *terms, bank_sim_store_slot *slot,
    bank_sim_inserted_fn fn, void *arg);

/* One transaction of a stored message as its status report says it. */
typedef struct bank_sim_report_row {
	int64_t     block;            /* its PmtInf's place, from 1 */
	const char *pmt_inf_id;       /* OrgnlPmtInfId */
	const char *block_status;     /* "RJCT" for a block rejected whole,
	                                 else "" */
	const char     *block_reason; /* "AM04" with it, else "" */
	const char     *instr_id;     /* "" when the document had none */
	const char     *end_to_end_id;
	bank_sim_status status;          /* now (see 003_iso20022.sql) */
	const char     *iso_reason;      /* "" unless rejected */
	const char     *bank_ref;        /* AcctSvcrRef, "" unless settled */
	int64_t         nb_of_txs;       /* the message's */
	int64_t         control_sum_fen; /* the message's, its exact amounts */
} bank_sim_report_row;

/* rows: the message's transactions in document order; none when msg_id
 * is not a stored ISO message. */
typedef void (*bank_sim_report_fn)(
    sn_tx *tx, const bank_sim_report_row *rows, size_t n, void *arg);
typedef void (*bank_sim_report_done_fn)(
    sn_err err, const bank_sim_report_row *rows, size_t n, void *arg);

/* The status report of msg_id, seeing the transaction's writes. */
sn_err bank_sim_store_iso_report_tx(sn_tx *tx, const char *msg_id,
    bank_sim_store_slot *slot, bank_sim_report_fn fn, void *arg);

/* The same, a read of its own. */
sn_err bank_sim_store_iso_report(
    sn_db *db, const char *msg_id, bank_sim_report_done_fn done, void *arg);

/* One entry of a debtor account's statement for a day. */
typedef struct bank_sim_entry_row {
	bool        payment;  /* a payment of ours; false: a foreign entry */
	const char *bank_ref; /* AcctSvcrRef: "BS..." or "BSF..." */
	int64_t     amount_fen;
	const char *msg_id;     /* "" for a foreign entry */
	const char *pmt_inf_id; /* "" when unknown */
	const char *instr_id;   /* "" when unknown */
	const char *end_to_end_id;
} bank_sim_entry_row;

typedef void (*bank_sim_entries_fn)(
    sn_err err, const bank_sim_entry_row *rows, size_t n, void *arg);

/*
 * The debits booked on account on date ("YYYY-MM-DD", a day in China
 * Standard Time): its settled rows in the statements (in_statement)
 * settled that day, and its foreign entries of that day, in the order
 * booked.
 */
sn_err bank_sim_store_iso_entries(sn_db *db, const char *account,
    const char *date, bank_sim_entries_fn done, void *arg);

/* A foreign entry as stored. */
typedef struct bank_sim_foreign_row {
	int64_t     amount_fen;
	const char *date;     /* YYYY-MM-DD */
	const char *bank_ref; /* "BSF..." */
	bool        is_new;   /* stored by this call */
} bank_sim_foreign_row;

typedef void (*bank_sim_foreign_fn)(
    sn_tx *tx, const bank_sim_foreign_row *row, void *arg);

/*
 * Books a foreign debit entry on account, unless one with that
 * end-to-end id is there (then row is that one, is_new false; a
 * concurrent booking of the same id is waited for and found).
 */
sn_err bank_sim_store_foreign_add(sn_tx *tx, const char *account,
    const char *end_to_end_id, int64_t amount_fen, const char *date,
    bank_sim_store_slot *slot, bank_sim_foreign_fn fn, void *arg);

#endif /* BANK_SIM_STORE_ISO_H */
