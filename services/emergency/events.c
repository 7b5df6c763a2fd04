/*
 * events.c - the emergency service's events in and out; see events.h.
 */
#include "events.h"

#include <stdio.h>
#include <string.h>

#include "sn/assist.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/log.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "sn/uuid.h"

/* ---- out ---------------------------------------------------------------- */

static Sn__Assist__V1__ReserveMovement
movement_proto(emergency_movement_kind k)
{
	switch (k) {
	case EMERGENCY_MOVE_ALLOCATION:
		return SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_ALLOCATION;
	case EMERGENCY_MOVE_GRANT:
		return SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_GRANT;
	case EMERGENCY_MOVE_REVERSAL:
		return SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_REVERSAL;
	case EMERGENCY_MOVE_SETTLEMENT:
		return SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_SETTLEMENT;
	}
	return SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_UNSPECIFIED;
}

static Sn__Assist__V1__EmergencyCause
cause_proto(emergency_cause c)
{
	switch (c) {
	case EMERGENCY_CAUSE_ACCIDENT:
		return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_ACCIDENT;
	case EMERGENCY_CAUSE_MAJOR_ILLNESS:
		return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_MAJOR_ILLNESS;
	case EMERGENCY_CAUSE_DISASTER:
		return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_DISASTER;
	case EMERGENCY_CAUSE_FIRE:
		return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_FIRE;
	case EMERGENCY_CAUSE_OTHER:
		return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_OTHER;
	case EMERGENCY_CAUSE_NONE:
		break;
	}
	return SN__ASSIST__V1__EMERGENCY_CAUSE__EMERGENCY_CAUSE_UNSPECIFIED;
}

static Sn__Assist__V1__ReferralKind
kind_proto(emergency_referral_kind k)
{
	switch (k) {
	case EMERGENCY_REFERRAL_MEDICAL:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_MEDICAL;
	case EMERGENCY_REFERRAL_HOUSING:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_HOUSING;
	case EMERGENCY_REFERRAL_EDUCATION:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_EDUCATION;
	case EMERGENCY_REFERRAL_EMPLOYMENT:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_EMPLOYMENT;
	case EMERGENCY_REFERRAL_DIBAO:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_DIBAO;
	case EMERGENCY_REFERRAL_TEKUN:
		return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_TEKUN;
	case EMERGENCY_REFERRAL_NONE:
		break;
	}
	return SN__ASSIST__V1__REFERRAL_KIND__REFERRAL_KIND_UNSPECIFIED;
}

/* protobuf-c's strings are char * even where it only reads them. */
static char *
str(const char *s)
{
	return (char *) (s != NULL ? s : "");
}

sn_err
emergency_events_reserve(
    sn_bus *bus, sn_tx *tx, const emergency_reserve_change *c)
{
	Sn__Assist__V1__ReserveChanged m
	    = SN__ASSIST__V1__RESERVE_CHANGED__INIT;
	m.township_code   = str(c->township_code);
	m.movement        = movement_proto(c->movement);
	m.amount_fen      = c->amount_fen;
	m.balance_fen     = c->balance_fen;
	m.ledger_entry_id = str(c->ledger_entry_id);
	m.grant_id        = str(c->grant_id);
	m.actor           = str(c->actor);
	return sn_bus_append_msg(
	    bus, tx, "reserve.changed", c->township_code, c->actor, &m.base);
}

