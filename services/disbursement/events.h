/*
 * events.h - the events disbursement publishes (proto/sn/pay/v1,
 * sn.pay.v1, schema version 1), encoded here in C and appended to the
 * outbox through sn_bus_append_msg / sn_bus_append_batch in the
 * caller's transaction. The subject is the payment or run id.
 *
 *   payment.scheduled    a payment planned or made ready (PaymentScheduled)
 *   payment.settled      the bank credited it (PaymentSettled)
 *   payment.failed       the bank rejected it (PaymentFailed)
 *   payment_run.changed  a run moved on (PaymentRunChanged)
 *   payee.changed        a payee's account changed, proposed by one user
 *                        and confirmed by another (PayeeChanged; subject
 *                        the beneficiary id, else the grant id, else
 *                        the application id)
 *
 * A payment run's many events go in one statement per chunk (one
 * sn_bus_append_batch), never one per payment. Rows are borrowed for the
 * call; everything is copied before it returns. Loop thread.
 */
#ifndef DISBURSEMENT_EVENTS_H
#define DISBURSEMENT_EVENTS_H

#include <stddef.h>

#include "sn/bus.h"
#include "store.h"

/* payment_run.changed for run (as it is after the change). */
sn_err disbursement_events_run_changed(
    sn_bus *bus, sn_tx *tx, const disbursement_run *run, const char *actor);

/* payment.scheduled for each of the n payments, in one statement. */
sn_err disbursement_events_scheduled(sn_bus *bus, sn_tx *tx,
    const disbursement_payment *ps, size_t n, const char *actor);

/* payment.settled or payment.failed for each of the n payments that is
 * settled or rejected (the others are passed over), in one statement. */
sn_err disbursement_events_outcomes(sn_bus *bus, sn_tx *tx,
    const disbursement_payment *ps, size_t n, const char *actor);

/* A confirmed account change (strings borrowed, NULL for none). */
typedef struct disbursement_payee_change {
	const char *beneficiary_id, *application_id, *grant_id;
	const char *bank_code, *account_number, *account_name;
	const char *payment_id;
	const char *requested_by, *confirmed_by; /* maker and checker */
} disbursement_payee_change;

/* payee.changed for c, by the checker, stamped now. */
sn_err disbursement_events_payee_changed(
    sn_bus *bus, sn_tx *tx, const disbursement_payee_change *c);

#endif /* DISBURSEMENT_EVENTS_H */
