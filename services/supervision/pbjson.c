#include "pbjson.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "supervision.h"

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

supervision_pbjson_class
supervision_pbjson_kind(const char *f)
{
	if (strcmp(f, "id_number") == 0 || ends_with(f, "_id_number")
	    || ends_with(f, "_id_numbers"))
		return SUPERVISION_PBJSON_PERSON;
	if (strcmp(f, "account_number") == 0
	    || ends_with(f, "_account_number"))
		return SUPERVISION_PBJSON_ACCOUNT;
	if (strcmp(f, "name") == 0 || ends_with(f, "_name")
	    || ends_with(f, "_names"))
		return SUPERVISION_PBJSON_NAME;
	if (strcmp(f, "address") == 0)
		return SUPERVISION_PBJSON_ADDRESS;
	return SUPERVISION_PBJSON_PLAIN;
}

typedef struct conv {
	const sn_seal *seal;
	sn_pgarray    *persons;
} conv;

static json_t *message(const conv *c, const ProtobufCMessage *m);

static json_t *
text(const conv *c, supervision_pbjson_class k, const char *s)
{
	const char *column = k == SUPERVISION_PBJSON_PERSON
	    ? SUPERVISION_PERSON_COLUMN
	    : SUPERVISION_ACCOUNT_COLUMN;
	char       *sealed = NULL;
	json_t     *j;

	if (s == NULL)
		s = "";
	if (c->seal == NULL || s[0] == '\0'
	    || (k != SUPERVISION_PBJSON_PERSON
	        && k != SUPERVISION_PBJSON_ACCOUNT))
		return json_string(s);
	if (k == SUPERVISION_PBJSON_PERSON && c->persons != NULL) {
		char idx[SN_SEAL_INDEX_HEX + 1];

		sn_seal_index(c->seal, SUPERVISION_PERSON_COLUMN, s, idx);
		sn_pgarray_add(c->persons, idx);
	}
	if (sn_seal_text(c->seal, column, s, &sealed) != SN_OK)
		return NULL;
	j = json_string(sealed);
	free(sealed);
	return j;
}

static json_t *
base64(const ProtobufCBinaryData *b)
{
	size_t cap = sodium_base64_ENCODED_LEN(
	    b->len, sodium_base64_VARIANT_ORIGINAL);
	char   *buf = malloc(cap);
	json_t *j;

	if (buf == NULL)
		return NULL;
	sodium_bin2base64(
	    buf, cap, b->data, b->len, sodium_base64_VARIANT_ORIGINAL);
	j = json_string(buf);
	free(buf);
	return j;
}

/* One value of field f at p (an element of a repeated field, or the
 * field itself). */
static json_t *
value(const conv *c, const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *) p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *) p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_integer(*(const int64_t *) p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t v = *(const uint64_t *) p;

		return json_integer(
		    v > INT64_MAX ? (json_int_t) INT64_MAX : (json_int_t) v);
	}
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *) p);
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		return NULL; /* no event carries one: money is never a float */
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *v
		    = protobuf_c_enum_descriptor_get_value(
		        f->descriptor, *(const int *) p);

		if (v != NULL)
			return json_string(v->name);
		return json_integer(*(const int *) p);
	}
	case PROTOBUF_C_TYPE_STRING:
		return text(
		    c, supervision_pbjson_kind(f->name), *(char *const *) p);
	case PROTOBUF_C_TYPE_BYTES:
		return base64((const ProtobufCBinaryData *) p);
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *) p;

		return sub != NULL ? message(c, sub) : json_null();
	}
	}
	return NULL;
}

size_t
supervision_pbjson_elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	}
	return 0;
}

static json_t *
message(const conv *c, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	json_t                           *o = json_object();

	if (o == NULL)
		return NULL;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *) m + f->offset;
		json_t     *v;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t      n     = *(const size_t *) ((const char *) m
                            + f->quantifier_offset);
			const char *items = *(char *const *) base;
			size_t      sz = supervision_pbjson_elem_size(f->type);

			v = json_array();
			for (size_t k = 0; v != NULL && k < n; k++) {
				json_t *e = value(c, f, items + k * sz);

				if (e == NULL
				    || json_array_append_new(v, e) != 0) {
					json_decref(v);
					v = NULL;
				}
			}
		} else if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		    && *(const uint32_t *) ((const char *) m
		           + f->quantifier_offset)
		        != f->id) {
			v = json_null(); /* another member of its oneof is set
			                  */
		} else {
			v = value(c, f, base);
		}
		if (v == NULL || json_object_set_new(o, f->name, v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

sn_err
supervision_pbjson(const ProtobufCMessage *m, const sn_seal *seal,
    sn_pgarray *persons, json_t **out)
{
	conv c = { seal, persons };

	*out = NULL;
	if (m == NULL || m->descriptor == NULL
	    || m->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return SN_EINVAL;
	*out = message(&c, m);
	return *out != NULL ? SN_OK : SN_ENOMEM;
}
