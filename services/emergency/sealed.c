/*
 * sealed.c - the emergency service's sealed columns; see sealed.h.
 */
#include "sealed.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define SEALED_PREFIX "sn1."

const sn_sealdb_column emergency_sealed_columns[] = {
	{ .table    = "grants",
	    .clear  = "id_number",
	    .sealed = "id_number_sealed",
	    .index  = "id_number_index",
	    .ad     = EMERGENCY_SEALED_ID },
	{ .table    = "grants",
	    .clear  = "account_number",
	    .sealed = "account_number_sealed",
	    .ad     = EMERGENCY_SEALED_ACCOUNT },
	{ .table        = "grants",
	    .clear      = "household_id_numbers",
	    .sealed     = "household_sealed",
	    .ad         = EMERGENCY_SEALED_HOUSEHOLD,
	    .clear_text = "array_to_string(household_id_numbers, ',')" },
	{ .table   = "grant_person",
	    .clear = "id_number",
	    .index = "person_index",
	    .ad    = EMERGENCY_SEALED_PEOPLE },
};
const size_t emergency_sealed_ncolumns
    = sizeof(emergency_sealed_columns) / sizeof(emergency_sealed_columns[0]);

sn_err
emergency_sealed_seal(const char *column, const char *plain, char **out)
{
	const sn_seal *s = sn_seal_default();
	*out             = NULL;
	if (s == NULL || plain == NULL)
		return SN_EINVAL;
	return sn_seal_text(s, column, plain, out);
}

sn_err
emergency_sealed_open(const char *column, const char *v, char **out)
{
	const sn_seal *s = sn_seal_default();
	*out             = NULL;
	if (v == NULL)
		return SN_EINVAL;
	if (strncmp(v, SEALED_PREFIX, strlen(SEALED_PREFIX)) != 0) {
		*out = strdup(v);
		return *out != NULL ? SN_OK : SN_ENOMEM;
	}
	if (s == NULL)
		return SN_EINVAL;
	return sn_seal_open_text(s, column, v, out);
}

sn_err
emergency_sealed_person_index(
    const char *plain, char out[SN_SEAL_INDEX_HEX + 1])
{
	const sn_seal *s = sn_seal_default();
	out[0]           = '\0';
	if (s == NULL || plain == NULL)
		return SN_EINVAL;
	sn_seal_index(s, EMERGENCY_SEALED_ID, plain, out);
	return SN_OK;
}

sn_err
emergency_sealed_people(const char *person, const char *const *household,
    size_t n, sn_pgarray *idx, char **household_sealed)
{
	const sn_seal *s = sn_seal_default();
	char           hex[SN_SEAL_INDEX_HEX + 1];
	char          *joined;
	size_t         len = 1, at = 0;
	sn_err         err;
	if (s == NULL || person == NULL)
		return SN_EINVAL;
	sn_seal_index(s, EMERGENCY_SEALED_PEOPLE, person, hex);
	sn_pgarray_add(idx, hex);
	for (size_t i = 0; i < n; i++) {
		sn_seal_index(s, EMERGENCY_SEALED_PEOPLE, household[i], hex);
		sn_pgarray_add(idx, hex);
		len += strlen(household[i]) + 1;
	}
	if (idx->failed)
		return SN_ENOMEM;
	if (household_sealed == NULL)
		return SN_OK;
	if ((joined = malloc(len)) == NULL)
		return SN_ENOMEM;
	joined[0] = '\0';
	for (size_t i = 0; i < n; i++)
		at += (size_t) snprintf(joined + at, len - at, "%s%s",
		    i > 0 ? "," : "", household[i]);
	err = sn_seal_text(
	    s, EMERGENCY_SEALED_HOUSEHOLD, joined, household_sealed);
	free(joined);
	return err;
}

/* Replaces string value j (a sealed or clear value of column) by its
 * opened text. */
static sn_err
open_string(json_t *j, const char *column)
{
	char  *plain = NULL;
	sn_err err;
	if (!json_is_string(j))
		return json_is_null(j) ? SN_OK : SN_EINVAL;
	err = emergency_sealed_open(column, json_string_value(j), &plain);
	if (err == SN_OK && json_string_set(j, plain) != 0)
		err = SN_ENOMEM;
	free(plain);
	return err;
}

/* A grant's household_id_numbers: a sealed string opened and split at
 * its commas into the array; an array (a row not sealed yet) kept. */
static sn_err
open_household(json_t *grant, json_t *hh)
{
	char   *plain = NULL, *p, *comma;
	json_t *arr;
	sn_err  err;
	if (!json_is_string(hh))
		return SN_OK;
	err = emergency_sealed_open(
	    EMERGENCY_SEALED_HOUSEHOLD, json_string_value(hh), &plain);
	if (err != SN_OK)
		return err;
	if ((arr = json_array()) == NULL)
		err = SN_ENOMEM;
	for (p = plain; err == SN_OK && *p != '\0'; p = comma + 1) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (json_array_append_new(arr, json_string(p)) != 0)
			err = SN_ENOMEM;
		if (comma == NULL)
			break;
	}
	if (err == SN_OK
	    && json_object_set_new(grant, "household_id_numbers", arr) != 0)
		err = SN_ENOMEM;
	else if (err != SN_OK)
		json_decref(arr);
	free(plain);
	return err;
}

/* A grant's sealed fields, if j is a grant (it has a person). */
static sn_err
open_grant(json_t *j)
{
	json_t *person = json_object_get(j, "person");
	json_t *payee  = json_object_get(j, "payee");
	json_t *hh     = json_object_get(j, "household_id_numbers");
	json_t *v;
	sn_err  err = SN_OK;
	if (json_is_object(person)
	    && (v = json_object_get(person, "id_number")) != NULL)
		err = open_string(v, EMERGENCY_SEALED_ID);
	if (err == SN_OK && json_is_object(payee)
	    && (v = json_object_get(payee, "account_number")) != NULL)
		err = open_string(v, EMERGENCY_SEALED_ACCOUNT);
	if (err == SN_OK && hh != NULL)
		err = open_household(j, hh);
	return err;
}

static sn_err
open_tree(json_t *j)
{
	const char *key;
	json_t     *v;
	size_t      i;
	sn_err      err = SN_OK;
	if (json_is_object(j)) {
		err = open_grant(j);
		json_object_foreach(j, key, v) if (err == SN_OK
		    && (json_is_object(v) || json_is_array(v))) err
		    = open_tree(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) if (err == SN_OK) err
		    = open_tree(v);
	}
	return err;
}

sn_err
emergency_sealed_tree(const char *json, json_t **out)
{
	json_t *j;
	sn_err  err;
	*out = NULL;
	if (json == NULL)
		return SN_EINVAL;
	if ((j = json_loads(json, JSON_DECODE_ANY, NULL)) == NULL)
		return SN_EINVAL;
	if ((err = open_tree(j)) != SN_OK) {
		json_decref(j);
		return err;
	}
	*out = j;
	return SN_OK;
}

sn_err
emergency_sealed_doc(const char *json, char **out)
{
	json_t *j;
	sn_err  err = emergency_sealed_tree(json, &j);
	*out        = NULL;
	if (err != SN_OK)
		return err;
	*out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	return *out != NULL ? SN_OK : SN_ENOMEM;
}
