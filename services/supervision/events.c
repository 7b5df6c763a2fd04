#include "events.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "households.h"
#include "pbjson.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/identity/v1/identity.pb-c.h"
#include "sn/log.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "sn/services/v1/services.pb-c.h"
#include "sn/supervision/v1/supervision.pb-c.h"

const char *const supervision_publishers[]
    = { "intake", "verification", "investigation", "approval", "emergency",
	      "disbursement", "identity", "supervision", "services", NULL };

/* Every topic of every publisher (design section 1 and proto/). A topic
 * belongs to one publisher, except staff.acted, which every one sends. */
static const struct {
	const char                       *topic;
	const ProtobufCMessageDescriptor *desc;
} types[] = {
	{ "application.submitted",
	    &sn__assist__v1__application_submitted__descriptor },
	{ "application.resubmitted",
	    &sn__assist__v1__application_submitted__descriptor },
	{ "application.withdrawn",
	    &sn__assist__v1__application_withdrawn__descriptor },
	{ "household.change_reported",
	    &sn__assist__v1__household_change_reported__descriptor },
	{ "verification.completed",
	    &sn__assist__v1__verification_completed__descriptor },
	{ "investigation.completed",
	    &sn__assist__v1__investigation_completed__descriptor },
	{ "case.stage_changed",
	    &sn__assist__v1__case_stage_changed__descriptor },
	{ "application.decided",
	    &sn__assist__v1__application_decided__descriptor },
	{ "beneficiary.changed",
	    &sn__assist__v1__beneficiary_changed__descriptor },
	{ "review.requested", &sn__assist__v1__review_requested__descriptor },
	{ "case.overdue", &sn__assist__v1__case_overdue__descriptor },
	{ "price_subsidy.decided",
	    &sn__assist__v1__price_subsidy_decided__descriptor },
	{ "emergency.granted",
	    &sn__assist__v1__emergency_granted__descriptor },
	{ "referral.created", &sn__assist__v1__referral_created__descriptor },
	{ "reserve.changed", &sn__assist__v1__reserve_changed__descriptor },
	{ "payment.scheduled", &sn__pay__v1__payment_scheduled__descriptor },
	{ "payment.settled", &sn__pay__v1__payment_settled__descriptor },
	{ "payment.failed", &sn__pay__v1__payment_failed__descriptor },
	{ "payment_run.changed",
	    &sn__pay__v1__payment_run_changed__descriptor },
	{ "payee.changed", &sn__pay__v1__payee_changed__descriptor },
	{ "user.changed", &sn__identity__v1__user_changed__descriptor },
	{ "staff.acted", &sn__supervision__v1__staff_acted__descriptor },
	{ "audit.anchored", &sn__supervision__v1__audit_anchored__descriptor },
	{ "alert.raised", &sn__supervision__v1__alert_raised__descriptor },
	{ "grievance.changed",
	    &sn__supervision__v1__grievance_changed__descriptor },
	{ "referral.routed", &sn__services__v1__referral_routed__descriptor },
	{ "referral.answered",
	    &sn__services__v1__referral_answered__descriptor },
	{ "referral.overdue",
	    &sn__services__v1__referral_overdue__descriptor },
	{ "enrolment.changed",
	    &sn__services__v1__enrolment_changed__descriptor },
	{ "project.changed", &sn__services__v1__project_changed__descriptor },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

const ProtobufCMessageDescriptor *
supervision_events_descriptor(const char *topic)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (strcmp(types[i].topic, topic) == 0)
			return types[i].desc;
	return NULL;
}

const char *
supervision_events_topic(size_t i)
{
	return i < NTYPES ? types[i].topic : NULL;
}

/* The position comes from the one counter row, locked by the applying
 * transaction's first event: the row lock orders the streams'
 * transactions, so positions are dense and in commit order. The event is
 * written with its household, found through its keys (households.h), or
 * waits for one. The row is written once, before the commit (head_store;
 * schema 015). */
static const char SQL_INSERT[]
    = "SELECT event_in($1::uuid, $2, $3::bigint, $4, $5, $6::timestamptz, "
      "$7, $8::int, $9::jsonb, $10::text[], $11::text[], $12, $13::text[])";

