/*
 * payee.h - issue 10 (approval-A, item 8): approval follows disbursement
 * (publisher "disbursement") for what the register shows of payments.
 *
 *   payment.failed  (sn.pay.v1.PaymentFailed) of a household's monthly
 *                   payment (ref.beneficiary_id set): GET
 *                   /beneficiaries/{id} shows it as last_payment_failure
 *                   {payment_id, period, reason_code, reason, failed_at
 *                   (the event's time)} until a payee.changed for the
 *                   household. A grant's failure (no beneficiary id), or
 *                   one of a household not in the register: nothing.
 *   payee.changed   (sn.pay.v1.PayeeChanged) of a household
 *                   (beneficiary_id set): the register's copy of the
 *                   payee is replaced, a history row (cause "payee",
 *                   actor the confirming user, reason naming who
 *                   requested and who confirmed) is appended, the last
 *                   failure cleared; once per (beneficiary, changed_at).
 *                   A grant's payee: nothing.
 * Both are idempotent (a repeat changes nothing more) and publish
 * nothing. sn_bus_topic handlers: loop thread, inside the bus's apply
 * transaction; the message is the bus's.
 */
#ifndef APPROVAL_PAYEE_H
#define APPROVAL_PAYEE_H

#include <protobuf-c/protobuf-c.h>

#include "sn/bus.h"
#include "sn/db.h"
#include "sn/err.h"

sn_err approval_payee_on_failed(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg);

sn_err approval_payee_on_changed(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg);

#endif /* APPROVAL_PAYEE_H */
