/*
 * payout.h - the work disbursement does on its own, driven by one timer
 * on the loop: a pass every SN_DISBURSEMENT_POLL_MS while passes find
 * work, the wait doubling up to SN_DISBURSEMENT_IDLE_MS while they find
 * none; what makes work in this process (a run created or approved, a
 * grant applied, a bank's answer, a run started) runs a pass at once
 * (disbursement_payout_kick). The slow pass is what finds another
 * process's work and a restart's leftovers (at most idle_ms late):
 * chosen over LISTEN/NOTIFY, which sn_db cannot carry without a
 * connection of its own outside the pool and its own socket watch.
 *
 * Building. The oldest run "building" is built in chunks of
 * build_chunk payees, one transaction each: lock the run and the benefit
 * funds' budget rows, read the chunk's payees, decide with
 * disbursement_rules_build which are paid and which fall short of the
 * budget, insert their payments with one INSERT ... SELECT ... ON
 * CONFLICT DO NOTHING (UNIQUE payee, fund, period), draw the budget and
 * move the run's built_upto in that statement, which answers the
 * payments it created; their payment.scheduled are encoded in C and
 * appended with one sn_bus_append_batch, all in that transaction. A crash
 * loses at most the chunk in flight, and the next process resumes from
 * built_upto; a repeat creates nothing. The last chunk writes the plan and
 * moves the run to awaiting_approval. A chunk's memory is what it reads
 * and sends (at 10,000 payees some 19,000 payments, their events as text
 * arrays, and libpq's copy of that statement): its connection is closed
 * after it (sn_tx_recycle: libpq's buffers never shrink) and the heap it
 * freed is handed back (malloc_trim).
 *
 * Sending. Approved runs become "sending". Up to `inflight` batches are
 * with the bank at once: a transaction claims up to `batch` payments of
 * one fund ("ready" first: emergency and corrected payments; then
 * "planned" of sending runs), marks them "sent" under a new batch id and
 * this process's name, and commits before anything goes out; then the
 * batch (its fund, which names the paying account at bank-gateway; count,
 * control sum; each instruction's stored e2e id, period and run) goes to
 * the bank, retried with the same bytes on a timeout or lost answer
 * (bank.h). The answer is applied in one statement (store.h). When every
 * try failed, the batch's payments stay "sent" with no sender.
 *
 * Asking. Payments "accepted", and "sent" ones not in flight in this
 * process (after a crash, or every try failed), are asked about with a
 * StatusQuery, never re-sent under a new id; an UNKNOWN (the bank never
 * had it) sends it again under the same id.
 *
 * Completing. A sending run none of whose payments is left to send or
 * answer is "completed".
 *
 * Every status change of a run appends payment_run.changed (events.h);
 * which status comes next is disbursement_rules_run_next's, and what the
 * bank's word does to a payment disbursement_rules_payment_next's.
 *
 * This module knows disbursement.h, the store, the rules, the events and
 * the bank, never handlers.h.
 */
#ifndef DISBURSEMENT_PAYOUT_H
#define DISBURSEMENT_PAYOUT_H

#include "disbursement.h"

/* Starts the timer (from disbursement_init). */
sn_err disbursement_payout_start(disbursement *d);

/* Runs a pass now (after a commit that made work), unless one runs. */
void disbursement_payout_kick(disbursement *d);

/* Stops the timer; work in flight finishes or is abandoned safely. */
void disbursement_payout_stop(disbursement *d);

#endif /* DISBURSEMENT_PAYOUT_H */
