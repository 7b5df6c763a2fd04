/*
 * bank_gateway.recon: settled payments reconciled with camt.054 entries
 * (recon.h): a table of one payment and its entries per case (matched,
 * missing, mismatch, duplicate, reversal, split, not booked), entries no
 * payment has, the order of items, runs and days, their totals, empty
 * inputs, bad input, overflow, the shared sample, and 10,000 payments in
 * one call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "camt054.h"
#include "kit.h"
#include "recon.h"

static const sn_date jan5 = { 2027, 1, 5 }, jan6 = { 2027, 1, 6 };

/* A booked CNY entry of id: DBIT when debit, fen, booked on date. */
static bank_gateway_camt054_entry
ent(const char *id, sn_fen fen, bool debit, bool reversal, const char *date)
{
	bank_gateway_camt054_entry e;

	memset(&e, 0, sizeof e);
	snprintf(e.end_to_end_id, sizeof e.end_to_end_id, "%s", id);
	snprintf(e.currency, sizeof e.currency, "CNY");
	snprintf(e.status, sizeof e.status, "BOOK");
	snprintf(e.booking_date, sizeof e.booking_date, "%s", date);
	e.amount   = fen;
	e.debit    = debit;
	e.reversal = reversal;
	return e;
}

static bank_gateway_recon *
run_ok(const bank_gateway_recon_payment *p, size_t np,
    const bank_gateway_camt054_entry *e, size_t ne)
{
	bank_gateway_recon *r                             = NULL;
	char                why[BANK_GATEWAY_ISO_WHY_MAX] = "";

	if (bank_gateway_recon_run(p, np, e, ne, &r, why) != SN_OK) {
		fail_msg("recon: %s", why);
	}
	return r;
}

#define MAXE 4

