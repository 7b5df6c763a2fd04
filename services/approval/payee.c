/*
 * payee.c - issue 10 (approval-A): payment.failed and payee.changed on
 * the register. See payee.h.
 */
#include "payee.h"

#include "sn/log.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "store.h"

static bool
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

sn_err
approval_payee_on_failed(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	(void) arg;
	const Sn__Pay__V1__PaymentFailed *f = (const void *) msg;
	if (!nonempty(f->payment_id))
		return SN_EPROTO;
	if (f->ref == NULL || !nonempty(f->ref->beneficiary_id))
		return SN_OK; /* a grant's payment: not the register's */
	approval_payment_failure row = { .payment_id = f->payment_id,
		.beneficiary_id                      = f->ref->beneficiary_id,
		.period      = f->ref->period ? f->ref->period : "",
		.reason_code = f->reason_code ? f->reason_code : "",
		.reason      = f->reason ? f->reason : "",
		.failed_at   = ev->time ? ev->time : "" };
	return approval_store_payment_failed(tx, &row);
}

sn_err
approval_payee_on_changed(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	(void) arg;
	const Sn__Pay__V1__PayeeChanged *p = (const void *) msg;
	if (!nonempty(p->beneficiary_id))
		return SN_OK; /* a grant's payee: not the register's */
	if (!nonempty(p->account_number) || !nonempty(p->confirmed_by))
		return SN_EPROTO;
	approval_payee_change row = { .beneficiary_id = p->beneficiary_id,
		.changed_at                           = nonempty(p->changed_at)
		                              ? p->changed_at
		                              : (ev->time ? ev->time : ""),
		.payment_id     = p->payment_id ? p->payment_id : "",
		.bank_code      = p->bank_code ? p->bank_code : "",
		.account_number = p->account_number,
		.account_name   = p->account_name ? p->account_name : "",
		.requested_by   = p->requested_by ? p->requested_by : "",
		.confirmed_by   = p->confirmed_by };
	sn_log(SN_LOG_INFO, "payee changed", "beneficiary", p->beneficiary_id,
	    "confirmed_by", p->confirmed_by, NULL);
	return approval_store_payee_changed(tx, &row);
}
