/* The name tables agree with the generated enums, both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sn/assist.h"
#include "sn/assist/v1/household.pb-c.h"

static void
test_categories(void **state)
{
	(void) state;
	assert_string_equal(
	    sn_assist_category_name(SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN),
	    "tekun");
	assert_string_equal(sn_assist_category_name(
	                        SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME),
	    "low_income");
	assert_string_equal(
	    sn_assist_category_name(SN__ASSIST__V1__CATEGORY__CATEGORY_NONE),
	    "none");
	assert_null(sn_assist_category_name(
	    SN__ASSIST__V1__CATEGORY__CATEGORY_UNSPECIFIED));
	assert_null(sn_assist_category_name(99));
	assert_null(sn_assist_category_name(-1));
	for (int c = 1; c <= SN__ASSIST__V1__CATEGORY__CATEGORY_NONE; c++)
		assert_int_equal(
		    sn_assist_category_parse(sn_assist_category_name(c)), c);
	assert_int_equal(sn_assist_category_parse("Tekun"), 0);
	assert_int_equal(sn_assist_category_parse(NULL), 0);
}

static void
test_household_enums(void **state)
{
	(void) state;
	assert_string_equal(
	    sn_assist_registration_name(
	        SN__ASSIST__V1__REGISTRATION__REGISTRATION_RURAL),
	    "rural");
	assert_string_equal(sn_assist_labour_name(
	                        SN__ASSIST__V1__LABOUR_CAPACITY__LABOUR_NONE),
	    "none");
	assert_string_equal(
	    sn_assist_self_care_name(
	        SN__ASSIST__V1__SELF_CARE__SELF_CARE_PARTIALLY_ABLE),
	    "partially_able");
	assert_string_equal(
	    sn_assist_tier_name(SN__ASSIST__V1__TIER__TIER_UNIVERSAL),
	    "universal");
	assert_string_equal(sn_assist_referral_name(
	                        SN__ASSIST__V1__REFERRAL__REFERRAL_EMPLOYMENT),
	    "employment");
	assert_int_equal(sn_assist_referral_parse("housing"),
	    SN__ASSIST__V1__REFERRAL__REFERRAL_HOUSING);
	assert_null(sn_assist_labour_name(0));
	assert_string_equal(
	    sn_assist_or(sn_assist_labour_name(0), "unspecified"),
	    "unspecified");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_household_enums),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
