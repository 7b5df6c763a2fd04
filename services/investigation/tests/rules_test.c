/*
 * The pure rules of investigation. The fixture builds a report that
 * passes; each test breaks exactly one thing and checks the code and the
 * field of the refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"
#include "sn/idnum.h"
#include "sn/uuid.h"

/* A valid identity number from its first 17 digits. */
static void
idn(char out[19], const char *first17)
{
	memcpy(out, first17, 17);
	out[17] = sn_idnum_check_char(first17);
	out[18] = '\0';
	assert_int_not_equal(out[17], 0);
}

struct fixture {
	char                     ids[5][19]; /* 0-2 household, 3-4 staff */
	investigation_report     r;
	investigation_report_ctx ctx;
	sn_problem               why;
};

static struct fixture F;

static void
build(void)
{
	memset(&F, 0, sizeof(F));
	idn(F.ids[0], "22010319800101001"); /* the applicant */
	idn(F.ids[1], "22010319820202002"); /* spouse */
	idn(F.ids[2], "22010320100303003"); /* child */
	idn(F.ids[3], "22010319700404004"); /* investigator a */
	idn(F.ids[4], "22010319750505005"); /* investigator b */

	F.ctx.nmembers         = 3;
	F.ctx.member_ids[0]    = F.ids[0];
	F.ctx.member_ids[1]    = F.ids[1];
	F.ctx.member_ids[2]    = F.ids[2];
	F.ctx.applicant_id     = F.ids[0];
	F.ctx.not_before       = (sn_date) { 2024, 3, 1 };
	F.ctx.today            = (sn_date) { 2024, 3, 10 };
	F.ctx.caller_user      = "inv.a";
	F.ctx.caller_id_number = F.ids[3];

	F.r.ninvestigators             = 2;
	F.r.investigators[0].user_id   = "inv.a";
	F.r.investigators[0].id_number = F.ids[3];
	F.r.investigators[1].user_id   = "inv.b";
	F.r.investigators[1].id_number = F.ids[4];
	F.r.visit_date                 = "2024-03-05";
	F.r.nmembers                   = 3;
	for (size_t i = 0; i < 3; i++) {
		F.r.members[i].id_number = F.ids[i];
		F.r.members[i].present   = i != 2;
	}
	F.r.living_conditions = "two rooms, little furniture";
	F.r.housing_condition = "old brick house, leaking roof";
	F.r.ncontradictions   = 1;
	F.r.contradictions[0] = "a new car in the yard";
	F.r.recommendation    = "approve";
}

static bool
check(void)
{
	return investigation_rules_check_report(&F.r, &F.ctx, &F.why);
}

static void
refused(const char *code, const char *field)
{
	assert_false(check());
	assert_int_equal(F.why.status, 422);
	assert_string_equal(F.why.code, code);
	assert_string_equal(F.why.field, field);
	assert_true(F.why.message[0] != '\0');
}

static void
valid_report_passes(void **state)
{
	(void) state;
	build();
	assert_true(check());
	/* The other recommendations, no contradictions, a visit today or
	 * on the day of the application: still valid. */
	F.r.recommendation  = "further_review";
	F.r.ncontradictions = 0;
	F.r.visit_date      = "2024-03-10"; /* today */
	assert_true(check());
	F.r.recommendation = "reject";
	F.r.visit_date     = "2024-03-01"; /* not_before */
	assert_true(check());
	/* A token without an identity number is fine too. */
	F.ctx.caller_id_number = "";
	assert_true(check());
}

static void
one_investigator(void **state)
{
	(void) state;
	build();
	F.r.ninvestigators = 1;
	refused("two_investigators_required", "investigators");
}

static void
three_investigators(void **state)
{
	(void) state;
	char third[19];
	build();
	idn(third, "22010319900606006");
	F.r.ninvestigators             = 3;
	F.r.investigators[2].user_id   = "inv.c";
	F.r.investigators[2].id_number = third;
	refused("two_investigators_required", "investigators");
}

static void
same_user_twice(void **state)
{
	(void) state;
	build();
	F.r.investigators[1].user_id = "inv.a";
	refused("same_investigator", "investigators[1].user_id");
}

static void
same_id_number_twice(void **state)
{
	(void) state;
	build();
	F.r.investigators[1].id_number = F.ids[3];
	refused("same_investigator_id_number", "investigators[1].id_number");
}

