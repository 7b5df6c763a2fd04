/*
 * bank-sim/accounts.c - see accounts.h. A sorted array searched by
 * bsearch: fixtures are small and never change once loaded.
 */
#include "accounts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char            *number;
	char            *name;
	bank_sim_account rec;
};

struct bank_sim_accounts {
	struct entry *v;
	size_t        n;
};

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *) a)->number,
	    ((const struct entry *) b)->number);
}

void
bank_sim_accounts_free(bank_sim_accounts *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].number);
		free(a->v[i].name);
	}
	free(a->v);
	free(a);
}

/* Adds the account key -> val to a (room for it is there). SN_EINVAL
 * with why in err, or SN_ENOMEM. */
static sn_err
entry_add(
    bank_sim_accounts *a, const char *key, json_t *val, char *err, size_t cap)
{
	if (key[0] == '\0' || strlen(key) > BANK_SIM_TEXT_MAX) {
		snprintf(err, cap, "an account number is empty or too long");
		return SN_EINVAL;
	}
	if (!json_is_object(val)) {
		snprintf(err, cap, "%s: not an object", key);
		return SN_EINVAL;
	}
	const char *k2;
	json_t     *v2;
	json_object_foreach(val, k2, v2)
	{
		if (strcmp(k2, "name") != 0 && strcmp(k2, "closed") != 0) {
			snprintf(err, cap, "%s: unknown key %s", key, k2);
			return SN_EINVAL;
		}
	}
	json_t *name   = json_object_get(val, "name");
	json_t *closed = json_object_get(val, "closed");
	if (!json_is_string(name)) {
		snprintf(err, cap, "%s: name is not a string", key);
		return SN_EINVAL;
	}
	if (closed != NULL && !json_is_boolean(closed)) {
		snprintf(err, cap, "%s: closed is not a boolean", key);
		return SN_EINVAL;
	}
	struct entry *en = &a->v[a->n];
	en->number       = strdup(key);
	en->name         = strdup(json_string_value(name));
	a->n++;
	if (en->number == NULL || en->name == NULL)
		return SN_ENOMEM;
	en->rec.name   = en->name;
	en->rec.closed = closed != NULL && json_is_true(closed);
	return SN_OK;
}

sn_err
bank_sim_accounts_parse(
    const char *text, bank_sim_accounts **out, char *err, size_t cap)
{
	json_error_t je;
	json_t      *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, cap, "line %d: %s", je.line, je.text);
		return SN_EINVAL;
	}
	sn_err             e = SN_EINVAL;
	bank_sim_accounts *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		e = SN_ENOMEM;
		goto fail_json;
	}
	if (!json_is_object(root)) {
		snprintf(err, cap, "the fixture is not a JSON object");
		goto fail_accounts;
	}
	size_t n = json_object_size(root);
	if (n > 0 && (a->v = calloc(n, sizeof(*a->v))) == NULL) {
		e = SN_ENOMEM;
		goto fail_accounts;
	}
	const char *key;
	json_t     *val;
	json_object_foreach(root, key, val)
	{
		if ((e = entry_add(a, key, val, err, cap)) != SN_OK)
			goto fail_accounts;
	}
	if (a->n > 0)
		qsort(a->v, a->n, sizeof(*a->v), cmp_entry);
	json_decref(root);
	*out = a;
	return SN_OK;

fail_accounts:
	bank_sim_accounts_free(a);
fail_json:
	json_decref(root);
	if (e == SN_ENOMEM)
		snprintf(err, cap, "out of memory");
	return e;
}

sn_err
bank_sim_accounts_load(
    const char *path, bank_sim_accounts **out, char *err, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, cap, "cannot open %s", path);
		return SN_EIO;
	}
	size_t len = 0, size = 4096;
	char  *buf = malloc(size);
	size_t got;
	while (buf != NULL
	    && (got = fread(buf + len, 1, size - len - 1, f)) > 0) {
		len += got;
		if (size - len < 2) {
			char *bigger = realloc(buf, size * 2);
			if (bigger == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			size *= 2;
		}
	}
	bool bad = ferror(f) != 0;
	fclose(f);
	if (buf == NULL) {
		snprintf(err, cap, "out of memory");
		return SN_ENOMEM;
	}
	if (bad) {
		free(buf);
		snprintf(err, cap, "cannot read %s", path);
		return SN_EIO;
	}
	buf[len] = '\0';
	sn_err e = bank_sim_accounts_parse(buf, out, err, cap);
	free(buf);
	return e;
}

const bank_sim_account *
bank_sim_accounts_find(const bank_sim_accounts *a, const char *account_number)
{
	if (a == NULL || a->n == 0)
		return NULL;
	struct entry        key = { .number = (char *) account_number };
	const struct entry *e
	    = bsearch(&key, a->v, a->n, sizeof(*a->v), cmp_entry);
	return e != NULL ? &e->rec : NULL;
}

size_t
bank_sim_accounts_count(const bank_sim_accounts *a)
{
	return a != NULL ? a->n : 0;
}