sn_err
emergency_events_granted(sn_bus *bus, sn_tx *tx, const emergency_grant *g,
    int32_t k, const char *actor)
{
	Sn__Assist__V1__EmergencyGranted m
	    = SN__ASSIST__V1__EMERGENCY_GRANTED__INIT;
	Sn__Assist__V1__PayeeAccount pa = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	m.grant_id                      = str(g->id);
	m.township_code                 = str(g->township_code);
	m.village_code                  = str(g->village_code);
	m.id_number                     = str(g->id_number);
	m.name                          = str(g->name);
	m.cause                         = cause_proto(g->cause);
	m.description                   = str(g->description);
	m.household_size                = g->household_size;
	m.amount_fen                    = g->amount_fen;
	m.total_fen                     = g->amount_fen;
	if (k > 0) {
		m.amount_fen  = g->has_monthly ? g->monthly_fen : 0;
		m.instalment  = k;
		m.instalments = g->instalments;
	}
	pa.bank_code      = str(g->bank_code);
	pa.account_number = str(g->account_number);
	pa.account_name   = str(g->account_name);
	m.payee           = &pa;
	m.granted_by      = str(g->granted_by);
	m.approved_by     = str(g->has_approved_by ? g->approved_by : NULL);
	m.granted_at      = str(g->has_granted_at ? g->granted_at : NULL);
	return sn_bus_append_msg(
	    bus, tx, "emergency.granted", g->id, actor, &m.base);
}

sn_err
emergency_events_referral(sn_bus *bus, sn_tx *tx, const emergency_grant *g,
    const emergency_referral_event *r)
{
	char district[7];
	snprintf(district, sizeof(district), "%.6s", g->township_code);
	Sn__Assist__V1__PayeeAccount pa = SN__ASSIST__V1__PAYEE_ACCOUNT__INIT;
	pa.bank_code                    = str(g->bank_code);
	pa.account_number               = str(g->account_number);
	pa.account_name                 = str(g->account_name);
	Sn__Assist__V1__ReferralCreated m
	    = SN__ASSIST__V1__REFERRAL_CREATED__INIT;
	m.referral_id    = str(r->referral_id);
	m.grant_id       = str(g->id);
	m.kind           = kind_proto(r->kind);
	m.department     = str(r->department);
	m.id_number      = str(g->id_number);
	m.name           = str(g->name);
	m.district_code  = district;
	m.township_code  = str(g->township_code);
	m.village_code   = str(g->village_code);
	m.household_size = g->household_size;
	m.payee          = &pa;
	m.note           = str(r->note);
	m.created_by     = str(r->created_by);
	return sn_bus_append_msg(
	    bus, tx, "referral.created", g->id, r->created_by, &m.base);
}

/* ---- in: disbursement's payment outcomes ----------------------------------
 */

