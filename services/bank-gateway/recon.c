/*
 * recon.c - reconciling settled payments with camt.054 entries
 * (recon.h). Both sides are sorted by EndToEndId (qsort of pointers)
 * and walked once together: O((p + e) log(p + e)), no quadratic search.
 */
#include "recon.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isoxml.h"

const char *
bank_gateway_recon_kind_name(bank_gateway_recon_kind k)
{
	switch (k) {
	case BANK_GATEWAY_RECON_MATCHED:
		return "matched";
	case BANK_GATEWAY_RECON_MISSING_ENTRY:
		return "missing_entry";
	case BANK_GATEWAY_RECON_UNMATCHED_ENTRY:
		return "unmatched_entry";
	case BANK_GATEWAY_RECON_AMOUNT_MISMATCH:
		return "amount_mismatch";
	case BANK_GATEWAY_RECON_DUPLICATE:
		return "duplicate";
	case BANK_GATEWAY_RECON_REVERSED:
		return "reversed";
	case BANK_GATEWAY_RECON_KINDS:
		break;
	}
	return "unknown";
}

typedef const bank_gateway_recon_payment *pay_ptr;
typedef const bank_gateway_camt054_entry *entry_ptr;

static int
pay_by_id(const void *a, const void *b)
{
	return strcmp((*(const pay_ptr *) a)->end_to_end_id,
	    (*(const pay_ptr *) b)->end_to_end_id);
}

/* By id, then document order: the entries are one array, so their
 * addresses are their order. */
static int
entry_by_id(const void *a, const void *b)
{
	entry_ptr x = *(const entry_ptr *) a, y = *(const entry_ptr *) b;
	int       c = strcmp(x->end_to_end_id, y->end_to_end_id);

	if (c != 0) {
		return c;
	}
	return (x > y) - (x < y);
}

static sn_err
check_payment(const bank_gateway_recon_payment *p, size_t i, char *why)
{
	if (p->end_to_end_id == NULL || p->end_to_end_id[0] == '\0') {
		isoxml_why(why, "payment %zu: no end-to-end id", i);
	} else if (strlen(p->end_to_end_id) >= BANK_GATEWAY_ISO_ID_MAX) {
		isoxml_why(why, "payment %zu: end-to-end id too long", i);
	} else if (p->run_id == NULL || p->run_id[0] == '\0') {
		isoxml_why(why, "payment %s: no run id", p->end_to_end_id);
	} else if (p->amount <= 0) {
		isoxml_why(why, "payment %s: amount %lld fen is not above 0",
		    p->end_to_end_id, (long long) p->amount);
	} else if (!sn_date_valid(p->day)) {
		isoxml_why(why, "payment %s: invalid settlement day",
		    p->end_to_end_id);
	} else {
		return SN_OK;
	}
	return SN_EINVAL;
}

/* The payments sorted by id into *out (the caller frees), each checked
 * and no id twice. */
static sn_err
sort_payments(const bank_gateway_recon_payment *payments, size_t n,
    pay_ptr **out, char *why)
{
	pay_ptr *v;
	size_t   i;
	sn_err   err;

	*out = NULL;
	if (n == 0) {
		return SN_OK;
	}
	if ((v = calloc(n, sizeof *v)) == NULL) {
		return SN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if ((err = check_payment(&payments[i], i, why)) != SN_OK) {
			free(v);
			return err;
		}
		v[i] = &payments[i];
	}
	qsort(v, n, sizeof *v, pay_by_id);
	for (i = 1; i < n; i++) {
		if (strcmp(v[i - 1]->end_to_end_id, v[i]->end_to_end_id)
		    == 0) {
			isoxml_why(why,
			    "payment %s: end-to-end id given twice",
			    v[i]->end_to_end_id);
			free(v);
			return SN_EINVAL;
		}
	}
	*out = v;
	return SN_OK;
}

/* An entry a payment can claim: booked, in CNY, with an id. */
static bool
claimable(const bank_gateway_camt054_entry *e)
{
	return strcmp(e->currency, "CNY") == 0 && e->end_to_end_id[0] != '\0';
}

static bool
booked(const bank_gateway_camt054_entry *e)
{
	return strcmp(e->status, "BOOK") == 0;
}

/* The booked, claimable entries sorted by id into *out (n_out of them;
 * the caller frees); each amount checked not negative. */
static sn_err
sort_entries(const bank_gateway_camt054_entry *entries, size_t n,
    entry_ptr **out, size_t *n_out, char *why)
{
	entry_ptr *v;
	size_t     i, k = 0;

	*out   = NULL;
	*n_out = 0;
	for (i = 0; i < n; i++) {
		if (entries[i].amount < 0) {
			isoxml_why(why, "entry %zu: negative amount", i);
			return SN_EINVAL;
		}
	}
	if (n == 0) {
		return SN_OK;
	}
	if ((v = calloc(n, sizeof *v)) == NULL) {
		return SN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (booked(&entries[i]) && claimable(&entries[i])) {
			v[k++] = &entries[i];
		}
	}
	qsort(v, k, sizeof *v, entry_by_id);
	*out   = v;
	*n_out = k;
	return SN_OK;
}

