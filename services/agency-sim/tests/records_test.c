/*
 * agency-sim.records: the simulated records are deterministic, spread
 * like the population records.h describes, and a fixture sets exact
 * facts for the numbers it names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "records.h"
#include "sn/idnum.h"

/* The i-th valid identity number born in year. */
static void
idnum(char out[19], int year, int i)
{
	char first[32];
	snprintf(first, sizeof(first), "110101%04d%02d%02d%03d", year % 10000,
	    1 + i % 12, 1 + i % 28, i % 1000);
	memcpy(out, first, 17);
	out[17] = sn_idnum_check_char(first);
	out[18] = '\0';
}

static void
deterministic(void **state)
{
	(void) state;
	for (int i = 0; i < 200; i++) {
		char id[19];
		idnum(id, 1950 + i % 60, i);
		agency_sim_record a, b;
		agency_sim_record_derive(id, &a);
		agency_sim_record_derive(id, &b);
		assert_true(agency_sim_record_equal(&a, &b));
	}
	/* Different numbers do not all get the same record. */
	char              x[19], y[19];
	agency_sim_record a, b;
	int               differ = 0;
	for (int i = 0; i < 50; i++) {
		idnum(x, 1980, i);
		idnum(y, 1980, i + 1);
		agency_sim_record_derive(x, &a);
		agency_sim_record_derive(y, &b);
		differ += !agency_sim_record_equal(&a, &b);
	}
	assert_true(differ > 40);
}

/* The spread over 20,000 people is close to the one documented. */
static void
spread(void **state)
{
	(void) state;
	const int n  = 20000;
	int no_wages = 0, homes = 0, vehicles = 0, business = 0, dead = 0,
	    pension_young = 0, pension_old = 0, old = 0, small_deposits = 0;
	for (int i = 0; i < n; i++) {
		char id[19];
		int  year = 1940 + i % 70;
		idnum(id, year, i);
		agency_sim_record r;
		agency_sim_record_derive(id, &r);
		no_wages += r.wages_fen == 0;
		homes += r.homes > 0;
		vehicles += r.vehicles > 0;
		business += r.businesses > 0;
		dead += !r.alive;
		small_deposits += r.deposits_fen <= 500000;
		if (year >= 1965)
			pension_young += r.pension_fen > 0;
		else {
			old++;
			pension_old += r.pension_fen > 0;
		}
		/* Internal consistency of every record. */
		assert_true(r.taxed_income_fen >= r.wages_fen);
		assert_true(r.pf_monthly_fen == 0
		    || r.pf_monthly_fen == r.wages_fen * 24 / 100);
		assert_true(r.businesses > 0 || r.business_capital_fen == 0);
		assert_true(r.wages_fen % 100 == 0 && r.wages_fen >= 0);
		assert_true(r.social_insurance
		    == (r.wages_fen > 0 || r.pension_fen > 0
		        || r.unemployment_fen > 0));
	}
	assert_in_range(no_wages * 100 / n, 50, 60);
	assert_in_range(homes * 100 / n, 19, 27);
	assert_in_range(vehicles * 1000 / n, 25, 55);
	assert_in_range(business * 1000 / n, 15, 45);
	assert_in_range(dead * 1000 / n, 5, 15);
	assert_in_range(small_deposits * 100 / n, 65, 75);
	assert_int_equal(pension_young, 0);
	assert_in_range(pension_old * 100 / old, 55, 65);
}

static const char fixture_text[]
    = "\n {\"110101198001010019\": {\"wages_fen\": 123456, \"homes\": 2,"
      " \"alive\": false, \"deposits_fen\": 7},\n"
      " \"110101199001010010\": {} }\n";

static void
fixture_exact(void **state)
{
	(void) state;
	agency_sim_fixture *f;
	char                err[128];
	assert_int_equal(
	    agency_sim_fixture_parse(fixture_text, &f, err, sizeof(err)),
	    SN_OK);
	assert_int_equal(agency_sim_fixture_count(f), 2);
	agency_sim_record r;
	agency_sim_record_get(f, "110101198001010019", &r);
	assert_int_equal(r.wages_fen, 123456);
	assert_int_equal(r.homes, 2);
	assert_false(r.alive);
	assert_true(r.registered); /* default */
	assert_int_equal(r.deposits_fen, 7);
	assert_int_equal(r.pension_fen, 0); /* not derived */
	assert_int_equal(r.taxed_income_fen, 0);
	agency_sim_record_get(f, "110101199001010010", &r);
	assert_true(r.alive && r.registered);
	assert_int_equal(r.wages_fen + r.deposits_fen + r.homes, 0);
	/* A number the fixture does not name gets its derived record. */
	agency_sim_record d;
	agency_sim_record_get(f, "110101197001010012", &r);
	agency_sim_record_derive("110101197001010012", &d);
	assert_true(agency_sim_record_equal(&r, &d));
	assert_null(agency_sim_fixture_find(f, "110101197001010012"));
	agency_sim_fixture_free(f);
	agency_sim_fixture_free(NULL);
}