/* One payment of 80000 fen, E1, and its entries: what each case makes. */
static void
one_payment(void **state)
{
	static const struct {
		const char *name;
		size_t      n;
		struct {
			sn_fen      fen;
			bool        debit, reversal;
			const char *status;
		} e[MAXE];
		bank_gateway_recon_kind kind;
		sn_fen                  booked;
		size_t                  counted, skipped;
	} cases[] = {
		{ "one debit of the amount", 1,
		    { { 80000, true, false, "BOOK" } },
		    BANK_GATEWAY_RECON_MATCHED, 80000, 1, 0 },
		{ "no entry", 0, { { 0, false, false, NULL } },
		    BANK_GATEWAY_RECON_MISSING_ENTRY, 0, 0, 0 },
		{ "only a pending entry", 1,
		    { { 80000, true, false, "PDNG" } },
		    BANK_GATEWAY_RECON_MISSING_ENTRY, 0, 0, 1 },
		{ "booked and an INFO copy", 2,
		    { { 80000, true, false, "BOOK" },
		        { 80000, true, false, "INFO" } },
		    BANK_GATEWAY_RECON_MATCHED, 80000, 1, 1 },
		{ "one fen less", 1, { { 79999, true, false, "BOOK" } },
		    BANK_GATEWAY_RECON_AMOUNT_MISMATCH, 79999, 1, 0 },
		{ "one fen more", 1, { { 80001, true, false, "BOOK" } },
		    BANK_GATEWAY_RECON_AMOUNT_MISMATCH, 80001, 1, 0 },
		{ "booked twice", 2,
		    { { 80000, true, false, "BOOK" },
		        { 80000, true, false, "BOOK" } },
		    BANK_GATEWAY_RECON_DUPLICATE, 160000, 2, 0 },
		{ "booked three times", 3,
		    { { 80000, true, false, "BOOK" },
		        { 80000, true, false, "BOOK" },
		        { 80000, true, false, "BOOK" } },
		    BANK_GATEWAY_RECON_DUPLICATE, 240000, 3, 0 },
		{ "split in two parts that add up", 2,
		    { { 50000, true, false, "BOOK" },
		        { 30000, true, false, "BOOK" } },
		    BANK_GATEWAY_RECON_MATCHED, 80000, 2, 0 },
		{ "split in two parts short of it", 2,
		    { { 50000, true, false, "BOOK" },
		        { 20000, true, false, "BOOK" } },
		    BANK_GATEWAY_RECON_AMOUNT_MISMATCH, 70000, 2, 0 },
		{ "debited then reversed", 2,
		    { { 80000, true, false, "BOOK" },
		        { 80000, false, true, "BOOK" } },
		    BANK_GATEWAY_RECON_REVERSED, 0, 2, 0 },
		{ "reversed, reversal listed first", 2,
		    { { 80000, false, true, "BOOK" },
		        { 80000, true, false, "BOOK" } },
		    BANK_GATEWAY_RECON_REVERSED, 0, 2, 0 },
		{ "reversed and booked again", 3,
		    { { 80000, true, false, "BOOK" },
		        { 80000, false, true, "BOOK" },
		        { 80000, true, false, "BOOK" } },
		    BANK_GATEWAY_RECON_MATCHED, 80000, 3, 0 },
		{ "booked twice, one reversed", 3,
		    { { 80000, true, false, "BOOK" },
		        { 80000, true, false, "BOOK" },
		        { 80000, false, true, "BOOK" } },
		    BANK_GATEWAY_RECON_MATCHED, 80000, 3, 0 },
		{ "a reversal only", 1, { { 80000, false, true, "BOOK" } },
		    BANK_GATEWAY_RECON_AMOUNT_MISMATCH, -80000, 1, 0 },
		{ "a pending reversal does not undo", 2,
		    { { 80000, true, false, "BOOK" },
		        { 80000, false, true, "PDNG" } },
		    BANK_GATEWAY_RECON_MATCHED, 80000, 1, 1 },
		{ "partly returned", 2,
		    { { 80000, true, false, "BOOK" },
		        { 30000, false, false, "BOOK" } },
		    BANK_GATEWAY_RECON_AMOUNT_MISMATCH, 50000, 2, 0 },
		{ "booked twice, one short", 2,
		    { { 80000, true, false, "BOOK" },
		        { 100, true, false, "BOOK" } },
		    BANK_GATEWAY_RECON_DUPLICATE, 80100, 2, 0 },
	};
	const bank_gateway_recon_payment p
	    = { "E1", 80000, "R1", { 2027, 1, 5 } };
	size_t i, k;

	(void) state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bank_gateway_camt054_entry     e[MAXE];
		bank_gateway_recon            *r;
		const bank_gateway_recon_item *it;

		print_message("%s\n", cases[i].name);
		for (k = 0; k < cases[i].n; k++) {
			e[k]
			    = ent("E1", cases[i].e[k].fen, cases[i].e[k].debit,
			        cases[i].e[k].reversal, "2027-01-06");
			snprintf(e[k].status, sizeof e[k].status, "%s",
			    cases[i].e[k].status);
		}
		r = run_ok(&p, 1, e, cases[i].n);
		assert_int_equal(r->n_items, 1);
		it = &r->items[0];
		assert_string_equal(bank_gateway_recon_kind_name(it->kind),
		    bank_gateway_recon_kind_name(cases[i].kind));
		assert_ptr_equal(it->payment, &p);
		assert_string_equal(it->end_to_end_id, "E1");
		assert_true(it->expected == 80000);
		assert_true(it->booked == cases[i].booked);
		assert_true(it->difference == cases[i].booked - 80000);
		assert_int_equal(it->n_entries, cases[i].counted);
		assert_int_equal(r->skipped, cases[i].skipped);
		/* the day is the payment's, not the booking's */
		assert_true(it->has_day && sn_date_cmp(it->day, jan5) == 0);
		assert_int_equal(r->total.count[cases[i].kind], 1);
		assert_int_equal(bank_gateway_recon_balanced(&r->total),
		    cases[i].kind == BANK_GATEWAY_RECON_MATCHED);
		bank_gateway_recon_free(r);
	}
}

/* Entries no payment has: by id (several entries, one item), with no
 * id, and in another currency (each an item of its own). */
