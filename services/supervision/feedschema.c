#include "feedschema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "feedjson.h"
#include "pbjson.h"

#define DRAFT "https://json-schema.org/draft/2020-12/schema"
#define PSEUDONYM_PATTERN "^(hmac-sha256:[0-9a-f]{64})?$"

static json_t *message_schema(
    const ProtobufCMessageDescriptor *d, json_t *defs);

/* The name of a message's entry in $defs: its full name. */
static const char *
def_name(const ProtobufCMessageDescriptor *d)
{
	return d->name;
}

static json_t *
int_range(json_int_t min, json_int_t max)
{
	return json_pack("{s:s, s:I, s:I}", "type", "integer", "minimum", min,
	    "maximum", max);
}

/* The schema of one value of field f (an element, when repeated). */
static json_t *
value_schema(const ProtobufCFieldDescriptor *f, json_t *defs)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return int_range(INT32_MIN, INT32_MAX);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return int_range(0, UINT32_MAX);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_pack("{s:s}", "type", "integer");
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		/* pbjson.h caps a value above 2^63-1 there. */
		return int_range(0, INT64_MAX);
	case PROTOBUF_C_TYPE_BOOL:
		return json_pack("{s:s}", "type", "boolean");
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		return NULL;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e     = f->descriptor;
		json_t                        *names = json_array();

		for (unsigned i = 0; names != NULL && i < e->n_values; i++)
			if (json_array_append_new(
			        names, json_string(e->values[i].name))
			    != 0) {
				json_decref(names);
				names = NULL;
			}
		return names == NULL
		    ? NULL
		    : json_pack("{s:s, s:o}", "type", "string", "enum", names);
	}
	case PROTOBUF_C_TYPE_STRING:
		switch (supervision_pbjson_kind(f->name)) {
		case SUPERVISION_PBJSON_PERSON:
		case SUPERVISION_PBJSON_ACCOUNT:
			return json_pack("{s:s, s:s}", "type", "string",
			    "pattern", PSEUDONYM_PATTERN);
		default:
			return json_pack("{s:s}", "type", "string");
		}
	case PROTOBUF_C_TYPE_BYTES:
		return json_pack("{s:s, s:s}", "type", "string",
		    "contentEncoding", "base64");
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessageDescriptor *m = f->descriptor;
		char                              ref[256];

		if (json_object_get(defs, def_name(m)) == NULL) {
			json_t *s;

			/* A placeholder first, so that a message that holds
			 * itself ends. */
			if (json_object_set_new(defs, def_name(m), json_true())
			    != 0)
				return NULL;
			if ((s = message_schema(m, defs)) == NULL
			    || json_object_set_new(defs, def_name(m), s) != 0)
				return NULL;
		}
		snprintf(ref, sizeof(ref), "#/$defs/%s", def_name(m));
		return json_pack("{s:s}", "$ref", ref);
	}
	}
	return NULL;
}

/* The schema of field f: repeated as an array; a message, or a member
 * of a oneof, may be null (unset). */
static json_t *
field_schema(const ProtobufCFieldDescriptor *f, json_t *defs)
{
	json_t *v = value_schema(f, defs);

	if (v == NULL)
		return NULL;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return json_pack("{s:s, s:o}", "type", "array", "items", v);
	if (f->type == PROTOBUF_C_TYPE_MESSAGE
	    || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
		return json_pack("{s:[o, {s:s}]}", "anyOf", v, "type", "null");
	return v;
}

static json_t *
message_schema(const ProtobufCMessageDescriptor *d, json_t *defs)
{
	json_t *props = json_object(), *req = json_array();
	char    desc[320];

	if (props == NULL || req == NULL)
		goto fail;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		supervision_pbjson_class k = supervision_pbjson_kind(f->name);
		json_t                  *s;

		if (k == SUPERVISION_PBJSON_NAME
		    || k == SUPERVISION_PBJSON_ADDRESS)
			continue; /* dropped for hubs (feedjson.h) */
		if ((s = field_schema(f, defs)) == NULL
		    || json_object_set_new(props, f->name, s) != 0
		    || json_array_append_new(req, json_string(f->name)) != 0)
			goto fail;
	}
	snprintf(desc, sizeof(desc),
	    "protobuf message %s, as the feed sends it", d->name);
	return json_pack("{s:s, s:s, s:o, s:o, s:b}", "description", desc,
	    "type", "object", "properties", props, "required", req,
	    "additionalProperties", 0);
fail:
	json_decref(props);
	json_decref(req);
	return NULL;
}