static void
head_store(sn_tx *tx, void *arg)
{
	(void) arg;
	sn_err err = sn_tx_query(
	    tx, "SELECT events_head_store()", 0, NULL, NULL, NULL);
	if (err != SN_OK)
		sn_tx_rollback(tx, err);
}

static sn_err
ingest(
    supervision *s, sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg)
{
	sn_pgarray        persons;
	json_t           *data = NULL;
	char             *text = NULL;
	char              seq[24], ver[16];
	sn_err            err;
	supervision_event e = { ev, msg, "{}" };

	sn_pgarray_init(&persons);
	if (msg != NULL) {
		err = supervision_pbjson(msg, s->seal, &persons, &data);
	} else {
		size_t cap = sodium_base64_ENCODED_LEN(
		    ev->len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = malloc(cap);

		err = SN_ENOMEM;
		if (b64 != NULL) {
			sodium_bin2base64(b64, cap, ev->data, ev->len,
			    sodium_base64_VARIANT_ORIGINAL);
			data = json_pack("{s:s}", "undecoded", b64);
			free(b64);
			err = data != NULL ? SN_OK : SN_ENOMEM;
		}
	}
	if (err == SN_OK
	    && (text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS))
	        == NULL)
		err = SN_ENOMEM;
	if (err == SN_OK && persons.n > 0
	    && (e.persons = sn_pgarray_text(&persons)) == NULL)
		err = SN_ENOMEM;
	if (err == SN_OK) {
		sn_pgarray  lookup, add;
		const char *fresh;

		supervision_households_keys(&e, &lookup, &add, &fresh);
		snprintf(seq, sizeof(seq), "%llu",
		    (unsigned long long) ev->sequence);
		snprintf(ver, sizeof(ver), "%u", ev->schema_version);
		const char *v[13] = { ev->id, ev->source, seq, ev->type,
			ev->subject, ev->time, ev->actor, ver, text, e.persons,
			sn_pgarray_text(&lookup), fresh,
			sn_pgarray_text(&add) };
		/* Once per transaction (the same hook is added once). */
		err = v[10] == NULL || v[12] == NULL
		    ? SN_ENOMEM
		    : sn_tx_before_commit(tx, head_store, NULL);
		if (err == SN_OK)
			err = sn_tx_query(tx, SQL_INSERT, 13, v, NULL, NULL);
		sn_pgarray_fini(&lookup);
		sn_pgarray_fini(&add);
	}
	for (size_t i = 0; err == SN_OK && i < supervision_nmodules; i++)
		if (supervision_modules[i].on_event != NULL)
			err = supervision_modules[i].on_event(s, tx, &e);
	free(text);
	json_decref(data);
	sn_pgarray_fini(&persons);
	if (err == SN_EINVAL) {
		sn_log(SN_LOG_ERROR, "supervision: an event does not convert",
		    "source", ev->source, "type", ev->type, NULL);
		return SN_EPROTO;
	}
	return err;
}

static sn_err
on_known(sn_tx *tx, const sn_event *ev, const ProtobufCMessage *msg, void *arg)
{
	return ingest(arg, tx, ev, msg);
}

static sn_err
on_unknown(sn_tx *tx, const sn_event *ev, void *arg)
{
	return ingest(arg, tx, ev, NULL);
}

sn_err
supervision_events_follow(supervision *s)
{
	sn_bus_topic row;
	sn_err       err = SN_OK;

	for (size_t p = 0; err == SN_OK && supervision_publishers[p] != NULL;
	     p++) {
		for (size_t i = 0; err == SN_OK && i < NTYPES; i++) {
			row.publisher = supervision_publishers[p];
			row.topic     = types[i].topic;
			row.desc      = types[i].desc;
			row.fn        = on_known;
			err           = sn_bus_on_table(s->bus, &row, 1, s);
		}
		if (err == SN_OK)
			err = sn_bus_on(s->bus, supervision_publishers[p], "",
			    on_unknown, s);
	}
	return err;
}