static void
unmatched_entries(void **state)
{
	bank_gateway_camt054_entry e[5];
	bank_gateway_recon        *r;

	(void) state;
	e[0] = ent("", 500, true, false, "2027-01-06");
	e[1] = ent("X9", 700, true, false, "2027-01-06T09:00:00+08:00");
	e[2] = ent("X9", 700, true, false, "2027-01-06");
	e[3] = ent("E1", 900, true, false, "");
	snprintf(e[3].currency, sizeof e[3].currency, "USD");
	e[4] = ent("", 600, false, false, "2027-01-05");
	r    = run_ok(NULL, 0, e, 5);
	assert_int_equal(r->n_items, 4);
	/* X9 by id first, then the unclaimable ones in document order */
	assert_string_equal(r->items[0].end_to_end_id, "X9");
	assert_int_equal(r->items[0].n_entries, 2);
	assert_true(r->items[0].booked == 1400);
	assert_ptr_equal(r->items[0].entry, &e[1]);
	assert_ptr_equal(r->items[1].entry, &e[0]);
	assert_ptr_equal(r->items[2].entry, &e[3]);
	assert_true(r->items[2].booked == 0); /* not fen */
	assert_false(r->items[2].has_day);    /* no booking date */
	assert_ptr_equal(r->items[3].entry, &e[4]);
	assert_true(r->items[3].booked == -600); /* a credit */
	for (size_t i = 0; i < r->n_items; i++) {
		assert_int_equal(
		    r->items[i].kind, BANK_GATEWAY_RECON_UNMATCHED_ENTRY);
		assert_null(r->items[i].payment);
		assert_true(r->items[i].expected == 0);
	}
	assert_int_equal(r->n_runs, 0);
	/* days: 01-05, 01-06, then the undated */
	assert_int_equal(r->n_days, 3);
	assert_true(sn_date_cmp(r->days[0].day, jan5) == 0);
	assert_true(r->days[0].sum.booked_total == -600);
	assert_true(sn_date_cmp(r->days[1].day, jan6) == 0);
	assert_int_equal(
	    r->days[1].sum.count[BANK_GATEWAY_RECON_UNMATCHED_ENTRY], 2);
	assert_true(r->days[1].sum.booked_total == 1900);
	assert_false(r->days[2].has_day);
	assert_int_equal(
	    r->total.count[BANK_GATEWAY_RECON_UNMATCHED_ENTRY], 4);
	assert_true(r->total.booked_total == 1300);
	assert_true(r->total.difference == 1300);
	assert_false(bank_gateway_recon_balanced(&r->total));
	bank_gateway_recon_free(r);
}

/* Two runs over two days with one of each kind: the order of items,
 * runs and days, and their totals. */
