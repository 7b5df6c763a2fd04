/*
 * fuzz_bus: what a peer sends the bus (design section 2): a PUB message
 * (topic, NUL, Envelope; a heartbeat's Heartbeat inside), a ReplayRequest
 * to a publisher's REP socket, and a ReplayReply to a follower's REQ
 * socket, with the events they carry decoded as each event message the
 * services follow.
 *
 * The first input byte picks the kind, the rest is the message. Each is
 * decoded as bus.c does (protobuf-c unpack; the topic up to the first
 * NUL) without bus.c's sockets, and every message that decodes must
 * survive the round trip of pb.h; an envelope's data is decoded as every
 * event type of proto/ (an event type names its message, so any of them
 * may be what a forged envelope carries).
 */
#include "pb.h"
#include "sn/agency/v1/agency.pb-c.h"
#include "sn/assist/v1/application.pb-c.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/assist/v1/household.pb-c.h"
#include "sn/bus/v1/bus.pb-c.h"
#include "sn/pay/v1/payment.pb-c.h"

/* The event messages the services follow (sn_bus_on_table). */
static const ProtobufCMessageDescriptor *const events[] = {
	&sn__agency__v1__agency_notice__descriptor,
	&sn__assist__v1__application_decided__descriptor,
	&sn__assist__v1__application_submitted__descriptor,
	&sn__assist__v1__application_withdrawn__descriptor,
	&sn__assist__v1__beneficiary_changed__descriptor,
	&sn__assist__v1__case_stage_changed__descriptor,
	&sn__assist__v1__emergency_granted__descriptor,
	&sn__assist__v1__household_change_reported__descriptor,
	&sn__assist__v1__investigation_completed__descriptor,
	&sn__assist__v1__price_subsidy_decided__descriptor,
	&sn__assist__v1__referral_created__descriptor,
	&sn__assist__v1__review_requested__descriptor,
	&sn__assist__v1__verification_completed__descriptor,
	&sn__pay__v1__payee_changed__descriptor,
	&sn__pay__v1__payment_failed__descriptor,
	&sn__pay__v1__payment_settled__descriptor,
};

static void
event_data(const Sn__Bus__V1__Envelope *env)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		ProtobufCMessage *m
		    = fuzz_pb_unpack(events[i], env->data.data, env->data.len);
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
	}
}

/* topic NUL envelope, as sub_ready reads a PUB message. */
static void
pub_message(const uint8_t *body, size_t len)
{
	const uint8_t *nul = memchr(body, 0, len);
	if (nul == NULL)
		return;
	size_t                 off = (size_t) (nul + 1 - body);
	Sn__Bus__V1__Envelope *env = (Sn__Bus__V1__Envelope *) fuzz_pb_unpack(
	    &sn__bus__v1__envelope__descriptor, body + off, len - off);
	if (env == NULL)
		return;
	FUZZ_CHECK(
	    env->source != NULL && env->type != NULL && env->epoch != NULL);
	if (strcmp((const char *) body, "bus.heartbeat") == 0) {
		ProtobufCMessage *hb
		    = fuzz_pb_unpack(&sn__bus__v1__heartbeat__descriptor,
		        env->data.data, env->data.len);
		if (hb != NULL)
			protobuf_c_message_free_unpacked(hb, NULL);
	} else {
		event_data(env);
	}
	sn__bus__v1__envelope__free_unpacked(env, NULL);
}

static void
replay_reply(const uint8_t *body, size_t len)
{
	Sn__Bus__V1__ReplayReply *r
	    = (Sn__Bus__V1__ReplayReply *) fuzz_pb_unpack(
	        &sn__bus__v1__replay_reply__descriptor, body, len);
	if (r == NULL)
		return;
	FUZZ_CHECK(r->error != NULL && r->epoch != NULL);
	FUZZ_CHECK(r->n_events == 0 || r->events != NULL);
	for (size_t i = 0; i < r->n_events; i++) {
		FUZZ_CHECK(r->events[i] != NULL);
		event_data(r->events[i]);
	}
	sn__bus__v1__replay_reply__free_unpacked(r, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t *body = data + 1;
	size_t         len  = size - 1;
	switch (data[0] % 3) {
	case 0:
		pub_message(body, len);
		break;
	case 1: {
		ProtobufCMessage *rq = fuzz_pb_unpack(
		    &sn__bus__v1__replay_request__descriptor, body, len);
		if (rq != NULL)
			protobuf_c_message_free_unpacked(rq, NULL);
		break;
	}
	default:
		replay_reply(body, len);
		break;
	}
	return 0;
}
