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

/* The state named by state (a string or NULL) and closed (a boolean or
 * NULL); false if they are not, or disagree. */
static bool
read_state(json_t *state, json_t *closed, bank_sim_account_state *out)
{
	static const char *const names[]
	    = { "open", "closed", "blocked", "deceased" };
	bool found = state == NULL;
	*out       = closed != NULL && json_is_true(closed) ? BANK_SIM_CLOSED
	                                                    : BANK_SIM_OPEN;
	if (closed != NULL && !json_is_boolean(closed))
		return false;
	for (size_t i = 0; state != NULL && i < 4; i++)
		if (json_is_string(state)
		    && strcmp(json_string_value(state), names[i]) == 0) {
			found = closed == NULL
			    || json_is_true(closed) == (i == BANK_SIM_CLOSED);
			*out = (bank_sim_account_state) i;
		}
	return found;
}

/* Refuses a key of val other than the fixture's. */
static bool
keys_known(json_t *val, const char **bad)
{
	static const char *const known[]
	    = { "name", "closed", "state", "balance_fen" };
	const char *k;
	json_t     *v;
	json_object_foreach(val, k, v)
	{
		bool ok = false;
		for (size_t i = 0; i < 4; i++)
			ok = ok || strcmp(k, known[i]) == 0;
		if (!ok) {
			*bad = k;
			return false;
		}
	}
	return true;
}

/* Adds the account key -> val to a (room for it is there). SN_EINVAL
 * with why in err, or SN_ENOMEM. */
static sn_err
entry_add(
    bank_sim_accounts *a, const char *key, json_t *val, char *err, size_t cap)
{
	const char *bad = NULL;
	if (key[0] == '\0' || strlen(key) > BANK_SIM_TEXT_MAX) {
		snprintf(err, cap, "an account number is empty or too long");
		return SN_EINVAL;
	}
	if (!json_is_object(val)) {
		snprintf(err, cap, "%s: not an object", key);
		return SN_EINVAL;
	}
	if (!keys_known(val, &bad)) {
		snprintf(err, cap, "%s: unknown key %s", key, bad);
		return SN_EINVAL;
	}
	json_t *name    = json_object_get(val, "name");
	json_t *balance = json_object_get(val, "balance_fen");
	if (balance != NULL
	    && (!json_is_integer(balance)
	        || json_integer_value(balance) < 0)) {
		snprintf(
		    err, cap, "%s: balance_fen is not an integer >= 0", key);
		return SN_EINVAL;
	}
	if (!json_is_string(name) && (name != NULL || balance == NULL)) {
		snprintf(err, cap, "%s: name is not a string", key);
		return SN_EINVAL;
	}
	bank_sim_account_state state;
	if (!read_state(json_object_get(val, "state"),
	        json_object_get(val, "closed"), &state)) {
		snprintf(err, cap,
		    "%s: state is not open, closed, blocked or deceased, or "
		    "closed is not a boolean agreeing with it",
		    key);
		return SN_EINVAL;
	}
	struct entry *en = &a->v[a->n];
	en->number       = strdup(key);
	en->name = name != NULL ? strdup(json_string_value(name)) : NULL;
	a->n++;
	if (en->number == NULL || (name != NULL && en->name == NULL))
		return SN_ENOMEM;
	en->rec.name        = en->name;
	en->rec.state       = state;
	en->rec.has_balance = balance != NULL;
	en->rec.balance_fen
	    = balance != NULL ? (int64_t) json_integer_value(balance) : 0;
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
