/*
 * funds.c - the fund accounts (funds.h). The checks of a member are
 * sn/input.h's (lengths in code points, no control characters), so the
 * file is judged as a request body would be.
 */
#include "funds.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/input.h"

struct bank_gateway_funds {
	char              *initiator;
	bank_gateway_fund *v;
	size_t             n;
};

static void why_set(char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
why_set(char *why, const char *fmt, ...)
{
	va_list ap;
	if (why == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(why, BANK_GATEWAY_FUNDS_WHY_MAX, fmt, ap);
	va_end(ap);
}

/* The problem p as a reason: "funds[1].account: too long (...)". */
static void
why_problem(char *why, const sn_problem *p)
{
	why_set(why, "%s%s%s", p->field, p->field[0] != '\0' ? ": " : "",
	    p->message[0] != '\0' ? p->message : p->code);
}

static bool
fund_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 32 || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z')
		        || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static bool
currency_ok(const char *s)
{
	if (strlen(s) != 3)
		return false;
	for (int i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

void
bank_gateway_funds_free(bank_gateway_funds *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		bank_gateway_fund *x = &f->v[i];
		free((char *) x->fund);
		free((char *) x->account);
		free((char *) x->account_name);
		free((char *) x->agent);
		free((char *) x->currency);
		free((char *) x->purpose);
		free((char *) x->category_purpose);
	}
	free(f->v);
	free(f->initiator);
	free(f);
}

/* Reads funds[i] into f->v[f->n]. */
static sn_err
fund_read(bank_gateway_funds *f, const json_t *o, size_t i, char *why)
{
	static const char *const keys[] = { "fund", "account", "account_name",
		"agent", "currency", "purpose", "category_purpose", NULL };
	char                     prefix[32];
	sn_problem               p;
	const char    *name = NULL, *account = NULL, *account_name = NULL;
	const char    *agent = NULL, *ccy = NULL, *purpose = NULL, *cat = "";
	const unsigned req = SN_IN_REQUIRED | SN_IN_NONEMPTY;

	snprintf(prefix, sizeof prefix, "funds[%zu].", i);
	sn_problem_clear(&p);
	if (!sn_in_only(o, keys, prefix, &p)
	    || !sn_in_str(o, "fund", prefix, req, 32, &name, &p)
	    || !sn_in_str(o, "account", prefix, req, 34, &account, &p)
	    || !sn_in_str(
	        o, "account_name", prefix, req, 140, &account_name, &p)
	    || !sn_in_str(o, "agent", prefix, req, 35, &agent, &p)
	    || !sn_in_str(o, "currency", prefix, req, 3, &ccy, &p)
	    || !sn_in_str(o, "purpose", prefix, req, 128, &purpose, &p)
	    || !sn_in_str(o, "category_purpose", prefix, 0, 4, &cat, &p)) {
		why_problem(why, &p);
		return SN_EINVAL;
	}
	if (!fund_name_ok(name)) {
		why_set(why,
		    "%sfund: \"%s\" is not 1-32 of a-z, 0-9 and _ starting "
		    "with a letter",
		    prefix, name);
		return SN_EINVAL;
	}
	if (!currency_ok(ccy)) {
		why_set(why, "%scurrency: \"%s\" is not three capital letters",
		    prefix, ccy);
		return SN_EINVAL;
	}
	if (bank_gateway_funds_find(f, name) != NULL) {
		why_set(why, "%sfund: %s is named twice", prefix, name);
		return SN_EINVAL;
	}
	bank_gateway_fund *x = &f->v[f->n];
	x->fund              = strdup(name);
	x->account           = strdup(account);
	x->account_name      = strdup(account_name);
	x->agent             = strdup(agent);
	x->currency          = strdup(ccy);
	x->purpose           = strdup(purpose);
	x->category_purpose  = strdup(cat);
	f->n++;
	if (x->fund == NULL || x->account == NULL || x->account_name == NULL
	    || x->agent == NULL || x->currency == NULL || x->purpose == NULL
	    || x->category_purpose == NULL)
		return SN_ENOMEM;
	return SN_OK;
}

sn_err
bank_gateway_funds_parse(
    const char *json, size_t len, bank_gateway_funds **out, char *why)
{
	static const char *const keys[] = { "initiator", "funds", NULL };
	json_error_t             jerr;
	sn_problem               p;
	const char              *initiator = NULL;
	const json_t            *arr       = NULL;
	sn_err                   err       = SN_EINVAL;
	bank_gateway_funds      *f;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);

	*out = NULL;
	if (root == NULL) {
		why_set(why, "not JSON (%s, line %d column %d)", jerr.text,
		    jerr.line, jerr.column);
		return SN_EINVAL;
	}
	sn_problem_clear(&p);
	if (!json_is_object(root) || !sn_in_only(root, keys, "", &p)
	    || !sn_in_str(root, "initiator", "",
	        SN_IN_REQUIRED | SN_IN_NONEMPTY, 140, &initiator, &p)
	    || !sn_in_array(root, "funds", "", SN_IN_REQUIRED, &arr, &p)) {
		if (!json_is_object(root))
			why_set(why, "not a JSON object");
		else
			why_problem(why, &p);
		json_decref(root);
		return SN_EINVAL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		json_decref(root);
		return SN_ENOMEM;
	}
	size_t n = json_array_size(arr);
	if ((f->initiator = strdup(initiator)) == NULL
	    || (f->v = calloc(n ? n : 1, sizeof(*f->v))) == NULL) {
		err = SN_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(arr, i);
		if (!json_is_object(o)) {
			why_set(why, "funds[%zu]: not an object", i);
			goto fail;
		}
		if ((err = fund_read(f, o, i, why)) != SN_OK)
			goto fail;
	}
	json_decref(root);
	*out = f;
	return SN_OK;
fail:
	json_decref(root);
	bank_gateway_funds_free(f);
	return err;
}

sn_err
bank_gateway_funds_load(const char *path, bank_gateway_funds **out, char *why)
{
	FILE  *fp;
	char  *buf;
	long   n;
	sn_err err;

	*out = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		why_set(why, "%s: cannot be opened", path);
		return SN_EIO;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0
	    || n > (1L << 20) || fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		why_set(why, "%s: cannot be read, or over 1 MiB", path);
		return SN_EIO;
	}
	if ((buf = malloc((size_t) n + 1)) == NULL) {
		fclose(fp);
		return SN_ENOMEM;
	}
	if (fread(buf, 1, (size_t) n, fp) != (size_t) n) {
		free(buf);
		fclose(fp);
		why_set(why, "%s: cannot be read", path);
		return SN_EIO;
	}
	fclose(fp);
	buf[n]                                 = '\0';
	char inner[BANK_GATEWAY_FUNDS_WHY_MAX] = "";
	err = bank_gateway_funds_parse(buf, (size_t) n, out, inner);
	free(buf);
	if (err != SN_OK && why != NULL)
		snprintf(
		    why, BANK_GATEWAY_FUNDS_WHY_MAX, "%s: %s", path, inner);
	return err;
}

const char *
bank_gateway_funds_initiator(const bank_gateway_funds *f)
{
	return f->initiator;
}

size_t
bank_gateway_funds_count(const bank_gateway_funds *f)
{
	return f != NULL ? f->n : 0;
}

const bank_gateway_fund *
bank_gateway_funds_at(const bank_gateway_funds *f, size_t i)
{
	return f != NULL && i < f->n ? &f->v[i] : NULL;
}

const bank_gateway_fund *
bank_gateway_funds_find(const bank_gateway_funds *f, const char *fund)
{
	if (f == NULL || fund == NULL)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].fund != NULL && strcmp(f->v[i].fund, fund) == 0)
			return &f->v[i];
	return NULL;
}

const bank_gateway_fund *
bank_gateway_funds_by_account(const bank_gateway_funds *f, const char *account)
{
	if (f == NULL || account == NULL)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].account, account) == 0)
			return &f->v[i];
	return NULL;
}