static void
investigator_is_member(void **state)
{
	(void) state;
	build();
	F.r.investigators[1].id_number = F.ids[2];
	refused(
	    "investigator_is_household_member", "investigators[1].id_number");
}

static void
investigator_is_applicant(void **state)
{
	(void) state;
	build();
	F.r.investigators[1].id_number = F.ids[0];
	refused("investigator_is_applicant", "investigators[1].id_number");
}

static void
caller_not_among_them(void **state)
{
	(void) state;
	build();
	F.ctx.caller_user      = "inv.z";
	F.ctx.caller_id_number = "";
	refused("caller_not_investigator", "investigators");
}

static void
caller_id_number_mismatch(void **state)
{
	(void) state;
	build();
	F.ctx.caller_id_number = F.ids[4]; /* b's number in a's token */
	refused("id_number_mismatch", "investigators[0].id_number");
}

static void
investigator_bad_id_number(void **state)
{
	(void) state;
	char bad[19];
	build();
	memcpy(bad, F.ids[4], sizeof(bad));
	bad[17] = bad[17] == '0' ? '1' : '0'; /* wrong check character */
	F.r.investigators[1].id_number = bad;
	refused("invalid_id_number", "investigators[1].id_number");
}

static void
investigator_bad_user(void **state)
{
	(void) state;
	build();
	F.r.investigators[1].user_id = "inv b";
	refused("invalid_user_id", "investigators[1].user_id");
}

static void
member_missing(void **state)
{
	(void) state;
	build();
	F.r.nmembers = 2;
	refused("member_missing", "members");
}

static void
member_duplicated(void **state)
{
	(void) state;
	build();
	F.r.members[2].id_number = F.ids[1];
	refused("duplicate_member", "members[2].id_number");
}

static void
member_unknown(void **state)
{
	(void) state;
	char stranger[19];
	build();
	idn(stranger, "22010319850707007");
	F.r.members[1].id_number = stranger;
	refused("unknown_member", "members[1].id_number");
}

static void
visit_date_in_future(void **state)
{
	(void) state;
	build();
	F.r.visit_date = "2024-03-11"; /* the day after today */
	refused("visit_date_in_future", "visit_date");
}

static void
visit_date_before_application(void **state)
{
	(void) state;
	build();
	F.r.visit_date = "2024-02-29"; /* the day before */
	refused("visit_date_before_application", "visit_date");
}

static void
visit_date_not_a_date(void **state)
{
	(void) state;
	build();
	F.r.visit_date = "2024-02-30";
	refused("invalid_date", "visit_date");
}

static void
bad_recommendation(void **state)
{
	(void) state;
	build();
	F.r.recommendation = "Approve";
	refused("invalid_recommendation", "recommendation");
}

static void
blank_conditions(void **state)
{
	(void) state;
	build();
	F.r.living_conditions = "  \n";
	refused("text_required", "living_conditions");
	build();
	F.r.housing_condition = "";
	refused("text_required", "housing_condition");
	build();
	F.r.contradictions[0] = "";
	refused("text_required", "contradictions[0]");
}

