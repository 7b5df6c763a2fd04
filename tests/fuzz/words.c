/*
 * fuzz_words: the services' small parsers of words, years, periods and
 * dates that read path segments, query parameters and body members
 * (?status=, ?period=, "fund", "cause", "category", ...), over any
 * NUL-terminated text.
 *
 * Each name parsed is the name written back (name(parse(s)) == s; the
 * register's status in either case), a year or period parsed is the text
 * formatted back, and the date parsers of approval and investigation
 * agree with sn_date_parse and their floor of 1900.
 */
#include <stdio.h>
#include <strings.h>

#include "approval/register_rules.h"
#include "approval/rules.h"
#include "bank-sim/rules.h"
#include "disbursement/rules.h"
#include "emergency/rules.h"
#include "fuzz.h"
#include "intake/rules.h"
#include "investigation/rules.h"

static void
named(const char *name, const char *s)
{
	if (name != NULL && name[0] != '\0')
		FUZZ_CHECK(strcmp(name, s) == 0);
}

static void
approval(const char *s)
{
	approval_stage st = approval_rules_stage_parse(s);
	if (st != APPROVAL_STAGE_UNSPECIFIED)
		named(approval_rules_stage_name(st), s);
	approval_category c = approval_rules_category_parse(s);
	if (c != APPROVAL_CAT_UNSPECIFIED)
		named(approval_rules_category_name(c), s);
	approval_standing r = approval_register_status_parse(s);
	if (r != APPROVAL_STANDING_UNSPECIFIED)
		FUZZ_CHECK(
		    strcasecmp(approval_register_status_name(r), s) == 0);
}

static void
dates(const char *s)
{
	sn_date d = { 0, 0, 0 }, a = { 7, 7, 7 }, i = { 7, 7, 7 };
	bool    ok = sn_date_parse(s, &d) == SN_OK && d.year >= 1900;
	FUZZ_CHECK(approval_rules_date_parse(s, &a) == ok);
	FUZZ_CHECK(investigation_rules_date_parse(s, &i) == ok);
	FUZZ_CHECK(investigation_rules_date_valid(s) == ok);
	if (ok)
		FUZZ_CHECK(sn_date_cmp(a, d) == 0 && sn_date_cmp(i, d) == 0);
	else
		FUZZ_CHECK(a.year == 7 && i.year == 7);
}

static void
disbursement(const char *s)
{
	disbursement_fund f = disbursement_rules_fund_parse(s);
	if (f != DISBURSEMENT_FUND_NONE)
		named(disbursement_rules_fund_name(f), s);
	disbursement_payment_status ps
	    = disbursement_rules_payment_status_parse(s);
	if (ps != DISBURSEMENT_PAYMENT_NONE)
		named(disbursement_rules_payment_status_name(ps), s);
	int      y = 0, m = 0;
	sn_month mo;
	bool     ok = sn_month_parse(s, &mo) == SN_OK && mo.year >= 2000;
	FUZZ_CHECK(disbursement_rules_period_parse(s, &y, &m) == ok);
	if (ok)
		FUZZ_CHECK(y == mo.year && m == mo.month);
	int32_t yy = 0;
	char    buf[16];
	if (disbursement_rules_year_parse(s, &yy)) {
		FUZZ_CHECK(yy >= 2000 && yy <= 9999);
		snprintf(buf, sizeof(buf), "%04d", (int) yy);
		FUZZ_CHECK(strcmp(buf, s) == 0);
	}
}

static void
emergency(const char *s)
{
	emergency_cause c;
	if (emergency_rules_cause_parse(s, &c))
		named(emergency_rules_cause_name(c), s);
	emergency_referral_kind k;
	if (emergency_rules_referral_parse(s, &k))
		named(emergency_rules_referral_name(k), s);
	emergency_grant_status g;
	if (emergency_rules_status_parse(s, &g))
		named(emergency_rules_status_name(g), s);
	int  y = 0;
	char buf[16];
	if (emergency_rules_year_parse(s, &y)) {
		snprintf(buf, sizeof(buf), "%04d", y);
		FUZZ_CHECK(strcmp(buf, s) == 0);
	}
}

static void
others(const char *s)
{
	bank_sim_status b = bank_sim_status_parse(s);
	if (b != BANK_SIM_UNKNOWN)
		named(bank_sim_status_name(b), s);
	Sn__Assist__V1__ChangeKind ck;
	if (intake_rules_change_kind_parse(s, &ck))
		named(intake_rules_change_kind_name(ck), s);
	Sn__Assist__V1__Registration   reg;
	Sn__Assist__V1__LabourCapacity lab;
	Sn__Assist__V1__SelfCare       care;
	Sn__Assist__V1__Category       cat;
	(void) intake_rules_registration_parse(s, &reg);
	(void) intake_rules_labour_parse(s, &lab);
	(void) intake_rules_self_care_parse(s, &care);
	(void) intake_rules_category_parse(s, &cat);
	(void) investigation_rules_recommendation(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	approval(s);
	dates(s);
	disbursement(s);
	emergency(s);
	others(s);
	free(s);
	return 0;
}