/* Adds entry e to item it: its net, its counts, its date if the first. */
static sn_err
add_entry(bank_gateway_recon_item *it, const bank_gateway_camt054_entry *e)
{
	sn_err err;
	char   day[SN_DATE_STRLEN];

	if (strcmp(e->currency, "CNY") != 0) {
		err = SN_OK; /* not fen: counted, its amount not summed */
	} else if (e->debit) {
		err = sn_fen_add(it->booked, e->amount, &it->booked);
	} else {
		err = sn_fen_sub(it->booked, e->amount, &it->booked);
	}
	if (err != SN_OK) {
		return err;
	}
	it->n_entries++;
	if (e->debit) {
		it->n_debits++;
	} else {
		it->n_credits++;
	}
	if (it->entry == NULL) {
		it->entry = e;
		if (it->payment == NULL) {
			snprintf(day, sizeof day, "%.10s", e->booking_date);
			it->has_day = sn_date_parse(day, &it->day) == SN_OK;
		}
	}
	return SN_OK;
}

static bank_gateway_recon_kind
classify(const bank_gateway_recon_item *it)
{
	if (it->payment == NULL) {
		return BANK_GATEWAY_RECON_UNMATCHED_ENTRY;
	}
	if (it->n_entries == 0) {
		return BANK_GATEWAY_RECON_MISSING_ENTRY;
	}
	if (it->booked == it->expected) {
		return BANK_GATEWAY_RECON_MATCHED;
	}
	if (it->booked == 0 && it->n_credits > 0) {
		return BANK_GATEWAY_RECON_REVERSED;
	}
	if (it->n_debits >= 2 && it->booked > it->expected) {
		return BANK_GATEWAY_RECON_DUPLICATE;
	}
	return BANK_GATEWAY_RECON_AMOUNT_MISMATCH;
}

static sn_err
finish_item(bank_gateway_recon_item *it)
{
	sn_err err;

	if ((err = sn_fen_sub(it->booked, it->expected, &it->difference))
	    != SN_OK) {
		return err;
	}
	it->kind = classify(it);
	return SN_OK;
}

/*
 * Walks the sorted payments and entries together, one item per id; then
 * one item per booked entry no payment can claim, in document order.
 */
static sn_err
walk(bank_gateway_recon *r, pay_ptr *pays, size_t np, entry_ptr *ents,
    size_t ne, const bank_gateway_camt054_entry *all, size_t n_all)
{
	size_t i = 0, j = 0, k;
	sn_err err;

	while (i < np || j < ne) {
		bank_gateway_recon_item *it = &r->items[r->n_items++];
		int                      c  = i == np ? 1
		                          : j == ne
		                          ? -1
		                          : strcmp(pays[i]->end_to_end_id, ents[j]->end_to_end_id);
		const char              *id
		    = c <= 0 ? pays[i]->end_to_end_id : ents[j]->end_to_end_id;

		it->end_to_end_id = id;
		if (c <= 0) {
			it->payment  = pays[i++];
			it->expected = it->payment->amount;
			it->has_day  = true;
			it->day      = it->payment->day;
		}
		while (j < ne && strcmp(ents[j]->end_to_end_id, id) == 0) {
			if ((err = add_entry(it, ents[j++])) != SN_OK) {
				return err;
			}
		}
		if ((err = finish_item(it)) != SN_OK) {
			return err;
		}
	}
	for (k = 0; k < n_all; k++) {
		if (!booked(&all[k])) {
			r->skipped++;
		} else if (!claimable(&all[k])) {
			bank_gateway_recon_item *it = &r->items[r->n_items++];

			it->end_to_end_id = all[k].end_to_end_id;
			if ((err = add_entry(it, &all[k])) != SN_OK
			    || (err = finish_item(it)) != SN_OK) {
				return err;
			}
		}
	}
	return SN_OK;
}

static sn_err
sum_add(bank_gateway_recon_sum *s, const bank_gateway_recon_item *it)
{
	sn_err err;

	s->count[it->kind]++;
	if ((err = sn_fen_add(
	         s->expected[it->kind], it->expected, &s->expected[it->kind]))
	        != SN_OK
	    || (err = sn_fen_add(
	            s->booked[it->kind], it->booked, &s->booked[it->kind]))
	        != SN_OK
	    || (err = sn_fen_add(
	            s->expected_total, it->expected, &s->expected_total))
	        != SN_OK
	    || (err
	           = sn_fen_add(s->booked_total, it->booked, &s->booked_total))
	        != SN_OK) {
		return err;
	}
	return sn_fen_sub(s->booked_total, s->expected_total, &s->difference);
}

typedef const bank_gateway_recon_item *item_ptr;

static int
item_by_run(const void *a, const void *b)
{
	item_ptr x = *(const item_ptr *) a, y = *(const item_ptr *) b;

	return strcmp(x->payment->run_id, y->payment->run_id);
}