static void
runs_and_days(void **state)
{
	const bank_gateway_recon_payment p[] = {
		{ "E5", 100, "R2", { 2027, 1, 6 } }, /* missing */
		{ "E1", 200, "R1", { 2027, 1, 5 } }, /* matched */
		{ "E3", 300, "R1", { 2027, 1, 6 } }, /* mismatch */
		{ "E2", 400, "R1", { 2027, 1, 5 } }, /* duplicate */
		{ "E4", 500, "R2", { 2027, 1, 5 } }, /* reversed */
	};
	bank_gateway_camt054_entry e[] = {
		ent("E4", 500, false, true, "2027-01-07"),
		ent("E1", 200, true, false, "2027-01-06"),
		ent("E2", 400, true, false, "2027-01-06"),
		ent("E3", 301, true, false, "2027-01-06"),
		ent("E2", 400, true, false, "2027-01-07"),
		ent("E4", 500, true, false, "2027-01-06"),
		ent("E0", 50, true, false, "2027-01-07"),
	};
	static const char *ids[] = { "E0", "E1", "E2", "E3", "E4", "E5" };
	static const bank_gateway_recon_kind kinds[]
	    = { BANK_GATEWAY_RECON_UNMATCHED_ENTRY, BANK_GATEWAY_RECON_MATCHED,
		      BANK_GATEWAY_RECON_DUPLICATE,
		      BANK_GATEWAY_RECON_AMOUNT_MISMATCH,
		      BANK_GATEWAY_RECON_REVERSED,
		      BANK_GATEWAY_RECON_MISSING_ENTRY };
	const bank_gateway_recon_sum *s;
	bank_gateway_recon           *r;
	size_t                        i;

	(void) state;
	r = run_ok(p, 5, e, sizeof e / sizeof e[0]);
	assert_int_equal(r->n_items, 6);
	for (i = 0; i < 6; i++) {
		assert_string_equal(r->items[i].end_to_end_id, ids[i]);
		assert_int_equal(r->items[i].kind, kinds[i]);
	}
	/* E4's first entry in document order: its reversal */
	assert_ptr_equal(r->items[4].entry, &e[0]);
	assert_int_equal(r->items[4].n_debits, 1);
	assert_int_equal(r->items[4].n_credits, 1);
	assert_int_equal(r->n_runs, 2);
	assert_string_equal(r->runs[0].run_id, "R1");
	s = &r->runs[0].sum;
	assert_int_equal(s->count[BANK_GATEWAY_RECON_MATCHED], 1);
	assert_int_equal(s->count[BANK_GATEWAY_RECON_DUPLICATE], 1);
	assert_int_equal(s->count[BANK_GATEWAY_RECON_AMOUNT_MISMATCH], 1);
	assert_true(s->expected_total == 900);
	assert_true(s->booked_total == 1301);
	assert_true(s->difference == 401);
	assert_true(s->booked[BANK_GATEWAY_RECON_DUPLICATE] == 800);
	assert_true(s->expected[BANK_GATEWAY_RECON_DUPLICATE] == 400);
	assert_string_equal(r->runs[1].run_id, "R2");
	s = &r->runs[1].sum;
	assert_int_equal(s->count[BANK_GATEWAY_RECON_MISSING_ENTRY], 1);
	assert_int_equal(s->count[BANK_GATEWAY_RECON_REVERSED], 1);
	assert_true(s->expected[BANK_GATEWAY_RECON_MISSING_ENTRY] == 100);
	assert_true(s->expected_total == 600);
	assert_true(s->booked_total == 0);
	assert_true(s->difference == -600);
	/* days: the payments' 01-05 and 01-06, E0's booking day 01-07 */
	assert_int_equal(r->n_days, 3);
	assert_true(sn_date_cmp(r->days[0].day, jan5) == 0);
	s = &r->days[0].sum; /* E1, E2, E4 */
	assert_int_equal(s->count[BANK_GATEWAY_RECON_MATCHED], 1);
	assert_true(s->expected_total == 1100 && s->booked_total == 1000);
	assert_true(sn_date_cmp(r->days[1].day, jan6) == 0);
	s = &r->days[1].sum; /* E3, E5 */
	assert_true(s->expected_total == 400 && s->booked_total == 301);
	assert_true(r->days[2].day.day == 7);
	assert_true(r->days[2].sum.booked_total == 50);
	assert_true(r->total.expected_total == 1500);
	assert_true(r->total.booked_total == 1351);
	assert_true(r->total.difference == -149);
	for (i = 0; i < BANK_GATEWAY_RECON_KINDS; i++) {
		assert_int_equal(r->total.count[i], 1);
	}
	bank_gateway_recon_free(r);
}

static void
empty(void **state)
{
	const bank_gateway_recon_payment p = { "E1", 1, "R1", { 2027, 1, 5 } };
	bank_gateway_camt054_entry e = ent("E1", 1, true, false, "2027-01-05");
	bank_gateway_recon        *r;

	(void) state;
	r = run_ok(NULL, 0, NULL, 0);
	assert_int_equal(r->n_items, 0);
	assert_int_equal(r->n_runs, 0);
	assert_int_equal(r->n_days, 0);
	assert_true(
	    r->total.expected_total == 0 && r->total.booked_total == 0);
	assert_true(bank_gateway_recon_balanced(&r->total));
	bank_gateway_recon_free(r);
	r = run_ok(&p, 1, NULL, 0);
	assert_int_equal(r->items[0].kind, BANK_GATEWAY_RECON_MISSING_ENTRY);
	assert_null(r->items[0].entry);
	bank_gateway_recon_free(r);
	snprintf(e.status, sizeof e.status, "PDNG");
	r = run_ok(NULL, 0, &e, 1);
	assert_int_equal(r->n_items, 0);
	assert_int_equal(r->skipped, 1);
	bank_gateway_recon_free(r);
	bank_gateway_recon_free(NULL);
}