static sn_err
bad_event(const sn_event *ev, const char *why)
{
	sn_log(SN_LOG_WARN, "malformed event skipped", "type", ev->type,
	    "subject", ev->subject, "reason", why, NULL);
	return SN_EPROTO;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Ends the apply transaction over err (the bus retries the batch). */
static void
fail_batch(sn_tx *tx, sn_err err)
{
	if (!sn_tx_failed(tx))
		sn_tx_rollback(tx, err);
}

static void
reversed(sn_tx *tx, void *arg, sn_err err, const emergency_reversal *r)
{
	emergency *em = arg;
	if (err != SN_OK) {
		fail_batch(tx, err);
		return;
	}
	if (r == NULL) {
		/* The grant moved on since it was read: nothing reversed. */
		sn_counter_add(em->payments[EMERGENCY_PAYMENTS_IGNORED], 1);
		return;
	}
	sn_counter_add(em->payments[EMERGENCY_PAYMENTS_REVERSED], 1);
	emergency_reserve_change c = { .township_code = r->township_code,
		.movement        = EMERGENCY_MOVE_REVERSAL,
		.amount_fen      = r->amount_fen,
		.balance_fen     = r->balance_after_fen,
		.ledger_entry_id = r->ledger_entry_id,
		.grant_id        = r->grant_id,
		.actor           = r->actor };
	err = emergency_events_reserve(sn_service_bus(em->svc), tx, &c);
	if (err != SN_OK)
		fail_batch(tx, err);
	sn_log(SN_LOG_INFO, "failed payment reversed; grant needs follow-up",
	    "grant_id", r->grant_id, "township", r->township_code, NULL);
}

/* Does what emergency_rules_payment says for the event in em->pay. */
static sn_err
payment_act(emergency *em, sn_tx *tx, emergency_payment_action a,
    const emergency_grant *g, const char *grant_id)
{
	const Sn__Pay__V1__PaymentSettled *s = em->pay.msg;
	const Sn__Pay__V1__PaymentFailed  *f = em->pay.msg;
	const char                        *status
	    = g != NULL ? emergency_rules_status_name(g->status) : "unknown";
	switch (a) {
	case EMERGENCY_PAY_MARK_PAID:
		sn_counter_add(em->payments[EMERGENCY_PAYMENTS_PAID], 1);
		return emergency_store_paid(
		    tx, g->id, s->payment_id, nonempty(s->settled_at));
	case EMERGENCY_PAY_REVERSE:
		return emergency_store_reverse(tx, g->id, f->payment_id,
		    f->reason_code, f->reason, em->pay.actor,
		    &em->pay.reverse_call, reversed, em);
	case EMERGENCY_PAY_IGNORE:
		break;
	case EMERGENCY_PAY_IGNORE_NOTE:
	case EMERGENCY_PAY_IGNORE_ALERT:
		sn_log(a == EMERGENCY_PAY_IGNORE_ALERT ? SN_LOG_WARN
		                                       : SN_LOG_INFO,
		    "payment.settled for a grant not waiting for payment",
		    "grant_id", grant_id, "status", status, NULL);
		break;
	}
	sn_counter_add(em->payments[EMERGENCY_PAYMENTS_IGNORED], 1);
	return SN_OK;
}

static void
payment_locked(sn_tx *tx, void *arg, sn_err err, const emergency_grant *g)
{
	emergency *em = arg;
	if (err != SN_OK) {
		fail_batch(tx, err);
		return;
	}
	emergency_payment_action a = emergency_rules_payment(em->pay.kind,
	    g != NULL, g != NULL ? g->status : EMERGENCY_GRANT_AWAITING);
	err = payment_act(em, tx, a, g, em->pay.grant_id);
	if (err != SN_OK)
		fail_batch(tx, err);
}

/*
 * The grant a payment event concerns: *id NULL for a payment that is not
 * a grant's (a benefit payment: not ours), SN_EPROTO for a malformed one.
 */
static sn_err
payment_grant(
    const sn_event *ev, const Sn__Pay__V1__PaymentRef *ref, const char **id)
{
	*id = NULL;
	if (ref == NULL || ref->grant_id[0] == '\0')
		return SN_OK;
	if (!sn_uuid_valid(ref->grant_id))
		return bad_event(ev, "ref.grant_id is not a grant id");
	*id = ref->grant_id;
	return SN_OK;
}

/* Locks the grant; payment_locked decides. */
static sn_err
payment_begin(emergency *em, sn_tx *tx, const sn_event *ev,
    emergency_payment_event kind, const void *msg, const char *grant_id)
{
	em->pay.kind     = kind;
	em->pay.msg      = msg;
	em->pay.grant_id = grant_id;
	snprintf(em->pay.actor, sizeof(em->pay.actor), "%s",
	    nonempty(ev->actor) != NULL ? ev->actor : "system");
	return emergency_store_lock_grant(
	    tx, grant_id, &em->pay.lock_call, payment_locked, em);
}

/* A payment of instalment k of transitional aid: the instalment moves
 * (no grant lock needed: each statement moves only a published one). */
static sn_err
instalment_outcome(emergency *em, sn_tx *tx, const sn_event *ev,
    emergency_payment_event kind, const void *msg, const char *id, int32_t k)
{
	const Sn__Pay__V1__PaymentSettled *s = msg;
	const Sn__Pay__V1__PaymentFailed  *f = msg;
	if (kind == EMERGENCY_PAYMENT_SETTLED) {
		sn_counter_add(em->payments[EMERGENCY_PAYMENTS_PAID], 1);
		return emergency_store_instalment_paid(
		    tx, id, k, s->payment_id, nonempty(s->settled_at));
	}
	snprintf(em->pay.actor, sizeof(em->pay.actor), "%s",
	    nonempty(ev->actor) != NULL ? ev->actor : "system");
	return emergency_store_instalment_reverse(tx, id, k, f->payment_id,
	    f->reason_code, f->reason, em->pay.actor, &em->pay.reverse_call,
	    reversed, em);
}

static sn_err
on_settled(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Pay__V1__PaymentSettled *m
	    = (const Sn__Pay__V1__PaymentSettled *) msg;
	const char *id;
	sn_err      err = payment_grant(ev, m->ref, &id);
	if (err != SN_OK || id == NULL)
		return err;
	if (m->ref->instalment > 0)
		return instalment_outcome(arg, tx, ev,
		    EMERGENCY_PAYMENT_SETTLED, m, id, m->ref->instalment);
	return payment_begin(arg, tx, ev, EMERGENCY_PAYMENT_SETTLED, m, id);
}

static sn_err
on_failed(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Pay__V1__PaymentFailed *m
	    = (const Sn__Pay__V1__PaymentFailed *) msg;
	const char *id;
	sn_err      err = payment_grant(ev, m->ref, &id);
	if (err != SN_OK || id == NULL)
		return err;
	if (m->ref->instalment > 0)
		return instalment_outcome(arg, tx, ev,
		    EMERGENCY_PAYMENT_FAILED, m, id, m->ref->instalment);
	return payment_begin(arg, tx, ev, EMERGENCY_PAYMENT_FAILED, m, id);
}

/* ---- in: intake's and approval's events, for the chain --------------------
 */

static sn_err
on_submitted(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ApplicationSubmitted *m
	    = (const Sn__Assist__V1__ApplicationSubmitted *) msg;
	(void) arg;
	if (m->referral_id[0] == '\0')
		return SN_OK; /* not from a referral */
	if (m->application_id[0] == '\0')
		return bad_event(ev, "no application id");
	return emergency_store_application(tx, m->application_id,
	    m->referral_id, nonempty(m->taken_in_by),
	    nonempty(m->accepted_date), nonempty(ev->time));
}

static sn_err
on_withdrawn(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ApplicationWithdrawn *m
	    = (const Sn__Assist__V1__ApplicationWithdrawn *) msg;
	(void) arg;
	if (m->application_id[0] == '\0')
		return bad_event(ev, "no application id");
	return emergency_store_withdrawn(
	    tx, m->application_id, nonempty(m->reason), nonempty(ev->time));
}

static sn_err
on_decided(
    sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	const Sn__Assist__V1__ApplicationDecided *m
	    = (const Sn__Assist__V1__ApplicationDecided *) msg;
	(void) arg;
	if (m->application_id[0] == '\0')
		return bad_event(ev, "no application id");
	emergency_decision d = { .application_id = m->application_id,
		.case_id                         = nonempty(m->case_id),
		.approved                        = m->approved != 0,
		.category = sn_assist_category_name((int) m->category),
		.monthly_amount_fen = m->monthly_amount_fen,
		.effective_month    = nonempty(m->effective_month),
		.decided_by         = nonempty(m->decided_by),
		.reason             = nonempty(m->reason),
		.event_time         = nonempty(ev->time) };
	return emergency_store_decision(tx, &d);
}

static const sn_bus_topic topics[] = {
	{ "disbursement", "payment.settled",
	    &sn__pay__v1__payment_settled__descriptor, on_settled },
	{ "disbursement", "payment.failed",
	    &sn__pay__v1__payment_failed__descriptor, on_failed },
	{ "intake", "application.submitted",
	    &sn__assist__v1__application_submitted__descriptor, on_submitted },
	{ "intake", "application.withdrawn",
	    &sn__assist__v1__application_withdrawn__descriptor, on_withdrawn },
	{ "approval", "application.decided",
	    &sn__assist__v1__application_decided__descriptor, on_decided },
};

sn_err
emergency_events_follow(emergency *em)
{
	return sn_bus_on_table(sn_service_bus(em->svc), topics,
	    sizeof(topics) / sizeof(topics[0]), em);
}