/* Dated before undated, then by date. */
static int
item_by_day(const void *a, const void *b)
{
	item_ptr x = *(const item_ptr *) a, y = *(const item_ptr *) b;

	if (x->has_day != y->has_day) {
		return x->has_day ? -1 : 1;
	}
	return x->has_day ? sn_date_cmp(x->day, y->day) : 0;
}

/* The per-run totals, from v (room for n_items pointers). */
static sn_err
group_runs(bank_gateway_recon *r, item_ptr *v)
{
	size_t i, n = 0;
	sn_err err;

	for (i = 0; i < r->n_items; i++) {
		if (r->items[i].payment != NULL) {
			v[n++] = &r->items[i];
		}
	}
	qsort(v, n, sizeof *v, item_by_run);
	for (i = 0; i < n; i++) {
		if (i == 0
		    || strcmp(v[i]->payment->run_id, v[i - 1]->payment->run_id)
		        != 0) {
			r->runs[r->n_runs++].run_id = v[i]->payment->run_id;
		}
		err = sum_add(&r->runs[r->n_runs - 1].sum, v[i]);
		if (err != SN_OK) {
			return err;
		}
	}
	return SN_OK;
}

/* The per-day totals and the overall one, from v. */
static sn_err
group_days(bank_gateway_recon *r, item_ptr *v)
{
	size_t i;
	sn_err err;

	for (i = 0; i < r->n_items; i++) {
		v[i] = &r->items[i];
	}
	qsort(v, r->n_items, sizeof *v, item_by_day);
	for (i = 0; i < r->n_items; i++) {
		if (i == 0 || item_by_day(&v[i], &v[i - 1]) != 0) {
			r->days[r->n_days].has_day = v[i]->has_day;
			r->days[r->n_days].day     = v[i]->day;
			r->n_days++;
		}
		if ((err = sum_add(&r->days[r->n_days - 1].sum, v[i])) != SN_OK
		    || (err = sum_add(&r->total, v[i])) != SN_OK) {
			return err;
		}
	}
	return SN_OK;
}

static sn_err
totals(bank_gateway_recon *r)
{
	item_ptr *v;
	sn_err    err;

	if (r->n_items == 0) {
		return SN_OK;
	}
	if ((v = calloc(r->n_items, sizeof *v)) == NULL) {
		return SN_ENOMEM;
	}
	err = group_runs(r, v);
	if (err == SN_OK) {
		err = group_days(r, v);
	}
	free(v);
	return err;
}

static bank_gateway_recon *
recon_new(size_t n)
{
	bank_gateway_recon *r = calloc(1, sizeof *r);

	if (r == NULL) {
		return NULL;
	}
	/* at least one, so calloc(0) never stands for failure */
	n += 1;
	r->items = calloc(n, sizeof *r->items);
	r->runs  = calloc(n, sizeof *r->runs);
	r->days  = calloc(n, sizeof *r->days);
	if (r->items == NULL || r->runs == NULL || r->days == NULL) {
		bank_gateway_recon_free(r);
		return NULL;
	}
	return r;
}

sn_err
bank_gateway_recon_run(const bank_gateway_recon_payment *payments,
    size_t n_payments, const bank_gateway_camt054_entry *entries,
    size_t n_entries, bank_gateway_recon **out, char *why)
{
	pay_ptr            *pays = NULL;
	entry_ptr          *ents = NULL;
	size_t              ne   = 0;
	bank_gateway_recon *r    = NULL;
	sn_err              err;

	*out = NULL;
	if (n_entries > SIZE_MAX / 4
	    || n_payments > SIZE_MAX / 4 - n_entries) {
		return SN_ERANGE;
	}
	if ((err = sort_payments(payments, n_payments, &pays, why)) != SN_OK
	    || (err = sort_entries(entries, n_entries, &ents, &ne, why))
	        != SN_OK) {
		goto fail;
	}
	if ((r = recon_new(n_payments + n_entries)) == NULL) {
		err = SN_ENOMEM;
		goto fail;
	}
	if ((err = walk(r, pays, n_payments, ents, ne, entries, n_entries))
	        != SN_OK
	    || (err = totals(r)) != SN_OK) {
		if (err == SN_ERANGE) {
			isoxml_why(
			    why, "a sum in fen past the range of int64");
		}
		goto fail;
	}
	free(pays);
	free(ents);
	*out = r;
	return SN_OK;
fail:
	bank_gateway_recon_free(r);
	free(pays);
	free(ents);
	return err;
}

bool
bank_gateway_recon_balanced(const bank_gateway_recon_sum *s)
{
	int k;

	for (k = 0; k < BANK_GATEWAY_RECON_KINDS; k++) {
		if (k != BANK_GATEWAY_RECON_MATCHED && s->count[k] != 0) {
			return false;
		}
	}
	return true;
}

void
bank_gateway_recon_free(bank_gateway_recon *r)
{
	if (r == NULL) {
		return;
	}
	free(r->items);
	free(r->runs);
	free(r->days);
	free(r);
}