/* Each bad input is refused with nothing returned and a reason. */
static void
refused(void **state)
{
	char long_id[BANK_GATEWAY_ISO_ID_MAX + 1];
	static const struct {
		bank_gateway_recon_payment p[2];
		size_t                     n;
		const char                *why_has;
	} cases[] = {
		{ { { NULL, 1, "R", { 2027, 1, 5 } } }, 1,
		    "no end-to-end id" },
		{ { { "", 1, "R", { 2027, 1, 5 } } }, 1, "no end-to-end id" },
		{ { { "E", 1, NULL, { 2027, 1, 5 } } }, 1, "no run id" },
		{ { { "E", 1, "", { 2027, 1, 5 } } }, 1, "no run id" },
		{ { { "E", 0, "R", { 2027, 1, 5 } } }, 1, "not above 0" },
		{ { { "E", -5, "R", { 2027, 1, 5 } } }, 1, "not above 0" },
		{ { { "E", 1, "R", { 2027, 2, 29 } } }, 1, "invalid" },
		{ { { "E", 1, "R", { 2027, 1, 5 } },
		      { "E", 2, "R2", { 2027, 1, 6 } } },
		    2, "given twice" },
	};
	bank_gateway_recon_payment p = { long_id, 1, "R", { 2027, 1, 5 } };
	bank_gateway_camt054_entry e = ent("E", -1, true, false, "");
	bank_gateway_recon        *r = (bank_gateway_recon *) &p;
	char                       why[BANK_GATEWAY_ISO_WHY_MAX];
	size_t                     i;

	(void) state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		why[0] = '\0';
		assert_int_equal(bank_gateway_recon_run(
		                     cases[i].p, cases[i].n, NULL, 0, &r, why),
		    SN_EINVAL);
		assert_null(r);
		assert_non_null(strstr(why, cases[i].why_has));
	}
	memset(long_id, 'x', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	assert_int_equal(
	    bank_gateway_recon_run(&p, 1, NULL, 0, &r, why), SN_EINVAL);
	assert_non_null(strstr(why, "too long"));
	assert_int_equal(
	    bank_gateway_recon_run(NULL, 0, &e, 1, &r, NULL), SN_EINVAL);
	assert_null(r);
}

/* Sums past int64 are refused, never wrapped. */
static void
overflow(void **state)
{
	const bank_gateway_recon_payment p[] = {
		{ "E1", INT64_MAX, "R", { 2027, 1, 5 } },
		{ "E2", 1, "R", { 2027, 1, 5 } },
	};
	bank_gateway_camt054_entry e[] = {
		ent("E1", INT64_MAX, true, false, "2027-01-05"),
		ent("E1", 1, true, false, "2027-01-05"),
	};
	bank_gateway_recon *r                             = NULL;
	char                why[BANK_GATEWAY_ISO_WHY_MAX] = "";

	(void) state;
	/* one id's net */
	assert_int_equal(
	    bank_gateway_recon_run(p, 1, e, 2, &r, why), SN_ERANGE);
	assert_null(r);
	assert_non_null(strstr(why, "int64"));
	/* a run's total of two payments */
	assert_int_equal(
	    bank_gateway_recon_run(p, 2, NULL, 0, &r, why), SN_ERANGE);
	assert_null(r);
	/* at the edge: still fine */
	r = run_ok(p, 1, e, 1);
	assert_int_equal(r->items[0].kind, BANK_GATEWAY_RECON_MATCHED);
	assert_true(r->total.booked_total == INT64_MAX);
	bank_gateway_recon_free(r);
}

/* The shared sample document, read by camt054.c, reconciles with the
 * payment it names. */
