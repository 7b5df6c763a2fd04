/*
 * pb.h - the protobuf round trip every wire harness asserts: a message
 * protobuf-c accepts packs, the packed bytes unpack, and packing that
 * again gives the same bytes (the first pack is canonical).
 */
#ifndef SN_FUZZ_PB_H
#define SN_FUZZ_PB_H

#include <protobuf-c/protobuf-c.h>

#include "fuzz.h"

/* m packed into a malloc'd buffer (free it); *len its size. */
static inline uint8_t *
fuzz_pb_pack(const ProtobufCMessage *m, size_t *len)
{
	*len         = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(*len ? *len : 1);
	if (buf == NULL)
		abort();
	FUZZ_CHECK(protobuf_c_message_pack(m, buf) == *len);
	return buf;
}

/* True if m or a message inside it kept fields its descriptor does not
 * know (protobuf-c keeps them and packs them back as read). */
static inline bool
fuzz_pb_has_unknown(const ProtobufCMessage *m)
{
	if (m->n_unknown_fields > 0)
		return true;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *) m + f->offset;
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		/* A oneof's members share one place: only the set one. */
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0
		    && *(const uint32_t *) ((const char *) m
		           + f->quantifier_offset)
		        != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *) ((const char *) m
			    + f->quantifier_offset);
			const ProtobufCMessage *const *sub
			    = *(const ProtobufCMessage *const *const *) base;
			for (size_t k = 0; k < n; k++)
				if (fuzz_pb_has_unknown(sub[k]))
					return true;
			continue;
		}
		const ProtobufCMessage *sub
		    = *(const ProtobufCMessage *const *) base;
		if (sub != NULL && fuzz_pb_has_unknown(sub))
			return true;
	}
	return false;
}

/*
 * data unpacked as desc's message, round-tripped as above; the message
 * (free with protobuf_c_message_free_unpacked) or NULL when it does not
 * decode.
 */
static inline ProtobufCMessage *
fuzz_pb_unpack(
    const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size)
{
	ProtobufCMessage *m
	    = protobuf_c_message_unpack(desc, NULL, size, data);
	if (m == NULL)
		return NULL;
	FUZZ_CHECK(protobuf_c_message_check(m));
	size_t            n1, n2;
	uint8_t          *b1 = fuzz_pb_pack(m, &n1);
	ProtobufCMessage *m2 = protobuf_c_message_unpack(desc, NULL, n1, b1);
	if (m2 == NULL) {
		/* protobuf-c 1.4 reads a field number 0 spelled as an
		 * overlong varint (80 00) into the unknown fields and packs
		 * it back as 00, which it then refuses: its quirk, and
		 * nothing of ours relays unknown fields. */
		FUZZ_CHECK(fuzz_pb_has_unknown(m));
		free(b1);
		return m;
	}
	uint8_t *b2 = fuzz_pb_pack(m2, &n2);
	FUZZ_CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);
	protobuf_c_message_free_unpacked(m2, NULL);
	free(b1);
	free(b2);
	return m;
}

#endif /* SN_FUZZ_PB_H */
