/*
 * events.c - disbursement's events in C; see events.h.
 *
 * A batch is packed in two passes over the rows (sizes, then bytes into
 * one buffer), so that a chunk of 50,000 payments costs two allocations.
 */
#include "events.h"

#include <stdlib.h>

#include "sn/clock.h"
#include "sn/pay/v1/payment.pb-c.h"

/* One payment's message, built in place (ref is pointed to from it). */
typedef struct pay_msg {
	union {
		Sn__Pay__V1__PaymentScheduled scheduled;
		Sn__Pay__V1__PaymentSettled   settled;
		Sn__Pay__V1__PaymentFailed    failed;
	} m;
	Sn__Pay__V1__PaymentRef ref;
} pay_msg;

/* A borrowed string as protobuf-c wants it; "" for NULL. */
static char *
str(const char *s)
{
	return (char *) (s != NULL ? s : "");
}

static void
ref_of(const disbursement_payment *p, Sn__Pay__V1__PaymentRef *ref)
{
	Sn__Pay__V1__PaymentRef init = SN__PAY__V1__PAYMENT_REF__INIT;
	*ref                         = init;
	ref->grant_id                = str(p->grant_id);
	ref->beneficiary_id          = str(p->beneficiary_id);
	ref->period                  = str(p->period);
	ref->payment_run_id          = str(p->run_id);
	ref->instalment              = p->instalment;
}

static const ProtobufCMessage *
scheduled_of(const disbursement_payment *p, pay_msg *out, const char **topic)
{
	Sn__Pay__V1__PaymentScheduled init
	    = SN__PAY__V1__PAYMENT_SCHEDULED__INIT;
	Sn__Pay__V1__PaymentScheduled *m = &out->m.scheduled;
	*m                               = init;
	ref_of(p, &out->ref);
	m->payment_id     = str(p->id);
	m->end_to_end_id  = str(p->e2e_id);
	m->fund           = (Sn__Pay__V1__Fund) p->fund;
	m->amount_fen     = p->amount_fen;
	m->account_number = str(p->account_number);
	m->account_name   = str(p->account_name);
	m->ref            = &out->ref;
	m->township_code  = str(p->township_code);
	*topic            = "payment.scheduled";
	return &m->base;
}

/* payment.settled or payment.failed; NULL for a payment in neither
 * final status. */
static const ProtobufCMessage *
outcome_of(const disbursement_payment *p, pay_msg *out, const char **topic)
{
	ref_of(p, &out->ref);
	if (p->status == DISBURSEMENT_PAYMENT_SETTLED) {
		Sn__Pay__V1__PaymentSettled init
		    = SN__PAY__V1__PAYMENT_SETTLED__INIT;
		Sn__Pay__V1__PaymentSettled *m = &out->m.settled;
		*m                             = init;
		m->payment_id                  = str(p->id);
		m->end_to_end_id               = str(p->e2e_id);
		m->fund                        = (Sn__Pay__V1__Fund) p->fund;
		m->amount_fen                  = p->amount_fen;
		m->ref                         = &out->ref;
		m->settled_at                  = str(p->settled_at);
		*topic                         = "payment.settled";
		return &m->base;
	}
	if (p->status == DISBURSEMENT_PAYMENT_REJECTED) {
		Sn__Pay__V1__PaymentFailed init
		    = SN__PAY__V1__PAYMENT_FAILED__INIT;
		Sn__Pay__V1__PaymentFailed *m = &out->m.failed;
		*m                            = init;
		m->payment_id                 = str(p->id);
		m->end_to_end_id              = str(p->e2e_id);
		m->fund                       = (Sn__Pay__V1__Fund) p->fund;
		m->amount_fen                 = p->amount_fen;
		m->ref                        = &out->ref;
		m->reason_code                = str(p->reason_code);
		m->reason                     = str(p->reason);
		*topic                        = "payment.failed";
		return &m->base;
	}
	return NULL;
}