static void
sample(void **state)
{
	bank_gateway_iso_schema *s = kit_schema(BANK_GATEWAY_CAMT054);
	char                     why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	size_t                   len;
	char                    *xml = kit_sample("camt.054.001.08.xml", &len);
	bank_gateway_camt054    *n   = NULL;
	bank_gateway_recon      *r;
	const bank_gateway_recon_payment p = { "E2E-20240601-000001", 80000,
		"RUN-20240601-0001", { 2024, 6, 1 } };

	(void) state;
	assert_int_equal(
	    bank_gateway_camt054_read(s, xml, len, &n, why), SN_OK);
	r = run_ok(&p, 1, n->entries, n->n_entries);
	assert_int_equal(r->n_items, 1);
	assert_int_equal(r->items[0].kind, BANK_GATEWAY_RECON_MATCHED);
	assert_ptr_equal(r->items[0].entry, &n->entries[0]);
	assert_true(bank_gateway_recon_balanced(&r->runs[0].sum));
	bank_gateway_recon_free(r);
	bank_gateway_camt054_free(n);
	bank_gateway_iso_schema_close(s);
	free(xml);
}

#define LARGE 10000

/* 10,000 payments in a shuffled order, their entries in another, in one
 * call: every one matched, the items sorted by id, one run per 1,000
 * payments and one day per 2,500. */
static void
large(void **state)
{
	bank_gateway_recon_payment *p = calloc(LARGE, sizeof *p);
	bank_gateway_camt054_entry *e = calloc(LARGE, sizeof *e);
	char(*ids)[16]                = calloc(LARGE, sizeof *ids);
	static char         runs[10][8];
	bank_gateway_recon *r;
	size_t              i, j;
	sn_fen              sum = 0;

	(void) state;
	assert_non_null(p);
	assert_non_null(e);
	assert_non_null(ids);
	for (i = 0; i < 10; i++) {
		snprintf(runs[i], sizeof runs[i], "R%zu", i);
	}
	for (i = 0; i < LARGE; i++) {
		/* 7919 is prime to 10,000: a permutation */
		j = (i * 7919) % LARGE;
		snprintf(ids[j], sizeof ids[j], "E%06zu", j);
		p[i].end_to_end_id = ids[j];
		p[i].amount        = 10000 + (sn_fen) j;
		p[i].run_id        = runs[j / 1000];
		p[i].day = (sn_date) { 2027, 1, 1 + (int32_t) (j / 2500) };
		sum += p[i].amount;
	}
	for (i = 0; i < LARGE; i++) {
		j    = LARGE - 1 - i;
		e[i] = ent(
		    ids[j], 10000 + (sn_fen) j, true, false, "2027-01-09");
	}
	r = run_ok(p, LARGE, e, LARGE);
	assert_int_equal(r->n_items, LARGE);
	for (i = 0; i < LARGE; i++) {
		assert_int_equal(r->items[i].kind, BANK_GATEWAY_RECON_MATCHED);
		if (i > 0) {
			assert_true(strcmp(r->items[i - 1].end_to_end_id,
			                r->items[i].end_to_end_id)
			    < 0);
		}
	}
	assert_int_equal(r->total.count[BANK_GATEWAY_RECON_MATCHED], LARGE);
	assert_true(r->total.expected_total == sum);
	assert_true(r->total.booked_total == sum);
	assert_true(bank_gateway_recon_balanced(&r->total));
	assert_int_equal(r->n_runs, 10);
	for (i = 0; i < 10; i++) {
		assert_string_equal(r->runs[i].run_id, runs[i]);
		assert_int_equal(r->runs[i].sum.count[0], 1000);
	}
	assert_int_equal(r->n_days, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r->days[i].day.day, 1 + (int) i);
		assert_int_equal(r->days[i].sum.count[0], 2500);
	}
	bank_gateway_recon_free(r);
	free(ids);
	free(e);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_payment),
		cmocka_unit_test(unmatched_entries),
		cmocka_unit_test(runs_and_days),
		cmocka_unit_test(empty),
		cmocka_unit_test(refused),
		cmocka_unit_test(overflow),
		cmocka_unit_test(sample),
		cmocka_unit_test(large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