static void
dates(void **state)
{
	(void) state;
	static const struct {
		const char *s;
		bool        ok;
	} cases[] = {
		{ "2024-02-29", true },
		{ "2023-02-29", false },
		{ "2000-02-29", true },
		{ "1900-02-29", false },
		{ "2024-12-31", true },
		{ "2024-13-01", false },
		{ "2024-00-10", false },
		{ "2024-04-31", false },
		{ "2024-4-01", false },
		{ "2024-04-01x", false },
		{ "1899-12-31", false },
		{ "", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(
		    investigation_rules_date_valid(cases[i].s), cases[i].ok);
	assert_false(investigation_rules_date_valid(NULL));
}

static void
stamps(void **state)
{
	(void) state;
	static const struct {
		const char *s;
		bool        ok;
		int64_t     unix_s;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", true, 0 },
		{ "2026-12-02T23:30:00.123456Z", true, 1796254200 },
		{ "2026-12-02T23:30:00Z", true, 1796254200 },
		{ "2026-12-03T07:30:00+08:00", true, 1796254200 },
		{ "2026-12-02T11:30:00.5-12:00", true, 1796254200 },
		{ "2024-02-29t12:00:00z", true, 1709208000 },
		{ "2023-02-29T12:00:00Z", false, 0 },
		{ "2026-12-02T24:00:00Z", false, 0 },
		{ "2026-12-02T23:30:00", false, 0 },
		{ "2026-12-02T23:30:00.Z", false, 0 },
		{ "2026-12-02T23:30:00+0800", false, 0 },
		{ "2026-12-02", false, 0 },
		{ "", false, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = -1;
		if (investigation_rules_stamp_unix(cases[i].s, &t)
		    != cases[i].ok)
			fail_msg("%s: want %d", cases[i].s, cases[i].ok);
		if (cases[i].ok && t != cases[i].unix_s)
			fail_msg("%s: %lld, want %lld", cases[i].s,
			    (long long) t, (long long) cases[i].unix_s);
	}
	int64_t t = 7;
	assert_false(investigation_rules_stamp_unix(NULL, &t));
	assert_int_equal(t, 7);
}

static void
uuids_codes_members(void **state)
{
	(void) state;
	build();
	assert_true(sn_uuid_valid("0b6e4f3a-58a2-4a53-9d0e-3c1c2f9a7e11"));
	assert_false(sn_uuid_valid("0b6e4f3a-58a2-4a53-9d0e-3c1c2f9a7e1"));
	assert_false(sn_uuid_valid("0b6e4f3a+58a2-4a53-9d0e-3c1c2f9a7e11"));
	assert_false(sn_uuid_valid("../etc/passwd"));

	assert_true(investigation_rules_codes_valid(
	    "220103", "220103001", "220103001002"));
	assert_false(investigation_rules_codes_valid(
	    "220103", "220104001", "220104001002"));
	assert_false(investigation_rules_codes_valid(
	    "220103", "220103001", "220103002002"));
	assert_false(investigation_rules_codes_valid(
	    "220103", "22010300", "220103001002"));

	const char *ids[3] = { F.ids[0], F.ids[1], F.ids[2] };
	assert_true(investigation_rules_members_valid(ids, 3));
	ids[2] = F.ids[0];
	assert_false(investigation_rules_members_valid(ids, 3));
	ids[2] = "not a number";
	assert_false(investigation_rules_members_valid(ids, 3));
	assert_false(investigation_rules_members_valid(ids, 0));

	assert_int_equal(investigation_rules_recommendation("reject"),
	    INVESTIGATION_REC_REJECT);
	assert_int_equal(
	    investigation_rules_recommendation(NULL), INVESTIGATION_REC_NONE);
}

/* Who may report on a task, and the refusal otherwise. */
static void
may_report(void **state)
{
	(void) state;
	const struct {
		investigation_task_status status;
		bool                      within;
		unsigned                  http;
		const char               *code;
	} rows[] = {
		{ INVESTIGATION_TASK_OPEN, true, 0, NULL },
		{ INVESTIGATION_TASK_OPEN, false, 403,
		    "outside_jurisdiction" },
		{ INVESTIGATION_TASK_CLOSED, false, 403,
		    "outside_jurisdiction" },
		{ INVESTIGATION_TASK_CLOSED, true, 409, "task_closed" },
		{ INVESTIGATION_TASK_CANCELLED, true, 409, "task_cancelled" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sn_problem p;
		memset(&p, 0, sizeof(p));
		bool ok = investigation_rules_may_report(
		    rows[i].status, rows[i].within, &p);
		assert_int_equal(ok, rows[i].http == 0);
		assert_int_equal(p.status, rows[i].http);
		if (rows[i].code != NULL) {
			assert_string_equal(p.code, rows[i].code);
			assert_string_equal(p.field, "id");
		}
	}
}

/* GET /tasks's parameters, one wrong thing per row, in their order. */
static void
list_query(void **state)
{
	(void) state;
	sn_principal who;
	memset(&who, 0, sizeof(who));
	snprintf(who.user, sizeof(who.user), "inv.a");
	snprintf(who.role, sizeof(who.role), "investigator");
	snprintf(who.juris, sizeof(who.juris), "220103001");
	const struct {
		const char               *village, *township, *status, *limit;
		unsigned                  http;
		const char               *code, *field;
		bool                      by_village;
		investigation_list_status st;
		int                       lim;
	} rows[] = {
		{ "220103001002", NULL, NULL, NULL, 0, NULL, NULL, true,
		    INVESTIGATION_LIST_OPEN, SN_PAGE_DEFAULT },
		{ NULL, "220103001", "all", "1000", 0, NULL, NULL, false,
		    INVESTIGATION_LIST_ALL, 1000 },
		{ "220103001002", NULL, "cancelled", "7", 0, NULL, NULL, true,
		    INVESTIGATION_LIST_CANCELLED, 7 },
		{ NULL, NULL, "open", NULL, 400, "code_required", "village",
		    false, INVESTIGATION_LIST_OPEN, 0 },
		{ "220103001002", "220103001", NULL, NULL, 400,
		    "code_required", "village", false, INVESTIGATION_LIST_OPEN,
		    0 },
		{ "22010300100", NULL, NULL, NULL, 400, "invalid_code",
		    "village", false, INVESTIGATION_LIST_OPEN, 0 },
		{ NULL, "2201030010", NULL, NULL, 400, "invalid_code",
		    "township", false, INVESTIGATION_LIST_OPEN, 0 },
		{ "220103002001", NULL, "bogus", NULL, 403,
		    "outside_jurisdiction", "village", false,
		    INVESTIGATION_LIST_OPEN, 0 },
		{ NULL, "220103002", NULL, NULL, 403, "outside_jurisdiction",
		    "township", false, INVESTIGATION_LIST_OPEN, 0 },
		{ "220103001002", NULL, "bogus", NULL, 400, "invalid_status",
		    "status", false, INVESTIGATION_LIST_OPEN, 0 },
		{ "220103001002", NULL, NULL, "0", 422, "invalid_query",
		    "limit", false, INVESTIGATION_LIST_OPEN, 0 },
		{ "220103001002", NULL, NULL, "1001", 422, "invalid_query",
		    "limit", false, INVESTIGATION_LIST_OPEN, 0 },
		{ "220103001002", NULL, NULL, "5x", 422, "invalid_query",
		    "limit", false, INVESTIGATION_LIST_OPEN, 0 },
		{ "220103001002", NULL, NULL, "", 422, "invalid_query",
		    "limit", false, INVESTIGATION_LIST_OPEN, 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		investigation_list_query q;
		sn_problem               p;
		memset(&p, 0, sizeof(p));
		bool ok = investigation_rules_list_query(rows[i].village,
		    rows[i].township, rows[i].status, rows[i].limit, NULL,
		    &who, &q, &p);
		if (ok != (rows[i].http == 0) || p.status != rows[i].http)
			fail_msg("row %zu: ok %d status %u", i, ok, p.status);
		if (!ok) {
			assert_string_equal(p.code, rows[i].code);
			assert_string_equal(p.field, rows[i].field);
			continue;
		}
		assert_int_equal(q.by_village, rows[i].by_village);
		assert_int_equal(q.status, rows[i].st);
		assert_int_equal(q.page.limit, rows[i].lim);
		assert_int_equal(q.page.after, 0);
		assert_string_equal(q.code,
		    rows[i].village ? rows[i].village : rows[i].township);
	}
	/* The cursor (issue 10): a "next" given reads back; anything else
	 * is 422 invalid_query naming cursor. */
	investigation_list_query q;
	sn_problem               p;
	assert_true(investigation_rules_list_query("220103001002", NULL, NULL,
	    "2", "p000000000000002a", &who, &q, &p));
	assert_int_equal(q.page.after, 42);
	assert_int_equal(q.page.limit, 2);
	assert_false(investigation_rules_list_query(
	    "220103001002", NULL, NULL, NULL, "42", &who, &q, &p));
	assert_int_equal(p.status, 422);
	assert_string_equal(p.code, "invalid_query");
	assert_string_equal(p.field, "cursor");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_report_passes),
		cmocka_unit_test(one_investigator),
		cmocka_unit_test(three_investigators),
		cmocka_unit_test(same_user_twice),
		cmocka_unit_test(same_id_number_twice),
		cmocka_unit_test(investigator_is_member),
		cmocka_unit_test(investigator_is_applicant),
		cmocka_unit_test(caller_not_among_them),
		cmocka_unit_test(caller_id_number_mismatch),
		cmocka_unit_test(investigator_bad_id_number),
		cmocka_unit_test(investigator_bad_user),
		cmocka_unit_test(member_missing),
		cmocka_unit_test(member_duplicated),
		cmocka_unit_test(member_unknown),
		cmocka_unit_test(visit_date_in_future),
		cmocka_unit_test(visit_date_before_application),
		cmocka_unit_test(visit_date_not_a_date),
		cmocka_unit_test(bad_recommendation),
		cmocka_unit_test(blank_conditions),
		cmocka_unit_test(dates),
		cmocka_unit_test(stamps),
		cmocka_unit_test(may_report),
		cmocka_unit_test(list_query),
		cmocka_unit_test(uuids_codes_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