typedef const ProtobufCMessage *(*encode_fn)(
    const disbursement_payment *p, pay_msg *out, const char **topic);

/* The events of the n payments that encode gives one, in one append. */
static sn_err
append_payments(sn_bus *bus, sn_tx *tx, const disbursement_payment *ps,
    size_t n, const char *actor, encode_fn encode)
{
	if (n == 0)
		return SN_OK;
	sn_event_out *evs = calloc(n, sizeof(*evs));
	if (evs == NULL)
		return SN_ENOMEM;
	size_t  m = 0, total = 0;
	pay_msg pm;
	for (size_t i = 0; i < n; i++) {
		const char             *topic;
		const ProtobufCMessage *msg = encode(&ps[i], &pm, &topic);
		if (msg == NULL)
			continue;
		size_t len = protobuf_c_message_get_packed_size(msg);
		evs[m++]   = (sn_event_out) { .type = topic,
			  .subject                  = ps[i].id,
			  .actor                    = actor,
			  .schema_version           = 1,
			  .len                      = len };
		total += len;
	}
	uint8_t *buf = malloc(total > 0 ? total : 1);
	if (buf == NULL) {
		free(evs);
		return SN_ENOMEM;
	}
	size_t off = 0, k = 0;
	for (size_t i = 0; i < n && k < m; i++) {
		const char             *topic;
		const ProtobufCMessage *msg = encode(&ps[i], &pm, &topic);
		if (msg == NULL)
			continue;
		evs[k].data = buf + off;
		off += protobuf_c_message_pack(msg, buf + off);
		k++;
	}
	sn_err err = sn_bus_append_batch(bus, tx, evs, m);
	free(buf);
	free(evs);
	return err;
}

sn_err
disbursement_events_scheduled(sn_bus *bus, sn_tx *tx,
    const disbursement_payment *ps, size_t n, const char *actor)
{
	return append_payments(bus, tx, ps, n, actor, scheduled_of);
}

sn_err
disbursement_events_outcomes(sn_bus *bus, sn_tx *tx,
    const disbursement_payment *ps, size_t n, const char *actor)
{
	return append_payments(bus, tx, ps, n, actor, outcome_of);
}

sn_err
disbursement_events_run_changed(
    sn_bus *bus, sn_tx *tx, const disbursement_run *run, const char *actor)
{
	char                           period[SN_MONTH_STRLEN];
	Sn__Pay__V1__PaymentRunChanged m
	    = SN__PAY__V1__PAYMENT_RUN_CHANGED__INIT;
	m.payment_run_id = str(run->id);
	m.period         = sn_month_format(run->period, period);
	m.status         = (Sn__Pay__V1__RunStatus) run->status;
	m.payments       = run->payments;
	m.total_fen      = run->total_fen;
	m.actor          = str(actor);
	return sn_bus_append_msg(
	    bus, tx, "payment_run.changed", run->id, actor, &m.base);
}

sn_err
disbursement_events_payee_changed(
    sn_bus *bus, sn_tx *tx, const disbursement_payee_change *c)
{
	char                      at[SN_CLOCK_STAMPLEN];
	Sn__Pay__V1__PayeeChanged m = SN__PAY__V1__PAYEE_CHANGED__INIT;
	m.beneficiary_id            = str(c->beneficiary_id);
	m.application_id            = str(c->application_id);
	m.grant_id                  = str(c->grant_id);
	m.bank_code                 = str(c->bank_code);
	m.account_number            = str(c->account_number);
	m.account_name              = str(c->account_name);
	m.payment_id                = str(c->payment_id);
	m.requested_by              = str(c->requested_by);
	m.confirmed_by              = str(c->confirmed_by);
	m.changed_at                = sn_clock_stamp(at);
	const char *subject         = m.beneficiary_id[0] ? m.beneficiary_id
	            : m.grant_id[0]                       ? m.grant_id
	                                                  : m.application_id;
	return sn_bus_append_msg(
	    bus, tx, "payee.changed", subject, m.confirmed_by, &m.base);
}