static void
fixture_refused(void **state)
{
	(void) state;
	static const char *const bad[] = {
		"[]", "{\"1\": 5}",
		"{\"1\": {\"wage_fen\": 1}}",       /* unknown field */
		"{\"1\": {\"wages_fen\": -1}}",     /* negative */
		"{\"1\": {\"wages_fen\": 1.5}}",    /* not an integer */
		"{\"1\": {\"alive\": 1}}",          /* not a boolean */
		"{\"1\": {\"homes\": 3000000000}}", /* beyond int32 */
		"{\"1\": {}, \"1\": {}}",           /* duplicate */
		"{",
		/* Parsed a record at a time: the object's own syntax. */
		"{\"1\": {}, \"2\": {},}",               /* trailing comma */
		"{, \"1\": {}}",                         /* leading comma */
		"{\"1\": {}} {}",                        /* text after it */
		"{\"1\": {} \"2\": {}}",                 /* no comma */
		"{\"1\" {}}",                            /* no colon */
		"{\"1\": {\"homes\": 1, \"homes\": 2}}", /* field twice */
		"{\"1\": {\"x}\": 1}",                   /* unterminated */
		"{\"1\": {}, \"2\": {\"homes\": [1}}",   /* bad nesting */
		"{\"1\": {}]\"2\": {}}",                 /* a stray ] */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		agency_sim_fixture *f        = NULL;
		char                err[128] = "";
		assert_int_equal(
		    agency_sim_fixture_parse(bad[i], &f, err, sizeof(err)),
		    SN_EINVAL);
		assert_true(err[0] != '\0');
		assert_null(f);
	}
	/* Brackets and an escaped quote inside a string are the string's:
	 * the record is split where it ends, and its field named whole. */
	agency_sim_fixture *f        = NULL;
	char                err[128] = "";
	assert_int_equal(agency_sim_fixture_parse("{\"1\": {}, \"2\": "
	                                          "{\"a,\\\"}]\": 1}}",
	                     &f, err, sizeof(err)),
	    SN_EINVAL);
	assert_string_equal(err, "2.a,\"}]: unknown field or bad value");
	assert_null(f);
}

/* The notices' overlay: a death makes the person not alive, a new job
 * sets the wages (the latest wins); nobody else changes. */
static void
overlay(void **state)
{
	(void) state;
	agency_sim_overlay *o = agency_sim_overlay_new();
	agency_sim_record   r, base;
	assert_non_null(o);
	agency_sim_record_derive("A", &base);
	assert_true(base.alive); /* so that the death below shows */
	r = base;
	agency_sim_overlay_apply(o, "A", &r);
	assert_memory_equal(&r, &base, sizeof(r));
	assert_int_equal(agency_sim_overlay_death(o, "A"), SN_OK);
	assert_int_equal(agency_sim_overlay_wage(o, "B", 100), SN_OK);
	assert_int_equal(agency_sim_overlay_wage(o, "B", 250), SN_OK);
	assert_int_equal(agency_sim_overlay_wage(o, "B", -1), SN_EINVAL);
	assert_int_equal(
	    agency_sim_overlay_death(o, "1234567890123456789"), SN_EINVAL);
	assert_int_equal(agency_sim_overlay_count(o), 2);
	r = base;
	agency_sim_overlay_apply(o, "A", &r);
	assert_false(r.alive);
	assert_int_equal(r.wages_fen, base.wages_fen);
	agency_sim_record_derive("B", &base);
	r = base;
	agency_sim_overlay_apply(o, "B", &r);
	assert_int_equal(r.wages_fen, 250);
	assert_int_equal(r.alive, base.alive);
	agency_sim_record_derive("C", &base);
	r = base;
	agency_sim_overlay_apply(o, "C", &r);
	assert_memory_equal(&r, &base, sizeof(r));
	agency_sim_overlay_apply(NULL, "C", &r);
	agency_sim_overlay_free(o);
	agency_sim_overlay_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deterministic),
		cmocka_unit_test(spread),
		cmocka_unit_test(fixture_exact),
		cmocka_unit_test(fixture_refused),
		cmocka_unit_test(overlay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