json_t *
supervision_feedschema_type(
    const char *topic, int64_t version, const ProtobufCMessageDescriptor *desc)
{
	char    type[160], id[256], title[256];
	json_t *defs = json_object(), *root, *out;

	if (defs == NULL
	    || !supervision_feedjson_type(topic, version, type, sizeof(type)))
		goto fail;
	if ((root = message_schema(desc, defs)) == NULL)
		goto fail;
	snprintf(id, sizeof(id), SUPERVISION_FEED_SCHEMA_BASE "%s.json", type);
	snprintf(title, sizeof(title), "data of %s (topic %s)", type, topic);
	out = json_pack(
	    "{s:s, s:s, s:s}", "$schema", DRAFT, "$id", id, "title", title);
	if (out == NULL || json_object_update(out, root) != 0) {
		json_decref(out);
		json_decref(root);
		goto fail;
	}
	json_decref(root);
	if (json_object_size(defs) > 0
	    && json_object_set_new(out, "$defs", defs) != 0) {
		json_decref(out);
		return NULL;
	}
	if (json_object_size(defs) == 0)
		json_decref(defs);
	return out;
fail:
	json_decref(defs);
	return NULL;
}

json_t *
supervision_feedschema_envelope(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s,"
	                 " s:[s,s,s,s,s,s],"
	                 " s:{"
	                 "  s:{s:s},"
	                 "  s:{s:s, s:s},"
	                 "  s:{s:s, s:s},"
	                 "  s:{s:s, s:s},"
	                 "  s:{s:s, s:i},"
	                 "  s:{s:s, s:s},"
	                 "  s:{s:s, s:s},"
	                 "  s:{s:s},"
	                 "  s:{s:s, s:s},"
	                 "  s:{s:s}"
	                 " },"
	                 " s:b,"
	                 " s:{s:[s,s], s:[s,s], s:[s,s]}}",
	    "$schema", DRAFT, "$id",
	    SUPERVISION_FEED_SCHEMA_BASE "cloudevent.json", "title",
	    "one item of the safetynet hub feed: a CloudEvent 1.0 in the JSON "
	    "format",
	    "description",
	    "data is described by the schema its dataschema names; an event "
	    "of a type this version of supervision does not know has no data",
	    "type", "object", "required", "specversion", "id", "source",
	    "type", "time", "snpos", "properties", "specversion", "const",
	    "1.0", "id", "type", "string", "pattern",
	    "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
	    "source", "type", "string", "pattern",
	    "^/safetynet/[a-z][a-z0-9-]*$", "type", "type", "string",
	    "pattern",
	    "^cn\\.safetynet\\.[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*\\.v[1-9]["
	    "0-9]*$",
	    "subject", "type", "string", "minLength", 1, "time", "type",
	    "string", "pattern",
	    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)"
	    "?"
	    "(Z|[+-][0-9]{2}:[0-9]{2})$",
	    "snpos", "type", "string", "pattern", "^[1-9][0-9]{0,18}$",
	    "datacontenttype", "const", "application/json", "dataschema",
	    "type", "string", "pattern",
	    "^https://safetynet\\.invalid/feed/schemas/"
	    "cn\\.safetynet\\..+\\.json$",
	    "data", "type", "object", "additionalProperties", 0,
	    "dependentRequired", "data", "datacontenttype", "dataschema",
	    "datacontenttype", "data", "dataschema", "dataschema", "data",
	    "datacontenttype");
}

static int
write_one(const char *dir, const char *file, json_t *schema)
{
	char  path[1024];
	FILE *f;
	int   rc = 0;

	if (schema == NULL) {
		fprintf(
		    stderr, "supervision: cannot make the schema %s\n", file);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(
		    stderr, "supervision: %s: %s\n", path, strerror(errno));
		json_decref(schema);
		return 1;
	}
	if (json_dumpf(schema, f, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0
	    || fputc('\n', f) == EOF)
		rc = 1;
	if (fclose(f) != 0)
		rc = 1;
	if (rc != 0)
		fprintf(stderr, "supervision: cannot write %s\n", path);
	json_decref(schema);
	return rc;
}

int
supervision_feedschema_write(const char *dir)
{
	const char *topic;

	if (write_one(
	        dir, "cloudevent.json", supervision_feedschema_envelope())
	    != 0)
		return 1;
	for (size_t i = 0; (topic = supervision_events_topic(i)) != NULL;
	     i++) {
		char type[160], file[192];

		if (!supervision_feedjson_type(topic, 1, type, sizeof(type)))
			return 1;
		snprintf(file, sizeof(file), "%s.json", type);
		if (write_one(dir, file,
		        supervision_feedschema_type(
		            topic, 1, supervision_events_descriptor(topic)))
		    != 0)
			return 1;
	}
	return 0;
}
