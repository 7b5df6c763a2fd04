/*
 * seed.c - reading the seed data; see seed.h.
 */
#include "seed.h"

#include <stdio.h>

#include "sn/log.h"

sn_err
services_seed_read(const char *dir, const char *name, json_t **out)
{
	char         path[4096], where[64];
	json_error_t e;
	json_t      *doc;
	json_int_t   version;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name)
	    >= (int) sizeof(path)) {
		sn_log(SN_LOG_ERROR, "services: seed path too long", "dir",
		    dir, NULL);
		return SN_EINVAL;
	}
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (doc == NULL) {
		snprintf(where, sizeof(where), "%d:%d", e.line, e.column);
		sn_log(SN_LOG_ERROR, "services: cannot read a seed file",
		    "path", path, "at", where, "why", e.text, NULL);
		return SN_EINVAL;
	}
	version = json_integer_value(json_object_get(doc, "version"));
	if (!json_is_object(doc) || version != 1) {
		sn_log(SN_LOG_ERROR, "services: a seed file is not version 1",
		    "path", path, NULL);
		json_decref(doc);
		return SN_EINVAL;
	}
	*out = doc;
	return SN_OK;
}
